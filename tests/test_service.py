"""Service through the console: roles with a rota, sign-ups, a reminder before a turn,
stepping down, and the opt-in line for a member's history."""

from __future__ import annotations

from adapters.console import ConsoleAdapter, Said
from bot.service.commands import service_summary
from storage.sql.store import SQLStore


def to(said: list[Said], who: str) -> list[str]:
    return [s.text for s in said if s.to == f"{who} (private)"]


async def with_roles(console: ConsoleAdapter) -> None:
    """Clock: Wednesday 2026-11-25 12:00 UTC; the group meets in London."""
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community tz Europe/London")
    said = await console.push("/service role add greeter | thu | 18:45")
    assert "Added the role greeter: Thu at 18:45 (Europe/London)" in said[0].text
    await console.push("/service role add tech host | tue,thu | 18:30 | 2")
    await console.push(":as Sam")
    await console.push(":group recovery")
    await console.push("hello")
    await console.push(":as Alex")


async def test_rota_and_sign_up_for_the_next_open_turn(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await with_roles(console)
    await console.push(":as Sam")
    await console.push(":group recovery")
    said = await console.push("/service")
    rota = said[0].text
    assert said[0].to == "group recovery"  # the rota belongs to the group
    assert "greeter (1 person a turn):" in rota and "tech host (2 people a turn):" in rota
    assert "Thu 26 Nov 18:45 (Europe/London): open" in rota
    said = await console.push("/service signup greeter")
    assert "You're the greeter on Thu 26 Nov 18:45" in said[0].text
    assert said[0].to == "Sam (private)"
    said = await console.push("/service")
    assert "Thu 26 Nov 18:45 (Europe/London): Sam" in said[0].text
    await console.push(":as Kim")
    await console.push(":group recovery")
    said = await console.push("/service signup greeter 2026-11-26")
    assert "already taken" in said[0].text
    said = await console.push("/service signup tech host 2026-12-01")
    assert "You're the tech host on Tue 1 Dec 18:30" in said[0].text
    said = await console.push("/service signup tech host 2026-12-02")
    assert "isn't an upcoming turn" in said[0].text  # a Wednesday
    said = await console.push("/service signup tea maker")
    assert 'There\'s no role "tea maker"' in said[0].text


async def test_a_reminder_before_the_turn_exactly_once(console: ConsoleAdapter) -> None:
    await with_roles(console)
    await console.push(":as Sam")
    await console.push(":group recovery")
    await console.push("/service signup greeter 2026-12-03")
    said = await console.push(":time 2026-12-02T18:45+00:00")
    assert to(said, "Sam") == [
        "A reminder: you're the greeter for recovery on Thu 3 Dec 18:45 (Europe/London). Thank"
        " you for your service! If you can't make it: /service withdraw greeter 2026-12-03."
    ]
    said = await console.push(":time 2026-12-03T18:00+00:00")
    assert to(said, "Sam") == []


async def test_stepping_down_withdraws_the_reminder(console: ConsoleAdapter) -> None:
    await with_roles(console)
    await console.push(":as Sam")
    await console.push(":dm")
    await console.push("/service signup greeter 2026-12-03")
    said = await console.push("/service withdraw greeter 2026-12-03")
    assert "You've stepped down as greeter" in said[0].text
    said = await console.push("/service withdraw greeter 2026-12-03")
    assert "aren't signed up" in said[0].text
    said = await console.push(":time 2026-12-03T18:00+00:00")
    assert to(said, "Sam") == []


async def test_only_moderators_define_roles(console: ConsoleAdapter, store: SQLStore) -> None:
    await with_roles(console)
    said = await console.push("/service role add greeter | fri | 18:00")
    assert "already a role called greeter" in said[0].text
    said = await console.push("/service role add chair | someday | 18:00")
    assert "couldn't read the days or time" in said[0].text
    said = await console.push("/service role add chair | fri | 18:00 | 40")
    assert "isn't a number of people" in said[0].text
    await console.push(":as Sam")
    await console.push(":group recovery")
    said = await console.push("/service role add chair | fri | 18:00")
    assert "Only moderators" in said[0].text
    assert [r.name for r in await store.service.roles(1)] == ["greeter", "tech host"]
    await console.push(":as Alex")
    said = await console.push("/service role remove tech host")
    assert "Removed the role tech host" in said[0].text


async def test_service_in_history_only_when_chosen(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await with_roles(console)
    await console.push(":as Sam")
    await console.push(":dm")
    await console.push("/service signup greeter 2026-11-26")
    await console.push("/service signup tech host 2026-12-01")
    await console.push(":time 2026-12-02T12:00+00:00")
    sam = await store.members.find("console", "sam")
    assert sam is not None
    now = 1796212800  # 2026-12-02T12:00Z
    assert await service_summary(store, sam, now) is None  # not chosen
    said = await console.push("/service history on")
    assert "will be shown in your history" in said[0].text
    assert await service_summary(store, sam, now) == (
        "Service given: greeter once and tech host once."
    )
    said = await console.push("/service")
    assert "Service given: greeter once and tech host once." in said[0].text
    said = await console.push("/history")  # what /service history on promises
    assert "Service given: greeter once and tech host once." in said[0].text
    await console.push("/service history off")
    said = await console.push("/history")
    assert "Service given" not in said[0].text


async def test_forget_erases_sign_ups(console: ConsoleAdapter, store: SQLStore) -> None:
    await with_roles(console)
    await console.push(":as Sam")
    await console.push(":dm")
    await console.push("/service signup greeter")
    said = await console.push("/mydata")
    assert said[0].document is not None and b'"service_turns"' in said[0].document.content
    await console.push("/forget")
    await console.push(":press Yes, erase everything")
    assert await store.service.turns([1], 0) == []
