"""The Telegram adapter: thin glue between python-telegram-bot 22 and Harbor's core.

All translation lives in `telegram_convert`; this module only does I/O: receiving updates
(long polling or a webhook), asking Telegram who the group admins are, downloading
attachments, sending replies and mapping Telegram's errors to neutral SendResults.

Start-up and supervision
- `start()` initialises PTB (getMe) with bootstrap retries for a network blip; a rejected
  token is a fatal `AdapterError` whose message never holds the token, anything else a
  passing one (the runtime retries with backoff). Whatever fails after `initialize()`, PTB
  is shut down before `start()` raises: no open HTTP clients, no half-started updater.
- `watch()` (run by the runtime after start-up) raises when the updater stopped working: a
  token revoked while running (fatal), a polling loop that stopped or stalled (restarted
  here first; reported if that fails). Another process polling with the same token (409
  Conflict) is logged loudly.
- The bot token appears in every Bot API URL: a logging filter removes it from every log
  record (PTB and httpx log URLs and exceptions), whatever the log level.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dtm
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    Message,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    ContextTypes,
    TypeHandler,
)
from telegram.request import HTTPXRequest

from adapters.telegram_convert import (
    DEFAULT_MODERATOR_RIGHTS,
    RETRY_POLICY,
    ApiCall,
    CallbackDataTooLong,
    Converted,
    admin_change,
    can_receive_private,
    convert_update,
    deep_link,
    fallback_call,
    is_anonymous,
    moderates,
    timed_out_result,
)
from adapters.telegram_convert import reply_calls as build_calls
from bot.kernel.config import TelegramSettings
from bot.kernel.core import Lanes
from bot.kernel.ports import Capabilities, CommandInfo, Inbox, Limits
from bot.kernel.runtime import AdapterError
from bot.kernel.types import Document, Incoming, Priority, Reply, SendResult, SendStatus

log = logging.getLogger(__name__)

MAX_ATTACHMENT = 5 * 1024 * 1024
# Updates Harbor reacts to; chat_member only refreshes the admin cache.
ALLOWED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member", "chat_member")
_CANNOT_INITIATE = "can't initiate conversation"

AnyApp = Application[Any, Any, Any, Any, Any, Any]
CONCURRENT_UPDATES = 256
# Open connections for sending. httpcore scans every pooled connection on each request (a
# socket check each), so 256 made the pool itself the hot spot; the pacer keeps sends near
# 25/s, a few in flight at Telegram's latency, so 32 leave ample room.
SEND_CONNECTIONS = 32
POOL_TIMEOUT = 5.0  # seconds a request may wait for a free connection in a burst
POLL_TIMEOUT = 10.0  # seconds a getUpdates long poll may wait for updates
WATCH_INTERVAL = 5.0
# No getUpdates answer (of any kind) for this long beyond the long poll: the loop is dead.
STALL_MARGIN = 60.0
T = TypeVar("T")


def redacted(token: str) -> str:
    """The token as it may be shown: the bot id (public) and nothing of the secret."""
    bot_id, sep, _ = token.partition(":")
    return f"{bot_id}:…" if sep and bot_id.isdigit() else "…"


class _Redactor(logging.Filter):
    """Removes bot tokens from log records, tracebacks included, before any handler
    writes them (PTB and httpx put the token in request URLs and some messages)."""

    def __init__(self) -> None:
        super().__init__("harbor-redactor")
        self.secrets: set[str] = set()
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        clean = self._clean(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        return True

    def _clean(self, text: str) -> str:
        for secret in self.secrets:
            if secret and secret in text:
                text = text.replace(secret, redacted(secret))
        return text


_REDACTOR = _Redactor()


def protect_token(token: str) -> None:
    """Keep `token` out of every log line from now on (root handlers and the loggers of the
    libraries that see it)."""
    _REDACTOR.secrets.add(token)
    for handler in logging.getLogger().handlers:
        if _REDACTOR not in handler.filters:
            handler.addFilter(_REDACTOR)
    for name in ("telegram", "httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)


class WatchedRequest(HTTPXRequest):
    """The getUpdates connection, observed: when it last got an answer, and whether
    Telegram refused the token (a revoked token ends PTB's polling loop silently)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.last_answer = time.monotonic()
        self.unauthorized = False
        self.conflicts = 0

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        try:
            code, payload = await super().do_request(*args, **kwargs)
        except TelegramError:
            self.last_answer = time.monotonic()  # a timeout is an answer: the loop is alive
            raise
        self.last_answer = time.monotonic()
        if code in (401, 404):
            self.unauthorized = True
        elif code == 409:
            self.conflicts += 1
        return code, payload


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


@dataclasses.dataclass(frozen=True, slots=True)
class _Admins:
    """Who moderates one group, as of `expires`."""

    ids: frozenset[str]  # the owner and administrators holding a moderator right
    anonymous: bool  # an anonymous administrator of this group holds one
    expires: float


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
        drop_pending_updates: bool = False,
        bootstrap_retries: int = 4,
        bootstrap_delay: float = 1.0,
        moderator_rights: Sequence[str] = DEFAULT_MODERATOR_RIGHTS,
        poll_timeout: float = POLL_TIMEOUT,
        read_timeout: float = 5.0,
        watch_interval: float = WATCH_INTERVAL,
        survey_groups: bool = True,
        receive: bool = True,
    ) -> None:
        self.limits = Limits(
            per_second=per_second, group_per_minute=group_per_minute, max_text=4096
        )
        self._token = token
        self._commands = tuple(commands)
        # Only a document sent with one of these is downloaded (CommandInfo.takes_file).
        self._file_commands = frozenset(c.name.lower() for c in commands if c.takes_file)
        # `base_url` is the server root ("https://api.telegram.org" or a fake's address).
        self._base = (base_url or "https://api.telegram.org").rstrip("/")
        self._webhook_url = webhook_url
        # Without a secret anyone who guesses the URL could inject updates.
        self._webhook_secret = webhook_secret or secrets.token_urlsafe(32)
        self._webhook_listen = webhook_listen
        self._webhook_port = webhook_port
        self._admin_ttl = admin_cache_seconds
        self._poll_interval = poll_interval
        self._poll_timeout = poll_timeout
        self._read_timeout = read_timeout
        self._drop_pending = drop_pending_updates
        self._bootstrap_retries = bootstrap_retries
        self._bootstrap_delay = bootstrap_delay
        self._rights = tuple(moderator_rights)
        self._watch_interval = watch_interval
        self._survey_on_start = survey_groups
        self._admins: dict[str, _Admins] = {}
        self._admin_lookups: dict[str, asyncio.Task[_Admins | None]] = {}
        self._inbox: Inbox | None = None
        self._app: AnyApp | None = None
        self._updates_request: WatchedRequest | None = None
        self._conflicts_logged = 0
        self._background: set[asyncio.Task[Any]] = set()
        # False: start() only connects for sending; the runtime starts receiving where this
        # process should (a gateway; with long polling, only the one leader process).
        self._receive = receive
        self._receiving = False  # taking updates now (the watch checks only then)

    @property
    def single_receiver(self) -> bool:
        """Long polling admits one receiver per bot; webhooks admit any number of gateways."""
        return not self._webhook_url

    @classmethod
    def from_settings(
        cls, settings: TelegramSettings, commands: Sequence[CommandInfo], *, receive: bool = True
    ) -> TelegramAdapter:
        return cls(
            settings.token,
            commands,
            base_url=settings.api_base_url,
            webhook_url=settings.webhook_url or None,
            webhook_secret=settings.webhook_secret or None,
            webhook_listen=settings.webhook_listen,
            webhook_port=settings.webhook_port,
            admin_cache_seconds=settings.admin_cache_seconds,
            per_second=settings.per_second,
            group_per_minute=settings.group_per_minute,
            drop_pending_updates=settings.drop_pending_updates,
            bootstrap_retries=settings.bootstrap_retries,
            moderator_rights=settings.moderator_rights,
            receive=receive,
        )

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def application(self) -> AnyApp | None:
        """The running PTB Application (None when stopped)."""
        return self._app

    def _build(self) -> AnyApp:
        self._updates_request = WatchedRequest(
            connection_pool_size=1,
            read_timeout=self._read_timeout,
        )
        return (
            ApplicationBuilder()
            .token(self._token)
            .base_url(f"{self._base}/bot")
            .base_file_url(f"{self._base}/file/bot")
            .request(
                HTTPXRequest(
                    connection_pool_size=SEND_CONNECTIONS,
                    read_timeout=self._read_timeout,
                    pool_timeout=POOL_TIMEOUT,
                )
            )
            .get_updates_request(self._updates_request)
            .job_queue(None)  # scheduling belongs to the core
            .concurrent_updates(ChatOrderedProcessor())
            .build()
        )

    async def start(self, inbox: Inbox) -> None:
        self._inbox = inbox
        protect_token(self._token)
        # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
        httpx_log = logging.getLogger("httpx")
        httpx_log.setLevel(max(httpx_log.getEffectiveLevel(), logging.WARNING))
        app = self._build()
        app.add_handler(TypeHandler(Update, self._on_update))
        try:
            await self._initialize(app)
            self._app = app
            await self._register_commands()
            await app.start()
            if self._receive:
                await self._start_updates(app)
        except BaseException as exc:
            self._app = None
            await _shut_down(app)  # PTB is always shut down, whatever failed
            if isinstance(exc, Exception) and not isinstance(exc, AdapterError):
                raise self._start_error(exc) from None
            raise
        if self._survey_on_start:
            self._spawn(self.survey_groups())

    async def _initialize(self, app: AnyApp) -> None:
        """getMe, retried with backoff while the network is down (a blip at boot)."""
        attempt = 0
        while True:
            try:
                await app.initialize()
                return
            except InvalidToken:
                raise
            except (NetworkError, RetryAfter) as exc:
                if attempt >= self._bootstrap_retries:
                    raise
                delay = self._bootstrap_delay * (2**attempt)
                if isinstance(exc, RetryAfter):
                    delay = max(delay, _seconds(exc.retry_after))
                log.warning(
                    "Telegram getMe failed (%s); retrying in %.1f s", type(exc).__name__, delay
                )
                attempt += 1
                await asyncio.sleep(delay)

    def _start_error(self, exc: Exception) -> AdapterError:
        where = urlsplit(self._base).hostname or self._base
        if isinstance(exc, InvalidToken):
            return AdapterError(
                f"Telegram rejected the bot token {redacted(self._token)} "
                "(check HARBOR_TELEGRAM_TOKEN or [telegram] token; @BotFather /token shows it)",
                fatal=True,
            )
        if isinstance(exc, BadRequest) and "webhook" in exc.message.lower():
            return AdapterError(
                f"Telegram refused the webhook ({exc.message}); check [telegram] webhook_url",
                fatal=True,
            )
        if isinstance(exc, TelegramError):
            return AdapterError(
                f"cannot reach the Telegram Bot API at {where} ({type(exc).__name__})",
                fatal=False,
            )
        if isinstance(exc, OSError):  # the webhook listener could not bind
            return AdapterError(
                f"cannot listen on {self._webhook_listen}:{self._webhook_port} "
                f"({exc.strerror or type(exc).__name__})",
                fatal=False,
            )
        return AdapterError(f"Telegram start failed ({type(exc).__name__})", fatal=False)

    async def _start_updates(self, app: AnyApp) -> None:
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
                bootstrap_retries=self._bootstrap_retries,
                drop_pending_updates=self._drop_pending,
            )
        else:
            await app.updater.start_polling(
                poll_interval=self._poll_interval,
                timeout=dtm.timedelta(seconds=self._poll_timeout),
                allowed_updates=list(ALLOWED_UPDATES),
                bootstrap_retries=self._bootstrap_retries,
                drop_pending_updates=self._drop_pending,
                error_callback=self._polling_error,
            )
        self._receiving = True
        if self._updates_request is not None:
            self._updates_request.last_answer = time.monotonic()

    async def start_receiving(self) -> None:
        """Begin taking updates (long polling or the webhook listener); idempotent."""
        await self._start_updates(self._require_app())

    async def stop_receiving(self) -> None:
        """Stop taking updates (another process leads now); sending goes on."""
        self._receiving = False
        app = self._app
        if app is not None and app.updater is not None and app.updater.running:
            await app.updater.stop()

    async def stop(self) -> None:
        self._receiving = False
        background = list(self._background)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
        app, self._app = self._app, None
        if app is not None:
            await _shut_down(app)

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # --- supervision -------------------------------------------------------------------

    async def watch(self) -> None:
        """Return only by raising AdapterError: the updater stopped working for good (a
        revoked token: fatal), or could not be restarted (the runtime restarts it all)."""
        while True:
            await asyncio.sleep(self._watch_interval)
            await self.check_health()

    async def check_health(self) -> None:
        app = self._app
        if app is None or app.updater is None:
            raise AdapterError("the Telegram adapter is not running", fatal=False)
        request = self._updates_request
        if request is not None and request.unauthorized:
            raise AdapterError(
                f"Telegram rejected the bot token {redacted(self._token)} while running "
                "(revoked in @BotFather?); polling stopped",
                fatal=True,
            )
        if request is not None and request.conflicts > self._conflicts_logged:
            self._conflicts_logged = request.conflicts
            log.error(
                "another process is polling Telegram with this bot token (409 Conflict): "
                "only one may, and each loses updates to the other"
            )
        if not self._receiving:
            return  # sending only: another process (or none yet) takes the updates
        if self._webhook_url:
            if not app.updater.running:
                await self._restart_updates(app, "the webhook listener had stopped")
            return
        stalled = request is not None and (
            time.monotonic() - request.last_answer
            > self._poll_timeout + self._read_timeout + STALL_MARGIN
        )
        if not app.updater.running:
            await self._restart_updates(app, "polling had stopped")
        elif stalled:
            await self._restart_updates(app, "polling stalled")

    async def _restart_updates(self, app: AnyApp, why: str) -> None:
        log.error("Telegram %s; restarting it", why)
        assert app.updater is not None
        try:
            if app.updater.running:
                with contextlib.suppress(Exception):  # a dead loop re-raises its error here
                    await app.updater.stop()
            await self._start_updates(app)
        except Exception as exc:
            raise AdapterError(
                f"Telegram {why} and could not be restarted ({type(exc).__name__})", fatal=False
            ) from None
        log.warning("Telegram updates restarted")

    # --- menus -------------------------------------------------------------------------

    @property
    def bot_username(self) -> str:
        if self._app is None:
            raise RuntimeError("the Telegram adapter is not started")
        username: str = self._app.bot.username
        return username

    async def _register_commands(self) -> None:
        """Three menus: private chats, group members, and group administrators (who alone
        see the moderator commands); each in English and in every language the kernel
        translated (Telegram picks by the member's app language, English otherwise)."""
        menus = command_menus(self._commands)
        bot = self._require_app().bot
        for (scope_name, lang), entries in menus.items():
            menu = [BotCommand(name, description) for name, description in entries]

            async def register(
                menu: list[BotCommand] = menu, scope: str = scope_name, lang: str | None = lang
            ) -> bool:
                done: bool = await bot.set_my_commands(
                    menu, scope=_SCOPES[scope](), language_code=lang
                )
                return done

            try:
                await _retrying("setMyCommands", register)
            except TelegramError as exc:
                # A missing menu is cosmetic: the bot must still start.
                log.warning("setMyCommands failed: %s", type(exc).__name__)

    def _polling_error(self, exc: TelegramError) -> None:
        if isinstance(exc, Conflict):
            return  # counted by the watched request and reported by check_health
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
        app = self._require_app()
        converted = convert_update(update, bot_username=app.bot.username, bot_id=app.bot.id)
        if converted is not None and self._inbox is not None:
            event = await self._enrich(converted)
            await self._inbox.handle(event)
        # After the event: a group the bot just joined has its community by now.
        await self._note_membership_change(update)

    async def _note_membership_change(self, update: Update) -> None:
        if update.chat_member is not None:
            # Only a change of administrators refreshes the moderators; joins do not.
            if admin_change(update.chat_member.to_dict()):
                self._admins.pop(str(update.chat_member.chat.id), None)
            return
        change = update.my_chat_member
        if change is not None and change.chat.type in ("group", "supergroup"):
            # The bot itself was promoted, demoted, added or removed: what it can read
            # in that group may have changed.
            status = change.new_chat_member.status
            if status in ("left", "kicked"):
                return
            reads = status in ("administrator", "creator") or self._reads_all()
            await self._record_reads(str(change.chat.id), reads)

    async def _enrich(self, converted: Converted) -> Incoming:
        event = converted.incoming
        changes: dict[str, Any] = {}
        if not event.chat.private:
            admins = await self._admins_of(event.chat.chat_id)
            if admins is None:
                moderator = False  # unknown means no
            elif converted.anonymous_admin:
                moderator = admins.anonymous
            else:
                moderator = event.member.user_id in admins.ids
            changes["is_moderator"] = moderator
        # Only fetch a file a command reads (/meeting import): documents members share among
        # themselves are none of Harbor's business, and any other command (/crisis above
        # all) must not wait for a download of up to 5 MB.
        wanted = event.command in self._file_commands
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
        """Whether `user_id` moderates the group now: its owner, or an administrator with
        one of the configured rights. An anonymous admin has no private chat, so is never
        the recipient of anything a moderator check guards."""
        if is_anonymous(user_id):
            return False
        admins = await self._admins_of(chat_id)
        return admins is not None and user_id in admins.ids

    async def _admins_of(self, chat_id: str) -> _Admins | None:
        """The group's moderators, cached for `admin_cache_seconds` (and dropped at once
        when Telegram reports an administrator change); one lookup per group at a time."""
        cached = self._admins.get(chat_id)
        if cached is not None and cached.expires >= time.monotonic():
            return cached
        lookup = self._admin_lookups.get(chat_id)
        if lookup is None:
            lookup = asyncio.ensure_future(self._lookup_admins(chat_id))
            self._admin_lookups[chat_id] = lookup
            lookup.add_done_callback(lambda _t: self._admin_lookups.pop(chat_id, None))
        return await asyncio.shield(lookup)

    async def _lookup_admins(self, chat_id: str) -> _Admins | None:
        bot = self._require_app().bot
        try:
            members = await _retrying(
                "getChatAdministrators", lambda: bot.get_chat_administrators(int(chat_id))
            )
        except (TelegramError, ValueError) as exc:
            # Fail closed: unknown means not a moderator (and nothing is cached).
            log.warning("getChatAdministrators failed: %s", type(exc).__name__)
            return None
        ids: set[str] = set()
        anonymous = False
        for member in members:
            data = member.to_dict()
            if not moderates(data, self._rights):
                continue
            if data.get("is_anonymous"):
                anonymous = True
            ids.add(str(member.user.id))
        admins = _Admins(frozenset(ids), anonymous, time.monotonic() + self._admin_ttl)
        self._admins[chat_id] = admins
        return admins

    async def _download(self, converted: Converted) -> Document | None:
        ref = converted.document
        if ref is None or (ref.size is not None and ref.size > MAX_ATTACHMENT):
            return None
        try:
            bot = self._require_app().bot
            file = await _retrying("getFile", lambda: bot.get_file(ref.file_id))
            if file.file_size is not None and file.file_size > MAX_ATTACHMENT:
                return None
            content = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("attachment download failed: %s", type(exc).__name__)
            return None
        if len(content) > MAX_ATTACHMENT:
            return None
        return Document(filename=ref.filename, content=content, mime=ref.mime)

    # --- what the bot can see (issue #11) ----------------------------------------------

    def _reads_all(self) -> bool:
        app = self._app
        return bool(app is not None and app.bot.bot.can_read_all_group_messages)

    async def survey_groups(self) -> dict[str, bool]:
        """For every known group: can the bot read ordinary messages there (privacy mode
        off, or an administrator)? Logged per group and kept in `communities.reads_messages`
        so `/community` can show it. Crisis detection only sees what the bot can read."""
        if self._inbox is None:
            return {}
        groups = await self._inbox.platforms.groups(self.platform)
        found: dict[str, bool] = {}
        reads_all = self._reads_all()
        for group in groups:
            reads = reads_all
            if not reads:
                try:
                    reads = await self._is_admin_in(group.community_id)
                except (TelegramError, ValueError) as exc:
                    log.info("group %s: not reachable (%s)", group.community_id, type(exc).__name__)
                    continue
            found[group.community_id] = reads
            if reads:
                log.info("telegram group %s: Harbor reads ordinary messages", group.community_id)
            else:
                log.warning(
                    "telegram group %s: Harbor sees only commands and replies to it (privacy "
                    "mode on, not an admin): crisis words in other messages go unseen",
                    group.community_id,
                )
            if group.reads_messages is not reads:
                await self._record_reads(group.community_id, reads, group.title)
        return found

    async def _is_admin_in(self, chat_id: str) -> bool:
        bot = self._require_app().bot
        chat, me = int(chat_id), bot.id
        member = await _retrying("getChatMember", lambda: bot.get_chat_member(chat, me))
        return member.status in ("administrator", "creator")

    async def _record_reads(self, chat_id: str, reads: bool, title: str = "") -> None:
        if self._inbox is not None:
            await self._inbox.platforms.note_group(self.platform, chat_id, title, reads)

    # --- outgoing ----------------------------------------------------------------------

    async def send(self, reply: Reply) -> SendResult:
        if (
            reply.private
            and reply.member is not None
            and not can_receive_private(reply.member.user_id)
        ):
            # An anonymous admin: the group may offer them a link to the private chat.
            return SendResult(SendStatus.NO_PRIVATE_CHAT, detail="anonymous administrator")
        try:
            calls = build_calls(reply)
        except CallbackDataTooLong as exc:
            log.error("a reply with a '%s' button was refused: %s", exc.prefix, exc.args[0])
            return SendResult(SendStatus.REJECTED, detail=str(exc))
        if not calls:
            return SendResult(SendStatus.REJECTED, detail="nothing to send or no recipient")
        result = SendResult(SendStatus.REJECTED)
        crisis = reply.priority == Priority.CRISIS  # resent after a timeout: see RETRY_POLICY
        for call in calls:
            result = await self._call(call, crisis=crisis)
            if not result.ok:
                break
        return result

    async def _call(self, call: ApiCall, *, crisis: bool = False) -> SendResult:
        try:
            message = await self._invoke(call)
        except TimedOut as exc:
            if call.method == "edit_message_text":
                try:  # the same edit twice changes nothing: safe to repeat once
                    message = await self._invoke(call)
                except TelegramError as again:
                    return _failure(again, call)
            else:
                return timed_out_result(
                    _API_NAMES[call.method], may_have_arrived=_may_have_arrived(exc), crisis=crisis
                )
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


