"""The monthly progress chart of the printed form: actual progress against expected, as inline SVG.

Readable without colour: the two series differ by line style (solid / dashed) and marker
(circle / square), the legend says so in words, every actual point carries its value, and the
SVG has a ``<title>`` and a ``<desc>`` listing every value for screen readers and text search.
Everything printed is a number or a fixed label; any text is escaped anyway.

The chart's words are Thai or English (``lang``). Its text is laid out for the larger type a
phone's stylesheet gives it (the SVG is scaled down there): month labels and point values that
would touch at that size carry the class ``wide-only``, which ``site.css`` hides on a narrow
screen, so the labels left never overlap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from html import escape

from .calendar import MONTHS_TH_SHORT, add_months, format_be, month_end, month_number, to_be
from .labels import Lang
from .record import Project, Report
from .status import expected_progress

#: The chart's own words, Thai and English.
WORDS: dict[str, dict[Lang, str]] = {
    "title": {
        "th": "ความก้าวหน้าของงาน (%) รายเดือน: ผลจริงเทียบกับแผน",
        "en": "Progress by month (%): actual against plan",
    },
    "actual_key": {"th": "ผลจริง (เส้นทึบ จุดวงกลม)", "en": "actual (solid line, dots)"},
    "expected_key": {"th": "ตามแผน (เส้นประ จุดสี่เหลี่ยม)", "en": "plan (dashed line, squares)"},
    "actual": {"th": "ผลจริง", "en": "actual"},
    "expected": {"th": "ตามแผน", "en": "plan"},
    "as_of": {"th": "ข้อมูล ณ", "en": "as of"},
}
MONTHS_EN_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_MONTHS = 60

WIDTH, HEIGHT = 680, 360
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 84, 78
#: Below this line a value written above its point would touch the legend: it goes under the point.
VALUE_ABOVE_FROM = 98
#: Room a month label or a point's value needs, in chart units, at the larger size of a phone
#: (site.css) and at the size of a wide screen or paper.
LABEL_ROOM_NARROW, LABEL_ROOM_WIDE = 84, 50
VALUE_ROOM_NARROW, VALUE_ROOM_WIDE = 44, 30


@dataclass
class Month:
    """One month on the x axis: its label, the expected % at its end, the reported % if any."""

    index: int
    label: str
    expected: Decimal
    actual: Decimal | None


def _every(step: float, room: int, base: int = 1) -> int:
    """Show one label in this many so that labels ``room`` wide never touch; a multiple of ``base``."""
    every = base
    while step * every < room:
        every += base
    return every


def months(project: Project, reports: tuple[Report, ...], lang: Lang = "th") -> list[Month]:
    """From the start's month to the end's month (or the latest report's, if later)."""
    last = max(project.end, reports[-1].date) if reports else project.end
    count = min(max(month_number(project.start, last), 1), MAX_MONTHS)
    actual = {month_number(project.start, report.date): report.progress for report in reports}
    out = []
    for index in range(1, count + 1):
        year, month = add_months(project.start.year, project.start.month, index - 1)
        day = max(min(month_end(year, month), project.end) if index < count else project.end, project.start)
        name = MONTHS_TH_SHORT[month - 1] if lang == "th" else MONTHS_EN_SHORT[month - 1] + " "
        label = f"{name}{str(to_be(year))[-2:]}"  # ต.ค.64 / Oct 64: with the BE year's last two digits
        out.append(Month(index, label, expected_progress(project, day), actual.get(index)))
    return out


def _fmt(value: Decimal) -> str:
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.1f}"


def _y(value: Decimal) -> float:
    clamped = min(max(float(value), 0.0), 100.0)
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - clamped / 100)


