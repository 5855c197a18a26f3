"""The PostgreSQL backend itself: migrations once under concurrency, a failed migration
leaves the previous version, an out-of-date schema is refused when not migrating, every
database error surfaces as StorageError, and a failed unit changes nothing."""

from __future__ import annotations

import asyncio

import pytest

from storage import open_store
from storage.database import Migration, Tx, bundled_migrations
from storage.errors import SchemaOutOfDate, StorageError, StorageUnavailable
from storage.postgres_db import PostgresDatabase, to_postgres
from tests.pg import fresh_database, require_server


def test_placeholders_are_rewritten_in_order() -> None:
    assert to_postgres("SELECT ? , ?, (?)") == "SELECT $1 , $2, ($3)"


async def test_an_unreachable_server_is_reported() -> None:
    with pytest.raises(StorageUnavailable, match="cannot connect to PostgreSQL"):
        await open_store("postgresql://postgres@127.0.0.1:1/harbor")


async def test_concurrent_processes_migrate_once() -> None:
    with fresh_database(migrated=False) as url:
        dbs = await asyncio.gather(*(PostgresDatabase.open(url) for _ in range(3)))
        try:
            latest = len(bundled_migrations("postgresql"))
            assert [await db.version() for db in dbs] == [latest] * 3
            applied = await dbs[0].fetch("SELECT version FROM harbor_schema ORDER BY version")
            assert [r["version"] for r in applied] == list(range(1, latest + 1))
        finally:
            for db in dbs:
                await db.close()


async def test_an_out_of_date_schema_is_refused_without_migrating() -> None:
    with fresh_database(migrated=False) as url:
        with pytest.raises(SchemaOutOfDate, match="run `harbor migrate` first"):
            await open_store(url, migrate=False)
        (await open_store(url)).db  # noqa: B018 - migrates
        store = await open_store(url, migrate=False)
        await store.close()


async def test_a_failed_migration_leaves_the_previous_version() -> None:
    require_server()
    good = Migration(1, "one", "CREATE TABLE a (x BIGINT);")
    bad = Migration(2, "two", "CREATE TABLE b (y BIGINT); INSERT INTO nowhere VALUES (1);")
    with fresh_database(migrated=False) as url:
        db = await PostgresDatabase.open(url, migrations=[good])
        try:
            with pytest.raises(StorageError, match="stays at version 1"):
                await db.migrate([good, bad])
            assert await db.version() == 1
            assert await db.tables() == ["a"]
        finally:
            await db.close()


async def test_errors_are_storage_errors_and_a_failed_unit_changes_nothing() -> None:
    with fresh_database() as url:
        store = await open_store(url)
        try:
            with pytest.raises(StorageError):
                await store.db.execute("INSERT INTO nowhere VALUES (1)")
            with pytest.raises(StorageError):
                await store.db.fetch("SELECT nothing FROM members")
            m = await store.members.touch("telegram", "1", "A", 1, True)

            async def half(tx: Tx) -> None:
                await tx.execute("UPDATE members SET display_name = 'B' WHERE id = ?", (m.id,))
                await tx.execute("INSERT INTO members (id, platform, user_id, created_at)"
                                 " VALUES (?, 'telegram', '1', 1)", (m.id,))  # a duplicate

            with pytest.raises(StorageError, match="write failed"):
                await store.db.write(half)
            got = await store.members.get(m.id)
            assert got is not None and got.display_name == "A"
        finally:
            await store.close()
