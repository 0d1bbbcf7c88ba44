"""A portfolio as a stream of compact rows: list → load → check → compute status → one row each.

``rows`` never holds every parsed record at once: each file is read, checked and reduced to a
small ``ProjectRow`` before the next one is opened, so a status of 10,000 records costs the
memory of one record plus the rows. A file that is not a valid record is not a row: it is
counted and named in ``Skipped`` and the run goes on (``validate`` says what is wrong with it).

``build_row`` is a pure function of (Project, Status, path), so the index (core/index.py)
keeps each file's facts (``project_facts``) and rows for any ``as_of`` are computed from them.
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from .calendar import add_months, ascii_digits, month_end, quarter_end, quarter_start
from .config import Config
from .labels import STATES
from .money import HUNDRED, ratio_percent
from .repository import is_kpi_code
from .status import CLOSED_STATES, PLAN_RANK, Status, budget_on, compute_status, expected_progress

if TYPE_CHECKING:  # reading and checking records is imported where a record is read
    from .kpi import Kpi, KpiResult
    from .record import Evaluation, Project


class ProjectRow(NamedTuple):
    """What status, summary and the site need of one project as of a date, and nothing more.

    A named tuple, not a dataclass: the index keeps it as a plain tuple and makes it a row
    again, several times faster than a frozen dataclass's ``__init__``."""

    code: str
    name: str
    agency_code: str
    department: str
    fiscal_year: int
    strategy_issue: str
    path: str
    start: date
    end: date
    as_of: date
    state: str
    latest_no: int | None
    latest_date: date | None
    progress: Decimal | None
    expected: Decimal | None
    variance: Decimal | None
    plan_status: str | None
    computed_plan_status: str | None
    target_status: str | None
    disbursed: Decimal
    budget: Decimal
    disbursement_rate: Decimal | None
    disbursement_target: Decimal | None
    disbursement_gap: Decimal | None
    due: int
    filed: int
    overdue: int
    late: bool
    #: Cumulative disbursed at the end of quarters 1-4 of the fiscal year; None for a quarter
    #: that had not ended by ``as_of``.
    disbursed_by_quarter: tuple[Decimal | None, ...] = ()
    #: The score and full score of the latest evaluation dated on or before ``as_of`` (format 2;
    #: None without one). ``budget`` above is the budget in force on ``as_of`` (``budget_on``).
    latest_score: Decimal | None = None
    latest_full_score: Decimal | None = None
    #: The budget in force at the end of quarters 1-4 of the fiscal year (for a quarter not ended
    #: by ``as_of``: on ``as_of``); what ``summary --by quarter`` sums.
    budget_by_quarter: tuple[Decimal, ...] = ()

    @property
    def budget_in_force(self) -> Decimal:
        """The budget in force on ``as_of`` (after the revisions dated by then): ``budget``."""
        return self.budget

    @property
    def score_percent(self) -> Decimal | None:
        """The latest evaluation as % of its full score (what the mean scores of summary add)."""
        return score_percent(self.latest_score, self.latest_full_score)


def build_row(project: Project, status: Status, path: str) -> ProjectRow:
    """The row of one project: a pure function of its record, its status and its path."""
    latest = status.latest
    evaluation = latest_evaluation(project.evaluations, status.as_of)
    return ProjectRow(
        code=project.code,
        name=project.name,
        # Shared by many rows: one copy each, so 10,000 rows stay small.
        agency_code=sys.intern(project.agency_code),
        department=sys.intern(project.agency.department),
        fiscal_year=project.fiscal_year,
        strategy_issue=sys.intern(project.strategy.get("issue", "")),
        path=path,
        start=project.start,
        end=project.end,
        as_of=status.as_of,
        state=status.state,
        latest_no=latest.no if latest else None,
        latest_date=latest.date if latest else None,
        progress=latest.progress if latest else None,
        expected=status.expected,
        variance=status.variance,
        plan_status=latest.plan_status if latest else None,
        computed_plan_status=status.computed_plan_status,
        target_status=latest.target_status if latest else None,
        disbursed=status.disbursed,
        budget=status.budget,
        disbursement_rate=status.disbursement_rate,
        disbursement_target=status.disbursement_target,
        disbursement_gap=status.disbursement_gap,
        due=status.due,
        filed=status.filed,
        overdue=status.overdue,
        late=status.late,
        disbursed_by_quarter=disbursed_by_quarter(project, status.as_of),
        latest_score=evaluation.score if evaluation else None,
        latest_full_score=evaluation.full_score if evaluation else None,
        budget_by_quarter=tuple(
            budget_on(project, min(quarter_end(project.fiscal_year, q), status.as_of)) for q in range(1, 5)
        ),
    )


