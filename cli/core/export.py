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
written ``BATCH`` at a time (a Parquet row group, one ``executemany``, lines of JSON). Nothing
holds every record. The tables are written into a temporary folder beside the output and the
folder is swapped in at the end: never a half-written export.

Money and every other decimal are exact: Parquet ``DECIMAL(18,s)``, JSON numbers written from
the Decimal's digits, SQLite integers of the column's smallest unit (value × 10^scale: baht in
satang), because SQLite has no decimal type and sums text or REAL columns as binary floats.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from .config import Config
from .errors import ConflictError, InputError, ProjledgerError, UnsafePathError
from .i18n import _, os_problem
from .text import printable

#: Bumped when a column is renamed or removed or changes type (adding one is not a break).
EXPORT_VERSION = 1
FORMATS = ("parquet", "sqlite", "ndjson")
#: The manifest every export holds; its ``generator`` marks a folder that export may replace.
MANIFEST = "export.json"
GENERATOR = "projledger export"
#: The SQLite export's one file; Parquet and NDJSON write ``<table>.parquet`` / ``<table>.ndjson``.
SQLITE_FILE = "projledger.sqlite"
#: Rows of a table gathered before they are written (a Parquet row group).
BATCH = 8192

TYPES = ("string", "int32", "bool", "date", "decimal(18,2)", "decimal(18,4)")


class ExportSchemaError(ProjledgerError):
    """A table's columns are not those of its schema file: a defect of this version, never the
    user's input; nothing is written."""

    exit_code = 3


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True

    @property
    def scale(self) -> int:
        found = re.fullmatch(r"decimal\((\d+),(\d+)\)", self.type)
        return int(found.group(2)) if found else 0


def _c(name: str, type_: str = "string", nullable: bool = True) -> Column:
    return Column(name, type_, nullable)


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
            raise ExportSchemaError(
                _("the schema file of the table {table} cannot be read: {problem}").format(
                    table=table, problem=os_problem(error) if isinstance(error, OSError) else error
                )
            ) from None
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


def records(
    paths: list[Path], config: Config, checked_on: date, *, environ: Any = os.environ
) -> Iterator[Item]:
    """Every record file under ``paths`` (default: the records folder), in the walk's order.

    A file the index knows unchanged is not read: its findings and facts come from the index,
    one query each; the others are read and checked (on several processes when there are many)
    and stored in the index a batch at a time. Nothing here holds every file's entry."""
    from . import index as ix

    store = ix.Index.open(config, environ)
    try:
        found = ix.scan(paths, config)
        known: list[tuple[str, str | None] | None] = []
        misses: list[str] = []
        for name, refused, stat in found.files:
            entry = store.entry_of(os.path.abspath(name), stat, checked_on) if store and not refused else None
            known.append(entry)
            if entry is None and not refused:
                misses.append(name)
        racy_since = store.racy_since if store is not None else None
        computed = ix.checked_in_order(misses, config, checked_on, racy_since, ix.jobs_wanted(environ))
        del misses
        to_store: list[tuple[str, ix.Checked]] = []
        for (name, refused, _stat), entry in zip(found.files, known, strict=True):
            shown = record_path(name, config)
            if refused:
                yield Item(shown, _refusal(refused), None, None)
                continue
            if entry is None:
                checked = next(computed)
                if store is not None:
                    to_store.append((os.path.abspath(name), checked))
                    if len(to_store) == 256:
                        store.store_many(to_store)
                        to_store = []
                findings, facts_text = checked.findings_json, checked.facts
            else:
                findings, facts_text = entry
            facts = json.loads(facts_text) if facts_text else None
            record = None
            if facts is not None and ix.skip_reason(findings, True) is None:
                record = _from_facts(facts)
            yield Item(shown, findings, record, facts)
        if store is not None:
            store.store_many(to_store)
    finally:
        if store is not None:
            store.close()


