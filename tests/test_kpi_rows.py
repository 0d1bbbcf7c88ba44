"""The row of a KPI as of a day (``portfolio.KpiRow``), from the facts the index keeps: figures
computed by hand for a small repository of the format-2 examples and two KPIs of our own (one
where less is better, one without results); the same rows with and without the index."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from projledger.core.config import load_config
from projledger.core.index import Index
from projledger.core.portfolio import KpiRow, kpi_rows, rows

from conftest import DATA

FORMAT2 = DATA / "format2"
AS_OF = date(2022, 10, 31)

WASTE = """\
format = 2
kind = "kpi"
code = "5026-2002"
number = "2.3"
name = "ปริมาณขยะมูลฝอยที่เก็บขนได้"
fiscal_year = 2565
category = "strategic"
level = "outcome"
unit = "ตันต่อวัน"
target = 2000
direction = "lower"

[agency]
department = "สำนักงานเลขานุการสภากรุงเทพมหานคร"

[[results]]
quarter = 1
value = 2500
date = 2022-01-20

[[results]]
quarter = 2
value = 1900
date = 2022-04-20

[[evaluations]]
quarter = 1
score = 80
date = 2022-01-31

[[evaluations]]
quarter = 2
score = 45
full_score = 50
date = 2022-04-30
"""

EMPTY = """\
format = 2
kind = "kpi"
code = "5026-2003"
name = "จำนวนครั้งของการประชุมสภา"
fiscal_year = 2565
unit = "ครั้ง/ปี"
target = 24

