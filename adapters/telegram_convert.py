"""Pure translations between Telegram's Bot API shapes and Harbor's neutral types.

Nothing here touches the network, so every rule (commands, mentions, splitting, keyboards,
moderator rights, the retry policy) is testable with canned JSON. Replies are sent as plain
text (no parse_mode): member-written text then never needs escaping and can never break a
message with a stray `<` or `*`.

Retry policy when a Bot API call times out (`TimedOut`), per method (RETRY_POLICY):
- Reads and settings (getMe, getUpdates, getChatAdministrators, getChatMember, getFile,
  setMyCommands, setWebhook, deleteWebhook, getWebhookInfo) are retried: asking twice or
  setting the same value twice is harmless.
- editMessageText is retried once: the same edit twice changes nothing ("not modified").
- answerCallbackQuery is not retried: it only stops the button's spinner, and a late answer
  fails anyway.
- sendMessage, sendPhoto, sendDocument are NEVER resent when the request may have reached
  Telegram (a read or write timeout): Telegram has no idempotency key, so a second call is a
  second message. They are reported as REJECTED ("may have been delivered") and nobody
  retries them. Only a timeout that proves the request never left (connecting, or waiting
  for a free connection) is FAILED, which the kernel retries (outbox; in memory for crisis
  replies). The outbox's dedupe keys guard against planning a message twice, not against a
  lost answer, so this is the rule that keeps a member from getting the same message twice.
  Crisis replies are the exception: for them a duplicate beats a loss, so a send that may
  have arrived is FAILED too and the kernel sends it again.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update

from bot.kernel.text import clean_tree
from bot.kernel.types import (
    Button,
    ChatRef,
    EventKind,
    Incoming,
    Member,
    Reply,
    SendResult,
    SendStatus,
)

PLATFORM = "telegram"
TEXT_LIMIT = 4096  # Bot API: text of one message
CAPTION_LIMIT = 1024  # Bot API: caption of a photo or document
# The id Telegram shows as the sender when a group admin posts anonymously.
ANONYMOUS_ADMIN_ID = 1087968824
# An anonymous admin is someone different in every group: keyed per chat, never one user.
ANONYMOUS_PREFIX = "anonymous-admin:"
# The sender Telegram shows for posts forwarded automatically from a linked channel.
SERVICE_USER_ID = 777000
CALLBACK_DATA_LIMIT = 64  # bytes of UTF-8, Bot API
# Rights of which an administrator needs one to moderate (the owner always moderates).
DEFAULT_MODERATOR_RIGHTS = ("can_change_info", "can_restrict_members")
ADMIN_STATUSES = frozenset({"administrator", "creator"})

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{3,64}))?(?=\s|$)(.*)$", re.DOTALL)
_GROUP_TYPES = frozenset({"group", "supergroup"})
_PRESENT = frozenset({"member", "administrator", "creator", "restricted"})
_GONE = frozenset({"left", "kicked"})

JSON = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class FileRef:
    """A document the glue may download; conversion never fetches it."""

    file_id: str
    filename: str
    mime: str
    size: int | None


@dataclass(frozen=True, slots=True)
class Converted:
    incoming: Incoming
    document: FileRef | None = None
    # Posted by an anonymous group admin (or as the group itself): only admins can do that.
    anonymous_admin: bool = False


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One Bot API call, as keyword arguments of the python-telegram-bot method."""

    method: Literal["send_message", "send_photo", "send_document", "edit_message_text"]
    kwargs: dict[str, Any] = field(default_factory=dict)


class CallbackDataTooLong(ValueError):
    """A button's callback data is over Telegram's 64 bytes: Telegram would refuse the whole
    message (BUTTON_DATA_INVALID), so it is refused here, before anything is sent."""

    def __init__(self, data: str) -> None:
        size = len(data.encode("utf-8"))
        # The prefix names the feature's button route; the rest may be member data.
        super().__init__(f"callback_data of {size} bytes (limit {CALLBACK_DATA_LIMIT})")
        self.prefix = data.partition(":")[0][:20]
        self.size = size


