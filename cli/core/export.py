"""The portfolio as tables for analytical engines (DuckDB, Spark, BI tools): ``projledger export``.

One table per kind of row (``TABLES``), each written as Parquet, as a table of one SQLite
database, or as newline-delimited JSON. Every row carries the repository's name, the agency
code, the fiscal year and the record's path, so the exports of many repositories read together
never clash. Each table's columns are fixed by a schema file (``schemas/export/<table>.json``,
shipped in the wheel): the columns this code declares are checked against it before anything is
written, and an export whose table does not match is refused (``ExportSchemaError``). Adding a
column is allowed; renaming or removing one is a breaking change, so the export carries
``EXPORT_VERSION`` in its manifest (``export.json``; in SQLite also the ``_meta`` table).

Streaming and bounded: the records come one at a time through the index (``records``: one
query a file for what it keeps, a file read and checked only when it changed), each becomes the
rows of every table (``PRODUCERS``: one function per table, fed the record's facts), and rows are
written a bounded batch at a time (``VALUES``; a Parquet row group ``GROUP_VALUES``, a Parquet part
file ``PART_GROUPS`` row groups). Nothing holds every record. Parquet is encoded in a process of
its own (``WriterProcess``), so pyarrow never shares a process with the rows being made. The tables are written into a temporary folder beside the output and the
folder is swapped in at the end: never a half-written export.

Money and every other decimal are exact: Parquet ``DECIMAL(18,s)``, JSON numbers written from
the Decimal's digits, SQLite integers of the column's smallest unit (value × 10^scale: baht in
satang), because SQLite has no decimal type and sums text or REAL columns as binary floats.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from .config import Config
from .errors import ConflictError, InputError, ProjledgerError, UnsafePathError
from .i18n import _, os_problem
from .text import printable, storable, utf8_encodable

#: Bumped when a column is renamed or removed or changes type, or the files' layout changes
#: (adding a column is not a break). 2: each Parquet table is a folder of part files.
EXPORT_VERSION = 2
FORMATS = ("parquet", "sqlite", "ndjson")
#: The manifest every export holds; its ``generator`` marks a folder that export may replace.
MANIFEST = "export.json"
GENERATOR = "projledger export"
#: The SQLite export's one file; NDJSON writes ``<table>.ndjson``, Parquet a folder per table
#: of part files, ``<table>/part-00000.parquet``, ``part-00001.parquet``, ...
SQLITE_FILE = "projledger.sqlite"
PART = "part-{:05d}.parquet"
#: Row groups of a Parquet part file; the next group opens a new part. A Parquet writer keeps
#: every row group's metadata (each column chunk's offsets and statistics) until its file
#: closes, which grew the export by 0.8 MB a 1,000 records in one file per table; parts of 16
#: groups (43,680 rows of reports, 16,384 of status) bound it, and are the layout Spark,
#: DuckDB and Hive-style readers take (``read_parquet('exports/*/projects/*.parquet')``).
PART_GROUPS = 16
#: What the manifest says of the files' layout (version 2 changed Parquet's).
LAYOUTS = {
    "parquet": "a folder per table of part files, <table>/part-00000.parquet, ... (export version 2; "
    "version 1 wrote one <table>.parquet): read <table>/*.parquet",
    "sqlite": f"one database, {SQLITE_FILE}, a table per table",
    "ndjson": "a file per table, <table>.ndjson",
}
#: Values (rows x columns) of a table's Parquet row group, gathered as Arrow arrays: 32,768
#: (2,730 rows of reports; never under ``MIN_GROUP`` rows: 1,024 of status). Row groups of
#: 8,192 rows of every table held 25 MB more at 10,000 records while pyarrow encoded them.
GROUP_VALUES = 1 << 15
MIN_GROUP = 1024
#: Python values of a table held before they are handed to the writer (rows of a wide table:
#: fewer): a batch of 8,192 rows of status as Python objects took 25 MB.
VALUES = 1 << 13
MIN_BATCH = 64

TYPES = ("string", "int32", "bool", "date", "decimal(18,2)", "decimal(18,4)")


class ExportSchemaError(ProjledgerError):
    """A table's columns are not those of its schema file: a defect of this version, never the
    user's input; nothing is written."""

    exit_code = 3


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    nullable: bool = True

    @property
    def scale(self) -> int:
        found = re.fullmatch(r"decimal\((\d+),(\d+)\)", self.type)
        return int(found.group(2)) if found else 0


_c = Column  # short, for the tables below


MONEY, FIGURE = "decimal(18,2)", "decimal(18,4)"

#: What every row of every table begins with.
COMMON = (
    _c("repository", nullable=False),
    _c("agency_code"),
    _c("fiscal_year", "int32"),
    _c("path", nullable=False),
)

