"""Input a clerk would type (issue 19.2): the form's Thai words for statuses, a department's
name however it is spaced, Thai digits in agency codes, a Gregorian year where a BE fiscal year
belongs, a mistyped code, dates in messages as they were typed, and every mistake of a record
said in one run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import tomli
from test_usage_errors import _fiscal_year_options

from projledger.core.config import Config

from conftest import SHIPPED, run

CODE = "50100000-0001"
NEW_ARGS = [
    "--name", "ปรับปรุงทางเท้า", "--fiscal-year", "2568", "--start", "01/10/2567",
    "--end", "30/09/2568", "--budget", "1,250,000", "--department", "สำนักงานเขตพระนคร",
]  # fmt: skip


@pytest.fixture
def project(empty_repo: Path) -> Path:
    """A new project (FY 2568, from 01/10/2567) with no report, beside the shipped record."""
    assert run("new", CODE, *NEW_ARGS).exit_code == 0
    (empty_repo / "records" / "2565").mkdir()
    shutil.copy(SHIPPED, empty_repo / "records" / "2565" / SHIPPED.name)
    return empty_repo / "records" / "2568" / f"{CODE}.toml"


def _last_report(path: Path) -> dict[str, object]:
    reports: list[dict[str, object]] = tomli.loads(path.read_text("utf-8"))["reports"]
    return reports[-1]


# --- add-report takes the form's Thai words -------------------------------------------------------


@pytest.mark.parametrize(
    ("plan", "target", "stored"),
    [
        ("ไม่เป็นไปตามแผน", "ไม่เป็นไปตามเป้าหมาย", ("behind", "off_target")),
        ("เป็นไปตามแผนแต่ควรติดตาม", "เป็นไปตามเป้าหมาย", ("watch", "on_target")),
        ("  เป็นไปตามแผน ", " ไม่เป็นไปตามเป้าหมาย\t", ("on_plan", "off_target")),  # blanks around
        ("behind", "on_target", ("behind", "on_target")),  # the keys still
    ],
)
def test_add_report_takes_the_thai_labels_as_sheet_import_does(
    project: Path, plan: str, target: str, stored: tuple[str, str]
) -> None:
    result = run(
        "add-report", CODE, "--date", "25/10/2567", "--progress", "5", "--note", "เริ่มงาน",
        "--plan-status", plan, "--target-status", target,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = _last_report(project)
    assert (report["plan_status"], report["target_status"]) == stored


def test_a_status_in_no_known_words_is_a_usage_error_listing_the_thai_ones(project: Path) -> None:
    before = project.read_bytes()
    result = run("add-report", CODE, "--progress", "5", "--note", "x", "--plan-status", "ตามแผนมั้ง")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "--plan-status: 'ตามแผนมั้ง' is not one of: on_plan (เป็นไปตามแผน), watch" in result.stderr
    assert "behind (ไม่เป็นไปตามแผน)" in result.stderr
    assert project.read_bytes() == before


def test_the_installed_command_takes_thai_labels_from_a_real_process(project: Path, empty_repo: Path) -> None:
    """Thai words through a real argv (the OS's bytes, the console script's decoding)."""
    found = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert found
    result = subprocess.run(
        [found, "add-report", CODE, "--date", "2024-10-25", "--progress", "5", "--note", "เริ่ม",
         "--plan-status", "เป็นไปตามแผนแต่ควรติดตาม", "--target-status", "ไม่เป็นไปตามเป้าหมาย"],
        cwd=empty_repo, capture_output=True, text=True, timeout=60,
        env={**os.environ, "NO_COLOR": "1", "PROJLEDGER_NO_CACHE": "1"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (_last_report(project)["plan_status"], _last_report(project)["target_status"]) == (
        "watch",
        "off_target",
    )
    assert "Traceback" not in result.stderr


# --- --agency: a department's name whatever its spacing; Thai digits in codes ----------------------


@pytest.mark.parametrize(
    "wanted",
    [
        "สำนักงานเลขานุการ สภากรุงเทพมหานคร",  # a stray space in Thai text
        "  สำนักงาน เลขานุการสภา  กรุงเทพ มหานคร ",  # several, and around
        "เลขานุการ\u00a0สภา",  # a no-break space, words of the name
        "๐๑",  # Thai digits: a code prefix
        "๐๑๐๐๐๐๐๐",
        " 0100 0000 ",
    ],
)
def test_agency_matches_whatever_the_spacing_and_thai_digits(repo: Path, wanted: str) -> None:
    result = run("status", "--agency", wanted, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert "01000000-2475" in result.stdout


@pytest.mark.parametrize("wanted", ["๐๒", "สำนักการโยธา", "02"])
def test_agency_still_leaves_out_other_agencies(repo: Path, wanted: str) -> None:
    result = run("status", "--agency", wanted, "--format", "csv")
    assert "01000000-2475" not in result.stdout


# --- a Gregorian year where a BE fiscal year belongs -----------------------------------------------


@pytest.mark.parametrize("args", _fiscal_year_options(), ids=" ".join)
def test_every_fiscal_year_option_names_the_be_year_meant(repo: Path, args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert "--fiscal-year: '2024': fiscal years are Buddhist Era: did you mean 2567?" in result.stderr
    assert result.stderr.count("\n") == 1 and not result.stdout


def test_fiscal_year_reading() -> None:
    from projledger.core.calendar import DateInputError, parse_fiscal_year

    assert parse_fiscal_year("2567") == parse_fiscal_year("๒๕๖๗") == 2567
    # FY 2567 runs October 2023 to September 2024: 2024 is the Gregorian year it ends in.
    for typed, meant in (("2024", 2567), ("๒๐๒๔", 2567), ("2023", 2566), ("1900", 2443)):
        with pytest.raises(DateInputError, match=f"did you mean {meant}\\?$"):
            parse_fiscal_year(typed)
    for nonsense in ("65", "abc", "-2567", "1e4"):
        with pytest.raises(DateInputError, match="not a whole number of at least 2400"):
            parse_fiscal_year(nonsense)


# --- an unknown code names the nearest existing ones -----------------------------------------------


@pytest.fixture
def codes(repo: Path) -> Path:
    """The shipped record among others (only their file names are read for a "did you mean")."""
    for name in ("2566/01000000-0001", "2566/02000000-2475", "2567/99999999-0000"):
        path = repo / "records" / f"{name}.toml"
        path.parent.mkdir(exist_ok=True)
        path.write_text("", "utf-8")
    return repo


def test_nearest_codes_are_close_spellings_then_the_same_agency(codes: Path) -> None:
    from projledger.core.repository import nearest_codes

    config = Config(root=codes, records_dir=codes / "records")
    found = nearest_codes("01000000-2457", config)
    assert found[0] == "01000000-2475"
    assert "01000000-0001" in found and "99999999-0000" not in found
    # no close spelling: the codes of the same agency (the part before the hyphen)
    assert set(nearest_codes("01000000-9999", config)) >= {"01000000-0001", "01000000-2475"}
    assert nearest_codes("77777777-7777", config) == []


@pytest.mark.parametrize("command", [["show"], ["add-report", "--progress", "5", "--note", "x"], ["status"]])
def test_every_command_taking_a_code_names_the_nearest(codes: Path, command: list[str]) -> None:
    result = run(command[0], "01000000-2457", *command[1:])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert "no record for project 01000000-2457" in result.stderr
    assert "; nearest existing: 01000000-2475, " in result.stderr
    assert "99999999-0000" not in result.stderr


def test_sheet_import_names_the_nearest_of_an_unknown_code(codes: Path) -> None:
    """A row's unknown code gets the "did you mean" of add-report (``repository.nearest_said``),
    in the monthly sheet and the quarterly one; said by the installed command too."""
    (codes / "sheet.csv").write_text("code,no,date,progress,note\n01000000-2457,13,30/09/2565,5,x\n", "utf-8")
    nearest = run("add-report", "01000000-2457", "--progress", "5", "--note", "x").stderr.split(";")[-1]
    assert nearest.startswith(" nearest existing: 01000000-2475, ")
    result = run("sheet", "import", "sheet.csv")
    assert result.exit_code == 1
    line = result.stderr.splitlines()[0]
    assert line.startswith("sheet.csv:2:A: code: no record for project 01000000-2457 under ")
    assert line.endswith(";" + nearest.rstrip("\n"))
    (codes / "quarter.csv").write_text("code,quarter,value\n01000000-2457,1,5\n", "utf-8")
    made = subprocess.run(
        [str(Path(sys.executable).parent / "projledger"), "sheet", "import", "quarter.csv"],
        cwd=codes, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 1
    assert made.stderr.splitlines()[0].endswith(";" + nearest.rstrip("\n"))


def test_a_code_off_the_pattern_names_the_nearest_too(codes: Path) -> None:
    result = run("show", "0100000-2475")  # a digit short
    assert result.exit_code == 1
    assert "nearest existing: 01000000-2475" in result.stderr


# --- dates in messages as the clerk typed them; "the day of the check" ------------------------------


def test_show_day_follows_how_dates_were_typed() -> None:
    from projledger.core.calendar import check_day, date_style, day_of_check_words, show_day

    day = date(2022, 4, 26)
    assert date_style("2022-03-31") == "iso" and date_style("๓๑/๐๓/๒๕๖๕") == "be"
    assert show_day(day, check_day(date(2022, 3, 31), style="iso")) == "2022-04-26"
    assert show_day(day, check_day(date(2022, 3, 31), style="be")) == "26/04/2565"
    assert show_day(day, date(2022, 3, 31)) == "26/04/2565"
    assert day_of_check_words(check_day(date(2022, 3, 31), given=True)) == "the day of the check (31/03/2565)"
    assert day_of_check_words(date(2022, 3, 31)) == "today (31/03/2565)"


@pytest.mark.parametrize(
    ("as_of", "says"),
    [
        ("2022-03-31", "dated 2022-04-26, after the day of the check (2022-03-31)"),
        ("31/03/2565", "dated 26/04/2565, after the day of the check (31/03/2565)"),
        ("๓๑/๐๓/๒๕๖๕", "dated 26/04/2565, after the day of the check (31/03/2565)"),
    ],
)
def test_validate_as_of_names_the_day_of_the_check_as_typed(repo: Path, as_of: str, says: str) -> None:
    result = run("validate", "--as-of", as_of)
    assert result.exit_code == 1
    assert f"[future-report] reports[7].date: {says}: a report cannot come from the future" in result.stdout
    assert "today" not in result.stdout


def test_the_index_keeps_each_wording_apart(repo: Path, cache_dir: Path) -> None:
    """A finding kept from an ISO run is never shown to a BE run of the same day, nor the reverse."""
    for _ in range(2):
        assert "after the day of the check (2022-03-31)" in run("validate", "--as-of", "2022-03-31").stdout
        be = run("validate", "--as-of", "31/03/2565").stdout
        assert "after the day of the check (31/03/2565)" in be and "2022-03-31" not in be


@pytest.mark.parametrize(
    ("start", "end", "says"),
    [
        ("01/10/2567", "30/09/2566", "starts (01/10/2567) after it ends (30/09/2566)"),
        ("2024-10-01", "2023-09-30", "starts (2024-10-01) after it ends (2023-09-30)"),
    ],
)
def test_start_after_end_shows_both_days_as_typed(repo: Path, start: str, end: str, says: str) -> None:
    """A clerk registering a project in BE reads its dates back in BE, as every other rule shows them."""
    result = run("new", "50100000-0009", "--name", "x", "--fiscal-year", "2568", "--start", start, "--end", end,
                 "--budget", "1", "--department", "x")  # fmt: skip
    assert result.exit_code == 1
    assert f"the project {says}" in result.stderr
    assert not list(repo.glob("records/*/50100000-0009.toml"))


def test_add_report_warnings_show_the_report_date_as_typed(project: Path) -> None:
    """Report 1 of a project started in October, dated in December: report-month warns."""
    iso = run("add-report", CODE, "--date", "2024-12-20", "--progress", "5", "--note", "x")
    assert iso.exit_code == 0, iso.stderr
    assert "report 1 covers 2024-10 (month 1 from the start) but is dated 2024-12-20" in iso.stderr
    be = run("add-report", CODE, "--date", "๒๐/๐๑/๒๕๖๘", "--progress", "6", "--note", "x")
    assert be.exit_code == 0, be.stderr
    assert "report 2 covers 11/2567 (month 2 from the start) but is dated 20/01/2568" in be.stderr


@pytest.mark.parametrize(
    ("typed", "as_of", "says"),
    [
        (
            "2024-12-20",
            "31/12/2567",
            "report 1 covers 2024-10 (month 1 from the start) but is dated 2024-12-20",
        ),
        (
            "20/12/2567",
            "2024-12-31",
            "report 1 covers 10/2567 (month 1 from the start) but is dated 20/12/2567",
        ),
        ("2025-01-20", "31/12/2567", "dated 2025-01-20, after the day of the check (2024-12-31)"),
        ("๒๐/๐๑/๒๕๖๘", "2024-12-31", "dated 20/01/2568, after the day of the check (31/12/2567)"),
    ],
)
def test_sheet_import_quotes_each_row_s_dates_as_its_cell_was_typed(
    project: Path, typed: str, as_of: str, says: str
) -> None:
    """A date cell typed in ISO is quoted back in ISO, one typed in BE in BE, whatever --as-of's
    way (each row as its own cell was typed, as add-report follows its --date), and a given
    --as-of is "the day of the check", not "today"."""
    sheet = Path("sheet.csv")  # in the repository, the working folder
    sheet.write_text(f"code,no,date,progress,note\n{CODE},1,{typed},5,x\n", "utf-8")
    result = run("sheet", "import", str(sheet), "--as-of", as_of, "--dry-run")
    assert f"sheet.csv:2:C: {'' if 'after' in says else 'warning: '}date: {says}" in result.stderr, (
        result.stderr
    )


def test_sheet_import_new_rows_quote_their_dates_as_typed(empty_repo: Path) -> None:
    """The registration sheet too, through the installed command."""
    (empty_repo / "new.csv").write_text(
        "code,name,fiscal_year,start,end,budget,department\n"
        f"{CODE},x,2568,2024-10-01,2023-09-30,1,x\n{CODE[:-1]}2,x,2568,01/10/2567,30/09/2566,1,x\n",
        "utf-8",
    )
    made = subprocess.run(
        [str(Path(sys.executable).parent / "projledger"), "sheet", "import", "new.csv"],
        cwd=empty_repo, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 1
    assert "the project starts (2024-10-01) after it ends (2023-09-30)" in made.stderr.splitlines()[0]
    assert "the project starts (01/10/2567) after it ends (30/09/2566)" in made.stderr.splitlines()[1]


# --- schema errors and rule errors of one record, in one run --------------------------------------

BROKEN = """\
format = 1
code = "50100000-0001"
name = "x"
fiscal_year = 2567
start = 2565-10-01
end = 2024-09-30
budget = 120000.00
colour = "red"

