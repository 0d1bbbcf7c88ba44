"""The form (core): its text, its HTML page, its chart, and the round trip import(show(R))."""

from __future__ import annotations

import re
import tomllib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projledger.core.charts import progress_chart
from projledger.core.config import Config
from projledger.core.form import build_form, render_text, report_line
from projledger.core.legacy import parse_printout
from projledger.core.pages import form_page, render_page
from projledger.core.record import Project
from projledger.core.status import compute_status

from conftest import SHIPPED

CONFIG = Config(root=Path("."), records_dir=Path("records"))
LATER = date(2030, 1, 1)
SPEC = tomllib.loads(SHIPPED.read_text("utf-8"), parse_float=Decimal)


def _form_text(data: dict[str, Any], as_of: date = LATER) -> str:
    project = Project.from_data(data)
    return render_text(build_form(project, compute_status(project, as_of, CONFIG)))


def _html(data: dict[str, Any], as_of: date = LATER) -> str:
    project = Project.from_data(data)
    return form_page(project, compute_status(project, as_of, CONFIG))


def carried(data: dict[str, Any]) -> dict[str, Any]:
    """The fields the form carries: all but plan, agency.phone and agency.budget_unit."""
    out = {k: v for k, v in data.items() if k not in ("plan",)}
    out["agency"] = {k: v for k, v in data["agency"].items() if k not in ("phone", "budget_unit") and v}
    return out


def test_round_trip_of_the_shipped_record_is_exact() -> None:
    imported = parse_printout(_form_text(SPEC), "show.txt")
    assert imported.warnings == ()
    assert imported.data == carried(SPEC)


def test_text_form_sections_and_report_line() -> None:
    text = _form_text(SPEC)
    order = [
        "**** แบบแสดงรายงานความก้าวหน้าและข้อมูลเกี่ยวกับโครงการ ****",
        "1.1 รหัสโครงการและชื่อโครงการ",
        "ชื่อโครงการ/กิจกรรม : สส.กทม. ปจ. 1/4 โครงการให้การต้อนรับ",
        "รหัสโครงการ : 01000000-2475",
        "ปีงบประมาณ พ.ศ. : 2565",
        "เริ่มต้นโครงการ : 01/10/2564",
        "งบประมาณที่ได้รับ : 3,540,000 บาท",
        "สิ้นสุดโครงการ : 30/01/2566",
        "งบประมาณที่ใช้ไป : 0 บาท",
        "1.2 หน่วยงานที่รับผิดชอบ",
        "หน่วยงานที่รับผิดชอบ : สำนักงานเลขานุการสภากรุงเทพมหานคร / สำนักงานเลขานุการสภากรุงเทพมหานคร / ",
        "ชื่อผู้รับผิดชอบ : ",
        "ผู้ประสานงาน สยป : คุณปริญดา",
        "1.3 หลักการและเหตุผล",
        "1.4 วัตถุประสงค์ของโครงการ",
        "1. เพื่อส่งเสริมและกระชับ",
        "1.5 เป้าหมายของโครงการ",
        "1.6 สนับสนุนแผนพัฒนา กทม. ระยะ 20 ปี",
        "ประเด็นยุทธศาสตร์ : การปฏิบัติงานประจำของหน่วยงาน",
        "ตัวชี้วัด : มิติที่ 1 ป.1 ความสำเร็จ",
        "2. รายงานความก้าวหน้าของโครงการและการใช้จ่ายงบประมาณ",
        "รายงานครั้งที่1 :: 25/10/2564 : อยู่ระหว่างจัดทำแผนปฏิบัติการ :: ความก้าวหน้าของงานฯ = 10.00 % "
        "งบประมาณที่เบิกใช้ (ครั้งที่ 1) = 0 บาท : เป็นไปตามแผน : เป็นไปตามเป้าหมาย",
        "รายงานครั้งที่12 :: 27/09/2565 : ยกเลิกโครงการ เนื่องจาก",
        "ขอรับรองว่าข้อมูลในแบบรายงานนี้ถูกต้องและเป็นความจริงทุกประการ",
        "ลงชื่อ ........................................ ผู้รายงาน",
        "ลงชื่อ ........................................ หัวหน้าหน่วยงาน",
    ]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)
    assert text.count("รายงานครั้งที่") == 12
    # The cancellation is in report 12's own note: no extra label is printed after its statuses.
    last = next(line for line in text.splitlines() if line.startswith("รายงานครั้งที่12 "))
    assert last.endswith(": ไม่เป็นไปตามแผน : ไม่เป็นไปตามเป้าหมาย")


