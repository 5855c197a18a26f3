"""Neutral event and reply types shared by the core and every adapter."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


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


@dataclass(frozen=True, slots=True)
class Document:
    filename: str
    content: bytes
    mime: str = "application/octet-stream"


class EventKind(Enum):
    MESSAGE = "message"  # text or command
    BUTTON = "button"  # an inline button was pressed
    JOINED_GROUP = "joined_group"  # the bot was added to a group
    LEFT_GROUP = "left_group"  # the bot was removed from a group
    GROUP_MOVED = "group_moved"  # the group got a new id (Telegram supergroup); text = new id


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class Reply:
    """Something the bot says. `private` replies go to the member's private chat
    (a DM, or an ephemeral answer on Discord) and never to a group."""

    chat: ChatRef
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()  # rows of buttons
    image: bytes | None = None  # PNG
    document: Document | None = None
    private: bool = False
    member: Member | None = None  # the recipient of a private reply
    # Replace the message the pressed button belonged to, where the platform can.
    edit_message_id: str | None = None
    dedupe_key: str | None = None  # the outbox id, for platforms that honour a nonce
    # A short public acknowledgement ("I've sent you a private message"): platforms with
    # ephemeral answers (Discord) show it only to the member; it is dropped when the private
    # message it announces could not be delivered.
    notice: bool = False
    # Text safe to post in the group when a private reply can't reach the member (no private
    # chat yet): /crisis still gives the numbers, with nothing personal.
    public_fallback: str | None = None
    # Send only if the recipient still moderates this community (checked live by the
    # adapter): moderator alerts never reach a former moderator.
    moderator_of: str | None = None


class SendStatus(Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # the member blocked the bot / closed DMs / bot removed from group
    RETRY_AFTER = "retry_after"  # rate limited: try again after `retry_after` seconds
    FAILED = "failed"  # transient failure: retry with backoff
    REJECTED = "rejected"  # permanent failure for this message (bad request): do not retry
    NO_PRIVATE_CHAT = "no_private_chat"  # the member never opened a private chat with the bot


@dataclass(frozen=True, slots=True)
class SendResult:
    status: SendStatus
    retry_after: float | None = None
    message_id: str | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status is SendStatus.SENT


SENT = SendResult(SendStatus.SENT)
