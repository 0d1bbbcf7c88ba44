"""core/sheet/ without the command line: due rows, headers, cells, hostile files, the plan."""

from __future__ import annotations

import os
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from projledger.core import sheet as core
from projledger.core.config import load_config
from projledger.core.errors import InputError
from projledger.core.portfolio import Filters
from projledger.core.sheet import Cell, CellError, SheetColumn, Table, convert
from projledger.core.sheet import read as reading  # the limits live where the reading uses them

import portfolio

AS_OF = date(2022, 4, 30)


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    portfolio.build(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def column(kind: Any, key: str = "x") -> SheetColumn:
    return SheetColumn(key, "ทดสอบ", kind)


# --- which rows -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "as_of", "codes"),
    [
        ((2022, 3), date(2022, 3, 31), ["18000000-0009", "50010000-0003", "50020000-0004"]),
        ((2022, 1), date(2022, 3, 31), ["50020000-0004"]),  # the others filed January
        ((2021, 9), date(2022, 3, 31), []),  # before every start's month
        ((2022, 4), date(2022, 3, 31), []),  # after the day of the export: not due yet
    ],
)
def test_due_rows(office: Path, month: tuple[int, int], as_of: date, codes: list[str]) -> None:
    found = core.export_rows(load_config(office), as_of, *month, Filters())
    assert [row["code"] for row in found] == codes


def test_a_late_project_still_owes_its_report_and_the_number_counts_months(office: Path) -> None:
    """18000000-0009 ended in February but was never completed: April is its month 7."""
    found = {r["code"]: r for r in core.export_rows(load_config(office), AS_OF, 2022, 4, Filters())}
    assert found["18000000-0009"]["no"] == 7
    assert found["18000000-0009"]["latest_no"] == 5
    assert found["50020000-0004"]["latest_disbursed"] == Decimal("120000.0")
    assert "18000000-0006" not in found  # completed
    assert "50010000-0007" not in found  # cancelled


def test_column_letters() -> None:
    assert [core.column_letter(i) for i in (0, 25, 26, 51, 701, 702)] == ["A", "Z", "AA", "AZ", "ZZ", "AAA"]


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("ความก้าวหน้าของงานฯ % (progress)", "progress"),
        ("  งบประมาณที่เบิกใช้สะสม (บาท)   (disbursed) ", "disbursed"),
        ("\ufeffรหัสโครงการ (code)", "code"),
        ("progress", "progress"),
        ("งบประมาณ (บาท)", None),
        (None, None),
        (45, None),
    ],
)
def test_header_key(header: Any, key: str | None) -> None:
    assert core.header_key(header) == key


# --- cells ----------------------------------------------------------------------------------


def test_a_percentage_cell_is_read_as_it_is_shown() -> None:
    """Excel stores a typed "45.5%" as 0.455 in a cell formatted as a percentage."""
    assert convert(column("percent"), Cell("A", 0.455, "%")) == Decimal("45.5")
    assert convert(column("percent"), Cell("A", 1, "%")) == Decimal("100")


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("percent", 45.5, Decimal("45.5")),
        ("percent", 100, Decimal("100")),
        ("percent", "๔๕.๕", Decimal("45.5")),
        ("percent", "45 %", Decimal("45")),
        ("money", 1250000.55, Decimal("1250000.55")),
        ("money", "๑,๒๕๐.๕๐", Decimal("1250.50")),
        ("money", "3,540,000 บาท", Decimal("3540000.00")),
        ("money", 1e16, Decimal("10000000000000000.00")),  # too large for the schema: refused later
        ("date", "๒๘/๐๔/๒๕๖๕", date(2022, 4, 28)),
        ("date", "2022-04-28", date(2022, 4, 28)),
        ("date", datetime(2022, 4, 28), date(2022, 4, 28)),
        ("plan_status", "เป็นไปตามแผนแต่ควรติดตาม", "watch"),
        ("plan_status", "behind plan", "behind"),
        ("plan_status", "on_plan", "on_plan"),
        ("target_status", "ไม่เป็นไปตามเป้าหมาย", "off_target"),
        ("event", "ยกเลิกโครงการ", "cancelled"),
        ("int", "๒๕๖๘", 2568),
        ("int", 7.0, 7),
        ("text", 123, "123"),
        ("text", "=1+1", "=1+1"),  # a text cell, not a formula: kept as typed
    ],
)
def test_convert_reads_as_add_report_reads(kind: Any, value: Any, expected: Any) -> None:
    assert convert(column(kind), Cell("A", value)) == expected


