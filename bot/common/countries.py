"""Countries as members type them: a two-letter code ("GB", "gb"), or a name in English or
another common language ("Spain", "España", "espana", "Deutschland", "UK", "the Netherlands").

Names come from CLDR through Babel, so there is no country list to keep up to date; a small
data file adds the names people use that CLDR doesn't (UK, England, Holland, USA)."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from functools import cache
from importlib import resources

from babel import Locale, UnknownLocaleError

NAME_LANGUAGES = ("en", "es", "fr", "de", "pt", "it", "nl")
# CLDR "territories" that are not countries a member lives in.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})


def _key(text: str) -> str:
    """Casefolded, without accents or punctuation, single-spaced, without a leading 'the'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    plain = plain.replace("&", " and ")
    plain = re.sub(r"[^\w]+", " ", plain).strip()
    return plain.removeprefix("the ").strip()


@cache
def codes() -> frozenset[str]:
    """Every ISO 3166 two-letter code of a country or territory people live in."""
    found = (str(k) for k in Locale.parse("en").territories)
    return frozenset(k for k in found if len(k) == 2 and k.isalpha() and k not in _NOT_COUNTRIES)


@cache
def _names() -> dict[str, str]:
    index: dict[str, str] = {}
    known = codes()
    for lang in NAME_LANGUAGES:
        for code, name in Locale.parse(lang).territories.items():
            if code in known:
                index.setdefault(_key(str(name)), str(code))
    raw = resources.files("bot").joinpath("data/country_aliases.toml").read_bytes()
    for alias, code in tomllib.loads(raw.decode("utf-8"))["aliases"].items():
        if code in known:
            index[_key(alias)] = code
    return index


# Two letters that are a country code but, typed in lower case in a conversation, are far
# more likely a word ("no", "me", "it", "is", "in", "am", "us"...).
_WORDS = frozenset({"no", "me", "it", "is", "in", "am", "as", "at", "be", "by", "do", "to",
                    "us", "my", "mo", "ma", "so", "si", "la", "de", "es", "tu"})


def resolve_country(text: str, *, conversational: bool = False) -> str | None:
    """The ISO code for what a member typed, or None when it names no country. In a
    conversation (free text, not a command) a lower-case word such as "no" is not Norway."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > 60:
        return None
    if len(cleaned) == 2 and cleaned.isascii() and cleaned.upper() in codes():
        if conversational and cleaned.islower() and cleaned in _WORDS:
            return None
        return cleaned.upper()
    return _names().get(_key(cleaned))


def country_name(code: str, lang: str = "en") -> str:
    """The country's name in the member's language ("Spain", "España"), else the code."""
    try:
        names = Locale.parse(lang).territories
    except (UnknownLocaleError, ValueError):
        names = Locale.parse("en").territories
    return str(names.get(code, code))
