"""The sheet's format: its columns, their Thai headers and keys, the titles, the choice lists.

Export writes these columns and import reads them back, so both sides take them from here.
Each header is the Thai words with the English key the import reads in parentheses at its end
(``ความก้าวหน้าของงานฯ % (progress)``); a bare key is read too, so a CSV typed by hand works.
Context columns (code, name, the latest report) are read-only; the import reads only the key
columns and the ones a clerk fills.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..labels import EVENTS, PLAN_STATUSES, TARGET_STATUSES

Kind = Literal[
    "text", "code", "int", "date", "percent", "money", "number", "plan_status", "target_status", "event"
]
SheetKind = Literal["report", "new", "quarter"]

REPORT_TITLE = "รายงานประจำเดือน"
NEW_TITLE = "โครงการใหม่"
QUARTER_TITLE = "ผลตัวชี้วัดรายไตรมาส"


@dataclass(frozen=True)
class SheetColumn:
    """One column of a sheet: its key, Thai words, what it holds, and whether a clerk fills it."""

    key: str
    th: str
    kind: Kind = "text"
    fill: bool = True
    required: bool = False

    @property
    def header(self) -> str:
        return f"{self.th} ({self.key})"


#: The monthly sheet: context first (read-only), then what the clerk fills, in add-report's order.
REPORT_COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("code", "รหัสโครงการ", "code", fill=False, required=True),
    SheetColumn("name", "ชื่อโครงการ/กิจกรรม", fill=False),
    SheetColumn("month", "ประจำเดือน", fill=False),
    SheetColumn("no", "รายงานครั้งที่", "int", fill=False, required=True),
    SheetColumn("latest_no", "รายงานล่าสุด ครั้งที่", "int", fill=False),
    SheetColumn("latest_date", "รายงานล่าสุด วันที่", fill=False),
    SheetColumn("latest_progress", "รายงานล่าสุด ความก้าวหน้า %", "percent", fill=False),
    SheetColumn("latest_disbursed", "รายงานล่าสุด เบิกใช้สะสม (บาท)", "money", fill=False),
    SheetColumn("date", "วันที่รายงาน", "date", required=True),
    SheetColumn("progress", "ความก้าวหน้าของงานฯ %", "percent", required=True),
    SheetColumn("disbursed", "งบประมาณที่เบิกใช้สะสม (บาท)", "money"),
    SheetColumn("plan_status", "ผลตามแผน", "plan_status"),
    SheetColumn("target_status", "ผลตามเป้าหมาย", "target_status"),
    SheetColumn("note", "ผลการดำเนินงาน", required=True),
    SheetColumn("event", "เหตุการณ์", "event"),
)

#: The registration sheet: the options of ``new``.
NEW_COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("code", "รหัสโครงการ", "code", required=True),
    SheetColumn("name", "ชื่อโครงการ/กิจกรรม", required=True),
    SheetColumn("plan_ref", "แผนปฏิบัติราชการ"),
    SheetColumn("fiscal_year", "ปีงบประมาณ พ.ศ.", "int", required=True),
    SheetColumn("start", "เริ่มต้นโครงการ", "date", required=True),
    SheetColumn("end", "สิ้นสุดโครงการ", "date", required=True),
    SheetColumn("budget", "งบประมาณที่ได้รับ (บาท)", "money", required=True),
    SheetColumn("department", "หน่วยงาน", required=True),
    SheetColumn("division", "ส่วน/ฝ่าย"),
    SheetColumn("unit", "กลุ่มงาน"),
    SheetColumn("owner", "ชื่อผู้รับผิดชอบ"),
    SheetColumn("coordinator", "ผู้ประสานงาน สยป"),
)

#: The quarterly sheet (format 2): a row per KPI for its cumulative result at the quarter's end
#: and its evaluation (สยป.), and a row per format-2 project for its evaluation. One sheet, so a
#: CSV holds it whole; a project's row leaves the result columns empty.
QUARTER_COLUMNS: tuple[SheetColumn, ...] = (
    SheetColumn("code", "รหัสตัวชี้วัด/โครงการ", "code", fill=False, required=True),
    SheetColumn("record", "ประเภท", fill=False),
    SheetColumn("name", "ชื่อตัวชี้วัด/โครงการ", fill=False),
    SheetColumn("unit", "หน่วยนับ", fill=False),
    SheetColumn("target", "ค่าเป้าหมาย", "number", fill=False),
    SheetColumn("so_far", "ผลงานที่รายงานแล้ว", fill=False),
    SheetColumn("fiscal_year", "ปีงบประมาณ พ.ศ.", "int", fill=False),
    SheetColumn("quarter", "ไตรมาสที่", "int", fill=False, required=True),
    SheetColumn("value", "ผลงานสะสม ณ สิ้นไตรมาส", "number"),
    SheetColumn("date", "วันที่รายงานผล", "date"),
    SheetColumn("note", "รายงานผลฯ"),
    SheetColumn("score", "คะแนนประเมิน สยป.", "number"),
    SheetColumn("full_score", "คะแนนเต็ม", "number"),
    SheetColumn("evaluation_date", "วันที่ประเมิน", "date"),
)

COLUMNS: dict[SheetKind, tuple[SheetColumn, ...]] = {
    "report": REPORT_COLUMNS,
    "new": NEW_COLUMNS,
    "quarter": QUARTER_COLUMNS,
}
TITLES: dict[SheetKind, str] = {"report": REPORT_TITLE, "new": NEW_TITLE, "quarter": QUARTER_TITLE}
CHOICES: dict[str, tuple[str, ...]] = {
    "plan_status": PLAN_STATUSES,
    "target_status": TARGET_STATUSES,
    "event": EVENTS,
}


def column_letter(index: int) -> str:
    """``A`` for 0, ``AA`` for 26: the letters a spreadsheet shows above a column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters
