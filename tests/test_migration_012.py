"""Migration 012: celebrations and shared day counts become per group. A choice made when it
applied to every group carries over only for a member of exactly one group; nobody starts
being announced in a group they never chose."""

from __future__ import annotations

from pathlib import Path

from storage.database import bundled_migrations
from storage.sqlite_db import SQLiteDatabase

ROOT = Path(__file__).resolve().parent.parent


async def test_old_opt_ins_carry_over_only_where_they_cannot_surprise(tmp_path: Path) -> None:
    before = [m for m in bundled_migrations("sqlite") if m.version < 12]
    db = await SQLiteDatabase.open(tmp_path / "old.db", migrations=before)
    for mid, name in ((1, "one-group"), (2, "two-groups"), (3, "no-opt-in")):
        await db.execute(
            "INSERT INTO members (id, platform, user_id, display_name, created_at)"
            " VALUES (?, 'console', ?, ?, 0)",
            (mid, name, name),
        )
    for cid, title in ((1, "NA Tuesday"), (2, "Work Friends")):
        await db.execute(
            "INSERT INTO communities (id, platform, chat_id, title, created_at)"
            " VALUES (?, 'console', ?, ?, 0)",
            (cid, title, title),
        )
    for member, community in ((1, 1), (2, 1), (2, 2), (3, 2)):
        await db.execute(
            "INSERT INTO memberships (member_id, community_id, last_seen) VALUES (?, ?, 0)",
            (member, community),
        )
    for member, celebrate, substance, days in ((1, 1, 1, 1), (2, 1, 0, 1), (3, 0, 0, 0)):
        await db.execute(
            "INSERT INTO sharing (member_id, celebrate, show_substance, share_days)"
            " VALUES (?, ?, ?, ?)",
            (member, celebrate, substance, days),
        )
    await db.migrate(bundled_migrations("sqlite"))
    rows = await db.fetch(
        "SELECT member_id, community_id, celebrate, show_substance, share_days"
        " FROM community_sharing ORDER BY member_id, community_id"
    )
    assert [tuple(r) for r in rows] == [(1, 1, 1, 1, 1)]
    assert "sharing" not in await db.tables()
    await db.close()


def test_both_dialects_define_the_same_table() -> None:
    sqlite = (ROOT / "storage/migrations/sqlite/012_sharing_per_community.sql").read_text()
    pg = (ROOT / "storage/migrations/postgresql/012_sharing_per_community.sql").read_text()
    for text in (sqlite, pg):
        assert "REFERENCES members(id) ON DELETE CASCADE" in text
        assert "PRIMARY KEY (member_id, community_id)" in text
    assert "BIGINT  NOT NULL REFERENCES members(id)" in pg
