"""Meetings through the console: moderators define them, members list them in their own time,
reminders go out exactly once per occurrence, RSVPs, attendance, feed import and ICS export."""

from __future__ import annotations

import argparse
import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest
import recurring_ical_events
from aiohttp import web

from adapters.console import ConsoleAdapter
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.runtime import Harbor
from bot.meetings import feed_import as meeting_import
from bot.meetings.cli import (
    MeetingsCliError,
    add_meetings_parser,
    export,
    import_file,
    run_meetings,
)
from storage.rows import CommunityUpdate
from storage.sql.store import SQLStore

ROOT = Path(__file__).parents[1]
DATA = Path(__file__).parent / "data"
SAMPLE = DATA / "meeting_guide_sample.json"
LINE = "Tuesday Night | tue | 19:00 | | 90 | https://zoom.us/j/123 | O,D | Side door"

@pytest.fixture
def settings() -> Settings:
    """This module's feed server runs on 127.0.0.1: private addresses are allowed here."""
    return Settings.model_validate({"meetings": {"allow_private_feed_urls": True}})


@pytest.fixture
async def harbor(store: SQLStore, clock: ManualClock, settings: Settings) -> Harbor:
    return build(store, clock, settings)


def texts(said: list[Any]) -> str:
    return "\n---\n".join(s.text for s in said)


async def setup_group(console: ConsoleAdapter, line: str = LINE) -> None:
    """Moderator Alex creates the group, sets New York time and adds a meeting (id 1)."""
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community tz America/New_York")
    said = await console.push(f"/meeting add {line}")
    assert "Saved" in said[0].text, said[0].text


async def meeting_count(store: SQLStore) -> int:
    return int(await store.db.fetchval("SELECT COUNT(*) FROM meetings"))


async def outbox_keys(store: SQLStore) -> list[str]:
    rows = await store.db.fetch("SELECT dedupe_key FROM outbox ORDER BY id")
    return [r[0] for r in rows]


# -- defining and listing ---------------------------------------------------------------------

async def test_member_lists_meetings_in_own_time(console: ConsoleAdapter) -> None:
    await setup_group(console)
    await console.push(":as Sam")
    said = await console.push("/meetings")
    # 2026-11-25 is a Wednesday; next Tuesday 19:00 in the community's New York time.
    assert "Tue 1 Dec 19:00 (America/New_York), in 7 days: Tuesday Night (#1)" in said[0].text
    await console.push(":dm")
    await console.push("/settings tz Europe/London")
    said = await console.push("/meetings")
    assert "Wed 2 Dec 00:00" in said[0].text and "Europe/London" in said[0].text
    detail = texts(await console.push("/meeting 1"))
    assert "Meets every Tue at 19:00 (America/New_York), for 1 hour 30 minutes" in detail
    assert "Join: https://zoom.us/j/123" in detail and "Open, Discussion" in detail
    assert "Going on" not in detail  # the RSVP count is for moderators


async def test_display_across_dst_for_a_member_elsewhere(console: ConsoleAdapter,
                                                         clock: ManualClock) -> None:
    await setup_group(console)
    await console.push(":as Sam")
    await console.push("/meetings")  # Sam is seen in the group
    await console.push(":dm")
    await console.push("/settings tz Europe/London")
    await console.push(":time 2027-03-09T12:00+00:00")
    assert "Wed 10 Mar 00:00" in (await console.push("/meetings"))[0].text  # EST vs GMT
    await console.push(":time 2027-03-10T12:00+00:00")
    assert "Tue 16 Mar 23:00" in (await console.push("/meetings"))[0].text  # EDT vs GMT
    await console.push(":time 2027-03-22T12:00+00:00")
    assert "Tue 23 Mar 23:00" in (await console.push("/meetings"))[0].text
    await console.push(":time 2027-03-29T12:00+00:00")
    assert "Wed 31 Mar 00:00" in (await console.push("/meetings"))[0].text  # EDT vs BST
    await console.push(":time 2027-03-30T23:30+00:00")
    assert "Wed 31 Mar 00:00 (Europe/London), now: Tuesday Night" in \
        (await console.push("/meetings"))[0].text


