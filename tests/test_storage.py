"""Storage: WAL, foreign keys, numbered migrations in their own transactions, one writer,
and a clear refusal of damaged or read-only files."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from storage.db import Database, Migration, StorageError, bundled_migrations
from storage.sqlite import SQLiteStore

ROOT = Path(__file__).resolve().parent.parent


def test_migrations_are_numbered_without_gaps() -> None:
    found = bundled_migrations()
    assert [m.version for m in found] == list(range(1, len(found) + 1))


async def test_fresh_database_is_wal_with_foreign_keys(store: SQLiteStore) -> None:
    db = store.db
    assert await db.scalar("PRAGMA journal_mode") == "wal"
    assert await db.scalar("PRAGMA foreign_keys") == 1
    assert await db.version() == len(bundled_migrations())


async def test_failed_migration_leaves_previous_version(tmp_path: Path) -> None:
    good = Migration(1, "one", "CREATE TABLE a (x INTEGER);")
    db = await Database.open(tmp_path / "m.db", [good])
    await db.execute("INSERT INTO a VALUES (1)")
    bad = Migration(2, "two", "CREATE TABLE b (y INTEGER); INSERT INTO nowhere VALUES (1);")
    with pytest.raises(StorageError, match="stays at version 1"):
        await db.migrate([good, bad])
    assert await db.version() == 1
    assert await db.tables() == ["a"]  # table b was rolled back with the failed migration
    assert await db.scalar("SELECT COUNT(*) FROM a") == 1
    await db.close()


async def test_failed_unit_rolls_back_alone(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "u.db", [Migration(1, "t", "CREATE TABLE t (v INTEGER);")])

    def good(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO t VALUES (1)")

    def bad(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO t VALUES (2)")
        raise RuntimeError("boom")

    results = await asyncio.gather(
        db.write(good), db.write(bad), db.write(good), return_exceptions=True
    )
    assert isinstance(results[1], RuntimeError)
    assert await db.scalar("SELECT COUNT(*) FROM t") == 2
    assert await db.scalar("SELECT COUNT(*) FROM t WHERE v = 2") == 0
    await db.close()


async def test_concurrent_units_never_interleave(tmp_path: Path) -> None:
    """Read-modify-write units run one at a time: no lost updates."""
    db = await Database.open(
        tmp_path / "c.db",
        [Migration(1, "t", "CREATE TABLE n (v INTEGER); INSERT INTO n VALUES (0);")],
    )

    def bump(c: sqlite3.Connection) -> None:
        (v,) = c.execute("SELECT v FROM n").fetchone()
        c.execute("UPDATE n SET v = ?", (v + 1,))

    await asyncio.gather(*(db.write(bump) for _ in range(500)))
    assert await db.scalar("SELECT v FROM n") == 500
    await db.close()


async def test_writes_are_durable_when_write_returns(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    db = await Database.open(path, [Migration(1, "t", "CREATE TABLE t (v INTEGER);")])
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
        await Database.open(path)
    assert path.read_bytes() == junk


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
async def test_read_only_file_is_refused(tmp_path: Path) -> None:  # pragma: no cover
    path = tmp_path / "ro.db"
    sqlite3.connect(path).close()
    path.chmod(0o444)
    with pytest.raises(StorageError):
        await Database.open(path)


async def test_read_only_database_is_refused(tmp_path: Path) -> None:
    """Read-only even for root: SQLite's immutable/read-only URI mode."""
    path = tmp_path / "ro.db"
    setup = await Database.open(path)
    await setup.close()
    before = path.read_bytes()
    with pytest.raises(StorageError, match="read-only"):
        await Database.open(f"file:{path}?mode=ro")
    assert path.read_bytes() == before


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
    assert "Traceback" not in out.stderr
    assert path.read_bytes() == b"garbage" * 50


async def test_a_cancelled_writer_does_not_cancel_the_others(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "x.db", [Migration(1, "t", "CREATE TABLE t (v INTEGER);")])

    def insert(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO t VALUES (1)")

    tasks = [asyncio.create_task(db.write(insert)) for _ in range(3)]
    await asyncio.sleep(0)
    tasks[0].cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[1] is None and results[2] is None
    assert await db.scalar("SELECT COUNT(*) FROM t") >= 2
    await db.close()


async def test_a_failed_first_write_does_not_keep_the_database_locked(tmp_path: Path) -> None:
    path = tmp_path / "lock.db"
    db = await Database.open(path, [Migration(1, "t", "CREATE TABLE t (v INTEGER);")])

    def bad(c: sqlite3.Connection) -> None:
        c.execute("INSERT INTO t VALUES (1)")
        raise ValueError("bad unit")

    with pytest.raises(ValueError):
        await db.write(bad)
    await db.flush()
    other = sqlite3.connect(path, timeout=0.1)
    other.execute("INSERT INTO t VALUES (2)")  # would raise "database is locked"
    other.commit()
    other.close()
    await db.close()