@pytest.mark.parametrize(
    ("kind", "cell", "message"),
    [
        ("percent", Cell("A", '=HYPERLINK("x")', "f"), "holds the formula '=HYPERLINK(\"x\")'"),
        ("text", Cell("A", "#REF!", "e"), "holds the spreadsheet error #REF!"),
        ("percent", Cell("A", "abc"), "is not a percentage"),
        ("percent", Cell("A", float("nan")), "not a finite number"),
        ("money", Cell("A", "-5"), "cannot be negative"),
        ("money", Cell("A", "1.005"), "at most 2 decimals"),
        ("date", Cell("A", datetime(2565, 4, 28)), "a Buddhist Era year typed into a date cell"),
        ("date", Cell("A", datetime(2022, 4, 28, 13, 5)), "holds a time of day"),
        ("date", Cell("A", 44679), "is a number, not a date"),
        ("date", Cell("A", "28/04/2022"), "takes a Buddhist Era year"),
        ("date", Cell("A", "2565-04-28"), "an ISO date takes a Gregorian year"),
        ("percent", Cell("A", datetime(2022, 4, 28)), "holds a date (2022-04-28), not a percent"),
        ("plan_status", Cell("A", "ดี"), "is not one of: เป็นไปตามแผน"),
        ("int", Cell("A", "7.5"), "is not a whole number"),
    ],
)
def test_convert_refuses_with_a_sentence(kind: Any, cell: Cell, message: str) -> None:
    with pytest.raises(CellError, match=None) as caught:
        convert(column(kind), cell)
    assert message in str(caught.value)


# --- reading files --------------------------------------------------------------------------


