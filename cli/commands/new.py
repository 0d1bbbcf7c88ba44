"""``projledger new``: register a project, as a new record in the canonical layout."""

from __future__ import annotations

from typing import Any

import click

from ..core.i18n import N_, _
from .add_report import ask
from .options import DAY, FISCAL_YEAR, MONEY, current_config, echo_findings, shown_path, today

#: (key, option, hint for the prompt, type) of the options a new record cannot do without, in prompting order.
REQUIRED = (
    ("name", "--name", "", click.STRING),
    ("fiscal_year", "--fiscal-year", N_("Buddhist Era, such as 2568"), FISCAL_YEAR),
    ("start", "--start", N_("dd/mm/yyyy BE"), DAY),
    ("end", "--end", N_("dd/mm/yyyy BE"), DAY),
    ("budget", "--budget", N_("baht"), MONEY),
    ("department", "--department", "", click.STRING),
)


@click.command(
    "new",
    help=N_(
        "Register a new project: create its record file.\n"
        "\n"
        "CODE is the project's code (50100000-0001); the record is records/<FY>/<CODE>.toml.\n"
        "\n"
        "On a terminal, asks for any required option not given; elsewhere a missing one is a "
        "usage error (exit 2). Refuses a code that does not match the code pattern or that "
        "already has a record anywhere in the repository. The file starts with a `#:schema` line "
        "pointing at the repository's schema, so editors (taplo, Even Better TOML) complete and "
        "check its fields; what is written validates. Text is stored in Unicode NFC. Prints the "
        "new file's path.\n"
        "\n"
        "\b\n"
        "Example:\n"
        '  projledger new 50100000-0001 --name "ปรับปรุงทางเท้า" --fiscal-year 2568 \\\n'
        "      --start 01/10/2567 --end 30/09/2568 --budget 1,250,000 --department "
        '"สำนักงานเขตพระนคร"'
    ),
)
@click.argument("code")
@click.option("--name", default=None, help=N_("The project's name. Required."))
@click.option(
    "--fiscal-year",
    type=FISCAL_YEAR,
    default=None,
    metavar="YYYY",
    help=N_("The fiscal year, Buddhist Era (2568). Required."),
)
@click.option(
    "--start",
    type=DAY,
    default=None,
    metavar="DATE",
    help=N_("The start date: dd/mm/yyyy BE (01/10/2567) or ISO (2024-10-01), Thai digits allowed. Required."),
)
@click.option(
    "--end",
    type=DAY,
    default=None,
    metavar="DATE",
    help=N_("The end date: dd/mm/yyyy BE (30/09/2568) or ISO (2025-09-30), Thai digits allowed. Required."),
)
@click.option(
    "--budget",
    type=MONEY,
    default=None,
    metavar="BAHT",
    help=N_("The allocated budget in baht, at most 2 decimals (3,540,000 or 1250000.50). Required."),
)
@click.option("--department", default=None, help=N_("The responsible department's name. Required."))
@click.option("--division", default="", help=N_("The division under the department (optional)."))
@click.option("--unit", default="", help=N_("The unit under the division (optional)."))
@click.option("--owner", default="", help=N_("The responsible person or office (optional)."))
@click.option(
    "--coordinator", default="", help=N_("The coordinator at the evaluation department (optional).")
)
@click.option(
    "--plan-ref", default="", help=N_("The line in the agency's annual plan, as written there (optional).")
)
def new(code: str, **options: Any) -> None:
    from ..core.errors import ConflictError
    from ..core.repository import find_by_code, record_path
    from ..core.store import update
    from ..core.writing import NewProject, Written, new_record

    config = current_config()

    def taken(path: str) -> ConflictError:
        return ConflictError(
            _("project {code} already has a record: {path}").format(code=code, path=path), field="code"
        )

    existing = find_by_code(code, config)  # refuses a code off the pattern before asking anything
    if existing is not None:
        raise taken(shown_path(existing))
    for key, option, hint, kind in REQUIRED:
        if options[key] is None or (isinstance(options[key], str) and not options[key].strip()):
            options[key] = ask(option, key, hint, kind)
    path = record_path(config, options["fiscal_year"], code)
    shown = shown_path(path)
    values = NewProject(code=code, **options)
    outcome: list[Written] = []

    def change(current: bytes | None) -> bytes:
        if current is not None:
            raise taken(shown)
        outcome.append(new_record(values, path, config, today(config), shown))
        return outcome[-1].content

    path.parent.mkdir(parents=True, exist_ok=True)
    update(path, change, config.records_dir)
    echo_findings(outcome[-1].warnings)
    click.echo(shown)
