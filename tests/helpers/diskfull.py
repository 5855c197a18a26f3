"""Disk-full experiments (used by tests/faults and bench/faults.py): concurrent writers save
check-in notes until the disk is full; then space is freed and the database must work on.
Afterwards a fresh connection reads the file: every write that was acknowledged must be
there, word for word.

The disk is a small tmpfs when this process may mount one (root); otherwise SQLite's
`PRAGMA max_page_count` stands in for it: the same SQLITE_FULL, raised a little earlier in
SQLite (when a page is allocated, not when the write-ahead log is written at COMMIT)."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from storage import open_store
from storage.errors import StorageError
from storage.rows import CheckinValues
from storage.sql.store import SQLStore

BALLAST = 128 * 1024  # freed once the disk is full: the room to recover in
NOW = 1_795_000_000


@contextlib.contextmanager
def tmpfs(path: Path, size: int) -> Iterator[bool]:
    """Mount a tmpfs of `size` bytes on `path`; yields False (and mounts nothing) when this
    process may not mount filesystems."""
    path.mkdir(parents=True, exist_ok=True)
    if shutil.which("mount") is None:
        yield False
        return
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


@dataclass
class FullReport:
    disk: str  # "tmpfs 2 MiB" or "max_page_count"
    writers: int
    attempted: int = 0
    acknowledged: int = 0
    refused: int = 0  # writes that raised StorageError
    stored: int = 0
    lost: int = 0  # acknowledged but not stored (or stored differently)
    unacknowledged_stored: int = 0  # refused, yet stored (harmless, but reported)
    recover_seconds: float = 0.0  # from freeing space to the first write stored again
    errors: set[str] = field(default_factory=set)


def note(writer: int, i: int, size: int) -> str:
    head = f"writer {writer} note {i}: "
    return head + "x" * max(0, size - len(head))


async def _writer(
    store: SQLStore,
    member_id: int,
    w: int,
    size: int,
    ceiling: int,
    acked: dict[tuple[int, str], str],
    report: FullReport,
    give_up_after: int,
) -> None:
    failures = 0
    first = date(2020, 1, 1)
    for i in range(ceiling):
        day = (first + timedelta(days=i)).isoformat()
        text = note(w, i, size)
        report.attempted += 1
        try:
            await store.checkins.record(member_id, day, NOW, CheckinValues(note=text))
        except StorageError as exc:
            report.refused += 1
            report.errors.add(str(exc).split(":")[-1].strip()[:60])
            failures += 1
            if failures >= give_up_after:
                return
            continue
        failures = 0
        acked[(member_id, day)] = text


async def fill(
    folder: Path,
    *,
    writers: int = 16,
    size: int = 200,
    ceiling: int = 100_000,
    give_up_after: int = 8,
    mounted: bool,
    page_limit: int = 120,
    label: str = "",
) -> FullReport:
    """Fill the disk under `folder` with `writers` concurrent writers, free the ballast, show
    that writing works again, close, and count acknowledged against stored."""
    report = FullReport(disk=label or ("tmpfs" if mounted else "max_page_count"), writers=writers)
    db = folder / "harbor.db"
    ballast = folder / "ballast"
    if mounted:
        ballast.write_bytes(b"\0" * BALLAST)
    store = await open_store(db)
    ids = [
        (await store.members.touch("test", f"w{w}", f"Writer {w}", NOW, True)).id
        for w in range(writers)
    ]
    if not mounted:
        pages = int(await store.db.fetchval("PRAGMA page_count"))
        await store.db.execute(f"PRAGMA max_page_count = {pages + page_limit}")
    acked: dict[tuple[int, str], str] = {}
    await asyncio.gather(
        *(
            _writer(store, ids[w], w, size, ceiling, acked, report, give_up_after)
            for w in range(writers)
        )
    )
    # Make room again: the writes of the same store must succeed again, at once.
    freed = time.monotonic()
    if mounted:
        ballast.unlink()
    else:
        await store.db.execute("PRAGMA max_page_count = 1073741823")
    recovered = False
    for attempt in range(1000):
        day = (date(2019, 1, 1) - timedelta(days=attempt)).isoformat()
        text = note(-1, attempt, size)
        try:
            await store.checkins.record(ids[0], day, NOW, CheckinValues(note=text))
        except StorageError:
            await asyncio.sleep(0.01)
            continue
        acked[(ids[0], day)] = text
        recovered = True
        break
    report.recover_seconds = time.monotonic() - freed if recovered else float("inf")
    await store.close()

    conn = sqlite3.connect(db)
    try:
        rows = {
            (r[0], r[1]): r[2] for r in conn.execute("SELECT member_id, day, note FROM checkins")
        }
    finally:
        conn.close()
    report.acknowledged = len(acked)
    report.stored = len(rows)
    report.lost = sum(1 for key, text in acked.items() if rows.get(key) != text)
    report.unacknowledged_stored = sum(1 for key in rows if key not in acked)
    return report
