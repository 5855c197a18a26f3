"""Family and friends: invitation codes (kept as hashes), supporters, their daily look at
milestones and gaps, and 'not sober today' heads-ups."""

from __future__ import annotations

from collections.abc import Sequence

from storage.database import Database, Row, Tx, in_list
from storage.mentors_base import WatchAdvance
from storage.rows import CounterRow, OutboxItem
from storage.sql.columns import COUNTER, MEMBER, counter_row, member_row, prefixed
from storage.sql.consent import withdraw
from storage.sql.outbox import insert_items
from storage.supporters_base import (
    SUPPORT_ITEMS,
    SUPPORTER_KINDS,
    DueLook,
    LookAdvance,
    NotSoberDay,
    Redeemed,
    SupporterRow,
)

_LINK = (
    "id, member_id, supporter_id, share_milestones, share_missed, share_not_sober,"
    " missed_days, next_look_at, watched_at, created_at"
)
_COLS = f"{prefixed('l', _LINK)}, {prefixed('a', MEMBER)}, {prefixed('b', MEMBER)}"
_FROM = (
    " FROM supporters l JOIN members a ON a.id = l.member_id"
    " JOIN members b ON b.id = l.supporter_id"
)
_SELECT = f"SELECT {_COLS}{_FROM}"
_SHARE_COLUMNS = {item: f"share_{item}" for item in SUPPORT_ITEMS}
_KIND_OF = dict(zip(SUPPORT_ITEMS, SUPPORTER_KINDS, strict=True))


def link_row(r: Row) -> SupporterRow:
    return SupporterRow(
        id=r["l_id"],
        member=member_row(r, "a_"),
        supporter=member_row(r, "b_"),
        sharing=frozenset(i for i, col in _SHARE_COLUMNS.items() if r[f"l_{col}"]),
        missed_days=int(r["l_missed_days"]),
        next_look_at=r["l_next_look_at"],
        watched_at=int(r["l_watched_at"]),
        created_at=r["l_created_at"],
    )


