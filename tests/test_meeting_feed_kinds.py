"""Telling a source's kind from its URL and payload, and the BMLT / TSML request URLs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.meetings.feed_kinds import (
    BAD_URL,
    BMLT_FORMATS_ONLY,
    EMPTY_UNKNOWN,
    HTML_PAGE,
    UNKNOWN_JSON,
    WRONG_TSML_ACTION,
    FeedKind,
    FeedKindError,
    bmlt_root,
    bmlt_urls,
    detect_kind,
    kind_from_payload,
    kind_from_url,
    tsml_url,
)
from bot.meetings.guide import FeedError

DATA = Path(__file__).parent / "data"
FEEDS = DATA / "feeds"
BMLT = "https://bmlt.example.org/main_server"


# --- from the URL ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://aa.example.org/wp-admin/admin-ajax.php?action=meetings", FeedKind.TSML),
        ("https://aa.example.org/wp-admin/admin-ajax.php?action=meetings&key=abc", FeedKind.TSML),
        ("https://aa.example.org/blog/wp-admin/admin-ajax.php", FeedKind.TSML),
        (f"{BMLT}/client_interface/json/?switcher=GetSearchResults", FeedKind.BMLT),
        (f"{BMLT}/client_interface/jsonp/?switcher=GetSearchResults&callback=x", FeedKind.BMLT),
        (f"{BMLT}/", FeedKind.BMLT),
        (BMLT, FeedKind.BMLT),
        (f"{BMLT}/client_interface/tsml/?switcher=GetSearchResults", FeedKind.MEETING_GUIDE),
        ("https://intergroup.example.org/meeting-guide.json", None),
        ("https://aa.example.org/", None),
    ],
)
def test_kind_from_url(url: str, kind: FeedKind | None) -> None:
    assert kind_from_url(url) is kind


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("ftp://example.org/feed.json", BAD_URL),
        ("not a url", BAD_URL),
        ("https://aa.example.org/wp-admin/admin-ajax.php?action=csv", WRONG_TSML_ACTION),
    ],
)
def test_bad_urls_are_clear_errors(url: str, key: str) -> None:
    with pytest.raises(FeedKindError) as caught:
        kind_from_url(url)
    assert caught.value.key == key


# --- from the payload --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("feeds/tsml.json", FeedKind.TSML),
        ("feeds/online.json", FeedKind.TSML),  # TSML's attendance_option / feedback_url
        ("feeds/bmlt_search.json", FeedKind.BMLT),
        ("meeting_guide_sample.json", FeedKind.MEETING_GUIDE),
    ],
)
def test_kind_from_payload(fixture: str, kind: FeedKind) -> None:
    assert kind_from_payload((DATA / fixture).read_bytes()) is kind


def test_plain_meeting_guide_rows_from_a_wordpress_url_are_tsml() -> None:
    payload = (DATA / "meeting_guide_sample.json").read_bytes()
    assert kind_from_payload(payload, FeedKind.TSML) is FeedKind.TSML


def test_get_used_formats_answer_is_bmlt() -> None:
    search = json.loads((FEEDS / "bmlt_search.json").read_bytes())
    assert kind_from_payload({"meetings": search, "formats": []}) is FeedKind.BMLT


def test_empty_list_needs_the_url() -> None:
    assert kind_from_payload(b"[]", FeedKind.BMLT) is FeedKind.BMLT
    with pytest.raises(FeedKindError) as caught:
        kind_from_payload(b"[]")
    assert caught.value.key == EMPTY_UNKNOWN


@pytest.mark.parametrize(
    ("payload", "key"),
    [
        (b"\xef\xbb\xbf  <!DOCTYPE html><html><body>Meetings</body></html>", HTML_PAGE),
        (b'{"status": "ok"}', UNKNOWN_JSON),
        (b'{"meetings": [{"title": "a webinar", "id": 3}]}', UNKNOWN_JSON),
        (b'"meetings"', UNKNOWN_JSON),
        (b'[{"title": "a post"}]', UNKNOWN_JSON),
        (b"[1, 2, 3]", UNKNOWN_JSON),
        ((FEEDS / "bmlt_formats_en.json").read_bytes(), BMLT_FORMATS_ONLY),
        (b'{"formats": []}', BMLT_FORMATS_ONLY),
        (b"meetings: yes", "feed.bad_json"),
        (b"\xff\xfe\x00", "feed.bad_encoding"),
    ],
)
def test_anything_else_is_a_clear_error(payload: bytes, key: str) -> None:
    with pytest.raises(FeedKindError) as caught:
        kind_from_payload(payload)
    err = caught.value
    assert err.key == key
    assert isinstance(err, FeedError)  # caught where the importer catches feed errors
    assert len(err.detail) <= 60 and len(str(err)) <= 140
    assert "meetings: yes" not in str(err)  # never the payload itself


def test_detect_kind_prefers_the_payload() -> None:
    guide = (DATA / "meeting_guide_sample.json").read_bytes()
    # BMLT's client_interface/json URL, but a Meeting Guide list came back: parse what came.
    url = f"{BMLT}/client_interface/json/?switcher=GetSearchResults"
    assert detect_kind(url, guide) is FeedKind.MEETING_GUIDE
    assert detect_kind(url) is FeedKind.BMLT
    with pytest.raises(FeedKindError) as caught:
        detect_kind("https://intergroup.example.org/feed.json")
    assert caught.value.key == UNKNOWN_JSON


# --- request URLs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        BMLT,
        f"{BMLT}/",
        f"{BMLT}/index.php",
        f"{BMLT}/client_interface/json/?switcher=GetSearchResults",
        f"{BMLT}/client_interface/jsonp/?switcher=GetFormats&callback=cb",
        f"{BMLT}/client_interface/tsml/?switcher=GetSearchResults",
    ],
)
def test_bmlt_root_from_any_form(url: str) -> None:
    assert bmlt_root(url) == f"{BMLT}/"


def test_bmlt_urls() -> None:
    urls = bmlt_urls(BMLT, lang="ES")
    assert urls.root == f"{BMLT}/"
    assert urls.search.startswith(f"{BMLT}/client_interface/json/?switcher=GetSearchResults&")
    assert "data_field_key=id_bigint,root_server_id,meeting_name," in urls.search
    assert urls.formats == f"{BMLT}/client_interface/json/?switcher=GetFormats&lang_enum=es"
    assert urls.formats_en == f"{BMLT}/client_interface/json/?switcher=GetFormats&lang_enum=en"


def test_bmlt_urls_keep_the_moderators_filters_as_written() -> None:
    pasted = (
        f"{BMLT}/client_interface/jsonp/?switcher=GetSearchResults&services[]=3&services[]=7"
        "&recursive=1&callback=jQuery123&data_field_key=meeting_name"
    )
    urls = bmlt_urls(pasted, fields=None)
    assert urls.search == (
        f"{BMLT}/client_interface/json/?switcher=GetSearchResults"
        "&services[]=3&services[]=7&recursive=1"
    )


def test_tsml_url_adds_the_action_and_keeps_the_key() -> None:
    base = "https://aa.example.org/wp-admin/admin-ajax.php"
    assert tsml_url(base) == base + "?action=meetings"
    assert tsml_url(base + "?key=s3cret") == base + "?action=meetings&key=s3cret"
    assert tsml_url(base + "?action=meetings") == base + "?action=meetings"
