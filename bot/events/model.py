"""Sober events, the pure part: reading when an event starts (a future date with a time, in
the community's zone), and its calendar file. An event happens once; weekly meetings are
the meetings feature's."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo

import icalendar

from bot.common.dates import DateInputError, InputError, parse_clock, parse_start
from bot.meetings.model import MeetingInputError, parse_duration
from bot.meetings.occurrences import resolve_local
from storage.events_base import EventRow

PRODID = "-//Harbor//Sober events//EN"
MAX_TITLE = 80
MAX_PLACE = 200
MAX_NOTES = 500
HORIZON_DAYS = 364  # events are planned up to a year ahead
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SHORT = {name[:3]: i for i, name in enumerate(_WEEKDAYS)}
# Words the start-date parser reads relative to "today" (en, de, fr, es): an event's date
# is read against a horizon a year ahead, so these are handled here first.
_TODAY = frozenset({"today", "heute", "aujourd'hui", "hoy"})
_TOMORROW = frozenset({"tomorrow", "morgen", "demain", "mañana"})
_YESTERDAY = frozenset({"yesterday", "gestern", "hier", "ayer"})


def parse_start_at(text: str, now: datetime.datetime, tz: str, locale: str) -> datetime.datetime:
    """When an event starts, from what a moderator typed in the community's zone `tz`:
    "2026-12-31 20:00", "31 Dec 8pm", "tomorrow 19:00", "friday 18:30". A date without a
    year is its next coming. Raises InputError: events.need_time, events.past,
    events.too_far, or the date.* and time.* keys."""
    zone = ZoneInfo(tz)
    local_now = now.astimezone(zone)
    words = text.strip().casefold().split()
    if not words:
        raise InputError("events.need_time", text)
    day: datetime.date
    clock: datetime.time | None
    first = words[0].rstrip(",")
    if first in _YESTERDAY:
        raise InputError("events.past", text)
    if first in _TODAY | _TOMORROW or first in _WEEKDAYS or first in _SHORT:
        if first in _TODAY:
            day = local_now.date()
        elif first in _TOMORROW:
            day = local_now.date() + datetime.timedelta(days=1)
        else:
            target = _SHORT[first[:3]]
            day = local_now.date() + datetime.timedelta(days=(target - local_now.weekday()) % 7)
        rest = " ".join(w for w in words[1:] if w != "at")
        if not rest:
            raise InputError("events.need_time", text)
        clock = parse_clock(rest)
    else:
        # A year-less date means its next coming: read it as "the latest such date no later
        # than a year from now", which the start-date parser already knows how to do.
        horizon = local_now.date() + datetime.timedelta(days=HORIZON_DAYS)
        try:
            day, clock = parse_start(text, horizon, locale)
        except DateInputError as exc:
            if exc.key == "date.future":
                raise InputError("events.too_far", text) from None
            raise
    if clock is None:
        raise InputError("events.need_time", text)
    start = resolve_local(day, clock, zone)
    if start <= local_now:
        if first in _WEEKDAYS or first in _SHORT:  # "friday 18:30" said on a Friday evening
            start = resolve_local(day + datetime.timedelta(days=7), clock, zone)
        else:
            raise InputError("events.past", text)
    return start


def start_step(text: str, data: Mapping[str, Any]) -> str:
    """The guided form's check of the start: an ISO date-time in the community's zone."""
    now = datetime.datetime.fromtimestamp(int(data["now"]), datetime.UTC)
    return parse_start_at(text, now, str(data["tz"]), str(data["locale"])).isoformat()


def duration_step(text: str, data: Mapping[str, Any]) -> str:
    try:
        return str(parse_duration(text))
    except MeetingInputError:
        raise InputError("events.bad_duration", text) from None


def uid_for(event: EventRow) -> str:
    return f"harbor-event-{event.id}-{event.community_id}@harbor"


def export_ics(events: Sequence[EventRow], calendar_name: str, dtstamp: datetime.datetime) -> bytes:
    """One VEVENT per event, in its own zone (with VTIMEZONE), a stable UID."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", calendar_name)
    cal.add("x-wr-calname", calendar_name)
    stamp = dtstamp.astimezone(datetime.UTC).replace(microsecond=0)
    first: datetime.date | None = None
    for e in events:
        zone = ZoneInfo(e.tz)
        start = datetime.datetime.fromtimestamp(e.starts_at, zone)
        first = min(first, start.date()) if first else start.date()
        item = icalendar.Event()
        item.add("uid", uid_for(e))
        item.add("dtstamp", stamp)
        item.add("summary", e.title)
        item.add("dtstart", start)
        item.add("dtend", start + datetime.timedelta(minutes=e.duration_min))
        if e.place:
            item.add("location", e.place)
            if e.place.startswith(("https://", "http://")):
                item.add("url", e.place)
        if e.notes:
            item.add("description", e.notes)
        cal.add_component(item)
    if first is not None:
        cal.add_missing_timezones(first_date=first - datetime.timedelta(days=1))
    data: bytes = cal.to_ical()
    return data
