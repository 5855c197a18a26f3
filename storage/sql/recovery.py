"""A member's reasons, urges and savings: the recovery tools they keep to themselves."""

from __future__ import annotations

from collections.abc import Sequence

from storage.database import Database, Row, Tx, in_list
from storage.recovery_base import (
    ReasonRow,
    SavingsRow,
    SavingsUpdate,
    UrgeRow,
    UrgeUpdate,
)
from storage.rows import changed

_REASON = "id, member_id, text, created_at"
_URGE = "id, member_id, day, started_at, step_id, buddy_told_at, check_at, level_after, answered_at"
_SAVINGS = "counter_id, member_id, money_rate, time_rate"


def _reason(r: Row) -> ReasonRow:
    return ReasonRow(r["id"], r["member_id"], r["text"], r["created_at"])


def _urge(r: Row) -> UrgeRow:
    return UrgeRow(**{name.strip(): r[name.strip()] for name in _URGE.split(",")})


def _savings(r: Row) -> SavingsRow:
    return SavingsRow(r["counter_id"], r["member_id"], r["money_rate"], r["time_rate"])


class SQLRecovery:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- reasons -------------------------------------------------------------------------------
    async def reasons(self, member_id: int) -> list[ReasonRow]:
        rows = await self._db.fetch(
            f"SELECT {_REASON} FROM recovery_reasons WHERE member_id = ? ORDER BY id",
            (member_id,),
        )
        return [_reason(r) for r in rows]

    async def add_reason(self, member_id: int, text: str, now: int, most: int) -> ReasonRow | None:
        async def unit(tx: Tx) -> ReasonRow | None:
            row = await tx.fetchone(
                "SELECT COUNT(*) AS n FROM recovery_reasons WHERE member_id = ?", (member_id,)
            )
            if row is not None and int(row["n"]) >= most:
                return None
            added = await tx.fetchone(
                "INSERT INTO recovery_reasons (member_id, text, created_at) VALUES (?, ?, ?)"
                f" RETURNING {_REASON}",
                (member_id, text, now),
            )
            assert added is not None
            return _reason(added)

        return await self._db.write(unit)

    async def remove_reason(self, member_id: int, reason_id: int) -> bool:
        removed = await self._db.execute(
            "DELETE FROM recovery_reasons WHERE id = ? AND member_id = ?", (reason_id, member_id)
        )
        return removed == 1

    # -- urges ---------------------------------------------------------------------------------
    async def start_urge(self, member_id: int, day: str, step_id: str, now: int) -> UrgeRow:
        async def unit(tx: Tx) -> UrgeRow:
            row = await tx.fetchone(
                "INSERT INTO urges (member_id, day, started_at, step_id) VALUES (?, ?, ?, ?)"
                f" RETURNING {_URGE}",
                (member_id, day, now, step_id),
            )
            assert row is not None
            return _urge(row)

        return await self._db.write(unit)

    async def urge(self, member_id: int, urge_id: int) -> UrgeRow | None:
        row = await self._db.fetchone(
            f"SELECT {_URGE} FROM urges WHERE id = ? AND member_id = ?", (urge_id, member_id)
        )
        return _urge(row) if row is not None else None

    async def update_urge(self, urge_id: int, change: UrgeUpdate) -> None:
        values = changed(change)
        if not values:
            return
        names = sorted(values)
        await self._db.execute(
            f"UPDATE urges SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
            (*(values[n] for n in names), urge_id),
        )

    async def answer_urge(self, member_id: int, urge_id: int, level: int, now: int) -> bool:
        updated = await self._db.execute(
            "UPDATE urges SET level_after = ?, answered_at = ? WHERE id = ? AND member_id = ?",
            (level, now, urge_id, member_id),
        )
        return updated == 1

    async def urges_since(self, member_id: int, first_day: str) -> list[UrgeRow]:
        rows = await self._db.fetch(
            f"SELECT {_URGE} FROM urges WHERE member_id = ? AND day >= ? ORDER BY day, id",
            (member_id, first_day),
        )
        return [_urge(r) for r in rows]

    # -- savings -------------------------------------------------------------------------------
    async def savings(self, member_id: int) -> dict[int, SavingsRow]:
        rows = await self._db.fetch(
            f"SELECT {_SAVINGS} FROM counter_savings WHERE member_id = ?", (member_id,)
        )
        return {int(r["counter_id"]): _savings(r) for r in rows}

    async def savings_of(self, counter_ids: Sequence[int]) -> dict[int, SavingsRow]:
        if not counter_ids:
            return {}
        rows = await self._db.fetch(
            f"SELECT {_SAVINGS} FROM counter_savings WHERE counter_id IN ({in_list(counter_ids)})",
            list(counter_ids),
        )
        return {int(r["counter_id"]): _savings(r) for r in rows}

    async def set_savings(
        self, counter_id: int, member_id: int, change: SavingsUpdate, now: int
    ) -> None:
        values = changed(change)
        if not values:
            return
        names = sorted(values)

        async def unit(tx: Tx) -> None:
            await tx.execute(
                f"INSERT INTO counter_savings (counter_id, member_id, updated_at,"
                f" {', '.join(names)}) VALUES (?, ?, ?, {in_list(names)})"
                " ON CONFLICT (counter_id) DO UPDATE SET updated_at = excluded.updated_at, "
                + ", ".join(f"{n} = excluded.{n}" for n in names),
                (counter_id, member_id, now, *(values[n] for n in names)),
            )
            await tx.execute(
                "DELETE FROM counter_savings WHERE counter_id = ?"
                " AND money_rate IS NULL AND time_rate IS NULL",
                (counter_id,),
            )

        await self._db.write(unit)
