"""The monthly spreadsheet round trip: export the month's due reports, import the filled rows.

A district office's clerk fills one line per project in a spreadsheet; ``sheet export`` writes
that sheet and ``sheet import`` reads it back into the records. This module holds every
decision of the round trip, without clicks or prints:

- **Which rows.** The report for month M of a project is report number
  ``N = month_number(start, M)`` (the spec: report N belongs to the Nth month from the start's
  month). A project gets a row for M when it is *active* as of the day of the export, M is not
  before its start's month and not after the export day's month (a month past the end's month
  still counts while the project is active: it is running late and goes on reporting), and its
  latest report's number is below N (not yet filed).
- **The columns.** Each header is the Thai words with the English key the import reads in
  parentheses at its end (``ความก้าวหน้าของงานฯ % (progress)``); a bare key is read too, so a
  CSV typed by hand works. Context columns (code, name, the latest report) are read-only; the
  import reads only the key columns and the ones a clerk fills.
- **Reading.** xlsx through openpyxl (``read_only``, ``data_only=False``: a formula is read as its
  text and reported, its cached value never used) or CSV (UTF-8 with or without a BOM, any line
  end). A file over ``MAX_FILE_BYTES`` or a workbook whose zip members would inflate past
  ``MAX_INFLATED_BYTES`` (or ``MAX_RATIO`` times their packed size) is refused before parsing.
  Cells are converted with the very functions ``add-report`` and ``new`` use (``parse_date``,
  ``parse_percent``, ``parse_money``, ``value_for_label``), and each bad cell is one
  ``CellFinding``: ``FILE:ROW:COLUMN: key: message`` with the spreadsheet's row number and
  column letter.
- **Deciding.** Each row is checked as its record would be after the append
  (``writing.append_report`` in memory, sequentially when a record has several rows). A row
  whose report number is already in the record is skipped when it says the same and refused
  when it differs, so importing a sheet twice changes nothing. An empty row changes nothing;
  an empty disbursed cell means "unchanged since the last report", as in ``add-report``.
- **Writing.** ``write_plan`` stores each changed record with ``store.update`` (locked, atomic),
  only if the file still holds the bytes the plan was made from.

Records are looked up by code (``repository.find_by_code``): an import reads only the records
its rows name, never the whole repository.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Literal

from .calendar import (
    MIN_BE_YEAR,
    MONTHS_TH,
    DateInputError,
    format_be,
    month_number,
    to_be,
)
from .config import Config
from .errors import ConflictError, InputError, ProjledgerError, RecordError, RefusedError
from .findings import Finding
from .labels import EVENTS, PLAN_STATUSES, TARGET_STATUSES, label, value_for_label
from .money import NumberInputError, parse_money, parse_percent, parse_whole
from .portfolio import Filters, ProjectRow, filtered, rows
from .record import decode, parse
from .repository import find_by_code, is_code, record_path
from .writing import (
    NewProject,
    ReportInput,
    append_report,
    build_report,
    new_record,
    new_record_data,
    percent_value,
)

#: Files larger than this are refused before anything parses them.
MAX_FILE_BYTES = 20 * 1024 * 1024
#: An xlsx is a zip: the members together may not inflate past this ...
MAX_INFLATED_BYTES = 200 * 1024 * 1024
#: ... nor any member past this many times its packed size (a zip bomb's signature).
MAX_RATIO = 200
MAX_MEMBERS = 2_000
#: Data rows and columns read at most; a sheet holding more is refused, not cut short.
MAX_ROWS = 50_000
#: Rows a spreadsheet can hold at all (Excel's limit), filled or not.
MAX_SHEET_ROWS = 1_048_576
MAX_COLUMNS = 200

Kind = Literal["text", "code", "int", "date", "percent", "money", "plan_status", "target_status", "event"]
SheetKind = Literal["report", "new"]

REPORT_TITLE = "รายงานประจำเดือน"
NEW_TITLE = "โครงการใหม่"


@dataclass(frozen=True)
class SheetColumn:
    """One column of a sheet: its key, Thai words, what it holds, and whether a clerk fills it."""

    key: str
    th: str
    kind: Kind = "text"
    fill: bool = True
    required: bool = False

    @property
    def header(self) -> str:
        return f"{self.th} ({self.key})"


#: The monthly sheet: context first (read-only), then what the clerk fills, in add-report's order.
REPORT_COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("code", "รหัสโครงการ", "code", fill=False, required=True),
    SheetColumn("name", "ชื่อโครงการ/กิจกรรม", fill=False),
    SheetColumn("month", "ประจำเดือน", fill=False),
    SheetColumn("no", "รายงานครั้งที่", "int", fill=False, required=True),
    SheetColumn("latest_no", "รายงานล่าสุด ครั้งที่", "int", fill=False),
    SheetColumn("latest_date", "รายงานล่าสุด วันที่", fill=False),
    SheetColumn("latest_progress", "รายงานล่าสุด ความก้าวหน้า %", "percent", fill=False),
    SheetColumn("latest_disbursed", "รายงานล่าสุด เบิกใช้สะสม (บาท)", "money", fill=False),
    SheetColumn("date", "วันที่รายงาน", "date", required=True),
    SheetColumn("progress", "ความก้าวหน้าของงานฯ %", "percent", required=True),
    SheetColumn("disbursed", "งบประมาณที่เบิกใช้สะสม (บาท)", "money"),
    SheetColumn("plan_status", "ผลตามแผน", "plan_status"),
    SheetColumn("target_status", "ผลตามเป้าหมาย", "target_status"),
    SheetColumn("note", "ผลการดำเนินงาน", required=True),
    SheetColumn("event", "เหตุการณ์", "event"),
)

#: The registration sheet: the options of ``new``.
NEW_COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("code", "รหัสโครงการ", "code", required=True),
    SheetColumn("name", "ชื่อโครงการ/กิจกรรม", required=True),
    SheetColumn("plan_ref", "แผนปฏิบัติราชการ"),
    SheetColumn("fiscal_year", "ปีงบประมาณ พ.ศ.", "int", required=True),
    SheetColumn("start", "เริ่มต้นโครงการ", "date", required=True),
    SheetColumn("end", "สิ้นสุดโครงการ", "date", required=True),
    SheetColumn("budget", "งบประมาณที่ได้รับ (บาท)", "money", required=True),
    SheetColumn("department", "หน่วยงาน", required=True),
    SheetColumn("division", "ส่วน/ฝ่าย"),
    SheetColumn("unit", "กลุ่มงาน"),
    SheetColumn("owner", "ชื่อผู้รับผิดชอบ"),
    SheetColumn("coordinator", "ผู้ประสานงาน สยป"),
)

COLUMNS: dict[SheetKind, tuple[SheetColumn, ...]] = {"report": REPORT_COLUMNS, "new": NEW_COLUMNS}
TITLES: dict[SheetKind, str] = {"report": REPORT_TITLE, "new": NEW_TITLE}
CHOICES: dict[str, tuple[str, ...]] = {
    "plan_status": PLAN_STATUSES,
    "target_status": TARGET_STATUSES,
    "event": EVENTS,
}


def column_letter(index: int) -> str:
    """``A`` for 0, ``AA`` for 26: the letters a spreadsheet shows above a column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# --- which rows to export -----------------------------------------------------------------


