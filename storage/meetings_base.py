"""The typed storage interface for meetings: rows and the `MeetingStore` protocol.

The store keeps each meeting's spec as an opaque JSON object (the bot converts it to a
MeetingSpec), so storage never depends on `bot/`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from storage.rows import UNSET, CommunityRow, MemberRow, OutboxItem, _Unset


@dataclass(frozen=True, slots=True)
class MeetingRow:
    id: int
    community_id: int
    slug: str
    name: str
    spec: dict[str, Any]
    next_occurrence: str | None  # local date (meeting tz) of the next planned occurrence
    next_reminder_at: int | None  # its announcement, unix seconds UTC
    created_at: int = 0  # unix seconds
    source_id: int | None = None  # the feed source it is synced from; None: not synced


@dataclass(frozen=True, slots=True)
class MeetingPlan:
    """The next occurrence of a meeting and when to announce it; start_at lets the store
    re-plan every subscription (each with its own lead time) in the same transaction."""

    occurrence: str | None = None
    reminder_at: int | None = None
    start_at: int | None = None


@dataclass(frozen=True, slots=True)
class NewMeeting:
    slug: str
    name: str
    spec: dict[str, Any]
    plan: MeetingPlan


@dataclass(frozen=True, slots=True)
class SubscriptionRow:
    meeting_id: int
    member_id: int
    before_min: int
    occurrence: str | None
    next_at: int | None


@dataclass(frozen=True, slots=True)
class DueMeeting:
    meeting: MeetingRow
    community: CommunityRow


@dataclass(frozen=True, slots=True)
class DueSubscription:
    subscription: SubscriptionRow
    meeting: MeetingRow
    member: MemberRow
    community_tz: str | None


@dataclass(frozen=True, slots=True)
class MeetingAdvance:
    """Move a meeting's announcement on, if it is still at `expected_at`."""

    meeting_id: int
    expected_at: int
    occurrence: str | None
    reminder_at: int | None


@dataclass(frozen=True, slots=True)
class SubscriptionAdvance:
    meeting_id: int
    member_id: int
    expected_at: int
    occurrence: str | None
    next_at: int | None


@dataclass(frozen=True, slots=True)
class AttendanceRow:
    day: str
    meeting_name: str
    meeting_id: int | None
    recorded_at: int


# -- feed sources ------------------------------------------------------------------------------

PURPOSE_MEETINGS = "meetings"  # the community's own meetings, synced into `meetings`
PURPOSE_ONLINE = "online"  # online meetings for /meetings now only


@dataclass(frozen=True, slots=True)
class SourceRow:
    id: int
    community_id: int | None  # None: the installation's own online feed
    url: str
    kind: str  # meeting_guide, tsml, bmlt; "" until the first fetch tells
    purpose: str  # PURPOSE_MEETINGS or PURPOSE_ONLINE
    etag: str | None
    last_modified: str | None
    body_digest: str | None
    last_synced: int | None
    last_error: str | None  # a catalog key
    failures: int
    held: dict[str, Any] | None  # a sync held by the shrink guard, awaiting moderators
    next_sync_at: int | None
    version: str  # changes with every applied sync
    created_at: int
    meetings: int = 0  # how many meetings it holds now (filled by `sources`/`source`)


@dataclass(frozen=True, slots=True)
class NewSource:
    community_id: int | None
    url: str
    kind: str
    purpose: str = PURPOSE_MEETINGS
    next_sync_at: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceUpdate:
    """The fields of a source that change (the others stay UNSET)."""

    kind: str | _Unset = UNSET
    etag: str | _Unset | None = UNSET
    last_modified: str | _Unset | None = UNSET
    body_digest: str | _Unset | None = UNSET
    last_synced: int | _Unset | None = UNSET
    last_error: str | _Unset | None = UNSET
    failures: int | _Unset = UNSET
    held: dict[str, Any] | _Unset | None = UNSET
    next_sync_at: int | _Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class SourcedMeeting:
    """One meeting as a sync stores it: `key` is the source's own id for it."""

    key: str
    digest: str  # of what the source said (changes only when the source's content does)
    slug: str  # wanted slug (a free one is chosen if taken)
    name: str
    # The stored spec, its "slug" the wanted one; already JSON-encoded (compact, sorted
    # keys), so 10,000 of them are encoded by the caller's worker thread, not the writer.
    spec: dict[str, Any] | str
    plan: MeetingPlan = field(default_factory=MeetingPlan)


