"""The reading commands meet KPIs (issue 20, point 4): ``status`` with its KPI table (--kind),
``summary`` with KPIs met and not met and the mean scores, ``show`` of a KPI as the ``mykpi``
page prints it and of a format-2 project with its evaluations and budget after transfers.

The repository (tests/test_kpi_rows.py ``make_kpi_repo``): the format-2 examples (project
01000000-2475 with a revision to 3,200,000.00 on 2022-03-15 and evaluations Q1 100 and Q2 95.5;
KPI 5026-2001, target 100 ร้อยละ, results 20.5 then 45.5, evaluation Q1 100/100), KPI 5026-2002
(less is better: target 2,000 ตันต่อวัน, results 2,500 then 1,900, evaluations 80/100 and 45/50)
and KPI 5026-2003 (no result). Figures by hand, as of 2022-10-31:

- 5026-2001: 45.5 / 100 = 45.50 % of target, not met; evaluation 100 / 100 = 100 %.
- 5026-2002: 2,000 / 1,900 = 105.263… → 105.26 %, met (1,900 <= 2,000); 45 / 50 = 90 %.
- 5026-2003: no result: neither met nor not met; no evaluation.
- KPIs 3, met 1, not met 1; KPI score mean (100 + 90) / 2 = 95; project score mean 95.5 / 100 = 95.5.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from test_kpi_rows import make_kpi_repo
from wcwidth import wcswidth

from conftest import run

AS_OF = "--as-of=2022-10-31"
KPI_KEYS = [
    "code", "name", "number", "agency_code", "department", "fiscal_year", "category", "level", "unit",
    "target", "direction", "latest_quarter", "latest_value", "percent_of_target", "met", "latest_score",
    "latest_full_score", "values_by_quarter", "path",
]  # fmt: skip
KPI_CSV = (
    "code,name,number,agency_code,department,fiscal_year,category,level,unit,target,direction,"
    "latest_quarter,latest_value,percent_of_target,met,latest_score,latest_full_score,value_q1,value_q2,"
    "value_q3,value_q4,path"
)


@pytest.fixture
def kr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(make_kpi_repo(tmp_path))
    return tmp_path


def _ok(*args: str, env: dict[str, str] | None = None) -> str:
    result = run(*args, env=env)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


def _widths(text: str) -> list[int]:
    return [wcswidth(line) for line in text.splitlines()]


# --- status -------------------------------------------------------------------------------------


def _kpi_of_another_agency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """KPI 5026-0001 of the department of 50010000's project, 5099-0001 of one no project names."""
    folder = tmp_path / "records" / "2567"
    (folder / "kpi").mkdir(parents=True)
    for code, department in (("50010000-0001", "สำนักงานเขตพระนคร"), ("50260000-0001", "สำนักงานเขตดินแดง")):
        (folder / f"{code}.toml").write_text(_PROJECT.format(code=code, department=department), "utf-8")
    for code, department in (("5026-0001", "สำนักงานเขตพระนคร"), ("5099-0001", "ฝ่ายที่ไม่มีโครงการ")):
        (folder / "kpi" / f"{code}.toml").write_text(_KPI.format(code=code, department=department), "utf-8")
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.mark.parametrize("index", ["on", "off"])
def test_agency_selects_a_kpi_by_the_same_rule_whatever_records_are_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path, index: str
) -> None:
    """`status CODE`, `status --since REV` and `summary PATH` read the records listed only, and the
    rows read taught `--agency` the departments: KPI 5026-0001, listed without the project of its
    department, was selected and grouped by its code's prefix (`status 5026-0001 --agency 5001`
    showed no KPI, `--agency 5026` showed it). Every project of the records folder teaches it, as
    in a run over the whole folder; a project's department changed is heard at the next run."""
    import subprocess
    import sys

    from projledger.core import index as index_module

    if index == "off":
        monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")
    monkeypatch.setattr(index_module, "RACY_NS", -(10**15))  # files long unchanged: outputs are stored
    folder = _kpi_of_another_agency(tmp_path, monkeypatch)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "records"]):
        subprocess.run([*git, *command], cwd=tmp_path, check=True, timeout=60)
    with (folder / "kpi" / "5026-0001.toml").open("a", encoding="utf-8") as kpi:
        kpi.write("# a change for --since\n")
    day = ("--as-of", "2024-06-30")
    for listed in (["5026-0001"], ["5026-0001", "5099-0001"], ["records/2567/kpi"], ["--since", "HEAD"]):
        for agency, kpis in (("5001", ["5026-0001"]), ("5026", []), ("เขตพระนคร", ["5026-0001"])):
            status = json.loads(_ok("status", *listed, *day, "--format", "json", "--agency", agency))
            assert [k["code"] for k in status["kpis"]] == kpis, (listed, agency)
            table = _ok("status", *listed, *day, "--agency", agency)
            rows = [
                line
                for line in table.splitlines()
                if line.startswith("5026-0001") and "[records/" not in line
            ]
            assert len(rows) == len(kpis), (listed, agency, table)  # a row of the KPI table, not of --since's
    for args, groups in ((["--agency", "5001"], {"50010000": 1}), ([], {"50010000": 1, "5099": 1})):
        summary = json.loads(_ok("summary", "records/2567/kpi", *day, "--format", "json", *args))
        assert {g["key"]["agency"]: g["kpis"] for g in summary["groups"]} == groups
    # the department's project moves to another agency's department: the KPI is its code's again,
    # for the very runs stored a moment before (a stored output hears of the files listed only)
    assert (
        len(json.loads(_ok("status", "5026-0001", *day, "--format", "json", "--agency", "5001"))["kpis"]) == 1
    )
    moved = _PROJECT.format(code="50010000-0001", department="สำนักงานเขตอื่น")
    (folder / "50010000-0001.toml").write_text(moved, "utf-8")
    assert json.loads(_ok("status", "5026-0001", *day, "--format", "json", "--agency", "5001"))["kpis"] == []
    assert json.loads(_ok("summary", "records/2567/kpi", *day, "--format", "json"))["groups"][0]["key"] == {
        "agency": "5026"
    }
    made = subprocess.run(
        [str(Path(sys.executable).parent / "projledger"), "status", "5026-0001", *day, "--agency", "5026",
         "--format", "json"], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert [k["code"] for k in json.loads(made.stdout)["kpis"]] == ["5026-0001"]


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("columns", ["80", "120"])
def test_status_shows_projects_then_kpis_each_table_fitted(kr: Path, lang: str, columns: str) -> None:
    out = _ok("status", AS_OF, "--lang", lang, env={"COLUMNS": columns})
    assert max(_widths(out)) <= int(columns)
    projects, kpis = out.split("\n\n" + ("ตัวชี้วัด" if lang == "th" else "KPIs") + "\n\n")
    assert "01000000-2475" in projects and "5026-" not in projects
    lines = kpis.splitlines()[2:]
    # not met first, then no result, then met
    assert [line.split()[0] for line in lines] == ["5026-2001", "5026-2003", "5026-2002"]
    met, not_met = ("ผ่าน", "ไม่ผ่าน") if lang == "th" else ("met", "not met")
    assert "45.50" in lines[0] and not_met in lines[0]
    assert ("105.26" in lines[2] and lines[2].rstrip().endswith(met)) or f" {met} " in lines[2]
    assert not_met not in lines[2]


def test_status_kpi_table_at_120_columns_in_thai_has_every_column(kr: Path) -> None:
    out = _ok("status", AS_OF, "--kind", "kpi", "--lang", "th", env={"COLUMNS": "160"})
    header, _, spend, empty, waste = out.splitlines()
    for word in (
        "รหัสตัวชี้วัด",
        "ชื่อตัวชี้วัด",
        "ค่าเป้าหมาย",
        "ผลงานที่ทำได้",
        "% ของเป้าหมาย",
        "ผ่าน/ไม่ผ่าน",
        "ผลประเมิน สยป.",
    ):
        assert word in header
    # the agency summary counts it under: its department is that of project 01000000-2475's
    assert spend.split() == [
        "5026-2001", "5.1", "ความสำเร็จของการเบิกจ่ายงบประมาณในภาพรวม", "01000000", "100", "ร้อยละ", "45.5",
        "(ไตรมาสที่", "2)", "45.50", "ไม่ผ่าน", "100", "/", "100",
    ]  # fmt: skip
    assert waste.split()[-11:] == [
        "≤", "2,000", "ตันต่อวัน", "1,900", "(ไตรมาสที่", "2)", "105.26", "ผ่าน", "45", "/", "50",
    ]  # fmt: skip
    assert empty.split()[-6:] == ["24", "ครั้ง/ปี", "-", "-", "-", "-"]


def test_status_wide_and_narrow(kr: Path) -> None:
    narrow = _ok("status", AS_OF, "--kind", "kpi", "--lang", "en", env={"COLUMNS": "60"})
    assert max(_widths(narrow)) <= 60
    header = narrow.splitlines()[0]
    assert header.split() == ["code", "KPI", "name", "%", "of", "target", "met"]  # the required four
    wide = _ok("status", AS_OF, "--kind", "kpi", "--lang", "en", "--wide", env={"COLUMNS": "60"})
    assert all(w in wide.splitlines()[0] for w in ("agency", "latest result", "evaluation", " target "))


def test_status_kind_picks_one_table(kr: Path) -> None:
    only_kpis = _ok("status", AS_OF, "--kind", "kpi")
    assert "01000000-2475" not in only_kpis and "KPIs\n" not in only_kpis and "5026-2002" in only_kpis
    only_projects = _ok("status", AS_OF, "--kind", "project")
    assert "01000000-2475" in only_projects and "5026-" not in only_projects
    # a KPI has no state nor plan status: those filters select projects only
    assert "5026-" not in _ok("status", AS_OF, "--state", "cancelled")
    assert "01000000-2475" not in _ok("status", AS_OF, "--agency", "5026")
    assert "5026-2001" in _ok("status", "5026-2001", AS_OF)  # a KPI by its code: a table of one


def test_status_json_keeps_projects_and_adds_kpis(kr: Path) -> None:
    data = json.loads(_ok("status", AS_OF, "--format", "json"))
    assert list(data) == ["version", "as_of", "projects", "kpis"]
    project = data["projects"][0]
    # revised on 2022-03-15 to 3,200,000; the latest evaluation by 2022-10-31 is Q2's 95.5 / 100
    assert (project["budget_in_force"], project["latest_score"], project["latest_full_score"]) == (
        3200000,
        95.5,
        100,
    )
    assert project["budget"] == 3200000  # (as before: the budget in force on the day)
    kpis = {k["code"]: k for k in data["kpis"]}
    assert all(list(k) == KPI_KEYS for k in data["kpis"])
    waste = kpis["5026-2002"]
    assert (waste["latest_quarter"], waste["latest_value"], waste["percent_of_target"], waste["met"]) == (
        2,
        1900,
        105.26,
        True,
    )
    assert (waste["latest_score"], waste["latest_full_score"], waste["direction"]) == (45, 50, "lower")
    assert waste["values_by_quarter"] == [2500, 1900, None, None]
    assert (kpis["5026-2001"]["percent_of_target"], kpis["5026-2001"]["met"]) == (45.5, False)
    assert (kpis["5026-2003"]["met"], kpis["5026-2003"]["latest_value"], kpis["5026-2003"]["number"]) == (
        None,
        None,
        None,
    )
    only = json.loads(_ok("status", AS_OF, "--kind", "kpi", "--format", "json"))
    assert list(only) == ["version", "as_of", "kpis"] and only["kpis"] == data["kpis"]
    assert "kpis" not in json.loads(_ok("status", AS_OF, "--kind", "project", "--format", "json"))


def test_status_csv_of_kpis(kr: Path) -> None:
    rows = list(csv.reader(io.StringIO(_ok("status", AS_OF, "--kind", "kpi", "--format", "csv"))))
    assert ",".join(rows[0]) == KPI_CSV
    by_code = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    waste = by_code["5026-2002"]
    assert (waste["percent_of_target"], waste["met"], waste["value_q1"], waste["value_q3"]) == (
        "105.26",
        "true",
        "2500.00",
        "",
    )
    assert by_code["5026-2003"]["met"] == ""
    header = _ok("status", AS_OF, "--format", "csv").splitlines()[0]
    assert header.endswith(
        ",late,budget_in_force,latest_score,latest_full_score"
    )  # projects as before, then the new keys


def test_status_xlsx_of_kpis(kr: Path) -> None:
    from openpyxl import load_workbook

    result = run(
        "status", AS_OF, "--kind", "kpi", "--format", "xlsx", "--output", "kpis.xlsx", "--lang", "th"
    )
    assert result.exit_code == 0, result.stderr
    sheet = load_workbook(kr / "kpis.xlsx").active
    values = list(sheet.iter_rows(values_only=True))
    assert "ผ่าน/ไม่ผ่าน" in values[0]
    met = values[0].index("ผ่าน/ไม่ผ่าน")
    assert sorted(str(row[met]) for row in values[1:]) == ["None", "ผ่าน", "ไม่ผ่าน"]


def test_status_xlsx_of_kpis_keeps_each_evaluations_full_score(kr: Path) -> None:
    """5026-2002 was scored 45 of 50: the sheet says 45 and 50, as the table says 45 / 50 and
    the csv latest_score 45, latest_full_score 50 (the sheet held 45 alone, read as 45 of 100)."""
    from openpyxl import load_workbook

    result = run(
        "status", AS_OF, "--kind", "kpi", "--format", "xlsx", "--output", "kpis.xlsx", "--lang", "en"
    )
    assert result.exit_code == 0, result.stderr
    header, *rows = load_workbook(kr / "kpis.xlsx").active.iter_rows(values_only=True)
    scores = {row[0]: (row[header.index("evaluation")], row[header.index("full score")]) for row in rows}
    assert scores == {"5026-2001": (100, 100), "5026-2002": (45, 50), "5026-2003": (None, None)}
    assert "45 / 50" in _ok("status", AS_OF, "--kind", "kpi", "--lang", "en", "--wide")


@pytest.mark.parametrize(
    "agency, count", [("01", 3), ("01000000", 3), ("๐๑๐๐๐๐๐๐", 3), ("5026", 0), ("50260000", 0)]
)
def test_an_agencys_code_selects_its_kpis(kr: Path, agency: str, count: int) -> None:
    """`--agency 01000000`, the agency's code as its projects carry it, selects the KPIs of its
    projects' department (coded 5026-: summary counts them under 01000000), in status, summary
    and the quarterly sheet alike."""
    kpis = json.loads(_ok("status", AS_OF, "--kind", "kpi", "--format", "json", "--agency", agency))["kpis"]
    assert len(kpis) == count
    summary = json.loads(_ok("summary", AS_OF, "--format", "json", "--agency", agency))
    assert summary["total"]["kpis"] == count
    result = run(
        "sheet", "export", "--quarter", "2", "--fiscal-year", "2565", "--agency", agency, "--output", "q.csv"
    )
    assert result.exit_code == 0, result.stderr
    assert (kr / "q.csv").read_text("utf-8-sig").count("\n5026-") == count


def test_the_sheets_as_of_a_past_day_hold_what_status_shows_that_day(kr: Path) -> None:
    """`sheet export --as-of` judges by that day but checks the records as of today, as status
    does: a record holding a report or a result dated after the day is not "not valid" (both
    sheets left the project and the KPI out, saying so, where status shows them)."""
    quarterly = run("sheet", "export", "--quarter", "2", "--fiscal-year", "2565", "--as-of", "2022-03-10",
                    "--output", "q2.csv")  # fmt: skip
    assert quarterly.exit_code == 0 and "not valid" not in quarterly.stderr, quarterly.stderr
    sheet = (kr / "q2.csv").read_text("utf-8-sig")
    assert "5026-2001" in sheet and "ไตรมาส 1: 20.5" in sheet and "01000000-2475" in sheet
    status = json.loads(_ok("status", "--as-of", "2022-03-10", "--kind", "kpi", "--format", "json"))
    assert [k["values_by_quarter"] for k in status["kpis"] if k["code"] == "5026-2001"] == [
        [20.5, None, None, None]
    ]
    # March's report (no. 6, dated 23/03/2565) was not filed by 10/03/2565: it is due that day
    monthly = run("sheet", "export", "--month", "03/2565", "--as-of", "2022-03-10", "--output", "march.csv")
    assert monthly.exit_code == 0 and "not valid" not in monthly.stderr, monthly.stderr
    assert "01000000-2475" in (kr / "march.csv").read_text("utf-8-sig")


def test_kpi_rows_are_the_same_with_and_without_the_index(kr: Path, cache_dir: Path) -> None:
    args = ("status", AS_OF, "--format", "json")
    cold, warm = _ok(*args), _ok(*args)
    table_cold, table_warm = _ok("status", AS_OF), _ok("status", AS_OF)
    summary_cold, summary_warm = (
        _ok("summary", AS_OF, "--format", "json"),
        _ok("summary", AS_OF, "--format", "json"),
    )
    without = {"PROJLEDGER_NO_CACHE": "1"}
    assert cold == warm == _ok(*args, env=without)
    assert table_cold == table_warm == _ok("status", AS_OF, env=without)
    assert summary_cold == summary_warm == _ok("summary", AS_OF, "--format", "json", env=without)
    assert len(json.loads(cold)["kpis"]) == 3


# --- summary ------------------------------------------------------------------------------------


def test_summary_counts_kpis_and_mean_scores(kr: Path) -> None:
    data = json.loads(_ok("summary", AS_OF, "--format", "json"))
    # the KPIs' department is that of project 01000000-2475: they join its agency's group
    assert [g["key"] for g in data["groups"]] == [{"agency": "01000000"}]
    for totals in (data["groups"][0], data["total"]):
        assert {k: totals[k] for k in ("kpis", "kpis_met", "kpis_not_met", "project_score_mean", "kpi_score_mean")} == {
            "kpis": 3, "kpis_met": 1, "kpis_not_met": 1, "project_score_mean": 95.5, "kpi_score_mean": 95,
        }  # fmt: skip
    by_year = json.loads(_ok("summary", AS_OF, "--by", "fiscal-year", "--format", "json"))
    assert by_year["groups"][0]["key"] == {"fiscal_year": 2565} and by_year["groups"][0]["kpis"] == 3
    # by state: a KPI has none; it counts in the total only
    by_state = json.loads(_ok("summary", AS_OF, "--by", "state", "--format", "json"))
    assert [g["kpis"] for g in by_state["groups"]] == [0] and by_state["total"]["kpis"] == 3
    lines = _ok("summary", AS_OF, "--format", "csv").splitlines()
    assert lines[0].endswith(",progress,kpis,kpis_met,kpis_not_met,project_score_mean,kpi_score_mean")
    assert lines[-1].endswith(",3,1,1,95.50,95.00")


_PROJECT = """format = 1
code = "{code}"
name = "ซ่อมทางเท้า"
fiscal_year = 2567
start = 2023-10-01
end = 2024-09-30
budget = 100000.00

[agency]
department = "{department}"
"""
_KPI = """format = 2
kind = "kpi"
code = "{code}"
name = "ทางเท้าที่ซ่อม"
fiscal_year = 2567
unit = "แห่ง"
target = 10

[agency]
department = "{department}"
"""


def test_summary_counts_a_kpi_with_the_agency_whose_page_lists_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A KPI belongs to the agency whose projects name its department: summary's group and the
    site's agency page agree, for a department named by an agency's second project (summary
    matched only the department of each agency's first record: the KPI made a group of its own
    prefix, 5099, while the site listed it on 50010000's page) and for one named by two agencies'
    projects (the lowest code, as the rows come in any order)."""
    folder = tmp_path / "records" / "2567"
    (folder / "kpi").mkdir(parents=True)
    for code, department in (
        ("50010000-0001", "สำนักงานเขตพระนคร"),
        ("50010000-0002", "สำนักงานเขตพระนคร ฝ่ายโยธา"),
        ("50260000-0001", "สำนักงานเขตดินแดง"),
        ("50260000-0002", "ฝ่ายโยธา (ร่วม)"),
        ("50020000-0001", "ฝ่ายโยธา (ร่วม)"),
    ):
        (folder / f"{code}.toml").write_text(_PROJECT.format(code=code, department=department), "utf-8")
    for code, department in (("5099-0001", "สำนักงานเขตพระนคร ฝ่ายโยธา"), ("5098-0001", "ฝ่ายโยธา (ร่วม)")):
        (folder / "kpi" / f"{code}.toml").write_text(_KPI.format(code=code, department=department), "utf-8")
    monkeypatch.chdir(tmp_path)
    summary = json.loads(_ok("summary", "--as-of", "2024-06-30", "--format", "json"))
    counted = {g["key"]["agency"]: g["kpis"] for g in summary["groups"]}
    assert counted == {"50010000": 1, "50020000": 1, "50260000": 0}
    assert run("site", "--as-of", "2024-06-30", "--output", "_site").exit_code == 0
    for agency, kpi in (("50010000", "5099-0001"), ("50020000", "5098-0001")):
        assert f'data-code="{kpi}"' in (tmp_path / "_site" / "agencies" / f"{agency}.html").read_text("utf-8")
    assert sorted(p.name for p in (tmp_path / "_site" / "agencies").iterdir()) == [
        "50010000.html", "50020000.html", "50260000.html",
    ]  # fmt: skip


@pytest.mark.parametrize("args", [(), ("--fiscal-year", "2567")])
def test_a_filter_never_moves_a_kpi_to_another_agency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    """A KPI whose department only a project of another fiscal year names is that project's
    agency's in a summary of its own year too: the filtered summary matched departments among the
    rows it kept, and counted the KPI under its code's prefix (5099), not 50010000 as the
    unfiltered summary and the site do."""
    (tmp_path / "records" / "2567" / "kpi").mkdir(parents=True)
    (tmp_path / "records" / "2566").mkdir()
    project = _PROJECT.format(code="50010000-0001", department="สำนักงานเขตพระนคร")
    for old, new in (("2567", "2566"), ("2023-10-01", "2022-10-01"), ("2024-09-30", "2023-09-30")):
        project = project.replace(old, new)
    (tmp_path / "records" / "2566" / "50010000-0001.toml").write_text(project, "utf-8")
    kpi = _KPI.format(code="5099-0001", department="สำนักงานเขตพระนคร")
    (tmp_path / "records" / "2567" / "kpi" / "5099-0001.toml").write_text(kpi, "utf-8")
    monkeypatch.chdir(tmp_path)
    summary = json.loads(_ok("summary", "--as-of", "2024-06-30", "--format", "json", *args))
    assert {g["key"]["agency"]: g["kpis"] for g in summary["groups"] if g["kpis"]} == {"50010000": 1}


@pytest.mark.parametrize("args", [(), ("--fiscal-year", "2567")])
def test_agency_selects_a_kpi_by_the_agency_summary_counts_it_under(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path, args: tuple[str, ...]
) -> None:
    """KPI 5026-0001's code names agency 50260000, its department is that of 50010000's project:
    it is 50010000's in summary and on the site, so `--agency 5001` selects it, `--agency 5026`
    does not (status, summary and the quarterly sheet selected it by its code's prefix). A KPI
    of a department no project names is its code prefix's (5099)."""
    _kpi_of_another_agency(tmp_path, monkeypatch)
    day = ("--as-of", "2024-06-30", *args)
    groups = {
        g["key"]["agency"]: g["kpis"] for g in json.loads(_ok("summary", *day, "--format", "json"))["groups"]
    }
    assert groups == {"50010000": 1, "50260000": 0, "5099": 1}
    for agency, kpis in (("5001", ["5026-0001"]), ("50010000", ["5026-0001"]), ("5026", []), ("50260000", []),
                         ("5099", ["5099-0001"]), ("50990000", ["5099-0001"]), ("เขตพระนคร", ["5026-0001"])):  # fmt: skip
        status = json.loads(_ok("status", *day, "--format", "json", "--agency", agency))
        assert [k["code"] for k in status["kpis"]] == kpis, agency
        table = _ok("status", *day, "--agency", agency)
        assert [code for code in ("5026-0001", "5099-0001") if code in table] == kpis, agency
        summary = json.loads(_ok("summary", *day, "--format", "json", "--agency", agency))
        assert summary["total"]["kpis"] == len(kpis) == groups.get(agency, len(kpis)), agency
        assert run("sheet", "export", "--quarter", "3", "--fiscal-year", "2567", "--as-of", "2024-06-30",
                   "--agency", agency, "--output", "q.csv").exit_code == 0  # fmt: skip
        sheet = (tmp_path / "q.csv").read_text("utf-8-sig")
        assert [code for code in ("5026-0001", "5099-0001") if f"\n{code}," in sheet] == kpis, agency


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("columns", ["80", "120"])
def test_summary_table_shows_kpi_figures_and_fits(kr: Path, lang: str, columns: str) -> None:
    out = _ok("summary", AS_OF, "--lang", lang, env={"COLUMNS": columns})
    assert max(_widths(out)) <= int(columns)
    header, _, _group, total = out.splitlines()
    assert ("ตัวชี้วัด" if lang == "th" else "KPIs") in header
    cells = total.split()
    assert cells[1] == "1"  # projects; then, before the other columns by priority: KPIs, met,
    assert " 3 1 1 95.50" in " ".join(cells)  # not met, the mean scores (in the table's order)


def test_summary_by_quarter_sums_the_budget_in_force_at_each_quarter_end(kr: Path) -> None:
    data = json.loads(_ok("summary", AS_OF, "--by", "quarter", "--format", "json"))
    # revised to 3,200,000 on 2022-03-15: Q1 (ends 2021-12-31) still had 3,540,000
    assert [(g["key"]["quarter"], g["budget"]) for g in data["groups"]] == [
        (1, 3540000),
        (2, 3200000),
        (3, 3200000),
        (4, 3200000),
    ]
    early = json.loads(_ok("summary", "--as-of=2022-02-01", "--by", "quarter", "--format", "json"))
    assert [g["budget"] for g in early["groups"]] == [3540000] * 4  # the revision was not yet known


# --- show ---------------------------------------------------------------------------------------

WASTE_PAGE = """\
ตัวชี้วัดของหน่วยงาน

หน่วยงาน : สำนักงานเลขานุการสภากรุงเทพมหานคร

ปีงบประมาณ : 2565

2.3 ปริมาณขยะมูลฝอยที่เก็บขนได้ : 5026-2002

ค่าเป้าหมาย ตันต่อวัน : 2,000

ผลงานที่ทำได้ ตันต่อวัน : 1,900

ประเภทตัวชี้วัด : ตัวชี้วัดเชิงยุทธศาสตร์

(ตัวชี้วัดระดับผลลัพธ์ (outcome))

ผลงานเทียบกับเป้าหมายรายไตรมาส

ไตรมาส\tผลงานสะสม\tผลการประเมิน
ไตรมาสที่ 1\t2,500\t80 / 100
ไตรมาสที่ 2\t1,900\t45 / 50
ไตรมาสที่ 3
ไตรมาสที่ 4

*** สยป. ตรวจประเมินตัวชี้วัด : ไตรมาสที่ 2: 45

รายงานผลฯ ไตรมาสที่ 1

20/01/2565

รายงานผลฯ ไตรมาสที่ 2

20/04/2565
"""


def test_show_prints_a_kpi_as_the_mykpi_page(kr: Path) -> None:
    assert _ok("show", "5026-2002", AS_OF) == WASTE_PAGE
    early = _ok("show", "records/2565/kpi/5026-2002.toml", "--as-of=2022-02-15")
    assert "ผลงานที่ทำได้ ตันต่อวัน : 2,500" in early and "ไตรมาสที่ 2\t" not in early
    assert "*** สยป. ตรวจประเมินตัวชี้วัด : ไตรมาสที่ 1: 80" in early
    spend = _ok("show", "5026-2001", AS_OF)
    assert "5.1 ความสำเร็จของการเบิกจ่ายงบประมาณในภาพรวม : 5026-2001" in spend
    assert "ไตรมาสที่ 1\t20.5\t100 / 100" in spend and "28/01/2565 : เบิกจ่ายตามแผน" in spend
    assert "คำนิยาม : ร้อยละของงบประมาณที่เบิกจ่ายได้เทียบกับงบประมาณหลังปรับโอน" in spend
    missing = run("show", "5026-2009")
    assert missing.exit_code == 1 and "no record for KPI 5026-2009" in missing.stderr


def test_show_text_of_a_kpi_reads_back_with_import(kr: Path, tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(_ok("show", "5026-2002", AS_OF), encoding="utf-8")
    result = run("import", str(page), "--stdout", "--direction", "lower",
                 "--evaluation-date", "1=31/01/2565", "--evaluation-date", "2=30/04/2565")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    text = result.stdout
    for line in ('code = "5026-2002"', "target = 2000", 'direction = "lower"', "value = 2500", "value = 1900",
                 "full_score = 50", 'category = "strategic"', 'level = "outcome"'):  # fmt: skip
        assert line in text


def test_show_html_of_a_kpi(kr: Path) -> None:
    page = _ok("show", "5026-2002", AS_OF, "--format", "html")
    assert page.startswith("<!DOCTYPE html>") and "ผลงานเทียบกับเป้าหมายรายไตรมาส" in page
    assert '<td>ไตรมาสที่ 2</td><td class="money">1,900</td><td class="money">45 / 50</td>' in page
    assert "ค่ายิ่งน้อยยิ่งดี" in page and "*** สยป. ตรวจประเมินตัวชี้วัด : ไตรมาสที่ 2: 45" in page


def test_show_of_a_format2_project_adds_its_evaluations_and_budget_after_transfers(kr: Path) -> None:
    text = _ok("show", "01000000-2475", AS_OF)
    lines = text.splitlines()
    at = lines.index("งบประมาณที่ใช้ไป : 0 บาท")
    assert lines[at + 1 : at + 4] == [
        "งบประมาณหลังปรับโอน : 3,200,000 บาท",
        "สยป. ประเมินโครงการ : ไตรมาสที่ 1 100.0000",
        "สยป. ประเมินโครงการ : ไตรมาสที่ 2 95.5000",
    ]
    early = _ok("show", "01000000-2475", "--as-of=2022-02-01")
    assert "งบประมาณหลังปรับโอน" not in early and "ไตรมาสที่ 2 95.5000" not in early
    assert "สยป. ประเมินโครงการ : ไตรมาสที่ 1 100.0000" in early
    html = _ok("show", "01000000-2475", AS_OF, "--format", "html")
    assert "งบประมาณหลังปรับโอน" in html and "ไตรมาสที่ 2 95.5000" in html


def test_the_html_form_prints_the_evaluations_where_the_text_form_does(kr: Path) -> None:
    """One layout: under 1.1's budget used, before 1.2 and the reports, in both forms."""
    marks = ("งบประมาณที่ใช้ไป", "งบประมาณหลังปรับโอน", "สยป. ประเมินโครงการ", "ไตรมาสที่ 1 100.0000",
             "ไตรมาสที่ 2 95.5000", "1.2 หน่วยงานที่รับผิดชอบ", "2. รายงานความก้าวหน้า", "รายงานครั้งที่1 ")  # fmt: skip
    for output_format in ("text", "html"):
        form = _ok("show", "01000000-2475", AS_OF, "--format", output_format)
        html = form.split("<body", 1)[-1].replace("รายงานครั้งที่1</span>", "รายงานครั้งที่1 ")
        at = [html.find(mark) for mark in marks]
        assert -1 not in at and at == sorted(at), (output_format, list(zip(marks, at, strict=True)))


@pytest.mark.parametrize(
    ("name", "year"),
    [("2568", 2568), ("๒๕๖๘", None), ("256", None), ("25680", None), ("kpi", None), ("", None)],
)
def test_a_folder_is_a_fiscal_years_when_named_by_four_ascii_digits(name: str, year: int | None) -> None:
    from projledger.core.record import folder_fiscal_year

    assert folder_fiscal_year(name) == year


@pytest.mark.parametrize(("folder", "own"), [("2568", True), ("๒๕๖๘", False)])
def test_a_kpis_portfolio_is_the_records_folder_above_its_years_folder(
    tmp_path: Path, folder: str, own: bool
) -> None:
    # the rules (folder-year, kpi-folder-year) and export read a year's folder as four ASCII
    # digits: the KPI's portfolio is found by the same test, not by str.isdigit's Thai digits
    from projledger.core.config import load_config
    from projledger.core.kpi import portfolio_of

    config = load_config(tmp_path)
    kpi = tmp_path / "elsewhere" / folder / "kpi" / "5001-0001.toml"
    assert portfolio_of(str(kpi), config) == (tmp_path / "elsewhere" if own else config.records_dir)


def test_a_kpis_code_given_twice_is_said_of_a_kpi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    monkeypatch.chdir(make_kpi_repo(tmp_path))
    (tmp_path / "records" / "2566" / "kpi").mkdir(parents=True)
    shutil.copy(tmp_path / "records/2565/kpi/5026-2002.toml", tmp_path / "records/2566/kpi/5026-2002.toml")
    result = run("validate")
    assert result.exit_code == 1
    (line,) = [line for line in result.stdout.splitlines() if "[duplicate-code]" in line]
    assert "KPI 5026-2002 has another record at records/2565/kpi/5026-2002.toml" in line
    assert "project" not in line


@pytest.mark.parametrize("index", ["on", "off"])
def test_status_shows_a_kpi_under_the_agency_summary_counts_it_under(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path, index: str
) -> None:
    """status's KPI table, csv and json showed a KPI's agency as its code's prefix (5026) while
    --agency, summary and the site file it under the agency of its department's projects
    (50010000): every view shows that one now, whichever records are listed; a KPI of a
    department no project names keeps its code's prefix (5099)."""
    import subprocess
    import sys

    if index == "off":
        monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")
    _kpi_of_another_agency(tmp_path, monkeypatch)
    day = ("--as-of", "2024-06-30")
    groups = json.loads(_ok("summary", *day, "--format", "json"))["groups"]
    counted = {g["key"]["agency"] for g in groups if g["kpis"]}
    assert counted == {"50010000", "5099"}
    expected = {"5026-0001": "50010000", "5099-0001": "5099"}
    for listed in ([], ["5026-0001", "5099-0001"], ["records/2567/kpi"], ["records/2567"], ["records"]):
        for again in range(2):  # the second run may be answered from a stored output: the same
            status = json.loads(_ok("status", *listed, *day, "--format", "json"))
            assert {k["code"]: k["agency_code"] for k in status["kpis"]} == expected, (listed, again)
            rows = csv.DictReader(
                io.StringIO(_ok("status", *listed, *day, "--kind", "kpi", "--format", "csv"))
            )
            assert {row["code"]: row["agency_code"] for row in rows} == expected, listed
            table = _ok("status", *listed, *day, "--kind", "kpi", "--wide")
            shown = {line.split()[0]: line.split() for line in table.splitlines()[2:]}
            assert all(agency in shown[code] for code, agency in expected.items()), (listed, table)
            assert "5026 " not in table, table
    made = subprocess.run(
        [str(Path(sys.executable).parent / "projledger"), "status", "5026-0001", *day, "--format", "json"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert [k["agency_code"] for k in json.loads(made.stdout)["kpis"]] == ["50010000"]
