"""``projledger sheet export|import``: the month's reports of many projects in one spreadsheet."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click

from ..core.calendar import DateInputError, fiscal_year, format_month_be, parse_month
from ..core.i18n import N_, _, ngettext
from ..core.text import one_line, printable
from .options import (
    FISCAL_YEAR,
    OutputPath,
    PathArgument,
    as_of_option,
    current_config,
    day_of_check,
    output_plan,
    parsed_type,
    reading_config,
    say,
    shown_path,
    today,
)

#: A month as clerks type it: 10/2567 (BE), ๑๐/๒๕๖๗ or 2024-10.
MonthType = parsed_type("MONTH", tuple, DateInputError, parse_month)


@click.group(
    "sheet",
    help=N_(
        "Fill in many projects' monthly reports in a spreadsheet.\n"
        "\n"
        "`sheet export` writes one row per project whose report for the month is due; the clerk "
        "fills it in Excel or LibreOffice; `sheet import` checks every row and appends the "
        "reports, through the same checked, locked, atomic write as add-report.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger sheet export --month 10/2567 --agency 5001 --output october.xlsx\n"
        "  projledger sheet import october.xlsx --dry-run\n"
        "  projledger sheet import october.xlsx"
    ),
)
def sheet() -> None:
    """The command group: its help is the ``help=`` above, in the run's language."""


@sheet.command(
    "export",
    help=N_(
        "Write a sheet of the month's reports that are due.\n"
        "\n"
        "One row per project whose report is due and not yet filed.\n"
        "\n"
        "Due: the project is active, the month is not before its start's month nor after this "
        "month (past its end's month while it is still active, it goes on reporting), and the "
        "report of that month (report N for the Nth month from the start's month) is not in the "
        "record yet. Each row shows the code, name, month, report number and the latest report "
        "(grey, locked: context), and leaves empty what the clerk fills: date, progress, "
        "disbursed, plan status, target status, note, event. Headers are Thai with the key the "
        "import reads in parentheses. In xlsx the statuses are drop-down lists of the form's "
        "words, progress must be 0-100, money not negative, dates dd/mm/yyyy BE; the sheet is "
        "protected without a password so context is not typed over by accident.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger sheet export --month 03/2565 --output march.xlsx\n"
        "  projledger sheet export --agency 50010000 --fiscal-year 2568 --output sheet.csv\n"
        "  projledger sheet export --new --output new-projects.xlsx\n"
        "  projledger sheet export --quarter 2 --fiscal-year 2565 --output q2.xlsx\n"
        "\n"
        "With --quarter N: one row per KPI of the fiscal year (code, name, unit, target, the results "
        "so far, greyed) to fill with the cumulative result at the end of quarter N, its date and "
        "note, and the evaluation score of สยป., its full score (default 100) and date; then one row "
        "per format-2 project of the year for its evaluation only."
    ),
)
@click.option(
    "--month",
    type=MonthType(),
    default=None,
    metavar="MM/YYYY",
    help=N_(
        "The month to report: mm/yyyy BE (10/2567) or ISO (2024-10), Thai digits allowed; default the "
        "current month."
    ),
)
@click.option(
    "--agency",
    "agencies",
    multiple=True,
    metavar="PREFIX|NAME",
    help=N_("Only this agency: a code prefix (5001) or words of the department's name. Repeatable."),
)
@click.option(
    "--fiscal-year",
    "fiscal_years",
    type=FISCAL_YEAR,
    multiple=True,
    metavar="YEAR",
    help=N_("Only projects of this Buddhist Era fiscal year (2568). Repeatable."),
)
@click.option(
    "--new",
    "new_sheet",
    is_flag=True,
    help=N_("An empty sheet for registering projects (the columns of `new`)."),
)
@click.option(
    "--quarter",
    type=click.IntRange(1, 4),
    default=None,
    metavar="N",
    help=N_(
        "The quarterly sheet of fiscal quarter N (1-4): each KPI's result and evaluation, each "
        "format-2 project's evaluation; with --fiscal-year (default the current one)."
    ),
)
@click.option(
    "--output",
    type=OutputPath(path_type=Path, dir_okay=False),
    required=True,
    metavar="FILE",
    help=N_(
        "The sheet to write: FILE.xlsx (drop-down lists, checks, locked context) or FILE.csv (UTF-8 "
        "with a BOM)."
    ),
)
@as_of_option
def export(
    month: tuple[int, int] | None,
    agencies: tuple[str, ...],
    fiscal_years: tuple[int, ...],
    new_sheet: bool,
    quarter: int | None,
    output: Path,
    as_of: date | None,
) -> None:
    from ..core.portfolio import Filters, Skipped
    from ..core.sheet import export_rows, quarter_rows, write_sheet

    if new_sheet and (month or agencies or fiscal_years or quarter):
        raise click.UsageError(
            _("--new writes an empty registration sheet: drop --month, --agency, --fiscal-year, --quarter")
        )
    if quarter is not None and month is not None:
        raise click.UsageError(_("--quarter writes the quarterly sheet: drop --month"))
    if quarter is not None and len(fiscal_years) > 1:
        raise click.UsageError(_("--quarter takes one --fiscal-year"))
    plan = output_plan(output)  # refused before any work when the path cannot take the sheet
    if output.suffix.lower() not in (".xlsx", ".csv"):
        message = _("--output: a sheet's name ends in .xlsx or .csv, not '{name}'")
        raise click.UsageError(message.format(name=output.name))
    shown = shown_path(output)
    if new_sheet:
        write_sheet(plan, "new", [], shown)
        say(_("wrote an empty registration sheet to {path}").format(path=shown))
        return
    config = reading_config(False)  # no record where records were expected: an error, as status
    day = as_of or today(config)
    year, number = month or (day.year, day.month)
    skipped = Skipped()
    filters = Filters(fiscal_years=tuple(fiscal_years), agencies=tuple(agencies))
    # records are checked as of today, as status checks them: --as-of is the day judged by
    reading = {"shown": shown_path, "skipped": skipped, "checked_on": today(config)}
    if quarter is not None:
        fy = fiscal_years[0] if fiscal_years else fiscal_year(day)
        lines = quarter_rows(config, day, fy, quarter, filters, **reading)
    else:
        lines = export_rows(config, day, year, number, filters, **reading)
    write_sheet(plan, "report" if quarter is None else "quarter", lines, shown)
    if skipped.files:
        path, reason = skipped.files[0]
        more = _(" and {count} more").format(count=len(skipped) - 1) if len(skipped) > 1 else ""
        text = _("left out records that are not valid: {path} ({reason}){more}; see projledger validate")
        say(text.format(path=path, reason=reason, more=more))
    if quarter is not None:
        text = ngettext(
            "wrote {n} row for quarter {q} of fiscal year {fy} to {file}",
            "wrote {n} rows for quarter {q} of fiscal year {fy} to {file}",
            len(lines),
        )
        say(text.format(n=len(lines), q=quarter, fy=fy, file=shown))
        return
    text = ngettext(
        "wrote {count} row due for {month} to {path}",
        "wrote {count} rows due for {month} to {path}",
        len(lines),
    )
    say(text.format(count=len(lines), month=format_month_be(year, number), path=shown))


