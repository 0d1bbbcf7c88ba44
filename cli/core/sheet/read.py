"""Reading a filled sheet into typed cells, refusing what cannot be a sheet before parsing it.

xlsx through openpyxl (``read_only``, ``data_only=False``: a formula is read as its text and
reported, its cached value never used) or CSV (UTF-8 with or without a BOM, ``text.utf8_text``;
any line end). A file over ``MAX_FILE_BYTES`` or a workbook whose zip members would inflate past
``MAX_INFLATED_BYTES`` (or ``MAX_RATIO`` times their packed size) is refused before parsing. The
header row names each column's key (``header_key``); the data rows become a ``Table``. Cells are
converted with the very functions ``add-report`` and ``new`` use (``parse_date``,
``parse_percent``, ``parse_money``, ``value_for_label``); a cell that cannot be read raises
``CellError``, which the plan reports as one finding at the spreadsheet's row number and column
letter.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..calendar import MIN_BE_YEAR, DateInputError, parse_date
from ..errors import InputError, ProjledgerError
from ..i18n import _, ngettext, os_problem
from ..labels import label, value_for_label
from ..money import NumberInputError, parse_decimal, parse_money, parse_percent, parse_whole
from ..text import NotUtf8Error, utf8_text
from .columns import (
    CHOICES,
    COLUMNS,
    NEW_TITLE,
    QUARTER_TITLE,
    REPORT_TITLE,
    SheetColumn,
    SheetKind,
    column_letter,
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


_KEY_AT_END = re.compile(r"\(([a-z_]+)\)\s*$")


def header_key(text: Any) -> str | None:
    """The key a header names: ``ความก้าวหน้าของงานฯ % (progress)`` or a bare ``progress``."""
    if not isinstance(text, str):
        return None
    words = " ".join(text.split()).lstrip("\ufeff")
    match = _KEY_AT_END.search(words)
    return match.group(1) if match else (words if re.fullmatch(r"[a-z_]+", words) else None)


def check_size(path: Path, shown: str) -> None:
    """Refuse a missing, non-regular or oversized file."""
    try:
        info = path.stat()
    except OSError as error:
        raise InputError(
            _("cannot be read: {problem}").format(problem=os_problem(error)), path=shown
        ) from None
    if not path.is_file():
        raise InputError(_("is not a file"), path=shown)
    if info.st_size > MAX_FILE_BYTES:
        text = _("is {size} MB; a sheet of at most {most} MB is read (split it into several files)")
        size = f"{info.st_size / 1024 / 1024:.1f}"
        raise InputError(text.format(size=size, most=MAX_FILE_BYTES // 1024 // 1024), path=shown)


def check_zip(path: Path, shown: str) -> None:
    """Refuse a file that is not an xlsx zip, or whose members would inflate too far."""

    def refused(message: str) -> InputError:
        return InputError(message, path=shown)

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise refused(_("is not an xlsx workbook (not a zip file); save it as .xlsx or .csv")) from None
    if len(members) > MAX_MEMBERS:
        raise refused(
            _("holds {count} zip members; an xlsx workbook holds far fewer").format(count=len(members))
        )
    names = {member.filename for member in members}
    if "xl/workbook.xml" not in names or "[Content_Types].xml" not in names:
        raise refused(_("is a zip file but not an xlsx workbook (no xl/workbook.xml)"))
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if ratio > MAX_RATIO and member.file_size > 1024 * 1024:
            text = _("zip member {name} would inflate {ratio} times; refused as a zip bomb")
            raise refused(text.format(name=member.filename, ratio=f"{ratio:.0f}"))
    if total > MAX_INFLATED_BYTES:
        text = _("would inflate to {size} MB when unzipped (at most {most} MB); refused before reading")
        size = f"{total / 1024 / 1024:.0f}"
        raise refused(text.format(size=size, most=MAX_INFLATED_BYTES // 1024 // 1024))
    # No workbook declares a DTD; one that does is after entity expansion (a billion laughs).
    # A DTD can only stand before the root element, so each part's first bytes tell.
    try:
        with zipfile.ZipFile(path) as archive:
            for member in members:
                if member.filename.endswith((".xml", ".rels", ".vml")):
                    with archive.open(member) as part:
                        head = part.read(4096)
                    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                        text = _("zip member {name} declares a DTD, which no workbook needs; refused")
                        raise refused(text.format(name=member.filename))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, RuntimeError) as error:
        problem = type(error).__name__
        raise refused(_("cannot be read as an xlsx workbook ({problem})").format(problem=problem)) from None


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
        raise InputError(_("is neither .xlsx nor .csv; export the sheet in one of those"), path=shown)
    return _table(grid, shown)


def _csv_grid(path: Path, shown: str) -> Iterator[Sequence[Any] | None]:
    try:  # UTF-16, TIS-620 ... named with the way to convert them, as a note file or a printout
        text = utf8_text(path.read_bytes())
    except NotUtf8Error as error:
        raise InputError(str(error), path=shown) from None
    # LibreOffice asks which separator to save with: the one the header row holds most (a tie:
    # the comma). Our headers hold none of the three in their words.
    separator = max((",", ";", "\t"), key=text.partition("\n")[0].count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    lines: list[list[str] | None] = []  # all read first: a file CSV cannot read is refused as such
    try:  # a line of no text (",,,,") is None: a million of them cost no cells
        lines.extend(line[:MAX_COLUMNS] if any(line) else None for line in reader)
    except csv.Error as error:
        raise _csv_error(error, text, len(lines) + 1, shown) from None
    yield from lines


def _csv_error(error: csv.Error, text: str, row: int, shown: str) -> InputError:
    """Python's CSV error as our one line: the file, the row (as a spreadsheet numbers it) and,
    for a cell over the CSV reader's limit, its column."""
    limit = csv.field_size_limit()
    if "field larger than field limit" not in str(error):
        return InputError(_("cannot be read as CSV ({problem})").format(problem=error), path=shown, line=row)
    rest = io.StringIO(text, newline="")
    skipped = csv.reader(rest)
    for _row in range(row - 1):
        next(skipped)
    column = None
    csv.field_size_limit(max(limit, len(text) + 1))  # only to find the column; put back below
    try:
        cells = next(csv.reader(rest), [])
        column = next((i for i, cell in enumerate(cells) if len(cell) > limit), None)
    except csv.Error:
        pass
    finally:
        csv.field_size_limit(limit)
    where = _("column {letter}").format(letter=column_letter(column)) if column is not None else None
    message = _("a cell is over {limit} characters, the most a CSV cell may hold; shorten it")
    return InputError(message.format(limit=f"{limit:,}"), path=shown, line=row, field=where)


