"""What several Harbor processes on one database agree on through it: which platform events
were handled already (a webhook update reaching two gateways, an update re-delivered after a
poller died), and which process holds a named role (the one Telegram poller)."""

from __future__ import annotations

from storage.database import Database


class SQLProcessedEvents:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def first_time(self, platform: str, event_id: str, now: int) -> bool:
        added = await self._db.execute(
            "INSERT INTO processed_events (platform, event_id, seen_at) VALUES (?, ?, ?)"
            " ON CONFLICT (platform, event_id) DO NOTHING",
            (platform, event_id, now),
        )
        return added == 1

    async def prune(self, before: int) -> int:
        return await self._db.execute("DELETE FROM processed_events WHERE seen_at < ?", (before,))


class SQLLeases:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def try_acquire(self, name: str, holder: str, ttl: int, now: int) -> bool:
        # One statement: take a free or lapsed lease, or renew our own; never someone
        # else's live one. Row locks (PostgreSQL) or the single writer (SQLite) order racers.
        changed = await self._db.execute(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
            " expires_at = excluded.expires_at"
            " WHERE leases.holder = excluded.holder OR leases.expires_at < ?",
            (name, holder, now + ttl, now),
        )
        return changed == 1

    async def release(self, name: str, holder: str) -> None:
        await self._db.execute(
            "DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder)
        )

    async def holder(self, name: str, now: int) -> str | None:
        row = await self._db.fetchone(
            "SELECT holder FROM leases WHERE name = ? AND expires_at >= ?", (name, now)
        )
        return None if row is None else str(row["holder"])
