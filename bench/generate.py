"""A deterministic generator of realistic portfolios of project records, for the benchmark.

    python bench/generate.py TARGET --count 10000 [--seed 1] [--size 17000] [--fail-share 0.03]

writes ``TARGET/records/<FY>/<code>.toml``: agencies of the council secretariat, city planning
and district offices, fiscal years 2563-2568, up to 12 monthly reports, Thai text drawn from
the shipped record's own words, about ``--size`` bytes each, in the layout tomli-w writes (the
layout ``fmt`` and ``add-report`` keep). A share of the files (``--fail-share``) is broken on
purpose, cycling through ``MUTATIONS``, one for every rule and every kind of unreadable file,
so every fast path is exercised on failing files too. The same arguments give the same bytes.

``--kpi`` writes the third portfolio: the varied one as format-2 projects (``kind = "project"``,
some with ``[[evaluations]]`` and ``[[budget_revisions]]``) plus one KPI record for every five
projects at ``records/<FY>/kpi/<code>.toml``, four quarters of results and evaluations each
(``KpiGenerator``); ``--count`` counts the projects, so 10,000 gives 12,000 files.

Reports are never dated after ``AS_OF`` (2025-06-30): run the benchmark with that ``--as-of``.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import tomllib
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomli_w

from projledger.core.calendar import quarter_end
from projledger.core.record import Project
from projledger.core.status import computed_status_of

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED = PROJECT_ROOT / "records" / "2565" / "01000000-2475.toml"
AS_OF = date(2025, 6, 30)
FISCAL_YEARS = (2563, 2564, 2565, 2566, 2567, 2568)
TOLERANCE = Decimal(10)

AGENCIES: list[tuple[str, str]] = [
    ("01000000", "สำนักงานเลขานุการสภากรุงเทพมหานคร"),
    ("18000000", "สำนักการวางผังและพัฒนาเมือง"),
    *[
        (f"50{n:02d}0000", f"สำนักงานเขต{name}")
        for n, name in enumerate(
            [
                "พระนคร",
                "ดุสิต",
                "หนองจอก",
                "บางรัก",
                "บางเขน",
                "บางกะปิ",
                "ปทุมวัน",
                "ป้อมปราบศัตรูพ่าย",
                "พระโขนง",
                "มีนบุรี",
                "ลาดกระบัง",
                "ยานนาวา",
                "สัมพันธวงศ์",
                "พญาไท",
                "ธนบุรี",
                "บางกอกใหญ่",
                "ห้วยขวาง",
                "คลองสาน",
                "ตลิ่งชัน",
                "บางกอกน้อย",
            ],
            start=1,
        )
    ],
]
NOTES = [
    "อยู่ระหว่างจัดทำแผนปฏิบัติการ",
    "อยู่ระหว่างการวางแผนการปฏิบัติงาน",
    "อยู่ระหว่างดำเนินการจัดซื้อจัดจ้าง",
    "ลงนามในสัญญาจ้างแล้ว อยู่ระหว่างดำเนินการตามสัญญา",
    "ดำเนินการตามแผนและติดตามผลการดำเนินงาน",
    "ตรวจรับงานงวดที่ ๑ เรียบร้อยแล้ว",
    "อยู่ระหว่างการเบิกจ่ายงบประมาณ",
    "จัดประชุมคณะทำงานเพื่อติดตามความก้าวหน้า",
]
COORDINATORS = ["คุณปริญดา", "คุณสมศรี", "คุณวิภาวรรณ", "คุณธนพล", "คุณกมลชนก"]


def vocabulary() -> list[str]:
    """The shipped record's own Thai words: text that looks and weighs like the real thing."""
    data = tomllib.loads(SHIPPED.read_text("utf-8"))
    details = data["details"]
    words = " ".join([details["rationale"], *details["objectives"], *details["targets"]]).split()
    return [w for w in words if w]


#: Amounts a binary float cannot hold, which float-based validators once called "not a multiple
#: of 0.01" (0.28 / 0.01 = 28.000000000000004), and amounts written with a trailing zero.
AWKWARD_AMOUNTS = ("0.28", "0.47", "280538225.72", "1000.10", "0.07", "1.15", "8.20", "999999999.99")