[agency]
department = "สำนักงานเลขานุการสภากรุงเทพมหานคร"
"""


def make_kpi_repo(root: Path) -> Path:
    """The format-2 examples (a project and KPI 5026-2001) with KPIs 5026-2002 and 5026-2003."""
    year = root / "records" / "2565"
    (year / "kpi").mkdir(parents=True)
    shutil.copy(FORMAT2 / "01000000-2475.toml", year / "01000000-2475.toml")
    shutil.copy(FORMAT2 / "kpi" / "5026-2001.toml", year / "kpi" / "5026-2001.toml")
    (year / "kpi" / "5026-2002.toml").write_text(WASTE, encoding="utf-8")
    (year / "kpi" / "5026-2003.toml").write_text(EMPTY, encoding="utf-8")
    return root


@pytest.fixture
def kpi_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(make_kpi_repo(tmp_path))
    return tmp_path


def _by_code(found: list[KpiRow]) -> dict[str, KpiRow]:
    return {row.code: row for row in found}


def test_kpi_rows_hold_the_figures_computed_by_hand(kpi_repo: Path) -> None:
    config = load_config(kpi_repo)
    found = _by_code(kpi_rows([], config, AS_OF))
    assert sorted(found) == ["5026-2001", "5026-2002", "5026-2003"]
    spend = found["5026-2001"]
    assert (spend.latest_quarter, spend.latest_value, spend.percent_of_target, spend.met) == (
        2, Decimal("45.5"), Decimal("45.5"), False,
    )  # fmt: skip
    assert (spend.latest_score, spend.latest_full_score) == (Decimal(100), Decimal(100))
    assert (spend.number, spend.unit, spend.target, spend.agency_code) == (
        "5.1",
        "ร้อยละ",
        Decimal(100),
        "5026",
    )
    waste = found["5026-2002"]
    # less is better: 2000 / 1900 x 100 = 105.263...; 1900 <= 2000 meets it
    assert waste.latest_value == Decimal(1900) and waste.met is True
    assert round(waste.percent_of_target, 6) == Decimal("105.263158")
    assert (waste.latest_score, waste.latest_full_score) == (Decimal(45), Decimal(50))
    assert waste.values_by_quarter == (Decimal(2500), Decimal(1900), None, None)
    empty = found["5026-2003"]
    assert (empty.latest_quarter, empty.latest_value, empty.percent_of_target, empty.met) == (None,) * 4
    assert (empty.latest_score, empty.direction, empty.category) == (None, "higher", "routine")


def test_a_kpi_row_counts_what_was_known_on_its_day(kpi_repo: Path) -> None:
    config = load_config(kpi_repo)
    waste = _by_code(kpi_rows([], config, date(2022, 2, 15), checked_on=AS_OF))["5026-2002"]
    # only quarter 1 by then: 2500 > 2000 misses it, 2000 / 2500 = 80 %; evaluation 80 / 100
    assert (waste.latest_quarter, waste.percent_of_target, waste.met) == (1, Decimal(80), False)
    assert (waste.latest_score, waste.latest_full_score) == (Decimal(80), Decimal(100))
    before = _by_code(kpi_rows([], config, date(2021, 12, 1), checked_on=AS_OF))["5026-2002"]
    assert (before.latest_quarter, before.met, before.latest_score) == (None, None, None)


def test_project_rows_and_kpi_rows_come_from_one_run(kpi_repo: Path) -> None:
    config = load_config(kpi_repo)
    kpis: list[KpiRow] = []
    projects = list(rows([], config, AS_OF, kpis=kpis))
    assert [p.code for p in projects] == ["01000000-2475"]
    assert sorted(k.code for k in kpis) == ["5026-2001", "5026-2002", "5026-2003"]
    project = projects[0]
    # revised to 3,200,000.00 on 2022-03-15; latest evaluation quarter 2: 95.5 of 100
    assert project.budget_in_force == Decimal("3200000.00")
    assert (project.latest_score, project.latest_full_score) == (Decimal("95.5000"), Decimal(100))
    early = next(iter(rows([], config, date(2022, 2, 1), checked_on=AS_OF)))
    assert early.budget_in_force == Decimal("3540000.00") and early.latest_score == Decimal("100.0000")


def test_kpi_rows_are_equal_with_and_without_the_index(
    kpi_repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(kpi_repo)
    cold = kpi_rows([], config, AS_OF)
    assert Index.open(config) is not None
    warm = kpi_rows([], config, AS_OF)  # from the facts the index kept
    again: list[KpiRow] = []
    list(rows([], config, AS_OF, kpis=again))
    monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")
    without = kpi_rows([], config, AS_OF)
    assert cold == warm == again == without and len(cold) == 3


def test_an_unchanged_kpi_row_is_kept_and_a_changed_one_made_again(
    kpi_repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import projledger.core.portfolio as portfolio

    config = load_config(kpi_repo)
    cold = kpi_rows([], config, AS_OF)
    made: list[str] = []
    real_build, real_facts = portfolio.build_kpi_row, Index.facts

    def counted_build(kpi, path, as_of):  # type: ignore[no-untyped-def]
        made.append(kpi.code)
        return real_build(kpi, path, as_of)

    def no_facts(self, path):  # type: ignore[no-untyped-def]
        assert "/kpi/" not in path.replace("\\", "/"), "an unchanged KPI's facts were read"
        return real_facts(self, path)

    monkeypatch.setattr(portfolio, "build_kpi_row", counted_build)
    monkeypatch.setattr(Index, "facts", no_facts)
    assert kpi_rows([], config, AS_OF) == cold and made == []  # every KPI's row as it was kept
    waste = kpi_repo / "records" / "2565" / "kpi" / "5026-2002.toml"
    waste.write_text(WASTE.replace("value = 1900", "value = 2100"), encoding="utf-8")
    changed = _by_code(kpi_rows([], config, AS_OF))
    assert made == ["5026-2002"] and changed["5026-2002"].met is False  # made again from its file
    assert {code: row for code, row in changed.items() if code != "5026-2002"} == {
        code: row for code, row in _by_code(cold).items() if code != "5026-2002"
    }
    made.clear()
    monkeypatch.setattr(Index, "facts", real_facts)  # a row of another day is made from the facts
    early = _by_code(kpi_rows([], config, date(2022, 2, 15), checked_on=AS_OF))  # another day
    assert sorted(made) == ["5026-2001", "5026-2002", "5026-2003"]
    monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")
    assert _by_code(kpi_rows([], config, date(2022, 2, 15), checked_on=AS_OF)) == early
    assert _by_code(kpi_rows([], config, AS_OF)) == changed
