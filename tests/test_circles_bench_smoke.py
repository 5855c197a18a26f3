"""bench/circles.py still runs (tiny mode, in a subprocess). No speed is asserted here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_circles_bench_runs() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "circles.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    for line in ("setup:", "backlog: first sweep", "idle: one sweep", "day:"):
        assert line in proc.stdout
