from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sobriety.milestones import milestones_between
from bot.sobriety.model import clean_duration, days_clean, start_instant

BERLIN = ZoneInfo("Europe/Berlin")
LA = ZoneInfo("America/Los_Angeles")
SYDNEY = ZoneInfo("Australia/Sydney")
ZONES = [BERLIN, LA, SYDNEY, ZoneInfo("UTC"), ZoneInfo("Asia/Kolkata"), ZoneInfo("Pacific/Chatham")]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_start_instant_midnight_default() -> None:
    assert start_instant(date(2026, 3, 14), None, BERLIN) == datetime(2026, 3, 14, tzinfo=BERLIN)
    assert start_instant(date(2026, 3, 14), None, BERLIN).astimezone(UTC) == utc(2026, 3, 13, 23)


@pytest.mark.parametrize(
    ("tz", "day", "expected_utc"),
    [
        (BERLIN, date(2026, 3, 29), utc(2026, 3, 29, 1)),  # 02:00 -> 03:00 CEST
        (LA, date(2026, 3, 8), utc(2026, 3, 8, 10)),  # 02:00 -> 03:00 PDT
        (SYDNEY, date(2026, 10, 4), utc(2026, 10, 3, 16)),  # 02:00 -> 03:00 AEDT
    ],
)
def test_nonexistent_time_moves_to_the_end_of_the_gap(
    tz: ZoneInfo, day: date, expected_utc: datetime
) -> None:
    result = start_instant(day, time(2, 30), tz)
    assert result.astimezone(UTC) == expected_utc
    assert result.time() == time(3, 0)


def test_nonexistent_midnight_santiago() -> None:
    # Chile springs forward at 24:00, so 6 Sep 2026 has no midnight: the day starts at 01:00.
    result = start_instant(date(2026, 9, 6), None, ZoneInfo("America/Santiago"))
    assert result.time() == time(1, 0)
    assert result.date() == date(2026, 9, 6)


def test_ambiguous_time_takes_first_occurrence() -> None:
    first = start_instant(date(2026, 10, 25), time(2, 30), BERLIN)  # 02:30 happens twice
    assert first.astimezone(UTC) == utc(2026, 10, 25, 0, 30)
    first_la = start_instant(date(2026, 11, 1), time(1, 30), LA)
    assert first_la.astimezone(UTC) == utc(2026, 11, 1, 8, 30)


def test_days_clean_turns_at_local_midnight() -> None:
    start = start_instant(date(2026, 3, 14), time(23, 0), BERLIN)
    assert days_clean(start, utc(2026, 3, 14, 22, 59), BERLIN) == 0  # 23:59 local
    assert days_clean(start, utc(2026, 3, 14, 23, 0), BERLIN) == 1  # 00:00 local, one hour in
    assert days_clean(start, utc(2026, 3, 10), BERLIN) == 0  # before the start


def test_days_clean_west_and_east_of_utc() -> None:
    # 2026-11-30 05:00 UTC is still 29 Nov in Los Angeles but already 30 Nov in Sydney.
    now = utc(2026, 11, 30, 5)
    assert days_clean(datetime(2026, 11, 1, tzinfo=LA), now, LA) == 28
    assert days_clean(datetime(2026, 11, 1, tzinfo=SYDNEY), now, SYDNEY) == 29


def test_days_clean_accepts_naive_local_wall_times() -> None:
    assert days_clean(datetime(2026, 3, 1), datetime(2026, 3, 31, 0, 0), BERLIN) == 30


def test_clean_duration_is_real_time_across_spring_forward() -> None:
    start = start_instant(date(2026, 3, 28), time(12, 0), BERLIN)
    now = datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN)  # same tzinfo: naive subtraction says 24h
    assert now - start == timedelta(hours=24)
    assert clean_duration(start, now) == timedelta(hours=23)
    assert days_clean(start, now, BERLIN) == 1


def test_clean_duration_across_fall_back_sydney() -> None:
    start = start_instant(date(2026, 4, 4), time(12, 0), SYDNEY)
    assert clean_duration(start, datetime(2026, 4, 5, 12, tzinfo=SYDNEY)) == timedelta(hours=25)


def test_clean_duration_rejects_naive_and_never_negative() -> None:
    with pytest.raises(ValueError):
        clean_duration(datetime(2026, 1, 1), utc(2026, 1, 2))
    assert clean_duration(utc(2026, 1, 2), utc(2026, 1, 1)) == timedelta(0)


@pytest.mark.parametrize(
    ("tz", "start", "thirty_days_local_midnight_utc"),
    [
        # Berlin: start before spring forward, 30 days later is in CEST.
        (BERLIN, date(2026, 3, 20), utc(2026, 4, 18, 22)),
        # Los Angeles: start in PDT, 30 days later in PST (fall back 1 Nov 2026).
        (LA, date(2026, 10, 20), utc(2026, 11, 19, 8)),
        # Sydney: start in AEDT, 30 days later in AEST (fall back 5 Apr 2026).
        (SYDNEY, date(2026, 3, 20), utc(2026, 4, 18, 14)),
    ],
)
def test_thirty_day_milestone_across_dst(
    tz: ZoneInfo, start: date, thirty_days_local_midnight_utc: datetime
) -> None:
    [(milestone, due)] = milestones_between(start, start + timedelta(30), start + timedelta(30))
    assert milestone.key == "30d"
    assert start_instant(due, None, tz).astimezone(UTC) == thirty_days_local_midnight_utc
    start_at = start_instant(start, None, tz)
    moment = thirty_days_local_midnight_utc
    assert days_clean(start_at, moment - timedelta(seconds=1), tz) == 29
    assert days_clean(start_at, moment, tz) == 30


@given(
    st.dates(date(1990, 1, 1), date(2060, 1, 1)),
    st.integers(0, 2000),
    st.times(),
    st.sampled_from(ZONES),
)
def test_days_clean_counts_calendar_days(d: date, n: int, t: time, tz: ZoneInfo) -> None:
    start = start_instant(d, None, tz)
    now = start_instant(d + timedelta(days=n), t, tz)
    assert days_clean(start, now.astimezone(UTC), tz) == n


@given(st.dates(date(1990, 1, 1), date(2060, 1, 1)), st.times(), st.sampled_from(ZONES))
def test_start_instant_keeps_existing_wall_times(d: date, t: time, tz: ZoneInfo) -> None:
    result = start_instant(d, t, tz)
    assert result.date() == d
    assert result.time() >= t  # unchanged, or moved forward out of a gap
    assert result.astimezone(UTC).astimezone(tz) == result
