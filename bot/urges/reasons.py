"""A member's own reasons for recovery, as /urge shows them back in the hard minute.

Reasons are checked, never silently cut: a shortened reason could change its meaning.
Errors are ReasonInputError with a message-catalog `key` and a short `detail`:
urge.reason_empty, urge.reason_too_long (detail: the limit), urge.reason_duplicate,
urge.too_many_reasons (detail: the limit).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from bot.common.dates import InputError

__all__ = [
    "ERROR_KEYS",
    "MAX_REASONS",
    "MAX_REASON_CHARS",
    "ReasonInputError",
    "add_reason",
    "clean_reason",
]

MAX_REASON_CHARS = 280  # a few lines on a phone: readable at a glance when it matters
MAX_REASONS = 10  # /urge shows them all; more than ten stops being a glance
ERROR_KEYS = (
    "urge.reason_empty",
    "urge.reason_too_long",
    "urge.reason_duplicate",
    "urge.too_many_reasons",
)
_KEEP_FORMAT = {"\u200c", "\u200d"}  # ZWNJ/ZWJ shape Persian words and emoji sequences


class ReasonInputError(InputError):
    """Bad reason input; `key` names the message, `detail` is short and safe to echo."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(key, detail)
        self.detail = detail


def clean_reason(text: str) -> str:
    """The reason on one line, without control or bidi-override characters (which could hide
    or reorder text when it is shown back)."""
    kept = "".join(
        c
        for c in text
        if c.isspace() or c in _KEEP_FORMAT or unicodedata.category(c) not in ("Cc", "Cf")
    )
    cleaned = " ".join(kept.split())
    if not cleaned:
        raise ReasonInputError("urge.reason_empty")
    if len(cleaned) > MAX_REASON_CHARS:
        raise ReasonInputError("urge.reason_too_long", str(MAX_REASON_CHARS))
    return cleaned


def add_reason(existing: Sequence[str], text: str) -> tuple[str, ...]:
    """The member's reasons with `text` appended (after clean_reason)."""
    reason = clean_reason(text)
    if any(r.casefold() == reason.casefold() for r in existing):
        raise ReasonInputError("urge.reason_duplicate")
    if len(existing) >= MAX_REASONS:
        raise ReasonInputError("urge.too_many_reasons", str(MAX_REASONS))
    return (*existing, reason)
