"""Daily-prompt fan-out: 100,000 members over 30 time zones, all with a daily check-in prompt.

Figures (targets from the issue):
  planning  CPU of all sweeps of a simulated day (<= 10 s); one sweep of 10,000 due (<= 1 s)
  dispatch  null adapter, no rate cap (>= 5,000 prompts/s); Telegram cap sustained (>= 95 %)
  memory    RSS of this process with 100,000 members (<= 150 MB)
  compare   one APScheduler CronTrigger job per member, in a separate process: add time, RSS

Run: .venv/bin/python bench/fanout.py [--members N] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build_sources
from bot.checkins.commands import CheckinSource
from bot.checkins.model import next_prompt_utc
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.delivery import Delivery
from bot.kernel.dispatcher import Dispatcher
from bot.kernel.hhmm import parse_hhmm
from bot.kernel.pacing import Pacer
from bot.kernel.ports import Capabilities, Inbox, Limits
from bot.kernel.scheduling import Sweeper
from bot.kernel.types import SENT, Incoming, Reply, SendResult
from storage import open_store
from storage.sql.store import SQLStore

ZONES = (
    "Pacific/Honolulu", "America/Anchorage", "America/Los_Angeles", "America/Denver",
    "America/Chicago", "America/New_York", "America/Sao_Paulo", "America/Argentina/Buenos_Aires",
    "America/St_Johns", "Atlantic/Azores", "Europe/London", "Europe/Dublin", "Europe/Madrid",
    "Europe/Berlin", "Europe/Athens", "Africa/Cairo", "Africa/Lagos", "Africa/Nairobi",
    "Europe/Moscow", "Asia/Tehran", "Asia/Dubai", "Asia/Karachi", "Asia/Kolkata",
    "Asia/Kathmandu", "Asia/Bangkok", "Asia/Shanghai", "Asia/Tokyo", "Australia/Adelaide",
    "Australia/Sydney", "Pacific/Auckland",
)  # fmt: skip
START = datetime(2025, 3, 3, 0, 0, tzinfo=UTC)

T_DAY_CPU, T_SWEEP, T_NULL, T_CAP, T_RSS = 10.0, 1.0, 5000.0, 0.95, 150.0


class NullAdapter:
    """Accepts every reply at once; records when each was sent."""

    platform = "telegram"
    capabilities = Capabilities(dm_first=True)

    def __init__(self, per_second: float = 0.0) -> None:
        self.limits = Limits(per_second=per_second, group_per_minute=20)
        self.times: list[float] = []

    async def start(self, inbox: Inbox) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, reply: Reply) -> SendResult:
        self.times.append(time.monotonic())
        return SENT

    async def answer(self, event: Incoming, reply: Reply, *, ephemeral: bool) -> SendResult:
        return await self.send(reply)

    async def is_moderator(self, community_id: str, user_id: str) -> bool:
        return False

    def private_link(self, payload: str) -> str | None:
        return None


def dispatcher_for(
    store: SQLStore, clock: ManualClock, settings: Settings, adapter: NullAdapter, concurrency: int
) -> Dispatcher:
    pacer = Pacer(adapter.limits)
    delivery = Delivery({"telegram": adapter}, {"telegram": pacer}, clock, store)
    return Dispatcher(store, delivery, clock, settings.scheduler, concurrency=concurrency)


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size of this process, in MB."""
    fields: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def io_counters() -> dict[str, int]:
    """This process's I/O so far (/proc/self/io): `wchar` counts every write() call (the
    WAL, checkpoints), `write_bytes` what reached the block layer."""
    fields = {}
    for line in Path("/proc/self/io").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = int(value)
    return fields


BURST_ZONE, BURST_TIME = "America/New_York", "09:00"


def member_plan(i: int, bursty: bool = False) -> tuple[str, str]:
    """Member i's zone and local prompt time: zones round-robin, times spread over the day;
    `bursty`: every other member at 09:00 in one zone instead (the morning rush)."""
    if bursty and i % 2 == 0:
        return BURST_ZONE, BURST_TIME
    minute = (i * 7919) % 1440
    return ZONES[i % len(ZONES)], f"{minute // 60:02d}:{minute % 60:02d}"


