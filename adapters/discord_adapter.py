"""Discord adapter: thin glue between discord.py 2.x and Harbor's neutral ports.

What it does
- One slash command per CommandInfo, each with two optional options: a string "args" and an
  attachment "file" (e.g. a Meeting Guide feed for /meeting import); usable in servers and
  in DMs with the bot; synced (bulk overwrite) on start.
- Slash commands and button presses are handled generically from the raw interaction
  payload: a button's custom_id is the Button.data, so buttons keep working after a restart
  (no per-view state; views are only used to render components).
- While answering an interaction, private replies in a server are ephemeral; the first
  reply uses the interaction response, the rest are followups.
- Private replies outside an interaction go to the member's DM.

Attachments: the converter only reports a file's metadata and URL. The adapter downloads
the bytes (a fresh aiohttp session, a timeout, at most `max_attachment_bytes`, 5 MB by
default) only for a slash command's "file" option and for files sent in a DM, and hands the
handler ``Incoming.attachment = Document(filename, bytes, mime)``. A file that is too big
(as declared by Discord, or as read) or fails to download reaches the handler as no
attachment at all. Files on plain channel messages (members sharing things with each other)
are never downloaded: they arrive as metadata with empty content.

Message content degradation: with ``read_messages=True`` the privileged message_content
intent is requested (it must be enabled in the developer portal) and every guild message
reaches the handler, which crisis detection needs. Without it Discord sends guild messages
with empty text, so only DMs and messages that mention the bot (whose text Discord still
sends) are passed on; crisis wording in other channel messages goes unseen.

discord.py turns gateway payloads into objects and drops the raw JSON; the adapter wraps
the MESSAGE_CREATE and INTERACTION_CREATE parsers to keep the payload, so conversion
(adapters.discord_convert) stays pure and testable with canned JSON.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import logging
import traceback
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import discord

from adapters import discord_convert as convert
from bot.kernel import i18n
from bot.kernel.ports import Capabilities, CommandInfo, Inbox, Limits
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

_ARGS_KEY = "discord.args_description"
_FILE_KEY = "discord.file_description"
# The "file" option's help text until the catalog has a key for it.
FILE_DESCRIPTION = "a file, e.g. a meeting feed"
# Attachments the adapter downloads (slash command files, DM files): at most this many bytes,
# within this many seconds.
MAX_ATTACHMENT_BYTES = 5_000_000
ATTACHMENT_TIMEOUT = 15.0
_DEFERRED_UPDATE = discord.InteractionResponseType.deferred_message_update
# Discord fails an interaction not answered within 3 s; defer before that.
DEFER_AFTER = 2.0
_NOT_RUNNING = SendResult(SendStatus.FAILED, detail="discord adapter not running")


def _args_description() -> str:
    # The option's help text belongs in the catalog; until the key exists, a neutral word.
    return i18n.t(_ARGS_KEY) if i18n.has(_ARGS_KEY) else "details"


def _file_description() -> str:
    return i18n.t(_FILE_KEY) if i18n.has(_FILE_KEY) else FILE_DESCRIPTION


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
    # would grow with every message); presses are handled from the raw interaction.
    view.stop()
    return view


def _files(specs: Sequence[convert.FileSpec]) -> list[discord.File]:
    return [discord.File(io.BytesIO(spec.content), filename=spec.filename) for spec in specs]


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


class DiscordAdapter:
    platform = "discord"
    # Interactions can be answered so only the member sees them: no DM needed.
    capabilities = Capabilities(ephemeral=True, dm_first=True, timestamps=True)

    def __init__(
        self,
        token: str,
        commands: Sequence[CommandInfo],
        *,
        read_messages: bool = False,
        moderator_role_id: str | None = None,
        sharded: bool = False,
        guild_ready_timeout: float = 2.0,
        ready_timeout: float = 60.0,
        max_attachment_bytes: int = MAX_ATTACHMENT_BYTES,
        per_second: float = 40.0,
        shard_ids: Sequence[int] | None = None,
        shard_count: int | None = None,
        receive: bool = True,
    ) -> None:
        self.limits = Limits(per_second=per_second, max_text=2000)
        # Shards split across processes: this process connects to `shard_ids` of
        # `shard_count`. receive=False (a worker): log in to send, no gateway connection.
        self._shard_ids = None if shard_ids is None else list(shard_ids)
        self._shard_count = shard_count
        self._receive = receive
        self._token = token
        self._commands = tuple(commands)
        self._read_messages = read_messages
        self._moderator_role_id = moderator_role_id
        self._sharded = sharded
        self._guild_ready_timeout = guild_ready_timeout
        self._ready_timeout = ready_timeout
        self._max_attachment_bytes = max_attachment_bytes
        self._client: discord.Client | None = None
        self._inbox: Inbox | None = None
        # Interactions being handled, by id: the kernel answers them through `answer`.
        self._interactions: dict[str, discord.Interaction[discord.Client]] = {}
        self._answer_locks: dict[str, asyncio.Lock] = {}
        self._answered_ids: set[str] = set()
        self._connect_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # --- lifecycle ------------------------------------------------------------------

    def _make_client(self) -> discord.Client:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.dm_messages = True
        intents.message_content = self._read_messages
        shards: dict[str, Any] = {}
        if self._shard_ids is not None:
            shards = {"shard_ids": self._shard_ids, "shard_count": self._shard_count}
        elif self._shard_count is not None:
            shards = {"shard_count": self._shard_count}
        sharded = self._sharded or bool(shards)
        cls = discord.AutoShardedClient if sharded else discord.Client
        return cls(
            **shards,
            intents=intents,
            guild_ready_timeout=self._guild_ready_timeout,
            # Above this a 429 raises RateLimited (→ RETRY_AFTER) instead of blocking.
            max_ratelimit_timeout=30.0,
            # A support bot must never ping @everyone or roles by accident.
            allowed_mentions=discord.AllowedMentions.none(),
        )

    async def start(self, inbox: Inbox) -> None:
        self._inbox = inbox
        client = self._make_client()
        self._client = client
        self._hook_parsers(client)
        # Client.dispatch looks handlers up by attribute name.
        setattr(client, "on_guild_join", self._on_guild_join)  # noqa: B010
        setattr(client, "on_guild_remove", self._on_guild_remove)  # noqa: B010
        try:
            await client.login(self._token)
            await self._sync_commands(client)
        except BaseException:
            await client.close()
            raise
        if not self._receive:
            return  # sending only: REST calls need no gateway connection
        connect = asyncio.create_task(client.connect(reconnect=True))
        self._connect_task = connect
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait(
            {ready, connect}, timeout=self._ready_timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if ready in done:
            return
        ready.cancel()
        failure = connect.exception() if connect.done() and not connect.cancelled() else None
        await self.stop()
        if failure is not None:
            raise RuntimeError("Discord connection failed") from failure
        raise TimeoutError("Discord did not become ready in time")

    async def stop(self) -> None:
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
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _sync_commands(self, client: discord.Client) -> None:
        payload = [
            convert.command_payload(
                info,
                args_description=_args_description(),
                file_description=_file_description(),
                # With a configured moderator role, Manage Server would hide the command
                # from that role; then visibility is left to the server's settings.
                moderator_default=self._moderator_role_id is None,
            )
            for info in self._commands
        ]
        if client.application_id is None:
            _log.warning("no application id: slash commands not synced")
            return
        try:
            await client.http.bulk_upsert_global_commands(client.application_id, payload)
        except discord.HTTPException as exc:
            _log.warning("syncing slash commands failed: %s/%s", exc.status, exc.code)

    # --- raw events -----------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _hook_parsers(self, client: discord.Client) -> None:
        state = client._connection
        parsers: dict[str, Callable[[Any], None]] = state.parsers
        original_message = parsers["MESSAGE_CREATE"]
        original_interaction = parsers["INTERACTION_CREATE"]

        def message_create(data: Mapping[str, Any]) -> None:
            original_message(data)
            self._spawn(self._on_message(data))

        def interaction_create(data: Mapping[str, Any]) -> None:
            if data.get("type") not in (
                convert.INTERACTION_APPLICATION_COMMAND,
                convert.INTERACTION_COMPONENT,
            ):
                original_interaction(data)
                return
            # Handled here instead of by a command tree or view store: no per-command or
            # per-message state, so anything still on screen works after a restart.
            try:
                interaction: discord.Interaction[discord.Client] = discord.Interaction(
                    data=data,  # type: ignore[arg-type]
                    state=state,
                )
            except Exception as exc:
                _log.error("unreadable interaction payload: %s", type(exc).__name__)
                return
            self._spawn(self._on_interaction(data, interaction))

        parsers["MESSAGE_CREATE"] = message_create
        parsers["INTERACTION_CREATE"] = interaction_create

    async def _handle(self, incoming: Incoming, what: str) -> None:
        if self._inbox is None:
            return
        try:
            await self._inbox.handle(incoming)
        except Exception as exc:
            _log_handler_error(what, exc)

    async def _on_message(self, data: Mapping[str, Any]) -> None:
        try:
            incoming = self._message_incoming(data)
            if incoming is None:
                return
            ref = convert.message_attachment(data)
            if ref is not None and incoming.chat.private:
                # Only a DM's file is fetched: one shared in a channel is for the members.
                incoming = await self._with_download(incoming, ref)
            await self._handle(incoming, "message")
        except Exception as exc:
            _log.error("message event failed: %s", type(exc).__name__)

    def _message_incoming(self, data: Mapping[str, Any]) -> Incoming | None:
        client = self._client
        if client is None or client.user is None:
            return None
        kwargs: dict[str, Any] = {}
        guild_id = data.get("guild_id")
        guild = client.get_guild(int(guild_id)) if guild_id else None
        if guild is not None:
            roles = {str(role.id): role.permissions.value for role in guild.roles}
            roles["@everyone"] = guild.default_role.permissions.value
            kwargs.update(role_permissions=roles, owner_id=str(guild.owner_id))
            channel = guild.get_channel_or_thread(int(data["channel_id"]))
            if isinstance(channel, discord.Thread):
                kwargs["parent_channel_id"] = str(channel.parent_id)
            if channel is not None:
                kwargs["channel_title"] = channel.name
        incoming = convert.incoming_from_message(
            data,
            bot_user_id=str(client.user.id),
            moderator_role_id=self._moderator_role_id,
            **kwargs,
        )
        if incoming is None:
            return None
        if not incoming.chat.private and not (self._read_messages or incoming.mentioned):
            return None  # no message_content intent: Discord sent no text anyway
        if not incoming.text and incoming.attachment is None:
            return None
        return incoming

    async def _on_interaction(
        self, data: Mapping[str, Any], interaction: discord.Interaction[discord.Client]
    ) -> None:
        incoming = None
        try:
            incoming = convert.incoming_from_interaction(
                data, moderator_role_id=self._moderator_role_id
            )
            if incoming is None or incoming.interaction is None:
                await self._acknowledge(interaction)
                return
            key = incoming.interaction
            self._interactions[key] = interaction
            self._answer_locks[key] = asyncio.Lock()
            timer = asyncio.ensure_future(self._defer_in_time(incoming, interaction))
            try:
                ref = convert.interaction_attachment(data)
                if ref is not None:
                    incoming = await self._with_download(incoming, ref)
                await self._handle(incoming, "interaction")
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
        answer is not ready by DEFER_AFTER, acknowledge it (privately when the answer will
        be private, publicly when it will be public)."""
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

    async def _on_guild_join(self, guild: discord.Guild) -> None:
        await self._guild_event(guild, EventKind.JOINED_GROUP)

    async def _on_guild_remove(self, guild: discord.Guild) -> None:
        await self._guild_event(guild, EventKind.LEFT_GROUP)

    async def _guild_event(self, guild: discord.Guild, kind: EventKind) -> None:
        client = self._client
        if client is None or client.user is None:
            return
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

    # --- answering interactions -----------------------------------------------------

    async def _answer(
        self, interaction: discord.Interaction[discord.Client], reply: Reply, ephemeral: bool
    ) -> SendResult:
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
            channel = await self._destination(client, reply)
            if channel is None:
                return SendResult(SendStatus.REJECTED, detail="private reply without a recipient")
            return await self._post(channel, reply)
        except ValueError as exc:  # a malformed id or reply, not Discord's fault
            return SendResult(SendStatus.REJECTED, detail=type(exc).__name__)
        except _SEND_ERRORS as exc:
            return _error_result(exc)

    async def is_moderator(self, community_id: str, user_id: str) -> bool:
        """Whether the user moderates the server now: Manage Server, Administrator, or the
        configured moderator role."""
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
        role = self._moderator_role_id
        return bool(
            perms.manage_guild
            or perms.administrator
            or (role is not None and any(str(r.id) == role for r in member.roles))
        )

    def private_link(self, payload: str) -> str | None:
        return None  # Discord has no deep links; interactions answer privately instead

    async def _destination(
        self, client: discord.Client, reply: Reply
    ) -> discord.PartialMessageable | discord.DMChannel | None:
        if reply.private or reply.chat.private:
            if reply.member is not None:
                user_id = reply.member.user_id
            elif reply.chat.private:
                user_id = reply.chat.chat_id
            else:
                return None
            return await client.create_dm(discord.Object(id=int(user_id)))
        channel_id = int(reply.chat.thread_id or reply.chat.chat_id)
        guild_id = int(reply.chat.guild_id) if reply.chat.guild_id else None
        return client.get_partial_messageable(channel_id, guild_id=guild_id)

    @staticmethod
    async def _post(
        channel: discord.PartialMessageable | discord.DMChannel, reply: Reply
    ) -> SendResult:
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
