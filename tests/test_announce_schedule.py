from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.announcements.schedule import (
    LAST_DAY,
    Frequency,
    Occurrence,
    Schedule,
    ScheduleInputError,
    due_between,
    next_occurrence,
    occurrence_key,
    parse_schedule,
    resolve_wall_time,
)
from bot.common.dates import InputError

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
MON, TUE, WED, THU, FRI, SAT, SUN = range(7)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def daily(hh: int, mm: int = 0) -> Schedule:
    return Schedule(Frequency.DAILY, time(hh, mm))


def monthly(day: int, hh: int = 10) -> Schedule:
    return Schedule(Frequency.MONTHLY, time(hh), day_of_month=day)


# ---- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily 08:00", daily(8)),
        ("every day at 8 am", daily(8)),
        ("weekdays 07:30", Schedule(Frequency.WEEKLY, time(7, 30), (MON, TUE, WED, THU, FRI))),
        ("mon-fri 7:30", Schedule(Frequency.WEEKLY, time(7, 30), (MON, TUE, WED, THU, FRI))),
        ("weekends 10am", Schedule(Frequency.WEEKLY, time(10), (SAT, SUN))),
        ("weekly mon,thu 19:00", Schedule(Frequency.WEEKLY, time(19), (MON, THU))),
        ("Weekly  Mon , Thu at 19:00", Schedule(Frequency.WEEKLY, time(19), (MON, THU))),
        ("every tuesday 7pm", Schedule(Frequency.WEEKLY, time(19), (TUE,))),
        ("tuesdays 7 pm", Schedule(Frequency.WEEKLY, time(19), (TUE,))),
        ("every Tue and Thu at 7:30 p.m.", Schedule(Frequency.WEEKLY, time(19, 30), (TUE, THU))),
        ("fri-mon 09:00", Schedule(Frequency.WEEKLY, time(9), (MON, FRI, SAT, SUN))),
        ("monthly 15 10:00", monthly(15)),
        ("monthly on the 15th at 10am", monthly(15)),
        ("monthly last 18:00", monthly(LAST_DAY, 18)),
        ("monthly last day 18:00", monthly(LAST_DAY, 18)),
        ("monthly 31 10:00", monthly(31)),
    ],
)
def test_parse_schedule(text: str, expected: Schedule) -> None:
    assert parse_schedule(text) == expected
    assert parse_schedule(expected.canonical()) == expected


@pytest.mark.parametrize(
    ("text", "key", "detail"),
    [
        ("", "announce.bad_schedule", ""),
        ("yearly 10:00", "announce.bad_schedule", "yearly 10:00"),
        ("x" * 2000, "announce.bad_schedule", "x" * 30),
        ("daily", "announce.missing_time", ""),
        ("weekly mon", "announce.missing_time", ""),
        ("every tuesday at", "announce.missing_time", ""),
        ("monthly last", "announce.missing_time", ""),
        ("daily 25:00", "announce.bad_time", "25:00"),
        ("daily 7", "announce.bad_time", "7"),  # morning or evening?
        ("weekly mon soon", "announce.bad_time", "soon"),
        ("weekly", "announce.missing_days", ""),
        ("every 7pm", "announce.missing_days", ""),
        ("weekly mon,xyz 10:00", "announce.bad_weekday", "xyz"),
        ("monthly 32 10:00", "announce.bad_day_of_month", "32"),
        ("monthly 0 10:00", "announce.bad_day_of_month", "0"),
        ("monthly 10:00", "announce.bad_day_of_month", "10:00"),  # the day is missing
    ],
)
def test_parse_schedule_errors(text: str, key: str, detail: str) -> None:
    with pytest.raises(ScheduleInputError) as err:
        parse_schedule(text)
    assert (err.value.key, err.value.detail) == (key, detail)
    assert isinstance(err.value, InputError)


def test_schedule_rejects_inconsistent_fields() -> None:
    with pytest.raises(ValueError):
        Schedule(Frequency.WEEKLY, time(9))  # no weekdays
    with pytest.raises(ValueError):
        Schedule(Frequency.WEEKLY, time(9), (THU, MON))  # unsorted
    with pytest.raises(ValueError):
        Schedule(Frequency.MONTHLY, time(9), day_of_month=32)
    with pytest.raises(ValueError):
        Schedule(Frequency.DAILY, time(9, 0, 30))


# ---- DST: America/New_York (2026: spring forward Mar 8, fall back Nov 1) ---------------------


