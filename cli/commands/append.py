"""``add-result``, ``add-evaluation`` and ``revise-budget``: append one block to a format-2 record.

Each goes through the one checked, locked, atomic, append-only writer ``add-report`` uses
(``writing.append_block`` under ``store.update``): the whole record with the new block is
checked first (an error refuses the write naming file, line and field; nothing is written),
every earlier byte stays as it was, and the command prints the block it added, which is
exactly what ``git diff`` shows.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import click

from ..core.i18n import N_
from .add_report import append_to, ask
from .options import DAY, MONEY, NUMBER, QUARTER, typed_option


@click.command(
    "add-result",
    help=N_(
        "Append a KPI's result of a fiscal quarter.\n"
        "\n"
        "The result is cumulative: the value at the end of the quarter ([[results]]).\n"
        "\n"
        "CODE_OR_PATH is the KPI's code (5026-2001) or its record file. The record is checked "
        "with the new result first (quarters in order, dates within the year...); an error refuses "
        "the write (exit 1, nothing written). Prints the block added.\n"
        "\n"
        "\b\n"
        "Example:\n"
        '  projledger add-result 5026-2001 --quarter 1 --value 45.5 --date 28/01/2564 --note "เบิกจ่ายแล้ว"'
    ),
)
@click.argument("code_or_path")
@typed_option("--quarter", kind=QUARTER,
              help=N_("The fiscal quarter, 1 to 4 (1 = October to December). Required."))  # fmt: skip
@typed_option("--value", kind=NUMBER,
              help=N_("The cumulative result at the end of the quarter, in the KPI's unit (94.73). Required."))  # fmt: skip
@typed_option("--date", "day", kind=DAY,
              help=N_("The day of the report: dd/mm/yyyy BE (20/01/2564) or ISO (2021-01-20), Thai digits "
                      "allowed; default today."))  # fmt: skip
@click.option("--note", default="", help=N_("The quarter's progress note, optional."))
def add_result(
    code_or_path: str, quarter: int | None, value: Decimal | None, day: date | None, note: str
) -> None:
    from ..core.writing import ResultInput, append_result

    quarter = quarter if quarter is not None else ask("--quarter", "quarter", N_("1 to 4"), QUARTER)
    value = value if value is not None else ask("--value", "value", "", NUMBER)
    append_to(
        code_or_path,
        append_result,
        lambda today: ResultInput(quarter=quarter, value=value, date=day or today, note=note),
    )


@click.command(
    "add-evaluation",
    help=N_(
        "Append a quarter's evaluation score to a record.\n"
        "\n"
        "The record is a format-2 project's or a KPI's.\n"
        "\n"
        "CODE_OR_PATH is the code of a format-2 project or of a KPI, or its record file; a format-1 "
        "project is refused (run projledger migrate first). The record is checked with the new "
        "evaluation first (a score above its full score, quarters out of order...); an error refuses "
        "the write (exit 1, nothing written). Prints the block added.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger add-evaluation 01000000-2475 --quarter 1 --score 100 --date 20/01/2566\n"
        "  projledger add-evaluation 5026-2001 --quarter 2 --score 45 --of 50"
    ),
)
@click.argument("code_or_path")
@typed_option("--quarter", kind=QUARTER,
              help=N_("The fiscal quarter evaluated, 1 to 4 (1 = October to December). Required."))  # fmt: skip
@typed_option("--score", kind=NUMBER, help=N_("The score given (100 or 87.5). Required."))
@typed_option("--of", "full_score", kind=NUMBER, help=N_("The full score; default 100."))
@typed_option("--date", "day", kind=DAY,
              help=N_("The day of the evaluation: dd/mm/yyyy BE (20/01/2564) or ISO (2021-01-20), Thai "
                      "digits allowed; default today."))  # fmt: skip
@click.option(
    "--evaluator",
    default=None,
    help=N_("Who evaluated; default the Strategy and Evaluation Department (left out)."),
)
@click.option("--note", default="", help=N_("What the evaluator noted, optional."))
def add_evaluation(
    code_or_path: str,
    quarter: int | None,
    score: Decimal | None,
    full_score: Decimal | None,
    day: date | None,
    evaluator: str | None,
    note: str,
) -> None:
    from ..core.writing import EvaluationInput, append_evaluation

    quarter = quarter if quarter is not None else ask("--quarter", "quarter", N_("1 to 4"), QUARTER)
    score = score if score is not None else ask("--score", "score", "", NUMBER)
    append_to(
        code_or_path,
        append_evaluation,
        lambda today: EvaluationInput(quarter, score, day or today, full_score, evaluator, note),
    )


@click.command(
    "revise-budget",
    help=N_(
        "Record a project's revised budget.\n"
        "\n"
        "A budget revision (the budget after transfers) of a format-2 project.\n"
        "\n"
        "CODE_OR_PATH is the project's code or its record file. From the date on, rates and targets "
        "use the new budget. The record is checked with the revision first (a budget below what was "
        "already disbursed, revisions out of date order...); an error refuses the write (exit 1, "
        "nothing written). Prints the block added.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger revise-budget 01000000-2475 --budget 3,200,000 --date 15/03/2565 \\\n"
        '      --note "โอนงบประมาณ ครั้งที่ 1/2565"'
    ),
)
@click.argument("code_or_path")
@typed_option("--budget", kind=MONEY,
              help=N_("The budget in force from the date on, in baht, at most 2 decimals (3,200,000). Required."))  # fmt: skip
@typed_option("--date", "day", kind=DAY,
              help=N_("The day the revision takes effect: dd/mm/yyyy BE (15/03/2565) or ISO (2022-03-15), "
                      "Thai digits allowed. Required."))  # fmt: skip
@click.option("--note", default=None,
              help=N_("The revision's reference or reason (the transfer's number). Required."))  # fmt: skip
def revise_budget(code_or_path: str, budget: Decimal | None, day: date | None, note: str | None) -> None:
    from ..core.writing import RevisionInput, append_revision

    budget = budget if budget is not None else ask("--budget", "budget_in_force", N_("baht"), MONEY)
    day = day if day is not None else ask("--date", "date", N_("dd/mm/yyyy BE"), DAY)
    if note is None or not note.strip():
        note = ask("--note", "reference", "", click.STRING)
    values = RevisionInput(date=day, budget=budget, reference=note)
    append_to(code_or_path, append_revision, lambda today: values)