def latest_evaluation(evaluations: Iterable[Evaluation], as_of: date) -> Evaluation | None:
    """The evaluation of the highest quarter among those dated on or before ``as_of``."""
    return max((e for e in evaluations if e.date <= as_of), key=lambda e: e.quarter, default=None)


class KpiRow(NamedTuple):
    """What status, summary, the site and the exports need of one KPI as of a date.

    Its figures (DESIGN of issue 20, "Figures") count only what was known on ``as_of``: the
    results dated on or before it (an undated result once its quarter has begun) and the
    evaluations dated on or before it; the latest is that of the highest quarter."""

    code: str
    name: str
    number: str
    agency_code: str
    department: str
    fiscal_year: int
    category: str
    level: str
    unit: str
    target: Decimal
    direction: str
    path: str
    as_of: date
    latest_quarter: int | None
    latest_value: Decimal | None
    #: The latest value as % of the target, respecting the direction (None: no result, or no
    #: meaning: a target of 0, a value of 0 where less is better).
    percent_of_target: Decimal | None
    #: Whether the latest value meets the target; None without a result.
    met: bool | None
    latest_score: Decimal | None
    latest_full_score: Decimal | None
    #: The cumulative result of quarters 1-4 known on ``as_of`` (None: none).
    values_by_quarter: tuple[Decimal | None, ...] = ()

    @property
    def score_percent(self) -> Decimal | None:
        """The latest evaluation as % of its full score (what the mean scores of summary add)."""
        return score_percent(self.latest_score, self.latest_full_score)


def join_department(agencies: dict[str, str], department: str, agency_code: str) -> None:
    """Note that a project of ``agency_code`` names ``department``: a KPI of that department
    belongs to that agency (``summary`` counts it there, the site lists it on its page); of
    several, the lowest code, whatever order the rows come in. Else ``Kpi.agency_code``."""
    if agencies.setdefault(department, agency_code) > agency_code:
        agencies[department] = agency_code


def kpi_agency(agencies: dict[str, str], kpi: KpiRow) -> str:
    """The agency a KPI belongs to, by the departments ``join_department`` noted: what summary
    groups it by, the site lists it under and ``--agency`` selects it by."""
    return agencies.get(kpi.department, kpi.agency_code)


def departments(config: Config, as_of: date, **options: Any) -> dict[str, str]:
    """``join_department`` over every project of the records folder (``rows``' options): what a
    KPI's agency is learned from when a command lists only some records (``status CODE``,
    ``summary PATH``)."""
    found: dict[str, str] = {}
    for row in rows([], config, as_of, present=_AGENCY, **options):
        join_department(found, *row)
    return found


def score_percent(score: Decimal | None, full: Decimal | None) -> Decimal | None:
    """A score as % of its full score; None without an evaluation."""
    return None if score is None or full is None or full == 0 else score * HUNDRED / full


def build_kpi_row(kpi: Kpi, path: str, as_of: date) -> KpiRow:
    """The row of one KPI as of ``as_of``: a pure function of its record and its path."""
    known = [r for r in kpi.results if result_known(r, kpi.fiscal_year, as_of)]
    latest = max(known, key=lambda r: r.quarter, default=None)
    by_quarter: list[Decimal | None] = [None] * 4
    for result in known:
        by_quarter[result.quarter - 1] = result.value
    evaluation = latest_evaluation(kpi.evaluations, as_of)
    return KpiRow(
        code=kpi.code,
        name=kpi.name,
        number=kpi.number,
        agency_code=sys.intern(kpi.agency_code),
        department=sys.intern(kpi.agency.department),
        fiscal_year=kpi.fiscal_year,
        category=kpi.category,
        level=kpi.level,
        unit=kpi.unit,
        target=kpi.target,
        direction=kpi.direction,
        path=path,
        as_of=as_of,
        latest_quarter=latest.quarter if latest else None,
        latest_value=latest.value if latest else None,
        percent_of_target=kpi.percent_of_target(latest.value) if latest else None,
        met=kpi.met(latest.value) if latest else None,
        latest_score=evaluation.score if evaluation else None,
        latest_full_score=evaluation.full_score if evaluation else None,
        values_by_quarter=tuple(by_quarter),
    )


