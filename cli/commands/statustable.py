"""The status table: each project's kept line (core/tables.py ``StatusLine``), sorted and laid out.

10,000 lines' cells (names in Thai: about 6 MB) would all be held until the sort is done. Only
each line's sort key and widths are held: the cells of a line loaded from the index stay there
(the line holds its row's number, ``Presenter.later``) and are read back in sort order, a batch
at a time; past the first ``HELD`` lines made on the run, their cells go into a private
temporary SQLite database (on disk, dropped when closed) and are read back likewise.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ..core.tables import StatusLine, status_table_lines

#: Lines made on a run whose cells are held in memory before the rest are set aside.
HELD = 1000
#: Cells written to the temporary database at a time.
_BATCH = 256


class Made:
    """``make`` of the status lines, counting the lines made on this run (not loaded)."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        self.make = make
        self.count = 0

    def __call__(self, row: Any) -> Any:
        self.count += 1
        return self.make(row)


class _SetAside:
    """Cells of lines kept in a temporary database, each under a number ``add`` gives: negative,
    told apart from the numbers of the index's rows that loaded lines hold."""

    def __init__(self) -> None:
        self.con: sqlite3.Connection | None = None
        self.pending: list[tuple[int, str]] = []
        self.count = 0

    def add(self, cells: str) -> int:
        self.count += 1
        self.pending.append((self.count, cells))
        if len(self.pending) >= _BATCH:
            self._flush()
        return -self.count

    def _flush(self) -> None:
        if self.con is None:
            self.con = sqlite3.connect("", isolation_level=None)
            self.con.execute("PRAGMA journal_mode=OFF")
            self.con.execute("PRAGMA synchronous=OFF")
            self.con.execute("PRAGMA cache_size=-256")  # KB: read back a batch at a time
            self.con.execute("CREATE TABLE cells (cells TEXT NOT NULL)")
            self.con.execute("BEGIN")
        self.con.executemany("INSERT INTO cells (rowid, cells) VALUES (?, ?)", self.pending)
        self.pending = []

    def get(self, numbers: Sequence[int]) -> dict[int, str]:
        """The cells set aside under these (negative) numbers."""
        if self.pending:
            self._flush()
        assert self.con is not None
        marks = ", ".join("?" * len(numbers))
        found = self.con.execute(
            f"SELECT -rowid, cells FROM cells WHERE rowid IN ({marks})", [-n for n in numbers]
        )
        return dict(found)

    def close(self) -> None:
        if self.con is not None:
            self.con.close()
            self.con = None


def full_table(
    lines: Iterable[StatusLine],
    sort_key: Callable[[StatusLine], Any],
    lang: Any,
    fmt: str,
    width: int | None,
    wide: bool = False,
    made: Made | None = None,
    stored: Callable[[Sequence[int]], dict[int, str]] | None = None,
) -> Iterator[str]:
    """The table's lines (without their ends). Every line is read before this returns; only
    each line's sort key, widths and cells are held, cells of lines loaded from the index
    (``stored`` reads them back) and of lines ``made`` on this run past the first ``HELD``
    by number (see the module's text)."""
    aside = _SetAside()
    keyed = []
    seen = 0
    for line in lines:
        cells: Any = line.cells
        if made is not None and made.count != seen:
            seen = made.count
            if seen > HELD and type(cells) is str:
                cells = aside.add(cells)
        keyed.append((sort_key(line), cells, line.widths))
    keyed.sort(key=lambda item: item[0])
    widths = [item[2] for item in keyed]
    held = [item[1] for item in keyed]
    del keyed

    def read(batch: Sequence[Any]) -> Iterator[Any]:
        """The cells of a batch of lines: held, or by their number (see ``_SetAside.add``)."""
        numbers = [n for n in batch if type(n) is int]
        found = aside.get([n for n in numbers if n < 0]) if aside.count else {}
        if stored is not None and (loaded := [n for n in numbers if n > 0]):
            found.update(stored(loaded))
        return (found[c] if type(c) is int else c for c in batch)

    laid_out = status_table_lines(held, widths, lang, fmt, width, wide, read)

    def closing() -> Iterator[str]:
        try:
            yield from laid_out
        finally:
            aside.close()

    return closing() if aside.count else laid_out
