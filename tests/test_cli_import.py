"""``projledger import`` end to end: the shipped printout, refusals, --stdout, --force, round trip."""

from __future__ import annotations

import subprocess
import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from projledger.core.check import check_file
from projledger.core.config import load_config

from conftest import DATA, LEGACY_PRINTOUT, SHIPPED, installed, run

TARGET = Path("records/2565/01000000-2475.toml")
LEGACY = DATA / "legacy"


def _load(path: Path) -> dict[str, object]:
    return tomllib.loads(path.read_text("utf-8"), parse_float=Decimal)


def test_import_writes_a_record_that_validates(empty_repo: Path) -> None:
    result = run("import", str(LEGACY_PRINTOUT))
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert "wrote records/2565/01000000-2475.toml (12 reports)" in result.stderr
    checked = check_file(TARGET, load_config(empty_repo), date(2026, 11, 25))
    assert checked.ok, checked.findings
    assert [f.rule for f in checked.findings] == ["progress-dip"]  # the spec's one warning
    data, spec = _load(TARGET), _load(SHIPPED)
    for key in ("code", "name", "fiscal_year", "start", "end", "budget", "agency"):
        assert data[key] == spec[key]
    assert TARGET.read_text("utf-8").startswith("#:schema ../../schemas/project.schema.json\n")
    assert "[[reports]]" in TARGET.read_text("utf-8")


def test_imported_record_is_already_in_canonical_layout(empty_repo: Path) -> None:
    for source in [LEGACY_PRINTOUT, *sorted(LEGACY.glob("*.txt"))]:
        run("import", "--force", "--partial", str(source))
    result = run("fmt", "--check")
    assert result.exit_code == 0, result.stdout + result.stderr


def test_import_refuses_to_overwrite_without_force(empty_repo: Path) -> None:
    assert run("import", str(LEGACY_PRINTOUT)).exit_code == 0
    TARGET.write_text("kept", "utf-8")
    result = run("import", str(LEGACY_PRINTOUT))
    assert result.exit_code == 1
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert TARGET.read_text("utf-8") == "kept"
    assert run("import", str(LEGACY_PRINTOUT)).exit_code == 1
    TARGET.write_text(SHIPPED.read_text("utf-8").replace("progress = 92.0", "progress = 91.0"), "utf-8")
    forced = run("import", str(LEGACY_PRINTOUT), "--force")
    assert forced.exit_code == 0, forced.stderr
    assert _load(TARGET)["reports"][-1]["progress"] == Decimal("92.00")  # the printout's value replaces


def test_import_stdout_writes_nothing(empty_repo: Path) -> None:
    result = run("import", str(LEGACY_PRINTOUT), "--stdout")
    assert result.exit_code == 0
    assert not TARGET.exists()
    data = tomllib.loads(result.stdout, parse_float=Decimal)
    assert data["code"] == "01000000-2475" and len(data["reports"]) == 12


def test_import_records_option(empty_repo: Path) -> None:
    result = run("import", str(LEGACY_PRINTOUT), "--records", "elsewhere")
    assert result.exit_code == 0, result.stderr
    assert Path("elsewhere/2565/01000000-2475.toml").is_file()


def test_first_page_missing_names_the_fields_and_writes_nothing(empty_repo: Path) -> None:
    source = LEGACY / "first_page_missing.txt"
    result = run("import", str(source))
    assert result.exit_code == 1
    assert "code, name, fiscal_year, start, end, budget, agency.department" in result.stderr
    assert f"{source}:3: warning [legacy-import]" in result.stderr
    assert not any(Path("records").rglob("*.toml"))


def test_warnings_carry_the_input_line(empty_repo: Path) -> None:
    source = LEGACY / "labels_misspelt.txt"
    result = run("import", str(source), "--partial")  # its report 6 cannot be read
    assert result.exit_code == 0, result.stderr
    assert f"{source}:138: warning [legacy-import] reports[4].plan_status: read the misspelt" in result.stderr
    assert "(11 reports)" in result.stderr


def test_one_bad_file_does_not_stop_the_others(empty_repo: Path) -> None:
    result = run("import", str(LEGACY / "budget_unreadable.txt"), str(LEGACY_PRINTOUT))
    assert result.exit_code == 1
    assert "budget" in result.stderr
    assert TARGET.is_file()


