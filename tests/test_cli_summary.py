"""``projledger summary`` end to end: hand-worked JSON, golden tables, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from wcwidth import wcswidth

import portfolio
from conftest import run

AS_OF = "--as-of=2022-03-31"
WIDE = {"COLUMNS": "120"}


@pytest.fixture
def pf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    portfolio.build(tmp_path)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def _json(*args: str) -> dict[str, Any]:
    result = run("summary", AS_OF, *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def test_json_by_agency_worked_by_hand(pf: Path) -> None:
    data = _json()
    assert (data["version"], data["as_of"], data["by"]) == (1, "2022-03-31", ["agency"])
    assert data["agencies"]["18000000"] == "สำนักการวางผังและพัฒนาเมือง"
    assert [g["key"] for g in data["groups"]] == [
        {"agency": "01000000"}, {"agency": "18000000"}, {"agency": "50010000"}, {"agency": "50020000"},
    ]  # fmt: skip
    # 50020000: P4 (active, on plan, overdue, 1.2M, 120,000 spent, 10 %) and P10 (not started, 2M).
    # Disbursed 120,000 / 3,200,000 = 3.75 %; progress (1.2M × 10) / 3.2M = 3.75 %.
    assert data["groups"][3] == {
        "key": {"agency": "50020000"},
        "projects": 2,
        "states": {"not_started": 1, "active": 1, "completed": 0, "cancelled": 0},
        "plan_statuses": {"on_plan": 1, "watch": 0, "behind": 0, "none": 1},
        "overdue": 1,
        "budget": 3200000,
        "disbursed": 120000,
        "disbursement_rate": 3.75,
        "progress": 3.75,
        # format 2's keys: no KPI and no evaluation among format-1 records
        "kpis": 0,
        "kpis_met": 0,
        "kpis_not_met": 0,
        "project_score_mean": None,
        "kpi_score_mean": None,
    }
    # 50010000: P3 (behind, 500,000, 50,000 spent, 20 %) and P7 (cancelled, 600,000, 60,000, 10 %).
    # 110,000 / 1,100,000 = 10 %; (0.5M × 20 + 0.6M × 10) / 1.1M = 16M / 1.1M = 14.545… → 14.55.
    group = data["groups"][2]
    assert (group["disbursement_rate"], group["progress"]) == (10, 14.55)
    assert group["states"]["cancelled"] == 1 and group["plan_statuses"]["behind"] == 1
    assert data["total"] == {
        "projects": 10,
        "states": {"not_started": 2, "active": 6, "completed": 1, "cancelled": 1},
        # completed P6 and cancelled P7 count under their state, not as on plan / watch
        "plan_statuses": {"on_plan": 3, "watch": 2, "behind": 1, "none": 2},
        "overdue": 1,
        "budget": 9400000,
        "disbursed": 2830000,
        "disbursement_rate": 30.11,  # 2,830,000 / 9,400,000
        "progress": 40.74,  # 383,000,000 / 9,400,000
        "kpis": 0,
        "kpis_met": 0,
        "kpis_not_met": 0,
        "project_score_mean": None,
        "kpi_score_mean": None,
    }


def test_json_by_quarter_worked_by_hand(pf: Path) -> None:
    data = _json("--by", "quarter", "--fiscal-year", "2565")
    assert [(g["key"]["fiscal_year"], g["key"]["quarter"]) for g in data["groups"]] == [
        (2565, 1), (2565, 2), (2565, 3), (2565, 4),
    ]  # fmt: skip
    q1, q2, q3, _ = data["groups"]
    # By 2021-12-31: P2 200,000 + P4 120,000 + P6 500,000 + P7 60,000 + P9 500,000 = 1,380,000 of 7.4M.
    assert q1 == {
        "key": {"fiscal_year": 2565, "quarter": 1},
        "quarter_end": "2021-12-31",
        "projects": 9,
        "budget": 7400000,
        "disbursed": 1380000,
        "disbursement_rate": 18.65,
        "disbursement_target": 32,
        "disbursement_gap": -13.35,
    }
    assert (q2["disbursed"], q2["disbursement_rate"], q2["disbursement_target"]) == (2830000, 38.24, 54)
    assert (q3["disbursed"], q3["disbursement_rate"], q3["disbursement_gap"]) == (None, None, None)


def test_nested_and_filtered(pf: Path) -> None:
    data = _json("--by", "fiscal-year", "--by", "state", "--agency", "50")
    keys = [g["key"] for g in data["groups"]]
    assert keys == [
        {"fiscal_year": 2565, "state": "active"},
        {"fiscal_year": 2565, "state": "cancelled"},
        {"fiscal_year": 2566, "state": "not_started"},
    ]
    assert data["total"]["projects"] == 4
    assert data["by"] == ["fiscal_year", "state"]


def test_json_by_is_spelled_as_the_group_keys(pf: Path) -> None:
    """`by` names the dimensions as the keys of each group do (the machine spelling, `_`), not as
    the option is typed: a program reads `group["key"][name]` for each name of `by`."""
    for dims in (["plan-status"], ["fiscal-year", "plan-status"], ["agency", "quarter"]):
        data = _json(*[part for dim in dims for part in ("--by", dim)])
        assert data["by"] == [dim.replace("-", "_") for dim in dims]
        assert all(set(data["by"]) <= set(group["key"]) for group in data["groups"]), data["groups"][0]


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("summary-agency-th.txt", ()),
        ("summary-fy-plan-en.txt", ("--by", "fiscal-year", "--by", "plan-status", "--lang", "en")),
        ("summary-quarter-th.txt", ("--by", "quarter")),
        ("summary-strategy-en.md", ("--by", "strategy", "--lang", "en", "--format", "markdown")),
    ],
)
def test_golden_tables(pf: Path, name: str, args: tuple[str, ...]) -> None:
    """Every column (--wide), names cut toward 120 columns."""
    result = run("summary", AS_OF, *args, "--wide", env=WIDE)
    assert result.exit_code == 0, result.stderr
    portfolio.assert_golden(name, result.stdout)


def test_thai_rows_have_equal_display_width(pf: Path) -> None:
    for args in ((), ("--by", "agency", "--by", "quarter"), ("--by", "strategy", "--by", "plan-status")):
        result = run("summary", AS_OF, *args, env=WIDE)
        assert len({wcswidth(line) for line in result.stdout.splitlines()}) == 1, args


def test_csv(pf: Path) -> None:
    lines = run("summary", AS_OF, "--by", "state", "--format", "csv").stdout.splitlines()
    assert lines[0] == (
        "row,state,projects,not_started,active,completed,cancelled,on_plan,watch,behind,none,overdue,"
        "budget,disbursed,disbursement_rate,progress,kpis,kpis_met,kpis_not_met,project_score_mean,kpi_score_mean"
    )
    assert lines[1] == "group,not_started,2,2,0,0,0,0,0,0,2,0,2300000.00,0.00,0.00,0.00,0,0,0,,"
    assert lines[-1] == "total,,10,2,6,1,1,3,2,1,2,1,9400000.00,2830000.00,30.11,40.74,0,0,0,,"


def test_a_filter_that_keeps_nothing_keeps_the_columns(pf: Path) -> None:
    """The header of a CSV (and the key columns and the total's label of a table or sheet) are
    those of --by, whether or not a group was kept: a script reading the CSV by its columns, or
    a reviewer reading an empty table, sees the same layout."""
    csv = run("summary", AS_OF, "--fiscal-year", "2570", "--by", "state", "--format", "csv").stdout
    assert csv.splitlines()[0].startswith("row,state,projects,")
    assert csv.splitlines()[1] == "total,,0,0,0,0,0,0,0,0,0,0,0.00,0.00,,,0,0,0,,"
    quarters = run(
        "summary", AS_OF, "--fiscal-year", "2570", "--by", "agency", "--by", "quarter", "--format", "csv"
    )
    assert quarters.stdout.splitlines()[0].startswith("row,agency,fiscal_year,quarter,quarter_end,")
    table = run("--lang", "en", "summary", AS_OF, "--fiscal-year", "2570", env=WIDE).stdout.splitlines()
    assert table[0].startswith("agency ") and table[-1].startswith("total ")


def test_quarter_must_come_last(pf: Path) -> None:
    result = run("summary", "--by", "quarter", "--by", "agency")
    assert result.exit_code == 2 and result.stdout == ""  # a usage error (issue 16.5)
    assert result.stderr == (
        "projledger: --by: --by quarter splits the groups into quarters: give it last "
        "(see 'projledger summary --help')\n"
    )


def test_a_missing_path_is_refused_as_status_refuses_it(pf: Path) -> None:
    """Both reading commands say a missing path the same way: one line, exit 1, nothing printed."""
    for command in ("summary", "status"):
        result = run(command, "nosuch/")
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr == "projledger: no record file or folder at nosuch/\n"


def test_skipped_records_are_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    portfolio.build(tmp_path, with_invalid=True)
    monkeypatch.chdir(tmp_path)
    result = run("summary", AS_OF, "--format", "json")
    assert json.loads(result.stdout)["total"]["projects"] == 10
    assert "1 record skipped (not valid): run projledger validate" in result.stderr


def test_shipped_record(repo: Path) -> None:
    data = _json("--by", "quarter")
    q1, q2, q3, q4 = (g["disbursed"] for g in data["groups"])
    assert (q1, q2, q3, q4) == (0, 0, None, None)
    assert data["total"]["states"]["active"] == 1


def test_help_has_an_example() -> None:
    result = run("summary", "--help")
    assert "Example:" in result.stdout and "--by" in result.stdout


def test_summary_agrees_with_status(pf: Path) -> None:
    projects = json.loads(run("status", AS_OF, "--format", "json").stdout)["projects"]
    total = _json()["total"]
    assert total["projects"] == len(projects)
    assert total["budget"] == sum(p["budget"] for p in projects)
    assert total["disbursed"] == sum(p["disbursed"] for p in projects)
    assert total["overdue"] == sum(1 for p in projects if p["overdue"])
    for state, count in total["states"].items():
        assert count == sum(1 for p in projects if p["state"] == state)
