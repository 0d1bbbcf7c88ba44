"""``projledger new``: register a project or a KPI, as a new record in the canonical layout."""

from __future__ import annotations

from typing import Any

import click

from ..core.i18n import N_, _
from ..core.labels import KPI_CATEGORIES, KPI_DIRECTIONS, KPI_LEVELS
from ..core.text import one_line
from .add_report import ask
from .options import (
    DAY,
    FISCAL_YEAR,
    MONEY,
    NUMBER,
    LabelChoice,
    OptionError,
    current_config,
    day_of_check,
    echo_findings,
    shown_path,
    typed_option,
)

#: (key, option, hint for the prompt, type) of the options a new record cannot do without, in prompting order.
REQUIRED = (
    ("name", "--name", "", click.STRING),
    ("fiscal_year", "--fiscal-year", N_("Buddhist Era, such as 2568"), FISCAL_YEAR),
    ("start", "--start", N_("dd/mm/yyyy BE"), DAY),
    ("end", "--end", N_("dd/mm/yyyy BE"), DAY),
    ("budget", "--budget", N_("baht"), MONEY),
    ("department", "--department", "", click.STRING),
)
#: The same for a KPI, with the word its prompt asks with (``labels.word``) after the option.
KPI_REQUIRED = (
    ("name", "--name", "kpi_name", "", click.STRING),
    ("fiscal_year", "--fiscal-year", "fiscal_year", N_("Buddhist Era, such as 2568"), FISCAL_YEAR),
    ("department", "--department", "department", "", click.STRING),
    (
        "unit",
        "--unit",
        "measure_unit",
        N_("as the agency writes it, such as percent or tonnes a day"),
        click.STRING,
    ),
    ("target", "--target", "kpi_target", "", NUMBER),
)
#: Options of one kind only: given for the other kind they are a usage error.
PROJECT_ONLY = ("start", "end", "budget", "division", "owner", "coordinator", "plan_ref")
KPI_ONLY = ("target", "category", "level", "direction", "baseline", "projects", "number")


