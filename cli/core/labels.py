"""Every word a person reads for a stored value, in Thai (the form's own words) and English.

One home: the form, the tables, the site, the spreadsheet and the legacy importer all read
their labels here, and the importer reads them backwards.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["th", "en"]
LANGS: tuple[Lang, ...] = ("th", "en")

PLAN_STATUSES = ("on_plan", "watch", "behind")
TARGET_STATUSES = ("on_target", "off_target")
EVENTS = ("cancelled", "completed")
STATES = ("not_started", "active", "completed", "cancelled")
KPI_CATEGORIES = ("routine", "strategic")
KPI_LEVELS = ("output", "outcome")
KPI_DIRECTIONS = ("higher", "lower")
#: The orders ``status --sort`` offers (``portfolio.SORTS`` sorts by them) and what ``summary
#: --by`` groups by (``summary``): here, so that a command's options are made without
#: importing what computes rows (a run answered from the index imports neither).
SORT_NAMES = ("worst", "code", "name", "agency", "fiscal-year", "state", "plan-status", "progress",
              "variance", "disbursement", "overdue", "end")  # fmt: skip
DIMENSIONS = ("agency", "fiscal-year", "state", "plan-status", "strategy", "quarter")


def dimensions_problem(dims: tuple[str, ...]) -> str | None:
    """Why ``summary`` cannot group by ``dims`` (its ``--by`` in order), or None: in the run's
    language (i18n imports this module, so it is imported here, when first needed)."""
    from .i18n import _

    for dim in dims:
        if dim not in DIMENSIONS:
            return _("cannot group by '{by}'; choose from {choices}").format(
                by=dim, choices=", ".join(DIMENSIONS)
            )
    if len(set(dims)) != len(dims):
        return _("each --by may be given once")
    if "quarter" in dims and dims[-1] != "quarter":
        return _("--by quarter splits the groups into quarters: give it last")
    return None


_LABELS: dict[str, dict[Lang, str]] = {
    # plan_status
    "on_plan": {"th": "เป็นไปตามแผน", "en": "on plan"},
    "watch": {"th": "เป็นไปตามแผนแต่ควรติดตาม", "en": "on plan, watch"},
    "behind": {"th": "ไม่เป็นไปตามแผน", "en": "behind plan"},
    # target_status
    "on_target": {"th": "เป็นไปตามเป้าหมาย", "en": "on target"},
    "off_target": {"th": "ไม่เป็นไปตามเป้าหมาย", "en": "off target"},
    # events
    "cancelled": {"th": "ยกเลิกโครงการ", "en": "cancelled"},
    "completed": {"th": "ดำเนินการแล้วเสร็จ", "en": "completed"},
    # states (completed and cancelled share the event's words)
    "not_started": {"th": "ยังไม่เริ่ม", "en": "not started"},
    "active": {"th": "กำลังดำเนินการ", "en": "active"},
    # a KPI's category, level and direction (the words of the old system's KPI pages), and
    # whether its result meets its target
    "routine": {"th": "ตัวชี้วัดงานประจำ", "en": "routine"},
    "strategic": {"th": "ตัวชี้วัดเชิงยุทธศาสตร์", "en": "strategic"},
    "output": {"th": "ตัวชี้วัดระดับผลผลิต", "en": "output"},
    "outcome": {"th": "ตัวชี้วัดระดับผลลัพธ์", "en": "outcome"},
    "higher": {"th": "มากกว่าดีกว่า", "en": "higher is better"},
    "lower": {"th": "น้อยกว่าดีกว่า", "en": "lower is better"},
    "met": {"th": "ผ่าน", "en": "met"},
    "not_met": {"th": "ไม่ผ่าน", "en": "not met"},
}


def label(value: str | None, lang: Lang = "th") -> str:
    """The words for a stored value; the value itself when it has none (never a KeyError)."""
    if value is None:
        return ""
    entry = _LABELS.get(value)
    return entry[lang] if entry else value


def value_for_label(text: str, choices: tuple[str, ...]) -> str | None:
    """The stored value whose Thai or English label, or key, is ``text`` exactly."""
    wanted = " ".join(text.split())
    for value in choices:
        if wanted == value or wanted in _LABELS[value].values():
            return value
    return None


#: The KPI page's own words, as the old system prints them (``mykpi``): ``show`` prints them
#: (core/kpi_views.py) and ``import`` reads them back (core/kpi_page.py).
KPI_PAGE_TITLE = "ตัวชี้วัดของหน่วยงาน"
KPI_TARGET_LABEL = "ค่าเป้าหมาย"
KPI_ACHIEVED_LABEL = "ผลงานที่ทำได้"
KPI_TABLE_HEADING = "ผลงานเทียบกับเป้าหมายรายไตรมาส"

#: Names of the record's fields as the form prints them (and the schema's titles repeat).
FORM_TITLE = "แบบแสดงรายงานความก้าวหน้าและข้อมูลเกี่ยวกับโครงการ"

FIELD_LABELS: dict[str, dict[Lang, str]] = {
    "code": {"th": "รหัสโครงการ", "en": "code"},
    "name": {"th": "ชื่อโครงการ/กิจกรรม", "en": "name"},
    "fiscal_year": {"th": "ปีงบประมาณ พ.ศ.", "en": "fiscal year"},
    "start": {"th": "เริ่มต้นโครงการ", "en": "start"},
    "end": {"th": "สิ้นสุดโครงการ", "en": "end"},
    "budget": {"th": "งบประมาณที่ได้รับ", "en": "budget"},
    "used": {"th": "งบประมาณที่ใช้ไป", "en": "budget used"},
    "agency": {"th": "หน่วยงานที่รับผิดชอบ", "en": "agency"},
    "owner": {"th": "ชื่อผู้รับผิดชอบ", "en": "owner"},
    "coordinator": {"th": "ผู้ประสานงาน สยป", "en": "coordinator"},
    "state": {"th": "สถานะ", "en": "state"},
    "report_no": {"th": "รายงานครั้งที่", "en": "report"},
    "date": {"th": "วันที่", "en": "date"},
    "progress": {"th": "ความก้าวหน้าของงานฯ", "en": "progress"},
    "expected": {"th": "ตามแผน", "en": "expected"},
    "variance": {"th": "ส่วนต่าง", "en": "variance"},
    "disbursed": {"th": "งบประมาณที่เบิกใช้", "en": "disbursed"},
    "disbursement_rate": {"th": "% เบิกจ่าย", "en": "disbursed %"},
    "plan_status": {"th": "ผลตามแผน", "en": "plan status"},
    "computed_plan_status": {"th": "ผลตามแผน (คำนวณ)", "en": "computed plan status"},
    "target_status": {"th": "ผลตามเป้าหมาย", "en": "target status"},
    "overdue": {"th": "ค้างรายงาน (เดือน)", "en": "overdue months"},
    "note": {"th": "ผลการดำเนินงาน", "en": "note"},
    "projects": {"th": "จำนวนโครงการ", "en": "projects"},
    "total": {"th": "รวม", "en": "total"},
}


def field_label(key: str, lang: Lang = "th") -> str:
    entry = FIELD_LABELS.get(key)
    return entry[lang] if entry else key


#: Words of the tables and sheets that are not the form's field labels (headers shorter than the
#: form's labels, so a table fits a terminal; words of charts and totals).
TABLE_WORDS: dict[str, dict[Lang, str]] = {
    "agency_code": {"th": "หน่วยงาน", "en": "agency"},
    "latest_no": {"th": "ครั้งที่", "en": "report"},
    "latest_date": {"th": "วันที่รายงาน", "en": "reported on"},
    "progress": {"th": "ก้าวหน้า %", "en": "progress %"},
    "expected": {"th": "ตามแผน %", "en": "expected %"},
    "plan_status": {"th": "ผลตามแผน (รายงาน)", "en": "reported status"},
    "bar": {"th": "", "en": ""},
    # Column headers: shorter than the form's labels, so a table fits a terminal.
    "disbursed": {"th": "เบิกจ่าย", "en": "disbursed"},
    "budget": {"th": "งบประมาณ", "en": "budget"},
    "computed_plan_status": {"th": "ผลตามแผน (คำนวณ)", "en": "computed status"},
    "late": {"th": "เลยกำหนด", "en": "late"},
    "department": {"th": "ส่วนราชการ", "en": "department"},
    "strategy": {"th": "ประเด็นยุทธศาสตร์", "en": "strategy"},
    "none": {"th": "ยังไม่มีรายงาน", "en": "no report"},
    "overdue_projects": {"th": "ค้างรายงาน (โครงการ)", "en": "overdue projects"},
    "weighted_progress": {"th": "ก้าวหน้าเฉลี่ย %", "en": "mean progress %"},
    "quarter": {"th": "ไตรมาส", "en": "quarter"},
    "quarter_end": {"th": "สิ้นไตรมาส", "en": "quarter end"},
    "target": {"th": "เป้าหมาย %", "en": "target %"},
    "gap": {"th": "ส่วนต่างเป้าหมาย", "en": "gap"},
    "as_of": {"th": "ณ วันที่", "en": "as of"},
    "due": {"th": "ครบกำหนดส่ง", "en": "due"},
    "filed": {"th": "ส่งแล้ว", "en": "filed"},
    "months": {"th": "ความก้าวหน้ารายเดือน", "en": "progress by month"},
    "actual": {"th": "ผลจริง", "en": "actual"},
    "quarters": {"th": "การเบิกจ่ายเทียบเป้าหมายรายไตรมาส", "en": "disbursement against quarterly targets"},
    "reports": {"th": "รายงานความก้าวหน้า", "en": "progress reports"},
    "event": {"th": "เหตุการณ์", "en": "event"},
    "not_yet": {"th": "ยังไม่ถึง", "en": "not yet"},
    # Headers only the spreadsheets show.
    "disbursement_target": {"th": "เป้าหมายการเบิกจ่าย %", "en": "disbursement target %"},
    "disbursement_gap": {"th": "ส่วนต่างเป้าหมายการเบิกจ่าย", "en": "gap to the target"},
    "path": {"th": "ไฟล์", "en": "file"},
    # Words of a KPI and of the appended blocks (what the commands' prompts ask for), the KPI
    # table of status and the KPI figures of summary.
    "kpi_name": {"th": "ชื่อตัวชี้วัด", "en": "KPI name"},
    "measure_unit": {"th": "หน่วยนับ", "en": "unit of measure"},
    "kpi_target": {"th": "ค่าเป้าหมาย", "en": "target"},
    "value": {"th": "ผลงานที่ทำได้", "en": "result"},
    "score": {"th": "คะแนน", "en": "score"},
    "budget_in_force": {"th": "งบประมาณหลังปรับโอน", "en": "budget after transfers"},
    "reference": {"th": "อ้างอิง", "en": "reference"},
    "kpis_title": {"th": "ตัวชี้วัด", "en": "KPIs"},
    "kpi_code": {"th": "รหัสตัวชี้วัด", "en": "code"},
    "latest_value": {"th": "ผลงานที่ทำได้", "en": "latest result"},
    "percent_of_target": {"th": "% ของเป้าหมาย", "en": "% of target"},
    "met": {"th": "ผ่าน/ไม่ผ่าน", "en": "met"},
    "latest_evaluation": {"th": "ผลประเมิน สยป.", "en": "evaluation"},
    "full_score": {"th": "คะแนนเต็ม", "en": "full score"},
    "quarter_no": {"th": "ไตรมาสที่", "en": "Q"},
    "kpis": {"th": "ตัวชี้วัด", "en": "KPIs"},
    "kpis_met": {"th": "ผ่าน", "en": "met"},
    "kpis_not_met": {"th": "ไม่ผ่าน", "en": "not met"},
    "project_score_mean": {"th": "คะแนนโครงการ %", "en": "project score %"},
    "kpi_score_mean": {"th": "คะแนนตัวชี้วัด %", "en": "KPI score %"},
}


def word(key: str, lang: Lang) -> str:
    """A table's or a sheet's word for ``key``: its own, else the form's field label."""
    entry = TABLE_WORDS.get(key)
    return entry[lang] if entry else field_label(key, lang)


