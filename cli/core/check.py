"""Checking records: structure against the schema, then every rule, into findings.

What a record's kind has (its schema, its typed record, its rules) comes from the registry of
record kinds (core/kinds.py), by the record's ``format``: nothing here names a format.
One file's failure is one more finding, never an exception that stops the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from .config import Config
from .errors import RecordError
from .findings import Finding, Severity
from .i18n import _
from .kinds import KindKey, kind_key, kind_of, record_problem
from .locate import format_field
from .record import Document, Project, Seen, read_document
from .rules import RuleContext
from .schema import Problem, check_structure


@dataclass(frozen=True)
class FileResult:
    """What checking one file found; ``record`` is the typed record of its kind (a ``Project``,
    a ``Kpi``), None when the file could not be read as one."""

    path: str
    findings: tuple[Finding, ...]
    record: Any
    #: The record the rules ran on: ``record``, or what the schema left of an unusable one
    #: (``_salvaged``); None when no rule ran. Its dates bound the days its findings hold for.
    ruled: Any = None

    @property
    def project(self) -> Project | None:
        """The record when it is a project (format 1 or 2), else None."""
        return self.record if isinstance(self.record, Project) else None

    @property
    def ok(self) -> bool:
        return not any(f.is_error for f in self.findings)

    def require_project(self, advice: str) -> Project:
        """The project of a valid record; else ``RecordError`` naming the first error (file,
        line, field) followed by ``advice``: how every command that needs one says so."""
        record = self.require_record(advice)
        if not isinstance(record, Project):
            message = _("not a project record ({advice})").format(advice=advice)
            raise RecordError(message, rule="format-version", path=self.path)
        return record

    def require_record(self, advice: str) -> Any:
        """The typed record of a valid record of any kind; else as ``require_project`` says."""
        first = next((f for f in self.findings if f.is_error), None)
        if self.record is not None and first is None:
            return self.record
        if first is None:
            raise RecordError(_("not a record ({advice})").format(advice=advice), rule="io", path=self.path)
        raise RecordError(
            f"{first.message} ({advice})", rule=first.rule, path=first.path, line=first.line,
            field=first.field or None,
        )  # fmt: skip


def check_document(
    document: Document, config: Config, as_of: date, shown_as: str | None = None
) -> FileResult:
    shown = shown_as if shown_as is not None else str(document.path)
    problem = record_problem(document.data)
    if problem is not None:
        where, message = problem
        line = document.line_of(where) or document.line_of("format") or 1
        finding = Finding(shown, line, where, "format-version", Severity.ERROR, message)
        return FileResult(shown, (finding,), None)
    version = kind_key(document.data)
    assert version is not None
    kind = kind_of(version)
    problems = check_structure(document.data, version)
    findings = [
        Finding(
            shown, document.line_of(format_field(where)), format_field(where), rule, Severity.ERROR, message
        )
        for where, rule, message in problems
    ]
    if findings:
        # The rules run anyway on what is sound, so one run says every mistake it can (an
        # unknown key does not hide a BE year typed as Gregorian); the record stays unusable.
        salvaged = _salvaged(document.data, problems, version)
        ruled = None if salvaged is None else kind.constructor(salvaged)
        if salvaged is not None:
            partial = Document(path=document.path, text=document.text, data=salvaged)
            findings += _rule_findings(kind, partial, ruled, config, as_of, shown)
        return FileResult(shown, tuple(sorted(findings, key=Finding.sort_key)), None, ruled)
    record = kind.constructor(document.data)
    findings += _rule_findings(kind, document, record, config, as_of, shown)
    return FileResult(shown, tuple(sorted(findings, key=Finding.sort_key)), record, record)


def _rule_findings(
    kind: Any, document: Document, record: Any, config: Config, as_of: date, shown: str
) -> list[Finding]:
    context = RuleContext(document, record, config, as_of)
    return [
        Finding(shown, document.line_of(field), field, rule.id, rule.severity, message)
        for rule in kind.rules
        for field, message in rule.check(context)
    ]


def _salvaged(data: dict[str, Any], problems: list[Problem], version: KindKey) -> dict[str, Any] | None:
    """``data`` without the keys the schema refused, when what is left passes it (every
    problem was an unknown key, or an optional field of the wrong type or value, dropped);
    else None: a required field is wrong, so no typed record can be made to run the rules on.

    An item of a list (a plan's month, a whole report) is never dropped: that would shift the
    items after it, and the rules would name the wrong report. Nothing of ``data`` is changed:
    the tables and lists on the way to a dropped key are copied.
    """
    salvaged = dict(data)
    for where, _rule, _message in problems:
        if not where or isinstance(where[-1], int):
            return None
        parent: Any = salvaged
        for part in where[:-1]:
            child = parent[part] if isinstance(parent, list) and isinstance(part, int) else None
            if isinstance(parent, dict):
                child = parent.get(part)
            if isinstance(child, dict):
                child = dict(child)
            elif isinstance(child, list):
                child = list(child)
            else:
                return None
            parent[part] = child
            parent = child
        if not isinstance(parent, dict):
            return None
        parent.pop(where[-1], None)
    if check_structure(salvaged, version):
        return None  # what is left still breaks the schema (a required field was the problem)
    return salvaged


def check_data(
    data: dict[str, Any], text: str, path: Path, config: Config, as_of: date, shown_as: str | None = None
) -> FileResult:
    """Check a record not yet on disk (what a write is about to store)."""
    return check_document(Document(path=path, text=text, data=data), config, as_of, shown_as)


def check_file(
    path: Path | str, config: Config, as_of: date, shown_as: str | None = None, *, seen: Seen | None = None
) -> FileResult:
    """Read and check one file; ``seen`` gets the stat and bytes of what was read
    (``record.Seen``)."""
    shown = shown_as if shown_as is not None else str(path)
    try:
        document = read_document(path, seen=seen)
    except RecordError as error:
        return FileResult(shown, (finding_from_error(error, shown),), None)
    return check_document(document, config, as_of, shown)


def finding_from_error(error: RecordError, shown: str) -> Finding:
    return Finding(
        shown, error.line, error.field or "", error.rule, Severity.ERROR, error.message, error.column
    )
