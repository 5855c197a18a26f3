"""The outbox on SQLite: unique dedupe keys make every timed message exactly-once."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from storage.base import OutboxItem, OutboxRow
from storage.db import Database

_INSERT = (
    "INSERT INTO outbox (dedupe_key, kind, member_id, platform, chat_id, private, thread_id,"
    " body, due_at, stale_at, next_attempt_at, subject_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (dedupe_key) DO NOTHING"
)


def insert_items(c: sqlite3.Connection, items: Iterable[OutboxItem]) -> int:
    """Insert outbox rows inside the caller's transaction; returns how many were new."""
    before = c.total_changes
    c.executemany(
        _INSERT,
        [
            (
                i.dedupe_key,
                i.kind,
                i.member_id,
                i.platform,
                i.chat_id,
                int(i.private),
                i.thread_id,
                json.dumps(i.body, separators=(",", ":")),
                i.due_at,
                i.stale_at,
                i.due_at,
                i.subject_id,
            )
            for i in items
        ],
    )
    return c.total_changes - before


class SQLiteOutbox:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def enqueue(self, items: list[OutboxItem]) -> int:
        return await self._db.write(lambda c: insert_items(c, items))

    async def claim(self, now: int, limit: int) -> list[OutboxRow]:
        rows = await self._db.fetchall(
            "SELECT o.id, o.dedupe_key, o.kind, o.member_id, o.platform, o.chat_id, o.private,"
            " o.thread_id, o.body, o.due_at, o.stale_at, o.attempts, m.user_id, m.display_name"
            " FROM outbox o LEFT JOIN members m ON m.id = o.member_id"
            " WHERE o.status = 'pending' AND o.next_attempt_at <= ?"
            " ORDER BY o.next_attempt_at, o.id LIMIT ?",
            (now, limit),
        )
        return [
            OutboxRow(
                r[0],
                r[1],
                r[2],
                r[3],
                r[4],
                r[5],
                bool(r[6]),
                r[7],
                json.loads(r[8]),
                r[9],
                r[10],
                r[11],
                r[12],
                r[13] or "",
            )
            for r in rows
        ]

    async def mark_sent(self, outbox_id: int, now: int) -> None:
        await self._db.execute(
            # The text is dropped once delivered: only the dedupe key needs to stay.
            "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1,"
            " body = '{}' WHERE id = ?",
            (now, outbox_id),
        )

    async def mark_skipped(self, outbox_id: int, reason: str) -> None:
        await self._db.execute(
            "UPDATE outbox SET status = 'skipped', last_error = ?, body = '{}' WHERE id = ?",
            (reason, outbox_id),
        )

    async def retry_later(self, outbox_id: int, at: int, error: str, give_up: bool) -> None:
        await self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?,"
            " status = CASE WHEN ? THEN 'failed' ELSE 'pending' END WHERE id = ?",
            (at, error, int(give_up), outbox_id),
        )

    async def hold_member(self, member_id: int) -> int:
        return await self._db.write(
            lambda c: (
                c.execute(
                    "UPDATE outbox SET status = 'held' WHERE member_id = ? AND private = 1"
                    " AND status = 'pending'",
                    (member_id,),
                ).rowcount
            )
        )

    async def release_member(self, member_id: int, now: int) -> int:
        return await self._db.write(
            lambda c: (
                c.execute(
                    "UPDATE outbox SET status = 'pending', next_attempt_at = ?"
                    " WHERE member_id = ? AND status = 'held'",
                    (now, member_id),
                ).rowcount
            )
        )

    async def stats(self) -> dict[str, int]:
        rows = await self._db.fetchall("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return {str(r[0]): int(r[1]) for r in rows}
