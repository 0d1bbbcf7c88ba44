"""The kinds of record projledger reads, keyed by (format, kind): one registry.

A kind holds everything that differs from one kind of record to the next: the schema its
structure is checked against, how schema-valid data becomes a typed record, the rules checked
on that record, the facts the index keeps of it (and the record made back from them), and how
``show`` renders it. Format 1 has no ``kind`` key and is always a project; format 2 requires
``kind = "project"`` or ``kind = "kpi"``. A new kind is one more ``register(RecordKind(...))``.
Every place that asks which formats and kinds exist asks here.

This module sits above records and rules (it imports them) and below checking and the
commands; renderers import their page builders only when called, so reading the registry
costs no template engine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .calendar import quarter_end
from .config import Config
from .i18n import _
from .kpi import Kpi, kpi_facts, kpi_from_facts
from .portfolio import project_facts, project_from_facts
from .record import Evaluation, Project
from .rules import RULES, Rule
from .rules_format2 import KPI_RULES, PROJECT_RULES_2
from .status import compute_status

#: ``show``'s renderer of one record: (record, config, day shown) -> the whole output.
Renderer = Callable[[Any, Config, date], str]


#: A kind's key in the registry: (format, name), ``(1, "project")`` for format 1.
KindKey = tuple[int, str]


@dataclass(frozen=True)
class RecordKind:
    """One kind of record.

    ``schema_file``: a file name in the installed ``projledger/schemas`` folder, or a path.
    ``constructor``: schema-valid data -> the typed record the rules read, a ``record_type``.
    ``facts`` / ``from_facts``: the record -> the JSON-ready facts the index stores, and back
    (None where the index keeps no facts of this kind: it then reads the record).
    ``renderers``: ``show``'s output formats of this kind, by name.
    ``named``: its records say ``kind = "<name>"`` (every format after 1); a format whose kind
    is not named holds that one kind alone (format 1 is the project record).
    ``days``: the record -> the days its day-reading rules compare with the day of the check
    (findings free of such rules on one day hold from the latest of these on: core/index.py).
    """

    format: int
    name: str
    schema_file: str | Path
    constructor: Callable[[dict[str, Any]], Any]
    record_type: type
    rules: tuple[Rule, ...]
    renderers: Mapping[str, Renderer] = field(default_factory=lambda: MappingProxyType({}))
    facts: Callable[[Any], dict[str, Any]] | None = None
    from_facts: Callable[[dict[str, Any]], Any] | None = None
    named: bool = True
    days: Callable[[Any], Iterable[date]] | None = None

    @property
    def key(self) -> KindKey:
        return (self.format, self.name)

    @property
    def day_rules(self) -> frozenset[str]:
        """The ids of this kind's rules whose findings depend on the day of the check."""
        return frozenset(rule.id for rule in self.rules if rule.reads_day)


#: Every kind, by (format, name). Read it through the functions below; add with ``register``.
KINDS: dict[KindKey, RecordKind] = {}


def register(kind: RecordKind) -> RecordKind:
    """Add ``kind``; a key already taken by another kind, or a second kind in a format whose
    kind is not named, is a programming error."""
    for known in KINDS.values():
        if known is kind:
            return kind
        if known.format == kind.format and (known.name == kind.name or not (known.named and kind.named)):
            raise ValueError(f"format {kind.format} is already the {known.name} record")
    KINDS[kind.key] = kind
    return kind


def kind_of(key: KindKey) -> RecordKind:
    """The kind of ``key`` (one that ``kind_key`` gave)."""
    return KINDS[key]


def kind_key(data: dict[str, Any]) -> KindKey | None:
    """The key of the kind of record ``data`` is, by its ``format`` (and ``kind`` where its
    format names kinds); None where ``record_problem`` has something to say."""
    version = data.get("format")
    if type(version) is not int:  # neither ``format = true`` nor ``format = 1.0`` is format 1
        return None
    name = data.get("kind")
    for kind in KINDS.values():
        if kind.format == version and (not kind.named or (type(name) is str and name == kind.name)):
            return kind.key
    return None


def kind_of_record(record: object) -> RecordKind:
    """The kind of a typed record (what its kind's constructor made)."""
    version = getattr(record, "format", None)
    return next(
        kind
        for kind in KINDS.values()
        if isinstance(record, kind.record_type) and version in (None, kind.format)
    )


def supported_formats() -> tuple[int, ...]:
    return tuple(sorted({kind.format for kind in KINDS.values()}))


def day_rules() -> frozenset[str]:
    """The ids of every kind's rules that read the day of the check: findings of these hold
    only for a range of days (the index keys them by day)."""
    return frozenset().union(*(kind.day_rules for kind in KINDS.values()))


