"""The `harbor` command: run, console, and the operator tools."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from bot.community.cli import add_communities_parser, run_communities
from bot.dbcli import add_db_parser, add_migrate_parser, run_db, run_migrate
from bot.doctor import add_doctor_parser, run_doctor, safe_url
from bot.kernel.clock import ManualClock, SystemClock
from bot.kernel.config import ConfigError, Settings, load_settings, start_up_warnings
from bot.meetings.cli import add_meetings_parser, run_meetings
from bot.resources.cli import add_resources_parser, run_resources
from storage.errors import StorageError

if TYPE_CHECKING:
    from bot.kernel.runtime import Harbor
    from storage.sql.store import SQLStore

DEFAULT_CONFIG = Path("config.toml")
EXIT_ADAPTER = 4  # a platform adapter failed for good (bad token, refused intent)

# The features' operator tools: `harbor NAME ...`, each adding its own subparser and running
# with the loaded settings (one line each; the code lives with its feature).
TOOLS: dict[str, tuple[Callable[[Any], None], Callable[[argparse.Namespace, Settings], int]]] = {
    "meetings": (add_meetings_parser, run_meetings),
    "communities": (add_communities_parser, run_communities),
    "doctor": (add_doctor_parser, run_doctor),
    "resources": (add_resources_parser, run_resources),
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


def _warn_at_start(settings: Settings) -> None:
    for warning in start_up_warnings(settings):
        logging.getLogger("harbor").warning("%s", warning)


async def _open_store(url: str, *, exclusive: bool = False, migrate: bool = True) -> SQLStore:
    from storage import open_store  # imported late: `harbor --help` stays quick

    return await open_store(url, exclusive=exclusive, migrate=migrate)


def _is_sqlite(url: str) -> bool:
    """SQLite files migrate themselves on start; PostgreSQL needs `harbor migrate`."""
    return url.startswith("sqlite") or "://" not in url


async def run_console(
    settings: Settings, database: str, script: bool, start: datetime | None = None
) -> int:
    from adapters.console import ConsoleAdapter
    from bot.app import build

    # PostgreSQL is migrated by `harbor migrate` only, whichever command opens it (as
    # `harbor run` with a token): a shared database never changes behind the operator's back.
    store = await _open_store(database, exclusive=True, migrate=_is_sqlite(database))
    clock = ManualClock(start or SystemClock().now())
    harbor = build(store, clock, settings)

    async def on_time() -> None:
        await catch_up(harbor)

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
                await catch_up(harbor)
    finally:
        await store.close()
    return 0


async def catch_up(harbor: Harbor, rounds: int = 100) -> None:
    """Sweep until nothing more is due, then send: after a long jump of the console's clock
    a meeting's reminders or a counter's milestones may take several sweeps to catch up
    (each advances a row by one occurrence), and all of it is due at once."""
    now = harbor.clock.now()
    for _ in range(rounds):
        planned = await harbor.sweeper.run(now)
        if not any(planned.values()):
            break
    await harbor.dispatcher.drain()


def _prompt(name: str) -> str | None:
    try:
        return input(f"{name}> ")
    except EOFError:
        return None


async def run_bot(settings: Settings, role: str = "all") -> int:
    from adapters.registry import configured
    from bot.app import build
    from bot.kernel.runtime import AdapterError

    url = settings.storage.url
    sqlite = _is_sqlite(url)
    if role != "all" and sqlite:
        raise ConfigError(
            f"--role {role} needs PostgreSQL: SQLite runs one process (use --role all)"
        )
    platforms = configured(settings)
    if not platforms:
        print(
            f"No Telegram or Discord token configured: starting the console on {safe_url(url)}.",
            file=sys.stderr,
        )
        return await run_console(settings, url, not sys.stdin.isatty())
    store = await _open_store(url, exclusive=True, migrate=sqlite)
    harbor = build(store, SystemClock(), settings)
    infos = harbor.command_infos()
    for platform in platforms:
        harbor.attach(platform.build(settings, infos, role))
    tg = settings.telegram
    if tg.token and tg.webhook_url and not tg.webhook_secret and not sqlite:
        logging.getLogger("harbor").warning(
            "telegram.webhook_secret is not set: with several gateways each would make"
            " its own, and Telegram knows only one; set it in every gateway's config"
        )
    # What start-up built lives as long as the process (modules, catalogs, the crisis
    # model): frozen, full collections no longer scan it. bench/core_throughput.py
    # --gc-freeze: gen-2 CPU in phase B 879 -> 209 ms, the longest pause 124 -> 43 ms.
    gc.collect()
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await harbor.run_forever(stop, role=role)
    except AdapterError as exc:  # a bad token, a refused intent: one line, no traceback
        print(f"harbor: {exc}", file=sys.stderr)
        return EXIT_ADAPTER
    return 0


def _aware(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date-time: {text!r}") from None
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError("give a UTC offset, e.g. 2026-11-25T12:00+00:00")
    return when


class _Parser(argparse.ArgumentParser):
    """argparse, with errors in the words of the command line rather than of the code: a
    missing sub-command lists the choices instead of "required: cmd"."""

    def error(self, message: str) -> NoReturn:
        for action in self._actions:
            names = (action.dest, action.metavar)
            if isinstance(action, argparse._SubParsersAction) and any(
                isinstance(n, str) and f"required: {n}" in message for n in names
            ):
                choices = ", ".join(action.choices or ())
                message = f"choose what to do: {choices} (add --help to any of them)"
        super().error(message)


def _version() -> str:
    try:
        return f"harbor {metadata.version('harbor-bot')}"
    except metadata.PackageNotFoundError:
        return "harbor (version unknown: not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="harbor", description="Harbor peer-support bot")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="cmd", required=True, metavar="COMMAND")
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
        _warn_at_start(settings)
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
