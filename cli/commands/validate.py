"""``projledger validate``: check records against the schema and the rules of the trade."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

import click

from ..core.config import Config
from ..core.findings import Finding, Severity
from ..core.i18n import N_, _
from ..core.reporters import REPORTERS, text_lines
from .options import as_of_option, day_of_check, format_option, reading_config, shown_path


@click.command(
    help=N_(
        "Check records for mistakes and report every finding.\n"
        "\n"
        "PATH is a record file or a folder of them.\n"
        "\n"
        "With no PATH, checks the repository's records folder. Exits 0 when nothing fails, 1 "
        "when an error (or, with --strict, a warning) is found. Findings of unchanged files are "
        "kept in an index in the user's cache folder (PROJLEDGER_CACHE_DIR moves it, "
        "PROJLEDGER_NO_CACHE=1 or --no-cache turns it off); many files are checked on every core "
        "(PROJLEDGER_JOBS=N to limit).\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger validate\n"
        "  projledger validate records/2565 --format github --strict"
    ),
)
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path), metavar="[PATH]...")
@format_option(*REPORTERS, default="text")
@click.option("--strict", is_flag=True, help=N_("Count warnings as failures too (exit 1)."))
@click.option(
    "--no-cache", is_flag=True, help=N_("Check every file afresh, without the saved results of earlier runs.")
)
@as_of_option
def validate(
    paths: tuple[Path, ...], output_format: str, strict: bool, no_cache: bool, as_of: date | None
) -> None:
    from ..core.index import Index, as_findings, check_many, jobs_wanted
    from ..core.repository import KPI_FOLDER, list_records, repeated_codes

    config = reading_config(bool(paths), paths)
    day = day_of_check(config, as_of)  # messages name it as it was typed
    index = None if no_cache else Index.open(config)
    findings: list[Finding] = []
    files = 0
    to_check: list[str] = []  # paths as text: 10,000 Path objects would hold 3 MB more
    entries: list[bool] = []  # whether each was found as a folder's entry (Listed.entry)
    shown_walked = _shown_paths()
    for listed in list_records(list(paths), config):
        files += 1
        if listed.refused:
            shown = shown_walked(listed.path, listed.entry)
            findings.append(Finding(shown, None, "", listed.rule, Severity.ERROR, listed.refused))
            continue
        if not listed.entry and not listed.path.exists():  # an entry of a folder's listing is there
            shown = shown_walked(listed.path, listed.entry)
            findings.append(Finding(shown, None, "", "io", Severity.ERROR, _("no such file or folder")))
            continue
        to_check.append(listed.path_text)
        entries.append(listed.entry)

    def shown_at(index: int) -> str:  # how a file is shown: worked out for the few that need it
        return shown_walked(Path(to_check[index]), entries[index])

    index_of: dict[str, int] = {}
    for path, earlier in repeated_codes(to_check):
        index_of = index_of or {p: i for i, p in reversed(list(enumerate(to_check)))}
        message = (
            _("KPI {code} has another record at {path}; a code has one record")
            if Path(path).parent.name == KPI_FOLDER
            else _("project {code} has another record at {path}; a code has one record")
        ).format(code=Path(path).stem, path=shown_at(index_of[earlier]))
        findings.append(
            Finding(shown_at(index_of[path]), None, "code", "duplicate-code", Severity.ERROR, message)
        )
    kpis: dict[str, dict[str, Any] | None] = {}  # of the files checked, by absolute path: index.link_facts
    try:
        checked = check_many(to_check, config, day, index, jobs_wanted(os.environ), kpis)
        for at, found in enumerate(checked):  # in the order given
            if found != "[]":
                findings.extend(as_findings(found, shown_at(at)))
        if index is not None:
            kpis = {**index.kpi_links(), **kpis}  # what this run read, stored or not, stands
        findings += _kpi_links(to_check, kpis, config, shown_at)
        if index is not None and not paths:
            # The whole records folder was walked: entries of files not met are of files gone.
            index.forget_others({os.path.abspath(p) for p in to_check})
    finally:
        if index is not None:
            index.close()
    findings.sort(key=Finding.sort_key)
    if output_format == "text":  # written as it is made: 10,000 findings are megabytes of text
        lines = text_lines(findings, files)
        while part := "".join(islice(lines, 512)):
            click.echo(part, nl=False)
    else:
        click.echo(REPORTERS[output_format](findings, files), nl=False)
    if any(f.is_error or strict for f in findings):
        raise SystemExit(1)


def _kpi_links(
    to_check: list[str], kpis: dict[str, Any], config: Config, shown_at: Callable[[int], str]
) -> list[Finding]:
    """``kpi-project-link`` of the KPIs checked, against the projects of the records folder."""
    if not kpis:
        return []
    from ..core.kpi import kpi_link_findings, portfolio_codes, portfolio_of

    codes_of: dict[Path, frozenset[str] | None] = {}  # by records folder: read once each

    def checked() -> Iterator[tuple[str, str, dict[str, Any], frozenset[str]]]:
        for at, path in enumerate(to_check):
            facts = kpis.get(os.path.abspath(path))
            if facts is None:
                continue
            folder = portfolio_of(path, config)
            if folder not in codes_of:
                codes_of[folder] = portfolio_codes(folder, config)
            codes = codes_of[folder]
            if codes is not None:  # else no records folder around: nothing to check the links against
                yield path, shown_at(at), facts, codes

    return kpi_link_findings(checked())


def _shown_paths() -> Callable[[Path, bool], str]:
    """``shown_path`` for the files of a walk, resolving each folder once instead of each file;
    ``entry``: the walk found the path as a folder's entry that is no link."""
    from ..core.repository import real

    here = Path.cwd().resolve()
    #: folder as given (with its final separator) -> what a file's name is shown after there,
    #: None when the folder is not below here (the path is then shown as given)
    folders: dict[str, str | None] = {}

    def shown(path: Path, entry: bool = False) -> str:
        if path.name in ("", ".", "..") or (not entry and path.is_symlink()):
            return shown_path(path)
        name = str(path)
        cut = name.rfind(os.sep) + 1
        folder = name[:cut]
        if folder in folders:
            prefix = folders[folder]
        else:
            try:
                relative = str((real(path.parent) or path.parent.absolute()).relative_to(here))
                prefix = "" if relative == "." else relative + os.sep
            except ValueError:
                prefix = None
            folders[folder] = prefix
        return name if prefix is None else prefix + name[cut:]

    return shown
