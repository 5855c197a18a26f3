"""The embedded default: one SQLite file.

Writes go through aiosqlite's public API on one writer connection, with group commit:
queued units run one after another inside one transaction and a single COMMIT makes the
batch durable; every caller waits for that COMMIT and learns its true outcome. Units run
optimistically, without a savepoint each (two fewer thread hops per unit): when one fails,
the batch is rolled back and the units before it are run again without it, so a failing
unit changes nothing and the others are unaffected. When the COMMIT fails, or SQLite rolls
the transaction back by itself (SQLITE_FULL, an I/O error), every unit of the batch is told
it failed: nothing is reported saved that is not.

Reads are short indexed statements, so they run on the event loop's own thread through a
second, read-only connection (WAL readers never block the writer): a thread hop costs more
than the read. Measured in bench/core_throughput.py.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import aiosqlite

from storage.database import Migration, Params, Row, T, Unit, bundled_migrations
from storage.errors import AlreadyRunning, StorageError, StorageUnavailable

log = logging.getLogger(__name__)

MAX_BATCH = 256  # units per transaction: bounds how long one COMMIT keeps callers waiting


class _Tx:
    """A unit's statements, on the writer connection inside the batch transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        cursor = await self._conn.execute(sql, params)
        return int(cursor.rowcount)

    async def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        if rows:
            await self._conn.executemany(sql, rows)

    async def fetch(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self._conn.execute_fetchall(sql, params))

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None


@dataclass(slots=True)
class _Job:
    unit: Unit[Any]
    future: asyncio.Future[Any]


class _Aborted(Exception):
    """SQLite rolled the whole transaction back: the batch is lost."""


