"""``projledger export``: the portfolio as tables for DuckDB, Spark and BI tools."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from ..core.export import FORMATS
from ..core.i18n import N_, _
from ..core.text import one_line
from .options import OutputPath, as_of_option, reading_config, shown_path, today
from .reading import report_skipped


@click.command(
    help=N_(
        "Write the portfolio as tables for DuckDB, Spark, BI tools.\n"
        "\n"
        "PATH: record files or folders; default the repository's records.\n"
        "\n"
        "One table per kind of row: projects, reports, kpis, kpi_results, evaluations, "
        "budget_revisions, findings and status (as of --as-of, default today). Every row carries "
        "the repository's name (name in projledger.toml, else its folder's), the agency code, the "
        "fiscal year and the record's path, so many repositories' exports can be read together. "
        "Columns and types are those of schemas/export/<table>.json; export.json gives the "
        "export's version. Money is exact: DECIMAL(18,2) in Parquet, satang (integers) in SQLite. "
        "The tables are written in a temporary folder beside DIR and swapped in at the end.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger export --format parquet --output exports/bma\n"
        "  projledger export --format sqlite --output exports/bma --as-of 30/09/2568"
    ),
)
@click.argument("targets", nargs=-1, type=click.Path(), metavar="[PATH]...")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    required=True,
    help=N_("parquet (needs projledger[parquet]), sqlite (one database) or ndjson (JSON lines). Required."),
)
@click.option(
    "--output",
    "-o",
    type=OutputPath(path_type=Path, file_okay=False),
    required=True,
    metavar="DIR",
    help=N_("Folder of the tables; only a folder holding an export (or an empty one) is replaced. Required."),
)
@as_of_option
def export(targets: tuple[str, ...], output_format: str, output: Path, as_of: date | None) -> None:  # fmt: skip
    from .. import __version__
    from ..core.errors import NotFoundError
    from ..core.export import export as write_export

    paths = [Path(target) for target in targets]
    for target, path in zip(targets, paths, strict=True):
        if not path.exists():
            raise NotFoundError(_("no record file or folder at {target}").format(target=target))
    config = reading_config(bool(paths), paths)
    checked_on = today(config)
    result = write_export(
        output, output_format, paths, config, as_of or checked_on, checked_on, Path.cwd(), __version__
    )
    counts = ", ".join(f"{table} {count}" for table, count in result.rows.items())
    said = _("export: {path} ({format}; {counts})")
    click.echo(one_line(said.format(path=shown_path(result.path), format=output_format, counts=counts)))
    report_skipped(result.skipped)