def _xlsx_grid(path: Path, shown: str) -> Iterator[Sequence[Any] | None]:
    from openpyxl import load_workbook
    from openpyxl.cell.read_only import EMPTY_CELL

    try:
        book = load_workbook(path, read_only=True, data_only=False, keep_links=False)
    except Exception as error:  # openpyxl raises many kinds on a damaged file
        message = _("cannot be read as an xlsx workbook ({problem})")
        raise InputError(message.format(problem=type(error).__name__), path=shown) from None
    try:
        sheets = [s for s in book.worksheets if hasattr(s, "iter_rows")]
        if not sheets:
            raise InputError(_("holds no worksheet"), path=shown)
        by_title = {s.title: s for s in sheets}
        # By its title; else (renamed) the first sheet whose header names a code column, so a sheet
        # of notes put before it is passed over; else the first, whose header the import then judges.
        sheet = (
            by_title.get(REPORT_TITLE) or by_title.get(NEW_TITLE) or by_title.get(QUARTER_TITLE)
            or next((s for s in sheets if _names_code(s)), sheets[0])
        )  # fmt: skip
        # Read to the sheet's real end, whatever its stored dimension says: read-only mode
        # trusts it, and streaming writers (Apache POI's SXSSF) store ``<dimension ref="A1"/>``,
        # which would hide every row; a dimension too large would pad empty rows to its end.
        sheet.reset_dimensions()
        try:
            header = list(next(sheet.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS), ()))
            while header and Cell("", header[-1].value).empty:
                header.pop()
            yield header
            # Only as wide as the header: a sheet claiming 16,384 columns costs nothing more; a
            # row the file lacks (openpyxl pads up to r="1048576" with EMPTY_CELL) is None.
            for row in sheet.iter_rows(min_row=2, max_col=max(len(header), 1)):
                yield None if all(cell is EMPTY_CELL for cell in row) else row
        except ProjledgerError:
            raise
        except Exception as error:
            text = _("cannot be read as an xlsx workbook ({problem} in sheet '{sheet}')")
            raise InputError(
                text.format(problem=type(error).__name__, sheet=sheet.title), path=shown
            ) from None
    finally:
        book.close()


