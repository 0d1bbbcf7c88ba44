"""The status table: each project's kept line (core/tables.py ``StatusLine``), sorted and laid out."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..core.tables import StatusLine, status_table_parts


def full_table(
    lines: Iterable[StatusLine],
    sort_key: Callable[[StatusLine], Any],
    lang: Any,
    fmt: str,
    width: int | None,
    wide: bool = False,
) -> Iterator[str]:
    """The table's lines (without their ends), holding only each line's sort key, cells and widths."""
    keyed = [(sort_key(line), line.cells, line.widths) for line in lines]
    keyed.sort(key=lambda item: item[0])
    cells = [item[1] for item in keyed]
    widths = [item[2] for item in keyed]
    del keyed
    return status_table_parts(cells, widths, lang, fmt, width, wide)[1]
