"""Several Harbor processes on one PostgreSQL database do no double work: worker processes
draining one outbox send every row once (row locks + leases); a worker killed with SIGKILL in
the middle of a drain loses nothing, and the others re-send at most what it had in flight,
after its lease; every platform event is handled once whichever process receives it; and one
process at a time holds the single-receiver lease, another taking over when it goes."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import build
from bot.kernel.clock import ManualClock, SystemClock
from bot.kernel.config import Settings
from bot.kernel.outbox import planned, private_to
from bot.kernel.ports import Capabilities, Limits
from bot.kernel.types import ChatRef, Incoming, Member, Priority
from storage import open_store
from storage.sql.store import SQLStore
from tests.conftest import START
from tests.helpers.scripted import ScriptedAdapter
from tests.pg import fresh_database

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    with fresh_database() as url:
        yield url


async def plan_rows(url: str, n: int) -> None:
    store = await open_store(url)
    ts = int(time.time()) - 5
    member = await store.members.touch("test", "u", "U", ts, True)
    items = [planned(private_to(member, f"hi {i}"), key=f"prompt:{i}", kind="prompt", due=ts,
                     recipient_id=member.id, priority=Priority.BULK) for i in range(n)]
    for start in range(0, n, 2000):
        await store.outbox.enqueue(items[start:start + 2000])
    await store.close()


async def start_worker(url: str, log: Path, *extra: str) -> asyncio.subprocess.Process:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.helpers.outbox_worker", url, str(log), *extra,
        cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    assert line.strip() == b"ready", (line, await proc.stderr.read() if proc.stderr else b"")
    return proc


def lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


async def finish(proc: asyncio.subprocess.Process) -> None:
    code = await asyncio.wait_for(proc.wait(), 120)
    err = (await proc.stderr.read()).decode() if proc.stderr else ""
    assert code == 0, err


async def test_two_worker_processes_send_every_row_once(pg_url: str, tmp_path: Path) -> None:
    await plan_rows(pg_url, 600)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    # Both are ready before either starts, and each send takes a moment: neither can drain
    # all 600 before the other begins, however loaded the machine.
    args = ("--concurrency", "16", "--delay", "0.05", "--wait")
    workers = [await start_worker(pg_url, log, *args) for log in logs]
    for w in workers:
        assert w.stdin is not None
        w.stdin.write(b"go\n")
        await w.stdin.drain()
    for w in workers:
        await finish(w)
    sent = Counter(lines(logs[0]) + lines(logs[1]))
    assert len(sent) == 600 and max(sent.values()) == 1
    assert lines(logs[0]) and lines(logs[1])  # both took a share
    store = await open_store(pg_url)
    assert await store.outbox.stats() == {"sent": 600}
    await store.close()


async def test_a_killed_worker_loses_nothing(pg_url: str, tmp_path: Path) -> None:
    n, concurrency, lease = 3000, 8, 2
    await plan_rows(pg_url, n)
    logs = [tmp_path / f"w{i}.log" for i in range(3)]
    args = ("--concurrency", str(concurrency), "--lease", str(lease), "--delay", "0.004")
    workers = [await start_worker(pg_url, log, *args) for log in logs]
    await until(lambda: len(lines(logs[0])) >= 100, within=60)  # the victim is mid-drain
    workers[0].send_signal(signal.SIGKILL)
    await workers[0].wait()
    for w in workers[1:]:
        await finish(w)
    delivered = Counter(key for log in logs for key in lines(log))
    assert len(delivered) == n  # nothing lost
    duplicates = sum(c - 1 for c in delivered.values())
    assert duplicates <= concurrency  # at most what the killed worker had in flight
    store = await open_store(pg_url)
    assert await store.outbox.stats() == {"sent": n}
    await store.close()


# -- events and the receiver lease --------------------------------------------------------------


def event(update_id: int, text: str = "/sober 2026-10-01 alcohol") -> Incoming:
    member = Member("test", "11", "Alice")
    command, _, args = text.removeprefix("/").partition(" ")
    return Incoming(member=member, chat=ChatRef("test", "11", private=True), text=text,
                    command=command, args=args, event_id=str(update_id))


async def test_each_event_is_answered_once_across_gateways(pg_url: str) -> None:
    clock = ManualClock(START)
    stores = [await open_store(pg_url) for _ in range(2)]
    gateways = [build(s, clock, Settings()) for s in stores]
    adapters = [ScriptedAdapter() for _ in gateways]
    for harbor, adapter in zip(gateways, adapters, strict=True):
        harbor.attach(adapter)
    try:
        # Every update reaches both gateways (a proxy retrying, or both polled it).
        await asyncio.gather(*(h.core.handle(event(i)) for i in range(20) for h in gateways))
        answers = [r for a in adapters for r in a.sent]
        assert len(answers) == 20
        assert all("alcohol" in r.text for r in answers)
        assert await stores[0].sobriety.counters(
            (await stores[0].members.find("test", "11")).id  # type: ignore[union-attr]
        )
    finally:
        for s in stores:
            await s.close()


async def test_a_crisis_follow_up_on_another_gateway_gets_the_full_crisis_reply(
    pg_url: str,
) -> None:
    """The crisis repeat window is per process (safe by design, docs/postgresql.md): a
    follow-up within it that lands on another gateway gets the whole reply again, with the
    emergency number, never the generic one; on the same gateway it gets the short one."""
    clock = ManualClock(START)
    settings = Settings.model_validate({"community": {"country": "US"}})
    stores = [await open_store(pg_url) for _ in range(2)]
    gateways = [build(s, clock, settings) for s in stores]
    adapters = [ScriptedAdapter() for _ in gateways]
    for harbor, adapter in zip(gateways, adapters, strict=True):
        harbor.attach(adapter)

    async def say(gateway: int, update_id: int, text: str) -> str:
        await gateways[gateway].core.handle(
            Incoming(member=Member("test", "11", "Alice"), chat=ChatRef("test", "11",
                     private=True), text=text, event_id=str(update_id)))
        replies = adapters[gateway].sent
        assert replies and replies[-1].priority == Priority.CRISIS, replies
        return replies.pop().text

    try:
        first = await say(0, 1, "I want to die")
        assert "Numbers checked" in first and "911" in first
        clock.advance(timedelta(minutes=5))
        follow_up = "I really mean it. I have the pills right here and I'm going to take them all"
        elsewhere = await say(1, 2, follow_up)
        assert "911" in elsewhere and "988" in elsewhere and "Send /help" not in elsewhere
        assert "Numbers checked" in elsewhere  # the whole list again: more help, never less
        same = await say(0, 3, follow_up)
        assert "911" in same and "Numbers checked" not in same  # the short follow-up
    finally:
        for s in stores:
            await s.close()


class PollingAdapter(ScriptedAdapter):
    """A platform that admits one receiver per bot (like Telegram's long polling)."""

    single_receiver = True

    def __init__(self) -> None:
        super().__init__(platform="test")
        self.limits = Limits(per_second=0.0)
        self.capabilities = Capabilities()
        self.receiving = False

    async def start_receiving(self) -> None:
        self.receiving = True

    async def stop_receiving(self) -> None:
        self.receiving = False

    async def stop(self) -> None:
        self.receiving = False


async def until(condition: object, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_exactly_one_process_polls_and_another_takes_over(pg_url: str) -> None:
    settings = Settings.model_validate({"scheduler": {"sweep_seconds": 3600}})
    runs: list[tuple[SQLStore, PollingAdapter, asyncio.Event, asyncio.Task[None]]] = []
    for i in range(3):
        store = await open_store(pg_url)
        harbor = build(store, SystemClock(), settings)
        harbor.leader_ttl, harbor.leader_every = 2, 0.2
        harbor.dispatcher.worker = f"process-{i}"
        adapter = PollingAdapter()
        harbor.attach(adapter)
        stop = asyncio.Event()
        runs.append((store, adapter, stop, asyncio.create_task(harbor.run_forever(stop,
                                                                                  "gateway"))))

    def receivers() -> list[int]:
        return [i for i, (_, a, _, _) in enumerate(runs) if a.receiving]

    try:
        await until(lambda: len(receivers()) == 1)
        leader = receivers()[0]
        for _ in range(10):  # it stays one
            await asyncio.sleep(0.1)
            assert receivers() == [leader]
        # The leader stops cleanly: it lets go, and another process polls within seconds.
        _, _, stop, task = runs[leader]
        stop.set()
        await asyncio.wait_for(task, 20)
        await until(lambda: len(receivers()) == 1 and receivers()[0] != leader)
        second = receivers()[0]
        # The new leader dies without letting go (SIGKILL): its lease lapses, the last
        # process takes over.
        runs[second][3].cancel()
        await asyncio.gather(runs[second][3], return_exceptions=True)
        last = 3 - leader - second
        await runs[last][0].db.execute(
            "UPDATE leases SET holder = 'killed', expires_at = ?", (int(time.time()) + 2,))
        await until(lambda: receivers() == [] or receivers() == [last])
        await until(lambda: receivers() == [last])
    finally:
        for _, _, stop, _task in runs:
            stop.set()
        await asyncio.gather(*(t for *_, t in runs), return_exceptions=True)
