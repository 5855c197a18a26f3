"""Pure translation between Discord's JSON payloads and Harbor's neutral types.

No discord.py objects and no I/O here, so every rule is tested with canned payloads.
Private chats are keyed by the member's user id (not the DM channel id), like Telegram's,
so the core can address a member's private chat without knowing Discord's channel ids.

Markdown: Discord renders markdown in every message. Harbor's own text uses none, and
member-provided text (display names, counter and meeting names, anything echoed back) must
never turn into formatting or a disguised link. So everything sent is escaped in `render`
(web addresses and <…> tokens excepted): a name like `[Support team](https://evil.example)`
shows exactly as typed, with the real address visible. Names are stored as members wrote
them (escaping them on the way in would break `/buddy NAME`), and escaped on the way out.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.kernel.text import clean_text, clean_tree
from bot.kernel.types import (
    Button,
    ChatRef,
    Document,
    EventKind,
    Form,
    Incoming,
    Member,
    Reply,
    SendResult,
    SendStatus,
)

PLATFORM = "discord"
MAX_CONTENT = 2000  # Discord's limit for a message's text
MAX_NONCE = 25  # Discord's limit for a nonce string
EPHEMERAL = 1 << 6  # message flag: only the interacting member sees it

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
# What Harbor needs in a server, for the invite link (README, harbor doctor): View
# Channels, Send Messages, Embed Links, Attach Files, Read Message History, Use Application
# Commands, Send Messages in Threads. Never Manage Server or Administrator.
INVITE_PERMISSIONS = (
    (1 << 10)  # view channels
    | (1 << 11)  # send messages
    | (1 << 14)  # embed links
    | (1 << 15)  # attach files
    | (1 << 16)  # read message history
    | (1 << 31)  # use application commands
    | (1 << 38)  # send messages in threads
)


def invite_link(application_id: str) -> str:
    """The OAuth2 link that adds Harbor to a server with exactly what it needs."""
    return (
        f"https://discord.com/oauth2/authorize?client_id={application_id}"
        f"&scope=bot+applications.commands&permissions={INVITE_PERMISSIONS}"
    )

# Gateway numbers that discord.py does not expose as plain constants.
INTERACTION_APPLICATION_COMMAND = 2
INTERACTION_COMPONENT = 3
INTERACTION_MODAL_SUBMIT = 5
COMPONENT_BUTTON = 2
COMPONENT_ACTION_ROW = 1
COMPONENT_TEXT_INPUT = 4
COMPONENT_LABEL = 18  # the newer modal layout: a label holding one input
# Discord's limits for a modal (callback type 9).
MODAL_TITLE_MAX = 45
MODAL_LABEL_MAX = 45
MODAL_PLACEHOLDER_MAX = 100
MODAL_CUSTOM_ID_MAX = 100
MODAL_TEXT_MAX = 4000
FORM_INPUT_ID = "text"  # the custom_id of a form's one text input
OPTION_STRING = 3
OPTION_ATTACHMENT = 11
CONTEXT_GUILD, CONTEXT_BOT_DM, CONTEXT_PRIVATE_CHANNEL = 0, 1, 2
INSTALL_GUILD = 0
THREAD_CHANNEL_TYPES = frozenset({10, 11, 12})

ARGS_OPTION = "args"
FILE_OPTION = "file"
OCTET_STREAM = "application/octet-stream"

Payload = Mapping[str, Any]


# --- incoming -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """An attached file as Discord announces it: metadata and where to fetch the bytes.
    Fetching is the adapter's job (I/O); `size` is what Discord declares."""

    filename: str
    content_type: str
    size: int | None
    url: str

    def document(self, content: bytes = b"") -> Document:
        return Document(self.filename, content, self.content_type)


def _attachment_ref(raw: Payload) -> AttachmentRef:
    raw = clean_tree(raw)
    try:
        size: int | None = int(raw["size"])
    except (KeyError, TypeError, ValueError):
        size = None  # unknown: the adapter still caps what it reads
    return AttachmentRef(
        filename=str(raw.get("filename") or ""),
        content_type=str(raw.get("content_type") or OCTET_STREAM),
        size=size,
        url=str(raw.get("url") or ""),
    )


def message_attachment(payload: Payload) -> AttachmentRef | None:
    """The first file attached to a MESSAGE_CREATE payload, if any."""
    attachments = payload.get("attachments") or ()
    return _attachment_ref(attachments[0]) if attachments else None


