"""Discord adapter: thin glue between discord.py 2.x and Harbor's neutral ports.

What it does
- One slash command per CommandInfo in a `discord.app_commands.CommandTree`, each with an
  optional string "args" (autocompleted for meeting ids, counter names and time zones) and,
  only for a command that reads a file (`CommandInfo.takes_file`: /meeting, for a Meeting
  Guide feed with /meeting import), an optional attachment "file"; usable in servers and
  in DMs with the bot. Descriptions and option names are localised through an
  `app_commands.Translator` (the kernel's translations, and `bot/locale/*/adapters.toml`).
  The tree is synced only when what it would send changed (a hash kept in
  `[discord] commands_hash_file`); `[discord] dev_guild_id` syncs to one server only.
- Button presses arrive through the public `on_interaction` event and are handled
  generically: a button's custom_id is the Button.data, so buttons keep working after a
  restart (no per-view state; views are only used to render components).
- While answering an interaction, private replies in a server are ephemeral; the first
  reply uses the interaction response, the rest are followups. The defer timer counts from
  the interaction's creation and decides public or private before deferring; a missed
  deadline (10062) is reported as EXPIRED and the kernel sends the reply another way.
- Private replies outside an interaction go to the member's DM channel, whose id is kept in
  `members.dm_channel_id`: after the first DM to a member, no more `create_dm` calls.
- Moderators: Manage Server or Administrator, or the community's role set with
  `/community modrole @Role` (`communities.moderator_role_id`).

Public APIs only. discord.py turns gateway payloads into objects; the pure converter
(adapters.discord_convert) works on payload-shaped mappings so it can be tested with canned
JSON. Rather than hooking discord.py's private parser table or building `Interaction`
objects by hand, the glue rebuilds those mappings from public attributes (`on_message`'s
`discord.Message`, and `Interaction.data` — the raw interaction data — with the
interaction's public fields). The alternative, `enable_debug_events` with
`on_socket_raw_receive`, would hand us raw JSON but makes discord.py decode and dispatch
every gateway frame twice, and an interaction still needs discord.py's own `Interaction`
object to be answered; the public objects are the supported, stable surface.

Supervision: `watch()` (run by the runtime) returns when the gateway connection ended after
start-up: a fatal close (4004 bad token, 4014 privileged intent not enabled, 4010–4013
sharding or version errors) is a fatal AdapterError (Harbor stops, exit 4); anything else
is retried by the runtime with backoff (discord.py itself resumes ordinary disconnects).
`stop()` refuses new events, lets in-flight handlers finish (bounded by
`stop_grace_seconds`), then closes the client.

Attachments: the converter only reports a file's metadata and URL. The adapter downloads
the bytes (a fresh aiohttp session, a timeout, at most `max_attachment_bytes`, 5 MB by
default) only for the "file" option of a command that reads one (`takes_file`); a file sent
with any other command is dropped unread, so /crisis never waits for a download. Files on
messages, in a channel or a DM, are never downloaded: no message is a command that reads one.

Message content: with `read_messages=True` the privileged message_content intent is
requested (it must be enabled in the developer portal, or Discord closes the gateway with
4014) and every guild message reaches the handler, which crisis detection needs. Without it
Discord sends guild messages with empty text, so only DMs and messages that mention the bot
are passed on. Edits (`on_raw_message_edit`) follow the same rule and go to the crisis guard
only, once per edit; updates that are no edit (a link preview added) are ignored.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import time
import traceback
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import discord
import discord.http
from discord import app_commands
from discord.app_commands import locale_str

from adapters import discord_convert as convert
from bot.kernel import i18n
from bot.kernel.config import DiscordSettings
from bot.kernel.ports import Capabilities, CommandInfo, Inbox, Limits
from bot.kernel.runtime import AdapterError
from bot.kernel.types import (
    ChatRef,
    Document,
    EventKind,
    Incoming,
    Member,
    Reply,
    SendResult,
    SendStatus,
)

_log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://discord.com/api/v10"
_ARGS_KEY = "discord.args_description"
_FILE_KEY = "discord.file_description"
# The option help texts, when the catalog has no key for them.
ARGS_DESCRIPTION = "details"
FILE_DESCRIPTION = "a file, e.g. a meeting feed"
# Attachments the adapter downloads (slash command files, DM files): at most this many bytes,
# within this many seconds.
MAX_ATTACHMENT_BYTES = 5_000_000
ATTACHMENT_TIMEOUT = 15.0
_DEFERRED_UPDATE = discord.InteractionResponseType.deferred_message_update
# Discord fails an interaction not answered within 3 s of its creation; defer before that.
DEFER_AFTER = 2.0
MAX_CONCURRENT_EVENTS = 256
STOP_GRACE = 10.0
ROLE_CACHE_SECONDS = 60.0
_NOT_RUNNING = SendResult(SendStatus.FAILED, detail="discord adapter not running")
UNKNOWN_CHANNEL = 10003

# The invite's permissions by name (discord.py's flags); tests check they make the
# integer the README and `harbor doctor` use (discord_convert.INVITE_PERMISSIONS).
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    embed_links=True,
    attach_files=True,
    read_message_history=True,
    use_application_commands=True,
)

# Gateway close codes that retrying cannot fix.
FATAL_CLOSES = {
    4004: "Discord rejected the bot token (gateway close 4004); check HARBOR_DISCORD_TOKEN",
    4010: "Discord refused the shard settings (gateway close 4010); check shard_ids",
    4011: "Discord requires sharding for this bot (gateway close 4011); set "
    "[discord] sharded = true",
    4012: "Discord refused the gateway version (close 4012); update discord.py",
    4013: "Discord refused the requested intents (gateway close 4013)",
    4014: "Discord refused the Message Content intent (gateway close 4014): enable it in the "
    "Developer Portal (Bot → Privileged Gateway Intents) or set [discord] read_messages = false",
}


def _catalog(key: str, lang: str = i18n.DEFAULT_LANG) -> str | None:
    return i18n.t(key, lang) if i18n.has(key, lang) else None


def _view(specs: Sequence[convert.ButtonSpec]) -> discord.ui.View | None:
    if not specs:
        return None
    view = discord.ui.View(timeout=None)
    for spec in specs:
        view.add_item(
            discord.ui.Button(
                label=spec.label, custom_id=spec.custom_id, url=spec.url, row=spec.row
            )
        )
    # Render only: stopped views are not kept in discord.py's view store (no state that
    # would grow with every message); presses are handled from the interaction.
    view.stop()
    return view


def _files(specs: Sequence[convert.FileSpec]) -> list[discord.File]:
    return [
        discord.File(
            io.BytesIO(spec.content), filename=spec.filename, description=spec.description or None
        )
        for spec in specs
    ]


def _modal(spec: convert.ModalSpec) -> discord.ui.Modal:
    """A modal rendered from its spec; stopped, so discord.py keeps no state for it (the
    answer arrives through on_interaction and is routed by its custom_id)."""
    modal = discord.ui.Modal(title=spec.title, custom_id=spec.custom_id, timeout=None)
    modal.add_item(
        discord.ui.TextInput(
            label=spec.label,
            custom_id=convert.FORM_INPUT_ID,
            style=discord.TextStyle.paragraph if spec.paragraph else discord.TextStyle.short,
            placeholder=spec.placeholder or None,
            default=spec.value or None,
            max_length=spec.max_length,
            required=True,
        )
    )
    modal.stop()
    return modal


def _error_result(exc: BaseException) -> SendResult:
    if isinstance(exc, discord.RateLimited):
        return SendResult(
            SendStatus.RETRY_AFTER, retry_after=exc.retry_after, detail="rate limited"
        )
    if isinstance(exc, discord.HTTPException):
        retry_after = None
        if exc.status == 429 and exc.response is not None:
            retry_after = float(exc.response.headers.get("Retry-After", "1") or 1)
        return convert.result_for_error(exc.status, exc.code, retry_after)
    return SendResult(SendStatus.FAILED, detail=type(exc).__name__)


_SEND_ERRORS = (
    discord.RateLimited,
    discord.HTTPException,
    aiohttp.ClientError,
    OSError,
    asyncio.TimeoutError,
)


def _log_handler_error(what: str, exc: BaseException) -> None:
    # Frames only: an exception's message may quote what a member wrote.
    frames = "".join(traceback.format_tb(exc.__traceback__))
    _log.error("handler raised %s on a %s event\n%s", type(exc).__name__, what, frames)


def gateway_error(exc: BaseException | None) -> AdapterError:
    """How the end of the gateway connection is reported: fatal for what retrying can't
    fix (the close codes above), a passing failure otherwise."""
    if isinstance(exc, discord.PrivilegedIntentsRequired):
        return AdapterError(FATAL_CLOSES[4014], fatal=True)
    if isinstance(exc, discord.LoginFailure):
        return AdapterError(FATAL_CLOSES[4004], fatal=True)
    if isinstance(exc, discord.ConnectionClosed) and exc.code in FATAL_CLOSES:
        return AdapterError(FATAL_CLOSES[exc.code], fatal=True)
    if isinstance(exc, discord.ConnectionClosed):
        return AdapterError(f"the Discord gateway closed ({exc.code})", fatal=False)
    if exc is None:
        return AdapterError("the Discord gateway connection ended", fatal=False)
    return AdapterError(
        f"the Discord gateway connection failed ({type(exc).__name__})", fatal=False
    )


# --- payload-shaped views of discord.py's public objects ---------------------------------


def _user_json(user: discord.abc.User) -> dict[str, Any]:
    return {
        "id": str(user.id),
        "username": user.name,
        "global_name": user.global_name,
        "bot": user.bot,
    }


def _role_ids(member: discord.abc.User) -> list[str]:
    if not isinstance(member, discord.Member):
        return []
    try:
        return [str(role.id) for role in member.roles if not role.is_default()]
    except AttributeError:  # an uncached guild: no roles to resolve
        return []


def message_payload(message: discord.Message) -> dict[str, Any]:
    """A MESSAGE_CREATE-shaped mapping built from public attributes, for the converter."""
    author = message.author
    payload: dict[str, Any] = {
        "id": str(message.id),
        "channel_id": str(message.channel.id),
        "author": _user_json(author),
        "content": message.content,
        "type": message.type.value,
        "mentions": [{"id": str(user.id)} for user in message.mentions],
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size, "url": a.url}
            for a in message.attachments
        ],
    }
    if message.webhook_id is not None:
        payload["webhook_id"] = str(message.webhook_id)
    resolved = message.reference.resolved if message.reference is not None else None
    if isinstance(resolved, discord.Message):
        payload["referenced_message"] = {"author": {"id": str(resolved.author.id)}}
    if message.guild is not None:
        payload["guild_id"] = str(message.guild.id)
        member: dict[str, Any] = {"roles": _role_ids(author)}
        if isinstance(author, discord.Member):
            member["nick"] = author.nick
            member["permissions"] = str(author.guild_permissions.value)
        payload["member"] = member
    return payload


def interaction_payload(interaction: discord.Interaction[Any]) -> dict[str, Any]:
    """An INTERACTION_CREATE-shaped mapping: `Interaction.data` (the raw data, public) and
    the interaction's public fields."""
    payload: dict[str, Any] = {
        "id": str(interaction.id),
        "type": interaction.type.value,
        "data": dict(interaction.data or {}),
        "locale": str(interaction.locale),
    }
    if interaction.channel_id is not None:
        payload["channel_id"] = str(interaction.channel_id)
    channel = interaction.channel
    if channel is not None:
        parent_id = getattr(channel, "parent_id", None)
        kind = getattr(channel, "type", None)
        payload["channel"] = {
            "id": str(channel.id),
            "type": kind.value if isinstance(kind, discord.ChannelType) else None,
            "parent_id": str(parent_id) if parent_id else None,
            "name": getattr(channel, "name", None) or "",
        }
    user = _user_json(interaction.user)
    if interaction.guild_id is not None:
        payload["guild_id"] = str(interaction.guild_id)
        payload["member"] = {
            "user": user,
            "nick": getattr(interaction.user, "nick", None),
            "roles": _role_ids(interaction.user),
            "permissions": str(interaction.permissions.value),
        }
    else:
        payload["user"] = user
    if interaction.message is not None:
        payload["message"] = {"id": str(interaction.message.id)}
    return payload


