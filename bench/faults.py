"""Fault injection at full size (issue 14): what is acknowledged against what is stored,
what is lost, what is sent twice, and how long recovery takes.

  kill -9     10,000 prompts planned by the real sweep while the sender pool runs; the
              process is SIGKILLed mid-sweep and twice mid-dispatch, then restarted until
              done: lost, planned twice, duplicates (against the rows in flight), restart
              to done
  COMMIT      16 concurrent writers per batch, one of them breaks a deferred foreign key
              so SQLite refuses the COMMIT: acknowledged against stored
  disk full   16 concurrent writers fill a tmpfs (the largest that runs in a couple of
              minutes; PRAGMA max_page_count when this process may not mount), then
              space is freed: acknowledged, stored, lost, time until writes succeed again
  hung        1 % of platform requests never answer (per-request timeout), through the
              real pacer at 50/s: the messages per second of everything else, against the
              same run with no hung request (and, as a limit, the same unpaced)

Targets: 0 lost, 0 planned twice, duplicates <= rows in flight, 0 acknowledged writes lost.

Run: .venv/bin/python bench/faults.py [--members 10000] [--tmpfs-mib 64] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.kernel.clock import ManualClock
from bot.kernel.config import SchedulerSettings
from bot.kernel.delivery import Delivery
from bot.kernel.dispatcher import Dispatcher
from bot.kernel.outbox import planned, private_to
from bot.kernel.pacing import Pacer
from bot.kernel.ports import Limits
from bot.kernel.types import Reply, SendResult, SendStatus
from storage import open_store
from storage.database import Migration, Tx
from storage.errors import StorageError
from storage.sqlite_db import SQLiteDatabase
from tests.helpers import diskfull, kill9
from tests.helpers.scripted import ScriptedAdapter


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def kill_9(members: int, batch: int, concurrency: int, kills: tuple[str, ...]) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        r = kill9.run(Path(tmp), members, batch=batch, concurrency=concurrency, kills=kills)
    ok = r.lost == 0 and r.planned_twice == 0 and r.plans_off == 0
    ok = ok and r.duplicates <= r.in_flight_bound and r.unfinished == 0
    print(
        f"kill -9: {members:,} prompts, sweep batches of {batch}, {concurrency} senders,"
        f" killed {len(r.kills)}x ({', '.join(r.kills)})"
    )
    print(
        f"  at the kills: {r.planned_at_sweep_kill[0]:,} of {members:,} planned (mid-sweep);"
        f" {', '.join(f'{s:,}' for s in r.sent_at_dispatch_kill)} received (mid-dispatch)"
    )
    print(
        f"  received {r.received:,}: lost {r.lost}, duplicates {r.duplicates}"
        f" (in flight at most {r.in_flight_bound}), planned rows {r.planned_rows:,},"
        f" planned twice {r.planned_twice}, plans off by a day {r.plans_off},"
        f" unfinished {r.unfinished}"
    )
    print(f"  last restart to every row sent: {r.recover_seconds:.1f} s   {verdict(ok)}")
    return ok


async def failed_commits(writers: int, rounds: int) -> bool:
    """Each round: `writers` writes queued at once, one of which makes the COMMIT fail."""
    schema = (
        "CREATE TABLE p (id INTEGER PRIMARY KEY);"
        "CREATE TABLE c (p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);"
        "CREATE TABLE t (v INTEGER);"
    )
    acknowledged = refused = 0
    with tempfile.TemporaryDirectory() as tmp:
        db = await SQLiteDatabase.open(
            Path(tmp) / "commit.db", migrations=[Migration(1, "t", schema)]
        )
        for r in range(rounds):

            async def fine(tx: Tx, v: int = r) -> None:
                await tx.execute("INSERT INTO t VALUES (?)", (v,))

            async def poison(tx: Tx) -> None:
                await tx.execute("INSERT INTO c VALUES (99)")  # checked only at COMMIT

            units = [fine] * (writers - 1)
            units.insert(r % writers, poison)
            results = await asyncio.gather(*(db.write(u) for u in units), return_exceptions=True)
            for unit, result in zip(units, results, strict=True):
                if unit is poison:
                    continue
                if isinstance(result, StorageError):
                    refused += 1
                elif not isinstance(result, BaseException):
                    acknowledged += 1
            # Half the rounds also run a clean batch behind the failed one.
            if r % 2:
                await asyncio.gather(*(db.write(fine) for _ in range(writers)))
                acknowledged += writers
        stored = int(await db.fetchval("SELECT COUNT(*) FROM t"))
        await db.close()
    lost = acknowledged - stored
    print(
        f"failed COMMIT: {rounds} rounds of {writers} concurrent writers, one breaks the COMMIT:"
        f" acknowledged {acknowledged:,}, stored {stored:,}, refused {refused:,},"
        f" lost {lost}   {verdict(lost == 0)}"
    )
    return lost == 0


async def disk_full(mib: int, writers: int, fallback_pages: int) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "disk"
        started = time.monotonic()
        with diskfull.tmpfs(folder, mib * 1024 * 1024) as mounted:
            label = f"tmpfs {mib} MiB" if mounted else f"max_page_count +{fallback_pages}"
            r = await diskfull.fill(
                folder,
                writers=writers,
                mounted=mounted,
                page_limit=fallback_pages,
                label=label,
                ceiling=10_000_000,
            )
        took = time.monotonic() - started
    print(
        f"disk full ({r.disk}, {writers} writers, 200-byte notes, {took:.0f} s):"
        f" attempted {r.attempted:,}, acknowledged {r.acknowledged:,},"
        f" refused {r.refused:,}, stored {r.stored:,}, lost {r.lost},"
        f" stored though refused {r.unacknowledged_stored}"
    )
    print(
        f"  errors: {', '.join(sorted(r.errors))}; space freed -> next write stored in"
        f" {r.recover_seconds * 1000:.1f} ms (same process, no restart)   {verdict(r.lost == 0)}"
    )
    return r.lost == 0


class Flaky(ScriptedAdapter):
    """A platform answering in `latency` s; every `hang_every`-th request never answers."""

    def __init__(self, latency: float, hang_every: int) -> None:
        super().__init__()
        self.latency = latency
        self.hang_every = hang_every
        self.calls = 0
        self.done_at: list[float] = []

    async def send(self, reply: Reply) -> SendResult:
        self.calls += 1
        if self.hang_every and self.calls % self.hang_every == 0:
            await asyncio.Event().wait()
        await asyncio.sleep(self.latency)
        self.done_at.append(time.monotonic())
        return SendResult(SendStatus.SENT)


async def hung_rate(
    rows: int, hang_every: int, send_timeout: float, per_second: float
) -> tuple[float, int]:
    """Messages per second of the rows whose requests answer, with every `hang_every`-th
    request hanging (0: none), through the real pacer (`per_second`; 0: no cap)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = await open_store(Path(tmp) / "hung.db")
        clock = ManualClock(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))
        ts = int(clock.now().timestamp())
        members = [await store.members.touch("test", f"u{i}", "M", ts, True) for i in range(rows)]
        await store.outbox.enqueue(
            [
                planned(
                    private_to(m, "hi"), key=f"k{m.id}", kind="prompt", due=ts, recipient_id=m.id
                )
                for m in members
            ]
        )
        adapter = Flaky(0.05 if per_second else 0.01, hang_every)
        adapter.limits = Limits(per_second=per_second)
        pacer = Pacer(adapter.limits)  # real time, as in `harbor run`
        delivery = Delivery(
            {"test": adapter}, {"test": pacer}, clock, store, send_timeout=send_timeout
        )
        dispatcher = Dispatcher(store, delivery, clock, SchedulerSettings(), concurrency=32)
        start = time.monotonic()
        pool = asyncio.create_task(dispatcher.run("test"))
        others = rows - (rows // hang_every if hang_every else 0)
        while len(adapter.done_at) < others:  # noqa: ASYNC110 - counting the platform's answers
            await asyncio.sleep(0.005)
        rate = others / (adapter.done_at[-1] - start)
        pool.cancel()
        await asyncio.gather(pool, return_exceptions=True)
        await store.close()
    return rate, others


async def hung(rows: int, per_second: float, send_timeout: float) -> bool:
    clean, _ = await hung_rate(rows, 0, send_timeout, per_second)
    rate, others = await hung_rate(rows, 100, send_timeout, per_second)
    share = rate / clean
    print(
        f"hung requests, paced at {per_second:.0f}/s: {rows:,} messages, 50 ms each, 32 senders,"
        f" 1 % never answer ({send_timeout:.0f} s timeout): the other {others:,} at"
        f" {rate:,.1f} msg/s vs {clean:,.1f} msg/s with none hanging ({share:.0%})"
        f"   {verdict(share >= 0.9)}"
    )
    fast_clean, _ = await hung_rate(rows * 2, 0, send_timeout, 0.0)
    fast, fast_others = await hung_rate(rows * 2, 100, send_timeout, 0.0)
    print(
        f"  unpaced, 10 ms each (a limit, not a target): {fast_others:,} at {fast:,.0f} msg/s vs"
        f" {fast_clean:,.0f} msg/s ({fast / fast_clean:.0%}): each hung request holds one of the"
        f" 32 senders until its timeout"
    )
    return share >= 0.9


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--tmpfs-mib", type=int, default=64)
    parser.add_argument("--hung-rows", type=int, default=500)
    parser.add_argument("--hung-rate", type=float, default=50.0)
    parser.add_argument("--hung-timeout", type=float, default=5.0)
    parser.add_argument("--quick", action="store_true", help="a tiny run (the smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.members, args.batch, args.rounds, args.tmpfs_mib = 300, 20, 20, 2
        args.hung_rows, args.hung_rate, args.hung_timeout = 100, 100.0, 1.0
    # Without a mount, the page limit stands in for a disk of about the same size.
    pages = args.tmpfs_mib * 1024 // 4
    kills = ("sweep", "dispatch") if args.quick else ("sweep", "dispatch", "dispatch")
    kill_9(args.members, args.batch, args.concurrency, kills)
    asyncio.run(failed_commits(args.writers, args.rounds))
    asyncio.run(disk_full(args.tmpfs_mib, args.writers, pages))
    asyncio.run(hung(args.hung_rows, args.hung_rate, args.hung_timeout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
