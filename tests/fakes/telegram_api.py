"""A fake Telegram Bot API server on 127.0.0.1, enough for python-telegram-bot to run
against it: point `ApplicationBuilder().base_url(fake.base_url)` and
`.base_file_url(fake.base_file_url)` at it.

It records every call, serves queued updates through long-polled getUpdates, and can be
told to fail the next calls (429 with retry_after, 403, 400, 5xx) to exercise error mapping.
It also knows: a group that became a supergroup (ChatMigrated on every call to the old id),
a revoked token (401 from then on), slow answers (`delay_next`; `latency` for every call),
administrators with their
rights (anonymous ones too), the bot's own status in a group and its privacy mode
(`can_read_all_group_messages`), `my_chat_member` / `chat_member` updates, webhooks, and
deleteWebhook's `drop_pending_updates`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSONDict = dict[str, Any]

# Parameters PTB sends JSON-encoded inside the form body.
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "commands",
        "scope",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "entities",
        "caption_entities",
    }
)
_ADMIN_RIGHTS = (
    "can_be_edited",
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
)

BOT_TOKEN = "123456:TEST-token_for-the-fake"


def user(user_id: int, first_name: str = "Sam", username: str | None = None) -> JSONDict:
    data: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        data["username"] = username
    return data


def private_chat(of: JSONDict) -> JSONDict:
    return {"id": of["id"], "type": "private", "first_name": of["first_name"]}


def group_chat(chat_id: int, title: str = "Harbor Group") -> JSONDict:
    return {"id": chat_id, "type": "supergroup", "title": title}


MODERATOR_RIGHTS = ("can_change_info", "can_restrict_members")


def chat_member(
    of: JSONDict,
    status: str = "administrator",
    *,
    rights: tuple[str, ...] = MODERATOR_RIGHTS,
    anonymous: bool = False,
) -> JSONDict:
    """A ChatMember object: an administrator holds exactly `rights`."""
    member: JSONDict = {"status": status, "user": of}
    if status == "creator":
        member["is_anonymous"] = anonymous
    elif status == "administrator":
        member.update(dict.fromkeys(_ADMIN_RIGHTS, False))
        member.update(dict.fromkeys(rights, True))
        member["is_anonymous"] = anonymous
    elif status == "kicked":
        member["until_date"] = 0  # for ever
    return member


@dataclass
class Call:
    method: str
    params: JSONDict
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    result: Any = None  # what the server answered (a Message for sends), once answered
    status: int = 200  # what the fake answered (an injected refusal: its error code)


@dataclass
class _Failure:
    method: str
    chat_id: str | None
    remaining: int
    status: int
    description: str
    retry_after: int | None


class FakeTelegramAPI:
    def __init__(self, token: str = BOT_TOKEN, bot_username: str = "HarborTestBot") -> None:
        self.token = token
        self.bot_user: JSONDict = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Harbor",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.calls: list[Call] = []
        self.answered: list[Call] = []  # calls answered with ok, in the order they finished
        # Long polls are capped so a stopping client never waits long.
        self.long_poll_cap = 0.5
        # Seconds every call takes before it is answered (network and Telegram): benchmarks.
        self.latency = 0.0
        self._updates: list[JSONDict] = []
        self._update_ids = itertools.count(1)
        self._message_ids: dict[str, itertools.count[int]] = {}
        self._messages: set[tuple[str, int]] = set()
        self._last_ids: dict[str, int] = {}
        self._admins: dict[str, list[JSONDict]] = {}
        self._files: dict[str, tuple[str, bytes]] = {}
        self._failures: list[_Failure] = []
        self._migrated: dict[str, int] = {}  # old chat id -> the supergroup's id
        self._delays: list[tuple[str, float]] = []
        self._bot_status: dict[str, str] = {}  # chat id -> the bot's status there
        self._refused: dict[str, str] = {}  # chat id -> why every call to it answers 403
        self.webhook_url = ""
        self.unauthorized = 0  # calls refused for a wrong (or revoked) token
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.port = 0

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        # Release pending long polls first, or the server waits for them to time out.
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def root_url(self) -> str:
        """The server root, as TelegramAdapter(base_url=...) takes it."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """For ApplicationBuilder().base_url(...)."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ApplicationBuilder().base_file_url(...)."""
        return f"{self.root_url}/file/bot"

    # --- test controls -----------------------------------------------------------------

    def push_update(self, update: JSONDict) -> JSONDict:
        update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        self._notify()
        return update

    def push_message(
        self, chat: JSONDict, sender: JSONDict, text: str = "", **extra: Any
    ) -> JSONDict:
        """Queue a message update; `extra` adds Message fields (document, caption,
        reply_to_message, message_thread_id, ...)."""
        message: JSONDict = {
            "message_id": self._next_message_id(str(chat["id"])),
            "date": int(time.time()),
            "chat": chat,
            "from": sender,
        }
        if text:
            message["text"] = text
            if entities := _entities(text):
                message["entities"] = entities
        message.update(extra)
        return self.push_update({"message": message})

    def push_callback(
        self, chat: JSONDict, sender: JSONDict, data: str, message_id: int = 1
    ) -> JSONDict:
        query = {
            "id": f"cbq-{next(self._update_ids)}",
            "from": sender,
            "chat_instance": "ci-1",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat,
                "from": self.bot_user,
                "text": "pick one",
            },
        }
        return self.push_update({"callback_query": query})

    def push_my_chat_member(
        self, chat: JSONDict, actor: JSONDict, old: str = "left", new: str = "member"
    ) -> JSONDict:
        change = {
            "chat": chat,
            "from": actor,
            "date": int(time.time()),
            "old_chat_member": chat_member(self.bot_user, old),
            "new_chat_member": chat_member(self.bot_user, new),
        }
        return self.push_update({"my_chat_member": change})

    def set_admins(
        self, chat_id: int, admins: list[JSONDict], *, rights: tuple[str, ...] = MODERATOR_RIGHTS
    ) -> None:
        """The first admin is the owner; the others hold `rights`. An entry that is already
        a ChatMember (it has a "status", see `chat_member`) is taken as it is."""
        members: list[JSONDict] = []
        for index, admin in enumerate(admins):
            if "status" in admin:
                members.append(admin)
            elif index == 0:
                members.append(chat_member(admin, "creator"))
            else:
                members.append(chat_member(admin, rights=rights))
        self._admins[str(chat_id)] = members

    def set_privacy(self, *, reads_all: bool) -> None:
        """BotFather's privacy mode: off means getMe says can_read_all_group_messages."""
        self.bot_user["can_read_all_group_messages"] = reads_all

    def set_bot_status(self, chat_id: int, status: str) -> None:
        """The bot's own status in a group, as getChatMember reports it."""
        self._bot_status[str(chat_id)] = status

    def migrate_chat(self, old_id: int, new_id: int) -> None:
        """The group `old_id` became the supergroup `new_id`: every call to the old id
        answers 400 with migrate_to_chat_id, as Telegram does."""
        self._migrated[str(old_id)] = new_id

    def revoke_token(self) -> None:
        """@BotFather /revoke: the token the bot uses is refused (401) from now on."""
        self.token = f"{self.token}-revoked"

    def delay_next(self, method: str, seconds: float) -> None:
        """The next call to `method` is answered (and takes effect) only after `seconds`."""
        self._delays.append((method, seconds))

    def push_chat_member(
        self, chat: JSONDict, actor: JSONDict, member: JSONDict, old: JSONDict, new: JSONDict
    ) -> JSONDict:
        """A chat_member update: `member`'s status in `chat` changed from `old` to `new`
        (ChatMember objects without "user")."""
        change = {
            "chat": chat,
            "from": actor,
            "date": int(time.time()),
            "old_chat_member": {**old, "user": member},
            "new_chat_member": {**new, "user": member},
        }
        return self.push_update({"chat_member": change})

    def add_file(self, content: bytes, file_name: str = "meetings.json") -> JSONDict:
        """Register a downloadable file; returns a Document object for push_message."""
        file_id = f"file-{len(self._files) + 1}"
        self._files[file_id] = (f"documents/{file_id}_{file_name}", content)
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_name": file_name,
            "mime_type": "application/json",
            "file_size": len(content),
        }

    def fail_next(
        self,
        method: str,
        *,
        status: int,
        description: str,
        count: int = 1,
        chat_id: int | str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """The next `count` calls to `method` (for `chat_id`, if given) fail."""
        target = None if chat_id is None else str(chat_id)
        self._failures.append(_Failure(method, target, count, status, description, retry_after))

    def fail_retry_after(self, method: str, seconds: int, **kw: Any) -> None:
        desc = f"Too Many Requests: retry after {seconds}"
        self.fail_next(method, status=429, description=desc, retry_after=seconds, **kw)

    def fail_blocked(self, method: str, **kw: Any) -> None:
        desc = "Forbidden: bot was blocked by the user"
        self.fail_next(method, status=403, description=desc, **kw)

    def fail_cannot_initiate(self, method: str, **kw: Any) -> None:
        desc = "Forbidden: bot can't initiate conversation with a user"
        self.fail_next(method, status=403, description=desc, **kw)

    def refuse_chat(self, chat_id: int | str, description: str) -> None:
        """Every call for `chat_id` answers 403 `description` until `allow_chat` (a member
        who blocked the bot, or never opened its private chat: no count to run out)."""
        self._refused[str(chat_id)] = description

    def allow_chat(self, chat_id: int | str) -> None:
        self._refused.pop(str(chat_id), None)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def wait_for_call(
        self,
        method: str,
        where: Callable[[Call], bool] = lambda _c: True,
        *,
        within: float = 5.0,
    ) -> Call:
        """The first recorded `method` call matching `where`, waiting for it if needed."""

        def found() -> Call | None:
            return next((c for c in self.calls if c.method == method and where(c)), None)

        async def wait() -> Call:
            async with self._changed:
                await self._changed.wait_for(lambda: found() is not None)
            result = found()
            assert result is not None
            return result

        return await asyncio.wait_for(wait(), within)

    async def message_id(self, call: Call, within: float = 5.0) -> int:
        """The id of the message a recorded send created (to press its buttons: a button's
        answer edits the very message it was on)."""

        async def wait() -> int:
            async with self._changed:
                await self._changed.wait_for(lambda: isinstance(call.result, dict))
            return int(call.result["message_id"])

        return await asyncio.wait_for(wait(), within)

    async def wait_until_consumed(self, within: float = 5.0) -> None:
        """Until the client confirmed every queued update (asked for a later offset)."""

        async def wait() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: not self._updates)

        await asyncio.wait_for(wait(), within)

    # --- HTTP --------------------------------------------------------------------------

    def _notify(self) -> None:
        async def notify() -> None:
            async with self._changed:
                self._changed.notify_all()

        asyncio.get_running_loop().create_task(notify())

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            self.unauthorized += 1
            self._notify()
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params, files = await _read_params(request)
        call = Call(method, params, files)
        self.calls.append(call)
        self._notify()
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        delay = next((d for d in self._delays if d[0].lower() == method.lower()), None)
        if delay is not None:
            self._delays.remove(delay)
            await asyncio.sleep(delay[1])
        moved = self._migrated.get(str(params.get("chat_id", "")))
        if moved is not None:
            call.status = 400
            return _error(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": moved},
            )
        refused = self._refused.get(str(params.get("chat_id", "")))
        if refused is not None:
            call.status = 403
            return _error(403, refused)
        failure = self._take_failure(method, params)
        if failure is not None:
            call.status = failure.status
            extra = {"retry_after": failure.retry_after} if failure.retry_after else None
            return _error(failure.status, failure.description, extra)
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        result = await handler(params)
        if isinstance(result, web.Response):
            return result
        call.result = result
        self.answered.append(call)
        self._notify()
        return web.json_response({"ok": True, "result": result})

    def _take_failure(self, method: str, params: JSONDict) -> _Failure | None:
        chat_id = str(params.get("chat_id", ""))
        for failure in self._failures:
            if failure.method.lower() != method.lower():
                continue
            if failure.chat_id is not None and failure.chat_id != chat_id:
                continue
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._failures.remove(failure)
            return failure
        return None

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for file_path, content in self._files.values():
            if file_path == path:
                return web.Response(body=content)
        return web.Response(status=404)

    # --- methods -----------------------------------------------------------------------

    async def _m_getme(self, params: JSONDict) -> Any:
        return self.bot_user

    async def _m_getupdates(self, params: JSONDict) -> Any:
        offset = int(params.get("offset") or 0)
        # Asking for `offset` confirms every earlier update, as on Telegram.
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if self._updates:
            self._notify()
        wait = min(float(params.get("timeout") or 0), self.long_poll_cap)
        if not self._updates and wait > 0:
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: bool(self._updates) or self._closing), wait
                    )
        limit = int(params.get("limit") or 100)
        return self._updates[:limit]

    async def _m_sendmessage(self, params: JSONDict) -> Any:
        return self._message(params, text=params.get("text", ""))

    async def _m_sendphoto(self, params: JSONDict) -> Any:
        photo = [{"file_id": "p1", "file_unique_id": "up1", "width": 800, "height": 600}]
        return self._message(params, photo=photo, caption=params.get("caption"))

    async def _m_senddocument(self, params: JSONDict) -> Any:
        document = {"file_id": "d1", "file_unique_id": "ud1"}
        return self._message(params, document=document, caption=params.get("caption"))

    async def _m_editmessagetext(self, params: JSONDict) -> Any:
        key = (str(params.get("chat_id")), int(params.get("message_id") or 0))
        if key not in self._messages:
            return _error(400, "Bad Request: message to edit not found")
        message = self._message_body(params, key[1], text=params.get("text", ""))
        message["edit_date"] = int(time.time())
        return message

    async def _m_answercallbackquery(self, params: JSONDict) -> Any:
        return True

    async def _m_getchatadministrators(self, params: JSONDict) -> Any:
        return self._admins.get(str(params.get("chat_id")), [])

    async def _m_getchatmember(self, params: JSONDict) -> Any:
        chat_id, user_id = str(params.get("chat_id")), int(params.get("user_id") or 0)
        for member in self._admins.get(chat_id, []):
            if member["user"]["id"] == user_id:
                return member
        if user_id == self.bot_user["id"]:
            status = self._bot_status.get(chat_id, "member")
            return chat_member(self.bot_user, status) if status == "administrator" else {
                "status": status,
                "user": self.bot_user,
            }
        return {"status": "member", "user": user(user_id)}

    async def _m_getfile(self, params: JSONDict) -> Any:
        file_id = str(params.get("file_id"))
        if file_id not in self._files:
            return _error(400, "Bad Request: invalid file_id")
        path, content = self._files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u{file_id}",
            "file_size": len(content),
            "file_path": path,
        }

    async def _m_setmycommands(self, params: JSONDict) -> Any:
        return True

    async def _m_deletewebhook(self, params: JSONDict) -> Any:
        self.webhook_url = ""
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self._updates.clear()
        return True

    async def _m_setwebhook(self, params: JSONDict) -> Any:
        self.webhook_url = str(params.get("url") or "")
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            self._updates.clear()
        return True

    async def _m_getwebhookinfo(self, params: JSONDict) -> Any:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _m_logout(self, params: JSONDict) -> Any:
        return True

    async def _m_close(self, params: JSONDict) -> Any:
        return True

    # --- message objects ---------------------------------------------------------------

    def _next_message_id(self, chat_id: str) -> int:
        counter = self._message_ids.setdefault(chat_id, itertools.count(1))
        self._last_ids[chat_id] = next(counter)
        return self._last_ids[chat_id]

    def last_message_id(self, chat_id: int | str) -> int:
        """The id of the latest message in the chat (the member's or the bot's)."""
        return self._last_ids.get(str(chat_id), 0)

    def _message(self, params: JSONDict, **content: Any) -> JSONDict:
        chat_id = str(params.get("chat_id"))
        message_id = self._next_message_id(chat_id)
        self._messages.add((chat_id, message_id))
        return self._message_body(params, message_id, **content)

    def _message_body(self, params: JSONDict, message_id: int, **content: Any) -> JSONDict:
        chat_id = int(params["chat_id"])
        chat: JSONDict = (
            {"id": chat_id, "type": "private", "first_name": "Member"}
            if chat_id > 0
            else {"id": chat_id, "type": "supergroup", "title": "Harbor Group"}
        )
        message: JSONDict = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat,
            "from": self.bot_user,
        }
        message.update({k: v for k, v in content.items() if v is not None})
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        return message


