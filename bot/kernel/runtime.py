"""The running bot: one core, one sweep, one dispatcher pool per platform, any number of
adapters, in one asyncio loop. The sweep never waits for a drain; each platform drains on
its own, so one platform's flood wait never delays another's messages or the sweep.

The sweep is a plain loop task (every `sweep_seconds`, from the start of one sweep to the
start of the next): two sweeps never overlap, a long one is simply followed by the next, and
stopping cancels it quietly between two all-or-nothing batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.core import Core
from bot.kernel.delivery import Delivery
from bot.kernel.dispatcher import Dispatcher, DispatchStats
from bot.kernel.pacing import Pacer
from bot.kernel.ports import Adapter, CommandInfo
from bot.kernel.scheduling import Sweeper
from storage.base import Store

log = logging.getLogger("harbor")

START_RETRIES = (2.0, 5.0, 15.0, 30.0, 60.0)  # then every minute


class AdapterError(Exception):
    """An adapter could not start. `fatal` (a bad token, a refused intent) will not heal by
    retrying; anything else (the network) is retried. The message never holds a token."""

    def __init__(self, message: str, *, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal


async def _cancelled(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel `tasks` and wait until each has ended. A cancellation can be lost (Python
    3.11's asyncio.wait_for returns normally when it arrives as the awaited thing
    completes), and a lost one would keep `harbor run` from ever stopping: cancel again."""
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=0.5)
    for task in tasks:  # retrieved, so nothing is logged about them
        if not task.cancelled():
            task.exception()


@dataclass
class Harbor:
    store: Store
    clock: Clock
    settings: Settings
    core: Core
    sweeper: Sweeper
    delivery: Delivery
    dispatcher: Dispatcher
    adapters: dict[str, Adapter] = field(default_factory=dict)
    pacers: dict[str, Pacer] = field(default_factory=dict)
    # Real time for rate limits; tests tie it to their manual clock.
    monotonic: Callable[[], float] = time.monotonic

    def attach(self, adapter: Adapter) -> None:
        self.adapters[adapter.platform] = adapter
        self.pacers[adapter.platform] = Pacer(adapter.limits, self.monotonic)

    def command_infos(self) -> list[CommandInfo]:
        return self.core.command_infos()

    async def tick(self) -> DispatchStats:
        """One round of scheduled work: sweep what is due, then send what is ready (the
        console's :time and tests; `run_forever` runs the two independently)."""
        await self.sweeper.run(self.clock.now())
        return await self.dispatcher.drain()

    async def maintain(self) -> None:
        """Rows past their expiry end visibly; old finished rows are pruned (retention).
        Milestone rows are kept longer: their dedupe keys guard a celebration for as long
        as a counter can come back to the same milestone."""
        now = int(self.clock.now().timestamp())
        keep = self.settings.retention
        await self.store.outbox.expire(now)
        await self.store.outbox.prune(now - keep.sent_days * 86400, sparing=("milestone",))
        await self.store.outbox.prune(now - keep.milestone_days * 86400)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Start the adapters, the sweep and the senders; return after `stop`, cleanly."""
        if not self.settings.crisis.detection:
            log.warning(
                "crisis detection is OFF ([crisis] detection = false): crisis language in"
                " messages gets no reply; /crisis still answers"
            )
        await self.store.outbox.recover()
        started: list[Adapter] = []
        tasks: list[asyncio.Task[None]] = []
        try:
            for adapter in self.adapters.values():
                await self._start(adapter, started)
            for platform in self.adapters:
                tasks.append(asyncio.create_task(self.dispatcher.run(platform)))
            tasks.append(asyncio.create_task(self._sweep_loop()))
            await stop.wait()
        finally:
            # The sweep and the senders stop first, while the adapters still work: a send in
            # flight is cancelled (its row is claimed again at the next start), never failed
            # by a stopped adapter and counted as an attempt. Cancelled tasks log nothing.
            await _cancelled(tasks)
            for adapter in reversed(started):
                try:
                    await adapter.stop()
                except Exception as exc:
                    log.error(
                        "stopping the %s adapter failed: %s", adapter.platform, type(exc).__name__
                    )
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.delivery.settle(), 5.0)
            await self.store.close()
            log.info("stopped cleanly")

    async def _start(self, adapter: Adapter, started: list[Adapter]) -> None:
        """Start one adapter; a transient failure is retried in the background so the
        others run meanwhile; a fatal one (bad token) stops start-up with one line."""
        try:
            await adapter.start(self.core)
            started.append(adapter)
            log.info("%s adapter started", adapter.platform)
        except AdapterError as exc:
            if exc.fatal:
                raise
            log.warning("%s adapter could not start (%s); retrying", adapter.platform, exc)
            asyncio.get_running_loop().create_task(self._retry_start(adapter, started))

    async def _retry_start(self, adapter: Adapter, started: list[Adapter]) -> None:
        attempt = 0
        while True:
            await asyncio.sleep(START_RETRIES[min(attempt, len(START_RETRIES) - 1)])
            attempt += 1
            try:
                await adapter.start(self.core)
            except AdapterError as exc:
                level = logging.ERROR if exc.fatal else logging.WARNING
                log.log(level, "%s adapter still not started: %s", adapter.platform, exc)
                if exc.fatal:
                    return
                continue
            started.append(adapter)
            log.info("%s adapter started after %d retries", adapter.platform, attempt)
            return

    async def _sweep_loop(self) -> None:
        """Sweep every `sweep_seconds` until cancelled. Measured on the loop's own monotonic
        time (the injected clock says what is due, not when to look)."""
        loop = asyncio.get_running_loop()
        period = self.settings.scheduler.sweep_seconds
        while True:
            began = loop.time()
            await self._sweep_safely()
            await asyncio.sleep(max(0.0, period - (loop.time() - began)))

    async def _sweep_safely(self) -> None:
        try:
            await self.sweeper.run(self.clock.now())
            self.dispatcher.wake()
            await self.maintain()
        except Exception as exc:
            log.error(
                "scheduled work failed (%s); it runs again at the next sweep", type(exc).__name__
            )
