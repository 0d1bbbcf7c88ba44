"""Property and fuzz tests: arbitrary text and mangled files never crash a command.

- any text (every Unicode category hypothesis draws: controls, bidi marks, combining Thai
  marks, emoji, NUL, lone SARA AM...) in every text field of a record: validate, status,
  summary and show exit 0 or 1, never 3, and print no raw control character;
- a record's bytes mutated (lines dropped, duplicated, cut, characters flipped): validate
  gives findings, never a crash;
- a legacy printout mutated the same ways: import exits 0 or 1, never 3, and what it writes
  passes validate.

Every test here is marked ``fuzz``. ``make test`` runs them with the short profile (a few
dozen examples each, marked slow too); ``make fuzz`` runs them with ``PROJLEDGER_FUZZ=long`` (thousands).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import LEGACY_PRINTOUT, run

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]

LONG = os.environ.get("PROJLEDGER_FUZZ") == "long"
FUZZ = settings(
    max_examples=2000 if LONG else 25,
    deadline=None,
    derandomize=not LONG,  # the short run is the same every time: CI stays deterministic
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
AS_OF = "2024-09-30"
CODE = "50100000-0001"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
BASE = (Path(__file__).parent / "data" / "bad" / "base.toml").read_text("utf-8")

#: Text that is worst for us: anything, biased towards controls, bidi marks and Thai.
NASTY = st.sampled_from(
    ["\x1b]0;x\x07", "\x1b[2J", "\u202e", "\u2066", "\x00", "\r", "\r\n", "\x85", "\u2028", "\ufeff",
     "\u0e4d\u0e32", "\u0e33", "\u0e49", "๑๒", '"""', "'''", "\\", "=", "@", "\t", "[[reports]]", " "]
)  # fmt: skip
TEXT = st.lists(st.one_of(st.text(max_size=20), NASTY), max_size=6).map("".join)
NON_BLANK = TEXT.filter(lambda s: s.strip() != "")