def result_known(result: KpiResult, fiscal_year: int, as_of: date) -> bool:
    """Whether a reviewer could know ``result`` on ``as_of``: dated on or before it, or
    undated (the old system's notes) and its quarter begun by then."""
    if result.date is not None:
        return result.date <= as_of
    return quarter_start(fiscal_year, result.quarter) <= as_of


def disbursed_by_quarter(project: Project, as_of: date) -> tuple[Decimal | None, ...]:
    """Cumulative disbursed at each fiscal quarter's end, from the reports dated up to that day."""
    result: list[Decimal | None] = []
    for quarter in range(1, 5):
        day = quarter_end(project.fiscal_year, quarter)
        if day > as_of:
            result.append(None)
            continue
        filed = project.reports_until(day)
        result.append(filed[-1].disbursed if filed else Decimal(0))
    return tuple(result)


@dataclass
class Skipped:
    """Files that were not rows: (path as shown, the first reason). Filled while ``rows`` runs."""

    files: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.files)


class Presenter(NamedTuple):
    """What a command keeps of each row instead of the row (the index keeps it per ``name``: a
    name per kind of output, so each stays warm when a reviewer switches between them):
    ``make(row)`` gives it as plain values, and ``load`` makes them what the command reads;
    ``encode``/``decode``: how the index keeps the plain values as text (default: JSON with
    Decimals, dates and bytes tagged, ``index.encode_kept``). A presenter whose values are
    plain JSON gives ``json.loads``: no hook runs for each value, 10,000 lines load in a third
    of the time."""

    name: str
    make: Callable[[ProjectRow], Any]
    load: Callable[[Any], Any]
    encode: Callable[[Any], Any] | None = None
    decode: Callable[[Any], Any] | None = None
    #: With ``columns``, ``encode`` gives a tuple of that many plain values (numbers, text
    #: without lone surrogates, bytes, None), kept as columns of the index (read back as the
    #: tuple: nothing to decode), or None for a value not to keep.
    columns: int = 0
    #: Of those columns, the only ones a run reads of a kept value (the others come back None):
    #: what its sort and filters read and what it shows. None: all.
    wanted: frozenset[int] | None = None
    #: A column held by its row's number in the index instead (``Index.kept``): a value too big
    #: to hold for every row, read back when it is shown.
    later: int | None = None


#: What is kept of a row when no presenter is asked for: the row itself.
ROWS = Presenter("row", tuple, ProjectRow._make)

#: How many kept values ``rows`` gathers before storing them (in the run's one transaction).
KEEP_BATCH = 256


