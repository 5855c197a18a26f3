"""The core: one event in, replies out. Guards (crisis detection) run first on every text,
then the member and community are loaded, then the router picks a handler inside one error
boundary. Nothing here knows which platform it is talking to."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Sequence

from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.context import Context
from bot.kernel.i18n import t
from bot.kernel.router import Router, Where
from bot.kernel.services import Services
from bot.kernel.types import EventKind, Incoming, Reply
from storage.base import Store

log = logging.getLogger("harbor.core")

# A guard sees every event before anything else and may answer on its own; it must not
# depend on storage (crisis replies work with the database down). It returns its replies and
# whether the event is fully handled (then nothing else runs, and storage is not touched).
Guard = Callable[[Incoming], Awaitable[tuple[list[Reply], bool]]]


def log_failure(where: str, exc: BaseException) -> None:
    """Log a failure without message content: the exception type and the code path only
    (exception messages may quote what a member typed)."""
    frames = "".join(traceback.format_tb(exc.__traceback__)[-6:])
    log.error("%s failed: %s\n%s", where, type(exc).__name__, frames)


class Core:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        services: Services,
        router: Router,
        guards: Sequence[Guard] = (),
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.services = services
        self.router = router
        self.guards = tuple(guards)

    async def handle(self, event: Incoming) -> list[Reply]:
        replies: list[Reply] = []
        for guard in self.guards:
            try:
                answered, done = await guard(event)
            except Exception as exc:  # a guard bug must not stop normal handling
                log_failure("guard", exc)
                continue
            replies.extend(answered)
            if done:
                return replies
        if len(event.text) > self.settings.harbor.max_message_chars:
            replies.append(
                Reply(
                    chat=event.chat,
                    text=t("core.too_long", limit=self.settings.harbor.max_message_chars),
                )
            )
            return replies
        where = f"/{event.command}" if event.command else event.kind.value
        try:
            ctx = await self._context(event)
            await self._route(ctx, answered=bool(replies))
            replies.extend(ctx.replies)
        except Exception as exc:
            log_failure(f"handling {where} on {event.chat.platform}", exc)
            replies.append(Reply(chat=event.chat, text=t("core.sorry")))
        return replies

    async def _context(self, event: Incoming) -> Context:
        now = int(self.clock.now().timestamp())
        chat = event.chat
        member = await self.store.members.touch(
            chat.platform, event.member.user_id, event.member.display_name, now, chat.private
        )
        if member.paused and chat.private:
            # They wrote to us again: resume what was held while they had blocked the bot.
            await self.store.members.set_paused(member.id, False)
            await self.store.outbox.release_member(member.id, now)
        community = None
        if chat.community_id is not None and event.kind not in (
            EventKind.LEFT_GROUP,
            EventKind.GROUP_MOVED,
        ):
            community = await self.store.communities.ensure(
                chat.platform, chat.community_id, chat.title, now
            )
            if event.kind is not EventKind.JOINED_GROUP:
                await self.store.communities.note_member(
                    member.id, community.id, event.is_moderator, now
                )
        elif chat.private:
            mine = await self.store.communities.of_member(member.id)
            community = mine[0] if mine else None
        return Context(
            event=event,
            store=self.store,
            clock=self.clock,
            settings=self.settings,
            services=self.services,
            member=member,
            community=community,
        )

    async def _route(self, ctx: Context, answered: bool) -> None:
        event = ctx.event
        if event.kind is EventKind.JOINED_GROUP:
            ctx.say(ctx.text("community.hello"))
            return
        if event.kind is EventKind.GROUP_MOVED:
            await self.store.communities.move(
                event.chat.platform, event.chat.chat_id, event.text.strip()
            )
            return
        if event.kind is EventKind.LEFT_GROUP:
            found = await self.store.communities.find(
                event.chat.platform, event.chat.community_id or ""
            )
            if found is not None:
                await self.store.communities.update(found.id, active=0)
            return
        if event.kind is EventKind.BUTTON and event.button:
            route = self.router.button(event.button)
            if route is None:
                ctx.whisper(ctx.text("core.stale_button"))
                return
            await route.handler(ctx)
            return
        if event.command:
            await self._command(ctx, event.command)
            return
        if event.chat.private and event.text.strip():
            convo = await self.store.conversations.get(ctx.member.id, ctx.now_ts())
            follow_up = self.router.conversation(convo.state) if convo else None
            if answered:
                return  # a crisis reply went out: don't treat the words as an answer to a form
            if follow_up is not None:
                await follow_up.handler(ctx)
            elif not answered:  # after a crisis reply, no "send /help" hint
                ctx.say(ctx.text("core.plain_text"))

    async def _command(self, ctx: Context, name: str) -> None:
        cmd = self.router.command(name)
        if cmd is None:
            guess = self.router.closest(name)
            key = "core.unknown_command_guess" if guess else "core.unknown_command"
            ctx.whisper(ctx.text(key, name=name[:32], guess=guess or ""))
            return
        if cmd.where is Where.PRIVATE and not ctx.in_private:
            ctx.say(ctx.text("core.private_only", name=cmd.name))
            return
        if cmd.where is Where.GROUP and ctx.in_private:
            ctx.say(ctx.text("core.group_only", name=cmd.name))
            return
        if cmd.moderator and not ctx.event.is_moderator:
            ctx.whisper(ctx.text("core.moderators_only", name=cmd.name))
            return
        await cmd.handler(ctx)
