"""``projledger migrate``: format 1 -> format 2 by two line edits, idempotent, all or nothing."""

from __future__ import annotations

import codecs
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli
from hypothesis import given
from hypothesis import strategies as st
from test_append_properties import PROPERTY, Spelled, record_files

from projledger.core.errors import ConflictError, RecordError, RefusedError
from projledger.core.migrate import Migration, migrated, write_all

from conftest import SHIPPED, SMALL_RECORD, SPEC_RECORD, run, write_record

RECORD = "records/2565/01000000-2475.toml"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0

#: The whole change migrate makes to the spec's record: two lines, nothing else.
SPEC_DIFF = """\
--- a/records/2565/01000000-2475.toml
+++ b/records/2565/01000000-2475.toml
@@ -1,4 +1,5 @@
-format = 1
+format = 2
+kind = "project"
 code = "01000000-2475"
 name = "โครงการให้การต้อนรับคณะผู้แทนจากต่างประเทศในฐานะแขกของสภากรุงเทพมหานคร"
 plan_ref = "สส.กทม. ปจ. 1/4"
"""
#: The same on the shipped record, whose `#:schema` line stays.
SHIPPED_DIFF = """\
--- a/records/2565/01000000-2475.toml
+++ b/records/2565/01000000-2475.toml
@@ -1,5 +1,6 @@
 #:schema ../../schemas/project.schema.json
-format = 1
+format = 2
+kind = "project"
 code = "01000000-2475"
 name = "โครงการให้การต้อนรับคณะผู้แทนจากต่างประเทศในฐานะแขกของสภากรุงเทพมหานคร"
 plan_ref = "สส.กทม. ปจ. 1/4"
"""


def load(raw: bytes) -> dict[str, Any]:
    return tomli.loads(raw.removeprefix(codecs.BOM_UTF8).decode("utf-8"), parse_float=Decimal)


def unified(before: bytes, after: bytes, name: str = RECORD) -> str:
    return "".join(
        difflib.unified_diff(
            before.decode("utf-8").splitlines(keepends=True),
            after.decode("utf-8").splitlines(keepends=True),
            f"a/{name}",
            f"b/{name}",
        )
    )


# --- the shipped record ------------------------------------------------------------------------


def test_the_spec_record_migrates_with_exactly_the_expected_diff(repo: Path) -> None:
    path = repo / RECORD
    path.write_bytes(SPEC_RECORD.read_bytes())
    result = run("migrate")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == f"{RECORD}\n"
    assert result.stderr == "1 of 1 file migrated to format 2\n"
    assert unified(SPEC_RECORD.read_bytes(), path.read_bytes()) == SPEC_DIFF
    assert load(path.read_bytes()) == {**load(SPEC_RECORD.read_bytes()), "format": 2, "kind": "project"}


def test_the_shipped_record_keeps_its_schema_line(repo: Path) -> None:
    path = repo / RECORD
    assert run("migrate").exit_code == 0
    assert unified(SHIPPED.read_bytes(), path.read_bytes()) == SHIPPED_DIFF


def test_a_second_run_changes_nothing_and_says_so(repo: Path) -> None:
    path = repo / RECORD
    assert run("migrate").exit_code == 0
    before, inode = path.read_bytes(), path.stat().st_ino
    again = run("migrate")
    assert again.exit_code == 0, again.stderr
    assert again.stdout == ""
    assert (
        again.stderr == "0 of 1 file migrated to format 2; nothing to do: every record is format 2 already\n"
    )
    assert path.read_bytes() == before and path.stat().st_ino == inode  # not even rewritten
    assert run("migrate", "--check").exit_code == 0


