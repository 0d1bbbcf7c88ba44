"""check_structure's fast path (only the dates at the schema's date positions converted) gives
exactly the findings of the full conversion of every value, on valid and broken records alike."""

from __future__ import annotations

import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest

from projledger.core import record, schema
from projledger.core.check import check_file
from projledger.core.config import load_config

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench.generate import AS_OF, generate  # noqa: E402

SHIPPED = PROJECT_ROOT / "records" / "2565" / "01000000-2475.toml"


def full(data: dict[str, Any]) -> list[schema.Problem]:
    """check_structure as it was: every value converted, then validated."""
    real = schema._valid_as_it_is
    try:
        schema._valid_as_it_is = lambda *args: False  # type: ignore[assignment]
        return schema.check_structure(data)
    finally:
        schema._valid_as_it_is = real


def shipped() -> dict[str, Any]:
    return record.parse(SHIPPED.read_text("utf-8"), str(SHIPPED))


@pytest.mark.parametrize(
    "change",
    [
        lambda d: None,
        lambda d: d.update(start=datetime(2021, 10, 1, 8, 30)),
        lambda d: d.update(end=time(8, 30)),
        lambda d: d["reports"][0].update(date=datetime(2021, 11, 1, 9, 0)),
        lambda d: d["reports"][1].update(date="2021-11-30"),
        lambda d: d.update(name=date(2021, 1, 1)),
        lambda d: d["agency"].update(department=time(1, 2)),
        lambda d: d.update(extra=date(2021, 1, 1)),
        lambda d: d["reports"][0].update(note=datetime(2021, 1, 1, 1, 1)),
        lambda d: d.update(reports=[]),
        lambda d: d.update(reports="none"),
        lambda d: d.update(start=20211001),
        lambda d: d.pop("end"),
    ],
)
def test_fast_path_says_what_the_full_conversion_says(change: Any) -> None:
    data = shipped()
    change(data)
    assert schema.check_structure(data) == full(data)


def test_valid_record_takes_the_fast_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "_to_json", lambda *a: pytest.fail("walked every value"))
    assert schema.check_structure(shipped()) == []


def test_generated_corpus_has_the_same_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    generate(tmp_path, 150, seed=11, size=1500, fail_share=0.4)
    config = load_config(tmp_path)
    files = sorted(tmp_path.glob("records/*/*.toml"))
    fast = [check_file(p, config, AS_OF).findings for p in files]
    monkeypatch.setattr(schema, "_valid_as_it_is", lambda *args: False)
    assert [check_file(p, config, AS_OF).findings for p in files] == fast
