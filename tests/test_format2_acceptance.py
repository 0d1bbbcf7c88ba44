"""Issue 20's acceptance: a small agency built by the commands alone, its figures computed by hand.

The agency (สำนักงานเขตพระนคร, fiscal year 2565 = 1 Oct 2021 .. 30 Sep 2022, judged on
31 Oct 2022) is made only through the CLI, as a clerk would make it:

- project 50100000-0001, made by ``new`` (format 2): budget 1,000,000; reports in July, August
  and September (30 % / 200,000; 70 % / 500,000; 100 % / 760,000, completed); one
  ``revise-budget`` on 1 Aug 2022 to 800,000; สยป. evaluation of quarter 4: 95 / 100.
- project 50100000-0002, written as format 1 (the way every record was before) and turned into
  format 2 by ``migrate`` run as the real installed command: budget 500,000; reports 20 % /
  50,000, 50 % / 150,000, 80 % / 300,000; evaluation of quarter 4: 40 / 50.
- KPI 5010-2001 (ร้อยละ, target 100, higher is better), linked to 50100000-0001: results of
  quarters 1-4 20, 45, 70, 94.73; evaluations 100/100, 100/100, 90/100, 45/50.
- KPI 5010-2002 (ตันต่อวัน, target 2,300, baseline 2,419.97, less is better), linked to
  50100000-0002: results 2,400, 2,350, 2,320, 2,250; evaluations 80, 85, 90, 100 (of 100).

Every figure the tests expect is written below as a literal with the arithmetic that gives it.
The other clauses of "Done when" are held elsewhere; see the comments at the end.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_rules import RULE_FILES, _expected, _meta

from projledger.core.kinds import KINDS, kind_key
from projledger.core.kpi import KPI_PROJECT_LINK

from conftest import DATA, SHIPPED, run

AS_OF = "2022-10-31"  # a month after the fiscal year's end: every quarter and evaluation is known
DEPARTMENT = "สำนักงานเขตพระนคร"
NEW, MIGRATED = "50100000-0001", "50100000-0002"
PERCENT_KPI, WASTE_KPI = "5010-2001", "5010-2002"

FORMAT_1_RECORD = f"""\
format = 1
code = "{MIGRATED}"
name = "ขุดลอกคูคลอง"
fiscal_year = 2565
start = 2022-07-01
end = 2022-09-30
budget = 500000.00

