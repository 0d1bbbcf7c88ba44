"""The last status table, kept so that a run after a few records changed mends it.

A reviewer's loop is: a clerk adds a report, the reviewer runs ``status``. The output memo
(``cache.OutputMemo``) cannot answer (a file changed), and making the table again means loading
every project's kept line and laying 10,000 lines out. Yet the table differs from the last one
only by the changed projects' lines, as long as the layout stays: this memo keeps the last
table's lines (as shown), each line's sort key, record path and cell widths, the layout, and
for each column its widest cell and how many lines reach it. ``mend`` removes the changed
projects' old lines and puts their new ones where the sort puts them.

It answers only when the result is certain to be the table a full run would print, and says
None otherwise (the caller then makes the table in full): a column whose widest line changed
(the layout would change), a record that is or was skipped (the list on stderr would change),
two lines with one sort key (their order would depend on the walk), records added or removed.
A test compares mended tables with full ones over random edits.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import os
import pickle
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .tables import Layout, StatusLine

MEMO_FORMAT = 1
MAGIC = b"projledger-table %d\n" % MEMO_FORMAT
#: More changed records than this: the table is made in full (mending is for a few).
MAX_CHANGED = 50


@dataclass(frozen=True)
class TableMemo:
    key: str  # everything the table depends on but the records: tool, config, arguments, day
    files: str  # digest of the record files' names, in the walk's order
    head: list[bytes]  # the header lines as shown
    lines: list[bytes]  # the projects' lines as shown, in order (UTF-8, without their ends)
    keys: list[Any]  # each line's sort key
    paths: list[str]  # each line's record file, as shown
    widths: list[bytes | tuple[int, ...]]  # each line's cell widths
    layout: Layout
    widest: list[int]  # each column's widest cell among the lines
    reach: list[int]  # how many lines reach it
    skipped: list[tuple[str, str]]  # (record as shown, why) in the walk's order
    err: str  # what went to stderr
    stats: Any  # the record files' stat numbers (4 each, -1 for none), in the walk's order
    made: int  # the filesystem's time when the run that made it began (a file whose time is
    # within cache.RACY_NS of it may have changed again unseen: it counts as changed)

    def made_again(self, stats: Any, now: int) -> TableMemo:
        """This table as of a later run's look at the files."""
        return replace(self, stats=stats, made=now)


def files_digest(names: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(names).encode("utf-8", "surrogateescape")).hexdigest()


def widest_cells(widths: Sequence[Sequence[int]], count: int) -> tuple[list[int], list[int]]:
    """Each column's widest cell and how many lines reach it."""
    widest, reach = [0] * count, [0] * count
    for column, cells in enumerate(zip(*widths, strict=True)):
        widest[column] = top = max(cells)
        reach[column] = cells.count(top)
    return widest, reach


def memo_path(folder: Path, root: Path) -> Path:
    return folder / f"status-table-{hashlib.sha256(os.fsencode(root)).hexdigest()[:16]}.memo"


def load(path: Path, key: str) -> TableMemo | None:
    """The memo kept at ``path`` if it was made for ``key``; None for anything else."""
    from .cache import _owned_safely

    try:
        with open(path, "rb") as handle:
            if not _owned_safely(handle) or handle.read(len(MAGIC)) != MAGIC:
                return None
            memo = pickle.load(handle)
    except Exception:  # missing, damaged, another format: the table is made in full
        return None
    return memo if isinstance(memo, TableMemo) and memo.key == key else None


def save(path: Path, memo: TableMemo) -> None:
    """Keep the memo (atomically); never an error: a memo only saves time."""
    import tempfile

    name = ""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=".tmp-", suffix=".memo", dir=path.parent)
        with os.fdopen(handle, "wb") as stream:
            stream.write(MAGIC)
            pickler = pickle.Pickler(stream, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.fast = True  # no memo of every object pickled: it would add to the run's peak
            pickler.dump(memo)
        os.replace(name, path)
    except (OSError, pickle.PickleError):
        if name:
            with contextlib.suppress(OSError):
                os.unlink(name)


def mend(
    memo: TableMemo,
    changed: Iterable[str],
    new_lines: Iterable[StatusLine],
    new_skipped: Sequence[tuple[str, str]],
    sort_key: Callable[[StatusLine], Any],
    render: Callable[[StatusLine], str],
) -> TableMemo | None:
    """The memo's table with the lines of the ``changed`` records (as shown) replaced by
    ``new_lines`` (those of them the filters keep); None when mending could not be certain to
    give what a full run gives."""
    changed = set(changed)
    if new_skipped or any(shown in changed for shown, _ in memo.skipped):
        return None
    gone = {i for i, path in enumerate(memo.paths) if path in changed}
    widest, reach = list(memo.widest), list(memo.reach)
    for i in gone:
        for column, width in enumerate(memo.widths[i]):
            if width == widest[column]:
                reach[column] -= 1
    incoming = sorted(((sort_key(line), line) for line in new_lines), key=lambda item: item[0])
    for _, line in incoming:
        if line.widths is None or line.path not in changed:
            return None
        for column, width in enumerate(line.widths):
            if width > widest[column]:
                return None  # a wider cell: the layout changes
            if width == widest[column]:
                reach[column] += 1
    if 0 in reach:
        return None  # the widest cell of a column is gone: the layout changes
    kept = [i for i in range(len(memo.lines)) if i not in gone]
    keys = [memo.keys[i] for i in kept]
    lines = [memo.lines[i] for i in kept]
    paths = [memo.paths[i] for i in kept]
    widths = [memo.widths[i] for i in kept]
    for key, line in incoming:
        at = bisect.bisect_left(keys, key)
        if at < len(keys) and keys[at] == key:
            return None  # two lines with one key: their order is the walk's
        keys.insert(at, key)
        lines.insert(at, render(line).encode("utf-8", "surrogatepass"))
        paths.insert(at, line.path)
        widths.insert(at, line.widths)  # type: ignore[arg-type]
    return replace(memo, lines=lines, keys=keys, paths=paths, widths=widths, widest=widest, reach=reach)
