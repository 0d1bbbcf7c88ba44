"""``projledger show``: the official form of one project, as text or as a printable A4 page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from .options import OutputPath, as_of_option, current_config, format_option, output_plan, shown_path, today


@click.command()
@click.argument("code_or_path", metavar="CODE_OR_PATH")
@format_option("text", "html", default="text")
@click.option(
    "--output", "-o", type=OutputPath(path_type=Path, dir_okay=False), default=None,
    help="Write the form to this file (replaced whole) or into this FIFO or device, instead of "
         "standard output.",
)  # fmt: skip
@as_of_option
def show(code_or_path: str, output_format: str, output: Path | None, as_of: date | None) -> None:
    """Print the form "แบบแสดงรายงานความก้าวหน้าและข้อมูลเกี่ยวกับโครงการ" of one project.

    CODE_OR_PATH is a project code (looked up in the records folder) or a record file.
    The text form has the printout's sections, labels and order, one line per report, and
    reads back with `projledger import`. The HTML form is one self-contained A4 page to
    print and sign, with the monthly progress chart (actual against expected). With
    --as-of, only the reports filed by that day are shown, and the budget used is the
    latest of those.

    \b
    Example:
      projledger show 01000000-2475
      projledger show 01000000-2475 --format html --output form.html
      projledger show records/2565/01000000-2475.toml --as-of 31/03/2565
    """
    from ..core.check import check_file
    from ..core.form import build_form, render_text
    from ..core.repository import resolve_record
    from ..core.status import compute_status

    config = current_config()
    plan = output_plan(output, config) if output is not None else None  # refused before any work
    day = as_of or today(config)
    path = resolve_record(code_or_path, config)
    # Judged as of the run's day (as status does): --as-of only chooses what the form shows.
    project = check_file(path, config, today(config), shown_path(path)).require_project(
        "run projledger validate"
    )
    status = compute_status(project, day, config)
    if output_format == "html":
        from ..core.pages import form_page

        content = form_page(project, status)
    else:
        content = render_text(build_form(project, status)) + "\n"
    if plan is None:
        click.echo(content, nl=False)
    else:
        from ..core.outputs import write_output

        write_output(plan, content.encode("utf-8"))
        click.echo(f"wrote {output}", err=True)
