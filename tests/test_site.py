"""``projledger site``: the pages, their figures, escaping, safe output folders, incremental rebuilds."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from projledger.core import site as site_core
from projledger.core.config import load_config
from projledger.core.portfolio import Skipped

import portfolio
from conftest import run, write_record

AS_OF = "2022-03-31"
XSS = "<script>alert(1)</script>"


@pytest.fixture
def pf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    portfolio.build(tmp_path)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def build(*args: str) -> str:
    result = run("site", "--as-of", AS_OF, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def text_of(html: str) -> str:
    """What a reader sees: the text outside tags, whitespace collapsed (scripts and styles dropped)."""

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.skip += tag in ("script", "style")

        def handle_endtag(self, tag: str) -> None:
            self.skip -= tag in ("script", "style")

        def handle_data(self, data: str) -> None:
            if not self.skip:
                self.parts.append(data)

    parser = Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def test_builds_every_page_and_says_where(pf: Path) -> None:
    out = build()
    assert out.startswith("site: _site/index.html (10 projects;")
    site = pf / "_site"
    names = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    assert {"index.html", "data.json", "data.csv", "site.css", "site.js", site_core.MARKER} <= names
    assert {f"projects/{p.code}.html" for p in portfolio.PROJECTS} <= names
    assert {"agencies/01000000.html", "agencies/18000000.html", "agencies/50010000.html",
            "agencies/50020000.html"} <= names  # fmt: skip
    assert not list(pf.glob("_site.tmp-*"))


def test_data_files_are_those_of_status(pf: Path) -> None:
    build()
    # (the projects' json: ``status`` adds a ``kpis`` list by default, the site's data.json none)
    status_json = run("status", "--as-of", AS_OF, "--kind", "project", "--format", "json").stdout
    status_csv = run("status", "--as-of", AS_OF, "--format", "csv").stdout
    assert json.loads((pf / "_site" / "data.json").read_text("utf-8")) == json.loads(status_json)
    assert (pf / "_site" / "data.csv").read_text("utf-8") == status_csv
    assert len(json.loads(status_json)["projects"]) == 10


def test_overview_figures(pf: Path) -> None:
    build()
    html = (pf / "_site" / "index.html").read_text("utf-8")
    text = text_of(html)
    assert "ปีงบประมาณ พ.ศ. 2565" in text and "ปีงบประมาณ พ.ศ. 2566" in text
    # FY 2565 holds 9 projects; budget 1,000,000 + 2,000,000 + 500,000 + 1,200,000 + 300,000 + 800,000
    # + 600,000 + 0 + 1,000,000 = 7,400,000; disbursed 400,000 + 500,000 + 50,000 + 120,000 + 0
    # + 800,000 + 60,000 + 0 + 900,000 = 2,830,000.
    fy = html[html.index('id="fy-2565"') :]
    assert re.search(r'data-figure="projects">9<', fy)
    assert 'data-figure="budget">7,400,000.00<' in fy
    assert 'data-figure="disbursed">2,830,000.00<' in fy
    assert 'data-figure="plan-behind">1<' in fy
    assert 'data-figure="state-completed">1<' in fy
    # Attention: the behind project, the overdue one and the late one, behind first.
    attention = fy[fy.index('id="attention-2565"') : fy.index("</table>", fy.index('id="attention-2565"'))]
    codes = re.findall(r'data-code="([0-9-]+)"', attention)
    assert codes == ["50010000-0003", "18000000-0009", "50020000-0004"]
    # The chart has a title, a description with the values, and a table of them.
    assert '<title id="q2565-title">' in html and '<desc id="q2565-desc">' in html
    assert "ไตรมาส 2 (31/03/2565)" in html


def test_agency_page_is_a_complete_plain_table(pf: Path) -> None:
    build()
    html = (pf / "_site" / "agencies" / "18000000.html").read_text("utf-8")
    assert html.count("<tr data-state=") == 3
    assert '<th scope="col" data-sort="text">รหัสโครงการ</th>' in html
    assert re.search(r"<form class=\"controls\" data-controls=\"projects\" hidden>", html)
    assert '<script src="../site.js"></script>' in html
    assert "สำนักการวางผังและพัฒนาเมือง" in html
    # The state's word stands beside its colour.
    assert '<span class="badge state-completed">ดำเนินการแล้วเสร็จ</span>' in html
    assert '<span class="badge flag-late">เลยกำหนดสิ้นสุด</span>' in html


def test_project_page(pf: Path) -> None:
    build()
    html = (pf / "_site" / "projects" / "18000000-0002.html").read_text("utf-8")
    text = text_of(html)
    assert "records/2565/18000000-0002.toml" in text
    assert "แบบแสดงรายงานความก้าวหน้าและข้อมูลเกี่ยวกับโครงการ" in text  # the official form
    assert 'data-figure="progress">45.00<' in html
    assert 'data-figure="expected">50.00<' in html
    assert 'data-figure="variance">-5.00<' in html
    assert html.count('<th scope="row">') >= 6 + 4  # every report, every quarter
    assert "<svg" in html and "<title" in html
    for no in range(1, 7):
        assert f"รายงานครั้งที่{no}" in text


def test_english(pf: Path) -> None:
    build("--lang", "en")
    index = (pf / "_site" / "index.html").read_text("utf-8")
    assert '<html lang="en">' in index
    assert "Fiscal year 2565" in text_of(index)
    assert "behind plan" in text_of(index)


def test_record_text_is_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    p = portfolio.PROJECTS[0]
    text = portfolio.record_text(p).replace(f'name = "{p.name}"', f'name = "{XSS}"')
    text = text.replace('department = "', 'department = "<b onmouseover=alert(2)>')
    write_record(tmp_path, text)
    monkeypatch.chdir(tmp_path)
    build()
    for page in (tmp_path / "_site").rglob("*.html"):
        html = page.read_text("utf-8")
        assert "<script>alert" not in html and "<b onmouseover" not in html, page
    project = (tmp_path / "_site" / "projects" / f"{p.code}.html").read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in project
    assert XSS in text_of(project)


def test_invalid_and_duplicate_records_are_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    portfolio.build(tmp_path, with_invalid=True)
    copy = tmp_path / "records" / "2566" / "01000000-0001.toml"
    copy.write_text((tmp_path / "records" / "2565" / "01000000-0001.toml").read_text("utf-8"), "utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("site", "--as-of", AS_OF)
    assert result.exit_code == 0
    assert "2 records skipped" in result.stderr
    assert "records/2565/01000000-0099.toml" in result.stderr
    assert "project 01000000-0001 already has a record" in result.stderr
    assert len(list((tmp_path / "_site" / "projects").iterdir())) == 10
    thai = run("--lang", "th", "site", "--as-of", AS_OF, "--output", "_site_th")
    assert "โครงการรหัส 01000000-0001 มีระเบียนอยู่แล้ว" in thai.stderr


def test_empty_repository(empty_repo: Path) -> None:
    (empty_repo / "projledger.toml").write_text('records = "records"\n', "utf-8")  # a new repository
    build()
    assert "ยังไม่มีโครงการ" in (empty_repo / "_site" / "index.html").read_text("utf-8")


# --- where the site may go ----------------------------------------------------------------


@pytest.mark.parametrize("output", ["records", ".", "..", "records/2565", "/"])
def test_refuses_records_repository_and_parents(pf: Path, output: str) -> None:
    before = sorted(p.relative_to(pf) for p in pf.rglob("*"))
    result = run("site", "--output", output)
    assert result.exit_code == 2  # the records folder, or one holding it: a usage error
    assert result.stderr.startswith(f"projledger: {output}: --output: ")
    assert "records folder" in result.stderr and len(result.stderr.splitlines()) == 1
    assert sorted(p.relative_to(pf) for p in pf.rglob("*")) == before
    assert not list(pf.parent.glob("*.tmp-*"))


def test_refuses_a_folder_it_did_not_build(pf: Path) -> None:
    docs = pf / "docs"
    docs.mkdir()
    (docs / "notes.md").write_text("mine", "utf-8")
    result = run("site", "--output", "docs")
    assert result.exit_code == 1
    assert "did not build" in result.stderr
    assert (docs / "notes.md").read_text("utf-8") == "mine"
    assert not list(pf.glob("docs.tmp-*"))
    (pf / "afile").write_text("x", "utf-8")
    assert run("site", "--output", "afile").exit_code != 0
    assert (pf / "afile").read_text("utf-8") == "x"


def test_an_empty_folder_and_its_own_site_are_replaced(pf: Path) -> None:
    (pf / "public").mkdir()
    build("--output", "public")
    (pf / "public" / "stale.html").write_text("old", "utf-8")
    build("--output", "public")
    assert (pf / "public" / "index.html").is_file()
    assert not (pf / "public" / "stale.html").exists()


def test_default_output_is_at_the_repository_root(pf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (pf / "projledger.toml").write_text('records = "records"\n', "utf-8")
    monkeypatch.chdir(pf / "records" / "2565")
    build()
    assert (pf / "_site" / "index.html").is_file()


# --- building safely and incrementally ------------------------------------------------------


def _written(stdout: str) -> tuple[int, int]:
    match = re.search(r"(\d+) pages written, (\d+) unchanged", stdout)
    assert match, stdout
    return int(match.group(1)), int(match.group(2))


def test_rebuild_rewrites_only_what_depends_on_the_change(pf: Path) -> None:
    assert _written(build()) == (19, 0)
    assert _written(build()) == (0, 19)
    index_inode = (pf / "_site" / "projects" / "50010000-0003.html").stat().st_ino
    record = pf / "records" / "2565" / "18000000-0002.toml"
    record.write_text(record.read_text("utf-8").replace("โครงการปรับปรุงผังเมือง", "โครงการปรับผังเมือง"), "utf-8")
    written, kept = _written(build())
    assert (written, kept) == (5, 14)
    manifest = json.loads((pf / "_site" / site_core.MARKER).read_text("utf-8"))["pages"]
    assert len(manifest) == 19
    assert "โครงการปรับผังเมือง" in (pf / "_site" / "projects" / "18000000-0002.html").read_text("utf-8")
    # An unchanged page is the old file itself, linked, not written again.
    assert (pf / "_site" / "projects" / "50010000-0003.html").stat().st_ino == index_inode
    # Another date or language changes every page.
    assert _written(run("site", "--as-of", "2022-04-30").stdout)[1] == 0


def test_a_failed_build_leaves_the_old_site(pf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build()
    before = {p: p.read_bytes() for p in (pf / "_site").rglob("*") if p.is_file()}

    def broken(*args: object, **kwargs: object) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(site_core, "render_index", broken)
    result = run("site", "--as-of", "2022-04-30")
    assert result.exit_code == 3
    assert {p: p.read_bytes() for p in (pf / "_site").rglob("*") if p.is_file()} == before
    assert not list(pf.glob("_site.tmp-*"))


def test_stray_temporary_folders_are_cleaned(pf: Path) -> None:
    killed = pf / "_site.tmp-abc123"
    (killed / "projects").mkdir(parents=True)
    (killed / site_core.MARKER).write_text("{}", "utf-8")
    empty = pf / "_site.tmp-empty1"
    empty.mkdir()
    foreign = pf / "_site.tmp-notours"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("x", "utf-8")
    build()
    assert not killed.exists() and not empty.exists()
    assert (foreign / "keep.txt").exists()


def test_a_folder_being_built_is_not_cleaned(pf: Path) -> None:
    import fcntl

    busy = pf / "_site.tmp-busy"
    busy.mkdir()
    fd = os.open(busy, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert site_core.clean_stray(pf / "_site") == 0
        assert busy.exists()
    finally:
        os.close(fd)
    assert site_core.clean_stray(pf / "_site") == 1


# --- the pure core ------------------------------------------------------------------------


def test_the_pages_are_a_function_of_their_entries(pf: Path) -> None:
    config = load_config(pf)
    day = date(2022, 3, 31)
    entries = list(site_core.load_entries(config, day, day, Skipped()))
    first = {page.path: page.render() for page in site_core.plan_pages(entries, day, "th", config)}
    again = {page.path: page.render() for page in site_core.plan_pages(entries, day, "th", config)}
    assert first == again
    assert len(first) == 19
    assert set(first) >= {"index.html", "data.json", "projects/01000000-0001.html"}


def test_page_names_never_become_paths() -> None:
    with pytest.raises(site_core.UnsafePathError):
        site_core.project_page("../../etc/passwd")
    assert site_core.agency_page("01000000") == "agencies/01000000.html"


def test_every_table_header_has_a_scope(pf: Path) -> None:
    build()
    for page in (pf / "_site").rglob("*.html"):
        html = page.read_text("utf-8")
        inside_site = html.split('class="official-form"')[0]
        headers = re.findall(r"<th(?=[\s>])[^>]*>", inside_site)
        assert headers and all("scope=" in h for h in headers), page


def test_help_has_an_example() -> None:
    result = run("site", "--help")
    assert "Example:" in result.stdout and "projledger site" in result.stdout


def test_pages_rendered_on_several_processes_are_the_same(pf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(pf)
    day = date(2022, 3, 31)

    def build_with(jobs: int, out: str) -> dict[str, bytes]:
        site_core.build_site(pf / out, config, day, "th", day, pf, Skipped(), jobs=jobs)
        return {
            p.relative_to(pf / out).as_posix(): p.read_bytes() for p in (pf / out).rglob("*") if p.is_file()
        }

    monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")  # no page written as its record is read: all rendered
    monkeypatch.setattr(site_core, "PARALLEL_PAGES", 2)
    assert build_with(2, "two") == build_with(1, "one")


def _pages(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _every_record_racy(monkeypatch: pytest.MonkeyPatch, racy: bool) -> None:
    """Every record changed within RACY_NS of the run (True) or long before it (False), for the
    site's pages and for the index alike (each reads its own name)."""
    from projledger.core import index

    for module in (site_core, index):
        monkeypatch.setattr(module, "RACY_NS", 10**18 if racy else -(10**15))


