"""Helpline data and loader: every number comes from the CSV, never from code."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bot.crisis.helplines import FALLBACK, Helpline, Helplines

DATA = Path(__file__).resolve().parents[1] / "bot" / "data" / "helplines.csv"
SHARED = Path("/work/shared/data/helplines.csv")
# The countries of the shared corpus (the issue says 16; the shared file has these 15).
COUNTRIES = ["AU", "BR", "CA", "DE", "ES", "FR", "GB", "IE", "IN", "JP", "MX", "NL", "NZ",
             "PH", "US"]


@pytest.fixture(scope="module")
def lines() -> Helplines:
    return Helplines.load()


def _raw_rows() -> list[dict[str, str]]:
    with DATA.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_packaged_load_equals_explicit_path(lines: Helplines) -> None:
    assert Helplines.load(DATA).rows() == lines.rows()


@pytest.mark.parametrize("iso", COUNTRIES)
def test_every_country_has_emergency_and_crisis_line(lines: Helplines, iso: str) -> None:
    c = lines.for_country(iso)
    assert c.country == iso and lines.known(iso)
    assert c.emergency, iso
    assert c.crisis, iso
    assert all(h.dial for h in (*c.emergency, *c.crisis, *c.drugs))
    assert all(h.source and h.checked for h in (*c.emergency, *c.crisis, *c.drugs))
    assert c.checked == "2026-11"


def test_countries_lists_shared_corpus(lines: Helplines) -> None:
    assert lines.countries() == COUNTRIES
    if SHARED.exists():
        with SHARED.open(newline="", encoding="utf-8") as f:
            shared = {r["country_iso2"] for r in csv.DictReader(f)}
        assert shared <= set(lines.countries())


def test_emergency_numbers(lines: Helplines) -> None:
    dials = {iso: [h.dial for h in lines.for_country(iso).emergency] for iso in COUNTRIES}
    assert dials["US"] == ["911"] and dials["AU"] == ["000"] and dials["NZ"] == ["111"]
    assert dials["GB"] == ["999 / 112"] and dials["JP"] == ["119", "110"]
    assert dials["BR"] == ["192", "190"]


def test_verify_rows_flagged_unverified(lines: Helplines) -> None:
    flagged = {(h.country, h.service) for h in lines.rows() if h.unverified}
    expected = {(r["country_iso2"], r["service"]) for r in _raw_rows()
                if "VERIFY" in r["verification"]}
    assert flagged == expected
    assert ("GB", "FRANK (national drugs helpline)") in flagged
    assert ("FR", "Drogues Info Service") in flagged
    samaritans = [h for h in lines.for_country("GB").crisis if h.service == "Samaritans"]
    assert samaritans and not samaritans[0].unverified


def test_drug_lines_are_separate(lines: Helplines) -> None:
    us = lines.for_country("us")
    assert [h.service for h in us.drugs] == ["SAMHSA National Helpline"]
    assert "SAMHSA National Helpline" not in [h.service for h in us.crisis]


@pytest.mark.parametrize("iso", [None, "", "ZZ", "intl", "xx "])
def test_unknown_country_falls_back_to_intl(lines: Helplines, iso: str | None) -> None:
    c = lines.for_country(iso)
    assert c.country == FALLBACK
    assert c.emergency == ()  # the reply says "your local emergency number", translated
    assert [h.dial for h in c.crisis] == ["https://findahelpline.com"]
    assert not lines.known("ZZ") and not lines.known(FALLBACK)


def test_every_dial_string_is_verbatim_in_csv(lines: Helplines) -> None:
    text = DATA.read_text("utf-8")
    dial_column = {r["dial_string"] for r in _raw_rows()}
    for h in lines.rows():
        assert h.dial in text and h.dial in dial_column


def _line(country: str, service: str, dial: str) -> Helpline:
    return Helpline(country, service, "suicide/crisis", "call", dial, "24/7", "",
                    "community moderator", "2026-11", True)


def test_overrides_replace_and_add(lines: Helplines) -> None:
    replaced = _line("GB", "Samaritans", "116 123 (override)")
    added = _line("gb", "Local peer line", "0123 456")
    new_country = _line("SE", "Mind Självmordslinjen", "90101")
    merged = lines.with_overrides([replaced, added, new_country])
    gb = merged.for_country("GB")
    services = [h.service for h in gb.crisis]
    assert services.count("Samaritans") == 1
    assert next(h for h in gb.crisis if h.service == "Samaritans").dial == "116 123 (override)"
    assert "Local peer line" in services
    assert merged.known("SE") and merged.for_country("se").crisis[0].dial == "90101"
    # The original is untouched.
    assert lines.for_country("GB").crisis[0].dial == "116 123"
    assert not lines.known("SE")
