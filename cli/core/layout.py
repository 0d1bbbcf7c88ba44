"""The canonical TOML layout of a record: the one place records are serialised.

A canonical record is a ``#:schema <relative path>`` line, then the data as tomli-w lays it out
with ``multiline_strings=True``: top-level keys in the spec example's order, then the
``[agency]``, ``[details]`` and ``[strategy]`` tables, then one ``[[reports]]`` block per report,
last. tomli-w reproduces the spec's record byte for byte this way, so its layout is the base.

Two things tomli-w would do that a record cannot have are taken out of its hands:
- a list of small tables comes out as an inline array; reports are always ``[[reports]]``
  blocks, rendered one by one, exactly as ``add-report`` appends them;
- a string holding ``\\r\\n`` would lose its ``\\r`` in a ``\"\"\"`` block; such a value is
  written on one line, escaped, so formatting never changes a value.

Numbers keep their written value and digits: ``budget = 3540000.0`` stays ``3540000.0``. A
``Decimal`` is written positionally (``_Positional``), never with the exponent of its ``str()``,
which tomli-w writes (``1E+3``, ``1E-7``). Money typed by a person is quantized to 0.01 before
it gets here (``money.quantize_money``), never by the layout.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import tomli_w

from .errors import RecordError, RefusedError
from .kinds import kind_of, record_problem
from .locate import line_of
from .record import decode, parse
from .text import toml_safe

SCHEMA_PREFIX = "#:schema"
SCHEMA_RELATIVE = Path("schemas") / Path(kind_of((1, "project")).schema_file).name

TOP_ORDER = (
    "format", "kind", "code", "name", "plan_ref", "fiscal_year", "start", "end", "budget", "plan",
    "agency", "details", "strategy",
)  # fmt: skip
TABLE_ORDER: dict[str, tuple[str, ...]] = {
    "agency": ("department", "division", "unit", "owner", "coordinator", "phone", "budget_unit"),
    "details": ("rationale", "objectives", "targets"),
    "strategy": ("issue", "sub_issue", "goal", "kpi"),
}
REPORT_ORDER = ("no", "date", "progress", "disbursed", "plan_status", "target_status", "note", "event")
#: A project's arrays of tables, in the order they close the record (reports first: DESIGN20),
#: each with its keys' order.
PROJECT_ROW_ORDER: dict[str, tuple[str, ...]] = {
    "reports": REPORT_ORDER,
    "budget_revisions": ("date", "budget", "reference", "note"),
    "evaluations": ("quarter", "score", "full_score", "date", "evaluator", "note"),
}

#: The KPI schema's file, beside the project's (only the registry of kinds names schema files).
KPI_SCHEMA_FILE = Path(kind_of((2, "kpi")).schema_file).name
#: A KPI record (format 2, ``kind = "kpi"``): its keys in this order, tables after the values,
#: ``[[results]]`` then ``[[evaluations]]`` last (DESIGN20's layout).
KPI_TOP_ORDER = (
    "format", "kind", "code", "number", "name", "fiscal_year", "category", "level", "unit", "target",
    "baseline", "direction", "definition", "formula", "data_source", "projects", "agency", "strategy",
    "results", "evaluations",
)  # fmt: skip
KPI_TABLE_ORDER: dict[str, tuple[str, ...]] = {
    "agency": TABLE_ORDER["agency"],
    "strategy": ("issue", "dimension", "goal"),
}
KPI_ROW_ORDER: dict[str, tuple[str, ...]] = {
    "results": ("quarter", "value", "date", "note"),
    "evaluations": PROJECT_ROW_ORDER["evaluations"],
}
#: Every array of tables a record may hold, with its keys' order: what a command appends one
#: block of (``writing.append_block``), written as ``[[name]]`` blocks, never an inline array.
ROW_ORDER: dict[str, tuple[str, ...]] = {**PROJECT_ROW_ORDER, **KPI_ROW_ORDER}


def schema_line(record: Path, root: Path, schema_file: str | None = None) -> str:
    """The ``#:schema`` line for ``record``: the repository's schema (the project's, or
    ``schema_file`` in the same folder), relative to the record's folder."""
    relative = SCHEMA_RELATIVE if schema_file is None else SCHEMA_RELATIVE.with_name(schema_file)
    target = Path(os.path.abspath(root)) / relative
    folder = Path(os.path.abspath(record)).parent
    return f"{SCHEMA_PREFIX} {Path(os.path.relpath(target, folder)).as_posix()}"