@pytest.mark.parametrize("with_index", [False, True], ids=["no index", "index"])
def test_a_site_built_from_racy_records_is_linked_not_rendered_again(
    pf: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, with_index: bool
) -> None:
    """A record changed within RACY_NS of a build gives its page a key of its content too, and
    the next build, the record long unchanged, a key of its stat alone: every page built just
    after a checkout or a copy was rendered again by the next build (1,700 records: 2.80 s, the
    cold build's time, where 0.31 s is the rebuild's). A page whose record is the same as when
    it was racy (the same stat and digest) is linked now; only the pages over many records are
    rendered again, once."""
    if with_index:
        request.getfixturevalue("cache_dir")
    config = load_config(pf)
    day = date(2022, 3, 31)
    _every_record_racy(monkeypatch, True)  # keyed by its content too
    site_core.build_site(pf / "s", config, day, "th", day, pf, Skipped())
    racy = _pages(pf / "s")
    _every_record_racy(monkeypatch, False)
    again = site_core.build_site(pf / "s", config, day, "th", day, pf, Skipped())
    projects = {page for page in again.manifest if page.startswith("projects/")}
    assert len(projects) > 3 and not projects & set(again.rendered)
    assert _pages(pf / "s") == {**racy, ".projledger-site": _pages(pf / "s")[".projledger-site"]}
    site_core.build_site(pf / "fresh", config, day, "th", day, pf, Skipped())
    assert {k: v for k, v in _pages(pf / "s").items() if k != ".projledger-site"} == {
        k: v for k, v in _pages(pf / "fresh").items() if k != ".projledger-site"
    }