def populate(path: Path, members: int, bursty: bool = False) -> None:
    """Members and enabled plans with plain sqlite3 executemany (the store made the schema)."""
    now = int(START.timestamp())
    zones = {z: ZoneInfo(z) for z in (*ZONES, BURST_ZONE)}
    first: dict[tuple[str, str], int] = {}  # (zone, time) -> first prompt after START
    plans = []
    for i in range(1, members + 1):
        zone, at = member_plan(i, bursty)
        key = (zone, at)
        if key not in first:
            first[key] = int(next_prompt_utc(parse_hhmm(at), zones[zone], START).timestamp())
        plans.append((i, at, zone, first[key]))
    con = sqlite3.connect(path)
    with con:
        con.executemany(
            "INSERT INTO members (id, platform, user_id, display_name, tz, has_private_chat,"
            " created_at) VALUES (?, 'telegram', ?, ?, ?, 1, ?)",
            ((i, str(10_000_000 + i), f"member{i}", p[2], now) for i, p in enumerate(plans, 1)),
        )
        con.executemany(
            "INSERT INTO checkin_plans (member_id, enabled, local_time, tz, next_at)"
            " VALUES (?, 1, ?, ?, ?)",
            plans,
        )
    con.close()


async def sweep_all(source: CheckinSource, now: datetime, batch: int) -> int:
    """What the Sweeper does for this source: batches until fewer than `batch` are due."""
    total = 0
    while True:
        n = await source.sweep(now, batch)
        total += n
        if n < batch:
            return total


async def outbox_count(store: SQLStore) -> int:
    return int(await store.db.fetchval("SELECT COUNT(*) FROM outbox"))


async def capped_rate(
    store: SQLStore, clock: ManualClock, settings: Settings, cap: float, seconds: float
) -> float:
    """Sustained sends/s under the pacer at `cap`, excluding its initial one-second burst."""
    adapter = NullAdapter(cap)
    dispatcher = dispatcher_for(store, clock, settings, adapter, 32)
    burst = int(cap) + 1
    await dispatcher.drain(max_rows=burst + int(cap * seconds))
    ts = adapter.times
    return (len(ts) - 1 - burst) / (ts[-1] - ts[burst])


