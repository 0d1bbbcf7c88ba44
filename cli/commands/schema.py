"""``projledger schema``: the JSON Schema of records, for editors and other tools."""

from __future__ import annotations

from pathlib import Path

import click

from ..core.i18n import N_, _, later
from ..core.kinds import KINDS, KindKey


def _newest(kind_name: str) -> KindKey:
    """The key of the newest format of the kind named ``kind_name`` (its schema covers the older)."""
    return max(key for key in KINDS if key[1] == kind_name)


def _schema_file(kind_name: str) -> str:
    """The name of the schema file of the kind named ``kind_name``, from the registry."""
    return Path(KINDS[_newest(kind_name)].schema_file).name


@click.command(
    "schema",
    help=later(
        lambda: _(
            "Print the JSON Schema that record files follow.\n"
            "\n"
            "With --path, prints where the schema file is instead. --kind kpi gives the schema of KPI "
            "records (records/<FY>/kpi/<code>.toml) instead of projects'.\n"
            "\n"
            "Editors check records while you type once they know the schema: a record's first line "
            "`#:schema ../../schemas/{file}` (written by `projledger new` and kept by "
            "`fmt`), a .taplo.toml rule (written by `projledger init`), or VS Code's setting "
            "evenBetterToml.schema.associations.\n"
            "\n"
            "\b\n"
            "Example:\n"
            "  projledger schema > schemas/{file}\n"
            "  projledger schema --path\n"
            "  projledger schema --kind kpi > schemas/{kpi_file}"
        ).format(file=_schema_file("project"), kpi_file=_schema_file("kpi"))
    ),
)
@click.option(
    "--path",
    "show_path",
    is_flag=True,
    help=N_("Print where the installed schema file is, instead of its text."),
)
@click.option(
    "--kind",
    "kind_name",
    type=click.Choice(["project", "kpi"]),
    default="project",
    show_default=True,
    help=N_("Which kind of record's schema: project (formats 1 and 2) or kpi."),
)
def schema(show_path: bool, kind_name: str) -> None:
    from ..core.schema import schema_path, schema_text

    key = _newest(kind_name)
    click.echo(schema_path(key) if show_path else schema_text(key), nl=show_path)