#: The columns of each table, as this version writes them (after ``COMMON``). The schema files
#: must say the same (``check_schemas``); README "### export" documents them.
TABLES: dict[str, tuple[Column, ...]] = {
    "projects": (
        _c("code", nullable=False), _c("name", nullable=False), _c("department", nullable=False),
        _c("start", "date", False), _c("end", "date", False), _c("budget", MONEY, False),
        _c("plan_ref"), _c("strategy_issue"), _c("format", "int32", False), _c("reports", "int32", False),
    ),
    "reports": (
        _c("code", nullable=False), _c("no", "int32", False), _c("date", "date", False),
        _c("progress", MONEY, False), _c("disbursed", MONEY, False), _c("plan_status", nullable=False),
        _c("target_status", nullable=False), _c("event"),
    ),
    "kpis": (
        _c("code", nullable=False), _c("number"), _c("name", nullable=False), _c("department", nullable=False),
        _c("category", nullable=False), _c("level", nullable=False), _c("unit", nullable=False),
        _c("target", FIGURE, False), _c("baseline", FIGURE), _c("direction", nullable=False),
        _c("definition"), _c("formula"), _c("data_source"), _c("strategy_issue"),
        _c("strategy_dimension"), _c("strategy_goal"), _c("projects"),
    ),
    "kpi_results": (
        _c("code", nullable=False), _c("quarter", "int32", False), _c("value", FIGURE, False),
        _c("date", "date"), _c("note"),
    ),
    "evaluations": (
        _c("code", nullable=False), _c("record_kind", nullable=False), _c("quarter", "int32", False),
        _c("score", FIGURE, False), _c("full_score", FIGURE, False), _c("date", "date", False),
        _c("evaluator", nullable=False), _c("note"),
    ),
    "budget_revisions": (
        _c("code", nullable=False), _c("date", "date", False), _c("budget", MONEY, False),
        _c("reference", nullable=False), _c("note"),
    ),
    "findings": (
        _c("line", "int32"), _c("column", "int32"), _c("field"), _c("rule", nullable=False),
        _c("severity", nullable=False), _c("message", nullable=False),
    ),
    "status": (
        _c("kind", nullable=False), _c("code", nullable=False), _c("name", nullable=False),
        _c("department", nullable=False), _c("as_of", "date", False), _c("state"),
        _c("start", "date"), _c("end", "date"), _c("latest_no", "int32"), _c("latest_date", "date"),
        _c("progress", MONEY), _c("expected", MONEY), _c("variance", MONEY), _c("plan_status"),
        _c("computed_plan_status"), _c("target_status"), _c("disbursed", MONEY), _c("budget", MONEY),
        _c("budget_in_force", MONEY), _c("disbursement_rate", MONEY), _c("disbursement_target", MONEY),
        _c("disbursement_gap", MONEY), _c("disbursed_q1", MONEY), _c("disbursed_q2", MONEY),
        _c("disbursed_q3", MONEY), _c("disbursed_q4", MONEY), _c("due", "int32"), _c("filed", "int32"),
        _c("overdue", "int32"), _c("late", "bool"), _c("unit"), _c("target", FIGURE), _c("direction"),
        _c("latest_quarter", "int32"), _c("latest_value", FIGURE), _c("percent_of_target", MONEY),
        _c("met", "bool"), _c("latest_score", FIGURE), _c("latest_full_score", FIGURE),
        _c("strategy_issue"), _c("number"), _c("category"), _c("level"), _c("value_q1", FIGURE),
        _c("value_q2", FIGURE), _c("value_q3", FIGURE), _c("value_q4", FIGURE),
    ),
}  # fmt: skip


def columns_of(table: str) -> tuple[Column, ...]:
    return COMMON + TABLES[table]


# --- the schema files ----------------------------------------------------------------------------


def schema_text(table: str) -> str:
    """A table's schema file as this version declares it (a test holds the shipped files to it)."""
    lines = [json.dumps({"name": c.name, "type": c.type, "nullable": c.nullable}) for c in columns_of(table)]
    return (
        f'{{\n  "table": {json.dumps(table)},\n  "export_version": {EXPORT_VERSION},\n  "columns": [\n    '
        + ",\n    ".join(lines)
        + "\n  ]\n}\n"
    )


def read_schema(table: str) -> list[Column]:
    """The columns the shipped schema file of ``table`` documents."""
    text = resources.files("projledger.schemas").joinpath("export", f"{table}.json").read_text("utf-8")
    data = json.loads(text)
    return [Column(c["name"], c["type"], bool(c["nullable"])) for c in data["columns"]]


def check_schemas(tables: Iterable[str] = TABLES) -> None:
    """Every table's declared columns are its schema file's, in order: else nothing is written."""
    for table in tables:
        try:
            documented = read_schema(table)
        except (OSError, ValueError, KeyError, TypeError) as error:
            problem = os_problem(error) if isinstance(error, OSError) else error
            message = _("the schema file of the table {table} cannot be read: {problem}")
            raise ExportSchemaError(message.format(table=table, problem=problem)) from None
        declared = list(columns_of(table))
        if declared != documented or any(c.type not in TYPES for c in declared):
            differ = [c.name for c in declared if c not in documented]
            differ += [c.name for c in documented if c not in declared]
            raise ExportSchemaError(
                _(
                    "the table {table} does not match its schema file (schemas/export/{table}.json): "
                    "columns {columns}; nothing was written"
                ).format(table=table, columns=", ".join(dict.fromkeys(differ)) or "(order)")
            )


# --- the records, one at a time through the index --------------------------------------------------


class Item(NamedTuple):
    """One record file: its path from the repository's root, its findings (as the index keeps
    them: JSON), its typed record made from the index's facts (None when the file is not a
    valid record), and its facts."""

    path: str
    findings: str
    record: Any
    facts: dict[str, Any] | None


