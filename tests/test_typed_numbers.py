"""The one rule for the figures a clerk types for a KPI (target, baseline, result) and for a
score (``money.typed_number``): kept as typed, an integer without a point, the exact decimal with
one; and the one way they are printed (``kpi_views.amount``, ``score_text``), by status, show and
the site alike. Money and a report's progress keep format 1's convention."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import tomli_w
from hypothesis import given
from hypothesis import strategies as st

from projledger.core.config import Config
from projledger.core.kpi_views import amount, score_pair, score_text
from projledger.core.layout import render_block, render_record
from projledger.core.money import parse_decimal, quantize_money, typed_number
from projledger.core.writing import (
    EvaluationInput,
    NewKpi,
    ReportInput,
    ResultInput,
    append_evaluation,
    append_result,
    build_report,
    new_kpi_data,
)

from conftest import run

AS_OF = date(2022, 10, 31)


@pytest.mark.parametrize(
    ("typed", "stored", "toml"),
    [
        ("2300", 2300, "2300"),
        ("2,300", 2300, "2300"),
        ("๒๓๐๐", 2300, "2300"),
        ("0", 0, "0"),
        ("2250.0", Decimal("2250.0"), "2250.0"),
        ("94.73", Decimal("94.73"), "94.73"),
        ("45.50", Decimal("45.50"), "45.50"),
        ("2,419.97", Decimal("2419.97"), "2419.97"),
        ("100.0000", Decimal("100.0000"), "100.0000"),
        ("0.5", Decimal("0.5"), "0.5"),
    ],
)
def test_a_figure_is_stored_as_the_clerk_typed_it(typed: str, stored: Decimal | int, toml: str) -> None:
    value = typed_number(parse_decimal(typed))
    assert value == stored and type(value) is type(stored)
    assert tomli_w.dumps({"value": value}) == f"value = {toml}\n"


def test_no_figure_is_written_with_an_exponent() -> None:
    assert typed_number(Decimal("1E+3")) == 1000 and isinstance(typed_number(Decimal("1E+3")), int)
    assert "E" not in tomli_w.dumps({"v": typed_number(Decimal("0.00001"))})


def test_new_kpi_target_and_baseline_follow_the_rule() -> None:
    values = NewKpi(
        "5010-2002", "x", 2565, "d", "ตันต่อวัน", parse_decimal("2300"), baseline=parse_decimal("2419.970")
    )
    data = new_kpi_data(values)
    assert (data["target"], type(data["target"])) == (2300, int)
    assert str(data["baseline"]) == "2419.970"


@pytest.mark.parametrize(
    ("value", "score", "full", "block"),
    [
        (
            "2250",
            "80",
            None,
            "value = 2250\ndate = 2022-01-12\n",
        ),
        ("2250.0", "80.0", "100", "value = 2250.0\ndate = 2022-01-12\n"),
        ("94.73", "45.5", "50", "value = 94.73\ndate = 2022-01-12\n"),
    ],
)
def test_append_result_and_append_evaluation_follow_the_rule(
    value: str, score: str, full: str | None, block: str
) -> None:
    root = Path("/repo")
    config, path = (
        Config(root=root, records_dir=root / "records"),
        root / "records" / "2565" / "kpi" / "5010-2002.toml",
    )
    data = new_kpi_data(NewKpi("5010-2002", "x", 2565, "d", "ตันต่อวัน", Decimal(2300)))
    raw = render_record(data, "#:schema ../../../schemas/kpi.schema.json").encode("utf-8")
    day = date(2022, 1, 12)
    written = append_result(raw, path, ResultInput(1, parse_decimal(value), day), config, AS_OF, "k.toml")
    assert written.block == f"[[results]]\nquarter = 1\n{block}"
    of = None if full is None else parse_decimal(full)
    evaluated = append_evaluation(
        written.content,
        path,
        EvaluationInput(1, parse_decimal(score), date(2022, 1, 21), of),
        config,
        AS_OF,
        "k.toml",
    )
    full_line = "" if full is None else f"full_score = {full}\n"
    assert evaluated.block == f"[[evaluations]]\nquarter = 1\nscore = {score}\n{full_line}date = 2022-01-21\n"


def test_money_and_progress_keep_format_1s_convention() -> None:
    report = build_report(
        ReportInput(date=date(2022, 7, 25), progress=Decimal("30"), disbursed=Decimal("200000"), note="x"), []
    )
    assert (str(report["progress"]), str(report["disbursed"])) == ("30.0", "200000.00")
    assert str(quantize_money(parse_decimal("800,000"))) == "800000.00"  # revise-budget's budget


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (2300, "2,300"),
        (Decimal("2300"), "2,300"),
        (Decimal("2250.50"), "2,250.50"),
        (Decimal("2419.97"), "2,419.97"),
        (Decimal("45.00"), "45.00"),
        (Decimal("1234567.8"), "1,234,567.8"),
        (None, ""),
    ],
)
def test_a_kpi_figure_is_printed_grouped_with_its_own_decimals(
    value: Decimal | int | None, shown: str
) -> None:
    assert amount(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [(Decimal("100.0000"), "100"), (Decimal("95.5000"), "95.5"), (80, "80"), (Decimal("80.0"), "80"),
     (Decimal("1000"), "1,000")],
)  # fmt: skip
def test_a_score_is_printed_without_trailing_zeros(value: Decimal | int, shown: str) -> None:
    assert score_text(value) == shown


def test_a_score_pair() -> None:
    assert score_pair(Decimal("45.0"), 50) == "45 / 50"
    assert score_pair(None, 100) == "-"


#: Decimals whose ``str()`` has an exponent (tomli-w writes ``str()``), and plain ones.
EXPONENT_PRONE = (
    "0.0000001",
    "1E-7",
    "1E+3",
    "0E-10",
    "1.5E+20",
    "0.00",
    "2419.97",
    "-0",
    "1234567890.123456",
)


def _number_text(text: str, key: str) -> str:
    return next(line.split(" = ", 1)[1] for line in text.splitlines() if line.startswith(f"{key} = "))


@pytest.mark.parametrize("typed", EXPONENT_PRONE)
def test_the_layout_writes_every_decimal_without_an_exponent(typed: str) -> None:
    """The one writer of records' numbers (``layout``): a value, a list's and a block's."""
    value = Decimal(typed)
    text = render_record({"format": 2, "kind": "kpi", "target": value, "plan": [value, 1]}, "#:schema x")
    block = render_block("results", {"quarter": 1, "value": value})
    for written in (_number_text(text, "target"), _number_text(block, "value"), _number_text(text, "plan")):
        assert "e" not in written.lower(), written
    assert tomllib.loads(text, parse_float=Decimal)["target"] == value
    assert tomllib.loads(block, parse_float=Decimal)["results"][0]["value"] == value


