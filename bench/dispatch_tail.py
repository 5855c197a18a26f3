"""Sending as `harbor run` does: the continuous sender pool (32 senders, the production
default), the real pacer at Telegram's configured 25/s, and an adapter with a Bot API's
latency (`--latency-ms`, 50 ms) in which one send in 20 takes `--slow-seconds` (2 s).

- `heavy tail`: `Dispatcher.run` sends ready prompts for `--cap-seconds`; figure: the
  sustained rate after the pacer's one-second burst, as a share of the cap. Beside it,
  the same with the chunk-and-gather drain (`Dispatcher.drain`, each chunk of 32 waits for
  its slowest send), which `harbor run` no longer uses. Target: >= 95 % of the cap for the
  pool. Min / median / max of `--runs` runs.
- `reminder during a drain`: `--prompts` daily prompts (100,000) are ready, and `harbor
  run`'s worker loop runs for real (`Harbor.run_forever(role="worker")`: the sweep every
  `scheduler.sweep_seconds` by APScheduler over every source, and the sender pool), with a
  source that has `--reminders` reminders falling due at spread-out moments while the
  prompts drain. Figure per reminder: sent time minus due time; min / median / max.
  Target: <= 5 s. The meeting source also plans what falls due before the next sweep
  (`MeetingSource(ahead=sweep interval)`), so a reminder is in the outbox, due at its time,
  before that time; the next line shows how long before. `--no-ahead` shows the old way:
  planned by the first sweep after its time, so the interval (20 s) bounded the wait
  before it was even in the outbox.

Run: .venv/bin/python bench/dispatch_tail.py [--runs 3] [--cap-seconds 20] [--prompts 100000]
    [--reminders 6] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build, build_sources
from bot.kernel.clock import SystemClock
from bot.kernel.config import Settings
from bot.kernel.delivery import Delivery
from bot.kernel.dispatcher import Dispatcher
from bot.kernel.outbox import encode, planned, private_to
from bot.kernel.pacing import Pacer
from bot.kernel.ports import Capabilities, Inbox, Limits
from bot.kernel.types import SENT, Incoming, Reply, SendResult
from storage import open_store
from storage.rows import MemberRow, Priority
from storage.sql.store import SQLStore

T_SHARE, T_REMINDER_S = 0.95, 5.0
FIRST_USER = 30_000_000
REMINDER_TEXT = "Your meeting starts in 30 minutes"


class SlowAdapter:
    """Every send takes `latency`; every `every`-th takes `slow` seconds instead."""

    platform = "telegram"
    capabilities = Capabilities(dm_first=True)

    def __init__(self, per_second: float, latency: float, slow: float, every: int = 20) -> None:
        self.limits = Limits(per_second=per_second, group_per_minute=20)
        self.latency, self.slow, self.every = latency, slow, every
        self.times: list[float] = []  # when each send finished
        self.reminders: dict[str, float] = {}  # reminder text -> when it was sent
        self.expect = 0
        self.all_reminders = asyncio.Event()  # set when `expect` reminders were sent
        self._count = 0

    async def start(self, inbox: Inbox) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, reply: Reply) -> SendResult:
        self._count += 1
        await asyncio.sleep(self.slow if self._count % self.every == 0 else self.latency)
        self.times.append(time.monotonic())
        if reply.text.startswith(REMINDER_TEXT):
            self.reminders[reply.text] = time.time()
            if len(self.reminders) >= self.expect:
                self.all_reminders.set()
        return SENT

    async def answer(self, event: Incoming, reply: Reply, *, ephemeral: bool) -> SendResult:
        return await self.send(reply)

    async def is_moderator(self, community_id: str, user_id: str) -> bool:
        return False

    def private_link(self, payload: str) -> str | None:
        return None


class ReminderSource:
    """Plans each reminder as the meeting source does: at the reminders' priority, and
    those falling due before the next sweep too (`ahead`, the sweep interval; 0 with
    `--no-ahead`), each due at its own time."""

    name = "bench-reminders"

    def __init__(self, store: SQLStore, member: MemberRow, due: list[int], ahead: int) -> None:
        self.store, self.member, self.pending = store, member, sorted(due)
        self.ahead = ahead
        self.planned_at: dict[int, float] = {}

    async def sweep(self, now: datetime, limit: int) -> int:
        ts = int(now.timestamp())
        due = [t for t in self.pending if t <= ts + self.ahead][:limit]
        items = [
            planned(
                private_to(self.member, f"{REMINDER_TEXT} ({t})"),
                key=f"bench-reminder:{t}",
                kind="meeting_reminder",
                due=t,
                recipient_id=self.member.id,
                priority=Priority.TIMELY,
            )
            for t in due
        ]
        if items:
            await self.store.outbox.enqueue(items)
        for t in due:
            self.pending.remove(t)
            self.planned_at[t] = time.time()
        return len(due)


def add_prompts(path: Path, count: int, due: int) -> None:
    """`count` members, each with a ready daily prompt (plain sqlite3, fast)."""
    body = encode(
        Reply(chat=private_to(_member(1), "").chat, text="How are you today? (1-5)")
    )
    con = sqlite3.connect(path)
    with con:
        con.executemany(
            "INSERT INTO members (id, platform, user_id, display_name, tz, has_private_chat,"
            " created_at) VALUES (?, 'telegram', ?, ?, 'UTC', 1, ?)",
            ((i, str(FIRST_USER + i), f"member{i}", due) for i in range(1, count + 2)),
        )
        con.execute(
            "INSERT INTO outbox (dedupe_key, kind, member_id, platform, chat_id, private, body,"
            " due_at, status, attempts, next_attempt_at, priority, expires_at)"
            " SELECT 'prompt:' || id, 'prompt', id, 'telegram', user_id, 1, ?, ?, 'pending', 0,"
            " ?, ?, ? FROM members WHERE id <= ?",
            (body, due, due, Priority.BULK, due + 86400, count),
        )
    con.close()


def _member(i: int) -> MemberRow:
    return MemberRow(
        id=i, platform="telegram", user_id=str(FIRST_USER + i), display_name=f"member{i}",
        tz="UTC", country=None, date_locale=None, has_private_chat=True, paused=False,
    )  # fmt: skip


def sustained(times: list[float], cap: float) -> float:
    """Sends per second after the pacer's initial one-second burst."""
    start = int(cap) + 1
    if len(times) <= start + 1:
        return 0.0
    return (len(times) - 1 - start) / (times[-1] - times[start])


