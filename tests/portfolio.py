"""A small portfolio of 10 records for the status and summary tests, judged as of 2022-03-31.

Every state, every computed plan status, an overdue project, a late one, a zero budget, a
plan-based and several linear projects, two fiscal years. The figures the tests expect are
worked out by hand from the values below (see each project's comment); dates are chosen so
the expected progress comes out round where it can:

- linear 2022-01-01 → 2022-04-11 spans 100 days, so day N is N %;
- linear 2021-10-01 → 2022-09-30 spans 364 days;
- linear 2021-10-01 → 2022-01-31 spans 122 days; 2021-10-01 → 2022-02-28 spans 150 days;
- a plan-based project reporting on a month's last day is expected at that month's plan value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

AS_OF = date(2022, 3, 31)


@dataclass
class R:
    """One report: (date, progress, disbursed, reported plan status, event)."""

    day: str
    progress: str
    disbursed: str
    plan_status: str = "on_plan"
    event: str | None = None


@dataclass
class P:
    code: str
    name: str
    department: str
    start: str
    end: str
    budget: str
    fiscal_year: int = 2565
    plan: list[int] | None = None
    strategy: str | None = None
    reports: list[R] = field(default_factory=list)


PROJECTS = [
    # P1 linear 100 days: on 2022-03-31 (day 89) expected 89, progress 90: +1, on_plan. 40 % disbursed.
    P("01000000-0001", "โครงการพัฒนาระบบสารสนเทศเพื่อการบริหารงานสภา", "สำนักงานเลขานุการสภากรุงเทพมหานคร",
      "2022-01-01", "2022-04-11", "1000000.00", strategy="การบริหารจัดการเมืองมหานคร",
      reports=[R("2022-01-31", "30.0", "100000.0"), R("2022-02-28", "60.0", "250000.0"),
               R("2022-03-31", "90.0", "400000.0")]),
    # P2 plan-based: month-end reports are expected at the plan's value; 45 against 50: -5, watch.
    P("18000000-0002", "โครงการปรับปรุงผังเมืองรวมกรุงเทพมหานคร", "สำนักการวางผังและพัฒนาเมือง",
      "2021-10-01", "2022-09-30", "2000000.00", plan=[5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100],
      strategy="มหานครปลอดภัย",
      reports=[R("2021-10-31", "5.0", "0.0"), R("2021-11-30", "10.0", "100000.0"),
               R("2021-12-31", "18.0", "200000.0", "watch"), R("2022-01-31", "25.0", "300000.0", "watch"),
               R("2022-02-28", "32.0", "400000.0", "watch"), R("2022-03-31", "45.0", "500000.0", "watch")]),
    # P3 linear 100 days, last report 2022-02-28 (day 58): 20 against 58: -38, behind.
    P("50010000-0003", "โครงการซ่อมแซมทางเท้าในพื้นที่เขตพระนคร", "สำนักงานเขตพระนคร",
      "2022-01-01", "2022-04-11", "500000.00", strategy="มหานครปลอดภัย",
      reports=[R("2022-01-31", "10.0", "20000.0", "behind"), R("2022-02-28", "20.0", "50000.0", "behind")]),
    # P4 linear 364 days, one report 2021-10-31 (day 30): 30/364 = 8.2417 %, progress 10: +1.76.
    #    Due by 2022-03-31: Oct..Feb = 5, filed 1: overdue 4.
    P("50020000-0004", "โครงการจัดเก็บขยะมูลฝอยในคลอง", "สำนักงานเขตป้อมปราบศัตรูพ่าย",
      "2021-10-01", "2022-09-30", "1200000.00",
      reports=[R("2021-10-31", "10.0", "120000.0")]),
    # P5 starts after the date: not started, no report.
    P("01000000-0005", "โครงการสัมมนาสมาชิกสภากรุงเทพมหานคร", "สำนักงานเลขานุการสภากรุงเทพมหานคร",
      "2022-05-01", "2022-09-30", "300000.00"),
    # P6 linear 122 days, completed on 2022-01-31 (day 122): 100 against 100: 0, on_plan; 100 % spent.
    P("18000000-0006", "โครงการสำรวจข้อมูลอาคารสูง", "สำนักการวางผังและพัฒนาเมือง",
      "2021-10-01", "2022-01-31", "800000.00",
      reports=[R("2021-10-31", "30.0", "0.0"), R("2021-11-30", "60.0", "200000.0"),
               R("2021-12-31", "90.0", "500000.0"), R("2022-01-31", "100.0", "800000.0", event="completed")]),
    # P7 linear 364 days, cancelled on 2021-11-30 (day 60): 60/364 = 16.4835 %, progress 10: -6.48, watch.
    P("50010000-0007", "โครงการฝึกอบรมอาสาสมัครป้องกันภัยฝ่ายพลเรือน", "สำนักงานเขตพระนคร",
      "2021-10-01", "2022-09-30", "600000.00",
      reports=[R("2021-10-31", "5.0", "60000.0", "watch"),
               R("2021-11-30", "10.0", "60000.0", "watch", event="cancelled")]),
    # P8 linear 100 days, zero budget: 89 against 89, on_plan; no disbursement rate.
    P("01000000-0008", "โครงการประชาสัมพันธ์กิจกรรมสภาสัญจร", "สำนักงานเลขานุการสภากรุงเทพมหานคร",
      "2022-01-01", "2022-04-11", "0.0",
      reports=[R("2022-01-31", "30.0", "0.0"), R("2022-02-28", "58.0", "0.0"), R("2022-03-31", "89.0", "0.0")]),
    # P9 linear 150 days, ended 2022-02-28 but still active: late. Last report on the end day:
    #    95 against 100: -5, watch. Due Oct..Feb = 5, filed 5.
    P("18000000-0009", "โครงการจัดทำแผนที่ภาษีและทะเบียนทรัพย์สิน", "สำนักการวางผังและพัฒนาเมือง",
      "2021-10-01", "2022-02-28", "1000000.00", strategy="การบริหารจัดการเมืองมหานคร",
      reports=[R("2021-10-31", "20.0", "0.0"), R("2021-11-30", "40.0", "300000.0"),
               R("2021-12-31", "60.0", "500000.0", "watch"), R("2022-01-31", "80.0", "700000.0", "watch"),
               R("2022-02-28", "95.0", "900000.0", "watch")]),
    # P10 next fiscal year: not started, no target yet.
    P("50020000-0010", "โครงการปรับปรุงภูมิทัศน์ริมคลองโอ่งอ่าง", "สำนักงานเขตป้อมปราบศัตรูพ่าย",
      "2022-10-01", "2023-09-30", "2000000.00", fiscal_year=2566),
]  # fmt: skip


def record_text(p: P) -> str:
    lines = [
        "format = 1",
        f'code = "{p.code}"',
        f'name = "{p.name}"',
        f"fiscal_year = {p.fiscal_year}",
        f"start = {p.start}",
        f"end = {p.end}",
        f"budget = {p.budget}",
    ]
    if p.plan:
        lines.append(f"plan = [{', '.join(f'{v}.0' for v in p.plan)}]")
    lines += ["", "[agency]", f'department = "{p.department}"']
    if p.strategy:
        lines += ["", "[strategy]", f'issue = "{p.strategy}"']
    for no, r in enumerate(p.reports, start=1):
        lines += [
            "",
            "[[reports]]",
            f"no = {no}",
            f"date = {r.day}",
            f"progress = {r.progress}",
            f"disbursed = {r.disbursed}",
            f'plan_status = "{r.plan_status}"',
            'target_status = "on_target"',
            f'note = "รายงานครั้งที่ {no}"',
        ]
        if r.event:
            lines.append(f'event = "{r.event}"')
    return "\n".join(lines) + "\n"


INVALID = 'format = 1\ncode = "01000000-0099"\nname = "เสีย"\nfiscal_year = 2565\nstart = 2022-01-01\n'


def build(root: Path, *, with_invalid: bool = False) -> list[Path]:
    """Write the portfolio under ``root/records/<FY>/``; optionally one record that is not valid."""
    paths = []
    for p in PROJECTS:
        path = root / "records" / str(p.fiscal_year) / f"{p.code}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(record_text(p), encoding="utf-8")
        paths.append(path)
    if with_invalid:
        bad = root / "records" / "2565" / "01000000-0099.toml"
        bad.write_text(INVALID, encoding="utf-8")
        paths.append(bad)
    return paths


GOLDEN = Path(__file__).resolve().parent / "golden"


def assert_golden(name: str, text: str) -> None:
    """Compare with ``tests/golden/<name>``; ``UPDATE_GOLDEN=1`` rewrites it (then read the diff)."""
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"no golden file {path}: run with UPDATE_GOLDEN=1 and review it"
    assert text == path.read_text(encoding="utf-8"), f"output differs from {path}"


def status_table(
    rows: Any, lang: Any, fmt: str = "table", width: int | None = None, paint: Any = None
) -> str:
    """The status table of these rows as ``status`` lays it out (each row's kept line, then
    ``status_table_lines``), with its line ends."""
    from projledger.core.tables import _no_paint, status_line, status_table_lines

    lines = [status_line(row, lang, fmt, paint or _no_paint) for row in rows]
    cells, widths = [line.cells for line in lines], [line.widths for line in lines]
    return "\n".join(status_table_lines(cells, widths, lang, fmt, width)) + "\n"
