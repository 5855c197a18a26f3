"""How counters and milestones read: labels in the member's language ("30 days", and
"30-day milestone"), and when a milestone is celebrated.

The 24-hour milestone of a counter with a start time is 24 real hours after that moment,
counted in UTC: a day with a DST change is 23 or 25 hours long on the wall clock, and
"24 hours" must never come an hour early or late. Every other milestone is celebrated at
the member's local morning on its calendar day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.kernel.i18n import Translator
from bot.sobriety.milestones import Milestone
from bot.sobriety.model import start_instant

DAY = timedelta(hours=24)


def _unit(m: Milestone) -> tuple[str, int]:
    if m.key == "24h":
        return "hours", 24
    if m.days:
        return "days", m.days
    if m.months % 12 == 0:
        return "years", m.months // 12
    return "months", m.months


def label(tr: Translator, m: Milestone) -> str:
    """'24 hours', '30 days', '6 months', '1 year'."""
    unit, n = _unit(m)
    return tr.n(f"milestone.label.{unit}", n)


def adjective(tr: Translator, m: Milestone) -> str:
    """'24-hour', '30-day', '6-month', '1-year' (as in "your 30-day milestone")."""
    unit, n = _unit(m)
    return tr.n(f"milestone.adjective.{unit}", n)


def real_day_after(start: date, start_time: time, tz: ZoneInfo) -> datetime:
    """24 real hours after a start with a time of day (UTC arithmetic, DST-exact)."""
    return start_instant(start, start_time, tz).astimezone(UTC) + DAY


def celebration_at(
    m: Milestone, start: date, start_time: time | None, tz: ZoneInfo, morning: time
) -> datetime:
    """When milestone `m` of a counter is celebrated (aware, in `tz`): the local morning of
    its day, and for 24 hours never before 24 real hours have passed."""
    at = start_instant(m.due_date(start), morning, tz)
    if m.key == "24h" and start_time is not None:
        at = max(at, real_day_after(start, start_time, tz).astimezone(tz))
    return at


def reached_at(m: Milestone, start: date, start_time: time | None, tz: ZoneInfo) -> datetime:
    """The moment a milestone is reached: 24 real hours after a timed start, else the
    local midnight starting its day."""
    if m.key == "24h" and start_time is not None:
        return real_day_after(start, start_time, tz).astimezone(tz)
    return start_instant(m.due_date(start), None, tz)