@click.command(
    "new",
    help=N_(
        "Register a new project or KPI: create its record file.\n"
        "\n"
        "CODE is the project's code (50100000-0001), the record being records/<FY>/<CODE>.toml; or, "
        "with --kind kpi, the KPI's code (5026-2001), the record being records/<FY>/kpi/<CODE>.toml.\n"
        "\n"
        "On a terminal, asks for any required option not given; elsewhere a missing one is a "
        "usage error (exit 2). Refuses a code that does not match its pattern or that already has "
        "a record anywhere in the repository, and a KPI naming a project that has no record. The "
        "file starts with a `#:schema` line pointing at the repository's schema, so editors "
        "(taplo, Even Better TOML) complete and check its fields; what is written is record "
        "format 2 and validates. Text is stored in Unicode NFC. Prints the new file's path.\n"
        "\n"
        "\b\n"
        "Example:\n"
        '  projledger new 50100000-0001 --name "ปรับปรุงทางเท้า" --fiscal-year 2568 \\\n'
        "      --start 01/10/2567 --end 30/09/2568 --budget 1,250,000 --department "
        '"สำนักงานเขตพระนคร"\n'
        '  projledger new --kind kpi 5026-2001 --name "ความสำเร็จของการเบิกจ่ายงบประมาณ" \\\n'
        '      --fiscal-year 2564 --department "สำนักงบประมาณกรุงเทพมหานคร" --unit ร้อยละ --target 100'
    ),
)
@click.argument("code")
@click.option(
    "--kind",
    type=click.Choice(("project", "kpi")),
    default="project",
    show_default=True,
    help=N_(
        "The kind of record: a project (records/<FY>/<CODE>.toml) or a KPI (records/<FY>/kpi/<CODE>.toml)."
    ),
)
@click.option("--name", default=None, help=N_("The project's or KPI's name. Required."))
@click.option(
    "--fiscal-year",
    type=FISCAL_YEAR,
    default=None,
    metavar="YYYY",
    help=N_("The fiscal year, Buddhist Era (2568). Required."),
)
@typed_option(
    "--start",
    kind=DAY,
    help=N_(
        "Project: the start date: dd/mm/yyyy BE (01/10/2567) or ISO (2024-10-01), Thai digits allowed. Required."
    ),
)
@typed_option(
    "--end",
    kind=DAY,
    help=N_(
        "Project: the end date: dd/mm/yyyy BE (30/09/2568) or ISO (2025-09-30), Thai digits allowed. Required."
    ),
)
@typed_option(
    "--budget",
    kind=MONEY,
    help=N_("Project: the allocated budget in baht, at most 2 decimals (3,540,000 or 1250000.50). Required."),
)
@click.option("--department", default=None, help=N_("The responsible department's name. Required."))
@click.option("--division", default=None, help=N_("Project: the division under the department (optional)."))
@click.option(
    "--unit",
    default=None,
    help=N_(
        "Project: the unit under the division (optional). KPI: the unit of measure "
        "(percent, tonnes a day, times a year, as the agency writes it); required."
    ),
)
@click.option("--owner", default=None, help=N_("Project: the responsible person or office (optional)."))
@click.option(
    "--coordinator",
    default=None,
    help=N_("Project: the coordinator at the evaluation department (optional)."),
)
@click.option(
    "--plan-ref",
    default=None,
    help=N_("Project: the line in the agency's annual plan, as written there (optional)."),
)
@typed_option("--target", kind=NUMBER, help=N_("KPI: the target value (100). Required."))
@click.option(
    "--category",
    type=LabelChoice(KPI_CATEGORIES),
    default=None,
    help=N_(
        "KPI: routine or strategic, or the page's Thai words (ตัวชี้วัดงานประจำ, ตัวชี้วัดเชิงยุทธศาสตร์); "
        "default routine."
    ),
)
@click.option(
    "--level",
    type=LabelChoice(KPI_LEVELS),
    default=None,
    help=N_(
        "KPI: output or outcome, or the page's Thai words (ตัวชี้วัดระดับผลผลิต, ตัวชี้วัดระดับผลลัพธ์); default output."
    ),
)
@click.option(
    "--direction",
    type=LabelChoice(KPI_DIRECTIONS),
    default=None,
    help=N_(
        "KPI: higher (more is better, the default) or lower (less is better, such as waste), or "
        "the Thai words (มากกว่าดีกว่า, น้อยกว่าดีกว่า)."
    ),
)
@typed_option("--baseline", kind=NUMBER, help=N_("KPI: the baseline value (optional)."))
@click.option(
    "--project",
    "projects",
    multiple=True,
    metavar="CODE",
    help=N_("KPI: the code of a project that contributes to it; once per project; each must have a record."),
)
@click.option("--number", default=None, help=N_("KPI: its number in the agency's plan (5.1), optional."))
def new(code: str, kind: str, **options: Any) -> None:
    from ..core.errors import ConflictError
    from ..core.repository import find_by_code, misnamed_records, record_path, require_code
    from ..core.store import update
    from ..core.writing import NewKpi, NewProject, Written, new_kpi_record, new_record

    config = current_config()
    is_kpi = kind == "kpi"
    other = PROJECT_ONLY if is_kpi else KPI_ONLY
    given = [name for name in other if options[name] not in (None, ())]
    if given:
        spelled = ", ".join("--" + name.replace("_", "-").removesuffix("s") if name == "projects"
                            else "--" + name.replace("_", "-") for name in given)  # fmt: skip
        message = _("{options}: not an option of a {kind} record")
        raise OptionError(message.format(options=spelled, kind=kind), param_hint="--kind")

    def taken(path: str) -> ConflictError:
        message = (
            _("KPI {code} already has a record: {path}")
            if is_kpi
            else _("project {code} already has a record: {path}")
        )
        return ConflictError(message.format(code=code, path=path), field="code")

    require_code(code, config, kpi=is_kpi)  # a code off its kind's pattern, before asking anything
    existing = find_by_code(code, config) or misnamed_records(config, day_of_check(config, None)).get(code)
    if existing is not None:
        raise taken(shown_path(existing))
    required = KPI_REQUIRED if is_kpi else [(key, opt, key, hint, kind) for key, opt, hint, kind in REQUIRED]
    for key, option, word, hint, kind_of_value in required:
        if options[key] is None or (isinstance(options[key], str) and not options[key].strip()):
            options[key] = ask(option, word, hint, kind_of_value)
    values: NewKpi | NewProject
    path = record_path(config, options["fiscal_year"], code, kpi=is_kpi)
    if is_kpi:
        typed = ("name", "fiscal_year", "department", "unit", "target", "direction", "baseline")
        values = NewKpi(
            code=code,
            **{key: options[key] for key in typed},
            category=options["category"] or "routine",
            level=options["level"] or "output",
            number=options["number"] or "",
            projects=tuple(options["projects"]),
        )
    else:
        extra: dict[str, Any] = {
            key: options[key] or "" for key in ("division", "unit", "owner", "coordinator", "plan_ref")
        }
        values = NewProject(code=code, **{key: options[key] for key, *_ in REQUIRED}, **extra)
    shown = shown_path(path)
    outcome: list[Written] = []

    def change(current: bytes | None) -> bytes:
        if current is not None:
            raise taken(shown)
        make = new_kpi_record if isinstance(values, NewKpi) else new_record
        made = make(values, path, config, day_of_check(config, None), shown)  # type: ignore[arg-type]
        outcome.append(made)
        return made.content

    path.parent.mkdir(parents=True, exist_ok=True)
    update(path, change, config.records_dir)
    echo_findings(outcome[-1].warnings)
    click.echo(one_line(shown))
