"""`harbor doctor`: checks a deployment and prints what to fix, one line per finding.

It checks the configuration, the tokens (Telegram getMe, Discord's user and application
info, against the configured API addresses), whether Harbor can read ordinary messages in
each known Telegram group (privacy mode, or admin rights) and on Discord (the Message
Content intent), the database (schema version, SQLite quick_check) and the outbox (messages
that failed or expired lately, messages held for members who blocked the bot).

Each line starts with `ok`, `note` (worth knowing, nothing broken) or `FIX` (something to
do). The exit code is 0 when nothing needs fixing, 1 otherwise. It never prints a token
and never changes the database (an out-of-date schema is reported, not migrated).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from bot.kernel.config import DiscordSettings, Settings, TelegramSettings

Level = Literal["ok", "note", "fix"]
TIMEOUT = 10.0
PROBLEM_DAYS = 7
# Discord application flags: the Message Content intent is enabled (or, for bots in fewer
# than 100 servers, "limited", which works the same until the bot grows).
MESSAGE_CONTENT_FLAGS = (1 << 18) | (1 << 19)
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{20,}$")


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    area: str
    text: str

    def line(self) -> str:
        tag = {"ok": "ok  ", "note": "note", "fix": "FIX "}[self.level]
        return f"{tag}  {self.area}: {self.text}"


@dataclass(frozen=True, slots=True)
class Known:
    """What the database knows: the groups and servers Harbor is in."""

    telegram_groups: list[tuple[str, str]]  # (chat id, title)
    discord_servers: list[tuple[str, str]]


def add_doctor_parser(sub: Any) -> None:
    doctor = sub.add_parser(
        "doctor", help="check the configuration, tokens, permissions and database"
    )
    doctor.add_argument("--config")
    doctor.add_argument(
        "--timeout", type=float, default=TIMEOUT, help="seconds for each platform request"
    )


def run_doctor(args: argparse.Namespace, settings: Settings) -> int:
    findings = asyncio.run(diagnose(settings, request_timeout=args.timeout))
    for finding in findings:
        print(finding.line())
    fixes = sum(f.level == "fix" for f in findings)
    print("all good" if not fixes else f"{fixes} thing{'s' * (fixes != 1)} to fix")
    return 1 if fixes else 0


async def diagnose(settings: Settings, *, request_timeout: float = TIMEOUT) -> list[Finding]:
    import aiohttp

    findings = check_config(settings)
    known, db_findings = await check_database(settings)
    findings += db_findings
    client_timeout = aiohttp.ClientTimeout(total=request_timeout)
    async with aiohttp.ClientSession(timeout=client_timeout) as http:
        if settings.telegram.token:
            findings += await check_telegram(http, settings.telegram, known)
        if settings.discord.token:
            findings += await check_discord(http, settings.discord, known)
    return findings


# --- configuration -----------------------------------------------------------------------


def check_config(settings: Settings) -> list[Finding]:
    out: list[Finding] = [Finding("ok", "config", "settings are valid")]
    tg, dc = settings.telegram, settings.discord
    if not tg.token and not dc.token:
        out.append(
            Finding(
                "fix",
                "config",
                "no Telegram or Discord token: `harbor run` only opens the console. Set "
                "HARBOR_TELEGRAM_TOKEN and/or HARBOR_DISCORD_TOKEN",
            )
        )
    if tg.token and not _TOKEN.match(tg.token):
        out.append(
            Finding(
                "fix",
                "telegram",
                "the token does not look like one from @BotFather (digits, a colon, then "
                "letters): copy it again with /token",
            )
        )
    if tg.token and tg.webhook_url and urlsplit(tg.webhook_url).scheme != "https":
        out.append(
            Finding(
                "fix", "telegram", "webhook_url must be an https:// address Telegram can reach"
            )
        )
    if dc.moderator_role_id:
        out.append(
            Finding(
                "note",
                "discord",
                "[discord] moderator_role_id is deprecated: set a role per server with "
                "/community modrole @Role",
            )
        )
    if settings.community.country is None:
        out.append(
            Finding(
                "note",
                "config",
                "no default country ([community] country): members and communities without "
                "one get the international crisis lines",
            )
        )
    return out


# --- database and outbox -----------------------------------------------------------------


async def check_database(settings: Settings) -> tuple[Known, list[Finding]]:
    from storage import open_store, sqlite_path
    from storage.database import bundled_migrations
    from storage.errors import StorageError

    url = settings.storage.url
    postgres = url.startswith(("postgresql:", "postgres:"))
    dialect = "postgresql" if postgres else "sqlite"
    needed = len(bundled_migrations(dialect))
    known = Known([], [])
    out: list[Finding] = []
    where = safe_url(url)
    if not postgres:
        path = sqlite_path(url)
        if path == ":memory:":
            return known, [Finding("note", "database", "in memory: nothing is kept")]
        if not await asyncio.to_thread(Path(path).exists):
            return known, [
                Finding("note", "database", f"{path} does not exist yet; `harbor run` creates it")
            ]
        version, problem = await asyncio.to_thread(_sqlite_version, path)
        if problem is not None:
            return known, [Finding("fix", "database", problem)]
        if version < needed:
            return known, [
                Finding(
                    "note",
                    "database",
                    f"{path} is at schema version {version}, this Harbor uses {needed}: "
                    "`harbor run` migrates it when it starts (take a backup first)",
                )
            ]
        if version > needed:
            return known, [
                Finding(
                    "fix",
                    "database",
                    f"{path} is at schema version {version}, newer than this Harbor "
                    f"({needed}): run the Harbor version that wrote it",
                )
            ]
    try:
        store = await open_store(url, migrate=False)
    except StorageError as exc:
        return known, [Finding("fix", "database", f"cannot open {where}: {exc}")]
    try:
        out.append(Finding("ok", "database", f"{where} opens, schema version {needed}"))
        integrity = getattr(store.db, "integrity", None)
        if integrity is not None:
            verdict = await integrity()
            if verdict == "ok":
                out.append(Finding("ok", "database", "quick_check: ok"))
            else:
                out.append(
                    Finding(
                        "fix",
                        "database",
                        f"quick_check found damage ({verdict[:120]}): stop Harbor and restore "
                        "the latest backup",
                    )
                )
        out += await _outbox_findings(store)
        known = Known(
            [(c.chat_id, c.title) for c in await store.communities.all("telegram") if c.active],
            [(c.chat_id, c.title) for c in await store.communities.all("discord") if c.active],
        )
    except StorageError as exc:
        out.append(Finding("fix", "database", f"reading {where} failed: {exc}"))
    finally:
        await store.close()
    return known, out


def _sqlite_version(path: str) -> tuple[int, str | None]:
    """The schema version, read-only (nothing is created, migrated or locked)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        return 0, f"cannot open {path}: {exc}"
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0]), None
    except sqlite3.DatabaseError as exc:
        return 0, f"{path} is not a usable SQLite file ({exc}): restore the latest backup"
    finally:
        conn.close()


