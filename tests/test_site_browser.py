"""The site in a real browser: headless Chromium driven by selenium over Debian's chromedriver.

Opens the overview, an agency page and a project page from ``file://`` and checks the figures
shown against ``status --format json``; types in the agency page's search box and uses its
filters and sort buttons; opens a record named ``<script>alert(1)</script>`` and checks no alert
ran and the name shows as text; takes screenshots at 1280 and 375 px wide (kept under the test's
temporary folder and copied to ``$PROJLEDGER_SCREENSHOTS`` when set).

On a phone (375 px) and a wide screen (1280 px), Thai and English, on the test portfolio and on
a generated one with long Thai names and large amounts: no element is wider than the page or
its text wider than its box unless it sits in a box that scrolls, and no two chart labels'
boxes meet (``FIT``). An English site holds no Thai word but the records' own text and the
official form, which is the Thai form as printed (``lang="th"``). Screenshots of those pages are
kept as well (and copied to /tmp/projledger-shots when /tmp is there). Skipped with the reason when chromium, chromedriver or selenium is missing on a
developer's machine; under CI (CI=true) a missing browser fails instead.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tomllib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from projledger.core.money import format_money, format_percent, format_signed

import portfolio
from conftest import DATA, keep_screenshots, run, write_record

sys.path.insert(0, str(DATA.parents[1]))
from bench.generate import AS_OF as GENERATED_AS_OF
from bench.generate import generate

AS_OF = "2022-03-31"
XSS = "<script>alert(1)</script>"
XSS_CODE = "01000000-0666"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
THAI = re.compile(r"[\u0e00-\u0e7f]")

pytestmark = pytest.mark.slow


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"under CI the browser test must run: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    driver_path = shutil.which("chromedriver") or (CHROMEDRIVER if Path(CHROMEDRIVER).exists() else None)
    if not chromium or not driver_path:
        _missing("chromium or chromedriver not installed (run `make browser`)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing("selenium not installed (pip install -e '.[dev]')")
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    profile = tmp_path_factory.mktemp("chromium-profile")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--hide-scrollbars", f"--user-data-dir={profile}"):  # fmt: skip
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(driver_path)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The 10-record portfolio plus a record named like a script, built as of 2022-03-31."""
    root = tmp_path_factory.mktemp("repo")
    portfolio.build(root)
    p = portfolio.PROJECTS[0]
    text = portfolio.record_text(p).replace(f'"{p.code}"', f'"{XSS_CODE}"').replace(f'"{p.name}"', f'"{XSS}"')
    write_record(root, text, code=XSS_CODE)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        assert run("site", "--as-of", AS_OF).exit_code == 0
        envelope = json.loads(run("status", "--as-of", AS_OF, "--format", "json").stdout)
    return root / "_site", envelope


def _open(driver: Any, page: Path, width: int = 1280) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})  # fmt: skip
    driver.get(page.as_uri())
    driver.find_element("css selector", "main")


def _figure(driver: Any, scope: str, name: str) -> str:
    return str(driver.find_element("css selector", f'{scope} [data-figure="{name}"]').text.strip())


def _no_errors(driver: Any) -> None:
    """Nothing blocked by the page's Content-Security-Policy, no script error."""
    severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not severe, severe


def _money(value: float | int | None) -> str:
    return format_money(Decimal(str(value))) if value is not None else ""


