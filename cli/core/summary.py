"""A portfolio summed up: groups of project rows (nested when several dimensions), and totals.

Summing streams: each row is added to its group's running totals and dropped, so a summary of
any number of records holds one accumulator per group.

Per group: projects, counts by state and by computed plan status (``none`` when no report has
been filed yet; a completed or cancelled project is not judged against its plan and counts
under its state only), projects with overdue reports, budget and disbursed totals, disbursement % of
the budget, and the budget-weighted mean progress (a project with no report counts as 0 %
progress; a zero budget weighs nothing). ``quarter`` is a different kind of grouping: each
fiscal quarter of each fiscal year gets the portfolio's cumulative disbursement at the quarter's
end (from the reports dated up to that day) against the config's target for that quarter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import Any, NamedTuple

from .calendar import quarter_end
from .config import Config
from .errors import InputError
from .labels import DIMENSIONS, PLAN_STATUSES, STATES, dimensions_problem
from .money import ratio_percent
from .portfolio import KpiRow, Presenter, ProjectRow, join_department, kpi_agency
from .status import CLOSED_STATES

#: The English key each dimension has in the JSON and CSV: its name with "_" for "-".
KEYS = {dim: dim.replace("-", "_") for dim in DIMENSIONS}
PLAN_KEYS = (*PLAN_STATUSES, "none")
#: How groups by plan status are ordered: a closed project's "plan status" is its state.
_PLAN_ORDER = (*PLAN_STATUSES, *CLOSED_STATES)

Key = tuple[tuple[str, Any], ...]


class SummaryRow(NamedTuple):
    """What a summary reads of one project's row (and what its filters read), and nothing more:
    what the rows cache keeps for ``summary``, loaded in a third of the time of the row."""

    agency_code: str
    department: str
    fiscal_year: int
    strategy_issue: str
    state: str
    computed_plan_status: str | None
    overdue: int
    budget: Decimal
    disbursed: Decimal
    progress: Decimal | None
    disbursed_by_quarter: tuple[Decimal | None, ...]
    #: The latest evaluation as % of its full score (None: not evaluated).
    score_percent: Decimal | None = None
    #: The budget in force at each quarter's end; None where it is ``budget`` throughout.
    budget_by_quarter: tuple[Decimal, ...] | None = None


def summary_row_kept(row: ProjectRow) -> tuple[Any, ...]:
    """A row's ``SummaryRow``, as a plain tuple to keep (``SummaryRow._make`` loads it)."""
    quarters = row.budget_by_quarter
    return (row.agency_code, row.department, row.fiscal_year, row.strategy_issue, row.state,
            row.computed_plan_status, row.overdue, row.budget, row.disbursed, row.progress,
            row.disbursed_by_quarter, row.score_percent,
            None if all(b == row.budget for b in quarters) else quarters)  # fmt: skip


def exact_or_none(value: Any) -> Decimal | None:
    """A number kept as text (or a value) made exact again; None stays None."""
    return None if value is None else Decimal(value)


def summary_row_columns(values: Sequence[Any]) -> tuple[Any, ...] | None:
    """A kept summary row as the index's columns: its amounts as their exact text, the four
    quarters' in four columns (a row of other than four quarters is not kept)."""
    *head, budget, disbursed, progress, quarters, score, budgets = values
    if len(quarters) != 4:
        return None
    return (*head, str(budget), str(disbursed), text_or_none(progress), *map(text_or_none, quarters), text_or_none(score),
            None if budgets is None else " ".join(map(str, budgets)))  # fmt: skip


def text_or_none(value: Decimal | None) -> str | None:
    """A number as the exact text it is kept as; None stays None."""
    return None if value is None else str(value)


_NO_QUARTERS = (None, None, None, None)
_ZERO = Decimal(0)


def summary_row_from_columns(values: Sequence[Any]) -> SummaryRow:
    """A summary row from the columns ``summary_row_columns`` kept (the quarters, not read but
    by ``--by quarter``, made numbers only when there are some: 10,000 rows in two thirds of the time)."""
    progress, score, budgets, quarters = values[9], values[14], values[15], values[10:14]
    return SummaryRow._make((*values[:7], Decimal(values[7]), Decimal(values[8]),
                             None if progress is None else Decimal(progress),
                             _NO_QUARTERS if quarters == _NO_QUARTERS else tuple(map(exact_or_none, quarters)),
                             None if score is None else Decimal(score),
                             None if budgets is None else tuple(map(Decimal, budgets.split()))))  # fmt: skip


def _summary_row(values: Any) -> SummaryRow:
    return values if type(values) is SummaryRow else SummaryRow._make(values)


