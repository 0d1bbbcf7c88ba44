"""``projledger export``: the tables, their schema files, exactness, atomic output, and the
README's recipes run for real (DuckDB over the exports of two repositories, through Parquet and
through SQLite, with the same totals as ``summary``)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from projledger.core import export as ex

from conftest import DATA, PROJECT_ROOT, run
from portfolio import AS_OF, build

AS_OF_ARG = AS_OF.isoformat()

#: The columns of export version 2 (1's, in Parquet part files), pinned: adding a column to a table is allowed (append it
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


FORMAT2 = DATA / "format2"


def with_format2(root: Path) -> Path:
    """The portfolio of tests/portfolio.py plus the format-2 examples: a project with a budget
    revision and two evaluations, and a KPI (two results, one evaluation) naming it."""
    build(root)
    shutil.copy(FORMAT2 / "01000000-2475.toml", root / "records" / "2565" / "01000000-2475.toml")
    (root / "records" / "2565" / "kpi").mkdir()
    shutil.copy(FORMAT2 / "kpi" / "5026-2001.toml", root / "records" / "2565" / "kpi" / "5026-2001.toml")
    return root


def _lines(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def test_format2_tables_come_from_the_index_facts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    root = with_format2(tmp_path / "city")
    manifest = _export(root, "ndjson", tmp_path / "x", monkeypatch)
    counts = {
        t: manifest["tables"][t]["rows"] for t in ("kpis", "kpi_results", "evaluations", "budget_revisions")
    }
    assert counts == {"kpis": 1, "kpi_results": 2, "evaluations": 3, "budget_revisions": 1}
    (kpi,) = _lines(tmp_path / "x" / "kpis.ndjson")
    assert kpi == {
        "repository": "city", "agency_code": "5026", "fiscal_year": 2565, "path": "records/2565/kpi/5026-2001.toml",
        "code": "5026-2001", "number": "5.1", "name": "ความสำเร็จของการเบิกจ่ายงบประมาณในภาพรวม",
        "department": "สำนักงานเลขานุการสภากรุงเทพมหานคร", "category": "routine", "level": "output",
        "unit": "ร้อยละ", "target": 100, "baseline": None, "direction": "higher",
        "definition": "ร้อยละของงบประมาณที่เบิกจ่ายได้เทียบกับงบประมาณหลังปรับโอน",
        "formula": "(งบประมาณที่เบิกจ่าย / งบประมาณหลังปรับโอน) x 100", "data_source": "ระบบติดตามและประเมินผล",
        "strategy_issue": "การบริหารจัดการ", "strategy_dimension": "มิติที่ 7.1",
        "strategy_goal": "การบริหารงบประมาณมีประสิทธิภาพ", "projects": "01000000-2475",
    }  # fmt: skip
    assert '"target":100.0000' in (tmp_path / "x" / "kpis.ndjson").read_text("utf-8")
    results = [
        (r["quarter"], r["value"], r["date"], r["note"])
        for r in _lines(tmp_path / "x" / "kpi_results.ndjson")
    ]
    assert results == [(1, 20.5, "2022-01-28", "เบิกจ่ายตามแผน"), (2, 45.5, "2022-04-25", "เบิกจ่ายตามแผน")]
    evaluations = [(e["code"], e["record_kind"], e["quarter"], e["score"], e["full_score"], e["date"], e["note"])
                   for e in _lines(tmp_path / "x" / "evaluations.ndjson")]  # fmt: skip
    assert sorted(evaluations) == [
        ("01000000-2475", "project", 1, 100, 100, "2022-01-20", None),
        ("01000000-2475", "project", 2, 95.5, 100, "2022-04-21", "รายงานครบถ้วน"),
        ("5026-2001", "kpi", 1, 100, 100, "2022-01-31", None),
    ]
    (revision,) = _lines(tmp_path / "x" / "budget_revisions.ndjson")
    assert (revision["agency_code"], revision["date"], revision["budget"], revision["reference"], revision["note"]) == (
        "01000000", "2022-03-15", 3200000, "โอนงบประมาณ ครั้งที่ 1/2565", "โอนไปตั้งจ่ายรายการอื่น"
    )  # fmt: skip
    # a second export reads no record file: every text of these tables is in the index's facts
    import projledger.core.index as ix

    def no_reading(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("a record was read again")

    monkeypatch.setattr(ix, "check_path", no_reading)
    _export(root, "ndjson", tmp_path / "y", monkeypatch)
    for table in ex.TABLES:
        assert (tmp_path / "x" / f"{table}.ndjson").read_bytes() == (
            tmp_path / "y" / f"{table}.ndjson"
        ).read_bytes()


@pytest.mark.parametrize(("as_of", "quarter", "value", "percent"), [
    ("2022-03-31", 1, 20.5, 20.5),  # the Q2 result, dated 25 April, not yet known
    ("2022-10-31", 2, 45.5, 45.5),
])  # fmt: skip
def test_status_has_a_row_per_kpi_with_the_figures_of_kpi_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_of: str, quarter: int, value: float, percent: float
) -> None:
    from datetime import date

    from projledger.core.config import load_config
    from projledger.core.portfolio import kpi_rows

    root = with_format2(tmp_path / "city")
    monkeypatch.chdir(root)
    result = run("export", "--format", "ndjson", "--output", str(tmp_path / "x"), "--as-of", as_of)
    assert result.exit_code == 0, result.stderr
    rows = _lines(tmp_path / "x" / "status.ndjson")
    assert sorted(r["kind"] for r in rows) == ["kpi"] + ["project"] * 11
    (kpi,) = (r for r in rows if r["kind"] == "kpi")
    assert (kpi["code"], kpi["agency_code"], kpi["unit"], kpi["target"], kpi["direction"]) == (
        "5026-2001", "5026", "ร้อยละ", 100, "higher"
    )  # fmt: skip
    assert (kpi["latest_quarter"], kpi["latest_value"], kpi["percent_of_target"], kpi["met"]) == (
        quarter, value, percent, False
    )  # fmt: skip
    assert (kpi["latest_score"], kpi["latest_full_score"], kpi["as_of"]) == (100, 100, as_of)
    assert all(kpi[c] is None for c in ("state", "budget", "disbursed", "due", "late"))
    (expected,) = kpi_rows([], load_config(root), date.fromisoformat(as_of), checked_on=date(2022, 10, 31))
    for name in ("latest_quarter", "latest_value", "percent_of_target", "met", "latest_score", "target"):
        wanted = getattr(expected, name)
        assert kpi[name] == (wanted if wanted is None or isinstance(wanted, bool) else float(wanted)), name
    project = next(r for r in rows if r["code"] == "01000000-2475")
    assert project["unit"] is None and project["latest_quarter"] is None and project["met"] is None
    assert project["budget_in_force"] == 3200000 and project["latest_score"] is not None


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


def test_batches_and_row_groups_are_bounded_by_values_not_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory is bounded by values held, whatever a table's width: a wide table's batches and
    Parquet row groups have fewer rows; every row is still written once, in order."""
    pq = pytest.importorskip("pyarrow.parquet")
    root = with_format2(tmp_path / "city")
    monkeypatch.setattr(ex, "VALUES", 4 * len(ex.columns_of("status")))
    monkeypatch.setattr(ex, "GROUP_VALUES", 8 * len(ex.columns_of("status")))
    monkeypatch.setattr(ex, "MIN_GROUP", 2)
    monkeypatch.setattr(ex, "MIN_BATCH", 1)
    handed: dict[str, list[int]] = {}
    write = ex.WriterProcess.write  # the batches as sent to the writer's process

    def counted(self, table, rows):  # type: ignore[no-untyped-def]
        handed.setdefault(table, []).append(len(rows))
        write(self, table, rows)

    monkeypatch.setattr(ex.WriterProcess, "write", counted)
    _export(root, "parquet", tmp_path / "p", monkeypatch)
    assert max(handed["status"]) <= 4 and len(handed["status"]) == 3  # a row a record: 12 rows, 4 at a time
    assert len(handed["reports"]) > 1  # a batch may pass its bound by one record's rows
    status = pq.ParquetFile(tmp_path / "p" / "status" / "part-00000.parquet")
    sizes = [status.metadata.row_group(i).num_rows for i in range(status.num_row_groups)]
    assert sum(sizes) == 12 and len(sizes) > 1 and max(sizes) <= 8 + 4
    _export(root, "ndjson", tmp_path / "n", monkeypatch)
    codes = [r["code"] for r in _lines(tmp_path / "n" / "status.ndjson")]
    assert status.read(columns=["code"]).column("code").to_pylist() == codes


