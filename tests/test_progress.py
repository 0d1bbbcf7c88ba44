"""The progress bar: on stderr, only for long runs someone watches."""

from __future__ import annotations

from pathlib import Path

import pytest

from projledger.commands import progress
from projledger.core.config import load_config


def _records(root: Path, count: int) -> None:
    folder = root / "records" / "2565"
    folder.mkdir(parents=True)
    for number in range(count):
        (folder / f"01000000-{number:04d}.toml").write_text("", "utf-8")


def test_no_bar_when_nobody_watches(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _records(tmp_path, 3)
    items = list(progress.with_progress(iter("abc"), [], load_config(tmp_path)))
    assert items == ["a", "b", "c"]
    assert capsys.readouterr() == ("", "")


def test_bar_on_stderr_only_over_many_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _records(tmp_path, 5)
    config = load_config(tmp_path)
    monkeypatch.setattr(progress, "watched", lambda: True)
    monkeypatch.setattr(progress, "MANY_FILES", 10)
    assert list(progress.with_progress(iter("abc"), [], config)) == ["a", "b", "c"]
    assert capsys.readouterr() == ("", "")  # 5 files: not a long run
    monkeypatch.setattr(progress, "MANY_FILES", 5)
    skipped: list[str] = []

    def rows():  # type: ignore[no-untyped-def]
        yield "a"
        skipped.extend(["x", "y"])  # two files read without a row
        yield "b"
        yield "c"

    assert list(progress.with_progress(rows(), [], config, lambda: len(skipped))) == ["a", "b", "c"]
    out, err = capsys.readouterr()
    assert out == ""
    assert "reading records" in err
    assert progress.count_records([], config) == 5
