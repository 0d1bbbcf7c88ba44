"""Spreadsheets for people who live in Excel: rows and column specs to an .xlsx workbook.

Numbers stay numbers (money formatted ``#,##0.00``, percentages ``0.00``), so a reviewer can
sum and sort them; a date is written twice, as the Thai BE text people read (``25/10/2564``)
and, in the next column, as a real date a spreadsheet can compute with. The header is bold
and frozen, columns are as wide as their widest Thai text (wcwidth: vowels and tone marks take
no width), and every text cell is neutralised against formulas (OWASP) and cleared of control
characters, which a record anyone can push may hold.

The workbook is written beside the target and moved over it in one step, so a reader never
sees half a file. ``status_sheet`` and ``summary_sheet`` turn the same rows and summaries the
tables render into sheets.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from wcwidth import wcswidth

from .calendar import format_be
from .errors import InputError
from .i18n import _
from .labels import PLAN_STATUSES, STATES, Lang, label, word
from .money import format_money, format_percent
from .outputs import OutputPlan, plan_output, write_output
from .portfolio import KpiRow, ProjectRow
from .summary import QuarterTotals, Summary, Totals
from .text import printable, spreadsheet_cell

Kind = Literal["money", "percent", "date", "text", "int"]
NUMBER_FORMATS: dict[str, str] = {"money": "#,##0.00", "percent": "0.00", "int": "0", "iso": "yyyy-mm-dd"}
MAX_WIDTH = 60
#: Excel reads a CSV as UTF-8 (and shows Thai) only when it starts with this mark.
UTF8_BOM = "\ufeff"
MIN_WIDTH = 6
#: The header of the real-date column written beside each BE date column.
_ISO_SUFFIX: dict[Lang, str] = {"th": " (ค.ศ.)", "en": " (ISO)"}


@dataclass(frozen=True)
class Column:
    """One column: the row key it reads, its Thai and English headers, and what it holds."""

    key: str
    th: str
    en: str
    kind: Kind = "text"

    def header(self, lang: Lang) -> str:
        return self.th if lang == "th" else self.en


def excel_csv(csv_text: str) -> bytes:
    """CSV text as bytes Excel opens with Thai intact: UTF-8 with a byte-order mark."""
    return (UTF8_BOM + csv_text.removeprefix(UTF8_BOM)).encode("utf-8")


def text_cell(value: object) -> str:
    """Record text as a cell: no control characters, never a formula."""
    return spreadsheet_cell(printable(str(value)))


def display_width(text: str) -> int:
    """Columns a cell's widest line takes; Thai combining marks take none."""
    widest = 0
    for line in text.splitlines() or [""]:
        measured = wcswidth(line)
        widest = max(widest, measured if measured >= 0 else len(line))
    return widest


def _shown(value: Any, kind: str) -> str:
    """The text a spreadsheet will show for a value, to size the column by."""
    if value is None:
        return ""
    if kind == "money":
        return format_money(Decimal(value))
    if kind == "percent":
        return format_percent(Decimal(value))
    if kind == "iso":
        return "2021-10-25"
    return str(value)


def _cells(row: Mapping[str, Any], columns: Sequence[Column]) -> list[tuple[Any, str]]:
    """(value, kind) per sheet column; a date column becomes a BE text and a real date."""
    cells: list[tuple[Any, str]] = []
    for column in columns:
        value = row.get(column.key)
        if column.kind == "date":
            if value is not None and not isinstance(value, date):
                raise TypeError(f"{column.key}: a date column holds {type(value).__name__}")
            cells.append((format_be(value) if value else None, "text"))
            cells.append((value, "iso"))
        elif column.kind == "int" and isinstance(value, str):
            cells.append((text_cell(value), "text"))  # a label in a number column: "รวม"
        elif column.kind in ("money", "percent", "int"):
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, Decimal))):
                raise TypeError(f"{column.key}: a {column.kind} column holds {type(value).__name__}")
            cells.append((value, column.kind))
        else:
            cells.append((None if value is None else text_cell(value), "text"))
    return cells


def headers(columns: Sequence[Column], lang: Lang) -> list[str]:
    names: list[str] = []
    for column in columns:
        names.append(column.header(lang))
        if column.kind == "date":
            names.append(column.header(lang) + _ISO_SUFFIX[lang])
    return names


