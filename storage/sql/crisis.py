"""Crisis alerts (claimed, resolved, escalated) and the moderators on duty for them."""

from __future__ import annotations

from storage.database import Database, Row, Tx
from storage.rows import AlertRow, MemberRow, NewAlert
from storage.sql.columns import MEMBER, member_row, prefixed

_ALERT = (
    "id, community_id, subject_id, outcome, permalink, chat_title, created_at, escalate_at,"
    " escalated_at, claimed_by, claimed_at, resolved_at"
)


def alert_row(r: Row) -> AlertRow:
    return AlertRow(**{name.strip(): r[name.strip()] for name in _ALERT.split(",")})


class SQLCrisis:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def create_alert(self, alert: NewAlert) -> int:
        async def unit(tx: Tx) -> int:
            row = await tx.fetchone(
                "INSERT INTO crisis_alerts (community_id, subject_id, outcome, permalink,"
                " chat_title, created_at, escalate_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    alert.community_id,
                    alert.subject_id,
                    alert.outcome,
                    alert.permalink,
                    alert.chat_title,
                    alert.created_at,
                    alert.escalate_at,
                ),
            )
            assert row is not None
            return int(row["id"])

        return await self._db.write(unit)

    async def alert(self, alert_id: int) -> AlertRow | None:
        row = await self._db.fetchone(
            f"SELECT {_ALERT} FROM crisis_alerts WHERE id = ?", (alert_id,)
        )
        return alert_row(row) if row else None

    async def claim(self, alert_id: int, member_id: int, now: int) -> int | None:
        async def unit(tx: Tx) -> int | None:
            await tx.execute(
                "UPDATE crisis_alerts SET claimed_by = ?, claimed_at = ?"
                " WHERE id = ? AND claimed_at IS NULL",
                (member_id, now, alert_id),
            )
            row = await tx.fetchone(
                "SELECT claimed_by FROM crisis_alerts WHERE id = ?", (alert_id,)
            )
            return None if row is None else row["claimed_by"]

        return await self._db.write(unit)

    async def resolve(self, alert_id: int, now: int) -> bool:
        changed = await self._db.execute(
            "UPDATE crisis_alerts SET resolved_at = ?, claimed_at = COALESCE(claimed_at, ?)"
            " WHERE id = ? AND resolved_at IS NULL",
            (now, now, alert_id),
        )
        return changed == 1

    async def due_escalations(self, now: int, limit: int) -> list[AlertRow]:
        rows = await self._db.fetch(
            f"SELECT {_ALERT} FROM crisis_alerts WHERE claimed_at IS NULL"
            " AND escalated_at IS NULL AND escalate_at IS NOT NULL AND escalate_at <= ?"
            " ORDER BY escalate_at, id LIMIT ?",
            (now, limit),
        )
        return [alert_row(r) for r in rows]

    async def mark_escalated(self, alert_id: int, now: int) -> bool:
        changed = await self._db.execute(
            "UPDATE crisis_alerts SET escalated_at = ? WHERE id = ? AND claimed_at IS NULL"
            " AND escalated_at IS NULL",
            (now, alert_id),
        )
        return changed == 1

    async def set_supporter(self, member_id: int, community_id: int, on: bool, now: int) -> None:
        if on:
            await self._db.execute(
                "INSERT INTO crisis_supporters (member_id, community_id, since) VALUES (?, ?, ?)"
                " ON CONFLICT (member_id, community_id) DO NOTHING",
                (member_id, community_id, now),
            )
        else:
            await self._db.execute(
                "DELETE FROM crisis_supporters WHERE member_id = ? AND community_id = ?",
                (member_id, community_id),
            )

    async def supporters(self, community_id: int) -> list[MemberRow]:
        rows = await self._db.fetch(
            f"SELECT {prefixed('m', MEMBER)} FROM members m"
            " JOIN crisis_supporters s ON s.member_id = m.id WHERE s.community_id = ?"
            " ORDER BY s.since, m.id",
            (community_id,),
        )
        return [member_row(r, "m_") for r in rows]
