"""Crisis support: /crisis (/sos), its button and deep link, and crisis language in any text.

It runs as a guard, before anything touches storage, and delivers at once with the highest
priority: the reply must go out even when the database is down. Storage is only asked, with
a short timeout, for the member's country and language, the community's settings, lines and
moderators; when it can't answer, the configured default country (else the international
lines) is used and no alert is sent. Delivery never fails silently: without a private chat
the group sees a neutral line with a button that delivers the lines privately, and the
moderators' alert says what happened.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.core import get_global

from bot.crisis.alerts import CrisisAlerts
from bot.crisis.detect import Detection, detect
from bot.crisis.helplines import Helplines
from bot.crisis.reply import Situation, full_text, short_text
from bot.kernel.clock import Clock
from bot.kernel.config import Settings
from bot.kernel.delivery import Delivery, Outcome
from bot.kernel.i18n import Translator, catalog, pick_language, translator
from bot.kernel.types import Button, Buttons, Fallback, Incoming, Priority, Reply
from storage.base import Store
from storage.rows import CommunityLine, CommunityRow, MemberRow, MemberUpdate

log = logging.getLogger("harbor.crisis")

COMMANDS = ("crisis", "sos")
BUTTON = "crisis"  # crisis:show, crisis:country:XX
STORE_TIMEOUT = 0.25  # seconds: the crisis reply never waits long for the database
COUNTRY_BUTTONS = 4


@dataclass(frozen=True, slots=True)
class Lookup:
    member: MemberRow | None = None
    community: CommunityRow | None = None
    lines: tuple[CommunityLine, ...] = ()


def crisis_language(*candidates: str | None) -> str:
    """The first candidate whose catalog has the crisis reply."""
    for candidate in candidates:
        lang = pick_language(candidate)
        if candidate and "crisis.opening" in catalog(lang):
            return lang
    return pick_language(None)


def likely_country(locale: str | None) -> str | None:
    """'es' -> 'ES', 'pt-BR' -> 'BR', 'en' -> 'US' (CLDR's likely subtags)."""
    if not locale:
        return None
    code = locale.replace("-", "_")
    parts = code.split("_")
    if len(parts) > 1 and len(parts[-1]) == 2:
        return parts[-1].upper()
    likely = get_global("likely_subtags").get(parts[0].casefold())
    return str(likely).split("_")[-1].upper() if likely else None


class CrisisResponder:
    def __init__(
        self,
        helplines: Helplines,
        settings: Settings,
        store: Store,
        delivery: Delivery,
        clock: Clock,
        alerts: CrisisAlerts | None = None,
    ) -> None:
        self.helplines = helplines
        self.settings = settings
        self.store = store
        self.delivery = delivery
        self.clock = clock
        self.alerts = alerts
        # member -> when they last had the full automatic reply, and whether it was the
        # helper's (third party). In memory, so it works without a database. With several
        # processes a member may get the full reply once per process: more help, never less.
        self._last_auto: dict[tuple[str, str], tuple[datetime, bool]] = {}

    # -- the guard ------------------------------------------------------------------------
    async def __call__(self, event: Incoming) -> bool:
        asked = event.command in COMMANDS or (
            event.command == "start" and event.args.strip().casefold() == "crisis"
        )
        if asked or event.button == f"{BUTTON}:show":
            await self.answer(event, Situation())
            return True
        if event.button is not None and event.button.startswith(f"{BUTTON}:country:"):
            await self._country_chosen(event, event.button.rsplit(":", 1)[1])
            return True
        if not self.settings.crisis.detection or not event.text or event.command:
            return False
        detection = detect(event.text)
        if not detection.crisis:
            return False
        log.warning("crisis language detected (%s) on %s", detection.kind, event.chat.platform)
        await self.answer(
            event,
            Situation(
                automatic=True,
                overdose=detection.kind == "overdose",
                third_party=detection.third_party,
            ),
            detection=detection,
            repeat=self._repeat(event, detection.third_party),
        )
        return True  # the crisis reply is the answer: no "send /help" after it

    def _repeat(self, event: Incoming, third_party: bool) -> bool:
        """Whether the member had the full reply of the same kind (about themselves, or
        about someone else) within the repeat window, in any chat. A change of kind gets
        the full reply for the new kind: a helper who then writes about themselves needs
        the lines for themselves, not a short "still here"."""
        key = (event.member.platform, event.member.user_id)
        now = self.clock.now()
        last = self._last_auto.get(key)
        window = timedelta(minutes=self.settings.crisis.repeat_minutes)
        if last is not None and now - last[0] < window and last[1] == third_party:
            return True
        self._last_auto[key] = (now, third_party)
        if len(self._last_auto) > 50_000:
            self._last_auto = {k: v for k, v in self._last_auto.items() if now - v[0] < window}
        return False

    # -- answering ------------------------------------------------------------------------
    async def answer(
        self,
        event: Incoming,
        situation: Situation,
        *,
        detection: Detection | None = None,
        repeat: bool = False,
        country: str | None = None,
    ) -> Outcome:
        found = await self._lookup(event)
        member, community = found.member, found.community
        if country is None:
            country = (member.country if member else None) or (
                community.country if community else None
            )
            country = country or self.settings.community.country
        lines = self.helplines.for_country(country)
        tr = translator(
            crisis_language(
                detection.lang if detection else None,
                event.locale,  # the language the platform reports right now (Discord locale)
                member.lang if member else None,
                self.settings.community.language,
            )
        )
        group = not event.chat.private
        alerts = bool(
            situation.automatic and group and community is not None and community.crisis_alerts
        )
        situation = Situation(
            situation.automatic, situation.overdose, situation.third_party, alerts and not repeat
        )
        extra = self._community_lines(found, lines.country)
        if repeat:
            text = short_text(tr, lines, situation)
        else:
            text = full_text(tr, lines, situation, extra)
        buttons: Buttons = () if country else self._country_buttons(tr, event, community)
        public_numbers = None
        if not situation.automatic and community is not None and community.crisis_public_line:
            public_numbers = full_text(tr, lines, Situation())
        reply = Reply(
            chat=event.chat,
            text=text,
            buttons=buttons,
            private=True,
            member=event.member,
            fallback=Fallback.CRISIS,
            public_fallback=public_numbers,
            priority=Priority.CRISIS,
            notify_group=not situation.automatic,  # never point at someone who didn't ask
        )
        done = await self.delivery.deliver(event, [reply], tr)
        outcome = done[0].outcome
        if group and situation.automatic and community is not None:
            if community.crisis_public_line and not repeat:
                line = Reply(
                    chat=event.chat, text=tr("crisis.public_line"), priority=Priority.CRISIS
                )
                await self.delivery.deliver(event, [line], tr)
            if alerts and not repeat and self.alerts is not None:
                await self.alerts.raise_alert(event, community, outcome, situation)
        return outcome

    def _community_lines(self, found: Lookup, country: str) -> list[CommunityLine]:
        """The moderators' own lines for the country being answered for (lines added
        before lines had a country belong to the community's country)."""
        home = found.community.country if found.community else None
        return [x for x in found.lines if (x.country or home or "") == country]

    def _country_buttons(
        self, tr: Translator, event: Incoming, community: CommunityRow | None
    ) -> Buttons:
        wanted = [likely_country(event.locale), community.country if community else None]
        wanted += ["US", "GB", "CA", "AU", "IE", "NZ"]
        picks: list[str] = []
        for code in wanted:
            if code and code not in picks and self.helplines.known(code):
                picks.append(code)
        buttons = tuple(
            Button(tr("crisis.country_button", country=code), f"{BUTTON}:country:{code}")
            for code in picks[:COUNTRY_BUTTONS]
        )
        return (buttons,) if buttons else ()

    async def _country_chosen(self, event: Incoming, code: str) -> None:
        code = code.strip().upper()
        if not self.helplines.known(code):
            await self.answer(event, Situation())
            return
        try:
            found = await asyncio.wait_for(
                self.store.members.find(event.member.platform, event.member.user_id),
                STORE_TIMEOUT,
            )
            if found is not None:
                await asyncio.wait_for(
                    self.store.members.update(found.id, MemberUpdate(country=code)), 1.0
                )
        except Exception as exc:  # the lines matter more than remembering the choice
            log.warning("could not save the chosen country: %s", type(exc).__name__)
        await self.answer(event, Situation(), country=code)

    # -- storage, briefly ---------------------------------------------------------------------
    async def _lookup(self, event: Incoming) -> Lookup:
        try:
            return await asyncio.wait_for(self._query(event), STORE_TIMEOUT)
        except Exception as exc:  # the database is down or slow: answer without it
            log.warning("crisis reply without storage: %s", type(exc).__name__)
            return Lookup()

    async def _query(self, event: Incoming) -> Lookup:
        member = await self.store.members.find(event.member.platform, event.member.user_id)
        community = None
        if event.chat.community_id is not None:
            community = await self.store.communities.find(
                event.chat.platform, event.chat.community_id
            )
        elif member is not None:
            mine = await self.store.communities.of_member(member.id)
            community = mine[0] if mine else None
        lines: Sequence[CommunityLine] = ()
        if community is not None:
            lines = await self.store.helplines.lines(community.id)
        return Lookup(member, community, tuple(lines))
