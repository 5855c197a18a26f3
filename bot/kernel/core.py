"""The core: one event in, its replies delivered. Guards (crisis detection) run first on
every text and deliver on their own, ahead of anything else and without storage; then, in
the order the chat sent them (one lane per chat, chats in parallel), the member and
community are loaded and the router picks a handler inside one error boundary; then the
delivery step sends the replies. Nothing here knows which platform it is talking to."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence

from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.context import Context
from bot.kernel.delivery import Delivery
from bot.kernel.i18n import Translator, available, catalog, pick_language, translator
from bot.kernel.platforms import PlatformMemory
from bot.kernel.ports import Capabilities, Choice, CommandInfo
from bot.kernel.router import Router, Where
from bot.kernel.services import Services
from bot.kernel.text import clean_fields, clean_text
from bot.kernel.types import EventKind, Incoming, Reply
from storage.base import Store
from storage.errors import StorageError
from storage.rows import CommunityUpdate

log = logging.getLogger("harbor.core")

# A guard sees every event before anything else and may answer on its own (through the
# delivery step); it must not depend on storage (crisis replies work with the database
# down). It returns True when the event is fully handled (then nothing else runs).
Guard = Callable[[Incoming], Awaitable[bool]]

MAX_IN_FLIGHT = 256  # events handled at once; more wait their turn
GUARDED_IDS_KEPT = 10_000  # the last update ids the guards saw, per process
# Seconds a working store is given to record an event id. A loaded machine takes seconds,
# and giving up means two gateways answer one update; only a store that errs or stays
# silent this long lets the event through unrecorded. Crisis replies never wait for it.
DEDUPE_PATIENCE = 10.0


def log_failure(where: str, exc: BaseException) -> None:
    """Log a failure without message content: the exception type and the code path only
    (exception messages may quote what a member typed)."""
    frames = "".join(traceback.format_tb(exc.__traceback__)[-6:])
    log.error("%s failed: %s\n%s", where, type(exc).__name__, frames)


class Lanes:
    """Per-chat ordering: events of one chat are handled one at a time, in the order they
    arrived (asyncio.Lock is fair), while other chats go on in parallel."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key) or (asyncio.Lock(), 0)
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class MemberBuckets:
    """A token bucket per member: one member sending commands in a loop must not slow down
    everyone else. Per process and in memory: a member spread over processes gets a little
    more, never less. Runs on the injected clock."""

    def __init__(self, burst: int, per_minute: int) -> None:
        self.burst = float(burst)
        self.rate = per_minute / 60.0
        self._tokens: dict[tuple[str, str], tuple[float, float, bool]] = {}

    def take(self, key: tuple[str, str], now: float) -> tuple[bool, bool]:
        """(allowed, first refusal): the first refusal of a run is answered, the rest not."""
        tokens, last, told = self._tokens.get(key, (self.burst, now, False))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self._tokens[key] = (tokens - 1.0, now, False)
            if len(self._tokens) > 100_000:
                self._tokens = {k: v for k, v in self._tokens.items() if v[0] < self.burst}
            return True, False
        self._tokens[key] = (tokens, now, True)
        return False, not told


