"""Rendering rows and summaries: tables for people, JSON and CSV for machines, text charts.

People get Thai labels (the form's own words) or English, money as ``3,540,000.00``, BE dates
and percentages with 2 decimals, in tables lined up by wcwidth's widths (Thai vowels and tone
marks take no width): by tabulate, or, for tables of cells measured once, by grid.py's layout
of the same bytes. Machines get raw values from the same rows: English keys,
ISO dates, plain numbers (Decimal turns into a JSON number only here, rounded to 2 decimals),
null for unknown. Every text taken from a record is made printable for terminals, and
neutralised for spreadsheets in CSV.

Nothing here prints or knows about colour: a caller that writes to a terminal passes
``paint(text, kind)`` to colour a cell.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from wcwidth import wcswidth

from .calendar import format_be, format_month_be
from .grid import Grid, cut, fit_columns, fitted_lines, known_width, measured_cells
from .labels import PLAN_STATUSES, STATES, Lang, field_label, label, word
from .money import CENT, HUNDRED, format_money, format_percent, format_signed
from .portfolio import KpiRow, MonthPoint, ProjectRow, QuarterPoint
from .status import computed_status_of
from .summary import KEYS, PLAN_KEYS, QuarterTotals, Summary, Totals, exact_or_none, text_or_none
from .text import ENVELOPE_VERSION, markdown_text, one_line, printable, spreadsheet_cell

if TYPE_CHECKING:  # a table is made of rows: no record is read here
    from .record import Project

#: The narrowest a shortened name gets, however narrow the terminal.
MIN_NAME_WIDTH = 20
#: The narrowest a group's name (an agency's department) gets in a summary.
MIN_GROUP_WIDTH = 30
BAR_WIDTH = 10
CHART_WIDTH = 40

Paint = Callable[[str, str], str]


def _no_paint(text: str, kind: str) -> str:
    return text


# --- measuring and shortening text ------------------------------------------------------


_SGR = re.compile("\x1b\\[[0-9;]*m")


def width_of(text: str) -> int:
    """Display width on a terminal; Thai vowels and tone marks and colour codes take none."""
    text = _SGR.sub("", text)
    measured = int(wcswidth(text))
    return measured if measured >= 0 else len(text)


def shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` columns with an ellipsis; combining marks stay with their letter."""
    return text if width_of(text) <= width else cut(text, width)[0]


def progress_bar(percent: Decimal | None, width: int = BAR_WIDTH) -> str:
    """``█████▌░░░░`` for 55 % in 10 cells: whole blocks, an eighth-step partial, then shade."""
    if percent is None:
        return " " * width
    clamped = min(max(percent, Decimal(0)), HUNDRED)
    eighths = int((clamped * width * 8 / HUNDRED).to_integral_value(rounding=ROUND_HALF_UP))
    full, part = divmod(eighths, 8)
    bar = "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")
    return bar + "░" * (width - width_of(bar))


# --- machine formats --------------------------------------------------------------------


def json_number(value: Decimal | int | None) -> int | float | None:
    """A Decimal as a JSON number, rounded to 2 decimals: an int when it has no fraction."""
    if value is None or isinstance(value, int):
        return value
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def row_dict(row: ProjectRow) -> dict[str, Any]:
    """One project as the status envelope writes it: English keys, ISO dates, numbers."""
    return {
        "code": row.code,
        "name": row.name,
        "agency_code": row.agency_code,
        "department": row.department,
        "fiscal_year": row.fiscal_year,
        "strategy_issue": row.strategy_issue or None,
        "path": row.path,
        "start": row.start.isoformat(),
        "end": row.end.isoformat(),
        "state": row.state,
        "latest_no": row.latest_no,
        "latest_date": row.latest_date.isoformat() if row.latest_date else None,
        "progress": json_number(row.progress),
        "expected": json_number(row.expected),
        "variance": json_number(row.variance),
        "plan_status": row.plan_status,
        "computed_plan_status": row.computed_plan_status,
        "target_status": row.target_status,
        "disbursed": json_number(row.disbursed),
        "budget": json_number(row.budget),
        "disbursement_rate": json_number(row.disbursement_rate),
        "disbursement_target": json_number(row.disbursement_target),
        "disbursement_gap": json_number(row.disbursement_gap),
        "disbursed_by_quarter": [json_number(q) for q in row.disbursed_by_quarter],
        "due": row.due,
        "filed": row.filed,
        "overdue": row.overdue,
        "late": row.late,
        "budget_in_force": json_number(row.budget_in_force),
        "latest_score": json_number(row.latest_score),
        "latest_full_score": json_number(row.latest_full_score),
    }


