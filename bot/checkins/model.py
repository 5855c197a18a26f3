"""Daily check-in arithmetic: streaks, prompt times across DST, and a one-line summary."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from statistics import fmean, median
from zoneinfo import ZoneInfo

from bot.kernel.i18n import Translator
from bot.sobriety.model import start_instant

__all__ = [
    "CheckinPoint",
    "Summary",
    "checkin_streak",
    "latest_by_day",
    "local_date_of",
    "next_prompt_utc",
    "summarize",
    "summary_text",
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


# Thresholds for summarize(), chosen so that one odd day doesn't produce a "trend". Slopes are
# per day over a week; a longer window needs a proportionally gentler slope for the same
# change over the window (one mood step, two craving steps).
_MIN_POINTS = 4  # values needed in the window to talk about a trend (a week)
_MOOD_SLOPE = 0.15  # mood points per day over a week (about one step)
_CRAVING_SLOPE = 0.3  # craving points per day over a week (about two steps)
_MIN_WEEKDAY_SAMPLES = 2
_WEEKDAY_EXCESS = 1.5  # how far above the overall mean a weekday must be to stand out


@dataclass(frozen=True, slots=True)
class Summary:
    """One line about recent check-ins: `kind` is a catalog key under progress.summary
    (mood_up, cravings_down, mood_down, cravings_up, peak, steady); `weekday` (0 = Monday)
    for "peak"; `days` is the window the trend is about (7: "this week")."""

    kind: str
    days: int = 7
    weekday: int | None = None


def summarize(points: Sequence[CheckinPoint], days: int = 7) -> Summary | None:
    """One line about recent check-ins, or None when there is too little data.

    In order of preference: the mood trend over the window (the `days` days ending at the
    latest check-in), the cravings trend, the weekday on which cravings run highest (needs
    two or more of that weekday), then "steady".
    """
    by_day = latest_by_day(points)
    if len(by_day) < _MIN_POINTS:
        return None
    minimum = max(_MIN_POINTS, days // 4)  # values a trend over the window needs
    last = max(by_day)
    window = [p for d, p in by_day.items() if (last - d).days < days]
    scale = 7 / max(days, 7)
    mood_slope = _slope([(p.day, p.mood) for p in window if p.mood is not None], minimum)
    craving_slope = _slope(
        [(p.day, p.cravings) for p in window if p.cravings is not None], minimum
    )
    if mood_slope is not None and mood_slope >= _MOOD_SLOPE * scale:
        return Summary("mood_up", days)
    if craving_slope is not None and craving_slope <= -_CRAVING_SLOPE * scale:
        return Summary("cravings_down", days)
    if mood_slope is not None and mood_slope <= -_MOOD_SLOPE * scale:
        return Summary("mood_down", days)
    if craving_slope is not None and craving_slope >= _CRAVING_SLOPE * scale:
        return Summary("cravings_up", days)
    if (weekday := _peak_craving_weekday(by_day.values())) is not None:
        return Summary("peak", days, weekday)
    if mood_slope is None and craving_slope is None:
        return None
    return Summary("steady", days)


def summary_text(tr: Translator, summary: Summary) -> str:
    """The summary in the member's words: "this week" only when the window is a week."""
    period = tr("progress.this_week") if summary.days <= 7 else tr.n(
        "progress.these_days", summary.days
    )
    weekday = tr(f"progress.weekdays.{summary.weekday}") if summary.weekday is not None else ""
    return tr(f"progress.summary.{summary.kind}", period=period, weekday=weekday)


def _slope(values: list[tuple[date, int]], minimum: int = _MIN_POINTS) -> float | None:
    """Theil-Sen slope per day (median of pairwise slopes), so one unusual day can't make a
    trend; None with too few values."""
    if len(values) < minimum:
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
