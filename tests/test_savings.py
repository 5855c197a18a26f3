from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from bot.common.dates import InputError
from bot.sobriety.savings import (
    MoneyRate,
    Period,
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

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("text", "locale", "expected"),
    [
        ("12.50/day", "en_US", MoneyRate(Decimal("12.50"), "USD")),
        ("12,50/day", "de_DE", MoneyRate(Decimal("12.50"), "EUR")),
        ("12,50 €/Tag", "de_DE", MoneyRate(Decimal("12.50"), "EUR")),
        ("12,50 Euro am Tag", "de_DE", MoneyRate(Decimal("12.50"), "EUR")),
        ("12.50", "de_DE", MoneyRate(Decimal("12.50"), "EUR")),  # nobody groups two digits
        ("€12.50/day", "en_US", MoneyRate(Decimal("12.50"), "EUR")),
        ("12.50 EUR/day", "en_US", MoneyRate(Decimal("12.50"), "EUR")),
        ("12.50 eur per day", "en_US", MoneyRate(Decimal("12.50"), "EUR")),
        ("USD 12.50 a day", "de_DE", MoneyRate(Decimal("12.50"), "USD")),
        ("£8 daily", "en_US", MoneyRate(Decimal("8"), "GBP")),
        ("20/week", "en_GB", MoneyRate(Decimal("20"), "GBP", Period.WEEK)),
        ("300 a month", "en_US", MoneyRate(Decimal("300"), "USD", Period.MONTH)),
        ("1,250/day", "en_US", MoneyRate(Decimal("1250"), "USD")),
        ("1,250/day", "de_DE", MoneyRate(Decimal("1.250"), "EUR")),
        ("1.250", "de_DE", MoneyRate(Decimal("1250"), "EUR")),
        ("1 237,50 € par jour", "fr_FR", MoneyRate(Decimal("1237.50"), "EUR")),
        ("1'237.50 CHF", "de_CH", MoneyRate(Decimal("1237.50"), "CHF")),
        ("1,234.56", "en_US", MoneyRate(Decimal("1234.56"), "USD")),
        ("1.234,56", "en_US", MoneyRate(Decimal("1234.56"), "USD")),  # both marks: last decides
        ("１２.５０", "en_US", MoneyRate(Decimal("12.50"), "USD")),  # full-width digits
        ("$5", "en_CA", MoneyRate(Decimal("5"), "CAD")),  # "$" is the member's own dollar
        ("$5", "es_MX", MoneyRate(Decimal("5"), "MXN")),
        ("$5", "de_DE", MoneyRate(Decimal("5"), "USD")),
        ("¥500", "zh_CN", MoneyRate(Decimal("500"), "CNY")),
        ("¥500", "en_US", MoneyRate(Decimal("500"), "JPY")),
        ("50 kr", "sv_SE", MoneyRate(Decimal("50"), "SEK")),
        ("R 50", "en_ZA", MoneyRate(Decimal("50"), "ZAR")),
        ("3 pesos", "es_MX", MoneyRate(Decimal("3"), "MXN")),
        ("10 dollars a day", "en_AU", MoneyRate(Decimal("10"), "AUD")),
        ("12.50", "en", MoneyRate(Decimal("12.50"), "USD")),  # language only: likely territory
    ],
)
def test_parse_money(text: str, locale: str, expected: MoneyRate) -> None:
    assert parse_money(text, locale) == expected


def test_country_overrides_the_locale_currency() -> None:
    assert parse_money("12.50", "en_US", country="GB").currency == "GBP"
    assert parse_money("12.50 USD", "en_US", country="GB").currency == "USD"
    assert default_currency("en_US", "IE") == "EUR"


def test_week_rate_converts_per_day_but_whole_weeks_stay_exact() -> None:
    rate = parse_money("20/week", "en_US")
    assert rate.per_day == Decimal(20) / 7
    assert money_saved(rate, 7) == Decimal("20.00")
    assert money_saved(rate, 700) == Decimal("2000.00")
    assert money_saved(rate, 1) == Decimal("2.86")


@pytest.mark.parametrize(
    ("text", "locale", "key", "detail"),
    [
        ("-5/day", "en_US", "savings.negative", "-5/day"),
        ("−5 EUR", "en_US", "savings.negative", "−5 EUR"),  # U+2212 minus
        ("€-5", "en_US", "savings.negative", "€-5"),
        ("–5", "en_US", "savings.negative", "–5"),  # en dash, as phones autocorrect
        ("0/day", "en_US", "savings.zero", "0/day"),
        ("0,00 €", "de_DE", "savings.zero", "0,00 €"),
        ("20000/day", "en_US", "savings.too_much", "10000 USD"),
        ("1000000 USD a week", "en_US", "savings.too_much", "10000 USD"),
        ("5 XYZ", "en_US", "savings.unknown_currency", "XYZ"),
        ("5 kr", "en_US", "savings.unknown_currency", "kr"),  # Swedish, Danish, Norwegian?
        ("5 doubloons", "en_US", "savings.unknown_currency", "doubloons"),
        ("hello", "en_US", "savings.unreadable", "hello"),
        ("", "en_US", "savings.unreadable", ""),
        ("12-15", "en_US", "savings.unreadable", "12-15"),  # a range, not a negative
        ("12.5.0", "en_US", "savings.unreadable", "12.5.0"),
        ("1,2,3", "en_US", "savings.unreadable", "1,2,3"),
        ("USD 5 EUR", "en_US", "savings.unreadable", "USD 5 EUR"),
        ("5 and 6", "en_US", "savings.unreadable", "5 and 6"),
        ("50/fortnight", "en_US", "savings.unreadable", "50/fortnight"),
    ],
)
def test_parse_money_errors(text: str, locale: str, key: str, detail: str) -> None:
    with pytest.raises(SavingsInputError) as err:
        parse_money(text, locale)
    assert (err.value.key, err.value.detail) == (key, detail)
    assert isinstance(err.value, InputError)  # one except clause catches every input error


