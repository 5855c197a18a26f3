"""/forget erases on disk too: no readable text of the member's note, counter names or display
name is left in harbor.db, harbor.db-wal or harbor.db-shm, while the bot keeps running and
other members keep writing."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from bot.kernel.config import HarborSettings, Settings
from bot.kernel.runtime import Harbor
from storage.sql.store import SQLStore

NAME = "Zephyrine Quillfeather"
COUNTER = "marzipanwhisky"
NOTE = "Walked to the Skerryvore lighthouse and called my sponsor"


@pytest.fixture
def settings() -> Settings:
    return Settings(harbor=HarborSettings(member_burst=1000))  # many commands in a row


def leftovers(db: Path, needles: list[str]) -> dict[str, list[str]]:
    """Which needles are readable (as UTF-8, any case) in which of the database's files."""
    found: dict[str, list[str]] = {}
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{db}{suffix}")
        data = path.read_bytes().lower() if path.exists() else b""
        hits = [n for n in needles if n.lower().encode() in data]
        if hits:
            found[path.name] = hits
    return found


async def checkin_with_note(console: ConsoleAdapter, note: str) -> None:
    await console.push("/checkin")
    await console.push(":press 4")
    await console.push(":press 2")
    await console.push(":press Yes")
    said = await console.push(note)
    assert "note is saved" in said[0].text


async def test_forget_leaves_no_readable_text_in_any_file(
    console: ConsoleAdapter, store: SQLStore, harbor: Harbor, tmp_path: Path
) -> None:
    db = tmp_path / "harbor.db"
    needles = [NAME, COUNTER, NOTE, NAME.split()[1]]
    await console.push(":as Sam")
    await console.push("/settings tz Europe/London")
    await console.push(f":as {NAME}")
    await console.push("/settings tz Europe/London")
    await console.push("/checkin on")
    said = await console.push(f"/sober 2026-10-01 {COUNTER}")
    assert "Saved" in said[0].text
    await checkin_with_note(console, NOTE)
    # Rewrite the same rows many times: old versions pile up in the write-ahead log.
    for i in range(30):
        await console.push(f"/sober 2026-10-{1 + i % 28:02d} {COUNTER}")
        await console.push(":as Sam")
        await console.push(f"/sober 2026-09-{1 + i % 28:02d} sugar")
        await console.push(f":as {NAME}")
    await checkin_with_note(console, NOTE + " again")
    assert leftovers(db, needles), "the test must see the text before it is erased"

    await console.push("/forget")
    said = await console.push(":press Yes, erase everything")
    assert "erased" in said[0].text
    # The bot keeps running: another member goes on writing, the scheduler runs.
    await console.push(":as Sam")
    for i in range(10):
        await console.push(f"/sober 2026-08-{1 + i:02d} sugar")
    await console.push(":advance 1d")
    assert leftovers(db, needles) == {}
    assert await store.members.find("console", "sam") is not None
