"""One conformance suite for the delivery rules, run over every kind of adapter: the console
as it is, the console behaving like Telegram and like Discord, and a fourth, minimal
in-memory platform written here. The rules live once, in the kernel's delivery step; these
tests pin them for every platform, so a new one needs only its adapter and one line in the
adapter list (`adapters/registry.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from adapters.console import ConsoleAdapter
from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.i18n import t
from bot.kernel.outbox import planned, private_to
from bot.kernel.ports import Capabilities, Inbox, Limits
from bot.kernel.runtime import Harbor
from bot.kernel.types import ChatRef, Incoming, Member, Reply, SendResult, SendStatus
from storage.sql.store import SQLStore

CRISIS = "I can't do this anymore, I want to kill myself"


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
        self.retry_after_once: set[str] = set()

    async def start(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def stop(self) -> None:
        self.inbox = None

    async def send(self, reply: Reply) -> SendResult:
        if reply.private and reply.member is not None:
            who = reply.member.user_id
            if who in self.retry_after_once:
                self.retry_after_once.discard(who)
                return SendResult(SendStatus.RETRY_AFTER, retry_after=30)
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


@dataclass
class Kit:
    """Drives one platform in the same words for every test."""

    name: str
    harbor: Harbor
    console: ConsoleAdapter | None = None
    memory: MemoryAdapter | None = None
    marks: dict[str, int] = field(default_factory=dict)

    @property
    def caps(self) -> Capabilities:
        adapter = self.console or self.memory
        assert adapter is not None
        return adapter.capabilities

    async def say(self, who: str, text: str, *, group: bool) -> list[tuple[str, str]]:
        """`who` writes `text` in the group or privately; returns (where, text) said."""
        if self.console is not None:
            await self.console.push(f":as {who}")
            await self.console.push(":group recovery" if group else ":dm")
            said = await self.console.push(text)
            return [(self._where(s.to, who), s.text) for s in said]
        assert self.memory is not None and self.memory.inbox is not None
        mark = len(self.memory.seen)
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
        return self.memory.seen[mark:]

    def _where(self, to: str, who: str) -> str:
        if to.endswith("(private)"):
            return f"dm:{to.removesuffix(' (private)').casefold()}"
        if "(only you" in to:
            return f"only:{to.split(' (only you')[0].casefold()}"
        return "group"

    async def open_private_chat(self, who: str) -> None:
        await self.say(who, "/start", group=False)

    async def block(self, who: str) -> None:
        if self.console is not None:
            await self.console.push(f":as {who}")
            await self.console.push(":block on")
        else:
            assert self.memory is not None
            self.memory.blocked.add(who.casefold())

    async def make_moderator(self, who: str) -> None:
        if self.console is not None:
            await self.console.push(f":as {who}")
            await self.console.push(":group recovery")
            await self.console.push(":mod on")
        else:
            assert self.memory is not None
            self.memory.moderators.add(who.casefold())
        await self.say(who, "hello", group=True)  # seen in the group as a moderator


KINDS = ("console", "telegram-like", "discord-like", "memory")


@pytest.fixture(params=KINDS)
async def kit(
    request: pytest.FixtureRequest, store: SQLStore, clock: ManualClock
) -> AsyncIterator[Kit]:
    settings = Settings.model_validate({"community": {"country": "US"}})
    harbor = build(store, clock, settings, monotonic=lambda: clock.now().timestamp())
    if request.param == "memory":
        memory = MemoryAdapter()
        harbor.attach(memory)
        await memory.start(harbor.core)
        yield Kit(request.param, harbor, memory=memory)
    else:
        console = ConsoleAdapter(
            clock=clock,
            telegram_like=request.param == "telegram-like",
            discord_like=request.param == "discord-like",
        )
        harbor.attach(console)
        await console.start(harbor.core)
        yield Kit(request.param, harbor, console=console)
    await harbor.delivery.settle()


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
    if kit.console is not None:
        await kit.console.push(":as Jo")
        await kit.console.push(":group recovery")
        await kit.console.push(":mod off")
    else:
        assert kit.memory is not None
        kit.memory.moderators.discard("jo")
    await kit.open_private_chat("Kim")
    said = await kit.say("Kim", CRISIS, group=True)
    alerted = sorted(w for w, text in said if "caring check-in" in text)
    assert alerted == ["dm:mo"]


async def test_a_deferred_answer_is_queued_and_delivered_later(
    kit: Kit, store: SQLStore, clock: ManualClock
) -> None:
    if kit.memory is None:
        pytest.skip("the memory platform scripts a retry-after")
    kit.memory.started.add("alex")
    kit.memory.retry_after_once.add("alex")
    said = await kit.say("Alex", "/privacy", group=False)
    assert said == []  # not lost: queued in the outbox
    assert await store.outbox.count(kind="direct", status="pending") == 1
    clock.advance(timedelta(seconds=31))
    await kit.harbor.tick()
    assert [w for w, _ in kit.memory.seen][-1] == "dm:alex"


async def test_scheduled_messages_to_a_blocked_member_are_held_not_posted(
    kit: Kit, store: SQLStore, clock: ManualClock
) -> None:
    await kit.open_private_chat("Alex")
    platform = kit.memory.platform if kit.memory else "console"
    member = await store.members.find(platform, "alex")
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
