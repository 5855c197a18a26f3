"""Sober events through the console: guided and one-line adds, RSVPs, the group's reminder
and private reminders exactly once, cancellation, and a calendar file that reads back."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
import pytest

from adapters.console import ConsoleAdapter, Said
from bot.common.dates import InputError
from bot.events.model import parse_start_at
from storage.sql.store import SQLStore

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday


def to(said: list[Said], who: str) -> list[str]:
    return [s.text for s in said if s.to == f"{who} (private)"]


def group(said: list[Said]) -> list[str]:
    return [s.text for s in said if s.to == "group recovery"]


async def moderated(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community tz Europe/London")
    await console.push("/community announce")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-31 20:00", "2026-12-31T20:00:00+00:00"),
        ("31 Dec 8pm", "2026-12-31T20:00:00+00:00"),
        ("tomorrow 19:00", "2026-11-26T19:00:00+00:00"),
        ("today at 7pm", "2026-11-25T19:00:00+00:00"),
        ("friday 18:30", "2026-11-27T18:30:00+00:00"),
        ("wednesday 11:00", "2026-12-02T11:00:00+00:00"),  # today's has passed: next week
        ("20 Nov 10:00", "2027-11-20T10:00:00+00:00"),  # a year-less date: its next coming
    ],
)
def test_start_times(text: str, expected: str) -> None:
    assert parse_start_at(text, NOW, "Europe/London", "en_GB").isoformat() == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("2026-12-31", "events.need_time"),
        ("yesterday 13:00", "events.past"),
        ("ayer 13:00", "events.past"),
        ("tomorrow", "events.need_time"),
        ("2026-01-01 10:00", "events.past"),
        ("2028-06-01 10:00", "events.too_far"),
        ("someday 10:00", "date.unknown_format"),
        ("2026-02-30 10:00", "date.impossible"),
    ],
)
def test_bad_start_times(text: str, key: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_start_at(text, NOW, "Europe/London", "en_GB")
    assert caught.value.key == key


async def test_guided_add_rsvp_and_reminders_exactly_once(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await moderated(console)
    said = await console.push("/event add")
    assert "What's it called?" in said[0].text
    await console.push(":dm")
    await console.push("Alcohol-free New Year's Eve")
    said = await console.push("31 Dec")
    assert "Please give a date and a time" in said[0].text
    await console.push("31 Dec 20:00")
    said = await console.push("forever")
    assert "isn't a length I can use" in said[0].text
    await console.push("5h")
    await console.push("Community Hall, 1 Main St")
    said = await console.push("Bring a dish to share.")
    assert "Added #1 Alcohol-free New Year's Eve" in said[0].text
    await console.push(":as Sam")
    await console.push(":group recovery")
    said = await console.push("/events")
    assert "#1 Alcohol-free New Year's Eve" in said[0].text and "0 going" in said[0].text
    await console.push(":dm")
    said = await console.push("/event 1")
    assert "Where: Community Hall, 1 Main St" in said[0].text
    said = await console.push(":press I'm going")
    assert "you're going to Alcohol-free New Year's Eve" in said[0].text
    assert "remind you 60 minutes before" in said[0].text
    said = await console.push("/event going 1")
    assert "already going" in said[0].text
    said = await console.push(":time 2026-12-30T20:00+00:00")
    assert any("Sober event coming up: Alcohol-free New Year's Eve" in t for t in group(said))
    said = await console.push(":time 2026-12-31T19:00+00:00")
    assert to(said, "Sam") == [
        "Reminder: Alcohol-free New Year's Eve, Thu 31 Dec 20:00 (Europe/London), in 1 h."
        "\nWhere: Community Hall, 1 Main St"
    ]
    said = await console.push(":time 2026-12-31T19:30+00:00")
    assert to(said, "Sam") == [] and group(said) == []


async def test_cancel_tells_those_going_and_withdraws_reminders(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await moderated(console)
    await console.push("/event add Picnic | tomorrow 13:00 | 2h | Riverside Park")
    await console.push(":as Sam")
    await console.push(":group recovery")
    await console.push("/event going 1 2h")
    await console.push(":as Alex")
    said = await console.push("/event cancel 1")
    assert "1 member who was going has been told" in said[0].text
    said = await console.push(":advance 1m")
    assert to(said, "Sam") == ["Picnic has been cancelled. Sorry for the change of plans."]
    said = await console.push(":advance 1d")
    assert to(said, "Sam") == [] and group(said) == []
    said = await console.push("/event 1")
    assert "no upcoming event" in said[0].text


async def test_members_cannot_add_and_bad_lines_add_nothing(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await moderated(console)
    said = await console.push("/event add Picnic | yesterday 13:00")
    assert "That's in the past" in said[0].text
    said = await console.push("/event add | tomorrow 13:00")
    assert "Add in one line" in said[0].text
    await console.push(":as Sam")
    await console.push(":group recovery")
    said = await console.push("/event add Picnic | tomorrow 13:00")
    assert "Only moderators" in said[0].text
    assert await store.events.upcoming([1], int(NOW.timestamp())) == []


async def test_calendar_file_reads_back(console: ConsoleAdapter) -> None:
    await moderated(console)
    await console.push(
        "/event add Recovery walk | 2026-12-06 10:00 | 90 | https://example.org/walk"
    )
    said = await console.push("/events ics")
    doc = said[0].document
    assert doc is not None and doc.filename.endswith(".ics") and said[0].to == "Alex (private)"
    cal = icalendar.Calendar.from_ical(doc.content)
    (event,) = cal.walk("VEVENT")
    assert str(event["summary"]) == "Recovery walk"
    assert event.decoded("dtstart").isoformat() == "2026-12-06T10:00:00+00:00"
    assert event.decoded("dtend").isoformat() == "2026-12-06T11:30:00+00:00"
    assert str(event["uid"]) == "harbor-event-1-1@harbor"
    assert str(event["url"]) == "https://example.org/walk"


async def test_rsvps_are_exported_and_erased_with_the_member(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await moderated(console)
    await console.push("/event add Picnic | tomorrow 13:00")
    await console.push(":as Sam")
    await console.push(":dm")
    await console.push("/event going 1")
    said = await console.push("/mydata")
    assert said[0].document is not None and b'"event_rsvps"' in said[0].document.content
    await console.push("/forget")
    await console.push(":press Yes, erase everything")
    assert await store.events.going(1) == 0
    # The moderator who added it erases their data: the event stays, without their name.
    await console.push(":as Alex")
    await console.push(":dm")
    await console.push("/forget")
    await console.push(":press Yes, erase everything")
    event = await store.events.get(1)
    assert event is not None and event.created_by is None
