"""The printout importer (core): the shipped printout, every mangled copy, the fuzzy labels."""

from __future__ import annotations

import copy
import re
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from projledger.core.errors import ConflictError, InputError
from projledger.core.legacy import (
    FUZZY_CUTOFF,
    IncompleteReportsError,
    MissingFieldsError,
    decode_printout,
    fuzzy_choice,
    merge_into_record,
    parse_printout,
)
from projledger.core.record import Document

from conftest import DATA, LEGACY_PRINTOUT, SPEC_RECORD

SPEC = tomllib.loads(SPEC_RECORD.read_text("utf-8"), parse_float=Decimal)
LEGACY = DATA / "legacy"
ALL_REPORTS = list(range(1, 13))
REPORT_KEYS = ("no", "date", "progress", "disbursed", "plan_status", "target_status", "event")


def _import(path: Path) -> tuple[dict[str, Any], list[str]]:
    result = parse_printout(path.read_text("utf-8"), path.name)
    return result.data, [w.one_line() for w in result.warnings]


def _spec_report(no: int) -> dict[str, Any]:
    return next(r for r in SPEC["reports"] if r["no"] == no)


def _mended(kpi_line: int) -> list[tuple[int, str]]:
    """The two extraction slips every copy of the shared printout has, mended with a warning."""
    return [
        (11, "plan_ref: read the agency abbreviation 'สส.สทท.' as 'สส.กทม.', the abbreviation of สำนักงานเลขานุการสภากรุงเทพมหานคร; check it"),
        (kpi_line, "strategy.kpi: put back the space after the indicator code that extraction dropped; check it"),
    ]  # fmt: skip


def _unmended(warnings: tuple[Any, ...]) -> tuple[Any, ...]:
    """The warnings other than the two slips every copy of the shared printout carries."""
    return tuple(w for w in warnings if w.field not in ("plan_ref", "strategy.kpi"))


def test_shipped_printout_equals_the_record() -> None:
    data, warnings = _import(LEGACY_PRINTOUT)
    assert warnings == [
        f"{LEGACY_PRINTOUT.name}:{line}: warning [legacy-import] {text}" for line, text in _mended(131)
    ]
    for key in ("code", "name", "plan_ref", "fiscal_year", "start", "end", "budget", "agency", "strategy"):
        assert data[key] == SPEC[key], key
    assert data["format"] == 1
    assert data["start"] == date(2021, 10, 1) and data["end"] == date(2023, 1, 30)
    assert [r["no"] for r in data["reports"]] == ALL_REPORTS
    for got, want in zip(data["reports"], SPEC["reports"], strict=True):
        for key in REPORT_KEYS:
            assert got.get(key) == want.get(key), (got["no"], key)
    # Notes 1-11 are single printed lines and come back exactly.
    for got, want in zip(data["reports"][:11], SPEC["reports"][:11], strict=True):
        assert got["note"] == want["note"]
    assert data["reports"][-1]["event"] == "cancelled"


def test_printout_text_as_printed_where_extraction_left_it_ambiguous() -> None:
    """The printout's own text is kept where no known vocabulary says otherwise."""
    data, _ = _import(LEGACY_PRINTOUT)
    # Report 12's note wraps over 4 lines; wrapped lines are joined with a space, but the
    # record has none at "ในฐานะแขกของ" (a cut inside a phrase cannot be told from a space).
    note = data["reports"][-1]["note"]
    assert note.replace("ในฐานะ แขกของ", "ในฐานะแขกของ") == SPEC["reports"][-1]["note"]


def test_shipped_printout_details_keep_the_printouts_own_lines() -> None:
    data, _ = _import(LEGACY_PRINTOUT)
    details = data["details"]
    paragraphs = details["rationale"].split("\n\n")
    assert len(paragraphs) == 15  # every printed line is its own blank-separated paragraph
    assert paragraphs[0] == "ปัจจุบันความสัมพันธ์ระหว่างประเทศทั้งด้านการเมือง เศรษฐกิจ สังคม และวัฒนธรรม"
    assert len(details["objectives"]) == 4
    assert details["objectives"][1].endswith("สภามิตรประเทศไทยต่าง ๆ")  # wrapped line joined
    assert "\n" not in details["objectives"][1]
    targets = details["targets"]
    assert len(targets) == 3
    lines = targets[0].split("\n")
    assert lines[0].endswith("จำนวน ๑๗ เมือง ประกอบด้วย")
    assert lines[1] == "๑.๑ นครคุนหมิง สาธารณรัฐประชาชนจีน"
    assert lines[14] == "- ๑.๑๔ นครฉงชิ่ง สาธารณรัฐประชาชนจีน"  # across the page break, as printed
    assert len(lines) == 18


