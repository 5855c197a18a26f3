"""Moderators' scheduled posts on the console: /announce add|list|edit|pause|resume|remove,
each occurrence posted exactly once through the sweep and the outbox (restarts, repeated
sweeps, downtime), DST days in the community's zone, the built-in "this week's milestones"
post under the members' opt-ins, and every bad input refused with nothing saved."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.console import ConsoleAdapter, Said
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.runtime import Harbor
from storage.sql.store import SQLStore

TOPIC = "Today's topic: gratitude"


async def moderator_group(console: ConsoleAdapter, tz: str = "America/New_York") -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push(f"/community tz {tz}")
    await console.push("/community announce")


def posts(said: list[Said], text: str = TOPIC) -> list[Said]:
    return [s for s in said if s.to == "group recovery" and text in s.text]


async def count(store: SQLStore, sql: str) -> int:
    return int(await store.db.fetchval(sql))


async def test_add_list_and_the_post_goes_out_once(
    console: ConsoleAdapter, store: SQLStore, harbor: Harbor, clock: ManualClock
) -> None:
    await moderator_group(console)
    said = await console.push(f"/announce add daily 08:00 | {TOPIC}")
    assert said[0].to == "Alex (private)"
    assert (
        "Scheduled #1: daily 08:00 (America/New_York), to the announcement channel" in said[0].text
    )
    assert "First post: Wed 25 Nov 08:00 (America/New_York)" in said[0].text  # 13:00 UTC
    (listed,) = [s for s in await console.push("/announce list") if s.to == "Alex (private)"]
    assert "#1 daily 08:00" in listed.text and TOPIC in listed.text
    assert posts(await console.push(":time 2026-11-25T12:59+00:00")) == []
    assert len(posts(await console.push(":time 2026-11-25T13:00+00:00"))) == 1
    # A repeated sweep, and a fresh process on the same database, post nothing more.
    await harbor.tick()
    again = build(store, clock, Settings())
    await again.sweeper.run(clock.now())
    assert await count(store, "SELECT COUNT(*) FROM outbox WHERE kind = 'announcement'") == 1
    assert len(posts(await console.push(":time 2026-11-26T13:00+00:00"))) == 1


async def test_weekly_and_monthly_schedules(console: ConsoleAdapter) -> None:
    await moderator_group(console, "Europe/London")
    await console.push("/announce add weekly mon,thu 19:00 | Meeting tonight")
    await console.push("/announce add monthly last 18:00 | Month's end check-in")
    said = await console.push(":time 2026-11-26T19:00+00:00")  # Thursday
    assert len(posts(said, "Meeting tonight")) == 1
    said = await console.push(":time 2026-11-30T19:00+00:00")  # Monday, the month's last day
    assert len(posts(said, "Meeting tonight")) == 1 and len(posts(said, "Month's end")) == 1
    said = await console.push(":time 2026-12-02T19:00+00:00")  # Wednesday
    assert posts(said, "Meeting tonight") == []


async def test_a_time_that_does_not_exist_on_the_dst_day_posts_once_after_the_gap(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await moderator_group(console)
    (added,) = [
        s
        for s in await console.push(f"/announce add daily 02:30 | {TOPIC}")
        if "Scheduled" in s.text
    ]
    assert "on 2027-03-14, 02:30 doesn't exist in America/New_York" in added.text
    assert "goes out at 03:00" in added.text
    await console.push(":time 2027-03-13T08:00+00:00")  # long downtime: nothing stale is sent
    said = await console.push(":time 2027-03-14T06:59+00:00")  # 01:59 EST
    assert posts(said) == []
    said = await console.push(":time 2027-03-14T07:00+00:00")  # 03:00 EDT, the first minute after
    assert len(posts(said)) == 1
    said = await console.push(":time 2027-03-14T10:00+00:00")
    assert posts(said) == []
    said = await console.push(":time 2027-03-15T06:30+00:00")  # 02:30 EDT again
    assert len(posts(said)) == 1
    keys = [r["dedupe_key"] for r in await store.db.fetch(
        "SELECT dedupe_key FROM outbox WHERE kind = 'announcement' AND status = 'sent'"
        " ORDER BY id")]  # fmt: skip
    assert keys[-2:] == ["announce:1:2027-03-14", "announce:1:2027-03-15"]


async def test_a_repeated_time_on_the_fall_back_day_posts_once(console: ConsoleAdapter) -> None:
    await moderator_group(console)
    await console.push(f"/announce add daily 01:30 | {TOPIC}")
    await console.push(":time 2027-11-06T12:00+00:00")
    said = await console.push(":time 2027-11-07T05:30+00:00")  # 01:30 EDT, the first one
    assert len(posts(said)) == 1
    said = await console.push(":time 2027-11-07T06:30+00:00")  # 01:30 EST, the repeat
    assert posts(said) == []


async def test_after_downtime_only_the_latest_fresh_post_goes_out(console: ConsoleAdapter) -> None:
    await moderator_group(console, "UTC")
    await console.push("/announce add daily 08:00 | Morning")
    await console.push("/announce add daily 11:00 | Late morning")
    said = await console.push(":time 2026-11-29T12:00+00:00")  # days of downtime
    assert len(posts(said, "Late morning")) == 1  # an hour late: still worth posting
    assert posts(said, "Morning") == []  # four hours late: stale, skipped
    said = await console.push(":time 2026-11-30T08:00+00:00")
    assert len(posts(said, "Morning")) == 1


async def test_a_new_community_zone_moves_the_next_post(console: ConsoleAdapter) -> None:
    await moderator_group(console, "UTC")
    await console.push(f"/announce add daily 08:00 | {TOPIC}")
    await console.push("/community tz America/New_York")
    said = await console.push(":time 2026-11-26T08:00+00:00")  # 08:00 UTC: not any more
    assert posts(said) == []
    said = await console.push(":time 2026-11-26T13:00+00:00")  # 08:00 in New York
    assert len(posts(said)) == 1


async def test_pause_resume_edit_remove(
    console: ConsoleAdapter, store: SQLStore, harbor: Harbor, clock: ManualClock
) -> None:
    await moderator_group(console, "UTC")
    await console.push(f"/announce add daily 08:00 | {TOPIC}")
    clock.set(datetime(2026, 11, 26, 8, 0, tzinfo=UTC))
    await harbor.sweeper.run(clock.now())  # planned, not yet sent ...
    said = await console.push("/announce pause 1")
    assert "Paused #1" in said[0].text
    assert posts(await console.push(":advance 1m")) == []  # ... and withdrawn by the pause
    assert posts(await console.push(":time 2026-11-27T08:00+00:00")) == []
    said = await console.push("/announce resume 1")
    assert "Resumed #1" in said[0].text and "Sat 28 Nov 08:00" in said[0].text
    await console.push("/announce edit 1 daily 09:30 |")
    (listed,) = [s for s in await console.push("/announce list") if s.to == "Alex (private)"]
    assert "#1 daily 09:30" in listed.text and TOPIC in listed.text
    await console.push("/announce edit 1 | A new text")
    said = await console.push(":time 2026-11-28T09:30+00:00")
    assert len(posts(said, "A new text")) == 1
    said = await console.push("/announce remove 1")
    assert "Removed #1" in said[0].text
    assert posts(await console.push(":time 2026-11-29T09:30+00:00"), "A new text") == []
    assert await count(store, "SELECT COUNT(*) FROM announcements") == 0


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ("daily 25:00 | x", '"25:00" isn\'t a time'),
        ("monthly 32 10:00 | x", '"32" isn\'t a day of the month'),
        ("weekly funday 10:00 | x", "isn't a day of the week"),
        ("whenever | x", "couldn't read"),
        ("daily | x", "What time"),
        ("daily 08:00", "What should the post say"),
        ("daily 08:00 |   ", "What should the post say"),
        ("daily 08:00 | " + "y" * 1600, "too long"),
    ],
)
async def test_bad_schedules_and_texts_save_nothing(
    console: ConsoleAdapter, store: SQLStore, args: str, problem: str
) -> None:
    await moderator_group(console)
    said = await console.push(f"/announce add {args}")
    assert problem in said[0].text, said[0].text
    assert await count(store, "SELECT COUNT(*) FROM announcements") == 0


async def test_only_moderators_in_the_group(console: ConsoleAdapter, store: SQLStore) -> None:
    await console.push(":group recovery")
    said = await console.push(f"/announce add daily 08:00 | {TOPIC}")
    assert "Only moderators" in said[0].text or "only moderators" in said[0].text
    await console.push(":dm")
    said = await console.push(f"/announce add daily 08:00 | {TOPIC}")
    assert "in a group" in said[0].text or "group" in said[0].text
    assert await count(store, "SELECT COUNT(*) FROM announcements") == 0


async def test_unknown_ids_and_another_groups_posts(console: ConsoleAdapter) -> None:
    await moderator_group(console)
    await console.push(f"/announce add daily 08:00 | {TOPIC}")
    await console.push(":group other")
    await console.push(":mod on")
    for line in ("/announce pause 1", "/announce remove 1", "/announce edit 1 | x",
                 "/announce pause 99", "/announce resume abc"):  # fmt: skip
        said = await console.push(line)
        assert "no scheduled post" in said[0].text.casefold(), line


async def test_guided_add_in_the_private_chat(console: ConsoleAdapter) -> None:
    await moderator_group(console)
    said = await console.push("/announce add")
    assert "When should it go out" in said[0].text and said[0].to == "Alex (private)"
    await console.push(":dm")
    (bad,) = await console.push("someday")
    assert "couldn't read" in bad.text
    (ask,) = await console.push("weekdays 07:30")
    assert "What should it say" in ask.text
    (done,) = await console.push("Good morning, everyone")
    assert "Scheduled #1: weekly mon,tue,wed,thu,fri 07:30" in done.text
    assert len(posts(await console.push(":time 2026-11-26T12:30+00:00"), "Good morning")) == 1


async def test_a_group_without_an_announcement_channel_gets_posts_where_they_were_set(
    console: ConsoleAdapter,
) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    (said,) = [s for s in await console.push("/announce add daily 08:00 | Hi") if "#1" in s.text]
    assert ", here." in said.text
    assert len(posts(await console.push(":time 2026-11-26T08:00+00:00"), "Hi")) == 1


# -- this week's milestones ---------------------------------------------------------------------


async def sharing_member(
    console: ConsoleAdapter, name: str, start: str, *, substance: bool
) -> None:
    await console.push(f":as {name}")
    await console.push(":group recovery")
    await console.push("/celebrate on")
    if substance:
        await console.push("/celebrate substance on")
    await console.push(":dm")
    await console.push(f"/sober {start} alcohol")


async def test_this_weeks_milestones_lists_only_members_who_chose_it(
    console: ConsoleAdapter,
) -> None:
    await moderator_group(console, "UTC")
    await console.push("/community celebrations on")
    await console.push("/announce add weekly mon 09:00 | milestones")
    await sharing_member(console, "Sam", "2026-11-01", substance=False)  # 30 days on Dec 1
    await sharing_member(console, "Kim", "2026-10-03", substance=True)  # 60 days on Dec 2
    await console.push(":as Lee")  # a milestone this week, but not shared
    await console.push(":group recovery")
    await console.push(":dm")
    await console.push("/sober 2026-11-02")
    said = await console.push(":time 2026-11-30T09:00+00:00")
    (post,) = posts(said, "This week's milestones")
    assert "• Sam: 30 days (Tuesday)" in post.text
    assert "• Kim (alcohol): 60 days (Wednesday)" in post.text
    assert "Lee" not in post.text and "Sam (alcohol)" not in post.text


async def test_milestones_post_is_quiet_while_celebrations_are_off(console: ConsoleAdapter) -> None:
    await moderator_group(console, "UTC")
    said = await console.push("/announce add weekly mon 09:00 | this week's milestones")
    assert "Celebrations are off" in said[0].text
    await sharing_member(console, "Sam", "2026-11-01", substance=False)
    said = await console.push(":time 2026-11-30T09:00+00:00")
    assert [s for s in said if s.to == "group recovery"] == []


async def test_a_group_keeps_at_most_20_posts(console: ConsoleAdapter, store: SQLStore) -> None:
    await moderator_group(console)
    for i in range(10):
        await console.push(f"/announce add daily 08:{i:02d} | Post {i}")
    await console.push(":advance 1m")  # a moderator typing this fast would be slowed down
    for i in range(10, 20):
        await console.push(f"/announce add daily 09:{i:02d} | Post {i}")
    await console.push(":advance 1m")
    said = await console.push("/announce add daily 10:00 | One too many")
    assert "already has 20 scheduled posts" in said[0].text
    assert await count(store, "SELECT COUNT(*) FROM announcements") == 20