def build_workbook(
    rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], lang: Lang, title: str = "projledger"
) -> Any:
    """An openpyxl workbook of one sheet: a frozen bold header, then one line per row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = text_cell(title)[:31]
    names = [text_cell(name) for name in headers(columns, lang)]
    sheet.append(names)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    widths = [display_width(name) for name in names]
    for row_number, row in enumerate(rows, start=2):
        for column_number, (value, kind) in enumerate(_cells(row, columns), start=1):
            cell = sheet.cell(row=row_number, column=column_number, value=value)
            if kind == "text" and value is not None:
                cell.data_type = "s"  # text, whatever it starts with
            elif kind in NUMBER_FORMATS and value is not None:
                cell.number_format = NUMBER_FORMATS[kind]
            widths[column_number - 1] = max(widths[column_number - 1], display_width(_shown(value, kind)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    sheet.freeze_panes = "A2"
    return book


def write_xlsx(
    path: Path | OutputPlan,
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[Column],
    lang: Lang,
    title: str = "projledger",
) -> None:
    """Write the workbook as ``outputs.plan_output`` says: a file replaced atomically (a
    temporary file beside it, then a rename), or written into a FIFO or device."""
    plan = path if isinstance(path, OutputPlan) else plan_output(path)
    if plan.path.suffix.lower() != ".xlsx":
        raise InputError(_("the spreadsheet's name must end in .xlsx"), path=plan.path, field="--output")
    plan.require()
    book = build_workbook(rows, columns, lang, title)
    buffer = io.BytesIO()
    book.save(buffer)
    write_output(plan, buffer.getvalue())


# --- the sheets of status and summary ---------------------------------------------------


def _column(key: str, kind: Kind = "text", word_key: str | None = None) -> Column:
    """A column headed by the words of ``word_key`` (default: its own key)."""
    return Column(key, word(word_key or key, "th"), word(word_key or key, "en"), kind)


STATUS_SHEET: tuple[tuple[str, Kind], ...] = (
    ("code", "text"), ("name", "text"), ("agency_code", "text"), ("department", "text"),
    ("fiscal_year", "int"), ("start", "date"), ("end", "date"), ("state", "text"),
    ("latest_no", "int"), ("latest_date", "date"), ("progress", "percent"), ("expected", "percent"),
    ("variance", "percent"), ("plan_status", "text"), ("computed_plan_status", "text"),
    ("target_status", "text"), ("budget", "money"), ("disbursed", "money"),
    ("disbursement_rate", "percent"), ("disbursement_target", "percent"), ("disbursement_gap", "percent"),
    ("due", "int"), ("filed", "int"), ("overdue", "int"), ("path", "text"),
)  # fmt: skip
_LABELLED = ("state", "plan_status", "computed_plan_status", "target_status")


def status_sheet(rows: Iterable[ProjectRow], lang: Lang) -> tuple[list[Column], Iterable[dict[str, Any]]]:
    """Columns and rows of ``status --format xlsx``: statuses in words, numbers as numbers."""
    columns = [_column(key, kind) for key, kind in STATUS_SHEET]

    def values(row: ProjectRow) -> dict[str, Any]:
        data = {key: getattr(row, key) for key, _ in STATUS_SHEET}
        for key in _LABELLED:
            data[key] = label(data[key], lang) or None
        if row.late:
            data["state"] = f"{data['state']} ({word('late', lang)})"
        return data

    return columns, (values(row) for row in rows)


KPI_SHEET: tuple[tuple[str, Kind, str], ...] = (
    ("code", "text", "kpi_code"), ("name", "text", "kpi_name"), ("agency_code", "text", "agency_code"),
    ("department", "text", "department"), ("fiscal_year", "int", "fiscal_year"), ("unit", "text", "measure_unit"),
    ("target", "percent", "kpi_target"), ("latest_quarter", "int", "quarter"),
    ("latest_value", "percent", "latest_value"), ("percent_of_target", "percent", "percent_of_target"),
    ("met", "text", "met"), ("latest_score", "percent", "latest_evaluation"),
    ("latest_full_score", "percent", "full_score"), ("path", "text", "path"),
)  # fmt: skip


def kpi_sheet(rows: Iterable[KpiRow], lang: Lang) -> tuple[list[Column], Iterable[dict[str, Any]]]:
    """Columns and rows of ``status --kind kpi --format xlsx``: met in words, numbers as numbers
    (results and targets with 2 decimals shown, their exact values kept)."""
    columns = [_column(key, kind, word_key) for key, kind, word_key in KPI_SHEET]

    def values(row: KpiRow) -> dict[str, Any]:
        data = {key: getattr(row, key) for key, _, _ in KPI_SHEET}
        data["met"] = None if row.met is None else label("met" if row.met else "not_met", lang)
        return data

    return columns, (values(row) for row in rows)


def summary_sheet(summary: Summary, lang: Lang) -> tuple[list[Column], list[dict[str, Any]]]:
    """Columns and rows of ``summary --format xlsx``: one line per group, then the total."""
    keys = summary.key_names
    key_words = {"plan_status": "computed_plan_status"}
    columns = [_column(name, "int" if name in ("fiscal_year", "quarter") else "text", key_words.get(name))
               for name in keys]  # fmt: skip
    total = {keys[0]: word("total", lang)}  # the first key cell; a number column gets it only as text

    def key_values(group_key: Sequence[tuple[str, Any]]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name, value in group_key:
            if name in ("state", "plan_status"):
                data[name] = label(value, lang) if value else word("none", lang)
            elif name == "agency":
                data[name] = f"{value} {summary.agency_names.get(value, '')}".strip()
            else:
                data[name] = value
        return data

    lines: list[dict[str, Any]] = []
    if summary.quarterly:
        columns += [_column("quarter_end", "date"), _column("projects", "int"), _column("budget", "money"),
                    _column("disbursed", "money"), _column("disbursement_rate", "percent"),
                    _column("target", "percent"), _column("gap", "percent")]  # fmt: skip
        for group in summary.groups:
            q = group.totals
            assert isinstance(q, QuarterTotals)
            lines.append({**key_values(group.key), "quarter_end": q.end, "projects": q.projects,
                          "budget": q.budget, "disbursed": q.disbursed, "disbursement_rate": q.disbursement_rate,
                          "target": q.target, "gap": q.gap})  # fmt: skip
        t = summary.total
        lines.append(total | {"projects": t.projects, "budget": t.budget,
                     "disbursed": t.disbursed, "disbursement_rate": t.disbursement_rate})  # fmt: skip
        return columns, lines
    columns += [_column("projects", "int")]
    columns += [Column(f"state_{s}", label(s, "th"), label(s, "en"), "int") for s in STATES]
    columns += [Column(f"plan_{p}", label(p, "th"), label(p, "en"), "int") for p in PLAN_STATUSES]
    columns += [_column("plan_none", "int", "none"), _column("overdue", "int", "overdue_projects"),
                _column("budget", "money"), _column("disbursed", "money"),
                _column("disbursement_rate", "percent"), _column("progress", "percent", "weighted_progress")]  # fmt: skip
    columns += [_column("kpis", "int"), _column("kpis_met", "int"), _column("kpis_not_met", "int"),
                _column("project_score_mean", "percent"), _column("kpi_score_mean", "percent")]  # fmt: skip

    def totals(t: Totals) -> dict[str, Any]:
        data: dict[str, Any] = {"projects": t.projects, "overdue": t.overdue, "budget": t.budget,
                                "disbursed": t.disbursed, "disbursement_rate": t.disbursement_rate,
                                "progress": t.progress, "kpis": t.kpis, "kpis_met": t.kpis_met,
                                "kpis_not_met": t.kpis_not_met, "project_score_mean": t.project_score_mean,
                                "kpi_score_mean": t.kpi_score_mean}  # fmt: skip
        data.update({f"state_{s}": n for s, n in t.states.items()})
        data.update({f"plan_{p}": n for p, n in t.plan_statuses.items()})
        return data

    for group in summary.groups:
        assert isinstance(group.totals, Totals)
        lines.append(key_values(group.key) | totals(group.totals))
    lines.append(total | totals(summary.total))
    return columns, lines
