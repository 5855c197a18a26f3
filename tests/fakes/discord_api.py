"""A fake Discord REST API and gateway on 127.0.0.1, enough for the real discord.py to log in,
connect, receive events and send messages.

REST lives under `fake.api_base` (point `discord.http.Route.BASE` at it) and the gateway at
`fake.gateway_url` (point `DiscordWebSocket.DEFAULT_GATEWAY` at it; /gateway/bot returns it
too). Every REST call is recorded; `fail_next()` makes the next matching call fail; `dispatch()`
pushes a gateway event to every connected client. Responses use the exact content type
`application/json`, as discord.py insists on it.

Attached files: `upload()` stores bytes and returns Discord's attachment object, whose `url`
points at this server (`/attachments/...`, like the CDN); every download is recorded in
`downloads`. `slash_command(..., file=...)` and `message_create(..., attachments=...)` put
such objects into the payloads.

It also knows Discord's refusals: the bot token (REST 401; gateway close 4004, also after
`revoke_token()`), the Message Content intent switched off in the portal
(`message_content_enabled = False`: identify closes with 4014), any close code
(`close_gateway(code)`, after which discord.py resumes or gives up as Discord's rules say),
50007 (DMs closed), 40003 (opening DMs too fast), 10062 (an interaction answered too late),
10003 (a DM channel that no longer exists), guild-scoped command syncs, autocomplete, and
modals (callback type 9) with their submissions (`modal_submit()`).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

DISCORD_EPOCH_MS = 1_420_070_400_000
JSONDict = dict[str, Any]

TOKEN = "fake-bot-token"
BOT_ID = "900000000000000001"
APP_ID = BOT_ID
GUILD_ID = "910000000000000001"
CHANNEL_ID = "920000000000000001"  # #general, the guild's system channel
ANNOUNCE_ID = "920000000000000002"
MOD_ROLE_ID = "930000000000000001"  # a role with Manage Server
HELPER_ROLE_ID = "930000000000000002"  # a role without any moderator permission
OWNER_ID = "940000000000000001"
MEMBER_ID = "940000000000000002"  # a regular member
MODERATOR_ID = "940000000000000003"  # holds MOD_ROLE_ID
TIMESTAMP = "2024-05-01T12:00:00.000000+00:00"
MANAGE_GUILD = 1 << 5
MESSAGE_CONTENT = 1 << 15  # the privileged gateway intent
SEND_MESSAGES_ETC = 0x0000_0000_0006_4C40  # view, send, embed, attach, history, reactions


def user(user_id: str, name: str = "sam", *, bot: bool = False) -> JSONDict:
    return {
        "id": user_id,
        "username": name,
        "discriminator": "0",
        "global_name": name.title(),
        "avatar": None,
        "bot": bot,
    }


BOT_USER = user(BOT_ID, "harbor", bot=True)


def guild_member(user_id: str, name: str, roles: list[str]) -> JSONDict:
    return {
        "user": user(user_id, name),
        "roles": roles,
        "joined_at": TIMESTAMP,
        "deaf": False,
        "mute": False,
        "flags": 0,
    }


def _role(role_id: str, name: str, permissions: int, position: int) -> JSONDict:
    return {
        "id": role_id,
        "name": name,
        "permissions": str(permissions),
        "position": position,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def _text_channel(channel_id: str, name: str, position: int) -> JSONDict:
    return {
        "id": channel_id,
        "type": 0,
        "guild_id": GUILD_ID,
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }


def guild_payload() -> JSONDict:
    return {
        "id": GUILD_ID,
        "name": "Harbor Test Server",
        "owner_id": OWNER_ID,
        "unavailable": False,
        "member_count": 4,
        "large": False,
        "system_channel_id": CHANNEL_ID,
        "roles": [
            _role(GUILD_ID, "@everyone", SEND_MESSAGES_ETC, 0),
            _role(MOD_ROLE_ID, "moderators", MANAGE_GUILD, 2),
            _role(HELPER_ROLE_ID, "helpers", 0, 1),
        ],
        "channels": [
            _text_channel(CHANNEL_ID, "general", 0),
            _text_channel(ANNOUNCE_ID, "announcements", 1),
        ],
        "members": [
            {**guild_member(BOT_ID, "harbor", []), "user": BOT_USER},
            guild_member(OWNER_ID, "owner", []),
            guild_member(MEMBER_ID, "sam", [HELPER_ROLE_ID]),
            guild_member(MODERATOR_ID, "mo", [MOD_ROLE_ID]),
        ],
        "threads": [],
        "emojis": [],
        "stickers": [],
        "features": [],
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "preferred_locale": "en-US",
    }


@dataclass
class Recorded:
    method: str
    path: str  # below the API base, e.g. "/channels/1/messages"
    query: dict[str, str]
    body: Any  # the JSON body, or multipart's payload_json
    files: list[tuple[str, bytes]] = field(default_factory=list)
    status: int = 200  # what the fake answered (an injected failure: its status)


@dataclass
class _Failure:
    method: str
    pattern: re.Pattern[str]
    status: int
    body: JSONDict
    headers: dict[str, str]


class FakeDiscord:
    def __init__(self) -> None:
        self.token = TOKEN
        self.message_content_enabled = True  # the portal's privileged intent switch
        self.app_flags = 1 << 19  # GATEWAY_MESSAGE_CONTENT: what /applications/@me says
        self.requests: list[Recorded] = []
        self.identifies: list[JSONDict] = []
        self.commands: list[JSONDict] = []
        self.guild_commands: dict[str, list[JSONDict]] = {}
        self.closes: list[int] = []  # close codes the gateway sent
        self.resumes = 0
        self.downloads: list[str] = []  # paths of attachment downloads, in order
        self._files: dict[str, tuple[bytes, str]] = {}
        # Members beyond guild_payload()'s four: not in GUILD_CREATE, so discord.py asks
        # for them over REST each time and sees their roles as they are now.
        self.more_members: dict[str, JSONDict] = {}
        self._dms_closed: set[str] = set()  # DM channel ids that answer 50007 for good
        self._failures: list[_Failure] = []
        self._ids = itertools.count(990_000_000_000_000_001)
        self._sockets: list[tuple[web.WebSocketResponse, itertools.count[int]]] = []
        self._shards: dict[int, tuple[int, int]] = {}  # id(socket) -> (shard, count)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        app.router.add_get("/attachments/{id}/{filename}", self._attachment)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        for ws, _ in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def new_id(self) -> str:
        return str(next(self._ids))

    def new_snowflake(self) -> str:
        """An id that encodes the current time, as Discord's do (interaction deadlines are
        counted from it)."""
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return str((ms << 22) | (next(self._ids) & 0x3FFFFF))

    def upload(
        self,
        filename: str,
        content: bytes,
        content_type: str = "application/json",
        *,
        size: int | None = None,
    ) -> JSONDict:
        """Store a file and return its attachment object (as in `resolved.attachments` or a
        message's `attachments`); `size` overrides the declared size (default: the real)."""
        attachment_id = self.new_id()
        self._files[attachment_id] = (content, content_type)
        url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{filename}"
        return {
            "id": attachment_id,
            "filename": filename,
            "size": len(content) if size is None else size,
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }

    # --- test controls ----------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        body: JSONDict | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next `method` call whose path matches `path_regex` answers `status`."""
        self._failures.append(
            _Failure(
                method,
                re.compile(path_regex),
                status,
                body or {"code": 0, "message": "injected failure"},
                headers or {},
            )
        )

    def fail_dm_closed(self) -> None:
        """The next message to a DM channel answers 403 / 50007 (cannot DM this user)."""
        self.fail_next(
            "POST",
            r"^/channels/8\d+/messages$",  # the fake's DM channel ids start with 8
            403,
            {"code": 50007, "message": "Cannot send messages to this user"},
        )

    def add_member(self, user_id: str, name: str, roles: list[str]) -> None:
        """A member of the guild (again, with `roles`: a moderator stepping down)."""
        self.more_members[user_id] = guild_member(user_id, name, roles)

    def close_dms(self, user_id: str, closed: bool = True) -> None:
        """Every message to the user's DM channel answers 403 / 50007 while `closed`."""
        channel = dm_channel_id(user_id)
        if closed:
            self._dms_closed.add(channel)
        else:
            self._dms_closed.discard(channel)

    def fail_opening_dms_too_fast(self) -> None:
        """The next DM channel request answers 40003 (opening DMs too fast)."""
        self.fail_next(
            "POST",
            r"^/users/@me/channels$",
            403,
            {"code": 40003, "message": "You are opening direct messages too fast."},
        )

    def fail_interaction_expired(self) -> None:
        """The next interaction answer is too late: 404 / 10062 (unknown interaction)."""
        self.fail_next(
            "POST",
            r"^/interactions/\d+/[^/]+/callback$",
            404,
            {"code": 10062, "message": "Unknown interaction"},
        )

    def fail_unknown_channel(self, channel_id: str) -> None:
        self.fail_next(
            "POST",
            rf"^/channels/{channel_id}/messages$",
            404,
            {"code": 10003, "message": "Unknown Channel"},
        )

    def revoke_token(self) -> None:
        """Reset Token in the portal: the old one is refused from now on (REST and gateway)."""
        self.token = f"{TOKEN}-revoked"

    async def close_gateway(self, code: int) -> None:
        """Close every gateway connection with `code` (4004 bad token, 4014 intent, ...)."""
        for ws, _ in list(self._sockets):
            self.closes.append(code)
            await ws.close(code=code, message=b"closed by the fake")

    def rate_limit_next(self, method: str, path_regex: str, retry_after: float) -> None:
        """A real-looking 429: with `Via`, so discord.py does not take it for a CF ban."""
        self.fail_next(
            method,
            path_regex,
            429,
            {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
            {"Via": "1.1 google", "Retry-After": str(retry_after), "X-RateLimit-Scope": "user"},
        )

    def requests_to(self, method: str, path_regex: str) -> list[Recorded]:
        pattern = re.compile(path_regex)
        return [r for r in self.requests if r.method == method and pattern.search(r.path)]

    async def wait_for_request(
        self, method: str, path_regex: str, *, count: int = 1, within: float = 5.0
    ) -> list[Recorded]:
        """Wait until at least `count` matching calls were recorded; return them all."""

        def enough() -> bool:
            return len(self.requests_to(method, path_regex)) >= count

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(enough), within)
        return self.requests_to(method, path_regex)

    async def wait_connected(self, within: float = 5.0) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: bool(self._sockets)), within)

    async def dispatch(self, event: str, payload: JSONDict) -> None:
        """Push a gateway DISPATCH event to every connected client whose shard it belongs to
        (as Discord does: a guild's events go to shard (guild_id >> 22) % shard_count, DMs to
        shard 0; an unsharded client gets everything)."""
        for ws, seq in list(self._sockets):
            if not self._for_shard(ws, payload.get("guild_id")):
                continue
            await ws.send_str(json.dumps({"op": 0, "t": event, "s": next(seq), "d": payload}))

    def _for_shard(self, ws: web.WebSocketResponse, guild_id: Any) -> bool:
        shard, count = self._shards.get(id(ws), (0, 1))
        target = (int(guild_id) >> 22) % count if guild_id else 0
        return shard == target

    # --- gateway ----------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        seq = itertools.count(1)
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": 41250}}))
        try:
            async for msg in ws:
                data = json.loads(msg.data)
                if data["op"] == 1:  # heartbeat
                    await ws.send_str(json.dumps({"op": 11}))
                elif data["op"] == 2:  # identify
                    await self._identified(ws, seq, data["d"])
                elif data["op"] == 6:  # resume
                    await self._resumed(ws, seq, data["d"])
        finally:
            async with self._changed:
                self._sockets = [(s, c) for s, c in self._sockets if s is not ws]
                self._changed.notify_all()
        return ws

    async def _refuse(self, ws: web.WebSocketResponse, code: int) -> None:
        self.closes.append(code)
        await ws.close(code=code, message=b"refused by the fake")

    async def _resumed(
        self, ws: web.WebSocketResponse, seq: itertools.count[int], resume: JSONDict
    ) -> None:
        self.resumes += 1
        if str(resume.get("token", "")).removeprefix("Bot ") != self.token:
            await self._refuse(ws, 4004)
            return
        await ws.send_str(json.dumps({"op": 0, "t": "RESUMED", "s": next(seq), "d": {}}))
        async with self._changed:
            self._sockets.append((ws, seq))
            self._changed.notify_all()

    async def _identified(
        self, ws: web.WebSocketResponse, seq: itertools.count[int], identify: JSONDict
    ) -> None:
        self.identifies.append(identify)
        if str(identify.get("token", "")).removeprefix("Bot ") != self.token:
            await self._refuse(ws, 4004)  # authentication failed
            return
        if int(identify.get("intents", 0)) & MESSAGE_CONTENT and not self.message_content_enabled:
            await self._refuse(ws, 4014)  # disallowed intent
            return
        shard = identify.get("shard") or [0, 1]
        self._shards[id(ws)] = (int(shard[0]), int(shard[1]))
        ready = {
            "v": 10,
            "user": BOT_USER,
            "guilds": [{"id": GUILD_ID, "unavailable": True}]
            if self._for_shard(ws, GUILD_ID) else [],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": APP_ID, "flags": 0},
            "shard": identify.get("shard", [0, 1]),
            "private_channels": [],
            "relationships": [],
        }
        await ws.send_str(json.dumps({"op": 0, "t": "READY", "s": next(seq), "d": ready}))
        guild = guild_payload()
        if self._for_shard(ws, guild.get("id")):
            event = {"op": 0, "t": "GUILD_CREATE", "s": next(seq), "d": guild}
            await ws.send_str(json.dumps(event))
        async with self._changed:
            self._sockets.append((ws, seq))
            self._changed.notify_all()

    # --- attachments (the CDN) -------------------------------------------------------

    async def _attachment(self, request: web.Request) -> web.StreamResponse:
        async with self._changed:
            self.downloads.append(request.path)
            self._changed.notify_all()
        stored = self._files.get(request.match_info["id"])
        if stored is None:
            return web.Response(status=404)
        content, content_type = stored
        return web.Response(body=content, headers={"Content-Type": content_type})

    # --- REST -------------------------------------------------------------------------

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        auth = request.headers.get("Authorization", "")
        if auth and not path.startswith(("/interactions/", "/webhooks/")) and (
            auth != f"Bot {self.token}"
        ):
            async with self._changed:
                self.requests.append(Recorded(request.method, path, dict(request.query), None))
                self._changed.notify_all()
            return _json({"code": 0, "message": "401: Unauthorized"}, 401)
        body: Any = None
        files: list[tuple[str, bytes]] = []
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            for name, value in form.items():
                if name == "payload_json":
                    body = json.loads(str(value))
                elif isinstance(value, web.FileField):
                    files.append((value.filename, value.file.read()))
        elif request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else None
        recorded = Recorded(request.method, path, dict(request.query), body, files)
        async with self._changed:
            self.requests.append(recorded)
            self._changed.notify_all()
        for failure in self._failures:
            if failure.method == request.method and failure.pattern.search(path):
                self._failures.remove(failure)
                recorded.status = failure.status
                return _json(failure.body, failure.status, failure.headers)
        closed = re.match(r"^/channels/(\d+)/messages$", path)
        if request.method == "POST" and closed and closed.group(1) in self._dms_closed:
            recorded.status = 403
            return _json({"code": 50007, "message": "Cannot send messages to this user"}, 403)
        for method, pattern, route in self._routes():
            match = pattern.match(path)
            if method == request.method and match:
                result = route(body or {}, *match.groups())
                if result is None:
                    return web.Response(status=204)
                return _json(result)
        return _json({"code": 0, "message": f"fake: no route {request.method} {path}"}, 404)

    def _routes(self) -> list[tuple[str, re.Pattern[str], Callable[..., JSONDict | None]]]:
        routes: list[tuple[str, str, Callable[..., JSONDict | None]]] = [
            ("GET", r"/users/@me$", lambda _b: BOT_USER),
            ("GET", r"/gateway$", lambda _b: {"url": self.gateway_url}),
            ("GET", r"/gateway/bot$", self._gateway_bot),
            ("GET", r"/(?:oauth2/)?applications/@me$", self._application),
            ("PUT", r"/applications/(\d+)/commands$", self._put_commands),
            ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands$", self._put_guild_commands),
            ("POST", r"/channels/(\d+)/messages$", self._create_message),
            ("PATCH", r"/channels/(\d+)/messages/(\d+)$", self._edit_message),
            ("GET", r"/channels/(\d+)$", self._get_channel),
            ("GET", r"/guilds/(\d+)/members/(\d+)$", self._get_member),
            ("POST", r"/users/@me/channels$", self._create_dm),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback$", self._callback),
            ("POST", r"/webhooks/(\d+)/([^/]+)$", self._followup),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/([^/]+)$", self._edit_followup),
            ("DELETE", r"/webhooks/(\d+)/([^/]+)/messages/([^/]+)$", lambda *_: None),
        ]
        return [(m, re.compile(p), f) for m, p, f in routes]

    def _gateway_bot(self, _body: JSONDict) -> JSONDict:
        return {
            "url": self.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 1000,
                "reset_after": 0,
                "max_concurrency": 1,
            },
        }

    def _application(self, _body: JSONDict) -> JSONDict:
        return {
            "id": APP_ID,
            "name": "Harbor",
            "icon": None,
            "description": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": user(OWNER_ID, "owner"),
            "team": None,
            "verify_key": "00",
            "flags": self.app_flags,
            "summary": "",
            "rpc_origins": [],
        }

    def _put_commands(self, body: Any, _app: str) -> Any:
        self.commands = [
            {**c, "id": self.new_id(), "application_id": APP_ID, "version": "1"} for c in body
        ]
        return self.commands

    def _put_guild_commands(self, body: Any, _app: str, guild_id: str) -> Any:
        self.guild_commands[guild_id] = [
            {**c, "id": self.new_id(), "application_id": APP_ID, "guild_id": guild_id,
             "version": "1"}
            for c in body
        ]  # fmt: skip
        return self.guild_commands[guild_id]

    def message(self, channel_id: str, body: JSONDict, *, webhook: bool = False) -> JSONDict:
        data: JSONDict = {
            "id": self.new_id(),
            "channel_id": channel_id,
            "author": BOT_USER,
            "content": body.get("content") or "",
            "timestamp": TIMESTAMP,
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": body.get("flags", 0),
            "components": body.get("components", []),
        }
        if "nonce" in body:
            data["nonce"] = body["nonce"]
        if webhook:
            data["webhook_id"] = APP_ID
        return data

    def _create_message(self, body: JSONDict, channel_id: str) -> JSONDict:
        return self.message(channel_id, body)

    def _edit_message(self, body: JSONDict, channel_id: str, message_id: str) -> JSONDict:
        return {**self.message(channel_id, body), "id": message_id, "edited_timestamp": TIMESTAMP}

    def _get_member(self, _body: JSONDict, guild_id: str, user_id: str) -> JSONDict | None:
        for member in [*self.more_members.values(), *guild_payload()["members"]]:
            if member["user"]["id"] == user_id and guild_id == GUILD_ID:
                return dict(member)
        raise web.HTTPNotFound(
            text=json.dumps({"code": 10007, "message": "Unknown Member"}),
            content_type="application/json",
        )

    def _get_channel(self, _body: JSONDict, channel_id: str) -> JSONDict:
        return _text_channel(channel_id, "general", 0)

    def _create_dm(self, body: JSONDict) -> JSONDict:
        recipient = str(body.get("recipient_id"))
        return {
            "id": dm_channel_id(recipient),
            "type": 1,
            "recipients": [user(recipient)],
            "last_message_id": None,
        }

    def _callback(self, body: JSONDict, interaction_id: str, _token: str) -> JSONDict:
        response: JSONDict = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_id": self.new_id(),
                "response_message_loading": body.get("type") == 5,
                "response_message_ephemeral": bool((body.get("data") or {}).get("flags", 0) & 64),
            }
        }
        return response

    def _followup(self, body: JSONDict, _app: str, _token: str) -> JSONDict:
        return self.message(CHANNEL_ID, body, webhook=True)

    def _edit_followup(self, body: JSONDict, _app: str, _token: str, message_id: str) -> JSONDict:
        return {**self.message(CHANNEL_ID, body, webhook=True), "id": message_id}


