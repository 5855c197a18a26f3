"""Retention (defect 10), run by the sweep of a running bot: a row that can't be delivered
in its life ends "expired" where a moderator sees it; finished rows are pruned after
`sent_days`, milestone rows (their keys stop a second celebration) after `milestone_days`."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import RetentionSettings, SchedulerSettings, Settings
from bot.kernel.outbox import planned, private_to
from storage.sql.store import SQLStore
from tests.faults.waiting import GUARD, settles
from tests.helpers.scripted import ScriptedAdapter


async def test_the_running_sweep_expires_and_prunes(store: SQLStore, clock: ManualClock) -> None:
    settings = Settings(
        scheduler=SchedulerSettings(sweep_seconds=0.02),
        retention=RetentionSettings(sent_days=30, milestone_days=400),
    )
    harbor = build(store, clock, settings, sources=[])
    harbor.attach(ScriptedAdapter())
    ts = int(clock.now().timestamp())
    here = await store.members.touch("test", "u1", "Uma", ts, True)
    gone = await store.members.touch("elsewhere", "u2", "Ida", ts, True)  # no adapter for it
    rows = [
        planned(private_to(here, f"prompt {i}"), key=f"p{i}", kind="prompt", due=ts)
        for i in range(3)
    ]
    rows.append(planned(private_to(here, "30 days!"), key="m1", kind="milestone", due=ts))
    rows.append(
        planned(private_to(gone, "hi"), key="x", kind="invite", due=ts, life=timedelta(hours=1))
    )
    await store.outbox.enqueue(rows)
    stop = asyncio.Event()
    running = asyncio.create_task(harbor.run_forever(stop))
    outbox = store.outbox
    try:
        await settles(lambda: outbox.count(status="sent"), 4, "the rows were sent")
        clock.advance(timedelta(hours=2))
        await settles(lambda: outbox.count(status="expired"), 1, "the stuck row expired")
        assert await outbox.problems(0) == [("invite", "expired", "not delivered in time")]
        clock.advance(timedelta(days=31))
        await settles(outbox.count, 1, "finished rows were pruned")
        assert await outbox.count(kind="milestone") == 1  # kept: its key still matters
        clock.advance(timedelta(days=400))
        await settles(outbox.count, 0, "the milestone row was pruned")
    finally:
        stop.set()
        await asyncio.wait_for(running, GUARD)
