"""Crisis support: /crisis (/sos) and automatic detection of crisis language.

This runs as a guard, before anything touches storage: the reply must go out even when the
database is down. Storage is only asked, with a short timeout, for the member's country, the
community's settings and its moderators; when it can't answer, the configured default country
(else the international lines) is used and no alert is sent.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.crisis.detect import Detection, detect
from bot.crisis.helplines import CountryLines, Helpline, Helplines
from bot.kernel.config import Settings
from bot.kernel.i18n import t
from bot.kernel.types import ChatRef, Incoming, Member, Reply
from storage.base import CommunityLine, CommunityRow, Store

log = logging.getLogger("harbor.crisis")

COMMANDS = ("crisis", "sos")
STORE_TIMEOUT = 0.25  # seconds: the crisis reply never waits long for the database


@dataclass(frozen=True, slots=True)
class _Lookup:
    country: str | None
    community: CommunityRow | None
    moderators: tuple[Member, ...]
    extra_lines: tuple[CommunityLine, ...] = ()


def community_helplines(lines: Sequence[CommunityLine], country: str) -> list[Helpline]:
    """Moderators' lines as helplines of the country being answered for."""
    focus = {"crisis": "crisis", "drugs": "drug/alcohol", "emergency": "emergency"}
    return [
        Helpline(
            country=country,
            service=line.service,
            focus=focus[line.kind],
            contact_type=line.contact_type,
            dial=line.dial,
            hours="",
            notes="",
            source="added by the community's moderators",
            checked=datetime.fromtimestamp(line.added_at, UTC).strftime("%Y-%m"),
            unverified=False,
        )
        for line in lines
    ]


def format_line(line: Helpline, lang: str = "en") -> str:
    how = line.contact_type.replace("+", " / ")
    hours = f", {line.hours}" if line.hours else ""
    flag = " " + t("crisis.unverified", lang) if line.unverified else ""
    return f"• {line.service}: {line.dial} ({how}{hours}){flag}"


def crisis_text(
    lines: CountryLines, detection: Detection | None, alerts: bool, automatic: bool
) -> str:
    """The calm, short reply: not alone, numbers to call or text now, emergency first when an
    overdose may be happening. Numbers come only from the data file. A message detected as
    Spanish is answered in Spanish."""
    lang = detection.lang if detection is not None and detection.lang else "en"

    def say(key: str, **params: object) -> str:
        return t(key, lang, **params)

    emergency = " / ".join(e.dial for e in lines.emergency) or say("crisis.local_emergency")
    parts: list[str] = []
    overdose = detection is not None and detection.kind == "overdose"
    if overdose:
        parts.append(say("crisis.overdose_first", emergency=emergency))
    parts.append(say("crisis.opening_auto") if automatic else say("crisis.opening"))
    if not overdose:
        parts.append(say("crisis.danger", emergency=emergency))
    if lines.crisis:
        parts.append(
            say("crisis.lines_header", country=lines.country_name)
            + "\n"
            + "\n".join(format_line(x, lang) for x in lines.crisis)
        )
    if lines.drugs:
        parts.append(
            say("crisis.drugs_header") + "\n" + "\n".join(format_line(x, lang) for x in lines.drugs)
        )
    parts.append(say("crisis.checked", checked=lines.checked))
    if automatic:
        parts.append(say("crisis.automated"))
    if alerts:
        parts.append(say("crisis.moderator_may_reach_out"))
    return "\n\n".join(parts)


class CrisisResponder:
    """The guard for every event, and the /crisis command."""

    def __init__(
        self,
        helplines: Helplines,
        settings: Settings,
        store: Store,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.helplines = helplines
        self.settings = settings
        self.store = store
        self._monotonic = monotonic
        self._last_auto: dict[tuple[str, str], float] = {}  # in memory: works without a db

    async def guard(self, event: Incoming) -> tuple[list[Reply], bool]:
        if event.command in COMMANDS:
            return await self.answer(event, detection=None), True
        if not self.settings.crisis.detection or not event.text or event.command:
            return [], False
        detection = detect(event.text)
        if not detection.crisis:
            return [], False
        key = (event.member.platform, event.member.user_id)
        now = self._monotonic()
        last = self._last_auto.get(key)
        if last is not None and now - last < self.settings.crisis.repeat_minutes * 60:
            return [], False  # not the same list on every message
        self._last_auto[key] = now
        log.warning("crisis language detected (%s) on %s", detection.kind, event.chat.platform)
        return await self.answer(event, detection), False

    async def answer(self, event: Incoming, detection: Detection | None) -> list[Reply]:
        found = await self._lookup(event)
        country = found.country
        if country is None and found.community is not None:
            country = found.community.country
        if country is None:
            country = self.settings.community.country
        lines = self.helplines.for_country(country)
        if found.extra_lines:
            extra = community_helplines(found.extra_lines, lines.country)
            lines = self.helplines.with_overrides(extra).for_country(lines.country)
        group = not event.chat.private
        alerts = bool(
            group and found.community and found.community.crisis_alerts and found.moderators
        )
        automatic = detection is not None
        replies = [
            Reply(
                chat=event.chat,
                # Only promise a moderator's message when an alert really goes out.
                text=crisis_text(lines, detection, alerts and automatic, automatic),
                private=True,
                member=event.member,
                # Asked for in a group by someone the bot can't write to privately: the
                # numbers may go to the group (nothing personal). Never for detections.
                public_fallback=None if automatic else crisis_text(lines, None, False, False),
            )
        ]
        if group and not automatic:
            replies.append(Reply(chat=event.chat, text=t("crisis.sent_privately"), notice=True))
        if group and automatic and found.community and found.community.crisis_public_line:
            replies.append(Reply(chat=event.chat, text=t("crisis.public_line")))
        if alerts and automatic:
            where = event.permalink or t("crisis.alert_no_link", title=event.chat.title or "")
            text = t(
                "crisis.alert",
                name=event.member.display_name,
                group=event.chat.title or event.chat.chat_id,
                where=where,
            )
            for mod in found.moderators:
                if mod.user_id == event.member.user_id:
                    continue
                dm = ChatRef(mod.platform, mod.user_id, private=True)
                replies.append(
                    Reply(
                        chat=dm,
                        text=text,
                        private=True,
                        member=mod,
                        moderator_of=event.chat.community_id,
                    )
                )
        return replies

    async def _lookup(self, event: Incoming) -> _Lookup:
        try:
            return await asyncio.wait_for(self._query(event), STORE_TIMEOUT)
        except Exception as exc:  # the database is down or slow: answer without it
            log.warning("crisis reply without storage: %s", type(exc).__name__)
            return _Lookup(None, None, ())

    async def _query(self, event: Incoming) -> _Lookup:
        member = await self.store.members.find(event.member.platform, event.member.user_id)
        community = None
        moderators: tuple[Member, ...] = ()
        if event.chat.community_id is not None:
            community = await self.store.communities.find(
                event.chat.platform, event.chat.community_id
            )
            if community is not None and community.crisis_alerts:
                rows = await self.store.communities.moderators(community.id)
                moderators = tuple(Member(r.platform, r.user_id, r.display_name) for r in rows)
        elif member is not None:
            mine = await self.store.communities.of_member(member.id)
            community = mine[0] if mine else None
        extra = tuple(await self.store.helplines.lines(community.id)) if community else ()
        return _Lookup(member.country if member else None, community, moderators, extra)
