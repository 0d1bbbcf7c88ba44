"""Spreadsheets: numbers stay numbers, dates come twice, text never runs, the file is whole."""

from __future__ import annotations

import os
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from projledger.core.config import load_config
from projledger.core.errors import InputError
from projledger.core.portfolio import rows
from projledger.core.summary import summarise
from projledger.core.xlsx import (
    Column,
    build_workbook,
    display_width,
    status_sheet,
    summary_sheet,
    write_xlsx,
)

from conftest import SHIPPED

COLUMNS = [
    Column("code", "รหัสโครงการ", "code"),
    Column("name", "ชื่อโครงการ", "name"),
    Column("budget", "งบประมาณ", "budget", "money"),
    Column("progress", "ก้าวหน้า %", "progress %", "percent"),
    Column("latest_date", "วันที่รายงาน", "reported on", "date"),
    Column("overdue", "ค้างส่ง", "overdue", "int"),
]
ROWS = [
    {"code": "01000000-2475", "name": "โครงการให้การต้อนรับคณะผู้แทน", "budget": Decimal("3540000.00"),
     "progress": Decimal("35.6"), "latest_date": date(2022, 3, 23), "overdue": 0},
    {"code": "=HYPERLINK(\"http://x\")", "name": "-2+3\x1b[31m", "budget": None, "progress": None,
     "latest_date": None, "overdue": 2},
]  # fmt: skip


def _sheet(path: Path):  # type: ignore[no-untyped-def]
    return load_workbook(path).active


def test_header_in_thai_frozen_and_bold(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "out.xlsx", ROWS, COLUMNS, "th")
    sheet = _sheet(tmp_path / "out.xlsx")
    assert [c.value for c in sheet[1]] == [
        "รหัสโครงการ", "ชื่อโครงการ", "งบประมาณ", "ก้าวหน้า %", "วันที่รายงาน", "วันที่รายงาน (ค.ศ.)", "ค้างส่ง",
    ]  # fmt: skip
    assert sheet.freeze_panes == "A2"
    assert all(c.font.bold for c in sheet[1])
    english = build_workbook(ROWS, COLUMNS, "en").active
    assert [c.value for c in english[1]][4:6] == ["reported on", "reported on (ISO)"]


def test_numbers_are_numbers_with_formats_and_dates_come_twice(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "out.xlsx", ROWS, COLUMNS, "th")
    sheet = _sheet(tmp_path / "out.xlsx")
    _code, name, budget, progress, be, iso, overdue = sheet[2]
    assert budget.value == 3540000 and budget.number_format == "#,##0.00"
    assert progress.value == pytest.approx(35.6) and progress.number_format == "0.00"
    assert be.value == "23/03/2565" and be.data_type == "s"
    assert iso.value == datetime(2022, 3, 23) and iso.is_date and iso.number_format == "yyyy-mm-dd"
    assert overdue.value == 0 and overdue.number_format == "0"
    assert name.value == "โครงการให้การต้อนรับคณะผู้แทน"
    empty = sheet[3]
    assert [c.value for c in empty[2:6]] == [None, None, None, None]


def test_text_never_becomes_a_formula_nor_carries_control_characters(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "out.xlsx", ROWS, COLUMNS, "th")
    sheet = _sheet(tmp_path / "out.xlsx")
    code, name = sheet[3][0], sheet[3][1]
    assert code.data_type == "s" and code.value == '\'=HYPERLINK("http://x")'
    assert name.data_type == "s" and name.value == "'-2+3\\x1b[31m"


def test_column_widths_fit_thai_text() -> None:
    # Thai vowels and tone marks above and below take no width
    assert display_width("ก้าวหน้า") == 6 < len("ก้าวหน้า")
    sheet = build_workbook(ROWS, COLUMNS, "th").active
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCDEFG"}
    assert widths["B"] == display_width("โครงการให้การต้อนรับคณะผู้แทน") + 2
    assert widths["C"] == len("3,540,000.00") + 2
    assert widths["F"] >= len("2022-03-23")


