"""``projledger summary``: the portfolio summed up by agency, fiscal year, state, plan status..."""

from __future__ import annotations

from datetime import date
from functools import partial
from pathlib import Path

import click

from ..core.labels import Lang
from ..core.summary import DIMENSIONS
from ..core.tables import FORMATS
from .options import current_config, format_option, shown_path, today
from .sheets import check_spreadsheet_options, spreadsheet_options, wrote_spreadsheet
from .status import (
    echo_memo,
    emit,
    make_filters,
    output_memo,
    portfolio_options,
    report_skipped,
    terminal_width,
)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True))
@click.option("--by", "by", type=click.Choice(DIMENSIONS), multiple=True,
              help="Group by this (repeat for nested groups; quarter comes last). Default: agency.")  # fmt: skip
@portfolio_options
@format_option(*FORMATS, "xlsx", default="table")
@spreadsheet_options
def summary(
    paths: tuple[Path, ...], by: tuple[str, ...], fiscal_years: tuple[int, ...], agencies: tuple[str, ...],
    states: tuple[str, ...], plan_statuses: tuple[str, ...], lang: Lang | None, as_of: date | None,
    output_format: str, output: Path | None = None, excel: bool = False,
) -> None:  # fmt: skip
    """Sum the portfolio up in groups: projects, states, plan status, money, progress.

    Per group: the number of projects, how many are in each state and each computed plan
    status, how many have overdue reports, budget and disbursed totals, disbursement % and the
    budget-weighted mean progress; then a total line. --by quarter shows the cumulative
    disbursement at each fiscal quarter's end against the config's quarterly targets.
    Records that are not valid are skipped and counted on stderr. --format xlsx --output FILE
    writes a spreadsheet; --excel marks CSV for Excel.

    \b
    Example:
      projledger summary
      projledger summary --by fiscal-year --by plan-status --as-of 31/03/2565
      projledger summary --by quarter --format json
      projledger summary --format xlsx --output summary.xlsx
    """
    from ..core.portfolio import Skipped, filtered, rows
    from ..core.summary import summarise
    from ..core.tables import summary_csv, summary_envelope, summary_table, to_json
    from ..core.xlsx import summary_sheet
    from .progress import with_progress

    check_spreadsheet_options(output_format, output, excel)
    config = current_config()
    day = as_of or today()
    language: Lang = lang or config.language
    skipped = Skipped()
    filters = make_filters(fiscal_years, agencies, states, plan_statuses)
    width = terminal_width() if output_format == "table" else None
    memo, listed = None, None
    if output_format != "xlsx" and not excel:
        # An unchanged repository: the last run's output, as it was (core/cache.py).
        memo, listed = output_memo(
            "summary", list(paths), config, day, by, filters, output_format, language, width
        )
        if echo_memo(memo):
            return
    source = rows(
        list(paths),
        config,
        day,
        checked_on=today(),
        skipped=skipped,
        shown=shown_path,
        listed=listed,
        scanned=memo.take_scanned() if memo is not None else None,
    )
    source = with_progress(source, list(paths), config, lambda: len(skipped))
    result = summarise(filtered(source, filters), by or ("agency",), config, day)
    sheet = partial(summary_sheet, result, language)
    if wrote_spreadsheet(
        output_format, output, excel, language, "summary", sheet, partial(summary_csv, result)
    ):
        report_skipped(skipped.files)
        return
    if output_format == "json":
        out = to_json(summary_envelope(result))
    elif output_format == "csv":
        out = summary_csv(result)
    else:
        out = summary_table(result, language, output_format, width)
    emit([out], skipped.files, memo)