def kpi_row_dict(row: KpiRow) -> dict[str, Any]:
    """One KPI as status's JSON writes it (README, "status"): English keys, numbers, null for
    unknown (no result yet: latest_quarter, latest_value, percent_of_target and met are null)."""
    return {
        "code": row.code,
        "name": row.name,
        "number": row.number or None,
        "agency_code": row.agency_code,
        "department": row.department,
        "fiscal_year": row.fiscal_year,
        "category": row.category,
        "level": row.level,
        "unit": row.unit,
        "target": json_number(row.target),
        "direction": row.direction,
        "latest_quarter": row.latest_quarter,
        "latest_value": json_number(row.latest_value),
        "percent_of_target": json_number(row.percent_of_target),
        "met": row.met,
        "latest_score": json_number(row.latest_score),
        "latest_full_score": json_number(row.latest_full_score),
        "values_by_quarter": [json_number(v) for v in row.values_by_quarter],
        "path": row.path,
    }


def kpi_envelope(rows: Iterable[KpiRow], as_of: date) -> dict[str, Any]:
    """The JSON of ``status --kind kpi``: the envelope of status with ``kpis`` for ``projects``."""
    return {"version": ENVELOPE_VERSION, "as_of": as_of.isoformat(), "kpis": [kpi_row_dict(r) for r in rows]}


def status_envelope(rows: Iterable[ProjectRow], as_of: date) -> dict[str, Any]:
    """The stable JSON of ``status`` (and of the site's ``data.json``)."""
    return {"version": ENVELOPE_VERSION, "as_of": as_of.isoformat(), "projects": [row_dict(r) for r in rows]}


def _totals_dict(totals: Totals) -> dict[str, Any]:
    counts = {
        "projects": totals.projects,
        "states": dict(totals.states),
        "plan_statuses": dict(totals.plan_statuses),
    }
    return {**counts, **{key: json_number(getattr(totals, key)) for key in _FIGURES}}  # a count stays an int


def _group_dict(totals: Totals | QuarterTotals) -> dict[str, Any]:
    if isinstance(totals, Totals):
        return _totals_dict(totals)
    end, *numbers = _group_values(totals)
    return dict(zip(_QUARTER_KEYS, [end.isoformat(), *map(json_number, numbers)], strict=True))


def summary_envelope(summary: Summary) -> dict[str, Any]:
    """The stable JSON of ``summary``."""
    by = [KEYS[d] for d in summary.by]  # spelled as the group keys are
    head = {"version": ENVELOPE_VERSION, "as_of": summary.as_of.isoformat(), "by": by}
    groups = [{"key": dict(group.key), **_group_dict(group.totals)} for group in summary.groups]
    agencies = dict(sorted(summary.agency_names.items()))
    return {**head, "agencies": agencies, "groups": groups, "total": _totals_dict(summary.total)}


def _csv_value(value: Any) -> str:
    """Raw values: numbers as the tool wrote them, text neutralised against formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return str(value.quantize(CENT, rounding=ROUND_HALF_UP))
    if isinstance(value, (int, date)):
        return str(value)
    return spreadsheet_cell(printable(str(value)))  # exact data is the json; csv is for people's sheets


def _write_csv(header: Sequence[str], records: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([_csv_value(v) for v in record] for record in records)
    return out.getvalue()


STATUS_CSV_KEYS = (
    "code", "name", "agency_code", "department", "fiscal_year", "strategy_issue", "path", "start", "end",
    "state", "latest_no", "latest_date", "progress", "expected", "variance", "plan_status",
    "computed_plan_status", "target_status", "disbursed", "budget", "disbursement_rate",
    "disbursement_target", "disbursement_gap", "disbursed_q1", "disbursed_q2", "disbursed_q3",
    "disbursed_q4", "due", "filed", "overdue", "late", "budget_in_force", "latest_score", "latest_full_score",
)  # fmt: skip

#: The columns of status's CSV of KPIs (``--kind kpi``), in order.
KPI_CSV_KEYS = (
    "code", "name", "number", "agency_code", "department", "fiscal_year", "category", "level", "unit",
    "target", "direction", "latest_quarter", "latest_value", "percent_of_target", "met", "latest_score",
    "latest_full_score", "value_q1", "value_q2", "value_q3", "value_q4", "path",
)  # fmt: skip


#: Each kind of row's flat keys, those of status's CSV and of the export's ``status`` table: the
#: keys of status's JSON, its list of four quarters (the attribute named) spread as four keys.
FLAT_KEYS = {
    "project": (STATUS_CSV_KEYS, "disbursed_by_quarter", "disbursed_q"),
    "kpi": (KPI_CSV_KEYS, "values_by_quarter", "value_q"),
}


def flat_values(row: Any, kind: str) -> dict[str, Any]:
    """A project's or a KPI's row by its flat keys (``FLAT_KEYS``), in their order; a blank
    text (no number in the plan, no strategy issue) null, as the JSON has it."""
    keys, quarters, column = FLAT_KEYS[kind]
    values = {name: None if (value := getattr(row, name, None)) == "" else value for name in keys}
    # the quarters the row has (a quarter's key is no attribute: None unless given)
    values.update(zip([f"{column}{i}" for i in range(1, 5)], getattr(row, quarters), strict=False))
    return values


def status_csv(rows: Iterable[Any], kind: str = "project") -> str:
    """status's CSV: one line per project (``kind``: per KPI), its flat keys (``FLAT_KEYS``)."""
    return _write_csv(FLAT_KEYS[kind][0], (list(flat_values(r, kind).values()) for r in rows))


