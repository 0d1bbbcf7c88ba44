"""The one-pass site build (``site.build_site``: cache, worker processes, linked pages, data lines)
gives the same bytes as the plain rendering of every page (``site.site_pages``), cold and warm,
on one process and on several, with invalid records, duplicate codes, edits, removals and links."""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from projledger.core import site as site_core
from projledger.core.config import load_config
from projledger.core.errors import InputError
from projledger.core.portfolio import Skipped

import portfolio

DAY = date(2022, 3, 31)
TODAY = date(2022, 5, 1)


@pytest.fixture
def pf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    portfolio.build(root, with_invalid=True)
    monkeypatch.chdir(root)
    monkeypatch.delenv("PROJLEDGER_NO_CACHE", raising=False)
    monkeypatch.setenv("PROJLEDGER_CACHE_DIR", str(tmp_path / "cache"))
    return root


def plain(root: Path, lang: str = "th") -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Every page rendered the plain way, with no cache and on one process."""
    config = load_config(root)
    skipped = Skipped()
    saved = dict(os.environ)
    os.environ["PROJLEDGER_NO_CACHE"] = "1"
    try:
        entries = list(site_core.load_entries(config, DAY, TODAY, skipped))
        pages = site_core.site_pages(entries, DAY, lang, config)  # type: ignore[arg-type]
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return pages, skipped.files


def fast(root: Path, lang: str = "th", jobs: int = 1) -> tuple[site_core.BuildResult, list[tuple[str, str]]]:
    config = load_config(root)
    skipped = Skipped()
    result = site_core.build_site(root / "_site", config, DAY, lang, TODAY, root, skipped, jobs=jobs)  # type: ignore[arg-type]
    return result, skipped.files


def files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text("utf-8")
        for p in folder.rglob("*")
        if p.is_file() and p.name != site_core.MARKER
    }


def same_as_plain(root: Path, lang: str = "th", jobs: int = 1) -> site_core.BuildResult:
    result, skipped = fast(root, lang, jobs)
    pages, plain_skipped = plain(root, lang)
    built = files(root / "_site")
    assert sorted(built) == sorted(pages)
    for name, text in pages.items():
        assert built[name] == text, name
    assert skipped == plain_skipped
    manifest = json.loads((root / "_site" / site_core.MARKER).read_text("utf-8"))["pages"]
    assert sorted(manifest) == sorted(pages)
    assert not list(root.glob("_site.tmp-*"))
    return result


def test_cold_warm_and_after_changes(pf: Path) -> None:
    first = same_as_plain(pf)
    assert first.kept == 0 and len(first.rendered) == len(first.manifest)
    again = same_as_plain(pf)
    assert again.rendered == [] and again.kept == len(again.manifest)
    record = pf / "records" / "2565" / "18000000-0002.toml"
    record.write_text(record.read_text("utf-8").replace("โครงการปรับปรุงผังเมือง", "โครงการปรับผังเมือง"), "utf-8")
    edited = same_as_plain(pf)
    assert sorted(edited.rendered) == sorted(
        ["projects/18000000-0002.html", "agencies/18000000.html", "index.html", "data.json", "data.csv"]
    )
    (pf / "records" / "2565" / "50010000-0003.toml").unlink()
    same_as_plain(pf)
    # A duplicate code: the first record in the walk keeps the page, the second is skipped.
    copy = pf / "records" / "2566" / "01000000-0001.toml"
    copy.write_text((pf / "records" / "2565" / "01000000-0001.toml").read_text("utf-8"), "utf-8")
    same_as_plain(pf)
    copy.unlink()
    same_as_plain(pf)


def test_the_site_deleted_but_the_cache_kept(pf: Path) -> None:
    same_as_plain(pf)
    import shutil

    shutil.rmtree(pf / "_site")
    rebuilt = same_as_plain(pf)
    assert rebuilt.kept == 0


def test_several_processes(pf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(site_core, "PARALLEL_PAGES", 2)
    copy = pf / "records" / "2566" / "01000000-0001.toml"
    copy.write_text((pf / "records" / "2565" / "01000000-0001.toml").read_text("utf-8"), "utf-8")
    same_as_plain(pf, jobs=2)
    record = pf / "records" / "2565" / "18000000-0002.toml"
    record.write_text(record.read_text("utf-8") + "\n", "utf-8")
    same_as_plain(pf, jobs=2)


def test_english_and_no_cache(pf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    same_as_plain(pf, "en")
    monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")
    same_as_plain(pf, "th")
    warm = same_as_plain(pf, "th")
    assert warm.rendered == []  # without a cache every record is read, but no page is rendered


def test_a_record_changed_just_now_is_verified_by_content(pf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A record edited within the racy window keeps its stat trusted only with its digest."""
    from projledger.core import cache

    same_as_plain(pf)
    record = pf / "records" / "2565" / "18000000-0002.toml"
    text = record.read_text("utf-8")
    record.write_text(text.replace("โครงการปรับปรุงผังเมือง", "โครงการปรับปรุงผังเมือX"), "utf-8")
    same_as_plain(pf)
    # The same size and the same stat as far as the cache can tell: only the digest differs.
    info = record.stat()
    record.write_text(text.replace("โครงการปรับปรุงผังเมือง", "โครงการปรับปรุงผังเมือY"), "utf-8")
    os.utime(record, ns=(info.st_atime_ns, info.st_mtime_ns))
    real = cache.stat_key
    monkeypatch.setattr(cache, "stat_key", lambda st: (*real(st)[:3], 0))  # ctime not seen
    result = same_as_plain(pf)
    assert "projects/18000000-0002.html" in result.rendered


