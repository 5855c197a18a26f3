"""The dispatcher drains the outbox through the adapters at each platform's rate.

Guarantees: a row is marked sent only after the adapter confirmed it, so a crash re-sends at
most the rows in flight; transient failures back off exponentially; "retry after N s" is
obeyed; a member who blocked the bot has their private rows held until they write again; a
row still unsent past its stale time (after downtime) is skipped rather than sent late.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from bot.kernel.clock import Clock
from bot.kernel.config import SchedulerSettings
from bot.kernel.core import log_failure
from bot.kernel.ports import Adapter
from bot.kernel.types import Button, ChatRef, Member, Reply, SendResult, SendStatus
from storage.base import OutboxRow, Store

log = logging.getLogger("harbor.dispatch")


class RateLimiter:
    """Paces sends to `rate` per second (a token bucket with a burst of one second's worth),
    on real monotonic time, since platform limits are about real time."""

    def __init__(
        self,
        rate: float,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = rate
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._monotonic = monotonic
        self._sleep = sleep
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        if self._interval == 0:
            return
        async with self._lock:
            now = self._monotonic()
            # Allow at most a one-second burst after idling.
            start = max(self._next, now - 1.0 + self._interval)
            wait = start - now
            self._next = start + self._interval
            if wait > 0:
                await self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """The platform said "retry after": nothing goes out before then."""
        self._next = max(self._next, self._monotonic() + seconds)


class ChatWindow:
    """At most `per_minute` messages to one group chat in any 60 s (Telegram's group limit)."""

    def __init__(self, per_minute: int, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._monotonic = monotonic
        self._sent: dict[str, list[float]] = {}

    def wait_for(self, chat_id: str) -> float:
        """Seconds until `chat_id` may take another message (0: now); records it if 0."""
        now = self._monotonic()
        recent = [t for t in self._sent.get(chat_id, []) if now - t < 60.0]
        if len(recent) >= self.per_minute:
            self._sent[chat_id] = recent
            return 60.0 - (now - recent[0])
        recent.append(now)
        self._sent[chat_id] = recent
        return 0.0


@dataclass
class DispatchStats:
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0
    by_status: dict[str, int] = field(default_factory=dict)


def reply_for(row: OutboxRow) -> Reply:
    """Rebuild the neutral reply an outbox row stands for."""
    buttons = tuple(
        tuple(Button(label, data) for label, data in r) for r in row.body.get("buttons", [])
    )
    member = None
    if row.private and row.user_id is not None:
        member = Member(row.platform, row.user_id, row.display_name)
    chat = ChatRef(row.platform, row.chat_id, private=row.private, thread_id=row.thread_id)
    return Reply(
        chat=chat,
        text=str(row.body.get("text", "")),
        buttons=buttons,
        private=row.private,
        member=member,
        dedupe_key=row.dedupe_key,
    )


class Dispatcher:
    def __init__(
        self,
        store: Store,
        adapters: Mapping[str, Adapter],
        clock: Clock,
        settings: SchedulerSettings,
        *,
        concurrency: int = 32,
        limiters: Mapping[str, RateLimiter] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.adapters = adapters
        self.clock = clock
        self.settings = settings
        self.concurrency = concurrency
        self.limiters: dict[str, RateLimiter] = dict(limiters or {})
        for platform, rate in (
            ("telegram", settings.telegram_per_second),
            ("discord", settings.discord_per_second),
        ):
            self.limiters.setdefault(platform, RateLimiter(rate, monotonic))
        self.groups = ChatWindow(settings.telegram_group_per_minute, monotonic)
        self._lock = asyncio.Lock()

    async def drain(self, max_rows: int | None = None) -> DispatchStats:
        """Send what is ready now, chunk by chunk, until nothing is ready (or max_rows)."""
        stats = DispatchStats()
        async with self._lock:  # one drain at a time: a row is never sent twice in parallel
            handled = 0
            while max_rows is None or handled < max_rows:
                limit = (
                    self.concurrency
                    if max_rows is None
                    else min(self.concurrency, max_rows - handled)
                )
                now = self.clock.now()
                rows = await self.store.outbox.claim(int(now.timestamp()), limit)
                if not rows:
                    break
                await asyncio.gather(*(self._one(row, now, stats) for row in rows))
                handled += len(rows)
        return stats

    async def _one(self, row: OutboxRow, now: datetime, stats: DispatchStats) -> None:
        outbox = self.store.outbox
        ts = int(now.timestamp())
        if row.stale_at is not None and ts > row.stale_at:
            await outbox.mark_skipped(row.id, "stale: planned before downtime")
            stats.skipped += 1
            return
        adapter = self.adapters.get(row.platform)
        if adapter is None:
            await outbox.retry_later(
                row.id,
                ts + 300,
                "no adapter running for this platform",
                give_up=row.attempts + 1 >= self.settings.max_attempts,
            )
            stats.retried += 1
            return
        if row.platform == "telegram" and not row.private:
            wait = self.groups.wait_for(row.chat_id)
            if wait > 0:
                await outbox.retry_later(
                    row.id, ts + int(wait) + 1, "group rate limit", give_up=False
                )
                stats.retried += 1
                return
        limiter = self.limiters.get(row.platform)
        if limiter is not None:
            await limiter.acquire()
        try:
            result = await adapter.send(reply_for(row))
        except Exception as exc:  # an adapter bug is a transient failure, not a crash
            log_failure(f"send on {row.platform}", exc)
            result = SendResult(SendStatus.FAILED, detail=type(exc).__name__)
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
        elif status is SendStatus.BLOCKED and row.private and row.member_id is not None:
            await self.store.members.set_paused(row.member_id, True)
            await outbox.retry_later(row.id, ts, "blocked by the member", give_up=False)
            await outbox.hold_member(row.member_id)
            stats.held += 1
        elif status in (SendStatus.BLOCKED, SendStatus.NO_PRIVATE_CHAT, SendStatus.REJECTED):
            await outbox.mark_skipped(row.id, f"{status.value}: {result.detail}"[:200])
            stats.skipped += 1
        elif status is SendStatus.RETRY_AFTER:
            wait = max(1.0, result.retry_after or 1.0)
            limiter = self.limiters.get(row.platform)
            if limiter is not None:
                limiter.pause(wait)
            await outbox.retry_later(row.id, ts + int(wait + 0.999), "retry after", give_up=False)
            stats.retried += 1
        else:
            attempts = row.attempts + 1
            give_up = attempts >= self.settings.max_attempts
            backoff = min(3600, 5 * 2 ** (attempts - 1)) * random.uniform(0.8, 1.2)
            await outbox.retry_later(
                row.id, ts + int(backoff), f"failed: {result.detail}"[:200], give_up=give_up
            )
            stats.failed += int(give_up)
            stats.retried += int(not give_up)
