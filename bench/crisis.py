"""Crisis detection speed: the rules alone (bot.crisis.rules.detect) side by side with the
combined detector (bot.crisis.detect.detect: rules + classifier).

Run: .venv/bin/python bench/crisis.py [--runs 5] [--quick]   (exits 0; PASS/MISS per target)

Workload: a realistic mix of everyday recovery chat (short messages, check-ins, questions,
Spanish lines, ~10 % long posts of about 450 characters, ~5 % with trigger-ish words:
idioms, medication as prescribed, news, past tense). Figures: messages/s (min / median /
max over the runs), per-message latency p50 / p99 / max, share of the mix flagged, the
worst of the 100 KB adversarial inputs of the test suite, and the crisis reply latency
through the whole core.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import build
from bot.crisis.detect import detect, prefilter_passes
from bot.crisis.rules import Detection
from bot.crisis.rules import detect as rules_detect
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


# Everyday messages with words that look like trouble and are not (~5 % of the mix).
TRIGGERISH = [
    "this heat is killing me, anyone else melting?",
    "I'm dying to see the new Marvel movie this weekend",
    "took my meds as prescribed and went for a walk",
    "overdose awareness day vigil is on the 31st at {place}",
    "Narcan training at {place} on {when}, free kits",
    "two years ago I wanted to die, today I have {n} days",
    "I cut back on sugar and feel way better",
    "my feet are killing me after that hike lol",
    "that speaker absolutely killed it tonight",
    "my doctor switched my pills, side effects are mild so far",
    "we lost a member to an overdose last year, his memorial is {when}",
    "I used to cut, I'm {n} days free of that too",
    "me muero de ganas de ver a mis hijos",
    "the suicide prevention walk raised so much money",
    "I'm not suicidal, just tired and cranky today",
    "tengo que tomar mis pastillas a las 8",
]
LONG_SENTENCES = [
    "Today marks {n} days since I walked into my first meeting.",
    "I was nervous and honestly didn't think I belonged there.",
    "Someone handed me a coffee and told me to keep coming back.",
    "Work has been busy but I leave on time now and go for a run.",
    "My sponsor and I are working through step {n} slowly.",
    "The cravings still show up around 6pm, so I call someone before dinner.",
    "My kid asked about my keytags and I told her what each one means.",
    "I started cooking again, nothing fancy, mostly soups and pasta.",
    "Thanks to everyone at {place} for the rides this month.",
    "If you're new, the {when} meeting is small and kind.",
    "I sleep better than I have in years and I notice the mornings now.",
    "Grateful for this group and for {thing}.",
    "We painted the spare room last weekend and it finally feels like home.",
    "My therapist suggested journaling and it is helping more than I expected.",
    "The new coffee place near {place} does a great oat latte.",
    "I went to a wedding on Saturday and drank sparkling water all night.",
    "Tomorrow I have a job interview, so wish me luck everyone.",
    "My dog has learned to wait by the door when I get my keys for the meeting.",
    "Money is still tight but I paid off one of the old debts this week.",
    "I called my mom for the first time in a year and we talked for an hour.",
    "The {when} speaker talked about patience and it really landed for me.",
    "I'm reading a book about habits and trying one small change at a time.",
    "Some days are boring now, and honestly boring is a gift.",
    "I keep a gratitude list on my phone and add one thing every night.",
]


def _fill(body: str, rng: random.Random) -> str:
    for key, values in FILL.items():
        while "{" + key + "}" in body:
            body = body.replace("{" + key + "}", rng.choice(values), 1)
    return body.replace("{n}", str(rng.randint(1, 900)))


def long_post(rng: random.Random, target: int = 450) -> str:
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < target - 40:
        parts.append(_fill(rng.choice(LONG_SENTENCES), rng))
    return " ".join(parts)


def ordinary_corpus(n: int, seed: int = 7, long_share: float = 0.10,
                    trigger_share: float = 0.05) -> list[str]:
    """Everyday recovery chat: short lines, ~10 % long posts, ~5 % trigger-ish words."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        roll = rng.random()
        if roll < long_share:
            out.append(long_post(rng))
        elif roll < long_share + trigger_share:
            out.append(_fill(rng.choice(TRIGGERISH), rng))
        else:
            out.append(rng.choice(OPENERS) + _fill(rng.choice(BODIES), rng))
    return out


def throughput(msgs: list[str], fn: Callable[[str], object], runs: int
               ) -> tuple[list[float], list[float]]:
    """Messages per wall-clock second and per CPU second (the latter is steadier when
    other processes share the cores), one figure per run."""
    for m in msgs[:2000]:  # warm-up (caches, the model's load)
        fn(m)
    wall, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        for m in msgs:
            fn(m)
        wall.append(len(msgs) / (time.perf_counter() - t0))
        cpu.append(len(msgs) / max(time.process_time() - c0, 1e-9))
    return wall, cpu


def latencies(msgs: list[str], fn: Callable[[str], object]) -> list[float]:
    clock = time.perf_counter_ns
    out = []
    for m in msgs:
        t0 = clock()
        fn(m)
        out.append((clock() - t0) / 1e3)
    out.sort()
    return out


