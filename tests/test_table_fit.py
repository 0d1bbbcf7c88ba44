"""``status`` and ``summary`` fit the terminal (issue 19.3): at 80 and 120 columns no line is
wider than the width (Thai measured by its display width), the priority columns are there;
``--wide`` and a pipe with no COLUMNS have every column."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from wcwidth import wcswidth, wcwidth

from projledger.core import tables
from projledger.core.labels import word

from conftest import SHIPPED, run

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.generate import AS_OF as GENERATED_AS_OF
from bench.generate import generate

BYS = ((), ("--by", "fiscal-year"), ("--by", "state"), ("--by", "plan-status"), ("--by", "strategy"),
       ("--by", "quarter"), ("--by", "fiscal-year", "--by", "plan-status"))  # fmt: skip
REQUIRED_STATUS = tables.STATUS_PRIORITY[: tables.STATUS_REQUIRED]


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("shipped")
    (root / "records" / "2565").mkdir(parents=True)
    shutil.copy(SHIPPED, root / "records" / "2565" / SHIPPED.name)
    return root, "--as-of=2022-03-31"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("generated")
    generate(root, 200, size=3000)
    return root, f"--as-of={GENERATED_AS_OF.isoformat()}"


@pytest.fixture(params=["shipped", "generated"])
def folio(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    root, as_of = request.getfixturevalue(request.param)
    monkeypatch.chdir(root)
    return as_of


def _header_cells(text: str) -> list[str]:
    """The header's cells, cut where the rule under it puts each column (display columns)."""
    lines = text.splitlines()
    rule = lines[1]
    spans, start = [], None
    for i, ch in enumerate(rule + " "):
        if ch == "-" and start is None:
            start = i
        elif ch != "-" and start is not None:
            spans.append((start, i))
            start = None
    cells = [""] * len(spans)
    pos = 0
    for ch in lines[0]:
        w = max(wcwidth(ch), 0)
        at = pos if w else pos - 1
        for k, (a, b) in enumerate(spans):
            if a <= at < b:
                cells[k] += ch
        pos += w
    return [c.strip() for c in cells]


def _is(cell: str, name: str, lang: str) -> bool:
    """A header cell is this column's word, whole or cut (``…``)."""
    full = word(name, lang)
    return cell == full or (cell.endswith("…") and full.startswith(cell[:-1].rstrip()))


def _fits(text: str, width: int) -> None:
    lines = text.splitlines()
    assert lines
    widest = max(wcswidth(line) for line in lines)
    assert widest <= width, (width, [line for line in lines if wcswidth(line) > width][:2])


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("columns", [80, 120])
def test_status_fits(folio: str, lang: str, columns: int) -> None:
    result = run("status", folio, "--lang", lang, env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.stderr
    _fits(result.stdout, columns)
    cells = _header_cells(result.stdout)
    for name in REQUIRED_STATUS:
        assert any(_is(c, name, lang) for c in cells), (name, cells)
    assert len(cells) < len(tables.STATUS_COLUMNS)  # neither the shipped record's nor 200 fit whole
    # the shown columns are the priority's first ones, in the table's order
    shown = [n for n in tables.STATUS_COLUMNS if any(_is(c, n, lang) for c in cells)]
    assert set(shown) >= set(REQUIRED_STATUS)
    assert set(tables.STATUS_PRIORITY[: len(cells)]) == set(shown) - (
        {"bar"} if "bar" not in cells else set()
    )


@pytest.mark.parametrize("lang", ["th", "en"])
def test_status_wide_has_every_column(folio: str, lang: str) -> None:
    result = run("status", folio, "--lang", lang, "--wide", env={"COLUMNS": "80"})
    cells = _header_cells(result.stdout)
    assert cells == [word(c, lang) for c in tables.STATUS_COLUMNS]


def _summary_required(by: tuple[str, ...], lang: str) -> list[str]:
    data = json.loads(run("summary", *by, "--format", "json").stdout)
    keys = [tables._KEY_WORDS.get(k, k) for k in data["groups"][0]["key"]]
    return [*keys, "quarter_end" if "quarter" in by else "projects"]


@pytest.mark.parametrize("lang", ["th", "en"])
@pytest.mark.parametrize("columns", [80, 120])
@pytest.mark.parametrize("by", BYS)
def test_summary_fits(folio: str, lang: str, columns: int, by: tuple[str, ...]) -> None:
    result = run("summary", folio, *by, "--lang", lang, env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.stderr
    _fits(result.stdout, columns)
    cells = _header_cells(result.stdout)
    required = _summary_required((folio, *by), lang)
    for k, name in enumerate(required):
        assert _is(cells[k], name, lang), (name, cells)


@pytest.mark.parametrize("by", BYS)
def test_summary_wide_has_every_column(folio: str, by: tuple[str, ...]) -> None:
    narrow = _header_cells(run("summary", folio, *by, env={"COLUMNS": "80"}).stdout)
    wide = _header_cells(run("summary", folio, *by, "--wide", env={"COLUMNS": "80"}).stdout)
    keys = len(_summary_required((folio, *by), "en")) - 1
    every = 7 if "quarter" in by else 1 + 4 + 4 + 1 + 4  # projects, states, plan statuses, overdue, money
    assert len(wide) == keys + every
    assert len(narrow) < len(wide)


def _installed() -> str:
    found = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert found
    return found


@pytest.mark.parametrize("command", ["status", "summary"])
def test_a_pipe_without_columns_gets_every_column(folio: str, command: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    piped = subprocess.run(
        [_installed(), command, folio], capture_output=True, text=True, env=env, timeout=120
    )
    assert piped.returncode == 0, piped.stderr
    fitted = subprocess.run(
        [_installed(), command, folio],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "80"},
        timeout=120,
    )
    assert len(_header_cells(piped.stdout)) > len(_header_cells(fitted.stdout))
    if command == "status":
        assert _header_cells(piped.stdout) == [word(c, "th") for c in tables.STATUS_COLUMNS]
        assert "…" not in piped.stdout  # no width: nothing cut
    _fits(fitted.stdout, 80)


@pytest.mark.parametrize("command", ["status", "summary"])
def test_the_index_keeps_each_width_apart(repo: Path, cache_dir: Path, command: str) -> None:
    """A run answered from the index gives what that width (and --wide) gives without it."""
    runs = [("80",), ("120",), ("80", "--wide"), ("80",), ("120", "--wide"), ("120",)]
    with_index = [run(command, *rest, env={"COLUMNS": c}).stdout for c, *rest in runs]
    without = [
        run(command, *rest, env={"COLUMNS": c, "PROJLEDGER_NO_CACHE": "1"}).stdout for c, *rest in runs
    ]
    assert with_index == without
    assert len({without[0], without[1], without[2]}) == 3  # 80, 120 and --wide: three tables
