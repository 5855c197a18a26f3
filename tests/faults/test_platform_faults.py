"""Platform faults: a request that never answers, and a 429 storm on one chat. Other chats
and the sweep go on; the hung row is retried after its timeout; deferrals use no attempt;
every row ends in a state a moderator can see."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import SchedulerSettings, Settings
from bot.kernel.outbox import planned, private_to
from bot.kernel.ports import Limits
from bot.kernel.types import ChatRef, Fallback, Priority, Reply, SendResult, SendStatus
from storage.sql.store import SQLStore
from tests.faults.waiting import GUARD, eventually, settles
from tests.helpers.scripted import ScriptedAdapter, wire


class Hanging(ScriptedAdapter):
    """A platform whose requests for one chat never answer (until `answer_hung` is set)."""

    def __init__(self, hung_chat: str, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.hung_chat = hung_chat
        self.hung_calls = 0
        self.answer_hung = False

    async def send(self, reply: Reply) -> SendResult:
        if reply.chat.chat_id == self.hung_chat and not self.answer_hung:
            self.hung_calls += 1
            await asyncio.Event().wait()  # a request the platform never answers
        return await super().send(reply)


def group_reply(chat: str, text: str, platform: str = "test") -> Reply:
    return Reply(chat=ChatRef(platform, chat, private=False), text=text, fallback=Fallback.DROP)


async def plan_rows(
    store: SQLStore,
    clock: ManualClock,
    *,
    chat: str | None = None,
    members: int = 0,
    n: int = 1,
    prefix: str,
    life: timedelta = timedelta(days=3),
    platform: str = "test",
) -> None:
    ts = int(clock.now().timestamp())
    items = []
    for i in range(n if chat is not None else 0):
        items.append(
            planned(
                group_reply(chat or "", f"{prefix} {i}", platform),
                key=f"{prefix}:{i}",
                kind="bulk",
                due=ts,
                life=life,
                priority=Priority.BULK,
            )
        )
    for i in range(members):
        member = await store.members.touch(platform, f"{prefix}{i}", f"{prefix} {i}", ts, True)
        items.append(
            planned(
                private_to(member, "hello"),
                key=f"{prefix}:dm:{i}",
                kind="prompt",
                due=ts,
                recipient_id=member.id,
                life=life,
            )
        )
    await store.outbox.enqueue(items)


async def due_checkins(store: SQLStore, clock: ManualClock, n: int) -> None:
    """`n` members whose daily check-in prompt is due now (the sweep must plan them)."""
    ts = int(clock.now().timestamp())
    for i in range(n):
        member = await store.members.touch("test", f"c{i}", f"Checker {i}", ts, True)
        await store.checkins.save_plan(
            member.id, enabled=True, local_time="11:59", tz="UTC", next_at=ts - 60, last_day=None
        )


async def test_a_hung_request_holds_up_no_other_chat_and_not_the_sweep(
    store: SQLStore, clock: ManualClock
) -> None:
    settings = Settings(scheduler=SchedulerSettings(sweep_seconds=0.05))
    harbor = build(store, clock, settings)
    adapter = Hanging("hung")
    harbor.attach(adapter)
    harbor.delivery.send_timeout = 600.0  # it stays hung for the whole test
    await plan_rows(store, clock, chat="hung", n=1, prefix="stuck")
    await plan_rows(store, clock, members=20, prefix="other")
    stop = asyncio.Event()
    running = asyncio.create_task(harbor.run_forever(stop))
    try:
        await eventually(lambda: adapter.hung_calls == 1, "the hung request was made")
        await eventually(lambda: len(adapter.sent) >= 20, "the other chats were served")
        # The sweep goes on while the request hangs: prompts planned now are sent now.
        await due_checkins(store, clock, 10)
        await eventually(
            lambda: sum("check-in" in r.text for r in adapter.sent) == 10, "prompts sent"
        )
        await settles(lambda: store.outbox.count(status="sent"), 30, "the sends recorded")
        assert adapter.hung_calls == 1 and not running.done()
        assert await store.outbox.count(kind="bulk", status="pending") == 1
    finally:
        stop.set()  # cancels the hung request; its row is sent after the restart
        await asyncio.wait_for(running, GUARD)


async def test_a_hung_request_times_out_and_is_retried(store: SQLStore, clock: ManualClock) -> None:
    await plan_rows(store, clock, chat="hung", n=1, prefix="stuck")
    await plan_rows(store, clock, chat="fine", n=3, prefix="ok")
    adapter = Hanging("hung")
    d, _, _ = wire(store, clock, adapter, send_timeout=0.2, max_attempts=5)
    stats = await asyncio.wait_for(d.drain(), GUARD)
    assert stats.sent == 3 and stats.retried == 1 and adapter.hung_calls == 1
    assert await store.outbox.count(kind="bulk", status="pending") == 1
    row = await store.db.fetchone("SELECT attempts, last_error FROM outbox WHERE chat_id = 'hung'")
    assert row is not None and (row["attempts"], row["last_error"]) == (1, "failed: timed out")
    assert (await d.drain()).sent == 0  # backing off, not hammering the platform
    adapter.answer_hung = True  # the platform is back
    clock.advance(timedelta(seconds=10))
    assert (await d.drain()).sent == 1
    assert await store.outbox.stats() == {"sent": 4}


class Storm(ScriptedAdapter):
    """Every send to the storm chat is refused with "retry after 30 s" until `ends`."""

    def __init__(self, clock: ManualClock, ends: float) -> None:
        super().__init__(platform="telegram", limits=Limits(0, group_per_minute=20))
        self.clock = clock
        self.ends = ends
        self.storm_calls = 0

    async def send(self, reply: Reply) -> SendResult:
        if reply.chat.chat_id == "storm" and self.clock.now().timestamp() < self.ends:
            self.storm_calls += 1
            return SendResult(SendStatus.RETRY_AFTER, retry_after=30, scope="chat")
        return await super().send(reply)


async def test_a_429_storm_on_one_chat(store: SQLStore, clock: ManualClock) -> None:
    start = clock.now().timestamp()
    adapter = Storm(clock, ends=start + 2 * 3600)
    await plan_rows(store, clock, chat="storm", n=6, prefix="soon", life=timedelta(hours=1),
                    platform="telegram")  # fmt: skip
    await plan_rows(store, clock, chat="storm", n=6, prefix="later", platform="telegram")
    for g in range(3):
        await plan_rows(store, clock, chat=f"g{g}", n=25, prefix=f"g{g}", platform="telegram")
    await plan_rows(store, clock, members=10, prefix="dm", platform="telegram")
    d, _, pacer = wire(store, clock, adapter, concurrency=8, max_attempts=2)

    first = await d.drain()
    # Every other chat went on: 20 per group (its window), every private message.
    assert first.sent == 3 * 20 + 10 and first.failed == 0
    for _ in range(3 * 60):  # three hours, a drain a minute, as the sweep would
        clock.advance(timedelta(minutes=1))
        await d.drain()
        await store.outbox.expire(int(clock.now().timestamp()))
        during = clock.now().timestamp() < adapter.ends
        if during:
            stuck = await store.db.fetch(
                "SELECT status, attempts FROM outbox WHERE chat_id = 'storm'"
            )
            assert all(r["attempts"] == 0 for r in stuck)  # deferrals are no attempts
            assert all(r["status"] in ("pending", "expired") for r in stuck)
    assert adapter.storm_calls > 0
    stats = await store.outbox.stats()
    assert stats == {"sent": 3 * 25 + 10 + 6, "expired": 6}, stats
    problems = await store.outbox.problems(0, limit=100)
    assert sorted(p[1] for p in problems) == ["expired"] * 6  # visible, none "failed"
    assert pacer.wait_for("dm:dm0", False) == 0
