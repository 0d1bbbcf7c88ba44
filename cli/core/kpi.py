"""The KPI record (format 2, ``kind = "kpi"``): an indicator of an agency's plan (ตัวชี้วัด),
its target, its cumulative result at the end of each fiscal quarter and the quarterly scores
the Strategy and Evaluation Department gives it; and the facts the index keeps of it.

A KPI lies in ``records/<FY>/kpi/<code>.toml``; it shares the ``Agency`` and ``Evaluation`` of
a project (core/record.py). Its figures (DESIGN of issue 20, "Figures"): the latest result and
evaluation are those of the highest quarter; % of target respects the direction.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import RecordError
from .findings import Finding, Severity
from .i18n import _
from .locate import index_lines, line_of
from .money import HUNDRED
from .record import (
    Agency,
    Evaluation,
    _agency,
    _built,
    _decimal,
    decode,
    evaluations,
    folder_fiscal_year,
    path_names,
    read_record_bytes,
)

if TYPE_CHECKING:
    from .config import Config

#: A KPI's code: the agency's 4-digit prefix, a hyphen, a 4-digit number (the schema's pattern).
KPI_CODE_PATTERN = r"^[0-9]{4}-[0-9]{4}$"
#: The folder below a fiscal year's folder that holds its KPIs.
KPI_FOLDER = "kpi"


#: The most digits (less one) a % of target has before its point: a thousand trillion %.
_LARGEST_PERCENT_DIGITS = 15


@dataclass(frozen=True)
class KpiResult:
    """The cumulative result at the end of a fiscal quarter; ``index``: its 1-based place."""

    index: int
    quarter: int
    value: Decimal
    date: date | None = None
    note: str = ""

    @property
    def field(self) -> str:
        return f"results[{self.index}]"


@dataclass(frozen=True)
class Kpi:
    """A KPI record that passed the schema, as typed values."""

    code: str
    name: str
    fiscal_year: int
    agency: Agency
    unit: str
    target: Decimal
    category: str = "routine"
    level: str = "output"
    number: str = ""
    baseline: Decimal | None = None
    direction: str = "higher"
    definition: str = ""
    formula: str = ""
    data_source: str = ""
    projects: tuple[str, ...] = ()
    strategy: dict[str, str] = field(default_factory=dict)
    results: tuple[KpiResult, ...] = ()
    evaluations: tuple[Evaluation, ...] = ()
    format: int = 2

    kind = "kpi"

    @property
    def agency_code(self) -> str:
        """The code's 4-digit prefix names the agency."""
        return self.code[:4]

    def percent_of_target(self, value: Decimal) -> Decimal | None:
        """``value`` as % of the target, respecting the direction; None when it has no meaning
        (a target of 0; a value of 0 where less is better; a divisor so near 0 that the % is
        past any figure: ``target = 5e-324`` made one of 10^326, which no table, file or chart
        could show, and every command that showed it crashed)."""
        if self.direction == "lower":
            percent = self.target / value * HUNDRED if value != 0 and self.target != 0 else None
        else:
            percent = value / self.target * HUNDRED if self.target != 0 else None
        return None if percent is None or percent.adjusted() > _LARGEST_PERCENT_DIGITS else percent

    def met(self, value: Decimal) -> bool:
        """Whether ``value`` meets the target (at or above it; at or below where less is better)."""
        return value <= self.target if self.direction == "lower" else value >= self.target

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Kpi:
        """Build from schema-valid data (the schema guarantees keys and types)."""
        baseline = data.get("baseline")
        return _built(
            cls,
            code=data["code"],
            name=data["name"],
            fiscal_year=data["fiscal_year"],
            agency=_agency(data["agency"]),
            unit=data["unit"],
            target=_decimal(data["target"]),
            category=data.get("category", "routine"),
            level=data.get("level", "output"),
            number=data.get("number", ""),
            baseline=None if baseline is None else _decimal(baseline),
            direction=data.get("direction", "higher"),
            definition=data.get("definition", ""),
            formula=data.get("formula", ""),
            data_source=data.get("data_source", ""),
            projects=tuple(data.get("projects", ())),
            strategy=dict(data.get("strategy", {})),
            results=tuple(
                _built(
                    KpiResult,
                    index=index,
                    quarter=r["quarter"],
                    value=_decimal(r["value"]),
                    date=r.get("date"),
                    note=r.get("note", ""),
                )
                for index, r in enumerate(data.get("results", ()), start=1)
            ),
            evaluations=evaluations(data.get("evaluations", ())),
            format=data.get("format", 2),
        )


# --- the facts the index keeps of a KPI ------------------------------------------------------


