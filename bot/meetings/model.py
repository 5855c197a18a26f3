"""A weekly recurring meeting, and the one-line form moderators type to add one.

Line form: ``name | weekdays | time | [tz] | [duration] | [link or address] | [types] | [notes]``.
Optional fields are positional; leave one empty (``| |``) to keep its default. Any further
``|`` belongs to the notes.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

NAME_MAX = 80
NOTES_MAX = 500
ADDRESS_MAX = 300
URL_MAX = 500
PHONE_MAX = 64
DURATION_MAX_MIN = 24 * 60

EXAMPLE_LINE = (
    "Tuesday Night Group | tue,thu | 19:00 | America/New_York | 90 | "
    "https://zoom.us/j/123 | O,D | Bring a friend"
)


class MeetingInputError(ValueError):
    """Bad moderator input. `key` is a message-catalog key, `detail` the offending text."""

    example = EXAMPLE_LINE

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(f"{key}: {detail}" if detail else key)
        self.key = key
        self.detail = detail


@dataclass(frozen=True, slots=True)
class MeetingSpec:
    name: str
    weekdays: tuple[int, ...]  # Python weekday(): 0 = Monday … 6 = Sunday
    start: datetime.time  # local wall time in `tz`
    duration_min: int = 60
    tz: str = "UTC"  # IANA name
    url: str | None = None  # http(s) only
    phone: str | None = None
    address: str | None = None
    types: tuple[str, ...] = ()  # Meeting Guide codes, e.g. ("O", "D", "ONL")
    notes: str = ""
    slug: str | None = None
    skipped: frozenset[datetime.date] = frozenset()  # cancelled local dates
    remind_before_min: int = 60

    @property
    def online(self) -> bool:
        return bool(self.url or self.phone)


# --- shared validators (also used by the feed importer) ---------------------------------


@cache
def _zone_names() -> dict[str, str]:
    # Lower-case lookup so "america/new_york" works; scanning tzdata is slow, hence the cache.
    return {name.lower(): name for name in available_timezones()} | {"utc": "UTC"}


_ZONES: dict[str, ZoneInfo | None] = {}


def zone(name: str) -> ZoneInfo:
    """ZoneInfo(name), held for the life of the process. zoneinfo itself keeps only its last
    8 zones alive, so code cycling through a feed's 60 zones would re-read tzdata files
    thousands of times; there are ~600 zones, so holding every one used costs little.
    Raises ZoneInfoNotFoundError (or ValueError) like ZoneInfo."""
    found = _ZONES.get(name)
    if found is None:
        found = ZoneInfo(name)
        _ZONES[name] = found
    return found


@lru_cache(maxsize=4096)
def canonical_tz(name: str) -> str | None:
    """The IANA name as zoneinfo spells it, or None when unknown."""
    name = name.strip()
    if not name or len(name) > 64:
        return None
    found = _zone_names().get(name.lower())
    if found is None:
        return None
    try:
        zone(found)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return found


_URL_BAD_CHAR = re.compile(r"[\s\x00-\x1f\x7f]")
# http(s)://host[:port][/?#rest] with a plain ASCII host name (no user info, no brackets).
_PLAIN_URL = re.compile(r"(?i:https?)://[a-z0-9](?:[a-z0-9.-]*)(?::\d{1,5})?(?:[/?#]|$)", re.I)


def clean_url(text: str) -> str | None:
    """`text` if it is an absolute http(s) URL with a host and no whitespace, else None."""
    text = text.strip()
    if not text or len(text) > URL_MAX or _URL_BAD_CHAR.search(text) is not None:
        return None
    if _PLAIN_URL.match(text) is not None:
        return text  # the common shape, known good without a full split
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return text


def one_line(text: str) -> str:
    """Collapse whitespace (newlines included) so names stay on one line."""
    return " ".join(text.split())


@cache
def known_type_codes() -> dict[str, str]:
    """Lower-case code -> code as the Meeting Guide spec spells it."""
    raw = resources.files("bot").joinpath("data/meeting-guide-types.json").read_text("utf-8")
    names: dict[str, dict[str, str]] = json.loads(raw)
    return {code.lower(): code for code in names}


# --- line parsing ------------------------------------------------------------------------

_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_GROUPS: dict[str, tuple[int, ...]] = {
    "daily": tuple(range(7)),
    "everyday": tuple(range(7)),
    "every day": tuple(range(7)),
    "weekdays": (0, 1, 2, 3, 4),
    "weekends": (5, 6),
    "weekend": (5, 6),
}


def _one_day(token: str) -> int:
    t = token.strip().lower().rstrip(".")
    # Any prefix of two letters or more is unambiguous ("tu", "tue", "tues", "thurs").
    for candidate in (t, t.removesuffix("s")):
        if len(candidate) >= 2:
            for i, full in enumerate(_DAY_NAMES):
                if full.startswith(candidate):
                    return i
    raise MeetingInputError("meeting.bad_weekday", token.strip() or "-")


def parse_weekdays(text: str) -> tuple[int, ...]:
    """'tue,thu', 'mon-fri', 'daily', 'weekends', 'Mon Wed' -> sorted Python weekdays."""
    t = one_line(text).lower()
    if t in _DAY_GROUPS:
        return _DAY_GROUPS[t]
    t = re.sub(r"\s*(?:-|–|\bto\b|\bthrough\b)\s*", "-", t)  # "mon - fri", "mon to fri"
    days: set[int] = set()
    for token in re.split(r"[,;/\s]+", t.replace("&", ",").replace(" and ", ",")):
        if not token:
            continue
        if token in _DAY_GROUPS:
            days.update(_DAY_GROUPS[token])
        elif "-" in token:
            first, _, last = token.partition("-")
            a, b = _one_day(first), _one_day(last)
            # "fri-mon" wraps through the weekend.
            days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
        else:
            days.add(_one_day(token))
    if not days:
        raise MeetingInputError("meeting.bad_weekday", text.strip())
    return tuple(sorted(days))


_TIME_RE = re.compile(r"(\d{1,2})(?:[:.h](\d{2}))?\s*([ap])?\.?\s*m?\.?", re.IGNORECASE)


def parse_time(text: str) -> datetime.time:
    """'19:00', '7pm', '7:30 pm', '7.30pm', 'noon', 'midnight' -> time."""
    t = text.strip().lower()
    if t == "noon":
        return datetime.time(12, 0)
    if t == "midnight":
        return datetime.time(0, 0)
    m = _TIME_RE.fullmatch(t)
    if m is None:
        raise MeetingInputError("meeting.bad_time", text.strip())
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    half = (m.group(3) or "").lower()
    if half and not 1 <= hour <= 12:
        raise MeetingInputError("meeting.bad_time", text.strip())
    if not half and t.endswith("m"):
        raise MeetingInputError("meeting.bad_time", text.strip())  # "7m" is not a time
    if half:
        hour = hour % 12 + (12 if half == "p" else 0)
    if hour > 23 or minute > 59:
        raise MeetingInputError("meeting.bad_time", text.strip())
    return datetime.time(hour, minute)


_DURATION_RE = re.compile(
    r"(?:(\d{1,2})\s*h(?:ours?|rs?)?)?\s*(?:(\d{1,4})\s*(?:m|mins?|minutes?)?)?", re.IGNORECASE
)


def parse_duration(text: str) -> int:
    """'90', '90 min', '1h', '1h30', '1:30' -> minutes (1 … 1440)."""
    t = text.strip().lower()
    if ":" in t:
        h, _, m = t.partition(":")
        ok = h.isascii() and h.isdigit() and len(h) <= 2 and m.isascii() and m.isdigit()
        minutes = int(h) * 60 + int(m) if ok and len(m) == 2 else -1
    else:
        match = _DURATION_RE.fullmatch(t)
        if match is None or not t or not any(match.groups()):
            raise MeetingInputError("meeting.bad_duration", text.strip())
        minutes = int(match.group(1) or 0) * 60 + int(match.group(2) or 0)
    if not 1 <= minutes <= DURATION_MAX_MIN:
        raise MeetingInputError("meeting.bad_duration", text.strip())
    return minutes


_SCHEME_RE = re.compile(r"[a-z][a-z0-9+.-]*:(?!\d)", re.IGNORECASE)
_PHONE_RE = re.compile(r"\+?[\d\s().\-]{6,}(?:[,;#*pw]+[\d#*]*)*", re.IGNORECASE)


def _place(text: str) -> tuple[str | None, str | None, str | None]:
    """(url, phone, address) from the 'link or address' field."""
    t = text.strip()
    if not t:
        return None, None, None
    if t.lower().startswith("www."):
        t = "https://" + t
    if t.lower().startswith("tel:"):
        phone = t[4:].strip()
        if not phone or len(phone) > PHONE_MAX or _PHONE_RE.fullmatch(phone) is None:
            raise MeetingInputError("meeting.bad_phone", text.strip())
        return None, phone, None
    if _SCHEME_RE.match(t):
        # Anything with a scheme is a link: only http(s) is safe to show as one.
        url = clean_url(t)
        if url is None:
            raise MeetingInputError("meeting.bad_link", text.strip())
        return url, None, None
    if _PHONE_RE.fullmatch(t) and sum(c.isdigit() for c in t) >= 6:
        if len(t) > PHONE_MAX:
            raise MeetingInputError("meeting.bad_phone", t)
        return None, t, None
    address = one_line(t)
    if len(address) > ADDRESS_MAX:
        raise MeetingInputError("meeting.address_too_long", str(ADDRESS_MAX))
    return None, None, address


def parse_types(text: str) -> tuple[str, ...]:
    """'O, d, onl' -> ('O', 'D', 'ONL'); unknown codes are typos here, so reject them."""
    known = known_type_codes()
    codes: list[str] = []
    for token in re.split(r"[,\s]+", text.strip()):
        if not token:
            continue
        code = known.get(token.lower())
        if code is None and token.upper() == "ONL":
            code = "ONL"  # dropped from the spec but still in use
        if code is None:
            raise MeetingInputError("meeting.bad_type", token)
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def parse_meeting_line(text: str, default_tz: str) -> MeetingSpec:
    """Parse the moderator one-line form; raise MeetingInputError on the first problem."""
    # Notes may contain "|": everything from the 8th field on is notes.
    fields = [f.strip() for f in text.strip().split("|", 7)]
    if len(fields) < 3:
        raise MeetingInputError("meeting.bad_format", text.strip())
    fields += [""] * (8 - len(fields))
    name_raw, days_raw, time_raw, tz_raw, dur_raw, place_raw, types_raw, notes_raw = fields

    name = one_line(name_raw)
    if not name:
        raise MeetingInputError("meeting.empty_name")
    if len(name) > NAME_MAX:
        raise MeetingInputError("meeting.name_too_long", str(NAME_MAX))
    if not days_raw:
        raise MeetingInputError("meeting.missing_days")
    if not time_raw:
        raise MeetingInputError("meeting.missing_time")
    weekdays = parse_weekdays(days_raw)
    start = parse_time(time_raw)
    tz = canonical_tz(tz_raw or default_tz)
    if tz is None:
        raise MeetingInputError("meeting.bad_tz", tz_raw or default_tz)
    duration = parse_duration(dur_raw) if dur_raw else 60
    url, phone, address = _place(place_raw)
    types = parse_types(types_raw)
    notes = notes_raw.strip()
    if len(notes) > NOTES_MAX:
        raise MeetingInputError("meeting.notes_too_long", str(NOTES_MAX))
    return MeetingSpec(
        name=name,
        weekdays=weekdays,
        start=start,
        duration_min=duration,
        tz=tz,
        url=url,
        phone=phone,
        address=address,
        types=types,
        notes=notes,
    )


def normalize_types(codes: Iterable[str]) -> tuple[str, ...]:
    """Dedupe codes, keeping order and the feed's spelling (custom codes are allowed)."""
    out: list[str] = []
    for code in codes:
        c = code.strip()
        if c and c not in out:
            out.append(c)
    return tuple(out)


