"""The kinds of record projledger reads, keyed by their ``format``: one registry.

A kind holds everything that differs from one record format to the next: the schema its
structure is checked against, how schema-valid data becomes a typed record, the rules checked
on that record, the facts the index keeps of it (and the record made back from them), and how
``show`` renders it. Format 1, the project record, is the first entry; a new kind is one more
``register(RecordKind(...))``. Every place that asks which formats exist asks here.

This module sits above records and rules (it imports them) and below checking and the
commands; renderers import their page builders only when called, so reading the registry
costs no template engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .config import Config
from .i18n import _
from .portfolio import project_facts, project_from_facts
from .record import Project
from .rules import RULES, Rule

#: ``show``'s renderer of one record: (record, config, day shown) -> the whole output.
Renderer = Callable[[Any, Config, date], str]


@dataclass(frozen=True)
class RecordKind:
    """One kind of record.

    ``schema_file``: a file name in the installed ``projledger/schemas`` folder, or a path.
    ``constructor``: schema-valid data -> the typed record the rules read, a ``record_type``.
    ``facts`` / ``from_facts``: the record -> the JSON-ready facts the index stores, and back
    (None where the index keeps no facts of this kind: it then reads the record).
    ``renderers``: ``show``'s output formats of this kind, by name.
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

    @property
    def day_rules(self) -> frozenset[str]:
        """The ids of this kind's rules whose findings depend on the day of the check."""
        return frozenset(rule.id for rule in self.rules if rule.reads_day)


#: Every kind, by format. Read it through the functions below; add to it with ``register``.
KINDS: dict[int, RecordKind] = {}


def register(kind: RecordKind) -> RecordKind:
    """Add ``kind``; a format already taken by another kind is a programming error."""
    known = KINDS.get(kind.format)
    if known is not None and known is not kind:
        raise ValueError(f"format {kind.format} is already the {known.name} record")
    KINDS[kind.format] = kind
    return kind


def kind_of(format_version: int) -> RecordKind:
    """The kind of ``format_version`` (one that ``format_problem`` passed)."""
    return KINDS[format_version]


def kind_of_record(record: object) -> RecordKind:
    """The kind of a typed record (what its kind's constructor made)."""
    return next(kind for kind in KINDS.values() if isinstance(record, kind.record_type))


def supported_formats() -> tuple[int, ...]:
    return tuple(sorted(KINDS))


def day_rules() -> frozenset[str]:
    """The ids of every kind's rules that read the day of the check: findings of these hold
    only for a range of days (the index keys them by day)."""
    return frozenset().union(*(kind.day_rules for kind in KINDS.values()))


def show_formats() -> tuple[str, ...]:
    """Every output format ``show`` has for some kind, in the order the kinds list them."""
    return tuple(dict.fromkeys(name for f in supported_formats() for name in KINDS[f].renderers))


def format_problem(data: dict[str, Any]) -> str | None:
    """Why ``data`` is not a record at all (validate's first verdict, rule ``format-version``):
    no ``format`` key, or a format this version does not read; None for a record. A TOML file
    that is no record (``projledger.toml``, ``.git/config``) stops here, before any other rule."""
    version = data.get("format")
    # type(): neither ``format = true`` nor ``format = 1.0`` is format 1, though both equal 1.
    if type(version) is int and version in KINDS:
        return None
    formats = supported_formats()
    if "format" in data:
        known = ", ".join(map(str, formats))
        return _(
            "format {version} is not a record format this version of projledger reads (it reads {known})"
        ).format(version=_spelled(version), known=known)
    return _("the required key 'format' is missing (write format = {format})").format(format=formats[-1])


def _spelled(value: Any) -> str:
    """A ``format`` value as the record spells it (``true``, ``1.0``), texts quoted."""
    if type(value) is bool:
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


# --- format 1: the project record -----------------------------------------------------------


def _project_text(project: Project, config: Config, day: date) -> str:
    from .form import build_form, render_text
    from .status import compute_status

    return render_text(build_form(project, compute_status(project, day, config))) + "\n"


def _project_html(project: Project, config: Config, day: date) -> str:
    from .pages import form_page
    from .status import compute_status

    return form_page(project, compute_status(project, day, config))


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
    )
)
