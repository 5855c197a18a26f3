"""Weekly recurrence in the meeting's own zone, across DST on both sides of the Atlantic and in
the southern hemisphere."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.meetings.model import MeetingSpec
from bot.meetings.occurrences import (
    Occurrence,
    humanize_until,
    next_occurrence,
    occurrences,
    resolve_local,
    to_local,
)

UTC = dt.UTC
NY = ZoneInfo("America/New_York")
SYD = ZoneInfo("Australia/Sydney")


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> dt.datetime:
    return dt.datetime(y, mo, d, h, mi, tzinfo=UTC)


def spec(**kw: object) -> MeetingSpec:
    base: dict[str, object] = {"name": "Group", "weekdays": (1,), "start": dt.time(19, 0)}
    base.update(kw)
    return MeetingSpec(**base)  # type: ignore[arg-type]


# --- resolve_local: gaps and overlaps -----------------------------------------------------


def test_spring_forward_gap_moves_forward_by_the_gap() -> None:
    got = resolve_local(dt.date(2024, 3, 10), dt.time(2, 30), NY)
    assert (got.hour, got.minute) == (3, 30)
    assert got.utcoffset() == dt.timedelta(hours=-4)
    assert got.astimezone(UTC) == utc(2024, 3, 10, 7, 30)


def test_fall_back_overlap_takes_the_first() -> None:
    got = resolve_local(dt.date(2024, 11, 3), dt.time(1, 30), NY)
    assert got.astimezone(UTC) == utc(2024, 11, 3, 5, 30)  # still EDT


def test_sydney_gap_and_overlap() -> None:
    gap = resolve_local(dt.date(2024, 10, 6), dt.time(2, 30), SYD)
    assert gap.astimezone(UTC) == utc(2024, 10, 5, 16, 30)  # 03:30 AEDT
    assert (gap.hour, gap.minute) == (3, 30)
    overlap = resolve_local(dt.date(2024, 4, 7), dt.time(2, 30), SYD)
    assert overlap.astimezone(UTC) == utc(2024, 4, 6, 15, 30)  # first: AEDT (+11)


def test_ordinary_time_is_untouched() -> None:
    got = resolve_local(dt.date(2024, 7, 2), dt.time(19, 0), NY)
    assert got.astimezone(UTC) == utc(2024, 7, 2, 23, 0)


# --- occurrences ----------------------------------------------------------------------------


def test_new_york_meeting_stays_at_local_time_across_us_dst_and_shows_right_in_london() -> None:
    s = spec(tz="America/New_York", duration_min=90)
    occ = occurrences(s, utc(2024, 3, 4), utc(2024, 4, 5))
    assert [o.start_utc for o in occ] == [
        utc(2024, 3, 6, 0, 0),  # Tue 5 Mar 19:00 EST
        utc(2024, 3, 12, 23, 0),  # US on EDT, UK still GMT
        utc(2024, 3, 19, 23, 0),
        utc(2024, 3, 26, 23, 0),
        utc(2024, 4, 2, 23, 0),  # both on summer time
    ]
    assert [o.local_date for o in occ] == [dt.date(2024, 3, d) for d in (5, 12, 19, 26)] + [
        dt.date(2024, 4, 2)
    ]
    assert all(to_local(o.start_utc, s.tz).time() == dt.time(19, 0) for o in occ)
    assert all(o.end_utc - o.start_utc == dt.timedelta(minutes=90) for o in occ)
    london = [to_local(o.start_utc, "Europe/London") for o in occ]
    assert [(x.day, x.hour) for x in london] == [(6, 0), (12, 23), (19, 23), (26, 23), (3, 0)]


def test_new_york_meeting_in_the_autumn_gap_between_eu_and_us() -> None:
    s = spec(tz="America/New_York")
    occ = occurrences(s, utc(2024, 10, 20), utc(2024, 11, 10))
    assert [o.start_utc for o in occ] == [
        utc(2024, 10, 22, 23, 0),
        utc(2024, 10, 29, 23, 0),  # UK back on GMT, US still EDT
        utc(2024, 11, 6, 0, 0),  # US back on EST
    ]
    london = [to_local(o.start_utc, "Europe/London") for o in occ]
    assert [(x.month, x.day, x.hour) for x in london] == [(10, 23, 0), (10, 29, 23), (11, 6, 0)]


def test_london_meeting_across_uk_dst() -> None:
    s = spec(weekdays=(0,), start=dt.time(18, 0), tz="Europe/London")
    occ = occurrences(s, utc(2024, 3, 20), utc(2024, 4, 5))
    assert [o.start_utc for o in occ] == [utc(2024, 3, 25, 18), utc(2024, 4, 1, 17)]


def test_sydney_local_date_is_the_key_not_the_utc_date() -> None:
    s = spec(weekdays=(2,), start=dt.time(7, 0), tz="Australia/Sydney")
    occ = occurrences(s, utc(2024, 4, 1), utc(2024, 4, 12))
    assert occ == [
        Occurrence(utc(2024, 4, 2, 20), utc(2024, 4, 2, 21), dt.date(2024, 4, 3)),  # AEDT
        Occurrence(utc(2024, 4, 9, 21), utc(2024, 4, 9, 22), dt.date(2024, 4, 10)),  # AEST
    ]


def test_meeting_in_the_spring_forward_gap() -> None:
    s = spec(weekdays=(6,), start=dt.time(2, 30), tz="America/New_York")
    occ = occurrences(s, utc(2024, 3, 1), utc(2024, 3, 20))
    assert [o.start_utc for o in occ] == [
        utc(2024, 3, 3, 7, 30),
        utc(2024, 3, 10, 7, 30),  # 03:30 EDT
        utc(2024, 3, 17, 6, 30),
    ]
    assert [o.local_date.day for o in occ] == [3, 10, 17]


def test_multi_weekday_sorted_and_half_open() -> None:
    s = spec(weekdays=(4, 0, 2), start=dt.time(12, 0))
    occ = occurrences(s, utc(2024, 1, 1, 12), utc(2024, 1, 8, 12))
    # start == after is included, start == until is not
    assert [o.start_utc for o in occ] == [
        utc(2024, 1, 1, 12),
        utc(2024, 1, 3, 12),
        utc(2024, 1, 5, 12),
    ]


def test_skipped_local_dates_are_excluded() -> None:
    s = spec(weekdays=(1, 3), tz="America/New_York", skipped=frozenset({dt.date(2024, 3, 12)}))
    occ = occurrences(s, utc(2024, 3, 11), utc(2024, 3, 16))
    assert [o.local_date for o in occ] == [dt.date(2024, 3, 14)]


def test_empty_or_inverted_windows() -> None:
    s = spec()
    assert occurrences(s, utc(2024, 1, 10), utc(2024, 1, 1)) == []
    assert occurrences(spec(weekdays=()), utc(2024, 1, 1), utc(2024, 2, 1)) == []


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError):
        occurrences(spec(), dt.datetime(2024, 1, 1), utc(2024, 2, 1))
    with pytest.raises(ValueError):
        to_local(dt.datetime(2024, 1, 1), "UTC")


# --- next_occurrence -------------------------------------------------------------------------


def test_next_occurrence_and_in_progress() -> None:
    s = spec()  # Tuesday 19:00 UTC, 60 min
    during = utc(2024, 1, 2, 19, 30)
    nxt = next_occurrence(s, during)
    assert nxt is not None and nxt.start_utc == utc(2024, 1, 9, 19)
    cur = next_occurrence(s, during, include_in_progress=True)
    assert cur is not None and cur.start_utc == utc(2024, 1, 2, 19)
    at_end = next_occurrence(s, utc(2024, 1, 2, 20), include_in_progress=True)
    assert at_end is not None and at_end.start_utc == utc(2024, 1, 9, 19)
    at_start = next_occurrence(s, utc(2024, 1, 2, 19))
    assert at_start is not None and at_start.start_utc == utc(2024, 1, 2, 19)


def test_next_occurrence_skips_cancelled_dates() -> None:
    s = spec(skipped=frozenset({dt.date(2024, 1, 9), dt.date(2024, 1, 16)}))
    nxt = next_occurrence(s, utc(2024, 1, 3))
    assert nxt is not None and nxt.local_date == dt.date(2024, 1, 23)


def test_next_occurrence_none() -> None:
    assert next_occurrence(spec(weekdays=()), utc(2024, 1, 1)) is None
    forever = frozenset(dt.date(2024, 1, 2) + dt.timedelta(weeks=w) for w in range(200))
    assert next_occurrence(spec(skipped=forever), utc(2024, 1, 1)) is None


# --- humanize ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ahead", "expected"),
    [
        (dt.timedelta(seconds=30), "in 1 min"),
        (dt.timedelta(minutes=45), "in 45 min"),
        (dt.timedelta(minutes=60), "in 1 h"),
        (dt.timedelta(hours=2), "in 2 h"),
        (dt.timedelta(minutes=90), "in 2 h"),
        (dt.timedelta(minutes=149), "in 2 h"),
        (dt.timedelta(hours=23, minutes=20), "in 23 h"),
        (dt.timedelta(hours=25), "in 1 day"),
        (dt.timedelta(days=3), "in 3 days"),
    ],
)
def test_humanize_future(ahead: dt.timedelta, expected: str) -> None:
    now = utc(2024, 1, 1, 12)
    assert humanize_until(now + ahead, now + ahead + dt.timedelta(hours=1), now) == expected


def test_humanize_now_and_ended() -> None:
    now = utc(2024, 1, 1, 12)
    assert humanize_until(now, now + dt.timedelta(hours=1), now) == "now"
    start = now - dt.timedelta(minutes=10)
    assert humanize_until(start, now + dt.timedelta(minutes=50), now) == "now"
    assert humanize_until(start - dt.timedelta(hours=1), now, now) == "ended"