def test_a_new_day_hashes_no_record_to_find_racy_pages(pf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a new day (or language, config, tool) every page's key is new, so no page can be the
    same under its racy key, and no record is read to find out: a site built daily paid a read
    and a hash of every record for nothing (a second reader: 289 of 300)."""
    config = load_config(pf)
    monkeypatch.setattr(site_core, "RACY_NS", 10**18)
    site_core.build_site(pf / "s", config, date(2022, 3, 31), "th", date(2022, 3, 31), pf, Skipped())
    monkeypatch.setattr(site_core, "RACY_NS", -(10**15))
    hashed: list[object] = []
    real = site_core.file_digest
    monkeypatch.setattr(site_core, "file_digest", lambda path: hashed.append(path) or real(path))
    again = site_core.build_site(pf / "s", config, date(2022, 4, 30), "th", date(2022, 4, 30), pf, Skipped())
    assert hashed == [] and again.kept == 0


@pytest.mark.parametrize("with_index", [False, True], ids=["no index", "index"])
def test_a_racy_record_edited_in_the_same_tick_is_rendered_again(
    pf: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, with_index: bool
) -> None:
    """The test above has teeth: a record whose stat stays the same (a coarse file system: whole
    seconds, no ctime) but whose content changed after the racy build is rendered again, as a
    build with no index renders it (with the index on, its entry is told apart by its digest)."""
    if with_index:
        request.getfixturevalue("cache_dir")
    config = load_config(pf)
    day = date(2022, 3, 31)
    from projledger.core import index

    # the scan's stat key (which the pages' stamps are made of) on a coarse file system
    monkeypatch.setattr(
        index, "stat_key", lambda st: (st.st_size, st.st_mtime_ns // 10**9 * 10**9, st.st_ino, 0)
    )
    _every_record_racy(monkeypatch, True)
    site_core.build_site(pf / "s", config, day, "th", day, pf, Skipped())
    record = sorted((pf / "records").rglob("*.toml"))[0]
    st = record.stat()
    text = record.read_text("utf-8")
    at = text.index('name = "') + len('name = "')
    other = chr(ord(text[at]) + 1)  # the name's first letter the next one: as many bytes
    assert len(other.encode()) == len(text[at].encode())
    record.write_text(text[:at] + other + text[at + 1 :], "utf-8")
    os.utime(record, ns=(st.st_atime_ns, st.st_mtime_ns))
    _every_record_racy(monkeypatch, False)
    again = site_core.build_site(pf / "s", config, day, "th", day, pf, Skipped())
    assert [page for page in again.rendered if page.startswith("projects/")] == [
        site_core.project_page(record.stem)
    ]
    monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")
    site_core.build_site(pf / "fresh", config, day, "th", day, pf, Skipped())
    assert {k: v for k, v in _pages(pf / "s").items() if k != ".projledger-site"} == {
        k: v for k, v in _pages(pf / "fresh").items() if k != ".projledger-site"
    }


def test_a_killed_build_leaves_the_old_site_and_the_next_run_cleans_up(pf: Path) -> None:
    import signal
    import subprocess
    import sys

    build()
    before = {p: p.read_bytes() for p in (pf / "_site").rglob("*") if p.is_file()}
    script = (
        "import os, signal, sys\n"
        "from projledger.core import site\n"
        "site.render_index = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)\n"
        "from projledger.main import main\n"
        "sys.argv = ['projledger', 'site', '--as-of', '2022-04-30']\n"
        "main()\n"
    )
    env = {**os.environ, "PROJLEDGER_NO_CACHE": "1"}
    killed = subprocess.run([sys.executable, "-c", script], cwd=pf, env=env, capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert {p: p.read_bytes() for p in (pf / "_site").rglob("*") if p.is_file()} == before
    assert len(list(pf.glob("_site.tmp-*"))) == 1  # what the killed build left
    build()
    assert not list(pf.glob("_site.tmp-*"))


def test_records_are_never_touched(pf: Path) -> None:
    before = {p: p.read_bytes() for p in (pf / "records").rglob("*.toml")}
    build()
    build("--as-of", "2022-04-30")
    build("--output", "elsewhere/site")
    assert {p: p.read_bytes() for p in (pf / "records").rglob("*.toml")} == before


def test_a_closed_project_shows_its_state_and_no_progress_after_closing(pf: Path) -> None:
    # P7 is cancelled by its report of 2021-11-30 (then judged "watch"), P6 completed on
    # 2022-01-31 (then "on plan"): neither is judged against its plan any more (issue 16.5).
    build()
    page = (pf / "_site" / "projects" / "50010000-0007.html").read_text("utf-8")
    badges = page[page.index('<p class="badges">') : page.index("</p>", page.index('<p class="badges">'))]
    assert "plan-watch" not in badges and "plan-on_plan" not in badges
    assert '<span class="badge plan-cancelled">ยกเลิกโครงการ</span>' in badges
    months = page[
        page.index('id="months-caption"') : page.index("</table>", page.index('id="months-caption"'))
    ]
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>', months)
    assert len(rows) == 2  # October and November 2564: nothing after the closing report's month
    done = (pf / "_site" / "projects" / "18000000-0006.html").read_text("utf-8")
    assert '<span class="badge plan-completed">ดำเนินการแล้วเสร็จ</span>' in done
    assert '<span class="badge plan-on_plan">' not in done[: done.index('id="reports-heading"')]
    fy = (pf / "_site" / "index.html").read_text("utf-8")
    fy = fy[fy.index('id="fy-2565"') :]
    # 9 projects: on plan 3 (not the completed one), watch 2 (not the cancelled one), behind 1,
    # no report 1; the closed two count under their state.
    assert 'data-figure="plan-on_plan">3<' in fy and 'data-figure="plan-watch">2<' in fy
    assert 'data-figure="state-cancelled">1<' in fy and 'data-figure="state-completed">1<' in fy
    agency = (pf / "_site" / "agencies" / "50010000.html").read_text("utf-8")
    assert 'data-plan="cancelled"' in agency and 'class="badge plan-cancelled"' in agency


@pytest.mark.parametrize("first_valid", [True, False])
def test_two_records_of_one_code_with_the_index_give_the_page_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, first_valid: bool
) -> None:
    """A page is written as its record is read only where no other file has its name: of two
    files of one code, the page is the first valid one's, as without the index."""
    portfolio.build(tmp_path, with_invalid=True)
    first = tmp_path / "records" / "2565" / "01000000-0001.toml"
    second = tmp_path / "records" / "2566" / "01000000-0001.toml"
    text = first.read_text("utf-8")
    second.write_text(text.replace(portfolio.PROJECTS[0].name, "the second file project"), "utf-8")
    if not first_valid:
        first.write_text(text.replace("budget = ", "bugdet = "), "utf-8")
    monkeypatch.chdir(tmp_path)
    page = tmp_path / "_site" / "projects" / "01000000-0001.html"
    assert run("site", "--as-of", AS_OF).exit_code == 0
    without = page.read_bytes()
    assert (b"the second file project" in without) is not first_valid
    monkeypatch.setenv("PROJLEDGER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("PROJLEDGER_NO_CACHE", raising=False)
    monkeypatch.setenv("PROJLEDGER_JOBS", "2")
    monkeypatch.setattr(site_core, "PARALLEL_RECORDS", 2)
    shutil.rmtree(tmp_path / "_site")
    result = run("site", "--as-of", AS_OF)
    assert result.exit_code == 0 and page.read_bytes() == without
    assert ("already has a record" in result.stderr) is first_valid


@pytest.mark.parametrize("linked", [False, True])
def test_paths_shown_without_resolving_each_file_are_those_resolved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, linked: bool
) -> None:
    from projledger.core import index

    root = tmp_path / "repo"
    root.mkdir()
    portfolio.build(root, with_invalid=True)
    if linked:  # the records folder is a link to a folder beside it, inside the repository
        (root / "records").rename(root / "kept-records")
        (root / "records").symlink_to("kept-records")
    monkeypatch.chdir(root)
    config = load_config(root)
    found = index.scan([], config)
    assert found.whole and found.clean and len(found.files) > 10
    shown = site_core._shown_paths(config, found)
    for name, _, _ in found.files:
        assert shown(name) == site_core.repository_path(Path(name), config)


def test_control_characters_and_bidi_overrides_in_record_text_are_shown_as_escapes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a page prints of a record goes through one call that shows them and escapes the
    text (the site's templates have no separate ``finalize``): never a raw override."""
    p = portfolio.PROJECTS[0]
    text = portfolio.record_text(p).replace(f'name = "{p.name}"', 'name = "abc\\u202edef <i>"')
    write_record(tmp_path, text)
    monkeypatch.chdir(tmp_path)
    build()
    project = (tmp_path / "_site" / "projects" / f"{p.code}.html").read_text("utf-8")
    assert "abc\\u202edef &lt;i&gt;" in project
    for page in (tmp_path / "_site").rglob("*.html"):
        assert "\u202e" not in page.read_text("utf-8"), page


def test_a_rebuild_links_and_removes_only_pages_of_the_site(
    pf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The previous site's marker file names the pages a rebuild links ahead and removes when
    they are gone; a name there that is not a page of a site (a path out of it) is never
    touched, whatever the file says."""
    monkeypatch.setattr(site_core, "LINK_AHEAD_PAGES", 1)
    config = load_config(pf)
    day = date(2022, 3, 31)

    def rebuild() -> site_core.BuildResult:
        return site_core.build_site(pf / "_site", config, day, "th", day, pf, Skipped(), jobs=2)

    rebuild()
    planted = pf / "keep.html"
    planted.write_text("mine", "utf-8")
    marker = pf / "_site" / site_core.MARKER
    data = json.loads(marker.read_text("utf-8"))
    data["pages"].update({"../keep.html": "x", "projects/../../keep.html": "x", "/etc/keep.html": "x"})
    marker.write_text(json.dumps(data), "utf-8")
    result = rebuild()
    assert planted.read_text("utf-8") == "mine"
    assert result.kept == len(result.manifest) and not result.rendered


@pytest.mark.parametrize("rate", ["5000", "90000000000000"])
def test_a_chart_far_past_100_percent_has_a_few_grid_lines(rate: str) -> None:
    """Disbursed far above the budget (a warning, the record is valid): a grid line every 50 %
    up to 90 trillion % never ended, and the site hung."""
    from decimal import Decimal

    quarters = [site_core.QuarterPoint(2023, 1, date(2022, 12, 31), None, Decimal(rate), Decimal(32))]
    svg = site_core.quarter_svg(site_core.QuarterChart("t", quarters), "c", "en")
    assert 2 <= svg.count('<line class="grid"') <= 13


def test_the_site_of_a_project_that_disbursed_a_trillion_times_its_budget_is_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    monkeypatch.chdir(tmp_path)
    assert run("init", ".").exit_code == 0
    record = (Path(__file__).parent / "data" / "bad" / "base.toml").read_text("utf-8")
    record = record.replace("budget = 120000.00", "budget = 1.00").replace(
        "disbursed = 10000.00", "disbursed = 900000000000.00"
    )
    path = tmp_path / "records" / "2567" / "50100000-0001.toml"
    path.parent.mkdir(parents=True)
    path.write_text(record, "utf-8")
    program = Path(sys.executable).parent / "projledger"
    done = subprocess.run(
        [str(program), "site", "--as-of", "2024-09-30", "-o", str(tmp_path / "_site")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("rate", ["101", "130", "149.99", "150", "612.5"])
def test_a_bar_past_100_percent_stays_inside_the_chart(rate: str) -> None:
    """The chart's top is the first grid line at or above the highest value: a Decimal's //
    cuts toward 0, and -(-130 // 50) made the top 100, so a bar of 130 % was cut off."""
    from decimal import Decimal

    quarters = [site_core.QuarterPoint(2023, 1, date(2022, 12, 31), None, Decimal(rate), Decimal(32))]
    svg = site_core.quarter_svg(site_core.QuarterChart("t", quarters), "c", "en")
    ticks = [int(t) for t in re.findall(r'class="tick"[^>]*>(\d+)</text>', svg)]
    assert max(ticks) >= Decimal(rate) > max(ticks) - (ticks[1] - ticks[0])
    (bar,) = re.findall(r'<rect class="bar" x="[^"]+" y="([^"]+)"', svg)
    assert float(bar) >= 24  # at or below the plot's top: the whole bar is drawn