async def one_tail_run(
    args: argparse.Namespace, directory: Path, pool: bool, settings: Settings
) -> float:
    cap = settings.telegram.per_second
    path = directory / f"tail-{time.perf_counter_ns()}.db"
    await (await open_store(path)).close()
    rows = int(cap * args.cap_seconds * 1.5) + 100
    add_prompts(path, rows, int(time.time()) - 1)
    store = await open_store(path)
    try:
        adapter = SlowAdapter(cap, args.latency_ms / 1000, args.slow_seconds)
        clock = SystemClock()
        pacers = {"telegram": Pacer(adapter.limits)}
        delivery = Delivery({"telegram": adapter}, pacers, clock, store)
        dispatcher = Dispatcher(store, delivery, clock, settings.scheduler, concurrency=32)
        if pool:
            task = asyncio.create_task(dispatcher.run("telegram"))
            await asyncio.sleep(args.cap_seconds + 1)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        else:
            await dispatcher.drain(max_rows=int(cap * (args.cap_seconds + 1)))
        return sustained(adapter.times, cap)
    finally:
        await store.close()


async def reminder_run(
    args: argparse.Namespace, directory: Path, settings: Settings
) -> tuple[list[float], list[float], int]:
    path = directory / "drain.db"
    await (await open_store(path)).close()
    add_prompts(path, args.prompts, int(time.time()) - 1)
    store = await open_store(path)
    start = int(time.time())
    # Spread over the run so they meet every phase of the sweep interval.
    step = args.spread / max(1, args.reminders)
    due = [start + args.first_due + int(i * step) for i in range(args.reminders)]
    ahead = int(settings.scheduler.sweep_seconds) if args.ahead else 0
    source = ReminderSource(store, _member(args.prompts + 1), due, ahead)
    harbor = build(
        store, SystemClock(), settings, sources=[source, *build_sources(store, settings)]
    )
    adapter = SlowAdapter(settings.telegram.per_second, args.latency_ms / 1000, args.slow_seconds)
    harbor.attach(adapter)
    stop = asyncio.Event()
    runner = asyncio.create_task(harbor.run_forever(stop, role="worker"))
    adapter.expect = args.reminders
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(args.spread + 10 + 2 * settings.scheduler.sweep_seconds):
            await adapter.all_reminders.wait()
    stop.set()
    await runner  # closes the store
    sent = [adapter.reminders[t] for t in sorted(adapter.reminders)]
    late = [s - d for s, d in zip(sent, sorted(due), strict=False)]
    ahead = [d - source.planned_at[d] for d in sorted(due) if d in source.planned_at]
    return late, ahead, len(adapter.times)


