"""A 12 Step Meeting List feed as FeedMeetings (guide.py's rules plus venue, languages,
feedback URL and `updated`), and the language codes both kinds of source use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.meetings.feed_meeting import FeedMeeting, bound_skips, parse_guide_feed
from bot.meetings.languages import iso_from_code, languages_of, parse_language

FEEDS = Path(__file__).parent / "data" / "feeds"
BASE = "https://aa-harborside.example.org/wp-admin/admin-ajax.php?action=meetings"


@pytest.fixture(scope="module")
def tsml() -> dict[str, FeedMeeting]:
    parsed = parse_guide_feed((FEEDS / "tsml.json").read_bytes(), "America/New_York", base_url=BASE)
    return {m.source_key: m for m in parsed.meetings}


def test_the_good_rows_import_and_the_bad_ones_say_why() -> None:
    parsed = parse_guide_feed((FEEDS / "tsml.json").read_bytes(), "America/New_York")
    assert len(parsed.meetings) == 12
    assert parsed.skipped == [
        ("Candlelight Closed", "location temporarily closed and no online option (inactive)"),
        ("By Appointment Sponsorship", "no day or time (by appointment)"),
        ("Typo Tuesday", "invalid day 9"),
    ]


def test_day_as_int_string_and_list(tsml: dict[str, FeedMeeting]) -> None:
    assert tsml["sunrise-serenity"].spec.weekdays == (6,)  # 0 = Sunday
    assert tsml["womens-big-book"].spec.weekdays == (2,)  # "3" = Wednesday
    assert tsml["lunch-bunch"].spec.weekdays == (0, 1, 2, 3, 4)


def test_zone_stated_or_default() -> None:
    parsed = parse_guide_feed((FEEDS / "tsml.json").read_bytes(), "Europe/London")
    zones = {m.source_key: m.spec.tz for m in parsed.meetings}
    assert zones["sunrise-serenity"] == "America/New_York"
    assert zones["daily-reflections-online"] == "America/Chicago"
    assert zones["lunch-bunch"] == "Europe/London"  # no timezone in the row


def test_venues(tsml: dict[str, FeedMeeting]) -> None:
    assert tsml["sunrise-serenity"].venue == "in_person"
    assert tsml["lunch-bunch"].venue == "hybrid"
    assert tsml["zoom-night-owls"].venue == "online"  # TC + ONL + link
    # An approximate address ("Easton, MD") with a link: TSML says online, and so do we.
    assert tsml["young-people-online"].venue == "online"


def test_feedback_url_absolute_relative_or_none(tsml: dict[str, FeedMeeting]) -> None:
    assert tsml["sunrise-serenity"].feedback_url == (
        "https://aa-harborside.example.org/feedback/?meeting=sunrise-serenity"
    )
    assert tsml["living-sober"].feedback_url == (
        "https://aa-harborside.example.org/feedback/?meeting=living-sober"
    )
    assert tsml["mens-step-study"].feedback_url is None
    without_base = parse_guide_feed((FEEDS / "tsml.json").read_bytes(), "UTC")
    living = next(m for m in without_base.meetings if m.source_key == "living-sober")
    assert living.feedback_url is None  # relative, and nothing to resolve it against


def test_non_http_feedback_urls_are_dropped() -> None:
    row = {"name": "M", "slug": "m", "day": 1, "time": "12:00", "formatted_address": "1 St"}
    for bad in ("javascript:alert(1)", "mailto:x@example.org", "//evil.example/x", 42):
        parsed = parse_guide_feed(json.dumps([{**row, "feedback_url": bad}]), "UTC", base_url=BASE)
        assert parsed.meetings[0].feedback_url is None


def test_updated_and_languages(tsml: dict[str, FeedMeeting]) -> None:
    assert tsml["sunrise-serenity"].updated == "2026-10-02 17:45:11"
    assert tsml["grupo-esperanza"].languages == ("es",)
    assert tsml["sunrise-serenity"].languages == ()


def test_skips_from_the_guide_parser_are_bounded_too() -> None:
    rows = [{"name": "x" * 300, "slug": f"s{i}", "day": 1, "time": "9" * 5000} for i in range(80)]
    parsed = parse_guide_feed(json.dumps(rows), "UTC")
    assert len(parsed.skipped) == 51 and parsed.skipped[-1][1] == "and 30 more rows skipped"
    assert all(len(label) <= 80 and len(reason) <= 80 for label, reason in parsed.skipped)


def test_bound_skips_keeps_short_lists_as_they_are() -> None:
    assert bound_skips([("a", "b")]) == [("a", "b")]


# --- languages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("es", "es"),
        ("ES", "es"),
        ("spa", "es"),
        ("Spanish", "es"),
        ("español", "es"),
        ("S", "es"),  # the Meeting Guide code
        ("French", "fr"),
        ("français", "fr"),
        ("uk", "uk"),  # Ukrainian, in ISO and in Meeting Guide alike
        ("ENG", "en"),
        ("Portuguese", "pt"),
        ("POR", "pt"),
        ("klingon", None),
        ("", None),
    ],
)
def test_parse_language(text: str, iso: str | None) -> None:
    assert parse_language(text) == iso


def test_language_types() -> None:
    assert languages_of(("O", "S", "D", "FR", "S")) == ("es", "fr")
    assert languages_of(("SP", "B")) == ()  # Speaker and Big Book are not languages
    assert iso_from_code("FIN") == "fi" and iso_from_code("BL") is None
