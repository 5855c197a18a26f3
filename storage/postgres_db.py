"""PostgreSQL through asyncpg: a connection pool, one transaction per write unit, and the
same portable SQL as SQLite (`?` placeholders are rewritten to `$1, $2, …`).

Several Harbor processes may share one PostgreSQL database: writes are ordinary
transactions, and the outbox is claimed with row locks (`FOR UPDATE SKIP LOCKED`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import asyncpg

from storage.database import Migration, Params, Row, T, Unit, bundled_migrations
from storage.errors import SchemaOutOfDate, StorageError, StorageUnavailable

log = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"\?")
_MIGRATION_LOCK = 0x4842_4D47  # advisory lock key: one process migrates at a time ("HBMG")


@lru_cache(maxsize=1024)
def to_postgres(sql: str) -> str:
    """Rewrite `?` placeholders as `$1, $2, …` (the stores never put `?` in literals)."""
    counter = iter(range(1, 10_000))
    return _PLACEHOLDER.sub(lambda _m: f"${next(counter)}", sql)


def _rowcount(status: str) -> int:
    # asyncpg answers "UPDATE 3", "DELETE 0", "INSERT 0 1".
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class _PgTx:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        return _rowcount(await self._conn.execute(to_postgres(sql), *params))

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        if rows:
            await self._conn.executemany(to_postgres(sql), rows)

    async def fetch(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._conn.fetch(to_postgres(sql), *params))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = await self._conn.fetchrow(to_postgres(sql), *params)
        return row


class PostgresDatabase:
    dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool, url: str) -> None:
        self._pool = pool
        self.url = url

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        migrate: bool = True,
        migrations: Iterable[Migration] | None = None,
        min_size: int = 1,
        max_size: int = 20,
    ) -> PostgresDatabase:
        """Connect; with `migrate`, apply pending migrations, else refuse an out-of-date
        schema with SchemaOutOfDate (`harbor migrate` applies them)."""
        try:
            pool = await asyncpg.create_pool(url, min_size=min_size, max_size=max_size)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, ValueError) as exc:
            raise StorageUnavailable(f"cannot connect to PostgreSQL: {exc}") from None
        db = cls(pool, url)
        wanted = list(bundled_migrations("postgresql") if migrations is None else migrations)
        try:
            if migrate:
                await db.migrate(wanted)
            else:
                have = await db.version()
                latest = wanted[-1].version if wanted else 0
                if have < latest:
                    raise SchemaOutOfDate(
                        f"the database is at schema version {have}, Harbor needs {latest}:"
                        " run `harbor migrate` first"
                    )
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            await pool.close()
            raise StorageError(f"cannot prepare the PostgreSQL database: {exc}") from None
        except BaseException:
            await pool.close()
            raise
        return db

    async def version(self) -> int:
        async with self._pool.acquire() as conn:
            exists = await conn.fetchval("SELECT to_regclass('harbor_schema') IS NOT NULL")
            if not exists:
                return 0
            return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM harbor_schema"))

    async def migrate(self, migrations: Iterable[Migration]) -> int:
        """Apply the migrations newer than the database's version, each in its own
        transaction, under an advisory lock so concurrent processes migrate once."""
        async with self._pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
            try:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS harbor_schema (version INTEGER PRIMARY KEY,"
                    " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                )
                current = int(
                    await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM harbor_schema")
                )
                for m in migrations:
                    if m.version <= current:
                        continue
                    try:
                        async with conn.transaction():
                            await conn.execute(m.sql)
                            await conn.execute(
                                "INSERT INTO harbor_schema (version, name) VALUES ($1, $2)",
                                m.version,
                                m.name,
                            )
                    except asyncpg.PostgresError as exc:
                        raise StorageError(
                            f"migration {m.version:03d}_{m.name} failed: {exc}; "
                            f"the database stays at version {current}"
                        ) from None
                    log.info("applied migration %03d_%s", m.version, m.name)
                    current = m.version
                return current
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)

    async def fetch(self, sql: str, params: Params = ()) -> list[Row]:
        try:
            return list(await self._pool.fetch(to_postgres(sql), *params))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise StorageError(f"read failed: {exc}") from None

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return row[0] if row is not None else None

    async def execute(self, sql: str, params: Params = ()) -> int:
        try:
            return _rowcount(await self._pool.execute(to_postgres(sql), *params))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise StorageError(f"write failed: {exc}") from None

    async def write(self, unit: Unit[T]) -> T:
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                return await unit(_PgTx(conn))
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise StorageError(f"write failed: {exc}") from None

    async def member_references(self) -> dict[str, list[str]]:
        rows = await self.fetch(
            "SELECT kcu.table_name AS table_name, kcu.column_name AS column_name"
            " FROM information_schema.referential_constraints rc"
            " JOIN information_schema.key_column_usage kcu"
            "  ON kcu.constraint_name = rc.constraint_name"
            "  AND kcu.constraint_schema = rc.constraint_schema"
            " JOIN information_schema.constraint_column_usage ccu"
            "  ON ccu.constraint_name = rc.unique_constraint_name"
            "  AND ccu.constraint_schema = rc.unique_constraint_schema"
            " WHERE ccu.table_name = 'members' AND kcu.table_schema = current_schema()"
            " ORDER BY kcu.table_name, kcu.column_name"
        )
        found: dict[str, list[str]] = {}
        for r in rows:
            found.setdefault(r["table_name"], []).append(r["column_name"])
        return found

    async def tables(self) -> list[str]:
        rows = await self.fetch(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            " AND table_name != 'harbor_schema' ORDER BY table_name"
        )
        return [r["table_name"] for r in rows]

    async def after_erase(self) -> None:
        # Deleted tuples are reclaimed by autovacuum; PostgreSQL never exposes them.
        return None

    async def close(self) -> None:
        await self._pool.close()
