"""Crisis support that reaches every person, every time (issue #11), on consoles that behave
like Telegram (a bot may not write first; deep links) and like Discord (interactions are
answered ephemerally): no private chat, a blocked bot, follow-ups, countries, community lines,
someone worried about another person, Spanish, and a crisis reply that waits for nothing."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter, Said
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.i18n import t
from bot.kernel.runtime import Harbor
from bot.kernel.types import Button
from storage.sql.store import SQLStore

CRISIS = "I can't do this anymore, I want to kill myself"

MakeConsole = Callable[..., Awaitable[ConsoleAdapter]]


@pytest.fixture
async def make(
    store: SQLStore, clock: ManualClock, settings: Settings
) -> AsyncIterator[MakeConsole]:
    harbors: list[Harbor] = []

    async def make_console(**kind: bool) -> ConsoleAdapter:
        harbor = build(store, clock, settings, monotonic=lambda: clock.now().timestamp())
        harbors.append(harbor)

        async def on_time() -> None:
            await harbor.tick()

        console = ConsoleAdapter(clock=clock, on_time=on_time, **kind)
        harbor.attach(console)
        await console.start(harbor.core)
        return console

    yield make_console
    for harbor in harbors:
        await harbor.delivery.settle()


def to(said: list[Said], who: str) -> list[Said]:
    return [s for s in said if s.to == who]


async def test_telegram_group_without_a_private_chat_gets_a_button_that_delivers(
    make: MakeConsole,
) -> None:
    console = await make(telegram_like=True)
    await console.push(":group recovery")
    said = await console.push("/crisis")
    group = to(said, "group recovery")
    assert len(group) == 1 and group[0].text == t("crisis.reach_out_in_group")
    assert "988" not in group[0].text and "Alex" not in group[0].text
    [[button]] = group[0].buttons
    assert button.url == "console://start/crisis"
    # Pressing it opens the private chat and delivers the lines at once: no "try again".
    said = await console.push(":press Crisis lines")
    assert said[0].to == "Alex (private)" and "not alone" in said[0].text
    assert "Welcome" not in said[0].text


async def test_a_blocked_bot_still_leaves_a_way_to_the_lines(make: MakeConsole) -> None:
    console = await make()
    await console.push("/start")
    await console.push(":group recovery")
    await console.push(":block on")
    said = await console.push(CRISIS)
    assert [s.to for s in said] == ["group recovery"]  # the only place we can still reach
    assert said[0].text == t("crisis.reach_out_in_group") and said[0].buttons == ()


async def test_discord_like_answers_privately_without_any_dm(make: MakeConsole) -> None:
    console = await make(discord_like=True)
    await console.push(":group recovery")
    await console.push(":block on")  # DMs closed
    said = await console.push("/crisis")
    assert [s.to for s in said] == ["Alex (only you, in recovery)"]
    assert "not alone" in said[0].text
    # Detected in an ordinary message (no interaction): a neutral line with a button that
    # answers whoever presses it, only to them.
    said = await console.push(CRISIS)
    [group] = to(said, "group recovery")
    assert group.text == t("crisis.reach_out_in_group")
    said = await console.push(":press Crisis lines")
    assert [s.to for s in said] == ["Alex (only you, in recovery)"]
    assert "988" in said[0].text or "findahelpline" in said[0].text


async def test_the_alert_says_what_really_happened(make: MakeConsole) -> None:
    console = await make(telegram_like=True)
    await console.push(":as Alex")
    await console.push(":dm")
    await console.push("/start")  # the moderator has a private chat
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community crisis_alerts on")
    await console.push(":as Kim")
    await console.push(":group recovery")
    said = await console.push(CRISIS)  # Kim never opened a private chat
    [alert] = to(said, "Alex (private)")
    assert t("crisis.outcome_offered") in alert.text
    assert "already sent them" not in alert.text
    assert [b.label for b in alert.buttons[0]] == ["I'm on it", "Resolved"]


async def test_claimed_alerts_are_shown_to_the_others_and_unclaimed_ones_widen(
    make: MakeConsole, clock: ManualClock
) -> None:
    console = await make()
    for mod in ("Alex", "Jo"):
        await console.push(f":as {mod}")
        await console.push(":group recovery")
        await console.push(":mod on")
        await console.push("hello")  # known as a moderator of the group
    await console.push("/community crisis_alerts on")
    await console.push(":as Kim")
    await console.push(":group recovery")
    said = await console.push(CRISIS)
    assert {s.to for s in said} >= {"Alex (private)", "Jo (private)", "Kim (private)"}
    # Nobody claims it: after escalate_minutes (10) it goes to every moderator again.
    said = await console.push(":advance 11m")
    widened = [s for s in said if "Nobody has said" in s.text]
    assert {s.to for s in widened} == {"Alex (private)", "Jo (private)"}
    # Jo claims it; Alex is told, and a second claim is refused kindly.
    await console.push(":as Jo")
    await console.push(":dm")
    said = await console.push(":press I'm on it")
    assert said[0].to == "Jo (private)" and "The other moderators know" in said[0].text
    said = await console.push(":advance 1m")
    assert [s.to for s in said if "Jo is on it" in s.text] == ["Alex (private)"]
    await console.push(":as Alex")
    await console.push(":dm")
    said = await console.push(":press I'm on it")
    assert "Jo is already on it" in said[0].text


async def test_only_moderators_may_claim_an_alert(make: MakeConsole, store: SQLStore) -> None:
    console = await make()
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community crisis_alerts on")
    await console.push(":as Kim")
    await console.push(":group recovery")
    await console.push(CRISIS)
    await console.push(":as Sam")  # not a moderator, pressing a forged button
    await console.push(":dm")
    console.state.last_buttons = ((Button("I'm on it", "alert:claim:1"),),)
    said = await console.push(":press I'm on it")
    assert "expired" in said[0].text
    alert = await store.crisis.alert(1)
    assert alert is not None and alert.claimed_by is None


async def test_follow_ups_get_the_emergency_number_never_the_generic_reply(
    make: MakeConsole, clock: ManualClock
) -> None:
    console = await make()
    await console.push("/settings country US")
    await console.push(":group recovery")
    first = await console.push("I want to die")
    assert "Numbers checked" in first[0].text
    await console.push(":dm")  # the window is per member, across chats
    said = await console.push(
        "I really mean it. I have the pills right here and I'm going to take them all tonight"
    )
    assert len(said) == 1 and "911" in said[0].text and "988" in said[0].text
    assert "Send /help" not in said[0].text and "Numbers checked" not in said[0].text
    clock.advance(timedelta(minutes=31))  # the window follows the injected clock
    said = await console.push("I want to die")
    assert "Numbers checked" in said[0].text


HELPER = "my brother says he wants to kill himself"


async def test_a_helper_who_then_speaks_of_themselves_gets_the_full_lines_for_themselves(
    make: MakeConsole,
) -> None:
    console = await make()
    await console.push("/settings country US")
    helper = await console.push(HELPER)
    assert helper[0].text.startswith(t("crisis.helper_opening"))
    said = await console.push("I want to die")  # within the window, now about themselves
    assert said[0].text.startswith(t("crisis.opening_auto"))
    assert "Numbers checked" in said[0].text and "988" in said[0].text
    assert t("crisis.still_here") not in said[0].text
    said = await console.push("I really mean it, I want to die tonight")  # same kind again
    assert said[0].text.startswith(t("crisis.still_here")) and "911" in said[0].text


async def test_someone_who_then_worries_about_another_gets_the_helpers_reply(
    make: MakeConsole,
) -> None:
    console = await make()
    await console.push("/settings country US")
    await console.push("I want to die")
    said = await console.push(HELPER)  # within the window, now about someone else
    text = said[0].text
    assert text.startswith(t("crisis.helper_opening")) and "ask them directly" in text
    assert "Numbers checked" in text and "988" in text
    # A further message about them: the short reply, in the helper's words.
    said = await console.push("my sister told me she wants to end her life")
    text = said[0].text
    assert text.startswith(t("crisis.still_here")) and "988" in text
    assert "If they are in immediate danger, call 911 now." in text
    assert "If you are in immediate danger" not in text


async def test_the_country_follows_the_member_and_none_means_international_with_choices(
    make: MakeConsole,
) -> None:
    console = await make()
    said = await console.push("/crisis")
    assert "findahelpline" in said[0].text
    labels = [b.label for row in said[0].buttons for b in row]
    assert labels[:2] == ["US", "GB"]  # the likeliest first (the console reports no locale)
    said = await console.push(":press GB")
    assert "116 123" in said[0].text  # Samaritans, and GB is remembered
    await console.push("/settings country NZ")
    assert "111" in (await console.push("/crisis"))[0].text
    await console.push("/settings country ZA")  # a country Harbor has no lines for
    said = await console.push("/crisis")
    assert "111" not in said[0].text and "findahelpline" in said[0].text


async def test_someone_worried_about_another_person_gets_a_reply_for_the_helper(
    make: MakeConsole,
) -> None:
    console = await make()
    await console.push("/settings country US")
    said = await console.push("my brother says he wants to kill himself")
    text = said[0].text
    assert text.startswith(t("crisis.helper_opening"))
    assert "ask them directly" in text and "988" in text and "911" in text


async def test_spanish_end_to_end(make: MakeConsole) -> None:
    console = await make()
    await console.push("/settings country GB")
    said = await console.push("ya no aguanto más, quiero morirme")
    text = said[0].text
    assert "Líneas de crisis (Reino Unido)" in text
    assert "999 / 112" in text and "24 h, todos los días" in text
    assert "call" not in text and "United Kingdom" not in text and " or " not in text


async def test_spanish_without_a_country_names_the_local_emergency_number(
    make: MakeConsole,
) -> None:
    console = await make()
    said = await console.push("ya no aguanto más, quiero morirme")
    text = said[0].text
    assert "Si estás en peligro inmediato, llama ahora al número local de emergencias." in text
    assert "al tu " not in text


async def test_the_crisis_reply_waits_for_no_write_lock(
    make: MakeConsole, store: SQLStore, tmp_path: Path
) -> None:
    console = await make()
    await console.push("/settings country US")
    # Another process holds the database's write lock: every write must wait for it.
    path = tmp_path / "harbor.db"  # the store fixture's file
    blocker = sqlite3.connect(path, timeout=0.1)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        said = await asyncio.wait_for(console.push(CRISIS), timeout=60)
        assert "988" in said[0].text
    finally:
        blocker.rollback()
        blocker.close()


async def test_moderators_see_whether_detection_can_work_in_their_group(
    make: MakeConsole, clock: ManualClock
) -> None:
    console = await make()
    await console.push(":group recovery")
    await console.push(":mod on")
    said = await console.push("/community")
    assert "Crisis detection in this group: not checked yet" in said[0].text
    # What an adapter reports at start-up, e.g. Telegram privacy mode on.
    assert console._inbox is not None
    await console._inbox.platforms.note_group("console", "recovery", "recovery", False)
    said = await console.push("/community")
    assert "LIMITED" in said[0].text and "/setprivacy" in said[0].text
    said = await console.push("/community escalate 5")
    assert said[0].text == "Saved: escalate = 5 minutes."
    assert "widened after 5 min" in (await console.push("/community"))[0].text


async def test_a_deep_link_continues_with_the_command_it_names(make: MakeConsole) -> None:
    console = await make(telegram_like=True)
    await console.push(":group recovery")
    said = await console.push("/privacy")  # no private chat yet: a link that continues
    [group] = said
    [[button]] = group.buttons
    assert button.url == "console://start/privacy"
    said = await console.push(":press Open a private chat")
    assert any(s.to == "Alex (private)" and "What I keep" in s.text for s in said)