class HarborTranslator(app_commands.Translator):
    """Localised command descriptions (from the kernel's CommandInfo.translations) and
    option names and descriptions (from the catalogs, `discord.*` keys)."""

    def __init__(self, commands: Sequence[CommandInfo]) -> None:
        self._descriptions = {c.name.lower(): dict(c.translations) for c in commands}

    async def translate(
        self,
        string: locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        lang = convert.language_of(locale.value)
        if lang == i18n.DEFAULT_LANG:
            return None
        where = context.location
        if where is app_commands.TranslationContextLocation.command_description:
            command = context.data
            name = getattr(command, "name", "")
            return self._descriptions.get(name, {}).get(lang)
        key = string.extras.get("key")
        if where is app_commands.TranslationContextLocation.parameter_name:
            key = f"discord.{string.message}_name"
        if not isinstance(key, str) or lang not in i18n.available():
            return None
        text = _catalog(key, lang)
        english = _catalog(key)
        return text if text and text != english else None


class DiscordAdapter:
    platform = "discord"
    # Interactions can be answered so only the member sees them: no DM needed.
    capabilities = Capabilities(ephemeral=True, dm_first=True, timestamps=True, forms=True)

    def __init__(
        self,
        token: str,
        commands: Sequence[CommandInfo],
        *,
        read_messages: bool = False,
        moderator_role_id: str | None = None,
        sharded: bool = False,
        shard_ids: Sequence[int] = (),
        shard_count: int | None = None,
        guild_ready_timeout: float = 2.0,
        ready_timeout: float = 0.0,
        max_attachment_bytes: int = MAX_ATTACHMENT_BYTES,
        per_second: float = 40.0,
        api_base_url: str | None = None,
        dev_guild_id: str | None = None,
        commands_hash_file: str | Path | None = None,
        max_concurrent_events: int = MAX_CONCURRENT_EVENTS,
        stop_grace: float = STOP_GRACE,
        receive: bool = True,
    ) -> None:
        self.limits = Limits(per_second=per_second, max_text=2000)
        # receive=False (a worker process): log in to send, no gateway connection.
        self._receive = receive
        self._token = token
        self._commands = tuple(commands)
        # Only these offer a "file" option, and only their files are downloaded.
        self._file_commands = frozenset(c.name.lower() for c in commands if c.takes_file)
        self._read_messages = read_messages
        # Deprecated global role (a role id is unique to one server, so it never matches
        # elsewhere); communities set their own with /community modrole.
        self._global_role = moderator_role_id
        self._sharded = sharded or bool(shard_ids) or shard_count is not None
        self._shard_ids = list(shard_ids) or None
        self._shard_count = shard_count
        self._guild_ready_timeout = guild_ready_timeout
        self._ready_timeout = ready_timeout
        self._max_attachment_bytes = max_attachment_bytes
        self._api_base = api_base_url
        self._dev_guild = int(dev_guild_id) if dev_guild_id else None
        self._hash_file = Path(commands_hash_file) if commands_hash_file else None
        self._stop_grace = stop_grace
        self._max_events = max_concurrent_events
        self._slots = asyncio.Semaphore(max_concurrent_events)
        self._client: discord.Client | None = None
        self._tree: app_commands.CommandTree[discord.Client] | None = None
        self._inbox: Inbox | None = None
        self._closing = False
        # Interactions being handled, by id: the kernel answers them through `answer`.
        self._interactions: dict[str, discord.Interaction[discord.Client]] = {}
        self._answer_locks: dict[str, asyncio.Lock] = {}
        self._answered_ids: set[str] = set()
        self._connect_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._dm_channels: dict[str, int] = {}  # user id -> DM channel id
        self._roles: dict[str, tuple[float, frozenset[str]]] = {}  # guild -> moderator roles

    @classmethod
    def from_settings(
        cls, settings: DiscordSettings, commands: Sequence[CommandInfo], *, receive: bool = True
    ) -> DiscordAdapter:
        base = settings.api_base_url.rstrip("/")
        return cls(
            settings.token,
            commands,
            read_messages=settings.read_messages,
            moderator_role_id=settings.moderator_role_id or None,
            sharded=settings.sharded,
            shard_ids=settings.shard_ids,
            shard_count=settings.shard_count,
            ready_timeout=settings.ready_timeout,
            per_second=settings.per_second,
            api_base_url=None if base == DEFAULT_API_BASE else base,
            dev_guild_id=settings.dev_guild_id or None,
            commands_hash_file=settings.commands_hash_file or None,
            max_concurrent_events=settings.max_concurrent_events,
            stop_grace=settings.stop_grace_seconds,
            receive=receive,
        )

    # --- lifecycle ------------------------------------------------------------------

    def _make_client(self) -> discord.Client:
        # Harbor has no voice: discord.py's warnings about missing voice libraries are
        # noise in every start-up log.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.dm_messages = True
        intents.message_content = self._read_messages
        options: dict[str, Any] = {
            "intents": intents,
            "guild_ready_timeout": self._guild_ready_timeout,
            # Above this a 429 raises RateLimited (→ RETRY_AFTER) instead of blocking.
            "max_ratelimit_timeout": 30.0,
            # A support bot must never ping @everyone or roles by accident.
            "allowed_mentions": discord.AllowedMentions.none(),
        }
        if not self._sharded:
            return discord.Client(**options)
        if self._shard_count is not None:
            options["shard_count"] = self._shard_count
        if self._shard_ids is not None:
            options["shard_ids"] = self._shard_ids
        return discord.AutoShardedClient(**options)

    def _ready_deadline(self, client: discord.Client) -> float:
        """Seconds to wait for READY: the setting, else 60 s plus 6 s for each shard after
        the first (shards identify about 5 s apart)."""
        if self._ready_timeout > 0:
            return self._ready_timeout
        shards = len(self._shard_ids) if self._shard_ids else (self._shard_count or 0)
        if not shards and isinstance(client, discord.AutoShardedClient):
            shards = client.shard_count or 1
        return 60.0 + 6.0 * max(0, shards - 1)

    async def start(self, inbox: Inbox) -> None:
        self._inbox = inbox
        self._closing = False
        if self._api_base:
            discord.http.Route.BASE = self._api_base  # a proxy; tests point it at a fake
        client = self._make_client()
        self._client = client
        tree = self._make_tree(client)
        self._tree = tree
        client.event(self.on_message)
        client.event(self.on_raw_message_edit)
        client.event(self.on_interaction)
        client.event(self.on_guild_join)
        client.event(self.on_guild_remove)
        try:
            await client.login(self._token)
        except discord.LoginFailure:
            await client.close()
            raise AdapterError(
                "Discord rejected the bot token (check HARBOR_DISCORD_TOKEN or [discord] token)",
                fatal=True,
            ) from None
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as exc:
            await client.close()
            raise AdapterError(
                f"cannot reach Discord ({type(exc).__name__})", fatal=False
            ) from None
        except BaseException:
            await client.close()
            raise
        if not self._receive:
            return  # sending only (a worker): REST calls need no gateway connection
        try:
            await self._sync_commands(client, tree)
            connect = asyncio.create_task(client.connect(reconnect=True))
            self._connect_task = connect
            ready = await self._until_ready(client, connect)
        except Exception as exc:  # whatever it was, nothing may stay half-started
            await self.stop()
            raise AdapterError(
                f"Discord start failed ({type(exc).__name__})", fatal=False
            ) from None
        if not ready:
            failure = connect.exception() if connect.done() and not connect.cancelled() else None
            await self.stop()
            if failure is not None:
                raise gateway_error(failure) from None
            raise AdapterError(
                "Discord did not become ready in time (raise [discord] ready_timeout for many "
                "shards)",
                fatal=False,
            )
        self._spawn(self._survey())

    async def _until_ready(self, client: discord.Client, connect: asyncio.Task[None]) -> bool:
        started = time.monotonic()
        ready = asyncio.ensure_future(client.wait_until_ready())
        try:
            while True:
                left = self._ready_deadline(client) - (time.monotonic() - started)
                if left <= 0:
                    return False
                done, _ = await asyncio.wait(
                    {ready, connect}, timeout=min(left, 1.0), return_when=asyncio.FIRST_COMPLETED
                )
                if ready in done:
                    return True
                if connect in done:
                    return False
        finally:
            ready.cancel()

    async def watch(self) -> None:
        """Raise AdapterError when the gateway connection ended after start-up."""
        task = self._connect_task
        if task is None:
            raise AdapterError("the Discord adapter is not running", fatal=False)
        # asyncio.wait: being cancelled (Harbor stopping) ends the watch, not the connection.
        await asyncio.wait({task})
        if task.cancelled():
            raise AdapterError("the Discord gateway connection was cancelled", fatal=False)
        failure = gateway_error(task.exception())
        if failure.fatal:
            _log.critical("Discord gateway: %s", failure)
        raise failure

    async def stop(self) -> None:
        """New events are refused; in-flight handlers get `stop_grace` seconds to finish
        (their replies still go out), then the client closes."""
        self._closing = True
        current = asyncio.current_task()
        pending = [t for t in self._tasks if t is not current]
        if pending:
            _, late = await asyncio.wait(pending, timeout=self._stop_grace)
            if late:
                _log.warning("%d Discord handlers did not finish in time; cancelled", len(late))
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        client, self._client = self._client, None
        if client is not None:
            await client.close()
        if self._connect_task is not None:
            task, self._connect_task = self._connect_task, None
            done, _ = await asyncio.wait({task}, timeout=10)
            if not done:
                task.cancel()
            elif not task.cancelled() and task.exception() is not None:
                _log.debug("discord connection ended with %s", type(task.exception()).__name__)

    # --- slash commands ---------------------------------------------------------------

    def _make_tree(self, client: discord.Client) -> app_commands.CommandTree[discord.Client]:
        tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)
        tree.error(self._tree_error)
        for info in self._commands:
            command: app_commands.Command[Any, ..., None] = app_commands.Command(
                name=info.name.lower(),
                description=info.description[:100] or info.name,
                callback=self._on_slash_file if info.takes_file else self._on_slash,
                allowed_contexts=app_commands.AppCommandContext(
                    guild=info.in_group,
                    dm_channel=info.in_private,
                    private_channel=info.in_private,
                ),
                allowed_installs=app_commands.AppInstallationType(guild=True, user=False),
            )
            # Only members with Manage Server see moderator commands by default; a server
            # can allow its moderator role too (Server Settings → Integrations → Harbor).
            if info.moderator:
                command.default_permissions = discord.Permissions(manage_guild=True)
            if info.suggests:
                command.autocomplete("args")(self._autocomplete)
            tree.add_command(command)
        return tree

    @app_commands.describe(
        args=locale_str((_catalog(_ARGS_KEY) or ARGS_DESCRIPTION)[:100], key=_ARGS_KEY),
    )
    async def _on_slash(
        self, interaction: discord.Interaction[discord.Client], args: str | None = None
    ) -> None:
        """Every slash command: the options travel in `interaction.data`, converted as
        one payload (the same for buttons)."""
        await self._interaction_event(interaction)

    @app_commands.describe(
        args=locale_str((_catalog(_ARGS_KEY) or ARGS_DESCRIPTION)[:100], key=_ARGS_KEY),
        file=locale_str((_catalog(_FILE_KEY) or FILE_DESCRIPTION)[:100], key=_FILE_KEY),
    )
    async def _on_slash_file(
        self,
        interaction: discord.Interaction[discord.Client],
        args: str | None = None,
        file: discord.Attachment | None = None,
    ) -> None:
        """A slash command that reads a file (CommandInfo.takes_file): the same, plus the
        "file" option."""
        await self._interaction_event(interaction)

    async def _autocomplete(
        self, interaction: discord.Interaction[discord.Client], current: str
    ) -> list[app_commands.Choice[str]]:
        inbox = self._inbox
        if inbox is None or self._closing:
            return []
        # The typing member, where and in which command: the same conversion as a command.
        payload = {
            **interaction_payload(interaction),
            "type": convert.INTERACTION_APPLICATION_COMMAND,
        }
        incoming = convert.incoming_from_interaction(payload, moderator_role_id=self._global_role)
        if incoming is None:
            return []
        found = await inbox.suggest(incoming, current)
        return [app_commands.Choice(name=label, value=value) for label, value in found]

    async def _tree_error(
        self,
        interaction: discord.Interaction[discord.Client],
        error: app_commands.AppCommandError,
    ) -> None:
        # A command Discord still shows but Harbor no longer has (a sync pending), or a
        # broken option: close the interaction quietly, log the type only.
        _log.warning("slash command failed: %s", type(error).__name__)
        if not interaction.response.is_done():
            await self._acknowledge(interaction)

    async def _sync_commands(
        self, client: discord.Client, tree: app_commands.CommandTree[discord.Client]
    ) -> None:
        """Sync through the CommandTree, only when the command set changed since the last
        sync (its hash is kept in the hash file). A development server gets them at once."""
        if client.application_id is None:
            _log.warning("no application id: slash commands not synced")
            return
        translator = HarborTranslator(self._commands)
        await tree.set_translator(translator)
        guild = discord.Object(id=self._dev_guild) if self._dev_guild else None
        if guild is not None:
            tree.copy_global_to(guild=guild)
        payloads = [
            await command.get_translated_payload(tree, translator)
            for command in tree.get_commands(guild=guild)
            if isinstance(command, app_commands.Command)
        ]
        scope = f"guild:{self._dev_guild}" if self._dev_guild else "global"
        digest = convert.commands_hash(
            payloads, application_id=str(client.application_id), scope=scope
        )
        if self._hash_file is not None and _read(self._hash_file) == digest:
            _log.info("slash commands unchanged (%s): not synced", scope)
            return
        try:
            await tree.sync(guild=guild)
        except (discord.HTTPException, app_commands.CommandSyncFailure) as exc:
            _log.warning("syncing slash commands failed: %s", type(exc).__name__)
            return
        _log.info("slash commands synced (%s, %d commands)", scope, len(payloads))
        if self._hash_file is not None:
            try:
                self._hash_file.parent.mkdir(parents=True, exist_ok=True)
                self._hash_file.write_text(digest + "\n", encoding="utf-8")
            except OSError as exc:
                _log.warning("could not keep the command hash: %s", exc.strerror)

    # --- events -----------------------------------------------------------------------

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _track(self) -> None:
        """discord.py runs each event in a task of its own: count it as in flight."""
        task = asyncio.current_task()
        if task is not None and task not in self._tasks:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _handle(self, incoming: Incoming, what: str) -> None:
        if self._inbox is None:
            return
        try:
            await self._inbox.handle(incoming)
        except Exception as exc:
            _log_handler_error(what, exc)

    async def on_message(self, message: discord.Message) -> None:
        if self._closing:
            return
        self._track()
        try:
            async with self._slots:
                incoming = await self._message_incoming(message)
                if incoming is None:
                    return
                self._note_dm_channel(incoming, message.channel.id)
                # A message's file is never fetched (its name and type travel): no message
                # is a command that reads one, and none waits for a download.
                await self._handle(incoming, "message")
        except Exception as exc:
            _log.error("message event failed: %s", type(exc).__name__)

    async def on_raw_message_edit(self, update: discord.RawMessageUpdateEvent) -> None:
        """An edited message is scanned for crisis language again (never re-run). The raw
        event, because on_message_edit only fires for messages still in discord.py's cache;
        the same rules as on_message decide whether Harbor may read it."""
        if self._closing or not update.data.get("edited_timestamp"):
            return  # an embed unfurled, a pin: not the author's edit
        self._track()
        try:
            async with self._slots:
                incoming = await self._message_incoming(update.message)
                edit = convert.edit_of(incoming, update.data)
                if edit is not None:
                    await self._handle(edit, "message edit")
        except Exception as exc:
            _log.error("message edit event failed: %s", type(exc).__name__)

    async def _message_incoming(self, message: discord.Message) -> Incoming | None:
        client = self._client
        if client is None or client.user is None:
            return None
        kwargs: dict[str, Any] = {}
        guild = message.guild
        if guild is not None:
            kwargs["owner_id"] = str(guild.owner_id)
            kwargs["moderator_roles"] = await self._moderator_roles(str(guild.id))
            channel = message.channel
            if isinstance(channel, discord.Thread):
                kwargs["parent_channel_id"] = str(channel.parent_id)
            kwargs["channel_title"] = getattr(channel, "name", "") or ""
        incoming = convert.incoming_from_message(
            message_payload(message),
            bot_user_id=str(client.user.id),
            moderator_role_id=self._global_role,
            **kwargs,
        )
        if incoming is None:
            return None
        if not incoming.chat.private and not (self._read_messages or incoming.mentioned):
            return None  # no message_content intent: Discord sent no text anyway
        if not incoming.text and incoming.attachment is None:
            return None
        return incoming

    async def on_interaction(self, interaction: discord.Interaction[discord.Client]) -> None:
        """Every interaction; slash commands and autocomplete are the CommandTree's, so
        only button presses and private forms' answers are handled here."""
        if interaction.type in (
            discord.InteractionType.component,
            discord.InteractionType.modal_submit,
        ):
            await self._interaction_event(interaction)

    async def _interaction_event(self, interaction: discord.Interaction[discord.Client]) -> None:
        if self._closing:
            return
        self._track()
        incoming = None
        try:
            payload = interaction_payload(interaction)
            roles: Collection[str] = ()
            if interaction.guild_id is not None:
                roles = await self._moderator_roles(str(interaction.guild_id))
            incoming = convert.incoming_from_interaction(
                payload, moderator_role_id=self._global_role, moderator_roles=roles
            )
            if incoming is None or incoming.interaction is None:
                await self._acknowledge(interaction)
                return
            if incoming.chat.private and interaction.channel_id is not None:
                self._note_dm_channel(incoming, interaction.channel_id)
            key = incoming.interaction
            self._interactions[key] = interaction
            self._answer_locks[key] = asyncio.Lock()
            # The deadline runs from the interaction's creation, while waiting for a free
            # slot too: the timer starts first.
            timer = asyncio.ensure_future(self._defer_in_time(incoming, interaction))
            try:
                async with self._slots:
                    incoming = await self._command_file(incoming, payload)
                    await self._handle(incoming, "interaction")
                if incoming.command == "community" and incoming.chat.guild_id is not None:
                    # It may have set the server's moderator role: use it from now on.
                    self._roles.pop(incoming.chat.guild_id, None)
            finally:
                timer.cancel()
            async with self._answer_locks[key]:
                if not interaction.response.is_done():
                    await self._acknowledge(interaction)
                elif self._is_thinking(interaction) and not self._answered(key):
                    await interaction.delete_original_response()
        except Exception as exc:
            _log.error("interaction event failed: %s", type(exc).__name__)
        finally:
            if incoming is not None and incoming.interaction is not None:
                self._interactions.pop(incoming.interaction, None)
                self._answer_locks.pop(incoming.interaction, None)
                self._answered_ids.discard(incoming.interaction)

    async def _defer_in_time(
        self, incoming: Incoming, interaction: discord.Interaction[discord.Client]
    ) -> None:
        """Discord fails an interaction not answered within 3 s of its creation: if the
        answer is not ready DEFER_AFTER seconds after the creation, acknowledge it
        (privately when the answer will be private, publicly when it will be public)."""
        created = interaction.created_at.timestamp()
        delay = max(0.0, DEFER_AFTER - (discord.utils.utcnow().timestamp() - created))
        await asyncio.sleep(delay)
        assert incoming.interaction is not None
        async with self._answer_locks[incoming.interaction]:
            if interaction.response.is_done():
                return
            try:
                if interaction.type is discord.InteractionType.component:
                    await interaction.response.defer()
                else:
                    private = self._inbox is None or self._inbox.answers_privately(incoming)
                    await interaction.response.defer(
                        ephemeral=private and not incoming.chat.private, thinking=True
                    )
            except _SEND_ERRORS as exc:
                _log.warning("deferring an interaction failed: %s", type(exc).__name__)

    def _answered(self, key: str) -> bool:
        return key in self._answered_ids

    async def answer(self, event: Incoming, reply: Reply, *, ephemeral: bool) -> SendResult:
        key = event.interaction or ""
        interaction = self._interactions.get(key)
        lock = self._answer_locks.get(key)
        if interaction is None or lock is None:
            return SendResult(SendStatus.EXPIRED, detail="no such interaction")
        async with lock:
            result = await self._answer(interaction, reply, ephemeral)
        if result.ok:
            self._answered_ids.add(key)
        return result

    async def _command_file(self, incoming: Incoming, payload: dict[str, Any]) -> Incoming:
        """A slash command's file, downloaded only for a command that reads one: a file
        sent with any other (an old command list, a forged request) is dropped unread, so
        /crisis never waits for a 5 MB download."""
        if incoming.attachment is None:
            return incoming
        ref = convert.interaction_attachment(payload)
        if ref is None or incoming.command not in self._file_commands:
            return dataclasses.replace(incoming, attachment=None)
        return await self._with_download(incoming, ref)

    async def _with_download(self, incoming: Incoming, ref: convert.AttachmentRef) -> Incoming:
        """The event with the file's bytes, or with no attachment if they can't be had."""
        return dataclasses.replace(incoming, attachment=await self._download(ref))

    async def _download(self, ref: convert.AttachmentRef) -> Document | None:
        cap = self._max_attachment_bytes
        if ref.size is not None and ref.size > cap:
            _log.info("attachment not downloaded: %d bytes declared, cap %d", ref.size, cap)
            return None
        url = urlsplit(ref.url)
        if url.scheme not in ("http", "https") or not url.hostname:
            return None
        timeout = aiohttp.ClientTimeout(total=ATTACHMENT_TIMEOUT)
        body = bytearray()
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as http,
                http.get(ref.url, allow_redirects=False) as resp,
            ):
                if resp.status != 200:
                    _log.warning("attachment download answered %d", resp.status)
                    return None
                if resp.content_length is not None and resp.content_length > cap:
                    return None
                async for chunk in resp.content.iter_chunked(65536):
                    body.extend(chunk)
                    if len(body) > cap:
                        _log.info("attachment not downloaded: over %d bytes", cap)
                        return None
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            _log.warning("attachment download failed: %s", type(exc).__name__)
            return None
        return ref.document(bytes(body))

    @staticmethod
    def _is_thinking(interaction: discord.Interaction[discord.Client]) -> bool:
        kind = interaction.response.type
        return kind is discord.InteractionResponseType.deferred_channel_message

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self._guild_event(guild, EventKind.JOINED_GROUP)
        await self._record_reads(str(guild.id))

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        await self._guild_event(guild, EventKind.LEFT_GROUP)

    async def _guild_event(self, guild: discord.Guild, kind: EventKind) -> None:
        client = self._client
        if client is None or client.user is None or self._closing:
            return
        self._track()
        channel = guild.system_channel
        chat = ChatRef(
            self.platform,
            str(channel.id if channel is not None else guild.id),
            private=False,
            title=guild.name,
            guild_id=str(guild.id),
        )
        me = Member(self.platform, str(client.user.id), client.user.name)
        await self._handle(Incoming(member=me, chat=chat, kind=kind), kind.value)

    # --- communities: moderator roles, what the bot can read -------------------------

    async def _moderator_roles(self, guild_id: str) -> frozenset[str]:
        """The community's moderator role (/community modrole), cached for a minute."""
        if self._inbox is None:
            return frozenset()
        now = time.monotonic()
        cached = self._roles.get(guild_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        role = await self._inbox.platforms.moderator_role(self.platform, guild_id)
        roles = frozenset({role} if role else ())
        self._roles[guild_id] = (now + ROLE_CACHE_SECONDS, roles)
        return roles

    async def _survey(self) -> None:
        """Whether the bot reads ordinary messages in each server (the Message Content
        intent): logged per server and kept in `communities.reads_messages`."""
        client = self._client
        if client is None:
            return
        for guild in list(client.guilds):
            await self._record_reads(str(guild.id))

    async def _record_reads(self, guild_id: str) -> None:
        reads = self._read_messages  # the gateway accepted the intent, or closed with 4014
        if reads:
            _log.info("discord server %s: Harbor reads ordinary messages", guild_id)
        else:
            _log.warning(
                "discord server %s: Harbor sees only slash commands, DMs and mentions "
                "(no Message Content intent): crisis words in other messages go unseen",
                guild_id,
            )
        client = self._client
        guild = client.get_guild(int(guild_id)) if client is not None else None
        if self._inbox is not None:
            title = guild.name if guild is not None else ""
            await self._inbox.platforms.note_group(self.platform, guild_id, title, reads)

    # --- answering interactions -----------------------------------------------------

    async def _answer(
        self, interaction: discord.Interaction[discord.Client], reply: Reply, ephemeral: bool
    ) -> SendResult:
        if reply.form is not None:
            return await self._open_form(interaction, reply)
        message_id: str | None = None
        try:
            for index, out in enumerate(convert.render(reply)):
                message_id = await self._answer_one(
                    interaction, out, ephemeral, edit=index == 0 and self._edits(interaction, reply)
                )
        except _SEND_ERRORS as exc:
            return _error_result(exc)
        return SendResult(SendStatus.SENT, message_id=message_id)

    @staticmethod
    async def _open_form(
        interaction: discord.Interaction[discord.Client], reply: Reply
    ) -> SendResult:
        """A modal is only possible as the first answer to a command or a button: anything
        else is REJECTED, and the kernel shows the reply's text privately instead."""
        assert reply.form is not None
        if (
            interaction.response.is_done()
            or interaction.type is discord.InteractionType.modal_submit
        ):
            return SendResult(SendStatus.REJECTED, detail="a form needs a fresh interaction")
        try:
            await interaction.response.send_modal(_modal(convert.modal_spec(reply.form)))
        except discord.InteractionResponded:
            return SendResult(SendStatus.REJECTED, detail="interaction already answered")
        except _SEND_ERRORS as exc:
            return _error_result(exc)
        return SendResult(SendStatus.SENT)

    @staticmethod
    def _edits(interaction: discord.Interaction[discord.Client], reply: Reply) -> bool:
        message = interaction.message
        return (
            reply.edit_message_id is not None
            and interaction.type is discord.InteractionType.component
            and message is not None
            and str(message.id) == reply.edit_message_id
        )

    @staticmethod
    async def _answer_one(
        interaction: discord.Interaction[discord.Client],
        out: convert.OutgoingMessage,
        ephemeral: bool,
        *,
        edit: bool,
    ) -> str | None:
        view = _view(out.buttons)
        files = _files(out.files)
        kwargs: dict[str, Any] = {}
        if view is not None:
            kwargs["view"] = view
        if files:
            kwargs["files"] = files
        if not interaction.response.is_done():
            if edit:
                await interaction.response.edit_message(
                    content=out.content, view=view, attachments=files
                )
                return str(interaction.message.id) if interaction.message else None
            callback = await interaction.response.send_message(
                out.content, ephemeral=ephemeral, **kwargs
            )
            return str(callback.message_id) if callback.message_id else None
        if edit and interaction.response.type is _DEFERRED_UPDATE:
            await interaction.edit_original_response(
                content=out.content, view=view, attachments=files
            )
            return str(interaction.message.id) if interaction.message else None
        sent = await interaction.followup.send(
            out.content, ephemeral=ephemeral, wait=True, **kwargs
        )
        return str(sent.id)

    @staticmethod
    async def _acknowledge(interaction: discord.Interaction[discord.Client]) -> None:
        """Nothing to say: close the interaction so the member sees no error."""
        try:
            if interaction.type is discord.InteractionType.component:
                await interaction.response.defer()  # silent: the message stays as it is
                return
            await interaction.response.defer(ephemeral=True, thinking=True)
            await interaction.delete_original_response()
        except _SEND_ERRORS as exc:
            _log.warning("acknowledging an interaction failed: %s", type(exc).__name__)

    # --- sending --------------------------------------------------------------------

    async def send(self, reply: Reply) -> SendResult:
        client = self._client
        if client is None or client.is_closed():
            return _NOT_RUNNING
        try:
            private_to = self._private_recipient(reply)
            if private_to is not None:
                return await self._send_dm(client, private_to, reply)
            if reply.private:
                return SendResult(SendStatus.REJECTED, detail="private reply without a recipient")
            channel_id = int(reply.chat.thread_id or reply.chat.chat_id)
            guild_id = int(reply.chat.guild_id) if reply.chat.guild_id else None
            channel = client.get_partial_messageable(channel_id, guild_id=guild_id)
            return await self._post(channel, reply)
        except ValueError as exc:  # a malformed id or reply, not Discord's fault
            return SendResult(SendStatus.REJECTED, detail=type(exc).__name__)
        except _SEND_ERRORS as exc:
            return _error_result(exc)

    @staticmethod
    def _private_recipient(reply: Reply) -> str | None:
        if not (reply.private or reply.chat.private):
            return None
        if reply.member is not None:
            return reply.member.user_id
        return reply.chat.chat_id if reply.chat.private else None

    async def _send_dm(self, client: discord.Client, user_id: str, reply: Reply) -> SendResult:
        """Through the member's DM channel, by id (a partial messageable: no request to
        open it); `create_dm` only when the id is not known yet, and then it is kept."""
        channel_id = await self._dm_channel(client, user_id)
        channel = client.get_partial_messageable(channel_id, type=discord.ChannelType.private)
        try:
            return await self._post(channel, reply)
        except discord.NotFound as exc:
            if exc.code != UNKNOWN_CHANNEL:
                raise
        # The kept channel is gone: open it again, once.
        self._dm_channels.pop(user_id, None)
        await self._keep_dm_channel(user_id, None)
        channel_id = await self._dm_channel(client, user_id)
        channel = client.get_partial_messageable(channel_id, type=discord.ChannelType.private)
        return await self._post(channel, reply)

    async def _dm_channel(self, client: discord.Client, user_id: str) -> int:
        known = self._dm_channels.get(user_id)
        if known is not None:
            return known
        if self._inbox is not None:
            kept = await self._inbox.platforms.private_chat(self.platform, user_id)
            if kept:
                self._dm_channels[user_id] = int(kept)
                return int(kept)
        opened = await client.create_dm(discord.Object(id=int(user_id)))
        self._dm_channels[user_id] = opened.id
        await self._keep_dm_channel(user_id, str(opened.id))
        return opened.id

    def _note_dm_channel(self, incoming: Incoming, channel_id: int) -> None:
        """A member wrote in their DM with the bot: that channel is where to reach them."""
        user_id = incoming.member.user_id
        if not incoming.chat.private or self._dm_channels.get(user_id) == channel_id:
            return
        self._dm_channels[user_id] = channel_id
        self._spawn(self._keep_dm_channel(user_id, str(channel_id)))

    async def _keep_dm_channel(self, user_id: str, channel_id: str | None) -> None:
        if self._inbox is not None:
            await self._inbox.platforms.note_private_chat(self.platform, user_id, channel_id)

    async def is_moderator(self, community_id: str, user_id: str) -> bool:
        """Whether the user moderates the server now: Manage Server, Administrator, or the
        community's moderator role."""
        client = self._client
        guild = client.get_guild(int(community_id)) if client is not None else None
        if guild is None and client is not None:
            # Not in this process's cache (a worker without a gateway connection, or a
            # server on another process's shard): ask Discord.
            try:
                guild = await client.fetch_guild(int(community_id))
            except (ValueError, *_SEND_ERRORS):
                return False
        if guild is None:
            return False
        try:
            member = guild.get_member(int(user_id)) or await guild.fetch_member(int(user_id))
        except (ValueError, *_SEND_ERRORS):
            return False  # gone from the server, or unknown: no alert
        perms = member.guild_permissions
        roles = set(await self._moderator_roles(community_id))
        if self._global_role:
            roles.add(self._global_role)
        return bool(
            perms.manage_guild
            or perms.administrator
            or any(str(r.id) in roles for r in member.roles)
        )

    def private_link(self, payload: str) -> str | None:
        return None  # Discord has no deep links; interactions answer privately instead

    @staticmethod
    async def _post(channel: discord.PartialMessageable, reply: Reply) -> SendResult:
        messages = convert.render(reply)
        message_id: str | None = None
        for index, out in enumerate(messages):
            view = _view(out.buttons)
            if index == 0 and reply.edit_message_id and len(messages) == 1 and not out.files:
                partial = channel.get_partial_message(int(reply.edit_message_id))
                await partial.edit(content=out.content, view=view)
                message_id = reply.edit_message_id
                continue
            kwargs: dict[str, Any] = {"nonce": out.nonce}
            if view is not None:
                kwargs["view"] = view
            files = _files(out.files)
            if files:
                kwargs["files"] = files
            sent = await channel.send(out.content, **kwargs)
            message_id = str(sent.id)
        return SendResult(SendStatus.SENT, message_id=message_id)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return None