def dm_channel_id(user_id: str) -> str:
    """A stable DM channel id per member, as on Discord (the fake's start with 8)."""
    return str(800_000_000_000_000_000 + int(user_id) % 10**15)


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly "application/json": discord.py compares the header verbatim.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


# --- payload builders for tests -------------------------------------------------------


def message_create(
    fake: FakeDiscord,
    content: str,
    *,
    author_id: str = MEMBER_ID,
    name: str = "sam",
    channel_id: str = CHANNEL_ID,
    guild: bool = True,
    mentions: list[JSONDict] | None = None,
    attachments: list[JSONDict] | None = None,
) -> JSONDict:
    data: JSONDict = {
        "id": fake.new_id(),
        "channel_id": channel_id,
        "author": user(author_id, name),
        "content": content,
        "timestamp": TIMESTAMP,
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": mentions or [],
        "mention_roles": [],
        "attachments": attachments or [],
        "embeds": [],
        "pinned": False,
        "type": 0,
    }
    if guild:
        data["guild_id"] = GUILD_ID
        roles = [MOD_ROLE_ID] if author_id == MODERATOR_ID else [HELPER_ROLE_ID]
        data["member"] = {
            k: v for k, v in guild_member(author_id, name, roles).items() if k != "user"
        }
    return data


