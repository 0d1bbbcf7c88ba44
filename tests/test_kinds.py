"""The registry of record kinds (core/kinds.py): format 1 is its first entry, a new kind is one
more entry and flows through ``validate`` with no other module edited, and every rule's
``reads_day`` is true to its code."""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from projledger.core import kinds, record, rules, schema
from projledger.core.findings import Severity
from projledger.core.kinds import KINDS, RecordKind, format_problem, kind_of, supported_formats
from projledger.core.record import Project
from projledger.core.rules import RULES, Rule, RuleContext

from conftest import PROJECT_ROOT, SHIPPED, run


def test_format_1_is_the_project_record_and_the_registry_is_what_the_package_reads() -> None:
    project = kind_of(1)
    assert (project.name, project.constructor, project.record_type) == ("project", Project.from_data, Project)
    assert project.rules is RULES
    assert set(project.renderers) == {"text", "html"}
    assert supported_formats() == (1,)
    assert not hasattr(record, "SUPPORTED_FORMATS") and not hasattr(schema, "SCHEMA_FILES")
    assert Path(schema.schema_path()).name == project.schema_file


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
    assert kinds.register(kind_of(1)) is kind_of(1)  # the same entry again changes nothing


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"format": 1}, None),
        ({"format": 2}, "format 2 is not a record format this version of projledger reads (it reads 1)"),
        ({"format": "1"}, "format '1' is not a record format"),
        ({"format": True}, "format true is not a record format"),
        ({"code": "x"}, "the required key 'format' is missing (write format = 1)"),
    ],
)
def test_the_format_verdict_comes_from_the_registry(data: dict[str, Any], message: str | None) -> None:
    problem = format_problem(data)
    assert problem == message if message is None else problem is not None and problem.startswith(message)


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
        rules=(Rule("readings-rise", Severity.WARNING, readings_rise),),
    )  # fmt: skip
    monkeypatch.setitem(KINDS, 99, kind)
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
        "version of projledger reads (it reads 1, 99)"
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
    assert rules.AS_OF_RULES == frozenset({"future-report", "be-year"}) == kinds.day_rules()
    assert kind_of(1).day_rules == rules.AS_OF_RULES
