"""The fake feed host serves every fixture at its real-world path, answers conditional
requests with 304, and lets a test change a payload; the parsers read what it serves."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import aiohttp
import pytest

from bot.meetings.bmlt import parse_bmlt
from bot.meetings.feed_kinds import FeedKind, bmlt_urls, detect_kind
from bot.meetings.feed_meeting import parse_guide_feed
from tests.fakes.feed_server import (
    BMLT_FORMATS_PATH,
    BMLT_SEARCH_PATH,
    FIRST_MODIFIED,
    HTML_PATH,
    ONLINE_PATH,
    TSML_PATH,
    FakeFeedServer,
    http_date,
)

DATA = Path(__file__).parent / "data" / "feeds"
UA = "Harbor/0.1 (meeting sync; +https://harbor.example.org/bot)"
FIXTURES = [
    (TSML_PATH, "tsml.json"),
    (BMLT_SEARCH_PATH, "bmlt_search.json"),
    (BMLT_FORMATS_PATH + "&lang_enum=en", "bmlt_formats_en.json"),
    (BMLT_FORMATS_PATH + "&lang_enum=es", "bmlt_formats_es.json"),
    (ONLINE_PATH, "online.json"),
]


@pytest.fixture
async def feeds() -> AsyncIterator[FakeFeedServer]:
    server = FakeFeedServer()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(headers={"User-Agent": UA}) as session:
        yield session


async def get(
    http: aiohttp.ClientSession, url: str, **headers: str
) -> tuple[int, bytes, Mapping[str, str]]:
    async with http.get(url, headers=headers) as resp:
        return resp.status, await resp.read(), resp.headers.copy()  # case-insensitive


@pytest.mark.parametrize(("path", "fixture"), FIXTURES)
async def test_each_fixture_is_served_and_revalidates_with_304(
    feeds: FakeFeedServer, http: aiohttp.ClientSession, path: str, fixture: str
) -> None:
    status, body, headers = await get(http, feeds.url(path))
    assert status == 200
    assert json.loads(body) == json.loads((DATA / fixture).read_bytes())
    assert headers["Content-Type"].startswith("application/json")
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert modified == http_date(FIRST_MODIFIED)

    status, body, headers = await get(http, feeds.url(path), **{"If-None-Match": etag})
    assert (status, body, headers["ETag"]) == (304, b"", etag)
    status, body, _ = await get(http, feeds.url(path), **{"If-Modified-Since": modified})
    assert (status, body) == (304, b"")

    assert [r.status for r in feeds.requests] == [200, 304, 304]
    assert {r.path for r in feeds.requests} == {path}
    assert {r.user_agent for r in feeds.requests} == {UA}
    assert feeds.requests[1].if_none_match == etag
    assert feeds.requests[2].if_modified_since == modified


async def test_a_changed_payload_is_served_again_with_new_validators(
    feeds: FakeFeedServer, http: aiohttp.ClientSession
) -> None:
    _, _, first = await get(http, feeds.url(TSML_PATH))
    rows = feeds.json_payload("tsml")
    rows[0]["name"] = "Sunrise Serenity (renamed)"
    feeds.set_payload("tsml", rows)

    status, body, headers = await get(
        http, feeds.url(TSML_PATH), **{"If-None-Match": first["ETag"]}
    )
    assert status == 200 and json.loads(body)[0]["name"] == "Sunrise Serenity (renamed)"
    assert headers["ETag"] != first["ETag"]
    assert headers["Last-Modified"] != first["Last-Modified"]
    since = {"If-Modified-Since": first["Last-Modified"]}
    assert (await get(http, feeds.url(TSML_PATH), **since))[0] == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110): a stale tag means a new body.
    both = {"If-None-Match": first["ETag"], "If-Modified-Since": headers["Last-Modified"]}
    assert (await get(http, feeds.url(TSML_PATH), **both))[0] == 200


async def test_wordpress_and_bmlt_quirks(
    feeds: FakeFeedServer, http: aiohttp.ClientSession
) -> None:
    status, body, _ = await get(http, feeds.url("/wp-admin/admin-ajax.php?action=csv"))
    assert (status, body) == (400, b"0")  # WordPress's answer to an unknown action
    # A language the server lacks: its default (English) formats.
    _, body, _ = await get(http, feeds.url(BMLT_FORMATS_PATH + "&lang_enum=de"))
    assert json.loads(body)[0]["lang"] == "en"
    # data_field_key trims each row to the fields asked for.
    _, body, _ = await get(
        http, feeds.url(BMLT_SEARCH_PATH + "&data_field_key=id_bigint,meeting_name")
    )
    assert set(json.loads(body)[0]) == {"id_bigint", "meeting_name"}
    status, body, headers = await get(http, feeds.url(HTML_PATH))
    assert status == 200 and headers["Content-Type"].startswith("text/html")


async def test_failures_can_be_scripted(feeds: FakeFeedServer, http: aiohttp.ClientSession) -> None:
    feeds.fail_next("online", 429, headers={"Retry-After": "120"})
    status, _, headers = await get(http, feeds.url(ONLINE_PATH))
    assert (status, headers["Retry-After"]) == (429, "120")
    assert (await get(http, feeds.url(ONLINE_PATH)))[0] == 200


async def test_the_parsers_read_what_the_fake_serves(
    feeds: FakeFeedServer, http: aiohttp.ClientSession
) -> None:
    tsml_url = feeds.url(TSML_PATH)
    _, tsml, _ = await get(http, tsml_url)
    assert detect_kind(tsml_url, tsml) is FeedKind.TSML
    parsed = parse_guide_feed(tsml, "America/New_York", base_url=tsml_url)
    assert len(parsed.meetings) == 12 and len(parsed.skipped) == 3

    urls = bmlt_urls(feeds.url("/main_server/"), lang="es")
    _, search, _ = await get(http, urls.search)
    _, formats, _ = await get(http, urls.formats)
    _, formats_en, _ = await get(http, urls.formats_en)
    assert detect_kind(urls.search, search) is FeedKind.BMLT
    bmlt = parse_bmlt(search, "America/New_York", formats=formats, formats_en=formats_en)
    assert len(bmlt.meetings) == 10
    assert (
        "Sólo por Hoy" in next(m for m in bmlt.meetings if m.source_key == "bmlt-1002").spec.types
    )
    assert feeds.requests[-3].path.startswith(BMLT_SEARCH_PATH + "&data_field_key=")

    online_url = feeds.url(ONLINE_PATH)
    _, online, _ = await get(http, online_url)
    assert detect_kind(online_url, online) is FeedKind.TSML  # it carries TSML's fields
    assert len(parse_guide_feed(online, "America/New_York").meetings) == 40
