"""``projledger fmt``: canonical layout, values kept, unreadable or commented files left alone."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import tomli

from conftest import SHIPPED, run, write_record
from conftest import SPEC_RECORD as SPEC

HEADER = b"#:schema ../../schemas/project.schema.json\n"
#: The shipped record as the spec gives it: without the ``#:schema`` line fmt adds.
MESSY = """\
name = "โครงการ"
code = "50100000-0001"
format = 1
budget = 1000.5

[[reports]]
note = "x"
no = 1

[agency]
department = "เขต"
"""
MESSY_CANONICAL = """\
#:schema ../../schemas/project.schema.json
format = 1
code = "50100000-0001"
name = "โครงการ"
budget = 1000.5

[agency]
department = "เขต"

[[reports]]
no = 1
note = "x"
"""


@pytest.fixture(autouse=True)
def _unformatted(request: pytest.FixtureRequest) -> None:
    """Give the repository the spec's copy of the record, which lacks the header."""
    if "repo" in request.fixturenames:
        root = request.getfixturevalue("repo")
        (root / "records" / "2565" / SHIPPED.name).write_bytes(SPEC.read_bytes())


def test_the_shipped_record_is_canonical() -> None:
    assert SHIPPED.read_bytes() == HEADER + SPEC.read_bytes()


def load(raw: bytes) -> dict:
    return tomli.loads(raw.decode("utf-8"), parse_float=Decimal)


def test_fmt_on_the_shipped_record_only_adds_the_schema_line(repo: Path) -> None:
    path = repo / "records" / "2565" / SHIPPED.name
    result = run("fmt")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "records/2565/01000000-2475.toml\n"
    assert path.read_bytes() == HEADER + SPEC.read_bytes()
    assert load(path.read_bytes()) == load(SPEC.read_bytes())
    assert "budget = 3540000.0\n" in path.read_text("utf-8")


def test_a_canonical_file_is_left_as_it_is(repo: Path) -> None:
    assert run("fmt").exit_code == 0
    path = repo / "records" / "2565" / SHIPPED.name
    before = path.read_bytes()
    stat = path.stat()
    again = run("fmt")
    assert again.exit_code == 0 and again.stdout == ""
    assert path.read_bytes() == before and path.stat().st_ino == stat.st_ino  # not even rewritten
    assert run("fmt", "--check").exit_code == 0


def test_check_lists_what_would_change_and_changes_nothing(repo: Path) -> None:
    messy = write_record(repo, MESSY)
    result = run("fmt", "--check")
    assert result.exit_code == 1
    assert result.stdout == "records/2565/01000000-2475.toml\nrecords/2565/50100000-0001.toml\n"
    assert "2 of 2 files would change" in result.stderr
    assert messy.read_text("utf-8") == MESSY
    assert (repo / "records" / "2565" / SHIPPED.name).read_bytes() == SPEC.read_bytes()


def test_fmt_orders_keys_and_puts_reports_last(repo: Path) -> None:
    messy = write_record(repo, MESSY)
    result = run("fmt", str(messy))
    assert result.exit_code == 0
    assert messy.read_text("utf-8") == MESSY_CANONICAL
    assert load(messy.read_bytes()) == tomli.loads(MESSY, parse_float=Decimal)


def test_unreadable_files_are_reported_and_never_rewritten_the_others_formatted(repo: Path) -> None:
    broken = write_record(repo, 'format = 1\ncode = "50100000-0002"\nname = \n', code="50100000-0002")
    before = broken.read_bytes()
    result = run("fmt")
    assert result.exit_code == 1
    assert "records/2565/50100000-0002.toml:3" in result.stderr and "[toml-syntax]" in result.stderr
    assert broken.read_bytes() == before
    assert (repo / "records" / "2565" / SHIPPED.name).read_bytes().startswith(HEADER)


def test_files_with_comments_are_left_with_a_message(repo: Path) -> None:
    text = MESSY.replace("budget = 1000.5\n", "budget = 1000.5  # revised in March\n")
    commented = write_record(repo, text)
    result = run("fmt", str(commented))
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "records/2565/50100000-0001.toml:4: error [fmt] has a comment, which fmt would drop"
    )
    assert commented.read_text("utf-8") == text


def test_crlf_files_stay_crlf(repo: Path) -> None:
    path = repo / "records" / "2565" / SHIPPED.name
    crlf = SPEC.read_bytes().replace(b"\n", b"\r\n")
    path.write_bytes(crlf)
    assert run("fmt").exit_code == 0
    assert path.read_bytes() == HEADER.replace(b"\n", b"\r\n") + crlf
    assert load(path.read_bytes()) == load(SPEC.read_bytes())


def test_fmt_keeps_the_file_mode_and_leaves_no_temp_files(repo: Path) -> None:
    path = repo / "records" / "2565" / SHIPPED.name
    path.chmod(0o664)
    assert run("fmt").exit_code == 0
    assert path.stat().st_mode & 0o777 == 0o664
    assert not list(repo.rglob("*.tmp"))


def test_a_missing_path_is_reported(repo: Path) -> None:
    result = run("fmt", "records/2565/nope.toml")
    assert result.exit_code == 1 and "records/2565/nope.toml: error [io] no such file" in result.stderr
    assert not (repo / "records" / "2565" / ".nope.toml.lock").exists()


