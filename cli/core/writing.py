"""What ``new`` and ``add-report`` write, built and checked before anything touches a file.

Pure functions: they take typed values (already parsed from what the clerk typed) and the
current bytes of a record, and return the exact bytes to store, or raise ``RefusedError`` when
the record with the change would break a rule. ``store.update`` runs them under the record's
lock and does the only I/O.

Text typed by a person is stored in Unicode NFC (``text.nfc``), so the same Thai word is the
same bytes whichever keyboard typed it. Money is quantized to satang (0.01).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from .check import FileResult, check_data
from .config import Config
from .errors import RecordError, RefusedError
from .findings import Finding
from .i18n import _, ngettext
from .layout import (
    KPI_SCHEMA_FILE,
    comments,
    given,
    line_ending,
    render_block,
    render_record,
    schema_line,
    with_line_ending,
)
from .money import quantize_money, typed_number
from .record import Document, Project, decode, parse
from .status import computed_status_of
from .text import nfc

#: The format ``new`` writes: the current one (format 2, its kind on the line after it).
RECORD_FORMAT = 2


@dataclass(frozen=True)
class NewProject:
    """The typed values of a new project record."""

    code: str
    name: str
    fiscal_year: int
    start: date
    end: date
    budget: Decimal
    department: str
    division: str = ""
    unit: str = ""
    owner: str = ""
    coordinator: str = ""
    plan_ref: str = ""


@dataclass(frozen=True)
class ReportInput:
    """The typed values of one report to append; None means "the default"."""

    date: date
    progress: Decimal
    note: str
    disbursed: Decimal | None = None
    plan_status: str | None = None
    target_status: str = "on_target"
    event: str | None = None
    no: int | None = None


@dataclass(frozen=True)
class Written:
    """The bytes to store, and what checking them found (warnings only: errors refuse)."""

    content: bytes
    record: Any  # the typed record written: a Project, a Kpi
    warnings: tuple[Finding, ...] = ()
    report: dict[str, Any] = field(default_factory=dict)
    block: str = ""
    #: What was rewritten besides the addition (the reports' spelling), for the clerk; "" if nothing.
    rewritten: str = ""


def new_record_data(values: NewProject) -> dict[str, Any]:
    """A new project record's data, in canonical key order; empty optional fields left out."""
    data: dict[str, Any] = {
        "format": RECORD_FORMAT,
        "kind": "project",
        "code": values.code,
        "name": _text(values.name),
    }
    data |= given(plan_ref=_text(values.plan_ref))
    data.update(
        fiscal_year=values.fiscal_year,
        start=values.start,
        end=values.end,
        budget=quantize_money(values.budget),
    )
    details = {key: _text(getattr(values, key)) for key in ("division", "unit", "owner", "coordinator")}
    data["agency"] = {"department": _text(values.department), **given(**details)}
    return data


def new_record(values: NewProject, path: Path, config: Config, as_of: date, shown: str) -> Written:
    """The bytes of a new record at ``path``, checked; refuses what would not validate."""
    data = new_record_data(values)
    text = render_record(data, schema_line(path, config.root))
    result = check_data(data, text, path, config, as_of, shown)
    refuse_errors(result)
    assert result.project is not None
    return Written(text.encode("utf-8"), result.project, _warnings(result, ""))


@dataclass(frozen=True)
class NewKpi:
    """The typed values of a new KPI record (DESIGN20's KPI keys); "" and None mean "leave out"."""

    code: str
    name: str
    fiscal_year: int
    department: str
    unit: str
    target: Decimal
    category: str = "routine"
    level: str = "output"
    direction: str | None = None
    baseline: Decimal | None = None
    number: str = ""
    projects: tuple[str, ...] = ()


