"""/mydata and /forget across every circle, driven by the schema: a member who used them all
finds each table in their export, and after /forget no row refers to them any more."""

from __future__ import annotations

import json
import re

from adapters.console import ConsoleAdapter
from storage.sql.store import SQLStore

CIRCLE_TABLES = {
    "mentors",
    "mentorships",
    "supporter_invites",
    "supporters",
    "resources",
    "resource_reports",
    "sober_events",
    "event_rsvps",
    "service_turns",
    "service_prefs",
}


async def use_every_circle(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/resources add food | Pantry | 555 0100")
    await console.push("/event add Picnic | tomorrow 13:00")
    await console.push("/service role add greeter | thu | 18:45")
    await console.push(":as Sam")
    await console.push(":group recovery")
    await console.push("hi")
    await console.push(":dm")
    await console.push("/sober 2024-01-01")
    await console.push("/mentor volunteer Happy to help. | English | evenings")
    await console.push(":as Alex")
    await console.push(":dm")
    await console.push("/mentor request")
    await console.push("English")
    await console.push("evenings")
    await console.push(":group recovery")
    await console.push("/mentor pair 1")
    await console.push("/resources report 1")
    await console.push("/event going 1")
    await console.push("/service signup greeter")
    await console.push(":dm")
    await console.push("/service history on")
    said = await console.push("/supporters invite")
    code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", said[0].text)
    assert code is not None
    await console.push(":as Jordan")
    await console.push(f"/supporting {code.group(0)}")
    await console.push(":as Alex")
    await console.push("/supporters invite")  # one more, unused


async def test_mydata_holds_every_circle_and_forget_erases_it(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await use_every_circle(console)
    said = await console.push("/mydata")
    assert said[0].document is not None
    tables = json.loads(said[0].document.content)["tables"]
    assert {t for t, rows in tables.items() if rows} >= CIRCLE_TABLES - {"mentors"}
    assert all(row["code_hash"] for row in tables["supporter_invites"])  # never the code
    alex = await store.members.find("console", "alex")
    assert alex is not None
    await console.push("/forget")
    await console.push(":press Yes, erase everything")
    after = await store.privacy.export_member(alex.id)
    assert {table: rows for table, rows in after.items() if rows} == {}
    # The event stays for the others, without its author; Sam and Jordan are untouched.
    event = await store.events.get(1)
    assert event is not None and event.created_by is None
    sam = await store.members.find("console", "sam")
    assert sam is not None and await store.mentors.of_member(sam.id) == []
    assert await store.mentors.mentor(sam.id, 1) is not None
    assert await store.members.find("console", "jordan") is not None
