"""The .ics export, read back by independent libraries, must agree with occurrences()."""

from __future__ import annotations

import datetime as dt
from typing import Any

import icalendar
import pytest
import recurring_ical_events

from bot.meetings.ics import export_ics
from bot.meetings.model import MeetingSpec
from bot.meetings.occurrences import occurrences

UTC = dt.UTC
STAMP = dt.datetime(2024, 1, 1, tzinfo=UTC)

MEETINGS: list[tuple[str, MeetingSpec]] = [
    (
        "ny@harbor.test",
        MeetingSpec(
            name="Tuesday Night Group",
            weekdays=(1, 3),
            start=dt.time(19, 0),
            duration_min=90,
            tz="America/New_York",
            url="https://zoom.us/j/123",
            types=("O", "D", "S"),
            notes="Bring a friend",
            skipped=frozenset({dt.date(2024, 3, 12), dt.date(2024, 11, 7), dt.date(2024, 3, 13)}),
        ),
    ),
    (
        "syd@harbor.test",
        MeetingSpec(
            name="Sydney Sunrise",
            weekdays=(2, 6),
            start=dt.time(7, 0),
            tz="Australia/Sydney",
            address="1 Harbour St, Sydney",
            skipped=frozenset({dt.date(2024, 4, 10)}),
        ),
    ),
    (
        "ldn@harbor.test",
        MeetingSpec(name="London", weekdays=(0,), start=dt.time(18, 0), tz="Europe/London"),
    ),
    (
        "gap@harbor.test",  # 02:30 does not exist on US spring-forward Sunday
        MeetingSpec(name="Night Owls", weekdays=(6,), start=dt.time(2, 30), tz="America/New_York"),
    ),
    (
        "utc@harbor.test",
        MeetingSpec(name="UTC", weekdays=(4,), start=dt.time(12, 0), phone="+1 555 0100"),
    ),
]


