"""Every rule and every structural check has a data file that triggers it (tests/data/rules).

Each file states what it must produce in header comments, hledger-style:
``# expect: SEVERITY RULE LINE FIELD`` (one per finding, and no other finding), and optionally
``# file:`` (the name to give it), ``# folder:``, ``# config:`` (a projledger.toml line) and
``# as-of:``. The checks run on a copy placed in a fresh repository.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from projledger.core.check import check_file
from projledger.core.config import load_config
from projledger.core.kinds import KINDS, RecordKind

from conftest import DATA

RULE_FILES = sorted((DATA / "rules").glob("*.toml"))
DEFAULT_AS_OF = date(2024, 10, 1)


def _meta(text: str) -> dict[str, list[str]]:
    meta: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.startswith("# ") or ":" not in line:
            break
        key, value = line[2:].split(":", 1)
        meta.setdefault(key.strip(), []).append(value.strip())
    return meta


def _expected(meta: dict[str, list[str]]) -> set[tuple[str, str, int, str]]:
    found = set()
    for entry in meta.get("expect", []):
        severity, rule, line, *field = entry.split()
        found.add((severity, rule, int(line), field[0] if field else ""))
    return found


@pytest.mark.parametrize("source", RULE_FILES, ids=lambda p: p.stem)
def test_rule_file_gives_exactly_its_findings(source: Path, tmp_path: Path) -> None:
    text = source.read_text("utf-8")
    meta = _meta(text)
    if "config" in meta:
        (tmp_path / "projledger.toml").write_text("\n".join(meta["config"]) + "\n", "utf-8")
    folder = tmp_path / "records" / meta.get("folder", ["2567"])[0]
    folder.mkdir(parents=True)
    target = (
        folder
        / meta.get(
            "file",
            ["50100000-0001.toml" if source.stem != "code-pattern" else "50200000-0001.toml"],
        )[0]
    )
    if source.stem == "pattern":
        target = folder / "5010-0001.toml"
    target.parent.mkdir(parents=True, exist_ok=True)  # a KPI's ``# file: kpi/<code>.toml``
    target.write_text(text, "utf-8")
    as_of = date.fromisoformat(meta["as-of"][0]) if "as-of" in meta else DEFAULT_AS_OF

    result = check_file(target, load_config(tmp_path), as_of, shown_as="r.toml")

    got = {(f.severity.value, f.rule, f.line, f.field) for f in result.findings}
    assert got == _expected(meta)
    for finding in result.findings:
        assert finding.path == "r.toml"
        assert finding.message and "\n" not in finding.message


def test_every_rule_has_a_triggering_file() -> None:
    """Of every kind: a rule of format 2 projects and of KPIs has its file as format 1's have."""
    triggered = set()
    for source in RULE_FILES:
        triggered |= {rule for _, rule, _, _ in _expected(_meta(source.read_text("utf-8")))}
    assert {rule.id for kind in KINDS.values() for rule in kind.rules} <= triggered


@pytest.mark.parametrize("kind", KINDS.values(), ids=lambda k: f"{k.format}-{k.name}")
def test_rule_ids_are_unique_and_documented(kind: RecordKind) -> None:
    ids = [rule.id for rule in kind.rules]
    assert len(ids) == len(set(ids))
    for rule in kind.rules:
        assert rule.summary, f"{rule.id} needs a docstring: it is the rule's documentation"


def test_report_month_window_is_the_month_and_its_grace_days() -> None:
    """The month arithmetic of report-month says what the date window says, day by day."""
    from datetime import timedelta

    from projledger.core.calendar import add_months
    from projledger.core.rules import GRACE_DAYS, _in_report_month

    for start in (date(2021, 1, 31), date(2021, 10, 1), date(2023, 12, 15), date(2024, 2, 29)):
        for no in (1, 2, 3, 12, 13, 26):
            year, month = add_months(start.year, start.month, no - 1)
            first = date(year, month, 1)
            next_year, next_month = add_months(year, month, 1)
            last = date(next_year, next_month, 1) + timedelta(days=GRACE_DAYS - 1)
            expected_month = start.year * 12 + start.month - 1 + no - 1
            day = first - timedelta(days=40)
            while day <= last + timedelta(days=40):
                assert _in_report_month(day, expected_month) == (first <= day <= last), (start, no, day)
                day += timedelta(days=1)


# --- every date a message suggests is itself accepted (issue 17, point 14) ---------------------