def test_a_parquet_table_is_a_folder_of_parts_of_bounded_row_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each Parquet table is a folder of part files, a new part every PART_GROUPS row groups (so
    the writer's metadata, kept until a file closes, is bounded); an empty table is one part of
    no rows; the manifest lists the parts; read together they are every row, in order."""
    pq = pytest.importorskip("pyarrow.parquet")
    root = with_format2(tmp_path / "city")
    monkeypatch.setattr(ex, "VALUES", 2 * len(ex.columns_of("status")))
    monkeypatch.setattr(ex, "GROUP_VALUES", 2 * len(ex.columns_of("status")))
    monkeypatch.setattr(ex, "MIN_GROUP", 1)
    monkeypatch.setattr(ex, "MIN_BATCH", 1)
    monkeypatch.setattr(ex, "PART_GROUPS", 2)
    manifest = _export(root, "parquet", tmp_path / "p", monkeypatch)
    assert manifest["export_version"] == ex.EXPORT_VERSION == 2
    assert "part-00000.parquet" in manifest["layout"] and "version 1" in manifest["layout"]
    parts = manifest["tables"]["status"]["parts"]
    assert manifest["tables"]["status"]["file"] == "status/"
    assert parts == [f"status/part-{i:05d}.parquet" for i in range(len(parts))] and len(parts) == 3
    assert sorted(p.name for p in (tmp_path / "p" / "status").iterdir()) == [p.split("/")[1] for p in parts]
    groups = [pq.ParquetFile(tmp_path / "p" / part).metadata.num_row_groups for part in parts]
    assert max(groups) == 2 and sum(groups) == 6  # 12 rows, 2 a group, 2 groups a part
    codes = [c for part in parts for c in pq.read_table(tmp_path / "p" / part).column("code").to_pylist()]
    _export(root, "ndjson", tmp_path / "n", monkeypatch)
    assert codes == [r["code"] for r in _lines(tmp_path / "n" / "status.ndjson")]
    empty = manifest["tables"]["kpi_results"]
    if empty["rows"] == 0:
        assert empty["parts"] == ["kpi_results/part-00000.parquet"]
    whole = pq.read_table(tmp_path / "p" / "status")  # the folder reads as one table (Hive-style readers)
    assert whole.num_rows == 12 and whole.schema.metadata[b"export_version"] == b"2"


def test_records_added_while_the_export_reads_them_refuse_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The export walks the records three times (holding no file's entry or name between): a
    listing that changed between the walks is refused, nothing written, never rows mismatched."""
    root = with_format2(tmp_path / "city")
    monkeypatch.chdir(root)
    assert run("export", "--format", "ndjson", "--output", "out", "--as-of", AS_OF_ARG).exit_code == 0
    before = {p.name: p.read_bytes() for p in (root / "out").iterdir()}
    listing = ex._listing

    def changing_at(walk: int, change: str) -> None:
        calls: list[int] = []

        def changed(paths, config):  # type: ignore[no-untyped-def]
            calls.append(1)
            this = len(calls)
            files = list(listing(paths, config))
            if this == walk and change == "added":  # (first: a file the pool is given out of turn)
                files.insert(0, (str(root / "records" / "2566" / "01000000-0099.toml"), None))
            elif this == walk:
                files = files[1:]
            yield from files

        monkeypatch.setattr(ex, "_listing", changed)

    # The walks: 1 asks the index, 2 yields the rows, 3 names the files to read to the pool.
    for walk, change in ((2, "added"), (2, "removed"), (3, "added"), (3, "removed")):
        changing_at(walk, change)
        result = run("--lang", "en", "export", "--format", "ndjson", "--output", "out", "--as-of", AS_OF_ARG)
        assert result.exit_code == 1, (walk, change, result.stderr)
        assert "added or removed while the export read them" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert {p.name: p.read_bytes() for p in (root / "out").iterdir()} == before
        assert [p.name for p in root.iterdir() if ".tmp-" in p.name] == []


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
    # a link to a folder, or to nothing, is refused in the export's words (it said "give the site")
    (root / "away").symlink_to(root / "notes")
    (root / "gone").symlink_to(root / "nowhere")
    for link in ("away", "gone"):
        result = run("--lang", "en", "export", "--format", "ndjson", "--output", link)
        assert (result.exit_code, result.stderr) == (
            1,
            f"projledger: {link}: --output: is a link; give a real folder\n",
        )
    # an export is replaced whole, in another format too
    assert run("export", "--format", "ndjson", "--output", "out", "--as-of", AS_OF_ARG).exit_code == 0
    assert run("export", "--format", "sqlite", "--output", "out", "--as-of", AS_OF_ARG).exit_code == 0
    assert sorted(p.name for p in (root / "out").iterdir()) == ["export.json", ex.SQLITE_FILE]
    assert [p.name for p in root.iterdir() if ".tmp-" in p.name] == []


def test_what_a_killed_export_left_is_removed_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "city"
    build(root)
    monkeypatch.chdir(root)
    killed = root / ".out.tmp-k1ll3d00"  # as tempfile.mkdtemp names it; a table half-written
    killed.mkdir()
    (killed / "reports").mkdir()
    (killed / "reports" / "part-00000.parquet").write_bytes(b"PAR1 half")
    (killed / "status.ndjson").write_text("{", "utf-8")
    empty = root / ".out.tmp-3mpty000"
    empty.mkdir()
    foreign = root / ".out.tmp-n0tours0"  # holds a file no export writes: left alone
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep", "utf-8")
    mine = root / ".out.tmp-0wnf1les"  # a table's folder holding a file no export writes: left alone
    (mine / "projects").mkdir(parents=True)
    (mine / "projects" / "mine.csv").write_text("keep", "utf-8")
    other = root / ".other.tmp-k1ll3d00"  # another output's: not this export's to clean
    other.mkdir()
    assert run("export", "--format", "ndjson", "--output", "out", "--as-of", AS_OF_ARG).exit_code == 0
    assert not killed.exists() and not empty.exists()
    assert (foreign / "notes.txt").read_text("utf-8") == "keep" and other.is_dir()
    assert (mine / "projects" / "mine.csv").read_text("utf-8") == "keep"
    assert (root / "out" / "export.json").is_file()


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
        "SELECT agency_code, sum(budget) FROM read_parquet('exports/*/projects/*.parquet') GROUP BY ALL"
    ).fetchall())  # fmt: skip
    assert parquet == expected
    assert all(isinstance(v, Decimal) for v in parquet.values())
    # the same code in both repositories is two rows, told apart by repository
    both = con.execute(
        "SELECT repository, budget FROM read_parquet('exports/*/projects/*.parquet') "
        "WHERE code = '01000000-0001' ORDER BY repository"
    ).fetchall()
    assert both == [("agency-a", Decimal("1000000.00")), ("agency-b", Decimal("1234567.89"))]
    types = dict(con.execute("DESCRIBE SELECT * FROM read_parquet('exports/agency-a/projects/*.parquet')")
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


def _generated_repositories(tmp_path: Path) -> tuple[Path, Path]:
    """Two repositories of generated format-1 projects (some broken on purpose: findings), each
    with the format-2 examples (a project with a budget revision and evaluations, a KPI); the
    second holds a second KPI that meets its target."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    from bench.generate import generate

    roots = []
    for seed, name in ((1, "agency-a"), (2, "agency-b")):
        root = tmp_path / name
        generate(root, 40, seed=seed, size=1500, fail_share=0.15)
        kpis = root / "records" / "2565" / "kpi"
        kpis.mkdir(parents=True)
        shutil.copy(FORMAT2 / "01000000-2475.toml", root / "records" / "2565" / "01000000-2475.toml")
        shutil.copy(FORMAT2 / "kpi" / "5026-2001.toml", kpis / "5026-2001.toml")
        roots.append(root)
    met = (FORMAT2 / "kpi" / "5026-2001.toml").read_text("utf-8")
    met = met.replace('code = "5026-2001"', 'code = "5026-2002"').replace("target = 100", "target = 40")
    (roots[1] / "records" / "2565" / "kpi" / "5026-2002.toml").write_text(met, "utf-8")
    return roots[0], roots[1]


def test_duckdb_over_two_generated_repositories_with_kpis_and_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's Done-when: the README's recipes over the Parquet exports of two generated
    repositories holding projects, KPIs and findings give the totals of ``summary`` over both,
    and the KPIs met per agency those of the KPI rows (portfolio.kpi_rows)."""
    duckdb = pytest.importorskip("duckdb")
    pytest.importorskip("pyarrow")
    from datetime import date

    from bench.generate import AS_OF as BENCH_AS_OF  # type: ignore[import-not-found]
    from projledger.core.config import load_config
    from projledger.core.portfolio import kpi_rows

    a, b = _generated_repositories(tmp_path)
    as_of = BENCH_AS_OF.isoformat()
    for root in (a, b):
        monkeypatch.chdir(root)
        result = run("export", "--format", "parquet", "--output", str(tmp_path / "exports" / root.name),
                     "--as-of", as_of)  # fmt: skip
        assert result.exit_code == 0, result.stderr
    expected: dict[str, Decimal] = {}
    met_expected: dict[str, tuple[int, int]] = {}
    summary_kpis = [0, 0]
    for root in (a, b):
        monkeypatch.chdir(root)
        summary = run("summary", "--format", "json", "--as-of", as_of)
        total = json.loads(summary.stdout)["total"]
        summary_kpis = [summary_kpis[0] + total["kpis"], summary_kpis[1] + total["kpis_met"]]
        for group in json.loads(summary.stdout)["groups"]:
            code = group["key"]["agency"]
            expected[code] = expected.get(code, Decimal(0)) + Decimal(str(group["budget"]))
        for row in kpi_rows([], load_config(root), date.fromisoformat(as_of), checked_on=date(2026, 1, 1)):
            count, met = met_expected.get(row.agency_code, (0, 0))
            met_expected[row.agency_code] = (count + 1, met + bool(row.met))
    monkeypatch.chdir(tmp_path)
    con = duckdb.connect()
    budgets = dict(con.execute(
        "SELECT agency_code, sum(budget_in_force) FROM read_parquet('exports/*/status/*.parquet') "
        "WHERE kind = 'project' GROUP BY ALL"
    ).fetchall())  # fmt: skip
    assert budgets == expected and len(expected) > 3
    # the projects table holds each record's own budget: the revision shows in budget_revisions
    revised = con.execute(
        "SELECT p.budget, r.budget FROM read_parquet('exports/*/projects/*.parquet') p "
        "JOIN read_parquet('exports/*/budget_revisions/*.parquet') r USING (repository, code)"
    ).fetchall()
    assert revised == [(Decimal("3540000.00"), Decimal("3200000.00"))] * 2
    kpis = {
        code: (count, met)
        for code, count, met in con.execute(
            "SELECT agency_code, count(*), count(*) FILTER (WHERE met) "
            "FROM read_parquet('exports/*/status/*.parquet') WHERE kind = 'kpi' GROUP BY ALL"
        ).fetchall()
    }
    assert kpis == met_expected == {"5026": (3, 1)}
    assert summary_kpis == [3, 1]  # summary files a KPI under its department's agency: the totals agree
    findings = con.execute(
        "SELECT repository, count(*) FROM read_parquet('exports/*/findings/*.parquet') "
        "WHERE severity = 'error' GROUP BY ALL ORDER BY 1"
    ).fetchall()
    assert [r[0] for r in findings] == ["agency-a", "agency-b"] and all(n > 0 for _, n in findings)
    counts = dict(con.execute(
        "SELECT 'kpi_results', count(*) FROM read_parquet('exports/*/kpi_results/*.parquet') UNION ALL "
        "SELECT 'evaluations', count(*) FROM read_parquet('exports/*/evaluations/*.parquet')"
    ).fetchall())  # fmt: skip
    assert counts == {"kpi_results": 6, "evaluations": 7}


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
        frame = spark.read.parquet(str(tmp_path / "exports" / "*" / "projects" / "*.parquet"))
        rows = frame.groupBy("agency_code").sum("budget").collect()
        assert {r[0]: Decimal(r[1]) for r in rows} == expected
    finally:
        spark.stop()


def test_an_export_never_reads_the_index_s_entry_of_every_file_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path
) -> None:
    """Memory bounded in every format: storing what it checked, a cold export (and a warm one,
    storing nothing at the end) asks the index of one file at a time (``Index.entry_of``), never
    of every file at once (``Index.held``, with its list and map of 100,000 files); the stored
    entries still serve the next run."""
    from projledger.core import index as ix

    root = with_format2(tmp_path / "city")
    loaded: list[int] = []
    held = ix.Index.held

    def spied(self, *args):  # type: ignore[no-untyped-def]
        loaded.append(1)
        return held(self, *args)

    monkeypatch.setattr(ix.Index, "held", spied)
    cold = _export(root, "ndjson", tmp_path / "cold", monkeypatch)
    warm = _export(root, "ndjson", tmp_path / "warm", monkeypatch)
    assert loaded == []
    assert cold["tables"] == warm["tables"]
    assert _lines(tmp_path / "cold" / "status.ndjson") == _lines(tmp_path / "warm" / "status.ndjson")
    assert list(cache_dir.glob("index-*.sqlite"))  # the exports stored what they checked
    result = run("status", "--format", "json", "--as-of", AS_OF_ARG)  # reads the entries export stored
    assert result.exit_code in (0, 1), result.stderr
    assert loaded == [1]


