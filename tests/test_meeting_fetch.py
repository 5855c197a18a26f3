"""Fetching a feed: conditional requests, a User-Agent naming Harbor, size caps, a busy host's
Retry-After, and the private-network refusal on every redirect hop."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.meetings import fetch as fetch_module
from bot.meetings.fetch import FetchError, fetch, host_of, user_agent


@pytest.fixture
async def host() -> AsyncIterator[str]:
    async def feed(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(
            body=b"[]",
            headers={"ETag": '"v1"', "Last-Modified": "Sun, 01 Nov 2026 12:00:00 GMT"},
        )

    async def hop(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["to"])

    async def busy(_: web.Request) -> web.Response:
        return web.Response(status=429, headers={"Retry-After": "600"})

    async def big(_: web.Request) -> web.Response:
        return web.Response(body=b"[" + b" " * 5000 + b"]")

    app = web.Application()
    app.router.add_get("/feed.json", feed)
    app.router.add_get("/hop", hop)
    app.router.add_get("/busy", busy)
    app.router.add_get("/big", big)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_conditional_get_and_validators(host: str) -> None:
    first = await fetch(f"{host}/feed.json", max_bytes=1000, allow_private=True)
    assert (first.status, first.body, first.etag) == (200, b"[]", '"v1"')
    assert first.last_modified == "Sun, 01 Nov 2026 12:00:00 GMT"
    again = await fetch(f"{host}/feed.json", max_bytes=1000, allow_private=True, etag=first.etag)
    assert again.not_modified and again.body == b""
    assert user_agent().startswith("Harbor/")


async def test_busy_big_and_following_redirects(host: str) -> None:
    with pytest.raises(FetchError) as busy:
        await fetch(f"{host}/busy", max_bytes=1000, allow_private=True)
    assert (busy.value.key, busy.value.retry_after) == ("meeting.fetch_busy", 600)
    with pytest.raises(FetchError, match="feed_too_big"):
        await fetch(f"{host}/big", max_bytes=1000, allow_private=True)
    hopped = await fetch(f"{host}/hop?to=/feed.json", max_bytes=1000, allow_private=True)
    assert hopped.body == b"[]"


async def test_a_redirect_into_a_private_network_is_refused(
    host: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed host here is loopback, so for this test loopback counts as public: the hop it
    redirects to (a private address) must still be refused, before any request to it."""
    real = fetch_module._public

    def loopback_is_public(address: str) -> bool:
        return ipaddress.ip_address(address).is_loopback or real(address)

    monkeypatch.setattr(fetch_module, "_public", loopback_is_public)
    for target in ("http://10.0.0.7/feed.json", "http://169.254.169.254/latest/meta-data"):
        with pytest.raises(FetchError, match="fetch_private"):
            await fetch(f"{host}/hop?to={target}", max_bytes=1000)
    with pytest.raises(FetchError, match="fetch_failed"):  # not http(s)
        await fetch(f"{host}/hop?to=file:///etc/passwd", max_bytes=1000)


def test_host_of() -> None:
    assert host_of("https://BMLT.example.org/main_server/") == "bmlt.example.org"
    assert host_of("not a url") == ""
