"""kill -9 mid-sweep and mid-dispatch (the sweep and the senders run at once, as in
`harbor run`): after restarts, nothing planned is lost, nothing is planned twice, and the
only duplicates are sends that were in flight at a kill."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import kill9


def test_kill_9_mid_sweep_and_mid_dispatch_loses_nothing(tmp_path: Path) -> None:
    n = 600
    report = kill9.run(tmp_path, n, batch=20, concurrency=8, kills=("sweep", "dispatch"))
    assert 0 < report.planned_at_sweep_kill[0] < n, "the first kill landed mid-sweep"
    assert report.sent_at_dispatch_kill[0] < n, "the second kill landed mid-dispatch"
    assert report.lost == 0
    assert report.planned_rows == n and report.planned_twice == 0
    assert report.plans_off == 0  # every plan moved on exactly one day
    assert report.unfinished == 0
    assert report.duplicates <= report.in_flight_bound, report