_API_NAMES = {
    "send_message": "sendMessage",
    "send_photo": "sendPhoto",
    "send_document": "sendDocument",
    "edit_message_text": "editMessageText",
}
_SCOPES: dict[str, Callable[[], Any]] = {
    "private": BotCommandScopeAllPrivateChats,
    "group": BotCommandScopeAllGroupChats,
    "admins": BotCommandScopeAllChatAdministrators,
}


def command_menus(
    commands: Sequence[CommandInfo],
) -> dict[tuple[str, str | None], list[tuple[str, str]]]:
    """(scope, language_code or None) → the menu's (command, description) entries.
    Moderator commands are only in the administrators' menu; a language without a
    translation for a command shows its English description."""
    scopes = {
        "private": [c for c in commands if c.in_private and not c.moderator],
        "group": [c for c in commands if c.in_group and not c.moderator],
        "admins": [c for c in commands if c.in_group],
    }
    langs = sorted({lang for c in commands for lang in c.translations if lang != "en"})
    menus: dict[tuple[str, str | None], list[tuple[str, str]]] = {}
    for scope, infos in scopes.items():
        for lang in (None, *langs):
            menus[(scope, lang)] = [
                (
                    c.name,
                    ((c.translations.get(lang) if lang else None) or c.description)[:256],
                )
                for c in infos
            ]
    return menus


