"""What the commands that read the whole portfolio share (``status``, ``summary``, ``site``):
their filter options, colour on terminals, the skipped-records note, and their use of the index.

Kept light on purpose: a run answered from the index's stored output (core/index.py) imports
this, click, sqlite3 and the config, and nothing that parses or checks a record.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..core.i18n import N_, ngettext
from ..core.labels import LANGS, PLAN_STATUSES, STATES
from ..core.text import one_line
from .options import FISCAL_YEAR, as_of_option, today

if TYPE_CHECKING:
    from ..core.index import Output
    from ..core.portfolio import Filters

F = TypeVar("F", bound=Callable[..., Any])


def portfolio_options(func: F) -> F:
    """The filters, language and date that ``status`` and ``summary`` share."""
    options = [
        click.option("--fiscal-year", "fiscal_years", type=FISCAL_YEAR, multiple=True, metavar="YEAR",
                     help=N_("Only this Buddhist Era fiscal year, such as 2568 (repeatable).")),
        click.option("--agency", "agencies", multiple=True, metavar="CODE|NAME",
                     help=N_("Only agencies whose code starts with CODE (5001) or whose department's name holds NAME "
                          "(repeatable).")),
        click.option("--state", "states", type=click.Choice(STATES), multiple=True,
                     help=N_("Only projects in this state: not_started, active, completed or cancelled (repeatable).")),
        click.option("--plan-status", "plan_statuses", type=click.Choice((*PLAN_STATUSES, "none")), multiple=True,
                     help=N_("Only this computed plan status: on_plan, watch, behind, or none for no report yet "
                          "(repeatable).")),
        lang_option(N_("Labels in Thai (th) or English (en); default the config's language, th unless set.")),
        as_of_option,
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def lang_option(help_text: str) -> Callable[[F], F]:
    """``--lang th|en`` of a command whose tables or pages have words: given before the
    command's name (``projledger --lang en status``) or after it alike; None when not given
    at all, so the config's language decides."""
    from ..core.i18n import given_language

    return click.option("--lang", type=click.Choice(LANGS), default=given_language, help=help_text)


def make_filters(fiscal_years: tuple[int, ...], agencies: tuple[str, ...], states: tuple[str, ...],
                 plan_statuses: tuple[str, ...], kpis: bool = False) -> Filters:  # fmt: skip
    from ..core.portfolio import Filters

    return Filters(tuple(fiscal_years), tuple(agencies), tuple(states), tuple(plan_statuses), kpis=kpis)


def use_colour() -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org)."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


_COLOURS = {"behind": "red", "watch": "yellow", "on_plan": "green", "overdue": "red", "late": "red"}


def paint(text: str, kind: str) -> str:
    colour = _COLOURS.get(kind)
    return click.style(text, fg=colour) if colour else text


def no_paint(text: str, kind: str) -> str:
    return text


def _columns_set() -> int:
    """$COLUMNS as a number; 0 when unset or not a number."""
    try:
        return int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        return 0


def terminal_width() -> int:
    """``shutil.get_terminal_size().columns``, without importing shutil (and with it bz2 and
    lzma: 4 ms of a run answered from the output memo): $COLUMNS, else the terminal's, else 80."""
    if (columns := _columns_set()) > 0:
        return columns
    try:
        columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        columns = 0
    return columns if columns > 0 else 80


def table_width(wide: bool) -> int | None:
    """The width a table for people fits: $COLUMNS when set, else the terminal's; None (every
    column, nothing cut) for output that is not a terminal when $COLUMNS is not set."""
    return None if _columns_set() <= 0 and not sys.stdout.isatty() else terminal_width()


def wide_option(func: F) -> F:
    """``--wide``: every column of a table, whatever the terminal's width."""
    return click.option(
        "--wide", is_flag=True,
        help=N_("Every column, whatever the terminal's width (by default a table shows the columns "
             "that fit it, the most telling first)."),
    )(func)  # fmt: skip


