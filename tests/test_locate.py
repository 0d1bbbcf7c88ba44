"""Where a finding's field stands: ``locate.index_lines`` against toml-rs's own positions.

``toml_rs.load_with_metadata`` knows the line of every key and ``[[table]]`` entry (its lines are
right on lines holding Thai; only its columns are byte columns) but costs more than reading the
record: so the index reads the text itself, and these tests hold it to toml-rs's lines.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import toml_rs
from test_reader_differential import corpus

from projledger.core.locate import FieldKey, index_lines, line_of

from conftest import DATA


def metadata_lines(text: str) -> dict[FieldKey, int]:
    """Every key and array-of-tables entry toml-rs places, reached through tables and entries
    (not through dotted keys or inline tables, which the index leaves to their parent's line)."""
    found: dict[FieldKey, int] = {}

    def walk(nodes: dict[str, Any], where: FieldKey) -> None:
        for name, node in nodes.items():
            path = (*where, name)
            if "key_line" not in node:  # a table: its keys are its own
                walk(node, path)
                continue
            found[path] = node["key_line"]
            value = node["value"]
            if isinstance(value, list) and value and str(value[0].get("value_raw")).startswith("[["):
                del found[path]  # ``[[x]]`` has no line of its own: each entry has one
                for number, entry in enumerate(value, start=1):
                    found[(*path, number)] = entry["value_line"]
                    walk(entry["value"], (*path, number))

    walk(toml_rs.load_with_metadata(text, toml_version="1.0.0").meta["nodes"], ())
    return found


def texts() -> list[tuple[str, str]]:
    found = [(f"generated {n}", raw.decode()) for n, raw in enumerate(corpus())]
    for path in sorted(Path(DATA).rglob("*.toml")):
        try:
            text = path.read_text(encoding="utf-8")
            toml_rs.loads(text, toml_version="1.0.0")
        except (UnicodeDecodeError, toml_rs.TOMLDecodeError, ValueError):
            continue
        found.append((str(path.relative_to(DATA)), text))
    return found


TRICKY = '''format = 1
name = "โครงการ [[reports]] ของ\\"กทม\\""
plan = [
    1.0, # ] a comment holding a bracket
    2.0,
]
objectives = ["ก ] ข", \'\'\'ค [
[[reports]]
ง\'\'\', """จ \\""" [ ฉ
no = 9""""]
"quoted" = 2
[details]
rationale = """
เหตุผล\u2028ข้อ 2\u0085ข้อ 3
[[reports]]
no = 7 \\"""
note = 8
"""
[[reports]]
no = 1
note = \'\'\'ก
\'\'\'
[[reports]]\r
no = 2\r
date = 2025-01-01
'''


@pytest.mark.parametrize(("name", "text"), [*texts(), ("tricky", TRICKY)])
def test_every_key_has_the_line_toml_rs_gives(name: str, text: str) -> None:
    expected = metadata_lines(text)
    assert expected or not text.strip()
    lines = index_lines(text)
    assert {path: lines.get(path) for path in expected} == expected


def test_lines_are_counted_by_newline_alone() -> None:
    # U+2028 and U+0085 may stand in a TOML string: they end no line (str.splitlines counted them)
    text = 'format = 1\nname = "ก\u2028ข\u0085ค"\nbudget = 1.0\n[[reports]]\nno = 1\n'
    assert line_of(text, "budget") == 3
    assert line_of(text, "reports[1].no") == 5


def test_a_note_that_looks_like_a_header_is_no_header() -> None:
    text = "format = 1\nnotes = [\"\"\" a\n[[reports]]\nno = 5\"\"\", '''\n[[reports]]''']\n[[reports]]\nno = 1\n"
    assert line_of(text, "reports[1].no") == 7
    assert line_of(text, "reports[2]") == 1  # no second report: the top of the file


def test_an_array_of_tables_named_whole_is_at_its_first_header() -> None:
    """A finding about a whole array of tables (``evaluations`` in a format-1 record) names the
    line of its first ``[[...]]``, not the top of the file; an item it lacks still falls back."""
    text = 'format = 1\ncode = "x"\n\n[[evaluations]]\nquarter = 1\n\n[[evaluations]]\nquarter = 2\n'
    assert line_of(text, "evaluations") == 4
    assert line_of(text, "evaluations[2].quarter") == 8
    assert line_of(text, "evaluations[3]") == 1
