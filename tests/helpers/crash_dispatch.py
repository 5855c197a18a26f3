"""A dispatcher process for the kill test: it plans N prompts (idempotently) and sends them
through an adapter that appends each delivered dedupe key to a log file, slowly."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime

from bot.kernel.clock import ManualClock
from bot.kernel.outbox import planned, private_to
from bot.kernel.types import Reply, SendResult, SendStatus
from storage import open_store
from tests.helpers.scripted import ScriptedAdapter, wire

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class LogAdapter(ScriptedAdapter):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    async def send(self, reply: Reply) -> SendResult:
        await asyncio.sleep(0.002)  # a network round trip
        os.write(self.fd, f"{reply.dedupe_key}\n".encode())
        os.fsync(self.fd)
        return SendResult(SendStatus.SENT)


async def main(db: str, log: str, n: int) -> None:
    store = await open_store(db)
    ts = int(NOW.timestamp())
    member = await store.members.touch("test", "u", "U", ts, True)
    await store.outbox.enqueue(
        [
            planned(
                private_to(member, "hi"),
                key=f"prompt:{i}",
                kind="prompt",
                due=ts,
                recipient_id=member.id,
            )
            for i in range(n)
        ]
    )
    await store.outbox.recover()  # what `harbor run` does first: claims of the dead are freed
    dispatcher, _, _ = wire(store, ManualClock(NOW), LogAdapter(log), concurrency=8)
    print("ready", flush=True)
    await dispatcher.drain()
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