# --- Telegram → Incoming -------------------------------------------------------------------


def convert_update(
    update: Update | JSON, *, bot_username: str, bot_id: int | None = None
) -> Converted | None:
    """Translate one update; None when it is nothing Harbor acts on (edits, service
    messages, other bots' commands, channel posts, ...)."""
    data: JSON = update.to_dict() if isinstance(update, Update) else update
    # Lone surrogates (half an emoji) in any text would fail storage and sends: cleaned here.
    data = clean_tree(data)
    converted = _convert(data, bot_username, bot_id)
    if converted is None or data.get("update_id") is None:
        return converted
    # The update's id: several gateways behind a proxy handle each update once.
    event = dataclasses.replace(converted.incoming, event_id=str(data["update_id"]))
    return dataclasses.replace(converted, incoming=event)


def _convert(data: JSON, bot_username: str, bot_id: int | None) -> Converted | None:
    if "message" in data:
        return _from_message(data["message"], bot_username, bot_id)
    if "edited_message" in data:
        # An edit is scanned for crisis language again; it never runs a command twice.
        edited = _from_message(data["edited_message"], bot_username, bot_id)
        if edited is None or edited.incoming.kind is not EventKind.MESSAGE:
            return None
        event = dataclasses.replace(edited.incoming, edited=True, command=None, args="")
        return Converted(event)
    if "callback_query" in data:
        return _from_callback(data["callback_query"])
    if "my_chat_member" in data:
        return _from_my_chat_member(data["my_chat_member"])
    return None


def parse_command(text: str, bot_username: str) -> tuple[str, str] | None:
    """`/Sober@HarborBot 2026-03-14` → ("sober", "2026-03-14"); None when `text` is no
    command or is addressed to another bot."""
    match = _COMMAND.match(text)
    if match is None:
        return None
    name, target, rest = match.groups()
    if target and target.lower() != bot_username.lower():
        return None
    return name.lower(), rest.strip()


def _chat_ref(chat: JSON, message: JSON | None = None) -> ChatRef:
    # Only forum topics are threads; a plain reply also carries message_thread_id.
    thread = None
    if message is not None and message.get("is_topic_message") and message.get("message_thread_id"):
        thread = str(message["message_thread_id"])
    return ChatRef(
        platform=PLATFORM,
        chat_id=str(chat["id"]),
        private=chat.get("type") == "private",
        title=str(chat.get("title") or ""),
        thread_id=thread,
    )


def _member(user: JSON) -> Member:
    name = " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)
    return Member(PLATFORM, str(user["id"]), name or str(user.get("username") or user["id"]))


def _anonymous(chat: JSON, message: JSON) -> Member:
    """An admin posting as the group: one identity per group (never the shared
    GroupAnonymousBot id), named by their custom title when they have one."""
    name = str(message.get("author_signature") or chat.get("title") or "Group admin")
    return Member(PLATFORM, f"{ANONYMOUS_PREFIX}{chat['id']}", name)


def is_anonymous(user_id: str) -> bool:
    return user_id.startswith(ANONYMOUS_PREFIX)


def can_receive_private(user_id: str) -> bool:
    """Telegram user ids are positive integers and a private chat's id is the user's; an
    anonymous admin (or anything else) has no private chat the bot could write to."""
    return user_id.isdigit() and int(user_id) > 0


def moderates(chat_member: JSON, rights: Sequence[str] = DEFAULT_MODERATOR_RIGHTS) -> bool:
    """Whether a ChatMember (as JSON) moderates: the owner, or an administrator holding one
    of `rights`. An admin who may only, say, invite users does not count."""
    status = chat_member.get("status")
    if status == "creator":
        return True
    return status == "administrator" and any(bool(chat_member.get(r)) for r in rights)