def kpi_csv(rows: Iterable[KpiRow]) -> str:
    """status's CSV of KPIs: one line per KPI, ``KPI_CSV_KEYS``."""
    return status_csv(rows, "kpi")


#: What a summary's groups add of KPIs and evaluations (format 2).
FORMAT2_TOTALS = ("kpis", "kpis_met", "kpis_not_met", "project_score_mean", "kpi_score_mean")

#: A group's figures after its counts by state and plan status, as its JSON and CSV give them.
_FIGURES = ("overdue", "budget", "disbursed", "disbursement_rate", "progress", *FORMAT2_TOTALS)
_TOTALS_KEYS = ("projects", *STATES, *PLAN_KEYS, *_FIGURES)
_QUARTER_KEYS = (
    "quarter_end", "projects", "budget", "disbursed", "disbursement_rate", "disbursement_target",
    "disbursement_gap",
)  # fmt: skip


def _group_values(totals: Totals | QuarterTotals) -> list[Any]:
    """A group's figures: those of ``_TOTALS_KEYS``, or of ``_QUARTER_KEYS`` for a quarter."""
    if isinstance(totals, QuarterTotals):
        return [totals.end, totals.projects, totals.budget, totals.disbursed, totals.disbursement_rate,
                totals.target, totals.gap]  # fmt: skip
    counts = [totals.projects, *totals.states.values(), *totals.plan_statuses.values()]
    return [*counts, *(getattr(totals, key) for key in _FIGURES)]


def summary_csv(summary: Summary) -> str:
    """One line per group, then a ``total`` line; the first column says which."""
    keys = summary.key_names
    values = _TOTALS_KEYS if not summary.quarterly else _QUARTER_KEYS
    lines = [["group", *(v for _, v in group.key), *_group_values(group.totals)] for group in summary.groups]
    if summary.quarterly:
        total = summary.total
        lines.append(["total", *[None] * len(keys), None, total.projects, total.budget, total.disbursed,
                      total.disbursement_rate, None, None])  # fmt: skip
    else:
        lines.append(["total", *[None] * len(keys), *_group_values(summary.total)])
    return _write_csv(["row", *keys, *values], lines)


# --- tables for people ------------------------------------------------------------------


def _text(text: str, fmt: str) -> str:
    """Record text for a table cell: one printable line (in markdown, ``markdown_text``)."""
    return markdown_text(text) if fmt == "markdown" else one_line(text)


def _shown(lines: list[str], fmt: str) -> list[str]:
    """tabulate's lines as shown: in a table, tabulate drops the padding of an empty last cell:
    padded back, so that every line has one width."""
    if fmt == "markdown":
        return lines
    widest = max(map(width_of, lines))
    return [line + " " * (widest - width_of(line)) for line in lines]


def _tabulate_lines(
    headers: Sequence[str], body: Sequence[Sequence[str]], align: Sequence[str], fmt: str
) -> list[str]:
    from tabulate import tabulate

    return str(tabulate(
        [list(r) for r in body], headers=list(headers), tablefmt="github" if fmt == "markdown" else "simple", disable_numparse=True,
        colalign=tuple(align),
    )).split("\n")  # fmt: skip


