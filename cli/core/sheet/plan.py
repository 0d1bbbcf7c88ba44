"""Deciding what each row of a read sheet does to its record, with nothing written yet.

Each row is checked as its record would be after the append (``writing.append_report`` in
memory, sequentially when a record has several rows), so every rule of ``validate`` applies
and each bad cell is one ``CellFinding``: ``FILE:ROW:COLUMN: key: message``. A row whose report
number is already in the record is skipped when it says the same and refused when it differs,
so importing a sheet twice changes nothing. An empty row changes nothing; an empty disbursed
cell means "unchanged since the last report", as in ``add-report``. Records are looked up by
code (``repository.find_by_code``): an import reads only the records its rows name, never the
whole repository.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from ..calendar import check_day, date_style
from ..config import Config
from ..errors import ConflictError, ProjledgerError, RecordError, RefusedError, unreadable
from ..findings import Finding
from ..i18n import _
from ..record import decode, parse
from ..repository import find_by_code, is_code, is_kpi_code, misnamed_records, nearest_said, record_path
from ..text import nfc
from ..writing import (
    EvaluationInput,
    NewProject,
    ReportInput,
    ResultInput,
    Written,
    append_evaluation,
    append_report,
    append_result,
    build_report,
    new_record,
    new_record_data,
    percent_value,
)
from .columns import COLUMNS, SheetColumn, SheetKind
from .read import CellError, SheetRow, Table, convert


@dataclass(frozen=True)
class CellFinding:
    """What is wrong with one cell (or one row, at its code cell): ``FILE:ROW:COLUMN: key: message``."""

    row: int
    column: str
    key: str
    message: str
    severity: str = "error"

    def one_line(self, shown: str) -> str:
        kind = "" if self.severity == "error" else f"{self.severity}: "  # a key, as in validate's lines
        return f"{shown}:{self.row}:{self.column}: {kind}{self.key}: {self.message}"


Action = Literal["append", "identical", "empty", "failed", "new"]


@dataclass
class RowOutcome:
    row: int
    code: str
    action: Action
    block: str = ""
    no: int | None = None


@dataclass
class Change:
    """One record's planned new bytes, made from ``before`` by the rows in ``rows``."""

    path: Path
    shown: str
    code: str
    before: bytes | None
    after: bytes
    rows: list[int] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    #: What the write rewrites besides the additions (``Written.rewritten``), for the clerk.
    rewritten: list[str] = field(default_factory=list)


@dataclass
class Plan:
    kind: SheetKind
    outcomes: list[RowOutcome] = field(default_factory=list)
    findings: list[CellFinding] = field(default_factory=list)
    blank_rows: int = 0
    changes: dict[str, Change] = field(default_factory=dict)

    @property
    def errors(self) -> list[CellFinding]:
        return [f for f in self.findings if f.severity == "error"]

    def count(self, action: Action) -> int:
        found = sum(1 for o in self.outcomes if o.action == action)
        return found + self.blank_rows if action == "empty" else found


def plan_import(table: Table, config: Config, as_of: date, shown: Any = str) -> Plan:
    """What importing the table would do to each record, every row checked; nothing written."""
    plan = Plan(table.kind, blank_rows=table.blank_rows)
    columns = {c.key: c for c in COLUMNS[table.kind]}
    state = _State(config, as_of, shown, plan, table.letters)
    for row in table.rows:
        fill = [key for key in row.cells if columns[key].fill]
        if all(row.cells[key].empty for key in fill):
            plan.outcomes.append(RowOutcome(row.number, "", "empty"))
            continue
        values, bad = _read_row(row, columns, table.letters)
        code = values.get("code", "")
        if bad:
            plan.findings += bad
            plan.outcomes.append(RowOutcome(row.number, code, "failed"))
            continue
        # its messages quote dates as its first date cell was typed (2025-05-31 or 31/05/2568)
        typed = [
            c.value for k, c in row.cells.items() if columns[k].kind == "date" and isinstance(c.value, str)
        ]
        style = date_style(typed[0]) if typed else getattr(as_of, "style", "be")
        state.as_of = check_day(as_of, style=style, given=getattr(as_of, "given", False))
        read = {"quarter": state.quarter_row, "report": state.report_row, "new": state.new_row}[table.kind]
        plan.outcomes.append(read(row, values))
    return plan


