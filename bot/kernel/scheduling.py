"""The sweep: the database holds the schedule; one periodic job asks each timed feature
(a Source) to move what is due into the outbox, advancing its next due times in the same
transaction, so a restart or a repeated sweep can never plan a message twice."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.kernel.core import log_failure
from storage.base import LeaseStore
from storage.errors import StorageError

log = logging.getLogger("harbor.scheduler")

SWEEP_LEASE_SECONDS = 60  # a sweeping process that dies hands its sources on after this


class Source(Protocol):
    """A timed feature: check-in prompts, nudges, milestones, meeting reminders."""

    name: str

    async def sweep(self, now: datetime, limit: int) -> int:
        """Plan up to `limit` due items into the outbox; return how many due rows were handled
        (a return value of `limit` means there may be more)."""


class Sweeper:
    def __init__(
        self,
        sources: Sequence[Source],
        batch_size: int,
        *,
        leases: LeaseStore | None = None,
        holder: str = "",
        lease_seconds: int = SWEEP_LEASE_SECONDS,
    ) -> None:
        self.sources = tuple(sources)
        self.batch_size = batch_size
        # With several processes (PostgreSQL): one process at a time sweeps each source,
        # the others skip it, instead of all re-reading the same due rows to plan nothing.
        # Exactly-once does not depend on it (dedupe keys and guarded advances do that).
        self.leases = leases
        self.holder = holder
        self.lease_seconds = lease_seconds

    async def _mine(self, source: str, now: datetime) -> bool:
        if self.leases is None:
            return True
        try:
            return await self.leases.try_acquire(
                f"sweep:{source}", self.holder, self.lease_seconds, int(now.timestamp())
            )
        except StorageError as exc:
            log.warning("sweep lease of %s unavailable: %s", source, type(exc).__name__)
            return False

    async def run(self, now: datetime) -> dict[str, int]:
        """Sweep every source until nothing more is due at `now`."""
        planned: dict[str, int] = {}
        for source in self.sources:
            total = 0
            if not await self._mine(source.name, now):
                planned[source.name] = 0  # another process sweeps it
                continue
            try:
                while True:
                    n = await source.sweep(now, self.batch_size)
                    total += n
                    if n < self.batch_size:
                        break
            except Exception as exc:  # one broken feature must not stop the others
                log_failure(f"sweep of {source.name}", exc)
            planned[source.name] = total
        return planned
