"""A quick run of the benchmark harness on 50 generated records: it runs, measures, reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_smoke_run(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    done = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bench" / "run.py"), "--smoke", "--data", str(tmp_path / "data"), "--out", str(out)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = out.read_text("utf-8")
    assert report.strip() in done.stdout  # printed and written alike
    for row in ("validate, cold", "validate, warm", "status, warm (unchanged)", "summary, after one record changed",
                "show CODE, 50 records", "show CODE, 1 record", "add-report, 1 record", "(a) parse only",
                "sheet import, ", "site, cold", "site, after one record changed"):  # fmt: skip
        assert f"| {row}" in report, row
    assert "⚠" not in report  # every command ran as it should
    assert "cores usable, Python" in report
    records = list((tmp_path / "data" / "r50" / "records").glob("*/*.toml"))
    assert len(records) == 50
