"""/settings language: the language Harbor talks to a member in. Only complete catalogs are
offered (i18n.complete()); the choice is kept on the member, so scheduled messages (check-ins,
milestones, reminders) follow it too. Until a member chooses, their platform's language is
used (see MemberStore.touch)."""

from __future__ import annotations

import dataclasses
import unicodedata

from babel import Locale

from bot.kernel.context import Context
from bot.kernel.i18n import complete, translator
from storage.rows import MemberUpdate


def _plain(text: str) -> str:
    """'Español' -> 'espanol': typed names match with or without accents."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip()


def language_name(code: str) -> str:
    """The language's own name for itself: 'English', 'español'."""
    return str(Locale.parse(code).get_language_name(code) or code)


def offered(lang: str) -> str:
    """'en (English), es (español)' for the usage and error texts, in `lang`'s list style."""
    return translator(lang).join(f"{code} ({language_name(code)})" for code in complete())


def resolve_language(text: str, lang: str) -> str | None:
    """A complete catalog's code for what was typed: a code ('es', 'es-MX', 'es_AR') or a
    name in English, in the language itself or in the member's current language."""
    typed = _plain(text)
    if not typed:
        return None
    code = typed.replace("_", "-").split("-", 1)[0]
    if code in complete():
        return code
    for candidate in complete():
        names = {
            language_name(candidate),
            Locale.parse("en").languages.get(candidate, ""),
            Locale.parse(lang).languages.get(candidate, ""),
        }
        if typed in {_plain(name) for name in names if name}:
            return candidate
    return None


async def set_language(ctx: Context, value: str) -> None:
    if not value:
        ctx.whisper(
            ctx.text(
                "settings.language_usage",
                known=offered(ctx.lang),
                current=language_name(ctx.lang),
            )
        )
        return
    code = resolve_language(value, ctx.lang)
    if code is None:
        ctx.whisper(ctx.text("settings.bad_language", value=value[:20], known=offered(ctx.lang)))
        return
    await ctx.store.members.update(ctx.member.id, MemberUpdate(lang=code))
    ctx.member = dataclasses.replace(ctx.member, lang=code)
    # The answer, and everything after it, already in the new language.
    ctx.tr = translator(code)
    ctx.whisper(ctx.text("settings.language_set", language=language_name(code)))