def _entities(text: str) -> list[JSONDict]:
    """Entities the real server would attach: a leading command and @mentions."""
    entities: list[JSONDict] = []
    words = text.split(" ")
    position = 0
    for index, word in enumerate(words):
        length = len(word.encode("utf-16-le")) // 2
        if index == 0 and word.startswith("/") and len(word) > 1:
            entities.append({"type": "bot_command", "offset": 0, "length": length})
        elif word.startswith("@") and len(word) > 1:
            offset = len(text[:position].encode("utf-16-le")) // 2
            entities.append({"type": "mention", "offset": offset, "length": length})
        position += len(word) + 1
    return entities


async def _read_params(request: web.Request) -> tuple[JSONDict, dict[str, tuple[str, bytes]]]:
    params: JSONDict = dict(request.query)
    files: dict[str, tuple[str, bytes]] = {}
    if request.content_type == "application/json":
        params.update(await request.json())
        return params, files
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, web.FileField):
            files[key] = (value.filename, value.file.read())
            params[key] = f"<file {value.filename}>"
        elif key in _JSON_PARAMS and isinstance(value, str):
            params[key] = json.loads(value)
        else:
            params[key] = value
    return params, files


def _error(status: int, description: str, parameters: JSONDict | None = None) -> web.Response:
    body: JSONDict = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