def interaction_attachment(payload: Payload) -> AttachmentRef | None:
    """The file given in a slash command's "file" option: the option's value is the
    attachment id, its metadata sits in `data.resolved.attachments[id]`."""
    if payload.get("type") != INTERACTION_APPLICATION_COMMAND:
        return None
    data = payload.get("data") or {}
    resolved = (data.get("resolved") or {}).get("attachments") or {}
    for option in data.get("options") or ():
        if option.get("name") == FILE_OPTION:
            raw = resolved.get(str(option.get("value")))
            return _attachment_ref(raw) if raw else None
    return None


def is_moderator(
    member: Payload | None,
    *,
    role_permissions: Mapping[str, int] | None = None,
    owner_id: str | None = None,
    moderator_role_id: str | None = None,
    moderator_roles: Collection[str] = (),
) -> bool:
    """Manage Server or Administrator, or a moderator role of the community
    (`moderator_roles`, set with /community modrole; `moderator_role_id` is the deprecated
    global setting: a role id is unique across servers, so it never matches elsewhere).

    Interactions carry the member's resolved `permissions`; gateway messages do not, so
    then the permissions are summed from the cached guild roles (`role_permissions`,
    with the @everyone role under the key "@everyone")."""
    if not member:
        return False
    roles = [str(r) for r in member.get("roles", ())]
    wanted = {*moderator_roles, *([moderator_role_id] if moderator_role_id else [])}
    if wanted.intersection(roles):
        return True
    user = member.get("user") or {}
    if owner_id is not None and str(user.get("id")) == owner_id:
        return True
    if "permissions" in member:
        bits = int(member["permissions"])
    elif role_permissions is not None:
        bits = 0
        for role_id in roles:
            bits |= role_permissions.get(role_id, 0)
        bits |= role_permissions.get("@everyone", 0)
    else:
        return False
    return bool(bits & (ADMINISTRATOR | MANAGE_GUILD))


# Kept as they are: web addresses (an escaped "_" would break them) and Discord's own
# <…> tokens (timestamps <t:…>, mentions), which Harbor writes itself.
_VERBATIM = re.compile(r"https?://[^\s<>]+|<[^<>\s]+>")
_INLINE = re.compile(r"([\\*_~`|\[\]])")
_LINE_START = re.compile(r"(?m)^(\s*)([>#-])")