async def _outbox_findings(store: Any) -> list[Finding]:
    out: list[Finding] = []
    stats: dict[str, int] = await store.outbox.stats()
    since = int(time.time()) - PROBLEM_DAYS * 86400
    problems: list[tuple[str, str, str]] = await store.outbox.problems(since, limit=200)
    groups = Counter((kind, status, error.split(":", 1)[0]) for kind, status, error in problems)
    last_error = {(k, s, e.split(":", 1)[0]): e for k, s, e in reversed(problems)}
    for (kind, status, head), count in groups.most_common(5):
        error = last_error[(kind, status, head)][:120] or "no error recorded"
        gone = "given up after retries" if status == "failed" else "not delivered in time"
        out.append(
            Finding(
                "fix",
                "outbox",
                f"{count} '{kind}' message{'s' * (count != 1)} {gone} in the last "
                f"{PROBLEM_DAYS} days (last error: {error}); see the log around those times",
            )
        )
    if not problems:
        out.append(Finding("ok", "outbox", f"nothing failed or expired in {PROBLEM_DAYS} days"))
    if stats.get("pending"):
        out.append(Finding("note", "outbox", f"{stats['pending']} message(s) waiting to be sent"))
    if stats.get("held"):
        out.append(
            Finding(
                "note",
                "outbox",
                f"{stats['held']} message(s) held for members who blocked the bot or closed "
                "their DMs (sent if they come back)",
            )
        )
    return out


