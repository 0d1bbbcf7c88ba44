"""The day of a check is the day in the repository's time zone, on every machine (issue 17, point 11).

A report added at 05:43 in Bangkok was "after today" for a CI runner on UTC. Now "today" is
``now()`` (a UTC instant, the one read of the clock) seen in the config's ``timezone``
(Asia/Bangkok by default), whatever the machine's own zone (TZ).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from projledger.commands import options

from conftest import run

#: 22:43 UTC on the 23rd is 05:43 on the 24th in Bangkok.
INSTANT = datetime(2022, 3, 23, 22, 43, tzinfo=UTC)

RECORD = """\
format = 1
code = "50100000-0001"
name = "ปรับปรุงทางเท้า"
fiscal_year = 2565
start = 2022-03-01
end = 2022-09-30
budget = 1250000.00

[agency]
department = "สำนักงานเขตพระนคร"

[[reports]]
no = 1
date = {day}
progress = 10.0
disbursed = 0.00
plan_status = "on_plan"
target_status = "on_target"
note = "เริ่มงาน"
"""


@pytest.fixture
def machine_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Lets a test set TZ; puts the process's zone back afterwards."""
    yield
    monkeypatch.undo()
    time.tzset()


def _set_tz(monkeypatch: pytest.MonkeyPatch, zone: str) -> None:
    monkeypatch.setenv("TZ", zone)
    time.tzset()


def _record(root: Path, day: str) -> Path:
    path = root / "records" / "2565" / "50100000-0001.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(RECORD.format(day=day), "utf-8")
    return path


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Asia/Bangkok"])
def test_a_report_of_the_day_in_bangkok_is_not_after_today_anywhere(
    empty_repo: Path, monkeypatch: pytest.MonkeyPatch, machine_zone: None, zone: str
) -> None:
    monkeypatch.setattr(options, "now", lambda: INSTANT)
    _set_tz(monkeypatch, zone)
    _record(empty_repo, "2022-03-24")

    result = run("validate")

    assert result.exit_code == 0, result.stdout
    assert "future-report" not in result.stdout
    # The day after is still after the day of the check, on every machine.
    _record(empty_repo, "2022-03-25")
    result = run("validate")
    assert result.exit_code == 1
    assert (
        "error [future-report] reports[1].date: dated 25/03/2565, after today (24/03/2565)" in result.stdout
    )


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles"])
def test_add_report_dates_a_report_by_the_day_in_the_repository_zone(
    empty_repo: Path, monkeypatch: pytest.MonkeyPatch, machine_zone: None, zone: str
) -> None:
    monkeypatch.setattr(options, "now", lambda: INSTANT)
    _set_tz(monkeypatch, zone)
    path = _record(empty_repo, "2022-03-05")

    result = run("add-report", str(path), "--progress", "20", "--note", "ต่อ")

    assert result.exit_code == 0, result.stderr
    last = path.read_text("utf-8").split("[[reports]]")[-1]
    assert "no = 2\ndate = 2022-03-24\n" in last


def test_the_config_zone_decides(
    empty_repo: Path, monkeypatch: pytest.MonkeyPatch, machine_zone: None
) -> None:
    """The same instant is still the 23rd in a repository kept on UTC."""
    monkeypatch.setattr(options, "now", lambda: INSTANT)
    _set_tz(monkeypatch, "Asia/Bangkok")
    (empty_repo / "projledger.toml").write_text('timezone = "UTC"\n', "utf-8")
    _record(empty_repo, "2022-03-24")

    result = run("validate")

    assert result.exit_code == 1
    assert "after today (23/03/2565)" in result.stdout


def test_today_is_now_seen_in_the_config_zone() -> None:
    from projledger.core.config import Config

    config = Config(root=Path("."), records_dir=Path("records"))
    assert config.timezone == "Asia/Bangkok"
    assert options.now().tzinfo is UTC
    expected = datetime.now(ZoneInfo("Asia/Bangkok")).date()
    assert options.today(config) in (expected, expected + timedelta(days=1))  # midnight between


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ('timezone = "Mars/Olympus"', "timezone: unknown time zone 'Mars/Olympus'"),
        ('timezone = "../../etc/passwd"', "timezone: unknown time zone"),
        ("timezone = 7", "timezone: must be an IANA time zone name in quotes"),
        ('timezone = ""', "timezone: must be an IANA time zone name in quotes"),
    ],
)
def test_an_unknown_zone_is_a_config_error_naming_file_and_key(
    empty_repo: Path, line: str, says: str
) -> None:
    (empty_repo / "projledger.toml").write_text(line + "\n", "utf-8")
    for command in (["validate"], ["status"], ["summary"]):
        result = run(*command)
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1
        assert f"projledger.toml: {says}" in result.stderr


def _installed() -> str:
    return str(Path(sys.executable).parent / "projledger")


@pytest.mark.parametrize("zone", ["UTC", "America/Los_Angeles", "Pacific/Kiritimati"])
def test_the_installed_command_judges_by_bangkok_whatever_tz(tmp_path: Path, zone: str) -> None:
    """A real process on the real clock: a report dated today in Bangkok is accepted and one
    dated tomorrow there is refused, whatever TZ the machine runs under."""
    clock = datetime.now(ZoneInfo("Asia/Bangkok"))
    if (clock.hour, clock.minute) >= (23, 58):
        pytest.skip("too close to midnight in Bangkok to say which day it is")
    bangkok = clock.date()
    env = {**os.environ, "TZ": zone, "PROJLEDGER_NO_CACHE": "1"}
    for day, code in ((bangkok, 0), (bangkok + timedelta(days=1), 1)):
        text = RECORD.format(day=day.isoformat()).replace("start = 2022-03-01", f"start = {day:%Y-%m}-01")
        text = text.replace("fiscal_year = 2565", f"fiscal_year = {day.year + 543 + (day.month >= 10)}")
        text = text.replace("end = 2022-09-30", f"end = {day.year + 2}-09-30")
        folder = tmp_path / "records"
        folder.mkdir(exist_ok=True)
        (folder / "50100000-0001.toml").write_text(text, "utf-8")
        done = subprocess.run(
            [_installed(), "validate", "records"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == code, (day, done.stdout, done.stderr)