def _refusal(reason: str) -> str:
    return json.dumps([[None, None, "path", "error", reason, None]], ensure_ascii=False)


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


def _common(ctx: Context, item: Item, agency_code: str | None, fiscal_year: int | None) -> Row:
    return (ctx.repository, agency_code, fiscal_year, item.path)


def project_rows(ctx: Context, item: Item) -> Iterator[Row]:
    project = _project(item)
    if project is None:
        return
    yield (
        *_common(ctx, item, project.agency_code, project.fiscal_year),
        project.code, project.name, project.agency.department, project.start, project.end,
        project.budget, project.plan_ref or None, project.strategy.get("issue") or None,
        (item.facts or {}).get("format", 1), len(project.reports),
    )  # fmt: skip


def report_rows(ctx: Context, item: Item) -> Iterator[Row]:
    project = _project(item)
    if project is None:
        return
    common = _common(ctx, item, project.agency_code, project.fiscal_year)
    for r in project.reports:
        yield (*common, project.code, r.no, r.date, r.progress, r.disbursed, r.plan_status,
               r.target_status, r.event)  # fmt: skip


def status_rows(ctx: Context, item: Item) -> Iterator[Row]:
    """A project's status row as of the day (the keys of ``status --format json``); a KPI's
    row (its KPI columns filled, the project ones None) is added here with format 2."""
    from .portfolio import build_row
    from .status import compute_status

    project = _project(item)
    if project is None:
        return
    row = build_row(project, compute_status(project, ctx.as_of, ctx.config), item.path)
    quarters = (*row.disbursed_by_quarter, None, None, None, None)[:4]
    yield (
        *_common(ctx, item, row.agency_code, row.fiscal_year),
        "project", row.code, row.name, row.department, row.as_of, row.state, row.start, row.end,
        row.latest_no, row.latest_date, row.progress, row.expected, row.variance, row.plan_status,
        row.computed_plan_status, row.target_status, row.disbursed, row.budget,
        getattr(row, "budget_in_force", row.budget), row.disbursement_rate, row.disbursement_target,
        row.disbursement_gap, *quarters, row.due, row.filed, row.overdue, row.late,
        None, None, None, None, None, None, None,
        getattr(row, "latest_score", None), getattr(row, "latest_full_score", None),
    )  # fmt: skip


def finding_rows(ctx: Context, item: Item) -> Iterator[Row]:
    """Every finding of every file, valid or not (what ``validate`` says of it on the day)."""
    if item.findings == "[]":
        return
    facts = item.facts or {}
    code = facts.get("code") or Path(item.path).stem
    agency = code[:8] if re.fullmatch(r"[0-9]{8}", code[:8]) else None
    year = facts.get("fiscal_year")
    if not isinstance(year, int):
        folder = Path(item.path).parent.name
        year = int(folder) if folder.isascii() and folder.isdigit() and len(folder) == 4 else None
    common = _common(ctx, item, agency, year)
    for line, field, rule, severity, message, column in json.loads(item.findings):
        yield (*common, line, column, field or None, rule, severity, message)


# Format 2 (issue 20, DESIGN20.md): each is fed the typed KPI / format-2 project the index's
# facts make, and yields its rows in the columns of ``TABLES``. Until those records exist they
# give no row: the tables are written empty, with their types.


def kpi_rows(ctx: Context, item: Item) -> Iterator[Row]:
    """One row per KPI record (``records/<FY>/kpi/<code>.toml``)."""
    return iter(())


def kpi_result_rows(ctx: Context, item: Item) -> Iterator[Row]:
    """One row per ``[[results]]`` of a KPI."""
    return iter(())


def evaluation_rows(ctx: Context, item: Item) -> Iterator[Row]:
    """One row per ``[[evaluations]]`` of a format-2 project or a KPI (``record_kind``)."""
    return iter(())


def budget_revision_rows(ctx: Context, item: Item) -> Iterator[Row]:
    """One row per ``[[budget_revisions]]`` of a format-2 project."""
    return iter(())


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