def test_as_of_shows_what_was_filed_then_and_the_budget_used_then() -> None:
    data = {**SPEC, "reports": [dict(r) for r in SPEC["reports"]]}
    data["reports"][2]["disbursed"] = Decimal("1250.50")
    data["reports"][3]["disbursed"] = Decimal("2500")
    text = _form_text(data, as_of=date(2022, 1, 1))
    assert text.count("รายงานครั้งที่") == 3
    assert "งบประมาณที่ใช้ไป : 1,250.50 บาท" in text
    assert "งบประมาณที่ใช้ไป : 2,500 บาท" in _form_text(data, as_of=date(2022, 1, 31))
    assert "งบประมาณที่ใช้ไป : 0 บาท" in _form_text(data)  # the latest report's, not the largest


def test_completed_event_not_in_the_note_is_printed_after_the_statuses() -> None:
    data = {**SPEC, "reports": [dict(r) for r in SPEC["reports"]]}
    data["reports"][-1] = {**data["reports"][-1], "note": "ส่งมอบงาน", "event": "completed", "progress": 100}
    project = Project.from_data(data)
    form = build_form(project, compute_status(project, LATER, CONFIG))
    assert report_line(form.reports[-1]).endswith(": ไม่เป็นไปตามแผน : ไม่เป็นไปตามเป้าหมาย : ดำเนินการแล้วเสร็จ")
    assert parse_printout(_form_text(data), "x").data["reports"][-1]["event"] == "completed"


def test_text_form_escapes_control_characters_and_bidi_overrides() -> None:
    data = {
        **SPEC,
        "name": "โครงการ\x1b]0;pwned\x07 \u202eABC",
        "agency": {**SPEC["agency"], "owner": "a\x1b[2J"},
    }
    text = _form_text(data)
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "\\x1b]0;pwned\\x07 \\u202eABC" in text
    assert "a\\x1b[2J" in text


def test_html_escapes_every_record_text() -> None:
    evil = '<script>alert("x")</script>'
    data = {**SPEC, "name": evil, "reports": [{**SPEC["reports"][0], "note": evil}]}
    page = _html(data)
    assert "<script" not in page
    assert page.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") == 2


def test_html_shows_control_characters_and_bidi_overrides_as_escapes() -> None:
    page = _html({**SPEC, "name": "ab\u202ecd\x1b[2J"})
    assert "\u202e" not in page and "\x1b" not in page
    assert "ab\\u202ecd\\x1b[2J" in page


def test_html_page_is_a_self_contained_a4_form() -> None:
    page = _html(SPEC)
    assert "@page { size: A4" in page
    assert 'font-family: "TH Sarabun New", "Sarabun", "Laksaman", "Garuda", sans-serif' in page
    assert "break-inside: avoid" in page
    assert not re.search(r"(src|href)=|@import|url\(", page)  # nothing loaded from anywhere
    assert page.count("http") == page.count('xmlns="http://www.w3.org/2000/svg"')
    assert page.count('<section class="report">') == 12
    for report in SPEC["reports"]:
        be = f"{report['date'].day:02d}/{report['date'].month:02d}/{report['date'].year + 543}"
        assert be in page
    assert "<svg" in page and "01000000-2475" in page


def test_render_page_escapes_by_default() -> None:
    assert "&lt;b&gt;" in render_page("form.html", form=build_form(
        Project.from_data({**SPEC, "code": "<b>"}), compute_status(Project.from_data(SPEC), LATER, CONFIG)
    ), chart="<b>")  # fmt: skip


def test_chart_is_readable_without_colour() -> None:
    project = Project.from_data(SPEC)
    svg = progress_chart(project, project.reports, LATER)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<title" in svg and "ผลจริงเทียบกับแผน" in svg
    assert "เส้นทึบ" in svg and "เส้นประ" in svg  # the legend says which line is which
    # Every reported value is written (on paper and a wide screen; a phone keeps those with room).
    assert re.search(r'class="value( wide-only)?">92</text>', svg) and re.search(
        r'class="value( wide-only)?">8</text>', svg
    )
    assert "stroke-dasharray" not in svg  # styles live in the page's CSS
    # 16 months (Oct 2564 .. Jan 2566), each with an expected point (linear, at month end:
    # 30 of 486 days is 6.2 %); the desc lists every value.
    assert svg.count('class="expected-point"') == 16 + 1  # + the legend's
    assert "ต.ค.64: ตามแผน 6.2%, ผลจริง 10%; พ.ย.64: ตามแผน 12.3%, ผลจริง 8%" in svg


