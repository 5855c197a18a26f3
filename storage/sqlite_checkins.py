"""Check-in plans, check-ins and buddies on SQLite."""

from __future__ import annotations

import sqlite3
from typing import Any

from storage.base import (
    CheckinPlan,
    CheckinRow,
    DuePrompt,
    MemberRow,
    OutboxItem,
    PromptAdvance,
)
from storage.db import Database, columns
from storage.sqlite_members import _MEMBER_COLS, member_row
from storage.sqlite_outbox import insert_items

_PLAN = "member_id, enabled, local_time, tz, next_at, last_day, nudged_for, buddy_alerts"
_VALUES = ("mood", "cravings", "sober", "note")


def plan_row(r: sqlite3.Row | tuple[Any, ...]) -> CheckinPlan:
    return CheckinPlan(r[0], bool(r[1]), r[2], r[3], r[4], r[5], r[6], bool(r[7]))


class SQLiteCheckins:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def plan(self, member_id: int) -> CheckinPlan | None:
        row = await self._db.fetchone(
            f"SELECT {_PLAN} FROM checkin_plans WHERE member_id = ?", (member_id,)
        )
        return plan_row(row) if row else None

    async def save_plan(
        self,
        member_id: int,
        *,
        enabled: bool,
        local_time: str,
        tz: str,
        next_at: int | None,
        last_day: str | None,
    ) -> CheckinPlan:
        def unit(c: sqlite3.Connection) -> CheckinPlan:
            c.execute(
                "INSERT INTO checkin_plans (member_id, enabled, local_time, tz, next_at, last_day)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET"
                " enabled = excluded.enabled, local_time = excluded.local_time,"
                " tz = excluded.tz, next_at = excluded.next_at,"
                " last_day = COALESCE(last_day, excluded.last_day)",
                (member_id, int(enabled), local_time, tz, next_at, last_day),
            )
            row = c.execute(
                f"SELECT {_PLAN} FROM checkin_plans WHERE member_id = ?", (member_id,)
            ).fetchone()
            return plan_row(row)

        return await self._db.write(unit)

    async def set_buddy_alerts(self, member_id: int, allowed: bool) -> None:
        await self._db.execute(
            "UPDATE checkin_plans SET buddy_alerts = ? WHERE member_id = ?",
            (int(allowed), member_id),
        )

    async def record(self, member_id: int, day: str, now: int, **values: object) -> CheckinRow:
        unknown = set(values) - set(_VALUES)
        if unknown:
            raise ValueError(f"not a check-in value: {sorted(unknown)}")
        names = sorted(values)

        def unit(c: sqlite3.Connection) -> CheckinRow:
            cols = ", ".join(names)
            marks = ", ".join("?" for _ in names)
            updates = ", ".join(f"{n} = excluded.{n}" for n in names)
            c.execute(
                f"INSERT INTO checkins (member_id, day, updated_at{', ' + cols if cols else ''})"
                f" VALUES (?, ?, ?{', ' + marks if marks else ''})"
                f" ON CONFLICT (member_id, day) DO UPDATE SET updated_at = excluded.updated_at"
                f"{', ' + updates if updates else ''}",
                (member_id, day, now, *(values[n] for n in names)),
            )
            # The plan remembers the last day checked in, for nudges after a gap.
            c.execute(
                "UPDATE checkin_plans SET last_day = MAX(COALESCE(last_day, ''), ?)"
                " WHERE member_id = ?",
                (day, member_id),
            )
            row = c.execute(
                "SELECT day, mood, cravings, sober, note FROM checkins"
                " WHERE member_id = ? AND day = ?",
                (member_id, day),
            ).fetchone()
            return CheckinRow(*row)

        return await self._db.write(unit)

    async def get(self, member_id: int, day: str) -> CheckinRow | None:
        row = await self._db.fetchone(
            "SELECT day, mood, cravings, sober, note FROM checkins WHERE member_id = ? AND day = ?",
            (member_id, day),
        )
        return CheckinRow(*row) if row else None

    async def since(self, member_id: int, first_day: str) -> list[CheckinRow]:
        rows = await self._db.fetchall(
            "SELECT day, mood, cravings, sober, note FROM checkins WHERE member_id = ?"
            " AND day >= ? ORDER BY day",
            (member_id, first_day),
        )
        return [CheckinRow(*r) for r in rows]

    async def due(self, now: int, limit: int) -> list[DuePrompt]:
        rows = await self._db.fetchall(
            f"SELECT {columns('p', _PLAN)},"
            " m.platform, m.user_id, m.display_name,"
            # The nudge threshold of the member's most recent community, if it set one.
            " (SELECT c.nudge_after_days FROM memberships ms"
            "  JOIN communities c ON c.id = ms.community_id"
            "  WHERE ms.member_id = p.member_id AND c.active = 1"
            "  ORDER BY ms.last_seen DESC LIMIT 1)"
            " FROM checkin_plans p JOIN members m ON m.id = p.member_id"
            " WHERE p.enabled = 1 AND p.next_at <= ? AND m.paused = 0"
            " ORDER BY p.next_at LIMIT ?",
            (now, limit),
        )
        return [DuePrompt(plan_row(r[:8]), r[8], r[9], r[10], r[11]) for r in rows]

    async def advance(self, items: list[OutboxItem], advances: list[PromptAdvance]) -> int:
        def unit(c: sqlite3.Connection) -> int:
            new = insert_items(c, items)
            # Guarded by the old due time: a plan changed meanwhile is left alone.
            c.executemany(
                "UPDATE checkin_plans SET next_at = ?, nudged_for = COALESCE(?, nudged_for)"
                " WHERE member_id = ? AND next_at = ?",
                [(a.next_at, a.nudged_for, a.member_id, a.expected_at) for a in advances],
            )
            return new

        return await self._db.write(unit)

    async def invite(self, member_id: int, buddy_id: int, now: int) -> None:
        await self._db.execute(
            "INSERT INTO buddies (member_id, buddy_id, status, created_at)"
            " VALUES (?, ?, 'invited', ?) ON CONFLICT (member_id, buddy_id) DO NOTHING",
            (member_id, buddy_id, now),
        )

    async def accept(self, member_id: int, inviter_id: int) -> bool:
        def unit(c: sqlite3.Connection) -> bool:
            cur = c.execute(
                "UPDATE buddies SET status = 'active' WHERE member_id = ?"
                " AND buddy_id = ? AND status = 'invited'",
                (inviter_id, member_id),
            )
            return cur.rowcount == 1

        return await self._db.write(unit)

    async def decline(self, member_id: int, inviter_id: int) -> None:
        await self._db.execute(
            "DELETE FROM buddies WHERE member_id = ? AND buddy_id = ? AND status = 'invited'",
            (inviter_id, member_id),
        )

    async def buddies(self, member_id: int) -> list[tuple[MemberRow, str]]:
        cols = columns("m", _MEMBER_COLS)
        rows = await self._db.fetchall(
            f"SELECT {cols}, b.status, 'out' FROM buddies b JOIN members m ON m.id = b.buddy_id"
            " WHERE b.member_id = ?"
            f" UNION ALL SELECT {cols}, b.status, 'in' FROM buddies b"
            " JOIN members m ON m.id = b.member_id WHERE b.buddy_id = ?",
            (member_id, member_id),
        )
        return [(member_row(r[:9]), r[9] if r[9] == "active" else f"{r[9]}-{r[10]}") for r in rows]

    async def end_buddies(self, member_id: int) -> list[MemberRow]:
        before = [m for m, _ in await self.buddies(member_id)]
        await self._db.execute(
            "DELETE FROM buddies WHERE member_id = ? OR buddy_id = ?", (member_id, member_id)
        )
        return before