def _interaction(
    fake: FakeDiscord,
    kind: int,
    data: JSONDict,
    *,
    user_id: str,
    guild: bool,
    permissions: int,
    message: JSONDict | None = None,
) -> JSONDict:
    channel_id = CHANNEL_ID if guild else str(800_000_000_000_000_000 + int(user_id) % 10**15)
    payload: JSONDict = {
        "id": fake.new_snowflake(),
        "application_id": APP_ID,
        "type": kind,
        "data": data,
        "token": f"tok-{fake.new_id()}",
        "version": 1,
        "channel_id": channel_id,
        "locale": "en-US",
        "app_permissions": "0",
        "attachment_size_limit": 10 * 1024 * 1024,
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD_ID} if guild else {"1": user_id},
        "context": 0 if guild else 1,
    }
    if guild:
        payload["guild_id"] = GUILD_ID
        payload["guild_locale"] = "en-US"
        payload["channel"] = _text_channel(CHANNEL_ID, "general", 0)
        member = guild_member(user_id, "sam", [HELPER_ROLE_ID])
        payload["member"] = {**member, "permissions": str(permissions)}
    else:
        payload["user"] = user(user_id, "sam")
        payload["channel"] = {"id": channel_id, "type": 1, "recipients": [user(user_id)]}
    if message is not None:
        payload["message"] = message
    return payload


