"""A Harbor-shaped process for kill -9 experiments: N members with a daily check-in due, the
real check-in sweep (in batches, as the Sweeper runs it) and the dispatcher's continuous
sender pool running at the same time, as in `harbor run`, sending through an adapter that
appends each delivered dedupe key to a log file (what the platform has received).

    python -m tests.helpers.crash_run DB LOG N [BATCH] [CONCURRENCY]

It prints "ready" once the members exist (it creates them on the first run only), "swept K"
after each committed sweep batch, and "done" when every planned row is finished. Run it
again after a kill: it goes on where the file says it stopped, as `harbor run` does.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.checkins.commands import CheckinSource
from bot.kernel.clock import ManualClock
from bot.kernel.scheduling import Sweeper
from bot.kernel.types import Reply, SendResult, SendStatus
from storage import open_store
from storage.sql.store import SQLStore
from tests.helpers.scripted import ScriptedAdapter, wire

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DUE = NOW - timedelta(minutes=1)  # every prompt is due (11:59 UTC), none stale
DAY = DUE.date().isoformat()


class LogAdapter(ScriptedAdapter):
    """A platform that has received a message once its key is in the log. A SIGKILL keeps
    what was written (the kernel holds it), so no fsync: this simulates a dying process,
    not a dying machine."""

    def __init__(self, path: str) -> None:
        super().__init__()
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def send(self, reply: Reply) -> SendResult:
        await asyncio.sleep(0.001)  # a network round trip
        os.write(self.fd, f"{reply.dedupe_key}\n".encode())
        return SendResult(SendStatus.SENT)


def populate(db: Path, n: int) -> None:
    """N members, each with an enabled plan due now (plain SQL: setting up is not measured)."""
    conn = sqlite3.connect(db)
    try:
        if conn.execute("SELECT COUNT(*) FROM members").fetchone()[0] == n:
            return
        ts, due = int(NOW.timestamp()), int(DUE.timestamp())
        with conn:
            conn.executemany(
                "INSERT INTO members (id, platform, user_id, display_name, tz,"
                " has_private_chat, created_at) VALUES (?, 'test', ?, ?, 'UTC', 1, ?)",
                ((i, f"u{i}", f"member{i}", ts) for i in range(1, n + 1)),
            )
            conn.executemany(
                "INSERT INTO checkin_plans (member_id, enabled, local_time, tz, next_at)"
                " VALUES (?, 1, '11:59', 'UTC', ?)",
                ((i, due) for i in range(1, n + 1)),
            )
    finally:
        conn.close()


def expected_keys(n: int) -> set[str]:
    return {f"prompt:{i}:{DAY}" for i in range(1, n + 1)}


class Announced(CheckinSource):
    """The real check-in source; says when each batch is committed, then lets the loop
    serve the senders a moment (as a sweep of many batches does in a busy process)."""

    def __init__(self, store: SQLStore, on_batch: Callable[[], None]) -> None:
        super().__init__(store, timedelta(hours=3), 3)
        self.batches = 0
        self.on_batch = on_batch

    async def sweep(self, now: datetime, limit: int) -> int:
        handled = await super().sweep(now, limit)
        self.batches += 1
        print(f"swept {self.batches}", flush=True)
        self.on_batch()
        await asyncio.sleep(0.005)
        return handled


async def pending(store: SQLStore) -> int:
    return int(await store.db.fetchval("SELECT COUNT(*) FROM outbox WHERE status = 'pending'"))


async def main(db: Path, log: str, n: int, batch: int, concurrency: int) -> None:
    store = await open_store(db, exclusive=True)
    populate(db, n)
    await store.outbox.recover()  # what `harbor run` does first: claims of the dead are freed
    print("ready", flush=True)
    dispatcher, _, _ = wire(store, ManualClock(NOW), LogAdapter(log), concurrency=concurrency)
    senders = asyncio.create_task(dispatcher.run("test"))
    source = Announced(store, dispatcher.wake)
    await Sweeper([source], batch).run(NOW)
    dispatcher.wake()
    while await pending(store):  # noqa: ASYNC110 - the senders' progress is in the database
        await asyncio.sleep(0.01)
    senders.cancel()
    await asyncio.gather(senders, return_exceptions=True)
    await store.close()
    print("done", flush=True)


if __name__ == "__main__":
    args = sys.argv[1:]
    asyncio.run(
        main(
            Path(args[0]),
            args[1],
            int(args[2]),
            int(args[3]) if len(args) > 3 else 50,
            int(args[4]) if len(args) > 4 else 8,
        )
    )