def rows(
    paths: Iterable[Path],
    config: Config,
    as_of: date,
    *,
    checked_on: date | None = None,
    skipped: Skipped | None = None,
    shown: Callable[[Path], str] = str,
    present: Presenter | None = None,
    index: Any = None,
    scanned: Any = None,
    kpis: list[KpiRow] | None = None,
) -> Iterator[Any]:
    """One row per valid project under ``paths`` (default: the records folder), streaming;
    ``kpis``: a list that gets the ``KpiRow`` of each valid KPI met on the way (in the order of
    the files; the same run, the same refresh of the index: no file is read twice);
    ``present``: to have what it makes of each row instead of the row; ``index``: an open
    ``index.Index`` to use (its owner commits it; default: opened and committed here) and
    ``scanned``: the ``index.Scan`` of these paths, when the caller has taken it.

    A record is checked as of ``checked_on`` (the day of the run; default ``as_of``): a status
    as of a past date must not refuse a record for holding reports filed after that date.
    Files unchanged since the index saw them are not read: their row is computed from the
    facts the index keeps (``project_from_facts``), or what ``present`` made of it is loaded.
    """
    from . import index as ix

    checked_on = checked_on or as_of
    paths = list(paths)
    own = index is None
    store = ix.Index.open(config) if own else index
    found = scanned if scanned is not None else ix.scan(paths, config)
    kind = present or ROWS
    variant = ix.variant_of(kind.name, as_of, checked_on, shown)
    encode = kind.encode or ix.encode_kept
    decode = kind.decode or ix.decode_kept
    load = kind.load
    # (path as given, its index key, refusal, index entry: ("[]" or None, kept value or None,
    # kept KPI row or None), None when the index holds nothing that still describes the file)
    entries: list[tuple[str, str, str | None, Any]] = []
    keys = found.keys()
    # A KPI's row is kept too (a pure function of its facts, its path as shown and the day):
    # an unchanged KPI is neither read from the index's facts nor made again.
    kpi_variant = ix.variant_of("kpi-row", as_of, checked_on, shown)
    if store is not None:
        held = store.held(keys, found.files.stat_key, checked_on)
        kept = store.kept(variant, keys, kind.columns, kind.wanted, kind.later)
        kept_kpis = store.kept(kpi_variant, keys) if kpis is not None else [None] * len(keys)
    else:
        held = kept = kept_kpis = [None] * len(keys)
    for place, (name, refused, _) in enumerate(found.files):
        found_entry = None if refused else held[place]
        # what was kept of it, let go of by the list as it is taken
        entry = None if found_entry is None else (found_entry[0], kept[place], kept_kpis[place])
        kept[place] = kept_kpis[place] = None
        entries.append((name, keys[place], refused, entry))
    del held, kept, kept_kpis
    misses = [name for name, _, refused, entry in entries if entry is None and not refused]
    racy_since = store.racy_since if store is not None else None
    computed = ix.checked_in_order(misses, config, checked_on, racy_since, ix.jobs_wanted(os.environ))
    new_kept: list[tuple[str, str, str, str]] = []
    day = checked_on.isoformat()

    def keep(key: str, variant: str, value: Any) -> None:
        """What was made of a row, kept a batch at a time: never all of a cold run at once."""
        new_kept.append((key, variant, day, value))
        if len(new_kept) == KEEP_BATCH:
            assert store is not None  # a value is kept only with an index
            store.keep(new_kept, day)
            new_kept.clear()

    counted = partial(first_of_code, {}, shown=shown, skipped=None if skipped is None else skipped.files)

    try:
        for place, (name, key, refused, entry) in enumerate(entries):
            if entry is not None:  # unchanged: what was made of its row, when it was kept
                value = entry[1]
                if value is not None:  # kept from these very findings (a stored file drops its kept)
                    entries[place] = (name, key, refused, None)  # let go as it is read
                    if counted(name):
                        yield load(decode(value))
                    continue
                kept_kpi = entry[2]
                if kept_kpi is not None:  # a KPI, kept as its row was made (kpis is a list)
                    assert kpis is not None
                    if counted(name):
                        kpis.append(KpiRow._make(ix.decode_kept(kept_kpi)))
                    continue
            path = Path(name)
            if refused:
                _skip(skipped, shown(path), refused)
                continue
            if entry is None:
                checked = next(computed)
                if store is not None:
                    store.store_many([(key, checked)])
                findings, facts = checked.findings_json, checked.facts
                indexed = checked.stat is not None
            else:
                indexed = True
                assert store is not None  # an entry comes from it
                findings, facts = entry[0] or store.findings(key), ""
            reason = ix.skip_reason(findings, facts is not None)
            if reason is not None:
                _skip(skipped, shown(path), reason)
                continue
            if facts == "" and store is not None:
                facts = store.facts(key)
            if not facts:
                _skip(skipped, shown(path), "not a record")
                continue
            if not counted(name):
                continue
            kept_facts = json.loads(facts)
            if kept_facts.get("kind", "project") != "project":  # a KPI: not a project row
                if kpis is not None:
                    from .kpi import kpi_from_facts

                    kpi_row = build_kpi_row(kpi_from_facts(kept_facts), shown(path), as_of)
                    kpis.append(kpi_row)
                    encoded_kpi = ix.encode_kept(kpi_row) if store is not None and indexed else None
                    if encoded_kpi is not None:
                        keep(key, kpi_variant, encoded_kpi)
                continue
            project = project_from_facts(kept_facts)
            row = build_row(project, compute_status(project, as_of, config), shown(path))
            made = kind.make(row)
            encoded = encode(made) if store is not None and indexed else None
            if encoded is not None:
                keep(key, variant, encoded)
            yield load(made) if present is not None else row
        if store is not None:
            if found.whole:
                store.forget_others({key for _, key, _, _ in entries})
            store.keep(new_kept, day)
    finally:
        close = getattr(computed, "close", None)
        if close is not None:
            close()
        if own and store is not None:
            store.close()


