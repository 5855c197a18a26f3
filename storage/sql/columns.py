"""Column lists and row readers shared by the stores. Rows are read by column name, so a
query may select more columns, in any order, without breaking a reader."""

from __future__ import annotations

import json
from typing import Any

from storage.database import Row
from storage.rows import CommunityRow, CounterRow, MemberRow, OutboxRow

MEMBER = (
    "id, platform, user_id, display_name, tz, country, date_locale, has_private_chat, paused,"
    " lang, dm_channel_id"
)
COMMUNITY = (
    "id, platform, chat_id, title, tz, country, program, allow_celebrations, announce_chat_id,"
    " announce_thread_id, leaderboard, crisis_public_line, crisis_alerts, checkin_time,"
    " nudge_after_days, active, escalate_minutes, moderator_role_id, reads_messages"
)
COUNTER = "id, member_id, name, start_date, start_time, tz, next_key, next_at"


def prefixed(alias: str, cols: str) -> str:
    """'id, name' with alias 'm' -> 'm.id AS m_id, m.name AS m_name' (for joins)."""
    return ", ".join(f"{alias}.{c.strip()} AS {alias}_{c.strip()}" for c in cols.split(","))


def member_row(r: Row, prefix: str = "") -> MemberRow:
    p = prefix
    return MemberRow(
        id=r[p + "id"],
        platform=r[p + "platform"],
        user_id=r[p + "user_id"],
        display_name=r[p + "display_name"],
        tz=r[p + "tz"],
        country=r[p + "country"],
        date_locale=r[p + "date_locale"],
        has_private_chat=bool(r[p + "has_private_chat"]),
        paused=bool(r[p + "paused"]),
        lang=r[p + "lang"],
        dm_channel_id=r[p + "dm_channel_id"],
    )


def community_row(r: Row, prefix: str = "") -> CommunityRow:
    p = prefix
    reads = r[p + "reads_messages"]
    return CommunityRow(
        id=r[p + "id"],
        platform=r[p + "platform"],
        chat_id=r[p + "chat_id"],
        title=r[p + "title"],
        tz=r[p + "tz"],
        country=r[p + "country"],
        program=r[p + "program"],
        allow_celebrations=bool(r[p + "allow_celebrations"]),
        announce_chat_id=r[p + "announce_chat_id"],
        announce_thread_id=r[p + "announce_thread_id"],
        leaderboard=bool(r[p + "leaderboard"]),
        crisis_public_line=bool(r[p + "crisis_public_line"]),
        crisis_alerts=bool(r[p + "crisis_alerts"]),
        checkin_time=r[p + "checkin_time"],
        nudge_after_days=r[p + "nudge_after_days"],
        active=bool(r[p + "active"]),
        escalate_minutes=int(r[p + "escalate_minutes"]),
        moderator_role_id=r[p + "moderator_role_id"],
        reads_messages=None if reads is None else bool(reads),
    )


def counter_row(r: Row, prefix: str = "") -> CounterRow:
    p = prefix
    return CounterRow(
        id=r[p + "id"],
        member_id=r[p + "member_id"],
        name=r[p + "name"],
        start_date=r[p + "start_date"],
        start_time=r[p + "start_time"],
        tz=r[p + "tz"],
        next_key=r[p + "next_key"],
        next_at=r[p + "next_at"],
    )


def outbox_row(r: Row) -> OutboxRow:
    return OutboxRow(
        id=r["id"],
        dedupe_key=r["dedupe_key"],
        kind=r["kind"],
        platform=r["platform"],
        chat_id=r["chat_id"],
        private=bool(r["private"]),
        thread_id=r["thread_id"],
        member_id=r["member_id"],
        subject_id=r["subject_id"],
        body=r["body"],
        priority=r["priority"],
        due_at=r["due_at"],
        stale_at=r["stale_at"],
        expires_at=r["expires_at"],
        attempts=r["attempts"],
        user_id=r["user_id"],
        display_name=r["display_name"] or "",
        dm_channel_id=r["dm_channel_id"],
    )


def as_dict(r: Row) -> dict[str, Any]:
    return {k: r[k] for k in r.keys()}  # noqa: SIM118 - rows are not dicts


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def flag(value: bool | None) -> int | None:
    """Flags are integers in every dialect, so the same SQL compares them."""
    return None if value is None else int(value)
