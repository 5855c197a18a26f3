"""The labelled crisis corpus: training/crisis/corpus/*.tsv and tests/data/crisis_labelled.tsv."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS_DIR = ROOT / "training" / "crisis" / "corpus"
LEGACY = ROOT / "tests" / "data" / "crisis_labelled.tsv"
HEADER = "label\tkind\tabout\tstyle\tlang\tsource\ttext"


@dataclass(frozen=True, slots=True)
class Row:
    label: int
    kind: str | None  # suicide | self_harm | overdose; None when unknown or not a crisis
    about: str | None  # self | other; None when unknown or not a crisis
    style: str  # plain | indirect | ... ; "legacy" for the old labelled set
    lang: str
    part: str  # the file it came from, without .tsv: en_a, en_b, es, pt_fr_de, legacy
    text: str


def corpus_files() -> list[Path]:
    """Every training file, in a fixed order (the corpus hash depends on it)."""
    return [*sorted(CORPUS_DIR.glob("*.tsv")), LEGACY]


def corpus_sha256(files: list[Path] | None = None) -> str:
    h = hashlib.sha256()
    for path in files or corpus_files():
        h.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def _read_corpus(path: Path) -> list[Row]:
    rows = []
    seen_header = False
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        if not seen_header:
            if line.rstrip("\r") != HEADER:
                raise ValueError(f"{path}:{n}: expected the header {HEADER!r}")
            seen_header = True
            continue
        parts = line.rstrip("\r").split("\t", 6)
        if len(parts) != 7 or parts[0] not in ("0", "1"):
            raise ValueError(f"{path}:{n}: bad row {line[:80]!r}")
        label, kind, about, style, lang, _source, text = parts
        positive = label == "1"
        rows.append(Row(
            label=int(label),
            kind=kind if positive and kind in ("suicide", "self_harm", "overdose") else None,
            about=about if positive and about in ("self", "other") else None,
            style=style,
            lang=lang,
            part=path.stem,
            text=text,
        ))
    return rows


def _read_legacy(path: Path) -> list[Row]:
    rows = []
    lines = path.read_text("utf-8").splitlines()
    for line in lines[1:]:
        if not line.strip() or line.startswith("#"):
            continue
        label, lang, text = line.split("\t", 2)
        rows.append(Row(int(label), None, None, "legacy", lang, "legacy", text))
    return rows


def load(files: list[Path] | None = None) -> list[Row]:
    rows: list[Row] = []
    for path in files or corpus_files():
        rows += _read_legacy(path) if path == LEGACY else _read_corpus(path)
    return rows