class Generator:
    """``satang``: budgets and amounts with satang (awkward ones among them), sometimes written
    as integers, sometimes an explicit empty ``reports = []``, notes with blank lines: the
    varied valid money the editors' test reads (off by default: the benchmark's bytes stay)."""

    def __init__(self, seed: int, size: int, *, satang: bool = False) -> None:
        self.rng = random.Random(seed)
        self.size = size
        self.words = vocabulary()
        self.satang = satang

    def phrase(self, count: int) -> str:
        return " ".join(self.rng.choice(self.words) for _ in range(count))

    def paragraph(self, target_bytes: int) -> str:
        parts: list[str] = []
        total = 0
        while total < target_bytes:
            word = self.rng.choice(self.words)
            parts.append(word)
            total += len(word.encode()) + 1
        return " ".join(parts)

    def record(self, index: int) -> tuple[int, str, dict[str, Any]]:
        rng = self.rng
        agency_code, agency_name = rng.choice(AGENCIES)
        code = f"{agency_code}-{1000 + index}"
        fy = rng.choice(FISCAL_YEARS)
        fy_first = date(fy - 544, 10, 1)
        year, month = divmod(fy_first.year * 12 + 9 + rng.randrange(0, 3), 12)
        start = date(year, month + 1, rng.randrange(1, 21))
        end = start + timedelta(days=rng.randrange(150, 540))
        budget = Decimal(rng.randrange(50_000, 50_000_000, 1000))
        budget_written = rng.choice(
            [budget, budget.quantize(Decimal("0.0")), budget.quantize(Decimal("0.00"))]
        )
        if self.satang:
            budget = rng.choice(
                [
                    Decimal(AWKWARD_AMOUNTS[index % len(AWKWARD_AMOUNTS)]),
                    Decimal(rng.randrange(0, 50_000_000_000)) / 100,
                    Decimal(rng.randrange(0, 5_000_000)),
                ]
            )
            # as it comes: 1000.10, 0.28, 280538225.72, or an integer written as one (budget = 5)
            budget_written = int(budget) if budget == budget.to_integral_value() else budget
        data: dict[str, Any] = {
            "format": 1,
            "code": code,
            "name": "โครงการ" + self.phrase(rng.randrange(3, 8)),
            "plan_ref": f"{agency_name[:6]} ปจ. {rng.randrange(1, 9)}/{rng.randrange(1, 9)}",
            "fiscal_year": fy,
            "start": start,
            "end": end,
            "budget": budget_written,
        }
        if rng.random() < 0.2:
            months = max(1, min(12, (end.year - start.year) * 12 + end.month - start.month + 1))
            steps = sorted(Decimal(rng.randrange(0, 1000)) / 10 for _ in range(months - 1))
            data["plan"] = [*steps, Decimal("100.0")]
        agency = {
            "department": agency_name,
            "division": agency_name,
            "unit": "ฝ่าย" + self.phrase(2),
            "owner": agency_name,
            "coordinator": rng.choice(COORDINATORS),
        }
        if rng.random() < 0.5:
            agency["phone"] = f"02 {rng.randrange(100, 999)} {rng.randrange(1000, 9999)}"
        if rng.random() < 0.5:
            agency["budget_unit"] = agency_code
        data["agency"] = agency
        data["details"] = {
            "rationale": "",
            "objectives": ["เพื่อ" + self.phrase(rng.randrange(8, 20)) for _ in range(rng.randrange(2, 5))],
            "targets": [self.phrase(rng.randrange(10, 30)) for _ in range(rng.randrange(1, 4))],
        }
        data["strategy"] = {
            "issue": self.phrase(4),
            "sub_issue": self.phrase(4),
            "goal": self.phrase(4),
            "kpi": "มิติที่ 1 " + self.phrase(5),
        }
        data["reports"] = self.reports(data, budget)
        if not data["reports"] and not (self.satang and rng.random() < 0.5):
            del data["reports"]  # in satang mode, half the report-less records say reports = []
        # Fill the rationale to reach the wanted size, in paragraphs as clerks write them.
        rest = len(render(data).encode())
        missing = max(self.size - rest, 200)
        paragraphs = rng.randrange(1, 4)
        data["details"]["rationale"] = "\n\n".join(
            self.paragraph(missing // paragraphs) for _ in range(paragraphs)
        )
        return fy, code, data

    def reports(self, data: dict[str, Any], budget: Decimal) -> list[dict[str, Any]]:
        rng = self.rng
        start: date = data["start"]
        fate = rng.random()
        wanted = 0 if fate < 0.08 else rng.randrange(1, 13)
        project = Project.from_data({**data, "reports": []})
        reports: list[dict[str, Any]] = []
        progress = Decimal(0)
        disbursed = Decimal(0)
        for no in range(1, wanted + 1):
            year, month = divmod(start.year * 12 + start.month - 1 + no - 1, 12)
            month += 1
            day = (
                rng.randrange(15, 29) if no > 1 else rng.randrange(max(start.day, 15), 29)
            )  # start.day <= 20
            when = date(year, month, min(day, 28))
            if when > AS_OF:
                break
            last = no == wanted
            step = Decimal(rng.randrange(0, 25))
            progress = min(Decimal(100), progress + step).quantize(Decimal("0.0"))
            disbursed = min(budget, disbursed + budget * Decimal(rng.randrange(0, 20)) / 100).quantize(
                Decimal("0.01")
            )
            if self.satang and rng.random() < 0.3:
                awkward = Decimal(rng.choice(AWKWARD_AMOUNTS))
                disbursed = max(disbursed, min(budget, awkward))
            if self.satang and rng.random() < 0.2 and disbursed == disbursed.to_integral_value():
                disbursed = int(disbursed)  # type: ignore[assignment]  # written as a TOML integer
            event = None
            if last and fate > 0.85:
                event, progress = "completed", Decimal("100.0")
            elif last and fate > 0.78:
                event = "cancelled"
            report: dict[str, Any] = {"no": no, "date": when, "progress": progress, "disbursed": disbursed}
            typed = Project.from_data(
                {
                    **data,
                    "reports": [
                        {**report, "plan_status": "on_plan", "target_status": "on_target", "note": ""}
                    ],
                }
            )
            _, _, computed = computed_status_of(typed, typed.reports[0], TOLERANCE)
            cautious = {"on_plan": "watch", "watch": "behind", "behind": "behind"}
            report["plan_status"] = cautious[computed] if rng.random() < 0.15 else computed
            report["target_status"] = "on_target" if rng.random() < 0.85 else "off_target"
            report["note"] = rng.choice(NOTES) + (
                "\n" + self.phrase(rng.randrange(5, 30)) if rng.random() < 0.5 else ""
            )
            if self.satang and rng.random() < 0.3:
                report["note"] += "\n\n" + self.phrase(rng.randrange(3, 10))  # a blank line inside
            if event:
                report["event"] = event
            reports.append(report)
        del project
        return reports


# --- the varied portfolio: warnings as real records carry them, and odd but valid layouts ------

Warning_ = Callable[[dict[str, Any], random.Random], bool]


def _progress_dip(data: dict[str, Any], rng: random.Random) -> bool:
    reports = data.get("reports", [])
    if len(reports) < 2 or reports[-1].get("event") or reports[-2]["progress"] < 5:
        return False
    reports[-1]["progress"] = (reports[-2]["progress"] - rng.randrange(1, 5)).quantize(Decimal("0.0"))
    return True


def _disbursed_dip(data: dict[str, Any], rng: random.Random) -> bool:
    reports = data.get("reports", [])
    if len(reports) < 2 or reports[-2]["disbursed"] <= 1:
        return False
    reports[-1]["disbursed"] = (Decimal(reports[-2]["disbursed"]) / 2).quantize(Decimal("0.01"))
    return True


def _over_budget(data: dict[str, Any], rng: random.Random) -> bool:
    reports = data.get("reports", [])
    if not reports:
        return False
    reports[-1]["disbursed"] = (Decimal(data["budget"]) * Decimal("1.05") + 1).quantize(Decimal("0.01"))
    return True


def _late_in_its_month(data: dict[str, Any], rng: random.Random) -> bool:
    reports = data.get("reports", [])
    if not reports:
        return False
    later = reports[-1]["date"] + timedelta(days=45)
    if later > AS_OF:
        return False
    reports[-1]["date"] = later
    return True


def _missing_month(data: dict[str, Any], rng: random.Random) -> bool:
    reports = data.get("reports", [])
    if len(reports) < 3:
        return False
    del reports[rng.randrange(1, len(reports) - 1)]  # the others keep their numbers
    return True


def _completed_short(data: dict[str, Any], rng: random.Random) -> bool:
    reports = data.get("reports", [])
    if not reports or reports[-1].get("event") == "cancelled":
        return False
    last = reports[-1]
    last["event"] = "completed"
    last["progress"] = min(last["progress"], Decimal("90.0"))
    return True


def _optimistic(data: dict[str, Any], rng: random.Random) -> bool:
    reports = data.get("reports", [])
    if not reports:
        return False
    for report in reports:
        report["plan_status"] = "on_plan"
    reports[-1]["progress"] = Decimal("0.0") if len(reports) > 1 else reports[-1]["progress"]
    return len(reports) > 1


#: Each makes one warning of the rules likely (the generator counts which records really carry one).
WARNINGS: list[Warning_] = [
    _progress_dip,
    _disbursed_dip,
    _over_budget,
    _late_in_its_month,
    _missing_month,
    _completed_short,
    _optimistic,
]


def vary_layout(text: str, rng: random.Random, schema: str = "../../schemas/project.schema.json") -> str:
    """The same data spelled another valid way: a ``#:schema`` line, comments between tables,
    the agency as an inline table, CRLF line ends, no final newline (each now and then)."""
    if rng.random() < 0.3:
        text = f"#:schema {schema}\n" + text
    if rng.random() < 0.3:
        text = text.replace("\n[agency]\n", "\n# ผู้รับผิดชอบ (แก้ไขล่าสุดโดยเจ้าหน้าที่)\n[agency]\n", 1)
    if rng.random() < 0.2:
        text = text.replace("\n[[reports]]\n", "\n# รายงานประจำเดือน\n[[reports]]\n", 1)
        text = text.replace("\n[[results]]\n", "\n# ผลงานเทียบกับเป้าหมายรายไตรมาส\n[[results]]\n", 1)
    if rng.random() < 0.1:  # [agency] is the first table, so its keys may stand inline at the top
        head, found, rest = text.partition("\n[agency]\n")
        keys, _, after = rest.partition("\n\n")
        if found and "\n[" not in head:
            text = head + "\nagency = { " + ", ".join(keys.splitlines()) + " }\n\n" + after
    if rng.random() < 0.05:
        text = text.replace("\n", "\r\n")
    if rng.random() < 0.05:
        text = text.rstrip("\r\n")
    return text


#: Arrays of tables written after the head, one table each, in this order (as the append-only
#: commands add them): reports, a KPI's results, then budget revisions and evaluations.
APPENDED = ("reports", "results", "budget_revisions", "evaluations")


def render(data: dict[str, Any]) -> str:
    """The layout tomli-w writes, reports (and format 2's tables) appended one table each (as
    add-report does)."""
    # an empty list stays in the head, as ``reports = []``
    head = tomli_w.dumps(
        {k: v for k, v in data.items() if k not in APPENDED or not v}, multiline_strings=True
    )
    return head + "".join(
        f"\n[[{key}]]\n" + tomli_w.dumps(table, multiline_strings=True)
        for key in APPENDED
        for table in data.get(key) or ()
    )


# --- files broken on purpose: (name, mutation of (text, path parts)) ---------------------------

Mutation = Callable[[str, dict[str, Any]], tuple[str, dict[str, Any]]]


def _replace_first(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _report_line(text: str, key: str, number: int = 2) -> str:
    """The ``key = ...`` line of the ``number``-th report (1-based), or of the last one."""
    blocks = text.split("\n[[reports]]\n")
    block = blocks[min(number, len(blocks) - 1)]
    for line in block.splitlines():
        if line.startswith(f"{key} = "):
            return line
    raise AssertionError(key)


def _top(text: str, key: str) -> str:
    """The top-level ``key = ...`` line, with its newlines around it."""
    match = re.search(rf"\n{key} = [^\n]*\n", text)
    assert match, key
    return match.group(0)


def _with_reports(minimum: int) -> Callable[[dict[str, Any]], bool]:
    return lambda data: len(data.get("reports", [])) >= minimum


MUTATIONS: list[tuple[str, Callable[[dict[str, Any]], bool], Callable[[str, dict[str, Any]], str]]] = [
    ("toml-syntax", lambda d: True, lambda t, d: _replace_first(t, 'code = "', "code = ")),
    ("non-finite", lambda d: True, lambda t, d: _replace_first(t, _top(t, "budget"), "\nbudget = nan\n")),
    (
        "duplicate-key",
        lambda d: True,
        lambda t, d: _replace_first(t, "\n[agency]\n", f"\nbudget = {d['budget']}\n\n[agency]\n"),
    ),
    (
        "inline-table-1.1",
        lambda d: True,
        lambda t, d: t.replace("\n[strategy]\n", '\nstrategy = { issue = "x",\n }\n[_]\n', 1),
    ),
    ("escape-1.1", lambda d: True, lambda t, d: _replace_first(t, 'name = "', 'name = "\\e')),
    (
        "time-1.1",
        lambda d: True,
        lambda t, d: _replace_first(t, _top(t, "start"), f"\nstart = {d['start']}T10:30\n"),
    ),
    (
        "missing-key",
        lambda d: True,
        lambda t, d: "\n".join(x for x in t.split("\n") if not x.startswith("name = ")),
    ),
    (
        "wrong-type",
        lambda d: True,
        lambda t, d: _replace_first(t, _top(t, "fiscal_year"), f'\nfiscal_year = "{d["fiscal_year"]}"\n'),
    ),
    (
        "out-of-range",
        _with_reports(1),
        lambda t, d: _replace_first(t, _report_line(t, "progress", 1), "progress = 101.50"),
    ),
    ("decimals", lambda d: True, lambda t, d: _replace_first(t, _top(t, "budget"), "\nbudget = 1000.005\n")),
    (
        "not-allowed",
        _with_reports(1),
        lambda t, d: _replace_first(t, _report_line(t, "plan_status", 1), 'plan_status = "fine"'),
    ),
    ("date-type", lambda d: True, lambda t, d: _replace_first(t, _top(t, "end"), f'\nend = "{d["end"]}"\n')),
    (
        "unknown-key",
        lambda d: True,
        lambda t, d: _replace_first(t, "\n[agency]\n", "\nbugdet = 1.0\n\n[agency]\n"),
    ),
    (
        "file-name",
        lambda d: True,
        lambda t, d: _replace_first(t, f'code = "{d["code"]}"', f'code = "{d["code"][:-1]}9"'),
    ),
    (
        "be-year",
        lambda d: True,
        lambda t, d: _replace_first(
            t, _top(t, "end"), f"\nend = {d['end'].year + 543}{d['end'].isoformat()[4:]}\n"
        ),
    ),
    (
        "start-after-end",
        lambda d: True,
        lambda t, d: _replace_first(t, _top(t, "end"), f"\nend = {d['start'] - timedelta(days=1)}\n"),
    ),
    (
        "report-number-order",
        _with_reports(2),
        lambda t, d: _replace_first(t, _report_line(t, "no", 2), "no = 1"),
    ),
    (
        "report-date-order",
        _with_reports(2),
        lambda t, d: _replace_first(
            t, _report_line(t, "date", 2), f"date = {d['reports'][0]['date'] - timedelta(days=3)}"
        ),
    ),
    (
        "future-report",
        _with_reports(1),
        lambda t, d: _replace_first(t, _report_line(t, "date", 99), "date = 2030-01-15"),
    ),
    (
        "after-event",
        _with_reports(2),
        lambda t, d: _replace_first(
            t, "\n[[reports]]\nno = 1\n", '\n[[reports]]\nno = 1\nevent = "cancelled"\n'
        ),
    ),
    (
        "progress-dip",
        _with_reports(2),
        lambda t, d: _replace_first(t, _report_line(t, "progress", 2), "progress = 0.0"),
    ),
    (
        "disbursed-dip",
        _with_reports(2),
        lambda t, d: _replace_first(t, _report_line(t, "disbursed", 99), "disbursed = 0.0"),
    ),
    (
        "over-budget",
        _with_reports(1),
        lambda t, d: _replace_first(t, _report_line(t, "disbursed", 99), f"disbursed = {d['budget'] + 1}"),
    ),
    (
        "report-month",
        _with_reports(1),
        lambda t, d: _replace_first(
            t, _report_line(t, "date", 1), f"date = {d['reports'][0]['date'] - timedelta(days=40)}"
        ),
    ),
    (
        "missing-month",
        _with_reports(2),
        lambda t, d: _replace_first(t, _report_line(t, "no", 99), f"no = {len(d['reports']) + 1}"),
    ),
    (
        "completed-below-100",
        _with_reports(1),
        lambda t, d: (
            _replace_first(t, _report_line(t, "progress", 99), 'progress = 50.25\nevent = "completed"')
            if "event = " not in t
            else t.replace('event = "cancelled"', 'event = "completed"').replace(
                "progress = 100.0", "progress = 99.50"
            )
        ),
    ),
    (
        "optimistic-status",
        _with_reports(1),
        lambda t, d: _replace_first(t, _report_line(t, "progress", 1), "progress = 0.0").replace(
            _report_line(t, "plan_status", 1), 'plan_status = "on_plan"', 1
        ),
    ),
    ("folder-year", lambda d: True, lambda t, d: t),  # moved to another year's folder below
    (
        "float-forms",
        lambda d: True,
        lambda t, d: _replace_first(t, _top(t, "budget"), f"\nbudget = {Decimal(d['budget']):.2f}\n"),
    ),
]


# --- the KPI portfolio: format-2 projects and one KPI for every five of them ---------------------

#: A KPI's results must be over by ``AS_OF`` for four quarters: Q4 of 2567 ends 2024-09-30.
KPI_FISCAL_YEARS = tuple(fy for fy in FISCAL_YEARS if quarter_end(fy, 4) + timedelta(days=31) <= AS_OF)
#: (unit, direction, name, target range, integer values): ร้อยละ most often, as real plans are.
KPI_KINDS: list[tuple[str, str, str, tuple[int, int], bool]] = [
    ("ร้อยละ", "higher", "ความสำเร็จของการเบิกจ่ายงบประมาณในภาพรวม", (80, 100), False),
    ("ร้อยละ", "higher", "ร้อยละความสำเร็จของการดำเนินโครงการตามแผนปฏิบัติราชการ", (70, 100), False),
    ("ร้อยละ", "higher", "ร้อยละของประชาชนที่พึงพอใจต่อการให้บริการ", (80, 95), False),
    ("ตันต่อวัน", "lower", "ปริมาณขยะมูลฝอยที่เก็บขนได้ลดลง", (1800, 2600), False),
    ("ครั้ง/ปี", "higher", "จำนวนครั้งของการตรวจสอบและเฝ้าระวังความปลอดภัย", (4, 24), True),
    ("แห่ง", "higher", "จำนวนพื้นที่สาธารณะที่ได้รับการปรับปรุง", (5, 60), True),
]
KPI_NOTES = [
    "ดำเนินการตามแผนปฏิบัติราชการ และรายงานผลการดำเนินงานให้ผู้บริหารทราบ",
    "อยู่ระหว่างรวบรวมข้อมูลจากหน่วยงานในสังกัด",
    "ดำเนินการได้ตามเป้าหมายที่กำหนด",
    "จัดประชุมติดตามผลการดำเนินงานตามตัวชี้วัดประจำไตรมาส",
    "มีการเบิกจ่ายงบประมาณต่ำกว่าแผน เนื่องจากอยู่ระหว่างการจัดซื้อจัดจ้าง",
]
#: Scores as the BMA prints them (100.0000) and as clerks type them (100, 85.5).
SCORES = ("100.0000", "100", "95.5000", "90", "85.5", "75.2500", "60.0000", "0.0000")


def _score(rng: random.Random) -> Decimal | int:
    text = rng.choice(SCORES)
    return Decimal(text) if "." in text else int(text)


def _quarter_month_after(fy: int, quarter: int, rng: random.Random) -> date:
    """A day of the month after the quarter's end (at most 28 days after it: never late)."""
    end = quarter_end(fy, quarter)
    return end + timedelta(days=rng.randrange(1, 29))


def _project_evaluations(fy: int, rng: random.Random) -> list[dict[str, Any]]:
    """สยป.'s scores of a project: the first quarters of its year that are over by ``AS_OF``,
    in order, each dated in the month after its quarter."""
    evaluations: list[dict[str, Any]] = []
    for quarter in range(1, rng.randrange(2, 6)):
        when = _quarter_month_after(fy, quarter, rng)
        if when > AS_OF:
            break
        evaluation: dict[str, Any] = {"quarter": quarter, "score": _score(rng)}
        if rng.random() < 0.3:
            evaluation["full_score"] = 100
        evaluation["date"] = when
        if rng.random() < 0.3:
            evaluation["evaluator"] = "สยป."
        if rng.random() < 0.2:
            evaluation["note"] = rng.choice(["รายงานครบถ้วน", "รายงานล่าช้า", "ข้อมูลไม่ครบถ้วน ขอให้ปรับปรุง"])
        evaluations.append(evaluation)
    return evaluations


def _budget_revisions(data: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """One or two transfers (โอนงบประมาณ) inside the project's span and before ``AS_OF``, in date
    order, each leaving a budget no report ever disbursed more than (none of the generator's
    findings change); none where a report already overspends the budget (an over-budget
    warning stays what it is)."""
    budget = Decimal(data["budget"])
    reports = data.get("reports", [])
    most = max((Decimal(r["disbursed"]) for r in reports), default=Decimal(0))
    last = min(data["end"], AS_OF)
    if most > budget or budget <= 0 or last <= data["start"]:
        return []
    span = (last - data["start"]).days
    days = sorted(rng.sample(range(span + 1), min(span + 1, rng.randrange(1, 3))))
    revisions = []
    for number, offset in enumerate(days, start=1):
        factor = Decimal(rng.randrange(85, 116)) / 100
        revised = max(most, (budget * factor).quantize(Decimal("0.01")), Decimal("0.01"))
        revision: dict[str, Any] = {
            "date": data["start"] + timedelta(days=offset),
            "budget": revised,
            "reference": f"โอนงบประมาณ ครั้งที่ {number}/{data['fiscal_year']}",
        }
        if rng.random() < 0.4:
            revision["note"] = rng.choice(["โอนไปตั้งจ่ายรายการอื่น", "รับโอนงบประมาณเพิ่มเติม", "ปรับลดตามมติสภา"])
        revisions.append(revision)
    return revisions


def as_format_2(data: dict[str, Any], rng: random.Random, *, extras: bool = True) -> dict[str, Any]:
    """A format-1 project as format 2 (``kind`` on the line after ``format``), about half of them
    with evaluations and one in five with budget revisions (``extras``)."""
    converted: dict[str, Any] = {"format": 2, "kind": "project"}
    converted.update((k, v) for k, v in data.items() if k != "format")
    if extras and rng.random() < 0.2:
        revisions = _budget_revisions(converted, rng)
        if revisions:
            converted["budget_revisions"] = revisions
    if extras and rng.random() < 0.5:
        evaluations = _project_evaluations(data["fiscal_year"], rng)
        if evaluations:
            converted["evaluations"] = evaluations
    return converted


class KpiGenerator:
    """KPI records: code = the agency's first 4 digits and a number of its own (one sequence per
    agency, so codes are unique in the portfolio), four quarters of cumulative results dated in
    the month after each quarter (now and then undated), สยป.'s evaluations, Thai notes."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.numbers: dict[str, int] = {}

    def record(self, agency_code: str, agency_name: str, fy: int, projects: list[str]) -> dict[str, Any]:
        rng = self.rng
        prefix = agency_code[:4]
        self.numbers[prefix] = self.numbers.get(prefix, 1000) + 1
        unit, direction, name, (low, high), whole = rng.choice(KPI_KINDS)
        data: dict[str, Any] = {"format": 2, "kind": "kpi", "code": f"{prefix}-{self.numbers[prefix]:04d}"}
        if rng.random() < 0.8:
            data["number"] = f"{rng.randrange(1, 8)}.{rng.randrange(1, 6)}"
        data["name"] = name
        data["fiscal_year"] = fy
        data["category"] = rng.choice(["routine", "routine", "strategic"])
        data["level"] = rng.choice(["output", "outcome"])
        data["unit"] = unit
        target = Decimal(rng.randrange(low, high + 1))
        if direction == "lower":
            baseline = (target * Decimal(rng.randrange(102, 115)) / 100).quantize(Decimal("0.01"))
            data["target"] = target
            data["baseline"] = baseline
            data["direction"] = "lower"
        else:
            data["target"] = int(target) if whole or rng.random() < 0.5 else target.quantize(Decimal("0.0"))
            if rng.random() < 0.5:
                data["direction"] = "higher"
        if rng.random() < 0.6:
            data["definition"] = name + " ของ" + agency_name
            data["formula"] = f"(ผลการดำเนินงาน / เป้าหมาย) x 100 ({unit})"
            data["data_source"] = rng.choice(["ระบบติดตามและประเมินผล", "รายงานผลการดำเนินงานของหน่วยงาน"])
        if projects:
            data["projects"] = projects
        data["agency"] = {"department": agency_name}
        if rng.random() < 0.3:
            data["agency"]["division"] = agency_name
        if rng.random() < 0.5:
            data["strategy"] = {
                "issue": "ด้านที่ 7 การบริหารจัดการเมืองมหานคร",
                "dimension": f"มิติที่ {rng.randrange(1, 8)}.{rng.randrange(1, 4)}",
                "goal": "การบริหารงบประมาณมีประสิทธิภาพ",
            }
        data["results"] = self.results(
            fy, target, direction, baseline if direction == "lower" else None, whole
        )
        data["evaluations"] = _evaluations_of_a_past_year(fy, rng, rng.randrange(1, 5))
        return data

    def results(
        self, fy: int, target: Decimal, direction: str, baseline: Decimal | None, whole: bool
    ) -> list[dict[str, Any]]:
        rng = self.rng
        results = []
        value = Decimal(0)
        for quarter in range(1, 5):
            if direction == "lower":
                assert baseline is not None
                value = (
                    baseline - (baseline - target) * Decimal(rng.randrange(20, 130)) / 100 * quarter / 4
                ).quantize(Decimal("0.01"))
            elif whole:
                value += Decimal(rng.randrange(0, int(target) // 2 + 2))
            else:  # percent: cumulative, now and then above the target (104.15)
                value = min(value + Decimal(rng.randrange(0, 4000)) / 100, Decimal("110.00"))
            result: dict[str, Any] = {"quarter": quarter, "value": int(value) if whole else value}
            if rng.random() < 0.9:
                result["date"] = _quarter_month_after(fy, quarter, rng)
            if rng.random() < 0.8:
                note = f"รายงานผลฯ ไตรมาสที่ {quarter} " + rng.choice(KPI_NOTES)
                if rng.random() < 0.2:
                    note += "\n\n" + rng.choice(KPI_NOTES)  # a blank line inside
                result["note"] = note
            results.append(result)
        return results


def _evaluations_of_a_past_year(fy: int, rng: random.Random, count: int) -> list[dict[str, Any]]:
    """``count`` evaluations of quarters 1.. of a year whose quarters are all over."""
    evaluations = []
    for quarter in range(1, count + 1):
        evaluation: dict[str, Any] = {"quarter": quarter, "score": _score(rng)}
        if rng.random() < 0.3:
            evaluation["full_score"] = 100
        evaluation["date"] = _quarter_month_after(fy, quarter, rng)
        if rng.random() < 0.2:
            evaluation["evaluator"] = "สยป."
        evaluations.append(evaluation)
    return evaluations


KpiWarning = Callable[[dict[str, Any], random.Random], bool]


def _result_late(data: dict[str, Any], rng: random.Random) -> bool:
    """A quarter's result reported six to eight weeks after the quarter (grace: 30 days)."""
    result = data["results"][rng.randrange(0, 4)]
    result["date"] = quarter_end(data["fiscal_year"], result["quarter"]) + timedelta(
        days=rng.randrange(45, 60)
    )
    return True


def _result_dip(data: dict[str, Any], rng: random.Random) -> bool:
    """The last quarter's cumulative value below the third's, which rose above the second's."""
    if data.get("direction") == "lower":
        return False
    results = data["results"]
    if not results[1]["value"] < results[2]["value"]:
        results[2]["value"] = results[1]["value"] + (
            1 if isinstance(results[1]["value"], int) else Decimal("5.00")
        )
    results[3]["value"] = results[1]["value"]  # below the third quarter's, never below 0
    return True


#: A warning of each kind planted in KPIs, by rule id (the generator knows exactly which it gave).
KPI_WARNINGS: list[tuple[str, KpiWarning]] = [("result-late", _result_late), ("result-dip", _result_dip)]


def _swap_results(text: str, data: dict[str, Any]) -> str:
    """Quarter 3's result written before quarter 2's (the blocks swapped, dates and all, the values
    left in file order so nothing but the order is wrong: no dip)."""
    parts = text.split("\n[[results]]\n")
    assert len(parts) == 5, "results"
    second, third = (re.search(r"(^|\n)value = [^\n]*", part) for part in parts[2:4])
    assert second and third, "value"
    parts[2], parts[3] = (
        parts[3].replace(third.group(0), second.group(0), 1),
        parts[2].replace(second.group(0), third.group(0), 1),
    )
    return "\n[[results]]\n".join(parts)


def _first_score(text: str, data: dict[str, Any]) -> str:
    """The first evaluation's score above its full score (100)."""
    head, found, rest = text.partition("\n[[evaluations]]\n")
    assert found, "evaluations"
    line = re.search(r"\nscore = [^\n]*\n", "\n" + rest)
    assert line, "score"
    return head + found + ("\n" + rest).replace(line.group(0), "\nscore = 104.5000\n", 1)[1:]


def _unknown_project(text: str, data: dict[str, Any]) -> str:
    """A contributing project's code no record has (project codes start at 1000)."""
    missing = f'"{data["agency_code"]}-0999"'
    if "projects" in data:
        return _replace_first(text, "projects = [", f"projects = [ {missing}, ")
    return _replace_first(text, "\n[agency]\n", f"\nprojects = [ {missing} ]\n\n[agency]\n")


#: KPIs broken on purpose: (id of the rule whose error is planted, applies, mutation of the text).
KPI_MUTATIONS: list[tuple[str, Callable[[dict[str, Any]], bool], Callable[[str, dict[str, Any]], str]]] = [
    ("score-above-full", lambda d: bool(d["evaluations"]), _first_score),
    ("kpi-project-link", lambda d: True, _unknown_project),
    ("quarter-order", lambda d: True, _swap_results),
]


def _appended(text: str, key: str, table: dict[str, Any]) -> str:
    """``text`` with one more ``[[key]]`` table at its end, as the append-only commands write."""
    newline = "\r\n" if "\r\n" in text else "\n"
    block = f"\n[[{key}]]\n" + tomli_w.dumps(table)
    return text.rstrip("\r\n") + newline + block.replace("\n", newline)


def _below_disbursed(data: dict[str, Any]) -> dict[str, Any] | None:
    """The first report inside the project's span that disbursed something."""
    for report in data.get("reports", []):
        if Decimal(report["disbursed"]) >= 2 and data["start"] <= report["date"] <= data["end"]:
            return report
    return None


def _score_above_full(text: str, data: dict[str, Any]) -> str:
    day = quarter_end(data["fiscal_year"], 1) + timedelta(days=15)
    evaluation = {"quarter": 1, "score": Decimal("104.5000"), "full_score": 100, "date": day}
    return _appended(text, "evaluations", evaluation)


def _revision_below_disbursed(text: str, data: dict[str, Any]) -> str:
    report = _below_disbursed(data)
    assert report is not None
    half = (Decimal(report["disbursed"]) / 2).quantize(Decimal("0.01"))
    revision = {"date": report["date"], "budget": half, "reference": "โอนงบประมาณ ครั้งที่ 1"}
    return _appended(text, "budget_revisions", revision)


#: Format-2 projects broken on purpose, joining ``MUTATIONS``' cycle in the KPI portfolio (the
#: generator gives broken projects no evaluations or revisions of their own: these are alone).
PROJECT_2_MUTATIONS: list[
    tuple[str, Callable[[dict[str, Any]], bool], Callable[[str, dict[str, Any]], str]]
] = [
    ("score-above-full", lambda d: True, _score_above_full),
    ("revision-below-disbursed", lambda d: _below_disbursed(d) is not None, _revision_below_disbursed),
]


def generate(
    target: Path,
    count: int,
    *,
    seed: int = 1,
    size: int = 17_000,
    fail_share: float = 0.03,
    satang: bool = False,
    header: str = "",
    varied: bool = False,
    kpi: bool = False,
    planted: dict[Path, set[str]] | None = None,
) -> list[Path]:
    """Write ``count`` records under ``target/records``; returns their paths in order.
    ``satang``: see ``Generator``; ``header``: a first line for every record (``#:schema ...``);
    ``varied``: the second portfolio of the benchmark: satang amounts, about two records in three
    given a warning (``WARNINGS``), layouts varied (``vary_layout``), notes with blank lines.
    ``kpi``: the third: the varied portfolio as format-2 projects (``as_format_2``; the
    format-2 ``PROJECT_2_MUTATIONS`` join the broken ones) and then ``count // 5`` KPIs
    (``KpiGenerator``, ``KPI_WARNINGS`` in about one in three, ``KPI_MUTATIONS`` at
    ``fail_share``), their paths after the projects'. ``planted``, when given, receives what was
    planted on purpose: for a broken project the name of its mutation, for a KPI the ids of the
    rules whose findings it was given (an empty set: a clean KPI)."""
    varied = varied or kpi
    gen = Generator(seed, size, satang=satang or varied)
    picker = random.Random(seed + 1)
    warner = random.Random(seed + 2)
    extras = random.Random(seed + 3)
    mutations = MUTATIONS + PROJECT_2_MUTATIONS if kpi else MUTATIONS
    paths: list[Path] = []
    clean: dict[tuple[str, int], list[str]] = {}  # (agency code, year): codes of unbroken projects
    anchors: list[tuple[str, str, int]] = []  # (agency code, agency name, year) of each project
    broken = 0
    for index in range(count):
        fy, code, data = gen.record(index)
        if varied and warner.random() < 0.7:
            for offset in range(len(WARNINGS)):
                if WARNINGS[(index + offset) % len(WARNINGS)](data, warner):
                    break
        breaking = picker.random() < fail_share
        if kpi:
            data = as_format_2(data, extras, extras=not breaking)
        text = (header + "\n" if header else "") + render(data)
        if varied:
            text = vary_layout(text, warner)
        folder = fy
        mutated = ""
        if breaking:
            for attempt in range(len(mutations)):
                name, applies, mutate = mutations[(broken + attempt) % len(mutations)]
                if applies(data):
                    try:
                        text = mutate(text, data)
                    except AssertionError:  # a varied layout lacks the text it changes: the next one
                        continue
                    if name == "folder-year":
                        folder = fy + 1
                    broken += attempt + 1
                    mutated = name
                    break
        path = target / "records" / str(folder) / f"{code}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
        agency_code = code.split("-")[0]
        anchors.append((agency_code, data["agency"]["department"], fy))
        if mutated and planted is not None:
            planted[path] = {mutated}
        if not mutated:
            clean.setdefault((agency_code, fy), []).append(code)
    if kpi:
        paths += _kpis(target, anchors, clean, seed, fail_share, planted)
    return paths


def _kpis(
    target: Path,
    anchors: list[tuple[str, str, int]],
    clean: dict[tuple[str, int], list[str]],
    seed: int,
    fail_share: float,
    planted: dict[Path, set[str]] | None,
) -> list[Path]:
    """One KPI for every five projects: the i-th takes the agency and year of project 5i (or of
    the next one whose year is over by ``AS_OF``) and names one to three unbroken projects of
    that agency and year."""
    gen = KpiGenerator(seed + 4)
    warner = random.Random(seed + 5)
    picker = random.Random(seed + 6)
    layout = random.Random(seed + 7)
    paths: list[Path] = []
    broken = warned = 0
    for number in range(len(anchors) // 5):
        agency_code, agency_name, fy = next(
            (anchors[(5 * number + k) % len(anchors)] for k in range(len(anchors))
             if anchors[(5 * number + k) % len(anchors)][2] in KPI_FISCAL_YEARS),
            (anchors[5 * number][0], anchors[5 * number][1], KPI_FISCAL_YEARS[-1]),
        )  # fmt: skip
        pool = clean.get((agency_code, fy), [])
        linked = gen.rng.sample(pool, min(len(pool), gen.rng.randrange(1, 4)))
        data = gen.record(agency_code, agency_name, fy, linked)
        given: set[str] = set()
        if warner.random() < 0.35:
            for attempt in range(len(KPI_WARNINGS)):
                rule, plant = KPI_WARNINGS[(warned + attempt) % len(KPI_WARNINGS)]
                if plant(data, warner):
                    given.add(rule)
                    warned += attempt + 1
                    break
        text = vary_layout(render(data), layout, schema="../../../schemas/kpi.schema.json")
        if picker.random() < fail_share:
            for attempt in range(len(KPI_MUTATIONS)):
                rule, applies, mutate = KPI_MUTATIONS[(broken + attempt) % len(KPI_MUTATIONS)]
                if applies(data):
                    try:
                        text = mutate(text, {**data, "agency_code": agency_code})
                    except AssertionError:  # a varied layout lacks the text it changes: the next one
                        continue
                    given.add(rule)
                    broken += attempt + 1
                    break
        path = target / "records" / str(fy) / "kpi" / f"{data['code']}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
        if planted is not None:
            planted[path] = given
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("target", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", type=int, default=17_000, help="bytes per record, roughly")
    parser.add_argument("--fail-share", type=float, default=0.03)
    parser.add_argument("--varied", action="store_true", help="warnings in most records, layouts varied")
    parser.add_argument(
        "--kpi", action="store_true", help="varied format-2 projects and a KPI for every five"
    )
    args = parser.parse_args(argv)
    paths = generate(
        args.target,
        args.count,
        seed=args.seed,
        size=args.size,
        fail_share=args.fail_share,
        varied=args.varied,
        kpi=args.kpi,
    )
    total = sum(p.stat().st_size for p in paths)
    print(f"{len(paths)} records, {total / 1e6:.1f} MB, in {args.target / 'records'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
