"""The learned second stage of crisis detection: a linear model over word and character
n-grams, read from `bot/data/crisis_model.json.gz` (built by `make train-crisis`).

Inference is plain Python: the text is folded to lower-case ASCII words, its n-grams are
looked up in dicts of weights and summed. A long message is cut into sentences and every
window of up to `WINDOW` consecutive sentences is scored on its own; the best window
counts, so one crisis sentence inside a long share is not drowned by the rest. Sums per
sentence are computed once, so the windows cost next to nothing. Only the first
`MAX_CHARS` characters are read (a chat message is shorter: Telegram caps at 4,096).

Features: word unigrams and bigrams, and character 3- to 5-grams inside each word (padded
with a space), each group scaled by one over the square root of its size. A word's
character n-gram sum is cached, so a message costs a few dict look-ups per word.
The same `segments()`/`sentence_features()` functions produce the training features
(training/crisis/train.py), so training and inference cannot drift apart.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any

__all__ = [
    "KINDS",
    "MAX_CHARS",
    "MODEL_PATH",
    "NEGATORS",
    "WINDOW",
    "Model",
    "Score",
    "char_features",
    "load_model",
    "segments",
    "sentence_features",
    "word_features",
]

MODEL_PATH = Path(__file__).parent.parent / "data" / "crisis_model.json.gz"
MAX_CHARS = 4096
KINDS = ("suicide", "self_harm", "overdose")
WINDOW = 3  # sentences per window
_MAX_SENTENCES = 64
_MIN_TOKENS = 4  # a shorter sentence is merged with its neighbour

# --------------------------------------------------------------------------- features

_FOLD = {cp: None for cp in range(0x0300, 0x0370)} | {
    ord("’"): "'", ord("‘"): "'", ord("`"): "'", ord("´"): "'", ord("ß"): "ss", ord("æ"): "ae",
    ord("œ"): "oe", ord("ø"): "o", ord("ł"): "l", ord("đ"): "d",
}
_SENTENCE = re.compile(r"[.!?;\n]+|\s[-—–]+\s")
_TOKEN = re.compile(r"[a-z0-9]+")
_TRIPLE = re.compile(r"([a-z])\1{2,}")
CHAR_NS = (3, 4, 5)


def _fold(low: str) -> str:
    """Lower-case text -> accents and typographic apostrophes folded (ASCII letters stay)."""
    if low.isascii():
        return low
    return unicodedata.normalize("NFKD", low).translate(_FOLD)


def segments(text: str) -> list[list[str]]:
    """Text -> its sentences, each a list of lower-case ASCII tokens (empty ones dropped,
    fragments of fewer than four tokens joined to their neighbour). Apostrophes vanish
    ("can't" -> "cant"), runs of 3+ letters shrink to one ("soooo")."""
    low = _fold(text[:MAX_CHARS].lower())
    if "'" in low:
        low = low.replace("'", "")
    if _TRIPLE.search(low):
        low = _TRIPLE.sub(r"\1", low)
    out: list[list[str]] = []
    short = False  # the last sentence is a fragment ("St.", "ok!", "lol.")
    for part in _SENTENCE.split(low):
        toks = _TOKEN.findall(part)
        if not toks:
            continue
        if out and (short or len(toks) < _MIN_TOKENS):
            out[-1] += toks  # fragments join their neighbour: no window of two words
        else:
            out.append(toks)
        short = len(out[-1]) < _MIN_TOKENS
    if len(out) > _MAX_SENTENCES:  # many tiny sentences: merge the tail
        out = [*out[: _MAX_SENTENCES - 1], [t for sent in out[_MAX_SENTENCES - 1 :] for t in sent]]
    return out


# Negators: the words after one also count as "~word", so the model can tell "don't want
# to die" (~die) from "want to die", and "no quiero vivir" (~vivir) from "quiero vivir".
_NEGATOR_WORDS = (
    "not no never dont doesnt didnt cant cannot couldnt wont wouldnt isnt arent wasnt werent "
    "shouldnt aint nunca jamas ni nao jamais nem ne pas plus nicht nie niemals kein keine "
    "keinen"
)
NEGATORS = frozenset(_NEGATOR_WORDS.split(" "))
_NEG_SCOPE = 4


# Function words: frequent in every message, so alone they only teach a writer's style
# ("I" and "and" are commoner in crisis lines than in chat). They have no unigram or
# character features of their own; bigrams keep them ("want to", "i cant").
_STOPWORDS = (
    "i im me my the a an and or but so to of in on at for with it its is are was be been am "
    "this that you your we our they he she his her them have has had do did just about as "
    "by from all some very really too also then than there here what when who how if "
    "y o el la los las un una de del en con por para que se su es lo al mi te "
    "e os um uma do da dos das na com eu meu minha "
    "et ou le les une des du au aux je tu il elle nous vous ils mon ma mes ce est "
    "und oder der das den dem ein eine ich du er sie wir mit zu von ist bin"
)  # not "die" (English) nor "no" (a negation in three languages)
STOPWORDS = frozenset(_STOPWORDS.split(" "))


def word_features(toks: list[str]) -> list[str]:
    """Unigrams (not of function words), bigrams ("a b") and negated words ("~b")."""
    feats = [t for t in toks if t not in STOPWORDS]
    feats += [a + " " + b for a, b in pairwise(toks)]
    if not NEGATORS.isdisjoint(toks):
        for i, t in enumerate(toks):
            if t in NEGATORS:
                feats += ["~" + u for u in toks[i + 1 : i + 1 + _NEG_SCOPE]]
    return feats


def char_features(tok: str) -> list[str]:
    """3-, 4- and 5-grams of one token padded with a space each side (" die", "die ");
    none for a function word."""
    if tok in STOPWORDS:
        return []
    padded = " " + tok + " "
    n = len(padded)
    return [padded[i : i + k] for k in CHAR_NS for i in range(n - k + 1)]


def sentence_features(toks: list[str]) -> tuple[list[str], list[str]]:
    """(word features, character features) of one sentence: what training counts."""
    chars: list[str] = []
    for t in toks:
        chars += char_features(t)
    return word_features(toks), chars


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, slots=True)
class Score:
    prob: float  # probability-like crisis score of the best window, 0..1
    kind: str  # most likely kind in that window
    third_party: float  # 0..1: the writer is worried about someone else
    window: str  # the best window's tokens (for logs and tests)


_CACHE_MAX = 50_000  # tokens whose character-n-gram sum is remembered


class Model:
    """Weights of the crisis head (used on every message) and of the kind and third-party
    heads (used only on the best window of a message that is flagged)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.meta = {k: v for k, v in data.items() if k not in ("word", "char")}
        self.heads: list[str] = [str(h) for h in data["heads"]]
        self.bias: list[float] = [float(b) for b in data["bias"]]
        word: dict[str, list[float]] = data["word"]
        char: dict[str, list[float]] = data["char"]
        # The crisis head as flat dicts, summed in C by sum(map(...)).
        self._w_word: dict[str, float] = {k: float(v[0]) for k, v in word.items() if v[0]}
        self._w_char: dict[str, float] = {k: float(v[0]) for k, v in char.items() if v[0]}
        # Every head as flat dicts (word weights, char weights, token -> char sum cache).
        self._head_tables: list[tuple[dict[str, float], dict[str, float], dict[str, float]]] = [
            ({k: float(v[h]) for k, v in word.items() if v[h]},
             {k: float(v[h]) for k, v in char.items() if v[h]}, {})
            for h in range(len(self.heads))
        ]
        self.threshold: dict[str, float] = {
            str(k): float(v) for k, v in data["threshold"].items()
        }
        self.min_threshold = min(self.threshold.values(), default=0.5)
        self.partial_penalty = float(data.get("partial_penalty", 0.0))
        # token -> sum of its character n-gram weights, and -> number of n-grams
        self._csum: dict[str, float] = {}
        self._cnum: dict[str, int] = {}

    # -- crisis head
    def _learn(self, toks: list[str]) -> None:
        """Remember the character n-gram sum and count of tokens not seen before."""
        wc = self._w_char
        room = _CACHE_MAX - len(self._csum)
        for tok in toks:
            if tok in self._csum:
                continue
            if room <= 0:  # a flood of new words: start over rather than grow
                self._csum.clear()
                self._cnum.clear()
                room = _CACHE_MAX
            grams = char_features(tok)
            self._csum[tok] = sum(map(wc.__getitem__, filter(wc.__contains__, grams)))
            self._cnum[tok] = len(grams)
            room -= 1

    def _sums(self, toks: list[str]) -> tuple[float, int, float, int]:
        """(word weight sum, word feature count, char weight sum, char n-gram count)."""
        wf = word_features(toks)
        ww = self._w_word
        csum = self._csum
        if not all(map(csum.__contains__, toks)):
            self._learn(toks)
        return (
            sum(map(ww.__getitem__, filter(ww.__contains__, wf))),
            len(wf),
            sum(map(csum.__getitem__, toks)),
            sum(map(self._cnum.__getitem__, toks)),
        )

    def _logit(self, ws: float, nw: int, cs: float, nc: int) -> float:
        return self.bias[0] + (ws / math.sqrt(nw) if nw else 0.0) + (
            cs / math.sqrt(nc) if nc else 0.0
        )

    def best_window(self, text: str) -> tuple[float, list[list[str]]]:
        """The highest crisis logit over every window of up to `WINDOW` consecutive
        sentences, and that window's sentences. (-inf, []) for a text without words.
        A window that is only part of the message pays `partial_penalty` (in logits): a
        long message offers many windows, so one of them is more likely to look alarming by
        chance."""
        sents = segments(text)
        if len(sents) == 1:
            return self._logit(*self._sums(sents[0])), sents
        sums = [self._sums(s) for s in sents]
        bias, penalty, sqrt = self.bias[0], self.partial_penalty, math.sqrt
        best, where = -math.inf, (0, 0)
        n = len(sents)
        for i in range(n):
            ws = cs = 0.0
            nw = nc = 0
            for j in range(i, min(i + WINDOW, n)):
                a, b, c, d = sums[j]
                ws += a
                nw += b
                cs += c
                nc += d
                logit = bias + (ws / sqrt(nw) if nw else 0.0) + (cs / sqrt(nc) if nc else 0.0)
                if i or j + 1 < n:
                    logit -= penalty
                if logit > best:
                    best, where = logit, (i, j + 1)
        return best, sents[where[0] : where[1]]

    def prob(self, text: str) -> float:
        return self.prob_of(self.best_window(text)[0])

    @staticmethod
    def prob_of(logit: float) -> float:
        return 0.0 if logit == -math.inf else _sigmoid(logit)

    # -- the other heads, on one window
    def _head_logits(self, window: list[list[str]]) -> list[float]:
        """Logits of every head (the crisis head first) on one window."""
        toks = [t for sent in window for t in sent]
        wf = [f for sent in window for f in word_features(sent)]
        if not all(map(self._csum.__contains__, toks)):
            self._learn(toks)
        nc = sum(map(self._cnum.__getitem__, toks))
        sw = 1 / math.sqrt(len(wf)) if wf else 0.0
        sc = 1 / math.sqrt(nc) if nc else 0.0
        out = []
        for h, (ww, wc, cache) in enumerate(self._head_tables):
            missing = [t for t in toks if t not in cache]
            if len(cache) + len(missing) > _CACHE_MAX:
                cache.clear()
                missing = list(toks)
            for t in missing:
                cache[t] = sum(map(wc.__getitem__, filter(wc.__contains__, char_features(t))))
            out.append(self.bias[h]
                       + sum(map(ww.__getitem__, filter(ww.__contains__, wf))) * sw
                       + sum(map(cache.__getitem__, toks)) * sc)
        return out

    def heads_of(self, window: list[list[str]]) -> tuple[str, float]:
        """(most likely kind, third-party probability) of one window."""
        logits = self._head_logits(window)
        kinds = [logits[self.heads.index(k)] for k in KINDS]
        return KINDS[kinds.index(max(kinds))], _sigmoid(logits[self.heads.index("third_party")])

    def score(self, text: str) -> Score:
        logit, window = self.best_window(text)
        if logit == -math.inf:
            return Score(0.0, "suicide", 0.0, "")
        kind, third = self.heads_of(window)
        return Score(_sigmoid(logit), kind, third, " . ".join(" ".join(t) for t in window))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> Model:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return Model(data)
