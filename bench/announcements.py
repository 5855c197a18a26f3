"""Moderators' scheduled posts at scale: --communities communities with --posts daily posts
each, through the announcements sweep for a simulated day.

A real SQLite file is filled directly (fast): communities spread over 24 zones (with and
without DST, half-hour offsets included), an announcement channel each, and daily posts at
common local times (07:00 … 21:00, so many communities post in the same minute, as they
would). Each post's next occurrence is computed as /announce add computes it.

Figures:
  day      CPU (process time: the event loop and aiosqlite's thread) of a simulated day of
           sweeps every --sweep-seconds, the posts planned (each occurrence exactly once:
           the outbox's distinct keys must equal communities x posts), and the busiest sweep
  repeat   the same day swept again from its start (a restart that forgot nothing): must
           plan nothing
  idle     one sweep with nothing due (median of 9)

Run: .venv/bin/python bench/announcements.py [--communities 10000] [--posts 3]
     [--sweep-seconds 20] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.announcements.schedule import Frequency, Schedule, next_occurrence
from bot.announcements.source import AnnouncementSource
from storage import open_store

NOW = datetime(2026, 11, 25, 0, 0, tzinfo=UTC)
ZONES = (
    "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York",
    "America/Sao_Paulo", "America/St_Johns", "Atlantic/Azores", "Europe/London",
    "Europe/Dublin", "Europe/Berlin", "Europe/Madrid", "Europe/Kyiv", "Africa/Lagos",
    "Africa/Johannesburg", "Asia/Dubai", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Bangkok",
    "Asia/Singapore", "Asia/Tokyo", "Australia/Adelaide", "Australia/Sydney",
    "Pacific/Auckland", "UTC",
)  # fmt: skip
TIMES = ("07:00", "07:30", "08:00", "09:00", "12:00", "12:30", "18:00", "19:00", "19:30",
         "20:00", "21:00")  # fmt: skip
BATCH = 2000  # the scheduler's default batch_size
T_DAY_CPU = 10.0  # seconds of CPU for a day of 30,000 posts: the bar bench/fanout.py uses


def fill(path: Path, communities: int, posts: int, seed: int = 19) -> int:
    rnd = random.Random(seed)
    ts = int(NOW.timestamp())
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys = OFF")
    con.executemany(
        "INSERT INTO communities (id, platform, chat_id, title, tz, created_at,"
        " announce_chat_id) VALUES (?, 'bench', ?, ?, ?, ?, ?)",
        [
            (c, f"g{c}", f"Group {c}", ZONES[c % len(ZONES)], ts, f"g{c}")
            for c in range(1, communities + 1)
        ],
    )
    con.executemany(
        "INSERT INTO members (id, platform, user_id, display_name, created_at)"
        " VALUES (?, 'bench', ?, ?, ?)",
        [(c, f"mod{c}", f"Mod {c}", ts) for c in range(1, communities + 1)],
    )
    rows = []
    for c in range(1, communities + 1):
        zone = ZONES[c % len(ZONES)]
        for at_text in rnd.sample(TIMES, posts):
            hours, minutes = map(int, at_text.split(":"))
            schedule = Schedule(Frequency.DAILY, datetime(2000, 1, 1, hours, minutes).time())
            first = next_occurrence(schedule, NOW, zone)
            rows.append(
                (
                    c,
                    c,
                    schedule.canonical(),
                    f"Group {c}: today's topic is {at_text}",
                    zone,
                    int(first.at_utc.timestamp()),
                    first.local_date.isoformat(),
                    ts,
                    ts,
                )
            )
    con.executemany(
        "INSERT INTO announcements (community_id, author_id, kind, schedule, body, tz,"
        " next_at, next_day, created_at, updated_at) VALUES (?, ?, 'text', ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    con.commit()
    con.close()
    return len(rows)


async def sweep(source: AnnouncementSource, now: datetime) -> int:
    total = 0
    while True:
        n = await source.sweep(now, BATCH)
        total += n
        if n < BATCH:
            return total


async def day_of_sweeps(
    source: AnnouncementSource, start: datetime, steps: int, every: int
) -> tuple[float, int, float, int]:
    """(CPU seconds, rows handled, the busiest sweep's wall seconds, its rows)."""
    busiest, busiest_rows, handled = 0.0, 0, 0
    cpu0 = time.process_time()
    for step in range(1, steps + 1):
        t0 = time.perf_counter()
        n = await sweep(source, start + timedelta(seconds=step * every))
        spent = time.perf_counter() - t0
        handled += n
        if spent > busiest:
            busiest, busiest_rows = spent, n
    return time.process_time() - cpu0, handled, busiest, busiest_rows


async def main(communities: int, posts: int, every: int, hours: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "announcements.db"
        store = await open_store(path)
        await store.close()
        t0 = time.perf_counter()
        total_posts = fill(path, communities, posts)
        print(
            f"setup: {communities:,} communities x {posts} daily posts = {total_posts:,} posts"
            f" in {len(ZONES)} zones, filled in {time.perf_counter() - t0:.1f} s"
        )
        store = await open_store(path)
        source = AnnouncementSource(store, "UTC")
        steps = int(hours * 3600 // every)
        cpu, _, busiest, busiest_rows = await day_of_sweeps(source, NOW, steps, every)
        planned = await store.db.fetchval("SELECT COUNT(*) FROM outbox")
        keys = await store.db.fetchval("SELECT COUNT(DISTINCT dedupe_key) FROM outbox")
        expected = total_posts if hours >= 24 else None
        once = "exactly once" if keys == planned and (expected in (None, planned)) else "WRONG"
        verdict = "PASS" if cpu <= T_DAY_CPU * total_posts / 30_000 else "MISS"
        print(
            f"day: {steps:,} sweeps over {hours:g} h every {every} s: {cpu:.2f} s CPU"
            f" ({cpu / max(planned, 1) * 1e6:.0f} us per post; target <= {T_DAY_CPU:g} s per"
            f" 30,000 posts) {verdict}; {planned:,} posts planned ({once});"
            f" busiest sweep {busiest * 1000:.0f} ms for {busiest_rows:,} posts"
        )
        # A second process (or a restart) sweeping the same day again plans nothing more.
        source2 = AnnouncementSource(store, "UTC")
        cpu2, _, _, _ = await day_of_sweeps(source2, NOW, steps, every)
        again = await store.db.fetchval("SELECT COUNT(*) FROM outbox") - planned
        print(f"repeat: the same day swept again: {again} more posts, {cpu2:.2f} s CPU")
        idle = []
        later = NOW + timedelta(hours=hours, seconds=1)
        for _ in range(9):
            t1 = time.perf_counter()
            await sweep(source, later)
            idle.append((time.perf_counter() - t1) * 1000)
        print(f"idle: one sweep with nothing due {statistics.median(idle):.2f} ms")
        await store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=3)
    parser.add_argument("--sweep-seconds", type=int, default=20)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--quick", action="store_true", help="a tiny run: it still works")
    args = parser.parse_args()
    if args.quick:
        args.communities, args.hours = 200, 24.0
        args.sweep_seconds = 300
    asyncio.run(main(args.communities, args.posts, args.sweep_seconds, args.hours))