[agency]
department = "{DEPARTMENT}"
"""


def _ok(*args: str) -> str:
    result = run(*args)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return result.stdout


def _installed() -> str:
    found = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert found, "the projledger console script is not installed in this environment"
    return found


def _build(root: Path) -> None:
    """The agency, by the commands alone (the working folder is ``root``)."""
    _ok("init", ".")
    _ok(
        "new", NEW, "--name", "ปรับปรุงทางเท้า", "--fiscal-year", "2565", "--start", "01/07/2565",
        "--end", "2022-09-30", "--budget", "1,000,000", "--department", DEPARTMENT,
    )  # fmt: skip
    old = root / "records" / "2565" / f"{MIGRATED}.toml"
    old.write_text(FORMAT_1_RECORD, "utf-8")
    # migrate, as the real installed command (a process of its own)
    migrated = subprocess.run(
        [_installed(), "migrate"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PROJLEDGER_LANG": "en", "PROJLEDGER_NO_CACHE": "1"},
    )
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout == f"records/2565/{MIGRATED}.toml\n"
    assert migrated.stderr == "1 of 2 files migrated to format 2\n"
    assert old.read_text("utf-8") == FORMAT_1_RECORD.replace("format = 1\n", 'format = 2\nkind = "project"\n')

    for day, progress, disbursed, extra in (
        ("25/07/2565", "30", "200,000", ()),
        ("25/08/2565", "70", "500,000", ()),
        ("26/09/2565", "100", "760,000", ("--complete",)),
    ):
        _ok("add-report", NEW, "--date", day, "--progress", progress, "--disbursed", disbursed,
            "--note", f"งานร้อยละ {progress}", *extra)  # fmt: skip
        if day == "25/07/2565":
            revised = _ok("revise-budget", NEW, "--budget", "800,000", "--date", "01/08/2565",
                          "--note", "โอนงบประมาณ ครั้งที่ 1/2565")  # fmt: skip
            assert "budget = 800000.00" in revised
    for day, progress, disbursed in (
        ("2022-07-20", "20", "50,000"),
        ("2022-08-20", "50", "150,000"),
        ("2022-09-20", "80", "300,000"),
    ):
        _ok("add-report", MIGRATED, "--date", day, "--progress", progress, "--disbursed", disbursed,
            "--note", "ขุดลอก")  # fmt: skip

    _ok(
        "new", "--kind", "kpi", PERCENT_KPI, "--name", "ความสำเร็จของการเบิกจ่ายงบประมาณในภาพรวม",
        "--fiscal-year", "2565", "--department", DEPARTMENT, "--unit", "ร้อยละ", "--target", "100",
        "--project", NEW,
    )  # fmt: skip
    _ok(
        "new", "--kind", "kpi", WASTE_KPI, "--name", "ปริมาณมูลฝอยที่เก็บขนได้", "--fiscal-year", "2565",
        "--department", DEPARTMENT, "--unit", "ตันต่อวัน", "--target", "2300", "--baseline", "2419.97",
        "--direction", "lower", "--category", "strategic", "--level", "outcome", "--project", MIGRATED,
    )  # fmt: skip
    for quarter, value, day, score, full, evaluated in (
        ("1", "20", "10/01/2565", "100", "100", "20/01/2565"),
        ("2", "45", "10/04/2565", "100", "100", "20/04/2565"),
        ("3", "70", "10/07/2565", "90", "100", "20/07/2565"),
        ("4", "94.73", "10/10/2565", "45", "50", "20/10/2565"),
    ):
        _ok("add-result", PERCENT_KPI, "--quarter", quarter, "--value", value, "--date", day,
            "--note", f"รายงานผลไตรมาส {quarter}")  # fmt: skip
        _ok("add-evaluation", PERCENT_KPI, "--quarter", quarter, "--score", score, "--of", full,
            "--date", evaluated)  # fmt: skip
    for quarter, value, day, score in (
        ("1", "2400", "2022-01-12", "80"),
        ("2", "2350", "2022-04-12", "85"),
        ("3", "2320", "2022-07-12", "90"),
        ("4", "2250", "2022-10-12", "100"),
    ):
        _ok("add-result", WASTE_KPI, "--quarter", quarter, "--value", value, "--date", day)
        _ok("add-evaluation", WASTE_KPI, "--quarter", quarter, "--score", score,
            "--date", day.replace("-12", "-21"))  # fmt: skip
    _ok("add-evaluation", NEW, "--quarter", "4", "--score", "95", "--date", "20/10/2565")
    _ok("add-evaluation", MIGRATED, "--quarter", "4", "--score", "40", "--of", "50", "--date", "2022-10-21")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The agency, built once; each test works on its own copy (``agency``)."""
    root = tmp_path_factory.mktemp("agency") / "bkk"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NO_COLOR", "1")
        patch.setenv("PROJLEDGER_NO_CACHE", "1")
        patch.setenv("PROJLEDGER_LANG", "en")
        patch.delenv("PROJLEDGER_DEBUG", raising=False)
        root.mkdir()
        patch.chdir(root)
        _build(root)
    return root


