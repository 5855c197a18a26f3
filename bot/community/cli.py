"""`harbor communities`: the communities this database knows, with the id the other tools take
(`--community 3` or `--community telegram:-100123`), so an operator never has to open the
database to find it."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any, TextIO

from bot.kernel.config import Settings
from storage.base import CommunityRow, Store


def add_communities_parser(subparsers: Any) -> None:
    tool = subparsers.add_parser(
        "communities", help="list the communities (groups) with their ids, for --community"
    )
    tool.add_argument("--config")
    tool.add_argument("--db", help="database file (default: the config's)")


def run_communities(args: argparse.Namespace, settings: Settings) -> int:
    return asyncio.run(_run(args.db or settings.storage.url, settings, sys.stdout))


async def _run(url: str, settings: Settings, out: TextIO) -> int:
    from storage import open_store

    store: Store = await open_store(url)
    try:
        rows = await store.communities.all()
    finally:
        await store.close()
    write_table(rows, settings, out)
    return 0


def write_table(rows: list[CommunityRow], settings: Settings, out: TextIO) -> None:
    if not rows:
        print("No communities yet: add Harbor to a group and they appear here.", file=out)
        return
    table = [("ID", "--community", "TITLE", "TIME ZONE", "STATE")]
    for c in rows:
        zone = c.tz or f"{settings.community.timezone} (default)"
        state = "active" if c.active else "left"
        table.append((str(c.id), f"{c.platform}:{c.chat_id}", c.title or "-", zone, state))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
              .rstrip(), file=out)
