"""The typed storage interface for moderators' scheduled posts (/announce): what each post
says, when it goes out (its next occurrence in UTC and the local date it belongs to), and
where. The sweep plans each occurrence into the outbox and advances the post in one
transaction; the dedupe key makes an occurrence go out once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from storage.rows import UNSET, CommunityRow, OutboxItem, _Unset


def post_key(post_id: int) -> str:
    """Every outbox row of a post has a key starting with this (withdrawn on pause/remove)."""
    return f"announce:{post_id}:"


@dataclass(frozen=True, slots=True)
class AnnouncementRow:
    id: int
    community_id: int
    author_id: int
    kind: str  # "text" or "milestones"
    schedule: str  # Schedule.canonical()
    body: str
    chat_id: str | None  # None: the community's announcement channel
    thread_id: str | None
    tz: str  # the zone next_at was computed in
    paused: bool
    next_at: int | None  # unix seconds UTC; None while paused
    next_day: str | None  # that occurrence's local date, ISO
    last_day: str | None  # the last local date posted
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True, kw_only=True)
class NewAnnouncement:
    kind: str
    schedule: str
    body: str
    chat_id: str | None
    thread_id: str | None
    tz: str
    next_at: int
    next_day: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AnnouncementUpdate:
    kind: str | _Unset = UNSET
    schedule: str | _Unset = UNSET
    body: str | _Unset = UNSET
    tz: str | _Unset = UNSET
    paused: bool | _Unset = UNSET
    next_at: int | _Unset | None = UNSET
    next_day: str | _Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class DuePost:
    post: AnnouncementRow
    community: CommunityRow


@dataclass(frozen=True, slots=True)
class PostAdvance:
    """Move a post to its next occurrence, if it is still at `expected_at`."""

    post_id: int
    expected_at: int
    next_at: int
    next_day: str
    tz: str
    posted_day: str | None  # the local date just posted, if one was


@dataclass(frozen=True, slots=True)
class Celebrant:
    """A member who chose milestone posts in a community, and one of their counters."""

    member_id: int
    display_name: str
    counter_name: str
    start_date: str
    show_substance: bool


class AnnouncementStore(Protocol):
    async def add(
        self, community_id: int, author_id: int, new: NewAnnouncement, now: int
    ) -> AnnouncementRow: ...

    async def get(self, post_id: int) -> AnnouncementRow | None: ...

    async def of_community(self, community_id: int) -> list[AnnouncementRow]: ...

    async def update(self, post_id: int, change: AnnouncementUpdate, now: int) -> bool:
        """Change a post; a pause withdraws its unsent occurrences in the same transaction."""

    async def remove(self, post_id: int, now: int) -> bool:
        """Delete a post and withdraw its unsent occurrences."""

    async def due(self, now: int, limit: int) -> list[DuePost]:
        """Unpaused posts of active communities whose next occurrence has come."""

    async def plan(self, items: Sequence[OutboxItem], advances: Sequence[PostAdvance]) -> int:
        """Enqueue occurrences and advance their posts, in one transaction."""

    async def celebrants(self, community_id: int) -> list[Celebrant]:
        """Counters of members who turned milestone posts on in this community."""
