"""``projledger schema``: the JSON Schema of records, for editors and other tools."""

from __future__ import annotations

import click

from ..core.i18n import N_, _, later
from ..core.kinds import kind_of


@click.command(
    "schema",
    help=later(
        lambda: _(
            "Print the JSON Schema that record files follow.\n"
            "\n"
            "With --path, prints where the schema file is instead.\n"
            "\n"
            "Editors check records while you type once they know the schema: a record's first line "
            "`#:schema ../../schemas/{file}` (written by `projledger new` and kept by "
            "`fmt`), a .taplo.toml rule (written by `projledger init`), or VS Code's setting "
            "evenBetterToml.schema.associations.\n"
            "\n"
            "\b\n"
            "Example:\n"
            "  projledger schema > schemas/{file}\n"
            "  projledger schema --path"
        ).format(file=kind_of(1).schema_file)
    ),
)
@click.option(
    "--path",
    "show_path",
    is_flag=True,
    help=N_("Print where the installed schema file is, instead of its text."),
)
def schema(show_path: bool) -> None:
    from ..core.schema import schema_path, schema_text

    click.echo(schema_path() if show_path else schema_text(1), nl=show_path)