def new_kpi_data(values: NewKpi) -> dict[str, Any]:
    """A new KPI record's data, in canonical key order; empty optional fields left out."""
    data: dict[str, Any] = {"format": RECORD_FORMAT, "kind": "kpi", "code": values.code}
    data |= given(number=_text(values.number))
    data.update(
        name=_text(values.name),
        fiscal_year=values.fiscal_year,
        category=values.category,
        level=values.level,
        unit=_text(values.unit),
        target=typed_number(values.target),
    )
    baseline = None if values.baseline is None else typed_number(values.baseline)
    data |= given(
        baseline=baseline, direction=values.direction, projects=list(dict.fromkeys(values.projects))
    )
    data["agency"] = {"department": _text(values.department)}
    return data


def new_kpi_record(values: NewKpi, path: Path, config: Config, as_of: date, shown: str) -> Written:
    """The bytes of a new KPI record at ``path`` (``#:schema`` of the KPI schema), checked;
    refuses what would not validate (a project named that has no record: ``kpi-project-link``)."""
    from .kpi import kpi_facts, kpi_link_findings, portfolio_codes, portfolio_of

    data = new_kpi_data(values)
    text = render_record(data, schema_line(path, config.root, KPI_SCHEMA_FILE))
    result = check_data(data, text, path, config, as_of, shown)
    refuse_errors(result)
    codes = portfolio_codes(portfolio_of(str(path), config), config)  # the KPI's own records folder
    if codes is not None and result.record is not None:
        findings = kpi_link_findings([(str(path), shown, kpi_facts(result.record), codes)])
        if findings:  # the file is not written yet: the lines come from the text
            document = Document(path=path, text=text, data=data)
            placed = (dataclasses.replace(f, line=document.line_of(f.field)) for f in findings)
            refuse_errors(FileResult(shown, tuple(placed), None))
    return Written(text.encode("utf-8"), result.record, _warnings(result, ""))


@dataclass(frozen=True)
class ResultInput:
    """A KPI's cumulative result at the end of a fiscal quarter."""

    quarter: int
    value: Decimal
    date: date | None = None
    note: str = ""


@dataclass(frozen=True)
class EvaluationInput:
    """One quarter's score by the Strategy and Evaluation Department; None: the default."""

    quarter: int
    score: Decimal
    date: date
    full_score: Decimal | None = None
    evaluator: str | None = None
    note: str = ""


@dataclass(frozen=True)
class RevisionInput:
    """A budget revision: the budget in force from ``date``, and its reference or reason."""

    date: date
    budget: Decimal
    reference: str
    note: str = ""


def append_result(
    raw: bytes, path: Path, values: ResultInput, config: Config, as_of: date, shown: str
) -> Written:
    """``raw`` (a KPI record) with one ``[[results]]`` block appended, checked (``append_block``)."""
    row: dict[str, Any] = {"quarter": values.quarter, "value": typed_number(values.value)}
    row |= given(date=values.date, note=_text(values.note))
    return append_block(raw, path, "results", row, config, as_of, shown)


def append_evaluation(
    raw: bytes, path: Path, values: EvaluationInput, config: Config, as_of: date, shown: str
) -> Written:
    """``raw`` (a format-2 project or a KPI) with one ``[[evaluations]]`` block appended, checked."""
    full_score = None if values.full_score is None else typed_number(values.full_score)
    evaluator = None if values.evaluator is None else _text(values.evaluator)
    row: dict[str, Any] = {"quarter": values.quarter, "score": typed_number(values.score)}
    row |= given(full_score=full_score, date=values.date, evaluator=evaluator, note=_text(values.note))
    return append_block(raw, path, "evaluations", row, config, as_of, shown)


def append_revision(
    raw: bytes, path: Path, values: RevisionInput, config: Config, as_of: date, shown: str
) -> Written:
    """``raw`` (a format-2 project) with one ``[[budget_revisions]]`` block appended, checked."""
    row: dict[str, Any] = {
        "date": values.date,
        "budget": quantize_money(values.budget),
        "reference": _text(values.reference),
        **given(note=_text(values.note)),
    }
    return append_block(raw, path, "budget_revisions", row, config, as_of, shown)


