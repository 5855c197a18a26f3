"""`harbor resources export --community ID [--out FILE]` and `harbor resources import FILE
--community ID`: the community's directory as CSV (category, name, contact, area, hours,
languages, checked_on), for keeping a copy or preparing many entries at once. Importing
updates entries with the same category and name and adds the others, in one transaction;
bad rows are skipped and listed; a file that can't be read imports nothing."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bot.kernel.config import Settings
from bot.meetings.cli import MeetingsCliError, find_community
from bot.resources.model import ResourceCsvError, export_csv, parse_csv, review_at
from storage.base import Store
from storage.resources_base import NewResource


class ResourcesCliError(Exception):
    """A problem to print in one line."""


async def import_file(store: Store, path: Path | str, community_ref: str, today: date) -> str:
    community = await find_community(store, community_ref)
    try:
        data = await asyncio.to_thread(Path(path).read_bytes)
    except OSError as exc:
        raise ResourcesCliError(f"cannot read {path}: {exc.strerror}") from None
    try:
        rows, skipped = parse_csv(data, today)
    except ResourceCsvError as exc:
        raise ResourcesCliError(f"nothing was imported: {exc}") from None
    settings = await store.resources.settings(community.id)
    new = [
        NewResource(
            category=r.values["category"],
            name=r.values["name"],
            contact=r.values["contact"],
            area=r.values["area"],
            hours=r.values["hours"],
            languages=r.values["languages"],
            checked_on=r.checked_on.isoformat(),
            review_at=review_at(r.checked_on, settings.review_days),
        )
        for r in rows
    ]
    now = int(datetime.now(UTC).timestamp())
    added, updated = await store.resources.import_many(community.id, new, now)
    lines = [f"{added} added, {updated} updated, {len(skipped)} skipped"]
    lines.extend(f"  skipped {why}" for why in skipped)
    return "\n".join(lines)


async def export(store: Store, community_ref: str) -> bytes:
    community = await find_community(store, community_ref)
    return export_csv(await store.resources.of_communities([community.id]))


def add_resources_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser("resources", help="import or export a community's resources")
    actions = parser.add_subparsers(dest="resources_cmd", required=True)
    imp = actions.add_parser("import", help="import resources from a CSV file")
    imp.add_argument("file")
    exp = actions.add_parser("export", help="export the resources as CSV")
    exp.add_argument("--out", help="file to write (default: standard output)")
    for p in (imp, exp):
        p.add_argument("--community", required=True, help="the community id, or platform:chat_id")
        p.add_argument("--config")
        p.add_argument("--db", help="database file (default: the config's)")


def run_resources(args: argparse.Namespace, settings: Settings) -> int:
    try:
        return asyncio.run(_run(args, settings))
    except (ResourcesCliError, MeetingsCliError) as exc:
        print(f"resources: {exc}", file=sys.stderr)
        return 1


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    from storage import open_store

    store: Store = await open_store(args.db or settings.storage.url)
    try:
        if args.resources_cmd == "import":
            print(await import_file(store, args.file, args.community, datetime.now(UTC).date()))
            return 0
        data = await export(store, args.community)
    finally:
        await store.close()
    if args.out:
        await asyncio.to_thread(Path(args.out).write_bytes, data)
    else:
        sys.stdout.buffer.write(data)
    return 0