def records(paths: list[Path], config: Config, checked_on: date) -> Generator[Item, None, None]:
    """Every record file under ``paths`` (default: the records folder), in the walk's order.

    A file the index knows unchanged is not read: its findings and facts come from the index,
    one query each; the others are read and checked (on several processes when there are many)
    and stored in the index a batch at a time. Nothing here holds every file's entry."""
    from . import index as ix

    store = ix.Index.open(config)
    try:
        # Two walks of the listing, holding one byte a file and the names of the files to read:
        # the first asks the index which files it knows unchanged (the others go to the pool of
        # processes, in order), the second yields each file as it comes, asking the index again
        # for a known one. Holding every file's name, stat and entry took 1 MB a 1,000 files.
        known = bytearray()  # 1: the index knows it unchanged; 0: to read; 2: refused
        for name, refused in _listing(paths, config):
            hit = not refused and store is not None and store.entry_of(
                os.path.abspath(name), ix.path_stat_key(name), checked_on
            ) is not None  # fmt: skip
            known.append(2 if refused else hit)
        racy_since = store.racy_since if store is not None else None
        # The files to read are named by a third walk as the pool asks for them, not held: at
        # 100,000 files their names alone weighed 12 MB. The checking code is imported by the
        # processes that check, not here: this process checks nothing (unless a file changes
        # between the walks) and holds pyarrow besides.
        sent: deque[str] = deque()  # the names the pool was given and has not answered yet

        def misses() -> Iterator[str]:
            for (name, _), was in zip(_listing(paths, config), known, strict=False):
                if was == 0:
                    sent.append(name)
                    yield name

        computed = ix.checked_in_order(
            misses(), config, checked_on, racy_since, ix.jobs_wanted(os.environ),
            count=known.count(0),
        )  # fmt: skip
        to_store: list[tuple[str, ix.Checked]] = []
        place = 0
        for place, (name, refused) in enumerate(_listing(paths, config), start=1):
            if place > len(known) or (known[place - 1] == 2) != bool(refused):
                raise _changed()
            shown = record_path(name, config)
            if refused:
                findings = json.dumps([[None, None, "path", "error", refused, None]], ensure_ascii=False)
                yield Item(shown, findings, None, None)
                continue
            entry = None
            if store and known[place - 1]:
                entry = store.entry_of(os.path.abspath(name), ix.path_stat_key(name), checked_on)
            if entry is None:  # not known; or changed since the first walk: checked here, alone
                if known[place - 1]:
                    checked = ix.check_path(name, config, checked_on, racy_since)
                else:
                    answer = next(computed, None)
                    if answer is None or sent.popleft() != name:  # the folder changed meanwhile
                        raise _changed()
                    checked = answer
                if store is not None:
                    to_store.append((os.path.abspath(name), checked))
                    if len(to_store) == 256:
                        store.store_many(to_store)
                        to_store = []
                entry = (checked.findings_json, checked.facts)
            findings, facts_text = entry
            facts = json.loads(facts_text) if facts_text else None
            record = None
            if facts is not None and ix.skip_reason(findings, True) is None:
                record = _from_facts(facts)
            yield Item(shown, findings, record, facts)
        if place != len(known):
            raise _changed()
        if store is not None:
            store.store_many(to_store)
    finally:
        if store is not None:
            store.close()


def _listing(paths: list[Path], config: Config) -> Iterator[tuple[str, str | None]]:
    """The record files under ``paths`` and why each is refused (None: it is not), walked
    anew at each call, in the order every command lists them."""
    from .repository import list_records

    for entry in list_records(paths, config):
        yield os.fspath(entry.path_text), entry.refused


def _changed() -> ConflictError:
    return ConflictError(
        _("record files were added or removed while the export read them; nothing was written: run it again")
    )


def _from_facts(facts: dict[str, Any]) -> Any:
    """The typed record the facts were kept of: the kind named by its ``kind`` (projects' facts
    name none: format 1 and format-2 projects alike)."""
    from .kinds import KINDS

    wanted = facts.get("kind", "project")
    for kind in KINDS.values():
        if kind.name == wanted and kind.from_facts is not None:
            return kind.from_facts(facts)
    return None


def record_path(name: str, config: Config) -> str:
    """A record's path from the repository's root, with '/' (what a reader of the tables looks up)."""
    where = os.path.abspath(name)
    try:
        shown = Path(where).relative_to(config.root).as_posix()
    except ValueError:
        shown = Path(name).as_posix()
    return printable(shown)


# --- one function per table: what rows a record gives -------------------------------------------------


@dataclass(frozen=True)
class Context:
    repository: str
    as_of: date
    config: Config


Row = tuple[Any, ...]
Producer = Callable[[Context, Item], Iterable[Row]]


def _project(item: Item) -> Any:
    from .record import Project

    return item.record if isinstance(item.record, Project) else None


def _common(ctx: Context, item: Item, of: Any) -> Row:
    """What every row begins with (``COMMON``); ``of``, the record or its status row, gives the
    agency code and the fiscal year."""
    return (ctx.repository, of.agency_code, of.fiscal_year, item.path)


