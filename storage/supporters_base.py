"""The typed storage interface for family and friends: one-time invitation codes, the
supporters a member has, and what each of them may hear about."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from storage.mentors_base import WatchAdvance
from storage.rows import CounterRow, MemberRow, OutboxItem

# What a supporter may hear about, each the member's own switch (all off at first).
SUPPORT_ITEMS = ("milestones", "missed", "not_sober")
# Kinds of outbox rows to a supporter about the member: withdrawn when sharing stops.
SUPPORTER_KINDS = ("supporter_milestone", "supporter_missed", "supporter_not_sober")


@dataclass(frozen=True, slots=True)
class SupporterRow:
    id: int
    member: MemberRow  # the person in recovery
    supporter: MemberRow
    sharing: frozenset[str]  # a subset of SUPPORT_ITEMS
    missed_days: int
    next_look_at: int | None
    watched_at: int
    created_at: int


@dataclass(frozen=True, slots=True)
class Redeemed:
    """The outcome of using an invitation code: `status` is "joined", "unknown", "used",
    "expired", "self" (the member's own code), "already" (supports them already) or
    "full" (the member has the most supporters Harbor keeps)."""

    status: str
    member: MemberRow | None = None
    link: SupporterRow | None = None


@dataclass(frozen=True, slots=True)
class DueLook:
    """A supporter's daily look: the member's counters and check-in plan at that moment."""

    link: SupporterRow
    counters: tuple[CounterRow, ...]
    checkins_on: bool
    last_checkin_day: str | None


@dataclass(frozen=True, slots=True)
class LookAdvance:
    link_id: int
    expected_at: int
    next_at: int


@dataclass(frozen=True, slots=True)
class NotSoberDay:
    link: SupporterRow
    day: str
    updated_at: int


class SupporterStore(Protocol):
    async def invite(self, member_id: int, code_hash: str, now: int, expires_at: int) -> None: ...

    async def open_invites(self, member_id: int, now: int) -> int:
        """Unused, unexpired codes of the member."""

    async def redeem(self, code_hash: str, supporter_id: int, now: int, most: int) -> Redeemed:
        """Use a code, once: the supporter joins the member's list (nothing shared yet; the
        daily look is not planned until `set_next_look`)."""

    async def void(self, code_hash: str, now: int) -> None:
        """An unused code that others have seen can no longer be used."""

    async def set_next_look(self, link_id: int, at: int) -> None: ...

    async def of_member(self, member_id: int) -> list[SupporterRow]: ...

    async def of_supporter(self, supporter_id: int) -> list[SupporterRow]: ...

    async def get(self, link_id: int) -> SupporterRow | None: ...

    async def set_sharing(self, link_id: int, item: str, on: bool, now: int) -> None:
        """Switch one item; switching off withdraws its pending messages."""

    async def set_missed_days(self, link_id: int, days: int) -> None: ...

    async def remove(self, link_id: int, now: int) -> SupporterRow | None:
        """End the link at once, with every pending message it planned."""

    async def due_looks(self, now: int, limit: int) -> list[DueLook]: ...

    async def plan_looks(
        self, items: Sequence[OutboxItem], advances: Sequence[LookAdvance]
    ) -> int: ...

    async def not_sober(self, changed_after: int, since_day: str, limit: int) -> list[NotSoberDay]:
        """'Not sober today' check-ins on or after `since_day`, changed after
        `changed_after` and after the link last looked, of members who share them."""

    async def plan_not_sober(
        self, items: Sequence[OutboxItem], advances: Sequence[WatchAdvance]
    ) -> int: ...