def _read_row(
    row: SheetRow, columns: dict[str, SheetColumn], letters: dict[str, str]
) -> tuple[dict[str, Any], list[CellFinding]]:
    values: dict[str, Any] = {}
    bad: list[CellFinding] = []
    for key, cell in row.cells.items():
        column = columns[key]
        if not column.fill and key not in ("code", "no", "quarter"):
            continue  # context: shown to the clerk, never read back
        if cell.empty:
            if column.required:
                bad.append(CellFinding(row.number, letters[key], key, _("is empty; this column is required")))
            continue
        try:
            values[key] = convert(column, cell)
        except CellError as error:
            bad.append(CellFinding(row.number, letters[key], key, str(error)))
    return values, bad


@dataclass
class _Record:
    path: Path
    shown: str
    before: bytes | None
    current: bytes | None


class _State:
    """The records the rows touched so far, as they would be after the rows read until now."""

    def __init__(self, config: Config, as_of: date, shown: Any, plan: Plan, letters: dict[str, str]) -> None:
        self.config = config
        self.as_of = as_of
        self.shown = shown
        self.plan = plan
        self.letters = letters  # each key's column in the sheet
        self.records: dict[str, _Record | None] = {}

    @cached_property
    def misnamed(self) -> dict[str, Path]:
        return misnamed_records(self.config, self.as_of)

    def _fail(self, row: SheetRow, key: str, message: str) -> RowOutcome:
        key = key if key in self.letters else "code"
        self.plan.findings.append(CellFinding(row.number, self.letters[key], key, message))
        return RowOutcome(row.number, "", "failed")

    def _record(self, row: SheetRow, code: str, missing: str) -> _Record | RowOutcome:
        """The record of the row's code, or the row's failure: unreadable, or ``missing`` ({code}, {folder})."""
        try:
            record = self._lookup(code)
        except ProjledgerError as error:
            return self._fail(row, "code", error.message)
        if record is not None:
            return record
        said = missing.format(code=code, folder=self.config.records_dir) + nearest_said(code, self.config)
        return self._fail(row, "code", said)  # with the "did you mean" of add-report

    def _lookup(self, code: str) -> _Record | None:
        if code not in self.records:
            path = find_by_code(code, self.config)
            if path is None:
                self.records[code] = None
            else:
                try:
                    raw = path.read_bytes()
                except OSError as error:
                    raise unreadable(error, path) from None
                self.records[code] = _Record(path, self.shown(path), raw, raw)
        return self.records[code]

    def _code(self, row: SheetRow, values: dict[str, Any]) -> str | RowOutcome:
        code = values["code"]
        if not is_code(code, self.config):
            text = _("'{code}' is not a project code like 01000000-2475")
            return self._fail(row, "code", text.format(code=code))
        return str(code)

    def _appended(self, row: SheetRow, code: str, record: _Record, written: Written, prefix: str) -> None:
        """Keep what an append made of ``record`` for the rows after it, its warnings as the row's."""
        for warning in written.warnings:
            key = _key_of(warning.field, prefix)
            column = self.letters.get(key, self.letters["code"])
            self.plan.findings.append(CellFinding(row.number, column, key, warning.message, "warning"))
        record.current = written.content
        change = self.plan.changes.get(code)
        if change is None:
            change = self.plan.changes[code] = Change(
                record.path, record.shown, code, record.before, written.content
            )
        change.after = written.content
        if not change.rows or change.rows[-1] != row.number:  # a quarterly row may append two blocks
            change.rows.append(row.number)
        change.blocks.append(written.block)
        if written.rewritten:
            change.rewritten.append(written.rewritten)

    def _refused(self, row: SheetRow, error: ProjledgerError, prefix: str) -> RowOutcome:
        findings = [f for f in getattr(error, "findings", []) if isinstance(f, Finding)]
        if not findings:
            return self._fail(row, _key_of(error.field or "", prefix), error.message)
        seen: set[str] = set()
        for finding in findings:
            key = _key_of(finding.field, prefix)
            if key not in seen:  # one finding per cell, the first the checks gave
                seen.add(key)
                self._fail(row, key, finding.message)
        return RowOutcome(row.number, "", "failed")

    def report_row(self, row: SheetRow, values: dict[str, Any]) -> RowOutcome:
        code = self._code(row, values)
        if isinstance(code, RowOutcome):
            return code
        record = self._record(row, code, _("no record for project {code} under {folder}"))
        if isinstance(record, RowOutcome):
            return record
        assert record.current is not None
        number = values["no"]
        given = {
            key: values[key]
            for key in ("disbursed", "plan_status", "target_status", "event")
            if key in values
        }
        report = ReportInput(values["date"], values["progress"], values["note"], no=number, **given)
        if re.search(rb"^no = %d\r?$" % number, record.current, re.MULTILINE):
            # Most likely filed already (a second import): look before trying the append.
            there = self._filed(row, record, report)
            if there is not None:
                return there
        try:
            written = append_report(
                record.current, record.path, report, self.config, self.as_of, record.shown
            )
        except (RefusedError, RecordError, ConflictError) as error:
            # A report of this number already there makes every append fail (numbers must
            # increase), so the record is searched for it only then: a first import parses once.
            there = self._filed(row, record, report)
            return there if there is not None else self._refused(row, error, "reports")
        self._appended(row, code, record, written, "reports")
        return RowOutcome(row.number, code, "append", written.block, number)

    def _filed(self, row: SheetRow, record: _Record, report: ReportInput) -> RowOutcome | None:
        """Skip (identical) or refuse (different) a row whose report number the record holds."""
        assert record.current is not None
        try:
            data = parse(decode(record.current, record.shown), record.shown)
        except RecordError:
            return None  # append_report's own refusal says what is wrong with the file
        listed = data.get("reports")
        reports = [r for r in listed if isinstance(r, dict)] if isinstance(listed, list) else []
        for index, existing in enumerate(reports):
            if existing.get("no") == report.no:
                difference = _difference(report, existing, reports[:index])
                if difference is None:
                    return RowOutcome(row.number, str(data.get("code", "")), "identical", no=report.no)
                key, message = difference
                text = _(
                    "report {no} is already in {path} with {difference}; "
                    "nothing changed (fix the record with an editor if the sheet is right)"
                )
                return self._fail(row, key, text.format(no=report.no, path=record.shown, difference=message))
        return None

    def quarter_row(self, row: SheetRow, values: dict[str, Any]) -> RowOutcome:
        """A row of the quarterly sheet: the KPI's result of the quarter and/or the evaluation of
        the KPI or format-2 project, each appended through the one checked writer; a result or
        evaluation of that quarter already in the record is skipped when it says the same and
        refused when it differs."""
        code = str(values["code"])
        if not (is_kpi_code(code) or is_code(code, self.config)):
            text = _("'{code}' is neither a KPI code like 5026-2001 nor a project code")
            return self._fail(row, "code", text.format(code=code))
        quarter = values["quarter"]
        if not 1 <= quarter <= 4:
            return self._fail(row, "quarter", _("quarter {n} is not 1, 2, 3 or 4").format(n=quarter))
        record = self._record(row, code, _("no record for {code} under {folder}"))
        if isinstance(record, RowOutcome):
            return record
        wanted: list[tuple[str, Any]] = []
        if "value" in values:
            wanted.append(
                ("results", ResultInput(quarter, values["value"], values.get("date"), values.get("note", "")))
            )
        elif "date" in values or "note" in values:
            key = "date" if "date" in values else "note"
            return self._fail(row, key, _("a result's date or note is given without its value"))
        if "score" in values:
            if "evaluation_date" not in values:
                return self._fail(row, "evaluation_date", _("is empty; an evaluation needs its date"))
            wanted.append(("evaluations", EvaluationInput(
                quarter, values["score"], values["evaluation_date"], values.get("full_score")
            )))  # fmt: skip
        elif "full_score" in values or "evaluation_date" in values:
            key = "full_score" if "full_score" in values else "evaluation_date"
            return self._fail(row, key, _("an evaluation's full score or date is given without its score"))
        if not wanted:
            return RowOutcome(row.number, code, "empty")
        appended = False
        for table_name, given in wanted:
            there = self._quarter_there(row, record, table_name, given)
            if there == "identical":
                continue
            if there is not None:
                return there  # type: ignore[return-value]
            assert record.current is not None
            append = append_result if table_name == "results" else append_evaluation
            try:
                written = append(record.current, record.path, given, self.config, self.as_of, record.shown)
            except (RefusedError, RecordError, ConflictError) as error:
                if error.field in ("kind", "format"):  # this kind of record holds no such row
                    return self._fail(row, "value" if table_name == "results" else "score", error.message)
                return self._refused(row, error, table_name)
            self._appended(row, code, record, written, table_name)
            appended = True
        return RowOutcome(row.number, code, "append" if appended else "identical")

    def _quarter_there(
        self, row: SheetRow, record: _Record, table_name: str, given: Any
    ) -> RowOutcome | str | None:
        """None when the record holds no row of ``given``'s quarter in ``table_name``;
        ``"identical"`` when it holds the same; else the refusal of the row."""
        assert record.current is not None
        try:
            data = parse(decode(record.current, record.shown), record.shown)
        except RecordError:
            return None  # the append's own refusal says what is wrong with the file
        listed = data.get(table_name)
        for existing in listed if isinstance(listed, list) else []:
            if not isinstance(existing, dict) or existing.get("quarter") != given.quarter:
                continue
            if table_name == "results":
                pairs = [("value", given.value, existing.get("value")), ("date", given.date, existing.get("date")),
                         ("note", given.note.strip() or None, existing.get("note"))]  # fmt: skip
            else:
                full = given.full_score if given.full_score is not None else Decimal(100)
                pairs = [("score", given.score, existing.get("score")),
                         ("full_score", full, existing.get("full_score", 100)),
                         ("evaluation_date", given.date, existing.get("date"))]  # fmt: skip
            for key, mine, theirs in pairs:
                if not _same(mine, theirs):
                    shown_theirs = "none" if theirs is None else theirs
                    return self._fail(row, key, _(
                        "quarter {n} already has its {what} in {file} with {key} {there} (the sheet says "
                        "{mine}); nothing changed (fix the record with an editor if the sheet is right)"
                    ).format(n=given.quarter, what=_("result") if table_name == "results" else _("evaluation"),
                             file=record.shown, key=key, there=shown_theirs, mine="none" if mine is None else mine))  # fmt: skip
            return "identical"
        return None

    def new_row(self, row: SheetRow, values: dict[str, Any]) -> RowOutcome:
        code = self._code(row, values)
        if isinstance(code, RowOutcome):
            return code
        project = NewProject(
            code=code,
            **{k: values[k] for k in ("name", "fiscal_year", "start", "end", "budget", "department")},
            **{k: values.get(k, "") for k in ("division", "unit", "owner", "coordinator", "plan_ref")},
        )
        try:
            record = self._lookup(code)
            path = record.path if record else record_path(self.config, project.fiscal_year, code)
            if record is None and code in self.misnamed:  # a file of another name holds it: not twice
                text = _("project {code} already has a record: {path}")
                raise ConflictError(text.format(code=code, path=self.shown(self.misnamed[code])))
        except ProjledgerError as error:
            return self._fail(row, "code", error.message)
        if record is not None and record.current is not None:
            try:
                existing = parse(decode(record.current, record.shown), record.shown)
            except RecordError as error:
                return self._fail(row, "code", f"{record.shown}: {error.message}")
            wanted = new_record_data(project)
            agency_data = existing.get("agency")
            agency: dict[str, Any] = agency_data if isinstance(agency_data, dict) else {}
            pairs = [(key, wanted.get(key), existing.get(key)) for key in _NEW_RECORD_KEYS]
            pairs += [(key, value, agency.get(key)) for key, value in wanted["agency"].items()]
            for key, want, there in pairs:
                if not _same(want, there):
                    return self._fail(
                        row, key, _already(code, record, key, there, self.plan.changes.get(code))
                    )
            return RowOutcome(row.number, code, "identical")
        shown = self.shown(path)
        try:
            written = new_record(project, path, self.config, self.as_of, shown)
        except (RefusedError, RecordError, ConflictError) as error:
            return self._refused(row, error, "")
        self.records[code] = _Record(path, shown, None, written.content)
        block = written.content.decode("utf-8")  # its warnings are not made the row's findings
        self.plan.changes[code] = Change(path, shown, code, None, written.content, [row.number], [block])
        return RowOutcome(row.number, code, "new", block)