# --- generated records: import(show(R)) == R for every field the form carries ----------------

WORDS = ["โครงการ", "พัฒนา", "ชุมชน", "ถนน", "(COVID-19)", "ระบบ", "๑๗", "ประชุม", "ฯ", "กทม.", "A&B",
         "<ok>", "ไตรมาส", "ครั้งที่ 2", "25/10/2564", "ร้อยละ 5", "ก-ข", ":", "ผลการ", "การ",
         "ตามรายงานครั้งที่ 3", "(ครั้งที่ 2)", "๑. ข้อ", "::", "2."]  # fmt: skip


def _text(words: st.SearchStrategy[list[str]]) -> st.SearchStrategy[str]:
    return words.map(" ".join).filter(lambda s: not re.match(r"[0-9]", s))


phrase = _text(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6))
sub_item = st.integers(1, 9).map(lambda n: f"๑.{'๐๑๒๓๔๕๖๗๘๙'[n]} เมือง")
item = st.lists(st.one_of(phrase, sub_item), min_size=1, max_size=3).filter(
    lambda lines: not re.match(r"[0-9๐-๙]", lines[0]) and not lines[0].startswith("-")
).map("\n".join)  # fmt: skip
money = st.integers(0, 10**9).map(lambda c: Decimal(c) / 100)
percent = st.integers(0, 10000).map(lambda c: (Decimal(c) / 100).quantize(Decimal("0.01")))


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    start = date(2020, 1, 1) + timedelta(days=draw(st.integers(0, 2000)))
    end = start + timedelta(days=draw(st.integers(0, 900)))
    agency: dict[str, Any] = {"department": draw(phrase)}
    for key in ("division", "unit", "owner", "coordinator"):
        if draw(st.booleans()):
            agency[key] = draw(phrase)
    if draw(st.booleans()):
        agency["phone"] = "02 587 0923"
    data: dict[str, Any] = {
        "format": 1,
        "code": f"{draw(st.integers(0, 99999999)):08d}-{draw(st.integers(0, 99999)):04d}",
        "name": draw(phrase),
        "plan_ref": f"สนย. ปจ. {draw(st.integers(1, 20))}/{draw(st.integers(1, 20))}",
        "fiscal_year": draw(st.integers(2560, 2575)),
        "start": start,
        "end": end,
        "budget": draw(money),
        "agency": agency,
    }
    paragraphs = draw(st.lists(st.lists(phrase, min_size=1, max_size=2).map("\n".join), max_size=3))
    details: dict[str, Any] = {}
    if paragraphs:
        details["rationale"] = "\n\n".join(paragraphs)
    for key in ("objectives", "targets"):
        if items := draw(st.lists(item, max_size=3)):
            details[key] = items
    if details:
        data["details"] = details
    strategy = {k: draw(phrase) for k in ("issue", "sub_issue", "goal", "kpi") if draw(st.booleans())}
    if strategy:
        data["strategy"] = strategy
    reports = []
    day = start
    for no in range(1, draw(st.integers(0, 5)) + 1):
        day += timedelta(days=draw(st.integers(0, 40)))
        reports.append({
            "no": no, "date": day, "progress": draw(percent), "disbursed": draw(money),
            "plan_status": draw(st.sampled_from(["on_plan", "watch", "behind"])),
            "target_status": draw(st.sampled_from(["on_target", "off_target"])),
            "note": draw(phrase),
        })  # fmt: skip
    if reports and (event := draw(st.sampled_from([None, "cancelled", "completed"]))):
        reports[-1]["event"] = event
        if event == "cancelled" and draw(st.booleans()):
            reports[-1]["note"] = "ยกเลิกโครงการ " + reports[-1]["note"]
    if reports:
        data["reports"] = reports
    return data


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records())
def test_round_trip_of_generated_records(data: dict[str, Any]) -> None:
    imported = parse_printout(_form_text(data), "show.txt")
    assert imported.warnings == ()
    assert imported.data == carried(data)
