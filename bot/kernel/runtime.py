"""The running bot: one core, one sweep, one dispatcher pool per platform, any number of
adapters, in one asyncio loop. The sweep never waits for a drain; each platform drains on
its own, so one platform's flood wait never delays another's messages or the sweep.

The sweep is an APScheduler interval job (every `sweep_seconds`, at most one running): a long
sweep is simply followed by the next, and a stop lets the sweep under way finish (bounded),
else ends it quietly between two all-or-nothing batches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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


async def watch_adapter(adapter: Adapter) -> None:
    """Run the adapter's optional `watch()`: it returns (or raises AdapterError) when the
    adapter stopped working after start-up (a dead polling loop, a fatal gateway close)."""
    watch = getattr(adapter, "watch", None)
    if watch is None:
        await asyncio.Event().wait()  # nothing to watch: never ends by itself
        return
    await watch()


class _SkippedRunFilter(logging.Filter):
    """A sweep longer than the interval is simply followed by the next one; APScheduler's
    warning about the run it skipped would repeat every interval and alarm nobody usefully."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


logging.getLogger("apscheduler.scheduler").addFilter(_SkippedRunFilter())


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
    # Waits between start attempts of an adapter that failed for a passing reason.
    start_retries: Sequence[float] = START_RETRIES
    # Set when an adapter failed for good (bad token, refused intent): run_forever stops and
    # raises it, so `harbor run` can exit non-zero with one line.
    failure: AdapterError | None = field(default=None, init=False)
    _stop: asyncio.Event | None = field(default=None, init=False, repr=False)
    _background: set[asyncio.Task[None]] = field(default_factory=set, init=False, repr=False)
    _sweeping: asyncio.Task[Any] | None = field(default=None, init=False, repr=False)
    # The single receiver's lease (Telegram long polling): renewed every `leader_every`
    # seconds, lapsing `leader_ttl` seconds after the holder's last renewal.
    leader_ttl: int = 10
    leader_every: float = 3.0
    # Set by run_forever in a process that receives: its stop event and its tasks.
    _receiving: tuple[asyncio.Event, list[asyncio.Task[None]]] | None = field(
        default=None, init=False, repr=False
    )
    # The lease-holding task of each single-receiver platform (one, even across restarts).
    _leads: dict[str, asyncio.Task[None]] = field(default_factory=dict, init=False, repr=False)

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
        await self.store.processed.prune(now - keep.events_hours * 3600)

    async def run_forever(self, stop: asyncio.Event, role: str = "all") -> None:
        """Start the adapters, the sweep and the senders; return after `stop`, cleanly.
        `role`: "gateway" receives and answers events, "worker" sweeps and sends the
        outbox, "all" does both. Raises AdapterError (after the same clean stop) when an
        adapter failed for good."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        if not self.settings.crisis.detection:
            log.warning(
                "crisis detection is OFF ([crisis] detection = false): crisis language in"
                " messages gets no reply; /crisis still answers"
            )
        self._stop = stop
        self.failure = None
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
            # APScheduler ticks on the wall clock, whatever clock Harbor reads: a first run
            # time from a test's or the console's clock days in the past made it walk every
            # missed 20 s tick (millions at sweep_seconds=0.02) before the first sweep.
            next_run_time=datetime.now(UTC),
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
                # No new sweep; the one under way finishes (bounded), else it is ended
                # between two all-or-nothing batches (_sweep_safely ends quietly).
                scheduler.pause()
                sweeping = self._sweeping
                if sweeping is not None and not sweeping.done():
                    done, _ = await asyncio.wait({sweeping}, timeout=5.0)
                    if not done:
                        await _cancelled([sweeping])
                scheduler.shutdown(wait=False)
            # Watchers and start retries next: they must not restart what is stopping.
            await _cancelled(list(self._background))
            # The senders stop while the adapters still work: a send in flight is cancelled
            # (its row is claimed again at the next start), never failed by a stopped
            # adapter and counted as an attempt. Cancelled tasks log nothing.
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
        if self.failure is not None:
            raise self.failure

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
        lead = self._leads.get(adapter.platform)
        if lead is not None and not lead.done():
            return  # restarted: the lead resumes receiving at its next look if it leads
        lead = asyncio.create_task(self._lead(adapter, adapter.platform, stop))
        self._leads[adapter.platform] = lead
        tasks.append(lead)

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
                if mine != leading or mine:  # leading: receiving again after a restart
                    leading = await self._switch(adapter, platform, mine, was=leading)
                    if mine and not leading:  # could not start: let another process try
                        await self._release(name, holder)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.leader_every)
        finally:
            if leading:
                await self._release(name, holder)  # a standby takes over at its next look

    async def _switch(self, adapter: Receiver, platform: str, on: bool, *, was: bool) -> bool:
        try:
            if on:
                await adapter.start_receiving()  # idempotent
                if not was:
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
        except AdapterError as exc:
            if exc.fatal:
                raise
            log.warning("%s adapter could not start (%s); retrying", adapter.platform, exc)
            self._spawn(self._retry_start(adapter, started))
            return
        started.append(adapter)
        log.info("%s adapter started", adapter.platform)
        await self._begin_receiving(adapter)  # a webhook that cannot listen stops start-up
        self._spawn(self._supervise(adapter, started))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _fail(self, adapter: Adapter, exc: AdapterError) -> None:
        log.error("%s adapter failed for good: %s; stopping", adapter.platform, exc)
        self.failure = exc
        if self._stop is not None:
            self._stop.set()

    async def _retry_start(self, adapter: Adapter, started: list[Adapter]) -> None:
        attempt = 0
        delays = tuple(self.start_retries) or START_RETRIES
        while True:
            await asyncio.sleep(delays[min(attempt, len(delays) - 1)])
            attempt += 1
            try:
                await adapter.start(self.core)
            except AdapterError as exc:
                if exc.fatal:
                    self._fail(adapter, exc)
                    return
                log.warning("%s adapter still not started: %s", adapter.platform, exc)
                continue
            started.append(adapter)
            log.info("%s adapter started after %d retries", adapter.platform, attempt)
            try:
                await self._begin_receiving(adapter)
            except Exception as exc:
                log.error("%s adapter cannot receive: %s", adapter.platform, type(exc).__name__)
            self._spawn(self._supervise(adapter, started))
            return

    async def _supervise(self, adapter: Adapter, started: list[Adapter]) -> None:
        """Watch a running adapter: a fatal failure stops Harbor (exit non-zero); any other
        is logged loudly and the adapter is restarted with backoff."""
        try:
            await watch_adapter(adapter)
            failure = AdapterError("stopped unexpectedly", fatal=False)
        except AdapterError as exc:
            failure = exc
        except Exception as exc:  # a bug in a watcher: restart rather than go deaf
            failure = AdapterError(f"watcher raised {type(exc).__name__}", fatal=False)
        if failure.fatal:
            self._fail(adapter, failure)
            return
        log.error("%s adapter stopped working (%s); restarting it", adapter.platform, failure)
        if adapter in started:
            started.remove(adapter)
        try:
            await adapter.stop()
        except Exception as exc:
            log.error("stopping the %s adapter failed: %s", adapter.platform, type(exc).__name__)
        await self._retry_start(adapter, started)

    async def _sweep_safely(self) -> None:
        self._sweeping = asyncio.current_task()
        try:
            await self.sweeper.run(self.clock.now())
            self.dispatcher.wake()
            await self.maintain()
        except asyncio.CancelledError:
            if self._stop is None or not self._stop.is_set():
                raise
            # Stopping: the batches done are stored, the rest is due again at the next start.
            # Ended quietly, so APScheduler logs no traceback for its job.
        except Exception as exc:
            log.error(
                "scheduled work failed (%s); it runs again at the next sweep", type(exc).__name__
            )
        finally:
            self._sweeping = None
