"""The typed storage interface for service: the roles a community's moderators define
(greeter, chair, tech host, newcomer welcome), their weekly turns, and who signed up."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from storage.rows import MemberRow, OutboxItem


def reminder_key(role_id: int, day: str, member_id: int) -> str:
    """The start of every outbox key of one sign-up (withdrawn when the member steps down)."""
    return f"service:{role_id}:{day}:{member_id}:"


@dataclass(frozen=True, slots=True)
class ServiceRole:
    id: int
    community_id: int
    name: str
    weekdays: tuple[int, ...]  # Python weekday numbers (Monday = 0)
    at_time: str  # local "HH:MM"
    tz: str
    slots: int  # people per turn
    remind_before_min: int
    created_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NewRole:
    name: str
    weekdays: tuple[int, ...]
    at_time: str
    tz: str
    slots: int = 1
    remind_before_min: int = 1440


@dataclass(frozen=True, slots=True)
class ServiceTurn:
    role: ServiceRole
    member: MemberRow
    day: str  # local date of the turn
    starts_at: int
    remind_at: int | None


class ServiceStore(Protocol):
    async def add_role(self, community_id: int, new: NewRole, now: int) -> ServiceRole | None:
        """None when the community has a role of that name."""

    async def remove_role(self, role_id: int) -> bool: ...

    async def roles(self, community_id: int) -> list[ServiceRole]: ...

    async def sign_up(
        self,
        role: ServiceRole,
        member_id: int,
        day: str,
        starts_at: int,
        remind_at: int | None,
        now: int,
    ) -> str:
        """Returns "ok", "already" (signed up for that turn) or "full" (no slot left)."""

    async def withdraw(self, role_id: int, member_id: int, day: str, now: int) -> bool:
        """Step down from a turn; its pending reminder is withdrawn."""

    async def turns(self, role_ids: Sequence[int], from_ts: int) -> list[ServiceTurn]:
        """Sign-ups for turns starting at or after `from_ts`, soonest first."""

    async def turns_of(self, member_id: int) -> list[ServiceTurn]:
        """Every turn the member signed up for, past and future, oldest first."""

    async def due_reminders(self, now: int, limit: int) -> list[ServiceTurn]: ...

    async def plan(
        self, items: Sequence[OutboxItem], reminded: Sequence[tuple[int, str, int, int]]
    ) -> int:
        """Enqueue, and mark each (role, day, member, remind_at) reminded, in one go."""

    async def shows_in_history(self, member_id: int) -> bool: ...

    async def set_shows_in_history(self, member_id: int, on: bool) -> None: ...
