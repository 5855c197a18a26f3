"""/urge and /reasons on the console: the hard-minute flow (reasons, one coping step, a
buddy heads-up only when asked, an online meeting when one is starting, crisis lines on
"I'm not safe", the 20-minute follow-up through the outbox and its answer in /progress),
and a member's own reasons with every bad input refused kindly."""

from __future__ import annotations

from itertools import pairwise

import pytest

from adapters.console import ConsoleAdapter, Said
from bot.urges.coping import coping_steps
from bot.urges.reasons import MAX_REASONS
from storage.sql.store import SQLStore

STEP_TEXTS = {s.text for s in coping_steps()}


def step_shown(said: Said) -> str:
    found = [t for t in STEP_TEXTS if t in said.text]
    assert len(found) == 1, said.text
    return found[0]


def labels(said: Said) -> list[str]:
    return [b.label for row in said.buttons for b in row]


async def pair_buddies(console: ConsoleAdapter) -> None:
    for name in ("Alex", "Sam"):
        await console.push(f":as {name}")
        await console.push(":group recovery")
        await console.push("hello")
    await console.push(":dm")
    await console.push("/buddy Alex")
    await console.push(":as Alex")
    await console.push(":dm")
    said = await console.push("/buddy Sam")
    assert "now buddies" in said[0].text
    await console.push(":advance 1m")  # the invitation and its answer go out first


async def count(store: SQLStore, sql: str) -> int:
    return int(await store.db.fetchval(sql))


