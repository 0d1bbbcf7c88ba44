"""An agency's first month, end to end in a fresh git repository.

init → git commit → new → commit → add-report → validate → status --since HEAD shows the new
report; the same repository then gives a reviewer's spreadsheet and JSON of the change.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import run

CODE = "01000000-0001"


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        [
            "git",
            "-c",
            "user.name=clerk",
            "-c",
            "user.email=clerk@example.org",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout


@pytest.fixture
def agency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "records-bkk"
    assert run("init", str(root)).exit_code == 0
    _git(root, "init", "-q")
    monkeypatch.chdir(root)
    created = run(
        "new", CODE, "--name", "ปรับปรุงทางเท้า", "--fiscal-year", "2565", "--start", "01/10/2564",
        "--end", "30/09/2565", "--budget", "1,250,000", "--department", "สำนักงานเลขานุการสภากรุงเทพมหานคร",
    )  # fmt: skip
    assert created.exit_code == 0, created.stderr
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "Register the project")
    return root


def test_init_new_add_report_validate_status_since_head(
    agency: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = agency / "records" / "2565" / f"{CODE}.toml"
    assert record.read_text("utf-8").startswith("#:schema ../../schemas/project.schema.json\n")
    assert (agency / "schemas" / "project.schema.json").is_file()  # where that header points
    assert run("status", "--since", "HEAD").stdout.count(CODE) == 0  # nothing changed yet
    monkeypatch.chdir(agency / "records")  # every command works from a subfolder
    added = run(
        "add-report",
        CODE,
        "--date",
        "25/10/2564",
        "--progress",
        "10",
        "--disbursed",
        "100000",
        "--note",
        "ประชุม",
    )
    assert added.exit_code == 0, added.stderr
    validated = run("validate", "--as-of", "2021-10-31")
    assert validated.exit_code == 0, validated.stdout
    assert validated.stdout.endswith("1 file checked: 0 errors, 0 warnings\n")
    # the two steps of the CI workflow init wrote
    assert run("validate", "--format", "github", "--as-of", "2021-10-31").exit_code == 0
    assert run("fmt", "--check").exit_code == 0, "add-report must leave the record in the canonical layout"
    review = run("status", "--since", "HEAD", "--as-of", "2021-10-31", "--lang", "en")
    assert review.exit_code == 0, review.stderr
    assert CODE in review.stdout
    assert "changed since HEAD" in review.stdout
    assert "new report 1" in review.stdout
    assert f"[records/2565/{CODE}.toml]" in review.stdout
    machine = json.loads(run("status", "--since", "HEAD", "--as-of", "2021-10-31", "--format", "json").stdout)
    assert [p["code"] for p in machine["projects"]] == [CODE]
    assert machine["since"] == "HEAD"
    assert machine["changes"][0]["new_reports"] == [1]
    assert machine["changes"][0]["after"]["progress"] == 10
    _git(agency, "commit", "-q", "-am", "October report")
    assert json.loads(run("status", "--since", "HEAD", "--format", "json").stdout)["changes"] == []
    assert json.loads(run("status", "--since", "HEAD~1", "--format", "json").stdout)["changes"][0][
        "new_reports"
    ] == [1]


def test_status_since_names_a_deleted_record_and_a_bad_revision(agency: Path) -> None:
    (agency / "records" / "2565" / f"{CODE}.toml").unlink()
    review = run("status", "--since", "HEAD", "--lang", "en")
    assert review.exit_code == 0, review.stderr
    assert "record deleted" in review.stdout
    bad = run("status", "--since", "no-such-branch")
    assert bad.exit_code == 1
    assert bad.stderr == "projledger: --since: bad revision 'no-such-branch'\n"
    option = run("status", "--since", "--output=x")
    assert option.exit_code == 1
    assert "is not one git revision" in option.stderr
    both = run("status", "--since", "HEAD", CODE)
    assert both.exit_code == 2


def test_status_since_outside_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "records").mkdir()
    monkeypatch.chdir(tmp_path)
    result = run("status", "--since", "HEAD")
    assert result.exit_code == 1
    assert "not inside a git repository" in result.stderr


def test_the_site_job_of_init_builds_the_site(agency: Path) -> None:
    """`init --with-site-job` writes `projledger site --output _site --with-export sqlite`; that
    command builds it, with the export beside the pages (issue 21)."""
    from projledger.core.scaffold import scaffold

    workflow = scaffold(with_site_job=True)[".github/workflows/projledger.yml"]
    step = next(line.split("run: ", 1)[1] for line in workflow.splitlines() if "run: projledger site" in line)
    args = step.split()[1:]
    assert args == ["site", "--output", "_site", "--with-export", "sqlite"]
    built = run(*args)
    assert built.exit_code == 0, built.stderr
    assert (agency / "_site" / "index.html").is_file()
    assert (agency / "_site" / "export" / "projledger.sqlite").is_file()
    assert '"generator": "projledger export"' in (agency / "_site" / "export" / "export.json").read_text(
        "utf-8"
    )
    assert "_site/" in (agency / ".gitignore").read_text("utf-8").splitlines()
    # nothing of the export's machinery is published: its lock is the site's, beside _site
    published = [p.relative_to(agency / "_site").as_posix() for p in (agency / "_site").rglob("*")]
    assert not [name for name in published if ".lock" in name or ".tmp-" in name], published
