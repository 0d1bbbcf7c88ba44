"""``projledger status``: where each project stands, worst first; one project in detail."""

from __future__ import annotations

import itertools
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import click

from ..core.labels import LANGS, PLAN_STATUSES, STATES, Lang
from ..core.portfolio import SORTS, Filters
from ..core.tables import FORMATS
from ..core.text import one_line
from .options import as_of_option, current_config, format_option, shown_path, today
from .sheets import check_spreadsheet_options, spreadsheet_options, wrote_spreadsheet

F = TypeVar("F", bound=Callable[..., Any])


def portfolio_options(func: F) -> F:
    """The filters, language and date that ``status`` and ``summary`` share."""
    options = [
        click.option("--fiscal-year", "fiscal_years", type=int, multiple=True, metavar="YEAR",
                     help="Only this BE fiscal year (repeatable)."),
        click.option("--agency", "agencies", multiple=True, metavar="CODE|NAME",
                     help="Only agencies whose code starts with CODE or whose department's name holds NAME."),
        click.option("--state", "states", type=click.Choice(STATES), multiple=True,
                     help="Only projects in this state (repeatable)."),
        click.option("--plan-status", "plan_statuses", type=click.Choice((*PLAN_STATUSES, "none")), multiple=True,
                     help="Only this computed plan status; 'none' for no report yet (repeatable)."),
        click.option("--lang", type=click.Choice(LANGS), default=None,
                     help="Labels in Thai or English; default the config's language (th)."),
        as_of_option,
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def make_filters(fiscal_years: tuple[int, ...], agencies: tuple[str, ...], states: tuple[str, ...],
                 plan_statuses: tuple[str, ...]) -> Filters:  # fmt: skip
    return Filters(tuple(fiscal_years), tuple(agencies), tuple(states), tuple(plan_statuses))


def use_colour() -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


_COLOURS = {"behind": "red", "watch": "yellow", "on_plan": "green", "overdue": "red", "late": "red"}


def paint(text: str, kind: str) -> str:
    colour = _COLOURS.get(kind)
    return click.style(text, fg=colour) if colour else text


def no_paint(text: str, kind: str) -> str:
    return text


def terminal_width() -> int:
    return shutil.get_terminal_size().columns


def report_skipped(skipped: list[tuple[str, str]]) -> None:
    text = skipped_text(skipped)
    if text:
        click.echo(text, err=True, nl=False)


def skipped_text(skipped: list[tuple[str, str]]) -> str:
    if not skipped:
        return ""
    noun = "record" if len(skipped) == 1 else "records"
    lines = [f"{len(skipped)} {noun} skipped (not valid): run projledger validate"]
    lines.extend(f"  {one_line(path)}: {one_line(reason)}" for path, reason in skipped)
    return "\n".join(lines) + "\n"


def output_memo(command: str, paths: list[Path], config: Any, *parts: object) -> tuple[Any, list[Any] | None]:
    """(the memo of this command's whole output, the records listed) when the cache is on."""
    from ..core.cache import OutputMemo, cache_folder
    from ..core.repository import list_records

    folder = cache_folder(os.environ)
    if folder is None:
        return None, None
    listed = list(list_records(paths, config)) if paths else None  # None: the records folder, read quickly
    return OutputMemo(
        folder, config, command, listed, today(), os.getcwd(), [str(p) for p in paths], *parts
    ), listed


def echo_memo(memo: Any) -> bool:
    """Print the memo's output if it holds for this run; True when it did."""
    hit = memo.get() if memo is not None else None
    if hit is None:
        return False
    for data, err in ((hit[0], False), (hit[1], True)):
        if not data:
            continue
        stream = sys.stderr if err else sys.stdout
        if (getattr(stream, "encoding", "") or "").lower().replace("-", "") == "utf8":
            click.echo(data, err=err, nl=False)  # the bytes as they are: nothing decoded
        else:  # a stream that cannot take them as they are: as the text was shown at first
            click.echo(data.decode("utf-8"), err=err, nl=False)
    return True


def record_paths(targets: tuple[str, ...]) -> tuple[list[Path], bool]:
    """Codes looked up, paths kept; True when they name exactly one record file."""
    from ..core.errors import NotFoundError
    from ..core.repository import is_code, resolve_record

    config = current_config()
    paths: list[Path] = []
    for target in targets:
        if is_code(target, config):
            paths.append(resolve_record(target, config))
            continue
        path = Path(target)
        if not path.exists():
            raise NotFoundError(f"no record file or folder at {target}")
        paths.append(path)
    return paths, len(paths) == 1 and paths[0].is_file()


@click.command()
@click.argument("targets", nargs=-1, metavar="[CODE|PATH]...")
@portfolio_options
@click.option("--sort", type=click.Choice(tuple(SORTS)), default="worst", show_default=True,
              help="Order of the rows; 'worst' puts behind, then watch, then overdue first.")  # fmt: skip
@format_option(*FORMATS, "xlsx", default="table")
@spreadsheet_options
@click.option("--since", metavar="REV",
              help="Only the projects whose records changed since this git revision, with what changed.")  # fmt: skip
def status(
    targets: tuple[str, ...], fiscal_years: tuple[int, ...], agencies: tuple[str, ...], states: tuple[str, ...],
    plan_statuses: tuple[str, ...], lang: Lang | None, as_of: date | None, sort: str, output_format: str,
    output: Path | None = None, excel: bool = False, since: str | None = None,
) -> None:  # fmt: skip
    """Show where each project stands: progress against plan, money, overdue reports.

    With no CODE or PATH, every record of the repository; otherwise the projects named by
    code, the record files and the folders given. One project named alone (by code or file)
    is shown in detail: its reports, and charts of progress against plan month by month and
    of disbursement against the quarterly targets. Records that are not valid are skipped and
    counted on stderr. Machine formats (csv, json) carry raw values and English keys;
    --format xlsx --output FILE writes a spreadsheet, --excel marks CSV for Excel. --since REV
    (a reviewer before a merge) lists the projects whose records changed since that git
    revision, then what changed in each: new reports, progress and status before and after.

    \b
    Example:
      projledger status --as-of 31/03/2565
      projledger status 01000000-2475
      projledger status --agency 01 --plan-status behind --format json
      projledger status --since origin/main
      projledger status --format xlsx --output status.xlsx
    """
    from ..core.gitreview import change_dict, changes_text
    from ..core.portfolio import Skipped, filtered, rows, sorted_rows
    from ..core.tables import (
        PackedRows,
        status_cells,
        status_csv,
        status_envelope,
        status_table_lines,
        to_json,
    )
    from ..core.xlsx import status_sheet
    from .progress import with_progress
    from .since import changed_records

    check_spreadsheet_options(output_format, output, excel)
    config = current_config()
    day = as_of or today()
    language: Lang = lang or config.language
    changes = None
    if since is not None:
        if targets:
            raise click.UsageError("--since finds the changed records itself: give no CODE or PATH with it")
        changes, paths = changed_records(since, config)
        single = False
    else:
        paths, single = record_paths(targets)
    if single and output_format == "table":
        show_detail(paths[0], config, day, language)
        return
    skipped = Skipped()
    filters = make_filters(fiscal_years, agencies, states, plan_statuses)
    colour = use_colour()
    width = terminal_width() if output_format == "table" else None
    memo, listed = None, None
    if changes is None and output_format != "xlsx" and not excel:
        # An unchanged repository: the last run's output, as it was (core/cache.py).
        memo, listed = output_memo(
            "status", paths, config, day, filters, sort, output_format, language, width, colour
        )
        if echo_memo(memo):
            return
    source = rows(
        paths,
        config,
        day,
        checked_on=today(),
        skipped=skipped,
        shown=shown_path,
        listed=listed,
        scanned=memo.take_scanned() if memo is not None else None,
    )
    if changes is not None and not paths:
        source = iter(())  # nothing changed: no paths must not mean every record
    source = with_progress(source, paths, config, lambda: len(skipped))
    if output_format in ("table", "markdown"):
        # Each row becomes its line's cells at once, kept with its sort key: never every row.
        key = SORTS[sort]
        painter = paint if colour else no_paint
        body = PackedRows()  # each line's cells as one UTF-8 string
        keyed = [
            (key(r), body.pack(status_cells(r, language, output_format, painter)))
            for r in filtered(source, filters)
        ]
        keyed.sort(key=lambda item: item[0])
        body.rows = [cells for _, cells in keyed]
        del keyed
        chunks: Iterable[str] = in_chunks(status_table_lines(body, language, output_format, width))
        if changes is not None:
            markdown = output_format == "markdown"
            chunks = itertools.chain(
                chunks, ["\n" + changes_text(changes, since or "", language, markdown=markdown)]
            )
        emit(chunks, skipped.files, memo)
        return
    chosen = sorted_rows(filtered(source, filters), sort)
    sheet = partial(status_sheet, chosen, language)
    if wrote_spreadsheet(
        output_format, output, excel, language, "status", sheet, partial(status_csv, chosen)
    ):
        report_skipped(skipped.files)
        return
    if output_format == "json":
        envelope = status_envelope(chosen, day)
        if changes is not None:
            envelope.update(since=since, changes=[change_dict(c) for c in changes])
        emit([to_json(envelope)], skipped.files, memo)
    else:
        emit([status_csv(chosen)], skipped.files, memo)


def in_chunks(lines: Iterable[str], size: int = 1000) -> Iterator[str]:
    """Lines (without their ends) as pieces of ``size`` lines, each ending with a newline."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield "\n".join(batch) + "\n"
            batch = []
    if batch:
        yield "\n".join(batch) + "\n"


def emit(chunks: Iterable[str], skipped: list[tuple[str, str]], memo: Any) -> None:
    """Print the output piece by piece, then the skipped records; keep both in the memo."""
    kept: list[bytes] | None = [] if memo is not None else None
    for chunk in chunks:
        click.echo(chunk, nl=False)
        if kept is not None:
            try:
                kept.append(chunk.encode("utf-8"))
            except UnicodeError:
                kept = None
    err = skipped_text(skipped)
    if err:
        click.echo(err, err=True, nl=False)
    if kept is not None:
        memo.put(kept, err)


def show_detail(path: Path, config: Any, day: date, language: Lang) -> None:
    from ..core.check import check_file
    from ..core.errors import RecordError
    from ..core.portfolio import build_row, progress_by_month, quarter_points
    from ..core.status import compute_status
    from ..core.tables import detail_view

    shown = shown_path(path)
    result = check_file(path, config, today(), shown)
    if result.project is None or not result.ok:
        first = next(f for f in result.findings if f.is_error)
        raise RecordError(
            f"{first.message} (not a valid record: run projledger validate)",
            rule=first.rule, path=shown, line=first.line, field=first.field or None,
        )  # fmt: skip
    project = result.project
    row = build_row(project, compute_status(project, day, config), shown)
    text = detail_view(
        project, row, progress_by_month(project, day), quarter_points(project, day, config), language,
        config.tolerance, terminal_width(), paint if use_colour() else no_paint,
    )  # fmt: skip
    click.echo(text, nl=False)
