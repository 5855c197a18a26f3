"""A failed COMMIT with many members writing at once, through the real bot.

SQLite itself refuses the COMMIT: a deferred foreign key, checked only at COMMIT, is broken
by a trigger when a "poison" member writes. Every other write that shared that transaction
is lost with it, so its member must be told so; every member told "Saved" or "erased" must
find it so in the file afterwards (read by a fresh connection once the bot has closed it)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from bot.kernel.config import HarborSettings, Settings
from bot.kernel.i18n import translator
from bot.kernel.runtime import Harbor
from storage.sql.store import SQLStore
from tests.faults.people import answers, at_once

SORRY = translator("en")("core.sorry")
SAVED = translator("en")("sober.saved")
ERASED = translator("en")("forget.done")

# Real COMMIT failures: the child row breaks a deferred foreign key when a poison member
# saves a counter or erases themselves; SQLite then refuses the whole transaction.
POISON = """
CREATE TABLE fault_parent (id INTEGER PRIMARY KEY);
CREATE TABLE fault_child (
    parent INTEGER REFERENCES fault_parent(id) DEFERRABLE INITIALLY DEFERRED
);
CREATE TRIGGER fault_counter AFTER INSERT ON counters WHEN new.name LIKE 'poison%'
BEGIN INSERT INTO fault_child VALUES (-1); END;
CREATE TRIGGER fault_forget AFTER DELETE ON members WHEN old.display_name LIKE 'Poison%'
BEGIN INSERT INTO fault_child VALUES (-1); END;
"""


@pytest.fixture
def settings() -> Settings:
    return Settings(harbor=HarborSettings(member_burst=1000))


async def poison(store: SQLStore) -> None:
    for statement in POISON.split(";\n"):
        if statement.strip():
            await store.db.execute(statement + (";" if "BEGIN" in statement else ""))


def stored(db: Path) -> tuple[set[str], set[tuple[str, str]]]:
    """(display names, (display name, counter)) in the file, read by a fresh connection."""
    conn = sqlite3.connect(db)
    try:
        names = {r[0] for r in conn.execute("SELECT display_name FROM members")}
        counters = {
            (r[0], r[1])
            for r in conn.execute(
                "SELECT m.display_name, c.name FROM counters c JOIN members m ON m.id = c.member_id"
            )
        }
    finally:
        conn.close()
    return names, counters


async def test_every_member_learns_the_true_outcome_of_their_write(
    console: ConsoleAdapter, store: SQLStore, harbor: Harbor, tmp_path: Path
) -> None:
    savers = [f"Saver{i:02d}" for i in range(20)]
    leavers = [f"Leaver{i:02d}" for i in range(10)]
    poisoned_leavers = ["Poison Leaver"]
    everyone = savers + leavers + poisoned_leavers
    await at_once(harbor, [(n, "/sober 2026-10-01 first") for n in everyone])
    await at_once(harbor, [(n, "/forget") for n in leavers + poisoned_leavers])
    await poison(store)

    told: dict[str, list[str]] = {}
    for round_ in range(3):
        mark = len(console.said)
        lines = [(n, f"/sober 2026-10-02 steps{round_}") for n in savers]
        if round_ == 0:  # one member's failing write takes its whole transaction down
            lines += [(n, "/sober 2026-10-02 poison") for n in savers[:2]]
        lines += [
            (n, "/forget yes")  # "try again in a moment": those not erased yet do
            for n in leavers + (poisoned_leavers if round_ < 2 else [])  # the last is clean
            if ERASED not in told.get(n, [])
        ]
        await at_once(harbor, lines)
        for name in everyone:
            said = answers(console, name, mark)
            if said:
                told.setdefault(name, []).extend(said)
                told[name + f"#{round_}"] = said
    await store.close()
    names, counters = stored(tmp_path / "harbor.db")

    lost = []
    for round_ in range(3):
        for n in savers:
            for text in told.get(f"{n}#{round_}", []):
                if text.startswith(SAVED) and (n, f"steps{round_}") not in counters:
                    lost.append((n, round_))
    assert lost == [], "members were told 'Saved' for counters that are not stored"
    for n in leavers + poisoned_leavers:
        if any(t == ERASED for t in told.get(n, [])):
            assert n not in names, f"{n} was told 'erased' but is still stored"
        else:
            assert n in names and (n, "first") in counters
    # Whoever was not told it worked was told, kindly, that it did not.
    for key, said in told.items():
        if "#" in key:
            assert all(t.startswith(SAVED) or t in (ERASED, SORRY) for t in said), said
    failures = [k for k, said in told.items() if "#0" in k and SORRY in said]
    assert "Saver00#0" in failures and "Saver01#0" in failures  # the poison writers
    assert "Poison Leaver" in names  # its erase never committed ...
    assert told["Poison Leaver"] == [SORRY, SORRY]  # ... and it was told so each time
    # Innocent writes that shared a failed COMMIT were reported failed, then went through.
    assert len(failures) > 3
    assert all((n, "steps2") in counters for n in savers)
    assert not any(n in names for n in leavers)
