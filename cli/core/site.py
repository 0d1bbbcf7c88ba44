"""The portfolio as a static website: an overview, a page per agency and per project, the data.

Pure part: ``site_pages`` turns entries (a project's row, and a way to load its full record)
plus ``as_of`` and a language into ``{relative path: page text}``; ``plan_pages`` gives the same
pages lazily, each with a key that fingerprints everything the page depends on. That is the
plain way, kept as the reference the fast way is tested against, byte for byte.

The fast way, ``build_site`` (what the command runs), reads and checks each record once: its
row, its lines of data.json and data.csv and its project page come from that one parse, in
forked worker processes that write the page themselves. What each record gave is cached in the
user's cache folder under the file's stat (verified by content when the file changed too
recently to trust its stat), so a rebuild reads no unchanged record: its row and data lines
come from the cache, and its page, whose key has not changed, is hard-linked from the previous
site (by a forked process, while the records are looked up). The pages over many projects
(agencies, overview) are rendered once the rows are known, beside the rest of the work.
A rebuild's per-record work is kept small: an entry is found, read and kept by position, only
the row is unpickled (its data lines follow the pickle and go to the spill file as they are),
and the collector neither scans the rows made nor, once they are frozen, touches them in the
forked processes. After the swap, the old site is removed by two processes while the cache is
saved.

Every page comes from a Jinja2 template with autoescaping: text from a record is never pasted
into markup (the charts' SVG is drawn in Python with every text escaped as a template would).
The figures are the ones ``status`` computes (the same rows), and ``data.json`` is
``status --format json``'s own envelope.

The site is built into ``<out>.tmp-XXXX`` beside the target and swapped in at the end (an atomic
exchange where the system has one), so a failed or killed build never leaves a half-built site
where the old one was; only a folder holding the marker file (``.projledger-site``) written here
is ever replaced, and stray temporary folders of earlier runs that were killed are removed.
Builds into one folder queue on its lock (``.<name>.lock`` beside it, ``_begin_build``).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import gc
import hashlib
import json
import multiprocessing
import os
import pickle
import re
import shutil
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache, partial
from importlib import resources
from pathlib import Path
from typing import IO, Any

from jinja2 import BaseLoader, Environment
from jinja2.bccache import Bucket, FileSystemBytecodeCache
from markupsafe import Markup

from . import cache as result_cache
from . import pages, portfolio
from .cache import RACY_NS, StatKey, cache_folder
from .calendar import format_be, format_month_be, quarter_end
from .check import check_file
from .config import Config
from .errors import ConflictError, InputError, ProjledgerError, UnsafePathError
from .labels import PLAN_STATUSES, STATES, Lang, field_label, label, word
from .money import HUNDRED, format_money, format_percent, format_signed
from .outputs import plan_output
from .portfolio import (
    SORTS,
    ProjectRow,
    QuarterPoint,
    Skipped,
    build_row,
    progress_by_month,
    quarter_points,
    sorted_rows,
)
from .record import Project
from .status import Status, compute_status, computed_status_of
from .summary import PLAN_KEYS, QuarterTotals, Totals, summarise
from .tables import row_dict, status_csv, status_envelope
from .text import json_safe, printable

try:  # a build in progress holds a lock on its folder; without fcntl (Windows) none is taken
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

MARKER = ".projledger-site"
MANIFEST_FORMAT = 1
ASSETS = ("site.css", "site.js")
#: How many projects needing attention the overview lists per fiscal year (the agency pages list all).
ATTENTION_LIMIT = 50
_SAFE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z_-]*")

#: The site's own words; everything else comes from labels.py (field labels, labels.word).
_WORDS: dict[str, dict[Lang, str]] = {
    "site_title": {"th": "รายงานความก้าวหน้าโครงการ", "en": "Project progress"},
    "overview": {"th": "ภาพรวม", "en": "Overview"},
    "fiscal_year_heading": {"th": "ปีงบประมาณ พ.ศ.", "en": "Fiscal year"},
    "by_state": {"th": "จำนวนโครงการตามสถานะ", "en": "Projects by state"},
    "by_plan": {
        "th": "จำนวนโครงการตามผลการดำเนินงานเทียบแผน (คำนวณ)",
        "en": "Projects by computed plan status",
    },
    "money": {"th": "งบประมาณและการเบิกจ่าย", "en": "Budget and disbursement"},
    "attention": {"th": "โครงการที่ต้องติดตาม", "en": "Projects needing attention"},
    "attention_note": {
        "th": "ไม่เป็นไปตามแผน ค้างส่งรายงาน หรือเลยกำหนดสิ้นสุดโครงการ เรียงจากที่ควรติดตามก่อน",
        "en": "behind plan, with overdue reports, or past their end; most urgent first",
    },
    "attention_more": {
        "th": "และอีก {n} โครงการ: ดูในหน้าของหน่วยงาน",
        "en": "and {n} more: see the agency pages",
    },
    "nothing_attention": {"th": "ไม่มีโครงการที่ต้องติดตาม", "en": "No project needs attention"},
    "agencies": {"th": "หน่วยงาน", "en": "Agencies"},
    "agency_heading": {"th": "หน่วยงาน", "en": "Agency"},
    "all_projects": {"th": "โครงการทั้งหมดของหน่วยงาน", "en": "All projects of the agency"},
    "count": {"th": "จำนวน", "en": "count"},
    "amount": {"th": "จำนวนเงิน (บาท)", "en": "amount (baht)"},
    "item": {"th": "รายการ", "en": "item"},
    "search": {"th": "ค้นหา", "en": "Search"},
    "any": {"th": "ทั้งหมด", "en": "all"},
    "shown_count": {"th": "แสดง {shown} จาก {total} โครงการ", "en": "{shown} of {total} projects shown"},
    "sort_hint": {"th": "คลิกหัวตารางเพื่อเรียงลำดับ", "en": "Click a column heading to sort"},
    "quarter_chart": {
        "th": "การเบิกจ่ายสะสมเทียบเป้าหมายรายไตรมาส (% ของงบประมาณ)",
        "en": "Cumulative disbursement against quarterly targets (% of budget)",
    },
    "legend_actual": {"th": "เบิกจ่ายสะสม (แท่งทึบ)", "en": "disbursed (solid bars)"},
    "legend_target": {"th": "เป้าหมาย (เส้นประ จุดสี่เหลี่ยม)", "en": "target (dashed line, squares)"},
    "progress_chart": {
        "th": "ความก้าวหน้ารายเดือน: ผลจริงเทียบกับแผน",
        "en": "Progress by month: actual against plan",
    },
    "chart_values": {"th": "ค่าในแผนภูมิ", "en": "Values of the chart"},
    "record_file": {"th": "แฟ้มข้อมูลโครงการ", "en": "Record file"},
    "official_form": {"th": "แบบรายงาน", "en": "The official form"},
    "summary": {"th": "สรุป", "en": "Summary"},
    "data": {"th": "ข้อมูล", "en": "Data"},
    "data_note": {"th": "ข้อมูลทุกโครงการสำหรับนำไปใช้ต่อ", "en": "Every project's figures, for reuse"},
    "generated": {"th": "สร้างโดย projledger", "en": "Built by projledger"},
    "skip": {"th": "ข้ามไปยังเนื้อหา", "en": "Skip to content"},
    "late_flag": {"th": "เลยกำหนดสิ้นสุด", "en": "past its end"},
    "no_projects": {"th": "ยังไม่มีโครงการ", "en": "No projects yet"},
    "menu": {"th": "เมนู", "en": "Menu"},
    "values_in": {"th": "ค่าเป็นร้อยละ", "en": "values in per cent"},
    "reported": {"th": "รายงาน", "en": "reported"},
    "computed": {"th": "คำนวณ", "en": "computed"},
    "disbursed_pct": {"th": "เบิกจ่ายสะสม %", "en": "disbursed %"},
    "target_pct": {"th": "เป้าหมาย %", "en": "target %"},
    "none_plan": {"th": "ยังไม่มีรายงาน", "en": "no report yet"},
}


def site_word(key: str, lang: Lang) -> str:
    entry = _WORDS.get(key)
    return entry[lang] if entry else word(key, lang)


def status_label(value: str | None, lang: Lang) -> str:
    """A computed plan status in words; no report yet has words too."""
    return label(value, lang) if value else site_word("none_plan", lang)


# --- where pages go ---------------------------------------------------------------------


def _safe(name: str) -> str:
    """A code used as a file name: letters, digits, ``-`` and ``_`` only (never a path)."""
    if not _SAFE_NAME.fullmatch(name):
        raise UnsafePathError(f"'{name}' cannot name a page of the site", field="code")
    return name


def project_page(code: str) -> str:
    return f"projects/{_safe(code)}.html"


def agency_page(agency_code: str) -> str:
    return f"agencies/{_safe(agency_code)}.html"


# --- the templates ----------------------------------------------------------------------


@cache
def environment(lang: Lang | None = None) -> Environment:
    """``pages``' environment (autoescape on, templates of the package), with the site's filters.

    An overlay shares the settings; its filters are a copy, so the form's pages never see the
    site's additions. With a language, the site's fixed words (``{{ W.key }}``, ``{{ F.key }}``)
    are written into the templates as they load, escaped as the expression would print them:
    the same page, with a hundred fewer expressions to evaluate on every render.
    """
    base = pages.environment()
    loader = base.loader if lang is None else _WordsLoader(base.loader, lang)
    env = base.overlay(loader=loader, cache_size=400)
    env.filters = dict(env.filters)
    env.filters.update(
        money=format_money,
        percent=format_percent,
        signed=format_signed,
        be=format_be,
        month_be=lambda point: format_month_be(point.year, point.month),
    )
    return env


#: The templates a build renders, compiled before worker processes are forked (they inherit them).
SITE_TEMPLATES = ("site_project.html", "site_agency.html", "site_index.html")


class _TemplateCache(FileSystemBytecodeCache):
    """Compiled templates kept in the user's cache folder, so a run does not compile them again.

    Loaded only from files this user owns and nobody else could have written (they hold code);
    a file that cannot be written is no error: a cache only saves time.
    """

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            handle = open(self._get_cache_filename(bucket), "rb")  # noqa: SIM115 - closed below
        except OSError:
            return
        with handle:
            st = os.fstat(handle.fileno())
            if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
                return
            bucket.load_bytecode(handle)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def prepare_templates(lang: Lang, cache_dir: Path | None) -> None:
    """Compile the site's templates now (from the cache folder's copies when they are there)."""
    env = environment(lang)
    env.bytecode_cache = None
    if cache_dir is not None:
        folder = cache_dir / "templates"
        with contextlib.suppress(OSError):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            env.bytecode_cache = _TemplateCache(str(folder))
    for name in SITE_TEMPLATES:
        env.get_template(name)


_WORD_EXPRESSION = re.compile(r"\{\{ ?([WF])\.([A-Za-z_][A-Za-z0-9_]*) ?\}\}")
_TEMPLATE_MARKS = ("{{", "}}", "{%", "%}", "{#", "#}")


class _WordsLoader(BaseLoader):
    """Templates with the fixed words of one language written in."""

    def __init__(self, inner: BaseLoader | None, lang: Lang) -> None:
        assert inner is not None
        self.inner, self.lang = inner, lang

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.inner.get_source(environment, template)
        return _WORD_EXPRESSION.sub(self._word, source), filename, uptodate

    def _word(self, match: re.Match[str]) -> str:
        key = match[2]
        text = pages.visible_text(
            site_word(key, self.lang) if match[1] == "W" else field_label(key, self.lang)
        )
        # Never text the template engine would read as its own, nor a blank that would change
        # how the lines around it are trimmed: those stay expressions.
        if not text.strip() or any(mark in text for mark in _TEMPLATE_MARKS):
            return match[0]
        return text


@cache
def template_fingerprint() -> str:
    """Changes whenever a template, the stylesheet, the script or projledger itself changes."""
    from .. import __version__

    digest = hashlib.sha256(__version__.encode())
    folder = resources.files("projledger") / "templates"
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith((".html", ".css", ".js", ".j2", ".svg")):
            digest.update(item.name.encode() + b"\0" + item.read_bytes())
    return digest.hexdigest()


def asset_text(name: str) -> str:
    return (resources.files("projledger") / "templates" / name).read_text("utf-8")


class _Words(dict[str, str]):
    """Words looked up as ``W.key`` in templates; a key asked for the first time is found once."""

    def __init__(self, find: Callable[[str, Lang], str], lang: Lang) -> None:
        super().__init__()
        self.find, self.lang = find, lang

    def __missing__(self, key: str) -> str:
        value = self[key] = self.find(key, self.lang)
        return value


class _Labels(dict[str | None, str]):
    """Words of stored values looked up as ``L[value]`` in templates (cheaper than a call)."""

    def __init__(self, find: Callable[[str | None, Lang], str], lang: Lang) -> None:
        super().__init__()
        self.find, self.lang = find, lang

    def __missing__(self, key: str | None) -> str:
        value = self[key] = self.find(key, self.lang)
        return value


class _Rank(dict[str | None, int]):
    """How a table sorts a computed plan status: behind first; no status, or another, last."""

    def __missing__(self, key: str | None) -> int:
        return 0


_PLAN_SORT = _Rank(behind=3, watch=2, on_plan=1)


@cache
def _labels(lang: Lang) -> _Labels:
    return _Labels(label, lang)


@cache
def _plan_labels(lang: Lang) -> _Labels:
    """``P[value]``: a computed plan status in words, ``P[None]`` when there is no report yet."""
    return _Labels(status_label, lang)


@cache
def _words(lang: Lang) -> tuple[_Words, _Words]:
    return _Words(site_word, lang), _Words(field_label, lang)


def _render(template: str, lang: Lang, depth: int, **context: Any) -> str:
    words, fields = _words(lang)
    return environment(lang).get_template(template).render(
        lang=lang, root="../" * depth, W=words, F=fields, L=_labels(lang), P=_plan_labels(lang),
        STATES=STATES, PLAN_KEYS=PLAN_KEYS, RANK=_PLAN_SORT,
        quarter_svg=lambda chart, chart_id: quarter_svg(chart, chart_id, lang),
        project_page=project_page, agency_page=agency_page, **context,
    )  # fmt: skip


# --- charts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One quarter of the disbursement chart, in SVG units, with the values it shows."""

    label: str
    sub: str
    x: float
    width: float
    top: float
    height: float
    rate: Decimal | None
    target: Decimal | None
    target_y: float | None
    center: float