def test_a_pool_leaves_the_checking_code_to_its_processes(tmp_path: Path) -> None:
    """A cold run on a pool (export's, whose parent holds pyarrow besides): the processes of the
    pool import the checking code, the parent does not; the files are checked all the same, in order."""
    root = tmp_path / "city"
    build(root)
    script = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "from projledger.core import index as ix\n"
        "from projledger.core.config import load_config\n"
        "from datetime import date\n"
        "ix.PARALLEL_THRESHOLD = 1\n"
        "config = load_config(Path.cwd())\n"
        "paths = sorted(str(p) for p in Path('records').rglob('*.toml'))\n"
        "done = list(ix.checked_in_order(paths, config, date(2565 - 543, 6, 30), None, 2))\n"
        "print(json.dumps([len(done), len(paths), 'projledger.core.check' in sys.modules]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    count, paths, imported = json.loads(out.stdout)
    assert count == paths > 1 and imported is False


class _FailingWriter:
    """A writer for the writer's process that refuses its second batch, or dies on it."""

    def __init__(self, folder: Path) -> None:
        self.batches = 0

    def begin(self, table: str, columns: object) -> str:
        return table

    def write(self, table: str, rows: list) -> None:  # type: ignore[type-arg]
        self.batches += 1
        if self.batches == 2:
            if os.environ.get("PROJLEDGER_TEST_DIE"):
                os._exit(9)  # as if killed: no word to the parent
            raise ex.InputError("refused in the writer's process", field="rows")

    def finish(self) -> None:
        raise AssertionError("never reached")

    def abort(self) -> None:
        pass


