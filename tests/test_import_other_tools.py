"""Printouts, KPI pages and sheets made by other people's tools: odd but valid inputs import
exactly as the plain ones do, or are refused in one line naming file, line and field, nothing
written; never a record that quietly differs."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from projledger.core.errors import InputError
from projledger.core.kpi_page import KpiOptions, parse_kpi_page
from projledger.core.legacy import parse_printout

from conftest import DATA, LEGACY_PRINTOUT, run

LEGACY = DATA / "legacy"
KPI_PAGE = LEGACY / "kpi_5026-2001.txt"
KPI_ARGS = ("--fiscal-year", "2564", "--evaluation-date", "1=20/01/2564", "--evaluation-date", "2=20/04/2564",
            "--evaluation-date", "4=20/10/2564")  # fmt: skip
KPI_OPTIONS = KpiOptions(2564, evaluation_dates={})


def _stdout(*args: str) -> dict[str, Any]:
    result = run("import", "--stdout", *args)
    assert result.exit_code == 0, result.stderr
    return tomllib.loads(result.stdout, parse_float=Decimal)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_a_printout_saved_by_another_tool_gives_the_plain_printouts_record(empty_repo: Path) -> None:
    """BOM and CRLF, zero-width spaces between Thai words (inside labels and report markers),
    no-break spaces, headings and items numbered in Thai digits, page footers and form feeds:
    the record of the plain printout, every report of it (before: none, and no details)."""
    assert _stdout(str(LEGACY / "printout_other_tool.txt")) == _stdout(str(LEGACY_PRINTOUT))


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.replace(" / ", "\t/\t"),  # the agency's levels apart by tabs
        lambda t: t.replace(" ", "\u00a0"),  # every space a no-break space
        lambda t: t.replace("\n", "\r"),  # the old Mac's line ends
        lambda t: t.replace(
            "\n\n\n\n\n**** แบบ", "\nPage 1 of 3\f**** แบบ"
        ),  # a footer, glued to the next header
    ],
    ids=["tabs", "nbsp", "cr", "footer"],
)
def test_spacing_line_ends_and_page_footers_change_nothing(change: Any) -> None:
    text = LEGACY_PRINTOUT.read_text("utf-8")
    assert parse_printout(change(text), "p.txt").data == parse_printout(text, "p.txt").data


@pytest.mark.parametrize(
    ("encode", "says"),
    [
        (lambda t: t.encode("utf-16"), "UTF-16"),
        (lambda t: t.encode("utf-16-le"), "UTF-16"),
        (lambda t: t.encode("cp874", "replace"), "TIS-620"),
    ],
    ids=["utf16-bom", "utf16", "cp874"],
)
@pytest.mark.parametrize("source", [LEGACY_PRINTOUT, KPI_PAGE], ids=["printout", "kpi"])
def test_another_encoding_is_named_with_the_way_to_convert_it(
    empty_repo: Path, source: Path, encode: Any, says: str
) -> None:
    Path("saved.txt").write_bytes(encode(source.read_text("utf-8")))
    before = _tree(empty_repo)
    result = run("import", "saved.txt", *(KPI_ARGS if source == KPI_PAGE else ()))
    assert result.exit_code == 1
    assert (
        result.stderr.startswith("projledger: saved.txt: ")
        and says in result.stderr
        and "iconv" in result.stderr
    )
    assert "NUL" not in result.stderr and _tree(empty_repo) == before


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (LEGACY_PRINTOUT.read_text("utf-8") * 2, 170),  # the same printout twice
        (LEGACY_PRINTOUT.read_text("utf-8") + (LEGACY / "thai_digits.txt").read_text("utf-8"), 170),
    ],
    ids=["twice", "two"],
)
def test_two_printouts_in_one_file_are_refused_at_the_second(empty_repo: Path, text: str, line: int) -> None:
    """Before: one record with the rationale twice and the second printout's items in the last
    objective, exit 0."""
    Path("both.txt").write_text(text, "utf-8")
    result = run("import", "both.txt")
    assert result.exit_code == 1
    assert f"both.txt:{line}: " in result.stderr and "two printouts" in result.stderr
    assert not (empty_repo / "records" / "2565").exists()


def test_a_kpi_page_with_zero_width_spaces_reads_as_the_plain_one(empty_repo: Path) -> None:
    """Before: not told for a KPI page at all, and refused as a printout of a project."""
    text = KPI_PAGE.read_text("utf-8")
    Path("zw.txt").write_text(
        text.replace("ค่าเป้าหมาย", "ค่า\u200bเป้าหมาย").replace("ไตรมาสที่", "ไตร\u200bมาสที่")
    )
    assert _stdout("zw.txt", *KPI_ARGS) == _stdout(str(KPI_PAGE), *KPI_ARGS)


@pytest.mark.parametrize(
    ("old", "new", "line"),
    [
        ("ไตรมาสที่ 3\t71.85", "ไตรมาสที่ 3\t-71.85", 39),  # a negative result
        ("ไตรมาสที่ 1\t30.12\t100 / 100", "ไตรมาสที่ 1\t30.12\t100 /", 37),  # a full score left blank
    ],
    ids=["negative", "no-full-score"],
)
def test_a_quarters_row_that_cannot_be_read_is_refused_with_its_line(old: str, new: str, line: int) -> None:
    """Before: the table ended there, its rows were skipped with a warning, and the record was
    written without those quarters' results (exit 0)."""
    text = KPI_PAGE.read_text("utf-8")
    with pytest.raises(InputError) as caught:
        parse_kpi_page(text.replace(old, new), "k.txt", KPI_OPTIONS)
    assert caught.value.line == line and "quarter's row" in str(caught.value)


def test_two_kpi_pages_in_one_file_are_refused(empty_repo: Path) -> None:
    """The second page's lines would otherwise run into the first page's last note."""
    second = (LEGACY / "kpi_5011-2003.txt").read_text("utf-8").split("รายงานผลฯ")[0]
    Path("two.txt").write_text(KPI_PAGE.read_text("utf-8") + "\n" + second, "utf-8")
    result = run("import", "two.txt", *KPI_ARGS)
    assert (
        result.exit_code == 1 and "two.txt:65: name: " in result.stderr and "two KPI pages" in result.stderr
    )
    assert not (empty_repo / "records" / "2564").exists()
