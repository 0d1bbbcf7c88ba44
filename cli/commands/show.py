"""``projledger show``: the official form of one project, as text or as a printable A4 page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from ..core.i18n import N_, _
from ..core.kinds import kind_of_record, show_formats
from .options import (
    OutputPath,
    as_of_option,
    current_config,
    format_option,
    output_plan,
    say,
    shown_path,
    today,
)


@click.command(
    help=N_(
        "Print a project's official form or a KPI page (text, HTML).\n"
        "\n"
        "The form is the official progress and project information form of one project.\n"
        "\n"
        "CODE_OR_PATH is a project or KPI code (looked up in the records folder) or a record file. "
        "A KPI prints as the old system's mykpi page: target, achieved, type, the quarterly table "
        "with the Strategy and Evaluation Department's scores, and each quarter's note. The "
        "text form has the printout's sections, labels and order, one line per report, and reads "
        "back with `projledger import`. The HTML form is one self-contained A4 page to print and "
        "sign, with the monthly progress chart (actual against expected). With --as-of, only the "
        "reports filed by that day are shown, and the budget used is the latest of those.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger show 01000000-2475\n"
        "  projledger show 01000000-2475 --format html --output form.html\n"
        "  projledger show records/2565/01000000-2475.toml --as-of 31/03/2565"
    ),
)
@click.argument("code_or_path", metavar="CODE_OR_PATH")
@format_option(*show_formats(), default="text")
@click.option(
    "--output", "-o", type=OutputPath(path_type=Path, dir_okay=False), default=None,
    help=N_("Write the form to this file (replaced whole) instead of printing it; a FIFO or device "
         "also works."),
)  # fmt: skip
@as_of_option
def show(code_or_path: str, output_format: str, output: Path | None, as_of: date | None) -> None:
    from ..core.check import check_file
    from ..core.repository import resolve_record

    config = current_config()
    plan = output_plan(output, config) if output is not None else None  # refused before any work
    day = as_of or today(config)
    path = resolve_record(code_or_path, config, writing=False)
    # Judged as of the run's day (as status does): --as-of only chooses what the form shows.
    result = check_file(path, config, today(config), shown_path(path))
    record = result.require_record(_("run projledger validate"))
    kind = kind_of_record(record)
    render = kind.renderers.get(output_format)
    if render is None:
        message = _("a {kind} record has no {format} form")
        raise click.UsageError(message.format(kind=kind.name, format=output_format))
    content = render(record, config, day)
    if plan is None or output is None:  # one is None when the other is
        click.echo(content, nl=False)
    else:
        from ..core.outputs import write_output

        write_output(plan, content.encode("utf-8"))
        say(_("wrote {path}").format(path=shown_path(output)))
