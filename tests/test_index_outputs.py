"""The index's kept lines, rows and whole outputs give what the commands print with no index,
cold, warm and after one record changed, in every sort, filter, grouping and format; and the
status table laid out from kept lines is the one tabulate makes of the rows' cells."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

from projledger.core.config import load_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.generate import AS_OF, generate  # noqa: E402


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 small records, a third broken (cycling through every mutation)."""
    root = tmp_path_factory.mktemp("corpus")
    generate(root, 300, seed=7, size=1500, fail_share=0.34)
    return root


KEPT_VARIANTS = [
    ("status",), ("status", "--sort", "progress"), ("status", "--sort", "variance"), ("status", "--sort", "end"),
    ("status", "--sort", "disbursement"), ("status", "--sort", "name", "--state", "active"),
    ("status", "--format", "markdown"), ("status", "--lang", "en", "--agency", "50"),
    ("status", "--plan-status", "behind", "--plan-status", "none"),
    # every other sort and filter: a kept line read back holds only the fields these read
    ("status", "--sort", "code", "--fiscal-year", "2567"), ("status", "--sort", "agency"),
    ("status", "--sort", "fiscal-year"), ("status", "--sort", "state"), ("status", "--sort", "plan-status"),
    ("status", "--sort", "overdue"), ("summary",),
    ("summary", "--by", "fiscal-year", "--by", "plan-status", "--format", "json"),
    ("summary", "--by", "strategy", "--by", "quarter", "--format", "csv"),
    ("summary", "--by", "state", "--agency", "50", "--lang", "en"),
]  # fmt: skip


