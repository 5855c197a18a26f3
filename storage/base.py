"""The typed storage interface the core uses. A backend (SQLite, PostgreSQL) implements these
protocols; `bot/` depends on nothing else from `storage`. Rows and change objects live in
`storage.rows`; meetings have their own module, `storage.meetings_base`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from storage.announcements_base import AnnouncementStore
from storage.events_base import EventStore
from storage.meetings_base import MeetingStore
from storage.mentors_base import MentorStore
from storage.recovery_base import RecoveryStore
from storage.resources_base import ResourceStore
from storage.rows import (
    Advance,
    AlertRow,
    CheckinPlan,
    CheckinRow,
    CheckinValues,
    CommunityLine,
    CommunityRow,
    CommunityUpdate,
    Conversation,
    CounterRow,
    DueMilestone,
    DuePrompt,
    MemberRow,
    MemberUpdate,
    NewAlert,
    OutboxItem,
    OutboxRow,
    PromptAdvance,
    Sharing,
    SharingUpdate,
    StreakRow,
)
from storage.service_base import ServiceStore
from storage.supporters_base import SupporterStore


class MemberStore(Protocol):
    async def touch(
        self,
        platform: str,
        user_id: str,
        display_name: str,
        now: int,
        private_chat: bool,
        lang: str | None = None,
    ) -> MemberRow:
        """Get or create the member, keep their name fresh, note a private chat exists, and
        take the platform's language while the member has not chosen one."""

    async def get(self, member_id: int) -> MemberRow | None: ...

    async def find(self, platform: str, user_id: str) -> MemberRow | None: ...

    async def find_by_name(self, platform: str, community_id: int, name: str) -> list[MemberRow]:
        """The members of the community whose display name or user id is `name`."""

    async def update(self, member_id: int, change: MemberUpdate) -> None: ...

    async def set_paused(self, member_id: int, paused: bool) -> None: ...

    async def count(self) -> int: ...


class CommunityStore(Protocol):
    async def ensure(self, platform: str, chat_id: str, title: str, now: int) -> CommunityRow: ...

    async def get(self, community_id: int) -> CommunityRow | None: ...

    async def find(self, platform: str, chat_id: str) -> CommunityRow | None: ...

    async def all(self, platform: str | None = None) -> list[CommunityRow]:
        """Every community (active first), for the CLI and start-up checks."""

    async def update(self, community_id: int, change: CommunityUpdate) -> None: ...

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
    async def enqueue(self, items: Sequence[OutboxItem]) -> int:
        """Insert; items whose dedupe_key exists are ignored. Returns how many were new."""

    async def claim(
        self, platform: str, now: int, limit: int, lease_until: int, worker: str
    ) -> list[OutboxRow]:
        """Pending rows of `platform` ready to send (due, past their backoff, not claimed
        by a live lease), most urgent first, leased to `worker` until `lease_until`."""

    async def recover(self) -> int:
        """At start-up: free claims that can only belong to a process that died."""

    async def mark_sent(self, outbox_id: int, now: int) -> None: ...

    async def mark_skipped(self, outbox_id: int, reason: str) -> None: ...

    async def retry_later(self, outbox_id: int, at: int, error: str, give_up: bool) -> None:
        """A failed attempt: counted; the row waits until `at` (or fails for good)."""

    async def defer(self, outbox_id: int, at: int, reason: str) -> None:
        """Pacing, not failure: the row waits until `at`; no attempt is counted."""

    async def hold_member(self, member_id: int) -> int:
        """Park the pending private rows of a member who blocked the bot."""

    async def release_member(self, member_id: int, now: int) -> int:
        """Un-park a member's rows when they are reachable again (stale ones are skipped)."""

    async def move_chat(self, platform: str, old_chat_id: str, new_chat_id: str) -> int:
        """Re-address unsent rows of a chat that got a new id (a Telegram supergroup)."""

    async def expire(self, now: int) -> int:
        """Rows still unsent past their expiry end as 'expired' (visible, never silent)."""

    async def prune(self, before: int, *, sparing: Sequence[str] = ()) -> int:
        """Delete finished rows (sent, skipped, failed, expired) older than `before`,
        except those of the `sparing` kinds. Their dedupe keys go with them."""

    async def stats(self) -> dict[str, int]:
        """How many rows are in each status."""

    async def count(self, *, kind: str | None = None, status: str | None = None) -> int: ...

    async def problems(self, since: int, limit: int = 20) -> list[tuple[str, str, str]]:
        """(kind, status, last error) of rows that failed or expired since `since`."""


class CommunityLineStore(Protocol):
    async def lines(self, community_id: int) -> list[CommunityLine]: ...

    async def add_line(self, community_id: int, line: CommunityLine) -> None: ...

    async def remove_line(self, community_id: int, service: str) -> bool: ...


