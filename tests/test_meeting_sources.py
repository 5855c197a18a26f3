"""Meeting sources end to end: a moderator adds a live feed (TSML, BMLT, an online feed) served
by a fake host on 127.0.0.1; the sweep re-syncs it politely; a re-sync that renames, moves and
removes meetings keeps the reminders, RSVPs and attendance of the others; the shrink guard
holds a 90 % drop and asks the moderators; hand-made meetings are never touched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from adapters.console import ConsoleAdapter, Said
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.runtime import Harbor
from bot.meetings.cli import source_add, source_list, source_sync
from storage.sql.store import SQLStore
from tests.fakes.feed_server import (
    BMLT_ROOT_PATH,
    HTML_PATH,
    ONLINE_PATH,
    TSML_PATH,
    FakeFeedServer,
)

TSML_MEETINGS = (
    12  # of the fixture's 15 rows: 3 can't be imported (closed, by appointment, bad day)
)
BMLT_MEETINGS = 10  # of 13


@pytest.fixture
def settings() -> Settings:
    """The fake feed host runs on 127.0.0.1: private addresses are allowed here."""
    return Settings.model_validate({"meetings": {"allow_private_feed_urls": True}})


@pytest.fixture
async def feeds() -> AsyncIterator[FakeFeedServer]:
    server = FakeFeedServer()
    await server.start()
    yield server
    await server.stop()


def texts(said: list[Said]) -> str:
    return "\n---\n".join(s.text for s in said)


async def count(store: SQLStore, sql: str = "SELECT COUNT(*) FROM meetings") -> int:
    return int(await store.db.fetchval(sql))


async def group_with_source(console: ConsoleAdapter, url: str, tz: str = "America/New_York") -> str:
    """Moderator Alex sets up the group and adds the source; returns the answer."""
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push(f"/community tz {tz}")
    await console.push("/community announce")
    said = await console.push(f"/meeting source add {url}")
    return texts(said)


async def meeting_id(store: SQLStore, slug: str) -> int:
    return int(await store.db.fetchval("SELECT id FROM meetings WHERE slug = ?", (slug,)))


def tsml_rows(feeds: FakeFeedServer) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = feeds.json_payload("tsml")
    return rows


# -- adding -----------------------------------------------------------------------------------


async def test_adding_a_tsml_source_imports_it_and_names_harbor(
    console: ConsoleAdapter, store: SQLStore, feeds: FakeFeedServer
) -> None:
    answer = await group_with_source(console, feeds.url(TSML_PATH))
    assert "Added meeting source #1 (TSML)" in answer and "every 6 hours" in answer
    assert f"Synced: {TSML_MEETINGS} new, 0 updated, 0 removed" in answer
    assert "• Typo Tuesday: invalid day 9" in answer
    assert await count(store) == TSML_MEETINGS
    seen = feeds.requests_for("/wp-admin/")
    assert len(seen) == 1 and seen[0].user_agent.startswith("Harbor/")
    assert "peer-support bot" in seen[0].user_agent
    listing = texts(await console.push("/meeting source list"))
    assert "#1 TSML: " + feeds.url(TSML_PATH) in listing
    assert (
        f"{TSML_MEETINGS} meetings · last checked" in listing and "next check in 6 hours" in listing
    )
    # The same address twice is refused, and nothing changes.
    again = texts(await console.push(f"/meeting source add {feeds.url(TSML_PATH)}"))
    assert "already has that source" in again and await count(store) == TSML_MEETINGS


async def test_what_is_not_a_feed_is_refused_clearly(
    console: ConsoleAdapter, store: SQLStore, feeds: FakeFeedServer
) -> None:
    answer = await group_with_source(console, feeds.url(HTML_PATH))
    assert "I didn't add that source: that address returned a web page" in answer
    said = texts(
        await console.push(
            "/meeting source add " + feeds.url("/wp-admin/admin-ajax.php?action=locations")
        )
    )
    assert "isn't the meetings feed" in said
    said = texts(await console.push("/meeting source add ftp://example.org/feed.json"))
    assert "http:// or https://" in said
    said = texts(await console.push("/meeting source add"))
    assert "Usage: /meeting source add" in said
    assert await count(store) == 0
    assert await count(store, "SELECT COUNT(*) FROM meeting_sources") == 0


async def test_members_cannot_manage_sources(
    console: ConsoleAdapter, store: SQLStore, feeds: FakeFeedServer
) -> None:
    await group_with_source(console, feeds.url(TSML_PATH))
    await console.push(":as Sam")
    for cmd in ("add " + feeds.url(ONLINE_PATH), "remove 1", "sync", "list"):
        said = await console.push(f"/meeting source {cmd}")
        assert "Only moderators can use /meeting source" in said[0].text
    assert await count(store, "SELECT COUNT(*) FROM meeting_sources") == 1


async def test_a_bmlt_server_by_its_root_address(
    console: ConsoleAdapter, store: SQLStore, feeds: FakeFeedServer
) -> None:
    answer = await group_with_source(console, feeds.url(BMLT_ROOT_PATH))
    assert "Added meeting source #1 (BMLT)" in answer
    assert f"Synced: {BMLT_MEETINGS} new" in answer
    assert "Bad Weekday Group: invalid weekday_tinyint '9'" in answer
    paths = [r.path for r in feeds.requests]
    assert any("switcher=GetSearchResults" in p and "data_field_key=" in p for p in paths)
    assert any("switcher=GetFormats&lang_enum=en" in p for p in paths)
    detail = texts(await console.push("/meeting bmlt-1001"))
    # No time_zone in the row: the community's zone. Formats named through NAWS ids.
    assert "Clean and Serene" in detail and "Meets every Mon at 19:00 (America/New_York)" in detail
    assert "Open" in detail and "Discussion" in detail


# -- re-syncing -------------------------------------------------------------------------------


async def test_resync_is_conditional_and_keeps_what_members_set(
    console: ConsoleAdapter, store: SQLStore, feeds: FakeFeedServer
) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community tz America/New_York")
    await console.push("/meeting add Hand Made | mon | 18:00 | | 60 | 1 Main St")
    await group_with_source(console, feeds.url(TSML_PATH))
    sunrise = await meeting_id(store, "sunrise-serenity")
    friday = await meeting_id(store, "friday-speaker")
    # Sam sets reminders, RSVPs and logs attendance; a moderator cancels a date.
    await console.push(":as Sam")
    await console.push("/remind sunrise-serenity 30m")
    await console.push("/remind early-bird")
    await console.push("/remind friday-speaker")
    await console.push("/going friday-speaker")
    await console.push(":dm")
    assert "Logged: Sunrise Serenity on 2026-11-22" in texts(
        await console.push("/attended Sunrise Serenity")
    )
    await console.push(":as Alex")
    await console.push(":group recovery")
    assert "cancelled" in texts(await console.push("/meeting skip sunrise-serenity 2026-12-06"))

    # Six hours on: the sweep asks again, conditionally, and the feed hasn't changed.
    await console.push(":advance 6h")
    second = feeds.requests_for("/wp-admin/")[-1]
    assert second.if_none_match and second.if_modified_since and second.status == 304

    # The intergroup renames one meeting, moves another, and removes a third.
    rows = tsml_rows(feeds)
    for row in rows:
        if row["slug"] == "sunrise-serenity":
            row["name"] = "Sunrise Serenity (new hall)"
        if row["slug"] == "friday-speaker":
            row["time"], row["end_time"] = "20:30", "22:00"
    feeds.set_payload("tsml", [r for r in rows if r["slug"] != "early-bird"])
    await console.push(":advance 6h")
    assert await count(store) == TSML_MEETINGS  # 12 - 1 removed + the hand-made one
    assert await meeting_id(store, "sunrise-serenity") == sunrise  # same id: all kept
    assert await meeting_id(store, "friday-speaker") == friday
    sam = await store.members.find("console", "sam")
    assert sam is not None
    subs = {s.meeting_id: s for s in await store.meetings.subscriptions(sam.id)}
    assert set(subs) == {sunrise, friday} and subs[sunrise].before_min == 30
    assert await store.meetings.rsvp_count(friday, "2026-11-27") == 1
    log = await store.meetings.attendance(sam.id)
    assert [(a.meeting_id, a.meeting_name) for a in log] == [(sunrise, "Sunrise Serenity")]
    detail = texts(await console.push("/meeting sunrise-serenity"))
    assert "Sunrise Serenity (new hall)" in detail and "Cancelled on: 2026-12-06" in detail
    assert "at 20:30" in texts(await console.push("/meeting friday-speaker"))
    hand = await store.meetings.by_slug(1, "hand-made")
    assert hand is not None and hand.name == "Hand Made" and hand.source_id is None
    # Friday's reminder moved with the meeting: 20:30 New York, 30 min... its own lead (60).
    said = await console.push(":time 2026-11-27T19:30-05:00")
    assert any("Friday Speaker" in s.text and s.to == "Sam (private)" for s in said)


async def test_the_shrink_guard_holds_a_90_percent_drop_and_asks_the_moderators(
    console: ConsoleAdapter, store: SQLStore, feeds: FakeFeedServer
) -> None:
    await group_with_source(console, feeds.url(TSML_PATH))
    rows = tsml_rows(feeds)
    feeds.set_payload("tsml", rows[:1])  # 11 of 12 meetings gone: a broken export
    said = await console.push(":advance 6h")
    asked = [s for s in said if s.to == "Alex (private)"]
    assert len(asked) == 1 and "would now remove 11 of its 12 meetings" in asked[0].text
    assert [b.label for b in asked[0].buttons[0]] == ["Apply", "Keep as they are"]
    assert await count(store) == TSML_MEETINGS  # nothing changed
    listing = await console.push("/meeting source list")  # in the group, with the buttons
    assert "On hold" in listing[0].text and listing[0].buttons == asked[0].buttons
    # Another check of the same feed doesn't ask again.
    assert not [s for s in await console.push(":advance 6h") if s.to == "Alex (private)"]
    # A member can't decide, even with the buttons in front of them.
    await console.push(":as Sam")
    assert "Only the group's moderators" in texts(await console.push(":press Keep"))
    assert await count(store) == TSML_MEETINGS
    # Alex keeps the meetings from the private message.
    await console.push(":as Alex")
    await console.push(":dm")
    assert "Kept as they are" in texts(await console.push(":press Keep"))
    assert await count(store) == TSML_MEETINGS
    # The same feed is not asked about again; a changed one is, and Apply applies it.
    assert not [s for s in await console.push(":advance 6h") if s.to == "Alex (private)"]
    feeds.set_payload("tsml", rows[:2])
    said = await console.push(":advance 6h")
    asked = [s for s in said if s.to == "Alex (private)"]
    assert len(asked) == 1 and "remove 10 of its 12" in asked[0].text
    said = await console.push(":press Apply")
    assert "Synced: 0 new, 0 updated, 10 removed, 2 unchanged" in texts(said)
    assert await count(store) == 2
    # An old button (the group's listing) no longer does anything.
    await console.push(":group recovery")
    assert "already answered" in texts(await console.push(":press Apply"))


async def test_a_manual_sync_that_would_shrink_shows_its_buttons_in_place(
    console: ConsoleAdapter, store: SQLStore, feeds: FakeFeedServer, clock: ManualClock
) -> None:
    await group_with_source(console, feeds.url(TSML_PATH))
    assert "less than a minute ago" in texts(await console.push("/meeting source sync 1"))
    feeds.set_payload("tsml", [])
    await console.push(":advance 2m")
    said = await console.push("/meeting source sync")
    assert "On hold: this check would remove 12 of its 12 meetings" in said[0].text
    assert said[0].to == "group recovery" and said[0].buttons
    assert "Synced: 0 new, 0 updated, 12 removed" in texts(await console.push(":press Apply"))
    assert await count(store) == 0


async def test_failures_back_off_and_busy_hosts_are_respected(
    console: ConsoleAdapter, store: SQLStore, feeds: FakeFeedServer
) -> None:
    await group_with_source(console, feeds.url(TSML_PATH))
    feeds.fail_next("tsml", 500)
    await console.push(":advance 6h")
    listing = texts(await console.push("/meeting source list"))
    assert "Last check: the address didn't return a feed" in listing and "in 15 minutes" in listing
    assert await count(store) == TSML_MEETINGS
    feeds.fail_next("tsml", 429, headers={"Retry-After": "7200"})
    await console.push(":advance 16m")
    listing = texts(await console.push("/meeting source list"))
    assert "server is busy" in listing and "next check in 2 hours" in listing
    before = len(feeds.requests)
    await console.push(":advance 1h")
    assert len(feeds.requests) == before  # it waited as asked
    await console.push(":advance 61m")
    assert "Last check" not in texts(await console.push("/meeting source list"))


async def test_one_host_is_asked_once_a_minute(
    console: ConsoleAdapter, store: SQLStore, feeds: FakeFeedServer
) -> None:
    await group_with_source(console, feeds.url(TSML_PATH))
    await console.push(f"/meeting source add online {feeds.url(ONLINE_PATH)}")
    start = len(feeds.requests)
    await console.push(":advance 6h")
    assert len(feeds.requests) == start + 1  # both due; one host: one now, the other later
    await console.push(":advance 30s")
    assert len(feeds.requests) == start + 1
    await console.push(":advance 1m")
    assert len(feeds.requests) == start + 2


async def test_a_one_shot_import_of_the_same_feed_is_adopted_not_duplicated(
    console: ConsoleAdapter, store: SQLStore, feeds: FakeFeedServer
) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    said = await console.push(f"/meeting import {feeds.url(TSML_PATH)}")
    assert f"{TSML_MEETINGS} new" in said[0].text and "/meeting source add" in said[0].text
    sunrise = await meeting_id(store, "sunrise-serenity")
    await console.push("/remind sunrise-serenity")
    said = await console.push(f"/meeting source add {feeds.url(TSML_PATH)}")
    assert f"Synced: 0 new, {TSML_MEETINGS} updated" in said[0].text
    assert (
        await count(store) == TSML_MEETINGS
        and await meeting_id(store, "sunrise-serenity") == sunrise
    )
    alex = await store.members.find("console", "alex")
    assert alex is not None
    assert [s.meeting_id for s in await store.meetings.subscriptions(alex.id)] == [sunrise]


async def test_synced_meetings_are_corrected_at_the_source(
    console: ConsoleAdapter, store: SQLStore, feeds: FakeFeedServer
) -> None:
    await group_with_source(console, feeds.url(TSML_PATH))
    said = texts(await console.push("/meeting edit sunrise-serenity time 08:00"))
    assert "comes from one of your meeting sources" in said
    said = texts(await console.push("/meeting remove sunrise-serenity"))
    assert "would come back at the next sync" in said
    assert "announced 30 minutes" not in said
    said = texts(await console.push("/meeting edit sunrise-serenity remind 30"))
    assert "I'll announce it 30 minutes before" in said
    detail = await console.push("/meeting sunrise-serenity")
    assert "comes from your group's meeting list" in detail[0].text
    button = detail[0].buttons[0][0]
    assert button.label == "Report wrong info"
    assert button.url == "https://aa-harborside.example.org/feedback/?meeting=sunrise-serenity"
    row = await store.meetings.by_slug(1, "sunrise-serenity")
    assert row is not None and row.spec["remind_before_min"] == 30
    assert row.spec["feedback_url"] == button.url  # the source's fields survive an edit


async def test_removing_a_source_removes_its_meetings_only(
    console: ConsoleAdapter, store: SQLStore, feeds: FakeFeedServer
) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/meeting add Hand Made | mon | 18:00 | | 60 | 1 Main St")
    await group_with_source(console, feeds.url(TSML_PATH))
    said = texts(await console.push("/meeting source remove 1"))
    assert f"Removed source #1 ({feeds.url(TSML_PATH)}) and the {TSML_MEETINGS} meetings" in said
    assert await count(store) == 1
    assert "no meeting source #7" in texts(await console.push("/meeting source remove 7"))


async def test_daylight_saving_with_and_without_a_feed_time_zone(
    console: ConsoleAdapter, feeds: FakeFeedServer
) -> None:
    """Rows without `timezone` meet in the community's zone (London here), rows with one in
    theirs; a member in New York sees both move as the two zones change clocks on different
    dates (US 14 March 2027, UK 28 March 2027)."""
    await group_with_source(console, feeds.url(TSML_PATH), tz="Europe/London")
    await console.push(":dm")
    await console.push("/settings tz America/New_York")
    expected = {
        "2027-03-01T12:00+00:00": ("Tue 2 Mar 14:30", "Wed 3 Mar 19:00"),  # EST / GMT
        "2027-03-15T12:00+00:00": ("Tue 16 Mar 15:30", "Wed 17 Mar 19:00"),  # EDT / GMT
        "2027-03-29T12:00+00:00": ("Tue 30 Mar 14:30", "Wed 31 Mar 19:00"),  # EDT / BST
    }
    for moment, (mens, womens) in expected.items():
        await console.push(f":time {moment}")
        detail = texts(await console.push("/meeting mens-step-study"))
        assert "at 19:30 (Europe/London)" in detail and f"Next: {mens} (America/New_York)" in detail
        detail = texts(await console.push("/meeting womens-big-book"))
        assert "at 19:00 (America/New_York)" in detail and f"Next: {womens}" in detail


# -- refusals ---------------------------------------------------------------------------------


async def test_private_network_addresses_are_refused_for_sources(
    store: SQLStore, clock: ManualClock, feeds: FakeFeedServer
) -> None:
    harbor = build(store, clock, Settings())  # the default: private addresses refused
    console = ConsoleAdapter(clock=clock, on_time=harbor.tick)
    harbor.attach(console)
    await console.start(harbor.core)
    answer = await group_with_source(console, feeds.url(TSML_PATH))
    assert "I didn't add that source: that address is inside a private network" in answer
    for url in ("http://[::1]/feed.json", "http://10.0.0.7/x", "http://169.254.169.254/m"):
        said = texts(await console.push(f"/meeting source add {url}"))
        assert "private network" in said, url
    assert feeds.requests == []


async def test_a_source_turned_private_is_not_fetched_by_the_sweep(
    store: SQLStore,
    clock: ManualClock,
    feeds: FakeFeedServer,
    harbor: Harbor,
    console: ConsoleAdapter,
) -> None:
    await group_with_source(console, feeds.url(TSML_PATH))
    strict = build(store, clock, Settings())  # the operator turned private addresses off
    await strict.tick()
    clock.advance(timedelta(hours=7))
    before = len(feeds.requests)
    await strict.sweeper.run(clock.now())
    assert len(feeds.requests) == before
    listing = texts(await console.push("/meeting source list"))
    assert "inside a private network" in listing
    assert await count(store) == TSML_MEETINGS


# -- the operator's CLI -----------------------------------------------------------------------


async def test_cli_source_add_list_and_sync(
    console: ConsoleAdapter, store: SQLStore, feeds: FakeFeedServer, settings: Settings
) -> None:
    await console.push(":group recovery")
    out = await source_add(store, settings, "console:recovery", feeds.url(TSML_PATH))
    assert "Added meeting source #1 (TSML)" in out and f"Synced: {TSML_MEETINGS} new" in out
    out = await source_add(store, settings, "1", feeds.url(ONLINE_PATH), online=True)
    assert "Added online feed #2" in out
    listing = await source_list(store, "1")
    assert "#1 TSML" in listing and "#2 TSML, online meetings" in listing
    rows = tsml_rows(feeds)
    feeds.set_payload("tsml", rows[:3])
    out = await source_sync(store, settings, "1", source_id=1)
    assert "On hold: this check would remove 9 of its 12" in out
    out = await source_sync(store, settings, "1", source_id=1, apply=True)
    assert "9 removed" in out and await count(store) == 3
    assert "No changes" in await source_sync(store, settings, "1", source_id=1)


def test_cli_parser_names_its_choices() -> None:
    from bot.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(
        ["meetings", "source", "sync", "--community", "1", "--source", "2", "--apply"]
    )
    assert (args.source_cmd, args.source, args.apply) == ("sync", 2, True)
    with pytest.raises(SystemExit):
        parser.parse_args(["meetings"])