def safe_url(url: str) -> str:
    """A storage URL without its password."""
    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":…@")
    return url


# --- Telegram ------------------------------------------------------------------------------


def _redacted(token: str) -> str:
    bot_id, sep, _ = token.partition(":")
    return f"{bot_id}:…" if sep and bot_id.isdigit() else "…"


async def _telegram(http: Any, settings: TelegramSettings, method: str, **params: Any) -> Any:
    """One Bot API call: its result, or a TelegramProblem with a printable reason."""
    base = settings.api_base_url.rstrip("/")
    url = f"{base}/bot{settings.token}/{method}"
    try:
        async with http.post(url, data={k: str(v) for k, v in params.items()}) as response:
            body = await response.json(content_type=None)
            status = response.status
    except Exception as exc:  # aiohttp's errors, timeouts, an answer that is no JSON
        host = urlsplit(base).hostname
        raise TelegramProblem(f"cannot reach {host} ({type(exc).__name__})") from None
    if status in (401, 404):
        raise TelegramProblem(
            f"Telegram rejected the token {_redacted(settings.token)}: copy it again from "
            "@BotFather (/token), into HARBOR_TELEGRAM_TOKEN",
            auth=True,
        )
    if not isinstance(body, dict) or not body.get("ok"):
        description = body.get("description") if isinstance(body, dict) else None
        raise TelegramProblem(str(description or f"HTTP {status}"))
    return body.get("result")


class TelegramProblem(Exception):
    def __init__(self, message: str, *, auth: bool = False) -> None:
        super().__init__(message)
        self.auth = auth


async def check_telegram(http: Any, settings: TelegramSettings, known: Known) -> list[Finding]:
    out: list[Finding] = []
    try:
        me = await _telegram(http, settings, "getMe")
    except TelegramProblem as exc:
        return [Finding("fix", "telegram", str(exc))]
    out.append(Finding("ok", "telegram", f"token accepted: @{me.get('username')}"))
    reads_all = bool(me.get("can_read_all_group_messages"))
    if reads_all:
        out.append(Finding("ok", "telegram", "privacy mode is off: Harbor reads group messages"))
    elif not known.telegram_groups:
        out.append(
            Finding(
                "note",
                "telegram",
                "privacy mode is on: in groups Harbor will see only commands and replies to "
                "it. For crisis detection: @BotFather → /setprivacy → Disable, before adding "
                "the bot to groups (or make it an admin there)",
            )
        )
    for chat_id, title in known.telegram_groups if not reads_all else []:
        out.append(await _telegram_group(http, settings, me, chat_id, title))
    out += await _telegram_webhook(http, settings)
    return out


async def _telegram_group(
    http: Any, settings: TelegramSettings, me: dict[str, Any], chat_id: str, title: str
) -> Finding:
    name = f"group '{title}' ({chat_id})" if title else f"group {chat_id}"
    try:
        member = await _telegram(
            http, settings, "getChatMember", chat_id=chat_id, user_id=me["id"]
        )
    except TelegramProblem as exc:
        return Finding("note", "telegram", f"{name}: not reachable ({exc})")
    status = member.get("status") if isinstance(member, dict) else None
    if status in ("administrator", "creator"):
        return Finding("ok", "telegram", f"{name}: Harbor is an admin and reads all messages")
    if status in ("left", "kicked"):
        return Finding("note", "telegram", f"{name}: Harbor is no longer in it")
    return Finding(
        "fix",
        "telegram",
        f"{name}: Harbor sees only commands there (privacy mode on, not an admin), so crisis "
        "messages go unseen. @BotFather → /setprivacy → Disable, then remove the bot from the "
        "group and add it again (or make it an admin there)",
    )