#: What ``departments`` keeps of a project.
_AGENCY = Presenter("agency", lambda row: (row.department, row.agency_code), tuple)

#: What is kept of a project when only the KPIs are wanted (``kpi_rows``): nothing to compute
#: again on the next run of that day.
_NO_PROJECT = Presenter("none", lambda row: None, lambda value: None, lambda value: "0", lambda value: None)


def kpi_rows(paths: Iterable[Path], config: Config, as_of: date, **options: Any) -> list[KpiRow]:
    """Every valid KPI's row under ``paths``, in the order of the files: ``rows`` (the same
    options, one refresh of the index) keeping the KPIs and no project rows. A caller that
    wants both kinds passes its own list as ``rows(..., kpis=...)`` instead."""
    found: list[KpiRow] = []
    options.setdefault("present", _NO_PROJECT)
    for _ in rows(paths, config, as_of, kpis=found, **options):
        pass
    return found


# --- the facts the index keeps of a project ------------------------------------------------


def project_facts(project: Project) -> dict[str, Any]:
    """What the index keeps of a project: everything a row for any date is computed from
    (``project_from_facts``), as JSON values (Decimals as text, dates ISO); its long texts
    (details, notes) are left out: a page that shows them reads the record."""
    return {
        "code": project.code,
        "name": project.name,
        "fiscal_year": project.fiscal_year,
        "start": project.start.isoformat(),
        "end": project.end.isoformat(),
        "budget": str(project.budget),
        "department": project.agency.department,
        "plan_ref": project.plan_ref,
        "plan": [str(p) for p in project.plan],
        "strategy": project.strategy,
        "reports": [
            [
                r.no,
                r.date.isoformat(),
                str(r.progress),
                str(r.disbursed),
                r.plan_status,
                r.target_status,
                r.event,
            ]
            for r in project.reports
        ],
        **(_format2_facts(project) if project.format == 2 else {}),
    }


def _format2_facts(project: Project) -> dict[str, Any]:
    """What a format-2 project adds to its facts (a format 1 project's stay as they were)."""
    from .kpi import evaluation_facts

    return {
        "format": 2,
        "evaluations": evaluation_facts(project.evaluations),
        "budget_revisions": [
            [r.date.isoformat(), str(r.budget), r.reference, r.note] for r in project.budget_revisions
        ],
    }


def project_from_facts(facts: dict[str, Any]) -> Project:
    """The project ``project_facts`` kept, without its long texts."""
    from .record import Agency, Project, Report, _built

    fromiso = date.fromisoformat
    format2: dict[str, Any] = {}
    if facts.get("format") == 2:
        from .kpi import evaluations_from_facts
        from .record import BudgetRevision

        format2 = dict(
            format=2,
            evaluations=evaluations_from_facts(facts["evaluations"]),
            budget_revisions=tuple(
                _built(BudgetRevision, index=index, date=fromiso(day), budget=Decimal(budget),
                       reference=reference, note=note)
                for index, (day, budget, reference, note) in enumerate(facts["budget_revisions"], start=1)
            ),
        )  # fmt: skip
    reports = tuple(
        _built(Report, index=index, no=no, date=fromiso(day), progress=Decimal(progress),
               disbursed=Decimal(disbursed), plan_status=plan_status, target_status=target_status,
               note="", event=event)
        for index, (no, day, progress, disbursed, plan_status, target_status, event)
        in enumerate(facts["reports"], start=1)
    )  # fmt: skip
    return _built(
        Project, code=facts["code"], name=facts["name"], fiscal_year=facts["fiscal_year"],
        start=fromiso(facts["start"]), end=fromiso(facts["end"]), budget=Decimal(facts["budget"]),
        agency=Agency(facts["department"]), plan_ref=facts["plan_ref"],
        plan=tuple(Decimal(p) for p in facts["plan"]), rationale="", objectives=(), targets=(),
        strategy=dict(facts["strategy"]), reports=reports, **format2,
    )  # fmt: skip


