"""The monthly progress chart of the printed form: actual progress against expected, as inline SVG.

Readable without colour: the two series differ by line style (solid / dashed) and marker
(circle / square), the legend says so in words, every actual point carries its value, and the
SVG has a ``<title>`` and a ``<desc>`` listing every value for screen readers and text search.
Everything printed is a number or a fixed label; any text is escaped anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape

from .calendar import MONTHS_TH_SHORT, add_months, format_be, month_end, month_number, to_be
from .record import Project, Report
from .status import expected_progress

TITLE = "ความก้าวหน้าของงาน (%) รายเดือน: ผลจริงเทียบกับแผน"
ACTUAL = "ผลจริง (เส้นทึบ จุดวงกลม)"
EXPECTED = "ตามแผน (เส้นประ จุดสี่เหลี่ยม)"
MAX_MONTHS = 60

WIDTH, HEIGHT = 680, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 56, 44


@dataclass(frozen=True)
class Month:
    """One month on the x axis: its label, the expected % at its end, the reported % if any."""

    index: int
    label: str
    expected: Decimal
    actual: Decimal | None


def months(project: Project, reports: tuple[Report, ...]) -> list[Month]:
    """From the start's month to the end's month (or the latest report's, if later)."""
    last = project.end
    if reports and reports[-1].date > last:
        last = reports[-1].date
    count = min(max(month_number(project.start, last), 1), MAX_MONTHS)
    actual: dict[int, Decimal] = {}
    for report in reports:
        actual[month_number(project.start, report.date)] = report.progress
    out = []
    for index in range(1, count + 1):
        year, month = add_months(project.start.year, project.start.month, index - 1)
        day = min(month_end(year, month), project.end) if index < count else project.end
        day = max(day, project.start)
        label = f"{MONTHS_TH_SHORT[month - 1]}{str(to_be(year))[-2:]}"
        out.append(Month(index, label, expected_progress(project, day), actual.get(index)))
    return out


def _fmt(value: Decimal) -> str:
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.1f}"


def progress_chart(project: Project, reports: tuple[Report, ...], as_of: date) -> str:
    """The chart as an ``<svg>`` element (a string of markup, every text escaped)."""
    data = months(project, reports)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(data), 1)

    def x(index: int) -> float:
        return LEFT + step * (index - 0.5)

    def y(value: Decimal) -> float:
        clamped = min(max(float(value), 0.0), 100.0)
        return TOP + plot_h * (1 - clamped / 100)

    desc = "; ".join(
        f"{m.label}: ตามแผน {_fmt(m.expected)}%"
        + (f", ผลจริง {_fmt(m.actual)}%" if m.actual is not None else "")
        for m in data
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="100%" role="img" aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">{escape(TITLE)}</title>',
        f'<desc id="chart-desc">{escape(desc)}</desc>',
        f'<text x="{WIDTH / 2}" y="18" text-anchor="middle" class="chart-title">{escape(TITLE)}</text>',
    ]
    # Legend, in words and line styles.
    parts += [
        f'<line x1="{LEFT}" y1="36" x2="{LEFT + 28}" y2="36" class="actual"/>',
        f'<circle cx="{LEFT + 14}" cy="36" r="3.5" class="actual-point"/>',
        f'<text x="{LEFT + 34}" y="40">{escape(ACTUAL)}</text>',
        f'<line x1="{LEFT + 300}" y1="36" x2="{LEFT + 328}" y2="36" class="expected"/>',
        f'<rect x="{LEFT + 311}" y="33" width="6" height="6" class="expected-point"/>',
        f'<text x="{LEFT + 334}" y="40">{escape(EXPECTED)}</text>',
    ]
    for tick in range(0, 101, 25):
        ty = y(Decimal(tick))
        parts.append(f'<line x1="{LEFT}" y1="{ty:.1f}" x2="{WIDTH - RIGHT}" y2="{ty:.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end">{tick}</text>')
    every = max(1, (len(data) + 11) // 12)
    # Each month's position, worked out once and written as every element shows it.
    xs = [f"{x(m.index):.1f}" for m in data]
    expected_ys = [y(m.expected) for m in data]
    for m, mx in zip(data, xs, strict=True):
        if (m.index - 1) % every == 0:
            parts.append(
                f'<text x="{mx}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{escape(m.label)}</text>'
            )
    expected_points = " ".join(f"{mx},{ey:.1f}" for mx, ey in zip(xs, expected_ys, strict=True))
    parts.append(f'<polyline points="{expected_points}" class="expected"/>')
    for m, ey in zip(data, expected_ys, strict=True):
        parts.append(
            f'<rect x="{x(m.index) - 3:.1f}" y="{ey - 3:.1f}" width="6" height="6" class="expected-point"/>'
        )
    reported = [(mx, y(m.actual), m.actual) for m, mx in zip(data, xs, strict=True) if m.actual is not None]
    if reported:
        parts.append(
            f'<polyline points="{" ".join(f"{mx},{my:.1f}" for mx, my, _ in reported)}" class="actual"/>'
        )
    for mx, my, actual in reported:
        parts.append(f'<circle cx="{mx}" cy="{my:.1f}" r="3.5" class="actual-point"/>')
        parts.append(
            f'<text x="{mx}" y="{my - 8:.1f}" text-anchor="middle" class="value">{_fmt(actual)}</text>'
        )
    parts.append(
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end" class="note">'
        f"{escape('ข้อมูล ณ ' + format_be(as_of))}</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)
