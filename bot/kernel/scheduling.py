"""The sweep: the database holds the schedule; one periodic job asks each timed feature
(a Source) to move what is due into the outbox, advancing its next due times in the same
transaction, so a restart or a repeated sweep can never plan a message twice."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.kernel.core import log_failure

log = logging.getLogger("harbor.scheduler")


class Source(Protocol):
    """A timed feature: check-in prompts, nudges, milestones, meeting reminders."""

    name: str

    async def sweep(self, now: datetime, limit: int) -> int:
        """Plan up to `limit` due items into the outbox; return how many due rows were handled
        (a return value of `limit` means there may be more)."""


class Sweeper:
    def __init__(self, sources: Sequence[Source], batch_size: int) -> None:
        self.sources = tuple(sources)
        self.batch_size = batch_size

    async def run(self, now: datetime) -> dict[str, int]:
        """Sweep every source until nothing more is due at `now`."""
        planned: dict[str, int] = {}
        for source in self.sources:
            total = 0
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
