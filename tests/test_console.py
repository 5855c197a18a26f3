"""The console adapter's own controls, as a newcomer would use them."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from adapters.console import ConsoleAdapter, parse_duration, split_command
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from storage.sql.store import SQLStore
from tests.fakes.console_helpers import console_for


def test_durations_and_commands_parse() -> None:
    assert parse_duration("90m") == timedelta(minutes=90)
    assert parse_duration("6h") == timedelta(hours=6)
    assert parse_duration("2d") == timedelta(days=2)
    with pytest.raises(ValueError):
        parse_duration("soon")
    assert split_command("/Sober@HarborBot 2026-03-14 alcohol") == ("sober", "2026-03-14 alcohol")
    assert split_command("hello") == (None, "")


async def test_time_only_moves_forward_and_needs_an_offset(console: ConsoleAdapter,
                                                          clock: ManualClock) -> None:
    out = io.StringIO()
    console.out = out
    before = clock.now()
    await console.push(":time 2026-01-01T00:00+00:00")
    await console.push(":time 2026-12-01T08:00")
    assert clock.now() == before
    assert "only moves forward" in out.getvalue() and "UTC offset" in out.getvalue()
    await console.push(":advance 2d")
    assert clock.now() == before + timedelta(days=2)


async def test_unknown_controls_and_buttons_are_explained(console: ConsoleAdapter) -> None:
    out = io.StringIO()
    console.out = out
    await console.push(":frobnicate")
    await console.push(":press Nothing")
    text = out.getvalue()
    assert "unknown console command ':frobnicate'" in text
    assert "no button 'Nothing'" in text


async def test_script_stops_at_quit(console: ConsoleAdapter) -> None:
    await console.run_lines(io.StringIO("/help\n:quit\n/privacy\n"), echo=False)
    assert len(console.said) == 1 and "Here's what I can do" in console.said[0].text


async def test_privacy_explains_what_is_kept(console: ConsoleAdapter) -> None:
    said = await console.push("/privacy")
    assert "I don't log what you write" in said[0].text
    assert "/mydata" in said[0].text and "/forget" in said[0].text
    assert said[0].to == "Alex (private)"


async def test_privacy_says_how_long_messages_are_kept(
    console: ConsoleAdapter, store: SQLStore, clock: ManualClock
) -> None:
    """Retention (issue 14): a delivered message's text is dropped at once, the finished
    row deleted after `[retention] sent_days`, and /privacy says so with the configured
    number."""
    text = (await console.push("/privacy"))[0].text
    assert "30 days" in text
    assert "as soon as it is delivered" in text
    short = Settings.model_validate({"retention": {"sent_days": 7}})
    other = await console_for(build(store, clock, short), clock)
    text = (await other.push("/privacy"))[0].text
    assert "7 days" in text and "30 days" not in text