def spread(values: list[float], fmt: str = ".2f") -> str:
    if not values:
        return "-"
    return (
        f"{min(values):{fmt}} / {statistics.median(values):{fmt}} / {max(values):{fmt}}"
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.ERROR)
    settings = Settings()
    if args.sweep_seconds:
        settings = Settings.model_validate({"scheduler": {"sweep_seconds": args.sweep_seconds}})
    cap = settings.telegram.per_second
    with tempfile.TemporaryDirectory() as tmp:
        print(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores; others' work counts)")
        print(
            f"heavy tail: cap {cap:g}/s, 32 senders, {args.latency_ms:g} ms per send, 1 in 20"
            f" takes {args.slow_seconds:g} s; {args.cap_seconds:g} s per run, {args.runs} runs"
        )
        for label, pool in (("continuous pool (harbor run)", True), ("chunk-and-gather", False)):
            shares = [
                await one_tail_run(args, Path(tmp), pool, settings) / cap
                for _ in range(args.runs)
            ]
            line = f"  {label}: share of cap min / median / max {spread(shares, '.1%')}"
            if pool:
                ok = statistics.median(shares) >= T_SHARE
                line += f"  (target >= {T_SHARE:.0%}: {verdict(ok)})"
            print(line, flush=True)

        late, ahead, sent = await reminder_run(args, Path(tmp), settings)
        ok = bool(late) and len(late) == args.reminders and statistics.median(late) <= T_REMINDER_S
        print(
            f"reminder during a drain: {args.prompts:,} prompts ready, sweep every"
            f" {settings.scheduler.sweep_seconds:g} s, {len(late)} of {args.reminders} reminders"
            f" sent; {sent:,} sends in all"
        )
        print(
            f"  sent after due, s: min / median / max {spread(late)}"
            f"  (target <= {T_REMINDER_S:g} s: {verdict(ok)})"
        )
        print(
            f"  planned before due (negative: after), s: min / median / max {spread(ahead)}"
            f" (planning ahead: {'on' if args.ahead else 'off'})"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cap-seconds", type=float, default=20.0)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--slow-seconds", type=float, default=2.0)
    parser.add_argument("--prompts", type=int, default=100_000)
    parser.add_argument("--reminders", type=int, default=6)
    parser.add_argument("--spread", type=float, default=40.0, help="seconds reminders span")
    parser.add_argument("--first-due", type=int, default=5, help="seconds to the first one")
    parser.add_argument("--sweep-seconds", type=float, default=0.0, help="0: as configured")
    parser.add_argument(
        "--ahead", action=argparse.BooleanOptionalAction, default=True,
        help="the reminder source plans one sweep interval ahead, as the meeting source does",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="tiny run for the smoke test")
    args = parser.parse_args()
    if args.quick:
        args.runs, args.cap_seconds, args.prompts, args.reminders = 1, 0.8, 300, 1
        args.spread, args.first_due, args.sweep_seconds = 0, 1, 1.0
    asyncio.run(main(args))