def test_too_large_and_binary_inputs_are_refused(empty_repo: Path) -> None:
    Path("big.txt").write_bytes(b"a" * (1024 * 1024 + 1))
    Path("bin.txt").write_bytes(b"\x00\x01")
    Path("tis.txt").write_bytes("รหัสโครงการ".encode("cp874"))
    for name, words in (("big.txt", "1 MiB"), ("bin.txt", "NUL"), ("tis.txt", "UTF-8")):
        result = run("import", name)
        assert result.exit_code == 1
        assert result.stderr.startswith(f"projledger: {name}") and words in result.stderr


def test_missing_file_is_a_usage_error(empty_repo: Path) -> None:
    assert run("import", "nope.txt").exit_code in (1, 2)


def test_import_refuses_a_record_that_would_not_validate(empty_repo: Path) -> None:
    text = LEGACY_PRINTOUT.read_text("utf-8").replace(
        "= 92.00 % งบประมาณที่เบิกใช้ (ครั้งที่ 11)", "= 192.00 % งบประมาณที่เบิกใช้ (ครั้งที่ 11)"
    )
    Path("p.txt").write_text(text, "utf-8")
    result = run("import", "p.txt")
    assert result.exit_code == 1
    assert "would not pass validate" in result.stderr and "progress" in result.stderr
    assert not TARGET.exists()


@pytest.mark.parametrize("as_of", [None, "31/03/2565"])
def test_round_trip_through_the_commands(repo: Path, as_of: str | None) -> None:
    """show, then import of what show printed, gives the record back (as of a day: its reports then)."""
    args = ["show", "01000000-2475"] + (["--as-of", as_of] if as_of else [])
    shown = run(*args)
    Path("form.txt").write_text(shown.stdout, "utf-8")
    result = run("import", "form.txt", "--stdout")
    assert result.exit_code == 0, result.stderr
    spec = _load(SHIPPED)
    if as_of:
        spec["reports"] = spec["reports"][:6]  # type: ignore[index]
    assert tomllib.loads(result.stdout, parse_float=Decimal) == spec


def test_import_help_has_an_example() -> None:
    result = run("import", "--help")
    assert "Example:" in result.stdout and "--force" in result.stdout


def test_force_never_replaces_a_record_with_one_that_lacks_its_reports(empty_repo: Path) -> None:
    """A printout cut after report 11 must not erase report 12 of the record it would replace."""
    assert run("import", str(LEGACY_PRINTOUT)).exit_code == 0
    record = empty_repo / "records" / "2565" / "01000000-2475.toml"
    before = record.read_bytes()
    short = empty_repo / "short.txt"
    short.write_text(LEGACY_PRINTOUT.read_text("utf-8").split("รายงานครั้งที่12")[0], "utf-8")
    result = run("import", str(short), "--force")
    assert result.exit_code == 1
    line = before.decode().split("\n").index("no = 12")  # the [[reports]] line above it, 1-based
    assert (
        f"{record.relative_to(empty_repo)}:{line}: the record holds report(s) 12 (line {line}) that"
        in result.stderr
    )
    assert record.read_bytes() == before


# --- issue 16.2: the layout that prints each report's figures beside the next report's header ----

RELAID = ["reports_figures_next_header.txt", "reports_figures_mixed.txt"]


@pytest.mark.parametrize("name", RELAID)
def test_a_relaid_printout_imports_to_the_same_record_as_the_plain_one(empty_repo: Path, name: str) -> None:
    assert run("import", str(LEGACY_PRINTOUT)).exit_code == 0
    plain = TARGET.read_bytes()
    TARGET.unlink()
    result = run("import", str(LEGACY / name))
    assert result.exit_code == 0, result.stderr
    assert "wrote records/2565/01000000-2475.toml (12 reports)" in result.stderr
    assert "left out" not in result.stderr and "cannot be read" not in result.stderr
    assert TARGET.read_bytes() == plain
    assert _load(TARGET)["reports"][-1]["event"] == "cancelled"


