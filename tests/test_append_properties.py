"""Properties of the append over generated records: every record validate accepts takes a report.

Records are generated as valid data (no report yet, or a few), then spelled the many ways TOML
allows and people and tools write: ``reports`` absent, ``reports = []``, an array of inline
tables (one line or many, comments inside, a trailing comma), ``[[reports]]`` blocks (quoted
keys, before or after ``[agency]``); ``agency`` as a table, an inline table or dotted keys;
basic and literal strings; comment lines and comments after values; shuffled key orders; a
last line without its line end; CRLF; and tomli-w's own output. The core writer appends one
report to each. The result validates, reads as the old data plus the new report, and where the
reports were ``[[reports]]`` blocks (or absent) the old bytes are a prefix of the new ones;
where they were one array value, the new text is the old one with just that assignment taken
out (its comments kept) and the reports written as blocks at the end.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import tomli
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projledger.core.check import check_data
from projledger.core.config import Config
from projledger.core.writing import ReportInput, append_report

pytestmark = pytest.mark.fuzz

LONG = os.environ.get("PROJLEDGER_FUZZ") == "long"
PROPERTY = settings(
    max_examples=3000 if LONG else 120,
    deadline=None,
    derandomize=not LONG,  # the short run is the same every time: CI stays deterministic
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
ROOT = Path("/repo")
PATH = ROOT / "records" / "2568" / "50100000-0001.toml"
CONFIG = Config(root=ROOT, records_dir=ROOT / "records")
AS_OF = date(2026, 1, 1)
START = date(2024, 10, 1)

#: Notes where a spelling most easily goes wrong: quotes, a header or a comment inside text...
TRICKY = [
    "งานเดิน",
    'say "hi"',
    "it's",
    "a\nb",
    "[[reports]]",
    "reports = []",
    "# no comment",
    "\\",
    "ำ",
    "x]",
]
note = st.sampled_from(TRICKY) | st.text(
    st.sampled_from("กขคำ่้๐๑ ab#[]=\"'{},\\\n"), min_size=1, max_size=16
).filter(lambda s: s.strip() != "" and s == s.strip())


@st.composite
def record_data(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {
        "format": 1,
        "code": "50100000-0001",
        "name": draw(note),
        "fiscal_year": 2568,
        "start": START,
        "end": date(2025, 9, 30),
        "budget": Decimal("1250000.00"),
        "agency": {"department": draw(note)},
    }
    if draw(st.booleans()):
        data["agency"]["owner"] = draw(note)
    count = draw(st.integers(0, 4))
    reports = []
    progress = Decimal(0)
    for number in range(1, count + 1):
        progress += Decimal(draw(st.integers(0, 20)))
        reports.append(
            {
                "no": number,
                "date": START + timedelta(days=24 + 30 * (number - 1)),
                "progress": progress.quantize(Decimal("0.1")),
                "disbursed": Decimal(1000 * number).quantize(Decimal("0.01")),
                "plan_status": draw(st.sampled_from(["on_plan", "watch", "behind"])),
                "target_status": "on_target",
                "note": draw(note),
            }
        )
    if reports or draw(st.booleans()):
        data["reports"] = reports
    return data


def scalar(value: Any, rng: random.Random) -> str:
    """One value spelled as TOML: strings basic or, where they can be, literal."""
    if isinstance(value, str) and rng.random() < 0.4 and "'" not in value and "\n" not in value:
        return f"'{value}'"
    return tomli_w.dumps({"k": value}).split(" = ", 1)[1].rstrip("\n")


def key(name: str, rng: random.Random) -> str:
    return f'"{name}"' if rng.random() < 0.15 else name


def comment(rng: random.Random, seen: list[str] | None = None) -> str:
    if rng.random() >= 0.25:
        return ""
    text = "# " + rng.choice(["ตรวจแล้ว", "note", "x = 1", "[[reports]]", '"quoted"'])
    if seen is not None:
        seen.append(text)
    return "  " + text


def inline_table(table: dict[str, Any], rng: random.Random) -> str:
    items = list(table.items())
    rng.shuffle(items)
    return "{ " + ", ".join(f"{key(k, rng)} = {scalar(v, rng)}" for k, v in items) + " }"


@dataclass
class Spelled:
    text: str
    form: str  # "absent", "blocks", "array", "tomli-w"
    assignment: str = ""  # the ``reports = [...]`` text when form is "array"
    comments: tuple[str, ...] = ()  # the comments inside it, in order


def spell(data: dict[str, Any], rng: random.Random) -> Spelled:
    """``data`` written one of the many ways TOML allows."""
    reports = data.get("reports")
    if rng.random() < 0.15:  # tomli-w's own output: an inline array of small reports, or blocks
        text = tomli_w.dumps(data, multiline_strings=rng.random() < 0.5)
        if reports is None:
            return Spelled(text, "absent")
        return Spelled(text, "blocks" if "\n[[reports]]\n" in text else "array")
    form = "absent" if reports is None else rng.choice(["blocks", "array"]) if reports else "array"
    root: list[str] = []
    for name in ("format", "code", "name", "fiscal_year", "start", "end", "budget"):
        root.append(f"{key(name, rng)} = {scalar(data[name], rng)}{comment(rng)}\n")
    agency_style = rng.choice(["table", "inline", "dotted"])
    if agency_style == "inline":
        root.append(f"agency = {inline_table(data['agency'], rng)}{comment(rng)}\n")
    elif agency_style == "dotted":
        root.extend(f"agency.{key(k, rng)} = {scalar(v, rng)}\n" for k, v in data["agency"].items())
    assignment = ""
    inside: list[str] = []
    if form == "array":
        assert reports is not None
        if not reports:
            assignment = f"reports = []{comment(rng, inside)}\n"
        elif rng.random() < 0.3:
            assignment = "reports = [" + ", ".join(inline_table(r, rng) for r in reports) + "]\n"
        else:
            lines = ["reports = [" + comment(rng, inside) + "\n"]
            for number, report in enumerate(reports):
                if rng.random() < 0.3:
                    inside.append("# a month")
                    lines.append("    # a month\n")
                last = number == len(reports) - 1 and rng.random() < 0.5
                lines.append(f"    {inline_table(report, rng)}{'' if last else ','}{comment(rng, inside)}\n")
            lines.append("]\n")
            assignment = "".join(lines)
        root.append(assignment)
    rng.shuffle(root)
    if rng.random() < 0.3:
        root.insert(rng.randrange(len(root) + 1), "# ผู้ตรวจ: อ่านแล้ว\n")
    tables: list[str] = []
    if agency_style == "table":
        items = list(data["agency"].items())
        rng.shuffle(items)
        tables.append("[agency]\n" + "".join(f"{key(k, rng)} = {scalar(v, rng)}\n" for k, v in items))
    if form == "blocks":
        assert reports is not None
        for report in reports:
            items = list(report.items())
            rng.shuffle(items)
            tables.append(
                "[[reports]]\n"
                + "".join(f"{key(k, rng)} = {scalar(v, rng)}{comment(rng)}\n" for k, v in items)
            )
        if rng.random() < 0.5 and agency_style == "table":
            tables = [*tables[1:], tables[0]]  # [agency] after the reports: the blocks are not last
    text = "".join(root) + "".join("\n" + t for t in tables)
    return Spelled(text, form, assignment, tuple(inside))


@st.composite
def record_files(draw: st.DrawFn) -> tuple[dict[str, Any], Spelled, bytes]:
    data = draw(record_data())
    rng = random.Random(draw(st.integers(0, 2**32)))
    spelled = spell(data, rng)
    text = spelled.text
    if draw(st.booleans()):
        text = text.rstrip("\n")  # a last line without its line end
    if draw(st.booleans()):
        text = text.replace("\n", "\r\n")
    return data, Spelled(text, spelled.form, spelled.assignment, spelled.comments), text.encode("utf-8")


def load(raw: bytes) -> dict[str, Any]:
    return tomli.loads(raw.decode("utf-8"), parse_float=Decimal)


@PROPERTY
@given(record_files())
def test_every_valid_record_takes_a_report(case: tuple[dict[str, Any], Spelled, bytes]) -> None:
    data, spelled, raw = case
    assert load(raw) == data, "the generator spells the data it drew"
    old = check_data(load(raw), raw.decode("utf-8"), PATH, CONFIG, AS_OF, "r.toml")
    assert [f for f in old.findings if f.is_error] == [], "the generated record passes validate"
    previous = data.get("reports", [])
    day = START + timedelta(days=24 + 30 * len(previous))
    values = ReportInput(date=day, progress=Decimal("99"), note="งานเดือนนี้")
    written = append_report(raw, PATH, values, CONFIG, AS_OF, "r.toml")
    new = load(written.content)
    assert new == {**data, "reports": [*previous, written.report]}, "old data plus the new report"
    result = check_data(new, written.content.decode("utf-8"), PATH, CONFIG, AS_OF, "r.toml")
    assert [f for f in result.findings if f.is_error] == []
    text = raw.decode("utf-8")
    crlf = "\r\n" in text
    end = "\r\n" if crlf else "\n"
    tail = written.content.decode("utf-8")
    if crlf:
        assert "\n" not in tail.replace("\r\n", ""), "a CRLF file stays CRLF"
    if spelled.form in ("absent", "blocks"):
        assert written.content.startswith(raw), "a pure append: every old byte kept"
        assert written.rewritten == ""
        return
    assert written.rewritten, "the command says the reports were rewritten"
    if not spelled.assignment:  # tomli-w's array: what stood before it is kept
        assert tail.startswith(text[: text.index("reports = [")])
        return
    body = text if text.endswith("\n") else text + end
    assignment = spelled.assignment.replace("\n", end)
    if assignment not in body:  # the last line's end was cut, then added back
        assignment = assignment.removesuffix(end)
    start = body.index(assignment)
    before, after = body[:start], body[start + len(assignment) :]
    assert tail.startswith(before), "what stood before the reports is as it was"
    rest = tail[len(before) :]
    for each in spelled.comments:  # their comments stay where they stood, each on its own line
        line = each + end
        assert rest.startswith(line), (rest[:80], line)
        rest = rest[len(line) :]
    if after and not after.endswith("\n"):
        after += end
    assert rest.startswith(after), "what stood after the reports is as it was"
    assert rest[len(after) :].lstrip("\r\n").startswith("[[reports]]")
