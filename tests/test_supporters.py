"""Family and friends through the console: one-time codes, consent item by item, heads-ups
read from the store by the supporters' own sweep, family resources, and ending at once."""

from __future__ import annotations

import re

from adapters.console import ConsoleAdapter, Said
from bot.kernel.runtime import Harbor
from bot.supporters.model import (
    code_hash,
    days_missed,
    family_resources,
    for_country,
    new_code,
    normalize_code,
)
from storage.sql.store import SQLStore

CODE = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4})\b")


def to(said: list[Said], who: str) -> list[str]:
    return [s.text for s in said if s.to == f"{who} (private)"]


async def invite(console: ConsoleAdapter) -> str:
    said = await console.push("/supporters invite")
    found = CODE.search(said[0].text)
    assert found is not None and said[0].to == "Alex (private)"
    return found.group(1)


async def member_with_supporter(console: ConsoleAdapter) -> list[Said]:
    """Alex (London, a counter started 2026-10-27, check-ins on) invites Jordan, who is in
    no group at all; Jordan joins. Returns what was sent when Jordan joined."""
    await console.push(":group recovery")
    await console.push("hello")
    await console.push(":dm")
    await console.push("/settings tz Europe/London")
    await console.push("/settings country GB")
    await console.push("/sober 2026-10-27")
    await console.push("/checkin on")
    code = await invite(console)
    await console.push(":as Jordan")
    await console.push(":dm")
    joined = await console.push(f"/supporting {code}")
    said = await console.push(":advance 1m")
    await console.push(":as Alex")
    return joined + said


async def hard_checkin(console: ConsoleAdapter) -> None:
    await console.push("/checkin")
    await console.push(":press 3")
    await console.push(":press 2")
    await console.push(":press No")


def test_codes_are_hashed_and_forgiving_to_type() -> None:
    code = new_code()
    assert CODE.fullmatch(code)
    assert normalize_code(code.lower().replace("-", " ")) == code.replace("-", "")
    assert code_hash(code) == code_hash(code.lower()) and code not in code_hash(code)
    assert normalize_code("ABCD-EFG0") is None  # no 0 (nor O, 1, I, L) in codes
    assert days_missed(None, __import__("datetime").date(2026, 1, 5)) == 0


def test_family_resources_are_sourced_and_dated() -> None:
    rows = family_resources()
    assert rows and all(r.source and re.fullmatch(r"\d{4}-\d{2}", r.checked) for r in rows)
    names = " ".join(r.name for r in rows)
    for wanted in ("Al-Anon", "Alateen", "Nar-Anon", "SMART Recovery Family & Friends"):
        assert wanted in names
    assert any("CRAFT" in r.for_whom or "CRAFT" in r.notes for r in rows)
    own, everywhere = for_country("GB")
    assert own and all(r.country == "GB" for r in own) and everywhere
    # Phone numbers only where a source confirms them; the rest are web addresses or books.
    for r in rows:
        if "call" in r.contact_type:
            assert re.fullmatch(r"[\d -]+", r.contact), r.name


