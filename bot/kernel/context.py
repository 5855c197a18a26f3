"""What a handler gets: the event, who sent it, where, and the services it may use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.i18n import t
from bot.kernel.types import Button, Document, Incoming, Member, Reply
from storage.base import CommunityRow, MemberRow, Store

if TYPE_CHECKING:
    from bot.kernel.services import Services

Buttons = tuple[tuple[Button, ...], ...]


@dataclass
class Context:
    event: Incoming
    store: Store
    clock: Clock
    settings: Settings
    services: Services
    member: MemberRow
    community: CommunityRow | None = None
    replies: list[Reply] = field(default_factory=list)

    # -- who and where -----------------------------------------------------------------------
    @property
    def in_private(self) -> bool:
        return self.event.chat.private

    @property
    def sender(self) -> Member:
        return self.event.member

    @property
    def lang(self) -> str:
        return self.settings.community.language

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
        return t(key, self.lang, **params)

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
    ) -> None:
        """Answer privately: the member's private chat (or an ephemeral answer), never a group.
        Used from a group, a short public notice says a private message was sent."""
        self.replies.append(
            Reply(
                chat=self.event.chat,
                text=text,
                buttons=buttons,
                image=image,
                document=document,
                private=True,
                member=self.event.member,
                edit_message_id=self.event.message_id if edit and self.in_private else None,
            )
        )
        if not self.in_private and not any(r.notice for r in self.replies):
            self.replies.append(
                Reply(chat=self.event.chat, text=self.text("private.sent"), notice=True)
            )
