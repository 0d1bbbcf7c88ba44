"""The registry of record kinds (core/kinds.py), keyed by (format, kind): format 1 is the
project record, format 2 a project or a KPI; a new kind is one more entry and flows through
``validate`` with no other module edited, and every rule's ``reads_day`` is true to its code."""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from projledger.core import kinds, record, schema
from projledger.core.findings import Severity
from projledger.core.kinds import (
    KINDS,
    RecordKind,
    kind_key,
    kind_of,
    record_problem,
    supported_formats,
)
from projledger.core.kpi import Kpi
from projledger.core.record import Project
from projledger.core.rules import RULES, Rule, RuleContext
from projledger.core.rules_format2 import KPI_RULES, PROJECT_RULES_2

from conftest import DATA, PROJECT_ROOT, SHIPPED, run


def test_format_1_is_the_project_record_and_the_registry_is_what_the_package_reads() -> None:
    project = kind_of((1, "project"))
    assert (project.name, project.constructor, project.record_type) == ("project", Project.from_data, Project)
    assert project.rules is RULES and not project.named
    assert set(project.renderers) == {"text", "html"}
    assert supported_formats() == (1, 2)
    assert sorted(KINDS) == [(1, "project"), (2, "kpi"), (2, "project")]
    assert not hasattr(record, "SUPPORTED_FORMATS") and not hasattr(schema, "SCHEMA_FILES")
    assert Path(schema.schema_path()).name == project.schema_file


def test_format_2_is_a_project_or_a_kpi_named_by_kind() -> None:
    project, kpi = kind_of((2, "project")), kind_of((2, "kpi"))
    assert project.schema_file == "project.schema.json" and project.rules == RULES + PROJECT_RULES_2
    assert (kpi.schema_file, kpi.record_type, kpi.rules) == ("kpi.schema.json", Kpi, KPI_RULES)
    assert kind_key({"format": 1}) == (1, "project")
    assert kind_key({"format": 1, "kind": "kpi"}) == (
        1,
        "project",
    )  # format 1 has no kind: the schema says so
    assert kind_key({"format": 2, "kind": "project"}) == (2, "project")
    assert kind_key({"format": 2, "kind": "kpi"}) == (2, "kpi")
    assert kind_key({"format": 2}) is None and kind_key({"format": 2, "kind": "meter"}) is None


def _code_texts(path: Path) -> set[str]:
    """The string constants of a module's code (docstrings, which only tell, left out)."""
    tree = ast.parse(path.read_text("utf-8"))
    told = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return {
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in told
    }


def test_no_module_but_the_registry_names_a_schema_file() -> None:
    named = [
        path.name
        for path in (PROJECT_ROOT / "cli").rglob("*.py")
        if any("schema.json" in text for text in _code_texts(path))
    ]
    assert named == ["kinds.py"]


def test_a_format_taken_is_not_taken_again() -> None:
    with pytest.raises(ValueError, match="already the project record"):
        kinds.register(RecordKind(1, "other", "x.json", dict, dict, ()))
    with pytest.raises(ValueError, match="already the kpi record"):
        kinds.register(RecordKind(2, "kpi", "x.json", dict, dict, ()))
    assert kinds.register(kind_of((1, "project"))) is kind_of(
        (1, "project")
    )  # the same entry again: no change


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        ({"format": 1}, None, None),
        ({"format": 2, "kind": "project"}, None, None),
        ({"format": 2, "kind": "kpi"}, None, None),
        ({"format": 3}, "format", "format 3 is not a record format this version of projledger reads (it reads 1, 2)"),
        ({"format": 2}, "format", 'a format 2 record says its kind: write kind = "kpi" or kind = "project" on the line after format = 2'),
        ({"format": 2, "kind": "meter"}, "kind", "kind 'meter' is not a kind of format 2 record this version of projledger reads; write kind = \"kpi\" or kind = \"project\""),
        ({"format": 2, "kind": 1}, "kind", "kind 1 is not a kind of format 2 record"),
        ({"format": "1"}, "format", "format '1' is not a record format"),
        ({"format": True}, "format", "format true is not a record format"),
        ({"code": "x"}, "format", "the required key 'format' is missing (write format = 1)"),
        # a record naming its kind is of the format whose records do: a KPI is never format 1
        ({"code": "5011-2003", "kind": "kpi"}, "format", "the required key 'format' is missing (write format = 2)"),
        ({"kind": "project"}, "format", "the required key 'format' is missing (write format = 2)"),
    ],
)  # fmt: skip
def test_the_format_verdict_comes_from_the_registry(
    data: dict[str, Any], where: str | None, message: str | None
) -> None:
    problem = record_problem(data)
    if message is None:
        assert problem is None
    else:
        assert problem is not None and problem[0] == where and problem[1].startswith(message), problem


