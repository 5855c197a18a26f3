"""Meeting languages: Meeting Guide language type codes <-> ISO 639-1 codes.

Meeting Guide marks a meeting's language with a type code, several of which are not ISO codes
("S" is Spanish, "POR" Portuguese, and "UK" is Ukrainian, not British English). Members and
BMLT speak ISO codes ("es", "ENG", "FIN"), so everything is translated through this table.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources

from bot.meetings.model import one_line

# Meeting Guide type code -> ISO 639-1. Only the language codes of the spec's type list.
TYPE_TO_ISO: dict[str, str] = {
    "AF": "af", "AM": "am", "AR": "ar", "BG": "bg", "DA": "da", "DE": "de", "EL": "el",
    "EN": "en", "FA": "fa", "FI": "fi", "FR": "fr", "HE": "he", "HI": "hi", "HR": "hr",
    "HU": "hu", "IS": "is", "ITA": "it", "JA": "ja", "KA": "ka", "KOR": "ko", "LT": "lt",
    "ML": "ml", "MT": "mt", "NE": "ne", "NL": "nl", "NO": "no", "POL": "pl", "POR": "pt",
    "PUN": "pa", "RUS": "ru", "S": "es", "SK": "sk", "SL": "sl", "SV": "sv", "TH": "th",
    "TL": "tl", "TUR": "tr", "UK": "uk",
}  # fmt: skip
ISO_TO_TYPE: dict[str, str] = {iso: code for code, iso in TYPE_TO_ISO.items()}

# ISO 639-2 (B and T) three-letter codes seen as BMLT language format keys, -> ISO 639-1.
_ISO3_TO_ISO1: dict[str, str] = {
    "afr": "af", "amh": "am", "ara": "ar", "bul": "bg", "dan": "da", "ger": "de", "deu": "de",
    "gre": "el", "ell": "el", "eng": "en", "per": "fa", "fas": "fa", "fin": "fi", "fre": "fr",
    "fra": "fr", "heb": "he", "hin": "hi", "hrv": "hr", "hun": "hu", "ice": "is", "isl": "is",
    "ita": "it", "jpn": "ja", "geo": "ka", "kat": "ka", "kor": "ko", "lit": "lt", "mal": "ml",
    "mlt": "mt", "nep": "ne", "dut": "nl", "nld": "nl", "nor": "no", "pol": "pl", "por": "pt",
    "pan": "pa", "rus": "ru", "spa": "es", "esp": "es", "slo": "sk", "slk": "sk", "slv": "sl",
    "swe": "sv", "tha": "th", "tgl": "tl", "tur": "tr", "ukr": "uk",
}  # fmt: skip


def languages_of(types: Iterable[str]) -> tuple[str, ...]:
    """ISO codes of the language types among `types`, in their order."""
    out: list[str] = []
    for code in types:
        iso = TYPE_TO_ISO.get(code)
        if iso is not None and iso not in out:
            out.append(iso)
    return tuple(out)


def iso_from_code(code: str) -> str | None:
    """'es', 'ES', 'spa', 'ENG', 'fin' -> ISO 639-1; None when unknown. For BMLT language
    format keys, which are ISO-like but vary by server."""
    c = code.strip().lower()
    if len(c) == 2 and c in ISO_TO_TYPE:
        return c
    return _ISO3_TO_ISO1.get(c)


@cache
def _names() -> dict[str, str]:
    # Every language's name in every language of the spec's table: "spanish", "español"...
    raw = resources.files("bot").joinpath("data/meeting-guide-types.json").read_text("utf-8")
    table: dict[str, dict[str, str]] = json.loads(raw)
    names: dict[str, str] = {}
    for code, iso in TYPE_TO_ISO.items():
        for name in table.get(code, {}).values():
            names.setdefault(one_line(name).casefold(), iso)
    return names


def parse_language(text: str) -> str | None:
    """A member's language word -> ISO 639-1: 'es', 'spa', 'Spanish', 'español' -> 'es'.
    Meeting Guide codes are accepted only where they are not also ISO codes of another
    language ('S' and 'POR' are, 'UK' means Ukrainian either way)."""
    t = one_line(text).casefold()
    if not t:
        return None
    iso = iso_from_code(t)
    if iso is not None:
        return iso
    by_type = TYPE_TO_ISO.get(t.upper())
    if by_type is not None:
        return by_type
    return _names().get(t)
