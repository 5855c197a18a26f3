"""One aiosqlite connection with a single writer, group commit and numbered migrations.

Why group commit: a commit per event caps aiosqlite near 6,000/s. Each logical write runs
inside a SAVEPOINT of a shared outer transaction on aiosqlite's single worker thread (one
writer, so transactions never interleave); a committer commits the outer transaction as soon
as the queued writers are done, and every caller waits for that commit, so a reply is only sent
once its write is durable, yet concurrent events share one commit.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar, cast

import aiosqlite

log = logging.getLogger(__name__)

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")


def columns(alias: str, cols: str) -> str:
    """'id, name' with alias 'm' -> 'm.id, m.name' (for joins)."""
    return ", ".join(f"{alias}.{c.strip()}" for c in cols.split(","))


def _in_savepoint(raw: sqlite3.Connection, unit: Callable[[sqlite3.Connection], T]) -> T:
    # Units share one outer transaction (committed by the committer); a savepoint lets a
    # failing unit roll back alone.
    if not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")
    raw.execute("SAVEPOINT unit")
    try:
        result = unit(raw)
    except BaseException:
        raw.execute("ROLLBACK TO unit")
        raw.execute("RELEASE unit")
        raise
    raw.execute("RELEASE unit")
    return result


def _commit(raw: sqlite3.Connection) -> None:
    if raw.in_transaction:
        raw.execute("COMMIT")


class StorageError(Exception):
    """The database cannot be used; the message says why in one line."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The numbered `storage/migrations/NNN_name.sql` files, in order."""
    found: list[Migration] = []
    for entry in resources.files("storage").joinpath("migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:3].isdigit():
            found.append(Migration(int(name[:3]), name[4:-4], entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise StorageError(f"migrations must be numbered 1..N without gaps, got {versions}")
    return found


class Database:
    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()  # serialises migrations against everything else
        self._batch: asyncio.Future[None] | None = None
        self._committer: asyncio.Task[None] | None = None
        self._closed = False

    # -- opening -------------------------------------------------------------------------
    @classmethod
    async def open(
        cls, path: str | Path, migrations: Iterable[Migration] | None = None
    ) -> Database:
        """Open (creating if missing) and migrate. Raises StorageError for a corrupt or
        read-only file, leaving the file untouched."""
        target = str(path)
        try:
            conn = await aiosqlite.connect(
                target, isolation_level=None, uri=target.startswith("file:")
            )
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open database {target}: {exc}") from None
        db = cls(conn, target)
        try:
            await db._check_usable()
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
            await conn.execute("PRAGMA busy_timeout = 5000")
            await db.migrate(bundled_migrations() if migrations is None else migrations)
        except BaseException:
            await conn.close()
            raise
        return db

    async def _check_usable(self) -> None:
        conn = self._conn
        try:
            cur = await conn.execute("PRAGMA quick_check")
            row = await cur.fetchone()
            if row is None or row[0] != "ok":
                raise StorageError(f"database {self.path} is damaged (integrity check failed)")
            if self.path != ":memory:":
                cur = await conn.execute("PRAGMA journal_mode = WAL")
                mode = await cur.fetchone()
                if mode is None or str(mode[0]).lower() != "wal":
                    raise StorageError(f"database {self.path} could not be switched to WAL mode")
            # Prove we can write before touching anything else: rewrite the version in a
            # transaction that is rolled back (a read-only file fails here, unchanged).
            version = await self.version()
            await conn.execute("BEGIN IMMEDIATE")
            try:
                await conn.execute(f"PRAGMA user_version = {version}")
            finally:
                await conn.execute("ROLLBACK")
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if "readonly" in text or "read-only" in text:
                raise StorageError(f"database {self.path} is read-only: {text}") from None
            raise StorageError(
                f"database {self.path} is not a usable SQLite file: {text}"
            ) from None

    async def version(self) -> int:
        cur = await self._conn.execute("PRAGMA user_version")
        row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def migrate(self, migrations: Iterable[Migration]) -> int:
        """Apply the migrations newer than the file's version, each in its own transaction.
        A failing migration is rolled back and leaves the previous version intact."""
        async with self._lock:
            current = await self.version()
            for m in migrations:
                if m.version <= current:
                    continue
                script = f"BEGIN IMMEDIATE;\n{m.sql}\n;PRAGMA user_version = {m.version};\nCOMMIT;"
                try:
                    await self._conn.executescript(script)
                except sqlite3.Error as exc:
                    if self._conn.in_transaction:
                        await self._conn.execute("ROLLBACK")
                    raise StorageError(
                        f"migration {m.version:03d}_{m.name} failed: {exc}; "
                        f"the database stays at version {current}"
                    ) from None
                log.info("applied migration %03d_%s", m.version, m.name)
                current = m.version
            return current

    # -- reading ---------------------------------------------------------------------------
    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        def query(c: sqlite3.Connection) -> list[sqlite3.Row]:
            cur = c.execute(sql, params)
            cur.row_factory = sqlite3.Row
            return cur.fetchall()

        return await self._run(query)  # execute and fetch in one thread hop

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def scalar(self, sql: str, params: Params = ()) -> Any:
        def query(c: sqlite3.Connection) -> Any:
            row = c.execute(sql, params).fetchone()
            return row[0] if row else None

        return await self._run(query)

    # -- writing ---------------------------------------------------------------------------
    async def write(self, unit: Callable[[sqlite3.Connection], T]) -> T:
        """Run `unit` as one all-or-nothing write transaction in the database thread, and
        return once it is durable. `unit` is plain sqlite3 code: one thread hop per unit."""
        if self._closed:
            raise StorageError("the database is closed")
        try:
            result: T = await self._run(_in_savepoint, unit)
        except BaseException:
            # The unit rolled back to its savepoint, but it may have opened the outer
            # transaction: make sure a commit comes, so the write lock is released.
            self._batch_future()
            raise
        # Shielded: a caller cancelled while waiting must not cancel the shared commit.
        await asyncio.shield(self._batch_future())
        return result

    async def read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        """Run `query` (several SELECTs, say) in the database thread in one hop."""
        return await self._run(query)

    async def execute(self, sql: str, params: Params = ()) -> int:
        """A single write statement in its own transaction; returns lastrowid."""
        return await self.write(lambda c: c.execute(sql, params).lastrowid or 0)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        # aiosqlite runs every call on its one worker thread; `_execute` hands it a whole
        # function so a multi-statement unit costs one hop instead of one per statement.
        raw = self._conn._conn
        result = await self._conn._execute(fn, raw, *args)  # type: ignore[no-untyped-call]
        return cast(T, result)

    def _batch_future(self) -> asyncio.Future[None]:
        if self._batch is None:
            self._batch = asyncio.get_running_loop().create_future()
            self._committer = asyncio.create_task(self._commit_soon())
        return self._batch

    async def _commit_soon(self) -> None:
        await asyncio.sleep(0)  # let writers that are already queued join this batch
        batch, self._batch = self._batch, None
        try:
            await self._run(_commit)
        except Exception as exc:
            if batch is not None and not batch.done():
                batch.set_exception(StorageError(f"commit failed: {exc}"))
                batch.exception()  # retrieved here; the writers awaiting it see it too
            return
        if batch is not None and not batch.done():
            batch.set_result(None)

    async def flush(self) -> None:
        """Wait for the pending commit, if any."""
        if self._committer is not None:
            await asyncio.shield(self._committer)

    async def close(self) -> None:
        """Commit what is pending and close; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._committer is not None:
            await asyncio.gather(self._committer, return_exceptions=True)
        await self._run(_commit)
        await self._conn.close()

    async def tables(self) -> list[str]:
        rows = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
        return [r["name"] for r in rows]
