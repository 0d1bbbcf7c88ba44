"""``projledger import`` of KPI pages of the old system (issue 20.5): the fixtures read to the
record data and the text the test holds, re-laid pages read the same, dates read exactly (an
ambiguous one refused with its line), and what the page does not print asked for by option."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from projledger.core.calendar import AmbiguousDateError, DateInputError, parse_printed_date
from projledger.core.errors import InputError
from projledger.core.i18n import use
from projledger.core.kpi_page import KpiOptions, MissingOptionError, is_kpi_page, merge_kpi, parse_kpi_page

from conftest import DATA, run

LEGACY = DATA / "legacy"
BUDGET = LEGACY / "kpi_5026-2001.txt"
WASTE = LEGACY / "kpi_5011-2003.txt"
AMBIGUOUS = LEGACY / "kpi_ambiguous_date.txt"
BUDGET_TARGET = Path("records/2564/kpi/5026-2001.toml")
WASTE_TARGET = Path("records/2565/kpi/5011-2003.toml")

BUDGET_OPTIONS = KpiOptions(
    fiscal_year=2564, evaluation_dates={1: date(2021, 1, 20), 2: date(2021, 4, 20), 4: date(2021, 10, 20)}
)
BUDGET_ARGS = ("--fiscal-year", "2564", "--evaluation-date", "1=20/01/2564",
               "--evaluation-date", "2=2021-04-20", "--evaluation-date", "4=20/10/2564")  # fmt: skip
WASTE_OPTIONS = KpiOptions(
    department="สำนักสิ่งแวดล้อม", direction="lower",
    evaluation_dates={1: date(2022, 1, 20), 2: date(2022, 4, 20)},
)  # fmt: skip
WASTE_ARGS = ("--department", "สำนักสิ่งแวดล้อม", "--direction", "lower",
              "--evaluation-date", "1=20/01/2565", "--evaluation-date", "2=20/04/2565")  # fmt: skip

BUDGET_DATA = {
    "format": 2,
    "kind": "kpi",
    "code": "5026-2001",
    "number": "5.1",
    "name": "ความสำเร็จของการเบิกจ่ายงบประมาณในภาพรวม",
    "fiscal_year": 2564,
    "category": "routine",
    "level": "output",
    "unit": "ร้อยละ",
    "target": 100,
    "definition": "การเบิกจ่ายงบประมาณ หมายถึง การเบิกจ่ายเงินงบประมาณรายจ่ายประจำปีของหน่วยงาน "
    "ทั้งงบดำเนินงานและงบลงทุน ที่ได้รับจัดสรรในปีงบประมาณ",
    "formula": "(งบประมาณที่เบิกจ่ายได้ / งบประมาณหลังปรับโอน) x 100",
    "data_source": "ระบบบริหารการเงินการคลัง (BMA-FMIS) สำนักการคลัง",
    "agency": {"department": "สำนักงบประมาณกรุงเทพมหานคร"},
    "strategy": {
        "issue": "ด้านที่ 7 การบริหารจัดการเมืองมหานคร",
        "dimension": "มิติที่ 7.2 การบริหารจัดการงบประมาณ",
        "goal": "เป้าหมายที่ 7.2.1 กรุงเทพมหานครบริหารงบประมาณอย่างมีประสิทธิภาพ",
    },
    "results": [
        {
            "quarter": 1,
            "value": Decimal("30.12"),
            "date": date(2020, 10, 28),  # 28/10/2563: BE, day first
            "note": "หน่วยงานเบิกจ่ายงบประมาณได้ร้อยละ 30.12 ของงบประมาณหลังปรับโอน",
        },
        {
            "quarter": 2,
            "value": Decimal("45.00"),
            "date": date(2021, 1, 31),  # 1/31/2021: CE, month first
            "note": "เบิกจ่ายสะสมร้อยละ 45.00 โครงการลงทุนอยู่ระหว่างตรวจรับงาน งวดที่ 2 และงวดที่ 3",
        },
        {
            "quarter": 3,
            "value": Decimal("71.85"),  # undated
            "note": "อยู่ระหว่างรวบรวมผลการเบิกจ่ายจากสำนักการคลัง",
        },
        {
            "quarter": 4,
            "value": Decimal("94.73"),
            "date": date(2021, 10, 15),
            "note": "เบิกจ่ายสะสมร้อยละ 94.73 ไม่ถึงเป้าหมายเนื่องจากงานก่อสร้างล่าช้า",
        },
    ],
    "evaluations": [  # quarter 3's cell is blank: no evaluation
        {"quarter": 1, "score": Decimal("100"), "full_score": 100, "date": date(2021, 1, 20)},
        {"quarter": 2, "score": Decimal("100"), "full_score": 100, "date": date(2021, 4, 20)},
        {"quarter": 4, "score": Decimal("95"), "full_score": 100, "date": date(2021, 10, 20)},
    ],
}

WASTE_DATA = {
    "format": 2,
    "kind": "kpi",
    "code": "5011-2003",
    "number": "2.3",
    "name": "ปริมาณมูลฝอยที่ต้องกำจัดลดลงจากค่าฐานปี พ.ศ. 2562",
    "fiscal_year": 2565,  # printed on this page
    "category": "strategic",
    "level": "outcome",
    "unit": "ตันต่อวัน",
    "target": Decimal("2350.00"),
    "baseline": Decimal("2419.97"),  # the name's second line, in the KPI's unit
    "direction": "lower",
    "definition": "ปริมาณมูลฝอยที่ต้องกำจัด หมายถึง มูลฝอยที่สำนักงานเขตเก็บขนเข้าสู่สถานีขนถ่ายมูลฝอย "
    "เฉลี่ยต่อวัน ไม่รวมมูลฝอยติดเชื้อและของเสียอันตราย",
    "formula": "ปริมาณมูลฝอยที่ต้องกำจัดทั้งหมดสะสม / จำนวนวัน",
    "data_source": "ฝ่ายวิชาการ กองจัดการมูลฝอย สำนักสิ่งแวดล้อม",
    "agency": {"department": "สำนักสิ่งแวดล้อม"},
    "strategy": {
        "issue": "ด้านที่ 2 มหานครสีเขียว สะดวกสบาย",
        "dimension": "มิติที่ 2.3 การจัดการมูลฝอยและสิ่งปฏิกูล",
        "goal": "เป้าหมายที่ 2.3.1 ปริมาณมูลฝอยที่ต้องกำจัดลดลง",
    },
    "results": [  # quarter 3 reads 0.00 (not reported yet), quarter 4 is blank
        {
            "quarter": 1,
            "value": Decimal("2401.20"),
            "date": date(2022, 1, 15),  # 15/1/2565
            "note": "ปริมาณมูลฝอยเฉลี่ย 2,401.20 ตันต่อวัน รณรงค์คัดแยกมูลฝอยในชุมชน 50 เขต",
        },
        {
            "quarter": 2,
            "value": Decimal("2356.40"),
            "date": date(2022, 4, 20),  # 4/20/2022
            "note": "ปริมาณมูลฝอยเฉลี่ย 2,356.40 ตันต่อวัน",
        },
    ],
    "evaluations": [  # quarter 1 from the table and the สยป. line (they agree), 2 from the line only
        {"quarter": 1, "score": Decimal("100"), "full_score": 100, "date": date(2022, 1, 20)},
        {"quarter": 2, "score": Decimal("50"), "date": date(2022, 4, 20)},
    ],
}


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # CRLF kept, as the command reads it


# --- the core: text to data ----------------------------------------------------------------------


def test_the_percent_kpi_page_reads_to_the_record_data() -> None:
    imported = parse_kpi_page(_text(BUDGET), "kpi.txt", BUDGET_OPTIONS)
    assert imported.data == BUDGET_DATA
    assert imported.warnings == ()
    assert [type(r["value"]) for r in imported.data["results"]] == [Decimal] * 4
    assert str(imported.data["results"][1]["value"]) == "45.00"  # exactly as printed


def test_the_unit_kpi_with_a_baseline_reads_to_the_record_data() -> None:
    imported = parse_kpi_page(_text(WASTE), "waste.txt", WASTE_OPTIONS)
    assert imported.data == WASTE_DATA
    [warning] = imported.warnings
    assert (warning.line, warning.field) == (39, "results[3].value")
    assert "reads 0.00 after a reported quarter" in warning.message


@pytest.mark.parametrize("variant", ["crlf", "dense", "spaces", "thai_digits"])
def test_a_relaid_page_reads_the_same(variant: str) -> None:
    """CRLF, no blank lines, extra spaces and tabs, Thai digits: the same record."""
    imported = parse_kpi_page(_text(LEGACY / f"kpi_5026-2001_{variant}.txt"), "kpi.txt", BUDGET_OPTIONS)
    assert imported.data == BUDGET_DATA
    assert imported.warnings == ()


def test_the_unit_page_relaid_at_once_reads_the_same() -> None:
    raw = _text(LEGACY / "kpi_5011-2003_relaid.txt")
    assert "\r\n" in raw and "\n\n" not in raw and "๒,๔๑๙.๙๗" in raw
    assert parse_kpi_page(raw, "waste.txt", WASTE_OPTIONS).data == WASTE_DATA


def test_kpi_pages_are_told_from_project_printouts() -> None:
    assert all(is_kpi_page(_text(page)) for page in LEGACY.glob("kpi_*.txt"))
    printouts = [page for page in LEGACY.glob("*.txt") if not page.name.startswith("kpi_")]
    assert printouts and not any(is_kpi_page(_text(page)) for page in printouts)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("28/10/2563", date(2020, 10, 28)),  # BE: day first
        ("1/2/2564", date(2021, 2, 1)),  # BE: day first even when both could be months
        ("1/31/2021", date(2021, 1, 31)),  # CE: month first, as the system prints it
        ("10/15/2021", date(2021, 10, 15)),
        ("5/5/2021", date(2021, 5, 5)),  # both parts <= 12 but equal: one day either way
        ("๔/๒๐/๒๐๒๒", date(2022, 4, 20)),
        ("2021-01-31", date(2021, 1, 31)),
    ],
)
def test_printed_dates_are_read_exactly(text: str, day: date) -> None:
    assert parse_printed_date(text) == day


def test_a_date_that_reads_two_ways_is_refused() -> None:
    with pytest.raises(AmbiguousDateError, match=r"'1/2/2021' could be 2021-01-02 or 2021-02-01"):
        parse_printed_date("1/2/2021")
    with pytest.raises(DateInputError, match="not a day of the calendar"):
        parse_printed_date("31/1/2021")  # month first: there is no month 31


def test_the_ambiguous_date_of_a_page_is_refused_with_its_line() -> None:
    with pytest.raises(InputError) as caught:
        parse_kpi_page(_text(AMBIGUOUS), "amb.txt", BUDGET_OPTIONS)
    assert (caught.value.line, caught.value.field) == (50, "results[2].date")
    assert "'1/2/2021' could be 2021-01-02 or 2021-02-01" in str(caught.value)
    assert _text(AMBIGUOUS).split("\n")[49].startswith("1/2/2021 :")


def test_what_the_page_does_not_print_is_asked_for_by_option() -> None:
    with pytest.raises(MissingOptionError) as budget:
        parse_kpi_page(_text(BUDGET), "kpi.txt", KpiOptions(evaluation_dates=BUDGET_OPTIONS.evaluation_dates))
    assert "its fiscal year: give --fiscal-year" in str(budget.value)
    with pytest.raises(MissingOptionError) as waste:
        parse_kpi_page(_text(WASTE), "waste.txt")
    message = str(waste.value)
    for option in (
        "--department",
        "--direction lower or --direction higher",
        "--evaluation-date QUARTER=DATE",
    ):
        assert option in message
    assert "--fiscal-year" not in message  # this page prints it
    assert "quarter(s) 1, 2 (line 37)" in message


def test_a_fiscal_year_given_against_the_page_is_refused() -> None:
    options = KpiOptions(2564, WASTE_OPTIONS.department, "lower", WASTE_OPTIONS.evaluation_dates)
    with pytest.raises(InputError) as caught:
        parse_kpi_page(_text(WASTE), "waste.txt", options)
    assert caught.value.line == 6
    assert "prints fiscal year 2565 but --fiscal-year gives 2564" in str(caught.value)


def test_a_score_the_page_prints_twice_differently_is_refused() -> None:
    text = _text(BUDGET).replace("ไตรมาสที่ 1: 100", "ไตรมาสที่ 1: 90")
    with pytest.raises(InputError) as caught:
        parse_kpi_page(text, "kpi.txt", BUDGET_OPTIONS)
    assert caught.value.line == 42 and "in the table (line 37)" in str(caught.value)


def test_merge_keeps_what_the_page_cannot_show() -> None:
    record = {**BUDGET_DATA, "projects": ["01000000-2475"], "results": [*BUDGET_DATA["results"][:2]]}
    record["evaluations"] = [{"quarter": 3, "score": Decimal("90"), "date": date(2021, 7, 20)}]
    merged, kept = merge_kpi(BUDGET_DATA, record)
    assert merged["projects"] == ["01000000-2475"]
    assert [e["quarter"] for e in merged["evaluations"]] == [1, 2, 3, 4]
    assert kept == ("evaluations[3]", "projects")  # in the record's order


# --- the command ---------------------------------------------------------------------------------


def test_import_writes_the_expected_kpi_records(empty_repo: Path) -> None:
    result = run("import", str(BUDGET), *BUDGET_ARGS)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert f"{BUDGET}: wrote records/2564/kpi/5026-2001.toml (4 results, 3 evaluations)" in result.stderr
    assert BUDGET_TARGET.read_text("utf-8") == (LEGACY / "kpi_5026-2001.expected.toml").read_text("utf-8")
    waste = run("import", str(WASTE), *WASTE_ARGS)
    assert waste.exit_code == 0, waste.stderr
    assert f"{WASTE}:39: warning [legacy-import] results[3].value" in waste.stderr
    assert WASTE_TARGET.read_text("utf-8") == (LEGACY / "kpi_5011-2003.expected.toml").read_text("utf-8")
    data = tomllib.loads(WASTE_TARGET.read_text("utf-8"), parse_float=Decimal)
    assert data == WASTE_DATA


def test_the_written_record_starts_with_the_kpi_schema_line(empty_repo: Path) -> None:
    run("import", str(BUDGET), *BUDGET_ARGS)
    first = BUDGET_TARGET.read_text("utf-8").split("\n", 1)[0]
    assert first == "#:schema ../../../schemas/kpi.schema.json"
    assert (empty_repo / BUDGET_TARGET.parent / "../../../schemas/kpi.schema.json").resolve() == (
        empty_repo / "schemas" / "kpi.schema.json"
    )


def test_import_stdout_prints_the_record_and_writes_nothing(empty_repo: Path) -> None:
    result = run("import", str(LEGACY / "kpi_5011-2003_relaid.txt"), *WASTE_ARGS, "--stdout")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (LEGACY / "kpi_5011-2003.expected.toml").read_text("utf-8")
    assert not Path("records/2565").exists()


def test_the_ambiguous_date_is_refused_by_the_command_with_its_line(empty_repo: Path) -> None:
    result = run("import", str(AMBIGUOUS), *BUDGET_ARGS)
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"projledger: {AMBIGUOUS}:50: results[2].date: '1/2/2021' could be ")
    assert not BUDGET_TARGET.exists() and not Path("records/2564").exists()


def test_a_missing_fiscal_year_names_the_option_and_writes_nothing(empty_repo: Path) -> None:
    result = run("import", str(BUDGET))
    assert result.exit_code == 1
    [line] = result.stderr.splitlines()
    assert "does not print its fiscal year: give --fiscal-year (such as --fiscal-year 2564)" in line
    assert "--evaluation-date QUARTER=DATE" in line
    assert list(Path("records").iterdir()) == []


def test_a_bad_evaluation_date_option_is_a_usage_error(empty_repo: Path) -> None:
    for value, words in (("5=20/01/2564", "is not QUARTER=DATE"), ("1=2021/01/20", "is not a date")):
        result = run("import", str(BUDGET), "--fiscal-year", "2564", "--evaluation-date", value)
        assert result.exit_code == 2, result.stderr
        assert words in result.stderr and "--evaluation-date" in result.stderr


def test_kpi_options_are_refused_for_a_project_printout(empty_repo: Path) -> None:
    result = run("import", str(LEGACY / "01000000-2475-printout.txt"), "--fiscal-year", "2565")
    assert result.exit_code == 1
    assert "--fiscal-year: for KPI pages only" in result.stderr
    assert list(Path("records").iterdir()) == []


def test_an_existing_kpi_record_is_kept_unless_force_and_force_keeps_its_links(empty_repo: Path) -> None:
    assert run("import", str(BUDGET), *BUDGET_ARGS).exit_code == 0
    linked = BUDGET_TARGET.read_text("utf-8").replace(
        'data_source = "', 'projects = ["01000000-2475"]\ndata_source = "'
    )
    BUDGET_TARGET.write_text(linked, "utf-8")
    again = run("import", str(BUDGET), *BUDGET_ARGS)
    assert again.exit_code == 1
    assert "records/2564/kpi/5026-2001.toml already exists" in again.stderr and "--force" in again.stderr
    assert BUDGET_TARGET.read_text("utf-8") == linked
    forced = run("import", str(LEGACY / "kpi_5026-2001_thai_digits.txt"), *BUDGET_ARGS, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert "kept from the record what the page cannot show: projects" in forced.stderr
    data = tomllib.loads(BUDGET_TARGET.read_text("utf-8"), parse_float=Decimal)
    assert data["projects"] == ["01000000-2475"]
    assert {key: value for key, value in data.items() if key != "projects"} == BUDGET_DATA


def test_an_unreadable_kpi_record_is_never_replaced(empty_repo: Path) -> None:
    BUDGET_TARGET.parent.mkdir(parents=True)
    BUDGET_TARGET.write_text("format = 2\nkind = \n", "utf-8")
    result = run("import", str(BUDGET), *BUDGET_ARGS, "--force")
    assert result.exit_code == 1
    assert "import does not replace a record it cannot read" in result.stderr
    assert BUDGET_TARGET.read_text("utf-8") == "format = 2\nkind = \n"


def test_the_refusal_is_in_thai_by_default(empty_repo: Path) -> None:
    try:
        result = run("--lang", "th", "import", str(BUDGET))
    finally:
        use("en")  # the language is chosen per run: the next in-process test reads English again
    assert result.exit_code == 1
    assert "--fiscal-year" in result.stderr and "ปีงบประมาณ" in result.stderr
    assert "give" not in result.stderr and "nothing was written" not in result.stderr


def test_the_installed_command_imports_a_kpi_page(tmp_path: Path) -> None:
    found = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert found, "the projledger console script is not installed in this environment"
    (tmp_path / "records").mkdir()
    env = {**os.environ, "NO_COLOR": "1", "PROJLEDGER_LANG": "en"}
    refused = subprocess.run(
        [found, "import", str(AMBIGUOUS), *BUDGET_ARGS], cwd=tmp_path, capture_output=True, text=True,
        timeout=60, env=env,
    )  # fmt: skip
    assert refused.returncode == 1
    assert f"{AMBIGUOUS}:50: results[2].date: '1/2/2021' could be" in refused.stderr
    assert "Traceback" not in refused.stderr
    done = subprocess.run(
        [found, "import", str(BUDGET), *BUDGET_ARGS], cwd=tmp_path, capture_output=True, text=True,
        timeout=60, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    written = (tmp_path / BUDGET_TARGET).read_text("utf-8")
    assert written == (LEGACY / "kpi_5026-2001.expected.toml").read_text("utf-8")


# --- what import writes is checked as every write is ------------------------------------------


@pytest.mark.parametrize(
    ("page", "args"),
    [
        (BUDGET, BUDGET_ARGS),
        (WASTE, WASTE_ARGS),
        *(
            (LEGACY / f"kpi_5026-2001_{v}.txt", BUDGET_ARGS)
            for v in ("crlf", "dense", "spaces", "thai_digits")
        ),
        (LEGACY / "kpi_5011-2003_relaid.txt", WASTE_ARGS),
    ],
    ids=lambda value: value.name if isinstance(value, Path) else "",
)
def test_imported_kpi_pages_validate_clean(empty_repo: Path, page: Path, args: tuple[str, ...]) -> None:
    imported = run("import", str(page), *args)
    assert imported.exit_code == 0, imported.stderr
    result = run("--lang", "en", "validate", "--format", "json")
    assert result.exit_code == 0, result.stdout
    report = json.loads(result.stdout)
    assert report["files"] == 1 and report["errors"] == 0, report


def test_an_imported_kpi_that_breaks_a_rule_is_refused_by_the_writers_check(empty_repo: Path) -> None:
    page = empty_repo / "page.txt"
    text = BUDGET.read_text("utf-8")
    assert "94.73\t95 / 100" in text
    page.write_text(text.replace("94.73\t95 / 100", "94.73\t120 / 100"), "utf-8")
    result = run("--lang", "en", "import", str(page), *BUDGET_ARGS)
    assert result.exit_code == 1, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("projledger: records/2564/kpi/5026-2001.toml:"), line
    assert "evaluations[3].score: " in line and "120" in line and line.endswith("nothing was written")
    assert not BUDGET_TARGET.exists()
    stdout = run("--lang", "en", "import", str(page), *BUDGET_ARGS, "--stdout")
    assert stdout.exit_code == 1 and stdout.stdout == ""
