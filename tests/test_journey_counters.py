"""Issue #16, counters and milestones (items 1-7): each test is a member's journey through the
console that went wrong before, and the behaviour a member of a recovery community expects."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from adapters.console import ConsoleAdapter, Said
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.sobriety.commands import plan_next
from bot.sobriety.model import start_instant
from storage.sql.store import SQLStore

NEW_YORK = ZoneInfo("America/New_York")
NINE = time(9, 0)


async def console_at(store: SQLStore, start: datetime) -> ConsoleAdapter:
    """A console whose clock starts at `start` (the shared fixture starts in November)."""
    clock = ManualClock(start)
    harbor = build(store, clock, Settings())

    async def on_time() -> None:
        await harbor.tick()

    console = ConsoleAdapter(clock=clock, on_time=on_time)
    harbor.attach(console)
    await console.start(harbor.core)
    return console


def texts(said: list[Said]) -> str:
    return "\n".join(s.text for s in said)


def celebrations(said: list[Said]) -> list[Said]:
    return [s for s in said if "🎉" in s.text]


async def counters(store: SQLStore, name: str = "alex") -> dict[str, str]:
    member = await store.members.find("console", name)
    assert member is not None
    return {c.name: c.start_date for c in await store.sobriety.counters(member.id)}


# -- 1. the 24-hour milestone is 24 real hours ----------------------------------------------------


def test_24_hours_is_real_time_across_spring_forward() -> None:
    start = start_instant(date(2026, 3, 7), time(23, 0), NEW_YORK)
    key, at = plan_next(date(2026, 3, 7), time(23, 0), NEW_YORK, date(2026, 3, 7), NINE)
    assert key == "24h" and at is not None
    assert at - int(start.timestamp()) == 24 * 3600


def test_24_hours_is_real_time_across_fall_back() -> None:
    start = start_instant(date(2026, 10, 31), time(23, 0), NEW_YORK)
    key, at = plan_next(date(2026, 10, 31), time(23, 0), NEW_YORK, date(2026, 10, 31), NINE)
    assert key == "24h" and at is not None
    assert at - int(start.timestamp()) == 24 * 3600


async def test_no_24_hour_congratulation_after_23_hours(store: SQLStore) -> None:
    console = await console_at(store, datetime(2026, 3, 7, 23, 30, tzinfo=NEW_YORK))
    await console.push("/settings tz America/New_York")
    said = await console.push("/sober today at 11pm")
    assert "recovery: 0 hours" in said[0].text
    said = await console.push(":time 2026-03-08T23:00-04:00")  # 23 real hours later
    assert celebrations(said) == []
    said = await console.push("/sober")
    assert "23 hours" in said[0].text and "Today is your" not in said[0].text
    said = await console.push(":time 2026-03-09T00:00-04:00")  # 24 real hours
    assert len(celebrations(said)) == 1


async def test_status_after_12_hours_names_the_24_hours_still_ahead(
    console: ConsoleAdapter,
) -> None:
    await console.push("/settings tz America/Chicago")  # 06:00 in Chicago
    said = await console.push("/sober yesterday 6pm")
    text = said[0].text
    assert "12 hours" in text
    assert "Today is your" not in text and "milestone!" not in text
    assert "Next milestone: 24 hours at 18:00 on 2026-11-25, in 12 hours." in text


# -- wording: milestones and plurals --------------------------------------------------------------


async def test_milestone_today_reads_as_an_adjective(console: ConsoleAdapter) -> None:
    await console.push("/settings tz America/Chicago")
    said = await console.push("/sober 2026-10-26 alcohol")
    assert "Today is your 30-day milestone!" in said[0].text
    said = await console.push("/sober 2025-11-25 nicotine")
    assert "Today is your 1-year milestone!" in said[0].text


async def test_one_day_is_singular(console: ConsoleAdapter) -> None:
    await console.push("/settings tz America/Chicago")
    said = await console.push("/sober 2026-10-27 alcohol")  # 30 days tomorrow
    assert "29 days" in said[0].text
    assert "Next milestone: 30 days on 2026-11-26, in 1 day." in said[0].text


# -- 2. a date change asks: correction or new start -----------------------------------------------


async def test_a_later_date_asks_correction_or_new_start(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-10-26 alcohol")
    said = await console.push("/sober 2026-11-02 alcohol")
    assert "kept in /history" not in said[0].text  # nothing decided yet
    labels = [b.label for row in said[0].buttons for b in row]
    assert labels == ["Correct the date", "A new start", "Keep 2026-10-26"]
    assert await counters(store) == {"alcohol": "2026-10-26"}
    said = await console.push(":press Correct the date")
    assert "since 2026-11-02" in said[0].text and "/history" not in said[0].text
    said = await console.push("/history")
    assert "2026-10-26" not in said[0].text  # a correction leaves no streak and no setback
    assert "Slips" not in said[0].text


async def test_a_later_date_as_a_new_start_keeps_the_streak_kindly(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-10-26 alcohol")
    await console.push("/sober 2026-11-02 alcohol")
    said = await console.push(":press A new start")
    assert "The 7 days before it are kept in /history" in said[0].text
    assert "/crisis" in said[0].text  # the setback flow points to support
    assert await counters(store) == {"alcohol": "2026-11-02"}


async def test_keep_changes_nothing(console: ConsoleAdapter, store: SQLStore) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-10-26 alcohol")
    await console.push("/sober 2026-11-02 alcohol")
    said = await console.push(":press Keep")
    assert "nothing was changed" in said[0].text.casefold()
    assert await counters(store) == {"alcohol": "2026-10-26"}


async def test_moving_earlier_never_overlaps_or_double_counts(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-10-26 alcohol")
    await console.push("/sober 2026-11-02 alcohol")
    await console.push(":press A new start")  # a streak 2026-10-26 to 2026-11-02 is kept
    said = await console.push("/sober 2026-10-20 alcohol")
    # The earlier date reaches back over the kept streak: the member is asked first.
    assert "2026-10-26 to 2026-11-02" in said[0].text
    assert await counters(store) == {"alcohol": "2026-11-02"}
    await console.push(":press Yes, correct it")
    said = await console.push("/history")
    text = said[0].text
    assert "36 days, since 2026-10-20" in text
    assert "2026-10-26 to 2026-11-02" not in text
    assert "Days in recovery in all: 36" in text  # not 43


async def test_moving_earlier_trims_a_streak_it_cuts_into(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-09-01 alcohol")
    await console.push("/sober 2026-10-01 alcohol")
    await console.push(":press A new start")  # 2026-09-01 to 2026-10-01: 30 days kept
    await console.push("/sober 2026-09-21 alcohol")
    await console.push(":press Yes, correct it")
    said = await console.push("/history")
    text = said[0].text
    assert "20 days, 2026-09-01 to 2026-09-21" in text
    assert "65 days, since 2026-09-21" in text
    assert "Days in recovery in all: 85" in text


async def test_moving_earlier_without_history_just_corrects(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-11-02 alcohol")
    said = await console.push("/sober 2026-10-20 alcohol")
    assert "since 2026-10-20" in said[0].text
    assert await counters(store) == {"alcohol": "2026-10-20"}


async def test_resetting_a_counter_started_today_records_no_zero_day_streak(
    console: ConsoleAdapter,
) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/sober today nicotine")
    await console.push("/reset nicotine")
    said = await console.push(":press Start again from today")
    assert "0 days" not in said[0].text
    said = await console.push("/history")
    assert "0 days, 2026-11-25 to 2026-11-25" not in said[0].text


async def test_a_forged_date_change_button_changes_nothing(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    from bot.kernel.types import EventKind, Incoming

    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-10-26 alcohol")
    member = await store.members.find("console", "alex")
    assert member is not None
    cid = (await store.sobriety.counters(member.id))[0].id
    harbor_core = console._inbox
    assert harbor_core is not None
    for data in (f"sdate:fix:{cid}:2030-01-01", f"sdate:new:{cid}:2026-02-30",
                 f"sdate:new:{cid}:2026-10-01", f"sdate:fix:{cid + 99}:2026-10-01",
                 "sdate:fix:x:y", "sdate"):
        await harbor_core.handle(Incoming(member=console._member(), chat=console._chat(),
                                          kind=EventKind.BUTTON, button=data))
    assert await counters(store) == {"alcohol": "2026-10-26"}
    assert not any(s.text.startswith("Sorry") for s in console.said)


# -- 3. totals are per counter --------------------------------------------------------------------


async def test_totals_are_per_counter(console: ConsoleAdapter) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2022-10-17 alcohol")
    await console.push("/sober 2024-09-11 nicotine")
    await console.push("/sober 2024-06-13 gambling")
    said = await console.push("/history")
    text = said[0].text
    assert "3,193" not in text and "Total clean days" not in text
    assert "alcohol" in text and "Days in recovery in all: 1,500" in text
    assert "Days in recovery in all: 805" in text and "Days in recovery in all: 895" in text


# -- 4. counters follow the member's current zone -------------------------------------------------


async def test_counters_follow_the_members_new_zone(console: ConsoleAdapter) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-11-01 alcohol")  # 30 days on 2026-12-01
    await console.push("/settings tz Asia/Tokyo")
    said = await console.push(":time 2026-12-01T08:59+09:00")
    assert celebrations(said) == []
    said = await console.push(":time 2026-12-01T09:00+09:00")  # 09:00 in Tokyo
    assert len(celebrations(said)) == 1


# -- 5. celebrations and /share are chosen per group ----------------------------------------------


async def _two_groups(console: ConsoleAdapter) -> None:
    for group in ("NA Tuesday", "Work Friends"):
        await console.push(":as Mo")
        await console.push(f":group {group}")
        await console.push(":mod on")
        await console.push("/community announce")
        await console.push("/community celebrations on")
        await console.push("/community leaderboard on")
        await console.push(":as Alex")
        await console.push(f":group {group}")
        await console.push("hello")
    await console.push(":dm")
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-10-27 alcohol")  # 30 days on 2026-11-26


async def test_celebrate_on_in_one_group_posts_only_there(console: ConsoleAdapter) -> None:
    await _two_groups(console)
    await console.push(":group NA Tuesday")
    said = await console.push("/celebrate on")
    assert "NA Tuesday" in texts(said)
    await console.push(":dm")
    said = await console.push(":time 2026-11-26T09:00-06:00")
    posts = [s.to for s in celebrations(said) if s.to.startswith("group")]
    assert posts == ["group NA Tuesday"]


async def test_celebrate_in_private_offers_the_list_of_groups(console: ConsoleAdapter) -> None:
    await _two_groups(console)
    said = await console.push("/celebrate on")
    labels = [b.label for row in said[0].buttons for b in row]
    assert any("NA Tuesday" in label for label in labels)
    assert any("Work Friends" in label for label in labels)
    said = await console.push(":press Work Friends")
    assert "Work Friends" in said[0].text
    said = await console.push(":time 2026-11-26T09:00-06:00")
    posts = [s.to for s in celebrations(said) if s.to.startswith("group")]
    assert posts == ["group Work Friends"]


async def test_share_is_per_group(console: ConsoleAdapter) -> None:
    await _two_groups(console)
    await console.push(":group NA Tuesday")
    await console.push("/share on")
    said = await console.push("/leaderboard")
    assert "Alex: 29 days" in said[0].text
    await console.push(":group Work Friends")
    said = await console.push("/leaderboard")
    assert "Alex" not in said[0].text
    said = await console.push("/sober")
    assert not any(s.to.startswith("group") and "days" in s.text for s in said)


async def test_a_member_of_one_group_sets_it_from_private(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    await console.push("hello")
    await console.push(":dm")
    said = await console.push("/share on")
    assert "recovery" in said[0].text and not said[0].buttons


async def test_without_a_group_celebrate_explains(console: ConsoleAdapter) -> None:
    said = await console.push("/celebrate on")
    assert "group" in said[0].text and "Sorry" not in said[0].text


# -- 6. a missed milestone gets a belated congratulation ------------------------------------------


async def test_missed_milestone_is_congratulated_late_and_says_so(
    console: ConsoleAdapter,
) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-10-01 alcohol")  # 60 days on 2026-11-30
    said = await console.push(":advance 30d")
    found = celebrations(said)
    assert len(found) == 1
    assert "A little late" in found[0].text and "60-day" in found[0].text
    assert "30 Nov" in found[0].text or "2026-11-30" in found[0].text


async def test_several_missed_milestones_are_one_late_message(console: ConsoleAdapter) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-11-24 alcohol")  # 24 hours, then 30 days on 2026-12-24
    said = await console.push(":advance 40d")
    found = celebrations(said)
    assert len(found) == 1 and "30-day" in found[0].text and "A little late" in found[0].text


async def test_milestone_while_blocked_comes_late_after_return(console: ConsoleAdapter) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-10-01 alcohol")
    await console.push(":block on")
    said = await console.push(":time 2026-12-02T09:00-06:00")
    assert celebrations(said) == []
    await console.push(":block off")
    await console.push("hi")
    said = await console.push(":advance 1m")
    found = celebrations(said)
    assert len(found) == 1 and "A little late" in found[0].text


async def test_a_congratulation_held_for_days_still_comes_after_return(
    console: ConsoleAdapter,
) -> None:
    """Discord finds closed DMs only when a send fails: the queued congratulation is held,
    and it must not end as 'stale' however long the member was away."""
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-10-01 alcohol")
    console.state.blocked.add("alex")  # DMs closed: found only when a send fails
    assert celebrations(await console.push(":time 2026-11-30T12:00-06:00")) == []
    assert celebrations(await console.push(":advance 3d")) == []
    console.state.blocked.discard("alex")
    await console.push("hi")  # writing again is how Harbor learns they are back
    found = celebrations(await console.push(":advance 1m"))
    assert len(found) == 1 and "A little late" in found[0].text
    assert celebrations(await console.push(":advance 2d")) == []  # once


async def test_on_time_milestone_is_not_called_late(console: ConsoleAdapter) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-10-01 alcohol")
    said = await console.push(":time 2026-11-30T15:00-06:00")  # later the same day
    found = celebrations(said)
    assert len(found) == 1 and "late" not in found[0].text


# -- 7. counters in a group -----------------------------------------------------------------------


async def test_setting_a_counter_in_a_group_answers_only_privately(
    console: ConsoleAdapter,
) -> None:
    await console.push(":group recovery")
    said = await console.push("/sober 2026-10-01 alcohol")
    public = [s.text for s in said if s.to.startswith("group")]
    assert public == ["I've sent you a private message."]
    private = [s.text for s in said if s.to == "Alex (private)"]
    assert "alcohol" in private[0] and "private chat" in private[0]


async def test_remove_without_a_name_suggests_sober_remove(console: ConsoleAdapter) -> None:
    await console.push("/sober 2026-10-01 alcohol")
    await console.push("/sober 2026-11-01 nicotine")
    said = await console.push("/sober remove")
    assert "/sober remove alcohol" in said[0].text
    assert "/reset" not in said[0].text


def test_plan_next_is_utc_exact_for_every_start_hour() -> None:
    for hour in range(24):
        start = start_instant(date(2026, 3, 7), time(hour, 0), NEW_YORK)
        key, at = plan_next(date(2026, 3, 7), time(hour, 0), NEW_YORK, date(2026, 3, 7), NINE)
        assert key == "24h" and at is not None
        assert at >= int((start.astimezone(UTC) + timedelta(hours=24)).timestamp())


async def test_the_reset_example_date_is_a_real_answer_for_today(
    console: ConsoleAdapter,
) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-10-01 alcohol")
    await console.push("/reset")
    said = await console.push(":press Start again from another date")
    assert "2026-11-20" not in said[0].text  # no longer a fixed date
    assert "2026-11-22" in said[0].text  # three days back from today, 2026-11-25
    said = await console.push("someday")  # not a date: handled as any message
    said = await console.push("2026-11-22")
    assert 'new start for "alcohol" is 2026-11-22' in said[0].text
