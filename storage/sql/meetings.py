"""Meetings, reminder subscriptions, RSVPs and attendance."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from storage.database import Database, Row, Tx, in_list
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
from storage.rows import OutboxItem
from storage.sql.columns import (
    COMMUNITY,
    MEMBER,
    community_row,
    dumps,
    member_row,
    prefixed,
)
from storage.sql.outbox import insert_items

_MEETING = "id, community_id, slug, name, spec, next_occurrence, next_reminder_at"
_SUB = "meeting_id, member_id, before_min, occurrence, next_at"
IMPORT_CHUNK = 500  # meetings per transaction: other members' writes never wait long


def meeting_row(r: Row, prefix: str = "") -> MeetingRow:
    p = prefix
    return MeetingRow(
        id=r[p + "id"],
        community_id=r[p + "community_id"],
        slug=r[p + "slug"],
        name=r[p + "name"],
        spec=json.loads(r[p + "spec"]),
        next_occurrence=r[p + "next_occurrence"],
        next_reminder_at=r[p + "next_reminder_at"],
    )


def subscription_row(r: Row, prefix: str = "") -> SubscriptionRow:
    p = prefix
    return SubscriptionRow(
        r[p + "meeting_id"],
        r[p + "member_id"],
        r[p + "before_min"],
        r[p + "occurrence"],
        r[p + "next_at"],
    )


def _free_slug(taken: set[str], slug: str) -> str:
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    return candidate


async def _taken_slugs(tx: Tx, community_id: int) -> set[str]:
    rows = await tx.fetch("SELECT slug FROM meetings WHERE community_id = ?", (community_id,))
    return {r["slug"] for r in rows}


async def _replan_subscriptions(
    tx: Tx, meeting_ids: Sequence[int], plans: Sequence[MeetingPlan], now: int
) -> None:
    # Each subscription keeps its own lead time; a reminder already sent for the same
    # occurrence is not repeated (the outbox dedupe key is the same).
    pairs = list(zip(meeting_ids, plans, strict=True))
    await tx.executemany(
        "UPDATE meeting_subscriptions SET occurrence = ?, next_at = CASE"
        " WHEN ? - before_min * 60 > ? THEN ? - before_min * 60 ELSE ? END"
        " WHERE meeting_id = ?",
        [
            (p.occurrence, p.start_at, now, p.start_at, now, mid)
            for mid, p in pairs
            if p.start_at is not None
        ],
    )
    await tx.executemany(
        "UPDATE meeting_subscriptions SET occurrence = NULL, next_at = NULL WHERE meeting_id = ?",
        [(mid,) for mid, p in pairs if p.start_at is None],
    )


class SQLMeetings:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- meetings ----------------------------------------------------------------------------
    async def add(self, community_id: int, meeting: NewMeeting, now: int) -> MeetingRow:
        async def unit(tx: Tx) -> MeetingRow:
            slug = _free_slug(await _taken_slugs(tx, community_id), meeting.slug)
            row = await tx.fetchone(
                "INSERT INTO meetings (community_id, slug, name, spec, next_occurrence,"
                " next_reminder_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                f" RETURNING {_MEETING}",
                (
                    community_id,
                    slug,
                    meeting.name,
                    dumps({**meeting.spec, "slug": slug}),
                    meeting.plan.occurrence,
                    meeting.plan.reminder_at,
                    now,
                    now,
                ),
            )
            assert row is not None
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
        async def unit(tx: Tx) -> None:
            await tx.execute(
                "UPDATE meetings SET name = ?, spec = ?, next_occurrence = ?,"
                " next_reminder_at = ?, updated_at = ? WHERE id = ?",
                (name, dumps(spec), plan.occurrence, plan.reminder_at, now, meeting_id),
            )
            await _replan_subscriptions(tx, [meeting_id], [plan], now)
            for day in cancel_dates:
                key = f"reminder:{meeting_id}:{day}"
                await tx.execute(
                    "UPDATE outbox SET status = 'skipped', last_error = 'occurrence skipped',"
                    " finished_at = ? WHERE (dedupe_key = ? OR dedupe_key LIKE ?)"
                    " AND status IN ('pending', 'held')",
                    (now, key, key + ":m%"),
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
        rows = await self._db.fetch(
            f"SELECT {_MEETING}, feed_slug FROM meetings WHERE community_id = ? AND imported = 1",
            (community_id,),
        )
        return {r["feed_slug"]: meeting_row(r) for r in rows}

    async def of_communities(self, community_ids: Sequence[int]) -> list[MeetingRow]:
        if not community_ids:
            return []
        rows = await self._db.fetch(
            f"SELECT {_MEETING} FROM meetings WHERE community_id IN ({in_list(community_ids)})"
            " ORDER BY lower(name), id",
            list(community_ids),
        )
        return [meeting_row(r) for r in rows]

    async def import_many(
        self, community_id: int, meetings: Sequence[NewMeeting], now: int
    ) -> tuple[int, int]:
        imported = updated = 0
        # Linear and bounded: one lookup of what exists, then batched statements, in
        # transactions of IMPORT_CHUNK meetings.
        for start in range(0, len(meetings), IMPORT_CHUNK):
            chunk = meetings[start : start + IMPORT_CHUNK]

            async def unit(tx: Tx, chunk: Sequence[NewMeeting] = chunk) -> tuple[int, int]:
                existing = {
                    r["feed_slug"]: (r["id"], r["slug"])
                    for r in await tx.fetch(
                        "SELECT id, slug, feed_slug FROM meetings"
                        " WHERE community_id = ? AND imported = 1",
                        (community_id,),
                    )
                }
                taken = await _taken_slugs(tx, community_id)
                inserts: list[tuple[Any, ...]] = []
                changes: list[tuple[Any, ...]] = []
                changed_ids: list[int] = []
                changed_plans: list[MeetingPlan] = []
                for m in chunk:
                    found = existing.get(m.slug)
                    if found is None:
                        # New; if a hand-made meeting has this slug, never overwrite it.
                        slug = _free_slug(taken, m.slug)
                        taken.add(slug)
                        inserts.append(
                            (
                                community_id,
                                slug,
                                m.name,
                                dumps({**m.spec, "slug": slug}),
                                m.plan.occurrence,
                                m.plan.reminder_at,
                                now,
                                now,
                                m.slug,
                            )
                        )
                    else:
                        meeting_id, stored_slug = found
                        changes.append(
                            (
                                m.name,
                                dumps({**m.spec, "slug": stored_slug}),
                                m.plan.occurrence,
                                m.plan.reminder_at,
                                now,
                                meeting_id,
                            )
                        )
                        changed_ids.append(meeting_id)
                        changed_plans.append(m.plan)
                await tx.executemany(
                    "INSERT INTO meetings (community_id, slug, name, spec, next_occurrence,"
                    " next_reminder_at, created_at, updated_at, imported, feed_slug)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                    inserts,
                )
                await tx.executemany(
                    "UPDATE meetings SET name = ?, spec = ?, next_occurrence = ?,"
                    " next_reminder_at = ?, updated_at = ? WHERE id = ?",
                    changes,
                )
                if changed_ids:
                    await _replan_subscriptions(tx, changed_ids, changed_plans, now)
                return len(inserts), len(changes)

            new, moved = await self._db.write(unit)
            imported += new
            updated += moved
        return imported, updated

    # -- subscriptions and RSVPs -------------------------------------------------------------
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
            " ON CONFLICT (meeting_id, member_id) DO UPDATE SET"
            " before_min = excluded.before_min, occurrence = excluded.occurrence,"
            " next_at = excluded.next_at",
            (meeting_id, member_id, before_min, occurrence, next_at, now),
        )

    async def unsubscribe(self, meeting_id: int, member_id: int) -> bool:
        removed = await self._db.execute(
            "DELETE FROM meeting_subscriptions WHERE meeting_id = ? AND member_id = ?",
            (meeting_id, member_id),
        )
        return removed == 1

    async def subscriptions(self, member_id: int) -> list[SubscriptionRow]:
        rows = await self._db.fetch(
            f"SELECT {_SUB} FROM meeting_subscriptions WHERE member_id = ? ORDER BY meeting_id",
            (member_id,),
        )
        return [subscription_row(r) for r in rows]

    async def subscriber_count(self, meeting_id: int) -> int:
        return int(
            await self._db.fetchval(
                "SELECT COUNT(*) FROM meeting_subscriptions WHERE meeting_id = ?", (meeting_id,)
            )
        )

    async def rsvp(self, meeting_id: int, member_id: int, occurrence: str, now: int) -> bool:
        added = await self._db.execute(
            "INSERT INTO rsvps (meeting_id, member_id, occurrence, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (meeting_id, member_id, occurrence, now),
        )
        return added == 1

    async def cancel_rsvp(self, meeting_id: int, member_id: int, occurrence: str) -> bool:
        removed = await self._db.execute(
            "DELETE FROM rsvps WHERE meeting_id = ? AND member_id = ? AND occurrence = ?",
            (meeting_id, member_id, occurrence),
        )
        return removed == 1

    async def rsvp_count(self, meeting_id: int, occurrence: str) -> int:
        return int(
            await self._db.fetchval(
                "SELECT COUNT(*) FROM rsvps WHERE meeting_id = ? AND occurrence = ?",
                (meeting_id, occurrence),
            )
        )

    # -- attendance --------------------------------------------------------------------------
    async def log_attendance(
        self, member_id: int, meeting_id: int | None, meeting_name: str, day: str, now: int
    ) -> bool:
        added = await self._db.execute(
            "INSERT INTO attendance (member_id, meeting_id, meeting_name, day, recorded_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (member_id, meeting_id, meeting_name, day, now),
        )
        return added == 1

    async def attendance(self, member_id: int) -> list[AttendanceRow]:
        rows = await self._db.fetch(
            "SELECT day, meeting_name, meeting_id, recorded_at FROM attendance"
            " WHERE member_id = ? ORDER BY day, id",
            (member_id,),
        )
        return [
            AttendanceRow(r["day"], r["meeting_name"], r["meeting_id"], r["recorded_at"])
            for r in rows
        ]

    # -- the sweep ---------------------------------------------------------------------------
    async def due_meetings(self, now: int, limit: int) -> list[DueMeeting]:
        rows = await self._db.fetch(
            f"SELECT {prefixed('m', _MEETING)}, {prefixed('c', COMMUNITY)}"
            " FROM meetings m JOIN communities c ON c.id = m.community_id"
            " WHERE m.next_reminder_at <= ? AND c.active = 1"
            " ORDER BY m.next_reminder_at, m.id LIMIT ?",
            (now, limit),
        )
        return [DueMeeting(meeting_row(r, "m_"), community_row(r, "c_")) for r in rows]

    async def due_subscriptions(self, now: int, limit: int) -> list[DueSubscription]:
        rows = await self._db.fetch(
            f"SELECT {prefixed('s', _SUB)}, {prefixed('m', _MEETING)}, {prefixed('p', MEMBER)},"
            " c.tz AS community_tz FROM meeting_subscriptions s"
            " JOIN meetings m ON m.id = s.meeting_id"
            " JOIN communities c ON c.id = m.community_id"
            " JOIN members p ON p.id = s.member_id"
            " WHERE s.next_at <= ? AND c.active = 1"
            " ORDER BY s.next_at, s.meeting_id, s.member_id LIMIT ?",
            (now, limit),
        )
        return [
            DueSubscription(
                subscription_row(r, "s_"),
                meeting_row(r, "m_"),
                member_row(r, "p_"),
                r["community_tz"],
            )
            for r in rows
        ]

    async def advance(
        self,
        items: Sequence[OutboxItem],
        meetings: Sequence[MeetingAdvance],
        subscriptions: Sequence[SubscriptionAdvance],
    ) -> int:
        async def unit(tx: Tx) -> int:
            new = await insert_items(tx, items)
            # Guarded by the old due time: a row edited meanwhile keeps its fresh plan.
            await tx.executemany(
                "UPDATE meetings SET next_occurrence = ?, next_reminder_at = ?"
                " WHERE id = ? AND next_reminder_at = ?",
                [(a.occurrence, a.reminder_at, a.meeting_id, a.expected_at) for a in meetings],
            )
            await tx.executemany(
                "UPDATE meeting_subscriptions SET occurrence = ?, next_at = ?"
                " WHERE meeting_id = ? AND member_id = ? AND next_at = ?",
                [
                    (a.occurrence, a.next_at, a.meeting_id, a.member_id, a.expected_at)
                    for a in subscriptions
                ],
            )
            return new

        return await self._db.write(unit)
