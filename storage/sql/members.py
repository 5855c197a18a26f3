"""Members, communities, memberships, conversation state and community helplines."""

from __future__ import annotations

import json
from typing import Any

from storage.database import Database, Tx
from storage.rows import (
    CommunityLine,
    CommunityRow,
    CommunityUpdate,
    Conversation,
    MemberRow,
    MemberUpdate,
    changed,
)
from storage.sql.columns import COMMUNITY, MEMBER, community_row, member_row, prefixed


def assignments(values: dict[str, Any]) -> tuple[str, list[Any]]:
    """'a = ?, b = ?' and the values; booleans become integers (flags are integers)."""
    names = sorted(values)
    params = [int(v) if isinstance(v, bool) else v for v in (values[n] for n in names)]
    return ", ".join(f"{n} = ?" for n in names), params


class SQLMembers:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def touch(
        self,
        platform: str,
        user_id: str,
        display_name: str,
        now: int,
        private_chat: bool,
        lang: str | None = None,
    ) -> MemberRow:
        # Most events come from known members with nothing new: read, and only write (and
        # wait for a commit) when something changed.
        known = await self.find(platform, user_id)
        if known is not None and (
            known.display_name == display_name
            and (known.has_private_chat or not private_chat)
            and (known.lang is not None or lang is None)
        ):
            return known

        async def unit(tx: Tx) -> MemberRow:
            row = await tx.fetchone(
                "INSERT INTO members (platform, user_id, display_name, lang, has_private_chat,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (platform, user_id)"
                " DO UPDATE SET display_name = excluded.display_name,"
                " has_private_chat = CASE WHEN excluded.has_private_chat = 1 THEN 1"
                " ELSE members.has_private_chat END,"
                f" lang = COALESCE(members.lang, excluded.lang) RETURNING {MEMBER}",
                (platform, user_id, display_name, lang, int(private_chat), now),
            )
            assert row is not None
            return member_row(row)

        return await self._db.write(unit)

    async def get(self, member_id: int) -> MemberRow | None:
        row = await self._db.fetchone(f"SELECT {MEMBER} FROM members WHERE id = ?", (member_id,))
        return member_row(row) if row else None

    async def find(self, platform: str, user_id: str) -> MemberRow | None:
        row = await self._db.fetchone(
            f"SELECT {MEMBER} FROM members WHERE platform = ? AND user_id = ?",
            (platform, user_id),
        )
        return member_row(row) if row else None

    async def find_by_name(self, platform: str, community_id: int, name: str) -> list[MemberRow]:
        wanted = name.strip().lstrip("@").casefold()
        if not wanted:
            return []
        # lower() narrows the candidates in SQL (indexed by membership); casefold decides.
        rows = await self._db.fetch(
            f"SELECT {prefixed('m', MEMBER)} FROM members m"
            " JOIN memberships s ON s.member_id = m.id"
            " WHERE s.community_id = ? AND m.platform = ?"
            " AND (lower(m.display_name) = ? OR lower(m.user_id) = ?)",
            (community_id, platform, wanted.lower(), wanted.lower()),
        )
        members = [member_row(r, "m_") for r in rows]
        return [m for m in members if wanted in (m.display_name.casefold(), m.user_id.casefold())]

    async def update(self, member_id: int, change: MemberUpdate) -> None:
        values = changed(change)
        if not values:
            return
        sets, params = assignments(values)
        await self._db.execute(f"UPDATE members SET {sets} WHERE id = ?", (*params, member_id))

    async def set_paused(self, member_id: int, paused: bool) -> None:
        async def unit(tx: Tx) -> None:
            await tx.execute("UPDATE members SET paused = ? WHERE id = ?", (int(paused), member_id))
            # Their milestones wait, out of the due index, until they are back (014).
            await tx.execute(
                "UPDATE counters SET held = ? WHERE member_id = ?", (int(paused), member_id)
            )

        await self._db.write(unit)

    async def count(self) -> int:
        return int(await self._db.fetchval("SELECT COUNT(*) FROM members"))