@given(st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**30), max_value=10**30))
def test_any_decimal_is_written_positionally_and_read_back_equal(value: Decimal) -> None:
    written = _number_text(render_block("results", {"value": value}), "value")
    assert "e" not in written.lower() and Decimal(written) == value


def test_every_writer_stores_a_tiny_or_round_figure_without_an_exponent(empty_repo: Path) -> None:
    (empty_repo / "records" / "2565").mkdir()
    kpi = ["5026-2001", "--name", "x", "--fiscal-year", "2565", "--department", "d", "--unit", "u"]
    assert (
        run("new", "--kind", "kpi", *kpi, "--target", "0.0000001", "--baseline", "0.00000010").exit_code == 0
    )
    assert (
        run(
            "add-result", "5026-2001", "--quarter", "1", "--value", "0.0000001", "--date", "2022-01-20"
        ).exit_code
        == 0
    )
    added = run(
        "add-evaluation", "5026-2001", "--quarter", "1", "--score", "0.0000001", "--date", "2022-01-21"
    )
    assert added.exit_code == 0, added.stderr
    project = ["50100000-0001", "--name", "x", "--fiscal-year", "2565", "--start", "2021-10-01",
               "--end", "2022-09-30", "--budget", "1000", "--department", "d"]  # fmt: skip
    assert run("new", *project).exit_code == 0
    report = run("add-report", "50100000-0001", "--date", "2021-10-25", "--progress", "0.000000000001",
                 "--disbursed", "0", "--note", "x")  # fmt: skip
    assert report.exit_code == 0, report.stderr
    kpi_text = (empty_repo / "records" / "2565" / "kpi" / "5026-2001.toml").read_text("utf-8")
    project_text = (empty_repo / "records" / "2565" / "50100000-0001.toml").read_text("utf-8")
    for text, key, value in [(kpi_text, "target", "0.0000001"), (kpi_text, "baseline", "0.00000010"),
                             (kpi_text, "value", "0.0000001"), (kpi_text, "score", "0.0000001"),
                             (project_text, "progress", "0.000000000001")]:  # fmt: skip
        assert _number_text(text, key) == value, (key, text)
    # fmt lays out a hand-written exponent positionally, the value unchanged
    path = empty_repo / "records" / "2565" / "kpi" / "5026-2001.toml"
    path.write_text(kpi_text.replace("target = 0.0000001", "target = 1.5e3"), "utf-8")
    assert run("fmt", str(path)).exit_code == 0
    assert _number_text(path.read_text("utf-8"), "target") == "1500.0"