# --- the spec as stored JSON (storage keeps it as a JSON object) ----------------------------


def spec_to_dict(spec: MeetingSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "weekdays": list(spec.weekdays),
        "start": spec.start.strftime("%H:%M"),
        "duration_min": spec.duration_min,
        "tz": spec.tz,
        "url": spec.url,
        "phone": spec.phone,
        "address": spec.address,
        "types": list(spec.types),
        "notes": spec.notes,
        "slug": spec.slug,
        "skipped": sorted(d.isoformat() for d in spec.skipped),
        "remind_before_min": spec.remind_before_min,
    }


def spec_from_dict(d: dict[str, Any]) -> MeetingSpec:
    hh, mm = str(d["start"]).split(":")
    return MeetingSpec(
        name=d["name"],
        weekdays=tuple(d["weekdays"]),
        start=datetime.time(int(hh), int(mm)),
        duration_min=int(d["duration_min"]),
        tz=d["tz"],
        url=d.get("url"),
        phone=d.get("phone"),
        address=d.get("address"),
        types=tuple(d.get("types", ())),
        notes=d.get("notes", ""),
        slug=d.get("slug"),
        skipped=frozenset(datetime.date.fromisoformat(x) for x in d.get("skipped", ())),
        remind_before_min=int(d.get("remind_before_min", 60)),
    )


_SLUG_CUT = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    return _SLUG_CUT.sub("-", name.casefold()).strip("-")[:60].strip("-") or "meeting"