def _quantum(column: Column) -> Decimal:
    return Decimal(1).scaleb(-column.scale)


def _check_rows(table: str, columns: Sequence[Column], rows: list[Row]) -> None:
    """Each row has the table's columns; each value its column's type (None where nullable)."""
    kinds: dict[str, tuple[type, ...]] = {
        "string": (str,), "int32": (int,), "bool": (bool,), "date": (date,),
        MONEY: (Decimal, int), FIGURE: (Decimal, int),
    }  # fmt: skip
    for row in rows:
        if len(row) != len(columns):
            raise ExportSchemaError(
                _(
                    "a row of the table {table} has {count} values for {columns} columns; nothing was written"
                ).format(table=table, count=len(row), columns=len(columns))
            )
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


class ParquetWriter:
    """A Parquet file per table, a row group per batch (pyarrow)."""

    def __init__(self, folder: Path) -> None:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise InputError(
                _("Parquet needs pyarrow: install projledger[parquet] (pip install 'projledger[parquet]')"),
                field="--format",
            ) from None
        self.pa, self.pq, self.folder = pa, pq, folder
        self.writers: dict[str, Any] = {}
        self.types: dict[str, list[Any]] = {}

    def _type(self, column: Column) -> Any:
        pa = self.pa
        if column.type.startswith("decimal"):
            return pa.decimal128(18, column.scale)
        return {"string": pa.string(), "int32": pa.int32(), "bool": pa.bool_(), "date": pa.date32()}[
            column.type
        ]

    def begin(self, table: str, columns: Sequence[Column]) -> str:
        pa = self.pa
        fields = [pa.field(c.name, self._type(c), nullable=c.nullable) for c in columns]
        schema = pa.schema(fields, metadata={"export_version": str(EXPORT_VERSION)})
        name = f"{table}.parquet"
        self.writers[table] = self.pq.ParquetWriter(self.folder / name, schema, compression="zstd")
        self.columns = getattr(self, "columns", {})
        self.columns[table] = list(columns)
        return name

    def write(self, table: str, rows: list[Row]) -> None:
        pa = self.pa
        writer = self.writers[table]
        arrays = []
        for i, column in enumerate(self.columns[table]):
            values = [row[i] for row in rows]
            if column.scale:
                quantum = _quantum(column)
                values = [None if v is None else Decimal(v).quantize(quantum, ROUND_HALF_UP) for v in values]
            arrays.append(pa.array(values, type=writer.schema.field(i).type))
        writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=writer.schema))

    def finish(self) -> None:
        for writer in self.writers.values():
            writer.close()

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
            quantum, scale = _quantum(column), column.scale

            def units(value: Any) -> Any:
                if value is None:
                    return None
                return int(Decimal(value).quantize(quantum, ROUND_HALF_UP).scaleb(scale))

            return units
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
            quantum = _quantum(column)
            return lambda v: "null" if v is None else str(Decimal(v).quantize(quantum, ROUND_HALF_UP))
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


WRITERS: dict[str, Callable[[Path], Writer]] = {
    "parquet": ParquetWriter,
    "sqlite": SqliteWriter,
    "ndjson": NdjsonWriter,
}


# --- the export --------------------------------------------------------------------------------------