def test_csv_with_bom_crlf_and_a_quoted_newline(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    text = 'รหัสโครงการ (code),no,date,progress,note\r\n01000000-0001,4,28/04/2565,50,"บรรทัดหนึ่ง\r\nสอง"\r\n,,,,\r\n'
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    table = core.read_table(path, "s.csv")
    assert table.kind == "report"
    assert table.letters == {"code": "A", "no": "B", "date": "C", "progress": "D", "note": "E"}
    assert [row.number for row in table.rows] == [2]
    assert table.rows[0].cells["note"].value == "บรรทัดหนึ่ง\r\nสอง"
    assert table.blank_rows == 1


def test_row_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.csv"
    path.write_text("code,no,date,progress,note\n" + "x,,,,\n" * 3 + ",,,,\n" * 5, encoding="utf-8")
    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    assert len(core.read_table(path, "s.csv").rows) == 3  # blank rows are not counted
    monkeypatch.setattr(reading, "MAX_ROWS", 2)
    with pytest.raises(InputError, match="holds more than 2 filled rows"):
        core.read_table(path, "s.csv")
    monkeypatch.setattr(reading, "MAX_ROWS", 10)
    monkeypatch.setattr(reading, "MAX_SHEET_ROWS", 8)
    with pytest.raises(InputError, match="holds more than 8 rows"):
        core.read_table(path, "s.csv")


def test_a_repeated_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("code,no,date,progress,note,progress\n", encoding="utf-8")
    with pytest.raises(InputError, match="two columns are headed 'progress' \\(D and F\\)"):
        core.read_table(path, "s.csv")


def test_zip_limits_are_checked_on_the_listing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", "x" * 5000)
    core.check_zip(path, "s.xlsx")  # small: fine
    monkeypatch.setattr(reading, "MAX_INFLATED_BYTES", 4000)
    with pytest.raises(InputError, match="would inflate to 0 MB when unzipped"):
        core.check_zip(path, "s.xlsx")
    monkeypatch.setattr(reading, "MAX_MEMBERS", 2)
    with pytest.raises(InputError, match="holds 3 zip members"):
        core.check_zip(path, "s.xlsx")


def test_an_xlsx_is_read_without_running_formulas(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "อื่น"
    sheet = book.create_sheet(core.REPORT_TITLE)  # found by its title, not by its place
    sheet.append(["code", "no", "date", "progress", "note"])
    sheet.append(["01000000-0001", 4, "28/04/2565", "=40+5", "x"])
    sheet.cell(3, 5).value = "=1+1"
    sheet.cell(3, 5).data_type = "s"  # typed as text (with a leading quote in Excel)
    book.save(tmp_path / "s.xlsx")
    table = core.read_table(tmp_path / "s.xlsx", "s.xlsx")
    assert table.rows[0].cells["progress"] == Cell("D", "=40+5", "f")
    assert table.rows[1].cells["note"] == Cell("E", "=1+1", "")


# --- the plan ---------------------------------------------------------------------------------


def table_of(*rows: dict[str, Any]) -> Table:
    keys = ["code", "no", "date", "progress", "disbursed", "plan_status", "target_status", "note", "event"]
    letters = {key: core.column_letter(i) for i, key in enumerate(keys)}
    return Table(
        "report",
        letters,
        tuple(
            core.SheetRow(number, {k: Cell(letters[k], row.get(k)) for k in keys})
            for number, row in enumerate(rows, start=2)
        ),
    )


ROW = {"code": "50010000-0003", "no": 4, "date": "20/04/2565", "progress": "45", "note": "งวดที่ ๒"}


def test_an_empty_disbursed_keeps_the_last_amount_and_reads_only_named_records(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_walk(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an import must not walk the repository")

    read: list[str] = []
    real_read = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        read.append(self.name)
        return real_read(self)

    monkeypatch.setattr(os, "walk", no_walk)
    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    plan = core.plan_import(table_of(ROW), load_config(office), AS_OF)
    assert [name for name in read if name.endswith(".toml")] == ["50010000-0003.toml"]
    assert plan.errors == []
    [change] = plan.changes.values()
    assert "disbursed = 50000.00\n" in change.blocks[0]
    assert 'plan_status = "behind"' in change.blocks[0]  # computed, as add-report does


def test_two_rows_of_one_record_append_in_order(office: Path) -> None:
    later = {**ROW, "no": 5, "date": "2022-05-01", "progress": "60"}
    plan = core.plan_import(table_of(ROW, later), load_config(office), date(2022, 5, 31))
    assert plan.errors == []
    [change] = plan.changes.values()
    assert change.rows == [2, 3]
    assert change.after.count(b"[[reports]]") == 4
    outcome = core.write_plan(plan)
    assert (len(outcome.written), outcome.failed) == (1, [])
    text = (office / "records/2565/50010000-0003.toml").read_text(encoding="utf-8")
    assert text.index("no = 4") < text.index("no = 5")


def test_a_row_repeated_in_the_sheet_is_already_there_the_second_time(office: Path) -> None:
    plan = core.plan_import(table_of(ROW, ROW), load_config(office), AS_OF)
    assert [o.action for o in plan.outcomes] == ["append", "identical"]
    changed = {**ROW, "note": "อื่น"}
    plan = core.plan_import(table_of(ROW, changed), load_config(office), AS_OF)
    [finding] = plan.errors
    assert (finding.row, finding.column, finding.key) == (3, "H", "note")
    assert "note งวดที่ ๒ (the sheet says อื่น)" in finding.message


def test_rule_errors_land_on_their_cells(office: Path) -> None:
    rows = [
        {**ROW, "progress": "101"},  # schema: above 100
        {**ROW, "code": "50020000-0004", "no": 7, "date": "2022-05-02"},  # after the day of the import
        {**ROW, "code": "01000000-0001", "no": "0"},  # the schema: numbers start at 1
        {**ROW, "code": "not-a-code"},
        {**ROW, "code": "01000000-0006", "note": "   "},  # a required cell left blank
    ]
    plan = core.plan_import(table_of(*rows), load_config(office), AS_OF)
    where = [(f.row, f.column, f.key) for f in plan.errors]
    assert where == [
        (2, "D", "progress"),
        (3, "C", "date"),
        (4, "B", "no"),
        (5, "A", "code"),
        (6, "H", "note"),
    ]
    assert plan.changes == {}


def test_write_plan_refuses_a_record_changed_since_the_plan(office: Path) -> None:
    plan = core.plan_import(table_of(ROW), load_config(office), AS_OF)
    path = office / "records/2565/50010000-0003.toml"
    path.write_bytes(path.read_bytes() + b"# edited meanwhile\n")
    outcome = core.write_plan(plan)
    [(change, error)] = outcome.failed
    assert outcome.written == [] and change.path == path
    assert "changed while the sheet was being imported" in str(error)
    assert path.read_bytes().endswith(b"# edited meanwhile\n")


# --- work follows the filled rows -------------------------------------------------------------


def _counting_cells(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the calls of the function that turns a row into cells (one per row it handles)."""
    calls: list[int] = []
    real = reading._cells

    def counted(row: Any) -> list[Cell]:
        calls.append(1)
        return real(row)

    monkeypatch.setattr(reading, "_cells", counted)
    return calls


@pytest.mark.parametrize("blank", ["\n", ",,,,,,,,\n", ",,\r\n"])
def test_blank_csv_lines_cost_no_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blank: str) -> None:
    """A CSV of 20,000 blank lines (a million took 10-14 s) made cells for each; now a line of
    no text is counted only: the row function runs for the header and the filled rows."""
    path = tmp_path / "s.csv"
    filled = "01000000-2475,13,20/11/2565,95,x\n"
    path.write_text("code,no,date,progress,note\n" + blank * 10_000 + filled + blank * 10_000, "utf-8")
    calls = _counting_cells(monkeypatch)
    table = core.read_table(path, "s.csv")
    assert [row.number for row in table.rows] == [10_002]
    assert table.blank_rows == 20_000
    assert len(calls) == 2


def test_a_row_at_the_sheets_last_number_costs_one_row_of_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An xlsx whose one filled row is r="1048576" took 14.5 s: openpyxl pads every row before it
    with empty cells, and each became cells; now a padded row is counted only."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for index, key in enumerate(("code", "no", "date", "progress", "note"), start=1):
        sheet.cell(1, index, key)
    sheet.cell(3, 1, None).style = "Note"  # a styled empty row the file holds: handled, empty
    for index, value in enumerate(("01000000-2475", 13, "20/11/2565", 95, "x"), start=1):
        sheet.cell(reading.MAX_SHEET_ROWS, index, value)
    book.save(tmp_path / "s.xlsx")
    calls = _counting_cells(monkeypatch)
    table = core.read_table(tmp_path / "s.xlsx", "s.xlsx")
    assert [row.number for row in table.rows] == [reading.MAX_SHEET_ROWS]
    assert table.blank_rows == reading.MAX_SHEET_ROWS - 2
    assert len(calls) == 3  # the header, the styled row, the filled row
