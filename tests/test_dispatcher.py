"""The outbox dispatcher and the pacing layer: retries with a bounded life, "retry after"
that pauses only what it names, deferrals that are no attempts, priorities, staleness,
blocked members, a continuous pool that a slow or hung send cannot hold up, and no loss or
duplicates beyond the rows in flight across a SIGKILL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from bot.kernel.clock import ManualClock
from bot.kernel.outbox import planned, private_to
from bot.kernel.pacing import ChatWindow, Pacer
from bot.kernel.ports import Limits
from bot.kernel.types import Button, ChatRef, Fallback, Priority, Reply, SendResult, SendStatus
from storage.sql.store import SQLStore
from tests.helpers.scripted import ScriptedAdapter, wire

ROOT = Path(__file__).resolve().parent.parent


async def enqueue(
    store: SQLStore,
    clock: ManualClock,
    n: int = 1,
    private: bool = True,
    platform: str = "test",
    stale: timedelta | None = None,
    chat: str = "g1",
    priority: int = Priority.BULK,
    prefix: str = "k",
) -> int:
    ts = int(clock.now().timestamp())
    member = await store.members.touch(platform, "u1", "Uma", ts, True)
    buttons = ((Button("Yes", "x:y"),),)
    items = []
    for i in range(n):
        if private:
            reply = private_to(member, f"hello {i}", buttons)
        else:
            reply = Reply(
                chat=ChatRef(platform, chat, private=False),
                text=f"hello {i}",
                fallback=Fallback.DROP,
            )
        items.append(
            planned(
                reply,
                key=f"{prefix}{i}",
                kind="prompt",
                due=ts,
                stale_after=stale,
                recipient_id=member.id if private else None,
                priority=priority,
            )
        )
    await store.outbox.enqueue(items)
    return member.id


async def test_sent_once_with_buttons_and_nonce(store: SQLStore, clock: ManualClock) -> None:
    await enqueue(store, clock)
    adapter = ScriptedAdapter()
    d, _, _ = wire(store, clock, adapter)
    assert (await d.drain()).sent == 1
    assert (await d.drain()).sent == 0
    reply = adapter.sent[0]
    assert reply.text == "hello 0" and reply.buttons[0][0].data == "x:y"
    assert reply.private and reply.member is not None and reply.member.user_id == "u1"
    assert reply.dedupe_key == "k0"


async def test_retry_after_defers_without_using_an_attempt(
    store: SQLStore, clock: ManualClock
) -> None:
    await enqueue(store, clock)
    adapter = ScriptedAdapter(*[SendResult(SendStatus.RETRY_AFTER, retry_after=7)] * 12)
    d, _, _ = wire(store, clock, adapter, max_attempts=2)
    for _ in range(12):  # a 429 storm: many deferrals ...
        stats = await d.drain()
        assert stats.deferred == 1 and adapter.sent == []
        clock.advance(timedelta(seconds=6))
        assert (await d.drain()).deferred == 0  # ... each one obeyed
        clock.advance(timedelta(seconds=1))
    assert (await d.drain()).sent == 1  # ... and still not given up: deferrals are no attempts


async def test_a_429_pauses_only_the_chat_it_names(store: SQLStore, clock: ManualClock) -> None:
    await enqueue(store, clock, n=1, private=False, chat="busy", prefix="b")
    await enqueue(store, clock, n=3, private=True, prefix="p")
    limited = SendResult(SendStatus.RETRY_AFTER, retry_after=30, scope="chat")
    adapter = ScriptedAdapter(limited)
    d, _, pacer = wire(store, clock, adapter, concurrency=1)
    stats = await d.drain()
    assert stats.sent == 3 and stats.deferred == 1  # private sends went on meanwhile
    assert pacer.wait_for("busy", True) > 29 and pacer.wait_for("dm:u1", False) == 0


async def test_transient_failures_back_off_then_give_up(
    store: SQLStore, clock: ManualClock
) -> None:
    await enqueue(store, clock)
    failed = SendResult(SendStatus.FAILED, detail="timeout")
    adapter = ScriptedAdapter(*[failed] * 10)
    d, _, _ = wire(store, clock, adapter, max_attempts=3)
    await d.drain()
    assert await store.outbox.stats() == {"pending": 1}
    assert (await d.drain()).retried == 0  # backing off: not retried at once
    for _ in range(3):
        clock.advance(timedelta(hours=1))
        await d.drain()
    assert await store.outbox.stats() == {"failed": 1}
    assert await store.outbox.problems(0) == [("prompt", "failed", "failed: timeout")]


async def test_every_row_has_a_bounded_life(store: SQLStore, clock: ManualClock) -> None:
    await enqueue(store, clock, n=2)
    clock.advance(timedelta(days=4))  # past the default three-day life, nothing sent
    assert await store.outbox.expire(int(clock.now().timestamp())) == 2
    assert await store.outbox.stats() == {"expired": 2}
    assert [p[1] for p in await store.outbox.problems(0)] == ["expired", "expired"]


async def test_blocked_member_is_paused_and_held(store: SQLStore, clock: ManualClock) -> None:
    member_id = await enqueue(store, clock, n=3)
    adapter = ScriptedAdapter(SendResult(SendStatus.BLOCKED))
    d, _, _ = wire(store, clock, adapter, concurrency=1)
    await d.drain()
    member = await store.members.get(member_id)
    assert member is not None and member.paused
    assert await store.outbox.stats() == {"held": 3}
    assert await store.outbox.release_member(member_id, int(clock.now().timestamp())) == 3
    assert (await d.drain()).sent == 3


async def test_stale_rows_are_skipped(store: SQLStore, clock: ManualClock) -> None:
    await enqueue(store, clock, stale=timedelta(hours=3))
    clock.advance(timedelta(hours=4))
    adapter = ScriptedAdapter()
    d, _, _ = wire(store, clock, adapter)
    stats = await d.drain()
    assert stats.skipped == 1 and adapter.sent == []


async def test_adapter_exception_is_a_transient_failure(
    store: SQLStore, clock: ManualClock
) -> None:
    class Broken(ScriptedAdapter):
        async def send(self, reply: Reply) -> SendResult:
            raise RuntimeError("adapter bug")

    await enqueue(store, clock)
    d, _, _ = wire(store, clock, Broken())
    stats = await d.drain()
    assert stats.retried == 1 and await store.outbox.stats() == {"pending": 1}


async def test_a_hung_send_times_out_and_holds_up_nothing(
    store: SQLStore, clock: ManualClock
) -> None:
    await enqueue(store, clock, n=1, private=False, chat="hung", prefix="h")
    await enqueue(store, clock, n=5, private=True, prefix="p")
    adapter = ScriptedAdapter(delay=lambda r: 3600.0 if r.chat.chat_id == "hung" else 0.0)
    d, _, _ = wire(store, clock, adapter, send_timeout=0.2)
    stats = await d.drain()
    assert stats.sent == 5 and stats.retried == 1  # the hung one is retried later


async def test_urgent_rows_are_claimed_first(store: SQLStore, clock: ManualClock) -> None:
    await enqueue(store, clock, n=5, priority=Priority.BULK, prefix="bulk")
    await enqueue(store, clock, n=2, priority=Priority.TIMELY, prefix="reminder")
    adapter = ScriptedAdapter()
    d, _, _ = wire(store, clock, adapter, concurrency=1)
    await d.drain(max_rows=2)
    assert [r.dedupe_key for r in adapter.sent] == ["reminder0", "reminder1"]


async def test_pacer_hands_out_slots_at_the_cap_most_urgent_first() -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    pacer = Pacer(Limits(per_second=30), monotonic=lambda: now[0], sleep=sleep)
    order: list[str] = []

    async def take(name: str, priority: int) -> None:
        await pacer.slot(priority)
        order.append(name)

    await asyncio.gather(
        *(take(f"bulk{i}", Priority.BULK) for i in range(60)), take("crisis", Priority.CRISIS)
    )
    # The crisis waiter, queued last, got the first slot after the one-second burst.
    assert order.index("crisis") <= 31
    assert abs(now[0] - (61 - 30) / 30) < 0.05  # 61 slots at 30/s after a 1 s burst
    pacer.pause(5)
    before = now[0]
    await pacer.slot(Priority.BULK)
    assert now[0] - before >= 5 - 1e-6


def test_group_window_allows_20_per_minute() -> None:
    now = [0.0]
    window = ChatWindow(20, monotonic=lambda: now[0])
    for _ in range(20):
        assert window.wait_for("g") == 0.0
        window.record("g")
    assert window.wait_for("g") > 59
    assert window.wait_for("other") == 0.0
    now[0] = 60.0
    assert window.wait_for("g") == 0.0


async def test_telegram_group_limit_defers_instead_of_dropping(
    store: SQLStore, clock: ManualClock
) -> None:
    await enqueue(store, clock, n=25, private=False, platform="telegram")
    adapter = ScriptedAdapter(platform="telegram", limits=Limits(0, group_per_minute=20))
    d, _, _ = wire(store, clock, adapter, concurrency=1, max_attempts=2)
    stats = await d.drain()
    assert stats.sent == 20 and stats.deferred == 5 and stats.failed == 0
    assert await store.outbox.stats() == {"pending": 5, "sent": 20}
    clock.advance(timedelta(seconds=61))
    assert (await d.drain()).sent == 5  # deferrals used no attempt


async def test_the_continuous_pool_sends_while_a_slow_send_is_in_flight(
    store: SQLStore, clock: ManualClock
) -> None:
    await enqueue(store, clock, n=1, private=False, chat="slow", prefix="s")
    await enqueue(store, clock, n=20, private=True, prefix="p")
    adapter = ScriptedAdapter(delay=lambda r: 0.5 if r.chat.chat_id == "slow" else 0.0)
    d, _, _ = wire(store, clock, adapter, concurrency=4)
    task = asyncio.create_task(d.run("test"))
    try:
        for _ in range(200):  # at most 2 s of polling; no timing is asserted
            if len(adapter.sent) >= 20:
                break
            await asyncio.sleep(0.01)
        assert sum(r.private for r in adapter.sent) == 20
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def test_sigkill_mid_dispatch_loses_nothing_and_duplicates_only_in_flight(tmp_path: Path) -> None:
    db, log, n = tmp_path / "crash.db", tmp_path / "sent.log", 300
    cmd = [sys.executable, "-m", "tests.helpers.crash_dispatch", str(db), str(log), str(n)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 60
    while len(_lines(log)) < 60 and time.monotonic() < deadline:
        time.sleep(0.01)  # waiting on another process, not on a scheduler
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    first = _lines(log)
    assert 60 <= len(first) < n, "the kill landed mid-dispatch"
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=120)
    sent = _lines(log)
    assert set(sent) == {f"prompt:{i}" for i in range(n)}  # nothing lost
    duplicates = len(sent) - n
    assert duplicates <= 8, f"{duplicates} re-sent; at most the 8 in flight may be"
