"""/mydata and /forget, driven by the schema itself so no table can be missed: every table
with a column that references members(id) is exported, and erasure relies on ON DELETE
CASCADE, which tests/test_privacy.py checks for each table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from storage.database import Database
from storage.sql.columns import as_dict


class SQLPrivacy:
    def __init__(self, db: Database, on_forget: Callable[[int], None] | None = None) -> None:
        self._db = db
        self._on_forget = on_forget  # drops in-memory caches about the member

    async def export_member(self, member_id: int) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {
            "members": [
                as_dict(r)
                for r in await self._db.fetch("SELECT * FROM members WHERE id = ?", (member_id,))
            ]
        }
        for table, cols in sorted((await self._db.member_references()).items()):
            where = " OR ".join(f"{col} = ?" for col in cols)
            rows = await self._db.fetch(
                f"SELECT * FROM {table} WHERE {where}", [member_id] * len(cols)
            )
            out[table] = [as_dict(r) for r in rows]
        return out

    async def forget_member(self, member_id: int) -> None:
        await self._db.execute("DELETE FROM members WHERE id = ?", (member_id,))
        if self._on_forget is not None:
            self._on_forget(member_id)
        await self._db.after_erase()
