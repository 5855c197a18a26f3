"""Check-in plans, check-ins and buddies."""

from __future__ import annotations

from collections.abc import Sequence

from storage.database import Database, Row, Tx
from storage.rows import (
    CheckinPlan,
    CheckinRow,
    CheckinValues,
    DuePrompt,
    MemberRow,
    OutboxItem,
    PromptAdvance,
    changed,
)
from storage.sql.columns import MEMBER, member_row, prefixed
from storage.sql.outbox import insert_items

_PLAN = "member_id, enabled, local_time, tz, next_at, last_day, nudged_for, buddy_alerts"
_CHECKIN = "day, mood, cravings, sober, note"


def plan_row(r: Row, prefix: str = "") -> CheckinPlan:
    p = prefix
    return CheckinPlan(
        member_id=r[p + "member_id"],
        enabled=bool(r[p + "enabled"]),
        local_time=r[p + "local_time"],
        tz=r[p + "tz"],
        next_at=r[p + "next_at"],
        last_day=r[p + "last_day"],
        nudged_for=r[p + "nudged_for"],
        buddy_alerts=bool(r[p + "buddy_alerts"]),
    )


def checkin_row(r: Row) -> CheckinRow:
    return CheckinRow(r["day"], r["mood"], r["cravings"], r["sober"], r["note"])


class SQLCheckins:
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
        async def unit(tx: Tx) -> CheckinPlan:
            row = await tx.fetchone(
                "INSERT INTO checkin_plans (member_id, enabled, local_time, tz, next_at, last_day)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET"
                " enabled = excluded.enabled, local_time = excluded.local_time,"
                " tz = excluded.tz, next_at = excluded.next_at,"
                " last_day = COALESCE(checkin_plans.last_day, excluded.last_day)"
                f" RETURNING {_PLAN}",
                (member_id, int(enabled), local_time, tz, next_at, last_day),
            )
            assert row is not None
            return plan_row(row)

        return await self._db.write(unit)

    async def set_buddy_alerts(self, member_id: int, allowed: bool) -> None:
        await self._db.execute(
            "UPDATE checkin_plans SET buddy_alerts = ? WHERE member_id = ?",
            (int(allowed), member_id),
        )

    async def record(self, member_id: int, day: str, now: int, values: CheckinValues) -> CheckinRow:
        fields = changed(values)
        names = sorted(fields)

        async def unit(tx: Tx) -> CheckinRow:
            cols = "".join(f", {n}" for n in names)
            marks = "".join(", ?" for _ in names)
            updates = "".join(f", {n} = excluded.{n}" for n in names)
            await tx.execute(
                f"INSERT INTO checkins (member_id, day, updated_at{cols}) VALUES (?, ?, ?{marks})"
                f" ON CONFLICT (member_id, day) DO UPDATE SET"
                f" updated_at = excluded.updated_at{updates}",
                (member_id, day, now, *(fields[n] for n in names)),
            )
            # The plan remembers the last day checked in, for nudges after a gap.
            await tx.execute(
                "UPDATE checkin_plans SET last_day = ? WHERE member_id = ?"
                " AND (last_day IS NULL OR last_day < ?)",
                (day, member_id, day),
            )
            row = await tx.fetchone(
                f"SELECT {_CHECKIN} FROM checkins WHERE member_id = ? AND day = ?",
                (member_id, day),
            )
            assert row is not None
            return checkin_row(row)

        return await self._db.write(unit)

    async def get(self, member_id: int, day: str) -> CheckinRow | None:
        row = await self._db.fetchone(
            f"SELECT {_CHECKIN} FROM checkins WHERE member_id = ? AND day = ?", (member_id, day)
        )
        return checkin_row(row) if row else None

    async def since(self, member_id: int, first_day: str) -> list[CheckinRow]:
        rows = await self._db.fetch(
            f"SELECT {_CHECKIN} FROM checkins WHERE member_id = ? AND day >= ? ORDER BY day",
            (member_id, first_day),
        )
        return [checkin_row(r) for r in rows]

    async def due(self, now: int, limit: int) -> list[DuePrompt]:
        rows = await self._db.fetch(
            f"SELECT {prefixed('p', _PLAN)}, {prefixed('m', MEMBER)},"
            # The nudge threshold of the member's most recent community, if it set one.
            " (SELECT c.nudge_after_days FROM memberships ms"
            "  JOIN communities c ON c.id = ms.community_id"
            "  WHERE ms.member_id = p.member_id AND c.active = 1"
            "  ORDER BY ms.last_seen DESC LIMIT 1) AS nudge_after_days"
            " FROM checkin_plans p JOIN members m ON m.id = p.member_id"
            # Paused members' plans too: the sweep moves them on without a prompt, or they
            # would stay in the due range and every sweep would read them again.
            " WHERE p.enabled = 1 AND p.next_at <= ?"
            " ORDER BY p.next_at, p.member_id LIMIT ?",  # one order for every sweeper
            (now, limit),
        )
        return [
            DuePrompt(plan_row(r, "p_"), member_row(r, "m_"), r["nudge_after_days"]) for r in rows
        ]

    async def advance(self, items: Sequence[OutboxItem], advances: Sequence[PromptAdvance]) -> int:
        async def unit(tx: Tx) -> int:
            new = await insert_items(tx, items)
            # Guarded by the old due time: a plan changed meanwhile is left alone.
            await tx.executemany(
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
        changed_rows = await self._db.execute(
            "UPDATE buddies SET status = 'active' WHERE member_id = ?"
            " AND buddy_id = ? AND status = 'invited'",
            (inviter_id, member_id),
        )
        return changed_rows == 1

    async def decline(self, member_id: int, inviter_id: int) -> None:
        await self._db.execute(
            "DELETE FROM buddies WHERE member_id = ? AND buddy_id = ? AND status = 'invited'",
            (inviter_id, member_id),
        )

    async def buddies(self, member_id: int) -> list[tuple[MemberRow, str]]:
        cols = prefixed("m", MEMBER)
        rows = await self._db.fetch(
            f"SELECT {cols}, b.status AS status, 'out' AS direction FROM buddies b"
            " JOIN members m ON m.id = b.buddy_id WHERE b.member_id = ?"
            f" UNION ALL SELECT {cols}, b.status AS status, 'in' AS direction FROM buddies b"
            " JOIN members m ON m.id = b.member_id WHERE b.buddy_id = ?",
            (member_id, member_id),
        )
        return [
            (
                member_row(r, "m_"),
                r["status"] if r["status"] == "active" else f"{r['status']}-{r['direction']}",
            )
            for r in rows
        ]

    async def end_buddies(self, member_id: int) -> list[MemberRow]:
        before = [m for m, _ in await self.buddies(member_id)]
        await self._db.execute(
            "DELETE FROM buddies WHERE member_id = ? OR buddy_id = ?", (member_id, member_id)
        )
        return before

    async def end_buddy(self, member_id: int, other_id: int) -> bool:
        """End the one pair of the two members (either direction, any status)."""
        removed = await self._db.execute(
            "DELETE FROM buddies WHERE (member_id = ? AND buddy_id = ?)"
            " OR (member_id = ? AND buddy_id = ?)",
            (member_id, other_id, other_id, member_id),
        )
        return removed > 0
