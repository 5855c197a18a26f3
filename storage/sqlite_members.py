"""Members, communities, memberships and conversation state on SQLite."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from storage.base import (
    COMMUNITY_SETTINGS,
    MEMBER_SETTINGS,
    CommunityLine,
    CommunityRow,
    Conversation,
    MemberRow,
)
from storage.db import Database, columns

_MEMBER_COLS = (
    "id, platform, user_id, display_name, tz, country, date_locale, has_private_chat, paused"
)
_COMMUNITY_COLS = (
    "id, platform, chat_id, title, tz, country, program, allow_celebrations, announce_chat_id,"
    " announce_thread_id, leaderboard, crisis_public_line, crisis_alerts, checkin_time,"
    " nudge_after_days, active"
)


def member_row(r: sqlite3.Row | tuple[Any, ...]) -> MemberRow:
    return MemberRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), bool(r[8]))


def community_row(r: sqlite3.Row | tuple[Any, ...]) -> CommunityRow:
    return CommunityRow(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        bool(r[7]),
        r[8],
        r[9],
        bool(r[10]),
        bool(r[11]),
        bool(r[12]),
        r[13],
        r[14],
        bool(r[15]),
    )


def _assignments(fields: dict[str, Any], allowed: frozenset[str]) -> tuple[str, list[Any]]:
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"not a setting: {sorted(unknown)}")
    names = sorted(fields)
    return ", ".join(f"{n} = ?" for n in names), [fields[n] for n in names]


class SQLiteMembers:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def touch(
        self, platform: str, user_id: str, display_name: str, now: int, private_chat: bool
    ) -> MemberRow:
        def unit(c: sqlite3.Connection) -> MemberRow:
            c.execute(
                "INSERT INTO members (platform, user_id, display_name, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (platform, user_id) DO NOTHING",
                (platform, user_id, display_name, now),
            )
            c.execute(
                "UPDATE members SET display_name = ?, has_private_chat = MAX(has_private_chat, ?)"
                " WHERE platform = ? AND user_id = ?"
                " AND (display_name != ? OR (? AND has_private_chat = 0))",
                (
                    display_name,
                    int(private_chat),
                    platform,
                    user_id,
                    display_name,
                    int(private_chat),
                ),
            )
            row = c.execute(
                f"SELECT {_MEMBER_COLS} FROM members WHERE platform = ? AND user_id = ?",
                (platform, user_id),
            ).fetchone()
            return member_row(row)

        # Most events come from known members with an unchanged name: read, and only
        # write (and wait for a commit) when something is new.
        row = await self._db.fetchone(
            f"SELECT {_MEMBER_COLS} FROM members WHERE platform = ? AND user_id = ?",
            (platform, user_id),
        )
        if row is not None:
            known = member_row(row)
            if known.display_name == display_name and (known.has_private_chat or not private_chat):
                return known
        return await self._db.write(unit)

    async def get(self, member_id: int) -> MemberRow | None:
        row = await self._db.fetchone(
            f"SELECT {_MEMBER_COLS} FROM members WHERE id = ?", (member_id,)
        )
        return member_row(row) if row else None

    async def find(self, platform: str, user_id: str) -> MemberRow | None:
        row = await self._db.fetchone(
            f"SELECT {_MEMBER_COLS} FROM members WHERE platform = ? AND user_id = ?",
            (platform, user_id),
        )
        return member_row(row) if row else None

    async def find_by_name(self, platform: str, community_id: int, name: str) -> list[MemberRow]:
        wanted = name.strip().lstrip("@").casefold()
        rows = await self._db.fetchall(
            f"SELECT {columns('m', _MEMBER_COLS)}"
            " FROM members m JOIN memberships s ON s.member_id = m.id"
            " WHERE m.platform = ? AND s.community_id = ?",
            (platform, community_id),
        )
        return [
            member_row(r) for r in rows if wanted in (str(r[3]).casefold(), str(r[2]).casefold())
        ]

    async def update(self, member_id: int, **fields: Any) -> None:
        sets, values = _assignments(fields, MEMBER_SETTINGS)
        await self._db.execute(f"UPDATE members SET {sets} WHERE id = ?", (*values, member_id))

    async def set_paused(self, member_id: int, paused: bool) -> None:
        await self._db.execute(
            "UPDATE members SET paused = ? WHERE id = ?", (int(paused), member_id)
        )

    async def count(self) -> int:
        return int(await self._db.scalar("SELECT COUNT(*) FROM members"))


class SQLiteCommunities:
    def __init__(self, db: Database) -> None:
        self._db = db
        # (member, community) -> (moderator flag, when last written): note_member runs on
        # every group message, and only needs a write when the flag changes or hourly.
        self._noted: dict[tuple[int, int], tuple[bool, int]] = {}

    async def ensure(self, platform: str, chat_id: str, title: str, now: int) -> CommunityRow:
        def unit(c: sqlite3.Connection) -> CommunityRow:
            c.execute(
                "INSERT INTO communities (platform, chat_id, title, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (platform, chat_id) DO UPDATE SET"
                " title = CASE WHEN excluded.title != '' THEN excluded.title ELSE title END,"
                " active = 1"
                " WHERE title != excluded.title OR active = 0",
                (platform, chat_id, title, now),
            )
            row = c.execute(
                f"SELECT {_COMMUNITY_COLS} FROM communities WHERE platform = ? AND chat_id = ?",
                (platform, chat_id),
            ).fetchone()
            return community_row(row)

        found = await self.find(platform, chat_id)
        if found is not None and found.active and (found.title == title or not title):
            return found  # the usual case: no write, no commit to wait for
        return await self._db.write(unit)

    async def get(self, community_id: int) -> CommunityRow | None:
        row = await self._db.fetchone(
            f"SELECT {_COMMUNITY_COLS} FROM communities WHERE id = ?", (community_id,)
        )
        return community_row(row) if row else None

    async def find(self, platform: str, chat_id: str) -> CommunityRow | None:
        row = await self._db.fetchone(
            f"SELECT {_COMMUNITY_COLS} FROM communities WHERE platform = ? AND chat_id = ?",
            (platform, chat_id),
        )
        return community_row(row) if row else None

    async def update(self, community_id: int, **fields: Any) -> None:
        sets, values = _assignments(fields, COMMUNITY_SETTINGS)
        await self._db.execute(
            f"UPDATE communities SET {sets} WHERE id = ?", (*values, community_id)
        )

    async def note_member(
        self, member_id: int, community_id: int, is_moderator: bool, now: int
    ) -> None:
        # Only write when something changed or an hour passed: this runs on every group message.
        seen = self._noted.get((member_id, community_id))
        if seen is not None and seen[0] == is_moderator and now - seen[1] < 3600:
            return
        if len(self._noted) > 100_000:
            self._noted.clear()
        self._noted[(member_id, community_id)] = (is_moderator, now)
        await self._db.execute(
            "INSERT INTO memberships (member_id, community_id, is_moderator, last_seen)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (member_id, community_id) DO UPDATE SET"
            " is_moderator = excluded.is_moderator, last_seen = excluded.last_seen"
            " WHERE is_moderator != excluded.is_moderator OR last_seen < excluded.last_seen - 3600",
            (member_id, community_id, int(is_moderator), now),
        )

    async def move(self, platform: str, old_chat_id: str, new_chat_id: str) -> None:
        def unit(c: sqlite3.Connection) -> None:
            old = c.execute(
                "SELECT id FROM communities WHERE platform = ? AND chat_id = ?",
                (platform, old_chat_id),
            ).fetchone()
            if old is None or not new_chat_id:
                return
            # A row for the new id may exist already (its first service message can arrive
            # before the move notice); it is seconds old and has nothing of its own.
            c.execute(
                "DELETE FROM communities WHERE platform = ? AND chat_id = ?",
                (platform, new_chat_id),
            )
            c.execute(
                "UPDATE communities SET chat_id = ?, announce_chat_id = CASE"
                " WHEN announce_chat_id = ? THEN ? ELSE announce_chat_id END WHERE id = ?",
                (new_chat_id, old_chat_id, new_chat_id, old[0]),
            )

        await self._db.write(unit)
        self._noted.clear()

    def forget_cached(self, member_id: int) -> None:
        for key in [k for k in self._noted if k[0] == member_id]:
            del self._noted[key]

    async def of_member(self, member_id: int) -> list[CommunityRow]:
        cols = columns("c", _COMMUNITY_COLS)
        rows = await self._db.fetchall(
            f"SELECT {cols} FROM communities c JOIN memberships s ON s.community_id = c.id"
            " WHERE s.member_id = ? AND c.active = 1 ORDER BY s.last_seen DESC",
            (member_id,),
        )
        return [community_row(r) for r in rows]

    async def moderators(self, community_id: int) -> list[MemberRow]:
        cols = columns("m", _MEMBER_COLS)
        rows = await self._db.fetchall(
            f"SELECT {cols} FROM members m JOIN memberships s ON s.member_id = m.id"
            " WHERE s.community_id = ? AND s.is_moderator = 1",
            (community_id,),
        )
        return [member_row(r) for r in rows]


class SQLiteConversations:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, member_id: int, now: int) -> Conversation | None:
        row = await self._db.fetchone(
            "SELECT state, data FROM conversations WHERE member_id = ? AND expires_at > ?",
            (member_id, now),
        )
        return Conversation(row[0], json.loads(row[1])) if row else None

    async def set(self, member_id: int, state: str, data: dict[str, Any], expires_at: int) -> None:
        await self._db.execute(
            "INSERT INTO conversations (member_id, state, data, expires_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (member_id) DO UPDATE SET state = excluded.state, data = excluded.data,"
            " expires_at = excluded.expires_at",
            (member_id, state, json.dumps(data), expires_at),
        )

    async def clear(self, member_id: int) -> None:
        await self._db.execute("DELETE FROM conversations WHERE member_id = ?", (member_id,))


class SQLiteCommunityLines:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def lines(self, community_id: int) -> list[CommunityLine]:
        rows = await self._db.fetchall(
            "SELECT service, kind, contact_type, dial, added_at FROM community_helplines"
            " WHERE community_id = ? ORDER BY added_at, service",
            (community_id,),
        )
        return [CommunityLine(*r) for r in rows]

    async def add_line(self, community_id: int, line: CommunityLine) -> None:
        await self._db.execute(
            "INSERT INTO community_helplines (community_id, service, kind, contact_type, dial,"
            " added_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (community_id, service) DO UPDATE"
            " SET kind = excluded.kind, contact_type = excluded.contact_type,"
            " dial = excluded.dial, added_at = excluded.added_at",
            (community_id, line.service, line.kind, line.contact_type, line.dial, line.added_at),
        )

    async def remove_line(self, community_id: int, service: str) -> bool:
        removed = await self._db.write(
            lambda c: (
                c.execute(
                    "DELETE FROM community_helplines WHERE community_id = ? AND service = ?"
                    " COLLATE NOCASE",
                    (community_id, service),
                ).rowcount
            )
        )
        return bool(removed)
