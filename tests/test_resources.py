"""Community resources through the console and the CLI: moderators curate, members search
and report, old entries come back to moderators, CSV import and export."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter, Said
from bot.cli import main
from bot.resources.cli import export, import_file
from bot.resources.model import ResourceCsvError, export_csv, parse_csv
from storage.sql.store import SQLStore


def to(said: list[Said], who: str) -> list[str]:
    return [s.text for s in said if s.to == f"{who} (private)"]


async def moderated(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("hello")


async def add_two(console: ConsoleAdapter) -> None:
    said = await console.push(
        "/resources add housing | Hope House | 555 0100 | Northside | Mon-Fri 9-17"
        " | English, Polish"
    )
    assert "Added to Housing" in said[0].text and said[0].to == "Alex (private)"
    await console.push(
        "/resources add food | Riverside Food Bank | https://example.org/food | Riverside"
    )


async def test_members_search_by_category_and_area(console: ConsoleAdapter) -> None:
    await moderated(console)
    await add_two(console)
    await console.push(":as Sam")
    await console.push(":group recovery")
    said = await console.push("/resources housing")
    assert said[0].to == "Sam (private)"  # a search says something about the one searching
    assert "#1 Hope House: 555 0100" in said[0].text and "Northside · Mon-Fri 9-17" in said[0].text
    assert said[-1].text == "I've sent you a private message."
    await console.push(":dm")
    said = await console.push("/resources near riverside")
    assert "Riverside Food Bank" in said[0].text and "Hope House" not in said[0].text
    said = await console.push("/resources")
    assert "• Housing: 1" in said[0].text and "• Food: 1" in said[0].text
    said = await console.push("/resources legal")
    assert "Legal: nothing listed yet" in said[0].text
    said = await console.push("/resources spaceships")
    assert "I don't have a category" in said[0].text


async def test_guided_add_and_bad_input(console: ConsoleAdapter, store: SQLStore) -> None:
    await moderated(console)
    said = await console.push("/resources add")
    assert "Which category?" in said[0].text and said[0].to == "Alex (private)"
    await console.push(":dm")  # the questions and answers happen in the private chat
    said = await console.push("spaceships")
    assert "isn't one of the categories" in said[0].text
    await console.push("recovery cafe")  # not a category word either
    await console.push("cafes")
    await console.push("The Brew")
    said = await console.push("-")
    assert "can't be skipped" in said[0].text and "How do people reach it?" in said[0].text
    await console.push("12 High Street")
    for answer in ("-", "Tue-Sun 10-18", "-"):
        said = await console.push(answer)
    assert "Added to Recovery cafés" in said[0].text
    await console.push(":group recovery")
    said = await console.push("/resources add cafes | The Brew | elsewhere")
    assert "There is already an entry" in said[0].text
    said = await console.push("/resources add nowhere | X | Y")
    assert "isn't one of the categories" in said[0].text
    rows = await store.resources.of_communities([1])
    assert [(r.name, r.contact, r.hours) for r in rows] == [
        ("The Brew", "12 High Street", "Tue-Sun 10-18")
    ]


async def test_only_moderators_curate(console: ConsoleAdapter, store: SQLStore) -> None:
    await moderated(console)
    await console.push(":as Sam")
    await console.push(":group recovery")
    said = await console.push("/resources add food | Pantry | 555 0199")
    assert "Only moderators" in said[0].text
    await console.push(":dm")
    said = await console.push("/resources add food | Pantry | 555 0199")
    assert "Send that in your group" in said[0].text
    assert await store.resources.of_communities([1]) == []


async def test_reports_and_age_bring_entries_back_to_moderators(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await moderated(console)
    await add_two(console)
    await console.push(":as Sam")
    await console.push(":group recovery")
    said = await console.push("/resources report 2")
    assert "moderators will check" in said[0].text
    said = await console.push("/resources report 2")
    assert "already reported" in said[0].text
    said = await console.push(":advance 1m")
    review = to(said, "Alex")
    assert len(review) == 1 and "#2 Riverside Food Bank" in review[0]
    assert "1 member said it may be out of date" in review[0]
    assert to(said, "Sam") == []  # only moderators
    said = await console.push(":advance 1d")
    assert to(said, "Alex") == []  # once
    # After the review period (180 days by default) the other entry comes back too.
    said = await console.push(":advance 180d")
    assert any("#1 Hope House" in t for t in to(said, "Alex"))
    await console.push(":as Alex")
    said = await console.push("/resources checked 1")
    assert 'Marked "Hope House" as checked' in said[0].text
    row = await store.resources.get(1)
    assert row is not None and row.reports == 0 and row.review_at is not None


async def test_edit_remove_and_settings(console: ConsoleAdapter, store: SQLStore) -> None:
    await moderated(console)
    await add_two(console)
    said = await console.push("/resources edit 1 hours 24/7")
    assert "Updated the hours" in said[0].text
    said = await console.push("/resources edit 1 colour blue")
    assert "Fields:" in said[0].text
    said = await console.push("/resources edit 2 category housing")
    assert "Updated the category" in said[0].text
    said = await console.push("/resources edit 2 name Hope House")
    assert 'There is already an entry "Hope House" in Housing' in said[0].text
    said = await console.push("/resources settings review 30")
    assert "after: 30 days" in said[0].text
    said = await console.push("/resources settings review 2")
    assert "isn't a number of days" in said[0].text
    said = await console.push("/resources settings family on")
    assert "families and friends: yes" in said[0].text
    said = await console.push("/resources family")
    assert any("Al-Anon" in s.text for s in said)
    said = await console.push("/resources remove 2")
    assert 'Removed "Riverside Food Bank"' in said[0].text
    said = await console.push("/resources remove 2")
    assert "no resource 2" in said[0].text
    assert [r.name for r in await store.resources.of_communities([1])] == ["Hope House"]


async def test_forget_erases_resources_the_member_authored(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await moderated(console)
    await add_two(console)
    await console.push(":dm")
    await console.push("/forget")
    await console.push(":press Yes, erase everything")
    assert await store.resources.of_communities([1]) == []


def test_csv_round_trip_is_spreadsheet_safe() -> None:
    rows, skipped = parse_csv(
        b"category,name,contact,area,checked_on\n"
        b"housing,Hope House,+1 555 0100,North,2026-01-02\n"
        b'food,=HYPERLINK("x"),555,South,\n'
        b"spaceships,X,Y,,\n"
        b"food,Pantry,,,\n"
        b"legal,Law Centre,555,,2027-01-01\n"
        b"legal,Advice,555,,yesterday\n",
        date(2026, 11, 25),
    )
    assert [r.values["name"] for r in rows] == ["Hope House", '=HYPERLINK("x")']
    assert rows[0].checked_on == date(2026, 1, 2) and rows[1].checked_on == date(2026, 11, 25)
    assert skipped == [
        "line 4: bad_category",
        "line 5: missing_contact",
        "line 6: checked_on is in the future",
        "line 7: checked_on is not a date (YYYY-MM-DD)",
    ]
    with pytest.raises(ResourceCsvError):
        parse_csv(b"name,phone\nX,1\n", date(2026, 11, 25))
    with pytest.raises(ResourceCsvError):
        parse_csv(b"\xff\xfe", date(2026, 11, 25))


async def test_cli_import_and_export(
    console: ConsoleAdapter, store: SQLStore, tmp_path: Path
) -> None:
    await moderated(console)
    await add_two(console)
    path = tmp_path / "in.csv"
    path.write_text(
        "category,name,contact,area,hours,languages,checked_on\n"
        "housing,Hope House,555 0111,Northside,,,2026-11-01\n"
        "legal,Law Centre,'=1+1,,,,\n"
        "nowhere,X,Y,,,,\n",
        encoding="utf-8",
    )
    summary = await import_file(store, path, "console:recovery", date(2026, 11, 25))
    assert summary.splitlines()[0] == "1 added, 1 updated, 1 skipped"
    data = (await export(store, "1")).decode()
    assert "housing,Hope House,555 0111,Northside,,,2026-11-01" in data
    assert "legal,Law Centre,'=1+1" in data  # a formula stays text in a spreadsheet
    rows, _ = parse_csv(export_csv(await store.resources.of_communities([1])), date(2026, 11, 25))
    assert {r.values["contact"] for r in rows} >= {"=1+1", "555 0111"}


def test_cli_parser_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "h.db"
    assert main(["resources", "export", "--community", "7", "--db", str(db)]) == 1
    assert "no community '7'" in capsys.readouterr().err
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing,useful\n", encoding="utf-8")
    assert main(["resources", "import", str(bad), "--community", "7", "--db", str(db)]) == 1


async def test_a_family_group_points_its_members_to_family_support(
    console: ConsoleAdapter,
) -> None:
    """What `/resources settings family on` changes, and all it changes: the group's
    /resources overview gains a line pointing families and friends to /resources family.
    /resources family itself (the group's own family entries, then the packaged, sourced
    family resources) answers in every group, marked or not."""
    line = "families is a group for families and friends: /resources family lists support"
    await console.push(":group families")
    await console.push(":mod on")
    await console.push("hello")
    await console.push("/resources add family | Riverside Al-Anon | https://example.org/alanon")
    await console.push("/resources add housing | Hope House | 555 0100")
    await console.push(":group recovery")  # Alex moderates a second, ordinary group
    await console.push("hello")
    await console.push(":as Sam")  # Sam, a parent, is only in the family group
    await console.push(":group families")
    await console.push("hi")
    before = await console.push("/resources")
    assert "• Family and friends: 1" in before[0].text and line not in before[0].text
    await console.push(":as Alex")
    await console.push(":group families")
    said = await console.push("/resources settings family on")
    assert "families and friends: yes" in said[0].text
    await console.push(":as Sam")
    await console.push(":group families")
    said = await console.push("/resources")
    assert said[0].to == "Sam (private)" and line in said[0].text
    # The one line is all that changed; the group itself sees only the neutral pointer.
    shown = [t for t in said[0].text.split("\n") if not t.startswith("families is a group")]
    assert shown == before[0].text.split("\n")
    assert [s.text for s in said if s.to == "group families"] == [
        "I've sent you a private message."
    ]
    said = await console.push("/resources family")
    own, packaged = to(said, "Sam")
    assert "#1 Riverside Al-Anon: https://example.org/alanon" in own and "Hope House" not in own
    assert "Al-Anon Family Groups" in packaged and "Checked 2026-12" in packaged
    # A member of the ordinary group gets no such line, yet /resources family answers there.
    await console.push(":as Kim")
    await console.push(":group recovery")
    await console.push("hi")
    said = await console.push("/resources")
    assert "is a group for families" not in said[0].text
    said = await console.push("/resources family")
    nothing, packaged = to(said, "Kim")
    assert "nothing listed yet" in nothing and "Al-Anon Family Groups" in packaged
    # Switched off, the line goes.
    await console.push(":as Alex")
    await console.push(":group families")
    await console.push("/resources settings family off")
    await console.push(":as Sam")
    said = await console.push("/resources")
    assert said[0].text == before[0].text
