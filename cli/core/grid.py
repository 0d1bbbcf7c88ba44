"""The one layout of our own: rows of cells measured once, laid out as tabulate lays them out.

tabulate takes about 1 s for a status table of 10,000 lines (it measures every cell on each run);
after one changed record, status must lay them out in well under 0.2 s. Here each line's cells are
measured once (``measured_cells``, kept beside the cells) and a table is laid out from sums of
widths: tabulate's ``simple`` and ``github`` formats (no number parsing, columns aligned by
``align``), byte for byte, held to the pinned tabulate by tests/test_table_layout.py. What
tabulate lays out otherwise (a cell of several lines, no known width) is left to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

from wcwidth import wcswidth

#: tabulate's pattern of terminal codes that take no width (CSI sequences and OSC 8 links).
_ANSI = re.compile(
    r"(\x1b\[[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]|\x1b\]8;(\w+=\w+:?)*;([^\x1b]+)\x1b\\([^\x1b]+)\x1b\]8;;\x1b\\)"
)


def cell_width(text: str) -> int:
    """tabulate's width of a cell: wcwidth's, after the terminal codes are taken out (-1: a
    character of no known width)."""
    return int(wcswidth(_ANSI.sub(r"\4", text) if "\x1b" in text else text))


def known_width(text: str) -> int:
    """``cell_width``, or the length of a text with a character of no known width."""
    measured = cell_width(text)
    return measured if measured >= 0 else len(text)


def cut(text: str, width: int, text_width: int = 0) -> tuple[str, int]:
    """``text`` cut to ``width`` columns: its longest start within ``width - 1`` (found by halving:
    a few measures in C), then an ellipsis; and the width of what it gives. ``text_width``: the
    text's own width when known, to begin where that start should end (a name's cut is then
    found in about four measures, not eight)."""
    room, fits, over = max(width - 1, 0), 0, len(text) + 1
    # ``fits`` always fits and ``over`` never does: the start halving finds, as a start's width
    # only grows with it (but for text presentation, U+FE0E, which narrows a wide emoji: halved)
    if text_width > room and "\ufe0e" not in text:
        guess = room * len(text) // text_width
        step = 1
        if 0 <= wcswidth(text[:guess]) <= room:
            fits = guess
            while fits + step < over:  # steps doubling up from the guess, until one does not fit
                if 0 <= wcswidth(text[: fits + step]) <= room:
                    fits += step
                    step *= 2
                else:
                    over = fits + step
                    break
        else:
            over = guess
            while over - step > fits:  # and down from it, until one fits
                if 0 <= wcswidth(text[: over - step]) <= room:
                    fits = over - step
                    break
                over -= step
                step *= 2
    while over - fits > 1:
        middle = (fits + over) // 2
        if 0 <= wcswidth(text[:middle]) <= room:
            fits = middle
        else:
            over = middle
    short = text[:fits].rstrip() + "…"
    return short, cell_width(short)


def measured_cells(cells: Sequence[str]) -> tuple[list[str], tuple[int, ...] | None]:
    """A line's cells as a table shows them (stripped) and the width of each, measured once;
    None for widths ``Grid`` cannot use (a cell of several lines, an unmeasurable character,
    tabulate's separating-line marker): tabulate lays such a table out itself."""
    stripped = [c.strip() for c in cells]
    widths = tuple(cell_width(c) for c in stripped)
    if "\x01" in stripped[:2] or -1 in widths or any("\n" in c or "\r" in c for c in stripped):
        return stripped, None
    return stripped, widths


class Layout(NamedTuple):
    """How a table is laid out: each column's width, and the room names are cut to."""

    widths: list[int]
    room: int | None


class Grid:
    """A table whose every cell was measured once, fitted to a terminal's width by cutting the
    text of one column. Lines are made one at a time: nothing holds them."""

    def __init__(
        self, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[Sequence[int]],
        align: Sequence[str],
    ) -> None:  # fmt: skip
        self.headers = list(headers)
        self.header_widths = [cell_width(h) for h in self.headers]
        self.rows = rows  # each line's stripped cells (any sequence of them: they may be packed)
        self.widths = widths  # each line's cell widths
        self.align = list(align)

    @classmethod
    def of(cls, headers: Sequence[str], body: Sequence[Sequence[str]], align: Sequence[str]) -> Grid | None:
        """Measured from raw cells; None for what tabulate lays out otherwise."""
        if any("\n" in h or "\r" in h or cell_width(h) < 0 for h in headers):
            return None
        rows, widths = [], []
        for r in body:
            stripped, measured = measured_cells(r)
            if measured is None or len(stripped) != len(headers):
                return None
            rows.append(stripped)
            widths.append(measured)
        return cls(headers, rows, widths, align)

    def layout(self, fmt: str, column: int, width: int | None, min_width: int) -> Layout:
        """Each column's width, and the room the text of ``column`` is cut to (None: none is cut)
        so the table fits ``width`` if it can, never below ``min_width``. Once cut, the column is
        as wide as the room: every line is then made from its own cells alone."""
        widths = [w + 2 for w in self.header_widths]
        if self.widths:
            widths = [max(w, max(c)) for w, c in zip(widths, zip(*self.widths, strict=True), strict=True)]
        room = None
        if width is not None and self.rows and fmt != "markdown":
            excess = sum(widths) + 2 * (len(widths) - 1) - width
            if excess > 0:
                longest = max(w[column] for w in self.widths)
                room = max(min_width, longest - excess, self.header_widths[column])
                if longest > room:
                    widths[column] = max(self.header_widths[column] + 2, room)
                else:
                    room = None
        return Layout(widths, room)

    def lines(self, fmt: str, layout: Layout, column: int = 0, *, raw: bool = False) -> Iterator[str]:
        """The header, its rule and the rows, each as wide as the widest (``raw``: as tabulate
        makes them, trailing spaces dropped), texts of ``column`` wider than the room cut to it."""
        widths, room = layout
        header_align = self.align if self.rows else ["left"] * len(widths)
        head = [
            " " * (full - w) + h if a == "right" else h + " " * (full - w)
            for h, w, full, a in zip(self.headers, self.header_widths, widths, header_align, strict=True)
        ]
        if fmt == "markdown":
            yield "| " + " | ".join(head) + " |"
            yield "|" + "|".join("-" * (w + 2) for w in widths) + "|"
        else:
            yield "  ".join(head).rstrip() if raw else "  ".join(head)
            yield "  ".join("-" * w for w in widths)
        right = [a == "right" for a in self.align]
        full_column, right_column = widths[column], right[column]
        for cells, measured in zip(self.rows, self.widths, strict=True):
            padded = [
                " " * (full - w) + c if r else c + " " * (full - w)
                for c, w, full, r in zip(cells, measured, widths, right, strict=True)
            ]
            if room is not None and measured[column] > room:
                text, text_width = cut(cells[column], room, measured[column])
                pad = " " * (full_column - text_width)
                padded[column] = pad + text if right_column else text + pad
            if fmt == "markdown":
                yield "| " + " | ".join(padded) + " |"
            else:
                yield "  ".join(padded).rstrip() if raw else "  ".join(padded)


# --- fitting a terminal by choosing columns -------------------------------------------------

_PAINTED = re.compile(r"((?:\x1b\[[0-9;]*m)*)(.*?)((?:\x1b\[[0-9;]*m)*)", re.DOTALL)


def cut_cell(text: str, width: int, text_width: int = 0) -> tuple[str, int]:
    """``cut`` for a cell that may be coloured: the text inside its colour codes is cut
    (``text_width``: the cell's width, when known)."""
    if "\x1b" not in text:
        return cut(text, width, text_width)
    match = _PAINTED.fullmatch(text)
    assert match is not None  # ``.*?`` between two runs that may be empty: every text matches
    short, short_width = cut(match.group(2), width, text_width)
    return match.group(1) + short + match.group(3), short_width


def fit_columns(
    natural: Sequence[int], floors: Sequence[int], order: Sequence[int], required: int, name: int,
    prefer: int, width: int,
) -> tuple[list[int], list[int]]:  # fmt: skip
    """The columns a table ``width`` wide shows (in the table's order) and how wide each is.

    ``natural``: each column's width uncut; ``floors``: the narrowest each may be cut to (a
    column's text past its width is cut with an ellipsis); ``order``: the columns by priority,
    the first ``required`` always shown, the others added in turn while they fit; ``name``: the
    column whose text takes the room left, counted at ``prefer`` while the others are chosen.
    When the required columns do not fit even so, the widest are narrowed in turn, down to
    their floors; then the last of the required is left out, and so on (never the first)."""

    def need(columns: Sequence[int], widths: Sequence[int] | dict[int, int]) -> int:
        return sum(widths[c] for c in columns) + 2 * (len(columns) - 1)

    wants = list(natural)
    if 0 <= name < len(wants):
        wants[name] = min(natural[name], max(prefer, floors[name]))
    shown = list(order[:required])
    for column in order[required:]:
        if need([*shown, column], wants) > width:
            break  # the order is kept: no later column in place of one that does not fit
        shown.append(column)
    while True:
        widths = {c: natural[c] for c in shown}
        excess = need(shown, widths) - width
        if excess > 0 and name in widths:  # the name first, down to what it was counted at
            give = min(excess, widths[name] - wants[name])
            widths[name] -= give
            excess -= give
        while excess > 0:
            above = [c for c in shown if widths[c] > floors[c]]
            if not above:
                break
            widest = max(above, key=lambda c: (widths[c], c == name))
            widths[widest] -= 1
            excess -= 1
        if excess <= 0 or len(shown) == 1:
            ordered = sorted(shown)
            return ordered, [widths[c] for c in ordered]
        shown.pop()


def fitted_lines(
    headers: Sequence[str], rows: Iterable[Sequence[str]], measured: Iterable[Sequence[int]],
    align: Sequence[str], columns: Sequence[int], widths: Sequence[int],
) -> Iterator[str]:  # fmt: skip
    """The lines of a table of only ``columns``, each ``widths`` wide (texts past it cut), every
    line as wide as the others: the header, its rule, then the rows."""

    # A label (a state, a plan status) is cut the same way on thousands of lines: each cut is
    # remembered per column, until a column shows many different texts (names: each cut once).
    cuts: list[dict[str, tuple[str, int]] | None] = [{} for _ in columns]
    shape = list(
        zip(range(len(columns)), columns, widths, [align[c] == "right" for c in columns], strict=True)
    )

    def line(cells: Sequence[str], cell_widths: Sequence[int]) -> str:
        out = []
        for place, column, full, right in shape:
            text, text_width = cells[column], cell_widths[column]
            if text_width > full:
                memo = cuts[place]
                found = memo.get(text) if memo is not None else None
                if found is None:
                    found = cut_cell(text, full, text_width)
                    if memo is not None and len(memo) < 64:
                        memo[text] = found
                    elif memo is not None:
                        cuts[place] = None  # many different texts (names): nothing to remember
                text, text_width = found
            pad = " " * (full - text_width) if full > text_width else ""
            out.append(pad + text if right else text + pad)
        return "  ".join(out)

    yield line(headers, [known_width(h) for h in headers])
    yield "  ".join("-" * w for w in widths)
    for cells, cell_widths in zip(rows, measured, strict=True):
        yield line(cells, cell_widths)
