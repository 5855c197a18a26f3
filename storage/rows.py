"""The values storage hands the core, and the typed changes the core hands storage.

Plain frozen dataclasses: no SQL, no backend, no `bot/` import. A change object lists only
the fields that change (the others stay UNSET), so no column name travels as a string."""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import Enum
from typing import Any, Final


class _Unset(Enum):
    UNSET = "unset"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = _Unset.UNSET


def changed(change: object) -> dict[str, Any]:
    """The fields of a change object that were set, by name."""
    return {
        f.name: getattr(change, f.name)
        for f in fields(change)  # type: ignore[arg-type]
        if getattr(change, f.name) is not UNSET
    }


# -- members and communities ----------------------------------------------------------------


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
    lang: str | None = None  # the member's language: the platform's, or chosen in /settings
    dm_channel_id: str | None = None  # the platform's id of the private chat, when it has one


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberUpdate:
    display_name: str | _Unset = UNSET
    tz: str | _Unset | None = UNSET
    country: str | _Unset | None = UNSET
    date_locale: str | _Unset | None = UNSET
    lang: str | _Unset | None = UNSET
    dm_channel_id: str | _Unset | None = UNSET


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
    escalate_minutes: int = 10  # an unclaimed crisis alert goes to the others after this
    moderator_role_id: str | None = None  # Discord: the role that moderates, besides admins
    reads_messages: bool | None = None  # whether the bot sees ordinary group messages


@dataclass(frozen=True, slots=True, kw_only=True)
class CommunityUpdate:
    title: str | _Unset = UNSET
    tz: str | _Unset | None = UNSET
    country: str | _Unset | None = UNSET
    program: str | _Unset = UNSET
    allow_celebrations: bool | _Unset = UNSET
    announce_chat_id: str | _Unset | None = UNSET
    announce_thread_id: str | _Unset | None = UNSET
    leaderboard: bool | _Unset = UNSET
    crisis_public_line: bool | _Unset = UNSET
    crisis_alerts: bool | _Unset = UNSET
    checkin_time: str | _Unset | None = UNSET
    nudge_after_days: int | _Unset | None = UNSET
    active: bool | _Unset = UNSET
    escalate_minutes: int | _Unset = UNSET
    moderator_role_id: str | _Unset | None = UNSET
    reads_messages: bool | _Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class Conversation:
    state: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CommunityLine:
    """A helpline a community's moderators added, for one country."""

    service: str
    kind: str  # "crisis", "drugs" or "emergency"
    contact_type: str
    dial: str
    added_at: int
    country: str = ""  # ISO code; "" for lines added before lines had a country
    added_by: str = ""  # the moderator's display name


# -- the outbox ------------------------------------------------------------------------------


class Priority:
    """Lower goes first: a crisis reply before a reminder before a daily prompt."""

    CRISIS: Final = 0
    DIRECT: Final = 1  # an answer the member is waiting for
    TIMELY: Final = 2  # reminders, milestones, buddy heads-ups, alerts
    BULK: Final = 3  # daily prompts and nudges


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxItem:
    """A message to send once per `dedupe_key`, at `due_at` or later."""

    dedupe_key: str
    kind: str
    platform: str
    chat_id: str
    private: bool
    body: str  # the serialised message (the kernel's format; opaque here)
    due_at: int  # unix seconds UTC
    expires_at: int  # still unsent by then: given up, visibly ("expired")
    member_id: int | None = None  # the recipient of a private message
    subject_id: int | None = None  # the member a message is about, when not the recipient
    thread_id: str | None = None
    stale_at: int | None = None  # skipped (not sent late) when still unsent by then
    priority: int = Priority.BULK


@dataclass(frozen=True, slots=True, kw_only=True)
class OutboxRow:
    id: int
    dedupe_key: str
    kind: str
    platform: str
    chat_id: str
    private: bool
    thread_id: str | None
    member_id: int | None
    subject_id: int | None
    body: str
    priority: int
    due_at: int
    stale_at: int | None
    expires_at: int | None
    attempts: int
    user_id: str | None = None  # the recipient's id on the platform, joined in
    display_name: str = ""
    dm_channel_id: str | None = None


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
    id: int = 0
    counter_id: int | None = None  # None once its counter was removed


@dataclass(frozen=True, slots=True)
class Sharing:
    celebrate: bool = False
    show_substance: bool = False
    share_days: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SharingUpdate:
    celebrate: bool | _Unset = UNSET
    show_substance: bool | _Unset = UNSET
    share_days: bool | _Unset = UNSET


@dataclass(frozen=True, slots=True)
class DueMilestone:
    counter: CounterRow
    member: MemberRow
    sharing: dict[int, Sharing]  # the member's choices, by community id (absent: nothing shared)
    communities: tuple[CommunityRow, ...]


@dataclass(frozen=True, slots=True)
class Advance:
    """Move a timed row to its next due time, if it is still at `expected_key`."""

    row_id: int
    expected_key: str | None
    next_key: str | None
    next_at: int | None
    expected_at: int | None = None


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


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckinValues:
    mood: int | _Unset | None = UNSET
    cravings: int | _Unset | None = UNSET
    sober: str | _Unset | None = UNSET
    note: str | _Unset | None = UNSET


@dataclass(frozen=True, slots=True)
class DuePrompt:
    plan: CheckinPlan
    member: MemberRow
    nudge_after_days: int | None = None  # the member's community's setting, if any


@dataclass(frozen=True, slots=True)
class PromptAdvance:
    member_id: int
    expected_at: int
    next_at: int
    nudged_for: str | None


# -- crisis alerts ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRow:
    id: int
    community_id: int
    subject_id: int | None
    outcome: str
    permalink: str | None
    chat_title: str
    created_at: int
    escalate_at: int | None
    escalated_at: int | None
    claimed_by: int | None
    claimed_at: int | None
    resolved_at: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class NewAlert:
    community_id: int
    subject_id: int | None
    outcome: str
    permalink: str | None
    chat_title: str
    created_at: int
    escalate_at: int | None
