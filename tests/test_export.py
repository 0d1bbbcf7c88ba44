"""``projledger export``: the tables, their schema files, exactness, atomic output, and the
README's recipes run for real (DuckDB over the exports of two repositories, through Parquet and
through SQLite, with the same totals as ``summary``)."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from projledger.core import export as ex

from conftest import PROJECT_ROOT, run
from portfolio import AS_OF, build

AS_OF_ARG = AS_OF.isoformat()

#: The columns of export version 1, pinned: adding a column to a table is allowed (append it
#: to the schema file and TABLES); renaming, removing or retyping one breaks this test and
#: needs EXPORT_VERSION bumped and the README's note.
PINNED = {
    "projects": "code name department start:date end:date budget:decimal(18,2) plan_ref strategy_issue "
    "format:int32 reports:int32",
    "reports": "code no:int32 date:date progress:decimal(18,2) disbursed:decimal(18,2) plan_status "
    "target_status event",
    "kpis": "code number name department category level unit target:decimal(18,4) baseline:decimal(18,4) "
    "direction definition formula data_source strategy_issue strategy_dimension strategy_goal projects",
    "kpi_results": "code quarter:int32 value:decimal(18,4) date:date note",
    "evaluations": "code record_kind quarter:int32 score:decimal(18,4) full_score:decimal(18,4) date:date "
    "evaluator note",
    "budget_revisions": "code date:date budget:decimal(18,2) reference note",
    "findings": "line:int32 column:int32 field rule severity message",
    "status": "kind code name department as_of:date state start:date end:date latest_no:int32 "
    "latest_date:date progress:decimal(18,2) expected:decimal(18,2) variance:decimal(18,2) plan_status "
    "computed_plan_status target_status disbursed:decimal(18,2) budget:decimal(18,2) "
    "budget_in_force:decimal(18,2) disbursement_rate:decimal(18,2) disbursement_target:decimal(18,2) "
    "disbursement_gap:decimal(18,2) disbursed_q1:decimal(18,2) disbursed_q2:decimal(18,2) "
    "disbursed_q3:decimal(18,2) disbursed_q4:decimal(18,2) due:int32 filed:int32 overdue:int32 late:bool "
    "unit target:decimal(18,4) direction latest_quarter:int32 latest_value:decimal(18,4) "
    "percent_of_target:decimal(18,2) met:bool latest_score:decimal(18,4) latest_full_score:decimal(18,4)",
}
COMMON = "repository agency_code:string fiscal_year:int32 path"


def _pinned(table: str) -> list[tuple[str, str]]:
    words = (COMMON + " " + PINNED[table]).split()
    return [(w.split(":")[0], w.split(":")[1] if ":" in w else "string") for w in words]


def test_schema_files_are_the_declared_columns_and_keep_the_pinned_ones() -> None:
    assert set(PINNED) == set(ex.TABLES)
    for table in ex.TABLES:
        shipped = (PROJECT_ROOT / "schemas" / "export" / f"{table}.json").read_text("utf-8")
        assert shipped == ex.schema_text(table), f"schemas/export/{table}.json differs from TABLES"
        columns = [(c.name, c.type) for c in ex.read_schema(table)]
        pinned = _pinned(table)
        assert columns[: len(pinned)] == pinned, f"{table}: a pinned column was renamed, moved or retyped"
    ex.check_schemas()


def test_a_table_that_does_not_match_its_schema_is_refused_and_nothing_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(tmp_path)
    monkeypatch.chdir(tmp_path)
    renamed = tuple(ex.Column("budget_thb", c.type, c.nullable) if c.name == "budget" else c
                    for c in ex.TABLES["projects"])  # fmt: skip
    monkeypatch.setitem(ex.TABLES, "projects", renamed)
    result = run("export", "--format", "ndjson", "--output", "out", "--as-of", AS_OF_ARG)
    assert result.exit_code == 3
    assert "projects" in result.stderr and "budget_thb" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if ".tmp-" in p.name] == []


def test_a_row_of_the_wrong_type_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(tmp_path)
    monkeypatch.chdir(tmp_path)

    def floats(ctx: ex.Context, item: ex.Item):  # type: ignore[no-untyped-def]
        for row in ex.project_rows(ctx, item):
            yield (*row[:9], float(row[9]), *row[10:])  # budget as a binary float

    monkeypatch.setitem(ex.PRODUCERS, "projects", floats)
    result = run("export", "--format", "sqlite", "--output", "out", "--as-of", AS_OF_ARG)
    assert result.exit_code == 3
    assert "budget" in result.stderr and "float" in result.stderr
    assert not (tmp_path / "out").exists()


def _export(root: Path, fmt: str, out: Path, monkeypatch: pytest.MonkeyPatch) -> dict:  # type: ignore[type-arg]
    monkeypatch.chdir(root)
    result = run("export", "--format", fmt, "--output", str(out), "--as-of", AS_OF_ARG)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("export: ")
    return json.loads((out / "export.json").read_text("utf-8"))


def test_ndjson_tables_exact_thai_and_every_row_carries_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "city"
    build(root, with_invalid=True)
    (root / "projledger.toml").write_text('name = "bma-council"\n', "utf-8")
    manifest = _export(root, "ndjson", tmp_path / "x", monkeypatch)
    assert manifest["export_version"] == ex.EXPORT_VERSION and manifest["repository"] == "bma-council"
    assert manifest["as_of"] == AS_OF_ARG and manifest["generator"] == "projledger export"
    text = (tmp_path / "x" / "projects.ndjson").read_text("utf-8")
    assert '"budget":1000000.00' in text  # the Decimal's digits, not a float
    assert "สำนักงานเลขานุการสภากรุงเทพมหานคร" in text  # UTF-8, not \\u escapes
    projects = [json.loads(line) for line in text.splitlines()]
    assert len(projects) == 10 == manifest["tables"]["projects"]["rows"]
    first = next(p for p in projects if p["code"] == "01000000-0001")
    assert first["repository"] == "bma-council" and first["agency_code"] == "01000000"
    assert first["fiscal_year"] == 2565 and first["path"] == "records/2565/01000000-0001.toml"
    assert first["start"] == "2022-01-01" and first["reports"] == 3
    findings = [
        json.loads(line) for line in (tmp_path / "x" / "findings.ndjson").read_text("utf-8").splitlines()
    ]
    bad = [f for f in findings if f["path"] == "records/2565/01000000-0099.toml"]
    assert bad and all(f["severity"] in ("error", "warning") for f in findings)
    assert bad[0]["agency_code"] == "01000000" and bad[0]["fiscal_year"] == 2565
    for empty in ("kpis", "kpi_results", "evaluations", "budget_revisions"):
        assert (tmp_path / "x" / f"{empty}.ndjson").read_text("utf-8") == ""


def test_sqlite_money_in_satang_dates_and_meta(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "city"
    build(root)
    manifest = _export(root, "sqlite", tmp_path / "s", monkeypatch)
    con = sqlite3.connect(tmp_path / "s" / ex.SQLITE_FILE)
    budget, start = con.execute("SELECT budget, start FROM projects WHERE code = '01000000-0001'").fetchone()
    assert (budget, start) == (100_000_000, "2022-01-01")  # 1,000,000.00 baht in satang
    assert con.execute("SELECT typeof(budget) FROM projects LIMIT 1").fetchone() == ("integer",)
    meta = dict(con.execute("SELECT key, value FROM _meta"))
    assert meta["export_version"] == str(ex.EXPORT_VERSION) and meta["repository"] == "city"
    assert manifest["repository"] == "city"  # no name in the config: the folder's
    declared = [r[1] for r in con.execute("PRAGMA table_info(kpis)")]
    assert declared == [c.name for c in ex.columns_of("kpis")]
    assert con.execute("SELECT count(*) FROM kpis").fetchone() == (0,)


def test_export_replaces_only_an_export_and_refuses_protected_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "city"
    build(root)
    monkeypatch.chdir(root)
    (root / "notes").mkdir()
    (root / "notes" / "mine.txt").write_text("keep", "utf-8")
    for out, code in (("notes", 1), ("records", 2), (".", 2), ("..", 2)):
        result = run("export", "--format", "ndjson", "--output", out, "--as-of", AS_OF_ARG)
        assert result.exit_code == code, (out, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
    assert (root / "notes" / "mine.txt").read_text("utf-8") == "keep"
    assert sorted(p.name for p in (root / "records").iterdir()) == ["2565", "2566"]
    fifo = root / "pipe"
    os.mkfifo(fifo)
    assert run("export", "--format", "ndjson", "--output", "pipe").exit_code == 1
    # an export is replaced whole, in another format too
    assert run("export", "--format", "ndjson", "--output", "out", "--as-of", AS_OF_ARG).exit_code == 0
    assert run("export", "--format", "sqlite", "--output", "out", "--as-of", AS_OF_ARG).exit_code == 0
    assert sorted(p.name for p in (root / "out").iterdir()) == ["export.json", ex.SQLITE_FILE]
    assert [p.name for p in root.iterdir() if ".tmp-" in p.name] == []


def test_a_failed_export_leaves_the_previous_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "city"
    build(root)
    monkeypatch.chdir(root)
    assert run("export", "--format", "ndjson", "--output", "out", "--as-of", AS_OF_ARG).exit_code == 0
    before = {p.name: p.read_bytes() for p in (root / "out").iterdir()}

    def broken(ctx: ex.Context, item: ex.Item):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(ex.PRODUCERS, "status", broken)
    result = run("export", "--format", "ndjson", "--output", "out", "--as-of", "2022-04-30")
    assert result.exit_code == 1 and "no space left on the disk" in result.stderr
    assert {p.name: p.read_bytes() for p in (root / "out").iterdir()} == before
    assert [p.name for p in root.iterdir() if ".tmp-" in p.name] == []


def test_parquet_without_pyarrow_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    result = run("export", "--format", "parquet", "--output", "out", "--as-of", AS_OF_ARG)
    assert result.exit_code == 1
    assert "projledger[parquet]" in result.stderr
    assert not (tmp_path / "out").exists()


def test_export_reads_unchanged_records_from_the_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    root = tmp_path / "city"
    build(root)
    monkeypatch.chdir(root)
    assert run("export", "--format", "ndjson", "--output", "a", "--as-of", AS_OF_ARG).exit_code == 0
    import projledger.core.index as ix

    def no_reading(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a record was read again")

    monkeypatch.setattr(ix, "check_path", no_reading)
    assert run("export", "--format", "ndjson", "--output", "b", "--as-of", AS_OF_ARG).exit_code == 0
    for table in ex.TABLES:
        assert (root / "a" / f"{table}.ndjson").read_bytes() == (root / "b" / f"{table}.ndjson").read_bytes()


# --- the README's recipes: two repositories read together -------------------------------------------


def _two_repositories(tmp_path: Path) -> tuple[Path, Path]:
    """Two repositories holding the same project codes (as two agencies' may): rows must not clash."""
    a, b = tmp_path / "agency-a", tmp_path / "agency-b"
    build(a, with_invalid=True)
    build(b)
    extra = b / "records" / "2565" / "01000000-0001.toml"
    extra.write_text(extra.read_text("utf-8").replace("budget = 1000000.00", "budget = 1234567.89"), "utf-8")
    return a, b


def _summary_totals(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *roots: Path) -> dict[str, Decimal]:
    monkeypatch.chdir(tmp_path)
    totals: dict[str, Decimal] = {}
    for root in roots:  # summary reads one repository's config: each summed, then added up
        monkeypatch.chdir(root)
        result = run("summary", "--format", "json", "--as-of", AS_OF_ARG)
        for group in json.loads(result.stdout)["groups"]:
            code = group["key"]["agency"]
            totals[code] = totals.get(code, Decimal(0)) + Decimal(str(group["budget"]))
    return totals


def test_duckdb_over_two_repositories_parquet_and_sqlite_match_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    duckdb = pytest.importorskip("duckdb")
    pytest.importorskip("pyarrow")
    a, b = _two_repositories(tmp_path)
    exports = tmp_path / "exports"
    for root in (a, b):
        _export(root, "parquet", exports / root.name, monkeypatch)
    expected = _summary_totals(monkeypatch, tmp_path, a, b)
    monkeypatch.chdir(tmp_path)
    con = duckdb.connect()
    parquet = dict(con.execute(
        "SELECT agency_code, sum(budget) FROM read_parquet('exports/*/projects.parquet') GROUP BY ALL"
    ).fetchall())  # fmt: skip
    assert parquet == expected
    assert all(isinstance(v, Decimal) for v in parquet.values())
    # the same code in both repositories is two rows, told apart by repository
    both = con.execute(
        "SELECT repository, budget FROM read_parquet('exports/*/projects.parquet') "
        "WHERE code = '01000000-0001' ORDER BY repository"
    ).fetchall()
    assert both == [("agency-a", Decimal("1000000.00")), ("agency-b", Decimal("1234567.89"))]
    types = dict(con.execute("DESCRIBE SELECT * FROM read_parquet('exports/agency-a/projects.parquet')")
                 .fetchall()[i][:2] for i in range(14))  # fmt: skip
    assert types["budget"] == "DECIMAL(18,2)" and types["start"] == "DATE"


def test_duckdb_over_two_sqlite_exports_matches_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same query through the SQLite exports, with DuckDB's sqlite extension (which DuckDB
    downloads on first use: skipped where it cannot)."""
    duckdb = pytest.importorskip("duckdb")
    a, b = _two_repositories(tmp_path)
    for root in (a, b):
        _export(root, "sqlite", tmp_path / "sqlite" / root.name, monkeypatch)
    expected = _summary_totals(monkeypatch, tmp_path, a, b)
    monkeypatch.chdir(tmp_path)
    con = duckdb.connect()
    try:
        con.execute("LOAD sqlite")
    except duckdb.Error:
        pytest.skip("DuckDB's sqlite extension is not available offline here")
    union = " UNION ALL ".join(
        f"SELECT * FROM sqlite_scan('sqlite/{r.name}/{ex.SQLITE_FILE}', 'projects')" for r in (a, b)
    )
    through_sqlite = dict(con.execute(
        f"SELECT agency_code, sum(budget) / 100 FROM ({union}) GROUP BY ALL"
    ).fetchall())  # fmt: skip
    assert {k: Decimal(str(v)) for k, v in through_sqlite.items()} == expected


def test_python_sqlite3_over_two_repositories_matches_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = _two_repositories(tmp_path)
    for root in (a, b):
        _export(root, "sqlite", tmp_path / "sqlite" / root.name, monkeypatch)
    expected = _summary_totals(monkeypatch, tmp_path, a, b)
    con = sqlite3.connect(":memory:")
    con.execute(f"ATTACH '{tmp_path / 'sqlite' / 'agency-a' / ex.SQLITE_FILE}' AS a")
    con.execute(f"ATTACH '{tmp_path / 'sqlite' / 'agency-b' / ex.SQLITE_FILE}' AS b")
    satang = con.execute(
        "SELECT agency_code, sum(budget) FROM "
        "(SELECT * FROM a.projects UNION ALL SELECT * FROM b.projects) GROUP BY agency_code"
    ).fetchall()
    assert {code: Decimal(total).scaleb(-2) for code, total in satang} == expected


def test_pyspark_reads_the_parquet_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's PySpark snippet; pyspark (450 MB, needs Java) is not a dev dependency."""
    pyspark = pytest.importorskip("pyspark.sql", reason="pyspark is not installed (optional, 450 MB + Java)")
    pytest.importorskip("pyarrow")
    a, b = _two_repositories(tmp_path)
    for root in (a, b):
        _export(root, "parquet", tmp_path / "exports" / root.name, monkeypatch)
    expected = _summary_totals(monkeypatch, tmp_path, a, b)
    spark = pyspark.SparkSession.builder.master("local[1]").appName("projledger").getOrCreate()
    try:
        frame = spark.read.parquet(str(tmp_path / "exports" / "*" / "projects.parquet"))
        rows = frame.groupBy("agency_code").sum("budget").collect()
        assert {r[0]: Decimal(r[1]) for r in rows} == expected
    finally:
        spark.stop()
