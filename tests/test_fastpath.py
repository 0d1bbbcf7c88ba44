"""Every fast path gives exactly what the plain path gives: same data, same findings, same words.

The corpus: a few hundred small generated records, a third of them broken on purpose (every
rule, every kind of unreadable file, TOML 1.1 constructs, odd float spellings), plus hand-made
texts aimed at the rtoml route's guards.
"""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli

from projledger.core import record
from projledger.core.check import check_file
from projledger.core.config import load_config
from projledger.core.errors import RecordError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.generate import AS_OF, MUTATIONS, generate  # noqa: E402


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 small records, a third broken (cycling through every mutation)."""
    root = tmp_path_factory.mktemp("corpus")
    generate(root, 300, seed=7, size=1500, fail_share=0.34)
    return root


def same(a: Any, b: Any) -> bool:
    """Equal values of equal types, Decimals spelled alike, dict keys in the same order."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Decimal):
        return str(a) == str(b)
    return bool(a == b)


def exact_or_error(text: str) -> dict[str, Any] | str:
    try:
        return record.parse(text, "x.toml", fast=False)
    except RecordError as error:
        return str(error)


def test_corpus_exercises_every_mutation(corpus: Path) -> None:
    files = sorted(corpus.glob("records/*/*.toml"))
    assert len(files) == 300
    result = check_file(files[0], load_config(corpus), AS_OF)
    assert result.path == str(files[0])
    assert len(MUTATIONS) >= 25


def test_rtoml_route_gives_the_same_findings(corpus: Path) -> None:
    config = load_config(corpus)
    fast_taken = 0
    for path in sorted(corpus.glob("records/*/*.toml")):
        text = path.read_text("utf-8")
        if record.parse_fast(text) is not None:
            fast_taken += 1
        plain = check_file(path, config, AS_OF, "shown", fast=False)
        quick = check_file(path, config, AS_OF, "shown", fast=True)
        assert quick.findings == plain.findings, path
        assert (quick.project is None) == (plain.project is None)
        if plain.project is not None:
            assert quick.project == plain.project
    assert 150 < fast_taken < 300  # the route is taken on most files, never on the broken ones


def test_rtoml_route_gives_the_same_data(corpus: Path) -> None:
    for path in sorted(corpus.glob("records/*/*.toml")):
        text = path.read_text("utf-8")
        quick = record.parse_fast(text)
        if quick is not None:
            assert same(quick, tomli.loads(text, parse_float=Decimal)), path


BASE = 'format = 1\ncode = "01000000-2475"\n'

