"""One conformance suite for the delivery rules, run over every kind of adapter: the console
as it is, the console behaving like Telegram and like Discord, a minimal in-memory platform
written here (attached through the adapter list, `adapters/registry.py`, as `harbor run`
attaches every platform), and the real adapters: python-telegram-bot against the fake Bot
API and discord.py against the fake Discord REST API and gateway (tests/fakes). The rules
live once, in the kernel's delivery step; these tests pin them for every platform. What was
said is read back from each platform's own record (the console's lines, the fakes' recorded
requests), as (where, text); a rule that cannot apply to a platform is skipped, saying why.

Each real adapter and its fake start once for the module (an adapter's start, ~0.15-0.5 s,
is the cost; a fake's is a millisecond), on the module's event loop; each test hands the
adapter a kernel of its own (its own database) through a relay, and uses people whose ids no
other test uses, so nothing one test set on a fake reaches another."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord.gateway
import discord.http
import pytest
import pytest_asyncio
import yarl

from adapters import registry
from adapters.console import ConsoleAdapter
from adapters.discord_adapter import DiscordAdapter
from adapters.telegram_adapter import TelegramAdapter
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.i18n import t
from bot.kernel.outbox import planned, private_to
from bot.kernel.ports import Capabilities, Choice, CommandInfo, Inbox, Limits, PlatformBook
from bot.kernel.runtime import Harbor
from bot.kernel.types import ChatRef, Incoming, Member, Reply, SendResult, SendStatus
from storage import open_store
from storage.sql.store import SQLStore
from tests.fakes import discord_api as dc
from tests.fakes import telegram_api as tg

pytestmark = pytest.mark.asyncio(loop_scope="module")  # where the shared adapters run

CRISIS = "I can't do this anymore, I want to kill myself"
WAIT = 5.0  # a bound on waiting for a real adapter, never a duration asserted
EPHEMERAL = 64  # Discord's message flag


class MemoryAdapter:
    """A whole platform in forty lines: members must start a private chat first (like
    Telegram), but it has no deep links; no interactions."""

    platform = "memory"
    limits = Limits(per_second=0.0)
    capabilities = Capabilities(ephemeral=False, dm_first=False)

    def __init__(self) -> None:
        self.inbox: Inbox | None = None
        self.seen: list[tuple[str, str]] = []
        self.started: set[str] = set()
        self.blocked: set[str] = set()
        self.moderators: set[str] = set()
        self.retry_after_once: dict[str, int] = {}  # user -> seconds, for the next send

    async def start(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def stop(self) -> None:
        self.inbox = None

    async def send(self, reply: Reply) -> SendResult:
        if reply.private and reply.member is not None:
            who = reply.member.user_id
            if who in self.retry_after_once:
                seconds = self.retry_after_once.pop(who)
                return SendResult(SendStatus.RETRY_AFTER, retry_after=seconds)
            if who in self.blocked:
                return SendResult(SendStatus.BLOCKED)
            if who not in self.started:
                return SendResult(SendStatus.NO_PRIVATE_CHAT)
            self.seen.append((f"dm:{who}", reply.text))
        else:
            self.seen.append(("group", reply.text))
        return SendResult(SendStatus.SENT)

    async def answer(self, event: Incoming, reply: Reply, *, ephemeral: bool) -> SendResult:
        return SendResult(SendStatus.EXPIRED)  # no interactions on this platform

    async def is_moderator(self, community_id: str, user_id: str) -> bool:
        return user_id in self.moderators

    def private_link(self, payload: str) -> str | None:
        return None


# Its one line in the adapter list (adapters/registry.py), added here for the test. A platform
# with a token would read it from its settings model: `lambda s: bool(s.memory.token)`.
MEMORY_PLATFORM = registry.Platform(
    "memory", lambda _settings: True, lambda _settings, _commands, _role: MemoryAdapter()
)


class Relay:
    """The kernel as an adapter sees it, counting the events it has finished handling: once
    the count moves, everything that event caused has been sent (delivery happens inside
    `handle`), so a test reads the platform's record without guessing how long to wait."""

    def __init__(self, core: Inbox) -> None:
        self.core = core
        self.handled = 0
        self._changed = asyncio.Condition()

    @property
    def platforms(self) -> PlatformBook:
        return self.core.platforms

    async def handle(self, event: Incoming) -> None:
        try:
            await self.core.handle(event)
        finally:
            async with self._changed:
                self.handled += 1
                self._changed.notify_all()

    def answers_privately(self, event: Incoming) -> bool:
        return self.core.answers_privately(event)

    def command_infos(self) -> list[CommandInfo]:
        return self.core.command_infos()

    async def suggest(self, event: Incoming, current: str) -> list[Choice]:
        return await self.core.suggest(event, current)

    async def until(self, count: int) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: self.handled >= count), WAIT)


