"""``new --kind kpi``, ``add-result``, ``add-evaluation`` and ``revise-budget``: each appends one
block through the one checked, locked, atomic writer of ``add-report``, or writes nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from projledger.core.check import check_file
from projledger.core.config import load_config

from conftest import DATA, SHIPPED, run

FORMAT2 = DATA / "format2"
PROJECT = "01000000-2475"
KPI = "5026-2001"
KPI_ARGS = [
    "--name", " ความสำเร็จของการเบิกจ่ายงบประมาณ ", "--fiscal-year", "2565",
    "--department", "สำนักงบประมาณกรุงเทพมหานคร", "--unit", "ร้อยละ", "--target", "100",
]  # fmt: skip
KPI_TEXT = """\
#:schema ../../../schemas/kpi.schema.json
format = 2
kind = "kpi"
code = "5026-2001"
number = "5.1"
name = "ความสำเร็จของการเบิกจ่ายงบประมาณ"
fiscal_year = 2565
category = "strategic"
level = "outcome"
unit = "ร้อยละ"
target = 100
baseline = 2419.97
direction = "lower"
projects = [
    "01000000-2475",
]

[agency]
department = "สำนักงบประมาณกรุงเทพมหานคร"
"""


@pytest.fixture
def agency(empty_repo: Path) -> Path:
    """A repository with the format-2 project and a new KPI linked to it (no results yet)."""
    (empty_repo / "records" / "2565").mkdir()
    shutil.copy(FORMAT2 / f"{PROJECT}.toml", empty_repo / "records" / "2565")
    made = run("new", "--kind", "kpi", KPI, *KPI_ARGS, "--project", PROJECT)
    assert made.exit_code == 0, made.stderr
    return empty_repo


def kpi_path(root: Path) -> Path:
    return root / "records" / "2565" / "kpi" / f"{KPI}.toml"


def project_path(root: Path) -> Path:
    return root / "records" / "2565" / f"{PROJECT}.toml"


# --- new --kind kpi ------------------------------------------------------------------------------


def test_new_kpi_writes_the_canonical_record_with_thai_labels(agency: Path) -> None:
    kpi_path(agency).unlink()
    result = run(
        "new", "--kind", "kpi", KPI, *KPI_ARGS, "--category", "ตัวชี้วัดเชิงยุทธศาสตร์",
        "--level", "ตัวชี้วัดระดับผลลัพธ์", "--direction", "lower", "--baseline", "2,419.97",
        "--project", PROJECT, "--number", "5.1",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"records/2565/kpi/{KPI}.toml\n"
    assert kpi_path(agency).read_text("utf-8") == KPI_TEXT
    assert check_file(kpi_path(agency), load_config(agency), date(2022, 1, 1)).findings == ()
    assert run("validate").exit_code == 0


def test_new_kpi_defaults_and_a_project_record_of_format_2(empty_repo: Path) -> None:
    assert run("new", "--kind", "kpi", KPI, *KPI_ARGS).exit_code == 0
    data = tomllib.loads(kpi_path(empty_repo).read_text("utf-8"))
    assert (data["category"], data["level"], "direction" in data, "projects" in data) == (
        "routine", "output", False, False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--project", "01000000-9999"],
            "names project 01000000-9999, which has no record in this repository",
        ),
        (["--category", "routine-ish"], "'routine-ish' is not one of: routine"),
        (["--start", "01/10/2564"], "--start: not an option of a kpi record"),
        (["--target", "-5"], "--target: '-5' is not a number"),
    ],
)
def test_new_kpi_refuses_bad_input_and_writes_nothing(agency: Path, args: list[str], message: str) -> None:
    kpi_path(agency).unlink()
    result = run("new", "--kind", "kpi", KPI, *KPI_ARGS, *args)
    assert result.exit_code in (1, 2)
    assert message in result.stderr and result.stdout == ""
    assert not kpi_path(agency).exists()


def test_new_kpi_refuses_a_project_code_and_an_existing_kpi(agency: Path) -> None:
    wrong = run("new", "--kind", "kpi", PROJECT, *KPI_ARGS)
    assert wrong.exit_code == 1 and f"'{PROJECT}' is not a KPI code like 5026-2001" in wrong.stderr
    again = run("new", "--kind", "kpi", KPI, *KPI_ARGS)
    assert again.exit_code == 1
    assert f"KPI {KPI} already has a record: records/2565/kpi/{KPI}.toml" in again.stderr
    target = run("new", PROJECT[:-1] + "9", "--name", "x", "--target", "5")
    assert target.exit_code == 2 and "--target: not an option of a project record" in target.stderr


# --- add-result ----------------------------------------------------------------------------------


def test_add_result_appends_exactly_one_block_and_prints_it(agency: Path) -> None:
    path = kpi_path(agency)
    before = path.read_bytes()
    result = run(
        "add-result", KPI, "--quarter", "๑", "--value", "45.50", "--date", "28/01/2565", "--note", " เบิกจ่าย "
    )
    assert result.exit_code == 0, result.stderr
    block = '[[results]]\nquarter = 1\nvalue = 45.50\ndate = 2022-01-28\nnote = "เบิกจ่าย"\n'
    assert result.stdout == block and result.stderr == ""
    assert path.read_bytes() == before + b"\n" + block.encode("utf-8")
    second = run(
        "add-result",
        f"records/2565/kpi/{KPI}.toml",
        "--quarter",
        "2",
        "--value",
        "80",
        "--date",
        "2022-04-20",
    )
    assert second.exit_code == 0, second.stderr
    assert tomllib.loads(path.read_text("utf-8"))["results"][1] == {
        "quarter": 2, "value": 80, "date": date(2022, 4, 20),
    }  # fmt: skip
    assert run("validate").exit_code == 0


def test_a_result_out_of_quarter_order_is_refused_by_its_rule(agency: Path) -> None:
    assert run("add-result", KPI, "--quarter", "2", "--value", "5", "--date", "20/04/2565").exit_code == 0
    before = kpi_path(agency).read_bytes()
    result = run("add-result", KPI, "--quarter", "1", "--value", "6", "--date", "20/04/2565")
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"projledger: records/2565/kpi/{KPI}.toml:") and "results[2]" in line
    assert line.endswith("nothing was written")
    assert kpi_path(agency).read_bytes() == before


def test_a_quarters_first_and_last_day_are_worded_as_the_clerk_typed_dates(agency: Path) -> None:
    """result-early, result-late and evaluation-early wrote the quarter's start or end in BE beside
    an ISO date typed: ``dated 2021-12-20, before the quarter started on 01/01/2565``."""
    for typed, start in (("2021-12-20", "2022-01-01"), ("20/12/2564", "01/01/2565")):
        early = run("add-result", KPI, "--quarter", "2", "--value", "5", "--date", typed)
        assert f"dated {typed}, before the quarter started on {start};" in early.stderr
    for quarter, typed, end in (("1", "2022-02-15", "2021-12-31"), ("3", "15/08/2565", "30/06/2565")):
        late = run("add-result", KPI, "--quarter", quarter, "--value", "5", "--date", typed)
        assert f"dated {typed}, more than 30 days after the quarter ended on {end}\n" in late.stderr
        soon = run("add-evaluation", KPI, "--quarter", quarter, "--score", "5", "--date", end)
        assert f"dated {end}, before the quarter ended on {end}\n" in soon.stderr


def test_a_result_for_a_project_is_refused_naming_the_kind_line(agency: Path) -> None:
    before = project_path(agency).read_bytes()
    result = run("add-result", PROJECT, "--quarter", "1", "--value", "5")
    assert result.exit_code == 1
    assert result.stderr == (
        f"projledger: records/2565/{PROJECT}.toml:3: kind: a project record has no [[results]]: "
        "they belong to a kpi record; nothing was written\n"
    )
    assert project_path(agency).read_bytes() == before


# --- add-evaluation ------------------------------------------------------------------------------


def test_add_evaluation_to_a_kpi_and_to_a_format_2_project(agency: Path) -> None:
    result = run("add-evaluation", KPI, "--quarter", "1", "--score", "45", "--of", "50",
                 "--date", "20/01/2565", "--evaluator", "สยป.", "--note", "ครบ")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        '[[evaluations]]\nquarter = 1\nscore = 45\nfull_score = 50\ndate = 2022-01-20\nevaluator = "สยป."\n'
        'note = "ครบ"\n'
    )
    before = project_path(agency).read_bytes()
    project = run("add-evaluation", PROJECT, "--quarter", "3", "--score", "87.5", "--date", "2022-07-20")
    assert project.exit_code == 0, project.stderr
    block = b"\n[[evaluations]]\nquarter = 3\nscore = 87.5\ndate = 2022-07-20\n"
    assert project_path(agency).read_bytes() == before + block
    assert run("validate").exit_code == 0


def test_a_score_above_its_full_score_is_refused_by_the_rule(agency: Path) -> None:
    before = kpi_path(agency).read_bytes()
    result = run("add-evaluation", KPI, "--quarter", "1", "--score", "120", "--date", "20/01/2565")
    assert result.exit_code == 1 and result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"projledger: records/2565/kpi/{KPI}.toml:")
    assert "evaluations[1].score:" in line and "120" in line and line.endswith("nothing was written")
    assert kpi_path(agency).read_bytes() == before


def test_a_format_1_project_is_told_to_migrate_first(repo: Path) -> None:
    path = repo / "records" / "2565" / SHIPPED.name
    before = path.read_bytes()
    for args in (["add-evaluation", PROJECT, "--quarter", "1", "--score", "100", "--date", "20/01/2565"],
                 ["revise-budget", PROJECT, "--budget", "3,000,000", "--date", "15/03/2565", "--note", "โอน"]):  # fmt: skip
        result = run(*args)
        assert result.exit_code == 1
        [line] = result.stderr.splitlines()
        assert line.startswith(f"projledger: records/2565/{PROJECT}.toml:")
        assert ": format: a format 1 project record has no [[" in line
        assert "run projledger migrate first" in line and line.endswith("nothing was written")
        assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quarter", "5", "--score", "1"], "--quarter: '5' is not a fiscal quarter: write 1 to 4"),
        (["--quarter", "0", "--score", "1"], "--quarter"),
        (["--quarter", "1", "--score", "abc"], "--score: 'abc' is not a number"),
        (["--quarter", "1", "--score", "1", "--date", "31/02/2565"], "--date"),
    ],
)
def test_bad_options_are_usage_errors(agency: Path, args: list[str], message: str) -> None:
    before = kpi_path(agency).read_bytes()
    result = run("add-evaluation", KPI, *args)
    assert result.exit_code == 2 and message in result.stderr
    assert kpi_path(agency).read_bytes() == before


def test_an_unknown_code_names_the_nearest_kpis(agency: Path) -> None:
    result = run("add-evaluation", "5026-2011", "--quarter", "1", "--score", "1")
    assert result.exit_code == 1
    assert "no record for KPI 5026-2011" in result.stderr and f"nearest existing: {KPI}" in result.stderr
    unknown = run("add-result", "5026-x", "--quarter", "1", "--value", "1")
    assert unknown.exit_code == 1 and "a KPI code like 5026-2001" in unknown.stderr


@pytest.mark.parametrize(
    ("table", "args"),
    [
        ("results", ["add-result", KPI, "--quarter", "2", "--value", "60", "--date", "20/04/2565"]),
        ("evaluations", ["add-evaluation", KPI, "--quarter", "2", "--score", "90", "--date", "20/04/2565"]),
    ],
)
def test_an_inline_array_is_taken_whatever_a_string_spells_like_a_header(
    agency: Path, table: str, args: list[str]
) -> None:
    """A multi-line string may hold a line ``[[results]]`` (a definition quoting a record): the
    inline array beside it is still an array, rewritten as blocks, not refused as unextendable."""
    path = kpi_path(agency)
    quoted = f"definition = '''\nas a record says it:\n[[{table}]]\nquarter = 1\n'''\n"
    inline = f"{table} = [{{ quarter = 1, {'value = 20' if table == 'results' else 'score = 80'}, date = 2022-01-20 }}]\n"
    path.write_text(
        path.read_text("utf-8").replace("projects = [", quoted + inline + "projects = ["), "utf-8"
    )
    before = tomllib.loads(path.read_text("utf-8"), parse_float=Decimal)
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert f"were rewritten as [[{table}]] blocks" in result.stderr
    after = tomllib.loads(path.read_text("utf-8"), parse_float=Decimal)
    assert after == {**before, table: [*before[table], after[table][1]]} and len(after[table]) == 2
    assert run("validate").exit_code == 0


# --- revise-budget -------------------------------------------------------------------------------


def test_revise_budget_appends_a_revision_with_its_reference(agency: Path) -> None:
    before = project_path(agency).read_bytes()
    result = run("revise-budget", PROJECT, "--budget", "3,100,000", "--date", "01/06/2565",
                 "--note", " โอนงบประมาณ ครั้งที่ 2/2565 ")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    block = '[[budget_revisions]]\ndate = 2022-06-01\nbudget = 3100000.00\nreference = "โอนงบประมาณ ครั้งที่ 2/2565"\n'
    assert result.stdout == block
    assert project_path(agency).read_bytes() == before + b"\n" + block.encode("utf-8")
    data = tomllib.loads(project_path(agency).read_text("utf-8"), parse_float=Decimal)
    assert data["budget_revisions"][-1]["budget"] == Decimal("3100000.00")


def test_a_revision_out_of_date_order_or_for_a_kpi_is_refused(agency: Path) -> None:
    before = project_path(agency).read_bytes()
    early = run("revise-budget", PROJECT, "--budget", "3,000,000", "--date", "01/01/2565", "--note", "x")
    assert (
        early.exit_code == 1
        and "budget_revisions[2]" in early.stderr
        and "nothing was written" in early.stderr
    )
    assert project_path(agency).read_bytes() == before
    kpi = run("revise-budget", KPI, "--budget", "3,000,000", "--date", "01/06/2565", "--note", "x")
    assert kpi.exit_code == 1
    assert "kind: a kpi record has no [[budget_revisions]]: they belong to a project record" in kpi.stderr


def test_revise_budget_requires_its_options_off_a_terminal(agency: Path) -> None:
    result = run("revise-budget", PROJECT, "--budget", "3,000,000", "--date", "01/06/2565")
    assert result.exit_code == 2 and "--note" in result.stderr


# --- on a terminal: the prompts ask in the run's language -----------------------------------------


@pytest.mark.parametrize(
    ("lang", "prompts"),
    [
        ("th", ["ชื่อตัวชี้วัด: ", "ปีงบประมาณ พ.ศ. (ปี พ.ศ. เช่น 2568): ", "ส่วนราชการ: ",
                "หน่วยนับ (ตามที่หน่วยงานเขียน เช่น ร้อยละ หรือ ตันต่อวัน): ", "ค่าเป้าหมาย: ",
                "ไตรมาส (1 ถึง 4): ", "ผลงานที่ทำได้: ", "คะแนน: ", "งบประมาณหลังปรับโอน (บาท): ",
                "วันที่ (วว/ดด/ปปปป พ.ศ.): ", "อ้างอิง: "]),
        ("en", ["KPI name: ", "Fiscal year (Buddhist Era, such as 2568): ", "Department: ",
                "Unit of measure (as the agency writes it, such as percent or tonnes a day): ", "Target: ",
                "Quarter (1 to 4): ", "Result: ", "Score: ", "Budget after transfers (baht): ",
                "Date (dd/mm/yyyy BE): ", "Reference: "]),
    ],
)  # fmt: skip
def test_on_a_terminal_each_command_asks_for_what_is_missing(
    agency: Path, monkeypatch: pytest.MonkeyPatch, lang: str, prompts: list[str]
) -> None:
    monkeypatch.setattr("projledger.commands.add_report.interactive", lambda: True)
    shown = ""
    for args, answers in (
        (["new", "--kind", "kpi", "5026-2002"], "ร้อยละความสำเร็จ\n2565\nสำนักงบประมาณ\nร้อยละ\nabc\n100\n"),
        (["add-result", "5026-2002", "--date", "20/01/2565"], "1\n30\n"),
        (["add-evaluation", "5026-2002", "--date", "20/01/2565"], "1\n100\n"),
        (["revise-budget", PROJECT], "3,000,000\n15/03/2565\nโอน\n"),
    ):
        result = run("--lang", lang, *args, input=answers)
        assert result.exit_code == 0, result.output
        shown += result.output
    for prompt in prompts:
        assert prompt in shown, shown
    data = tomllib.loads((agency / "records" / "2565" / "kpi" / "5026-2002.toml").read_text("utf-8"))
    assert (data["name"], data["unit"], data["target"]) == ("ร้อยละความสำเร็จ", "ร้อยละ", 100)
    assert (data["results"][0]["value"], data["evaluations"][0]["score"]) == (30, 100)
    revision = tomllib.loads(project_path(agency).read_text("utf-8"))["budget_revisions"][-1]
    assert (revision["budget"], revision["reference"]) == (3000000, "โอน")


# --- through the installed command ---------------------------------------------------------------


def test_the_installed_command_adds_a_result_and_an_evaluation(tmp_path: Path) -> None:
    program = Path(sys.executable).parent / "projledger"
    env = {**os.environ, "PROJLEDGER_LANG": "en"}
    (tmp_path / "records").mkdir()
    made = subprocess.run([program, "new", "--kind", "kpi", KPI, *KPI_ARGS], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    done = subprocess.run([program, "add-result", KPI, "--quarter", "1", "--value", "30", "--date", "28/01/2565"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[[results]]\nquarter = 1\nvalue = 30\ndate = 2022-01-28\n"
    bad = subprocess.run([program, "add-evaluation", KPI, "--quarter", "1", "--score", "101", "--date", "20/01/2565"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env)  # fmt: skip
    assert bad.returncode == 1 and bad.stdout == "" and "Traceback" not in bad.stderr
    assert len(bad.stderr.splitlines()) == 1 and "nothing was written" in bad.stderr
    thai = subprocess.run([program, "add-result", KPI, "--quarter", "1", "--value", "1"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env={**env, "PROJLEDGER_LANG": "th"})  # fmt: skip
    assert thai.returncode == 1 and "ไม่ได้เขียน" in thai.stderr, thai.stderr
