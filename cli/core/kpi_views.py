"""What people read of KPIs: status's KPI table (fitted to the terminal as the project table
is), the order of its rows, and ``show``'s text of one KPI as the BMA system's ``mykpi`` page
prints it.

Numbers a KPI holds (targets, results) are shown as written, grouped by thousands (``45.5``,
``2,419.97``); % of target with 2 decimals as every percentage; scores without the trailing
zeros the system prints (``95.5 / 100``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from .calendar import format_be
from .labels import KPI_ACHIEVED_LABEL, KPI_PAGE_TITLE, KPI_TABLE_HEADING, KPI_TARGET_LABEL, Lang, label, word
from .money import format_percent
from .portfolio import SORTS, KpiRow, latest_evaluation, result_known
from .tables import MIN_CUT_WIDTH, MIN_NAME_WIDTH, Fit, Paint, _no_paint, _text, fitted_table
from .text import printable

if TYPE_CHECKING:
    from .kpi import Kpi


def amount(value: Decimal | int | None) -> str:
    """A KPI's figure (target, baseline, result) as written, grouped by thousands: ``2,419.97``,
    ``45.00``, ``2,300``. Every display of these figures (status, show, the site) goes through it."""
    if value is None:
        return ""
    return f"{value:,f}" if isinstance(value, Decimal) else f"{value:,d}"


def score_text(value: Decimal | int | None) -> str:
    """A score or full score as the BMA page prints it, without its trailing zeros, grouped as
    ``amount``: ``95.5`` for ``95.5000``, ``100`` for ``100.0000``. Every display of a score goes
    through it."""
    if value is None:
        return ""
    value = Decimal(value)
    return amount(value.to_integral_value() if value == value.to_integral_value() else value.normalize())


def score_pair(score: Decimal | int | None, full: Decimal | int | None) -> str:
    """``score / full`` (``45 / 50``, ``100 / 100``); ``-`` without a score."""
    return "-" if score is None or full is None else f"{score_text(score)} / {score_text(full)}"


# --- status: the KPI table ---------------------------------------------------------------------

KPI_COLUMNS = (
    "kpi_code", "kpi_name", "agency_code", "kpi_target", "latest_value", "percent_of_target", "met",
    "latest_evaluation",
)  # fmt: skip
#: What a narrow terminal shows first: code, name, met, % of target; then the latest result, the
#: target, the evaluation and the agency as room allows.
KPI_PRIORITY = (
    "kpi_code", "kpi_name", "met", "percent_of_target", "latest_value", "kpi_target", "latest_evaluation",
    "agency_code",
)  # fmt: skip
_KPI_FIT = Fit(tuple(KPI_COLUMNS.index(c) for c in KPI_PRIORITY), 4, 1, MIN_NAME_WIDTH, {1: MIN_CUT_WIDTH})
_KPI_ALIGN = ("left", "left", "left", "right", "right", "right", "left", "right")


def kpi_cells(row: KpiRow, lang: Lang, fmt: str = "table", paint: Paint = _no_paint) -> list[str]:
    """The cells of one KPI's line."""
    name = f"{row.number} {row.name}" if row.number else row.name
    met = "-" if row.met is None else label("met" if row.met else "not_met", lang)  # ผ่าน / ไม่ผ่าน
    latest = "-"  # the latest result, and its quarter: 45.5 (ไตรมาสที่ 2), 45.5 (Q2)
    if row.latest_value is not None and row.latest_quarter is not None:
        quarter = f"{word('quarter_no', lang)} " if lang == "th" else "Q"
        latest = f"{amount(row.latest_value)} ({quarter}{row.latest_quarter})"
    # the latest evaluation's quarter is not kept on the row: the score and full score are
    return [
        row.code,
        _text(name, fmt),
        row.agency_code,
        _text(f"{'≤ ' if row.direction == 'lower' else ''}{amount(row.target)} {row.unit}".strip(), fmt),
        latest,
        format_percent(row.percent_of_target) or "-",
        paint(met, "on_plan" if row.met else "behind") if row.met is not None else met,
        score_pair(row.latest_score, row.latest_full_score),
    ]


def kpi_table_lines(
    rows: Iterable[KpiRow],
    lang: Lang,
    fmt: str = "table",
    width: int | None = None,
    wide: bool = False,
    paint: Paint = _no_paint,
) -> Iterator[str]:
    """The KPI table's lines (without their ends), in the rows' order; wider than ``width``, it
    shows the columns of ``KPI_PRIORITY`` that fit, names cut to their room (``wide``: every
    column, names cut toward the width)."""
    headers = [word(c, lang) for c in KPI_COLUMNS]
    body = [kpi_cells(row, lang, fmt, paint) for row in rows]
    return fitted_table(headers, body, _KPI_ALIGN, fmt, 1, width, wide, _KPI_FIT)


def _worst(row: KpiRow) -> tuple[int, str]:
    """Not met first, then those without a result, then those met; by code within each."""
    return (0 if row.met is False else 1 if row.met is None else 2), row.code


#: How ``status --sort`` orders KPIs: the sorts of projects that read what a KPI has too; any
#: other (state, progress...) orders KPIs worst first.
KPI_SORTS: dict[str, Callable[[KpiRow], Any]] = {
    "worst": _worst,
    **{sort: SORTS[sort] for sort in ("code", "name", "agency", "fiscal-year")},
}


def sorted_kpis(rows: Iterable[KpiRow], sort: str = "worst") -> list[KpiRow]:
    return sorted(rows, key=KPI_SORTS.get(sort, _worst))


# --- show: one KPI as the mykpi page prints it ---------------------------------------------------