@pytest.fixture
def agency(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    root = tmp_path / "bkk"
    shutil.copytree(built, root, symlinks=True)
    monkeypatch.chdir(root)
    yield root


def _thai(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thai, the default: no language asked for (the config that init wrote says th)."""
    monkeypatch.delenv("PROJLEDGER_LANG", raising=False)


def _json(*args: str) -> Any:
    return json.loads(_ok(*args, "--as-of", AS_OF, "--format", "json"))


def _page_text(path: Path) -> str:
    """A page's words as a reader sees them: tags, scripts and styles gone, blanks as one."""
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", path.read_text("utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", text)))


# --- the records the commands wrote -------------------------------------------------------------


def test_the_agency_validates_clean(agency: Path) -> None:
    result = run("validate")
    assert result.exit_code == 0, result.stdout
    assert result.stdout.endswith("4 files checked: 0 errors, 0 warnings\n"), result.stdout
    report = json.loads(_ok("validate", "--format", "json", "--strict"))
    assert (report["files"], report["errors"], report["warnings"], report["findings"]) == (4, 0, 0, [])


def test_the_records_are_format_2_with_what_the_commands_appended(agency: Path) -> None:
    folder = agency / "records" / "2565"
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.toml")) == [
        f"{NEW}.toml", f"{MIGRATED}.toml", f"kpi/{PERCENT_KPI}.toml", f"kpi/{WASTE_KPI}.toml",
    ]  # fmt: skip
    new = tomllib.loads((folder / f"{NEW}.toml").read_text("utf-8"))
    assert (new["format"], new["kind"], len(new["reports"])) == (2, "project", 3)
    assert [(str(r["date"]), r["budget"], r["reference"]) for r in new["budget_revisions"]] == [
        ("2022-08-01", 800000.0, "โอนงบประมาณ ครั้งที่ 1/2565")
    ]
    migrated = tomllib.loads((folder / f"{MIGRATED}.toml").read_text("utf-8"))
    assert (migrated["format"], migrated["kind"], len(migrated["reports"])) == (2, "project", 3)
    assert [(e["quarter"], e["score"], e.get("full_score", 100)) for e in migrated["evaluations"]] == [
        (4, 40, 50)
    ]
    waste = tomllib.loads((folder / "kpi" / f"{WASTE_KPI}.toml").read_text("utf-8"))
    assert (waste["kind"], waste["direction"], waste["baseline"], waste["projects"]) == (
        "kpi", "lower", 2419.97, [MIGRATED],
    )  # fmt: skip
    assert [(r["quarter"], r["value"]) for r in waste["results"]] == [
        (1, 2400),
        (2, 2350),
        (3, 2320),
        (4, 2250),
    ]
    assert [e["quarter"] for e in waste["evaluations"]] == [1, 2, 3, 4]


def test_each_figure_is_written_as_the_clerk_typed_it(agency: Path) -> None:
    """KPI figures and scores as typed (2300, 2250, 94.73, 80); money with 2 decimals and a
    report's progress with 1, as format 1 always wrote them."""
    folder = agency / "records" / "2565"
    waste = (folder / "kpi" / f"{WASTE_KPI}.toml").read_text("utf-8")
    for line in ("target = 2300", "baseline = 2419.97", "value = 2400", "value = 2250", "score = 80",
                 "score = 100"):  # fmt: skip
        assert f"\n{line}\n" in waste, line
    percent = (folder / "kpi" / f"{PERCENT_KPI}.toml").read_text("utf-8")
    for line in ("target = 100", "value = 20", "value = 94.73", "score = 45", "full_score = 50"):
        assert f"\n{line}\n" in percent, line
    new = (folder / f"{NEW}.toml").read_text("utf-8")
    for line in ("budget = 800000.00", "progress = 30.0", "disbursed = 200000.00", "score = 95"):
        assert f"\n{line}\n" in new, line
    assert not re.search(r"^(target|baseline|value|score|full_score) = \d+\.0$", waste + percent + new, re.M)


# --- status and summary: the projects' figures (main) ---------------------------------------------

# 50100000-0001: the budget in force on 31/10/2565 is the revision's 800,000 (1 Aug 2022, the
# only revision, replaces 1,000,000); disbursed 760,000 -> 760,000 / 800,000 = 95.00 %.
# 50100000-0002: no revision, 500,000 in force; 300,000 / 500,000 = 60.00 %.
# Agency: budget 800,000 + 500,000 = 1,300,000; disbursed 760,000 + 300,000 = 1,060,000;
# 1,060,000 / 1,300,000 = 81.538... -> 81.54 %; budget-weighted progress
# (100 x 800,000 + 80 x 500,000) / 1,300,000 = 120,000,000 / 1,300,000 = 92.307... -> 92.31 %.


def test_status_json_gives_the_projects_figures(agency: Path) -> None:
    rows = {row["code"]: row for row in _json("status")["projects"]}
    assert {
        code: (r["budget"], r["disbursed"], r["disbursement_rate"], r["state"]) for code, r in rows.items()
    } == {
        NEW: (800000, 760000, 95, "completed"),
        MIGRATED: (500000, 300000, 60, "active"),
    }
    # On 31/07/2565, before the revision: 1,000,000 in force, July's 200,000 -> 20.00 %.
    july = json.loads(_ok("status", NEW, "--as-of", "2022-07-31", "--format", "json"))
    [row] = july["projects"]
    assert (row["budget"], row["disbursed"], row["disbursement_rate"]) == (1000000, 200000, 20)


def test_status_json_gives_the_budget_in_force_and_the_latest_evaluation(agency: Path) -> None:
    rows = {row["code"]: row for row in _json("status")["projects"]}
    assert {
        c: (r["budget_in_force"], r["latest_score"], r["latest_full_score"]) for c, r in rows.items()
    } == {
        NEW: (800000, 95, 100),  # the revision of 1 Aug 2022; quarter 4 scored 95 of 100
        MIGRATED: (500000, 40, 50),  # never revised; quarter 4 scored 40 of 50
    }


@pytest.mark.parametrize("lang", ["th", "en"])
def test_status_table_prints_the_projects_figures(
    agency: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    if lang == "th":
        _thai(monkeypatch)
    out = _ok("status", "--as-of", AS_OF, "--wide", *(["--lang", "en"] if lang == "en" else []))
    new = next(line for line in out.splitlines() if line.startswith(NEW))
    migrated = next(line for line in out.splitlines() if line.startswith(MIGRATED))
    for figure in ("760,000.00", "800,000.00", "95.00", "100.00"):
        assert figure in new, new
    for figure in ("300,000.00", "500,000.00", "60.00", "80.00"):
        assert figure in migrated, migrated
    assert ("ดำเนินการแล้วเสร็จ" if lang == "th" else "completed") in new


@pytest.mark.parametrize("day, budget, used", [
    (AS_OF, "800,000.00", "760,000.00 (95.00 %)"),  # after the revision of 1 Aug 2022
    ("2022-07-31", "1,000,000.00", "200,000.00 (20.00 %)"),  # before it
])  # fmt: skip
def test_status_of_one_project_gives_the_budget_its_rate_divides(
    agency: Path, monkeypatch: pytest.MonkeyPatch, day: str, budget: str, used: str
) -> None:
    """`status CODE` shows the budget in force on the day, as the table, the json and the site's
    project page do: it showed the record's 1,000,000 beside 760,000 (95.00 %), 95 % of 800,000."""
    _thai(monkeypatch)
    head = _ok("status", NEW, "--as-of", day).split("\n\n")[0]
    details = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in head.splitlines())
    assert (details["งบประมาณที่ได้รับ"], details["งบประมาณที่ใช้ไป"]) == (budget, used)


def test_summary_json_gives_the_agencys_totals(agency: Path) -> None:
    summary = _json("summary")
    [group] = summary["groups"]
    assert group["key"] == {"agency": "50100000"}
    for totals in (group, summary["total"]):
        assert (totals["projects"], totals["budget"], totals["disbursed"]) == (2, 1300000, 1060000)
        assert (totals["disbursement_rate"], totals["progress"]) == (81.54, 92.31)


# --- KPIs, evaluations and their means (20-reading) ---------------------------------------------

# 5010-2001, higher is better: latest result = quarter 4's 94.73; % of target = 94.73 / 100 x 100
# = 94.73; met: 94.73 >= 100 is false; latest evaluation quarter 4: 45 of 50 (= 90 %).
# 5010-2002, less is better: latest result = quarter 4's 2,250; % of target = 2,300 / 2,250 x 100
# = 102.222... -> 102.22; met: 2,250 <= 2,300 is true; latest evaluation 100 of 100 (= 100 %).
# Summary: 2 KPIs, 1 met, 1 not met; mean KPI score = (45/50 = 90 % + 100/100 = 100 %) / 2 = 95 %;
# mean project score = (95/100 = 95 % + 40/50 = 80 %) / 2 = 87.5 %.
KPI_FIGURES = {
    PERCENT_KPI: {
        "unit": "ร้อยละ", "target": 100, "direction": "higher", "latest_quarter": 4,
        "latest_value": 94.73, "percent_of_target": 94.73, "met": False,
        "latest_score": 45, "latest_full_score": 50, "values_by_quarter": [20, 45, 70, 94.73],
    },
    WASTE_KPI: {
        "unit": "ตันต่อวัน", "target": 2300, "direction": "lower", "latest_quarter": 4,
        "latest_value": 2250, "percent_of_target": 102.22, "met": True,
        "latest_score": 100, "latest_full_score": 100, "values_by_quarter": [2400, 2350, 2320, 2250],
    },
}  # fmt: skip


def test_status_json_gives_each_kpis_figures(agency: Path) -> None:
    kpis = {row["code"]: row for row in _json("status")["kpis"]}
    assert set(kpis) == set(KPI_FIGURES)
    for code, figures in KPI_FIGURES.items():
        assert {key: kpis[code][key] for key in figures} == figures, code
        assert kpis[code]["fiscal_year"] == 2565 and kpis[code]["department"] == DEPARTMENT
    alone = {row["code"]: row for row in _json("status", "--kind", "kpi")["kpis"]}
    assert alone == kpis


@pytest.mark.parametrize("lang", ["th", "en"])
def test_status_table_prints_each_kpis_figures(
    agency: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    if lang == "th":
        _thai(monkeypatch)
    out = _ok(
        "status", "--as-of", AS_OF, "--wide", "--kind", "kpi", *(["--lang", "en"] if lang == "en" else [])
    )
    percent = next(line for line in out.splitlines() if line.startswith(PERCENT_KPI))
    waste = next(line for line in out.splitlines() if line.startswith(WASTE_KPI))
    met, not_met = ("ผ่าน", "ไม่ผ่าน") if lang == "th" else ("met", "not met")
    for figure in ("100 ร้อยละ", "94.73", "45 / 50", not_met):
        assert figure in percent, percent
    for figure in ("≤ 2,300 ตันต่อวัน", "2,250", "102.22", "100 / 100"):
        assert figure in waste, waste
    assert f"  {met}  " in waste and not_met not in waste


def test_summary_json_gives_the_kpis_met_and_the_mean_scores(agency: Path) -> None:
    summary = _json("summary")
    [group] = summary["groups"]
    for totals in (group, summary["total"]):
        assert (totals["kpis"], totals["kpis_met"], totals["kpis_not_met"]) == (2, 1, 1)
        assert (totals["project_score_mean"], totals["kpi_score_mean"]) == (87.5, 95)


@pytest.mark.parametrize("lang", ["th", "en"])
def test_summary_table_prints_the_kpi_counts_and_mean_scores(
    agency: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    if lang == "th":
        _thai(monkeypatch)
    out = _ok("summary", "--as-of", AS_OF, "--wide", *(["--lang", "en"] if lang == "en" else []))
    header, _, row, total = out.splitlines()
    assert ("ตัวชี้วัด" in header and "คะแนนตัวชี้วัด %" in header) if lang == "th" else "KPI score %" in header
    for line in (row, total):
        assert re.search(r"\b2\s+1\s+1\s+87\.50\s+95\.00\s*$", line), line
        for figure in ("1,300,000.00", "1,060,000.00", "81.54", "92.31"):
            assert figure in line


@pytest.mark.parametrize("lang", ["th", "en"])
def test_show_prints_a_kpi_as_the_mykpi_page(
    agency: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    if lang == "th":
        _thai(monkeypatch)
    lang_args = ["--lang", "en"] if lang == "en" else []
    percent = _ok("show", PERCENT_KPI, "--as-of", AS_OF, *lang_args).splitlines()
    for line in (
        f"ความสำเร็จของการเบิกจ่ายงบประมาณในภาพรวม : {PERCENT_KPI}",
        "ค่าเป้าหมาย ร้อยละ : 100",
        "ผลงานที่ทำได้ ร้อยละ : 94.73",
        "ไตรมาสที่ 4\t94.73\t45 / 50",
        "*** สยป. ตรวจประเมินตัวชี้วัด : ไตรมาสที่ 4: 45",
        "10/01/2565 : รายงานผลไตรมาส 1",
    ):
        assert line in percent, (line, percent)
    assert [line.split("\t")[2] for line in percent if line.startswith("ไตรมาสที่ ")] == [
        "100 / 100", "100 / 100", "90 / 100", "45 / 50",
    ]  # fmt: skip
    waste = _ok("show", WASTE_KPI, "--as-of", AS_OF, *lang_args)
    assert f"ปริมาณมูลฝอยที่เก็บขนได้ 2,419.97 ตันต่อวัน : {WASTE_KPI}" in waste
    assert "ค่าเป้าหมาย ตันต่อวัน : 2,300" in waste and "ผลงานที่ทำได้ ตันต่อวัน : 2,250" in waste
    assert "ตัวชี้วัดเชิงยุทธศาสตร์" in waste and "*** สยป. ตรวจประเมินตัวชี้วัด : ไตรมาสที่ 4: 100" in waste


def test_show_prints_the_projects_budget_after_transfers_and_evaluation(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _thai(monkeypatch)
    form = _ok("show", NEW, "--as-of", AS_OF).splitlines()
    # the budget given (1,000,000), the budget after the transfer (800,000), used 760,000
    for line in (
        "งบประมาณที่ได้รับ : 1,000,000 บาท",
        "งบประมาณที่ใช้ไป : 760,000 บาท",
        "งบประมาณหลังปรับโอน : 800,000 บาท",
        "สยป. ประเมินโครงการ : ไตรมาสที่ 4 95.0000",
    ):
        assert line in form, (line, form)
    migrated = _ok("show", MIGRATED, "--as-of", AS_OF)
    assert "สยป. ประเมินโครงการ : ไตรมาสที่ 4 40.0000" in migrated and "หลังปรับโอน" not in migrated


# --- the site -----------------------------------------------------------------------------------


def _site(monkeypatch: pytest.MonkeyPatch, lang: str) -> Path:
    if lang == "th":
        _thai(monkeypatch)
    _ok("site", "--as-of", AS_OF, "--output", "public", *(["--lang", "en"] if lang == "en" else []))
    return Path("public")


@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_site_shows_the_projects_figures(
    agency: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    site = _site(monkeypatch, lang)
    overview = _page_text(site / "index.html")
    for figure in ("1,300,000.00", "1,060,000.00", "81.54"):
        assert figure in overview
    agency_page = _page_text(site / "agencies" / "50100000.html")
    assert "81.54" in agency_page
    project = _page_text(site / "projects" / f"{NEW}.html")
    for figure in ("800,000.00", "760,000.00", "95.00"):
        assert figure in project


@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_site_shows_the_kpi_figures(agency: Path, monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    site = _site(monkeypatch, lang)
    met, not_met = ("บรรลุค่าเป้าหมาย", "ไม่บรรลุค่าเป้าหมาย") if lang == "th" else ("met", "not met")
    for page in (site / "index.html", site / "agencies" / "50100000.html"):
        text = _page_text(page)
        # the fiscal year's line: 2 KPIs, 1 met, 1 not met, 0 without a result, means 95 and 87.5
        assert re.search(r"2565 2 1 1 0 95\.00 87\.50", text), page
        percent = text[text.index(PERCENT_KPI) :]
        assert re.match(rf"{PERCENT_KPI} ความสำเร็จ\S* .*?94\.73 .*?94\.73 {not_met} 45 / 50", percent), (
            percent[:200]
        )
        waste = text[text.index(WASTE_KPI) :]
        assert re.match(rf"{WASTE_KPI} ปริมาณ\S* .*?102\.22 {met} 100 / 100", waste), waste[:200]
    percent_page = _page_text(site / "kpis" / f"{PERCENT_KPI}.html")
    for figure in ("94.73", "45 / 50", not_met, NEW):
        assert figure in percent_page
    waste_page = _page_text(site / "kpis" / f"{WASTE_KPI}.html")
    for figure in ("102.22", "100 / 100", "2,419.97", MIGRATED):
        assert figure in waste_page
    assert f" {met} " in waste_page


def _figures(page: Path) -> dict[str, list[str]]:
    """The text of each ``data-figure`` cell of a page, by its name, in page order."""
    found: dict[str, list[str]] = {}
    for name, text in re.findall(r'data-figure="([a-z_]+)">([^<]*)<', page.read_text("utf-8")):
        found.setdefault(name, []).append(html.unescape(text).strip())
    return found


@pytest.mark.parametrize("lang", ["th", "en"])
def test_each_kpi_figure_prints_the_same_in_status_show_and_the_site(
    agency: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    """One figure, one string: 2,300 / 2,250 / 2,419.97 / 94.73 / 100 / 100, wherever printed."""
    lang_args = ["--lang", "en"] if lang == "en" else []
    site = _site(monkeypatch, lang)
    status = _ok("status", "--as-of", AS_OF, "--wide", "--kind", "kpi", *lang_args)
    for code, target, results, percent, scores in (
        (WASTE_KPI, "2,300", ["2,400", "2,350", "2,320", "2,250"], "102.22",
         ["80 / 100", "85 / 100", "90 / 100", "100 / 100"]),
        (PERCENT_KPI, "100", ["20", "45", "70", "94.73"], "94.73",
         ["100 / 100", "100 / 100", "90 / 100", "45 / 50"]),
    ):  # fmt: skip
        show = _ok("show", code, "--as-of", AS_OF, *lang_args).splitlines()
        line = next(line for line in status.splitlines() if line.startswith(code))
        page = _figures(site / "kpis" / f"{code}.html")
        # the target
        assert f"ค่าเป้าหมาย {'ตันต่อวัน' if code == WASTE_KPI else 'ร้อยละ'} : {target}" in show
        assert re.search(rf"(≤ )?{re.escape(target)} ", line) and page["target"] == [target]
        # the latest result, and each quarter's
        assert f"{'ผลงานที่ทำได้'} {'ตันต่อวัน' if code == WASTE_KPI else 'ร้อยละ'} : {results[-1]}" in show
        assert f" {results[-1]} (" in line and page["achieved"][0].startswith(f"{results[-1]} (")
        assert page["result"] == results
        assert [row.split("\t")[1:] for row in show if row.startswith("ไตรมาสที่ ")] == [
            [r, s] for r, s in zip(results, scores, strict=True)
        ]
        # % of target, and the evaluations
        assert f" {percent} " in line and page["percent_of_target"] == [percent]
        assert page["evaluation"] == scores and page["latest_score"][0].startswith(f"{scores[-1]} (")
        assert line.rstrip().endswith(f" {scores[-1]}")
        assert not re.search(r"\d\.0\b", line + "\n".join(show)), (line, show)
        for text in (
            *page["target"],
            *page["achieved"],
            *page["result"],
            *page["latest_score"],
            *page["evaluation"],
        ):
            assert not re.search(r"\d\.0\b|\d{4}", text), text  # no 2250.0, no 2300 ungrouped
    waste_show = _ok("show", WASTE_KPI, "--as-of", AS_OF, *lang_args)
    assert "2,419.97 ตันต่อวัน" in waste_show
    assert "2,419.97 ตันต่อวัน" in _page_text(site / "kpis" / f"{WASTE_KPI}.html")
    # the KPI tables of the overview and the agency page print them as status does
    for table_page in (site / "index.html", site / "agencies" / "50100000.html"):
        text = _page_text(table_page)
        waste = text[text.index(WASTE_KPI) :]
        assert re.match(rf"{WASTE_KPI} ปริมาณ\S* .*?≤ 2,300 ตันต่อวัน 2,250 \(", waste), waste[:200]
        percent_row = text[text.index(PERCENT_KPI) :]
        assert re.match(rf"{PERCENT_KPI} ความสำเร็จ\S* .*?100 ร้อยละ 94\.73 \(", percent_row), percent_row[:200]


# --- the other clauses of "Done when" -----------------------------------------------------------

# "a format-2 record given to a build of projledger that reads only format 1 gets the clear
# format message": tests/test_kinds.py::
# test_a_build_reading_only_format_1_answers_format_2_with_the_format_message.
#
# "migrate on the shipped record changes exactly the lines it must (the test holds the diff), a
# second run changes nothing, and validate, status and show give the same results before and
# after": tests/test_migrate.py (test_the_spec_record_migrates_with_exactly_the_expected_diff,
# test_the_shipped_record_keeps_its_schema_line, test_a_second_run_changes_nothing_and_says_so,
# test_validate_status_and_show_give_the_same_results_before_and_after).
#
# "A KPI page text in the fixtures imports to the record the test expects; an ambiguous date is
# refused with its line": tests/test_kpi_import.py (test_import_writes_the_expected_kpi_records,
# test_the_ambiguous_date_is_refused_by_the_command_with_its_line); the import into a repository
# where the KPI is linked to its project is below.

BUDGET_PAGE = DATA / "legacy" / "kpi_5026-2001.txt"
BUDGET_ARGS = ("--fiscal-year", "2564", "--evaluation-date", "1=20/01/2564",
               "--evaluation-date", "2=2021-04-20", "--evaluation-date", "4=20/10/2564")  # fmt: skip


def test_an_imported_kpi_page_validates_beside_its_linked_project(repo: Path) -> None:
    """The KPI registered with its project by ``new``, its page imported over it: the link is kept,
    the record is the page's, and the repository validates; without the project it does not."""
    _ok(
        "new", "--kind", "kpi", "5026-2001", "--name", "ความสำเร็จของการเบิกจ่ายงบประมาณในภาพรวม",
        "--fiscal-year", "2564", "--department", "สำนักงบประมาณกรุงเทพมหานคร", "--unit", "ร้อยละ",
        "--target", "100", "--project", "01000000-2475",
    )  # fmt: skip
    imported = run("import", str(BUDGET_PAGE), *BUDGET_ARGS, "--force")
    assert imported.exit_code == 0, imported.stderr
    assert "kept from the record what the page cannot show: projects" in imported.stderr
    record = repo / "records" / "2564" / "kpi" / "5026-2001.toml"
    data = tomllib.loads(record.read_text("utf-8"))
    expected = tomllib.loads((DATA / "legacy" / "kpi_5026-2001.expected.toml").read_text("utf-8"))
    assert data == {**expected, "projects": ["01000000-2475"]}
    report = json.loads(_ok("validate", "--format", "json"))
    assert (report["files"], report["errors"]) == (2, 0), report
    assert {finding["rule"] for finding in report["findings"]} == {"progress-dip"}  # the shipped record's
    (repo / "records" / "2565" / SHIPPED.name).unlink()
    unlinked = run("validate", "--format", "json")
    assert unlinked.exit_code == 1
    [finding] = json.loads(unlinked.stdout)["findings"]
    assert (finding["rule"], finding["path"]) == (KPI_PROJECT_LINK, "records/2564/kpi/5026-2001.toml")


# "Every new rule has a data file with its expected finding": tests/test_rules.py checks that
# every rule id is triggered by some file; this holds it per kind: a rule that format 2 brought
# (absent from format 1's project) is triggered by a record of each kind that has it.


def _rule_files_by_kind() -> dict[object, set[str]]:
    found: dict[object, set[str]] = {}
    for source in RULE_FILES:
        text = source.read_text("utf-8")
        try:
            key = kind_key(tomllib.loads(text))
        except tomllib.TOMLDecodeError:
            key = None
        found.setdefault(key, set()).update(rule for _, rule, _, _ in _expected(_meta(text)))
    return found


@pytest.mark.parametrize("key", sorted(KINDS), ids=lambda key: f"{key[0]}-{key[1]}")
def test_every_rule_of_every_kind_has_a_data_file_of_its_kind(key: tuple[int, str]) -> None:
    by_kind = _rule_files_by_kind()
    anywhere = set().union(*by_kind.values())
    format_1 = {rule.id for rule in KINDS[(1, "project")].rules}
    ids = [rule.id for rule in KINDS[key].rules]
    assert ids, key
    assert [rule for rule in ids if rule not in anywhere] == []
    assert [rule for rule in ids if rule not in format_1 and rule not in by_kind.get(key, set())] == []


def test_the_portfolio_rule_has_its_own_tests() -> None:
    """``kpi-project-link`` reads other records, so it is no rule of a kind and no single data file
    can hold it: tests/test_format2_rules.py and the import test above trigger it."""
    assert all(rule.id != KPI_PROJECT_LINK for kind in KINDS.values() for rule in kind.rules)
    text = (Path(__file__).parent / "test_format2_rules.py").read_text("utf-8")
    assert "kpi-project-link" in text
