"""``projledger import`` end to end: the shipped printout, refusals, --stdout, --force, round trip."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from projledger.core.check import check_file
from projledger.core.config import load_config

from conftest import DATA, LEGACY_PRINTOUT, SHIPPED, run

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
    assert "holds report(s) 12 (line 150) that the printout lacks" in result.stderr
    assert record.read_bytes() == before
