"""Platform events de-duplicated across gateways (issue 17): a store that is slow but
working is waited for, so two gateways receiving one update answer it once; only a store
that fails (or gives no answer within a generous bound) lets the event be answered anyway,
logged without its content; and the crisis guard answers first, never waiting for the
de-duplication, even when every event slot is held by events waiting on the database."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.core import DEDUPE_PATIENCE, MAX_IN_FLIGHT
from bot.kernel.runtime import Harbor
from bot.kernel.types import ChatRef, Incoming, Member, Priority
from storage.errors import StorageUnavailable
from storage.sql.coordination import SQLProcessedEvents
from storage.sql.store import SQLStore
from tests.helpers.scripted import ScriptedAdapter

CRISIS = "I can't do this anymore, I want to kill myself"


def event(update_id: int, text: str = "/sober 2026-10-01 alcohol", user: str = "11") -> Incoming:
    member = Member("test", user, "Alice")
    command = args = None
    if text.startswith("/"):
        command, _, args = text.removeprefix("/").partition(" ")
    return Incoming(member=member, chat=ChatRef("test", user, private=True), text=text,
                    command=command, args=args or "", event_id=str(update_id))


class SlowEvents:
    """The processed-events store of a loaded machine: every answer waits until released
    (or never comes); `fail` makes it raise as a database that is down does."""

    def __init__(self, real: SQLProcessedEvents) -> None:
        self.real = real
        self.release = asyncio.Event()
        self.waiting = 0
        self.fail = False

    async def first_time(self, platform: str, event_id: str, now: int) -> bool:
        if self.fail:
            raise StorageUnavailable("the database is down")
        self.waiting += 1
        await self.release.wait()
        return await self.real.first_time(platform, event_id, now)

    async def prune(self, before: int) -> int:
        return await self.real.prune(before)


def gateways(store: SQLStore, clock: ManualClock, n: int = 2) -> list[tuple[Harbor,
                                                                              ScriptedAdapter]]:
    out = []
    for _ in range(n):
        harbor = build(store, clock, Settings())
        adapter = ScriptedAdapter()
        harbor.attach(adapter)
        out.append((harbor, adapter))
    return out


@pytest.fixture
def slow(store: SQLStore, monkeypatch: pytest.MonkeyPatch) -> SlowEvents:
    events = SlowEvents(store.processed)
    monkeypatch.setattr(store, "processed", events)
    return events


async def until(condition: object) -> None:
    """Let the event loop run until `condition()` holds (no clock involved)."""
    for _ in range(100_000):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


async def test_a_slow_store_is_waited_for_and_each_event_answered_once(
    store: SQLStore, clock: ManualClock, slow: SlowEvents
) -> None:
    both = gateways(store, clock)
    handling = asyncio.gather(*(h.core.handle(event(i)) for i in range(5) for h, _ in both))
    await until(lambda: slow.waiting == 10)
    await asyncio.sleep(0.6)  # the store takes its time, longer than a sender would notice
    assert [a.sent for _, a in both] == [[], []]  # nobody gave up on it
    slow.release.set()
    await handling
    assert sum(len(a.sent) for _, a in both) == 5


async def test_a_store_that_fails_lets_events_through_logged_without_content(
    store: SQLStore, clock: ManualClock, slow: SlowEvents, caplog: pytest.LogCaptureFixture
) -> None:
    slow.fail = True
    (harbor, adapter), = gateways(store, clock, 1)
    with caplog.at_level(logging.WARNING, logger="harbor.core"):
        await harbor.core.handle(event(1, "/sober 2026-10-01 secretword"))
    assert len(adapter.sent) == 1  # a rare double answer beats a missing one
    logged = [r.getMessage() for r in caplog.records]
    assert any("de-duplication" in m and "StorageUnavailable" in m for m in logged)
    assert not any("secretword" in m or "sober" in m for m in logged)


async def test_no_answer_within_the_bound_lets_the_event_through(
    store: SQLStore, clock: ManualClock, slow: SlowEvents, caplog: pytest.LogCaptureFixture
) -> None:
    (harbor, adapter), = gateways(store, clock, 1)
    harbor.core.dedupe_patience = 0.05  # a hung database (the default bound is seconds)
    with caplog.at_level(logging.WARNING, logger="harbor.core"):
        await harbor.core.handle(event(1))
    assert len(adapter.sent) == 1
    assert any("de-duplication" in r.getMessage() for r in caplog.records)


def test_the_bound_is_generous() -> None:
    assert DEDUPE_PATIENCE >= 5  # a loaded machine's store answers in seconds, not 0.25 s


async def test_a_crisis_is_answered_while_every_slot_waits_on_the_database(
    store: SQLStore, clock: ManualClock, slow: SlowEvents
) -> None:
    (harbor, adapter), = gateways(store, clock, 1)
    harbor.core.dedupe_patience = 3600.0
    stuck = [asyncio.create_task(harbor.core.handle(event(i, user=str(100 + i))))
             for i in range(MAX_IN_FLIGHT + 10)]
    await until(lambda: slow.waiting == MAX_IN_FLIGHT)  # every slot held, more queued
    await harbor.core.handle(event(10_000, CRISIS, user="7"))
    assert [r.member.user_id for r in adapter.sent if r.member] == ["7"]
    assert adapter.sent[0].priority == Priority.CRISIS and not any(t.done() for t in stuck)
    slow.release.set()
    await asyncio.gather(*stuck)
    assert len(adapter.sent) == 1 + len(stuck)


async def test_a_repeated_crisis_update_is_answered_once_by_one_process(
    store: SQLStore, clock: ManualClock
) -> None:
    """The guard answers a crisis before the id is recorded: a platform's repeat of that
    update must not fall through to the router ("I'm here…", or a saved answer)."""
    [(harbor, adapter)] = gateways(store, clock, 1)
    for text in (CRISIS, "/crisis"):
        adapter.sent.clear()
        update = event(900 if text == CRISIS else 901, text)
        await harbor.core.handle(update)
        first = [r.text for r in adapter.sent]
        await harbor.core.handle(update)  # the platform delivers it again
        await harbor.core.delivery.settle()
        assert [r.text for r in adapter.sent] == first and len(first) == 1
