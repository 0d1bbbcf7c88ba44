"""The Thai calendar: Buddhist Era years, the fiscal year, and the date forms clerks type.

One home for every date rule of the spec:
- BE year = Gregorian year + 543.
- Fiscal year N (BE) runs 1 October of Gregorian N-544 to 30 September of N-543; fiscal
  month 1 is October and quarter 1 is October to December.
- People type dates as ``dd/mm/yyyy`` in BE (yyyy >= 2400), as ISO ``yyyy-mm-dd``, with Arabic
  or Thai digits (๐-๙); forms and tables show ``dd/mm/yyyy`` in BE.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from .i18n import _

BE_OFFSET = 543
#: Below this a four-digit year is Gregorian, from it on Buddhist Era (2400 BE = 1857 CE).
MIN_BE_YEAR = 2400

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_TO_ASCII = str.maketrans(THAI_DIGITS, "0123456789")

# [0-9], never \d: \d also matches Thai and other Unicode digits.
_BE_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_BE_MONTH = re.compile(r"([0-9]{1,2})/([0-9]{4})")
_ISO_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")

MONTHS_TH = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)  # fmt: skip
MONTHS_TH_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)  # fmt: skip


class DateInputError(ValueError):
    """A typed date or month that is not one of the accepted forms; the message says why."""


def ascii_digits(text: str) -> str:
    """Thai digits ๐-๙ turned into 0-9; everything else kept."""
    return text.translate(_TO_ASCII)


def to_be(year: int) -> int:
    return year + BE_OFFSET


def to_ce(be_year: int) -> int:
    return be_year - BE_OFFSET


def format_be(day: date) -> str:
    """``25/10/2564`` for 2021-10-25: the form's own way of writing a date."""
    return f"{day.day:02d}/{day.month:02d}/{to_be(day.year)}"


def format_month_be(year: int, month: int) -> str:
    """``10/2564`` for October 2021."""
    return f"{month:02d}/{to_be(year)}"


def parse_date(text: str) -> date:
    """Read a date as a clerk types it: ``25/10/2564``, ``๒๕/๑๐/๒๕๖๔`` or ``2021-10-25``.

    A slashed date must carry a BE year and an ISO date a Gregorian one: mixing them up is the
    commonest slip (``2565-09-27``), and silently shifting a date by 543 years is worse than
    refusing it. The message then says what to write, and only forms this function accepts:
    never a day that does not exist, never a year still on the wrong side of 2400.
    """
    raw = text.strip()
    value = ascii_digits(raw)
    if match := _BE_DATE.fullmatch(value):
        day, month, year = (int(g) for g in match.groups())
        if year < MIN_BE_YEAR:
            meant = _make_date(raw, year, month, day)  # the Gregorian day it would be
            forms = [f"{meant.year:04d}-{month:02d}-{day:02d}"]
            if to_be(year) >= MIN_BE_YEAR:
                forms.insert(0, f"{day:02d}/{month:02d}/{to_be(year)}")
            message = _("'{raw}': a dd/mm/yyyy date takes a Buddhist Era year (write {forms})")
            raise DateInputError(message.format(raw=raw, forms=_(", or ").join(forms)))
        return _make_date(raw, to_ce(year), month, day)
    if match := _ISO_DATE.fullmatch(value):
        year, month, day = (int(g) for g in match.groups())
        if year >= MIN_BE_YEAR:
            _make_date(raw, to_ce(year), month, day)  # a day that exists, read as BE
            forms = [f"{day:02d}/{month:02d}/{year}"]
            if to_ce(year) < MIN_BE_YEAR:
                forms.insert(0, f"{to_ce(year):04d}-{month:02d}-{day:02d}")
            message = _(
                "'{raw}': an ISO date takes a Gregorian year; {year} is a Buddhist Era year (write {forms})"
            )
            raise DateInputError(message.format(raw=raw, year=year, forms=_(" or ").join(forms)))
        return _make_date(raw, year, month, day)
    message = _("'{raw}' is not a date: write dd/mm/yyyy in BE (25/10/2564) or ISO (2021-10-25)")
    raise DateInputError(message.format(raw=raw))


class AmbiguousDateError(DateInputError):
    """A printed date that reads as two different days (``1/2/2021``): refused, never guessed."""


