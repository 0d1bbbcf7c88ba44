"""The installed command, as a real process: from the venv, and from a freshly built wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, SHIPPED

BIN = Path(sys.executable).parent


def _projledger() -> str:
    found = shutil.which("projledger", path=str(BIN))
    assert found, "the projledger console script is not installed in this environment"
    return found


def test_installed_command_validates_from_another_folder(tmp_path: Path) -> None:
    records = tmp_path / "records" / "2565"
    records.mkdir(parents=True)
    shutil.copy(SHIPPED, records)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run(
        [_projledger(), "validate", str(tmp_path / "records"), "--as-of", "2026-11-25"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("1 file checked: 0 errors, 1 warning\n")
    assert "[progress-dip]" in result.stdout


def test_installed_command_exit_codes(tmp_path: Path) -> None:
    bad = tmp_path / "records" / "2565" / "01000000-2475.toml"
    bad.parent.mkdir(parents=True)
    bad.write_text(SHIPPED.read_text("utf-8").replace("progress = 20.0", "progress = 150.0"), "utf-8")
    failed = subprocess.run([_projledger(), "validate", str(bad)], capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1
    assert "[out-of-range] reports[3].progress" in failed.stdout
    usage = subprocess.run(
        [_projledger(), "validate", "--format", "nope"], capture_output=True, text=True, timeout=60
    )
    assert usage.returncode == 2
    assert "Traceback" not in usage.stderr


@pytest.mark.slow
def test_pip_install_into_a_fresh_venv_works_from_tmp(tmp_path: Path) -> None:
    """`pip install .` (a real wheel build, not editable) carries the schema with it."""
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(PROJECT_ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    records = tmp_path / "records" / "2565"
    records.mkdir(parents=True)
    shutil.copy(SHIPPED, records)
    result = subprocess.run(
        [
            str(target / "bin" / "projledger"),
            "validate",
            str(tmp_path / "records"),
            "--as-of",
            "2026-11-25",
        ],
        cwd="/tmp",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "1 file checked: 0 errors, 1 warning" in result.stdout