class Core:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        settings: Settings,
        services: Services,
        router: Router,
        delivery: Delivery,
        guards: Sequence[Guard] = (),
    ) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings
        self.services = services
        self.router = router
        self.delivery = delivery
        self.guards = tuple(guards)
        self.lanes = Lanes()
        self._slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        self._guard_slots = asyncio.Semaphore(MAX_IN_FLIGHT)
        # Update ids the guards have seen in this process: a platform's repeat of one update
        # (a redelivery, Discord adding link previews to an edit) is not answered twice,
        # without asking the database first.
        self._guarded_ids: OrderedDict[str, None] = OrderedDict()
        self.dedupe_patience = DEDUPE_PATIENCE
        harbor = settings.harbor
        self.buckets = MemberBuckets(harbor.member_burst, harbor.member_per_minute)
        self.platforms = PlatformMemory(store, clock)

    # -- the Inbox an adapter hands events to ------------------------------------------------
    async def handle(self, event: Incoming) -> None:
        # The last line against lone surrogates, whichever adapter built the event: they
        # would fail every write (UTF-8) and so every command of that member.
        event = clean_fields(event)
        # The guards come first, with slots of their own: a crisis reply waits neither for
        # the de-duplication below nor for slots held by events waiting on the database. An
        # update delivered to two gateways may so get two crisis replies: more help, never
        # a late one.
        if self._seen_by_guards(event.event_id):
            return  # a repeat of an update this process already has: it is handled once
        async with self._guard_slots:
            if await self._guarded(event):
                return
        if event.edited:
            return  # an edit is scanned by the guards, never run again
        async with self._slots:
            if event.event_id is not None and not await self._first_time(event):
                return  # another gateway (or an earlier delivery) handled it already
            if not await self._within_limits(event):
                return
            key = f"{event.chat.platform}:{event.chat.chat_id}:{event.chat.thread_id or ''}"
            async with self.lanes.hold(key):
                replies, tr = await self.respond(event)
                await self.delivery.deliver(event, replies, tr)

    def _seen_by_guards(self, event_id: str | None) -> bool:
        if event_id is None:
            return False
        if event_id in self._guarded_ids:
            return True
        self._guarded_ids[event_id] = None
        if len(self._guarded_ids) > GUARDED_IDS_KEPT:
            self._guarded_ids.popitem(last=False)
        return False

    async def _within_limits(self, event: Incoming) -> bool:
        """Crisis words and /crisis never get here (the guard answered them)."""
        if event.kind not in (EventKind.MESSAGE, EventKind.BUTTON, EventKind.FORM):
            return True
        who = (event.member.platform, event.member.user_id)
        allowed, first = self.buckets.take(who, self.clock.now().timestamp())
        if not allowed and first:
            tr = translator(pick_language(event.locale, self.settings.community.language))
            note = Reply(
                chat=event.chat,
                text=tr("core.slow_down"),
                private=True,
                member=event.member,
                notify_group=False,
            )
            await self.delivery.deliver(event, [note], tr)
        return allowed

    async def _guarded(self, event: Incoming) -> bool:
        """Whether a guard answered the event (then nothing else runs)."""
        for guard in self.guards:
            try:
                if await guard(event):
                    return True
            except Exception as exc:  # a guard bug must not stop normal handling
                log_failure("guard", exc)
        return False

    async def _first_time(self, event: Incoming) -> bool:
        """Whether no process handled this platform event yet. The store is waited for as
        long as it works (up to `dedupe_patience`); when it fails or stays silent that long
        the event is answered anyway: a rare double answer beats a missing one."""
        assert event.event_id is not None
        now = int(self.clock.now().timestamp())
        seen = self.store.processed.first_time(event.chat.platform, event.event_id, now)
        try:
            return await asyncio.wait_for(seen, self.dedupe_patience)
        except StorageError as exc:
            why = type(exc).__name__
        except TimeoutError:
            why = f"no answer in {self.dedupe_patience:g} s"
        # No content: the platform and why only.
        log.warning(
            "event de-duplication unavailable on %s (%s): answering it anyway",
            event.chat.platform,
            why,
        )
        return True

    def answers_privately(self, event: Incoming) -> bool:
        if event.chat.private or event.kind in (EventKind.BUTTON, EventKind.FORM):
            return True
        cmd = self.router.command(event.command or "")
        if cmd is None or not cmd.public:
            return True
        first = event.args.split(maxsplit=1)[0].lower() if event.args.strip() else ""
        return first in cmd.private_args

    def command_infos(self) -> list[CommandInfo]:
        """Menus in every language that translates them (a partial catalog too: a
        description it lacks stays English)."""

        def describe(key: str, lang: str) -> str | None:
            if lang != "en" and key not in catalog(lang):
                return None
            return translator(lang)(key)

        return self.router.command_infos(describe, available())

    async def suggest(self, event: Incoming, current: str) -> list[Choice]:
        cmd = self.router.command(event.command or "")
        if cmd is None or cmd.suggest is None:
            return []
        event, current = clean_fields(event), clean_text(current)
        try:
            ctx = await self._context(event)
            return (await cmd.suggest(ctx, current))[:25]
        except Exception as exc:  # autocomplete is a convenience: never an error shown
            log_failure(f"suggesting for /{cmd.name}", exc)
            return []

    # -- answering ---------------------------------------------------------------------------
    async def respond(self, event: Incoming) -> tuple[list[Reply], Translator]:
        """The replies to one event (not yet delivered), in the member's language."""
        tr = translator(pick_language(event.locale, self.settings.community.language))
        if len(event.text) > self.settings.harbor.max_message_chars:
            # Scanned by the guards already; a long share in a group is simply not for us.
            if event.chat.private and event.kind is EventKind.MESSAGE:
                limit = self.settings.harbor.max_message_chars
                return [Reply(chat=event.chat, text=tr("core.too_long", limit=limit))], tr
            return [], tr
        where = f"/{event.command}" if event.command else event.kind.value
        try:
            ctx = await self._context(event)
            await self._route(ctx)
            return ctx.replies, ctx.tr
        except Exception as exc:
            log_failure(f"handling {where} on {event.chat.platform}", exc)
            return [Reply(chat=event.chat, text=tr("core.sorry"))], tr

    async def _context(self, event: Incoming) -> Context:
        now = int(self.clock.now().timestamp())
        chat = event.chat
        member = await self.store.members.touch(
            chat.platform,
            event.member.user_id,
            event.member.display_name,
            now,
            chat.private and event.kind is not EventKind.BLOCKED,
            lang=pick_language(event.locale) if event.locale else None,
        )
        if member.paused and chat.private and event.kind is not EventKind.BLOCKED:
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
        tr = translator(pick_language(member.lang, event.locale, self.settings.community.language))
        adapter = self.delivery.adapters.get(chat.platform)
        return Context(
            event=event,
            store=self.store,
            clock=self.clock,
            settings=self.settings,
            services=self.services,
            member=member,
            tr=tr,
            community=community,
            capabilities=adapter.capabilities if adapter is not None else Capabilities(),
        )

    async def _route(self, ctx: Context) -> None:
        event = ctx.event
        kind = event.kind
        if kind is EventKind.JOINED_GROUP:
            ctx.say(ctx.text("community.hello"))
        elif kind is EventKind.GROUP_MOVED:
            new_id = event.text.strip()
            await self.store.communities.move(event.chat.platform, event.chat.chat_id, new_id)
            await self.store.outbox.move_chat(event.chat.platform, event.chat.chat_id, new_id)
        elif kind is EventKind.LEFT_GROUP:
            found = await self.store.communities.find(
                event.chat.platform, event.chat.community_id or ""
            )
            if found is not None:
                await self.store.communities.update(found.id, CommunityUpdate(active=False))
        elif kind is EventKind.BLOCKED:
            await self.store.members.set_paused(ctx.member.id, True)
            await self.store.outbox.hold_member(ctx.member.id)
        elif kind is EventKind.UNBLOCKED:
            pass  # _context resumed them: they can be written to again
        elif kind in (EventKind.BUTTON, EventKind.FORM) and event.button:
            # A form's answer is routed like the button that opened it, by its data.
            route = self.router.button(event.button)
            if route is None:
                ctx.whisper(ctx.text("core.stale_button"))
            else:
                await route.handler(ctx)
        elif event.command:
            await self._command(ctx, event.command)
        elif event.chat.private and event.text.strip():
            await self._free_text(ctx)

    async def _free_text(self, ctx: Context) -> None:
        convo = await self.store.conversations.get(ctx.member.id, ctx.now_ts())
        follow_up = self.router.conversation(convo.state) if convo else None
        if follow_up is not None and await follow_up.handler(ctx):
            return
        ctx.say(ctx.text("core.plain_text"))

    async def _command(self, ctx: Context, name: str) -> None:
        cmd = self.router.command(name)
        if cmd is None:
            if not ctx.in_private and not ctx.event.mentioned:
                return  # in a group, an unknown command is most likely for another bot
            guess = self.router.closest(name)
            key = "core.unknown_command_guess" if guess else "core.unknown_command"
            ctx.whisper(ctx.text(key, name=name[:32], guess=guess or ""))
            return
        # A private command used in a group runs, but answers only in the private chat.
        ctx.private_only = cmd.where is Where.PRIVATE
        if cmd.where is Where.GROUP and ctx.in_private:
            ctx.say(ctx.text("core.group_only", name=cmd.name))
            return
        if cmd.moderator and not ctx.event.is_moderator:
            ctx.whisper(ctx.text("core.moderators_only", name=cmd.name))
            return
        await cmd.handler(ctx)
