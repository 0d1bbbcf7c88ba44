"""The status table of the whole records folder, mended from the last one when a few records
changed (core/tablememo.py), else made in full and kept for the next run to mend."""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import click

from ..core import cache, tablememo
from ..core.config import Config
from ..core.tables import Layout, StatusLine, status_line_text, status_table_parts
from .options import shown_path, today
from .reading import _takes_utf8, skipped_text


def _numbers(scanned: list[tuple[str, Any]]) -> array[int] | list[int]:
    values = [n for _, stat in scanned for n in (stat if stat is not None else (-1, -1, -1, -1))]
    try:
        return array("q", values)
    except OverflowError:
        return values


class TableRun:
    """What one run of a status table over the whole records folder knows for the memo."""

    def __init__(self, memo: Any, config: Config) -> None:
        """``memo``: this run's ``cache.OutputMemo``, before its scan is handed to the rows."""
        from ..core.cache import filesystem_now

        self.memo, self.config = memo, config
        self.path = tablememo.memo_path(memo.folder, config.root)
        scanned = memo.scanned
        self.usable = scanned is not None and _takes_utf8(err=False)
        self.names: list[str] = [name for name, _ in scanned] if scanned is not None else []
        self.stats = _numbers(scanned) if scanned is not None else []
        self.files = tablememo.files_digest(self.names)
        self.now = filesystem_now(memo.folder)

    def mended(
        self,
        present: Any,
        day: date,
        filters: Callable[[StatusLine], bool],
        sort_key: Callable[[StatusLine], Any],
        lang: Any,
        fmt: str,
    ) -> tablememo.TableMemo | None:
        """The last table mended for the records that changed since, if that can be certain."""
        if not self.usable:
            return None
        last = tablememo.load(self.path, self.memo.arguments)
        if last is None or last.files != self.files or len(last.stats) != len(self.stats):
            return None
        changed = [
            name
            for i, name in enumerate(self.names)
            if list(last.stats[4 * i : 4 * i + 4]) != list(self.stats[4 * i : 4 * i + 4])
            or max(last.stats[4 * i + 1], last.stats[4 * i + 3]) >= last.made - cache.RACY_NS
        ]
        if len(changed) > tablememo.MAX_CHANGED:
            return None
        from ..core.portfolio import row_or_reason

        # Read here, not through the rows cache: its file would be written anew for one line.
        checked_on = today(self.config)
        shown: dict[str, str] = {}
        new_lines = []
        for name in changed:
            path = Path(name)
            shown[shown_path(path)] = name
            row = row_or_reason(path, self.config, day, checked_on, shown_path(path))
            if isinstance(row, str):
                return None  # skipped now: the list on stderr changes
            line = present.load(present.make(row))
            if filters(line):
                new_lines.append(line)
        render = renderer(last.layout, lang, fmt)
        mended = tablememo.mend(last, shown, new_lines, [], sort_key, render)
        return None if mended is None else mended.made_again(self.stats, self.now)

    def show(self, table: tablememo.TableMemo) -> None:
        """Print the table, keep it for the output memo and for the next run to mend."""
        shown = [*table.head, *table.lines]
        echo_table(shown, table.err)
        self.memo.put(shown, table.err, lines=True)
        tablememo.save(self.path, table)


def full_table(
    lines: Iterable[StatusLine],
    sort_key: Callable[[StatusLine], Any],
    lang: Any,
    fmt: str,
    width: int | None,
    run: TableRun | None,
    skipped: list[tuple[str, str]],
) -> tuple[Iterator[str], Callable[[list[bytes]], tablememo.TableMemo | None]]:
    """The table's lines, and how to make the memo of it once they are shown (as UTF-8)."""
    keyed = [(sort_key(line), line.cells, line.widths, line.path) for line in lines]
    keyed.sort(key=lambda item: item[0])
    keys, cells, widths, paths = (
        (list(column) for column in zip(*keyed, strict=True)) if keyed else ([], [], [], [])
    )
    del keyed
    layout, shown_lines = status_table_parts(cells, widths, lang, fmt, width)

    def memo_of(shown: list[bytes]) -> tablememo.TableMemo | None:
        if run is None or not run.usable or layout is None:
            return None
        widest, reach = tablememo.widest_cells(widths, len(layout.widths))  # type: ignore[arg-type]
        return tablememo.TableMemo(
            key=run.memo.arguments, files=run.files, head=shown[:2], lines=shown[2:],
            keys=keys, paths=paths, widths=widths,  # type: ignore[arg-type]
            layout=layout, widest=widest, reach=reach, skipped=list(skipped), err=skipped_text(skipped),
            stats=run.stats, made=run.now,
        )  # fmt: skip

    return shown_lines, memo_of


def renderer(layout: Layout, lang: Any, fmt: str) -> Callable[[StatusLine], str]:
    return lambda line: status_line_text(line, layout, lang, fmt)


def echo_table(shown: Iterable[bytes], err: str) -> None:
    """Lines (UTF-8, without their ends) to stdout, a thousand at a time, then stderr."""
    batch: list[bytes] = []
    for line in shown:
        batch.append(line)
        if len(batch) == 1000:
            click.echo(b"\n".join(batch) + b"\n", nl=False)
            batch = []
    if batch:
        click.echo(b"\n".join(batch) + b"\n", nl=False)
    if err:
        click.echo(err, err=True, nl=False)
