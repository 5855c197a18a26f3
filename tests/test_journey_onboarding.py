"""Issue #16, a new member's first steps (items 7, 8, 9, 12 and the wording list): pending
questions end when answered any way, countries and zones are understood as people type
them, and private words meet warmth."""

from __future__ import annotations

import pytest

from adapters.console import ConsoleAdapter
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from storage.sql.store import SQLStore
from tests.conftest import START


async def member(store: SQLStore, name: str = "alex"):  # type: ignore[no-untyped-def]
    found = await store.members.find("console", name)
    assert found is not None
    return found


def labels(said: list) -> list[str]:  # type: ignore[type-arg]
    return [b.label for s in said for row in s.buttons for b in row]


# -- 8. a pending question ends when answered any way ------------------------------------------


async def test_zone_set_by_command_ends_the_question(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/start")
    said = await console.push("/settings tz chicago")
    assert "America/Chicago" in said[0].text
    assert "Which country" in said[-1].text  # the set-up goes on
    said = await console.push("I'm having a rough day")
    assert "couldn't find" not in said[0].text.casefold()
    assert "time zone" not in said[0].text
    said = await console.push("London")  # no longer an answer to anything
    assert (await member(store)).tz == "America/Chicago"


async def test_an_ordinary_message_is_not_a_zone(console: ConsoleAdapter, store: SQLStore) -> None:
    await console.push("/start")
    said = await console.push("I'm having a rough day")
    assert "couldn't find the time zone" not in said[0].text
    assert (await member(store)).tz is None


async def test_crisis_words_during_a_question_get_the_crisis_reply(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/start")
    said = await console.push("I want to end my life")
    assert any("not alone" in s.text for s in said)
    assert (await member(store)).tz is None


async def test_a_date_question_lets_ordinary_words_through(console: ConsoleAdapter) -> None:
    await console.push("/sober 2026-10-01 alcohol")
    await console.push("/reset")
    await console.push(":press Start again from another date")
    said = await console.push("I'm having a rough day")
    assert "couldn't read that date" not in said[0].text
    said = await console.push("2026-13-45")  # an attempt at a date is still explained
    assert "couldn't read" in said[0].text or "doesn't exist" in said[0].text


# -- 9. the country step understands names, has "Other", and the set-up goes on -----------------


@pytest.mark.parametrize(
    ("typed", "code"),
    [("GB", "GB"), ("gb", "GB"), ("Spain", "ES"), ("españa", "ES"), ("Espana", "ES"),
     ("United Kingdom", "GB"), ("UK", "GB"), ("England", "GB"), ("USA", "US"),
     ("Deutschland", "DE"), ("Portugal", "PT")],
)
async def test_country_typed_at_the_set_up_step(
    console: ConsoleAdapter, store: SQLStore, typed: str, code: str
) -> None:
    await console.push("/start")
    await console.push(":press Chicago")
    said = await console.push(typed)
    assert (await member(store)).country == code
    assert "daily check-in" in said[-1].text  # the set-up goes on


async def test_a_country_without_lines_is_kept_honestly(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    said = await console.push("/settings country Portugal")
    assert (await member(store)).country == "PT"
    assert "international" in said[0].text and "emergency" in said[0].text


async def test_the_country_step_has_other(console: ConsoleAdapter, store: SQLStore) -> None:
    await console.push("/start")
    said = await console.push(":press Chicago")
    assert "Other" in labels(said)
    said = await console.push(":press Other")
    assert "type" in said[0].text.casefold()
    said = await console.push("Spain")
    assert (await member(store)).country == "ES"


async def test_country_by_command_continues_the_set_up(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/start")
    await console.push(":press Chicago")
    said = await console.push("/settings country GB")
    assert "Country set" in said[0].text
    assert "daily check-in" in said[-1].text


async def test_settings_country_accepts_names(console: ConsoleAdapter, store: SQLStore) -> None:
    await console.push("/settings country españa")
    assert (await member(store)).country == "ES"
    said = await console.push("/settings country Narnia")
    assert "Narnia" in said[0].text
    assert (await member(store)).country == "ES"


async def test_ordinary_words_are_not_a_country(console: ConsoleAdapter, store: SQLStore) -> None:
    await console.push("/start")
    await console.push(":press Chicago")
    said = await console.push("I'm having a rough day")
    assert "crisis lines for" not in said[0].text
    assert (await member(store)).country is None


# -- 12. zone abbreviations map to a representative zone, and the reply says so ------------------


@pytest.mark.parametrize(
    ("typed", "zone"),
    [("EST", "America/New_York"), ("EDT", "America/New_York"), ("PST", "America/Los_Angeles"),
     ("GMT", "Europe/London"), ("BST", "Europe/London"), ("CET", "Europe/Berlin"),
     ("AEST", "Australia/Sydney"), ("IST", "Asia/Kolkata"), ("cst", "America/Chicago"),
     ("UTC", "UTC"), ("Chicago", "America/Chicago")],
)
def test_abbreviations_resolve(typed: str, zone: str) -> None:
    from bot.common.timezones import resolve_zone

    found = resolve_zone(typed)
    assert found is not None and found.name == zone


async def test_an_abbreviation_is_confirmed(console: ConsoleAdapter, store: SQLStore) -> None:
    said = await console.push("/settings tz EST")
    assert "I took EST as New York time" in said[0].text
    assert "/settings tz" in said[0].text
    assert (await member(store)).tz == "America/New_York"
    said = await console.push("/settings tz IST")
    assert "Kolkata" in said[0].text
    assert "Irish" in said[0].text and "Israel" in said[0].text
    said = await console.push("/settings tz GMT")
    assert (await member(store)).tz == "Europe/London"
    assert "summer" in said[0].text.casefold()


async def test_community_zone_abbreviation_saves_the_zone(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    said = await console.push("/community tz EST")
    assert "America/New_York" in said[0].text
    community = await store.communities.find("console", "recovery")
    assert community is not None and community.tz == "America/New_York"


# -- wording: empty arguments, warmth, /privacy --------------------------------------------------


@pytest.mark.parametrize("line", ["/settings tz", "/settings country", "/settings locale"])
async def test_empty_arguments_ask_instead_of_echoing(console: ConsoleAdapter, line: str) -> None:
    said = await console.push(line)
    assert '""' not in said[0].text


async def test_feeling_low_in_private_meets_warmth(console: ConsoleAdapter) -> None:
    said = await console.push("I'm feeling low")
    text = said[0].text
    assert "Send /help" not in text
    for way in ("/checkin", "/meetings", "/buddy", "/crisis"):
        assert way in text


async def test_privacy_says_what_is_scanned_and_shown(console: ConsoleAdapter) -> None:
    said = await console.push("/privacy")
    text = said[0].text
    assert "crisis" in text and "moderators" in text
    assert "buddy" in text and "/share" in text


# -- 7. a counter set in a Telegram group, where the bot can't write first -----------------------


async def test_counter_in_a_telegram_group_leaks_nothing_and_continues_privately(
    store: SQLStore,
) -> None:
    clock = ManualClock(START)
    harbor = build(store, clock, Settings())
    console = ConsoleAdapter(clock=clock, telegram_like=True)
    harbor.attach(console)
    await console.start(harbor.core)
    await console.push(":group recovery")
    said = await console.push("/sober 2026-10-01 alcohol")
    public = [s.text for s in said if s.to.startswith("group")]
    assert public and all("alcohol" not in t and "2026" not in t for t in public)
    said = await console.push(":press Open a private chat")
    assert said and all(s.to == "Alex (private)" for s in said)
    assert any("alcohol: 55 days" in s.text for s in said)  # it continues where it stopped