class SQLiteDatabase:
    dialect = "sqlite"

    def __init__(
        self,
        writer: aiosqlite.Connection,
        path: str,
        lock: IO[bytes] | None = None,
    ) -> None:
        self._writer = writer
        self._reader: sqlite3.Connection | None = None  # None: read through the writer
        self.path = path
        self._lock_file = lock
        self._queue: collections.deque[_Job] = collections.deque()
        self._drainer: asyncio.Task[None] | None = None
        self._closed = False

    # -- opening -----------------------------------------------------------------------------
    @classmethod
    async def open(
        cls,
        path: str | Path,
        *,
        migrations: Iterable[Migration] | None = None,
        exclusive: bool = False,
    ) -> SQLiteDatabase:
        """Open (creating if missing) and migrate. Raises StorageError for a damaged or
        read-only file, leaving it untouched; with `exclusive`, AlreadyRunning when another
        process holds the file."""
        target = str(path)
        memory = target == ":memory:"
        lock = None if memory or not exclusive else _take_lock(target)
        writer = None
        db = None
        try:
            writer = await _connect(target)
            db = cls(writer, target, lock)
            await db._prepare()
            await db.migrate(bundled_migrations("sqlite") if migrations is None else migrations)
            if not memory:
                # Opened after the migrations: a connection keeps the schema it first read.
                db._reader = _reader(target)
        except BaseException:
            if db is not None and db._reader is not None:
                db._reader.close()
            if writer is not None:
                with contextlib.suppress(Exception):
                    await writer.close()
            if lock is not None:
                lock.close()
            raise
        return db

    async def _prepare(self) -> None:
        try:
            version = await self.version()
            if self.path != ":memory:":
                rows = list(await self._writer.execute_fetchall("PRAGMA journal_mode = WAL"))
                if not rows or str(rows[0][0]).lower() != "wal":
                    raise StorageError(f"database {self.path} could not be switched to WAL mode")
            await _tune(self._writer)
            # Erased rows are overwritten with zeros, not just unlinked (/forget).
            await self._writer.execute("PRAGMA secure_delete = ON")
            # Prove we can write before touching anything: a rolled-back no-op write (a
            # read-only file fails here, unchanged).
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                await self._writer.execute(f"PRAGMA user_version = {version}")
            finally:
                await self._writer.execute("ROLLBACK")
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if "readonly" in text or "read-only" in text:
                raise StorageError(f"database {self.path} is read-only: {text}") from None
            raise StorageError(
                f"database {self.path} is not a usable SQLite file: {text}"
            ) from None

    async def version(self) -> int:
        rows = list(await self._writer.execute_fetchall("PRAGMA user_version"))
        return int(rows[0][0]) if rows else 0

    async def migrate(self, migrations: Iterable[Migration]) -> int:
        """Apply the migrations newer than the file's version, each in its own transaction.
        A failing migration is rolled back and leaves the previous version intact."""
        await self._idle()
        current = await self.version()
        for m in migrations:
            if m.version <= current:
                continue
            script = f"BEGIN IMMEDIATE;\n{m.sql}\n;PRAGMA user_version = {m.version};\nCOMMIT;"
            try:
                await self._writer.executescript(script)
            except sqlite3.Error as exc:
                if self._writer.in_transaction:
                    await self._writer.execute("ROLLBACK")
                raise StorageError(
                    f"migration {m.version:03d}_{m.name} failed: {exc}; "
                    f"the database stays at version {current}"
                ) from None
            log.info("applied migration %03d_%s", m.version, m.name)
            current = m.version
        return current

    async def integrity(self) -> str:
        """PRAGMA quick_check: "ok", or what is wrong. Slow on big files: for `doctor`."""
        rows = list(await self._writer.execute_fetchall("PRAGMA quick_check"))
        return "; ".join(str(r[0]) for r in rows) or "no answer"

    # -- reading -----------------------------------------------------------------------------
    async def fetch(self, sql: str, params: Params = ()) -> list[Row]:
        if self._closed:
            raise StorageError("the database is closed")
        try:
            if self._reader is None:
                return list(await self._writer.execute_fetchall(sql, params))
            return self._reader.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StorageError(f"read failed: {exc}") from None

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.fetch(sql, params)
        return rows[0] if rows else None

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        row = await self.fetchone(sql, params)
        return row[0] if row is not None else None

    # -- writing -----------------------------------------------------------------------------
    async def write(self, unit: Unit[T]) -> T:
        if self._closed:
            raise StorageError("the database is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append(_Job(unit, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        # Shielded: a caller that gives up waiting must not cancel a unit that may have run.
        return await asyncio.shield(future)

    async def execute(self, sql: str, params: Params = ()) -> int:
        async def one(tx: _Tx) -> int:
            return await tx.execute(sql, params)

        return await self.write(one)  # type: ignore[arg-type]

    async def _drain(self) -> None:
        while self._queue:
            batch = [self._queue.popleft() for _ in range(min(MAX_BATCH, len(self._queue)))]
            await self._run_batch(batch)

    async def _run_batch(self, batch: list[_Job]) -> None:
        """Run the jobs in one transaction and commit; a failing job is dropped and the
        batch re-run without it, until it commits or the engine gives up on it."""
        conn, tx = self._writer, _Tx(self._writer)
        while batch:
            results: list[Any] = []
            failed: int | None = None
            try:
                await conn.execute("BEGIN IMMEDIATE")
                for i, job in enumerate(batch):
                    try:
                        results.append(await job.unit(tx))
                    except Exception as exc:
                        if not conn.in_transaction:
                            raise _Aborted(str(exc)) from exc  # SQLite rolled it all back
                        _settle(job.future, _as_storage_error(exc))
                        failed = i
                        break
                if failed is None:
                    await conn.execute("COMMIT")
            except (_Aborted, sqlite3.Error) as exc:
                await self._rollback()
                self._fail(batch, f"the write was not stored: {exc}")
                return
            if failed is None:
                for job, result in zip(batch, results, strict=True):
                    if not job.future.done():
                        job.future.set_result(result)
                return
            # Undo the batch and run it again without the failed job.
            if not await self._rollback():
                self._fail(batch, "the write was not stored: rollback failed")
                return
            batch = batch[:failed] + batch[failed + 1 :]

    async def _rollback(self) -> bool:
        try:
            if self._writer.in_transaction:
                await self._writer.execute("ROLLBACK")
        except sqlite3.Error:
            return False
        return True

    @staticmethod
    def _fail(jobs: Iterable[_Job], why: str) -> None:
        error = StorageError(why)
        for job in jobs:
            _settle(job.future, error)

    async def _idle(self) -> None:
        while self._drainer is not None and not self._drainer.done():
            await asyncio.shield(self._drainer)

    # -- privacy -------------------------------------------------------------------------------
    async def member_references(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for table in await self.tables():
            for fk in await self.fetch(f"PRAGMA foreign_key_list({table})"):
                if fk["table"] == "members":
                    found.setdefault(table, []).append(fk["from"])
        return found

    async def after_erase(self) -> None:
        # Erased rows live on in the write-ahead log until it is checkpointed and emptied.
        await self._idle()
        rows = list(await self._writer.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)"))
        if rows and rows[0][0]:  # busy: another connection kept reading an older snapshot
            log.warning(
                "after an erase, %s-wal could not be emptied (another connection was"
                " reading); erased text stays there until a checkpoint can finish",
                self.path,
            )

    async def tables(self) -> list[str]:
        rows = await self.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
        return [r["name"] for r in rows]

    # -- closing -------------------------------------------------------------------------------
    async def close(self) -> None:
        """Finish what is queued, then close; safe to call twice."""
        if self._closed:
            return
        await self._idle()
        self._closed = True
        if self._reader is not None:
            self._reader.close()
        with contextlib.suppress(Exception):
            await self._writer.close()
        if self._lock_file is not None:
            self._lock_file.close()


def _settle(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
        future.exception()  # retrieved: a caller that gave up must not log a warning


def _as_storage_error(exc: BaseException) -> BaseException:
    if isinstance(exc, sqlite3.Error):
        return StorageError(f"write failed: {exc}")
    return exc


async def _tune(conn: aiosqlite.Connection) -> None:
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute("PRAGMA busy_timeout = 5000")
    await conn.execute("PRAGMA synchronous = NORMAL")


async def _connect(target: str) -> aiosqlite.Connection:
    conn = aiosqlite.connect(target, isolation_level=None, uri=target.startswith("file:"))
    try:
        await conn
    except sqlite3.Error as exc:
        # aiosqlite stops its worker thread without waiting for it; the thread then reports
        # to this loop, which `asyncio.run` may have closed by then ("Event loop is closed"
        # printed after our one-line error). Wait for the thread to end first.
        worker = getattr(conn, "_thread", None)
        if isinstance(worker, threading.Thread) and worker.is_alive():
            await asyncio.to_thread(worker.join, 5.0)
        raise StorageUnavailable(f"cannot open database {target}: {exc}") from None
    conn.row_factory = sqlite3.Row
    return conn


def _reader(target: str) -> sqlite3.Connection:
    """A read-only connection for the event loop's thread."""
    path = target.removeprefix("file:").split("?", 1)[0]
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA busy_timeout = 2000")
        conn.execute("PRAGMA foreign_keys = ON")  # as the writer, so the two agree in PRAGMAs
    except sqlite3.Error as exc:  # one line, like every other way a file can't be opened
        raise StorageUnavailable(f"cannot open database {path} for reading: {exc}") from None
    return conn


def _take_lock(target: str) -> IO[bytes]:
    """One `harbor run` per SQLite file: a second would plan and send everything twice."""
    path = target.removeprefix("file:").split("?", 1)[0]
    try:
        handle = open(f"{path}.lock", "wb")  # noqa: SIM115 - held open until close()
    except OSError as exc:
        raise StorageUnavailable(f"cannot open database {path}: {exc.strerror}") from None
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise AlreadyRunning(
            f"another Harbor process is running on {path}; run one process per SQLite file"
            " (several processes need PostgreSQL)"
        ) from None
    handle.write(str(os.getpid()).encode())
    handle.flush()
    return handle
