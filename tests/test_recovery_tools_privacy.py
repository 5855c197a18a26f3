"""/mydata and /forget cover the recovery tools: reasons, urges and their follow-ups, savings
per counter, and the scheduled posts a moderator wrote. Private tables by schema (every one
references members(id) ON DELETE CASCADE), checked here table by table and end to end."""

from __future__ import annotations

import json
from typing import Any

import pytest

from adapters.console import ConsoleAdapter
from storage.sql.store import SQLStore

MEMBER_TABLES = ("recovery_reasons", "urges", "counter_savings", "announcements")
MEMBER_COLUMNS = {
    "recovery_reasons": "member_id",
    "urges": "member_id",
    "counter_savings": "member_id",
    "announcements": "author_id",
}


async def use_every_tool(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community announce")
    await console.push("/announce add daily 08:00 | Today's topic: my own words")
    await console.push(":dm")
    await console.push("/reasons add to see my daughter grow up")
    await console.push("/sober 2026-10-01 alcohol")
    await console.push("/sober money 12.50/day")
    await console.push("/sober time 3h/day")
    await console.push("/urge")
    await console.push(":press Check on me in 20 minutes")
    await console.push(":advance 21m")
    await console.push(":press 3")


async def mydata(console: ConsoleAdapter) -> dict[str, Any]:
    (said,) = await console.push("/mydata")
    assert said.document is not None
    return dict(json.loads(said.document.content)["tables"])


@pytest.mark.parametrize("table", MEMBER_TABLES)
async def test_each_table_cascades_from_members(store: SQLStore, table: str) -> None:
    keys = await store.db.fetch(f"PRAGMA foreign_key_list({table})")
    refs = [(k["from"], k["on_delete"]) for k in keys if k["table"] == "members"]
    assert refs == [(MEMBER_COLUMNS[table], "CASCADE")]


async def test_mydata_exports_reasons_urges_savings_and_posts_authored(
    console: ConsoleAdapter,
) -> None:
    await use_every_tool(console)
    tables = await mydata(console)
    assert [r["text"] for r in tables["recovery_reasons"]] == ["to see my daughter grow up"]
    (urge,) = tables["urges"]
    assert urge["level_after"] == 3 and urge["check_at"] is not None
    (saved,) = tables["counter_savings"]
    assert (saved["money_rate"], saved["time_rate"]) == ("12.50 USD/day", "180m/day")
    (post,) = tables["announcements"]
    assert post["body"] == "Today's topic: my own words"


async def test_forget_erases_them_and_no_one_elses(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await use_every_tool(console)
    await console.push(":as Sam")
    await console.push(":dm")
    await console.push("/reasons add my garden")
    await console.push(":as Alex")
    await console.push(":dm")
    await console.push("/forget")
    said = await console.push(":press Yes, erase everything")
    assert "erased" in said[0].text
    for table in MEMBER_TABLES:
        left = await store.db.fetchval(f"SELECT COUNT(*) FROM {table}")
        assert left == (1 if table == "recovery_reasons" else 0), table  # Sam's reason stays
    # The erased post is not posted any more.
    said = await console.push(":time 2026-11-26T08:00+00:00")
    assert not any("my own words" in s.text for s in said)
