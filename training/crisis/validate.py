"""Cross-writer validation: every figure is measured on lines the model never saw.

    python -m training.crisis.validate [--threshold 0.5] [--errors]

Folds: train on everything but one writer's file and test on that file (en_a, en_b, es);
Portuguese, French and German are tested language by language, each with the other two
in training. The old labelled set (tests/data/crisis_labelled.tsv) always stays in
training: the rules were tuned on it. Prints recall per kind, style and language, false
alarms on ordinary chat and on hard negatives, for the rules alone, the model alone and
both combined.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.crisis.classifier import Model  # noqa: E402
from bot.crisis.detect import DISCOUNTED_MIN, combine  # noqa: E402
from bot.crisis.rules import detect as rules_detect  # noqa: E402
from training.crisis import data  # noqa: E402
from training.crisis.train import Config, model_from, train  # noqa: E402


@dataclass(frozen=True)
class Fold:
    name: str
    is_test: Callable[[data.Row], bool]


def _bucket(row: data.Row, k: int) -> int:
    return zlib.crc32(row.text.encode()) % k


def random_folds(k: int = 5) -> list[Fold]:
    """In-writer check (optimistic: a writer's lines resemble each other): k folds by a hash
    of the text; the old labelled set always stays in training."""
    return [Fold(f"random {i + 1}/{k}", lambda r, i=i: r.part != "legacy" and _bucket(r, k) == i)
            for i in range(k)]


def folds(rows: Sequence[data.Row]) -> list[Fold]:
    parts = sorted({r.part for r in rows} - {"legacy"})
    out: list[Fold] = []
    for part in parts:
        if part == "pt_fr_de":
            for lang in sorted({r.lang for r in rows if r.part == part}):
                out.append(Fold(f"{part}:{lang}",
                                lambda r, p=part, lg=lang: r.part == p and r.lang == lg))
        else:
            out.append(Fold(part, lambda r, p=part: r.part == p))
    return out


@dataclass(frozen=True)
class Result:
    row: data.Row
    rules: bool
    model: bool
    both: bool
    prob: float
    kind: str | None
    third: bool
    discounted: bool  # the rules saw crisis words but judged them negated, past, quoted

    def fires(self, t: float) -> bool:
        """Rules OR model at threshold t (raised where the rules discounted the words)."""
        return self.rules or self.prob >= (max(t, DISCOUNTED_MIN) if self.discounted else t)


def run_fold(rows: Sequence[data.Row], fold: Fold, cfg: Config) -> list[Result]:
    train_rows = [r for r in rows if not fold.is_test(r)]
    test_rows = [r for r in rows if fold.is_test(r)]
    model = model_from(train(train_rows, cfg))
    return [evaluate(r, model) for r in test_rows]


def evaluate(row: data.Row, model: Model, lang: str = "auto") -> Result:
    rules = rules_detect(row.text, lang)
    prob = model.prob(row.text)
    d = combine(row.text, lang, rules, model)
    return Result(row, rules.crisis, d.stage in ("model", "both"), d.crisis, prob, d.kind,
                  d.third_party, bool(rules.score) and not rules.crisis)


def _rate(hits: list[bool]) -> str:
    if not hits:
        return "     -     "
    return f"{sum(hits) / len(hits):.3f} ({len(hits):>4})"


def report(results: list[Result], title: str, errors: bool = False) -> None:
    groups: dict[str, list[Result]] = defaultdict(list)
    for res in results:
        r = res.row
        if r.label:
            groups[f"recall {r.lang}"].append(res)
            groups[f"recall kind={r.kind}"].append(res)
            groups[f"recall style={r.style}"].append(res)
            if r.about == "other":
                groups["recall about=other"].append(res)
        else:
            groups[f"false alarms {r.style} {r.lang}"].append(res)
    print(f"\n== {title}")
    print(f"{'':34} {'rules':>12} {'model':>12} {'combined':>12}")
    for key in sorted(groups):
        rs = groups[key]
        print(f"{key:34} {_rate([x.rules for x in rs])} {_rate([x.model for x in rs])} "
              f"{_rate([x.both for x in rs])}")
    pos = [x for x in results if x.row.label and x.both]
    if pos:
        kind_ok = [x.kind == x.row.kind for x in pos if x.row.kind]
        third_ok = [x.third for x in pos if x.row.about == "other"]
        third_fp = [x.third for x in pos if x.row.about == "self"]
        print(f"{'kind right (detected, kind known)':34} {_rate(kind_ok):>38}")
        print(f"{'third_party flagged (about=other)':34} {_rate(third_ok):>38}")
        print(f"{'third_party flagged (about=self)':34} {_rate(third_fp):>38}")
    if errors:
        for x in results:
            if x.row.label != x.both:
                tag = "FN" if x.row.label else "FP"
                print(f"  {tag} p={x.prob:.2f} [{x.row.style}] {x.row.text[:150]}")


def operating_points(results: list[Result]) -> None:
    """Threshold-free view of the model alone, per language: recall (model OR rules) where
    the false alarms on ordinary chat are 1 % / 2 %, and the false alarms on hard negatives
    there."""
    for lang in sorted({x.row.lang for x in results}):
        rs = [x for x in results if x.row.lang == lang]
        ordinary = sorted((x.prob for x in rs if not x.row.label and x.row.style == "ordinary"),
                          reverse=True)
        if not ordinary:
            continue
        line = f"  {lang}:"
        for fa in (0.01, 0.02, 0.05):
            k = int(fa * len(ordinary))
            t = ordinary[k] + 1e-9 if k < len(ordinary) else 0.0
            pos = [x.fires(t) for x in rs if x.row.label]
            hard = [x.fires(t) for x in rs if not x.row.label
                    and x.row.style != "ordinary"]
            rec = sum(pos) / max(1, len(pos))
            hfa = sum(hard) / max(1, len(hard))
            line += f"  FA{fa:.0%}: t={t:.2f} recall={rec:.3f} hardFA={hfa:.3f}"
        print(line)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--errors", action="store_true")
    parser.add_argument("--fold", help="run only this fold")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a training Config field (floats)")
    parser.add_argument("--brief", action="store_true", help="only the summary")
    parser.add_argument("--random", action="store_true",
                        help="random 5-fold split instead of cross-writer (optimistic)")
    args = parser.parse_args(argv)
    rows = data.load()
    cfg = Config(**{k: float(v) for k, v in (s.split("=", 1) for s in args.set)})
    every: list[Result] = []
    for fold in random_folds() if args.random else folds(rows):
        if args.fold and fold.name != args.fold:
            continue
        results = run_fold(rows, fold, cfg)
        if not args.brief:
            report(results, f"held out: {fold.name}", args.errors)
        every += results
    report(every, "all folds together")
    print("\noperating points (rules OR model at a threshold set on ordinary chat):")
    operating_points(every)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
