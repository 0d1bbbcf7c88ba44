"""The one layout of our own (core/grid.py) lays tables out exactly as tabulate does, with
wcwidth's widths; what it cannot lay out goes to tabulate."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import wcwidth

from projledger.core import grid, tables
from projledger.core.config import Config
from projledger.core.labels import word
from projledger.core.portfolio import rows, sorted_rows

import portfolio

PIECES = [
    "", " ", "a", "ab c", "True", "False", "1,234.50", "-3.00", "โครงการ", "ก้าวหน้า", "น้ำ", "ผู้ใหญ่",
    "工程", "é", "e\u0301", "\x1b[31mred\x1b[0m", "\x1b[1m\x1b[32mโครงการ\x1b[0m", "██▌░░", "  padded  ",
    "pipe | inside", "…", "\u200b", "👍", "\ufe0f", "ที่นี่", "\u0e33", "\u0e48ก",
]  # fmt: skip


def _cell(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 3)))


def _grid_lines(headers: list[str], body: list[list[str]], align: list[str], fmt: str) -> list[str] | None:
    table = grid.Grid.of(headers, body, align)
    if table is None:
        return None
    return list(table.lines(fmt, table.layout(fmt, 0, None, tables.MIN_NAME_WIDTH), raw=True))


@pytest.mark.parametrize("fmt", ["table", "markdown"])
@pytest.mark.parametrize("seed", range(60))
def test_layout_is_tabulates(fmt: str, seed: int) -> None:
    """Random tables of Thai, ASCII, wide, combining and coloured cells: tabulate's lines, byte
    for byte; only what tabulate measures otherwise (no width known) is left to it."""
    rng = random.Random(seed)
    columns = rng.randint(1, 6)
    headers = [_cell(rng) for _ in range(columns)]
    body = [[_cell(rng) for _ in range(columns)] for _ in range(rng.randint(0, 12))]
    align = [rng.choice(["left", "right"]) for _ in range(columns)]
    ours = _grid_lines(headers, body, align, fmt)
    theirs = tables._tabulate_lines(headers, body, align, fmt)
    if ours is not None:
        assert ours == theirs
    else:
        assert any(grid.cell_width(c.strip()) < 0 for r in [headers, *body] for c in r)


def test_several_lines_fall_back_to_tabulate() -> None:
    assert grid.Grid.of(["a", "b"], [["x\ny", "z"]], ["left", "left"]) is None
    rendered = "\n".join(
        tables.fitted_table(["a", "b"], [["x\ny", "z"]], ["left", "left"], "table", 0, None, False, None)
    )
    assert rendered.splitlines()[2:] == ["x    z  ", "y       "]


def test_widths_are_wcwidths() -> None:
    """No width table of our own: a cell is as wide as wcwidth says, colour codes taking none."""
    rng = random.Random(5)
    alphabet = [*"กขคโน้ำ่ัิีุู็ ab1工👍é", "\u0e48", "\u0e49", "\u0e4c", "\u200b", "\ufe0f", "…", "█", "░"]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        assert grid.cell_width(text) == wcwidth.wcswidth(text), text
        assert grid.cell_width(f"\x1b[31m{text}\x1b[0m") == wcwidth.wcswidth(text), text
        measured = wcwidth.wcswidth(text)
        assert tables.width_of(text) == (measured if measured >= 0 else len(text)), text


def test_shortening_keeps_the_longest_start_that_fits() -> None:
    """A cut text is the longest start of the text that wcwidth measures within ``width - 1``
    columns (marks stay with their letter, a wide letter that would not fit goes), then an
    ellipsis; the width given with it is its own."""

    def longest_start(text: str, width: int) -> str:
        end = max(e for e in range(len(text) + 1) if 0 <= wcwidth.wcswidth(text[:e]) <= width - 1)
        return text[:end].rstrip() + "…"

    rng = random.Random(9)
    alphabet = [*"กขคโน้ำ่ัิีุู็ ab1工", "\u0e48", "\u0e49", "\u0e4c", "e\u0301"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        width = rng.randint(1, 30)
        expected = text if tables.width_of(text) <= width else longest_start(text, width)
        assert tables.shorten(text, width) == expected, (text, width)
        if expected != text:
            assert grid.cut(text, width) == (expected, wcwidth.wcswidth(expected))
    emoji = [*alphabet, "👍", "\ufe0f", "\u200d", "❤", "👨", "\u200b"]
    for _ in range(3000):  # clusters: never wider than asked, whatever wcwidth makes of a part
        text = "".join(rng.choice(emoji) for _ in range(rng.randint(1, 40)))
        width = rng.randint(1, 30)
        short, short_width = grid.cut(text, width)
        assert short_width == wcwidth.wcswidth(short) <= max(width, 1), (text, width)


def test_a_cut_begun_from_the_texts_width_is_the_cut_halving_finds() -> None:
    """Given the text's width, ``cut`` begins where the start should end and steps out from
    there: it finds the very start halving finds, on Thai marks, clusters, control characters
    and U+FE0E (which narrows a wide emoji, so a longer start may be narrower: halved)."""
    rng = random.Random(11)
    alphabet = [*"กขคโน้ำ่ัิีุู็ ab1工", "\u0e48", "\u0e49", "\u0e4c", "e\u0301", "👍", "\ufe0f",
                "\ufe0e", "\u200d", "❤", "👨", "\u200b", "⌚", "\x07", "🇹", "🇭"]  # fmt: skip
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 120)))
        width = rng.randint(1, 80)
        assert grid.cut(text, width, grid.known_width(text)) == grid.cut(text, width), (text, width)
        assert grid.cut(text, width, rng.randint(1, 400)) == grid.cut(text, width), (text, width)


@pytest.mark.parametrize("fmt", ["table", "markdown"])
@pytest.mark.parametrize("colour", [False, True])
def test_status_table_is_tabulates(tmp_path: Path, fmt: str, colour: bool) -> None:
    """The status table laid out from lines measured once is the table tabulate makes of the
    same cells (padded to one width, as every table is shown)."""
    portfolio.build(tmp_path)
    config = Config(root=tmp_path.resolve(), records_dir=(tmp_path / "records").resolve())
    chosen = sorted_rows(rows([], config, portfolio.AS_OF))
    assert len(chosen) > 3

    def paint(text: str, kind: str) -> str:
        return f"\x1b[3{len(kind) % 7}m{text}\x1b[0m" if colour else text

    ours = portfolio.status_table(chosen, "th", fmt, paint=paint).splitlines()
    headers = [word(c, "th") for c in tables.STATUS_COLUMNS]
    cells = [tables.status_cells(r, "th", fmt, paint) for r in chosen]
    theirs = tables._tabulate_lines(headers, cells, tables._STATUS_ALIGN, fmt)
    assert ours == list(tables._shown(theirs, fmt))


def test_a_kept_status_line_is_plain_columns_read_back_as_it_was(tmp_path: Path) -> None:
    """What the index keeps of a status line is a tuple of plain columns (texts, numbers, the
    widths as bytes, or as text past 255: what SQLite holds), read back equal to the line it was
    made from; a line whose cells hold the separator is not kept (made again each run)."""
    portfolio.build(tmp_path)
    config = Config(root=tmp_path.resolve(), records_dir=(tmp_path / "records").resolve())
    for row in rows([], config, portfolio.AS_OF):
        made = tables.status_line_kept(row, "th")
        columns = tables.status_line_columns(made)
        assert columns is not None and all(v is None or type(v) in (str, int, bytes) for v in columns)
        back = tables.status_line_from_columns(columns)
        assert tables.StatusLine._make(back) == tables.StatusLine._make(made)
        long_name = tables.status_line_kept(row._replace(name="ชื่อยาว" * 60), "en")
        assert max(long_name[13]) > 255
        kept = tables.status_line_columns(long_name)
        assert kept is not None and all(v is None or type(v) in (str, int, bytes) for v in kept)
        back = tables.StatusLine._make(tables.status_line_from_columns(kept))
        assert back == tables.StatusLine._make(long_name)
        held_separator = (*made[:12], tuple(made[12].split(tables.CELL_SEPARATOR)), *made[13:])
        assert tables.status_line_columns(held_separator) is None
        # a text SQLite cannot hold (a lone surrogate) is left out by Index.keep, for every
        # kind of kept value: tests/test_paths.py's non-UTF-8 names, with the index