def test_a_build_reading_only_format_1_answers_format_2_with_the_format_message(
    empty_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An old projledger meets a format-2 record: the clear format message, never an unknown key."""
    monkeypatch.setattr(kinds, "KINDS", {(1, "project"): kind_of((1, "project"))})
    expected = "format 2 is not a record format this version of projledger reads (it reads 1)"
    for name in ("01000000-2475.toml", "kpi/5026-2001.toml"):
        data = tomllib.loads((DATA / "format2" / name).read_text("utf-8"))
        assert record_problem(data) == ("format", expected)
    folder = empty_repo / "records" / "2565"
    folder.mkdir()
    (folder / "01000000-2475.toml").write_bytes((DATA / "format2" / "01000000-2475.toml").read_bytes())
    result = run("--lang", "en", "validate", "--no-cache")
    assert (
        result.stdout.splitlines()[0]
        == f"records/2565/01000000-2475.toml:2: error [format-version] format: {expected}"
    )
    assert "unknown" not in result.stdout and result.exit_code == 1


# --- a second kind, registered by a test alone ----------------------------------------------


@dataclass(frozen=True)
class Meter:
    """A made-up record kind: a meter with readings that must not go down."""

    name: str
    readings: tuple[int, ...]

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Meter:
        return cls(data["name"], tuple(data["readings"]))


def readings_rise(ctx: RuleContext[Meter]) -> Any:
    """Readings never go down."""
    for index, (before, after) in enumerate(
        zip(ctx.project.readings, ctx.project.readings[1:], strict=False)
    ):
        if after < before:
            yield f"readings[{index + 2}]", f"reading {after} is below the one before it ({before})"


METER_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["format", "name", "readings"],
    "additionalProperties": False,
    "properties": {
        "format": {"const": 99},
        "name": {"type": "string", "title": "name"},
        "readings": {"type": "array", "items": {"type": "integer"}},
    },
}


@pytest.fixture
def meter_kind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> RecordKind:
    schema_file = tmp_path / "meter.schema.json"
    schema_file.write_text(json.dumps(METER_SCHEMA), "utf-8")
    kind = RecordKind(
        format=99, name="meter", schema_file=schema_file, constructor=Meter.from_data, record_type=Meter,
        rules=(Rule("readings-rise", Severity.WARNING, readings_rise),), named=False,
    )  # fmt: skip
    monkeypatch.setitem(KINDS, (99, "meter"), kind)
    yield kind
    for cached in (schema.schema_text, schema.schema, schema._validator):
        cached.cache_clear()  # nothing of format 99 outlives the test


def test_a_new_kind_is_one_entry_and_flows_through_validate(empty_repo: Path, meter_kind: RecordKind) -> None:
    folder = empty_repo / "records" / "2565"
    folder.mkdir()
    (folder / "meter-a.toml").write_text('format = 99\nname = "north"\nreadings = [1, 5, 3]\n', "utf-8")
    (folder / "meter-b.toml").write_text('format = 99\nname = "south"\nreading = [1]\n', "utf-8")
    (folder / "old.toml").write_text("format = 98\n", "utf-8")
    (folder / SHIPPED.name).write_bytes(SHIPPED.read_bytes())
    result = run("validate", "--no-cache")
    lines = result.stdout.splitlines()
    assert (
        "records/2565/meter-a.toml:3: warning [readings-rise] readings[3]: reading 3 is below the one before it (5)"
        in lines
    )
    assert any(
        line.startswith("records/2565/meter-b.toml:3: error [") and "reading" in line for line in lines
    ), result.stdout
    assert (
        "records/2565/old.toml:1: error [format-version] format: format 98 is not a record format this "
        "version of projledger reads (it reads 1, 2, 99)"
    ) in lines
    assert "[progress-dip]" in result.stdout  # format 1 checked as ever, beside format 99
    assert lines[-1] == "4 files checked: 2 errors, 2 warnings"
    assert result.exit_code == 1


def test_show_refuses_a_kind_without_that_form(empty_repo: Path, meter_kind: RecordKind) -> None:
    path = empty_repo / "records" / "2565" / "m.toml"
    path.parent.mkdir()
    path.write_text('format = 99\nname = "north"\nreadings = [1]\n', "utf-8")
    result = run("show", str(path))
    assert result.exit_code == 2 and "a meter record has no text form" in result.stderr


# --- rules declare whether they read the day ------------------------------------------------


def _reads_as_of(rule: Rule) -> bool:
    tree = ast.parse(textwrap.dedent(inspect.getsource(rule.check)))
    return any(isinstance(node, ast.Attribute) and node.attr == "as_of" for node in ast.walk(tree))


@pytest.mark.parametrize("rule", [r for kind in KINDS.values() for r in kind.rules], ids=lambda r: r.id)
def test_every_rule_declares_truly_whether_it_reads_the_day(rule: Rule) -> None:
    assert rule.reads_day == _reads_as_of(rule), (
        f"{rule.id}: reads_day={rule.reads_day} but its code says otherwise"
    )


def test_the_day_rules_are_derived_from_the_declarations() -> None:
    assert frozenset({"future-report", "be-year"}) == kind_of((1, "project")).day_rules
    assert kinds.day_rules() == frozenset().union(*(kind.day_rules for kind in KINDS.values()))
