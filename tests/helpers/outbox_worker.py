"""A worker process for the several-process tests and bench/scale.py: it drains the outbox
of a shared database through an adapter that appends each delivered dedupe key to a log file
(fsync'd: a key in the log was delivered), until no row is left pending.

    python -m tests.helpers.outbox_worker DB_URL LOG --lease 2 --concurrency 8 [--delay 0.002]

With --wait, it reads a line from standard input after "ready" before it starts: a test
starts several workers and lets them go together, so each takes a share however loaded the
machine is.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

from bot.kernel.clock import SystemClock
from bot.kernel.config import SchedulerSettings
from bot.kernel.delivery import Delivery
from bot.kernel.dispatcher import Dispatcher
from bot.kernel.pacing import Pacer
from bot.kernel.types import Reply, SendResult, SendStatus
from storage import open_store
from tests.helpers.scripted import ScriptedAdapter


class LogAdapter(ScriptedAdapter):
    def __init__(self, path: str, delay: float, platform: str) -> None:
        super().__init__(platform=platform)
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.delay = None
        self.pause = delay

    async def send(self, reply: Reply) -> SendResult:
        if self.pause:
            await asyncio.sleep(self.pause)  # a network round trip
        os.write(self.fd, f"{reply.dedupe_key}\n".encode())
        os.fsync(self.fd)
        return SendResult(SendStatus.SENT)


async def main(args: argparse.Namespace) -> None:
    store = await open_store(args.db, migrate=False)
    clock = SystemClock()
    adapter = LogAdapter(args.log, args.delay, args.platform)
    delivery = Delivery(
        {adapter.platform: adapter}, {adapter.platform: Pacer(adapter.limits)}, clock, store
    )
    dispatcher = Dispatcher(
        store, delivery, clock, SchedulerSettings(), concurrency=args.concurrency
    )
    dispatcher.lease_seconds = args.lease
    print("ready", flush=True)
    if args.wait:
        await asyncio.to_thread(sys.stdin.readline)
    started = time.monotonic()
    sent = 0
    while True:
        stats = await dispatcher.drain()
        sent += stats.sent
        if stats.sent == 0:
            left = await store.outbox.count(status="pending")
            if left == 0:
                break
            await asyncio.sleep(0.1)  # rows leased by another worker: wait for their lease
    print(f"done {sent} {time.monotonic() - started:.3f}", flush=True)
    await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("log")
    parser.add_argument("--lease", type=int, default=120)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--delay", type=float, default=0.002)
    parser.add_argument("--platform", default="test")
    parser.add_argument("--wait", action="store_true", help="start on a line from stdin")
    asyncio.run(main(parser.parse_args()))
