"""Meetings, reminder subscriptions, RSVPs and attendance on SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from storage.base import OutboxItem
from storage.db import Database, columns
from storage.meetings_base import (
    AttendanceRow,
    DueMeeting,
    DueSubscription,
    MeetingAdvance,
    MeetingPlan,
    MeetingRow,
    NewMeeting,
    SubscriptionAdvance,
    SubscriptionRow,
)
from storage.sqlite_members import _COMMUNITY_COLS, _MEMBER_COLS, community_row, member_row
from storage.sqlite_outbox import insert_items

_MEETING = "id, community_id, slug, name, spec, next_occurrence, next_reminder_at"
_SUB = "meeting_id, member_id, before_min, occurrence, next_at"


def meeting_row(r: sqlite3.Row | tuple[Any, ...]) -> MeetingRow:
    return MeetingRow(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6])


def _json(spec: dict[str, Any]) -> str:
    return json.dumps(spec, separators=(",", ":"), sort_keys=True)


def _free_slug(c: sqlite3.Connection, community_id: int, slug: str) -> str:
    taken = {
        r[0]
        for r in c.execute(
            "SELECT slug FROM meetings WHERE community_id = ? AND (slug = ? OR slug LIKE ?)",
            (community_id, slug, slug + "-%"),
        )
    }
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    return candidate


def _replan_subscriptions(
    c: sqlite3.Connection, meeting_id: int, plan: MeetingPlan, now: int
) -> None:
    # Each subscription keeps its own lead time; a reminder already sent for the same
    # occurrence is not repeated (the outbox dedupe key is the same).
    if plan.start_at is None:
        c.execute(
            "UPDATE meeting_subscriptions SET occurrence = NULL, next_at = NULL"
            " WHERE meeting_id = ?",
            (meeting_id,),
        )
        return
    c.execute(
        "UPDATE meeting_subscriptions SET occurrence = ?,"
        " next_at = MAX(? - before_min * 60, ?) WHERE meeting_id = ?",
        (plan.occurrence, plan.start_at, now, meeting_id),
    )


def _save(
    c: sqlite3.Connection,
    meeting_id: int,
    name: str,
    spec: dict[str, Any],
    plan: MeetingPlan,
    now: int,
) -> None:
    c.execute(
        "UPDATE meetings SET name = ?, spec = ?, next_occurrence = ?,"
        " next_reminder_at = ?, updated_at = ? WHERE id = ?",
        (name, _json(spec), plan.occurrence, plan.reminder_at, now, meeting_id),
    )
    _replan_subscriptions(c, meeting_id, plan, now)


class SQLiteMeetings:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- meetings ------------------------------------------------------------------------------
    async def add(self, community_id: int, meeting: NewMeeting, now: int) -> MeetingRow:
        def unit(c: sqlite3.Connection) -> MeetingRow:
            slug = _free_slug(c, community_id, meeting.slug)
            spec = {**meeting.spec, "slug": slug}
            cur = c.execute(
                "INSERT INTO meetings (community_id, slug, name, spec, next_occurrence,"
                " next_reminder_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    community_id,
                    slug,
                    meeting.name,
                    _json(spec),
                    meeting.plan.occurrence,
                    meeting.plan.reminder_at,
                    now,
                    now,
                ),
            )
            row = c.execute(
                f"SELECT {_MEETING} FROM meetings WHERE id = ?", (cur.lastrowid,)
            ).fetchone()
            return meeting_row(row)

        return await self._db.write(unit)

    async def update(
        self,
        meeting_id: int,
        name: str,
        spec: dict[str, Any],
        plan: MeetingPlan,
        now: int,
        cancel_dates: Sequence[str] = (),
    ) -> None:
        def unit(c: sqlite3.Connection) -> None:
            _save(c, meeting_id, name, spec, plan, now)
            for day in cancel_dates:
                key = f"reminder:{meeting_id}:{day}"
                c.execute(
                    "UPDATE outbox SET status = 'skipped', last_error = 'occurrence skipped'"
                    " WHERE (dedupe_key = ? OR dedupe_key LIKE ?)"
                    " AND status IN ('pending', 'held')",
                    (key, key + ":m%"),
                )

        await self._db.write(unit)

    async def remove(self, meeting_id: int) -> None:
        await self._db.execute("DELETE FROM meetings WHERE id = ?", (meeting_id,))

    async def get(self, meeting_id: int) -> MeetingRow | None:
        row = await self._db.fetchone(
            f"SELECT {_MEETING} FROM meetings WHERE id = ?", (meeting_id,)
        )
        return meeting_row(row) if row else None

    async def by_slug(self, community_id: int, slug: str) -> MeetingRow | None:
        row = await self._db.fetchone(
            f"SELECT {_MEETING} FROM meetings WHERE community_id = ? AND slug = ?",
            (community_id, slug),
        )
        return meeting_row(row) if row else None

    async def imported(self, community_id: int) -> dict[str, MeetingRow]:
        rows = await self._db.fetchall(
            f"SELECT {_MEETING}, feed_slug FROM meetings WHERE community_id = ? AND imported = 1",
            (community_id,),
        )
        return {r[7]: meeting_row(r[:7]) for r in rows}

    async def of_communities(self, community_ids: Sequence[int]) -> list[MeetingRow]:
        if not community_ids:
            return []
        marks = ", ".join("?" for _ in community_ids)
        rows = await self._db.fetchall(
            f"SELECT {_MEETING} FROM meetings WHERE community_id IN ({marks})"
            " ORDER BY name COLLATE NOCASE, id",
            list(community_ids),
        )
        return [meeting_row(r) for r in rows]

    async def import_many(
        self, community_id: int, meetings: Sequence[NewMeeting], now: int
    ) -> tuple[int, int]:
        def unit(c: sqlite3.Connection) -> tuple[int, int]:
            imported = updated = 0
            for m in meetings:
                found = c.execute(
                    "SELECT id FROM meetings WHERE community_id = ? AND imported = 1"
                    " AND feed_slug = ?",
                    (community_id, m.slug),
                ).fetchone()
                if found is None:
                    # New; if a hand-made meeting has this slug, never overwrite it.
                    slug = _free_slug(c, community_id, m.slug)
                    c.execute(
                        "INSERT INTO meetings (community_id, slug, name, spec, next_occurrence,"
                        " next_reminder_at, created_at, updated_at, imported, feed_slug)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                        (
                            community_id,
                            slug,
                            m.name,
                            _json({**m.spec, "slug": slug}),
                            m.plan.occurrence,
                            m.plan.reminder_at,
                            now,
                            now,
                            m.slug,
                        ),
                    )
                    imported += 1
                else:
                    stored_slug = c.execute(
                        "SELECT slug FROM meetings WHERE id = ?", (found[0],)
                    ).fetchone()[0]
                    _save(c, found[0], m.name, {**m.spec, "slug": stored_slug}, m.plan, now)
                    updated += 1
            return imported, updated

        return await self._db.write(unit)

    # -- subscriptions and RSVPs -----------------------------------------------------------------
    async def subscribe(
        self,
        meeting_id: int,
        member_id: int,
        before_min: int,
        occurrence: str | None,
        next_at: int | None,
        now: int,
    ) -> None:
        await self._db.execute(
            "INSERT INTO meeting_subscriptions (meeting_id, member_id, before_min, occurrence,"
            " next_at, created_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (meeting_id, member_id) DO UPDATE SET before_min = excluded.before_min,"
            " occurrence = excluded.occurrence, next_at = excluded.next_at",
            (meeting_id, member_id, before_min, occurrence, next_at, now),
        )

    async def unsubscribe(self, meeting_id: int, member_id: int) -> bool:
        return await self._db.write(
            lambda c: (
                c.execute(
                    "DELETE FROM meeting_subscriptions WHERE meeting_id = ? AND member_id = ?",
                    (meeting_id, member_id),
                ).rowcount
                == 1
            )
        )

    async def subscriptions(self, member_id: int) -> list[SubscriptionRow]:
        rows = await self._db.fetchall(
            f"SELECT {_SUB} FROM meeting_subscriptions WHERE member_id = ? ORDER BY meeting_id",
            (member_id,),
        )
        return [SubscriptionRow(*r) for r in rows]

    async def subscriber_count(self, meeting_id: int) -> int:
        return int(
            await self._db.scalar(
                "SELECT COUNT(*) FROM meeting_subscriptions WHERE meeting_id = ?", (meeting_id,)
            )
        )

    async def rsvp(self, meeting_id: int, member_id: int, occurrence: str, now: int) -> bool:
        return await self._db.write(
            lambda c: (
                c.execute(
                    "INSERT INTO rsvps (meeting_id, member_id, occurrence, created_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (meeting_id, member_id, occurrence, now),
                ).rowcount
                == 1
            )
        )

    async def cancel_rsvp(self, meeting_id: int, member_id: int, occurrence: str) -> bool:
        return await self._db.write(
            lambda c: (
                c.execute(
                    "DELETE FROM rsvps WHERE meeting_id = ? AND member_id = ? AND occurrence = ?",
                    (meeting_id, member_id, occurrence),
                ).rowcount
                == 1
            )
        )

    async def rsvp_count(self, meeting_id: int, occurrence: str) -> int:
        return int(
            await self._db.scalar(
                "SELECT COUNT(*) FROM rsvps WHERE meeting_id = ? AND occurrence = ?",
                (meeting_id, occurrence),
            )
        )

    # -- attendance ------------------------------------------------------------------------------
    async def log_attendance(
        self, member_id: int, meeting_id: int | None, meeting_name: str, day: str, now: int
    ) -> bool:
        return await self._db.write(
            lambda c: (
                c.execute(
                    "INSERT INTO attendance (member_id, meeting_id, meeting_name, day, recorded_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    (member_id, meeting_id, meeting_name, day, now),
                ).rowcount
                == 1
            )
        )

    async def attendance(self, member_id: int) -> list[AttendanceRow]:
        rows = await self._db.fetchall(
            "SELECT day, meeting_name, meeting_id, recorded_at FROM attendance"
            " WHERE member_id = ? ORDER BY day, id",
            (member_id,),
        )
        return [AttendanceRow(*r) for r in rows]

    # -- the sweep -------------------------------------------------------------------------------
    async def due_meetings(self, now: int, limit: int) -> list[DueMeeting]:
        rows = await self._db.fetchall(
            f"SELECT {columns('m', _MEETING)}, {columns('c', _COMMUNITY_COLS)}"
            " FROM meetings m JOIN communities c ON c.id = m.community_id"
            " WHERE m.next_reminder_at <= ? AND c.active = 1"
            " ORDER BY m.next_reminder_at LIMIT ?",
            (now, limit),
        )
        return [DueMeeting(meeting_row(r[:7]), community_row(r[7:])) for r in rows]

    async def due_subscriptions(self, now: int, limit: int) -> list[DueSubscription]:
        rows = await self._db.fetchall(
            f"SELECT {columns('s', _SUB)}, {columns('m', _MEETING)}, {columns('p', _MEMBER_COLS)},"
            " c.tz FROM meeting_subscriptions s"
            " JOIN meetings m ON m.id = s.meeting_id"
            " JOIN communities c ON c.id = m.community_id"
            " JOIN members p ON p.id = s.member_id"
            " WHERE s.next_at <= ? AND c.active = 1 ORDER BY s.next_at LIMIT ?",
            (now, limit),
        )
        return [
            DueSubscription(
                SubscriptionRow(*r[:5]), meeting_row(r[5:12]), member_row(r[12:21]), r[21]
            )
            for r in rows
        ]

    async def advance(
        self,
        items: list[OutboxItem],
        meetings: Sequence[MeetingAdvance],
        subscriptions: Sequence[SubscriptionAdvance],
    ) -> int:
        def unit(c: sqlite3.Connection) -> int:
            new = insert_items(c, items)
            # Guarded by the old due time: a row edited meanwhile keeps its fresh plan.
            c.executemany(
                "UPDATE meetings SET next_occurrence = ?, next_reminder_at = ?"
                " WHERE id = ? AND next_reminder_at = ?",
                [(a.occurrence, a.reminder_at, a.meeting_id, a.expected_at) for a in meetings],
            )
            c.executemany(
                "UPDATE meeting_subscriptions SET occurrence = ?, next_at = ?"
                " WHERE meeting_id = ? AND member_id = ? AND next_at = ?",
                [
                    (a.occurrence, a.next_at, a.meeting_id, a.member_id, a.expected_at)
                    for a in subscriptions
                ],
            )
            return new

        return await self._db.write(unit)
