"""The portfolio rule of format 2: ``kpi-project-link``, a KPI naming a project the repository
does not hold. Computed after the per-file checks, never kept in a file's findings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import DATA, run

KPI = DATA / "format2" / "kpi" / "5026-2001.toml"


def _with_kpi(repo: Path, projects: str) -> Path:
    path = repo / "records" / "2565" / "kpi" / KPI.name
    path.parent.mkdir(parents=True)
    text = KPI.read_text("utf-8").replace('projects = [\n    "01000000-2475",\n]', f"projects = {projects}")
    path.write_text(text, "utf-8")
    return path


def test_a_kpi_naming_a_missing_project_is_an_error(repo: Path) -> None:
    _with_kpi(repo, '["01000000-2475", "01000000-9999"]')
    result = run("--lang", "en", "validate")
    assert (
        "records/2565/kpi/5026-2001.toml:16: error [kpi-project-link] projects[2]: KPI 5026-2001 names "
        "project 01000000-9999, which has no record in this repository"
    ) in result.stdout.splitlines(), result.stdout
    assert "projects[1]" not in result.stdout and result.exit_code == 1


def test_deleting_a_project_flags_its_kpi_on_the_next_run(repo: Path) -> None:
    _with_kpi(repo, '["01000000-2475"]')
    assert run("validate").exit_code == 0  # the index now holds the KPI's findings: none
    (repo / "records" / "2565" / "01000000-2475.toml").unlink()
    result = run("--lang", "en", "validate")
    assert "[kpi-project-link] projects[1]: KPI 5026-2001 names project 01000000-2475" in result.stdout
    assert result.exit_code == 1
    shutil.copy(DATA / "format2" / "01000000-2475.toml", repo / "records" / "2565")
    assert run("validate").exit_code == 0


def test_a_kpi_checked_alone_is_checked_against_the_records_folder(repo: Path) -> None:
    path = _with_kpi(repo, '["01000000-9999"]')
    result = run("--lang", "en", "validate", str(path))
    assert "[kpi-project-link]" in result.stdout and result.exit_code == 1


def test_without_a_records_folder_the_links_go_unchecked(empty_repo: Path) -> None:
    (empty_repo / "records").rmdir()
    lone = empty_repo / "elsewhere" / "kpi" / KPI.name
    lone.parent.mkdir(parents=True)
    lone.write_text(KPI.read_text("utf-8"), "utf-8")
    result = run("--lang", "en", "validate", str(lone))
    assert result.exit_code == 0, result.stdout
    assert "kpi-project-link" not in result.stdout


def test_a_kpi_is_checked_against_its_own_records_folder_from_anywhere(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The folder a KPI's links are read from is its own (``<records>/<FY>/kpi/``), not the
    records folder of the repository the command was run in."""
    path = _with_kpi(repo, '["01000000-2475"]')
    elsewhere = tmp_path / "other-repository"
    (elsewhere / "records" / "2565").mkdir(parents=True)
    (elsewhere / "projledger.toml").write_text('records = "records"\n', "utf-8")
    monkeypatch.chdir(elsewhere)  # another repository, whose records folder holds no project
    for given in (str(path), str(repo / "records")):
        result = run("--lang", "en", "validate", given)
        assert "kpi-project-link" not in result.stdout, (given, result.stdout)
        assert result.exit_code == 0, result.stdout
    path.write_text(path.read_text("utf-8").replace('"01000000-2475"', '"01000000-9999"'), "utf-8")
    result = run("--lang", "en", "validate", str(repo / "records"))
    assert "KPI 5026-2001 names project 01000000-9999" in result.stdout and result.exit_code == 1
