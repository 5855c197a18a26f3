"""The typed storage interface for meetings: rows and the `MeetingStore` protocol.

The store keeps each meeting's spec as an opaque JSON object (the bot converts it to a
MeetingSpec), so storage never depends on `bot/`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from storage.rows import CommunityRow, MemberRow, OutboxItem


@dataclass(frozen=True, slots=True)
class MeetingRow:
    id: int
    community_id: int
    slug: str
    name: str
    spec: dict[str, Any]
    next_occurrence: str | None  # local date (meeting tz) of the next planned occurrence
    next_reminder_at: int | None  # its announcement, unix seconds UTC


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

    async def remove(self, meeting_id: int) -> None: ...

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
