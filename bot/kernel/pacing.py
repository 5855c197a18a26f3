"""One pacing layer for every send of a platform, direct answers and scheduled messages
alike, from the limits its adapter declares.

- A platform-wide token bucket hands out send slots in priority order: a crisis reply waits
  at most one slot even while thousands of daily prompts are queued.
- A per-chat window keeps a group under its own limit (Telegram: 20 a minute).
- "Retry after N s" pauses only what it names (one chat, or the whole platform when the
  platform says so); nothing sleeps on it: callers get the wait back and reschedule.
Limits are about real time, so pacing runs on a monotonic clock, never the injected one.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
from collections.abc import Awaitable, Callable

from bot.kernel.ports import Limits

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class ChatWindow:
    """At most `per_minute` sends to one chat in any 60 s."""

    def __init__(self, per_minute: int, monotonic: Monotonic) -> None:
        self.per_minute = per_minute
        self._monotonic = monotonic
        self._sent: dict[str, deque[float]] = {}

    def wait_for(self, chat: str) -> float:
        """Seconds until `chat` may take another message (0: now)."""
        now = self._monotonic()
        recent = self._sent.get(chat)
        if recent is None:
            return 0.0
        while recent and now - recent[0] >= 60.0:
            recent.popleft()
        if not recent:
            del self._sent[chat]
            return 0.0
        return 0.0 if len(recent) < self.per_minute else 60.0 - (now - recent[0])

    def record(self, chat: str) -> None:
        self._sent.setdefault(chat, deque()).append(self._monotonic())


class Pacer:
    def __init__(
        self,
        limits: Limits,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = limits
        self._monotonic = monotonic
        self._sleep = sleep
        self._interval = 1.0 / limits.per_second if limits.per_second > 0 else 0.0
        self._next = float("-inf")  # when the next slot may be handed out (a burst at first)
        self._paused_until = float("-inf")  # the whole platform (a global "retry after")
        self._chat_paused: dict[str, float] = {}
        self.window = (
            ChatWindow(limits.group_per_minute, monotonic) if limits.group_per_minute else None
        )
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._pump: asyncio.Task[None] | None = None

    # -- asking --------------------------------------------------------------------------
    def wait_for(self, chat: str, group: bool) -> float:
        """Seconds this chat must wait before its next send (0: it may go now)."""
        now = self._monotonic()
        waits = [self._paused_until - now, self._chat_paused.get(chat, 0.0) - now]
        if group and self.window is not None:
            waits.append(self.window.wait_for(chat))
        return max(0.0, *waits)

    async def slot(self, priority: int) -> None:
        """Wait for a platform-wide send slot; lower priorities are served first."""
        if self._interval == 0.0 and self._paused_until <= self._monotonic():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._seq), future))
        if self._pump is None or self._pump.done():
            self._pump = asyncio.create_task(self._hand_out())
        try:
            await future
        except asyncio.CancelledError:
            future.cancel()
            raise

    def sent(self, chat: str, group: bool) -> None:
        """Count a send against the chat's window."""
        if group and self.window is not None:
            self.window.record(chat)

    # -- being told ----------------------------------------------------------------------
    def pause(self, seconds: float, chat: str | None = None) -> None:
        """The platform said "retry after": that chat (or everything) waits."""
        until = self._monotonic() + max(0.0, seconds)
        if chat is None:
            self._paused_until = max(self._paused_until, until)
        else:
            self._chat_paused[chat] = max(self._chat_paused.get(chat, 0.0), until)
            if len(self._chat_paused) > 10_000:
                now = self._monotonic()
                self._chat_paused = {c: t for c, t in self._chat_paused.items() if t > now}

    # -- the pump ------------------------------------------------------------------------
    async def _hand_out(self) -> None:
        while self._waiters:
            now = self._monotonic()
            start = max(self._next, self._paused_until, now - 1.0 + self._interval)
            if start > now:
                await self._sleep(start - now)
                continue  # a more urgent waiter may have arrived meanwhile
            _, _, future = heapq.heappop(self._waiters)
            if future.done():  # its caller gave up
                continue
            self._next = start + self._interval
            future.set_result(None)
