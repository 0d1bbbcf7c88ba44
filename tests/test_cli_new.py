"""``projledger new``: a valid record in the canonical layout, or a one-line refusal."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from projledger.core.check import check_file
from projledger.core.config import load_config

from conftest import run

ARGS = [
    "--name", " ปรับปรุงทางเท้า ", "--fiscal-year", "2568", "--start", "01/10/2567",
    "--end", "30/09/2568", "--budget", "1,250,000", "--department", "สำนักงานเขตพระนคร",
]  # fmt: skip
EXPECTED = """\
#:schema ../../schemas/project.schema.json
format = 2
kind = "project"
code = "50100000-0001"
name = "ปรับปรุงทางเท้า"
fiscal_year = 2568
start = 2024-10-01
end = 2025-09-30
budget = 1250000.00

[agency]
department = "สำนักงานเขตพระนคร"
"""


def test_new_writes_a_canonical_record_that_validates(empty_repo: Path) -> None:
    result = run("new", "50100000-0001", *ARGS)
    assert result.exit_code == 0, result.stderr
    path = empty_repo / "records" / "2568" / "50100000-0001.toml"
    assert result.stdout == "records/2568/50100000-0001.toml\n"
    assert path.read_text("utf-8") == EXPECTED
    checked = check_file(path, load_config(empty_repo), date(2024, 10, 2))
    assert checked.findings == ()
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_thai_digits_optional_fields_and_nfc(empty_repo: Path) -> None:
    result = run(
        "new", "50100000-0002", "--name", "Cafe\u0301", "--fiscal-year", "๒๕๖๘",
        "--start", "๐๑/๑๐/๒๕๖๗", "--end", "2025-09-30", "--budget", "1250000.50",
        "--department", "ก", "--division", "ข", "--unit", "ค", "--owner", "ง",
        "--coordinator", "จ", "--plan-ref", "สส.กทม. ปจ. 1/4",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    text = (empty_repo / "records" / "2568" / "50100000-0002.toml").read_text("utf-8")
    assert 'name = "Café"' in text and "\u0301" not in text
    assert 'plan_ref = "สส.กทม. ปจ. 1/4"\nfiscal_year = 2568\nstart = 2024-10-01\n' in text
    assert "budget = 1250000.50\n" in text
    assert '[agency]\ndepartment = "ก"\ndivision = "ข"\nunit = "ค"\nowner = "ง"\ncoordinator = "จ"\n' in text


def test_a_code_that_exists_anywhere_is_refused(repo: Path) -> None:
    result = run("new", "01000000-2475", *ARGS)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "already has a record: records/2565/01000000-2475.toml" in result.stderr
    assert not (repo / "records" / "2568").exists()


KPI_RECORD = """\
format = 2
kind = "kpi"
code = "5026-2001"
name = "x"
fiscal_year = 2565
unit = "แห่ง"
target = 10

