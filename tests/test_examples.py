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
                      "Days in recovery in all", "stays 2026-10-01"],
    "checkins.txt": ["Time for your daily check-in", "note is saved", "Your last 7 days"],
    "counter_journey.txt": [
        "I took EST as New York time", "Should it start on 2026-11-02 instead?",
        'Corrected: "alcohol" now counts from 2026-11-02.', "alcohol\n• now: 23 days",
        "nicotine\n• now: 634 days", "Days in recovery in all: 634.",
        "In which group should your milestones be celebrated?",
        "── to group NA Tuesday ─", "🎉 Alex celebrates 30 days today.",
        "🎉 A little late: you reached your 60-day milestone on 2027-01-01",
    ],
    "checkin_journey.txt": [
        "I'm glad you wrote", "/meetings: find a meeting", "Time zone set to Europe/Madrid",
        "Country set to Spain", "Daily check-ins are on: I'll message you at 09:00",
        "/slip logs it and keeps your date, or /reset starts a new count",
        "Your daily check-in is now at 19:00", "Your last 7 days (1 check-in):",
    ],
    "meetings.txt": [
        "⏰ Tuesday Night starts in 1 hour: Tue 1 Dec 19:00 (America/New_York).",
        "starts in 30 minutes, at Wed 2 Dec 00:00 your time (Europe/London)",
        "Logged: Tuesday Night on 2026-12-01.", "(1 meeting) for Sam", "[file: attendance.csv",
        "[file: meetings.ics", "── to Alex (private) ─", "Meetings of recovery (1):",
        "private reminders: 1",
    ],
    "recovery_tools.txt": [
        "Saved so far: £", "• Being there for my daughter", "One thing to try now:",
        "How's the craving now", "3 out of 10. It eased", "Urges weathered: 1",
        "Scheduled #1: weekly mon 09:00 (Europe/London)", "That's £750.00 you've kept",
        "────\nNew week, one day at a time. Meetings: /meetings",
    ],
    "buddy_journey.txt": [
        "You and Sam are now buddies.", "Alex checked in and is having a hard day.",
        "I've taken back your invitation to Kim.", "• Sam: buddies",
        "Your buddy pairing with Sam has ended.", "Alex has ended your buddy pairing.",
    ],
}
UNEXPECTED = {
    # Celebrations are chosen per group: Work Friends hears nothing.
    "counter_journey.txt": ["── to group Work Friends ──────────────────────────────────\n🎉",
                            "Today is your 24", "1 days", "Total clean days"],
    "checkin_journey.txt": ["Good to see you", "couldn't find the time zone", "1 check-ins"],
    "buddy_journey.txt": ["Kim: invited", "9/10"],
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
    for unexpected in UNEXPECTED.get(name, []):
        assert unexpected not in output, f"{name}: should not say {unexpected!r}"
    assert "Sorry, something went wrong" not in output
