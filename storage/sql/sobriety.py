"""Sobriety counters, the streaks before each restart, slips and sharing opt-ins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from storage.database import Database, Row, Tx, in_list
from storage.rows import (
    Advance,
    CommunityRow,
    CounterRow,
    DueMilestone,
    MemberRow,
    OutboxItem,
    Sharing,
    SharingUpdate,
    StreakRow,
    changed,
)
from storage.sql.columns import (
    COMMUNITY,
    COUNTER,
    MEMBER,
    community_row,
    counter_row,
    member_row,
    prefixed,
)
from storage.sql.outbox import insert_items


class SQLSobriety:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def counters(self, member_id: int) -> list[CounterRow]:
        rows = await self._db.fetch(
            f"SELECT {COUNTER} FROM counters WHERE member_id = ? ORDER BY created_at, id",
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
        async def unit(tx: Tx) -> CounterRow:
            row = await tx.fetchone(
                "INSERT INTO counters (member_id, name, start_date, start_time, tz, next_key,"
                " next_at, created_at, held) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
                " (SELECT paused FROM members WHERE id = ?))"  # a paused member's: held
                " ON CONFLICT (member_id, name) DO UPDATE SET start_date = excluded.start_date,"
                " start_time = excluded.start_time, tz = excluded.tz,"
                f" next_key = excluded.next_key, next_at = excluded.next_at RETURNING {COUNTER}",
                (member_id, name, start_date, start_time, tz, next_key, next_at, now, member_id),
            )
            assert row is not None
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
        async def unit(tx: Tx) -> None:
            await tx.execute(
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
            await tx.execute(
                "UPDATE counters SET start_date = ?, start_time = ?, next_key = ?, next_at = ?"
                " WHERE id = ?",
                (new_start, start_time, next_key, next_at, counter.id),
            )

        await self._db.write(unit)

    async def correct(
        self,
        counter: CounterRow,
        new_start: str,
        start_time: str | None,
        next_key: str | None,
        next_at: int | None,
    ) -> list[StreakRow]:
        """A corrected start date: no streak is recorded, and the counter's earlier streaks
        never overlap the corrected one (a streak inside it is merged into it, one it cuts
        into ends at the new start). Returns the streaks as they were before."""

        async def unit(tx: Tx) -> list[StreakRow]:
            rows = await tx.fetch(
                "SELECT id, name, start_date, end_date, days, counter_id FROM streaks"
                " WHERE counter_id = ? AND end_date > ? ORDER BY start_date, id",
                (counter.id, new_start),
            )
            touched = [_streak(r) for r in rows]
            for streak in touched:
                if streak.start_date >= new_start:
                    await tx.execute("DELETE FROM streaks WHERE id = ?", (streak.id,))
                else:
                    days = (date.fromisoformat(new_start) - date.fromisoformat(streak.start_date))
                    await tx.execute(
                        "UPDATE streaks SET end_date = ?, days = ? WHERE id = ?",
                        (new_start, days.days, streak.id),
                    )
            await tx.execute(
                "UPDATE counters SET start_date = ?, start_time = ?, next_key = ?, next_at = ?"
                " WHERE id = ?",
                (new_start, start_time, next_key, next_at, counter.id),
            )
            return touched

        return await self._db.write(unit)

    async def move_zone(
        self, member_id: int, tz: str, plans: Sequence[tuple[int, str | None, int | None]]
    ) -> None:
        """The member lives in another zone now: their counters count days there, and each
        one's next celebration is re-planned ((counter id, next key, next at))."""

        async def unit(tx: Tx) -> None:
            await tx.executemany(
                "UPDATE counters SET tz = ?, next_key = ?, next_at = ? WHERE id = ?"
                " AND member_id = ?",
                [(tz, key, at, cid, member_id) for cid, key, at in plans],
            )

        await self._db.write(unit)

    async def log_slip(self, counter: CounterRow, day: str, now: int) -> None:
        await self._db.execute(
            "INSERT INTO slips (member_id, counter_id, day, created_at) VALUES (?, ?, ?, ?)",
            (counter.member_id, counter.id, day, now),
        )

    async def history(self, member_id: int) -> list[StreakRow]:
        rows = await self._db.fetch(
            "SELECT id, name, start_date, end_date, days, counter_id FROM streaks"
            " WHERE member_id = ? ORDER BY end_date, id",
            (member_id,),
        )
        return [_streak(r) for r in rows]

    async def slips(self, member_id: int) -> list[tuple[str, str]]:
        rows = await self._db.fetch(
            "SELECT COALESCE(c.name, '') AS name, s.day FROM slips s LEFT JOIN counters c"
            " ON c.id = s.counter_id WHERE s.member_id = ? ORDER BY s.day, s.id",
            (member_id,),
        )
        return [(r["name"], r["day"]) for r in rows]

    async def sharing(self, member_id: int, community_id: int) -> Sharing:
        return (await self.sharing_by_community(member_id)).get(community_id, Sharing())

    async def sharing_by_community(self, member_id: int) -> dict[int, Sharing]:
        rows = await self._db.fetch(
            "SELECT community_id, celebrate, show_substance, share_days FROM community_sharing"
            " WHERE member_id = ?",
            (member_id,),
        )
        return {r["community_id"]: _sharing(r) for r in rows}

    async def set_sharing(self, member_id: int, community_id: int, change: SharingUpdate) -> None:
        values = changed(change)
        if not values:
            return
        names = sorted(values)
        await self._db.execute(
            f"INSERT INTO community_sharing (member_id, community_id, {', '.join(names)})"
            f" VALUES (?, ?, {in_list(names)}) ON CONFLICT (member_id, community_id)"
            " DO UPDATE SET " + ", ".join(f"{n} = excluded.{n}" for n in names),
            (member_id, community_id, *(int(values[n]) for n in names)),
        )

    async def due(self, now: int, limit: int) -> list[DueMilestone]:
        # Members who blocked the bot wait: their milestones stay due until they are back.
        rows = await self._db.fetch(
            f"SELECT {prefixed('k', COUNTER)}, {prefixed('m', MEMBER)}"
            " FROM counters k JOIN members m ON m.id = k.member_id"
            # `held` (their member is paused) as the partial index counters_due has it.
            " WHERE k.next_at IS NOT NULL AND k.next_at <= ? AND k.held = 0 AND m.paused = 0"
            " ORDER BY k.next_at, k.id LIMIT ?",
            (now, limit),
        )
        if not rows:
            return []
        member_ids = sorted({r["m_id"] for r in rows})
        links = await self._db.fetch(
            f"SELECT ms.member_id AS owner, {prefixed('c', COMMUNITY)} FROM communities c"
            " JOIN memberships ms ON ms.community_id = c.id"
            f" WHERE ms.member_id IN ({in_list(member_ids)}) AND c.active = 1"
            " ORDER BY ms.last_seen DESC, c.id",
            member_ids,
        )
        communities: dict[int, list[CommunityRow]] = {}
        for link in links:
            communities.setdefault(link["owner"], []).append(community_row(link, "c_"))
        choices = await self._db.fetch(
            "SELECT member_id, community_id, celebrate, show_substance, share_days"
            f" FROM community_sharing WHERE member_id IN ({in_list(member_ids)})",
            member_ids,
        )
        sharing: dict[int, dict[int, Sharing]] = {}
        for c in choices:
            sharing.setdefault(c["member_id"], {})[c["community_id"]] = _sharing(c)
        return [
            DueMilestone(
                counter_row(r, "k_"),
                member_row(r, "m_"),
                sharing.get(r["m_id"], {}),
                tuple(communities.get(r["m_id"], ())),
            )
            for r in rows
        ]

    async def plan(self, items: Sequence[OutboxItem], advances: Sequence[Advance]) -> int:
        async def unit(tx: Tx) -> int:
            new = await insert_items(tx, items)
            # Guarded by the planned milestone and its time: a counter reset meanwhile
            # keeps its new plan.
            await tx.executemany(
                "UPDATE counters SET next_key = ?, next_at = ? WHERE id = ?"
                " AND COALESCE(next_key, '') = COALESCE(?, '') AND COALESCE(next_at, -1) = ?",
                [
                    (
                        a.next_key,
                        a.next_at,
                        a.row_id,
                        a.expected_key,
                        -1 if a.expected_at is None else a.expected_at,
                    )
                    for a in advances
                ],
            )
            return new

        return await self._db.write(unit)

    async def sharers(self, community_id: int) -> list[tuple[MemberRow, list[CounterRow]]]:
        rows = await self._db.fetch(
            f"SELECT {prefixed('m', MEMBER)} FROM members m"
            " JOIN memberships ms ON ms.member_id = m.id"
            " JOIN community_sharing s ON s.member_id = m.id AND s.community_id = ?"
            " WHERE ms.community_id = ? AND s.share_days = 1 ORDER BY m.id",
            (community_id, community_id),
        )
        members = [member_row(r, "m_") for r in rows]
        if not members:
            return []
        ids = [m.id for m in members]
        counters = await self._db.fetch(
            f"SELECT {COUNTER} FROM counters WHERE member_id IN ({in_list(ids)})"
            " ORDER BY created_at, id",
            ids,
        )
        by_member: dict[int, list[CounterRow]] = {}
        for c in counters:
            by_member.setdefault(c["member_id"], []).append(counter_row(c))
        return [(m, by_member.get(m.id, [])) for m in members]


def _streak(r: Row) -> StreakRow:
    return StreakRow(
        r["name"], r["start_date"], r["end_date"], r["days"], r["id"], r["counter_id"]
    )


def _sharing(r: Row) -> Sharing:
    return Sharing(bool(r["celebrate"]), bool(r["show_substance"]), bool(r["share_days"]))
