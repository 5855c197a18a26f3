"""Daily check-in arithmetic: streaks, prompt times across DST, and a one-line summary."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import fmean, median
from zoneinfo import ZoneInfo

from bot.sobriety.model import start_instant

__all__ = [
    "CheckinPoint",
    "checkin_streak",
    "latest_by_day",
    "local_date_of",
    "next_prompt_utc",
    "summarize",
]

MOOD_RANGE = (1, 5)
CRAVINGS_RANGE = (0, 10)


@dataclass(frozen=True, slots=True)
class CheckinPoint:
    day: date  # the member's local date
    mood: int | None  # 1 (very low) to 5 (very good)
    cravings: int | None  # 0 (none) to 10 (overwhelming)

    def __post_init__(self) -> None:
        for name, value, (low, high) in (
            ("mood", self.mood, MOOD_RANGE),
            ("cravings", self.cravings, CRAVINGS_RANGE),
        ):
            if value is not None and not low <= value <= high:
                raise ValueError(f"{name} out of range: {value}")


def checkin_streak(local_dates: Iterable[date], today: date) -> int:
    """Consecutive check-in days ending today, or yesterday when today isn't done yet."""
    done = {d for d in local_dates if d <= today}
    day = today if today in done else today - timedelta(days=1)
    streak = 0
    while day in done:
        streak += 1
        day -= timedelta(days=1)
    return streak


def local_date_of(dt_utc: datetime, tz: ZoneInfo) -> date:
    """The member's calendar date at an aware instant."""
    if dt_utc.tzinfo is None:
        raise ValueError("local_date_of needs an aware datetime")
    return dt_utc.astimezone(tz).date()


def next_prompt_utc(local_time: time, tz: ZoneInfo, after_utc: datetime) -> datetime:
    """The next daily prompt at wall time `local_time` in `tz`, strictly after `after_utc`, in UTC.

    The wall time stays fixed across DST (09:00 stays 09:00 local). On a spring-forward day a
    missing time (02:30 when 02:00 jumps to 03:00) is sent once, at the moment the clocks jump
    (03:00 local). On a fall-back day a repeated time (01:30 twice) is sent at its first
    occurrence only. A prompt is only ever sent on its own local date, so there is at most one
    per date; a date with no wall time at or after `local_time` (a gap running past midnight,
    or a date skipped outright, as Samoa skipped 30 Dec 2011) has none.
    """
    if after_utc.tzinfo is None:
        raise ValueError("next_prompt_utc needs an aware datetime")
    day = local_date_of(after_utc, tz)
    while True:
        local = start_instant(day, local_time, tz)
        if local.date() == day and local.astimezone(UTC) > after_utc:
            return local.astimezone(UTC)
        day += timedelta(days=1)


def latest_by_day(points: Iterable[CheckinPoint]) -> dict[date, CheckinPoint]:
    """One point per day (the last one given wins), in date order."""
    by_day: dict[date, CheckinPoint] = {}
    for p in points:
        by_day[p.day] = p
    return dict(sorted(by_day.items()))


# Thresholds for summarize(), chosen so that one odd day doesn't produce a "trend".
_MIN_POINTS = 4  # values needed in the last week to talk about a trend
_MOOD_SLOPE = 0.15  # mood points per day (about one step over a week)
_CRAVING_SLOPE = 0.3  # craving points per day (about two steps over a week)
_MIN_WEEKDAY_SAMPLES = 2
_WEEKDAY_EXCESS = 1.5  # how far above the overall mean a weekday must be to stand out
_WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")


def summarize(points: Sequence[CheckinPoint]) -> str | None:
    """One plain-English line about recent check-ins, or None when there is too little data.

    In order of preference: this week's mood trend, this week's cravings trend, the weekday on
    which cravings run highest (needs two or more of that weekday), then a "steady" line. The
    week is the 7 days ending at the latest check-in.
    """
    by_day = latest_by_day(points)
    if len(by_day) < _MIN_POINTS:
        return None
    last = max(by_day)
    week = [p for d, p in by_day.items() if (last - d).days < 7]

    mood_slope = _slope([(p.day, p.mood) for p in week if p.mood is not None], last)
    if mood_slope is not None and mood_slope >= _MOOD_SLOPE:
        return "Your mood has been rising this week."
    craving_slope = _slope([(p.day, p.cravings) for p in week if p.cravings is not None], last)
    if craving_slope is not None and craving_slope <= -_CRAVING_SLOPE:
        return "Your cravings have been easing this week."
    if mood_slope is not None and mood_slope <= -_MOOD_SLOPE:
        return "Your mood has dipped this week. Be gentle with yourself, and reach out if it helps."
    if craving_slope is not None and craving_slope >= _CRAVING_SLOPE:
        return "Your cravings have been stronger this week. Reaching out to someone may help."
    if (weekday := _peak_craving_weekday(by_day.values())) is not None:
        return f"Your cravings were highest on {_WEEKDAYS[weekday]}."
    if mood_slope is None and craving_slope is None:
        return None
    return "Things have been fairly steady this week."


def _slope(values: list[tuple[date, int]], last: date) -> float | None:
    """Theil-Sen slope per day (median of pairwise slopes), so one unusual day can't make a
    trend; None with too few values."""
    if len(values) < _MIN_POINTS:
        return None
    pairs = [
        (v2 - v1) / (d2 - d1).days
        for i, (d1, v1) in enumerate(values)
        for d2, v2 in values[i + 1 :]
        if d2 != d1
    ]
    return median(pairs) if pairs else None


def _peak_craving_weekday(points: Iterable[CheckinPoint]) -> int | None:
    per_weekday: defaultdict[int, list[int]] = defaultdict(list)
    for p in points:
        if p.cravings is not None:
            per_weekday[p.day.weekday()].append(p.cravings)
    everything = [c for values in per_weekday.values() for c in values]
    if not everything:
        return None
    overall = fmean(everything)
    means = {
        wd: fmean(vals) for wd, vals in per_weekday.items() if len(vals) >= _MIN_WEEKDAY_SAMPLES
    }
    if not means:
        return None
    peak = max(means, key=lambda wd: (means[wd], -wd))  # ties: the earlier weekday
    return peak if means[peak] - overall >= _WEEKDAY_EXCESS else None
