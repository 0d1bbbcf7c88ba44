"""``projledger validate``: check records against the schema and the rules of the trade."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import click

from ..core.findings import Finding, Severity
from ..core.reporters import REPORTERS
from .options import as_of_option, current_config, format_option, shown_path, today


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@format_option(*REPORTERS, default="text")
@click.option("--strict", is_flag=True, help="Warnings fail the run too.")
@click.option("--no-cache", is_flag=True, help="Check every file afresh; neither read nor write the cache.")
@as_of_option
def validate(
    paths: tuple[Path, ...], output_format: str, strict: bool, no_cache: bool, as_of: date | None
) -> None:
    """Check record files (or folders of them) and report every finding.

    With no PATH, checks the repository's records folder. Exits 0 when nothing fails,
    1 when an error (or, with --strict, a warning) is found. Results of unchanged files are
    kept in the user's cache folder (PROJLEDGER_CACHE_DIR moves it, PROJLEDGER_NO_CACHE=1 or
    --no-cache turns it off); many files are checked on every core (PROJLEDGER_JOBS=N to limit).

    \b
    Example:
      projledger validate
      projledger validate records/2565 --format github --strict
    """
    from ..core.cache import ResultCache, cache_folder, check_many, jobs_wanted
    from ..core.repository import list_records, repeated_codes

    config = current_config()
    day = as_of or today()
    folder = None if no_cache else cache_folder(os.environ)
    cache = ResultCache(folder, config, "validate") if folder is not None else None
    # The exact reader alone, for measuring what the fast one buys (bench/run.py).
    fast = os.environ.get("PROJLEDGER_EXACT_READ", "") in ("", "0")
    findings: list[Finding] = []
    files = 0
    to_check: list[Path] = []
    shown_as: dict[Path, str] = {}
    shown_walked = _shown_paths()
    for listed in list_records(list(paths), config):
        files += 1
        shown = shown_walked(listed.path)
        if listed.refused:
            findings.append(Finding(shown, None, "", "unsafe-path", Severity.ERROR, listed.refused))
            continue
        if not listed.path.exists():
            findings.append(Finding(shown, None, "", "io", Severity.ERROR, "no such file or folder"))
            continue
        to_check.append(listed.path)
        shown_as[listed.path] = shown
    for path, earlier in repeated_codes(to_check):
        message = f"project {path.stem} has another record at {shown_as[earlier]}; a code has one record"
        findings.append(Finding(shown_as[path], None, "code", "duplicate-code", Severity.ERROR, message))
    try:
        checked = check_many(to_check, config, day, cache=cache, jobs=jobs_wanted(os.environ), fast=fast)
        for path, result in checked:
            findings.extend(result.as_findings(shown_as[path]))
        if cache is not None:
            # The whole records folder was walked: entries of files not met are of files gone.
            cache.save(keep=None if paths else lambda key: False)
    finally:
        if cache is not None:
            cache.close()
    findings.sort(key=Finding.sort_key)
    click.echo(REPORTERS[output_format](findings, files), nl=False)
    failed = any(f.is_error or strict for f in findings)
    if failed:
        raise SystemExit(1)


def _shown_paths() -> Callable[[Path], str]:
    """``shown_path`` for the files of a walk, resolving each folder once instead of each file."""
    here = Path.cwd().resolve()
    folders: dict[Path, Path] = {}

    def shown(path: Path) -> str:
        if path.name in ("", ".", "..") or path.is_symlink():
            return shown_path(path)
        folder = folders.get(path.parent)
        if folder is None:
            folder = folders[path.parent] = path.parent.resolve()
        try:
            return str((folder / path.name).relative_to(here))
        except ValueError:
            return str(path)

    return shown
