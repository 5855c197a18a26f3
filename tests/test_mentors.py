"""Mentorship through the console: volunteering past the threshold, requests, pairing with
consent from both sides, item-by-item sharing, weekly nudges, ending from either side."""

from __future__ import annotations

from adapters.console import ConsoleAdapter, Said
from bot.kernel.runtime import Harbor
from bot.mentors.source import MentorSource
from storage.sql.store import SQLStore


def to(said: list[Said], who: str) -> list[str]:
    return [s.text for s in said if s.to == f"{who} (private)"]


async def community(console: ConsoleAdapter) -> None:
    """Alex moderates "recovery" and has kept a counter for over a year; Sam is new."""
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("hello")
    await console.push(":as Sam")
    await console.push(":group recovery")
    await console.push("hi all")
    await console.push(":as Alex")
    await console.push(":dm")
    await console.push("/sober 2025-01-01")


async def volunteer(console: ConsoleAdapter) -> None:
    await console.push("/mentor volunteer Meetings and service helped me. | English | evenings")


async def requested(console: ConsoleAdapter) -> None:
    await console.push(":as Sam")
    await console.push(":dm")
    await console.push("/mentor request")
    await console.push("English")
    await console.push("weekday evenings")


async def paired(console: ConsoleAdapter) -> list[Said]:
    """Alex volunteers, Sam asks, Alex (moderator) pairs them; both are asked."""
    await community(console)
    await volunteer(console)
    await requested(console)
    await console.push(":as Alex")
    await console.push(":group recovery")
    said = await console.push("/mentor pair 1")
    assert "I've asked Alex and Sam" in said[0].text
    return await console.push(":advance 1m")


async def both_accept(console: ConsoleAdapter) -> None:
    await console.push(":as Sam")
    await console.push(":dm")
    await console.push("/mentor")
    await console.push(":press Yes, gladly")
    await console.push(":as Alex")
    await console.push(":dm")
    await console.push("/mentor")
    said = await console.push(":press Yes, gladly")
    assert "you're their mentor" in said[0].text


async def hard_checkin(console: ConsoleAdapter) -> None:
    await console.push("/checkin")
    await console.push(":press 2")
    await console.push(":press 9")


