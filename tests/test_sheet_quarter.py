"""``sheet export --quarter`` and ``sheet import`` of the quarterly sheet (format 2): a row per
KPI for its cumulative result and its evaluation, a row per format-2 project for its evaluation;
the import appends through the one checked writer, all or nothing, and twice changes nothing."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from projledger.core.sheet.columns import QUARTER_COLUMNS, QUARTER_TITLE

from conftest import DATA, run

FORMAT2 = DATA / "format2"
KPI, PROJECT = "5026-2001", "01000000-2475"
KEYS = [c.key for c in QUARTER_COLUMNS]


@pytest.fixture
def f2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "records" / "2565"
    (folder / "kpi").mkdir(parents=True)
    shutil.copy(FORMAT2 / f"{PROJECT}.toml", folder)
    shutil.copy(FORMAT2 / "kpi" / f"{KPI}.toml", folder / "kpi")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def records(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (root / "records").rglob("*.toml")}


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.reader(handle))
    assert [h.rsplit("(", 1)[1].rstrip(")") for h in lines[0]] == KEYS
    return [dict(zip(KEYS, line, strict=True)) for line in lines[1:]]


def write_csv(path: Path, lines: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.header for c in QUARTER_COLUMNS])
        writer.writerows([[line.get(k, "") for k in KEYS] for line in lines])


def export(root: Path, name: str = "q3.csv", *extra: str) -> Path:
    result = run("sheet", "export", "--quarter", "3", "--fiscal-year", "2565", "--output", name, *extra)
    assert result.exit_code == 0, result.stderr
    return root / name


def test_export_a_row_per_kpi_and_per_format2_project(f2: Path) -> None:
    result = run("sheet", "export", "--quarter", "3", "--fiscal-year", "2565", "--output", "q3.csv")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "projledger: wrote 2 rows for quarter 3 of fiscal year 2565 to q3.csv\n"
    kpi, project = read_csv(f2 / "q3.csv")
    assert (kpi["code"], kpi["unit"], kpi["target"], kpi["quarter"]) == (KPI, "ร้อยละ", "100", "3")
    assert kpi["so_far"] == "ไตรมาส 1: 20.5 · ไตรมาส 2: 45.5"
    assert kpi["name"] == "ความสำเร็จของการเบิกจ่ายงบประมาณในภาพรวม"
    assert (project["code"], project["record"], project["quarter"]) == (PROJECT, "โครงการ", "3")
    assert all(kpi[k] == "" for k in ("value", "date", "note", "score", "full_score", "evaluation_date"))


def test_export_leaves_out_format1_projects_and_other_years(f2: Path) -> None:
    (f2 / "records" / "2566").mkdir()
    assert [line["code"] for line in read_csv(export(f2))] == [KPI, PROJECT]
    none = run("sheet", "export", "--quarter", "1", "--fiscal-year", "2566", "--output", "none.csv")
    assert none.exit_code == 0 and read_csv(f2 / "none.csv") == []
    assert "wrote 0 rows" in none.stderr


def test_export_in_thai_by_default(f2: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROJLEDGER_LANG")
    result = run("sheet", "export", "--quarter", "3", "--fiscal-year", "2565", "--output", "q3.csv")
    assert result.stderr == "projledger: เขียน 2 แถวของไตรมาสที่ 3 ปีงบประมาณ 2565 ลงใน q3.csv\n"


def test_export_xlsx_has_the_quarterly_sheet_with_context_locked(f2: Path) -> None:
    book = load_workbook(export(f2, "q3.xlsx"))
    sheet = book[QUARTER_TITLE]
    assert sheet.protection.sheet
    header = [c.value for c in sheet[1]]
    assert header == [c.header for c in QUARTER_COLUMNS]
    assert sheet["A2"].value == KPI and sheet["A2"].protection.locked
    assert not sheet["I2"].protection.locked  # value: the clerk fills it
    assert any("I2" in str(v.sqref) for v in sheet.data_validations.dataValidation)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--quarter", "3", "--month", "10/2565"), "drop --month"),
        (("--quarter", "5"), "5"),
        (("--quarter", "2", "--fiscal-year", "2565", "--fiscal-year", "2566"), "one --fiscal-year"),
        (("--quarter", "2", "--new"), "--new"),
    ],
)
def test_export_usage_errors(f2: Path, args: tuple[str, ...], message: str) -> None:
    result = run("sheet", "export", *args, "--output", "x.csv")
    assert result.exit_code == 2 and message in result.stderr
    assert not (f2 / "x.csv").exists()


def _filled(f2: Path) -> Path:
    kpi, project = read_csv(export(f2))
    kpi |= {"value": "70.25", "date": "25/07/2565", "note": "เบิกจ่ายไตรมาส 3", "score": "90",
            "full_score": "100", "evaluation_date": "31/07/2565"}  # fmt: skip
    project |= {"score": "95", "evaluation_date": "05/07/2565"}
    path = f2 / "filled.csv"
    write_csv(path, [kpi, project])
    return path


def test_import_appends_results_and_evaluations_and_twice_adds_nothing(f2: Path) -> None:
    before = records(f2)
    filled = _filled(f2)
    dry = run("sheet", "import", str(filled), "--dry-run")
    assert dry.exit_code == 0 and records(f2) == before
    assert "[[results]]\nquarter = 3\nvalue = 70.25" in dry.stdout
    result = run("sheet", "import", str(filled))
    assert result.exit_code == 0, result.stderr
    assert "2 result or evaluation rows written, 0 already there" in result.stderr
    after = records(f2)
    added = after[f"{KPI}.toml"][len(before[f"{KPI}.toml"]) :].decode("utf-8")
    assert after[f"{KPI}.toml"].startswith(before[f"{KPI}.toml"])
    assert added == (
        '\n[[results]]\nquarter = 3\nvalue = 70.25\ndate = 2022-07-25\nnote = "เบิกจ่ายไตรมาส 3"\n'
        "\n[[evaluations]]\nquarter = 3\nscore = 90\nfull_score = 100\ndate = 2022-07-31\n"
    )
    assert after[f"{PROJECT}.toml"] == before[f"{PROJECT}.toml"] + (
        b"\n[[evaluations]]\nquarter = 3\nscore = 95\ndate = 2022-07-05\n"
    )
    assert run("validate").exit_code == 0
    again = run("sheet", "import", str(filled))
    assert again.exit_code == 0
    assert "0 result or evaluation rows written, 2 already there" in again.stderr
    assert records(f2) == after


def test_text_typed_in_another_unicode_form_is_already_there_the_second_time(f2: Path) -> None:
    """Notes are stored in NFC with SARA AM as one code point (``text.nfc``); a sheet whose note
    spells น้ำ as NIKHAHIT + SARA AA (as text copied from a PDF does) or é as e + an accent is the
    same note the second time, not a differing one."""
    kpi, _ = read_csv(export(f2))
    note = " ระดับน\u0e49\u0e4d\u0e32 cafe\u0301 "
    write_csv(f2 / "q3.csv", [kpi | {"value": "70.25", "date": "25/07/2565", "note": note}])
    first = run("sheet", "import", "q3.csv")
    assert first.exit_code == 0, first.stderr
    assert 'note = "ระดับน\u0e49\u0e33 caf\u00e9"' in (f2 / "records/2565/kpi" / f"{KPI}.toml").read_text(
        "utf-8"
    )
    after = records(f2)
    again = run("sheet", "import", "q3.csv")
    assert again.exit_code == 0, again.stderr
    assert "0 result or evaluation rows written, 1 already there" in again.stderr and records(f2) == after


def test_a_bad_row_writes_nothing_and_every_bad_row_is_named(f2: Path) -> None:
    before = records(f2)
    kpi, project = read_csv(export(f2))
    kpi |= {"value": "88", "score": "120", "full_score": "100", "evaluation_date": "31/07/2565"}
    project |= {"score": "95"}
    lines = [
        kpi, project,
        {"code": "9999-0001", "quarter": "2", "value": "5"},
        {"code": KPI, "quarter": "9", "value": "5"},
        {"code": PROJECT, "quarter": "4", "value": "5"},
        {"code": KPI, "quarter": "4", "value": "abc"},
    ]  # fmt: skip
    write_csv(f2 / "bad.csv", lines)
    result = run("sheet", "import", "bad.csv")
    assert result.exit_code == 1
    assert records(f2) == before
    lines_out = result.stderr.splitlines()
    assert lines_out[:6] == [
        "bad.csv:2:L: score: score 120 is above the full score of 100",
        "bad.csv:3:N: evaluation_date: is empty; an evaluation needs its date",
        "bad.csv:4:A: code: no record for 9999-0001 under " + str(f2 / "records"),
        "bad.csv:5:H: quarter: quarter 9 is not 1, 2, 3 or 4",
        "bad.csv:6:I: value: a project record has no [[results]]: they belong to a kpi record; nothing was written",
        "bad.csv:7:I: value: 'abc' is not a number: write 2,419.97 or 94.73",
    ]
    assert "6 rows failed (2, 3, 4, 5, 6, 7), so nothing was written" in lines_out[-1]


def test_a_row_that_differs_from_what_is_there_is_refused(f2: Path) -> None:
    kpi, _ = read_csv(export(f2))
    write_csv(
        f2 / "q2.csv", [kpi | {"quarter": "2", "value": "46", "date": "25/04/2565", "note": "เบิกจ่ายตามแผน"}]
    )
    before = records(f2)
    result = run("sheet", "import", "q2.csv")
    assert result.exit_code == 1 and records(f2) == before
    assert "bad.csv" not in result.stderr
    assert (
        "q2.csv:2:I: value: quarter 2 already has its result in records/2565/kpi/5026-2001.toml with value 45.5"
        in result.stderr
    )
    # The same result as the record's is already there: nothing to do.
    write_csv(
        f2 / "same.csv",
        [kpi | {"quarter": "2", "value": "45.5", "date": "25/04/2565", "note": "เบิกจ่ายตามแผน"}],
    )
    same = run("sheet", "import", "same.csv")
    assert same.exit_code == 0 and "1 already there" in same.stderr and records(f2) == before


def test_import_of_a_filled_xlsx(f2: Path) -> None:
    path = export(f2, "q3.xlsx")
    book = load_workbook(path)
    sheet = book[QUARTER_TITLE]
    sheet["I2"], sheet["J2"], sheet["L2"], sheet["N2"] = 70.25, "25/07/2565", 90, "31/07/2565"
    book.save(path)
    result = run("sheet", "import", "q3.xlsx")
    assert result.exit_code == 0, result.stderr
    text = (f2 / "records" / "2565" / "kpi" / f"{KPI}.toml").read_text("utf-8")
    assert text.endswith(
        "[[results]]\nquarter = 3\nvalue = 70.25\ndate = 2022-07-25\n\n[[evaluations]]\nquarter = 3\nscore = 90\ndate = 2022-07-31\n"
    )


def test_a_value_or_score_typed_with_percent_in_a_csv_is_read_as_in_an_xlsx(f2: Path) -> None:
    """Excel saves a cell typed 71.85% to CSV as the text '71.85%': it was refused ('is not a
    number') where the same cell in the xlsx, and a progress typed '45%', were read."""
    path = export(f2)
    kpi, _project = read_csv(path)
    write_csv(
        path,
        [kpi | {"value": "71.85%", "date": "25/07/2565", "score": "90%", "evaluation_date": "31/07/2565"}],
    )
    result = run("sheet", "import", str(path))
    assert result.exit_code == 0, result.stderr
    text = (f2 / "records" / "2565" / "kpi" / f"{KPI}.toml").read_text("utf-8")
    assert "[[results]]\nquarter = 3\nvalue = 71.85\n" in text and "quarter = 3\nscore = 90\n" in text
    assert run("add-result", KPI, "--quarter", "4", "--value", "๘๐%", "--date", "25/10/2565").exit_code == 0


@pytest.mark.slow
def test_the_installed_command_round_trips_the_quarterly_sheet_in_thai(f2: Path) -> None:
    """A real process (Thai, the default): export, fill, import twice; and the site's KPI page."""
    import os
    import subprocess
    import sys

    command = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert command
    env = {k: v for k, v in os.environ.items() if k != "PROJLEDGER_LANG"} | {"NO_COLOR": "1"}

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([command, *args], cwd=f2, capture_output=True, text=True, timeout=120, env=env)

    exported = call("sheet", "export", "--quarter", "3", "--fiscal-year", "2565", "--output", "q3.csv")
    assert exported.returncode == 0, exported.stderr
    assert exported.stderr == "projledger: เขียน 2 แถวของไตรมาสที่ 3 ปีงบประมาณ 2565 ลงใน q3.csv\n"
    kpi, project = read_csv(f2 / "q3.csv")
    write_csv(f2 / "filled.csv", [kpi | {"value": "70.25", "date": "25/07/2565"}, project])
    first = call("sheet", "import", "filled.csv")
    assert first.returncode == 0, first.stderr
    after = records(f2)
    second = call("sheet", "import", "filled.csv")
    assert second.returncode == 0 and records(f2) == after
    write_csv(f2 / "bad.csv", [kpi | {"quarter": "9", "value": "1"}])
    bad = call("sheet", "import", "bad.csv")
    assert bad.returncode == 1 and "bad.csv:2:H: quarter: ไตรมาสที่ 9 ไม่ใช่ 1, 2, 3 หรือ 4" in bad.stderr
    assert records(f2) == after
    site = call("site", "--as-of", "2022-09-30")
    assert site.returncode == 0, site.stderr
    html = (f2 / "_site" / "kpis" / f"{KPI}.html").read_text("utf-8")
    assert 'data-figure="achieved">70.25 (ไตรมาส 3)' in html
