"""``projledger site`` on a repository of format 2: a page per KPI, KPI figures on the overview
and the agency pages, Thai and English, and KPI pages in the incremental rebuild."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from test_site import text_of

from projledger.core import site as site_core
from projledger.core.config import load_config
from projledger.core.portfolio import Skipped

from conftest import DATA, run

FORMAT2 = DATA / "format2"
KPI = "5026-2001"
PROJECT = "01000000-2475"


@pytest.fixture
def f2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The format-2 examples: a project and a KPI naming it."""
    folder = tmp_path / "records" / "2565"
    (folder / "kpi").mkdir(parents=True)
    shutil.copy(FORMAT2 / f"{PROJECT}.toml", folder)
    shutil.copy(FORMAT2 / "kpi" / f"{KPI}.toml", folder / "kpi")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def figures(html: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in re.findall(r'data-figure="([a-z_]+)">([^<]*)<', html):
        found.setdefault(key, []).append(value.strip())
    return found


def page(root: Path, name: str) -> str:
    return (root / "_site" / name).read_text("utf-8")


def test_a_kpi_page_shows_target_quarters_evaluations_notes_and_projects(f2: Path) -> None:
    result = run("site", "--as-of", "2022-06-30")
    assert result.exit_code == 0, result.output
    html = page(f2, f"kpis/{KPI}.html")
    got = figures(html)
    # By hand: target 100 ร้อยละ; Q1 20.5, Q2 45.5 (the latest); 45.5 / 100 = 45.50 %; Q1 scored 100 / 100.
    assert got["target"] == ["100"]
    assert got["achieved"] == ["45.5 (ไตรมาส 2)"]
    assert got["percent_of_target"] == ["45.50"]
    assert got["latest_score"] == ["100 / 100 (ไตรมาส 1)"]
    assert got["result"] == ["20.5", "45.5", "-", "-"]
    assert got["evaluation"] == ["100 / 100", "-", "-", "-"]
    text = text_of(html)
    assert "5.1 ความสำเร็จของการเบิกจ่ายงบประมาณในภาพรวม : 5026-2001" in text
    assert "ค่าเป้าหมาย ร้อยละ 100" in text
    assert "ตัวชี้วัดงานประจำ (ตัวชี้วัดระดับผลผลิต (output))" in text
    assert "ไตรมาส 1 (28/01/2565): เบิกจ่ายตามแผน" in text
    assert "ไม่บรรลุค่าเป้าหมาย" in text
    assert f'href="../projects/{PROJECT}.html"' in html
    assert "<svg" in html and "ผลงานสะสมเทียบค่าเป้าหมายรายไตรมาส" in html


def test_the_overview_and_the_agency_page_show_the_kpis(f2: Path) -> None:
    assert run("site", "--as-of", "2022-06-30").exit_code == 0
    index = page(f2, "index.html")
    got = figures(index)
    assert (got["kpis"], got["kpis_met"], got["kpis_not_met"], got["kpis_no_result"]) == (
        ["1"],
        ["0"],
        ["1"],
        ["0"],
    )
    assert got["kpi_score_mean"] == ["100.00"]
    # The project's latest evaluation by 30/06/2565 is quarter 2's: 95.5 of 100.
    assert got["project_score_mean"] == ["95.50"]
    assert f'href="kpis/{KPI}.html"' in index
    # The KPI's department is that of project 01000000-2475: it is listed on that agency's page.
    agency = page(f2, "agencies/01000000.html")
    assert f'href="../kpis/{KPI}.html"' in agency
    assert figures(agency)["kpis_not_met"] == ["1"]
    assert "ตัวชี้วัดของหน่วยงาน" in agency
    for html in (index, agency):  # the KPI table names its columns as a KPI's, not a project's
        kpi_table = html[html.index('class="kpis">') :]
        kpi_table = kpi_table[: kpi_table.index("</thead>")]
        assert "รหัสตัวชี้วัด" in kpi_table and "ชื่อตัวชี้วัด" in kpi_table
        assert "รหัสโครงการ" not in kpi_table and "ชื่อโครงการ" not in kpi_table


def test_a_kpi_met_counts_as_met(f2: Path) -> None:
    record = f2 / "records" / "2565" / "kpi" / f"{KPI}.toml"
    record.write_text(
        record.read_text("utf-8") + "\n[[results]]\nquarter = 3\nvalue = 101.25\ndate = 2022-07-20\n", "utf-8"
    )
    assert run("site", "--as-of", "2022-09-30").exit_code == 0
    got = figures(page(f2, "index.html"))
    assert (got["kpis_met"], got["kpis_not_met"]) == (["1"], ["0"])
    assert figures(page(f2, f"kpis/{KPI}.html"))["percent_of_target"] == ["101.25"]


def test_the_kpi_lists_show_the_latest_evaluation_as_the_kpi_page_and_status_do(f2: Path) -> None:
    """Quarter 2 scored 45 of 50: the KPI page, ``status --kind kpi`` and the KPI lists of the
    overview and the agency page all say ``45 / 50`` under "สยป. ตรวจประเมิน" (the lists said
    90.00, the score as % of the full score, where the KPI page said 45 / 50)."""
    record = f2 / "records" / "2565" / "kpi" / f"{KPI}.toml"
    evaluation = "\n[[evaluations]]\nquarter = 2\nscore = 45\nfull_score = 50\ndate = 2022-04-20\n"
    record.write_text(record.read_text("utf-8") + evaluation, "utf-8")
    assert run("site", "--as-of", "2022-06-30").exit_code == 0
    assert figures(page(f2, f"kpis/{KPI}.html"))["latest_score"] == ["45 / 50 (ไตรมาส 2)"]
    for listing in ("index.html", "agencies/01000000.html"):
        assert figures(page(f2, listing))["latest_score"] == ["45 / 50"], listing
    status = run("status", "--kind", "kpi", "--as-of", "2022-06-30", "--format", "markdown")
    assert "45 / 50" in status.output and "90.00" not in status.output


def test_a_kpi_page_shows_what_was_known_on_the_day(f2: Path) -> None:
    # The result of quarter 2 is dated 25/04/2565: as of 31/03/2565 the latest is quarter 1's.
    assert run("site", "--as-of", "2022-03-31").exit_code == 0
    got = figures(page(f2, f"kpis/{KPI}.html"))
    assert got["achieved"] == ["20.5 (ไตรมาส 1)"]
    assert got["result"] == ["20.5", "-", "-", "-"]


def test_english(f2: Path) -> None:
    assert run("site", "--as-of", "2022-06-30", "--lang", "en").exit_code == 0
    html = page(f2, f"kpis/{KPI}.html")
    text = text_of(html)
    assert "Results against the target by quarter" in text and "routine (output)" in text
    assert figures(html)["achieved"] == ["45.5 (quarter 2)"]
    record_words = {
        "ความสำเร็จของการเบิกจ่ายงบประมาณในภาพรวม", "ร้อยละ", "สำนักงานเลขานุการสภากรุงเทพมหานคร",
        "ร้อยละของงบประมาณที่เบิกจ่ายได้เทียบกับงบประมาณหลังปรับโอน", "ระบบติดตามและประเมินผล",
        "การบริหารจัดการ", "มิติที่", "การบริหารงบประมาณมีประสิทธิภาพ", "เบิกจ่ายตามแผน",
        "งบประมาณที่เบิกจ่าย", "งบประมาณหลังปรับโอน", "สยป.",
    }  # fmt: skip
    project_name = re.search(r'projects/01000000-2475.html">01000000-2475</a> ([^<]*)<', html)
    assert project_name is not None
    rest = text.replace(project_name.group(1).strip(), "")
    for words in sorted(record_words, key=len, reverse=True):
        rest = rest.replace(words, "")
    assert not re.search(r"[\u0e00-\u0e7f]", rest), re.findall(r"\S*[\u0e00-\u0e7f]+\S*", rest)
    assert "KPIs by fiscal year" in page(f2, "index.html")


def _build(root: Path) -> list[str]:
    result = site_core.build_site(
        root / "_site", load_config(root), date(2022, 6, 30), "th", date(2025, 1, 1), root, Skipped()
    )
    return sorted(result.rendered)


def test_a_changed_kpi_renders_its_page_and_the_pages_showing_it_again(f2: Path) -> None:
    first = _build(f2)
    assert f"kpis/{KPI}.html" in first
    assert _build(f2) == []
    record = f2 / "records" / "2565" / "kpi" / f"{KPI}.toml"
    record.write_text(record.read_text("utf-8").replace("value = 45.5", "value = 46.5"), "utf-8")
    assert _build(f2) == ["agencies/01000000.html", "index.html", f"kpis/{KPI}.html"]
    assert figures(page(f2, f"kpis/{KPI}.html"))["achieved"] == ["46.5 (ไตรมาส 2)"]
    # The KPI page names its projects: a changed project renders it again too.
    project = f2 / "records" / "2565" / f"{PROJECT}.toml"
    project.write_text(project.read_text("utf-8").replace("โครงการให้การต้อนรับ", "โครงการต้อนรับ", 1), "utf-8")
    again = _build(f2)
    assert f"kpis/{KPI}.html" in again and f"projects/{PROJECT}.html" in again
    assert "โครงการต้อนรับ" in page(f2, f"kpis/{KPI}.html")


def test_a_second_record_of_a_kpi_code_is_skipped(f2: Path) -> None:
    other = f2 / "records" / "2565" / "kpi" / "copy"
    other.mkdir()
    shutil.copy(f2 / "records" / "2565" / "kpi" / f"{KPI}.toml", other / f"{KPI}.toml")
    skipped = Skipped()
    site_core.build_site(
        f2 / "_site", load_config(f2), date(2022, 6, 30), "th", date(2025, 1, 1), f2, skipped
    )
    assert (f2 / "_site" / "kpis" / f"{KPI}.html").is_file()
    assert [reason for _, reason in skipped.files] == [
        "KPI 5026-2001 already has a record, records/2565/kpi/5026-2001.toml"
    ]
    # and in the words of the run's language (the catalog's Thai by default)
    thai = run("--lang", "th", "site", "--as-of", "2022-06-30", "--output", "_site_th")
    assert thai.exit_code == 0
    assert "ตัวชี้วัด 5026-2001 มีระเบียนอยู่แล้ว, records/2565/kpi/5026-2001.toml" in thai.stderr


def test_a_kpi_of_a_department_without_projects_gets_an_agency_page_of_its_prefix(f2: Path) -> None:
    (f2 / "records" / "2565" / f"{PROJECT}.toml").unlink()
    assert run("site", "--as-of", "2022-06-30").exit_code == 0
    agency = page(f2, "agencies/5026.html")
    assert "สำนักงานเลขานุการสภากรุงเทพมหานคร" in agency and f'href="../kpis/{KPI}.html"' in agency
    assert f"{PROJECT} (ไม่พบโครงการนี้)" in text_of(page(f2, f"kpis/{KPI}.html"))


def test_evaluated_projects_without_kpis_show_their_mean_score(f2: Path) -> None:
    (f2 / "records" / "2565" / "kpi" / f"{KPI}.toml").unlink()
    assert run("site", "--as-of", "2022-06-30").exit_code == 0
    index = page(f2, "index.html")
    got = figures(index)
    assert (got["kpis"], got["project_score_mean"], got["kpi_score_mean"]) == (["0"], ["95.50"], ["-"])
    assert 'id="kpi-list"' not in index


@pytest.mark.parametrize("left_out", ["issue", "dimension", "goal"])
def test_a_kpi_whose_strategy_lacks_a_key_has_its_page(f2: Path, left_out: str) -> None:
    """Each key of [strategy] is optional: the page looked each one up and crashed (internal
    error, exit 3) on a record without it."""
    path = f2 / "records" / "2565" / "kpi" / f"{KPI}.toml"
    path.write_text(
        "".join(
            line for line in path.read_text("utf-8").splitlines(True) if not line.startswith(f"{left_out} =")
        ),
        "utf-8",
    )
    assert f"kpi/{KPI}.toml" not in run("validate", "--as-of", "2022-06-30").stdout
    assert run("site", "--as-of", "2022-06-30", "--lang", "en").exit_code == 0
    strategy = re.search(
        r"<dt>alignment with the 20-year plan</dt><dd>([^<]*)</dd>", page(f2, f"kpis/{KPI}.html")
    )
    assert strategy and f"{left_out}:" not in strategy.group(1) and not strategy.group(1).endswith("; ")