def _reports(data: dict[str, Any]) -> list[int]:
    return [r["no"] for r in data.get("reports", [])]


# name -> (report numbers imported, warnings expected as (line, text) pairs, in order)
CASES: dict[str, tuple[list[int], list[tuple[int, str]]]] = {
    "lines_cut.txt": (ALL_REPORTS, _mended(132)),
    "pages_merged.txt": (ALL_REPORTS, _mended(123)),
    "reports_shifted.txt": (ALL_REPORTS, _mended(131)),
    "reports_figures_next_header.txt": (
        ALL_REPORTS,
        [
            *_mended(131),
            (
                162,
                "reports[9].plan_status: read the misspelt 'เป็นไปตามแผนแต่ควรถติ' as 'เป็นไปตามแผนแต่ควรติดตาม' (watch)",
            ),
        ],
    ),
    "reports_figures_mixed.txt": (
        ALL_REPORTS,
        [
            *_mended(131),
            (
                145,
                "reports[5].target_status: read the misspelt 'เป็นไปตามเป้าหมา' as 'เป็นไปตามเป้าหมาย' (on_target)",
            ),
        ],
    ),
    "thai_digits.txt": (ALL_REPORTS, _mended(131)),
    "labels_misspelt.txt": (
        [n for n in ALL_REPORTS if n != 6],
        [
            _mended(131)[0],
            (13, "code: read the label 'รหัสโครงกาาร...' as 'รหัสโครงการ'"),
            (31, "coordinator: read the label 'ผู้ประสานงาน สยบ' as 'ผู้ประสานงาน สยป'"),
            _mended(131)[1],
            (
                138,
                "reports[4].plan_status: read the misspelt 'เป็นไปตามแผนแต่ควรถติ' as 'เป็นไปตามแผนแต่ควรติดตาม' (watch)",
            ),
            (
                139,
                "reports[5].target_status: read the misspelt 'เป็นไปตามเป้าหมา' as 'เป็นไปตามเป้าหมาย' (on_target)",
            ),
            (140, "reports[6]: 'ะะะะะะะะ' is not a status of the form; left out"),
            (140, "reports[6]: report 6 is left out: its target_status cannot be read"),
        ],
    ),
    "end_cut.txt": (
        list(range(1, 12)),
        [
            *_mended(131),
            (
                151,
                "reports[12]: report 12 is left out: its progress, disbursed, plan_status, target_status cannot be read",
            ),
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_mangled_printout_imports_as_far_as_it_truly_can(name: str) -> None:
    want_reports, want_warnings = CASES[name]
    data, warnings = _import(LEGACY / name)
    assert _reports(data) == want_reports
    # Every printout shows all 12 reports: those not imported are named as left out.
    left_out = parse_printout((LEGACY / name).read_text("utf-8"), name).left_out
    assert [item.no for item in left_out] == [n for n in ALL_REPORTS if n not in want_reports]
    assert len(warnings) == len(want_warnings), warnings
    for got, (line, text) in zip(warnings, want_warnings, strict=True):
        assert got.startswith(f"{name}:{line}: warning [legacy-import] "), got
        assert got.endswith(text), got
    # Whatever was imported is exactly what the record says (never a guessed value).
    for key in ("code", "name", "plan_ref", "fiscal_year", "start", "end", "budget", "agency", "strategy"):
        assert data[key] == SPEC[key], key
    for report in data["reports"]:
        want = _spec_report(report["no"])
        for key in REPORT_KEYS:
            assert report.get(key) == want.get(key), (report["no"], key)
    # The cancellation is read from the last report's note only when that report is there.
    last = data["reports"][-1]
    assert last.get("event") == ("cancelled" if last["no"] == 12 else None)


def test_report_printed_beside_the_next_header_is_paired_by_its_number() -> None:
    data, _ = _import(LEGACY / "reports_shifted.txt")
    three, four = data["reports"][2], data["reports"][3]
    assert (three["progress"], three["plan_status"]) == (Decimal("20.00"), "watch")
    assert (four["date"], four["progress"]) == (date(2022, 1, 25), Decimal("30.00"))
    assert four["note"] == "อยู่ระหว่างการวางแผนการปฏิบัติงาน"


def test_lines_cut_are_joined() -> None:
    data, _ = _import(LEGACY / "lines_cut.txt")
    assert data["plan_ref"] == "สส.กทม. ปจ. 1/4"
    assert data["reports"][4]["note"] == SPEC["reports"][4]["note"]


@pytest.mark.parametrize(
    ("name", "missing"),
    [
        (
            "first_page_missing.txt",
            ("code", "name", "fiscal_year", "start", "end", "budget", "agency.department"),
        ),
        ("budget_unreadable.txt", ("budget",)),
    ],
)
def test_missing_required_fields_are_named_and_nothing_is_returned(
    name: str, missing: tuple[str, ...]
) -> None:
    with pytest.raises(MissingFieldsError) as caught:
        parse_printout((LEGACY / name).read_text("utf-8"), name)
    assert caught.value.missing == missing
    assert ", ".join(missing) in str(caught.value)


def test_unreadable_budget_is_reported_with_its_line() -> None:
    with pytest.raises(MissingFieldsError) as caught:
        parse_printout((LEGACY / "budget_unreadable.txt").read_text("utf-8"), "b.txt")
    (warning,) = _unmended(caught.value.warnings)
    assert (warning.line, warning.field) == (19, "budget")
    assert "3,54O,000" in warning.message


def test_first_page_missing_reports_the_orphan_lines() -> None:
    with pytest.raises(MissingFieldsError) as caught:
        parse_printout((LEGACY / "first_page_missing.txt").read_text("utf-8"), "f.txt")
    assert [w.line for w in _unmended(caught.value.warnings)] == [3, 4, 5, 6, 8, 10]


@pytest.mark.parametrize(
    ("text", "value", "fuzzy"),
    [
        ("เป็นไปตามแผนแต่ควรติดตาม", "watch", False),
        ("เป็นไปตามแผนแต่ควรถติ", "watch", True),
        ("ไมเป็นไปตามแผน", "behind", True),
        ("เป็นไปตามเป้าหมา", "on_target", True),
        ("ไม่เป็นไปตามเป้าหมาย", "off_target", False),
        ("เป็นไป", None, False),
        ("ะะะะะะะะ", None, False),
        ("", None, False),
    ],
)
def test_fuzzy_status_labels(text: str, value: str | None, fuzzy: bool) -> None:
    from projledger.core.labels import label

    choices = {label(v): v for v in ("on_plan", "watch", "behind", "on_target", "off_target")}
    assert fuzzy_choice(text, choices) == (value, fuzzy)
    assert 0.5 < FUZZY_CUTOFF < 1


def test_input_limits() -> None:
    with pytest.raises(InputError, match="1 MiB"):
        decode_printout(b"x" * (1024 * 1024 + 1), "big.txt")
    with pytest.raises(InputError, match="UTF-8"):
        decode_printout("รายงาน".encode("cp874"), "tis.txt")
    with pytest.raises(InputError, match="NUL"):
        decode_printout(b"a\x00b", "bin.txt")
    assert decode_printout("\ufeffรหัส".encode(), "bom.txt") == "รหัส"


def test_empty_or_garbage_text_names_every_required_field() -> None:
    for text in ("", "\n\n", "hello : world\n"):
        with pytest.raises(MissingFieldsError) as caught:
            parse_printout(text, "x.txt")
        assert "code" in caught.value.missing


@pytest.mark.parametrize(
    ("old", "new", "field", "message"),
    [
        ("= 40.00 %", "= 4O.00 %", "reports[5].progress", "'4O.00' is not a percentage"),
        ("(ครั้งที่ 5) = 0 บาท", "(ครั้งที่ 5) = 0,0 บาท", "reports[5].disbursed", "'0,0' is not an amount of baht"),
        ("22/02/2565", "32/02/2565", "reports[5].date", "'32/02/2565' is not a day of the calendar"),
    ],
)
def test_an_unreadable_report_value_leaves_the_report_out(
    old: str, new: str, field: str, message: str
) -> None:
    text = LEGACY_PRINTOUT.read_text("utf-8")
    assert text.count(old) == 1
    result = parse_printout(text.replace(old, new), "p.txt")
    assert [r["no"] for r in result.data["reports"]] == [n for n in ALL_REPORTS if n != 5]
    left_out, first = _unmended(result.warnings)  # sorted by line, then field
    assert (first.line, first.field) == (139, field)
    assert first.message.startswith("cannot be read and is left out: ") and message in first.message
    assert (left_out.line, left_out.field) == (139, "reports[5]")
    assert left_out.message == f"report 5 is left out: its {field.split('.')[1]} cannot be read"


def test_used_budget_that_disagrees_with_the_latest_report_is_a_warning() -> None:
    text = LEGACY_PRINTOUT.read_text("utf-8").replace("งบประมาณที่ใช้ไป : 0 บาท", "งบประมาณที่ใช้ไป : 1,000 บาท")
    (warning,) = _unmended(parse_printout(text, "p.txt").warnings)
    assert (warning.line, warning.field) == (23, "used")


def test_report_numbers_and_progress_with_thai_digits() -> None:
    text = LEGACY_PRINTOUT.read_text("utf-8")
    text = text.replace("รายงานครั้งที่2\t", "รายงานครั้งที่๒\t").replace("(ครั้งที่ 2) = 0", "(ครั้งที่ ๒) = ๐")
    result = parse_printout(text, "p.txt")
    assert _unmended(result.warnings) == ()
    assert result.data["reports"][1]["no"] == 2 and result.data["reports"][1]["progress"] == Decimal("8.00")


@pytest.mark.parametrize(
    ("printed", "value"),
    [
        ("ไมเป็นไปตามเป้าหมาย", "off_target"),
        ("ไม่เปนไปตามเป้าหมาย", "off_target"),
        ("เปนไปตามเป้าหมาย", "on_target"),
    ],
)
def test_a_status_negation_is_read_on_its_own(printed: str, value: str) -> None:
    """ไม่ flips the meaning: a tone mark lost to OCR must not make the match ambiguous."""
    text = LEGACY_PRINTOUT.read_text("utf-8").replace(": ไม่เป็นไปตามเป้าหมาย", ": " + printed)
    result = parse_printout(text, "p.txt")
    assert result.data["reports"][-1]["target_status"] == value
    (warning,) = _unmended(result.warnings)
    assert warning.field == "reports[12].target_status" and f"'{printed}'" in warning.message


def test_noise_gives_a_bounded_list_of_warnings_quickly() -> None:
    import time

    from projledger.core.legacy import MAX_WARNINGS

    base = LEGACY_PRINTOUT.read_text("utf-8")
    noise = base.replace(
        "เป็นไปตามเป้าหมาย\nรายงานครั้งที่2", "เป็นไปตามเป้าหมาย " + "ก ข " * 200_000 + "\nรายงานครั้งที่2"
    )
    noise += "\n" + "ขยะ : ข้อความ\n" * 5000 + "** แบบแสดงรายงานแบบแสดงรายงาน **\n" * 5000
    started = time.monotonic()
    result = parse_printout(noise, "noise.txt")
    assert time.monotonic() - started < 10
    assert len(result.warnings) == MAX_WARNINGS + 1
    assert result.warnings[-1].message.endswith("more warnings not shown: is this a printout of the form?")
    assert [r["no"] for r in result.data["reports"]] == ALL_REPORTS


@pytest.mark.parametrize(
    "printed",
    [
        "สส.ขคง. ปจ. 1/4",  # three letters off: not taken for สส.กทม.
        "สสส.กทม ปจ. 1/4",  # the dots differ: not the same shape
        "สส.กทม. ปจ. 1/4",  # already the standard one: nothing to say
    ],
)
def test_plan_ref_abbreviation_is_mended_only_within_two_letters(printed: str) -> None:
    text = LEGACY_PRINTOUT.read_text("utf-8").replace("สส.สทท. ปจ. 1/4", printed)
    result = parse_printout(text, "p.txt")
    assert result.data["plan_ref"] == printed
    assert not [w for w in result.warnings if w.field == "plan_ref"]


def test_plan_ref_is_not_mended_for_a_department_without_a_known_abbreviation() -> None:
    department = "สำนักงานเลขานุการสภากรุงเทพมหานคร / "
    text = LEGACY_PRINTOUT.read_text("utf-8").replace(department, "สำนักงานเขตพระนคร / ", 1)
    result = parse_printout(text, "p.txt")
    assert result.data["agency"]["department"] == "สำนักงานเขตพระนคร"
    assert result.data["plan_ref"] == "สส.สทท. ปจ. 1/4"


def test_a_kpi_code_with_its_space_is_left_alone() -> None:
    text = LEGACY_PRINTOUT.read_text("utf-8").replace("ป.1ความสำเร็จ", "ป.1 ความสำเร็จ")
    result = parse_printout(text, "p.txt")
    assert result.data["strategy"]["kpi"] == SPEC["strategy"]["kpi"]
    assert not [w for w in result.warnings if w.field == "strategy.kpi"]


# --- the layout printing each report's figures beside the next report's header (issue 16.2) ----


@pytest.mark.parametrize("name", ["reports_figures_next_header.txt", "reports_figures_mixed.txt"])
def test_relaid_printouts_give_the_plain_printouts_record(name: str) -> None:
    plain, _ = _import(LEGACY_PRINTOUT)
    data, _ = _import(LEGACY / name)
    assert data == plain
    text = (LEGACY / name).read_text("utf-8")
    assert "รายงานครั้งที่10 :: ความก้าวหน้าของงานฯ = 76.00 : งบประมาณที่เบิกใช้ (ครั้งที่ 9) = 0 บาท" in text
    assert "\n23/07/2565 : อยู่ระหว่าง" in text


def _plain_reports() -> tuple[str, str, list[str]]:
    """The shipped printout split: text before report 1, its report lines, the figures of 1-11."""
    text = LEGACY_PRINTOUT.read_text("utf-8")
    head, _, section = text.partition("รายงานครั้งที่1\t")
    section = "รายงานครั้งที่1\t" + section
    figures = re.findall(r" :: (ความก้าวหน้า[^\n]*)", section.split("รายงานครั้งที่12")[0])
    assert len(figures) == 11
    return head, section, figures


@pytest.mark.parametrize("order", ["reversed-at-the-end", "each-after-the-next-report"])
def test_figures_go_to_the_report_their_number_names_wherever_they_stand(order: str) -> None:
    """Not one example: the "(ครั้งที่ N)" attributes a line of figures anywhere in section 2."""
    head, section, figures = _plain_reports()
    for line in figures:
        section = section.replace(" :: " + line, "", 1)
    if order == "reversed-at-the-end":
        section = section.rstrip("\n") + "\n" + "\n".join(":: " + f for f in reversed(figures)) + "\n"
    else:
        for no, line in enumerate(figures, start=1):
            # Thai digits in the number, no percent sign: still report N's figures.
            moved = line.replace(
                f"(ครั้งที่ {no})", f"(ครั้งที่ {no:d})".translate(str.maketrans("0123456789", "๐๑๒๓๔๕๖๗๘๙"))
            )
            moved = moved.replace(" % ", " : ")
            header = f"รายงานครั้งที่{no + 1}"
            replacement = f"{header} :: {moved}\n"
            section = re.sub(f"{header}\t?", lambda _, text=replacement: text, section, count=1)
    result = parse_printout(head + section, "p.txt")
    assert _unmended(result.warnings) == ()
    assert result.left_out == ()
    plain, _ = _import(LEGACY_PRINTOUT)
    assert result.data == plain


def test_a_second_line_of_figures_for_a_report_is_ignored_with_a_warning() -> None:
    text = LEGACY_PRINTOUT.read_text("utf-8")
    extra = ":: ความก้าวหน้าของงานฯ = 99.00 % งบประมาณที่เบิกใช้ (ครั้งที่ 3) = 5 บาท : ไม่เป็นไปตามแผน\n"
    text = text.replace("รายงานครั้งที่5\t", extra + "รายงานครั้งที่5\t", 1)
    result = parse_printout(text, "p.txt")
    (warning,) = _unmended(result.warnings)
    assert (warning.line, warning.field) == (139, "reports[3]")
    assert warning.message == "a second line of figures for report 3; it is ignored"
    three = result.data["reports"][2]
    assert (three["progress"], three["disbursed"], three["plan_status"]) == (Decimal("20.00"), 0, "watch")
    assert result.data["reports"][3]["plan_status"] == "watch"  # its neighbours keep their own


def test_a_report_shown_but_not_complete_is_left_out_by_name_and_refused() -> None:
    result = parse_printout((LEGACY / "end_cut.txt").read_text("utf-8"), "end_cut.txt")
    assert result.shown_reports == 12 and len(result.data["reports"]) == 11
    (item,) = result.left_out
    assert (item.no, item.line) == (12, 151)
    with pytest.raises(IncompleteReportsError) as caught:
        result.require_complete("end_cut.txt")
    assert str(caught.value) == (
        "end_cut.txt:151: cannot import: the printout shows 12 reports but 1 cannot be read in full: "
        "report 12 (line 151: its progress, disbursed, plan_status, target_status cannot be read); "
        "nothing was written (fix the printout, or give --partial to import the 11 complete ones)"
    )
    parse_printout(LEGACY_PRINTOUT.read_text("utf-8"), "p.txt").require_complete(
        "p.txt"
    )  # complete: no error


# --- over an existing record (issue 17.3) -------------------------------------------------------


def _document(data: dict[str, Any]) -> Document:
    from projledger.core.layout import render_record

    text = render_record(data, "#:schema x")
    return Document(path="r.toml", text=text, data=data)


def test_merge_keeps_every_field_the_form_cannot_show() -> None:
    imported, _ = _import(LEGACY_PRINTOUT)
    record = copy.deepcopy(SPEC)
    record["plan"] = [Decimal(50), Decimal(100)]
    record["agency"] |= {"phone": "0 2224 1234", "budget_unit": "11000000", "coordinator": "old name"}
    merged = merge_into_record(imported, _document(record), keep_reports=False)
    assert merged.kept_fields == ("plan", "agency.phone", "agency.budget_unit")
    assert merged.kept_reports == ()
    assert merged.data["plan"] == [Decimal(50), Decimal(100)]
    assert merged.data["agency"]["phone"] == "0 2224 1234"
    assert merged.data["agency"]["coordinator"] == "คุณปริญดา"  # on the form: the printout's
    assert list(merged.data) == ["format", "code", "name", "plan_ref", "fiscal_year", "start", "end",
                                 "budget", "plan", "agency", "details", "strategy", "reports"]  # fmt: skip
    assert "phone" not in imported["agency"]  # the printout's data is left as it was


def test_merge_never_loses_a_report_of_the_record() -> None:
    imported, _ = _import(LEGACY_PRINTOUT)
    imported["reports"] = [r for r in imported["reports"] if r["no"] not in (4, 12)]
    record = _document(copy.deepcopy(SPEC))
    with pytest.raises(ConflictError) as caught:
        merge_into_record(imported, record, keep_reports=False)
    lines = (record.line_of("reports[4]"), record.line_of("reports[12]"))
    assert caught.value.line == lines[0]
    assert f"holds report(s) 4 (line {lines[0]}), 12 (line {lines[1]}) that the printout lacks" in str(
        caught.value
    )
    merged = merge_into_record(imported, record, keep_reports=True)
    assert merged.kept_reports == (4, 12)
    assert merged.data["reports"] == SPEC["reports"][:3] + [SPEC["reports"][3]] + [
        r for r in _import(LEGACY_PRINTOUT)[0]["reports"] if r["no"] not in (1, 2, 3, 4, 12)
    ] + [SPEC["reports"][11]]
