"""The printed form in a real browser: headless Chromium prints the HTML to A4 PDF, poppler reads it.

Three records are printed: the shipped one, a long one (24 reports with long notes) and a short
one (no report). Each PDF is read back page by page (``pdftotext -layout -f N -l N``) and drawn
(``pdftoppm``): the page count is what the content needs, every page but the last is at least
half full, every report's number and date and the signature lines are there, the last report
stands with the signatures, no page ends on a heading, and the sections come in the order and
with the labels of the real printout (tests/data/legacy). The page is also opened at 375 and
1280 px (selenium over chromedriver): nothing runs off a phone's screen. Screenshots (pages
and PDF pages) are kept under the test's temporary folder and copied to
``$PROJLEDGER_SCREENSHOTS`` when set.

Needs Debian's chromium, chromedriver and poppler-utils (`make browser`). Skipped with the
reason when they are missing on a developer's machine; under CI (CI=true) they fail instead.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from projledger.core.form import SIGNATURES

from conftest import LEGACY_PRINTOUT, SPEC_RECORD, keep_screenshots, run, write_record

TOOLS = ("chromium", "pdftotext", "pdftoppm", "pdfinfo")
#: The page's margins (form.css): fullness is measured inside them, where the form's text goes.
MARGIN_TOP_MM, MARGIN_BOTTOM_MM, PAGE_MM = 15, 15, 297
LONG, SHORT = "01000000-9024", "01000000-9000"
NOTE = ("อยู่ระหว่างการติดตามสถานการณ์ข้อมูลข่าวสารสถานการณ์การแพร่ระบาดของโรคโควิด-19 "
        "ภายในกรุงเทพมหานครและภายในเมืองของสภาเมืองต่างประเทศที่เป็นคู่สัญญาผ่านช่องทางออนไลน์ "
        "เพื่อความปลอดภัยในการดำเนินโครงการ")  # fmt: skip


def _require_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed (run `make browser`)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"under CI the browser test must run: {reason}")
    pytest.skip(reason)


def _flat(text: str) -> str:
    """pdftotext puts stray spaces inside Thai words: compare with whitespace removed."""
    return re.sub(r"\s+", "", text)


def _be(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year + 543}"


def _spec_without_reports(code: str) -> str:
    text = SPEC_RECORD.read_text("utf-8")
    return text[: text.index("[[reports]]")].replace('code = "01000000-2475"', f'code = "{code}"')


def _long_record() -> str:
    """24 monthly reports, notes of one to three long sentences, inside the project's dates."""
    text = _spec_without_reports(LONG).replace("end = 2023-01-30", "end = 2023-12-31")
    for no in range(1, 25):
        day = date(2021, 10, 1) + timedelta(days=30 * no)
        note = " ".join([NOTE] * (1 + no % 3))
        text += (f'[[reports]]\nno = {no}\ndate = {day.isoformat()}\nprogress = {min(4 * no, 96)}.0\n'
                 f'disbursed = {1000 * no}.0\nplan_status = "on_plan"\ntarget_status = "on_target"\n'
                 f'note = "{note}"\n\n')  # fmt: skip
    return text


def _reports(code: str) -> list[dict[str, Any]]:
    if code == SHORT:
        return []
    if code == LONG:
        return list(tomllib.loads(_long_record())["reports"])
    return list(tomllib.loads(SPEC_RECORD.read_text("utf-8"))["reports"])


def _print_to_pdf(page: Path, pdf: Path, profile: Path) -> None:
    command = [
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={profile}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
        page.resolve().as_uri(),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def _pages(pdf: Path) -> list[str]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info, info
    count = int(re.search(r"Pages:\s+(\d+)", info)[1])  # type: ignore[index]
    return [subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"],
                           check=True, capture_output=True, text=True, timeout=60).stdout
            for n in range(1, count + 1)]  # fmt: skip


