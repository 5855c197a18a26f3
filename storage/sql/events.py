"""Sober events, RSVPs and their reminders."""

from __future__ import annotations

from collections.abc import Sequence

from storage.database import Database, Row, Tx, in_list
from storage.events_base import (
    DueAnnouncement,
    DueEventReminder,
    EventRow,
    NewEvent,
    reminder_key,
)
from storage.rows import MemberRow, OutboxItem
from storage.sql.columns import COMMUNITY, MEMBER, community_row, member_row, prefixed
from storage.sql.consent import withdraw_keys
from storage.sql.outbox import insert_items

_EVENT = (
    "id, community_id, title, starts_at, tz, duration_min, place, notes, announce_at,"
    " created_by, created_at"
)


def event_row(r: Row, prefix: str = "") -> EventRow:
    return EventRow(**{name.strip(): r[prefix + name.strip()] for name in _EVENT.split(",")})


class SQLEvents:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, community_id: int, new: NewEvent, created_by: int | None, now: int
    ) -> EventRow:
        async def unit(tx: Tx) -> EventRow:
            row = await tx.fetchone(
                "INSERT INTO sober_events (community_id, title, starts_at, tz, duration_min,"
                " place, notes, announce_at, created_by, created_at)"
                f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {_EVENT}",
                (
                    community_id,
                    new.title,
                    new.starts_at,
                    new.tz,
                    new.duration_min,
                    new.place,
                    new.notes,
                    new.announce_at,
                    created_by,
                    now,
                ),
            )
            assert row is not None
            return event_row(row)

        return await self._db.write(unit)

    async def get(self, event_id: int) -> EventRow | None:
        row = await self._db.fetchone(
            f"SELECT {_EVENT} FROM sober_events WHERE id = ?", (event_id,)
        )
        return event_row(row) if row else None

    async def upcoming(self, community_ids: Sequence[int], now: int) -> list[EventRow]:
        if not community_ids:
            return []
        rows = await self._db.fetch(
            f"SELECT {_EVENT} FROM sober_events WHERE community_id IN"
            f" ({in_list(community_ids)}) AND starts_at + duration_min * 60 > ?"
            " ORDER BY starts_at, id",
            (*community_ids, now),
        )
        return [event_row(r) for r in rows]

    async def cancel(self, event_id: int, now: int) -> list[MemberRow]:
        async def unit(tx: Tx) -> list[MemberRow]:
            rows = await tx.fetch(
                f"SELECT {prefixed('m', MEMBER)} FROM event_rsvps r"
                " JOIN members m ON m.id = r.member_id WHERE r.event_id = ? ORDER BY m.id",
                (event_id,),
            )
            await tx.execute("DELETE FROM sober_events WHERE id = ?", (event_id,))
            await withdraw_keys(tx, reminder_key(event_id), now)
            return [member_row(r, "m_") for r in rows]

        return await self._db.write(unit)

    async def rsvp(self, event_id: int, member_id: int, remind_at: int | None, now: int) -> bool:
        async def unit(tx: Tx) -> bool:
            row = await tx.fetchone(
                "INSERT INTO event_rsvps (event_id, member_id, remind_at, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (event_id, member_id) DO NOTHING"
                " RETURNING event_id",
                (event_id, member_id, remind_at, now),
            )
            return row is not None

        return await self._db.write(unit)

    async def cancel_rsvp(self, event_id: int, member_id: int) -> bool:
        return (
            await self._db.execute(
                "DELETE FROM event_rsvps WHERE event_id = ? AND member_id = ?",
                (event_id, member_id),
            )
            == 1
        )

    async def going(self, event_id: int) -> int:
        return int(
            await self._db.fetchval(
                "SELECT COUNT(*) FROM event_rsvps WHERE event_id = ?", (event_id,)
            )
        )

    async def rsvps_of(self, member_id: int) -> set[int]:
        rows = await self._db.fetch(
            "SELECT event_id FROM event_rsvps WHERE member_id = ?", (member_id,)
        )
        return {int(r["event_id"]) for r in rows}

    async def due_announcements(self, now: int, limit: int) -> list[DueAnnouncement]:
        rows = await self._db.fetch(
            f"SELECT {prefixed('e', _EVENT)}, {prefixed('c', COMMUNITY)} FROM sober_events e"
            " JOIN communities c ON c.id = e.community_id"
            " WHERE e.announce_at IS NOT NULL AND e.announce_at <= ?"
            " ORDER BY e.announce_at, e.id LIMIT ?",
            (now, limit),
        )
        return [DueAnnouncement(event_row(r, "e_"), community_row(r, "c_")) for r in rows]

    async def due_reminders(self, now: int, limit: int) -> list[DueEventReminder]:
        rows = await self._db.fetch(
            f"SELECT {prefixed('e', _EVENT)}, {prefixed('m', MEMBER)},"
            " r.remind_at AS r_remind_at FROM event_rsvps r"
            " JOIN sober_events e ON e.id = r.event_id JOIN members m ON m.id = r.member_id"
            " WHERE r.remind_at IS NOT NULL AND r.remind_at <= ?"
            " ORDER BY r.remind_at, r.event_id, r.member_id LIMIT ?",
            (now, limit),
        )
        return [
            DueEventReminder(event_row(r, "e_"), member_row(r, "m_"), int(r["r_remind_at"]))
            for r in rows
        ]

    async def plan(
        self,
        items: Sequence[OutboxItem],
        announced: Sequence[tuple[int, int]],
        reminded: Sequence[tuple[int, int, int]],
    ) -> int:
        async def unit(tx: Tx) -> int:
            new = await insert_items(tx, items)
            await tx.executemany(
                "UPDATE sober_events SET announce_at = NULL WHERE id = ? AND announce_at = ?",
                list(announced),
            )
            await tx.executemany(
                "UPDATE event_rsvps SET remind_at = NULL"
                " WHERE event_id = ? AND member_id = ? AND remind_at = ?",
                list(reminded),
            )
            return new

        return await self._db.write(unit)
