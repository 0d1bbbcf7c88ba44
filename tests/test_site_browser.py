"""The site in a real browser: headless Chromium driven by selenium over Debian's chromedriver.

Opens the overview, an agency page and a project page from ``file://`` and checks the figures
shown against ``status --format json``; types in the agency page's search box and uses its
filters and sort buttons; opens a record named ``<script>alert(1)</script>`` and checks no alert
ran and the name shows as text; takes screenshots at 1280 and 375 px wide (kept under the test's
temporary folder and copied to ``$PROJLEDGER_SCREENSHOTS`` when set, or /work/briefs/screenshots
when it exists). Skipped with the reason when chromium, chromedriver or selenium is missing on a
developer's machine; under CI (CI=true) a missing browser fails instead.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from projledger.core.money import format_money, format_percent, format_signed

import portfolio
from conftest import run, write_record

AS_OF = "2022-03-31"
XSS = "<script>alert(1)</script>"
XSS_CODE = "01000000-0666"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(os.environ.get("PROJLEDGER_SCREENSHOTS", "/work/briefs/screenshots"))

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
    if SCREENSHOTS.parent.is_dir():
        SCREENSHOTS.mkdir(exist_ok=True)
        for shot in saved:
            shutil.copy(shot, SCREENSHOTS / shot.name)


def test_a_missing_browser_skips_here_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        _missing("chromium not installed")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        _missing("chromium not installed")