async def test_urge_shows_reasons_one_step_and_ways_to_get_help(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/reasons add waking up clear for my kids")
    (said,) = await console.push("/urge")
    assert said.to == "Alex (private)"
    assert "peaks and passes" in said.text or "peak and pass" in said.text
    assert "• waking up clear for my kids" in said.text
    step_shown(said)
    assert labels(said) == ["Another idea", "Check on me in 20 minutes", "I'm not safe right now"]
    assert await count(store, "SELECT COUNT(*) FROM urges") == 1


async def test_without_reasons_it_says_how_to_keep_them(console: ConsoleAdapter) -> None:
    (said,) = await console.push("/urge")
    assert "/reasons add" in said.text


async def test_another_idea_never_repeats_the_one_just_shown(console: ConsoleAdapter) -> None:
    (said,) = await console.push("/urge")
    shown = [step_shown(said)]
    for _ in range(6):
        (said,) = await console.push(":press Another idea")
        shown.append(step_shown(said))
    assert all(a != b for a, b in pairwise(shown))
    assert len(set(shown)) >= 3  # it walks on, not back and forth between two


async def test_a_second_urge_the_same_day_starts_with_another_step(
    console: ConsoleAdapter,
) -> None:
    (first,) = await console.push("/urge")
    (second,) = await console.push("/urge")
    assert step_shown(first) != step_shown(second)


async def test_not_safe_button_brings_the_crisis_lines(console: ConsoleAdapter) -> None:
    await console.push("/settings country GB")
    await console.push("/urge")
    said = await console.push(":press I'm not safe right now")
    assert said and "116 123" in said[0].text  # Samaritans, straight from the data file


async def test_buddy_hears_only_when_the_member_asks(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await pair_buddies(console)
    (said,) = await console.push("/urge")
    assert "Tell my buddy" in labels(said)
    await console.push(":advance 5m")
    # Nothing goes to Sam unless Alex presses the button: /urge alone tells nobody.
    assert not any("riding out an urge" in s.text for s in console.said)
    (told,) = await console.push(":press Tell my buddy")
    assert "Sam" in told.text and "nothing else" in told.text
    said = await console.push(":advance 1m")
    heads_up = [s for s in said if "riding out an urge" in s.text]
    assert [s.to for s in heads_up] == ["Sam (private)"]
    assert "reasons" not in heads_up[0].text.casefold()
    # Once per urge.
    await console.push(":press Tell my buddy")
    said = await console.push(":advance 1m")
    assert not any("riding out an urge" in s.text for s in said)


async def test_no_buddy_button_without_a_buddy_and_a_stale_press_is_refused(
    console: ConsoleAdapter,
) -> None:
    (said,) = await console.push("/urge")
    assert "Tell my buddy" not in labels(said)
    await console.push(":as Mallory")
    await console.push(":dm")
    said = await console.push("/urge")
    mine = [b.data for row in said[0].buttons for b in row if b.data.startswith("urg:check:")]
    await console.push(":as Alex")
    # Alex pressing a button of Mallory's urge (forged data) changes nothing.
    other_id = int(mine[0].rsplit(":", 1)[1])
    console.state.last_buttons = ((type(said[0].buttons[0][0])("x", f"urg:check:{other_id}"),),)
    console.state.private_buttons.pop("alex", None)
    said = await console.push(":press x")
    assert "expired" in said[0].text


async def test_check_on_me_comes_after_20_minutes_and_shows_in_progress(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/urge")
    (said,) = await console.push(":press Check on me in 20 minutes")
    assert "20 minutes" in said.text
    assert not [s for s in await console.push(":advance 19m") if "craving now" in s.text]
    (ask,) = [s for s in await console.push(":advance 2m") if "craving now" in s.text]
    assert ask.to == "Alex (private)" and "0" in labels(ask) and "10" in labels(ask)
    (answer,) = await console.push(":press 2")
    assert "eased" in answer.text
    row = await store.db.fetchone("SELECT level_after, answered_at FROM urges")
    assert row is not None and row["level_after"] == 2 and row["answered_at"] is not None
    (progress,) = await console.push("/progress text")
    assert "Urges weathered: 1" in progress.text
    await console.push("/checkin")
    await console.push(":press 3")
    (progress,) = await console.push("/progress text")
    assert "Urges weathered: 1" in progress.text


async def test_a_strong_craving_20_minutes_later_offers_more_help(console: ConsoleAdapter) -> None:
    await console.push("/urge")
    await console.push(":press Check on me in 20 minutes")
    await console.push(":advance 21m")
    (answer,) = await console.push(":press 9")
    assert "still strong" in answer.text
    assert "I'm not safe right now" in labels(answer)


async def test_a_typed_number_answers_the_follow_up_once_it_was_asked(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/urge")
    await console.push(":press Check on me in 20 minutes")
    (early,) = await console.push("4")  # before the question: just a message
    assert "out of 10" not in early.text
    await console.push(":advance 21m")
    (answer,) = await console.push("4/10")
    assert "4 out of 10" in answer.text
    row = await store.db.fetchone("SELECT level_after FROM urges")
    assert row is not None and row["level_after"] == 4
    (later,) = await console.push("2")  # answered: the next number is just a message
    assert "out of 10" not in later.text


async def test_a_typed_number_answers_the_latest_follow_up(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/urge")
    await console.push(":press Check on me in 20 minutes")
    await console.push(":advance 21m")
    await console.push(":press 2")  # the first follow-up, answered by its button
    await console.push("/urge")
    await console.push(":press Check on me in 20 minutes")
    await console.push(":advance 21m")
    (answer,) = await console.push("6")
    assert "6 out of 10" in answer.text
    levels = await store.db.fetch("SELECT level_after FROM urges ORDER BY id")
    assert [r["level_after"] for r in levels] == [2, 6]


async def test_a_typed_answer_never_takes_over_another_question(console: ConsoleAdapter) -> None:
    await console.push("/urge")
    await console.push("/reasons add")  # "what's one reason?" is open
    (said,) = await console.push(":press Check on me in 20 minutes")
    assert "20 minutes" in said.text
    (kept,) = await console.push("my kids")
    assert "Kept" in kept.text


async def test_an_online_meeting_starting_soon_is_offered(
    console: ConsoleAdapter,
) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/meeting add Lunch Online | wed | 12:30 | UTC | 60 | https://zoom.us/j/123")
    await console.push(":dm")
    (said,) = await console.push("/urge")
    assert "Lunch Online" in said.text and "https://zoom.us/j/123" in said.text


async def test_urge_button_under_sober_and_the_checkin(console: ConsoleAdapter) -> None:
    await console.push("/sober 2026-10-01")
    (said,) = await console.push("/sober")
    assert "I'm having an urge" in labels(said)
    said = await console.push(":press I'm having an urge")
    assert "peak" in said[0].text
    await console.push("/checkin")
    await console.push(":press 2")
    await console.push(":press 8")
    (done,) = await console.push(":press Yes")
    assert "I'm having an urge" in labels(done)


# -- /reasons -----------------------------------------------------------------------------


async def test_reasons_add_list_remove(console: ConsoleAdapter, store: SQLStore) -> None:
    await console.push("/reasons add my daughter")
    await console.push("/reasons add waking up clear")
    (listed,) = await console.push("/reasons")
    assert "1. my daughter" in listed.text and "2. waking up clear" in listed.text
    (removed,) = await console.push("/reasons remove 1")
    assert "my daughter" in removed.text
    (listed,) = await console.push("/reasons list")
    assert "1. waking up clear" in listed.text and "daughter" not in listed.text


async def test_reasons_are_asked_in_the_private_chat(console: ConsoleAdapter) -> None:
    (ask,) = await console.push("/reasons add")
    assert "only you will see it" in ask.text
    (kept,) = await console.push("to be there for my mum")
    assert "Kept" in kept.text
    (listed,) = await console.push("/reasons")
    assert "to be there for my mum" in listed.text
    await console.push("/reasons add")
    (cancelled,) = await console.push("cancel")
    assert "nothing was added" in cancelled.text.casefold()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("x" * 2000, "280 characters or fewer"),
        ("\u202e\u200b", "looks empty"),
    ],
)
async def test_bad_reasons_are_refused_and_nothing_changes(
    console: ConsoleAdapter, store: SQLStore, text: str, problem: str
) -> None:
    (said,) = await console.push(f"/reasons add {text}")
    assert problem in said.text
    assert await count(store, "SELECT COUNT(*) FROM recovery_reasons") == 0


async def test_a_2000_character_reason_typed_after_the_question_keeps_the_question_open(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/reasons add")
    (said,) = await console.push("y" * 2000)
    assert "280 characters or fewer" in said.text
    (kept,) = await console.push("shorter now")
    assert "Kept" in kept.text
    assert await count(store, "SELECT COUNT(*) FROM recovery_reasons") == 1


async def test_duplicates_and_too_many_reasons(console: ConsoleAdapter, store: SQLStore) -> None:
    await console.push("/reasons add My Kids")
    (said,) = await console.push("/reasons add my kids")
    assert "already have that reason" in said.text
    for i in range(MAX_REASONS - 1):
        await console.push(f"/reasons add reason {i}")
    (said,) = await console.push("/reasons add one more")
    assert f"{MAX_REASONS} reasons" in said.text
    assert await count(store, "SELECT COUNT(*) FROM recovery_reasons") == MAX_REASONS


async def test_bad_remove_numbers(console: ConsoleAdapter) -> None:
    (said,) = await console.push("/reasons remove 1")
    assert "No reasons yet" in said.text
    await console.push("/reasons add one")
    for ref in ("2", "0", "abc", ""):
        (said,) = await console.push(f"/reasons remove {ref}")
        assert "no reason number" in said.text.casefold()


async def test_reasons_in_a_group_are_answered_privately(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    said = await console.push("/reasons add my health")
    assert said[0].to == "Alex (private)" and "Kept" in said[0].text
    assert [s.to for s in said[1:]] == ["group recovery"]
    assert "my health" not in said[1].text