def first_of_code(
    first: dict[str, str], name: str, shown: Callable[[Path], str], skipped: list[tuple[str, str]] | None
) -> bool:
    """Whether the valid record file ``name`` is the first of its name (its code) in ``first``; a
    second goes to ``skipped``: validate fails it (duplicate-code), the site has one page a code,
    and no total counts a project twice."""
    earlier = first.setdefault(os.path.basename(name), name)
    if earlier != name and skipped is not None:
        from .i18n import _

        text = _("project {code} already has a record, {path}")
        if is_kpi_code(Path(name).stem):
            text = _("KPI {code} already has a record, {path}")
        skipped.append((shown(Path(name)), text.format(code=Path(name).stem, path=shown(Path(earlier)))))
    return earlier == name


def _skip(skipped: Skipped | None, path: str, reason: str) -> None:
    if skipped is not None:
        skipped.files.append((path, reason))


# --- choosing and ordering rows ---------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """Which rows a reviewer asked for; an empty tuple means any."""

    fiscal_years: tuple[int, ...] = ()
    agencies: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    plan_statuses: tuple[str, ...] = ()
    #: The agency of each department of the projects these filters saw (``join_department``):
    #: every row passes them before a KPI is asked about (``kpi``), whether kept or not; learned
    #: for ``agencies`` and when KPIs are shown (``kpis``: each is shown with its agency).
    departments: dict[str, str] = field(default_factory=dict, compare=False, repr=False)
    kpis: bool = False

    def fields(self) -> tuple[str, ...]:
        """The fields of a row these filters read."""
        return (
            *(("fiscal_year",) if self.fiscal_years else ()),
            *(("agency_code", "department") if self.agencies or self.kpis else ()),
            *(("state",) if self.states else ()),
            *(("computed_plan_status",) if self.plan_statuses else ()),
        )

    def __call__(self, row: ProjectRow) -> bool:
        if self.agencies or self.kpis:
            join_department(self.departments, row.department, row.agency_code)
        if self.fiscal_years and row.fiscal_year not in self.fiscal_years:
            return False
        if self.agencies and not any(_agency_matches(row.agency_code, row, a) for a in self.agencies):
            return False
        if self.states and row.state not in self.states:
            return False
        return not (self.plan_statuses and (row.computed_plan_status or "none") not in self.plan_statuses)

    def kpi(self, row: KpiRow) -> bool:
        """Whether a KPI is among the rows asked for: by fiscal year and agency as a project; a
        KPI has no state nor plan status, so with either of those filters none is."""
        if self.states or self.plan_statuses:
            return False
        if self.fiscal_years and row.fiscal_year not in self.fiscal_years:
            return False
        agency = kpi_agency(self.departments, row)
        return not (self.agencies and not any(_agency_matches(agency, row, a) for a in self.agencies))

    def chosen_kpis(self, rows: Iterable[KpiRow]) -> Iterator[KpiRow]:
        """The KPIs among the rows asked for (``kpi``), each with the agency it belongs to
        (``kpi_agency``) as its ``agency_code``: what the table, csv, json and xlsx show."""
        return (row._replace(agency_code=kpi_agency(self.departments, row)) for row in rows if self.kpi(row))


def _agency_matches(agency: str, row: ProjectRow | KpiRow, wanted: str) -> bool:
    """A prefix of the row's ``agency`` code (``01`` or ``01000000``, Thai digits too: ``๕๐๑๐``;
    ``50010000`` selects a KPI of no project's department by its code's 4 digits, ``5001-``) or
    words of the department's name, whatever the spacing on either side (``สำนักงาน เขตพระนคร``
    finds ``สำนักงานเขตพระนคร``): blanks are left out of both before they are compared."""
    wanted = _squeezed(ascii_digits(wanted))
    if wanted.isascii() and wanted.isdigit():
        return agency.startswith(wanted[:4] if len(agency) == 4 else wanted)
    return wanted in _squeezed(row.department)


def _squeezed(text: str) -> str:
    """``text`` in NFC, case-folded, with no blank anywhere: what a name is compared by."""
    return "".join(unicodedata.normalize("NFC", text).casefold().split())


def filtered(source: Iterable[ProjectRow], filters: Filters) -> Iterator[ProjectRow]:
    if not filters.fields():  # none asked: every row, without a call a row (10,000 a run)
        return iter(source)
    return (row for row in source if filters(row))