def _each(ctx: Context, item: Item, record: Any, entries: str) -> Iterator[tuple[Row, Any]]:
    """Each of a record's ``entries`` (reports, results...) with what its row begins with:
    ``COMMON`` and the record's code. None when the item is not such a record."""
    if record is not None:
        start = (*_common(ctx, item, record), record.code)
        for entry in getattr(record, entries):
            yield start, entry


def project_rows(ctx: Context, item: Item) -> Iterator[Row]:
    project = _project(item)
    if project is None:
        return
    yield (
        *_common(ctx, item, project),
        project.code, project.name, project.agency.department, project.start, project.end,
        project.budget, project.plan_ref or None, project.strategy.get("issue") or None,
        (item.facts or {}).get("format", 1), len(project.reports),
    )  # fmt: skip


def report_rows(ctx: Context, item: Item) -> Iterator[Row]:
    for start, r in _each(ctx, item, _project(item), "reports"):
        yield (*start, r.no, r.date, r.progress, r.disbursed, r.plan_status, r.target_status, r.event)


_STATUS_NAMES = tuple(c.name for c in TABLES["status"])


def status_rows(ctx: Context, item: Item) -> Iterator[Row]:
    """A project's or a KPI's status row as of the day: the keys of ``status --format json``
    as its CSV spreads them (``tables.flat_values``), ``kind`` telling them apart, the other
    kind's columns None. The figures are those of ``portfolio.build_row`` /
    ``portfolio.build_kpi_row``: one home for % of target and met."""
    from .portfolio import build_kpi_row, build_row
    from .status import compute_status
    from .tables import flat_values

    project, kpi = _project(item), _kpi(item)
    row: Any
    if project is not None:
        row, kind = build_row(project, compute_status(project, ctx.as_of, ctx.config), item.path), "project"
    elif kpi is not None:
        row, kind = build_kpi_row(kpi, item.path, ctx.as_of), "kpi"
    else:
        return
    values = {**flat_values(row, kind), "kind": kind, "as_of": ctx.as_of}
    yield (*_common(ctx, item, row), *(values.get(name) for name in _STATUS_NAMES))


def finding_rows(ctx: Context, item: Item) -> Iterator[Row]:
    """Every finding of every file, valid or not (what ``validate`` says of it on the day)."""
    if item.findings == "[]":
        return
    facts = item.facts or {}
    code = facts.get("code") or Path(item.path).stem
    agency = code[:8] if re.fullmatch(r"[0-9]{8}", code[:8]) else None
    year = facts.get("fiscal_year")
    if not isinstance(year, int):
        from .record import folder_fiscal_year

        year = folder_fiscal_year(Path(item.path).parent.name)
    common = (ctx.repository, agency, year, item.path)
    for line, field, rule, severity, message, column in json.loads(item.findings):
        yield (*common, line, column, field or None, rule, severity, message)


# Format 2 (issue 20, DESIGN20.md): each is fed the typed KPI / format-2 project the index's
# facts make (``kpi.kpi_facts`` and ``portfolio.project_facts`` keep every text these tables
# carry), and yields its rows in the columns of ``TABLES``.


def _kpi(item: Item) -> Any:
    from .kpi import Kpi

    return item.record if isinstance(item.record, Kpi) else None


def kpi_rows(ctx: Context, item: Item) -> Iterator[Row]:
    """One row per KPI record (``records/<FY>/kpi/<code>.toml``); ``projects``: the codes of
    the projects it names, comma-separated (None when it names none)."""
    kpi = _kpi(item)
    if kpi is None:
        return
    strategy = kpi.strategy
    yield (
        *_common(ctx, item, kpi),
        kpi.code, kpi.number or None, kpi.name, kpi.agency.department, kpi.category, kpi.level,
        kpi.unit, kpi.target, kpi.baseline, kpi.direction, kpi.definition or None, kpi.formula or None,
        kpi.data_source or None, strategy.get("issue") or None, strategy.get("dimension") or None,
        strategy.get("goal") or None, ",".join(kpi.projects) or None,
    )  # fmt: skip


def kpi_result_rows(ctx: Context, item: Item) -> Iterator[Row]:
    """One row per ``[[results]]`` of a KPI."""
    for start, r in _each(ctx, item, _kpi(item), "results"):
        yield (*start, r.quarter, r.value, r.date, r.note or None)


def evaluation_rows(ctx: Context, item: Item) -> Iterator[Row]:
    """One row per ``[[evaluations]]`` of a format-2 project or a KPI (``record_kind``)."""
    record = _project(item) or _kpi(item)
    for start, e in _each(ctx, item, record, "evaluations"):
        yield (*start, record.kind, e.quarter, e.score, e.full_score, e.date, e.evaluator, e.note or None)


def budget_revision_rows(ctx: Context, item: Item) -> Iterator[Row]:
    """One row per ``[[budget_revisions]]`` of a format-2 project."""
    for start, r in _each(ctx, item, _project(item), "budget_revisions"):
        yield (*start, r.date, r.budget, r.reference, r.note or None)


PRODUCERS: dict[str, Producer] = {
    "projects": project_rows,
    "reports": report_rows,
    "kpis": kpi_rows,
    "kpi_results": kpi_result_rows,
    "evaluations": evaluation_rows,
    "budget_revisions": budget_revision_rows,
    "findings": finding_rows,
    "status": status_rows,
}


# --- writers -----------------------------------------------------------------------------------------