class Kit:
    """Drives one platform in the same words for every test: people are named ("Alex"),
    and what was said comes back as (where, text), where is "group", "dm:alex" or
    "only:alex" (an answer only they see)."""

    name: str
    harbor: Harbor
    platform: str
    caps: Capabilities

    async def say(self, who: str, text: str, *, group: bool) -> list[tuple[str, str]]:
        """`who` writes `text` in the group or privately; returns what was said."""
        raise NotImplementedError

    async def open_private_chat(self, who: str) -> None:
        await self.say(who, "/start", group=False)

    async def block(self, who: str) -> None:
        """`who` blocks the bot (or closes their DMs): nothing private reaches them."""
        raise NotImplementedError

    def defer_private(self, who: str, seconds: int) -> None:
        """The platform answers the next private message to `who` with "retry after"."""
        raise NotImplementedError

    def heard(self) -> list[tuple[str, str]]:
        """What was said since the last `say` returned (scheduled sends)."""
        raise NotImplementedError

    async def set_moderator(self, who: str, moderates: bool) -> None:
        raise NotImplementedError

    async def make_moderator(self, who: str) -> None:
        await self.set_moderator(who, True)
        await self.say(who, "hello", group=True)  # seen in the group as a moderator

    def user_id(self, who: str) -> str:
        return who.casefold()

    async def close(self) -> None:
        await self.harbor.delivery.settle()


class ConsoleKit(Kit):
    def __init__(self, name: str, harbor: Harbor, console: ConsoleAdapter) -> None:
        self.name, self.harbor, self.console = name, harbor, console
        self.platform = console.platform
        self.caps = console.capabilities

    async def say(self, who: str, text: str, *, group: bool) -> list[tuple[str, str]]:
        await self.console.push(f":as {who}")
        await self.console.push(":group recovery" if group else ":dm")
        said = await self.console.push(text)
        return [(self._where(s.to, who), s.text) for s in said]

    @staticmethod
    def _where(to: str, who: str) -> str:
        if to.endswith("(private)"):
            return f"dm:{to.removesuffix(' (private)').casefold()}"
        if "(only you" in to:
            return f"only:{to.split(' (only you')[0].casefold()}"
        return "group"

    async def block(self, who: str) -> None:
        await self.console.push(f":as {who}")
        await self.console.push(":block on")

    def defer_private(self, who: str, seconds: int) -> None:
        pytest.skip("the console has no way to answer a send with retry-after")

    async def set_moderator(self, who: str, moderates: bool) -> None:
        await self.console.push(f":as {who}")
        await self.console.push(":group recovery")
        await self.console.push(":mod on" if moderates else ":mod off")


