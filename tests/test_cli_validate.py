"""``projledger validate`` end to end: the Done-when cases of the core issue, every format."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import SHIPPED, run

RECORD = Path("records/2565/01000000-2475.toml")
AS_OF = "2026-11-25"


def _edit(old: str, new: str, count: int = 1) -> None:
    text = RECORD.read_text("utf-8")
    assert text.count(old) >= count, old
    RECORD.write_text(text.replace(old, new, count), "utf-8")


def _line_of(snippet: str) -> int:
    return RECORD.read_text("utf-8").split(snippet)[0].count("\n") + 1


def test_shipped_records_give_exactly_one_warning(repo: Path) -> None:
    result = run("validate", "records/", "--as-of", AS_OF)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines == [
        "records/2565/01000000-2475.toml:73: warning [progress-dip] reports[2].progress: "
        "progress 8.0 % is lower than report 1's 10.0 %; progress is cumulative",
        "1 file checked: 0 errors, 1 warning",
    ]
    assert result.stderr == ""


def test_default_is_the_repository_records_from_a_subfolder(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "projledger.toml").write_text('records = "records"\n', "utf-8")
    monkeypatch.chdir(repo / "records" / "2565")
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 0
    assert "1 file checked: 0 errors, 1 warning" in result.stdout


def test_strict_fails_on_the_warning(repo: Path) -> None:
    assert run("validate", "--strict", "--as-of", AS_OF).exit_code == 1


def test_progress_150_names_file_line_and_field(repo: Path) -> None:
    _edit("progress = 20.0", "progress = 150.0")
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 1
    line = _line_of("progress = 150.0")
    assert (
        f"records/2565/01000000-2475.toml:{line}: error [out-of-range] reports[3].progress: 150.0 is above the maximum 100"
        in result.stdout
    )


@pytest.mark.parametrize(
    ("old", "new", "rule", "field", "words"),
    [
        (
            "progress = 30.0",
            "progres = 30.0",
            "unknown-key",
            "reports[4].progres",
            "did you mean 'progress'",
        ),
        ('coordinator = "คุณปริญดา"', 'coordinator = "คุณปริญดา', "toml-syntax", "", "not valid TOML"),
        (
            "date = 2022-09-27",
            "date = 2565-09-27",
            "be-year",
            "reports[12].date",
            "write 2022-09-27",
        ),
        (
            'plan_status = "on_plan"',
            'plan_status = "fine"',
            "not-allowed",
            "reports[1].plan_status",
            "on_plan, watch, behind",
        ),
    ],
)
def test_broken_records_exit_1_with_a_clear_message(
    repo: Path, old: str, new: str, rule: str, field: str, words: str
) -> None:
    _edit(old, new)
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if ": error [" in line]
    assert len(errors) == 1, result.stdout
    assert f"error [{rule}]" in errors[0] and words in errors[0]
    assert f" {field}:" in errors[0] if field else True
    number = int(re.match(r"records/2565/01000000-2475\.toml:(\d+)", errors[0]).group(1))
    assert new.split("\n")[0][:12] in RECORD.read_text("utf-8").splitlines()[number - 1]


def test_report_after_the_cancelled_one(repo: Path) -> None:
    extra = '\n[[reports]]\nno = 13\ndate = 2022-10-20\nprogress = 92.0\ndisbursed = 0.0\nplan_status = "behind"\ntarget_status = "off_target"\nnote = "ต่อ"\n'
    RECORD.write_text(RECORD.read_text("utf-8") + extra, "utf-8")
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 1
    line = _line_of("no = 13") - 1
    assert (
        f":{line}: error [after-event] reports[13]: report 13 follows report 12, which marked the project cancelled"
        in result.stdout
    )


def test_file_name_that_is_not_the_code(repo: Path) -> None:
    RECORD.rename(RECORD.with_name("01000000-9999.toml"))
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert (
        "records/2565/01000000-9999.toml:3: error [file-name] code: the file is named '01000000-9999' but holds project 01000000-2475"
        in result.stdout
    )


def test_one_broken_file_does_not_hide_the_others(repo: Path) -> None:
    (RECORD.parent / "01000000-0001.toml").write_bytes(b"\xff\xfe garbage")
    (RECORD.parent / "01000000-0002.toml").write_text("format = 1\n", "utf-8")
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "01000000-0001.toml:1: error [encoding]" in result.stdout
    assert "01000000-0002.toml:1: error [missing-key] code:" in result.stdout
    assert "progress-dip" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("3 files checked: ")


def test_json_format_is_one_parseable_envelope(repo: Path) -> None:
    result = run("validate", "--format", "json", "--as-of", AS_OF)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data == {
        "version": 1,
        "files": 1,
        "errors": 0,
        "warnings": 1,
        "findings": [
            {
                "path": "records/2565/01000000-2475.toml",
                "line": 73,
                "column": None,
                "field": "reports[2].progress",
                "rule": "progress-dip",
                "severity": "warning",
                "message": "progress 8.0 % is lower than report 1's 10.0 %; progress is cumulative",
            }
        ],
    }


def test_github_format_annotates_the_line(repo: Path) -> None:
    _edit("progress = 20.0", "progress = 150.0")
    result = run("validate", "--format", "github", "--as-of", AS_OF)
    assert result.exit_code == 1
    line = _line_of("progress = 150.0")
    assert (
        f"::error file=records/2565/01000000-2475.toml,line={line},title=out-of-range::reports[3].progress: 150.0 is above"
        in result.stdout
    )
    assert result.stdout.splitlines()[-1] == "1 file checked: 1 error, 0 warnings"


def test_github_format_warnings(repo: Path) -> None:
    result = run("validate", "--format", "github", "--as-of", AS_OF)
    assert result.exit_code == 0
    assert result.stdout.startswith(
        "::warning file=records/2565/01000000-2475.toml,line=73,title=progress-dip::reports[2].progress: progress 8.0 %25 is lower"
    )


def test_as_of_in_the_past_makes_later_reports_future(repo: Path) -> None:
    result = run("validate", "--as-of", "31/03/2565")
    assert result.exit_code == 1
    assert result.stdout.count("[future-report]") == 6


@pytest.mark.parametrize(
    "args",
    [["--format", "yaml"], ["--as-of", "31/02/2565"], ["--as-of", "2565-03-31"], ["--bogus"]],
)
def test_usage_errors_exit_2(repo: Path, args: list[str]) -> None:
    result = run("validate", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("projledger: ")
    assert args[0] in lines[0] and lines[0].endswith("(see 'projledger validate --help')")


def test_missing_path_is_a_finding_not_a_crash(repo: Path) -> None:
    result = run("validate", "records/nope.toml", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "records/nope.toml: error [io]" in result.stdout


def test_shipped_record_equals_the_spec_record() -> None:
    from conftest import SPEC_RECORD

    spec = SPEC_RECORD
    if not spec.exists():
        pytest.skip("shared/ is not beside the project")
    import tomllib
    from decimal import Decimal

    shipped = tomllib.loads(SHIPPED.read_text("utf-8"), parse_float=Decimal)
    assert shipped == tomllib.loads(spec.read_text("utf-8"), parse_float=Decimal)


def test_one_code_in_two_files_is_an_error(repo: Path) -> None:
    """Summary would count the project twice; validate fails it, naming both files."""
    copy = Path("records/2566/01000000-2475.toml")
    copy.parent.mkdir()
    copy.write_bytes(RECORD.read_bytes())
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert (
        "records/2566/01000000-2475.toml: error [duplicate-code] code: project 01000000-2475 has another "
        "record at records/2565/01000000-2475.toml; a code has one record"
    ) in result.stdout
    assert result.stdout.count("[duplicate-code]") == 1
