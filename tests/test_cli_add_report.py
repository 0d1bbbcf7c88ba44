"""``projledger add-report``: one block appended, every earlier byte kept, or nothing at all."""

from __future__ import annotations

import shutil
import unicodedata
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli
import tomli_w
from click.testing import Result
from hypothesis import example, given, settings
from hypothesis import strategies as st

from projledger.core.config import Config
from projledger.core.errors import RefusedError
from projledger.core.writing import ReportInput, append_report

from conftest import SHIPPED, installed, run

CODE = "50100000-0001"
NEW_ARGS = [
    "--name", "ปรับปรุงทางเท้า", "--fiscal-year", "2568", "--start", "01/10/2567",
    "--end", "30/09/2568", "--budget", "1,250,000", "--department", "สำนักงานเขตพระนคร",
]  # fmt: skip
FIRST_BLOCK = (
    "\n[[reports]]\nno = 1\ndate = 2024-10-25\nprogress = 5.0\ndisbursed = 0.00\n"
    'plan_status = "watch"\ntarget_status = "on_target"\nnote = "เริ่มงาน"\n'
)


@pytest.fixture
def project(empty_repo: Path) -> Path:
    """A new project with no report yet, beside the shipped (cancelled) record."""
    assert run("new", CODE, *NEW_ARGS).exit_code == 0
    (empty_repo / "records" / "2565").mkdir()
    shutil.copy(SHIPPED, empty_repo / "records" / "2565" / SHIPPED.name)
    return empty_repo / "records" / "2568" / f"{CODE}.toml"


@pytest.fixture
def reported(project: Path) -> Path:
    """The project with report 1 (25/10/2567, 5 %)."""
    result = run("add-report", CODE, "--date", "25/10/2567", "--progress", "5", "--note", "เริ่มงาน")
    assert result.exit_code == 0, result.stderr
    return project


def add(*args: str, input: str | None = None) -> Result:
    return run("add-report", *args, input=input)


def test_new_then_add_report_with_thai_digits_appends_exactly_one_block(project: Path) -> None:
    before = project.read_bytes()
    result = add(CODE, "--date", "๒๕/๑๐/๒๕๖๗", "--progress", "๕", "--note", " เริ่มงาน\n")
    assert result.exit_code == 0, result.stderr
    after = project.read_bytes()
    assert after[: len(before)] == before
    assert after == before + FIRST_BLOCK.encode()
    assert "date = 2024-10-25\n" in after.decode()
    lines = result.stdout.splitlines()
    assert "\n".join(lines[:-1]) + "\n" == FIRST_BLOCK.lstrip("\n")
    assert lines[-1].startswith("status: ") and "computed on plan, watch" in lines[-1]
    assert run("validate").exit_code == 0


