"""The computed status of the spec, on the shipped record and on small cases worked by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from projledger.core.config import Config
from projledger.core.record import Project, read_document
from projledger.core.status import compute_status, expected_progress, plan_status_for

from conftest import SHIPPED

CONFIG = Config(root=Path("/nonexistent"), records_dir=Path("/nonexistent/records"))


@pytest.fixture(scope="module")
def shipped() -> Project:
    return Project.from_data(read_document(SHIPPED).data)


def test_spec_worked_example_as_of_2022_03_31(shipped: Project) -> None:
    status = compute_status(shipped, date(2022, 3, 31), CONFIG)
    assert status.state == "active"
    assert status.latest is not None and status.latest.no == 6
    assert status.latest.date == date(2022, 3, 23)
    assert status.progress == 50
    # Linear plan: 2021-10-01 to 2023-01-30 is 486 days; 2022-03-23 is day 173.
    assert (date(2023, 1, 30) - date(2021, 10, 1)).days == 486
    assert status.expected == Decimal(173) * 100 / Decimal(486)
    assert round(status.expected, 2) == Decimal("35.60")
    assert round(status.variance, 2) == Decimal("14.40")
    assert status.computed_plan_status == "on_plan"
    assert status.reported_plan_status == "watch"  # more cautious than computed: fine
    assert status.disbursement_rate == 0
    assert (status.due, status.filed, status.overdue) == (5, 6, 0)
    assert status.late is False


def test_shipped_record_today_is_cancelled_with_nothing_due(shipped: Project) -> None:
    status = compute_status(shipped, date(2026, 11, 25), CONFIG)
    assert status.state == "cancelled"
    assert status.latest is not None and status.latest.no == 12
    assert (status.due, status.overdue) == (0, 0)
    assert status.late is False


def test_before_the_start_nothing_has_started(shipped: Project) -> None:
    status = compute_status(shipped, date(2021, 9, 15), CONFIG)
    assert status.state == "not_started"
    assert status.latest is None and status.computed_plan_status is None
    assert (status.due, status.overdue) == (0, 0)


def test_overdue_counts_months_without_report(shipped: Project) -> None:
    # As of 2022-03-10 reports 1-5 are filed, months Oct..Feb (5) are due: nothing overdue.
    assert compute_status(shipped, date(2022, 3, 10), CONFIG).overdue == 0
    unreported = Project(**{**shipped.__dict__, "reports": shipped.reports[:2]})
    status = compute_status(unreported, date(2022, 3, 10), CONFIG)
    assert (status.due, status.filed, status.overdue) == (5, 2, 3)


def test_disbursement_target_is_the_last_quarter_ended(shipped: Project) -> None:
    assert compute_status(shipped, date(2021, 12, 30), CONFIG).disbursement_target is None
    assert compute_status(shipped, date(2021, 12, 31), CONFIG).disbursement_target == 32
    status = compute_status(shipped, date(2022, 4, 30), CONFIG)
    assert status.disbursement_target == 54
    assert status.disbursement_gap == -54


def test_plan_status_thresholds() -> None:
    tolerance = Decimal(10)
    assert plan_status_for(Decimal(0), tolerance) == "on_plan"
    assert plan_status_for(Decimal("-0.01"), tolerance) == "watch"
    assert plan_status_for(Decimal(-10), tolerance) == "watch"
    assert plan_status_for(Decimal("-10.01"), tolerance) == "behind"


def test_expected_progress_from_a_plan(shipped: Project) -> None:
    # Planned 10 % by the end of October, 30 % by the end of November, then 100 %.
    planned = Project(**{**shipped.__dict__, "plan": (Decimal(10), Decimal(30), Decimal(100))})
    assert expected_progress(planned, date(2021, 10, 31)) == 10
    assert expected_progress(planned, date(2021, 11, 30)) == 30
    # Half-way through November (15 of 30 days): 10 + 20 * 15/30 = 20.
    assert expected_progress(planned, date(2021, 11, 15)) == 20
    assert expected_progress(planned, date(2022, 6, 1)) == 100
    assert expected_progress(planned, date(2021, 9, 1)) == 0


def test_plan_status_is_judged_on_the_variance_as_shown() -> None:
    # 0.33 % against an expected 0.333…: every table shows a variance of 0.00, so on plan; a
    # variance that shows as -0.01 is the first one short of the plan.
    tolerance = Decimal(10)
    assert plan_status_for(Decimal("0.33") - Decimal(100) / 300, tolerance) == "on_plan"
    assert plan_status_for(Decimal("-0.0049"), tolerance) == "on_plan"
    assert plan_status_for(Decimal("-0.005"), tolerance) == "watch"
    assert plan_status_for(Decimal("-10.004"), tolerance) == "watch"
    assert plan_status_for(Decimal("-10.005"), tolerance) == "behind"


def test_a_plan_runs_from_the_start_day_as_the_linear_line_does(shipped: Project) -> None:
    # Started on 29 January, 60 % planned by its end: 0 % on the 29th, 30 % on the 30th (one of
    # the month's two days left), 60 % on the 31st; then 60 → 100 over February's 29 days.
    late_start = Project(
        **{**shipped.__dict__, "start": date(2024, 1, 29), "plan": (Decimal(60), Decimal(100))}
    )
    days = [date(2024, 1, 29), date(2024, 1, 30), date(2024, 1, 31), date(2024, 2, 1), date(2024, 2, 29)]
    assert [expected_progress(late_start, day) for day in days] == [0, 30, 60, 60 + Decimal(40) / 29, 100]
    # A plan and the linear line agree on a project of one month begun on the first.
    one_month = {**shipped.__dict__, "start": date(2024, 4, 1), "end": date(2024, 4, 30)}
    planned, linear = Project(**{**one_month, "plan": (Decimal(100),)}), Project(**{**one_month, "plan": ()})
    for day in (date(2024, 4, 1), date(2024, 4, 2), date(2024, 4, 16), date(2024, 4, 30)):
        assert expected_progress(planned, day) == expected_progress(linear, day)


def test_a_one_day_project_is_due_whole_on_its_day(shipped: Project) -> None:
    one_day = Project(
        **{**shipped.__dict__, "start": date(2024, 5, 10), "end": date(2024, 5, 10), "plan": ()}
    )
    assert expected_progress(one_day, date(2024, 5, 9)) == 0
    assert expected_progress(one_day, date(2024, 5, 10)) == 100
    assert expected_progress(one_day, date(2024, 6, 1)) == 100


# --- a closed project is not judged against its plan (issue 16 point 5) ------------------


def test_a_cancelled_project_shows_its_state_not_a_plan_status(shipped: Project) -> None:
    # Report 12 closes the shipped record (event = "cancelled"); the old engine still judged
    # the plan on it and could call the cancelled project "on plan".
    status = compute_status(shipped, date(2026, 11, 25), CONFIG)
    assert status.state == "cancelled"
    assert status.computed_plan_status == "cancelled"
    # Before its closing report it is judged as any active project.
    assert compute_status(shipped, date(2022, 3, 31), CONFIG).computed_plan_status == "on_plan"


def test_no_month_after_the_closing_report_is_progress(shipped: Project) -> None:
    from projledger.core.portfolio import progress_by_month

    closing = shipped.reports[-1]
    assert closing.event == "cancelled"
    months = progress_by_month(shipped, date(2026, 11, 25))
    assert (months[-1].year, months[-1].month) == (closing.date.year, closing.date.month)
    # As of before the closing report the table runs to the month of as_of, as before.
    before = progress_by_month(shipped, date(2022, 3, 31))
    assert (before[-1].year, before[-1].month) == (2022, 3)
