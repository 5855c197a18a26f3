"""The outbox on both engines: exactly-once planning by dedupe key, claims with a lease
(most urgent first, a live lease excludes other workers, an expired one does not), deferral
without an attempt, backoff and giving up, held rows of a member who blocked the bot, moves,
expiry and pruning."""

from __future__ import annotations

from storage.rows import MemberRow, OutboxItem, Priority
from storage.sql.store import SQLStore

T = 1_000_000


def item(key: str, member: MemberRow | None = None, *, due: int = T, priority: int = 3,
         kind: str = "prompt", chat: str = "c1", platform: str = "telegram",
         life: int = 86400, stale: int | None = None) -> OutboxItem:
    return OutboxItem(
        dedupe_key=key, kind=kind, platform=platform,
        chat_id=member.user_id if member else chat, private=member is not None,
        body='{"text":"hi"}', due_at=due, expires_at=due + life,
        member_id=member.id if member else None, priority=priority,
        stale_at=None if stale is None else due + stale,
    )


async def test_enqueue_is_exactly_once_per_key(any_store: SQLStore) -> None:
    ob = any_store.outbox
    m = await any_store.members.touch("telegram", "1", "A", T, True)
    assert await ob.enqueue([item("a", m), item("b", m)]) == 2
    assert await ob.enqueue([item("a", m), item("c", m)]) == 1
    assert await ob.enqueue([]) == 0
    assert await ob.count() == 3 and await ob.count(status="pending") == 3
    many = [item(f"bulk:{i}", m) for i in range(1000)]  # more than one INSERT chunk
    assert await ob.enqueue(many) == 1000
    assert await ob.enqueue(many) == 0
    assert await ob.count(kind="prompt") == 1003


async def test_claim_orders_by_priority_and_leases(any_store: SQLStore) -> None:
    ob = any_store.outbox
    m = await any_store.members.touch("telegram", "1", "Ann", T, True)
    await ob.enqueue([
        item("bulk", m, priority=Priority.BULK, due=T - 50),
        item("crisis", m, priority=Priority.CRISIS),
        item("later", m, due=T + 600),
        item("other-platform", priority=0, platform="discord"),
        item("timely", m, priority=Priority.TIMELY),
    ])
    rows = await ob.claim("telegram", T, 10, lease_until=T + 120, worker="w1")
    assert [r.dedupe_key for r in rows] == ["crisis", "timely", "bulk"]
    first = rows[0]
    assert (first.user_id, first.display_name, first.private, first.member_id) == (
        "1", "Ann", True, m.id)
    assert first.body == '{"text":"hi"}' and first.attempts == 0
    # Leased: nobody else gets them while the lease lives ...
    assert await ob.claim("telegram", T + 60, 10, lease_until=T + 180, worker="w2") == []
    # ... and after it ends (a dead worker), another worker does.
    again = await ob.claim("telegram", T + 121, 2, lease_until=T + 300, worker="w2")
    assert [r.dedupe_key for r in again] == ["crisis", "timely"]
    assert [r.dedupe_key for r in await ob.claim("discord", T, 5, T + 1, "w")] == [
        "other-platform"]


async def test_sent_and_skipped_rows_are_done(any_store: SQLStore) -> None:
    ob = any_store.outbox
    m = await any_store.members.touch("telegram", "1", "A", T, True)
    await ob.enqueue([item("a", m), item("b", m)])
    a, b = await ob.claim("telegram", T, 10, T + 120, "w")
    await ob.mark_sent(a.id, T + 1)
    await ob.mark_skipped(b.id, "stale: planned before downtime " * 20)
    assert await ob.stats() == {"sent": 1, "skipped": 1}
    assert await ob.claim("telegram", T + 500, 10, T + 620, "w") == []
    body = await any_store.db.fetchval("SELECT body FROM outbox WHERE id = ?", (a.id,))
    assert body == "{}"  # the text is dropped once delivered
    error = await any_store.db.fetchval("SELECT last_error FROM outbox WHERE id = ?", (b.id,))
    assert len(error) == 200


async def test_defer_is_no_attempt_and_retry_counts(any_store: SQLStore) -> None:
    ob = any_store.outbox
    m = await any_store.members.touch("telegram", "1", "A", T, True)
    await ob.enqueue([item("a", m)])
    (row,) = await ob.claim("telegram", T, 1, T + 120, "w")
    await ob.defer(row.id, T + 30, "paced")
    assert await ob.claim("telegram", T + 29, 1, T + 149, "w") == []
    (row,) = await ob.claim("telegram", T + 30, 1, T + 150, "w")
    assert row.attempts == 0  # a deferral is no attempt
    await ob.retry_later(row.id, T + 40, "failed: timeout", give_up=False)
    (row,) = await ob.claim("telegram", T + 40, 1, T + 160, "w")
    assert row.attempts == 1
    await ob.retry_later(row.id, T + 50, "failed: timeout", give_up=True)
    assert await ob.stats() == {"failed": 1}
    assert await ob.problems(T) == [("prompt", "failed", "failed: timeout")]
    assert await ob.problems(T + 51) == []


async def test_held_rows_of_a_member_who_blocked_the_bot(any_store: SQLStore) -> None:
    ob = any_store.outbox
    m = await any_store.members.touch("telegram", "1", "A", T, True)
    await ob.enqueue([item("p1", m), item("p2", m), item("group")])
    assert await ob.hold_member(m.id) == 2
    assert [r.dedupe_key for r in await ob.claim("telegram", T, 10, T + 100, "w")] == ["group"]
    assert await ob.stats() == {"held": 2, "pending": 1}
    assert await ob.release_member(m.id, T + 5) == 2
    assert {r.dedupe_key for r in await ob.claim("telegram", T + 5, 10, T + 9, "w")} == {
        "p1", "p2"}


async def test_move_chat_expire_and_prune(any_store: SQLStore) -> None:
    ob = any_store.outbox
    await ob.enqueue([item("g1", chat="-1", life=100), item("g2", chat="-1", kind="milestone"),
                      item("g3", chat="-2")])
    assert await ob.move_chat("telegram", "-1", "-1009") == 2
    rows = await ob.claim("telegram", T, 10, T + 120, "w")
    assert sorted(r.chat_id for r in rows) == ["-1009", "-1009", "-2"]
    by_key = {r.dedupe_key: r for r in rows}
    await ob.mark_sent(by_key["g2"].id, T + 1)
    await ob.mark_sent(by_key["g3"].id, T + 1)
    assert await ob.expire(T + 101) == 1  # g1 was never sent within its life
    assert await ob.stats() == {"expired": 1, "sent": 2}
    assert await ob.problems(T) == [("prompt", "expired", "not delivered in time")]
    assert await ob.prune(T + 200, sparing=("milestone",)) == 2
    assert await ob.stats() == {"sent": 1}
    assert await ob.prune(T + 200) == 1
    # The keys went with the rows: the same key may be planned again.
    assert await ob.enqueue([item("g3", chat="-2")]) == 1


async def test_recover_frees_claims_only_where_one_process_runs(any_store: SQLStore) -> None:
    ob = any_store.outbox
    await ob.enqueue([item("a")])
    await ob.claim("telegram", T, 1, T + 120, "dead-worker")
    freed = await ob.recover()
    rows = await ob.claim("telegram", T, 1, T + 120, "w2")
    if any_store.backend == "sqlite":
        # One process per file: a claim left behind is a dead process's.
        assert freed == 1 and len(rows) == 1
    else:
        # Several processes share PostgreSQL: the lease decides.
        assert freed == 0 and rows == []
