"""Throughput of bot.crisis.detect.detect on ordinary chat and on crisis messages.

Run: .venv/bin/python bench/crisis.py   (prints messages/s and µs/message; exits 0)
"""

from __future__ import annotations

import asyncio
import logging
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build
from bot.crisis.detect import detect, prefilter_passes
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from bot.kernel.types import ChatRef, Incoming, Member
from storage import open_store

OPENERS = [
    "",
    "hey all, ",
    "morning fam! ",
    "quick check-in: ",
    "ok so ",
    "Honestly ",
    "lol ",
    "hola a todos, ",
    "buenos días, ",
    "Update: ",
]
BODIES = [
    "day {n} sober and feeling {feel}",
    "made it to my {when} meeting, {feel} about it",
    "cravings were {level} today but I called my sponsor",
    "does anyone know a good {what} near {place}?",
    "grateful for this group and for {thing}",
    "I relapsed {time} and I'm back at day one",
    "who's going to the {when} meeting at {place}?",
    "just finished step {n}, my sponsor says I'm doing {feel}",
    "my kid asked about my {thing} today",
    "got my {n} day keytag!!",
    "the speaker at {place} was {feel}, really needed that",
    "trying to stay busy: {what}, {what} and more {what}",
    "work was {level} but I didn't drink",
    "llevo {n} días limpio y me siento {feel_es}",
    "hoy fui a la reunión de {place}, fue {feel_es}",
    "tengo ganas de beber pero hablé con mi padrino",
    "can someone share the zoom link for the {when} meeting?",
    "this heat is killing me but I'm staying sober",
    "my feet are killing me after the walk",
    "I'm not giving up, {n} days and counting",
    "thinking of you all today ❤️",
    "I cut back on coffee like you suggested 😅",
    "We're doing a gratitude list at {place} tonight",
    "I’m so proud of myself for going to {n} meetings this week",
]
FILL = {
    "feel": ["good", "okay", "amazing", "nervous", "hopeful", "tired", "great", "so-so"],
    "feel_es": ["bien", "tranquilo", "genial", "cansado", "esperanzado"],
    "when": ["7pm", "noon", "Saturday morning", "Tuesday night", "early", "women's"],
    "level": ["rough", "intense", "manageable", "mild", "awful", "quiet"],
    "what": ["therapist", "gym", "coffee shop", "AA group", "yoga class", "bookshop"],
    "place": ["the clubhouse", "St. Mark's", "downtown", "Leeds", "the library", "Madrid"],
    "thing": ["my sponsor", "another 24 hours", "my family", "recovery", "my sobriety"],
    "time": ["yesterday", "last night", "over the weekend", "on Friday"],
}
CRISIS = [
    "I want to die",
    "I'm going to kill myself tonight",
    "I took too many pills",
    "my friend overdosed and isn't breathing",
    "I've been cutting again",
    "kms",
    "I don't want to be here anymore",
    "quiero morirme",
    "me voy a matar",
    "no reason to live",
    "k1ll mys3lf",
    "he's turning blue",
    "tomé demasiadas pastillas",
]


def ordinary_corpus(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        body = rng.choice(BODIES)
        for key, values in FILL.items():
            while "{" + key + "}" in body:
                body = body.replace("{" + key + "}", rng.choice(values), 1)
        body = body.replace("{n}", str(rng.randint(1, 900)))
        out.append(rng.choice(OPENERS) + body)
    return out


def measure(label: str, msgs: list[str], fn: Callable[[str], object]) -> None:
    for m in msgs[:2000]:  # warm-up
        fn(m)
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        for m in msgs:
            fn(m)
        best = min(best, time.perf_counter() - t0)
    print(f"{label:<34} {len(msgs) / best:>12,.0f} msg/s {best / len(msgs) * 1e6:>8.2f} µs/msg")


def main() -> int:
    ordinary = ordinary_corpus(100_000)
    passed = sum(prefilter_passes(m) for m in ordinary)
    flagged = sum(detect(m).crisis for m in ordinary)
    print(
        f"ordinary corpus: {len(ordinary):,} messages, {passed / len(ordinary):.1%} reach the "
        f"full analysis, {flagged} flagged"
    )
    measure("detect() ordinary", ordinary, detect)
    crisis = CRISIS * (20_000 // len(CRISIS))
    measure("detect() crisis", crisis, detect)
    # Hard negatives (idioms, negation, news) from the labelled set: all take the slow path.
    tsv = Path(__file__).resolve().parents[1] / "tests" / "data" / "crisis_labelled.tsv"
    hard = [
        line.split("\t", 2)[2]
        for line in tsv.read_text("utf-8").splitlines()[1:]
        if line.startswith("0\t")
    ]
    measure("detect() labelled non-crisis", hard * (20_000 // len(hard)), detect)
    adversarial()
    asyncio.run(reply_latency())
    return 0


def adversarial() -> None:
    """The 100 KB hostile inputs of the test suite, timed here (the tests count work)."""
    from tests.test_crisis_detect import ADVERSARIAL_100K

    worst = 0.0
    for text in ADVERSARIAL_100K:
        detect(text[:1000])
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            detect(text)
            best = min(best, time.perf_counter() - t0)
        worst = max(worst, best)
    verdict = "PASS" if worst < 0.05 else "MISS"
    print(f"100 KB adversarial input, worst of {len(ADVERSARIAL_100K)}: {worst * 1e3:.1f} ms"
          f"  [target < 50 ms: {verdict}]")


async def reply_latency(n: int = 500) -> None:
    """From a crisis message arriving at the core to the private reply reaching the adapter:
    the whole Harbor core on a real SQLite file, each sender a new member."""
    from tests.helpers.scripted import ScriptedAdapter

    logging.disable(logging.WARNING)  # one "crisis detected" line per message otherwise
    with tempfile.TemporaryDirectory() as tmp:
        store = await open_store(Path(tmp) / "bench.db")
        settings = Settings.model_validate({"community": {"country": "US"}})
        harbor = build(store, ManualClock(datetime(2026, 11, 25, 12, tzinfo=UTC)), settings)
        adapter = ScriptedAdapter(platform="bench")
        harbor.attach(adapter)
        group = ChatRef("bench", "g1", private=False, title="Group")
        latencies = []
        for i in range(n):
            member = Member("bench", f"u{i}", f"User {i}")
            event = Incoming(member=member, chat=group, text=CRISIS[i % len(CRISIS)])
            t0 = time.perf_counter()
            await harbor.core.handle(event)
            latencies.append(time.perf_counter() - t0)
            reply = adapter.sent[-1]
            assert reply.private and "988" in reply.text
        await store.close()
    latencies.sort()
    p50, p99 = latencies[n // 2] * 1e3, latencies[int(n * 0.99)] * 1e3
    verdict = "PASS" if p99 < 50 else "MISS"
    print(
        f"crisis reply latency (core + SQLite, {n} messages): p50 {p50:.2f} ms, "
        f"p99 {p99:.2f} ms, max {latencies[-1] * 1e3:.2f} ms  [target < 50 ms: {verdict}]"
    )

if __name__ == "__main__":
    raise SystemExit(main())
