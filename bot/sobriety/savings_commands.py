"""Money and time saved, per counter: `/sober money 12.50/day [counter]`, `/sober time 3h/day
[counter]`, `off` to stop. The currency is the member's own (their country, else their
locale's territory) unless they type another ("12.50 EUR/day", "€12.50"); amounts are
shown with Babel in the member's locale. /sober and the private milestone congratulation
show what each counter saved so far; groups never see any of it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.kernel.context import Context
from bot.kernel.i18n import Translator
from bot.sobriety.model import days_since
from bot.sobriety.savings import (
    MoneyRate,
    SavingsInputError,
    TimeRate,
    default_currency,
    format_money,
    format_time_saved,
    money_saved,
    parse_money,
    parse_time,
    time_saved_minutes,
)
from storage.base import CounterRow
from storage.recovery_base import SavingsRow, SavingsUpdate

KINDS = ("money", "time")
OFF_WORDS = frozenset({"off", "none", "remove", "stop", "clear"})


def member_locale(ctx: Context) -> str:
    return ctx.member.date_locale or ctx.settings.community.date_locale


def member_country(ctx: Context) -> str | None:
    if ctx.member.country:
        return ctx.member.country
    if ctx.community is not None and ctx.community.country:
        return ctx.community.country
    return ctx.settings.community.country


def _split(text: str, counters: Sequence[CounterRow]) -> tuple[CounterRow | None, str]:
    """(counter, the rest) from "alcohol 12.50/day" or "12.50/day alcohol"; with one counter
    and no name, that counter. The longest name wins ("red wine" before "wine")."""
    low = " ".join(text.split()).casefold()
    for counter in sorted(counters, key=lambda c: -len(c.name)):
        name = counter.name
        if low == name:
            return counter, ""
        if low.startswith(name + " "):
            return counter, text.strip()[len(name) :].strip()
        if low.endswith(" " + name):
            return counter, text.strip()[: -len(name)].strip()
    if len(counters) == 1:
        return counters[0], text.strip()
    return None, text.strip()


async def set_rate(ctx: Context, kind: str, args: str) -> None:
    """/sober money … and /sober time …: set, show or clear a counter's rate."""
    counters = await ctx.store.sobriety.counters(ctx.member.id)
    if not counters:
        ctx.whisper(ctx.text("sober.none"))
        return
    counter, rest = _split(args, counters)
    if counter is None:
        names = ctx.tr.join(c.name for c in counters)
        example = f"/sober {kind} {counters[0].name} " + ctx.text(f"savings.example_{kind}")
        ctx.whisper(ctx.text("savings.which", names=names, example=example))
        return
    saved = (await ctx.store.recovery.savings(ctx.member.id)).get(counter.id)
    if not rest:
        ctx.whisper(_usage(ctx, kind, counter, saved))
        return
    if rest.casefold() in OFF_WORDS:
        change = (
            SavingsUpdate(money_rate=None) if kind == "money" else SavingsUpdate(time_rate=None)
        )
        await ctx.store.recovery.set_savings(counter.id, ctx.member.id, change, ctx.now_ts())
        ctx.whisper(ctx.text(f"savings.{kind}_off", name=counter.name))
        return
    locale = member_locale(ctx)
    try:
        if kind == "money":
            money = parse_money(rest, locale, country=member_country(ctx))
            change = SavingsUpdate(money_rate=money.to_storage())
            rate_text = rate_money(ctx.tr, money, locale)
        else:
            hours = parse_time(rest)
            change = SavingsUpdate(time_rate=hours.to_storage())
            rate_text = rate_time(ctx.tr, hours, locale)
    except SavingsInputError as exc:
        ctx.whisper(_problem(ctx, exc, rest) + "\n" + ctx.text(f"savings.usage_{kind}"))
        return
    except ValueError:  # a locale Babel doesn't know: the member's setting is at fault
        ctx.whisper(ctx.text("savings.bad_locale", locale=locale))
        return
    await ctx.store.recovery.set_savings(counter.id, ctx.member.id, change, ctx.now_ts())
    fresh = (await ctx.store.recovery.savings(ctx.member.id)).get(counter.id)
    text = ctx.text("savings.set", name=counter.name, rate=rate_text)
    so_far = saved_text(ctx.tr, fresh, counter_days(counter, ctx.now()), locale)
    if so_far:
        text += "\n" + ctx.text("savings.so_far", saved=so_far)
    if not ctx.in_private:
        text += "\n\n" + ctx.text("sober.private_tip")
    ctx.whisper(text)


def _problem(ctx: Context, exc: SavingsInputError, typed: str) -> str:
    value = exc.detail or typed.strip()[:20]
    if exc.key == "savings.need_currency":
        return ctx.text(exc.key)
    if exc.key == "savings.unknown_currency":
        mine = default_currency(member_locale(ctx), member_country(ctx)) or "EUR"
        return ctx.text(exc.key, value=value[:20], default=mine)
    return ctx.text(exc.key, value=typed.strip()[:20])


def _usage(ctx: Context, kind: str, counter: CounterRow, saved: SavingsRow | None) -> str:
    locale = member_locale(ctx)
    current = None
    if saved is not None:
        if kind == "money" and saved.money_rate:
            current = rate_money(ctx.tr, MoneyRate.from_storage(saved.money_rate), locale)
        if kind == "time" and saved.time_rate:
            current = rate_time(ctx.tr, TimeRate.from_storage(saved.time_rate), locale)
    head = (
        ctx.text("savings.current", name=counter.name, rate=current)
        if current
        else ctx.text("savings.not_set", name=counter.name)
    )
    return head + "\n" + ctx.text(f"savings.usage_{kind}")


def rate_money(tr: Translator, rate: MoneyRate, locale: str) -> str:
    return tr(f"savings.per_{rate.period}", amount=format_money(rate.amount, rate.currency, locale))


def rate_time(tr: Translator, rate: TimeRate, locale: str) -> str:
    return tr(f"savings.per_{rate.period}", amount=format_time_saved(rate.minutes, locale))


def counter_days(counter: CounterRow, now: datetime) -> int:
    return days_since(counter.start_date, counter.tz, now)


def saved_text(tr: Translator, saved: SavingsRow | None, days: int, locale: str) -> str | None:
    """'$687.50 and 165 hours' saved over `days` whole days, or None without rates. A
    stored rate Harbor can no longer read is left out rather than failing the message."""
    if saved is None:
        return None
    parts: list[str] = []
    try:
        if saved.money_rate:
            money = MoneyRate.from_storage(saved.money_rate)
            parts.append(format_money(money_saved(money, days), money.currency, locale))
        if saved.time_rate:
            minutes = time_saved_minutes(TimeRate.from_storage(saved.time_rate), days)
            parts.append(format_time_saved(minutes, locale))
    except ValueError:
        return None
    return tr.join(parts) if parts else None


def status_suffix(ctx: Context, counter: CounterRow, saved: SavingsRow | None) -> str:
    """The line /sober adds under a counter with rates ("" without)."""
    text = saved_text(ctx.tr, saved, counter_days(counter, ctx.now()), member_locale(ctx))
    return "\n" + ctx.text("savings.so_far", saved=text) if text else ""
