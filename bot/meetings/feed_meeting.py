"""A meeting as a feed source describes it: a MeetingSpec plus what MeetingSpec has no field
for (venue, languages, the source's "report wrong info" link, its last-changed stamp).

MeetingSpec stays the one schedule type; FeedMeeting wraps it rather than growing it, so the
stored spec JSON and the one-line moderator form are untouched. `spec.slug` is the source key.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from bot.kernel.text import clean_tree, json_may_hold_surrogates
from bot.meetings.guide import FeedError, ImportResult, parse_rows
from bot.meetings.languages import languages_of
from bot.meetings.model import (
    NAME_MAX,
    MeetingSpec,
    canonical_tz,
    clean_url,
    one_line,
    slugify,
    spec_from_dict,
    spec_to_dict,
    zone,
)

Venue = Literal["in_person", "online", "hybrid"]

REASON_MAX = 80  # a skip reason is one short line, never a quoted payload
SKIPPED_MAX = 50  # skip lines kept; the rest become one summary line
UPDATED_MAX = 40
_EXTRA_KEYS = ("feedback_url", "updated", "attendance_option")


@dataclass(frozen=True, slots=True)
class FeedMeeting:
    spec: MeetingSpec  # spec.slug == source_key
    source_key: str  # the source's stable id: a Meeting Guide slug, "bmlt-<id_bigint>"
    venue: Venue
    languages: tuple[str, ...] = ()  # ISO 639-1; empty: not stated by the source
    feedback_url: str | None = None  # http(s) page where the source takes corrections
    updated: str | None = None  # the source's own stamp, as sent (display only)


@dataclass
class FeedParse:
    meetings: list[FeedMeeting] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (label, reason), bounded

    def import_result(self) -> ImportResult:
        """The shape bot/meetings/guide.py returns, for code that only needs specs."""
        return ImportResult([m.spec for m in self.meetings], list(self.skipped))


def clip(text: str, limit: int) -> str:
    text = one_line(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def bound_skips(
    skipped: Iterable[tuple[str, str]], limit: int = SKIPPED_MAX
) -> list[tuple[str, str]]:
    """Short labels and reasons, at most `limit` lines plus one 'and N more' summary: a broken
    feed of 10,000 rows must not become a 10,000-line message or echo its payload."""
    out: list[tuple[str, str]] = []
    extra = 0
    for label, reason in skipped:
        if len(out) < limit:
            out.append((clip(label, NAME_MAX), clip(reason, REASON_MAX)))
        else:
            extra += 1
    if extra:
        out.append(("…", f"and {extra} more rows skipped"))
    return out


def venue_of(spec: MeetingSpec) -> Venue:
    if spec.online:
        return "hybrid" if spec.address else "online"
    return "in_person"


def feedback_link(value: Any, base_url: str | None) -> str | None:
    """An http(s) feedback URL; a relative one (TSML allows '/feedback?…') is resolved
    against the feed's own address when that is known."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if base_url and text.startswith("/") and not text.startswith("//"):
        text = urljoin(base_url, text)
    return clean_url(text)


def load_json(data: bytes | str, max_bytes: int) -> Any:
    """Decode a JSON payload with guide.py's FeedError keys (feed.too_big, feed.bad_encoding,
    feed.bad_json), so one message catalog covers every source kind."""
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


def hold_zones(names: Iterable[Any]) -> list[ZoneInfo]:
    """The valid zones among `names`, loaded (and kept loaded by model.zone: zoneinfo keeps
    only its last 8 zones alive, and a feed cycling through 60 zones would otherwise re-read
    tzdata files thousands of times)."""
    found = {canonical_tz(n) for n in set(names) if isinstance(n, str) and len(n) <= 64}
    return [zone(tz) for tz in found if tz is not None]


def parse_guide_feed(
    data: bytes | str | list[Any],
    default_tz: str,
    *,
    base_url: str | None = None,
    max_bytes: int = 5_000_000,
) -> FeedParse:
    """A Meeting Guide / TSML feed (its bytes, or the list they decode to) as FeedMeetings.
    Validation is guide.parse_feed's (one set of rules); this adds the row fields MeetingSpec
    lacks, read from the same payload by slug."""
    rows = data if isinstance(data, list) else load_json(data, max_bytes)
    extras: dict[str, dict[str, Any]] = {}
    zones: list[Any] = [default_tz]
    for row in rows if isinstance(rows, list) else ():
        if not isinstance(row, dict):
            continue
        zones.append(row.get("timezone"))
        slug = row.get("slug")
        if isinstance(slug, str | int | float) and not isinstance(slug, bool):
            # Only what MeetingSpec lacks; the last row wins, as in parse_rows.
            extras[str(slug).strip()] = {k: row.get(k) for k in _EXTRA_KEYS}
    hold_zones(zones)
    result = parse_rows(rows, default_tz)  # raises for a non-list
    del rows
    meetings: list[FeedMeeting] = []
    for spec in result.meetings:
        slug = spec.slug or ""
        row = extras.get(slug, {})
        venue = venue_of(spec)
        # TSML says "online" when the address is only approximate (a town, not a door).
        if venue == "hybrid" and row.get("attendance_option") == "online":
            venue = "online"
        updated = row.get("updated")
        meetings.append(
            FeedMeeting(
                spec=spec,
                source_key=slug,
                venue=venue,
                languages=languages_of(spec.types),
                feedback_url=feedback_link(row.get("feedback_url"), base_url),
                updated=clip(updated, UPDATED_MAX) if isinstance(updated, str) else None,
            )
        )
    return FeedParse(meetings, bound_skips(result.skipped))


# --- as stored ------------------------------------------------------------------------------


def member_slug(key: str) -> str:
    """The slug members type for a source's meeting: lower-case ASCII, never all digits
    (those read as ids). The same rule as a one-shot import, so a source adopts those."""
    slug = slugify(key)
    return f"m-{slug}" if slug.isdigit() else slug


def to_stored(meeting: FeedMeeting) -> dict[str, Any]:
    """The stored spec JSON of a source's meeting: the MeetingSpec plus what it lacks."""
    return spec_to_dict(meeting.spec) | {
        "source_key": meeting.source_key,
        "venue": meeting.venue,
        "languages": list(meeting.languages),
        "feedback_url": meeting.feedback_url,
    }


def from_stored(data: dict[str, Any]) -> FeedMeeting:
    """A stored spec (of a source's meeting, or made by hand) as a FeedMeeting."""
    spec = spec_from_dict(data)
    venue = data.get("venue")
    return FeedMeeting(
        spec=spec,
        source_key=str(data.get("source_key") or spec.slug or ""),
        venue=venue if venue in ("in_person", "online", "hybrid") else venue_of(spec),
        languages=tuple(str(x) for x in data.get("languages") or ()),
        feedback_url=clean_url(str(data.get("feedback_url") or "")) or None,
    )
