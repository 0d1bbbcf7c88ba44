"""Shared fixtures: a fresh records repository per test, the shipped record, a CLI runner."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from projledger.main import main

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED = PROJECT_ROOT / "records" / "2565" / "01000000-2475.toml"
DATA = Path(__file__).resolve().parent / "data"
#: The real project as the spec gives it (no `#:schema` line), and the printout it came from.
SPEC_RECORD = DATA / "spec" / "01000000-2475.toml"
LEGACY_PRINTOUT = DATA / "legacy" / "01000000-2475-printout.txt"

#: The smallest valid record, with no report yet: for tests that write to records many times.
SMALL_RECORD = """\
format = 1
code = "{code}"
name = "ปรับปรุงทางเท้า"
fiscal_year = 2568
start = 2024-10-01
end = 2025-09-30
budget = 1250000.00

[agency]
department = "สำนักงานเขตพระนคร"
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A records repository holding the shipped record, as the working folder."""
    records = tmp_path / "records" / "2565"
    records.mkdir(parents=True)
    shutil.copy(SHIPPED, records / SHIPPED.name)
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def empty_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A records repository with an empty records folder, as the working folder."""
    (tmp_path / "records").mkdir()
    monkeypatch.chdir(tmp_path)
    yield tmp_path


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache folder, turned on (the tests otherwise run with the cache off)."""
    folder = tmp_path / "user-cache"
    monkeypatch.setenv("PROJLEDGER_CACHE_DIR", str(folder))
    monkeypatch.delenv("PROJLEDGER_NO_CACHE", raising=False)
    monkeypatch.setenv("PROJLEDGER_JOBS", "1")
    return folder


#: The device numbers (Linux) of the system's null, zero and full devices: a test makes its own
#: node with them inside its temporary folder (``char_device``), never aiming at /dev.
DEV_NULL, DEV_ZERO, DEV_FULL = (1, 3), (1, 5), (1, 7)


def char_device(folder: Path, name: str, numbers: tuple[int, int]) -> Path:
    """A character device ``folder/name`` with ``numbers`` (``DEV_ZERO``...): a test of what the
    tool does with a device builds it here. Skipped where nodes cannot be made (no CAP_MKNOD)."""
    path = folder / name
    try:
        os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(*numbers))
    except OSError as error:
        pytest.skip(f"cannot make a device node here: {error}")
    return path


def run(*args: str, input: str | bytes | None = None, env: dict[str, str] | None = None) -> Result:
    """Invoke the CLI in-process; stdout and stderr stay apart (click >= 8.2)."""
    result = CliRunner().invoke(main, list(args), input=input, env=env, catch_exceptions=False)
    assert "Traceback" not in result.output, result.output
    return result


def installed(*args: str, cwd: Path, lang: str = "en") -> subprocess.CompletedProcess[str]:
    """The installed console script run as a real process (the OS's argv and streams, the
    script's own start), in ``lang`` and without colour: what a clerk's terminal runs."""
    command = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert command, "the projledger console script is not installed in this environment"
    return subprocess.run(
        [command, "--lang", lang, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip


# Module- and session-scoped fixtures are made before the autouse fixture below runs: the cache
# is off for them too (the browser tests' sites wrote an index into the user's cache folder).
os.environ["PROJLEDGER_NO_CACHE"] = "1"


@pytest.fixture(autouse=True)
def _no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("PROJLEDGER_DEBUG", raising=False)
    # Tests never touch the user's cache folder; tests/test_cache.py turns a private one on.
    monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")
    # The suite reads messages in English (their msgids); tests/test_i18n.py runs Thai, the default.
    monkeypatch.setenv("PROJLEDGER_LANG", "en")
    # and a test's in-process run in Thai (--lang th) leaves no Thai to the next test's core calls
    from projledger.core import i18n

    i18n.use("en")
    os.environ.setdefault("COLUMNS", "120")


def write_record(root: Path, text: str, *, fiscal_year: int = 2565, code: str | None = None) -> Path:
    """Write a record's TOML text under ``root/records/<FY>/<code>.toml``."""
    if code is None:
        for line in text.splitlines():
            if line.startswith("code"):
                code = line.split("=", 1)[1].strip().strip('"')
                break
    assert code, "give the code"
    path = root / "records" / str(fiscal_year) / f"{code}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def keep_screenshots(shots: list[Path]) -> None:
    """Copy the screenshots a browser test took (under its temporary folder) to the folder named
    by ``$PROJLEDGER_SCREENSHOTS``, for a person to look at; kept nowhere else when it is unset."""
    folder = os.environ.get("PROJLEDGER_SCREENSHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    for shot in shots:
        shutil.copy(shot, Path(folder) / shot.name)
