"""Meeting Guide feed import, type names, and the moderator one-line form."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bot.meetings.guide import FeedError, parse_feed, type_names
from bot.meetings.model import MeetingInputError, parse_meeting_line

DATA = Path(__file__).parent / "data"


def feed(*rows: dict[str, Any]) -> str:
    return json.dumps(list(rows))


def row(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"name": "M", "slug": "m", "day": 1, "time": "12:00"}
    base["formatted_address"] = "1 Main St"
    base.update(kw)
    return base


# --- the sample feed --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> Any:
    return parse_feed((DATA / "meeting_guide_sample.json").read_bytes(), "America/New_York")


def test_sample_imports_the_good_rows_in_order(sample: Any) -> None:
    assert [m.slug for m in sample.meetings] == [
        "sunday-serenity",
        "weekday-online",
        "closed-online",
        "sketchy-room",
        "late-night",  # the later duplicate wins and takes its place
    ]


def test_sample_sunday_zero_and_place(sample: Any) -> None:
    m = sample.meetings[0]
    assert m.weekdays == (6,)  # Meeting Guide 0 = Sunday = Python 6
    assert (m.start, m.duration_min, m.tz) == (dt.time(10, 0), 90, "America/Chicago")
    assert m.address == "St. Mark's Church, 123 Main St, Springfield, IL, 62701, US"
    assert m.types == ("O", "D", "S")
    assert m.notes == "Side door"
    assert not m.online


def test_sample_list_of_days_onl_and_default_tz(sample: Any) -> None:
    m = sample.meetings[1]
    assert m.weekdays == (0, 1, 2, 3, 4)  # 1..5 = Monday..Friday
    assert m.start == dt.time(7, 0)  # "07:00:00" tolerated
    assert m.tz == "America/New_York"
    assert m.url == "https://zoom.us/j/555"
    assert m.types == ("ONL", "UK", "C")
    assert m.online and m.address is None


def test_sample_temporarily_closed_with_phone_is_online_only(sample: Any) -> None:
    m = sample.meetings[2]
    assert m.weekdays == (2,)
    assert m.phone == "+44 20 7946 0000"
    assert m.address is None  # don't send people to a closed room
    assert m.online and "TC" in m.types


def test_sample_bad_url_dropped_but_room_kept(sample: Any) -> None:
    m = sample.meetings[3]
    assert m.url is None and m.address == "4 Real Rd"


def test_sample_duplicate_slug_last_wins(sample: Any) -> None:
    m = sample.meetings[4]
    assert (m.name, m.weekdays, m.start) == ("Late Night (moved)", (4,), dt.time(22, 0))
    assert m.address == "2 Night Ave, Portland, OR 97201, USA"


def test_sample_skipped_rows_and_reasons(sample: Any) -> None:
    reasons = dict(sample.skipped)
    assert len(sample.skipped) == 9
    assert "inactive" in reasons["Closed And Dark"]
    assert "by appointment" in reasons["By Appointment"]
    assert reasons["No Slug Meeting"] == "missing slug"
    assert reasons["Bad Time"] == "invalid time '25:61'"
    assert reasons["Bad Day"] == "invalid day 7"
    assert "Mars/Olympus_Mons" in reasons["Mars Time"]
    assert "not http(s)" in reasons["Sketchy Link Only"]
    assert "duplicate" in reasons["late-night"]
    assert reasons["#14"] == "not a meeting object"


# --- row rules ---------------------------------------------------------------------------------


def test_over_midnight_end_time() -> None:
    m = parse_feed(feed(row(time="23:30", end_time="00:45")), "UTC").meetings[0]
    assert m.duration_min == 75


def test_missing_or_bad_end_time_defaults_to_an_hour() -> None:
    got = parse_feed(feed(row(slug="a"), row(slug="b", end_time="soon")), "UTC")
    assert [m.duration_min for m in got.meetings] == [60, 60]


def test_sunday_mapping_for_every_day_and_string_days() -> None:
    m = parse_feed(feed(row(day=[0, 1, 2, 3, 4, 5, 6])), "UTC").meetings[0]
    assert m.weekdays == (0, 1, 2, 3, 4, 5, 6)
    assert parse_feed(feed(row(day="0")), "UTC").meetings[0].weekdays == (6,)
    assert parse_feed(feed(row(day=6)), "UTC").meetings[0].weekdays == (5,)  # Saturday


def test_invalid_day_in_a_list_skips_the_row() -> None:
    got = parse_feed(feed(row(day=[1, 9])), "UTC")
    assert got.meetings == [] and got.skipped == [("M", "invalid day 9")]


def test_timezone_is_canonicalised_and_default_applies() -> None:
    got = parse_feed(feed(row(slug="a", timezone="europe/london"), row(slug="b")), "Asia/Tokyo")
    assert [m.tz for m in got.meetings] == ["Europe/London", "Asia/Tokyo"]


def test_unknown_default_tz_skips_rows_without_their_own() -> None:
    got = parse_feed(feed(row(slug="a"), row(slug="b", timezone="UTC")), "Nowhere/Land")
    assert [m.slug for m in got.meetings] == ["b"]
    assert got.skipped == [("M", "unknown time zone 'Nowhere/Land'")]


def test_missing_name_and_no_place() -> None:
    got = parse_feed(feed(row(name="", slug="x"), row(formatted_address="")), "UTC")
    assert got.meetings == []
    assert got.skipped == [("x", "missing name"), ("M", "no address, link or phone")]


def test_long_name_and_notes_are_clipped_not_rejected() -> None:
    m = parse_feed(feed(row(name="N" * 200, notes="x" * 900)), "UTC").meetings[0]
    assert len(m.name) == 80 and m.name.endswith("…")
    assert len(m.notes) == 500


def test_http_url_kept_and_onl_without_link_still_needs_a_place() -> None:
    got = parse_feed(
        feed(
            row(slug="a", conference_url="http://example.org/m", formatted_address=""),
            row(slug="b", types=["ONL"], formatted_address=""),
        ),
        "UTC",
    )
    assert [m.url for m in got.meetings] == ["http://example.org/m"]
    assert got.skipped == [("M", "no address, link or phone")]


# --- whole-feed errors: nothing imports ------------------------------------------------------


def test_malformed_json() -> None:
    with pytest.raises(FeedError) as err:
        parse_feed('[{"name": "x", ', "UTC")
    assert err.value.key == "feed.bad_json"


def test_not_a_list() -> None:
    with pytest.raises(FeedError) as err:
        parse_feed(b'{"meetings": []}', "UTC")
    assert err.value.key == "feed.not_list"


def test_too_big_is_refused_before_parsing() -> None:
    big = feed(*(row(slug=f"s{i}") for i in range(2000)))
    assert len(big) > 100_000
    with pytest.raises(FeedError) as err:
        parse_feed(big, "UTC", max_bytes=100_000)
    assert err.value.key == "feed.too_big"
    assert len(parse_feed(big, "UTC").meetings) == 2000


def test_bytes_with_bom_and_bad_encoding() -> None:
    got = parse_feed(b"\xef\xbb\xbf" + feed(row()).encode(), "UTC")
    assert len(got.meetings) == 1
    with pytest.raises(FeedError) as err:
        parse_feed(b"[\xff\xfe]", "UTC")
    assert err.value.key == "feed.bad_encoding"


def test_empty_list_imports_nothing_quietly() -> None:
    got = parse_feed("[]", "UTC")
    assert got.meetings == [] and got.skipped == []


# --- type names ----------------------------------------------------------------------------------


def test_type_names_traps_and_fallbacks() -> None:
    assert type_names(["S", "UK"]) == ["Spanish", "Ukrainian"]
    assert type_names(["O", "D"], "es") == ["Abierta", "Discusión"]
    assert type_names(["O"], "xx") == ["Open"]  # unknown language -> English
    assert type_names(["ZZZ", "ONL"]) == ["ZZZ", "Online"]  # unknown code -> the code


# --- moderator one-line form ---------------------------------------------------------------------


def test_full_line() -> None:
    m = parse_meeting_line(
        "Tuesday Night Group | tue,thu | 19:00 | America/New_York | 90 | "
        "https://zoom.us/j/123 | O,D | Bring a friend",
        "UTC",
    )
    assert m.name == "Tuesday Night Group"
    assert m.weekdays == (1, 3)
    assert m.start == dt.time(19, 0)
    assert (m.tz, m.duration_min) == ("America/New_York", 90)
    assert m.url == "https://zoom.us/j/123" and m.online
    assert m.types == ("O", "D")
    assert m.notes == "Bring a friend"


def test_minimal_line_uses_defaults() -> None:
    m = parse_meeting_line("Morning | daily | 7am", "Europe/London")
    assert (m.weekdays, m.start, m.tz, m.duration_min) == (
        (0, 1, 2, 3, 4, 5, 6),
        dt.time(7, 0),
        "Europe/London",
        60,
    )
    assert m.url is None and m.address is None and not m.online


def test_line_with_empty_optionals_address_and_piped_notes() -> None:
    m = parse_meeting_line(
        "Hall | mon-fri | 7:30 pm | | 1h30 | 12 High St, Leeds | b, s | a | b", "UTC"
    )
    assert m.weekdays == (0, 1, 2, 3, 4)
    assert m.start == dt.time(19, 30)
    assert (m.tz, m.duration_min) == ("UTC", 90)
    assert m.address == "12 High St, Leeds"
    assert m.types == ("B", "S")
    assert m.notes == "a | b"


def test_line_phone_and_tel() -> None:
    assert parse_meeting_line("P | mon | 9:00 | | | +1 (555) 010-9999", "UTC").phone == (
        "+1 (555) 010-9999"
    )
    assert parse_meeting_line("P | mon | 9:00 | | | tel:+15550109999", "UTC").phone == (
        "+15550109999"
    )


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("Monday", (0,)),
        ("tues, thurs", (1, 3)),
        ("Mon Wed Fri", (0, 2, 4)),
        ("fri-mon", (0, 4, 5, 6)),
        ("weekends", (5, 6)),
        ("su", (6,)),
        ("Saturdays", (5,)),
        ("Mon - Wed", (0, 1, 2)),
        ("monday to wednesday and sat", (0, 1, 2, 5)),
    ],
)
def test_weekday_forms(days: str, expected: tuple[int, ...]) -> None:
    assert parse_meeting_line(f"G | {days} | 12:00", "UTC").weekdays == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("19:00", dt.time(19, 0)),
        ("7pm", dt.time(19, 0)),
        ("7:30 pm", dt.time(19, 30)),
        ("12am", dt.time(0, 0)),
        ("12 p.m.", dt.time(12, 0)),
        ("noon", dt.time(12, 0)),
        ("0:05", dt.time(0, 5)),
    ],
)
def test_time_forms(text: str, expected: dt.time) -> None:
    assert parse_meeting_line(f"G | mon | {text}", "UTC").start == expected


@pytest.mark.parametrize(
    ("line", "key", "detail"),
    [
        ("just a name", "meeting.bad_format", "just a name"),
        (" | mon | 19:00", "meeting.empty_name", ""),
        ("N" * 81 + " | mon | 19:00", "meeting.name_too_long", "80"),
        ("G | funday | 19:00", "meeting.bad_weekday", "funday"),
        ("G | t | 19:00", "meeting.bad_weekday", "t"),
        ("G | mon | 25:00", "meeting.bad_time", "25:00"),
        ("G | mon | 13pm", "meeting.bad_time", "13pm"),
        ("G | mon | soon", "meeting.bad_time", "soon"),
        ("G | mon | 19:00 | Mars/Base", "meeting.bad_tz", "Mars/Base"),
        ("G | mon | 19:00 | ../../etc/passwd", "meeting.bad_tz", "../../etc/passwd"),
        ("G | mon | 19:00 | UTC | 0", "meeting.bad_duration", "0"),
        ("G | mon | 19:00 | UTC | long", "meeting.bad_duration", "long"),
        (
            "G | mon | 19:00 | UTC | 60 | javascript:alert(1)",
            "meeting.bad_link",
            "javascript:alert(1)",
        ),
        ("G | mon | 19:00 | UTC | 60 | ftp://x.org/a", "meeting.bad_link", "ftp://x.org/a"),
        ("G | mon | 19:00 | UTC | 60 | | O,XYZ", "meeting.bad_type", "XYZ"),
        ("G | mon | 19:00 | UTC | 60 | | | " + "n" * 501, "meeting.notes_too_long", "500"),
    ],
)
def test_line_errors(line: str, key: str, detail: str) -> None:
    with pytest.raises(MeetingInputError) as err:
        parse_meeting_line(line, "UTC")
    assert (err.value.key, err.value.detail) == (key, detail)
    assert "|" in err.value.example


def test_bad_default_tz_is_reported() -> None:
    with pytest.raises(MeetingInputError) as err:
        parse_meeting_line("G | mon | 19:00", "Not/AZone")
    assert err.value.key == "meeting.bad_tz"
