"""The typed storage interface for the community's own resources: entries moderators keep,
members' "outdated" reports, and the review that brings old entries back to moderators."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from storage.rows import UNSET, OutboxItem, _Unset


@dataclass(frozen=True, slots=True)
class ResourceSettings:
    review_days: int = 180  # entries not checked for this long go to moderators
    family_group: bool = False  # a group for families and friends


@dataclass(frozen=True, slots=True)
class ResourceRow:
    id: int
    community_id: int
    category: str
    name: str
    contact: str
    area: str
    hours: str
    languages: str
    checked_on: str  # ISO date
    review_at: int | None  # None: moderators have been asked to check it
    reports: int
    added_by: int | None
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NewResource:
    category: str
    name: str
    contact: str
    area: str = ""
    hours: str = ""
    languages: str = ""
    checked_on: str
    review_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceUpdate:
    category: str | _Unset = UNSET
    name: str | _Unset = UNSET
    contact: str | _Unset = UNSET
    area: str | _Unset = UNSET
    hours: str | _Unset = UNSET
    languages: str | _Unset = UNSET


@dataclass(frozen=True, slots=True)
class ReviewAdvance:
    resource_id: int
    expected_at: int


class ResourceStore(Protocol):
    async def settings(self, community_id: int) -> ResourceSettings: ...

    async def save_settings(self, community_id: int, settings: ResourceSettings) -> None: ...

    async def add(
        self, community_id: int, new: NewResource, added_by: int | None, now: int
    ) -> ResourceRow | None:
        """None when the community has an entry of that name in that category."""

    async def get(self, resource_id: int) -> ResourceRow | None: ...

    async def of_communities(self, community_ids: Sequence[int]) -> list[ResourceRow]: ...

    async def update(self, resource_id: int, change: ResourceUpdate, now: int) -> bool:
        """False when there is no such entry or the new name is taken in its category."""

    async def checked(self, resource_id: int, day: str, review_at: int, now: int) -> bool:
        """A moderator checked it today: reports are cleared and its review starts again."""

    async def reschedule(self, changes: Sequence[tuple[int, int]]) -> None:
        """(resource id, review_at) for entries not already with moderators."""

    async def remove(self, resource_id: int) -> bool: ...

    async def report(self, resource_id: int, member_id: int, now: int) -> bool:
        """A member says it is outdated (once each); the entry goes to moderators."""

    async def due_reviews(self, now: int, limit: int) -> list[ResourceRow]: ...

    async def plan_reviews(
        self, items: Sequence[OutboxItem], advances: Sequence[ReviewAdvance]
    ) -> int: ...

    async def import_many(
        self, community_id: int, rows: Sequence[NewResource], now: int
    ) -> tuple[int, int]:
        """Insert new entries and update those with the same category and name, all in one
        transaction. Returns (added, updated)."""