def test_a_printout_showing_reports_it_cannot_read_is_refused(empty_repo: Path) -> None:
    """Before: every report 'cannot be read', a record with 0 reports written, exit 0."""
    text = (LEGACY / "reports_figures_next_header.txt").read_text("utf-8")
    # Figures without their "(ครั้งที่ N)" cannot be given to any report: 4 and 9 lose theirs.
    for no in (4, 9):
        text = text.replace(f"(ครั้งที่ {no}) =", "=")
    Path("p.txt").write_text(text, "utf-8")
    for extra in ([], ["--stdout"]):
        result = run("import", "p.txt", *extra)
        assert result.exit_code == 1, result.stderr
        assert result.stdout == ""
        refusal = result.stderr.splitlines()[-1]
        assert refusal.startswith(
            "projledger: p.txt:144: cannot import: the printout shows 12 reports but 2 "
        )
        assert (
            "report 4 (line 144: its progress, disbursed, plan_status, target_status cannot be read)"
            in refusal
        )
        assert "report 9 (line 159: " in refusal and "--partial" in refusal
        assert not any(Path("records").rglob("*.toml"))


def test_partial_imports_the_complete_reports_and_names_the_rest(empty_repo: Path) -> None:
    source = LEGACY / "end_cut.txt"
    assert run("import", str(source)).exit_code == 1
    assert not TARGET.exists()
    result = run("import", str(source), "--partial")
    assert result.exit_code == 0, result.stderr
    assert "(11 reports)" in result.stderr
    assert (
        f"{source}: left out 1 of the 12 reports the printout shows (--partial): report 12 (line 151: "
        in result.stderr
    )
    assert [r["no"] for r in _load(TARGET)["reports"]] == list(range(1, 12))  # type: ignore[union-attr]


# --- issue 17.2: a record import cannot read is never replaced -----------------------------------

CONFLICTED = SHIPPED.read_text("utf-8").replace(
    "progress = 92.0\n", "<<<<<<< HEAD\nprogress = 92.0\n=======\nprogress = 93.0\n>>>>>>> theirs\n", 1
)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (CONFLICTED, ":{line}: not valid TOML"),
        (SHIPPED.read_text("utf-8").replace("budget = 3540000.0", 'budget = "3,540,000"'), ":9: budget: "),
        ("", ":1: the file is empty"),
    ],
    ids=["merge-conflict-markers", "not-valid", "empty"],
)
def test_force_never_replaces_a_record_it_cannot_read(empty_repo: Path, content: str, says: str) -> None:
    TARGET.parent.mkdir(parents=True)
    TARGET.write_text(content, "utf-8")
    short = Path("short.txt")
    short.write_text(LEGACY_PRINTOUT.read_text("utf-8").split("รายงานครั้งที่12")[0], "utf-8")
    line = content.split("\n").index("<<<<<<< HEAD") + 1 if "<<<<" in content else 0
    for source in (str(short), str(LEGACY_PRINTOUT)):
        result = run("import", source, "--force", "--partial")
        assert result.exit_code == 1, result.stderr
        refusal = result.stderr.splitlines()[-1]
        assert refusal.startswith(f"projledger: {TARGET}{says.format(line=line)}"), refusal
        assert refusal.endswith("fix it or remove it first; nothing was written)"), refusal
        assert TARGET.read_text("utf-8") == content


# --- issue 17.3: what the printout cannot show, and reports it lacks, are kept or refused --------

EXTRA = (
    SHIPPED.read_text("utf-8")
    .replace(
        "budget = 3540000.0\n",
        "budget = 3540000.0\nplan = [8.0, 16.0, 25.0, 33.0, 41.0, 50.0, 58.0, 66.0, 75.0, 83.0, 91.0, 100.0]\n",
    )
    .replace(
        'coordinator = "คุณปริญดา"\n',
        'coordinator = "คุณปริญดา"\nphone = "0 2224 1234"\nbudget_unit = "11000000"\n',
    )
)


def test_force_keeps_the_fields_the_printout_cannot_show(empty_repo: Path) -> None:
    TARGET.parent.mkdir(parents=True)
    TARGET.write_text(EXTRA, "utf-8")
    status_before = run("status", "01000000-2475", "--as-of", "30/09/2565")
    assert status_before.exit_code == 0, status_before.stderr
    result = run("import", str(LEGACY_PRINTOUT), "--force")
    assert result.exit_code == 0, result.stderr
    assert (
        "records/2565/01000000-2475.toml: kept from the record what the printout cannot show: "
        "plan, agency.phone, agency.budget_unit\n" in result.stderr
    )
    data = _load(TARGET)
    assert data["plan"] == [Decimal(n) for n in ("8.0", "16.0", "25.0", "33.0", "41.0", "50.0", "58.0",
                                                  "66.0", "75.0", "83.0", "91.0", "100.0")]  # fmt: skip
    assert data["agency"]["phone"] == "0 2224 1234"  # type: ignore[index]
    assert data["agency"]["budget_unit"] == "11000000"  # type: ignore[index]
    assert run("status", "01000000-2475", "--as-of", "30/09/2565").stdout == status_before.stdout
    assert run("fmt", "--check").exit_code == 0


