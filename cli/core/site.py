"""The portfolio as a static website: an overview, a page per agency and per project, the data.

``plan_pages`` turns entries (a project's row, and a way to load its full record) plus ``as_of``
and a language into the site's pages, each rendered lazily, with a key that fingerprints
everything the page depends on.

``build_site`` (what the command runs) takes the rows from ``portfolio.rows`` (the index answers
for unchanged records, and keeps each row with its lines of data.json and data.csv:
``SITE_ROWS``) and renders only the pages whose key is not the previous site's, as the marker
file lists them: an unchanged page is linked from the previous site. A record the index does not
know is read once, its row kept and its page written from that reading (``load_entries``, on a
process pool when there are many); any other full record is read only when its page is
rendered. Many pages to render are rendered on several processes; a rebuild links every page
of the previous site from its start, on a worker (``_links_ahead``), and a page rendered
again replaces its link (``_put``).

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
import fcntl
import glob
import hashlib
import json
import math
import multiprocessing
import os
import re
import shutil
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache, lru_cache, partial
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import BaseLoader, Environment, Template
from markupsafe import Markup, escape

from . import index as ix
from . import pages, portfolio
from .calendar import format_be, format_month_be, quarter_end
from .charts import progress_chart
from .check import check_file
from .config import Config
from .errors import ConflictError, UnsafePathError
from .i18n import N_, _
from .index import RACY_NS, Checked, Index, Scan, StatKey, file_digest, stat_key
from .kpi import Kpi, KpiResult
from .kpi_views import amount, score_pair, score_text
from .labels import STATES, Lang, field_label, label, word
from .money import HUNDRED, format_money, format_percent, format_signed
from .outputs import plan_output
from .portfolio import (
    SORTS,
    KpiRow,
    Presenter,
    ProjectRow,
    QuarterPoint,
    Skipped,
    join_department,
    kpi_agency,
    progress_by_month,
    quarter_points,
    result_known,
    sorted_rows,
)
from .record import Evaluation, Project, path_names
from .repository import real
from .status import compute_status, computed_status_of
from .store import built_in, locked
from .store import swap_in as _swap_in
from .summary import PLAN_KEYS, QuarterTotals, Totals, summarise
from .tables import row_dict, status_csv, status_envelope
from .text import _UNSAFE, json_safe, printable

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
    "official_form": {"th": "แบบรายงาน", "en": "The official form (in Thai, as it is printed)"},
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
    # KPIs (ตัวชี้วัด), format 2
    "kpi": {"th": "ตัวชี้วัด", "en": "KPI"},
    "kpi_figures": {"th": "ตัวชี้วัดตามปีงบประมาณ", "en": "KPIs by fiscal year"},
    "kpis_of_agency": {"th": "ตัวชี้วัดของหน่วยงาน", "en": "KPIs of the agency"},
    "kpis_met": {"th": "บรรลุค่าเป้าหมาย", "en": "met"},
    "kpis_not_met": {"th": "ไม่บรรลุค่าเป้าหมาย", "en": "not met"},
    "kpis_no_result": {"th": "ยังไม่มีผลงาน", "en": "no result yet"},
    "kpi_score_mean": {"th": "คะแนนประเมินเฉลี่ยของตัวชี้วัด (สยป.) %", "en": "KPIs' mean evaluation score (%)"},
    "project_score_mean": {
        "th": "คะแนนประเมินเฉลี่ยของโครงการ (สยป.) %",
        "en": "projects' mean evaluation score (%)",
    },
    "kpi_name": {"th": "ชื่อตัวชี้วัด", "en": "KPI"},
    "kpi_achieved": {"th": "ผลงานที่ทำได้", "en": "achieved"},
    "kpi_percent": {"th": "ร้อยละของค่าเป้าหมาย", "en": "% of target"},
    "kpi_met": {"th": "ผลเทียบค่าเป้าหมาย", "en": "against target"},
    "kpi_type": {"th": "ประเภทตัวชี้วัด", "en": "type"},
    "kpi_baseline": {"th": "ค่าฐาน", "en": "baseline"},
    "kpi_direction": {"th": "ทิศทาง", "en": "direction"},
    "kpi_definition": {"th": "คำนิยาม", "en": "definition"},
    "kpi_formula": {"th": "สูตรการคำนวณ", "en": "formula"},
    "kpi_source": {"th": "แหล่งข้อมูล", "en": "data source"},
    "kpi_strategy": {"th": "ความสอดคล้องกับแผนพัฒนากรุงเทพมหานคร 20 ปี", "en": "alignment with the 20-year plan"},
    "kpi_quarters": {"th": "ผลงานเทียบกับเป้าหมายรายไตรมาส", "en": "Results against the target by quarter"},
    "kpi_result": {"th": "ผลงานสะสม", "en": "cumulative result"},
    "kpi_evaluation": {"th": "สยป. ตรวจประเมิน", "en": "evaluation (สยป.)"},
    "kpi_notes": {"th": "รายงานผลรายไตรมาส", "en": "Notes by quarter"},
    "kpi_projects": {"th": "โครงการที่สนับสนุนตัวชี้วัด", "en": "Projects contributing to the KPI"},
    "kpi_no_projects": {"th": "ไม่ได้ระบุโครงการ", "en": "No project named"},
    "kpi_chart": {
        "th": "ผลงานสะสมเทียบค่าเป้าหมายรายไตรมาส (% ของค่าเป้าหมาย)",
        "en": "Cumulative result against the target by quarter (% of target)",
    },
    "kpi_legend_actual": {"th": "ผลงานสะสม (แท่งทึบ)", "en": "result (solid bars)"},
    "kpi_legend_target": {"th": "ค่าเป้าหมาย 100% (เส้นประ)", "en": "target, 100% (dashed line)"},
    "kpi_result_pct": {"th": "ผลงาน % ของเป้าหมาย", "en": "result, % of target"},
    "kpi_target_pct": {"th": "ค่าเป้าหมาย %", "en": "target %"},
    "kpi_record_file": {"th": "แฟ้มข้อมูลตัวชี้วัด", "en": "Record file"},
    "kpi_undated": {"th": "ไม่ระบุวันที่", "en": "undated"},
    "kpi_missing": {"th": "ไม่พบโครงการนี้", "en": "no such project"},
    "kpi_issue": {"th": "ด้าน", "en": "issue"},
    "kpi_dimension": {"th": "มิติ", "en": "dimension"},
    "kpi_goal": {"th": "เป้าหมาย", "en": "goal"},
    "routine": {"th": "ตัวชี้วัดงานประจำ", "en": "routine"},
    "strategic": {"th": "ตัวชี้วัดเชิงยุทธศาสตร์", "en": "strategic"},
    "output": {"th": "ตัวชี้วัดระดับผลผลิต (output)", "en": "output"},
    "outcome": {"th": "ตัวชี้วัดระดับผลลัพธ์ (outcome)", "en": "outcome"},
    "higher": {"th": "ยิ่งมากยิ่งดี", "en": "higher is better"},
    "lower": {"th": "ยิ่งน้อยยิ่งดี", "en": "lower is better"},
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
        raise UnsafePathError(_("'{name}' cannot name a page of the site").format(name=name), field="code")
    return name


def project_page(code: str) -> str:
    return f"projects/{_safe(code)}.html"


def agency_page(agency_code: str) -> str:
    return f"agencies/{_safe(agency_code)}.html"


def kpi_page(code: str) -> str:
    return f"kpis/{_safe(code)}.html"


# --- the templates ----------------------------------------------------------------------


@cache
def environment(lang: Lang) -> Environment:
    """``pages``' environment (autoescape on, templates of the package), with the site's filters.

    An overlay shares the settings; its filters are a copy, so the form's pages never see the
    site's additions. The site's fixed words in ``lang`` (``{{ W.key }}``, ``{{ F.key }}``) are
    written into the templates as they load, escaped as the expression would print them: the
    same page, with a hundred fewer expressions to evaluate on every render.
    """
    base = pages.environment()
    env = base.overlay(loader=_WordsLoader(base.loader, lang), cache_size=400)
    if base.template_class is not Template and base.finalize is pages._visible:
        # ``pages._visible`` then the escape, in one call a printed value (about 300 a page)
        env.finalize = None
        env.template_class = _SiteTemplate
    env.filters = {
        **env.filters,
        "money": format_money,
        "percent": format_percent,
        "signed": format_signed,
        "figure": amount,  # a KPI's target, baseline, result: as status and show print it
        "score": score_text,
        "score_pair": score_pair,
        "be": format_be,
        "month_be": lambda point: format_month_be(point.year, point.month),
    }
    # The words the macros read, as the only globals (no range, dict...): a page imports its
    # macros without its context, a module made once, not on every render (``P[value]``: a
    # computed plan status in words, ``P[None]`` when there is no report yet).
    env.globals = {"W": _Words(site_word, lang), "F": _Words(field_label, lang), "L": _Words(label, lang),
                   "P": _Words(status_label, lang), "quarter_svg": partial(quarter_svg, lang=lang)}  # fmt: skip
    return env


def _shown(value: Any) -> Any:
    """What ``{{ value }}`` prints: ``pages._visible`` (control characters and bidi overrides as
    visible escapes, markup as it is) and then the escape (``pages._escape_text``)."""
    kind = value.__class__
    if kind is str and _escape_inner is not None:
        # nothing to show in a printable text (str.isprintable: no control, format or surrogate
        # character, which holds every one _UNSAFE matches), found faster than by the search
        return _escape_inner(value if value.isprintable() or not _UNSAFE.search(value) else printable(value))
    if kind is int:  # a count, a year, a report's number: digits, nothing to show or escape
        return str(value)
    if kind is Markup:  # a macro's output, a chart: printed as it is (what escape would copy)
        return value
    return escape(pages._visible(value))


_escape_inner = pages._escape_inner


class _SiteTemplate(pages._Template):
    """A site template: what it prints is shown and escaped by ``_shown`` (its environment has
    no ``finalize``: the one call does both)."""

    escape_output = staticmethod(_shown)


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
        find = site_word if match[1] == "W" else field_label
        text = pages.visible_text(find(match[2], self.lang))
        # Never text the template engine would read as its own, nor a blank that would change
        # how the lines around it are trimmed: those stay expressions.
        if not text.strip() or any(mark in text for mark in _TEMPLATE_MARKS):
            return match[0]
        return text


def asset_text(name: str) -> str:
    return (resources.files("projledger") / "templates" / name).read_text("utf-8")


class _Words(dict[Any, str]):
    """Words looked up as ``W.key`` (or stored values' words as ``L[value]``) in templates; a key
    asked for the first time is found once (cheaper than a call)."""

    def __init__(self, find: Callable[[Any, Lang], str], lang: Lang) -> None:
        super().__init__()
        self.find, self.lang = find, lang

    def __missing__(self, key: Any) -> str:
        value = self[key] = self.find(key, self.lang)
        return value


#: How a table sorts a computed plan status: behind first; no status, or another, last (0).
_PLAN_SORT: defaultdict[str | None, int] = defaultdict(int, {"behind": 3, "watch": 2, "on_plan": 1})


def _render(template: str, lang: Lang, depth: int, **context: Any) -> str:
    return environment(lang).get_template(template).render(
        lang=lang, root="../" * depth, STATES=STATES, PLAN_KEYS=PLAN_KEYS, RANK=_PLAN_SORT,
        project_page=project_page, agency_page=agency_page, kpi_page=kpi_page, **context,
    )  # fmt: skip


# --- charts -----------------------------------------------------------------------------


#: The most grid lines a quarterly chart draws above 0.
_MOST_TICKS = 12


@dataclass
class QuarterChart:
    """Bars of a cumulative % per quarter, the targets as a dashed line with squares (drawn by
    ``quarter_svg``; its table shows the quarters): a project's quarters, or a fiscal year's or
    a KPI's as ``portfolio.QuarterPoint`` holds them."""

    title: str
    quarters: Sequence[QuarterPoint]
    #: The site's words for a bar's value and the target in the chart's description.
    value_word: str = "disbursed_pct"
    target_word: str = "target_pct"


def quarter_svg(chart: QuarterChart, chart_id: str, lang: Lang) -> Markup:
    """The quarterly chart as inline SVG, drawn here rather than in a template: a page holds one
    or several, and a template spends a hundred and more escaped expressions on each. Every text
    is shown as the templates show text (``pages.visible_text``); the chart's own words, quarter
    names and dates recur on every page, so each is escaped once."""
    width, height, left, right, top, bottom = 640, 280, 44, 12, 24, 62
    quarters = chart.quarters
    values = [q.rate for q in quarters if q.rate is not None] + [q.target for q in quarters if q.target]
    scale_max = max([HUNDRED, *values])
    step_value = 25 if scale_max <= 100 else 50
    while scale_max > step_value * _MOST_TICKS:  # far past 100 %: a tick every 50 % never ended
        step_value *= 10  # (disbursed 900 billion of a budget of 1 baht is 90 trillion %)
    top_value = math.ceil(scale_max / step_value) * step_value  # a Decimal's // cuts toward 0
    plot_h = height - top - bottom
    baseline = float(top + plot_h)
    slot = (width - left - right) / max(len(quarters), 1)

    def y(value: Decimal) -> float:
        clamped = min(max(float(value), 0.0), float(top_value))
        return round(top + plot_h * (1 - clamped / top_value), 1)

    e = _visible_once
    w = partial(site_word, lang=lang)
    cid = e(chart_id)
    names = [(e(f"{word('quarter', lang)} {q.quarter}"), e(format_be(q.end))) for q in quarters]
    centers = [round(left + slot * (i + 0.5), 1) for i in range(len(quarters))]
    desc = "; ".join(
        f"{name} ({sub}): {e(w(chart.value_word))} "
        f"{e(format_percent(q.rate)) if q.rate is not None else e(w('not_yet'))}, "
        f"{e(w(chart.target_word))} {e(format_percent(q.target))}"
        for q, (name, sub) in zip(quarters, names, strict=True)
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img"\n'
        f'     aria-labelledby="{cid}-title {cid}-desc" class="chart-svg">\n'
        f'  <title id="{cid}-title">{e(chart.title)}</title>\n'
        f'  <desc id="{cid}-desc">{desc}</desc>\n'
    ]
    for value in range(0, top_value + 1, step_value):
        tick_y = y(Decimal(value))
        out.append(
            f'  <line class="grid" x1="{left}" x2="{width - right}" y1="{tick_y}" y2="{tick_y}"/>\n'
            f'  <text class="tick" x="{left - 6}" y="{tick_y + 4}" text-anchor="end">{value}</text>\n'
        )
    for i, (q, (name, sub), center) in enumerate(zip(quarters, names, centers, strict=True)):
        if q.rate is not None:
            bar_top = y(q.rate)
            out.append(
                f'  <rect class="bar" x="{round(left + slot * i + slot * 0.25, 1)}" y="{bar_top}" '
                f'width="{round(slot * 0.5, 1)}" height="{round(baseline - bar_top, 1)}"/>\n'
                f'  <text class="value" x="{center}" y="{bar_top - 6 if bar_top - 6 > 12 else bar_top + 14}" '
                f'text-anchor="middle">{e(format_percent(q.rate))}</text>\n'
            )
        else:
            out.append(
                f'  <text class="value muted" x="{center}" y="{baseline - 6}" text-anchor="middle">'
                f"{e(w('not_yet'))}</text>\n"
            )
        out.append(
            f'  <text class="axis" x="{center}" y="{baseline + 24}" text-anchor="middle">{name}</text>\n'
            f'  <text class="axis muted" x="{center}" y="{baseline + 50}" text-anchor="middle">{sub}</text>\n'
        )
    targets = [
        (center, y(q.target)) for q, center in zip(quarters, centers, strict=True) if q.target is not None
    ]
    if targets:
        points = " ".join(f"{center},{target_y}" for center, target_y in targets)
        out.append(f'  <polyline class="target" points="{e(points)}"/>\n')
        out += [
            f'  <rect class="target-point" x="{center - 4}" y="{target_y - 4}" width="8" height="8"/>\n'
            for center, target_y in targets
        ]
    out.append(
        f'  <line class="axis-line" x1="{left}" x2="{width - right}" y1="{baseline}" y2="{baseline}"/>\n</svg>'
    )
    return Markup("".join(out))


_visible_once = lru_cache(maxsize=2048)(pages.visible_text)


# --- what each page shows ---------------------------------------------------------------


@dataclass
class YearView:
    fiscal_year: int
    totals: Totals
    chart: QuarterChart
    #: (code, department, totals) of each agency, by code.
    agencies: list[tuple[str, str, Totals]]
    attention: list[ProjectRow]
    attention_count: int


def _year_views(rows: Sequence[ProjectRow], as_of: date, lang: Lang, config: Config) -> list[YearView]:
    """Each fiscal year's totals, quarters, agencies and projects needing attention, in one pass
    over the rows with ``summary``'s own accumulators (the groups ``summarise`` would make by
    fiscal year, by fiscal year and quarter, and by fiscal year and agency)."""
    years: dict[int, Totals] = {}
    quarters: dict[int, list[QuarterTotals]] = {}
    agencies: dict[int, defaultdict[str, Totals]] = {}
    urgent: dict[int, list[ProjectRow]] = {}
    names: dict[str, str] = {}  # an agency's department: its first row's (as ``summary`` names it)
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
            agencies[year], urgent[year] = defaultdict(Totals), []
        totals.add(row)
        for quarter_totals in quarters[year]:
            quarter_totals.add(row)
        agencies[year][row.agency_code].add(row)
        if row.computed_plan_status == "behind" or row.overdue > 0 or row.late:  # needs attention
            urgent[year].append(row)
    views = []
    for year in sorted(years, reverse=True):
        chart_quarters = [
            QuarterPoint(year, q.quarter, q.end, q.disbursed, q.disbursement_rate, q.target)
            for q in quarters[year]
        ]
        listed = [(code, names[code], agencies[year][code]) for code in sorted(agencies[year])]
        worst = sorted_rows(urgent[year], "worst")
        views.append(YearView(
            year, years[year], QuarterChart(site_word("quarter_chart", lang), chart_quarters),
            listed, worst[:ATTENTION_LIMIT], len(worst),
        ))  # fmt: skip
    return views


def render_index(
    rows: Sequence[ProjectRow], as_of: date, lang: Lang, config: Config, kpis: Sequence[KpiLine] = ()
) -> str:
    years = _year_views(rows, as_of, lang, config)
    totals = {view.fiscal_year: view.totals for view in years}
    for line in kpis:  # each KPI counted in its year's totals, as ``summarise`` counts it
        totals.setdefault(line.row.fiscal_year, Totals()).add_kpi(line.row)
    return _render("site_index.html", lang, 0, as_of=as_of, years=years, kpis=_kpi_order(kpis),
                   kpi_years=kpi_years(totals))  # fmt: skip


def _kpi_order(lines: Sequence[KpiLine]) -> list[KpiLine]:
    """Latest fiscal year first, then by code."""
    return sorted(lines, key=lambda line: (-line.row.fiscal_year, line.row.code))


def render_agency(
    agency_code: str,
    rows: Sequence[ProjectRow],
    as_of: date,
    lang: Lang,
    config: Config,
    kpis: Sequence[KpiLine] = (),
) -> str:
    summary = summarise(rows, ["fiscal-year"], config, as_of, kpis=[line.row for line in kpis])
    totals = {dict(g.key)["fiscal_year"]: g.totals for g in summary.groups if isinstance(g.totals, Totals)}
    years = [(year, year_totals) for year, year_totals in totals.items() if year_totals.projects]
    department = rows[0].department if rows else (kpis[0].row.department if kpis else "")
    return _render(
        "site_agency.html", lang, 1, as_of=as_of, agency_code=agency_code,
        department=department, rows=sorted_rows(rows, "worst"), years=years,
        fiscal_years=sorted({r.fiscal_year for r in rows}, reverse=True),
        kpis=_kpi_order(kpis), kpi_years=kpi_years(totals),
    )  # fmt: skip


def render_project(project: Project, row: ProjectRow, as_of: date, lang: Lang, config: Config) -> str:
    """The project's figures, charts, every report (with its expected progress, variance and
    computed plan status), and the official form (``pages``' macro)."""
    reports = [
        (report, *computed_status_of(project, report, config.tolerance))
        for report in project.reports_until(as_of)
    ]
    form = pages.form_context(project, compute_status(project, as_of, config))
    return _render(
        "site_project.html", lang, 1, as_of=as_of, project=project, row=row, reports=reports,
        chart=QuarterChart(site_word("quarter_chart", lang), quarter_points(project, as_of, config)),
        months=progress_by_month(project, as_of), form=form["form"],
        progress_svg=form["chart"] if lang == "th" else Markup(progress_chart(project, project.reports_until(as_of), as_of, lang)),
    )  # fmt: skip


# --- KPIs (format 2) ----------------------------------------------------------------------


@dataclass
class KpiEntry:
    """One valid KPI record: its row (``portfolio.KpiRow``, from the facts the index keeps), its
    file's stamp (``file_stamp``), how to read it in full for its page, and the codes of the
    projects it names."""

    row: KpiRow
    stamp: str
    load: Callable[[], Kpi]
    projects: tuple[str, ...] = ()


@dataclass(frozen=True)
class KpiLine:
    """A KPI's row as the site's tables show it: with the agency page it is listed on."""

    row: KpiRow
    agency_code: str


def kpi_years(totals: Mapping[int, Totals]) -> list[tuple[int, Totals]]:
    """Per fiscal year (latest first) with a KPI or an evaluated project, ``summary``'s figures
    of it (one home: ``Totals.add_kpi`` and ``add`` count them), of which the tables show the
    KPIs met, not met and without a result, and the means of the latest evaluations as % of
    the full score of the KPIs and of the projects (those without an evaluation left out;
    DESIGN of issue 20)."""
    return [(year, t) for year, t in sorted(totals.items(), reverse=True) if t.kpis or t.project_scores]


@dataclass
class KpiQuarter:
    """One quarter of a KPI's page: its result and evaluation, or None where there is none."""

    quarter: int
    end: date
    result: KpiResult | None
    percent: Decimal | None
    met: bool | None
    evaluation: Evaluation | None


def render_kpi(
    entry: KpiEntry, agency_code: str, projects: Mapping[str, ProjectRow | None], as_of: date, lang: Lang
) -> str:
    """A KPI's page, as the old system's ``mykpi`` page shows one: target with unit, type, the
    quarterly table of results and evaluations, a chart of the result as % of the target, the
    notes of each quarter and the projects that contribute to it (linked to their pages). As
    its row, it shows what was known on ``as_of`` (``portfolio.result_known``)."""
    kpi = entry.load()
    results = {r.quarter: r for r in kpi.results if result_known(r, kpi.fiscal_year, as_of)}
    evaluations = {e.quarter: e for e in kpi.evaluations if e.date <= as_of}
    quarters = []
    for quarter in range(1, 5):
        result = results.get(quarter)
        quarters.append(KpiQuarter(
            quarter, quarter_end(kpi.fiscal_year, quarter), result,
            None if result is None else kpi.percent_of_target(result.value),
            None if result is None else kpi.met(result.value), evaluations.get(quarter),
        ))  # fmt: skip
    points = [QuarterPoint(kpi.fiscal_year, q.quarter, q.end, None, q.percent, HUNDRED) for q in quarters]
    chart = QuarterChart(site_word("kpi_chart", lang), points, "kpi_result_pct", "kpi_target_pct")
    return _render(
        "site_kpi.html", lang, 1, as_of=as_of, kpi=kpi, line=KpiLine(entry.row, agency_code),
        quarters=quarters, chart=chart,
        notes=[results[q] for q in sorted(results) if results[q].note],
        evaluation_notes=[evaluations[q] for q in sorted(evaluations) if evaluations[q].note],
        latest_evaluation=evaluations[max(evaluations)] if evaluations else None,
        projects=[(code, projects.get(code)) for code in kpi.projects],
    )  # fmt: skip


# --- the data files from each row's own part -------------------------------------------------
#
# data.json and data.csv hold a line of every project: each row's part is made once, with the
# row (``SITE_ROWS``), and kept in the index beside it, so a rebuild joins stored text in the
# order of ``sorted_rows`` instead of writing every row again. The parts are cut from what
# ``tables`` writes of the rows sorted worst first (``status_envelope``, as ``status --format
# json`` gives it but compact: a tenth of the time, half the bytes; ``status_csv``), so the
# joined files are those, byte for byte (a test keeps them equal). The parts are kept and
# joined as UTF-8, as the files are written: 20 MB at 10,000 records, neither decoded from the
# index nor encoded again on every rebuild.


@cache
def _csv_header() -> str:
    return status_csv([])


def _data_json(order: Sequence[SiteRow], as_of: date) -> bytes:
    """``status --format json``'s envelope of the rows in this order, from their parts."""
    empty = json_safe(json.dumps(status_envelope([], as_of), ensure_ascii=False, separators=(",", ":")))
    assert empty.endswith("[]}")
    return b"".join((empty[:-2].encode(), b",".join([r.json for r in order]), b"]}\n"))


def _data_csv(order: Sequence[SiteRow]) -> bytes:
    """``tables.status_csv`` of the rows in this order, from their parts."""
    return _csv_header().encode() + b"".join([r.csv for r in order])


class SiteRow(NamedTuple):
    """A row, and its parts of data.json and data.csv (UTF-8)."""

    row: ProjectRow
    json: bytes
    csv: bytes


_WORST: Callable[[ProjectRow], Any] = SORTS["worst"]


def _worst_of_site_row(item: SiteRow) -> Any:
    return _WORST(item.row)


def _indexes(*names: str) -> list[int]:
    return [ProjectRow._fields.index(name) for name in names]


_DECIMAL_AT = _indexes("progress", "expected", "variance", "disbursed", "budget", "disbursement_rate",
                       "disbursement_target", "disbursement_gap", "latest_score", "latest_full_score")  # fmt: skip
_DATE_AT = _indexes("start", "end", "as_of", "latest_date")
#: The tuples of Decimals a row holds (per quarter).
_QUARTERS_AT = _indexes("disbursed_by_quarter", "budget_by_quarter")
_SHARED_AT = _indexes("agency_code", "department", "strategy_issue")
_WIDTH = len(ProjectRow._fields)


def _site_make(row: ProjectRow) -> tuple[Any, ...]:
    """A row as plain values (numbers, text; Decimals and dates as their text), then its parts
    (UTF-8): the values kept as JSON without one object in it, so reading 10,000 back is one
    fast ``json.loads`` each, and the parts as they are (``_site_encode``)."""
    plain: list[Any] = list(row)
    for i in _DECIMAL_AT + _DATE_AT:  # a date's str is its isoformat
        if plain[i] is not None:
            plain[i] = str(plain[i])
    for i in _QUARTERS_AT:
        plain[i] = tuple(None if q is None else str(q) for q in plain[i])
    json_part = json_safe(json.dumps(row_dict(row), ensure_ascii=False, separators=(",", ":")))
    return (*plain, json_part.encode(), status_csv([row])[len(_csv_header()) :].encode())


def _site_load(values: Sequence[Any]) -> SiteRow:
    """What ``_site_make`` gave (or the index kept of it), as a ``SiteRow``: run for every row
    of a rebuild, so its loops are plain (no generator, names looked up once)."""
    fields: list[Any] = list(values[:_WIDTH])
    number, day, intern = Decimal, date.fromisoformat, sys.intern
    for i in _DECIMAL_AT:
        value = fields[i]
        if value is not None:
            fields[i] = number(value)
    for i in _DATE_AT:
        value = fields[i]
        if value is not None:
            fields[i] = day(value)
    for i in _SHARED_AT:
        fields[i] = intern(fields[i])
    for i in _QUARTERS_AT:
        fields[i] = tuple([None if q is None else number(q) for q in fields[i]])
    return SiteRow(ProjectRow._make(fields), values[_WIDTH], values[_WIDTH + 1])


def _site_encode(made: Sequence[Any]) -> tuple[str, bytes, bytes]:
    """What ``_site_make`` gave as the index's three columns: the values as plain JSON (read back
    with ``json.loads``, no hook per value), and the two parts as they are."""
    return (
        json.dumps(made[:_WIDTH], ensure_ascii=False, separators=(",", ":")),
        made[_WIDTH],
        made[_WIDTH + 1],
    )


def _site_decode(columns: Sequence[Any]) -> list[Any]:
    values: list[Any] = json.loads(columns[0])
    values += columns[1:]
    return values


#: What ``portfolio.rows`` keeps in the index of a row for the site (variant ``site``).
SITE_ROWS = Presenter("site", _site_make, _site_load, _site_encode, _site_decode, 3)


# --- planning the pages -----------------------------------------------------------------


@dataclass
class Entry:
    """One valid record: its row, a stamp of its file (stat), how to load it in full, its parts
    of the data files, and the key its page was already written under into the site being
    built (by the pass that read the record: ``load_entries``), or None."""

    row: ProjectRow
    stamp: str
    #: The file's stamp with its content's digest, as a racy file's (``file_stamp``).
    racy_stamp: Callable[[], str]
    load: Callable[[], Project]
    json: bytes
    csv: bytes
    written: str | None = None


@dataclass
class Planned:
    """A page of the site, its dependency key, and how to render it when the key changed."""

    path: str
    key: str
    render: Callable[[], str | bytes]
    #: Rough cost, in project pages: a page over the whole portfolio weighs more.
    weight: int = 1
    #: Already written into the site being built (by the pass that read its record).
    written: bool = False
    #: The key the page had if its record, racy when the previous site was built, is the same
    #: now (``Entry.racy_stamp``): the page is unchanged, though its key is not.
    unchanged_as: Callable[[], str] | None = None


def _key(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _racy_key(base: str, path: str, racy_stamp: Callable[[], str]) -> str:
    return _key(base, path, racy_stamp())


def _render_entry(entry: Entry, as_of: date, lang: Lang, config: Config) -> str:
    return render_project(entry.load(), entry.row, as_of, lang, config)


def plan_pages(
    entries: Iterable[Entry],
    as_of: date,
    lang: Lang,
    config: Config,
    *,
    fingerprint: str | None = None,
    kpis: Sequence[KpiEntry] = (),
    racy_links: bool = False,
) -> Iterator[Planned]:
    """Every page of the site, lazily rendered; the key says what the page depends on.

    A row is a function of its record file, the date and the config, so a page's key is made of
    the stamps (``file_stamp``) of the records it shows, never of their contents: keys cost
    nothing to compute. ``fingerprint`` stands for the tool itself (templates, version, code):
    ``site_fingerprint`` unless given.

    Entries stream; only their small rows are kept for the agency pages, the overview and the
    data files that follow, and a project's full record is read only if its page is rendered.
    ``kpis``: the KPI records (read once the entries are: ``load_entries`` fills the list as it
    goes); a KPI's page depends on its file and on the rows of the projects it names, and the
    pages that show it (its agency's, the overview) on its file. ``racy_links``: the previous site
    has this one's base key, so a project page may be unchanged under its racy key (``Planned``).
    """
    base = base_key(fingerprint, lang, as_of, config)
    keys: list[str] = []
    parts: list[SiteRow] = []
    for entry in entries:
        key = _key(base, entry.row.path, entry.stamp)
        keys.append(key)
        parts.append(SiteRow(entry.row, entry.json, entry.csv))
        racy = partial(_racy_key, base, entry.row.path, entry.racy_stamp) if racy_links else None
        yield Planned(project_page(entry.row.code), key, partial(_render_entry, entry, as_of, lang, config),
                      written=entry.written == key, unchanged_as=racy)  # fmt: skip
    yield from _summary_pages(parts, keys, base, as_of, lang, config, kpis)


def base_key(fingerprint: str | None, lang: Lang, as_of: date, config: Config) -> str:
    """What every page depends on: the tool, the language, the date, the config."""
    return _key(fingerprint or site_fingerprint(), lang, as_of.isoformat(), config.fingerprint())


def _summary_pages(
    parts: list[SiteRow],
    keys: list[str],
    base: str,
    as_of: date,
    lang: Lang,
    config: Config,
    kpis: Sequence[KpiEntry],
) -> Iterator[Planned]:
    """The KPI pages, the pages over many projects (agencies, overview, data) and the assets,
    after the projects' (``parts``: the projects' rows and their parts of the data files)."""
    rows = [part.row for part in parts]
    by_agency: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        by_agency.setdefault(row.agency_code, []).append(index)
    kpi_keys, kpi_lines, by_agency_kpis = yield from _kpi_pages(rows, keys, base, as_of, lang, kpis)
    for code in sorted({*by_agency, *by_agency_kpis}):
        indexes = by_agency.get(code, [])
        agency_rows = [rows[i] for i in indexes]
        agency_kpis = by_agency_kpis.get(code, [])
        key = _key(base, "agency", [keys[i] for i in indexes], [kpi_keys[i] for i in agency_kpis])
        yield Planned(agency_page(code), key,
                      partial(render_agency, code, agency_rows, as_of, lang, config, [kpi_lines[i] for i in agency_kpis]),
                      max(1, len(agency_rows) // 32))  # fmt: skip
    everything = _key(base, keys)  # the data files hold the projects only
    # the overview costs about what a project page does per 250 projects (measured: 10,000 rows,
    # 0.05 s; a project page 1.25 ms)
    yield Planned(
        "index.html", _key(everything, "index", kpi_keys), lambda: render_index(rows, as_of, lang, config, kpi_lines),
        max(1, len(rows) // 256),
    )  # fmt: skip
    # the data files, joined from each row's parts, sorted once for both
    worst_first = cache(lambda: sorted(parts, key=_worst_of_site_row))
    yield Planned("data.json", _key(everything, "json"), lambda: _data_json(worst_first(), as_of))
    yield Planned("data.csv", _key(everything, "csv"), lambda: _data_csv(worst_first()))
    for name in ASSETS:
        yield Planned(name, _key(base, name), partial(asset_text, name))


def _kpi_pages(
    rows: list[ProjectRow], keys: list[str], base: str, as_of: date, lang: Lang, kpis: Sequence[KpiEntry]
) -> Generator[Planned, None, tuple[list[str], list[KpiLine], dict[str, list[int]]]]:
    """A page per KPI, and (returned) each KPI's key, its line for the tables and, by agency
    page, the KPIs it lists. A KPI is on the page of the agency whose projects name its
    department, else on one of its own code prefix (``Kpi.agency_code``)."""
    by_department: dict[str, str] = {}
    by_code: dict[str, int] = {}
    for index, row in enumerate(rows):
        join_department(by_department, row.department, row.agency_code)
        by_code[row.code] = index
    kpi_keys: list[str] = []
    lines: list[KpiLine] = []
    by_agency: dict[str, list[int]] = {}
    for entry in sorted(kpis, key=lambda e: e.row.code):
        kpi_row = entry.row
        agency = kpi_agency(by_department, kpi_row)
        linked = {code: rows[by_code[code]] if code in by_code else None for code in entry.projects}
        own = _key(base, "kpi", kpi_row.path, entry.stamp)
        key = _key(own, [keys[by_code[c]] if c in by_code else None for c in entry.projects])
        by_agency.setdefault(agency, []).append(len(lines))
        kpi_keys.append(own)
        lines.append(KpiLine(kpi_row, agency))
        yield Planned(kpi_page(kpi_row.code), key, partial(render_kpi, entry, agency, linked, as_of, lang))
    return kpi_keys, lines, by_agency


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
    for name, protected in ((N_("the repository"), root), (N_("the working folder"), cwd.resolve())):
        if protected == target or protected.is_relative_to(target):
            raise UnsafePathError(
                _("{out} is {name} or holds it; give the site a folder of its own, such as _site").format(
                    out=out, name=_(name)
                ),
                field="--output",
            )
    if target.is_dir() and not (target / MARKER).is_file() and any(target.iterdir()):
        raise ConflictError(
            _(
                "{out} holds files that projledger did not build (no {marker} in it); "
                "choose another --output or empty that folder"
            ).format(out=out, marker=MARKER),
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


def clean_stray(target: Path) -> int:
    """Remove temporary folders of earlier builds that died; one still locked is being built."""
    removed = 0
    for folder in target.parent.glob(f"{glob.escape(target.name)}.tmp-*"):
        if not folder.is_dir() or folder.is_symlink():
            continue
        try:
            fd = os.open(folder, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            entries = os.listdir(folder)
            if not entries or MARKER in entries:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
        except OSError:
            continue  # another build holds it (or it is gone)
        finally:
            os.close(fd)
    return removed


def _put(folder: Path, relative: str, text: str | bytes) -> None:
    """Write one page (UTF-8, as it is; or its bytes): open, write, close, and nothing else asked of the
    system (a text-mode ``open`` adds a terminal check, two seeks and a stat to every page).

    A page is always a file of its own, never written into: the name may hold a link to the
    previous site's page (``_links_ahead`` links them all while the build runs), which is
    unlinked first, so the previous site never changes."""
    path = os.path.join(folder, relative)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = memoryview(text.encode("utf-8") if isinstance(text, str) else text)
    while True:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
            break
        except FileExistsError:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    try:
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)


def _reuse(old: Path, folder: Path, relative: str) -> bool:
    """Link an unchanged page from the previous site (a copy where links are not possible) into
    its folder, which ``_link_paths`` made; False when there is no such page to link.

    A link, not a copy: copying a page costs about 0.6 ms here (a rebuild of 10,000 records
    would spend 6 s on it), a link 0.015 ms. No page of the new site is ever written into: a
    page is either linked or rendered into a name of its own, so the old site never changes."""
    source, path = os.path.join(old, relative), os.path.join(folder, relative)
    try:
        os.link(source, path, follow_symlinks=False)
    except OSError:
        if os.path.islink(source) or not os.path.isfile(source):
            return False
        shutil.copyfile(source, path)
    return True


@cache
def site_fingerprint() -> str:
    """The tool as it builds pages: the index's fingerprint of the tool's own files on disk (its
    code, templates, stylesheet, script and schema: an edited template or rule is another tool,
    and installing another version rewrites them all)."""
    return _key(MANIFEST_FORMAT, *ix.code_fingerprint())


#: Below this much rendering (in project pages), starting worker processes costs more than it saves.
PARALLEL_PAGES = 64
#: The pages a batch renders, inherited by forked workers (closures cannot be pickled).
_BATCH: list[Planned] = []


def _batch_chunk(indexes: list[int], folder: str) -> None:
    """Render and write the pages of ``_BATCH`` at these indexes into ``folder``."""
    for index in indexes:
        page = _BATCH[index]
        _put(Path(folder), page.path, page.render())


def _link_paths(
    old: Path | str, folder: Path | str, relatives: Iterable[str], *, ahead: bool = False
) -> list[str]:
    """Link pages (relative paths) of the previous site ``old`` into ``folder``, a folder at a
    time: each link named from the two folders' descriptors, not by two whole paths the system
    walks again for each page (10,000 in about 0.1 s). Gives those that could not be linked.

    ``ahead``: linked while the build runs (``_links_ahead``): a name the build has written
    already is left as it is, and a page that cannot be linked is only given back (copying it
    here could race with the page being rendered); else a page that cannot be linked is linked
    or copied by ``_reuse``, and given back when its source is gone."""
    failed: list[str] = []
    by_folder: dict[str, list[str]] = {}
    for relative in relatives:
        sub, _, name = relative.rpartition("/")
        by_folder.setdefault(sub, []).append(name)
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_CLOEXEC
    link = os.link
    for sub, names in by_folder.items():
        target = os.path.join(folder, sub) if sub else os.fspath(folder)
        os.makedirs(target, exist_ok=True)
        src = dst = -1
        try:
            with contextlib.suppress(OSError):
                src = os.open(os.path.join(old, sub) if sub else old, flags)
                dst = os.open(target, flags)
            for name in names:
                try:
                    if dst < 0:
                        raise FileNotFoundError(name)
                    link(name, name, src_dir_fd=src, dst_dir_fd=dst, follow_symlinks=False)
                except FileExistsError:
                    pass  # written by the build already (or linked before): it stays
                except OSError:
                    relative = f"{sub}/{name}" if sub else name
                    if ahead or not _reuse(Path(old), Path(folder), relative):
                        failed.append(relative)
        finally:
            for fd in (src, dst):
                if fd >= 0:
                    os.close(fd)
    return failed


def _link_pages(old: Path, folder: Path, pages: Sequence[Planned]) -> list[Planned]:
    """``_link_paths`` of unchanged pages; gives the pages that could not be linked."""
    failed = set(_link_paths(old, folder, [page.path for page in pages]))
    return [page for page in pages if page.path in failed] if failed else []


def _render_batch(batch: list[Planned], folder: Path, jobs: int, old: Path | None = None,
                  links: Sequence[Planned] = ()) -> list[Planned]:  # fmt: skip
    """Render and write pages, and link ``links`` (unchanged pages) from the previous site in
    ``old``. The links are made here (a folder's descriptor each: 10,000 in about 0.1 s); the
    pages are rendered on ``jobs`` processes (a ``multiprocessing`` pool, forked: the pages'
    closures cannot be pickled) when there is enough rendering to pay for forking a process
    that holds the whole portfolio's rows, heaviest first (the overview of a large portfolio
    each on its own), while this process links. Gives the pages that could not be linked
    (their source is gone): the caller renders them."""
    work = sum(page.weight for page in batch)
    if jobs <= 1 or work < PARALLEL_PAGES or "fork" not in multiprocessing.get_all_start_methods():
        failed = _link_pages(old, folder, links) if old is not None else list(links)
        for page in batch:
            _put(folder, page.path, page.render())
        return failed
    _BATCH[:] = sorted(batch, key=lambda page: -page.weight)
    try:
        heavy = [i for i in range(len(_BATCH)) if _BATCH[i].weight > 1]
        light = list(range(len(heavy), len(_BATCH)))
        size = max(8, min(64, len(light) // (jobs * 8) or 1))
        tasks = [[i] for i in heavy] + [light[i : i + size] for i in range(0, len(light), size)]
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            done = pool.starmap_async(_batch_chunk, [(task, str(folder)) for task in tasks], chunksize=1)
            failed = _link_pages(old, folder, links) if old is not None else list(links)
            done.get()
        return failed
    finally:
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
        fcntl.flock(fd, fcntl.LOCK_EX)
    except BaseException:
        held.close()
        raise
    return target, previous, folder, held


def _write(
    target: Path,
    previous: Mapping[str, str],
    folder: Path,
    lock: contextlib.ExitStack,
    plan: Callable[[int], Iterable[Planned]],
    jobs: int,
) -> BuildResult:
    """Write the pages ``plan`` gives into ``folder`` and swap it in for ``target``; ``plan`` is
    told since when a record file is too recent for its stat to be trusted (``file_stamp``).

    A page whose key is the previous site's is linked from it; one the plan wrote already stays;
    the other pages to render are rendered together at the end, on ``jobs`` processes when there
    is enough work.
    """
    result = BuildResult(path=target)
    ahead = None
    try:
        with built_in(
            # a full disk names no file (os.write's error has none): say which site, and that
            # the half-built one is gone
            folder,
            _("the site cannot be built: {problem}{what}; the half-built copy was removed"),
            str(target),
        ), contextlib.ExitStack() as workers:  # fmt: skip
            # marked from the start, so what a killed build leaves is known for ours and removed
            _put(folder, MARKER, json.dumps({"format": MANIFEST_FORMAT, "building": True}) + "\n")
            # The folder was made just now: its time is the filesystem's idea of now.
            racy_since = os.stat(folder).st_mtime_ns - RACY_NS
            ahead = _links_ahead(target, folder, previous, jobs, workers)
            manifest: dict[str, str] = {}
            batch: list[Planned] = []
            links: list[Planned] = []
            for page in plan(racy_since):
                if page.path in manifest:
                    raise ConflictError(
                        _("two records would both make the page {page}; give each a code of its own").format(
                            page=page.path
                        )
                    )
                manifest[page.path] = page.key
                if page.written:
                    result.rendered.append(page.path)
                elif previous.get(page.path) == page.key or (
                    page.path in previous and page.unchanged_as and previous[page.path] == page.unchanged_as()
                ):
                    links.append(page)  # linked from the previous site (ahead, or below)
                else:
                    result.rendered.append(page.path)
                    batch.append(page)
            if ahead is None:
                unlinked = _render_batch(batch, folder, jobs, target, links)
            else:
                _render_batch(batch, folder, jobs)
                unlinked = _linked_ahead(ahead.get(), target, folder, previous, manifest, links)
            _render_batch(unlinked, folder, 1)
            result.kept = len(links) - len(unlinked)
            result.rendered += [page.path for page in unlinked]
            result.manifest = manifest
            # the marker file: each page's key, one a line (json's C encoder: no ``indent``)
            body = {"format": MANIFEST_FORMAT, "generator": "projledger site", "pages": manifest}
            _put(folder, MARKER, json.dumps(body, sort_keys=True, separators=(",\n", ": ")) + "\n")
            folder.chmod(0o755)
            _swap_in(folder, target)
    finally:
        lock.close()
    return result


#: A page of the site as the previous site's marker file may name it (a page ``plan_pages``
#: gives): a folder of the site and a safe name, or a name at its top; never a path elsewhere.
_PAGE_PATH = re.compile(r"(?:[a-z]+/)?[0-9A-Za-z][0-9A-Za-z_-]*\.(?:html|json|csv|css|js)")
#: Below this many pages in the previous site, its pages are linked at the end (no worker).
LINK_AHEAD_PAGES = 256


def _links_ahead(
    target: Path, folder: Path, previous: Mapping[str, str], jobs: int, workers: contextlib.ExitStack
) -> Any:
    """On a rebuild with processes to spare, a worker forked now (while this process is small)
    that links every page of the previous site into ``folder``, as if unchanged, while the
    records are read and the pages planned (``_link_paths`` ahead): the pages the build renders
    replace their link (``_put``), those gone from the site are removed at the end
    (``_linked_ahead``). What it gives (the pages not linked), pending; None when there is none."""
    if jobs < 2 or len(previous) < LINK_AHEAD_PAGES or "fork" not in multiprocessing.get_all_start_methods():
        return None
    pages = [page for page in previous if _PAGE_PATH.fullmatch(page)]
    pool = workers.enter_context(multiprocessing.get_context("fork").Pool(1))
    return pool.apply_async(_link_paths, (str(target), str(folder), pages), {"ahead": True})


def _linked_ahead(
    failed: list[str],
    target: Path,
    folder: Path,
    previous: Mapping[str, str],
    manifest: Mapping[str, str],
    links: Sequence[Planned],
) -> list[Planned]:
    """After ``_links_ahead``: the pages of the previous site that are no longer pages of
    this one removed (and the folders they leave empty), the unchanged pages it could not link
    linked (or copied) now; gives those whose source is gone, to render."""
    emptied = set()
    for page in previous:
        if page not in manifest and _PAGE_PATH.fullmatch(page):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(folder, page))
            emptied.add(page.rpartition("/")[0])
    for sub in emptied - {""}:
        with contextlib.suppress(OSError):
            os.rmdir(os.path.join(folder, sub))
    missing = {*failed, *(page.path for page in links if not _PAGE_PATH.fullmatch(page.path))}
    return _link_pages(target, folder, [page for page in links if page.path in missing])


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
    fingerprint: str | None = None,
) -> BuildResult:
    """The site of the repository's records, built beside ``out`` and swapped in (see module doc);
    each record read for the first time has its page written as it is read (``OnePass``)."""
    target, previous, folder, lock = _begin_build(out, config, cwd)

    def plan(racy_since: int) -> Iterator[Planned]:
        pages = OnePass(folder, previous, jobs, base_key(fingerprint, lang, as_of, config), lang)
        kpis: list[KpiEntry] = []
        entries = load_entries(
            config, as_of, checked_on, skipped, racy_since=racy_since, pages=pages, kpis=kpis
        )
        same = previous.get(ASSETS[0]) == _key(pages.base, ASSETS[0])  # not on a new day: every key is new
        return plan_pages(entries, as_of, lang, config, fingerprint=fingerprint, kpis=kpis, racy_links=same)

    return _write(target, previous, folder, lock, plan, jobs)


# --- loading the records ---------------------------------------------------------------


def _stamp(key: StatKey, content: bytes | None) -> str:
    """A record file's stamp from its stat key (and the digest of its bytes, when it has one)."""
    size, mtime_ns, ino, ctime_ns = key
    return f"{size}:{mtime_ns}:{ctime_ns}:{ino}" + (f":{content.hex()}" if content is not None else "")


def file_stamp(path: Path | str, racy_since: int | None = None, key: StatKey | None = None) -> str:
    """What changes when a record file is edited: its stat (``key``, when taken already), and
    the digest of its content when it changed at or after ``racy_since`` (too recently for its
    stat to be trusted)."""
    key = key or stat_key(os.stat(path))
    racy = racy_since is not None and max(key[1], key[3]) >= racy_since
    return _stamp(key, file_digest(path) if racy else None)


def repository_path(path: Path, config: Config) -> str:
    """A record's path from the repository's root: what a reader of the site can look up."""
    # a link (one refused: a loop, a link to nothing) is named by its own name, not its target's
    where = Path(os.path.abspath(path)) if path.is_symlink() else real(path) or path.absolute()
    try:
        shown = where.relative_to(config.root.resolve()).as_posix()
    except ValueError:
        shown = path.as_posix()
    return printable(shown)  # a name that is not UTF-8 is shown escaped (\udcbb), never a crash


def _shown_paths(config: Config, found: Scan) -> Callable[[str], str]:
    """``repository_path`` of each file a scan found, as a function of its name: for a walk of the
    whole records folder that met no link, the records folder's own path from the root and then
    the name below it, without resolving every file through the system (a stat for each folder
    of its path); for any other, ``repository_path`` itself."""

    def each(name: str) -> str:
        return repository_path(Path(name), config)

    folder = os.fspath(config.records_dir)
    where = real(config.records_dir) if found.whole and found.clean else None
    if where is None:
        return each
    try:
        prefix = where.relative_to(config.root.resolve()).as_posix()
    except ValueError:
        return each
    prefix = "" if prefix == "." else prefix + "/"
    start = len(folder) + 1

    def below(name: str) -> str:
        if name.startswith(folder) and name[start - 1 : start] == os.sep:
            return printable(prefix + name[start:].replace(os.sep, "/"))
        return each(name)

    return below


def _project_of(path: Path | str, config: Config, checked_on: date, shown: str) -> Project:
    """The full record behind a row, read again when its page has to be rendered."""
    result = check_file(Path(path), config, checked_on, shown)
    return result.require_project(_("the file changed during the build; run it again"))


@dataclass(frozen=True)
class OnePass:
    """How ``load_entries`` writes the page of each record it reads: into the ``folder`` of the
    site being built (unless ``previous``, the previous site's page keys, has it already), on
    ``jobs`` processes, under the key ``plan_pages`` gives it (``base``: ``base_key``), in
    ``lang``."""

    folder: Path
    previous: Mapping[str, str]
    jobs: int
    base: str
    lang: Lang


def load_entries(
    config: Config,
    as_of: date,
    checked_on: date,
    skipped: Skipped,
    *,
    racy_since: int | None = None,
    pages: OnePass | None = None,
    kpis: list[KpiEntry] | None = None,
) -> Iterator[Entry]:
    """Every valid record of the repository as a row (``portfolio.rows``), with its file's stamp
    (``file_stamp``: ``racy_since`` says which files are told apart by content too) and its parts
    of the data files (kept in the index with the row: ``SITE_ROWS``).

    A record the index does not know yet is read once (``_read_once``): its row made and kept,
    and, given ``pages``, its page written into the site being built from the same reading,
    on several processes when there are many. Any other full record is read again only for a
    project page that has to be rendered. A record that is not valid, or a second record of a
    code already seen, is counted in ``skipped`` (``validate`` says what is wrong) and the site
    is built from the others. ``kpis``: a list to which each valid KPI record is added (a
    ``KpiEntry``), in the order of the scan, by the time the last entry has been given.
    """
    store = ix.Index.open(config)
    try:
        found = ix.scan([], config)
        if store is not None:
            racy_since = store.racy_since

        shown_name = _shown_paths(config, found)

        def shown(path: Path) -> str:
            return shown_name(os.fspath(path))

        variant = ix.variant_of(SITE_ROWS.name, as_of, checked_on, shown)
        done = (
            _read_once(found, store, config, as_of, checked_on, variant, pages, shown_name) if store else {}
        )
        met: list[KpiRow] = []
        made = portfolio.rows([], config, as_of, checked_on=checked_on, skipped=skipped, shown=shown,
                              present=SITE_ROWS, index=store, scanned=found, kpis=met)  # fmt: skip
        # A row or a KPI names its file as shown; not every file gives one (a skip gives neither).
        file_of = {
            shown_name(name): (name, key, absolute)
            for (name, _, key), absolute in zip(found.files, found.keys(), strict=True)
        }
        for item in made:
            row = item.row
            name, key, absolute = file_of[row.path]
            stamp, written = done.get(absolute) or (None, None)
            stamp = stamp or file_stamp(name, racy_since, key)
            yield Entry(row, stamp, partial(file_stamp, name, 0, key),
                        partial(_project_of, name, config, checked_on, row.path), item.json, item.csv, written)  # fmt: skip
        if kpis is not None:  # a KPI finds its file (and its stamp) as a project row does
            for kpi_row in met:
                name, key, absolute = file_of[kpi_row.path]
                stamp = (done.get(absolute) or (None, None))[0] or file_stamp(name, racy_since, key)
                load = partial(_kpi_of, Path(name), config, checked_on, kpi_row.path)
                facts = store.facts(absolute) if store is not None else ""
                projects = tuple(json.loads(facts).get("projects", ())) if facts else load().projects
                kpis.append(KpiEntry(kpi_row, stamp, load, projects))
    finally:
        if store is not None:
            store.close()


def _kpi_of(path: Path, config: Config, checked_on: date, shown: str) -> Kpi:
    """The full KPI record behind a KPI page, read again when the page has to be rendered."""
    record = check_file(path, config, checked_on, shown).require_record(
        _("the file changed during the build; run it again")
    )
    if not isinstance(record, Kpi):
        raise ConflictError(_("the file changed during the build; run it again"), path=shown)
    return record


#: Below this many records to read, starting worker processes costs more than it saves.
PARALLEL_RECORDS = 64
#: Up to this many records to read, the files of the same name are found by a search of every
#: path for theirs (a file's stem is part of its path) before the names are taken apart.
FEW_UNKNOWN = 32


@dataclass(frozen=True)
class _Reading:
    """What the processes of ``_read_once`` need (inherited by forked workers)."""

    config: Config
    as_of: date
    checked_on: date
    racy_since: int | None
    pages: OnePass | None
    shown: Callable[[str], str]


_READING: list[_Reading] = []


def _read_and_render(
    task: tuple[str, StatKey | None, bool],
) -> tuple[Checked, Any, str | None, str | None]:
    """Read and check one record (``index.check_path_project``); when it is valid, its row as
    ``SITE_ROWS`` keeps it (from the facts, as ``portfolio.rows`` does; made and encoded here, on
    the worker, so the process storing the results only stores them), its stamp, and, when its
    page may be written here and is not the previous site's, the page, rendered from the same
    reading and written into the site being built (then its key is returned too)."""
    name, scanned, page_allowed = task
    ctx = _READING[0]
    checked, project = ix.check_path_project(name, ctx.config, ctx.checked_on, ctx.racy_since)
    if checked.stat is None:
        return checked, None, None, None
    stamp = _stamp(checked.stat, checked.digest)
    if project is None or not checked.facts or ix.skip_reason(checked.findings_json, True) is not None:
        return checked, None, stamp, None
    kept_facts = json.loads(checked.facts)
    if kept_facts.get("kind", "project") != "project":
        return checked, None, stamp, None  # a KPI: no project row nor page (yet)
    facts = portfolio.project_from_facts(kept_facts)
    row = portfolio.build_row(facts, compute_status(facts, ctx.as_of, ctx.config), ctx.shown(name))
    written = None
    pages = ctx.pages
    if pages is not None and page_allowed and checked.stat == scanned:
        path, key = project_page(row.code), _key(pages.base, row.path, stamp)
        if pages.previous.get(path) != key:
            _put(pages.folder, path, render_project(project, row, ctx.as_of, pages.lang, ctx.config))
            written = key
    return checked, _site_encode(_site_make(row)), stamp, written


def _read_chunk(
    tasks: list[tuple[str, StatKey | None, bool]],
) -> list[tuple[Checked, Any, str | None, str | None]]:
    return [_read_and_render(task) for task in tasks]


def _read_once(
    found: Scan,
    store: Index,
    config: Config,
    as_of: date,
    checked_on: date,
    variant: str,
    pages: OnePass | None,
    shown: Callable[[str], str],
) -> dict[str, tuple[str | None, str | None]]:
    """Read every record the index does not know (or no longer trusts) once, on ``pages``'
    processes when there are many: store what the index keeps of it and its row for the site
    (so ``portfolio.rows`` finds both), and write its page. Gives, by the file's absolute path,
    its stamp and the key its page was written under (None: not written here).

    A page is written here only when no other record file has its name (a record's file is
    named after its code): of two files of one name, the first valid one has the page, and
    that is for the plan to find out."""
    # Unknown: no entry, or one of another stat. An entry of this stat the index no longer
    # trusts (findings of another day, a racy file's content) is for ``portfolio.rows`` to find
    # and read again; only its page is then rendered apart, from a second reading.
    known = store.held(found.keys(), found.files.stat_key, None)
    unknown = [
        (name, key, absolute)  # the index knows a file by its scan's key (``Scan.keys``)
        for (name, refused, key), absolute, entry in zip(found.files, found.keys(), known, strict=True)
        if not refused and entry is None
    ]
    del known
    if not unknown:
        return {}
    stems = [path_names(name)[0] for name, _, _ in unknown]
    others: Iterable[str] = (name for name, refused, _ in found.files if not refused)
    if len(unknown) <= FEW_UNKNOWN:  # a rebuild: only the files whose path holds one of those names
        holds = re.compile("|".join(re.escape(stem) for stem in set(stems))).search
        others = [name for name in others if holds(name)]
    names = Counter(path_names(name)[0] for name in others)
    tasks = [(name, key, names[stem] == 1) for (name, key, _), stem in zip(unknown, stems, strict=True)]
    _READING[:] = [_Reading(config, as_of, checked_on, store.racy_since, pages, shown)]
    jobs = pages.jobs if pages is not None else 1
    done: dict[str, tuple[str | None, str | None]] = {}
    kept: list[tuple[str, str, str, Any]] = []
    stored: list[tuple[str, Checked]] = []  # stored a batch at a time: one statement each
    day = checked_on.isoformat()
    try:
        for (_, _, path), (checked, made, stamp, written) in zip(
            unknown, _in_order(tasks, jobs), strict=True
        ):
            stored.append((path, checked))
            if len(stored) == portfolio.KEEP_BATCH:
                store.store_many(stored)  # its row is looked up next
                stored.clear()
            if made is not None:
                kept.append((path, variant, day, made))
            done[path] = (stamp, written)
    finally:
        _READING.clear()
    store.store_many(stored)
    store.keep(kept, day)
    return done


def _in_order(
    tasks: list[tuple[str, StatKey | None, bool]], jobs: int
) -> Iterator[tuple[Checked, Any, str | None, str | None]]:
    """``_read_and_render`` of each task, in order: on a pool of ``jobs`` forked processes (a
    plain ``concurrent.futures`` pool) when there are many, a few chunks ahead at a time."""
    if jobs < 2 or len(tasks) < PARALLEL_RECORDS or "fork" not in multiprocessing.get_all_start_methods():
        for task in tasks:
            yield _read_and_render(task)
        return
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"))
    yield from ix.in_chunks_ahead(pool, _read_chunk, tasks, size=16, ahead=4 * jobs)