class SQLCommunities:
    def __init__(self, db: Database) -> None:
        self._db = db
        # (member, community) -> (moderator flag, when last written): note_member runs on
        # every group message and only needs a write when the flag changes or hourly. A
        # per-process cache of what this process wrote: safe with several processes, as
        # the worst case is one extra write.
        self._noted: dict[tuple[int, int], tuple[bool, int]] = {}

    async def ensure(self, platform: str, chat_id: str, title: str, now: int) -> CommunityRow:
        found = await self.find(platform, chat_id)
        if found is not None and found.active and (found.title == title or not title):
            return found  # the usual case: no write, no commit to wait for

        async def unit(tx: Tx) -> CommunityRow:
            row = await tx.fetchone(
                "INSERT INTO communities (platform, chat_id, title, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (platform, chat_id) DO UPDATE SET"
                " title = CASE WHEN excluded.title != '' THEN excluded.title"
                f" ELSE communities.title END, active = 1 RETURNING {COMMUNITY}",
                (platform, chat_id, title, now),
            )
            assert row is not None
            return community_row(row)

        return await self._db.write(unit)

    async def get(self, community_id: int) -> CommunityRow | None:
        row = await self._db.fetchone(
            f"SELECT {COMMUNITY} FROM communities WHERE id = ?", (community_id,)
        )
        return community_row(row) if row else None

    async def find(self, platform: str, chat_id: str) -> CommunityRow | None:
        row = await self._db.fetchone(
            f"SELECT {COMMUNITY} FROM communities WHERE platform = ? AND chat_id = ?",
            (platform, chat_id),
        )
        return community_row(row) if row else None

    async def all(self, platform: str | None = None) -> list[CommunityRow]:
        where, params = ("WHERE platform = ?", (platform,)) if platform else ("", ())
        rows = await self._db.fetch(
            f"SELECT {COMMUNITY} FROM communities {where} ORDER BY active DESC, id", params
        )
        return [community_row(r) for r in rows]

    async def update(self, community_id: int, change: CommunityUpdate) -> None:
        values = changed(change)
        if not values:
            return
        sets, params = assignments(values)
        await self._db.execute(
            f"UPDATE communities SET {sets} WHERE id = ?", (*params, community_id)
        )

    async def note_member(
        self, member_id: int, community_id: int, is_moderator: bool, now: int
    ) -> None:
        seen = self._noted.get((member_id, community_id))
        if seen is not None and seen[0] == is_moderator and now - seen[1] < 3600:
            return
        if len(self._noted) > 100_000:
            self._noted.clear()
        await self._db.execute(
            "INSERT INTO memberships (member_id, community_id, is_moderator, last_seen)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (member_id, community_id) DO UPDATE SET"
            " is_moderator = excluded.is_moderator, last_seen = excluded.last_seen",
            (member_id, community_id, int(is_moderator), now),
        )
        self._noted[(member_id, community_id)] = (is_moderator, now)

    async def move(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        if not new_chat_id:
            return

        async def unit(tx: Tx) -> None:
            old = await tx.fetchone(
                "SELECT id FROM communities WHERE platform = ? AND chat_id = ?",
                (platform, old_chat_id),
            )
            if old is None:
                return
            # A row for the new id may exist already (its first service message can arrive
            # before the move notice); it is seconds old and has nothing of its own.
            await tx.execute(
                "DELETE FROM communities WHERE platform = ? AND chat_id = ?",
                (platform, new_chat_id),
            )
            await tx.execute(
                "UPDATE communities SET chat_id = ?, announce_chat_id = CASE"
                " WHEN announce_chat_id = ? THEN ? ELSE announce_chat_id END WHERE id = ?",
                (new_chat_id, old_chat_id, new_chat_id, old["id"]),
            )

        await self._db.write(unit)
        self._noted.clear()

    def forget_cached(self, member_id: int) -> None:
        for key in [k for k in self._noted if k[0] == member_id]:
            del self._noted[key]

    async def of_member(self, member_id: int) -> list[CommunityRow]:
        rows = await self._db.fetch(
            f"SELECT {prefixed('c', COMMUNITY)} FROM communities c"
            " JOIN memberships s ON s.community_id = c.id"
            " WHERE s.member_id = ? AND c.active = 1 ORDER BY s.last_seen DESC, c.id",
            (member_id,),
        )
        return [community_row(r, "c_") for r in rows]

    async def moderators(self, community_id: int) -> list[MemberRow]:
        rows = await self._db.fetch(
            f"SELECT {prefixed('m', MEMBER)} FROM members m"
            " JOIN memberships s ON s.member_id = m.id"
            " WHERE s.community_id = ? AND s.is_moderator = 1 ORDER BY m.id",
            (community_id,),
        )
        return [member_row(r, "m_") for r in rows]


class SQLConversations:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, member_id: int, now: int) -> Conversation | None:
        row = await self._db.fetchone(
            "SELECT state, data FROM conversations WHERE member_id = ? AND expires_at > ?",
            (member_id, now),
        )
        return Conversation(row["state"], json.loads(row["data"])) if row else None

    async def set(self, member_id: int, state: str, data: dict[str, Any], expires_at: int) -> None:
        await self._db.execute(
            "INSERT INTO conversations (member_id, state, data, expires_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (member_id) DO UPDATE SET state = excluded.state,"
            " data = excluded.data, expires_at = excluded.expires_at",
            (member_id, state, json.dumps(data), expires_at),
        )

    async def clear(self, member_id: int) -> None:
        await self._db.execute("DELETE FROM conversations WHERE member_id = ?", (member_id,))


class SQLCommunityLines:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def lines(self, community_id: int) -> list[CommunityLine]:
        rows = await self._db.fetch(
            "SELECT service, kind, contact_type, dial, added_at, country, added_by"
            " FROM community_helplines WHERE community_id = ? ORDER BY added_at, service",
            (community_id,),
        )
        return [
            CommunityLine(
                service=r["service"],
                kind=r["kind"],
                contact_type=r["contact_type"],
                dial=r["dial"],
                added_at=r["added_at"],
                country=r["country"],
                added_by=r["added_by"],
            )
            for r in rows
        ]

    async def add_line(self, community_id: int, line: CommunityLine) -> None:
        await self._db.execute(
            "INSERT INTO community_helplines (community_id, service, kind, contact_type, dial,"
            " added_at, country, added_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (community_id, service) DO UPDATE SET kind = excluded.kind,"
            " contact_type = excluded.contact_type, dial = excluded.dial,"
            " added_at = excluded.added_at, country = excluded.country,"
            " added_by = excluded.added_by",
            (
                community_id,
                line.service,
                line.kind,
                line.contact_type,
                line.dial,
                line.added_at,
                line.country,
                line.added_by,
            ),
        )

    async def remove_line(self, community_id: int, service: str) -> bool:
        removed = await self._db.execute(
            "DELETE FROM community_helplines WHERE community_id = ? AND lower(service) = ?",
            (community_id, service.lower()),
        )
        return removed > 0
