"""Every rule of the trade that ``validate`` checks beyond the schema, listed once.

A rule is a plain function over a ``RuleContext`` yielding (field, message) pairs; ``RULES``
gives each its stable id and severity, and says whether its findings depend on the day of the
check (``reads_day``: ``RecordKind.day_rules`` is made from it) and whether its messages show
dates as typed (``shows_dates``). The registry of record kinds (core/kinds.py) gives these to
format 1. The schema's own findings (missing keys, 0-100 progress, negative money, 2-decimal
money, real dates...) come from ``schema.py``; these run on records that passed it, so they can
rely on types.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any, Generic, TypeVar

from .calendar import (
    MIN_BE_YEAR,
    add_months,
    day_of_check_words,
    end_window,
    fiscal_year_bounds,
    format_be,
    month_number,
    show_day,
    show_month,
    start_window,
    to_ce,
)
from .config import DEFAULT_CODE_PATTERN, Config
from .findings import Severity
from .i18n import N_, _, language
from .labels import label
from .money import format_money, format_percent
from .record import Document, Project, Report, folder_fiscal_year, path_names
from .status import PLAN_RANK, budget_on, computed_status_of

#: Days into the next month a report may still be dated: clerks file last month's report early on.
GRACE_DAYS = 7

Hit = tuple[str, str]  # (field path, message)


R = TypeVar("R")


@dataclass(frozen=True)
class RuleContext(Generic[R]):
    """What a rule reads: the document, its typed record (``project``: a ``Project`` for
    format 1, the record of its kind otherwise), the config and the day of the check."""

    document: Document
    project: R
    config: Config
    as_of: date

    def show(self, day: date) -> str:
        """A date in a message as the person typed dates (BE or ISO: ``calendar.show_day``);
        only the wording of the day of the check is read, never the day."""
        return show_day(day, self.as_of)

    def show_month(self, year: int, month: int) -> str:
        return show_month(year, month, self.as_of)


@dataclass(frozen=True)
class Rule:
    """A rule: its stable id, severity and check. ``reads_day``: its findings depend on the day
    of the check (``ctx.as_of``), so a result kept from another day may not hold today.
    ``shows_dates``: its messages show dates as the person typed dates (``ctx.show``: BE or
    ISO, "today" or "the day of the check"), so the index keeps its findings only when worded
    the plain way (``calendar.is_plain_wording``). Tests hold both declarations true to the code."""

    id: str
    severity: Severity
    check: Callable[[RuleContext[Any]], Iterator[Hit]]
    reads_day: bool = False
    shows_dates: bool = False

    @property
    def summary(self) -> str:
        return (self.check.__doc__ or "").strip().splitlines()[0]


def _plausible(day: date) -> bool:
    """A date whose year is not a Buddhist Era year typed as Gregorian (reported once, by be-year)."""
    return day.year < MIN_BE_YEAR


# --- errors ---------------------------------------------------------------------------------


def file_name(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """The file is named after the project's code."""
    stem = path_names(ctx.document.path)[0]
    if stem != ctx.project.code:
        text = _("the file is named '{stem}' but holds project {code}; rename it to {code}.toml")
        yield "code", text.format(stem=stem, code=ctx.project.code)


