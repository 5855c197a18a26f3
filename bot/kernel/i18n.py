"""Language as a value. Every user-facing string lives in the catalogs; a `Translator` bound
to one language travels in the context, into scheduled sources and into the delivery step, so
a member hears the bot in their language everywhere.

Each language is a folder, `bot/locale/<lang>/`, with one TOML file per feature, so features
never edit each other's text. Why TOML rather than gettext `.po` files: keys are stable names
(a wording change is not a new msgid), a catalog is readable with no compile step, and
plurals use the CLDR plural categories from Babel (`one`, `few`, `many`, `other`), which cover
every language gettext's Plural-Forms does. Dates and numbers are formatted with Babel.
`tests/test_i18n.py` fails when a shipped catalog lacks a key, a plural category its language
needs, or a placeholder.
"""

from __future__ import annotations

import datetime
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.lists import format_list
from babel.numbers import format_decimal

DEFAULT_LANG = "en"

Template = str | Mapping[str, str]  # plain, or plural forms by CLDR category
PLURAL_CATEGORIES = frozenset({"zero", "one", "two", "few", "many", "other"})


@cache
def _files(lang: str) -> dict[str, dict[str, Any]]:
    """A language's catalog files (`bot/locale/<lang>/<part>.toml`, one per feature), by name."""
    folder = resources.files("bot").joinpath("locale").joinpath(lang)
    if not folder.is_dir():
        return {}
    return {
        entry.name: tomllib.loads(entry.read_text("utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".toml")
    }


def meta(lang: str) -> dict[str, Any]:
    return _files(lang).get("_meta.toml", {})


@cache
def catalog(lang: str) -> dict[str, Template]:
    """The flat catalog of `lang` (empty when there is none)."""
    flat: dict[str, Template] = {}

    def walk(tree: Mapping[str, Any], prefix: str) -> None:
        for key, value in tree.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict) and value and set(value) <= PLURAL_CATEGORIES:
                flat[name] = {k: str(v) for k, v in value.items()}
            elif isinstance(value, dict):
                walk(value, f"{name}.")
            else:
                if name in flat:
                    raise RuntimeError(f"message {name!r} is defined twice in {lang}")
                flat[name] = str(value)

    for name, tree in _files(lang).items():
        if name != "_meta.toml":
            walk(tree, "")
    if lang == DEFAULT_LANG and not flat:
        raise RuntimeError("the default message catalog bot/locale/en/ is missing")
    return flat


@cache
def available() -> tuple[str, ...]:
    """Languages with a catalog of their own."""
    folder = resources.files("bot").joinpath("locale")
    return tuple(sorted(e.name for e in folder.iterdir() if e.is_dir() and _files(e.name)))


@cache
def complete() -> tuple[str, ...]:
    """Languages offered to members: their catalog has every key. Others (whose `_meta.toml`
    says `partial = true`) translate a part, such as the crisis reply."""
    return tuple(lang for lang in available() if not meta(lang).get("partial"))


def pick_language(*candidates: str | None) -> str:
    """The first candidate with a catalog ("pt-BR" and "pt_PT" mean "pt"), else English."""
    have = available()
    for candidate in candidates:
        if not candidate:
            continue
        code = candidate.replace("_", "-").split("-", 1)[0].casefold()
        if code in have:
            return code
    return DEFAULT_LANG


@cache
def _locale(lang: str) -> Locale:
    try:
        return Locale.parse(lang)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(DEFAULT_LANG)


def plural_category(lang: str, count: int | float | Decimal) -> str:
    value: float | Decimal = abs(count) if isinstance(count, Decimal) else abs(float(count))
    return str(_locale(lang).plural_form(value))


def plural_categories(lang: str) -> frozenset[str]:
    """The CLDR categories a plural template in `lang` must have."""
    return frozenset(_locale(lang).plural_form.tags) | {"other"}


@dataclass(frozen=True, slots=True)
class Translator:
    lang: str = DEFAULT_LANG

    def _template(self, key: str) -> Template:
        found = catalog(self.lang).get(key)
        if found is None:
            found = catalog(DEFAULT_LANG).get(key)
        if found is None:
            raise KeyError(f"no message {key!r} in the catalog")
        return found

    def __call__(self, key: str, /, **params: object) -> str:
        template = self._template(key)
        if not isinstance(template, str):
            raise TypeError(f"{key!r} has plural forms: use .n()")
        return template.format(**params)

    def n(self, key: str, count: int, /, **params: object) -> str:
        """The plural form of `key` for `count` ({n} is the count, formatted)."""
        template = self._template(key)
        if isinstance(template, str):
            return template.format(n=self.number(count), **params)
        form = template.get(plural_category(self.lang, count)) or template["other"]
        return form.format(n=self.number(count), **params)

    def has(self, key: str) -> bool:
        return key in catalog(self.lang) or key in catalog(DEFAULT_LANG)

    def number(self, value: int | float | Decimal) -> str:
        return str(format_decimal(value, locale=_locale(self.lang)))

    def date(self, day: datetime.date, form: str = "medium") -> str:
        return str(format_date(day, format=form, locale=_locale(self.lang)))

    def join(self, items: Iterable[str]) -> str:
        """'a, b and c' in the member's language."""
        listed = list(items)
        return str(format_list(listed, locale=_locale(self.lang))) if listed else ""


@cache
def translator(lang: str | None = None) -> Translator:
    return Translator(pick_language(lang))


ENGLISH = Translator(DEFAULT_LANG)


def t(key: str, lang: str = DEFAULT_LANG, /, **params: object) -> str:
    """The text for `key` in `lang` (falling back to English), with {params} filled in."""
    return translator(lang)(key, **params)


def has(key: str, lang: str = DEFAULT_LANG) -> bool:
    return translator(lang).has(key)
