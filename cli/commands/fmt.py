"""``projledger fmt``: rewrite records in the canonical layout, so every file diffs alike."""

from __future__ import annotations

from pathlib import Path

import click

from ..core.errors import ProjledgerError, RecordError
from ..core.i18n import N_, _, ngettext
from ..core.record import read_record_bytes
from ..core.text import one_line
from .options import PathArgument, echo_findings, reading_config
from .rewriting import error_finding, record_targets


@click.command(
    "fmt",
    help=N_(
        "Tidy record files into the standard layout, or check them.\n"
        "\n"
        "PATH is a record file or a folder of them (default: the repository's records).\n"
        "\n"
        "The layout: a `#:schema` line pointing at the schema (kept when present, added when "
        "not), the keys in the order of the spec's example, the [agency], [details] and "
        "[strategy] tables, then one [[reports]] block per report. Values are kept exactly: "
        "numbers keep their written value (`3540000.0` stays `3540000.0`), dates, Thai text; "
        "CRLF files stay CRLF; a UTF-8 BOM is dropped. Formatting a canonical file changes "
        "nothing.\n"
        "\n"
        "Only records are rewritten, and only in the records folder: a TOML file that is no "
        "record (no `format` key) is reported, a link that leads out of the records folder is "
        "refused, and a file reached twice (by its name and by a link) is laid out once.\n"
        "\n"
        "Comments cannot be kept by the TOML writer, so a file with a comment (other than the "
        "`#:schema` line) is reported and left as it is. A file that cannot be read as TOML is "
        "reported and never rewritten. Prints the path of each file changed (or, with --check, "
        "that would change); exit 1 when --check finds one, or when any file was refused.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger fmt\n"
        "  projledger fmt --check records/2565"
    ),
)
@click.argument("paths", nargs=-1, type=PathArgument(path_type=Path), metavar="[PATH]...")
@click.option(
    "--check", is_flag=True, help=N_("Change nothing; list the files that would change, exit 1 if any.")
)
def fmt(paths: tuple[Path, ...], check: bool) -> None:
    from ..core.layout import formatted
    from ..core.store import update

    config = reading_config(bool(paths), paths)  # no record where records were expected: an error
    failed = changed = files = 0
    for target in record_targets(paths, config, check=check):
        files += 1
        shown, path = target.shown, target.path
        if target.refused is not None:
            echo_findings([target.refused])
            failed += 1
            continue
        if target.again:  # a link to a record met already (or met by its own name): one write
            continue
        seen: list[bool] = []

        def change(current: bytes | None, path: Path = path, seen: list[bool] = seen) -> bytes | None:
            if current is None:
                raise RecordError(_("no such file"), rule="io", path=path)
            result = formatted(current, path, config.root)
            seen.append(result != current)
            return None if check else result

        try:
            if check:
                change(read_record_bytes(path))
            else:
                update(path, change)
        except ProjledgerError as error:
            echo_findings([error_finding(error, shown, "fmt")])
            failed += 1
            continue
        if seen[-1]:
            changed += 1
            click.echo(one_line(shown))
    said = (
        ngettext("{changed} of {n} file would change", "{changed} of {n} files would change", files)
        if check
        else ngettext("{changed} of {n} file changed", "{changed} of {n} files changed", files)
    ).format(changed=changed, n=files)
    click.echo(said + (_(", {failed} refused").format(failed=failed) if failed else ""), err=True)
    if failed or (check and changed):
        raise SystemExit(1)
