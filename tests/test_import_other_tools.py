"""Printouts, KPI pages and sheets made by other people's tools: odd but valid inputs import
exactly as the plain ones do, or are refused in one line naming file, line and field, nothing
written; never a record that quietly differs."""

from __future__ import annotations

import shutil
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

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
        (lambda t: t.encode("utf-16-le"), "UTF-16LE"),
        (lambda t: t.encode("utf-16-be"), "UTF-16BE"),
        (lambda t: t.encode("utf-32"), "UTF-32"),  # was named UTF-16, whose iconv line garbles it
        (lambda t: t.encode("utf-32-le"), "UTF-32LE"),
        (lambda t: t.encode("utf-32-be"), "UTF-32BE"),
        (lambda t: t.encode("cp874", "replace"), "TIS-620"),
    ],
    ids=["utf16-bom", "utf16", "utf16-be", "utf32-bom", "utf32", "utf32-be", "cp874"],
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
    assert (
        f"is {says}, not UTF-8: convert it with iconv -f {says} -t UTF-8" in result.stderr
        or says == "TIS-620"
    )
    if shutil.which("iconv") and says != "TIS-620":  # the line it gives converts the file back
        import subprocess

        converted = subprocess.run(
            ["iconv", "-f", says, "-t", "UTF-8", "saved.txt"], capture_output=True, check=True
        )
        assert converted.stdout.decode("utf-8").removeprefix("\ufeff") == source.read_text("utf-8")


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
    assert "'1. ชื่อโครงการและหน่วยงานที่รับผิดชอบโครงการ'" in result.stderr  # quoted whole, not cut mid-word
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


# --- sheets re-saved by another spreadsheet --------------------------------------------------------


@pytest.fixture
def kpi_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "records" / "2565" / "kpi"
    folder.mkdir(parents=True)
    shutil.copy(DATA / "format2" / "kpi" / "5026-2001.toml", folder)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _quarter_sheet(root: Path, **cells: Any) -> Path:
    result = run("sheet", "export", "--quarter", "3", "--fiscal-year", "2565", "--output", "q3.xlsx")
    assert result.exit_code == 0, result.stderr
    book = load_workbook(root / "q3.xlsx")
    sheet = book.active
    keys = {str(c.value).rsplit("(", 1)[1].rstrip(")"): c.column for c in sheet[1]}
    for key, (value, number_format) in cells.items():
        cell = sheet.cell(2, keys[key], value)
        cell.number_format = number_format
    book.save(root / "q3.xlsx")
    return root / "q3.xlsx"


def test_a_result_and_score_typed_as_percentages_are_the_numbers_shown(kpi_repo: Path) -> None:
    """71.85 % typed into a cell is stored as 0.7185 with a % format: the clerk meant 71.85
    (before: 0.7185 was written, a warning only)."""
    path = _quarter_sheet(
        kpi_repo, value=(0.7185, "0.00%"), date=("15/06/2565", "@"), score=(1, "0%"),
        evaluation_date=("20/07/2565", "@"),
    )  # fmt: skip
    result = run("sheet", "import", str(path), "--as-of", "30/07/2565")
    assert result.exit_code == 0, result.stderr
    data = tomllib.loads(
        (kpi_repo / "records/2565/kpi/5026-2001.toml").read_text("utf-8"), parse_float=Decimal
    )
    assert data["results"][-1]["value"] == Decimal("71.85") and data["evaluations"][-1]["score"] == 100
    again = run("sheet", "import", str(path), "--as-of", "30/07/2565")
    assert again.exit_code == 0 and "0 result or evaluation rows written" in again.stderr


def test_money_shown_as_a_percentage_is_refused_naming_the_cell(repo: Path) -> None:
    """A percentage where baht belong reads neither way: refused (before: 0.45 baht written)."""
    result = run("sheet", "export", "--new", "--output", "new.xlsx")
    assert result.exit_code == 0, result.stderr
    book = load_workbook("new.xlsx")
    sheet = book.active
    row = (
        "01000000-3001",
        "โครงการทดสอบ",
        None,
        2566,
        "01/10/2565",
        "30/09/2566",
        0.45,
        "สำนักงานเลขานุการสภากรุงเทพมหานคร",
    )
    for column, value in enumerate(row, start=1):
        sheet.cell(2, column, value)
    sheet.cell(2, 7).number_format = "0%"
    book.save("new.xlsx")
    before = _tree(repo / "records")
    result = run("sheet", "import", "new.xlsx")
    assert result.exit_code == 1 and "new.xlsx:2:G: budget: '0.45' is shown as a percentage" in result.stderr
    assert _tree(repo / "records") == before


def test_a_renamed_sheet_after_a_sheet_of_notes_is_found_by_its_header(kpi_repo: Path) -> None:
    """Before: the first sheet was read, and refused as lacking the columns."""
    path = _quarter_sheet(kpi_repo, value=(71.85, "General"), date=("15/06/2565", "@"))
    book = load_workbook(path)
    book.active.title = "ไตรมาส 3"
    book.create_sheet("คำอธิบาย", 0)["A1"] = "กรอกผลงานในแผ่นงานถัดไป"
    book.save(path)
    result = run("sheet", "import", str(path), "--as-of", "30/07/2565")
    assert result.exit_code == 0, result.stderr
    assert "1 result or evaluation row written" in result.stderr


def test_a_workbook_with_no_sheet_of_ours_is_still_refused_by_its_first_sheets_header(kpi_repo: Path) -> None:
    book = Workbook()
    book.active["A1"] = "notes"
    book.create_sheet("other")["A1"] = "more notes"
    book.save("notes.xlsx")
    result = run("sheet", "import", "notes.xlsx")
    assert result.exit_code == 1 and "row 1: the header lacks" in result.stderr