def ordered(table: Mapping[str, Any], order: tuple[str, ...]) -> dict[str, Any]:
    """Known keys in ``order``, then any others as they came (kept, never dropped)."""
    known = {key: table[key] for key in order if key in table}
    return {**known, **{key: value for key, value in table.items() if key not in known}}


def given(**values: Any) -> dict[str, Any]:
    """The values given, in order: an optional key whose value is None, blank text or empty is
    left out of a record, never written empty."""
    return {key: value for key, value in values.items() if value not in (None, "", [], {})}


def canonical_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """The record's data with every key in canonical order (a project's arrays of tables last,
    a KPI's where ``KPI_TOP_ORDER`` puts them)."""
    kpi = data.get("kind") == "kpi"
    top = ordered(data, KPI_TOP_ORDER if kpi else TOP_ORDER)
    for name, order in (KPI_TABLE_ORDER if kpi else TABLE_ORDER).items():
        if isinstance(top.get(name), Mapping):
            top[name] = ordered(top[name], order)
    for name, order in (KPI_ROW_ORDER if kpi else PROJECT_ROW_ORDER).items():
        rows = top.get(name) if kpi else top.pop(name, None)  # a project's: last, in this order
        if isinstance(rows, list):
            rows = [ordered(r, order) if isinstance(r, Mapping) else r for r in rows]
        if rows is not None:
            top[name] = rows
    return top


def render_body(data: Mapping[str, Any]) -> str:
    """The TOML of ``data`` (without the header line), keys in canonical order."""
    return _table(canonical_data(data), "", inside_aot=False)


def render_record(data: Mapping[str, Any], header: str) -> str:
    """A whole canonical record: the ``#:schema`` header line, then the body."""
    return f"{header}\n{render_body(data)}"


def render_block(name: str, row: Mapping[str, Any]) -> str:
    """One row of the array of tables ``name`` as appended to a file: a blank line, ``[[name]]``,
    its keys in order (``ROW_ORDER``)."""
    return "\n" + _table(ordered(row, ROW_ORDER.get(name, ())), name, inside_aot=True)


def line_ending(text: str) -> str:
    """The file's line-end style, from its first line end: CRLF stays CRLF."""
    first = text.find("\n")
    return "\r\n" if first > 0 and text[first - 1] == "\r" else "\n"


def with_line_ending(text: str, ending: str) -> str:
    return text if ending == "\n" else text.replace("\n", ending)


# --- fmt -------------------------------------------------------------------------------------


def formatted(raw: bytes, path: Path, root: Path) -> bytes:
    """``raw`` in the canonical layout; raises instead of losing anything.

    Unreadable files, and TOML files that are no record (no ``format`` key, or one this version
    does not read: validate's first verdict), raise ``RecordError`` (never rewritten). Comments other than the first-line
    ``#:schema`` header raise ``RefusedError``: tomli-w cannot keep them and a reviewer's comment
    must not vanish in a formatting commit. An existing ``#:schema`` line is kept as written (it
    may point at a URL); a missing one is added. The line-end style is kept; a BOM is dropped.
    """
    text = decode(raw, path)
    data = parse(text, path)
    problem = record_problem(data)
    if problem is not None:  # not a record (a config reached by a link...): never laid out as one
        raise RecordError(
            problem[1], rule="format-version", path=path, line=line_of(text, "format"), field="format"
        )
    first = text.partition("\n")[0].removesuffix("\r")
    has_header = first.startswith(SCHEMA_PREFIX)
    if (comment := comment_line(text, skip_first=has_header)) is not None:
        raise RefusedError(
            "has a comment, which fmt would drop (TOML writers cannot keep comments); "
            "move it into a note or remove it, then run fmt again",
            [],
            path=path,
            line=comment,
        )
    header = first if has_header else schema_line(path, root)
    result = with_line_ending(render_record(data, header), line_ending(text))
    if parse(result, path) != data:  # a safety net: fmt never changes a value
        raise RefusedError(
            "fmt cannot lay this file out without changing a value; left as it is", [], path=path
        )
    return result.encode("utf-8")


