"""``projledger sheet export`` / ``sheet import``: the monthly spreadsheet round trip, end to end.

The portfolio of tests/portfolio.py, judged on 30/04/2565: six projects owe their April report
(01000000-0001 no 4, 01000000-0008 no 4, 18000000-0002 no 7, 18000000-0009 no 7 (late),
50010000-0003 no 4, 50020000-0004 no 7); the others are completed, cancelled or not started.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

import portfolio
from conftest import installed, run

AS_OF = "30/04/2565"
MONTH = "04/2565"
DUE = ["01000000-0001", "01000000-0008", "18000000-0002", "18000000-0009", "50010000-0003", "50020000-0004"]
NUMBERS = {"01000000-0001": 4, "01000000-0008": 4, "18000000-0002": 7, "18000000-0009": 7,
           "50010000-0003": 4, "50020000-0004": 7}  # fmt: skip
ERROR_LINE = re.compile(r"^(?P<file>[^:]+):(?P<row>\d+):(?P<col>[A-Z]+): (?P<key>[a-z_]+): (?P<msg>.+)$")

#: What a clerk types, per code (Thai labels, BE dates in Thai digits, Thai digits in numbers).
#: 01000000-0008 is left blank: its row stays empty and its record must not change.
FILLED: dict[str, dict[str, Any]] = {
    "01000000-0001": {"date": "๒๘/๐๔/๒๕๖๕", "progress": "๙๘", "disbursed": 600000,
                      "plan_status": "เป็นไปตามแผน", "target_status": "เป็นไปตามเป้าหมาย",
                      "note": "ติดตั้งระบบแล้ว รอตรวจรับ"},
    "18000000-0002": {"date": "29/04/2565", "progress": 55.5, "disbursed": "๖๐๐,๐๐๐.๕๐",
                      "plan_status": "เป็นไปตามแผนแต่ควรติดตาม", "note": "ประชุมรับฟังความคิดเห็น"},
    "18000000-0009": {"date": "๒๕/๐๔/๒๕๖๕", "progress": 100, "disbursed": 1000000,
                      "note": "ส่งมอบแผนที่ภาษีครบถ้วน", "event": "ดำเนินการแล้วเสร็จ"},
    "50010000-0003": {"date": "2022-04-20", "progress": "๔๕.๕", "plan_status": "ไม่เป็นไปตามแผน",
                      "target_status": "ไม่เป็นไปตามเป้าหมาย", "note": "ซ่อมทางเท้าช่วงที่ ๒"},
    "50020000-0004": {"date": "30/04/2565", "progress": "20", "disbursed": "240,000",
                      "plan_status": "behind", "note": "จัดเก็บขยะคลองโอ่งอ่าง"},
}  # fmt: skip


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The small portfolio as the working folder."""
    portfolio.build(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted((root / "records").rglob("*.toml"))}


def export(name: str, *extra: str) -> Path:
    result = run("sheet", "export", "--month", MONTH, "--as-of", AS_OF, "--output", name, *extra)
    assert result.exit_code == 0, result.stderr
    return Path(name)


def keys_of(sheet: Any) -> dict[str, int]:
    """Column number per key, read from the header as the import reads it."""
    found = {}
    for cell in sheet[1]:
        match = re.search(r"\(([a-z_]+)\)$", str(cell.value))
        assert match, cell.value
        found[match.group(1)] = cell.column
    return found


def fill_xlsx(path: Path, filled: dict[str, dict[str, Any]], *, blank_rows: int = 2) -> None:
    """Type values into the exported workbook as a clerk would (openpyxl plays Excel)."""
    book = load_workbook(path)
    sheet = book.active
    keys = keys_of(sheet)
    for row in range(2, sheet.max_row + 1):
        code = sheet.cell(row, keys["code"]).value
        for key, value in filled.get(code, {}).items():
            sheet.cell(row, keys[key]).value = value
    for extra in range(blank_rows):  # blank lines the clerk left at the end, one with spaces
        sheet.cell(sheet.max_row + 1 + extra, keys["note"]).value = "   " if extra else None
        sheet.cell(sheet.max_row, keys["progress"]).value = None
    book.save(path)


def fill_csv(path: Path, filled: dict[str, dict[str, Any]], separator: str = ",") -> None:
    """The same values in the exported CSV, saved as Excel saves 'CSV UTF-8': BOM and CRLF (and
    with the ``separator`` LibreOffice asks for)."""
    text = path.read_bytes().decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text, newline="")))
    keys = {re.search(r"\(([a-z_]+)\)$", h).group(1): i for i, h in enumerate(lines[0])}  # type: ignore[union-attr]
    for line in lines[1:]:
        for key, value in filled.get(line[keys["code"]], {}).items():
            line[keys[key]] = str(value)
    lines.append([""] * len(lines[0]))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n", delimiter=separator).writerows(lines)
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))