class MemoryKit(Kit):
    def __init__(self, harbor: Harbor, memory: MemoryAdapter) -> None:
        self.name, self.harbor, self.memory = "memory", harbor, memory
        self.mark = 0
        self.platform = memory.platform
        self.caps = memory.capabilities

    async def say(self, who: str, text: str, *, group: bool) -> list[tuple[str, str]]:
        assert self.memory.inbox is not None
        mark = self.mark = len(self.memory.seen)
        member = Member("memory", who.casefold(), who)
        if group:
            chat = ChatRef("memory", "recovery", private=False, title="recovery")
        else:
            self.memory.started.add(who.casefold())
            chat = ChatRef("memory", f"dm:{who.casefold()}", private=True)
        command, _, args = text.removeprefix("/").partition(" ")
        await self.memory.inbox.handle(
            Incoming(
                member=member,
                chat=chat,
                text=text,
                command=command.casefold() if text.startswith("/") else None,
                args=args,
                is_moderator=group and who.casefold() in self.memory.moderators,
            )
        )
        self.mark = len(self.memory.seen)
        return self.memory.seen[mark:]

    def heard(self) -> list[tuple[str, str]]:
        return self.memory.seen[self.mark :]

    def defer_private(self, who: str, seconds: int) -> None:
        self.memory.retry_after_once[who.casefold()] = seconds

    async def block(self, who: str) -> None:
        self.memory.blocked.add(who.casefold())

    async def set_moderator(self, who: str, moderates: bool) -> None:
        if moderates:
            self.memory.moderators.add(who.casefold())
        else:
            self.memory.moderators.discard(who.casefold())


# --- the real python-telegram-bot against the fake Bot API ------------------------------

# User ids are never reused within the module: what one test set on a shared fake for its
# people (a refusal, a pending failure) cannot reach another test's people.
TG_IDS = itertools.count(100)
TG_GROUP = tg.group_chat(-1001234, "recovery")
TG_OWNER = tg.user(99, "Owner")  # owns the group, never speaks: the first admin listed
TG_SENDS = ("sendMessage", "sendPhoto", "sendDocument", "editMessageText")
CANNOT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
BLOCKED = "Forbidden: bot was blocked by the user"


class TelegramKit(Kit):
    """A member's private chat is refused until they write to the bot there (Telegram's
    rule); a blocked bot is refused for good; moderators are the group's administrators,
    looked up afresh each time (no admin cache)."""

    def __init__(
        self, harbor: Harbor, fake: tg.FakeTelegramAPI, adapter: TelegramAdapter, relay: Relay
    ) -> None:
        self.name, self.harbor, self.fake, self.adapter, self.relay = (
            "telegram", harbor, fake, adapter, relay
        )
        self.platform = adapter.platform
        self.caps = adapter.capabilities
        self.users: dict[str, tg.JSONDict] = {}
        self.names: dict[str, str] = {}  # chat id -> name
        self.blocked: set[str] = set()
        self.moderators: list[tg.JSONDict] = []
        self.mark = 0  # calls already read

    def _user(self, who: str) -> tg.JSONDict:
        name = who.casefold()
        if name not in self.users:
            self.users[name] = tg.user(next(TG_IDS), who)
            self.names[self.user_id(who)] = name
            self.fake.refuse_chat(self.user_id(who), CANNOT_INITIATE)
        return self.users[name]

    def user_id(self, who: str) -> str:
        return str(self._user(who)["id"])

    async def say(self, who: str, text: str, *, group: bool) -> list[tuple[str, str]]:
        sender = self._user(who)
        if not group and self.user_id(who) not in self.blocked:
            self.fake.allow_chat(sender["id"])  # writing first opens the private chat
        self.mark, handled = len(self.fake.calls), self.relay.handled
        self.fake.push_message(TG_GROUP if group else tg.private_chat(sender), sender, text)
        await self.relay.until(handled + 1)
        await self.harbor.delivery.settle()
        said = self.heard()
        self.mark = len(self.fake.calls)
        return said

    def heard(self) -> list[tuple[str, str]]:
        return [
            (self._where(call), str(call.params.get("text") or call.params.get("caption")))
            for call in self.fake.calls[self.mark :]
            if call.method in TG_SENDS and call.status == 200
        ]

    def defer_private(self, who: str, seconds: int) -> None:
        self.fake.fail_retry_after("sendMessage", seconds, chat_id=self.user_id(who))

    def _where(self, call: tg.Call) -> str:
        chat = str(call.params.get("chat_id"))
        return "group" if chat == str(TG_GROUP["id"]) else f"dm:{self.names[chat]}"

    async def block(self, who: str) -> None:
        self.blocked.add(self.user_id(who))
        self.fake.refuse_chat(self.user_id(who), BLOCKED)

    async def set_moderator(self, who: str, moderates: bool) -> None:
        sender = self._user(who)
        self.moderators = [u for u in self.moderators if u is not sender]
        if moderates:
            self.moderators.append(sender)
        self.fake.set_admins(int(TG_GROUP["id"]), [TG_OWNER, *self.moderators])

    async def close(self) -> None:
        await super().close()
        self.fake.set_admins(int(TG_GROUP["id"]), [])


