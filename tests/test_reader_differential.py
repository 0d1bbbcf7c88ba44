"""The one reader (toml-rs with guards, core/record.py) gives what a tomli-only reader gives.

For every text: the same data, types included (``Decimal`` spelled the same, ``date`` against
``datetime`` against ``time``, time zones), or the same ``RecordError`` (rule, line, column,
message). The texts: generated records (bench/generate.py) and mangled variants of them (random
byte edits and truncations, Thai text, floats of every spelling, ``nan``/``inf``, nesting near
the guard, numbers thousands of digits long, and the TOML 1.1 constructs that TOML 1.0 refuses).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import toml_rs
import tomli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projledger.core import record
from projledger.core.errors import RecordError

from conftest import SHIPPED

pytestmark = pytest.mark.fuzz

LONG = os.environ.get("PROJLEDGER_FUZZ") == "long"
FUZZ = settings(
    max_examples=3000 if LONG else 150,
    deadline=None,
    derandomize=not LONG,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
BENCH = Path(__file__).resolve().parent.parent / "bench" / "generate.py"


@cache
def _generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_bench_generate", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@cache
def corpus() -> tuple[bytes, ...]:
    """A dozen generated records of varied size, and the shipped one."""
    generate = _generate()
    texts = [SHIPPED.read_bytes()]
    for seed, size in ((1, 4_000), (2, 17_000), (3, 30_000)):
        gen = generate.Generator(seed, size)
        texts += [generate.render(gen.record(index)[2]).encode() for index in range(4)]
    return tuple(texts)


def typed(value: Any) -> Any:
    """``value`` with every type spelled out, so equal data means equal types too."""
    if isinstance(value, dict):
        return ("dict", tuple((key, typed(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("list", tuple(typed(item) for item in value))
    if isinstance(value, Decimal):
        return ("Decimal", str(value))
    if isinstance(value, (datetime, time)):
        zone = value.tzinfo
        return (type(value).__name__, value.isoformat(), type(zone).__name__, value.utcoffset())
    return (type(value).__name__, value)


def outcome(read: Any, raw: bytes) -> Any:
    try:
        data = read(raw)
    except RecordError as error:
        return ("error", error.rule, error.line, error.column, error.field, error.message)
    with deep_enough():
        return ("data", typed(data))


@contextlib.contextmanager
def deep_enough() -> Iterator[None]:
    """Room to compare data nested as deep as a reader may give it, and to show an integer
    thousands of digits long (not while reading, which runs as the tool does; and put back
    after: a test run later in the process expects Python's own limit on digits)."""
    limit, digits = sys.getrecursionlimit(), sys.get_int_max_str_digits()
    sys.setrecursionlimit(20_000)
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)
        sys.set_int_max_str_digits(digits)


def the_reader(raw: bytes) -> dict[str, Any]:
    return record.document_from_bytes(raw, "r.toml").data


def tomli_only(raw: bytes) -> dict[str, Any]:
    return record._parse_exactly(record.decode(raw, "r.toml"), "r.toml")


def assert_same(raw: bytes) -> None:
    ours, reference = outcome(the_reader, raw), outcome(tomli_only, raw)
    with deep_enough():
        assert ours == reference, raw[:300]


# --- snippets worth putting into a record -----------------------------------------------------

FLOATS = [
    "0.0", "-0.0", "+0.0", "12.50", "1_000.50", "3540000.00", "1e3", "1E+3", "-2.5e-3", "6.02e23",
    "0.1", "1.", ".5", "1._5", "1__0.0", "01.5", "nan", "+nan", "-nan", "inf", "+inf", "-inf",
    "NaN", "1.5_", "9" * 30 + ".1",
]  # fmt: skip
TOML_1_1 = [
    "x = {a = 1,\n b = 2}\n",
    "x = {a = 1, }\n",
    'x = "\\e"\n',
    'x = "\\x41"\n',
    "x = 07:32\n",
    "x = 1979-05-27T07:32\n",
    "x = 1979-05-27 07:32\n",
]
VALUES = [
    "1979-05-27", "1979-05-27T07:32:00Z", "1979-05-27T07:32:00+07:00", "1979-05-27T07:32:00.999",
    "07:32:00", "07:32:00.5", "1979-05-27t07:32:00z", "2024-02-30", "true", "0x1F", "0o17", "0b101",
    '"โครงการ"', "'สวัสดี'", '"""\nหนึ่ง\r\nสอง"""', "'''ก\n'''", '"ก\\u0E01"', '"\\U0001F600"',
    "[1, 2.5, 'x']", "[]", "{}", "{ a.b = 1 }", "-0", "+1", "1_000", "9" * 4400, "1_" * 2200 + "1",
    "0x" + "f" * 5000, "0x" + "f" * 4400, "0o" + "7" * 4400, "0b" + "1" * 4400, "-" + "9" * 4301,
    "9" * 4300, "1" + "_0" * 4300, "1." + "5" * 4400,
]  # fmt: skip
THAI = ["โครงการ", "ำ", "่้", "ก" * 50, "\u200b", "\u0e50\u0e51"]


def nested(depth: int, kind: str) -> str:
    if kind == "array":
        return "x = " + "[" * depth + "]" * depth + "\n"
    if kind == "table":
        return "x = " + "{a = " * depth + "1" + "}" * depth + "\n"
    return "x = " + "[{a = " * depth + "1" + "}]" * depth + "\n"


# --- the properties ---------------------------------------------------------------------------


def test_generated_records_read_the_same() -> None:
    for raw in corpus():
        assert_same(raw)
        assert outcome(the_reader, raw)[0] == "data"


