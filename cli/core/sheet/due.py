"""Which rows ``sheet export`` writes: the projects whose report for the month is due.

The report for month M of a project is report number ``N = month_number(start, M)`` (the spec:
report N belongs to the Nth month from the start's month). A project gets a row for M when it is
*active* as of the day of the export, M is not before its start's month and not after the export
day's month (a month past the end's month still counts while the project is active: it is running
late and goes on reporting), and its latest report's number is below N (not yet filed).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..calendar import MONTHS_TH, format_be, month_number, to_be
from ..config import Config
from ..errors import ProjledgerError
from ..kinds import kind_key
from ..portfolio import Filters, KpiRow, ProjectRow, filtered, rows
from ..record import decode, parse, read_record_bytes


def due_number(row: ProjectRow, year: int, month: int, as_of: date) -> int | None:
    """The number of the report ``row``'s project owes for the month, or None when none is due.

    Due: active as of ``as_of``, the month not before the start's month nor after ``as_of``'s
    month, and no report of that number or later filed yet.
    """
    if row.state != "active" or (year, month) > (as_of.year, as_of.month):
        return None
    number = month_number(row.start, date(year, month, 1))  # the report that covers the month
    if number < 1 or (row.latest_no is not None and row.latest_no >= number):
        return None
    return number


def export_rows(
    config: Config,
    as_of: date,
    year: int,
    month: int,
    filters: Filters,
    **options: Any,
) -> list[dict[str, Any]]:
    """One row per project whose report for the month is due and not yet filed, by code;
    ``options`` (``shown``, ``skipped``, ``checked_on``) go to ``rows``, as in ``quarter_rows``."""
    found: list[dict[str, Any]] = []
    for row in filtered(rows([], config, as_of, **options), filters):
        number = due_number(row, year, month, as_of)
        if number is None:
            continue
        found.append(
            {
                "code": row.code,
                "name": row.name,
                "month": f"{MONTHS_TH[month - 1]} {to_be(year)}",  # มีนาคม 2565: no spreadsheet makes it a date
                "no": number,
                "latest_no": row.latest_no,
                "latest_date": format_be(row.latest_date) if row.latest_date else None,
                "latest_progress": row.progress,
                "latest_disbursed": row.disbursed if row.latest_no is not None else None,
            }
        )
    found.sort(key=lambda r: r["code"])
    return found


# --- the quarterly sheet (format 2) ---------------------------------------------------------


def _so_far(values: tuple[Decimal | None, ...]) -> str:
    """``ไตรมาส 1: 20.5 · ไตรมาส 2: 45.5``: the results a KPI has, for the clerk's eye."""
    return " · ".join(f"ไตรมาส {q}: {v}" for q, v in enumerate(values, start=1) if v is not None)


def _format2(path: Path, shown: str) -> bool:
    """Whether the record at ``path`` is a format-2 project (it can hold evaluations)."""
    try:
        return kind_key(parse(decode(read_record_bytes(path), shown), shown)) == (2, "project")
    except ProjledgerError:
        return False


def quarter_rows(
    config: Config,
    as_of: date,
    fiscal_year: int,
    quarter: int,
    filters: Filters,
    *,
    shown: Any = str,
    **options: Any,
) -> list[dict[str, Any]]:
    """The quarterly sheet's rows: each KPI of ``fiscal_year`` (by code), then each format-2
    project of that year (by code), with ``agency`` filters as ``status``. Context: name, unit,
    target, the results known as of ``as_of``; what the clerk fills is left empty. A row whose
    result or evaluation the record already holds is skipped on import as already there."""
    kpis: list[KpiRow] = []
    paths: dict[str, Path] = {}

    def named(path: Path) -> str:
        where = shown(path)
        paths[where] = path
        return str(where)

    wanted = Filters(fiscal_years=(fiscal_year,), agencies=filters.agencies)
    projects = list(filtered(rows([], config, as_of, shown=named, kpis=kpis, **options), wanted))
    found: list[dict[str, Any]] = []
    for kpi in sorted((k for k in kpis if wanted.kpi(k)), key=lambda k: k.code):
        found.append({
            "code": kpi.code, "record": "ตัวชี้วัด", "name": kpi.name, "unit": kpi.unit, "target": kpi.target,
            "so_far": _so_far(kpi.values_by_quarter), "fiscal_year": kpi.fiscal_year, "quarter": quarter,
        })  # fmt: skip
    for row in sorted(projects, key=lambda r: r.code):
        if _format2(paths.get(row.path, Path(row.path)), row.path):
            found.append({"code": row.code, "record": "โครงการ", "name": row.name,
                          "fiscal_year": row.fiscal_year, "quarter": quarter})  # fmt: skip
    return found