def _worst_key(row: ProjectRow) -> tuple[int, int, str]:
    """Behind first, then watch, then overdue, then the rest; by code within each."""
    if row.computed_plan_status == "behind":
        group = 0
    elif row.computed_plan_status == "watch":
        group = 1
    elif row.overdue > 0:
        group = 2
    else:
        group = 3
    return group, -row.overdue, row.code


def _unknown_last(value: Decimal | None, code: str) -> tuple[bool, Decimal, str]:
    """Lowest first (the ones to look at), unknown values after every known one."""
    return value is None, value if value is not None else Decimal(0), code


SORTS = {
    "worst": _worst_key,
    "code": lambda r: r.code,
    "name": lambda r: (r.name, r.code),
    "agency": lambda r: (r.agency_code, r.code),
    "fiscal-year": lambda r: (r.fiscal_year, r.code),
    "state": lambda r: (STATES.index(r.state), r.code),
    "plan-status": lambda r: (-PLAN_RANK.get(r.computed_plan_status or "", -1), r.code),
    "progress": lambda r: _unknown_last(r.progress, r.code),
    "variance": lambda r: _unknown_last(r.variance, r.code),
    "disbursement": lambda r: _unknown_last(r.disbursement_rate, r.code),
    "overdue": lambda r: (-r.overdue, r.code),
    "end": lambda r: (r.end, r.code),
}


#: The fields of a row each sort reads (a test holds this to ``SORTS``).
SORT_FIELDS = {
    "worst": ("computed_plan_status", "overdue", "code"),
    "code": ("code",),
    "name": ("name", "code"),
    "agency": ("agency_code", "code"),
    "fiscal-year": ("fiscal_year", "code"),
    "state": ("state", "code"),
    "plan-status": ("computed_plan_status", "code"),
    "progress": ("progress", "progress_text", "code"),
    "variance": ("variance", "variance_text", "code"),
    "disbursement": ("disbursement_rate", "disbursement_rate_text", "code"),
    "overdue": ("overdue", "code"),
    "end": ("end", "end_ordinal", "code"),
}


def sorted_rows(source: Iterable[ProjectRow], sort: str = "worst") -> list[ProjectRow]:
    """The rows in a reviewer's order (the rows are small: holding them all is fine)."""
    return sorted(source, key=SORTS[sort])


# --- one project month by month ---------------------------------------------------------


@dataclass
class MonthPoint:
    """Actual (latest report filed by the month's end) and expected progress at a month's end."""

    year: int
    month: int
    actual: Decimal | None
    expected: Decimal


def progress_by_month(project: Project, as_of: date) -> list[MonthPoint]:
    """From the start's month to the month of ``as_of`` or of the end, whichever comes first;
    a project closed (completed or cancelled) by then stops at its closing report's month:
    no later month carries its last progress forward."""
    points: list[MonthPoint] = []
    year, month = project.start.year, project.start.month
    last = min(as_of, project.end)
    filed_by = project.reports_until(as_of)
    if filed_by and filed_by[-1].event in CLOSED_STATES:
        last = min(last, filed_by[-1].date)
    if last < project.start:
        return points
    while (year, month) <= (last.year, last.month):
        day = min(month_end(year, month), as_of, project.end)
        filed = project.reports_until(day)
        actual = filed[-1].progress if filed else None
        points.append(MonthPoint(year, month, actual, expected_progress(project, day)))
        year, month = add_months(year, month, 1)
    return points


@dataclass
class QuarterPoint:
    """Cumulative disbursement % of budget at a fiscal quarter's end, against its target."""

    fiscal_year: int
    quarter: int
    end: date
    disbursed: Decimal | None
    rate: Decimal | None
    target: Decimal | None


def quarter_points(project: Project, as_of: date, config: Config) -> list[QuarterPoint]:
    points = []
    for quarter, disbursed in enumerate(disbursed_by_quarter(project, as_of), start=1):
        end = quarter_end(project.fiscal_year, quarter)
        rate = ratio_percent(disbursed, budget_on(project, end)) if disbursed is not None else None
        target = config.targets(project.fiscal_year)[quarter - 1]
        points.append(QuarterPoint(project.fiscal_year, quarter, end, disbursed, rate, target))
    return points
