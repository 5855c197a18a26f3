"""Scale-out on PostgreSQL: many members, several worker processes, a worker killed mid-drain,
and core events with a durable write; the same planning and drain on SQLite (one process)
side by side.

Figures (no targets: the point is the shape, and what one more worker buys):
  load       members and enabled check-in plans bulk-loaded with COPY (PostgreSQL) or
             executemany (SQLite): rows/s
  planning   a simulated day of sweeps (every --sweep-seconds, in batches of the configured
             batch_size) by 1, 2 and 4 sweeping processes at once: prompts planned per second
             of wall time (each prompt exactly once whoever plans it: checked)
  drain      --drain-rows ready rows sent through a null adapter by 1, 2 and 4 worker
             processes (32 concurrent sends each): sent/s and the speed-up per added worker
  kill -9    three workers draining --kill-rows rows, one killed with SIGKILL at ~30 %: rows
             lost, rows sent twice, the killed worker's rows in flight, and the time until the
             others had sent them (bounded by the lease, --lease seconds here)
  events     core events (`/checkin time HH:MM`, one durable write each) on PostgreSQL at
             --rate per second, open loop: p50/p99/max latency

Run: .venv/bin/python bench/scale.py [--members 1000000] [--drain-rows 200000]
         [--kill-rows 100000] [--workers 1,2,4] [--postgres URL] [--quick]
PostgreSQL: --postgres names the server (default HARBOR_TEST_POSTGRES_URL, else
postgresql://postgres@127.0.0.1:5432/postgres); a database is created and dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import asyncpg  # noqa: E402

from bot.checkins.commands import CheckinSource  # noqa: E402
from bot.checkins.model import next_prompt_utc  # noqa: E402
from bot.kernel.clock import ManualClock, SystemClock  # noqa: E402
from bot.kernel.config import Settings  # noqa: E402
from bot.kernel.delivery import Delivery  # noqa: E402
from bot.kernel.dispatcher import Dispatcher, worker_name  # noqa: E402
from bot.kernel.hhmm import parse_hhmm  # noqa: E402
from bot.kernel.pacing import Pacer  # noqa: E402
from bot.kernel.ports import Capabilities, Inbox, Limits  # noqa: E402
from bot.kernel.scheduling import Sweeper  # noqa: E402
from bot.kernel.types import SENT, Incoming, Reply, SendResult  # noqa: E402
from storage import open_store  # noqa: E402
from storage.errors import StorageError  # noqa: E402

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
BODY = '{"text":"Good to see you. Time for your daily check-in.","buttons":[[{"label":"1","data":"ci:mood:1"}]]}'  # noqa: E501


class NullAdapter:
    """Accepts every send at once; with `log`, appends each dedupe key to it (unbuffered, so
    a key written is a key delivered even if the process is killed right after)."""

    platform = "telegram"
    limits = Limits(per_second=0.0)
    capabilities = Capabilities(dm_first=True)

    def __init__(self, log: str | None = None) -> None:
        self.fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if log else None

    async def start(self, inbox: Inbox) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, reply: Reply) -> SendResult:
        if self.fd is not None:
            os.write(self.fd, f"{reply.dedupe_key}\n".encode())
        return SENT

    async def answer(self, event: Incoming, reply: Reply, *, ephemeral: bool) -> SendResult:
        return await self.send(reply)

    async def is_moderator(self, community_id: str, user_id: str) -> bool:
        return False

    def private_link(self, payload: str) -> str | None:
        return None


# -- worker processes ---------------------------------------------------------------------------


async def sweep_worker(url: str, sweep_seconds: float, batch: int, lease: bool = False) -> None:
    """One sweeping process: a simulated day, step by step, as the Sweeper runs it (with
    `lease`, as `harbor run` on PostgreSQL does: one process at a time sweeps the source)."""
    store = await open_store(url, migrate=False)
    source = CheckinSource(store, timedelta(minutes=180), 3)
    if lease:
        sweeper = Sweeper([source], batch, leases=store.leases, holder=worker_name())

        class Leased:
            name = source.name

            async def sweep(self, now: datetime, limit: int) -> int:
                return sum((await sweeper.run(now)).values())

        source = Leased()  # type: ignore[assignment]
        batch = 1  # Sweeper.run already sweeps until nothing is due
    clock = ManualClock(START)
    print("ready", flush=True)
    sys.stdin.readline()  # "go": every process starts together
    started, handled = time.perf_counter(), 0
    steps = int(86400 / sweep_seconds)
    for step in range(1, steps + 1):
        clock.set(START + timedelta(seconds=step * sweep_seconds))
        while True:
            try:
                n = await source.sweep(clock.now(), batch)
            except StorageError as exc:  # as the Sweeper: logged, tried again next sweep
                print(f"sweep failed: {exc}", file=sys.stderr, flush=True)
                break
            handled += n
            if n < batch:
                break
    print(f"done {handled} {time.perf_counter() - started:.3f}", flush=True)
    await store.close()


async def drain_worker(url: str, lease: int, log: str | None) -> None:
    """One sending process: drains until no row is left pending."""
    store = await open_store(url, migrate=False)
    clock = SystemClock()  # leases run on real time: a killed worker's rows come back after it
    adapter = NullAdapter(log)
    delivery = Delivery({"telegram": adapter}, {"telegram": Pacer(adapter.limits)}, clock, store)
    dispatcher = Dispatcher(store, delivery, clock, Settings().scheduler, concurrency=32)
    dispatcher.lease_seconds = lease
    print("ready", flush=True)
    sys.stdin.readline()
    started, sent = time.perf_counter(), 0
    while True:
        stats = await dispatcher.drain()
        sent += stats.sent
        if stats.sent == 0:
            if not await store.outbox.count(status="pending"):
                break
            await asyncio.sleep(0.1)
    print(f"done {sent} {time.perf_counter() - started:.3f}", flush=True)
    await store.close()


def spawn(*args: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, __file__, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if line != "ready":
        raise RuntimeError(f"worker did not start: {line!r}")
    return proc


def go(procs: list[subprocess.Popen[str]]) -> float:
    started = time.perf_counter()
    for p in procs:
        assert p.stdin is not None
        p.stdin.write("go\n")
        p.stdin.flush()
    return started


def finish(procs: list[subprocess.Popen[str]], started: float) -> tuple[int, float]:
    total = 0
    for p in procs:
        assert p.stdout is not None
        out = p.stdout.read().split()
        p.wait()
        if p.returncode != 0 or not out or out[0] != "done":
            raise RuntimeError(f"worker failed ({p.returncode}): {out}")
        total += int(out[1])
    return total, time.perf_counter() - started


# -- set-up -------------------------------------------------------------------------------------


def plans(members: int) -> list[tuple[int, str, str, int]]:
    """(member id, local time, zone, first prompt after START): 30 zones, every minute."""
    zones = {z: ZoneInfo(z) for z in ZONES}
    first: dict[tuple[str, str], int] = {}
    out = []
    for i in range(1, members + 1):
        zone = ZONES[i % len(ZONES)]
        at = f"{(i * 7) % 24:02d}:{(i * 13) % 60:02d}"
        if (zone, at) not in first:
            first[(zone, at)] = int(next_prompt_utc(parse_hhmm(at), zones[zone], START).timestamp())
        out.append((i, at, zone, first[(zone, at)]))
    return out


async def load_postgres(url: str, rows: list[tuple[int, str, str, int]]) -> float:
    now = int(START.timestamp())
    conn = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        await conn.copy_records_to_table(
            "members",
            columns=["id", "platform", "user_id", "display_name", "tz", "has_private_chat",
                     "created_at"],
            records=((i, "telegram", str(10_000_000 + i), f"member{i}", z, 1, now)
                     for i, _, z, _ in rows),
        )
        await conn.copy_records_to_table(
            "checkin_plans",
            columns=["member_id", "enabled", "local_time", "tz", "next_at"],
            records=((i, 1, at, z, first) for i, at, z, first in rows),
        )
        await conn.execute(
            "SELECT setval(pg_get_serial_sequence('members', 'id'), $1)", len(rows))
        await conn.execute("ANALYZE")
        elapsed = time.perf_counter() - started
        await conn.execute("CREATE TABLE bench_plans AS SELECT member_id, next_at"
                           " FROM checkin_plans")
    finally:
        await conn.close()
    return elapsed


def load_sqlite(path: Path, rows: list[tuple[int, str, str, int]]) -> float:
    now = int(START.timestamp())
    con = sqlite3.connect(path)
    started = time.perf_counter()
    with con:
        con.executemany(
            "INSERT INTO members (id, platform, user_id, display_name, tz, has_private_chat,"
            " created_at) VALUES (?, 'telegram', ?, ?, ?, 1, ?)",
            ((i, str(10_000_000 + i), f"member{i}", z, now) for i, _, z, _ in rows),
        )
        con.executemany(
            "INSERT INTO checkin_plans (member_id, enabled, local_time, tz, next_at)"
            " VALUES (?, 1, ?, ?, ?)",
            rows,
        )
    elapsed = time.perf_counter() - started
    with con:
        con.execute("CREATE TABLE bench_plans AS SELECT member_id, next_at FROM checkin_plans")
    con.close()
    return elapsed


RESET_PLANS = (
    "UPDATE checkin_plans SET next_at = b.next_at, nudged_for = NULL FROM bench_plans b"
    " WHERE b.member_id = checkin_plans.member_id"
)


async def sql(url: str, *statements: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        rows: list[asyncpg.Record] = []
        for s in statements:
            rows = await conn.fetch(s)
        return rows
    finally:
        await conn.close()


def ready_rows(n: int) -> tuple[str, ...]:
    """Statements leaving exactly the first `n` planned rows pending and sendable."""
    return (
        "UPDATE outbox SET status = 'parked' WHERE status <> 'parked'",
        f"UPDATE outbox SET status = 'pending', attempts = 0, sent_at = NULL,"
        f" finished_at = NULL, claimed_by = NULL, claimed_until = NULL, stale_at = NULL,"
        f" next_attempt_at = due_at, body = '{BODY}'"
        f" WHERE id IN (SELECT id FROM outbox ORDER BY id LIMIT {n})",
        "VACUUM ANALYZE outbox",
    )


# -- the measurements ---------------------------------------------------------------------------


async def postgres_side(args: argparse.Namespace, url: str, rows: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    store = await open_store(url)  # migrates
    await store.close()
    out["load"] = await load_postgres(url, rows)
    batch = Settings().scheduler.batch_size
    out["planning"] = {}
    if "planning" not in args.parts:
        await sql(url, "TRUNCATE outbox", RESET_PLANS)
        single = spawn("sweep", url, str(args.sweep_seconds), str(batch))
        finish([single], go([single]))  # rows to drain
    for k in args.workers if "planning" in args.parts else ():
        await sql(url, "TRUNCATE outbox", "DELETE FROM leases", RESET_PLANS, "VACUUM ANALYZE")
        mode = ["lease"] if args.sweep_lease else []
        procs = [spawn("sweep", url, str(args.sweep_seconds), str(batch), *mode)
                 for _ in range(k)]
        started = go(procs)
        _, wall = finish(procs, started)
        (count,) = await sql(url, "SELECT COUNT(*) AS n, COUNT(DISTINCT dedupe_key) AS d"
                                  " FROM outbox")
        assert count["n"] == count["d"]
        out["planning"][k] = (int(count["n"]), wall)
        print(f"  planning with {k} process(es): {count['n']:,} in {wall:.1f} s", flush=True)
    out["drain"] = {}
    for k in args.workers if "drain" in args.parts else ():
        await sql(url, *ready_rows(args.drain_rows))
        procs = [spawn("drain", url, "120") for _ in range(k)]
        started = go(procs)
        sent, wall = finish(procs, started)
        out["drain"][k] = (sent, wall)
        print(f"  drain with {k} process(es): {sent:,} in {wall:.1f} s", flush=True)
    if "kill" in args.parts:
        out["kill"] = await kill_run(args, url)
    if "events" in args.parts:
        out["events"] = [await events_run(args, url, rate) for rate in args.rates]
    return out


async def kill_run(args: argparse.Namespace, url: str) -> dict[str, float]:
    await sql(url, *ready_rows(args.kill_rows))
    keys = {r["dedupe_key"] for r in await sql(
        url, "SELECT dedupe_key FROM outbox WHERE status = 'pending'")}
    with tempfile.TemporaryDirectory() as tmp:
        logs = [Path(tmp) / f"w{i}.log" for i in range(3)]
        procs = [spawn("drain", url, str(args.lease), str(log)) for log in logs]
        started = go(procs)
        while True:
            (row,) = await sql(url, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'sent'")
            if row["n"] >= args.kill_rows * 0.3:
                break
            await asyncio.sleep(0.05)
        victim = procs[0]
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        killed_at = time.perf_counter()
        name = f"{socket.gethostname()}:{victim.pid}"
        in_flight = [r["id"] for r in await sql(
            url, f"SELECT id FROM outbox WHERE claimed_by = '{name}' AND status = 'pending'")]
        ids = ", ".join(str(i) for i in in_flight) or "0"
        while True:
            (row,) = await sql(url, f"SELECT COUNT(*) AS n FROM outbox WHERE id IN ({ids})"
                                    " AND status = 'pending'")
            if row["n"] == 0:
                break
            await asyncio.sleep(0.1)
        reclaimed = time.perf_counter() - killed_at
        finish(procs[1:], started)
        delivered = Counter(k for log in logs for k in log.read_text().split())
    return {
        "rows": args.kill_rows,
        "lost": len(keys - set(delivered)),
        "duplicates": sum(c - 1 for c in delivered.values()),
        "in_flight": len(in_flight),
        "reclaimed_s": reclaimed,
        "lease": args.lease,
    }


async def events_run(args: argparse.Namespace, url: str, rate: float) -> dict[str, float]:
    from core_throughput import NullAdapter as EventAdapter
    from core_throughput import make_event, pct, phase_a, phase_b

    from bot.app import build

    store = await open_store(url)
    clock = ManualClock(datetime(2025, 3, 3, 12, 0, tzinfo=UTC))
    harbor = build(store, clock, Settings())
    adapter = EventAdapter()
    harbor.attach(adapter)
    try:
        members = 2000
        await phase_a(harbor, adapter, [make_event(i, members) for i in range(members)], 64)
        closed = await phase_a(harbor, adapter, [make_event(members + i, members)
                                                 for i in range(members)], 64)
        n = int(rate * args.seconds)
        lat = await phase_b(harbor, adapter, [make_event(2 * members + i, members)
                                              for i in range(n)], rate)
        changed = await store.db.fetchval("SELECT COUNT(*) FROM checkin_plans")
    finally:
        await store.close()
    assert changed >= members
    return {"n": n, "rate": rate, "closed": closed, "p50": pct(lat, 0.5) * 1000,
            "p99": pct(lat, 0.99) * 1000, "max": max(lat) * 1000}


async def sqlite_side(args: argparse.Namespace, rows: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scale.db"
        await (await open_store(path)).close()
        out["load"] = load_sqlite(path, rows)
        url = f"sqlite:///{path}"
        proc = spawn("sweep", url, str(args.sweep_seconds), str(Settings().scheduler.batch_size))
        _, wall = finish([proc], go([proc]))
        con = sqlite3.connect(path)
        planned = con.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
        out["planning"] = (planned, wall)
        print(f"  SQLite planning: {planned:,} in {wall:.1f} s", flush=True)
        with con:
            for s in ready_rows(args.drain_rows)[:2]:
                con.execute(s)
        con.close()
        proc = spawn("drain", url, "120")
        out["drain"] = finish([proc], go([proc]))
        print(f"  SQLite drain: {out['drain'][0]:,} in {out['drain'][1]:.1f} s", flush=True)
    return out


# -- the report ---------------------------------------------------------------------------------


def report(args: argparse.Namespace, pg: dict[str, Any], lite: dict[str, Any] | None) -> None:
    n = args.members
    print(f"\nscale: {n:,} members, 30 zones, daily check-ins; PostgreSQL "
          f"{pg['server']} on this machine ({os.cpu_count()} cores); null adapter")
    print(f"load: PostgreSQL COPY {2 * n / pg['load']:,.0f} rows/s ({pg['load']:.1f} s)"
          + (f"; SQLite executemany {2 * n / lite['load']:,.0f} rows/s ({lite['load']:.1f} s)"
             if lite else ""))
    how = ", one process at a time per source (lease)" if args.sweep_lease else ""
    print(f"planning: a simulated day, a sweep every {args.sweep_seconds:g} s{how}")
    print(f"  {'processes':>10} {'planned':>10} {'wall s':>8} {'planned/s':>10} {'speed-up':>9}")
    base = None
    for k, (planned, wall) in pg["planning"].items():
        rate = planned / wall
        base = base or rate
        print(f"  {k:>10} {planned:>10,} {wall:>8.1f} {rate:>10,.0f} {rate / base:>8.2f}x")
    if lite:
        planned, wall = lite["planning"]
        print(f"  {'SQLite 1':>10} {planned:>10,} {wall:>8.1f} {planned / wall:>10,.0f}")
    print(f"drain: {args.drain_rows:,} ready rows, null adapter, 32 sends in flight per process")
    print(f"  {'processes':>10} {'sent':>10} {'wall s':>8} {'sent/s':>10} {'speed-up':>9}"
          f" {'per added':>10}")
    base = prev = None
    for k, (sent, wall) in pg["drain"].items():
        rate = sent / wall
        base = base or rate
        added = "" if prev is None else f"{(rate - prev[1]) / (k - prev[0]):>+10,.0f}"
        print(f"  {k:>10} {sent:>10,} {wall:>8.1f} {rate:>10,.0f} {rate / base:>8.2f}x {added}")
        prev = (k, rate)
    if lite:
        sent, wall = lite["drain"]
        print(f"  {'SQLite 1':>10} {sent:>10,} {wall:>8.1f} {sent / wall:>10,.0f}")
    if "kill" in pg:
        k = pg["kill"]
        print(f"kill -9: 3 workers draining {k['rows']:,} rows, one killed at ~30 %:"
              f" lost {k['lost']}, sent twice {k['duplicates']} (its rows in flight:"
              f" {k['in_flight']}), re-claimed {k['reclaimed_s']:.1f} s after the kill"
              f" (lease {k['lease']} s)")
    for e in pg.get("events", []):
        print(f"events: /checkin time (one durable PostgreSQL write each): closed loop"
              f" {e['closed']:,.0f} events/s; {e['n']:,} at {e['rate']:,.0f}/s open loop:"
              f" p50 {e['p50']:.2f} ms  p99 {e['p99']:.2f} ms  max {e['max']:.2f} ms")


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


async def main(args: argparse.Namespace) -> int:
    server = args.postgres or os.environ.get("HARBOR_TEST_POSTGRES_URL") or (
        "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"harbor_bench_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(server)
    await admin.execute(f"CREATE DATABASE {name}")
    await admin.close()
    url = with_database(server, name)
    try:
        print(f"setting up {args.members:,} members ...", flush=True)
        rows = plans(args.members)
        pg = await postgres_side(args, url, rows)
        pg["server"] = (await sql(url, "SHOW server_version"))[0][0]
        lite = None if "sqlite" not in args.parts else await sqlite_side(args, rows)
    finally:
        admin = await asyncpg.connect(server)
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()
    report(args, pg, lite)
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--members", type=int, default=1_000_000)
    p.add_argument("--drain-rows", type=int, default=200_000)
    p.add_argument("--kill-rows", type=int, default=100_000)
    p.add_argument("--workers", default="1,2,4")
    p.add_argument("--sweep-seconds", type=float, default=Settings().scheduler.sweep_seconds)
    p.add_argument("--lease", type=int, default=15, help="the kill run's lease, seconds")
    p.add_argument("--rate", default="1000", help="open-loop event rates per second, e.g. 200,1000")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--postgres", help="a PostgreSQL server URL (a database is made and dropped)")
    p.add_argument(
        "--parts",
        default="planning,drain,kill,events,sqlite",
        help="what to measure (comma list of planning, drain, kill, events, sqlite)",
    )
    p.add_argument(
        "--sweep-lease",
        action="store_true",
        help="sweep as harbor run does on PostgreSQL: one process at a time per source",
    )
    p.add_argument("--quick", action="store_true", help="a tiny run that checks it all works")
    args = p.parse_args(argv)
    args.workers = [int(k) for k in args.workers.split(",")]
    args.parts = set(args.parts.split(","))
    args.rates = [float(r) for r in args.rate.split(",")]
    if args.quick:
        args.members, args.drain_rows, args.kill_rows = 3000, 2000, 2000
        args.sweep_seconds, args.lease, args.seconds, args.rates = 600.0, 2, 1.0, [200.0]
    return args


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "sweep":
        lease = len(sys.argv) > 5 and sys.argv[5] == "lease"
        asyncio.run(sweep_worker(sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), lease))
    elif len(sys.argv) > 1 and sys.argv[1] == "drain":
        asyncio.run(drain_worker(sys.argv[2], int(sys.argv[3]),
                                 sys.argv[4] if len(sys.argv) > 4 else None))
    else:
        sys.exit(asyncio.run(main(parse())))
