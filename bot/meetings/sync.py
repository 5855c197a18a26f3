"""Plan a re-sync of one source: what to create, update and remove, and whether to hold it.

Pure: the caller loads what the source produced last time, parses the fresh payload, and
applies the plan in one transaction (or asks moderators, when held). Meetings are matched by
the source's own key (its slug, "bmlt-<id>"), never by name or position, so a renamed or moved
meeting keeps its stored id and with it its reminders, RSVPs and attendance.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.meetings.feed_meeting import FeedMeeting
from bot.meetings.model import MeetingSpec

DEFAULT_MAX_DROP_SHARE = 0.5

Meeting = FeedMeeting | MeetingSpec


@dataclass(frozen=True, slots=True)
class Stored:
    """A meeting as the store has it: its content (`meeting`), or only the digest of the
    content it was stored with (a re-sync of 10,000 meetings need not decode them all)."""

    id: int
    source: str | None  # the source it came from; None: made by hand, never synced
    key: str | None  # the source's key for it (normalised as the fresh keys are)
    meeting: Meeting | None
    digest: str | None = None  # digest(meeting) when it was stored


@dataclass(frozen=True, slots=True)
class Update:
    id: int  # the stored meeting to overwrite: its id (and everything hanging off it) stays
    key: str
    meeting: Meeting  # the fresh content, with the local fields of the stored one kept
    before: Meeting | None  # None when only the stored digest was known


@dataclass
class SyncPlan:
    source: str
    creates: list[Meeting] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    removes: list[Stored] = field(default_factory=list)
    unchanged: int = 0
    previous: int = 0  # the source's meetings before this sync
    held: bool = False  # True: apply nothing, ask moderators (see drop_share)

    @property
    def drop_share(self) -> float:
        return len(self.removes) / self.previous if self.previous else 0.0

    @property
    def empty(self) -> bool:
        return not (self.creates or self.updates or self.removes)


def _spec(meeting: Meeting) -> MeetingSpec:
    return meeting.spec if isinstance(meeting, FeedMeeting) else meeting


def key_of(meeting: Meeting) -> str:
    if isinstance(meeting, FeedMeeting):
        return meeting.source_key
    if not meeting.slug:
        raise ValueError("a synced meeting needs the source's key in spec.slug")
    return meeting.slug


def content(meeting: Meeting) -> tuple[Any, ...]:
    """What a sync may change. Left out: the member- and moderator-owned fields (cancelled
    dates, reminder lead), the slug (the key itself) and the source's `updated` stamp (a
    touched but unchanged row needs no write)."""
    s = _spec(meeting)
    base: tuple[Any, ...] = (s.name, s.weekdays, s.start, s.duration_min, s.tz)
    base += (s.url, s.phone, s.address, s.types, s.notes)
    if isinstance(meeting, FeedMeeting):
        return (*base, meeting.venue, meeting.languages, meeting.feedback_url)
    return base


def digest(meeting: Meeting) -> str:
    """A short, stable digest of content(meeting): equal digests, equal content."""
    return hashlib.blake2b(repr(content(meeting)).encode(), digest_size=16).hexdigest()


def _changed(meeting: Meeting, old: Stored) -> bool:
    if old.digest is not None:
        return digest(meeting) != old.digest
    if old.meeting is not None:
        return content(meeting) != content(old.meeting)
    return True


def keep_local(fresh: Meeting, old: Meeting) -> Meeting:
    """The fresh meeting with what members and moderators set on the old one."""
    kept = _spec(old)
    spec = dataclasses.replace(
        _spec(fresh), skipped=kept.skipped, remind_before_min=kept.remind_before_min
    )
    if isinstance(fresh, FeedMeeting):
        return dataclasses.replace(fresh, spec=spec)
    return spec


def plan_sync(
    source: str,
    stored: Iterable[Stored],
    fresh: Iterable[Meeting],
    max_drop_share: float = DEFAULT_MAX_DROP_SHARE,
) -> SyncPlan:
    """Compare `fresh` (one source's parsed meetings, keys unique) with what `stored` holds
    for `source`. Stored meetings of other sources or made by hand are ignored, whatever their
    keys. A plan that would remove more than `max_drop_share` of the source's meetings is
    held: a feed that suddenly shrinks is far likelier broken than 90 % of meetings closed.
    A stored key seen twice keeps its lowest id; the others are removed."""
    mine: dict[str, Stored] = {}
    duplicates: list[Stored] = []
    for row in sorted(stored, key=lambda r: r.id):
        if row.source != source or row.key is None:
            continue
        if row.key in mine:
            duplicates.append(row)
        else:
            mine[row.key] = row
    plan = SyncPlan(source=source, previous=len(mine) + len(duplicates))
    seen: set[str] = set()
    for meeting in fresh:
        key = key_of(meeting)
        if key in seen:
            raise ValueError(f"duplicate source key in fresh meetings: {key[:40]!r}")
        seen.add(key)
        old = mine.get(key)
        if old is None:
            plan.creates.append(meeting)
        elif _changed(meeting, old):
            kept = keep_local(meeting, old.meeting) if old.meeting is not None else meeting
            plan.updates.append(Update(old.id, key, kept, old.meeting))
        else:
            plan.unchanged += 1
    plan.removes = sorted(
        [row for key, row in mine.items() if key not in seen] + duplicates, key=lambda r: r.id
    )
    plan.held = plan.drop_share > max_drop_share
    return plan