def test_absurd_is_scaled_for_small_unit_currencies() -> None:
    assert parse_money("20000 JPY", "en_US").amount == 20000  # about a normal dinner
    with pytest.raises(SavingsInputError, match="too_much"):
        parse_money("2000000 JPY", "en_US")


def test_very_long_input_is_refused_cheaply_with_a_short_detail() -> None:
    with pytest.raises(SavingsInputError) as err:
        parse_money("1" * 2000, "en_US")
    assert err.value.key == "savings.unreadable"
    assert len(err.value.detail) <= 20


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3h/day", TimeRate(180)),
        ("90m/day", TimeRate(90)),
        ("3 hours a day", TimeRate(180)),
        ("1.5h", TimeRate(90)),
        ("1,5 h", TimeRate(90)),
        ("1h30", TimeRate(90)),
        ("1h 30m", TimeRate(90)),
        ("1 hour and 30 minutes", TimeRate(90)),
        ("1:30/day", TimeRate(90)),
        ("45 min daily", TimeRate(45)),
        ("2,5 Stunden am Tag", TimeRate(150)),
        ("10h/week", TimeRate(600, Period.WEEK)),
        ("24h/day", TimeRate(1440)),
    ],
)
def test_parse_time(text: str, expected: TimeRate) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("25h/day", "savings.time_too_much"),
        ("200h a week", "savings.time_too_much"),
        ("0h", "savings.zero"),
        ("0.001h", "savings.zero"),  # rounds to no minutes at all
        ("-3h", "savings.negative"),
        ("3", "savings.unreadable"),  # hours or minutes?
        ("3 parsecs", "savings.unreadable"),
        ("1h75", "savings.unreadable"),
        ("1:75", "savings.unreadable"),
    ],
)
def test_parse_time_errors(text: str, key: str) -> None:
    with pytest.raises(SavingsInputError) as err:
        parse_time(text)
    assert err.value.key == key


def test_totals_and_formatting() -> None:
    usd = parse_money("12.50/day", "en_US")
    assert money_saved(usd, 99) == Decimal("1237.50")
    assert format_money(money_saved(usd, 99), "USD", "en_US") == "$1,237.50"
    eur = parse_money("12,50/day", "de_DE")
    assert format_money(money_saved(eur, 99), "EUR", "de_DE") == f"1.237,50{NBSP}€"
    assert money_saved(usd, 0) == Decimal("0.00")
    assert money_saved(parse_money("500 JPY", "en_US"), 3) == Decimal(1500)  # no minor unit
    with pytest.raises(ValueError):
        money_saved(usd, -1)


@pytest.mark.parametrize(
    ("minutes", "locale", "expected"),
    [
        (412 * 60 + 59, "en_US", "412 hours"),  # rounded down: never overstate
        (150, "en_US", "2.5 hours"),
        (60, "en_US", "1 hour"),
        (45, "en_US", "45 minutes"),
        (150, "de_DE", "2,5 Stunden"),
        (0, "en_US", "0 minutes"),
    ],
)
def test_format_time_saved(minutes: int, locale: str, expected: str) -> None:
    assert format_time_saved(minutes, locale) == expected


def test_time_saved_rounds_down() -> None:
    assert time_saved_minutes(parse_time("3h/day"), 10) == 1800
    assert time_saved_minutes(parse_time("10h/week"), 1) == 85
    assert time_saved_minutes(parse_time("10h/week"), 7) == 600


def test_storage_round_trip() -> None:
    for rate in (
        MoneyRate(Decimal("12.555"), "BHD", Period.WEEK),
        MoneyRate(Decimal("1.250"), "EUR"),  # would read as 1250 in a de_DE sentence
    ):
        assert MoneyRate.from_storage(rate.to_storage()) == rate
    assert TimeRate.from_storage("180m/day") == TimeRate(180)
    assert parse_time(TimeRate(600, Period.WEEK).to_storage()) == TimeRate(600, Period.WEEK)
    for bad in ("", "12.50", "NaN EUR/day", "-1 EUR/day", "1 EUR/year"):
        with pytest.raises(ValueError):
            MoneyRate.from_storage(bad)
    for bad in ("", "0m/day", "3h/day", "١٢m/day"):
        with pytest.raises(ValueError):
            TimeRate.from_storage(bad)


@given(
    amount=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(9999), places=2),
    locale=st.sampled_from(["en_US", "de_DE", "fr_FR", "de_CH", "en_IN", "pt_BR", "es_MX"]),
)
def test_the_locales_own_number_format_reads_back(amount: Decimal, locale: str) -> None:
    # Whatever Babel writes for a locale (grouping and all), a member of that locale may type.
    typed = format_decimal(amount, locale=locale)
    assert parse_money(typed, locale).amount == amount
