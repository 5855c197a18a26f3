"""What a handler gets: the event, who sent it, where, their language, and the services it
may use. Handlers answer with `say` (where the event came from) or `whisper` (privately);
the kernel's delivery step decides how each reply reaches the person."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.i18n import Translator
from bot.kernel.outbox import planned, private_to
from bot.kernel.ports import Capabilities
from bot.kernel.services import Services
from bot.kernel.types import (
    Buttons,
    Document,
    EventKind,
    Form,
    Incoming,
    Member,
    Priority,
    Reply,
)
from storage.base import CommunityRow, MemberRow, Store


@dataclass
class Context:
    event: Incoming
    store: Store
    clock: Clock
    settings: Settings
    services: Services
    member: MemberRow
    tr: Translator
    community: CommunityRow | None = None
    capabilities: Capabilities = field(default_factory=Capabilities)
    replies: list[Reply] = field(default_factory=list)
    # A private command used in a group: everything it says goes to the private chat.
    private_only: bool = False

    # -- who and where -----------------------------------------------------------------------
    @property
    def in_private(self) -> bool:
        return self.event.chat.private

    @property
    def sender(self) -> Member:
        return self.event.member

    @property
    def lang(self) -> str:
        return self.tr.lang

    @property
    def forms_here(self) -> bool:
        """Whether a private form (a Discord modal) can answer this event: the platform has
        forms and the event is an interaction that is not itself a form's answer."""
        return (
            self.capabilities.forms
            and self.event.interaction is not None
            and self.event.kind is not EventKind.FORM
        )

    def now(self) -> datetime:
        return self.clock.now()

    def now_ts(self) -> int:
        return int(self.clock.now().timestamp())

    def tz_name(self) -> str:
        """The member's time zone, else their community's, else the configured default."""
        if self.member.tz:
            return self.member.tz
        if self.community is not None and self.community.tz:
            return self.community.tz
        return self.settings.community.timezone

    def community_tz_name(self, community: CommunityRow | None = None) -> str:
        """The community's time zone (the event's community by default), else the default."""
        community = community or self.community
        if community is not None and community.tz:
            return community.tz
        return self.settings.community.timezone

    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tz_name())

    def text(self, key: str, /, **params: object) -> str:
        return self.tr(key, **params)

    def show_time(self, when: datetime, tz: str | None = None) -> str:
        """A moment as the reader should see it: a platform timestamp that each reader sees
        in their own zone where the platform has one, else the time in `tz` (default: the
        member's zone) with the zone named."""
        if self.capabilities.timestamps:
            unix = int(when.timestamp())
            return f"<t:{unix}:f> (<t:{unix}:R>)"
        zone = tz or self.tz_name()
        local = when.astimezone(ZoneInfo(zone))
        return f"{local:%a} {local.day} {local:%b %H:%M} ({zone})"

    # -- answering -----------------------------------------------------------------------------
    def say(
        self,
        text: str,
        buttons: Buttons = (),
        *,
        image: bytes | None = None,
        document: Document | None = None,
        edit: bool = False,
    ) -> None:
        """Answer in the chat the event came from (public in a group)."""
        if self.private_only and not self.in_private:
            self.whisper(text, buttons, image=image, document=document, edit=edit)
            return
        self.replies.append(
            Reply(
                chat=self.event.chat,
                text=text,
                buttons=buttons,
                image=image,
                document=document,
                edit_message_id=self.event.message_id if edit else None,
            )
        )

    def whisper(
        self,
        text: str,
        buttons: Buttons = (),
        *,
        image: bytes | None = None,
        document: Document | None = None,
        edit: bool = False,
        form: Form | None = None,
        image_alt: str = "",
    ) -> None:
        """Answer privately: the member's private chat (or an ephemeral answer), never a
        group. From a group, the delivery step posts a short public notice. With `form`, a
        private form opens where `forms_here`; `text` is shown where it can't."""
        self.replies.append(
            Reply(
                chat=self.event.chat,
                text=text,
                buttons=buttons,
                image=image,
                image_alt=image_alt,
                document=document,
                private=True,
                member=self.event.member,
                edit_message_id=self.event.message_id if edit and self.in_private else None,
                resume=self.event.command,
                form=form if self.forms_here else None,
            )
        )

    async def send_later(
        self,
        to: MemberRow,
        text: str,
        buttons: Buttons = (),
        *,
        key: str,
        kind: str,
        delay: timedelta = timedelta(0),
        about: MemberRow | None = None,
        priority: int = Priority.TIMELY,
    ) -> None:
        """A private message to another member (or a later one to this member), through
        the outbox: exactly once per `key`, retried, paced, held while they block the bot."""
        reply = private_to(to, text, buttons, priority=priority)
        due = self.now_ts() + int(delay.total_seconds())
        item = planned(
            reply,
            key=key,
            kind=kind,
            due=due,
            recipient_id=to.id,
            subject_id=about.id if about is not None else None,
            priority=priority,
        )
        await self.store.outbox.enqueue([item])


HandlerFn = Callable[[Context], Awaitable[None]]
# Autocomplete: (label, value) choices for what the member is typing.
SuggestFn = Callable[[Context, str], Awaitable[list[tuple[str, str]]]]
# A conversation step answers free text; it returns False when the text was not an answer to
# its question (then the message is handled as any other).
ConversationFn = Callable[[Context], Awaitable[bool]]