class Writer(Protocol):
    def begin(self, table: str, columns: Sequence[Column]) -> str: ...
    def write(self, table: str, rows: list[Row]) -> None: ...
    def finish(self) -> None: ...
    def abort(self) -> None: ...


def _exact(column: Column) -> Callable[[Any], Decimal]:
    """A value of a decimal column rounded to its scale (half up), as every format writes it."""
    quantum = Decimal(1).scaleb(-column.scale)
    return lambda value: Decimal(value).quantize(quantum, ROUND_HALF_UP)


def _check_rows(table: str, columns: Sequence[Column], rows: list[Row]) -> None:
    """Each row has the table's columns; each value its column's type (None where nullable)."""
    kinds: dict[str, tuple[type, ...]] = {
        "string": (str,), "int32": (int,), "bool": (bool,), "date": (date,),
        MONEY: (Decimal, int), FIGURE: (Decimal, int),
    }  # fmt: skip
    for row in rows:
        if len(row) != len(columns):
            message = _(
                "a row of the table {table} has {count} values for {columns} columns; nothing was written"
            )
            raise ExportSchemaError(message.format(table=table, count=len(row), columns=len(columns)))
        for value, column in zip(row, columns, strict=True):
            if value is None:
                ok = column.nullable
            else:
                wanted = kinds[column.type]
                ok = isinstance(value, wanted) and (column.type == "bool" or not isinstance(value, bool))
            if not ok:
                raise ExportSchemaError(
                    _(
                        "the column {column} of the table {table} is {type}, not {value}; nothing was written"
                    ).format(column=column.name, table=table, type=column.type, value=type(value).__name__)
                )


def require_pyarrow() -> None:
    """Refuse Parquet, by the option, where pyarrow is not installed (an optional extra)."""
    from importlib.util import find_spec

    if find_spec("pyarrow") is None:
        raise InputError(
            _("Parquet needs pyarrow: install projledger[parquet] (pip install 'projledger[parquet]')"),
            field="--format",
        )


class ParquetWriter:
    """A folder of Parquet part files per table (``PART_GROUPS`` row groups each), a row group
    per ``GROUP_VALUES`` values (pyarrow); ``bounds``: those two and ``MIN_GROUP`` as the
    process that makes the rows has them (the writer's own process is spawned: it reads none
    of that process's values)."""

    def __init__(self, folder: Path, bounds: tuple[int, int, int] | None = None) -> None:
        self.group_values, self.min_group, self.part_groups = bounds or (GROUP_VALUES, MIN_GROUP, PART_GROUPS)
        # The system allocator, not pyarrow's default (mimalloc), which kept 30 MB it no longer
        # used at 10,000 records (peak 131 MB against 104); read once, when pyarrow is first
        # imported, so it is set before that; a value the user set is kept.
        os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
        require_pyarrow()
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa, self.pq, self.folder = pa, pq, folder
        self.writers: dict[str, Any] = {}
        self.schemas: dict[str, Any] = {}
        self.columns: dict[str, list[Column]] = {}
        #: Each table's part files so far (names inside the export), and row groups in the last.
        self.parts: dict[str, list[str]] = {}
        self.groups: dict[str, int] = {}
        #: Each table's batches not yet written (a row group: ``GROUP_VALUES``).
        self.waiting: dict[str, list[Any]] = {}

    def _type(self, column: Column) -> Any:
        pa = self.pa
        if column.type.startswith("decimal"):
            return pa.decimal128(18, column.scale)
        plain = {"string": pa.string(), "int32": pa.int32(), "bool": pa.bool_(), "date": pa.date32()}
        return plain[column.type]

    def begin(self, table: str, columns: Sequence[Column]) -> str:
        pa = self.pa
        fields = [pa.field(c.name, self._type(c), nullable=c.nullable) for c in columns]
        self.schemas[table] = pa.schema(fields, metadata={"export_version": str(EXPORT_VERSION)})
        (self.folder / table).mkdir()
        self.columns[table] = list(columns)
        self.parts[table] = []
        self.waiting[table] = []
        self._open_part(table)  # an empty table is one part of no rows: its schema, for readers
        return f"{table}/"

    def _open_part(self, table: str) -> None:
        old = self.writers.pop(table, None)
        if old is not None:
            old.close()  # its metadata written and freed
        name = f"{table}/{PART.format(len(self.parts[table]))}"
        self.writers[table] = self.pq.ParquetWriter(
            self.folder / name, self.schemas[table], compression="zstd"
        )
        self.parts[table].append(name)
        self.groups[table] = 0

    def write(self, table: str, rows: list[Row]) -> None:
        pa = self.pa
        schema = self.schemas[table]
        arrays = []
        for i, column in enumerate(self.columns[table]):
            values = [row[i] for row in rows]
            if column.scale:
                exact = _exact(column)
                values = [None if v is None else exact(v) for v in values]
            arrays.append(pa.array(values, type=schema.field(i).type))
        self.waiting[table].append(pa.RecordBatch.from_arrays(arrays, schema=schema))
        if sum(batch.num_rows for batch in self.waiting[table]) >= max(
            self.min_group, self.group_values // len(self.columns[table])
        ):
            self._write_group(table)

    def _write_group(self, table: str) -> None:
        if self.waiting[table]:
            if self.groups[table] == self.part_groups:
                self._open_part(table)
            group = self.pa.Table.from_batches(self.waiting[table], schema=self.schemas[table])
            self.writers[table].write_table(group, row_group_size=group.num_rows)
            self.groups[table] += 1
        self.waiting[table] = []

    def finish(self) -> None:
        for table in list(self.writers):
            self._write_group(table)
            self.writers.pop(table).close()

    def abort(self) -> None:
        for writer in self.writers.values():
            with contextlib.suppress(Exception):
                writer.close()


