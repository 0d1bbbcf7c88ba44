"""The bad-input catalogue: every case of ``tests/data/bad/cases.toml`` through every command.

A refused record gives validate a finding naming file, line and field; every writing command
refuses it in one line on stderr and leaves its bytes as they were; the reading commands skip
it and say so; nothing ever prints a traceback or exits 3 (an internal error). The legal inputs
(a BOM, CRLF, SARA AM in two code points, Thai digits in text) are accepted and written back in
their own style. Options given garbage: ``tests/data/bad/options.toml``, and every option of
every registered command given a set of hostile values.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import shutil
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest

from projledger.main import COMMANDS, main

from conftest import DATA, DEV_NULL, DEV_ZERO, char_device, installed, run

BAD = DATA / "bad"
BASE = (BAD / "base.toml").read_text("utf-8")
CASES: list[dict[str, Any]] = tomllib.loads((BAD / "cases.toml").read_text("utf-8"))["case"]
OPTION_CASES: list[dict[str, Any]] = tomllib.loads((BAD / "options.toml").read_text("utf-8"))["case"]
AS_OF = "2024-09-30"
CODE = "50100000-0001"
READERS = ("status", "summary", "show")


def _generate(kind: str) -> bytes:
    raw = BASE.encode("utf-8")
    match kind:
        case "utf-16-le-bom":
            return codecs.BOM_UTF16_LE + BASE.encode("utf-16-le")
        case "utf-16-be-bom":
            return codecs.BOM_UTF16_BE + BASE.encode("utf-16-be")
        case "utf-16-le":
            return BASE.encode("utf-16-le")
        case "tis-620":
            return BASE.encode("tis-620")
        case "nul-in-note":
            return raw.replace('ตามแผน"'.encode(), b'a\x00b"')
        case "over-1-mib":
            note = "ดำเนินการตามแผน " * 25_000  # 16 characters of 3 bytes: about 1.2 MB
            return raw + f'\n[[reports]]\nno = 2\nnote = "{note}"\n'.encode()
        case "deep-arrays":
            return raw + b"\ndeep = " + b"[" * 3000 + b"]" * 3000 + b"\n"
        case "deep-tables":
            return raw + b"\ndeep = " + b"{ a = " * 3000 + b"1" + b" }" * 3000 + b"\n"
        case "long-integer":
            return raw.replace(b"budget = 120000.00", b"budget = " + b"9" * 5000)
        case "long-dotted-key":  # once took minutes: the fast reader rescanned the line for each dot
            return raw + b"\n" + b".".join([b"a"] * 60000) + b" = 1\n"
        case "bom":
            return codecs.BOM_UTF8 + raw
        case "crlf":
            return raw.replace(b"\n", b"\r\n")
        case "bom-crlf":
            return codecs.BOM_UTF8 + raw.replace(b"\n", b"\r\n")
        case "no-final-newline":
            return raw.rstrip(b"\n")
        case "crlf-no-final-newline":
            return raw.replace(b"\n", b"\r\n").rstrip(b"\r\n")
        case "bare-cr":
            return raw.replace(b"\n", b"\r")
    raise AssertionError(f"unknown generator {kind}")


def record_bytes(case: dict[str, Any]) -> bytes:
    if "file" in case:
        return (BAD / case["file"]).read_bytes()
    if "generate" in case:
        return _generate(case["generate"])
    text = BASE
    for old, new in case.get("replace", []):
        assert old in text, f"{case['id']}: {old!r} is not in base.toml"
        text = text.replace(old, new, 1)
    return (text + case.get("append", "")).encode("utf-8")


def place(root: Path, case: dict[str, Any]) -> Path:
    path = root / "records" / "2567" / f"{case.get('code', CODE)}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(record_bytes(case))
    return path


def shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root))


def assert_one_line_error(result: Any, *, names: str | None = None) -> None:
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("projledger: "), lines[0]
    if names:
        assert names in lines[0], lines[0]


def finding_pattern(rel: str, finding: dict[str, Any]) -> re.Pattern[str]:
    line = finding["line"]
    where = re.escape(rel) + (rf":{line}(:\d+)?" if line else "")
    field = rf" {re.escape(finding['field'])}:" if finding["field"] else ""
    return re.compile(rf"^{where}: {finding['severity']} \[{re.escape(finding['rule'])}\]{field} ", re.M)


def test_the_catalogue_is_big_enough() -> None:
    assert len(CASES) >= 40
    assert len({c["id"] for c in CASES}) == len(CASES), "case ids are unique"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_validate_names_file_line_and_field(empty_repo: Path, case: dict[str, Any]) -> None:
    path = place(empty_repo, case)
    rel = shown(path, empty_repo)
    for args in (["validate", rel], ["validate"], ["validate", "--format", "json", rel]):
        result = run(*args, "--as-of", AS_OF)
        assert result.exit_code == case["exit"], (args, result.stdout, result.stderr)
        assert result.stderr == "", result.stderr
    result = run("validate", rel, "--as-of", AS_OF)
    if "finding" in case:
        assert finding_pattern(rel, case["finding"]).search(result.stdout), result.stdout
        if "says" in case["finding"]:
            assert case["finding"]["says"] in result.stdout
        found = json.loads(run("validate", "--format", "json", rel, "--as-of", AS_OF).stdout)["findings"]
        want = case["finding"]
        assert any(
            f["rule"] == want["rule"] and f["severity"] == want["severity"] and f["field"] == want["field"]
            and f["line"] == (want["line"] or None) and f["path"] == rel
            for f in found
        ), found  # fmt: skip
    if case.get("accepted"):
        assert "1 file checked: 0 errors" in result.stdout


REFUSED = [c for c in CASES if c["exit"] == 1]


@pytest.mark.parametrize("case", REFUSED, ids=[c["id"] for c in REFUSED])
def test_add_report_refuses_and_writes_nothing(empty_repo: Path, case: dict[str, Any]) -> None:
    path = place(empty_repo, case)
    before = path.read_bytes()
    rel = shown(path, empty_repo)
    result = run("add-report", rel, "--date", "2024-09-01", "--progress", "50", "--note", "งาน")
    assert_one_line_error(result, names=rel)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")) == [path.name]


UNREADABLE = [
    c
    for c in REFUSED
    if c["finding"]["rule"] in {"empty", "encoding", "too-large", "toml-syntax", "non-finite"}
]


@pytest.mark.parametrize("case", UNREADABLE, ids=[c["id"] for c in UNREADABLE])
def test_fmt_and_migrate_never_rewrite_what_they_cannot_read(empty_repo: Path, case: dict[str, Any]) -> None:
    path = place(empty_repo, case)
    before = path.read_bytes()
    rel = shown(path, empty_repo)
    for args in (["fmt", rel], ["fmt"], ["fmt", "--check", rel], ["migrate", rel], ["migrate"],
                 ["migrate", "--check", rel]):  # fmt: skip
        result = run(*args)
        assert result.exit_code == 1, (args, result.stdout, result.stderr)
        assert path.read_bytes() == before
        assert rel in result.stdout + result.stderr


#: A record is judged as of the day of the run, so a report "in the future" of --as-of is fine.
SKIPPED = [c for c in REFUSED if c["finding"]["rule"] != "future-report"]


@pytest.mark.parametrize("case", SKIPPED, ids=[c["id"] for c in SKIPPED])
def test_readers_skip_it_and_say_so(empty_repo: Path, case: dict[str, Any]) -> None:
    path = place(empty_repo, case)
    rel = shown(path, empty_repo)
    for command in READERS:
        if command not in COMMANDS:
            continue
        if command == "show":
            result = run("show", rel, "--as-of", AS_OF)
            assert_one_line_error(result, names=rel)
            continue
        for extra in ([], ["--format", "json"], ["--format", "csv"]):
            result = run(command, "--as-of", AS_OF, *extra)
            assert result.exit_code in (0, 1), (command, extra, result.stderr)
            assert rel in result.stderr, (command, result.stderr)
        result = run(command, rel, "--as-of", AS_OF)
        assert result.exit_code in (0, 1), (command, result.stderr)
        assert rel in result.stderr


ACCEPTED = [c for c in CASES if c.get("accepted")]


@pytest.mark.parametrize("case", ACCEPTED, ids=[c["id"] for c in ACCEPTED])
def test_legal_inputs_are_accepted_and_keep_their_style(empty_repo: Path, case: dict[str, Any]) -> None:
    path = place(empty_repo, case)
    before = path.read_bytes()
    rel = shown(path, empty_repo)
    result = run("add-report", rel, "--date", "2023-11-24", "--progress", "20", "--note", "งานเดือนสอง")
    assert result.exit_code == 0, result.stderr
    after = path.read_bytes()
    if case.get("rewrites"):  # reports spelled as one array value: rewritten as blocks, and said
        assert "[[reports]] block" in result.stderr, result.stderr
        old, new = tomllib.loads(before.decode("utf-8")), tomllib.loads(after.decode("utf-8"))
        assert new["reports"][:-1] == old["reports"] and new["reports"][-1]["note"] == "งานเดือนสอง"
        assert {k: v for k, v in new.items() if k != "reports"} == {
            k: v for k, v in old.items() if k != "reports"
        }
        assert run("validate", rel, "--as-of", AS_OF).exit_code == 0
        return
    crlf = before.find(b"\n") > 0 and before[before.find(b"\n") - 1 : before.find(b"\n")] == b"\r"
    body = before if before.endswith(b"\n") else before + (b"\r\n" if crlf else b"\n")
    assert after.startswith(body), "the bytes already there stay as they were"
    added = after[len(body) :]
    first_end = before.find(b"\n")
    if first_end > 0 and before[first_end - 1 : first_end] == b"\r":  # the style of the first line end
        assert added.count(b"\n") == added.count(b"\r\n"), "CRLF file stays CRLF"
    else:
        assert b"\r" not in added
    assert run("validate", rel, "--as-of", AS_OF).exit_code == 0
    for command in READERS:
        if command in COMMANDS:
            result = run(command, rel, "--as-of", AS_OF)
            assert result.exit_code == 0, (command, result.stderr)


# --- options given garbage ----------------------------------------------------------------------


@pytest.mark.parametrize("case", OPTION_CASES, ids=[c["id"] for c in OPTION_CASES])
def test_option_garbage(empty_repo: Path, case: dict[str, Any]) -> None:
    path = place(empty_repo, {"id": "base"})
    before = path.read_bytes()
    if case["args"][0] not in COMMANDS and case.get("registered", True):
        pytest.skip(f"{case['args'][0]} is not registered yet")
    result = run(*case["args"])
    assert result.exit_code == case["exit"], (result.exit_code, result.stdout, result.stderr)
    if case["exit"] == 1 and case["args"][0] in ("validate", "fmt"):
        output = result.stdout + result.stderr
        assert re.search(r"^records/\S+: error \[\w[\w-]*\] ", output, re.M), output
    elif case["exit"] == 1:
        assert_one_line_error(result)
    if "says" in case:
        assert case["says"] in result.stderr, result.stderr
    assert path.read_bytes() == before
    if case["args"][0] == "new":
        assert sorted(p.name for p in (empty_repo / "records").rglob("*.toml")) == [path.name]


#: Values no option should turn into a traceback: empty, NUL, controls, a path out of the
#: repository (to nothing: no test aims at a real system path; devices: DEVICE_RUNS), numbers
#: that overflow or are not finite, Thai digits, bidi overrides, a very long value, bytes that are
#: not UTF-8 (as Python holds them from the command line: lone surrogates).
GARBAGE = (
    "",
    " ",
    "\x00",
    "\x1b]0;pwned\x07",
    "../outside/passwd",
    "nan",
    "-inf",
    "1e999999999",
    "-1",
    "99999999999999999999999999999999",
    "๕๐",
    "31/02/2565",
    "0000-00-00",
    "\u202e",
    "9" * 5000,
    "--help",
    "\udcff\udcfe",
)


def _commands() -> list[tuple[str, click.Command]]:
    """Every command by its full name ("sheet import"), groups' subcommands included."""
    found: list[tuple[str, click.Command]] = []
    for name in sorted(COMMANDS):
        command = main.get_command(click.Context(main), name)
        assert command is not None
        if isinstance(command, click.Group):
            for sub in sorted(command.list_commands(click.Context(command))):
                subcommand = command.get_command(click.Context(command), sub)
                assert subcommand is not None
                found.append((f"{name} {sub}", subcommand))
        else:
            found.append((name, command))
    return found


