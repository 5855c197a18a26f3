"""Meeting sources: the live feeds a community's meetings come from (Meeting Guide / TSML
JSON, BMLT servers), synced again every few hours through the sweep.

A sync, done right:
- conditional requests (ETag / If-Modified-Since) and a byte-for-byte check of what came, so
  an unchanged feed costs nothing; a User-Agent naming Harbor; one request burst a minute
  per host however many communities use it (`SourceSweep`);
- every fetch and redirect refuses private-network addresses (bot.meetings.fetch);
- the heavy parse and the comparison run off the event loop (`asyncio.to_thread`);
- meetings are matched by the source's own key (slug, "bmlt-<id>"), so a renamed or moved
  meeting keeps its id, and with it reminders, RSVPs and attendance; hand-made meetings are
  never touched; a one-shot import of the same feed is adopted, not duplicated;
- the shrink guard: a sync removing more than `max_drop_share` of a source's meetings is
  held and the community's moderators are asked privately (Apply / Keep);
- the write is linear, in bounded transactions (storage's SYNC_CHUNK).
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.kernel.config import Settings
from bot.kernel.core import log_failure
from bot.kernel.i18n import translator
from bot.kernel.outbox import planned, private_to
from bot.kernel.types import Button, Buttons, Priority
from bot.meetings.bmlt import BMLT_MAX_BYTES, parse_bmlt
from bot.meetings.feed_kinds import (
    HTML_PAGE,
    FeedKind,
    FeedKindError,
    bmlt_urls,
    kind_from_payload,
    kind_from_url,
    tsml_url,
)
from bot.meetings.feed_meeting import (
    FeedMeeting,
    FeedParse,
    from_stored,
    load_json,
    member_slug,
    parse_guide_feed,
    to_stored,
)
from bot.meetings.fetch import Fetched, FetchError, fetch, host_of
from bot.meetings.guide import FeedError
from bot.meetings.model import clean_url
from bot.meetings.now import is_online
from bot.meetings.reminders import plan_meeting
from bot.meetings.schedule import community_schedule, source_schedule
from bot.meetings.sync import Stored, SyncPlan, digest, keep_local, plan_sync
from storage.base import CommunityRow, OutboxItem, Store
from storage.meetings_base import (
    PURPOSE_MEETINGS,
    PURPOSE_ONLINE,
    MeetingPlan,
    MeetingRow,
    NewSource,
    SourcedMeeting,
    SourceRow,
    SourceUpdate,
    SyncChanges,
)

log = logging.getLogger("harbor.meetings")

FEED_SOURCE_MAX_BYTES = 15_000_000  # a Meeting Guide feed of 10,000 meetings is ~5-10 MB
FORMATS_MAX_BYTES = 2_000_000
HOST_GAP = timedelta(seconds=60)  # one sync a minute per host, however many sources use it
MANUAL_GAP = timedelta(seconds=60)  # /meeting source sync: at most once a minute per source
MAX_SYNCS_PER_SWEEP = 4  # each is a download and a parse: the sweep must stay short
FAILURE_BACKOFF = (timedelta(minutes=15), timedelta(hours=1), timedelta(hours=3))
HELD_BUTTON = "msrc"  # msrc:apply:<source id>:<token>, msrc:keep:<source id>:<token>
MAX_SOURCES = 10  # per community


class SourceError(Exception):
    """A source can't be added or synced: `key` is a catalog key, `detail` a short fragment."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(key)
        self.key = key
        self.detail = detail


@dataclass
class SyncOutcome:
    status: str  # "applied", "unchanged", "held", "failed"
    created: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    total: int = 0  # meetings the source offered (applied) or holds (unchanged)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # bounded, short
    error: str | None = None  # catalog key, when failed
    held: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Download:
    kind: FeedKind
    fetched: Fetched
    formats: bytes | None = None
    formats_en: bytes | None = None
    decoded: Any = None  # the payload decoded already (to tell its kind), else None
    digest: str = ""  # of everything downloaded: the same digest, the same payload


def _digest(*parts: bytes | None) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part or b"")
        h.update(b"\0")
    return h.hexdigest()