class SqliteWriter:
    """One SQLite database, a table per table; every decimal an INTEGER of its smallest unit."""

    def __init__(self, folder: Path) -> None:
        import sqlite3

        self.con = sqlite3.connect(folder / SQLITE_FILE, isolation_level=None)
        self.con.execute("PRAGMA journal_mode=OFF")  # a new file in a folder swapped in whole
        self.con.execute("PRAGMA synchronous=OFF")
        self.con.execute("BEGIN")
        self.convert: dict[str, list[Callable[[Any], Any] | None]] = {}
        self.insert: dict[str, str] = {}

    @staticmethod
    def _declared(column: Column) -> str:
        declared = {"string": "TEXT", "int32": "INTEGER", "bool": "INTEGER", "date": "DATE"}
        return declared.get(column.type, "INTEGER") + ("" if column.nullable else " NOT NULL")

    @staticmethod
    def _converter(column: Column) -> Callable[[Any], Any] | None:
        if column.scale:
            exact, scale = _exact(column), column.scale
            return lambda value: None if value is None else int(exact(value).scaleb(scale))
        if column.type == "date":
            return lambda value: None if value is None else value.isoformat()
        if column.type == "bool":
            return lambda value: None if value is None else int(value)
        return None

    def begin(self, table: str, columns: Sequence[Column]) -> str:
        body = ", ".join(f'"{c.name}" {self._declared(c)}' for c in columns)
        self.con.execute(f'CREATE TABLE "{table}" ({body})')
        self.convert[table] = [self._converter(c) for c in columns]
        self.insert[table] = f'INSERT INTO "{table}" VALUES ({", ".join("?" * len(columns))})'
        return f"{SQLITE_FILE}#{table}"

    def write(self, table: str, rows: list[Row]) -> None:
        convert = self.convert[table]
        if any(convert):
            rows = [
                tuple(v if f is None else f(v) for f, v in zip(convert, row, strict=True)) for row in rows
            ]
        self.con.executemany(self.insert[table], rows)

    def meta(self, manifest: dict[str, Any]) -> None:
        self.con.execute("CREATE TABLE _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self.con.executemany(
            "INSERT INTO _meta VALUES (?, ?)",
            [
                (k, v if isinstance(v, str) else json.dumps(v, ensure_ascii=False))
                for k, v in manifest.items()
            ],
        )

    def finish(self) -> None:
        self.con.execute("COMMIT")
        self.con.close()

    def abort(self) -> None:
        self.con.close()