#: Which kinds of record hold each array a command appends to: (format, kind) keys.
HOLDERS: dict[str, tuple[tuple[int, str], ...]] = {
    "results": ((2, "kpi"),),
    "evaluations": ((2, "project"), (2, "kpi")),
    "budget_revisions": ((2, "project"),),
}


def _require_kind(text: str, data: dict[str, Any], shown: str, name: str) -> None:
    """Refuse (naming file, line and field) a record that cannot hold a row of ``name``: a
    format-1 project (``migrate`` first), a KPI given a budget revision, a project given a
    KPI's result. A file that is no record at all is left to the check, which names why."""
    from .kinds import kind_key

    key = kind_key(data)
    if key is None or key in HOLDERS[name]:
        return
    document = Document(path=Path(shown), text=text, data=data)
    if key == (1, "project"):
        message = _(
            "a format 1 project record has no [[{table}]]; run projledger migrate first "
            "(it makes the record format 2); nothing was written"
        ).format(table=name)
        field_name = "format"
    else:
        holders = _(" or ").join(sorted({k for _f, k in HOLDERS[name]}))
        message = _(
            "a {kind} record has no [[{table}]]: they belong to a {holders} record; nothing was written"
        ).format(kind=key[1], table=name, holders=holders)
        field_name = "kind"
    raise RefusedError(message, [], path=shown, line=document.line_of(field_name), field=field_name)


def percent_value(value: Decimal) -> Decimal:
    """A percentage as stored: ``45`` becomes ``45.0`` (as the spec's records write it), ``45.50``
    becomes ``45.5``; never an exponent."""
    if not value.is_finite() or abs(value) >= 10**6:
        return value  # out of range: the rules refuse it with a message naming the value
    normal = value.normalize() if value else Decimal(0)  # no "-0.0"
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal("0.1")) if isinstance(exponent, int) and exponent >= 0 else normal


def build_report(values: ReportInput, previous: list[Any]) -> dict[str, Any]:
    """The report table to append after ``previous`` (the record's reports so far)."""
    last = previous[-1] if previous and isinstance(previous[-1], dict) else {}
    no, last_no = values.no, last.get("no")
    if no is None:
        no = last_no + 1 if isinstance(last_no, int) else len(previous) + 1
    disbursed: Decimal | int | None = values.disbursed
    if disbursed is None:  # cumulative: unchanged since the last report unless given
        before = last.get("disbursed", Decimal(0))
        disbursed = before if isinstance(before, Decimal | int) else Decimal(0)
    return {
        "no": no,
        "date": values.date,
        "progress": percent_value(values.progress),
        "disbursed": quantize_money(Decimal(disbursed)),
        "plan_status": values.plan_status or "on_plan",
        "target_status": values.target_status,
        "note": _text(values.note),
        **given(event=values.event),
    }


def append_report(
    raw: bytes, path: Path, values: ReportInput, config: Config, as_of: date, shown: str
) -> Written:
    """``raw`` with one ``[[reports]]`` block appended (``append_block``). Without an explicit
    plan status the computed one (on the new report's date) is stored."""
    data = parse(decode(raw, shown), shown)
    report = build_report(values, _list(data.get("reports")))

    def computed(record: Any, row: dict[str, Any]) -> dict[str, Any] | None:
        if values.plan_status is not None or not isinstance(record, Project) or not record.reports:
            return None
        _, _, status = computed_status_of(record, record.reports[-1], config.tolerance)
        return {**row, "plan_status": status} if status != row["plan_status"] else None

    return append_block(raw, path, "reports", report, config, as_of, shown, adjust=computed)


