"""Writing the sheet a clerk fills: the xlsx workbook or the CSV, from the rows ``due`` chose.

The workbook carries Thai headers with their keys, drop-down lists of the Thai status words,
data validation (progress 0-100, money not negative, dates) so the spreadsheet itself catches
a typo, context columns locked and greyed, a frozen header and widths that fit Thai text. The
CSV is what Excel writes (CRLF, a byte-order mark). Either is written atomically.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..calendar import MIN_BE_YEAR
from ..errors import InputError
from ..i18n import _
from ..labels import label
from ..outputs import OutputPlan, plan_output, write_output
from .columns import CHOICES, COLUMNS, TITLES, SheetColumn, SheetKind, column_letter

_GREY = "E7E6E6"
_MIN_WIDTH, _MAX_WIDTH = 8, 60
#: Rows of an empty registration sheet that carry the validation lists.
NEW_ROWS = 500


def _cell_text(row: dict[str, Any], column: SheetColumn) -> Any:
    from ..xlsx import text_cell

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

    from ..xlsx import NUMBER_FORMATS, display_width

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
            elif column.kind in ("money", "percent"):
                cell.number_format = NUMBER_FORMATS[column.kind]
            elif column.kind == "number":
                cell.number_format = "General"
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
                    cell.number_format = NUMBER_FORMATS["money"]
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
    sheet.freeze_panes = "B2" if kind == "new" else "C2"
    if kind != "new":
        # Without a password: the lock keeps context from being typed over by accident, nothing more.
        sheet.protection.sheet = True
        for allowed in ("formatColumns", "formatRows", "formatCells", "autoFilter", "sort"):
            setattr(sheet.protection, allowed, False)  # False: not locked
    return book


def _validation(column: SheetColumn, letter: str, factory: Any) -> Any:
    common = {"allow_blank": True, "showErrorMessage": True, "errorTitle": column.th}
    if column.kind in CHOICES:
        words = ",".join(label(v, "th") for v in CHOICES[column.kind])
        return factory(type="list", formula1=f'"{words}"', error=f"เลือกจากรายการ: {words}", **common)
    if column.kind == "percent":
        return factory(type="decimal", operator="between", formula1="0", formula2="100",
                       error="ความก้าวหน้าเป็นตัวเลข 0 ถึง 100", **common)  # fmt: skip
    if column.kind in ("money", "number"):  # neither may be negative
        error = "จำนวนเงิน (บาท) ไม่ติดลบ" if column.kind == "money" else "ตัวเลขไม่ติดลบ เช่น 94.73"
        return factory(type="decimal", operator="greaterThanOrEqual", formula1="0", error=error, **common)
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


def write_sheet(
    path: Path | OutputPlan, kind: SheetKind, lines: Sequence[dict[str, Any]], shown: str
) -> None:
    """Write the sheet (.xlsx, or .csv with Excel's byte-order mark) as ``outputs.plan_output``
    says: a file replaced atomically, or written into a FIFO or device."""
    from ..xlsx import excel_csv

    plan = path if isinstance(path, OutputPlan) else plan_output(path)
    suffix = plan.path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InputError(_("the sheet's name must end in .xlsx or .csv"), path=shown, field="--output")
    plan.require()
    content = workbook_bytes(kind, lines) if suffix == ".xlsx" else excel_csv(csv_text(kind, lines))
    write_output(plan, content)