class SQLSupporters:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def invite(self, member_id: int, code_hash: str, now: int, expires_at: int) -> None:
        await self._db.execute(
            "INSERT INTO supporter_invites (code_hash, member_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (code_hash, member_id, now, expires_at),
        )

    async def open_invites(self, member_id: int, now: int) -> int:
        return int(
            await self._db.fetchval(
                "SELECT COUNT(*) FROM supporter_invites WHERE member_id = ?"
                " AND used_at IS NULL AND expires_at > ?",
                (member_id, now),
            )
        )

    async def redeem(self, code_hash: str, supporter_id: int, now: int, most: int) -> Redeemed:
        async def unit(tx: Tx) -> tuple[str, int | None, int | None]:
            invite = await tx.fetchone(
                "SELECT member_id, expires_at, used_at FROM supporter_invites WHERE code_hash = ?",
                (code_hash,),
            )
            if invite is None:
                return "unknown", None, None
            member_id = int(invite["member_id"])
            if member_id == supporter_id:
                return "self", member_id, None
            if invite["used_at"] is not None:
                return "used", member_id, None
            if int(invite["expires_at"]) <= now:
                return "expired", member_id, None
            existing = await tx.fetchone(
                "SELECT id FROM supporters WHERE member_id = ? AND supporter_id = ?",
                (member_id, supporter_id),
            )
            if existing is not None:
                return "already", member_id, int(existing["id"])
            count = await tx.fetchone(
                "SELECT COUNT(*) AS n FROM supporters WHERE member_id = ?", (member_id,)
            )
            if count is not None and int(count["n"]) >= most:
                return "full", member_id, None
            taken = await tx.execute(
                "UPDATE supporter_invites SET used_at = ?, used_by = ?"
                " WHERE code_hash = ? AND used_at IS NULL",
                (now, supporter_id, code_hash),
            )
            if taken != 1:
                return "used", member_id, None
            row = await tx.fetchone(
                "INSERT INTO supporters (member_id, supporter_id, watched_at, created_at)"
                " VALUES (?, ?, ?, ?) RETURNING id",
                (member_id, supporter_id, now, now),
            )
            assert row is not None
            return "joined", member_id, int(row["id"])

        status, member_id, link_id = await self._db.write(unit)
        member = None
        if member_id is not None:
            found = await self._db.fetchone(
                f"SELECT {MEMBER} FROM members WHERE id = ?", (member_id,)
            )
            member = member_row(found) if found else None
        link = await self.get(link_id) if link_id is not None else None
        return Redeemed(status, member, link)

    async def void(self, code_hash: str, now: int) -> None:
        await self._db.execute(
            "UPDATE supporter_invites SET used_at = ? WHERE code_hash = ? AND used_at IS NULL",
            (now, code_hash),
        )

    async def set_next_look(self, link_id: int, at: int) -> None:
        await self._db.execute("UPDATE supporters SET next_look_at = ? WHERE id = ?", (at, link_id))

    async def of_member(self, member_id: int) -> list[SupporterRow]:
        rows = await self._db.fetch(
            f"{_SELECT} WHERE l.member_id = ? ORDER BY l.created_at, l.id", (member_id,)
        )
        return [link_row(r) for r in rows]

    async def of_supporter(self, supporter_id: int) -> list[SupporterRow]:
        rows = await self._db.fetch(
            f"{_SELECT} WHERE l.supporter_id = ? ORDER BY l.created_at, l.id", (supporter_id,)
        )
        return [link_row(r) for r in rows]

    async def get(self, link_id: int) -> SupporterRow | None:
        row = await self._db.fetchone(f"{_SELECT} WHERE l.id = ?", (link_id,))
        return link_row(row) if row else None

    async def set_sharing(self, link_id: int, item: str, on: bool, now: int) -> None:
        column = _SHARE_COLUMNS[item]  # KeyError for anything else: never SQL from input
        link = await self.get(link_id)
        if link is None:
            return

        async def unit(tx: Tx) -> None:
            # Heads-ups start from this second on: an earlier day is not reported.
            await tx.execute(
                f"UPDATE supporters SET {column} = ?,"
                " watched_at = CASE WHEN ? = 1 THEN ? ELSE watched_at END WHERE id = ?",
                (int(on), int(on and item == "not_sober"), now - 1, link_id),
            )
            if not on:
                await withdraw(tx, link.supporter.id, link.member.id, (_KIND_OF[item],), now)

        await self._db.write(unit)

    async def set_missed_days(self, link_id: int, days: int) -> None:
        await self._db.execute(
            "UPDATE supporters SET missed_days = ? WHERE id = ?", (days, link_id)
        )

    async def remove(self, link_id: int, now: int) -> SupporterRow | None:
        link = await self.get(link_id)
        if link is None:
            return None

        async def unit(tx: Tx) -> bool:
            gone = await tx.execute("DELETE FROM supporters WHERE id = ?", (link_id,))
            await withdraw(tx, link.supporter.id, link.member.id, SUPPORTER_KINDS, now)
            return gone == 1

        return link if await self._db.write(unit) else None

    # -- the sweep -----------------------------------------------------------------------------
    async def due_looks(self, now: int, limit: int) -> list[DueLook]:
        rows = await self._db.fetch(
            f"{_SELECT} WHERE l.next_look_at IS NOT NULL AND l.next_look_at <= ?"
            " ORDER BY l.next_look_at, l.id LIMIT ?",
            (now, limit),
        )
        links = [link_row(r) for r in rows]
        if not links:
            return []
        ids = sorted({link.member.id for link in links})
        counters: dict[int, list[CounterRow]] = {}
        for c in await self._db.fetch(
            f"SELECT {COUNTER} FROM counters WHERE member_id IN ({in_list(ids)})"
            " ORDER BY created_at, id",
            ids,
        ):
            counters.setdefault(c["member_id"], []).append(counter_row(c))
        plans = {
            r["member_id"]: (bool(r["enabled"]), r["last_day"])
            for r in await self._db.fetch(
                "SELECT member_id, enabled, last_day FROM checkin_plans"
                f" WHERE member_id IN ({in_list(ids)})",
                ids,
            )
        }
        return [
            DueLook(
                link,
                tuple(counters.get(link.member.id, ())),
                *plans.get(link.member.id, (False, None)),
            )
            for link in links
        ]

    async def plan_looks(self, items: Sequence[OutboxItem], advances: Sequence[LookAdvance]) -> int:
        async def unit(tx: Tx) -> int:
            new = await insert_items(tx, items)
            await tx.executemany(
                "UPDATE supporters SET next_look_at = ? WHERE id = ? AND next_look_at = ?",
                [(a.next_at, a.link_id, a.expected_at) for a in advances],
            )
            return new

        return await self._db.write(unit)

    async def not_sober(self, changed_after: int, since_day: str, limit: int) -> list[NotSoberDay]:
        # Driven by the check-ins changed since the last sweep (checkins_updated); CROSS
        # JOIN makes SQLite start from them (see SQLMentors.hard_days).
        rows = await self._db.fetch(
            f"SELECT {_COLS}, c.day AS c_day, c.updated_at AS c_updated_at"
            " FROM checkins c CROSS JOIN supporters l"
            " JOIN members a ON a.id = l.member_id JOIN members b ON b.id = l.supporter_id"
            " WHERE l.member_id = c.member_id"
            " AND c.updated_at > ? AND c.day >= ? AND c.updated_at > l.watched_at"
            " AND l.share_not_sober = 1 AND c.sober = 'no'"
            " ORDER BY c.updated_at, c.member_id, c.day LIMIT ?",
            (changed_after, since_day, limit),
        )
        return [NotSoberDay(link_row(r), r["c_day"], int(r["c_updated_at"])) for r in rows]

    async def plan_not_sober(
        self, items: Sequence[OutboxItem], advances: Sequence[WatchAdvance]
    ) -> int:
        async def unit(tx: Tx) -> int:
            new = await insert_items(tx, items)
            await tx.executemany(
                "UPDATE supporters SET watched_at = ? WHERE id = ? AND watched_at = ?",
                [(a.watched_at, a.row_id, a.expected) for a in advances],
            )
            return new

        return await self._db.write(unit)