def slash_command(
    fake: FakeDiscord,
    name: str,
    args: str | None = None,
    *,
    user_id: str = MEMBER_ID,
    guild: bool = True,
    permissions: int = SEND_MESSAGES_ETC,
    file: JSONDict | None = None,
) -> JSONDict:
    """A slash command; `file` (from `fake.upload()`) fills the "file" attachment option."""
    data: JSONDict = {"id": fake.new_id(), "name": name, "type": 1}
    options: list[JSONDict] = []
    if args is not None:
        options.append({"name": "args", "type": 3, "value": args})
    if file is not None:
        options.append({"name": "file", "type": 11, "value": file["id"]})
        data["resolved"] = {"attachments": {file["id"]: file}}
    if options:
        data["options"] = options
    return _interaction(fake, 2, data, user_id=user_id, guild=guild, permissions=permissions)


def button_press(
    fake: FakeDiscord,
    custom_id: str,
    *,
    user_id: str = MEMBER_ID,
    guild: bool = True,
    permissions: int = SEND_MESSAGES_ETC,
) -> JSONDict:
    message = fake.message(CHANNEL_ID, {"content": "How are you today?"})
    data = {"custom_id": custom_id, "component_type": 2}
    return _interaction(
        fake, 3, data, user_id=user_id, guild=guild, permissions=permissions, message=message
    )