def errors_of(stderr: str) -> list[re.Match[str]]:
    return [
        m
        for line in stderr.splitlines()
        if (m := ERROR_LINE.match(line)) and not m["msg"].startswith("warning")
    ]


def error_lines(stderr: str) -> list[str]:
    return [
        line
        for line in stderr.splitlines()
        if re.match(r"^[^:]+:\d+:[A-Z]+: ", line) and ": warning: " not in line
    ]


# --- export -----------------------------------------------------------------------------------


def test_export_lists_the_due_projects_with_context_and_empty_columns(office: Path) -> None:
    path = export("april.xlsx")
    sheet = load_workbook(path).active
    keys = keys_of(sheet)
    codes = [sheet.cell(r, keys["code"]).value for r in range(2, sheet.max_row + 1)]
    assert codes == DUE
    numbers = {sheet.cell(r, keys["code"]).value: sheet.cell(r, keys["no"]).value for r in range(2, 8)}
    assert numbers == NUMBERS
    row = codes.index("50010000-0003") + 2
    assert sheet.cell(row, keys["latest_no"]).value == 2
    assert sheet.cell(row, keys["latest_date"]).value == "28/02/2565"
    assert sheet.cell(row, keys["month"]).value == "เมษายน 2565"
    for key in ("date", "progress", "disbursed", "plan_status", "target_status", "note", "event"):
        assert sheet.cell(row, keys[key]).value is None
    assert sheet.cell(1, keys["progress"]).value == "ความก้าวหน้าของงานฯ % (progress)"


def test_export_xlsx_has_lists_checks_locks_and_a_frozen_header(office: Path) -> None:
    sheet = load_workbook(export("april.xlsx")).active
    keys = keys_of(sheet)
    assert sheet.freeze_panes == "C2"
    assert sheet.protection.sheet and not sheet.protection.password
    assert sheet.cell(2, keys["code"]).protection.locked
    assert sheet.cell(2, keys["code"]).fill.fgColor.rgb.endswith("E7E6E6")
    assert not sheet.cell(2, keys["progress"]).protection.locked
    rules = {str(v.sqref).split(":")[0]: v for v in sheet.data_validations.dataValidation}
    letter = {k: sheet.cell(1, c).column_letter for k, c in keys.items()}
    assert rules[f"{letter['plan_status']}2"].type == "list"
    assert "เป็นไปตามแผนแต่ควรติดตาม" in rules[f"{letter['plan_status']}2"].formula1
    assert "ไม่เป็นไปตามเป้าหมาย" in rules[f"{letter['target_status']}2"].formula1
    assert "ยกเลิกโครงการ" in rules[f"{letter['event']}2"].formula1
    progress = rules[f"{letter['progress']}2"]
    assert (progress.type, progress.formula1, progress.formula2) == ("decimal", "0", "100")
    assert rules[f"{letter['disbursed']}2"].operator == "greaterThanOrEqual"
    assert rules[f"{letter['date']}2"].type == "custom"
    assert sheet.column_dimensions[letter["name"]].width >= 30  # fits the Thai names


def test_export_filters_by_agency_and_fiscal_year(office: Path) -> None:
    sheet = load_workbook(export("a.xlsx", "--agency", "5001")).active
    assert [r[0].value for r in sheet.iter_rows(min_row=2)] == ["50010000-0003"]
    result = run(
        "sheet", "export", "--month", MONTH, "--as-of", AS_OF, "--fiscal-year", "2566", "--output", "b.csv"
    )
    assert result.exit_code == 0
    assert len(Path("b.csv").read_text(encoding="utf-8-sig").splitlines()) == 1  # the header only


def test_export_month_not_yet_started_or_in_the_future(office: Path) -> None:
    """Before any start's month nothing is due; a month after the day of the export neither."""
    for month in ("09/2564", "05/2565"):
        result = run("sheet", "export", "--month", month, "--as-of", AS_OF, "--output", "x.csv")
        assert result.exit_code == 0
        assert len(Path("x.csv").read_text(encoding="utf-8-sig").splitlines()) == 1, month


def test_export_bad_month_is_a_usage_error(office: Path) -> None:
    result = run("sheet", "export", "--month", "13/2565", "--output", "x.xlsx")
    assert result.exit_code == 2
    assert "--month" in result.stderr and "no month 13" in result.stderr
    result = run("sheet", "export", "--month", "04/2022", "--output", "x.xlsx")
    assert result.exit_code == 2 and "Buddhist Era" in result.stderr