def test_overview_shows_the_figures_of_status(browser: Any, built: tuple[Path, dict[str, Any]]) -> None:
    site, envelope = built
    _open(browser, site / "index.html")
    for year in (2565, 2566):
        rows = [r for r in envelope["projects"] if r["fiscal_year"] == year]
        scope = f"#fy-{year}"
        assert _figure(browser, scope, "projects") == str(len(rows))
        budget = sum(Decimal(str(r["budget"])) for r in rows)
        disbursed = sum(Decimal(str(r["disbursed"])) for r in rows)
        assert _figure(browser, scope, "budget") == format_money(budget)
        assert _figure(browser, scope, "disbursed") == format_money(disbursed)
        for plan in ("on_plan", "watch", "behind"):
            count = sum(1 for r in rows if r["computed_plan_status"] == plan)
            assert _figure(browser, scope, f"plan-{plan}") == str(count)
        for state in ("not_started", "active", "completed", "cancelled"):
            assert _figure(browser, scope, f"state-{state}") == str(
                sum(1 for r in rows if r["state"] == state)
            )
    # The chart is there, with its title, and the quarter values beside it.
    title = browser.find_element("css selector", "#fy-2565 svg title")
    assert "การเบิกจ่ายสะสม" in title.get_attribute("textContent")
    _no_errors(browser)


def test_agency_page_search_filter_and_sort(browser: Any, built: tuple[Path, dict[str, Any]]) -> None:
    site, envelope = built
    _open(browser, site / "agencies" / "01000000.html")
    rows = [r for r in envelope["projects"] if r["agency_code"] == "01000000"]
    shown = browser.find_elements("css selector", "#projects tbody tr")
    assert sorted(tr.get_attribute("data-code") for tr in shown) == sorted(r["code"] for r in rows)
    for tr in shown:
        row = next(r for r in rows if r["code"] == tr.get_attribute("data-code"))
        cells = tr.find_elements("css selector", "td")
        progress = format_percent(Decimal(str(row["progress"]))) if row["progress"] is not None else ""
        assert cells[4].text.strip() == progress
        assert cells[8].text.strip() == _money(row["disbursed"])
        assert cells[9].text.strip() == _money(row["budget"])

    def visible() -> list[str]:
        return [tr.get_attribute("data-code") for tr in browser.find_elements("css selector", "#projects tbody tr")
                if tr.is_displayed()]  # fmt: skip

    assert browser.find_element("css selector", "form.controls").is_displayed()
    search = browser.find_element("css selector", "[data-search]")
    search.send_keys("สัมมนา")
    assert visible() == ["01000000-0005"]
    count = browser.find_element("css selector", "[data-count]").text
    assert "1" in count and str(len(rows)) in count
    search.clear()
    search.send_keys("ไม่มีคำนี้")
    assert visible() == []
    search.clear()
    search.send_keys(" ")  # an input event with an empty query shows every row again
    assert len(visible()) == len(rows)

    from selenium.webdriver.support.ui import Select

    Select(browser.find_element("css selector", '[data-filter="state"]')).select_by_value("not_started")
    assert visible() == ["01000000-0005"]
    Select(browser.find_element("css selector", '[data-filter="state"]')).select_by_value("")
    # Sort by budget, ascending then descending.
    header = browser.find_elements("css selector", "#projects thead th")[9]
    header.find_element("css selector", "button").click()
    budgets = [Decimal(tr.find_elements("css selector", "td")[9].get_attribute("data-value"))
               for tr in browser.find_elements("css selector", "#projects tbody tr")]  # fmt: skip
    assert budgets == sorted(budgets) and header.get_attribute("aria-sort") == "ascending"
    header.find_element("css selector", "button").click()
    budgets = [Decimal(tr.find_elements("css selector", "td")[9].get_attribute("data-value"))
               for tr in browser.find_elements("css selector", "#projects tbody tr")]  # fmt: skip
    assert budgets == sorted(budgets, reverse=True)
    _no_errors(browser)