def _tabulated_lines(
    headers: Sequence[str], body: Sequence[Sequence[str]], align: Sequence[str], fmt: str, column: int,
    width: int | None, min_width: int,
) -> list[str]:  # fmt: skip
    """``fitted_table``'s text of ``column`` cut to fit ``width``, for what only tabulate lays out
    (a cell of several lines...)."""
    lines = _tabulate_lines(headers, body, align, fmt)
    excess = max(map(width_of, lines)) - width if width is not None and body and fmt != "markdown" else 0
    if excess > 0:
        longest = max(width_of(r[column]) for r in body)
        room = max(min_width, longest - excess, width_of(headers[column]))
        shortened = [[*r[:column], shorten(r[column], room), *r[column + 1 :]] for r in body]
        lines = _tabulate_lines(headers, shortened, align, fmt)
    return _shown(lines, fmt)


#: The narrowest a header over short cells is cut to (its cells are never cut).
MIN_HEADER_WIDTH = 4
#: The narrowest a label cell (a state, a plan status) is cut to when a terminal is narrow.
MIN_LABEL_WIDTH = 13
#: The narrowest a name is cut to when a terminal is too narrow for it at MIN_NAME_WIDTH.
MIN_CUT_WIDTH = 10


class Fit(NamedTuple):
    """How a table for people fits a terminal: which columns come first and which texts may be
    cut. ``order``: the columns by priority (the first ``required`` always shown); ``name``: the
    column that takes the room left (-1: none), counted at ``prefer`` while columns are chosen;
    ``cuttable``: column -> the narrowest its texts are cut to (the others' cells never are)."""

    order: tuple[int, ...]
    required: int
    name: int
    prefer: int
    cuttable: dict[int, int]


def _fits(widths: Sequence[int], width: int) -> bool:
    return sum(widths) + 2 * (len(widths) - 1) <= width


def fitted_table(
    headers: Sequence[str], body: Sequence[Sequence[str]], align: Sequence[str], fmt: str, column: int,
    width: int | None, wide: bool, fit: Fit | None, min_width: int = MIN_NAME_WIDTH,
    measured: Sequence[Sequence[int]] | None = None,
) -> Iterator[str]:  # fmt: skip
    """A table for people (``fmt``): the text of ``column`` (-1: none) cut so it fits ``width``
    if it can; still wider, the columns of ``fit`` that ``width`` holds, texts cut to their room
    (``wide``, or no ``fit``: every column, names cut toward the width). ``measured``: the widths
    of the cells of ``body``, which are stripped (``measured_cells``): they are not measured again."""
    width = width if fmt == "table" else None
    cut, room = max(column, 0), width if column >= 0 else None
    if measured is None or Grid.of(headers, [], align) is None:
        table = Grid.of(headers, body, align)
    else:
        table = Grid(headers, body, measured, align)
    if table is not None:  # whether it fits is known from the widths, before a line is made
        layout = table.layout(fmt, cut, room, min_width)
        if wide or fit is None or width is None or _fits(layout.widths, width):
            return table.lines(fmt, layout, cut)
        # the cells as measured, unless one was measured stripped of spaces that it shows
        same = measured is not None or all(list(r) == s for r, s in zip(body, table.rows, strict=True))
        return _fitted(headers, body, table.widths if same else None, align, width, fit)
    lines = _tabulated_lines(headers, body, align, fmt, cut, room, min_width)
    if wide or fit is None or width is None or all(width_of(line) <= width for line in lines):
        return iter(lines)
    return _fitted(headers, body, None, align, width, fit)


def _fitted(
    headers: Sequence[str], rows: Sequence[Sequence[str]], measured: Sequence[Sequence[int]] | None,
    align: Sequence[str], width: int, fit: Fit,
) -> Iterator[str]:  # fmt: skip
    """The table with the columns of ``fit`` that ``width`` holds, texts cut to their room."""
    if measured is None:
        measured = [[known_width(c) for c in r] for r in rows]
    header_widths = [known_width(h) for h in headers]
    cells = [max(c) for c in zip(*measured, strict=True)] if measured else [0] * len(headers)
    natural = [max(h, c) for h, c in zip(header_widths, cells, strict=True)]
    floors = [
        min(n, fit.cuttable[i]) if i in fit.cuttable else max(c, min(n, MIN_HEADER_WIDTH))
        for i, (n, c) in enumerate(zip(natural, cells, strict=True))
    ]
    columns, widths = fit_columns(natural, floors, fit.order, fit.required, fit.name, fit.prefer, width)
    return fitted_lines(headers, rows, measured, align, columns, widths)


def _state_text(row: ProjectRow, lang: Lang) -> str:
    text = label(row.state, lang)
    return f"{text} ({word('late', lang)})" if row.late else text