def test_links_in_the_records_folder_follow_the_walks_rules(pf: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "50010000-0777.toml").write_text("name = 1\n", "utf-8")
    (pf / "records" / "2565" / "50010000-0777.toml").symlink_to(outside / "50010000-0777.toml")
    (pf / "elsewhere").mkdir()
    (pf / "records" / "more").symlink_to(pf / "elsewhere")
    _, skipped = fast(pf)
    assert any("outside the repository" in reason for _, reason in skipped)
    same_as_plain(pf)


def test_a_changed_page_never_writes_into_the_old_sites_file(pf: Path, tmp_path: Path) -> None:
    same_as_plain(pf)
    page = pf / "_site" / "projects" / "18000000-0002.html"
    before = page.read_bytes()
    kept = tmp_path / "old-page.html"
    os.link(page, kept)  # the old site's file, whatever name it goes by
    record = pf / "records" / "2565" / "18000000-0002.toml"
    record.write_text(record.read_text("utf-8").replace("โครงการปรับปรุงผังเมือง", "โครงการปรับผังเมือง"), "utf-8")
    same_as_plain(pf)
    assert kept.read_bytes() == before
    assert page.read_bytes() != before


@pytest.mark.parametrize("share", [0.5, 1.0])
def test_a_linking_process_that_stops_part_way(
    pf: Path, monkeypatch: pytest.MonkeyPatch, share: float
) -> None:
    """What it linked before it stopped is used; the rest is rendered; nothing stale is left."""
    same_as_plain(pf)
    (pf / "records" / "2565" / "50010000-0003.toml").unlink()
    real = site_core._Linker._link

    def half(self: site_core._Linker, pages: list[str], *, keep: bool) -> list[str]:
        real(self, pages[: int(len(pages) * share)], keep=keep)
        raise OSError("stopped")

    monkeypatch.setattr(site_core._Linker, "_link", half)
    result = same_as_plain(pf)
    assert 0 < result.kept < len(result.manifest)


def test_a_records_folder_elsewhere_in_the_repository(pf: Path) -> None:
    (pf / "data").mkdir()
    (pf / "records").rename(pf / "data" / "recs")
    (pf / "projledger.toml").write_text('records = "data/recs"\n', "utf-8")
    same_as_plain(pf)
    assert "data/recs/2565/18000000-0002.toml" in (pf / "_site" / "data.csv").read_text("utf-8")


