"""No record where records were expected is an error, for every reading command (issue 16.5, 17.15).

A CI job run in the wrong folder used to go green on "0 files checked"; now validate, fmt,
status, summary and site refuse (exit 1) and say where they looked and how that folder was chosen. A
new repository's records folder, named by its projledger.toml and still empty, passes, saying so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import SHIPPED, run

READERS = [
    ("validate",),
    ("fmt", "--check"),
    ("fmt",),
    ("status",),
    ("status", "--format", "json"),
    ("summary",),
    ("summary", "--format", "csv"),
    ("site",),
    ("sheet", "export", "--output", "due.csv", "--month", "03/2565"),
]


def _files(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*"))


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_a_folder_without_records_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              args: tuple[str, ...]) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert f"no records folder at {tmp_path / 'records'}" in result.stderr
    assert f"the default ./records: no projledger.toml in {tmp_path} or a folder above it" in result.stderr
    assert _files(tmp_path) == []  # nothing written (no _site)


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_a_subfolder_of_a_repository_without_config_checks_nothing_silently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    (tmp_path / "records" / "2565").mkdir(parents=True)
    shutil.copy(SHIPPED, tmp_path / "records" / "2565")
    (tmp_path / "docs").mkdir()
    monkeypatch.chdir(tmp_path / "docs")
    result = run(*args)
    assert result.exit_code == 1 and result.stdout == ""
    assert f"no records folder at {tmp_path / 'docs' / 'records'}" in result.stderr


def test_an_empty_default_records_folder_without_config_is_an_error(empty_repo: Path) -> None:
    result = run("validate")
    assert result.exit_code == 1 and result.stdout == ""
    assert f"no record at {empty_repo / 'records'} (the default ./records" in result.stderr


def test_a_config_naming_a_missing_folder_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "projledger.toml").write_text('records = "data"\n', "utf-8")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    result = run("summary")
    assert result.exit_code == 1 and result.stdout == ""
    assert f"no records folder at {tmp_path / 'data'} (the folder {tmp_path / 'projledger.toml'} names)" in (
        result.stderr
    )


@pytest.mark.parametrize("args", READERS, ids=" ".join)
def test_init_then_every_reader_passes_on_a_new_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           args: tuple[str, ...]) -> None:  # fmt: skip
    assert run("init", str(tmp_path / "new")).exit_code == 0
    monkeypatch.chdir(tmp_path / "new")
    result = run(*args)
    assert result.exit_code == 0, result.output
    assert f"no record yet in {tmp_path / 'new' / 'records'}" in result.stderr
    assert "a new repository" in result.stderr
    if args == ("validate",):
        assert result.stdout == "0 files checked: 0 errors, 0 warnings\n"


NAMED = [
    ("validate",),
    ("validate", "--format", "github"),
    ("fmt", "--check"),
    ("status",),
    ("status", "--format", "csv"),
    ("summary",),
    ("summary", "--format", "json"),
]


@pytest.mark.parametrize("folder", ["records", ".", "records/2566"])
@pytest.mark.parametrize("args", NAMED, ids=" ".join)
def test_a_folder_given_by_name_without_records_is_an_error(
    empty_repo: Path, args: tuple[str, ...], folder: str
) -> None:
    """`projledger validate .` in the wrong folder went green on "0 files checked"."""
    (empty_repo / "records" / "2566").mkdir()
    (empty_repo / "records" / "2566" / "notes.txt").write_text("not a record\n", "utf-8")
    result = run(*args, folder)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert f"no record in {folder} (given by name" in result.stderr
    assert _files(empty_repo) == [Path("records"), Path("records/2566"), Path("records/2566/notes.txt")]


@pytest.mark.parametrize("args", NAMED, ids=" ".join)
def test_a_new_repositorys_records_folder_given_by_name_passes_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    assert run("init", str(tmp_path / "new")).exit_code == 0
    (tmp_path / "new" / "docs").mkdir()
    monkeypatch.chdir(tmp_path / "new" / "docs")
    result = run(*args, "../records")
    assert result.exit_code == 0, result.output
    assert (
        f"no record yet in {tmp_path / 'new' / 'records'}" in result.stderr
        and "a new repository" in result.stderr
    )


def test_a_folder_given_by_name_with_a_record_or_a_file_given_says_nothing_more(repo: Path) -> None:
    (repo / "empty").mkdir()
    for args in (("records",), ("empty", "records"), ("empty", "records/2565/01000000-2475.toml")):
        result = run("validate", "--as-of", "2026-11-25", *args)
        assert result.exit_code == 0 and "1 file checked" in result.stdout, (args, result.output)
        assert "no record" not in result.stderr


def test_a_repository_with_records_says_nothing_more(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "records" / "2565").mkdir(parents=True)
    shutil.copy(SHIPPED, tmp_path / "records" / "2565")
    monkeypatch.chdir(tmp_path)
    result = run("validate", "--as-of", "2026-11-25")
    assert result.exit_code == 0 and "1 file checked" in result.stdout
    assert "no record" not in result.stderr


def test_the_installed_command_in_the_wrong_folder_fails_ci(tmp_path: Path) -> None:
    """What a CI job runs (`validate --format github`), as a real process, in a folder of no records."""
    found = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert found
    result = subprocess.run(
        [found, "validate", "--format", "github"], cwd=tmp_path, capture_output=True, text=True,
        timeout=60, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    assert result.returncode == 1
    assert "no records folder at" in result.stderr and "Traceback" not in result.stderr