async def harbor_side(args: argparse.Namespace) -> dict[str, float]:
    settings = Settings()
    batch = settings.scheduler.batch_size
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fanout.db"
        await (await open_store(path)).close()  # create the schema
        t0 = time.perf_counter()
        populate(path, args.members, args.bursty)
        out["populate_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        store = await open_store(path)
        out["open_s"] = time.perf_counter() - t0
        try:
            clock = ManualClock(START)
            source = CheckinSource(
                store, timedelta(minutes=settings.scheduler.stale_after_minutes),
                settings.scheduler.nudge_after_days,
            )  # fmt: skip

            # Planning: a simulated day, one sweep every `sweep_seconds` of clock time.
            steps = int(86400 / args.sweep_seconds)
            io0 = io_counters()
            cpu0, wall0 = time.process_time(), time.perf_counter()
            # Every source, as the Sweeper runs them (the others find nothing due, but an
            # empty sweep is what they cost every `sweep_seconds` all day).
            sources = build_sources(store, settings) if args.all_sources else [source]
            sweeper = Sweeper(sources, batch)
            for step in range(1, steps + 1):
                clock.set(START + timedelta(seconds=step * args.sweep_seconds))
                await sweeper.run(clock.now())
            out["day_cpu_s"] = time.process_time() - cpu0
            out["day_wall_s"] = time.perf_counter() - wall0
            out["sweeps"] = steps
            out["day_planned"] = await outbox_count(store)
            io1 = io_counters()
            out["day_write_bytes"] = io1["write_bytes"] - io0["write_bytes"]
            out["day_wchar"] = io1["wchar"] - io0["wchar"]

            # One sweep of 10,000 due: a day later every plan is due again; take 10,000.
            one = min(10_000, args.members)
            clock.set(START + timedelta(days=2))
            cpu0, wall0 = time.process_time(), time.perf_counter()
            out["one_handled"] = await source.sweep(clock.now(), one)
            out["one_cpu_s"] = time.process_time() - cpu0
            out["one_wall_s"] = time.perf_counter() - wall0

            # Dispatch: the outbox now holds the day's prompts. They would be stale by the
            # simulated clock, so clear stale_at: this measures sending, not skipping.
            await store.db.execute(
                "UPDATE outbox SET stale_at = NULL, expires_at = NULL, claimed_until = NULL"
            )
            adapter = NullAdapter()
            dispatcher = dispatcher_for(store, clock, settings, adapter, args.concurrency)
            wall0 = time.perf_counter()
            stats = await dispatcher.drain(max_rows=args.dispatch_rows)
            out["null_sent"] = stats.sent
            out["null_rate"] = stats.sent / (time.perf_counter() - wall0)

            out["cap_default"] = settings.telegram.per_second
            out["cap_default_rate"] = await capped_rate(
                store, clock, settings, out["cap_default"], args.cap_seconds
            )
            out["cap_real_rate"] = await capped_rate(store, clock, settings, 30.0, args.cap_seconds)
            gc.collect()
            out["rss_mb"], out["peak_mb"] = rss_mb()
        finally:
            await store.close()
    return out


# The comparison runs in a fresh interpreter that imports only APScheduler, so its RSS is
# APScheduler's and its jobs', not Harbor's.
APSCHEDULER_CHILD = """
import gc, json, sys, time
from pathlib import Path
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

def rss():
    f = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        k, _, v = line.partition(":")
        f[k] = int(v.split()[0]) / 1024 if k in ("VmRSS", "VmHWM") else 0
    return f["VmRSS"], f["VmHWM"]

def send_prompt(member_id):  # the job body; never runs here
    pass

spec = json.loads(sys.stdin.read())
scheduler = BackgroundScheduler(timezone="UTC")
scheduler.start(paused=True)  # running, as in a bot, but no job fires during the test
base = rss()[0]
t0 = time.perf_counter()
zones = spec["zones"]
for i in range(1, spec["members"] + 1):
    minute = (i * 7919) % 1440  # the same plan as member_plan() in fanout.py
    zone, hour, minute = zones[i % len(zones)], minute // 60, minute % 60
    scheduler.add_job(send_prompt, CronTrigger(hour=hour, minute=minute, timezone=zone),
                      args=(i,), id=f"prompt:{i}")
add_s = time.perf_counter() - t0
gc.collect()
now, peak = rss()
scheduler.shutdown(wait=False)
print(json.dumps({"add_s": add_s, "rss_mb": now, "peak_mb": peak, "base_mb": base}))
"""


def run_apscheduler(members: int) -> dict[str, float]:
    """One CronTrigger job per member in a MemoryJobStore: add time and RSS, as JSON."""
    spec = json.dumps({"members": members, "zones": ZONES})
    proc = subprocess.run(
        [sys.executable, "-c", APSCHEDULER_CHILD], input=spec, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"APScheduler child failed:\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report(args: argparse.Namespace, h: dict[str, float], a: dict[str, float]) -> None:
    n = args.members
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (2 cores; others' work counts)")
    print(f"fanout: {n:,} members, {len(ZONES)} time zones, SQLite file on disk")
    print(f"setup: populate {h['populate_s']:.2f} s (executemany), open store {h['open_s']:.3f} s")
    print(
        f"planning: simulated day, {int(h['sweeps'])} sweeps every {args.sweep_seconds:g} s"
        f" ({'all sources' if args.all_sources else 'check-ins only'},"
        f" {'bursty: half at 09:00 New York' if args.bursty else 'spread evenly'}):"
        f" CPU {h['day_cpu_s']:.2f} s (wall {h['day_wall_s']:.2f} s), planned"
        f" {int(h['day_planned']):,} prompts  (target <= {T_DAY_CPU:g} s CPU:"
        f" {verdict(h['day_cpu_s'] <= T_DAY_CPU)})"
    )
    planned = max(1, int(h["day_planned"]))
    print(
        f"planning: bytes written per planned prompt: {h['day_wchar'] / planned:,.0f} B by"
        f" write() calls (WAL and checkpoints), {h['day_write_bytes'] / planned:,.0f} B"
        " reaching the disk (block layer)"
    )
    print(
        f"planning: one sweep of {int(h['one_handled']):,} due: wall {h['one_wall_s']:.3f} s"
        f" (CPU {h['one_cpu_s']:.3f} s)  (target <= {T_SWEEP:g} s:"
        f" {verdict(h['one_wall_s'] <= T_SWEEP)})"
    )
    print(
        f"dispatch: null adapter, no cap, concurrency {args.concurrency}:"
        f" {int(h['null_sent']):,} sent at {h['null_rate']:,.0f} prompts/s"
        f"  (target >= {T_NULL:,.0f}/s: {verdict(h['null_rate'] >= T_NULL)})"
    )
    for label, cap, rate in (
        ("configured", h["cap_default"], h["cap_default_rate"]),
        ("real ~30/s", 30.0, h["cap_real_rate"]),
    ):
        print(
            f"dispatch: Telegram cap {cap:g}/s ({label}): sustained {rate:.2f}/s ="
            f" {rate / cap:.1%} of cap  (target >= {T_CAP:.0%}: {verdict(rate / cap >= T_CAP)})"
        )
    print(
        f"memory: RSS {h['rss_mb']:.1f} MB (peak {h['peak_mb']:.1f} MB) with {n:,} members"
        f"  (target <= {T_RSS:g} MB: {verdict(h['rss_mb'] <= T_RSS)})"
    )
    print("compare: Harbor (schedule in SQLite) vs APScheduler (one CronTrigger job per member)")
    print(f"  {'':34}{'Harbor':>12}{'APScheduler':>14}{'ratio':>9}")
    rows = (
        ("register all schedules (s)", h["populate_s"], a["add_s"]),
        ("load schedules at start-up (s)", h["open_s"], a["add_s"]),
        ("process RSS (MB)", h["rss_mb"], a["rss_mb"]),
    )
    for name, ours, theirs in rows:
        print(f"  {name:34}{ours:>12.3f}{theirs:>14.3f}{theirs / ours:>8.1f}x")
    print(
        f"  (APScheduler process before adding jobs: {a['base_mb']:.1f} MB; its jobs live in"
        " memory, so start-up re-adds them all)"
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Daily-prompt fan-out benchmark.")
    p.add_argument("--members", type=int, default=100_000)
    p.add_argument(
        "--sweep-seconds",
        type=float,
        default=Settings().scheduler.sweep_seconds,
        help="clock time between sweeps (default: the configured sweep_seconds)",
    )
    p.add_argument("--dispatch-rows", type=int, default=30_000, help="rows for the null drain")
    p.add_argument("--concurrency", type=int, default=64, help="dispatcher chunk size")
    p.add_argument("--cap-seconds", type=float, default=10.0, help="time per capped run")
    p.add_argument(
        "--all-sources", action=argparse.BooleanOptionalAction, default=True,
        help="sweep every source (--no-all-sources: the check-in source alone)",
    )  # fmt: skip
    p.add_argument(
        "--bursty", action=argparse.BooleanOptionalAction, default=True,
        help="half the members at 09:00 in one zone (--no-bursty: spread over the day)",
    )  # fmt: skip
    p.add_argument("--quick", action="store_true", help="a tiny run (smoke test)")
    args = p.parse_args(argv)
    if args.quick:
        args.members, args.sweep_seconds = 1000, 1800.0
        args.dispatch_rows, args.cap_seconds = 300, 0.3
    return args


def main() -> int:
    args = parse()
    harbor = asyncio.run(harbor_side(args))
    report(args, harbor, run_apscheduler(args.members))
    return 0


if __name__ == "__main__":
    sys.exit(main())
