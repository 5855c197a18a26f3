"""Community resources, members' "outdated" reports and the moderators' review."""

from __future__ import annotations

from collections.abc import Sequence

from storage.database import Database, Row, Tx, in_list
from storage.resources_base import (
    NewResource,
    ResourceRow,
    ResourceSettings,
    ResourceUpdate,
    ReviewAdvance,
)
from storage.rows import OutboxItem, changed
from storage.sql.members import assignments
from storage.sql.outbox import insert_items

_RESOURCE = (
    "id, community_id, category, name, contact, area, hours, languages, checked_on, review_at,"
    " reports, added_by, created_at, updated_at"
)


def resource_row(r: Row) -> ResourceRow:
    return ResourceRow(**{name.strip(): r[name.strip()] for name in _RESOURCE.split(",")})


def _insert_values(
    community_id: int, new: NewResource, added_by: int | None, now: int
) -> tuple[object, ...]:
    return (
        community_id,
        new.category,
        new.name,
        new.contact,
        new.area,
        new.hours,
        new.languages,
        new.checked_on,
        new.review_at,
        added_by,
        now,
        now,
    )


_INSERT = (
    "INSERT INTO resources (community_id, category, name, contact, area, hours, languages,"
    " checked_on, review_at, added_by, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class SQLResources:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def settings(self, community_id: int) -> ResourceSettings:
        row = await self._db.fetchone(
            "SELECT review_days, family_group FROM resource_settings WHERE community_id = ?",
            (community_id,),
        )
        if row is None:
            return ResourceSettings()
        return ResourceSettings(int(row["review_days"]), bool(row["family_group"]))

    async def save_settings(self, community_id: int, settings: ResourceSettings) -> None:
        await self._db.execute(
            "INSERT INTO resource_settings (community_id, review_days, family_group)"
            " VALUES (?, ?, ?) ON CONFLICT (community_id) DO UPDATE SET"
            " review_days = excluded.review_days, family_group = excluded.family_group",
            (community_id, settings.review_days, int(settings.family_group)),
        )

    async def add(
        self, community_id: int, new: NewResource, added_by: int | None, now: int
    ) -> ResourceRow | None:
        async def unit(tx: Tx) -> int | None:
            row = await tx.fetchone(
                f"{_INSERT} ON CONFLICT (community_id, category, name) DO NOTHING RETURNING id",
                _insert_values(community_id, new, added_by, now),
            )
            return None if row is None else int(row["id"])

        new_id = await self._db.write(unit)
        return await self.get(new_id) if new_id is not None else None

    async def get(self, resource_id: int) -> ResourceRow | None:
        row = await self._db.fetchone(
            f"SELECT {_RESOURCE} FROM resources WHERE id = ?", (resource_id,)
        )
        return resource_row(row) if row else None

    async def of_communities(self, community_ids: Sequence[int]) -> list[ResourceRow]:
        if not community_ids:
            return []
        rows = await self._db.fetch(
            f"SELECT {_RESOURCE} FROM resources WHERE community_id IN"
            f" ({in_list(community_ids)}) ORDER BY category, name, id",
            list(community_ids),
        )
        return [resource_row(r) for r in rows]

    async def update(self, resource_id: int, change: ResourceUpdate, now: int) -> bool:
        values = changed(change)
        if not values:
            return True
        sets, params = assignments(values)

        async def unit(tx: Tx) -> bool:
            current = await tx.fetchone(
                "SELECT community_id, category, name FROM resources WHERE id = ?",
                (resource_id,),
            )
            if current is None:
                return False
            clash = await tx.fetchone(
                "SELECT id FROM resources WHERE community_id = ? AND category = ?"
                " AND name = ? AND id <> ?",
                (
                    current["community_id"],
                    values.get("category", current["category"]),
                    values.get("name", current["name"]),
                    resource_id,
                ),
            )
            if clash is not None:
                return False
            await tx.execute(
                f"UPDATE resources SET {sets}, updated_at = ? WHERE id = ?",
                (*params, now, resource_id),
            )
            return True

        return await self._db.write(unit)

    async def checked(self, resource_id: int, day: str, review_at: int, now: int) -> bool:
        async def unit(tx: Tx) -> bool:
            done = await tx.execute(
                "UPDATE resources SET checked_on = ?, review_at = ?, reports = 0,"
                " updated_at = ? WHERE id = ?",
                (day, review_at, now, resource_id),
            )
            await tx.execute("DELETE FROM resource_reports WHERE resource_id = ?", (resource_id,))
            return done == 1

        return await self._db.write(unit)

    async def reschedule(self, changes: Sequence[tuple[int, int]]) -> None:
        async def unit(tx: Tx) -> None:
            await tx.executemany(
                "UPDATE resources SET review_at = ? WHERE id = ? AND review_at IS NOT NULL",
                [(at, rid) for rid, at in changes],
            )

        if changes:
            await self._db.write(unit)

    async def remove(self, resource_id: int) -> bool:
        return await self._db.execute("DELETE FROM resources WHERE id = ?", (resource_id,)) == 1

    async def report(self, resource_id: int, member_id: int, now: int) -> bool:
        async def unit(tx: Tx) -> bool:
            row = await tx.fetchone(
                "INSERT INTO resource_reports (resource_id, member_id, created_at)"
                " VALUES (?, ?, ?) ON CONFLICT (resource_id, member_id) DO NOTHING"
                " RETURNING resource_id",
                (resource_id, member_id, now),
            )
            if row is None:
                return False
            # Not yet with moderators: it goes to them at the next sweep.
            await tx.execute(
                "UPDATE resources SET reports = reports + 1,"
                " review_at = CASE WHEN review_at IS NULL THEN review_at ELSE ? END WHERE id = ?",
                (now, resource_id),
            )
            return True

        return await self._db.write(unit)

    async def due_reviews(self, now: int, limit: int) -> list[ResourceRow]:
        rows = await self._db.fetch(
            f"SELECT {_RESOURCE} FROM resources WHERE review_at IS NOT NULL AND review_at <= ?"
            " ORDER BY community_id, review_at, id LIMIT ?",
            (now, limit),
        )
        return [resource_row(r) for r in rows]

    async def plan_reviews(
        self, items: Sequence[OutboxItem], advances: Sequence[ReviewAdvance]
    ) -> int:
        async def unit(tx: Tx) -> int:
            new = await insert_items(tx, items)
            await tx.executemany(
                "UPDATE resources SET review_at = NULL WHERE id = ? AND review_at = ?",
                [(a.resource_id, a.expected_at) for a in advances],
            )
            return new

        return await self._db.write(unit)

    async def import_many(
        self, community_id: int, rows: Sequence[NewResource], now: int
    ) -> tuple[int, int]:
        async def unit(tx: Tx) -> tuple[int, int]:
            added = updated = 0
            for new in rows:
                changed_rows = await tx.execute(
                    "UPDATE resources SET contact = ?, area = ?, hours = ?, languages = ?,"
                    " checked_on = ?, review_at = ?, updated_at = ?"
                    " WHERE community_id = ? AND category = ? AND name = ?",
                    (
                        new.contact,
                        new.area,
                        new.hours,
                        new.languages,
                        new.checked_on,
                        new.review_at,
                        now,
                        community_id,
                        new.category,
                        new.name,
                    ),
                )
                if changed_rows:
                    updated += 1
                else:
                    await tx.execute(_INSERT, _insert_values(community_id, new, None, now))
                    added += 1
            return added, updated

        return await self._db.write(unit)
