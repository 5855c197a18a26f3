"""The meetings defects a new member and a moderator met (issue #16, items 13-16 and the
meetings wording), each reproduced through the console, and the bounded answers to a broken
feed (issue #14)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import icalendar

from adapters.console import ConsoleAdapter, Said
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from storage.sql.store import SQLStore

LINE = "Tuesday Night | tue | 19:00 | | 90 | https://zoom.us/j/123 | O,D"


def texts(said: list[Said]) -> str:
    return "\n---\n".join(s.text for s in said)


async def group(console: ConsoleAdapter, *lines: str) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community tz America/New_York")
    for line in lines:
        said = await console.push(f"/meeting add {line}")
        assert "Saved" in said[0].text, said[0].text


# -- item 13: /attended -----------------------------------------------------------------------


async def test_attended_by_name_logs_that_meetings_last_occurrence(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await group(console, LINE)
    await console.push(":as Sam")
    await console.push("/meetings")  # Sam is seen in the group
    await console.push(":dm")
    # Wednesday 25 November: Tuesday Night last met yesterday (New York time).
    said = texts(await console.push("/attended Tuesday Night"))
    assert said.startswith("Logged: Tuesday Night on 2026-11-24.")
    assert "isn't one of" not in said
    sam = await store.members.find("console", "sam")
    assert sam is not None
    [entry] = await store.meetings.attendance(sam.id)
    assert (entry.meeting_id, entry.day) == (1, "2026-11-24")
    # While it is on, "today" is its date; a name nobody uses is kept as written, today.
    await console.push(":time 2026-12-01T19:30-05:00")
    assert "on 2026-12-01" in texts(await console.push("/attended tuesday night"))
    said = texts(await console.push("/attended Thursday Beach Meeting"))
    assert "Thursday Beach Meeting on 2026-12-01" in said and "as you wrote it" in said
    assert "on 2026-11-24" in texts(await console.push("/attended Tuesday Night 2026-11-24"))


# -- item 14: /meetings in private --------------------------------------------------------------


async def test_meetings_in_private_before_the_bot_knows_the_members_group(
    console: ConsoleAdapter,
) -> None:
    await group(console, LINE)
    await console.push(":as Newcomer")
    await console.push(":dm")
    said = texts(await console.push("/meetings"))
    assert "No meetings are set up yet" not in said
    assert "I don't know your group yet" in said and "Send /meetings once in your group" in said
    await console.push(":group recovery")
    await console.push("/meetings")
    await console.push(":dm")
    assert "Tuesday Night (#1)" in texts(await console.push("/meetings"))


async def test_meetings_in_private_names_the_groups_without_meetings(
    console: ConsoleAdapter,
) -> None:
    for name in ("recovery", "sunrise"):
        await console.push(f":group {name}")
        await console.push("hi everyone")
    await console.push(":dm")
    said = texts(await console.push("/meetings"))
    assert "No meetings are set up yet in " in said
    assert "recovery" in said and "sunrise" in said


# -- item 15: the calendar starts when the meeting did --------------------------------------


async def test_ics_recurrence_starts_at_the_meetings_creation(console: ConsoleAdapter) -> None:
    await group(console, LINE)
    said = await console.push("/meetings ics")
    doc = said[0].document
    assert doc is not None
    [event] = icalendar.Calendar.from_ical(doc.content).walk("VEVENT")
    start = event["DTSTART"].dt
    # Created Wednesday 25 November 2026: the first Tuesday on or after it.
    assert (start.date().isoformat(), start.hour, str(start.tzinfo)) == (
        "2026-12-01",
        19,
        "America/New_York",
    )
    assert b"2024" not in doc.content


# -- item 16: /meeting list privately ---------------------------------------------------------


async def test_moderators_see_the_meeting_list_privately(console: ConsoleAdapter) -> None:
    await group(console, LINE)
    await console.push(":as Sam")
    await console.push("/going 1")
    await console.push(":as Alex")
    said = await console.push("/meeting list")  # in the group: counts go to Alex only
    assert said[0].to == "Alex (private)" and "Going on 2026-12-01: 1" in said[0].text
    assert all("Going on" not in s.text for s in said if s.to == "group recovery")
    await console.push(":dm")
    said = await console.push("/meeting list")
    assert "Meetings of recovery (1):" in said[0].text and "Going on 2026-12-01: 1" in said[0].text
    await console.push(":as Sam")
    await console.push(":dm")
    assert "/meeting list is for moderators" in texts(await console.push("/meeting list"))


# -- wording ------------------------------------------------------------------------------------


async def test_reminder_leads_and_days_read_naturally(console: ConsoleAdapter) -> None:
    await group(console)
    said = texts(await console.push("/meeting add Daily Hope | daily | 07:00 | | 60 | 1 Main St"))
    assert "Saved: Daily Hope (#1, daily-hope), every day at 07:00" in said
    assert "once the group has an announcement channel" in said
    await console.push("/community announce")
    said = texts(await console.push("/meeting add Weekdays | mon-fri | 12:00 | | 60 | 2 Main St"))
    assert "every weekday (Mon–Fri)" in said
    assert "I'll announce it 1 hour before in the announcement channel." in said
    assert "(set it with" not in said
    said = texts(await console.push("/meeting add Twice | tue,thu | 12:00 | | 60 | 3 Main St"))
    assert "every Tue and Thu at 12:00" in said
    said = texts(await console.push("/remind 1 2h"))
    assert "I'll remind you privately 2 hours before each Daily Hope" in said
    assert "120 min" not in said
    assert "• Daily Hope (#1): 2 hours before" in texts(await console.push("/remind"))
    said = texts(await console.push("/meeting edit 2 remind 90"))
    assert "announce it 1 hour 30 minutes before" in said


async def test_empty_fields_are_named_not_echoed(console: ConsoleAdapter) -> None:
    await group(console)
    said = texts(await console.push("/meeting add Nameless | | 19:00"))
    assert "needs at least one day" in said and '""' not in said
    said = texts(await console.push("/meeting add Timeless | tue |"))
    assert "needs a start time" in said and '""' not in said


async def test_a_group_listing_is_capped_and_points_to_the_private_one(
    console: ConsoleAdapter,
) -> None:
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    await group(console, *(f"Group {d} | {d} | 19:00 | | 60 | 1 Main St" for d in days))
    await console.push(":as Sam")
    said = await console.push("/meetings")
    public = said[0].text
    assert said[0].to == "group recovery" and public.count("• ") == 5
    assert "send me /meetings in our private chat to see them all" in public
    await console.push(":dm")
    assert (await console.push("/meetings"))[0].text.count("• ") == 7


async def test_a_private_address_is_refused_in_one_sentence(
    store: SQLStore, clock: ManualClock
) -> None:
    harbor = build(store, clock, Settings())
    console = ConsoleAdapter(clock=clock)
    harbor.attach(console)
    await console.start(harbor.core)
    await group(console)
    said = texts(await console.push("/meeting import http://10.0.0.7/feed.json"))
    assert said.count("Nothing was imported") == 1 and "private network" in said


async def test_a_broken_feed_gets_a_bounded_summary(
    console: ConsoleAdapter, tmp_path: Path
) -> None:
    await group(console)
    rows = [
        {"name": f"Row {i}", "slug": f"row-{i}", "day": 1, "time": "x" * 10_000} for i in range(100)
    ]
    rows.append(
        {"name": "Fine", "slug": "fine", "day": 1, "time": "19:00", "formatted_address": "1 A St"}
    )
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(rows))
    await console.push(f":attach {path}")
    said = texts(await console.push("/meeting import"))
    assert "Import done: 1 new, 0 updated, 100 skipped." in said
    assert said.count("• Row") == 20 and "…and 80 more skipped." in said
    assert "x" * 40 not in said  # a bad value is never quoted whole
    assert len(said) < 3_000


async def test_a_meeting_in_progress_reads_now(console: ConsoleAdapter, clock: ManualClock) -> None:
    await group(console, LINE)
    clock.set(datetime(2026, 12, 2, 0, 30, tzinfo=UTC))
    said = texts(await console.push("/meetings"))
    assert "Tue 1 Dec 19:00 (America/New_York), now: Tuesday Night" in said