def report_number(start: date, year: int, month: int) -> int:
    """The number of the report that covers ``month`` of a project starting on ``start``."""
    return month_number(start, date(year, month, 1))


def due_number(row: ProjectRow, year: int, month: int, as_of: date) -> int | None:
    """The number of the report ``row``'s project owes for the month, or None when none is due.

    Due: active as of ``as_of``, the month not before the start's month nor after ``as_of``'s
    month, and no report of that number or later filed yet.
    """
    if row.state != "active" or (year, month) > (as_of.year, as_of.month):
        return None
    number = report_number(row.start, year, month)
    if number < 1 or (row.latest_no is not None and row.latest_no >= number):
        return None
    return number


def month_words(year: int, month: int) -> str:
    """``มีนาคม 2565``: a month as a clerk reads it (and no spreadsheet turns into a date)."""
    return f"{MONTHS_TH[month - 1]} {to_be(year)}"


def export_rows(
    config: Config,
    as_of: date,
    year: int,
    month: int,
    filters: Filters,
    *,
    shown: Any = str,
    skipped: Any = None,
) -> list[dict[str, Any]]:
    """One row per project whose report for the month is due and not yet filed, by code."""
    found: list[dict[str, Any]] = []
    for row in filtered(rows([], config, as_of, skipped=skipped, shown=shown), filters):
        number = due_number(row, year, month, as_of)
        if number is None:
            continue
        found.append(
            {
                "code": row.code,
                "name": row.name,
                "month": month_words(year, month),
                "no": number,
                "latest_no": row.latest_no,
                "latest_date": format_be(row.latest_date) if row.latest_date else None,
                "latest_progress": row.progress,
                "latest_disbursed": row.disbursed if row.latest_no is not None else None,
            }
        )
    found.sort(key=lambda r: r["code"])
    return found