def autocomplete(
    fake: FakeDiscord,
    name: str,
    typed: str,
    *,
    user_id: str = MEMBER_ID,
    guild: bool = True,
) -> JSONDict:
    """An autocomplete interaction: the member is typing `typed` in `name`'s args."""
    data: JSONDict = {
        "id": fake.new_id(),
        "name": name,
        "type": 1,
        "options": [{"name": "args", "type": 3, "value": typed, "focused": True}],
    }
    return _interaction(fake, 4, data, user_id=user_id, guild=guild, permissions=SEND_MESSAGES_ETC)


def modal_submit(
    fake: FakeDiscord,
    custom_id: str,
    value: str,
    *,
    user_id: str = MEMBER_ID,
    guild: bool = True,
    permissions: int = SEND_MESSAGES_ETC,
    layout: str = "row",
) -> JSONDict:
    """A member pressed Submit on a modal (interaction type 5) with `value` in its one text
    input; `layout` "row" (action rows) or "label" (the newer label components)."""
    field = {"type": 4, "custom_id": "text", "value": value}
    components = (
        [{"type": 1, "components": [field]}]
        if layout == "row"
        else [{"type": 18, "id": 1, "component": field}]
    )
    data = {"custom_id": custom_id, "components": components}
    return _interaction(fake, 5, data, user_id=user_id, guild=guild, permissions=permissions)
