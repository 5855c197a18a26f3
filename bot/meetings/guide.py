"""Import a Meeting Guide JSON feed (the format of the Meeting Guide app / 12 Step Meeting List).

A feed that is not valid JSON, not a list, or too big imports nothing (FeedError). Within a valid
feed each bad row is skipped with a reason and the rest still import.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from bot.kernel.text import clean_tree, json_may_hold_surrogates
from bot.meetings.model import (
    ADDRESS_MAX,
    NAME_MAX,
    NOTES_MAX,
    PHONE_MAX,
    MeetingSpec,
    canonical_tz,
    clean_url,
    normalize_types,
    one_line,
)

DEFAULT_DURATION_MIN = 60
SLUG_MAX = 200
QUOTE_MAX = 32  # characters of a bad value a skip reason may show


class FeedError(ValueError):
    """The whole feed was rejected. `key` is a message-catalog key; str() is readable English."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


class _Skip(Exception):
    """One row cannot be imported; the message is the reason shown to moderators."""


@dataclass
class ImportResult:
    meetings: list[MeetingSpec] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name or slug, reason)


@cache
def _type_table() -> dict[str, dict[str, str]]:
    raw = resources.files("bot").joinpath("data/meeting-guide-types.json").read_text("utf-8")
    table: dict[str, dict[str, str]] = json.loads(raw)
    return table


def type_names(codes: Iterable[str], lang: str = "en") -> list[str]:
    """Readable names for type codes in `lang`, falling back to English, then the code itself.
    Note the traps: "S" is Spanish, "UK" is Ukrainian."""
    table = _type_table()
    out: list[str] = []
    for code in codes:
        names = table.get(code, {})
        out.append(names.get(lang) or names.get("en") or ("Online" if code == "ONL" else code))
    return out


# --- field readers: each returns a clean value or raises _Skip --------------------------


def _text(row: dict[str, Any], key: str) -> str:
    value = row.get(key)
    if type(value) is str:  # the usual case, first
        return value.strip()
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float | str):
        return str(value).strip()
    return ""


def _quote(value: Any) -> str:
    """Enough of a bad value to recognise it, never the whole of it (a feed is not ours)."""
    if isinstance(value, str):
        return repr(value if len(value) <= QUOTE_MAX else value[: QUOTE_MAX - 1] + "…")
    text = repr(value)
    return text if len(text) <= QUOTE_MAX else text[: QUOTE_MAX - 1] + "…"


def _clip(text: str, limit: int) -> str:
    # Feeds are not typed by our moderators: shorten rather than reject.
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _weekday(value: Any) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip()[:3])
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 6:
        raise _Skip(f"invalid day {_quote(value)}")
    return (value + 6) % 7  # Meeting Guide: Sunday = 0; Python: Monday = 0


def _weekdays(row: dict[str, Any]) -> tuple[int, ...]:
    raw = row.get("day")
    values = raw if isinstance(raw, list) else [raw]
    days = {_weekday(v) for v in values}
    if not days:
        raise _Skip("no day (by appointment)")
    return tuple(sorted(days))


_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")


def _clock(value: str) -> datetime.time | None:
    m = _TIME_RE.fullmatch(value.strip())
    if m is None:
        return None
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour == 24 and minute == 0:
        hour = 0  # "24:00" as an end time means midnight
    if hour > 23 or minute > 59 or int(m.group(3) or 0) > 59:
        return None
    return datetime.time(hour, minute)


def _duration(start: datetime.time, end_text: str) -> int:
    end = _clock(end_text) if end_text else None
    if end is None:
        return DEFAULT_DURATION_MIN
    minutes = (end.hour * 60 + end.minute - start.hour * 60 - start.minute) % 1440
    return minutes or DEFAULT_DURATION_MIN  # end == start: treat as unknown, not 24 h


def _address(row: dict[str, Any]) -> str | None:
    address = _text(row, "formatted_address")
    if not address:
        parts = (_text(row, k) for k in ("address", "city", "state", "postal_code", "country"))
        address = ", ".join(p for p in parts if p)
    location = _text(row, "location")
    if location and address and location.lower() not in address.lower():
        address = f"{location}, {address}"
    return _clip(one_line(address), ADDRESS_MAX) or None