async def _done(dl: Download) -> Download:
    """The download with its digest (hashlib lets other threads run while it hashes)."""
    digest = await asyncio.to_thread(_digest, dl.fetched.body, dl.formats, dl.formats_en)
    return dataclasses.replace(dl, digest=digest)


@dataclass
class _Prepared:
    parse: FeedParse
    plan: SyncPlan
    creates: list[SourcedMeeting]
    adopted: list[tuple[int, SourcedMeeting]]


# -- fetching and parsing (pure apart from the network) -----------------------------------------


def request_url(kind: FeedKind, url: str, lang: str = "en") -> str:
    if kind is FeedKind.BMLT:
        return bmlt_urls(url, lang).search
    if kind is FeedKind.TSML:
        return tsml_url(url)
    return url


def max_bytes(kind: FeedKind) -> int:
    return BMLT_MAX_BYTES if kind is FeedKind.BMLT else FEED_SOURCE_MAX_BYTES


async def download(
    url: str,
    kind: FeedKind | None,
    *,
    lang: str = "en",
    allow_private: bool = False,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Download:
    """Fetch a source: its meetings (conditionally) and, for BMLT, its format names. A kind
    not known yet is told from the URL, else from the payload. Raises FetchError or
    FeedError (FeedKindError)."""
    kind = kind or kind_from_url(url)
    if kind is None:
        first = await fetch(url, max_bytes=FEED_SOURCE_MAX_BYTES, allow_private=allow_private)
        sniffed, decoded = await asyncio.to_thread(_sniff, first.body)
        if sniffed is not FeedKind.BMLT:
            return await _done(Download(sniffed, first, decoded=decoded))
        kind = sniffed  # a BMLT answer at an address that didn't say so: ask it properly
    fetched = await fetch(
        request_url(kind, url, lang),
        max_bytes=max_bytes(kind),
        allow_private=allow_private,
        etag=etag,
        last_modified=last_modified,
    )
    if kind is not FeedKind.BMLT or fetched.not_modified:
        return await _done(Download(kind, fetched))
    urls = bmlt_urls(url, lang)
    formats = await _optional(urls.formats, allow_private)
    formats_en = (
        await _optional(urls.formats_en, allow_private) if urls.formats_en != urls.formats else None
    )
    return await _done(Download(kind, fetched, formats, formats_en))


def _sniff(body: bytes) -> tuple[FeedKind, Any]:
    """The kind of a payload, and the payload decoded (kept, so it is decoded only once)."""
    if _is_html(body):
        raise FeedKindError(HTML_PAGE, "the address returned a web page")
    try:
        decoded = load_json(body, FEED_SOURCE_MAX_BYTES)
    except FeedError as exc:
        raise FeedKindError(exc.key, "not JSON") from None
    return kind_from_payload(decoded), decoded


def _is_html(body: bytes) -> bool:
    return body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")


async def _optional(url: str, allow_private: bool) -> bytes | None:
    """Format names are a nicety: without them BMLT types fall back to the safe keys."""
    try:
        return (await fetch(url, max_bytes=FORMATS_MAX_BYTES, allow_private=allow_private)).body
    except FetchError:
        return None


def parse_download(dl: Download, default_tz: str, base_url: str, online_only: bool) -> FeedParse:
    """The meetings of a download (CPU-heavy: run it in a worker thread). Raises FeedError."""
    if dl.kind is FeedKind.BMLT:
        parsed = parse_bmlt(
            dl.fetched.body, default_tz, formats=dl.formats, formats_en=dl.formats_en
        )
    else:
        # The payload must be of the kind stored: a feed that turned into a web page fails.
        if _is_html(dl.fetched.body):
            raise FeedKindError(HTML_PAGE, "the address returned a web page")
        parsed = parse_guide_feed(
            dl.decoded if isinstance(dl.decoded, list) else dl.fetched.body,
            default_tz,
            base_url=base_url,
            max_bytes=FEED_SOURCE_MAX_BYTES,
        )
    if online_only:
        parsed.meetings = [m for m in parsed.meetings if is_online(m)]
    return parsed


def _prepare(
    source_tag: str,
    parsed: FeedParse,
    index: dict[str, tuple[int, str]],
    adoptable: dict[str, MeetingRow],
    max_drop_share: float,
    now: datetime,
    with_plans: bool,
) -> _Prepared:
    """Compare a parse with what the source holds; build the new rows (worker thread)."""
    stored = [Stored(mid, source_tag, key, None, dig) for key, (mid, dig) in index.items()]
    plan = plan_sync(source_tag, stored, parsed.meetings, max_drop_share)
    creates: list[SourcedMeeting] = []
    adopted: list[tuple[int, SourcedMeeting]] = []
    for meeting in plan.creates:
        assert isinstance(meeting, FeedMeeting)
        slug = member_slug(meeting.source_key)
        old = adoptable.get(slug)
        if old is not None:
            merged = keep_local(meeting, from_stored(old.spec))
            assert isinstance(merged, FeedMeeting)
            adopted.append((old.id, _sourced(merged, old.slug, now, with_plans)))
        else:
            creates.append(_sourced(meeting, slug, now, with_plans))
    return _Prepared(parsed, plan, creates, adopted)


def _sourced(meeting: FeedMeeting, slug: str, now: datetime, with_plan: bool) -> SourcedMeeting:
    plan = plan_meeting(meeting.spec, now, now) if with_plan else MeetingPlan()
    # Encoded here, in the worker thread, as storage encodes JSON (compact, sorted keys).
    spec = json.dumps(to_stored(meeting) | {"slug": slug}, separators=(",", ":"), sort_keys=True)
    return SourcedMeeting(meeting.source_key, digest(meeting), slug, meeting.spec.name, spec, plan)


def _updates(
    prepared: _Prepared, specs: dict[int, dict[str, Any]], now: datetime, with_plans: bool
) -> list[tuple[int, SourcedMeeting]]:
    out: list[tuple[int, SourcedMeeting]] = []
    for update in prepared.plan.updates:
        fresh = update.meeting
        assert isinstance(fresh, FeedMeeting)
        stored = specs.get(update.id)
        if stored is None:
            continue  # removed meanwhile
        merged = keep_local(fresh, from_stored(stored)) if with_plans else fresh
        assert isinstance(merged, FeedMeeting)
        slug = str(stored.get("slug") or member_slug(fresh.source_key))
        out.append((update.id, _sourced(merged, slug, now, with_plans)))
    return out


# -- the syncer ---------------------------------------------------------------------------------


class Syncer:
    """Adds and syncs sources for one installation (its store and settings)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    @property
    def interval(self) -> timedelta:
        return timedelta(hours=self.settings.meetings.sync_hours)

    def _default_tz(self, community: CommunityRow | None) -> str:
        if community is not None and community.tz:
            return community.tz
        return self.settings.community.timezone

    def _lang(self) -> str:
        return self.settings.community.language

    async def _download(self, source: SourceRow, *, conditional: bool) -> Download:
        kind = FeedKind(source.kind) if source.kind in set(FeedKind) else None
        return await download(
            source.url,
            kind,
            lang=self._lang(),
            allow_private=self.settings.meetings.allow_private_feed_urls,
            etag=source.etag if conditional else None,
            last_modified=source.last_modified if conditional else None,
        )

    # -- adding ---------------------------------------------------------------------------
    async def add(
        self, community: CommunityRow | None, url: str, purpose: str, now: datetime
    ) -> tuple[SourceRow, SyncOutcome]:
        """Check an address (fetch, tell its kind, parse), then keep it as a source and
        import its meetings. Raises SourceError; nothing is stored then."""
        clean = clean_url(url)
        if clean is None:
            raise SourceError("meeting.feed_bad_url")
        try:
            kind_from_url(clean)  # a bad WordPress action is refused before any request
            dl = await download(
                clean,
                None,
                lang=self._lang(),
                allow_private=self.settings.meetings.allow_private_feed_urls,
            )
            parsed = await asyncio.to_thread(
                parse_download, dl, self._default_tz(community), clean, purpose == PURPOSE_ONLINE
            )
        except FetchError as exc:
            raise SourceError(exc.key) from None
        except FeedError as exc:
            raise SourceError(_feed_key(exc), getattr(exc, "detail", "")) from None
        if not parsed.meetings:
            raise SourceError(
                "meeting.source_online_none" if purpose == PURPOSE_ONLINE else "meeting.source_none"
            )
        if (
            community is not None
            and len(await self.store.meetings.sources(community.id)) >= MAX_SOURCES
        ):
            raise SourceError("meeting.source_too_many")
        ts = int(now.timestamp())
        row = await self.store.meetings.add_source(
            NewSource(
                community.id if community else None,
                clean,
                dl.kind.value,
                purpose,
                ts + int(self.interval.total_seconds()),
            ),
            ts,
        )
        if row is None:
            raise SourceError("meeting.source_exists")
        outcome = await self._sync(row, now, force=True, dl=dl, parsed=parsed, notify=False)
        return row, outcome

    # -- syncing --------------------------------------------------------------------------
    async def sync(
        self, source: SourceRow, now: datetime, *, force: bool = False, notify: bool = True
    ) -> SyncOutcome:
        """Sync one source now. `force` ignores the validators and the shrink guard (a
        moderator pressed Apply). Failures are recorded on the source, never raised."""
        return await self._sync(source, now, force=force, notify=notify)

    async def _sync(
        self,
        source: SourceRow,
        now: datetime,
        *,
        force: bool,
        notify: bool,
        dl: Download | None = None,
        parsed: FeedParse | None = None,
    ) -> SyncOutcome:
        ts = int(now.timestamp())
        community = (
            await self.store.communities.get(source.community_id)
            if source.community_id is not None
            else None
        )
        try:
            if dl is None:
                dl = await self._download(source, conditional=not force)
            if dl.kind.value != source.kind:
                await self.store.meetings.update_source(source.id, SourceUpdate(kind=dl.kind.value))
            if dl.fetched.not_modified or (not force and dl.digest == source.body_digest):
                return await self._unchanged(source, dl, ts)
            if parsed is None:
                parsed = await asyncio.to_thread(
                    parse_download,
                    dl,
                    self._default_tz(community),
                    source.url,
                    source.purpose == PURPOSE_ONLINE,
                )
        except FetchError as exc:
            return await self._failed(source, exc.key, ts, exc.retry_after)
        except FeedError as exc:
            return await self._failed(source, _feed_key(exc), ts)
        with_plans = source.purpose == PURPOSE_MEETINGS
        index = await self.store.meetings.source_index(source.id)
        adoptable: dict[str, MeetingRow] = {}
        if with_plans and source.community_id is not None:
            adoptable = await self.store.meetings.imported(source.community_id)
        share = 1.0 if force else self.settings.meetings.max_drop_share
        prepared = await asyncio.to_thread(
            _prepare, str(source.id), parsed, index, adoptable, share, now, with_plans
        )
        if prepared.plan.held:
            return await self._hold(source, community, dl, prepared, ts, notify)
        specs = (
            await self.store.meetings.specs([u.id for u in prepared.plan.updates])
            if with_plans
            else {u.id: {} for u in prepared.plan.updates}
        )
        updates = await asyncio.to_thread(_updates, prepared, specs, now, with_plans)
        changes = SyncChanges(
            creates=prepared.creates,
            updates=[*updates, *prepared.adopted],
            removes=[r.id for r in prepared.plan.removes],
        )
        state = SourceUpdate(
            kind=dl.kind.value,
            etag=dl.fetched.etag,
            last_modified=dl.fetched.last_modified,
            body_digest=dl.digest,
            last_synced=ts,
            last_error=None,
            failures=0,
            held=None,
            next_sync_at=ts + int(self.interval.total_seconds()),
        )
        await self.store.meetings.apply_sync(source, changes, state, ts)
        return SyncOutcome(
            "applied",
            created=len(prepared.creates),
            updated=len(updates) + len(prepared.adopted),
            removed=len(changes.removes),
            unchanged=prepared.plan.unchanged,
            total=len(parsed.meetings),
            skipped=parsed.skipped,
        )

    async def _unchanged(self, source: SourceRow, dl: Download, ts: int) -> SyncOutcome:
        await self.store.meetings.update_source(
            source.id,
            SourceUpdate(
                etag=dl.fetched.etag or source.etag,
                last_modified=dl.fetched.last_modified or source.last_modified,
                last_synced=ts,
                last_error=None,
                failures=0,
                next_sync_at=ts + int(self.interval.total_seconds()),
            ),
        )
        return SyncOutcome("unchanged", total=source.meetings, held=source.held)

    async def _failed(
        self, source: SourceRow, key: str, ts: int, retry_after: int | None = None
    ) -> SyncOutcome:
        failures = source.failures + 1
        wait = FAILURE_BACKOFF[min(failures, len(FAILURE_BACKOFF)) - 1]
        if retry_after is not None:
            wait = max(wait, timedelta(seconds=retry_after))
        wait = min(wait, self.interval)
        await self.store.meetings.update_source(
            source.id,
            SourceUpdate(
                last_error=key, failures=failures, next_sync_at=ts + int(wait.total_seconds())
            ),
        )
        log.info("meeting source %d: sync failed (%s)", source.id, key)
        return SyncOutcome("failed", total=source.meetings, error=key)

    async def _hold(
        self,
        source: SourceRow,
        community: CommunityRow | None,
        dl: Download,
        prepared: _Prepared,
        ts: int,
        notify: bool,
    ) -> SyncOutcome:
        plan = prepared.plan
        same = source.held is not None and source.held.get("body_digest") == dl.digest
        held = (
            dict(source.held)
            if same and source.held is not None
            else {
                "token": secrets.token_hex(4),
                "removes": len(plan.removes),
                "previous": plan.previous,
                "creates": len(plan.creates),
                "updates": len(plan.updates),
                "at": ts,
                "etag": dl.fetched.etag,
                "last_modified": dl.fetched.last_modified,
                "body_digest": dl.digest,
            }
        )
        await self.store.meetings.update_source(
            source.id,
            SourceUpdate(
                held=held,
                last_error=None,
                failures=0,
                next_sync_at=ts + int(self.interval.total_seconds()),
            ),
        )
        if notify and not same:
            if community is not None:
                await self._ask_moderators(source, community, held, ts)
            else:
                log.warning(
                    "the installation's online feed would drop %d of %d meetings: held",
                    held["removes"],
                    held["previous"],
                )
        return SyncOutcome("held", total=source.meetings, skipped=prepared.parse.skipped, held=held)

    async def _ask_moderators(
        self, source: SourceRow, community: CommunityRow, held: dict[str, Any], ts: int
    ) -> None:
        items: list[OutboxItem] = []
        for mod in await self.store.communities.moderators(community.id):
            tr = translator(mod.lang)
            text = held_text(tr, source, community.title or community.chat_id, held)
            reply = dataclasses.replace(
                private_to(mod, text, held_buttons(tr, source.id, str(held["token"]))),
                moderator_of=community.chat_id,
            )
            items.append(
                planned(
                    reply,
                    key=f"source-held:{source.id}:{held['token']}:{mod.id}",
                    kind="meeting_source_held",
                    due=ts,
                    recipient_id=mod.id,
                    priority=Priority.TIMELY,
                )
            )
        if items:
            await self.store.outbox.enqueue(items)

    async def keep(self, source: SourceRow) -> None:
        """Moderators keep the meetings as they are: the held payload counts as seen, so the
        same feed is not asked about again (a changed feed is)."""
        held = source.held or {}
        await self.store.meetings.update_source(
            source.id,
            SourceUpdate(
                held=None,
                etag=held.get("etag"),
                last_modified=held.get("last_modified"),
                body_digest=held.get("body_digest"),
            ),
        )

    async def ensure_installation_feed(self, now: datetime) -> None:
        """The configured online feed is the installation's one source without a community;
        a changed or removed setting replaces or removes the old one."""
        wanted = self.settings.meetings.online_feed
        for row in await self.store.meetings.sources(None):
            if row.url != wanted:
                await self.store.meetings.remove_source(row.id)
        if wanted and not await self.store.meetings.sources(None):
            await self.store.meetings.add_source(
                NewSource(None, wanted, "", PURPOSE_ONLINE, int(now.timestamp())),
                int(now.timestamp()),
            )


def _feed_key(exc: FeedError) -> str:
    # FeedError keys are "feed.x"; the catalog has them as "meeting.feed_x".
    return "meeting." + exc.key.replace(".", "_")


def held_buttons(tr: Any, source_id: int, token: str) -> Buttons:
    return (
        (
            Button(tr("meeting.source_apply"), f"{HELD_BUTTON}:apply:{source_id}:{token}"),
            Button(tr("meeting.source_keep"), f"{HELD_BUTTON}:keep:{source_id}:{token}"),
        ),
    )


def held_text(tr: Any, source: SourceRow, group: str, held: dict[str, Any]) -> str:
    return str(
        tr(
            "meeting.source_held",
            group=group,
            url=source.url,
            removes=held.get("removes", 0),
            previous=held.get("previous", 0),
            creates=held.get("creates", 0),
        )
    )


# -- the scheduled re-sync --------------------------------------------------------------------


class SourceSweep:
    """Re-syncs sources when due (every `sync_hours`), through the durable schedule (each
    source's next_sync_at): at most MAX_SYNCS_PER_SWEEP a sweep, one per host per HOST_GAP;
    the rest wait their turn (their time moves on, so nothing is fetched twice)."""

    name = "meeting_sources"

    def __init__(self, store: Store, settings: Settings) -> None:
        self.syncer = Syncer(store, settings)
        self.store = store
        self._host_last: dict[str, datetime] = {}
        self._installation_checked = False

    async def sweep(self, now: datetime, limit: int) -> int:
        if not self._installation_checked:
            self._installation_checked = True
            await self.syncer.ensure_installation_feed(now)
        ts = int(now.timestamp())
        self._host_last = {h: t for h, t in self._host_last.items() if now - t < HOST_GAP}
        due = await self.store.meetings.due_sources(ts, min(limit, MAX_SYNCS_PER_SWEEP * 4))
        picked: list[SourceRow] = []
        hosts: set[str] = set()
        for source in due:
            host = host_of(source.url)
            last = self._host_last.get(host)
            busy = host in hosts or (last is not None and now - last < HOST_GAP)
            if busy or len(picked) >= MAX_SYNCS_PER_SWEEP:
                # Its turn comes at a later sweep; moving its time on keeps this one short.
                await self.store.meetings.update_source(
                    source.id, SourceUpdate(next_sync_at=ts + int(HOST_GAP.total_seconds()))
                )
                continue
            hosts.add(host)
            self._host_last[host] = now
            picked.append(source)
        results = await asyncio.gather(
            *(self.syncer.sync(s, now) for s in picked), return_exceptions=True
        )
        for source, result in zip(picked, results, strict=True):
            if isinstance(result, SyncOutcome) and result.status == "applied":
                await self._warm(source)
            if isinstance(result, BaseException):
                log_failure(f"meeting source {source.id} sync", result)
                await self.store.meetings.update_source(
                    source.id,
                    SourceUpdate(
                        last_error="meeting.source_sync_broke",
                        failures=source.failures + 1,
                        next_sync_at=ts + int(FAILURE_BACKOFF[-1].total_seconds()),
                    ),
                )
        return len(due)

    async def _warm(self, source: SourceRow) -> None:
        """Decode and index what a sync changed now, in the sweep, so the next member asking
        /meetings or /meetings now doesn't wait for it."""
        untagged = self.syncer.settings.community.language
        try:
            if source.purpose == PURPOSE_ONLINE:
                fresh = await self.store.meetings.source(source.id)
                if fresh is not None:
                    await (await source_schedule(self.store, fresh, untagged)).online_index()
            elif source.community_id is not None:
                schedule = await community_schedule(self.store, source.community_id, untagged)
                await schedule.online_index()
                await schedule.all_index()
        except Exception as exc:  # a cache, not a duty: the next request builds it
            log_failure(f"warming meeting source {source.id}", exc)
