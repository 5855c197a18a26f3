"""bench/meetings.py still runs (its tiny --quick mode, in a subprocess) and prints every
figure. No speed is asserted here: the targets live in the benchmark."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_meetings_bench_quick_prints_its_figures() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "meetings.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=240,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    for line in (
        "Meeting Guide import:",
        "BMLT re-sync plan:",
        "meetings now: 100 queries",
        "Meeting Guide via the store: /meeting source add",
        "BMLT via the store: scheduled re-sync",
        "re-sync answered 304 Not Modified",
        "/meetings now through the core",
    ):
        assert line in proc.stdout, f"missing {line!r} in:\n{proc.stdout}"
    assert "min " in proc.stdout and "median " in proc.stdout and "max " in proc.stdout