def _options() -> list[tuple[str, str]]:
    found = []
    for name, command in _commands():
        for param in command.params:
            if isinstance(param, click.Option) and not param.is_flag and param.name != "help":
                found.append((name, max(param.opts, key=len)))
    return found


OPTIONS = _options()


def test_options_are_found() -> None:
    assert ("add-report", "--progress") in OPTIONS
    assert ("validate", "--format") in OPTIONS


@pytest.mark.parametrize(("command", "option"), OPTIONS, ids=[f"{c} {o}" for c, o in OPTIONS])
def test_every_option_survives_garbage(empty_repo: Path, command: str, option: str) -> None:
    path = place(empty_repo, {"id": "base"})
    before = path.read_bytes()
    base_args = {
        "add-report": [CODE, "--progress", "50", "--note", "x", "--date", "2024-09-01"],
        "new": [
            "50100000-0009",
            "--name",
            "x",
            "--fiscal-year",
            "2567",
            "--start",
            "2023-10-01",
            "--end",
            "2024-09-30",
            "--budget",
            "1",
            "--department",
            "x",
        ],
        "init": [str(empty_repo / "fresh")],
    }.get(command, [])
    for value in GARBAGE:
        before = path.read_bytes()
        args = [*command.split(), *base_args, option, value]
        result = run(*args, input="")
        assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.stderr)
        assert "internal error" not in result.stderr, (args, result.stderr)
        if result.exit_code == 1:
            assert len(result.stderr.splitlines()) >= 1
            assert all(
                line.startswith(("projledger: ", "  ", "1 ", "records/")) or line[:1].isdigit()
                for line in result.stderr.splitlines()
            ), (args, result.stderr)
        if command == "add-report" and result.exit_code != 0:
            assert path.read_bytes() == before, args
        if command == "fmt" and result.exit_code == 2:
            assert path.read_bytes() == before, args


