"""Reading a record file into exact values, and the typed project it describes.

Loading never lets a binary float in: TOML floats become ``Decimal``. It refuses, as a
``RecordError`` naming file and line, what cannot be a record at all: more than 1 MiB, not
UTF-8 (UTF-16 is named as such), NUL bytes, TOML syntax errors, nesting deep enough to
exhaust the parser's recursion, and ``nan``/``inf`` anywhere.

A document keeps its text next to its data, so a finding can find its line later, and the
``format`` key picks the record kind (core/kinds.py); format 1 is the project record below.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path, PurePath
from typing import Any, TypeVar

# toml-rs allocates with its own mimalloc, which by default keeps freed pages for a while: over
# thousands of records of different sizes a checking process held some 12 MB more than it used
# (a worker of a cold validate of 10,000 records peaked at 52 MB; with this, 38-41 MB, at the
# same CPU). And by default it commits its first arena whole as it loads, as huge pages where
# the system allows them: 5.4 MB resident for reading one record (1.6 MB without, at the same
# CPU). Read by mimalloc when the library loads, so set before it is imported; a value the
# user set is kept. The readers are imported when a record is first read: a process that reads
# none (a command whose pool reads them, or that reads the index alone) never loads them.
os.environ.setdefault("MIMALLOC_PURGE_DELAY", "0")
os.environ.setdefault("MIMALLOC_ARENA_EAGER_COMMIT", "0")

from .errors import RecordError, unreadable
from .i18n import _, toml_problem
from .locate import FieldKey, format_field, index_lines, line_of
from .text import bom_encoding

MAX_RECORD_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Document:
    """A parsed record file: its path as given (a str where a ``Path`` would only be made to be
    read: ``path_names`` reads both alike), its text, and its exact data."""

    path: Path | str
    text: str
    data: dict[str, Any]

    @cached_property
    def _lines(self) -> dict[FieldKey, int]:
        return index_lines(self.text)

    def line_of(self, field: str | FieldKey) -> int | None:
        return line_of(self.text, field, self._lines)


def decode(raw: bytes, path: Path | str) -> str:
    """Bytes to text: UTF-8, with or without a BOM; anything else is refused by name."""
    if len(raw) > MAX_RECORD_BYTES:
        raise RecordError(_("the file is over the 1 MiB limit for one record"), rule="too-large", path=path)
    if wide := bom_encoding(raw):
        message = _("the file is {encoding}; save it as UTF-8").format(encoding=wide)
        raise RecordError(message, rule="encoding", path=path, line=1)
    raw = raw.removeprefix(codecs.BOM_UTF8)
    if not raw or raw.isspace():  # (as ``not raw.strip()``, without a copy of the whole file)
        raise RecordError(_("the file is empty"), rule="empty", path=path, line=1)
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        message = _("the file holds NUL bytes: it is binary, not a TOML record")
        raise RecordError(message, rule="encoding", path=path, line=line)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise RecordError(
            _("the file is not UTF-8 text; save it as UTF-8"), rule="encoding", path=path, line=line
        ) from None


def parse(text: str, path: Path | str, raw: bytes | None = None) -> dict[str, Any]:
    """TOML 1.0 text to data with ``Decimal`` floats; syntax errors carry line and column.

    toml-rs reads it (TOML 1.0, each float's literal made an exact ``Decimal`` as it is read),
    except where it cannot be trusted: a text it refuses for any reason, a ``nan`` or ``inf``
    among its numbers, or with arrays and tables possibly nested deep enough to crash it, is
    read again by tomli, whose data, words and positions are the reference (toml-rs counts
    the column of a line holding Thai in bytes). ``raw`` is the text's UTF-8 bytes when the
    caller has them.
    """
    import toml_rs  # (after the allocator's setting above)

    raw = text.encode() if raw is None else raw
    # Nesting can never be deeper than the count of openings (real records hold about 30).
    if raw.count(b"[") + raw.count(b"{") < _NESTING_LIMIT and not _may_hold_long_number(raw):
        try:
            data: dict[str, Any] = toml_rs.loads(text, parse_float=_exact_number, toml_version="1.0.0")
            return data
        except Exception:  # any refusal (a syntax error, a non-finite number): tomli says why
            pass
    return _parse_exactly(text, path)


#: toml-rs crashes the process (a segfault) on arrays or tables nested some thousands deep, and
#: tomli refuses (RecursionError) what is nested some 400 openings deep: below this count both
#: read alike (tests/test_reader_differential.py).
_NESTING_LIMIT = 256

#: Bytes of a number literal (digits, underscores, hex, octal and binary ones).
_NUMBER_BYTES = frozenset(b"0123456789_abcdefABCDEFxob")
_SAMPLE_STEP = 1024


def _may_hold_long_number(raw: bytes) -> bool:
    """Whether ``raw`` may hold a number literal thousands of characters long: toml-rs reads an
    integer past Python's 4300-digit limit that tomli refuses. A run of 3,072 or more number
    bytes holds three samples ``_SAMPLE_STEP`` apart in a row, so every such run is found by
    looking at one byte in 1,024 (a false alarm only sends the text to tomli)."""
    in_a_row = 0
    for at in range(0, len(raw), _SAMPLE_STEP):
        if raw[at] in _NUMBER_BYTES:
            in_a_row += 1
            if in_a_row == 3:
                return True
        else:
            in_a_row = 0
    return False


def _exact_number(literal: str) -> Decimal:
    """A float's literal as toml-rs hands it over (``1_000.50``, ``nan``, ``-inf``), exactly."""
    number = Decimal(literal)
    if not number.is_finite():
        raise ValueError("not a finite number")  # read again by tomli, which names its field
    return number


def _parse_exactly(text: str, path: Path | str) -> dict[str, Any]:
    """tomli's reading of ``text``: its data, or a ``RecordError`` with its words and position."""
    import tomli

    def refused(message: str, line: int | None, column: int | None = None) -> RecordError:
        return RecordError(message, rule="toml-syntax", path=path, line=line, column=column)

    try:
        data = tomli.loads(text, parse_float=Decimal)
    except tomli.TOMLDecodeError as error:
        message = error.msg if hasattr(error, "msg") else str(error)
        problem = _("not valid TOML: {problem}").format(problem=toml_problem(message))
        raise refused(problem, getattr(error, "lineno", None), getattr(error, "colno", None)) from None
    except RecursionError:
        raise refused(_("not valid TOML: arrays or tables nested too deep to read"), 1) from None
    except ValueError:  # int() of a literal past Python's 4300-digit limit: no record number is that long
        line = next(
            (n for n, text_line in enumerate(text.splitlines(), 1) if _LONG_NUMBER.search(text_line)), 1
        )
        problem = _("a number with thousands of digits; no amount or count in a record is that long")
        raise refused(problem, line) from None
    reject_non_finite(data, text, path)
    return data


_LONG_NUMBER = re.compile(r"[0-9_]{4000}")


def reject_non_finite(data: Any, text: str, path: Path | str, where: tuple[str | int, ...] = ()) -> None:
    """``nan`` and ``inf`` are errors wherever they appear; checked before any schema sees them."""
    if isinstance(data, Decimal):
        if not data.is_finite():
            field_name = format_field(where)
            message = _("{value} is not a number a record may hold; write a real number").format(value=data)
            raise RecordError(
                message, rule="non-finite", path=path, line=line_of(text, field_name), field=field_name
            )
    elif isinstance(data, dict):
        for key, value in data.items():
            reject_non_finite(value, text, path, (*where, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            reject_non_finite(value, text, path, (*where, index))


class Seen:
    """What reading a record file saw, for a caller that keeps results by the file's stat: the
    stat of the file opened (taken before its bytes are read: a change made meanwhile shows in
    the next stat), and the bytes read (None when they could not be). (A plain class: a
    dataclass costs every run half a millisecond of import.)"""

    __slots__ = ("raw", "stat")

    def __init__(self) -> None:
        self.stat: os.stat_result | None = None
        self.raw: bytes | None = None


def read_document(path: Path | str, *, seen: Seen | None = None) -> Document:
    """Read, decode and parse one record file (``seen``: see ``Seen``)."""
    return document_from_bytes(read_record_bytes(path, seen), path)


def read_record_bytes(path: Path | str, seen: Seen | None = None) -> bytes:
    """The bytes of a regular file, never more than one past the size limit.

    A device (``/dev/zero``) or a FIFO named as a record would be read forever or block: only
    regular files are read, and a file that grows past the limit while read is cut there, so
    ``decode`` refuses it as too large without holding the rest in memory. ``seen`` gets the
    stat of the file opened and the bytes read (``Seen``).
    """
    try:
        # O_NONBLOCK: opening a FIFO would otherwise wait for a writer that never comes
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            st = os.fstat(fd)
            if seen is not None:
                seen.stat = st
            if not stat.S_ISREG(st.st_mode):
                raise RecordError(_("is not a regular file, so not a record"), rule="io", path=path)
            raw = read_at_most(fd, min(st.st_size, MAX_RECORD_BYTES) + 1, MAX_RECORD_BYTES + 1, st.st_size)
            if seen is not None:
                seen.raw = raw
            return raw
        finally:
            os.close(fd)
    except IsADirectoryError:
        raise RecordError(_("is a folder, not a record file"), rule="io", path=path) from None
    except OSError as error:
        raise unreadable(error, path) from None


def read_at_most(fd: int, expected: int, limit: int, size: int = -1) -> bytes:
    """Up to ``limit`` bytes of ``fd`` (a file, a pipe) to its end, in one read when ``expected``
    (the size, plus one to see the end) is right: a read that gives exactly ``size`` bytes (the
    size ``fstat`` gave) of the ``size + 1`` asked for met the end, and needs no second read to
    say so. (A buffered file's ``read(limit)`` would first set aside ``limit`` bytes: a mebibyte
    for every record.)"""
    data = os.read(fd, expected)
    if len(data) < expected and len(data) != size:
        parts = [data]
        got = len(data)
        while got < limit:
            more = os.read(fd, min(limit - got, 1 << 16))
            if not more:
                break
            parts.append(more)
            got += len(more)
        data = b"".join(parts)
    return data[:limit]


def document_from_bytes(raw: bytes, path: Path | str) -> Document:
    text = decode(raw, path)
    return Document(path=path, text=text, data=parse(text, path, raw.removeprefix(codecs.BOM_UTF8)))


def folder_fiscal_year(name: str) -> int | None:
    """The fiscal year a records folder is named after (``records/2568/``: four ASCII digits,
    not Thai ones), else None."""
    return int(name) if len(name) == 4 and name.isascii() and name.isdigit() else None


def path_names(path: Path | str) -> tuple[str, str]:
    """(stem, name of its folder) of ``path``, as ``PurePath(path).stem`` and ``.parent.name`` give
    them, without making a ``Path`` of a str on POSIX (parsing one costs about as much as every rule
    of a record together): the parts of a str are what its separators part, less empty and "."
    parts, as ``PurePosixPath`` reads them."""
    if isinstance(path, str) and os.sep == "/" and os.altsep is None:
        parts = [part for part in path.split("/") if part and part != "."]
        name, folder = (parts[-1] if parts else ""), (parts[-2] if len(parts) > 1 else "")
    else:
        pure = PurePath(path)
        name, folder = pure.name, pure.parent.name
    dot = name.rfind(".")
    return (name[:dot] if 0 < dot < len(name) - 1 else name), folder


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
class Evaluation:
    """One quarterly score given by the Strategy and Evaluation Department (สยป.), of a
    project (format 2) or a KPI; ``index`` is its 1-based place in the file."""

    index: int
    quarter: int
    score: Decimal
    date: date
    full_score: Decimal = Decimal(100)
    evaluator: str = "สยป."
    note: str = ""

    @property
    def field(self) -> str:
        return f"evaluations[{self.index}]"


@dataclass(frozen=True)
class BudgetRevision:
    """The budget in force from ``date`` on (งบประมาณหลังปรับโอน); ``index``: its 1-based place."""

    index: int
    date: date
    budget: Decimal
    reference: str
    note: str = ""

    @property
    def field(self) -> str:
        return f"budget_revisions[{self.index}]"


@dataclass(frozen=True)
class Project:
    """A project record that passed the schema, as typed values. ``format`` 1 or 2; only a
    format-2 project holds evaluations and budget revisions (empty for format 1)."""

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
    format: int = 1
    evaluations: tuple[Evaluation, ...] = ()
    budget_revisions: tuple[BudgetRevision, ...] = ()

    #: The record kind's name (``kind = "project"`` in format 2; implied in format 1).
    kind = "project"

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
        return _built(
            cls,
            code=data["code"],
            name=data["name"],
            fiscal_year=data["fiscal_year"],
            start=data["start"],
            end=data["end"],
            budget=_decimal(data["budget"]),
            agency=_agency(data["agency"]),
            plan_ref=data.get("plan_ref", ""),
            plan=tuple(map(_decimal, data.get("plan", ()))),
            rationale=details.get("rationale", ""),
            objectives=tuple(details.get("objectives", ())),
            targets=tuple(details.get("targets", ())),
            strategy=dict(data.get("strategy", {})),
            reports=_reports(data.get("reports", ())),
            format=data.get("format", 1),
            evaluations=evaluations(data["evaluations"]) if "evaluations" in data else (),
            budget_revisions=tuple(
                _built(BudgetRevision, index=index, date=r["date"], budget=_decimal(r["budget"]),
                       reference=r["reference"], note=r.get("note", ""))
                for index, r in enumerate(data["budget_revisions"], start=1)
            ) if "budget_revisions" in data else (),
        )  # fmt: skip


def evaluations(tables: list[dict[str, Any]]) -> tuple[Evaluation, ...]:
    """The ``[[evaluations]]`` of schema-valid data (a project's or a KPI's)."""
    return tuple(
        _built(Evaluation, index=index, quarter=e["quarter"], score=_decimal(e["score"]), date=e["date"],
               full_score=_decimal(e.get("full_score", 100)), evaluator=e.get("evaluator", "สยป."),
               note=e.get("note", ""))
        for index, e in enumerate(tables, start=1)
    )  # fmt: skip


#: An ``Agency``'s fields and their defaults, for ``_agency``.
_AGENCY_FIELDS = {name: getattr(Agency, name, None) for name in Agency.__dataclass_fields__}


def _agency(fields: dict[str, Any]) -> Agency:
    """``Agency(**fields)``, built as ``_built`` builds when ``fields`` names only its fields (as
    schema-valid data does); anything else is left to ``Agency`` to refuse."""
    if not fields.keys() <= _AGENCY_FIELDS.keys() or "department" not in fields:
        return Agency(**fields)
    return _built(Agency, **{**_AGENCY_FIELDS, **fields})


def _reports(reports: list[dict[str, Any]]) -> tuple[Report, ...]:
    """The reports of schema-valid data, built as ``_built`` builds (written out here: a record
    has a dozen, and each call and keyword dict saved shows over 10,000 records)."""
    built = []
    new = object.__new__
    for index, r in enumerate(reports, start=1):
        report = new(Report)
        report.__dict__.update(
            index=index,
            no=r["no"],
            date=r["date"],
            progress=_decimal(r["progress"]),
            disbursed=_decimal(r["disbursed"]),
            plan_status=r["plan_status"],
            target_status=r["target_status"],
            note=r["note"],
            event=r.get("event"),
        )
        built.append(report)
    return tuple(built)


_T = TypeVar("_T")


def _built(cls: type[_T], **fields: Any) -> _T:
    """``cls(**fields)`` for a frozen dataclass given every field: without the frozen
    ``__init__``'s ``object.__setattr__`` call per field (a quarter of the time; a Project and its
    reports are built for every record checked)."""
    instance = object.__new__(cls)
    instance.__dict__.update(fields)
    return instance


def _decimal(value: Any) -> Decimal:
    return value if type(value) is Decimal else Decimal(value)
