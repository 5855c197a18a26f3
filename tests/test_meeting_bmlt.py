"""BMLT GetSearchResults + GetFormats -> FeedMeetings: days, times, zones, venues, formats
mapped through world_id (never a bare key), languages, and short reasons for bad rows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bot.meetings.bmlt import parse_bmlt, parse_formats
from bot.meetings.feed_meeting import FeedMeeting, FeedParse
from bot.meetings.guide import FeedError
from bot.meetings.occurrences import occurrences

FEEDS = Path(__file__).parent / "data" / "feeds"
SEARCH = (FEEDS / "bmlt_search.json").read_bytes()
FORMATS_EN = (FEEDS / "bmlt_formats_en.json").read_bytes()
FORMATS_ES = (FEEDS / "bmlt_formats_es.json").read_bytes()
UTC = dt.UTC


def parse(lang: str = "en", default_tz: str = "America/New_York") -> FeedParse:
    wanted = FORMATS_ES if lang == "es" else FORMATS_EN
    return parse_bmlt(SEARCH, default_tz, formats=wanted, formats_en=FORMATS_EN)


def by_key(result: FeedParse) -> dict[str, FeedMeeting]:
    return {m.source_key: m for m in result.meetings}


def row(**kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id_bigint": "1",
        "meeting_name": "M",
        "weekday_tinyint": "2",
        "start_time": "19:00:00",
        "duration_time": "01:00:00",
        "venue_type": "1",
        "time_zone": "",
        "location_street": "1 Main St",
        "published": "1",
    }
    base.update(kw)
    return base


def one(**kw: Any) -> FeedParse:
    return parse_bmlt(json.dumps([row(**kw)]), "America/New_York")


# --- the fixture -------------------------------------------------------------------------


def test_fixture_keys_and_skips() -> None:
    result = parse()
    assert [m.source_key for m in result.meetings] == [
        f"bmlt-{n}" for n in (1001, 1002, 1003, 1004, 1005, 1007, 1009, 1010, 1012, 1013)
    ]
    assert result.skipped == [
        ("Locked Door Group", "location temporarily closed and no online option (inactive)"),
        ("Bad Weekday Group", "invalid weekday_tinyint '9'"),
        ("Far Away Group", "unknown time zone 'Mars/Olympus_Mo…'"),
    ]
    assert all(m.spec.slug == m.source_key for m in result.meetings)


def test_weekday_one_is_sunday_and_times() -> None:
    m = by_key(parse())
    assert m["bmlt-1002"].spec.weekdays == (6,)  # 1 = Sunday = Python 6
    assert m["bmlt-1001"].spec.weekdays == (0,)  # 2 = Monday
    assert m["bmlt-1004"].spec.weekdays == (5,)  # 7 = Saturday
    assert (m["bmlt-1002"].spec.start, m["bmlt-1002"].spec.duration_min) == (dt.time(20), 90)
    assert m["bmlt-1013"].spec.duration_min == 60  # "00:00:00": the server default
    assert m["bmlt-1012"].spec.start == dt.time(23, 30)


def test_empty_time_zone_is_the_default_zone() -> None:
    m = by_key(parse(default_tz="Europe/London"))
    assert m["bmlt-1001"].spec.tz == "Europe/London"  # time_zone ""
    assert m["bmlt-1009"].spec.tz == "America/Chicago"  # stated: kept


def test_venues() -> None:
    m = by_key(parse())
    online = m["bmlt-1002"]
    assert online.venue == "online" and online.spec.address is None
    assert online.spec.url == "https://zoom.example/j/81000001002"
    assert online.spec.phone == "+1 555 0100 1002"
    assert online.spec.notes == "Meeting ID 810 0000 1002"
    hybrid = m["bmlt-1003"]
    assert hybrid.venue == "hybrid" and hybrid.spec.url and hybrid.spec.address
    in_person = m["bmlt-1001"]
    assert in_person.venue == "in_person" and not in_person.spec.online
    assert in_person.spec.address == "Harbor Light Church, 220 Bay St, Easton, MD, 21601, US"
    assert in_person.spec.notes == "Newcomers welcome.\nBasement, enter from the back"


def test_temporarily_virtual_drops_the_closed_room() -> None:
    m = by_key(parse())["bmlt-1005"]
    assert m.venue == "online" and m.spec.address is None and "TC" in m.spec.types


def test_in_person_venue_type_wins_over_a_leftover_link() -> None:
    m = by_key(parse())["bmlt-1007"]
    assert m.venue == "in_person" and m.spec.url is None and not m.spec.online


def test_bare_host_link_gets_https() -> None:
    assert by_key(parse())["bmlt-1009"].spec.url == "https://zoom.example/j/81000001009"


def test_formats_map_through_world_id() -> None:
    m = by_key(parse())
    assert m["bmlt-1001"].spec.types == ("O", "D", "X")  # OPEN, DISC, WCHR
    assert m["bmlt-1003"].spec.types == ("ONL", "C", "ST")  # HYBR, CLOSED, STEP
    assert m["bmlt-1012"].spec.types == ("O", "BE", "Round Robin")  # BMLT "B" is Beginners
    assert "B" not in m["bmlt-1012"].spec.types  # ...not Meeting Guide's Big Book
    # BMLT "SL" is sign language; Meeting Guide "SL" would be Slovenian.
    assert m["bmlt-1007"].spec.types == ("O", "ASL", "Round Robin")
    assert m["bmlt-1002"].spec.types == ("ONL", "O", "Just for Today")


def test_language_formats() -> None:
    m = by_key(parse())
    assert (m["bmlt-1004"].languages, m["bmlt-1004"].spec.types) == (("es",), ("O", "S"))
    assert (m["bmlt-1010"].languages, m["bmlt-1010"].spec.types) == (("fr",), ("ONL", "FR", "D"))
    assert m["bmlt-1001"].languages == ()


def test_names_in_the_wanted_language_with_english_fallback() -> None:
    m = by_key(parse("es"))
    assert m["bmlt-1002"].spec.types == ("ONL", "O", "Sólo por Hoy")
    # Spanish keys differ ("A" for Abierto) but the codes do not: world_id decides.
    assert m["bmlt-1001"].spec.types == ("O", "D", "X")
    assert m["bmlt-1012"].spec.types == ("O", "BE", "Ronda")
    assert m["bmlt-1007"].spec.types == ("O", "ASL", "Ronda")  # id 24 has no Spanish row


def test_without_formats_only_unambiguous_keys_are_kept() -> None:
    m = by_key(parse_bmlt(SEARCH, "America/New_York"))
    assert m["bmlt-1012"].spec.types == ("O",)  # "B" and "Rr" mean nothing without GetFormats
    assert m["bmlt-1003"].spec.types == ("ONL", "C")
    assert m["bmlt-1004"].languages == ()


def test_get_used_formats_answer_carries_its_formats() -> None:
    payload = {"meetings": json.loads(SEARCH), "formats": json.loads(FORMATS_EN)}
    result = parse_bmlt(json.dumps(payload), "America/New_York")
    assert by_key(result)["bmlt-1012"].spec.types == ("O", "BE", "Round Robin")


def test_dst_with_and_without_a_stated_zone() -> None:
    m = by_key(parse())
    # Monday 19:00 in the default zone (time_zone ""), across the US spring change.
    got = occurrences(
        m["bmlt-1001"].spec,
        dt.datetime(2027, 3, 8, tzinfo=UTC),
        dt.datetime(2027, 3, 16, tzinfo=UTC),
    )
    assert [o.start_utc for o in got] == [
        dt.datetime(2027, 3, 9, 0, 0, tzinfo=UTC),  # 19:00 EST
        dt.datetime(2027, 3, 15, 23, 0, tzinfo=UTC),  # 19:00 EDT
    ]
    # Friday 21:00 America/Chicago as stated, across the autumn change.
    got = occurrences(
        m["bmlt-1009"].spec,
        dt.datetime(2026, 10, 26, tzinfo=UTC),
        dt.datetime(2026, 11, 8, tzinfo=UTC),
    )
    assert [o.start_utc for o in got] == [
        dt.datetime(2026, 10, 31, 2, 0, tzinfo=UTC),  # 21:00 CDT
        dt.datetime(2026, 11, 7, 3, 0, tzinfo=UTC),  # 21:00 CST
    ]


# --- leniency and bad rows ---------------------------------------------------------------


def test_numbers_instead_of_strings_are_fine() -> None:
    result = one(id_bigint=7, weekday_tinyint=3, venue_type=1)
    assert result.meetings[0].source_key == "bmlt-7"
    assert result.meetings[0].spec.weekdays == (1,)


def test_aggregator_rows_are_keyed_by_server_too() -> None:
    assert one(root_server_id="12").meetings[0].source_key == "bmlt-12-1"


def test_hybrid_without_a_way_to_join_online_is_in_person() -> None:
    m = one(venue_type="3").meetings[0]
    assert m.venue == "in_person" and not m.spec.online


def test_hybrid_in_a_temporarily_closed_room_is_online() -> None:
    link = "https://zoom.example/j/9"
    payload = [row(venue_type="3", format_shared_id_list="56,55", virtual_meeting_link=link)]
    m = parse_bmlt(json.dumps(payload), "UTC", formats=FORMATS_EN).meetings[0]
    assert m.venue == "online" and m.spec.address is None and m.spec.url == link


def test_missing_venue_type_is_read_from_the_formats() -> None:
    payload = [
        row(venue_type="", format_shared_id_list="54", virtual_meeting_link="https://x.example/j")
    ]
    m = parse_bmlt(json.dumps(payload), "UTC", formats=FORMATS_EN).meetings[0]
    assert m.venue == "online" and m.spec.address is None


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"published": "0"}, "not published"),
        ({"meeting_name": " "}, "missing meeting_name"),
        ({"id_bigint": ""}, "no id_bigint"),
        ({"id_bigint": "12a"}, "invalid id_bigint '12a'"),
        ({"weekday_tinyint": "0"}, "invalid weekday_tinyint '0'"),
        ({"start_time": "25:00:00"}, "invalid start_time '25:00:00'"),
        ({"start_time": ""}, "no start_time"),
        ({"venue_type": "2"}, "virtual meeting without a link or phone number"),
        ({"location_street": ""}, "in-person meeting without an address"),
    ],
)
def test_bad_rows_are_skipped_with_a_reason(fields: dict[str, Any], reason: str) -> None:
    result = one(**fields)
    assert result.meetings == []
    assert result.skipped[0][1] == reason


def test_reasons_are_short_and_the_list_is_bounded() -> None:
    huge = "9" * 10_000
    rows = [row(id_bigint=str(i), meeting_name="N" * 500, weekday_tinyint=huge) for i in range(300)]
    result = parse_bmlt(json.dumps(rows), "UTC")
    assert len(result.skipped) == 51
    assert result.skipped[-1] == ("…", "and 250 more rows skipped")
    for label, reason in result.skipped:
        assert len(label) <= 80 and len(reason) <= 80
        assert "9" * 20 not in reason  # never the whole bad value


def test_duplicate_id_last_row_wins() -> None:
    payload = [row(meeting_name="Old"), row(meeting_name="New")]
    result = parse_bmlt(json.dumps(payload), "UTC")
    assert [m.spec.name for m in result.meetings] == ["New"]
    assert result.skipped == [("bmlt-1", "duplicate id_bigint: replaced by a later row")]


def test_non_objects_are_skipped() -> None:
    result = parse_bmlt(json.dumps([1, row()]), "UTC")
    assert len(result.meetings) == 1 and result.skipped == [("#1", "not a meeting object")]


@pytest.mark.parametrize(
    ("payload", "key"),
    [
        (b'{"error": "nope"}', "feed.not_list"),
        (b"<html></html>", "feed.bad_json"),
        (b"\xff\xfe", "feed.bad_encoding"),
    ],
)
def test_a_payload_that_is_not_a_meeting_list_imports_nothing(payload: bytes, key: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_bmlt(payload, "UTC")
    assert caught.value.key == key


def test_bad_formats_are_a_clear_error() -> None:
    with pytest.raises(FeedError) as caught:
        parse_formats(b'"nope"')
    assert caught.value.key == "feed.bmlt_bad_formats"
    # Rows without a numeric id are ignored rather than fatal.
    assert parse_formats(
        [{"id": "x"}, {"id": "4", "key_string": "C", "world_id": "CLOSED"}]
    ).keys() == {"4"}


def test_too_big_is_refused() -> None:
    with pytest.raises(FeedError) as caught:
        parse_bmlt(SEARCH, "UTC", max_bytes=1000)
    assert caught.value.key == "feed.too_big"


def test_same_shape_as_the_meeting_guide_parser() -> None:
    result = parse().import_result()
    assert len(result.meetings) == 10 and result.meetings[0].slug == "bmlt-1001"
    assert len(result.skipped) == 3
