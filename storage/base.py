"""The typed storage interface the core uses. A backend (SQLite today, PostgreSQL later)
implements these protocols; `bot/` depends on nothing else from `storage`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from storage.meetings_base import MeetingStore


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: int
    platform: str
    user_id: str
    display_name: str
    tz: str | None
    country: str | None
    date_locale: str | None
    has_private_chat: bool
    paused: bool


@dataclass(frozen=True, slots=True)
class CommunityRow:
    id: int
    platform: str
    chat_id: str
    title: str
    tz: str | None
    country: str | None
    program: str
    allow_celebrations: bool
    announce_chat_id: str | None
    announce_thread_id: str | None
    leaderboard: bool
    crisis_public_line: bool
    crisis_alerts: bool
    checkin_time: str | None
    nudge_after_days: int | None
    active: bool


@dataclass(frozen=True, slots=True)
class Conversation:
    state: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A message to send later (or now) exactly once per dedupe_key."""

    dedupe_key: str
    kind: str
    member_id: int | None
    platform: str
    chat_id: str
    private: bool
    body: dict[str, Any]  # {"text": ..., "buttons": [[[label, data], ...], ...]}
    due_at: int  # unix seconds UTC
    stale_at: int | None = None
    thread_id: str | None = None
    subject_id: int | None = None  # the member a message is about, when not the recipient


@dataclass(frozen=True, slots=True)
class OutboxRow:
    id: int
    dedupe_key: str
    kind: str
    member_id: int | None
    platform: str
    chat_id: str
    private: bool
    thread_id: str | None
    body: dict[str, Any]
    due_at: int
    stale_at: int | None
    attempts: int
    # The recipient's user id on its platform (for private messages), joined in.
    user_id: str | None = None
    display_name: str = ""


MEMBER_SETTINGS = frozenset({"display_name", "tz", "country", "date_locale"})
COMMUNITY_SETTINGS = frozenset(
    {
        "title",
        "tz",
        "country",
        "program",
        "allow_celebrations",
        "announce_chat_id",
        "announce_thread_id",
        "leaderboard",
        "crisis_public_line",
        "crisis_alerts",
        "checkin_time",
        "nudge_after_days",
        "active",
    }
)


class MemberStore(Protocol):
    async def touch(
        self, platform: str, user_id: str, display_name: str, now: int, private_chat: bool
    ) -> MemberRow:
        """Get or create the member, keep their name fresh, note a private chat exists."""

    async def get(self, member_id: int) -> MemberRow | None: ...

    async def find(self, platform: str, user_id: str) -> MemberRow | None: ...

    async def find_by_name(self, platform: str, community_id: int, name: str) -> list[MemberRow]:
        """The members of the community whose display name or user id is `name`."""

    async def update(self, member_id: int, **fields: Any) -> None:
        """Set fields from MEMBER_SETTINGS."""

    async def set_paused(self, member_id: int, paused: bool) -> None: ...

    async def count(self) -> int: ...


