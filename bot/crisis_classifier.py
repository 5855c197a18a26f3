"""The learned second stage of crisis detection: a linear model over word and character
n-grams, read from `bot/data/crisis_model.json.gz` (built by `make train-crisis`).

Inference is plain Python: the text is folded to lower-case ASCII words, its n-grams are
looked up in dicts of weights and summed. A long message is cut into sentences and every
window of up to `_WINDOW` consecutive sentences is scored on its own; the best window
counts, so one crisis sentence inside a long share is not drowned by the rest. Sums per
sentence are computed once, so the windows cost next to nothing. Only the first
`MAX_CHARS` characters are read (a chat message is shorter: Telegram caps at 4,096).

The same `segments()`/`sentence_features()` functions produce the training features
(training/crisis/train.py), so training and inference cannot drift apart.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

__all__ = [
    "KINDS",
    "MAX_CHARS",
    "MODEL_PATH",
    "Model",
    "Score",
    "load_model",
    "segments",
    "sentence_features",
]

MODEL_PATH = Path(__file__).parent / "data" / "crisis_model.json.gz"
MAX_CHARS = 4096
KINDS = ("suicide", "self_harm", "overdose")
_WINDOW = 3  # sentences per window
_MAX_SENTENCES = 64

# --------------------------------------------------------------------------- features

_STRIP = {cp: None for cp in range(0x0300, 0x0370)}
_APOSTROPHES = str.maketrans({"'": None, "’": None, "‘": None, "`": None, "´": None})
_SENTENCE = re.compile(r"(?:[.!?;\n]+|\s-\s|\s—\s)")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_TRIPLE = re.compile(r"([a-z])\1{2,}")
CHAR_NS = (3, 4, 5)


def _fold(low: str) -> str:
    if low.isascii():
        return low
    return unicodedata.normalize("NFKD", low).translate(_STRIP)


def _words(sentence: str) -> str:
    """One sentence (already lower-case and folded) -> words joined by single spaces."""
    s = _NON_WORD.sub(" ", sentence.translate(_APOSTROPHES))
    if "aaa" in s or _TRIPLE.search(s):
        s = _TRIPLE.sub(r"\1", s)
    return s.strip()


def segments(text: str) -> list[str]:
    """Text -> its sentences as normalised word strings (empty sentences dropped)."""
    low = _fold(text[:MAX_CHARS].lower())
    out = []
    for part in _SENTENCE.split(low):
        words = _words(part)
        if words:
            out.append(words)
    if len(out) > _MAX_SENTENCES:  # many tiny sentences: merge the tail
        out = [*out[: _MAX_SENTENCES - 1], " ".join(out[_MAX_SENTENCES - 1 :])]
    return out


def sentence_features(words: str) -> tuple[list[str], list[str]]:
    """(word features, character features) of one normalised sentence.

    Word features: unigrams and bigrams (a bigram is "a b"). Character features: 3-, 4- and
    5-grams of the sentence padded with one space each side (they cross word boundaries).
    """
    toks = words.split()
    word_feats = toks + [a + " " + b for a, b in zip(toks, toks[1:], strict=False)]
    padded = " " + words + " "
    n = len(padded)
    char_feats = [padded[i : i + 3] for i in range(n - 2)]
    char_feats += [padded[i : i + 4] for i in range(n - 3)]
    char_feats += [padded[i : i + 5] for i in range(n - 4)]
    return word_feats, char_feats


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class Score:
    prob: float  # probability-like crisis score of the best window, 0..1
    kind: str  # most likely kind in that window
    third_party: float  # 0..1: the writer is worried about someone else
    window: str  # the best window's normalised text (for logs and tests)


@dataclass(frozen=True, slots=True)
class _Sums:
    word: float
    char: float
    n_word: int
    n_char: int


class Model:
    """Weights of the crisis head (used on every message) and the kind and third-party heads
    (used only on the best window of a message that scores high)."""

    def __init__(self, data: dict[str, object]) -> None:
        self.meta = {k: v for k, v in data.items() if k not in ("word", "char")}
        heads = data["heads"]
        assert isinstance(heads, list)
        self.heads: list[str] = [str(h) for h in heads]
        self.bias: list[float] = [float(b) for b in data["bias"]]  # type: ignore[attr-defined]
        word = data["word"]
        char = data["char"]
        assert isinstance(word, dict) and isinstance(char, dict)
        # The crisis head, as flat dicts: summed in C by sum(map(...)) below.
        self._w_word: dict[str, float] = {k: float(v[0]) for k, v in word.items() if v[0]}
        self._w_char: dict[str, float] = {k: float(v[0]) for k, v in char.items() if v[0]}
        self._word: dict[str, list[float]] = word
        self._char: dict[str, list[float]] = char
        threshold = data["threshold"]
        assert isinstance(threshold, dict)
        self.threshold: dict[str, float] = {str(k): float(v) for k, v in threshold.items()}

    # -- crisis head
    def _sums(self, words: str) -> _Sums:
        wf, cf = sentence_features(words)
        ww, wc = self._w_word, self._w_char
        return _Sums(
            sum(map(ww.__getitem__, filter(ww.__contains__, wf))),
            sum(map(wc.__getitem__, filter(wc.__contains__, cf))),
            len(wf),
            len(cf),
        )

    def _logit(self, parts: list[_Sums]) -> float:
        nw = sum(p.n_word for p in parts)
        nc = sum(p.n_char for p in parts)
        w = sum(p.word for p in parts) / math.sqrt(nw) if nw else 0.0
        c = sum(p.char for p in parts) / math.sqrt(nc) if nc else 0.0
        return self.bias[0] + w + c

    def windows(self, text: str) -> Iterator[tuple[float, str]]:
        """(logit, window text) for every window of up to `_WINDOW` sentences."""
        sents = segments(text)
        sums = [self._sums(s) for s in sents]
        for i in range(len(sents)):
            for j in range(i + 1, min(i + _WINDOW, len(sents)) + 1):
                yield self._logit(sums[i:j]), " . ".join(sents[i:j])

    def best_logit(self, text: str) -> tuple[float, str]:
        best, where = -math.inf, ""
        for logit, window in self.windows(text):
            if logit > best:
                best, where = logit, window
        return best, where

    # -- the other heads, on one window
    def _head_logits(self, window: str) -> list[float]:
        totals_w = [0.0] * len(self.heads)
        totals_c = [0.0] * len(self.heads)
        nw = nc = 0
        for sent in window.split(" . "):
            wf, cf = sentence_features(sent)
            nw += len(wf)
            nc += len(cf)
            for table, feats, totals in ((self._word, wf, totals_w), (self._char, cf, totals_c)):
                for f in feats:
                    v = table.get(f)
                    if v is not None:
                        for h, x in enumerate(v):
                            totals[h] += x
        sw = 1 / math.sqrt(nw) if nw else 0.0
        sc = 1 / math.sqrt(nc) if nc else 0.0
        return [b + tw * sw + tc * sc for b, tw, tc in zip(self.bias, totals_w, totals_c,
                                                           strict=True)]

    def score(self, text: str) -> Score:
        logit, window = self.best_logit(text)
        if logit == -math.inf:
            return Score(0.0, "suicide", 0.0, "")
        logits = self._head_logits(window)
        kinds = [logits[self.heads.index(k)] for k in KINDS]
        kind = KINDS[kinds.index(max(kinds))]
        third = _sigmoid(logits[self.heads.index("third_party")])
        return Score(_sigmoid(logit), kind, third, window)

    def prob(self, text: str) -> float:
        logit, _ = self.best_logit(text)
        return 0.0 if logit == -math.inf else _sigmoid(logit)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> Model:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return Model(json.load(f))