def _names_code(sheet: Any) -> bool:
    """Whether a worksheet's first row heads a column ``(code)``, as every sheet of ours does."""
    header = next(sheet.iter_rows(min_row=1, max_row=1, max_col=MAX_COLUMNS, values_only=True), ())
    return "code" in map(header_key, header)


def _cells(row: Iterable[Any]) -> list[Cell]:
    """A row's cells: openpyxl's, or a CSV line's texts (never a formula, whatever they start with)."""
    found = []
    for index, cell in enumerate(row):
        kind = getattr(cell, "data_type", "")
        if kind == "n" and "%" in str(getattr(cell, "number_format", "")):
            kind = "%"
        found.append(
            Cell(column_letter(index), getattr(cell, "value", cell), kind if kind in ("f", "e", "%") else "")
        )
    return found


def _table(grid: Iterator[Sequence[Any] | None], shown: str) -> Table:
    """The grid's rows as a table; an empty row (None: the grid tells it cheaply) is only counted."""
    first = next(grid, None)
    header = _cells(first or ())
    letters: dict[str, str] = {}
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = header_key(cell.value)
        if key is None:
            continue
        if key in positions:
            text = _("row 1: two columns are headed '{key}' ({first} and {second})")
            raise InputError(text.format(key=key, first=letters[key], second=cell.letter), path=shown)
        letters[key], positions[key] = cell.letter, index
    # A registration sheet names what only ``new`` asks for; anything else is taken for a monthly one.
    only_new = {"fiscal_year", "budget", "start", "end", "department"}
    kind: SheetKind = "new" if only_new & set(letters) and not {"progress", "no"} & set(letters) else "report"
    if "quarter" in letters and not {"progress", "no"} & set(letters):
        kind = "quarter"  # the quarterly sheet of KPI results and evaluations
    missing = [c.key for c in COLUMNS[kind] if c.required and c.key not in letters]
    if missing:
        wanted = ", ".join(c.header for c in COLUMNS[kind] if c.key in missing)
        message = ngettext(
            "row 1: the header lacks the column {keys} (headed e.g. '{wanted}'); export a sheet with "
            "projledger sheet export to start from",
            "row 1: the header lacks the columns {keys} (headed e.g. '{wanted}'); export a sheet with "
            "projledger sheet export to start from",
            len(missing),
        )
        raise InputError(message.format(keys=", ".join(missing), wanted=wanted), path=shown)
    known = {c.key for c in COLUMNS[kind]}
    wanted_keys = {key: index for key, index in positions.items() if key in known}
    data: list[SheetRow] = []
    blank = 0
    for number, raw in enumerate(grid, start=2):
        if number > MAX_SHEET_ROWS:
            text = _("holds more than {most} rows, more than a spreadsheet can")
            raise InputError(text.format(most=f"{MAX_SHEET_ROWS:,}"), path=shown)
        if raw is None:
            blank += 1
            continue
        line = _cells(raw)
        cells = {
            key: line[index] if index < len(line) else Cell(letters[key], None)
            for key, index in wanted_keys.items()
        }
        if all(cell.empty for cell in cells.values()):
            blank += 1  # styled but empty rows at a sheet's end cost nothing to keep
            continue
        if len(data) >= MAX_ROWS:
            text = _("holds more than {most} filled rows; split it into several files")
            raise InputError(text.format(most=f"{MAX_ROWS:,}"), path=shown)
        data.append(SheetRow(number, cells))
    return Table(kind, {k: letters[k] for k in wanted_keys}, tuple(data), blank)


