"""The rules of format 2 (issue 20): a project's evaluations and budget revisions, and the KPI
record's results and evaluations; each a named function over a ``RuleContext`` (as
``rules.py``'s), listed once below with its id, severity and whether it reads the day.

A KPI naming a project that does not exist (``kpi-project-link``) reads other records: it is a
portfolio rule, computed after the per-file checks (``kpi.kpi_link_findings``), never here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from itertools import chain, pairwise
from pathlib import PurePath
from typing import Any

from .calendar import day_of_check_words, quarter_end, quarter_start
from .i18n import _
from .kpi import KPI_FOLDER, Kpi
from .money import format_money
from .record import Project, folder_fiscal_year, path_names
from .rules import E, Hit, Rule, RuleContext, W, _plausible

#: The unit of a percentage, in which a target above 100 is suspect (percent-target).
PERCENT_UNIT = "ร้อยละ"


def _quarterly(record: Any) -> tuple[tuple[Any, ...], ...]:
    """The record's tables of quarters: a KPI's results, and the evaluations of either kind."""
    return (record.results, record.evaluations) if isinstance(record, Kpi) else (record.evaluations,)


# --- both kinds: evaluations, and the quarters of their tables --------------------------------


def quarter_order(ctx: RuleContext[Any]) -> Iterator[Hit]:
    """Results and evaluations are in quarter order, each quarter once."""
    for table in _quarterly(ctx.project):
        for before, after in pairwise(table):
            if after.quarter <= before.quarter:
                text = (
                    _("quarter {quarter} again: each quarter has one entry in this table")
                    if after.quarter == before.quarter
                    else _("quarter {quarter} comes after quarter {before}; write the quarters in order")
                )
                yield f"{after.field}.quarter", text.format(quarter=after.quarter, before=before.quarter)


def score_above_full(ctx: RuleContext[Any]) -> Iterator[Hit]:
    """An evaluation's score is at most its full score."""
    for evaluation in ctx.project.evaluations:
        if evaluation.score > evaluation.full_score:
            text = _("score {score} is above the full score of {full}")
            yield f"{evaluation.field}.score", text.format(score=evaluation.score, full=evaluation.full_score)


def evaluation_early(ctx: RuleContext[Any]) -> Iterator[Hit]:
    """A quarter is evaluated once it has ended: not on a day within it, nor before its end."""
    fiscal_year = ctx.project.fiscal_year
    for evaluation in ctx.project.evaluations:
        end = quarter_end(fiscal_year, evaluation.quarter)
        if not _plausible(evaluation.date):
            continue
        if evaluation.date <= end:
            text = _("an evaluation of quarter {quarter} dated {day}, before the quarter ended on {end}")
            said = text.format(quarter=evaluation.quarter, day=ctx.show(evaluation.date), end=ctx.show(end))
            yield f"{evaluation.field}.date", said
        elif ctx.as_of <= end:
            text = _("quarter {quarter} has not ended by {check} (it ends {end}): it cannot be evaluated yet")
            check = day_of_check_words(ctx.as_of)
            said = text.format(quarter=evaluation.quarter, check=check, end=ctx.show(end))
            yield f"{evaluation.field}.quarter", said


def future_date(ctx: RuleContext[Any]) -> Iterator[Hit]:
    """No result nor evaluation is dated after the day of the check."""
    for entry in chain.from_iterable(_quarterly(ctx.project)):
        if entry.date is not None and entry.date > ctx.as_of and _plausible(entry.date):
            text = _("dated {day}, after {check}: it cannot come from the future")
            check = day_of_check_words(ctx.as_of)
            yield f"{entry.field}.date", text.format(day=ctx.show(entry.date), check=check)


# --- a format-2 project: budget revisions -------------------------------------------------------


