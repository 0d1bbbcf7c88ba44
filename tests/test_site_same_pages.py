"""The site's pages are byte for byte those of the builder before issue 18 (which had a second,
cached, one-pass builder): ``golden/site-pages.json`` holds the SHA-256 of every page that code
built, Thai and English, from the test portfolio and from 40 generated records (seed 7, a tenth
broken), and what it skipped. Made with that code by building these same portfolios through
``site.build_site`` with no cache; regenerate only for a change of the pages that is meant.

The one builder must give those bytes cold, after edits (pages copied from the previous site
beside pages rendered again), and as the plain rendering of every page (``plan_pages``, each rendered)."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from projledger.core import site as site_core
from projledger.core.config import load_config
from projledger.core.portfolio import ProjectRow, Skipped, sorted_rows
from projledger.core.tables import status_csv, status_envelope
from projledger.core.text import json_safe

import portfolio
from conftest import DATA

sys.path.insert(0, str(DATA.parents[1]))
from bench.generate import AS_OF, generate

ORACLE = json.loads((Path(__file__).parent / "golden" / "site-pages.json").read_text("utf-8"))

PORTFOLIOS: dict[str, tuple[Callable[[Path], object], date, date]] = {
    "fixed": (lambda root: portfolio.build(root, with_invalid=True), date(2022, 3, 31), date(2022, 5, 1)),
    "generated": (lambda root: generate(root, 40, seed=7, size=6000, fail_share=0.1), AS_OF, AS_OF),
}


def expected(name: str, lang: str) -> tuple[dict[str, str], list[list[str]]]:
    prefix = f"{name}/{lang}/"
    pages = {
        k[len(prefix) :]: v for k, v in ORACLE.items() if k.startswith(prefix) and k != prefix + "skipped"
    }
    return pages, ORACLE[prefix + "skipped"]


def built(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file() and p.name != site_core.MARKER
    }


def build(root: Path, name: str, lang: str, jobs: int = 1) -> tuple[site_core.BuildResult, list[list[str]]]:
    _, day, today = PORTFOLIOS[name]
    skipped = Skipped()
    result = site_core.build_site(
        root / f"_site_{lang}",
        load_config(root),
        day,
        lang,
        today,
        root,
        skipped,
        jobs=jobs,  # type: ignore[arg-type]
    )
    return result, [list(item) for item in skipped.files]


@pytest.fixture(params=["fixed", pytest.param("generated", marks=pytest.mark.slow)])
def pf(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    name = request.param
    root = tmp_path / name
    root.mkdir()
    PORTFOLIOS[name][0](root)
    monkeypatch.chdir(root)
    monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")
    return name, root


@pytest.mark.parametrize("lang", ["th", "en"])
def test_cold_pages_are_those_of_the_builder_before(pf: tuple[str, Path], lang: str) -> None:
    name, root = pf
    pages, skipped = expected(name, lang)
    result, skipped_now = build(root, name, lang)
    assert built(root / f"_site_{lang}") == pages
    assert skipped_now == skipped
    assert result.kept == 0 and sorted(result.rendered) == sorted(result.manifest) == sorted(pages)
    # The plain rendering of every page, in memory, is the same.
    _, day, today = PORTFOLIOS[name]
    config = load_config(root)
    entries = site_core.load_entries(config, day, today, Skipped())
    plain = {page.path: page.render() for page in site_core.plan_pages(entries, day, lang, config)}
    assert {
        k: hashlib.sha256(v if isinstance(v, bytes) else v.encode()).hexdigest() for k, v in plain.items()
    } == pages


def test_pages_copied_and_rendered_again_are_the_same(
    pf: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    name, root = pf
    pages, _ = expected(name, "th")
    build(root, name, "th")
    records = sorted((root / "records").rglob("*.toml"))
    valid = [p for p in records if f"projects/{p.stem}.html" in pages]
    edited, saved = valid[len(valid) // 2], valid[len(valid) // 2].read_bytes()
    edited.write_bytes(saved + b"\n# edited\n")
    result, _ = build(root, name, "th")
    assert f"projects/{edited.stem}.html" in result.rendered
    assert sum(1 for page in result.rendered if page.startswith("projects/")) == 1
    assert built(root / "_site_th") == pages  # a comment changes no page
    edited.write_bytes(saved)
    monkeypatch.setattr(site_core, "PARALLEL_PAGES", 2)
    os.utime(root / "records", None)
    result, _ = build(root, name, "th", jobs=2)
    assert built(root / "_site_th") == pages
    unchanged = build(root, name, "th")[0]
    assert unchanged.rendered == [] and unchanged.kept == len(pages)
    assert built(root / "_site_th") == pages


def test_a_record_changed_within_the_racy_window_is_told_apart_by_content(tmp_path: Path) -> None:
    record = tmp_path / "r.toml"
    record.write_bytes(b"a = 1\n")
    info = record.stat()
    first = site_core.file_stamp(record, racy_since=0)
    record.write_bytes(b"a = 2\n")
    os.utime(record, ns=(info.st_atime_ns, info.st_mtime_ns))
    second = site_core.file_stamp(record, racy_since=0)
    assert first.split(":")[-1] != second.split(":")[-1]  # the digests differ, whatever the stat says
    assert site_core.file_stamp(record, racy_since=1 << 62).count(":") == 3  # an old file: its stat alone


@pytest.mark.parametrize("jobs", [1, 2])
def test_pages_read_once_with_the_index_are_the_same(
    pf: tuple[str, Path], jobs: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With the index on, a record the index does not know is read once: its row kept and its
    page written from that one reading (on two processes too); the pages are the same bytes,
    cold, after an edit, and from the index alone (every record known, every page kept)."""
    name, root = pf
    monkeypatch.setenv("PROJLEDGER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PROJLEDGER_NO_CACHE")
    monkeypatch.setattr(site_core, "PARALLEL_RECORDS", 2)
    reread: list[str] = []
    real_project_of = site_core._project_of
    monkeypatch.setattr(site_core, "_project_of", lambda path, *rest: (reread.append(str(path)), real_project_of(path, *rest))[1])  # fmt: skip
    pages, skipped = expected(name, "th")
    result, skipped_now = build(root, name, "th", jobs=jobs)
    assert built(root / "_site_th") == pages and skipped_now == skipped
    assert sorted(result.rendered) == sorted(pages) and reread == []  # no record read twice
    records = sorted((root / "records").rglob("*.toml"))
    valid = [p for p in records if f"projects/{p.stem}.html" in pages]
    edited = valid[len(valid) // 3]
    edited.write_bytes(edited.read_bytes() + b"\n# edited\n")
    result, skipped_now = build(root, name, "th", jobs=jobs)
    assert built(root / "_site_th") == pages and skipped_now == skipped
    assert [p for p in result.rendered if p.startswith("projects/")] == [f"projects/{edited.stem}.html"]
    assert {"index.html", "data.json", "data.csv"} <= set(result.rendered) and reread == []
    # a site built elsewhere from the same index: rows kept, every page rendered from a reading
    other = build_elsewhere = root / "_site_other"
    result = site_core.build_site(other, load_config(root), PORTFOLIOS[name][1], "th", PORTFOLIOS[name][2], root, Skipped(), jobs=jobs)  # fmt: skip
    assert built(build_elsewhere) == pages and len(reread) == sum(p.startswith("projects/") for p in pages)


def test_the_data_files_joined_from_parts_are_those_written_whole(pf: tuple[str, Path]) -> None:
    name, root = pf
    _, day, today = PORTFOLIOS[name]
    config = load_config(root)
    entries = list(site_core.load_entries(config, day, today, Skipped()))
    rows = [entry.row for entry in entries]
    parts = [site_core.SiteRow(entry.row, entry.json, entry.csv) for entry in entries]

    def whole_json(rows: list[ProjectRow]) -> str:  # status --format json's envelope, compact
        envelope = status_envelope(sorted_rows(rows, "worst"), day)
        return json_safe(json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))) + "\n"

    worst_first = sorted(parts, key=site_core._worst_of_site_row)  # as the site orders them
    assert site_core._data_json(worst_first, day).decode() == whole_json(rows)
    assert site_core._data_csv(worst_first).decode() == status_csv(sorted_rows(rows, "worst"))
    assert site_core._data_json([], day).decode() == whole_json([])
    assert [site_core._site_load(site_core._site_make(row)).row for row in rows] == rows