# --- the real discord.py against the fake REST API and gateway ---------------------------

DC_IDS = itertools.count(950_000_000_000_000_001)
DC_MODERATOR = dc.MANAGE_GUILD | dc.SEND_MESSAGES_ETC
DC_CALLBACK = re.compile(r"^/interactions/\d+/([^/]+)/callback$")
DC_WEBHOOK = re.compile(rf"^/webhooks/{dc.APP_ID}/([^/]+)(?:/messages/[^/]+)?$")
DC_CHANNEL = re.compile(r"^/channels/(\d+)/messages(?:/\d+)?$")


class DiscordKit(Kit):
    """Commands are slash commands, other words channel messages; members beyond the fake's
    own four are looked up over REST each time, so a role taken away counts at once."""

    def __init__(
        self, harbor: Harbor, fake: dc.FakeDiscord, adapter: DiscordAdapter, relay: Relay
    ) -> None:
        self.name, self.harbor, self.fake, self.adapter, self.relay = (
            "discord", harbor, fake, adapter, relay
        )
        self.platform = adapter.platform
        self.caps = adapter.capabilities
        self.ids: dict[str, str] = {}  # name -> user id
        self.names: dict[str, str] = {}  # DM channel id -> name
        self.moderators: set[str] = set()
        self.asked: dict[str, tuple[str, bool]] = {}  # interaction token -> (name, in guild)
        self.ephemeral: set[str] = set()  # tokens answered (or deferred) ephemerally
        self.mark = 0  # requests already read

    def user_id(self, who: str) -> str:
        name = who.casefold()
        if name not in self.ids:
            self.ids[name] = str(next(DC_IDS))
            self.names[dc.dm_channel_id(self.ids[name])] = name
            self.fake.add_member(self.ids[name], name, [])
        return self.ids[name]

    async def say(self, who: str, text: str, *, group: bool) -> list[tuple[str, str]]:
        uid, name = self.user_id(who), who.casefold()
        roles = [dc.MOD_ROLE_ID] if name in self.moderators else []
        payload: dc.JSONDict
        if text.startswith("/"):
            command, _, args = text.removeprefix("/").partition(" ")
            permissions = DC_MODERATOR if name in self.moderators else dc.SEND_MESSAGES_ETC
            payload = dc.slash_command(
                self.fake, command, args or None, user_id=uid, guild=group,
                permissions=permissions,
            )  # fmt: skip
            self.asked[payload["token"]] = (name, group)
            event = "INTERACTION_CREATE"
        else:
            channel = dc.CHANNEL_ID if group else dc.dm_channel_id(uid)
            payload = dc.message_create(
                self.fake, text, author_id=uid, name=name, channel_id=channel, guild=group
            )
            event = "MESSAGE_CREATE"
        if group:
            payload["member"] = {**payload["member"], "roles": roles}
            if "user" in payload["member"]:
                payload["member"]["user"] = dc.user(uid, name)
        else:
            payload["author" if event == "MESSAGE_CREATE" else "user"] = dc.user(uid, name)
        self.mark, handled = len(self.fake.requests), self.relay.handled
        await self.fake.dispatch(event, payload)
        await self.relay.until(handled + 1)
        await self.harbor.delivery.settle()
        await self._settled()
        said = self.heard()
        self.mark = len(self.fake.requests)
        return said

    def heard(self) -> list[tuple[str, str]]:
        requests = self.fake.requests[self.mark :]
        return [said for r in requests if (said := self._said(r)) is not None]

    def defer_private(self, who: str, seconds: int) -> None:
        pytest.skip(
            "a private answer on Discord answers the interaction, and discord.py's webhook "
            "client sleeps out any rate limit there itself (it ignores max_ratelimit_timeout): "
            "never deferred; deferred DMs: test_discord_e2e's long rate limit test"
        )

    async def _settled(self) -> None:
        """The adapter's own work after an event (closing an interaction) is done too."""
        while self.adapter._tasks:
            _, pending = await asyncio.wait(set(self.adapter._tasks), timeout=WAIT)
            assert not pending, "the adapter is still handling an event"

    def _said(self, request: dc.Recorded) -> tuple[str, str] | None:
        if request.status != 200 or request.method not in ("POST", "PATCH"):
            return None
        body: dc.JSONDict = request.body or {}
        if match := DC_CALLBACK.match(request.path):
            token = match.group(1)
            data = body.get("data") or {}
            if int(data.get("flags") or 0) & EPHEMERAL:
                self.ephemeral.add(token)
            if body.get("type") not in (4, 7):  # a deferral or a form: nothing said yet
                return None
            return self._answered(token), str(data.get("content") or "")
        if match := DC_WEBHOOK.match(request.path):  # a follow-up, or the deferred answer
            token = match.group(1)
            if int(body.get("flags") or 0) & EPHEMERAL:
                self.ephemeral.add(token)
            return self._answered(token), str(body.get("content") or "")
        if match := DC_CHANNEL.match(request.path):
            channel = match.group(1)
            where = f"dm:{self.names[channel]}" if channel in self.names else "group"
            return where, str(body.get("content") or "")
        return None

    def _answered(self, token: str) -> str:
        name, in_guild = self.asked[token]
        if not in_guild:
            return f"dm:{name}"
        return f"only:{name}" if token in self.ephemeral else "group"

    async def block(self, who: str) -> None:
        self.fake.close_dms(self.user_id(who))

    async def set_moderator(self, who: str, moderates: bool) -> None:
        name = who.casefold()
        if moderates:
            self.moderators.add(name)
        else:
            self.moderators.discard(name)
        roles = [dc.MOD_ROLE_ID] if moderates else []
        self.fake.add_member(self.user_id(who), name, roles)

    async def close(self) -> None:
        await super().close()
        await self._settled()