@dataclass(frozen=True)
class QuarterChart:
    title: str
    width: int
    height: int
    left: int
    right: int
    baseline: float
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[int, float], ...]
    target_points: str


@dataclass(frozen=True)
class ChartQuarter:
    """What the chart and its table show of one quarter: values as numbers, words as text."""

    quarter: int
    end: date
    rate: Decimal | None
    target: Decimal | None
    disbursed: Decimal | None


def quarter_chart(quarters: Sequence[ChartQuarter], title: str, lang: Lang) -> QuarterChart:
    """Bars of cumulative disbursement % per quarter; the targets as a dashed line with squares."""
    width, height, left, right, top, bottom = 640, 280, 44, 12, 24, 62
    values = [q.rate for q in quarters if q.rate is not None] + [q.target for q in quarters if q.target]
    scale_max = max([HUNDRED, *values])
    step_value = 25 if scale_max <= 100 else 50
    top_value = int(-(-scale_max // step_value) * step_value)
    plot_h = height - top - bottom
    plot_w = width - left - right
    slot = plot_w / max(len(quarters), 1)

    def y(value: Decimal) -> float:
        clamped = min(max(float(value), 0.0), float(top_value))
        return round(top + plot_h * (1 - clamped / top_value), 1)

    bars = []
    for i, q in enumerate(quarters):
        x = left + slot * i + slot * 0.25
        bar_w = slot * 0.5
        top_y = y(q.rate) if q.rate is not None else float(top + plot_h)
        bars.append(Bar(
            label=f"{word('quarter', lang)} {q.quarter}", sub=format_be(q.end), x=round(x, 1), width=round(bar_w, 1),
            top=top_y, height=round(top + plot_h - top_y, 1), rate=q.rate, target=q.target,
            target_y=y(q.target) if q.target is not None else None, center=round(left + slot * (i + 0.5), 1),
        ))  # fmt: skip
    ticks = tuple((v, y(Decimal(v))) for v in range(0, top_value + 1, step_value))
    points = " ".join(f"{b.center},{b.target_y}" for b in bars if b.target_y is not None)
    return QuarterChart(title, width, height, left, right, float(top + plot_h), tuple(bars), ticks, points)


def quarter_svg(chart: QuarterChart, chart_id: str, lang: Lang) -> Markup:
    """The quarterly chart as inline SVG, drawn here rather than in a template: a page holds one
    or several, and a template spends a hundred and more escaped expressions on each. Every text
    is shown as the templates show text (``pages.visible_text``); the chart's own words, quarter
    names and dates recur on every page, so each is escaped once."""
    e = _visible_once
    w = partial(site_word, lang=lang)
    cid = e(chart_id)
    right = chart.width - chart.right
    desc = "; ".join(
        f"{e(b.label)} ({e(b.sub)}): {e(w('disbursed_pct'))} "
        f"{e(format_percent(b.rate)) if b.rate is not None else e(w('not_yet'))}, "
        f"{e(w('target_pct'))} {e(format_percent(b.target))}"
        for b in chart.bars
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width} {chart.height}" role="img"\n'
        f'     aria-labelledby="{cid}-title {cid}-desc" class="chart-svg">\n'
        f'  <title id="{cid}-title">{e(chart.title)}</title>\n'
        f'  <desc id="{cid}-desc">{desc}</desc>\n'
    ]
    for value, y in chart.ticks:
        out.append(
            f'  <line class="grid" x1="{chart.left}" x2="{right}" y1="{y}" y2="{y}"/>\n'
            f'  <text class="tick" x="{chart.left - 6}" y="{y + 4}" text-anchor="end">{value}</text>\n'
        )
    baseline = chart.baseline
    for b in chart.bars:
        if b.rate is not None:
            out.append(
                f'  <rect class="bar" x="{b.x}" y="{b.top}" width="{b.width}" height="{b.height}"/>\n'
                f'  <text class="value" x="{b.center}" y="{b.top - 6 if b.top - 6 > 12 else b.top + 14}" '
                f'text-anchor="middle">{e(format_percent(b.rate))}</text>\n'
            )
        else:
            out.append(
                f'  <text class="value muted" x="{b.center}" y="{baseline - 6}" text-anchor="middle">'
                f"{e(w('not_yet'))}</text>\n"
            )
        out.append(
            f'  <text class="axis" x="{b.center}" y="{baseline + 24}" text-anchor="middle">{e(b.label)}</text>\n'
            f'  <text class="axis muted" x="{b.center}" y="{baseline + 50}" text-anchor="middle">{e(b.sub)}</text>\n'
        )
    if chart.target_points:
        out.append(f'  <polyline class="target" points="{e(chart.target_points)}"/>\n')
        out += [
            f'  <rect class="target-point" x="{b.center - 4}" y="{b.target_y - 4}" width="8" height="8"/>\n'
            for b in chart.bars
            if b.target_y is not None
        ]
    out.append(
        f'  <line class="axis-line" x1="{chart.left}" x2="{right}" y1="{baseline}" y2="{baseline}"/>\n</svg>'
    )
    return Markup("".join(out))


@lru_cache(maxsize=2048)
def _visible_once(text: str) -> str:
    return pages.visible_text(text)


def _project_quarters(points: Sequence[QuarterPoint]) -> list[ChartQuarter]:
    return [ChartQuarter(p.quarter, p.end, p.rate, p.target, p.disbursed) for p in points]


def _portfolio_quarters(totals: Sequence[QuarterTotals]) -> list[ChartQuarter]:
    return [ChartQuarter(q.quarter, q.end, q.disbursement_rate, q.target, q.disbursed) for q in totals]


# --- what each page shows ---------------------------------------------------------------


def needs_attention(row: ProjectRow) -> bool:
    return row.computed_plan_status == "behind" or row.overdue > 0 or row.late


@dataclass(frozen=True)
class AgencyTotals:
    code: str
    name: str
    totals: Totals


@dataclass
class YearView:
    fiscal_year: int
    totals: Totals
    chart: QuarterChart
    quarters: list[ChartQuarter]
    agencies: list[AgencyTotals]
    attention: list[ProjectRow]
    attention_count: int


def _year_views(rows: Sequence[ProjectRow], as_of: date, lang: Lang, config: Config) -> list[YearView]:
    """Each fiscal year's totals, quarters, agencies and projects needing attention, in one pass
    over the rows with ``summary``'s own accumulators (the groups ``summarise`` would make by
    fiscal year, by fiscal year and quarter, and by fiscal year and agency)."""
    years: dict[int, Totals] = {}
    quarters: dict[int, list[QuarterTotals]] = {}
    agencies: dict[int, dict[str, Totals]] = {}
    urgent: dict[int, list[ProjectRow]] = {}
    names: dict[str, str] = {}
    for row in rows:
        year = row.fiscal_year
        names.setdefault(row.agency_code, row.department)
        totals = years.get(year)
        if totals is None:
            totals = years[year] = Totals()
            targets = config.targets(year)
            ends = [quarter_end(year, quarter) for quarter in range(1, 5)]
            quarters[year] = [
                QuarterTotals(year, quarter, end, targets[quarter - 1], end <= as_of)
                for quarter, end in enumerate(ends, start=1)
            ]
            agencies[year], urgent[year] = {}, []
        totals.add(row)
        for quarter_totals in quarters[year]:
            quarter_totals.add(row)
        by_agency = agencies[year]
        agency = by_agency.get(row.agency_code)
        if agency is None:
            agency = by_agency[row.agency_code] = Totals()
        agency.add(row)
        if needs_attention(row):
            urgent[year].append(row)
    views = []
    for year in sorted(years, reverse=True):
        chart_quarters = _portfolio_quarters(quarters[year])
        listed = [
            AgencyTotals(code, names.get(code, ""), agencies[year][code]) for code in sorted(agencies[year])
        ]
        worst = sorted_rows(urgent[year], "worst")
        views.append(YearView(
            year, years[year], quarter_chart(chart_quarters, site_word("quarter_chart", lang), lang),
            chart_quarters, listed, worst[:ATTENTION_LIMIT], len(worst),
        ))  # fmt: skip
    return views


def agency_names(rows: Iterable[ProjectRow]) -> dict[str, str]:
    """Agency code → department, from the first row of each (as ``summary`` names them)."""
    names: dict[str, str] = {}
    for row in rows:
        names.setdefault(row.agency_code, row.department)
    return dict(sorted(names.items()))


def render_index(rows: Sequence[ProjectRow], as_of: date, lang: Lang, config: Config) -> str:
    return _render("site_index.html", lang, 0, as_of=as_of, years=_year_views(rows, as_of, lang, config),
                   agencies=agency_names(rows), total=len(rows))  # fmt: skip


def render_agency(
    agency_code: str, rows: Sequence[ProjectRow], as_of: date, lang: Lang, config: Config
) -> str:
    ordered = sorted_rows(rows, "worst")
    summary = summarise(rows, ["fiscal-year"], config, as_of)
    years = [(dict(g.key)["fiscal_year"], g.totals) for g in summary.groups]
    return _render(
        "site_agency.html", lang, 1, as_of=as_of, agency_code=agency_code,
        department=rows[0].department if rows else "", rows=ordered, years=years,
        fiscal_years=sorted({r.fiscal_year for r in rows}, reverse=True), PLAN_STATUSES=PLAN_STATUSES,
    )  # fmt: skip


@dataclass(frozen=True)
class ReportLine:
    no: int
    date: date
    progress: Decimal
    expected: Decimal
    variance: Decimal
    disbursed: Decimal
    plan_status: str
    computed_plan_status: str
    target_status: str
    event: str | None
    note: str


def render_project(
    project: Project, row: ProjectRow, as_of: date, lang: Lang, config: Config, status: Status | None = None
) -> str:
    """The project's figures, charts, every report, and the official form (``pages``' macro);
    ``status``: ``compute_status(project, as_of, config)`` when the caller has it already."""
    reports = []
    for report in project.reports_until(as_of):
        expected, variance, computed = computed_status_of(project, report, config.tolerance)
        reports.append(ReportLine(report.no, report.date, report.progress, expected, variance, report.disbursed,
                                  report.plan_status, computed, report.target_status, report.event, report.note))  # fmt: skip
    quarters = _project_quarters(quarter_points(project, as_of, config))
    form = pages.form_context(project, status or compute_status(project, as_of, config))
    return _render(
        "site_project.html", lang, 1, as_of=as_of, project=project, row=row, reports=reports,
        quarters=quarters, chart=quarter_chart(quarters, site_word("quarter_chart", lang), lang),
        months=progress_by_month(project, as_of), form=form["form"], progress_svg=form["chart"],
    )  # fmt: skip


def render_data_json(rows: Sequence[ProjectRow], as_of: date) -> str:
    """``status --format json``'s envelope, written compactly: a tenth of the time, half the bytes."""
    envelope = status_envelope(sorted_rows(rows, "worst"), as_of)
    return json_safe(json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))) + "\n"


