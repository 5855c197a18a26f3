"""bench/announcements.py still runs (tiny mode, in a subprocess). No speed is asserted here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_announcements_bench_runs_and_posts_each_occurrence_once() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "announcements.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "600 posts planned (exactly once)" in proc.stdout
    assert "repeat: the same day swept again: 0 more posts" in proc.stdout
    assert "idle: one sweep" in proc.stdout
