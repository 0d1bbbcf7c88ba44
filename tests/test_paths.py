"""No code, option or record leads the tool outside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from projledger.core.config import load_config
from projledger.core.errors import NotFoundError, UnsafePathError
from projledger.core.repository import find_by_code, record_path, resolve_record

from conftest import SHIPPED, run

AS_OF = "2026-11-25"


def test_link_to_a_file_outside_the_repository_is_refused(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.toml"
    outside.write_text(SHIPPED.read_text("utf-8"), "utf-8")
    os.symlink(outside, repo / "records" / "2565" / "01000000-9999.toml")
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert (
        "records/2565/01000000-9999.toml: error [unsafe-path] a link to a file outside the repository; refused"
        in result.stdout
    )


def test_link_to_a_folder_outside_the_repository_is_refused(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "x.toml").write_text("format = 1\n", "utf-8")
    os.symlink(outside, repo / "records" / "2566")
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert (
        "records/2566: error [unsafe-path] a link to a folder outside the repository; refused"
        in result.stdout
    )
    assert "x.toml" not in result.stdout


def test_link_inside_the_repository_is_followed(repo: Path) -> None:
    (repo / "archive").mkdir()
    os.rename(repo / "records" / "2565", repo / "archive" / "2565")
    os.symlink(repo / "archive" / "2565", repo / "records" / "2565")
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 0
    assert "1 file checked: 0 errors, 1 warning" in result.stdout


@pytest.mark.parametrize(
    "code",
    ["../../etc/passwd", "01000000-2475/../../x", "/etc/passwd", "01000000-2475.toml/..", "๐๑๐๐๐๐๐๐-๒๔๗๕"],
)
def test_codes_never_become_paths(repo: Path, code: str) -> None:
    config = load_config(repo)
    with pytest.raises(UnsafePathError):
        record_path(config, 2565, code)
    with pytest.raises(UnsafePathError):
        find_by_code(code, config)


def test_code_lookup_finds_the_fiscal_year_folder(repo: Path) -> None:
    config = load_config(repo)
    assert resolve_record("01000000-2475", config) == config.records_dir / "2565" / "01000000-2475.toml"
    with pytest.raises(NotFoundError):
        resolve_record("01000000-0000", config)


def test_config_cannot_point_records_outside(repo: Path) -> None:
    (repo / "projledger.toml").write_text('records = "../elsewhere"\n', "utf-8")
    result = run("validate")
    assert result.exit_code == 1
    assert result.stderr.startswith("projledger: ")
    assert "records must be a folder inside the repository" in result.stderr
    assert len(result.stderr.splitlines()) == 1
