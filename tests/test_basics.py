"""Member basics and the core's behaviour, through the console adapter (push a line, read
the replies)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from adapters.console import ConsoleAdapter
from bot.kernel.clock import ManualClock
from bot.kernel.router import Command, Router, Routes
from bot.kernel.runtime import Harbor
from storage.sql.store import SQLStore


def texts(said: list) -> list[str]:  # type: ignore[type-arg]
    return [s.text for s in said]


async def test_start_in_private_welcomes_and_asks_time_zone(console: ConsoleAdapter) -> None:
    said = await console.push("/start")
    assert "Welcome, Alex" in said[0].text
    assert "time zone" in said[1].text
    labels = [b.label for row in said[1].buttons for b in row]
    assert "Chicago" in labels and "London" in labels


async def test_time_zone_by_button_then_country(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/start")
    said = await console.push(":press Chicago")
    assert "America/Chicago" in said[0].text
    assert "country" in said[1].text.casefold()
    await console.push(":press GB")
    member = await store.members.find("console", "alex")
    assert member is not None and member.tz == "America/Chicago" and member.country == "GB"


async def test_time_zone_typed_as_a_city(console: ConsoleAdapter, store: SQLStore) -> None:
    await console.push("/start")
    said = await console.push("new york")
    assert "America/New_York" in said[0].text
    member = await store.members.find("console", "alex")
    assert member is not None and member.tz == "America/New_York"


@pytest.mark.parametrize("bad", ["Mars/Olympus", "not a place", "x" * 300, "'; DROP TABLE members"])
async def test_garbage_time_zone_changes_nothing(
    console: ConsoleAdapter, store: SQLStore, bad: str
) -> None:
    await console.push("/settings tz America/Chicago")
    said = await console.push(f"/settings tz {bad}")
    assert "couldn't find the time zone" in said[0].text
    member = await store.members.find("console", "alex")
    assert member is not None and member.tz == "America/Chicago"


async def test_unknown_country_is_refused(console: ConsoleAdapter, store: SQLStore) -> None:
    for bad in ("ZZ", "Narnia", "12"):
        said = await console.push(f"/settings country {bad}")
        assert "isn't a country code I know" in said[0].text
    member = await store.members.find("console", "alex")
    assert member is not None and member.country is None


async def test_a_country_without_lines_is_kept_and_said_so(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/settings country NZ")
    said = await console.push("/settings country ZA")
    assert "don't have crisis lines for ZA yet" in said[0].text
    member = await store.members.find("console", "alex")
    assert member is not None and member.country == "ZA"  # NZ no longer applies


async def test_help_fits_the_place(console: ConsoleAdapter) -> None:
    private = (await console.push("/help"))[0].text
    assert "/mydata" in private and "/community" not in private
    await console.push(":group recovery")
    member_view = (await console.push("/help"))[0].text
    assert "/community" not in member_view and "private chat" in member_view
    assert "/mydata" not in member_view and "/forget" not in member_view
    await console.push(":mod on")
    mod_view = (await console.push("/help"))[0].text
    assert "/community" in mod_view and "For moderators" in mod_view


async def test_unknown_command_suggests_the_closest(console: ConsoleAdapter) -> None:
    said = await console.push("/setings")
    assert "Did you mean /settings?" in said[0].text


async def test_over_long_text_is_refused_and_not_stored(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    said = await console.push("/settings tz " + "A" * 5000)
    assert "a bit long" in said[0].text
    assert await store.members.count() == 0  # nothing stored, not even the member


async def test_private_commands_from_a_group_answer_privately(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    said = await console.push("/mydata")
    assert [s.to for s in said] == ["Alex (private)", "group recovery"]
    assert said[0].document is not None  # the export itself goes to the private chat
    assert said[1].text == "I've sent you a private message." and said[1].document is None
    said = await console.push("/forget")
    assert said[0].to == "Alex (private)" and "erases everything" in said[0].text
    assert all("erase" not in s.text for s in said if s.to == "group recovery")


async def test_member_cannot_configure_the_community(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push(":group recovery")
    said = await console.push("/community tz Europe/London")
    assert "Only moderators can use /community" in said[0].text
    community = await store.communities.find("console", "recovery")
    assert community is not None and community.tz is None


async def test_moderator_configures_the_community(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    assert "Saved" in (await console.push("/community tz london"))[0].text
    assert "Saved" in (await console.push("/community celebrations on"))[0].text
    assert "announcement channel" in (await console.push("/community announce"))[0].text
    bad = (await console.push("/community tz Atlantis"))[0].text
    assert "couldn't find the time zone" in bad
    bad = (await console.push("/community celebrations maybe"))[0].text
    assert "isn't on or off" in bad
    c = await store.communities.find("console", "recovery")
    assert c is not None
    assert (c.tz, c.allow_celebrations, c.announce_chat_id) == ("Europe/London", True, "recovery")
    summary = (await console.push("/community"))[0].text
    assert "Europe/London" in summary


async def test_community_command_in_private_is_explained(console: ConsoleAdapter) -> None:
    said = await console.push("/community")
    assert "works in a group chat" in said[0].text


async def test_bot_added_to_a_group_registers_the_community(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    said = await console.push(":group recovery")
    assert "I'm Harbor" in said[0].text and said[0].to == "group recovery"
    assert await store.communities.find("console", "recovery") is not None


async def test_private_command_in_a_group_answers_privately(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    said = await console.push("/settings")
    assert said[0].to == "Alex (private)" and "Time zone" in said[0].text
    assert said[1].to == "group recovery" and "private message" in said[1].text


async def test_error_boundary_says_sorry_and_logs_no_content(
    harbor: Harbor, console: ConsoleAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(ctx) -> None:  # type: ignore[no-untyped-def]
        raise ValueError(f"bug while handling {ctx.event.text!r}")

    harbor.core.router = Router(
        [Routes(commands=[Command(name="broken", handler=broken, help_key="help.help")])]
    )
    caplog.set_level(logging.DEBUG)
    said = await console.push("/broken my secret craving note")
    assert said[0].text.startswith("Sorry, something went wrong")
    assert "ValueError" in caplog.text
    assert "secret craving" not in caplog.text
    # The bot goes on working afterwards.
    harbor.core.router = Router(
        [Routes(commands=[Command(name="ok", handler=_ok, help_key="help.help")])]
    )
    assert (await console.push("/ok"))[0].text == "fine"


async def _ok(ctx) -> None:  # type: ignore[no-untyped-def]
    ctx.say("fine")


async def test_settings_shows_and_sets_the_checkin_time(console: ConsoleAdapter) -> None:
    said = await console.push("/settings")
    assert "Daily check-in: off" in said[0].text
    said = await console.push("/settings checkin 7:30 pm")
    assert "19:30" in said[0].text
    said = await console.push("/settings")
    assert "Daily check-in: 19:30" in said[0].text


async def test_one_member_in_a_loop_is_slowed_kindly_and_crisis_still_answers(
    console: ConsoleAdapter, clock: ManualClock
) -> None:
    answered = 0
    notes = []
    for _ in range(40):
        said = await console.push("/help")
        answered += sum("what I can do" in s.text for s in said)
        notes += [s for s in said if "faster than I can keep up" in s.text]
    assert answered == 20 and len(notes) == 1  # the burst, then one kind note
    said = await console.push("/crisis")
    assert "not alone" in said[0].text  # never limited
    await console.push(":as Sam")
    assert "what I can do" in (await console.push("/help"))[0].text  # others unaffected
    await console.push(":as Alex")
    clock.advance(timedelta(seconds=10))  # 30 a minute: five more
    assert "what I can do" in (await console.push("/help"))[0].text
