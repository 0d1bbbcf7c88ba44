"""status and summary for spreadsheets: --format xlsx --output FILE, and --excel for CSV."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import run

AS_OF = ("--as-of", "31/03/2565")


def test_status_xlsx(repo: Path) -> None:
    result = run("status", *AS_OF, "--format", "xlsx", "--output", "status.xlsx")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == "projledger: wrote status.xlsx\n"
    sheet = load_workbook(repo / "status.xlsx").active
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert values["รหัสโครงการ"] == "01000000-2475"
    assert values["งบประมาณ"] == 3540000
    assert values["วันที่รายงาน (ค.ศ.)"] == datetime(2022, 3, 23)
    assert sheet.freeze_panes == "A2"
    assert sorted(p.name for p in repo.iterdir()) == ["records", "status.xlsx"]


def test_summary_xlsx_in_english(repo: Path) -> None:
    result = run("summary", *AS_OF, "--lang", "en", "--format", "xlsx", "--output", "summary.xlsx")
    assert result.exit_code == 0, result.stderr
    sheet = load_workbook(repo / "summary.xlsx").active
    assert sheet["A1"].value == "agency"
    assert sheet["A3"].value == "total"
    assert sheet["B3"].value == 1
    # a filter that keeps nothing: the same columns, and the total says so
    result = run(
        "summary", "--fiscal-year", "2570", "--lang", "en", "--format", "xlsx", "--output", "none.xlsx"
    )
    sheet = load_workbook(repo / "none.xlsx").active
    assert (sheet["A1"].value, sheet["B1"].value, sheet["A2"].value) == ("agency", "projects", "total")


@pytest.mark.parametrize("command", ["status", "summary"])
def test_csv_for_excel_has_one_bom(repo: Path, command: str) -> None:
    plain = run(command, *AS_OF, "--format", "csv")
    excel = run(command, *AS_OF, "--format", "csv", "--excel")
    assert excel.exit_code == 0
    assert excel.stdout_bytes == b"\xef\xbb\xbf" + plain.stdout_bytes
    assert not plain.stdout_bytes.startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "xlsx"], "--format xlsx needs --output"),
        (["--output", "x.xlsx"], "--output is for --format xlsx"),
        (["--excel"], "--excel is for --format csv"),
    ],
)
def test_options_that_would_be_ignored_are_usage_errors(repo: Path, args: list[str], message: str) -> None:
    for command in ("status", "summary"):
        result = run(command, *args)
        assert result.exit_code == 2
        assert message in result.stderr


def test_xlsx_output_must_be_an_xlsx_name(repo: Path) -> None:
    result = run("status", "--format", "xlsx", "--output", "status.csv")
    assert result.exit_code == 2  # a usage error, as the README promises (issue 16.5)
    assert "a workbook's name ends in .xlsx, not 'status.csv'" in result.stderr
    assert not (repo / "status.csv").exists()