def code_pattern(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """The code matches the repository's code pattern (projledger.toml)."""
    pattern = ctx.config.code_pattern
    if pattern != DEFAULT_CODE_PATTERN and not re.fullmatch(pattern, ctx.project.code):
        text = _("'{code}' does not match this repository's code pattern {pattern}")
        yield "code", text.format(code=ctx.project.code, pattern=pattern)


def be_year(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """Dates are Gregorian: a year of 2400 or more is a Buddhist Era year typed by mistake."""
    p = ctx.project
    added = [(f"{e.field}.date", e.date) for e in p.evaluations]  # format 2's tables
    added += [(f"{r.field}.date", r.date) for r in p.budget_revisions]
    if (
        p.start.year < MIN_BE_YEAR
        and p.end.year < MIN_BE_YEAR
        and all(r.date.year < MIN_BE_YEAR for r in p.reports)
        and all(day.year < MIN_BE_YEAR for _, day in added)
    ):
        return  # the common case, told without a call per date
    dated: list[tuple[str, date, tuple[date, date] | None]] = [
        ("start", p.start, start_choice(p)),
        ("end", p.end, end_choice(p)),
    ]
    for index, report in enumerate(p.reports):
        before = [r.date for r in p.reports[:index] if _plausible(r.date)]
        after = [r.date for r in p.reports[index + 1 :] if _plausible(r.date)]
        window = _report_choice(p, before[-1] if before else None, after[0] if after else None, ctx.as_of)
        dated.append((f"{report.field}.date", report.date, window))
    dated += [(where, day, None) for where, day in added]
    for where, day, window in dated:
        if _plausible(day):
            continue
        said = _("{day} has a Buddhist Era year; TOML dates are Gregorian").format(day=day.isoformat())
        meant = _gregorian(day)
        if window is None:
            yield where, _("{said} (543 years less)").format(said=said)
        elif meant is not None and window[0] <= meant <= window[1]:
            yield where, _("{said}: write {meant}").format(said=said, meant=meant.isoformat())
        else:
            low, high = window[0].isoformat(), window[1].isoformat()
            yield where, _("{said}: write a date from {low} to {high}").format(said=said, low=low, high=high)


def start_choice(project: Project) -> tuple[date, date]:
    """The days ``start`` may take with the rest of the record as it is: within the fiscal
    year's start window (``fiscal-year-range``) and not after a plausible end (``start-after-end``)."""
    earliest, latest = start_window(project.fiscal_year)
    end = project.end
    if _plausible(end) and earliest <= end < latest:
        latest = end
    return earliest, latest


def end_choice(project: Project) -> tuple[date, date]:
    """The days ``end`` may take with the rest of the record as it is (see ``start_choice``)."""
    earliest, latest = end_window(project.fiscal_year)
    start = project.start
    if _plausible(start) and earliest < start <= latest:
        earliest = start
    return earliest, latest


def _report_choice(
    project: Project, previous: date | None, following: date | None, as_of: date
) -> tuple[date, date] | None:
    """The days a report may be dated: not before the report before it (else not before the
    project's start, when plausible), not after the report after it nor the day of the check;
    None when no day is left."""
    earliest = previous or (
        project.start if _plausible(project.start) else start_window(project.fiscal_year)[0]
    )
    latest = min(as_of, following) if following else as_of
    return (earliest, latest) if earliest <= latest else None


def _gregorian(day: date) -> date | None:
    """The Gregorian day a date typed with a BE year means; None for a 29 February that the
    Gregorian year does not have."""
    try:
        return day.replace(year=to_ce(day.year))
    except ValueError:
        return None


#: What fiscal-year-range says of a start or an end out of its window: (too early, too late).
_OUT_OF_WINDOW = {
    "start": (
        N_("starts {be} ({day}), too far before its fiscal year ({span}): a project of fiscal year {year} starts from {low} to {high}"),
        N_("starts {be} ({day}), too far after its fiscal year ({span}): a project of fiscal year {year} starts from {low} to {high}"),
    ),
    "end": (
        N_("ends {be} ({day}), too far before its fiscal year ({span}): a project of fiscal year {year} ends from {low} to {high}"),
        N_("ends {be} ({day}), too far after its fiscal year ({span}): a project of fiscal year {year} ends from {low} to {high}"),
    ),
}  # fmt: skip


def fiscal_year_range(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """A project starts from 5 years before its fiscal year to a year after it, and ends within 10 years after it."""
    p = ctx.project
    fy = p.fiscal_year
    first, last = fiscal_year_bounds(fy)
    span = _("fiscal year {year} runs {first} to {last}").format(
        year=fy, first=format_be(first), last=format_be(last)
    )
    for name, day, window, choice in (
        ("start", p.start, start_window(fy), start_choice),
        ("end", p.end, end_window(fy), end_choice),
    ):
        earliest, latest = window
        if not _plausible(day) or earliest <= day <= latest:
            continue
        low, high = choice(p)
        too_early, too_late = _OUT_OF_WINDOW[name]
        text = _(too_early if day < earliest else too_late)
        yield name, text.format(be=format_be(day), day=day.isoformat(), span=span, year=fy,
                                low=low.isoformat(), high=high.isoformat())  # fmt: skip


def start_after_end(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """The project starts on or before the day it ends."""
    start, end = ctx.project.start, ctx.project.end
    if start > end and _plausible(start) and _plausible(end):  # a BE year is be-year's alone
        text = _("the project starts ({start}) after it ends ({end})")
        yield "start", text.format(start=ctx.show(start), end=ctx.show(end))


def report_numbers(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """Report numbers strictly increase."""
    for before, after in pairwise(ctx.project.reports):
        if after.no <= before.no:
            text = (
                _("report number {no} repeats the number of the report before it ({before})")
                if after.no == before.no
                else _("report number {no} is lower than the number of the report before it ({before})")
            )
            yield f"{after.field}.no", text.format(no=after.no, before=before.no)


def report_dates(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """Report dates never go backwards."""
    for before, after in pairwise(ctx.project.reports):
        if after.date < before.date and _plausible(after.date) and _plausible(before.date):
            text = _("dated {day}, before the report before it ({before})")
            yield f"{after.field}.date", text.format(day=ctx.show(after.date), before=ctx.show(before.date))


def future_report(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """No report is dated after the day of the check."""
    for report in ctx.project.reports:
        if report.date > ctx.as_of and _plausible(report.date):
            text = _("dated {day}, after {check}: a report cannot come from the future")
            check = day_of_check_words(ctx.as_of)
            yield f"{report.field}.date", text.format(day=ctx.show(report.date), check=check)


def after_event(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """Nothing follows a report that cancelled or completed the project."""
    closed: Report | None = None
    for report in ctx.project.reports:
        if closed is not None:
            text = _(
                "report {no} follows report {closed}, which marked the project {event}; nothing may follow it"
            )
            event = label(closed.event, language())
            yield report.field, text.format(no=report.no, closed=closed.no, event=event)
        elif report.event:
            closed = report


# --- warnings -------------------------------------------------------------------------------


def progress_dip(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """Progress does not go down from one report to the next."""
    for before, after in pairwise(ctx.project.reports):
        if after.progress < before.progress:
            text = _("progress {progress} % is lower than report {no}'s {before} %; progress is cumulative")
            said = text.format(progress=after.progress, no=before.no, before=before.progress)
            yield f"{after.field}.progress", said


def disbursed_dip(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """Disbursed money does not go down: it is the total to date."""
    for before, after in pairwise(ctx.project.reports):
        if after.disbursed < before.disbursed:
            text = _(
                "disbursed {amount} baht is less than report {no}'s {before}; disbursed is the total to date"
            )
            amount, earlier = format_money(after.disbursed), format_money(before.disbursed)
            yield f"{after.field}.disbursed", text.format(amount=amount, no=before.no, before=earlier)


def over_budget(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """Disbursed money stays within the budget in force on the report's day."""
    for report in ctx.project.reports:
        budget = budget_on(ctx.project, report.date)
        if report.disbursed > budget:
            text = _("disbursed {amount} baht is more than the budget of {budget}")
            amount = format_money(report.disbursed)
            yield f"{report.field}.disbursed", text.format(amount=amount, budget=format_money(budget))


def report_month(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """Report N is dated in the Nth month from the start's month (a few days' grace after)."""
    start = ctx.project.start
    if not _plausible(start):
        return
    first_month = start.year * 12 + start.month - 1  # months counted from year 0
    for report in ctx.project.reports:
        day = report.date
        if not _plausible(day):
            continue
        if _in_report_month(day, first_month + report.no - 1):
            continue
        year, month = add_months(start.year, start.month, report.no - 1)
        text = _("report {no} covers {month} (month {no} from the start) but is dated {day} (month {number})")
        covered = ctx.show_month(year, month)
        said = text.format(no=report.no, month=covered, day=ctx.show(day), number=month_number(start, day))
        yield f"{report.field}.date", said


def _in_report_month(day: date, month: int) -> bool:
    """Whether ``day`` lies in ``month`` (counted from year 0) or in the first ``GRACE_DAYS``
    days of the month after it."""
    at = day.year * 12 + day.month - 1
    return at == month or (at == month + 1 and day.day <= GRACE_DAYS)


def missing_month(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """Every month between two reports has its own report."""
    for before, after in pairwise(ctx.project.reports):
        if after.no > before.no + 1:
            missing = range(before.no + 1, after.no)
            numbers = ", ".join(map(str, missing))
            text = (
                _("no report for month {numbers} between report {before} and report {after}")
                if len(missing) == 1
                else _("no report for months {numbers} between report {before} and report {after}")
            )
            yield after.field, text.format(numbers=numbers, before=before.no, after=after.no)


def completed_below_100(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """A completed project reports 100 % progress."""
    for report in ctx.project.reports:
        if report.event == "completed" and report.progress < 100:
            text = _("marked completed with progress {progress} %, not 100 %")
            yield f"{report.field}.progress", text.format(progress=report.progress)


def optimistic_status(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """A reported plan status is never rosier than the computed one (more cautious is fine)."""
    most_cautious = max(PLAN_RANK.values())
    for report in ctx.project.reports:
        if PLAN_RANK[report.plan_status] == most_cautious or not _plausible(report.date):
            continue  # nothing computes as more cautious than the most cautious status
        expected, variance, computed = computed_status_of(ctx.project, report, ctx.config.tolerance)
        if PLAN_RANK[report.plan_status] < PLAN_RANK[computed]:
            text = _(
                "reported {reported} but progress {progress} % is {points} points behind the expected {expected} %, which computes as {computed}"
            )
            said = text.format(
                reported=label(report.plan_status, language()),
                progress=report.progress,
                points=format_percent(-variance),
                expected=format_percent(expected),
                computed=label(computed, language()),
            )
            yield f"{report.field}.plan_status", said


def folder_year(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """A record lies in the folder of its fiscal year (records/<FY>/<code>.toml)."""
    folder = path_names(ctx.document.path)[1]
    if folder_fiscal_year(folder) not in (None, ctx.project.fiscal_year):
        text = _("fiscal year {year} but the file lies in folder {folder}; move it to records/{year}/")
        yield "fiscal_year", text.format(year=ctx.project.fiscal_year, folder=folder)


E, W = Severity.ERROR, Severity.WARNING

RULES: tuple[Rule, ...] = (
    Rule("file-name", E, file_name),
    Rule("code-pattern", E, code_pattern),
    Rule("be-year", E, be_year, reads_day=True),  # its advice ends at the day of the check
    Rule("fiscal-year-range", E, fiscal_year_range),
    Rule("start-after-end", E, start_after_end, shows_dates=True),
    Rule("report-number-order", E, report_numbers),
    Rule("report-date-order", E, report_dates, shows_dates=True),
    Rule("future-report", E, future_report, reads_day=True, shows_dates=True),
    Rule("after-event", E, after_event),
    Rule("progress-dip", W, progress_dip),
    Rule("disbursed-dip", W, disbursed_dip),
    Rule("over-budget", W, over_budget),
    Rule("report-month", W, report_month, shows_dates=True),
    Rule("missing-month", W, missing_month),
    Rule("completed-below-100", W, completed_below_100),
    Rule("optimistic-status", W, optimistic_status),
    Rule("folder-year", W, folder_year),
)
