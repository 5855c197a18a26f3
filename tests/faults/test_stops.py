"""Tidy stops: SIGTERM during a drain and a sweep logs no traceback and burns no attempt; a
second `harbor run` on the same SQLite file refuses with one line; an unopenable database
prints its one line and nothing else; a long sweep is never run twice at once, and the
scheduler says nothing about it."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest

from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import SchedulerSettings, Settings
from bot.kernel.outbox import planned, private_to
from storage import open_store
from storage.sql.store import SQLStore
from tests.fakes.telegram_api import FakeTelegramAPI, JSONDict
from tests.faults.waiting import GUARD, eventually
from tests.helpers.scripted import ScriptedAdapter

ROOT = Path(__file__).resolve().parents[2]
NOISE = (
    "Traceback",
    "CancelledError",
    "Event loop is closed",
    "raised an exception",
    "Task was destroyed",
    "never retrieved",
    "maximum number of running instances",
    "send raised",
)


class SlowTelegram(FakeTelegramAPI):
    """Every sendMessage takes a while: a stop always finds sends in flight."""

    async def _m_sendmessage(self, params: JSONDict) -> object:
        await asyncio.sleep(0.5)
        return await super()._m_sendmessage(params)


async def backlog(db: Path, queued: int) -> None:
    """`queued` private messages ready to send."""
    store = await open_store(db)
    now = int(time.time())
    members = [
        await store.members.touch("telegram", str(1000 + i), f"M{i}", now, True)
        for i in range(queued)
    ]
    await store.outbox.enqueue(
        [
            planned(private_to(m, "hello"), key=f"q{m.id}", kind="prompt", due=now,
                    recipient_id=m.id)
            for m in members
        ]
    )  # fmt: skip
    await store.close()


def due_plans(db: Path, n: int) -> None:
    """`n` members whose daily prompt is due: the next sweep has much to plan, in many
    small batches (written by another connection while Harbor runs, as an import would)."""
    now, first = int(time.time()), 100_000
    conn = sqlite3.connect(db, timeout=10)
    with conn:
        conn.executemany(
            "INSERT INTO members (id, platform, user_id, display_name, has_private_chat,"
            " created_at) VALUES (?, 'telegram', ?, 'P', 1, ?)",
            ((first + i, str(first + i), now) for i in range(n)),
        )
        conn.executemany(
            "INSERT INTO checkin_plans (member_id, enabled, local_time, tz, next_at)"
            " VALUES (?, 1, '00:00', 'UTC', ?)",
            ((first + i, now - 60) for i in range(n)),
        )
    conn.close()


def count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db, timeout=10)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


async def harbor_run(config: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", "--config", str(config),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def test_sigterm_mid_drain_and_mid_sweep_is_quiet_and_a_second_run_is_refused(
    tmp_path: Path,
) -> None:
    db = tmp_path / "run.db"
    await backlog(db, queued=100)
    fake = SlowTelegram()
    await fake.start()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[storage]\nurl = "{db}"\n[telegram]\napi_base_url = "{fake.root_url}"\n'
        "[scheduler]\nsweep_seconds = 0.2\nbatch_size = 5\n"
    )
    env = {**os.environ, "HARBOR_TELEGRAM_TOKEN": fake.token, "PTB_TIMEDELTA": "1"}
    proc = await harbor_run(config, env)
    try:
        await fake.wait_for_call("sendMessage", within=GUARD)
        # A second process on the same file is refused, in one line.
        second = await harbor_run(config, env)
        _, err = await asyncio.wait_for(second.communicate(), GUARD)
        assert second.returncode == 3
        assert err.decode().strip().splitlines() == [
            f"storage: another Harbor process is running on {db}; run one process per"
            " SQLite file (several processes need PostgreSQL)"
        ]
        # Many prompts fall due; stop while the sweep is planning them.
        due_plans(db, 4000)
        deadline = time.monotonic() + GUARD
        while count(db, "SELECT COUNT(*) FROM outbox") <= 100:
            assert time.monotonic() < deadline, "the sweep never started"
            await asyncio.sleep(0.005)
        at_signal = count(db, "SELECT COUNT(*) FROM outbox")
        proc.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(proc.wait(), GUARD)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await fake.stop()
    assert proc.stderr is not None
    errors = (await proc.stderr.read()).decode()
    assert code == 0 and "stopped cleanly" in errors
    assert [n for n in NOISE if n in errors] == [], errors
    # The stop landed mid-sweep; the sweep under way then finishes (bounded, 5 s) or is
    # ended between two all-or-nothing batches: either way quietly, and nothing half-planned.
    assert at_signal < 100 + 4000, "the stop landed after the sweep"
    unplanned = "SELECT COUNT(*) FROM checkin_plans WHERE next_at < strftime('%s')"
    assert count(db, "SELECT COUNT(*) FROM outbox") - 100 + count(db, unplanned) >= 4000
    assert count(db, "SELECT COUNT(*) FROM outbox WHERE status = 'pending'") > 0, (
        "the stop landed mid-drain"
    )
    # Sends cut short by the stop used no attempt (they were not failures).
    assert count(db, "SELECT COUNT(*) FROM outbox WHERE attempts > 0 AND status <> 'sent'") == 0
    claimed = "SELECT COUNT(*) FROM outbox WHERE claimed_until IS NOT NULL AND status = 'pending'"
    assert count(db, claimed) <= 32  # the senders in flight, claimed again at the next start
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()


UNOPENABLE = """
import asyncio, os, sys
from bot.cli import main
from storage import open_store
from storage.errors import StorageError
folder, missing = sys.argv[1], sys.argv[2]
config = os.path.join(folder, "c.toml")
with open(config, "w") as f:
    f.write(f'[storage]\\nurl = "{missing}"\\n')
