"""Evidence-based coping steps for the hard minute, one suggestion at a time.

The steps live in bot/urges/data/coping.toml, each with the source it comes from. The pick is
deterministic (same member, same day, same last step -> same suggestion), so tests and replays
agree, and it never repeats the step given last: "try something else" always gets something else.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

__all__ = ["CATEGORIES", "MAX_TEXT", "CopingStep", "coping_steps", "parse_steps", "pick_step"]

CATEGORIES = frozenset({"urge_surf", "breathe", "connect", "body", "halt", "distract", "reasons"})
MAX_TEXT = 280  # one phone screen, one breath's reading: short enough for the hard minute


@dataclass(frozen=True, slots=True)
class CopingStep:
    id: str  # stable: safe to store as the member's last suggestion
    category: str  # one of CATEGORIES
    text: str  # English; the catalog may translate it under text_key
    source: str  # named source, no links

    @property
    def text_key(self) -> str:
        return f"coping.{self.id}"


def parse_steps(raw: str) -> tuple[CopingStep, ...]:
    """Steps from the TOML text, checked; ValueError names the first problem."""
    table = tomllib.loads(raw).get("step", [])
    steps = tuple(
        CopingStep(
            str(s.get("id", "")),
            str(s.get("category", "")),
            str(s.get("text", "")).strip(),
            str(s.get("source", "")).strip(),
        )
        for s in table
    )
    seen: set[str] = set()
    for step in steps:
        if not step.id or step.id in seen:
            raise ValueError(f"coping step id missing or repeated: {step.id!r}")
        seen.add(step.id)
        if step.category not in CATEGORIES:
            raise ValueError(f"coping step {step.id}: unknown category {step.category!r}")
        if not step.text or len(step.text) > MAX_TEXT:
            raise ValueError(f"coping step {step.id}: text must be 1-{MAX_TEXT} characters")
        if not step.source or "://" in step.source:
            raise ValueError(f"coping step {step.id}: name a source, without links")
    if len(steps) < 2:
        raise ValueError("need at least two coping steps, or 'never repeat' cannot hold")
    return steps


@cache
def coping_steps() -> tuple[CopingStep, ...]:
    """The packaged steps, in file order."""
    raw = resources.files("bot.urges").joinpath("data/coping.toml").read_text(encoding="utf-8")
    return parse_steps(raw)


def pick_step(
    member_id: int,
    day: date,
    *,
    last: str | None = None,
    steps: Sequence[CopingStep] | None = None,
    turn: int = 0,
) -> CopingStep:
    """One suggestion for `member_id` on local date `day`, never the step with id `last`.

    Seeded by member and day through SHA-256 (not hash(), which changes between processes),
    so a member sees a steady suggestion for the day and different members see different ones.
    `turn` counts "another idea" presses: each turn draws afresh (never the step just
    shown), so pressing it again and again does not swing between the same two steps.
    """
    pool = [s for s in (steps if steps is not None else coping_steps()) if s.id != last]
    if not pool:
        raise ValueError("no coping step to offer besides the last one")
    salt = f":{turn}" if turn else ""
    seed = hashlib.sha256(f"{member_id}:{day.isoformat()}{salt}".encode()).digest()
    return pool[int.from_bytes(seed[:8], "big") % len(pool)]