def test_export_csv_starts_with_a_bom_and_ends_lines_with_crlf(office: Path) -> None:
    raw = export("april.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    assert "รหัสโครงการ (code)" in raw.decode("utf-8-sig").splitlines()[0]


# --- the round trip ---------------------------------------------------------------------------


def test_round_trip_every_due_record_gains_exactly_one_report(office: Path) -> None:
    assert run("validate", "--as-of", AS_OF).exit_code == 0
    before = snapshot(office)
    path = export("april.xlsx")
    fill_xlsx(path, FILLED)
    result = run("sheet", "import", "april.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert error_lines(result.stderr) == []
    after = snapshot(office)
    for name, old in before.items():
        code = Path(name).stem
        if code in FILLED:
            new = after[name]
            assert new.startswith(old), name  # every earlier byte kept
            added = new[len(old) :].decode("utf-8")
            assert added.count("[[reports]]") == 1 and added.startswith("\n[[reports]]\n")
            assert f"no = {NUMBERS[code]}\n" in added
        else:
            assert after[name] == old, name
    added = after["records/2565/50010000-0003.toml"][len(before["records/2565/50010000-0003.toml"]) :]
    assert added.decode("utf-8") == (
        "\n[[reports]]\nno = 4\ndate = 2022-04-20\nprogress = 45.5\ndisbursed = 50000.00\n"
        'plan_status = "behind"\ntarget_status = "off_target"\nnote = "ซ่อมทางเท้าช่วงที่ ๒"\n'
    )
    assert b"disbursed = 600000.50" in after["records/2565/18000000-0002.toml"]
    assert b'event = "completed"' in after["records/2565/18000000-0009.toml"]
    assert run("validate", "--as-of", AS_OF).exit_code == 0
    assert "5 reports written" in result.stderr and "empty" in result.stderr


def test_importing_the_same_sheet_again_changes_no_byte(office: Path) -> None:
    path = export("april.xlsx")
    fill_xlsx(path, FILLED)
    assert run("sheet", "import", "april.xlsx", "--as-of", AS_OF).exit_code == 0
    once = snapshot(office)
    mtimes = {p: p.stat().st_mtime_ns for p in (office / "records").rglob("*.toml")}
    again = run("sheet", "import", "april.xlsx", "--as-of", AS_OF)
    assert again.exit_code == 0, again.stderr
    assert snapshot(office) == once
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes  # not even rewritten
    assert "0 reports written, 5 already there" in again.stderr


def test_a_different_value_for_a_filed_report_is_refused(office: Path) -> None:
    path = export("april.xlsx")
    fill_xlsx(path, FILLED)
    assert run("sheet", "import", "april.xlsx", "--as-of", AS_OF).exit_code == 0
    once = snapshot(office)
    changed = {code: dict(values) for code, values in FILLED.items()}
    changed["50020000-0004"]["progress"] = "25"
    fill_xlsx(path, changed, blank_rows=0)
    result = run("sheet", "import", "april.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 1
    [line] = error_lines(result.stderr)
    assert line.startswith("april.xlsx:7:J: progress: report 7 is already in ")
    assert "progress 20.0 (the sheet says 25.0)" in line
    assert snapshot(office) == once


BAD = {
    "01000000-0001": {"progress": "120"},  # out of range: the record's rule refuses it
    "18000000-0002": {"date": "31/02/2565", "plan_status": "ดีมาก"},  # two bad cells on one row
    "50010000-0003": {"disbursed": "-5"},
    "50020000-0004": {"note": '=HYPERLINK("http://evil.example","คลิก")'},  # a formula
}
BAD_CELLS = {(2, "J"), (4, "I"), (4, "L"), (6, "K"), (7, "N")}


def bad_sheet(path: Path) -> None:
    filled = {code: {**FILLED[code], **BAD.get(code, {})} for code in FILLED}
    fill_xlsx(path, filled)


def test_five_bad_cells_give_five_findings_and_change_nothing(office: Path) -> None:
    before = snapshot(office)
    path = export("april.xlsx")
    bad_sheet(path)
    result = run("sheet", "import", "april.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 1
    lines = error_lines(result.stderr)
    assert len(lines) == 5, result.stderr
    found = {(int(line.split(":")[1]), line.split(":")[2]) for line in lines}
    assert found == BAD_CELLS
    assert any(":7:N: note: holds the formula '=HYPERLINK(" in line for line in lines)
    assert any(":4:L: plan_status: 'ดีมาก' is not one of: เป็นไปตามแผน" in line for line in lines)
    assert any(":2:J: progress: " in line and "100" in line for line in lines)
    assert "nothing was written" in result.stderr
    assert snapshot(office) == before


def test_partial_writes_the_good_rows_and_lists_the_bad_ones(office: Path) -> None:
    before = snapshot(office)
    path = export("april.xlsx")
    bad_sheet(path)
    result = run("sheet", "import", "april.xlsx", "--as-of", AS_OF, "--partial")
    assert result.exit_code == 1
    assert len(error_lines(result.stderr)) == 5
    assert "4 rows failed: 2, 4, 6, 7" in result.stderr
    after = snapshot(office)
    changed = {Path(name).stem for name in before if after[name] != before[name]}
    assert changed == {"18000000-0009"}  # the one row with no bad cell
    assert run("validate", "--as-of", AS_OF).exit_code == 0


def test_dry_run_shows_the_blocks_and_writes_nothing(office: Path) -> None:
    before = snapshot(office)
    path = export("april.xlsx")
    fill_xlsx(path, FILLED)
    result = run("sheet", "import", "april.xlsx", "--as-of", AS_OF, "--dry-run")
    assert result.exit_code == 0
    assert "# records/2565/50010000-0003.toml\n[[reports]]\nno = 4\n" in result.stdout
    assert result.stdout.count("[[reports]]") == 5
    assert "5 reports would be written" in result.stderr
    assert snapshot(office) == before


@pytest.mark.parametrize("separator", [",", ";", "\t"], ids=["comma", "semicolon", "tab"])
def test_a_csv_saved_by_excel_imports_the_same_as_the_xlsx(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, separator: str
) -> None:
    """Excel's 'CSV UTF-8', and LibreOffice's with the separator its dialog offers (a sheet saved
    with semicolons was refused as a header lacking every column)."""
    results = {}
    for kind in ("xlsx", "csv"):
        root = tmp_path / kind
        portfolio.build(root)
        monkeypatch.chdir(root)
        path = export(f"april.{kind}")
        if kind == "xlsx":
            fill_xlsx(path, FILLED)
        else:
            fill_csv(path, FILLED, separator)
        result = run("sheet", "import", path.name, "--as-of", AS_OF)
        assert result.exit_code == 0, result.stderr
        results[kind] = snapshot(root)
    assert results["csv"] == results["xlsx"]
    assert Path("april.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in Path("april.csv").read_bytes()


# --- registering projects ---------------------------------------------------------------------


def test_new_sheet_registers_projects_and_twice_changes_nothing(office: Path) -> None:
    result = run("sheet", "export", "--new", "--output", "new.xlsx")
    assert result.exit_code == 0
    book = load_workbook("new.xlsx")
    sheet = book.active
    keys = keys_of(sheet)
    assert list(keys)[:4] == ["code", "name", "plan_ref", "fiscal_year"]
    rows = [
        {"code": "50030000-0101", "name": "ขุดลอกคูคลอง", "fiscal_year": "๒๕๖๖", "start": "01/10/2565",
         "end": "30/09/2566", "budget": "1,500,000", "department": "สำนักงานเขตหนองจอก"},
        {"code": "50030000-0102", "name": "ปลูกต้นไม้ริมทาง", "fiscal_year": 2566, "start": "๐๑/๑๑/๒๕๖๕",
         "end": "31/08/2566", "budget": 250000.5, "department": "สำนักงานเขตหนองจอก", "owner": "ฝ่ายโยธา"},
    ]  # fmt: skip
    for number, values in enumerate(rows, start=3):  # row 2 left blank
        for key, value in values.items():
            sheet.cell(number, keys[key]).value = value
    book.save("new.xlsx")
    result = run("sheet", "import", "new.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    first = Path("records/2566/50030000-0101.toml").read_text(encoding="utf-8")
    assert 'name = "ขุดลอกคูคลอง"' in first and "budget = 1500000.00" in first and "start = 2022-10-01" in first
    second = Path("records/2566/50030000-0102.toml").read_text(encoding="utf-8")
    assert "budget = 250000.50" in second and 'owner = "ฝ่ายโยธา"' in second
    assert run("validate", "--as-of", AS_OF).exit_code == 0
    once = snapshot(office)
    again = run("sheet", "import", "new.xlsx", "--as-of", AS_OF)
    assert again.exit_code == 0 and "2 already there" in again.stderr
    assert snapshot(office) == once
    sheet.cell(3, keys["budget"]).value = "1,600,000"
    book.save("new.xlsx")
    refused = run("sheet", "import", "new.xlsx", "--as-of", AS_OF)
    assert refused.exit_code == 1
    assert error_lines(refused.stderr)[0].startswith(
        "new.xlsx:3:G: budget: project 50030000-0101 already has a record"
    )
    assert snapshot(office) == once


def test_a_code_twice_in_a_registration_sheet_names_the_row_that_registers_it(office: Path) -> None:
    """Rows that agree register the project once; a row at odds with an earlier one is refused
    naming that row, not a record file that nothing has written."""
    run("sheet", "export", "--new", "--output", "new.xlsx")
    book = load_workbook("new.xlsx")
    sheet = book.active
    keys = keys_of(sheet)
    row = {"code": "50030000-0101", "name": "ขุดลอกคูคลอง", "fiscal_year": 2566, "start": "01/10/2565",
           "end": "30/09/2566", "budget": "1,500,000", "department": "สำนักงานเขตหนองจอก"}  # fmt: skip
    for number, name in ((2, "ขุดลอกคูคลอง"), (3, "ขุดลอกคูคลอง"), (4, "ขุดลอกคลอง")):
        for key, value in {**row, "name": name}.items():
            sheet.cell(number, keys[key]).value = value
    book.save("new.xlsx")
    before = snapshot(office)
    refused = run("sheet", "import", "new.xlsx", "--as-of", AS_OF)
    assert refused.exit_code == 1
    assert error_lines(refused.stderr) == [
        "new.xlsx:4:B: name: project 50030000-0101 is registered by row 2 of this sheet with name 'ขุดลอกคูคลอง'"
    ]
    assert snapshot(office) == before
    sheet.delete_rows(4)
    book.save("new.xlsx")
    result = run("sheet", "import", "new.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert list(Path("records").glob("*/50030000-0101.toml")) == [Path("records/2566/50030000-0101.toml")]


# --- hostile and malformed files --------------------------------------------------------------


def one_line_failure(*args: str) -> str:
    result = run("sheet", "import", *args, "--as-of", AS_OF)
    assert result.exit_code == 1, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_csv_cell_starting_with_equals_is_stored_as_text(office: Path) -> None:
    path = export("april.csv")
    formula = '=HYPERLINK("http://evil.example","คลิก")'
    fill_csv(path, {"50010000-0003": {**FILLED["50010000-0003"], "note": formula}})
    result = run("sheet", "import", "april.csv", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    text = Path("records/2565/50010000-0003.toml").read_text(encoding="utf-8")
    assert 'note = "=HYPERLINK(\\"http://evil.example\\",\\"คลิก\\")"' in text


def test_an_oversized_file_is_refused_before_reading(office: Path) -> None:
    with open("big.xlsx", "wb") as handle:
        handle.truncate(21 * 1024 * 1024)
    line = one_line_failure("big.xlsx")
    assert line.startswith("projledger: big.xlsx: is 21.0 MB; a sheet of at most 20 MB")


def test_a_zip_bomb_is_refused_before_openpyxl_opens_it(office: Path) -> None:
    with zipfile.ZipFile("bomb.xlsx", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (40 * 1024 * 1024))
    assert Path("bomb.xlsx").stat().st_size < 1024 * 1024
    line = one_line_failure("bomb.xlsx")
    assert "xl/worksheets/sheet1.xml would inflate" in line and "zip bomb" in line


def test_an_entity_bomb_is_refused_before_openpyxl_parses_it(office: Path) -> None:
    book = Workbook()
    book.active.append(["code", "no", "date", "progress", "note"])
    book.save("plain.xlsx")
    lol = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i + 1} "' + f"&lol{i or ''};" * 10 + '">' for i in range(9)
    )
    with zipfile.ZipFile("plain.xlsx") as source, zipfile.ZipFile("lol.xlsx", "w") as archive:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = f'<?xml version="1.0"?><!DOCTYPE lolz [{lol}]>'.encode() + data.split(b"?>", 1)[-1]
            archive.writestr(item, data)
    line = one_line_failure("lol.xlsx")
    assert "zip member xl/worksheets/sheet1.xml declares a DTD" in line


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("text.xlsx", b"this is not a workbook", "is not an xlsx workbook (not a zip file)"),
        ("other.xlsx", None, "is a zip file but not an xlsx workbook"),
        ("broken.xlsx", "broken", "cannot be read as an xlsx workbook"),
        ("latin.csv", "code,no\n\xe9".encode("latin-1"), "is not UTF-8"),
        ("sheet.ods", b"PK", "is neither .xlsx nor .csv"),
        ("nothere.csv", "absent", "cannot be read: no such file or folder"),
        (
            "headers.csv",
            "รหัส,ชื่อ\r\n1,2\r\n".encode(),
            "the header lacks the columns code, no, date, progress",
        ),
    ],
)
def test_malformed_files_give_one_line_naming_the_file(
    office: Path, name: str, content: Any, message: str
) -> None:
    if content is None:
        with zipfile.ZipFile(name, "w") as archive:
            archive.writestr("hello.txt", "hi")
    elif content == "broken":
        with zipfile.ZipFile(name, "w") as archive:
            archive.writestr("[Content_Types].xml", "<not xml")
            archive.writestr("xl/workbook.xml", "<not xml")
    elif content != "absent":
        Path(name).write_bytes(content)
    line = one_line_failure(name)
    assert line.startswith(f"projledger: {name}: ")
    assert message in line


def test_a_workbook_whose_first_sheet_is_not_the_export_names_the_missing_columns(office: Path) -> None:
    book = Workbook()
    book.active.append(["สรุป", "ยอดรวม"])
    book.save("wrong.xlsx")
    line = one_line_failure("wrong.xlsx")
    assert "row 1: the header lacks the columns code, no, date, progress" in line


def test_unknown_code_and_cached_formula_values_are_findings(office: Path) -> None:
    path = export("april.xlsx")
    fill_xlsx(path, {"50010000-0003": FILLED["50010000-0003"]})
    book = load_workbook(path)
    sheet = book.active
    keys = keys_of(sheet)
    sheet.cell(3, keys["code"]).value = "99990000-0001"
    for key, value in FILLED["50010000-0003"].items():
        sheet.cell(3, keys[key]).value = value
    sheet.cell(4, keys["progress"]).value = "=40+5"  # Excel would cache 45: never used
    sheet.cell(4, keys["date"]).value = "20/04/2565"
    sheet.cell(4, keys["note"]).value = "x"
    book.save(path)
    result = run("sheet", "import", "april.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 1
    lines = error_lines(result.stderr)
    assert lines[0].startswith("april.xlsx:3:A: code: no record for project 99990000-0001")
    assert lines[1] == (
        "april.xlsx:4:J: progress: holds the formula '=40+5', which is never run nor its result used; "
        "type the value itself"
    )


def test_an_array_formula_is_quoted_by_its_text(office: Path) -> None:
    """An array formula (Ctrl+Shift+Enter) is openpyxl's object: its finding quoted
    '<openpyxl.worksheet.formula.ArrayFormula object at 0x...>' instead of the formula."""
    from openpyxl.worksheet.formula import ArrayFormula

    path = export("april.xlsx")
    book = load_workbook(path)
    sheet = book.active
    keys = keys_of(sheet)
    cell = sheet.cell(2, keys["progress"])
    cell.value = ArrayFormula(cell.coordinate, "=SUM(40,5)")
    for key in ("date", "note"):
        sheet.cell(2, keys[key]).value = {"date": "20/04/2565", "note": "x"}[key]
    book.save(path)
    result = run("sheet", "import", "april.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert error_lines(result.stderr)[0] == (
        f"april.xlsx:2:{cell.column_letter}: progress: holds the formula '=SUM(40,5)', which is never run "
        "nor its result used; type the value itself"
    )
    real = installed("sheet", "import", "april.xlsx", "--as-of", AS_OF, cwd=office)
    assert real.returncode == 1 and "holds the formula '=SUM(40,5)'" in real.stderr, real.stderr


# --- the benchmark's case -------------------------------------------------------------------


def test_a_registration_already_there_in_another_unicode_form_is_the_same(office: Path) -> None:
    """A record written by hand may spell น้ำ as NIKHAHIT + SARA AA; the sheet's name, stored as
    NFC with SARA AM (``text.nfc``), is the same name, not one that differs."""
    assert run("sheet", "export", "--new", "--output", "new.xlsx").exit_code == 0
    book = load_workbook("new.xlsx")
    sheet, keys = book.active, keys_of(book.active)
    row = {"code": "50030000-0103", "name": "ระบายน้ำ", "fiscal_year": "2566", "start": "01/10/2565",
           "end": "30/09/2566", "budget": "1,000", "department": "สำนักงานเขตหนองจอก"}  # fmt: skip
    for key, value in row.items():
        sheet.cell(2, keys[key]).value = value
    book.save("new.xlsx")
    assert run("sheet", "import", "new.xlsx", "--as-of", AS_OF).exit_code == 0
    record = Path("records/2566/50030000-0103.toml")
    record.write_text(record.read_text("utf-8").replace("\u0e49\u0e33", "\u0e4d\u0e49\u0e32"), "utf-8")
    by_hand = snapshot(office)
    again = run("sheet", "import", "new.xlsx", "--as-of", AS_OF)
    assert again.exit_code == 0, again.stderr
    assert "1 already there" in again.stderr and snapshot(office) == by_hand


def test_the_benchmark_sheet_imports_cleanly_and_twice_is_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import PROJECT_ROOT

    monkeypatch.syspath_prepend(str(PROJECT_ROOT))
    from bench.generate import generate
    from bench.sheet_case import import_args, restorer, write_filled_sheet

    generate(tmp_path, 60, fail_share=0.05)
    monkeypatch.chdir(tmp_path)
    sheet = tmp_path / "june.xlsx"
    count = write_filled_sheet(tmp_path, sheet, rows=20)
    assert 10 <= count <= 20
    before = snapshot(tmp_path)
    restore = restorer(tmp_path, sheet)
    result = run(*import_args(sheet))
    assert result.exit_code == 0, result.stderr
    changed = [name for name in before if snapshot(tmp_path)[name] != before[name]]
    assert len(changed) == count
    assert run(*import_args(sheet)).exit_code == 0
    restore()
    assert snapshot(tmp_path) == before
    assert "2025-06-30" in import_args(sheet)


# --- records spelled otherwise, sheets with a wrong dimension, writes that fail late ----------


def _inline(table: dict[str, Any]) -> str:
    import tomli_w

    return (
        "{ "
        + ", ".join(f"{k} = {tomli_w.dumps({'k': v}).split(' = ', 1)[1].strip()}" for k, v in table.items())
        + " }"
    )


def test_a_record_whose_reports_are_an_inline_array_takes_the_sheet_row(office: Path) -> None:
    """Valid TOML another tool wrote (``reports = [ {...}, ]``) takes its report, and it is said."""
    from decimal import Decimal

    import tomli

    path = office / "records/2565/50010000-0003.toml"
    data = tomli.loads(path.read_text("utf-8"), parse_float=Decimal)
    text = path.read_text("utf-8")
    head = text[: text.index("\n[[reports]]")]
    first_table = head.index("\n[")
    array = "reports = [\n" + "".join(f"  {_inline(r)},\n" for r in data["reports"]) + "]\n"
    spelled = head[: first_table + 1] + array + head[first_table:] + "\n"
    assert tomli.loads(spelled, parse_float=Decimal) == data
    path.write_text(spelled, "utf-8")
    assert run("validate", "--as-of", AS_OF).exit_code == 0
    sheet = export("april.xlsx")
    fill_xlsx(sheet, FILLED)
    result = run("sheet", "import", "april.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert "Cannot mutate" not in result.stderr
    assert re.search(
        r"50010000-0003\.toml: its \d+ reports written as one inline array \(line \d+\) were rewritten",
        result.stderr,
    )
    after = tomli.loads(path.read_text("utf-8"), parse_float=Decimal)
    assert after["reports"][:-1] == data["reports"] and after["reports"][-1]["no"] == 4
    assert {k: v for k, v in after.items() if k != "reports"} == {
        k: v for k, v in data.items() if k != "reports"
    }
    assert path.read_text("utf-8").startswith(head[: first_table + 1] + head[first_table:])
    assert "5 reports written" in result.stderr
    assert run("validate", "--as-of", AS_OF).exit_code == 0


@pytest.mark.parametrize(
    "dimension",
    [b'<dimension ref="A1"/>', b"", b'<dimension ref="A1:XFD1048576"/>', b'<dimension ref="ZZ"/>',
     b'<dimension ref="A1:B2"/>'],
    ids=["A1", "missing", "the whole sheet", "garbage", "too few columns"],
)  # fmt: skip
def test_a_sheet_whose_dimension_says_a1_is_read_to_its_real_end(office: Path, dimension: bytes) -> None:
    """Streaming writers (Apache POI's SXSSF) store ``<dimension ref="A1"/>``; every row is read,
    whatever the dimension says (none, too large, too narrow, not a range)."""
    path = export("april.xlsx")
    fill_xlsx(path, FILLED)
    small = Path("small.xlsx")
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(small, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member)
            if member.filename.startswith("xl/worksheets/sheet"):
                content, count = re.subn(rb'<dimension ref="[^"]*"\s*/>', dimension, content)
                assert count == 1
            target.writestr(member, content)
    result = run("sheet", "import", "small.xlsx", "--as-of", AS_OF, "--dry-run")
    assert "5 reports would be written" in result.stderr, result.stderr
    result = run("sheet", "import", "small.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert "5 reports written" in result.stderr
    assert run("sheet", "import", "april.xlsx", "--as-of", AS_OF).stderr.count("5 already there") == 1


THREE = ["01000000-0001", "18000000-0002", "50010000-0003"]


def _three_rows(office: Path) -> tuple[dict[str, bytes], dict[str, Path]]:
    sheet = export("april.xlsx")
    fill_xlsx(sheet, {code: FILLED[code] for code in THREE})
    paths = {code: next((office / "records").rglob(f"{code}.toml")) for code in THREE}
    return snapshot(office), paths


def test_a_write_that_fails_late_names_the_records_written_and_not(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from projledger.core import store

    before, paths = _three_rows(office)
    planned = run("sheet", "import", "april.xlsx", "--as-of", AS_OF, "--dry-run")
    assert "3 reports would be written" in planned.stderr, planned.stderr
    third = paths[THREE[2]]
    real_replace = store.os.replace

    def replace(source: Any, target: Any) -> None:
        if Path(target) == third.resolve():
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(store.os, "replace", replace)
    result = run("sheet", "import", "april.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "records/2565/50010000-0003.toml: cannot be written: no space left on the disk" in result.stderr
    names = [f"records/{p.relative_to(office / 'records')}" for p in paths.values()]
    assert (
        f"a write failed after others were made: written: {names[0]}, {names[1]}; not written: {names[2]}"
        in result.stderr
    ), result.stderr
    assert "2 reports written" in result.stderr
    after = snapshot(office)
    for code, path in paths.items():
        name = str(path.relative_to(office))
        if code == THREE[2]:
            assert after[name] == before[name]
        else:
            assert after[name].startswith(before[name]) and after[name] != before[name]
            assert f"{name}: 1 report (row" in result.stdout
    assert not list(third.parent.glob(".*.tmp")), "no temporary file left behind"
    monkeypatch.setattr(store.os, "replace", real_replace)
    again = run("sheet", "import", "april.xlsx", "--as-of", AS_OF)  # the cause fixed: the rest goes in
    assert again.exit_code == 0 and "1 report written, 2 already there" in again.stderr, again.stderr


def test_a_lock_that_is_a_symlink_stops_the_import_before_any_write(office: Path) -> None:
    before, paths = _three_rows(office)
    third = paths[THREE[2]]
    (third.parent / f".{third.name}.lock").symlink_to(office / "elsewhere")
    result = run("sheet", "import", "april.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "the lock file .50010000-0003.toml.lock is a symbolic link; remove it" in result.stderr
    assert (
        "nothing was written (all or nothing): records/2565/50010000-0003.toml could not be written"
        in result.stderr
    )
    assert "0 reports written" in result.stderr
    assert snapshot(office) == before
    assert not (office / "elsewhere").exists()


def test_a_record_changed_after_the_check_stops_the_import_before_any_write(
    office: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from projledger.core import store

    before, paths = _three_rows(office)
    third = paths[THREE[2]]
    real = store.record_target

    def meanwhile(*args: Any) -> Any:  # the clerk's editor saves the third record while we lock
        target = real(*args)
        if target == third.resolve():
            third.write_bytes(before[str(third.relative_to(office))] + b"# edited\n")
        return target

    monkeypatch.setattr(store, "record_target", meanwhile)
    result = run("sheet", "import", "april.xlsx", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "changed while the sheet was being imported" in result.stderr
    assert "nothing was written (all or nothing)" in result.stderr
    after = snapshot(office)
    assert {n: b for n, b in after.items() if not n.endswith("50010000-0003.toml")} == {
        n: b for n, b in before.items() if not n.endswith("50010000-0003.toml")
    }


def test_blank_rows_are_counted_and_the_filled_one_imported_by_the_installed_command(office: Path) -> None:
    """A CSV of blank lines around its one filled row (a million made cells for each, 10-14 s;
    the work is counted in test_sheet_core): the command imports the row and counts the rest,
    in process and as a real process."""
    blank = ",,,,\n" * 5_000 + "\n" * 5_000
    row = "50010000-0003,3,2022-03-31,45.5,ซ่อมทางเท้า\n"
    Path("s.csv").write_text("code,no,date,progress,note\n" + blank + row + blank, "utf-8")
    said = "1 report would be written, 0 already there, 20000 empty rows skipped"
    result = run("sheet", "import", "s.csv", "--as-of", AS_OF, "--dry-run")
    assert result.exit_code == 0 and said in result.stderr, result.stderr
    real = installed("sheet", "import", "s.csv", "--as-of", AS_OF, cwd=office)
    assert real.returncode == 0 and "1 report written" in real.stderr, real.stderr
    assert "s.csv:10002" not in real.stderr


#: A CSV saved in another encoding, and what the message names (the iconv line that converts it).
CSV_ENCODINGS = {
    "utf-16": ("utf-16", "is UTF-16, not UTF-8: convert it with iconv -f UTF-16 -t UTF-8"),
    "utf-16-le": ("utf-16-le", "is UTF-16LE, not UTF-8: convert it with iconv -f UTF-16LE -t UTF-8"),
    "utf-32": ("utf-32", "is UTF-32, not UTF-8: convert it with iconv -f UTF-32 -t UTF-8"),
    "cp874": (
        "cp874",
        "is not UTF-8; it looks like TIS-620/cp874: convert it with iconv -f TIS-620 -t UTF-8",
    ),
}


@pytest.mark.parametrize("name", CSV_ENCODINGS)
def test_a_csv_in_another_encoding_is_named_with_the_way_to_convert_it(office: Path, name: str) -> None:
    """It said "is not UTF-8 (byte 0)" whatever the encoding; it now says what the note file and
    the printout say (text.utf8_text): which encoding, and the iconv line; nothing written."""
    codec, says = CSV_ENCODINGS[name]
    Path("s.csv").write_bytes("code,no,date,progress,note\n50010000-0003,3,2022-03-31,45,ซ่อม\n".encode(codec))
    before = snapshot(office)
    result = run("sheet", "import", "s.csv", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert result.stderr == f"projledger: s.csv: {says}\n"
    assert snapshot(office) == before
    if name == "utf-32":
        real = installed("sheet", "import", "s.csv", "--as-of", AS_OF, cwd=office)
        assert (real.returncode, real.stderr) == (1, f"projledger: s.csv: {says}\n")