#: The top-level fields a registration row must agree on with the record already there.
_NEW_RECORD_KEYS = ("name", "plan_ref", "fiscal_year", "start", "end", "budget")


def _already(code: str, record: _Record, key: str, value: Any, change: Change | None) -> str:
    """A registration row at odds with its record: one on disk, or one an earlier row of this
    sheet registers (named by its row, since nothing is on disk yet)."""
    there = _("nothing") if value is None else f"'{value}'"
    if record.before is None and change is not None:
        text = _("project {code} is registered by row {row} of this sheet with {key} {value}")
        return text.format(code=code, row=change.rows[0], key=key, value=there)
    text = _("project {code} already has a record ({path}) with {key} {value}; nothing changed")
    return text.format(code=code, path=record.shown, key=key, value=there)


_NEW_KEYS = {f"agency.{key}": key for key in ("department", "division", "unit", "owner", "coordinator")}


def _same(mine: Any, theirs: Any) -> bool:
    """A typed cell and a stored value are the same: numbers compared as numbers, text as it is
    stored (NFC, without blanks around: ``writing._text``), whichever way either was typed."""
    if (
        isinstance(mine, Decimal)
        and isinstance(theirs, Decimal | int | float)
        and not isinstance(theirs, bool)
    ):
        return mine == Decimal(str(theirs))
    if isinstance(mine, str) and isinstance(theirs, str):
        return nfc(mine).strip() == nfc(theirs).strip()
    return bool(mine == theirs)