@contextlib.contextmanager
def repository() -> Iterator[Path]:
    """A fresh records repository as the working folder (hypothesis runs many in one test)."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "records" / "2567").mkdir(parents=True)
        os.chdir(root)
        try:
            yield root
        finally:
            os.chdir(here)


def no_crash(result: Any, args: tuple[str, ...], codes: tuple[int, ...] = (0, 1)) -> None:
    assert result.exit_code in codes, (args, result.exit_code, result.stderr)
    assert "internal error" not in result.stderr, (args, result.stderr)
    found = UNSAFE.findall(result.stdout + result.stderr)
    assert not found, (args, found)


def record_with(texts: dict[str, Any]) -> str:
    data: dict[str, Any] = {
        "format": 1,
        "code": CODE,
        "name": texts["name"],
        "plan_ref": texts["plan_ref"],
        "fiscal_year": 2567,
        "start": "START",
        "end": "END",
        "budget": 120000,
        "agency": texts["agency"],
        "details": texts["details"],
        "strategy": texts["strategy"],
    }
    text = tomli_w.dumps(data, multiline_strings=True)
    text = text.replace('"START"', "2023-10-01").replace('"END"', "2024-09-30")
    for n, note in enumerate(texts["notes"], start=1):
        report = {"no": n, "progress": 10 * n, "disbursed": 1000 * n, "plan_status": "on_plan",
                  "target_status": "on_target", "note": note}  # fmt: skip
        text += f"\n[[reports]]\ndate = 2023-{9 + n:02d}-25\n" + tomli_w.dumps(report, multiline_strings=True)
    return text


FIELDS = st.fixed_dictionaries(
    {
        "name": NON_BLANK,
        "plan_ref": TEXT,
        "agency": st.fixed_dictionaries(
            {"department": NON_BLANK},
            optional={"division": TEXT, "unit": TEXT, "owner": TEXT, "coordinator": TEXT, "phone": TEXT},
        ),
        "details": st.fixed_dictionaries(
            {},
            optional={
                "rationale": TEXT,
                "objectives": st.lists(TEXT, max_size=3),
                "targets": st.lists(TEXT, max_size=3),
            },
        ),
        "strategy": st.fixed_dictionaries(
            {}, optional={"issue": TEXT, "sub_issue": TEXT, "goal": TEXT, "kpi": TEXT}
        ),
        "notes": st.lists(NON_BLANK, min_size=0, max_size=3),
    }
)

READERS = (
    ("validate", "--as-of", AS_OF),
    ("validate", "--format", "json", "--as-of", AS_OF),
    ("status", "--as-of", AS_OF),
    ("status", "--format", "csv", "--as-of", AS_OF),
    ("status", CODE, "--as-of", AS_OF),
    ("summary", "--by", "strategy", "--as-of", AS_OF),
    ("show", CODE, "--as-of", AS_OF),
)


@FUZZ
@given(FIELDS)
def test_any_text_in_every_field_never_crashes_a_reader(texts: dict[str, Any]) -> None:
    with repository() as root:
        (root / "records" / "2567" / f"{CODE}.toml").write_text(record_with(texts), "utf-8")
        checked = run("validate", "--as-of", AS_OF)
        assert checked.exit_code in (0, 1)
        for args in READERS:
            no_crash(run(*args), args)


@FUZZ
@given(FIELDS.map(lambda t: t["notes"]), NON_BLANK)
def test_any_note_can_be_added_and_reads_back(notes: list[str], note: str) -> None:
    from projledger.core.text import nfc

    with repository() as root:
        path = root / "records" / "2567" / f"{CODE}.toml"
        path.write_text(BASE, "utf-8")
        args = ("add-report", CODE, "--date", "2023-11-24", "--progress", "20", "--note", note)
        result = run(*args)
        no_crash(result, args, (0, 1, 2))  # 2: a NUL cannot be an argument (nor is one in a real argv)
        if result.exit_code == 0:
            import tomllib

            stored = tomllib.loads(path.read_text("utf-8"))["reports"][-1]["note"]
            assert (
                stored == nfc(note).replace("\r\n", "\n").replace("\r", "\n").strip()
            )  # Windows line ends stored as \n
            assert run("validate", "--as-of", AS_OF).exit_code == 0
        else:
            assert path.read_text("utf-8") == BASE


# --- mutations of whole files ---------------------------------------------------------------------


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` with a few lines dropped, duplicated, cut or swapped, and characters flipped."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(0, 6))):
        if not lines:
            break
        at = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["drop", "duplicate", "cut", "flip", "swap", "insert"]))
        if how == "drop":
            del lines[at]
        elif how == "duplicate":
            lines.insert(at, lines[at])
        elif how == "cut":
            lines[at] = lines[at][: draw(st.integers(0, max(0, len(lines[at]))))]
        elif how == "flip" and lines[at]:
            i = draw(st.integers(0, len(lines[at]) - 1))
            lines[at] = lines[at][:i] + draw(st.one_of(st.characters(), NASTY)) + lines[at][i + 1 :]
        elif how == "swap":
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        elif how == "insert":
            lines.insert(at, draw(TEXT))
    return "\n".join(lines)


@FUZZ
@given(mutated(BASE))
def test_a_mangled_record_never_crashes_validate(text: str) -> None:
    with repository() as root:
        (root / "records" / "2567" / f"{CODE}.toml").write_text(text, "utf-8", errors="surrogatepass")
        for args in (("validate", "--as-of", AS_OF), ("status", "--as-of", AS_OF), ("fmt", "--check")):
            no_crash(run(*args), args)


PRINTOUT = LEGACY_PRINTOUT.read_text("utf-8")


@FUZZ
@given(mutated(PRINTOUT))
def test_a_mangled_printout_never_crashes_import(text: str) -> None:
    with repository() as root:
        printout = root / "printout.txt"
        printout.write_text(text, "utf-8", errors="surrogatepass")
        result = run("import", str(printout))
        assert result.exit_code in (0, 1), (result.exit_code, result.stderr)
        assert "internal error" not in result.stderr, result.stderr
        written = sorted((root / "records").rglob("*.toml"))
        if result.exit_code == 0:
            assert written, "exit 0 means a record was written"
            check = run("validate", *map(str, written))
            assert check.exit_code == 0, check.stdout
        for path in written:
            assert run("show", str(path)).exit_code in (0, 1)


# --- what clerks type --------------------------------------------------------------------------------

TYPED = st.one_of(
    TEXT,
    st.from_regex(r"[๐-๙0-9,.\-+eE%/ ]{0,14}", fullmatch=True),
    st.sampled_from(
        ["nan", "Infinity", "sNaN", "1e999999999", "-0", "0.005", "๑,๒๕๐.๕๐", "31/02/2565", "2565-10-01"]
    ),
)


@FUZZ
@given(day=TYPED, progress=TYPED, disbursed=TYPED, number=TYPED)
def test_anything_typed_into_add_report_is_refused_or_stored_valid(
    day: str, progress: str, disbursed: str, number: str
) -> None:
    with repository() as root:
        path = root / "records" / "2567" / f"{CODE}.toml"
        path.write_text(BASE, "utf-8")
        args = ("add-report", CODE, "--date", day, "--progress", progress, "--disbursed", disbursed,
                "--no", number, "--note", "งาน")  # fmt: skip
        result = run(*args)
        no_crash(result, args, (0, 1, 2))
        if result.exit_code == 0:
            assert run("validate", "--as-of", "2099-01-01").exit_code == 0
        else:
            assert path.read_text("utf-8") == BASE


@FUZZ
@given(name=TEXT, year=TYPED, start=TYPED, end=TYPED, budget=TYPED)
def test_anything_typed_into_new_is_refused_or_stored_valid(
    name: str, year: str, start: str, end: str, budget: str
) -> None:
    with repository() as root:
        args = ("new", "50100000-0002", "--name", name, "--fiscal-year", year, "--start", start, "--end", end,
                "--budget", budget, "--department", "เขต")  # fmt: skip
        result = run(*args)
        no_crash(result, args, (0, 1, 2))
        written = list((root / "records").rglob("*.toml"))
        if result.exit_code == 0:
            assert len(written) == 1
            assert run("validate", "--as-of", "2099-01-01").exit_code == 0
        else:
            assert written == []


@FUZZ
@given(st.data())
def test_a_mangled_sheet_never_crashes_sheet_import(data: st.DataObject) -> None:
    from projledger.main import COMMANDS

    if "sheet" not in COMMANDS:
        pytest.skip("sheet is not registered yet")
    with repository() as root:
        path = root / "records" / "2567" / f"{CODE}.toml"
        path.write_text(BASE, "utf-8")
        sheet = root / "month.csv"
        assert (
            run(
                "sheet", "export", "--month", "11/2566", "--output", str(sheet), "--as-of", "2023-12-01"
            ).exit_code
            == 0
        )
        rows = list(csv.reader(io.StringIO(sheet.read_text("utf-8-sig"))))
        keys = [h.rsplit("(", 1)[-1].rstrip(")") for h in rows[0]]
        assert len(rows) == 2, rows
        row = dict(zip(keys, rows[1], strict=True)) | {"date": "24/11/2566", "progress": "20", "note": "งาน"}
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([rows[0], [row[k] for k in keys]])
        sheet.write_text(out.getvalue(), "utf-8")
        clean = run("sheet", "import", str(sheet), "--dry-run", "--as-of", "2023-12-01")
        assert clean.exit_code == 0, clean.stderr  # unmangled, the sheet is good
        sheet.write_text(data.draw(mutated(out.getvalue())), "utf-8", errors="surrogatepass")
        result = run("sheet", "import", str(sheet), "--as-of", "2023-12-01")
        no_crash(result, ("sheet", "import"))
        if result.exit_code == 0:
            assert run("validate", "--as-of", "2023-12-01").exit_code == 0
        else:
            assert path.read_text("utf-8") == BASE


CONFIG = """records = "records"
tolerance = 10
language = "th"
code_pattern = '^[0-9]{8}-[0-9]{4,}$'

[disbursement_targets]
default = [32, 54, 77, 100]
2567 = [30, 50, 75, 100]
"""


@FUZZ
@given(mutated(CONFIG))
def test_a_mangled_config_never_crashes_a_command(text: str) -> None:
    with repository() as root:
        (root / "records" / "2567" / f"{CODE}.toml").write_text(BASE, "utf-8")
        (root / "projledger.toml").write_text(text, "utf-8", errors="surrogatepass")
        for args in (
            ("validate", "--as-of", AS_OF),
            ("status", "--as-of", AS_OF),
            ("summary", "--by", "quarter"),
        ):
            result = run(*args)
            no_crash(result, args)
            if result.exit_code == 1 and not result.stdout:
                assert len(result.stderr.splitlines()) == 1 and "projledger.toml" in result.stderr, (
                    result.stderr
                )