async def test_edit_changes_schedule_and_keeps_id(console: ConsoleAdapter,
                                                  store: SQLStore) -> None:
    await setup_group(console)
    said = await console.push("/meeting edit 1 time 7:30pm")
    assert "at 19:30" in said[0].text
    said = await console.push("/meeting edit 1 place 12 Hope St, Springfield")
    detail = texts(await console.push("/meeting 1"))
    assert "Where: 12 Hope St, Springfield" in detail and "https://zoom.us/j/123" in detail
    await console.push("/meeting edit 1 remind 30")
    row = await store.meetings.get(1)  # type: ignore[attr-defined]
    assert row.spec["start"] == "19:30" and row.spec["remind_before_min"] == 30
    assert "announced 30 minutes before" in texts(await console.push("/meeting list"))
    await console.push("/meeting remove 1")
    assert await meeting_count(store) == 0


async def test_guided_add(console: ConsoleAdapter, store: SQLStore) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    said = await console.push("/meeting add")
    assert said[0].to == "Alex (private)" and "called" in said[0].text
    await console.push(":dm")
    for answer in ("Morning Light", "mon-fri", "7am", "-", "-"):
        await console.push(answer)
    said = await console.push("ftp://nope")
    assert "only http" in said[0].text  # asked again
    await console.push("https://meet.example.org/x")
    await console.push("O")
    said = await console.push("-")
    assert "Saved: Morning Light" in said[0].text and "every weekday (Mon–Fri)" in said[0].text
    row = await store.meetings.get(1)  # type: ignore[attr-defined]
    assert row.spec["url"] == "https://meet.example.org/x" and row.spec["tz"] == "UTC"


# -- refusals and bad input -------------------------------------------------------------------

async def test_members_cannot_change_meetings(console: ConsoleAdapter, store: SQLStore) -> None:
    await setup_group(console)
    await console.push(":as Sam")
    for cmd in ("add " + LINE, "edit 1 time 20:00", "remove 1", "skip 1 2026-12-01",
                "import https://example.org/feed.json"):
        said = await console.push(f"/meeting {cmd}")
        name = "meeting " + cmd.split()[0]
        assert f"Only moderators can use /{name}. Nothing was changed." in said[0].text
    await console.push(":dm")
    said = await console.push("/meeting add " + LINE)
    assert "works in a group chat" in said[0].text
    row = await store.meetings.get(1)  # type: ignore[attr-defined]
    assert await meeting_count(store) == 1 and row.spec["start"] == "19:00"
    assert row.spec["skipped"] == []


@pytest.mark.parametrize(("line", "expected"), [
    ("X | funday | 19:00", "isn't a day of the week"),
    ("X | tue | 25:00", "isn't a time"),
    ("X | tue | 19:00 | Mars/Base", "couldn't find the time zone"),
    ("X | tue | 19:00 | | | javascript:alert(1)", "only http:// and https://"),
    ("X | tue | 19:00 | | | ftp://example.org/m", "only http:// and https://"),
    ("X | tue | 19:00 | | forever", "isn't a duration"),
    ("just a name", "separate the fields"),
])
async def test_invalid_input_changes_nothing(console: ConsoleAdapter, store: SQLStore,
                                             line: str, expected: str) -> None:
    await setup_group(console)
    said = await console.push(f"/meeting add {line}")
    assert expected in said[0].text and "Example: /meeting add" in said[0].text
    await console.push(f"/meeting edit 1 {line.partition(' | ')[2] or line}")
    row = await store.meetings.get(1)  # type: ignore[attr-defined]
    assert await meeting_count(store) == 1 and row.spec["start"] == "19:00"
    assert row.spec["url"] == "https://zoom.us/j/123"


async def test_bad_skip_and_edit_are_refused(console: ConsoleAdapter, store: SQLStore) -> None:
    await setup_group(console)
    assert "doesn't happen on" in (await console.push("/meeting skip 1 2026-12-02"))[0].text
    assert "in the past" in (await console.push("/meeting skip 1 2026-11-24"))[0].text
    assert "isn't a date" in (await console.push("/meeting skip 1 someday"))[0].text
    assert "couldn't find a meeting" in (await console.push("/meeting edit 9 time 1pm"))[0].text
    assert "isn't a time" in (await console.push("/meeting edit 1 time 26:00"))[0].text
    row = await store.meetings.get(1)  # type: ignore[attr-defined]
    assert row.spec["skipped"] == [] and row.spec["start"] == "19:00"


