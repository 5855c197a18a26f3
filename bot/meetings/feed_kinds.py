"""What kind of meeting source a URL (and/or its payload) is, and the BMLT request URLs.

Kinds: `meeting_guide` (a Meeting Guide JSON feed), `tsml` (the same format from 12 Step
Meeting List's WordPress endpoint, `/wp-admin/admin-ajax.php?action=meetings`) and `bmlt`
(a BMLT root server). Anything else raises FeedKindError with a message-catalog key and a
short detail. Pure functions: the caller fetches.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import SplitResult, parse_qsl, quote, unquote, urlsplit, urlunsplit

from bot.meetings.feed_meeting import load_json
from bot.meetings.guide import FeedError
from bot.meetings.model import clean_url

SNIFF_ROWS = 20  # rows looked at to recognise a payload


class FeedKind(StrEnum):
    MEETING_GUIDE = "meeting_guide"
    TSML = "tsml"
    BMLT = "bmlt"


class FeedKindError(FeedError):
    """Not a source Harbor can read. `key` is a message-catalog key ("feed.…"), `detail` a
    short fragment for the message, never more than a few words of the payload."""

    def __init__(self, key: str, detail: str = "") -> None:
        sentence = _ENGLISH.get(key, "That address is not a meeting feed Harbor can read.")
        super().__init__(key, f"{sentence} ({detail})" if detail else sentence)
        self.detail = detail


# Keys of the errors raised here (the integrator's catalog needs a line for each), and the
# English of str(error). guide.py's feed.bad_json / feed.bad_encoding are reused as they are.
BAD_URL = "feed.bad_url"
HTML_PAGE = "feed.html_page"
UNKNOWN_JSON = "feed.unknown_json"
EMPTY_UNKNOWN = "feed.empty_unknown"
BMLT_FORMATS_ONLY = "feed.bmlt_formats_only"
WRONG_TSML_ACTION = "feed.tsml_wrong_action"
_ENGLISH = {
    BAD_URL: "A feed address must be an http(s) URL.",
    HTML_PAGE: "That address returned a web page, not a meeting feed.",
    UNKNOWN_JSON: "That address returned JSON, but not a Meeting Guide, TSML or BMLT list.",
    EMPTY_UNKNOWN: "That address returned an empty list, so its kind cannot be told.",
    BMLT_FORMATS_ONLY: "That is a BMLT formats list; give the BMLT server's address.",
    WRONG_TSML_ACTION: "That WordPress address is not the meetings feed (action=meetings).",
}

_BMLT_ROW_KEYS = frozenset({"id_bigint", "weekday_tinyint", "meeting_name", "start_time"})
_GUIDE_ROW_KEYS = frozenset({"slug", "day", "time", "conference_url", "formatted_address"})
_TSML_ROW_KEYS = frozenset({"attendance_option", "location_id", "approximate", "feedback_url"})
_FORMAT_ROW_KEYS = frozenset({"key_string", "name_string"})
# BMLT search results are trimmed to the fields bmlt.py reads (smaller, and no contacts).
BMLT_FIELDS = (
    "id_bigint,root_server_id,meeting_name,published,weekday_tinyint,start_time,duration_time,"
    "time_zone,venue_type,formats,format_shared_id_list,virtual_meeting_link,"
    "phone_meeting_number,virtual_meeting_additional_info,comments,location_text,location_info,"
    "location_street,location_municipality,location_province,location_postal_code_1,"
    "location_nation"
)
# Query parameters of a pasted BMLT URL that are ours to set, not the moderator's filters.
_BMLT_OWN_PARAMS = frozenset(
    {"switcher", "callback", "data_field_key", "get_used_formats", "get_formats_only"}
)


def _parts(url: str) -> SplitResult:
    clean = clean_url(url)
    if clean is None:
        raise FeedKindError(BAD_URL, "not an http(s) address")
    return urlsplit(clean)


def _query(query: str) -> dict[str, str]:
    return {k.lower(): v for k, v in parse_qsl(query, keep_blank_values=True)}


def kind_from_url(url: str) -> FeedKind | None:
    """The kind the address alone tells, or None (most Meeting Guide feeds are plain .json
    files, recognised by their payload). Raises FeedKindError for a non-http(s) URL or a
    WordPress endpoint asked for something other than meetings."""
    parts = _parts(url)
    path = unquote(parts.path).lower()
    query = _query(parts.query)
    if path.endswith("/wp-admin/admin-ajax.php"):
        action = query.get("action", "meetings")
        if action != "meetings":
            raise FeedKindError(WRONG_TSML_ACTION, f"action={action[:20]}")
        return FeedKind.TSML
    if "/client_interface/" in path:
        # BMLT's own TSML export is a Meeting Guide feed in all but name.
        return FeedKind.MEETING_GUIDE if "/client_interface/tsml" in path else FeedKind.BMLT
    if "switcher" in query or path.rstrip("/").endswith("/main_server"):
        return FeedKind.BMLT
    return None


def _rows(payload: Any) -> list[dict[str, Any]]:
    return [r for r in payload[:SNIFF_ROWS] if isinstance(r, dict)]


def _kind_of_rows(rows: list[dict[str, Any]]) -> FeedKind | None:
    keys: set[str] = set()
    for row in rows:
        keys.update(row)
    if "id_bigint" in keys and keys & (_BMLT_ROW_KEYS - {"id_bigint"}):
        return FeedKind.BMLT
    if "slug" in keys and keys & _GUIDE_ROW_KEYS - {"slug"}:
        return FeedKind.TSML if keys & _TSML_ROW_KEYS else FeedKind.MEETING_GUIDE
    return None


def kind_from_payload(data: bytes | str | Any, url_kind: FeedKind | None = None) -> FeedKind:
    """Recognise a fetched payload (bytes/str, or already-decoded JSON). `url_kind` settles
    what the payload cannot (an empty list) and tells TSML from plain Meeting Guide. Meant for
    adding a source (it decodes the whole payload); re-syncs use the kind stored then."""
    if isinstance(data, bytes | str):
        head = data[:512].decode("utf-8", "replace") if isinstance(data, bytes) else data[:512]
        if head.lstrip("\ufeff \t\r\n").startswith("<"):
            raise FeedKindError(HTML_PAGE, "the address returned a web page")
        try:
            data = load_json(data, max_bytes=sys.maxsize)  # the fetch capped the size
        except FeedError as exc:
            raise FeedKindError(exc.key, "not JSON") from None
    if isinstance(data, dict):
        inner = data.get("meetings")
        if isinstance(inner, list) and (not inner or _kind_of_rows(_rows(inner)) is FeedKind.BMLT):
            return FeedKind.BMLT  # a get_used_formats=1 search
        if isinstance(data.get("formats"), list):
            raise FeedKindError(BMLT_FORMATS_ONLY, "give the server's address instead")
        raise FeedKindError(UNKNOWN_JSON, "a JSON object, not a list of meetings")
    if not isinstance(data, list):
        raise FeedKindError(UNKNOWN_JSON, f"a JSON {type(data).__name__}")
    if not data:
        if url_kind is None:
            raise FeedKindError(EMPTY_UNKNOWN, "the list is empty")
        return url_kind
    rows = _rows(data)
    found = _kind_of_rows(rows)
    if found is None:
        if any(set(r) >= _FORMAT_ROW_KEYS for r in rows):
            raise FeedKindError(BMLT_FORMATS_ONLY, "give the server's address instead")
        raise FeedKindError(UNKNOWN_JSON, "a list, but not of meetings")
    if found is FeedKind.MEETING_GUIDE and url_kind is FeedKind.TSML:
        return FeedKind.TSML
    return found


def detect_kind(url: str, payload: bytes | str | Any | None = None) -> FeedKind:
    """The kind of a source: from the payload when there is one (what will be parsed), else
    from the URL. Raises FeedKindError when neither tells."""
    url_kind = kind_from_url(url)
    if payload is not None:
        return kind_from_payload(payload, url_kind)
    if url_kind is None:
        raise FeedKindError(UNKNOWN_JSON, "fetch the address to tell its kind")
    return url_kind


# --- URLs to request ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BmltUrls:
    root: str  # ".../main_server/", with the trailing slash
    search: str  # GetSearchResults, the moderator's filters kept
    formats: str  # GetFormats in the wanted language
    formats_en: str  # GetFormats in English, for names a language lacks


def bmlt_root(url: str) -> str:
    """A BMLT root server address from its root or any client_interface URL."""
    parts = _parts(url)
    path = parts.path
    cut = path.lower().find("/client_interface/")
    if cut >= 0:
        path = path[:cut]
    elif path.lower().endswith(("/index.php", "/semantic")):
        path = path.rsplit("/", 1)[0]
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/") + "/", "", ""))


def bmlt_urls(url: str, lang: str = "en", fields: str | None = BMLT_FIELDS) -> BmltUrls:
    """Normalise a BMLT root or client_interface URL into the JSON request URLs. Filters the
    moderator pasted (services[], recursive, weekdays[]…) stay on the search, as written."""
    parts = _parts(url)
    root = bmlt_root(url)
    kept = [
        piece
        for piece in parts.query.split("&")
        if piece and unquote(piece.split("=", 1)[0]).lower() not in _BMLT_OWN_PARAMS
    ]
    if "/client_interface/" not in parts.path.lower():
        kept = []  # a root URL's query (a session, a page) is not a search filter
    search = f"{root}client_interface/json/?switcher=GetSearchResults"
    if kept:
        search += "&" + "&".join(kept)
    if fields:
        search += "&data_field_key=" + quote(fields, safe=",_")
    lang = lang.strip().lower()[:8] or "en"
    formats = f"{root}client_interface/json/?switcher=GetFormats&lang_enum={quote(lang)}"
    formats_en = f"{root}client_interface/json/?switcher=GetFormats&lang_enum=en"
    return BmltUrls(root, search, formats, formats_en)


def tsml_url(url: str) -> str:
    """A TSML endpoint with `action=meetings` (and any `key=` the site needs) kept."""
    parts = _parts(url)
    query = parts.query
    if "action" not in _query(query):
        query = f"action=meetings&{query}" if query else "action=meetings"
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
