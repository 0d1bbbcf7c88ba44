"""The official form "แบบแสดงรายงานความก้าวหน้าและข้อมูลเกี่ยวกับโครงการ": its data and its text.

``build_form(project, status)`` turns a record into what the form shows, once; the text
renderer here and the HTML template (``pages.py``) both print that same ``Form``.

The text rendering and the printout importer (``legacy.py``) are designed together: the
importer reads every field this renderer prints, so ``import(show(R))`` gives ``R`` back for
every field the form carries. What the form carries, and how:

- single-line fields (code, name, plan_ref, dates, budget, agency, owner, coordinator,
  strategy) as ``label : value``; the plan reference and the name share one line, as on the
  printout (a space between them, so a name cannot run into the reference's numbers);
- the rationale as paragraphs separated by a blank line, each line of a paragraph kept;
- objectives and targets as numbered items (``1. ``), the lines of one item kept together;
- each report on one line, so a note's own line breaks print as spaces;
- a report's event: the printout shows a cancellation only inside the note
  (``ยกเลิกโครงการ ...``); when the note does not say it, the event's label is printed after
  the target status.

Not on the form: ``plan`` (the HTML chart uses it), ``agency.phone``, ``agency.budget_unit``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import groupby

from .calendar import format_be
from .labels import FORM_TITLE, field_label, label
from .money import format_money_form, format_percent
from .record import Project, Report
from .status import Status
from .text import one_line, printable

PAGE_HEADER = f"**** {FORM_TITLE} ****"
SECTION_1 = "1. ชื่อโครงการและหน่วยงานที่รับผิดชอบโครงการ"
HEADING_11 = "1.1 รหัสโครงการและชื่อโครงการ"
HEADING_12 = "1.2 หน่วยงานที่รับผิดชอบ"
HEADING_13 = "1.3 หลักการและเหตุผล"
HEADING_14 = "1.4 วัตถุประสงค์ของโครงการ"
HEADING_15 = "1.5 เป้าหมายของโครงการ"
HEADING_16 = "1.6 สนับสนุนแผนพัฒนา กทม. ระยะ 20 ปี (ยุทธศาสตร์-ประเด็นยุทธศาสตร์-กลยุทธ์ตามแผนฯ /ตัวชี้วัด)"
SECTION_2 = "2. รายงานความก้าวหน้าของโครงการและการใช้จ่ายงบประมาณ"

#: The strategy table's keys and the labels the printout gives them, in the printout's order.
STRATEGY_LABELS: tuple[tuple[str, str], ...] = (
    ("issue", "ประเด็นยุทธศาสตร์"),
    ("sub_issue", "ประเด็นยุทธศาสตร์ย่อย"),
    ("goal", "เป้าหมายที่"),
    ("kpi", "ตัวชี้วัด"),
)

#: The fields of 1.1, in the printout's order (the order of the text form too).
HEADER_KEYS = ("name", "code", "fiscal_year", "start", "budget", "end", "used")

REPORT_LABEL = "รายงานครั้งที่"
PROGRESS_LABEL = "ความก้าวหน้าของงานฯ"
DISBURSED_LABEL = "งบประมาณที่เบิกใช้"
#: Format 2's lines (the BMA system's words): the budget after transfers, สยป.'s quarterly score.
BUDGET_IN_FORCE_LABEL = "งบประมาณหลังปรับโอน"
EVALUATION_LABEL = "สยป. ประเมินโครงการ"
CERTIFICATION = "ขอรับรองว่าข้อมูลในแบบรายงานนี้ถูกต้องและเป็นความจริงทุกประการ"
SIGNATURES: tuple[str, ...] = ("ผู้รายงาน", "หัวหน้าหน่วยงาน")
SIGNATURE_LINE = "ลงชื่อ ........................................"
SIGNATURE_NAME = "(........................................)"
SIGNATURE_DATE = "วันที่ ......../......../........"


def event_in_note(note: str) -> str | None:
    """The event a note itself announces: the printout's only mark of a cancellation."""
    return "cancelled" if label("cancelled") in note else None


@dataclass
class FormReport:
    """One report line of section 2, every value already in the form's words."""

    no: int
    date_be: str
    note: str
    progress: str
    disbursed: str
    plan_status: str
    target_status: str
    #: The event's label when the note does not already say it; empty otherwise.
    event: str


@dataclass
class Form:
    """Everything the form shows, as text (record text unescaped: each renderer escapes it)."""

    title: str
    code: str
    plan_ref: str
    name: str
    fiscal_year: str
    start: str
    end: str
    budget: str
    used: str
    agency: str
    owner: str
    coordinator: str
    rationale: tuple[tuple[str, ...], ...]
    objectives: tuple[tuple[str, ...], ...]
    targets: tuple[tuple[str, ...], ...]
    strategy: tuple[tuple[str, str], ...]
    reports: tuple[FormReport, ...]
    as_of: date
    as_of_be: str
    state: str
    #: Format 2's fields under 1.1's budget used, as (label, value), in the order the text and the
    #: HTML form both print them: the budget in force after transfers (งบประมาณหลังปรับโอน) when a
    #: revision is in force on the day shown, then สยป.'s evaluations by then.
    added: tuple[tuple[str, str], ...] = ()
    #: The same on every form (not fields)
    certification = CERTIFICATION
    signatures = SIGNATURES

    @property
    def name_line(self) -> str:
        return f"{self.plan_ref} {self.name}" if self.plan_ref else self.name

    def labels(self) -> dict[str, str]:
        """The form's field labels, for templates."""
        return {key: field_label(key) for key in (*HEADER_KEYS, "agency", "owner", "coordinator")}


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.strip().splitlines() if line.strip())