# -- reminders --------------------------------------------------------------------------------

async def subscribe_sam(console: ConsoleAdapter) -> None:
    await console.push("/community announce")
    await console.push(":as Sam")
    await console.push(":dm")
    await console.push("/settings tz Europe/London")
    await console.push(":group recovery")
    said = await console.push("/remind 1 30m")
    assert said[0].to == "Sam (private)" and "30 minutes before" in said[0].text


async def test_reminders_exactly_once(console: ConsoleAdapter, harbor: Harbor,
                                      store: SQLStore, clock: ManualClock,
                                      settings: Settings) -> None:
    await setup_group(console)
    await subscribe_sam(console)
    said = await console.push(":time 2026-12-01T23:00+00:00")  # 1 h before, New York 18:00
    assert len(said) == 1 and said[0].to == "group recovery"
    assert "Tuesday Night starts in 1 hour: Tue 1 Dec 19:00 (America/New_York)" in said[0].text
    assert "Join: https://zoom.us/j/123" in said[0].text
    said = await console.push(":time 2026-12-01T23:30+00:00")
    assert len(said) == 1 and said[0].to == "Sam (private)"
    assert "in 30 minutes, at Wed 2 Dec 00:00 your time (Europe/London)" in said[0].text
    assert "https://zoom.us/j/123" in said[0].text
    before = await outbox_keys(store)
    assert before == ["reminder:1:2026-12-01", "reminder:1:2026-12-01:m2"]
    # Sweeping again, twice, and after a restart plans nothing new.
    await harbor.tick()
    await harbor.sweeper.run(clock.now())
    await harbor.sweeper.run(clock.now())
    restarted = build(store, clock, settings)
    other = ConsoleAdapter(clock=clock)
    restarted.attach(other)
    await restarted.tick()
    assert other.said == [] and await outbox_keys(store) == before
    # Next week's occurrence gets its own pair.
    said = await console.push(":time 2026-12-08T23:31+00:00")
    assert [s.to for s in said] == ["group recovery", "Sam (private)"]
    assert "Tue 8 Dec" in said[0].text


async def test_a_reminder_is_planned_one_sweep_early_and_sent_on_time(
        console: ConsoleAdapter, store: SQLStore) -> None:
    """Sweeps run every 20 s: the reminder source looks one interval ahead, so a reminder is
    in the outbox before its time (due at it, not sent early) instead of waiting for the
    first sweep after it."""
    await setup_group(console)
    await subscribe_sam(console)
    said = await console.push(":time 2026-12-01T22:59:50+00:00")  # 10 s before 23:00
    assert said == []
    assert await outbox_keys(store) == ["reminder:1:2026-12-01"]  # planned, not sent
    said = await console.push(":time 2026-12-01T23:00:00+00:00")
    assert [s.to for s in said] == ["group recovery"]
    assert "Tuesday Night starts in 1 hour" in said[0].text  # counted in whole minutes


async def test_skipped_date_gets_no_reminder(console: ConsoleAdapter, store: SQLStore) -> None:
    await setup_group(console)
    await subscribe_sam(console)
    await console.push(":as Alex")
    said = await console.push("/meeting skip 1 2026-12-01")
    assert "cancelled" in said[0].text
    assert "Cancelled on: 2026-12-01" in texts(await console.push("/meeting 1"))
    assert "Tue 8 Dec" in (await console.push("/meetings"))[0].text
    assert await console.push(":time 2026-12-02T02:00+00:00") == []
    said = await console.push(":time 2026-12-08T23:30+00:00")
    assert [s.to for s in said] == ["group recovery", "Sam (private)"]
    assert all("2026-12-01" not in k for k in await outbox_keys(store))
    # Undoing the skip brings the date back.
    assert "back on" in (await console.push("/meeting unskip 1 2026-12-15"))[0].text


async def test_no_announcement_channel_still_reminds_subscribers(
        console: ConsoleAdapter, store: SQLStore) -> None:
    await setup_group(console)
    await console.push(":as Sam")
    await console.push("/remind 1")  # the meeting's own lead: 60 min
    said = await console.push(":time 2026-12-01T23:00+00:00")
    assert [s.to for s in said] == ["Sam (private)"]
    assert "19:00 your time (America/New_York)" in said[0].text
    assert "No more" in (await console.push("/remind 1 off"))[0].text


