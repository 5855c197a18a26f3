"""Core throughput: many members send a writing command through Harbor's core, with a null
adapter and a real SQLite file on disk.

The event is `/checkin time HH:MM` in a private chat: after first contact it does exactly one
logical write (the checkin_plans upsert in SQLCheckins.save_plan); the member touch reads and
writes nothing once the member exists.

Phase A: closed loop, N concurrent senders, as fast as possible -> events/s.
Phase B: open loop, arrivals at a fixed rate -> latency from scheduled arrival to replies
returned (p50/p99/max).

Run: .venv/bin/python bench/core_throughput.py [--quick] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.ports import Capabilities, Inbox, Limits
from bot.kernel.runtime import Harbor
from bot.kernel.types import SENT, ChatRef, Incoming, Member, Reply, SendResult
from storage import open_store

TARGET_EPS = 5000.0
TARGET_P99_MS = 20.0


class NullAdapter:
    """Accepts every send at once, with no rate limit: what is measured is Harbor."""

    platform = "telegram"
    limits = Limits(per_second=0.0)
    capabilities = Capabilities(dm_first=True)

    def __init__(self) -> None:
        self.sent = 0

    async def start(self, inbox: Inbox) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, reply: Reply) -> SendResult:
        self.sent += 1
        return SENT

    async def answer(self, event: Incoming, reply: Reply, *, ephemeral: bool) -> SendResult:
        return await self.send(reply)

    async def is_moderator(self, community_id: str, user_id: str) -> bool:
        return False

    def private_link(self, payload: str) -> str | None:
        return None


def make_event(i: int, members: int) -> Incoming:
    m = i % members
    user_id = str(1_000_000 + m)
    at = f"{(i // members) % 24:02d}:{(m * 7) % 60:02d}"  # the plan really changes each pass
    return Incoming(
        member=Member("telegram", user_id, f"member{m}"),
        chat=ChatRef("telegram", user_id, private=True),
        text=f"/checkin time {at}",
        command="checkin",
        args=f"time {at}",
    )


async def one(harbor: Harbor, adapter: NullAdapter, event: Incoming) -> None:
    before = adapter.sent
    await harbor.core.handle(event)  # handled, written, and the reply delivered
    if adapter.sent == before:
        raise RuntimeError("no reply")


async def phase_a(
    harbor: Harbor, adapter: NullAdapter, events: list[Incoming], senders: int
) -> float:
    it = iter(events)

    async def sender() -> None:
        for event in it:  # shared iterator: each event is taken by exactly one sender
            await one(harbor, adapter, event)

    start = time.perf_counter()
    await asyncio.gather(*(sender() for _ in range(senders)))
    return len(events) / (time.perf_counter() - start)


async def phase_b(
    harbor: Harbor, adapter: NullAdapter, events: list[Incoming], rate: float
) -> list[float]:
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    tasks: list[asyncio.Task[None]] = []

    async def timed(event: Incoming, due: float) -> None:
        await one(harbor, adapter, event)
        latencies.append(loop.time() - due)

    t0 = loop.time() + 0.05
    k = 0
    while k < len(events):
        now = loop.time()
        # Launch every arrival whose time has come; latency counts from its scheduled time,
        # so a late start (event-loop lag) is charged to the bot, not hidden.
        while k < len(events) and t0 + k / rate <= now:
            tasks.append(asyncio.create_task(timed(events[k], t0 + k / rate)))
            k += 1
        if k < len(events):
            await asyncio.sleep(max(0.0, t0 + k / rate - loop.time()))
    await asyncio.gather(*tasks)
    return latencies


class GcPauses:
    """Each full (generation 2) collection, from gc.callbacks: wall time, and CPU time of
    the collecting thread (which other processes' load does not stretch)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self.cpu: list[float] = []
        self._start = (0.0, 0.0)

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._start = (time.perf_counter(), time.thread_time())
        else:
            self.pauses.append(time.perf_counter() - self._start[0])
            self.cpu.append(time.thread_time() - self._start[1])


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


async def main(args: argparse.Namespace) -> int:
    gc_pauses = GcPauses()
    with tempfile.TemporaryDirectory() as tmp:
        store = await open_store(Path(tmp) / "bench.db")
        clock = ManualClock(datetime(2025, 3, 3, 12, 0, tzinfo=UTC))
        harbor = build(store, clock, Settings())
        adapter = NullAdapter()
        harbor.attach(adapter)
        try:
            # Warm-up: first contact creates every member (not measured).
            warm = [make_event(i, args.members) for i in range(args.members)]
            await phase_a(harbor, adapter, warm, args.senders)

            # Thread hand-offs make single runs noisy: report every run and judge the median.
            runs: list[float] = []
            profiler = cProfile.Profile() if args.profile else None
            for r in range(args.repeats):
                # Each member may send `member_burst` events at once, then 30 a minute: an
                # hour between runs refills every bucket (the clock is manual).
                clock.advance(timedelta(hours=1))
                first = (1 + r) * args.members + r * args.events
                events = [make_event(first + i, args.members) for i in range(args.events)]
                if profiler:
                    profiler.enable()
                runs.append(await phase_a(harbor, adapter, events, args.senders))
                if profiler:
                    profiler.disable()
            eps = statistics.median(runs)

            if args.gc_freeze:
                gc.collect()
                gc.freeze()  # start-up's objects: never scanned again by a full collection
            n_b = int(args.rate * args.seconds)
            lats: list[list[float]] = []
            gc.callbacks.append(gc_pauses)
            for r in range(args.b_runs):
                first = r * n_b
                events_b = [make_event(first + i, args.members) for i in range(n_b)]
                clock.advance(timedelta(hours=1))
                lats.append(await phase_b(harbor, adapter, events_b, args.rate))
        finally:
            if gc_pauses in gc.callbacks:
                gc.callbacks.remove(gc_pauses)
            await store.close()

    print(f"load average at the end: {os.getloadavg()[0]:.2f} (2 cores; others' work counts)")
    print(f"core_throughput: {args.members} members, SQLite file on disk, null adapter")
    print("event: /checkin time HH:MM (one checkin_plans upsert per event)")
    print(
        f"phase A: {args.events} events x {args.repeats} runs, {args.senders} senders:"
        f" median {eps:,.0f} events/s (runs: {', '.join(f'{x:,.0f}' for x in runs)})"
        f"  (target >= {TARGET_EPS:,.0f}: {verdict(eps >= TARGET_EPS)})"
    )
    p99s = []
    for r, lat in enumerate(lats, 1):
        p50, p99, worst = (x * 1000 for x in (pct(lat, 0.50), pct(lat, 0.99), max(lat)))
        p99s.append(p99)
        print(
            f"phase B run {r}: {n_b} events at {args.rate:,.0f}/s open loop: p50 {p50:.2f} ms"
            f"  p99 {p99:.2f} ms  max {worst:.2f} ms"
        )
    held = sum(p < TARGET_P99_MS for p in p99s)
    print(
        f"phase B: p99 min / median / max {min(p99s):.2f} / {statistics.median(p99s):.2f} /"
        f" {max(p99s):.2f} ms; under {TARGET_P99_MS:.0f} ms in {held} of {len(p99s)} runs"
        f" (gc.freeze after start-up: {'yes' if args.gc_freeze else 'no'})"
        f"  (target p99 < {TARGET_P99_MS:.0f} ms in every run: {verdict(held == len(p99s))})"
    )
    pauses = sorted(p * 1000 for p in gc_pauses.pauses)
    cpu = sorted(p * 1000 for p in gc_pauses.cpu)
    print(
        f"phase B: {len(pauses)} full (gen-2) collections: longest {max(pauses, default=0):.1f}"
        f" ms wall ({max(cpu, default=0):.1f} ms CPU), total {sum(pauses):.1f} ms wall"
        f" ({sum(cpu):.1f} ms CPU)"
    )
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--members", type=int, default=2000)
    p.add_argument("--senders", type=int, default=64)
    p.add_argument("--events", type=int, default=20_000, help="phase A events")
    p.add_argument("--repeats", type=int, default=3, help="phase A runs (median judged)")
    p.add_argument("--rate", type=float, default=1000.0, help="phase B arrivals per second")
    p.add_argument("--seconds", type=float, default=10.0, help="phase B duration")
    p.add_argument("--b-runs", type=int, default=3, help="phase B runs (each judged)")
    p.add_argument(
        "--gc-freeze",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="gc.freeze() after the warm-up, as `harbor run` does after start-up",
    )
    p.add_argument("--quick", action="store_true", help="a tiny run (smoke test)")
    p.add_argument("--profile", action="store_true", help="cProfile phase A, print top 25")
    args = p.parse_args(argv)
    if args.quick:
        args.members, args.senders, args.events, args.repeats = 50, 8, 300, 1
        args.rate, args.seconds, args.b_runs = 200.0, 0.5, 1
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
