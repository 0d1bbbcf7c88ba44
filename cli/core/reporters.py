"""Renderers of validation findings, chosen by name (``--format``) from one registry."""

from __future__ import annotations

from collections.abc import Callable

from .findings import Finding, count
from .text import ENVELOPE_VERSION, json_text, one_line

Reporter = Callable[[list[Finding], int], str]


def _summary(findings: list[Finding], files: int) -> str:
    errors, warnings = count(findings)
    return f"{_plural(files, 'file')} checked: {_plural(errors, 'error')}, {_plural(warnings, 'warning')}"


def _plural(number: int, word: str) -> str:
    return f"{number} {word}{'' if number == 1 else 's'}"


def text_report(findings: list[Finding], files: int) -> str:
    lines = [one_line(f.one_line()) for f in findings]
    lines.append(_summary(findings, files))
    return "\n".join(lines) + "\n"


def json_report(findings: list[Finding], files: int) -> str:
    errors, warnings = count(findings)
    envelope = {
        "version": ENVELOPE_VERSION,
        "files": files,
        "errors": errors,
        "warnings": warnings,
        "findings": [f.as_dict() for f in findings],
    }
    return json_text(envelope)


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
        if f.line:
            props.append(f"line={f.line}")
        if f.column:
            props.append(f"col={f.column}")
        props.append(f"title={_github_escape(one_line(f.rule), property_value=True)}")
        field = f"{f.field}: " if f.field else ""
        lines.append(f"::{f.severity.value} {','.join(props)}::{_github_escape(one_line(field + f.message))}")
    lines.append(_summary(findings, files))
    return "\n".join(lines) + "\n"


REPORTERS: dict[str, Reporter] = {"text": text_report, "json": json_report, "github": github_report}