def append_block(
    raw: bytes,
    path: Path,
    name: str,
    row: dict[str, Any],
    config: Config,
    as_of: date,
    shown: str,
    adjust: Callable[[Any, dict[str, Any]], dict[str, Any] | None] | None = None,
) -> Written:
    """``raw`` with one ``[[name]]`` block (``row``) appended; every earlier byte kept where it can be.

    The one append every command goes through (reports, results, evaluations, budget
    revisions). Where the record spells that array as ``[[name]]`` blocks (or has none yet)
    the new block is a pure addition at the end. Where it spells it as one array value
    (``name = []``, or an array of inline tables as tomli-w writes small ones), TOML cannot
    take one more ``[[name]]`` table, so that assignment alone is taken out (its comments stay
    where it stood) and its rows are written as ``[[name]]`` blocks at the end, the canonical
    layout; ``Written.rewritten`` says so. The result must read as the old data with the one
    new row, and the whole record is checked: any error refuses the write (naming file, line
    and field), warnings about the new row come back. ``adjust`` (the record read with the
    row, the row) may give the row to store instead, once (a value computed from the record).
    """
    text = decode(raw, shown)
    data = parse(text, shown)
    if name in HOLDERS:
        _require_kind(text, data, shown, name)
    base = _base(raw, text, data, name, shown)
    content, result = _appended(base, data, path, name, row, config, as_of, shown)
    if adjust is not None and result.record is not None:
        changed = adjust(result.record, row)
        if changed is not None:
            row = changed
            content, result = _appended(base, data, path, name, row, config, as_of, shown)
    refuse_errors(result)
    assert result.record is not None
    new_field = f"{name}[{len(_list(data.get(name))) + 1}]"
    block = render_block(name, row)
    return Written(content, result.record, _warnings(result, new_field), row, block.lstrip("\n"), base.said)


Spelling = Literal["none", "blocks", "array"]


def _key(name: str) -> str:
    """A pattern of the key ``name``, bare or quoted."""
    key = re.escape(name)
    return rf"""(?:{key}|"{key}"|'{key}')"""


def reports_spelling(text: str, data: dict[str, Any], name: str = "reports") -> Spelling:
    """How the record spells its array ``name`` (its reports by default), decided by the TOML
    reader: ``none`` (no such key), ``array`` (one array value: ``name = []`` or inline tables,
    which no ``[[name]]`` table can extend) or ``blocks`` (an array of tables, which one more
    ``[[name]]`` table extends). A ``[[name]]`` line inside a multi-line string proves nothing.
    """
    rows = data.get(name)
    if rows is None:
        return "none"
    if isinstance(rows, list):
        try:
            parse(f"{text}\n[[{name}]]\n", "")
        except RecordError:
            return "array"
    return "blocks"


@dataclass(frozen=True)
class _Base:
    """What the new blocks are added to: ``prefix`` (ending in a line end), the earlier
    rows to write again as blocks (only when their array value was taken out), and what
    the command tells the clerk about a rewrite."""

    prefix: bytes
    ending: str
    carried: tuple[dict[str, Any], ...] = ()
    said: str = ""


def _base(raw: bytes, text: str, data: dict[str, Any], name: str, shown: str) -> _Base:
    ending = line_ending(text)
    if reports_spelling(text, data, name) != "array":
        return _Base(raw if raw.endswith(b"\n") else raw + ending.encode(), ending)
    previous = _list(data.get(name))
    kept, line = _without_array(text, data, name, shown)
    bom = b"\xef\xbb\xbf" if raw.startswith(b"\xef\xbb\xbf") else b""
    prefix = bom + (kept if kept.endswith("\n") else kept + ending).encode("utf-8")
    return _Base(prefix, ending, tuple(previous), _rewrite_said(name, len(previous), line))


def _rewrite_said(name: str, count: int, line: int) -> str:
    """What the clerk is told when the array ``name`` of ``count`` rows at ``line`` was rewritten."""
    if name == "reports" and count:
        return ngettext(
            "its {n} report written as one inline array (line {line}) was rewritten as [[reports]] blocks at "
            "the end of the file, the canonical layout; no value changed and the rest of the file is as it was",
            "its {n} reports written as one inline array (line {line}) were rewritten as [[reports]] blocks at "
            "the end of the file, the canonical layout; no value changed and the rest of the file is as it was",
            count,
        ).format(n=count, line=line)
    if count:
        return _(
            "its {table} written as one inline array (line {line}) were rewritten as [[{table}]] blocks at "
            "the end of the file, the canonical layout; no value changed and the rest of the file is as it was"
        ).format(table=name, line=line)
    text = _("'{table} = []' (line {line}) became the first [[{table}]] block at the end of the file")
    return text.format(table=name, line=line)


