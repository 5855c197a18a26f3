"""Export meetings as an iCalendar (RFC 5545) feed that calendar apps can subscribe to.

Each meeting is one weekly VEVENT anchored in its own TZID (with a VTIMEZONE), so the local time
stays put across DST. DTSTART is the first meeting weekday on or after a fixed anchor date, which
keeps the output stable between exports and always on a BYDAY day (else RFC 5545 adds an extra
occurrence at DTSTART).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import icalendar

from bot.meetings.guide import type_names
from bot.meetings.model import MeetingSpec

ANCHOR = datetime.date(2024, 1, 1)  # a Monday; also the VTIMEZONE history's start
_ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # indexed by Python weekday()
PRODID = "-//Harbor//Meetings//EN"


def _first_date(weekdays: Sequence[int]) -> datetime.date:
    return min(ANCHOR + datetime.timedelta(days=(w - ANCHOR.weekday()) % 7) for w in weekdays)


def _description(spec: MeetingSpec) -> str:
    lines: list[str] = []
    if spec.types:
        lines.append(", ".join(type_names(spec.types)))
    if spec.url:
        lines.append(f"Join: {spec.url}")
    if spec.phone:
        lines.append(f"Phone: {spec.phone}")
    if spec.notes:
        lines.append(spec.notes)
    return "\n".join(lines)


def _event(uid: str, spec: MeetingSpec, dtstamp: datetime.datetime) -> icalendar.Event:
    tz = ZoneInfo(spec.tz)
    first = _first_date(spec.weekdays)
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", dtstamp)
    event.add("summary", spec.name)
    # The nominal wall time with TZID: apps resolve DST gaps by the same RFC rule we do.
    event.add("dtstart", datetime.datetime.combine(first, spec.start, tzinfo=tz))
    event.add("duration", datetime.timedelta(minutes=spec.duration_min))
    event.add("rrule", {"FREQ": "WEEKLY", "BYDAY": [_ICAL_DAYS[w] for w in spec.weekdays]})
    exdates = sorted(d for d in spec.skipped if d >= first and d.weekday() in spec.weekdays)
    if exdates:
        # EXDATE must match DTSTART's value exactly: same TZID, same nominal wall time.
        event.add("exdate", [datetime.datetime.combine(d, spec.start, tzinfo=tz) for d in exdates])
    location = spec.address or spec.url
    if location:
        event.add("location", location)
    if spec.url:
        event.add("url", spec.url)
    description = _description(spec)
    if description:
        event.add("description", description)
    if spec.types:
        event.add("categories", type_names(spec.types))
    return event


def export_ics(
    meetings: Sequence[tuple[str, MeetingSpec]],
    calendar_name: str,
    dtstamp: datetime.datetime | None = None,
) -> bytes:
    """One VCALENDAR with a weekly VEVENT per (stable uid, spec). Meetings without weekdays are
    left out. Pass `dtstamp` (aware) for byte-identical output between runs."""
    stamp = (dtstamp or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", calendar_name)  # RFC 7986
    cal.add("x-wr-calname", calendar_name)  # what Google/Apple/Outlook actually read
    for uid, spec in meetings:
        if spec.weekdays:
            cal.add_component(_event(uid, spec, stamp.replace(microsecond=0)))
    # History from the anchor keeps VTIMEZONEs small while covering every DTSTART.
    cal.add_missing_timezones(first_date=ANCHOR)
    data: bytes = cal.to_ical()
    return data