async def test_below_the_threshold_a_member_cannot_volunteer(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await community(console)
    await console.push(":as Sam")
    await console.push(":dm")
    await console.push("/sober 2026-06-01")
    said = await console.push("/mentor volunteer Hi | English | evenings")
    assert "opens once one of your counters reaches 1 year" in said[0].text
    sam = await store.members.find("console", "sam")
    assert sam is not None
    communities = await store.communities.of_member(sam.id)
    assert await store.mentors.mentor(sam.id, communities[0].id) is None


async def test_guided_volunteering_and_bad_languages(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await community(console)
    said = await console.push("/mentor volunteer")
    assert "A few words about you" in said[0].text
    await console.push("I've been where you are.")
    said = await console.push("English, Blorpish")
    assert "didn't recognise a language" in said[0].text
    said = await console.push("English, Spanish")
    assert "When are you usually free" in said[0].text
    said = await console.push("-")
    assert "Languages: English and Spanish" in said[0].text
    alex = await store.members.find("console", "alex")
    assert alex is not None
    row = await store.mentors.mentor(alex.id, (await store.communities.of_member(alex.id))[0].id)
    assert row is not None and row.languages == ("en", "es") and row.availability == ""
    # A member's own words are kept as they wrote them, never corrected.
    assert row.intro == "I've been where you are."


async def test_a_second_pending_request_is_refused(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await community(console)
    await requested(console)
    said = await console.push("/mentor request")
    assert "already asked for a mentor" in said[0].text
    assert len(await store.mentors.requests(1)) == 1


async def test_consent_from_both_sides_before_anything_is_shared(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    said = await paired(console)
    assert any("could be your mentor" in t for t in to(said, "Sam"))
    assert any("Sam is looking for a mentor" in t for t in to(said, "Alex"))
    # Sam says yes and switches nothing on; Alex has not answered: nothing reaches Alex.
    await console.push(":as Sam")
    await console.push(":dm")
    await console.push("/mentor")
    said = await console.push(":press Yes, gladly")
    assert "as soon as Alex answers" in said[0].text
    said = await console.push("/mentor share hard on")
    assert "don't have a mentor" in said[0].text  # not active yet: nothing can be shared
    await hard_checkin(console)
    said = await console.push(":advance 1h")
    assert to(said, "Alex") == []
    # Alex says yes: now they are connected, and still nothing is shared until Sam chooses.
    await console.push(":as Alex")
    await console.push(":dm")
    await console.push("/mentor")
    said = await console.push(":press Yes, gladly")
    assert "you're their mentor" in said[0].text
    said = await console.push(":advance 1m")
    assert any("Nothing is shared unless you choose" in t for t in to(said, "Sam"))
    said = await console.push("/mentor")
    assert "They share with you: nothing yet" in said[0].text


async def test_item_by_item_sharing_and_revoking_stops_the_next_message(
    console: ConsoleAdapter, harbor: Harbor, store: SQLStore
) -> None:
    await paired(console)
    await both_accept(console)
    await console.push(":as Sam")
    said = await console.push("/mentor share hard on")
    assert "will now see a heads-up on hard days" in said[0].text
    await hard_checkin(console)
    said = await console.push(":advance 1m")
    heads_up = to(said, "Alex")
    assert heads_up == [
        "Sam let you know they're having a hard day. A friendly message from you could help."
    ]
    # The answers themselves (mood 2, cravings 9) never travel.
    assert "9" not in heads_up[0]

    # A heads-up planned but not yet sent is withdrawn when Sam switches it off.
    await console.push(":advance 1d")
    await hard_checkin(console)
    await harbor.sweeper.run(harbor.clock.now())  # planned, not yet sent
    said = await console.push("/mentor share hard off")
    assert "no longer sees a heads-up on hard days" in said[0].text
    said = await console.push(":advance 1m")
    assert to(said, "Alex") == []
    await console.push(":advance 1d")
    await hard_checkin(console)
    said = await console.push(":advance 1m")
    assert to(said, "Alex") == []


async def test_weekly_nudge_carries_only_what_is_shared(console: ConsoleAdapter) -> None:
    await paired(console)
    await both_accept(console)
    await console.push(":as Sam")
    await console.push("/sober 2026-11-01")
    await console.push("/mentor share streak on")
    said = await console.push(":advance 7d")
    assert any("have you and Alex talked this week" in t for t in to(said, "Sam"))
    mentor_nudge = [t for t in to(said, "Alex") if "check in with Sam" in t]
    assert len(mentor_nudge) == 1
    assert "Sam's counter: 31 days." in mentor_nudge[0]
    assert "checked in on" not in mentor_nudge[0]  # not shared
    said = await console.push(":advance 7d")
    assert len([t for t in to(said, "Alex") if "check in with Sam" in t]) == 1


async def test_either_side_ends_without_a_reason_and_everything_stops(
    console: ConsoleAdapter, harbor: Harbor, store: SQLStore
) -> None:
    await paired(console)
    await both_accept(console)
    await console.push(":as Sam")
    await console.push("/mentor share hard on")
    await hard_checkin(console)
    await harbor.sweeper.run(harbor.clock.now())  # a heads-up is planned...
    said = await console.push("/mentor end")
    assert "No reason is needed" in said[0].text
    said = await console.push(":press End it")
    assert "with Alex has ended. They'll be told kindly" in said[0].text
    said = await console.push(":advance 1m")
    assert to(said, "Alex") == [
        "Sam has ended your mentorship; no reason is needed. Thank you for the time you gave."
        " Nothing more is shared with you."
    ]  # ... and withdrawn: the kind note is all Alex gets
    said = await console.push(":advance 7d")
    assert to(said, "Alex") == [] and to(said, "Sam") == []
    assert await store.mentors.of_member(1) == []


async def test_a_declined_proposal_keeps_the_request_open(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await paired(console)
    await console.push(":as Alex")
    await console.push(":dm")
    await console.push("/mentor")
    said = await console.push(":press Not this time")
    assert "told kindly" in said[0].text
    said = await console.push(":advance 1m")
    assert any("isn't about you: your request stays open" in t for t in to(said, "Sam"))
    requests = await store.mentors.requests(1)
    assert [r.status for r in requests] == ["open"]


async def test_moderators_see_counts_and_requests_never_content(
    console: ConsoleAdapter,
) -> None:
    await paired(console)
    await both_accept(console)
    await console.push(":as Sam")
    await console.push("/mentor share streak on")
    await console.push(":as Alex")
    await console.push(":group recovery")
    said = await console.push("/mentor requests")
    text = said[0].text
    assert "Mentorships: 1 active" in text and "Open requests: 0" in text
    assert "Sam" not in text and "counter" not in text and "Meetings and service" not in text
    # A member who doesn't moderate is told so, and sees nothing.
    await console.push(":as Sam")
    await console.push(":group recovery")
    said = await console.push("/mentor requests")
    assert "Only moderators" in said[0].text


async def test_pairing_refuses_bad_choices(console: ConsoleAdapter, store: SQLStore) -> None:
    await community(console)
    await requested(console)
    await console.push(":as Alex")
    await console.push(":group recovery")
    said = await console.push("/mentor pair 1")
    assert "No volunteer fits" in said[0].text  # Alex hasn't volunteered
    said = await console.push("/mentor pair 1 Sam")
    assert "can't be their own mentor" in said[0].text
    said = await console.push("/mentor pair 99")
    assert "/mentor pair ID" in said[0].text
    await console.push(":dm")
    await volunteer(console)
    await console.push("/mentor pause")
    await console.push(":group recovery")
    said = await console.push("/mentor pair 1 Alex")
    assert "can't be suggested as a mentor right now" in said[0].text
    assert await store.mentors.of_member(1) == []


async def test_harbor_proposes_a_match_when_asked_to(console: ConsoleAdapter) -> None:
    await community(console)
    await console.push(":group recovery")
    said = await console.push("/mentor settings auto on")
    assert "as soon as someone asks: on" in said[0].text
    await console.push(":dm")
    await volunteer(console)
    await requested(console)
    said = await console.push(":advance 1m")
    assert any("could be your mentor" in t for t in to(said, "Sam"))


async def test_threshold_setting_and_temporary_list(console: ConsoleAdapter) -> None:
    await community(console)
    await console.push(":group recovery")
    said = await console.push("/mentor settings years 3")
    assert "at least: 3 years" in said[0].text
    said = await console.push("/mentor settings years lots")
    assert "isn't a number" in said[0].text
    await console.push(":dm")
    said = await console.push("/mentor volunteer Hello | English | weekends")
    assert "reaches 3 years" in said[0].text
    await console.push(":group recovery")
    await console.push("/mentor settings months 18")
    await console.push(":dm")
    await console.push("/mentor volunteer Happy to help newcomers. | English | weekends")
    await console.push("/mentor temporary on")
    await console.push(":as Sam")
    await console.push(":dm")
    said = await console.push("/mentor list")
    assert "• Alex (English; usually free: weekends)" in said[0].text
    assert "Happy to help newcomers." in said[0].text


async def test_forget_erases_mentorships_on_both_sides(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await paired(console)
    await both_accept(console)
    await console.push(":as Sam")
    said = await console.push("/mydata")
    assert said[0].document is not None and b'"mentorships"' in said[0].document.content
    await console.push("/forget")
    await console.push(":press Yes, erase everything")
    assert await store.mentors.of_member(1) == []
    assert await store.mentors.requests(1) == []


async def test_a_restart_does_not_repeat_a_heads_up(
    console: ConsoleAdapter, harbor: Harbor, store: SQLStore
) -> None:
    await paired(console)
    await both_accept(console)
    await console.push(":as Sam")
    await console.push("/mentor share hard on")
    await hard_checkin(console)
    said = await console.push(":advance 1m")
    assert len(to(said, "Alex")) == 1
    # A fresh process looks back two days: the pair's watermark and the dedupe key hold.
    fresh = MentorSource(store, "UTC")
    assert await fresh.sweep(harbor.clock.now(), 500) == 0
    said = await console.push(":advance 1m")
    assert to(said, "Alex") == []


async def test_only_the_mentee_gets_the_sharing_buttons(console: ConsoleAdapter) -> None:
    await paired(console)
    await console.push(":as Alex")
    await console.push(":dm")
    await console.push("/mentor")
    await console.push(":press Yes, gladly")  # the mentor first, the mentee last
    await console.push(":as Sam")
    await console.push(":dm")
    await console.push("/mentor")
    said = await console.push(":press Yes, gladly")
    assert "Alex is your mentor" in said[0].text and said[0].buttons  # Sam chooses
    said = await console.push(":advance 1m")
    started = [s for s in said if s.to == "Alex (private)"]
    assert len(started) == 1 and "you're their mentor" in started[0].text
    assert started[0].buttons == ()
