"""Crashes at the worst moments and writers on many files at once: nothing lost, nothing broken.

``tests/test_concurrency.py`` (issue 3) already kills ``add-report`` with SIGKILL at 60 random
moments (the file always parses and holds the old or the new content, leftovers never block the
next run), runs 12 clerks on one file, and kills a writer that holds the lock. This file adds
what random timing rarely hits and what it does not cover:

- a writer of every writing command (add-report, new, fmt) killed at the exact dangerous
  instants: with its temporary file fully written but not yet renamed, and right after the
  rename but before the folder is synced; then the next writer runs clean;
- clerks on many files at once (each file gets all its reports, in order);
- readers (validate, status) running while writers replace files: they never see a broken one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path

import pytest
import tomli

from conftest import SMALL_RECORD

RECORD = SMALL_RECORD

#: Runs projledger in a process that stops (and says so) at one instant of the write.
PAUSED = textwrap.dedent(
    """
    import os, sys, time
    from projledger.core import store

    point, args = sys.argv[1], sys.argv[2:]

    def pause():
        print("paused", flush=True)
        time.sleep(120)

    if point == "before-rename":
        real_replace = os.replace
        def replace(source, target):
            pause()
            real_replace(source, target)
        os.replace = replace
    elif point == "after-rename":
        store.fsync_folder = lambda folder: pause()
    from projledger.main import main
    sys.argv = ["projledger", *args]
    main()
    """
)


def _projledger() -> str:
    found = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert found, "the projledger console script is not installed in this environment"
    return found


def _load(path: Path) -> dict:
    return tomli.loads(path.read_text("utf-8"), parse_float=Decimal)


def _leftovers(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))


def _code(n: int) -> str:
    return f"50100000-{n:04d}"


def _make(root: Path, n: int, text: str | None = None) -> Path:
    path = root / "records" / "2568" / f"{_code(n)}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text if text is not None else RECORD.format(code=_code(n)), "utf-8")
    return path


def _add(root: Path, code: str, note: str, day: str = "25/10/2567") -> list[str]:
    return ["add-report", code, "--date", day, "--progress", "5", "--note", note]


def _new(code: str) -> list[str]:
    return ["new", code, "--name", "ใหม่", "--fiscal-year", "2568", "--start", "2024-10-01",
            "--end", "2025-09-30", "--budget", "1", "--department", "เขต"]  # fmt: skip


def _kill_at(root: Path, point: str, args: list[str]) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", PAUSED, point, *args], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line == b"paused\n", (line, process.stderr.read() if process.stderr else b"")  # type: ignore[union-attr]
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_projledger(), *args], cwd=root, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-rename", "after-rename"])
def test_add_report_killed_at_the_dangerous_instants(tmp_path: Path, point: str) -> None:
    path = _make(tmp_path, 1)
    before = path.read_bytes()
    _kill_at(tmp_path, point, _add(tmp_path, _code(1), "killed"))
    after = path.read_bytes()
    data = _load(path)  # always parses
    if point == "before-rename":
        assert after == before, "the old content until the rename"
        assert len(_leftovers(path.parent)) == 1, "the killed writer's temporary file is there"
    else:
        assert after.startswith(before) and data["reports"][-1]["note"] == "killed", (
            "the new content after it"
        )
    for name in (p.name for p in path.parent.iterdir()):
        assert name.endswith(".toml") or name.startswith("."), name
    assert _run(tmp_path, "validate").returncode == 0, "leftovers are not records"
    done = _run(tmp_path, *_add(tmp_path, _code(1), "next", "24/11/2567"))
    assert done.returncode == 0, done.stderr
    assert _leftovers(path.parent) == [], "the next writer clears what the killed one left"
    assert _load(path)["reports"][-1]["note"] == "next"


@pytest.mark.slow
@pytest.mark.parametrize("point", ["before-rename", "after-rename"])
def test_new_killed_leaves_no_record_or_a_whole_one(tmp_path: Path, point: str) -> None:
    (tmp_path / "records" / "2568").mkdir(parents=True)
    path = tmp_path / "records" / "2568" / f"{_code(7)}.toml"
    _kill_at(tmp_path, point, _new(_code(7)))
    if path.exists():
        assert point == "after-rename"
        assert _load(path)["code"] == _code(7)
        assert _run(tmp_path, "validate").returncode == 0
    else:
        assert point == "before-rename"
        again = _run(tmp_path, *_new(_code(7)))
        assert again.returncode == 0, again.stderr
        assert _load(path)["code"] == _code(7)
    assert _run(tmp_path, "validate").returncode == 0


@pytest.mark.slow
def test_fmt_killed_before_the_rename_keeps_the_file(tmp_path: Path) -> None:
    path = _make(
        tmp_path, 3, RECORD.format(code=_code(3)).replace("budget = 1250000.00", "budget   =  1250000.00")
    )
    before = path.read_bytes()
    _kill_at(tmp_path, "before-rename", ["fmt"])
    assert path.read_bytes() == before
    done = _run(tmp_path, "fmt")
    assert done.returncode == 0, done.stderr
    assert b"budget = 1250000.00" in path.read_bytes()
    assert _leftovers(path.parent) == []


@pytest.mark.slow
def test_clerks_on_many_files_at_once_lose_nothing(tmp_path: Path) -> None:
    files, clerks = 5, 3
    paths = [_make(tmp_path, n) for n in range(1, files + 1)]
    processes = [
        subprocess.Popen(
            [_projledger(), *_add(tmp_path, _code(n), f"file {n} clerk {c}")],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for c in range(clerks)
        for n in range(1, files + 1)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr.decode()
    for n, path in enumerate(paths, start=1):
        reports = _load(path)["reports"]
        assert [r["no"] for r in reports] == list(range(1, clerks + 1))
        assert sorted(r["note"] for r in reports) == [f"file {n} clerk {c}" for c in range(clerks)]
        assert path.read_text("utf-8").startswith(RECORD.format(code=_code(n)))
    assert _leftovers(paths[0].parent) == []


@pytest.mark.slow
def test_readers_never_see_a_half_written_record(tmp_path: Path) -> None:
    path = _make(tmp_path, 1)
    writers = [
        subprocess.Popen(
            [_projledger(), *_add(tmp_path, _code(1), f"clerk {c}")],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for c in range(6)
    ]
    checks = 0
    while any(w.poll() is None for w in writers) or checks < 3:
        seen = _run(tmp_path, "validate", "--format", "json")
        assert '"toml-syntax"' not in seen.stdout and '"empty"' not in seen.stdout, seen.stdout
        assert seen.returncode == 0, seen.stdout + seen.stderr
        checks += 1
    for writer in writers:
        _, stderr = writer.communicate(timeout=120)
        assert writer.returncode == 0, stderr.decode()
    assert len(_load(path)["reports"]) == 6


@pytest.mark.slow
def test_six_clerks_registering_one_code_at_once_make_one_record(tmp_path: Path) -> None:
    (tmp_path / "records").mkdir()
    processes = [
        subprocess.Popen(
            [_projledger(), *_new(_code(9))], cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for _ in range(6)
    ]
    outcomes = []
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        outcomes.append((process.returncode, stderr.decode()))
    assert sorted(code for code, _ in outcomes) == [0, 1, 1, 1, 1, 1], outcomes
    for code, stderr in outcomes:
        if code == 1:
            assert len(stderr.splitlines()) == 1 and _code(9) in stderr, stderr
    written = list((tmp_path / "records").rglob("*.toml"))
    assert len(written) == 1 and _load(written[0])["code"] == _code(9)
    assert _leftovers(written[0].parent) == []


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_a_full_disk_leaves_the_record_whole_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """ENOSPC at any step of the write: exit 1 in one line, the old record, no temporary file."""
    import errno

    from click.testing import CliRunner

    from projledger.core import store
    from projledger.main import main

    path = _make(tmp_path, 1)
    before = path.read_bytes()
    monkeypatch.chdir(tmp_path)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    if failing == "write":
        real_fdopen = os.fdopen

        class Full:
            def __init__(self, handle: object) -> None:
                self.handle = handle

            def __enter__(self) -> Full:
                return self

            def __exit__(self, *exc: object) -> None:
                self.handle.close()  # type: ignore[attr-defined]

            def write(self, data: bytes) -> None:
                full()

        monkeypatch.setattr(store.os, "fdopen", lambda fd, mode="r": Full(real_fdopen(fd, mode)))
    elif failing == "fsync":
        monkeypatch.setattr(store.os, "fsync", full)
    else:
        monkeypatch.setattr(store.os, "replace", full)
    result = CliRunner().invoke(main, _add(tmp_path, _code(1), "full"), catch_exceptions=False)
    monkeypatch.undo()
    assert result.exit_code == 1, result.output
    assert "no space left on the disk" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert path.read_bytes() == before
    assert _leftovers(path.parent) == []
