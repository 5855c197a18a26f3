"""Money and time a member no longer spends, per clean-time counter.

Members type a rate ("12.50/day", "12,50 €/Tag", "USD 12.50 a day", "20/week", "3h/day",
"90m/day", "1.5h"); a rate with no period is per day. The rate keeps the period it was typed
in, so "20/week" over 7 days is exactly 20, not 7 x 2.857142…; a month is 365.2425 / 12 days.
Money without a currency takes the member's territory currency (Babel's CLDR data).

Errors are SavingsInputError with a message-catalog `key` and a short `detail`:
savings.unreadable, savings.negative, savings.zero, savings.too_much, savings.time_too_much,
savings.unknown_currency, savings.need_currency.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import (
    format_currency,
    get_currency_name,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_territory_currencies,
    list_currencies,
)
from babel.units import format_unit

from bot.common.dates import InputError

__all__ = [
    "ERROR_KEYS",
    "MAX_MINUTES_PER_DAY",
    "MAX_MONEY_PER_DAY",
    "MoneyRate",
    "Period",
    "SavingsInputError",
    "TimeRate",
    "default_currency",
    "format_money",
    "format_time_saved",
    "money_saved",
    "parse_money",
    "parse_time",
    "time_saved_minutes",
]

MAX_MONEY_PER_DAY = Decimal(10_000)  # in major units of a "dollar-sized" currency
MAX_MINUTES_PER_DAY = 24 * 60
ERROR_KEYS = (
    "savings.unreadable",
    "savings.negative",
    "savings.zero",
    "savings.too_much",
    "savings.time_too_much",
    "savings.unknown_currency",
    "savings.need_currency",
)
_MAX_INPUT = 80  # longer than any real rate; also bounds the regex work


class SavingsInputError(InputError):
    """Bad savings input; `key` names the message, `detail` is short and safe to echo."""

    def __init__(self, key: str, detail: str = "") -> None:
        super().__init__(key, detail)
        self.detail = detail


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"

    @property
    def days(self) -> Decimal:
        return _PERIOD_DAYS[self]


# Gregorian average month, so twelve months make a year however the days fall.
_PERIOD_DAYS = {Period.DAY: Decimal(1), Period.WEEK: Decimal(7), Period.MONTH: Decimal("30.436875")}


@dataclass(frozen=True, slots=True)
class MoneyRate:
    amount: Decimal  # per `period`, as typed (never negative or zero)
    currency: str  # ISO 4217 code
    period: Period = Period.DAY

    @property
    def per_day(self) -> Decimal:
        return self.amount / self.period.days

    def to_storage(self) -> str:
        """Locale-free text, e.g. "12.50 EUR/day"; from_storage reads it back exactly."""
        return f"{self.amount} {self.currency}/{self.period}"

    @classmethod
    def from_storage(cls, text: str) -> MoneyRate:
        """The rate to_storage wrote (strict: ValueError on anything else)."""
        amount, _, rest = text.partition(" ")
        currency, _, period = rest.partition("/")
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise ValueError(f"not a stored money rate: {text!r}") from None
        if not value.is_finite() or value <= 0 or len(currency) != 3:
            raise ValueError(f"not a stored money rate: {text!r}")
        return cls(value, currency, Period(period))


@dataclass(frozen=True, slots=True)
class TimeRate:
    minutes: int  # per `period` (never zero)
    period: Period = Period.DAY

    @property
    def minutes_per_day(self) -> Decimal:
        return Decimal(self.minutes) / self.period.days

    def to_storage(self) -> str:
        """E.g. "180m/day"; from_storage reads it back exactly (parse_time does too)."""
        return f"{self.minutes}m/{self.period}"

    @classmethod
    def from_storage(cls, text: str) -> TimeRate:
        """The rate to_storage wrote (strict: ValueError on anything else)."""
        minutes, sep, period = text.partition("m/")
        if not sep or not minutes.isascii() or not minutes.isdigit() or int(minutes) == 0:
            raise ValueError(f"not a stored time rate: {text!r}")
        return cls(int(minutes), Period(period))


# ---- periods ---------------------------------------------------------------------------------

_PERIOD_WORDS: dict[str, Period] = {}
for _period, _words in (
    (Period.DAY, "day days d tag jour j día dia giorno dag"),
    (Period.WEEK, "week weeks wk w woche semaine sem semana settimana"),
    (Period.MONTH, "month months mo mon monat mois mes mese"),
):
    for _word in _words.split():
        _PERIOD_WORDS[_word] = _period
_PERIOD_ADVERBS = {
    "daily": Period.DAY, "täglich": Period.DAY, "diario": Period.DAY,
    "weekly": Period.WEEK, "wöchentlich": Period.WEEK, "semanal": Period.WEEK,
    "monthly": Period.MONTH, "monatlich": Period.MONTH, "mensual": Period.MONTH,
}  # fmt: skip
_PERIOD = re.compile(
    r"""(?:
        (?:/|\b(?:per|a|an|each|every|pro|par|por|al|am|im|in\ der|a\ la)\s)\s*(?P<unit>[^\W\d_]+)
      | \b(?P<adverb>[^\W\d_]+)
    )\s*$""",
    re.VERBOSE,
)


def _split_period(text: str) -> tuple[str, Period]:
    """("12.50 eur", DAY) from "12.50 eur a day"; no period means per day."""
    match = _PERIOD.search(text)
    if match is not None:
        if match["unit"] is not None and match["unit"] in _PERIOD_WORDS:
            return text[: match.start()].strip(), _PERIOD_WORDS[match["unit"]]
        if match["adverb"] is not None and match["adverb"] in _PERIOD_ADVERBS:
            return text[: match.start()].strip(), _PERIOD_ADVERBS[match["adverb"]]
        if match["unit"] is not None:  # "/fortnight", "a year": a period we don't take
            raise SavingsInputError("savings.unreadable", text[:20])
    return text, Period.DAY


def _normalise(text: str) -> str:
    # NFKC turns full-width digits and no-break spaces into plain ones; casefold for words.
    cleaned = " ".join(unicodedata.normalize("NFKC", text).split()).casefold()
    if not cleaned or len(cleaned) > _MAX_INPUT:
        raise SavingsInputError("savings.unreadable", text.strip()[:20])
    return cleaned


# A minus not between digits: "-5", "€-5", "− 5 EUR"; "12-15" is a range, so unreadable.
_MINUS = re.compile(r"(?<!\d)[-−–](?=\s*[^\W\d_]{0,4}\s*\d)")


def _reject_negative(text: str, original: str) -> None:
    if _MINUS.search(text):
        raise SavingsInputError("savings.negative", original.strip()[:20])


# ---- numbers ---------------------------------------------------------------------------------

_NUMBER = re.compile(r"\d(?:[\d.,'’ ]*\d)?")


def _parse_number(raw: str, locale: Locale, original: str) -> Decimal:
    """A number with "." or "," as its decimal mark. When only one mark appears, once, it is
    the decimal mark unless exactly three digits follow and the locale's decimal mark is the
    other one: "1,250" is 1250 in en_US and 1.25 in de_DE, but "12.50" is 12.5 in both,
    because nobody groups two digits. Spaces and apostrophes group thousands (fr, de_CH)."""
    digits = raw.replace(" ", "").replace("'", "").replace("’", "")
    kinds = {c for c in digits if c in ".,"}
    point: str | None = None
    if len(kinds) == 2:
        point = digits[max(digits.rfind("."), digits.rfind(","))]
    elif len(kinds) == 1:
        (mark,) = kinds
        after = digits.rsplit(mark, 1)[1]
        grouping = digits.count(mark) > 1 or (
            len(after) == 3 and mark != get_decimal_symbol(locale)
        )
        point = None if grouping else mark
    whole, fraction = digits.rsplit(point, 1) if point else (digits, "")
    groups = re.split(r"[.,]", whole)
    # Lenient grouping (Indian "1,23,456" too), but the last group is always three digits.
    if len(groups) > 1 and (len(groups[-1]) != 3 or any(not 1 <= len(g) <= 3 for g in groups[:-1])):
        raise SavingsInputError("savings.unreadable", original.strip()[:20])
    whole = "".join(groups)
    if not whole.isdigit() or not (fraction.isdigit() or not fraction):
        raise SavingsInputError("savings.unreadable", original.strip()[:20])
    return Decimal(f"{whole}.{fraction}" if fraction else whole)


# ---- currencies ------------------------------------------------------------------------------

# Symbols that name one currency wherever they are typed; "$", "¥", "kr" and the like are
# resolved against the member's own currency first (see _resolve_currency).
_SYMBOLS = {
    "€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "₽": "RUB", "₺": "TRY", "₪": "ILS",
    "₴": "UAH", "₱": "PHP", "₦": "NGN", "₫": "VND", "฿": "THB", "₸": "KZT", "₾": "GEL",
    "zł": "PLN", "kč": "CZK", "ft": "HUF", "lei": "RON", "r$": "BRL", "us$": "USD",
    "c$": "CAD", "ca$": "CAD", "a$": "AUD", "au$": "AUD", "nz$": "NZD", "hk$": "HKD",
    "s$": "SGD", "mx$": "MXN", "fr.": "CHF", "sfr": "CHF",
}  # fmt: skip
# Shared symbols and words: the member's currency if it is one of these, else the default.
_SHARED: dict[str, tuple[frozenset[str], str | None]] = {
    "$": (frozenset({"USD", "CAD", "AUD", "NZD", "MXN", "SGD", "HKD", "ARS", "CLP", "COP"}), "USD"),
    "¥": (frozenset({"JPY", "CNY"}), "JPY"),
    "kr": (frozenset({"SEK", "NOK", "DKK", "ISK"}), None),
    "dollar": (frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD"}), "USD"),
    "dollars": (frozenset({"USD", "CAD", "AUD", "NZD", "SGD", "HKD"}), "USD"),
    "bucks": (frozenset({"USD", "CAD", "AUD", "NZD"}), "USD"),
    "euro": (frozenset(), "EUR"),
    "euros": (frozenset(), "EUR"),
    "pound": (frozenset({"GBP", "EGP"}), "GBP"),
    "pounds": (frozenset({"GBP", "EGP"}), "GBP"),
    "quid": (frozenset(), "GBP"),
    "yen": (frozenset(), "JPY"),
    "rupee": (frozenset({"INR", "PKR", "LKR", "NPR"}), "INR"),
    "rupees": (frozenset({"INR", "PKR", "LKR", "NPR"}), "INR"),
    "peso": (frozenset({"MXN", "ARS", "CLP", "COP", "PHP", "UYU", "DOP"}), None),
    "pesos": (frozenset({"MXN", "ARS", "CLP", "COP", "PHP", "UYU", "DOP"}), None),
}

# Rough orders of magnitude (not exchange rates) for currencies where 10,000 a day is an
# ordinary sum, so "absurd" means about the same everywhere.
_ABSURD_SCALE = {
    "JPY": 100, "HUF": 100, "ISK": 100, "KZT": 100, "AMD": 100, "LKR": 100, "XOF": 100,
    "XAF": 100, "KRW": 1000, "CLP": 1000, "COP": 1000, "NGN": 1000, "PYG": 1000,
    "UGX": 1000, "TZS": 1000, "MMK": 1000, "KHR": 1000, "RWF": 1000, "MGA": 1000,
    "GNF": 1000, "IDR": 10_000, "VND": 10_000, "LAK": 10_000, "UZS": 10_000,
    "LBP": 10_000, "SYP": 10_000, "IRR": 100_000,
}  # fmt: skip


def _locale(locale: str) -> Locale:
    try:
        return Locale.parse(locale.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"unknown locale {locale!r}") from None


def default_currency(locale: str, country: str | None = None) -> str | None:
    """The currency in use today in `country` (else the locale's territory, else the most
    likely territory for its language: "en" -> US); None when there is none."""
    loc = _locale(locale)
    territory = country or loc.territory
    if not territory:
        likely: str = get_global("likely_subtags").get(loc.language, "")
        territory = likely.rsplit("_", 1)[-1] if "_" in likely else None
    if not territory:
        return None
    currencies = get_territory_currencies(territory.upper(), tender=True)
    return currencies[0] if currencies else None


def _resolve_currency(token: str, loc: Locale, default: str | None) -> str:
    if not token:
        if default is None:
            raise SavingsInputError("savings.need_currency")
        return default
    code = token.upper()
    if len(code) == 3 and code.isalpha() and code in list_currencies():
        return code
    if token in _SYMBOLS:
        return _SYMBOLS[token]
    if default is not None and token in _own_names(default, loc):
        return default
    if token in _SHARED:
        family, fallback = _SHARED[token]
        if default in family:
            return default
        if fallback is not None:
            return fallback
    raise SavingsInputError("savings.unknown_currency", code if len(code) == 3 else token[:20])


def _own_names(currency: str, loc: Locale) -> set[str]:
    """How a member may write their own currency: its local symbol and names."""
    names = {get_currency_symbol(currency, loc)}
    for count in (1, 2):
        names.add(get_currency_name(currency, count, loc))
    return {unicodedata.normalize("NFKC", n).casefold() for n in names}


# ---- parsing ---------------------------------------------------------------------------------


def parse_money(text: str, locale: str, *, country: str | None = None) -> MoneyRate:
    """A money rate from what a member typed, e.g. "12.50/day", "12,50 €" (de_DE),
    "USD 12.50 a day", "20/week". `country` (ISO 3166 alpha-2) overrides the locale's
    territory for the default currency."""
    loc = _locale(locale)
    cleaned = _normalise(text)
    _reject_negative(cleaned, text)
    body, period = _split_period(cleaned)
    numbers = list(_NUMBER.finditer(body))
    if len(numbers) != 1:
        raise SavingsInputError("savings.unreadable", text.strip()[:20])
    number = numbers[0]
    before, after = body[: number.start()].strip(), body[number.end() :].strip()
    if before and after:
        raise SavingsInputError("savings.unreadable", text.strip()[:20])
    amount = _parse_number(number.group(), loc, text)
    currency = _resolve_currency(before or after, loc, default_currency(locale, country))
    if amount == 0:
        raise SavingsInputError("savings.zero", text.strip()[:20])
    per_day = amount / period.days
    limit = MAX_MONEY_PER_DAY * _ABSURD_SCALE.get(currency, 1)
    if per_day > limit:
        raise SavingsInputError("savings.too_much", f"{limit} {currency}")
    return MoneyRate(amount, currency, period)


_HOUR_WORDS = "h|hr|hrs|hour|hours|std|stunde|stunden|heure|heures|hora|horas|ora|ore"
_MINUTE_WORDS = "m|min|mins|minute|minutes|minuten|minuto|minutos|minuti"
_DURATION = re.compile(
    rf"""^(?:
        (?P<h>\d{{1,3}}(?:[.,]\d{{1,3}})?)\s*(?:{_HOUR_WORDS})(?![^\W\d_])\.?
        (?:\s*(?:and\s+)?(?P<hm>\d{{1,2}})\s*(?:(?:{_MINUTE_WORDS})(?![^\W\d_])\.?)?)?
      | (?P<m>\d{{1,5}})\s*(?:{_MINUTE_WORDS})(?![^\W\d_])\.?
      | (?P<ch>\d{{1,2}}):(?P<cm>\d{{2}})
    )$""",
    re.VERBOSE,
)


def parse_time(text: str) -> TimeRate:
    """A time rate from what a member typed, e.g. "3h/day", "90m/day", "3 hours a day",
    "1.5h", "1h30", "1:30/day", "10h/week". A bare number is refused: hours or minutes?"""
    cleaned = _normalise(text)
    _reject_negative(cleaned, text)
    body, period = _split_period(cleaned)
    match = _DURATION.match(body)
    if match is None:
        raise SavingsInputError("savings.unreadable", text.strip()[:20])
    if match["h"] is not None:
        extra = int(match["hm"] or 0)
        if extra > 59:
            raise SavingsInputError("savings.unreadable", text.strip()[:20])
        exact = Decimal(match["h"].replace(",", ".")) * 60 + extra
    elif match["m"] is not None:
        exact = Decimal(match["m"])
    else:
        if int(match["cm"]) > 59:
            raise SavingsInputError("savings.unreadable", text.strip()[:20])
        exact = Decimal(int(match["ch"]) * 60 + int(match["cm"]))
    minutes = int(exact.to_integral_value(ROUND_HALF_UP))
    if minutes == 0:
        raise SavingsInputError("savings.zero", text.strip()[:20])
    if Decimal(minutes) / period.days > MAX_MINUTES_PER_DAY:
        raise SavingsInputError("savings.time_too_much", "24h")
    return TimeRate(minutes, period)


# ---- totals and formatting -------------------------------------------------------------------


def money_saved(rate: MoneyRate, days: int) -> Decimal:
    """Money saved over `days` whole days, rounded to the currency's minor unit."""
    if days < 0:
        raise ValueError("days must not be negative")
    exact = rate.amount * days / rate.period.days
    return exact.quantize(Decimal(1).scaleb(-get_currency_precision(rate.currency)), ROUND_HALF_UP)


def time_saved_minutes(rate: TimeRate, days: int) -> int:
    """Whole minutes saved over `days` whole days (rounded down: never overstate)."""
    if days < 0:
        raise ValueError("days must not be negative")
    return int(Decimal(rate.minutes) * days / rate.period.days)


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    """E.g. "$1,237.50" (en_US), "1.237,50 €" (de_DE, with a no-break space)."""
    return format_currency(amount, currency, locale=_locale(locale))


def format_time_saved(minutes: int, locale: str) -> str:
    """ "45 minutes" under an hour, "2.5 hours" under ten, then whole hours ("412 hours");
    rounded down, so the bot never claims more than was saved."""
    loc = _locale(locale)
    if minutes < 60:
        return format_unit(minutes, "duration-minute", locale=loc)
    hours = Decimal(minutes) / 60
    if hours >= 10:
        return format_unit(int(hours), "duration-hour", locale=loc)
    tenth = hours.quantize(Decimal("0.1"), ROUND_DOWN)
    value: int | Decimal = int(tenth) if tenth == tenth.to_integral_value() else tenth
    return format_unit(value, "duration-hour", locale=loc)
