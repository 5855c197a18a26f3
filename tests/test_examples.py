"""The console scripts in examples/ keep working: piped in, they run and exit 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

EXPECTED = {
    "first_steps.txt": ["Welcome, Alex", "America/Chicago", "Settings for Sunrise Group",
                        "harbor-mydata-", "Nothing was erased"],
    "milestone.txt": ["alcohol: 55 days", "🎉 Congratulations! 60 days", "Alex celebrates 60 days",
                      "Clean days in all", "stays 2026-10-01"],
    "checkins.txt": ["Time for your daily check-in", "note is saved", "Your last 7 days"],
}


def run_script(name: str, tmp_path: Path) -> str:
    script = (ROOT / "examples" / name).read_text(encoding="utf-8")
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--db", str(tmp_path / "demo.db"),
         "--clock", "2026-11-25T12:00+00:00"],
        cwd=ROOT, input=script, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    return out.stdout


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "examples").glob("*.txt")))
def test_example_runs(name: str, tmp_path: Path) -> None:
    output = run_script(name, tmp_path)
    for expected in EXPECTED.get(name, []):
        assert expected in output, f"{name}: missing {expected!r}"
    assert "Sorry, something went wrong" not in output
