"""A status table mended from the last one is the table a full run makes, over random edits."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from projledger.core import cache as cache_module

from conftest import run

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.generate import AS_OF, generate  # noqa: E402

VARIANTS = [
    (),
    ("--sort", "progress"),
    ("--sort", "name", "--agency", "50"),
    ("--format", "markdown", "--plan-status", "behind"),
    ("--lang", "en", "--sort", "end"),
]


def _edit(rng: random.Random, text: str) -> str:
    """One edit a clerk or a reviewer could make (some make the record invalid, some change
    nothing the table shows, some widen a column)."""
    kind = rng.choice(["progress", "progress", "name", "long-name", "comment", "break", "disbursed"])
    if kind == "progress":
        value = rng.choice(["0", "12.5", "35", "99.99", "100", "7"])
        return re.sub(r"(?m)^progress = [0-9.]+$", f"progress = {value}", text, count=1)
    if kind == "name":
        return re.sub(r'(?m)^name = "', 'name = "แก้ไข ', text, count=1)
    if kind == "long-name":
        return re.sub(r'(?m)^name = "', 'name = "' + "ยาวมาก " * 40, text, count=1)
    if kind == "disbursed":
        return re.sub(r"(?m)^disbursed = [0-9.]+$", "disbursed = 999999999999.99", text, count=1)
    if kind == "break":
        return text.replace("format = 1", "format = ", 1)
    return text + "# reviewed\n"


@pytest.mark.parametrize("args", VARIANTS, ids=lambda a: " ".join(a) or "default")
def test_a_mended_table_is_the_full_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    root = tmp_path / "portfolio"
    generate(root, 150, seed=11, size=1500, fail_share=0.1)
    monkeypatch.chdir(root)
    # Files the test writes count as long settled (else nothing is mended: see TableMemo.made).
    monkeypatch.setattr(cache_module, "RACY_NS", -(10**15))
    from projledger.commands.statustable import TableRun

    mended: list[bool] = []
    real = TableRun.mended

    def counting(self: TableRun, *a: Any, **k: Any) -> Any:
        result = real(self, *a, **k)
        mended.append(result is not None)
        return result

    monkeypatch.setattr(TableRun, "mended", counting)
    cache = str(tmp_path / "cache")

    def status(**environ: str) -> tuple[int, str, str]:
        for name in ("PROJLEDGER_NO_CACHE", "PROJLEDGER_CACHE_DIR", "PROJLEDGER_JOBS"):
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)
        result = run("status", "--as-of", AS_OF.isoformat(), *args)
        return result.exit_code, result.stdout, result.stderr

    files = sorted(root.glob("records/*/*.toml"))
    originals = {path: path.read_bytes() for path in files}
    rng = random.Random(hash(args) & 0xFFFF)
    assert status(PROJLEDGER_CACHE_DIR=cache) == status(PROJLEDGER_NO_CACHE="1")
    for _ in range(30):
        for path in rng.sample(files, rng.choice([1, 1, 1, 2, 3])):
            text = path.read_text("utf-8")
            edited = _edit(rng, text) if rng.random() < 0.8 else originals[path].decode("utf-8")
            path.write_text(edited, "utf-8")
        assert status(PROJLEDGER_CACHE_DIR=cache) == status(PROJLEDGER_NO_CACHE="1", PROJLEDGER_JOBS="1")
    assert sum(mended) >= 5  # most edits were mended...
    assert not all(mended)  # ...and some could not be, and made the table in full


def test_records_added_or_removed_make_the_table_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "portfolio"
    generate(root, 40, seed=5, size=1500, fail_share=0)
    monkeypatch.chdir(root)
    monkeypatch.setattr(cache_module, "RACY_NS", -(10**15))
    monkeypatch.setenv("PROJLEDGER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PROJLEDGER_NO_CACHE", raising=False)
    first = run("status", "--as-of", AS_OF.isoformat())
    gone = sorted(root.glob("records/*/*.toml"))[3]
    gone.unlink()
    second = run("status", "--as-of", AS_OF.isoformat())
    assert second.stdout.count("\n") == first.stdout.count("\n") - 1
    assert gone.stem not in second.stdout