def _paragraphs(text: str) -> tuple[tuple[str, ...], ...]:
    """Blank-line-separated paragraphs, each a tuple of its lines."""
    lines = (line.strip() for line in text.strip().splitlines())
    return tuple(tuple(paragraph) for filled, paragraph in groupby(lines, bool) if filled)


def agency_line(project: Project) -> str:
    """``department / division / unit``; a missing middle level keeps its place."""
    levels = [project.agency.department, project.agency.division, project.agency.unit]
    while len(levels) > 1 and not levels[-1]:
        levels.pop()
    return " / ".join(levels)


def build_form(project: Project, status: Status) -> Form:
    """The form as of ``status.as_of``: the reports filed by then, and the budget used then."""
    reports = project.reports_until(status.as_of)
    revised = any(r.date <= status.as_of for r in project.budget_revisions)
    evaluations = [e for e in project.evaluations if e.date <= status.as_of]
    return Form(
        title=FORM_TITLE,
        code=project.code,
        plan_ref=project.plan_ref.strip(),
        name=project.name.strip(),
        fiscal_year=str(project.fiscal_year),
        start=format_be(project.start),
        end=format_be(project.end),
        budget=format_money_form(project.budget),
        used=format_money_form(status.disbursed),
        agency=agency_line(project),
        owner=project.agency.owner,
        coordinator=project.agency.coordinator,
        rationale=_paragraphs(project.rationale),
        objectives=tuple(_lines(item) for item in project.objectives),
        targets=tuple(_lines(item) for item in project.targets),
        strategy=tuple((text, project.strategy.get(key, "")) for key, text in STRATEGY_LABELS),
        reports=tuple(_form_report(report) for report in reports),
        as_of=status.as_of,
        as_of_be=format_be(status.as_of),
        state=status.state,
        added=(
            *([(BUDGET_IN_FORCE_LABEL, f"{format_money_form(status.budget)} บาท")] if revised else []),
            *((EVALUATION_LABEL, f"ไตรมาสที่ {e.quarter} {e.score:.4f}") for e in evaluations),
        ),
    )


def _form_report(report: Report) -> FormReport:
    shown_event = report.event if report.event and event_in_note(report.note) != report.event else None
    return FormReport(
        no=report.no,
        date_be=format_be(report.date),
        note=report.note,
        progress=format_percent(report.progress),
        disbursed=format_money_form(report.disbursed),
        plan_status=label(report.plan_status),
        target_status=label(report.target_status),
        event=label(shown_event) if shown_event else "",
    )


def report_line(report: FormReport) -> str:
    """``รายงานครั้งที่N :: dd/mm/yyyy : note :: ความก้าวหน้าของงานฯ = 10.00 % ...``."""
    line = (
        f"{REPORT_LABEL}{report.no} :: {report.date_be} : {one_line(report.note)} :: "
        f"{PROGRESS_LABEL} = {report.progress} % "
        f"{DISBURSED_LABEL} (ครั้งที่ {report.no}) = {report.disbursed} บาท"
        f" : {report.plan_status} : {report.target_status}"
    )
    return line + (f" : {report.event}" if report.event else "")


def render_text(form: Form) -> str:
    """The form as plain text, in the printout's sections, labels and order."""

    def field(key: str, value: str) -> str:
        return f"{field_label(key)} : {printable(value, keep_newlines=False)}".rstrip()

    header = {key: getattr(form, key) for key in HEADER_KEYS}
    header.update(name=form.name_line, budget=f"{form.budget} บาท", used=f"{form.used} บาท")
    out: list[str] = [PAGE_HEADER, "", SECTION_1, "", HEADING_11, ""]
    out += [field(key, header[key]) for key in HEADER_KEYS]
    out += [f"{name} : {value}" for name, value in form.added]
    out += ["", HEADING_12, ""]
    out += [field(key, getattr(form, key)) for key in ("agency", "owner", "coordinator")]
    out += ["", HEADING_13, ""]
    for paragraph in form.rationale:
        out += [printable(line) for line in paragraph]
        out.append("")
    for heading, items in ((HEADING_14, form.objectives), (HEADING_15, form.targets)):
        out += [heading, ""]
        for number, lines in enumerate(items, start=1):
            first, *rest = lines or ("",)
            out.append(f"{number}. {printable(first)}".rstrip())
            out += [printable(line) for line in rest]
            out.append("")
    out += [HEADING_16, ""]
    out += [f"{text} : {printable(value, keep_newlines=False)}".rstrip() for text, value in form.strategy]
    out += ["", SECTION_2, ""]
    out += [report_line(report) for report in form.reports]
    out += ["", CERTIFICATION, ""]
    for role in SIGNATURES:
        out += [f"{SIGNATURE_LINE} {role}", SIGNATURE_NAME, SIGNATURE_DATE, ""]
    return "\n".join(out)
