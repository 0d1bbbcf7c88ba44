"""``projledger validate``: check records against the schema and the rules of the trade."""

from __future__ import annotations

from pathlib import Path

import click

from ..core.check import check_file
from ..core.findings import Finding, Severity
from ..core.reporters import REPORTERS
from .options import as_of_option, current_config, format_option, shown_path, today


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@format_option(*REPORTERS, default="text")
@click.option("--strict", is_flag=True, help="Warnings fail the run too.")
@as_of_option
def validate(paths: tuple[Path, ...], output_format: str, strict: bool, as_of: object) -> None:
    """Check record files (or folders of them) and report every finding.

    With no PATH, checks the repository's records folder. Exits 0 when nothing fails,
    1 when an error (or, with --strict, a warning) is found.

    \b
    Example:
      projledger validate
      projledger validate records/2565 --format github --strict
    """
    from ..core.repository import list_records

    config = current_config()
    day = as_of or today()
    findings: list[Finding] = []
    files = 0
    for listed in list_records(list(paths), config):
        files += 1
        shown = shown_path(listed.path)
        if listed.refused:
            findings.append(Finding(shown, None, "", "unsafe-path", Severity.ERROR, listed.refused))
            continue
        if not listed.path.exists():
            findings.append(Finding(shown, None, "", "io", Severity.ERROR, "no such file or folder"))
            continue
        findings.extend(check_file(listed.path, config, day, shown).findings)  # type: ignore[arg-type]
    findings.sort(key=Finding.sort_key)
    click.echo(REPORTERS[output_format](findings, files), nl=False)
    failed = any(f.is_error or strict for f in findings)
    if failed:
        raise SystemExit(1)
