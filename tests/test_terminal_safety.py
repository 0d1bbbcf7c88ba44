"""A record cannot retitle a terminal, clear a screen or reorder what a reviewer reads.

Every text field of a record (and its file name) holds terminal escapes (OSC title, CSI clear
screen, 8-bit CSI), BEL, backspace, carriage return, DEL, NUL and bidi overrides and isolates.
Every command that prints record text, in every output format, is run on it: nothing it writes
to stdout or stderr carries one of those characters raw. They are shown as visible escapes
(``\\x1b``), or in JSON as ``\\u001b``, which reads back to the exact value.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path

import pytest

from projledger.core.text import json_safe, nfc, one_line, printable
from projledger.main import COMMANDS

from conftest import LEGACY_PRINTOUT, installed, run

#: What a terminal acts on: C0 controls but tab and newline, DEL, C1 controls, bidi marks.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
AS_OF = "2024-09-30"
CODE = "50100000-0001"
HOSTILE = "\x1b]0;pwned\x07\x1b[2J\u202eevil\x9b31m\r\x08\x7f\u2066x\u2069\u061c\x85"


def toml_escape(text: str) -> str:
    return json.dumps(text)  # a JSON string is a TOML basic string for these characters


def hostile_record(hostile: str = HOSTILE, code: str = CODE) -> str:
    h = toml_escape(hostile)[1:-1]
    return f'''format = 1
code = "{code}"
name = "โครงการ{h}"
plan_ref = "ปจ.{h}"
fiscal_year = 2567
start = 2023-10-01
end = 2024-09-30
budget = 120000.00

[agency]
department = "สำนักงานเขต{h}"
division = "ฝ่าย{h}"
unit = "{h}หน่วย"
owner = "{h}"
coordinator = "คุณ{h}"
phone = "02{h}"

[details]
rationale = "เหตุผล{h}\\nบรรทัดสอง{h}"
objectives = ["{h}"]
targets = ["เป้า{h}"]

[strategy]
issue = "{h}ประเด็น"
sub_issue = "{h}"
goal = "{h}"
kpi = "{h}"

[[reports]]
no = 1
date = 2023-10-25
progress = 10.0
disbursed = 10000.00
plan_status = "on_plan"
target_status = "on_target"
note = "ทำ{h}"

[[reports]]
no = 2
date = 2023-11-24
progress = 5.0
disbursed = 130000.00
plan_status = "on_plan"
target_status = "on_target"
note = "{h}"
'''


@pytest.fixture
def hostile_repo(empty_repo: Path) -> Path:
    folder = empty_repo / "records" / "2567"
    folder.mkdir(parents=True)
    (folder / f"{CODE}.toml").write_text(hostile_record(), "utf-8")
    # a broken record whose bad values are quoted back in messages, and a hostile file name
    bad = hostile_record(code="50100000-0002").replace(
        'plan_status = "on_plan"', f"plan_status = {toml_escape(HOSTILE)}"
    )
    bad = bad.replace("[strategy]", f"[strategy]\n{toml_escape(HOSTILE)} = 1")
    (folder / "50100000-0002.toml").write_text(bad, "utf-8")
    (folder / "\x1b]0;pwned\x07\u202e.toml").write_text("format = 1\n", "utf-8")
    return empty_repo


def assert_safe(result: object, args: tuple[str, ...]) -> None:
    out = result.stdout + result.stderr  # type: ignore[attr-defined]
    found = sorted({f"U+{ord(c):04X}" for c in UNSAFE.findall(out)})
    assert not found, f"{args} printed raw {found}"
    assert result.exit_code in (0, 1), (args, result.exit_code, result.stderr)  # type: ignore[attr-defined]


READING = [
    ("validate", "--as-of", AS_OF),
    ("validate", "--format", "json", "--as-of", AS_OF),
    ("validate", "--format", "github", "--as-of", AS_OF),
    ("validate", "--strict", "records/2567/50100000-0001.toml", "--as-of", AS_OF),
    ("status", "--as-of", AS_OF),
    ("status", "--format", "markdown", "--as-of", AS_OF),
    ("status", "--format", "csv", "--as-of", AS_OF),
    ("status", "--format", "json", "--as-of", AS_OF),
    ("status", "--lang", "en", "--as-of", AS_OF),
    ("status", CODE, "--as-of", AS_OF),
    ("status", CODE, "--format", "json", "--as-of", AS_OF),
    ("summary", "--as-of", AS_OF),
    ("summary", "--by", "strategy", "--as-of", AS_OF),
    ("summary", "--by", "agency", "--by", "quarter", "--as-of", AS_OF),
    ("summary", "--format", "markdown", "--by", "strategy", "--as-of", AS_OF),
    ("summary", "--format", "csv", "--by", "strategy", "--as-of", AS_OF),
    ("summary", "--format", "json", "--by", "strategy", "--as-of", AS_OF),
    ("show", CODE, "--as-of", AS_OF),
    ("show", CODE, "--format", "html", "--as-of", AS_OF),
    ("show", "records/2567/50100000-0002.toml", "--as-of", AS_OF),
    ("fmt", "--check"),
]


@pytest.mark.parametrize("args", READING, ids=[" ".join(a) for a in READING])
def test_reading_commands_never_print_raw_controls(hostile_repo: Path, args: tuple[str, ...]) -> None:
    if args[0] not in COMMANDS:
        pytest.skip(f"{args[0]} is not registered yet")
    assert_safe(run(*args), args)


def test_the_hostile_values_are_still_there_in_json(hostile_repo: Path) -> None:
    """Escaped for the terminal, exact for the machine: JSON reads back to the stored text."""
    result = run("validate", "--format", "json", "--as-of", AS_OF, "records/2567/50100000-0002.toml")
    messages = " ".join(f["message"] + f["field"] for f in json.loads(result.stdout)["findings"])
    assert HOSTILE in messages


def test_add_report_echoes_a_hostile_note_safely(hostile_repo: Path) -> None:
    args = ("add-report", CODE, "--date", "2023-12-20", "--progress", "30", "--note", "งาน" + HOSTILE)
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert_safe(result, args)
    assert "pwned" in result.stdout
    stored = (hostile_repo / "records" / "2567" / f"{CODE}.toml").read_text("utf-8")
    assert not UNSAFE.search(stored), "a record never holds raw controls or bidi marks: git diff shows it"
    assert "\\u001b" in stored.lower() and "\\u202e" in stored.lower()
    import tomllib

    typed = nfc("งาน" + HOSTILE).replace("\r", "\n").strip()  # stored text has "\n" line ends
    assert tomllib.loads(stored)["reports"][-1]["note"] == typed, "the value is exact"


@pytest.mark.parametrize("command", ["new", "fmt", "import"])
def test_written_records_never_hold_raw_controls(empty_repo: Path, tmp_path: Path, command: str) -> None:
    """What a reviewer reads in git diff or cat: escapes, never characters a terminal obeys."""
    import tomllib

    folder = empty_repo / "records" / "2567"
    path = folder / f"{CODE}.toml"
    if command == "new":
        result = run("new", CODE, "--name", "ชื่อ" + HOSTILE, "--fiscal-year", "2567", "--start", "2023-10-01",
                     "--end", "2024-09-30", "--budget", "1", "--department", "สำนัก" + HOSTILE)  # fmt: skip
        assert result.exit_code == 0, result.stderr
        assert tomllib.loads(path.read_text("utf-8"))["name"].startswith("ชื่อ\x1b]0;pwned")
    elif command == "fmt":
        folder.mkdir(parents=True)
        raw = (
            hostile_record()
            .replace("\\u202e", "\u202e")
            .replace("\\u0085", "\x85")
            .replace("\\u009b", "\x9b")
        )
        assert "\u202e" in raw
        path.write_text(raw, "utf-8")
        expected = tomllib.loads(raw)
        result = run("fmt", str(path.relative_to(empty_repo)))
        assert result.exit_code == 0, result.stderr
        assert tomllib.loads(path.read_text("utf-8")) == expected, "values kept exactly"
    else:
        if "import" not in COMMANDS:
            pytest.skip("import is not registered yet")
        text = LEGACY_PRINTOUT.read_text("utf-8").replace("อยู่ระหว่างจัดทำแผนปฏิบัติการ", "อยู่\u202eระหว่าง\x9b2J")
        printout = tmp_path / "p.txt"
        printout.write_text(text, "utf-8")
        result = run("import", str(printout))
        assert result.exit_code == 0, result.stderr
        path = next((empty_repo / "records").rglob("*.toml"))
    stored = path.read_text("utf-8")
    found = sorted({f"U+{ord(c):04X}" for c in UNSAFE.findall(stored)})
    assert not found, f"{command} wrote raw {found}"


def test_add_report_refusal_quoting_a_hostile_file_is_safe(hostile_repo: Path) -> None:
    args = (
        "add-report",
        "records/2567/50100000-0002.toml",
        "--date",
        "2023-12-20",
        "--progress",
        "30",
        "--note",
        "x",
    )
    result = run(*args)
    assert result.exit_code == 1
    assert_safe(result, args)


def test_new_with_hostile_text_is_safe(empty_repo: Path) -> None:
    args = ("new", "50100000-0003", "--name", "ชื่อ" + HOSTILE, "--fiscal-year", "2567", "--start", "2023-10-01",
            "--end", "2024-09-30", "--budget", "1", "--department", HOSTILE + "สำนัก")  # fmt: skip
    result = run(*args)
    assert_safe(result, args)


def test_import_warnings_quoting_hostile_lines_are_safe(empty_repo: Path, tmp_path: Path) -> None:
    if "import" not in COMMANDS:
        pytest.skip("import is not registered yet")
    printout = tmp_path / "printout.txt"
    lines = LEGACY_PRINTOUT.read_text("utf-8").splitlines()
    hostile = [line + HOSTILE if i % 3 == 0 else line for i, line in enumerate(lines)]
    hostile.insert(5, HOSTILE + " : " + HOSTILE)
    printout.write_text("\n".join(hostile) + "\n", "utf-8")
    for args in (("import", str(printout), "--stdout"), ("import", str(printout))):
        result = run(*args)
        assert_safe(result, args)


def test_error_messages_quoting_an_option_are_safe(hostile_repo: Path) -> None:
    for args in (
        ("status", HOSTILE),
        ("show", HOSTILE),
        ("add-report", HOSTILE, "--progress", "1", "--note", "x"),
        ("validate", "--as-of", HOSTILE),
        ("status", "--agency", HOSTILE, "--as-of", AS_OF),
        ("add-report", CODE, "--progress", HOSTILE, "--note", "x"),
        ("add-report", CODE, "--progress", "1", "--note", "x", "--disbursed", HOSTILE),
    ):
        if args[0] in COMMANDS:
            result = run(*args)
            out = result.stdout + result.stderr
            assert not UNSAFE.search(out), (args, out)
            assert result.exit_code in (0, 1, 2), (args, result.exit_code)


# --- the helpers themselves ---------------------------------------------------------------------


@pytest.mark.parametrize("char", [chr(c) for c in [*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0)]]
                         + ["\u061c", "\u200e", "\u200f", *map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A))])  # fmt: skip
def test_printable_escapes_every_unsafe_character(char: str) -> None:
    shown = printable(f"a{char}b")
    assert not UNSAFE.search(shown)
    assert shown.startswith("a\\") and shown.endswith("b")
    assert not UNSAFE.search(one_line(f"a{char}\nb"))


def test_printable_keeps_thai_and_newlines() -> None:
    text = "น้ำท่วม ๑๐ %\nบรรทัดสอง\tแท็บ"
    assert printable(text) == text
    assert one_line(text) == "น้ำท่วม ๑๐ % บรรทัดสอง แท็บ"


def test_json_safe_is_exact_and_inert() -> None:
    value = {"name": HOSTILE + "ไทย", HOSTILE: [HOSTILE]}
    dumped = json_safe(json.dumps(value, ensure_ascii=False))
    assert not UNSAFE.search(dumped)
    assert json.loads(dumped) == value
    assert "ไทย" in dumped


# --- pages: record text is text, never markup -------------------------------------------------------

MARKUP = {
    "name": "</script><script>alert(1)</script><img src=x onerror=alert(2)>\"'",
    "department": "<svg onload=alert(3)>",
    "note": "</textarea><b>bold</b>{{7*7}}<!--",
}
INJECTED = ("<script>alert", "<img src=x", "<svg onload", "<b>bold</b>", "</textarea><b>")


@pytest.fixture
def markup_repo(empty_repo: Path) -> Path:
    text = (Path(__file__).parent / "data" / "bad" / "base.toml").read_text("utf-8")
    text = text.replace('name = "โครงการปรับปรุงทางเท้า"', f"name = {json.dumps(MARKUP['name'])}")
    text = text.replace('department = "สำนักงานเขตพระนคร"', f"department = {json.dumps(MARKUP['department'])}")
    text = text.replace('note = "ดำเนินการตามแผน"', f"note = {json.dumps(MARKUP['note'])}")
    folder = empty_repo / "records" / "2567"
    folder.mkdir(parents=True)
    (folder / f"{CODE}.toml").write_text(text, "utf-8")
    assert run("validate", "--as-of", AS_OF).exit_code == 0
    return empty_repo


def test_the_html_form_shows_markup_as_text(markup_repo: Path) -> None:
    if "show" not in COMMANDS:
        pytest.skip("show is not registered yet")
    page = run("show", CODE, "--format", "html", "--as-of", AS_OF).stdout
    for bad in INJECTED:
        assert bad not in page, bad
    assert "{{7*7}}" in page, "templates never evaluate record text"


def test_site_pages_show_markup_as_text(markup_repo: Path) -> None:
    if "site" not in COMMANDS:
        pytest.skip("site is not registered yet")
    assert run("site", "--output", "_site", "--as-of", AS_OF).exit_code == 0
    pages = list((markup_repo / "_site").rglob("*.html"))
    assert len(pages) >= 3
    for page in pages:
        text = page.read_text("utf-8")
        for bad in INJECTED:
            assert bad not in text, (page.name, bad)


def test_sheet_import_messages_quoting_hostile_cells_are_safe(hostile_repo: Path) -> None:
    if "sheet" not in COMMANDS:
        pytest.skip("sheet is not registered yet")
    import csv
    import io

    out = hostile_repo / "month.csv"
    exported = run("sheet", "export", "--month", "12/2566", "--output", str(out), "--as-of", "2024-01-05")
    assert exported.exit_code == 0, exported.stderr
    assert_safe(exported, ("sheet", "export"))
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    keys = [h.rsplit("(", 1)[-1].rstrip(")") for h in rows[0]]
    assert len(rows) >= 2 and "note" in keys, rows
    filled = []
    for row in rows[1:]:
        cells = dict(zip(keys, row, strict=True))
        cells.update(date=HOSTILE, progress=HOSTILE, plan_status=HOSTILE, note=HOSTILE, event=HOSTILE)
        filled.append([cells[k] for k in keys])
    buffer = io.StringIO()
    csv.writer(buffer).writerows([rows[0], *filled])
    out.write_text(buffer.getvalue(), "utf-8")
    for args in (("sheet", "import", str(out), "--dry-run"), ("sheet", "import", str(out), "--partial")):
        result = run(*args, "--as-of", "2024-01-05")
        assert result.exit_code == 1
        assert_safe(result, args)


def test_status_since_describes_hostile_changes_safely(hostile_repo: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if "--since" not in run("status", "--help").stdout:
        pytest.skip("status --since is not there yet")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": os.environ["PATH"], "HOME": str(hostile_repo)}  # fmt: skip
    for git in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", *git], cwd=hostile_repo, check=True, env=env, capture_output=True)
    added = run("add-report", CODE, "--date", "2023-12-20", "--progress", "30", "--note", "งาน" + HOSTILE)
    assert added.exit_code == 0, added.stderr
    for fmt in ("table", "markdown", "json", "csv"):
        args = ("status", "--since", "HEAD", "--format", fmt, "--as-of", AS_OF)
        result = run(*args)
        assert_safe(result, args)
        assert CODE in result.stdout


@pytest.mark.parametrize("encoding", ["latin-1", "cp874", "ascii"])
def test_a_terminal_that_cannot_show_thai_gets_escapes_not_a_crash(hostile_repo: Path, encoding: str) -> None:
    """Output redirected on a Thai Windows machine is cp874, which has Thai but not the chart's █."""
    import shutil
    import subprocess
    import sys

    program = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert program
    env = {**os.environ, "PYTHONIOENCODING": encoding, "PROJLEDGER_NO_CACHE": "1"}
    for args in (
        ("status", "--as-of", AS_OF),
        ("status", CODE, "--as-of", AS_OF),
        ("summary", "--as-of", AS_OF),
        ("show", CODE, "--as-of", AS_OF),
        ("validate", "--as-of", AS_OF),
    ):
        done = subprocess.run([program, *args], cwd=hostile_repo, capture_output=True, env=env, timeout=60)
        assert done.returncode in (0, 1), (args, done.stderr[-300:])
        assert b"internal error" not in done.stderr
        assert b"\x1b" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    "args",
    [("show", CODE, "--format", "html", "--as-of", AS_OF), ("status", "--format", "xlsx", "--as-of", AS_OF),
     ("summary", "--format", "xlsx", "--as-of", AS_OF), ("sheet", "export", "--month", "2023-12")],
)  # fmt: skip
def test_an_output_file_named_with_controls_is_named_safely(
    hostile_repo: Path, args: tuple[str, ...]
) -> None:
    """The file a person names (--output) is written under that very name, and the line that
    says so shows the name's controls as escapes (every line of projledger's own goes through
    ``say``): a name holding ESC does not drive the terminal of the one who typed it."""
    name = "out\x1b]0;pwned\x07\x1b[2J\u202e" + (".html" if args[0] == "show" else ".xlsx")
    result = run(*args, "--output", name)
    assert result.exit_code == 0, result.stderr
    assert (hostile_repo / name).is_file()
    assert_safe(result, args)
    assert "wrote" in result.stderr and "\\x1b" in result.stderr


