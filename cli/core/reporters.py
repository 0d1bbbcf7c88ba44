"""The output formats of the reading commands, each chosen by name (``--format``) from its
registry: validate's findings (``REPORTERS``), status's rows (``STATUS_FORMATS``) and summary's
groups (``SUMMARY_FORMATS``). A new format is one more entry; the command's ``--format``
choices are the registry's names.

Renderers of status and summary import their layouts when called: choosing a format (and a
run answered from the index) costs no table code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING, Any

from .findings import Finding, count
from .i18n import _, ngettext
from .labels import Lang
from .text import ENVELOPE_VERSION, json_text, one_line

if TYPE_CHECKING:
    from .portfolio import ProjectRow
    from .summary import Summary

Reporter = Callable[[list[Finding], int], str]


def _summary(findings: list[Finding], files: int) -> str:
    errors, warnings = count(findings)
    return _("{files} checked: {errors}, {warnings}").format(
        files=ngettext("{n} file", "{n} files", files).format(n=files),
        errors=ngettext("{n} error", "{n} errors", errors).format(n=errors),
        warnings=ngettext("{n} warning", "{n} warnings", warnings).format(n=warnings),
    )


def text_report(findings: list[Finding], files: int) -> str:
    return "".join(text_lines(findings, files))


def text_lines(findings: list[Finding], files: int) -> Iterator[str]:
    """The text report a line at a time, each with its line break: a command writes them as
    they are made instead of holding the whole report (and its encoded bytes) at once."""
    for finding in findings:
        yield one_line(finding.one_line()) + "\n"
    yield _summary(findings, files) + "\n"


def json_report(findings: list[Finding], files: int) -> str:
    errors, warnings = count(findings)
    head = {"version": ENVELOPE_VERSION, "files": files, "errors": errors, "warnings": warnings}
    return json_text({**head, "findings": [f.as_dict() for f in findings]})


def _github_escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def github_report(findings: list[Finding], files: int) -> str:
    """GitHub Actions workflow commands: each finding becomes an annotation on its line."""
    lines = []
    for f in findings:
        props = [f"file={_github_escape(one_line(f.path), property_value=True)}"]
        props += [f"{key}={value}" for key, value in (("line", f.line), ("col", f.column)) if value]
        props.append(f"title={_github_escape(one_line(f.rule), property_value=True)}")
        field = f"{f.field}: " if f.field else ""
        lines.append(f"::{f.severity.value} {','.join(props)}::{_github_escape(one_line(field + f.message))}")
    lines.append(_summary(findings, files))
    return "\n".join(lines) + "\n"


REPORTERS: dict[str, Reporter] = {"text": text_report, "json": json_report, "github": github_report}


# --- status -----------------------------------------------------------------------------------

#: status's output formats laid out as tables, one line per project, by the status table path
#: (streamed, kept in the index); the others are whole renderers of the chosen rows.
STATUS_TABLES = ("table", "markdown")
#: (rows as shown, the day, extra keys for the JSON envelope: ``--since``'s changes) -> output.
StatusRenderer = Callable[["list[ProjectRow]", date, Mapping[str, Any]], str]


def _tables() -> Any:
    """``tables``, imported when a renderer runs: choosing a format loads no table code."""
    from . import tables

    return tables


STATUS_RENDERERS: dict[str, StatusRenderer] = {
    "csv": lambda rows, as_of, extra: _tables().status_csv(rows),
    "json": lambda rows, as_of, extra: json_text({**_tables().status_envelope(rows, as_of), **extra}),
}
#: Every name ``status --format`` takes, in the order its help lists them (xlsx: a spreadsheet
#: file, written by commands/sheets.py).
STATUS_FORMATS = (*STATUS_TABLES, *STATUS_RENDERERS, "xlsx")


# --- summary ----------------------------------------------------------------------------------

#: (the summary, language, terminal width or None, every column whatever the width) -> output.
SummaryRenderer = Callable[["Summary", Lang, "int | None", bool], str]


SUMMARY_RENDERERS: dict[str, SummaryRenderer] = {
    "table": lambda summary, lang, width, wide: _tables().summary_table(summary, lang, "table", width, wide),
    "markdown": lambda summary, lang, width, wide: _tables().summary_table(
        summary, lang, "markdown", width, wide
    ),
    "csv": lambda summary, lang, width, wide: _tables().summary_csv(summary),
    "json": lambda summary, lang, width, wide: json_text(_tables().summary_envelope(summary)),
}
#: Every name ``summary --format`` takes (xlsx: a spreadsheet file, as status's).
SUMMARY_FORMATS = (*SUMMARY_RENDERERS, "xlsx")