def test_check_lists_what_would_change_writes_nothing_and_exits_1(repo: Path) -> None:
    other = write_record(repo, SMALL_RECORD.format(code="50100000-0001"))
    before = {p: p.read_bytes() for p in (repo / RECORD, other)}
    result = run("migrate", "--check")
    assert result.exit_code == 1
    assert result.stdout == f"{RECORD}\nrecords/2565/50100000-0001.toml\n"
    assert result.stderr == "2 of 2 files would be migrated to format 2\n"
    assert {p: p.read_bytes() for p in before} == before
    assert not list(repo.rglob(".*.lock")), "--check takes no lock: it writes nothing"
    assert run("migrate", str(other)).exit_code == 0
    partly = run("migrate", "--check")
    assert partly.exit_code == 1 and partly.stdout == f"{RECORD}\n"
    assert run("migrate").exit_code == 0
    done = run("migrate", "--check")
    assert done.exit_code == 0 and done.stdout == ""


def test_paths_and_folders_as_arguments(repo: Path) -> None:
    other = write_record(repo, SMALL_RECORD.format(code="50100000-0001"), fiscal_year=2568)
    result = run("migrate", "records/2568")
    assert result.exit_code == 0 and result.stdout == "records/2568/50100000-0001.toml\n"
    assert load(other.read_bytes())["format"] == 2
    assert load((repo / RECORD).read_bytes())["format"] == 1


def test_a_link_and_its_target_are_migrated_once(repo: Path) -> None:
    (repo / "records" / "2565" / "again.toml").symlink_to("01000000-2475.toml")
    result = run("migrate")
    assert result.exit_code == 0, result.stderr
    assert unified(SHIPPED.read_bytes(), (repo / RECORD).read_bytes()) == SHIPPED_DIFF
    assert (repo / "records" / "2565" / "again.toml").is_symlink()


# --- spellings ---------------------------------------------------------------------------------

BODY = SMALL_RECORD.format(code="50100000-0001").replace("format = 1\n", "")

#: (spelling of the lines before the body, what it must become).
SPELLINGS = [
    ("format = 1\n", 'format = 2\nkind = "project"\n'),
    ("format=1\n", 'format=2\nkind = "project"\n'),
    ("format = 1 # first format\n", 'format = 2 # first format\nkind = "project"\n'),
    ("format   =\t1   \n", 'format   =\t2   \nkind = "project"\n'),
    ('"format" = 1\n', '"format" = 2\nkind = "project"\n'),
    ("'format' = +1\n", "'format' = 2\nkind = \"project\"\n"),
    ('"\\u0066ormat" = 0x1\n', '"\\u0066ormat" = 2\nkind = "project"\n'),
    ("format = 0b1#x\n", 'format = 2#x\nkind = "project"\n'),
    ("  format = 0o1\n", '  format = 2\n  kind = "project"\n'),
    ("# a comment first\nformat = 1\n", '# a comment first\nformat = 2\nkind = "project"\n'),
]


@pytest.mark.parametrize(("spelled", "expected"), SPELLINGS, ids=[s for s, _ in SPELLINGS])
def test_every_spelling_of_format_1(spelled: str, expected: str) -> None:
    raw = (spelled + BODY).encode()
    new = migrated(raw, "r.toml")
    assert new == (expected + BODY).encode()
    assert load(new) == {**load(raw), "format": 2, "kind": "project"}


def test_the_key_in_an_unusual_place_and_a_look_alike_inside_a_string() -> None:
    text = 'code = "50100000-0001"\nname = """\nformat = 1\n"""\nformat = 1\nfiscal_year = 2568\n[agency]\n'
    new = migrated(text.encode(), "r.toml")
    assert (
        new == text.replace('"""\nformat = 1\nfiscal', '"""\nformat = 2\nkind = "project"\nfiscal').encode()
    )
    assert load(new)["name"] == "format = 1\n"


def test_crlf_bom_and_no_final_line_end_are_kept() -> None:
    raw = codecs.BOM_UTF8 + b'# a comment\r\ncode = "50100000-0001"\r\nformat = 1'
    new = migrated(raw, "r.toml")
    assert new == codecs.BOM_UTF8 + b'# a comment\r\ncode = "50100000-0001"\r\nformat = 2\r\nkind = "project"'
    mixed = b'code = "5"\r\nformat = 1\nname = "x"\r\n'  # the format line's own end is used
    assert migrated(mixed, "r.toml") == b'code = "5"\r\nformat = 2\nkind = "project"\nname = "x"\r\n'


