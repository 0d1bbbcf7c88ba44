"""Real processes: twelve clerks at once, and writers killed at random moments."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from decimal import Decimal
from pathlib import Path

import pytest
import tomli

from conftest import SMALL_RECORD

CODE = "50100000-0001"
RECORD = "#:schema ../../schemas/project.schema.json\n" + SMALL_RECORD.format(code=CODE)


def _projledger() -> str:
    found = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert found, "the projledger console script is not installed in this environment"
    return found


@pytest.fixture
def record(tmp_path: Path) -> Path:
    path = tmp_path / "records" / "2568" / f"{CODE}.toml"
    path.parent.mkdir(parents=True)
    path.write_text(RECORD, encoding="utf-8")
    return path


def add_report(root: Path, note: str) -> subprocess.Popen[bytes]:
    args = [_projledger(), "add-report", CODE, "--date", "25/10/2567", "--progress", "5", "--note", note]
    return subprocess.Popen(args, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def finish(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    """Wait for the process; its exit status and stderr (pipes closed)."""
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr.decode()


def load(path: Path) -> dict:
    return tomli.loads(path.read_text("utf-8"), parse_float=Decimal)


def strays(folder: Path) -> list[str]:
    return [n for n in os.listdir(folder) if n.endswith(".tmp")]


@pytest.mark.slow
def test_twelve_clerks_at_once_all_land_with_distinct_increasing_numbers(record: Path) -> None:
    root = record.parents[2]
    clerks = [add_report(root, f"clerk {i}") for i in range(12)]
    results = [finish(p) for p in clerks]
    for status, stderr in results:
        assert status == 0, stderr
    reports = load(record)["reports"]
    assert [r["no"] for r in reports] == list(range(1, 13))
    assert sorted(r["note"] for r in reports) == sorted(f"clerk {i}" for i in range(12))
    assert record.read_text("utf-8").startswith(RECORD)
    assert strays(record.parent) == []
    check = subprocess.run([_projledger(), "validate"], cwd=root, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


@pytest.mark.slow
def test_killed_writers_leave_the_old_or_the_new_file_never_a_broken_one(record: Path) -> None:
    root = record.parents[2]
    rng = random.Random(20261125)
    start = time.perf_counter()
    probe = add_report(root, "probe")
    assert finish(probe)[0] == 0
    runtime = time.perf_counter() - start
    outcomes = {"old": 0, "new": 0}
    for attempt in range(60):
        before = record.read_bytes()
        count = len(load(record)["reports"])
        note = f"attempt {attempt}"
        process = add_report(root, note)
        time.sleep(rng.uniform(0, runtime * 1.2))
        process.send_signal(signal.SIGKILL)
        finish(process)
        after = record.read_bytes()
        data = load(record)  # always parses
        if after == before:
            outcomes["old"] += 1
        else:
            outcomes["new"] += 1
            assert after.startswith(before)
            assert len(data["reports"]) == count + 1 and data["reports"][-1]["note"] == note
    assert sum(outcomes.values()) >= 50
    assert outcomes["old"] and outcomes["new"], outcomes  # the kills spanned the whole run
    status, stderr = finish(add_report(root, "after the kills"))
    assert status == 0, stderr
    assert strays(record.parent) == []
    assert load(record)["reports"][-1]["note"] == "after the kills"


HOLD_THE_LOCK = textwrap.dedent(
    """
    import sys, tempfile, time
    from pathlib import Path
    from projledger.core.store import locked
    path = Path(sys.argv[1])
    with locked(path):
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        import os
        os.write(fd, b"format = 1\\ncode = ")  # half written
        print("holding", flush=True)
        time.sleep(60)
    """
)


def test_a_writer_killed_while_holding_the_lock_blocks_nobody_and_its_temp_file_goes(record: Path) -> None:
    root = record.parents[2]
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_LOCK, str(record)], stdout=subprocess.PIPE)
    assert holder.stdout is not None
    assert holder.stdout.readline() == b"holding\n"
    assert len(strays(record.parent)) == 1
    holder.send_signal(signal.SIGKILL)
    holder.communicate(timeout=10)
    before = record.read_bytes()
    status, stderr = finish(add_report(root, "after a crash"))
    assert status == 0, stderr
    assert record.read_bytes().startswith(before)
    assert strays(record.parent) == []


@pytest.mark.slow
def test_concurrent_site_builds_into_one_folder_all_succeed(tmp_path: Path) -> None:
    """6 of 48 runs failed: one run's cleanup removed another's fresh temporary folder. Builds
    into one folder now queue on its lock (`._site.lock`); every run succeeds, and what is left is
    one complete site and no temporary folder."""
    for number in range(1, 6):
        code = f"5010000{number}-0001"
        path = tmp_path / "records" / "2568" / f"{code}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SMALL_RECORD.format(code=code), encoding="utf-8")
    env = {**os.environ, "PROJLEDGER_NO_CACHE": "1", "PROJLEDGER_JOBS": "1"}
    args = [_projledger(), "site", "--output", "_site", "--as-of", "2025-03-31"]
    for round_ in range(3):
        if round_ == 2:  # a record changed between rounds: the site is rebuilt, not only kept
            first = tmp_path / "records" / "2568" / "50100001-0001.toml"
            first.write_text(first.read_text("utf-8").replace("ปรับปรุงทางเท้า", "ทางเท้าใหม่"), "utf-8")
        runs = [
            subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            for _ in range(7)
        ]
        results = [finish(run) for run in runs]
        assert [code for code, _ in results] == [0] * 7, [err for code, err in results if code]
        site = tmp_path / "_site"
        pages = sorted(p.name for p in (site / "projects").iterdir())
        assert pages == [f"5010000{n}-0001.html" for n in range(1, 6)], (round_, pages)
        assert (site / "index.html").is_file() and (site / "data.json").is_file()
        assert '"building"' not in (site / ".projledger-site").read_text("utf-8")
        assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []
    assert "ทางเท้าใหม่" in (site / "projects" / "50100001-0001.html").read_text("utf-8")
