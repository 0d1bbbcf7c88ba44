"""Reading a record file into exact values, and the typed project it describes.

Loading never lets a binary float in: TOML floats become ``Decimal``. It refuses, as a
``RecordError`` naming file and line, what cannot be a record at all: more than 1 MiB, not
UTF-8 (UTF-16 is named as such), NUL bytes, TOML syntax errors, nesting deep enough to
exhaust the parser's recursion, and ``nan``/``inf`` anywhere.

A document keeps its text next to its data, so a finding can find its line later, and the
``format`` key picks the record kind; format 1 is the project record below.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import tomli

from .errors import RecordError
from .locate import FieldKey, format_field, index_lines, line_of

MAX_RECORD_BYTES = 1024 * 1024
SUPPORTED_FORMATS = (1,)


@dataclass(frozen=True)
class Document:
    """A parsed record file: its path as given, its text, and its exact data."""

    path: Path
    text: str
    data: dict[str, Any]

    @cached_property
    def _lines(self) -> dict[FieldKey, int]:
        return index_lines(self.text)

    def line_of(self, field: str | FieldKey) -> int | None:
        return line_of(self.text, field, self._lines)

    @property
    def format(self) -> object:
        return self.data.get("format")


def decode(raw: bytes, path: Path | str) -> str:
    """Bytes to text: UTF-8, with or without a BOM; anything else is refused by name."""
    if len(raw) > MAX_RECORD_BYTES:
        raise RecordError(
            f"the file is {len(raw):,} bytes, over the 1 MiB limit for one record",
            rule="too-large", path=path,
        )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise RecordError("the file is UTF-16; save it as UTF-8", rule="encoding", path=path, line=1)
    raw = raw.removeprefix(codecs.BOM_UTF8)
    if not raw.strip():
        raise RecordError("the file is empty", rule="empty", path=path, line=1)
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise RecordError("the file holds NUL bytes: it is binary, not a TOML record",
                          rule="encoding", path=path, line=line)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise RecordError("the file is not UTF-8 text; save it as UTF-8",
                          rule="encoding", path=path, line=line) from None


def parse(text: str, path: Path | str) -> dict[str, Any]:
    """TOML 1.0 text to data with ``Decimal`` floats; syntax errors carry line and column."""
    try:
        data = tomli.loads(text, parse_float=Decimal)
    except tomli.TOMLDecodeError as error:
        message = error.msg if hasattr(error, "msg") else str(error)
        raise RecordError(
            f"not valid TOML: {message}", rule="toml-syntax", path=path,
            line=getattr(error, "lineno", None), column=getattr(error, "colno", None),
        ) from None
    except RecursionError:
        raise RecordError("not valid TOML: arrays or tables nested too deep to read",
                          rule="toml-syntax", path=path, line=1) from None
    reject_non_finite(data, text, path)
    return data


def reject_non_finite(data: Any, text: str, path: Path | str, where: tuple[str | int, ...] = ()) -> None:
    """``nan`` and ``inf`` are errors wherever they appear; checked before any schema sees them."""
    if isinstance(data, Decimal):
        if not data.is_finite():
            field_name = format_field(where)
            raise RecordError(
                f"{data} is not a number a record may hold; write a real number",
                rule="non-finite", path=path, line=line_of(text, field_name), field=field_name,
            )
    elif isinstance(data, dict):
        for key, value in data.items():
            reject_non_finite(value, text, path, (*where, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            reject_non_finite(value, text, path, (*where, index))


def read_document(path: Path) -> Document:
    """Read, decode and parse one record file."""
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise RecordError("is a folder, not a record file", rule="io", path=path) from None
    except OSError as error:
        raise RecordError(f"cannot be read: {error.strerror}", rule="io", path=path) from None
    return document_from_bytes(raw, path)


def document_from_bytes(raw: bytes, path: Path) -> Document:
    text = decode(raw, path)
    return Document(path=path, text=text, data=parse(text, path))


# --- the project record (format 1) -------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """One monthly report as stored; ``index`` is its 1-based place in the file."""

    index: int
    no: int
    date: date
    progress: Decimal
    disbursed: Decimal
    plan_status: str
    target_status: str
    note: str
    event: str | None = None

    @property
    def field(self) -> str:
        return f"reports[{self.index}]"


@dataclass(frozen=True)
class Agency:
    department: str
    division: str = ""
    unit: str = ""
    owner: str = ""
    coordinator: str = ""
    phone: str = ""
    budget_unit: str = ""

    def joined(self) -> str:
        """The form's ``department / division / unit``."""
        return " / ".join(part for part in (self.department, self.division, self.unit) if part)


@dataclass(frozen=True)
class Project:
    """A project record that passed the schema, as typed values."""

    code: str
    name: str
    fiscal_year: int
    start: date
    end: date
    budget: Decimal
    agency: Agency
    plan_ref: str = ""
    plan: tuple[Decimal, ...] = ()
    rationale: str = ""
    objectives: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    strategy: dict[str, str] = field(default_factory=dict)
    reports: tuple[Report, ...] = ()

    @property
    def agency_code(self) -> str:
        """The first 8 digits of the code name the agency."""
        return self.code[:8]

    @property
    def latest(self) -> Report | None:
        return self.reports[-1] if self.reports else None

    def reports_until(self, day: date) -> tuple[Report, ...]:
        """The reports filed on or before ``day``: what was known then."""
        return tuple(r for r in self.reports if r.date <= day)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Project:
        """Build from schema-valid data (the schema guarantees keys and types)."""
        details = data.get("details", {})
        return cls(
            code=data["code"],
            name=data["name"],
            fiscal_year=data["fiscal_year"],
            start=data["start"],
            end=data["end"],
            budget=Decimal(data["budget"]),
            agency=Agency(**data["agency"]),
            plan_ref=data.get("plan_ref", ""),
            plan=tuple(Decimal(p) for p in data.get("plan", ())),
            rationale=details.get("rationale", ""),
            objectives=tuple(details.get("objectives", ())),
            targets=tuple(details.get("targets", ())),
            strategy=dict(data.get("strategy", {})),
            reports=tuple(
                Report(
                    index=i,
                    no=r["no"],
                    date=r["date"],
                    progress=Decimal(r["progress"]),
                    disbursed=Decimal(r["disbursed"]),
                    plan_status=r["plan_status"],
                    target_status=r["target_status"],
                    note=r["note"],
                    event=r.get("event"),
                )
                for i, r in enumerate(data.get("reports", ()), start=1)
            ),
        )
