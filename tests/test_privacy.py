"""Privacy: /forget can't miss a table, /mydata exports every table about a member."""

from __future__ import annotations

import json

from adapters.console import ConsoleAdapter
from storage.sql.store import SQLStore

# Tables with no member data, or whose member references are cleared by SET NULL.
NOT_ABOUT_MEMBERS = {"communities", "members", "meetings", "community_helplines"}
# Meeting sources and what they hold (feeds, online directories, cache tokens): no member data.
NOT_ABOUT_MEMBERS |= {"meeting_sources", "online_meetings", "meeting_generations"}
# The circles: community settings, service roles, and events (whose author is cleared).
NOT_ABOUT_MEMBERS |= {"mentor_settings", "resource_settings", "service_roles", "sober_events"}
# Coordination between processes: platform event ids and named leases.
NOT_ABOUT_MEMBERS |= {"processed_events", "leases"}


async def test_every_member_reference_cascades(store: SQLStore) -> None:
    tables: dict[str, list[tuple[str, str]]] = {}
    for name in await store.db.tables():
        keys = await store.db.fetch(f"PRAGMA foreign_key_list({name})")
        tables[name] = [(fk["from"], fk["on_delete"]) for fk in keys if fk["table"] == "members"]
    for table, refs in tables.items():
        if table in NOT_ABOUT_MEMBERS:
            continue
        # Every other table must say how it relates to a member, and erase with them.
        assert refs, f"table {table} has no reference to members: /forget could miss it"
        for column, on_delete in refs:
            assert on_delete == "CASCADE", f"{table}.{column} must be ON DELETE CASCADE"


async def test_forget_leaves_no_row_referring_to_the_member(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    # Use every feature that stores something about a member.
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/community announce")
    await console.push(":dm")
    await console.push("/settings tz Europe/London")
    await console.push("/sober 2026-10-01 alcohol")
    await console.push("/reset")
    await console.push(":press Start again from today")
    await console.push("/slip")
    await console.push(":press Log a slip")
    await console.push("/celebrate on")
    await console.push("/checkin on")
    await console.push("/checkin")
    await console.push(":press 3")
    await console.push(":as Sam")
    await console.push(":group recovery")
    await console.push("hi")
    await console.push(":as Alex")
    await console.push(":dm")
    await console.push("/buddy Sam")
    await console.push(":time 2026-11-26T09:00+00:00")
    member = await store.members.find("console", "alex")
    assert member is not None
    before = await store.privacy.export_member(member.id)
    assert sum(len(rows) for rows in before.values()) > 8

    said = await console.push("/forget")
    assert "can't be undone" in said[0].text
    said = await console.push(":press Yes, erase everything")
    assert "erased" in said[0].text

    after = await store.privacy.export_member(member.id)
    assert set(after) >= set(before)  # the same tables are looked at ...
    assert {table: rows for table, rows in after.items() if rows} == {}  # ... and are empty
    sam = await store.members.find("console", "sam")
    assert sam is not None  # other members are untouched


async def test_forget_needs_confirmation(console: ConsoleAdapter, store: SQLStore) -> None:
    await console.push("/sober 2026-10-01")
    await console.push("/forget")
    said = await console.push(":press No, keep it")
    assert "Nothing was erased" in said[0].text
    assert await store.members.find("console", "alex") is not None


async def test_mydata_exports_everything_as_json(console: ConsoleAdapter) -> None:
    await console.push("/settings tz Europe/London")
    await console.push("/sober 2026-10-01 alcohol")
    await console.push("/checkin")
    await console.push(":press 4")
    said = await console.push("/mydata")
    doc = said[0].document
    assert doc is not None and doc.filename.endswith(".json")
    data = json.loads(doc.content)
    tables = data["tables"]
    assert tables["members"][0]["tz"] == "Europe/London"
    assert tables["counters"][0]["name"] == "alcohol"
    assert tables["checkins"][0]["mood"] == 4
    assert said[0].to == "Alex (private)"