def test_pages_linked_ahead_on_a_worker_are_the_same_and_the_old_site_is_untouched(
    pf: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A rebuild on two processes links every page of the previous site from its start, on a
    worker, while it reads the records: a page rendered again replaces its link (the previous
    site's file never written into), a page whose record is gone is removed, and the site is
    the one a cold build makes of the same records."""
    name, root = pf
    monkeypatch.setattr(site_core, "LINK_AHEAD_PAGES", 1)
    build(root, name, "th")
    site = root / "_site_th"
    keep = tmp_path / "old-files"
    keep.mkdir()
    before = {}
    for i, page in enumerate(sorted(p for p in site.rglob("*") if p.is_file())):
        os.link(page, keep / str(i))  # the previous site's files, still there after its folder goes
        before[i] = page.read_bytes()
    pages, _ = expected(name, "th")
    records = sorted((root / "records").rglob("*.toml"))
    valid = [p for p in records if f"projects/{p.stem}.html" in pages]
    edited, gone = valid[len(valid) // 2], valid[0]
    edited.write_bytes(edited.read_bytes().replace(b"\nname = ", b"\nname = 'x' #", 1))
    gone.unlink()
    result, _ = build(root, name, "th", jobs=2)
    assert f"projects/{edited.stem}.html" in result.rendered
    assert f"projects/{gone.stem}.html" not in result.manifest
    assert 0 < result.kept < len(result.manifest)
    _, day, today = PORTFOLIOS[name]
    cold = site_core.build_site(root / "_cold", load_config(root), day, "th", today, root, Skipped())
    assert cold.kept == 0
    assert built(site) == built(root / "_cold")
    assert not (site / "projects" / f"{gone.stem}.html").exists()
    assert {i: (keep / str(i)).read_bytes() for i in before} == before