class Shared:
    """The fakes and the real adapters, started on first use and shared by the module's
    tests (an adapter's start is what costs time, not its fake's); each test hands an
    adapter its own kernel through the relay."""

    def __init__(self, harbor: Harbor) -> None:
        self.harbor = harbor  # the kernel the adapters start with
        self.patches = pytest.MonkeyPatch()
        self.telegram: tuple[tg.FakeTelegramAPI, TelegramAdapter, Relay] | None = None
        self.discord: tuple[dc.FakeDiscord, DiscordAdapter, Relay] | None = None

    async def telegram_side(self) -> tuple[tg.FakeTelegramAPI, TelegramAdapter, Relay]:
        if self.telegram is None:
            fake = tg.FakeTelegramAPI()
            await fake.start()
            relay = Relay(self.harbor.core)
            adapter = TelegramAdapter(
                fake.token, self.harbor.command_infos(), base_url=fake.root_url,
                admin_cache_seconds=0, survey_groups=False,
            )  # fmt: skip
            self.telegram = fake, adapter, relay
            await adapter.start(relay)
        return self.telegram

    async def discord_side(self) -> tuple[dc.FakeDiscord, DiscordAdapter, Relay]:
        if self.discord is None:
            fake = dc.FakeDiscord()
            await fake.start()
            self.patches.setattr(discord.http.Route, "BASE", fake.api_base)
            gateway = yarl.URL(fake.gateway_url)
            self.patches.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", gateway)
            relay = Relay(self.harbor.core)
            adapter = DiscordAdapter(
                dc.TOKEN, self.harbor.command_infos(), read_messages=True,
                guild_ready_timeout=0.05, ready_timeout=WAIT,
            )  # fmt: skip
            self.discord = fake, adapter, relay
            await adapter.start(relay)
        return self.discord

    async def close(self) -> None:
        if self.telegram is not None:
            fake, adapter, _ = self.telegram
            await adapter.stop()
            await fake.stop()
        if self.discord is not None:
            server, bot, _ = self.discord
            await asyncio.wait_for(bot.stop(), WAIT)
            await server.close()
        self.patches.undo()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Shared]:
    store = await open_store(tmp_path_factory.mktemp("shared") / "start.db")
    clock = ManualClock(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))  # as conftest's
    harbor = build(store, clock, Settings(), monotonic=lambda: clock.now().timestamp())
    running = Shared(harbor)
    try:
        yield running
    finally:
        await running.close()
        await store.close()


