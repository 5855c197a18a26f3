"""Sobriety counters on SQLite."""

from __future__ import annotations

import sqlite3
from typing import Any

from storage.base import (
    Advance,
    CounterRow,
    DueMilestone,
    MemberRow,
    OutboxItem,
    Sharing,
    StreakRow,
)
from storage.db import Database, columns
from storage.sqlite_members import _COMMUNITY_COLS, _MEMBER_COLS, community_row, member_row
from storage.sqlite_outbox import insert_items

_COLS = "id, member_id, name, start_date, start_time, tz, next_key, next_at"
_SHARING = ("celebrate", "show_substance", "share_days")


def counter_row(r: sqlite3.Row | tuple[Any, ...]) -> CounterRow:
    return CounterRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])


class SQLiteSobriety:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def counters(self, member_id: int) -> list[CounterRow]:
        rows = await self._db.fetchall(
            f"SELECT {_COLS} FROM counters WHERE member_id = ? ORDER BY created_at, id",
            (member_id,),
        )
        return [counter_row(r) for r in rows]

    async def save_counter(
        self,
        member_id: int,
        name: str,
        start_date: str,
        start_time: str | None,
        tz: str,
        next_key: str | None,
        next_at: int | None,
        now: int,
    ) -> CounterRow:
        def unit(c: sqlite3.Connection) -> CounterRow:
            c.execute(
                "INSERT INTO counters (member_id, name, start_date, start_time, tz, next_key,"
                " next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (member_id, name) DO UPDATE SET start_date = excluded.start_date,"
                " start_time = excluded.start_time, tz = excluded.tz,"
                " next_key = excluded.next_key, next_at = excluded.next_at",
                (member_id, name, start_date, start_time, tz, next_key, next_at, now),
            )
            row = c.execute(
                f"SELECT {_COLS} FROM counters WHERE member_id = ? AND name = ?", (member_id, name)
            ).fetchone()
            return counter_row(row)

        return await self._db.write(unit)

    async def remove_counter(self, counter_id: int) -> None:
        await self._db.execute("DELETE FROM counters WHERE id = ?", (counter_id,))

    async def restart(
        self,
        counter: CounterRow,
        end_date: str,
        days: int,
        new_start: str,
        start_time: str | None,
        next_key: str | None,
        next_at: int | None,
        now: int,
    ) -> None:
        def unit(c: sqlite3.Connection) -> None:
            c.execute(
                "INSERT INTO streaks (member_id, counter_id, name, start_date, end_date, days,"
                " ended_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    counter.member_id,
                    counter.id,
                    counter.name,
                    counter.start_date,
                    end_date,
                    days,
                    now,
                ),
            )
            c.execute(
                "UPDATE counters SET start_date = ?, start_time = ?, next_key = ?, next_at = ?"
                " WHERE id = ?",
                (new_start, start_time, next_key, next_at, counter.id),
            )

        await self._db.write(unit)

    async def log_slip(self, counter: CounterRow, day: str, now: int) -> None:
        await self._db.execute(
            "INSERT INTO slips (member_id, counter_id, day, created_at) VALUES (?, ?, ?, ?)",
            (counter.member_id, counter.id, day, now),
        )

    async def history(self, member_id: int) -> list[StreakRow]:
        rows = await self._db.fetchall(
            "SELECT name, start_date, end_date, days FROM streaks WHERE member_id = ?"
            " ORDER BY end_date, id",
            (member_id,),
        )
        return [StreakRow(r[0], r[1], r[2], r[3]) for r in rows]

    async def slips(self, member_id: int) -> list[tuple[str, str]]:
        rows = await self._db.fetchall(
            "SELECT COALESCE(c.name, ''), s.day FROM slips s LEFT JOIN counters c"
            " ON c.id = s.counter_id WHERE s.member_id = ? ORDER BY s.day",
            (member_id,),
        )
        return [(r[0], r[1]) for r in rows]

    async def sharing(self, member_id: int) -> Sharing:
        row = await self._db.fetchone(
            "SELECT celebrate, show_substance, share_days FROM sharing WHERE member_id = ?",
            (member_id,),
        )
        return Sharing(*(bool(v) for v in row)) if row else Sharing()

    async def set_sharing(self, member_id: int, **flags: bool) -> None:
        unknown = set(flags) - set(_SHARING)
        if unknown:
            raise ValueError(f"not a sharing flag: {sorted(unknown)}")
        names = sorted(flags)
        await self._db.execute(
            f"INSERT INTO sharing (member_id, {', '.join(names)})"
            f" VALUES (?, {', '.join('?' for _ in names)}) ON CONFLICT (member_id) DO UPDATE SET "
            + ", ".join(f"{n} = excluded.{n}" for n in names),
            (member_id, *(int(flags[n]) for n in names)),
        )

    async def due(self, now: int, limit: int) -> list[DueMilestone]:
        def query(c: sqlite3.Connection) -> list[DueMilestone]:
            rows = c.execute(
                f"SELECT {columns('k', _COLS)}, {columns('m', _MEMBER_COLS)},"
                " COALESCE(s.celebrate, 0), COALESCE(s.show_substance, 0),"
                " COALESCE(s.share_days, 0)"
                " FROM counters k JOIN members m ON m.id = k.member_id"
                " LEFT JOIN sharing s ON s.member_id = k.member_id"
                " WHERE k.next_at IS NOT NULL AND k.next_at <= ? ORDER BY k.next_at LIMIT ?",
                (now, limit),
            ).fetchall()
            out = []
            for r in rows:
                counter, member = counter_row(r[:8]), member_row(r[8:17])
                sharing = Sharing(bool(r[17]), bool(r[18]), bool(r[19]))
                communities = tuple(
                    community_row(x)
                    for x in c.execute(
                        f"SELECT {columns('c', _COMMUNITY_COLS)} FROM communities c"
                        " JOIN memberships ms ON ms.community_id = c.id"
                        " WHERE ms.member_id = ? AND c.active = 1 ORDER BY ms.last_seen DESC",
                        (member.id,),
                    )
                )
                out.append(DueMilestone(counter, member, sharing, communities))
            return out

        return await self._db.read(query)

    async def plan(self, items: list[OutboxItem], advances: list[Advance]) -> int:
        def unit(c: sqlite3.Connection) -> int:
            new = insert_items(c, items)
            c.executemany(
                # Guarded by the planned milestone and its time: a counter reset meanwhile
                # keeps its new plan.
                "UPDATE counters SET next_key = ?, next_at = ?"
                " WHERE id = ? AND next_key IS ? AND next_at IS ?",
                [
                    (a.next_key, a.next_at, a.row_id, a.expected_key, a.expected_at)
                    for a in advances
                ],
            )
            return new

        return await self._db.write(unit)

    async def sharers(self, community_id: int) -> list[tuple[MemberRow, list[CounterRow]]]:
        def query(c: sqlite3.Connection) -> list[tuple[MemberRow, list[CounterRow]]]:
            members = [
                member_row(r)
                for r in c.execute(
                    f"SELECT {columns('m', _MEMBER_COLS)} FROM members m"
                    " JOIN memberships ms ON ms.member_id = m.id"
                    " JOIN sharing s ON s.member_id = m.id"
                    " WHERE ms.community_id = ? AND s.share_days = 1",
                    (community_id,),
                )
            ]
            return [
                (
                    m,
                    [
                        counter_row(r)
                        for r in c.execute(
                            f"SELECT {_COLS} FROM counters WHERE member_id = ?", (m.id,)
                        )
                    ],
                )
                for m in members
            ]

        return await self._db.read(query)