def test_new_york_nonexistent_time_posts_once_at_first_minute_after_the_gap() -> None:
    schedule = parse_schedule("daily 02:30")
    got = due_between(schedule, utc(2026, 3, 6, 12), utc(2026, 3, 9, 12), NY)
    assert got == [
        Occurrence(utc(2026, 3, 7, 7, 30), date(2026, 3, 7)),  # 02:30 EST
        Occurrence(utc(2026, 3, 8, 7, 0), date(2026, 3, 8)),  # no 02:30: 03:00 EDT
        Occurrence(utc(2026, 3, 9, 6, 30), date(2026, 3, 9)),  # 02:30 EDT
    ]
    assert got[1].at_utc.astimezone(NY).time() == time(3, 0)


def test_new_york_ambiguous_time_posts_only_the_first_time() -> None:
    schedule = parse_schedule("daily 01:30")
    first = next_occurrence(schedule, utc(2026, 11, 1, 0), NY)
    assert first == Occurrence(utc(2026, 11, 1, 5, 30), date(2026, 11, 1))  # 01:30 EDT
    # Between the two 01:30s, and after the second, the next post is the next day's.
    for now in (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 0), utc(2026, 11, 1, 6, 30)):
        assert next_occurrence(schedule, now, NY) == Occurrence(
            utc(2026, 11, 2, 6, 30), date(2026, 11, 2)
        )


def test_new_york_weekly_across_the_spring_forward_week() -> None:
    schedule = parse_schedule("weekly mon,thu 19:00")
    got = due_between(schedule, utc(2026, 3, 1), utc(2026, 3, 13), NY)
    assert [(o.local_date, o.at_utc) for o in got] == [
        (date(2026, 3, 2), utc(2026, 3, 3, 0)),  # 19:00 EST = 00:00 UTC next day
        (date(2026, 3, 5), utc(2026, 3, 6, 0)),
        (date(2026, 3, 9), utc(2026, 3, 9, 23)),  # 19:00 EDT
        (date(2026, 3, 12), utc(2026, 3, 12, 23)),
    ]
    assert all(o.at_utc.astimezone(NY).time() == time(19) for o in got)


# ---- DST: Europe/London (2026: BST from Mar 29 01:00 GMT, until Oct 25 02:00 BST) ------------


def test_london_spring_forward_and_fall_back() -> None:
    schedule = parse_schedule("daily 01:30")
    spring = next_occurrence(schedule, utc(2026, 3, 28, 12), LONDON)
    assert spring == Occurrence(utc(2026, 3, 29, 1, 0), date(2026, 3, 29))  # 02:00 BST
    autumn = due_between(schedule, utc(2026, 10, 24, 12), utc(2026, 10, 26, 12), LONDON)
    assert autumn == [
        Occurrence(utc(2026, 10, 25, 0, 30), date(2026, 10, 25)),  # 01:30 BST, not GMT too
        Occurrence(utc(2026, 10, 26, 1, 30), date(2026, 10, 26)),
    ]


def test_london_weekly_keeps_its_wall_time_through_the_dst_week() -> None:
    schedule = parse_schedule("every sunday 08:00")
    got = due_between(schedule, utc(2026, 3, 20), utc(2026, 4, 6), LONDON)
    assert [o.at_utc for o in got] == [utc(2026, 3, 22, 8), utc(2026, 3, 29, 7), utc(2026, 4, 5, 7)]


def test_resolve_wall_time_in_a_half_hour_dst_zone() -> None:
    # Lord Howe Island springs forward by 30 minutes, 02:00 -> 02:30 (2026-10-04).
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    got = resolve_wall_time(date(2026, 10, 4), time(2, 10), lord_howe)
    assert got.astimezone(lord_howe).time() == time(2, 30)


# ---- monthly by date -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("schedule", "year", "expected_day"),
    [
        (monthly(31), 2026, 28),  # the 31st in a short month goes on its last day
        (monthly(31), 2028, 29),  # leap year
        (monthly(30), 2026, 28),
        (monthly(29), 2027, 28),
        (monthly(29), 2028, 29),
        (monthly(29), 2100, 28),  # divisible by 100, not by 400: common year
        (monthly(29), 2000, 29),  # divisible by 400: leap year
        (monthly(LAST_DAY), 2026, 28),
        (monthly(LAST_DAY), 2024, 29),
        (monthly(15), 2026, 15),
    ],
)
def test_monthly_in_february(schedule: Schedule, year: int, expected_day: int) -> None:
    got = next_occurrence(schedule, datetime(year, 1, 31, 23, tzinfo=UTC), "UTC")
    assert got.local_date == date(year, 2, expected_day)
    assert got.at_utc == datetime(year, 2, expected_day, 10, tzinfo=UTC)


def test_monthly_31st_over_a_year_posts_once_a_month_on_the_right_day() -> None:
    got = due_between(monthly(31), utc(2028, 1, 1), utc(2029, 1, 1), NY)
    assert [o.local_date for o in got] == [
        date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30),
        date(2028, 5, 31), date(2028, 6, 30), date(2028, 7, 31), date(2028, 8, 31),
        date(2028, 9, 30), date(2028, 10, 31), date(2028, 11, 30), date(2028, 12, 31),
    ]  # fmt: skip