def _fullness(pdf: Path, folder: Path) -> list[float]:
    """How far down each page the ink goes, inside the page's margins: 0 empty, 1 full."""
    subprocess.run(["pdftoppm", "-r", "50", "-gray", str(pdf), str(folder / "ink")], check=True, timeout=120)
    out = []
    for pgm in sorted(folder.glob("ink-*.pgm"), key=lambda p: int(p.stem.rsplit("-", 1)[1])):
        raw = pgm.read_bytes()
        head = re.match(rb"P5\s+(\d+)\s+(\d+)\s+\d+\s", raw)
        assert head, pgm
        width, height, pixels = int(head[1]), int(head[2]), raw[head.end() :]
        top = round(height * MARGIN_TOP_MM / PAGE_MM)
        bottom = height - round(height * MARGIN_BOTTOM_MM / PAGE_MM)
        inked = [y for y in range(top, bottom) if min(pixels[y * width : (y + 1) * width]) < 160]
        out.append((max(inked) - top) / (bottom - top) if inked else 0.0)
    return out


def _headings() -> list[str]:
    """The real printout's title and section headings, in its order (trailing dots dropped)."""
    lines = [line.strip() for line in LEGACY_PRINTOUT.read_text("utf-8").splitlines()]
    wanted = [line for line in lines if re.match(r"(\*{4} |[12]\. |1\.[1-6] )", line)]
    wanted = [line.rstrip(".") for line in wanted if not re.match(r"[12]\. (เพื่อ|ดำเนินการ)", line)]
    return list(dict.fromkeys(wanted))  # the title repeats on every page of the printout


def _keep(shots: list[Path]) -> None:
    keep_screenshots(shots)


@pytest.fixture
def forms(repo: Path) -> Iterator[Path]:
    """The shipped record, a long one and a short one, each shown as an HTML form."""
    write_record(repo, _long_record(), code=LONG)
    write_record(repo, _spec_without_reports(SHORT), code=SHORT)
    for code in ("01000000-2475", LONG, SHORT):
        result = run("show", code, "--format", "html", "--output", f"{code}.html")
        assert result.exit_code == 0, result.stderr
    yield repo


#: code -> the most pages its content needs (measured: 6, 12 and 4; a report moves whole).
MAX_PAGES = {"01000000-2475": 6, LONG: 12, SHORT: 4}


@pytest.mark.slow
@pytest.mark.parametrize("code", list(MAX_PAGES))
def test_printed_form_fills_its_pages_and_holds_every_report(forms: Path, tmp_path: Path, code: str) -> None:
    _require_tools()
    pdf = tmp_path / f"form-{code}.pdf"
    _print_to_pdf(forms / f"{code}.html", pdf, tmp_path / "profile")
    pages = _pages(pdf)
    flats = [_flat(page) for page in pages]
    whole = "".join(flats)
    fullness = _fullness(pdf, tmp_path)
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(pdf), str(tmp_path / f"form-{code}-page")], check=True
    )
    _keep(sorted(tmp_path.glob(f"form-{code}-page-*.png")))
    print(code, len(pages), "pages, fullness", [round(f, 2) for f in fullness])

    assert len(pages) <= MAX_PAGES[code], (len(pages), fullness)
    assert len(fullness) == len(pages)
    # No empty page, and no page but the last less than half full.
    assert all(flat for flat in flats), [i + 1 for i, flat in enumerate(flats) if not flat]
    assert all(f >= 0.5 for f in fullness[:-1]), fullness
    # The sections in the order and with the labels of the real printout.
    positions = [whole.find(_flat(heading)) for heading in _headings()]
    assert len(positions) == 9 and -1 not in positions, list(zip(_headings(), positions, strict=True))
    assert positions == sorted(positions), positions
    # Every report's number and date, each report whole on one page (head and figures together).
    reports = _reports(code)
    for report in reports:
        assert f"รายงานครั้งที่{report['no']}::{_be(report['date'])}" in whole, report["no"]
    for flat in flats:
        heads = re.findall(r"รายงานครั้งที่([0-9]+)::", flat)
        figures = re.findall(r"\(ครั้งที่([0-9]+)\)", flat)
        assert heads == figures, (heads, figures)
    # The signature block is whole on the last page, with the last report (or "no report yet").
    last = flats[-1]
    assert "ขอรับรองว่าข้อมูลในแบบรายงานนี้ถูกต้องและเป็นความจริงทุกประการ" in last
    assert last.count("ลงชื่อ") == len(SIGNATURES) and all(role in last for role in SIGNATURES)
    assert last.count("วันที่........") == len(SIGNATURES)
    assert "ข้อมูลณวันที่" in last
    assert (f"รายงานครั้งที่{reports[-1]['no']}::" if reports else "ยังไม่มีรายงาน") in last
    # No page but the last ends on a heading (a heading stays with what it heads).
    headings = [_flat(h) for h in _headings()[1:]]
    for number, page in enumerate(pages[:-1], start=1):
        body = [line for line in page.splitlines() if line.strip() and not re.fullmatch(r"\s*หน้า.*", line)]
        assert not any(_flat(body[-1]).startswith(h[:12]) for h in headings), (number, body[-1])
    # Each page after the first carries the form's title and every page its number.
    for number, flat in enumerate(flats, start=1):
        assert f"หน้า{number}/{len(pages)}" in flat
        assert flat.count("แบบแสดงรายงานความก้าวหน้าและข้อมูลเกี่ยวกับโครงการ") == 1
    assert "01000000" in flats[0] and code in flats[0]


