"""Every fast path gives exactly what the plain path gives: same data, same findings, same words.

The corpus: a few hundred small generated records, a third of them broken on purpose (every
rule, every kind of unreadable file, TOML 1.1 constructs, odd float spellings), plus hand-made
texts aimed at the rtoml route's guards.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli
from hypothesis import given, settings
from hypothesis import strategies as st

from projledger.core import record, schema
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


# --- the quoted-float route of a valid record (record.parse_valid) ------------------------------

SHIPPED_TEXT = (PROJECT_ROOT / "records" / "2565" / "01000000-2475.toml").read_text("utf-8")


NOTE = 'note = "อยู่ระหว่างจัดทำแผนปฏิบัติการ"\n'
PLAN_REF = 'plan_ref = "สส.กทม. ปจ. 1/4"\n'
OBJECTIVES = "objectives = [\n"


def _shipped_with(old: str, new: str) -> str:
    assert old in SHIPPED_TEXT, old
    return SHIPPED_TEXT.replace(old, new, 1)


#: Valid records (or nearly) whose quoting the route must either prove or decline.
VALID_VARIANTS = {
    "as shipped": SHIPPED_TEXT,
    "plan over lines": _shipped_with(
        "budget = 3540000.0\n", "budget = 3540000.0\nplan = [\n    10.50,\n    20.0,\n    100.0\n]\n"
    ),
    "plan on one line": _shipped_with("budget = 3540000.0\n", "budget = 3540000.0\nplan = [10.50, 20.0]\n"),
    "plan of whole numbers": _shipped_with(
        "budget = 3540000.0\n", "budget = 3540000.0\nplan = [\n    10,\n    20,\n]\n"
    ),
    "trailing zeros": _shipped_with("budget = 3540000.0\n", "budget = 3540000.00\n"),
    "whole budget": _shipped_with("budget = 3540000.0\n", "budget = 3540000\n"),
    "comment after a float": _shipped_with("budget = 3540000.0\n", "budget = 3540000.50 # baht\n"),
    "two spaces before a float": _shipped_with("budget = 3540000.0\n", "budget =  3540000.50\n"),
    "plus sign": _shipped_with("progress = 10.0\n", "progress = +10.0\n"),
    "minus zero": _shipped_with("disbursed = 0.0\n", "disbursed = -0.0\n"),
    "exponent": _shipped_with("progress = 10.0\n", "progress = 1.0e1\n"),
    "underscore": _shipped_with("budget = 3540000.0\n", "budget = 3_540_000.0\n"),
    "key line inside a note": _shipped_with(NOTE, 'note = """\nprogress = 10.00\n"""\n'),
    "array line inside a note": _shipped_with(NOTE, 'note = """\n    10.00,\n"""\n').replace(
        "budget = 3540000.0\n", "budget = 3540000.0\nplan = [\n    10.0,\n]\n"
    ),
    "array line inside a note, no plan": _shipped_with(NOTE, 'note = """\n    10.00,\n"""\n'),
    "array line inside a note with an escape": _shipped_with(
        NOTE, 'note = """\\tx\n    10.00,\n"""\n'
    ).replace("budget = 3540000.0\n", "budget = 3540000.0\nplan = [\n    10.0,\n]\n"),
    "key line inside a note with an escape": _shipped_with(NOTE, 'note = """\\tx\nprogress = 10.00\n"""\n'),
    # long texts set aside (record._set_aside)
    "text ending in quotes": _shipped_with(NOTE, 'note = """\nsaid "yes"""""\n'),
    "text ending in one quote": _shipped_with(NOTE, 'note = """said "yes""""\n'),
    "six quotes": _shipped_with(NOTE, 'note = """said ""yes""""""\n'),
    "empty long text": _shipped_with(PLAN_REF, 'plan_ref = """"""\n'),
    "long text of a newline": _shipped_with(PLAN_REF, 'plan_ref = """\n\n"""\n'),
    "long text without the first newline": _shipped_with(NOTE, 'note = """x\ny"""\n'),
    "long text with a tab": _shipped_with(NOTE, 'note = """\nx\ty"""\n'),
    "long text with a control character": _shipped_with(NOTE, 'note = """\nx\x07y"""\n'),
    "long text with an escaped quote": _shipped_with(NOTE, 'note = """\nx\\"""y"""\n'),
    "long text after an escape": _shipped_with(NOTE, 'note = """\nx\\ty"""\nevent = """completed"""\n'),
    "long text where no text belongs": _shipped_with(
        'plan_status = "on_plan"\n', 'plan_status = """on_plan"""\n'
    ),
    "long text in a comment": _shipped_with(NOTE, NOTE + '# x = """\n# """\n'),
    "long text opening in a comment": _shipped_with(NOTE, NOTE + '# x = """\nplan_ref = """y"""\n').replace(
        'plan_ref = "สส.กทม. ปจ. 1/4"\n', ""
    ),
    "long text opening inside a literal text": _shipped_with(NOTE, "note = '''\nx = \"\"\"\n'''\n"),
    "literal long text": _shipped_with(NOTE, "note = '''\nx\\y\n'''\n"),
    "mark of a text set aside, escaped": _shipped_with(NOTE, 'note = "\\u00020"\n'),
    "unclosed long text": _shipped_with(NOTE, 'note = """\nx\n'),
    # array items set aside (record._set_aside_items)
    "item with an escape": _shipped_with(OBJECTIVES, OBJECTIVES + '    "a\\tb",\n'),
    "empty item": _shipped_with(OBJECTIVES, OBJECTIVES + '    "",\n'),
    "multi-line item first": _shipped_with(OBJECTIVES, OBJECTIVES + '    """\nx\n""",\n'),
    "item with a quote after it": _shipped_with(OBJECTIVES, OBJECTIVES + '    "a"b",\n'),
    "item line inside a note": _shipped_with(NOTE, 'note = """\nx\n    "y",\n"""\n'),
    "item line inside a literal note": _shipped_with(NOTE, "note = '''\nx\n    \"y\",\n'''\n"),
    "item at five spaces": _shipped_with(OBJECTIVES, OBJECTIVES + '     "a",\n'),
    "item without a comma": _shipped_with(OBJECTIVES, 'objectives = [\n    "a"\n]\nx = [\n'),
    "float under a text key": _shipped_with('coordinator = "คุณปริญดา"\n', "coordinator = 1.5\n"),
    "float under a key of no table": _shipped_with(
        "budget = 3540000.0\n", "budget = 3540000.0\nextra = 1.5\n"
    ),
    "dotted key": _shipped_with("budget = 3540000.0\n", "budget = 3540000.0\nagency.phone = 1.5\n").replace(
        "[agency]\n", "[agency_]\n"
    ),
    "float format": _shipped_with("format = 1\n", "format = 1.0\n"),
    "float report number": _shipped_with("no = 1\n", "no = 1.0\n"),
    "float fiscal year": _shipped_with("fiscal_year = 2565\n", "fiscal_year = 2565.0\n"),
    "quoted number": _shipped_with("progress = 10.0\n", 'progress = "10.0"\n'),
    "mark escaped in a text": _shipped_with('coordinator = "คุณปริญดา"\n', 'coordinator = "\\u0001"\n'),
    "mark escaped, long form": _shipped_with('coordinator = "คุณปริญดา"\n', 'coordinator = "\\U00000001"\n'),
    "quoted literal inside a literal string": _shipped_with(NOTE, "note = '''\nprogress = 10.0\n'''\n"),
    "leading zero": _shipped_with("budget = 3540000.0\n", "budget = 03540000.0\n"),
    "date-time for a date": _shipped_with("start = 2021-10-01\n", "start = 2021-10-01T08:00:00\n"),
    "time without seconds": _shipped_with('coordinator = "คุณปริญดา"\n', "coordinator = 10:30\n"),
    "quoted date": _shipped_with("start = 2021-10-01\n", 'start = "2021-10-01"\n'),
    "number at the end of the text": SHIPPED_TEXT.rstrip("\n")
    + '\n[[reports]]\nno = 99\ndate = 2023-01-01\nprogress = 100.0\nplan_status = "on_plan"\ntarget_status = "on_target"\nnote = "x"\ndisbursed = 1.50',
    "CRLF": SHIPPED_TEXT.replace("\n", "\r\n"),
    "duplicate key": _shipped_with("budget = 3540000.0\n", "budget = 3540000.0\nbudget = 3540000.0\n"),
    "format 2": _shipped_with("format = 1\n", "format = 2\n"),
    "no format": _shipped_with("format = 1\n", ""),
}