def test_format_2_is_left_as_it_is() -> None:
    assert migrated(b'format = 2\nkind = "project"\ncode = "x"\n', "r.toml") is None
    assert migrated(b'format = 2\nkind = "kpi"\ncode = "x"\n', "r.toml") is None


@pytest.mark.parametrize(
    ("text", "error", "line", "words"),
    [
        ('code = "x"\n', RecordError, 1, "the required key 'format' is missing"),
        ('code = "x"\nformat = 3\n', RecordError, 2, "format 3 is not a record format"),
        ("format = true\n", RecordError, 1, "format true is not a record format"),
        ("format = 1.0\n", RecordError, 1, "format 1.0 is not a record format"),
        ('format = 1\ncode = "x"\nkind = "project"\n', RefusedError, 3, "holds no key 'kind'"),
        ('format = 1\nname = "x\n', RecordError, 2, "not valid TOML"),
    ],
)
def test_what_cannot_be_migrated_is_refused_by_line(text: str, error: type, line: int, words: str) -> None:
    with pytest.raises(error) as raised:
        migrated(text.encode(), "r.toml")
    assert raised.value.line == line and words in raised.value.message
    assert raised.value.path == "r.toml"


#: The value of ``format = 1`` spelled as TOML allows an integer 1.
ONE = st.sampled_from(["1", "+1", "0x1", "0x01", "0o1", "0b1", "0b0_1"])
SPACE = st.sampled_from(["", " ", "  ", "\t"])


@pytest.mark.fuzz
@PROPERTY
@given(record_files(), ONE, SPACE, SPACE, st.booleans(), st.sampled_from(["", " # v1", "# ตรวจแล้ว"]))
def test_every_spelling_migrates_to_the_old_data_plus_two_keys_and_two_lines(
    case: tuple[dict[str, Any], Spelled, bytes], one: str, before: str, after: str, bom: bool, note: str
) -> None:
    data, _, raw = case
    text = raw.decode("utf-8")
    # re-spell the format line: its value, the spacing around '=', a comment after it
    text, count = re.subn(
        r"""^((?:format|"format"|'format'))[ \t]*=[ \t]*1[ \t]*(#[^\r\n]*)?""",
        lambda m: f"{m[1]}{before}={after}{one}{note if m[2] is None else '  ' + m[2]}",
        text,
        count=1,
        flags=re.M,
    )
    assert count == 1, text
    old = (codecs.BOM_UTF8 if bom else b"") + text.encode("utf-8")
    assert load(old) == data
    new = migrated(old, "r.toml")
    assert new is not None
    assert load(new) == {**data, "format": 2, "kind": "project"}, "the old data plus two keys"
    assert new.startswith(codecs.BOM_UTF8) == bom
    old_lines = old.decode("utf-8").splitlines(keepends=True)
    new_lines = new.decode("utf-8").splitlines(keepends=True)
    assert len(new_lines) == len(old_lines) + 1
    at = next(i for i, (a, b) in enumerate(zip(old_lines, new_lines, strict=False)) if a != b)
    assert new_lines[:at] == old_lines[:at] and new_lines[at + 2 :] == old_lines[at + 1 :], "two lines"
    assert new_lines[at] == old_lines[at].replace(f"={after}{one}", f"={after}2", 1)
    ending = "\r\n" if old_lines[at].endswith("\r\n") else "\n" if old_lines[at].endswith("\n") else ""
    if ending:
        assert new_lines[at + 1] == f'kind = "project"{ending}'
    else:  # the format line was the last one, without its end: the file still ends without one
        assert new_lines[at + 1] == 'kind = "project"' and at + 1 == len(new_lines) - 1
    assert migrated(new, "r.toml") is None, "idempotent"


# --- all or nothing ----------------------------------------------------------------------------