def admin_change(change: JSON) -> bool:
    """A chat_member update that changes who administers the chat (or their rights): the
    only kind that should refresh the moderator cache; ordinary joins and leaves do not."""
    old = change.get("old_chat_member") or {}
    new = change.get("new_chat_member") or {}
    return bool({old.get("status"), new.get("status")} & ADMIN_STATUSES)


def _locale(user: JSON | None) -> str | None:
    code = (user or {}).get("language_code")
    return str(code) if code else None


_PAYLOAD = re.compile(r"[^A-Za-z0-9_-]")


def deep_link(bot_username: str, payload: str) -> str:
    """https://t.me/<bot>?start=<payload>: opens the private chat and sends /start payload
    (Telegram allows 64 characters of A-Z, a-z, 0-9, _ and -)."""
    clean = _PAYLOAD.sub("-", payload)[:64] or "dm"
    return f"https://t.me/{bot_username}?start={clean}"


def _is_mentioned(message: JSON, text: str, bot_username: str, bot_id: int | None) -> bool:
    replied = message.get("reply_to_message") or {}
    author = replied.get("from") or {}
    if author and (
        (bot_id is not None and author.get("id") == bot_id)
        or str(author.get("username", "")).lower() == bot_username.lower()
    ):
        return True
    handle = f"@{bot_username}".lower()
    entities = message.get("entities") or message.get("caption_entities") or []
    for entity in entities:
        if entity.get("type") != "mention":
            continue
        # Entity offsets count UTF-16 code units, not Python characters.
        units = text.encode("utf-16-le")
        start, length = 2 * int(entity["offset"]), 2 * int(entity["length"])
        if units[start : start + length].decode("utf-16-le", "replace").lower() == handle:
            return True
    if not entities and bot_username:
        return re.search(rf"(?<!\w){re.escape(handle)}(?!\w)", text.lower()) is not None
    return False


def _from_message(message: JSON, bot_username: str, bot_id: int | None) -> Converted | None:
    user, chat = message.get("from"), message.get("chat")
    if message.get("migrate_to_chat_id") and chat and user:
        # The group became a supergroup with a new id: the community moves with it.
        moved = Incoming(
            member=_member(user),
            chat=_chat_ref(chat),
            text=str(message["migrate_to_chat_id"]),
            kind=EventKind.GROUP_MOVED,
        )
        return Converted(moved)
    if not user or not chat or chat.get("type") == "channel":
        return None
    if user.get("id") == SERVICE_USER_ID or message.get("is_automatic_forward"):
        return None  # a linked channel's post, forwarded into its discussion group
    sender_chat = message.get("sender_chat") or {}
    anonymous_admin = sender_chat.get("id") == chat["id"]
    if user.get("is_bot") and not anonymous_admin:
        return None  # never converse with other bots: loops
    member = _anonymous(chat, message) if anonymous_admin else _member(user)
    text = str(message.get("text") or message.get("caption") or "")
    document = _file_ref(message.get("document"))
    if not text and document is None:
        return None  # joins, pins, stickers, photos without caption, ...
    command, args = None, ""
    if text.startswith("/"):
        parsed = parse_command(text, bot_username)
        if parsed is None:
            # "/x@OtherBot" is not ours; a lone "/" or "/ hmm" is just text.
            if _COMMAND.match(text):
                return None
        else:
            command, args = parsed
    incoming = Incoming(
        member=member,
        chat=_chat_ref(chat, message),
        text=text,
        command=command,
        args=args,
        message_id=str(message["message_id"]),
        mentioned=_is_mentioned(message, text, bot_username, bot_id),
        permalink=message_link(chat, message["message_id"]),
        locale=_locale(user),
    )
    return Converted(incoming, document=document, anonymous_admin=anonymous_admin)