# ---- exactly once ----------------------------------------------------------------------------


@pytest.mark.parametrize("zone", [NY, LONDON, ZoneInfo("Australia/Lord_Howe")])
@pytest.mark.parametrize("wall", [time(0, 0), time(1, 30), time(2, 15), time(23, 59)])
def test_a_year_of_daily_posts_has_one_per_local_date(zone: ZoneInfo, wall: time) -> None:
    schedule = Schedule(Frequency.DAILY, wall)
    got = due_between(schedule, utc(2026, 1, 1), utc(2027, 1, 1), zone)
    dates = [o.local_date for o in got]
    assert len(dates) == len(set(dates))
    assert all(b - a == timedelta(days=1) for a, b in pairwise(dates))
    assert all(a.at_utc < b.at_utc for a, b in pairwise(got))
    assert len({occurrence_key(7, d) for d in dates}) == len(dates)


def test_occurrence_key() -> None:
    assert occurrence_key(42, date(2026, 3, 8)) == "42:2026-03-08"
    assert occurrence_key("a1", date(2026, 3, 8)) == "a1:2026-03-08"


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError):
        next_occurrence(daily(8), datetime(2026, 1, 1), NY)


# ---- properties ------------------------------------------------------------------------------

ZONES = [
    "America/New_York", "Europe/London", "Australia/Lord_Howe", "America/St_Johns",
    "Europe/Dublin", "Pacific/Chatham", "Asia/Kolkata", "America/Santiago", "UTC",
]  # fmt: skip

schedules = st.one_of(
    st.builds(daily, st.integers(0, 23), st.integers(0, 59)),
    st.builds(
        lambda days, hh, mm: Schedule(Frequency.WEEKLY, time(hh, mm), tuple(sorted(days))),
        st.sets(st.integers(0, 6), min_size=1),
        st.integers(0, 23),
        st.integers(0, 59),
    ),
    st.builds(
        lambda day, hh, mm: Schedule(Frequency.MONTHLY, time(hh, mm), day_of_month=day),
        st.one_of(st.integers(1, 31), st.just(LAST_DAY)),
        st.integers(0, 23),
        st.integers(0, 59),
    ),
)
instants = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2037, 12, 31), timezones=st.just(UTC)
)


def first_at_or_after_wall(d: date, wall: time, zone: ZoneInfo) -> datetime:
    """Independent oracle: the first UTC minute at which the local clock on date `d` shows
    `wall` or later (a gap's first minute, or the first of two repeated times)."""
    target = datetime.combine(d, wall)
    probe = datetime.combine(d, wall, tzinfo=UTC) - timedelta(hours=15)
    while (local := probe.astimezone(zone)).replace(tzinfo=None) < target or local.date() != d:
        probe += timedelta(minutes=1)
    return probe


@settings(max_examples=150, deadline=None)
@given(schedule=schedules, now=instants, zone_name=st.sampled_from(ZONES))
def test_next_occurrence_is_the_first_post_strictly_after_now(
    schedule: Schedule, now: datetime, zone_name: str
) -> None:
    zone = ZoneInfo(zone_name)
    got = next_occurrence(schedule, now, zone_name)
    assert got.at_utc > now
    assert schedule.matches(got.local_date)
    assert got.at_utc == first_at_or_after_wall(got.local_date, schedule.at, zone)
    local = got.at_utc.astimezone(zone)
    assert local.date() == got.local_date
    assert local.time() == schedule.at or local.time() > schedule.at  # later only after a gap
    # Nothing was skipped: every matching date in between posted at or before `now`.
    day = now.astimezone(zone).date() - timedelta(days=1)
    while day < got.local_date:
        if schedule.matches(day):
            assert first_at_or_after_wall(day, schedule.at, zone) <= now
        day += timedelta(days=1)


@settings(max_examples=50, deadline=None)
@given(schedule=schedules, now=instants, zone_name=st.sampled_from(ZONES))
def test_posts_are_strictly_increasing_and_never_repeat_a_date(
    schedule: Schedule, now: datetime, zone_name: str
) -> None:
    got = due_between(schedule, now, now + timedelta(days=120), zone_name)
    assert all(a.at_utc < b.at_utc for a, b in pairwise(got))
    assert len({o.local_date for o in got}) == len(got)
    assert got == sorted(got, key=lambda o: o.local_date)


@given(schedule=schedules)
def test_canonical_form_reads_back(schedule: Schedule) -> None:
    assert parse_schedule(schedule.canonical()) == schedule
