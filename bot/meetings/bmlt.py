"""Parse a BMLT root server's GetSearchResults (and GetFormats) into FeedMeetings.

BMLT is NA's meeting server. Its JSON differs from Meeting Guide's: every value is a string,
`weekday_tinyint` is 1 = Sunday … 7 = Saturday, times are HH:MM:SS with a `duration_time`
instead of an end, `venue_type` is 1 in person / 2 virtual / 3 hybrid, and formats are ids
(`format_shared_id_list`) into GetFormats, whose `key_string`s are chosen per server ("B" is
Beginners in NA but Big Book in Meeting Guide). So types are mapped through the formats'
NAWS `world_id`, never through a bare key, and a format with no Meeting Guide equivalent is
kept under its name in the member's language.

Like guide.py: a payload that is not a meeting list imports nothing (FeedError); a bad row is
skipped with a short reason and the others still import.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time
from typing import Any

from bot.meetings.feed_meeting import (
    FeedMeeting,
    FeedParse,
    Venue,
    bound_skips,
    clip,
    hold_zones,
    load_json,
)
from bot.meetings.guide import FeedError
from bot.meetings.languages import ISO_TO_TYPE, iso_from_code
from bot.meetings.model import (
    ADDRESS_MAX,
    DURATION_MAX_MIN,
    NAME_MAX,
    NOTES_MAX,
    PHONE_MAX,
    MeetingSpec,
    canonical_tz,
    clean_url,
    normalize_types,
    one_line,
)

BMLT_MAX_BYTES = 20_000_000  # a full GetSearchResults row is ~1 KB: 10,000 meetings ≈ 10 MB
DEFAULT_DURATION_MIN = 60
FORMAT_NAME_MAX = 40

# NAWS world_id -> Meeting Guide type code, only where the meaning is the same.
WORLD_TO_TYPE: dict[str, str] = {
    "OPEN": "O",
    "CLOSED": "C",
    "DISC": "D",
    "SPK": "SP",
    "STEP": "ST",
    "TRAD": "TR",
    "LIT": "LIT",
    "MED": "MED",
    "BEG": "BE",
    "M": "M",
    "W": "W",
    "Y": "Y",
    "GL": "LGBTQ",
    "CW": "CF",
    "CAN": "CAN",
    "WCHR": "X",
    "TC": "TC",
    "VM": "ONL",  # as BMLT's own TSML export does; the venue says online or hybrid
    "HYBR": "ONL",
}
# Without a world_id only these keys are safe: they mean the same on every BMLT server.
KEY_TO_TYPE: dict[str, str] = {"O": "O", "C": "C", "VM": "ONL", "HY": "ONL", "TC": "TC"}
_KEY_TO_WORLD = {"VM": "VM", "HY": "HYBR", "TC": "TC"}

_VENUES: dict[str, Venue] = {"1": "in_person", "2": "online", "3": "hybrid"}
_ADDRESS_FIELDS = (
    "location_text",
    "location_street",
    "location_municipality",
    "location_province",
    "location_postal_code_1",
    "location_nation",
)
_HMS_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_ID_RE = re.compile(r"\d{1,20}")
_BARE_HOST_RE = re.compile(r"(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:/\S*)?", re.I)


@dataclass(frozen=True, slots=True)
class BmltFormat:
    id: str  # shared_id_bigint, the same in every language
    key: str  # key_string, chosen per server and language
    name: str  # name_string in the list's language
    world_id: str  # NAWS code ("OPEN", "VM", "LANG"…), often blank
    kind: str  # format_type_enum: "FC1", "FC2", "FC3", "O", "LANG"…

    @property
    def is_language(self) -> bool:
        return self.world_id.upper() == "LANG" or self.kind.upper() == "LANG"


class _Skip(Exception):
    """One row cannot be imported; the message is the short reason shown to moderators."""


def _s(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if type(value) is str:  # BMLT sends strings: the fast path of ~20 calls a row
        return value.strip()
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ""
    return str(value).strip()


def _quote(value: str) -> str:
    # Enough of a bad value to recognise it, never the whole of it.
    return repr(value if len(value) <= 16 else value[:15] + "…")


# --- GetFormats ---------------------------------------------------------------------------


def parse_formats(
    data: bytes | str | list[Any], max_bytes: int = 2_000_000
) -> dict[str, BmltFormat]:
    """A GetFormats answer (or the `formats` of a get_used_formats search) -> formats by id.
    Raises FeedError("feed.bmlt_bad_formats") when it is not a list of formats."""
    rows = data if isinstance(data, list) else load_json(data, max_bytes)
    if isinstance(rows, dict) and isinstance(rows.get("formats"), list):
        rows = rows["formats"]
    if not isinstance(rows, list):
        raise FeedError("feed.bmlt_bad_formats", "The BMLT formats answer is not a list.")
    table: dict[str, BmltFormat] = {}
    for row in rows:
        if not isinstance(row, dict):
            continue
        fid = _s(row, "id")
        if not _ID_RE.fullmatch(fid):
            continue
        table[fid] = BmltFormat(
            id=fid,
            key=_s(row, "key_string"),
            name=clip(_s(row, "name_string"), FORMAT_NAME_MAX),
            world_id=_s(row, "world_id"),
            kind=_s(row, "format_type_enum"),
        )
    return table


def _lookup(
    wanted: dict[str, BmltFormat], english: dict[str, BmltFormat]
) -> Callable[[str], BmltFormat | None]:
    def find(fid: str) -> BmltFormat | None:
        found = wanted.get(fid) or english.get(fid)
        if found is not None and not found.name:
            fallback = english.get(fid)  # untranslated name: borrow the English one
            if fallback is not None and fallback.name:
                return BmltFormat(found.id, found.key, fallback.name, found.world_id, found.kind)
        return found

    return find


# --- one meeting row ------------------------------------------------------------------------


def _weekday(text: str) -> int:
    if len(text) != 1 or text not in "1234567":
        raise _Skip(f"invalid weekday_tinyint {_quote(text)}" if text else "no weekday")
    return (int(text) + 5) % 7  # BMLT: Sunday = 1; Python: Monday = 0


def _hms(text: str) -> tuple[int, int] | None:
    m = _HMS_RE.fullmatch(text)
    if m is None or int(m.group(2)) > 59 or int(m.group(3) or 0) > 59:
        return None
    return int(m.group(1)), int(m.group(2))


def _start(text: str) -> tuple[int, int]:
    hm = _hms(text)
    if hm is None or hm[0] > 23:
        raise _Skip(f"invalid start_time {_quote(text)}" if text else "no start_time")
    return hm


def _duration(text: str) -> int:
    hm = _hms(text)
    minutes = hm[0] * 60 + hm[1] if hm else 0
    return minutes if 0 < minutes <= DURATION_MAX_MIN else DEFAULT_DURATION_MIN


def _link(text: str) -> str | None:
    if not text:
        return None
    if "://" not in text and _BARE_HOST_RE.fullmatch(text):
        text = "https://" + text  # "zoom.us/j/123" is common in BMLT data
    return clean_url(text)


def _phone(text: str) -> str | None:
    phone = one_line(text)
    if phone.lower().startswith("tel:"):
        phone = phone[4:].strip()
    return phone if phone and len(phone) <= PHONE_MAX else None


def _address(row: dict[str, Any]) -> str | None:
    parts: list[str] = []
    for key in _ADDRESS_FIELDS:
        part = one_line(_s(row, key))
        if part and part.casefold() not in (p.casefold() for p in parts):
            parts.append(part)
    return clip(", ".join(parts), ADDRESS_MAX) or None


def _notes(*parts: str) -> str:
    text = "\n".join(p for p in (q.strip() for q in parts) if p)
    return text if len(text) <= NOTES_MAX else text[: NOTES_MAX - 1].rstrip() + "…"


@dataclass
class _Formats:
    types: list[str]
    languages: list[str]
    worlds: set[str]  # NAWS ids seen, for VM/HYBR/TC when venue_type is missing


def _formats(row: dict[str, Any], find: Callable[[str], BmltFormat | None] | None) -> _Formats:
    out = _Formats([], [], set())
    ids = [i.strip() for i in _s(row, "format_shared_id_list").split(",") if i.strip()]
    if find is not None and ids:
        for fid in ids:
            fmt = find(fid)
            if fmt is None:
                continue
            world = fmt.world_id.upper() or _KEY_TO_WORLD.get(fmt.key, "")
            out.worlds.add(world)
            code: str | None
            if fmt.is_language:
                iso = iso_from_code(fmt.key)
                code = ISO_TO_TYPE.get(iso) if iso else None
                if iso and iso not in out.languages:
                    out.languages.append(iso)
            else:
                code = WORLD_TO_TYPE.get(world) or (
                    KEY_TO_TYPE.get(fmt.key) if not fmt.world_id else None
                )
            out.types.append(code or fmt.name or fmt.key)
        return out
    # No format list: the row's own key strings, where they are unambiguous.
    for key in (k.strip() for k in _s(row, "formats").split(",")):
        if key in KEY_TO_TYPE:
            out.types.append(KEY_TO_TYPE[key])
            out.worlds.add(_KEY_TO_WORLD.get(key, ""))
    return out


def _venue(text: str, worlds: set[str]) -> Venue:
    if text in _VENUES:
        return _VENUES[text]
    if "HYBR" in worlds:
        return "hybrid"
    return "online" if "VM" in worlds else "in_person"


def _row_to_meeting(
    row: dict[str, Any], key: str, default_tz: str, find: Callable[[str], BmltFormat | None] | None
) -> FeedMeeting:
    name = clip(_s(row, "meeting_name"), NAME_MAX)
    if not name:
        raise _Skip("missing meeting_name")
    if _s(row, "published") == "0":
        raise _Skip("not published")
    weekday = _weekday(_s(row, "weekday_tinyint"))
    hour, minute = _start(_s(row, "start_time"))
    tz_name = _s(row, "time_zone")  # often empty: the server's zone, i.e. the community's
    tz = canonical_tz(tz_name or default_tz)
    if tz is None:
        raise _Skip(f"unknown time zone {_quote(tz_name or default_tz)}")
    formats = _formats(row, find)
    venue = _venue(_s(row, "venue_type"), formats.worlds)
    url = _link(_s(row, "virtual_meeting_link"))
    phone = _phone(_s(row, "phone_meeting_number"))
    address = _address(row)
    closed = "TC" in formats.worlds
    if venue == "hybrid" and not (url or phone):
        venue = "in_person"  # no way to join online: treat it as what it really is
    elif venue == "hybrid" and closed:
        venue = "online"  # the room is temporarily closed: only the online half is on
    if venue == "in_person":
        # venue_type is authoritative: a leftover link must not list it as online.
        url = phone = None
        if closed:
            raise _Skip("location temporarily closed and no online option (inactive)")
        if not address:
            raise _Skip("in-person meeting without an address")
    elif venue == "online":
        address = None  # a virtual meeting's home address would send people to an empty room
        if not (url or phone):
            raise _Skip("virtual meeting without a link or phone number")
    info = _s(row, "location_info") if address else ""
    online_info = _s(row, "virtual_meeting_additional_info") if url or phone else ""
    spec = MeetingSpec(
        name=name,
        weekdays=(weekday,),
        start=time(hour, minute),
        duration_min=_duration(_s(row, "duration_time")),
        tz=tz,
        url=url,
        phone=phone,
        address=address,
        types=normalize_types(formats.types),
        notes=_notes(_s(row, "comments"), info, online_info),
        slug=key,
    )
    return FeedMeeting(spec, key, venue, tuple(formats.languages))


def _source_key(row: dict[str, Any]) -> str:
    meeting_id = _s(row, "id_bigint")
    if not _ID_RE.fullmatch(meeting_id):
        raise _Skip(f"invalid id_bigint {_quote(meeting_id)}" if meeting_id else "no id_bigint")
    root = _s(row, "root_server_id")  # set by aggregators, where ids repeat across servers
    return f"bmlt-{root}-{meeting_id}" if _ID_RE.fullmatch(root) else f"bmlt-{meeting_id}"


def parse_bmlt(
    search: bytes | str,
    default_tz: str,
    *,
    formats: bytes | str | list[Any] | None = None,
    formats_en: bytes | str | list[Any] | None = None,
    max_bytes: int = BMLT_MAX_BYTES,
) -> FeedParse:
    """Parse GetSearchResults. `formats` is GetFormats in the wanted language, `formats_en` in
    English for the ids or names it lacks; with neither, only the unambiguous format keys
    (O, C, VM, HY, TC) become types. `default_tz` stands in for an empty `time_zone`.
    Meetings are keyed "bmlt-<id_bigint>"; a repeated id: the last row wins."""
    payload = load_json(search, max_bytes)
    embedded = None
    if isinstance(payload, dict) and isinstance(payload.get("meetings"), list):
        embedded = payload.get("formats")  # get_used_formats=1 answers carry their formats
        payload = payload["meetings"]
    if not isinstance(payload, list):
        raise FeedError("feed.not_list", "The BMLT answer must be a JSON list of meetings.")
    wanted = parse_formats(formats) if formats is not None else {}
    if not wanted and isinstance(embedded, list):
        wanted = parse_formats(embedded)
    english = parse_formats(formats_en) if formats_en is not None else {}
    find = _lookup(wanted, english) if wanted or english else None
    zones = [r.get("time_zone") for r in payload if isinstance(r, dict)]
    held = hold_zones([*zones, default_tz])  # see hold_zones: 60 zones cycling is slow

    by_key: dict[str, FeedMeeting] = {}
    skipped: list[tuple[str, str]] = []
    for index, row in enumerate(payload, start=1):
        if not isinstance(row, dict):
            skipped.append((f"#{index}", "not a meeting object"))
            continue
        label = _s(row, "meeting_name") or _s(row, "id_bigint") or f"#{index}"
        try:
            key = _source_key(row)
            meeting = _row_to_meeting(row, key, default_tz, find)
        except _Skip as why:
            skipped.append((label, str(why)))
            continue
        if key in by_key:
            skipped.append((key, "duplicate id_bigint: replaced by a later row"))
            del by_key[key]  # re-insert so the order follows the winning row
        by_key[key] = meeting
    del held
    return FeedParse(list(by_key.values()), bound_skips(skipped))