# -- RSVPs and attendance ---------------------------------------------------------------------

async def test_rsvp_count_visible_to_moderators(console: ConsoleAdapter) -> None:
    await setup_group(console)
    for name in ("Sam", "Kim"):
        await console.push(f":as {name}")
        said = await console.push("/going 1")
        assert said[0].to == f"{name} (private)" and "Tue 1 Dec 19:00" in said[0].text
    await console.push("/going 1")  # twice counts once
    assert "Going on" not in texts(await console.push("/meeting 1"))
    await console.push(":as Alex")
    assert "Going on 2026-12-01: 2" in texts(await console.push("/meeting 1"))
    assert "Going on 2026-12-01: 2" in texts(await console.push("/meeting list"))
    await console.push(":as Kim")
    await console.push("/going 1 off")
    await console.push(":as Alex")
    assert "Going on 2026-12-01: 1" in texts(await console.push("/meeting 1"))


async def test_attendance_log_and_export(console: ConsoleAdapter, store: SQLStore) -> None:
    await setup_group(console)
    await console.push(":as Sam")
    await console.push("/meetings")  # Sam is seen in the group
    await console.push(":dm")
    assert "Logged: Tuesday Night on 2026-11-24" in \
        (await console.push("/attended 1 2026-11-24"))[0].text
    assert "already" in (await console.push("/attended 1 2026-11-24"))[0].text
    said = await console.push("/attended =HYPERLINK(x) yesterday")
    assert "as you wrote it" in said[0].text
    assert "future" in (await console.push("/attended 1 2026-12-24"))[0].text
    said = await console.push("/attendance")
    doc = said[0].document
    assert doc is not None and doc.filename == "attendance.csv" and doc.mime == "text/csv"
    rows = list(csv.reader(io.StringIO(doc.content.decode())))
    assert rows[0] == ["date", "meeting", "recorded_at_utc"]
    assert [r[:2] for r in rows[1:]] == [["2026-11-24", "Tuesday Night"],
                                         ["2026-11-24", "'=HYPERLINK(x)"]]
    await console.push(":group recovery")
    said = await console.push("/attendance")  # from a group: answered in private only
    assert said[0].to == "Sam (private)" and said[0].document is not None
    assert all(s.document is None and "HYPERLINK" not in s.text for s in said[1:])
    # Removing the meeting keeps the proof of attendance.
    await console.push(":as Alex")
    await console.push("/meeting remove 1")
    rows_left = await store.meetings.attendance(2)  # type: ignore[attr-defined]
    assert rows_left[0].meeting_name == "Tuesday Night" and rows_left[0].meeting_id is None


async def test_member_tables_cascade_on_forget(store: SQLStore) -> None:
    for table in ("meeting_subscriptions", "rsvps", "attendance"):
        fks = await store.db.fetch(f"PRAGMA foreign_key_list({table})")
        member_fk = [fk for fk in fks if fk[2] == "members"]
        assert member_fk and member_fk[0][6] == "CASCADE", table
    fks = await store.db.fetch("PRAGMA foreign_key_list(meetings)")
    assert sorted((fk[2], fk[6]) for fk in fks) == [
        ("communities", "CASCADE"), ("meeting_sources", "CASCADE")]


# -- import -----------------------------------------------------------------------------------

SAMPLE_SUMMARY = "Import done: 5 new, 0 updated, 9 skipped."


async def test_import_attached_feed_and_reimport_updates(console: ConsoleAdapter,
                                                         store: SQLStore,
                                                         tmp_path: Path) -> None:
    await setup_group(console)
    await console.push(f":attach {SAMPLE}")
    said = await console.push("/meeting import")
    text = said[0].text
    assert SAMPLE_SUMMARY in text
    assert "• By Appointment: no day or time (by appointment)" in text
    assert "Mars Time: unknown time zone" in text and "missing slug" in text
    await console.push(f":attach {SAMPLE}")
    assert "0 new, 5 updated" in (await console.push("/meeting import"))[0].text
    assert await meeting_count(store) == 6
    changed = json.loads(SAMPLE.read_text())
    changed[0]["name"] = "Sunday Serenity (new room)"
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(changed))
    await console.push(f":attach {path}")
    await console.push("/meeting import")
    listing = texts(await console.push("/meeting list"))
    assert "Sunday Serenity (new room) (sunday-serenity)" in listing
    assert await meeting_count(store) == 6
    detail = texts(await console.push("/meeting weekday-online"))
    assert "Online, Ukrainian, Closed" in detail