def revision_order(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """Budget revisions are in date order."""
    for before, after in pairwise(ctx.project.budget_revisions):
        if after.date < before.date and _plausible(after.date) and _plausible(before.date):
            text = _(
                "a revision dated {day}, before the revision before it ({before}); write them in date order"
            )
            yield f"{after.field}.date", text.format(day=ctx.show(after.date), before=ctx.show(before.date))


def revision_below_disbursed(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """A revised budget is not below what was already disbursed on its day."""
    for revision in ctx.project.budget_revisions:
        filed = ctx.project.reports_until(revision.date)
        if filed and revision.budget < filed[-1].disbursed:
            text = _(
                "the budget revised to {budget} baht is below the {disbursed} baht already disbursed by report {no}"
            )
            budget, disbursed = format_money(revision.budget), format_money(filed[-1].disbursed)
            yield f"{revision.field}.budget", text.format(budget=budget, disbursed=disbursed, no=filed[-1].no)


def revision_outside(ctx: RuleContext[Project]) -> Iterator[Hit]:
    """A budget revision takes effect within the project's start and end."""
    p = ctx.project
    for revision in p.budget_revisions:
        if _plausible(revision.date) and not p.start <= revision.date <= p.end:
            text = _("a revision dated {day}, outside the project's {start} to {end}")
            said = text.format(day=ctx.show(revision.date), start=ctx.show(p.start), end=ctx.show(p.end))
            yield f"{revision.field}.date", said


# --- a KPI ---------------------------------------------------------------------------------------


def kpi_file_name(ctx: RuleContext[Kpi]) -> Iterator[Hit]:
    """The file is named after the KPI's code."""
    stem = path_names(ctx.document.path)[0]
    if stem != ctx.project.code:
        text = _("the file is named '{stem}' but holds KPI {code}; rename it to {code}.toml")
        yield "code", text.format(stem=stem, code=ctx.project.code)


def kpi_folder_year(ctx: RuleContext[Kpi]) -> Iterator[Hit]:
    """A KPI lies in the kpi folder of its fiscal year's folder (records/<FY>/kpi/<code>.toml)."""
    parts = PurePath(ctx.document.path).parts
    folder = parts[-2] if len(parts) > 1 else ""
    fiscal_year = ctx.project.fiscal_year
    if folder == KPI_FOLDER:
        year = parts[-3] if len(parts) > 2 else ""
        if folder_fiscal_year(year) in (None, fiscal_year):
            return
        where = f"{year}/{KPI_FOLDER}"
    elif folder_fiscal_year(folder) is not None:
        where = folder  # a fiscal year's folder, but not its kpi folder
    else:
        return  # a KPI given alone, outside a records folder's layout
    text = _("a KPI of fiscal year {year} lies in folder {folder}; move it to records/{year}/kpi/")
    yield "fiscal_year", text.format(year=fiscal_year, folder=where)


def kpi_be_year(ctx: RuleContext[Kpi]) -> Iterator[Hit]:
    """Dates are Gregorian: a year of 2400 or more is a Buddhist Era year typed by mistake."""
    for entry in chain.from_iterable(_quarterly(ctx.project)):
        if entry.date is not None and not _plausible(entry.date):
            said = _("{day} has a Buddhist Era year; TOML dates are Gregorian").format(
                day=entry.date.isoformat()
            )
            yield f"{entry.field}.date", _("{said} (543 years less)").format(said=said)


def result_early(ctx: RuleContext[Kpi]) -> Iterator[Hit]:
    """A result is not dated before its quarter starts."""
    for result in ctx.project.results:
        if result.date is None or not _plausible(result.date):
            continue
        start = quarter_start(ctx.project.fiscal_year, result.quarter)
        if result.date < start:
            text = _("a result of quarter {quarter} dated {day}, before the quarter started on {start}")
            said = text.format(quarter=result.quarter, day=ctx.show(result.date), start=ctx.show(start))
            yield f"{result.field}.date", said


def result_late(ctx: RuleContext[Kpi]) -> Iterator[Hit]:
    """A result is dated by its quarter's end plus the grace days (result_grace_days, default 30)."""
    grace = ctx.config.result_grace_days
    for result in ctx.project.results:
        if result.date is None or not _plausible(result.date):
            continue
        end = quarter_end(ctx.project.fiscal_year, result.quarter)
        if result.date > end + timedelta(days=grace):
            text = _(
                "a result of quarter {quarter} dated {day}, more than {grace} days after the quarter ended on {end}"
            )
            said = text.format(
                quarter=result.quarter, day=ctx.show(result.date), grace=grace, end=ctx.show(end)
            )
            yield f"{result.field}.date", said


def result_dip(ctx: RuleContext[Kpi]) -> Iterator[Hit]:
    """A cumulative result does not fall (where more is better)."""
    if ctx.project.direction != "higher":
        return
    for before, after in pairwise(ctx.project.results):
        if after.value < before.value:
            text = _("result {value} is lower than quarter {quarter}'s {before}; a result is cumulative")
            said = text.format(value=after.value, quarter=before.quarter, before=before.value)
            yield f"{after.field}.value", said


def percent_target(ctx: RuleContext[Kpi]) -> Iterator[Hit]:
    """A target in percent (ร้อยละ) is at most 100."""
    if ctx.project.unit.strip() == PERCENT_UNIT and ctx.project.target > Decimal(100):
        text = _("a target of {target} in percent (ร้อยละ) is above 100")
        yield "target", text.format(target=ctx.project.target)


#: What a format-2 project is checked for besides format 1's rules (``rules.RULES``).
PROJECT_RULES_2: tuple[Rule, ...] = (
    Rule("quarter-order", E, quarter_order),
    Rule("score-above-full", E, score_above_full),
    Rule("future-date", E, future_date, reads_day=True, shows_dates=True),
    Rule("revision-order", E, revision_order, shows_dates=True),
    Rule("revision-below-disbursed", E, revision_below_disbursed),
    Rule("evaluation-early", W, evaluation_early, reads_day=True, shows_dates=True),
    Rule("revision-outside", W, revision_outside, shows_dates=True),
)

#: The rules of a KPI record.
KPI_RULES: tuple[Rule, ...] = (
    Rule("file-name", E, kpi_file_name),
    Rule("be-year", E, kpi_be_year),
    Rule("quarter-order", E, quarter_order),
    Rule("result-early", E, result_early, shows_dates=True),
    Rule("score-above-full", E, score_above_full),
    Rule("future-date", E, future_date, reads_day=True, shows_dates=True),
    Rule("result-late", W, result_late, shows_dates=True),
    Rule("result-dip", W, result_dip),
    Rule("evaluation-early", W, evaluation_early, reads_day=True, shows_dates=True),
    Rule("percent-target", W, percent_target),
    Rule("folder-year", W, kpi_folder_year),
)
