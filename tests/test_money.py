"""Money and percentages are exact Decimals from typing to printing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from projledger.core.money import (
    NumberInputError,
    format_money,
    format_money_form,
    format_percent,
    format_signed,
    parse_money,
    parse_percent,
    ratio_percent,
)


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("3,540,000", Decimal("3540000.00")),
        ("1250000.50", Decimal("1250000.50")),
        ("๑,๒๕๐", Decimal("1250.00")),
        ("0", Decimal("0.00")),
        ("12 บาท", Decimal("12.00")),
        ("0.10", Decimal("0.10")),
    ],
)
def test_parse_money(typed: str, amount: Decimal) -> None:
    assert parse_money(typed) == amount
    assert parse_money(typed).as_tuple().exponent == -2


@pytest.mark.parametrize("typed", ["abc", "-5", "1.005", "1,23,000", "1e3", "", "nan", "inf"])
def test_parse_money_refuses(typed: str) -> None:
    with pytest.raises(NumberInputError):
        parse_money(typed)


def test_parse_percent() -> None:
    assert parse_percent("45") == Decimal(45)
    assert parse_percent("๔๕.๕%") == Decimal("45.5")
    for bad in ("abc", "nan", "inf", ""):
        with pytest.raises(NumberInputError):
            parse_percent(bad)


def test_formats() -> None:
    assert format_money(Decimal("3540000")) == "3,540,000.00"
    assert format_money(None) == ""
    assert format_money_form(Decimal("3540000.0")) == "3,540,000"
    assert format_money_form(Decimal("1250.5")) == "1,250.50"
    assert format_percent(Decimal("35.59670781893004")) == "35.60"
    assert format_signed(Decimal("14.4032")) == "+14.40"
    assert format_signed(Decimal("-3")) == "-3.00"
    assert ratio_percent(Decimal(1), Decimal(0)) is None
    assert ratio_percent(Decimal(50), Decimal(200)) == Decimal(25)


def test_parse_whole() -> None:
    from projledger.core.money import parse_whole

    assert parse_whole("12") == 12
    assert parse_whole(" ๒๕๖๗ ", 2400) == 2567
    for bad, minimum in (("-1", 0), ("1.5", 0), ("99", 2400), ("9" * 10, 0), ("", 0), ("١٢", 0)):
        with pytest.raises(NumberInputError):
            parse_whole(bad, minimum)


@pytest.mark.parametrize("typed", ["-0", "-0.00", "-๐", "-0,000"])
def test_minus_zero_is_zero_to_every_parser(typed: str) -> None:
    """`--progress -0` was taken (as Decimal('-0')) and `--disbursed -0` refused as negative: one
    rule now, in the one place numbers are read: a minus before zero is no sign."""
    from projledger.core.money import parse_decimal, parse_whole

    for parse in (parse_money, parse_percent, parse_decimal):
        try:
            value = parse(typed)
        except NumberInputError:  # a form the parser never takes ("0,000" is no percentage)
            assert parse is not parse_money and "," in typed
            continue
        assert value == 0 and not value.is_signed(), (parse.__name__, value)
    if typed in ("-0", "-๐"):  # a count or a number typed so
        assert parse_whole(typed) == 0


@pytest.mark.parametrize("typed", ["-0.01", "--0", "-1"])
def test_a_minus_before_a_number_other_than_zero_is_still_negative(typed: str) -> None:
    with pytest.raises(NumberInputError, match="cannot be negative"):
        parse_money(typed)
