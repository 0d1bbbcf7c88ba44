"""``projledger summary``: the portfolio summed up by agency, fiscal year, state, plan status..."""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import click

from ..core.errors import NotFoundError
from ..core.i18n import N_, _
from ..core.labels import DIMENSIONS, Lang, dimensions_problem
from ..core.reporters import SUMMARY_FORMATS, SUMMARY_RENDERERS
from .options import OptionError, format_option, reading_config, today
from .reading import (
    echo_memo,
    emit,
    make_filters,
    output_memo,
    portfolio_options,
    portfolio_rows,
    report_skipped,
    table_width,
    wide_option,
)
from .sheets import check_spreadsheet_options, spreadsheet_options, wrote_spreadsheet


@click.command(
    help=N_(
        "Total the portfolio by agency, year, state or quarter.\n"
        "\n"
        "PATH: record files or folders; default the repository's records.\n"
        "\n"
        "Per group: the number of projects, how many are in each state and each computed plan "
        "status, how many have overdue reports, budget and disbursed totals, disbursement % and "
        "the budget-weighted mean progress; the KPIs, met and not met, and the mean evaluation "
        "score of projects and of KPIs (each one's latest, as % of its full score); then a total "
        "line. --by quarter shows the cumulative disbursement at each fiscal quarter's end (of "
        "the budget in force then) against the config's quarterly targets. "
        "Records that are not valid are skipped and counted on stderr. --format xlsx --output "
        "FILE writes a spreadsheet; --excel marks CSV for Excel.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger summary\n"
        "  projledger summary --by fiscal-year --by plan-status --as-of 31/03/2565\n"
        "  projledger summary --by quarter --format json\n"
        "  projledger summary --format xlsx --output summary.xlsx"
    ),
)
@click.argument("targets", nargs=-1, type=click.Path(), metavar="[PATH]...")
@click.option("--by", "by", type=click.Choice(DIMENSIONS), multiple=True,
              help=N_("Group by this (repeat for nested groups; quarter comes last); default agency."))  # fmt: skip
@portfolio_options
@format_option(*SUMMARY_FORMATS, default="table")
@wide_option
@spreadsheet_options
def summary(
    targets: tuple[str, ...], by: tuple[str, ...], fiscal_years: tuple[int, ...], agencies: tuple[str, ...],
    states: tuple[str, ...], plan_statuses: tuple[str, ...], lang: Lang | None, as_of: date | None,
    output_format: str, wide: bool = False, output: Path | None = None, excel: bool = False,
) -> None:  # fmt: skip
    check_spreadsheet_options(output_format, output, excel)
    by = by or ("agency",)
    problem = dimensions_problem(by)
    if problem is not None:  # a usage error (exit 2), found before anything is read
        raise OptionError(problem, param_hint="--by")
    paths = [Path(target) for target in targets]
    for target, path in zip(targets, paths, strict=True):
        if not path.exists():  # as status says it: a refusal (exit 1), not a usage error
            raise NotFoundError(_("no record file or folder at {target}").format(target=target))
    config = reading_config(bool(paths), paths)
    day = as_of or today(config)
    language: Lang = lang or config.language
    # what the filters ask, for the stored output's key: the filters themselves come with the rows
    asked = (fiscal_years, agencies, states, plan_statuses)
    width = table_width(wide) if output_format == "table" else None
    memo = None
    # a KPI's agency, which it is grouped and selected by, is taught by every project, not only those listed
    learn = bool(paths and (agencies or "agency" in by))
    if output_format != "xlsx" and not excel and not learn:
        # An unchanged repository: the last run's output, as it was (core/index.py).
        memo = output_memo("summary", paths, config, day, by, asked, output_format, language, width, wide)
        if echo_memo(memo):
            return
    from ..core.portfolio import departments
    from ..core.summary import SUMMARY_ROWS, summarise, summary_columns
    from ..core.tables import summary_csv

    filters = make_filters(*asked)
    filters.departments.update(departments(config, day, checked_on=today(config)) if learn else {})

    present = SUMMARY_ROWS._replace(wanted=summary_columns(by))
    kpis: list[Any] = []
    source, skipped = portfolio_rows(paths, config, day, memo, present, kpis)
    keep = filters if filters.fields() else None  # every row is read: a KPI's agency is every row's
    result = summarise(
        source, by, config, day, lambda: (k for k in kpis if filters.kpi(k)), keep, filters.departments
    )

    def sheet() -> tuple[Any, Any]:
        from ..core.xlsx import summary_sheet

        return summary_sheet(result, language)

    if wrote_spreadsheet(
        output_format, output, excel, language, "summary", sheet, partial(summary_csv, result)
    ):
        report_skipped(skipped.files)  # no memo: none is opened for a file to write
        return
    emit([SUMMARY_RENDERERS[output_format](result, language, width, wide)], skipped.files, memo)