def render_data_csv(rows: Sequence[ProjectRow]) -> str:
    return status_csv(sorted_rows(rows, "worst"))


# --- planning the pages -----------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One valid record: its row, a stamp of its file (stat), and how to load it in full."""

    row: ProjectRow
    stamp: str
    load: Callable[[], Project]


@dataclass(frozen=True)
class Planned:
    """A page of the site, its dependency key, and how to render it when the key changed."""

    path: str
    key: str
    render: Callable[[], str | bytes]
    #: Rough cost, in project pages: a page over the whole portfolio weighs more.
    weight: int = 1


def _weight(rows: Sized) -> int:
    return max(1, len(rows) // 32)


def _key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _render_entry(entry: Entry, as_of: date, lang: Lang, config: Config) -> str:
    return render_project(entry.load(), entry.row, as_of, lang, config)


def plan_pages(
    entries: Iterable[Entry],
    as_of: date,
    lang: Lang,
    config: Config,
    *,
    fingerprint: str | None = None,
) -> Iterator[Planned]:
    """Every page of the site, lazily rendered; the key says what the page depends on.

    A row is a function of its record file, the date and the config, so a page's key is made of
    the stamps (``file_stamp``) of the records it shows, never of their contents: keys cost
    nothing to compute. ``fingerprint`` stands for the tool itself (templates, version, code);
    ``site_fingerprint`` gives it.

    Entries stream; only their small rows are kept for the agency pages, the overview and the
    data files that follow, and a project's full record is read only if its page is rendered.
    """
    base = _key(fingerprint or template_fingerprint(), lang, as_of.isoformat(), config.fingerprint())
    rows: list[ProjectRow] = []
    keys: list[str] = []
    for entry in entries:
        key = _key(base, entry.row.path, entry.stamp)
        rows.append(entry.row)
        keys.append(key)
        yield Planned(project_page(entry.row.code), key, partial(_render_entry, entry, as_of, lang, config))
    yield from _summary_pages(rows, keys, None, base, as_of, lang, config)


def _summary_pages(
    rows: list[ProjectRow],
    keys: list[str],
    data: tuple[_Spill, Sequence[_Span]] | None,
    base: str,
    as_of: date,
    lang: Lang,
    config: Config,
) -> Iterator[Planned]:
    """The pages over many projects (agencies, overview, data) and the assets, after the projects'.

    ``data``: each row's lines of data.json and data.csv when they are known (the one-pass build
    has them, kept in a ``_Spill``), else the data files are rendered from the rows.
    """
    by_agency: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        by_agency.setdefault(row.agency_code, []).append(index)
    for code, indexes in sorted(by_agency.items()):
        agency_rows = [rows[i] for i in indexes]
        yield Planned(agency_page(code), _key(base, "agency", [keys[i] for i in indexes]),
                      partial(render_agency, code, agency_rows, as_of, lang, config), _weight(agency_rows))  # fmt: skip
    everything = _key(base, keys)
    heavy = _weight(rows)
    yield Planned(
        "index.html", _key(everything, "index"), lambda: render_index(rows, as_of, lang, config), heavy
    )
    if data is not None:
        worst: Callable[[ProjectRow], Any] = SORTS["worst"]
        order = sorted(range(len(rows)), key=lambda i: worst(rows[i]))
        spill, spans = data
        yield Planned(
            "data.json", _key(everything, "json"), lambda: _data_json(rows, spill, spans, order, as_of)
        )
        yield Planned("data.csv", _key(everything, "csv"), lambda: _data_csv(spill, spans, order))
    else:
        yield Planned("data.json", _key(everything, "json"), lambda: render_data_json(rows, as_of), heavy)
        yield Planned("data.csv", _key(everything, "csv"), lambda: render_data_csv(rows), heavy)
    for name in ASSETS:
        yield Planned(name, _key(base, name), partial(asset_text, name))


def site_pages(
    entries: Iterable[Entry],
    as_of: date,
    lang: Lang,
    config: Config,
) -> dict[str, str]:
    """The whole site as ``{relative path: text}``, every page rendered."""
    pages = {}
    for page in plan_pages(entries, as_of, lang, config):
        text = page.render()
        pages[page.path] = text if isinstance(text, str) else text.decode("utf-8")
    return pages


# --- writing the site -------------------------------------------------------------------


@dataclass
class BuildResult:
    path: Path
    manifest: dict[str, str] = field(default_factory=dict)
    rendered: list[str] = field(default_factory=list)
    kept: int = 0


def check_output(out: Path, config: Config, cwd: Path) -> Path:
    """The resolved output folder, or a refusal: never the records, ``.git``, the repository or
    above (what may lie there, and the places no output goes: ``outputs.plan_output``)."""
    target = plan_output(out, config, cwd, folder=True).require().target
    root = config.root.resolve()
    for name, protected in (("the repository", root), ("the working folder", cwd.resolve())):
        if protected == target or protected.is_relative_to(target):
            raise UnsafePathError(
                f"{out} is {name} or holds it; give the site a folder of its own, such as _site",
                field="--output",
            )
    if target.is_dir() and not (target / MARKER).is_file() and any(target.iterdir()):
        raise ConflictError(
            f"{out} holds files that projledger did not build (no {MARKER} in it); "
            "choose another --output or empty that folder",
            field="--output",
        )
    return target


def read_manifest(folder: Path) -> dict[str, str]:
    """Page path → key of the site already in ``folder`` (empty when none or unreadable)."""
    try:
        data = json.loads((folder / MARKER).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    pages = data.get("pages") if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else None
    return {str(k): str(v) for k, v in pages.items()} if isinstance(pages, dict) else {}


def _stray(target: Path) -> list[Path]:
    return [
        p
        for p in target.parent.glob(f"{glob_escape(target.name)}.tmp-*")
        if p.is_dir() and not p.is_symlink()
    ]


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


def clean_stray(target: Path) -> int:
    """Remove temporary folders of earlier builds that died; one still locked is being built."""
    removed = 0
    for folder in _stray(target):
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # another build holds it
        try:
            entries = os.listdir(folder)
            if not entries or MARKER in entries:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        finally:
            os.close(fd)
    return removed


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(a))


def _swap_in(new: Path, target: Path, meanwhile: Callable[[], None] = lambda: None) -> None:
    """Put ``new`` where ``target`` is; the old site goes away only once the new one is there.

    ``meanwhile``: work of the same run done while the old site is removed (``_remove_site``)."""
    if not target.exists():
        os.rename(new, target)
        meanwhile()
        return
    if _exchange(new, target):
        _remove_site(new, meanwhile)  # ``new`` now holds the old site
        return
    old = Path(tempfile.mkdtemp(prefix=f"{target.name}.tmp-", dir=target.parent))
    os.rmdir(old)
    os.rename(target, old)
    os.rename(new, target)
    _remove_site(old, meanwhile)


#: Below this many project pages, the old site is removed by this process alone.
PARALLEL_REMOVAL = 256


def _remove_site(folder: Path, meanwhile: Callable[[], None]) -> None:
    """Remove a site's folder, once swapped out, and do ``meanwhile``; all before returning.

    Most of the time goes on unlinking the project pages, one system call each: where
    processes fork and there are many, a forked process unlinks half of them while this one
    does ``meanwhile`` and the other half. What is left (folders, anything unexpected) goes
    with ``shutil.rmtree``, as it does where nothing is forked."""
    pages = os.path.join(folder, "projects")
    try:
        names = os.listdir(pages) if hasattr(os, "fork") else []
    except OSError:
        names = []
    child = None
    if len(names) >= PARALLEL_REMOVAL:
        half = len(names) // 2
        child = os.fork()
        if child == 0:  # pragma: no cover - the child: unlinks its half and leaves at once
            try:
                _unlink_all(pages, names[:half])
            finally:
                os._exit(0)
        names = names[half:]
    try:
        meanwhile()
        _unlink_all(pages, names)
    finally:
        if child is not None:
            os.waitpid(child, 0)
        shutil.rmtree(folder, ignore_errors=True)


def _unlink_all(folder: str, names: Iterable[str]) -> None:
    """Unlink these entries of ``folder`` (a link never followed); what cannot be unlinked stays."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return
    try:
        for name in names:
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=fd)
    finally:
        os.close(fd)


def _manifest_text(manifest: Mapping[str, str]) -> str:
    """The marker file's text: each page's key, one a line (json's C encoder: no ``indent``)."""
    body = {"format": MANIFEST_FORMAT, "generator": "projledger site", "pages": manifest}
    return json.dumps(body, sort_keys=True, separators=(",\n", ": ")) + "\n"


def _nothing() -> None:
    pass


def _put(folder: Path, relative: str, text: str | bytes) -> None:
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="\n")


def _reuse(old: Path, folder: Path, relative: str) -> bool:
    """Link an unchanged page from the previous site (a copy where links are not possible)."""
    source, path = os.path.join(old, relative), os.path.join(folder, relative)
    try:
        os.link(source, path, follow_symlinks=False)
    except FileNotFoundError:
        if not os.path.isfile(source):
            return False
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return _reuse(old, folder, relative)
    except OSError:
        if os.path.islink(source) or not os.path.isfile(source):
            return False
        shutil.copyfile(source, path)
    return True


def site_fingerprint(config: Config) -> str:
    """The tool as it builds pages: its code, templates, stylesheet, script and schema (by the
    stat of each file: installing another version rewrites them all) and the config. Without
    ``template_fingerprint``'s version, whose lookup (importlib.metadata) and reading of every
    template cost about 10 ms of a rebuild, for nothing the stats do not already tell."""
    return result_cache.fingerprint(config, "site", MANIFEST_FORMAT)


#: Below this many pages to render, starting worker processes costs more than it saves.
PARALLEL_PAGES = 64
#: The pages a batch renders, inherited by forked workers (closures cannot be pickled).
_BATCH: list[Planned] = []


def _render_chunk(task: tuple[str, list[int]]) -> int:
    folder, indexes = task
    for index in indexes:
        page = _BATCH[index]
        _put(Path(folder), page.path, page.render())
    return len(indexes)


def _render_batch(batch: list[Planned], folder: Path, jobs: int) -> None:
    """Render and write pages, on ``jobs`` forked processes when there is enough work."""
    with _Rendering(batch, folder, jobs):
        pass


class _Rendering:
    """Pages rendered and written by forked processes while this one goes on with other work;
    leaving the ``with`` block waits for them (or, on an error, stops them). Little work is done
    here, at the end of the block, rather than paying for processes.

    The heaviest pages (the overview and the data files of a large portfolio) go first, each
    on its own, so they run beside each other and beside the rest.
    """

    def __init__(self, batch: list[Planned], folder: Path, jobs: int) -> None:
        self.batch, self.folder = batch, folder
        self.pool: Any = None
        self.pending: Any = None
        work = sum(page.weight for page in batch)
        if jobs <= 1 or work < PARALLEL_PAGES or "fork" not in multiprocessing.get_all_start_methods():
            return
        _BATCH[:] = sorted(batch, key=lambda page: -page.weight)
        heavy = [i for i, page in enumerate(_BATCH) if page.weight > 1]
        light = list(range(len(heavy), len(_BATCH)))
        size = max(8, min(64, len(light) // (jobs * 8) or 1))
        chunks = [(str(folder), [i]) for i in heavy]
        chunks += [(str(folder), light[i : i + size]) for i in range(0, len(light), size)]
        self.pool = multiprocessing.get_context("fork").Pool(jobs)
        self.pending = self.pool.map_async(_render_chunk, chunks, chunksize=1)

    def __enter__(self) -> _Rendering:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        try:
            if self.pool is None:
                if kind is None:
                    for page in self.batch:
                        _put(self.folder, page.path, page.render())
            elif kind is None:
                self.pending.get()
                self.pool.close()
        finally:
            if self.pool is not None:
                self.pool.terminate()
                self.pool.join()
            _BATCH.clear()


def _begin_build(
    out: Path, config: Config, cwd: Path
) -> tuple[Path, dict[str, str], Path, contextlib.ExitStack]:
    """The site's folder (checked), the previous site's manifest, the temporary folder beside it
    where the new one is built, and what the build holds until it is done (``.close()`` it).

    Builds into one folder queue on the folder's lock (``store.locked``: ``fcntl.flock`` on
    ``.<name>.lock`` beside it), taken before any temporary folder is cleaned or made: one
    run's cleanup can never remove another's fresh folder, and no build reads or swaps a site
    another is swapping. The temporary folder is locked too (by its own descriptor) from the
    moment it exists, so a build of an older version of the tool leaves it alone.
    """
    from .store import locked

    held = contextlib.ExitStack()
    try:
        target = check_output(out, config, cwd)  # nothing is made beside a refused output
        target.parent.mkdir(parents=True, exist_ok=True)
        held.enter_context(locked(target, "the site's folder"))
        target = check_output(out, config, cwd)  # again: the build before ours may have made it
        clean_stray(target)
        previous = read_manifest(target) if target.is_dir() else {}
        folder = Path(tempfile.mkdtemp(prefix=f"{target.name}.tmp-", dir=target.parent))
        fd = os.open(folder, os.O_RDONLY)
        held.callback(os.close, fd)
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        held.close()
        raise
    return target, previous, folder, held


def _claim_build(folder: Path) -> None:
    """Mark the build's folder from the start, so what a killed build leaves is known for ours
    and removed."""
    _put(folder, MARKER, json.dumps({"format": MANIFEST_FORMAT, "building": True}) + "\n")


def write_site(
    out: Path, pages: Iterable[Planned], config: Config, cwd: Path, *, jobs: int = 1
) -> BuildResult:
    """Build the site in a temporary folder beside ``out``, then swap it in.

    A page whose key is the previous site's is linked from it; the pages to render are
    rendered together at the end, on ``jobs`` processes when there is enough work.
    """
    target, previous, folder, lock = _begin_build(out, config, cwd)
    result = BuildResult(path=target)
    try:
        _claim_build(folder)
        manifest: dict[str, str] = {}
        batch: list[Planned] = []
        for page in pages:
            if page.path in manifest:
                raise ConflictError(
                    f"two records would both make the page {page.path}; give each a code of its own"
                )
            manifest[page.path] = page.key
            if previous.get(page.path) == page.key and _reuse(target, folder, page.path):
                result.kept += 1
                continue
            result.rendered.append(page.path)
            batch.append(page)
        _render_batch(batch, folder, jobs)
        result.manifest = manifest
        _put(folder, MARKER, _manifest_text(manifest))
        folder.chmod(0o755)
        _swap_in(folder, target)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        lock.close()
    return result


# --- loading the records ----------------------------------------------------------------


def file_stamp(path: Path | str) -> str:
    """What changes when a record file is edited, without reading it."""
    info = os.stat(path)
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}"


def repository_path(path: Path, config: Config) -> str:
    """A record's path from the repository's root: what a reader of the site can look up."""
    from .repository import real

    # a link (one refused: a loop, a link to nothing) is named by its own name, not its target's
    where = Path(os.path.abspath(path)) if path.is_symlink() else real(path) or path.absolute()
    try:
        shown = where.relative_to(config.root.resolve()).as_posix()
    except ValueError:
        shown = path.as_posix()
    return printable(shown)  # a name that is not UTF-8 is shown escaped (\udcbb), never a crash


def _project_of(path: Path, config: Config, checked_on: date, shown: str) -> Project:
    """The full record behind a row, read again when its page has to be rendered."""
    result = check_file(path, config, checked_on, shown)
    return result.require_project("the file changed during the build; run it again")


def load_entries(config: Config, as_of: date, checked_on: date, skipped: Skipped) -> Iterator[Entry]:
    """Every valid record of the repository as a row (``portfolio.rows``: cached, on every core).

    The full record is read again only for a project page that has to be rendered. A record
    that is not valid, or a second record of a code already seen, is counted in ``skipped``
    (``validate`` says what is wrong) and the site is built from the others.
    """
    seen: dict[str, str] = {}
    shown = partial(repository_path, config=config)
    root = str(config.root)
    for row in portfolio.rows([], config, as_of, checked_on=checked_on, skipped=skipped, shown=shown):
        if row.code in seen:
            skipped.files.append((row.path, f"project {row.code} already has a record, {seen[row.code]}"))
            continue
        seen[row.code] = row.path
        path = os.path.join(root, row.path)
        yield Entry(row, file_stamp(path), partial(_project_of, Path(path), config, checked_on, row.path))


# --- building in one pass ---------------------------------------------------------------
#
# ``build_site`` is what the command runs: the same pages as ``site_pages``/``write_site``, byte
# for byte (a test holds it to that), at a fraction of the cost. Each record is read and checked
# once: its row, its lines of data.json and data.csv and its project page all come from that one
# parse, in worker processes that write the page themselves. What one record gave is cached in
# the user's cache (namespace ``site``, keyed on the file's stat, verified by content when the
# file changed too recently: ``cache.ResultCache``), so a rebuild reads no unchanged record: its
# row and data lines come from the cache and its page is linked from the previous site.

#: Bump when what a ``site`` cache entry holds changes shape.
SITE_CACHE_FORMAT = 3


@dataclass(frozen=True)
class _Pass:
    """What every worker of one build needs; inherited through fork."""

    config: Config
    as_of: date
    checked_on: date
    lang: Lang
    base: str
    folder: str
    previous: dict[str, str]
    racy_since: int
    #: Pages are written beside their name and renamed over it (it may be a link to the old site).
    replace: bool = False
    #: The records folder as listed, and its path from the repository's root (with a ``/``) when
    #: no link lies below it: a record's shown path is then that and the rest of its path.
    records: str = ""
    shown_prefix: str | None = None


_PASS: list[_Pass] = []


def page_key(base: str, shown: str, stat: object, file_digest: bytes | None) -> str:
    """A project page's key: the record's path and stat (and digest when its stat is too recent
    to be trusted), the tool, the date, the language and the config (``base``). Made for every
    record of a rebuild, so from a string rather than ``_key``'s ``repr`` of a tuple (a path
    holds no NUL)."""
    return hashlib.sha256(
        f"{base}\0{shown}\0{stat}\0{file_digest!r}".encode("utf-8", "surrogateescape")
    ).hexdigest()


def _json_fragment(row: ProjectRow) -> bytes:
    return json_safe(json.dumps(row_dict(row), ensure_ascii=False, separators=(",", ":"))).encode("utf-8")


@cache
def _csv_head() -> str:
    return status_csv([])


def _csv_fragment(row: ProjectRow) -> bytes:
    text, head = status_csv([row]), _csv_head()
    assert text.startswith(head)
    return text[len(head) :].encode("utf-8")


def _write_page(folder: str, relative: str, text: str, *, replace: bool = False) -> None:
    """Write a page; ``replace``: beside it first, then renamed over it, for a name that may hold
    a link to the previous site's page (writing into it would change the old site's file)."""
    path = os.path.join(folder, relative)
    where = f"{path}.{os.getpid()}.part" if replace else path
    data = memoryview(text.encode("utf-8"))
    fd = os.open(where, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    try:
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)
    if replace:
        os.replace(where, path)


_PROJECT_PAGE = re.compile(r"projects/[0-9A-Za-z][0-9A-Za-z_-]*\.html")


class _Linker:
    """Links the previous site's project pages into the new folder, in a forked process, while
    this one looks the records up. Pages that turn out to be changed are written over their
    link (``_write_page(replace=True)``); pages of records gone are removed afterwards.
    Where processes cannot be forked, ``join`` links them here."""

    def __init__(self, old: Path, folder: Path, previous: Mapping[str, str]) -> None:
        self.old, self.folder = os.fspath(old), os.fspath(folder)
        # Names from the previous site's manifest, which is only data: never a path elsewhere.
        self.pages = [page for page in previous if _PROJECT_PAGE.fullmatch(page)]
        self.linked: set[str] = set()
        self.child: int | None = None
        self.pipe = -1

    def start(self) -> None:
        if not self.pages or not hasattr(os, "fork"):
            return
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child: links, says which failed, and leaves at once
            code = 1
            try:
                os.close(read)
                failed = "\n".join(self._link(self.pages, keep=False)).encode("utf-8", "surrogateescape")
                with os.fdopen(write, "wb") as out:
                    out.write(failed)
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        self.child, self.pipe = pid, read

    def _link(self, pages: list[str], *, keep: bool) -> list[str]:
        """Link ``pages``; the ones that could not be linked (no such page in the old site...)."""
        failed = []
        for page in pages:
            try:
                os.link(os.path.join(self.old, page), os.path.join(self.folder, page), follow_symlinks=False)
            except OSError:
                failed.append(page)
            else:
                if keep:
                    self.linked.add(page)
        return failed

    def join(self, *, link: bool = True) -> None:
        """Wait for the links; ``linked`` then holds the pages linked."""
        if self.child is None:
            if link and self.pages and not self.linked:
                self._link(self.pages, keep=True)
            return
        with os.fdopen(self.pipe, "rb") as answer:
            failed = answer.read().decode("utf-8", "surrogateescape")
        _, status = os.waitpid(self.child, 0)
        self.child = None
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            self.linked = set(self.pages) - set(failed.split("\n"))
        else:  # it stopped part way: what is there is what it linked
            self.linked = {page for page in self.pages if os.path.lexists(os.path.join(self.folder, page))}


def _build_one(path: str) -> tuple[tuple[Any, ...], StatKey | None, bytes | None, bool]:
    """One record, read once: (cache value, stat before reading, digest if racy, page written).

    The value is ("row", row fields, shown path, data.json line, data.csv line) or ("skip",
    reason, shown path). The page is rendered and written unless the previous site has it.
    """
    job = _PASS[0]
    try:
        st = os.stat(path)
        stat: StatKey | None = result_cache.stat_key(st)
    except OSError:
        stat = None
    file_digest = None
    if stat is not None and max(st.st_mtime_ns, st.st_ctime_ns) >= job.racy_since:
        file_digest = result_cache._file_digest(path)
        if file_digest is None:
            stat = None
    shown = (
        printable(job.shown_prefix + path[len(job.records) + 1 :].replace(os.sep, "/"))
        if job.shown_prefix is not None
        else repository_path(Path(path), job.config)
    )
    result = check_file(Path(path), job.config, job.checked_on, shown)
    if result.project is None or not result.ok:
        first = result.first_error
        reason = first.message if first is not None else "not a record"
        return ("skip", reason, shown), stat, file_digest, False
    project = result.project
    status = compute_status(project, job.as_of, job.config)
    row = build_row(project, status, shown)
    value = ("row", tuple(row), shown,
             _json_fragment(row), _csv_fragment(row))  # fmt: skip
    page = project_page(row.code)
    if stat is not None and job.previous.get(page) == page_key(job.base, shown, stat, file_digest):
        return value, stat, file_digest, False
    _write_page(
        job.folder,
        page,
        render_project(project, row, job.as_of, job.lang, job.config, status),
        replace=job.replace,
    )
    return value, stat, file_digest, True


def _build_chunk(paths: list[str]) -> list[_Built]:
    return [_packed(_build_one(path)) for path in paths]


def _packed(built: tuple[tuple[Any, ...], StatKey | None, bytes | None, bool]) -> _Built:
    """The value pickled once, where it was made: the cache keeps those bytes as they are.

    A row's data lines follow its pickle rather than being in it (``pickle.loads`` leaves the
    bytes after a pickle alone), with their lengths in it: a rebuild unpickles the row alone and
    hands the lines on to the spill file as they lie in the cache's bytes."""
    value, stat, file_digest, rendered = built
    if value[0] != "row":
        return result_cache._dumps(value), stat, file_digest, rendered
    json_line, csv_line = value[3], value[4]
    head = result_cache._dumps((value[0], value[1], value[2], len(json_line), len(csv_line)))
    return head + json_line + csv_line, stat, file_digest, rendered


@dataclass
class _Slot:
    """One listed file in the walk's order, once known."""

    value: tuple[Any, ...]
    key: str = ""
    #: The page is the previous site's (to link) rather than written in this build.
    reuse: bool = False
    #: The project page's path (a row's).
    page: str = ""


_Built = tuple[bytes, StatKey | None, bytes | None, bool]


def _parallel(work: int, jobs: int) -> bool:
    return jobs > 1 and work >= PARALLEL_PAGES and "fork" in multiprocessing.get_all_start_methods()


def _built(misses: list[str], jobs: int) -> Generator[_Built, None, None]:
    """``_build_one`` of each path, in order; on ``jobs`` forked processes when there are many."""
    if not _parallel(len(misses), jobs):
        for path in misses:
            yield _packed(_build_one(path))
        return
    size = max(8, min(32, len(misses) // (jobs * 16) or 1))
    chunks = [misses[i : i + size] for i in range(0, len(misses), size)]
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        for batch in pool.imap(_build_chunk, chunks):
            yield from batch


def _data_json(
    rows: Sequence[ProjectRow], spill: _Spill, spans: Sequence[_Span], order: Sequence[int], as_of: date
) -> str | bytes:
    """``render_data_json`` from each row's own line, in the same order: the same bytes."""
    empty = json_safe(json.dumps(status_envelope([], as_of), ensure_ascii=False, separators=(",", ":")))
    if not empty.endswith("[]}"):  # the projects are not the envelope's last key: the plain way
        return render_data_json(rows, as_of)
    lines = spill.lines(spans, order, 0)
    if not lines:
        return empty.encode() + b"\n"
    # The envelope around the lines joined in one copy (no concatenation of the whole after).
    lines[0] = empty[:-2].encode() + lines[0]
    lines[-1] += b"]}\n"
    return b",".join(lines)


def _data_csv(spill: _Spill, spans: Sequence[_Span], order: Sequence[int]) -> bytes:
    return b"".join([_csv_head().encode(), *spill.lines(spans, order, 1)])


#: Where a row's data lines lie in the spill file: offset, length of the JSON line, of the CSV line.
_Span = tuple[int, int, int]


class _Spill:
    """Each row's lines of data.json and data.csv, kept in an unnamed temporary file rather than
    in memory (at 10,000 records they are some 20 MB), read back in the data files' order.
    Forked processes read it too (``pread`` leaves the file's offset alone)."""

    def __init__(self) -> None:
        # A large buffer: a rebuild adds some 2 KB a row, 10,000 rows, without a system call each.
        self.file: IO[bytes] = tempfile.TemporaryFile("w+b", buffering=1 << 20)  # noqa: SIM115 - closed by close()
        self.size = 0

    def add(self, lines: bytes | memoryview, json_size: int) -> _Span:
        """A row's JSON line then its CSV line, as one run of bytes."""
        span = (self.size, json_size, len(lines) - json_size)
        self.file.write(lines)
        self.size += len(lines)
        return span

    def ready(self) -> None:
        self.file.flush()

    #: How much of the file ``lines`` reads at a time.
    WINDOW = 1 << 20

    def lines(self, spans: Sequence[_Span], order: Sequence[int], which: int) -> list[bytes]:
        """Each row's JSON (``which`` 0) or CSV (1) line, in ``order`` (every row once): the
        file read through once, a window at a time (the rows' lines lie in the order of
        ``spans``), rather than one read per line."""
        assert len(order) == len(spans)
        out: list[bytes] = [b""] * len(spans)
        place = [0] * len(spans)
        for position, i in enumerate(order):
            place[i] = position
        window, start = b"", 0
        for i, (offset, json_size, csv_size) in enumerate(spans):
            begin, size = (offset, json_size) if which == 0 else (offset + json_size, csv_size)
            at = begin - start
            if at < 0 or at + size > len(window):
                window, start, at = self._window(begin, max(size, self.WINDOW)), begin, 0
            out[place[i]] = window[at : at + size]
        return out

    def _window(self, offset: int, size: int) -> bytes:
        if hasattr(os, "pread"):
            return os.pread(self.file.fileno(), size, offset)
        self.file.seek(offset)  # pragma: no cover - no pread (Windows): one process reads
        return self.file.read(size)

    def close(self) -> None:
        self.file.close()


def _unpacked(raw: bytes) -> tuple[Any, ...]:
    """A cache value ``_packed`` made: a skip as it is, a row as ("row", row fields, shown path,
    its data lines (a view of ``raw``), the JSON line's length). ValueError if it is not one."""
    value = pickle.loads(raw)
    if type(value) is not tuple or not value or value[0] not in ("row", "skip"):
        raise ValueError("not a value of the site's cache")
    if value[0] == "skip":
        return value
    kind, fields, shown, json_size, csv_size = value
    if type(json_size) is not int or type(csv_size) is not int:
        raise ValueError("damaged data lines")
    size = json_size + csv_size
    if not 0 <= json_size <= size <= len(raw):
        raise ValueError("damaged data lines")
    return kind, fields, shown, memoryview(raw)[len(raw) - size :], json_size


def _settled(value: tuple[Any, ...], spill: _Spill) -> tuple[Any, ...]:
    """An ``_unpacked`` value as a slot keeps it: a row's data lines moved to the spill file."""
    if value[0] != "row":
        return value
    return (value[0], value[1], value[2], spill.add(value[3], value[4]))


def build_site(
    out: Path,
    config: Config,
    as_of: date,
    lang: Lang,
    checked_on: date,
    cwd: Path,
    skipped: Skipped,
    *,
    jobs: int = 1,
    environ: Mapping[str, str] = os.environ,
    fingerprint: str | None = None,
) -> BuildResult:
    """The site of the repository's records, built beside ``out`` and swapped in (see module doc)."""
    target, previous, folder, lock = _begin_build(out, config, cwd)
    result = BuildResult(path=target)
    spill = _Spill()
    linker = _Linker(target, folder, previous)
    heap = _Heap()
    where = cache_folder(environ, config)
    store = (
        result_cache.ResultCache(where, config, "site", as_of, checked_on, SITE_CACHE_FORMAT)
        if where is not None else None
    )  # fmt: skip
    try:
        _claim_build(folder)
        prepare_templates(lang, where)
        (folder / "projects").mkdir()
        (folder / "agencies").mkdir()
        linker.start()
        base = _key(fingerprint or site_fingerprint(config), lang, as_of.isoformat(), config.fingerprint())
        racy_since = store.racy_since if store is not None else result_cache.filesystem_now(folder) - RACY_NS
        listed, no_links = _listing(config)
        slots: list[_Slot | None] = []
        misses: list[str] = []
        heap.pause()
        for name, refused in listed:
            if refused:
                slots.append(_Slot(("skip", refused, repository_path(Path(name), config))))
                continue
            slot = _cached_slot(store, name, base, previous, spill) if store is not None else None
            if slot is None:
                misses.append(name)
            slots.append(slot)
        heap.settle()
        job = _Pass(
            config, as_of, checked_on, lang, base, str(folder), previous, racy_since, bool(linker.pages),
            os.fspath(config.records_dir), _shown_prefix(config) if no_links else None,
        )  # fmt: skip
        _PASS[:] = [job]
        try:
            built = _built(misses, jobs)
            for index, (name, refused) in enumerate(listed):
                if slots[index] is not None or refused:
                    continue
                raw, stat, file_digest, rendered = next(built)
                value = _unpacked(raw)
                if stat is None:
                    key = os.urandom(16).hex()  # a file that cannot be told unchanged: never reused
                else:
                    key = page_key(base, value[2], stat, file_digest)
                    if store is not None:
                        store.write(name, stat, file_digest, None, raw, new=True)
                page_name = project_page(value[1][0]) if value[0] == "row" else ""
                slots[index] = _Slot(_settled(value, spill), key, reuse=not rendered, page=page_name)
            built.close()
        finally:
            _PASS.clear()
        heap.pause()
        rows, keys, names, spans, linked, again = _gather(slots, skipped)
        spill.ready()
        linker.join()
        manifest = dict(zip(names, keys, strict=True))
        batch = []
        for page in _summary_pages(rows, keys, (spill, spans), base, as_of, lang, config):
            manifest[page.path] = page.key
            if previous.get(page.path) == page.key and _reuse(target, folder, page.path):
                result.kept += 1
                continue
            result.rendered.append(page.path)
            batch.append(page)
        heap.settle()
        with _Rendering(batch, folder, jobs):  # the pages over many projects, beside what follows
            _link_projects(rows, names, linked, again, folder, linker.linked, job, result)
        result.manifest = manifest
        _put(folder, MARKER, _manifest_text(manifest))
        folder.chmod(0o755)
        # The cache is saved while the old site is removed (the whole records folder was walked).
        _swap_in(
            folder, target, (lambda: store.save(keep=lambda key: False)) if store is not None else _nothing
        )
    except BaseException as error:
        linker.join(link=False)
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(error, OSError) and not isinstance(error, ProjledgerError):
            # a full disk names no file (os.write's error has none): say which site, and that
            # the half-built one is gone
            what = f" ({error.filename})" if error.filename else ""
            raise InputError(
                f"the site cannot be built: {error.strerror or error}{what}; the half-built copy was removed",
                path=str(target),
                field="--output",
            ) from None
        raise
    finally:
        heap.end()
        lock.close()
        spill.close()
        if store is not None:
            store.close()
    return result


class _Heap:
    """The cyclic garbage collector held off while a build makes its many small objects that
    hold no cycle (some 300,000 at 10,000 records: each row's values, its tuple, its slot),
    which it would otherwise scan over and over; then those objects are frozen (``gc.freeze``):
    no later collection of this build scans them, nor one of a process forked from here (which
    would copy every page of memory they lie in). ``end`` puts everything back as it was."""

    def __init__(self) -> None:
        self.enabled = gc.isenabled()
        self.frozen = False

    def pause(self) -> None:
        gc.disable()

    def settle(self) -> None:
        gc.freeze()
        self.frozen = True
        if self.enabled:
            gc.enable()

    def end(self) -> None:
        if self.frozen:
            gc.unfreeze()
            self.frozen = False
        if self.enabled:
            gc.enable()


def _listing(config: Config) -> tuple[list[tuple[str, str | None]], bool]:
    """The records folder's record files in the walk's order, each with why it is refused (if
    it is): one ``scandir`` a folder as ``cache.OutputMemo`` reads it; where a link is met, the
    walk itself (``repository.list_records``) decides. And whether no link was met."""
    from .repository import list_records

    files = result_cache.record_files(os.fspath(config.records_dir))
    if files is None:
        return [(os.fspath(e.path), e.refused) for e in list_records([], config)], False
    return [(name, None) for name in files], True


def _shown_prefix(config: Config) -> str | None:
    """``repository_path`` of the records folder plus ``/``; None when it is not in the repository."""
    shown = repository_path(config.records_dir, config)
    return None if os.path.isabs(shown) else shown + "/"


def _cached_slot(
    store: result_cache.ResultCache, name: str, base: str, previous: Mapping[str, str], spill: _Spill
) -> _Slot | None:
    """The file's slot from the cache, when its entry holds and its page (if any) can be linked.

    Run for every record of a rebuild: the entry is found, read and kept by position (no entry
    tuple made, its path worked out once)."""
    key = store.key(name)
    i = store.find(key)
    if i is None:
        return None
    try:
        value = _unpacked(store.value_at(i))
    except Exception:  # the cache file changed under us: read the record instead
        return None
    page_name = ""
    if value[0] == "row":
        code = value[1][0]
        page_name = project_page(code)
        entry = store.entry(i)
        page = page_key(base, value[2], entry[0], entry[1])
        if previous.get(page_name) != page:
            return None  # its page must be rendered: the record is read again for it
        store.keep_at(key, i)
        return _Slot(_settled(value, spill), page, reuse=True, page=page_name)
    store.keep_at(key, i)
    return _Slot(value)


def _gather(
    slots: list[_Slot | None], skipped: Skipped
) -> tuple[list[ProjectRow], list[str], list[str], list[_Span], list[int], set[int]]:
    """Rows, page keys, page paths and data lines in the walk's order; a second record of a code
    is skipped.

    Also which rows' pages are to be linked from the previous site, and which must be rendered
    here: the page of a code that two records claim (a worker may have written the second's).
    """
    rows: list[ProjectRow] = []
    keys: list[str] = []
    names: list[str] = []
    spans: list[_Span] = []
    seen: dict[str, int] = {}
    linked: list[int] = []
    again: set[int] = set()
    for index, slot in enumerate(slots):
        assert slot is not None
        value = slot.value
        slots[index] = None  # held once: as the row from here on
        if value[0] == "skip":
            skipped.files.append((value[2], value[1]))
            continue
        row = ProjectRow._make(value[1])
        if row.code in seen:
            first = rows[seen[row.code]].path
            skipped.files.append((row.path, f"project {row.code} already has a record, {first}"))
            again.add(seen[row.code])
            continue
        seen[row.code] = len(rows)
        if slot.reuse:
            linked.append(len(rows))
        rows.append(row)
        keys.append(slot.key)
        names.append(slot.page)
        spans.append(value[3])
    return rows, keys, names, spans, linked, again


def _link_projects(
    rows: list[ProjectRow],
    names: list[str],
    linked: list[int],
    again: set[int],
    folder: Path,
    done: set[str],
    job: _Pass,
    result: BuildResult,
) -> None:
    """Keep the unchanged project pages ``_Linker`` linked (``done``), render those it could not,
    and remove the pages it linked of records that are gone. ``names``: each row's page."""
    kept = set()
    for index in linked:
        if index in again:
            continue
        if names[index] in done:
            kept.add(index)
        else:
            again.add(index)
    for page in done.difference(names):
        os.unlink(folder / page)
    for index in sorted(again):
        row = rows[index]
        page = names[index]
        project = _project_of(Path(job.config.root, row.path), job.config, job.checked_on, row.path)
        _write_page(
            str(folder), page, render_project(project, row, job.as_of, job.lang, job.config), replace=True
        )
    result.kept += len(kept)
    result.rendered += [page for index, page in enumerate(names) if index not in kept]
