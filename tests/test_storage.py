"""Storage on SQLite: WAL, foreign keys, numbered migrations in their own transactions, one
writer with group commit where every caller learns its own outcome, a lock against a second
process, erased text gone from the files, and a clear refusal of damaged or read-only files."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storage import open_store, sqlite_path
from storage.database import Migration, Tx, bundled_migrations
from storage.errors import AlreadyRunning, StorageError
from storage.sql.store import SQLStore
from storage.sqlite_db import SQLiteDatabase

ROOT = Path(__file__).resolve().parent.parent
T = [Migration(1, "t", "CREATE TABLE t (v INTEGER);")]


def test_migrations_are_numbered_without_gaps() -> None:
    for dialect in ("sqlite", "postgresql"):
        found = bundled_migrations(dialect)
        assert [m.version for m in found] == list(range(1, len(found) + 1))


def test_sqlite_urls() -> None:
    assert sqlite_path("sqlite:///harbor.db") == "harbor.db"
    assert sqlite_path("sqlite:////srv/harbor.db") == "/srv/harbor.db"
    assert sqlite_path("harbor.db") == "harbor.db"
    assert sqlite_path("sqlite://") == ":memory:"


async def test_fresh_database_is_wal_with_foreign_keys(store: SQLStore) -> None:
    db = store.db
    assert await db.fetchval("PRAGMA journal_mode") == "wal"
    assert await db.fetchval("PRAGMA foreign_keys") == 1
    assert isinstance(db, SQLiteDatabase)
    assert await db.version() == len(bundled_migrations("sqlite"))


async def test_unknown_database_url_is_refused() -> None:
    with pytest.raises(StorageError, match="unknown database URL"):
        await open_store("mysql://localhost/harbor")


async def test_failed_migration_leaves_previous_version(tmp_path: Path) -> None:
    good = Migration(1, "one", "CREATE TABLE a (x INTEGER);")
    db = await SQLiteDatabase.open(tmp_path / "m.db", migrations=[good])
    await db.execute("INSERT INTO a VALUES (1)")
    bad = Migration(2, "two", "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);")
    with pytest.raises(StorageError, match="stays at version 1"):
        await db.migrate([good, bad])
    assert await db.version() == 1
    assert await db.tables() == ["a"]  # table b was rolled back with the failed migration
    assert await db.fetchval("SELECT COUNT(*) FROM a") == 1
    await db.close()


async def test_failed_unit_rolls_back_alone(tmp_path: Path) -> None:
    db = await SQLiteDatabase.open(tmp_path / "u.db", migrations=T)

    async def good(tx: Tx) -> None:
        await tx.execute("INSERT INTO t VALUES (1)")

    async def bad(tx: Tx) -> None:
        await tx.execute("INSERT INTO t VALUES (2)")
        raise RuntimeError("boom")

    results = await asyncio.gather(
        db.write(good), db.write(bad), db.write(good), return_exceptions=True
    )
    assert isinstance(results[1], RuntimeError)
    assert await db.fetchval("SELECT COUNT(*) FROM t") == 2
    assert await db.fetchval("SELECT COUNT(*) FROM t WHERE v = 2") == 0
    await db.close()


async def test_concurrent_units_never_interleave(tmp_path: Path) -> None:
    """Read-modify-write units run one at a time: no lost updates."""
    db = await SQLiteDatabase.open(
        tmp_path / "c.db",
        migrations=[Migration(1, "t", "CREATE TABLE n (v INTEGER); INSERT INTO n VALUES (0);")],
    )

    async def bump(tx: Tx) -> None:
        row = await tx.fetchone("SELECT v FROM n")
        assert row is not None
        await tx.execute("UPDATE n SET v = ?", (row["v"] + 1,))

    await asyncio.gather(*(db.write(bump) for _ in range(300)))
    assert await db.fetchval("SELECT v FROM n") == 300
    await db.close()


async def test_a_failed_commit_is_reported_to_every_writer_of_the_batch(tmp_path: Path) -> None:
    """The defect: writers queued behind a failed COMMIT were told their write succeeded.
    A deferred foreign key makes SQLite refuse the COMMIT of the whole batch."""
    db = await SQLiteDatabase.open(
        tmp_path / "commit.db",
        migrations=[
            Migration(
                1,
                "t",
                "CREATE TABLE p (id INTEGER PRIMARY KEY);"
                "CREATE TABLE c (p INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED);"
                "CREATE TABLE t (v INTEGER);",
            )
        ],
    )

    async def fine(tx: Tx) -> None:
        await tx.execute("INSERT INTO t VALUES (1)")

    async def poison(tx: Tx) -> None:
        await tx.execute("INSERT INTO c VALUES (99)")  # only checked at COMMIT

    writers = [db.write(fine) for _ in range(8)] + [db.write(poison)]
    writers += [db.write(fine) for _ in range(7)]
    results = await asyncio.gather(*writers, return_exceptions=True)
    stored = await db.fetchval("SELECT COUNT(*) FROM t")
    acknowledged = sum(1 for r in results if not isinstance(r, BaseException))
    assert acknowledged == stored  # nobody was told "saved" for a row that is not there
    assert any(isinstance(r, StorageError) for r in results)
    await db.execute("INSERT INTO t VALUES (7)")  # and the database works on
    assert await db.fetchval("SELECT COUNT(*) FROM t") == stored + 1
    await db.close()


async def test_a_full_database_loses_no_acknowledged_write(tmp_path: Path) -> None:
    """SQLITE_FULL (a tiny max_page_count stands in for a full disk): every write that was
    acknowledged is stored, every other one raised."""
    db = await SQLiteDatabase.open(
        tmp_path / "full.db", migrations=[Migration(1, "t", "CREATE TABLE t (v TEXT);")]
    )
    await db.execute("PRAGMA max_page_count = 12")  # the writer connection's limit

    async def big(tx: Tx) -> None:
        await tx.execute("INSERT INTO t VALUES (?)", ("x" * 3000,))

    results = await asyncio.gather(*(db.write(big) for _ in range(40)), return_exceptions=True)
    acknowledged = sum(1 for r in results if not isinstance(r, BaseException))
    assert any(isinstance(r, StorageError) for r in results)
    assert await db.fetchval("SELECT COUNT(*) FROM t") == acknowledged
    await db.close()


async def test_writes_are_durable_when_write_returns(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    db = await SQLiteDatabase.open(path, migrations=T)
    await db.execute("INSERT INTO t VALUES (42)")
    # Another connection sees the committed row while ours is still open.
    other = sqlite3.connect(path)
    assert other.execute("SELECT v FROM t").fetchall() == [(42,)]
    other.close()
    await db.close()


async def test_corrupt_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    junk = b"this is not a database" * 100
    path.write_bytes(junk)
    with pytest.raises(StorageError, match="not a usable SQLite file"):
        await SQLiteDatabase.open(path)
    assert path.read_bytes() == junk


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
async def test_read_only_file_is_refused(tmp_path: Path) -> None:  # pragma: no cover
    path = tmp_path / "ro.db"
    sqlite3.connect(path).close()
    path.chmod(0o444)
    with pytest.raises(StorageError):
        await SQLiteDatabase.open(path)


async def test_read_only_database_is_refused(tmp_path: Path) -> None:
    """Read-only even for root: SQLite's read-only URI mode."""
    path = tmp_path / "ro.db"
    setup = await SQLiteDatabase.open(path)
    await setup.close()
    before = path.read_bytes()
    with pytest.raises(StorageError, match="read-only"):
        await SQLiteDatabase.open(f"file:{path}?mode=ro")
    assert path.read_bytes() == before


