"""`harbor meetings import FILE --community ID` and `harbor meetings export --community ID`:
the operator side of meeting import/export, sharing the bot's code paths."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.kernel.config import Settings
from bot.kernel.i18n import t
from bot.meetings.commands import ics_bytes
from bot.meetings.feed_import import import_feed, outcome_text
from bot.meetings.guide import FeedError
from storage.base import CommunityRow, Store


class MeetingsCliError(Exception):
    """A problem to print in one line (unknown community, unreadable or malformed feed)."""


async def find_community(store: Store, ref: str) -> CommunityRow:
    """ID is the internal community id, or "platform:chat_id" (e.g. telegram:-100123)."""
    ref = ref.strip()
    found: CommunityRow | None = None
    if ref.isdigit():
        found = await store.communities.get(int(ref))
    elif ":" in ref:
        platform, _, chat_id = ref.partition(":")
        found = await store.communities.find(platform, chat_id)
    if found is None:
        raise MeetingsCliError(f"no community {ref!r} (use its id or platform:chat_id)")
    return found


async def import_file(store: Store, path: Path | str, community_ref: str, default_tz: str) -> str:
    """Import a Meeting Guide JSON file; returns the summary. A malformed file imports
    nothing and raises MeetingsCliError."""
    community = await find_community(store, community_ref)
    try:
        data = await asyncio.to_thread(Path(path).read_bytes)
    except OSError as exc:
        raise MeetingsCliError(f"cannot read {path}: {exc.strerror}") from None
    try:
        outcome = await import_feed(store, community, data, default_tz, datetime.now(UTC))
    except FeedError as exc:
        raise MeetingsCliError(f"nothing was imported: {exc.message}") from None
    return outcome_text(t, outcome)


async def export(store: Store, community_ref: str) -> bytes:
    """The community's meetings as an iCalendar file."""
    community = await find_community(store, community_ref)
    rows = await store.meetings.of_communities([community.id])
    return ics_bytes(rows, community.title or community.chat_id, datetime.now(UTC))


def add_meetings_parser(subparsers: Any) -> None:
    """Add `meetings import|export` to the `harbor` command's subparsers."""
    meetings = subparsers.add_parser("meetings", help="import or export a community's meetings")
    actions = meetings.add_subparsers(dest="meetings_cmd", required=True)
    imp = actions.add_parser("import", help="import a Meeting Guide JSON feed")
    imp.add_argument("file")
    exp = actions.add_parser("export", help="export the meetings as iCalendar (.ics)")
    exp.add_argument("--out", help="file to write (default: standard output)")
    for p in (imp, exp):
        p.add_argument("--community", required=True, help="the community id, or platform:chat_id")
        p.add_argument("--config")
        p.add_argument("--db", help="database file (default: the config's)")


def run_meetings(args: argparse.Namespace, settings: Settings) -> int:
    try:
        return asyncio.run(_run(args, settings))
    except MeetingsCliError as exc:
        print(f"meetings: {exc}", file=sys.stderr)
        return 1


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from storage import open_store

    store: Store = await open_store(args.db or settings.storage.url)
    try:
        if args.meetings_cmd == "import":
            print(await import_file(store, args.file, args.community, settings.community.timezone))
            return 0
        data = await export(store, args.community)
    finally:
        await store.close()
    if args.out:
        await asyncio.to_thread(Path(args.out).write_bytes, data)
    else:
        sys.stdout.buffer.write(data)
    return 0