def message_link(chat: JSON, message_id: int) -> str | None:
    """A t.me link to a group message (moderator alerts point to it, never quote it).
    Public groups link by username; supergroups by their internal id; basic groups have none."""
    if chat.get("type") not in _GROUP_TYPES:
        return None
    if chat.get("username"):
        return f"https://t.me/{chat['username']}/{message_id}"
    chat_id = str(chat.get("id", ""))
    if chat_id.startswith("-100"):
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return None


def _file_ref(document: JSON | None) -> FileRef | None:
    if not document:
        return None
    size = document.get("file_size")
    return FileRef(
        file_id=str(document["file_id"]),
        filename=str(document.get("file_name") or "document"),
        mime=str(document.get("mime_type") or "application/octet-stream"),
        size=int(size) if size is not None else None,
    )


def _from_callback(query: JSON) -> Converted | None:
    message = query.get("message")
    if not message or "chat" not in message:
        return None  # a button under an inline-mode message: Harbor sends none
    incoming = Incoming(
        member=_member(query["from"]),
        chat=_chat_ref(message["chat"], message),
        text="",
        button=str(query.get("data") or ""),
        kind=EventKind.BUTTON,
        message_id=str(message["message_id"]),
        locale=_locale(query["from"]),
    )
    return Converted(incoming)


def _from_my_chat_member(change: JSON) -> Converted | None:
    chat = change["chat"]
    old = _status(change["old_chat_member"])
    new = _status(change["new_chat_member"])
    if chat.get("type") == "private":
        # The member blocked the bot (kicked) or unblocked it: hold or resume at once.
        if new == "kicked":
            kind = EventKind.BLOCKED
        elif old == "kicked" and new in _PRESENT:
            kind = EventKind.UNBLOCKED
        else:
            return None
        return Converted(
            Incoming(member=_member(change["from"]), chat=_chat_ref(chat), kind=kind)
        )
    if chat.get("type") not in _GROUP_TYPES:
        return None
    if old in _GONE and new in _PRESENT:
        kind = EventKind.JOINED_GROUP
    elif old in _PRESENT and new in _GONE:
        kind = EventKind.LEFT_GROUP
    else:
        return None  # promotions and restrictions are no join or leave
    return Converted(Incoming(member=_member(change["from"]), chat=_chat_ref(chat), kind=kind))


def _status(chat_member: JSON) -> str:
    status = str(chat_member.get("status", ""))
    # A restricted user may or may not still be in the chat.
    if status == "restricted" and not chat_member.get("is_member", True):
        return "left"
    return status