@pytest_asyncio.fixture(loop_scope="module")
async def store(tmp_path: Path) -> AsyncIterator[SQLStore]:
    """conftest's, on the module's loop (where the shared adapters run)."""
    opened = await open_store(tmp_path / "harbor.db")
    yield opened
    await opened.close()


KINDS = ("console", "telegram-like", "discord-like", "memory", "telegram", "discord")


@pytest_asyncio.fixture(params=KINDS, loop_scope="module")
async def kit(
    request: pytest.FixtureRequest,
    store: SQLStore,
    clock: ManualClock,
    shared: Shared,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Kit]:
    settings = Settings.model_validate({"community": {"country": "US"}})
    harbor = build(store, clock, settings, monotonic=lambda: clock.now().timestamp())
    made: Kit
    if request.param == "memory":
        # Attached the way `harbor run` attaches every platform: from the adapter list.
        monkeypatch.setattr(registry, "PLATFORMS", (*registry.PLATFORMS, MEMORY_PLATFORM))
        [platform] = registry.configured(settings)  # no tokens: only the memory platform
        memory = platform.build(settings, harbor.command_infos(), "all")
        assert isinstance(memory, MemoryAdapter)
        harbor.attach(memory)
        await memory.start(harbor.core)
        made = MemoryKit(harbor, memory)
    elif request.param == "telegram":
        fake, telegram, relay = await shared.telegram_side()
        harbor.attach(telegram)
        relay.core = harbor.core
        made = TelegramKit(harbor, fake, telegram, relay)
    elif request.param == "discord":
        server, bot, relay = await shared.discord_side()
        harbor.attach(bot)
        relay.core = harbor.core
        made = DiscordKit(harbor, server, bot, relay)
    else:
        console = ConsoleAdapter(
            clock=clock,
            telegram_like=request.param == "telegram-like",
            discord_like=request.param == "discord-like",
        )
        harbor.attach(console)
        await console.start(harbor.core)
        made = ConsoleKit(request.param, harbor, console)
    try:
        yield made
    finally:
        await made.close()


async def test_a_public_answer_goes_where_the_message_came_from(kit: Kit) -> None:
    said = await kit.say("Alex", "/help", group=True)
    assert [w for w, _ in said] == ["group"] and "what I can do" in said[0][1]


async def test_a_private_answer_in_private_has_no_notice(kit: Kit) -> None:
    said = await kit.say("Alex", "/privacy", group=False)
    assert [w for w, _ in said] == ["dm:alex"]


async def test_a_private_answer_from_a_group_never_shows_its_content_there(kit: Kit) -> None:
    await kit.open_private_chat("Alex")
    said = await kit.say("Alex", "/privacy", group=True)
    where = [w for w, _ in said]
    if kit.caps.ephemeral:
        assert where == ["only:alex"]  # answered so only they see it: no DM, no notice
    else:
        assert where == ["dm:alex", "group"]
        assert said[1][1] == t("private.sent")


async def test_without_a_private_chat_the_group_gets_a_way_there_never_the_content(
    kit: Kit,
) -> None:
    said = await kit.say("Kim", "/privacy", group=True)
    group = [text for w, text in said if w == "group"]
    private = [w for w, _ in said if w != "group"]
    if kit.caps.ephemeral:
        assert private == ["only:kim"] and group == []
    elif kit.caps.dm_first:
        assert private == ["dm:kim"]  # this platform may write first
    else:
        assert private == [] and len(group) == 1
        assert "What I keep" not in group[0]
        assert group[0] in (t("private.open_dm"), t("private.dm_closed"))