STATUS_COLUMNS = (
    "code", "name", "agency_code", "state", "latest_no", "latest_date", "progress", "bar", "expected",
    "variance", "plan_status", "computed_plan_status", "disbursed", "budget", "disbursement_rate", "overdue",
)  # fmt: skip
#: What a narrow terminal shows first: code, name, state, progress against expected, the
#: computed plan status and overdue reports; then, as room allows, the variance, disbursement %,
#: the progress bar, the report's date, the agency, budget, disbursed, the reported plan status
#: and the report's number.
STATUS_PRIORITY = (
    "code", "name", "state", "progress", "expected", "computed_plan_status", "overdue",
    "variance", "disbursement_rate", "bar", "latest_date", "agency_code", "budget", "disbursed",
    "plan_status", "latest_no",
)  # fmt: skip
STATUS_REQUIRED = 7
_STATUS_FIT = Fit(
    tuple(STATUS_COLUMNS.index(c) for c in STATUS_PRIORITY), STATUS_REQUIRED, 1, MIN_NAME_WIDTH,
    {1: MIN_CUT_WIDTH, 3: MIN_LABEL_WIDTH, 10: MIN_LABEL_WIDTH, 11: MIN_LABEL_WIDTH},
)  # fmt: skip
_STATUS_ALIGN = ("left", "left", "left", "left", "right", "left", "right", "left", "right",
                 "right", "left", "left", "right", "right", "right", "right")  # fmt: skip


def status_cells(row: ProjectRow, lang: Lang, fmt: str = "table", paint: Paint = _no_paint) -> list[str]:
    """The cells of one project's line."""
    computed = label(row.computed_plan_status, lang)
    return [
        row.code,
        _text(row.name, fmt),
        row.agency_code,
        paint(_state_text(row, lang), "late" if row.late else row.state),
        str(row.latest_no) if row.latest_no is not None else "",
        format_be(row.latest_date) if row.latest_date else "",
        format_percent(row.progress),
        progress_bar(row.progress),
        format_percent(row.expected),
        format_signed(row.variance),
        label(row.plan_status, lang),
        paint(computed, row.computed_plan_status or "") if computed else "",
        format_money(row.disbursed),
        format_money(row.budget),
        format_percent(row.disbursement_rate),
        paint(str(row.overdue), "overdue") if row.overdue else "0",
    ]


class StatusLine(NamedTuple):
    """One project's line of a status table, made once and kept (the rows cache keeps these per
    language, format and colour, as plain tuples: ``status_line_kept``): what the filters and
    sorts of ``portfolio`` read, under the row's own names, and the cells as shown with their
    widths. Far cheaper to keep, load and lay out than the row: its numbers and dates are kept
    as text (exact) and read back only by the sort that asks for them."""

    code: str
    name: str
    agency_code: str
    department: str
    fiscal_year: int
    state: str
    computed_plan_status: str | None
    overdue: int
    progress_text: str | None
    variance_text: str | None
    disbursement_rate_text: str | None
    end_ordinal: int
    cells: str | tuple[str, ...]  # joined by CELL_SEPARATOR; the cells when one holds it
    widths: bytes | tuple[int, ...] | None  # bytes when each is under 256; None: see measured_cells
    path: str  # the record file, as shown

    @property
    def progress(self) -> Decimal | None:
        return exact_or_none(self.progress_text)

    @property
    def variance(self) -> Decimal | None:
        return exact_or_none(self.variance_text)

    @property
    def disbursement_rate(self) -> Decimal | None:
        return exact_or_none(self.disbursement_rate_text)

    @property
    def end(self) -> date:
        return date.fromordinal(self.end_ordinal)


CELL_SEPARATOR = "\x1f"


def status_line(row: ProjectRow, lang: Lang, fmt: str = "table", paint: Paint = _no_paint) -> StatusLine:
    cells, widths = measured_cells(status_cells(row, lang, fmt, paint))
    packed: str | tuple[str, ...] = (
        tuple(cells) if any(CELL_SEPARATOR in c for c in cells) else CELL_SEPARATOR.join(cells)
    )
    packed_widths = bytes(widths) if widths is not None and max(widths, default=0) < 256 else widths
    return StatusLine(row.code, row.name, row.agency_code, row.department, row.fiscal_year, row.state,
                      row.computed_plan_status, row.overdue, text_or_none(row.progress), text_or_none(row.variance),
                      text_or_none(row.disbursement_rate), row.end.toordinal(), packed, packed_widths,
                      row.path)  # fmt: skip


def status_line_kept(
    row: ProjectRow, lang: Lang, fmt: str = "table", paint: Paint = _no_paint
) -> tuple[Any, ...]:
    """``status_line`` as a plain tuple, to keep (``StatusLine._make`` makes it one again)."""
    return tuple(status_line(row, lang, fmt, paint))