@pytest.mark.parametrize(
    "args",
    [
        ["new", "50100000-0009", "--name", "\udcff", "--fiscal-year", "2567", "--start", "2023-10-01",
         "--end", "2024-09-30", "--budget", "1", "--department", "x"],
        ["add-report", CODE, "--progress", "50", "--date", "2024-09-01", "--note", "ok \udced\udca0\udc80"],
        ["status", "--agency", "\udcff"],
    ],
)  # fmt: skip
def test_words_that_are_not_utf8_are_refused_naming_the_option(empty_repo: Path, args: list[str]) -> None:
    """A name typed in another encoding (`--name $'\\xff'`) crashed new (exit 3, UnicodeEncodeError)
    and made add-report blame the record ('cannot be appended to this file (not valid TOML...'):
    every option of words refuses it, naming itself, and nothing is written."""
    path = place(empty_repo, {"id": "base"})
    before = path.read_bytes()
    result = run(*args)
    assert result.exit_code == 2, result.stderr
    option = args[[any(0xDC80 <= ord(c) <= 0xDCFF for c in arg) for arg in args].index(True) - 1]
    assert result.stderr.startswith(f"projledger: {option}: ") and "not UTF-8 text" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert path.read_bytes() == before
    assert sorted(p.name for p in (empty_repo / "records").rglob("*.toml")) == [path.name]


# --- Thai text is stored in one form --------------------------------------------------------------

SPLIT = "น\u0e49\u0e4d\u0e32ท\u0e48วม"  # น้ำท่วม typed as NIKHAHIT + SARA AA, tone mark first
SPLIT_OTHER_ORDER = "น\u0e4d\u0e49\u0e32ท\u0e48วม"  # NIKHAHIT before the tone mark, as PDFs extract it
STORED = "น\u0e49\u0e33ท\u0e48วม"  # SARA AM, one code point: what a Thai keyboard types


def test_nfc_alone_would_leave_sara_am_split() -> None:
    """Why core/text.nfc does more than NFC: SARA AM has only a compatibility decomposition."""
    import unicodedata

    assert unicodedata.normalize("NFC", SPLIT) == SPLIT
    assert unicodedata.normalize("NFKC", STORED) != STORED, "NFKC splits SARA AM: never used on text"


