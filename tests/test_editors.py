"""Editors and CI validators read the published schema as projledger does (issue 16, point 4).

taplo (the engine of Even Better TOML, which every record's ``#:schema`` line invites) and
check-jsonschema read TOML floats as binary floats: the schema once said ``multipleOf: 0.01``,
and they called 0.28, 0.47 and 280538225.72 "not a multiple of 0.01". Here both run, from this
venv, over a varied generated portfolio of valid records and must find nothing, and projledger
must accept every one of those records; the 2-decimal rule stays projledger's own (``decimals``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from projledger.core.check import check_file
from projledger.core.config import load_config
from projledger.core.scaffold import scaffold

from conftest import PROJECT_ROOT, SHIPPED, SMALL_RECORD, run
from portfolio import build as build_portfolio

sys.path.insert(0, str(PROJECT_ROOT))
from bench.generate import AS_OF, AWKWARD_AMOUNTS, generate

BIN = Path(sys.executable).parent
SCHEMA_FILE = PROJECT_ROOT / "schemas" / "project.schema.json"
#: The header line the tool writes atop a record in records/<FY>/ (``layout.schema_line``).
SCHEMA_HEADER = "#:schema ../../schemas/project.schema.json"


def _tool(name: str) -> str:
    """The tool installed in this venv by the dev extra; never one found on the PATH."""
    path = BIN / name
    assert path.is_file(), f"{path} missing: run make install (it is in the dev extra)"
    return str(path)


def _repository(root: Path) -> list[Path]:
    """A records repository as ``init`` writes it, then a varied portfolio of valid records:
    generated ones with satang (the awkward amounts among them), integer amounts, plans, empty
    report lists, notes with blank lines, each with the ``#:schema`` header line; the shipped
    record; and the small portfolio of the status tests (no header: .taplo.toml covers them)."""
    for name, text in scaffold().items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")
    paths = generate(root, 150, seed=11, size=1200, fail_share=0, satang=True, header=SCHEMA_HEADER)
    shipped = root / "records" / "2565" / SHIPPED.name
    shutil.copy(SHIPPED, shipped)
    return [*paths, shipped, *build_portfolio(root)]


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("editors")
    return root, _repository(root)


def test_the_portfolio_is_varied(portfolio: tuple[Path, list[Path]]) -> None:
    _, paths = portfolio
    texts = [p.read_text("utf-8") for p in paths]
    joined = "\n".join(texts)
    for amount in ("0.28", "0.47", "280538225.72", "1000.10"):
        assert f"budget = {amount}\n" in joined, amount
    assert any(f"disbursed = {a}\n" in joined for a in AWKWARD_AMOUNTS)
    assert any(line.startswith("budget = ") and "." not in line for t in texts for line in t.splitlines())
    assert any(line.startswith("disbursed = ") and "." not in line for t in texts for line in t.splitlines())
    assert "reports = []" in joined
    assert "\nplan = [" in joined
    assert "\n\n" in "".join(t.split("note = ", 1)[-1] for t in texts if "note = " in t)
    assert sum(t.startswith(SCHEMA_HEADER + "\n") for t in texts) >= 150


def test_projledger_accepts_every_record_of_the_portfolio(
    portfolio: tuple[Path, list[Path]], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, paths = portfolio
    config = load_config(root)
    for path in paths:
        result = check_file(path, config, AS_OF)
        assert result.ok, (path, [f.one_line() for f in result.findings])
    monkeypatch.chdir(root)
    result = run("validate", "--as-of", AS_OF.isoformat(), "--no-cache")
    assert result.exit_code == 0, result.stdout + result.stderr


def test_taplo_finds_nothing_wrong(portfolio: tuple[Path, list[Path]]) -> None:
    """With the ``#:schema`` header line of each record and, for records without one, the
    ``.taplo.toml`` that ``init`` writes."""
    root, paths = portfolio
    done = subprocess.run(
        [_tool("taplo"), "lint", *(str(p.relative_to(root)) for p in paths)],
        cwd=root, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "not a multiple" not in done.stderr


def test_check_jsonschema_finds_nothing_wrong(portfolio: tuple[Path, list[Path]]) -> None:
    root, paths = portfolio
    done = subprocess.run(
        [_tool("check-jsonschema"), "--schemafile", str(SCHEMA_FILE), *map(str, paths)],
        cwd=root, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def _control(root: Path) -> Path:
    """A record both tools must refuse: proof that they read the schema at all."""
    path = root / "records" / "2568" / "50100000-9999.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = SMALL_RECORD.format(code="50100000-9999").replace("budget = ", "bugdet = ")
    path.write_text(f"{SCHEMA_HEADER}\n{text}", "utf-8")
    return path


def test_the_tools_do_read_the_schema(tmp_path: Path) -> None:
    for name, text in scaffold().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, "utf-8")
    bad = _control(tmp_path)
    taplo = subprocess.run(
        [_tool("taplo"), "lint", str(bad.relative_to(tmp_path))],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert taplo.returncode != 0 and "bugdet" in taplo.stdout + taplo.stderr
    checked = subprocess.run(
        [_tool("check-jsonschema"), "--schemafile", str(SCHEMA_FILE), str(bad)],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert checked.returncode != 0 and "bugdet" in checked.stdout + checked.stderr


# --- the 2-decimal rule is projledger's own ---------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field", "shown"),
    [
        ("budget = 120000.005", "budget", "120000.005"),
        ("budget = 0.281", "budget", "0.281"),
        ("disbursed = 10000.125", "reports[1].disbursed", "10000.125"),
    ],
)
def test_three_decimals_are_still_an_error(empty_repo: Path, line: str, field: str, shown: str) -> None:
    text = SMALL_RECORD.format(code="50100000-0001") + (
        "\n[[reports]]\nno = 1\ndate = 2024-10-25\nprogress = 10.0\ndisbursed = 1000.00\n"
        'plan_status = "on_plan"\ntarget_status = "on_target"\nnote = "ok"\n'
    )
    key = line.split(" = ")[0]
    text = "\n".join(line if row.startswith(f"{key} = ") else row for row in text.split("\n"))
    path = empty_repo / "records" / "2568" / "50100000-0001.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text, "utf-8")
    result = check_file(path, load_config(empty_repo), AS_OF)
    assert [(f.rule, f.field) for f in result.findings] == [("decimals", field)]
    assert result.findings[0].message == f"{shown} has more than 2 decimals; baht take at most 2 (satang)"
    done = run("validate", "--as-of", "2025-06-30")
    assert done.exit_code == 1
    assert f"error [decimals] {field}: {shown} has more than 2 decimals" in done.stdout


@pytest.mark.parametrize("amount", ["0.28", "0.47", "280538225.72", "1000.10", "1000.100", "5", "0.0"])
def test_two_decimals_or_fewer_are_accepted(empty_repo: Path, amount: str) -> None:
    text = SMALL_RECORD.format(code="50100000-0001").replace("budget = 1250000.00", f"budget = {amount}")
    path = empty_repo / "records" / "2568" / "50100000-0001.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text, "utf-8")
    assert check_file(path, load_config(empty_repo), AS_OF).findings == ()


# --- format 2: projects and KPIs ----------------------------------------------------------------

FORMAT2 = PROJECT_ROOT / "tests" / "data" / "format2"
KPI_SCHEMA_FILE = PROJECT_ROOT / "schemas" / "kpi.schema.json"


def test_the_tools_accept_the_format_2_examples_by_their_schema_lines() -> None:
    """Each example's ``#:schema`` line leads to the schema of its kind, which both tools read."""
    names = ["01000000-2475.toml", "kpi/5026-2001.toml"]
    taplo = subprocess.run(
        [_tool("taplo"), "lint", *names], cwd=FORMAT2, capture_output=True, text=True, timeout=60
    )
    assert taplo.returncode == 0, taplo.stdout + taplo.stderr
    for name, schema_file in zip(names, (SCHEMA_FILE, KPI_SCHEMA_FILE), strict=True):
        checked = subprocess.run(
            [_tool("check-jsonschema"), "--schemafile", str(schema_file), str(FORMAT2 / name)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_tools_refuse_the_tables_of_format_2_in_a_format_1_record(tmp_path: Path) -> None:
    text = (FORMAT2 / "01000000-2475.toml").read_text("utf-8")
    text = text.replace('format = 2\nkind = "project"\n', "format = 1\n")
    text = text.replace(text.splitlines()[0], f"#:schema {SCHEMA_FILE.as_uri()}")
    path = tmp_path / "01000000-2475.toml"
    path.write_text(text, "utf-8")
    taplo = subprocess.run(
        [_tool("taplo"), "lint", path.name], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert taplo.returncode != 0 and "evaluations" in taplo.stderr
    checked = subprocess.run(
        [_tool("check-jsonschema"), "--schemafile", str(SCHEMA_FILE), str(path)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert checked.returncode != 0 and "False schema" in checked.stdout