def status_line_columns(values: Sequence[Any]) -> tuple[Any, ...] | None:
    """A kept status line as the index's columns (read back by ``status_line_from_columns``),
    or None when it is not kept so (its cells held the separator, no widths; nor is a text SQLite
    cannot hold, ``Index.keep``): made again on each run. Widths past 255 (a long name) are kept
    as their numbers in text: such lines are made again on no run."""
    widths = values[13]
    if type(values[12]) is not str or widths is None:
        return None
    if type(widths) is bytes:
        return tuple(values)
    return (*values[:13], " ".join(map(str, widths)), *values[14:])


def status_line_from_columns(values: tuple[Any, ...]) -> tuple[Any, ...]:
    """The values ``status_line_columns`` kept (``StatusLine._make`` makes them a line)."""
    widths = values[13]
    if type(widths) is not str:
        return values
    return (*values[:13], tuple(map(int, widths.split())), *values[14:])


#: Lines whose cells ``Mapped`` reads at a time.
MAPPED_BATCH = 256


class Mapped(Sequence[Any]):
    """``items`` as ``get`` gives them, read a batch at a time (the cells of status lines:
    unpacked; read back where they were left, commands/statustable.py)."""

    def __init__(self, items: Sequence[Any], get: Callable[[Sequence[Any]], Iterable[Any]]) -> None:
        self.items, self.get = items, get

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Any:  # type: ignore[override]
        return next(iter(self.get(self.items[i : i + 1])))

    def __iter__(self) -> Iterator[Any]:
        for start in range(0, len(self.items), MAPPED_BATCH):
            yield from self.get(self.items[start : start + MAPPED_BATCH])


def _unpacked(cells: str | tuple[str, ...]) -> Sequence[str]:
    return cells if isinstance(cells, tuple) else cells.split(CELL_SEPARATOR)


def status_table_lines(
    cells: Sequence[Any],
    widths: Sequence[bytes | tuple[int, ...] | None],
    lang: Lang,
    fmt: str = "table",
    width: int | None = None,
    wide: bool = False,
    read: Callable[[Sequence[Any]], Iterable[str | tuple[str, ...]]] = iter,
) -> Iterator[str]:
    """The lines of the status table of these projects' lines (``StatusLine.cells`` and
    ``.widths``), in their order, made one at a time (without their ends). A table of every
    column wider than ``width`` (names cut to MIN_NAME_WIDTH) shows the columns of
    ``STATUS_PRIORITY`` that fit, texts cut to their room; ``wide``: every column whatever the
    width, names cut toward it. ``read``: the cells of a batch of lines, when ``cells`` holds
    where they are rather than they."""
    headers = [word(c, lang) for c in STATUS_COLUMNS]
    rows = Mapped(cells, lambda batch: map(_unpacked, read(batch)))
    measured = None if any(w is None for w in widths) else cast("Sequence[Sequence[int]]", widths)
    return fitted_table(headers, rows, _STATUS_ALIGN, fmt, 1, width, wide, _STATUS_FIT, measured=measured)


def _key_text(name: str, value: Any, summary: Summary, lang: Lang, fmt: str) -> str:
    if value is None:
        return word("none", lang) if name == "plan_status" else "-"
    if name in ("state", "plan_status"):
        return label(value, lang)
    if name == "agency":
        return _text(f"{value} {summary.agency_names.get(value, '')}".strip(), fmt)
    if name == "strategy":
        return _text(str(value), fmt)
    return str(value)


#: A group's key as its column header names it, where the key is not the word's own
_KEY_WORDS = {"plan_status": "computed_plan_status"}


