"""Moderators' scheduled posts and the occurrences the sweep plans for them."""

from __future__ import annotations

from collections.abc import Sequence

from storage.announcements_base import (
    AnnouncementRow,
    AnnouncementUpdate,
    Celebrant,
    DuePost,
    NewAnnouncement,
    PostAdvance,
    post_key,
)
from storage.database import Database, Row, Tx
from storage.rows import OutboxItem, changed
from storage.sql.columns import COMMUNITY, community_row, flag, prefixed
from storage.sql.consent import withdraw_keys
from storage.sql.outbox import insert_items

_POST = (
    "id, community_id, author_id, kind, schedule, body, chat_id, thread_id, tz, paused,"
    " next_at, next_day, last_day, created_at, updated_at"
)


_NAMES = tuple(name.strip() for name in _POST.split(","))


def post_row(r: Row, prefix: str = "") -> AnnouncementRow:
    values = {name: r[prefix + name] for name in _NAMES}
    values["paused"] = bool(values["paused"])
    return AnnouncementRow(**values)


class SQLAnnouncements:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, community_id: int, author_id: int, new: NewAnnouncement, now: int
    ) -> AnnouncementRow:
        async def unit(tx: Tx) -> AnnouncementRow:
            row = await tx.fetchone(
                "INSERT INTO announcements (community_id, author_id, kind, schedule, body,"
                " chat_id, thread_id, tz, paused, next_at, next_day, created_at, updated_at)"
                f" VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?) RETURNING {_POST}",
                (
                    community_id,
                    author_id,
                    new.kind,
                    new.schedule,
                    new.body,
                    new.chat_id,
                    new.thread_id,
                    new.tz,
                    new.next_at,
                    new.next_day,
                    now,
                    now,
                ),
            )
            assert row is not None
            return post_row(row)

        return await self._db.write(unit)

    async def get(self, post_id: int) -> AnnouncementRow | None:
        row = await self._db.fetchone(f"SELECT {_POST} FROM announcements WHERE id = ?", (post_id,))
        return post_row(row) if row is not None else None

    async def of_community(self, community_id: int) -> list[AnnouncementRow]:
        rows = await self._db.fetch(
            f"SELECT {_POST} FROM announcements WHERE community_id = ? ORDER BY id",
            (community_id,),
        )
        return [post_row(r) for r in rows]

    async def update(self, post_id: int, change: AnnouncementUpdate, now: int) -> bool:
        values = changed(change)
        if "paused" in values:
            values["paused"] = flag(values["paused"])
        names = sorted(values)

        async def unit(tx: Tx) -> bool:
            updated = await tx.execute(
                "UPDATE announcements SET updated_at = ?"
                + "".join(f", {n} = ?" for n in names)
                + " WHERE id = ?",
                (now, *(values[n] for n in names), post_id),
            )
            if updated and values.get("paused"):
                await withdraw_keys(tx, post_key(post_id), now)
            return updated == 1

        return await self._db.write(unit)

    async def remove(self, post_id: int, now: int) -> bool:
        async def unit(tx: Tx) -> bool:
            removed = await tx.execute("DELETE FROM announcements WHERE id = ?", (post_id,))
            await withdraw_keys(tx, post_key(post_id), now)
            return removed == 1

        return await self._db.write(unit)

    async def due(self, now: int, limit: int) -> list[DuePost]:
        rows = await self._db.fetch(
            f"SELECT {prefixed('a', _POST)}, {prefixed('c', COMMUNITY)} FROM announcements a"
            " JOIN communities c ON c.id = a.community_id"
            " WHERE a.next_at IS NOT NULL AND a.next_at <= ? AND a.paused = 0 AND c.active = 1"
            " ORDER BY a.next_at, a.id LIMIT ?",
            (now, limit),
        )
        return [DuePost(post_row(r, "a_"), community_row(r, "c_")) for r in rows]

    async def plan(self, items: Sequence[OutboxItem], advances: Sequence[PostAdvance]) -> int:
        async def unit(tx: Tx) -> int:
            new = await insert_items(tx, items)
            await tx.executemany(
                "UPDATE announcements SET next_at = ?, next_day = ?, tz = ?,"
                " last_day = COALESCE(?, last_day)"
                " WHERE id = ? AND next_at = ? AND paused = 0",
                [
                    (
                        a.next_at,
                        a.next_day,
                        a.tz,
                        a.posted_day,
                        a.post_id,
                        a.expected_at,
                    )
                    for a in advances
                ],
            )
            return new

        return await self._db.write(unit)

    async def celebrants(self, community_id: int) -> list[Celebrant]:
        rows = await self._db.fetch(
            "SELECT m.id AS member_id, m.display_name, c.name AS counter_name, c.start_date,"
            " s.show_substance FROM community_sharing s"
            " JOIN members m ON m.id = s.member_id"
            " JOIN memberships ms ON ms.member_id = s.member_id AND ms.community_id = ?"
            " JOIN counters c ON c.member_id = s.member_id"
            " WHERE s.community_id = ? AND s.celebrate = 1 ORDER BY m.id, c.id",
            (community_id, community_id),
        )
        return [
            Celebrant(
                int(r["member_id"]),
                r["display_name"],
                r["counter_name"],
                r["start_date"],
                bool(r["show_substance"]),
            )
            for r in rows
        ]