def summary_columns(by: Iterable[str]) -> frozenset[int]:
    """The kept columns a summary grouped ``by`` reads (its filters read only those always
    read): the strategy only to group by it, the quarters only for ``quarter``."""
    wanted = {0, 1, 2, 4, 5, 6, 7, 8, 9, 14}
    if "strategy" in by:
        wanted.add(3)
    if "quarter" in by:
        wanted.update(range(10, 14))
        wanted.add(15)
    return frozenset(wanted)


#: What ``summary`` keeps of each row (see ``portfolio.Presenter``).
SUMMARY_ROWS = Presenter("summary", summary_row_kept, _summary_row, summary_row_columns,
                         summary_row_from_columns, 16)  # fmt: skip


@dataclass
class Totals:
    """Running totals of a group of projects as of the summary's date."""

    projects: int = 0
    states: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATES, 0))
    plan_statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PLAN_KEYS, 0))
    overdue: int = 0
    budget: Decimal = Decimal(0)
    disbursed: Decimal = Decimal(0)
    weighted_progress: Decimal = Decimal(0)
    kpis: int = 0
    kpis_met: int = 0
    kpis_not_met: int = 0
    project_scores: int = 0
    project_score_sum: Decimal = Decimal(0)
    kpi_scores: int = 0
    kpi_score_sum: Decimal = Decimal(0)

    def add(self, row: ProjectRow | SummaryRow) -> None:
        score = row.score_percent
        if score is not None:
            self.project_scores += 1
            self.project_score_sum += score
        self.projects += 1
        state, budget = row.state, row.budget
        self.states[state] += 1
        if state not in CLOSED_STATES:  # a closed project counts under its state only
            self.plan_statuses[row.computed_plan_status or "none"] += 1
        if row.overdue > 0:
            self.overdue += 1
        self.budget += budget
        self.disbursed += row.disbursed
        self.weighted_progress += budget * (row.progress or _ZERO)

    def merge(self, other: Totals) -> None:
        """Count ``other``'s projects too (their sums are exact: in any order, the same)."""
        for name, value in vars(other).items():
            if isinstance(value, dict):
                mine = getattr(self, name)
                for key, count in value.items():
                    mine[key] += count
            else:
                setattr(self, name, getattr(self, name) + value)

    def add_kpi(self, row: KpiRow) -> None:
        """Count a KPI: met, not met (one without a result is neither), and its latest score."""
        self.kpis += 1
        self.kpis_met += row.met is True
        self.kpis_not_met += row.met is False
        score = row.score_percent
        if score is not None:
            self.kpi_scores += 1
            self.kpi_score_sum += score

    @property
    def project_score_mean(self) -> Decimal | None:
        """The mean of each evaluated project's latest score as % of its full score."""
        return self.project_score_sum / self.project_scores if self.project_scores else None

    @property
    def kpi_score_mean(self) -> Decimal | None:
        """The mean of each evaluated KPI's latest score as % of its full score."""
        return self.kpi_score_sum / self.kpi_scores if self.kpi_scores else None

    @property
    def disbursement_rate(self) -> Decimal | None:
        return ratio_percent(self.disbursed, self.budget)

    @property
    def progress(self) -> Decimal | None:
        """Budget-weighted mean progress; None when the group has no budget at all."""
        return None if self.budget == 0 else self.weighted_progress / self.budget


@dataclass
class QuarterTotals:
    """The group's cumulative disbursement at one fiscal quarter's end, against the target."""

    fiscal_year: int
    quarter: int
    end: date
    target: Decimal
    reached: bool
    projects: int = 0
    budget: Decimal = Decimal(0)
    disbursed_sum: Decimal = Decimal(0)

    def add(self, row: ProjectRow | SummaryRow) -> None:
        self.projects += 1
        budgets = row.budget_by_quarter
        # the budget in force at the quarter's end (a revision moves it), as status judges a day
        self.budget += budgets[self.quarter - 1] if budgets else row.budget
        amount = row.disbursed_by_quarter[self.quarter - 1]
        if amount is not None:
            self.disbursed_sum += amount

    @property
    def disbursed(self) -> Decimal | None:
        """None for a quarter that had not ended on the summary's date."""
        return self.disbursed_sum if self.reached else None

    @property
    def disbursement_rate(self) -> Decimal | None:
        return ratio_percent(self.disbursed_sum, self.budget) if self.reached else None

    @property
    def gap(self) -> Decimal | None:
        rate = self.disbursement_rate
        return rate - self.target if rate is not None else None


@dataclass
class Group:
    key: Key
    totals: Totals | QuarterTotals