[agency]
department = "x"
"""


@pytest.mark.parametrize("index", ["on", "off"])
def test_a_code_held_by_a_file_of_another_name_is_refused(
    repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, index: str
) -> None:
    """A record copied or renamed (validate's file-name rule flags it) still holds its code: a new
    record of that code would be a second record of one project, whatever the first one's name.
    `new` refused only a file named after the code; `sheet import` of a registration sheet alike."""
    import subprocess
    import sys

    if index == "off":
        monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")
    folder = repo / "records" / "2565"
    (folder / "01000000-2475.toml").rename(folder / "สำเนา.toml")
    (folder / "kpi").mkdir()
    (folder / "kpi" / "5026-9999.toml").write_text(KPI_RECORD, "utf-8")  # a KPI's copy, not renamed
    before = sorted((repo / "records").rglob("*"))
    for args, held in (
        (["01000000-2475", *ARGS], "project 01000000-2475 already has a record: records/2565/สำเนา.toml"),
        (["--kind", "kpi", "5026-2001", "--name", "x", "--fiscal-year", "2565", "--department", "x",
          "--unit", "แห่ง", "--target", "10"], "KPI 5026-2001 already has a record: records/2565/kpi/5026-9999.toml"),
    ):  # fmt: skip
        result = run("new", *args)
        assert (result.exit_code, result.stderr) == (1, f"projledger: code: {held}\n")
    (repo / "new.csv").write_text(
        "code,name,fiscal_year,start,end,budget,department\n01000000-2475,x,2565,01/10/2564,30/09/2565,1,x\n",
        "utf-8",
    )
    made = subprocess.run(
        [str(Path(sys.executable).parent / "projledger"), "sheet", "import", "new.csv"],
        cwd=repo, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 1
    expected = "new.csv:2:A: code: project 01000000-2475 already has a record: records/2565/สำเนา.toml"
    assert made.stderr.splitlines()[0] == expected
    assert sorted((repo / "records").rglob("*")) == before


@pytest.mark.parametrize("code", ["../../etc/x", "0100-1", "01000000-2475/../../x", "๐๑๐๐๐๐๐๐-๒๔๗๕"])
def test_a_code_off_the_pattern_is_refused(empty_repo: Path, code: str) -> None:
    result = run("new", code, *ARGS)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "is not a project code" in result.stderr
    assert list((empty_repo / "records").iterdir()) == []


def test_a_missing_required_option_without_a_terminal_is_a_usage_error(empty_repo: Path) -> None:
    result = run("new", "50100000-0001", "--name", "x")
    assert result.exit_code == 2
    assert result.stderr == (
        "projledger: --fiscal-year: is required (give --fiscal-year, or run on a terminal to be asked for it) (see 'projledger new --help')\n"
    )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--budget", "abc", "--budget: 'abc' is not an amount of baht"),
        ("--budget", "-5", "--budget: '-5': an amount of money cannot be negative"),
        ("--start", "31/02/2568", "--start: '31/02/2568' is not a day of the calendar"),
        ("--fiscal-year", "65", "--fiscal-year: '65' is not a whole number of at least 2400"),
    ],
)
def test_bad_option_values_fail_in_one_line_naming_the_option(
    empty_repo: Path, option: str, value: str, message: str
) -> None:
    args = list(ARGS)
    args[args.index(option) + 1] = value
    result = run("new", "50100000-0001", *args)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert list((empty_repo / "records").iterdir()) == []


def test_a_record_that_would_not_validate_is_refused(empty_repo: Path) -> None:
    args = list(ARGS)
    args[args.index("--end") + 1] = "01/09/2567"  # before the start
    result = run("new", "50100000-0001", *args)
    assert result.exit_code == 1
    assert "nothing was written" in result.stderr and result.stderr.count("\n") == 1
    assert not (empty_repo / "records" / "2568" / "50100000-0001.toml").exists()


def test_on_a_terminal_it_asks_for_what_is_missing(empty_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("projledger.commands.add_report.interactive", lambda: True)
    answers = "ถนน\n2568\nabc\n01/10/2567\n30/09/2568\n1,000\nเขต\n"
    result = run("new", "50100000-0003", input=answers)
    assert result.exit_code == 0, result.output
    text = (empty_repo / "records" / "2568" / "50100000-0003.toml").read_text("utf-8")
    assert 'name = "ถนน"' in text and "budget = 1000.00" in text and 'department = "เขต"' in text
    assert "'abc' is not a date" in result.output  # asked again after a bad answer
    # The prompts are the form's words in the run's language (English here: PROJLEDGER_LANG=en).
    assert "Name: " in result.output and "Start (dd/mm/yyyy BE): " in result.output
    assert "Budget (baht): " in result.output


def test_the_prompts_are_the_forms_thai_words(empty_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("projledger.commands.add_report.interactive", lambda: True)
    answers = "ถนน\n2568\n01/10/2567\n30/09/2568\n1,000\nเขต\n"
    result = run("--lang", "th", "new", "50100000-0003", input=answers)
    assert result.exit_code == 0, result.output
    for prompt in ("ชื่อโครงการ/กิจกรรม: ", "ปีงบประมาณ พ.ศ. (ปี พ.ศ. เช่น 2568): ", "เริ่มต้นโครงการ (วว/ดด/ปปปป พ.ศ.): ",
                   "งบประมาณ (บาท): ", "ส่วนราชการ: "):  # fmt: skip
        assert prompt in result.output, result.output
    result = run("--lang", "th", "add-report", "50100000-0003", "--date", "25/10/2567", input="10\nเริ่มงาน\n")
    assert result.exit_code == 0, result.output
    assert "ก้าวหน้า % (0 ถึง 100): " in result.output and "ผลการดำเนินงาน: " in result.output
