"""``projledger import``: legacy printouts of the form into format-1 records."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import click

from .options import PathArgument, current_config, echo_findings, shown_path, today


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=PathArgument(path_type=Path, dir_okay=False))
@click.option(
    "--records", "records_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
    help="Records folder to write into (default: the repository's).",
)  # fmt: skip
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the TOML instead of writing files.")
@click.option("--force", is_flag=True, help="Overwrite a record that already exists.")
def import_command(files: tuple[Path, ...], records_dir: Path | None, to_stdout: bool, force: bool) -> None:
    """Turn legacy printouts (text of the old system's PDF form) into records.

    Each FILE becomes <records>/<fiscal year>/<code>.toml. Values the printout does not
    hold legibly are left out and reported as warnings with their line; a printout
    without a required field (code, name, fiscal year, dates, budget, agency) is not
    written, and the run exits 1 naming what is missing. What is written passes
    validate; an existing record is kept unless --force, and even then never replaced by
    one that lacks some of its reports. Files over 1 MiB are refused.

    \b
    Example:
      projledger import printout.txt
      projledger import old/*.txt --records records
      projledger import printout.txt --stdout > 01000000-2475.toml
    """
    from ..core.check import check_data
    from ..core.errors import ConflictError, InputError, ProjledgerError
    from ..core.legacy import MAX_INPUT_BYTES, MissingFieldsError, decode_printout, parse_printout
    from ..core.record import parse
    from ..core.repository import ensure_inside, record_path

    config = current_config()
    if records_dir is not None:
        if not to_stdout:  # the same rule as projledger.toml's `records`
            ensure_inside(records_dir, config, field="--records")
        config = dataclasses.replace(config, records_dir=records_dir.resolve())
    day = today(config)
    failed = False
    for file in files:
        shown = shown_path(file)
        try:
            raw = _read_bounded(file, MAX_INPUT_BYTES, shown)
            try:
                imported = parse_printout(decode_printout(raw, shown), shown)
            except MissingFieldsError as error:
                echo_findings(error.warnings)
                raise
            echo_findings(imported.warnings)
            data = imported.data
            path = record_path(config, data["fiscal_year"], data["code"])
            text = render_record(data, path, config.root)
            result = check_data(parse(text, path), text, path, config, day, shown_path(path))
            echo_findings(result.findings)
            if not result.ok:
                raise InputError(
                    "the imported record would not pass validate; nothing was written", path=shown
                )
            if to_stdout:
                click.echo(text, nl=False)
                continue
            if path.exists() and not force:
                raise ConflictError(
                    f"{shown_path(path)} already exists; nothing was written (use --force to replace it)",
                    path=shown,
                )  # fmt: skip
            write_record(path, text, force=force)
            click.echo(
                f"{shown}: wrote {shown_path(path)} ({len(data.get('reports', []))} reports)", err=True
            )
        except (ProjledgerError, OSError) as error:
            failed = True
            message = str(error) if not isinstance(error, OSError) else f"{shown}: {error.strerror}"
            click.echo(f"projledger: {message}", err=True)
    if failed:
        raise SystemExit(1)


def _read_bounded(file: Path, limit: int, shown: str) -> bytes:
    """At most ``limit`` bytes of a regular file (a device such as /dev/zero never ends)."""
    import stat

    from ..core.errors import InputError

    if not stat.S_ISREG(file.stat().st_mode):
        raise InputError("is not a regular file", path=shown)
    with open(file, "rb") as handle:
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        raise InputError("the file is over the 1 MiB limit for a printout", path=shown)
    return raw


def render_record(data: dict[str, Any], path: Path, root: Path) -> str:
    """The record's TOML in the canonical layout (issue 3's ``layout``)."""
    from ..core.layout import render_record as canonical
    from ..core.layout import schema_line

    return canonical(data, schema_line(path, root))


def write_record(path: Path, text: str, *, force: bool) -> None:
    """Create (or with ``force`` replace) a record atomically, under the record's lock.

    Even with ``force`` a record is never replaced by one that lacks some of its reports: a
    printout cut short must not erase months of filed reports.
    """
    from ..core.errors import ConflictError
    from ..core.store import update

    def change(current: bytes | None) -> bytes:
        if current is not None and not force:
            raise ConflictError(f"{path} already exists (use --force to replace it)")
        if current is not None:
            lost = sorted(_report_numbers(current) - _report_numbers(text.encode("utf-8")))
            if lost:
                raise ConflictError(
                    f"the record holds report(s) {', '.join(map(str, lost))} that the printout lacks; "
                    "replacing it would lose them, so nothing was written",
                    path=path,
                )
        return text.encode("utf-8")

    path.parent.mkdir(parents=True, exist_ok=True)
    update(path, change)


def _report_numbers(raw: bytes) -> set[int]:
    """The ``no`` of every report a record's bytes hold; none when they do not read as one."""
    from ..core.errors import RecordError
    from ..core.record import decode, parse

    try:
        reports = parse(decode(raw, "record"), "record").get("reports", [])
    except RecordError:
        return set()
    if not isinstance(reports, list):
        return set()
    return {r["no"] for r in reports if isinstance(r, dict) and isinstance(r.get("no"), int)}
