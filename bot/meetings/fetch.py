"""Fetching a meeting feed: one GET, done carefully.

- Never inside a private network (loopback, private, link-local, reserved), redirects and
  DNS answers included, unless the operator allowed it (`allow_private_feed_urls`).
- A size cap, read in chunks: a feed larger than the cap is refused without reading it all.
- Conditional: the ETag and Last-Modified of the last payload are sent back
  (If-None-Match, If-Modified-Since), so an unchanged feed costs the host a 304.
- A User-Agent that names Harbor, so a feed's host knows who is asking.
- A busy host (429, 503 with Retry-After) is told apart from a broken one.
Errors are FetchError with a message-catalog key, never the server's text.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from importlib import metadata

import aiohttp
import aiohttp.abc
import yarl

FETCH_TIMEOUT_S = 20.0
MAX_REDIRECTS = 3
RETRY_AFTER_MAX_S = 6 * 3600
VALIDATOR_MAX = 200
_REDIRECTS = (301, 302, 303, 307, 308)


class FetchError(Exception):
    def __init__(self, key: str, retry_after: int | None = None) -> None:
        super().__init__(key)
        self.key = key
        self.retry_after = retry_after  # seconds the host asked us to wait, when it did


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int  # 200, or 304 (not modified: `body` is empty)
    body: bytes
    etag: str | None
    last_modified: str | None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@cache
def user_agent() -> str:
    try:
        version = metadata.version("harbor-bot")
    except metadata.PackageNotFoundError:
        version = "0"
    return f"Harbor/{version} (peer-support bot; meeting list sync; python-aiohttp)"


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class PublicOnlyResolver(aiohttp.abc.AbstractResolver):
    """Refuses host names that resolve to loopback, private, link-local or reserved
    addresses: a moderator's URL must not reach the bot's own network."""

    def __init__(self) -> None:
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if not all(_public(r["host"]) for r in found):
            raise FetchError("meeting.fetch_private")
        return found

    async def close(self) -> None:
        await self._inner.close()


def host_of(url: str) -> str:
    """The host a URL points at, lower-case ('' when it has none): for per-host pacing."""
    try:
        return (yarl.URL(url).host or "").lower()
    except (ValueError, TypeError):
        return ""


def _retry_after(value: str | None) -> int | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = int(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = int((when - datetime.now(UTC)).total_seconds())
    return max(0, min(seconds, RETRY_AFTER_MAX_S))


async def fetch(
    url: str,
    *,
    max_bytes: int,
    allow_private: bool = False,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Fetched:
    """GET `url` (conditionally when `etag`/`last_modified` are given). Raises FetchError."""
    limit = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
    connector = None if allow_private else aiohttp.TCPConnector(resolver=PublicOnlyResolver())
    headers = {"User-Agent": user_agent(), "Accept": "application/json, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with aiohttp.ClientSession(
            timeout=limit, connector=connector, headers=headers
        ) as http:
            for _hop in range(MAX_REDIRECTS + 1):  # each hop checked again
                host = yarl.URL(url).host or ""
                if not allow_private and _is_ip(host) and not _public(host.strip("[]")):
                    raise FetchError("meeting.fetch_private")
                async with http.get(url, allow_redirects=False) as resp:
                    if resp.status in _REDIRECTS and "Location" in resp.headers:
                        url = str(resp.url.join(yarl.URL(resp.headers["Location"])))
                        if yarl.URL(url).scheme not in ("http", "https"):
                            raise FetchError("meeting.fetch_failed")
                        continue
                    return await _answer(resp, max_bytes)
            raise FetchError("meeting.fetch_failed")
    except (aiohttp.ClientError, TimeoutError, ValueError):
        raise FetchError("meeting.fetch_failed") from None


def _validator(value: str | None) -> str | None:
    # Sent back as it came, so it must stay a short header value.
    if value is None or len(value) > VALIDATOR_MAX or any(c in value for c in "\r\n"):
        return None
    return value


async def _answer(resp: aiohttp.ClientResponse, max_bytes: int) -> Fetched:
    etag = _validator(resp.headers.get("ETag"))
    modified = _validator(resp.headers.get("Last-Modified"))
    if resp.status == 304:
        return Fetched(304, b"", etag, modified)
    if resp.status in (429, 503):
        raise FetchError("meeting.fetch_busy", _retry_after(resp.headers.get("Retry-After")))
    if resp.status != 200:
        raise FetchError("meeting.fetch_status")
    if resp.content_length is not None and resp.content_length > max_bytes:
        raise FetchError("meeting.feed_too_big")
    body = bytearray()
    async for chunk in resp.content.iter_chunked(65536):
        body.extend(chunk)
        if len(body) > max_bytes:
            raise FetchError("meeting.feed_too_big")
    return Fetched(200, bytes(body), etag, modified)