def test_the_faster_escape_prints_what_jinjas_own_does(pf: Path) -> None:
    """Pages rendered with ``pages._Template`` (escaping to plain strings) equal those rendered
    with Jinja's own ``Template``, for record text holding markup, quotes and control characters."""
    from jinja2 import Template

    from projledger.core import pages
    from projledger.core.status import compute_status

    from conftest import write_record

    p = portfolio.PROJECTS[0]
    nasty = "<script>alert(1)</script> & \\\" ' \\u202e\\u0007 ข้อความ"
    text = (
        portfolio.record_text(p)
        .replace(f'"{p.code}"', '"01000000-0666"')
        .replace(f'"{p.name}"', f'"{nasty}"')
    )
    write_record(pf, text, code="01000000-0666")
    config = load_config(pf)
    entries = list(site_core.load_entries(config, DAY, TODAY, Skipped()))
    project = next(e for e in entries if e.row.code == "01000000-0666").load()
    status = compute_status(project, DAY, config)

    def render_all() -> tuple[dict[str, str], str]:
        return site_core.site_pages(entries, DAY, "th", config), pages.form_page(project, status)  # type: ignore[arg-type]

    fast = render_all()
    envs = [pages.environment(), site_core.environment(None), site_core.environment("th")]
    assert all(env.template_class is pages._Template for env in envs)
    try:
        for env in envs:
            env.template_class = Template
            env.cache.clear()  # type: ignore[union-attr]
        plain_pages = render_all()
    finally:
        for env in envs:
            env.template_class = pages._Template
            env.cache.clear()  # type: ignore[union-attr]
    assert fast == plain_pages
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;" in fast[0]["projects/01000000-0666.html"]


def test_the_overviews_totals_are_summarys(pf: Path) -> None:
    """The overview's one pass makes the groups ``summarise`` makes, with the same totals."""
    from projledger.core.summary import summarise

    config = load_config(pf)
    rows = [e.row for e in site_core.load_entries(config, DAY, TODAY, Skipped())]
    views = site_core._year_views(rows, DAY, "th", config)
    by_year = summarise(rows, ["fiscal-year"], config, DAY)
    by_quarter = summarise(rows, ["fiscal-year", "quarter"], config, DAY)
    by_agency = summarise(rows, ["fiscal-year", "agency"], config, DAY)
    assert [v.fiscal_year for v in views] == sorted(
        (dict(g.key)["fiscal_year"] for g in by_year.groups), reverse=True
    )
    for view in views:
        assert view.totals == next(
            g.totals for g in by_year.groups if dict(g.key)["fiscal_year"] == view.fiscal_year
        )
        quarters = [g.totals for g in by_quarter.groups if dict(g.key)["fiscal_year"] == view.fiscal_year]
        assert [(q.quarter, q.end, q.rate, q.target, q.disbursed) for q in view.quarters] == [
            (q.quarter, q.end, q.disbursement_rate, q.target, q.disbursed)
            for q in quarters  # type: ignore[union-attr]
        ]
        agencies = [(dict(g.key)["agency"], g.totals) for g in by_agency.groups
                    if dict(g.key)["fiscal_year"] == view.fiscal_year]  # fmt: skip
        assert [(a.code, a.totals) for a in view.agencies] == agencies
        assert all(a.name == by_agency.agency_names[a.code] for a in view.agencies)
    assert len(views) == 2 and sum(v.totals.projects for v in views) == len(rows)


def test_a_cache_value_packed_with_its_data_lines_and_a_damaged_one() -> None:
    """A row's value is its pickle followed by its data lines; a value whose lengths do not fit
    its bytes is refused (the record is then read again), never read past them."""
    import pickle

    value = ("row", ("X",), "records/x.toml", b'{"code":"X"}', b"X,1\r\n")
    raw, *_ = site_core._packed((value, None, None, False))
    kind, fields, shown, lines, json_size = site_core._unpacked(raw)
    assert (kind, fields, shown, bytes(lines), json_size) == (*value[:3], value[3] + value[4], len(value[3]))
    assert bytes(lines) == raw[-len(lines) :]
    for sizes in ((10**6, 5), (12, 10**6), (-1, 5), (12, "5")):
        damaged = pickle.dumps(("row", ("X",), "records/x.toml", *sizes)) + value[3] + value[4]
        with pytest.raises(ValueError):
            site_core._unpacked(damaged)
    with pytest.raises(ValueError):
        site_core._unpacked(pickle.dumps(("page", "x")))
    skip = ("skip", "not a record", "records/y.toml")
    assert site_core._unpacked(site_core._packed((skip, None, None, False))[0]) == skip