def test_project_page_shows_the_figures_of_status(browser: Any, built: tuple[Path, dict[str, Any]]) -> None:
    site, envelope = built
    for row in envelope["projects"]:
        if row["code"] not in ("18000000-0002", "50010000-0003", "18000000-0009"):
            continue
        _open(browser, site / "projects" / f"{row['code']}.html")
        assert _figure(browser, "main", "budget") == _money(row["budget"])
        assert _figure(browser, "main", "disbursed") == _money(row["disbursed"])
        assert _figure(browser, "main", "progress") == format_percent(Decimal(str(row["progress"])))
        assert _figure(browser, "main", "expected") == format_percent(Decimal(str(row["expected"])))
        assert _figure(browser, "main", "variance") == format_signed(Decimal(str(row["variance"])))
        assert _figure(browser, "main", "path") == row["path"]
        assert _figure(browser, "main", "overdue").startswith(str(row["overdue"]))
        assert browser.find_element("css selector", ".official-form article.form").is_displayed()
    _no_errors(browser)


def test_a_script_in_a_name_shows_as_text_and_runs_nothing(
    browser: Any, built: tuple[Path, dict[str, Any]]
) -> None:
    from selenium.common.exceptions import NoAlertPresentException

    site, _ = built
    for page in (
        site / "projects" / f"{XSS_CODE}.html",
        site / "agencies" / "01000000.html",
        site / "index.html",
    ):
        _open(browser, page)
        with pytest.raises(NoAlertPresentException):
            browser.switch_to.alert  # noqa: B018 - the property raises when no alert is open
        assert XSS in browser.find_element("css selector", "main").text or page.name == "index.html"
    _open(browser, site / "projects" / f"{XSS_CODE}.html")
    assert XSS in browser.find_element("css selector", "h1").text
    assert XSS in browser.title


def test_screenshots_and_no_sideways_scrolling_on_a_phone(
    browser: Any, built: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    site, _ = built
    saved = []
    for name, page in (("overview", site / "index.html"), ("project", site / "projects" / "18000000-0002.html"),
                       ("agency", site / "agencies" / "18000000.html")):  # fmt: skip
        for width in (1280, 375):
            _open(browser, page, width)
            # The page itself never scrolls sideways; wide tables scroll inside their own box.
            assert browser.execute_script("return document.documentElement.scrollWidth") <= width, (
                name,
                width,
            )
            height = browser.execute_script("return document.documentElement.scrollHeight")
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": width, "height": min(height, 16000), "deviceScaleFactor": 1,
                                     "mobile": width < 600})  # fmt: skip
            shot = tmp_path / f"site-{name}-{width}.png"
            assert browser.save_screenshot(str(shot))
            assert shot.read_bytes().startswith(b"\x89PNG")
            saved.append(shot)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    keep_screenshots(saved)


def test_a_missing_browser_skips_here_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        _missing("chromium not installed")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        _missing("chromium not installed")


