"""Properties of fmt over generated records: it keeps every value, and it is a fixed point.

Records are generated as data (Thai and any other text, control characters, CRLF inside
strings, exact decimals of any exponent, dates, optional keys, any number of reports), then
written the way a person or another tool might: keys shuffled, strings one-line or
multi-line, tomli-w's inline arrays of small reports, LF or CRLF line ends, with or without
a ``#:schema`` line or a BOM.
"""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projledger.core.layout import formatted

ROOT = Path("/repo")
PATH = ROOT / "records" / "2565" / "50100000-0001.toml"

#: Strings where a writer most easily changes a value: CRLF (lost in a """ block), quotes, ...
TRICKY = [
    "",
    "a\r\nb",
    "\r\n",
    "one\ntwo\n",
    "\n",
    "\r",
    '"""',
    "'''",
    'ends in "',
    "\\",
    "ำ",
    "# not a comment",
]
text = st.sampled_from(TRICKY) | st.text(
    st.characters(blacklist_categories=("Cs",)) | st.sampled_from("กขคำ่้๐๑\n\r\t\"'\\#"),
    max_size=30,
)
decimal = st.decimals(
    allow_nan=False, allow_infinity=False, places=None, min_value=-(10**12), max_value=10**12
)
money = st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=0, max_value=10**10)
day = st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31))

report = st.fixed_dictionaries(
    {"no": st.integers(1, 500), "date": day, "progress": decimal, "disbursed": money,
     "plan_status": st.sampled_from(["on_plan", "watch", "behind"]), "target_status": text, "note": text},
    optional={"event": st.sampled_from(["cancelled", "completed"])},
)  # fmt: skip
record = st.fixed_dictionaries(
    {"format": st.just(1), "code": text, "name": text, "fiscal_year": st.integers(2400, 2700),
     "start": day, "end": day, "budget": money,
     "agency": st.fixed_dictionaries({"department": text}, optional={"division": text, "owner": text})},
    optional={
        "plan_ref": text,
        "plan": st.lists(decimal, max_size=14),
        "details": st.fixed_dictionaries({}, optional={"rationale": text, "objectives": st.lists(text, max_size=4),
                                                       "targets": st.lists(text, max_size=4)}),
        "strategy": st.fixed_dictionaries({}, optional={"issue": text, "kpi": text}),
        "reports": st.lists(report, max_size=6),
    },
)  # fmt: skip


def shuffled(value: Any, rng: random.Random) -> Any:
    if isinstance(value, dict):
        items = [(k, shuffled(v, rng)) for k, v in value.items()]
        rng.shuffle(items)
        return dict(items)
    if isinstance(value, list):
        return [shuffled(v, rng) for v in value]
    return value


@st.composite
def record_files(draw: st.DrawFn) -> bytes:
    data = draw(record)
    rng = random.Random(draw(st.integers(0, 2**32)))
    body = tomli_w.dumps(shuffled(data, rng), multiline_strings=draw(st.booleans()))
    if draw(st.booleans()):
        body = "#:schema ../../schemas/project.schema.json\n" + body
    if draw(st.booleans()):
        body = body.replace("\n", "\r\n")
    raw = body.encode("utf-8")
    return b"\xef\xbb\xbf" + raw if draw(st.booleans()) else raw


def load(raw: bytes) -> dict[str, Any]:
    return tomli.loads(raw.decode("utf-8-sig"), parse_float=Decimal)


def exact(value: Any) -> Any:
    """Values with each number's type and written form, so 1.0 and 1.00 differ."""
    if isinstance(value, dict):
        return {k: exact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [exact(v) for v in value]
    if isinstance(value, Decimal | int):
        return (type(value).__name__, str(value))
    return value


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(record_files())
def test_fmt_keeps_every_value(raw: bytes) -> None:
    out = formatted(raw, PATH, ROOT)
    assert load(out) == load(raw)
    assert exact(load(out)) == exact(load(raw))


@SETTINGS
@given(record_files())
def test_fmt_is_a_fixed_point(raw: bytes) -> None:
    once = formatted(raw, PATH, ROOT)
    assert formatted(once, PATH, ROOT) == once
    assert once.startswith(b"#:schema ")


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record_files())
@pytest.mark.slow
def test_fmt_keeps_values_and_is_a_fixed_point_long_run(raw: bytes) -> None:
    once = formatted(raw, PATH, ROOT)
    assert exact(load(once)) == exact(load(raw))
    assert formatted(once, PATH, ROOT) == once
