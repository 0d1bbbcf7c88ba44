"""Rows of a portfolio and their rendering, tested on the core directly with hand-worked figures."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from wcwidth import wcswidth

from projledger.core import portfolio as portfolio_module
from projledger.core.config import Config
from projledger.core.portfolio import (
    Filters,
    Skipped,
    build_row,
    filtered,
    progress_by_month,
    quarter_points,
    rows,
    sorted_rows,
)
from projledger.core.record import Project, read_document
from projledger.core.status import compute_status
from projledger.core.tables import (
    json_number,
    progress_bar,
    row_dict,
    shorten,
    status_csv,
    status_envelope,
)

import portfolio
from conftest import SHIPPED

D = Decimal


@pytest.fixture
def config(tmp_path: Path) -> Config:
    portfolio.build(tmp_path)
    return Config(root=tmp_path.resolve(), records_dir=(tmp_path / "records").resolve())


@pytest.fixture
def by_code(config: Config) -> dict[str, portfolio_module.ProjectRow]:
    return {r.code: r for r in rows([], config, portfolio.AS_OF)}


def test_spec_worked_example_as_a_row(tmp_path: Path) -> None:
    config = Config(root=tmp_path, records_dir=tmp_path / "records")
    project = Project.from_data(read_document(SHIPPED).data)
    row = build_row(project, compute_status(project, date(2022, 3, 31), config), "x.toml")
    assert row.state == "active"
    assert (row.latest_no, row.latest_date, row.progress) == (6, date(2022, 3, 23), D(50))
    # 2021-10-01 → 2022-03-23 is 31+30+31+31+28+22 = 173 days of 2021-10-01 → 2023-01-30's 486:
    # 173 / 486 = 0.355967… → 35.60 %; variance 50 − 35.5967 = 14.4033 → +14.40.
    assert row.expected == D(173) * 100 / D(486)
    assert json_number(row.expected) == 35.6 and json_number(row.variance) == 14.4
    assert (row.computed_plan_status, row.plan_status) == ("on_plan", "watch")
    assert row.disbursement_rate == 0
    # FY 2565 Q2 ends 2022-03-31: the cabinet's cumulative target 54 %; nothing spent, gap −54.
    assert (row.disbursement_target, row.disbursement_gap) == (D(54), D(-54))
    # Due: October to February (March, the as-of month, is not yet due) = 5; filed 6.
    assert (row.due, row.filed, row.overdue, row.late) == (5, 6, 0, False)
    # The quarters' cumulative disbursement: Q1 and Q2 ended, both 0; Q3 and Q4 not yet.
    assert row.disbursed_by_quarter == (D(0), D(0), None, None)


def test_rows_of_the_portfolio_worked_by_hand(by_code: dict[str, portfolio_module.ProjectRow]) -> None:
    assert len(by_code) == 10
    expected = {
        # code: (state, expected, variance, computed, rate, gap, due, filed, overdue, late)
        "01000000-0001": ("active", 89, 1, "on_plan", 40, -14, 2, 3, 0, False),
        "18000000-0002": ("active", 50, -5, "watch", 25, -29, 5, 6, 0, False),
        "50010000-0003": ("active", 58, -38, "behind", 10, -44, 2, 2, 0, False),
        "50020000-0004": ("active", 8.24, 1.76, "on_plan", 10, -44, 5, 1, 4, False),
        "01000000-0005": ("not_started", None, None, None, 0, -54, 0, 0, 0, False),
        "18000000-0006": ("completed", 100, 0, "completed", 100, 46, 0, 4, 0, False),
        "50010000-0007": ("cancelled", 16.48, -6.48, "cancelled", 10, -44, 0, 2, 0, False),
        "01000000-0008": ("active", 89, 0, "on_plan", None, None, 2, 3, 0, False),
        "18000000-0009": ("active", 100, -5, "watch", 90, 36, 5, 5, 0, True),
        "50020000-0010": ("not_started", None, None, None, 0, None, 0, 0, 0, False),
    }
    for code, want in expected.items():
        r = by_code[code]
        got = (r.state, json_number(r.expected), json_number(r.variance), r.computed_plan_status,
               json_number(r.disbursement_rate), json_number(r.disbursement_gap), r.due, r.filed, r.overdue, r.late)  # fmt: skip
        assert got == want, code


def test_invalid_records_are_counted_and_named_never_a_crash(tmp_path: Path) -> None:
    portfolio.build(tmp_path, with_invalid=True)
    (tmp_path / "records" / "2565" / "01000000-0098.toml").write_bytes(b"\xff\xfe not utf-8")
    config = Config(root=tmp_path.resolve(), records_dir=(tmp_path / "records").resolve())
    skipped = Skipped()
    codes = [r.code for r in rows([], config, portfolio.AS_OF, skipped=skipped)]
    assert len(codes) == 10
    assert len(skipped) == 2
    names = sorted(Path(p).name for p, _ in skipped.files)
    assert names == ["01000000-0098.toml", "01000000-0099.toml"]
    assert all(reason for _, reason in skipped.files)


def test_a_past_as_of_does_not_refuse_reports_filed_later(tmp_path: Path) -> None:
    config = Config(root=tmp_path, records_dir=tmp_path / "records")
    skipped = Skipped()
    found = list(rows([SHIPPED], config, date(2021, 12, 1), checked_on=date(2026, 1, 1), skipped=skipped))
    assert len(found) == 1 and not skipped.files
    assert found[0].latest_no == 2  # only what was known on 2021-12-01
    # Checked as of the same past date, the later reports are from the future: not valid.
    assert list(rows([SHIPPED], config, date(2021, 12, 1), skipped=skipped)) == []
    assert len(skipped) == 1


def test_rows_stream_one_record_at_a_time(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    from projledger.core import check as check_module

    real = check_module.check_file

    def counting(path: Path, *args: object, **kwargs: object) -> object:
        calls.append(path)
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(check_module, "check_file", counting)
    stream = rows([], config, portfolio.AS_OF)
    assert calls == []  # nothing read before asked
    next(stream)
    assert len(calls) == 1  # the first row needs the first file only
    assert len(list(stream)) == 9 and len(calls) == 10


def test_build_row_is_a_pure_function(tmp_path: Path) -> None:
    config = Config(root=tmp_path, records_dir=tmp_path / "records")
    project = Project.from_data(read_document(SHIPPED).data)
    status = compute_status(project, date(2022, 3, 31), config)
    assert build_row(project, status, "a") == build_row(project, status, "a")
    assert hash(build_row(project, status, "a"))  # frozen: a cache may keep it


def test_filters(by_code: dict[str, portfolio_module.ProjectRow]) -> None:
    every = list(by_code.values())

    def codes(f: Filters) -> list[str]:
        return sorted(r.code for r in filtered(every, f))

    assert codes(Filters(agencies=("18",))) == ["18000000-0002", "18000000-0006", "18000000-0009"]
    assert codes(Filters(agencies=("เขตพระนคร",))) == ["50010000-0003", "50010000-0007"]
    assert codes(Filters(fiscal_years=(2566,))) == ["50020000-0010"]
    assert codes(Filters(states=("completed", "cancelled"))) == ["18000000-0006", "50010000-0007"]
    assert codes(Filters(plan_statuses=("behind",))) == ["50010000-0003"]
    assert codes(Filters(plan_statuses=("none",))) == ["01000000-0005", "50020000-0010"]
    assert codes(Filters(agencies=("50",), states=("active",))) == ["50010000-0003", "50020000-0004"]


def test_worst_first(by_code: dict[str, portfolio_module.ProjectRow]) -> None:
    order = [r.code for r in sorted_rows(by_code.values())]
    assert order == [
        "50010000-0003",  # behind
        "18000000-0002", "18000000-0009",  # watch, by code
        "50020000-0004",  # overdue
        # the rest by code; cancelled 50010000-0007 is no longer judged "watch" (issue 16.5)
        "01000000-0001", "01000000-0005", "01000000-0008", "18000000-0006", "50010000-0007", "50020000-0010",
    ]  # fmt: skip
    assert next(r.code for r in sorted_rows(by_code.values(), "overdue")) == "50020000-0004"
    assert next(r.code for r in sorted_rows(by_code.values(), "variance")) == "50010000-0003"


def test_progress_by_month_and_quarters(tmp_path: Path) -> None:
    config = Config(root=tmp_path, records_dir=tmp_path / "records")
    project = Project.from_data(read_document(SHIPPED).data)
    months = progress_by_month(project, date(2022, 3, 31))
    assert next((p.year, p.month) for p in months) == (2021, 10) and len(months) == 6
    # End of October: report 1 (10 %); expected 30 of 486 days = 6.17 %.
    assert months[0].actual == 10 and json_number(months[0].expected) == 6.17
    assert months[1].actual == 8  # the dip of report 2
    quarters = quarter_points(project, date(2022, 3, 31), config)
    assert [(q.quarter, q.rate, q.target) for q in quarters] == [
        (1, D(0), D(32)), (2, D(0), D(54)), (3, None, D(77)), (4, None, D(100)),
    ]  # fmt: skip
    assert progress_by_month(project, date(2021, 9, 1)) == []


def test_json_numbers_and_bars() -> None:
    assert json_number(D("3540000.0")) == 3540000 and isinstance(json_number(D("3540000.0")), int)
    assert json_number(D(173) * 100 / D(486)) == 35.6
    assert json_number(D("0.005")) == 0.01 and json_number(None) is None
    assert progress_bar(D(50)) == "█████░░░░░"
    assert progress_bar(D(55)) == "█████▌░░░░"
    assert progress_bar(D(100)) == "█" * 10 and progress_bar(D(0)) == "░" * 10
    assert progress_bar(D(150)) == "█" * 10
    assert progress_bar(None) == " " * 10


def test_shorten_measures_display_width_and_keeps_marks() -> None:
    name = "โครงการให้การต้อนรับคณะผู้แทนจากต่างประเทศ"
    short = shorten(name, 12)
    assert short.endswith("…") and wcswidth(short) <= 12
    assert name.startswith(short[:-1])
    assert shorten("สั้น", 12) == "สั้น"
    # A tone mark is never cut from its letter: the kept part ends on a whole cluster.
    assert shorten("ที่นี่ที่นี่", 3) == "ที่นี่…"


def test_envelope_is_stable_json(by_code: dict[str, portfolio_module.ProjectRow]) -> None:
    envelope = status_envelope(sorted_rows(by_code.values(), "code"), portfolio.AS_OF)
    text = json.dumps(envelope, ensure_ascii=False)
    back = json.loads(text)
    assert back["version"] == 1 and back["as_of"] == "2022-03-31"
    first = back["projects"][0]
    assert list(first) == list(row_dict(by_code["01000000-0001"]))
    assert first["latest_date"] == "2022-03-31" and first["budget"] == 1000000
    assert first["disbursed_by_quarter"] == [0, 400000, None, None]


def test_thai_table_rows_have_equal_display_width(by_code: dict[str, portfolio_module.ProjectRow]) -> None:
    for width in (None, 120, 80):
        text = portfolio.status_table(sorted_rows(by_code.values()), "th", "table", width)
        widths = {wcswidth(line) for line in text.splitlines()}
        assert len(widths) == 1, (width, widths)


def test_name_shortened_to_fit_the_width(by_code: dict[str, portfolio_module.ProjectRow]) -> None:
    rows_ = sorted_rows(by_code.values())
    wide = portfolio.status_table(rows_, "en", "table", None)
    narrow = portfolio.status_table(rows_, "en", "table", wcswidth(wide.splitlines()[0]) - 10)
    assert wcswidth(narrow.splitlines()[0]) == wcswidth(wide.splitlines()[0]) - 10
    assert "…" in narrow and "…" not in wide


def test_csv_neutralises_text_and_keeps_numbers(tmp_path: Path) -> None:
    text = portfolio.record_text(portfolio.PROJECTS[0]).replace(
        'name = "โครงการพัฒนาระบบสารสนเทศเพื่อการบริหารงานสภา"', 'name = "=HYPERLINK(\\"http://x\\")"'
    )
    path = tmp_path / "records" / "2565" / "01000000-0001.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text, "utf-8")
    config = Config(root=tmp_path.resolve(), records_dir=(tmp_path / "records").resolve())
    csv_text = status_csv(rows([], config, portfolio.AS_OF))
    header, line = csv.DictReader(io.StringIO(csv_text)), csv_text.splitlines()[1]
    (record,) = list(header)
    assert csv_text.startswith("code,name,agency_code,department,fiscal_year")
    assert record["name"] == '\'=HYPERLINK("http://x")'
    assert record["disbursement_gap"] == "-14.00"  # a number the tool wrote is not neutralised
    assert (record["progress"], record["expected"], record["variance"]) == ("90.00", "89.00", "1.00")
    assert record["latest_date"] == "2022-03-31" and record["late"] == "false"
    assert ",-14.00," in line


def test_markdown_escapes_pipes(by_code: dict[str, portfolio_module.ProjectRow]) -> None:
    row = by_code["01000000-0001"]._replace(name="a | b")
    text = portfolio.status_table([row], "en", "markdown")
    assert "a \\| b" in text and text.startswith("| code")


def test_coloured_cells_keep_the_table_aligned(by_code: dict[str, portfolio_module.ProjectRow]) -> None:
    import re

    def red(text: str, kind: str) -> str:
        return f"\x1b[31m{text}\x1b[0m" if kind in ("behind", "watch", "overdue", "late") else text

    text = portfolio.status_table(sorted_rows(by_code.values()), "th", "table", 120, red)
    # computed status: 1 behind, 2 watch (the cancelled one shows its state); 1 overdue; 1 late
    assert text.count("\x1b[31m") == 5
    plain = {wcswidth(re.sub("\x1b\\[[0-9;]*m", "", line)) for line in text.splitlines()}
    assert len(plain) == 1


def test_the_sorts_and_groupings_offered_are_the_ones_computed() -> None:
    """``status --sort`` and ``summary --by`` offer names from labels.py (light to import):
    every one is a sort (with the fields it reads) or a grouping, and no other."""
    from projledger.core import labels, portfolio, summary

    assert tuple(portfolio.SORTS) == tuple(portfolio.SORT_FIELDS) == labels.SORT_NAMES
    assert summary.DIMENSIONS == labels.DIMENSIONS == tuple(summary.KEYS)
