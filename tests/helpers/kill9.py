"""kill -9 experiments on `tests.helpers.crash_run` (used by tests/faults and bench/faults.py):
kill the process mid-sweep and mid-dispatch, restart it until it is done, and count what
the platform received against what was planned."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers.crash_run import DUE, expected_keys

ROOT = Path(__file__).resolve().parents[2]
WAIT = 120.0  # a guard against a hung child, not a measurement


@dataclass
class KillReport:
    members: int
    concurrency: int
    kills: list[str] = field(default_factory=list)  # "sweep", "dispatch"
    planned_at_sweep_kill: list[int] = field(default_factory=list)
    sent_at_dispatch_kill: list[int] = field(default_factory=list)
    received: int = 0  # sends the platform saw, duplicates included
    lost: int = 0  # planned prompts never received
    duplicates: int = 0  # sends beyond the first of a prompt
    planned_rows: int = 0
    planned_twice: int = 0  # members with more than one prompt row for the day
    unfinished: int = 0  # outbox rows not 'sent' at the end
    plans_off: int = 0  # plans not moved on by exactly one day (skipped, or moved twice)
    recover_seconds: float = 0.0  # the last restart: from spawn to every row sent

    @property
    def in_flight_bound(self) -> int:
        return len(self.kills) * self.concurrency


def _lines(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


class Child:
    def __init__(self, db: Path, log: Path, n: int, batch: int, concurrency: int) -> None:
        cmd = [sys.executable, "-m", "tests.helpers.crash_run", str(db), str(log), str(n)]
        cmd += [str(batch), str(concurrency)]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        self.started = time.monotonic()
        self.watchdog = threading.Timer(WAIT, self.proc.kill)  # a hung child ends the wait
        self.watchdog.start()

    def line(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline().strip()

    def until(self, wanted: str) -> None:
        while (got := self.line()) != wanted:
            assert got, f"the child ended before saying {wanted!r}"

    def kill(self) -> None:
        self.watchdog.cancel()
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(WAIT)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def finish(self) -> float:
        self.until("done")
        self.watchdog.cancel()
        assert self.proc.wait(WAIT) == 0
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return time.monotonic() - self.started


def _planned(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
    finally:
        conn.close()


def run(
    workdir: Path,
    n: int,
    *,
    batch: int,
    concurrency: int,
    kills: tuple[str, ...] = ("sweep", "dispatch"),
    kill_after_batches: int = 2,
) -> KillReport:
    """Kill the child as each of `kills` says ("sweep": right after a sweep batch committed,
    while more are due; "dispatch": once the platform received a share of the prompts),
    restart it each time, and let the last run finish."""
    db, log = workdir / "crash.db", workdir / "sent.log"
    report = KillReport(members=n, concurrency=concurrency)
    for kind in kills:
        child = Child(db, log, n, batch, concurrency)
        child.until("ready")
        if kind == "sweep":
            child.until(f"swept {kill_after_batches}")
            child.kill()
            report.planned_at_sweep_kill.append(_planned(db))
        else:
            target = len(_lines(log)) + max(1, n // 5)
            deadline = time.monotonic() + WAIT
            while len(_lines(log)) < target and time.monotonic() < deadline:
                time.sleep(0.005)  # watching another process, not waiting for a scheduler
            child.kill()
            report.sent_at_dispatch_kill.append(len(set(_lines(log))))
        report.kills.append(kind)
    report.recover_seconds = Child(db, log, n, batch, concurrency).finish()

    received = Counter(_lines(log))
    expected = expected_keys(n)
    report.received = sum(received.values())
    report.lost = len(expected - set(received))
    report.duplicates = sum(c - 1 for c in received.values())
    conn = sqlite3.connect(db)
    try:
        report.planned_rows = int(conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])
        report.planned_twice = int(
            conn.execute(
                "SELECT COUNT(*) FROM (SELECT member_id FROM outbox"
                " GROUP BY member_id HAVING COUNT(*) > 1)"
            ).fetchone()[0]
        )
        report.unfinished = int(
            conn.execute("SELECT COUNT(*) FROM outbox WHERE status <> 'sent'").fetchone()[0]
        )
        tomorrow = int(DUE.timestamp()) + 86400
        report.plans_off = int(
            conn.execute(
                "SELECT COUNT(*) FROM checkin_plans WHERE next_at <> ?", (tomorrow,)
            ).fetchone()[0]
        )
    finally:
        conn.close()
    return report