@pytest.mark.parametrize(
    ("line_start", "field", "kept"),
    [("ผู้ประสานงาน", "coordinator", "agency.coordinator"), ("ชื่อผู้รับผิดชอบ", "owner", "agency.owner")],
)
def test_force_keeps_a_field_this_printout_lacks(
    empty_repo: Path, tmp_path: Path, line_start: str, field: str, kept: str
) -> None:
    """Not only what the form can never show: a field the form has but this printout lacks (a
    line cut off, left out as illegible) is kept from the record and named, never dropped."""
    TARGET.parent.mkdir(parents=True)
    TARGET.write_text(SHIPPED.read_text("utf-8"), "utf-8")
    value = _load(TARGET)["agency"][field]  # type: ignore[index]
    lines = LEGACY_PRINTOUT.read_text("utf-8").splitlines(keepends=True)
    cut = tmp_path / "cut.txt"
    cut.write_text("".join(line for line in lines if not line.startswith(line_start)), "utf-8")
    assert len(cut.read_text("utf-8")) < len("".join(lines))
    result = run("import", str(cut), "--force")
    assert result.exit_code == 0, result.stderr
    assert f"kept from the record what the printout cannot show: {kept}\n" in result.stderr
    assert _load(TARGET)["agency"][field] == value  # type: ignore[index]


def test_force_over_a_format_2_record_keeps_its_format_and_what_the_form_cannot_show(
    empty_repo: Path, tmp_path: Path
) -> None:
    """A format-2 project's form is the format-1 form plus lines import passes over (the budget
    after transfers, the evaluations): re-importing its own printout over it keeps the record's
    format, kind, budget revisions and evaluations, rather than a format-1 record that fails
    validate for the format-2 keys it kept."""
    TARGET.parent.mkdir(parents=True)
    TARGET.write_text(SHIPPED.read_text("utf-8"), "utf-8")
    assert run("migrate").exit_code == 0
    revised = run(
        "revise-budget", "01000000-2475", "--budget", "3,200,000", "--date", "15/03/2565", "--note", "1/2565"
    )
    assert revised.exit_code == 0, revised.stderr
    scored = run(
        "add-evaluation", "01000000-2475", "--quarter", "4", "--score", "100", "--date", "20/10/2565"
    )
    assert scored.exit_code == 0, scored.stderr
    before = _load(TARGET)
    printout = tmp_path / "form.txt"
    assert run("show", "01000000-2475", "--output", str(printout)).exit_code == 0
    result = run("--lang", "en", "import", str(printout), "--force")
    assert result.exit_code == 0, result.stderr
    assert (
        "kept from the record what the printout cannot show: kind, budget_revisions, evaluations\n"
        in result.stderr
    )
    assert _load(TARGET) == before
    assert run("validate").exit_code == 0


def test_force_over_a_record_with_nothing_extra_says_nothing_kept(empty_repo: Path) -> None:
    assert run("import", str(LEGACY_PRINTOUT)).exit_code == 0
    result = run("import", str(LEGACY_PRINTOUT), "--force")
    assert result.exit_code == 0, result.stderr
    assert "kept" not in result.stderr


