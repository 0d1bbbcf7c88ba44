"""Money and percentages: read exactly, written with two decimals.

Baht are ``Decimal`` from the file to the screen, never binary floats. People type money as
``3,540,000`` or ``1250000.50`` (Thai digits too); tables show ``3,540,000.00``.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .calendar import ascii_digits
from .i18n import _

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

_GROUPED = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
_PLAIN = re.compile(r"[0-9]+(\.[0-9]+)?")
_PERCENT = re.compile(r"[+-]?[0-9]{1,6}(\.[0-9]{1,12})?")


class NumberInputError(ValueError):
    """A typed amount or percentage that cannot be read; the message says why."""


def _unsigned_zero(value: str) -> str:
    """``-0`` (``-0.00``, ``-๐``) is 0 to every parser here: a minus before zero is no sign."""
    return value[1:] if value.startswith("-") and not value[1:].strip("0.,") else value


def parse_money(text: str) -> Decimal:
    """``3,540,000`` / ``1250000.50`` / ``๑,๒๕๐`` to an exact Decimal of at most 2 decimals."""
    raw = text.strip()
    value = _unsigned_zero(ascii_digits(raw).replace(" ", "").removesuffix("บาท").strip())
    if value.startswith("-"):
        raise NumberInputError(_("'{raw}': an amount of money cannot be negative").format(raw=raw))
    if not (_GROUPED.fullmatch(value) or _PLAIN.fullmatch(value)):
        message = _("'{raw}' is not an amount of baht: write 3,540,000 or 1250000.50")
        raise NumberInputError(message.format(raw=raw))
    amount = Decimal(value.replace(",", ""))
    try:
        exact = amount.quantize(CENT)
    except InvalidOperation:  # more digits than Decimal's precision: no budget is that large
        raise NumberInputError(_("'{raw}' is too large an amount of baht").format(raw=raw)) from None
    if amount != exact:
        raise NumberInputError(_("'{raw}': baht take at most 2 decimals (satang)").format(raw=raw))
    return exact


def parse_percent(text: str) -> Decimal:
    """``45`` / ``45.5`` / ``45%`` / ``๔๕`` to a Decimal; the 0-100 range is a rule, not parsing."""
    raw = text.strip()
    value = _unsigned_zero(ascii_digits(raw).replace(" ", "").removesuffix("%"))
    # Plain decimals only: no exponent (1e999999 overflows every later sum), nan or inf.
    if not _PERCENT.fullmatch(value):
        message = _("'{raw}' is not a percentage: write a number such as 45 or 45.5")
        raise NumberInputError(message.format(raw=raw))
    return Decimal(value)


def parse_decimal(text: str) -> Decimal:
    """``2,419.97`` / ``94.73`` / ``71.85%`` / ``๑๐๐`` to the exact Decimal written (``45.00`` stays
    ``45.00``): a measured value of any unit. Never negative, never an exponent, nan or inf."""
    raw = text.strip()
    value = _unsigned_zero(ascii_digits(raw).replace(" ", "").removesuffix("%"))  # "%": as Excel's CSV has it
    if not (_GROUPED.fullmatch(value) or _PLAIN.fullmatch(value)) or len(value) > 30:
        raise NumberInputError(_("'{raw}' is not a number: write 2,419.97 or 94.73").format(raw=raw))
    return Decimal(value.replace(",", ""))


def typed_number(value: Decimal) -> Decimal | int:
    """A KPI's figure (target, baseline, result) or a score as stored: as the clerk typed it.

    Typed without a point (``2300``) it is an integer (``target = 2300``); typed with one it is
    the exact decimal typed (``94.73``, ``2250.50``, ``100.0``), never an exponent. The one rule
    for every command and import that writes these figures (``new --kind kpi``, ``add-result``,
    ``add-evaluation``, the quarterly sheet, the KPI page's import). Money and a report's
    progress are not such figures: ``quantize_money`` and ``percent_value`` write them.
    """
    if not value.is_finite():
        return value  # never typed: the number parsers refuse it; the rules name it if it comes
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:
        return int(value)
    return value


def parse_whole(text: str, minimum: int = 0) -> int:
    """``12`` / ``๑๒`` to an int of at least ``minimum``: a report number, a count, a year.

    At most 9 digits: ``int()`` of thousands of digits raises, and no count or year is that long.
    """
    raw = text.strip()
    digits = _unsigned_zero(ascii_digits(raw))
    if not (digits.isascii() and digits.isdigit() and len(digits) <= 9) or int(digits) < minimum:
        message = _("'{raw}' is not a whole number of at least {least}")
        raise NumberInputError(message.format(raw=raw, least=minimum))
    return int(digits)


def quantize_money(amount: Decimal) -> Decimal:
    """Two decimals exactly, so tomli-w writes ``0.00``, never ``0E+2``."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(amount: Decimal | None) -> str:
    """``3,540,000.00``; an empty string for an unknown amount."""
    return "" if amount is None else f"{quantize_money(amount):,.2f}"


def format_money_form(amount: Decimal) -> str:
    """The printout's style: ``3,540,000`` with satang only when there are some."""
    amount = quantize_money(amount)
    return f"{amount:,.0f}" if amount == amount.to_integral_value() else f"{amount:,.2f}"


def format_percent(value: Decimal | None) -> str:
    """``10.00``; empty for unknown."""
    return "" if value is None else f"{value.quantize(CENT, rounding=ROUND_HALF_UP):.2f}"


def format_signed(value: Decimal | None) -> str:
    """``+14.40`` / ``-3.00``: a variance, where the sign is the news."""
    return "" if value is None else f"{value.quantize(CENT, rounding=ROUND_HALF_UP):+.2f}"


def ratio_percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """``part`` as a percentage of ``whole``; None when ``whole`` is zero (no budget)."""
    return None if whole == 0 else part * HUNDRED / whole
