"""A check takes its file's stat on the file it opened (record.Seen) instead of a stat of its own:
the stat, the digest of a racy file and the value are what the plain way gives, and a file that
could not be read as one is never cached under a stat taken after the fact."""

from __future__ import annotations

import os
import pickle
from datetime import date
from pathlib import Path, PurePath

import pytest

from projledger.core import cache, record
from projledger.core.config import load_config

AS_OF = date(2025, 6, 30)


def _plain(path: Path, racy_since: int | None) -> tuple[object, object, object]:
    """``_compute`` as it is for any other task: a stat of its own, the digest read again."""
    st = os.stat(path)
    racy = racy_since is not None and max(st.st_mtime_ns, st.st_ctime_ns) >= racy_since
    value = cache.check_one(path, load_config(path.parent), AS_OF)
    return value, cache.stat_key(st), cache._file_digest(path) if racy else None


@pytest.mark.parametrize("racy_since", [None, 0, 1 << 62])
def test_the_stat_of_the_file_read_is_the_stat_of_the_plain_way(repo: Path, racy_since: int | None) -> None:
    path = next((repo / "records").rglob("*.toml"))
    assert cache._check_task in cache._SEEING
    computed = cache._compute(path, cache._check_task, (load_config(repo), AS_OF, True), racy_since)
    assert computed == _plain(path, racy_since)
    assert (computed[2] is not None) == (racy_since == 0)


def test_the_bytes_read_are_the_bytes_digested(repo: Path) -> None:
    path = next((repo / "records").rglob("*.toml"))
    seen = record.Seen()
    record.read_document(path, seen=seen)
    assert seen.raw == path.read_bytes()
    assert seen.stat is not None and cache.stat_key(seen.stat) == cache.stat_key(os.stat(path))
    assert cache.digest(seen.raw) == cache._file_digest(path)


def test_a_file_that_cannot_be_opened_is_not_cached(repo: Path) -> None:
    missing = repo / "records" / "2565" / "01000000-9999.toml"
    value, stat, file_digest = cache._compute(missing, cache._check_task, (load_config(repo), AS_OF, True), 0)
    assert (stat, file_digest) == (None, None)
    assert value.findings and value.findings[0][2] == "io"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_cached_by_its_stat_unless_racy(repo: Path) -> None:
    fifo = repo / "records" / "2565" / "01000000-9998.toml"
    os.mkfifo(fifo)
    args = (load_config(repo), AS_OF, True)
    value, stat, file_digest = cache._compute(fifo, cache._check_task, args, 1 << 62)
    assert stat == cache.stat_key(os.stat(fifo)) and file_digest is None  # as the plain way caches it
    assert value.findings[0][2] == "io"
    assert cache._compute(fifo, cache._check_task, args, 0)[1:] == (None, None)  # racy: no bytes to digest


# --- a check reads its path as given, a str, without making a Path (record.path_names) ---------

ODD_PATHS = [
    "records/2565/01000000-2475.toml",
    "/abs/records/2565/01000000-2475.toml",
    "01000000-2475.toml",
    "./01000000-2475.toml",
    "records/2565/./01000000-2475.toml",
    "records//2565//01000000-2475.toml",
    "records/2565/../2566/01000000-2475.toml",
    "//2565/x.toml",
    "/x.toml",
    "2565/.toml",
    "2565/x.",
    "2565/x.tar.toml",
    "2565/..",
    "",
    ".",
]


@pytest.mark.parametrize("text", ODD_PATHS)
def test_path_names_are_what_a_path_says(text: str) -> None:
    pure = PurePath(text)
    assert record.path_names(text) == (pure.stem, pure.parent.name)
    assert record.path_names(pure) == (pure.stem, pure.parent.name)


def test_a_check_of_a_str_finds_what_a_check_of_a_path_finds(repo: Path) -> None:
    shipped = next((repo / "records").rglob("*.toml"))
    misplaced = repo / "records" / "2570" / "01000000-0001.toml"  # other name, other folder
    misplaced.parent.mkdir()
    misplaced.write_bytes(shipped.read_bytes())
    config = load_config(repo)
    for path in (shipped, misplaced):
        relative = os.path.relpath(path, repo)
        for text in (str(path), relative, "./" + relative, relative.replace(os.sep, "/./")):
            assert cache.check_one(text, config, AS_OF) == cache.check_one(Path(text), config, AS_OF)
    rules_found = {f[2] for f in cache.check_one(str(misplaced), config, AS_OF).findings}
    assert {"file-name", "folder-year"} <= rules_found


def _clean_until(path: Path, day: date) -> cache.Checked:
    return cache.Checked((), day, None)


def _flagged(path: Path, day: date) -> cache.Checked:
    return cache.Checked(((1, "code", "file-name", "error", "x", None),), day, None)


def test_clean_values_are_pickled_once_and_alike(repo: Path) -> None:
    """A clean ``Checked`` is pickled once per (valid_from, valid_until): the bytes given again
    are those a fresh pickle gives, and a value with findings is never taken from there."""
    shipped = str(next((repo / "records").rglob("*.toml")))
    days = [date(2024, 1, 1), date(2024, 1, 2), date(2024, 1, 1)]
    for task in (_clean_until, _flagged, _clean_until):
        for day in days:
            data, stat, _ = cache._pickled(shipped, task, (day,), None)
            value = task(Path(shipped), day)
            assert data == cache._dumps(value) and pickle.loads(data) == value
            assert stat == cache.stat_key(os.stat(shipped))
    assert cache._CLEAN_PICKLES[(days[0], None)] == cache._dumps(_clean_until(Path(shipped), days[0]))
    assert all(pickle.loads(data).findings == () for data in cache._CLEAN_PICKLES.values())


# --- a project's parts built without the frozen __init__ (record._built) -------------------------


@pytest.mark.parametrize(
    "fields",
    [{"department": "a"}, {"department": "a", "owner": "b", "phone": "1"}, {"unit": "u", "department": "d"}],
)
def test_an_agency_built_is_the_agency_made(fields: dict[str, str]) -> None:
    built, made = record._agency(fields), record.Agency(**fields)
    assert built == made and repr(built) == repr(made) and vars(built) == vars(made)


@pytest.mark.parametrize("fields", [{"department": "a", "extra": "x"}, {"owner": "b"}])
def test_an_agency_of_other_fields_is_refused_as_agency_refuses_it(fields: dict[str, str]) -> None:
    with pytest.raises(TypeError):
        record._agency(fields)


def test_a_project_built_is_the_project_made(repo: Path) -> None:
    data = record.read_document(next((repo / "records").rglob("*.toml"))).data
    built = record.Project.from_data(data)
    agency = record.Agency(**data["agency"])
    reports = tuple(record.Report(index=i, **r) for i, r in enumerate(data["reports"], start=1))
    assert built.agency == agency and built.reports == reports and built.plan == tuple(data.get("plan", ()))
    assert [vars(r) for r in built.reports] == [vars(r) for r in reports]
