"""Meeting feeds at intergroup scale: parse + sync plan of a 10,000-meeting Meeting Guide feed
and a 10,000-meeting BMLT answer, and '/meetings now' over 10,000 online meetings.

Run: .venv/bin/python bench/meetings.py [--meetings 10000] [--runs 5] [--queries 1000] [--quick]
(prints the figures with their targets and PASS/MISS; exits 0 either way)
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.meetings.bmlt import parse_bmlt
from bot.meetings.feed_import import FEED_MAX_BYTES
from bot.meetings.feed_meeting import FeedMeeting, FeedParse, parse_guide_feed
from bot.meetings.now import build_now_index, meetings_now
from bot.meetings.sync import Stored, plan_sync

DEFAULT_TZ = "America/New_York"
SYNC_TARGET_S = 2.0
MEMORY_TARGET_MB = 100.0
NOW_TARGET_MS = 50.0

ZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Toronto",
    "America/Vancouver", "America/Halifax", "America/St_Johns", "America/Mexico_City",
    "America/Bogota", "America/Lima", "America/Santiago", "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires", "America/Caracas", "Europe/London", "Europe/Dublin",
    "Europe/Lisbon", "Europe/Madrid", "Europe/Paris", "Europe/Brussels", "Europe/Amsterdam",
    "Europe/Berlin", "Europe/Rome", "Europe/Vienna", "Europe/Warsaw", "Europe/Stockholm",
    "Europe/Helsinki", "Europe/Athens", "Europe/Kyiv", "Europe/Istanbul", "Europe/Moscow",
    "Africa/Johannesburg", "Africa/Lagos", "Africa/Nairobi", "Asia/Jerusalem", "Asia/Dubai",
    "Asia/Tehran", "Asia/Karachi", "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka",
    "Asia/Bangkok", "Asia/Singapore", "Asia/Manila", "Asia/Shanghai", "Asia/Tokyo",
    "Asia/Seoul", "Australia/Perth", "Australia/Adelaide", "Australia/Brisbane",
    "Australia/Sydney", "Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Chatham", "UTC",
]  # fmt: skip
TYPES = ["O", "C", "D", "SP", "ST", "B", "BE", "W", "M", "Y", "LGBTQ", "MED", "X", "CF"]
LANGS = [[], [], [], [], ["EN"], ["S"], ["S"], ["FR"], ["DE"], ["POR"], ["ITA"], ["RUS"]]
DAYS: list[Any] = [0, 1, 2, 3, 4, 5, 6, [1, 2, 3, 4, 5], [0, 6], [0, 1, 2, 3, 4, 5, 6]]


# --- payloads -------------------------------------------------------------------------------


def guide_rows(n: int, rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for i in range(n):
        hh, mm = rng.randrange(24), rng.choice((0, 15, 30, 45))
        row: dict[str, Any] = {
            "id": 100_000 + i,
            "name": f"{rng.choice(['Serenity', 'Hope', 'Sunrise', 'Big Book', 'Step'])} Group {i}",
            "slug": f"group-{i}",
            "notes": "Please arrive a few minutes early. Newcomers welcome." * rng.randrange(2),
            "updated": "2026-11-20 09:12:44",
            "day": rng.choice(DAYS),
            "time": f"{hh:02}:{mm:02}",
            "end_time": f"{(hh + 1) % 24:02}:{mm:02}",
            "types": rng.sample(TYPES, 3) + rng.choice(LANGS),
            "feedback_url": f"https://intergroup.example.org/feedback/?meeting=group-{i}",
            "region": f"District {i % 40}",
        }
        if rng.random() < 0.8:
            row["timezone"] = rng.choice(ZONES)
        if i % 2:
            row |= {
                "location": f"Community Hall {i}",
                "formatted_address": f"{i} Harbor St, Easton, MD 21601, USA",
                "latitude": 38.77,
                "longitude": -76.07,
                "attendance_option": "in_person",
            }
        else:
            row |= {
                "conference_url": f"https://zoom.example/j/{8_100_000_000 + i}",
                "conference_url_notes": f"Meeting ID {8_100_000_000 + i}",
                "attendance_option": "online",
            }
        rows.append(row)
    return rows


def bmlt_rows(n: int, rng: random.Random) -> list[dict[str, str]]:
    # The fields a real answer carries that the parser does not read (contacts come empty).
    fields = [
        "worldid_mixed", "shared_group_id_bigint", "service_body_bigint", "service_body_name",
        "lang_enum", "longitude", "latitude", "distance_in_km", "distance_in_miles",
        "email_contact", "root_server_uri", "location_info", "location_city_subsection",
        "location_neighborhood", "location_sub_province", "train_lines", "bus_lines",
        "contact_phone_1", "contact_email_1", "contact_name_1", "contact_phone_2",
        "contact_email_2", "contact_name_2",
    ]  # fmt: skip
    rows = []
    for i in range(n):
        row = dict.fromkeys(fields, "")
        venue = rng.choice("1123")
        row |= {
            "id_bigint": str(5000 + i),
            "meeting_name": f"Clean Group {i}",
            "weekday_tinyint": str(rng.randrange(1, 8)),
            "venue_type": venue,
            "start_time": f"{rng.randrange(24):02}:{rng.choice((0, 30)):02}:00",
            "duration_time": rng.choice(("01:00:00", "01:30:00")),
            "time_zone": rng.choice(["", "", *ZONES]),
            "format_shared_id_list": ",".join(rng.sample(["4", "8", "17", "27", "33", "9"], 3)),
            "formats": "",
            "published": "1",
            "lang_enum": "en",
            "root_server_uri": "https://bmlt.example.org/main_server",
            "comments": "Enter by the side door." if i % 3 else "",
            "location_text": f"Church Hall {i}",
            "location_street": f"{i} Main St",
            "location_municipality": "Easton",
            "location_province": "MD",
            "location_postal_code_1": "21601",
            "location_nation": "US",
            "virtual_meeting_link": f"https://zoom.example/j/{8_200_000_000 + i}"
            if venue != "1"
            else "",
            "phone_meeting_number": "",
            "virtual_meeting_additional_info": "",
        }
        rows.append(row)
    return rows


BMLT_FORMATS = [
    {"id": fid, "key_string": key, "name_string": name, "world_id": world,
     "format_type_enum": kind, "lang": "en"}
    for fid, key, name, world, kind in [
        ("4", "C", "Closed", "CLOSED", "O"), ("8", "D", "Discussion", "DISC", "FC1"),
        ("9", "ES", "Español", "LANG", "LANG"), ("17", "O", "Open", "OPEN", "O"),
        ("27", "St", "Step", "STEP", "FC1"), ("33", "WC", "Wheelchair", "WCHR", "FC2"),
    ]
]  # fmt: skip


def churn(rows: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    """The next day's feed: 2 % renamed, 2 % moved, 1 % gone, 1 % new."""
    out = [dict(r) for r in rows]
    n = len(out)
    for row in rng.sample(out, n // 50):
        row["name" if "name" in row else "meeting_name"] += " (renamed)"
    for row in rng.sample(out, n // 50):
        if "time" in row:
            row["time"] = "06:15"
        else:
            row["start_time"] = "06:15:00"
    gone = set(map(id, rng.sample(out, n // 100)))
    out = [r for r in out if id(r) not in gone]
    for i in range(n // 100):
        new = dict(out[i])
        if "slug" in new:
            new["slug"] = f"new-group-{i}"
        else:
            new["id_bigint"] = str(900_000 + i)
        out.append(new)
    return out


# --- measuring ------------------------------------------------------------------------------


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm-up: caches (zone names, type table), imports
    times = []
    for _ in range(runs):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def peak_mb(fn: Callable[[], object]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def report_sync(label: str, n: int, size: int, times: list[float], peak: float) -> None:
    lo, mid, hi = min(times), statistics.median(times), max(times)
    print(
        f"{label}: {n:,} meetings, {size / 1e6:.1f} MB; parse+plan min {lo:.3f} s, "
        f"median {mid:.3f} s, max {hi:.3f} s  [target <= {SYNC_TARGET_S:.0f} s: "
        f"{verdict(hi <= SYNC_TARGET_S)}]"
    )
    print(
        f"{label}: peak traced memory {peak:.1f} MB ({peak * 1e3 / n:.1f} KB/meeting)  "
        f"[target <= {MEMORY_TARGET_MB:.0f} MB: {verdict(peak <= MEMORY_TARGET_MB)}]"
    )


def bench_sync(
    label: str,
    parse: Callable[[bytes], FeedParse],
    previous: bytes,
    fresh: bytes,
    n: int,
    runs: int,
) -> None:
    source = f"bench:{label}"
    stored = [Stored(i, source, m.source_key, m) for i, m in enumerate(parse(previous).meetings)]

    def first_import() -> None:
        plan_sync(source, [], parse(fresh).meetings)

    def resync() -> None:
        plan = plan_sync(source, stored, parse(fresh).meetings)
        assert not plan.held and plan.creates and plan.updates and plan.removes

    report_sync(f"{label} import", n, len(fresh), timed(first_import, runs), peak_mb(first_import))
    report_sync(f"{label} re-sync", n, len(fresh), timed(resync, runs), peak_mb(resync))
    plan = plan_sync(source, stored, parse(fresh).meetings)
    print(
        f"{label} re-sync plan: {len(plan.creates)} creates, {len(plan.updates)} updates, "
        f"{len(plan.removes)} removes, {plan.unchanged:,} unchanged"
    )


def online_meetings(n: int, rng: random.Random) -> list[FeedMeeting]:
    rows = guide_rows(2 * n, rng)
    parsed = parse_guide_feed(json.dumps(rows), DEFAULT_TZ, max_bytes=sys.maxsize)
    return [m for m in parsed.meetings if m.venue != "in_person"][:n]


def bench_now(n: int, queries: int, rng: random.Random) -> None:
    meetings = online_meetings(n, rng)
    t0 = time.perf_counter()
    index = build_now_index(meetings, untagged_language="en")
    build = time.perf_counter() - t0
    print(
        f"meetings now: {len(meetings):,} online meetings, {index.size:,} weekly slots in "
        f"{len(index.zones)} zones; index built in {build * 1e3:.0f} ms (once per feed load)"
    )
    start = datetime(2026, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(queries)]
    languages = [rng.choice([None, None, "en", "es", "fr"]) for _ in range(queries)]
    for now, lang in zip(moments[:50], languages, strict=False):  # warm-up
        meetings_now(index, now, lang)
    times = []
    hits = 0
    for now, lang in zip(moments, languages, strict=True):
        t0 = time.perf_counter()
        found = meetings_now(index, now, lang)
        times.append(time.perf_counter() - t0)
        hits += len(found)
    times.sort()
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(
        f"meetings now: {queries:,} queries at random times (mixed language filters), "
        f"{hits / queries:.0f} hits on average; min {times[0] * 1e3:.2f} ms, median "
        f"{statistics.median(times) * 1e3:.2f} ms, p99 {p99 * 1e3:.2f} ms, max "
        f"{times[-1] * 1e3:.2f} ms  [target p99 <= {NOW_TARGET_MS:.0f} ms: "
        f"{verdict(p99 <= NOW_TARGET_MS)}]"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--meetings", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--queries", type=int, default=1_000)
    ap.add_argument("--quick", action="store_true", help="1,000 meetings, 2 runs, 100 queries")
    args = ap.parse_args()
    if args.quick:
        args.meetings, args.runs, args.queries = 1_000, 2, 100
    n = args.meetings
    rng = random.Random(18)

    rows = guide_rows(n, rng)
    previous = json.dumps(rows).encode()
    fresh = json.dumps(churn(rows, rng)).encode()
    fits = "fits" if len(fresh) <= FEED_MAX_BYTES else "EXCEEDS"
    print(
        f"Meeting Guide feed: {len(fresh):,} bytes for {n:,} meetings ({fits} the importer's "
        f"{FEED_MAX_BYTES:,}-byte cap)"
    )

    def guide(data: bytes) -> FeedParse:
        return parse_guide_feed(data, DEFAULT_TZ, max_bytes=sys.maxsize)

    bench_sync("Meeting Guide", guide, previous, fresh, n, args.runs)

    brows = bmlt_rows(n, rng)
    bprevious = json.dumps(brows).encode()
    bfresh = json.dumps(churn(brows, rng)).encode()
    formats = json.dumps(BMLT_FORMATS).encode()

    def bmlt(data: bytes) -> FeedParse:
        return parse_bmlt(data, DEFAULT_TZ, formats=formats, max_bytes=sys.maxsize)

    bench_sync("BMLT", bmlt, bprevious, bfresh, n, args.runs)
    bench_now(n, args.queries, rng)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
