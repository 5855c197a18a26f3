"""Mentorship: volunteers, pending requests, mentorships and what a mentee shares."""

from __future__ import annotations

from collections.abc import Sequence

from storage.database import Database, Row, Tx
from storage.mentors_base import (
    MENTOR_KINDS,
    SHARE_ITEMS,
    HardDay,
    MentorCounts,
    MentorRequestRow,
    MentorRow,
    MentorSettings,
    MentorshipRow,
    NudgeAdvance,
    WatchAdvance,
)
from storage.rows import OutboxItem
from storage.sql.columns import MEMBER, member_row, prefixed
from storage.sql.consent import withdraw
from storage.sql.outbox import insert_items

_MENTOR = "member_id, community_id, intro, languages, availability, status, temporary, created_at"
_REQUEST = "id, member_id, community_id, languages, availability, status, created_at"
_PAIR = (
    "id, community_id, mentor_id, mentee_id, status, mentor_accepted, mentee_accepted,"
    " share_streak, share_checkins, share_hard_days, next_nudge_at, watched_at, created_at,"
    " started_at"
)
_PAIR_COLS = f"{prefixed('p', _PAIR)}, {prefixed('a', MEMBER)}, {prefixed('b', MEMBER)}"
_PAIR_FROM = (
    " FROM mentorships p JOIN members a ON a.id = p.mentor_id JOIN members b ON b.id = p.mentee_id"
)
_PAIR_SELECT = f"SELECT {_PAIR_COLS}{_PAIR_FROM}"
# The share flags' columns, by item: the only column names built into SQL from a value.
_SHARE_COLUMNS = {item: f"share_{item}" for item in SHARE_ITEMS}


def _codes(text: str) -> tuple[str, ...]:
    return tuple(c for c in text.split(",") if c)


def mentor_row(r: Row) -> MentorRow:
    return MentorRow(
        member=member_row(r, "m_"),
        community_id=r["v_community_id"],
        intro=r["v_intro"],
        languages=_codes(r["v_languages"]),
        availability=r["v_availability"],
        status=r["v_status"],
        temporary=bool(r["v_temporary"]),
        created_at=r["v_created_at"],
    )


def request_row(r: Row) -> MentorRequestRow:
    return MentorRequestRow(
        id=r["q_id"],
        member=member_row(r, "m_"),
        community_id=r["q_community_id"],
        languages=_codes(r["q_languages"]),
        availability=r["q_availability"],
        status=r["q_status"],
        created_at=r["q_created_at"],
    )


def pair_row(r: Row) -> MentorshipRow:
    return MentorshipRow(
        id=r["p_id"],
        community_id=r["p_community_id"],
        mentor=member_row(r, "a_"),
        mentee=member_row(r, "b_"),
        status=r["p_status"],
        mentor_accepted=bool(r["p_mentor_accepted"]),
        mentee_accepted=bool(r["p_mentee_accepted"]),
        sharing=frozenset(i for i, col in _SHARE_COLUMNS.items() if r[f"p_{col}"]),
        next_nudge_at=r["p_next_nudge_at"],
        watched_at=r["p_watched_at"],
        created_at=r["p_created_at"],
        started_at=r["p_started_at"],
    )


_MENTOR_SELECT = (
    f"SELECT {prefixed('v', _MENTOR)}, {prefixed('m', MEMBER)} FROM mentors v"
    " JOIN members m ON m.id = v.member_id"
)
_REQUEST_SELECT = (
    f"SELECT {prefixed('q', _REQUEST)}, {prefixed('m', MEMBER)} FROM mentor_requests q"
    " JOIN members m ON m.id = q.member_id"
)