# --- cells to typed values ----------------------------------------------------------------


class CellError(ValueError):
    """A cell that cannot be read as its column's kind; the message says why."""


def _number_text(value: Any) -> str:
    """A cell's number as the digits a person typed (``45.5``, never ``4.55E+1``)."""
    if isinstance(value, bool):
        raise CellError(_("'{value}' is not a number").format(value=value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError(_("is not a finite number"))
        text = repr(value)
        if "e" in text or "E" in text:
            try:
                text = format(Decimal(text), "f")
            except InvalidOperation:
                raise CellError(_("'{value}' is not a number").format(value=value)) from None
        return text.removesuffix(".0") if text.endswith(".0") else text
    return str(value)


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        if value.year >= MIN_BE_YEAR:
            message = _(
                "the spreadsheet holds the date {date}: a Buddhist Era year typed into a date cell; "
                "type it as text, {text}"
            )
            typed = f"{value.day:02d}/{value.month:02d}/{value.year}"
            raise CellError(message.format(date=value.date().isoformat(), text=typed))
        if value.time() != datetime.min.time():
            raise CellError(_("'{value}' holds a time of day; give the date only").format(value=value))
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        text = _("'{value}' is a number, not a date: write dd/mm/yyyy BE (25/10/2567)")
        raise CellError(text.format(value=_number_text(value)))
    try:
        return parse_date(str(value))
    except DateInputError as error:
        raise CellError(str(error)) from None


#: The kinds read as numbers, each as the option of its kind reads what is typed.
_NUMBER_PARSERS = {"percent": parse_percent, "money": parse_money, "number": parse_decimal}


def convert(column: SheetColumn, cell: Cell) -> Any:
    """The typed value of a non-empty cell, read as add-report and new read what is typed."""
    value = cell.value
    if cell.kind == "f":
        message = _(
            "holds the formula '{value}', which is never run nor its result used; type the value itself"
        )
        raise CellError(message.format(value=getattr(value, "text", value)))  # an array formula: its text
    if cell.kind == "e":
        raise CellError(_("holds the spreadsheet error {value}; type the value itself").format(value=value))
    kind = column.kind
    if kind == "date":
        return _day(value)
    if isinstance(value, datetime | date):
        message = _("holds a date ({date}), not a {kind}")
        raise CellError(message.format(date=f"{value:%Y-%m-%d}", kind=kind.replace("_", " ")))
    text = value if isinstance(value, str) else _number_text(value)
    try:
        if cell.kind == "%" and kind not in ("percent", "number"):
            message = _("'{text}' is shown as a percentage ({shown} %); type the number itself")
            raise CellError(message.format(text=text, shown=parse_decimal(text) * 100))
        if cell.kind == "%":  # typed "45%" (a KPI's result "71.85%"), shown 45 %, stored 0.45: meant 45
            return (_NUMBER_PARSERS[kind](text) * 100).normalize()
        if kind in _NUMBER_PARSERS:
            return _NUMBER_PARSERS[kind](text)
    except NumberInputError as error:
        raise CellError(str(error)) from None
    except InvalidOperation:
        raise CellError(_("'{text}' is too large a number").format(text=text)) from None
    if kind == "int":
        try:
            return parse_whole(text)
        except NumberInputError:
            raise CellError(_("'{text}' is not a whole number").format(text=text)) from None
    if kind in CHOICES:
        found = value_for_label(text, CHOICES[kind])
        if found is None:
            words = ", ".join(label(v, "th") for v in CHOICES[kind])
            raise CellError(_("'{text}' is not one of: {words}").format(text=text, words=words))
        return found
    if kind == "code":
        return text.strip()
    return text
