"""The outbox: unique dedupe keys make every planned message exactly-once; leases let any
number of workers claim rows without sending one twice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage.database import Database, Tx, in_list
from storage.rows import OutboxItem, OutboxRow
from storage.sql.columns import outbox_row

_COLS = (
    "dedupe_key, kind, member_id, subject_id, platform, chat_id, private, thread_id, body,"
    " priority, due_at, stale_at, expires_at, next_attempt_at"
)
_ROW = (
    "o.id, o.dedupe_key, o.kind, o.platform, o.chat_id, o.private, o.thread_id, o.member_id,"
    " o.subject_id, o.body, o.priority, o.due_at, o.stale_at, o.expires_at, o.attempts,"
    " m.user_id, m.display_name, m.dm_channel_id"
)
_CHUNK = 400  # rows per INSERT: well inside every engine's limit on bound parameters
_OPEN = "('pending', 'held')"
_DONE = "('sent', 'skipped', 'failed', 'expired')"


def _values(i: OutboxItem) -> tuple[Any, ...]:
    return (
        i.dedupe_key,
        i.kind,
        i.member_id,
        i.subject_id,
        i.platform,
        i.chat_id,
        int(i.private),
        i.thread_id,
        i.body,
        i.priority,
        i.due_at,
        i.stale_at,
        i.expires_at,
        i.due_at,
    )


async def insert_items(tx: Tx, items: Sequence[OutboxItem]) -> int:
    """Insert outbox rows inside the caller's transaction; returns how many were new."""
    new = 0
    row = "(" + ", ".join("?" for _ in range(14)) + ")"
    for start in range(0, len(items), _CHUNK):
        chunk = items[start : start + _CHUNK]
        params = [v for i in chunk for v in _values(i)]
        rows = await tx.fetch(
            f"INSERT INTO outbox ({_COLS}) VALUES {', '.join(row for _ in chunk)}"
            " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
            params,
        )
        new += len(rows)
    return new


class SQLOutbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(self, items: Sequence[OutboxItem]) -> int:
        if not items:
            return 0

        async def unit(tx: Tx) -> int:
            return await insert_items(tx, items)

        return await self._db.write(unit)

    async def claim(
        self, platform: str, now: int, limit: int, lease_until: int, worker: str
    ) -> list[OutboxRow]:
        ready = (
            "o.platform = ? AND o.status = 'pending' AND o.next_attempt_at <= ?"
            " AND (o.claimed_until IS NULL OR o.claimed_until < ?)"
        )
        order = "ORDER BY o.priority, o.next_attempt_at, o.id"
        if self._db.dialect == "postgresql":
            # Row locks are the work queue: concurrent workers skip each other's rows.
            sql = (
                "WITH picked AS (SELECT o.id FROM outbox o"
                f" WHERE {ready} {order} LIMIT ? FOR UPDATE SKIP LOCKED),"
                " claimed AS (UPDATE outbox SET claimed_by = ?, claimed_until = ?"
                " FROM picked WHERE outbox.id = picked.id RETURNING outbox.*)"
                f" SELECT {_ROW} FROM claimed o LEFT JOIN members m ON m.id = o.member_id"
                f" {order}"
            )

            async def pg_unit(tx: Tx) -> list[OutboxRow]:
                rows = await tx.fetch(sql, (platform, now, now, limit, worker, lease_until))
                return [outbox_row(r) for r in rows]

            return await self._db.write(pg_unit)

        async def unit(tx: Tx) -> list[OutboxRow]:
            rows = await tx.fetch(
                f"SELECT {_ROW} FROM outbox o LEFT JOIN members m ON m.id = o.member_id"
                f" WHERE {ready} {order} LIMIT ?",
                (platform, now, now, limit),
            )
            if rows:
                ids = [r["id"] for r in rows]
                await tx.execute(
                    f"UPDATE outbox SET claimed_by = ?, claimed_until = ? WHERE id IN"
                    f" ({in_list(ids)})",
                    (worker, lease_until, *ids),
                )
            return [outbox_row(r) for r in rows]

        return await self._db.write(unit)

    async def recover(self) -> int:
        """At start-up: with SQLite only one process runs per file (a lock says so), so any
        claim left behind belongs to a process that died. PostgreSQL waits for the lease."""
        if self._db.dialect != "sqlite":
            return 0
        return await self._db.execute(
            "UPDATE outbox SET claimed_by = NULL, claimed_until = NULL"
            " WHERE claimed_until IS NOT NULL AND status = 'pending'"
        )

    async def mark_sent(self, outbox_id: int, now: int) -> None:
        # The text is dropped once delivered: only the dedupe key needs to stay.
        await self._db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?, finished_at = ?,"
            " attempts = attempts + 1, body = '{}', claimed_until = NULL WHERE id = ?",
            (now, now, outbox_id),
        )

    async def mark_skipped(self, outbox_id: int, reason: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET status = 'skipped', last_error = ?, body = '{}',"
            " finished_at = next_attempt_at, claimed_until = NULL WHERE id = ?",
            (reason[:200], outbox_id),
        )

    async def retry_later(self, outbox_id: int, at: int, error: str, give_up: bool) -> None:
        await self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?,"
            " claimed_until = NULL,"
            " status = CASE WHEN ? = 1 THEN 'failed' ELSE 'pending' END,"
            # CAST: PostgreSQL cannot infer a bare CASE result parameter's type.
            " finished_at = CASE WHEN ? = 1 THEN CAST(? AS BIGINT) ELSE NULL END WHERE id = ?",
            (at, error[:200], int(give_up), int(give_up), at, outbox_id),
        )

    async def defer(self, outbox_id: int, at: int, reason: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET next_attempt_at = ?, last_error = ?, claimed_until = NULL"
            " WHERE id = ?",
            (at, reason[:200], outbox_id),
        )

    async def hold_member(self, member_id: int) -> int:
        return await self._db.execute(
            "UPDATE outbox SET status = 'held', claimed_until = NULL"
            " WHERE member_id = ? AND private = 1 AND status = 'pending'",
            (member_id,),
        )

    async def release_member(self, member_id: int, now: int) -> int:
        return await self._db.execute(
            "UPDATE outbox SET status = 'pending', next_attempt_at = ?"
            " WHERE member_id = ? AND status = 'held'",
            (now, member_id),
        )

    async def move_chat(self, platform: str, old_chat_id: str, new_chat_id: str) -> int:
        return await self._db.execute(
            f"UPDATE outbox SET chat_id = ? WHERE platform = ? AND chat_id = ?"
            f" AND status IN {_OPEN}",
            (new_chat_id, platform, old_chat_id),
        )

    async def expire(self, now: int) -> int:
        return await self._db.execute(
            "UPDATE outbox SET status = 'expired', body = '{}', finished_at = ?,"
            " last_error = COALESCE(last_error, 'not delivered in time')"
            f" WHERE status IN {_OPEN} AND expires_at IS NOT NULL AND expires_at < ?",
            (now, now),
        )

    async def prune(self, before: int, *, sparing: Sequence[str] = ()) -> int:
        where = f"status IN {_DONE} AND finished_at IS NOT NULL AND finished_at < ?"
        params: list[Any] = [before]
        if sparing:
            where += f" AND kind NOT IN ({in_list(sparing)})"
            params.extend(sparing)
        return await self._db.execute(f"DELETE FROM outbox WHERE {where}", params)

    async def stats(self) -> dict[str, int]:
        rows = await self._db.fetch("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
        return {str(r["status"]): int(r["n"]) for r in rows}

    async def count(self, *, kind: str | None = None, status: str | None = None) -> int:
        where, params = ["1 = 1"], []
        if kind is not None:
            where.append("kind = ?")
            params.append(kind)
        if status is not None:
            where.append("status = ?")
            params.append(status)
        sql = f"SELECT COUNT(*) FROM outbox WHERE {' AND '.join(where)}"
        return int(await self._db.fetchval(sql, params))

    async def problems(self, since: int, limit: int = 20) -> list[tuple[str, str, str]]:
        rows = await self._db.fetch(
            "SELECT kind, status, COALESCE(last_error, '') AS last_error FROM outbox"
            " WHERE status IN ('failed', 'expired') AND finished_at >= ?"
            " ORDER BY finished_at DESC LIMIT ?",
            (since, limit),
        )
        return [(r["kind"], r["status"], r["last_error"]) for r in rows]
