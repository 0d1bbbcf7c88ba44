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
