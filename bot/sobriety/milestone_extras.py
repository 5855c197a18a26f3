"""What a milestone congratulation carries besides its words: the money and time the counter
saved (private only), and a milestone card (bot/sobriety/card.py) in the community's program
style, for the private message and, under the member's existing opt-ins, the group post.

Cards are drawn off the event loop (a worker thread), once per distinct card: a card without
a name is the same for every member reaching that milestone in that program and language, so
a busy morning draws a handful, not thousands. A card that fails to draw is left out; the
congratulation always goes.

The member's name is on a card only where they chose to be named with their milestones: on
the group post (they turned /celebrate on there), and on the private card when they
celebrate in at least one group.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.kernel.i18n import Translator, translator
from bot.sobriety.card import card_colour, render_card, without_label
from bot.sobriety.milestones import Milestone, milestone_meaning
from bot.sobriety.model import days_since
from bot.sobriety.savings_commands import saved_text
from bot.sobriety.texts import label
from storage.base import Store
from storage.rows import DueMilestone, Sharing

log = logging.getLogger("harbor.cards")

CACHE_SIZE = 64


@dataclass(frozen=True, slots=True)
class CardRequest:
    milestone_key: str
    label: str
    program: str
    wording: str
    name: str | None
    lang: str


@dataclass(slots=True)
class Extras:
    """For one due counter: the savings line, the private card, and a card per community
    whose group post carries one."""

    savings_line: str | None = None
    private_card: bytes | None = None
    group_cards: dict[int, bytes] = field(default_factory=dict)
    alt: str = ""


def _draw(request: CardRequest) -> bytes | None:
    try:
        return render_card(
            request.label,
            request.program,
            request.wording,
            card_colour(request.program, request.milestone_key),
            request.name,
            locale=request.lang,
        )
    except Exception as exc:  # a card is a gift, never a reason to hold a congratulation
        log.warning("a milestone card could not be drawn: %s", type(exc).__name__)
        return None


class CardPainter:
    """Draws milestone cards in a worker thread, remembering the latest distinct ones."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._cache: OrderedDict[CardRequest, bytes | None] = OrderedDict()
        self.drawn = 0  # cards actually drawn (the rest came from the cache)

    async def paint(self, requests: Sequence[CardRequest]) -> dict[CardRequest, bytes | None]:
        wanted = [r for r in dict.fromkeys(requests) if r not in self._cache]
        if wanted:
            drawn = await asyncio.to_thread(lambda: [_draw(r) for r in wanted])
            self.drawn += len(wanted)
            for request, png in zip(wanted, drawn, strict=True):
                self._cache[request] = png
        out: dict[CardRequest, bytes | None] = {}
        for request in requests:
            out[request] = self._cache.get(request)
            if request in self._cache:
                self._cache.move_to_end(request)
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)
        return out


def card_request(tr: Translator, m: Milestone, program: str, name: str | None) -> CardRequest:
    wording = milestone_meaning(m, program, tr)
    return CardRequest(m.key, label(tr, m), program, wording, name, tr.lang)


def card_alt(tr: Translator, request: CardRequest) -> str:
    wording = without_label(request.wording, request.label)
    return tr("card.alt", label=request.label, wording=wording)


def _celebrates_somewhere(sharing: dict[int, Sharing]) -> bool:
    return any(s.celebrate for s in sharing.values())


async def milestone_extras(
    store: Store,
    chosen: Sequence[tuple[DueMilestone, Milestone]],
    default_program: str,
    painter: CardPainter,
    now: datetime,
) -> dict[int, Extras]:
    """Extras for each due counter (by counter id) of one sweep batch."""
    if not chosen:
        return {}
    rates = await store.recovery.savings_of([d.counter.id for d, _ in chosen])
    extras: dict[int, Extras] = {}
    requests: list[CardRequest] = []
    wiring: list[tuple[int, int | None, CardRequest]] = []  # counter, community (None: private)
    for d, m in chosen:
        member, counter = d.member, d.counter
        tr = translator(member.lang)
        extra = extras.setdefault(counter.id, Extras())
        locale = member.date_locale or member.lang or "en"
        days = days_since(counter.start_date, counter.tz, now)
        saved = saved_text(tr, rates.get(counter.id), days, locale)
        if saved:
            extra.savings_line = tr("savings.milestone", saved=saved)
        program = next((x.program for x in d.communities), default_program)
        name = member.display_name if _celebrates_somewhere(d.sharing) else None
        private = card_request(tr, m, program, name)
        extra.alt = card_alt(tr, private)
        requests.append(private)
        wiring.append((counter.id, None, private))
        for community in d.communities:
            mine = d.sharing.get(community.id, Sharing())
            if mine.celebrate and community.allow_celebrations and community.announce_chat_id:
                group = card_request(tr, m, community.program, member.display_name)
                requests.append(group)
                wiring.append((counter.id, community.id, group))
    cards = await painter.paint(requests)
    for counter_id, community_id, request in wiring:
        png = cards.get(request)
        if png is None:
            continue
        if community_id is None:
            extras[counter_id].private_card = png
        else:
            extras[counter_id].group_cards[community_id] = png
    return extras
