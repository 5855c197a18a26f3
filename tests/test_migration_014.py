"""Migration 014: the counters of members already paused start held (out of the due index),
so their milestones still wait until they are back; everyone else's stay due."""

from __future__ import annotations

from pathlib import Path

from storage.database import bundled_migrations
from storage.sql.store import SQLStore
from storage.sqlite_db import SQLiteDatabase


async def test_paused_members_counters_start_held(tmp_path: Path) -> None:
    before = [m for m in bundled_migrations("sqlite") if m.version < 14]
    db = await SQLiteDatabase.open(tmp_path / "old.db", migrations=before)
    for mid, paused in ((1, 0), (2, 1)):
        await db.execute(
            "INSERT INTO members (id, platform, user_id, display_name, paused, created_at)"
            " VALUES (?, 'console', ?, ?, ?, 0)",
            (mid, f"u{mid}", f"u{mid}", paused),
        )
        await db.execute(
            "INSERT INTO counters (member_id, name, start_date, tz, next_key, next_at,"
            " created_at) VALUES (?, 'x', '2026-01-01', 'UTC', 'd30', 100, 0)",
            (mid,),
        )
    await db.close()
    db = await SQLiteDatabase.open(tmp_path / "old.db")
    try:
        rows = await db.fetch("SELECT member_id, held FROM counters ORDER BY member_id")
        assert [(r["member_id"], r["held"]) for r in rows] == [(1, 0), (2, 1)]
        due = await SQLStore(db).sobriety.due(200, 10)
        assert [d.member.id for d in due] == [1]
    finally:
        await db.close()
