"""Words that reduce stigma. Harbor's own texts (every catalog, in every language, every
packaged TOML file under bot/ (milestone lines, coping steps, ...), and the packaged family
resources and helplines) use person-first, non-judgmental language: no "addict" or "junkie"
as a label for a person, no "abuser", no "clean" or "dirty" for people or tests. A member's
own words are theirs: Harbor shows them as written and never corrects them."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable

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

# Proper names Harbor may print as they are, though they contain a checked word, each with
# why: an organisation's or a helpline's own name is how people find it (say, the "Substance
# Abuse and Mental Health Services Administration"). Only whole names are spared, never the
# word elsewhere; an entry no packaged text uses any more fails test_proper_names_are_in_use.
PROPER_NAMES: dict[str, str] = {}


def _patterns(lang: str) -> list[tuple[re.Pattern[str], str, str]]:
    return [
        (re.compile(rf"\b{p}\b", re.IGNORECASE), why, instead)
        for p, why, instead in (*EVERYWHERE, *BY_LANGUAGE.get(lang, ()))
    ]


def stigmatising(
    text: str, lang: str = "en", spared: dict[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """(word found, why it hurts, what to say instead) for each hit in `text`, once the
    proper names in `spared` (default PROPER_NAMES) are set aside."""
    for name in PROPER_NAMES if spared is None else spared:
        text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
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


def toml_texts(raw: str) -> Iterator[tuple[str, str]]:
    """(dotted key, text) for every string in a TOML document, in tables, arrays of tables
    and lists alike."""

    def walk(node: object, where: str) -> Iterator[tuple[str, str]]:
        if isinstance(node, str):
            yield where, node
        elif isinstance(node, dict):
            for key, value in node.items():
                yield from walk(value, f"{where}.{key}" if where else str(key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{where}[{index}]")

    yield from walk(tomllib.loads(raw), "")


def packaged_tomls(
    folder: Traversable | None = None, prefix: str = ""
) -> Iterator[tuple[str, Traversable]]:
    """Every TOML file inside the bot package (bot/data, bot/*/data, bot/locale/*, and any
    added later), as (path below bot/, file)."""
    folder = folder or resources.files("bot")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.is_dir() and entry.name != "__pycache__":
            yield from packaged_tomls(entry, f"{prefix}{entry.name}/")
        elif entry.name.endswith(".toml"):
            yield f"{prefix}{entry.name}", entry


def _lang_of(path: str) -> str:
    parts = path.split("/")
    return parts[1] if parts[0] == "locale" and len(parts) > 2 else "en"


def packaged_text_hits(spared: dict[str, str] | None = None) -> dict[str, list[str]]:
    """'file: key' -> the words found, over every packaged TOML text and the packaged
    helplines' names and notes (what Harbor prints from them)."""
    hits: dict[str, list[str]] = {}
    for path, entry in packaged_tomls():
        for key, text in toml_texts(entry.read_text(encoding="utf-8")):
            if found := stigmatising(text, _lang_of(path), spared):
                hits[f"{path}: {key}"] = [w for w, _, _ in found]
    raw = resources.files("bot").joinpath("data/helplines.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(io.StringIO(raw)):
        for column in ("service", "focus", "notes"):
            if found := stigmatising(row[column], "en", spared):
                hits[f"data/helplines.csv: {row['service']}.{column}"] = [w for w, _, _ in found]
    return hits


def test_the_check_itself() -> None:
    assert [w for w, _, _ in stigmatising("Total clean days for every addict")] == [
        "addict",
        "clean",
    ]
    assert stigmatising("Addiction is a health condition; people in recovery") == []
    assert stigmatising("a substance abuser, a dirty test, junkies") != []
    assert [w for w, _, _ in stigmatising("no es un drogadicto", "es")] == ["drogadicto"]
    # A spared proper name is set aside whole; the same word elsewhere is still caught.
    agency = {"Substance Abuse and Mental Health Services Administration": "a US agency"}
    text = "Call the Substance Abuse and Mental Health Services Administration, not a junkie"
    assert sorted(w for w, _, _ in stigmatising(text)) == ["Substance Abuse", "junkie"]
    assert [w for w, _, _ in stigmatising(text, spared=agency)] == ["junkie"]


def test_the_toml_scan_reads_every_string() -> None:
    raw = 'a = "fine"\n[t]\nx = ["ok", "two months clean"]\n[[step]]\ntext = "a dirty test"\n'
    found = {key: [w for w, _, _ in stigmatising(text)] for key, text in toml_texts(raw)}
    assert {k: v for k, v in found.items() if v} == {"t.x[1]": ["clean"], "step[0].text": ["dirty"]}


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


def test_packaged_toml_files_use_person_first_language() -> None:
    hits = packaged_text_hits()
    report = "\n".join(f"{where}: {', '.join(words)}" for where, words in sorted(hits.items()))
    assert not hits, f"stigmatising words in packaged data:\n{report}"


def test_every_kind_of_packaged_toml_is_scanned() -> None:
    scanned = {path for path, _ in packaged_tomls()}
    # The milestone lines, the coping steps, and the English catalog, at least.
    assert {"data/milestones.toml", "urges/data/coping.toml", "locale/en/sobriety.toml"} <= scanned
    assert {p.split("/")[0] for p in scanned} >= {"data", "urges", "locale"}


def test_proper_names_are_in_use() -> None:
    """A spared name that nothing packaged prints any more is taken off PROPER_NAMES."""
    everything = " ".join(
        text
        for _, entry in packaged_tomls()
        for _, text in toml_texts(entry.read_text(encoding="utf-8"))
    ) + resources.files("bot").joinpath("data/helplines.csv").read_text(encoding="utf-8")
    unused = [n for n in PROPER_NAMES if n.casefold() not in everything.casefold()]
    assert not unused, f"no longer printed, so take them off PROPER_NAMES: {unused}"


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
