"""``projledger schema``: the JSON Schema of records, for editors and other tools."""

from __future__ import annotations

import click


@click.command("schema")
@click.option(
    "--path", "show_path", is_flag=True, help="Print where the installed schema file is, instead of its text."
)
@click.option(
    "--kind",
    "kind_name",
    type=click.Choice(["project", "kpi"]),
    default="project",
    show_default=True,
    help="Which kind of record's schema: project (formats 1 and 2) or kpi.",
)
def schema(show_path: bool, kind_name: str) -> None:
    """Print the JSON Schema that record files follow.

    With --path, prints where the schema file is instead. --kind kpi gives the schema of KPI
    records (records/<FY>/kpi/<code>.toml) instead of projects'.

    Editors check records while you type once they know the schema: a record's first line
    `#:schema ../../schemas/project.schema.json` (written by `projledger new` and kept by
    `fmt`), a .taplo.toml rule (written by `projledger init`), or VS Code's setting
    evenBetterToml.schema.associations.

    \b
    Example:
      projledger schema > schemas/project.schema.json
      projledger schema --path
      projledger schema --kind kpi > schemas/kpi.schema.json
    """
    from ..core.kinds import KINDS
    from ..core.schema import schema_path, schema_text

    key = max(key for key in KINDS if key[1] == kind_name)
    click.echo(schema_path(key) if show_path else schema_text(key), nl=show_path)