@dataclass(frozen=True, slots=True)
class SyncChanges:
    creates: Sequence[SourcedMeeting] = ()
    # (stored meeting id, fresh content): the id, and what hangs off it, stays. A one-shot
    # imported meeting (imported = 1, no source) may be adopted this way too.
    updates: Sequence[tuple[int, SourcedMeeting]] = ()
    removes: Sequence[int] = ()


class MeetingStore(Protocol):
    async def add(self, community_id: int, meeting: NewMeeting, now: int) -> MeetingRow:
        """Create a meeting; its slug gets a numeric suffix if the community has it already."""

    async def update(
        self,
        meeting_id: int,
        name: str,
        spec: dict[str, Any],
        plan: MeetingPlan,
        now: int,
        cancel_dates: Sequence[str] = (),
    ) -> None:
        """Save an edited spec and re-plan the meeting and its subscriptions in one
        transaction; pending reminders of `cancel_dates` (skipped occurrences) are dropped."""

    async def remove(self, meeting_id: int, now: int = 0) -> None:
        """Delete a meeting; its reminders not sent yet are dropped (marked at `now`)."""

    async def get(self, meeting_id: int) -> MeetingRow | None: ...

    async def by_slug(self, community_id: int, slug: str) -> MeetingRow | None: ...

    async def of_communities(self, community_ids: Sequence[int]) -> list[MeetingRow]: ...

    async def imported(self, community_id: int) -> dict[str, MeetingRow]:
        """The community's meetings that came from a feed, by the feed's slug."""

    async def import_many(
        self, community_id: int, meetings: Sequence[NewMeeting], now: int
    ) -> tuple[int, int]:
        """Insert new slugs and update existing ones (re-planning their subscriptions), all
        in one transaction. Returns (imported, updated)."""

    async def subscribe(
        self,
        meeting_id: int,
        member_id: int,
        before_min: int,
        occurrence: str | None,
        next_at: int | None,
        now: int,
    ) -> None: ...

    async def unsubscribe(self, meeting_id: int, member_id: int) -> bool: ...

    async def subscriptions(self, member_id: int) -> list[SubscriptionRow]: ...

    async def subscriber_count(self, meeting_id: int) -> int: ...

    async def rsvp(self, meeting_id: int, member_id: int, occurrence: str, now: int) -> bool:
        """True when this is a new RSVP."""

    async def cancel_rsvp(self, meeting_id: int, member_id: int, occurrence: str) -> bool: ...

    async def rsvp_count(self, meeting_id: int, occurrence: str) -> int: ...

    async def log_attendance(
        self, member_id: int, meeting_id: int | None, meeting_name: str, day: str, now: int
    ) -> bool:
        """True when new (the same meeting on the same day is logged once)."""

    async def attendance(self, member_id: int) -> list[AttendanceRow]: ...

    async def due_meetings(self, now: int, limit: int) -> list[DueMeeting]: ...

    async def due_subscriptions(self, now: int, limit: int) -> list[DueSubscription]: ...

    async def advance(
        self,
        items: Sequence[OutboxItem],
        meetings: Sequence[MeetingAdvance],
        subscriptions: Sequence[SubscriptionAdvance],
    ) -> int:
        """Enqueue reminders and move each row to its next reminder, in one transaction."""

    # -- feed sources ------------------------------------------------------------------------
    async def add_source(self, source: NewSource, now: int) -> SourceRow | None:
        """Create a source; None when its community already has that address (and purpose)."""

    async def source(self, source_id: int) -> SourceRow | None: ...

    async def sources(self, community_id: int | None) -> list[SourceRow]:
        """A community's sources (None: the installation's), oldest first, with counts."""

    async def update_source(self, source_id: int, change: SourceUpdate) -> None: ...

    async def remove_source(self, source_id: int) -> int:
        """Delete a source and the meetings it brought; returns how many meetings went."""

    async def due_sources(self, now: int, limit: int) -> list[SourceRow]:
        """Sources whose next sync is due (of active communities, or the installation's)."""

    async def source_index(self, source_id: int) -> dict[str, tuple[int, str]]:
        """What a source holds now: its key -> (stored id, digest)."""

    async def specs(self, meeting_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The stored specs of these meetings, by id."""

    async def apply_sync(
        self, source: SourceRow, changes: SyncChanges, state: SourceUpdate, now: int
    ) -> None:
        """Write a sync: linear, in bounded transactions; `state` (and a new version) is
        saved with the last one. Meetings made by hand or of other sources are never
        touched; a removed meeting's attendance log keeps its name."""

    async def online_specs(self, source_id: int) -> list[dict[str, Any]]:
        """The meetings of an 'online' source, as stored specs."""

    async def generations(self, community_ids: Sequence[int]) -> dict[int, str]:
        """A token per community that changes whenever its meetings change."""
