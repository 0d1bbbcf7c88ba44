"""The derived index (core/index.py): never trusted when anything it depends on changed, never
an error, never left wrong by a killed run; with it, every output is the output without it."""

from __future__ import annotations

import inspect
import itertools
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from projledger.core import index as index_module
from projledger.core.config import load_config

from conftest import DATA, DEV_NULL, SHIPPED, char_device, run, write_record

AS_OF = "2022-03-31"


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files actually read and checked (not answered by the index), in order."""
    seen: list[str] = []
    real = index_module.check_path

    def counting(path: str, *args: Any) -> index_module.Checked:
        seen.append(path)
        return real(path, *args)

    monkeypatch.setattr(index_module, "check_path", counting)
    return seen


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test count as long unchanged (else stored outputs are off: RACY_NS)."""
    monkeypatch.setattr(index_module, "RACY_NS", -(10**15))


def validate(*args: str) -> tuple[int, str]:
    result = run("validate", "--as-of", AS_OF, *args)
    return result.exit_code, result.stdout


def record_file(repo: Path) -> Path:
    return repo / "records" / "2565" / SHIPPED.name


def database(cache_dir: Path) -> Path:
    (found,) = cache_dir.glob("index-*.sqlite")
    return found


def table(cache_dir: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database(cache_dir)) as con:
        return con.execute(sql).fetchall()


# --- findings ----------------------------------------------------------------------------------


def test_second_run_reads_nothing_and_says_the_same(repo: Path, cache_dir: Path, checks: list[str]) -> None:
    first = validate()
    assert len(checks) == 1
    assert validate() == first
    assert len(checks) == 1
    assert "progress-dip" in first[1]
    assert table(cache_dir, "SELECT key, value FROM meta")[0] == ("format", str(index_module.INDEX_FORMAT))
    assert not list(cache_dir.glob(".probe-*"))
    assert database(cache_dir).stat().st_mode & 0o777 == 0o600


def test_edit_touch_rename_delete(repo: Path, cache_dir: Path, checks: list[str]) -> None:
    validate()
    path = record_file(repo)
    path.write_text(path.read_text("utf-8").replace("fiscal_year = 2565", "fiscal_year = 2566"), "utf-8")
    assert "folder-year" in validate()[1] and len(checks) == 2
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    validate()
    assert len(checks) == 3
    renamed = path.with_name("01000000-9999.toml")
    path.rename(renamed)
    code, out = validate()
    assert code == 1 and "file-name" in out and "01000000-9999.toml" in out
    renamed.unlink()
    (repo / "projledger.toml").write_text('records = "records"\n', "utf-8")
    code, out = validate()
    assert code == 0 and out.startswith("0 files checked")
    assert table(cache_dir, "SELECT count(*) FROM files") == [(0,)]


