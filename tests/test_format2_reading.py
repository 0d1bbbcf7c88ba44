"""Format 2 as the reading commands meet it (issue 20): the budget in force on a day, the facts
the index keeps of a format-2 project and of a KPI (and the records made back from them), and a
repository holding KPIs beside projects: the listings of projects (status --kind project,
summary's project figures, site, the sheet) are what they are without them, and nothing is
counted skipped (the KPI views: tests/test_kpi_reading.py)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from projledger.core.check import check_file
from projledger.core.config import load_config
from projledger.core.kinds import kind_of, kind_of_record
from projledger.core.kpi import Kpi, kpi_facts, kpi_from_facts
from projledger.core.portfolio import project_facts, project_from_facts, quarter_points
from projledger.core.record import BudgetRevision, Project
from projledger.core.status import budget_on, compute_status

from conftest import DATA, SHIPPED, run

FORMAT2 = DATA / "format2"
PROJECT_2 = FORMAT2 / "01000000-2475.toml"
KPI = FORMAT2 / "kpi" / "5026-2001.toml"
AS_OF = date(2022, 10, 31)


def _read(path: Path) -> object:
    result = check_file(path, load_config(DATA), AS_OF)
    assert result.ok, [f.one_line() for f in result.findings]
    return result.record


def test_the_examples_read_as_their_kinds() -> None:
    project, kpi = _read(PROJECT_2), _read(KPI)
    assert isinstance(project, Project) and project.format == 2 and project.kind == "project"
    assert [(e.quarter, e.score, e.full_score, e.evaluator) for e in project.evaluations] == [
        (1, Decimal("100.0000"), Decimal(100), "สยป."), (2, Decimal("95.5000"), Decimal(100), "สยป."),
    ]  # fmt: skip
    assert [(r.date, r.budget, r.field) for r in project.budget_revisions] == [
        (date(2022, 3, 15), Decimal("3200000.00"), "budget_revisions[1]")
    ]
    assert kind_of_record(project) is kind_of((2, "project"))
    assert isinstance(kpi, Kpi) and kpi.projects == ("01000000-2475",) and kpi.kind == "kpi"
    assert kind_of_record(kpi) is kind_of((2, "kpi"))
    assert max(kpi.results, key=lambda r: r.quarter).value == Decimal("45.5")
    assert kpi.percent_of_target(Decimal("45.5")) == Decimal("45.5") and not kpi.met(Decimal("45.5"))
    shipped = _read(SHIPPED)
    assert isinstance(shipped, Project) and shipped.format == 1
    assert (shipped.evaluations, shipped.budget_revisions) == ((), ())
    assert kind_of_record(shipped) is kind_of((1, "project"))


def test_a_lower_is_better_kpi_reads_its_percent_the_other_way() -> None:
    kpi = _read(KPI)
    assert isinstance(kpi, Kpi)
    waste = replace(kpi, direction="lower", target=Decimal(2000))
    assert waste.percent_of_target(Decimal(2500)) == Decimal(80) and not waste.met(Decimal(2500))
    assert waste.met(Decimal(1900)) and waste.percent_of_target(Decimal(0)) is None
    assert replace(kpi, target=Decimal(0)).percent_of_target(Decimal(5)) is None


def test_the_budget_in_force_is_the_latest_revision_on_or_before_the_day() -> None:
    project = _read(PROJECT_2)
    assert isinstance(project, Project)
    assert budget_on(project, date(2022, 3, 14)) == Decimal("3540000.0")
    assert budget_on(project, date(2022, 3, 15)) == Decimal("3200000.00")
    later = BudgetRevision(2, date(2022, 6, 1), Decimal("3000000.00"), "ครั้งที่ 2")
    twice = replace(project, budget_revisions=(*project.budget_revisions, later))
    assert budget_on(twice, date(2022, 5, 31)) == Decimal("3200000.00")
    assert budget_on(twice, date(2022, 6, 1)) == Decimal("3000000.00")
    # the rate of status and of the quarterly chart use it: half of the revised budget disbursed
    half = replace(twice, reports=tuple(replace(r, disbursed=Decimal("1500000.00")) for r in twice.reports))
    config = load_config(DATA)
    status = compute_status(half, AS_OF, config)
    assert (status.budget, status.disbursement_rate) == (Decimal("3000000.00"), Decimal(50))
    rates = [point.rate for point in quarter_points(half, AS_OF, config)]
    assert rates[1] == Decimal("1500000.00") * 100 / Decimal("3200000.00")  # Q2 ends 31 March
    assert rates[3] == Decimal(50)


def test_the_index_keeps_facts_of_both_kinds_and_makes_the_records_back() -> None:
    project, kpi = _read(PROJECT_2), _read(KPI)
    assert isinstance(project, Project) and isinstance(kpi, Kpi)
    facts = json.loads(json.dumps(project_facts(project)))
    assert "kind" not in facts and facts["format"] == 2  # a project's facts name no kind
    back = project_from_facts(facts)
    assert back.format == 2 and back.budget_revisions[0].budget == Decimal("3200000.00")
    assert [(e.quarter, e.score, e.date) for e in back.evaluations] == [
        (e.quarter, e.score, e.date) for e in project.evaluations
    ]
    assert budget_on(back, AS_OF) == budget_on(project, AS_OF)
    kept = json.loads(json.dumps(kpi_facts(kpi)))
    assert kept["kind"] == "kpi"
    assert kpi_from_facts(kept) == kpi  # the whole KPI: the export's tables read its texts from the facts
    assert back.budget_revisions == project.budget_revisions and back.evaluations == project.evaluations
    shipped = _read(SHIPPED)
    assert isinstance(shipped, Project)
    assert "format" not in project_facts(shipped)  # format 1 facts as they were


def _outputs(root: Path) -> dict[str, str]:
    as_of = ["--as-of", AS_OF.isoformat()]
    site = root / "site-out"
    shutil.rmtree(site, ignore_errors=True)
    summary = json.loads(run("summary", *as_of, "--format", "json").stdout)
    for totals in (*summary["groups"], summary["total"]):  # the projects' figures
        for key in ("kpis", "kpis_met", "kpis_not_met", "kpi_score_mean"):
            del totals[key]
    outputs = {
        "status": run("status", *as_of, "--kind", "project").stdout,
        "status-json": run("status", *as_of, "--kind", "project", "--format", "json").stdout,
        "summary": json.dumps(summary),
        "summary-quarter": run("summary", *as_of, "--by", "quarter", "--format", "csv").stdout,
        "status-stderr": run("status", *as_of).stderr,
    }
    assert run("site", "--output", str(site), *as_of).exit_code == 0
    outputs["site-data"] = (site / "data.json").read_text("utf-8")
    outputs["site-csv"] = (site / "data.csv").read_text("utf-8")
    return outputs


@pytest.mark.parametrize("cache", ["cache", "no-cache"])
def test_kpis_in_the_repository_leave_the_project_listings_as_they_were(
    repo: Path, cache: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if cache == "no-cache":
        monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")
    before = _outputs(repo)
    folder = repo / "records" / "2565" / "kpi"
    folder.mkdir()
    shutil.copy(KPI, folder / KPI.name)
    after = _outputs(repo)
    for name in before:
        assert after[name] == before[name], name
    assert "skipped" not in after["status-stderr"] and "ข้าม" not in after["status-stderr"]
    validated = run("--lang", "en", "validate")
    assert validated.stdout.splitlines()[-1].startswith("2 files checked"), validated.stdout
    assert "5026-2001" not in validated.stdout  # the KPI is clean


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_site_pairs_each_row_with_its_own_file_when_a_kpi_comes_first(
    repo: Path, jobs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A KPI gives no row and no skip: the site once paired rows with files by their place in
    the scan, so a KPI scanned before a project made that project 'not a project record' (and,
    on worker processes, hung the build)."""
    monkeypatch.setenv("PROJLEDGER_JOBS", jobs)
    earlier = repo / "records" / "2564" / "kpi"
    earlier.mkdir(parents=True)
    shutil.copy(KPI, earlier / KPI.name)  # scanned before records/2565/ (a folder-year warning only)
    site = repo / "site"
    built = run("--lang", "en", "site", "--output", str(site), "--as-of", "2022-10-31")
    assert built.exit_code == 0, built.stderr
    assert (site / "projects" / "01000000-2475.html").is_file()
    assert "01000000-2475" in (site / "data.json").read_text("utf-8")