def test_kept_lines_and_rows_give_the_plain_output(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """status from each project's kept line, and summary from each project's kept figures
    (cold cache, warm cache, one record changed), print what they print from the rows with no
    cache, in every sort, filter, grouping and format."""
    from conftest import run

    monkeypatch.chdir(corpus)
    cache = str(tmp_path / "cache")

    def status(args: tuple[str, ...], **environ: str) -> tuple[int, str, str]:
        for name in ("PROJLEDGER_NO_CACHE", "PROJLEDGER_CACHE_DIR", "PROJLEDGER_JOBS"):
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        result = run(*args, "--as-of", AS_OF.isoformat())
        return result.exit_code, result.stdout, result.stderr

    changed = sorted(corpus.glob("records/*/*.toml"))[5]
    original = changed.read_bytes()
    for args in KEPT_VARIANTS:
        plain = status(args, PROJLEDGER_NO_CACHE="1", PROJLEDGER_JOBS="1")
        assert plain[1].count("\n") > 5
        assert status(args, PROJLEDGER_CACHE_DIR=cache) == plain  # cold, then warm
        assert status(args, PROJLEDGER_CACHE_DIR=cache) == plain
        try:
            changed.write_bytes(original.replace(b'name = "', b'name = "changed ', 1))
            fresh = status(args, PROJLEDGER_NO_CACHE="1")
            assert status(args, PROJLEDGER_CACHE_DIR=cache) == fresh
        finally:
            changed.write_bytes(original)


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_status_table_is_tabulates(corpus: Path, fmt: str) -> None:
    """Laid out from the kept lines, the table tabulate would make of the rows' cells."""
    from projledger.core import labels, portfolio, tables

    from portfolio import status_table

    config = load_config(corpus)
    rows = portfolio.sorted_rows(portfolio.rows([], config, AS_OF, checked_on=date(2026, 1, 1)))
    ours = status_table(rows, "th", fmt).splitlines()
    headers = [labels.word(c, "th") for c in tables.STATUS_COLUMNS]
    cells = [tables.status_cells(r, "th", fmt) for r in rows]
    theirs = tables._tabulate_lines(headers, cells, tables._STATUS_ALIGN, fmt)
    assert ours == list(tables._shown(theirs, fmt))


def test_status_lines_set_aside_give_the_same_table(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cold run's status lines past the first HELD made have their cells set aside in a
    temporary database and read back in sort order: the table is the one of lines held, with
    the index and without, in every sort and format; lines loaded from the index are held."""
    from projledger.commands import statustable

    from conftest import run

    monkeypatch.chdir(corpus)
    added: list[int] = []
    add = statustable._SetAside.add

    def counted_add(self: statustable._SetAside, cells: str) -> int:
        added.append(1)
        return add(self, cells)

    monkeypatch.setattr(statustable._SetAside, "add", counted_add)
    statuses = [args for args in KEPT_VARIANTS if args[0] == "status"]
    for number, args in enumerate(statuses):
        for environ in ({"PROJLEDGER_NO_CACHE": "1"}, {"PROJLEDGER_CACHE_DIR": str(tmp_path / f"c{number}")}):
            for name in ("PROJLEDGER_NO_CACHE", "PROJLEDGER_CACHE_DIR"):
                monkeypatch.delenv(name, raising=False)
            for name, value in environ.items():
                monkeypatch.setenv(name, value)
            monkeypatch.setenv("PROJLEDGER_JOBS", "1")
            monkeypatch.setattr(statustable, "HELD", 10**9)
            held = run(*args, "--as-of", AS_OF.isoformat(), env={"PROJLEDGER_NO_CACHE": "1"})
            assert not added
            monkeypatch.setattr(statustable, "HELD", 3)
            aside = run(*args, "--as-of", AS_OF.isoformat())
            assert (aside.exit_code, aside.stdout, aside.stderr) == (held.exit_code, held.stdout, held.stderr)
            assert len(added) > 20 or "--fiscal-year" in args or "--plan-status" in args
            added.clear()
            if "PROJLEDGER_CACHE_DIR" in environ:  # warm: every line loaded, none set aside
                assert run(*args, "--as-of", AS_OF.isoformat()).stdout == held.stdout
                assert not added


def test_status_lines_loaded_from_the_index_leave_their_cells_there(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After one record changed, every other line is loaded from the index without its cells
    (they are most of a line: 6 MB at 10,000 records) and its cells are read back in sort order,
    a few at a time: the table is the one made with no index, in every sort and format, and
    each loaded line's cells are read exactly once."""
    from projledger.core import index, tables

    from conftest import run

    monkeypatch.chdir(corpus)
    monkeypatch.setenv("PROJLEDGER_JOBS", "1")
    monkeypatch.setattr(tables, "MAPPED_BATCH", 7)  # many batches, the last one short
    read: list[int] = []
    column_of = index.Index.column_of

    def counted(self: index.Index, column: int, numbers: list[int]) -> dict[int, object]:
        assert len(numbers) <= 7
        read.extend(numbers)
        return column_of(self, column, numbers)

    monkeypatch.setattr(index.Index, "column_of", counted)
    record = sorted((corpus / "records").rglob("*.toml"))[5]
    saved = record.read_bytes()
    statuses = [args for args in KEPT_VARIANTS if args[0] == "status"]
    try:
        for number, args in enumerate(statuses):
            plain = run(*args, "--as-of", AS_OF.isoformat())
            monkeypatch.delenv("PROJLEDGER_NO_CACHE")
            monkeypatch.setenv("PROJLEDGER_CACHE_DIR", str(tmp_path / f"c{number}"))
            run(*args, "--as-of", AS_OF.isoformat())
            record.write_bytes(saved + b"# changed\n")
            read.clear()
            changed = run(*args, "--as-of", AS_OF.isoformat())
            record.write_bytes(saved)
            monkeypatch.delenv("PROJLEDGER_CACHE_DIR")
            monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")
            again = run(*args, "--as-of", AS_OF.isoformat())
            assert (changed.exit_code, changed.stdout, changed.stderr) == (
                plain.exit_code,
                plain.stdout,
                plain.stderr,
            )
            assert again.stdout == plain.stdout
            shown = len(plain.stdout.splitlines()) - 2  # the header and its rule
            assert (
                len(read) == len(set(read)) >= shown - 1 > 10
                or "--plan-status" in args
                or "--fiscal-year" in args
            )
    finally:
        record.write_bytes(saved)
