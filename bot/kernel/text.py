"""Cleaning text that comes from a platform.

A lone UTF-16 surrogate (half of an emoji that a client or a platform cut in two, or JSON
with a stray "\\ud800") is a valid Python string but cannot be encoded as UTF-8: binding it
in SQLite or PostgreSQL, or sending it to Telegram, fails. Every text that enters Harbor is
cleaned once, where it enters (the adapters' converters, and the core as a last line):
each lone surrogate becomes U+FFFD (�), everything else stays exactly as it was.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, TypeVar

_SURROGATE = re.compile("[\ud800-\udfff]")
# In JSON text: an escaped surrogate ("\ud83d", lone or half of a pair).
_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _raw_surrogate(text: str) -> bool:
    # isascii() is O(1) in CPython: the common, all-ASCII text is never scanned.
    return not text.isascii() and _SURROGATE.search(text) is not None

T = TypeVar("T")


def clean_text(text: str) -> str:
    """`text` with every lone surrogate replaced by U+FFFD; the same object when it has
    none (the common case costs one regex scan). A high and low surrogate that stand next to
    each other (an emoji split into two code points) become the character they encode."""
    if not _raw_surrogate(text):
        return text
    # Through UTF-16: paired halves join into one character, a lone half cannot be decoded
    # and is replaced (UTF-8 with "surrogatepass" would give three U+FFFD for each).
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def json_may_hold_surrogates(text: str) -> bool:
    """Whether decoding this JSON text may give a surrogate: one fast scan of the text, so
    a large feed is walked (clean_tree) only when it has one."""
    return _ESCAPED_SURROGATE.search(text) is not None or _raw_surrogate(text)


def has_surrogate(value: Any) -> bool:
    """Whether any string in a JSON-like tree (keys too) holds a surrogate."""
    if isinstance(value, str):
        return _raw_surrogate(value)
    if isinstance(value, Mapping):
        return any(has_surrogate(k) or has_surrogate(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(has_surrogate(v) for v in value)
    return False


def clean_tree(value: Any) -> Any:
    """Every string in a JSON-like tree (mappings, lists, tuples) cleaned, keys too. The
    same object when nothing needs cleaning (one read-only pass: the common case)."""
    if not has_surrogate(value):
        return value
    return _cleaned_tree(value)


def _cleaned_tree(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {_cleaned_tree(k): _cleaned_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned_tree(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_cleaned_tree(v) for v in value)
    return value


_FIELDS: dict[type, tuple[str, ...]] = {}


def clean_fields(obj: T) -> T:
    """A frozen dataclass (an Incoming and what it holds: Member, ChatRef, Document) with
    every string field cleaned, nested dataclasses too; the same object when clean."""
    cls = type(obj)
    names = _FIELDS.get(cls)
    if names is None:
        if not dataclasses.is_dataclass(cls):
            return obj
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    changes: dict[str, Any] = {}
    for name in names:
        value = getattr(obj, name)
        if isinstance(value, str):
            if _raw_surrogate(value):
                changes[name] = clean_text(value)
        elif hasattr(type(value), "__dataclass_fields__"):
            cleaned = clean_fields(value)
            if cleaned is not value:
                changes[name] = cleaned
    return dataclasses.replace(obj, **changes) if changes else obj  # type: ignore[type-var]