#: FY 2567 runs 2023-10-01 to 2024-09-30; two reports; checked as of 2024-10-01: no finding.
BASE = {
    "start": "2023-10-01",
    "end": "2024-09-30",
    "reports[1].date": "2023-10-25",
    "reports[2].date": "2023-11-25",
}
ADVICE_RECORD = """\
format = 1
code = "50100000-0001"
name = "โครงการปรับปรุงทางเท้า"
fiscal_year = 2567
start = {start}
end = {end}
budget = 120000.00

[agency]
department = "สำนักงานเขตพระนคร"

[[reports]]
no = 1
date = {reports[1].date}
progress = 10.0
disbursed = 10000.00
plan_status = "on_plan"
target_status = "on_target"
note = "ดำเนินการตามแผน"

[[reports]]
no = 2
date = {reports[2].date}
progress = 20.0
disbursed = 20000.00
plan_status = "on_plan"
target_status = "on_target"
note = "ดำเนินการตามแผน"
"""
#: A date a message suggests: after "write", "like", "from" or "to" (ISO, as TOML takes it).
SUGGESTED = re.compile(r"\b(?:write|like|from|to) ([0-9]{4}-[0-9]{2}-[0-9]{2})\b")


def _advice_check(tmp_path: Path, values: dict[str, str]) -> list[tuple[str, str, str]]:
    text = ADVICE_RECORD
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    folder = tmp_path / "records" / "2567"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "50100000-0001.toml"
    target.write_text(text, "utf-8")
    result = check_file(target, load_config(tmp_path), DEFAULT_AS_OF)
    return [(f.rule, f.field, f.message) for f in result.findings if f.is_error]


@pytest.mark.parametrize(
    ("field", "bad", "rule"),
    [
        ("start", "1857-10-01", "fiscal-year-range"),  # the example
        ("start", "2030-01-01", "fiscal-year-range"),
        ("end", "2040-01-01", "fiscal-year-range"),
        ("start", "2566-10-01", "be-year"),  # BE typed as Gregorian: the same day
        ("start", "2400-10-01", "be-year"),  # ... whose Gregorian day (1857) is out of range
        ("end", "2567-09-30", "be-year"),
        ("end", "9999-12-31", "be-year"),  # 9456 would still be a BE year
        ("reports[1].date", "2566-10-25", "be-year"),
        ("reports[1].date", "2564-02-29", "be-year"),  # 2021 has no 29 February
        ("reports[2].date", "2570-01-01", "be-year"),  # 2027 would be after the day of the check
        ("start", '"01/10/2566"', "date-type"),  # a quoted BE date
        ("start", '"01/10/2400"', "date-type"),  # ... far from the fiscal year: an example instead
        ("end", "2024-09-30T00:00:00", "date-type"),
        ("end", "20240930", "date-type"),
        ("reports[1].date", '"2566-10-25"', "date-type"),
    ],
)
def test_every_suggested_date_is_accepted(tmp_path: Path, field: str, bad: str, rule: str) -> None:
    assert _advice_check(tmp_path / "base", BASE) == []
    errors = _advice_check(tmp_path / "bad", {**BASE, field: bad})
    said = [message for got_rule, got_field, message in errors if (got_rule, got_field) == (rule, field)]
    assert len(said) == 1, errors
    suggested = SUGGESTED.findall(said[0])
    assert suggested, said[0]
    for number, day in enumerate(suggested):
        fixed = _advice_check(tmp_path / f"fix{number}", {**BASE, field: day})
        assert fixed == [], (said[0], day, fixed)


def test_a_start_with_a_be_year_is_said_once_by_be_year(tmp_path: Path) -> None:
    """start = 2566-10-01 also gave start-after-end, 'the project starts (01/10/3109) after it
    ends (30/09/2567)': a day 543 years off, and the same typo said twice."""
    errors = _advice_check(tmp_path, {**BASE, "start": "2566-10-01"})
    assert [(rule, field) for rule, field, _message in errors] == [("be-year", "start")]


def test_the_shipped_record_and_the_test_portfolio_are_in_range(tmp_path: Path) -> None:
    from conftest import SHIPPED
    from portfolio import AS_OF, build

    config = load_config(tmp_path)
    for path in [SHIPPED, *build(tmp_path)]:
        result = check_file(path, config, AS_OF if path != SHIPPED else date(2023, 6, 1))
        assert "fiscal-year-range" not in {f.rule for f in result.findings}, path
        assert result.ok, [f.one_line() for f in result.findings]
