"""Meetings, reminder subscriptions, RSVPs and attendance."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from storage.database import Database, Row, Tx, in_list
from storage.meetings_base import (
    PURPOSE_ONLINE,
    AttendanceRow,
    DueMeeting,
    DueSubscription,
    MeetingAdvance,
    MeetingPlan,
    MeetingRow,
    NewMeeting,
    NewSource,
    SourcedMeeting,
    SourceRow,
    SourceUpdate,
    SubscriptionAdvance,
    SubscriptionRow,
    SyncChanges,
)
from storage.rows import OutboxItem, changed
from storage.sql.columns import (
    COMMUNITY,
    MEMBER,
    community_row,
    dumps,
    member_row,
    prefixed,
)
from storage.sql.outbox import insert_items

_MEETING = (
    "id, community_id, slug, name, spec, next_occurrence, next_reminder_at, created_at, source_id"
)
_SOURCE = (
    "id, community_id, url, kind, purpose, etag, last_modified, body_digest, last_synced,"
    " last_error, failures, held, next_sync_at, version, created_at"
)
_SOURCE_S = ", ".join(f"s.{c.strip()}" for c in _SOURCE.split(","))
_SOURCE_FIELDS = frozenset(
    {
        "kind",
        "etag",
        "last_modified",
        "body_digest",
        "last_synced",
        "last_error",
        "failures",
        "held",
        "next_sync_at",
    }
)
SYNC_CHUNK = 500  # sync operations per transaction
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
        created_at=r[p + "created_at"],
        source_id=r[p + "source_id"],
    )


def source_row(r: Row) -> SourceRow:
    held = r["held"]
    keys = set(r.keys())
    return SourceRow(
        id=r["id"],
        community_id=r["community_id"],
        url=r["url"],
        kind=r["kind"],
        purpose=r["purpose"],
        etag=r["etag"],
        last_modified=r["last_modified"],
        body_digest=r["body_digest"],
        last_synced=r["last_synced"],
        last_error=r["last_error"],
        failures=r["failures"],
        held=json.loads(held) if held else None,
        next_sync_at=r["next_sync_at"],
        version=r["version"],
        created_at=r["created_at"],
        meetings=int(r["meetings"]) if "meetings" in keys else 0,
    )


def _token() -> str:
    return uuid.uuid4().hex


async def _bump(tx: Tx, community_ids: Iterable[int | None]) -> None:
    """A fresh generation token for each community whose meetings changed."""
    await tx.executemany(
        "INSERT INTO meeting_generations (community_id, token) VALUES (?, ?)"
        " ON CONFLICT (community_id) DO UPDATE SET token = excluded.token",
        [(cid, _token()) for cid in sorted({c for c in community_ids if c is not None})],
    )


def _reminder_range(meeting_id: int) -> tuple[str, str]:
    """Dedupe keys 'reminder:<id>:…' as a range (';' follows ':'): index-friendly, and the
    same in every dialect."""
    return f"reminder:{meeting_id}:", f"reminder:{meeting_id};"


async def _drop_pending_reminders(tx: Tx, meeting_ids: Sequence[int], now: int) -> None:
    await tx.executemany(
        "UPDATE outbox SET status = 'skipped', last_error = 'meeting removed', finished_at = ?"
        " WHERE dedupe_key >= ? AND dedupe_key < ? AND status IN ('pending', 'held')",
        [(now, *_reminder_range(mid)) for mid in meeting_ids],
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
            await _bump(tx, [community_id])
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
            row = await tx.fetchone(
                "UPDATE meetings SET name = ?, spec = ?, next_occurrence = ?,"
                " next_reminder_at = ?, updated_at = ? WHERE id = ? RETURNING community_id",
                (name, dumps(spec), plan.occurrence, plan.reminder_at, now, meeting_id),
            )
            if row is not None:
                await _bump(tx, [row["community_id"]])
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

    async def remove(self, meeting_id: int, now: int = 0) -> None:
        async def unit(tx: Tx) -> None:
            row = await tx.fetchone(
                "DELETE FROM meetings WHERE id = ? RETURNING community_id", (meeting_id,)
            )
            if row is not None:
                await _bump(tx, [row["community_id"]])
                await _drop_pending_reminders(tx, [meeting_id], now)

        await self._db.write(unit)

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
                await _bump(tx, [community_id])
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

    # -- feed sources ------------------------------------------------------------------------
    _COUNTED = (
        f"SELECT {_SOURCE},"
        " (SELECT COUNT(*) FROM meetings m WHERE m.source_id = s.id)"
        " + (SELECT COUNT(*) FROM online_meetings o WHERE o.source_id = s.id) AS meetings"
        " FROM meeting_sources s"
    )

    async def add_source(self, source: NewSource, now: int) -> SourceRow | None:
        async def unit(tx: Tx) -> SourceRow | None:
            if source.community_id is None:
                # NULLs are distinct in the unique index: check the installation's by hand.
                same = await tx.fetchone(
                    "SELECT id FROM meeting_sources WHERE community_id IS NULL"
                    " AND url = ? AND purpose = ?",
                    (source.url, source.purpose),
                )
                if same is not None:
                    return None
            row = await tx.fetchone(
                "INSERT INTO meeting_sources (community_id, url, kind, purpose, next_sync_at,"
                " version, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (community_id, url, purpose) DO NOTHING"
                f" RETURNING {_SOURCE}",
                (
                    source.community_id,
                    source.url,
                    source.kind,
                    source.purpose,
                    source.next_sync_at,
                    _token(),
                    now,
                ),
            )
            return source_row(row) if row is not None else None

        return await self._db.write(unit)

    async def source(self, source_id: int) -> SourceRow | None:
        row = await self._db.fetchone(f"{self._COUNTED} WHERE s.id = ?", (source_id,))
        return source_row(row) if row else None

    async def sources(self, community_id: int | None) -> list[SourceRow]:
        if community_id is None:
            rows = await self._db.fetch(
                f"{self._COUNTED} WHERE s.community_id IS NULL ORDER BY s.id"
            )
        else:
            rows = await self._db.fetch(
                f"{self._COUNTED} WHERE s.community_id = ? ORDER BY s.id", (community_id,)
            )
        return [source_row(r) for r in rows]

    async def update_source(self, source_id: int, change: SourceUpdate) -> None:
        fields = _source_fields(change)
        if not fields:
            return
        await self._db.execute(
            f"UPDATE meeting_sources SET {', '.join(f'{k} = ?' for k in fields)} WHERE id = ?",
            [*fields.values(), source_id],
        )

    async def remove_source(self, source_id: int) -> int:
        async def unit(tx: Tx) -> int:
            found = await tx.fetchone(
                "SELECT community_id FROM meeting_sources WHERE id = ?", (source_id,)
            )
            if found is None:
                return 0
            gone = await tx.fetch("SELECT id FROM meetings WHERE source_id = ?", (source_id,))
            online = await tx.fetchone(
                "SELECT COUNT(*) AS n FROM online_meetings WHERE source_id = ?", (source_id,)
            )
            # The meetings go with their source (ON DELETE CASCADE), their reminders too.
            await tx.execute("DELETE FROM meeting_sources WHERE id = ?", (source_id,))
            await _drop_pending_reminders(tx, [r["id"] for r in gone], 0)
            await _bump(tx, [found["community_id"]])
            return len(gone) + int(online["n"] if online else 0)

        return await self._db.write(unit)

    async def due_sources(self, now: int, limit: int) -> list[SourceRow]:
        rows = await self._db.fetch(
            f"SELECT {_SOURCE_S} FROM meeting_sources s"
            " LEFT JOIN communities c ON c.id = s.community_id"
            " WHERE s.next_sync_at <= ? AND (s.community_id IS NULL OR c.active = 1)"
            " ORDER BY s.next_sync_at, s.id LIMIT ?",
            (now, limit),
        )
        return [source_row(r) for r in rows]

    async def source_index(self, source_id: int) -> dict[str, tuple[int, str]]:
        purpose = await self._db.fetchval(
            "SELECT purpose FROM meeting_sources WHERE id = ?", (source_id,)
        )
        if purpose == PURPOSE_ONLINE:
            sql = "SELECT id, source_key, digest FROM online_meetings WHERE source_id = ?"
        else:
            sql = "SELECT id, source_key, source_digest AS digest FROM meetings WHERE source_id = ?"
        rows = await self._db.fetch(sql, (source_id,))
        return {r["source_key"]: (r["id"], r["digest"] or "") for r in rows}

    async def specs(self, meeting_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        out: dict[int, dict[str, Any]] = {}
        ids = list(meeting_ids)
        for start in range(0, len(ids), SYNC_CHUNK):
            chunk = ids[start : start + SYNC_CHUNK]
            rows = await self._db.fetch(
                f"SELECT id, spec FROM meetings WHERE id IN ({in_list(chunk)})", chunk
            )
            out.update((r["id"], json.loads(r["spec"])) for r in rows)
        return out

    async def online_specs(self, source_id: int) -> list[dict[str, Any]]:
        rows = await self._db.fetch(
            "SELECT spec FROM online_meetings WHERE source_id = ? ORDER BY id", (source_id,)
        )
        return [json.loads(r["spec"]) for r in rows]

    async def generations(self, community_ids: Sequence[int]) -> dict[int, str]:
        if not community_ids:
            return {}
        rows = await self._db.fetch(
            "SELECT community_id, token FROM meeting_generations"
            f" WHERE community_id IN ({in_list(community_ids)})",
            list(community_ids),
        )
        return {r["community_id"]: r["token"] for r in rows}

    async def apply_sync(
        self, source: SourceRow, changes: SyncChanges, state: SourceUpdate, now: int
    ) -> None:
        ops: list[tuple[str, Any]] = [("c", m) for m in changes.creates]
        ops += [("u", pair) for pair in changes.updates]
        ops += [("r", mid) for mid in changes.removes]
        chunks = [ops[i : i + SYNC_CHUNK] for i in range(0, len(ops), SYNC_CHUNK)] or [[]]
        online = source.purpose == PURPOSE_ONLINE
        for number, chunk in enumerate(chunks, start=1):
            last = number == len(chunks)

            async def unit(tx: Tx, chunk: list[tuple[str, Any]] = chunk, last: bool = last) -> None:
                creates = [m for op, m in chunk if op == "c"]
                updates = [pair for op, pair in chunk if op == "u"]
                removes = [mid for op, mid in chunk if op == "r"]
                if online:
                    await _apply_online(tx, source.id, creates, updates, removes)
                else:
                    await _apply_meetings(tx, source, creates, updates, removes, now)
                if last:
                    fields = _source_fields(state)
                    fields["version"] = _token()
                    await tx.execute(
                        f"UPDATE meeting_sources SET {', '.join(f'{k} = ?' for k in fields)}"
                        " WHERE id = ?",
                        [*fields.values(), source.id],
                    )

            await self._db.write(unit)


def _source_fields(change: SourceUpdate) -> dict[str, Any]:
    fields = changed(change)
    assert set(fields) <= _SOURCE_FIELDS, fields
    if "held" in fields:
        fields["held"] = dumps(fields["held"]) if fields["held"] is not None else None
    return fields


async def _apply_online(
    tx: Tx,
    source_id: int,
    creates: Sequence[SourcedMeeting],
    updates: Sequence[tuple[int, SourcedMeeting]],
    removes: Sequence[int],
) -> None:
    await tx.executemany(
        "INSERT INTO online_meetings (source_id, source_key, digest, spec) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (source_id, source_key) DO UPDATE SET digest = excluded.digest,"
        " spec = excluded.spec",
        [(source_id, m.key, m.digest, _spec_json(m)) for m in creates],
    )
    await tx.executemany(
        "UPDATE online_meetings SET source_key = ?, digest = ?, spec = ?"
        " WHERE id = ? AND source_id = ?",
        [(m.key, m.digest, _spec_json(m), mid, source_id) for mid, m in updates],
    )
    if removes:
        await tx.execute(
            f"DELETE FROM online_meetings WHERE source_id = ? AND id IN ({in_list(removes)})",
            [source_id, *removes],
        )


def _spec_json(m: SourcedMeeting, slug: str | None = None) -> str:
    """The spec as stored; `slug` when the store chose another than the wanted one."""
    if isinstance(m.spec, str) and (slug is None or slug == m.slug):
        return m.spec
    spec = json.loads(m.spec) if isinstance(m.spec, str) else dict(m.spec)
    if slug is not None:
        spec["slug"] = slug
    return dumps(spec)


async def _free_slugs(tx: Tx, community_id: int, wanted: Sequence[str]) -> list[str]:
    """A free slug for each wanted one, in order: the wanted slug itself unless a meeting has
    it (then "-2", "-3"…). Looks up only the wanted slugs unless one is taken."""
    if not wanted:
        return []
    unique = sorted(set(wanted))
    taken: set[str] = set()
    for start in range(0, len(unique), SYNC_CHUNK):
        part = unique[start : start + SYNC_CHUNK]
        rows = await tx.fetch(
            f"SELECT slug FROM meetings WHERE community_id = ? AND slug IN ({in_list(part)})",
            [community_id, *part],
        )
        taken.update(r["slug"] for r in rows)
    if taken or len(unique) < len(wanted):
        taken = await _taken_slugs(tx, community_id)  # rare: the whole set, to count on
    out = []
    for slug in wanted:
        free = _free_slug(taken, slug)
        taken.add(free)
        out.append(free)
    return out


async def _apply_meetings(
    tx: Tx,
    source: SourceRow,
    creates: Sequence[SourcedMeeting],
    updates: Sequence[tuple[int, SourcedMeeting]],
    removes: Sequence[int],
    now: int,
) -> None:
    community_id = source.community_id
    assert community_id is not None, "a meetings source belongs to a community"
    slugs = await _free_slugs(tx, community_id, [m.slug for m in creates])
    await tx.executemany(
        "INSERT INTO meetings (community_id, slug, name, spec, next_occurrence,"
        " next_reminder_at, created_at, updated_at, source_id, source_key, source_digest)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                community_id,
                slug,
                m.name,
                _spec_json(m, slug),
                m.plan.occurrence,
                m.plan.reminder_at,
                now,
                now,
                source.id,
                m.key,
                m.digest,
            )
            for slug, m in zip(slugs, creates, strict=True)
        ],
    )
    # Only this source's meetings, or a one-shot import being adopted: never a hand-made one.
    await tx.executemany(
        "UPDATE meetings SET name = ?, spec = ?, next_occurrence = ?, next_reminder_at = ?,"
        " updated_at = ?, source_id = ?, source_key = ?, source_digest = ?, imported = 0"
        " WHERE id = ? AND community_id = ?"
        " AND (source_id = ? OR (source_id IS NULL AND imported = 1))",
        [
            (
                m.name,
                _spec_json(m),
                m.plan.occurrence,
                m.plan.reminder_at,
                now,
                source.id,
                m.key,
                m.digest,
                mid,
                community_id,
                source.id,
            )
            for mid, m in updates
        ],
    )
    if updates:
        await _replan_subscriptions(
            tx, [mid for mid, _ in updates], [m.plan for _, m in updates], now
        )
    if removes:
        await tx.execute(
            f"DELETE FROM meetings WHERE source_id = ? AND id IN ({in_list(removes)})",
            [source.id, *removes],
        )
        await _drop_pending_reminders(tx, removes, now)
    if creates or updates or removes:
        await _bump(tx, [community_id])