_STRING_START = re.compile(r"\"\"\"|'''|\"|'|#")


def comment_line(text: str, *, skip_first: bool = False) -> int | None:
    """The 1-based line of the first comment (a ``#`` outside strings), if any."""
    pos = (text.find("\n") + 1 or len(text)) if skip_first else 0  # no line end: past the text
    for start, _ in comments(text, pos):
        return text.count("\n", 0, start) + 1
    return None


def comments(text: str, pos: int = 0) -> Iterator[tuple[int, int]]:
    """The (start, end) of each comment of ``text`` from ``pos`` (outside strings): from its
    ``#`` to the end of its line, the line end (``\n`` or ``\r\n``) left out."""
    while True:
        match = _STRING_START.search(text, pos)
        if match is None:
            return
        token = match.group()
        if token == "#":
            end = text.find("\n", match.start())
            end = len(text) if end < 0 else end
            yield match.start(), end - 1 if text[end - 1 : end] == "\r" else end
            pos = end
        else:
            pos = _string_end(text, match.end(), token)


def _string_end(text: str, pos: int, quote: str) -> int:
    """The position after the string opened by ``quote`` just before ``pos``."""
    escapes = quote.startswith('"')
    while pos < len(text):
        char = text[pos]
        if escapes and char == "\\":
            pos += 2
            continue
        if text.startswith(quote, pos):
            end = pos + len(quote)
            # A multi-line string may end with up to two more quotes of its own: """a"""".
            while len(quote) == 3 and text.startswith(quote[0], end) and end - pos < 5:
                end += 1
            return end
        if len(quote) == 1 and char == "\n":
            return pos  # an unterminated one-line string; parsing already refused those
        pos += 1
    return pos


# --- the writer --------------------------------------------------------------------------------


def _table(table: Mapping[str, Any], name: str, *, inside_aot: bool) -> str:
    """tomli-w's table layout, except that lists of tables are always ``[[...]]`` blocks."""
    literals: list[tuple[str, Any]] = []
    tables: list[tuple[str, Any, bool]] = []
    for key, value in table.items():
        if isinstance(value, Mapping):
            tables.append((key, value, False))
        elif isinstance(value, list | tuple) and value and all(isinstance(v, Mapping) for v in value):
            tables.extend((key, item, True) for item in value)
        else:
            literals.append((key, _positional(value)))
    out: list[str] = []
    if inside_aot or (name and (literals or not tables)):
        out.append(f"[[{name}]]\n" if inside_aot else f"[{name}]\n")
    # ``key = value`` by tomli-w; multi-line strings unless that would change a value
    out.extend(toml_safe(tomli_w.dumps({k: v}, multiline_strings=not _has_crlf(v))) for k, v in literals)
    for key, value, in_aot in tables:
        if out:
            out.append("\n")
        part = _key(key)
        out.append(_table(value, f"{name}.{part}" if name else part, inside_aot=in_aot))
    return "".join(out)


class _Positional(Decimal):
    """A Decimal whose text, what tomli-w writes, has no exponent: ``0.0000001``, ``1000``."""

    def __str__(self) -> str:
        return format(self, "f")


def _positional(value: Any) -> Any:
    """``value``'s Decimals as ``_Positional``, but one past any figure (``1e999999999``: a
    billion digits), kept as it is."""
    if isinstance(value, Decimal) and value.is_finite() and abs(value.adjusted()) < 1000:
        return _Positional(value)
    return [_positional(v) for v in value] if isinstance(value, list | tuple) else value


def _key(key: str) -> str:
    return toml_safe(tomli_w.dumps({key: 0}).rsplit(" = ", 1)[0])


def _has_crlf(value: Any) -> bool:
    if isinstance(value, str):
        return "\r\n" in value
    if isinstance(value, list | tuple):
        return any(_has_crlf(v) for v in value)
    if isinstance(value, Mapping):
        return any(_has_crlf(v) for v in value.values())
    return False
