"""The message catalogs: every shipped language has every key, with the same placeholders and
the plural forms its language needs; a partial language (crisis only) has the whole crisis
reply. A translation is a folder of TOML files and nothing else."""

from __future__ import annotations

import string

import pytest

from bot.kernel.i18n import (
    DEFAULT_LANG,
    available,
    catalog,
    complete,
    pick_language,
    plural_categories,
    translator,
)

FORMATTER = string.Formatter()


def placeholders(template: object) -> set[str]:
    forms = template.values() if isinstance(template, dict) else [template]
    return {name for form in forms for _, name, _, _ in FORMATTER.parse(str(form)) if name}


@pytest.mark.parametrize("lang", [lang for lang in complete() if lang != DEFAULT_LANG] or ["-"])
def test_every_shipped_language_has_every_key(lang: str) -> None:
    if lang == "-":
        pytest.skip("English is the only complete language so far")
    missing = sorted(set(catalog(DEFAULT_LANG)) - set(catalog(lang)))
    assert missing == [], f"{lang} lacks {missing[:10]}"


@pytest.mark.parametrize("lang", available())
def test_placeholders_and_plural_forms_agree_with_english(lang: str) -> None:
    english = catalog(DEFAULT_LANG)
    for key, template in catalog(lang).items():
        assert key in english, f"{lang}: {key} is not an English key"
        assert placeholders(template) <= placeholders(english[key]) | {"n"}, (lang, key)
        if isinstance(template, dict):
            assert plural_categories(lang) <= set(template), (lang, key)


@pytest.mark.parametrize("lang", available())
def test_a_crisis_language_has_the_whole_crisis_reply(lang: str) -> None:
    crisis = {k for k in catalog(DEFAULT_LANG) if k.startswith("crisis.")}
    mine = {k for k in catalog(lang) if k.startswith("crisis.")}
    if mine:
        assert crisis - mine == set(), f"{lang} has part of the crisis reply only"


def test_language_choice_and_fallback() -> None:
    assert pick_language("es-MX") == "es"
    assert pick_language("xx", None, "es") == "es"
    assert pick_language("xx") == DEFAULT_LANG
    es = translator("es")
    assert es("crisis.or") == "o"
    assert es("core.sorry") == translator("en")("core.sorry")  # partial: English fallback


def test_plurals_and_numbers_follow_the_language() -> None:
    en = translator("en")
    assert en.n("sober.days", 1) == "1 day" and en.n("sober.days", 1234) == "1,234 days"
    assert en.n("sober.hours", 1) == "1 hour"
    assert translator("es").number(1234.5) == "1.234,5"
