"""status and summary take their output formats from registries (core/reporters.py), as
validate takes its from ``REPORTERS``: the --format choices are the registry's names and each
output is made by the entry of its name."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click
import pytest

from projledger.core import reporters
from projledger.main import main

from conftest import run


def _choices(command: str) -> tuple[str, ...]:
    cmd = main.get_command(click.Context(main), command)
    assert cmd is not None
    option = next(p for p in cmd.params if p.name == "output_format")
    return tuple(option.type.choices)  # type: ignore[attr-defined]


def test_the_format_choices_are_the_registries_names() -> None:
    assert _choices("validate") == tuple(reporters.REPORTERS)
    assert _choices("status") == reporters.STATUS_FORMATS == ("table", "markdown", "csv", "json", "xlsx")
    assert _choices("summary") == reporters.SUMMARY_FORMATS == ("table", "markdown", "csv", "json", "xlsx")


def test_status_renders_through_its_registry(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, date, dict[str, Any]]] = []

    def fake(rows: list[Any], as_of: date, extra: dict[str, Any]) -> str:
        seen.append((len(rows), as_of, dict(extra)))
        return f"{len(rows)} rows as of {as_of}\n"

    monkeypatch.setitem(reporters.STATUS_RENDERERS, "csv", fake)
    result = run("status", "--format", "csv", "--as-of", "2022-03-31")
    assert result.stdout == "1 rows as of 2022-03-31\n"
    assert seen == [(1, date(2022, 3, 31), {})]


def test_summary_renders_through_its_registry(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(summary: Any, lang: str, width: int | None, wide: bool) -> str:
        return f"{summary.total.projects} projects in {lang}\n"

    monkeypatch.setitem(reporters.SUMMARY_RENDERERS, "markdown", fake)
    result = run("summary", "--format", "markdown", "--lang", "en")
    assert result.stdout == "1 projects in en\n"


def test_the_text_report_is_made_a_line_at_a_time() -> None:
    # validate writes a long report as it is made (10,000 findings are megabytes of text)
    from projledger.core.findings import Finding, Severity
    from projledger.core.reporters import text_lines, text_report

    findings = [
        Finding("a.toml", 3, "budget", "over-budget", Severity.WARNING, "ก\nข"),
        Finding("b.toml", None, "", "io", Severity.ERROR, "no such file"),
    ]
    lines = list(text_lines(findings, 2))
    assert len(lines) == 3 and all(line.endswith("\n") and line.count("\n") == 1 for line in lines)
    assert "".join(lines) == text_report(findings, 2)
    assert lines[-1] == "2 files checked: 1 error, 1 warning\n"