async def test_a_second_process_on_the_same_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "one.db"
    first = await open_store(path, exclusive=True)
    with pytest.raises(AlreadyRunning, match="one process per SQLite file"):
        await open_store(path, exclusive=True)
    await first.close()
    again = await open_store(path, exclusive=True)  # the lock goes with the process
    await again.close()


def test_cli_refuses_a_corrupt_database(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"garbage" * 50)
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--db", str(path)],
        cwd=ROOT,
        input="/start\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 3
    assert out.stderr.strip().startswith("storage: database")
    assert "Traceback" not in out.stderr and "Event loop is closed" not in out.stderr
    assert path.read_bytes() == b"garbage" * 50


async def test_a_cancelled_writer_does_not_cancel_the_others(tmp_path: Path) -> None:
    db = await SQLiteDatabase.open(tmp_path / "x.db", migrations=T)

    async def insert(tx: Tx) -> None:
        await tx.execute("INSERT INTO t VALUES (1)")

    tasks = [asyncio.create_task(db.write(insert)) for _ in range(3)]
    await asyncio.sleep(0)
    tasks[0].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[1] is None and results[2] is None
    assert await db.fetchval("SELECT COUNT(*) FROM t") >= 2
    await db.close()


async def test_a_failed_write_does_not_keep_the_database_locked(tmp_path: Path) -> None:
    path = tmp_path / "lock.db"
    db = await SQLiteDatabase.open(path, migrations=T)

    async def bad(tx: Tx) -> None:
        await tx.execute("INSERT INTO t VALUES (1)")
        raise ValueError("bad unit")

    with pytest.raises(ValueError):
        await db.write(bad)
    other = sqlite3.connect(path, timeout=0.1)
    other.execute("INSERT INTO t VALUES (2)")  # would raise "database is locked"
    other.commit()
    other.close()
    await db.close()