async def _retrying(method: str, call: Callable[[], Awaitable[T]]) -> T:
    """A call that is safe to repeat (a read or a setting): retried on TimedOut and network
    errors as RETRY_POLICY says, with a short backoff."""
    tries = max(0, RETRY_POLICY.get(method, 0))
    attempt = 0
    while True:
        try:
            return await call()
        except (BadRequest, Forbidden, InvalidToken, ChatMigrated, RetryAfter):
            raise
        except NetworkError:  # TimedOut included
            if attempt >= tries:
                raise
            await asyncio.sleep(0.5 * (2**attempt))
            attempt += 1


def _may_have_arrived(exc: TimedOut) -> bool:
    """Whether a timed-out request may have reached Telegram: only a connect or pool
    timeout proves it never left."""
    cause = exc.__cause__
    if isinstance(cause, httpx.ConnectTimeout | httpx.PoolTimeout):
        return False
    return "pool timeout" not in exc.message.lower()


async def _shut_down(app: AnyApp) -> None:
    """Stop and shut down whatever of `app` is running, each step on its own: a failing
    step never leaves the rest open (httpx clients, the webhook server, the updater)."""
    updater = app.updater
    with contextlib.suppress(Exception):
        if updater is not None and updater.running:
            await updater.stop()
    with contextlib.suppress(Exception):
        if app.running:
            await app.stop()
    with contextlib.suppress(Exception):
        await app.shutdown()
    with contextlib.suppress(Exception):
        await app.bot.shutdown()  # the HTTP clients a failed initialize() left open


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
    if isinstance(exc, TimedOut):
        return timed_out_result(
            _API_NAMES.get(call.method, call.method), may_have_arrived=_may_have_arrived(exc)
        )
    if isinstance(exc, BadRequest):  # before NetworkError: BadRequest subclasses it
        return SendResult(SendStatus.REJECTED, detail=detail)
    return SendResult(SendStatus.FAILED, detail=detail)  # NetworkError, 5xx, ...


def _seconds(value: int | dtm.timedelta) -> float:
    # PTB 22 returns an int, or a timedelta with PTB_TIMEDELTA set: accept both.
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)
