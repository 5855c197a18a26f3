"""/mydata and /forget on SQLite, driven by the schema itself so no table can be missed:
every table with a `member_id` column (or a column that references members) is exported,
and erasure relies on ON DELETE CASCADE, which tests/test_privacy.py checks for each table."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from storage.db import Database


def member_columns(c: sqlite3.Connection) -> dict[str, list[str]]:
    """For each table, the columns that reference members(id)."""
    found: dict[str, list[str]] = {}
    tables = [
        r[0]
        for r in c.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    for table in tables:
        for fk in c.execute(f"PRAGMA foreign_key_list({table})"):
            if fk[2] == "members":
                found.setdefault(table, []).append(fk[3])
    return found


class SQLitePrivacy:
    def __init__(self, db: Database, on_forget: Callable[[int], None] | None = None) -> None:
        self._db = db
        self._on_forget = on_forget  # drops in-memory caches about the member

    async def export_member(self, member_id: int) -> dict[str, list[dict[str, Any]]]:
        def query(c: sqlite3.Connection) -> dict[str, list[dict[str, Any]]]:
            c.row_factory = sqlite3.Row
            try:
                out: dict[str, list[dict[str, Any]]] = {
                    "members": [
                        dict(r)
                        for r in c.execute("SELECT * FROM members WHERE id = ?", (member_id,))
                    ]
                }
                for table, cols in sorted(member_columns(c).items()):
                    where = " OR ".join(f"{col} = ?" for col in cols)
                    rows = c.execute(
                        f"SELECT * FROM {table} WHERE {where}", [member_id] * len(cols)
                    )
                    out[table] = [dict(r) for r in rows]
                return out
            finally:
                c.row_factory = None

        return await self._db.read(query)

    async def forget_member(self, member_id: int) -> None:
        await self._db.execute("DELETE FROM members WHERE id = ?", (member_id,))
        if self._on_forget is not None:
            self._on_forget(member_id)
