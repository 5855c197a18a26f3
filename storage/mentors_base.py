"""The typed storage interface for mentorship: volunteers, requests, mentorships (proposed,
then active once both accepted) and the mentee's shared items."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from storage.rows import MemberRow, OutboxItem

# What a mentee may share with their mentor, each switched on and off on its own.
SHARE_ITEMS = ("streak", "checkins", "hard_days")
# Kinds of outbox rows between a mentor and a mentee: withdrawn when sharing stops.
MENTOR_KINDS = ("mentor_nudge", "mentor_hard_day", "mentor_proposal")


@dataclass(frozen=True, slots=True)
class MentorSettings:
    min_months: int = 12  # a mentor's counter must have reached this many calendar months
    auto_propose: bool = False  # Harbor proposes a match as soon as a request comes in


@dataclass(frozen=True, slots=True)
class MentorRow:
    member: MemberRow
    community_id: int
    intro: str
    languages: tuple[str, ...]
    availability: str
    status: str  # "active" or "paused"
    temporary: bool  # on the newcomers' temporary list
    created_at: int


@dataclass(frozen=True, slots=True)
class MentorRequestRow:
    id: int
    member: MemberRow
    community_id: int
    languages: tuple[str, ...]
    availability: str
    status: str  # "open" or "proposed"
    created_at: int


@dataclass(frozen=True, slots=True)
class MentorshipRow:
    id: int
    community_id: int
    mentor: MemberRow
    mentee: MemberRow
    status: str  # "proposed" or "active"
    mentor_accepted: bool
    mentee_accepted: bool
    sharing: frozenset[str]  # a subset of SHARE_ITEMS
    next_nudge_at: int | None
    watched_at: int
    created_at: int
    started_at: int | None

    def other(self, member_id: int) -> MemberRow:
        return self.mentee if member_id == self.mentor.id else self.mentor


@dataclass(frozen=True, slots=True)
class MentorCounts:
    """What moderators see: numbers, never what anyone shared."""

    mentors: int
    paused: int
    temporary: int
    open_requests: int
    proposed: int
    active: int


@dataclass(frozen=True, slots=True)
class HardDay:
    mentorship: MentorshipRow
    day: str
    updated_at: int


@dataclass(frozen=True, slots=True)
class NudgeAdvance:
    mentorship_id: int
    expected_at: int
    next_at: int


@dataclass(frozen=True, slots=True)
class WatchAdvance:
    """Check-ins of a pair were looked at up to `watched_at` (if it still stands at
    `expected`)."""

    row_id: int
    expected: int
    watched_at: int


class MentorStore(Protocol):
    async def settings(self, community_id: int) -> MentorSettings: ...

    async def save_settings(self, community_id: int, settings: MentorSettings) -> None: ...

    async def volunteer(
        self,
        member_id: int,
        community_id: int,
        intro: str,
        languages: Sequence[str],
        availability: str,
        now: int,
    ) -> MentorRow:
        """Create or update the volunteer (an update keeps status and temporary list)."""

    async def mentor(self, member_id: int, community_id: int) -> MentorRow | None: ...

    async def set_status(self, member_id: int, community_id: int, status: str) -> bool: ...

    async def set_temporary(self, member_id: int, community_id: int, on: bool) -> bool: ...

    async def stop(self, member_id: int, community_id: int) -> bool:
        """No longer a volunteer (mentorships already running go on)."""

    async def mentors(self, community_id: int) -> list[MentorRow]:
        """Active volunteers of the community."""

    async def request(
        self,
        member_id: int,
        community_id: int,
        languages: Sequence[str],
        availability: str,
        now: int,
    ) -> MentorRequestRow | None:
        """A new pending request; None when the member already has one there."""

    async def pending_request(
        self, member_id: int, community_id: int
    ) -> MentorRequestRow | None: ...

    async def get_request(self, request_id: int) -> MentorRequestRow | None: ...

    async def requests(self, community_id: int) -> list[MentorRequestRow]:
        """Pending requests, oldest first."""

    async def withdraw_request(self, member_id: int, community_id: int) -> bool: ...

    async def propose(
        self, request: MentorRequestRow, mentor_id: int, now: int
    ) -> MentorshipRow | None:
        """A proposed mentorship for an open request (the request becomes 'proposed');
        None when the request is no longer open or the pair exists already."""

    async def get(self, mentorship_id: int) -> MentorshipRow | None: ...

    async def of_member(self, member_id: int) -> list[MentorshipRow]:
        """Every proposed or active mentorship the member is part of, on either side."""

    async def accept(
        self, mentorship_id: int, member_id: int, now: int, first_nudge_at: int
    ) -> MentorshipRow | None:
        """Record the member's yes; when both said yes the mentorship becomes active (and
        its request is done). None when there is no such proposal for the member."""

    async def end(self, mentorship_id: int, now: int) -> MentorshipRow | None:
        """End (or decline) a mentorship at once: the row goes, pending messages between the
        two are withdrawn, and a declined proposal's request is open again."""

    async def set_sharing(self, mentorship_id: int, item: str, on: bool, now: int) -> None:
        """Switch one shared item; switching off withdraws its pending messages."""

    async def counts(self, community_id: int) -> MentorCounts: ...

    async def due_nudges(self, now: int, limit: int) -> list[MentorshipRow]: ...

    async def plan_nudges(
        self, items: Sequence[OutboxItem], advances: Sequence[NudgeAdvance]
    ) -> int: ...

    async def hard_days(
        self, changed_after: int, since_day: str, cravings: int, limit: int
    ) -> list[HardDay]:
        """Hard days (not sober, or cravings of `cravings` and more) on or after `since_day`,
        in check-ins changed after `changed_after`, that mentees who share them recorded
        after their pair last looked."""

    async def plan_hard_days(
        self, items: Sequence[OutboxItem], advances: Sequence[WatchAdvance]
    ) -> int: ...
