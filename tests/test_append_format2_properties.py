"""Properties of the one append (``writing.append_block``) on format-2 records: a KPI takes a
result or an evaluation, a format-2 project an evaluation, however the record spells its rows.

The rows already there are spelled as ``[[results]]``/``[[evaluations]]`` blocks (keys shuffled,
quoted, comments after values), as one array value (``[]``, inline tables on one line or many,
comments inside), or left out; other keys as basic or literal strings, the agency as a table or
an inline table; tomli-w's own output; CRLF; a last line without its line end. The result
always reads as the old data plus the new row and validates; where the rows were blocks (or
absent) the old bytes are a prefix of the new ones. The spelling helpers are the report
property's (tests/test_append_properties.py).
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli
import tomli_w
from hypothesis import given
from hypothesis import strategies as st
from test_append_properties import PROPERTY, comment, inline_table, key, note, scalar

from projledger.core.calendar import quarter_end
from projledger.core.check import check_data
from projledger.core.config import Config
from projledger.core.writing import EvaluationInput, ResultInput, append_evaluation, append_result

pytestmark = pytest.mark.fuzz

ROOT = Path("/repo")
CONFIG = Config(root=ROOT, records_dir=ROOT / "records")
AS_OF = date(2026, 1, 1)
FY = 2567
KPI_PATH = ROOT / "records" / str(FY) / "kpi" / "5026-2001.toml"
PROJECT_PATH = ROOT / "records" / str(FY) / "50100000-0001.toml"


def _row(name: str, quarter: int, draw: st.DrawFn) -> dict[str, Any]:
    day = quarter_end(FY, quarter) + timedelta(days=draw(st.integers(1, 20)))
    if name == "results":
        row: dict[str, Any] = {
            "quarter": quarter,
            "value": Decimal(draw(st.integers(0, 200))) / 2,
            "date": day,
        }
    else:
        row = {"quarter": quarter, "score": Decimal(draw(st.integers(0, 100))), "date": day}
        if draw(st.booleans()):
            row["evaluator"] = "สยป."
    if draw(st.booleans()):
        row["note"] = draw(note)
    return row


@st.composite
def records(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    """(what to append: results or evaluations, the record's data, its kind)."""
    kind = draw(st.sampled_from(["kpi", "project"]))
    name = "evaluations" if kind == "project" else draw(st.sampled_from(["results", "evaluations"]))
    if kind == "kpi":
        data: dict[str, Any] = {
            "format": 2, "kind": "kpi", "code": "5026-2001", "name": draw(note), "fiscal_year": FY,
            "category": "routine", "level": "output", "unit": "ร้อยละ", "target": 100,
            "agency": {"department": draw(note)},
        }  # fmt: skip
    else:
        data = {
            "format": 2, "kind": "project", "code": "50100000-0001", "name": draw(note), "fiscal_year": FY,
            "start": date(2023, 10, 1), "end": date(2024, 9, 30), "budget": Decimal("1250000.00"),
            "agency": {"department": draw(note)},
        }  # fmt: skip
    count = draw(st.integers(0, 3))
    rows = [_row(name, quarter, draw) for quarter in range(1, count + 1)]
    if rows or draw(st.booleans()):
        data[name] = rows
    return name, data, kind


def spell(data: dict[str, Any], name: str, rng: random.Random) -> tuple[str, str]:
    """``data`` as TOML one of many ways, and how its rows ``name`` are spelled."""
    rows = data.get(name)
    if rng.random() < 0.15:
        text = tomli_w.dumps(data, multiline_strings=rng.random() < 0.5)
        return text, "absent" if rows is None else ("blocks" if f"\n[[{name}]]\n" in text else "array")
    form = "absent" if rows is None else rng.choice(["blocks", "array"]) if rows else "array"
    root = [
        f"{key(k, rng)} = {scalar(v, rng)}{comment(rng)}\n"
        for k, v in data.items()
        if k not in ("agency", name)
    ]
    root.sort(key=lambda line: not line.startswith("format"))  # format first, as a reader expects
    inline_agency = rng.random() < 0.5
    if inline_agency:
        root.append(f"agency = {inline_table(data['agency'], rng)}\n")
        tables = []
    else:
        tables = [
            "[agency]\n" + "".join(f"{key(k, rng)} = {scalar(v, rng)}\n" for k, v in data["agency"].items())
        ]
    if form == "array":
        assert rows is not None
        if not rows:
            root.append(f"{name} = []{comment(rng)}\n")
        elif rng.random() < 0.4:
            root.append(f"{name} = [" + ", ".join(inline_table(r, rng) for r in rows) + "]\n")
        else:
            root.append(
                f"{name} = [{comment(rng)}\n"
                + "".join(f"    {inline_table(r, rng)},{comment(rng)}\n" for r in rows)
                + "]\n"
            )
    elif form == "blocks":
        assert rows is not None
        for row in rows:
            items = list(row.items())
            rng.shuffle(items)
            tables.append(
                f"[[{name}]]\n"
                + "".join(f"{key(k, rng)} = {scalar(v, rng)}{comment(rng)}\n" for k, v in items)
            )
        if rng.random() < 0.5 and not inline_agency:
            tables = [*tables[1:], tables[0]]  # [agency] after the rows: the blocks are not last
    return "".join(root) + "".join("\n" + t for t in tables), form


def load(raw: bytes) -> dict[str, Any]:
    return tomli.loads(raw.decode("utf-8"), parse_float=Decimal)


@PROPERTY
@given(records(), st.integers(0, 2**32), st.booleans(), st.booleans())
def test_every_valid_format2_record_takes_a_row(
    case: tuple[str, dict[str, Any], str], seed: int, cut_end: bool, crlf: bool
) -> None:
    name, data, kind = case
    text, form = spell(data, name, random.Random(seed))
    if cut_end:
        text = text.rstrip("\n")
    if crlf:
        text = text.replace("\n", "\r\n")
    raw = text.encode("utf-8")
    path = KPI_PATH if kind == "kpi" else PROJECT_PATH
    assert load(raw) == data, "the generator spells the data it drew"
    old = check_data(load(raw), text, path, CONFIG, AS_OF, "r.toml")
    assert [f for f in old.findings if f.is_error] == [], old.findings
    quarter = len(data.get(name, [])) + 1
    day = quarter_end(FY, min(quarter, 4)) + timedelta(days=3)
    if quarter > 4:
        return  # a fifth row is refused by the schema: the catalogue tests it
    if name == "results":
        written = append_result(
            raw, path, ResultInput(quarter, Decimal("12.5"), day, "ผล"), CONFIG, AS_OF, "r.toml"
        )
    else:
        values = EvaluationInput(quarter, Decimal("90"), day, Decimal(100), None, "")
        written = append_evaluation(raw, path, values, CONFIG, AS_OF, "r.toml")
    new = load(written.content)
    assert new == {**data, name: [*data.get(name, []), written.report]}, "old data plus the new row"
    result = check_data(new, written.content.decode("utf-8"), path, CONFIG, AS_OF, "r.toml")
    assert [f for f in result.findings if f.is_error] == []
    if crlf:
        assert "\n" not in written.content.decode("utf-8").replace("\r\n", ""), "a CRLF file stays CRLF"
    if form in ("absent", "blocks"):
        assert written.content.startswith(raw), "a pure append: every old byte kept"
        assert written.rewritten == ""
    else:
        assert written.rewritten and f"[[{name}]]" in written.rewritten
