"""The JSON Schema: valid 2020-12, within what draft-07 editors read, documented everywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from projledger.core.schema import schema, schema_path

from conftest import PROJECT_ROOT

SCHEMA_FILE = PROJECT_ROOT / "schemas" / "project.schema.json"
#: Keywords that draft-07 and 2020-12 share; editors (taplo) silently skip anything newer.
SHARED_KEYWORDS = {
    "$schema", "$id", "title", "description", "type", "properties", "required",
    "additionalProperties", "items", "enum", "const", "pattern", "minimum", "maximum",
    "format", "minLength", "maxLength",
}  # fmt: skip
#: projledger's own annotations: every validator ignores them, projledger checks them.
ANNOTATIONS = {"x-decimals"}
#: Keywords whose answer on a binary float differs from the answer on the exact decimal the
#: record spells: taplo and check-jsonschema read TOML floats as binary floats, so ``multipleOf:
#: 0.01`` refuses 0.28. None may appear.
FLOAT_FRAGILE = {"multipleOf", "exclusiveMinimum", "exclusiveMaximum"}


def _walk(node: Any, path: str = "#") -> list[tuple[str, dict[str, Any]]]:
    found = [(path, node)]
    for key, child in node.get("properties", {}).items():
        found += _walk(child, f"{path}/properties/{key}")
    if isinstance(node.get("items"), dict):
        found += _walk(node["items"], f"{path}/items")
    return found


def test_schema_is_valid_for_both_drafts() -> None:
    data = json.loads(SCHEMA_FILE.read_text("utf-8"))
    assert data["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(data)
    jsonschema.Draft7Validator.check_schema(data)


def test_schema_uses_only_keywords_draft7_shares() -> None:
    for path, node in _walk(schema()):
        assert set(node) <= SHARED_KEYWORDS | ANNOTATIONS, f"{path}: {set(node) - SHARED_KEYWORDS}"


def test_no_keyword_a_float_reading_validator_gets_wrong() -> None:
    """No multipleOf anywhere, and every numeric limit a whole number a binary float holds
    exactly: then x <= limit for the exact decimal x implies it for float(x) (rounding to the
    nearest float is monotonic), so a float-based validator accepts what projledger accepts."""
    text = SCHEMA_FILE.read_text("utf-8")
    assert '"multipleOf"' not in text
    for path, node in _walk(schema()):
        assert not set(node) & FLOAT_FRAGILE, path
        for keyword in ("minimum", "maximum"):
            if keyword in node:
                limit = node[keyword]
                assert isinstance(limit, int) and float(limit) == limit and abs(limit) < 2**53, path


def test_money_positions_carry_the_decimals_annotation() -> None:
    from projledger.core.schema import decimal_positions

    assert dict(decimal_positions()) == {("budget",): 2, ("reports", "*", "disbursed"): 2}


def test_every_property_has_a_title_and_description() -> None:
    for path, node in _walk(schema()):
        assert node.get("title"), f"{path} has no title"
        assert node.get("description"), f"{path} has no description"


def test_objects_refuse_unknown_keys() -> None:
    for path, node in _walk(schema()):
        if node.get("type") == "object":
            assert node.get("additionalProperties") is False, path


def test_installed_schema_is_the_repository_schema() -> None:
    assert json.loads(Path(schema_path()).read_text("utf-8")) == json.loads(SCHEMA_FILE.read_text("utf-8"))
