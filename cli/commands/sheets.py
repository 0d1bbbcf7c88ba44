"""``--format xlsx --output FILE`` and ``--excel`` for the commands that print tables."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..core.i18n import N_, _
from .options import F, OutputPath, output_plan, say, shown_path


def spreadsheet_options(func: F) -> F:
    func = click.option(
        "--excel",
        is_flag=True,
        help=N_("With --format csv: start with the byte-order mark Excel needs to show Thai."),
    )(func)
    return click.option(
        "--output",
        "output",
        type=OutputPath(path_type=Path, dir_okay=False),
        default=None,
        metavar="FILE",
        help=N_(
            "The .xlsx file to write (replaced whole, never half-written), or a FIFO or device to write "
            "it into. Required with --format xlsx, and only for it."
        ),
    )(func)


def check_spreadsheet_options(output_format: str, output: Path | None, excel: bool) -> None:
    """Usage errors (exit 2) for options that would be silently ignored."""
    if output_format == "xlsx" and output is None:
        raise click.UsageError(
            _("--format xlsx needs --output FILE.xlsx (a workbook is not sent to a terminal)")
        )
    if output is not None and output_format != "xlsx":
        raise click.UsageError(_("--output is for --format xlsx; other formats go to stdout"))
    if output is not None:
        output_plan(output)  # refused before any work when the path cannot take a workbook
    if output is not None and output.suffix.lower() != ".xlsx":
        message = _("--output: a workbook's name ends in .xlsx, not '{name}'")
        raise click.UsageError(message.format(name=output.name))
    if excel and output_format != "csv":
        raise click.UsageError(_("--excel is for --format csv"))


def wrote_spreadsheet(
    output_format: str,
    output: Path | None,
    excel: bool,
    language: Any,
    title: str,
    sheet: Callable[[], tuple[Any, Any]],
    csv_text: Callable[[], str],
) -> bool:
    """Write the workbook (``--format xlsx``) or Excel's CSV (``--excel``) when asked.

    True when it did, so status and summary share one way out for spreadsheets; the
    callables build the data only for the format that needs it.
    """
    if output_format == "xlsx":
        from ..core.xlsx import write_xlsx

        assert output is not None  # check_spreadsheet_options made sure
        columns, lines = sheet()
        write_xlsx(output_plan(output), lines, columns, language, title)  # never among the records
        say(_("wrote {path}").format(path=shown_path(output)))
        return True
    if output_format == "csv" and excel:
        from ..core.xlsx import excel_csv

        click.echo(excel_csv(csv_text()), nl=False)  # bytes, the byte-order mark first
        return True
    return False