@cache
def _fixed(lang: Lang) -> tuple[dict[str, str], str, str]:
    """The chart's words in ``lang``, and what every chart draws alike, before its description
    (the opening tag, the title) and after it (the heading, the legend, the grid): made once."""
    words = {key: value[lang] for key, value in WORDS.items()}
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="chart-title chart-desc">\n'
        f'<title id="chart-title">{escape(words["title"])}</title>'
    )
    frame = [
        f'<text x="{WIDTH / 2}" y="22" text-anchor="middle" class="chart-title">{escape(words["title"])}</text>',
        # Legend, in words and line styles, on its own line below the title.
        f'<line x1="{LEFT}" y1="50" x2="{LEFT + 28}" y2="50" class="actual"/>',
        f'<circle cx="{LEFT + 14}" cy="50" r="3.5" class="actual-point"/>',
        f'<text x="{LEFT + 34}" y="55">{escape(words["actual_key"])}</text>',
        f'<line x1="{LEFT + 316}" y1="50" x2="{LEFT + 344}" y2="50" class="expected"/>',
        f'<rect x="{LEFT + 327}" y="47" width="6" height="6" class="expected-point"/>',
        f'<text x="{LEFT + 350}" y="55">{escape(words["expected_key"])}</text>',
    ]
    for tick in range(0, 101, 25):
        ty = _y(Decimal(tick))
        frame.append(f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{WIDTH - RIGHT}" y2="{ty:.1f}" class="grid"/>')
        frame.append(f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">{tick}</text>')
    return words, head, "\n".join(frame)


def progress_chart(project: Project, reports: tuple[Report, ...], as_of: date, lang: Lang = "th") -> str:
    """The chart as an ``<svg>`` element (a string of markup, every text escaped)."""
    words, head, frame = _fixed(lang)
    data = months(project, reports, lang)
    step = (WIDTH - LEFT - RIGHT) / max(len(data), 1)

    def x(index: int) -> float:
        return LEFT + step * (index - 0.5)

    desc = "; ".join(
        f"{m.label}: {words['expected']} {_fmt(m.expected)}%"
        + (f", {words['actual']} {_fmt(m.actual)}%" if m.actual is not None else "")
        for m in data
    )
    parts = [head, f'<desc id="chart-desc">{escape(desc)}</desc>', frame]
    every = _every(step, LABEL_ROOM_WIDE)
    narrow = _every(step, LABEL_ROOM_NARROW, every)
    # Each month's position, worked out once and written as every element shows it.
    xs = [f"{x(m.index):.1f}" for m in data]
    expected_ys = [_y(m.expected) for m in data]
    for m, mx in zip(data, xs, strict=True):
        if (m.index - 1) % every == 0:
            wide_only = ' class="wide-only"' if (m.index - 1) % narrow else ""
            parts.append(
                f'<text x="{mx}" y="{HEIGHT - BOTTOM + 42}" text-anchor="middle"{wide_only}>{escape(m.label)}</text>'
            )
    expected_points = " ".join(f"{mx},{ey:.1f}" for mx, ey in zip(xs, expected_ys, strict=True))
    parts.append(f'<polyline points="{expected_points}" class="expected"/>')
    for m, ey in zip(data, expected_ys, strict=True):
        parts.append(
            f'<rect x="{x(m.index) - 3:.1f}" y="{ey - 3:.1f}" width="6" height="6" class="expected-point"/>'
        )
    reported = [(mx, _y(m.actual), m.actual) for m, mx in zip(data, xs, strict=True) if m.actual is not None]
    if reported:
        parts.append(
            f'<polyline points="{" ".join(f"{mx},{my:.1f}" for mx, my, _ in reported)}" class="actual"/>'
        )
    # A point's value is written where it has room beside the last value written (wide), and
    # kept on a phone only where it has the phone's larger room.
    last_wide = last_narrow = -1e9
    for mx, my, actual in reported:
        parts.append(f'<circle cx="{mx}" cy="{my:.1f}" r="3.5" class="actual-point"/>')
        at = float(mx)
        if at - last_wide < VALUE_ROOM_WIDE:
            continue
        last_wide = at
        kept = at - last_narrow >= VALUE_ROOM_NARROW
        last_narrow = at if kept else last_narrow
        css = "value" if kept else "value wide-only"
        vy = my - 8 if my >= VALUE_ABOVE_FROM else my + 30
        parts.append(f'<text x="{mx}" y="{vy:.1f}" text-anchor="middle" class="{css}">{_fmt(actual)}</text>')
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 2}" text-anchor="end" class="note">'
        f"{escape(words['as_of'] + ' ' + format_be(as_of))}</text>"
    )
    return "\n".join(parts) + "\n</svg>"