# --- reading a filled sheet ---------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One cell as read: the value (str, int, float, datetime or None) and whether it held a formula."""

    letter: str
    value: Any
    #: The spreadsheet's own type when it matters: "f" a formula, "e" an error such as #REF!,
    #: "%" a number shown as a percentage (45 % is stored as 0.45).
    kind: str = ""

    @property
    def empty(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


@dataclass(frozen=True)
class SheetRow:
    number: int
    cells: dict[str, Cell]


@dataclass(frozen=True)
class Table:
    """A sheet as read: its kind, where each key's column is, and the data rows."""

    kind: SheetKind
    letters: dict[str, str]
    rows: tuple[SheetRow, ...]
    #: Rows with no cell of any known column filled: counted, not kept.
    blank_rows: int = 0


@dataclass(frozen=True)
class CellFinding:
    """What is wrong with one cell (or one row, at its code cell): ``FILE:ROW:COLUMN: key: message``."""

    row: int
    column: str
    key: str
    message: str
    severity: str = "error"

    def one_line(self, shown: str) -> str:
        kind = "" if self.severity == "error" else f"{self.severity}: "
        return f"{shown}:{self.row}:{self.column}: {kind}{self.key}: {self.message}"


_KEY_AT_END = re.compile(r"\(([a-z_]+)\)\s*$")


def header_key(text: Any) -> str | None:
    """The key a header names: ``ความก้าวหน้าของงานฯ % (progress)`` or a bare ``progress``."""
    if not isinstance(text, str):
        return None
    words = " ".join(text.split()).lstrip("\ufeff")
    match = _KEY_AT_END.search(words)
    return match.group(1) if match else (words if re.fullmatch(r"[a-z_]+", words) else None)


def check_size(path: Path, shown: str) -> int:
    """The file's size; refuses a missing, non-regular or oversized file."""
    try:
        info = path.stat()
    except OSError as error:
        raise InputError(f"cannot be read: {error.strerror}", path=shown) from None
    if not path.is_file():
        raise InputError("is not a file", path=shown)
    if info.st_size > MAX_FILE_BYTES:
        raise InputError(
            f"is {info.st_size / 1024 / 1024:.1f} MB; a sheet of at most {MAX_FILE_BYTES // 1024 // 1024} MB "
            "is read (split it into several files)",
            path=shown,
        )
    return info.st_size


def check_zip(path: Path, shown: str) -> None:
    """Refuse a file that is not an xlsx zip, or whose members would inflate too far."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise InputError(
            "is not an xlsx workbook (not a zip file); save it as .xlsx or .csv", path=shown
        ) from None
    if len(members) > MAX_MEMBERS:
        raise InputError(f"holds {len(members)} zip members; an xlsx workbook holds far fewer", path=shown)
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise InputError("is a zip file but not an xlsx workbook (no xl/workbook.xml)", path=shown)
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > MAX_RATIO and member.file_size > 1024 * 1024:
            raise InputError(
                f"zip member {member.filename} would inflate {ratio:.0f} times; refused as a zip bomb",
                path=shown,
            )
    if total > MAX_INFLATED_BYTES:
        raise InputError(
            f"would inflate to {total / 1024 / 1024:.0f} MB when unzipped (at most "
            f"{MAX_INFLATED_BYTES // 1024 // 1024} MB); refused before reading",
            path=shown,
        )
    # No workbook declares a DTD; one that does is after entity expansion (a billion laughs).
    # A DTD can only stand before the root element, so each part's first bytes tell.
    try:
        with zipfile.ZipFile(path) as archive:
            for member in members:
                if member.filename.endswith((".xml", ".rels", ".vml")):
                    with archive.open(member) as part:
                        head = part.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        raise InputError(
                            f"zip member {member.filename} declares a DTD, which no workbook needs; refused",
                            path=shown,
                        )
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as error:
        raise InputError(f"cannot be read as an xlsx workbook ({type(error).__name__})", path=shown) from None


def read_table(path: Path, shown: str) -> Table:
    """Read a filled sheet (.xlsx or .csv) into cells by key; refuses what cannot be a sheet."""
    check_size(path, shown)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        grid = _csv_grid(path, shown)
    elif suffix in (".xlsx", ".xlsm"):
        check_zip(path, shown)
        grid = _xlsx_grid(path, shown)
    else:
        raise InputError("is neither .xlsx nor .csv; export the sheet in one of those", path=shown)
    return _table(grid, shown)


def _csv_grid(path: Path, shown: str) -> Iterator[list[Cell]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"is not UTF-8 (byte {error.start}); save the CSV as 'CSV UTF-8' from the spreadsheet",
            path=shown,
        ) from None
    if "\x00" in text:
        raise InputError("holds NUL characters: it is not a CSV text file", path=shown)
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise InputError(f"cannot be read as CSV ({error})", path=shown) from None
    for line in lines:
        # A CSV cell is always text, whatever it starts with: "=..." is never a formula here.
        yield [Cell(column_letter(i), value) for i, value in enumerate(line[:MAX_COLUMNS])]


def _xlsx_grid(path: Path, shown: str) -> Iterator[list[Cell]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        raise InputError(f"cannot be read as an xlsx workbook ({type(error).__name__})", path=shown) from None
    try:
        sheets = [s for s in book.worksheets if hasattr(s, "iter_rows")]
        if not sheets:
            raise InputError("holds no worksheet", path=shown)
        by_title = {s.title: s for s in sheets}
        sheet = by_title.get(REPORT_TITLE) or by_title.get(NEW_TITLE) or sheets[0]
        try:
            header = next(sheet.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS), ())
            cells = _cells(header)
            while cells and cells[-1].empty:
                cells.pop()
            yield cells
            # Only as wide as the header: a sheet claiming 16,384 columns costs nothing more.
            for row in sheet.iter_rows(min_row=2, max_col=max(len(cells), 1)):
                yield _cells(row)
        except ProjledgerError:
            raise
        except Exception as error:
            raise InputError(
                f"cannot be read as an xlsx workbook ({type(error).__name__} in sheet '{sheet.title}')",
                path=shown,
            ) from None
    finally:
        book.close()


def _cells(row: Iterable[Any]) -> list[Cell]:
    found = []
    for index, cell in enumerate(row):
        kind = getattr(cell, "data_type", "")
        if kind == "n" and "%" in str(getattr(cell, "number_format", "")):
            kind = "%"
        found.append(Cell(column_letter(index), cell.value, kind if kind in ("f", "e", "%") else ""))
    return found


def _table(grid: Iterator[list[Cell]], shown: str) -> Table:
    header = next(grid, None)
    letters: dict[str, str] = {}
    positions: dict[str, int] = {}
    for index, cell in enumerate(header or []):
        key = header_key(cell.value)
        if key is None:
            continue
        if key in positions:
            raise InputError(
                f"row 1: two columns are headed '{key}' ({letters[key]} and {cell.letter})", path=shown
            )
        letters[key], positions[key] = cell.letter, index
    # A registration sheet names what only ``new`` asks for; anything else is taken for a monthly one.
    only_new = {"fiscal_year", "budget", "start", "end", "department"}
    kind: SheetKind = "new" if only_new & set(letters) and not {"progress", "no"} & set(letters) else "report"
    missing = [c.key for c in COLUMNS[kind] if c.required and c.key not in letters]
    if missing:
        wanted = ", ".join(c.header for c in COLUMNS[kind] if c.key in missing)
        raise InputError(
            f"row 1: the header lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
            f"(headed e.g. '{wanted}'); export a sheet with projledger sheet export to start from",
            path=shown,
        )
    known = {c.key for c in COLUMNS[kind]}
    wanted_keys = {key: index for key, index in positions.items() if key in known}
    data: list[SheetRow] = []
    blank = 0
    for number, line in enumerate(grid, start=2):
        if number > MAX_SHEET_ROWS:
            raise InputError(
                f"holds more than {MAX_SHEET_ROWS:,} rows, more than a spreadsheet can", path=shown
            )
        cells = {
            key: line[index] if index < len(line) else Cell(letters[key], None)
            for key, index in wanted_keys.items()
        }
        if all(cell.empty for cell in cells.values()):
            blank += 1  # styled but empty rows at a sheet's end cost nothing to keep
            continue
        if len(data) >= MAX_ROWS:
            raise InputError(
                f"holds more than {MAX_ROWS:,} filled rows; split it into several files", path=shown
            )
        data.append(SheetRow(number, cells))
    return Table(kind, {k: letters[k] for k in wanted_keys}, tuple(data), blank)


# --- cells to typed values ----------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read as its column's kind; the message says why."""


def _number_text(value: Any) -> str:
    """A cell's number as the digits a person typed (``45.5``, never ``4.55E+1``)."""
    if isinstance(value, bool):
        raise CellError(f"'{value}' is not a number")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError("is not a finite number")
        text = repr(value)
        if "e" in text or "E" in text:
            try:
                text = format(Decimal(text), "f")
            except InvalidOperation:
                raise CellError(f"'{value}' is not a number") from None
        return text.removesuffix(".0") if text.endswith(".0") else text
    return str(value)


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        if value.year >= MIN_BE_YEAR:
            raise CellError(
                f"the spreadsheet holds the date {value.date().isoformat()}: a Buddhist Era year typed into a "
                f"date cell; type it as text, {value.day:02d}/{value.month:02d}/{value.year}"
            )
        if value.time() != datetime.min.time():
            raise CellError(f"'{value}' holds a time of day; give the date only")
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        raise CellError(f"'{_number_text(value)}' is a number, not a date: write dd/mm/yyyy BE (25/10/2567)")
    try:
        from .calendar import parse_date

        return parse_date(str(value))
    except DateInputError as error:
        raise CellError(str(error)) from None


def convert(column: SheetColumn, cell: Cell) -> Any:
    """The typed value of a non-empty cell, read as add-report and new read what is typed."""
    value = cell.value
    if cell.kind == "f":
        raise CellError(
            f"holds the formula '{value}', which is never run nor its result used; type the value itself"
        )
    if cell.kind == "e":
        raise CellError(f"holds the spreadsheet error {value}; type the value itself")
    kind = column.kind
    if kind == "date":
        return _day(value)
    if isinstance(value, datetime | date):
        raise CellError(f"holds a date ({value:%Y-%m-%d}), not a {kind.replace('_', ' ')}")
    text = value if isinstance(value, str) else _number_text(value)
    try:
        if kind == "percent" and cell.kind == "%":
            # Typed as "45%", shown as 45 %, stored as 0.45: the clerk meant 45.
            return (parse_percent(text) * 100).normalize()
        if kind == "percent":
            return parse_percent(text)
        if kind == "money":
            return parse_money(text)
    except NumberInputError as error:
        raise CellError(str(error)) from None
    except InvalidOperation:
        raise CellError(f"'{text}' is too large a number") from None
    if kind == "int":
        try:
            return parse_whole(text)
        except NumberInputError:
            raise CellError(f"'{text}' is not a whole number") from None
    if kind in CHOICES:
        found = value_for_label(text, CHOICES[kind])
        if found is None:
            words = ", ".join(label(v, "th") for v in CHOICES[kind])
            raise CellError(f"'{text}' is not one of: {words}")
        return found
    if kind == "code":
        return text.strip()
    return text


# --- deciding what each row does ----------------------------------------------------------

Action = Literal["append", "identical", "empty", "failed", "new"]


@dataclass
class RowOutcome:
    row: int
    code: str
    action: Action
    block: str = ""
    no: int | None = None


@dataclass
class Change:
    """One record's planned new bytes, made from ``before`` by the rows in ``rows``."""

    path: Path
    shown: str
    code: str
    before: bytes | None
    after: bytes
    rows: list[int] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)


