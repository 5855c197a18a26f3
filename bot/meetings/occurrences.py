"""When a weekly meeting happens, computed in the meeting's own time zone.

All instants in and out are aware datetimes (results in UTC). Wall times are resolved the way
RFC 5545 and calendar apps do, so the bot and an exported .ics agree:
- a time inside a spring-forward gap uses the offset from before the gap, i.e. it moves forward
  by the gap's length (02:30 on a US spring-forward day -> 03:30 EDT);
- an ambiguous time on a fall-back day is the first of the two (fold=0, still daylight time).
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.meetings.model import MeetingSpec, zone

UTC = datetime.UTC
_MAX_SCAN_DAYS = 3 * 366  # next_occurrence gives up after this much skipped/cancelled time


@dataclass(frozen=True, slots=True)
class Occurrence:
    start_utc: datetime.datetime
    end_utc: datetime.datetime
    local_date: datetime.date  # nominal date in the meeting's tz: the occurrence's key


def _require_aware(*dts: datetime.datetime) -> None:
    for dt in dts:
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError("naive datetime: pass an aware (preferably UTC) datetime")


def resolve_local(d: datetime.date, t: datetime.time, tz: ZoneInfo) -> datetime.datetime:
    """Wall time on `d` in `tz` -> aware datetime in `tz` (see module doc for gaps/overlaps)."""
    naive = datetime.datetime.combine(d, t.replace(tzinfo=None, fold=0))
    # zoneinfo with fold=0 applies the pre-transition offset to a gap time; the UTC round trip
    # turns that into a real wall time (02:30 EST-offset == 03:30 EDT).
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


def to_local(dt_utc: datetime.datetime, tz: str) -> datetime.datetime:
    """Show an instant in a member's (or meeting's) zone."""
    _require_aware(dt_utc)
    return dt_utc.astimezone(zone(tz))


def occurrences(
    spec: MeetingSpec, after: datetime.datetime, until: datetime.datetime
) -> list[Occurrence]:
    """Occurrences with `after <= start_utc < until`, sorted; skipped local dates excluded."""
    _require_aware(after, until)
    if until <= after or not spec.weekdays:
        return []
    tz = zone(spec.tz)
    duration = datetime.timedelta(minutes=spec.duration_min)
    weekdays = set(spec.weekdays)
    # A local date can start up to ~a day away from its UTC date; pad both ends.
    day = after.astimezone(tz).date() - datetime.timedelta(days=2)
    last = until.astimezone(tz).date() + datetime.timedelta(days=2)
    found: list[Occurrence] = []
    while day <= last:
        if day.weekday() in weekdays and day not in spec.skipped:
            start = resolve_local(day, spec.start, tz).astimezone(UTC)
            if after <= start < until:
                found.append(Occurrence(start, start + duration, day))
        day += datetime.timedelta(days=1)
    found.sort(key=lambda o: o.start_utc)
    return found


def next_occurrence(
    spec: MeetingSpec, after: datetime.datetime, include_in_progress: bool = False
) -> Occurrence | None:
    """First occurrence starting at or after `after`; with include_in_progress, one that has
    started but not yet ended counts too. None when there is none within ~3 years.

    Walks the meeting's local dates in order (their starts only grow: consecutive local
    dates are ~24 h apart whatever DST does), so the usual answer costs a few days' checks."""
    _require_aware(after)
    if not spec.weekdays:
        return None
    tz = zone(spec.tz)
    duration = datetime.timedelta(minutes=spec.duration_min)
    weekdays = set(spec.weekdays)
    lo = after - duration if include_in_progress else after
    # A day early: a start can't fall on a local date before its own.
    day = lo.astimezone(tz).date() - datetime.timedelta(days=1)
    one = datetime.timedelta(days=1)
    for _ in range(_MAX_SCAN_DAYS + 2):
        if day.weekday() in weekdays and day not in spec.skipped:
            start = resolve_local(day, spec.start, tz).astimezone(UTC)
            end = start + duration
            if start >= after or (include_in_progress and end > after):
                return Occurrence(start, end, day)
        day += one
    return None


def humanize_until(start: datetime.datetime, end: datetime.datetime, now: datetime.datetime) -> str:
    """'now' while in progress, else 'in 45 min', 'in 2 h', 'in 3 days'; 'ended' afterwards.

    Kept as it was for the features that use it (events, service); the meetings feature
    says the same from its catalog, in the reader's language (`timefmt.until`)."""
    _require_aware(start, end, now)
    if start <= now < end:
        return "now"
    if now >= end:
        return "ended"
    minutes = math.ceil((start - now).total_seconds() / 60)
    if minutes < 60:
        return f"in {minutes} min"
    hours = (minutes + 30) // 60  # round half up, unlike round()
    if hours < 24:
        return f"in {hours} h"
    days = (minutes + 720) // 1440
    return "in 1 day" if days == 1 else f"in {days} days"


def last_occurrence(spec: MeetingSpec, at: datetime.datetime) -> Occurrence | None:
    """The most recent occurrence that has started by `at` (in progress included); None when
    there is none within a year (a meeting skipped all year, or no weekdays)."""
    _require_aware(at)
    if not spec.weekdays:
        return None
    tz = zone(spec.tz)
    duration = datetime.timedelta(minutes=spec.duration_min)
    weekdays = set(spec.weekdays)
    day = at.astimezone(tz).date() + datetime.timedelta(days=1)
    one = datetime.timedelta(days=1)
    for _ in range(368):
        if day.weekday() in weekdays and day not in spec.skipped:
            start = resolve_local(day, spec.start, tz).astimezone(UTC)
            if start <= at:
                return Occurrence(start, start + duration, day)
        day -= one
    return None