#: Texts the fast route must leave to the exact path (None), or may take only with exact data.
TRICKY = {
    "inline table, TOML 1.1": BASE + "a = { b = 1,\n}\n",
    "inline table, TOML 1.0": BASE + "a = { b = 1.5 }\n",
    "escape \\e": BASE + 'a = "\\e"\n',
    "escape \\x": BASE + 'a = "\\x41"\n',
    "time without seconds": BASE + "a = 10:30\n",
    "date-time with zone": BASE + "a = 2021-10-01T10:30:00+07:00\n",
    "local date-time": BASE + "a = 2021-10-01T10:30:00\n",
    "CRLF in multi-line string": BASE + 'a = """x\r\ny"""\n',
    "nan": BASE + "a = nan\n",
    "inf in array": BASE + "a = [1.5, -inf]\n",
    "two spellings of zero": BASE + "a = 0.0\nb = 0.00\n",
    "spellings under one key": BASE + "[[r]]\np = 1.5\n[[r]]\np = 1.50\n",
    "string mimics a key line": BASE + 'n = """\np = 1.5\n"""\np = 1.50\n',
    "array over lines": BASE + "plan = [\n  10.50,\n  20.0,\n]\nx = 11.5\n",
    "array line and key line": BASE + "plan = [\n  10.50,\n]\nx = 10.5\n",
    "exponent without dot": BASE + "a = 1e2\n",
    "exponent with dot": BASE + "a = 1.5e2\n",
    "underscore": BASE + "a = 1_000.5\n",
    "plus sign": BASE + "a = +1.5\n",
    "minus zero": BASE + "a = -0.0\nb = 0.0\n",
    "long number": BASE + "a = 0.1000000000000000055511151231257827\n",
    "duplicate key": BASE + "a = 1.5\na = 1.5\n",
    "table twice": BASE + "[t]\na = 1\n[t]\nb = 2\n",
    "BOM": "\ufeff" + BASE,
    "trailing zeros kept": BASE + "budget = 3540000.00\nprogress = 10.0\n",
    "quoted key": BASE + '"budget" = 1.50\n',
    "dotted key": BASE + "a.b = 1.50\n",
    "dotted key and plain key": BASE + "a.b = 1.50\nb = 1.5\n",
    "comment after a float": BASE + "a = 1.50 # note\nb = 1.5\n",
    "float at the end of the text": BASE + "a = 2.50",
    "float in a string line": BASE + 'a = "x = 2.50"\nx = 2.5\n',
    "syntax error": BASE + 'a = "unclosed\n',
    "deep nesting": BASE + "a = " + "[" * 5000 + "]" * 5000 + "\n",
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_fast_route_is_exact_or_declines(name: str) -> None:
    text = TRICKY[name]
    quick = record.parse_fast(text)
    expected = exact_or_error(text)
    if quick is not None:
        assert not isinstance(expected, str), f"fast route accepted what the exact path refuses: {expected}"
        assert same(quick, expected)
    assert exact_or_error(text) == expected


@pytest.mark.parametrize(
    "name",
    [
        "inline table, TOML 1.1",
        "escape \\e",
        "escape \\x",
        "time without seconds",
        "nan",
        "inf in array",
        "spellings under one key",
        "array line and key line",
        "string mimics a key line",
        "exponent without dot",
        "underscore",
        "duplicate key",
        "BOM",
        "CRLF in multi-line string",
        "date-time with zone",
    ],
)
def test_fast_route_declines_what_it_cannot_prove(name: str) -> None:
    assert record.parse_fast(TRICKY[name]) is None


def test_fast_route_keeps_the_written_form() -> None:
    data = record.parse_fast(TRICKY["trailing zeros kept"])
    assert data is not None
    assert str(data["budget"]) == "3540000.00"
    assert str(data["progress"]) == "10.0"
    arrays = record.parse_fast(TRICKY["array over lines"])
    assert arrays is not None
    assert [str(p) for p in arrays["plan"]] == ["10.50", "20.0"]
    assert str(arrays["x"]) == "11.5"
    zeros = record.parse_fast(TRICKY["two spellings of zero"])  # told apart by their keys
    assert zeros is not None
    assert (str(zeros["a"]), str(zeros["b"])) == ("0.0", "0.00")


def test_shipped_record_takes_the_fast_route() -> None:
    text = (PROJECT_ROOT / "records" / "2565" / "01000000-2475.toml").read_text("utf-8")
    quick = record.parse_fast(text)
    assert quick is not None
    assert same(quick, tomli.loads(text, parse_float=Decimal))


def test_same_as_of_independent_of_route(corpus: Path) -> None:
    config = load_config(corpus)
    path = sorted(corpus.glob("records/*/*.toml"))[3]
    for day in (date(2020, 1, 1), AS_OF):
        assert check_file(path, config, day, fast=True) == check_file(path, config, day, fast=False)


def test_parallel_and_cached_routes_give_the_same_findings(corpus: Path, tmp_path: Path) -> None:
    from projledger.core.cache import ResultCache, check_many

    config = load_config(corpus)
    paths = sorted(corpus.glob("records/*/*.toml"))
    plain = [check_file(p, config, AS_OF, str(p), fast=False).findings for p in paths]
    assert sum(1 for f in plain if f) > 80  # the corpus does fail, on many files

    def findings(**kwargs: Any) -> list[tuple[Any, ...]]:
        return [tuple(c.as_findings(str(p))) for p, c in check_many(paths, config, AS_OF, **kwargs)]

    assert findings(jobs=2, chunk=7, threshold=1) == plain  # a pool, chunks streamed back in order
    assert findings(jobs=1, fast=False) == plain
    cache = ResultCache(tmp_path / "cache", config, "validate")
    assert findings(jobs=2, cache=cache, threshold=1) == plain  # cold: fills the cache
    cache.save()
    warm = ResultCache(tmp_path / "cache", config, "validate")
    assert len(warm) == len(paths)
    assert findings(jobs=2, cache=warm, threshold=1) == plain  # warm: from the cache
    assert not warm.changed
    warm.close()


def test_cached_and_parallel_rows_are_the_plain_rows(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """status and summary rows: plain loop, pool, cold cache, warm cache, one file changed."""
    from projledger.core import cache as cache_module
    from projledger.core import portfolio

    monkeypatch.chdir(corpus)
    monkeypatch.setattr(cache_module, "PARALLEL_THRESHOLD", 1)  # the pool even for 300 files
    config = load_config(corpus)
    checked_on = date(2026, 1, 1)

    def rows(**environ: str) -> tuple[list[Any], list[tuple[str, str]]]:
        for name in ("PROJLEDGER_NO_CACHE", "PROJLEDGER_CACHE_DIR", "PROJLEDGER_JOBS"):
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        skipped = portfolio.Skipped()
        got = list(portfolio.rows([], config, AS_OF, checked_on=checked_on, skipped=skipped))
        return got, skipped.files

    plain = rows(PROJLEDGER_NO_CACHE="1", PROJLEDGER_JOBS="1")
    assert len(plain[0]) > 150 and len(plain[1]) > 50
    assert rows(PROJLEDGER_NO_CACHE="1", PROJLEDGER_JOBS="2") == plain
    cache = str(tmp_path / "cache")
    assert rows(PROJLEDGER_CACHE_DIR=cache, PROJLEDGER_JOBS="2") == plain  # cold
    assert rows(PROJLEDGER_CACHE_DIR=cache, PROJLEDGER_JOBS="1") == plain  # warm
    changed = sorted(corpus.glob("records/*/*.toml"))[5]
    original = changed.read_bytes()
    try:
        changed.write_bytes(original.replace(b'name = "', b'name = "changed ', 1))
        fresh = rows(PROJLEDGER_NO_CACHE="1")
        assert fresh != plain
        assert rows(PROJLEDGER_CACHE_DIR=cache) == fresh
    finally:
        changed.write_bytes(original)


KEPT_VARIANTS = [
    ("status",), ("status", "--sort", "progress"), ("status", "--sort", "variance"), ("status", "--sort", "end"),
    ("status", "--sort", "disbursement"), ("status", "--sort", "name", "--state", "active"),
    ("status", "--format", "markdown"), ("status", "--lang", "en", "--agency", "50"),
    ("status", "--plan-status", "behind", "--plan-status", "none"), ("summary",),
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

    config = load_config(corpus)
    rows = portfolio.sorted_rows(portfolio.rows([], config, AS_OF, checked_on=date(2026, 1, 1)))
    ours = tables.status_table(rows, "th", fmt).splitlines()
    headers = [labels.word(c, "th") for c in tables.STATUS_COLUMNS]
    cells = [tables.status_cells(r, "th", fmt) for r in rows]
    theirs = tables._tabulate_lines(headers, cells, tables._STATUS_ALIGN, fmt)
    assert ours == list(tables._shown(lambda: iter(theirs), fmt))
