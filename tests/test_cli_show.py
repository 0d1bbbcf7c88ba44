"""``projledger show`` end to end: text and HTML, by code and by path, --as-of, --output."""

from __future__ import annotations

from pathlib import Path

from conftest import run

RECORD = "records/2565/01000000-2475.toml"


def test_show_by_code_prints_the_text_form(repo: Path) -> None:
    result = run("show", "01000000-2475")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert out.startswith("**** แบบแสดงรายงานความก้าวหน้าและข้อมูลเกี่ยวกับโครงการ ****\n")
    assert "รหัสโครงการ : 01000000-2475\n" in out
    assert "งบประมาณที่ได้รับ : 3,540,000 บาท\n" in out
    assert (
        "รายงานครั้งที่2 :: 24/11/2564 : อยู่ระหว่างการวางแผนการปฏิบัติงาน :: ความก้าวหน้าของงานฯ = 8.00 % "
        "งบประมาณที่เบิกใช้ (ครั้งที่ 2) = 0 บาท : เป็นไปตามแผนแต่ควรติดตาม : เป็นไปตามเป้าหมาย\n"
    ) in out
    assert out.count("\nรายงานครั้งที่") == 12


def test_show_by_path_equals_show_by_code(repo: Path) -> None:
    assert run("show", RECORD).stdout == run("show", "01000000-2475").stdout


def test_show_as_of_shows_only_the_reports_filed_by_then(repo: Path) -> None:
    result = run("show", "01000000-2475", "--as-of", "31/03/2565")
    assert result.exit_code == 0
    assert result.stdout.count("\nรายงานครั้งที่") == 6
    assert "รายงานครั้งที่7" not in result.stdout


def test_show_html_to_a_file(repo: Path) -> None:
    result = run("show", "01000000-2475", "--format", "html", "--output", "form.html")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    page = Path("form.html").read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page and "@page { size: A4" in page
    assert page.count('<section class="report">') == 12


def test_show_html_to_stdout(repo: Path) -> None:
    result = run("show", "01000000-2475", "--format", "html")
    assert result.exit_code == 0
    assert result.stdout.startswith("<!DOCTYPE html>")


def test_show_unknown_code_is_a_one_line_error(repo: Path) -> None:
    result = run("show", "01000000-9999")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("projledger: ") and "01000000-9999" in result.stderr
    assert result.stderr.count("\n") == 1


def test_show_broken_record_names_file_and_line(repo: Path) -> None:
    Path(RECORD).write_text('format = 1\ncode = "01000000-2475"\nname = \n', "utf-8")
    result = run("show", RECORD)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"projledger: {RECORD}:3: ")


def test_show_record_missing_required_keys_is_refused(repo: Path) -> None:
    Path(RECORD).write_text('format = 1\ncode = "01000000-2475"\n', "utf-8")
    result = run("show", RECORD)
    assert result.exit_code == 1
    assert "validate" in result.stderr


def test_show_bad_format_is_a_usage_error(repo: Path) -> None:
    assert run("show", "01000000-2475", "--format", "pdf").exit_code == 2


def test_show_help_has_an_example() -> None:
    result = run("show", "--help")
    assert "Example:" in result.stdout and "--as-of" in result.stdout