_PHONE_OVERFLOW = """
const width = window.innerWidth, bad = [];
if (document.documentElement.scrollWidth > width) bad.push('page ' + document.documentElement.scrollWidth);
for (const el of document.querySelectorAll('body *')) {
  const box = el.getBoundingClientRect();
  if (box.width === 0 && box.height === 0) continue;
  let limit = width, p = el.parentElement;
  for (; p && p !== document.body; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX;
    if (o === 'auto' || o === 'scroll' || o === 'hidden') { limit = p.getBoundingClientRect().right; break; }
  }
  if (box.right > limit + 0.5) bad.push(el.tagName + '.' + el.className + ' ' + (el.textContent || '').slice(0, 30) + ' ' + box.right);
}
return bad;
"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    _require_tools()
    if shutil.which("chromedriver") is None:
        _require_tools_named("chromedriver")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(shutil.which("chromium"))
    profile = tmp_path_factory.mktemp("chromium-profile")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--hide-scrollbars", f"--user-data-dir={profile}"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(shutil.which("chromedriver"))), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _require_tools_named(tool: str) -> None:
    reason = f"{tool} not installed (run `make browser`)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"under CI the browser test must run: {reason}")
    pytest.skip(reason)


@pytest.mark.slow
@pytest.mark.parametrize("code", ["01000000-2475", LONG])
def test_form_page_on_a_phone_and_a_desktop(browser: Any, forms: Path, tmp_path: Path, code: str) -> None:
    shots = []
    for width in (375, 1280):
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})  # fmt: skip
        browser.get((forms / f"{code}.html").as_uri())
        assert browser.find_element("css selector", "article.form").is_displayed()
        # Nothing is cut: no element runs past the screen or past its own scrolling box.
        assert browser.execute_script(_PHONE_OVERFLOW) == [], width
        height = browser.execute_script("return document.documentElement.scrollHeight")
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": width, "height": min(height, 16000), "deviceScaleFactor": 1,
                                 "mobile": width < 600})  # fmt: skip
        shot = tmp_path / f"form-{code}-screen-{width}.png"
        assert browser.save_screenshot(str(shot))
        assert shot.read_bytes().startswith(b"\x89PNG")
        shots.append(shot)
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    _keep(shots)


def test_missing_browser_skips_on_a_developer_machine_but_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(shutil, "which", lambda tool: None)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="under CI the browser test must run"):
        _require_tools()
    with pytest.raises(pytest.fail.Exception, match="chromedriver"):
        _require_tools_named("chromedriver")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="make browser"):
        _require_tools()