def kpi_facts(kpi: Kpi) -> dict[str, Any]:
    """What the index keeps of a KPI (``"kind": "kpi"`` tells them from a project's): all a row
    of status or summary is computed from, as JSON values, and the texts the export's tables
    carry (definition, formula, data source, notes: ``projledger export`` reads no record
    file), so a KPI made from them is the record's whole."""
    return {
        "kind": "kpi",
        "code": kpi.code,
        "name": kpi.name,
        "number": kpi.number,
        "fiscal_year": kpi.fiscal_year,
        "department": kpi.agency.department,
        "category": kpi.category,
        "level": kpi.level,
        "unit": kpi.unit,
        "target": str(kpi.target),
        "baseline": None if kpi.baseline is None else str(kpi.baseline),
        "direction": kpi.direction,
        "definition": kpi.definition,
        "formula": kpi.formula,
        "data_source": kpi.data_source,
        "projects": list(kpi.projects),
        "strategy": kpi.strategy,
        "results": [[r.quarter, str(r.value), r.date and r.date.isoformat(), r.note] for r in kpi.results],
        "evaluations": evaluation_facts(kpi.evaluations),
    }


def kpi_from_facts(facts: dict[str, Any]) -> Kpi:
    """The KPI ``kpi_facts`` kept."""
    baseline = facts["baseline"]
    return _built(
        Kpi, code=facts["code"], name=facts["name"], fiscal_year=facts["fiscal_year"],
        agency=Agency(facts["department"]), unit=facts["unit"], target=Decimal(facts["target"]),
        category=facts["category"], level=facts["level"], number=facts["number"],
        baseline=None if baseline is None else Decimal(baseline), direction=facts["direction"],
        definition=facts["definition"], formula=facts["formula"], data_source=facts["data_source"],
        projects=tuple(facts["projects"]),
        strategy=dict(facts["strategy"]),
        results=tuple(
            _built(KpiResult, index=index, quarter=quarter, value=Decimal(value),
                   date=None if day is None else date.fromisoformat(day), note=note)
            for index, (quarter, value, day, note) in enumerate(facts["results"], start=1)
        ),
        evaluations=evaluations_from_facts(facts["evaluations"]), format=2,
    )  # fmt: skip


def evaluation_facts(kept: tuple[Evaluation, ...]) -> list[list[Any]]:
    """Evaluations as the index keeps them (a project's and a KPI's alike), with their notes
    (a table of the export)."""
    return [
        [e.quarter, str(e.score), str(e.full_score), e.date.isoformat(), e.evaluator, e.note] for e in kept
    ]


def evaluations_from_facts(kept: list[list[Any]]) -> tuple[Evaluation, ...]:
    return tuple(
        _built(Evaluation, index=index, quarter=quarter, score=Decimal(score), full_score=Decimal(full),
               date=date.fromisoformat(day), evaluator=evaluator, note=note)
        for index, (quarter, score, full, day, evaluator, note) in enumerate(kept, start=1)
    )  # fmt: skip


# --- the portfolio rule: a KPI's projects exist -----------------------------------------------

#: The rule (an error) of a KPI naming a project that the portfolio does not hold.
KPI_PROJECT_LINK = "kpi-project-link"


def portfolio_of(kpi_path: str, config: Config) -> Path:
    """The records folder a KPI belongs to: the folder above its year's folder when it lies in
    ``<records>/<FY>/kpi/`` (wherever the command was run from), else the repository's."""
    path = Path(os.path.abspath(kpi_path))
    if path.parent.name == KPI_FOLDER and folder_fiscal_year(path.parent.parent.name) is not None:
        return path.parents[2]
    return config.records_dir


def portfolio_codes(folder: Path, config: Config) -> frozenset[str] | None:
    """The codes of the projects of the records folder ``folder``: the names of its record
    files (a record's file is named after its code: rule file-name) outside the kpi folders;
    None when there is no such folder to read them from."""
    from .repository import list_records

    if not folder.is_dir():
        return None
    entries = list_records([], replace(config, records_dir=folder))
    names = [entry.path_text for entry in entries if not entry.refused]
    return frozenset(stem for stem, parent in map(path_names, names) if parent != KPI_FOLDER)


def kpi_link_findings(kpis: Iterable[tuple[str, str, dict[str, Any], frozenset[str]]]) -> list[Finding]:
    """``kpi-project-link``: each (path, shown name, facts, codes of its portfolio) of a KPI
    (``kpi_facts``, or its "code" and "projects" alone; ``kpis`` may be made as they are asked
    for) naming a project code absent from those codes. Computed after the per-file checks from the
    portfolio's codes, never kept in a file's findings: deleting a project flags its KPIs on the
    next run. The file is read again only to find the line of a finding."""
    findings: list[Finding] = []
    for path, shown, facts, codes in kpis:
        absent = [
            (at, code) for at, code in enumerate(facts.get("projects", ()), start=1) if code not in codes
        ]
        if not absent:
            continue
        try:  # only for the line of a finding: the text is enough (no TOML reader is loaded)
            text: str | None = decode(read_record_bytes(path), path)
        except RecordError:
            text = None
        lines = index_lines(text) if text is not None else {}
        for at, code in absent:
            field = f"projects[{at}]"
            findings.append(
                Finding(
                    shown, line_of(text, field, lines) if text is not None else None, field, KPI_PROJECT_LINK,
                    Severity.ERROR,
                    _("KPI {kpi} names project {code}, which has no record in this repository").format(
                        kpi=facts.get("code", ""), code=code
                    ),
                )
            )  # fmt: skip
    return findings