@pytest.mark.parametrize("name", sorted(VALID_VARIANTS))
def test_valid_route_is_exact_or_declines(name: str) -> None:
    text = VALID_VARIANTS[name]
    quick = record.parse_valid(text)
    expected = exact_or_error(text)
    if quick is not None:
        assert not isinstance(expected, str), f"the route accepted what the exact path refuses: {expected}"
        assert same(quick, expected)
        assert schema.check_structure(expected) == []  # and it is a valid record indeed


@pytest.mark.parametrize(
    "name",
    [
        "key line inside a note with an escape",
        "array line inside a note with an escape",
        "six quotes",
        "long text in a comment",  # cut where no text stands: the mark is missed, the route declines
        "long text opening in a comment",
        "item with a quote after it",
        "long text with a control character",
        "long text where no text belongs",
        "mark of a text set aside, escaped",
        "unclosed long text",
        "float under a text key",
        "float under a key of no table",
        "dotted key",
        "float format",
        "quoted number",
        "mark escaped in a text",
        "mark escaped, long form",
        "quoted literal inside a literal string",
        "plan on one line",
        "comment after a float",
        "leading zero",
        "date-time for a date",
        "time without seconds",
        "quoted date",
        "CRLF",
        "duplicate key",
        "format 2",
        "no format",
        "exponent",
        "underscore",
    ],
)
def test_valid_route_declines_what_it_cannot_prove(name: str) -> None:
    assert record.parse_valid(VALID_VARIANTS[name]) is None