def test_records_written_by_new_and_add_report_are_already_canonical(empty_repo: Path) -> None:
    new = ["--name", "ถนน", "--fiscal-year", "2568", "--start", "01/10/2567", "--end", "30/09/2568",
           "--budget", "1,000", "--department", "เขต"]  # fmt: skip
    assert run("new", "50100000-0001", *new).exit_code == 0
    for day, progress in (("25/10/2567", "5"), ("25/11/2567", "12.5")):
        added = run("add-report", "50100000-0001", "--date", day, "--progress", progress, "--note", "ทำ\nแล้ว")
        assert added.exit_code == 0, added.stderr
    result = run("fmt", "--check")
    assert result.exit_code == 0 and result.stdout == ""


# --- only records, only in the records folder (issue 17.6) ---------------------------------

CONFIG = 'records = "records"\n'
GIT_CONFIG = "[core]\n\trepositoryformatversion = 0\n\tbare = false\n"


@pytest.mark.parametrize("check", [False, True], ids=["fmt", "fmt --check"])
def test_fmt_never_writes_through_a_link_out_of_the_records_folder(repo: Path, check: bool) -> None:
    """`records/x.toml -> ../projledger.toml` gave the config a `#:schema` line; `.git/config` too."""
    (repo / "projledger.toml").write_text(CONFIG, "utf-8")
    (repo / ".git").mkdir()
    (repo / ".git" / "config").write_text(GIT_CONFIG, "utf-8")
    (repo / "archive").mkdir()
    (repo / "archive" / "50100000-0001.toml").write_text(MESSY, "utf-8")  # a record, but not there
    folder = repo / "records" / "2565"
    (folder / "50100000-0009.toml").symlink_to("../../projledger.toml")
    (folder / "config.toml").symlink_to("../../.git/config")
    (folder / "50100000-0001.toml").symlink_to("../../archive/50100000-0001.toml")
    command = ["fmt", "--check"] if check else ["fmt"]
    for args in (command, [*command, "records/2565/config.toml"]):
        result = run(*args)
        assert result.exit_code == 1
        assert (
            "records/2565/config.toml: error [unsafe-path] leads outside the records folder" in result.stderr
        )
        assert "config.toml" not in result.stdout
    result = run(*command)
    for name in ("50100000-0009.toml", "50100000-0001.toml"):
        assert f"records/2565/{name}: error [unsafe-path] leads outside the records folder" in result.stderr
        assert name not in result.stdout
    assert (repo / "projledger.toml").read_text("utf-8") == CONFIG
    assert (repo / ".git" / "config").read_text("utf-8") == GIT_CONFIG
    assert (repo / "archive" / "50100000-0001.toml").read_text("utf-8") == MESSY
    assert (folder / SHIPPED.name).read_bytes().startswith(HEADER) != check  # the record itself: done


def test_a_file_outside_the_records_folder_is_never_rewritten(repo: Path) -> None:
    (repo / "archive").mkdir()
    other = repo / "archive" / "50100000-0001.toml"
    other.write_text(MESSY, "utf-8")
    result = run("fmt", "archive/50100000-0001.toml")
    assert result.exit_code == 1
    assert "archive/50100000-0001.toml: error [unsafe-path] is outside the records folder" in result.stderr
    assert other.read_text("utf-8") == MESSY
    assert run("fmt", "--check", "archive/50100000-0001.toml").stdout == "archive/50100000-0001.toml\n"


@pytest.mark.parametrize("check", [False, True], ids=["fmt", "fmt --check"])
def test_a_toml_file_that_is_no_record_is_reported_not_rewritten(repo: Path, check: bool) -> None:
    """validate's verdict: no `format` key (or an unknown format) is no record; fmt says so."""
    notes = repo / "records" / "2565" / "notes.toml"
    notes.write_text('title = "ประชุม"\nz = 1\na = 2\n', "utf-8")
    future = repo / "records" / "2565" / "50100000-0002.toml"
    future.write_text(MESSY.replace("format = 1", "format = 9"), "utf-8")
    result = run("fmt", "--check") if check else run("fmt")
    assert result.exit_code == 1
    assert (
        "records/2565/notes.toml:1: error [format-version] format: the required key 'format' is missing"
        in result.stderr
    )
    assert (
        "records/2565/50100000-0002.toml:3: error [format-version] format: format 9 is not" in result.stderr
    )
    assert "notes.toml" not in result.stdout and "50100000-0002" not in result.stdout
    assert notes.read_text("utf-8") == 'title = "ประชุม"\nz = 1\na = 2\n'


def test_a_link_to_a_record_inside_the_folder_is_laid_out_once(repo: Path) -> None:
    """Decided: the file is rewritten once, under the name the walk meets first; the link stays a link."""
    folder = repo / "records" / "2565"
    (folder / "same.toml").symlink_to(SHIPPED.name)
    path = folder / SHIPPED.name
    result = run("fmt")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "records/2565/01000000-2475.toml\n"
    assert "1 of 2 files changed" in result.stderr
    assert path.read_bytes() == HEADER + SPEC.read_bytes()
    assert (folder / "same.toml").is_symlink()
    assert run("fmt", "--check", "records/2565/same.toml", str(path)).stdout == ""