def test_reports_of_the_record_the_printout_lacks_are_refused_or_kept_with_partial(empty_repo: Path) -> None:
    """The record has 13 reports, the printout 12: never a silent loss of report 13."""
    thirteen = (
        '\n[[reports]]\nno = 13\ndate = 2022-10-25\nprogress = 92.0\ndisbursed = 0.0\nplan_status = "behind"\n'
        'target_status = "off_target"\nnote = "ปิดโครงการ"\n'
    )
    text = EXTRA.replace('event = "cancelled"\n', "") + thirteen
    TARGET.parent.mkdir(parents=True)
    TARGET.write_text(text, "utf-8")
    before = TARGET.read_bytes()
    line = text.split("\n").index("no = 13")  # the line of its [[reports]], 1-based
    refused = run("import", str(LEGACY_PRINTOUT), "--force")
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[-1] == (
        f"projledger: {TARGET}:{line}: the record holds report(s) 13 (line {line}) that the printout lacks; "
        "replacing it would lose them, so nothing was written (give --partial to keep them from the record)"
    )
    assert TARGET.read_bytes() == before
    # A cancelled report 12 with a report after it would not validate: the printout's 12 says
    # cancelled, so keeping 13 is refused by validate's rule, never written.
    kept = run("import", str(LEGACY_PRINTOUT), "--force", "--partial")
    assert kept.exit_code == 1 and "would not pass validate" in kept.stderr
    assert "after-event" in kept.stderr
    assert TARGET.read_bytes() == before
    uncancelled = LEGACY_PRINTOUT.read_text("utf-8").replace("ยกเลิกโครงการ เนื่องจาก", "เนื่องจาก")
    Path("p.txt").write_text(uncancelled, "utf-8")
    kept = run("import", "p.txt", "--force", "--partial")
    assert kept.exit_code == 0, kept.stderr
    assert (
        "records/2565/01000000-2475.toml: kept report(s) 13 from the record: the printout lacks them"
        in kept.stderr
    )
    assert "(13 reports)" in kept.stderr
    data = _load(TARGET)
    assert [r["no"] for r in data["reports"]] == list(range(1, 14))  # type: ignore[union-attr]
    assert data["reports"][-1]["note"] == "ปิดโครงการ"  # type: ignore[index]
    assert data["agency"]["phone"] == "0 2224 1234"  # type: ignore[index]


def test_the_installed_command_refuses_and_imports_as_a_real_process(tmp_path: Path) -> None:
    """Exit codes as a shell sees them: a shown report unread refuses (1); the re-laid one writes."""
    import os
    import shutil
    import subprocess
    import sys

    command = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert command, "the projledger console script is not installed in this environment"
    (tmp_path / "records").mkdir()

    def call(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [command, "import", *args], cwd=tmp_path, capture_output=True, text=True, timeout=60,
            env={**os.environ, "NO_COLOR": "1"},
        )  # fmt: skip

    refused = call(str(LEGACY / "end_cut.txt"))
    assert refused.returncode == 1 and "report 12 (line 151: " in refused.stderr
    assert not any((tmp_path / "records").rglob("*.toml"))
    written = call(str(LEGACY / "reports_figures_next_header.txt"))
    assert written.returncode == 0, written.stderr
    assert "(12 reports)" in written.stderr
    record = tmp_path / TARGET
    record.write_text(CONFLICTED, "utf-8")
    over = call(str(LEGACY_PRINTOUT), "--force")
    assert over.returncode == 1 and "fix it or remove it first" in over.stderr
    assert record.read_text("utf-8") == CONFLICTED


#: A count as long as Python's int() refuses (over 4,300 digits) where a printout or a KPI page
#: numbers an item, a report or a quarter: (file, text replaced, its replacement).
_THOUSANDS = "9" * 5000
_LAST = ": ไม่เป็นไปตามแผน : ไม่เป็นไปตามเป้าหมาย\n"  # the printout's last line ends so
LONG_COUNTS = {
    "item": (LEGACY_PRINTOUT, "\n2. เพื่อส่งเสริมการศึกษา", f"\n{_THOUSANDS}. เพื่อส่งเสริมการศึกษา"),
    "report-header": (LEGACY_PRINTOUT, _LAST, f"{_LAST}\nรายงานครั้งที่ {_THOUSANDS}\n"),
    "report-figures": (
        LEGACY_PRINTOUT,
        _LAST,
        f"{_LAST}:: ความก้าวหน้าของงานฯ = 5.00 % งบประมาณที่เบิกใช้ (ครั้งที่ {_THOUSANDS}) = 0 บาท{_LAST}",
    ),
    "kpi-quarter-row": (LEGACY / "kpi_5026-2001.txt", "ไตรมาสที่ 1\t", f"ไตรมาสที่ {_THOUSANDS}\t"),
    "kpi-note": (LEGACY / "kpi_5026-2001.txt", "รายงานผลฯ ไตรมาสที่ 1", f"รายงานผลฯ ไตรมาสที่ {_THOUSANDS}"),
}