@sheet.command(
    "import",
    help=N_(
        "Add the reports or new projects of a filled-in sheet.\n"
        "\n"
        "FILE is the sheet, .xlsx or .csv.\n"
        "\n"
        "Cells are read as add-report and new read options: Thai status words, Thai digits, BE "
        "dates. Each row is checked as its record would be after the append (every rule of "
        "validate); each bad cell is one line FILE:ROW:COLUMN: key: message on stderr (ROW as "
        "the spreadsheet numbers it, COLUMN its letter). All or nothing: if any row fails, no "
        "record changes and the exit code is 1; with --partial the good rows are written, the "
        "failed ones listed, and the exit code is still 1. An empty row changes nothing; an "
        "empty disbursed cell keeps the last report's amount; an empty plan status is computed. "
        "A row whose report is already in the record is skipped when it says the same and "
        "refused when it differs, so importing a sheet twice changes nothing. Formulas are never "
        "run: a cell holding one is reported. Files over 20 MB, and workbooks that would unzip "
        "past 200 MB, are refused before they are read. Only the records the rows name are read.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger sheet import march.xlsx --dry-run\n"
        "  projledger sheet import march.xlsx\n"
        "  projledger sheet import march.csv --partial"
    ),
)
@click.argument("file", type=PathArgument(path_type=Path, dir_okay=False))
@click.option(
    "--dry-run", is_flag=True, help=N_("Show the reports that would be written (TOML); write nothing.")
)
@click.option(
    "--partial",
    is_flag=True,
    help=N_("Write the rows that pass and list the others (still exit 1 if any failed)."),
)
@as_of_option
def import_sheet(file: Path, dry_run: bool, partial: bool, as_of: date | None) -> None:
    from ..core.sheet import plan_import, read_table, write_plan

    config = current_config()
    day = day_of_check(config, as_of)  # "the day of the check" when given, as add-report says it
    shown = shown_path(file)
    table = read_table(file, shown)
    plan = plan_import(table, config, day, shown_path)
    for finding in sorted(plan.findings, key=lambda f: (f.row, f.column)):
        click.echo(one_line(finding.one_line(shown)), err=True)
    failed = sorted({finding.row for finding in plan.errors})
    appended = plan.count("append") + plan.count("new")
    kind = plan.kind
    late = ""
    if dry_run:
        for change in plan.changes.values():
            click.echo(f"# {one_line(change.shown)}")
            for block in change.blocks:
                click.echo(printable(block).rstrip("\n") + "\n")
            for note in change.rewritten:
                say(f"{change.shown}: {note} " + _("(dry run)"))
    elif failed and not partial:
        appended = 0
    else:
        outcome = write_plan(plan, partial=partial, within=config.records_dir)
        for change, error in outcome.failed:
            say(str(error))
            failed = sorted({*failed, *change.rows})
        appended = sum(len(change.rows) for change in outcome.written)
        for change in outcome.written:
            for note in change.rewritten:
                say(f"{change.shown}: {note}")
            count = len(change.rows)
            if kind == "new":
                done = ngettext("{count} new record (row {rows})", "{count} new records (rows {rows})", count)
            elif kind == "quarter":
                done = ngettext(
                    "{count} result or evaluation row (row {rows})",
                    "{count} result or evaluation rows (rows {rows})",
                    count,
                )
            else:
                done = ngettext("{count} report (row {rows})", "{count} reports (rows {rows})", count)
            click.echo(f"{one_line(change.shown)}: " + done.format(count=count, rows=listing(change.rows)))
        if outcome.failed and not partial:
            late = _all_or_nothing_failed(outcome)
    made = _made(kind, dry_run, appended)
    empty = plan.count("empty")
    skipped = ngettext("{count} empty row skipped", "{count} empty rows skipped", empty).format(count=empty)
    text = _("{made}, {identical} already there, {skipped}")
    said = text.format(made=made.format(count=appended), identical=plan.count("identical"), skipped=skipped)
    summary = f"projledger: {one_line(shown)}: {said}"
    if late:
        summary += f"; {late}"
    elif failed:
        if partial or dry_run:
            text = ngettext("{count} row failed: {rows}", "{count} rows failed: {rows}", len(failed))
        else:
            text = ngettext(
                "{count} row failed ({rows}), so nothing was written (fix it, or give --partial to write the others)",
                "{count} rows failed ({rows}), so nothing was written (fix them, or give --partial to write the others)",
                len(failed),
            )
        summary += "; " + text.format(count=len(failed), rows=listing(failed))
    click.echo(summary, err=True)
    if failed:
        raise SystemExit(1)


