"""Sobriety counters through the console: dates, counting, milestones, setbacks, sharing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.console import ConsoleAdapter
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.runtime import Harbor
from storage.sql.store import SQLStore


async def setup_member(console: ConsoleAdapter, tz: str = "America/Chicago") -> None:
    await console.push(f"/settings tz {tz}")


async def test_set_a_date_shows_days_and_next_milestone(console: ConsoleAdapter) -> None:
    await setup_member(console)
    said = await console.push("/sober 2026-10-01 alcohol")  # clock: 2026-11-25 06:00 Chicago
    text = said[0].text
    assert "alcohol: 55 days (since 2026-10-01)" in text
    assert "Next milestone: 60 days on 2026-11-30, in 5 days." in text
    assert said[0].to == "Alex (private)"


async def test_friendly_forms(console: ConsoleAdapter, store: SQLStore) -> None:
    await setup_member(console)
    await console.push("/sober yesterday nicotine")
    await console.push("/sober 14 March gambling")
    await console.push("/sober 3/14/2026 opioids")
    member = await store.members.find("console", "alex")
    assert member is not None
    counters = {c.name: c.start_date for c in await store.sobriety.counters(member.id)}
    assert counters == {"nicotine": "2026-11-24", "gambling": "2026-03-14", "opioids": "2026-03-14"}


async def test_locale_reads_day_first(console: ConsoleAdapter, store: SQLStore) -> None:
    await setup_member(console, "Europe/London")
    await console.push("/settings locale en_GB")
    await console.push("/sober 4/3/2026")
    member = await store.members.find("console", "alex")
    assert member is not None
    assert (await store.sobriety.counters(member.id))[0].start_date == "2026-03-04"


async def test_hours_in_the_first_days(console: ConsoleAdapter) -> None:
    await setup_member(console)  # 06:00 in Chicago
    said = await console.push("/sober yesterday 20:00")
    assert "recovery: 10 hours" in said[0].text


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/sober 2027-01-01", "in the future"),
        ("/sober 1899-12-31", "before 1900"),
        ("/sober 2026-02-30", "doesn't exist on the calendar"),
        ("/sober someday soon", "couldn't read that date"),
        ("/sober 2026-03-14 <b>bold</b>", "letters, numbers, spaces"),
    ("/sober 2026-03-14 __underline__", "letters, numbers, spaces"),
        ("/sober 2026-03-14 " + "x" * 40, "letters, numbers, spaces"),
    ],
)
async def test_bad_input_saves_nothing(
    console: ConsoleAdapter, store: SQLStore, text: str, reason: str
) -> None:
    await setup_member(console)
    said = await console.push(text)
    assert reason in said[0].text
    member = await store.members.find("console", "alex")
    assert member is not None and await store.sobriety.counters(member.id) == []


async def test_more_than_ten_counters_refused(console: ConsoleAdapter, store: SQLStore) -> None:
    await setup_member(console)
    for i in range(10):
        await console.push(f"/sober 2026-01-0{i % 9 + 1} habit{i}")
    said = await console.push("/sober 2026-01-01 one too many")
    assert "already have 10 counters" in said[0].text
    member = await store.members.find("console", "alex")
    assert member is not None and len(await store.sobriety.counters(member.id)) == 10


async def test_list_counters(console: ConsoleAdapter) -> None:
    await setup_member(console)
    await console.push("/sober 2026-11-01 alcohol")
    await console.push("/sober 2025-11-25 nicotine")
    said = await console.push("/sober")
    assert "alcohol: 24 days" in said[0].text
    assert "nicotine: 365 days" in said[0].text
    assert "Today is your 1-year milestone!" in said[0].text


async def test_sober_in_group_answers_privately_and_public_line_needs_opt_in(
    console: ConsoleAdapter,
) -> None:
    await setup_member(console)
    await console.push("/sober 2026-10-11 alcohol")
    await console.push(":group recovery")
    said = await console.push("/sober")
    assert said[0].to == "Alex (private)" and "alcohol" in said[0].text
    assert all("alcohol" not in s.text for s in said if s.to.startswith("group"))
    assert not any("45 days" in s.text for s in said if s.to.startswith("group"))
    await console.push("/share on")
    said = await console.push("/sober")
    public = [s.text for s in said if s.to == "group recovery"]
    assert "Alex: 45 days" in public
    assert all("alcohol" not in t for t in public)


async def test_reset_keeps_history(console: ConsoleAdapter, clock: ManualClock) -> None:
    await setup_member(console)
    await console.push("/sober 2026-10-01 alcohol")
    said = await console.push("/reset")
    assert "doesn't erase" in said[0].text
    said = await console.push(":press Start again from today")
    assert 'new start for "alcohol" is 2026-11-25' in said[0].text
    assert "55 days before it are kept" in said[0].text
    said = await console.push("/history")
    text = said[0].text
    assert "alcohol\n• now: 0 days, since 2026-11-25" in text
    assert "• 55 days, 2026-10-01 to 2026-11-25" in text
    assert "Days in recovery in all: 55. Longest streak: 55 days." in text


async def test_slip_keeps_the_date(console: ConsoleAdapter, store: SQLStore) -> None:
    await setup_member(console)
    await console.push("/sober 2026-10-01 alcohol")
    await console.push("/slip alcohol")
    said = await console.push(":press Log a slip")
    assert "stays 2026-10-01" in said[0].text
    assert "/crisis" in said[0].text  # points to support
    member = await store.members.find("console", "alex")
    assert member is not None
    assert (await store.sobriety.counters(member.id))[0].start_date == "2026-10-01"
    assert await store.sobriety.slips(member.id) == [("alcohol", "2026-11-25")]


async def test_restart_from_another_date(console: ConsoleAdapter, store: SQLStore) -> None:
    await setup_member(console)
    await console.push("/sober 2026-10-01 alcohol")
    await console.push("/reset alcohol")
    await console.push(":press Start again from another date")
    said = await console.push("2026-09-01")
    assert "before your current start" in said[0].text
    said = await console.push("2026-11-20")
    assert 'new start for "alcohol" is 2026-11-20' in said[0].text


def milestone_texts(said: list) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(s.to, s.text) for s in said if "🎉" in s.text]


async def test_milestone_celebrated_privately_at_local_morning_exactly_once(
    console: ConsoleAdapter, harbor: Harbor, clock: ManualClock
) -> None:
    await setup_member(console)
    await console.push("/sober 2026-10-01 alcohol")
    # 60 days = 2026-11-30, celebrated at 09:00 Chicago = 15:00 UTC.
    said = await console.push(":time 2026-11-30T08:59-06:00")
    assert milestone_texts(said) == []
    said = await console.push(":time 2026-11-30T09:00-06:00")
    assert (
        milestone_texts(said) == [("Alex (private)", said[-1].text)] and "60 days" in said[-1].text
    )
    # A repeated sweep, and a restart (a new Harbor on the same store), send nothing more.
    await harbor.tick()
    again = build(harbor.store, clock, harbor.settings)
    again.attach(console)
    await again.tick()
    assert sum("🎉" in s.text for s in console.said) == 1


async def test_group_post_needs_member_opt_in_and_community_permission(
    console: ConsoleAdapter,
) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community announce")
    await console.push(":as Sam")
    await console.push(":group recovery")
    await console.push("hi all")
    await console.push(":dm")
    await setup_member(console)
    await console.push("/sober 2026-10-01 alcohol")
    await console.push("/celebrate on")
    said = await console.push(":time 2026-11-30T09:00-06:00")
    assert [s.to for s in said if "🎉" in s.text] == ["Sam (private)"]  # community said no
    # The community allows it; the next milestone (90 days) is posted, without the substance.
    await console.push(":as Alex")
    await console.push(":group recovery")
    await console.push("/community celebrations on")
    said = await console.push(":time 2026-12-30T09:00-06:00")
    posts = [s for s in said if "🎉" in s.text]
    assert [s.to for s in posts] == ["Sam (private)", "group recovery"]
    assert "Sam celebrates 90 days" in posts[1].text and "alcohol" not in posts[1].text


async def test_leaderboard_off_by_default_and_opt_in_only(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    said = await console.push("/leaderboard")
    assert "leaderboard is off" in said[0].text
    await console.push(":mod on")
    await console.push("/community leaderboard on")
    await console.push(":dm")
    await console.push("/sober 2026-10-01 alcohol")
    await console.push(":as Sam")
    await console.push(":group recovery")
    await console.push("hello")
    await console.push(":dm")
    await console.push("/sober 2026-11-01")
    await console.push("/share on")
    await console.push(":group recovery")
    said = await console.push("/leaderboard")
    assert "Sam: 24 days" in said[0].text
    assert "Alex" not in said[0].text and "alcohol" not in said[0].text


async def test_forget_erases_counters(console: ConsoleAdapter, store: SQLStore) -> None:
    await console.push("/sober 2026-10-01 alcohol")
    await console.push("/forget")
    await console.push(":press Yes")
    assert await store.members.find("console", "alex") is None
    assert await store.db.fetchval("SELECT COUNT(*) FROM counters") == 0


def test_start_clock_is_what_tests_assume() -> None:
    from tests.conftest import START

    assert datetime(2026, 11, 25, 12, 0, tzinfo=UTC) == START


async def test_a_later_date_on_an_existing_counter_asks_then_keeps_the_streak(
        console: ConsoleAdapter) -> None:
    await setup_member(console)
    await console.push("/sober 2026-10-01 alcohol")
    said = await console.push("/sober 2026-11-20 alcohol")
    assert "55 days" not in said[0].text and "A new start" in str(said[0].buttons)
    said = await console.push(":press A new start")
    assert "kept in /history" in said[0].text
    said = await console.push("/history")
    assert "• 50 days, 2026-10-01 to 2026-11-20" in said[0].text
    # An earlier date corrects the start instead (the kept streak is merged, not doubled).
    said = await console.push("/sober 2026-11-01 alcohol")
    await console.push(":press Yes, correct it")
    said = await console.push("/sober")
    assert "alcohol: 24 days (since 2026-11-01)" in said[0].text