@dataclass
class Plan:
    kind: SheetKind
    outcomes: list[RowOutcome] = field(default_factory=list)
    findings: list[CellFinding] = field(default_factory=list)
    blank_rows: int = 0
    changes: dict[str, Change] = field(default_factory=dict)

    @property
    def errors(self) -> list[CellFinding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def failed_rows(self) -> list[int]:
        return sorted({f.row for f in self.errors})

    def count(self, action: Action) -> int:
        found = sum(1 for o in self.outcomes if o.action == action)
        return found + self.blank_rows if action == "empty" else found


def plan_import(table: Table, config: Config, as_of: date, shown: Any = str) -> Plan:
    """What importing the table would do to each record, every row checked; nothing written."""
    plan = Plan(table.kind, blank_rows=table.blank_rows)
    columns = {c.key: c for c in COLUMNS[table.kind]}
    state = _State(config, as_of, shown, plan)
    for row in table.rows:
        fill = [key for key in row.cells if columns[key].fill]
        if all(row.cells[key].empty for key in fill):
            plan.outcomes.append(RowOutcome(row.number, "", "empty"))
            continue
        values, bad = _read_row(row, columns, table.letters)
        code = values.get("code", "")
        if bad:
            plan.findings += bad
            plan.outcomes.append(RowOutcome(row.number, code, "failed"))
            continue
        if table.kind == "report":
            outcome = state.report_row(row, values, table.letters)
        else:
            outcome = state.new_row(row, values, table.letters)
        plan.outcomes.append(outcome)
    return plan


def _read_row(
    row: SheetRow, columns: dict[str, SheetColumn], letters: dict[str, str]
) -> tuple[dict[str, Any], list[CellFinding]]:
    values: dict[str, Any] = {}
    bad: list[CellFinding] = []
    for key, cell in row.cells.items():
        column = columns[key]
        if not column.fill and key not in ("code", "no"):
            continue  # context: shown to the clerk, never read back
        if cell.empty:
            if column.required:
                bad.append(CellFinding(row.number, letters[key], key, "is empty; this column is required"))
            continue
        try:
            values[key] = convert(column, cell)
        except CellError as error:
            bad.append(CellFinding(row.number, letters[key], key, str(error)))
    return values, bad


@dataclass
class _Record:
    path: Path
    shown: str
    before: bytes | None
    current: bytes | None


class _State:
    """The records the rows touched so far, as they would be after the rows read until now."""

    def __init__(self, config: Config, as_of: date, shown: Any, plan: Plan) -> None:
        self.config = config
        self.as_of = as_of
        self.shown = shown
        self.plan = plan
        self.records: dict[str, _Record | None] = {}

    def _fail(self, row: SheetRow, letters: dict[str, str], key: str, message: str) -> RowOutcome:
        column = letters.get(key, letters["code"])
        self.plan.findings.append(CellFinding(row.number, column, key if key in letters else "code", message))
        return RowOutcome(row.number, "", "failed")

    def _lookup(self, code: str) -> _Record | None:
        if code not in self.records:
            path = find_by_code(code, self.config)
            if path is None:
                self.records[code] = None
            else:
                try:
                    raw = path.read_bytes()
                except OSError as error:
                    raise RecordError(f"cannot be read: {error.strerror}", rule="io", path=path) from None
                self.records[code] = _Record(path, self.shown(path), raw, raw)
        return self.records[code]

    def _code(self, row: SheetRow, values: dict[str, Any], letters: dict[str, str]) -> str | RowOutcome:
        code = values["code"]
        if not is_code(code, self.config):
            return self._fail(row, letters, "code", f"'{code}' is not a project code like 01000000-2475")
        return str(code)

    def _remember(self, code: str, record: _Record, row: int, content: bytes, block: str) -> None:
        record.current = content
        change = self.plan.changes.get(code)
        if change is None:
            change = self.plan.changes[code] = Change(record.path, record.shown, code, record.before, content)
        change.after = content
        change.rows.append(row)
        change.blocks.append(block)

    def _refused(
        self, row: SheetRow, letters: dict[str, str], error: ProjledgerError, prefix: str
    ) -> RowOutcome:
        findings = [f for f in getattr(error, "findings", []) if isinstance(f, Finding)]
        if not findings:
            return self._fail(row, letters, _key_of(error.field or "", prefix), error.message)
        seen: set[str] = set()
        for finding in findings:
            key = _key_of(finding.field, prefix)
            if key not in seen:  # one finding per cell, the first the checks gave
                seen.add(key)
                self._fail(row, letters, key, finding.message)
        return RowOutcome(row.number, "", "failed")

    def report_row(self, row: SheetRow, values: dict[str, Any], letters: dict[str, str]) -> RowOutcome:
        code = self._code(row, values, letters)
        if isinstance(code, RowOutcome):
            return code
        try:
            record = self._lookup(code)
        except ProjledgerError as error:
            return self._fail(row, letters, "code", error.message)
        if record is None:
            return self._fail(
                row, letters, "code", f"no record for project {code} under {self.config.records_dir}"
            )
        assert record.current is not None
        number = values["no"]
        report = ReportInput(
            date=values["date"],
            progress=values["progress"],
            note=values["note"],
            disbursed=values.get("disbursed"),
            plan_status=values.get("plan_status"),
            target_status=values.get("target_status", "on_target"),
            event=values.get("event"),
            no=number,
        )
        if re.search(rb"^no = %d\r?$" % number, record.current, re.MULTILINE):
            # Most likely filed already (a second import): look before trying the append.
            there = self._filed(row, letters, record, report)
            if there is not None:
                return there
        try:
            written = append_report(
                record.current, record.path, report, self.config, self.as_of, record.shown
            )
        except (RefusedError, RecordError, ConflictError) as error:
            # A report of this number already there makes every append fail (numbers must
            # increase), so the record is searched for it only then: a first import parses once.
            there = self._filed(row, letters, record, report)
            return there if there is not None else self._refused(row, letters, error, "reports")
        for warning in written.warnings:
            self.plan.findings.append(
                CellFinding(
                    row.number,
                    letters.get(_key_of(warning.field, "reports"), letters["code"]),
                    _key_of(warning.field, "reports"),
                    warning.message,
                    "warning",
                )
            )
        self._remember(code, record, row.number, written.content, written.block)
        return RowOutcome(row.number, code, "append", written.block, number)

    def _filed(
        self, row: SheetRow, letters: dict[str, str], record: _Record, report: ReportInput
    ) -> RowOutcome | None:
        """Skip (identical) or refuse (different) a row whose report number the record holds."""
        assert record.current is not None
        try:
            data = parse(decode(record.current, record.shown), record.shown)
        except RecordError:
            return None  # append_report's own refusal says what is wrong with the file
        listed = data.get("reports")
        reports = [r for r in listed if isinstance(r, dict)] if isinstance(listed, list) else []
        for index, existing in enumerate(reports):
            if existing.get("no") == report.no:
                difference = _difference(report, existing, reports[:index])
                if difference is None:
                    return RowOutcome(row.number, str(data.get("code", "")), "identical", no=report.no)
                key, message = difference
                return self._fail(
                    row,
                    letters,
                    key,
                    f"report {report.no} is already in {record.shown} with {message}; "
                    "nothing changed (fix the record with an editor if the sheet is right)",
                )
        return None

    def new_row(self, row: SheetRow, values: dict[str, Any], letters: dict[str, str]) -> RowOutcome:
        code = self._code(row, values, letters)
        if isinstance(code, RowOutcome):
            return code
        project = NewProject(
            code=code,
            name=values["name"],
            fiscal_year=values["fiscal_year"],
            start=values["start"],
            end=values["end"],
            budget=values["budget"],
            department=values["department"],
            **{k: values.get(k, "") for k in ("division", "unit", "owner", "coordinator", "plan_ref")},
        )
        try:
            record = self._lookup(code)
            path = record.path if record else record_path(self.config, project.fiscal_year, code)
        except ProjledgerError as error:
            return self._fail(row, letters, "code", error.message)
        if record is not None and record.current is not None:
            try:
                existing = parse(decode(record.current, record.shown), record.shown)
            except RecordError as error:
                return self._fail(row, letters, "code", f"{record.shown}: {error.message}")
            wanted = new_record_data(project)
            for key in ("name", "plan_ref", "fiscal_year", "start", "end", "budget"):
                if wanted.get(key) != existing.get(key):
                    return self._fail(row, letters, key, _already(code, record.shown, key, existing.get(key)))
            agency_data = existing.get("agency")
            agency: dict[str, Any] = agency_data if isinstance(agency_data, dict) else {}
            for key, value in wanted["agency"].items():
                if value != agency.get(key):
                    return self._fail(row, letters, key, _already(code, record.shown, key, agency.get(key)))
            return RowOutcome(row.number, code, "identical")
        shown = self.shown(path)
        try:
            written = new_record(project, path, self.config, self.as_of, shown)
        except (RefusedError, RecordError, ConflictError) as error:
            return self._refused(row, letters, error, "")
        record = _Record(path, shown, None, None)
        self.records[code] = record
        self._remember(code, record, row.number, written.content, written.content.decode("utf-8"))
        return RowOutcome(row.number, code, "new", written.content.decode("utf-8"))


def _already(code: str, shown: str, key: str, value: Any) -> str:
    there = "nothing" if value is None else f"'{value}'"
    return f"project {code} already has a record ({shown}) with {key} {there}; nothing changed"


_NEW_KEYS = {"agency.department": "department", "agency.division": "division", "agency.unit": "unit",
             "agency.owner": "owner", "agency.coordinator": "coordinator"}  # fmt: skip


def _key_of(field_path: str, prefix: str) -> str:
    """The sheet key a record finding's field names: ``reports[7].progress`` → ``progress``."""
    if prefix == "reports":
        match = re.fullmatch(r"reports\[\d+\](?:\.([a-z_]+))?(?:\..*)?", field_path)
        if match is None:
            return "code"
        return match.group(1) or "no"
    return _NEW_KEYS.get(field_path, field_path.split(".")[0].split("[")[0] or "code")


def _difference(values: ReportInput, existing: dict[str, Any], previous: list[Any]) -> tuple[str, str] | None:
    """(key, what differs) between a row and the report of its number already filed, or None.

    Compared as stored: what the row would build on the reports before it. A plan status the
    row leaves empty was computed when it was filed, so it is not compared.
    """
    built = build_report(values, previous)
    keys = ["date", "progress", "disbursed", "target_status", "note", "event"]
    if values.plan_status is not None:
        keys.append("plan_status")
    for key in keys:
        mine, theirs = built.get(key), existing.get(key)
        if key == "progress" and isinstance(theirs, Decimal | int):
            theirs = percent_value(Decimal(theirs))
        if key == "disbursed" and isinstance(theirs, Decimal | int):
            theirs = Decimal(theirs).quantize(Decimal("0.01"))
        if mine != theirs:
            shown_theirs = "none" if theirs is None else theirs
            return key, f"{key} {shown_theirs} (the sheet says {'none' if mine is None else mine})"
    return None


# --- writing -------------------------------------------------------------------------------


#: Records written at once: each write waits on two fsyncs, which run in parallel on other files.
WRITERS = 8


def write_plan(plan: Plan) -> tuple[list[Change], list[tuple[Change, ProjledgerError]]]:
    """Store each planned record through ``store.update`` (its lock, its atomic replace).

    A record whose bytes are no longer the ones the plan was made from is left as it is and
    returned among the failures, with the others still written. Returns (written, failed) in
    the plan's order.
    """
    from concurrent.futures import ThreadPoolExecutor

    from .store import update

    def write(change: Change) -> ProjledgerError | None:
        def replace(current: bytes | None) -> bytes:
            if current != change.before:
                raise ConflictError(
                    "the record changed while the sheet was being imported; nothing written to it, "
                    "import the sheet again",
                    path=change.shown,
                )
            return change.after

        try:
            if change.before is None:
                change.path.parent.mkdir(parents=True, exist_ok=True)
            update(change.path, replace)
        except ProjledgerError as error:
            return error
        except OSError as error:
            return RecordError(f"cannot be written: {error.strerror}", rule="io", path=change.shown)
        return None

    changes = list(plan.changes.values())
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        outcomes = list(pool.map(write, changes))
    written = [c for c, error in zip(changes, outcomes, strict=True) if error is None]
    failed = [(c, error) for c, error in zip(changes, outcomes, strict=True) if error is not None]
    return written, failed


# --- writing a sheet ------------------------------------------------------------------------

_GREY = "E7E6E6"
_MIN_WIDTH, _MAX_WIDTH = 8, 60
#: Rows of an empty registration sheet that carry the validation lists.
NEW_ROWS = 500


def _cell_text(row: dict[str, Any], column: SheetColumn) -> Any:
    from .xlsx import text_cell

    value = row.get(column.key)
    if value is None:
        return None
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return value
    return text_cell(value)


def csv_text(kind: SheetKind, lines: Sequence[dict[str, Any]]) -> str:
    """The sheet as CSV text (CRLF, as Excel writes); the command adds the byte-order mark."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    columns = COLUMNS[kind]
    writer.writerow([c.header for c in columns])
    for line in lines:
        cells = []
        for column in columns:
            value = _cell_text(line, column)
            if isinstance(value, Decimal) and column.kind in ("money", "percent"):
                value = f"{value:.2f}"
            cells.append("" if value is None else value)
        writer.writerow(cells)
    return out.getvalue()


def _date_rule(letter: str, first: int) -> str:
    """A real date this century or next, or text as long as a dd/mm/yyyy date (BE text is checked on import)."""
    cell = f"{letter}{first}"
    return (
        f"OR(AND(ISNUMBER({cell}),{cell}>=DATE(2000,1,1),{cell}<DATE(2200,1,1)),"
        f"AND(ISTEXT({cell}),LEN({cell})>=8,LEN({cell})<=10))"
    )


def build_workbook(kind: SheetKind, lines: Sequence[dict[str, Any]]) -> Any:
    """The sheet as an openpyxl workbook: Thai headers with keys, validations, context locked."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    from .xlsx import display_width

    columns = COLUMNS[kind]
    book = Workbook()
    sheet = book.active
    sheet.title = TITLES[kind]
    sheet.append([c.header for c in columns])
    grey = PatternFill("solid", fgColor=_GREY)
    for index, column in enumerate(columns):
        cell = sheet.cell(row=1, column=index + 1)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        if not column.fill:
            cell.fill = grey
    last = max(len(lines), NEW_ROWS if kind == "new" else 1) + 1
    widths = [min(display_width(c.header), 24) for c in columns]
    for number, line in enumerate(lines, start=2):
        for index, column in enumerate(columns):
            value = _cell_text(line, column)
            cell = sheet.cell(row=number, column=index + 1, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # text, whatever it starts with
            elif column.kind == "money":
                cell.number_format = "#,##0.00"
            elif column.kind == "percent":
                cell.number_format = "0.00"
            if value is not None:
                shown = (
                    f"{value:,.2f}" if column.kind == "money" and isinstance(value, Decimal) else str(value)
                )
                widths[index] = max(widths[index], display_width(shown))
    for index, column in enumerate(columns):
        letter = column_letter(index)
        for number in range(2, last + 1):
            cell = sheet.cell(row=number, column=index + 1)
            if column.fill:
                cell.protection = Protection(locked=False)
                if column.kind == "date":
                    cell.number_format = "@"  # typed 25/10/2567 stays the text the import reads
                elif column.kind == "money":
                    cell.number_format = "#,##0.00"
            else:
                cell.fill = grey
        if column.key == "note":
            widths[index] = max(widths[index], 40)
        if column.kind in CHOICES:  # wide enough for the longest word of its drop-down list
            widths[index] = max(widths[index], *(display_width(label(v, "th")) for v in CHOICES[column.kind]))
        if column.fill:
            validation = _validation(column, letter, DataValidation)
            if validation is not None:
                sheet.add_data_validation(validation)
                validation.add(f"{letter}2:{letter}{last}")
        sheet.column_dimensions[letter].width = min(max(widths[index] + 2, _MIN_WIDTH), _MAX_WIDTH)
    sheet.freeze_panes = "C2" if kind == "report" else "B2"
    if kind == "report":
        # Without a password: the lock keeps context from being typed over by accident, nothing more.
        sheet.protection.sheet = True
        sheet.protection.formatColumns = False
        sheet.protection.formatRows = False
        sheet.protection.formatCells = False
        sheet.protection.autoFilter = False
        sheet.protection.sort = False
    return book


def _validation(column: SheetColumn, letter: str, factory: Any) -> Any:
    common = {"allow_blank": True, "showErrorMessage": True, "errorTitle": column.th}
    if column.kind in CHOICES:
        words = ",".join(label(v, "th") for v in CHOICES[column.kind])
        return factory(type="list", formula1=f'"{words}"', error=f"เลือกจากรายการ: {words}", **common)
    if column.kind == "percent":
        return factory(type="decimal", operator="between", formula1="0", formula2="100",
                       error="ความก้าวหน้าเป็นตัวเลข 0 ถึง 100", **common)  # fmt: skip
    if column.kind == "money":
        return factory(type="decimal", operator="greaterThanOrEqual", formula1="0",
                       error="จำนวนเงิน (บาท) ไม่ติดลบ", **common)  # fmt: skip
    if column.kind == "date":
        return factory(type="custom", formula1=_date_rule(letter, 2),
                       error="วันที่ วว/ดด/ปปปป พ.ศ. เช่น 25/10/2567", **common)  # fmt: skip
    if column.kind == "int" and column.key == "fiscal_year":
        return factory(type="whole", operator="between", formula1=str(MIN_BE_YEAR), formula2="2800",
                       error="ปีงบประมาณ พ.ศ. เช่น 2568", **common)  # fmt: skip
    return None


def workbook_bytes(kind: SheetKind, lines: Sequence[dict[str, Any]]) -> bytes:
    out = io.BytesIO()
    build_workbook(kind, lines).save(out)
    return out.getvalue()


def write_sheet(path: Path, kind: SheetKind, lines: Sequence[dict[str, Any]], shown: str) -> None:
    """Write the sheet to ``path`` (.xlsx, or .csv with Excel's byte-order mark), atomically."""
    from .store import write_atomic
    from .xlsx import excel_csv

    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InputError("the sheet's name must end in .xlsx or .csv", path=shown, field="--output")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError("no such folder to write the sheet in", path=shown, field="--output")
    content = workbook_bytes(kind, lines) if suffix == ".xlsx" else excel_csv(csv_text(kind, lines))
    write_atomic(path, content)
