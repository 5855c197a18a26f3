"""`harbor migrate` and `harbor db copy`: the operator's database tools.

- `harbor migrate [--database URL]` applies the bundled migrations (SQLite files migrate by
  themselves on start; `harbor run` on PostgreSQL refuses an unmigrated database).
- `harbor db copy SRC_URL DST_URL [--force]` copies every table (ids preserved) and prints
  each table's row count and checksum, read back from both sides."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any, TextIO

from bot.kernel.config import Settings
from storage import sqlite_path
from storage.copy import copy_database
from storage.database import Database, bundled_migrations
from storage.errors import StorageError


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgresql:", "postgres:"))


async def _open_unmigrated(url: str) -> Database:
    """The database at `url` as it is (no migration applied yet)."""
    if _is_postgres(url):
        from storage.postgres_db import PostgresDatabase

        return await PostgresDatabase.open(url, migrations=[])
    if "://" in url and not url.startswith("sqlite:"):
        scheme = url.split(":", 1)[0]
        raise StorageError(f"unknown database URL {scheme!r}: use sqlite or postgresql")
    from storage.sqlite_db import SQLiteDatabase

    return await SQLiteDatabase.open(sqlite_path(url), migrations=[])


async def migrate(url: str, out: TextIO) -> int:
    db: Any = await _open_unmigrated(url)
    try:
        before = int(await db.version())
        after = int(await db.migrate(bundled_migrations(db.dialect)))
    finally:
        await db.close()
    if after == before:
        print(f"the database is up to date (schema version {after})", file=out)
    else:
        print(f"migrated the database from schema version {before} to {after}", file=out)
    return 0


async def copy(src_url: str, dst_url: str, force: bool, out: TextIO) -> int:
    from storage import open_store

    # The source is migrated only when it is a SQLite file (it would be on start anyway).
    src = await open_store(src_url, migrate=not _is_postgres(src_url))
    try:
        dst = await open_store(dst_url)
        try:
            print(f"{'table':<24} {'rows':>10}  checksum", file=out)
            copied = await copy_database(
                src.db,
                dst.db,
                force=force,
                progress=lambda t: print(f"{t.table:<24} {t.rows:>10}  {t.checksum}", file=out),
            )
        finally:
            await dst.close()
    finally:
        await src.close()
    total = sum(t.rows for t in copied)
    print(f"copied {total} rows in {len(copied)} tables; every checksum matches", file=out)
    return 0


def add_migrate_parser(sub: Any) -> None:
    p = sub.add_parser("migrate", help="apply the database migrations (PostgreSQL needs it)")
    p.add_argument("--config")
    p.add_argument("--database", help="database URL (default: the config's, HARBOR_DATABASE)")


def run_migrate(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(migrate(args.database or settings.storage.url, sys.stdout))


def add_db_parser(sub: Any) -> None:
    p = sub.add_parser("db", help="database tools: copy a database to another engine")
    p.add_argument("--config")
    tools = p.add_subparsers(dest="db_cmd", required=True)
    c = tools.add_parser(
        "copy",
        help="copy every table from SRC to DST (e.g. sqlite:///harbor.db postgresql://...),"
        " printing row counts and checksums",
    )
    c.add_argument("src")
    c.add_argument("dst")
    c.add_argument("--force", action="store_true", help="delete what DST holds first")


def run_db(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(copy(args.src, args.dst, args.force, sys.stdout))
