"""The shared map of cache.cached_map: this process and forked ones claim chunks of files from a
pipe; whatever happens to the others, the values come back complete, in order, and the same."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from projledger.core import cache

PARENT = os.getpid()


def _files(tmp_path: Path, count: int) -> list[str]:
    names = []
    for i in range(count):
        path = tmp_path / f"f{i:04d}.toml"
        path.write_text(str(i), "utf-8")
        names.append(str(path))
    return names


def _value(path: Path, scale: int) -> tuple[str, int, int]:
    """The file's name and number, and which process computed it (0: this one)."""
    return (path.name, int(path.read_text("utf-8")) * scale, 0 if os.getpid() == PARENT else 1)


def _dies_in_a_child(path: Path, scale: int) -> tuple[str, int, int]:
    if os.getpid() != PARENT:
        os._exit(7)  # a worker killed without a word
    return _value(path, scale)


def _fails_on_13(path: Path, scale: int) -> tuple[str, int, int]:
    if path.name == "f0013.toml":
        raise ZeroDivisionError("thirteen")
    return _value(path, scale)


def _run(names: list[str], task: Any, share: bool = True, **kwargs: Any) -> list[tuple[str, Any]]:
    values = cache.cached_map(names, task, (3,), threshold=1, share=share, **kwargs)
    return [(os.path.basename(p), v) for p, v in values]


@pytest.mark.parametrize("share", [True, False])
@pytest.mark.parametrize(("jobs", "chunk"), [(2, 1), (2, 7), (3, 5), (4, 64)])
def test_values_in_order_as_computed_here(tmp_path: Path, jobs: int, chunk: int, share: bool) -> None:
    """The shared map, and the pool (whose workers now pickle each value once), as one process."""
    names = _files(tmp_path, 150)
    plain = _run(names, _value, jobs=1)
    shared = _run(names, _value, share=share, jobs=jobs, chunk=chunk)
    assert [(n, v[:2]) for n, v in shared] == [(n, v[:2]) for n, v in plain]
    assert [n for n, _ in shared] == [os.path.basename(n) for n in names]


def test_work_is_shared(tmp_path: Path) -> None:
    names = _files(tmp_path, 400)
    by = [v[2] for _, v in _run(names, _slow_value, jobs=2, chunk=4)]
    assert 0 in by and 1 in by  # this process and the other both computed some


def _slow_value(path: Path, scale: int) -> tuple[str, int, int]:
    import time

    time.sleep(0.001)
    return _value(path, scale)


def test_a_worker_that_dies_leaves_its_chunks_to_this_process(tmp_path: Path) -> None:
    names = _files(tmp_path, 60)
    got = _run(names, _dies_in_a_child, jobs=3, chunk=4)
    assert [(n, v[:2]) for n, v in got] == [
        (os.path.basename(p), (os.path.basename(p), i * 3)) for i, p in enumerate(names)
    ]
    assert {v[2] for _, v in got} == {0}
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # every worker was waited for


def test_an_error_in_any_process_is_raised_here(tmp_path: Path) -> None:
    names = _files(tmp_path, 80)
    for chunk in (1, 3, 80):
        with pytest.raises(ZeroDivisionError, match="thirteen"):
            _run(names, _fails_on_13, jobs=2, chunk=chunk)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_stopping_early_stops_the_others(tmp_path: Path) -> None:
    names = _files(tmp_path, 300)
    values = cache.cached_map(names, _slow_value, (3,), threshold=1, jobs=3, chunk=2, share=True)
    assert next(values)[1][:2] == ("f0000.toml", 0)
    values.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_results_cached_by_the_shared_map_are_reused(tmp_path: Path) -> None:
    """Values pickled by another process go into the cache as they are, and come out the same."""
    from projledger.core.config import load_config

    (tmp_path / "records").mkdir()
    names = _files(tmp_path / "records", 90)
    config = load_config(tmp_path)
    store = cache.ResultCache(tmp_path / "cache", config, "test")
    cold = [
        v[:2]
        for _, v in cache.cached_map(
            names, _value, (3,), cache=store, threshold=1, jobs=2, chunk=4, share=True
        )
    ]
    store.save()
    warm_store = cache.ResultCache(tmp_path / "cache", config, "test")
    assert len(warm_store) == 90
    warm = [
        v[:2]
        for _, v in cache.cached_map(names, _value, (3,), cache=warm_store, threshold=1, jobs=2, share=True)
    ]
    warm_store.close()
    assert warm == cold == [(os.path.basename(p), i * 3) for i, p in enumerate(names)]