def test_a_record_that_does_not_parse_stops_every_write(repo: Path) -> None:
    good = write_record(repo, SMALL_RECORD.format(code="50100000-0001"))
    broken = write_record(repo, 'format = 1\ncode = "50100000-0002"\nname = \n', code="50100000-0002")
    before = {p: p.read_bytes() for p in (repo / RECORD, good, broken)}
    result = run("migrate")
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert re.match(r"records/2565/50100000-0002\.toml:3(:\d+)?: error \[toml-syntax\]", lines[0]), lines
    assert lines[-1] == "0 of 3 files migrated to format 2, 1 refused; nothing was written"
    assert {p: p.read_bytes() for p in before} == before
    check = run("migrate", "--check")  # --check still lists what would change, and the refusal
    assert check.exit_code == 1
    assert check.stdout == f"{RECORD}\nrecords/2565/50100000-0001.toml\n"
    assert "2 of 3 files would be migrated to format 2, 1 refused" in check.stderr


@pytest.mark.parametrize(
    ("text", "rule"),
    [('code = "50100000-0002"\n', "format-version"), ("format = 9\n", "format-version"),
     ('kind = "kpi"\nformat = 1\n', "migrate"), (b"\xff\xfe", "encoding"), ("", "empty")],
    ids=["no-format", "format-9", "kind", "utf-16", "empty"],
)  # fmt: skip
def test_what_is_no_format_1_record_is_refused_and_nothing_written(
    repo: Path, text: str | bytes, rule: str
) -> None:
    other = repo / "records" / "2565" / "50100000-0002.toml"
    other.write_bytes(text if isinstance(text, bytes) else text.encode())
    before = {p: p.read_bytes() for p in (repo / RECORD, other)}
    result = run("migrate")
    assert result.exit_code == 1
    assert f"records/2565/50100000-0002.toml:1: error [{rule}]" in result.stderr
    assert "nothing was written" in result.stderr
    assert {p: p.read_bytes() for p in before} == before


def test_a_record_changed_between_reading_and_writing_stops_every_write(tmp_path: Path) -> None:
    first, second = tmp_path / "a.toml", tmp_path / "b.toml"
    raw = SMALL_RECORD.format(code="50100000-0001").encode()
    first.write_bytes(raw)
    second.write_bytes(raw + b"# edited meanwhile\n")
    plans = [Migration(p, p.name, raw, migrated(raw, p.name) or b"") for p in (first, second)]
    outcome = write_all(plans, tmp_path)
    assert outcome.written == [] and outcome.failed is not None
    assert outcome.failed[0].path == second and isinstance(outcome.failed[1], ConflictError)
    assert first.read_bytes() == raw, "nothing written, not even the record read as it was"
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == ["a.toml", "b.toml"]


# --- hostile paths -----------------------------------------------------------------------------


def _snapshot(root: Path) -> dict[str, bytes | str]:
    seen: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_symlink():
            seen[str(path)] = "-> " + os.readlink(path)
        elif path.is_file() and not path.name.endswith(".lock"):
            seen[str(path)] = path.read_bytes()
    return seen


def test_a_link_out_of_the_records_folder_is_refused_and_nothing_written(repo: Path) -> None:
    outside = repo / "elsewhere.toml"
    outside.write_text(SMALL_RECORD.format(code="50100000-0009"), "utf-8")
    (repo / "records" / "2565" / "50100000-0009.toml").symlink_to(outside)
    before = _snapshot(repo)
    for args in (["migrate"], ["migrate", "records/2565/50100000-0009.toml"], ["migrate", "--check"]):
        result = run(*args)
        assert result.exit_code == 1, args
        assert "records/2565/50100000-0009.toml: error [unsafe-path]" in result.stderr, result.stderr
        assert _snapshot(repo) == before, args


