"""The JSON Schemas (projects, formats 1 and 2; KPIs): valid 2020-12, within what draft-07
editors read, documented everywhere, their shared parts equal."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from projledger.core.schema import check_structure, schema, schema_path

from conftest import PROJECT_ROOT

SCHEMA_FILE = PROJECT_ROOT / "schemas" / "project.schema.json"
KPI_SCHEMA_FILE = PROJECT_ROOT / "schemas" / "kpi.schema.json"
#: Each schema by the key of a kind it is the schema of.
SCHEMAS = {(1, "project"): SCHEMA_FILE, (2, "kpi"): KPI_SCHEMA_FILE}
#: Keywords that draft-07 and 2020-12 share; editors (taplo) silently skip anything newer.
SHARED_KEYWORDS = {
    "$schema", "$id", "title", "description", "type", "properties", "required",
    "additionalProperties", "items", "enum", "const", "pattern", "minimum", "maximum",
    "format", "minLength", "maxLength", "allOf", "if", "then",
}  # fmt: skip
#: projledger's own annotations: every validator ignores them, projledger checks them.
ANNOTATIONS = {"x-decimals"}
#: Keywords whose answer on a binary float differs from the answer on the exact decimal the
#: record spells: taplo and check-jsonschema read TOML floats as binary floats, so ``multipleOf:
#: 0.01`` refuses 0.28. None may appear.
FLOAT_FRAGILE = {"multipleOf", "exclusiveMinimum", "exclusiveMaximum"}


def _walk(node: Any, path: str = "#") -> list[tuple[str, dict[str, Any]]]:
    found = [(path, node)]
    if node is False:  # a key a format does not allow (``then: {properties: {key: false}}``)
        return found
    for key, child in node.get("properties", {}).items():
        found += _walk(child, f"{path}/properties/{key}")
    if isinstance(node.get("items"), dict):
        found += _walk(node["items"], f"{path}/items")
    return found


def _conditions(node: dict[str, Any]) -> list[Any]:
    """The ``if`` and ``then`` parts of a node's ``allOf``."""
    return [part[key] for part in node.get("allOf", ()) for key in ("if", "then") if key in part]


@pytest.mark.parametrize("schema_file", SCHEMAS.values(), ids=lambda p: p.name)
def test_schema_is_valid_for_both_drafts(schema_file: Path) -> None:
    data = json.loads(schema_file.read_text("utf-8"))
    assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(data)
    jsonschema.Draft7Validator.check_schema(data)


@pytest.mark.parametrize("key", SCHEMAS, ids=str)
def test_schema_uses_only_keywords_draft7_shares(key: tuple[int, str]) -> None:
    for path, node in _walk(schema(key)):
        assert set(node) <= SHARED_KEYWORDS | ANNOTATIONS, f"{path}: {set(node) - SHARED_KEYWORDS}"
        for condition in _conditions(node):
            for sub_path, sub in _walk(condition, f"{path}/allOf"):
                assert sub is False or set(sub) <= SHARED_KEYWORDS, (
                    f"{sub_path}: {set(sub) - SHARED_KEYWORDS}"
                )


@pytest.mark.parametrize("key", SCHEMAS, ids=str)
def test_no_keyword_a_float_reading_validator_gets_wrong(key: tuple[int, str]) -> None:
    """No multipleOf anywhere, and every numeric limit a whole number a binary float holds
    exactly: then x <= limit for the exact decimal x implies it for float(x) (rounding to the
    nearest float is monotonic), so a float-based validator accepts what projledger accepts."""
    text = SCHEMAS[key].read_text("utf-8")
    assert '"multipleOf"' not in text
    for path, node in _walk(schema(key)):
        assert not set(node) & FLOAT_FRAGILE, path
        for keyword in ("minimum", "maximum"):
            if keyword in node:
                limit = node[keyword]
                assert isinstance(limit, int) and float(limit) == limit and abs(limit) < 2**53, path


def test_money_positions_carry_the_decimals_annotation() -> None:
    from projledger.core.schema import decimal_positions

    assert dict(decimal_positions()) == {
        ("budget",): 2,
        ("reports", "*", "disbursed"): 2,
        ("budget_revisions", "*", "budget"): 2,
    }
    assert dict(decimal_positions((2, "kpi"))) == {}


@pytest.mark.parametrize("key", SCHEMAS, ids=str)
def test_every_property_has_a_title_and_description(key: tuple[int, str]) -> None:
    for path, node in _walk(schema(key)):
        assert node.get("title"), f"{path} has no title"
        assert node.get("description"), f"{path} has no description"


@pytest.mark.parametrize("key", SCHEMAS, ids=str)
def test_objects_refuse_unknown_keys(key: tuple[int, str]) -> None:
    for path, node in _walk(schema(key)):
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False, path


@pytest.mark.parametrize("key", SCHEMAS, ids=str)
def test_installed_schema_is_the_repository_schema(key: tuple[int, str]) -> None:
    installed = json.loads(Path(schema_path(key)).read_text("utf-8"))
    assert installed == json.loads(SCHEMAS[key].read_text("utf-8"))


def test_format_2_projects_share_the_project_schema() -> None:
    assert schema_path((2, "project")) == schema_path((1, "project"))


@pytest.mark.parametrize("part", ["agency", "evaluations", "fiscal_year"])
def test_what_projects_and_kpis_share_is_defined_alike(part: str) -> None:
    """The parts both kinds have are one definition, written in each self-contained schema."""
    project = json.loads(SCHEMA_FILE.read_text("utf-8"))["properties"][part]
    assert json.loads(KPI_SCHEMA_FILE.read_text("utf-8"))["properties"][part] == project


def test_format_1_holds_neither_kind_nor_the_tables_of_format_2() -> None:
    base = {"code": "50100000-0001", "name": "x", "fiscal_year": 2567, "start": date(2023, 10, 1),
            "end": date(2024, 9, 30), "budget": 1, "agency": {"department": "d"}}  # fmt: skip
    evaluation = [{"quarter": 1, "score": 90, "date": date(2024, 1, 10)}]
    revision = [{"date": date(2024, 1, 10), "budget": 2, "reference": "r"}]
    extra = {"kind": "project", "evaluations": evaluation, "budget_revisions": revision}
    assert check_structure({"format": 2, **base, **extra}, (2, "project")) == []
    assert check_structure({"format": 1, **base}, (1, "project")) == []
    refused = check_structure({"format": 1, **base, **extra}, (1, "project"))
    assert [(where, rule) for where, rule, _ in refused] == [
        (("budget_revisions",), "unknown-key"), (("evaluations",), "unknown-key"), (("kind",), "unknown-key"),
    ]  # fmt: skip
    assert all("format 1 record" in message and "migrate" in message for _, _, message in refused)
    missing = check_structure({"format": 2, **base}, (2, "project"))
    assert [(where, rule) for where, rule, _ in missing] == [(("kind",), "missing-key")]


def test_an_unknown_key_of_format_1_lists_only_what_format_1_allows() -> None:
    base = {"format": 1, "code": "50100000-0001", "name": "x", "fiscal_year": 2567, "start": date(2023, 10, 1),
            "end": date(2024, 9, 30), "budget": 1, "agency": {"department": "d"}, "colour": "red"}  # fmt: skip
    [(_, rule, message)] = check_structure(base, (1, "project"))
    assert rule == "unknown-key" and "evaluations" not in message and "kind" not in message
    [(_, rule, message)] = check_structure({**base, "format": 2, "kind": "project"}, (2, "project"))
    assert "evaluations" in message and "budget_revisions" in message
