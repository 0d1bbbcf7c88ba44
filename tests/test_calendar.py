"""The Thai calendar: BE years, fiscal years and quarters, and the date forms clerks type."""

from __future__ import annotations

import re
from datetime import date

import pytest

from projledger.core.calendar import (
    DateInputError,
    fiscal_year,
    fiscal_year_bounds,
    format_be,
    month_number,
    parse_date,
    parse_month,
    quarter_end,
    to_be,
    to_ce,
)


def test_fiscal_year_2565_first_and_last_day() -> None:
    assert fiscal_year_bounds(2565) == (date(2021, 10, 1), date(2022, 9, 30))
    assert fiscal_year(date(2021, 10, 1)) == 2565
    assert fiscal_year(date(2022, 9, 30)) == 2565
    assert fiscal_year(date(2021, 9, 30)) == 2564
    assert fiscal_year(date(2022, 10, 1)) == 2566


def test_be_and_ce_both_ways() -> None:
    assert to_be(2021) == 2564
    assert to_ce(2564) == 2021
    assert to_ce(to_be(1999)) == 1999
    assert format_be(date(2021, 10, 25)) == "25/10/2564"
    assert parse_date(format_be(date(2024, 2, 29))) == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("25/10/2564", date(2021, 10, 25)),
        ("5/1/2565", date(2022, 1, 5)),
        ("2021-10-25", date(2021, 10, 25)),
        ("๒๕/๑๐/๒๕๖๗", date(2024, 10, 25)),
        ("๒๐๒๔-๑๐-๒๕", date(2024, 10, 25)),
        (" 29/02/2567 ", date(2024, 2, 29)),  # 2567 BE = 2024, a leap year
    ],
)
def test_parse_date_accepts_what_clerks_type(typed: str, expected: date) -> None:
    assert parse_date(typed) == expected


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("29/02/2566", "not a day of the calendar"),  # 2023 is not a leap year
        ("31/02/2568", "not a day of the calendar"),
        ("2565-09-27", "Buddhist Era year"),  # BE year in an ISO date
        ("27/09/2022", "Buddhist Era year"),  # CE year in a BE date
        ("2021/10/25", "not a date"),
        ("yesterday", "not a date"),
        ("", "not a date"),
        ("25/13/2564", "not a day of the calendar"),
    ],
)
def test_parse_date_refuses_with_a_reason(typed: str, says: str) -> None:
    with pytest.raises(DateInputError, match=says):
        parse_date(typed)


def test_arabic_indic_digits_are_not_thai_digits() -> None:
    # Python's int() reads every Unicode digit; only Thai ones are translated on purpose.
    with pytest.raises(DateInputError):
        parse_date("٢٥/١٠/٢٥٦٤")


def test_quarter_end() -> None:
    assert quarter_end(2565, 1) == date(2021, 12, 31)
    assert quarter_end(2565, 2) == date(2022, 3, 31)
    assert quarter_end(2565, 4) == date(2022, 9, 30)


def test_month_number_counts_from_the_start_month() -> None:
    start = date(2021, 10, 1)
    assert month_number(start, date(2021, 10, 31)) == 1
    assert month_number(start, date(2022, 3, 23)) == 6
    assert month_number(start, date(2022, 9, 27)) == 12


def test_parse_month() -> None:
    assert parse_month("10/2567") == (2024, 10)
    assert parse_month("๑๐/๒๕๖๗") == (2024, 10)
    assert parse_month("2024-10") == (2024, 10)
    for bad in ("13/2567", "10/2024", "2567-10", "Oct"):
        with pytest.raises(DateInputError):
            parse_month(bad)


# --- every form a message suggests is accepted in turn (issue 17, point 14) -------------------

_WRITE = re.compile(r"\(write ([^)]*)\)")


def _suggestions(message: str) -> list[str]:
    match = _WRITE.search(message)
    assert match, message
    return [form for part in match.group(1).split(", or ") for form in part.split(" or ")]


@pytest.mark.parametrize(
    "typed",
    ["25/10/2021", "29/02/2024", "25/10/0564", "01/01/1857", "2565-09-27", "2567-02-29", "9999-01-01",
     "2943-05-05", "๒๕/๑๐/๒๐๒๑"],
)  # fmt: skip
def test_every_date_a_message_suggests_is_accepted(typed: str) -> None:
    with pytest.raises(DateInputError) as caught:
        parse_date(typed)
    forms = _suggestions(str(caught.value))
    days = {parse_date(form) for form in forms}  # each accepted ...
    assert len(days) == 1, forms  # ... and all the same day


@pytest.mark.parametrize("typed", ["31/02/2021", "29/02/2023", "2565-02-30", "25/10/0000", "2567-13-01"])
def test_a_day_that_does_not_exist_is_said_so_without_a_suggestion(typed: str) -> None:
    with pytest.raises(DateInputError, match="not a day of the calendar"):
        parse_date(typed)


@pytest.mark.parametrize("typed", ["10/2021", "10/0564", "2567-10", "9999-10", "2942-01"])
def test_every_month_a_message_suggests_is_accepted(typed: str) -> None:
    with pytest.raises(DateInputError) as caught:
        parse_month(typed)
    forms = _suggestions(str(caught.value))
    assert len({parse_month(form) for form in forms}) == 1, forms


@pytest.mark.parametrize(
    ("typed", "says"), [("13/2021", "no month 13"), ("0000-10", "no year 0"), ("00/2567", "no month 0")]
)
def test_months_that_do_not_exist_are_said_so(typed: str, says: str) -> None:
    with pytest.raises(DateInputError, match=says):
        parse_month(typed)


def test_the_fiscal_year_windows() -> None:
    from projledger.core.calendar import end_window, start_window

    assert start_window(2565) == (date(2016, 10, 1), date(2023, 9, 30))
    assert end_window(2565) == (date(2016, 10, 1), date(2032, 9, 30))