@pytest.mark.parametrize("case", LONG_COUNTS)
def test_a_count_of_thousands_of_digits_is_text_never_an_internal_error(empty_repo: Path, case: str) -> None:
    """It crashed the import (ValueError: Exceeds the limit (4300 digits)); it is now not a count:
    the rest of the page imports as it did (a KPI table's first row of it is a row that cannot be
    read: refused with its line)."""
    source, old, new = LONG_COUNTS[case]
    text = source.read_text("utf-8")
    assert text.count(old) == 1
    (empty_repo / "page.txt").write_text(text.replace(old, new), "utf-8")
    kpi = ("--fiscal-year", "2564", "--evaluation-date", "1=20/01/2564", "--evaluation-date", "2=20/04/2564",
           "--evaluation-date", "4=20/10/2564") if case.startswith("kpi") else ()  # fmt: skip
    result = run("import", "page.txt", *kpi)
    assert "internal error" not in result.stderr
    if case == "kpi-quarter-row":  # a row of the table that cannot be read: refused, never skipped
        assert result.exit_code == 1 and "page.txt:37: results: '" in result.stderr, result.stderr
        return
    assert result.exit_code == 0, result.stderr
    assert "(12 reports)" in result.stderr if source == LEGACY_PRINTOUT else "5026-2001.toml" in result.stderr


def test_the_installed_command_takes_thousands_of_digits_as_text_or_refuses_them(tmp_path: Path) -> None:
    """A real process: the printout imports (0); a config year of 5,000 digits is one line (1)."""
    (tmp_path / "records").mkdir()
    source, old, new = LONG_COUNTS["item"]
    (tmp_path / "page.txt").write_text(source.read_text("utf-8").replace(old, new), "utf-8")
    imported = installed("import", "page.txt", cwd=tmp_path)
    assert imported.returncode == 0 and "(12 reports)" in imported.stderr, imported.stderr
    (tmp_path / "projledger.toml").write_text(f'[disbursement_targets]\n"{_THOUSANDS}" = [30, 55, 75, 100]\n')
    refused = installed("validate", cwd=tmp_path)
    assert refused.returncode == 1, refused.stderr
    config = (tmp_path / "projledger.toml").resolve()
    says = f"disbursement_targets.{_THOUSANDS}: keys are 'default' or a BE fiscal year such as 2567"
    assert refused.stderr.splitlines() == [f"projledger: {config}: {says}"]


#: Where a record of the printout's code may lie other than where import puts a new one.
ELSEWHERE = {
    "another-fiscal-year": "records/2566/01000000-2475.toml",
    "another-name": "records/2565/copy.toml",
}


@pytest.mark.parametrize("where", ELSEWHERE)
def test_a_record_of_the_code_elsewhere_is_the_one_import_finds(empty_repo: Path, where: str) -> None:
    """import wrote a second record of a code already held by a file in another fiscal year's
    folder or under another name: it now refuses naming that file, and --force replaces that
    file (or refuses naming it: a misnamed file would not pass validate); one record a code."""
    held = Path(ELSEWHERE[where])
    held.parent.mkdir(parents=True)
    held.write_text(SHIPPED.read_text("utf-8").replace("progress = 92.0", "progress = 91.0"), "utf-8")
    result = run("import", str(LEGACY_PRINTOUT))
    assert result.exit_code == 1
    assert f"{held} already exists; nothing was written (use --force to replace it)" in result.stderr
    assert sorted(Path("records").rglob("*.toml")) == [held]
    forced = run("import", str(LEGACY_PRINTOUT), "--force")
    assert sorted(Path("records").rglob("*.toml")) == [held]
    if where == "another-name":
        assert forced.exit_code == 1 and f"{held}:3: code: the file is named 'copy'" in forced.stderr
    else:
        assert forced.exit_code == 0, forced.stderr
        assert f"wrote {held} (12 reports)" in forced.stderr
        assert _load(held)["reports"][-1]["progress"] == Decimal("92.00")  # type: ignore[index]