@pytest.mark.parametrize("typed", [SPLIT, SPLIT_OTHER_ORDER, STORED])
def test_sara_am_is_stored_as_one_code_point(empty_repo: Path, typed: str) -> None:
    path = place(empty_repo, {"id": "base"})
    result = run("add-report", CODE, "--date", "2023-11-24", "--progress", "20", "--note", typed + " ๑๐ %")
    assert result.exit_code == 0, result.stderr
    stored = path.read_text("utf-8")
    assert f'note = "{STORED} ๑๐ %"' in stored, "Thai digits kept, SARA AM composed"
    assert "\u0e4d" not in stored
    result = run("new", "50100000-0002", "--name", typed, "--fiscal-year", "2567", "--start", "2023-10-01",
                 "--end", "2024-09-30", "--budget", "1", "--department", typed)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    created = (empty_repo / "records" / "2567" / "50100000-0002.toml").read_text("utf-8")
    assert f'name = "{STORED}"' in created and f'department = "{STORED}"' in created


# --- the repository's config given garbage --------------------------------------------------------

CONFIG_CASES: list[dict[str, Any]] = tomllib.loads((BAD / "configs.toml").read_text("utf-8"))["case"]


def _config_bytes(case: dict[str, Any]) -> bytes:
    match case.get("generate"):
        case "deep":
            return b"x = " + b"[" * 3000 + b"]" * 3000 + b"\n"
        case "utf-16":
            return codecs.BOM_UTF16_LE + 'records = "records"\n'.encode("utf-16-le")
        case "deep-pattern":  # re.compile: RecursionError
            return b"code_pattern = '" + b"(" * 2000 + b")" * 2000 + b"'\n"
        case "year-5000-digits":
            return b'[disbursement_targets]\n"' + b"9" * 5000 + b'" = [30, 55, 75, 100]\n'
    return str(case["text"]).encode("utf-8")


@pytest.mark.parametrize("case", CONFIG_CASES, ids=[c["id"] for c in CONFIG_CASES])
def test_a_bad_config_is_refused_in_one_line(empty_repo: Path, case: dict[str, Any]) -> None:
    place(empty_repo, {"id": "base"})
    (empty_repo / "projledger.toml").write_bytes(_config_bytes(case))
    for args in (["validate"], ["status"], ["add-report", CODE, "--progress", "1", "--note", "x"]):
        result = run(*args)
        assert_one_line_error(result, names="projledger.toml")
        assert case["says"] in result.stderr, result.stderr


def _with_arguments() -> list[str]:
    return [
        name for name, command in _commands() if any(isinstance(p, click.Argument) for p in command.params)
    ]


@pytest.mark.parametrize("command", _with_arguments())
def test_every_argument_survives_garbage(empty_repo: Path, command: str) -> None:
    path = place(empty_repo, {"id": "base"})
    assert run("fmt").exit_code == 0  # canonical first: from then on only add-report may change it
    tail = {"add-report": ["--progress", "50", "--note", "x", "--date", "2024-09-01"]}.get(command, [])
    for value in (*GARBAGE, "records", "records/2567", str(path), "-", "~"):
        before = path.read_bytes()
        args = [*command.split(), value, *tail]
        result = run(*args, input="")
        assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.stderr)
        assert "internal error" not in result.stderr, (args, result.stderr)
        writes = {"add-report": [str(path)], "migrate": ["records", "records/2567", str(path)]}
        if value not in writes.get(command, []):  # the writers change the record they are given
            assert path.read_bytes() == before, args


#: Runs given a device that never ends (``zero``: a node with /dev/zero's numbers, made in the
#: test's folder by ``char_device``).
DEVICE_RUNS = [
    ("validate", "zero"),
    ("status", "zero"),
    ("summary", "zero"),
    ("show", "zero"),
    ("fmt", "zero"),
    ("migrate", "zero"),
    ("migrate", "--check", "zero"),
    ("import", "zero"),
    ("add-report", "zero", "--progress", "1", "--note", "x"),
    ("add-report", CODE, "--progress", "1", "--note-file", "zero"),
    ("add-result", "zero", "--quarter", "1", "--value", "1"),
    ("add-evaluation", "zero", "--quarter", "1", "--score", "1"),
    ("revise-budget", "zero", "--budget", "1", "--date", "2024-09-01", "--note", "x"),
]


def _limited() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))  # a bug costs 1 GB, not the machine


@pytest.mark.slow
@pytest.mark.parametrize("args", DEVICE_RUNS, ids=[" ".join(a) for a in DEVICE_RUNS])
def test_devices_are_refused_not_read_forever(empty_repo: Path, args: tuple[str, ...]) -> None:
    import shutil
    import subprocess
    import sys

    place(empty_repo, {"id": "base"})
    char_device(empty_repo, "zero", DEV_ZERO)
    program = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert program
    done = subprocess.run(
        [program, *args], cwd=empty_repo, capture_output=True, text=True, timeout=60, preexec_fn=_limited
    )
    assert done.returncode in (0, 1, 2), (done.returncode, done.stderr[-300:])
    assert "internal error" not in done.stderr
    if done.returncode == 0:  # status and summary skip what is not a record, and say so
        assert args[0] in ("status", "summary") and "not a regular file" in done.stderr, done.stderr


@pytest.mark.parametrize("event", ["cancelled", "completed"])
def test_no_report_is_added_after_a_cancellation_or_completion(empty_repo: Path, event: str) -> None:
    path = place(
        empty_repo,
        {"id": "closed", "replace": [['note = "ดำเนินการตามแผน"', f'note = "x"\nevent = "{event}"']]},
    )
    before = path.read_bytes()
    assert run("validate", "--as-of", AS_OF).exit_code == 0
    result = run("add-report", CODE, "--date", "2023-11-24", "--progress", "100", "--note", "ต่อ")
    assert_one_line_error(result, names="reports[2]")
    assert "nothing may follow" in result.stderr
    assert path.read_bytes() == before


