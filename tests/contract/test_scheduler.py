"""The scheduler on both engines: sweeps running at the same time, over two connections
(two processes' worth of stores), plan every message once per dedupe key, and the dispatch
sends each once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta

from bot.app import build, build_sources
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.scheduling import Sweeper
from storage import open_store
from tests.conftest import START
from tests.fakes.console_helpers import console_for

SETUP = [
    ":group recovery", ":mod on", "/community tz America/New_York", "/community announce",
    "/meeting add Tuesday Night | tue | 19:00 | | 90 | https://zoom.us/j/123 | O,D |",
    ":as Sam", ":dm", "/settings tz Europe/London", "/checkin on", "/sober 2026-10-28 alcohol",
    ":group recovery", "/remind 1 30m", ":as Alex", ":dm", "/checkin on",
]


async def test_concurrent_sweeps_plan_each_message_once(store_url: str) -> None:
    settings = Settings.model_validate({"scheduler": {"batch_size": 1}})  # many small rounds
    clock = ManualClock(START)
    store = await open_store(store_url)
    other = await open_store(store_url)  # a second process's connection
    try:
        harbor = build(store, clock, settings)
        console = await console_for(harbor, clock)
        for line in SETUP:
            await console.push(line)
        mark = len(console.said)
        sweepers = [harbor.sweeper, Sweeper(build_sources(other, settings), 1),
                    Sweeper(build_sources(other, settings), 1)]
        # Sam's 09:00 in London and Alex's 09:00 in New York, two days running; Sam's 30
        # days (on the 27th); the Tuesday meeting's announcement and reminder.
        for when in ("2026-11-26T09:30Z", "2026-11-26T14:30Z", "2026-11-27T09:30Z",
                     "2026-11-27T14:30Z", "2026-12-01T23:45Z"):
            clock.set(datetime.fromisoformat(when))
            await asyncio.gather(*(s.run(clock.now()) for s in sweepers))
            await asyncio.gather(*(s.run(clock.now()) for s in sweepers))  # nothing new
        kinds = {r["kind"]: r["n"] for r in await store.db.fetch(
            "SELECT kind, COUNT(*) AS n FROM outbox GROUP BY kind ORDER BY kind")}
        # Two members x two days of prompts (nothing doubled by the three sweepers), one
        # milestone (privately; no group post without opt-in), the group's announcement and
        # Sam's private reminder.
        assert kinds.get("prompt", 0) + kinds.get("nudge", 0) == 4, kinds
        assert kinds.get("milestone") == 1, kinds
        assert kinds.get("meeting_reminder") == 2, kinds
        stats = await harbor.dispatcher.drain()
        stats2 = await harbor.dispatcher.drain()
        assert stats2.sent == 0
        said = console.said[mark:]
        assert stats.sent == len(said)
        texts = Counter((s.to, s.text) for s in said)
        assert max(texts.values()) == 1, texts  # nobody got the same message twice
        clock.advance(timedelta(minutes=1))
        await asyncio.gather(*(s.run(clock.now()) for s in sweepers))
        assert (await harbor.dispatcher.drain()).sent == 0
    finally:
        await other.close()
        await store.close()


class Counting:
    name = "counting"

    def __init__(self, tag: str, log: list[str]) -> None:
        self.tag, self.log = tag, log

    async def sweep(self, now: datetime, limit: int) -> int:
        self.log.append(self.tag)
        return 0


async def test_one_process_sweeps_each_source_at_a_time(store_url: str) -> None:
    a, b = await open_store(store_url), await open_store(store_url)
    try:
        log: list[str] = []
        first = Sweeper([Counting("a", log)], 10, leases=a.leases, holder="a")
        second = Sweeper([Counting("b", log)], 10, leases=b.leases, holder="b")
        await asyncio.gather(first.run(START), second.run(START))
        assert log == ["a"] or log == ["b"]
        holder, other = (first, second) if log == ["a"] else (second, first)
        later = START + timedelta(seconds=30)
        await other.run(later)
        await holder.run(later)  # the holder keeps it while it sweeps
        assert log == [log[0]] * 2
        await other.run(later + timedelta(seconds=61))  # the holder went quiet: taken over
        assert log[-1] != log[0]
    finally:
        await a.close()
        await b.close()
