"""Clean-time arithmetic in the member's own time zone.

Two different clocks matter: the day count turns at the member's local midnight (what people
say: "day 12"), while the first days are told in real elapsed hours, which must not gain or lose
an hour at a DST change.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["clean_duration", "days_clean", "days_since", "start_instant"]


def _to_local(dt: datetime, tz: ZoneInfo) -> datetime:
    # A naive datetime is taken as wall time in `tz` (how a start is stored before resolving).
    return start_instant(dt.date(), dt.time(), tz) if dt.tzinfo is None else dt.astimezone(tz)


def days_clean(start_local: datetime, now: datetime, tz: ZoneInfo) -> int:
    """Calendar days from the start day to today, both in `tz`; 0 on the start day.

    Naive arguments are read as wall time in `tz`. A start in the future counts as 0.
    """
    days = (_to_local(now, tz).date() - _to_local(start_local, tz).date()).days
    return max(days, 0)


def days_since(start_date: str, tz_name: str, now: datetime) -> int:
    """Days clean on a counter that started on the local day `start_date` (ISO) in zone
    `tz_name`: the day count turns at the local midnight."""
    tz = ZoneInfo(tz_name)
    return days_clean(start_instant(date.fromisoformat(start_date), None, tz), now, tz)


def clean_duration(start_local: datetime, now: datetime) -> timedelta:
    """Real elapsed time since the start (never negative). Both datetimes must be aware.

    Subtracting two datetimes that share a tzinfo compares wall clocks and is off by the DST
    shift, so both go through UTC first.
    """
    if start_local.tzinfo is None or now.tzinfo is None:
        raise ValueError("clean_duration needs aware datetimes")
    elapsed = now.astimezone(UTC) - start_local.astimezone(UTC)
    return max(elapsed, timedelta(0))


def start_instant(d: date, t: time | None, tz: ZoneInfo) -> datetime:
    """The aware local datetime for wall time `t` on day `d` (no time = local midnight).

    Ambiguous wall times (clocks going back) resolve to the first occurrence. A wall time that
    does not exist (inside a spring-forward gap, e.g. 02:30 when 02:00 jumps to 03:00) resolves
    to the first instant after the gap, i.e. the moment the clocks jumped (03:00 local): the
    nearest time that really happened, on the same day.
    """
    wall = datetime.combine(d, (t or time(0)).replace(tzinfo=None, fold=0), tzinfo=tz)
    round_trip = wall.astimezone(UTC).astimezone(tz)
    if round_trip.replace(tzinfo=None) == wall.replace(tzinfo=None):
        return wall
    return _gap_end(wall, tz)


def _gap_end(wall: datetime, tz: ZoneInfo) -> datetime:
    """The transition instant that skipped the nonexistent wall time `wall`.

    Per PEP 495, fold=1 reads a gap time with the offset after the jump (an instant before the
    transition) and fold=0 with the offset before it (an instant after). Bisect between the two
    on whole seconds, which every tzdata transition sits on.
    """
    naive = wall.replace(tzinfo=None)
    lo = int(wall.replace(fold=1).astimezone(UTC).timestamp())  # local wall < gap start
    hi = int(wall.replace(fold=0).astimezone(UTC).timestamp())  # local wall >= gap end
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) > naive:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, tz)