os.environ["HARBOR_TELEGRAM_TOKEN"] = "123:fake"
async def tool():  # an operator tool opens without the process lock
    try:
        await open_store(missing)
    except StorageError as exc:
        print(f"storage: {exc}", file=sys.stderr)
for _ in range(10):
    assert main(["console", "--db", missing]) == 3
    assert main(["console", "--db", folder]) == 3  # a directory, not a file
    assert main(["run", "--config", config]) == 3
    asyncio.run(tool())
"""


def test_an_unopenable_database_prints_one_line_and_nothing_else(tmp_path: Path) -> None:
    """Before the fix, aiosqlite's worker thread printed "Event loop is closed" after the
    one-line error in about one run in three."""
    missing = tmp_path / "no" / "such" / "dir" / "harbor.db"
    out = subprocess.run(
        [sys.executable, "-c", UNOPENABLE, str(tmp_path), str(missing)],
        cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=GUARD,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 40, out.stderr
    assert all(line.startswith("storage: cannot open database") for line in lines), out.stderr


class LongSweep:
    """A feature whose first sweep takes much longer than the sweep interval."""

    name = "long"

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.calls = 0
        self.running = 0
        self.most_at_once = 0

    async def sweep(self, now: datetime, limit: int) -> int:
        self.calls += 1
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.calls == 1:
                await self.release.wait()
            return 0
        finally:
            self.running -= 1


async def test_a_long_sweep_runs_alone_and_the_scheduler_says_nothing(
    store: SQLStore, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    source = LongSweep()
    settings = Settings(scheduler=SchedulerSettings(sweep_seconds=0.02))
    harbor = build(store, clock, settings, sources=[source])
    stop = asyncio.Event()
    running = asyncio.create_task(harbor.run_forever(stop))
    try:
        await eventually(lambda: source.calls == 1, "the first sweep started")
        # Let many intervals pass while the first sweep is still going (real time is the
        # point here: nothing is asserted about how long anything took).
        await asyncio.sleep(0.3)
        assert source.calls == 1
        source.release.set()
        await eventually(lambda: source.calls >= 3, "the next sweeps followed the long one")
        assert source.most_at_once == 1
    finally:
        stop.set()
        await asyncio.wait_for(running, GUARD)
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert said == []


async def test_a_stop_that_coincides_with_a_wake_up_still_stops(
    tmp_path: Path, clock: ManualClock
) -> None:
    """On Python 3.11, asyncio.wait_for swallowed the cancellation of the idle sender pool
    when a wake-up (a send finishing, a sweep planning rows) arrived in the same moment:
    `harbor run` then never stopped. Each offset lands the cancel at another step of it."""
    for offset in range(4):
        store = await open_store(tmp_path / f"{offset}.db")
        harbor = build(store, clock, Settings(), sources=[])
        harbor.attach(ScriptedAdapter())
        stop = asyncio.Event()
        running = asyncio.create_task(harbor.run_forever(stop))
        await eventually(lambda h=harbor: bool(h.dispatcher._wake), "the pool is waiting")
        await asyncio.sleep(0.05)  # it is idle, waiting to be woken
        harbor.dispatcher.wake()
        for _ in range(offset):
            await asyncio.sleep(0)
        stop.set()
        done, _ = await asyncio.wait({running}, timeout=GUARD)
        assert done, f"run_forever never stopped (offset {offset})"
