"""How meeting times, days and lengths read, in the reader's language (Babel and the catalog).

Where the platform shows timestamps in each reader's own zone (Discord's `<t:UNIX:f>`), a
time is sent as such a timestamp; elsewhere it is the local time with its zone named. A
live handler asks its context (`ctx.capabilities.timestamps`, `ctx.show_time`); a scheduled
message knows only the platform it goes to, hence `shows_timestamps(platform)`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime, get_day_names

from bot.kernel.i18n import Translator
from bot.meetings.model import zone

# Platforms whose clients render <t:UNIX:style> in each reader's zone (as the Discord
# adapter's Capabilities.timestamps says); scheduled posts have no adapter at hand.
TIMESTAMP_PLATFORMS = frozenset({"discord"})
WEEKDAYS = (0, 1, 2, 3, 4)
WEEKEND = (5, 6)


def shows_timestamps(platform: str) -> bool:
    return platform in TIMESTAMP_PLATFORMS


def stamp(when: datetime, style: str = "f") -> str:
    """A platform timestamp: 'f' date and time, 't' time, 'R' relative ("in 12 minutes")."""
    return f"<t:{int(when.timestamp())}:{style}>"


@cache
def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def local_time(tr: Translator, when: datetime, tz: str, *, keep_zone: bool = False) -> str:
    """'Tue 1 Dec 19:00': the moment as a wall time in `tz` (or, with keep_zone, in the zone
    it carries), in the reader's language."""
    local = when if keep_zone else when.astimezone(zone(tz))
    return str(format_datetime(local, "EEE d MMM HH:mm", locale=_locale(tr.lang)))


def until(tr: Translator, start: datetime, end: datetime, now: datetime) -> str:
    """'now' while in progress, else 'in 45 min', 'in 2 hours', 'in 3 days'; 'ended'."""
    if start <= now < end:
        return tr("meetings.until_now")
    if now >= end:
        return tr("meetings.until_ended")
    minutes = math.ceil((start - now).total_seconds() / 60)
    if minutes < 60:
        return tr.n("meetings.until_minutes", minutes)
    hours = (minutes + 30) // 60  # round half up
    if hours < 24:
        return tr.n("meetings.until_hours", hours)
    return tr.n("meetings.until_days", (minutes + 720) // 1440)


def since(tr: Translator, start: datetime, now: datetime) -> str:
    """'started 5 min ago' (for a meeting in progress), else until()."""
    minutes = max(0, int((now - start).total_seconds() // 60))
    return tr.n("meetings.started_ago", minutes)


def when(
    tr: Translator,
    start: datetime,
    end: datetime,
    now: datetime,
    tz: str,
    *,
    timestamps: bool,
    yours: bool = False,
) -> tuple[str, str]:
    """(when, until) for a message: platform timestamps, or the wall time in `tz` with the
    zone named ("your time" when it is the reader's own) and a relative 'in 2 hours'."""
    if timestamps:
        return stamp(start, "f"), (
            tr("meetings.until_now") if start <= now < end else stamp(start, "R")
        )
    key = "meetings.at_your_time" if yours else "meetings.at_time_in_zone"
    return tr(key, time=local_time(tr, start, tz), tz=tz), until(tr, start, end, now)


def days(tr: Translator, weekdays: Sequence[int]) -> str:
    """'every day', 'every weekday (Mon–Fri)', 'every Tue and Thu'."""
    wanted = tuple(sorted(set(weekdays)))
    if len(wanted) == 7:
        return tr("meeting.days_daily")
    if wanted == WEEKDAYS:
        return tr("meeting.days_weekdays")
    names = get_day_names("abbreviated", locale=_locale(tr.lang))
    return tr("meeting.days_every", days=tr.join(str(names[d]) for d in wanted))


def span(tr: Translator, minutes: int) -> str:
    """'45 minutes', '2 hours', '1 hour 30 minutes'."""
    hours, rest = divmod(max(0, minutes), 60)
    if not hours:
        return tr.n("meeting.minutes", rest)
    if not rest:
        return tr.n("meeting.hours", hours)
    return tr(
        "meeting.hours_minutes",
        hours=tr.n("meeting.hours", hours),
        minutes=tr.n("meeting.minutes", rest),
    )