#: The page's own words (the Thai the old system prints: core/kpi_page.py reads them back).
CATEGORY_LABEL = "ประเภทตัวชี้วัด"
TABLE_HEADERS = ("ไตรมาส", "ผลงานสะสม", "ผลการประเมิน")
EVALUATED = "*** สยป. ตรวจประเมินตัวชี้วัด :"
NOTES_HEADING = "รายงานผลฯ ไตรมาสที่"
STRATEGY_LABELS = (("issue", "ด้าน"), ("dimension", "มิติ"), ("goal", "เป้าหมาย"))
TEXT_LABELS = (("definition", "คำนิยาม"), ("formula", "สูตรการคำนวณ"), ("data_source", "แหล่งข้อมูล"))


@dataclass(frozen=True)
class KpiPage:
    """One KPI as the ``mykpi`` page shows it, as of a day: what its text and its HTML print."""

    department: str
    fiscal_year: int
    name_line: str
    code: str
    unit: str
    target: str
    achieved: str
    baseline: str
    lower_is_better: bool
    category: str
    level: str
    #: (label, value) of the strategy alignment and the definition, formula and data source given
    fields: tuple[tuple[str, str], ...]
    #: (quarter, cumulative result, score / full score) for quarters 1-4 (blank: none yet)
    quarters: tuple[tuple[int, str, str], ...]
    #: ``ไตรมาสที่ N: score`` of the latest evaluation, or ""
    evaluated: str
    #: (quarter, BE date or "", note) of each quarter with a result
    notes: tuple[tuple[int, str, str], ...]
    as_of_be: str
    #: The page's heading and its table's columns: the same on every page (not fields)
    title = KPI_PAGE_TITLE
    headers = TABLE_HEADERS


def kpi_page(kpi: Kpi, day: date) -> KpiPage:
    """The page of ``kpi`` as of ``day``: the results and evaluations known by then (the rule of
    ``KpiRow``); the สยป. line names the latest evaluation."""
    results = {r.quarter: r for r in kpi.results if result_known(r, kpi.fiscal_year, day)}
    scores = {e.quarter: score_pair(e.score, e.full_score) for e in kpi.evaluations if e.date <= day}
    latest = results[max(results)] if results else None
    evaluated = latest_evaluation(kpi.evaluations, day)
    fields = [(text, kpi.strategy.get(key, "")) for key, text in STRATEGY_LABELS]
    fields += [(text, getattr(kpi, key)) for key, text in TEXT_LABELS]
    return KpiPage(
        department=kpi.agency.department,
        fiscal_year=kpi.fiscal_year,
        name_line=f"{kpi.number} {kpi.name}" if kpi.number else kpi.name,
        code=kpi.code,
        unit=kpi.unit,
        target=amount(kpi.target),
        achieved=amount(latest.value) if latest else "-",
        baseline=amount(kpi.baseline),
        lower_is_better=kpi.direction == "lower",
        category=label(kpi.category),
        level=f"{label(kpi.level)} ({kpi.level})",  # as the page prints it: ตัวชี้วัดระดับผลผลิต (output)
        fields=tuple((text, value) for text, value in fields if value),
        quarters=tuple(
            (q, amount(results[q].value) if q in results else "", scores.get(q, "")) for q in range(1, 5)
        ),
        evaluated=f"ไตรมาสที่ {evaluated.quarter}: {score_text(evaluated.score)}" if evaluated else "",
        notes=tuple(
            (quarter, format_be(r.date) if r.date else "", r.note) for quarter, r in sorted(results.items())
        ),
        as_of_be=format_be(day),
    )


def kpi_text(kpi: Kpi, day: date) -> str:
    """The KPI as the ``mykpi`` page prints it, as of ``day``: name with number and code, target
    and achieved with the unit, type and level, the quarterly table with cumulative results and
    score / full score, the สยป. line of the latest evaluation, then each quarter's progress note
    with its BE date (``core/kpi_page.py`` reads this shape back)."""

    clean = partial(printable, keep_newlines=False)
    page = kpi_page(kpi, day)
    out = [KPI_PAGE_TITLE, "", f"หน่วยงาน : {clean(page.department)}", ""]
    out += [f"ปีงบประมาณ : {page.fiscal_year}", ""]
    # a baseline is printed in the name, as the system prints it (``... 2,419.97 ตันต่อวัน : code``)
    baseline = f" {page.baseline} {clean(page.unit)}" if page.baseline else ""
    out += [f"{clean(page.name_line)}{baseline} : {page.code}", ""]
    out += [f"{KPI_TARGET_LABEL} {clean(page.unit)} : {page.target}", ""]
    out += [f"{KPI_ACHIEVED_LABEL} {clean(page.unit)} : {page.achieved}", ""]
    out += [f"{CATEGORY_LABEL} : {page.category}", "", f"({page.level})", ""]
    for text, value in page.fields:
        out += [f"{text} : {clean(value)}", ""]
    out += [KPI_TABLE_HEADING, "", "\t".join(TABLE_HEADERS)]
    out += ["\t".join((f"ไตรมาสที่ {q}", value, score)).rstrip() for q, value, score in page.quarters]
    out.append("")
    if page.evaluated:
        out += [f"{EVALUATED} {page.evaluated}", ""]
    for quarter, day_be, note in page.notes:
        out += [f"{NOTES_HEADING} {quarter}", ""]
        line = f"{day_be} : {clean(note)}".rstrip(" :") if day_be else clean(note)
        if line.strip():
            out += [line.rstrip(), ""]
    return "\n".join(out).rstrip("\n") + "\n"


def kpi_html(kpi: Kpi, day: date) -> str:
    """The KPI as one self-contained printable A4 page (``kpi.html``; its block is the macro
    ``kpi_block`` of ``kpi_macros.html``, for a site page to show too)."""
    from .pages import render_page

    return render_page("kpi.html", page=kpi_page(kpi, day))
