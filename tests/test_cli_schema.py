"""`projledger schema`: the schema's text and its installed path."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import PROJECT_ROOT, run


def test_schema_prints_the_shipped_schema() -> None:
    result = run("schema")
    assert result.exit_code == 0
    assert result.stdout == (PROJECT_ROOT / "schemas" / "project.schema.json").read_text("utf-8")
    assert json.loads(result.stdout)["properties"]["code"]["pattern"] == "^[0-9]{8}-[0-9]{4,}$"


def test_schema_path_is_a_file_holding_the_same_text() -> None:
    result = run("schema", "--path")
    assert result.exit_code == 0
    path = Path(result.stdout.rstrip("\n"))
    assert path.is_absolute() and path.name == "project.schema.json"
    assert path.read_text("utf-8") == run("schema").stdout


def test_schema_kind_kpi_prints_the_kpi_schema() -> None:
    result = run("schema", "--kind", "kpi")
    assert result.exit_code == 0
    assert result.stdout == (PROJECT_ROOT / "schemas" / "kpi.schema.json").read_text("utf-8")
    assert json.loads(result.stdout)["properties"]["kind"] == {
        "title": "kind", "description": "The kind of record: a KPI.", "const": "kpi"
    }  # fmt: skip
    path = run("schema", "--kind", "kpi", "--path").stdout.rstrip("\n")
    assert Path(path).name == "kpi.schema.json" and Path(path).read_text("utf-8") == result.stdout
    assert run("schema", "--kind", "project").stdout == run("schema").stdout


def test_schema_kind_refuses_an_unknown_kind() -> None:
    result = run("schema", "--kind", "meter")
    assert result.exit_code == 2 and "meter" in result.stderr