def _phone(row: dict[str, Any]) -> str | None:
    phone = one_line(_text(row, "conference_phone"))
    if phone.lower().startswith("tel:"):
        phone = phone[4:].strip()
    return phone if phone and len(phone) <= PHONE_MAX else None


def _row_to_spec(row: dict[str, Any], slug: str, default_tz: str) -> MeetingSpec:
    name = _clip(one_line(_text(row, "name")), NAME_MAX)
    if not name:
        raise _Skip("missing name")
    if row.get("day") in (None, "", []) or not _text(row, "time"):
        raise _Skip("no day or time (by appointment)")
    weekdays = _weekdays(row)
    start = _clock(_text(row, "time"))
    if start is None:
        raise _Skip(f"invalid time {_quote(_text(row, 'time'))}")
    duration = _duration(start, _text(row, "end_time"))

    tz_name = _text(row, "timezone")
    tz = canonical_tz(tz_name or default_tz)
    if tz is None:
        raise _Skip(f"unknown time zone {_quote(tz_name or default_tz)}")

    raw_types = row.get("types")
    types = normalize_types(
        t for t in (raw_types if isinstance(raw_types, list) else []) if isinstance(t, str)
    )
    raw_url = _text(row, "conference_url")
    url = clean_url(raw_url) if raw_url else None
    phone = _phone(row)
    # TC: the room is closed, so the address would send people to a locked door.
    address = None if "TC" in types else _address(row)
    if not (url or phone or address):
        if "TC" in types:
            raise _Skip("location temporarily closed and no online option (inactive)")
        if raw_url:
            raise _Skip("conference URL is not http(s) and there is no address or phone")
        raise _Skip("no address, link or phone")

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
        notes=_clip(_text(row, "notes"), NOTES_MAX),
        slug=slug,
    )


def _load(data: bytes | str, max_bytes: int) -> Any:
    size = len(data) if isinstance(data, bytes) else len(data.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise FeedError("feed.too_big", f"The feed is larger than {max_bytes:,} bytes.")
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data.lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise FeedError("feed.bad_encoding", "The feed is not UTF-8 text.") from exc
    try:
        decoded = json.loads(text)
        # A "\ud800" escape decodes to a lone surrogate, which no database can store.
        return clean_tree(decoded) if json_may_hold_surrogates(text) else decoded
    except (ValueError, RecursionError) as exc:
        raise FeedError("feed.bad_json", "The feed is not valid JSON.") from exc


def parse_feed(data: bytes | str, default_tz: str, max_bytes: int = 5_000_000) -> ImportResult:
    """Parse a whole feed. Duplicate slugs: the last row wins and the earlier one is reported."""
    return parse_rows(_load(data, max_bytes), default_tz)


def parse_rows(rows: Any, default_tz: str) -> ImportResult:
    """parse_feed on an already decoded payload. Raises FeedError when it is not a list."""
    if not isinstance(rows, list):
        raise FeedError("feed.not_list", "The feed must be a JSON list of meetings.")
    by_slug: dict[str, MeetingSpec] = {}
    skipped: list[tuple[str, str]] = []
    for index, row in enumerate(rows, start=1):
        if not isinstance(row, dict):
            skipped.append((f"#{index}", "not a meeting object"))
            continue
        label = _text(row, "name") or _text(row, "slug") or f"#{index}"
        slug = _text(row, "slug")
        if not slug:
            skipped.append((label, "missing slug"))
            continue
        if len(slug) > SLUG_MAX:
            skipped.append((label, "slug too long"))
            continue
        try:
            spec = _row_to_spec(row, slug, default_tz)
        except _Skip as why:
            skipped.append((label, str(why)))
            continue
        if slug in by_slug:
            skipped.append((slug, "duplicate slug: replaced by a later row"))
            del by_slug[slug]  # re-insert so the order follows the winning row
        by_slug[slug] = spec
    return ImportResult(meetings=list(by_slug.values()), skipped=skipped)