class CommunityStore(Protocol):
    async def ensure(self, platform: str, chat_id: str, title: str, now: int) -> CommunityRow: ...

    async def get(self, community_id: int) -> CommunityRow | None: ...

    async def find(self, platform: str, chat_id: str) -> CommunityRow | None: ...

    async def update(self, community_id: int, **fields: Any) -> None:
        """Set fields from COMMUNITY_SETTINGS."""

    async def note_member(
        self, member_id: int, community_id: int, is_moderator: bool, now: int
    ) -> None: ...

    async def of_member(self, member_id: int) -> list[CommunityRow]:
        """The active communities a member has been seen in, most recent first."""

    async def moderators(self, community_id: int) -> list[MemberRow]: ...

    async def move(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        """The group got a new id (a Telegram group became a supergroup): keep its
        settings, meetings and announcement channel under the new id."""


class ConversationStore(Protocol):
    async def get(self, member_id: int, now: int) -> Conversation | None: ...

    async def set(
        self, member_id: int, state: str, data: dict[str, Any], expires_at: int
    ) -> None: ...

    async def clear(self, member_id: int) -> None: ...


class OutboxStore(Protocol):
    async def enqueue(self, items: list[OutboxItem]) -> int:
        """Insert; items whose dedupe_key exists are ignored. Returns how many were new."""

    async def claim(self, now: int, limit: int) -> list[OutboxRow]:
        """Pending rows ready to send (due and past their backoff), oldest first."""

    async def mark_sent(self, outbox_id: int, now: int) -> None: ...

    async def mark_skipped(self, outbox_id: int, reason: str) -> None: ...

    async def retry_later(self, outbox_id: int, at: int, error: str, give_up: bool) -> None: ...

    async def hold_member(self, member_id: int) -> int:
        """Park the pending private rows of a member who blocked the bot."""

    async def release_member(self, member_id: int, now: int) -> int:
        """Un-park a member's rows when they write again (stale ones are then skipped)."""

    async def stats(self) -> dict[str, int]: ...


@dataclass(frozen=True, slots=True)
class CommunityLine:
    """A helpline a community's moderators added (or that overrides a packaged one)."""

    service: str
    kind: str  # "crisis", "drugs" or "emergency"
    contact_type: str
    dial: str
    added_at: int


class CommunityLineStore(Protocol):
    async def lines(self, community_id: int) -> list[CommunityLine]: ...

    async def add_line(self, community_id: int, line: CommunityLine) -> None: ...

    async def remove_line(self, community_id: int, service: str) -> bool: ...


class PrivacyStore(Protocol):
    async def export_member(self, member_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every row about the member, table by table."""

    async def forget_member(self, member_id: int) -> None:
        """Erase the member and, by cascade, every row that refers to them."""


class Store(Protocol):
    """The whole storage interface: one repository per feature (read-only attributes)."""

    @property
    def members(self) -> MemberStore: ...

    @property
    def communities(self) -> CommunityStore: ...

    @property
    def conversations(self) -> ConversationStore: ...

    @property
    def outbox(self) -> OutboxStore: ...

    @property
    def privacy(self) -> PrivacyStore: ...

    @property
    def sobriety(self) -> SobrietyStore: ...

    @property
    def checkins(self) -> CheckinStore: ...

    @property
    def meetings(self) -> MeetingStore: ...

    @property
    def helplines(self) -> CommunityLineStore: ...

    async def close(self) -> None: ...


# -- sobriety counters ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CounterRow:
    id: int
    member_id: int
    name: str
    start_date: str  # ISO local date
    start_time: str | None
    tz: str
    next_key: str | None
    next_at: int | None


@dataclass(frozen=True, slots=True)
class StreakRow:
    name: str
    start_date: str
    end_date: str
    days: int


@dataclass(frozen=True, slots=True)
class Sharing:
    celebrate: bool = False
    show_substance: bool = False
    share_days: bool = False


@dataclass(frozen=True, slots=True)
class DueMilestone:
    counter: CounterRow
    member: MemberRow
    sharing: Sharing
    communities: tuple[CommunityRow, ...]


@dataclass(frozen=True, slots=True)
class Advance:
    """Move a timed row to its next due time, if it is still at `expected_key`."""

    row_id: int
    expected_key: str | None
    next_key: str | None
    next_at: int | None
    expected_at: int | None = None


class SobrietyStore(Protocol):
    async def counters(self, member_id: int) -> list[CounterRow]: ...

    async def save_counter(
        self,
        member_id: int,
        name: str,
        start_date: str,
        start_time: str | None,
        tz: str,
        next_key: str | None,
        next_at: int | None,
        now: int,
    ) -> CounterRow:
        """Create the counter, or correct the start date of the one with that name."""

    async def remove_counter(self, counter_id: int) -> None: ...

    async def restart(
        self,
        counter: CounterRow,
        end_date: str,
        days: int,
        new_start: str,
        start_time: str | None,
        next_key: str | None,
        next_at: int | None,
        now: int,
    ) -> None:
        """Keep the ended streak in history and start the counter again."""

    async def log_slip(self, counter: CounterRow, day: str, now: int) -> None: ...

    async def history(self, member_id: int) -> list[StreakRow]: ...

    async def slips(self, member_id: int) -> list[tuple[str, str]]:
        """(counter name, day) of each logged slip."""

    async def sharing(self, member_id: int) -> Sharing: ...

    async def set_sharing(self, member_id: int, **flags: bool) -> None: ...

    async def due(self, now: int, limit: int) -> list[DueMilestone]: ...

    async def plan(self, items: list[OutboxItem], advances: list[Advance]) -> int:
        """Enqueue celebrations and advance their counters in one transaction."""

    async def sharers(self, community_id: int) -> list[tuple[MemberRow, list[CounterRow]]]:
        """Members of the community who opted in to share their days, with counters."""


# -- check-ins -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CheckinPlan:
    member_id: int
    enabled: bool
    local_time: str
    tz: str
    next_at: int | None
    last_day: str | None
    nudged_for: str | None
    buddy_alerts: bool


@dataclass(frozen=True, slots=True)
class CheckinRow:
    day: str
    mood: int | None
    cravings: int | None
    sober: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class DuePrompt:
    plan: CheckinPlan
    platform: str
    user_id: str
    display_name: str
    nudge_after_days: int | None = None  # the member's community's setting, if any


@dataclass(frozen=True, slots=True)
class PromptAdvance:
    member_id: int
    expected_at: int
    next_at: int
    nudged_for: str | None


class CheckinStore(Protocol):
    async def plan(self, member_id: int) -> CheckinPlan | None: ...

    async def save_plan(  # an existing last_day is kept
        self,
        member_id: int,
        *,
        enabled: bool,
        local_time: str,
        tz: str,
        next_at: int | None,
        last_day: str | None,
    ) -> CheckinPlan: ...

    async def set_buddy_alerts(self, member_id: int, allowed: bool) -> None: ...

    async def record(self, member_id: int, day: str, now: int, **values: object) -> CheckinRow:
        """Create or update the member's check-in of `day` (mood, cravings, sober, note)."""

    async def get(self, member_id: int, day: str) -> CheckinRow | None: ...

    async def since(self, member_id: int, first_day: str) -> list[CheckinRow]: ...

    async def due(self, now: int, limit: int) -> list[DuePrompt]:
        """Enabled plans whose next prompt is due, of members who have not blocked the bot."""

    async def advance(self, items: list[OutboxItem], advances: list[PromptAdvance]) -> int:
        """Enqueue prompts and move each plan to its next due time, in one transaction."""

    async def invite(self, member_id: int, buddy_id: int, now: int) -> None: ...

    async def accept(self, member_id: int, inviter_id: int) -> bool: ...

    async def decline(self, member_id: int, inviter_id: int) -> None: ...

    async def buddies(self, member_id: int) -> list[tuple[MemberRow, str]]:
        """(buddy, status) for each pair the member is part of; status 'invited' or 'active'."""

    async def end_buddies(self, member_id: int) -> list[MemberRow]:
        """End all pairs of the member; returns the former buddies."""