def parse_printed_date(text: str) -> date:
    """A date as the old BMA system prints it on its pages, read exactly.

    ``28/10/2563``: a Buddhist Era year (>= 2400) is Thai, day first. ``1/31/2021``: a Gregorian
    year is the system's own month-first way. A Gregorian date whose two parts are both 12 or
    less and differ (``1/2/2021``: 2 January or 1 February) could be either: it raises
    ``AmbiguousDateError`` rather than pick one. ``2021-01-31`` and Thai digits are read too.
    """
    raw = text.strip()
    value = ascii_digits(raw)
    match = _BE_DATE.fullmatch(value)
    if match is None or int(match.group(3)) >= MIN_BE_YEAR:
        return parse_date(raw)
    first, second, year = (int(g) for g in match.groups())
    if first <= 12 and second <= 12 and first != second:
        message = _(
            "'{raw}' could be {first} or {second}: the page does not say which; "
            "write it as dd/mm/yyyy in BE or as yyyy-mm-dd"
        )
        one, other = _make_date(raw, year, first, second), _make_date(raw, year, second, first)
        raise AmbiguousDateError(message.format(raw=raw, first=one.isoformat(), second=other.isoformat()))
    return _make_date(raw, year, first, second)


def date_style(text: str) -> str:
    """How a person typed a date ``parse_date`` accepted: ``"iso"`` for ``2021-10-25``, else
    ``"be"`` (``25/10/2564``, Thai digits too)."""
    return "iso" if _ISO_DATE.fullmatch(ascii_digits(text.strip())) else "be"


class CheckDay(date):
    """The day of a check, with how the person at the keyboard wrote dates, so a message about
    it reads the way they typed it: ``style`` ``"be"`` (the form's dd/mm/yyyy BE, the default)
    or ``"iso"``; ``given``: the day was given (``--as-of``), so messages call it "the day of
    the check", not "today". Equal to (and hashed as) the plain date of the same day."""

    style: str = "be"
    given: bool = False

    def __reduce__(self) -> tuple[object, ...]:  # keep the words across a worker's pickle
        return (_check_day, (self.toordinal(), self.style, self.given))


def _check_day(ordinal: int, style: str, given: bool) -> CheckDay:
    return check_day(date.fromordinal(ordinal), style=style, given=given)


def check_day(day: date, *, style: str = "be", given: bool = False) -> CheckDay:
    """``day`` as the day of a check (see ``CheckDay``)."""
    made = CheckDay(day.year, day.month, day.day)
    made.style = style
    made.given = given
    return made


def show_day(day: date, as_of: date | None = None) -> str:
    """A date in a message, the way the person wrote dates (``as_of``'s style, a ``CheckDay``):
    ISO ``2021-10-25`` when they typed ISO, else the form's ``25/10/2564``."""
    return day.isoformat() if getattr(as_of, "style", "be") == "iso" else format_be(day)


def show_month(year: int, month: int, as_of: date | None = None) -> str:
    """A month in a message, as ``show_day`` shows a day: ``2021-10`` or ``10/2564``."""
    if getattr(as_of, "style", "be") == "iso":
        return f"{year:04d}-{month:02d}"
    return format_month_be(year, month)


def day_of_check_words(as_of: date) -> str:
    """What a message calls the day of the check: "the day of the check (...)" when one was
    given, else "today (...)", its date shown as ``show_day`` shows it."""
    name = _("the day of the check") if getattr(as_of, "given", False) else _("today")
    return f"{name} ({show_day(as_of, as_of)})"


def is_plain_wording(day: date) -> bool:
    """Whether messages naming ``day`` read as they do with no day given and dates in BE."""
    return not getattr(day, "given", False) and getattr(day, "style", "be") == "be"


def parse_fiscal_year(text: str) -> int:
    """A fiscal year as a clerk types it: BE, Thai digits allowed (``2567``, ``๒๕๖๗``).

    A Gregorian year is the commonest slip: ``2024`` is refused with the BE year meant, that
    of the fiscal year ending in it (FY 2567 runs October 2023 to September 2024, so 2567).
    """
    raw = text.strip()
    digits = ascii_digits(raw)
    if digits.isascii() and digits.isdigit() and len(digits) <= 9:
        year = int(digits)
        if year >= MIN_BE_YEAR:
            return year
        if to_be(year) >= MIN_BE_YEAR:
            message = _("'{raw}': fiscal years are Buddhist Era: did you mean {year}?")
            raise DateInputError(message.format(raw=raw, year=to_be(year)))
    message = _("'{raw}' is not a whole number of at least {least}")
    raise DateInputError(message.format(raw=raw, least=MIN_BE_YEAR))


