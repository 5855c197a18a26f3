"""Both dialects come from one numbered list of migrations and build the same schema; on
both, every table about a member erases with them (/forget) and is exported (/mydata)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import build
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from storage import open_store
from storage.database import bundled_migrations
from storage.sql.store import SQLStore
from tests.conftest import START
from tests.fakes.console_helpers import console_for
from tests.pg import fresh_database
from tests.test_privacy import NOT_ABOUT_MEMBERS  # one list for every backend


def test_both_dialects_have_the_same_numbered_migrations() -> None:
    sqlite = [(m.version, m.name) for m in bundled_migrations("sqlite")]
    postgres = [(m.version, m.name) for m in bundled_migrations("postgresql")]
    assert sqlite == postgres
    assert [v for v, _ in sqlite] == list(range(1, len(sqlite) + 1))


async def _columns(store: SQLStore) -> dict[str, set[str]]:
    if store.backend == "sqlite":
        tables = [r["name"] for r in await store.db.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: {r["name"] for r in await store.db.fetch(f"PRAGMA table_info({t})")}
                for t in tables}
    rows = await store.db.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name != 'harbor_schema'")
    found: dict[str, set[str]] = {}
    for r in rows:
        found.setdefault(r["table_name"], set()).add(r["column_name"])
    return found


async def _indexes(store: SQLStore) -> set[str]:
    if store.backend == "sqlite":
        rows = await store.db.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
        return {r["name"] for r in rows}
    rows = await store.db.fetch(
        "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
        " AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_key'")
    return {r["indexname"] for r in rows}


async def test_both_dialects_build_the_same_tables_columns_and_indexes(tmp_path: Path) -> None:
    lite = await open_store(tmp_path / "s.db")
    with fresh_database(migrated=False) as url:
        pg = await open_store(url)
        try:
            assert await _columns(pg) == await _columns(lite)
            assert await _indexes(pg) == await _indexes(lite)
            assert sorted(await pg.db.member_references()) == sorted(
                await lite.db.member_references())
        finally:
            await pg.close()
    await lite.close()


async def _delete_rules(store: SQLStore) -> dict[str, list[tuple[str, str]]]:
    if store.backend == "sqlite":
        tables = [r["name"] for r in await store.db.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        out: dict[str, list[tuple[str, str]]] = {}
        for t in tables:
            keys = await store.db.fetch(f"PRAGMA foreign_key_list({t})")
            out[t] = [(k["from"], k["on_delete"]) for k in keys if k["table"] == "members"]
        return out
    rows = await store.db.fetch(
        "SELECT t.table_name AS t, kcu.column_name AS col, rc.delete_rule AS rule"
        " FROM information_schema.tables t"
        " LEFT JOIN information_schema.key_column_usage kcu ON kcu.table_name = t.table_name"
        "  AND kcu.table_schema = t.table_schema"
        " LEFT JOIN information_schema.referential_constraints rc"
        "  ON rc.constraint_name = kcu.constraint_name"
        "  AND rc.constraint_schema = kcu.constraint_schema"
        " LEFT JOIN information_schema.constraint_column_usage ccu"
        "  ON ccu.constraint_name = rc.unique_constraint_name"
        "  AND ccu.constraint_schema = rc.unique_constraint_schema"
        " WHERE t.table_schema = current_schema() AND t.table_name != 'harbor_schema'"
        "  AND t.table_type = 'BASE TABLE'")
    found: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        refs = found.setdefault(r["t"], [])
        if r["rule"] is not None and (r["col"], r["rule"]) not in refs:
            refs.append((r["col"], r["rule"]))
    # Keep only references to members(id): the join above names every referenced table.
    members = {(r["t"], r["col"]) for r in await store.db.fetch(
        "SELECT kcu.table_name AS t, kcu.column_name AS col"
        " FROM information_schema.referential_constraints rc"
        " JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name"
        " JOIN information_schema.constraint_column_usage ccu"
        "  ON ccu.constraint_name = rc.unique_constraint_name"
        " WHERE ccu.table_name = 'members'")}
    return {t: [(c, rule) for c, rule in refs if (t, c) in members] for t, refs in found.items()}


async def test_every_member_reference_cascades(any_store: SQLStore) -> None:
    rules = await _delete_rules(any_store)
    assert "outbox" in rules and "members" in rules
    for table, refs in rules.items():
        if table in NOT_ABOUT_MEMBERS:
            continue
        assert refs, f"table {table} has no reference to members: /forget could miss it"
        for column, rule in refs:
            assert rule == "CASCADE", f"{table}.{column} must be ON DELETE CASCADE"
    refs = await any_store.db.member_references()
    assert set(refs) == {t for t, r in rules.items() if r}


@pytest.fixture
async def busy(store_url: str) -> AsyncIterator[tuple[SQLStore, list[str]]]:
    """A store in which Alex used every feature that stores something about a member."""
    store = await open_store(store_url)
    clock = ManualClock(START)
    console = await console_for(build(store, clock, Settings()), clock)
    lines = [
        ":group recovery", ":mod on", "/community announce", "/supporter on",
        "/meeting add Tuesday Night | tue | 19:00 | | 90 | https://zoom.us/j/123 | O,D |",
        ":dm", "/settings tz Europe/London", "/sober 2026-10-01 alcohol", "/reset",
        ":press Start again from today", "/slip", ":press Log a slip", "/celebrate on",
        "/checkin on", "/checkin", ":press 3", ":as Sam", ":group recovery", "hi", ":as Alex",
        ":group recovery", "/remind 1 30m", "/going 1", ":dm", "/attended 1", "/buddy Sam",
        "/forget", ":time 2026-11-26T09:00+00:00",
    ]
    for line in lines:
        await console.push(line)
    yield store, lines
    await store.close()


async def test_forget_leaves_no_row_about_the_member(busy: tuple[SQLStore, list[str]]) -> None:
    store, _ = busy
    alex = await store.members.find("console", "alex")
    assert alex is not None
    before = await store.privacy.export_member(alex.id)
    used = {table for table, rows in before.items() if rows}
    assert used >= {"members", "memberships", "counters", "streaks", "slips", "community_sharing",
                    "checkin_plans", "checkins", "meeting_subscriptions", "rsvps", "attendance",
                    "buddies", "conversations", "outbox"}
    await store.privacy.forget_member(alex.id)
    after = await store.privacy.export_member(alex.id)
    assert set(after) == set(before)  # the same tables are looked at ...
    assert {table: rows for table, rows in after.items() if rows} == {}  # ... and are empty
    assert await store.members.find("console", "sam") is not None
