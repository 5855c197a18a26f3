"""Trial: do WordLlama sentence embeddings (256-d, weights shipped in the `wordllama`
wheel, loaded with downloads disabled) help the n-gram model on unseen writers?

    python -m training.crisis.embed_trial [--scale 1.0]

Same cross-writer folds as validate.py; whole messages (no windows), model alone (no rules),
so only the features differ. Prints, per fold and language, recall at the threshold where
1 % and 2 % of the held-out ordinary chat is flagged, and the false alarms on hard negatives
there. Needs the `train` extra.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from training.crisis import data  # noqa: E402
from training.crisis.linear import Sparse, fit_logistic  # noqa: E402
from training.crisis.train import build_vocab, featurize, matrix  # noqa: E402
from training.crisis.validate import folds  # noqa: E402


def load_wordllama() -> object:
    """WordLlama from the files inside the installed wheel; never downloads anything."""
    import wordllama
    from wordllama import WordLlama

    # wordllama 0.4 looks for its bundled tokenizer under "tokenizer/", but the wheel ships
    # it in "tokenizers/": point the cache at the wheel's own folder instead.
    cache = Path(tempfile.mkdtemp(prefix="wordllama-"))
    (cache / "tokenizers").symlink_to(Path(wordllama.__file__).parent / "tokenizers")
    return WordLlama.load(disable_download=True, cache_dir=cache)


def with_dense(x: Sparse, dense: np.ndarray, scale: float) -> Sparse:
    n, d = dense.shape
    rows = np.repeat(np.arange(n, dtype=np.int64), d)
    cols = np.tile(np.arange(d, dtype=np.int64), n) + x.n_cols
    return Sparse(
        np.concatenate([x.rows, rows]),
        np.concatenate([x.cols, cols]),
        np.concatenate([x.vals, dense.reshape(-1) * scale]),
        x.n_rows,
        x.n_cols + d,
    )


def _empty(n_rows: int) -> Sparse:
    none = np.zeros(0, dtype=np.int64)
    return Sparse(none, none, np.zeros(0), n_rows, 0)


def points(y: np.ndarray, prob: np.ndarray, rows: list[data.Row]) -> str:
    out = []
    for lang in sorted({r.lang for r in rows}):
        idx = [i for i, r in enumerate(rows) if r.lang == lang]
        ordinary = sorted((prob[i] for i in idx if rows[i].style == "ordinary"
                           and not rows[i].label), reverse=True)
        if not ordinary:
            continue
        parts = []
        for fa in (0.01, 0.02):
            t = ordinary[int(fa * len(ordinary))] + 1e-9
            rec = np.mean([prob[i] >= t for i in idx if y[i] == 1])
            hard = [prob[i] >= t for i in idx if y[i] == 0 and rows[i].style != "ordinary"]
            parts.append(f"FA{fa:.0%} recall={rec:.3f} hardFA={np.mean(hard) if hard else 0:.3f}")
        out.append(f"{lang}: " + "  ".join(parts))
    return " | ".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, action="append")
    parser.add_argument("--lam", type=float, default=0.3)
    args = parser.parse_args(argv)
    rows = data.load()
    wl = load_wordllama()
    emb = np.asarray(wl.embed([r.text for r in rows]), dtype=np.float64)  # type: ignore[attr-defined]
    docs = [featurize(r.text) for r in rows]
    y_all = np.array([r.label for r in rows], dtype=np.float64)
    for fold in folds(rows):
        test = np.array([fold.is_test(r) for r in rows])
        tr = np.flatnonzero(~test)
        te = np.flatnonzero(test)
        vocab = build_vocab([docs[i] for i in tr], 2)
        x_tr = matrix([docs[i] for i in tr], vocab)
        x_te = matrix([docs[i] for i in te], vocab)
        test_rows = [rows[i] for i in te]
        for scale in [0.0, *(args.scale or [1.0])]:
            if scale:
                a, b = with_dense(x_tr, emb[tr], scale), with_dense(x_te, emb[te], scale)
            else:
                a, b = x_tr, x_te
            bias, w = fit_logistic(a, y_all[tr], lam=args.lam)
            prob = 1 / (1 + np.exp(-(b.matvec(w) + bias)))
            print(f"{fold.name:12} scale={scale:<4} {points(y_all[te], prob, test_rows)}")
        # embeddings alone
        e_only = with_dense(_empty(len(tr)), emb[tr], 1.0)
        e_te = with_dense(_empty(len(te)), emb[te], 1.0)
        bias, w = fit_logistic(e_only, y_all[tr], lam=0.01)
        prob = 1 / (1 + np.exp(-(e_te.matvec(w) + bias)))
        print(f"{fold.name:12} emb only    {points(y_all[te], prob, test_rows)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
