"""A dispatcher process for the kill test: it plans N prompts (idempotently) and sends them
through an adapter that appends each delivered dedupe key to a log file, slowly."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime

from bot.kernel.clock import ManualClock
from bot.kernel.config import SchedulerSettings
from bot.kernel.dispatcher import Dispatcher, RateLimiter
from bot.kernel.types import Reply, SendResult, SendStatus
from storage.base import OutboxItem
from storage.sqlite import open_sqlite_store

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class LogAdapter:
    platform = "test"

    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def start(self, handler: object) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def send(self, reply: Reply) -> SendResult:
        await asyncio.sleep(0.002)  # a network round trip
        os.write(self.fd, f"{reply.dedupe_key}\n".encode())
        os.fsync(self.fd)
        return SendResult(SendStatus.SENT)


async def main(db: str, log: str, n: int) -> None:
    store = await open_sqlite_store(db)
    ts = int(NOW.timestamp())
    member = await store.members.touch("test", "u", "U", ts, True)
    await store.outbox.enqueue(
        [
            OutboxItem(f"prompt:{i}", "prompt", member.id, "test", "u", True, {"text": "hi"}, ts)
            for i in range(n)
        ]
    )
    dispatcher = Dispatcher(
        store,
        {"test": LogAdapter(log)},
        ManualClock(NOW),
        SchedulerSettings(),
        concurrency=8,
        limiters={"test": RateLimiter(0)},
    )
    print("ready", flush=True)
    await dispatcher.drain()
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