def test_write_is_atomic_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")
    os.chmod(target, 0o640)
    write_xlsx(target, ROWS, COLUMNS, "th")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]
    assert target.stat().st_mode & 0o777 == 0o640
    assert _sheet(target)["A2"].value == "01000000-2475"


def test_a_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"old")
    bad = [{"code": "x", "budget": 1.5}]  # a binary float where money belongs is a bug
    with pytest.raises(TypeError):
        write_xlsx(target, bad, COLUMNS, "th")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_refuses_a_name_that_is_not_xlsx_and_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"must end in \.xlsx"):
        write_xlsx(tmp_path / "out.csv", ROWS, COLUMNS, "th")
    with pytest.raises(InputError, match="no such folder"):
        write_xlsx(tmp_path / "nope" / "out.xlsx", ROWS, COLUMNS, "th")


@pytest.fixture
def shipped_rows(tmp_path: Path) -> list:  # type: ignore[type-arg]
    folder = tmp_path / "records" / "2565"
    folder.mkdir(parents=True)
    (folder / SHIPPED.name).write_text(SHIPPED.read_text("utf-8"), "utf-8")
    config = load_config(tmp_path)
    return list(rows([], config, date(2022, 3, 31), checked_on=date(2026, 11, 25)))


def test_status_sheet_of_the_shipped_record(tmp_path: Path, shipped_rows: list) -> None:  # type: ignore[type-arg]
    columns, lines = status_sheet(shipped_rows, "th")
    write_xlsx(tmp_path / "status.xlsx", lines, columns, "th")
    sheet = _sheet(tmp_path / "status.xlsx")
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert values["รหัสโครงการ"] == "01000000-2475"
    assert values["งบประมาณ"] == 3540000
    assert values["ครั้งที่"] == 6
    assert values["วันที่รายงาน"] == "23/03/2565"
    assert values["วันที่รายงาน (ค.ศ.)"] == datetime(2022, 3, 23)
    assert values["ก้าวหน้า %"] == 50
    assert values["ผลตามแผน (คำนวณ)"] == "เป็นไปตามแผน"
    assert values["ผลตามแผน (รายงาน)"] == "เป็นไปตามแผนแต่ควรติดตาม"
    assert "code" not in header and None not in header


def test_summary_sheets_by_agency_and_by_quarter(tmp_path: Path, shipped_rows: list) -> None:  # type: ignore[type-arg]
    config = load_config(tmp_path)
    by_agency = summarise(shipped_rows, ("agency",), config, date(2022, 3, 31))
    columns, lines = summary_sheet(by_agency, "en")
    write_xlsx(tmp_path / "summary.xlsx", lines, columns, "en")
    sheet = _sheet(tmp_path / "summary.xlsx")
    assert sheet["A2"].value.startswith("01000000 ")
    assert sheet["A3"].value == "total"
    header = [c.value for c in sheet[1]]
    assert header[1] == "projects" and sheet["B3"].value == 1
    quarters = summarise(shipped_rows, ("fiscal-year", "quarter"), config, date(2022, 3, 31))
    columns, lines = summary_sheet(quarters, "th")
    write_xlsx(tmp_path / "quarters.xlsx", lines, columns, "th")
    sheet = _sheet(tmp_path / "quarters.xlsx")
    assert sheet["A2"].value == 2565 and sheet["B2"].value == 1
    assert sheet["C2"].value == "31/12/2564" and sheet["D2"].value == datetime(2021, 12, 31)
    assert sheet.max_row == 6  # four quarters and the total


def test_excel_csv_starts_with_one_bom() -> None:
    from projledger.core.xlsx import excel_csv

    data = excel_csv("code,name\n01000000-2475,โครงการ\n")
    assert data.startswith(b"\xef\xbb\xbfcode,name\n")
    assert data.decode("utf-8-sig") == "code,name\n01000000-2475,โครงการ\n"
    assert excel_csv(data.decode("utf-8")) == data  # never two marks