#: Words of ``status --since``: what changed in a record since a git revision.
REVIEW_WORDS: dict[str, dict[Lang, str]] = {
    "added": {"th": "ระเบียนใหม่", "en": "new record"},
    "deleted": {"th": "ระเบียนถูกลบ", "en": "record deleted"},
    "renamed": {"th": "ย้ายมาจาก", "en": "moved from"},
    "new_reports": {"th": "รายงานใหม่ ครั้งที่", "en": "new report"},
    "removed_reports": {"th": "รายงานที่ถูกลบ ครั้งที่", "en": "report removed"},
    "edited_reports": {"th": "แก้ไขรายงานเดิม ครั้งที่", "en": "earlier report edited"},
    "progress": {"th": "ความก้าวหน้า %", "en": "progress %"},
    "plan_status": {"th": "ผลตามแผน", "en": "plan status"},
    "target_status": {"th": "ผลตามเป้าหมาย", "en": "target status"},
    "disbursed": {"th": "เบิกจ่าย", "en": "disbursed"},
    "event": {"th": "เหตุการณ์", "en": "event"},
    "fields": {"th": "แก้ไขข้อมูลโครงการ", "en": "project data changed"},
    "unreadable": {"th": "อ่านไม่ได้", "en": "cannot be read"},
    "same": {"th": "ไม่มีค่าใดเปลี่ยน", "en": "no value changed"},
    "none": {"th": "-", "en": "-"},
}


#: Standard abbreviations of BMA agencies (the first words of a project's plan reference, as in
#: ``สส.กทม. ปจ. 1/4``), by the department's full name. Reference data for reading damaged
#: printouts: an abbreviation one or two letters off its own department's is an extraction slip.
AGENCY_ABBREVIATIONS: dict[str, str] = {
    "สำนักงานเลขานุการสภากรุงเทพมหานคร": "สส.กทม.",
    "สำนักยุทธศาสตร์และประเมินผล": "สยป.",
    "สำนักการวางผังและพัฒนาเมือง": "สวพ.",
    "สำนักการโยธา": "สนย.",
    "สำนักการระบายน้ำ": "สนน.",
    "สำนักสิ่งแวดล้อม": "สสล.",
    "สำนักการแพทย์": "สนพ.",
    "สำนักอนามัย": "สนอ.",
    "สำนักการศึกษา": "สนศ.",
    "สำนักเทศกิจ": "สนท.",
    "สำนักการคลัง": "สนค.",
    "สำนักพัฒนาสังคม": "สพส.",
    "สำนักการจราจรและขนส่ง": "สจส.",
    "สำนักป้องกันและบรรเทาสาธารณภัย": "สปภ.",
}
