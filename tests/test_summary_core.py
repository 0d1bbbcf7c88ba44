"""Groups and totals of the test portfolio (tests/portfolio.py), worked out by hand."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from projledger.core.config import Config
from projledger.core.errors import InputError
from projledger.core.portfolio import ProjectRow, rows
from projledger.core.summary import QuarterTotals, Totals, summarise
from projledger.core.tables import json_number, summary_csv, summary_envelope, summary_table

import portfolio

D = Decimal


@pytest.fixture
def config(tmp_path: Path) -> Config:
    portfolio.build(tmp_path)
    return Config(root=tmp_path.resolve(), records_dir=(tmp_path / "records").resolve())


@pytest.fixture
def all_rows(config: Config) -> list[ProjectRow]:
    return list(rows([], config, portfolio.AS_OF))


def test_totals_of_the_portfolio(all_rows: list[ProjectRow], config: Config) -> None:
    total = summarise(all_rows, ["agency"], config, portfolio.AS_OF).total
    assert total.projects == 10
    assert total.states == {"not_started": 2, "active": 6, "completed": 1, "cancelled": 1}
    # The completed P6 and the cancelled P7 count under their state, not under a plan status.
    assert total.plan_statuses == {"on_plan": 3, "watch": 2, "behind": 1, "none": 2}
    assert total.overdue == 1  # P4 only
    # 1,000,000 + 2,000,000 + 500,000 + 1,200,000 + 300,000 + 800,000 + 600,000 + 0 + 1,000,000 + 2,000,000
    assert total.budget == D(9_400_000)
    # 400,000 + 500,000 + 50,000 + 120,000 + 0 + 800,000 + 60,000 + 0 + 900,000 + 0
    assert total.disbursed == D(2_830_000)
    assert json_number(total.disbursement_rate) == 30.11  # 2,830,000 / 9,400,000 = 30.106 %
    # Σ budget × progress: 1M×90 + 2M×45 + 0.5M×20 + 1.2M×10 + 0.8M×100 + 0.6M×10 + 1M×95 = 383M;
    # 383,000,000 / 9,400,000 = 40.745 % (no report counts as 0 %; the zero budget weighs nothing).
    assert total.weighted_progress == D(383_000_000)
    assert json_number(total.progress) == 40.74


def test_by_agency(all_rows: list[ProjectRow], config: Config) -> None:
    summary = summarise(all_rows, ["agency"], config, portfolio.AS_OF)
    groups = {dict(g.key)["agency"]: g.totals for g in summary.groups}
    assert list(groups) == ["01000000", "18000000", "50010000", "50020000"]
    council = groups["01000000"]
    assert isinstance(council, Totals)
    # P1, P5, P8: budget 1,300,000; disbursed 400,000 (30.77 %); progress (1M×90)/1.3M = 69.23 %.
    assert (council.projects, council.budget, council.disbursed) == (3, D(1_300_000), D(400_000))
    assert (json_number(council.disbursement_rate), json_number(council.progress)) == (30.77, 69.23)
    planning = groups["18000000"]
    assert isinstance(planning, Totals)
    # P2, P6, P9: 3,800,000; 2,200,000 (57.89 %); (2M×45 + 0.8M×100 + 1M×95)/3.8M = 265/3.8 = 69.74 %.
    assert (json_number(planning.disbursement_rate), json_number(planning.progress)) == (57.89, 69.74)
    assert summary.agency_names["50010000"] == "สำนักงานเขตพระนคร"


def test_nested_groups(all_rows: list[ProjectRow], config: Config) -> None:
    summary = summarise(all_rows, ["fiscal-year", "plan-status"], config, portfolio.AS_OF)
    keys = [tuple(v for _, v in g.key) for g in summary.groups]
    # A closed project's plan status is its state: on plan, watch, behind, the closed, no report.
    assert keys == [(2565, "on_plan"), (2565, "watch"), (2565, "behind"), (2565, "completed"),
                    (2565, "cancelled"), (2565, None), (2566, None)]  # fmt: skip
    counts = [g.totals.projects for g in summary.groups]
    assert counts == [3, 2, 1, 1, 1, 1, 1]


def test_by_state_and_strategy(all_rows: list[ProjectRow], config: Config) -> None:
    by_state = summarise(all_rows, ["state"], config, portfolio.AS_OF)
    assert [dict(g.key)["state"] for g in by_state.groups] == [
        "not_started",
        "active",
        "completed",
        "cancelled",
    ]
    by_strategy = summarise(all_rows, ["strategy"], config, portfolio.AS_OF)
    assert [(dict(g.key)["strategy"], g.totals.projects) for g in by_strategy.groups] == [
        ("การบริหารจัดการเมืองมหานคร", 2), ("มหานครปลอดภัย", 2), (None, 6),
    ]  # fmt: skip


def test_by_quarter_against_the_targets(all_rows: list[ProjectRow], config: Config) -> None:
    summary = summarise(all_rows, ["quarter"], config, portfolio.AS_OF)
    quarters = {(dict(g.key)["fiscal_year"], dict(g.key)["quarter"]): g.totals for g in summary.groups}
    assert len(quarters) == 8
    q1 = quarters[(2565, 1)]
    assert isinstance(q1, QuarterTotals)
    # FY 2565 budget: 9,400,000 − P10's 2,000,000 = 7,400,000. By 2021-12-31:
    # P2 200,000 + P4 120,000 + P6 500,000 + P7 60,000 + P9 500,000 = 1,380,000 → 18.65 % of 7.4M.
    assert (q1.projects, q1.budget, q1.disbursed) == (9, D(7_400_000), D(1_380_000))
    assert (json_number(q1.disbursement_rate), q1.target, json_number(q1.gap)) == (18.65, D(32), -13.35)
    q2 = quarters[(2565, 2)]
    assert isinstance(q2, QuarterTotals)
    # By 2022-03-31, everything filed: 2,830,000 → 38.24 % against 54.
    assert (q2.disbursed, json_number(q2.disbursement_rate), json_number(q2.gap)) == (
        D(2_830_000),
        38.24,
        -15.76,
    )
    q3 = quarters[(2565, 3)]
    assert isinstance(q3, QuarterTotals)
    assert (q3.disbursed, q3.disbursement_rate, q3.target) == (None, None, D(77))


def test_quarter_targets_come_from_the_config(all_rows: list[ProjectRow], tmp_path: Path) -> None:
    config = Config(
        root=tmp_path, records_dir=tmp_path, targets_by_year={2565: (D(20), D(40), D(60), D(100))}
    )
    summary = summarise(all_rows, ["quarter"], config, portfolio.AS_OF)
    targets = [g.totals.target for g in summary.groups if isinstance(g.totals, QuarterTotals)]
    assert targets[:4] == [D(20), D(40), D(60), D(100)] and targets[4:] == [D(32), D(54), D(77), D(100)]


def test_dimension_errors(all_rows: list[ProjectRow], config: Config) -> None:
    with pytest.raises(InputError, match="last"):
        summarise(all_rows, ["quarter", "agency"], config, portfolio.AS_OF)
    with pytest.raises(InputError, match="once"):
        summarise(all_rows, ["agency", "agency"], config, portfolio.AS_OF)
    with pytest.raises(InputError, match="cannot group"):
        summarise(all_rows, ["colour"], config, portfolio.AS_OF)


def test_summary_streams_its_input(config: Config) -> None:
    summary = summarise(rows([], config, portfolio.AS_OF), ["agency"], config, portfolio.AS_OF)
    assert summary.total.projects == 10  # a generator is enough: nothing is read twice


def test_envelope_and_csv(all_rows: list[ProjectRow], config: Config) -> None:
    summary = summarise(all_rows, ["agency"], config, portfolio.AS_OF)
    envelope = summary_envelope(summary)
    assert envelope["by"] == ["agency"] and envelope["as_of"] == "2022-03-31"
    assert envelope["groups"][0]["key"] == {"agency": "01000000"}
    assert envelope["total"]["budget"] == 9400000 and envelope["total"]["progress"] == 40.74
    lines = summary_csv(summary).splitlines()
    assert lines[0].startswith("row,agency,projects,not_started,active,completed,cancelled,on_plan")
    assert lines[-1].startswith("total,,10,2,6,1,1,3,2,1,2,1,9400000.00,2830000.00,30.11,40.74")


def test_table_lines_up(all_rows: list[ProjectRow], config: Config) -> None:
    from wcwidth import wcswidth

    for by in (["agency"], ["fiscal-year", "state"], ["agency", "quarter"]):
        text = summary_table(summarise(all_rows, by, config, portfolio.AS_OF), "th", "table", 120)
        assert len({wcswidth(line) for line in text.splitlines()}) == 1, by


def test_a_kept_summary_row_is_plain_columns_read_back_exactly(all_rows: list[ProjectRow]) -> None:
    """What the index keeps of a summary row is a tuple of plain columns (texts, numbers, None:
    what SQLite holds, its amounts as exact text) and loads back with the same exact amounts."""
    from projledger.core.summary import (
        SummaryRow,
        summary_row_columns,
        summary_row_from_columns,
        summary_row_kept,
    )

    for row in all_rows:
        made = summary_row_kept(row._replace(budget=Decimal("1234567.05"), progress=None))
        columns = summary_row_columns(made)
        assert columns is not None and all(v is None or type(v) in (str, int) for v in columns)
        back = summary_row_from_columns(columns)
        assert back == SummaryRow._make(made) and tuple(back) == made
        assert str(back.budget) == "1234567.05"


@pytest.mark.parametrize(
    "by",
    [["agency"], ["fiscal-year"], ["agency", "fiscal-year"], ["state", "strategy"], ["plan-status"], ["quarter"],
     ["agency", "quarter"]],
)  # fmt: skip
def test_the_total_counts_each_row_once_whatever_the_groups(
    all_rows: list[ProjectRow], config: Config, by
) -> None:
    """The total of a summary by groups is made of its groups' totals (each row is in one) and
    of the KPIs counted once: it equals every row added to one accumulator, whatever the
    grouping, the order of the rows, and with a filter keeping some."""
    from projledger.core.summary import Totals

    def by_hand(kept: list[ProjectRow]) -> dict[str, object]:
        total = Totals()
        for row in kept:
            total.add(row)
        return vars(total)

    assert vars(summarise(all_rows, by, config, portfolio.AS_OF).total) == by_hand(all_rows)
    backwards = summarise(reversed(all_rows), by, config, portfolio.AS_OF).total
    assert vars(backwards) == by_hand(all_rows)
    active = summarise(all_rows, by, config, portfolio.AS_OF, keep=lambda row: row.state == "active").total
    assert vars(active) == by_hand([row for row in all_rows if row.state == "active"])
    assert active.projects == 6
