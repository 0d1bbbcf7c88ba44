"""The installed command as a process whose standard streams are odd: closed by the caller,
on a full disk, read by a program that leaves early. Never a traceback, never exit 3."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent / "projledger"


def _shell(line: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PROJLEDGER_LANG": "en", "PATH": f"{BIN.parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_a_closed_standard_stream_is_no_crash(repo: Path) -> None:
    """`projledger status >&-`: Python leaves sys.stdout None; the command asked it whether it
    is a terminal and crashed (exit 3). The stream is the null device's now, as in git."""
    for line in (
        "projledger status --as-of 2022-03-31 >&-",
        "projledger status 01000000-2475 --as-of 2022-03-31 >&-",
        "projledger summary --as-of 2022-03-31 >&- <&-",
        "projledger show 01000000-2475 --as-of 2022-03-31 >&- 2>&-",
    ):
        done = _shell(line, repo)
        assert done.returncode == 0, (line, done.stderr)
        assert "internal error" not in done.stderr and "Traceback" not in done.stderr, line


def test_help_and_version_on_a_full_disk_say_so_in_one_line(repo: Path) -> None:
    """--help and --version are written by click before any command runs, outside the one place
    that turns the system's refusals into a line: on a full disk they ended in a traceback."""
    for line in (
        "projledger --help >/dev/full",
        "projledger status --help >/dev/full",
        "projledger sheet export --help >/dev/full",
        "projledger --version >/dev/full",
    ):
        done = _shell(line, repo)
        assert done.returncode == 1, (line, done.stderr)
        assert done.stderr == "projledger: no space left on the disk\n", (line, done.stderr)


def test_a_reader_that_leaves_early_gets_no_complaint(repo: Path) -> None:
    """`projledger validate | head -1`: the reader leaving is no refusal of the system's. The
    command said 'the system refused: Broken pipe' (exit 1) when its output outlived the reader;
    now not a word. (`true` reads nothing: the pipe is closed before the first write.)"""
    for command in ("validate --as-of 2026-11-25", "status --as-of 2022-03-31", "status 01000000-2475"):
        done = _shell(f"projledger {command} | true; exit ${{PIPESTATUS[0]}}", repo)
        assert done.stderr == "", (command, done.stderr)
        assert done.returncode in (0, 1), (command, done.returncode)
