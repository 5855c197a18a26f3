"""The words of a crisis reply, following safe-messaging practice: you are not alone; people
to call or text now; the emergency number first when an overdose may be happening; no
lecturing, no method details; plainly automated. Numbers come only from the data file (and,
under their own heading, from the community's moderators). Everything is in the reader's
language, country names included."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from babel import Locale, UnknownLocaleError

from bot.crisis.helplines import FALLBACK, CountryLines, Helpline
from bot.kernel.i18n import Translator
from storage.rows import CommunityLine


@dataclass(frozen=True, slots=True)
class Situation:
    """What the reply is for."""

    automatic: bool = False  # detected, not asked for with /crisis
    overdose: bool = False  # an overdose may be happening: emergency number first
    third_party: bool = False  # the writer is worried about someone else
    alerts: bool = False  # a moderator alert really goes out


def country_name(tr: Translator, lines: CountryLines) -> str:
    if lines.country == FALLBACK:
        return tr("crisis.international")
    try:
        name = Locale.parse(tr.lang).territories.get(lines.country)
    except (UnknownLocaleError, ValueError):
        name = None
    return str(name or lines.country_name)


def contact(tr: Translator, line: Helpline | CommunityLine) -> str:
    """'call / text' in the reader's language."""
    kinds = line.contact_type.split("+")
    return " / ".join(
        tr(f"crisis.contact_{k}") if tr.has(f"crisis.contact_{k}") else k for k in kinds
    )


def format_line(tr: Translator, line: Helpline) -> str:
    hours = ""
    if line.hours:
        hours = ", " + (tr("crisis.hours_always") if line.hours == "24/7" else line.hours)
    flag = " " + tr("crisis.unverified") if line.unverified else ""
    return f"• {line.service}: {line.dial} ({contact(tr, line)}{hours}){flag}"


def emergency_numbers(tr: Translator, lines: CountryLines) -> str:
    dials = [e.dial for e in lines.emergency]
    if not dials:
        return tr("crisis.local_emergency")
    return f" {tr('crisis.or')} ".join(dials)


def community_block(tr: Translator, lines: Sequence[CommunityLine]) -> str:
    if not lines:
        return ""
    rows = [
        f"• {x.service}: {x.dial} ({contact(tr, x)})"
        + " "
        + tr(
            "crisis.added_by",
            who=x.added_by or tr("crisis.a_moderator"),
            when=datetime.fromtimestamp(x.added_at, UTC).strftime("%Y-%m-%d"),
        )
        for x in lines
    ]
    return tr("crisis.community_header") + "\n" + "\n".join(rows)


def full_text(
    tr: Translator,
    lines: CountryLines,
    situation: Situation,
    extra: Sequence[CommunityLine] = (),
) -> str:
    """The whole reply: opening, emergency, the country's lines, drug and alcohol help, the
    community's own lines under their own heading, when the numbers were checked."""
    emergency = emergency_numbers(tr, lines)
    parts: list[str] = []
    if situation.overdose:
        parts.append(tr("crisis.overdose_first", emergency=emergency))
    if situation.third_party:
        parts.append(tr("crisis.helper_opening"))
        if not situation.overdose:
            parts.append(tr("crisis.helper_danger", emergency=emergency))
        parts.append(tr("crisis.helper_how"))
    else:
        parts.append(tr("crisis.opening_auto") if situation.automatic else tr("crisis.opening"))
        if not situation.overdose:
            parts.append(tr("crisis.danger", emergency=emergency))
    if lines.crisis:
        parts.append(
            tr("crisis.lines_header", country=country_name(tr, lines))
            + "\n"
            + "\n".join(format_line(tr, x) for x in lines.crisis)
        )
    if lines.drugs:
        parts.append(
            tr("crisis.drugs_header") + "\n" + "\n".join(format_line(tr, x) for x in lines.drugs)
        )
    block = community_block(tr, extra)
    if block:
        parts.append(block)
    parts.append(tr("crisis.checked", checked=lines.checked))
    if situation.automatic:
        parts.append(tr("crisis.automated"))
    if situation.alerts:
        parts.append(tr("crisis.moderator_may_reach_out"))
    return "\n\n".join(parts)


def short_text(tr: Translator, lines: CountryLines, situation: Situation) -> str:
    """A further crisis message of the same kind soon after the first: the top line and
    the emergency number again, without repeating the whole list (in the helper's wording
    when the writer is worried about someone else)."""
    emergency = emergency_numbers(tr, lines)
    top = next(iter(lines.crisis), None)
    first = tr("crisis.still_here")
    if situation.overdose:
        first = tr("crisis.overdose_first", emergency=emergency)
    # Someone writing about another person is told what to do if *they* are in danger.
    danger = "crisis.helper_danger" if situation.third_party else "crisis.danger"
    text = first + "\n\n" + tr(danger, emergency=emergency)
    if top is not None:
        text += "\n" + format_line(tr, top)
    return text + "\n\n" + tr("crisis.more", command="/crisis")