@pytest.mark.parametrize(
    "name",
    [
        "key line inside a note",
        "array line inside a note",
        "array line inside a note, no plan",
        "text ending in quotes",
        "text ending in one quote",
        "empty long text",
        "long text of a newline",
        "long text without the first newline",
        "long text with a tab",
        "long text after an escape",
        "long text opening inside a literal text",
        "literal long text",
        "item with an escape",
        "empty item",
        "multi-line item first",
        "item line inside a note",
    ],
)
def test_valid_route_takes_long_texts_exactly(name: str) -> None:
    """Records the route must take, with each long text as the exact parser reads it."""
    text = VALID_VARIANTS[name]
    quick = record.parse_valid(text)
    assert quick is not None
    assert same(quick, exact_or_error(text))


def test_valid_route_keeps_the_written_form() -> None:
    data = record.parse_valid(VALID_VARIANTS["plan over lines"])
    assert data is not None
    assert [str(p) for p in data["plan"]] == ["10.50", "20.0", "100.0"]
    assert str(data["budget"]) == "3540000.0"
    assert str(record.parse_valid(VALID_VARIANTS["trailing zeros"])["budget"]) == "3540000.00"  # type: ignore[index]
    assert record.parse_valid(VALID_VARIANTS["plus sign"])["reports"][0]["progress"] == Decimal("10.0")  # type: ignore[index]
    assert str(record.parse_valid(VALID_VARIANTS["minus zero"])["reports"][0]["disbursed"]) == "-0.0"  # type: ignore[index]
    at_end = record.parse_valid(VALID_VARIANTS["number at the end of the text"])
    assert at_end is not None and str(at_end["reports"][-1]["disbursed"]) == "1.50"


def test_valid_route_on_the_corpus(corpus: Path) -> None:
    """Taken by (nearly) every valid record, by no invalid one, and always the exact data."""
    taken = valid = 0
    for path in sorted(corpus.glob("records/*/*.toml")):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        expected = exact_or_error(text)
        is_valid = not isinstance(expected, str) and expected.get("format") == 1
        is_valid = is_valid and schema.check_structure(expected) == []  # type: ignore[arg-type]
        valid += is_valid
        quick = record.parse_valid(text)
        if quick is not None:
            taken += 1
            assert is_valid, path
            assert same(quick, expected), path
    assert valid > 150 and taken >= valid - 5