def test_an_unreadable_file_is_refused_and_nothing_written(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = write_record(repo, SMALL_RECORD.format(code="50100000-0001"))
    locked.chmod(0)
    if IS_ROOT:  # root reads any file: make this one fail as it would for a clerk
        real = Path.read_bytes

        def read_bytes(self: Path) -> bytes:
            if self.name == locked.name:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", read_bytes)
    try:
        result = run("migrate")
    finally:
        locked.chmod(0o644)
    assert result.exit_code == 1
    assert "records/2565/50100000-0001.toml: error [io] cannot be read: permission denied" in result.stderr
    assert (repo / RECORD).read_bytes() == SHIPPED.read_bytes()


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_a_fifo_device_or_folder_named_as_a_record_is_refused(repo: Path, kind: str) -> None:
    """In a real process with a time limit: a FIFO opened to be read would wait for ever."""
    place = repo / "records" / "2565" / "50100000-0001.toml"
    if kind == "fifo":
        os.mkfifo(place)
        args = [str(place.relative_to(repo))]
    elif kind == "device":
        if not IS_ROOT:
            pytest.skip("making a device node needs root")
        os.mknod(place, 0o600 | 0o020000, os.makedev(1, 3))  # a character device, like /dev/null
        args = [str(place.relative_to(repo))]
    else:
        place.mkdir()
        args = []
    before = _snapshot(repo)
    program = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert program
    for check in ([], ["--check"]):
        done = subprocess.run(
            [program, "--lang", "en", "migrate", *check, *args] if args else [program, "--lang", "en", "migrate", *check],
            cwd=repo, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        if kind == "folder":  # a folder is walked: it holds nothing, the shipped record is migrated
            assert done.returncode == 0 and done.stdout == ("" if check else f"{RECORD}\n"), done.stderr
            continue
        assert done.returncode == 1, done.stderr
        assert "records/2565/50100000-0001.toml: error [io] is not a regular file" in done.stderr
        assert "Traceback" not in done.stderr
        assert _snapshot(repo) == before


# --- a real process ----------------------------------------------------------------------------


def test_the_installed_command_migrates_a_crlf_record_with_a_bom(tmp_path: Path) -> None:
    records = tmp_path / "records" / "2565"
    records.mkdir(parents=True)
    raw = codecs.BOM_UTF8 + SPEC_RECORD.read_bytes().replace(b"\n", b"\r\n")
    path = records / SPEC_RECORD.name
    path.write_bytes(raw)
    program = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert program
    env = {**os.environ, "PROJLEDGER_LANG": "en"}
    check = subprocess.run([program, "migrate", "--check"], cwd=tmp_path, capture_output=True, text=True,
                           timeout=60, env=env)  # fmt: skip
    assert check.returncode == 1 and check.stdout == f"{RECORD}\n" and path.read_bytes() == raw
    done = subprocess.run(
        [program, "migrate"], cwd=tmp_path, capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{RECORD}\n" and done.stderr == "1 of 1 file migrated to format 2\n"
    new = path.read_bytes()
    assert new == raw.replace(b"format = 1\r\n", b'format = 2\r\nkind = "project"\r\n', 1)
    thai = subprocess.run([program, "migrate", "--check"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, env={**env, "PROJLEDGER_LANG": "th"})  # fmt: skip
    assert thai.returncode == 0 and re.search("[\u0e00-\u0e7f]", thai.stderr), thai.stderr


# --- the same results before and after ---------------------------------------------------------


def test_validate_status_and_show_give_the_same_results_before_and_after(repo: Path) -> None:
    record = repo / "records" / "2565" / "01000000-2475.toml"
    format_line = record.read_text("utf-8").splitlines().index("format = 1") + 1

    def results() -> list[tuple[int, str]]:
        runs = [
            run("validate", "--as-of", "2023-02-15", "--format", "json"),
            run("status", "--as-of", "2023-02-15", "--format", "json"),
            run("summary", "--as-of", "2023-02-15", "--format", "json"),
            run("show", "01000000-2475", "--as-of", "2023-02-15"),
        ]
        return [(r.exit_code, r.stdout) for r in runs]

    before = results()
    assert json.loads(before[0][1])["findings"], "the shipped record has a finding whose line moves"
    assert run("migrate").exit_code == 0
    after = results()
    # The one line migrate inserts (kind = "project" after format) moves every later finding one
    # line down; everything else, every figure and every word, is as it was.
    found = json.loads(after[0][1])
    for finding in found["findings"]:
        if finding["line"] is not None and finding["line"] > format_line + 1:
            finding["line"] -= 1
    assert found == json.loads(before[0][1])
    assert after[1:] == before[1:]
