"""Money and time saved per counter, on the console: /sober money and /sober time, the
member's own currency (or one they name), Babel formatting, the totals in /sober and in the
private milestone congratulation, and every bad input refused with nothing changed."""

from __future__ import annotations

import pytest

from adapters.console import ConsoleAdapter
from storage.sql.store import SQLStore

NBSP = "\xa0"


async def rates(store: SQLStore) -> list[tuple[str | None, str | None]]:
    rows = await store.db.fetch("SELECT money_rate, time_rate FROM counter_savings ORDER BY 1")
    return [(r["money_rate"], r["time_rate"]) for r in rows]


async def test_money_and_time_show_in_sober(console: ConsoleAdapter, store: SQLStore) -> None:
    await console.push("/settings country GB")
    await console.push("/sober 2026-10-01 alcohol")
    (said,) = await console.push("/sober money 12.50/day")
    assert "£12.50 a day" in said.text and "£687.50" in said.text  # 55 days
    (said,) = await console.push("/sober time 3h/day")
    assert "165 hours" in said.text
    (listed,) = await console.push("/sober")
    assert "Saved so far: £687.50 and 165 hours." in listed.text
    assert await rates(store) == [("12.50 GBP/day", "180m/day")]


async def test_currency_follows_the_locale_and_can_be_named(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/settings locale de_DE")
    await console.push("/sober 2026-10-01")
    (said,) = await console.push("/sober money 12,50/Tag")
    assert f"12,50{NBSP}€" in said.text
    (said,) = await console.push("/sober money 20 USD/week")
    assert "$" in said.text
    assert await rates(store) == [("20 USD/week", None)]


async def test_with_several_counters_the_counter_is_named(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/sober 2026-10-01 alcohol")
    await console.push("/sober 2026-11-01 red wine")
    (said,) = await console.push("/sober money 8/day")
    assert "Which counter?" in said.text
    (said,) = await console.push("/sober money red wine 8/day")
    assert 'for "red wine"' in said.text
    (said,) = await console.push("/sober time 2h/day alcohol")
    assert 'for "alcohol"' in said.text
    (said,) = await console.push("/sober money off red wine")
    assert "no more money count" in said.text
    assert await rates(store) == [(None, "120m/day")]


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ("money -5/day", "can't be negative"),
        ("money −12.50/day", "can't be negative"),
        ("money 999999/day", "more than I can count"),
        ("money 10000000/week", "more than I can count"),
        ("money 12 XYZ/day", 'don\'t know the currency "XYZ"'),
        ("money 12 doubloons", "don't know the currency"),
        ("money 0/day", "nothing saved"),
        ("money twelve", "couldn't read"),
        ("money 12-15/day", "couldn't read"),
        ("time 25h/day", "A day has 24 hours"),
        ("time -3h/day", "can't be negative"),
        ("time 3", "couldn't read"),
        ("time 0h", "nothing saved"),
    ],
)
async def test_bad_amounts_are_refused_and_nothing_changes(
    console: ConsoleAdapter, store: SQLStore, args: str, problem: str
) -> None:
    await console.push("/sober 2026-10-01")
    await console.push("/sober money 5/day")
    (said,) = await console.push(f"/sober {args}")
    assert problem in said.text and "Nothing was changed" in said.text
    assert await rates(store) == [("5 USD/day", None)]


async def test_without_a_counter_or_rate(console: ConsoleAdapter) -> None:
    (said,) = await console.push("/sober money 5/day")
    assert "don't have a counter" in said.text
    await console.push("/sober 2026-10-01")
    (said,) = await console.push("/sober money")
    assert "Nothing is set" in said.text and "/sober money 12.50/day" in said.text


async def test_the_milestone_congratulation_mentions_what_was_saved(
    console: ConsoleAdapter,
) -> None:
    await console.push("/sober 2026-10-27")
    await console.push("/sober money 10/day")
    await console.push("/sober time 90m/day")
    said = await console.push(":time 2026-11-26T09:30+00:00")
    (congrats,) = [s for s in said if "Congratulations" in s.text]
    assert "That's $300.00 and 45 hours you've kept for yourself so far." in congrats.text


async def test_savings_never_reach_the_group(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community announce")
    await console.push("/community celebrations on")
    await console.push("/celebrate on")
    await console.push(":dm")
    await console.push("/sober 2026-10-27")
    await console.push("/sober money 10/day")
    said = await console.push(":time 2026-11-26T09:30+00:00")
    group = [s for s in said if s.to == "group recovery"]
    assert group and all("$" not in s.text for s in group)


async def test_removing_the_counter_removes_its_rates(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push("/sober 2026-10-01")
    await console.push("/sober money 5/day")
    assert await rates(store) != []
    await console.push("/sober remove recovery")  # the default counter's name
    assert await rates(store) == []
