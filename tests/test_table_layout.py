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


def test_widths_known_without_wcwidth_are_wcwidths() -> None:
    """The characters measured without importing wcwidth measure as wcwidth measures them,
    alone and in any mix (Thai combining marks after any letter, the bar's blocks, ASCII)."""
    import wcwidth

    known = [chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0x0E00, 0x0E80)]
    known += ["…", *(chr(c) for c in range(0x2588, 0x2590)), "░"]
    for char in known:
        assert tables._known_width(char) == wcwidth.wcwidth(char), hex(ord(char))
    rng = random.Random(5)
    for _ in range(3000):
        text = "".join(rng.choice(known) for _ in range(rng.randint(0, 40)))
        assert tables._known_width(text) == wcwidth.wcswidth(text), text
    for other in ["\t", "\x1b[31m", "工程", "é", "👍", "\u200b", "ก\u200b"]:
        assert tables._known_width(other) is None
        assert tables.wcswidth(other) == wcwidth.wcswidth(other)


def test_shortening_known_text_cuts_where_measuring_each_character_cuts() -> None:
    """The quick cut of Thai and ASCII text is the cut made by adding up each character's
    width, marks kept with their letter (and marks that open a text)."""

    def by_characters(text: str, width: int) -> str:
        used, kept = 0, []
        for char in text:
            w = max(tables.wcwidth(char), 0)
            if used + w > width - 1:
                break
            kept.append(char)
            used += w
        return "".join(kept).rstrip() + "…"

    rng = random.Random(9)
    alphabet = [*"กขคโน้ำ่ัิีุู็ ab1", "\u0e48", "\u0e49", "\u0e4c"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        width = rng.randint(1, 30)
        expected = text if tables.width_of(text) <= width else by_characters(text, width)
        assert tables.shorten(text, width) == expected, (text, width)
        if expected != text:
            assert tables._cut(text, width) == (expected, tables._cell_width(expected))