def test_an_excerpt_never_cuts_a_thai_mark_from_its_letter() -> None:
    """Messages quote a line of a printout or a cell in part: a short text whole; a long one cut
    after whole letters (a vowel or tone mark above or below stays with its letter) and marked
    as cut, never a mark left dangling at the end of a message."""
    from projledger.core.text import excerpt

    assert excerpt("โครงการ", 40) == "โครงการ"
    assert excerpt("โครงการก่อสร้าง", 10) == "โครงการก่อ…"  # the 10th letter's tone mark kept with it
    assert excerpt("ปีงบประมาณ", 1) == "ปี…"
    assert excerpt("ab cd", 3) == "ab…"
    name = "การพัฒนาคุณภาพชีวิตผู้สูงอายุ"
    for limit in range(1, len(name)):
        kept = excerpt(name, limit).removesuffix("…")
        assert name.startswith(kept) and len(kept) >= limit
        assert kept == name or unicodedata.category(name[len(kept)]) != "Mn"  # a letter follows the cut


#: A name a folder of printouts from elsewhere, or a hostile config, may hold: escapes and a newline.
NAMED = "x\x1b]0;pwned\x07\u202e\nsecond line"


@pytest.mark.parametrize("command", ["import", "export", "site", "init", "new"])
def test_the_line_naming_what_was_written_shows_a_hostile_name_on_one_line(
    empty_repo: Path, command: str
) -> None:
    """import, export, site, init and new printed the names of what they wrote raw (`x\\x1b]0;...`
    drove the terminal, a newline split the line); they are shown as escapes, on one line."""
    (empty_repo / "printout.txt").write_text(LEGACY_PRINTOUT.read_text("utf-8"), "utf-8")
    if command != "import":
        assert run("import", "printout.txt").exit_code == 0
    new = ("new", "50100000-0009", "--name", "n", "--fiscal-year", "2568", "--start", "01/10/2567",
           "--end", "30/09/2568", "--budget", "1", "--department", "d")  # fmt: skip
    if command == "new":  # the records folder a repository's config names
        (empty_repo / "projledger.toml").write_text(f"records = {toml_escape(NAMED)}\n", "utf-8")
        (empty_repo / NAMED).mkdir()
    else:
        (empty_repo / "printout.txt").rename(empty_repo / f"{NAMED}.txt")
    args = {
        "import": ("import", f"{NAMED}.txt"),
        "export": ("export", "--format", "ndjson", "--output", NAMED),
        "site": ("site", "--output", NAMED),
        "init": ("init", NAMED),
        "new": new,
    }[command]
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert_safe(result, args)
    said = [line for line in (result.stdout + result.stderr).splitlines() if "pwned" in line]
    assert said and all("\\x1b]0;pwned\\x07\\u202e second line" in line for line in said), said


def test_the_installed_import_names_a_hostile_printout_on_one_line(tmp_path: Path) -> None:
    (tmp_path / "records").mkdir()
    (tmp_path / f"{NAMED}.txt").write_text(LEGACY_PRINTOUT.read_text("utf-8"), "utf-8")
    done = installed("import", f"{NAMED}.txt", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not UNSAFE.search(done.stderr)
    assert done.stderr.splitlines()[-1] == (
        "x\\x1b]0;pwned\\x07\\u202e second line.txt: wrote records/2565/01000000-2475.toml (12 reports)"
    )