#: What does not fit, as sentences: an element past the page's right edge or text wider than its
#: box, outside any box that scrolls or clips sideways; on a wide screen, a table that needs its
#: box to scroll; two visible chart labels whose boxes meet; a chart label cut by its chart's edge.
FIT = """
var width = document.documentElement.clientWidth, out = [];
function scrolls(el) {
  for (var a = el.parentElement; a && a !== document.body; a = a.parentElement) {
    if (/(auto|scroll|hidden)/.test(getComputedStyle(a).overflowX)) { return true; }
  }
  return false;
}
function name(el) {
  return el.tagName.toLowerCase() + (el.className && typeof el.className === "string" ? "." + el.className : "")
    + " '" + (el.textContent || "").trim().slice(0, 40) + "'";
}
document.querySelectorAll("body *").forEach(function (el) {
  if (el.closest("svg") || el.closest(".skip")) { return; }
  var r = el.getBoundingClientRect();
  if ((r.width === 0 && r.height === 0) || scrolls(el)) { return; }
  if (r.right > width + 0.5) { out.push("wider than the page: " + name(el) + " " + r.right + " > " + width); }
  if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1 && !/(auto|scroll)/.test(getComputedStyle(el).overflowX)) {
    out.push("text wider than its box: " + name(el) + " " + el.scrollWidth + " > " + el.clientWidth);
  }
});
if (width >= 1000) {
  document.querySelectorAll(".table-scroll").forEach(function (box) {
    if (box.scrollWidth > box.clientWidth + 1) { out.push("table cut on a wide screen: " + name(box.querySelector("caption") || box)); }
  });
}
document.querySelectorAll("main svg").forEach(function (svg, n) {
  var edge = svg.getBoundingClientRect(), boxes = [];
  svg.querySelectorAll("text").forEach(function (t) {
    var r = t.getBoundingClientRect();
    if (getComputedStyle(t).display !== "none" && r.width > 0) { boxes.push([t.textContent, r]); }
  });
  if (boxes.length < 2) { out.push("chart " + n + " shows no labels"); }
  boxes.forEach(function (p, i) {
    var a = p[1];
    if (a.left < edge.left - 0.5 || a.right > edge.right + 0.5) { out.push("chart " + n + " cuts '" + p[0] + "'"); }
    boxes.slice(i + 1).forEach(function (q) {
      var b = q[1];
      if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) {
        out.push("chart " + n + " labels meet: '" + p[0] + "' '" + q[0] + "'");
      }
    });
  });
});
return out;
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """60 generated records (long Thai names, amounts in the hundreds of millions), built in Thai
    and English; returns the repository (sites in _site_th and _site_en)."""
    root = tmp_path_factory.mktemp("generated")
    generate(root, 60, seed=3)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        for lang in ("th", "en"):
            result = run(
                "site", "--lang", lang, "--as-of", GENERATED_AS_OF.isoformat(), "--output", f"_site_{lang}"
            )
            assert result.exit_code == 0, result.stderr
    return root


@pytest.fixture(scope="module")
def format2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The format-2 examples (a project, a KPI naming it), built in Thai and English."""
    root = tmp_path_factory.mktemp("format2")
    folder = root / "records" / "2565"
    (folder / "kpi").mkdir(parents=True)
    shutil.copy(DATA / "format2" / "01000000-2475.toml", folder)
    shutil.copy(DATA / "format2" / "kpi" / "5026-2001.toml", folder / "kpi")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        for lang in ("th", "en"):
            result = run("site", "--lang", lang, "--as-of", "2022-06-30", "--output", f"_site_{lang}")
            assert result.exit_code == 0, result.stderr
    return root


def _pages(site: Path) -> dict[str, Path]:
    """The overview, the agency with the most projects, the project with the longest name and
    the one with the most months."""
    rows = json.loads((site / "data.json").read_text("utf-8"))["projects"]
    agencies = [r["agency_code"] for r in rows]
    longest = max(rows, key=lambda r: len(r["name"]))
    longest_span = max(rows, key=lambda r: date.fromisoformat(r["end"]) - date.fromisoformat(r["start"]))
    return {
        "overview": site / "index.html",
        "agency": site / "agencies" / f"{max(set(agencies), key=agencies.count)}.html",
        "project": site / "projects" / f"{longest['code']}.html",
        "project-longest": site / "projects" / f"{longest_span['code']}.html",
    }


def _shoot(browser: Any, width: int, shot: Path) -> None:
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                            {"width": width, "height": min(height, 16000), "deviceScaleFactor": 1, "mobile": width < 600})  # fmt: skip
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("lang", ["th", "en"])
def test_every_page_fits_a_phone_and_a_wide_screen(
    browser: Any,
    built: tuple[Path, dict[str, Any]],
    generated: Path,
    format2: Path,
    lang: str,
    tmp_path: Path,
) -> None:
    fixed = built[0] if lang == "th" else None
    pages = {f"generated-{k}": v for k, v in _pages(generated / f"_site_{lang}").items()}
    kpis = format2 / f"_site_{lang}"
    pages |= {"kpi": kpis / "kpis" / "5026-2001.html", "kpi-agency": kpis / "agencies" / "01000000.html",
              "kpi-overview": kpis / "index.html"}  # fmt: skip
    if fixed is not None:
        pages |= {"fixed-overview": fixed / "index.html", "fixed-agency": fixed / "agencies" / "18000000.html",
                  "fixed-project": fixed / "projects" / "18000000-0002.html"}  # fmt: skip
    problems, saved = {}, []
    for name, page in pages.items():
        for width in (375, 1280):
            _open(browser, page, width)
            found = browser.execute_script(FIT)
            if found:
                problems[f"{name} {width}"] = found
            if browser.execute_script("return document.documentElement.scrollWidth") > width:
                problems.setdefault(f"{name} {width}", []).append("the page scrolls sideways")
            shot = tmp_path / f"site-{lang}-{name}-{width}.png"
            _shoot(browser, width, shot)
            saved.append(shot)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    keep_screenshots(saved)
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