class NdjsonWriter:
    """A file of JSON lines per table: decimals as exact JSON numbers, dates as ISO text."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: dict[str, Any] = {}
        self.encode: dict[str, list[tuple[str, Callable[[Any], str]]]] = {}

    @staticmethod
    def _encoder(column: Column) -> Callable[[Any], str]:
        dumps = json.dumps
        if column.scale:
            exact = _exact(column)
            return lambda v: "null" if v is None else str(exact(v))
        if column.type == "date":
            return lambda v: "null" if v is None else f'"{v.isoformat()}"'
        return lambda v: dumps(v, ensure_ascii=False)

    def begin(self, table: str, columns: Sequence[Column]) -> str:
        name = f"{table}.ndjson"
        self.files[table] = open(self.folder / name, "w", encoding="utf-8", newline="\n")  # noqa: SIM115
        self.encode[table] = [(json.dumps(c.name) + ":", self._encoder(c)) for c in columns]
        return name

    def write(self, table: str, rows: list[Row]) -> None:
        encode = self.encode[table]
        lines = [
            "{" + ",".join(key + f(v) for (key, f), v in zip(encode, row, strict=True)) + "}\n"
            for row in rows
        ]
        self.files[table].write("".join(lines))

    def finish(self) -> None:
        for handle in self.files.values():
            handle.close()

    def abort(self) -> None:
        for handle in self.files.values():
            with contextlib.suppress(OSError):
                handle.close()


class WriterProcess:
    """A writer run in a process of its own, fed its rows over a pipe, for Parquet.

    pyarrow's libraries hold about 40 MB before the first row; in the process that also reads
    the records and makes the rows, that put a cold export of 100,000 records at 104 MB (the
    issue's bound is 100). Here the process that makes rows never imports pyarrow, and the one
    that encodes holds only its row groups; it encodes a batch while the next one is made. The
    child is started before any record is read; ``write`` does not wait for
    an answer (the pipe's buffer bounds what is on the way), and a failure in the child is
    raised here, as it was raised there, at the next call that waits. ``parts`` is the
    writer's, once finished.

    The process is spawned, never forked: a fork inherits whatever the caller holds, and in a
    caller that had loaded pyarrow itself (a program using projledger as a library, the test
    suite) the child ran pyarrow over a copy of its memory pools without their threads and
    crashed collecting garbage (2 of 4 runs of the suite). Spawning costs about 0.1 s."""

    def __init__(self, make: Callable[[Path], Writer], folder: Path) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.pipe, theirs = context.Pipe()
        self.process = context.Process(target=_serve_writer, args=(make, folder, theirs), daemon=True)
        self.process.start()
        theirs.close()
        self.parts: dict[str, list[str]] = {}
        self._call()  # the writer made, or why it could not be

    def _call(self, *request: Any) -> Any:
        if request:
            self.pipe.send(request)
        try:
            outcome, value = self.pipe.recv()
        except EOFError:  # the process died without a word (killed, out of memory)
            raise OSError(errno.EPIPE, os.strerror(errno.EPIPE)) from None
        if outcome == "raised":
            raise value
        return value

    def begin(self, table: str, columns: Sequence[Column]) -> str:
        return self._call("begin", table, columns)  # type: ignore[no-any-return]

    def write(self, table: str, rows: list[Row]) -> None:
        if self.pipe.poll():  # the child's failure raised as soon as it is known, not at finish
            self._call()
        self.pipe.send(("write", table, rows))

    def finish(self) -> None:
        self.parts = self._call("finish")
        self.process.join()

    def abort(self) -> None:
        self.process.kill()
        self.process.join()
        self.pipe.close()


def _serve_writer(make: Callable[[Path], Writer], folder: Path, pipe: Any) -> None:
    """The writer's process: each request done in order; the answer to ``begin`` and
    ``finish``, or the first failure (then it stops)."""
    try:
        writer = make(folder)
        pipe.send(("done", None))
        while True:
            verb, *args = pipe.recv()
            if verb == "write":
                writer.write(*args)
            elif verb == "begin":
                pipe.send(("done", writer.begin(*args)))
            else:  # finish
                writer.finish()
                pipe.send(("done", getattr(writer, "parts", {})))
                return
    except EOFError:  # the row-making process ended: nothing more will come
        return
    except BaseException as error:
        try:
            pipe.send(("raised", error))
        except Exception:
            pipe.send(("raised", RuntimeError(f"{type(error).__name__}: {error}")))


#: pyarrow's optional filesystems, which ``pyarrow.parquet`` imports where they were built in
#: and does without where not (as pyarrow's own builds without them do).
CLOUD_FILESYSTEMS = ("pyarrow._s3fs", "pyarrow._gcsfs", "pyarrow._azurefs", "pyarrow._hdfs")


def _local_parquet_writer(folder: Path, bounds: tuple[int, int, int] | None = None) -> Writer:
    """``ParquetWriter`` in the writer's own process, without pyarrow's cloud filesystems: the
    export writes local files, and S3's libraries alone weighed 3 to 8 MB there (measured). Only
    ever run in that process, which nothing else uses: pyarrow elsewhere is left whole."""
    for module in CLOUD_FILESYSTEMS:
        sys.modules.setdefault(module, None)  # type: ignore[arg-type]
    return ParquetWriter(folder, bounds)


def _parquet_writer(folder: Path) -> Writer:
    require_pyarrow()
    return WriterProcess(
        partial(_local_parquet_writer, bounds=(GROUP_VALUES, MIN_GROUP, PART_GROUPS)), folder
    )


WRITERS: dict[str, Callable[[Path], Writer]] = {
    "parquet": _parquet_writer,
    "sqlite": SqliteWriter,
    "ndjson": NdjsonWriter,
}


# --- the export --------------------------------------------------------------------------------------


@dataclass
class ExportResult:
    path: Path
    rows: dict[str, int]
    skipped: list[tuple[str, str]]


def check_output(out: Path, config: Config, cwd: Path) -> Path:
    """The resolved output folder, or a refusal: never the records, ``.git``, the repository or
    above (``outputs.plan_output``), nor a folder holding files that are not an export."""
    from .outputs import plan_output

    target = plan_output(out, config, cwd, folder=True).require().target
    for name, protected in (
        (_("the repository"), config.root.resolve()),
        (_("the working folder"), cwd.resolve()),
    ):
        if protected == target or protected.is_relative_to(target):
            message = _("is {name} or holds it; give the export a folder of its own, such as exports/{repo}")
            said = message.format(name=name, repo=config.repository_name)
            raise UnsafePathError(said, path=str(out), field="--output")
    if target.is_dir() and any(target.iterdir()) and not _is_export(target):
        message = _(
            "holds files that projledger export did not write (no {manifest} in it); "
            "choose another --output or empty that folder"
        )
        raise ConflictError(message.format(manifest=MANIFEST), path=str(out), field="--output")
    return target


def _is_export(folder: Path) -> bool:
    try:
        data = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("generator") == GENERATOR


def export(
    out: Path,
    output_format: str,
    paths: list[Path],
    config: Config,
    as_of: date,
    checked_on: date,
    cwd: Path,
    version: str,
    *,
    lock_beside: Path | None = None,
) -> ExportResult:
    """Write every table of the records under ``paths`` into ``out`` (see the module's doc).

    Exports into one folder queue on a lock (``store.locked``) beside ``lock_beside``, default
    the output itself; ``site --with-export`` gives the site's folder, so its lock file stays
    beside the site, never inside what is published. Under it, what killed exports left
    (``.DIR.tmp-*`` holding only an export's files) is removed first."""
    from .store import built_in, locked, swap_in

    check_schemas()
    target = check_output(out, config, cwd)
    target.parent.mkdir(parents=True, exist_ok=True)
    with locked(lock_beside or target, _("the export's folder")):
        target = check_output(out, config, cwd)
        clean_stray(target)
        folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        with built_in(
            folder, _("the export cannot be written: {problem}{what}; nothing was written"), str(out)
        ):
            writer = WRITERS[output_format](folder)
            try:
                items = records(paths, config, checked_on)
                result = _fill(writer, folder, output_format, config, as_of, version, items)
            except BaseException:
                writer.abort()
                raise
            folder.chmod(0o755)
            swap_in(folder, target)
    result.path = target
    return result


def _only_export_files(folder: Path) -> bool:
    """``folder`` holds nothing an export does not write: the manifest, its tables in each
    format, and in a table's folder (Parquet's) only Parquet parts."""
    names = set(os.listdir(folder))
    if not names <= {
        MANIFEST,
        SQLITE_FILE,
        f"{SQLITE_FILE}-journal",
        *TABLES,
        *(f"{t}.ndjson" for t in TABLES),
    }:
        return False
    for table in names & set(TABLES):
        inside = folder / table
        if inside.is_symlink() or not inside.is_dir():
            return False
        if not all(re.fullmatch(r"part-[0-9]{5}\.parquet", name) for name in os.listdir(inside)):
            return False
    return True


def clean_stray(target: Path) -> list[Path]:
    """Remove the temporary folders of exports into ``target`` that were killed (the site's
    ``clean_stray`` does the same for sites); call only under the export's lock, so none is
    another run's. A folder holding anything an export does not write is left as it is."""
    import glob

    removed = []
    for folder in target.parent.glob(f".{glob.escape(target.name)}.tmp-*"):
        if not folder.is_dir() or folder.is_symlink():
            continue
        with contextlib.suppress(OSError):  # gone meanwhile, or unreadable: left as it is
            if _only_export_files(folder):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


def _fill(
    writer: Writer, folder: Path, output_format: str, config: Config, as_of: date, version: str,
    items: Generator[Item, None, None],
) -> ExportResult:  # fmt: skip
    from .index import skip_reason
    from .portfolio import first_of_code

    files = {table: writer.begin(table, columns_of(table)) for table in TABLES}
    ctx = Context(config.repository_name, as_of, config)
    counts = dict.fromkeys(TABLES, 0)
    pending: dict[str, list[Row]] = {table: [] for table in TABLES}
    checked = set()
    skipped: list[tuple[str, str]] = []
    first: dict[str, str] = {}  # the first valid record file of each name (portfolio.first_of_code)

    limit = {table: max(MIN_BATCH, VALUES // len(columns_of(table))) for table in TABLES}

    def flush(table: str) -> None:
        rows, columns = pending[table], columns_of(table)
        # the first batch's every value; then each row's width
        if table not in checked or any(len(row) != len(columns) for row in rows):
            _check_rows(table, columns, rows)
            checked.add(table)
        writer.write(table, rows)
        counts[table] += len(rows)
        pending[table] = []

    try:
        for item in items:
            if item.record is not None and not first_of_code(first, item.path, str, skipped):
                item = item._replace(record=None)  # a second record of its code: its findings stay
            elif item.record is None:
                skipped.append((item.path, skip_reason(item.findings, False) or _("not a record")))
            # a non-UTF-8 name's lone surrogates (its path, or quoted in a finding: escaped in the
            # findings' JSON) as a terminal shows them: no format of the export holds them
            plain = utf8_encodable(item.path) and "\\ud" not in item.findings
            for table, produce in PRODUCERS.items():
                bucket = pending[table]
                made = produce(ctx, item)
                if not plain:
                    made = [tuple(storable(v) if type(v) is str else v for v in row) for row in made]
                bucket.extend(made)
                if len(bucket) >= limit[table]:
                    flush(table)
    finally:
        # the index's transaction ended: what was stored is kept, even on a failure
        items.close()
    for table in TABLES:
        if pending[table]:
            flush(table)

    def manifest() -> dict[str, Any]:
        parts: dict[str, list[str]] | None = getattr(writer, "parts", None)  # Parquet's, once finished
        return {
            "generator": GENERATOR,
            "export_version": EXPORT_VERSION,
            "projledger_version": version,
            "format": output_format,
            "repository": config.repository_name,
            "as_of": as_of.isoformat(),
            "layout": LAYOUTS[output_format],
            "decimals": "sqlite: integers of the smallest unit (value x 10^scale; baht in satang)"
            if output_format == "sqlite"
            else "exact",
            "tables": {
                table: {
                    "file": files[table],
                    **({"parts": parts[table]} if parts is not None else {}),
                    "rows": counts[table],
                    "schema": f"schemas/export/{table}.json",
                }
                for table in TABLES
            },
        }

    if isinstance(writer, SqliteWriter):
        writer.meta(manifest())
    writer.finish()  # Parquet's last row groups may open a last part: the manifest lists it
    (folder / MANIFEST).write_text(json.dumps(manifest(), ensure_ascii=False, indent=2) + "\n", "utf-8")
    return ExportResult(folder, counts, skipped)