def test_the_old_site_removed_by_two_processes_while_the_cache_is_saved(
    pf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site_core, "PARALLEL_REMOVAL", 1)
    same_as_plain(pf)
    record = pf / "records" / "2565" / "18000000-0002.toml"
    record.write_text(record.read_text("utf-8") + "\n", "utf-8")
    old_page = os.stat(pf / "_site" / "projects" / "01000000-0001.html")
    (cache_file,) = (pf.parent / "cache").glob("site-*.cache")
    old_cache = os.stat(cache_file)
    edited = same_as_plain(pf)  # the old site's folder is gone (no _site.tmp-* left)
    (cache_file,) = (pf.parent / "cache").glob("site-*.cache")
    assert os.stat(cache_file).st_ino != old_cache.st_ino  # saved anew, with the edited record
    assert "projects/18000000-0002.html" in edited.rendered
    # The unchanged page is the old one, linked: its only name now is the new site's.
    new_page = os.stat(pf / "_site" / "projects" / "01000000-0001.html")
    assert (new_page.st_ino, new_page.st_nlink) == (old_page.st_ino, 1)
    again = same_as_plain(pf)
    assert again.rendered == []
    assert not [p for p in pf.iterdir() if p.name.startswith("_site.")]


def test_data_lines_read_back_a_small_window_at_a_time(pf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The spill file read through in windows smaller than a line: data files still the same."""
    monkeypatch.setattr(site_core._Spill, "WINDOW", 7)
    same_as_plain(pf)
    spill = site_core._Spill()
    try:
        spans = [spill.add(b"j%d" % i + b"c" * i, 2) for i in range(5)]
        spill.ready()
        assert spill.lines(spans, [4, 0, 3, 1, 2], 0) == [b"j4", b"j0", b"j3", b"j1", b"j2"]
        assert spill.lines(spans, [1, 0, 2, 3, 4], 1) == [b"c", b"", b"cc", b"ccc", b"cccc"]
    finally:
        spill.close()


@pytest.mark.parametrize("count", [0, 1, 2])
def test_data_files_from_data_lines_of_no_one_and_two_rows(pf: Path, count: int) -> None:
    config = load_config(pf)
    rows = [e.row for e in site_core.load_entries(config, DAY, TODAY, Skipped())][:count]
    rows.reverse()  # the spill's order is not the data files' (nor the walk's)
    spill = site_core._Spill()
    try:
        spans = []
        for row in rows:
            json_line = site_core._json_fragment(row)
            spans.append(spill.add(json_line + site_core._csv_fragment(row), len(json_line)))
        spill.ready()
        worst = site_core.SORTS["worst"]
        order = sorted(range(count), key=lambda i: worst(rows[i]))  # as _summary_pages orders them
        json_text = site_core._data_json(rows, spill, spans, order, DAY)
        assert json_text == site_core.render_data_json(rows, DAY).encode()
        assert site_core._data_csv(spill, spans, order) == site_core.render_data_csv(rows).encode()
    finally:
        spill.close()


def test_the_collector_is_as_it_was_after_a_build(pf: Path) -> None:
    import gc

    same_as_plain(pf)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        fast(pf)
        assert not gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()


def test_the_collector_is_as_it_was_after_a_build_that_failed(
    pf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    def fail(*args: object) -> None:
        assert gc.get_freeze_count() > 0  # what the build made is frozen by now
        raise OSError("the disk is full")

    monkeypatch.setattr(site_core, "_link_projects", fail)
    with pytest.raises(InputError, match="the site cannot be built: the disk is full"):
        fast(pf)  # the machine's refusal, named for the site (issue 17.16)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert not list(pf.glob("_site*"))
