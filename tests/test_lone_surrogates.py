"""Lone UTF-16 surrogates (a half of an emoji a platform or client cut in two) in what a
member sends: they are replaced with U+FFFD where text enters Harbor, so storage (which
encodes to UTF-8) and the platforms never choke on them, and the member gets normal answers.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

from adapters.console import ConsoleAdapter
from bot.kernel.i18n import t
from bot.kernel.runtime import Harbor
from bot.kernel.text import clean_text, json_may_hold_surrogates
from bot.kernel.types import ChatRef, Incoming, Member
from storage.sql.store import SQLStore

LONE = json.loads('"\\ud800"')  # as a JSON decoder hands it over from "\ud800"
SORRY = t("core.sorry")


def write(path: str, data: bytes) -> None:
    Path(path).write_bytes(data)


def encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def test_clean_text_replaces_lone_surrogates_and_keeps_the_rest() -> None:
    assert clean_text(f"a{LONE}b") == "a\ufffdb"
    assert clean_text("\udfff") == "\ufffd"
    assert clean_text("Sam 😀 Ñandú") == "Sam 😀 Ñandú"  # astral and accented: untouched
    # Two halves of one emoji, each its own code point: joined into the emoji they are.
    assert clean_text("\ud83d\ude00") == "😀"
    assert clean_text(f"😀{LONE}😀") == "😀\ufffd😀"
    assert clean_text("") == ""
    plain = "nothing to clean"
    assert clean_text(plain) is plain  # the common case costs no copy


async def test_console_member_with_a_lone_surrogate_gets_normal_answers(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push(f":as Al{LONE}ex")
    for line in ("/start", "/help", "/sober 2026-01-01", f"/privacy {LONE}"):
        said = await console.push(line)
        assert said, line
        assert all(SORRY not in s.text for s in said), line
    member = await store.members.find("console", "al\ufffdex")
    assert member is not None
    assert member.display_name == "Al\ufffdex"


async def test_core_cleans_an_incoming_from_any_adapter(
    harbor: Harbor, console: ConsoleAdapter, store: SQLStore
) -> None:
    """The last line: an adapter that forgot to clean still cannot crash storage."""
    chat = ChatRef("console", f"dm:x{LONE}", private=True, title=f"T{LONE}")
    event = Incoming(
        member=Member("console", f"x{LONE}", f"Bad{LONE}Name"),
        chat=chat,
        text=f"/start {LONE}",
        command="start",
        args=LONE,
    )
    await harbor.core.handle(event)
    assert console.said, "no answer"
    assert all(SORRY not in s.text for s in console.said)
    member = await store.members.find("console", "x\ufffd")
    assert member is not None and member.display_name == "Bad\ufffdName"
    assert all(encodable(s.text) and encodable(s.to) for s in console.said)


async def test_a_group_title_noted_for_an_adapter_is_cleaned(
    harbor: Harbor, store: SQLStore
) -> None:
    """Adapters note groups (a Discord server's name) through the kernel, outside events."""
    await harbor.core.platforms.note_group("discord", "77", f"Server{LONE}", True)
    found = await store.communities.find("discord", "77")
    assert found is not None and found.title == "Server\ufffd"


async def test_a_meeting_feed_with_lone_surrogates_imports(
    console: ConsoleAdapter, store: SQLStore, tmp_path: Path
) -> None:
    """Feeds are text from outside too: a "\\ud800" escape in a meeting's name made
    /meeting import answer "Sorry" (and a source's sync fail)."""
    feed = tmp_path / "feed.json"
    feed.write_text(
        '[{"name": "Hope\\ud800 Group", "slug": "hope", "day": 1, "time": "19:00",'
        ' "timezone": "UTC", "address": "1 Main St", "city": "Leeds", "notes": "x\\udc00"}]'
    )
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push(f":attach {feed}")
    said = await console.push("/meeting import")
    assert said and all(SORRY not in s.text for s in said)
    community = await store.communities.find("console", "recovery")
    assert community is not None
    [meeting] = await store.meetings.of_communities([community.id])
    assert meeting.name == "Hope\ufffd Group"


def test_json_text_is_walked_only_when_it_may_hold_a_surrogate() -> None:
    assert json_may_hold_surrogates('{"name": "Hope\\ud800"}')
    assert json_may_hold_surrogates('{"name": "\\uD83D\\uDE00"}')  # a pair: walked, joined
    assert json_may_hold_surrogates(f'{{"name": "{LONE}"}}')  # a raw one in a str
    assert not json_may_hold_surrogates('{"name": "Caf\\u00e9 😀"}')


async def test_the_console_attaches_a_file_whose_name_is_not_utf8(
    console: ConsoleAdapter, tmp_path: Path
) -> None:
    """The path after :attach is the file system's (undecodable bytes read as surrogates):
    it is used as it is, and only the name the bot sees is cleaned."""
    raw = os.fsencode(tmp_path) + b"/feed\xff.json"
    write(os.fsdecode(raw), b"[]")
    said = io.StringIO()
    console.out = said
    await console.push(f":attach {os.fsdecode(raw)}")
    assert "attached feed" in said.getvalue()
    assert console.state.attachment is not None
    assert console.state.attachment.filename == "feed\ufffd.json"