# --- Reply → Bot API calls -----------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Telegram counts message length in UTF-16 code units (an emoji may count 2)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split at line boundaries into pieces of at most `limit` UTF-16 units; a single
    overlong line is cut at its last space, or hard when it has none."""
    if utf16_len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while utf16_len(line) > limit:
            head, line = _cut(line, limit)
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        if utf16_len(current) + utf16_len(line) > limit:
            pieces.append(current)
            current = ""
        current += line
    if current:
        pieces.append(current)
    # A trailing newline at a cut point is noise in the sent message.
    return [p.rstrip("\n") for p in pieces if p.strip()]


def _cut(line: str, limit: int) -> tuple[str, str]:
    end = limit
    while utf16_len(line[:end]) > limit:
        end -= 1
    space = line.rfind(" ", 0, end)
    if space > limit // 2:
        return line[:space], line[space + 1 :]
    return line[:end], line[end:]


def keyboard(buttons: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup | None:
    rows = [[_button(b) for b in row] for row in buttons if row]
    return InlineKeyboardMarkup(rows) if rows else None


def _button(button: Button) -> InlineKeyboardButton:
    if button.url:
        return InlineKeyboardButton(button.label, url=button.url)
    data = button.data or button.label
    if len(data.encode("utf-8")) > CALLBACK_DATA_LIMIT:
        raise CallbackDataTooLong(data)
    return InlineKeyboardButton(button.label, callback_data=data)


def target_chat(reply: Reply) -> tuple[str, str | None] | None:
    """(chat_id, thread_id) the reply goes to; None when a private reply has no
    recipient (it must never fall back to the group)."""
    if not reply.private:
        return reply.chat.chat_id, reply.chat.thread_id
    if reply.member is not None:
        if not can_receive_private(reply.member.user_id):
            return None  # an anonymous admin: never the group's id in its place
        return reply.member.user_id, None  # a private chat's id is the user's id
    return (reply.chat.chat_id, None) if reply.chat.private else None


def reply_calls(reply: Reply) -> list[ApiCall]:
    """The Bot API calls that deliver `reply`, in order. Buttons go on the last message
    so they sit under the whole text."""
    target = target_chat(reply)
    if target is None:
        return []
    chat_id, thread_id = target
    base: dict[str, Any] = {"chat_id": chat_id}
    if thread_id is not None:
        base["message_thread_id"] = int(thread_id)
    markup = keyboard(reply.buttons)
    text = reply.text

    plain = reply.image is None and reply.document is None
    if reply.edit_message_id and plain and text and utf16_len(text) <= TEXT_LIMIT:
        kwargs = {"chat_id": chat_id, "message_id": int(reply.edit_message_id), "text": text}
        if markup is not None:
            kwargs["reply_markup"] = markup
        return [ApiCall("edit_message_text", kwargs)]

    calls: list[ApiCall] = []
    attachment = _attachment_call(reply, base)
    if attachment is not None:
        if text and utf16_len(text) <= CAPTION_LIMIT:
            attachment.kwargs["caption"] = text
            text = ""
        calls.append(attachment)
    if text:
        calls.extend(ApiCall("send_message", {**base, "text": p}) for p in split_text(text))
    if calls and markup is not None:
        calls[-1].kwargs["reply_markup"] = markup
    return calls


def _attachment_call(reply: Reply, base: dict[str, Any]) -> ApiCall | None:
    if reply.image is not None:
        return ApiCall("send_photo", {**base, "photo": InputFile(reply.image, "chart.png")})
    if reply.document is not None:
        doc = reply.document
        return ApiCall("send_document", {**base, "document": InputFile(doc.content, doc.filename)})
    return None


def fallback_call(call: ApiCall) -> ApiCall:
    """A new message carrying what a failed edit would have shown."""
    kwargs = {k: v for k, v in call.kwargs.items() if k != "message_id"}
    return ApiCall("send_message", kwargs)


# --- what a timed-out call means ----------------------------------------------------------

# method -> how many times a TimedOut is retried, and why (see the module docstring).
RETRY_POLICY: dict[str, int] = {
    "getMe": 3,
    "getUpdates": -1,  # PTB's polling loop retries for ever
    "getChatAdministrators": 2,
    "getChatMember": 2,
    "getFile": 2,
    "getWebhookInfo": 2,
    "setMyCommands": 2,
    "setWebhook": 3,
    "deleteWebhook": 3,
    "editMessageText": 1,
    "answerCallbackQuery": 0,
    "sendMessage": 0,
    "sendPhoto": 0,
    "sendDocument": 0,
}
_SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})


def timed_out_result(method: str, *, may_have_arrived: bool, crisis: bool = False) -> SendResult:
    """The neutral result of a send that timed out. A send that may have reached Telegram
    is never resent (REJECTED), unless it is a crisis reply (`crisis`: a second copy is
    better than none); one that provably never left is FAILED (retried)."""
    detail = f"{method}: timed out"
    if method in _SENDS and may_have_arrived and crisis:
        return SendResult(SendStatus.FAILED, detail=f"{detail}; a crisis reply: resent")
    if method in _SENDS and may_have_arrived:
        return SendResult(
            SendStatus.REJECTED, detail=f"{detail}; may have been delivered, not resent"
        )
    return SendResult(SendStatus.FAILED, detail=detail)