async def test_a_supporter_joins_and_nothing_is_shared_until_the_member_chooses(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    said = await member_with_supporter(console)
    joined = to(said, "Jordan")[0]
    assert "You're now one of their supporters" in joined and "Nothing is shared yet" in joined
    assert "Adfam" in joined and "Al-Anon Family Groups" in joined  # family resources, GB first
    told = to(said, "Alex")
    assert len(told) == 1 and "Jordan used your code" in told[0]
    # The 30-day milestone comes the next morning: Jordan hears nothing (not allowed yet).
    said = await console.push(":time 2026-11-26T09:00+00:00")
    assert any("Congratulations" in t for t in to(said, "Alex"))
    assert to(said, "Jordan") == []
    jordan = await store.members.find("console", "jordan")
    assert jordan is not None and await store.communities.of_member(jordan.id) == []


async def test_milestones_once_allowed_without_naming_the_counter(
    console: ConsoleAdapter,
) -> None:
    await member_with_supporter(console)
    await console.push("/sober 2026-10-27 alcohol")  # two counters reach 30 days: one message
    said = await console.push("/supporters")
    assert "Jordan: nothing yet" in said[0].text
    said = await console.push(":press Jordan: milestone congratulations")
    assert "Jordan will now get milestone congratulations" in said[0].text
    said = await console.push(":time 2026-11-26T09:00+00:00")
    assert to(said, "Jordan") == [
        "🎉 Alex reached 30 days today. A kind word from you could mean a lot."
    ]
    said = await console.push(":time 2026-11-27T09:00+00:00")
    assert to(said, "Jordan") == []


async def test_a_hard_day_heads_up_and_revoking_stops_the_next_message(
    console: ConsoleAdapter, harbor: Harbor
) -> None:
    await member_with_supporter(console)
    said = await console.push("/supporters allow Jordan hard on")
    assert "Jordan will now get a heads-up on a hard day" in said[0].text
    await hard_checkin(console)
    said = await console.push(":advance 1m")
    heads_up = to(said, "Jordan")
    assert len(heads_up) == 1 and "today has been a hard day" in heads_up[0]
    assert "sober" not in heads_up[0].casefold()  # never the answer itself
    # Planned but not yet sent, then switched off: withdrawn.
    await console.push(":advance 1d")
    await hard_checkin(console)
    await harbor.sweeper.run(harbor.clock.now())
    await console.push("/supporters allow Jordan hard off")
    said = await console.push(":advance 1m")
    assert to(said, "Jordan") == []


async def test_a_gap_in_check_ins_is_told_once(console: ConsoleAdapter) -> None:
    await member_with_supporter(console)
    await console.push("/supporters allow Jordan missed on")
    said = await console.push("/supporters missed Jordan 2")
    assert "after 2 days without a check-in" in said[0].text
    await console.push("/checkin")
    await console.push(":press 4")  # checked in on the 25th
    said = await console.push(":time 2026-11-27T09:30+00:00")
    assert to(said, "Jordan") == []  # one day missed
    said = await console.push(":time 2026-11-28T09:30+00:00")
    assert to(said, "Jordan") == [
        "Alex hasn't checked in with Harbor for 2 days. It may be nothing at all: a friendly"
        " hello, with no pressure, could be welcome."
    ]
    said = await console.push(":time 2026-11-29T09:30+00:00")
    assert to(said, "Jordan") == []  # once per gap


async def test_removing_a_supporter_stops_everything_at_once(
    console: ConsoleAdapter, harbor: Harbor, store: SQLStore
) -> None:
    await member_with_supporter(console)
    await console.push("/supporters allow Jordan hard on")
    await console.push("/supporters allow Jordan milestones on")
    await hard_checkin(console)
    await harbor.sweeper.run(harbor.clock.now())  # a heads-up is planned
    said = await console.push("/supporters remove Jordan")
    assert "They aren't told" in said[0].text
    said = await console.push(":time 2026-11-26T09:00+00:00")
    assert to(said, "Jordan") == []
    alex = await store.members.find("console", "alex")
    assert alex is not None and await store.supporters.of_member(alex.id) == []


async def test_bad_codes_get_a_clear_answer(console: ConsoleAdapter, store: SQLStore) -> None:
    await console.push("/settings tz Europe/London")
    code = await invite(console)
    said = await console.push(f"/supporting {code}")
    assert "your own invitation code" in said[0].text
    said = await console.push("/supporting ABCD-2345")
    assert "I don't know that code" in said[0].text
    said = await console.push("/supporting hello")
    assert "doesn't look like an invitation code" in said[0].text
    await console.push(":as Jordan")
    said = await console.push(f"/supporting {code}")
    assert "You're now one of their supporters" in said[0].text
    await console.push(":as Kim")
    said = await console.push(f"/supporting {code}")
    assert "already been used" in said[0].text and "ask the person who sent it" in said[0].text
    assert "Alex" not in said[0].text  # a leaked code tells nobody who uses Harbor
    await console.push(":as Alex")
    late = await invite(console)
    await console.push(":advance 73h")
    await console.push(":as Kim")
    said = await console.push(f"/supporting {late}")
    assert "has expired" in said[0].text
    alex = await store.members.find("console", "alex")
    assert alex is not None
    assert [link.supporter.display_name for link in await store.supporters.of_member(alex.id)] == [
        "Jordan"
    ]


async def test_a_code_shown_in_a_group_stops_working(console: ConsoleAdapter) -> None:
    code = await invite(console)
    await console.push(":as Jordan")
    await console.push(":group recovery")
    said = await console.push(f"/supporting {code}")
    assert "no longer works" in said[0].text and said[0].to == "Jordan (private)"
    await console.push(":dm")
    said = await console.push(f"/supporting {code}")
    assert "already been used" in said[0].text


async def test_a_supporter_steps_back_and_the_member_is_told_kindly(
    console: ConsoleAdapter,
) -> None:
    await member_with_supporter(console)
    await console.push(":as Jordan")
    said = await console.push("/supporting")
    assert "• Alex, who shares with you: nothing yet" in said[0].text
    said = await console.push("/supporting stop Alex")
    assert "You no longer support Alex" in said[0].text
    said = await console.push(":advance 1m")
    assert to(said, "Alex") == [
        "Jordan has stepped back as your supporter. Nothing more is shared with them."
    ]


async def test_a_supporters_own_forget_removes_them_from_every_list(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await member_with_supporter(console)
    await console.push("/supporters allow Jordan milestones on")
    await console.push(":as Jordan")
    said = await console.push("/mydata")
    assert said[0].document is not None and b'"supporters"' in said[0].document.content
    await console.push("/forget")
    await console.push(":press Yes, erase everything")
    alex = await store.members.find("console", "alex")
    assert alex is not None and await store.supporters.of_member(alex.id) == []
    said = await console.push(":time 2026-11-26T09:00+00:00")
    assert to(said, "Jordan") == []


async def test_family_resources_for_another_country(console: ConsoleAdapter) -> None:
    said = await console.push("/supporting resources AU")
    text = said[0].text
    assert "In Australia:" in text and "1300 368 186" in text and "(unverified)" in text
    assert "Checked 2026-12" in text
    said = await console.push("/supporting resources")
    assert "I have more for these countries" in said[0].text