def parse_month(text: str) -> tuple[int, int]:
    """Read a month as ``10/2567`` (BE) or ``2024-10`` (ISO); returns (Gregorian year, month).
    Like ``parse_date``, a message suggests only what this function accepts."""
    raw = text.strip()
    value = ascii_digits(raw)
    if be := _BE_MONTH.fullmatch(value):
        month, year = int(be.group(1)), int(be.group(2))
    elif iso := _ISO_MONTH.fullmatch(value):
        year, month = int(iso.group(1)), int(iso.group(2))
    else:
        message = _("'{raw}' is not a month: write mm/yyyy in BE (10/2567) or ISO (2024-10)")
        raise DateInputError(message.format(raw=raw))
    if not 1 <= month <= 12:
        raise DateInputError(_("'{raw}': there is no month {month}").format(raw=raw, month=month))
    if year < 1:
        raise DateInputError(_("'{raw}': there is no year {year}").format(raw=raw, year=year))
    if be and year < MIN_BE_YEAR:
        better = f"{month:02d}/{to_be(year)}" if to_be(year) >= MIN_BE_YEAR else f"{year:04d}-{month:02d}"
        message = _("'{raw}': mm/yyyy takes a Buddhist Era year (write {better})")
        raise DateInputError(message.format(raw=raw, better=better))
    if not be and year >= MIN_BE_YEAR:
        better = f"{to_ce(year):04d}-{month:02d}" if to_ce(year) < MIN_BE_YEAR else f"{month:02d}/{year}"
        message = _("'{raw}': yyyy-mm takes a Gregorian year (write {better})")
        raise DateInputError(message.format(raw=raw, better=better))
    return (to_ce(year) if be else year), month


def _make_date(raw: str, year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateInputError(_("'{raw}' is not a day of the calendar").format(raw=raw)) from None


def fiscal_year(day: date) -> int:
    """The BE fiscal year a day falls in: October starts the next one."""
    return to_be(day.year + 1 if day.month >= 10 else day.year)


def fiscal_year_bounds(fy: int) -> tuple[date, date]:
    """First and last day of BE fiscal year ``fy``: FY 2565 is 2021-10-01 to 2022-09-30."""
    return date(to_ce(fy) - 1, 10, 1), date(to_ce(fy), 9, 30)


#: A project of fiscal year N starts (and ends) no earlier than this many years before N's first
#: day: a multi-year project is budgeted again in a later year, but not decades later.
YEARS_BEFORE_FISCAL_YEAR = 5
#: ... starts no later than this many years after N's last day: money carried over into the
#: next fiscal year (เงินกันไว้เบิกเหลื่อมปี) can start the work after N has ended ...
START_YEARS_AFTER_FISCAL_YEAR = 1
#: ... and ends no later than this many years after N's last day (long works, extensions).
YEARS_AFTER_FISCAL_YEAR = 10


def shift_years(day: date, years: int) -> date:
    """``day`` moved by whole years; 29 February becomes the 28th in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def start_window(fy: int) -> tuple[date, date]:
    """First and last day a project of BE fiscal year ``fy`` may start: from
    ``YEARS_BEFORE_FISCAL_YEAR`` years before the fiscal year's first day to
    ``START_YEARS_AFTER_FISCAL_YEAR`` after its last day (FY 2565: 2016-10-01 to 2023-09-30)."""
    first, last = fiscal_year_bounds(fy)
    return shift_years(first, -YEARS_BEFORE_FISCAL_YEAR), shift_years(last, START_YEARS_AFTER_FISCAL_YEAR)


def end_window(fy: int) -> tuple[date, date]:
    """First and last day a project of BE fiscal year ``fy`` may end: from the earliest start
    to ``YEARS_AFTER_FISCAL_YEAR`` years after the fiscal year's last day (FY 2565: 2016-10-01
    to 2032-09-30)."""
    return start_window(fy)[0], shift_years(fiscal_year_bounds(fy)[1], YEARS_AFTER_FISCAL_YEAR)


def quarter_end(fy: int, quarter: int) -> date:
    """Last day of a fiscal quarter: Q1 of FY 2565 ends 2021-12-31."""
    first, _ = fiscal_year_bounds(fy)
    return month_end(*add_months(first.year, first.month, 3 * quarter - 1))


def quarter_start(fy: int, quarter: int) -> date:
    """First day of a fiscal quarter, the day after the quarter before ends: Q2 of FY 2565, 2022-01-01."""
    return quarter_end(fy, quarter - 1) + timedelta(days=1)


def add_months(year: int, month: int, count: int) -> tuple[int, int]:
    """(year, month) moved by ``count`` months."""
    index = year * 12 + (month - 1) + count
    return index // 12, index % 12 + 1


def month_number(start: date, day: date) -> int:
    """Which month of the project ``day`` falls in: 1 for ``start``'s own month."""
    return (day.year - start.year) * 12 + day.month - start.month + 1


def month_end(year: int, month: int) -> date:
    next_year, next_month = add_months(year, month, 1)
    return date(next_year, next_month, 1) - timedelta(days=1)
