"""The `harbor` command: run, console, and the operator tools."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.dbcli import add_db_parser, add_migrate_parser, run_db, run_migrate
from bot.kernel.clock import ManualClock, SystemClock
from bot.kernel.config import ConfigError, Settings, load_settings
from bot.meetings.cli import add_meetings_parser, run_meetings
from storage.errors import StorageError

if TYPE_CHECKING:
    from storage.sql.store import SQLStore

DEFAULT_CONFIG = Path("config.toml")

# The features' operator tools: `harbor NAME ...`, each adding its own subparser and running
# with the loaded settings (one line each; the code lives with its feature).
TOOLS: dict[str, tuple[Callable[[Any], None], Callable[[argparse.Namespace, Settings], int]]] = {
    "meetings": (add_meetings_parser, run_meetings),
    "migrate": (add_migrate_parser, run_migrate),
    "db": (add_db_parser, run_db),
}


def _settings(path: str | None) -> Settings:
    if path is not None:
        return load_settings(Path(path))
    return load_settings(DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)


def _configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.harbor.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # These libraries log request URLs (with the bot token) or message payloads at INFO/DEBUG.
    for noisy in ("httpx", "httpcore", "telegram", "discord", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


async def _open_store(url: str, *, exclusive: bool = False, migrate: bool = True) -> SQLStore:
    from storage import open_store  # imported late: `harbor --help` stays quick

    return await open_store(url, exclusive=exclusive, migrate=migrate)


async def run_console(
    settings: Settings, database: str, script: bool, start: datetime | None = None
) -> int:
    from adapters.console import ConsoleAdapter
    from bot.app import build

    store = await _open_store(database, exclusive=True)
    clock = ManualClock(start or SystemClock().now())
    harbor = build(store, clock, settings)

    async def on_time() -> None:
        await harbor.tick()

    console = ConsoleAdapter(out=sys.stdout, clock=clock, on_time=on_time)
    harbor.attach(console)
    await console.start(harbor.core)
    try:
        if script:
            await console.run_lines(sys.stdin, echo=True)
        else:
            print(
                "Harbor console. You are Alex, in a private chat with the bot. "
                "Type /start, or :help for console commands."
            )
            while True:
                line = await asyncio.to_thread(_prompt, console.state.member)
                if line is None or line.strip().casefold() in (":quit", ":q", ":exit"):
                    break
                await console.push(line)
                await harbor.tick()
    finally:
        await store.close()
    return 0


def _prompt(name: str) -> str | None:
    try:
        return input(f"{name}> ")
    except EOFError:
        return None


async def run_bot(settings: Settings, role: str = "all") -> int:
    from bot.app import build

    url = settings.storage.url
    sqlite = url.startswith("sqlite") or "://" not in url
    if role != "all" and sqlite:
        raise ConfigError(
            f"--role {role} needs PostgreSQL: SQLite runs one process (use --role all)"
        )
    if not settings.telegram.token and not settings.discord.token:
        print(
            f"No Telegram or Discord token configured: starting the console on {url}.",
            file=sys.stderr,
        )
        return await run_console(settings, url, not sys.stdin.isatty())
    store = await _open_store(url, exclusive=True, migrate=sqlite)
    harbor = build(store, SystemClock(), settings)
    infos = harbor.command_infos()
    if settings.telegram.token:
        from adapters.telegram_adapter import TelegramAdapter

        tg = settings.telegram
        harbor.attach(
            TelegramAdapter(
                tg.token,
                infos,
                base_url=tg.api_base_url,
                webhook_url=tg.webhook_url or None,
                webhook_secret=tg.webhook_secret or None,
                webhook_listen=tg.webhook_listen,
                webhook_port=tg.webhook_port,
                admin_cache_seconds=tg.admin_cache_seconds,
                per_second=tg.per_second,
                group_per_minute=tg.group_per_minute,
                receive=False,  # the runtime starts receiving where this process should
            )
        )
        if tg.webhook_url and not tg.webhook_secret and not sqlite:
            logging.getLogger("harbor").warning(
                "telegram.webhook_secret is not set: with several gateways each would make"
                " its own, and Telegram knows only one; set it in every gateway's config"
            )
    if settings.discord.token:
        from adapters.discord_adapter import DiscordAdapter

        dc = settings.discord
        harbor.attach(
            DiscordAdapter(
                dc.token,
                infos,
                read_messages=dc.read_messages,
                moderator_role_id=dc.moderator_role_id or None,
                sharded=dc.sharded,
                per_second=dc.per_second,
                shard_ids=dc.shard_ids,
                shard_count=dc.shard_count,
                receive=role != "worker",
            )
        )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await harbor.run_forever(stop, role=role)
    return 0


def _aware(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {text!r}") from None
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError("give a UTC offset, e.g. 2026-11-25T12:00+00:00")
    return when


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="harbor", description="Harbor peer-support bot")
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="start the configured adapters (the console without tokens)")
    run.add_argument("--config")
    run.add_argument(
        "--role",
        choices=("all", "gateway", "worker"),
        default="all",
        help="gateway: receive and answer platform events; worker: sweep and send scheduled"
        " messages; all (default): both. Several processes need PostgreSQL",
    )
    con = sub.add_parser("console", help="talk to Harbor in the terminal")
    con.add_argument("--config")
    con.add_argument("--db", help="database file (default: the config's, ./harbor.db)")
    con.add_argument(
        "--clock",
        type=_aware,
        help="start the console clock here, e.g. "
        "2026-11-25T12:00+00:00 (default: now); scripts use it to be repeatable",
    )
    scan = sub.add_parser(
        "crisis-scan",
        help="check messages from standard input, one per "
        "line, for crisis language; writes one JSON object per line",
    )
    scan.add_argument("--lang", choices=("auto", "en", "es", "pt", "fr", "de"), default="auto")
    scan.add_argument("--config")
    for add_parser, _run in TOOLS.values():
        add_parser(sub)
    return parser


def crisis_scan(lang: str, lines: TextIO, out: TextIO) -> int:
    """`harbor crisis-scan`: for moderators checking their settings, and for evaluation."""
    from bot.crisis.detect import detect

    for line in lines:
        found = detect(line.rstrip("\n"), lang)
        record = {
            "crisis": found.crisis,
            "kind": found.kind,
            "score": round(found.score, 3),
            "lang": found.lang,
            "third_party": found.third_party,
        }
        out.write(json.dumps(record) + "\n")
    out.flush()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.cmd == "crisis-scan":  # needs no config, storage or network
        return crisis_scan(args.lang, sys.stdin, sys.stdout)
    try:
        settings = _settings(args.config)
        _configure_logging(settings)
        if args.cmd in TOOLS:
            return TOOLS[args.cmd][1](args, settings)
        if args.cmd == "console":
            database = args.db or settings.storage.url
            return asyncio.run(run_console(settings, database, not sys.stdin.isatty(), args.clock))
        return asyncio.run(run_bot(settings, args.role))
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except StorageError as exc:
        print(f"storage: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