def _without_array(text: str, data: dict[str, Any], name: str, shown: str) -> tuple[str, int]:
    """``text`` without its ``name = [...]`` assignment, and the line it began on.

    Comments inside the assignment stay, each on a line of its own where it stood. The end of
    the value is found by the TOML reader itself: the first span whose removal leaves exactly
    the data without ``name`` (a shorter one leaves a broken array behind).
    """
    parts = text.split("\n")
    lines = [line + "\n" for line in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    ending = line_ending(text)
    wanted = {key: value for key, value in data.items() if key != name}
    key_line = re.compile(rf"[ \t]*{_key(name)}[ \t]*=")  # a line that may start ``name = ...``
    for start, line in enumerate(lines):
        if not key_line.match(line):
            continue
        for end in range(start, len(lines)):
            span = "".join(lines[start : end + 1])
            kept = [span[a:b] + ending for a, b in comments(span)]
            candidate = "".join([*lines[:start], *kept, *lines[end + 1 :]])
            try:
                if parse(candidate, shown) == wanted:
                    return candidate, start + 1
            except RecordError:
                continue
    message = _(
        "the {table} are one array value that cannot be taken out on its own; "
        "run projledger fmt on the file first; nothing was written"
    )  # not met with any spelling the tests generate; refuse rather than guess
    raise RefusedError(message.format(table=name), [], path=shown, field=name)


def _appended(
    base: _Base,
    data: dict[str, Any],
    path: Path,
    name: str,
    row: dict[str, Any],
    config: Config,
    as_of: date,
    shown: str,
) -> tuple[bytes, FileResult]:
    """The new bytes and what checking them found; refuses unless TOML reads them as the old
    data with one more row of ``name`` (every other value as it was)."""
    blocks = "".join(render_block(name, r) for r in (*base.carried, row))
    content = base.prefix + with_line_ending(blocks, base.ending).encode("utf-8")
    try:
        new_text = decode(content, shown)
        new_data = parse(new_text, shown)
    except RecordError as error:
        text = _("a [[{table}]] block cannot be appended to this file ({problem}); nothing was written")
        said = text.format(table=name, problem=error.message)
        raise RefusedError(said, [], path=shown, line=error.line) from None
    expected = {**data, name: [*_list(data.get(name)), row]}
    if new_data != expected:
        text = _(
            "the file's layout would not read the appended block as a new row of {table}; "
            "run projledger fmt on it first; nothing was written"
        )
        raise RefusedError(text.format(table=name), [], path=shown, field=name)
    return content, check_data(new_data, new_text, path, config, as_of, shown)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def refuse_errors(result: FileResult) -> None:
    """Raise ``RefusedError`` naming the first error (file, line, field) if there is any."""
    errors = [f for f in result.findings if f.is_error]
    if not errors:
        return
    first, others = errors[0], len(errors) - 1
    more = (
        ngettext(" (and {n} more error)", " (and {n} more errors)", others).format(n=others) if others else ""
    )
    said = _("{problem}; nothing was written{more}").format(problem=first.message, more=more)
    raise RefusedError(said, list(errors), path=first.path, line=first.line, field=first.field or None)


def _warnings(result: FileResult, prefix: str) -> tuple[Finding, ...]:
    """The warnings about ``prefix`` (the new report's field), or all when it is empty."""
    return tuple(
        f
        for f in result.findings
        if not f.is_error
        and (not prefix or f.field == prefix or f.field.startswith((prefix + ".", prefix + "[")))
    )


def _text(value: str) -> str:
    """Typed text as stored: NFC, "\n" line ends (a note file saved on Windows has "\r\n"), without
    the blanks around it."""
    return nfc(value).replace("\r\n", "\n").replace("\r", "\n").strip()