def escape_markdown(text: str) -> str:
    """Text shown exactly as written: every character Discord would read as markdown
    (emphasis, spoilers, code, masked links, quotes, headings, lists) gets a backslash,
    which Discord does not show. Web addresses and <…> tokens are left as they are."""
    out: list[str] = []
    last = 0
    for match in _VERBATIM.finditer(text):
        out.append(_INLINE.sub(r"\\\1", text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_INLINE.sub(r"\\\1", text[last:]))
    return _LINE_START.sub(r"\1\\\2", "".join(out))


def _member(user: Payload, guild_member: Payload | None) -> Member:
    nick = (guild_member or {}).get("nick")
    name = nick or user.get("global_name") or user.get("username") or ""
    return Member(PLATFORM, str(user["id"]), str(name))


def _chat(
    channel_id: str,
    guild_id: str | None,
    user_id: str,
    *,
    parent_id: str | None = None,
    title: str = "",
) -> ChatRef:
    if guild_id is None:
        return ChatRef(PLATFORM, user_id, private=True)
    if parent_id is not None:
        return ChatRef(PLATFORM, parent_id, False, title, thread_id=channel_id, guild_id=guild_id)
    return ChatRef(PLATFORM, channel_id, False, title, guild_id=guild_id)


def _mention_pattern(bot_user_id: str) -> re.Pattern[str]:
    return re.compile(rf"<@!?{re.escape(bot_user_id)}>")


def incoming_from_message(
    payload: Payload,
    *,
    bot_user_id: str,
    role_permissions: Mapping[str, int] | None = None,
    owner_id: str | None = None,
    moderator_role_id: str | None = None,
    parent_channel_id: str | None = None,
    channel_title: str = "",
    moderator_roles: Collection[str] = (),
) -> Incoming | None:
    """A MESSAGE_CREATE payload → Incoming; None for bots, webhooks and system messages.

    `parent_channel_id` is the parent channel when the message was posted in a thread
    (the payload alone cannot tell)."""
    # Lone surrogates (half an emoji) in any text would fail storage and sends: cleaned here.
    payload, channel_title = clean_tree(payload), clean_text(channel_title)
    author = payload.get("author") or {}
    if author.get("bot") or payload.get("webhook_id") or payload.get("type", 0) not in (0, 19):
        return None
    if str(author.get("id")) == bot_user_id:
        return None
    guild_id = payload.get("guild_id")
    guild_id = str(guild_id) if guild_id is not None else None
    member_payload = payload.get("member")
    if member_payload is not None:
        member_payload = {**member_payload, "user": author}
    mention = _mention_pattern(bot_user_id)
    content = str(payload.get("content") or "")
    referenced = payload.get("referenced_message") or {}
    mentioned = (
        any(str(u.get("id")) == bot_user_id for u in payload.get("mentions", ()))
        or bool(mention.search(content))
        or str((referenced.get("author") or {}).get("id")) == bot_user_id
    )
    # Only the name and type travel (empty content): whether to fetch the bytes is the
    # adapter's decision (see message_attachment for the URL).
    ref = message_attachment(payload)
    attachment = ref.document() if ref is not None else None
    return Incoming(
        member=_member(author, member_payload),
        chat=_chat(
            str(payload["channel_id"]),
            guild_id,
            str(author["id"]),
            parent_id=parent_channel_id,
            title=channel_title,
        ),
        text=mention.sub("", content).strip(),
        is_moderator=guild_id is not None
        and is_moderator(
            member_payload,
            role_permissions=role_permissions,
            owner_id=owner_id,
            moderator_role_id=moderator_role_id,
            moderator_roles=moderator_roles,
        ),
        message_id=str(payload["id"]),
        attachment=attachment,
        mentioned=mentioned or guild_id is None,
        permalink=(
            f"https://discord.com/channels/{guild_id}/{payload['channel_id']}/{payload['id']}"
            if guild_id is not None
            else None
        ),
    )


def edit_of(incoming: Incoming | None, update: Payload) -> Incoming | None:
    """A MESSAGE_UPDATE as a member's edit, for the crisis guard: scanned again, never run
    as a command. `incoming` is the updated message as MESSAGE_CREATE would give it (None
    for bots, webhooks, system messages). Updates without `edited_timestamp` are no edit
    (Discord unfurled an embed, a pin): None. The event id names the message and the edit,
    so each edit is scanned once, also when Discord later adds embeds to it."""
    edited_at = update.get("edited_timestamp")
    if incoming is None or not edited_at or not incoming.text or incoming.message_id is None:
        return None
    return replace(
        incoming,
        edited=True,
        command=None,
        args="",
        attachment=None,
        event_id=f"edit:{incoming.message_id}:{edited_at}",
    )


def incoming_from_edit(payload: Payload, *, bot_user_id: str, **kwargs: Any) -> Incoming | None:
    """A MESSAGE_UPDATE payload (Discord sends the whole message) → an edited Incoming."""
    return edit_of(incoming_from_message(payload, bot_user_id=bot_user_id, **kwargs), payload)


def incoming_from_interaction(
    payload: Payload,
    *,
    moderator_role_id: str | None = None,
    moderator_roles: Collection[str] = (),
) -> Incoming | None:
    """An INTERACTION_CREATE payload (slash command or button press) → Incoming."""
    payload = clean_tree(payload)  # lone surrogates, as for messages
    guild_member = payload.get("member")
    user = (guild_member or {}).get("user") or payload.get("user")
    if not user:
        return None
    guild_id = payload.get("guild_id")
    guild_id = str(guild_id) if guild_id is not None else None
    channel = payload.get("channel") or {}
    channel_id = str(payload.get("channel_id") or channel.get("id") or "")
    parent_id = None
    if channel.get("type") in THREAD_CHANNEL_TYPES and channel.get("parent_id"):
        parent_id = str(channel["parent_id"])
    chat = _chat(
        channel_id, guild_id, str(user["id"]), parent_id=parent_id, title=channel.get("name") or ""
    )
    member = _member(user, guild_member)
    moderator = guild_id is not None and is_moderator(
        guild_member, moderator_role_id=moderator_role_id, moderator_roles=moderator_roles
    )
    data = payload.get("data") or {}
    kind = payload.get("type")
    interaction = str(payload["id"]) if payload.get("id") is not None else None
    locale = str(payload["locale"]) if payload.get("locale") else None
    if kind == INTERACTION_APPLICATION_COMMAND:
        name = str(data.get("name", "")).lower()
        args = ""
        for option in data.get("options", ()):
            if option.get("name") == ARGS_OPTION:
                args = str(option.get("value", "")).strip()
        # As for messages: metadata only, the adapter fetches the bytes.
        ref = interaction_attachment(payload)
        return Incoming(
            member=member,
            chat=chat,
            text=f"/{name} {args}".strip(),
            command=name,
            args=args,
            is_moderator=moderator,
            message_id=None,
            attachment=ref.document() if ref is not None else None,
            mentioned=True,
            interaction=interaction,
            locale=locale,
        )
    if kind == INTERACTION_MODAL_SUBMIT:
        # A private form's answer: routed by the form's data, like a button.
        message = payload.get("message") or {}
        return Incoming(
            member=member,
            chat=chat,
            text=modal_value(data),
            is_moderator=moderator,
            button=str(data.get("custom_id", "")),
            kind=EventKind.FORM,
            message_id=str(message["id"]) if "id" in message else None,
            mentioned=True,
            interaction=interaction,
            locale=locale,
        )
    if kind == INTERACTION_COMPONENT and data.get("component_type") == COMPONENT_BUTTON:
        message = payload.get("message") or {}
        return Incoming(
            member=member,
            chat=chat,
            is_moderator=moderator,
            button=str(data.get("custom_id", "")),
            kind=EventKind.BUTTON,
            message_id=str(message["id"]) if "id" in message else None,
            mentioned=True,
            interaction=interaction,
            locale=locale,
        )
    return None


def modal_value(data: Payload) -> str:
    """The text typed into a submitted form: its one text input, in either of Discord's
    modal layouts (action rows holding inputs, or labels holding one input each)."""
    for top in data.get("components") or ():
        inner = list(top.get("components") or ())
        if top.get("component"):
            inner.append(top["component"])
        if top.get("type") == COMPONENT_TEXT_INPUT:
            inner.append(top)
        for component in inner:
            if component.get("type") == COMPONENT_TEXT_INPUT:
                return str(component.get("value") or "")
    return ""


@dataclass(frozen=True, slots=True)
class ModalSpec:
    """A Form as Discord can show it: every field within Discord's limits."""

    custom_id: str
    title: str
    label: str
    placeholder: str
    max_length: int
    paragraph: bool
    value: str


def modal_spec(form: Form) -> ModalSpec:
    """A Form → what a modal may carry (titles and labels shortened with an ellipsis)."""
    def cut(text: str, most: int) -> str:
        return text if len(text) <= most else text[: most - 1].rstrip() + "…"

    most = max(1, min(form.max_length, MODAL_TEXT_MAX))
    return ModalSpec(
        custom_id=form.data[:MODAL_CUSTOM_ID_MAX],
        title=cut(form.title, MODAL_TITLE_MAX) or "Harbor",
        label=cut(form.label, MODAL_LABEL_MAX) or "…",
        placeholder=cut(form.placeholder, MODAL_PLACEHOLDER_MAX),
        max_length=most,
        paragraph=form.multiline,
        value=form.value[:most],
    )


def modal_json(spec: ModalSpec) -> dict[str, Any]:
    """The modal's callback data (type 9), as Discord expects it and discord.py sends it."""
    field: dict[str, Any] = {
        "type": COMPONENT_TEXT_INPUT,
        "custom_id": FORM_INPUT_ID,
        "style": 2 if spec.paragraph else 1,
        "label": spec.label,
        "required": True,
        "max_length": spec.max_length,
    }
    if spec.placeholder:
        field["placeholder"] = spec.placeholder
    if spec.value:
        field["value"] = spec.value
    return {
        "custom_id": spec.custom_id,
        "title": spec.title,
        "components": [{"type": COMPONENT_ACTION_ROW, "components": [field]}],
    }


# --- commands -------------------------------------------------------------------------

# Harbor's language codes → the Discord locales that show them (Discord has no plain "es").
DISCORD_LOCALES: dict[str, tuple[str, ...]] = {
    "es": ("es-ES", "es-419"),
    "pt": ("pt-BR",),
    "fr": ("fr",),
    "de": ("de",),
    "it": ("it",),
    "nl": ("nl",),
    "pl": ("pl",),
    "uk": ("uk",),
}


def language_of(locale: str) -> str:
    """A Discord locale ("es-419", "pt-BR", "en-US") → Harbor's language code."""
    return locale.split("-", 1)[0].casefold()


def commands_hash(payloads: Sequence[Mapping[str, Any]], *, application_id: str, scope: str) -> str:
    """A fingerprint of what a sync would send: the same set on the same application and
    scope (global, or one development server) needs no sync."""
    canonical = json.dumps(
        {"application": application_id, "scope": scope, "commands": list(payloads)},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- outgoing -------------------------------------------------------------------------


def split_content(text: str, limit: int = MAX_CONTENT) -> list[str]:
    """Split text into pieces of at most `limit` characters, at a line break or space
    where possible, so that no word is cut in half."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def nonce_for(dedupe_key: str | None, part: int = 0) -> str | None:
    """A nonce (≤ 25 chars) derived from the outbox id: the same message, retried, gets
    the same nonce, so Discord (with enforce_nonce) drops the duplicate."""
    if dedupe_key is None:
        return None
    digest = hashlib.blake2b(dedupe_key.encode(), digest_size=10).hexdigest()
    nonce = digest if part == 0 else f"{digest}.{part}"
    assert len(nonce) <= MAX_NONCE
    return nonce


@dataclass(frozen=True, slots=True)
class ButtonSpec:
    """One rendered button: a link (url) or a callback (custom_id)."""

    label: str
    custom_id: str | None
    url: str | None
    row: int


@dataclass(frozen=True, slots=True)
class FileSpec:
    filename: str
    content: bytes
    description: str = ""  # alt text (Discord allows 1024 characters)


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """The send kwargs of one Discord message, still free of discord.py objects."""

    content: str
    nonce: str | None = None
    buttons: tuple[ButtonSpec, ...] = ()
    files: tuple[FileSpec, ...] = ()


def button_specs(rows: Iterable[Sequence[Button]]) -> tuple[ButtonSpec, ...]:
    """Rows of buttons → specs; Discord allows 5 rows of 5, the rest is dropped."""
    specs: list[ButtonSpec] = []
    for row_index, row in enumerate(list(rows)[:5]):
        for button in list(row)[:5]:
            label = button.label[:80]
            if button.url:
                specs.append(ButtonSpec(label, None, button.url, row_index))
            else:
                specs.append(ButtonSpec(label, button.data[:100] or label[:100], None, row_index))
    return tuple(specs)


def components_json(buttons: Sequence[ButtonSpec]) -> list[dict[str, Any]]:
    """The component rows Discord expects (what discord.py renders from the same specs)."""
    rows: dict[int, list[dict[str, Any]]] = {}
    for spec in buttons:
        item: dict[str, Any] = {"type": COMPONENT_BUTTON, "label": spec.label}
        if spec.url:
            item.update(style=5, url=spec.url)
        else:
            item.update(style=2, custom_id=spec.custom_id)
        rows.setdefault(spec.row, []).append(item)
    return [{"type": 1, "components": items} for _, items in sorted(rows.items())]


def render(reply: Reply) -> list[OutgoingMessage]:
    """A Reply → the messages to send: text split at 2000 characters; buttons and files
    ride on the last piece so they sit under the whole text."""
    pieces = split_content(reply.text)
    files: list[FileSpec] = []
    if reply.image is not None:
        files.append(FileSpec("image.png", reply.image, reply.image_alt[:1024]))
    if reply.document is not None:
        files.append(FileSpec(reply.document.filename, reply.document.content))
    buttons = button_specs(reply.buttons)
    out: list[OutgoingMessage] = []
    pieces = [escape_markdown(piece) for piece in pieces]
    for index, piece in enumerate(pieces):
        last = index == len(pieces) - 1
        out.append(
            OutgoingMessage(
                content=piece,
                nonce=nonce_for(reply.dedupe_key, index),
                buttons=buttons if last else (),
                files=tuple(files) if last else (),
            )
        )
    return out


# --- errors ---------------------------------------------------------------------------

CANNOT_DM = 50007  # the member closed DMs (or shares no server with the bot)
UNKNOWN_INTERACTION = 10062  # the 3-second deadline passed: answer another way
OPENING_DMS_TOO_FAST = 40003


def is_cannot_dm(status: int, code: int) -> bool:
    return status == 403 and code == CANNOT_DM


def result_for_error(status: int, code: int = 0, retry_after: float | None = None) -> SendResult:
    """An HTTP error from Discord → a neutral result. 403/404 stop further sends (repeated
    403s count towards Discord's invalid-request ban); 5xx are worth retrying."""
    detail = f"discord {status}/{code}"
    if status == 429:
        return SendResult(SendStatus.RETRY_AFTER, retry_after=retry_after or 1.0, detail=detail)
    if code == UNKNOWN_INTERACTION:
        return SendResult(SendStatus.EXPIRED, detail=detail)
    if code == OPENING_DMS_TOO_FAST:
        return SendResult(SendStatus.RETRY_AFTER, retry_after=retry_after or 5.0, detail=detail)
    if is_cannot_dm(status, code):
        return SendResult(SendStatus.BLOCKED, detail=detail)
    if status in (403, 404):
        # Missing access to a channel, an unknown channel: this message can't go there.
        return SendResult(SendStatus.REJECTED, detail=detail)
    if status >= 500 or status == 0:
        return SendResult(SendStatus.FAILED, detail=detail)
    return SendResult(SendStatus.REJECTED, detail=detail)