def summary_table(
    summary: Summary, lang: Lang, fmt: str = "table", width: int | None = None, wide: bool = False
) -> str:
    """One line per group and a total line; ``--by quarter`` gets its own columns. A table wider
    than ``width`` shows the columns of ``_summary_fit`` that fit (``wide``: every column)."""
    keys = summary.key_names
    key_headers = [word(_KEY_WORDS.get(k, k), lang) for k in keys]
    groups = [([_key_text(n, v, summary, lang, fmt) for n, v in g.key], g.totals) for g in summary.groups]
    total_cells = [word("total", lang), *[""] * (len(keys) - 1)] if keys else []
    body: list[list[str]] = []
    if summary.quarterly:
        headers = [*key_headers, word("quarter_end", lang), word("projects", lang), word("budget", lang),
                   word("disbursed", lang), word("disbursement_rate", lang), word("target", lang), word("gap", lang)]  # fmt: skip
        for cells, q in groups:
            assert isinstance(q, QuarterTotals)
            body.append([*cells, format_be(q.end), str(q.projects), format_money(q.budget),
                         format_money(q.disbursed) if q.reached else word("not_yet", lang),
                         format_percent(q.disbursement_rate), format_percent(q.target), format_signed(q.gap)])  # fmt: skip
        total = summary.total
        body.append([*total_cells, "", str(total.projects), format_money(total.budget),
                     format_money(total.disbursed), format_percent(total.disbursement_rate), "", ""])  # fmt: skip
        align = ["left"] * (len(keys) + 1) + ["right"] * 6
    else:
        headers = [*key_headers, word("projects", lang), *(label(s, lang) for s in STATES),
                   *(label(p, lang) for p in PLAN_STATUSES), word("none", lang), word("overdue_projects", lang),
                   word("budget", lang), word("disbursed", lang), word("disbursement_rate", lang),
                   word("weighted_progress", lang)]  # fmt: skip
        format2 = summary.has_format2
        if format2:
            headers += [word(key, lang) for key in FORMAT2_TOTALS]
        for cells, t in [*groups, (total_cells, summary.total)]:
            assert isinstance(t, Totals)
            body.append([*cells, str(t.projects), *(str(n) for n in t.states.values()),
                         *(str(n) for n in t.plan_statuses.values()), str(t.overdue), format_money(t.budget),
                         format_money(t.disbursed), format_percent(t.disbursement_rate),
                         format_percent(t.progress)])  # fmt: skip
            if format2:
                body[-1] += [str(t.kpis), str(t.kpis_met), str(t.kpis_not_met),
                             format_percent(t.project_score_mean), format_percent(t.kpi_score_mean)]  # fmt: skip
        align = ["left"] * len(keys) + ["right"] * (len(headers) - len(keys))
    fit = _summary_fit(summary, keys)
    lines = fitted_table(headers, body, align, fmt, 0 if keys else -1, width, wide, fit, MIN_GROUP_WIDTH)
    return "\n".join(lines) + "\n"


#: ``--by quarter``'s columns after the groups' by priority: the quarter's end, disbursement %
#: against the target and the gap, then the number of projects, budget and disbursed.
_QUARTER_PRIORITY = (0, 4, 5, 6, 1, 2, 3)


def _summary_fit(summary: Summary, keys: Sequence[str]) -> Fit:
    """A summary on a narrow terminal: the groups' columns first, then (in the table's order)
    the number of projects, of each state, of each plan status, overdue, the money, the mean
    progress; ``--by quarter``: ``_QUARTER_PRIORITY``. Names of agencies and strategies are
    cut first, labels down to MIN_LABEL_WIDTH."""
    n = len(keys)
    if summary.quarterly:
        order = (*range(n), *(n + i for i in _QUARTER_PRIORITY))
    else:
        count = 1 + len(STATES) + len(PLAN_STATUSES) + 2 + 4
        order = tuple(range(n + count))
        if summary.has_format2:  # after the projects' count: KPIs met and not met, the mean scores
            extra = tuple(range(n + count, n + count + len(FORMAT2_TOTALS)))
            order = (*order[: n + 1], *extra, *order[n + 1 :])
    cuttable = {
        i: MIN_CUT_WIDTH if k in ("agency", "strategy") else MIN_LABEL_WIDTH
        for i, k in enumerate(keys)
        if k in ("agency", "strategy", "state", "plan_status")
    }
    name = next((i for i, k in enumerate(keys) if k in ("agency", "strategy")), -1)
    return Fit(order, n + 1, name, MIN_GROUP_WIDTH, cuttable)


# --- one project in detail --------------------------------------------------------------


def _chart_bar(percent: Decimal | None, width: int, fill: str) -> str:
    if percent is None:
        return ""
    clamped = min(max(percent, Decimal(0)), HUNDRED)
    return fill * int((clamped * width / HUNDRED).to_integral_value(rounding=ROUND_HALF_UP))


