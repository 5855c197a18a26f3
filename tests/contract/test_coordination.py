"""Event de-duplication and leases on both engines, including racers on two connections."""

from __future__ import annotations

import asyncio

from storage import open_store
from storage.sql.store import SQLStore

T = 1_000_000


async def test_an_event_is_handled_the_first_time_only(any_store: SQLStore) -> None:
    ev = any_store.processed
    assert await ev.first_time("telegram", "101", T)
    assert not await ev.first_time("telegram", "101", T + 5)
    assert await ev.first_time("discord", "101", T)  # another platform's id space
    assert await ev.prune(T + 1) == 2
    assert await ev.first_time("telegram", "101", T + 10)  # forgotten after retention


async def test_racing_gateways_handle_an_event_once(store_url: str) -> None:
    a, b = await open_store(store_url), await open_store(store_url)
    try:
        results = await asyncio.gather(
            *(s.processed.first_time("telegram", str(i), T) for i in range(50) for s in (a, b))
        )
        assert sum(results) == 50
    finally:
        await a.close()
        await b.close()


async def test_a_lease_has_one_holder_until_it_lapses(any_store: SQLStore) -> None:
    ls = any_store.leases
    assert await ls.try_acquire("telegram-poller", "a:1", 15, T)
    assert not await ls.try_acquire("telegram-poller", "b:2", 15, T + 5)
    assert await ls.try_acquire("telegram-poller", "a:1", 15, T + 10)  # renewed
    assert await ls.holder("telegram-poller", T + 20) == "a:1"
    assert not await ls.try_acquire("telegram-poller", "b:2", 15, T + 25)
    assert await ls.try_acquire("telegram-poller", "b:2", 15, T + 26)  # a:1 stopped renewing
    assert await ls.holder("telegram-poller", T + 26) == "b:2"
    await ls.release("telegram-poller", "a:1")  # not a:1's any more: nothing happens
    assert await ls.holder("telegram-poller", T + 26) == "b:2"
    await ls.release("telegram-poller", "b:2")
    assert await ls.holder("telegram-poller", T + 26) is None
    assert await ls.try_acquire("telegram-poller", "a:1", 15, T + 27)


async def test_racing_processes_never_both_hold_a_lease(store_url: str) -> None:
    stores = [await open_store(store_url) for _ in range(3)]
    try:
        for round_ in range(20):
            now = T + round_ * 100  # each round the previous lease has lapsed
            won = await asyncio.gather(
                *(s.leases.try_acquire("poller", f"p{i}", 15, now) for i, s in enumerate(stores))
            )
            assert sum(won) == 1, won
    finally:
        for s in stores:
            await s.close()