@pytest.mark.parametrize("command", ["fmt", "migrate", "init", "import", "sheet import"])
def test_an_empty_path_is_not_the_working_folder(empty_repo: Path, command: str) -> None:
    """`fmt "$FILE"` with FILE unset must not rewrite every record here."""
    path = place(empty_repo, {"id": "base"})
    before = sorted(p.name for p in empty_repo.rglob("*"))
    result = run(*command.split(), "")
    assert result.exit_code == 2, result.stderr
    assert "an empty path" in result.stderr
    assert path.read_bytes() == (BAD / "base.toml").read_bytes()
    assert sorted(p.name for p in empty_repo.rglob("*")) == before


@pytest.mark.parametrize("case", REFUSED, ids=[c["id"] for c in REFUSED])
def test_sheet_import_refuses_and_writes_nothing(empty_repo: Path, case: dict[str, Any]) -> None:
    """The month sheet is the other writer of reports: a bad record is never appended to."""
    if "sheet" not in COMMANDS:
        pytest.skip("sheet is not registered yet")
    import csv
    import io

    path = place(empty_repo, {"id": "base"})
    sheet = empty_repo / "month.csv"
    exported = run("sheet", "export", "--month", "11/2566", "--output", str(sheet), "--as-of", "2023-12-01")
    assert exported.exit_code == 0, exported.stderr
    rows = list(csv.reader(io.StringIO(sheet.read_text("utf-8-sig"))))
    keys = [h.rsplit("(", 1)[-1].rstrip(")") for h in rows[0]]
    row = dict(zip(keys, rows[1], strict=True)) | {"date": "24/11/2566", "progress": "20", "note": "งาน"}
    out = io.StringIO()
    csv.writer(out).writerows([rows[0], [row[k] for k in keys]])
    sheet.write_text(out.getvalue(), "utf-8")
    path.unlink()
    bad = place(empty_repo, case)
    before = bad.read_bytes()
    result = run("sheet", "import", str(sheet), "--as-of", "2024-09-30")
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "internal error" not in result.stderr
    assert bad.read_bytes() == before


SLOW_TO_READ = [
    "dotted-key-of-60000-parts",
    "deep-arrays",
    "deep-inline-tables",
    "oversize",
    "integer-of-5000-digits",
]


