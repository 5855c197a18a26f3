"""The typed storage interface for sober events: one-off community events (not weekly
meetings), RSVPs, and the reminders the sweep plans for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from storage.rows import CommunityRow, MemberRow, OutboxItem


def reminder_key(event_id: int) -> str:
    """Every outbox row of an event has a key starting with this (withdrawn on cancel)."""
    return f"event:{event_id}:"


@dataclass(frozen=True, slots=True)
class EventRow:
    id: int
    community_id: int
    title: str
    starts_at: int  # unix seconds UTC
    tz: str
    duration_min: int
    place: str
    notes: str
    announce_at: int | None  # the group reminder; None once planned (or not wanted)
    created_by: int | None
    created_at: int

    @property
    def ends_at(self) -> int:
        return self.starts_at + self.duration_min * 60


@dataclass(frozen=True, slots=True, kw_only=True)
class NewEvent:
    title: str
    starts_at: int
    tz: str
    duration_min: int
    place: str = ""
    notes: str = ""
    announce_at: int | None = None


@dataclass(frozen=True, slots=True)
class DueAnnouncement:
    event: EventRow
    community: CommunityRow


@dataclass(frozen=True, slots=True)
class DueEventReminder:
    event: EventRow
    member: MemberRow
    remind_at: int


class EventStore(Protocol):
    async def add(
        self, community_id: int, new: NewEvent, created_by: int | None, now: int
    ) -> EventRow: ...

    async def get(self, event_id: int) -> EventRow | None: ...

    async def upcoming(self, community_ids: Sequence[int], now: int) -> list[EventRow]:
        """Events of these communities that have not ended, soonest first."""

    async def cancel(self, event_id: int, now: int) -> list[MemberRow]:
        """Delete the event with its RSVPs and unsent reminders; returns who was going."""

    async def rsvp(self, event_id: int, member_id: int, remind_at: int | None, now: int) -> bool:
        """True when new."""

    async def cancel_rsvp(self, event_id: int, member_id: int) -> bool: ...

    async def going(self, event_id: int) -> int: ...

    async def rsvps_of(self, member_id: int) -> set[int]:
        """The events the member said they are going to."""

    async def due_announcements(self, now: int, limit: int) -> list[DueAnnouncement]: ...

    async def due_reminders(self, now: int, limit: int) -> list[DueEventReminder]: ...

    async def plan(
        self,
        items: Sequence[OutboxItem],
        announced: Sequence[tuple[int, int]],
        reminded: Sequence[tuple[int, int, int]],
    ) -> int:
        """Enqueue, and mark each (event, announce_at) announced and each (event, member,
        remind_at) reminded, in one transaction."""
