"""A project's computed status as of a date: where it stands, against plan and against money.

Everything is computed from the reports filed on or before ``as_of``, so a status as of a past
date shows what a reviewer could have known then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from .calendar import add_months, month_end, month_number, quarter_end
from .config import Config
from .money import CENT, HUNDRED, ratio_percent

if TYPE_CHECKING:
    from .record import Project, Report

#: Order of plan statuses from best to worst; a report may be more cautious, never rosier.
PLAN_RANK = {"on_plan": 0, "watch": 1, "behind": 2}

#: States of a project closed by its last report (its ``event``): its plan is no longer judged.
CLOSED_STATES = ("completed", "cancelled")


@dataclass(frozen=True)
class Status:
    code: str
    as_of: date
    state: str
    latest: Report | None
    expected: Decimal | None
    variance: Decimal | None
    computed_plan_status: str | None
    disbursed: Decimal
    budget: Decimal
    disbursement_rate: Decimal | None
    disbursement_target: Decimal | None
    disbursement_gap: Decimal | None
    due: int
    filed: int
    overdue: int
    late: bool

    @property
    def reported_plan_status(self) -> str | None:
        return self.latest.plan_status if self.latest else None

    @property
    def progress(self) -> Decimal | None:
        return self.latest.progress if self.latest else None


def budget_on(project: Project, day: date) -> Decimal:
    """The budget in force on ``day``: that of the latest revision dated on or before it, else
    the record's ``budget`` (a format-1 project has no revisions). Every disbursement rate,
    target and over-budget check reads the budget through here."""
    budget, since = project.budget, None
    for revision in project.budget_revisions:  # (of one day, the later in the file)
        if revision.date <= day and (since is None or revision.date >= since):
            budget, since = revision.budget, revision.date
    return budget


def expected_progress(project: Project, day: date) -> Decimal:
    """Planned cumulative % on ``day``: from ``plan`` when given, else linear start→end (a
    one-day project is due whole on its day)."""
    if not project.plan and day >= project.end:
        return HUNDRED
    if day <= project.start:
        return Decimal(0)
    if project.plan:
        return _planned(project, day)
    total = (project.end - project.start).days  # over 0: start < day < end
    return Decimal((day - project.start).days) * HUNDRED / Decimal(total)


def _planned(project: Project, day: date) -> Decimal:
    """Linear within the month from where the plan stood before it (0 % on the start day, else
    the previous month's end) to this month's planned %, as the linear plan runs from the start."""
    month = month_number(project.start, day)
    plan = project.plan
    if month > len(plan):
        return plan[-1]
    before = plan[month - 2] if month >= 2 else Decimal(0)
    year, number = add_months(project.start.year, project.start.month, month - 1)
    since = project.start if month == 1 else date(year, number, 1) - timedelta(days=1)
    span = (month_end(year, number) - since).days  # over 0: since < day <= the month's end
    return before + (plan[month - 1] - before) * Decimal((day - since).days) / Decimal(span)


def plan_status_for(variance: Decimal, tolerance: Decimal) -> str:
    """``on_plan`` when not behind, ``watch`` within the tolerance, else ``behind``: by the
    variance rounded to the hundredth (0.33 % against an expected 0.333… is on plan)."""
    shown = variance.quantize(CENT, rounding=ROUND_HALF_UP)  # judged as every table shows it
    if shown >= 0:
        return "on_plan"
    if -shown <= tolerance:
        return "watch"
    return "behind"


def computed_status_of(project: Project, report: Report, tolerance: Decimal) -> tuple[Decimal, Decimal, str]:
    """(expected, variance, computed plan status) on one report's date."""
    expected = expected_progress(project, report.date)
    variance = report.progress - expected
    return expected, variance, plan_status_for(variance, tolerance)


def compute_status(project: Project, as_of: date, config: Config) -> Status:
    reports = project.reports_until(as_of)
    latest = reports[-1] if reports else None
    if latest is not None and latest.event in CLOSED_STATES:  # closed by its last report
        state = str(latest.event)
    else:
        state = "not_started" if as_of < project.start else "active"
    expected = variance = computed = None
    if latest is not None:
        expected, variance, computed = computed_status_of(project, latest, config.tolerance)
    if state in CLOSED_STATES:
        # A closed project is not judged against a plan it no longer follows: its "computed
        # plan status" is its state, shown and counted as such (never a green "on plan").
        computed = state
    disbursed = latest.disbursed if latest else Decimal(0)
    budget = budget_on(project, as_of)
    rate = ratio_percent(disbursed, budget)
    target = disbursement_target(project.fiscal_year, as_of, config)
    gap = rate - target if rate is not None and target is not None else None
    # the months from the start's month to the month before as_of's: this month is not yet due
    due = max(month_number(project.start, as_of) - 1, 0) if state == "active" else 0
    return Status(
        code=project.code,
        as_of=as_of,
        state=state,
        latest=latest,
        expected=expected,
        variance=variance,
        computed_plan_status=computed,
        disbursed=disbursed,
        budget=budget,
        disbursement_rate=rate,
        disbursement_target=target,
        disbursement_gap=gap,
        due=due,
        filed=len(reports),
        overdue=max(due - len(reports), 0) if state == "active" else 0,
        late=state == "active" and as_of > project.end,
    )


def disbursement_target(fiscal_year: int, as_of: date, config: Config) -> Decimal | None:
    """The cumulative target of the last fiscal quarter of ``fiscal_year`` ended by ``as_of``.

    None before the first quarter has ended: nothing was due yet.
    """
    targets = config.targets(fiscal_year)
    passed = [t for q, t in enumerate(targets, start=1) if quarter_end(fiscal_year, q) <= as_of]
    return passed[-1] if passed else None
