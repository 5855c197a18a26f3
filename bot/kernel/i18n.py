"""The message catalog: every user-facing string lives in `bot/locale/<lang>.toml`,
so a translation is a new file, not a code change."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

DEFAULT_LANG = "en"


@cache
def _catalog(lang: str) -> dict[str, str]:
    try:
        raw = resources.files("bot").joinpath(f"locale/{lang}.toml").read_bytes()
    except FileNotFoundError:
        return {} if lang != DEFAULT_LANG else _missing_default()
    return _flatten(tomllib.loads(raw.decode("utf-8")))


def _missing_default() -> dict[str, str]:
    raise RuntimeError("the default message catalog bot/locale/en.toml is missing")


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        else:
            flat[name] = str(value)
    return flat


def has(key: str, lang: str = DEFAULT_LANG) -> bool:
    return key in _catalog(lang) or key in _catalog(DEFAULT_LANG)


def t(key: str, lang: str = DEFAULT_LANG, /, **params: object) -> str:
    """The text for `key` in `lang` (falling back to English), with {params} filled in."""
    template = _catalog(lang).get(key) or _catalog(DEFAULT_LANG).get(key)
    if template is None:
        raise KeyError(f"no message {key!r} in the catalog")
    return template.format(**params)
