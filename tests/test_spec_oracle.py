"""A second, independent reading of SPEC.md: an oracle of the calendar, the rules and the status.

The oracle below is written from the SPEC's text alone ("Thai calendar", "Rules that validate
checks", "Computed status", "Repository config"); it imports nothing of projledger's status or
rules code, so a misreading shared by the code and its own tests shows here as a disagreement.
A hypothesis strategy makes varied valid format-1 records (dates around month ends, fiscal year
boundaries and leap days, plans given or not, reports on the first and last days of months, as-of
days on boundaries, tolerance and quarterly targets from a ``projledger.toml``); each example is
one repository, read by ``projledger status --format json`` and ``projledger validate --format
json``, and what they say is compared with the oracle's figures and findings.

Where the SPEC leaves a choice open, the oracle takes the reading the tool takes and says so
(``SPEC silent:``), for the lead to confirm or change; everything else is the SPEC's word.

Marked ``fuzz`` like the other property tests: a short deterministic profile by default,
thousands of examples with ``PROJLEDGER_FUZZ=long``.
"""

from __future__ import annotations

import calendar
import itertools
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import run

pytestmark = pytest.mark.fuzz

LONG = os.environ.get("PROJLEDGER_FUZZ") == "long"
ORACLE = settings(
    max_examples=2000 if LONG else 100,
    deadline=None,
    derandomize=not LONG,  # the short run is the same every time: CI stays deterministic
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- The oracle: the SPEC's words as code -------------------------------------------------------

DEFAULT_TOLERANCE = Decimal(10)
DEFAULT_TARGETS = (Decimal(32), Decimal(54), Decimal(77), Decimal(100))
#: "a few days' grace into the next month": how many the tool allows is its choice.
GRACE_DAYS = 7
RANK = {"behind": 0, "watch": 1, "on_plan": 2}


def be_year(day: date) -> int:
    """Buddhist Era year = Gregorian + 543."""
    return day.year + 543


def fiscal_year_of(day: date) -> int:
    """FY N runs 1 October of N-544 to 30 September of N-543."""
    return be_year(day) + (1 if day.month >= 10 else 0)


def fiscal_year_bounds(year: int) -> tuple[date, date]:
    return date(year - 544, 10, 1), date(year - 543, 9, 30)


def quarter_end(year: int, quarter: int) -> date:
    """The last day of fiscal quarter 1-4 of FY ``year`` (quarter 1 is Oct-Dec)."""
    first, _ = fiscal_year_bounds(year)
    month = first.month + 3 * quarter - 1  # 12, 15, 18, 21
    y, m = first.year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(y, m, calendar.monthrange(y, m)[1])


def fiscal_month(day: date) -> int:
    """Fiscal month 1 is October."""
    return (day.month - 10) % 12 + 1


def fiscal_quarter(day: date) -> int:
    return (fiscal_month(day) - 1) // 3 + 1


def months_from(start: date, day: date) -> int:
    """The month ``day`` lies in, counted from ``start``'s month as 1."""
    return (day.year - start.year) * 12 + day.month - start.month + 1


def month_end(start: date, n: int) -> date:
    """The last day of the ``n``-th month counted from ``start``'s month as 1."""
    index = start.month - 1 + n - 1
    y, m = start.year + index // 12, index % 12 + 1
    return date(y, m, calendar.monthrange(y, m)[1])


def month_first(start: date, n: int) -> date:
    return month_end(start, n).replace(day=1)


def rounded(value: Fraction | Decimal | None) -> Decimal | None:
    """Two decimals, as the JSON carries them; half up, as a Thai clerk rounds."""
    if value is None:
        return None
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass
class Report:
    no: int
    day: date
    progress: Decimal
    disbursed: Decimal
    plan_status: str
    target_status: str = "on_target"
    event: str | None = None


@dataclass
class Project:
    code: str
    fiscal_year: int
    start: date
    end: date
    budget: Decimal
    plan: list[Decimal] | None = None
    reports: list[Report] = field(default_factory=list)
    #: How its numbers are spelled in TOML (``toml_number``): the same values, other texts.
    style: int = 0
    #: The file's name when it is not the code's (an error).
    file_name: str | None = None


@dataclass
class Settings:
    tolerance: Decimal = DEFAULT_TOLERANCE
    default_targets: tuple[Decimal, ...] = DEFAULT_TARGETS
    targets_by_year: dict[int, tuple[Decimal, ...]] = field(default_factory=dict)
    records: str = "records"
    #: The repository's code pattern, when projledger.toml sets one.
    code_pattern: str | None = None

    def targets(self, year: int) -> tuple[Decimal, ...]:
        return self.targets_by_year.get(year, self.default_targets)


def expected(project: Project, day: date) -> Fraction:
    """Expected progress on ``day``: from the plan when given, else linear start 0 % -> end 100 %.

    The plan is the planned cumulative % at the end of each month from the start's month; the
    SPEC does not say what lies between two month ends. Read here as a straight line between
    them, the plan's last value after the last. SPEC silent: where the line of the first month
    starts. Decided (the lead): from 0 % on the start day, as the linear rule's line does. SPEC
    silent: start = end (a one-day project), where 0 % at the start and 100 % at the end meet;
    decided: the end's 100 %, the project being due whole on its day."""
    if project.plan:
        points = [(project.start, Fraction(0))]
        points += [(month_end(project.start, n), Fraction(v)) for n, v in enumerate(project.plan, 1)]
        if day <= project.start:
            return Fraction(0)
        for (d0, v0), (d1, v1) in itertools.pairwise(points):
            if day <= d1:
                return v0 + (v1 - v0) * Fraction((day - d0).days, (d1 - d0).days)
        return points[-1][1]
    if day >= project.end:
        return Fraction(100)
    if day <= project.start:
        return Fraction(0)
    return Fraction(100 * (day - project.start).days, (project.end - project.start).days)


def judged(variance: Fraction, tolerance: Decimal) -> str:
    """on_plan if variance >= 0, watch if within the tolerance, else behind. SPEC silent: the
    variance judged exactly or as shown (to the hundredth); decided: as shown, half up."""
    shown = Fraction(math.floor(abs(variance) * 100 + Fraction(1, 2)), 100) * (1 if variance >= 0 else -1)
    if shown >= 0:
        return "on_plan"
    return "watch" if shown >= -Fraction(tolerance) else "behind"


def status(project: Project, as_of: date, config: Settings) -> dict[str, object]:
    """What ``status --format json`` should say of ``project`` as of ``as_of``."""
    filed = [r for r in project.reports if r.day <= as_of]
    latest = filed[-1] if filed else None
    if latest is not None and latest.event:
        state = latest.event
    elif as_of < project.start:  # SPEC silent: even when a report was filed before the start
        state = "not_started"
    else:
        state = "active"
    row: dict[str, object] = {"state": state}
    due = max(0, months_from(project.start, as_of) - 1)
    # SPEC silent: whether "for active projects only" binds due too; the tool gives 0 due of a
    # project not active (none is due of a closed or not yet started one).
    due = due if state == "active" else 0
    row.update(due=due, filed=len(filed), late=state == "active" and as_of > project.end)
    row["overdue"] = max(0, due - len(filed)) if state == "active" else 0
    row["budget"] = project.budget
    if latest is None:
        row.update(latest_no=None, latest_date=None, progress=None, expected=None, variance=None)
        # SPEC silent: with no report nothing is disbursed yet (0), not unknown
        row.update(computed_plan_status=None, disbursed=Decimal(0))
        row["disbursement_rate"] = None if project.budget == 0 else Decimal(0)
    else:
        exp = expected(project, latest.day)
        variance = Fraction(latest.progress) - exp
        row.update(latest_no=latest.no, latest_date=latest.day.isoformat(), progress=rounded(latest.progress))
        row.update(expected=rounded(exp), variance=rounded(variance), disbursed=latest.disbursed)
        row["computed_plan_status"] = latest.event or judged(variance, config.tolerance)
        row["disbursement_rate"] = (
            None
            if project.budget == 0
            else rounded(Fraction(latest.disbursed) * 100 / Fraction(project.budget))
        )
    # The target: the cumulative % of the last quarter of the project's fiscal year ended by as_of.
    targets = config.targets(project.fiscal_year)
    ended = [q for q in range(1, 5) if quarter_end(project.fiscal_year, q) <= as_of]
    target = targets[ended[-1] - 1] if ended else None
    row["disbursement_target"] = target
    rate = row["disbursement_rate"]
    row["disbursement_gap"] = None if rate is None or target is None else rate - target  # type: ignore[operator]
    by_quarter: list[Decimal | None] = []
    for q in range(1, 5):
        end = quarter_end(project.fiscal_year, q)
        known = [r for r in filed if r.day <= end]
        by_quarter.append(None if end > as_of else (known[-1].disbursed if known else Decimal(0)))
    row["disbursed_by_quarter"] = by_quarter
    return row


@dataclass(frozen=True, order=True)
class Finding:
    rule: str
    field: str
    severity: str


def findings(project: Project, as_of: date, config: Settings) -> set[Finding]:
    """What ``validate --format json --as-of`` should find in ``project``."""
    found: set[Finding] = set()

    def error(rule: str, where: str) -> None:
        found.add(Finding(rule, where, "error"))

    def warning(rule: str, where: str) -> None:
        found.add(Finding(rule, where, "warning"))

    if project.file_name:
        error("file-name", "code")
    if config.code_pattern and not re.search(config.code_pattern, project.code):
        error("code-pattern", "code")
    if project.start > project.end:
        error("start-after-end", "start")
    reports = project.reports
    for i, report in enumerate(reports, 1):
        if report.day > as_of:
            error("future-report", f"reports[{i}].date")
    closing = next((i for i, r in enumerate(reports, 1) if r.event), len(reports))
    for i in range(closing + 1, len(reports) + 1):  # each report after the closing one
        error("after-event", f"reports[{i}]")
    for i in range(2, len(reports) + 1):
        before, report = reports[i - 2], reports[i - 1]
        if report.no <= before.no:
            error("report-number-order", f"reports[{i}].no")
        if report.day < before.day:
            error("report-date-order", f"reports[{i}].date")
        if report.progress < before.progress:
            warning("progress-dip", f"reports[{i}].progress")
        if report.disbursed < before.disbursed:
            warning("disbursed-dip", f"reports[{i}].disbursed")
        if report.no > before.no + 1:  # report N is the Nth month's: a number skipped is a month
            warning("missing-month", f"reports[{i}]")
    for i, report in enumerate(reports, 1):
        if report.disbursed > project.budget:
            warning("over-budget", f"reports[{i}].disbursed")
        first, last = month_first(project.start, report.no), month_end(project.start, report.no)
        if not first <= report.day <= last + timedelta(days=GRACE_DAYS):
            warning("report-month", f"reports[{i}].date")
        if report.event == "completed" and report.progress < 100:
            warning("completed-below-100", f"reports[{i}].progress")
        computed = judged(Fraction(report.progress) - expected(project, report.day), config.tolerance)
        if RANK[report.plan_status] > RANK[computed]:
            warning("optimistic-status", f"reports[{i}].plan_status")
    return found


# --- Records as TOML text: we write them, so we know each key's line ----------------------------


def toml_number(value: Decimal, style: int = 0) -> str:
    """``value`` as people write TOML numbers: as it is, always with a point (``50.0``), with
    underscores between thousands (``1_250_000.50``), or with an exponent (``354e4``, ``13e-2``)."""
    style %= 4
    if style == 1:
        return str(value) if "." in str(value) else f"{value}.0"
    if style == 2:
        whole, _, cents = f"{value:,}".partition(".")
        return whole.replace(",", "_") + (f".{cents}" if cents else "")
    if style == 3 and value:
        _, digits, exponent = value.normalize().as_tuple()
        return "".join(map(str, digits)) + f"e{exponent}"
    return str(value)


def record_text(project: Project) -> tuple[str, dict[str, int]]:
    """The record's TOML, and the line (1-based) of each field path a finding may name."""
    lines = [
        "format = 1",
        f'code = "{project.code}"',
        'name = "โครงการทดสอบตามสเปก"',
        f"fiscal_year = {project.fiscal_year}",
        f"start = {project.start.isoformat()}",
        f"end = {project.end.isoformat()}",
        f"budget = {toml_number(project.budget, project.style)}",
    ]
    if project.plan is not None:
        lines.append(
            "plan = ["
            + ", ".join(toml_number(v, project.style + n) for n, v in enumerate(project.plan))
            + "]"
        )
    lines += ["", "[agency]", 'department = "สำนักงานเขตทดสอบ"']
    where = {"code": 2, "start": 5, "end": 6, "budget": 7}
    for i, report in enumerate(project.reports, 1):
        lines += ["", "[[reports]]"]
        where[f"reports[{i}]"] = len(lines)
        for key, value in (
            ("no", str(report.no)),
            ("date", report.day.isoformat()),
            ("progress", toml_number(report.progress, project.style + i)),
            ("disbursed", toml_number(report.disbursed, project.style * i)),
            ("plan_status", f'"{report.plan_status}"'),
            ("target_status", f'"{report.target_status}"'),
            ("note", '"ดำเนินการตามแผน"'),
        ):
            lines.append(f"{key} = {value}")
            where[f"reports[{i}].{key}"] = len(lines)
        if report.event:
            lines.append(f'event = "{report.event}"')
            where[f"reports[{i}].event"] = len(lines)
    return "\n".join(lines) + "\n", where


def config_text(config: Settings) -> str:
    lines = ['language = "en"', f"tolerance = {config.tolerance}", f'records = "{config.records}"']
    if config.code_pattern:
        lines.append(f"code_pattern = '{config.code_pattern}'")
    lines += ["", "[disbursement_targets]"]
    lines.append("default = [" + ", ".join(str(t) for t in config.default_targets) + "]")
    for year, targets in sorted(config.targets_by_year.items()):
        lines.append(f'"{year}" = [' + ", ".join(str(t) for t in targets) + "]")
    return "\n".join(lines) + "\n"


# --- The strategy: varied valid format-1 records -------------------------------------------------

TWO_DECIMALS = Decimal("0.01")
#: Reports are dated before the day this test runs (status skips a record with a report after
#: today, whatever the as-of day): this file was written in December 2026.
LAST_REPORT_DAY = date(2026, 6, 30)
#: Durations whose linear expected progress is exact to 2 decimals (100 * k / n), or to 3 (800).
EXACT_DAYS = [0, 1, 25, 50, 100, 200, 365, 366, 400, 500, 800]


def last_day(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


@st.composite
def near(draw: st.DrawFn, anchors: list[date]) -> date:
    """A day on or next to one of ``anchors`` (a boundary), or a few weeks around one."""
    anchor = draw(st.sampled_from(anchors))
    shift = draw(st.one_of(st.sampled_from([0, 0, -1, 1]), st.integers(-40, 40)))
    return anchor + timedelta(days=shift)


def boundaries(year: int) -> list[date]:
    """Fiscal year and quarter edges, month ends, and leap days around FY ``year``."""
    first, last = fiscal_year_bounds(year)
    days = [first, last, *(quarter_end(year, q) for q in range(1, 5))]
    days += [
        last_day(first.year + (first.month + k - 1) // 12, (first.month + k - 1) % 12 + 1) for k in range(12)
    ]
    days += [date(y, 2, 29) for y in (first.year, last.year) if calendar.isleap(y)]
    return days


@st.composite
def report_day(draw: st.DrawFn, start: date, no: int) -> date:
    """A day for report ``no``: in its month (first, last, middle), a few days into the next one,
    or (rarely) well outside it."""
    first, last = month_first(start, no), month_end(start, no)
    kind = draw(
        st.sampled_from(["first", "last", "last", "middle", "any", "grace", "grace", "early", "late"])
    )
    if kind == "first":
        return first
    if kind == "last":
        return last - timedelta(days=draw(st.integers(0, 1)))
    if kind == "middle":
        return first.replace(day=15)
    if kind == "any":
        return first + timedelta(days=draw(st.integers(0, (last - first).days)))
    if kind == "grace":
        return last + timedelta(days=draw(st.integers(1, 12)))
    if kind == "early":
        return first - timedelta(days=draw(st.integers(1, 20)))
    return last + timedelta(days=draw(st.integers(13, 60)))


def percent(value: Fraction | Decimal) -> Decimal:
    """``value`` as a progress a clerk types: 0 to 100, two decimals."""
    return min(max(rounded(value), Decimal(0)), Decimal(100))  # type: ignore[type-var]


@st.composite
def projects(draw: st.DrawFn, code: str, config: Settings) -> Project:
    year = draw(st.integers(2561, 2568))
    start = draw(near(boundaries(year)))
    if draw(st.integers(0, 19)) == 0:
        end = start - timedelta(days=draw(st.integers(1, 40)))  # start after end: an error
    else:
        end = start + timedelta(days=draw(st.one_of(st.sampled_from(EXACT_DAYS), st.integers(0, 900))))
        if draw(st.booleans()):
            end = draw(near([end, *boundaries(fiscal_year_of(end))[:6]]))
            end = max(end, start)
    budget = draw(
        st.sampled_from([Decimal(0), Decimal("100000"), Decimal("3540000.00"), Decimal("1250000.50")])
    )
    project = Project(code, year, start, end, budget, style=draw(st.integers(0, 3)))
    months = max(1, months_from(start, end))
    if draw(st.integers(0, 4)) < 2:
        steps = draw(st.lists(st.integers(0, 4000), min_size=1, max_size=months + 2))
        plan, total = [], 0
        for step in steps:
            total = min(10000, total + step)
            plan.append(Decimal(total) / 100)
        if draw(st.booleans()):
            plan[-1] = Decimal(100)
        project.plan = plan if draw(st.integers(0, 9)) else []  # an empty plan is no plan
    no, previous = 0, None
    for _ in range(draw(st.integers(0, 7)) or draw(st.integers(0, 15))):
        no += draw(st.sampled_from([1, 1, 1, 1, 1, 1, 2, 3, 0]))
        no = max(no, 1)
        day = draw(report_day(start, no))
        if day > LAST_REPORT_DAY:
            break
        if previous is not None and day < previous.day and draw(st.integers(0, 3)) > 0:
            day = previous.day
        exp = expected(project, day)
        tolerance = Fraction(config.tolerance)
        aim = draw(st.sampled_from([exp, exp - tolerance]))  # the edges of on_plan and of watch
        nudge = draw(st.sampled_from([Decimal(0), Decimal(0), Decimal("0.01"), Decimal("-0.01")]))
        if draw(st.integers(0, 3)) == 0:  # anywhere, to 2 decimals or (rarely) 3
            progress = Decimal(draw(st.integers(0, 10000))) / 100
            if draw(st.integers(0, 3)) == 0:
                progress = Decimal(draw(st.integers(0, 100000))) / 1000
        else:
            progress = percent(percent(aim) + nudge)
        if previous is not None and draw(st.integers(0, 9)) > 0:
            progress = max(progress, previous.progress)
        spent = (budget * Decimal(draw(st.integers(0, 110))) / 100).quantize(TWO_DECIMALS)
        if previous is not None and draw(st.integers(0, 9)) > 0:
            spent = max(spent, previous.disbursed)
        reported = draw(st.sampled_from(["on_plan", "watch", "behind"]))
        report = Report(
            no, day, progress, spent, reported, draw(st.sampled_from(["on_target", "off_target"]))
        )
        project.reports.append(report)
        previous = report
    if project.reports and draw(st.integers(0, 4)) == 0:
        event = draw(st.sampled_from(["completed", "cancelled"]))
        index = (
            len(project.reports) - 1
            if draw(st.integers(0, 5))
            else draw(st.integers(0, len(project.reports) - 1))
        )
        project.reports[index].event = event
        if event == "completed" and draw(st.booleans()):
            project.reports[index].progress = Decimal(100)
    return project


NUMBERS = [Decimal(n) for n in (0, 5, 10, 20, 25, 30, 32, 40, 50, 54, 60, 75, 77, 90, 100)]


@st.composite
def settings_(draw: st.DrawFn) -> Settings:
    tolerance = draw(st.sampled_from([Decimal(t) for t in ("10", "0", "2.5", "5", "7.125", "12.25", "20")]))

    def targets() -> tuple[Decimal, ...]:
        return tuple(sorted(draw(st.lists(st.sampled_from(NUMBERS), min_size=4, max_size=4))))

    default = DEFAULT_TARGETS if draw(st.booleans()) else targets()
    by_year = {year: targets() for year in draw(st.sets(st.integers(2562, 2571), max_size=3))}
    records = draw(st.sampled_from(["records", "records", "ข้อมูล", "data/records"]))
    pattern = draw(st.sampled_from([None, None, None, r"^50[0-9]{6}-[0-9]{4}$", r"^01[0-9]{6}-[0-9]{4,}$"]))
    return Settings(tolerance, default, by_year, records, pattern)


@st.composite
def portfolios(draw: st.DrawFn) -> tuple[Settings, list[Project], date]:
    config = draw(settings_())
    count = draw(st.integers(1, 3))
    found = [draw(projects(f"50100000-{n:04d}", config)) for n in range(1, count + 1)]
    for n, project in enumerate(found, 1):
        if draw(st.integers(0, 9)) == 0:
            project.file_name = f"50100000-{n + 9000:04d}"
    anchors = [p.start for p in found] + [p.end for p in found]
    anchors += [r.day for p in found for r in p.reports] + boundaries(found[0].fiscal_year)
    as_of = draw(near(anchors))
    return config, found, as_of


THAI_DIGITS = str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙")


def spelled(day: date, how: str) -> str:
    """``day`` as a person may type it: ISO, or dd/mm/yyyy BE, with Thai digits or not."""
    text = day.isoformat() if how.startswith("iso") else f"{day.day:02d}/{day.month:02d}/{be_year(day)}"
    return text.translate(THAI_DIGITS) if how.endswith("thai") else text


@contextmanager
def repository(
    config: Settings, found: list[Project], indexed: bool
) -> Iterator[dict[str, tuple[Project, dict[str, int]]]]:
    """The records written in a fresh repository, the working folder; ``indexed``: with the
    index on (as people run the tool; the suite runs with it off), in a folder beside it."""
    here, environment = os.getcwd(), dict(os.environ)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "repo"
        root.mkdir()
        if indexed:
            os.environ.pop("PROJLEDGER_NO_CACHE", None)
            os.environ["PROJLEDGER_CACHE_DIR"] = str(Path(folder) / "cache")
        (root / "projledger.toml").write_text(config_text(config), "utf-8")
        written = {}
        for project in found:
            text, lines = record_text(project)
            name = project.file_name or project.code
            path = root / config.records / str(project.fiscal_year) / f"{name}.toml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
            written[project.code] = (project, lines)
        os.chdir(root)
        try:
            yield written
        finally:
            os.chdir(here)
            os.environ.clear()
            os.environ.update(environment)


#: Keys whose JSON numbers are compared as exact decimals.
AMOUNTS = {"progress", "expected", "variance", "disbursed", "budget", "disbursement_rate", "disbursement_target",
           "disbursement_gap"}  # fmt: skip


def number(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def compare_status(row: dict[str, object], want: dict[str, object]) -> list[str]:
    wrong = []
    for key, value in want.items():
        got = row.get(key)
        if key == "disbursed_by_quarter":
            same = [number(g) for g in got] == value  # type: ignore[union-attr]
        elif key in AMOUNTS:
            same = number(got) == number(value)
        else:
            same = got == value
        if not same:
            wrong.append(f"{key}: tool {got!r}, oracle {value!r}")
    return wrong


def say(problems: list[str], config: Settings, found: list[Project], as_of: date) -> None:
    """Fail with every disagreement and the repository that shows it (``ORACLE_COLLECT=FILE``
    appends them to FILE instead, to survey many examples at once)."""
    if not problems:
        return
    texts = "\n\n".join(record_text(p)[0] for p in found)
    told = "\n".join(problems) + f"\nas of {as_of}\n{config_text(config)}\n{texts}"
    if os.environ.get("ORACLE_COLLECT"):
        with open(os.environ["ORACLE_COLLECT"], "a", encoding="utf-8") as out:
            out.write(f"=====\n{told}\n")
        return
    raise AssertionError(told)


@ORACLE
@given(portfolios(), st.sampled_from(["iso", "be", "be-thai", "iso-thai"]), st.booleans(), st.booleans())
def test_the_tool_agrees_with_an_oracle_written_from_the_spec(
    drawn: tuple[Settings, list[Project], date], how: str, from_below: bool, indexed: bool
) -> None:
    config, found, as_of = drawn
    day = spelled(as_of, how)
    with repository(config, found, indexed) as written:
        if from_below:  # projledger.toml is found by walking up, as git does
            os.chdir(config.records)
        checked = run("validate", "--format", "json", "--as-of", day)
        strict = run("validate", "--strict", "--as-of", day)
        shown = run("status", "--format", "json", "--as-of", day)
        table = run("status", "--format", "markdown", "--as-of", day)
        if indexed:  # the second run answers from the index: the same words
            assert run("status", "--format", "json", "--as-of", day).stdout == shown.stdout
    report = json.loads(checked.stdout)
    problems: list[str] = []
    for code, (project, lines) in written.items():
        want = findings(project, as_of, config)
        mine = [f for f in report["findings"] if f["path"].endswith(f"/{project.file_name or code}.toml")]
        got = {Finding(f["rule"], f["field"], f["severity"]) for f in mine}
        if got != want:
            problems.append(
                f"{code} findings: tool only {sorted(got - want)}, oracle only {sorted(want - got)}"
            )
        for f in mine:
            if f["field"] in lines and f["line"] != lines[f["field"]]:
                problems.append(
                    f"{code} {f['rule']} {f['field']}: line {f['line']}, the key is on {lines[f['field']]}"
                )
    severities = [f["severity"] for f in report["findings"]]
    assert (report["files"], report["errors"], report["warnings"]) == (
        len(found),
        severities.count("error"),
        severities.count("warning"),
    )
    assert checked.exit_code == (1 if "error" in severities else 0), checked.stderr
    assert strict.exit_code == (1 if severities else 0), strict.stderr
    rows = {row["code"]: row for row in json.loads(shown.stdout)["projects"]} if shown.stdout else {}
    if shown.stdout:
        assert json.loads(shown.stdout)["as_of"] == as_of.isoformat()
    for code, (project, _) in written.items():
        # status skips a record validate refuses; a report after the as-of day is no refusal there
        refused = {f.rule for f in findings(project, as_of, config) if f.severity == "error"}
        if refused - {"future-report"}:
            assert code not in rows, (code, refused)
            continue
        if code not in rows:
            problems.append(f"{code}: not in status ({shown.stderr.strip()})")
            continue
        want_row = status(project, as_of, config)
        problems += [f"{code} {w}" for w in compare_status(rows[code], want_row)]
        latest = want_row["latest_date"]
        if latest is not None:  # tables show dates dd/mm/yyyy in the Buddhist Era
            assert spelled(date.fromisoformat(str(latest)), "be") in table.stdout, (code, latest)
    say(problems, config, found, as_of)


# --- The oracle against the SPEC's own statements, and the worked example ----------------------

SPEC_RECORD = Path(__file__).parent / "data" / "spec" / "01000000-2475.toml"
BIN = Path(sys.executable).parent


def project_from(data: dict[str, Any]) -> Project:
    """A record read by tomllib (exact decimals) as the oracle's ``Project``."""
    reports = [
        Report(
            r["no"],
            r["date"],
            r["progress"],
            r["disbursed"],
            r["plan_status"],
            r["target_status"],
            r.get("event"),
        )
        for r in data.get("reports", [])
    ]
    plan = data.get("plan")
    return Project(
        data["code"], data["fiscal_year"], data["start"], data["end"], data["budget"], plan, reports
    )


def spec_project() -> Project:
    return project_from(tomllib.loads(SPEC_RECORD.read_text("utf-8"), parse_float=Decimal))


def test_the_oracle_reads_the_calendar_as_the_spec_writes_it() -> None:
    assert be_year(date(2022, 3, 31)) == 2565
    assert fiscal_year_bounds(2565) == (date(2021, 10, 1), date(2022, 9, 30))
    assert [fiscal_year_of(d) for d in (date(2021, 9, 30), date(2021, 10, 1), date(2022, 9, 30))] == [
        2564,
        2565,
        2565,
    ]
    assert fiscal_month(date(2021, 10, 1)) == 1 and fiscal_month(date(2022, 9, 30)) == 12
    assert [fiscal_quarter(date(2021, m, 1)) for m in (10, 11, 12)] == [1, 1, 1]
    assert [quarter_end(2565, q) for q in range(1, 5)] == [
        date(2021, 12, 31), date(2022, 3, 31), date(2022, 6, 30), date(2022, 9, 30)
    ]  # fmt: skip
    assert quarter_end(2567, 2) == date(2024, 3, 31) and month_end(date(2024, 1, 31), 2) == date(2024, 2, 29)


def test_the_oracle_gives_the_spec_worked_example() -> None:
    row = status(spec_project(), date(2022, 3, 31), Settings())
    assert (row["state"], row["latest_no"], row["latest_date"], row["progress"]) == (
        "active",
        6,
        "2022-03-23",
        50,
    )
    assert expected(spec_project(), date(2022, 3, 23)) == Fraction(100 * 173, 486)
    assert (row["expected"], row["variance"], row["computed_plan_status"]) == (
        Decimal("35.60"), Decimal("14.40"), "on_plan"
    )  # fmt: skip
    assert (row["disbursement_rate"], row["due"], row["filed"], row["overdue"]) == (0, 5, 6, 0)
    # "The real project above gives exactly one warning: report 2's progress dip."
    assert findings(spec_project(), date(2022, 9, 30), Settings()) == {
        Finding("progress-dip", "reports[2].progress", "warning")
    }


def test_the_installed_command_gives_the_worked_example(tmp_path: Path) -> None:
    """The real project through a real process, the day typed in Thai digits, BE."""
    (tmp_path / "records" / "2565").mkdir(parents=True)
    (tmp_path / "records" / "2565" / SPEC_RECORD.name).write_bytes(SPEC_RECORD.read_bytes())
    command = [str(BIN / "projledger"), "status", "--format", "json", "--as-of", "๓๑/๐๓/๒๕๖๕"]
    shown = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert shown.returncode == 0, shown.stderr
    [row] = json.loads(shown.stdout)["projects"]
    assert compare_status(row, status(spec_project(), date(2022, 3, 31), Settings())) == []
    command = [str(BIN / "projledger"), "validate", "--format", "json", "--as-of", "30/09/2565"]
    checked = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert checked.returncode == 0, checked.stderr
    found = {
        (f["rule"], f["field"], f["severity"], f["line"]) for f in json.loads(checked.stdout)["findings"]
    }
    dip = SPEC_RECORD.read_text("utf-8").splitlines().index("progress = 8.0") + 1  # report 2's
    assert found == {("progress-dip", "reports[2].progress", "warning", dip)}


def one_report(
    progress: str, *, start: str = "2024-01-01", end: str = "2024-04-10", day: str = "2024-02-20"
) -> str:
    """A record of one report; start to end is 100 days, so linear expected is exact."""
    return f"""format = 1
code = "50100000-0001"
name = "x"
fiscal_year = 2567
start = {start}
end = {end}
budget = 1000

[agency]
department = "x"

[[reports]]
no = 2
date = {day}
progress = {progress}
disbursed = 0
plan_status = "watch"
target_status = "on_target"
note = "x"
"""


@pytest.mark.parametrize(
    ("progress", "computed"),
    [("50", "on_plan"), ("49.99", "watch"), ("45", "watch"), ("44.99", "behind")],
)
def test_the_tolerance_boundaries(empty_repo: Path, progress: str, computed: str) -> None:
    """Expected on 2024-02-20 is 50 % (50 of 100 days); tolerance 5 from projledger.toml: a
    variance of exactly 0 is on plan, exactly -5 still within the tolerance (watch)."""
    (empty_repo / "projledger.toml").write_text("tolerance = 5\n", "utf-8")
    project = project_from(tomllib.loads(one_report(progress), parse_float=Decimal))
    assert status(project, date(2024, 3, 1), Settings(Decimal(5)))["computed_plan_status"] == computed
    (empty_repo / "records" / "2567").mkdir()
    (empty_repo / "records" / "2567" / "50100000-0001.toml").write_text(one_report(progress), "utf-8")
    [row] = json.loads(run("status", "--format", "json", "--as-of", "2024-03-01").stdout)["projects"]
    assert (row["expected"], row["computed_plan_status"]) == (50, computed)


@pytest.mark.parametrize(
    ("progress", "disbursed", "budget", "field"),
    [
        ("100.01", "0", "1000", "reports[1].progress"),
        ("-0.01", "0", "1000", "reports[1].progress"),
        ("10", "-0.01", "1000", "reports[1].disbursed"),
        ("10", "0", "-1", "budget"),
    ],
)
def test_progress_outside_0_100_and_negative_money_are_errors(
    empty_repo: Path, progress: str, disbursed: str, budget: str, field: str
) -> None:
    text = one_report(progress).replace("budget = 1000", f"budget = {budget}")
    text = text.replace("no = 2", "no = 1").replace("disbursed = 0", f"disbursed = {disbursed}")
    (empty_repo / "records" / "2567").mkdir()
    (empty_repo / "records" / "2567" / "50100000-0001.toml").write_text(text, "utf-8")
    checked = run("validate", "--format", "json", "--as-of", "2024-03-01")
    assert checked.exit_code == 1
    [error] = [f for f in json.loads(checked.stdout)["findings"] if f["severity"] == "error"]
    assert error["field"] == field
    key = field.rpartition(".")[2]
    assert text.splitlines()[error["line"] - 1].startswith(f"{key} = ")
