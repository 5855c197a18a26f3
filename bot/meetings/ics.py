"""Export meetings as an iCalendar (RFC 5545) feed that calendar apps can subscribe to.

Each meeting is one weekly VEVENT anchored in its own TZID (with a VTIMEZONE), so the local time
stays put across DST. DTSTART is the first meeting weekday on or after the day the meeting was
created (a fixed anchor date when that is unknown), which keeps the output stable between
exports and always on a BYDAY day (else RFC 5545 adds an extra occurrence at DTSTART).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import icalendar

from bot.kernel.i18n import ENGLISH, Translator
from bot.meetings.guide import type_names
from bot.meetings.model import MeetingSpec, zone

ANCHOR = datetime.date(2024, 1, 1)  # a Monday: the start when a meeting's creation is unknown
_ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # indexed by Python weekday()
PRODID = "-//Harbor//Meetings//EN"


# (stable uid, spec) or (stable uid, spec, the local date the meeting was created)
IcsMeeting = tuple[str, MeetingSpec] | tuple[str, MeetingSpec, datetime.date | None]


def _first_date(weekdays: Sequence[int], since: datetime.date = ANCHOR) -> datetime.date:
    return min(since + datetime.timedelta(days=(w - since.weekday()) % 7) for w in weekdays)


def _description(spec: MeetingSpec, tr: Translator) -> str:
    lines: list[str] = []
    if spec.types:
        lines.append(", ".join(type_names(spec.types, tr.lang)))
    if spec.url:
        lines.append(tr("meeting.join", url=spec.url))
    if spec.phone:
        lines.append(tr("meeting.phone", phone=spec.phone))
    if spec.notes:
        lines.append(spec.notes)
    return "\n".join(lines)


def _event(
    uid: str, spec: MeetingSpec, dtstamp: datetime.datetime, first: datetime.date, tr: Translator
) -> icalendar.Event:
    tz = zone(spec.tz)
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
    description = _description(spec, tr)
    if description:
        event.add("description", description)
    if spec.types:
        event.add("categories", type_names(spec.types, tr.lang))
    return event


def export_ics(
    meetings: Sequence[IcsMeeting],
    calendar_name: str,
    dtstamp: datetime.datetime | None = None,
    tr: Translator = ENGLISH,
) -> bytes:
    """One VCALENDAR with a weekly VEVENT per (stable uid, spec[, created]): each recurrence
    starts at the meeting's first date on or after its creation. Meetings without weekdays
    are left out. Pass `dtstamp` (aware) for byte-identical output between runs."""
    stamp = (dtstamp or datetime.datetime.now(datetime.UTC)).astimezone(datetime.UTC)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("name", calendar_name)  # RFC 7986
    cal.add("x-wr-calname", calendar_name)  # what Google/Apple/Outlook actually read
    earliest: datetime.date | None = None
    for item in meetings:
        uid, spec = item[0], item[1]
        since = (item[2] if len(item) > 2 else None) or ANCHOR
        if spec.weekdays:
            first = _first_date(spec.weekdays, since)
            earliest = first if earliest is None else min(earliest, first)
            cal.add_component(_event(uid, spec, stamp.replace(microsecond=0), first, tr))
    # History from the earliest DTSTART keeps VTIMEZONEs small while covering every one.
    cal.add_missing_timezones(first_date=earliest or ANCHOR)
    data: bytes = cal.to_ical()
    return data