def test_documents_read_by_the_valid_route_skip_only_a_second_validation(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """check_file on a document the route proved valid gives what the full check gives."""
    config = load_config(corpus)
    paths = sorted(corpus.glob("records/*/*.toml"))
    quick = [check_file(p, config, AS_OF, "shown").findings for p in paths]
    monkeypatch.setattr(record, "parse_valid", lambda *args: None)
    assert [check_file(p, config, AS_OF, "shown").findings for p in paths] == quick


def test_the_schema_is_closed_and_a_loosened_one_is_not() -> None:
    """The valid route's proof needs a closed schema; a loosened one turns the route off."""
    import copy

    assert schema.closed(1)
    for loosen in (
        lambda s: s.pop("additionalProperties"),
        lambda s: s["properties"]["agency"].update(additionalProperties=True),
        lambda s: s["properties"]["name"].pop("type"),
        lambda s: s["properties"]["reports"]["items"]["properties"]["note"].pop("type"),
        lambda s: s["properties"]["plan"].pop("items"),
        lambda s: s["properties"]["reports"]["items"].update(anyOf=[{}]),
    ):
        loose = copy.deepcopy(schema.schema(1))
        loosen(loose)
        assert not schema.is_closed(loose)


def test_project_built_fast_is_the_project_its_constructor_builds() -> None:
    """from_data builds its dataclasses without their __init__: every field set, equal values."""
    import dataclasses

    data = record.parse(SHIPPED_TEXT, "x.toml")
    project = record.Project.from_data(data)
    assert set(project.__dict__) == {f.name for f in dataclasses.fields(record.Project)}
    rebuilt = record.Project(**{f.name: getattr(project, f.name) for f in dataclasses.fields(record.Project)})
    assert rebuilt == project and repr(rebuilt) == repr(project)
    for report in project.reports:
        assert set(report.__dict__) == {f.name for f in dataclasses.fields(record.Report)}
        again = record.Report(**{f.name: getattr(report, f.name) for f in dataclasses.fields(record.Report)})
        assert again == report and hash(again) == hash(report)
    with pytest.raises(dataclasses.FrozenInstanceError):
        project.reports[0].no = 2  # type: ignore[misc]


#: Pieces of TOML syntax the valid route's quoting and setting aside look for, or trip on.
_SNIPPETS = [
    '"""',
    '\n    "',
    '",',
    '    "x",\n',
    '\n    "x"\n',
    "'''",
    '"',
    "'",
    "\\",
    "\\t",
    "\\u0002",
    "\\u0001",
    "#",
    "= ",
    '= """',
    " = 1.50",
    "1.5",
    "    2.25,",
    "\n",
    "\nprogress = 10.00\n",
    "\nx = 1.5\n",
    '\nnote = """\nx\n"""\n',
    "[",
    "]",
    "{",
    "\t",
    "\x07",
    "\x02",
    "ก",
    "= '''",
    '""""',
    "0.0",
    "-0.0",
    "+1.5",
    "1e2",
    "1_0.5",
]


@settings(
    max_examples=300 if os.environ.get("PROJLEDGER_FUZZ") != "long" else 20000,
    deadline=None,
    derandomize=os.environ.get("PROJLEDGER_FUZZ") != "long",
)
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(SHIPPED_TEXT)), st.sampled_from(_SNIPPETS), st.integers(0, 3)),
        min_size=1,
        max_size=4,
    )
)
def test_valid_route_on_mangled_records_is_exact_or_declines(edits: list[tuple[int, str, int]]) -> None:
    """Snippets put anywhere (some replacing what stood there): the route never gives other data
    than the exact reader, and never takes what the exact reader refuses."""
    text = SHIPPED_TEXT
    for at, snippet, dropped in edits:
        text = text[:at] + snippet + text[at + dropped :]
    quick = record.parse_valid(text)
    if quick is not None:
        expected = exact_or_error(text)
        assert not isinstance(expected, str), expected
        assert same(quick, expected)


@pytest.mark.parametrize(
    "text",
    [
        "format = 1\nx = " + 'a = """x""" ' * 60000,  # one line of many long texts
        "format = 1\n" + 'a = """\n' * 80000,
        "format = 1\nb = " + "= 1.5" * 150000,
        "format = 1\nplan = [\n" + "\n    1.5," * 100000,
    ],
)
def test_valid_route_stays_linear_on_pathological_texts(text: str) -> None:
    import time

    started = time.process_time()
    assert record.parse_valid(text) is None
    assert time.process_time() - started < 2.0
