"""One message shape: a scheduled message is a serialised `Reply` plus its schedule (dedupe
key, due, stale-after, expiry, subject, priority). Sources and features build outbox items
with `planned(...)`; the dispatcher turns rows back into replies with `reply_for(...)`."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from typing import Any

from bot.kernel.types import (
    Button,
    Buttons,
    ChatRef,
    Document,
    Fallback,
    Member,
    Priority,
    Reply,
)
from storage.rows import MemberRow, OutboxItem, OutboxRow

DEFAULT_LIFE = timedelta(days=3)  # an unsent row ends as "expired" after this


def encode(reply: Reply) -> str:
    """The reply's content as JSON; its chat and recipient are the row's own columns."""
    body: dict[str, Any] = {"text": reply.text}
    if reply.buttons:
        body["buttons"] = [
            [{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in reply.buttons
        ]
    if reply.image is not None:
        body["image"] = base64.b64encode(reply.image).decode("ascii")
        if reply.image_alt:
            body["image_alt"] = reply.image_alt
    if reply.document is not None:
        body["document"] = {
            "filename": reply.document.filename,
            "mime": reply.document.mime,
            "content": base64.b64encode(reply.document.content).decode("ascii"),
        }
    if reply.late_text is not None:
        body["late_text"] = reply.late_text
    if reply.fallback is not Fallback.DROP:
        body["fallback"] = reply.fallback.value
    if reply.moderator_of is not None:
        body["moderator_of"] = reply.moderator_of
    if reply.chat.guild_id is not None:
        body["guild_id"] = reply.chat.guild_id
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def _button(raw: Any) -> Button:
    if isinstance(raw, list):  # the first release stored [label, data]
        return Button(str(raw[0]), str(raw[1]))
    return Button(str(raw["label"]), str(raw.get("data") or ""), raw.get("url"))


def reply_for(row: OutboxRow) -> Reply:
    """Rebuild the reply an outbox row stands for."""
    body: dict[str, Any] = json.loads(row.body or "{}")
    member = None
    if row.private and row.user_id is not None:
        member = Member(row.platform, row.user_id, row.display_name)
    chat = ChatRef(
        row.platform,
        row.chat_id,
        private=row.private,
        thread_id=row.thread_id,
        guild_id=body.get("guild_id"),
    )
    document = None
    if "document" in body:
        d = body["document"]
        document = Document(d["filename"], base64.b64decode(d["content"]), d.get("mime", ""))
    return Reply(
        chat=chat,
        text=str(body.get("text", "")),
        buttons=tuple(tuple(_button(b) for b in r) for r in body.get("buttons", [])),
        image=base64.b64decode(body["image"]) if "image" in body else None,
        image_alt=str(body.get("image_alt", "")),  # rows written before it existed: none
        document=document,
        private=row.private,
        member=member,
        dedupe_key=row.dedupe_key,
        fallback=Fallback(body.get("fallback", Fallback.DROP.value)),
        moderator_of=body.get("moderator_of"),
        priority=row.priority,
        late_text=body.get("late_text"),
    )


def planned(
    reply: Reply,
    *,
    key: str,
    kind: str,
    due: int,
    recipient_id: int | None = None,
    subject_id: int | None = None,
    stale_after: timedelta | None = None,
    life: timedelta = DEFAULT_LIFE,
    priority: int = Priority.TIMELY,
) -> OutboxItem:
    """An outbox item for `reply`, due at `due` (unix seconds), sent once per `key`."""
    return OutboxItem(
        dedupe_key=key,
        kind=kind,
        platform=reply.chat.platform,
        chat_id=reply.chat.chat_id,
        private=reply.private,
        thread_id=reply.chat.thread_id,
        body=encode(reply),
        due_at=due,
        stale_at=due + int(stale_after.total_seconds()) if stale_after is not None else None,
        expires_at=due + int(life.total_seconds()),
        member_id=recipient_id,
        subject_id=subject_id,
        priority=priority,
    )


def private_to(
    member: MemberRow, text: str, buttons: Buttons = (), *, priority: int = Priority.TIMELY
) -> Reply:
    """A private message to `member` that is not an answer to them (scheduled, or about
    someone else): if it can't be delivered, nothing is posted in any group."""
    return Reply(
        chat=ChatRef(member.platform, member.user_id, private=True),
        text=text,
        buttons=buttons,
        private=True,
        member=Member(member.platform, member.user_id, member.display_name),
        fallback=Fallback.DROP,
        priority=priority,
    )