@pytest.mark.slow
@pytest.mark.parametrize("case_id", SLOW_TO_READ)
def test_pathological_files_are_judged_in_seconds(empty_repo: Path, case_id: str) -> None:
    """A record built to be slow to read must not stall CI: each is judged well within 20 s."""
    import shutil
    import subprocess
    import sys
    import time

    case = next(c for c in CASES if c["id"] == case_id)
    place(empty_repo, case)
    program = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert program
    started = time.perf_counter()
    done = subprocess.run(
        [program, "validate", "--as-of", AS_OF], cwd=empty_repo, capture_output=True, text=True, timeout=20,
        env={**os.environ, "PROJLEDGER_NO_CACHE": "1"},
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert time.perf_counter() - started < 20


@pytest.mark.parametrize("where", ["device", "name too long", "file"])
def test_a_cache_that_cannot_be_written_never_fails_a_run(
    empty_repo: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """CI often runs with a read-only home: the cache is an optimisation, never a reason to fail.
    The places are made in the test's folder: a device node, a name the system refuses, a file."""
    place(empty_repo, {"id": "base"})
    monkeypatch.setenv("PROJLEDGER_CACHE_DIR", str(unwritable_place(empty_repo, where)))
    monkeypatch.delenv("PROJLEDGER_NO_CACHE", raising=False)
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert "1 file checked: 0 errors" in result.stdout


def unwritable_place(folder: Path, what: str) -> Path:
    """A place in ``folder`` where no cache folder can be made, even by root: a device node
    (/dev/null's numbers), a name longer than the system allows, or a file."""
    if what == "device":
        return char_device(folder, "null", DEV_NULL)
    if what == "name too long":
        return folder / ("x" * 300)
    (folder / "not-a-folder").write_text("x", "utf-8")
    return folder / "not-a-folder"


FIFO_RUNS = [
    ("validate", "--as-of", AS_OF),
    ("status", "--as-of", AS_OF),
    ("summary", "--as-of", AS_OF),
    ("fmt", "--check"),
    ("migrate", "--check"),
    ("migrate",),
]


@pytest.mark.slow
@pytest.mark.parametrize("cache", ["off", "on"])
@pytest.mark.parametrize("args", FIFO_RUNS, ids=[a[0] for a in FIFO_RUNS])
def test_a_fifo_among_the_records_never_hangs_a_reader(
    empty_repo: Path, cache: str, args: tuple[str, ...]
) -> None:
    """A FIFO named like a record (a prank, or a tool's pipe) blocks whoever opens it to read."""
    import shutil
    import subprocess
    import sys

    place(empty_repo, {"id": "base"})
    os.mkfifo(empty_repo / "records" / "2567" / "50100000-0002.toml")
    program = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert program
    env = {**os.environ, "PROJLEDGER_CACHE_DIR": str(empty_repo / ".cache")}
    if cache == "off":
        env["PROJLEDGER_NO_CACHE"] = "1"
    else:
        env.pop("PROJLEDGER_NO_CACHE", None)
    for attempt in range(2):  # the second run meets what the first one cached
        done = subprocess.run(
            [program, *args], cwd=empty_repo, capture_output=True, text=True, timeout=10, env=env
        )
        assert done.returncode in (0, 1), (args, attempt, done.stderr)
        assert "records/2567/50100000-0002.toml: error [io]" in done.stdout + done.stderr or (
            "not a regular file" in done.stderr
        ), (args, done.stdout, done.stderr)


#: Every record the catalogue refuses, at the path a printout of the same project imports to
#: (a case placed under a code of its own is elsewhere; a future report is judged as of today).
IMPORT_OVER = [c for c in SKIPPED if "code" not in c]


@pytest.fixture
def base_printout(empty_repo: Path) -> Path:
    """The form `show` prints for base.toml: a printout that imports to the catalogue's path."""
    path = place(empty_repo, {"id": "base"})
    printout = empty_repo / "printout.txt"
    printout.write_text(run("show", shown(path, empty_repo)).stdout, "utf-8")
    assert run("import", str(printout), "--stdout").exit_code == 0
    return printout


@pytest.mark.parametrize("case", IMPORT_OVER, ids=[c["id"] for c in IMPORT_OVER])
def test_import_force_never_replaces_a_record_it_cannot_read(
    empty_repo: Path, base_printout: Path, case: dict[str, Any]
) -> None:
    """Issue 17.2: --force (and --partial) over a record that is not a valid one refuses in
    one line naming the record and saying what to do; the record's bytes stay as they were."""
    path = place(empty_repo, case)
    before = path.read_bytes()
    rel = shown(path, empty_repo)
    result = run("import", "printout.txt", "--force", "--partial")
    assert_one_line_error(result, names=rel)
    assert "fix it or remove it first; nothing was written" in result.stderr
    line = case["finding"]["line"]
    if line:
        assert f"{rel}:{line}:" in result.stderr, result.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")) == [path.name]


# --- hostile places among the records: not a record's bytes, but where it lies --------------

#: Each makes, beside a valid record, an entry of the records folder that is no record file;
#: (what it is, the path named, the rule of validate's finding, words of the message).
PLACES: dict[str, tuple[Any, str, str | None, str]] = {
    "link-loop": (lambda r: (os.symlink("b.toml", r / "a.toml"), os.symlink("a.toml", r / "b.toml")),
                  "records/a.toml", "unreadable-path", "symbolic link loop"),
    "self-link": (lambda r: os.symlink("self.toml", r / "self.toml"),
                  "records/self.toml", "unreadable-path", "symbolic link loop"),
    "dangling-link": (lambda r: os.symlink("gone.toml", r / "x.toml"),
                      "records/x.toml", "unreadable-path", "symbolic link to nothing"),
    "folder-cycle": (lambda r: os.symlink("..", r / "2567" / "up"),
                     "records/2567/up", "unreadable-path", "a link back to a folder already read"),
    "tis-620-folder": (lambda r: os.mkdir(os.path.join(os.fsencode(r), b"\xbb\xd5")),
                       "", None, ""),  # an empty folder of a name that is not UTF-8: nothing to say
    "tis-620-file": (lambda r: (r / "2567" / f"{CODE}.toml").rename(
                         os.fsdecode(os.path.join(os.fsencode(r / "2567"), b"\xbb\xd5.toml"))),
                     "records/2567/\\udcbb\\udcd5.toml", "file-name", "the file is named"),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(PLACES))
def test_hostile_places_among_the_records(empty_repo: Path, kind: str) -> None:
    """One such entry is a finding on its path (exit 1 from validate), never an internal error
    (a loop was `RuntimeError: Symlink loop`, exit 3; a TIS-620 name crashed site); the readers
    and the site go on with every other record."""
    make, path, rule, words = PLACES[kind]
    record = place(empty_repo, {"id": "base"})
    if kind != "tis-620-file":
        shutil.copy(record, record.with_name("50100000-0002.toml"))  # and one more, valid
        record.with_name("50100000-0002.toml").write_text(
            record.read_text("utf-8").replace(CODE, "50100000-0002"), "utf-8"
        )
    make(empty_repo / "records")
    result = run("validate", "--as-of", AS_OF)
    assert "internal error" not in result.stderr
    if rule is None:
        assert result.exit_code == 0, result.stdout
    else:
        assert result.exit_code == 1, result.stdout
        assert f"{path}: error [{rule}]" in result.stdout or re.search(
            rf"^{re.escape(path)}:\d+: error \[{rule}\]", result.stdout, re.M
        ), result.stdout
        assert words in result.stdout
    for args in (["status"], ["summary"], ["site", "--output", "_site"], ["fmt", "--check"],
                 ["sheet", "export", "--output", "sheet.csv"]):  # fmt: skip
        done = run(*args, "--as-of", AS_OF) if args[0] in ("status", "summary", "site") else run(*args)
        assert done.exit_code in (0, 1), (args, done.stderr)
        assert "internal error" not in done.stderr, (args, done.stderr)
        if args[0] in ("status", "summary") and kind != "tis-620-file":
            assert "50100000-0002" in done.stdout or "สำนัก" in done.stdout, (args, done.stdout)
        if args[0] in ("status", "site") and rule is not None:
            assert path in done.stderr, (args, done.stderr)


# --- the format-2 appends (add-result, add-evaluation, revise-budget) on hostile places ---------

#: Each command's options, good ones: only the place of the record is hostile.
APPENDS = {
    "add-result": ["--quarter", "1", "--value", "1", "--date", "2023-11-01"],
    "add-evaluation": ["--quarter", "1", "--score", "1", "--date", "2024-01-20"],
    "revise-budget": ["--budget", "1", "--date", "2024-01-20", "--note", "x"],
}
KPI_TEXT = """format = 2
kind = "kpi"
code = "5026-2001"
name = "x"
fiscal_year = 2567
category = "routine"
level = "output"
unit = "ร้อยละ"
target = 100

[agency]
department = "x"
"""


def _hostile_kpi(root: Path, hostile: str) -> Path:
    """records/2567/kpi/5026-2001.toml as ``hostile``: a FIFO, a link to nothing, a link out."""
    path = root / "records" / "2567" / "kpi" / "5026-2001.toml"
    path.parent.mkdir(parents=True)
    if hostile == "fifo":
        os.mkfifo(path)
    elif hostile == "dangling-link":
        os.symlink("gone.toml", path)
    else:
        outside = root / "outside.toml"
        outside.write_text(KPI_TEXT, "utf-8")
        os.symlink(outside, path)
    return path


@pytest.mark.parametrize("hostile", ["fifo", "dangling-link", "link-out"])
@pytest.mark.parametrize("by", ["code", "path"])
@pytest.mark.parametrize("command", list(APPENDS))
def test_the_format2_appends_refuse_hostile_places(
    empty_repo: Path, command: str, by: str, hostile: str
) -> None:
    path = _hostile_kpi(empty_repo, hostile)
    outside = empty_repo / "outside.toml"
    before = outside.read_bytes() if outside.exists() else None
    given = "5026-2001" if by == "code" else shown(path, empty_repo)
    result = run(command, given, *APPENDS[command])
    assert_one_line_error(result)
    assert "5026-2001" in result.stderr or "outside" in result.stderr
    assert result.stdout == ""
    if before is not None:
        assert outside.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")) == [path.name]


@pytest.mark.parametrize("command", list(APPENDS))
def test_the_format2_appends_refuse_a_broken_record_naming_file_line_and_field(
    empty_repo: Path, command: str
) -> None:
    path = empty_repo / "records" / "2567" / "kpi" / "5026-2001.toml"
    path.parent.mkdir(parents=True)
    path.write_text(KPI_TEXT.replace("target = 100", "target = -1"), "utf-8")
    before = path.read_bytes()
    result = run(command, "5026-2001", *APPENDS[command])
    assert_one_line_error(result, names="records/2567/kpi/5026-2001.toml:")
    assert path.read_bytes() == before


@pytest.mark.parametrize("value", ["2023-10-01", "1979-05-27T07:32:00", "07:32:00"])
def test_a_kpi_with_a_date_for_its_text_is_refused_not_a_crash(empty_repo: Path, value: str) -> None:
    """The validator reads a TOML date as its ISO text, which a text field accepts: a KPI whose
    unit was a date was taken as valid and status, show and export crashed (exit 3)."""
    path = empty_repo / "records" / "2567" / "kpi" / "5026-2001.toml"
    path.parent.mkdir(parents=True)
    path.write_text(KPI_TEXT.replace('unit = "ร้อยละ"', f"unit = {value}"), "utf-8")
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 1, result.stdout
    assert "records/2567/kpi/5026-2001.toml:8: error [wrong-type] unit: " in result.stdout
    for args in (["status", "--kind", "kpi"], ["show", "5026-2001"], ["summary"]):
        result = run(*args, "--as-of", AS_OF)
        assert result.exit_code in (0, 1), (args, result.stderr)
        assert "internal error" not in result.stderr
    for command, options in APPENDS.items():
        if command != "revise-budget":
            assert_one_line_error(run(command, "5026-2001", *options), names="5026-2001.toml:8:")


@pytest.mark.parametrize(
    "whole", ["fiscal_year = 2567.0", "results.quarter = 1.0", "evaluations.quarter = 1e0"]
)
def test_a_kpi_with_a_float_for_a_whole_number_is_refused_not_a_crash(empty_repo: Path, whole: str) -> None:
    """JSON Schema counts 2567.0 an integer: a KPI with it was taken as valid and crashed."""
    path = empty_repo / "records" / "2567" / "kpi" / "5026-2001.toml"
    path.parent.mkdir(parents=True)
    text = (
        KPI_TEXT
        + "\n[[results]]\nquarter = 1\nvalue = 5\n\n[[evaluations]]\nquarter = 1\nscore = 90\ndate = 2024-01-20\n"
    )
    key, value = whole.split(" = ")
    if key == "fiscal_year":
        text = text.replace("fiscal_year = 2567", whole)
    else:
        table = key.split(".")[0]
        text = text.replace(f"[[{table}]]\nquarter = 1", f"[[{table}]]\nquarter = {value}")
    path.write_text(text, "utf-8")
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 1, result.stdout
    assert "error [wrong-type]" in result.stdout and "should be a whole number" in result.stdout, (
        result.stdout
    )
    for args in (["status", "--kind", "kpi"], ["show", "5026-2001"], ["summary"]):
        result = run(*args, "--as-of", AS_OF)
        assert result.exit_code in (0, 1), (args, result.stderr)
        assert "internal error" not in result.stderr
    assert_one_line_error(run("add-result", "5026-2001", *APPENDS["add-result"]), names="5026-2001.toml:")


@pytest.mark.parametrize(("target", "direction"), [("5e-324", "higher"), ("100", "lower")])
def test_a_percent_of_target_past_any_figure_is_shown_as_none(
    empty_repo: Path, target: str, direction: str
) -> None:
    """A target (or, where less is better, a result) so near 0 that its % of target is 10^326:
    valid, and every command that showed the % crashed (quantize, the chart's scale)."""
    path = empty_repo / "records" / "2567" / "kpi" / "5026-2001.toml"
    path.parent.mkdir(parents=True)
    value = "5e-324" if direction == "lower" else "45.5"
    text = KPI_TEXT.replace("target = 100", f'target = {target}\ndirection = "{direction}"')
    path.write_text(text + f"\n[[results]]\nquarter = 1\nvalue = {value}\ndate = 2024-01-20\n", "utf-8")
    assert run("validate", "--as-of", AS_OF).exit_code == 0
    for args in (
        ["status", "5026-2001"],
        ["status", "--kind", "kpi", "--format", "json"],
        ["show", "5026-2001"],
        ["summary"],
        ["export", "--format", "ndjson", "-o", "out"],
        ["site", "-o", "site"],
    ):
        result = run(*args, "--as-of", AS_OF)
        assert result.exit_code == 0, (args, result.stderr)
    kpis = json.loads(run("status", "--kind", "kpi", "--format", "json", "--as-of", AS_OF).stdout)["kpis"]
    assert kpis[0]["percent_of_target"] is None


@pytest.mark.parametrize("index", [False, True], ids=["no-index", "index"])
def test_one_code_in_two_files_is_counted_once_by_every_reader(
    empty_repo: Path, monkeypatch: pytest.MonkeyPatch, index: bool
) -> None:
    """validate fails the second file (duplicate-code) and the site had one page a code, but status,
    summary, export and sheet export counted the project, its budget and its due report twice."""
    if index:
        monkeypatch.setenv("PROJLEDGER_CACHE_DIR", str(empty_repo / "cache"))
        monkeypatch.delenv("PROJLEDGER_NO_CACHE", raising=False)
    first = place(empty_repo, {"id": "base"})
    second = empty_repo / "records" / "2568" / first.name
    second.parent.mkdir()
    second.write_bytes(first.read_bytes())
    said = f"records/2568/{CODE}.toml: project {CODE} already has a record, records/2567/{CODE}.toml"
    for _ in range(2):  # the second run answers from what the index keeps
        status = run("status", "--as-of", AS_OF, "--format", "json")
        assert [p["path"] for p in json.loads(status.stdout)["projects"]] == [f"records/2567/{CODE}.toml"]
        assert said in status.stderr
        summary = json.loads(run("summary", "--as-of", AS_OF, "--format", "json").stdout)
        assert (summary["total"]["projects"], summary["total"]["budget"]) == (1, 120000)
        sheet = run("sheet", "export", "--month", "11/2566", "--as-of", AS_OF, "--output", "due.csv")
        assert f"records/2568/{CODE}.toml ({said.split(': ', 1)[1]})" in sheet.stderr
        rows = (empty_repo / "due.csv").read_text("utf-8-sig").splitlines()[1:]
        assert [row.split(",")[0] for row in rows] == [CODE]
        exported = run("export", "--format", "ndjson", "--as-of", AS_OF, "--output", "out")
        assert exported.exit_code == 0 and said in exported.stderr
        projects = (empty_repo / "out" / "projects.ndjson").read_text("utf-8").splitlines()
        assert [json.loads(line)["path"] for line in projects] == [f"records/2567/{CODE}.toml"]
    real = installed("summary", "--as-of", AS_OF, "--format", "json", cwd=empty_repo)
    assert real.returncode == 0 and json.loads(real.stdout)["total"]["projects"] == 1, real.stderr


# --- a record its user may not write is left alone (hostile15) -------------------------------

READ_ONLY_PROJECT = """format = 1
code = "50100000-0001"
name = "ปรับปรุงทางเท้า"
fiscal_year = 2567
start = 2023-10-01
end = 2024-09-30
budget = 1250000.00

[agency]
department = "สำนักงานเขตพระนคร"
"""
READ_ONLY_WRITES = {
    "add-report": ["50100000-0001", "--date", "2023-10-25", "--progress", "5", "--disbursed", "0",
                   "--note", "x", "--plan-status", "on_plan", "--target-status", "on_target"],
    "fmt": ["records/2567/50100000-0001.toml"],
    "migrate": ["records/2567/50100000-0001.toml"],
    "revise-budget": ["50100000-0001", *APPENDS["revise-budget"]],  # a format-2 project's
    **{command: ["5026-2001", *APPENDS[command]] for command in ("add-result", "add-evaluation")},
}  # fmt: skip


@pytest.mark.parametrize("command", list(READ_ONLY_WRITES))
def test_a_read_only_record_is_never_replaced(empty_repo: Path, command: str) -> None:
    """``chmod a-w`` on a record (a fiscal year closed) did not stop a write: the new file is
    renamed over the old one, which the file's own permissions never forbid, so add-report,
    fmt, migrate and the format-2 appends rewrote it (and kept it read-only). Refused, in one
    line, nothing written, nothing left beside it."""
    project = empty_repo / "records" / "2567" / "50100000-0001.toml"
    kpi = empty_repo / "records" / "2567" / "kpi" / "5026-2001.toml"
    kpi.parent.mkdir(parents=True)
    text = READ_ONLY_PROJECT.replace("budget = 1250000.00", "budget   =  1250000.00")  # for fmt
    if command == "revise-budget":
        text = text.replace("format = 1", 'format = 2\nkind = "project"')
    project.write_text(text, "utf-8")
    kpi.write_text(KPI_TEXT, "utf-8")
    path = kpi if "5026-2001" in READ_ONLY_WRITES[command] else project
    path.chmod(0o444)
    before = path.read_bytes()
    result = run("--lang", "en", command, *READ_ONLY_WRITES[command])
    assert result.exit_code == 1, (result.stdout, result.stderr)
    said = result.stdout + result.stderr
    assert "is read-only; make it writable first (chmod u+w); nothing written" in said
    assert "Traceback" not in said and "internal error" not in said
    assert path.read_bytes() == before and path.stat().st_mode & 0o777 == 0o444
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    path.chmod(0o644)  # made writable, the same command writes it
    assert run("--lang", "en", command, *READ_ONLY_WRITES[command]).exit_code == 0
    assert path.read_bytes() != before


def test_the_installed_command_refuses_a_read_only_record(empty_repo: Path) -> None:
    record = empty_repo / "records" / "2567" / "50100000-0001.toml"
    record.parent.mkdir(parents=True)
    record.write_text(READ_ONLY_PROJECT, "utf-8")
    record.chmod(0o444)
    done = installed(
        "add-report", *READ_ONLY_WRITES["add-report"][1:], "records/2567/50100000-0001.toml", cwd=empty_repo
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "is read-only" in done.stderr
    assert record.read_text("utf-8") == READ_ONLY_PROJECT
