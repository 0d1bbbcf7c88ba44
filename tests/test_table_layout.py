"""The table layout written for speed lays tables out exactly as tabulate does (tables.py)."""

from __future__ import annotations

import random

import pytest

from projledger.core import tables

PIECES = [
    "", " ", "a", "ab c", "True", "False", "1,234.50", "-3.00", "โครงการ", "ก้าวหน้า", "น้ำ", "ผู้ใหญ่",
    "工程", "é", "e\u0301", "\x1b[31mred\x1b[0m", "\x1b[1m\x1b[32mโครงการ\x1b[0m", "██▌░░", "  padded  ",
    "pipe | inside", "…", "\u200b", "👍", "\ufe0f",
]  # fmt: skip


def _cell(rng: random.Random) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 3)))


@pytest.mark.parametrize("fmt", ["table", "markdown"])
@pytest.mark.parametrize("seed", range(40))
def test_layout_is_tabulates(fmt: str, seed: int) -> None:
    rng = random.Random(seed)
    columns = rng.randint(1, 6)
    headers = [_cell(rng) for _ in range(columns)]
    body = [[_cell(rng) for _ in range(columns)] for _ in range(rng.randint(0, 8))]
    align = [rng.choice(["left", "right"]) for _ in range(columns)]
    make = tables._layout(headers, body, align, fmt)
    fast = list(make()) if make is not None else None
    slow = tables._tabulate_lines(headers, body, align, fmt)
    if fast is not None:
        assert fast == slow
    else:  # only what tabulate lays out otherwise falls back to it
        assert any(tables._cell_width(c.strip()) < 0 for r in [headers, *body] for c in r)


def test_several_lines_fall_back_to_tabulate() -> None:
    assert tables._layout(["a", "b"], [["x\ny", "z"]], ["left", "left"], "table") is None
    rendered = tables._render(["a", "b"], [["x\ny", "z"]], ["left", "left"], "table")
    assert rendered.splitlines()[2:] == ["x    z  ", "y       "]
