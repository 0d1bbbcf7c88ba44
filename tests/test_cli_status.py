"""``projledger status`` end to end: hand-worked JSON, golden tables, the shipped record."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from wcwidth import wcswidth

import portfolio
from conftest import PROJECT_ROOT, run

AS_OF = "--as-of=2022-03-31"
WIDE = {"COLUMNS": "120"}


@pytest.fixture
def pf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    portfolio.build(tmp_path)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


def _json(*args: str) -> dict:  # type: ignore[type-arg]
    result = run("status", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_json_of_the_portfolio_worked_by_hand(pf: Path) -> None:
    data = _json(AS_OF)
    assert data["version"] == 1 and data["as_of"] == "2022-03-31"
    projects = {p["code"]: p for p in data["projects"]}
    assert len(projects) == 10
    # The worst first: behind, then watch (by code), then overdue, then the rest by code; the
    # cancelled P7 is no longer judged (its computed plan status is its state): among the rest.
    assert [p["code"] for p in data["projects"]][:4] == [
        "50010000-0003", "18000000-0002", "18000000-0009", "50020000-0004",
    ]  # fmt: skip
    assert projects["50010000-0007"]["computed_plan_status"] == "cancelled"
    assert projects["18000000-0006"]["computed_plan_status"] == "completed"
    # P2, plan-based: reported 2022-03-31 (month 6, plan 50) at 45 → −5 within 10 points: watch.
    assert projects["18000000-0002"] == {
        "code": "18000000-0002",
        "name": "โครงการปรับปรุงผังเมืองรวมกรุงเทพมหานคร",
        "agency_code": "18000000",
        "department": "สำนักการวางผังและพัฒนาเมือง",
        "fiscal_year": 2565,
        "strategy_issue": "มหานครปลอดภัย",
        "path": "records/2565/18000000-0002.toml",
        "start": "2021-10-01",
        "end": "2022-09-30",
        "state": "active",
        "latest_no": 6,
        "latest_date": "2022-03-31",
        "progress": 45,
        "expected": 50,
        "variance": -5,
        "plan_status": "watch",
        "computed_plan_status": "watch",
        "target_status": "on_target",
        "disbursed": 500000,
        "budget": 2000000,
        "disbursement_rate": 25,  # 500,000 / 2,000,000
        "disbursement_target": 54,  # end of Q2 of FY 2565
        "disbursement_gap": -29,
        "disbursed_by_quarter": [200000, 500000, None, None],
        "due": 5,  # October to February
        "filed": 6,
        "overdue": 0,
        "late": False,
        "budget_in_force": 2000000,  # a format-1 record: its budget
        "latest_score": None,
        "latest_full_score": None,
    }
    assert data["kpis"] == []  # the default json: projects as before, and the KPIs
    # P4, linear 364 days: day 30 → 30/364 = 8.2417 %; 10 − 8.2417 = +1.76; 5 due, 1 filed.
    p4 = projects["50020000-0004"]
    assert (p4["expected"], p4["variance"], p4["overdue"]) == (8.24, 1.76, 4)
    # P8, zero budget: no rate, no gap, never a division by zero.
    p8 = projects["01000000-0008"]
    assert (p8["budget"], p8["disbursement_rate"], p8["disbursement_gap"]) == (0, None, None)
    # P9 ended 2022-02-28 and is still active: late.
    assert projects["18000000-0009"]["late"] is True
    # P10 belongs to FY 2566, which had not begun: no target yet.
    p10 = projects["50020000-0010"]
    assert (p10["state"], p10["disbursement_target"], p10["latest_no"], p10["expected"]) == (
        "not_started", None, None, None,
    )  # fmt: skip


def test_filters_and_sort(pf: Path) -> None:
    codes = [p["code"] for p in _json(AS_OF, "--agency", "18", "--sort", "code")["projects"]]
    assert codes == ["18000000-0002", "18000000-0006", "18000000-0009"]
    codes = [p["code"] for p in _json(AS_OF, "--agency", "เขตป้อมปราบ", "--state", "active")["projects"]]
    assert codes == ["50020000-0004"]
    codes = [p["code"] for p in _json(AS_OF, "--plan-status", "behind", "--plan-status", "none")["projects"]]
    assert codes == ["50010000-0003", "01000000-0005", "50020000-0010"]
    assert [p["code"] for p in _json(AS_OF, "--fiscal-year", "2566")["projects"]] == ["50020000-0010"]


def test_codes_paths_and_folders(pf: Path) -> None:
    codes = [p["code"] for p in _json(AS_OF, "01000000-0001", "records/2566", "--sort", "code")["projects"]]
    assert codes == ["01000000-0001", "50020000-0010"]
    result = run("status", "01000000-9999")
    assert result.exit_code == 1 and "no record for project 01000000-9999" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("status-th.txt", ()),
        ("status-en.txt", ("--lang", "en")),
        ("status-en.md", ("--lang", "en", "--format", "markdown")),
        ("status-detail-th.txt", ("18000000-0002",)),
        ("status-detail-en.txt", ("50020000-0004", "--lang", "en")),
    ],
)
def test_golden_tables(pf: Path, name: str, args: tuple[str, ...]) -> None:
    """Every column (--wide), names cut toward 120 columns."""
    result = run("status", AS_OF, *args, "--wide", env=WIDE)
    assert result.exit_code == 0, result.stderr
    portfolio.assert_golden(name, result.stdout)


def test_csv(pf: Path) -> None:
    result = run("status", AS_OF, "--format", "csv", "--sort", "code")
    lines = result.stdout.splitlines()
    assert len(lines) == 11
    assert lines[0].split(",")[:3] == ["code", "name", "agency_code"]
    assert lines[1].startswith("01000000-0001,โครงการพัฒนาระบบสารสนเทศเพื่อการบริหารงานสภา,01000000,")
    assert ",90.00,89.00,1.00,on_plan,on_plan,on_target,400000.00,1000000.00,40.00,54.00,-14.00," in lines[1]


def test_thai_rows_have_equal_display_width(pf: Path) -> None:
    for columns in ("120", "200", "60"):
        result = run("status", AS_OF, env={"COLUMNS": columns})
        widths = {wcswidth(line) for line in result.stdout.splitlines()}
        assert len(widths) == 1, (columns, widths)
    narrow = run("status", AS_OF, env={"COLUMNS": "60"}).stdout
    assert "…" in narrow  # names shortened, never the other columns


def test_invalid_records_are_skipped_and_counted_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    portfolio.build(tmp_path, with_invalid=True)
    monkeypatch.chdir(tmp_path)
    result = run("status", AS_OF, "--format", "json")
    assert result.exit_code == 0
    assert len(json.loads(result.stdout)["projects"]) == 10
    assert result.stderr.splitlines()[0] == "1 record skipped (not valid): run projledger validate"
    assert "records/2565/01000000-0099.toml" in result.stderr


def test_detail_of_an_invalid_record_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    portfolio.build(tmp_path, with_invalid=True)
    monkeypatch.chdir(tmp_path)
    result = run("status", "records/2565/01000000-0099.toml")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("projledger: records/2565/01000000-0099.toml:1: ")
    assert "run projledger validate" in result.stderr and len(result.stderr.splitlines()) == 1


def test_shipped_record_as_of_2022_03_31(repo: Path) -> None:
    data = _json("--as-of", "31/03/2565")
    (project,) = data["projects"]
    assert project["state"] == "active"
    assert (project["latest_no"], project["expected"], project["variance"]) == (6, 35.6, 14.4)
    assert (project["due"], project["filed"], project["overdue"]) == (5, 6, 0)
    table = run("status", "--as-of", "31/03/2565", "records", env=WIDE).stdout
    assert "กำลังดำเนินการ" in table and "35.60" in table and "+14.40" in table


def test_shipped_record_today_is_cancelled_with_nothing_overdue(repo: Path) -> None:
    (project,) = _json()["projects"]
    assert (project["state"], project["overdue"], project["late"]) == ("cancelled", 0, False)
    assert project["latest_no"] == 12
    table = run("status", "records", env=WIDE).stdout
    assert "ยกเลิกโครงการ" in table


def test_detail_view_of_the_shipped_record(repo: Path) -> None:
    result = run("status", "01000000-2475", "--as-of", "31/03/2565", env=WIDE)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "กำลังดำเนินการ" in out and "35.60" in out
    # The monthly chart: October 2564 to March 2565, actual then expected.
    assert "10/2564  ████ " in out and "03/2565  ████████████████████ " in out
    # The quarterly chart: Q2 reached (0 % against 54), Q3 not yet.
    assert "54.00" in out and "ยังไม่ถึง" in out
    # Only the reports known on the date: 6 of them.
    assert "23/03/2565" in out and "26/04/2565" not in out


def test_config_language_and_no_colour(pf: Path) -> None:
    (pf / "projledger.toml").write_text('language = "en"\n', "utf-8")
    out = run("status", AS_OF, env=WIDE).stdout
    assert "behind plan" in out and "ไม่เป็นไปตามแผน" not in out
    assert "\x1b[" not in out  # NO_COLOR is set by conftest, and stdout is not a terminal


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from projledger.commands import status as command

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    assert command.use_colour() is False  # NO_COLOR=1 from conftest
    monkeypatch.delenv("NO_COLOR")
    assert command.use_colour() is True
    assert command.paint("x", "behind") == "\x1b[31mx\x1b[0m"
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    assert command.use_colour() is False


def test_installed_command(pf: Path) -> None:
    exe = PROJECT_ROOT / ".venv" / "bin" / "projledger"
    done = subprocess.run(
        [exe, "status", AS_OF, "--format", "json"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["projects"]) == 10


def test_help_has_an_example() -> None:
    result = run("status", "--help")
    assert "Example:" in result.stdout and "--plan-status" in result.stdout


@pytest.mark.parametrize("command", [("status",), ("summary", "--by", "agency")])
def test_markdown_shows_record_text_as_typed_never_as_html(repo: Path, command: tuple[str, ...]) -> None:
    # a reviewer pastes it where Markdown is rendered: "<!--" in a name hid the rest of the
    # table there, "<img ...>" was an element; as entities they read as typed
    path = next((repo / "records").rglob("*.toml"))
    text = path.read_text("utf-8")
    text = text.replace('name = "', 'name = "<!-- a | b & <img src=x> ', 1)
    text = text.replace('department = "', 'department = "<!-- ', 1)
    path.write_text(text, "utf-8")
    result = run(*command, "--format", "markdown", "--as-of", "31/03/2565")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "<" not in result.stdout and ">" not in result.stdout, result.stdout
    assert "&lt;!--" in result.stdout
    assert len({line.replace("\\|", "").count("|") for line in lines if line.startswith("|")}) == 1