class PrivacyStore(Protocol):
    async def export_member(self, member_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every row about the member, table by table."""

    async def forget_member(self, member_id: int) -> None:
        """Erase the member and, by cascade, every row that refers to them; afterwards the
        erased text is not readable in the database files either."""


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

    async def correct(
        self,
        counter: CounterRow,
        new_start: str,
        start_time: str | None,
        next_key: str | None,
        next_at: int | None,
    ) -> list[StreakRow]:
        """Correct the start date (no streak recorded); earlier streaks of the counter that
        reach past the new start are merged or trimmed. Returns them as they were."""

    async def move_zone(
        self, member_id: int, tz: str, plans: Sequence[tuple[int, str | None, int | None]]
    ) -> None:
        """Count the member's counters in `tz`, with each one's next celebration
        (counter id, next key, next at) re-planned."""

    async def log_slip(self, counter: CounterRow, day: str, now: int) -> None: ...

    async def history(self, member_id: int) -> list[StreakRow]: ...

    async def slips(self, member_id: int) -> list[tuple[str, str]]:
        """(counter name, day) of each logged slip."""

    async def sharing(self, member_id: int, community_id: int) -> Sharing:
        """What the member shares in one community (nothing, unless they chose it there)."""

    async def sharing_by_community(self, member_id: int) -> dict[int, Sharing]: ...

    async def set_sharing(
        self, member_id: int, community_id: int, change: SharingUpdate
    ) -> None: ...

    async def due(self, now: int, limit: int) -> list[DueMilestone]: ...

    async def plan(self, items: Sequence[OutboxItem], advances: Sequence[Advance]) -> int:
        """Enqueue celebrations and advance their counters in one transaction."""

    async def sharers(self, community_id: int) -> list[tuple[MemberRow, list[CounterRow]]]:
        """Members of the community who opted in to share their days, with counters."""


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

    async def record(self, member_id: int, day: str, now: int, values: CheckinValues) -> CheckinRow:
        """Create or update the member's check-in of `day`."""

    async def get(self, member_id: int, day: str) -> CheckinRow | None: ...

    async def since(self, member_id: int, first_day: str) -> list[CheckinRow]: ...

    async def due(self, now: int, limit: int) -> list[DuePrompt]:
        """Enabled plans whose next prompt is due, of members who have not blocked the bot."""

    async def advance(self, items: Sequence[OutboxItem], advances: Sequence[PromptAdvance]) -> int:
        """Enqueue prompts and move each plan to its next due time, in one transaction."""

    async def invite(self, member_id: int, buddy_id: int, now: int) -> None: ...

    async def accept(self, member_id: int, inviter_id: int) -> bool: ...

    async def decline(self, member_id: int, inviter_id: int) -> None: ...

    async def buddies(self, member_id: int) -> list[tuple[MemberRow, str]]:
        """(buddy, status) for each pair the member is part of; status 'active',
        'invited-out' (the member invited them) or 'invited-in'."""

    async def end_buddies(self, member_id: int) -> list[MemberRow]:
        """End all pairs of the member; returns the former buddies."""

    async def end_buddy(self, member_id: int, other_id: int) -> bool:
        """End the pair of these two members (an invitation or a pairing)."""


class CrisisStore(Protocol):
    async def create_alert(self, alert: NewAlert) -> int: ...

    async def alert(self, alert_id: int) -> AlertRow | None: ...

    async def claim(self, alert_id: int, member_id: int, now: int) -> int | None:
        """Claim an unclaimed alert; returns who holds it now (the caller, or who was
        first), None when there is no such alert."""

    async def resolve(self, alert_id: int, now: int) -> bool: ...

    async def due_escalations(self, now: int, limit: int) -> list[AlertRow]:
        """Unclaimed alerts whose escalation time has come and that were not widened yet."""

    async def mark_escalated(self, alert_id: int, now: int) -> bool:
        """True when this call widened the alert (still unclaimed, not widened before)."""

    async def set_supporter(
        self, member_id: int, community_id: int, on: bool, now: int
    ) -> None: ...

    async def supporters(self, community_id: int) -> list[MemberRow]: ...


class ProcessedEventStore(Protocol):
    async def first_time(self, platform: str, event_id: str, now: int) -> bool:
        """Record that the platform's event was seen; False when some process saw it before
        (a webhook update reaching two gateways, an update re-delivered after a restart)."""

    async def prune(self, before: int) -> int:
        """Forget events seen before `before` (platforms re-deliver for a day at most)."""


class LeaseStore(Protocol):
    async def try_acquire(self, name: str, holder: str, ttl: int, now: int) -> bool:
        """Take (or renew) the named lease for `ttl` seconds; False while another holder's
        lease is live. A holder that stops renewing loses it when it lapses."""

    async def release(self, name: str, holder: str) -> None: ...

    async def holder(self, name: str, now: int) -> str | None: ...


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

    @property
    def crisis(self) -> CrisisStore: ...

    @property
    def mentors(self) -> MentorStore: ...

    @property
    def supporters(self) -> SupporterStore: ...

    @property
    def resources(self) -> ResourceStore: ...

    @property
    def events(self) -> EventStore: ...

    @property
    def service(self) -> ServiceStore: ...

    @property
    def processed(self) -> ProcessedEventStore: ...

    @property
    def leases(self) -> LeaseStore: ...

    @property
    def recovery(self) -> RecoveryStore: ...

    @property
    def announcements(self) -> AnnouncementStore: ...

    @property
    def backend(self) -> str:
        """ "sqlite" or "postgresql"."""

    async def close(self) -> None: ...


__all__ = [
    "Advance",
    "CheckinPlan",
    "CheckinRow",
    "CheckinStore",
    "CheckinValues",
    "CommunityLine",
    "CommunityLineStore",
    "CommunityRow",
    "CommunityStore",
    "CommunityUpdate",
    "Conversation",
    "ConversationStore",
    "CounterRow",
    "CrisisStore",
    "DueMilestone",
    "DuePrompt",
    "EventStore",
    "LeaseStore",
    "MemberRow",
    "MemberStore",
    "MemberUpdate",
    "OutboxItem",
    "OutboxRow",
    "OutboxStore",
    "PrivacyStore",
    "ProcessedEventStore",
    "PromptAdvance",
    "Sharing",
    "SharingUpdate",
    "SobrietyStore",
    "Store",
    "StreakRow",
]
