"""The typed storage interface for the recovery tools a member keeps to themselves: their own
reasons (/reasons), the urges they met with /urge (and the follow-up's answer), and the money
and time each counter saves. Everything here is private to the member."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from storage.rows import UNSET, _Unset


@dataclass(frozen=True, slots=True)
class ReasonRow:
    id: int
    member_id: int
    text: str
    created_at: int


@dataclass(frozen=True, slots=True)
class UrgeRow:
    id: int
    member_id: int
    day: str  # the member's local date, ISO
    started_at: int
    step_id: str  # the coping step offered last
    buddy_told_at: int | None
    check_at: int | None  # the "check on me" follow-up, when asked for
    level_after: int | None  # its answer, 0-10
    answered_at: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class UrgeUpdate:
    step_id: str | _Unset = UNSET
    buddy_told_at: int | _Unset = UNSET
    check_at: int | _Unset = UNSET


@dataclass(frozen=True, slots=True)
class SavingsRow:
    counter_id: int
    member_id: int
    money_rate: str | None  # savings.MoneyRate.to_storage()
    time_rate: str | None  # savings.TimeRate.to_storage()


@dataclass(frozen=True, slots=True, kw_only=True)
class SavingsUpdate:
    money_rate: str | _Unset | None = UNSET
    time_rate: str | _Unset | None = UNSET


class RecoveryStore(Protocol):
    async def reasons(self, member_id: int) -> list[ReasonRow]:
        """The member's reasons, oldest first."""

    async def add_reason(self, member_id: int, text: str, now: int, most: int) -> ReasonRow | None:
        """Add a reason unless the member already has `most` (then None)."""

    async def remove_reason(self, member_id: int, reason_id: int) -> bool: ...

    async def start_urge(self, member_id: int, day: str, step_id: str, now: int) -> UrgeRow: ...

    async def urge(self, member_id: int, urge_id: int) -> UrgeRow | None:
        """One of the member's urges (None for anyone else's)."""

    async def update_urge(self, urge_id: int, change: UrgeUpdate) -> None: ...

    async def answer_urge(self, member_id: int, urge_id: int, level: int, now: int) -> bool:
        """Log the follow-up's answer (a later answer replaces it); False if no such urge."""

    async def urges_since(self, member_id: int, first_day: str) -> list[UrgeRow]: ...

    async def savings(self, member_id: int) -> dict[int, SavingsRow]:
        """The member's rates, by counter id."""

    async def savings_of(self, counter_ids: Sequence[int]) -> dict[int, SavingsRow]:
        """Rates of these counters (for the milestone sweep), by counter id."""

    async def set_savings(
        self, counter_id: int, member_id: int, change: SavingsUpdate, now: int
    ) -> None:
        """Set or clear a counter's rates; a row with neither rate left is deleted."""