@dataclass
class Summary:
    by: tuple[str, ...]
    as_of: date
    groups: list[Group]
    total: Totals
    #: The department named by each agency code (the first record's), for people to read.
    agency_names: dict[str, str]

    @property
    def quarterly(self) -> bool:
        return "quarter" in self.by

    @property
    def key_names(self) -> list[str]:
        """A group's key names, in order, from the dimensions: the columns a summary that kept no
        group still has (a --by quarter group also has its fiscal year)."""
        names = [KEYS[d] for d in self.by]
        if self.quarterly and "fiscal_year" not in names:
            names.insert(-1, "fiscal_year")
        return names

    @property
    def has_format2(self) -> bool:
        """Whether any KPI or evaluation was counted: the tables for people show their columns
        only then (the machine formats always carry their keys)."""
        return bool(self.total.kpis or self.total.project_scores)


#: What a row is grouped by in each dimension (but quarter).
_VALUES: dict[str, Callable[[ProjectRow | SummaryRow], Any]] = {
    "agency": attrgetter("agency_code"),
    "fiscal-year": attrgetter("fiscal_year"),
    "state": attrgetter("state"),
    "plan-status": attrgetter("computed_plan_status"),
    "strategy": lambda row: row.strategy_issue or None,
}


def summarise(
    source: Iterable[ProjectRow | SummaryRow],
    by: Iterable[str],
    config: Config,
    as_of: date,
    kpis: Iterable[KpiRow] | Callable[[], Iterable[KpiRow]] = (),
    keep: Callable[[Any], bool] | None = None,
    departments: dict[str, str] | None = None,
) -> Summary:
    """Group and total the rows ``keep`` keeps (all without it) in one pass, holding one
    accumulator per group; then the KPIs (``kpis``, or a callable giving them once the rows are
    read: ``rows(..., kpis=...)`` fills its list as it goes). A KPI counts in the total, and in
    its group when the summary is by agency and/or fiscal year (a KPI has no state, plan status
    or strategy issue of a project's, nor quarters of money); its agency is that of the projects
    of its department, else its code's 4-digit prefix: every row's, kept or not, and those of
    ``departments`` (``portfolio.departments``: every project's, when ``source`` is some of them),
    so a filter never moves a KPI to another agency than the unfiltered summary and the site give it."""
    dims = tuple(by)
    problem = dimensions_problem(dims)
    if problem is not None:
        raise InputError(problem, field="--by")
    plain = tuple(d for d in dims if d != "quarter")
    quarterly = "quarter" in dims
    groups: dict[Key, Totals | QuarterTotals] = {}
    total = Totals()
    names: dict[str, str] = {}
    agency_of = dict(departments or {})  # department -> agency code (``join_department``)
    keyed = [(KEYS[d], _VALUES[d]) for d in plain]
    for row in source:
        join_department(agency_of, row.department, row.agency_code)
        if keep is not None and not keep(row):
            continue
        names.setdefault(row.agency_code, row.department)
        key: Key = tuple([(name, value(row)) for name, value in keyed])
        if not quarterly:  # each row in one group: the total is theirs, once the rows are read
            (groups.get(key) or groups.setdefault(key, Totals())).add(row)  # no Totals made per row
            continue
        total.add(row)
        if "fiscal-year" not in plain:
            key = (*key, ("fiscal_year", row.fiscal_year))
        targets = config.targets(row.fiscal_year)
        for quarter in range(1, 5):
            end = quarter_end(row.fiscal_year, quarter)
            qkey: Key = (*key, ("quarter", quarter))
            if qkey not in groups:
                groups[qkey] = QuarterTotals(
                    row.fiscal_year, quarter, end, targets[quarter - 1], end <= as_of
                )
            groups[qkey].add(row)
    if not quarterly:
        for totals in groups.values():
            assert isinstance(totals, Totals)
            total.merge(totals)
    for kpi in kpis() if callable(kpis) else kpis:
        total.add_kpi(kpi)
        if quarterly or not set(plain) <= {"agency", "fiscal-year"}:
            continue
        agency = kpi_agency(agency_of, kpi)
        names.setdefault(agency, kpi.department)
        values = {"agency": agency, "fiscal-year": kpi.fiscal_year}
        key = tuple((KEYS[d], values[d]) for d in plain)
        kpi_totals = groups.get(key) or groups.setdefault(key, Totals())
        assert isinstance(kpi_totals, Totals)
        kpi_totals.add_kpi(kpi)
    ordered = [Group(k, groups[k]) for k in sorted(groups, key=_sort_key)]
    return Summary(dims, as_of, ordered, total, names)


def _sort_key(key: Key) -> tuple[Any, ...]:
    parts: list[Any] = []
    for name, value in key:
        if name == "state":
            parts.append(STATES.index(value))
        elif name == "plan_status":  # on plan, watch, behind, then the closed, then no report
            parts.append(_PLAN_ORDER.index(value) if value in _PLAN_ORDER else len(_PLAN_ORDER))
        elif value is None:
            parts.append((1, ""))
        elif isinstance(value, str):
            parts.append((0, value))
        else:
            parts.append(value)
    return tuple(parts)