async def test_malformed_feed_imports_nothing(console: ConsoleAdapter, store: SQLStore,
                                              tmp_path: Path) -> None:
    await setup_group(console)
    bad = tmp_path / "bad.json"
    bad.write_text(SAMPLE.read_text()[:-20])
    await console.push(f":attach {bad}")
    said = await console.push("/meeting import")
    assert "Nothing was imported: the feed is not valid JSON." in said[0].text
    (tmp_path / "obj.json").write_text('{"name": "x"}')
    await console.push(f":attach {tmp_path / 'obj.json'}")
    assert "JSON list" in (await console.push("/meeting import"))[0].text
    assert await meeting_count(store) == 1


@pytest.fixture
async def feed_server() -> AsyncIterator[str]:
    big = b"[" + b" " * 2000 + b"]"

    async def feed(_: web.Request) -> web.Response:
        return web.Response(body=SAMPLE.read_bytes(), content_type="application/json")

    async def huge(_: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(_)
        for _i in range(10):
            await resp.write(big)
        await resp.write_eof()
        return resp

    app = web.Application()
    app.router.add_get("/feed.json", feed)
    app.router.add_get("/huge.json", huge)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_import_by_url(console: ConsoleAdapter, store: SQLStore, feed_server: str,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    await setup_group(console)
    said = await console.push(f"/meeting import {feed_server}/feed.json")
    assert SAMPLE_SUMMARY in said[0].text
    said = await console.push(f"/meeting import {feed_server}/missing.json")
    assert "Nothing was imported: the address didn't return a feed" in said[0].text
    monkeypatch.setattr(meeting_import, "FEED_MAX_BYTES", 5000)
    said = await console.push(f"/meeting import {feed_server}/huge.json")
    assert "Nothing was imported: the feed is larger than" in said[0].text
    said = await console.push("/meeting import file:///etc/passwd")
    assert "only http" in said[0].text
    assert await meeting_count(store) == 6


async def test_cli_import_and_export(console: ConsoleAdapter, store: SQLStore,
                                     tmp_path: Path) -> None:
    await setup_group(console)
    summary = await import_file(store, SAMPLE, "console:recovery", "UTC")
    assert SAMPLE_SUMMARY in summary
    assert "0 new, 5 updated" in await import_file(store, SAMPLE, "1", "UTC")
    with pytest.raises(MeetingsCliError, match="no community"):
        await import_file(store, SAMPLE, "telegram:404", "UTC")
    bad = tmp_path / "bad.json"
    bad.write_text("[{")
    with pytest.raises(MeetingsCliError, match="nothing was imported"):
        await import_file(store, bad, "1", "UTC")
    ics = await export(store, "1")
    cal = icalendar.Calendar.from_ical(ics)
    uids = sorted(str(e["UID"]) for e in cal.walk("VEVENT"))
    assert len(uids) == 6 and "harbor-1-1@harbor" in uids


async def test_ics_export_reads_back(console: ConsoleAdapter) -> None:
    await setup_group(console)
    await console.push("/meeting skip 1 2026-12-08")
    await console.push(":as Sam")
    said = await console.push("/meetings ics")
    doc = said[0].document
    assert doc is not None and doc.filename == "meetings.ics" and doc.mime == "text/calendar"
    cal = icalendar.Calendar.from_ical(doc.content)
    events = recurring_ical_events.of(cal).between(date(2026, 12, 1), date(2026, 12, 22))
    starts = sorted(e["DTSTART"].dt.astimezone(UTC) for e in events)
    assert starts == [datetime(2026, 12, 2, 0, 0, tzinfo=UTC),
                      datetime(2026, 12, 16, 0, 0, tzinfo=UTC)]
    assert str(events[0]["UID"]) == "harbor-1-1@harbor"


def test_cli_parser_and_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_meetings_parser(parser.add_subparsers(dest="cmd"))
    db = str(tmp_path / "cli.db")
    args = parser.parse_args(["meetings", "import", str(SAMPLE), "--community", "7",
                              "--db", db])
    assert run_meetings(args, Settings()) == 1
    assert "no community '7'" in capsys.readouterr().err


async def test_example_script(console: ConsoleAdapter) -> None:
    said = []
    for line in (ROOT / "examples/meetings.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            said += await console.push(line)
    (announcement,) = [s for s in said if "starts in 1 hour" in s.text]
    assert announcement.to == "group recovery"
    (reminder,) = [s for s in said if "Reminder: Tuesday Night" in s.text]
    assert reminder.to == "Sam (private)" and "Wed 2 Dec 00:00 your time" in reminder.text
    listing = said[-1]  # the moderator's list, asked for in the private chat
    assert listing.to == "Alex (private)" and "private reminders: 1" in listing.text


async def test_group_listing_does_not_reveal_a_members_time_zone(console: ConsoleAdapter) -> None:
    await console.push("/settings tz Asia/Tokyo")
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community tz America/New_York")
    await console.push("/meeting add Evening | wed | 19:00 | | 60 | https://zoom.us/j/1")
    said = await console.push("/meetings")
    public = "\n".join(s.text for s in said if s.to == "group recovery")
    assert "Asia/Tokyo" not in public and "America/New_York" in public


async def test_feed_urls_inside_private_networks_are_refused(
        store: SQLStore, clock: ManualClock, feed_server: str) -> None:
    harbor = build(store, clock, Settings())  # the default: private addresses refused
    console = ConsoleAdapter(clock=clock)
    harbor.attach(console)
    await console.start(harbor.core)
    await setup_group(console)
    before = await meeting_count(store)
    for url in (f"{feed_server}/feed.json", "http://[::1]/feed.json", "http://10.0.0.7/x",
                "http://169.254.169.254/latest/meta-data", "http://localhost:9/feed.json"):
        said = await console.push(f"/meeting import {url}")
        assert "private network" in said[0].text, url
    assert await meeting_count(store) == before


async def test_no_reminders_after_the_bot_left_and_members_can_still_stop_them(
        console: ConsoleAdapter, store: SQLStore) -> None:
    await setup_group(console)  # Tuesday Night, tue 19:00 New York, id 1
    await console.push(":as Sam")
    await console.push(":group recovery")
    await console.push("/remind 1 30m")
    community = await store.communities.find("console", "recovery")
    assert community is not None
    await store.communities.update(community.id, CommunityUpdate(active=False))  # bot removed
    said = await console.push(":time 2026-12-01T18:45-05:00")
    assert not any("Tuesday Night" in s.text for s in said)
    await console.push(":dm")
    said = await console.push("/remind 1 off")
    assert "Tuesday Night" in said[0].text and "couldn't find" not in said[0].text
    assert await store.meetings.subscriptions(  # type: ignore[attr-defined]
        (await store.members.find("console", "sam")).id) == []  # type: ignore[union-attr]


async def test_import_normalises_slugs_and_never_overwrites_a_hand_made_meeting(
        console: ConsoleAdapter, store: SQLStore, tmp_path: Path) -> None:
    await setup_group(console)  # the hand-made "Tuesday Night", slug tuesday-night
    feed = [
        {"name": "Morning Light", "slug": "Morning-Light", "day": 1, "time": "07:00",
         "formatted_address": "1 Main St"},
        {"name": "Number Group", "slug": "42", "day": 2, "time": "12:00",
         "conference_url": "https://zoom.us/j/42"},
        {"name": "Imported Tuesday", "slug": "tuesday-night", "day": 2, "time": "20:00",
         "formatted_address": "2 Main St"},
    ]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(feed))
    await console.push(f":attach {path}")
    said = await console.push("/meeting import")
    assert "3 new" in said[0].text
    hand_made = await store.meetings.get(1)  # type: ignore[attr-defined]
    assert hand_made is not None and hand_made.name == "Tuesday Night"
    assert "Morning Light" in (await console.push("/meeting morning-light"))[0].text
    assert "Number Group" in (await console.push("/meeting m-42"))[0].text
    assert "Imported Tuesday" in (await console.push("/meeting tuesday-night-2"))[0].text
    # Importing again updates the imported rows by slug and still leaves #1 alone.
    await console.push(f":attach {path}")
    said = await console.push("/meeting import")
    assert "0 new, 3 updated" in said[0].text
    assert (await store.meetings.get(1)).name == "Tuesday Night"  # type: ignore[attr-defined]