class SQLMentors:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- settings ------------------------------------------------------------------------------
    async def settings(self, community_id: int) -> MentorSettings:
        row = await self._db.fetchone(
            "SELECT min_months, auto_propose FROM mentor_settings WHERE community_id = ?",
            (community_id,),
        )
        if row is None:
            return MentorSettings()
        return MentorSettings(int(row["min_months"]), bool(row["auto_propose"]))

    async def save_settings(self, community_id: int, settings: MentorSettings) -> None:
        await self._db.execute(
            "INSERT INTO mentor_settings (community_id, min_months, auto_propose)"
            " VALUES (?, ?, ?) ON CONFLICT (community_id) DO UPDATE SET"
            " min_months = excluded.min_months, auto_propose = excluded.auto_propose",
            (community_id, settings.min_months, int(settings.auto_propose)),
        )

    # -- volunteers ----------------------------------------------------------------------------
    async def volunteer(
        self,
        member_id: int,
        community_id: int,
        intro: str,
        languages: Sequence[str],
        availability: str,
        now: int,
    ) -> MentorRow:
        await self._db.execute(
            "INSERT INTO mentors (member_id, community_id, intro, languages, availability,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (member_id, community_id)"
            " DO UPDATE SET intro = excluded.intro, languages = excluded.languages,"
            " availability = excluded.availability",
            (member_id, community_id, intro, ",".join(languages), availability, now),
        )
        found = await self.mentor(member_id, community_id)
        assert found is not None
        return found

    async def mentor(self, member_id: int, community_id: int) -> MentorRow | None:
        row = await self._db.fetchone(
            f"{_MENTOR_SELECT} WHERE v.member_id = ? AND v.community_id = ?",
            (member_id, community_id),
        )
        return mentor_row(row) if row else None

    async def set_status(self, member_id: int, community_id: int, status: str) -> bool:
        return (
            await self._db.execute(
                "UPDATE mentors SET status = ? WHERE member_id = ? AND community_id = ?",
                (status, member_id, community_id),
            )
            == 1
        )

    async def set_temporary(self, member_id: int, community_id: int, on: bool) -> bool:
        return (
            await self._db.execute(
                "UPDATE mentors SET temporary = ? WHERE member_id = ? AND community_id = ?",
                (int(on), member_id, community_id),
            )
            == 1
        )

    async def stop(self, member_id: int, community_id: int) -> bool:
        return (
            await self._db.execute(
                "DELETE FROM mentors WHERE member_id = ? AND community_id = ?",
                (member_id, community_id),
            )
            == 1
        )

    async def mentors(self, community_id: int) -> list[MentorRow]:
        rows = await self._db.fetch(
            f"{_MENTOR_SELECT} WHERE v.community_id = ? AND v.status = 'active'"
            " ORDER BY v.created_at, v.member_id",
            (community_id,),
        )
        return [mentor_row(r) for r in rows]

    # -- requests ------------------------------------------------------------------------------
    async def request(
        self,
        member_id: int,
        community_id: int,
        languages: Sequence[str],
        availability: str,
        now: int,
    ) -> MentorRequestRow | None:
        added = await self._db.execute(
            "INSERT INTO mentor_requests (member_id, community_id, languages, availability,"
            " created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (member_id, community_id)"
            " DO NOTHING",
            (member_id, community_id, ",".join(languages), availability, now),
        )
        return await self.pending_request(member_id, community_id) if added else None

    async def pending_request(self, member_id: int, community_id: int) -> MentorRequestRow | None:
        row = await self._db.fetchone(
            f"{_REQUEST_SELECT} WHERE q.member_id = ? AND q.community_id = ?",
            (member_id, community_id),
        )
        return request_row(row) if row else None

    async def get_request(self, request_id: int) -> MentorRequestRow | None:
        row = await self._db.fetchone(f"{_REQUEST_SELECT} WHERE q.id = ?", (request_id,))
        return request_row(row) if row else None

    async def requests(self, community_id: int) -> list[MentorRequestRow]:
        rows = await self._db.fetch(
            f"{_REQUEST_SELECT} WHERE q.community_id = ? ORDER BY q.created_at, q.id",
            (community_id,),
        )
        return [request_row(r) for r in rows]

    async def withdraw_request(self, member_id: int, community_id: int) -> bool:
        return (
            await self._db.execute(
                "DELETE FROM mentor_requests WHERE member_id = ? AND community_id = ?",
                (member_id, community_id),
            )
            == 1
        )

    # -- mentorships ---------------------------------------------------------------------------
    async def propose(
        self, request: MentorRequestRow, mentor_id: int, now: int
    ) -> MentorshipRow | None:
        async def unit(tx: Tx) -> int | None:
            taken = await tx.execute(
                "UPDATE mentor_requests SET status = 'proposed' WHERE id = ? AND status = 'open'",
                (request.id,),
            )
            if taken != 1:
                return None
            row = await tx.fetchone(
                "INSERT INTO mentorships (community_id, mentor_id, mentee_id, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (mentor_id, mentee_id) DO NOTHING"
                " RETURNING id",
                (request.community_id, mentor_id, request.member.id, now),
            )
            if row is None:
                await tx.execute(
                    "UPDATE mentor_requests SET status = 'open' WHERE id = ?", (request.id,)
                )
                return None
            return int(row["id"])

        new_id = await self._db.write(unit)
        return await self.get(new_id) if new_id is not None else None

    async def get(self, mentorship_id: int) -> MentorshipRow | None:
        row = await self._db.fetchone(f"{_PAIR_SELECT} WHERE p.id = ?", (mentorship_id,))
        return pair_row(row) if row else None

    async def of_member(self, member_id: int) -> list[MentorshipRow]:
        rows = await self._db.fetch(
            f"{_PAIR_SELECT} WHERE p.mentor_id = ? OR p.mentee_id = ? ORDER BY p.created_at, p.id",
            (member_id, member_id),
        )
        return [pair_row(r) for r in rows]

    async def accept(
        self, mentorship_id: int, member_id: int, now: int, first_nudge_at: int
    ) -> MentorshipRow | None:
        async def unit(tx: Tx) -> bool:
            changed = await tx.execute(
                "UPDATE mentorships SET"
                " mentor_accepted = CASE WHEN mentor_id = ? THEN 1 ELSE mentor_accepted END,"
                " mentee_accepted = CASE WHEN mentee_id = ? THEN 1 ELSE mentee_accepted END"
                " WHERE id = ? AND status = 'proposed' AND (mentor_id = ? OR mentee_id = ?)",
                (member_id, member_id, mentorship_id, member_id, member_id),
            )
            if changed != 1:
                return False
            both = await tx.fetchone(
                "SELECT community_id, mentee_id FROM mentorships WHERE id = ?"
                " AND mentor_accepted = 1 AND mentee_accepted = 1",
                (mentorship_id,),
            )
            if both is not None:
                await tx.execute(
                    "UPDATE mentorships SET status = 'active', started_at = ?,"
                    " next_nudge_at = ?, watched_at = ? WHERE id = ?",
                    (now, first_nudge_at, now, mentorship_id),
                )
                await tx.execute(
                    "DELETE FROM mentor_requests WHERE member_id = ? AND community_id = ?",
                    (both["mentee_id"], both["community_id"]),
                )
            return True

        if not await self._db.write(unit):
            return None
        return await self.get(mentorship_id)

    async def end(self, mentorship_id: int, now: int) -> MentorshipRow | None:
        pair = await self.get(mentorship_id)
        if pair is None:
            return None

        async def unit(tx: Tx) -> bool:
            gone = await tx.execute("DELETE FROM mentorships WHERE id = ?", (mentorship_id,))
            if gone != 1:
                return False
            await withdraw(tx, pair.mentor.id, pair.mentee.id, MENTOR_KINDS, now)
            await withdraw(tx, pair.mentee.id, pair.mentor.id, MENTOR_KINDS, now)
            if pair.status == "proposed":
                await tx.execute(
                    "UPDATE mentor_requests SET status = 'open' WHERE member_id = ?"
                    " AND community_id = ? AND status = 'proposed'",
                    (pair.mentee.id, pair.community_id),
                )
            return True

        return pair if await self._db.write(unit) else None

    async def set_sharing(self, mentorship_id: int, item: str, on: bool, now: int) -> None:
        column = _SHARE_COLUMNS[item]  # KeyError for anything else: never SQL from input
        pair = await self.get(mentorship_id)
        if pair is None:
            return

        async def unit(tx: Tx) -> None:
            # Heads-ups start from this second on: an earlier hard day is not reported.
            await tx.execute(
                f"UPDATE mentorships SET {column} = ?,"
                " watched_at = CASE WHEN ? = 1 THEN ? ELSE watched_at END WHERE id = ?",
                (int(on), int(on and item == "hard_days"), now - 1, mentorship_id),
            )
            if not on:
                kinds = ("mentor_hard_day",) if item == "hard_days" else ("mentor_nudge",)
                await withdraw(tx, pair.mentor.id, pair.mentee.id, kinds, now)

        await self._db.write(unit)

    async def counts(self, community_id: int) -> MentorCounts:
        row = await self._db.fetchone(
            "SELECT"
            " (SELECT COUNT(*) FROM mentors WHERE community_id = ? AND status = 'active')"
            " AS mentors,"
            " (SELECT COUNT(*) FROM mentors WHERE community_id = ? AND status = 'paused')"
            " AS paused,"
            " (SELECT COUNT(*) FROM mentors WHERE community_id = ? AND status = 'active'"
            "  AND temporary = 1) AS temporary,"
            " (SELECT COUNT(*) FROM mentor_requests WHERE community_id = ? AND status = 'open')"
            " AS open_requests,"
            " (SELECT COUNT(*) FROM mentorships WHERE community_id = ? AND status = 'proposed')"
            " AS proposed,"
            " (SELECT COUNT(*) FROM mentorships WHERE community_id = ? AND status = 'active')"
            " AS active",
            (community_id,) * 6,
        )
        assert row is not None
        return MentorCounts(
            int(row["mentors"]),
            int(row["paused"]),
            int(row["temporary"]),
            int(row["open_requests"]),
            int(row["proposed"]),
            int(row["active"]),
        )

    # -- the sweep -----------------------------------------------------------------------------
    async def due_nudges(self, now: int, limit: int) -> list[MentorshipRow]:
        rows = await self._db.fetch(
            f"{_PAIR_SELECT} WHERE p.next_nudge_at IS NOT NULL AND p.next_nudge_at <= ?"
            " ORDER BY p.next_nudge_at, p.id LIMIT ?",
            (now, limit),
        )
        return [pair_row(r) for r in rows]

    async def plan_nudges(
        self, items: Sequence[OutboxItem], advances: Sequence[NudgeAdvance]
    ) -> int:
        async def unit(tx: Tx) -> int:
            new = await insert_items(tx, items)
            await tx.executemany(
                "UPDATE mentorships SET next_nudge_at = ? WHERE id = ? AND next_nudge_at = ?",
                [(a.next_at, a.mentorship_id, a.expected_at) for a in advances],
            )
            return new

        return await self._db.write(unit)

    async def hard_days(
        self, changed_after: int, since_day: str, cravings: int, limit: int
    ) -> list[HardDay]:
        # Driven by the check-ins changed since the last sweep (checkins_updated), so an
        # idle sweep reads nothing however many pairs share their hard days. CROSS JOIN
        # makes SQLite start from the check-ins (PostgreSQL reads it as an inner join).
        rows = await self._db.fetch(
            f"SELECT {_PAIR_COLS}, c.day AS c_day, c.updated_at AS c_updated_at"
            " FROM checkins c CROSS JOIN mentorships p"
            " JOIN members a ON a.id = p.mentor_id JOIN members b ON b.id = p.mentee_id"
            " WHERE p.mentee_id = c.member_id"
            " AND c.updated_at > ? AND c.day >= ? AND c.updated_at > p.watched_at"
            " AND p.status = 'active' AND p.share_hard_days = 1"
            " AND (c.sober = 'no' OR c.cravings >= ?)"
            " ORDER BY c.updated_at, c.member_id, c.day LIMIT ?",
            (changed_after, since_day, cravings, limit),
        )
        return [HardDay(pair_row(r), r["c_day"], int(r["c_updated_at"])) for r in rows]

    async def plan_hard_days(
        self, items: Sequence[OutboxItem], advances: Sequence[WatchAdvance]
    ) -> int:
        async def unit(tx: Tx) -> int:
            new = await insert_items(tx, items)
            await tx.executemany(
                "UPDATE mentorships SET watched_at = ? WHERE id = ? AND watched_at = ?",
                [(a.watched_at, a.row_id, a.expected) for a in advances],
            )
            return new

        return await self._db.write(unit)
