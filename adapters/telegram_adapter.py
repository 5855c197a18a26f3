"""The Telegram adapter: thin glue between python-telegram-bot 22 and Harbor's core.

All translation lives in `telegram_convert`; this module only does I/O: receiving updates
(long polling or a webhook), asking Telegram who the group admins are, downloading
attachments, sending replies and mapping Telegram's errors to neutral SendResults.
"""

from __future__ import annotations

import dataclasses
import datetime as dtm
import logging
import secrets
import time
from collections.abc import Awaitable, Sequence
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Message,
    Update,
)
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    TypeHandler,
)

from adapters.telegram_convert import (
    ApiCall,
    Converted,
    convert_update,
    deep_link,
    fallback_call,
)
from adapters.telegram_convert import reply_calls as build_calls
from bot.kernel.core import Lanes
from bot.kernel.ports import Capabilities, CommandInfo, Inbox, Limits
from bot.kernel.types import Document, Incoming, Reply, SendResult, SendStatus

log = logging.getLogger(__name__)

MAX_ATTACHMENT = 5 * 1024 * 1024
# Updates Harbor reacts to; chat_member only refreshes the admin cache.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member", "chat_member")
_CANNOT_INITIATE = "can't initiate conversation"

AnyApp = Application[Any, Any, Any, Any, Any, Any]
CONCURRENT_UPDATES = 256


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Updates of different chats are handled concurrently (python-telegram-bot handles one
    at a time by default, so one slow answer held up every chat); updates of one chat keep
    their order."""

    def __init__(self, max_concurrent_updates: int = CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        self._lanes = Lanes()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        async with self._lanes.hold(str(chat.id) if chat is not None else "-"):
            await coroutine

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None


class TelegramAdapter:
    platform = "telegram"
    # A bot may not write first to a member who never opened its private chat.
    capabilities = Capabilities(ephemeral=False, dm_first=False)

    def __init__(
        self,
        token: str,
        commands: Sequence[CommandInfo],
        *,
        base_url: str | None = None,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        webhook_listen: str = "127.0.0.1",
        webhook_port: int = 8443,
        admin_cache_seconds: float = 300.0,
        poll_interval: float = 0.0,
        per_second: float = 25.0,
        group_per_minute: int = 20,
        receive: bool = True,
    ) -> None:
        self.limits = Limits(
            per_second=per_second, group_per_minute=group_per_minute, max_text=4096
        )
        self._token = token
        self._commands = tuple(commands)
        # `base_url` is the server root ("https://api.telegram.org" or a fake's address).
        self._base = (base_url or "https://api.telegram.org").rstrip("/")
        self._webhook_url = webhook_url
        # Without a secret anyone who guesses the URL could inject updates.
        self._webhook_secret = webhook_secret or secrets.token_urlsafe(32)
        self._webhook_listen = webhook_listen
        self._webhook_port = webhook_port
        self._admin_ttl = admin_cache_seconds
        self._poll_interval = poll_interval
        self._admins: dict[str, tuple[float, frozenset[str]]] = {}
        self._inbox: Inbox | None = None
        self._app: AnyApp | None = None
        # False: start() only connects for sending; the runtime starts receiving where this
        # process should (a gateway; with long polling, only the one leader process).
        self._receive = receive

    @property
    def single_receiver(self) -> bool:
        """Long polling admits one receiver per bot; webhooks admit any number of gateways."""
        return not self._webhook_url

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self, inbox: Inbox) -> None:
        self._inbox = inbox
        # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
        httpx_log = logging.getLogger("httpx")
        httpx_log.setLevel(max(httpx_log.getEffectiveLevel(), logging.WARNING))
        app = (
            ApplicationBuilder()
            .token(self._token)
            .base_url(f"{self._base}/bot")
            .base_file_url(f"{self._base}/file/bot")
            .job_queue(None)  # scheduling belongs to the core
            .concurrent_updates(ChatOrderedProcessor())
            .build()
        )
        app.add_handler(TypeHandler(Update, self._on_update))
        await app.initialize()  # getMe: fills bot.username
        self._app = app
        await self._register_commands()
        await app.start()
        if self._receive:
            await self.start_receiving()

    async def start_receiving(self) -> None:
        """Begin taking updates (long polling or the webhook listener); idempotent."""
        app = self._require_app()
        assert app.updater is not None
        if app.updater.running:
            return
        if self._webhook_url:
            await app.updater.start_webhook(
                listen=self._webhook_listen,
                port=self._webhook_port,
                url_path=urlsplit(self._webhook_url).path,
                webhook_url=self._webhook_url,
                secret_token=self._webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
        else:
            await app.updater.start_polling(
                poll_interval=self._poll_interval,
                allowed_updates=list(ALLOWED_UPDATES),
                error_callback=self._polling_error,
            )

    async def stop_receiving(self) -> None:
        """Stop taking updates (another process leads now); sending goes on."""
        app = self._app
        if app is not None and app.updater is not None and app.updater.running:
            await app.updater.stop()

    async def stop(self) -> None:
        app, self._app = self._app, None
        if app is None:
            return
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    @property
    def bot_username(self) -> str:
        if self._app is None:
            raise RuntimeError("the Telegram adapter is not started")
        username: str = self._app.bot.username
        return username

    async def _register_commands(self) -> None:
        private = [c for c in self._commands if c.in_private and not c.moderator]
        group = [c for c in self._commands if c.in_group]
        bot = self._require_app().bot
        for scope, infos in (
            (BotCommandScopeAllPrivateChats(), private),
            (BotCommandScopeAllGroupChats(), group),
        ):
            menu = [BotCommand(c.name, c.description[:256]) for c in infos]
            try:
                await bot.set_my_commands(menu, scope=scope)
            except TelegramError as exc:
                # A missing menu is cosmetic: the bot must still start.
                log.warning("setMyCommands failed: %s", type(exc).__name__)

    def _polling_error(self, exc: TelegramError) -> None:
        log.warning("Telegram polling error: %s", type(exc).__name__)

    def _require_app(self) -> AnyApp:
        if self._app is None:
            raise RuntimeError("the Telegram adapter is not started")
        return self._app

    # --- incoming ----------------------------------------------------------------------

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Nothing may escape into PTB: a crash here must not stop the update loop. Logs
        # carry exception types only, never member text.
        try:
            await self._dispatch(update)
        except Exception as exc:
            log.error(
                "handling Telegram update %s failed: %s", update.update_id, type(exc).__name__
            )

    async def _dispatch(self, update: Update) -> None:
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()  # stops the client's spinner
            except TelegramError as exc:
                log.info("answerCallbackQuery failed: %s", type(exc).__name__)
        self._note_membership_change(update)
        app = self._require_app()
        converted = convert_update(update, bot_username=app.bot.username, bot_id=app.bot.id)
        if converted is None or self._inbox is None:
            return
        event = await self._enrich(converted)
        await self._inbox.handle(event)

    def _note_membership_change(self, update: Update) -> None:
        change = update.chat_member or update.my_chat_member
        if change is not None:
            self._admins.pop(str(change.chat.id), None)

    async def _enrich(self, converted: Converted) -> Incoming:
        event = converted.incoming
        changes: dict[str, Any] = {}
        if not event.chat.private:
            moderator = converted.anonymous_admin or await self.is_admin(
                event.chat.chat_id, event.member.user_id
            )
            changes["is_moderator"] = moderator
        # Only fetch files the bot was handed: in private, with a command or a mention.
        # Documents group members share among themselves are none of Harbor's business.
        wanted = event.chat.private or event.command is not None or event.mentioned
        if converted.document is not None and wanted:
            changes["attachment"] = await self._download(converted)
        return dataclasses.replace(event, **changes) if changes else event

    async def is_moderator(self, community_id: str, user_id: str) -> bool:
        return await self.is_admin(community_id, user_id)

    def private_link(self, payload: str) -> str | None:
        return deep_link(self.bot_username, payload) if self._app is not None else None

    async def answer(self, event: Incoming, reply: Reply, *, ephemeral: bool) -> SendResult:
        return await self.send(reply)  # Telegram has no interactions to answer

    async def is_admin(self, chat_id: str, user_id: str) -> bool:
        now = time.monotonic()
        cached = self._admins.get(chat_id)
        if cached is None or cached[0] < now:
            try:
                admins = await self._require_app().bot.get_chat_administrators(int(chat_id))
            except TelegramError as exc:
                # Fail closed: unknown means not a moderator.
                log.warning("getChatAdministrators failed: %s", type(exc).__name__)
                return False
            ids = frozenset(str(a.user.id) for a in admins)
            cached = (now + self._admin_ttl, ids)
            self._admins[chat_id] = cached
        return user_id in cached[1]

    async def _download(self, converted: Converted) -> Document | None:
        ref = converted.document
        if ref is None or (ref.size is not None and ref.size > MAX_ATTACHMENT):
            return None
        try:
            file = await self._require_app().bot.get_file(ref.file_id)
            if file.file_size is not None and file.file_size > MAX_ATTACHMENT:
                return None
            content = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("attachment download failed: %s", type(exc).__name__)
            return None
        if len(content) > MAX_ATTACHMENT:
            return None
        return Document(filename=ref.filename, content=content, mime=ref.mime)

    # --- outgoing ----------------------------------------------------------------------

    async def send(self, reply: Reply) -> SendResult:
        calls = build_calls(reply)
        if not calls:
            return SendResult(SendStatus.REJECTED, detail="nothing to send or no recipient")
        result = SendResult(SendStatus.REJECTED)
        for call in calls:
            result = await self._call(call)
            if not result.ok:
                break
        return result

    async def _call(self, call: ApiCall) -> SendResult:
        try:
            message = await self._invoke(call)
        except BadRequest as exc:
            if call.method != "edit_message_text":
                return _failure(exc, call)
            if "not modified" in exc.message.lower():
                return SendResult(SendStatus.SENT, message_id=str(call.kwargs["message_id"]))
            # The message is gone or too old to edit: say it anew instead.
            return await self._call(fallback_call(call))
        except TelegramError as exc:
            return _failure(exc, call)
        message_id = str(message.message_id) if isinstance(message, Message) else None
        return SendResult(SendStatus.SENT, message_id=message_id)

    async def _invoke(self, call: ApiCall) -> Message | bool:
        bot = self._require_app().bot
        method = getattr(bot, call.method)
        result: Message | bool = await method(**call.kwargs)
        return result


def _failure(exc: TelegramError, call: ApiCall) -> SendResult:
    """Map a Bot API error to a neutral result (`detail` holds no message content)."""
    detail = f"{call.method}: {exc.message}"
    if isinstance(exc, RetryAfter):
        return SendResult(SendStatus.RETRY_AFTER, retry_after=_seconds(exc.retry_after))
    if isinstance(exc, Forbidden):
        if _CANNOT_INITIATE in exc.message:
            return SendResult(SendStatus.NO_PRIVATE_CHAT, detail=detail)
        return SendResult(SendStatus.BLOCKED, detail=detail)
    if isinstance(exc, ChatMigrated):
        # The group became a supergroup: the same message goes to its new id.
        return SendResult(SendStatus.MOVED, moved_to=str(exc.new_chat_id), detail=detail)
    if isinstance(exc, BadRequest):  # before NetworkError: BadRequest subclasses it
        return SendResult(SendStatus.REJECTED, detail=detail)
    return SendResult(SendStatus.FAILED, detail=detail)  # NetworkError, TimedOut, 5xx, ...


def _seconds(value: int | dtm.timedelta) -> float:
    # PTB 22 returns an int, or a timedelta with PTB_TIMEDELTA set: accept both.
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)
