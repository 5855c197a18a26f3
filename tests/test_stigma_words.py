"""Words that reduce stigma. Harbor's own texts (every catalog, in every language, and the
packaged family resources) use person-first, non-judgmental language: no "addict" or
"junkie" as a label for a person, no "abuser", no "clean" or "dirty" for people or tests.
A member's own words are theirs: Harbor shows them as written and never corrects them."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from adapters.console import ConsoleAdapter
from bot.kernel.i18n import available, catalog
from bot.supporters.model import family_resources

# (pattern, why it hurts, what to say instead). Checked in every language's catalog.
EVERYWHERE: tuple[tuple[str, str, str], ...] = (
    (r"addicts?", "a label that reduces a person to a condition", "person in recovery, member"),
    (r"junk(?:y|ie|ies)", "a slur", "person who uses drugs"),
    (r"druggies?", "a slur", "person who uses drugs"),
    (r"(?:substance |drug |alcohol )?abusers?", "casts a person as a wrongdoer", "person who uses"),
    (r"(?:substance|drug|alcohol) abuse", "moral framing of a health condition", "substance use"),
    (r"clean", "implies people who use are 'dirty'", "sober, in recovery, days without using"),
    (r"dirty", "shames a person or a test result", "testing positive, still using"),
)
BY_LANGUAGE: dict[str, tuple[tuple[str, str, str], ...]] = {
    "es": (
        (r"drogadict[oa]s?", "una etiqueta", "persona que usa drogas"),
        (r"yon(?:qui|ki)s?", "un insulto", "persona que usa drogas"),
        (r"toxicóman[oa]s?", "una etiqueta", "persona con un trastorno por consumo"),
        (r"adict[oa]s?", "una etiqueta", "persona en recuperación"),
    ),
}

# Keys whose wording is waiting for a change (the second test fails once one is reworded).
PENDING: dict[str, str] = {}


def _patterns(lang: str) -> list[tuple[re.Pattern[str], str, str]]:
    return [
        (re.compile(rf"\b{p}\b", re.IGNORECASE), why, instead)
        for p, why, instead in (*EVERYWHERE, *BY_LANGUAGE.get(lang, ()))
    ]


def stigmatising(text: str, lang: str = "en") -> list[tuple[str, str, str]]:
    """(word found, why it hurts, what to say instead) for each hit in `text`."""
    found = []
    for pattern, why, instead in _patterns(lang):
        for match in pattern.finditer(text):
            found.append((match.group(0), why, instead))
    return found


def catalog_hits() -> dict[str, list[tuple[str, str, str]]]:
    hits: dict[str, list[tuple[str, str, str]]] = {}
    for lang in available():
        for key, template in catalog(lang).items():
            forms = template.values() if isinstance(template, dict) else [template]
            for form in forms:
                if found := stigmatising(form, lang):
                    hits.setdefault(key if lang == "en" else f"{lang}:{key}", []).extend(found)
    return hits


def test_the_check_itself() -> None:
    assert [w for w, _, _ in stigmatising("Total clean days for every addict")] == [
        "addict",
        "clean",
    ]
    assert stigmatising("Addiction is a health condition; people in recovery") == []
    assert stigmatising("a substance abuser, a dirty test, junkies") != []
    assert [w for w, _, _ in stigmatising("no es un drogadicto", "es")] == ["drogadicto"]


def test_catalogs_use_person_first_language() -> None:
    new = {key: found for key, found in catalog_hits().items() if key not in PENDING}
    report = "\n".join(
        f"{key}: '{word}' ({why}); say instead: {instead}"
        for key, found in sorted(new.items())
        for word, why, instead in found
    )
    assert not new, f"stigmatising words in the catalogs:\n{report}"


def test_pending_keys_still_need_a_change() -> None:
    hits = catalog_hits()
    fixed = sorted(key for key in PENDING if key not in hits)
    assert not fixed, f"reworded, so take them off PENDING: {fixed}"


def test_packaged_family_resources_use_person_first_language() -> None:
    for row in family_resources():
        for text in (row.name, row.for_whom, row.notes):
            assert stigmatising(text) == [], (row.name, text)


def test_catalog_files_are_all_scanned() -> None:
    folder = resources.files("bot").joinpath("locale")
    langs = {e.name for e in folder.iterdir() if e.is_dir()}
    assert langs == set(available())  # no language folder is skipped


@pytest.mark.parametrize(
    "intro",
    [
        "Clean 6 years. I'm a grateful addict and I love this group.",
        "Sober since 2019; meetings saved my life.",
    ],
)
async def test_a_members_own_words_are_never_corrected(console: ConsoleAdapter, intro: str) -> None:
    await console.push(":group recovery")
    await console.push("hello")
    await console.push(":dm")
    await console.push("/sober 2019-01-01 clean time")
    said = await console.push(f"/mentor volunteer {intro} | English | evenings")
    assert "You're now a mentor volunteer" in said[0].text
    await console.push("/mentor temporary on")
    await console.push(":as Sam")
    await console.push(":group recovery")
    await console.push("hi")
    said = await console.push("/mentor list")
    assert f"  {intro}" in said[0].text  # as they wrote it: no correction, no lecture
