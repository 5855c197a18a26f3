"""The operator side of meetings, sharing the bot's code paths:
`harbor meetings import FILE --community ID`, `harbor meetings export --community ID`, and
`harbor meetings source add URL|list|sync --community ID` (live feeds)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.kernel.config import Settings
from bot.kernel.i18n import ENGLISH, t
from bot.meetings.commands import ics_bytes
from bot.meetings.feed_import import import_feed, outcome_text
from bot.meetings.guide import FeedError
from bot.meetings.source_commands import kind_name
from bot.meetings.source_commands import outcome_text as sync_outcome_text
from bot.meetings.sources import FEED_SOURCE_MAX_BYTES, SourceError, Syncer
from storage.base import CommunityRow, Store
from storage.meetings_base import PURPOSE_MEETINGS, PURPOSE_ONLINE


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


# -- meeting sources ------------------------------------------------------------------------


async def source_add(
    store: Store, settings: Settings, community_ref: str, url: str, online: bool = False
) -> str:
    """Add a live feed as a source of the community and import it; returns the summary."""
    community = await find_community(store, community_ref)
    purpose = PURPOSE_ONLINE if online else PURPOSE_MEETINGS
    try:
        source, outcome = await Syncer(store, settings).add(
            community, url, purpose, datetime.now(UTC)
        )
    except SourceError as exc:
        reason = t(exc.key, max=FEED_SOURCE_MAX_BYTES // 1_000_000)
        raise MeetingsCliError(f"the source was not added: {reason}") from None
    key = "meeting.source_added_online" if online else "meeting.source_added"
    hours = ENGLISH.n("meeting.hours", round(settings.meetings.sync_hours))
    head = t(key, id=source.id, kind=kind_name(source.kind), url=source.url, every=hours)
    return head + "\n" + sync_outcome_text(ENGLISH, outcome)


async def source_list(store: Store, community_ref: str) -> str:
    """The community's sources (or, for "installation", the configured online feed)."""
    community_id = None
    if community_ref.strip().casefold() != "installation":
        community_id = (await find_community(store, community_ref)).id
    lines = []
    for s in await store.meetings.sources(community_id):
        key = "meeting.source_line_online" if s.purpose == PURPOSE_ONLINE else "meeting.source_line"
        lines.append(t(key, id=s.id, kind=kind_name(s.kind), url=s.url))
        checked = (
            datetime.fromtimestamp(s.last_synced, UTC).strftime("%Y-%m-%d %H:%M UTC")
            if s.last_synced
            else t("meeting.source_never")
        )
        upcoming = (
            datetime.fromtimestamp(s.next_sync_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
            if s.next_sync_at
            else "-"
        )
        lines.append(
            "   " + ENGLISH.n("meeting.source_status", s.meetings, checked=checked, next=upcoming)
        )
        if s.last_error:
            lines.append("   " + t("meeting.source_last_error", reason=t(s.last_error, max=0)))
        if s.held:
            lines.append(
                "   "
                + t(
                    "meeting.source_held_here",
                    removes=s.held.get("removes", 0),
                    previous=s.held.get("previous", 0),
                )
            )
    return "\n".join(lines) if lines else t("meeting.source_none_yet")


async def source_sync(
    store: Store,
    settings: Settings,
    community_ref: str,
    source_id: int | None = None,
    apply: bool = False,
) -> str:
    """Sync a community's sources now (one with `source_id`); `apply` applies a sync the
    shrink guard would hold (the operator's Apply)."""
    community_id = None
    if community_ref.strip().casefold() != "installation":
        community_id = (await find_community(store, community_ref)).id
    sources = [
        s
        for s in await store.meetings.sources(community_id)
        if source_id is None or s.id == source_id
    ]
    if not sources:
        raise MeetingsCliError("no such meeting source (see: harbor meetings source list)")
    syncer = Syncer(store, settings)
    out = []
    for source in sources:
        outcome = await syncer.sync(source, datetime.now(UTC), force=apply, notify=False)
        out.append(t("meeting.source_label", id=source.id, url=source.url))
        out.append(sync_outcome_text(ENGLISH, outcome))
    return "\n".join(out)


def add_meetings_parser(subparsers: Any) -> None:
    """Add `meetings import|export|source` to the `harbor` command's subparsers."""
    meetings = subparsers.add_parser(
        "meetings", help="import, export or sync a community's meetings"
    )
    actions = meetings.add_subparsers(
        dest="meetings_cmd", required=True, metavar="{import,export,source}"
    )
    imp = actions.add_parser("import", help="import a Meeting Guide JSON feed")
    imp.add_argument("file")
    exp = actions.add_parser("export", help="export the meetings as iCalendar (.ics)")
    exp.add_argument("--out", help="file to write (default: standard output)")
    src = actions.add_parser("source", help="live meeting feeds a community stays in step with")
    src_actions = src.add_subparsers(dest="source_cmd", required=True, metavar="{add,list,sync}")
    add = src_actions.add_parser(
        "add", help="add a feed (Meeting Guide, TSML or BMLT) and import it"
    )
    add.add_argument("url")
    add.add_argument("--online", action="store_true", help="online meetings for /meetings now only")
    lst = src_actions.add_parser("list", help="a community's sources and their state")
    syn = src_actions.add_parser("sync", help="check the sources for changes now")
    syn.add_argument("--source", type=int, help="only this source (its number)")
    syn.add_argument(
        "--apply",
        action="store_true",
        help="apply even a sync that would remove many meetings (held otherwise)",
    )
    for p in (imp, exp, add, lst, syn):
        help_text = "the community id, or platform:chat_id"
        if p in (lst, syn):
            help_text += " ('installation' for [meetings] online_feed)"
        p.add_argument("--community", required=True, help=help_text)
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
        if args.meetings_cmd == "source":
            if args.source_cmd == "add":
                print(await source_add(store, settings, args.community, args.url, args.online))
            elif args.source_cmd == "list":
                print(await source_list(store, args.community))
            else:
                print(await source_sync(store, settings, args.community, args.source, args.apply))
            return 0
        data = await export(store, args.community)
    finally:
        await store.close()
    if args.out:
        await asyncio.to_thread(Path(args.out).write_bytes, data)
    else:
        sys.stdout.buffer.write(data)
    return 0
