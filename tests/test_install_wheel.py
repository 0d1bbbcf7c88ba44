"""Installs as users make them: a built wheel in a fresh venv, and `pipx install .`.

Both run the installed command from a temporary folder far from the checkout, so nothing
is found by accident in the source tree (the schema must travel inside the wheel).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import PROJECT_ROOT, SHIPPED

BIN = Path(sys.executable).parent


def _records(tmp_path: Path) -> Path:
    records = tmp_path / "agency" / "records" / "2565"
    records.mkdir(parents=True)
    shutil.copy(SHIPPED, records)
    return tmp_path / "agency"


def _check_installed(command: Path, agency: Path) -> None:
    """The installed command works from a subfolder of a repository made by its own init."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    version = subprocess.run([str(command), "--version"], capture_output=True, text=True, timeout=60, env=env)
    assert version.returncode == 0, version.stderr
    assert version.stdout.startswith("projledger, version ")
    assert "0+unknown" not in version.stdout
    init = subprocess.run(
        [str(command), "init", str(agency)], capture_output=True, text=True, timeout=60, env=env
    )
    assert init.returncode == 0, init.stderr
    checked = subprocess.run(
        [str(command), "validate", "--as-of", "2026-11-25"],
        cwd=agency / "records" / "2565",
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "1 file checked: 0 errors, 1 warning" in checked.stdout
    # Thai, the default, from the catalog the build compiled into the package.
    thai = subprocess.run(
        [str(command), "validate", "--as-of", "2026-11-25"],
        cwd=agency / "records" / "2565",
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in env.items() if k != "PROJLEDGER_LANG"},
    )
    assert "ตรวจ 1 ไฟล์: ข้อผิดพลาด 0 รายการ, คำเตือน 1 รายการ" in thai.stdout, thai.stdout + thai.stderr
    schema = subprocess.run(
        [str(command), "schema", "--path"], capture_output=True, text=True, timeout=60, env=env
    )
    assert schema.returncode == 0
    assert not Path(schema.stdout.strip()).is_relative_to(PROJECT_ROOT)


@pytest.mark.slow
def test_wheel_builds_and_runs_from_a_fresh_venv(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(PROJECT_ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = wheels.glob("projledger-*.whl")
    with zipfile.ZipFile(wheel) as built:  # compiled by the build step, never committed
        assert "projledger/locale/th/LC_MESSAGES/projledger.mo" in built.namelist()
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    install = subprocess.run(
        [str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    if install.returncode != 0 and "No matching distribution" in install.stderr:
        pytest.skip("the package index is out of reach for the wheel's dependencies")
    assert install.returncode == 0, install.stderr[-2000:]
    _check_installed(target / "bin" / "projledger", _records(tmp_path))


@pytest.mark.slow
def test_pipx_install_runs_from_a_temporary_folder(tmp_path: Path) -> None:
    pipx = BIN / "pipx"
    if not pipx.exists():
        pytest.skip("pipx is not installed (pip install -e '.[dev]')")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")},
        "PIPX_HOME": str(tmp_path / "pipx-home"),
        "PIPX_BIN_DIR": str(tmp_path / "pipx-bin"),
        "PIPX_MAN_DIR": str(tmp_path / "pipx-man"),
    }
    install = subprocess.run(
        [str(pipx), "install", "--python", sys.executable, str(PROJECT_ROOT)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=tmp_path,
        env=env,
    )
    if install.returncode != 0 and "No matching distribution" in install.stdout + install.stderr:
        pytest.skip("the package index is out of reach for projledger's dependencies")
    assert install.returncode == 0, (install.stdout + install.stderr)[-2000:]
    _check_installed(tmp_path / "pipx-bin" / "projledger", _records(tmp_path))