def report_skipped(skipped: list[tuple[str, str]]) -> str:
    text = skipped_text(skipped)
    if text:
        click.echo(text, err=True, nl=False)
    return text


def skipped_text(skipped: list[tuple[str, str]]) -> str:
    if not skipped:
        return ""
    head = ngettext(
        "{count} record skipped (not valid): run projledger validate",
        "{count} records skipped (not valid): run projledger validate",
        len(skipped),
    ).format(count=len(skipped))
    return "\n".join([head, *(f"  {one_line(path)}: {one_line(reason)}" for path, reason in skipped)]) + "\n"


def output_memo(command: str, paths: list[Path], config: Any, *parts: object) -> Output | None:
    """This run's ``index.Output`` when the index is on; else None."""
    from ..core.index import Index, Output, key_of, scan

    index = Index.open(config)
    if index is None:
        return None
    found = scan(paths, config)
    day = today(config)
    key = key_of(repr((day, os.getcwd(), [str(p) for p in paths], *parts)).encode())
    return Output(command, index, found, key, found.newest >= index.racy_since, day)


def portfolio_rows(
    paths: list[Path], config: Any, day: Any, memo: Any, present: Any, kpis: Any = None
) -> tuple[Any, Any]:
    """(the rows of a reading command, as ``present`` makes them, with a progress bar where a
    person watches; the records skipped, filled as the rows are read); ``kpis``: a list that
    gets the KPI rows met on the way (``portfolio.rows``)."""
    from ..core.portfolio import Skipped, rows
    from .options import shown_path
    from .progress import with_progress

    skipped = Skipped()
    source = rows(
        paths, config, day, checked_on=today(config), skipped=skipped, shown=shown_path, present=present,
        index=memo.index if memo is not None else None, scanned=memo.scan if memo is not None else None,
        kpis=kpis,
    )  # fmt: skip
    return with_progress(source, paths, config, lambda: len(skipped)), skipped


def echo_memo(memo: Any) -> bool:
    """Print the stored output if it holds for this run; True when it did."""
    hit = memo.get() if memo is not None else None
    if hit is None:
        return False
    for piece in hit[0]:
        _echo_utf8(piece)
    if hit[1]:
        _echo_utf8(hit[1], err=True)
    memo.close()
    return True


def _takes_utf8(err: bool) -> bool:
    stream = sys.stderr if err else sys.stdout
    return (getattr(stream, "encoding", "") or "").lower().replace("-", "") == "utf8"


def _echo_utf8(data: bytes, err: bool = False) -> None:
    """The bytes as they are (nothing decoded), or to a stream that cannot take them so, the
    text as it was shown at first."""
    click.echo(data if _takes_utf8(err) else data.decode("utf-8"), err=err, nl=False)


def in_chunks(lines: Iterable[str], size: int = 1000) -> Iterator[str]:
    """Lines (without their ends) as pieces of ``size`` lines, each ending with a newline."""
    lines = iter(lines)
    while batch := list(islice(lines, size)):
        yield "\n".join(batch) + "\n"


def emit(chunks: Iterable[str], skipped: list[tuple[str, str]], memo: Any) -> None:
    """Print the output piece by piece, then the skipped records; keep both in the memo."""
    # each piece, encoded once, goes to the stream and into the index as it is printed (never
    # held: a status table of 10,000 lines is megabytes); none when the output cannot be stored
    # (a file changed just now)
    storing = memo is not None and memo.usable
    if storing:
        memo.begin()
    utf8 = _takes_utf8(err=False)
    for chunk in chunks:
        try:
            data = chunk.encode("utf-8") if utf8 or storing else None
        except UnicodeError:  # a lone surrogate: no memo, and the stream says how it shows it
            data = None
            if storing:
                memo.abandon()
                storing = False
        click.echo(data if utf8 and data is not None else chunk, nl=False)  # encoded once, for both
        if storing and data is not None:
            memo.add(data)
    err = report_skipped(skipped)
    if memo is not None:
        if storing:
            memo.put(err)
        memo.close()