def _read(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def _events(cal: icalendar.Calendar) -> dict[str, Any]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


@pytest.fixture(scope="module")
def ics() -> bytes:
    return export_ics(MEETINGS, "Harbor meetings", dtstamp=STAMP)


def test_parses_with_one_event_per_meeting_and_timezones(ics: bytes) -> None:
    cal = _read(ics)
    assert str(cal["X-WR-CALNAME"]) == "Harbor meetings"
    assert set(_events(cal)) == {uid for uid, _ in MEETINGS}
    tzids = {str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")}
    assert tzids == {"America/New_York", "Australia/Sydney", "Europe/London"}
    assert ics.startswith(b"BEGIN:VCALENDAR\r\n")


def test_event_fields(ics: bytes) -> None:
    ev = _events(_read(ics))["ny@harbor.test"]
    start = ev.decoded("DTSTART")
    assert start == dt.datetime(2024, 1, 2, 19, 0, tzinfo=start.tzinfo)  # first Tuesday
    assert ev["DTSTART"].params["TZID"] == "America/New_York"
    assert ev.decoded("DURATION") == dt.timedelta(minutes=90)
    assert ev["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=TU,TH"
    assert str(ev["SUMMARY"]) == "Tuesday Night Group"
    assert str(ev["URL"]) == "https://zoom.us/j/123"
    assert str(ev["LOCATION"]) == "https://zoom.us/j/123"
    description = str(ev["DESCRIPTION"])
    assert "Open, Discussion, Spanish" in description
    assert "Bring a friend" in description
    assert b"EXDATE;TZID=America/New_York:20240312T190000,20241107T190000\r\n" in ics
    sydney = _events(_read(ics))["syd@harbor.test"]
    assert sydney.decoded("DTSTART").date() == dt.date(2024, 1, 3)  # first Wednesday
    assert str(sydney["LOCATION"]) == "1 Harbour St, Sydney"


def test_dtstart_is_on_a_byday_day_so_no_extra_occurrence() -> None:
    thursday = MeetingSpec(name="T", weekdays=(3,), start=dt.time(9, 0), tz="Europe/London")
    cal = _read(export_ics([("t", thursday)], "c", dtstamp=STAMP))
    got = recurring_ical_events.of(cal).between(dt.date(2023, 12, 1), dt.date(2024, 1, 20))
    assert [e.decoded("DTSTART").date() for e in got] == [
        dt.date(2024, 1, 4),
        dt.date(2024, 1, 11),
        dt.date(2024, 1, 18),
    ]


@pytest.mark.parametrize(
    ("after", "until"),
    [
        (dt.datetime(2024, 2, 20, tzinfo=UTC), dt.datetime(2024, 4, 20, tzinfo=UTC)),  # spring
        (dt.datetime(2024, 9, 25, tzinfo=UTC), dt.datetime(2024, 11, 20, tzinfo=UTC)),  # autumn
    ],
)
def test_occurrences_match_the_bot(ics: bytes, after: dt.datetime, until: dt.datetime) -> None:
    cal = _read(ics)
    # between() also returns events already in progress at `after`; occurrences() does not.
    from_ics = {
        (str(e["UID"]), e.decoded("DTSTART").astimezone(UTC), e.decoded("DTEND").astimezone(UTC))
        for e in recurring_ical_events.of(cal).between(after, until)
        if e.decoded("DTSTART") >= after
    }
    from_bot = {
        (uid, o.start_utc, o.end_utc)
        for uid, spec in MEETINGS
        for o in occurrences(spec, after, until)
    }
    assert {x[:2] for x in from_ics} == {x[:2] for x in from_bot}
    # recurring_ical_events adds DURATION to the nominal 02:30 on the spring-forward day, so
    # that one event ends at 03:30 == its start; RFC 5545 (and we) make PT1H an exact hour.
    gap_day = ("gap@harbor.test", dt.datetime(2024, 3, 10, 7, 30, tzinfo=UTC))
    assert {x for x in from_ics if x[:2] != gap_day} == {x for x in from_bot if x[:2] != gap_day}
    assert len(from_bot) > 40


def test_exdates_removed_and_local_times_stable(ics: bytes) -> None:
    cal = _read(ics)
    got = recurring_ical_events.of(cal).between(dt.date(2024, 3, 1), dt.date(2024, 4, 15))
    ny = [e.decoded("DTSTART") for e in got if str(e["UID"]) == "ny@harbor.test"]
    assert dt.date(2024, 3, 12) not in {d.date() for d in ny}
    assert dt.date(2024, 3, 14) in {d.date() for d in ny}
    assert {d.time() for d in ny} == {dt.time(19, 0)}
    assert {d.utcoffset() for d in ny} == {dt.timedelta(hours=-5), dt.timedelta(hours=-4)}
    syd = [e.decoded("DTSTART") for e in got if str(e["UID"]) == "syd@harbor.test"]
    assert dt.date(2024, 4, 10) not in {d.date() for d in syd}
    assert {d.time() for d in syd} == {dt.time(7, 0)}
    assert {d.utcoffset() for d in syd} == {dt.timedelta(hours=11), dt.timedelta(hours=10)}


def test_spring_forward_gap_agrees(ics: bytes) -> None:
    cal = _read(ics)
    got = recurring_ical_events.of(cal).between(dt.date(2024, 3, 10), dt.date(2024, 3, 11))
    gap = [e for e in got if str(e["UID"]) == "gap@harbor.test"]
    assert len(gap) == 1
    assert gap[0].decoded("DTSTART").astimezone(UTC) == dt.datetime(2024, 3, 10, 7, 30, tzinfo=UTC)


def test_output_is_stable_and_skips_meetings_without_days() -> None:
    empty = MeetingSpec(name="Never", weekdays=(), start=dt.time(9, 0))
    first = export_ics([*MEETINGS, ("never", empty)], "Harbor meetings", dtstamp=STAMP)
    again = export_ics(MEETINGS, "Harbor meetings", dtstamp=STAMP)
    assert first == again
    assert b"UID:never" not in first


def test_escaping_of_text(ics: bytes) -> None:
    tricky = MeetingSpec(
        name="A, B; C", weekdays=(0,), start=dt.time(9, 0), notes="line1\nline2, more"
    )
    ev = _events(_read(export_ics([("x", tricky)], "c", dtstamp=STAMP)))["x"]
    assert str(ev["SUMMARY"]) == "A, B; C"
    assert str(ev["DESCRIPTION"]) == "line1\nline2, more"
