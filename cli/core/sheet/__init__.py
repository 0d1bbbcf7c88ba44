"""The monthly spreadsheet round trip: export the month's due reports, import the filled rows.

A district office's clerk fills one line per project in a spreadsheet; ``sheet export`` writes
that sheet and ``sheet import`` reads it back into the records. This package holds every
decision of the round trip, without clicks or prints, one module per stage:

- ``columns``: the sheet's format (columns, Thai headers with their keys, titles, choice lists).
- ``due``: which projects get a row for the month (export).
- ``workbook``: the xlsx or CSV the clerk fills, with its validations (export).
- ``read``: a filled sheet read into typed cells, hostile files refused before parsing (import).
- ``plan``: what each row does to its record, every row checked, nothing written (import).
- ``write``: the plan stored in the records, locked and atomic (import).

Each module imports only the ones listed before it. The names below are the ones the commands
and tests use: ``from projledger.core.sheet import ...`` reads them from here.
"""

from __future__ import annotations

from .columns import REPORT_TITLE, SheetColumn, column_letter
from .due import export_rows, quarter_rows
from .plan import plan_import
from .read import Cell, CellError, SheetRow, Table, check_zip, convert, header_key, read_table
from .workbook import write_sheet
from .write import write_plan

__all__ = [
    "REPORT_TITLE",
    "Cell",
    "CellError",
    "SheetColumn",
    "SheetRow",
    "Table",
    "check_zip",
    "column_letter",
    "convert",
    "export_rows",
    "header_key",
    "plan_import",
    "quarter_rows",
    "read_table",
    "write_plan",
    "write_sheet",
]