@pytest.mark.parametrize("snippet", TOML_1_1)
def test_toml_1_1_is_refused_as_tomli_refuses_it(snippet: str) -> None:
    raw = SHIPPED.read_bytes() + b"\n" + snippet.encode()
    assert outcome(the_reader, raw)[:2] == ("error", "toml-syntax")
    assert_same(raw)


@pytest.mark.parametrize("literal", FLOATS + VALUES)
def test_every_spelling_reads_the_same(literal: str) -> None:
    assert_same(f"x = {literal}\n".encode())
    assert_same(SHIPPED.read_bytes() + f"\n[extra]\nx = {literal}\ny = [{literal}]\n".encode())


@pytest.mark.parametrize("depth", [100, 127, 128, 129, 200, 205, 210, 215, 300, 420, 500, 999, 1000, 3000])
@pytest.mark.parametrize("kind", ["array", "table", "mixed"])
def test_nesting_near_the_guard_reads_the_same(depth: int, kind: str) -> None:
    assert_same(nested(depth, kind).encode())


edits = st.lists(
    st.tuples(
        st.sampled_from(["insert", "delete", "replace", "cut", "snippet"]),
        st.floats(min_value=0, max_value=1, allow_nan=False),
        st.one_of(
            st.binary(min_size=1, max_size=4),
            st.sampled_from(
                [s.encode() for s in ["[", "]", "{", "}", '"', "'", "=", "\n", "\r", "\\", ".", "#", "\x00"]]
            ),
            st.sampled_from([t.encode() for t in THAI]),
        ),
        st.sampled_from(
            [f"x = {f}" for f in FLOATS]
            + [f"y = {v}" for v in VALUES]
            + TOML_1_1
            + [nested(d, k) for d in (150, 250, 260, 420, 1000) for k in ("array", "mixed")]
        ),
    ),
    min_size=1,
    max_size=4,
)


def mangle(raw: bytes, plan: list[tuple[str, float, bytes, str]]) -> bytes:
    for action, where, data, snippet in plan:
        at = int(where * len(raw))
        if action == "insert":
            raw = raw[:at] + data + raw[at:]
        elif action == "delete":
            raw = raw[:at] + raw[at + len(data) :]
        elif action == "replace":
            raw = raw[:at] + data + raw[at + len(data) :]
        elif action == "cut":
            raw = raw[:at]
        else:  # a whole line of its own, at the start of a line
            line = raw.rfind(b"\n", 0, at) + 1
            raw = raw[:line] + snippet.encode() + b"\n" + raw[line:]
    return raw


@FUZZ
@given(st.integers(min_value=0, max_value=len(corpus()) - 1), edits)
def test_mangled_records_read_the_same(which: int, plan: list[tuple[str, float, bytes, str]]) -> None:
    assert_same(mangle(corpus()[which], plan))


@FUZZ
@given(st.sampled_from(FLOATS + VALUES), st.sampled_from(["budget", "reports"]))
def test_values_in_a_record_read_the_same(literal: str, where: str) -> None:
    raw = SHIPPED.read_bytes()
    if where == "budget":
        raw = raw.replace(b"budget = ", f"budget = {literal}\nold_budget = ".encode(), 1)
    else:
        raw = raw.replace(b"progress = ", f"progress = {literal}\nold_progress = ".encode(), 1)
    assert_same(raw)


def test_the_reader_is_toml_rs_on_an_ordinary_record(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = [outcome(the_reader, raw) for raw in corpus()]
    given: list[str] = []
    monkeypatch.setattr(tomli, "loads", lambda text, **options: given.append(text))
    assert [outcome(the_reader, raw) for raw in corpus()] == expected
    assert given == []


@pytest.mark.parametrize("openings", [record._NESTING_LIMIT, 10_000])
def test_toml_rs_never_sees_deep_nesting(monkeypatch: pytest.MonkeyPatch, openings: int) -> None:
    """toml-rs crashes the process on nesting some thousands deep: such a text never reaches it."""
    given: list[str] = []
    monkeypatch.setattr(toml_rs, "loads", lambda text, **options: given.append(text))
    raw = nested(openings, "array").encode()
    assert_same(raw)
    assert given == []
    if openings > 1000:
        assert outcome(the_reader, raw)[:2] == ("error", "toml-syntax")


def test_a_syntax_error_on_a_thai_line_has_tomli_s_column() -> None:
    raw = 'name = "โครงการ" x\n'.encode()
    with pytest.raises(RecordError) as caught:
        the_reader(raw)
    assert (caught.value.line, caught.value.column) == (1, 18)  # characters, not bytes


def test_a_non_finite_number_names_its_field_and_line() -> None:
    raw = SHIPPED.read_bytes().replace(b"budget = ", b"budget = -inf\nold_budget = ", 1)
    line = raw.decode().splitlines().index("budget = -inf") + 1
    with pytest.raises(RecordError) as caught:
        the_reader(raw)
    assert (caught.value.rule, caught.value.field, caught.value.line) == ("non-finite", "budget", line)


def test_dates_and_times_have_tomli_s_types() -> None:
    data = the_reader(
        b"d = 1979-05-27\nz = 1979-05-27T07:32:00Z\no = 1979-05-27T07:32:00+07:00\n"
        b"l = 1979-05-27T07:32:00\nt = 07:32:00\n"
    )
    assert type(data["d"]) is date and type(data["l"]) is datetime and data["l"].tzinfo is None
    assert type(data["t"]) is time
    assert data["z"].utcoffset().total_seconds() == 0 and data["o"].utcoffset().total_seconds() == 25200
    assert_same(b"d = 1979-05-27\nz = 1979-05-27T07:32:00Z\nt = 07:32:00\n")
