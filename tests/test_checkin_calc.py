from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.checkins.model import (
    CheckinPoint,
    checkin_streak,
    latest_by_day,
    local_date_of,
    next_prompt_utc,
    summarize,
    summary_text,
)
from bot.kernel.i18n import ENGLISH

BERLIN = ZoneInfo("Europe/Berlin")
LA = ZoneInfo("America/Los_Angeles")
SYDNEY = ZoneInfo("Australia/Sydney")
ZONES = [
    BERLIN, LA, SYDNEY, ZoneInfo("UTC"), ZoneInfo("America/Santiago"),
    ZoneInfo("Australia/Lord_Howe"), ZoneInfo("Asia/Kathmandu"), ZoneInfo("Pacific/Apia"),
]  # fmt: skip


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


D = date(2026, 3, 20)


def days_back(*offsets: int) -> list[date]:
    return [D - timedelta(days=o) for o in offsets]


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (days_back(0, 1, 2), 3),
        (days_back(1, 2, 3), 3),  # today not done yet: the streak still stands
        (days_back(2, 3), 0),
        (days_back(0, 2, 3), 1),
        (days_back(0, 0, 1, 1), 2),  # duplicates
        (days_back(-1, 0), 1),  # future dates are ignored
        ([], 0),
        (days_back(*range(400)), 400),
    ],
)
def test_checkin_streak(dates: list[date], expected: int) -> None:
    assert checkin_streak(iter(dates), D) == expected


def test_local_date_of() -> None:
    instant = utc(2026, 3, 20, 23, 30)
    assert local_date_of(instant, BERLIN) == date(2026, 3, 21)
    assert local_date_of(instant, LA) == date(2026, 3, 20)
    with pytest.raises(ValueError):
        local_date_of(datetime(2026, 3, 20), BERLIN)


def test_nine_oclock_stays_local_across_spring_forward() -> None:
    prompts = [next_prompt_utc(time(9), BERLIN, utc(2026, 3, 27, 8))]
    for _ in range(2):
        prompts.append(next_prompt_utc(time(9), BERLIN, prompts[-1]))
    assert prompts == [utc(2026, 3, 28, 8), utc(2026, 3, 29, 7), utc(2026, 3, 30, 7)]
    assert {p.astimezone(BERLIN).time() for p in prompts} == {time(9)}


def test_nine_oclock_across_fall_back_in_la_and_sydney() -> None:
    assert next_prompt_utc(time(9), LA, utc(2026, 10, 31, 16)) == utc(2026, 11, 1, 17)
    assert next_prompt_utc(time(9), SYDNEY, utc(2026, 4, 4, 0)) == utc(2026, 4, 4, 23)
    assert next_prompt_utc(time(9), SYDNEY, utc(2026, 10, 3, 0)) == utc(2026, 10, 3, 22)


@pytest.mark.parametrize(
    ("tz", "after", "expected"),
    [
        # 02:30 does not exist on these days: sent once, when clocks jump to 03:00.
        (BERLIN, utc(2026, 3, 28, 2), [utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30)]),
        (LA, utc(2026, 3, 7, 11), [utc(2026, 3, 8, 10), utc(2026, 3, 9, 9, 30)]),
        (SYDNEY, utc(2026, 10, 2, 17), [utc(2026, 10, 3, 16), utc(2026, 10, 4, 15, 30)]),
    ],
)
def test_nonexistent_time_sent_once(
    tz: ZoneInfo, after: datetime, expected: list[datetime]
) -> None:
    first = next_prompt_utc(time(2, 30), tz, after)
    second = next_prompt_utc(time(2, 30), tz, first)
    assert [first, second] == expected
    assert first.astimezone(tz).time() == time(3, 0)
    assert second.astimezone(tz).time() == time(2, 30)


@pytest.mark.parametrize(
    ("tz", "local", "day", "first_utc", "next_utc"),
    [
        (LA, time(1, 30), date(2026, 11, 1), utc(2026, 11, 1, 8, 30), utc(2026, 11, 2, 9, 30)),
        (
            BERLIN,
            time(2, 30),
            date(2026, 10, 25),
            utc(2026, 10, 25, 0, 30),
            utc(2026, 10, 26, 1, 30),
        ),
        (SYDNEY, time(2, 30), date(2026, 4, 5), utc(2026, 4, 4, 15, 30), utc(2026, 4, 5, 16, 30)),
    ],
)
def test_repeated_time_sent_once(
    tz: ZoneInfo, local: time, day: date, first_utc: datetime, next_utc: datetime
) -> None:
    start = datetime.combine(day - timedelta(days=1), time(12), tzinfo=tz).astimezone(UTC)
    assert next_prompt_utc(local, tz, start) == first_utc
    # Asked again between the two occurrences (e.g. after sending), it moves to the next day.
    assert next_prompt_utc(local, tz, first_utc) == next_utc
    assert next_prompt_utc(local, tz, first_utc + timedelta(minutes=61)) == next_utc


def test_next_prompt_is_strictly_after() -> None:
    at = utc(2026, 6, 1, 7)  # exactly 09:00 in Berlin
    assert next_prompt_utc(time(9), BERLIN, at) == utc(2026, 6, 2, 7)
    assert next_prompt_utc(time(9), BERLIN, at - timedelta(microseconds=1)) == at
    with pytest.raises(ValueError):
        next_prompt_utc(time(9), BERLIN, datetime(2026, 6, 1))


