"""A full disk with 16 writers at once: every write that was acknowledged is on disk, word
for word; every other writer was told its write failed; once space is freed, writing works
again without a restart."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import diskfull


async def test_a_full_disk_loses_no_acknowledged_write(tmp_path: Path) -> None:
    folder = tmp_path / "disk"
    # A real 2 MiB tmpfs when this process may mount one (root); otherwise SQLite's
    # PRAGMA max_page_count stands in for the full disk (the same SQLITE_FULL, raised when a
    # page is allocated rather than when the write-ahead log is written at COMMIT).
    with diskfull.tmpfs(folder, 2 * 1024 * 1024) as mounted:
        report = await diskfull.fill(folder, writers=16, mounted=mounted)
    assert report.refused > 0, "the disk never filled up"
    assert report.acknowledged > 100
    assert report.lost == 0, report
    assert report.stored == report.acknowledged + report.unacknowledged_stored
    assert report.recover_seconds != float("inf"), "writing never worked again"