@pytest.mark.parametrize("dies", [False, True])
def test_a_failure_in_the_writer_s_process_is_the_export_s_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dies: bool
) -> None:
    """The writer's process raising (or dying) fails the export with one line, exit 1: its own
    error as it was raised there, or the pipe it left; the output folder is never made."""
    root = tmp_path / "city"
    build(root)
    monkeypatch.chdir(root)
    monkeypatch.setattr(ex, "VALUES", 1)
    monkeypatch.setattr(ex, "MIN_BATCH", 1)
    if dies:
        monkeypatch.setenv("PROJLEDGER_TEST_DIE", "1")
    monkeypatch.setitem(ex.WRITERS, "parquet", lambda folder: ex.WriterProcess(_FailingWriter, folder))
    result = run("export", "--format", "parquet", "--output", "out", "--as-of", AS_OF_ARG)
    assert result.exit_code == 1, result.stderr
    expected = "the export cannot be written" if dies else "refused in the writer's process"
    assert expected in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert not (root / "out").exists()
    assert [p.name for p in root.iterdir() if ".tmp-" in p.name] == []


def test_the_exporting_process_never_loads_pyarrow(tmp_path: Path) -> None:
    """Parquet is encoded in a process of its own (``WriterProcess``): the process that reads
    the records and makes the rows never imports pyarrow (40 MB and more before a row), and the
    writer's process leaves pyarrow's cloud filesystems out."""
    pytest.importorskip("pyarrow")
    root = tmp_path / "city"
    build(root)
    script = (
        "import sys\n"
        "from projledger.main import main\n"
        "sys.argv = ['projledger', '--lang', 'en', 'export', '--format', 'parquet', '--output', 'out',"
        f" '--as-of', '{AS_OF_ARG}']\n"
        "try:\n    main()\nexcept SystemExit as stop:\n    assert not stop.code, stop.code\n"
        "print('loaded' if 'pyarrow' in sys.modules else 'not loaded')\n"
    )
    env = {**os.environ, "PROJLEDGER_NO_CACHE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "not loaded"
    pq = pytest.importorskip("pyarrow.parquet")
    assert pq.ParquetFile(root / "out" / "projects" / "part-00000.parquet").metadata.num_rows > 0


def test_the_writer_s_process_keeps_pyarrow_s_cloud_filesystems_out(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    script = (
        "import sys, pathlib\n"
        "from projledger.core import export as ex\n"
        "ex._local_parquet_writer(pathlib.Path(sys.argv[1]))\n"
        "import os, pyarrow.fs\n"
        "print(sorted(m for m in ex.CLOUD_FILESYSTEMS if sys.modules.get(m) is not None))\n"
        "print(os.environ['ARROW_DEFAULT_MEMORY_POOL'], pyarrow.default_memory_pool().backend_name)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, check=True, env=env
    )
    assert done.stdout.split("\n")[:2] == [
        "[]",
        "system system",
    ]  # the system allocator, set before pyarrow loads


def _spread(row: dict) -> dict:  # type: ignore[type-arg]
    """A row of status's JSON with its list of quarters spread as the CSV and the export do."""
    flat = dict(row)
    for key, column in (("disbursed_by_quarter", "disbursed_q"), ("values_by_quarter", "value_q")):
        flat.update(zip([f"{column}{i}" for i in range(1, 5)], flat.pop(key, [None] * 4), strict=True))
    return flat


def test_the_status_table_holds_every_key_of_status_json_with_its_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Projects and KPIs alike (a KPI's value_q1..q4 included), in NDJSON, SQLite and Parquet."""
    root = with_format2(tmp_path / "city")
    monkeypatch.chdir(root)
    status = run("status", "--format", "json", "--as-of", "2022-10-31")
    assert status.exit_code == 0, status.stderr
    envelope = json.loads(status.stdout)
    wanted = {(r["code"]): _spread(r) for r in envelope["projects"] + envelope["kpis"]}
    assert wanted["5026-2001"]["value_q1"] == 20.5 and wanted["5026-2001"]["value_q2"] == 45.5
    exported: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    run("export", "--format", "ndjson", "--output", "n", "--as-of", "2022-10-31")
    exported["ndjson"] = _lines(root / "n" / "status.ndjson")
    assert run("export", "--format", "sqlite", "--output", "s", "--as-of", "2022-10-31").exit_code == 0
    cursor = sqlite3.connect(root / "s" / ex.SQLITE_FILE).execute("SELECT * FROM status")
    names, scales = [d[0] for d in cursor.description], {c.name: c.scale for c in ex.columns_of("status")}
    exported["sqlite"] = [  # decimals as integers of their smallest unit
        {
            k: Decimal(v).scaleb(-scales[k]) if scales[k] and v is not None else v
            for k, v in zip(names, r, strict=True)
        }
        for r in cursor
    ]
    try:
        import pyarrow.parquet as pq

        assert run("export", "--format", "parquet", "--output", "p", "--as-of", "2022-10-31").exit_code == 0
        exported["parquet"] = pq.read_table(root / "p" / "status").to_pylist()
    except ImportError:
        pass
    for fmt, rows in exported.items():
        assert {r["code"] for r in rows} == set(wanted), fmt
        for row in rows:
            for key, value in wanted[row["code"]].items():
                got = row[key]
                if key == "agency_code" and row["kind"] == "kpi":
                    # status shows the agency the KPI belongs to (its department's projects':
                    # 01000000); an export's rows begin with the record's own (README, "export")
                    assert (got, value) == (row["code"][:4], "01000000"), (fmt, row["code"])
                    continue
                if isinstance(got, (Decimal, float)) and value is not None:
                    got, value = Decimal(str(got)), Decimal(str(value))
                elif fmt != "ndjson" and hasattr(got, "isoformat"):
                    got = got.isoformat()
                elif fmt == "sqlite" and isinstance(value, bool):
                    got = bool(got)
                assert got == value, (fmt, row["code"], key, got, value)