[agency]
department = "สำนักงานเขตพระนคร"

[[reports]]
no = 1
date = 2023-10-25
progress = 10.0
disbursed = 10000.00
plan_status = "on_plan"
target_status = "on_target"
note = "x"
event = "cancelled"
{extra}
[[reports]]
no = 2
date = 2023-11-25
progress = 10.0
disbursed = 10000.00
plan_status = "on_plan"
target_status = "on_target"
note = "x"
"""


def _write(repo: Path, text: str) -> Path:
    path = repo / "records" / "2567" / "50100000-0001.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text, "utf-8")
    return path


def test_schema_errors_do_not_hide_the_rule_errors(empty_repo: Path) -> None:
    """An unknown key, a BE year typed as Gregorian and a report after a cancelled one: all at once."""
    _write(empty_repo, BROKEN.format(extra='remark = "typo"'))
    result = run("validate", "--as-of", "2024-09-30")
    assert result.exit_code == 1
    out = result.stdout
    assert ":8: error [unknown-key] colour: unknown key 'colour'" in out
    assert ":22: error [unknown-key] reports[1].remark: unknown key 'remark'" in out
    assert ":5: error [be-year] start: 2565-10-01 has a Buddhist Era year" in out
    assert "error [after-event] reports[2]: report 2 follows report 1" in out
    # the record is still refused as a whole: readers skip it, writers refuse it
    assert "skipped" in run("status", "--as-of", "2024-09-30").stderr


@pytest.mark.parametrize(
    ("change", "schema_rule"),
    [
        (("budget = 120000.00", 'budget = "lots"'), "wrong-type"),  # a required field: no rules
        (("no = 2\n", ""), "missing-key"),  # a broken report: no report is dropped or renumbered
        (('name = "x"\n', 'name = "x"\nplan = [1, "x"]\n'), "wrong-type"),  # an item of a list
    ],
)
def test_rules_are_left_out_only_where_nothing_sound_is_left(
    empty_repo: Path, change: tuple[str, str], schema_rule: str
) -> None:
    _write(empty_repo, BROKEN.format(extra="").replace(*change, 1))
    result = run("validate", "--as-of", "2024-09-30")
    assert result.exit_code == 1, result.stdout
    assert f"[{schema_rule}]" in result.stdout
    assert "[after-event]" not in result.stdout and "[be-year]" not in result.stdout


def test_a_wrong_optional_field_is_dropped_and_the_rules_run(empty_repo: Path) -> None:
    _write(empty_repo, BROKEN.format(extra="").replace('name = "x"\n', 'name = "x"\nplan_ref = 5\n', 1))
    result = run("validate", "--as-of", "2024-09-30")
    assert "plan_ref" in result.stdout and "[be-year] start" in result.stdout
    assert "[after-event]" in result.stdout
