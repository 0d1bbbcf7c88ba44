"""The memo of a whole status/summary output is used only on exactly the same repository and run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from projledger.core import cache as cache_module

from conftest import SHIPPED, run


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many runs computed their rows or mended the last table (did not answer from the memo)."""
    from projledger.commands.statustable import TableRun

    seen: list[int] = []
    real = cache_module.cached_rows
    real_mended = TableRun.mended

    def counting(*args: object, **kwargs: object) -> object:
        seen.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    def mending(self: TableRun, *args: object, **kwargs: object) -> object:
        table = real_mended(self, *args, **kwargs)  # type: ignore[arg-type]
        if table is not None:
            seen.append(1)
        return table

    monkeypatch.setattr(cache_module, "cached_rows", counting)
    monkeypatch.setattr(TableRun, "mended", mending)
    return seen


@pytest.fixture
def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test count as long unchanged (else the memo is off: see RACY_NS)."""
    monkeypatch.setattr(cache_module, "RACY_NS", -(10**15))


def record(repo: Path) -> Path:
    return repo / "records" / "2565" / SHIPPED.name


COMMANDS = [("status", "--as-of", "2022-03-31"), ("summary", "--as-of", "2022-03-31")]


@pytest.mark.parametrize("args", COMMANDS)
def test_unchanged_repository_answers_from_the_memo(
    repo: Path, cache_dir: Path, computed: list[int], settled: None, args: tuple[str, ...]
) -> None:
    first = run(*args)
    second = run(*args)
    assert len(computed) == 1
    assert (second.exit_code, second.stdout, second.stderr) == (first.exit_code, first.stdout, first.stderr)
    assert list(cache_dir.glob(f"{args[0]}-output-*.memo"))


@pytest.mark.parametrize("args", COMMANDS)
def test_other_arguments_and_an_edit_are_computed(
    repo: Path, cache_dir: Path, computed: list[int], settled: None, args: tuple[str, ...]
) -> None:
    first = run(*args)
    english = run(*args, "--lang", "en")
    assert len(computed) == 2 and english.stdout != first.stdout
    other_day = run(args[0], "--as-of", "2021-12-31")
    assert len(computed) == 3 and other_day.stdout != first.stdout
    path = record(repo)
    text = path.read_text("utf-8")
    path.write_text(text.replace("budget = 3540000.0", "budget = 3540001.0"), "utf-8")
    edited = run(*args)
    assert len(computed) == 4 and edited.stdout != first.stdout
    path.write_text(text, "utf-8")
    restored = run(*args)
    assert len(computed) == 5 and restored.stdout == first.stdout


def test_a_file_added_or_removed_is_computed(
    repo: Path, cache_dir: Path, computed: list[int], settled: None
) -> None:
    first = run("status", "--as-of", "2022-03-31", "--format", "json")
    copy = repo / "records" / "2566" / SHIPPED.name
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(record(repo).read_bytes())
    added = run("status", "--as-of", "2022-03-31", "--format", "json")
    assert len(computed) == 2 and added.stdout != first.stdout
    copy.unlink()
    assert run("status", "--as-of", "2022-03-31", "--format", "json").stdout == first.stdout
    assert len(computed) == 3


def test_a_recent_change_turns_the_memo_off(repo: Path, cache_dir: Path, computed: list[int]) -> None:
    """A file changed within the filesystem's timestamp granularity may keep its stat."""
    first = run("status", "--as-of", "2022-03-31")
    path = record(repo)
    st = os.stat(path)
    text = path.read_text("utf-8")
    path.write_text(text.replace("budget = 3540000.0", "budget = 3540009.0"), "utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size, same mtime
    second = run("status", "--as-of", "2022-03-31")
    assert len(computed) == 2 and second.stdout != first.stdout


def test_memo_others_could_write_is_not_used(
    repo: Path, cache_dir: Path, computed: list[int], settled: None
) -> None:
    run("summary", "--as-of", "2022-03-31")
    (memo,) = cache_dir.glob("summary-output-*.memo")
    memo.chmod(0o666)
    run("summary", "--as-of", "2022-03-31")
    assert len(computed) == 2


def test_a_link_in_the_records_folder_leaves_it_to_the_walk(
    repo: Path, cache_dir: Path, computed: list[int], settled: None
) -> None:
    (repo / "records" / "elsewhere").symlink_to(repo / "records" / "2565", target_is_directory=True)
    first = run("status", "--as-of", "2022-03-31")
    second = run("status", "--as-of", "2022-03-31")
    assert len(computed) == 2 and second.stdout == first.stdout


def test_the_memo_reads_the_records_folder_as_the_walk_does(tmp_path: Path) -> None:
    """Its list of record files (used for the rows) is the walk's, in the walk's order."""
    from projledger.core.config import load_config
    from projledger.core.repository import list_records

    records = tmp_path / "records"
    for name in ["b.toml", "a.toml", ".hidden.toml", "notes.txt", "2565/z.toml", "2565/a.toml", "2565/x/y.toml",
                 "2564/c.toml", ".git/d.toml", "2566/.e.toml", "a-folder/f.toml", "zz.toml"]:  # fmt: skip
        (records / name).parent.mkdir(parents=True, exist_ok=True)
        (records / name).write_text("format = 1\n", "utf-8")
    config = load_config(tmp_path)
    memo = cache_module.OutputMemo(tmp_path / "cache", config, "status", None, "part")
    assert memo.scanned is not None
    walked = [str(entry.path) for entry in list_records([], config)]
    assert [name for name, _ in memo.scanned] == walked
    assert all(st is not None for _, st in memo.scanned)


_MEMO_RUN = """
import sys
from projledger.core import cache
cache.RACY_NS = -(10**15)  # the files the test just wrote count as settled
from projledger.main import main
try:
    main(sys.argv[1:], standalone_mode=False)
finally:
    heavy = ("projledger.core.record", "projledger.core.check", "projledger.core.tables", "tomli", "toml_rs",
             "jsonschema_rs", "wcwidth", "importlib.metadata", "openpyxl", "jinja2")
    print("IMPORTED:", [m for m in heavy if m in sys.modules], file=sys.stderr)
"""


@pytest.mark.parametrize("args", COMMANDS)
def test_a_memo_answer_imports_nothing_that_reads_records(
    repo: Path, cache_dir: Path, args: tuple[str, ...]
) -> None:
    """The lever behind a warm run's speed: the answer comes from the stat of every file and the
    memo, without importing the parsers, the validator or the table layout (tens of ms each)."""
    import subprocess
    import sys

    env = {**os.environ, "PROJLEDGER_CACHE_DIR": str(cache_dir)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", _MEMO_RUN, *args], cwd=repo, env=env, capture_output=True, text=True
        )
        for _ in range(2)
    ]
    assert runs[0].stdout == runs[1].stdout and runs[0].stdout
    assert "IMPORTED: []" not in runs[0].stderr  # the first run computed its rows
    assert "IMPORTED: []" in runs[1].stderr, runs[1].stderr


def test_record_files_are_the_walks(tmp_path: Path) -> None:
    """The quick listing (no stat) gives the walk's record files in its order; None at a link."""
    from projledger.core.config import load_config
    from projledger.core.repository import list_records

    records = tmp_path / "records"
    for name in [
        "b.toml",
        "a.toml",
        ".hidden.toml",
        "notes.txt",
        "2565/z.toml",
        "2565/x/y.toml",
        ".git/d.toml",
    ]:
        (records / name).parent.mkdir(parents=True, exist_ok=True)
        (records / name).write_text("format = 1\n", "utf-8")
    config = load_config(tmp_path)
    assert cache_module.record_files(str(records)) == [str(e.path) for e in list_records([], config)]
    (records / "2565" / "link").symlink_to(records / "2565" / "x", target_is_directory=True)
    assert cache_module.record_files(str(records)) is None
