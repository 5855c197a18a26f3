"""Milestone cards as members receive them: a PNG in the community's program style with the
private congratulation, the member's name only where they chose to be named, the group
post's card only under the existing opt-ins, through the outbox like any message."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from PIL import Image

from adapters.console import ConsoleAdapter, Said
from bot.kernel.clock import ManualClock
from bot.kernel.runtime import Harbor
from bot.sobriety.card import CARD_SIZE, card_colour, layout_card, render_card
from bot.sobriety.milestones import PROGRAMS, get_milestone, milestone_meaning
from storage.sql.store import SQLStore
from tests.test_card import assert_fits, assert_png

MORNING = "2026-11-26T09:30+00:00"  # the 30-day milestone of a 2026-10-27 start


async def set_up_group(console: ConsoleAdapter, program: str = "general") -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community announce")
    await console.push("/community celebrations on")
    await console.push(f"/community program {program}")
    await console.push("hello")


def congratulation(said: list[Said], to: str = "Alex (private)") -> Said:
    (found,) = [s for s in said if s.to == to and "Congratulations" in s.text]
    return found


@pytest.mark.parametrize("program", PROGRAMS)
async def test_each_programs_card_arrives_with_the_congratulation(
    console: ConsoleAdapter, program: str
) -> None:
    await set_up_group(console, program)
    await console.push(":dm")
    await console.push("/sober 2026-10-27")
    note = congratulation(await console.push(f":time {MORNING}"))
    assert note.image is not None
    image = assert_png(note.image)
    assert image.size == CARD_SIZE
    m = get_milestone("30d")
    # The card is the program's: the same as drawing it directly (and its text fits).
    wording = milestone_meaning(m, program)
    assert note.image == render_card("30 days", program, wording, card_colour(program, "30d"),
                                     None, locale="en")  # fmt: skip
    assert_fits(layout_card("30 days", program, wording, card_colour(program, "30d"), None,
                            locale="en"))  # fmt: skip
    assert note.image_alt.startswith("A milestone card: 30 days.")


async def test_no_name_on_the_card_unless_the_member_celebrates_somewhere(
    console: ConsoleAdapter,
) -> None:
    await set_up_group(console, "NA")
    await console.push(":dm")
    await console.push("/sober 2026-10-27")
    anonymous = congratulation(await console.push(f":time {MORNING}")).image
    wording = milestone_meaning(get_milestone("60d"), "NA")
    await console.push(":group recovery")
    await console.push("/celebrate on")
    said = await console.push(":time 2026-12-26T09:30+00:00")
    named = congratulation(said).image
    assert anonymous is not None and named is not None
    assert named == render_card("60 days", "NA", wording, "green", "Alex", locale="en")
    (post,) = [s for s in said if s.to == "group recovery"]
    assert post.image == named and "Alex celebrates 60 days" in post.text


async def test_the_group_sees_no_card_without_the_opt_ins(console: ConsoleAdapter) -> None:
    await set_up_group(console)
    await console.push("/community celebrations off")
    await console.push("/celebrate on")  # the member chose it, the community did not
    await console.push(":dm")
    await console.push("/sober 2026-10-27")
    said = await console.push(f":time {MORNING}")
    assert congratulation(said).image is not None
    assert [s for s in said if s.to == "group recovery"] == []


@pytest.mark.parametrize("name", ["نور 🌊", "שרה ✡️ כהן", "🌊✨", "Ζωή 🙂"])
async def test_rtl_and_emoji_names_on_cards(console: ConsoleAdapter, name: str) -> None:
    await console.push(f":as {name}")
    await set_up_group(console, "AA")
    await console.push("/celebrate on")
    await console.push(":dm")
    await console.push("/sober 2026-10-27")
    said = await console.push(f":time {MORNING}")
    (post,) = [s for s in said if s.to == "group recovery"]
    assert post.image is not None
    image = assert_png(post.image)
    assert image.size == CARD_SIZE
    wording = milestone_meaning(get_milestone("30d"), "AA")
    assert_fits(layout_card("30 days", "AA", wording, "bronze", name, locale="en"))


async def test_cards_travel_through_the_outbox(
    console: ConsoleAdapter, harbor: Harbor, store: SQLStore, clock: ManualClock
) -> None:
    await set_up_group(console, "SMART")
    await console.push("/celebrate on")
    await console.push(":dm")
    await console.push("/sober 2026-10-27")
    clock.set(datetime.fromisoformat(MORNING).astimezone(UTC))
    await harbor.sweeper.run(clock.now())  # planned, not yet sent
    rows = await store.db.fetch(
        "SELECT kind, body FROM outbox WHERE kind IN ('milestone', 'milestone_post') ORDER BY kind"
    )
    assert [r["kind"] for r in rows] == ["milestone", "milestone_post"]
    for row in rows:
        body = json.loads(row["body"])
        assert "image" in body and body["image_alt"].startswith("A milestone card")
    await harbor.dispatcher.drain()
    sent = await store.db.fetch("SELECT body FROM outbox WHERE kind = 'milestone'")
    assert [r["body"] for r in sent] == ["{}"]  # sent rows keep no message, nor its card


async def test_a_busy_morning_draws_each_distinct_card_once(
    console: ConsoleAdapter, harbor: Harbor
) -> None:
    for name in ("Ana", "Ben", "Cy", "Di"):
        await console.push(f":as {name}")
        await console.push(":dm")
        await console.push("/sober 2026-10-27")
    said = await console.push(f":time {MORNING}")
    cards = [s.image for s in said if s.image is not None]
    assert len(cards) == 4 and len(set(cards)) == 1  # nobody named: one card for all
    source = next(s for s in harbor.sweeper.sources if s.name == "milestones")
    assert source.cards.drawn == 1  # type: ignore[attr-defined]
    Image.open(io.BytesIO(cards[0])).verify()