def report(label: str, msgs: list[str], fn: Callable[[str], object], runs: int,
           target: float | None = None) -> None:
    rates, cpu = throughput(msgs, fn, runs)
    lat = latencies(msgs, fn)
    p50, p99 = lat[len(lat) // 2], lat[int(len(lat) * 0.99)]
    verdict = ""
    if target is not None:
        ok = statistics.median(rates) >= target and p99 <= 2000
        verdict = (f"  [target >= {target:,.0f} msg/s (median), p99 <= 2 ms: "
                   f"{'PASS' if ok else 'MISS'}]")
    print(f"{label:<30} msg/s min {min(rates):>8,.0f}  median {statistics.median(rates):>8,.0f}"
          f"  max {max(rates):>8,.0f}  (per CPU-s median {statistics.median(cpu):>8,.0f})"
          f"   µs p50 {p50:6.1f}  p99 {p99:7.1f}  max {lat[-1]:8.1f}" + verdict)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="tiny run: does it still work?")
    args = parser.parse_args(argv)
    runs, n = (3, 3000) if args.quick else (max(3, args.runs), args.messages)

    ordinary = ordinary_corpus(n)
    mean_len = sum(map(len, ordinary)) / len(ordinary)
    passed = sum(prefilter_passes(m) for m in ordinary)
    by_rules = sum(rules_detect(m).crisis for m in ordinary)
    combined = [detect(m) for m in ordinary]
    flagged = sum(d.crisis for d in combined)
    by_model = sum(d.stage == "model" for d in combined)
    print(f"ordinary mix: {len(ordinary):,} messages, mean {mean_len:.0f} chars, "
          f"{sum(len(m) >= 400 for m in ordinary) / len(ordinary):.0%} long posts; "
          f"{passed / len(ordinary):.1%} pass the rules' pre-filter")
    print(f"flagged on the mix: rules {by_rules / len(ordinary):.2%}, combined "
          f"{flagged / len(ordinary):.2%} (model alone {by_model / len(ordinary):.2%})")
    print(f"runs: {runs}")
    report("rules alone, ordinary mix", ordinary, rules_detect, runs)
    report("combined, ordinary mix", ordinary, detect, runs, target=20_000)
    long_posts = [m for m in ordinary if len(m) >= 400]
    report("rules alone, long posts only", long_posts, rules_detect, runs)
    report("combined, long posts only", long_posts, detect, runs)
    crisis = CRISIS * (max(2000, n // 5) // len(CRISIS))
    report("rules alone, crisis messages", crisis, rules_detect, runs)
    report("combined, crisis messages", crisis, detect, runs)
    adversarial(rules_detect, "rules alone")
    adversarial(detect, "combined")
    quality()
    if not args.quick:
        asyncio.run(reply_latency())
    return 0


def adversarial(fn: Callable[[str], object], label: str) -> None:
    """The 100 KB hostile inputs of the test suite, timed here (the tests count work)."""
    from tests.test_crisis_detect import ADVERSARIAL_100K

    worst = 0.0
    for text in ADVERSARIAL_100K:
        fn(text[:1000])
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            fn(text)
            best = min(best, time.perf_counter() - t0)
        worst = max(worst, best)
    verdict = "PASS" if worst < 0.05 else "MISS"
    print(f"100 KB adversarial input, {label}, worst of {len(ADVERSARIAL_100K)}: "
          f"{worst * 1e3:.1f} ms  [target < 50 ms: {verdict}]")


TARGETS = {  # issue 12: (least recall, most false alarms) per slice of the held-out set
    "all": (0.97, None),
    "en ordinary chat": (None, 0.02),
    "en indirect": (0.85, 0.10),
    "kind overdose": (0.95, None),
    "lang es": (0.95, None),
    "lang pt": (0.85, None),
    "lang fr": (0.85, None),
    "lang de": (0.85, None),
}


def quality() -> None:
    """Precision, recall and false alarms on the held-out set, rules alone and combined.
    The set was written blind before training and is never tuned on (tests/helpers/heldout.py)."""
    from tests.helpers import heldout

    lines = heldout.load()
    detectors: list[tuple[str, Callable[[str], Detection]]] = [
        ("rules", rules_detect), ("combined", detect)]  # fmt: skip
    results = {name: {text: fn(text) for text in {x.text for x in lines}}
               for name, fn in detectors}  # fmt: skip
    print(f"held-out set: {len(lines)} lines, {sum(x.crisis for x in lines)} crisis "
          f"(tests/data/crisis_heldout)")
    print(f"{'slice':<22} {'n':>5}  " + "  ".join(
        f"{name + ': recall   FA   prec':>30}" for name, _ in detectors))
    for label, part in heldout.slices(lines).items():
        cells = []
        verdict = ""
        for name, _ in detectors:
            sc = heldout.score(part, lambda text, name=name: results[name][text].crisis)
            cells.append(f"{sc.recall:>17.3f} {sc.false_alarms:>6.3f} {sc.precision:>5.3f}")
            least, most = TARGETS.get(label, (None, None))
            if name == "combined" and (least is not None or most is not None):
                ok = (least is None or sc.recall >= least) and (
                    most is None or sc.false_alarms <= most)
                wanted = " ".join(filter(None, (
                    f"recall >= {least}" if least is not None else "",
                    f"FA <= {most}" if most is not None else "")))
                verdict = f"  [{wanted}: {'PASS' if ok else 'MISS'}]"
        print(f"{label:<22} {len(part):>5}  " + "  ".join(cells) + verdict)
    others = [x for x in lines if x.crisis and x.about == "other"]
    for name, _ in detectors:
        told = sum(results[name][x.text].third_party for x in others)
        verdict = f"  [>= 0.9: {'PASS' if told / len(others) >= 0.9 else 'MISS'}]"
        print(f"about another person, told as third party ({name}): {told}/{len(others)} "
              f"= {told / len(others):.3f}" + (verdict if name == "combined" else ""))


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