async def test_a_crisis_always_leaves_a_way_to_the_lines(kit: Kit) -> None:
    await kit.block("Kim")
    said = await kit.say("Kim", CRISIS, group=True)
    assert said, "nothing at all reached the member or the group"
    group = [text for w, text in said if w == "group"]
    assert group == [t("crisis.reach_out_in_group")]  # neutral: no name, no number
    assert "988" not in group[0] and "Kim" not in group[0]


async def test_a_detected_crisis_is_never_pointed_at_in_the_group(kit: Kit) -> None:
    await kit.open_private_chat("Alex")
    said = await kit.say("Alex", CRISIS, group=True)
    assert [w for w, _ in said] == ["dm:alex"]  # no "I've sent you a private message"
    assert "988" in said[0][1]


async def test_alerts_reach_only_current_moderators(kit: Kit) -> None:
    for who in ("Mo", "Jo"):
        await kit.open_private_chat(who)
        await kit.make_moderator(who)
    await kit.say("Mo", "/community crisis_alerts on", group=True)
    # Jo stops moderating on the platform; the database still remembers Jo as one.
    await kit.set_moderator("Jo", False)
    await kit.open_private_chat("Kim")
    said = await kit.say("Kim", CRISIS, group=True)
    alerted = sorted(w for w, text in said if "caring check-in" in text)
    assert alerted == ["dm:mo"]


async def test_a_deferred_answer_is_queued_and_delivered_later(
    kit: Kit, store: SQLStore, clock: ManualClock
) -> None:
    await kit.open_private_chat("Alex")
    kit.defer_private("Alex", 60)  # above what discord.py waits out by itself (30 s)
    said = await kit.say("Alex", "/privacy", group=False)
    assert said == []  # not lost: queued in the outbox
    assert await store.outbox.count(kind="direct", status="pending") == 1
    clock.advance(timedelta(seconds=30))
    await kit.harbor.tick()
    assert kit.heard() == []  # "retry after 60 s" is obeyed
    clock.advance(timedelta(seconds=31))
    await kit.harbor.tick()
    assert [w for w, _ in kit.heard()] == ["dm:alex"]
    assert await store.outbox.count(kind="direct", status="pending") == 0


async def test_scheduled_messages_to_a_blocked_member_are_held_not_posted(
    kit: Kit, store: SQLStore, clock: ManualClock
) -> None:
    await kit.open_private_chat("Alex")
    member = await store.members.find(kit.platform, kit.user_id("Alex"))
    assert member is not None
    await kit.block("Alex")
    due = int(clock.now().timestamp())
    await store.outbox.enqueue(
        [
            planned(
                private_to(member, "your daily check-in"),
                key="k",
                kind="prompt",
                due=due,
                recipient_id=member.id,
            )
        ]
    )
    stats = await kit.harbor.dispatcher.drain()
    assert stats.held == 1 or stats.sent == 0
    assert await store.outbox.count(status="held") == 1


async def test_a_crisis_reply_is_retried_from_memory_until_delivered(
    store: SQLStore, clock: ManualClock
) -> None:
    """5xx, timeouts and resets: the crisis reply is retried without storage, at once."""
    from tests.helpers.scripted import ScriptedAdapter

    failing = SendResult(SendStatus.FAILED, detail="502 Bad Gateway")
    adapter = ScriptedAdapter(failing, failing, failing, platform="memory")
    harbor = build(store, clock, Settings.model_validate({"community": {"country": "US"}}))
    harbor.delivery.crisis_retries = (0.0, 0.0, 0.0, 0.0)
    harbor.attach(adapter)
    await store.close()  # and the database is gone: nothing may depend on it
    member = Member("memory", "kim", "Kim")
    chat = ChatRef("memory", "dm:kim", private=True)
    await harbor.core.handle(Incoming(member=member, chat=chat, text="/crisis", command="crisis"))
    await harbor.delivery.settle()
    assert len(adapter.sent) == 1 and "988" in adapter.sent[0].text