@dataclass
class ExportResult:
    path: Path
    rows: dict[str, int]
    files: dict[str, str]
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
            raise UnsafePathError(
                _(
                    "is {name} or holds it; give the export a folder of its own, such as exports/{repo}"
                ).format(name=name, repo=config.repository_name),
                path=str(out),
                field="--output",
            )
    if target.is_dir() and any(target.iterdir()) and not _is_export(target):
        raise ConflictError(
            _(
                "holds files that projledger export did not write (no {manifest} in it); "
                "choose another --output or empty that folder"
            ).format(manifest=MANIFEST),
            path=str(out),
            field="--output",
        )
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
    environ: Any = os.environ,
    source: Iterable[Item] | None = None,
) -> ExportResult:
    """Write every table of the records under ``paths`` into ``out`` (see the module's doc)."""
    from .store import locked, swap_in

    check_schemas()
    target = check_output(out, config, cwd)
    target.parent.mkdir(parents=True, exist_ok=True)
    with locked(target, _("the export's folder")):
        target = check_output(out, config, cwd)
        folder = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
        try:
            result = _write(folder, output_format, paths, config, as_of, checked_on, version, environ, source)
            folder.chmod(0o755)
            swap_in(folder, target)
        except BaseException as error:
            shutil.rmtree(folder, ignore_errors=True)
            if isinstance(error, OSError) and not isinstance(error, ProjledgerError):
                what = f" ({error.filename})" if error.filename else ""
                raise InputError(
                    _("the export cannot be written: {problem}{what}; nothing was written").format(
                        problem=os_problem(error), what=what
                    ),
                    path=str(out),
                    field="--output",
                ) from None
            raise
    result.path = target
    return result


def _write(
    folder: Path, output_format: str, paths: list[Path], config: Config, as_of: date, checked_on: date,
    version: str, environ: Any, source: Iterable[Item] | None,
) -> ExportResult:  # fmt: skip
    writer = WRITERS[output_format](folder)
    files: dict[str, str] = {}
    try:
        for table in TABLES:
            files[table] = writer.begin(table, columns_of(table))
        return _fill(writer, folder, output_format, paths, config, as_of, checked_on, version, environ, source,
                     files)  # fmt: skip
    except BaseException:
        writer.abort()
        raise


def _fill(
    writer: Writer, folder: Path, output_format: str, paths: list[Path], config: Config, as_of: date,
    checked_on: date, version: str, environ: Any, source: Iterable[Item] | None, files: dict[str, str],
) -> ExportResult:  # fmt: skip
    ctx = Context(config.repository_name, as_of, config)
    counts = dict.fromkeys(TABLES, 0)
    pending: dict[str, list[Row]] = {table: [] for table in TABLES}
    checked = set()
    skipped: list[tuple[str, str]] = []

    def flush(table: str) -> None:
        rows = pending[table]
        if table not in checked:  # the first batch's every value; then each row's width
            _check_rows(table, columns_of(table), rows)
            checked.add(table)
        else:
            width = len(columns_of(table))
            if any(len(row) != width for row in rows):
                _check_rows(table, columns_of(table), rows)
        writer.write(table, rows)
        counts[table] += len(rows)
        pending[table] = []

    items = source if source is not None else records(paths, config, checked_on, environ=environ)
    stream = iter(items)
    try:
        for item in stream:
            if item.record is None:
                skipped.append((item.path, _first_error(item.findings)))
            for table, produce in PRODUCERS.items():
                bucket = pending[table]
                bucket.extend(produce(ctx, item))
                if len(bucket) >= BATCH:
                    flush(table)
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()  # the index's transaction: what was stored is kept, even on a failure
    for table in TABLES:
        if pending[table]:
            flush(table)
    manifest = {
        "generator": GENERATOR,
        "export_version": EXPORT_VERSION,
        "projledger_version": version,
        "format": output_format,
        "repository": config.repository_name,
        "as_of": as_of.isoformat(),
        "decimals": "sqlite: integers of the smallest unit (value x 10^scale; baht in satang)"
        if output_format == "sqlite"
        else "exact",
        "tables": {
            table: {"file": files[table], "rows": counts[table], "schema": f"schemas/export/{table}.json"}
            for table in TABLES
        },
    }
    if isinstance(writer, SqliteWriter):
        writer.meta(manifest)
    writer.finish()
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return ExportResult(folder, counts, files, skipped)


def _first_error(findings: str) -> str:
    from .index import skip_reason

    return skip_reason(findings, False) or _("not a record")
