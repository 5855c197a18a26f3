"""The message catalogs: every shipped language has every key, with the same placeholders and
the plural forms its language needs; a partial language (crisis only) has the whole crisis
reply. A complete translation mirrors English file by file. A translation is a folder of TOML
files and nothing else."""

from __future__ import annotations

import re
import string

import pytest

from bot.kernel.config import Settings
from bot.kernel.i18n import (
    DEFAULT_LANG,
    PLURAL_CATEGORIES,
    _files,
    available,
    catalog,
    complete,
    pick_language,
    plural_categories,
    translator,
)
from bot.sobriety.milestones import get_milestone, milestone_meaning, packaged_meanings
from bot.urges.coping import MAX_TEXT, coping_steps

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


def packaged_english() -> dict[str, str]:
    """Texts that ship as data, in English (coping steps, milestone meanings); a catalog may
    translate them under these keys."""
    return {s.text_key: s.text for s in coping_steps()} | packaged_meanings()


@pytest.mark.parametrize("lang", available())
def test_placeholders_and_plural_forms_agree_with_english(lang: str) -> None:
    english = catalog(DEFAULT_LANG) | packaged_english()
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
    assert es("core.sorry") != translator("en")("core.sorry")  # complete: no English fallback
    assert translator("xx")("core.sorry") == translator("en")("core.sorry")


def test_plurals_and_numbers_follow_the_language() -> None:
    en = translator("en")
    assert en.n("sober.days", 1) == "1 day" and en.n("sober.days", 1234) == "1,234 days"
    assert en.n("sober.hours", 1) == "1 hour"
    assert translator("es").number(1234.5) == "1.234,5"


# Keys a translation may give plural forms where English has one text: they are only ever
# read with Translator.n (Spanish says "tu logro de 1 año" / "de 30 días", English "1-year").
PLURAL_ONLY_ELSEWHERE = frozenset(
    f"milestone.adjective.{unit}" for unit in ("hours", "days", "months", "years")
)


def test_spanish_is_complete_and_offered() -> None:
    assert "es" in complete()
    assert Settings.model_validate({"community": {"language": "es"}}).community.language == "es"


@pytest.mark.parametrize("lang", [lang for lang in complete() if lang != DEFAULT_LANG] or ["-"])
def test_a_complete_language_says_exactly_what_english_says(lang: str) -> None:
    """The same placeholders as English, no fewer (a dropped {time} hides a fact) and no more;
    plural where English is plural, with every category the language needs."""
    if lang == "-":
        pytest.skip("English is the only complete language so far")
    english, mine = catalog(DEFAULT_LANG), catalog(lang)
    needed = plural_categories(lang)
    for key, template in english.items():
        theirs = mine[key]
        assert placeholders(theirs) == placeholders(template), (lang, key)
        if isinstance(template, dict):
            assert isinstance(theirs, dict), f"{lang}: {key} needs plural forms"
            assert needed | set(template) <= set(theirs), (lang, key)
        elif isinstance(theirs, dict):
            assert key in PLURAL_ONLY_ELSEWHERE, f"{lang}: {key} is read as one text"
            assert needed <= set(theirs), (lang, key)
    for key, text in packaged_english().items():
        if key in mine:
            assert isinstance(mine[key], str), (lang, key)
            assert placeholders(mine[key]) == placeholders(text), (lang, key)


@pytest.mark.parametrize("lang", [lang for lang in complete() if lang != DEFAULT_LANG] or ["-"])
def test_a_complete_language_mirrors_the_english_files(lang: str) -> None:
    """Same file names, and each key in the file English keeps it in (features never edit
    each other's text)."""
    if lang == "-":
        pytest.skip("English is the only complete language so far")
    assert set(_files(lang)) - {"_meta.toml"} == set(_files(DEFAULT_LANG))
    data = set(packaged_english())
    for name, tree in _files(DEFAULT_LANG).items():
        assert _keys(_files(lang)[name]) - data == _keys(tree), (lang, name)


def test_spanish_translates_the_packaged_texts_too() -> None:
    """A Spanish member's /urge step and milestone line are Spanish, and short enough."""
    es = catalog("es")
    missing = sorted(set(packaged_english()) - set(es))
    assert missing == [], missing[:10]
    assert all(len(str(es[s.text_key])) <= MAX_TEXT for s in coping_steps())
    year = get_milestone("1y")
    assert milestone_meaning(year, "AA", translator("es")).startswith("1 año. ")
    assert milestone_meaning(get_milestone("5y"), "NA", translator("es")).startswith("5 años. ")
    assert milestone_meaning(year, "AA", translator("en")) == milestone_meaning(year, "AA")


def test_commands_and_markup_stay_as_typed() -> None:
    """Command names, /settings words and {placeholders} are typed as English; a translation
    keeps every /command its English text names (and adds none)."""
    english = catalog(DEFAULT_LANG) | packaged_english()
    for lang in complete():
        for key, template in catalog(lang).items():
            assert _commands(template) == _commands(english[key]), (lang, key)


def _keys(tree: dict[str, object], prefix: str = "") -> set[str]:
    found: set[str] = set()
    for key, value in tree.items():
        if isinstance(value, dict) and not (value and set(value) <= PLURAL_CATEGORIES):
            found |= _keys(value, f"{prefix}{key}.")
        else:
            found.add(f"{prefix}{key}")
    return found


def _commands(template: object) -> set[str]:
    forms = template.values() if isinstance(template, dict) else [template]
    return {c for form in forms for c in re.findall(r"(?<![\w/])/[a-z_]+", str(form))}
