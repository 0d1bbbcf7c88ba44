"""A finding is a value: what is wrong or doubtful in one record, and exactly where.

Findings from every file are collected, sorted and rendered together, so one broken file never
hides the others (the way beancount and check-jsonschema treat errors).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: the file, the line (1-based, None when unknown), the field path such as
    ``reports[3].progress`` (reports counted from 1, as their ``no`` is), a stable rule id,
    the severity and a sentence a clerk understands."""

    path: str
    line: int | None
    field: str
    rule: str
    severity: Severity
    message: str
    column: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path, self.line or 0, self.column or 0, self.field, self.rule)

    def location(self) -> str:
        """``file:line:col`` as editors and terminals turn into a link."""
        text = self.path
        if self.line:
            text += f":{self.line}"
            if self.column:
                text += f":{self.column}"
        return text

    def one_line(self) -> str:
        field = f" {self.field}:" if self.field else ""
        return f"{self.location()}: {self.severity.value} [{self.rule}]{field} {self.message}"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data


def count(findings: list[Finding]) -> tuple[int, int]:
    """(errors, warnings)."""
    errors = sum(1 for f in findings if f.is_error)
    return errors, len(findings) - errors
