"""Every rule and every structural check has a data file that triggers it (tests/data/rules).

Each file states what it must produce in header comments, hledger-style:
``# expect: SEVERITY RULE LINE FIELD`` (one per finding, and no other finding), and optionally
``# file:`` (the name to give it), ``# folder:``, ``# config:`` (a projledger.toml line) and
``# as-of:``. The checks run on a copy placed in a fresh repository.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from projledger.core.check import check_file
from projledger.core.config import load_config
from projledger.core.rules import RULES

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
    target.write_text(text, "utf-8")
    as_of = date.fromisoformat(meta["as-of"][0]) if "as-of" in meta else DEFAULT_AS_OF

    result = check_file(target, load_config(tmp_path), as_of, shown_as="r.toml")

    got = {(f.severity.value, f.rule, f.line, f.field) for f in result.findings}
    assert got == _expected(meta)
    for finding in result.findings:
        assert finding.path == "r.toml"
        assert finding.message and "\n" not in finding.message


def test_every_rule_has_a_triggering_file() -> None:
    triggered = set()
    for source in RULE_FILES:
        triggered |= {rule for _, rule, _, _ in _expected(_meta(source.read_text("utf-8")))}
    assert {rule.id for rule in RULES} <= triggered


def test_rule_ids_are_unique_and_documented() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
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