def _coarse(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_size, st.st_mtime_ns // 10**9, st.st_ino, 0)


def test_same_size_edit_in_the_same_tick_is_seen(
    repo: Path, cache_dir: Path, checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A coarse filesystem: whole-second mtimes, no ctime. Only the content digest can tell."""
    monkeypatch.setattr(index_module, "stat_key", _coarse)
    path = record_file(repo)
    validate()
    st = path.stat()
    text = path.read_text("utf-8")
    edited = text.replace("progress = 8.0", "progress = 9.0")
    path.write_text(edited, "utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    _, out = validate()
    assert len(checks) == 2 and "progress 9.0 %" in out


def test_without_the_digest_that_edit_would_be_missed(
    repo: Path, cache_dir: Path, checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above has teeth: an old file (not racy) with the same coarse stat is trusted."""
    monkeypatch.setattr(index_module, "stat_key", _coarse)
    monkeypatch.setattr(index_module, "RACY_NS", -(10**15))
    path = record_file(repo)
    validate()
    st = path.stat()
    path.write_text(path.read_text("utf-8").replace("progress = 8.0", "progress = 9.0"), "utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    validate()
    assert len(checks) == 1


def test_a_racy_file_s_digest_goes_once_the_file_is_no_longer_racy(
    repo: Path, cache_dir: Path, checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file read within RACY_NS of its last change is stored with a digest of its bytes, and
    every run that asks after it reads and hashes it again. Kept for ever, that made every run
    after a checkout or a copy (every file racy to the first run: 87 % of a copied portfolio of
    10,000) hash thousands of files: status after one change 1.19 s, not 0.40 s. A run that
    finds the digest still the same once the file is no longer racy drops it, as git refreshes
    a racily clean entry; the stat alone tells a change from then on."""
    hashed: list[str] = []
    real = index_module.file_digest

    def counting(path: str | Path) -> bytes:
        hashed.append(str(path))
        return real(path)

    monkeypatch.setattr(index_module, "file_digest", counting)
    path = record_file(repo)
    first = validate()
    assert table(cache_dir, "SELECT count(*) FROM files WHERE digest IS NOT NULL") == [(1,)]
    assert validate() == first and len(hashed) == 1  # still racy: hashed again (once read, stored)
    monkeypatch.setattr(index_module, "RACY_NS", -(10**15))  # the file is now long unchanged
    assert validate() == first and len(hashed) == 2  # hashed once more: the same, so settled
    assert table(cache_dir, "SELECT count(*) FROM files WHERE digest IS NOT NULL") == [(0,)]
    assert validate() == first and len(hashed) == 2 and len(checks) == 1  # by stat alone now
    path.write_text(path.read_text("utf-8").replace("fiscal_year = 2565", "fiscal_year = 2566"), "utf-8")
    assert "folder-year" in validate()[1] and len(checks) == 2  # a change is still seen


def test_config_change_rebuilds(repo: Path, cache_dir: Path, checks: list[str]) -> None:
    validate()
    (repo / "projledger.toml").write_text("tolerance = 0\n", "utf-8")
    validate()
    assert len(checks) == 2


def test_day_of_the_check_is_respected(repo: Path, cache_dir: Path, checks: list[str]) -> None:
    """future-report depends on the day: findings are reused only for days they hold on."""
    late = run("validate", "--as-of", "2023-01-01").stdout
    assert run("validate", "--as-of", "2023-01-01").stdout == late
    assert len(checks) == 1
    early = run("validate", "--as-of", "2022-01-01").stdout
    assert "future-report" not in late and "future-report" in early and "2022-01-01" in early
    assert "2022-01-02" in run("validate", "--as-of", "2022-01-02").stdout
    assert len(checks) == 3
    assert run("validate", "--as-of", "2024-05-05").stdout == late
    assert run("validate", "--as-of", "2023-06-06").stdout == late
    assert len(checks) == 4


def test_the_index_keys_by_day_the_findings_of_the_rules_that_read_it() -> None:
    from projledger.core.kinds import KINDS, day_rules

    every_rule = [rule for kind in KINDS.values() for rule in kind.rules]
    reading = {rule.id for rule in every_rule if "as_of" in inspect.getsource(rule.check)}
    assert reading == day_rules()
    assert {"future-date", "evaluation-early"} <= reading  # format 2's


def test_the_index_keeps_apart_the_wordings_of_every_rule_that_shows_a_date_as_typed() -> None:
    """A rule whose message shows a date as the person typed dates (``ctx.show``) is one the
    index keeps per wording: result-late was not, and a BE run was shown an ISO run's words."""
    from projledger.core.kinds import KINDS, typed_date_rules

    every_rule = [rule for kind in KINDS.values() for rule in kind.rules]
    showing = {rule.id for rule in every_rule if "ctx.show" in inspect.getsource(rule.check)}
    assert showing == typed_date_rules()


def test_a_kpis_finding_is_worded_as_typed_with_the_index_as_without(
    empty_repo: Path, cache_dir: Path
) -> None:
    kpi = (DATA / "format2" / "kpi" / "5026-2001.toml").read_text("utf-8")
    path = empty_repo / "records" / "2565" / "kpi" / "5026-2001.toml"
    path.parent.mkdir(parents=True)
    path.write_text(kpi.replace("date = 2022-04-25", "date = 2022-06-25"), "utf-8")
    for as_of, day in (("2023-09-30", "2022-06-25"), ("30/09/2566", "25/06/2565")) * 2:
        with_index = run("validate", "--as-of", as_of).stdout
        without = run("validate", "--as-of", as_of, "--no-cache").stdout
        assert with_index == without
        assert f"[result-late] results[2].date: a result of quarter 2 dated {day}," in with_index


def test_a_finding_worded_as_typed_of_a_record_with_no_dated_report_is_worded_as_typed(
    empty_repo: Path, cache_dir: Path
) -> None:
    """Revisions out of order, no report nor result: findings that hold on every day, kept by a
    status (dates in BE), were shown by a validate that words dates in ISO."""
    write_record(empty_repo, (DATA / "rules" / "revision-order.toml").read_text("utf-8"), fiscal_year=2567)
    assert run("status").exit_code == 0
    for as_of in ("2025-03-31", "31/03/2568"):
        with_index = run("validate", "--as-of", as_of).stdout
        assert with_index == run("validate", "--as-of", as_of, "--no-cache").stdout
    assert (
        "dated 2024-01-01, before the revision before it (2024-02-01)"
        in run("validate", "--as-of", "2025-03-31").stdout
    )


@pytest.mark.parametrize("as_of", ["2024-06-30", "30/06/2567"])
def test_the_findings_of_a_record_the_schema_refuses_hold_for_the_days_of_its_dates(
    empty_repo: Path, cache_dir: Path, as_of: str
) -> None:
    """An unknown key: the rules still run, on what the schema leaves (a report in the future is
    said with it), but the index kept their findings for every day: a check of a day before the
    report was told there was none."""
    base = (DATA / "bad" / "base.toml").read_text("utf-8")
    write_record(
        empty_repo, base.replace("date = 2023-10-25", "date = 2024-03-01") + "bogus = 1\n", fiscal_year=2567
    )
    for day in (as_of, "2024-01-01", as_of, "01/01/2567"):
        with_index = run("validate", "--as-of", day).stdout
        assert with_index == run("validate", "--as-of", day, "--no-cache").stdout
        assert ("[future-report]" in with_index) == (day in ("2024-01-01", "01/01/2567")), day


def test_a_kpi_that_is_no_longer_a_file_leaves_no_link_finding(empty_repo: Path, cache_dir: Path) -> None:
    """A KPI naming a project that has no record, replaced by a FIFO just now (no stat to key
    it by): its old entry stayed, and validate still said its link was broken."""
    path = empty_repo / "records" / "2565" / "kpi" / "5026-2001.toml"
    path.parent.mkdir(parents=True)
    shutil.copy(DATA / "format2" / "kpi" / "5026-2001.toml", path)
    assert "[kpi-project-link]" in run("validate", "--as-of", AS_OF).stdout
    path.unlink()
    os.mkfifo(path)
    with_index = run("validate", "--as-of", AS_OF).stdout
    assert with_index == run("validate", "--as-of", AS_OF, "--no-cache").stdout
    assert "[kpi-project-link]" not in with_index and "not a regular file" in with_index


def test_broken_files_are_indexed_too(
    tmp_path: Path, cache_dir: Path, checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "records").mkdir()
    monkeypatch.chdir(tmp_path)
    write_record(tmp_path, 'format = 1\ncode = "01000000-0001"\nname = "x\n')
    first = validate()
    assert first[0] == 1 and "toml-syntax" in first[1]
    assert validate() == first
    assert len(checks) == 1


@pytest.mark.parametrize("damage", [b"", b"garbage", "head", "tail", "middle", "writable", "foreign-format"])
def test_a_damaged_or_unsafe_index_is_rebuilt(
    repo: Path, cache_dir: Path, checks: list[str], damage: object
) -> None:
    first = validate()
    path = database(cache_dir)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    whole = path.read_bytes()
    if damage == "head":
        path.write_bytes(whole[:50])
    elif damage == "tail":
        path.write_bytes(whole[: len(whole) // 2])
    elif damage == "middle":
        path.write_bytes(whole[:100] + b"x" * 200 + whole[300:])
    elif damage == "writable":
        path.chmod(0o666)
    elif damage == "foreign-format":
        with sqlite3.connect(path) as con:
            con.execute("UPDATE meta SET value = '0' WHERE key = 'format'")
    else:
        assert isinstance(damage, bytes)
        path.write_bytes(damage)
    assert validate() == first
    assert len(checks) == 2  # not trusted: checked again, and the index rebuilt
    assert validate() == first and len(checks) == 2
    assert database(cache_dir).stat().st_mode & 0o777 == 0o600


def test_no_cache_flag_and_environment(
    repo: Path, cache_dir: Path, checks: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    validate("--no-cache")
    validate("--no-cache")
    assert len(checks) == 2 and not cache_dir.exists()
    monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")
    validate()
    run("status", "--as-of", AS_OF)
    assert len(checks) == 4 and not cache_dir.exists()


def test_cache_folder_choice() -> None:
    home = Path.home()
    folder = index_module.cache_folder
    assert folder({}) == home / ".cache" / "projledger"
    assert folder({"XDG_CACHE_HOME": "/x/y"}) == Path("/x/y/projledger")
    assert folder({"XDG_CACHE_HOME": "relative"}) == home / ".cache" / "projledger"
    assert folder({"PROJLEDGER_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x"}) == Path("/c")
    assert folder({"PROJLEDGER_NO_CACHE": "1", "PROJLEDGER_CACHE_DIR": "/c"}) is None
    assert folder({"PROJLEDGER_NO_CACHE": "0"}) == home / ".cache" / "projledger"


@pytest.mark.parametrize("where", ["device", "name too long", "file", "read-only"])
def test_a_cache_folder_that_cannot_be_written_never_fails_a_run(
    repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Places made in the test's folder: a device node (/dev/null's numbers), a name the system
    refuses, a file, a folder without write permission."""
    first = validate("--no-cache")
    if where == "device":
        where = str(char_device(repo, "null", DEV_NULL))
    elif where == "name too long":
        where = str(repo / ("x" * 300))
    elif where == "file":
        (repo / "not-a-folder").write_text("x", "utf-8")
        where = str(repo / "not-a-folder")
    elif where == "read-only":
        cache_dir.mkdir()
        cache_dir.chmod(0o500)
        where = str(cache_dir)
    monkeypatch.setenv("PROJLEDGER_CACHE_DIR", where)
    try:
        assert validate() == first
        assert validate() == first
        assert run("summary", "--as-of", AS_OF).exit_code == 0
    finally:
        if cache_dir.exists():
            cache_dir.chmod(0o700)


def test_a_locked_index_is_run_without(repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another run holding the write lock: this one waits a moment, then runs without storing."""
    first = validate()
    monkeypatch.setattr(index_module, "LOCK_TIMEOUT", 0.1)
    holder = sqlite3.connect(database(cache_dir), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        path = record_file(repo)
        path.write_text(path.read_text("utf-8").replace("progress = 8.0", "progress = 9.0"), "utf-8")
        assert "progress 9.0 %" in validate()[1]
        assert run("status", "--as-of", AS_OF).exit_code == 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert validate() != first


@pytest.mark.parametrize("change", ["no link", "not a KPI"])
def test_a_run_that_cannot_store_judges_a_kpis_links_by_what_it_read(
    empty_repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """The KPI named a project that has no record, then no longer does (or is no KPI): a validate
    that could not store what it read took the links of the KPI the index held before."""
    path = empty_repo / "records" / "2565" / "kpi" / "5026-2001.toml"
    path.parent.mkdir(parents=True)
    text = (DATA / "format2" / "kpi" / "5026-2001.toml").read_text("utf-8")
    path.write_text(text, "utf-8")
    assert "[kpi-project-link]" in validate()[1]
    path.write_text(text.replace('"01000000-2475",', "") if change == "no link" else "[x]\n", "utf-8")
    monkeypatch.setattr(index_module, "LOCK_TIMEOUT", 0.1)
    holder = sqlite3.connect(database(cache_dir), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        assert validate() == validate("--no-cache")
        assert "[kpi-project-link]" not in validate()[1]
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize(
    "other",
    [("validate", "--as-of", AS_OF), ("--lang", "th", "validate", "records/2565/01000000-0001.toml")],
    ids=["another day", "another language"],
)
def test_a_run_reads_the_index_as_it_began_whatever_another_stores_meanwhile(
    repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, other: tuple[str, ...]
) -> None:
    """Another run stores between a summary's reads of the index: the findings of its day of the
    check (reports from after it), or the index emptied and rebuilt in its language with one
    file. The summary took the entries it read after that for those it had found holding: a
    project skipped as reporting from the future, or as not a record (a checker's summary counted
    1 project of 41). It reads the index as it was when it began, and stores nothing (what it
    read may be gone); its first file changed, so its write comes first, refused, and the reads
    after it still see the index as it began."""
    text = record_file(repo).read_text("utf-8")
    first = write_record(repo, text.replace("01000000-2475", "01000000-0001"), code="01000000-0001")
    assert run("status", "--as-of", AS_OF).exit_code == 0
    first.write_text(first.read_text("utf-8").replace("progress = 8.0", "progress = 9.0"), "utf-8")
    real = index_module.Index.kept
    others: list[subprocess.CompletedProcess[bytes]] = []

    def another_run_meanwhile(self: index_module.Index, *args: Any) -> list[Any]:
        if not others:  # after the summary found which entries hold, before it reads them
            others.append(subprocess.run([sys.executable, "-m", "projledger.main", *other], cwd=repo,
                                         capture_output=True))  # fmt: skip
        return real(self, *args)

    monkeypatch.setattr(index_module.Index, "kept", another_run_meanwhile)
    got = run("summary", "--as-of", AS_OF, "--format", "json")
    monkeypatch.setattr(index_module.Index, "kept", real)
    assert others and others[0].returncode in (0, 1), others
    plain = {"PROJLEDGER_NO_CACHE": "1"}
    want = run("summary", "--as-of", AS_OF, "--format", "json", env=plain)
    assert (got.exit_code, got.stdout, got.stderr) == (want.exit_code, want.stdout, want.stderr)
    assert json.loads(got.stdout)["total"]["projects"] == 2
    for args in (("validate",), ("--lang", "th", "validate"), ("summary", "--as-of", AS_OF)):
        with_index, without = run(*args), run(*args, env=plain)
        assert (with_index.stdout, with_index.stderr) == (without.stdout, without.stderr), args


# --- stored outputs ------------------------------------------------------------------------------


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many runs computed their rows (did not answer from a stored output)."""
    from projledger.core import portfolio

    seen: list[int] = []
    real = portfolio.rows

    def counting(*args: Any, **kwargs: Any) -> Any:
        seen.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(portfolio, "rows", counting)
    return seen


COMMANDS = [("status", "--as-of", AS_OF), ("summary", "--as-of", AS_OF)]


@pytest.mark.parametrize("args", COMMANDS)
def test_unchanged_repository_answers_from_the_stored_output(
    repo: Path, cache_dir: Path, computed: list[int], settled: None, args: tuple[str, ...]
) -> None:
    first = run(*args)
    second = run(*args)
    assert len(computed) == 1
    assert (second.exit_code, second.stdout, second.stderr) == (first.exit_code, first.stdout, first.stderr)
    assert table(cache_dir, "SELECT command FROM outputs") == [(args[0],)]


@pytest.mark.parametrize("args", COMMANDS)
def test_other_arguments_and_an_edit_are_computed(
    repo: Path,
    cache_dir: Path,
    computed: list[int],
    settled: None,
    args: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COLUMNS", "1000")  # every column: the budget edited below is shown
    first = run(*args)
    english = run(*args, "--lang", "en")
    assert len(computed) == 2 and english.stdout != first.stdout
    other_day = run(args[0], "--as-of", "2021-12-31")
    assert len(computed) == 3 and other_day.stdout != first.stdout
    path = record_file(repo)
    text = path.read_text("utf-8")
    path.write_text(text.replace("budget = 3540000.0", "budget = 3540001.0"), "utf-8")
    edited = run(*args)
    assert len(computed) == 4 and edited.stdout != first.stdout
    path.write_text(text, "utf-8")
    assert run(*args).stdout == first.stdout and len(computed) == 5


def test_a_file_added_or_removed_is_computed(
    repo: Path, cache_dir: Path, computed: list[int], settled: None
) -> None:
    first = run("status", "--as-of", AS_OF, "--format", "json")
    copy = repo / "records" / "2565" / "01000000-2476.toml"  # another code: one code counts once
    copy.write_text(record_file(repo).read_text("utf-8").replace("01000000-2475", "01000000-2476"), "utf-8")
    added = run("status", "--as-of", AS_OF, "--format", "json")
    assert len(computed) == 2 and added.stdout != first.stdout
    copy.unlink()
    assert run("status", "--as-of", AS_OF, "--format", "json").stdout == first.stdout
    assert len(computed) == 3


def test_a_recent_change_is_not_answered_by_stat(
    repo: Path, cache_dir: Path, computed: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file changed within the filesystem's timestamp granularity may keep its stat."""
    monkeypatch.setenv("COLUMNS", "1000")  # every column: the budget edited below is shown
    first = run("status", "--as-of", AS_OF)
    path = record_file(repo)
    st = os.stat(path)
    text = path.read_text("utf-8")
    path.write_text(text.replace("budget = 3540000.0", "budget = 3540009.0"), "utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime
    second = run("status", "--as-of", AS_OF)
    assert len(computed) == 2 and second.stdout != first.stdout


def test_a_link_in_the_records_folder_leaves_it_to_the_walk(
    repo: Path, cache_dir: Path, computed: list[int], settled: None
) -> None:
    (repo / "records" / "elsewhere").symlink_to(repo / "records" / "2565", target_is_directory=True)
    first = run("status", "--as-of", AS_OF)
    second = run("status", "--as-of", AS_OF)
    assert len(computed) == 2 and second.stdout == first.stdout


def test_the_scan_reads_the_records_folder_as_the_walk_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from projledger.core.repository import list_records

    records = tmp_path / "records"
    for name in ["b.toml", "a.toml", ".hidden.toml", "notes.txt", "2565/z.toml", "2565/a.toml", "2565/x/y.toml",
                 "2564/c.toml", ".git/d.toml", "2566/.e.toml", "a-folder/f.toml", "zz.toml"]:  # fmt: skip
        (records / name).parent.mkdir(parents=True, exist_ok=True)
        (records / name).write_text("format = 1\n", "utf-8")
    config = load_config(tmp_path)
    found = index_module.scan([], config)
    walked = [str(entry.path) for entry in list_records([], config)]
    assert [name for name, _, _ in found.files] == walked and found.clean
    assert all(st is not None for _, _, st in found.files)
    stats = [os.stat(name) for name in found.names]  # what a stored output's racy check reads
    monkeypatch.chdir(tmp_path)  # the folder as the command line may spell it: the same keys
    assert found.newest == max(max(st.st_mtime_ns, st.st_ctime_ns) for st in stats)
    for folder in ["records", "records/", "./records", "records//", f"../{tmp_path.name}/records", str(records),
                   f"{records}/", "records/2565/.."]:  # fmt: skip
        found = index_module.Scan()
        found.walked = folder if found.walk(folder) else None
        assert found.walked is not None and found.files.paths
        assert found.keys() == [os.path.abspath(name) for name in found.files.paths], folder
    (records / "2565" / "link").symlink_to(records / "2565" / "x", target_is_directory=True)
    assert not index_module.scan([], config).clean


_STORED_RUN = """
import sys
from projledger.core import index
index.RACY_NS = -(10**15)  # the files the test just wrote count as settled
from projledger.main import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    heavy = ("projledger.core.record", "projledger.core.check", "projledger.core.tables", "tomli", "rtoml",
             "toml_rs", "jsonschema_rs", "wcwidth", "importlib.metadata", "openpyxl", "jinja2",
             "projledger.core.portfolio", "projledger.core.summary", "projledger.core.status")
    print("IMPORTED:", [m for m in heavy if m in sys.modules], file=sys.stderr)
"""


@pytest.mark.parametrize("args", COMMANDS)
def test_a_stored_answer_imports_nothing_that_reads_records(
    repo: Path, cache_dir: Path, args: tuple[str, ...]
) -> None:
    env = {**os.environ, "PROJLEDGER_CACHE_DIR": str(cache_dir)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", _STORED_RUN, *args], cwd=repo, env=env, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout and runs[0].stdout
    assert "IMPORTED: []" not in runs[0].stderr
    assert "IMPORTED: []" in runs[1].stderr, runs[1].stderr


def test_the_site_reads_each_record_once_and_then_only_the_changed_one(
    repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The site reads what the index does not know once (its pages from the same reading) and
    stores it; its rows are then found in the index as stored in this very run, not read again.
    After one record changed, that one alone is read, and the site equals one built afresh."""
    text = record_file(repo).read_text("utf-8")
    other = write_record(repo, text.replace("01000000-2475", "01000000-2476"), code="01000000-2476")
    reads: list[str] = []
    real = index_module.check_path_project

    def counting(path: str, *args: Any) -> Any:
        reads.append(os.path.basename(path))
        return real(path, *args)

    monkeypatch.setattr(index_module, "check_path_project", counting)

    def site(folder: str) -> dict[str, bytes]:
        assert run("site", "--as-of", AS_OF, "--output", folder).exit_code == 0
        return {str(p.relative_to(folder)): p.read_bytes() for p in Path(folder).rglob("*") if p.is_file()}

    site("site")
    assert sorted(reads) == ["01000000-2475.toml", "01000000-2476.toml"]
    other.write_text(text.replace("01000000-2475", "01000000-2476") + "# changed\n", "utf-8")
    reads.clear()
    built = site("site")
    assert reads == ["01000000-2476.toml"]
    monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")
    assert built == site("afresh")


# --- the facts ---------------------------------------------------------------------------------


def test_rows_from_facts_are_the_rows_from_the_record(repo: Path) -> None:
    from projledger.core import portfolio
    from projledger.core.check import check_file
    from projledger.core.status import compute_status

    config = load_config(repo)
    project = check_file(record_file(repo), config, date(2023, 1, 1)).project
    assert project is not None
    again = portfolio.project_from_facts(portfolio.project_facts(project))
    for day in (date(2021, 1, 1), date(2022, 3, 31), date(2022, 9, 30), date(2024, 1, 1)):
        assert portfolio.build_row(again, compute_status(again, day, config), "p") == portfolio.build_row(
            project, compute_status(project, day, config), "p"
        )


def test_kept_values_of_another_day_are_let_go_and_only_then_looked_for(repo: Path, cache_dir: Path) -> None:
    """What a run keeps holds for its day: a run of another day lets go of the others' (texts
    and columns alike), and a run of the same day does not read them whole to find none."""
    config = load_config(repo)

    def keep(day: str, items: list[tuple[str, str, str, Any]]) -> list[str]:
        store = index_module.Index.open(config)
        assert store is not None
        statements: list[str] = []
        store.con.set_trace_callback(statements.append)
        store.keep(items, day)
        store.close()
        return statements

    keep("2024-01-01", [("/a", "v", "2024-01-01", "x"), ("/b", "v", "2024-01-01", (1, "y"))])
    same_day = keep("2024-01-01", [("/c", "v", "2024-01-01", "z")])
    assert not [s for s in same_day if s.startswith("DELETE")]
    assert table(cache_dir, "SELECT path FROM kept ORDER BY path") == [("/a",), ("/b",), ("/c",)]
    next_day = keep("2024-01-02", [("/d", "v", "2024-01-02", (2, "w"))])
    assert [s for s in next_day if s.startswith("DELETE")]
    assert table(cache_dir, "SELECT path, c0 FROM kept") == [("/d", 2)]


def test_kept_values_come_back_as_they_were() -> None:
    from decimal import Decimal

    value = (
        "a",
        1,
        None,
        Decimal("1.50"),
        Decimal("1E+2"),
        b"\x00\xff",
        date(2022, 1, 2),
        (Decimal("-0"), None),
    )
    back = index_module.decode_kept(index_module.encode_kept(value))
    assert back == value and [type(v) for v in back] == [type(v) for v in value]
    assert str(back[3]) == "1.50" and str(back[4]) == "1E+2"


# --- with the index, every output is the output without it ----------------------------------


OUTPUTS = [
    ("validate",), ("status",), ("status", "--sort", "progress"), ("status", "--format", "markdown"),
    ("status", "--lang", "en", "--format", "csv"), ("status", "--format", "json"), ("summary",),
    ("summary", "--by", "fiscal-year", "--by", "plan-status", "--format", "json"),
    ("summary", "--by", "strategy", "--by", "quarter", "--format", "csv"),
]  # fmt: skip


def _outputs(cwd: Path, env: dict[str, str]) -> list[tuple[int, str, str]]:
    found = []
    for args in OUTPUTS:
        done = subprocess.run(
            [sys.executable, "-m", "projledger.main", *args, "--as-of", AS_OF],
            cwd=cwd, env=env, capture_output=True, text=True,
        )  # fmt: skip
        found.append((done.returncode, done.stdout, done.stderr))
    return found


@pytest.mark.slow
def test_each_change_gives_the_output_of_no_index(repo: Path, tmp_path: Path) -> None:
    """A record, a rule (in a copy of the package), the schema and the config edited in turn:
    each time, the runs with the index print what runs without it print."""
    package = tmp_path / "pkg" / "projledger"
    shutil.copytree(
        Path(index_module.__file__).parent.parent, package, ignore=shutil.ignore_patterns("__pycache__")
    )
    schemas = Path(find_spec("projledger.schemas").submodule_search_locations[0])  # type: ignore[union-attr,index]
    shutil.copytree(
        schemas, package / "schemas", dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__")
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "pkg"), "PROJLEDGER_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PROJLEDGER_NO_CACHE", None)
    plain = {**env, "PROJLEDGER_NO_CACHE": "1"}
    probe = subprocess.run([sys.executable, "-c", "import projledger; print(projledger.__file__)"],
                           env=env, capture_output=True, text=True)  # fmt: skip
    assert probe.stdout.strip().startswith(str(package)), probe

    def same() -> list[tuple[int, str, str]]:
        with_index = _outputs(repo, env)
        assert with_index == _outputs(repo, plain)
        assert _outputs(repo, env) == with_index  # and warm
        return with_index

    base = same()
    record = record_file(repo)
    record.write_text(record.read_text("utf-8").replace("progress = 8.0", "progress = 9.5"), "utf-8")
    edited = same()
    assert edited != base
    rules_py = package / "core" / "rules.py"
    rules_py.write_text(
        rules_py.read_text("utf-8").replace("progress is cumulative", "progress only grows"), "utf-8"
    )
    ruled = same()
    assert any("progress only grows" in out for _, out, _ in ruled)
    (repo / "projledger.toml").write_text("tolerance = 0\n", "utf-8")
    configured = same()
    schema = package / "schemas" / "project.schema.json"
    schema.write_text(schema.read_text("utf-8").replace('"maxLength": 40', '"maxLength": 5', 1), "utf-8")
    schemed = same()
    assert schemed != configured and configured != ruled


# --- a killed run ------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_killed_run_never_leaves_a_wrong_index(repo: Path, tmp_path: Path) -> None:
    """SIGKILL at random moments, 20 times, while runs edit and read: the next run with the
    index always prints what a run without it prints."""
    generator = random.Random(18)
    records = repo / "records" / "2565"
    text = record_file(repo).read_text("utf-8")
    for number in range(1, 40):
        code = f"01000000-{number:04d}"
        (records / f"{code}.toml").write_text(text.replace("01000000-2475", code), "utf-8")
    env = {**os.environ, "PROJLEDGER_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PROJLEDGER_NO_CACHE", None)
    plain = {**env, "PROJLEDGER_NO_CACHE": "1"}
    commands = [("validate",), ("status",), ("summary",), ("status", "--format", "json")]
    for attempt in range(20):
        victim = records / f"01000000-{generator.randrange(1, 40):04d}.toml"
        budget = generator.randrange(1_000_000, 9_000_000)
        victim.write_text(
            text.replace("01000000-2475", victim.stem).replace("3540000.0", f"{budget}.0"), "utf-8"
        )
        args = commands[attempt % len(commands)]
        process = subprocess.Popen(
            [sys.executable, "-m", "projledger.main", *args, "--as-of", AS_OF],
            cwd=repo, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(generator.uniform(0.05, 1.2))
        with __import__("contextlib").suppress(ProcessLookupError):
            os.kill(process.pid, signal.SIGKILL)
        process.wait()
        for check in commands[:3]:
            want = subprocess.run([sys.executable, "-m", "projledger.main", *check, "--as-of", AS_OF],
                                  cwd=repo, env=plain, capture_output=True, text=True)  # fmt: skip
            got = subprocess.run([sys.executable, "-m", "projledger.main", *check, "--as-of", AS_OF],
                                 cwd=repo, env=env, capture_output=True, text=True)  # fmt: skip
            assert (got.returncode, got.stdout, got.stderr) == (want.returncode, want.stdout, want.stderr)


@pytest.mark.slow
def test_an_interrupted_run_never_leaves_a_wrong_index(
    repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C or SIGTERM (an exception that is no ``Exception``) at each statement in turn that
    a run after one edit writes to the index: the next runs print what runs without it print.
    Before, the ``finally`` that closes the index committed what the stopped run had written,
    and a file's new entry could be kept beside the status line made of its old content."""
    text = record_file(repo).read_text("utf-8")
    write_record(repo, text.replace("01000000-2475", "01000000-0001"), code="01000000-0001")
    commands = [("validate",), ("status", "--format", "json"), ("summary", "--format", "json")]

    # The day of the check is today for every run: what one run stores holds for the others.
    def outputs() -> list[tuple[int, str]]:
        return [(result.exit_code, result.stdout) for result in (run(*command) for command in commands)]

    outputs()  # what each keeps
    real = index_module.Index.write
    budgets = iter(range(1_000_000, 2_000_000))
    for command in commands:
        for stop_at in itertools.count(1):  # each of the run's writes in turn, until it writes fewer
            record_file(repo).write_text(text.replace("3540000.0", f"{next(budgets)}.0"), "utf-8")
            writes = itertools.count(1)

            def interrupted(
                self: index_module.Index,
                *args: Any,
                stop_at: int = stop_at,
                writes: Any = writes,
                **kwargs: Any,
            ) -> None:
                if next(writes) == stop_at:
                    raise KeyboardInterrupt
                real(self, *args, **kwargs)

            monkeypatch.setattr(index_module.Index, "write", interrupted)
            result = run(*command)
            monkeypatch.setattr(index_module.Index, "write", real)
            got = outputs()
            monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")
            assert got == outputs(), (command, stop_at)
            monkeypatch.delenv("PROJLEDGER_NO_CACHE")
            if next(writes) <= stop_at:  # not interrupted: every write of this run was tried
                assert result.exit_code in (0, 1) and stop_at > 2
                break


def test_a_pool_checks_as_the_run_does_in_its_language_and_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool's processes come from a process of their own (forkserver), not from the run's:
    run after run in one process, they word findings in each run's language and read its
    relative paths from its folder, the same findings in the same order as with no pool."""
    monkeypatch.setattr(index_module, "PARALLEL_THRESHOLD", 1)
    text = SHIPPED.read_text("utf-8")
    outputs: dict[tuple[str, str, str], tuple[int, str]] = {}
    for name, end in (("a", "end = 2023-01-30"), ("b", "end = 2020-01-30")):
        root = tmp_path / name
        shutil.copy(SHIPPED, write_record(root, text).parent / "01000000-2475.toml")
        write_record(root, text.replace("01000000-2475", "01000000-2476").replace("end = 2023-01-30", end))
        write_record(root, text.replace("01000000-2475", "01000000-2477").replace("budget", "bugdet", 1))
        monkeypatch.chdir(root)
        for lang in ("th", "en"):
            for jobs in ("1", "2"):
                monkeypatch.setenv("PROJLEDGER_JOBS", jobs)
                result = run("--lang", lang, "validate", "records")
                outputs[(name, lang, jobs)] = (result.exit_code, result.stdout)
    for name in ("a", "b"):
        for lang in ("th", "en"):
            assert outputs[(name, lang, "2")] == outputs[(name, lang, "1")], (name, lang)
        assert outputs[(name, "th", "1")][1] != outputs[(name, "en", "1")][1]
        assert "bugdet" in outputs[(name, "en", "1")][1]
    assert outputs[("a", "en", "1")] != outputs[("b", "en", "1")]


def test_validate_on_a_pool_holds_of_a_kpi_its_links_and_imports_no_checking_code(tmp_path: Path) -> None:
    """validate on a pool: the run's process checks nothing itself, so it never imports the
    checking code (the pool's processes do), and of each KPI it holds what the portfolio rule
    reads (its code and projects), from the files checked and from the index alike; the KPI
    naming a project with no record is still found, at its line, with no TOML reader loaded."""
    records = tmp_path / "records"
    (records / "2564" / "kpi").mkdir(parents=True)
    (records / "2565").mkdir()
    shutil.copy(SHIPPED, records / "2565" / SHIPPED.name)
    kpi = DATA / "format2" / "kpi" / "5026-2001.toml"
    text = kpi.read_text("utf-8")
    assert "01000000-2475" in text
    (records / "2564" / "kpi" / kpi.name).write_text(text.replace("01000000-2475", "01000000-2499"), "utf-8")
    script = (
        "import sys, json\n"
        "from click.testing import CliRunner\n"
        "from projledger.core import index as ix\n"
        "from projledger.main import main\n"
        "ix.PARALLEL_THRESHOLD = 1\n"
        "links = ix.Index.kpi_links\n"
        "held = []\n"
        "ix.Index.kpi_links = lambda self: held.append(links(self)) or held[-1]\n"
        "out = [CliRunner().invoke(main, ['--lang', 'en', 'validate']).stdout for _ in range(2)]\n"
        "readers = [m for m in ('toml_rs', 'tomli') if m in sys.modules]\n"
        "print(json.dumps([out, held, 'projledger.core.check' in sys.modules, readers]))\n"
    )
    environ = {**os.environ, "PROJLEDGER_JOBS": "2", "PROJLEDGER_CACHE_DIR": str(tmp_path / "cache")}
    environ.pop("PROJLEDGER_NO_CACHE", None)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, env=environ, check=False
    )
    assert done.returncode == 0, done.stderr
    (cold, warm), held, imported, readers = json.loads(done.stdout)
    assert cold == warm and "kpi-project-link" in cold and "01000000-2499" in cold, cold
    line = 1 + text[: text.index("projects = [")].count("\n")  # the finding names the list's line
    assert f"{kpi.name}:{line}:" in cold, cold
    key = str(records / "2564" / "kpi" / kpi.name)
    assert held == [{key: {"code": "5026-2001", "projects": ["01000000-2499"]}}] * 2
    assert imported is False
    assert readers == []  # the link's line is found in the text: no TOML reader loaded (5 MB)