def detail_view(
    project: Project,
    row: ProjectRow,
    months: Sequence[MonthPoint],
    quarters: Sequence[QuarterPoint],
    lang: Lang,
    tolerance: Decimal,
    width: int | None = None,
    paint: Paint = _no_paint,
) -> str:
    """Details, every report filed by the date as a table, and two text charts."""
    used = f"{format_money(row.disbursed)} ({format_percent(row.disbursement_rate) or '-'} %)"
    plan = label(row.computed_plan_status, lang)
    if row.plan_status:
        plan = f"{paint(plan, row.computed_plan_status or '')} / {word('plan_status', lang)}: {label(row.plan_status, lang)}"
    details = [
        (field_label("code", lang), row.code),
        (field_label("name", lang), one_line(project.name)),
        (field_label("agency", lang), one_line(project.agency.joined())),
        (field_label("fiscal_year", lang), str(project.fiscal_year)),
        (field_label("start", lang), format_be(project.start)),
        (field_label("end", lang), format_be(project.end)),
        (field_label("budget", lang), format_money(row.budget)),  # in force: what the % divides
        (field_label("used", lang), used),
        (field_label("state", lang), f"{paint(_state_text(row, lang), row.state)}  ({word('as_of', lang)} {format_be(row.as_of)})"),
        (word("progress", lang), f"{format_percent(row.progress) or '-'}  {progress_bar(row.progress)}"),
        (word("expected", lang), format_percent(row.expected) or "-"),
        (field_label("variance", lang), format_signed(row.variance) or "-"),
        (field_label("computed_plan_status", lang), plan or "-"),
        (field_label("overdue", lang), f"{row.overdue}  ({word('due', lang)} {row.due}, {word('filed', lang)} {row.filed})"),
    ]  # fmt: skip
    from tabulate import tabulate

    sections = (  # a blank line between each
        tabulate(details, tablefmt="plain", disable_numparse=True),
        f"{word('reports', lang)}\n{_reports_table(project, row.as_of, tolerance, lang, width)}",
        _month_chart(months, lang),
        _quarter_chart(quarters, lang),
    )
    return "\n\n".join(sections) + "\n"


def _reports_table(project: Project, as_of: date, tolerance: Decimal, lang: Lang, width: int | None) -> str:
    headers = [field_label(k, lang) for k in ("report_no", "date", "progress", "expected", "variance", "disbursed",
               "plan_status", "computed_plan_status", "target_status", "note")]  # fmt: skip
    body = []
    for report in project.reports_until(as_of):
        expected, variance, computed = computed_status_of(project, report, tolerance)
        note = one_line(report.note)
        if report.event:
            note = f"[{label(report.event, lang)}] {note}"
        body.append([str(report.no), format_be(report.date), format_percent(report.progress),
                     format_percent(expected), format_signed(variance), format_money(report.disbursed),
                     label(report.plan_status, lang), label(computed, lang), label(report.target_status, lang), note])  # fmt: skip
    if not body:
        return word("none", lang)
    align = ("right", "left", "right", "right", "right", "right", "left", "left", "left", "left")
    return "\n".join(fitted_table(headers, body, align, "table", 9, width, False, None))


def _rjust(text: str, width: int) -> str:
    return " " * max(width - width_of(text), 0) + text


def _month_chart(months: Sequence[MonthPoint], lang: Lang) -> str:
    title = f"{word('months', lang)}  (█ {word('actual', lang)}, ░ {field_label('expected', lang)})"
    lines = [title]
    if not months:
        lines.append(word("not_yet", lang))
    for point in months:
        month = format_month_be(point.year, point.month)
        actual = _chart_bar(point.actual, CHART_WIDTH, "█")
        expected = _chart_bar(point.expected, CHART_WIDTH, "░")
        lines.append(f"{month}  {actual:<{CHART_WIDTH}}  {_rjust(format_percent(point.actual) or '-', 6)}")
        lines.append(f"{'':7}  {expected:<{CHART_WIDTH}}  {_rjust(format_percent(point.expected), 6)}")
    return "\n".join(lines)


def _quarter_chart(quarters: Sequence[QuarterPoint], lang: Lang) -> str:
    title = f"{word('quarters', lang)}  (█ {word('disbursed', lang)}, ░ {word('target', lang)})"
    lines = [title]
    for point in quarters:
        head = f"{word('quarter', lang)} {point.quarter} {format_be(point.end)}"
        pad = " " * max(0, 22 - width_of(head))
        # no rate: "-" where the disbursed is known (no budget), else the quarter has not come
        shown = format_percent(point.rate) or ("-" if point.disbursed is not None else word("not_yet", lang))
        actual = _chart_bar(point.rate, CHART_WIDTH, "█")
        target = _chart_bar(point.target, CHART_WIDTH, "░")
        lines.append(f"{head}{pad}  {actual:<{CHART_WIDTH}}  {_rjust(shown, 6)}")
        lines.append(f"{'':22}  {target:<{CHART_WIDTH}}  {_rjust(format_percent(point.target), 6)}")
    return "\n".join(lines)
