"""The running bot: one core, one sweep, one dispatcher pool per platform, any number of
adapters, in one asyncio loop. The sweep never waits for a drain; each platform drains on
its own, so one platform's flood wait never delays another's messages or the sweep."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.core import Core
from bot.kernel.delivery import Delivery
from bot.kernel.dispatcher import Dispatcher, DispatchStats
from bot.kernel.pacing import Pacer
from bot.kernel.ports import Adapter, CommandInfo, Receiver
from bot.kernel.scheduling import Sweeper
from storage.base import Store
from storage.errors import StorageError

log = logging.getLogger("harbor")

START_RETRIES = (2.0, 5.0, 15.0, 30.0, 60.0)  # then every minute
# What a process does: a gateway receives platform events and answers them; a worker sweeps
# and sends the outbox; `all` does both (the only choice for SQLite's one process).
ROLES = ("all", "gateway", "worker")


class AdapterError(Exception):
    """An adapter could not start. `fatal` (a bad token, a refused intent) will not heal by
    retrying; anything else (the network) is retried. The message never holds a token."""

    def __init__(self, message: str, *, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal


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
    # The single receiver's lease (Telegram long polling): renewed every `leader_every`
    # seconds, lapsing `leader_ttl` seconds after the holder's last renewal.
    leader_ttl: int = 10
    leader_every: float = 3.0
    # Set by run_forever in a process that receives: its stop event and its tasks.
    _receiving: tuple[asyncio.Event, list[asyncio.Task[None]]] | None = field(
        default=None, init=False, repr=False
    )
    _sweep_task: asyncio.Task[object] | None = field(default=None, init=False, repr=False)

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
        await self.store.events.prune(now - keep.events_hours * 3600)

    async def run_forever(self, stop: asyncio.Event, role: str = "all") -> None:
        """Start the adapters, the sweep and the senders; return after `stop`, cleanly.
        `role`: "gateway" receives and answers events, "worker" sweeps and sends the
        outbox, "all" does both."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        receives, works = role != "worker", role != "gateway"
        if works:
            await self.store.outbox.recover()
        started: list[Adapter] = []
        tasks: list[asyncio.Task[None]] = []
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(
            self._sweep_safely,
            "interval",
            seconds=self.settings.scheduler.sweep_seconds,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=None,
            next_run_time=self.clock.now(),
        )
        try:
            self._receiving = (stop, tasks) if receives else None
            for adapter in self.adapters.values():
                await self._start(adapter, started)
            if works:
                for platform in self.adapters:
                    tasks.append(asyncio.create_task(self.dispatcher.run(platform)))
                scheduler.start()
            log.info("running as %s", role)
            await stop.wait()
        finally:
            if scheduler.running:
                # A sweep under way finishes (bounded) instead of being cancelled halfway.
                scheduler.pause()
                if self._sweep_task is not None:
                    await asyncio.wait({self._sweep_task}, timeout=10.0)
                scheduler.shutdown(wait=False)
            for adapter in reversed(started):
                try:
                    await adapter.stop()
                except Exception as exc:
                    log.error(
                        "stopping the %s adapter failed: %s", adapter.platform, type(exc).__name__
                    )
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.delivery.settle(), 5.0)
            await self.store.close()
            log.info("stopped cleanly")

    async def _begin_receiving(self, adapter: Adapter) -> None:
        """After an adapter started, in a process that receives: receive always where the
        platform admits several receivers (webhooks; a failure stops start-up as before);
        else only while holding the platform's lease, so exactly one process polls and
        another takes over within seconds when it dies. SQLite has one process per file:
        it is the leader."""
        if self._receiving is None or not isinstance(adapter, Receiver):
            return
        stop, tasks = self._receiving
        if not adapter.single_receiver or self.store.backend == "sqlite":
            await adapter.start_receiving()
            return
        tasks.append(asyncio.create_task(self._lead(adapter, adapter.platform, stop)))

    async def _lead(self, adapter: Receiver, platform: str, stop: asyncio.Event) -> None:
        name, holder = f"{platform}:receiver", self.dispatcher.worker
        leading = False
        try:
            while not stop.is_set():
                now = int(self.clock.now().timestamp())
                try:
                    mine = await self.store.leases.try_acquire(name, holder, self.leader_ttl, now)
                except StorageError as exc:
                    # Unknown: keep doing what we did (two pollers only conflict; none
                    # would leave crisis messages unread).
                    log.warning("%s lease unavailable: %s", platform, type(exc).__name__)
                    mine = leading
                if mine != leading:
                    leading = await self._switch(adapter, platform, mine)
                    if mine and not leading:  # could not start: let another process try
                        await self._release(name, holder)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.leader_every)
        finally:
            if leading:
                await self._release(name, holder)  # a standby takes over at its next look

    async def _switch(self, adapter: Receiver, platform: str, on: bool) -> bool:
        try:
            if on:
                await adapter.start_receiving()
                log.info("%s: receiving in this process", platform)
            else:
                await adapter.stop_receiving()
                log.info("%s: another process receives now", platform)
        except Exception as exc:
            log.error("%s: switching receiving failed: %s", platform, type(exc).__name__)
            return not on
        return on

    async def _release(self, name: str, holder: str) -> None:
        with contextlib.suppress(StorageError):
            await self.store.leases.release(name, holder)

    async def _start(self, adapter: Adapter, started: list[Adapter]) -> None:
        """Start one adapter; a transient failure is retried in the background so the
        others run meanwhile; a fatal one (bad token) stops start-up with one line."""
        try:
            await adapter.start(self.core)
            started.append(adapter)
            log.info("%s adapter started", adapter.platform)
            await self._begin_receiving(adapter)
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
            try:
                await self._begin_receiving(adapter)
            except Exception as exc:
                log.error("%s adapter cannot receive: %s", adapter.platform, type(exc).__name__)
            return

    async def _sweep_safely(self) -> None:
        self._sweep_task = asyncio.current_task()
        try:
            await self.sweeper.run(self.clock.now())
            self.dispatcher.wake()
            await self.maintain()
        except Exception as exc:
            log.error(
                "scheduled work failed (%s); it runs again at the next sweep", type(exc).__name__
            )
        finally:
            self._sweep_task = None
