"""Copy a whole Harbor database to another engine (`harbor db copy SRC DST`): every table in
dependency order, ids preserved, PostgreSQL identity sequences moved past the copied ids,
and a per-table row count and checksum read back from both sides.

The checksum of a table is the sum (mod 2**64) of the SHA-256 of each row's values in column
order, as JSON: independent of row order and of the engine, so equal checksums mean the same
rows arrived. Tables are read whole: meant for a community moving up from SQLite."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from storage.database import Database, Tx
from storage.errors import StorageError

SKIP = frozenset({"harbor_schema"})  # each engine's own migration bookkeeping
CHUNK = 1000  # rows per transaction on the destination


@dataclass(frozen=True, slots=True)
class TableCopy:
    table: str
    rows: int
    checksum: str


async def tables(db: Database) -> list[str]:
    if db.dialect == "sqlite":
        rows = await db.fetch(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    else:
        rows = await db.fetch(
            "SELECT table_name AS name FROM information_schema.tables"
            " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        )
    return sorted(str(r["name"]) for r in rows if r["name"] not in SKIP)


async def columns(db: Database, table: str) -> list[str]:
    if db.dialect == "sqlite":
        return [str(r["name"]) for r in await db.fetch(f"PRAGMA table_info({table})")]
    rows = await db.fetch(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
        (table,),
    )
    return [str(r["column_name"]) for r in rows]


async def references(db: Database, table: str) -> set[str]:
    """The tables `table` has foreign keys to."""
    if db.dialect == "sqlite":
        return {str(r["table"]) for r in await db.fetch(f"PRAGMA foreign_key_list({table})")}
    rows = await db.fetch(
        "SELECT DISTINCT ccu.table_name AS target"
        " FROM information_schema.table_constraints tc"
        " JOIN information_schema.constraint_column_usage ccu"
        "  ON ccu.constraint_name = tc.constraint_name"
        "  AND ccu.constraint_schema = tc.constraint_schema"
        " WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_name = ?"
        " AND tc.table_schema = current_schema()",
        (table,),
    )
    return {str(r["target"]) for r in rows}


async def dependency_order(db: Database) -> list[str]:
    """Tables so that each comes after every table it references."""
    names = await tables(db)
    needs = {t: (await references(db, t)) & set(names) - {t} for t in names}
    ordered: list[str] = []
    while needs:
        ready = sorted(t for t, deps in needs.items() if deps <= set(ordered))
        if not ready:
            raise StorageError(f"circular foreign keys among {sorted(needs)}")
        ordered.extend(ready)
        for t in ready:
            del needs[t]
    return ordered


def _row_hash(values: Sequence[Any]) -> int:
    text = json.dumps(list(values), separators=(",", ":"), ensure_ascii=False, default=str)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


async def checksum(db: Database, table: str, cols: Sequence[str]) -> tuple[int, str]:
    rows = await db.fetch(f"SELECT {', '.join(cols)} FROM {table}")
    total = sum(_row_hash([r[c] for c in cols]) for r in rows) % 2**64
    return len(rows), f"{total:016x}"


async def count_rows(db: Database) -> int:
    total = 0
    for table in await tables(db):
        total += int(await db.fetchval(f"SELECT COUNT(*) FROM {table}"))
    return total


async def version(db: Database) -> int:
    found = getattr(db, "version", None)
    return int(await found()) if found is not None else 0


async def copy_database(
    src: Database,
    dst: Database,
    *,
    force: bool = False,
    progress: Callable[[TableCopy], None] | None = None,
) -> list[TableCopy]:
    """Copy every row of `src` into `dst` (both migrated to the same version). Refuses a
    destination that holds rows unless `force` (then they are deleted first). Raises
    StorageError when anything does not match."""
    have, want = await version(src), await version(dst)
    if have != want:
        raise StorageError(
            f"the source is at schema version {have}, the destination at {want}:"
            " run `harbor migrate` on both first"
        )
    order = await dependency_order(src)
    missing = sorted(set(order) - set(await tables(dst)))
    if missing:
        raise StorageError(f"the destination has no table {', '.join(missing)}")
    if await count_rows(dst):
        if not force:
            raise StorageError(
                "the destination already holds data: refusing to mix two databases"
                " (--force deletes what is there first)"
            )
        for table in reversed(await dependency_order(dst)):
            await dst.execute(f"DELETE FROM {table}")
    copied: list[TableCopy] = []
    for table in order:
        cols = await columns(src, table)
        lacking = sorted(set(cols) - set(await columns(dst, table)))
        if lacking:
            raise StorageError(f"the destination's {table} has no column {', '.join(lacking)}")
        rows = await src.fetch(f"SELECT {', '.join(cols)} FROM {table}")
        values = [tuple(r[c] for c in cols) for r in rows]
        insert = (
            f"INSERT INTO {table} ({', '.join(cols)})"
            f" VALUES ({', '.join('?' for _ in cols)})"
        )
        for start in range(0, len(values), CHUNK):
            chunk = values[start : start + CHUNK]

            async def unit(
                tx: Tx, chunk: list[tuple[Any, ...]] = chunk, insert: str = insert
            ) -> None:
                await tx.executemany(insert, chunk)

            await dst.write(unit)
        if dst.dialect == "postgresql" and "id" in cols:
            await dst.fetch(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            )
        n_src, sum_src = await checksum(src, table, cols)
        n_dst, sum_dst = await checksum(dst, table, cols)
        if (n_src, sum_src) != (n_dst, sum_dst):
            raise StorageError(
                f"{table}: {n_src} rows ({sum_src}) in the source but {n_dst} ({sum_dst})"
                " in the destination"
            )
        result = TableCopy(table, n_dst, sum_dst)
        copied.append(result)
        if progress is not None:
            progress(result)
    return copied
