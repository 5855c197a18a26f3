"""The dispatcher drains the outbox, one independent sender pool per platform.

Guarantees: a row is marked sent only after the platform confirmed it, so a crash re-sends
at most the rows in flight; rows are claimed with a lease, so several workers never send
one twice; the most urgent rows go first (crisis, then reminders and milestones, then bulk
prompts); a busy chat or a "retry after" reschedules the row without counting an attempt;
transient failures back off exponentially up to `max_attempts`; a member who blocked the
bot has their private rows held until they write again; a row still unsent past its stale
time is skipped, and past its expiry ends as "expired", visibly. The pool is continuous:
a slow send holds up nothing but itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from bot.kernel.clock import Clock
from bot.kernel.config import SchedulerSettings
from bot.kernel.core import log_failure
from bot.kernel.delivery import Delivery, chat_key
from bot.kernel.outbox import reply_for
from bot.kernel.types import SendResult, SendStatus
from storage.base import Store
from storage.errors import StorageError
from storage.rows import OutboxRow

log = logging.getLogger("harbor.dispatch")

LEASE_SECONDS = 120  # a claimed row is another worker's to send after this


@dataclass
class DispatchStats:
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    deferred: int = 0
    failed: int = 0
    held: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    def add(self, other: DispatchStats) -> None:
        for name in ("sent", "skipped", "retried", "deferred", "failed", "held"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for k, v in other.by_status.items():
            self.by_status[k] = self.by_status.get(k, 0) + v


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Dispatcher:
    def __init__(
        self,
        store: Store,
        delivery: Delivery,
        clock: Clock,
        settings: SchedulerSettings,
        *,
        concurrency: int = 32,
        worker: str | None = None,
    ) -> None:
        self.store = store
        self.delivery = delivery
        self.clock = clock
        self.settings = settings
        self.concurrency = concurrency
        self.worker = worker or worker_name()
        self.lease_seconds = LEASE_SECONDS  # how long a claimed row stays this worker's
        self._wake: dict[str, asyncio.Event] = {}

    @property
    def platforms(self) -> Sequence[str]:
        return tuple(self.delivery.adapters)

    def wake(self) -> None:
        """New rows may be ready (a sweep planned some, a reply was queued)."""
        for event in self._wake.values():
            event.set()

    # -- one pass (tests, the console's :time, one-shot tools) ---------------------------------
    async def drain(self, max_rows: int | None = None) -> DispatchStats:
        """Send what is ready now on every platform, until nothing is (or max_rows)."""
        stats = DispatchStats()
        for platform in self.platforms:
            stats.add(await self._drain_platform(platform, max_rows))
        return stats

    async def _drain_platform(self, platform: str, max_rows: int | None) -> DispatchStats:
        stats = DispatchStats()
        handled = 0
        while max_rows is None or handled < max_rows:
            limit = (
                self.concurrency if max_rows is None else min(self.concurrency, max_rows - handled)
            )
            rows = await self._claim(platform, limit)
            if not rows:
                break
            await asyncio.gather(*(self._one(row, stats) for row in rows))
            handled += len(rows)
        return stats

    # -- the continuous pool (harbor run) ------------------------------------------------------
    async def run(self, platform: str) -> None:
        """Keep `platform`'s sends flowing until cancelled: claim as many rows as there are
        free senders, start each on its own, and claim again as each finishes."""
        wake = self._wake.setdefault(platform, asyncio.Event())
        running: set[asyncio.Task[None]] = set()
        stats = DispatchStats()
        try:
            while True:
                free = self.concurrency - len(running)
                rows: list[OutboxRow] = []
                if free > 0:
                    try:
                        rows = await self._claim(platform, free)
                    except StorageError as exc:
                        log.warning("claiming %s rows failed: %s", platform, exc)
                for row in rows:
                    task = asyncio.create_task(self._one(row, stats))
                    running.add(task)
                    task.add_done_callback(running.discard)
                    task.add_done_callback(lambda _t: wake.set())
                if rows and len(running) < self.concurrency:
                    continue  # there may be more ready right now
                wake.clear()
                # asyncio.timeout, not wait_for: on Python 3.11, wait_for swallows a
                # cancellation that arrives as the wake-up does, and the pool never stops.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(1.0):
                        await wake.wait()
        except asyncio.CancelledError:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
            raise

    # -- a row ---------------------------------------------------------------------------------
    async def _claim(self, platform: str, limit: int) -> list[OutboxRow]:
        now = int(self.clock.now().timestamp())
        return await self.store.outbox.claim(
            platform, now, limit, lease_until=now + self.lease_seconds, worker=self.worker
        )

    async def _one(self, row: OutboxRow, stats: DispatchStats) -> None:
        try:
            await self._send_row(row, stats)
        except StorageError as exc:  # the lease expires and the row is claimed again
            log.warning("recording an outbox row failed: %s", exc)
        except Exception as exc:
            log_failure(f"dispatching a {row.kind} row", exc)

    async def _send_row(self, row: OutboxRow, stats: DispatchStats) -> None:
        outbox = self.store.outbox
        ts = int(self.clock.now().timestamp())
        reply = reply_for(row)
        if row.stale_at is not None and ts > row.stale_at:
            if reply.late_text is None:
                await outbox.mark_skipped(row.id, "stale: planned before downtime")
                stats.skipped += 1
                return
            reply = replace(reply, text=reply.late_text)  # late, and it says so
        if row.platform not in self.delivery.adapters:
            await outbox.retry_later(
                row.id,
                ts + 300,
                "no adapter running for this platform",
                give_up=row.attempts + 1 >= self.settings.max_attempts,
            )
            stats.retried += 1
            return
        pacer = self.delivery.pacers.get(row.platform)
        if pacer is not None:
            wait = pacer.wait_for(*chat_key(reply))
            if wait > 0:
                # Pacing, not failure: the row waits its turn without using an attempt.
                await outbox.defer(row.id, ts + math.ceil(wait), "paced")
                stats.deferred += 1
                return
        result = await self.delivery.scheduled(reply)
        await self._record(row, result, ts, stats)

    async def _record(
        self, row: OutboxRow, result: SendResult, ts: int, stats: DispatchStats
    ) -> None:
        outbox = self.store.outbox
        status = result.status
        stats.by_status[status.value] = stats.by_status.get(status.value, 0) + 1
        if status is SendStatus.SENT:
            await outbox.mark_sent(row.id, ts)
            stats.sent += 1
        elif result.unreachable and row.private and row.member_id is not None:
            await self.store.members.set_paused(row.member_id, True)
            await outbox.hold_member(row.member_id)
            stats.held += 1
        elif status is SendStatus.MOVED and result.moved_to:
            await outbox.move_chat(row.platform, row.chat_id, result.moved_to)
            await self.store.communities.move(row.platform, row.chat_id, result.moved_to)
            await outbox.defer(row.id, ts, f"chat moved to {result.moved_to}")
            stats.deferred += 1
        elif status in (SendStatus.BLOCKED, SendStatus.NO_PRIVATE_CHAT, SendStatus.REJECTED):
            await outbox.mark_skipped(row.id, f"{status.value}: {result.detail}")
            stats.skipped += 1
        elif status is SendStatus.RETRY_AFTER:
            wait = max(1.0, result.retry_after or 1.0)
            await outbox.defer(row.id, ts + math.ceil(wait), "retry after")
            stats.deferred += 1
        else:
            attempts = row.attempts + 1
            give_up = attempts >= self.settings.max_attempts
            backoff = min(3600, 5 * 2 ** (attempts - 1)) * random.uniform(0.8, 1.2)
            await outbox.retry_later(
                row.id, ts + int(backoff), f"failed: {result.detail}", give_up=give_up
            )
            stats.failed += int(give_up)
            stats.retried += int(not give_up)
