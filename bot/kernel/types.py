"""Neutral event and reply types shared by the core and every adapter."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from storage.rows import Priority

__all__ = [
    "SENT",
    "Button",
    "Buttons",
    "ChatRef",
    "Document",
    "EventKind",
    "Fallback",
    "Form",
    "Incoming",
    "Member",
    "Priority",
    "Reply",
    "SendResult",
    "SendStatus",
]


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A chat on a platform: a private chat with the bot, or a group/channel."""

    platform: str
    chat_id: str
    private: bool
    title: str = ""
    # Telegram forum topic / Discord thread, when a message belongs to one.
    thread_id: str | None = None
    # The community a group chat belongs to: the Discord server (guild) id. Telegram groups
    # are their own community, so it stays None there and `community_id` is the chat id.
    guild_id: str | None = None

    @property
    def community_id(self) -> str | None:
        """The key of the community this chat belongs to; None for a private chat."""
        if self.private:
            return None
        return self.guild_id or self.chat_id


@dataclass(frozen=True, slots=True)
class Member:
    platform: str
    user_id: str
    display_name: str


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str = ""  # callback data, at most 64 bytes (Telegram's limit)
    url: str | None = None  # a link button (e.g. a deep link that opens the private chat)


Buttons = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Document:
    filename: str
    content: bytes
    mime: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Form:
    """A private form with one text field (a Discord modal): what a member types there is
    never seen in the channel. It comes back as an EventKind.FORM event whose `button` is
    `data` (routed like a button) and whose `text` is what they typed."""

    data: str  # routed like a button's callback data ("<prefix>:<rest>")
    title: str
    label: str
    placeholder: str = ""
    max_length: int = 1000
    multiline: bool = True
    value: str = ""  # pre-filled text


class EventKind(Enum):
    MESSAGE = "message"  # text or command
    BUTTON = "button"  # an inline button was pressed
    FORM = "form"  # a private form (Form) was sent: `button` is its data, `text` the answer
    JOINED_GROUP = "joined_group"  # the bot was added to a group
    LEFT_GROUP = "left_group"  # the bot was removed from a group
    GROUP_MOVED = "group_moved"  # the group got a new id (Telegram supergroup); text = new id
    BLOCKED = "blocked"  # the member blocked the bot (or closed its private chat)
    UNBLOCKED = "unblocked"  # ... and opened it again


@dataclass(frozen=True, slots=True, kw_only=True)
class Incoming:
    """One thing that happened on a platform, translated by an adapter."""

    member: Member
    chat: ChatRef
    text: str = ""
    command: str | None = None  # lower-case, without "/" or "@botname"
    args: str = ""
    is_moderator: bool = False  # the adapter knows whether the sender moderates the group
    button: str | None = None  # callback data of a pressed button
    kind: EventKind = EventKind.MESSAGE
    message_id: str | None = None
    attachment: Document | None = None
    # True when the bot was addressed directly (a mention or a reply to the bot).
    mentioned: bool = False
    # A link to the message, where the platform has one (moderator alerts point to it).
    permalink: str | None = None
    # The member's language as the platform reports it ("es", "pt-BR", "en-GB").
    locale: str | None = None
    # An interaction the adapter can answer directly, ephemerally (a Discord slash command
    # or button): then a private answer needs no DM.
    interaction: str | None = None
    # The message was edited: it is scanned for crisis language again, never re-run.
    edited: bool = False
    # The platform's id of this update (Telegram's update_id): handled once by whichever
    # process sees it first, when several gateways share one database.
    event_id: str | None = None


class Fallback(Enum):
    """What to do when a private reply cannot reach the member (no private chat yet, the
    bot is blocked, DMs are closed)."""

    INVITE = "invite"  # a neutral line in the group that opens the private chat
    CRISIS = "crisis"  # a neutral line with a button that delivers the crisis lines
    DROP = "drop"  # nothing in the group (alerts, scheduled messages)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """Something the bot says. `private` replies go to the member's private chat (a DM, or
    an ephemeral answer where the platform has one) and never to a group; the kernel's
    delivery step decides how, and what the group sees when that is impossible."""

    chat: ChatRef
    text: str
    buttons: Buttons = ()  # rows of buttons
    image: bytes | None = None  # PNG
    image_alt: str = ""  # what the image shows, for screen readers where the platform has alt text
    document: Document | None = None
    private: bool = False
    member: Member | None = None  # the recipient of a private reply
    # Replace the message the pressed button belonged to, where the platform can.
    edit_message_id: str | None = None
    dedupe_key: str | None = None  # the outbox id, for platforms that honour a nonce
    fallback: Fallback = Fallback.INVITE
    # Text the group may see when the private reply can't reach the member (nothing
    # personal: /crisis numbers, only where the community allowed it).
    public_fallback: str | None = None
    # Send only if the recipient still moderates this community (checked live by the
    # adapter): moderator alerts never reach a former moderator.
    moderator_of: str | None = None
    priority: int = Priority.DIRECT
    # From a group, a private answer is announced there in a short neutral line ("I've
    # sent you a private message"); never for a reply nobody asked for (a detection).
    notify_group: bool = True
    # The payload of a link that opens the private chat and continues there ("crisis",
    # "checkin", "meeting-12"): used by the fallback when the member has no private chat.
    resume: str | None = None
    # A scheduled message that goes out after its stale time says this instead (a
    # congratulation held while the member's DMs were closed arrives "a little late");
    # without it a stale row is skipped.
    late_text: str | None = None
    # Open this private form instead, where the platform has forms and the reply answers an
    # interaction (Capabilities.forms); elsewhere `text` is shown (say where to type instead).
    form: Form | None = None


class SendStatus(Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # the member blocked the bot / closed DMs / bot removed from group
    RETRY_AFTER = "retry_after"  # rate limited: try again after `retry_after` seconds
    FAILED = "failed"  # transient failure: retry with backoff
    REJECTED = "rejected"  # permanent failure for this message (bad request): do not retry
    NO_PRIVATE_CHAT = "no_private_chat"  # the member never opened a private chat with the bot
    EXPIRED = "expired"  # the interaction can no longer be answered: send it another way
    MOVED = "moved"  # the chat has a new id (`moved_to`): send it there


@dataclass(frozen=True, slots=True)
class SendResult:
    status: SendStatus
    retry_after: float | None = None
    message_id: str | None = None
    detail: str = ""
    # For RETRY_AFTER: "chat" when only that chat must wait, "platform" when every send
    # of the platform must (a global limit).
    scope: str = "chat"
    moved_to: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is SendStatus.SENT

    @property
    def unreachable(self) -> bool:
        """The member cannot be written to privately until they act."""
        return self.status in (SendStatus.BLOCKED, SendStatus.NO_PRIVATE_CHAT)


SENT = SendResult(SendStatus.SENT)