@settings(max_examples=300)
@given(
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.sampled_from(ZONES),
    st.datetimes(datetime(2000, 1, 1), datetime(2037, 12, 31), timezones=st.just(UTC)),
)
def test_next_prompt_properties(local: time, tz: ZoneInfo, after: datetime) -> None:
    result = next_prompt_utc(local, tz, after)
    assert result.tzinfo is UTC
    # At most a day plus a DST shift later; two days where a date was skipped (Apia, 2011).
    assert after < result <= after + timedelta(days=2)
    shown = result.astimezone(tz)
    wall = datetime.combine(shown.date(), local, tzinfo=tz)
    exists = wall.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None)
    if exists:
        assert shown.time() == local
    else:
        assert shown.time() > local  # moved forward out of the gap, same local day
    # The following prompt falls on the next existing local date: one prompt per day.
    following = next_prompt_utc(local, tz, result)
    assert timedelta(days=1) <= following.astimezone(tz).date() - shown.date() <= timedelta(2)
    if tz.key != "Pacific/Apia":
        assert result <= after + timedelta(days=1, hours=1)
        assert following.astimezone(tz).date() - shown.date() == timedelta(days=1)


def test_checkin_point_validates_ranges() -> None:
    CheckinPoint(D, 1, 0)
    CheckinPoint(D, 5, 10)
    CheckinPoint(D, None, None)
    for mood, cravings in [(0, 0), (6, 0), (3, -1), (3, 11)]:
        with pytest.raises(ValueError):
            CheckinPoint(D, mood, cravings)


def test_latest_by_day_last_wins_and_sorted() -> None:
    points = [CheckinPoint(D, 3, 2), CheckinPoint(D - timedelta(1), 1, 1), CheckinPoint(D, 4, 0)]
    assert list(latest_by_day(points).values()) == [points[1], points[2]]


def english(points: Sequence[CheckinPoint], days: int = 7) -> str | None:
    found = summarize(points, days)
    return summary_text(ENGLISH, found) if found is not None else None


def week(
    moods: Sequence[int | None], cravings: Sequence[int | None], end: date = D
) -> list[CheckinPoint]:
    n = len(moods)
    return [
        CheckinPoint(end - timedelta(days=n - 1 - i), m, c)
        for i, (m, c) in enumerate(zip(moods, cravings, strict=True))
    ]


def test_summarize_too_little_data() -> None:
    assert english([]) is None
    assert english(week([3, 4, 5], [1, 1, 1])) is None
    assert english(week([None] * 6, [None] * 6)) is None


def test_summarize_trends() -> None:
    steady_cravings = [3] * 7
    assert english(week([1, 2, 2, 3, 3, 4, 5], steady_cravings)) == (
        "Your mood has been rising this week."
    )
    assert english(week([3] * 7, [8, 7, 6, 5, 4, 3, 2])) == (
        "Your cravings have been easing this week."
    )
    assert str(english(week([5, 4, 4, 3, 3, 2, 1], steady_cravings))).startswith(
        "Your mood has dipped this week."
    )
    assert str(english(week([3] * 7, [1, 2, 3, 5, 6, 7, 8]))).startswith(
        "Your cravings have been stronger this week."
    )
    assert english(week([3, 3, 4, 3, 3, 3, 3], [2, 3, 2, 3, 2, 3, 2])) == (
        "Things have been fairly steady this week."
    )


def test_summarize_ignores_one_noisy_day_and_old_data() -> None:
    # A bad day three weeks ago doesn't make a trend this week.
    old = week([1, 1, 1, 1], [9, 9, 9, 9], end=D - timedelta(days=21))
    assert english(old + week([3] * 7, [2] * 7)) == "Things have been fairly steady this week."


def test_summarize_peak_weekday() -> None:
    # Four steady weeks, except that Fridays run high.
    points = []
    for i in range(28):
        day = date(2026, 2, 22) + timedelta(days=i)  # a Sunday, through Sat 21 Mar
        points.append(CheckinPoint(day, 3, 8 if day.weekday() == 4 else 2))
    assert english(points) == "Your cravings were highest on Fridays."
    # One high Friday alone isn't a pattern.
    assert english(points[-7:]) == "Things have been fairly steady this week."


@given(st.sets(st.integers(-3, 40)), st.dates(date(2000, 1, 1), date(2100, 1, 1)))
def test_streak_matches_brute_force(offsets: set[int], today: date) -> None:
    dates = {today - timedelta(days=o) for o in offsets}
    start = 0 if 0 in offsets else 1
    expected = 0
    while start + expected in offsets:
        expected += 1
    assert checkin_streak(dates, today) == expected


def test_summarize_single_spike_is_not_a_trend() -> None:
    assert english(week([3] * 7, [2, 2, 2, 2, 2, 9, 2])) == (
        "Things have been fairly steady this week."
    )


def test_skipped_local_date_gets_no_prompt() -> None:
    # Samoa jumped from 29 to 31 Dec 2011 across the date line: one prompt on 31 Dec, not two.
    apia = ZoneInfo("Pacific/Apia")
    first = next_prompt_utc(time(9), apia, utc(2011, 12, 29, 0))
    second = next_prompt_utc(time(9), apia, first)
    assert first.astimezone(apia) == datetime(2011, 12, 29, 9, tzinfo=apia)
    assert second.astimezone(apia) == datetime(2011, 12, 31, 9, tzinfo=apia)
