"""Crisis support through the core: /crisis, detection, countries, moderators' alerts and
lines, repeat limiting, Spanish, and the database being down."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from bot.app import build
from bot.cli import crisis_scan
from bot.crisis.helplines import Helplines
from bot.kernel.clock import ManualClock
from bot.kernel.config import Settings
from storage import open_store
from storage.sql.store import SQLStore

ROOT = Path(__file__).resolve().parent.parent
HELPLINES = Helplines.load()
CRISIS = "I can't do this anymore, I want to kill myself"


@pytest.fixture
async def mono_console(
    store: SQLStore, clock: ManualClock, settings: Settings
) -> AsyncIterator[ConsoleAdapter]:
    """A console whose crisis repeat limit runs on the manual clock."""
    harbor = build(store, clock, settings, monotonic=lambda: clock.now().timestamp())

    async def on_time() -> None:
        await harbor.tick()

    console = ConsoleAdapter(clock=clock, on_time=on_time)
    harbor.attach(console)
    await console.start(harbor.core)
    yield console


@pytest.mark.parametrize("country", HELPLINES.countries())
async def test_crisis_reply_for_each_country(console: ConsoleAdapter, country: str) -> None:
    await console.push(f"/settings country {country}")
    said = await console.push("/crisis")
    text = said[0].text
    lines = HELPLINES.for_country(country)
    assert lines.emergency and lines.crisis
    for line in (*lines.emergency, *lines.crisis, *lines.drugs):
        assert line.dial in text, f"{country}: {line.service} missing"
    assert f"Numbers checked {lines.checked}" in text
    assert "not alone" in text and "immediate danger" in text
    assert said[0].to == "Alex (private)"
    for unverified in (x for x in lines.drugs if x.unverified):
        assert f"{unverified.dial} ({unverified.contact_type.replace('+', ' / ')}" in text
        assert "unverified" in text


async def test_without_country_the_config_default_then_international(
    store: SQLStore, clock: ManualClock
) -> None:
    for default, expected in (("GB", "116 123"), (None, "findahelpline.com")):
        settings = Settings.model_validate({"community": {"country": default}} if default else {})
        harbor = build(store, clock, settings)
        console = ConsoleAdapter(clock=clock)
        harbor.attach(console)
        await console.start(harbor.core)
        said = await console.push("/sos")
        assert expected in said[0].text


async def test_crisis_in_a_group_is_answered_privately(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    said = await console.push("/crisis")
    assert said[0].to == "Alex (private)" and "988" not in said[1].text
    assert said[1].to == "group recovery" and "private message" in said[1].text
    said = await console.push(CRISIS)
    assert [s.to for s in said] == ["Alex (private)"]  # nothing public by default
    assert "automated message" in said[0].text


async def test_gentle_public_line_when_the_community_enables_it(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community crisis_line on")
    await console.push(":as Sam")
    said = await console.push(CRISIS)
    public = [s.text for s in said if s.to == "group recovery"]
    assert len(public) == 1 and "you're not alone" in public[0]
    assert "kill" not in public[0] and "Sam" not in public[0]


async def test_moderator_alerts_only_when_enabled(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("hello")  # Alex is known as a moderator of the group
    await console.push(":as Sam")
    said = await console.push(CRISIS)
    assert [s.to for s in said] == ["Sam (private)"]
    assert "moderator" not in said[0].text
    await console.push(":as Alex")
    await console.push("/community crisis_alerts on")
    await console.push(":as Kim")
    said = await console.push(CRISIS)
    alert = [s for s in said if s.to == "Alex (private)"]
    assert len(alert) == 1
    assert "Kim" in alert[0].text and "caring check-in" in alert[0].text
    assert "kill" not in alert[0].text  # points to the message, never quotes it
    mine = [s for s in said if s.to == "Kim (private)"]
    assert "moderator of your community may also reach out" in mine[0].text


async def test_repeats_are_limited_but_crisis_always_answers(
    mono_console: ConsoleAdapter, clock: ManualClock
) -> None:
    console = mono_console
    assert len(await console.push(CRISIS)) == 1
    again = await console.push("I still want to die")
    assert all("Numbers checked" not in s.text for s in again)  # not the same list again
    said = await console.push("/crisis")
    assert "988" in said[0].text or "findahelpline" in said[0].text
    clock.advance(timedelta(minutes=31))
    assert len(await console.push(CRISIS)) == 1


async def test_spanish_is_detected_and_answered_in_spanish(console: ConsoleAdapter) -> None:
    await console.push("/settings country ES")
    said = await console.push("ya no aguanto más, quiero morirme")
    assert "024" in said[0].text
    assert "No estás solo/a" in said[0].text


async def test_overdose_puts_the_emergency_number_first(console: ConsoleAdapter) -> None:
    await console.push("/settings country US")
    said = await console.push("my friend took too many pills and he's not breathing")
    first_line = said[0].text.splitlines()[0]
    assert "911" in first_line and "overdosed" in first_line


async def test_ordinary_recovery_talk_is_not_flagged(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    for text in (
        "you're killing it, 90 days!",
        "I'm dying to see everyone at the meeting",
        "two years ago I wanted to die; today I'm grateful",
        "Narcan training on Tuesday at 7",
        "I'm not suicidal, just tired",
    ):
        assert await console.push(text) == [], text


async def test_moderators_add_and_override_lines(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    said = await console.push("/community helpline add City Crisis Team | 555 0100 | call")
    assert "Only moderators" in said[0].text
    await console.push(":mod on")
    said = await console.push("/community helpline add City Crisis Team | 555 0100 | call")
    assert "Which country" in said[0].text  # a line belongs to a country
    await console.push("/community country US")
    said = await console.push("/community helpline add City Crisis Team | 555 0100 | call")
    assert "Added" in said[0].text and "US" in said[0].text
    for bad in (
        "Bad <b> | 1 | call",
        "Calm | call 555 now | call",
        "Police | 999 | call | emergency",
    ):
        said = await console.push(f"/community helpline add {bad}")
        assert "couldn't add" in said[0].text, bad
    said = await console.push("/community helpline add 988 Suicide & Crisis Lifeline | 999 | call")
    assert "national line" in said[0].text  # never a look-alike of a national line
    await console.push("/community helpline add Local Text Line | Text CIRCLE to 741741 | text")
    await console.push("/community helpline add GB London Night Line | 020 7946 0000 | call")
    await console.push(":as Sam")
    await console.push("hi")
    await console.push(":dm")
    await console.push("/settings country US")
    said = await console.push("/crisis")
    text = said[0].text
    assert "City Crisis Team: 555 0100" in text and "Text CIRCLE to 741741" in text
    assert "Text HOME to 741741" in text and "911" in text  # national lines stay
    assert text.index("Added by this community's moderators") > text.index("988")
    assert "(added by Alex" in text and "London Night Line" not in text  # GB only
    await console.push(":as Alex")
    await console.push(":group recovery")
    said = await console.push("/community helpline remove City Crisis Team")
    assert "Removed" in said[0].text


async def test_crisis_reply_works_with_the_database_down(
    tmp_path: Path, clock: ManualClock
) -> None:
    store = await open_store(tmp_path / "down.db")
    settings = Settings.model_validate({"community": {"country": "AU"}})
    harbor = build(store, clock, settings)
    console = ConsoleAdapter(clock=clock)
    harbor.attach(console)
    await console.start(harbor.core)
    await store.close()  # the database is gone from here on
    said = await console.push("/crisis")
    assert "13 11 14" in said[0].text and "000" in said[0].text
    said = await console.push(CRISIS)
    assert "13 11 14" in said[0].text  # detection and the reply need no storage
    assert len(said) == 1


def test_crisis_scan_cli() -> None:
    lines = "I want to kill myself\nthis heat is killing me\nme quiero suicidar\n"
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "crisis-scan", "--lang", "auto"],
        cwd=ROOT,
        input=lines,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0
    records = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["crisis"] for r in records] == [True, False, True]
    assert records[0]["kind"] == "suicide" and records[1]["kind"] is None
    assert all(set(r) >= {"crisis", "kind", "score"} for r in records)


@pytest.mark.parametrize("lang", ["en", "es", "pt", "fr", "de"])
def test_crisis_scan_lang_forces_the_language(lang: str) -> None:
    out = io.StringIO()
    assert crisis_scan(lang, io.StringIO("quiero morir\nI want to die\n"), out) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["lang"] for r in records] == [lang, lang]
    assert all(r["crisis"] for r in records)  # the rules of every language still run


async def test_crisis_words_are_never_echoed_as_a_form_answer(console: ConsoleAdapter) -> None:
    await console.push("/start")  # asks for a time zone: free text would answer it
    said = await console.push(CRISIS)
    assert len(said) == 1 and "not alone" in said[0].text
    assert all("time zone" not in s.text for s in said)


async def test_crisis_command_promises_no_moderator_message(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community crisis_alerts on")
    await console.push(":as Sam")
    said = await console.push("/crisis")
    assert "moderator" not in said[0].text  # /crisis sends no alert, so promises none


async def test_no_alert_to_someone_who_no_longer_moderates(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community crisis_alerts on")
    await console.push(":mod off")  # Alex steps down (the platform says so)
    await console.push(":as Sam")
    said = await console.push(CRISIS)
    assert [s.to for s in said] == ["Sam (private)"]
