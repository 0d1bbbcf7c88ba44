"""``projledger migrate``: format-1 project records made format 2, changing two lines and nothing else."""

from __future__ import annotations

from pathlib import Path

import click

from ..core.errors import ProjledgerError
from ..core.findings import Finding
from ..core.i18n import N_, _, ngettext
from ..core.record import read_record_bytes
from ..core.text import one_line
from .options import PathArgument, echo_findings, reading_config
from .rewriting import error_finding, record_targets


@click.command(
    "migrate",
    help=N_(
        "Turn format-1 records into format 2, two lines each.\n"
        "\n"
        "PATH is a record file or a folder of them (default: the repository's records).\n"
        "\n"
        "Two lines change in a format-1 record and nothing else: `format = 1` becomes `format = 2` "
        '(its spacing and comment kept) and `kind = "project"` is inserted on the next line. '
        "Comments, CRLF line ends, a UTF-8 BOM and the rest of the file stay byte for byte. Every "
        "edit is read back before it is written: the data must be the old data plus those two "
        "keys. A record that is format 2 already is left as it is, so a second run changes "
        "nothing.\n"
        "\n"
        "All or nothing: every file is read and migrated in memory first; if any is refused (not "
        "TOML, no record, a link out of the records folder, not a regular file), it is named with "
        "its line and nothing is written to any file. Then each record is written atomically "
        "under its lock, as add-report writes. Prints the path of each file migrated (or, with "
        "--check, that would be); exit 1 when --check finds one, or when any file was refused.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger migrate\n"
        "  projledger migrate --check records/2565"
    ),
)
@click.argument("paths", nargs=-1, type=PathArgument(path_type=Path), metavar="[PATH]...")
@click.option(
    "--check", is_flag=True, help=N_("Change nothing; list the files that would be migrated, exit 1 if any.")
)
def migrate(paths: tuple[Path, ...], check: bool) -> None:
    from ..core.migrate import Migration, migrated, write_all

    config = reading_config(bool(paths), paths)  # no record where records were expected: an error
    files = 0
    refused: list[Finding] = []
    planned: list[Migration] = []
    for target in record_targets(paths, config, check=check):
        files += 1
        if target.refused is not None:
            refused.append(target.refused)
            continue
        if target.again:  # a link to a record met already (or met by its own name): one write
            continue
        try:
            before = read_record_bytes(target.path)
            after = migrated(before, target.shown)
        except ProjledgerError as error:
            refused.append(error_finding(error, target.shown, "migrate"))
            continue
        if after is not None:
            planned.append(Migration(target.path, target.shown, before, after))
    echo_findings(refused)
    if refused or check:  # nothing is written
        for migration in planned if check else []:
            click.echo(one_line(migration.shown))
        _summary(check, len(planned) if check else 0, files, len(refused))
        if refused or planned:
            raise SystemExit(1)
        return
    outcome = write_all(planned, config.records_dir)
    for migration in outcome.written:
        click.echo(one_line(migration.shown))
    if outcome.failed is not None:
        failing, refusal = outcome.failed
        echo_findings([error_finding(refusal, failing.shown, "migrate")])
    _summary(False, len(outcome.written), files, 1 if outcome.failed else 0)
    if outcome.failed is not None:
        raise SystemExit(1)


def _summary(check: bool, changed: int, files: int, failed: int) -> None:
    """The count, on stderr: how many files were (or would be) migrated, of how many."""
    said = (
        ngettext(
            "{changed} of {n} file would be migrated to format 2",
            "{changed} of {n} files would be migrated to format 2",
            files,
        )
        if check
        else ngettext(
            "{changed} of {n} file migrated to format 2", "{changed} of {n} files migrated to format 2", files
        )
    ).format(changed=changed, n=files)
    if failed:
        said += _(", {failed} refused").format(failed=failed)
        if not check and not changed:
            said += _("; nothing was written")
    elif not changed:
        said += _("; nothing to do: every record is format 2 already") if files else ""
    click.echo(said, err=True)