def _made(kind: str, dry_run: bool, count: int) -> str:
    """``{count} reports written`` and its kin, in the words of the sheet's kind (the catalog
    holds each whole phrase: Thai does not build them from parts)."""
    if kind == "new":
        if dry_run:
            return ngettext(
                "{count} new record would be written", "{count} new records would be written", count
            )
        return ngettext("{count} new record written", "{count} new records written", count)
    if kind == "quarter":
        if dry_run:
            return ngettext(
                "{count} result or evaluation row would be written",
                "{count} result or evaluation rows would be written",
                count,
            )
        return ngettext(
            "{count} result or evaluation row written", "{count} result or evaluation rows written", count
        )
    if dry_run:
        return ngettext("{count} report would be written", "{count} reports would be written", count)
    return ngettext("{count} report written", "{count} reports written", count)


def _all_or_nothing_failed(outcome: Any) -> str:
    """What an all-or-nothing import that failed at writing did: nothing, or exactly which
    records it wrote before a write failed and which it did not."""
    failed = ", ".join(one_line(change.shown) for change, _ in outcome.failed)
    if not outcome.written:
        return _(
            "nothing was written (all or nothing): {failed} could not be written (see above); "
            "fix that and import the sheet again"
        ).format(failed=failed)
    written = ", ".join(one_line(change.shown) for change in outcome.written)
    not_written = ", ".join(one_line(change.shown) for change in outcome.not_written)
    return _(
        "a write failed after others were made: written: {written}; not written: {not_written}; "
        "fix the cause and import the sheet again (the reports written are then skipped as already there)"
    ).format(written=written, not_written=not_written)


def listing(numbers: list[int], most: int = 20) -> str:
    """``2, 4, 6`` or, past ``most``, the first ones and how many more."""
    more = _(" and {count} more rows").format(count=len(numbers) - most) if len(numbers) > most else ""
    return ", ".join(map(str, numbers[:most])) + more
