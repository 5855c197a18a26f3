"""Importing a Meeting Guide JSON feed: from a file, or from a URL fetched safely (size cap,
timeout, no private-network addresses), all or nothing per file."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.kernel.context import Context
from bot.meetings.feed_meeting import clip
from bot.meetings.fetch import FetchError, fetch
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
from storage.meetings_base import MeetingRow, NewMeeting

FEED_MAX_BYTES = 5_000_000  # a one-off file import; live sources have their own caps

__all__ = ["FEED_MAX_BYTES", "FetchError", "fetch_feed", "import_feed"]


# -- import -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    imported: int
    updated: int
    skipped: list[tuple[str, str]]


async def import_feed(
    store: Store, community: CommunityRow, data: bytes, default_tz: str, now: datetime
) -> ImportOutcome:
    """Parse and save a Meeting Guide feed: new slugs are added, known ones updated (keeping
    their skipped dates and reminder lead), in bounded transactions. The parse runs in a
    worker thread. Raises FeedError (then nothing is stored)."""
    existing = await store.meetings.imported(community.id)  # by the feed's slug
    new, skipped = await asyncio.to_thread(
        _prepare, data, community.tz or default_tz, existing, now
    )
    imported, updated = await store.meetings.import_many(community.id, new, int(now.timestamp()))
    return ImportOutcome(imported, updated, skipped)


def _prepare(
    data: bytes, default_tz: str, existing: dict[str, MeetingRow], now: datetime
) -> tuple[list[NewMeeting], list[tuple[str, str]]]:
    result = parse_feed(data, default_tz, max_bytes=FEED_MAX_BYTES)
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
    return new, result.skipped


def outcome_lines(
    text: Callable[..., str], skipped: Sequence[tuple[str, str]], limit: int = 20
) -> list[str]:
    """One short line per skipped row, at most `limit`, then how many more: a broken feed
    never becomes a wall of text, and a bad value is never quoted whole."""
    lines = [
        text("meeting.import_skip_line", name=clip(label, NAME_MAX), reason=clip(reason, 120))
        for label, reason in skipped[:limit]
    ]
    if len(skipped) > limit:
        lines.append(text("meeting.import_more", count=len(skipped) - limit))
    return lines


def outcome_text(text: Callable[..., str], outcome: ImportOutcome, limit: int = 20) -> str:
    lines = [
        text(
            "meeting.import_done",
            imported=outcome.imported,
            updated=outcome.updated,
            skipped=len(outcome.skipped),
        )
    ]
    return "\n".join([*lines, *outcome_lines(text, outcome.skipped, limit)])


def failure_text(text: Callable[..., str], exc: FetchError | FeedError) -> str:
    # FeedError keys are "feed.x"; our catalog has them as "meeting.feed_x".
    key = exc.key if isinstance(exc, FetchError) else "meeting." + exc.key.replace(".", "_")
    return text(key, max=FEED_MAX_BYTES // 1_000_000)


async def fetch_feed(url: str, max_bytes: int | None = None, allow_private: bool = False) -> bytes:
    """GET a feed once (see bot.meetings.fetch), capped at FEED_MAX_BYTES. Raises FetchError."""
    fetched = await fetch(
        url,
        max_bytes=FEED_MAX_BYTES if max_bytes is None else max_bytes,
        allow_private=allow_private,
    )
    return fetched.body


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
    text = outcome_text(ctx.text, outcome)
    if attachment is None:  # an address: it can be kept up to date instead
        text += "\n" + ctx.text("meeting.import_source_hint")
    ctx.say(text)
