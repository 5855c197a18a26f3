"""A fake meeting-feed host on 127.0.0.1 serving the fixtures of tests/data/feeds at the
paths the real software uses:

- 12 Step Meeting List (WordPress): `/wp-admin/admin-ajax.php?action=meetings`
- BMLT root server: `/main_server/client_interface/json/?switcher=GetSearchResults`
  (honouring `data_field_key`) and `…?switcher=GetFormats&lang_enum=es`
- an online intergroup's Meeting Guide feed: `/online/meetings.json`
- a web page, for "that is not a feed": `/page.html`

Conditional requests work as on a real server: every answer carries an ETag and a
Last-Modified; If-None-Match (which wins when both are sent) or If-Modified-Since answer 304.
A test can replace a payload (a renamed, moved or removed meeting), make the next requests
fail, and read every request's path and User-Agent. Times are fixed, never the wall clock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Any

from aiohttp import web

DATA = Path(__file__).resolve().parents[1] / "data" / "feeds"
FIRST_MODIFIED = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

TSML_PATH = "/wp-admin/admin-ajax.php?action=meetings"
BMLT_ROOT_PATH = "/main_server/"
BMLT_SEARCH_PATH = "/main_server/client_interface/json/?switcher=GetSearchResults"
BMLT_FORMATS_PATH = "/main_server/client_interface/json/?switcher=GetFormats"
ONLINE_PATH = "/online/meetings.json"
HTML_PATH = "/page.html"

_HTML = b"<!doctype html><html><head><title>Harborside</title></head><body>Hi</body></html>"


@dataclass
class Payload:
    body: bytes
    content_type: str
    modified: datetime


@dataclass(frozen=True, slots=True)
class Seen:
    method: str
    path: str  # with the query string, as sent
    user_agent: str
    if_none_match: str | None
    if_modified_since: str | None
    status: int


@dataclass
class _Failure:
    name: str
    status: int
    remaining: int
    headers: dict[str, str] = field(default_factory=dict)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC), usegmt=True)


class FakeFeedServer:
    def __init__(self) -> None:
        self.payloads: dict[str, Payload] = {}
        for name in ("tsml", "bmlt_search", "bmlt_formats_en", "bmlt_formats_es", "online"):
            body = (DATA / f"{name}.json").read_bytes()
            self.payloads[name] = Payload(body, "application/json; charset=UTF-8", FIRST_MODIFIED)
        self.payloads["html"] = Payload(_HTML, "text/html; charset=UTF-8", FIRST_MODIFIED)
        self.requests: list[Seen] = []
        self._failures: list[_Failure] = []
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/wp-admin/admin-ajax.php", self._tsml)
        app.router.add_get("/main_server/client_interface/json/", self._bmlt)
        app.router.add_get("/main_server/", self._bmlt_root)
        app.router.add_get(ONLINE_PATH, self._named("online"))
        app.router.add_get(HTML_PATH, self._named("html"))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.root_url + path

    # --- test controls -----------------------------------------------------------------

    def set_payload(
        self, name: str, data: bytes | str | Any, modified: datetime | None = None
    ) -> None:
        """Replace a payload (JSON-encoded unless bytes/str). Its Last-Modified moves one
        hour on unless `modified` is given, and its ETag follows the new body."""
        if isinstance(data, str):
            body = data.encode("utf-8")
        elif isinstance(data, bytes):
            body = data
        else:
            body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        old = self.payloads[name]
        when = modified or old.modified + timedelta(hours=1)
        self.payloads[name] = Payload(body, old.content_type, when)

    def json_payload(self, name: str) -> Any:
        return json.loads(self.payloads[name].body)

    def fail_next(
        self, name: str, status: int, count: int = 1, headers: dict[str, str] | None = None
    ) -> None:
        """The next `count` requests for payload `name` answer `status` (e.g. 500, or 429
        with {"Retry-After": "120"})."""
        self._failures.append(_Failure(name, status, count, dict(headers or {})))

    def requests_for(self, path_prefix: str) -> list[Seen]:
        return [r for r in self.requests if r.path.startswith(path_prefix)]

    # --- HTTP --------------------------------------------------------------------------

    def _named(self, name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            return self._answer(request, name)

        return handler

    async def _tsml(self, request: web.Request) -> web.Response:
        if request.query.get("action") != "meetings":
            # What WordPress answers for an unknown or missing admin-ajax action.
            return self._record(request, web.Response(status=400, text="0"))
        return self._answer(request, "tsml")

    async def _bmlt_root(self, request: web.Request) -> web.Response:
        return self._answer(request, "html")  # the root server's sign-in page

    async def _bmlt(self, request: web.Request) -> web.Response:
        switcher = request.query.get("switcher", "")
        if switcher == "GetSearchResults":
            fields = request.query.get("data_field_key", "")
            return self._answer(request, "bmlt_search", _only(fields) if fields else None)
        if switcher == "GetFormats":
            lang = request.query.get("lang_enum", "en")
            # A language the server lacks gets its default language, as BMLT does.
            name = f"bmlt_formats_{lang}"
            return self._answer(request, name if name in self.payloads else "bmlt_formats_en")
        return self._record(request, web.Response(status=400, text="Invalid switcher"))

    def _answer(
        self, request: web.Request, name: str, shape: Callable[[bytes], bytes] | None = None
    ) -> web.Response:
        for failure in self._failures:
            if failure.name == name:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                response = web.Response(status=failure.status, headers=failure.headers)
                return self._record(request, response)
        payload = self.payloads[name]
        body = shape(payload.body) if shape is not None else payload.body
        tag = etag_of(body)
        headers = {
            "ETag": tag,
            "Last-Modified": http_date(payload.modified),
            "Cache-Control": "no-cache",
        }
        if _not_modified(request, tag, payload.modified):
            return self._record(request, web.Response(status=304, headers=headers))
        response = web.Response(body=body, headers=headers)
        response.headers["Content-Type"] = payload.content_type
        return self._record(request, response)

    def _record(self, request: web.Request, response: web.Response) -> web.Response:
        self.requests.append(
            Seen(
                method=request.method,
                path=request.path_qs,
                user_agent=request.headers.get("User-Agent", ""),
                if_none_match=request.headers.get("If-None-Match"),
                if_modified_since=request.headers.get("If-Modified-Since"),
                status=response.status,
            )
        )
        return response


def _not_modified(request: web.Request, tag: str, modified: datetime) -> bool:
    # RFC 9110 §13.2.2: If-None-Match is evaluated first; If-Modified-Since only without it.
    match = request.headers.get("If-None-Match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or tag in tags
    since = request.headers.get("If-Modified-Since")
    if since is None:
        return False
    try:
        when = parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False  # an unparsable date is ignored, as servers do
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return modified <= when


def _only(fields: str) -> Callable[[bytes], bytes]:
    keep = {f.strip() for f in fields.split(",") if f.strip()}

    def shape(body: bytes) -> bytes:
        rows = json.loads(body)
        if not isinstance(rows, list):
            return body
        trimmed = [
            {k: v for k, v in row.items() if k in keep} if isinstance(row, dict) else row
            for row in rows
        ]
        return json.dumps(trimmed, ensure_ascii=False).encode("utf-8")

    return shape