#: The quarterly sheet's key of a field of a result or an evaluation the checks name.
_QUARTER_KEYS = {("evaluations", "date"): "evaluation_date", ("evaluations", "note"): "code",
                 ("evaluations", "evaluator"): "code"}  # fmt: skip


def _key_of(field_path: str, prefix: str) -> str:
    """The sheet key a record finding's field names: ``reports[7].progress`` → ``progress``."""
    if prefix in ("results", "evaluations", "reports"):
        match = re.fullmatch(rf"{prefix}\[\d+\](?:\.([a-z_]+))?(?:\..*)?", field_path)
        if match is None:
            return "code"
        key = match.group(1) or ("no" if prefix == "reports" else "quarter")
        return _QUARTER_KEYS.get((prefix, key), key)
    return _NEW_KEYS.get(field_path, field_path.split(".")[0].split("[")[0] or "code")


def _difference(values: ReportInput, existing: dict[str, Any], previous: list[Any]) -> tuple[str, str] | None:
    """(key, what differs) between a row and the report of its number already filed, or None.

    Compared as stored: what the row would build on the reports before it. A plan status the
    row leaves empty was computed when it was filed, so it is not compared.
    """
    built = build_report(values, previous)
    keys = ["date", "progress", "disbursed", "target_status", "note", "event"]
    if values.plan_status is not None:
        keys.append("plan_status")
    for key in keys:
        mine, theirs = built.get(key), existing.get(key)
        if key == "progress" and isinstance(theirs, Decimal | int):
            theirs = percent_value(Decimal(theirs))
        if key == "disbursed" and isinstance(theirs, Decimal | int):
            theirs = Decimal(theirs).quantize(Decimal("0.01"))
        if not _same(mine, theirs):
            shown_theirs = _("none") if theirs is None else theirs
            return key, _("{key} {theirs} (the sheet says {mine})").format(
                key=key, theirs=shown_theirs, mine=_("none") if mine is None else mine
            )
    return None