def _bytes(root: Path) -> dict[str, bytes]:
    """Every file's bytes but the lock files (made on first use, empty, never a record)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.toml")) if p.is_file()}


@pytest.mark.parametrize(
    ("target", "args", "code", "message"),
    [
        (CODE, ["--progress", "150"], 1, "reports[2].progress: 150.0 is above the maximum 100"),
        (CODE, ["--date", "31/02/2568"], 2, "--date: '31/02/2568' is not a day of the calendar"),
        (CODE, ["--date", "01/10/2567"], 1, "reports[2].date: dated 01/10/2567, before the report before it"),
        (CODE, ["--disbursed", "abc"], 2, "--disbursed: 'abc' is not an amount of baht"),
        (CODE, ["--disbursed", "-5"], 2, "--disbursed: '-5': an amount of money cannot be negative"),
        (
            "01000000-2475",
            [],
            1,
            "reports[13]: report 13 follows report 12, which marked the project cancelled",
        ),
        ("50100000-9999", [], 1, "no record for project 50100000-9999"),
    ],
    ids=[
        "progress-150",
        "no-such-day",
        "before-last",
        "money-abc",
        "negative-money",
        "after-cancelled",
        "unknown-code",
    ],
)
def test_refusals_change_no_byte(
    reported: Path, target: str, args: list[str], code: int, message: str
) -> None:
    root = reported.parents[2]
    before = _bytes(root)
    defaults = ["--date", "20/11/2567", "--progress", "10", "--note", "x"]
    result = add(target, *defaults, *args)  # later options win over the defaults
    assert result.exit_code == code
    assert result.exit_code != 0
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("projledger: "), result.stderr
    assert message in result.stderr
    assert result.stdout == ""
    assert _bytes(root) == before
    assert not list(root.rglob("*.tmp"))


def test_a_refusal_names_file_line_and_field(reported: Path) -> None:
    result = add(CODE, "--date", "20/11/2567", "--progress", "150", "--note", "x")
    assert result.stderr.startswith("projledger: records/2568/50100000-0001.toml:26: reports[2].progress: ")


def test_number_defaults_to_the_next_and_can_be_given(reported: Path) -> None:
    assert add(CODE, "--date", "20/11/2567", "--progress", "10", "--note", "x").exit_code == 0
    assert add(CODE, "--date", "20/12/2567", "--progress", "20", "--note", "y", "--no", "5").exit_code == 0
    text = reported.read_text("utf-8")
    assert "no = 2\ndate = 2024-11-20\n" in text and "no = 5\ndate = 2024-12-20\n" in text
    same = add(CODE, "--date", "21/12/2567", "--progress", "20", "--note", "z", "--no", "5")
    assert same.exit_code == 1 and "nothing was written" in same.stderr


def test_plan_status_defaults_to_the_computed_one_and_an_optimistic_one_warns(reported: Path) -> None:
    behind = add(CODE, "--date", "20/03/2568", "--progress", "6", "--note", "x")
    assert behind.exit_code == 0
    assert 'plan_status = "behind"' in behind.stdout
    rosy = add(CODE, "--date", "20/04/2568", "--progress", "7", "--note", "x", "--plan-status", "on_plan")
    assert rosy.exit_code == 0
    assert "warning [optimistic-status] reports[3]" in rosy.stderr
    assert reported.read_text("utf-8").endswith(
        'plan_status = "on_plan"\ntarget_status = "on_target"\nnote = "x"\n'
    )


def test_cancel_sets_the_event_and_closes_the_record(reported: Path) -> None:
    result = add(CODE, "--date", "20/11/2567", "--progress", "5", "--note", "ยกเลิก", "--cancel",
                 "--target-status", "off_target")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert reported.read_text("utf-8").endswith(
        'target_status = "off_target"\nnote = "ยกเลิก"\nevent = "cancelled"\n'
    )
    assert "status: cancelled" in result.stdout
    after = add(CODE, "--date", "20/12/2567", "--progress", "5", "--note", "x")
    assert after.exit_code == 1


def test_complete_and_cancel_together_is_a_usage_error(reported: Path) -> None:
    result = add(CODE, "--progress", "100", "--note", "x", "--cancel", "--complete")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1


def test_crlf_files_get_a_crlf_block(reported: Path) -> None:
    crlf = reported.read_bytes().replace(b"\n", b"\r\n")
    reported.write_bytes(crlf)
    assert add(CODE, "--date", "20/11/2567", "--progress", "10", "--note", "a\nb").exit_code == 0
    after = reported.read_bytes()
    assert after.startswith(crlf)
    assert after[len(crlf) :] == (
        b"\r\n[[reports]]\r\nno = 2\r\ndate = 2024-11-20\r\nprogress = 10.0\r\ndisbursed = 0.00\r\n"
        b'plan_status = "watch"\r\ntarget_status = "on_target"\r\nnote = """\r\na\r\nb"""\r\n'
    )


def test_a_missing_final_newline_is_added_first(reported: Path) -> None:
    old = reported.read_bytes().rstrip(b"\n")
    reported.write_bytes(old)
    assert add(CODE, "--date", "20/11/2567", "--progress", "10", "--note", "x").exit_code == 0
    assert reported.read_bytes().startswith(old + b"\n\n[[reports]]\nno = 2\n")


def test_note_from_stdin_is_stored_nfc_and_trimmed(reported: Path) -> None:
    result = add(CODE, "--date", "20/11/2567", "--progress", "10", "--note-file", "-",
                 input="Cafe\u0301 ทำแล้ว\n\nวรรคสอง\n")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert reported.read_text("utf-8").endswith('note = """\nCafé ทำแล้ว\n\nวรรคสอง"""\n')


def test_a_note_with_windows_line_ends_is_stored_with_newlines(reported: Path) -> None:
    Path("note.txt").write_bytes("งานดิน\r\nงานฐานราก\r\n".encode())
    assert add(CODE, "--date", "20/11/2567", "--progress", "10", "--note-file", "note.txt").exit_code == 0
    assert add(CODE, "--date", "21/11/2567", "--progress", "11", "--note", "เสา\rคาน").exit_code == 0
    text = reported.read_text("utf-8")
    assert "\\r" not in text and "\r" not in text  # was note = "งานดิน\r\nงานฐานราก", shown as \x0d
    assert 'note = """\nงานดิน\nงานฐานราก"""\n' in text and text.endswith('note = """\nเสา\nคาน"""\n')


NOTE = "ติดตั้งเสาไฟฟ้าแล้วเสร็จ ๕๐ ต้น\n"
NOT_UTF8 = [
    (
        "tis-620",
        NOTE.encode("tis-620"),
        "it looks like TIS-620/cp874: convert it with iconv -f TIS-620 -t UTF-8",
    ),
    ("cp874", ("“" + NOTE + "”").encode("cp874"), "it looks like TIS-620/cp874"),
    ("utf-16", NOTE.encode("utf-16"), "is UTF-16, not UTF-8: convert it with iconv -f UTF-16 -t UTF-8"),
    # without a BOM the byte order is named: `iconv -f UTF-16` reads a bare one in the machine's
    (
        "utf-16-le-no-bom",
        NOTE.encode("utf-16-le"),
        "is UTF-16LE, not UTF-8: convert it with iconv -f UTF-16LE",
    ),
    (
        "utf-16-be-no-bom",
        "done\n".encode("utf-16-be"),
        "is UTF-16BE, not UTF-8: convert it with iconv -f UTF-16BE",
    ),
    ("utf-32", NOTE.encode("utf-32"), "is UTF-32, not UTF-8: convert it with iconv -f UTF-32 -t UTF-8"),
    ("random-bytes", bytes(range(256)) * 3, "is not UTF-8 text (byte 0x80 on line 2); save it as UTF-8"),
    ("nul", b"a\x00b", "holds NUL bytes"),
]


@pytest.mark.parametrize(("raw", "says"), [c[1:] for c in NOT_UTF8], ids=[c[0] for c in NOT_UTF8])
def test_a_note_file_that_is_not_utf8_is_refused_naming_the_encoding(
    reported: Path, raw: bytes, says: str
) -> None:
    before = reported.read_bytes()
    Path("note.txt").write_bytes(raw)
    for source, stdin in (("note.txt", None), ("-", raw)):
        result = run("add-report", CODE, "--date", "20/11/2567", "--progress", "10", "--note-file", source,
                     input=stdin)  # fmt: skip
        assert result.exit_code == 2, result.stderr
        assert says in result.stderr
        assert len(result.stderr.splitlines()) == 1 and result.stderr.startswith("projledger: --note-file: ")
        assert reported.read_bytes() == before


def test_a_note_file_in_utf8_with_a_bom_is_read(reported: Path) -> None:
    Path("note.txt").write_bytes(b"\xef\xbb\xbf" + NOTE.encode("utf-8"))
    assert add(CODE, "--date", "20/11/2567", "--progress", "10", "--note-file", "note.txt").exit_code == 0
    assert reported.read_text("utf-8").endswith('note = "ติดตั้งเสาไฟฟ้าแล้วเสร็จ ๕๐ ต้น"\n')


def test_a_fifo_folder_or_device_as_note_file_is_refused_without_opening_it(
    reported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import stat

    fifo = tmp_path / "note.fifo"
    os.mkfifo(fifo)  # no writer: opening it for reading would wait forever
    (tmp_path / "folder").mkdir()
    device = tmp_path / "zero"
    os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero's numbers, made here
    opened: list[str] = []
    real_open = os.open

    def spy(path: Any, flags: int, *args: Any) -> int:
        opened.append(str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", spy)
    before = reported.read_bytes()
    for path, kind in (
        (fifo, "a FIFO (named pipe)"),
        (tmp_path / "folder", "a folder"),
        (device, "a device"),
    ):
        result = add(CODE, "--date", "20/11/2567", "--progress", "10", "--note-file", str(path))
        assert result.exit_code == 2, result.stderr
        assert f"is {kind}, not a regular file; give a text file, or '-' for standard input" in result.stderr
        assert str(path) not in opened
    assert reported.read_bytes() == before


@pytest.mark.slow
def test_a_note_fifo_without_a_writer_never_hangs_the_installed_command(
    reported: Path, tmp_path: Path
) -> None:
    import os
    import shutil
    import subprocess
    import sys

    fifo = tmp_path / "note.fifo"
    os.mkfifo(fifo)
    program = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert program
    done = subprocess.run(
        [program, "add-report", CODE, "--date", "20/11/2567", "--progress", "10", "--note-file", str(fifo)],
        capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "a FIFO (named pipe), not a regular file" in done.stderr


def test_disbursed_defaults_to_the_last_report_and_is_quantized(reported: Path) -> None:
    assert (
        add(CODE, "--date", "20/11/2567", "--progress", "10", "--note", "x", "--disbursed", "๑,๒๕๐").exit_code
        == 0
    )
    assert add(CODE, "--date", "20/12/2567", "--progress", "20", "--note", "y").exit_code == 0
    text = reported.read_text("utf-8")
    assert text.count("disbursed = 1250.00\n") == 2


def test_control_and_bidi_characters_are_escaped_on_the_terminal(reported: Path) -> None:
    result = add(CODE, "--date", "20/11/2567", "--progress", "10", "--note", "a\u202eb")
    assert result.exit_code == 0
    assert "\u202e" not in result.stdout and "\\u202e" in result.stdout
    stored = reported.read_text("utf-8")
    assert tomli.loads(stored)["reports"][-1]["note"] == "a\u202eb"  # the value as typed
    assert "\u202e" not in stored and "\\u202e" in stored  # written as an escape: git diff stays honest


def test_a_record_named_by_path(reported: Path) -> None:
    result = add("records/2568/50100000-0001.toml", "--date", "20/11/2567", "--progress", "10", "--note", "x")
    assert result.exit_code == 0 and "no = 2\n" in result.stdout


def test_missing_progress_without_a_terminal_is_a_usage_error(reported: Path) -> None:
    result = add(CODE, "--note", "x")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "projledger: --progress: is required (give --progress, or run on a terminal to be asked for it) (see 'projledger add-report --help')\n"
    )


def test_reports_written_as_an_empty_array_take_the_first_block(project: Path) -> None:
    """``reports = []`` (as tomli-w writes no report) passes validate, so it takes a report:
    that one line goes, the first block is appended, every other byte stays, and it is said."""
    canonical = project.read_bytes()
    assert b'format = 2\nkind = "project"\n' in canonical  # new writes format 2
    project.write_bytes(canonical.replace(b'kind = "project"\n', b'kind = "project"\nreports = []\n'))
    assert run("validate", str(project)).exit_code == 0
    result = add(CODE, "--date", "25/10/2567", "--progress", "5", "--note", "เริ่มงาน")
    assert result.exit_code == 0, result.stderr
    assert project.read_bytes() == canonical + FIRST_BLOCK.encode()
    assert "'reports = []' (line 4) became the first [[reports]] block" in result.stderr
    assert "not valid TOML" not in result.stderr
    assert run("validate", str(project)).exit_code == 0


def test_reports_as_an_inline_array_are_rewritten_as_blocks_and_it_is_said(project: Path) -> None:
    canonical = project.read_bytes()
    assert add(CODE, "--date", "25/10/2567", "--progress", "5", "--note", "เริ่มงาน").exit_code == 0
    data = tomli.loads(project.read_text("utf-8"), parse_float=Decimal)
    body = tomli_w.dumps({k: v for k, v in data.items() if k not in ("reports", "agency")})
    inline = (  # the array of inline tables another tool may write, a comment inside
        body + "reports = [\n  # เดือนแรก\n  { no = 1, date = 2024-10-25, progress = 5.0, "
        'disbursed = 0.00, plan_status = "watch", target_status = "on_target", note = "เริ่มงาน" },\n]\n'
        + "\n[agency]\n"
        + tomli_w.dumps(data["agency"])
    )
    assert tomli.loads(inline, parse_float=Decimal) == data
    project.write_text("# ผู้ตรวจ: ok\n" + inline, "utf-8")
    result = add(CODE, "--date", "25/11/2567", "--progress", "12", "--note", "งานเดือนสอง")
    assert result.exit_code == 0, result.stderr
    assert "its 1 report written as one inline array (line" in result.stderr
    assert "rewritten as [[reports]] blocks" in result.stderr
    after = project.read_text("utf-8")
    assert after.startswith("# ผู้ตรวจ: ok\n" + body + "# เดือนแรก\n\n[agency]\n")
    assert "reports = [" not in after
    assert after.count("[[reports]]") == 2
    new = tomli.loads(after, parse_float=Decimal)
    assert new["reports"][:1] == data["reports"] and new["reports"][1]["no"] == 2
    assert {k: v for k, v in new.items() if k != "reports"} == {
        k: v for k, v in data.items() if k != "reports"
    }
    assert canonical.decode("utf-8").split("\n", 1)[0].startswith("#:schema")
    assert run("validate", str(project)).exit_code == 0


#: What the schema's ``\S`` (an ECMA-262 pattern) takes for blank: wider than Python's strip, which
#: keeps U+FEFF (hypothesis found a note of one ZERO WIDTH NO-BREAK SPACE).
ECMA_WHITESPACE = frozenset("\t\n\v\f\r \u00a0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff") | frozenset(
    map(chr, range(0x2000, 0x200B))
)


@settings(max_examples=60, deadline=None)
@example(note="\ufeff", crlf=False)
@given(
    note=st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
    | st.sampled_from(['"""', "a\r\nb", "x\n\ny", "\\", "'''", "ำ"]),
    crlf=st.booleans(),
)
def test_any_note_is_stored_exactly_after_every_earlier_byte(note: str, crlf: bool) -> None:
    path = Path("/repo/records/2565/01000000-2475.toml")
    raw = SHIPPED.read_bytes()
    if crlf:
        raw = raw.replace(b"\n", b"\r\n").replace(b'event = "cancelled"\r\n', b"")
    else:
        raw = raw.replace(b'event = "cancelled"\n', b"")
    values = ReportInput(date=date(2022, 9, 28), progress=Decimal("95"), note=note)
    config = Config(root=Path("/repo"), records_dir=Path("/repo/records"))
    if all(char in ECMA_WHITESPACE for char in unicodedata.normalize("NFC", note).strip()):
        with pytest.raises(RefusedError, match="must not be empty"):
            append_report(raw, path, values, config, date(2026, 1, 1), "r.toml")
        return
    written = append_report(raw, path, values, config, date(2026, 1, 1), "r.toml")
    assert written.content.startswith(raw)
    data = tomli.loads(written.content.decode("utf-8"), parse_float=Decimal)
    stored = unicodedata.normalize("NFC", note).replace("\r\n", "\n").replace("\r", "\n").strip()
    assert data["reports"][-1]["note"] == stored
    assert data["reports"][-1]["no"] == 13
    if crlf:
        assert b"\n" not in written.content.replace(b"\r\n", b"")


def test_minus_zero_progress_and_disbursed_are_both_zero(project: Path) -> None:
    """`--progress -0` was accepted while `--disbursed -0` was refused as negative; both are now
    0 (money.py's one rule), in process and through the installed command."""
    result = add(CODE, "--date", "25/10/2567", "--progress", "-0", "--disbursed", "-0", "--note", "x")
    assert result.exit_code == 0, result.stderr

    def last_report() -> tuple[Decimal, Decimal]:
        report = tomli.loads(project.read_text("utf-8"), parse_float=Decimal)["reports"][-1]
        return report["progress"], report["disbursed"]

    assert last_report() == (0, 0) and not any(value.is_signed() for value in last_report())
    real = installed(
        "add-report", CODE, "--date", "20/11/2567", "--progress", "-0.00", "--disbursed", "-๐", "--note", "y",
        cwd=project.parents[2],
    )  # fmt: skip
    assert real.returncode == 0, real.stderr
    assert last_report() == (0, 0) and not any(value.is_signed() for value in last_report())
