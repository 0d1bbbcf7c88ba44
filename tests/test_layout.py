"""The canonical layout: tomli-w's, fixed key order, reports as blocks, values kept exactly."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest
import tomli

from projledger.core.errors import RecordError, RefusedError
from projledger.core.layout import (
    canonical_data,
    comment_line,
    formatted,
    render_block,
    render_body,
    render_record,
    schema_line,
)
from projledger.core.record import parse

from conftest import SHIPPED
from conftest import SPEC_RECORD as SPEC

HEADER = "#:schema ../../schemas/project.schema.json\n"


def load(text: str) -> dict:
    return tomli.loads(text, parse_float=Decimal)


def test_the_spec_record_is_its_own_canonical_layout_byte_for_byte() -> None:
    text = SPEC.read_text("utf-8")
    assert render_body(load(text)) == text


def test_key_order_is_restored_whatever_order_the_data_came_in() -> None:
    data = load(SPEC.read_text("utf-8"))
    shuffled = list(data.items())
    random.Random(7).shuffle(shuffled)
    mixed = {k: (dict(reversed(v.items())) if isinstance(v, dict) else v) for k, v in shuffled}
    mixed["reports"] = [dict(reversed(r.items())) for r in data["reports"]]
    assert render_body(mixed) == SPEC.read_text("utf-8")
    assert list(canonical_data(mixed))[-1] == "reports"


def test_schema_line_is_relative_to_the_record_folder(tmp_path: Path) -> None:
    record = tmp_path / "records" / "2565" / "01000000-2475.toml"
    assert schema_line(record, tmp_path) == "#:schema ../../schemas/project.schema.json"
    assert schema_line(tmp_path / "x.toml", tmp_path) == "#:schema schemas/project.schema.json"


def test_small_reports_stay_blocks_never_an_inline_array() -> None:
    data = {"format": 1, "reports": [{"no": 1, "note": "a"}, {"no": 2, "note": "b"}]}
    assert (
        render_body(data)
        == 'format = 1\n\n[[reports]]\nno = 1\nnote = "a"\n\n[[reports]]\nno = 2\nnote = "b"\n'
    )


def test_report_block_keys_in_order() -> None:
    report = {"note": "x", "event": "completed", "no": 3, "progress": Decimal("100.0")}
    assert render_block("reports", report) == (
        '\n[[reports]]\nno = 3\nprogress = 100.0\nnote = "x"\nevent = "completed"\n'
    )


def test_numbers_keep_their_written_value() -> None:
    """Their value and digits; an exponent is written out (no record number has one)."""
    text = "budget = 3540000.0\nprogress = 10.0\ndisbursed = 0.00\nbig = 1e+3\nn = 5\n"
    assert (
        render_body(load(text))
        == "budget = 3540000.0\nprogress = 10.0\ndisbursed = 0.00\nbig = 1000.0\nn = 5\n"
    )


def test_a_string_with_crlf_is_kept_exactly() -> None:
    data = {"note": "line one\r\nline two", "other": "a\nb"}
    text = render_body(data)
    assert load(text) == data
    assert 'other = """\na\nb"""' in text


def test_formatting_the_shipped_record_only_adds_the_header(tmp_path: Path) -> None:
    path = tmp_path / "records" / "2565" / SHIPPED.name
    raw = SPEC.read_bytes()  # the shipped record before fmt gave it its header
    out = formatted(raw, path, tmp_path)
    assert out == HEADER.encode() + raw
    assert out == SHIPPED.read_bytes()
    assert formatted(out, path, tmp_path) == out
    assert load(out.decode()) == load(raw.decode())


def test_an_existing_schema_line_is_kept_as_written(tmp_path: Path) -> None:
    raw = b"#:schema https://example.org/project.schema.json\nformat = 1\n"
    assert formatted(raw, tmp_path / "r.toml", tmp_path) == raw


def test_crlf_files_stay_crlf_and_a_bom_is_dropped(tmp_path: Path) -> None:
    raw = b'\xef\xbb\xbfname = "a"\r\nformat = 1\r\n'
    out = formatted(raw, tmp_path / "r.toml", tmp_path)
    assert out == b'#:schema schemas/project.schema.json\r\nformat = 1\r\nname = "a"\r\n'


def test_comments_are_refused_with_their_line(tmp_path: Path) -> None:
    raw = b'format = 1\nname = "a # not a comment"\ncode = "x" # a comment\n'
    with pytest.raises(RefusedError) as caught:
        formatted(raw, tmp_path / "r.toml", tmp_path)
    assert caught.value.line == 3
    assert "comment" in caught.value.message


def test_an_unreadable_file_raises_a_record_error(tmp_path: Path) -> None:
    with pytest.raises(RecordError):
        formatted(b"format = \n", tmp_path / "r.toml", tmp_path)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('a = "x#y"\n', None),
        ("a = 'x#y'\n", None),
        ('a = """\n# inside\n"""\nb = 1 # here\n', 4),
        ("a = '''\n# inside'''\n#c\n", 3),
        ('a = "q\\"#"\n', None),
        ('a = """x""""\n# after\n', 2),
        ("# first\n", 1),
    ],
)
def test_comment_line_skips_strings(text: str, line: int | None) -> None:
    assert comment_line(text) == line


def test_render_record_puts_the_header_first() -> None:
    assert render_record({"format": 1}, "#:schema s.json") == "#:schema s.json\nformat = 1\n"
    assert parse(render_record({"format": 1}, "#:schema s.json"), "x") == {"format": 1}


# --- format 2 ---------------------------------------------------------------------------------

FORMAT2 = Path(__file__).parent / "data" / "format2"


@pytest.mark.parametrize("name", ["01000000-2475.toml", "kpi/5026-2001.toml"])
def test_fmt_on_the_format2_examples_is_idempotent(name: str) -> None:
    path = FORMAT2 / name
    raw = path.read_bytes()
    assert formatted(raw, path, FORMAT2) == raw  # the examples are in the canonical layout
    shuffled = list(load(raw.decode("utf-8")).items())
    random.Random(3).shuffle(shuffled)
    header = raw.decode("utf-8").splitlines()[0]
    once = render_record(dict(shuffled), header).encode("utf-8")
    assert once == raw and formatted(once, path, FORMAT2) == once


def test_a_format2_project_has_kind_after_format_and_its_new_arrays_after_the_reports() -> None:
    data = load((FORMAT2 / "01000000-2475.toml").read_text("utf-8"))
    data["evaluations"] = [
        {"date": e["date"], "score": e["score"], "quarter": e["quarter"]} for e in data["evaluations"]
    ]
    shuffled = {key: data[key] for key in reversed(list(data))}
    text = render_body(shuffled)
    assert text.startswith('format = 2\nkind = "project"\ncode = ')
    reports, revisions, evaluations = (
        text.index(f"\n[[{n}]]\n") for n in ("reports", "budget_revisions", "evaluations")
    )
    assert reports < revisions < evaluations
    assert "\n[[evaluations]]\nquarter = " in text and "evaluations = [" not in text


def test_small_kpi_rows_are_blocks_never_inline_arrays() -> None:
    data = tomli.loads((FORMAT2 / "kpi" / "5026-2001.toml").read_text("utf-8"))
    text = render_body(
        {**data, "results": [{"value": 1, "quarter": 1}], "evaluations": [{"quarter": 1, "score": 9}]}
    )
    assert "\n[[results]]\nquarter = 1\nvalue = 1\n" in text
    assert "\n[[evaluations]]\nquarter = 1\nscore = 9\n" in text
    assert text.index('format = 2\nkind = "kpi"\ncode = "5026-2001"\nnumber = ') == 0