def test_a_narrow_screen_hides_the_labels_it_has_no_room_for(browser: Any, generated: Path) -> None:
    """The monthly chart's thinned labels are there on a wide screen and gone on a phone; the
    reports stack as cards on a phone, each value beside its column's name."""
    page = _pages(generated / "_site_th")["project-longest"]
    counts = {}
    for width in (375, 1280):
        _open(browser, page, width)
        counts[width] = browser.execute_script(
            "return Array.from(document.querySelectorAll('svg.chart text'))"
            ".filter(function (t) { return getComputedStyle(t).display !== 'none'; }).length"
        )
    assert counts[375] < counts[1280]
    _open(browser, page, 375)
    assert (
        browser.execute_script("return getComputedStyle(document.querySelector('table.reports tr')).display")
        == "block"
    )
    assert not browser.find_element("css selector", "table.reports thead").is_displayed()
    label = browser.execute_script(
        "return getComputedStyle(document.querySelector('table.reports td'), '::before').content"
    )
    assert "วันที่" in label


class _Text(HTMLParser):
    """Every text node and every worded attribute of a page, but inside ``lang="th"``."""

    VOID = frozenset(("meta", "link", "br", "img", "input", "wbr", "hr", "source", "col", "area", "base", "embed", "track"))  # fmt: skip

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        thai = (bool(self.stack) and self.stack[-1]) or (dict(attrs).get("lang") == "th" and tag != "html")
        if not thai:
            self.texts += [
                v
                for k, v in attrs
                if k in ("title", "aria-label", "placeholder", "data-template", "alt") and v
            ]
        if tag not in self.VOID:
            self.stack.append(thai)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self.stack and self.stack[-1]) and data.strip():
            self.texts.append(data.strip())


def _record_strings(root: Path) -> list[str]:
    """Every string a record holds (names, departments, notes...), longest first."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.update(part.strip() for part in value.splitlines() if part.strip())
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in (root / "records").rglob("*.toml"):
        try:
            walk(tomllib.loads(path.read_text("utf-8")))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
    return sorted(found, key=len, reverse=True)


def test_an_english_site_has_no_thai_word_but_the_records(generated: Path) -> None:
    """Every page's text and chart SVG text (titles, descriptions, axes) of an English site:
    what is Thai is a record's own text, or the official form, which is Thai as printed."""
    own = _record_strings(generated)
    leaks: dict[str, set[str]] = {}
    site = generated / "_site_en"
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 60
    for page in pages:
        parser = _Text()
        parser.feed(page.read_text("utf-8"))
        for text in parser.texts:
            if not THAI.search(text):
                continue
            rest = text
            for value in own:
                if value in rest:
                    rest = rest.replace(value, "")
            if THAI.search(rest):
                leaks.setdefault(page.relative_to(site).as_posix(), set()).add(rest)
    assert not leaks, {k: sorted(v)[:5] for k, v in list(leaks.items())[:5]}
    # The Thai site still speaks Thai, charts included.
    thai_page = (generated / "_site_th" / "projects").glob("*.html")
    assert "ผลจริง (เส้นทึบ จุดวงกลม)" in next(thai_page).read_text("utf-8")
