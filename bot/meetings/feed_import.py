"""Importing a Meeting Guide JSON feed: from a file, or from a URL fetched safely (size cap,
timeout, no private-network addresses), all or nothing per file."""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import aiohttp
import aiohttp.abc
import yarl

from bot.kernel.context import Context
from bot.meetings.guide import FeedError, parse_feed
from bot.meetings.model import (
    NAME_MAX,
    clean_url,
    slugify,
    spec_from_dict,
    spec_to_dict,
)
from bot.meetings.reminders import plan_meeting
from storage.base import CommunityRow, Store
from storage.meetings_base import (
    NewMeeting,
)

FEED_MAX_BYTES = 5_000_000
FETCH_TIMEOUT_S = 20.0


# -- import -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    imported: int
    updated: int
    skipped: list[tuple[str, str]]


class FetchError(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


async def import_feed(
    store: Store, community: CommunityRow, data: bytes, default_tz: str, now: datetime
) -> ImportOutcome:
    """Parse and save a Meeting Guide feed: new slugs are added, known ones updated (keeping
    their skipped dates and reminder lead), all in one transaction. Raises FeedError."""
    result = parse_feed(data, community.tz or default_tz, max_bytes=FEED_MAX_BYTES)
    existing = await store.meetings.imported(community.id)  # by the feed's slug
    new: list[NewMeeting] = []
    for spec in result.meetings:
        # Members type slugs: lower-case ASCII, and never all digits (those read as ids).
        slug = slugify(spec.slug or spec.name)
        if slug.isdigit():
            slug = f"m-{slug}"
        spec = dataclasses.replace(spec, slug=slug)
        old = existing.get(slug)
        if old is not None:
            kept = spec_from_dict(old.spec)
            spec = dataclasses.replace(
                spec, skipped=kept.skipped, remind_before_min=kept.remind_before_min
            )
        new.append(NewMeeting(slug, spec.name, spec_to_dict(spec), plan_meeting(spec, now, now)))
    imported, updated = await store.meetings.import_many(community.id, new, int(now.timestamp()))
    return ImportOutcome(imported, updated, result.skipped)


def outcome_text(text: Callable[..., str], outcome: ImportOutcome, limit: int = 20) -> str:
    lines = [
        text(
            "meeting.import_done",
            imported=outcome.imported,
            updated=outcome.updated,
            skipped=len(outcome.skipped),
        )
    ]
    for label, reason in outcome.skipped[:limit]:
        lines.append(text("meeting.import_skip_line", name=label[:NAME_MAX], reason=reason))
    if len(outcome.skipped) > limit:
        lines.append(text("meeting.import_more", count=len(outcome.skipped) - limit))
    return "\n".join(lines)


def failure_text(text: Callable[..., str], exc: FetchError | FeedError) -> str:
    # FeedError keys are "feed.x"; our catalog has them as "meeting.feed_x".
    key = exc.key if isinstance(exc, FetchError) else "meeting." + exc.key.replace(".", "_")
    return text(key, max=FEED_MAX_BYTES // 1_000_000)


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    return ip.is_global and not ip.is_multicast


class _PublicOnlyResolver(aiohttp.abc.AbstractResolver):
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


async def fetch_feed(
    url: str, max_bytes: int | None = None, allow_private: bool = False
) -> bytes:
    """GET a feed, refusing anything over `max_bytes` without reading it all, and (unless
    allowed) any address inside a private network, redirects included. Raises FetchError."""
    max_bytes = FEED_MAX_BYTES if max_bytes is None else max_bytes
    limit = aiohttp.ClientTimeout(total=FETCH_TIMEOUT_S)
    connector = None if allow_private else aiohttp.TCPConnector(resolver=_PublicOnlyResolver())
    try:
        async with aiohttp.ClientSession(timeout=limit, connector=connector) as http:
            for _hop in range(4):  # the first request and up to 3 redirects, each checked
                host = yarl.URL(url).host or ""
                if not allow_private and _is_ip(host) and not _public(host):
                    raise FetchError("meeting.fetch_private")
                async with http.get(url, allow_redirects=False) as resp:
                    if resp.status in (301, 302, 303, 307, 308) and "Location" in resp.headers:
                        url = str(resp.url.join(yarl.URL(resp.headers["Location"])))
                        if yarl.URL(url).scheme not in ("http", "https"):
                            raise FetchError("meeting.fetch_failed")
                        continue
                    return await _read_feed(resp, max_bytes)
            raise FetchError("meeting.fetch_failed")
    except (aiohttp.ClientError, TimeoutError, ValueError):
        raise FetchError("meeting.fetch_failed") from None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


async def _read_feed(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    if resp.status != 200:
        raise FetchError("meeting.fetch_status")
    if resp.content_length is not None and resp.content_length > max_bytes:
        raise FetchError("meeting.feed_too_big")
    body = bytearray()
    async for chunk in resp.content.iter_chunked(65536):
        body.extend(chunk)
        if len(body) > max_bytes:
            raise FetchError("meeting.feed_too_big")
    return bytes(body)


async def import_command(ctx: Context, rest: str) -> None:
    """/meeting import, with a file attached or an http(s) URL."""
    community = ctx.community
    assert community is not None
    attachment = ctx.event.attachment
    try:
        if attachment is not None:
            data = attachment.content
        elif rest:
            url = clean_url(rest)
            if url is None:
                ctx.say(ctx.text("meeting.bad_link", detail=rest[:80]))
                return
            data = await fetch_feed(
                url, allow_private=ctx.settings.meetings.allow_private_feed_urls
            )
        else:
            ctx.say(ctx.text("meeting.import_usage"))
            return
        outcome = await import_feed(ctx.store, community, data, ctx.community_tz_name(), ctx.now())
    except (FetchError, FeedError) as exc:
        ctx.say(ctx.text("meeting.import_failed", reason=failure_text(ctx.text, exc)))
        return
    ctx.say(outcome_text(ctx.text, outcome))