def typed_date_rules() -> frozenset[str]:
    """The ids of every kind's rules whose messages show dates as typed (``Rule.shows_dates``):
    the index keeps their findings only when worded the plain way."""
    return frozenset(rule.id for kind in KINDS.values() for rule in kind.rules if rule.shows_dates)


def show_formats() -> tuple[str, ...]:
    """Every output format ``show`` has for some kind, in the order the kinds list them."""
    return tuple(dict.fromkeys(name for key in sorted(KINDS) for name in KINDS[key].renderers))


def record_problem(data: dict[str, Any]) -> tuple[str, str] | None:
    """(field, message) of why ``data`` is not a record at all (validate's first verdict, rule
    ``format-version``): no ``format`` key, a format this version does not read, or a format
    that names its kinds without a ``kind`` this version reads; None for a record. A TOML file
    that is no record (``projledger.toml``, ``.git/config``) stops here, before any other rule.
    A format this version does not read is said so, whatever else the file holds (never an
    "unknown key" of a later format)."""
    if kind_key(data) is not None:
        return None
    formats = supported_formats()
    version = data.get("format")
    if type(version) is int and version in formats:
        names = sorted(kind.name for kind in KINDS.values() if kind.format == version)
        choices = _(" or ").join(f'kind = "{name}"' for name in names)
        if "kind" not in data:
            return "format", _(
                "a format {version} record says its kind: write {choices} on the line after format = {version}"
            ).format(version=version, choices=choices)
        return "kind", _(
            "kind {kind} is not a kind of format {version} record this version of projledger reads; write {choices}"
        ).format(kind=_spelled(data["kind"]), version=version, choices=choices)
    if "format" in data:
        known = ", ".join(map(str, formats))
        return "format", _(
            "format {version} is not a record format this version of projledger reads (it reads {known})"
        ).format(version=_spelled(version), known=known)
    missing = _("the required key 'format' is missing (write format = {format})")
    # a record that names its kind is of a format whose records do (format 2); else the first
    named = [kind.format for kind in KINDS.values() if kind.named] if "kind" in data else []
    return "format", missing.format(format=min(named, default=formats[0]))


def _spelled(value: Any) -> str:
    """A ``format`` value as the record spells it (``true``, ``1.0``), texts quoted."""
    if type(value) is bool:
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


# --- format 1: the project record -----------------------------------------------------------


def _project_text(project: Project, config: Config, day: date) -> str:
    from .form import build_form, render_text

    return render_text(build_form(project, compute_status(project, day, config))) + "\n"


def _project_html(project: Project, config: Config, day: date) -> str:
    from .pages import form_page

    return form_page(project, compute_status(project, day, config))


def _kpi_page(html: bool, kpi: Kpi, config: Config, day: date) -> str:
    """A KPI's page, HTML or text (``kpi_views``, imported as it is shown; it needs no config)."""
    from .kpi_views import kpi_html, kpi_text

    return (kpi_html if html else kpi_text)(kpi, day)


def _project_days(project: Project) -> Iterator[date]:
    yield from (report.date for report in project.reports)
    yield from _evaluation_days(project.evaluations, project.fiscal_year)


def _kpi_days(kpi: Kpi) -> Iterator[date]:
    yield from (result.date for result in kpi.results if result.date is not None)
    yield from _evaluation_days(kpi.evaluations, kpi.fiscal_year)


def _evaluation_days(evaluations: tuple[Evaluation, ...], fiscal_year: int) -> Iterator[date]:
    for evaluation in evaluations:
        yield evaluation.date
        yield quarter_end(fiscal_year, evaluation.quarter)  # evaluation-early reads the day


PROJECT = register(
    RecordKind(
        format=1,
        name="project",
        schema_file="project.schema.json",
        constructor=Project.from_data,
        record_type=Project,
        rules=RULES,
        renderers=MappingProxyType({"text": _project_text, "html": _project_html}),
        facts=project_facts,
        from_facts=project_from_facts,
        named=False,
        days=_project_days,
    )
)

# --- format 2: the project record with evaluations and budget revisions, and the KPI ---------

PROJECT_2 = register(replace(PROJECT, format=2, rules=RULES + PROJECT_RULES_2, named=True))

KPI = register(
    RecordKind(
        format=2,
        name="kpi",
        schema_file="kpi.schema.json",
        constructor=Kpi.from_data,
        record_type=Kpi,
        rules=KPI_RULES,
        renderers=MappingProxyType({"text": partial(_kpi_page, False), "html": partial(_kpi_page, True)}),
        facts=kpi_facts,
        from_facts=kpi_from_facts,
        days=_kpi_days,
    )
)