async def _telegram_webhook(http: Any, settings: TelegramSettings) -> list[Finding]:
    try:
        info = await _telegram(http, settings, "getWebhookInfo")
    except TelegramProblem as exc:
        return [Finding("note", "telegram", f"webhook info not available ({exc})")]
    current = str(info.get("url") or "")
    if settings.webhook_url:
        out = []
        if info.get("last_error_message"):
            out.append(
                Finding(
                    "fix",
                    "telegram",
                    f"Telegram could not deliver to the webhook lately "
                    f"({str(info['last_error_message'])[:100]}): check the TLS proxy in front "
                    f"of {settings.webhook_listen}:{settings.webhook_port}",
                )
            )
        if current and current != settings.webhook_url:
            out.append(
                Finding(
                    "note",
                    "telegram",
                    "Telegram delivers to another webhook address; `harbor run` sets the "
                    "configured one when it starts",
                )
            )
        return out
    if current:
        return [
            Finding(
                "note",
                "telegram",
                "a webhook is set for this token; `harbor run` (polling) removes it: make "
                "sure no other deployment uses the same token",
            )
        ]
    return []


# --- Discord -------------------------------------------------------------------------------


async def _discord(http: Any, settings: DiscordSettings, path: str) -> tuple[int, Any]:
    base = settings.api_base_url.rstrip("/")
    headers = {"Authorization": f"Bot {settings.token}"}
    async with http.get(f"{base}{path}", headers=headers) as response:
        return response.status, await response.json(content_type=None)


async def check_discord(http: Any, settings: DiscordSettings, known: Known) -> list[Finding]:
    host = urlsplit(settings.api_base_url).hostname
    try:
        status, me = await _discord(http, settings, "/users/@me")
        if status == 401:
            return [
                Finding(
                    "fix",
                    "discord",
                    "Discord rejected the token: Developer Portal → your application → Bot → "
                    "Reset Token, into HARBOR_DISCORD_TOKEN",
                )
            ]
        app_status, app = await _discord(http, settings, "/applications/@me")
    except Exception as exc:  # aiohttp's errors, timeouts, a non-JSON answer
        return [Finding("fix", "discord", f"cannot reach {host} ({type(exc).__name__})")]
    if status != 200 or app_status != 200 or not isinstance(app, dict):
        return [Finding("fix", "discord", f"{host} answered HTTP {status}/{app_status}")]
    out = [Finding("ok", "discord", f"token accepted: {me.get('username')}")]
    intent = bool(int(app.get("flags") or 0) & MESSAGE_CONTENT_FLAGS)
    if settings.read_messages and not intent:
        out.append(
            Finding(
                "fix",
                "discord",
                "read_messages = true but the Message Content intent is off (Discord would "
                "refuse the connection, close 4014): Developer Portal → Bot → Privileged "
                "Gateway Intents → Message Content",
            )
        )
    elif settings.read_messages:
        out.append(
            Finding("ok", "discord", "the Message Content intent is on: Harbor reads servers")
        )
    else:
        out.append(
            Finding(
                "note",
                "discord",
                "read_messages = false: in servers crisis detection sees only slash commands, "
                "DMs and mentions. Turn on the Message Content intent and set "
                "[discord] read_messages = true",
            )
        )
    if known.discord_servers:
        out.append(Finding("ok", "discord", f"in {len(known.discord_servers)} server(s)"))
    from adapters.discord_convert import invite_link  # pure: no discord.py

    out.append(Finding("note", "discord", f"invite link: {invite_link(str(app.get('id')))}"))
    return out


def lines(findings: Sequence[Finding]) -> list[str]:
    return [f.line() for f in findings]
