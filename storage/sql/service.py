"""Service roles, turns and the members who signed up for them."""

from __future__ import annotations

from collections.abc import Sequence

from storage.database import Database, Row, Tx, in_list
from storage.rows import OutboxItem
from storage.service_base import NewRole, ServiceRole, ServiceTurn, reminder_key
from storage.sql.columns import MEMBER, member_row, prefixed
from storage.sql.consent import withdraw_keys
from storage.sql.outbox import insert_items

_ROLE = "id, community_id, name, weekdays, at_time, tz, slots, remind_before_min, created_at"
_TURN_SELECT = (
    f"SELECT {prefixed('r', _ROLE)}, {prefixed('m', MEMBER)}, t.day AS t_day,"
    " t.starts_at AS t_starts_at, t.remind_at AS t_remind_at FROM service_turns t"
    " JOIN service_roles r ON r.id = t.role_id JOIN members m ON m.id = t.member_id"
)


def role_row(r: Row, prefix: str = "") -> ServiceRole:
    p = prefix
    return ServiceRole(
        id=r[p + "id"],
        community_id=r[p + "community_id"],
        name=r[p + "name"],
        weekdays=tuple(int(d) for d in str(r[p + "weekdays"]).split(",") if d),
        at_time=r[p + "at_time"],
        tz=r[p + "tz"],
        slots=int(r[p + "slots"]),
        remind_before_min=int(r[p + "remind_before_min"]),
        created_at=r[p + "created_at"],
    )


def turn_row(r: Row) -> ServiceTurn:
    return ServiceTurn(
        role_row(r, "r_"), member_row(r, "m_"), r["t_day"], int(r["t_starts_at"]), r["t_remind_at"]
    )


class SQLService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_role(self, community_id: int, new: NewRole, now: int) -> ServiceRole | None:
        async def unit(tx: Tx) -> ServiceRole | None:
            row = await tx.fetchone(
                "INSERT INTO service_roles (community_id, name, weekdays, at_time, tz, slots,"
                " remind_before_min, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                f" ON CONFLICT (community_id, name) DO NOTHING RETURNING {_ROLE}",
                (
                    community_id,
                    new.name,
                    ",".join(str(d) for d in new.weekdays),
                    new.at_time,
                    new.tz,
                    new.slots,
                    new.remind_before_min,
                    now,
                ),
            )
            return role_row(row) if row is not None else None

        return await self._db.write(unit)

    async def remove_role(self, role_id: int) -> bool:
        return await self._db.execute("DELETE FROM service_roles WHERE id = ?", (role_id,)) == 1

    async def roles(self, community_id: int) -> list[ServiceRole]:
        rows = await self._db.fetch(
            f"SELECT {_ROLE} FROM service_roles WHERE community_id = ? ORDER BY name, id",
            (community_id,),
        )
        return [role_row(r) for r in rows]

    async def sign_up(
        self,
        role: ServiceRole,
        member_id: int,
        day: str,
        starts_at: int,
        remind_at: int | None,
        now: int,
    ) -> str:
        async def unit(tx: Tx) -> str:
            taken = await tx.fetch(
                "SELECT member_id FROM service_turns WHERE role_id = ? AND day = ?",
                (role.id, day),
            )
            if any(int(r["member_id"]) == member_id for r in taken):
                return "already"
            if len(taken) >= role.slots:
                return "full"
            await tx.execute(
                "INSERT INTO service_turns (role_id, member_id, day, starts_at, remind_at,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (role.id, member_id, day, starts_at, remind_at, now),
            )
            return "ok"

        return await self._db.write(unit)

    async def withdraw(self, role_id: int, member_id: int, day: str, now: int) -> bool:
        async def unit(tx: Tx) -> bool:
            gone = await tx.execute(
                "DELETE FROM service_turns WHERE role_id = ? AND day = ? AND member_id = ?",
                (role_id, day, member_id),
            )
            await withdraw_keys(tx, reminder_key(role_id, day, member_id), now)
            return gone == 1

        return await self._db.write(unit)

    async def turns(self, role_ids: Sequence[int], from_ts: int) -> list[ServiceTurn]:
        if not role_ids:
            return []
        rows = await self._db.fetch(
            f"{_TURN_SELECT} WHERE t.role_id IN ({in_list(role_ids)}) AND t.starts_at >= ?"
            " ORDER BY t.starts_at, r.name, t.created_at",
            (*role_ids, from_ts),
        )
        return [turn_row(r) for r in rows]

    async def turns_of(self, member_id: int) -> list[ServiceTurn]:
        rows = await self._db.fetch(
            f"{_TURN_SELECT} WHERE t.member_id = ? ORDER BY t.starts_at, r.name", (member_id,)
        )
        return [turn_row(r) for r in rows]

    async def due_reminders(self, now: int, limit: int) -> list[ServiceTurn]:
        rows = await self._db.fetch(
            f"{_TURN_SELECT} WHERE t.remind_at IS NOT NULL AND t.remind_at <= ?"
            " ORDER BY t.remind_at, t.role_id, t.member_id LIMIT ?",
            (now, limit),
        )
        return [turn_row(r) for r in rows]

    async def plan(
        self, items: Sequence[OutboxItem], reminded: Sequence[tuple[int, str, int, int]]
    ) -> int:
        async def unit(tx: Tx) -> int:
            new = await insert_items(tx, items)
            await tx.executemany(
                "UPDATE service_turns SET remind_at = NULL"
                " WHERE role_id = ? AND day = ? AND member_id = ? AND remind_at = ?",
                list(reminded),
            )
            return new

        return await self._db.write(unit)

    async def shows_in_history(self, member_id: int) -> bool:
        value = await self._db.fetchval(
            "SELECT show_in_history FROM service_prefs WHERE member_id = ?", (member_id,)
        )
        return bool(value)

    async def set_shows_in_history(self, member_id: int, on: bool) -> None:
        await self._db.execute(
            "INSERT INTO service_prefs (member_id, show_in_history) VALUES (?, ?)"
            " ON CONFLICT (member_id) DO UPDATE SET show_in_history = excluded.show_in_history",
            (member_id, int(on)),
        )