def test_a_kpi_record_elsewhere_is_the_one_import_finds_and_so_says_the_installed_command(
    tmp_path: Path,
) -> None:
    """The same for a KPI page, through a real process: its record under another fiscal year's
    folder is found (refused, exit 1), and no second record is written."""
    page = LEGACY / "kpi_5026-2001.txt"
    args = ("--fiscal-year", "2564", "--evaluation-date", "1=20/01/2564", "--evaluation-date", "2=2021-04-20",
            "--evaluation-date", "4=20/10/2564")  # fmt: skip

    def call(*more: str) -> subprocess.CompletedProcess[str]:
        return installed("import", str(page), *args, *more, cwd=tmp_path)

    (tmp_path / "records").mkdir()
    assert call().returncode == 0
    (tmp_path / "records/2563/kpi").mkdir(parents=True)
    held = Path("records/2563/kpi/5026-2001.toml")
    (tmp_path / "records/2564/kpi/5026-2001.toml").rename(tmp_path / held)
    again = call()
    assert again.returncode == 1 and f"{held} already exists" in again.stderr, again.stderr
    assert [p.relative_to(tmp_path) for p in (tmp_path / "records").rglob("*.toml")] == [held]
    (tmp_path / "copy.txt").write_text(LEGACY_PRINTOUT.read_text("utf-8"), "utf-8")
    (tmp_path / "records/2565").mkdir()
    (tmp_path / "records/2565/other.toml").write_text(SHIPPED.read_text("utf-8"), "utf-8")
    printout = installed("import", "copy.txt", cwd=tmp_path)
    assert printout.returncode == 1 and "records/2565/other.toml already exists" in printout.stderr
    assert not (tmp_path / TARGET).exists()


_REPORTS_HEADING = "2. รายงานความก้าวหน้าของโครงการและการใช้จ่ายงบประมาณ\n"


@pytest.mark.parametrize(
    ("keep", "says"),
    [
        ("before-heading", ":133: warning [legacy-import] reports: the printout has no reports section (2.)"),
        ("heading", ""),  # a new project's printout (show's of a record without reports): no warning
    ],
)
def test_a_printout_without_reports_imports_with_a_warning_naming_the_line(
    empty_repo: Path, keep: str, says: str
) -> None:
    """A printout cut before its reports table imported with zero reports and said nothing: it
    now imports so with a warning at the file's end; a new project's, whose reports section is
    empty, imports as ever, without one. Neither is refused."""
    text = LEGACY_PRINTOUT.read_text("utf-8")
    cut = text.index(_REPORTS_HEADING) + (len(_REPORTS_HEADING) if keep == "heading" else 0)
    Path("cut.txt").write_text(text[:cut], "utf-8")
    assert text[: text.index(_REPORTS_HEADING)].count("\n") == 132  # the heading is line 133
    result = run("import", "cut.txt")
    assert result.exit_code == 0, result.stderr
    assert "wrote records/2565/01000000-2475.toml (0 reports)" in result.stderr
    assert (f"cut.txt{says}" in result.stderr) if says else "] reports:" not in result.stderr
    assert "reports" not in _load(TARGET)


def test_a_kpi_page_whose_first_row_cannot_be_read_is_refused_by_the_installed_command(
    tmp_path: Path,
) -> None:
    """A quarterly table whose first row lost its quarter word ('1 30.12 100 / 100') ended the
    table: every row after it was skipped as text outside any field, and the page imported with
    no results, exit 0. A line of the table before its first row is now a row that cannot be
    read: refused with its line (README: never skipped), nothing written; a real process."""
    page = (LEGACY / "kpi_5026-2001.txt").read_text("utf-8")
    assert page.count("\nไตรมาสที่ 1\t30.12") == 1
    (tmp_path / "page.txt").write_text(page.replace("\nไตรมาสที่ 1\t30.12", "\n1\t30.12"), "utf-8")
    (tmp_path / "records").mkdir()
    real = installed(
        "import", "page.txt", "--fiscal-year", "2564", "--evaluation-date", "1=20/01/2564",
        "--evaluation-date", "2=20/04/2564", "--evaluation-date", "4=20/10/2564", cwd=tmp_path,
    )  # fmt: skip
    assert real.returncode == 1, real.stderr
    assert "page.txt:37: results: '1 30.12 100 / 100' cannot be read as a quarter's row" in real.stderr
    assert not any((tmp_path / "records").rglob("*.toml"))
