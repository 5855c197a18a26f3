"""The benchmarks still run: each in its tiny `--quick` mode, in a subprocess. No speed is
asserted here; the targets live in the benchmarks themselves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_bench(name: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / name), "--quick"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        (
            "core_throughput.py",
            ["phase A:", "events/s", "phase B:", "p99"],
        ),
        (
            "fanout.py",
            [
                "planning: simulated day",
                "all sources, bursty",
                "bytes written per planned prompt",
                "planning: one sweep of",
                "dispatch: null adapter",
                "dispatch: Telegram cap 25/s",
                "memory: RSS",
                "process RSS (MB)",
            ],
        ),
        (
            "telegram_path.py",
            ["pacing off", "messages/s", "presses/s", "target >= 60 msg/s"],
        ),
        (
            "data_shape.py",
            ["empty sweep, check-ins", "empty sweep, milestones", "/mydata", "/forget yes",
             "erased 3 of 3"],
        ),
        (
            "dispatch_tail.py",
            ["continuous pool (harbor run)", "chunk-and-gather", "reminder during a drain",
             "1 of 1 reminders sent"],
        ),
        (
            "crisis.py",
            ["combined, ordinary mix", "100 KB adversarial input", "held-out set:",
             "en indirect", "told as third party (combined)"],
        ),
        (
            "faults.py",
            ["kill -9:", "lost 0", "failed COMMIT:", "disk full", "hung requests"],
        ),
    ],
)
def test_bench_quick_prints_its_figures(name: str, lines: list[str]) -> None:
    out = run_bench(name)
    for line in lines:
        assert line in out, f"{name}: missing {line!r} in:\n{out}"
    assert "PASS" in out or "MISS" in out
