"""``projledger status``: where each project stands, worst first; one project in detail."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import click

from ..core.i18n import N_, _
from ..core.labels import SORT_NAMES, Lang
from ..core.reporters import STATUS_FORMATS, STATUS_TABLES
from .options import current_config, format_option, reading_config, shown_path, today
from .reading import (
    echo_memo,
    emit,
    in_chunks,
    make_filters,
    no_paint,
    output_memo,
    paint,
    portfolio_options,
    portfolio_rows,
    report_skipped,
    table_width,
    terminal_width,
    use_colour,
    wide_option,
)
from .sheets import check_spreadsheet_options, spreadsheet_options, wrote_spreadsheet


def record_paths(targets: tuple[str, ...]) -> tuple[list[Path], bool]:
    """Codes looked up, paths kept; True when they name exactly one record file."""
    from ..core.errors import NotFoundError
    from ..core.repository import is_record_code, resolve_record

    config = current_config()
    paths: list[Path] = []
    for target in targets:
        if is_record_code(target, config):
            paths.append(resolve_record(target, config))
            continue
        path = Path(target)
        if not path.exists():
            raise NotFoundError(_("no record file or folder at {target}").format(target=target))
        paths.append(path)
    return paths, len(paths) == 1 and paths[0].is_file()


@click.command(
    help=N_(
        "Show where each project stands, the ones behind first.\n"
        "\n"
        "Progress against the plan, money and overdue reports, per project; per KPI, its target, "
        "latest result, % of target, met or not and latest evaluation (--kind picks one kind).\n"
        "\n"
        "With no CODE or PATH, every record of the repository; otherwise the projects named by "
        "code, the record files and the folders given. One project named alone (by code or file) "
        "is shown in detail: its reports, and charts of progress against plan month by month and "
        "of disbursement against the quarterly targets. Records that are not valid are skipped "
        "and counted on stderr. Machine formats (csv, json) carry raw values and English keys; "
        "--format xlsx --output FILE writes a spreadsheet, --excel marks CSV for Excel. --since "
        "REV (a reviewer before a merge) lists the projects whose records changed since that git "
        "revision, then what changed in each: new reports, progress and status before and after.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger status --as-of 31/03/2565\n"
        "  projledger status 01000000-2475\n"
        "  projledger status --agency 01 --plan-status behind --format json\n"
        "  projledger status --since origin/main\n"
        "  projledger status --kind kpi --format json\n"
        "  projledger status --format xlsx --output status.xlsx"
    ),
)
@click.argument("targets", nargs=-1, metavar="[CODE|PATH]...")
@portfolio_options
@click.option("--sort", type=click.Choice(SORT_NAMES), default="worst", show_default=True,
              help=N_("Order of the rows: worst puts behind, then watch, then overdue first; the others sort by "
                   "that column."))  # fmt: skip
@format_option(*STATUS_FORMATS, default="table")
@wide_option
@spreadsheet_options
@click.option("--kind", "record_kind", type=click.Choice(("project", "kpi")), default=None,
              help=N_("Only projects or only KPIs; default both, each in its own table (json: projects as "
                   "before and a kpis list; csv and xlsx: projects unless --kind kpi)."))  # fmt: skip
@click.option("--since", metavar="REV",
              help=N_("Only the projects whose records changed since this git revision (a branch, tag or "
                   "commit), with what changed."))  # fmt: skip
def status(
    targets: tuple[str, ...], fiscal_years: tuple[int, ...], agencies: tuple[str, ...], states: tuple[str, ...],
    plan_statuses: tuple[str, ...], lang: Lang | None, as_of: date | None, sort: str, output_format: str,
    wide: bool = False, output: Path | None = None, excel: bool = False, since: str | None = None,
    record_kind: str | None = None,
) -> None:  # fmt: skip
    check_spreadsheet_options(output_format, output, excel)
    # --since: git names the records
    config = reading_config(bool(targets) or since is not None, [Path(t) for t in targets])
    day = as_of or today(config)
    language: Lang = lang or config.language
    changes = None
    if since is not None:
        if targets:
            raise click.UsageError(
                _("--since finds the changed records itself: give no CODE or PATH with it")
            )
        from ..core.gitreview import changes_since, repository_root

        root = repository_root(config.root)
        changes = changes_since(since, config.records_dir, root)
        # the record files still there to show (a deleted one is only a change)
        paths, single = [root / change.path for change in changes if change.kind != "deleted"], False
    else:
        paths, single = record_paths(targets)
    if (
        single
        and output_format == "table"
        and record_kind != "kpi"
        and show_detail(paths[0], config, day, language)
    ):
        return
    # what the filters ask, for the stored output's key: the filters themselves come with the rows
    asked = (fiscal_years, agencies, states, plan_statuses)
    colour = use_colour()
    width = table_width(wide) if output_format == "table" else None
    memo = None
    # a KPI's agency, which --agency selects by and its line shows, is taught by every project,
    # not only those listed (a code or a folder may list a KPI)
    learn = record_kind != "project" and any(p.is_dir() or p.parent.name == "kpi" for p in paths)
    if changes is None and output_format != "xlsx" and not excel and not learn:
        # An unchanged repository: the last run's output, as it was (core/index.py).
        memo = output_memo(
            "status",
            paths,
            config,
            day,
            asked,
            sort,
            output_format,
            language,
            width,
            wide,
            colour,
            record_kind,
        )
        if echo_memo(memo):
            return
    from ..core.portfolio import SORT_FIELDS, SORTS, Presenter, departments, filtered, sorted_rows
    from ..core.tables import (
        StatusLine,
        status_csv,
        status_line_columns,
        status_line_from_columns,
        status_line_kept,
    )

    # each KPI shown with its agency, learned from every project line (two more fields a line):
    # where KPIs lie (records/<FY>/kpi/), or are listed
    shown_kpis = record_kind != "project" and (learn or any(config.records_dir.glob("*/kpi/*.toml")))
    filters = make_filters(*asked, kpis=shown_kpis)
    filters.departments.update(departments(config, day, checked_on=today(config)) if learn else {})

    table = output_format in STATUS_TABLES
    present = None
    made = None
    later: int | None = None
    if table:  # each project's line is made once and kept in the index: not the row
        from .statustable import Made

        painter = paint if colour else no_paint
        variant = f"status-{language}-{output_format}-{'colour' if colour else 'plain'}"
        make = made = Made(partial(status_line_kept, lang=language, fmt=output_format, paint=painter))
        fields = {*SORT_FIELDS[sort], *filters.fields(), "cells", "widths"}
        wanted = frozenset(i for i, name in enumerate(StatusLine._fields) if name in fields)
        # a loaded line's cells are read back from the index as they are shown, while it is open
        later = StatusLine._fields.index("cells") if memo is not None else None
        present = Presenter(
            variant, make, StatusLine._make, status_line_columns, status_line_from_columns, 15, wanted, later
        )
    kpis: list[Any] | None = None if record_kind == "project" else []
    source, skipped = portfolio_rows(paths, config, day, memo, present, kpis)
    if changes is not None and not paths:
        source = iter(())  # nothing changed: no paths must not mean every record
    if table:
        from .statustable import full_table

        # Only each line's sort key, widths and cells are held, a cold run's cells set aside.
        shown = [0]

        def counted(lines: Iterable[Any]) -> Iterator[Any]:
            for line in lines:
                shown[0] += 1
                yield line

        lines = full_table(
            counted(filtered(source, filters)),
            SORTS[sort],
            language,
            output_format,
            width,
            wide,
            made,
            None if later is None or memo is None else partial(memo.index.column_of, later),
        )
        chunks: Iterable[str] = [] if record_kind == "kpi" else in_chunks(lines)
        if kpis is not None:  # every row is read by now (full_table holds their lines)
            only = record_kind == "kpi" or (not shown[0] and any(filters.kpi(row) for row in kpis))
            chunks = itertools.chain(
                [] if only else chunks,
                kpi_table(kpis, filters, sort, language, output_format, width, wide, colour, not only),
            )
        if changes is not None:
            from ..core.gitreview import changes_text

            markdown = output_format == "markdown"
            chunks = itertools.chain(
                chunks, ["\n" + changes_text(changes, since or "", language, markdown=markdown)]
            )
        emit(chunks, skipped.files, memo)
        return
    chosen = sorted_rows(filtered(source, filters), sort)
    if kpis is not None:
        from ..core.kpi_views import sorted_kpis

        kpis = sorted_kpis(filters.chosen_kpis(kpis), sort)

    def sheet() -> tuple[Any, Any]:
        from ..core.xlsx import kpi_sheet, status_sheet

        return kpi_sheet(kpis or [], language) if record_kind == "kpi" else status_sheet(chosen, language)

    def csv_text() -> str:
        from ..core.tables import kpi_csv

        return kpi_csv(kpis or []) if record_kind == "kpi" else status_csv(chosen)

    if wrote_spreadsheet(output_format, output, excel, language, "status", sheet, csv_text):
        report_skipped(skipped.files)  # no memo: none is opened for a file to write
        return
    from ..core.reporters import STATUS_RENDERERS

    extra: dict[str, Any] = {}
    if changes is not None:
        from ..core.gitreview import change_dict

        extra = {"since": since, "changes": [change_dict(c) for c in changes]}
    if record_kind == "kpi":
        from ..core.tables import kpi_envelope
        from ..core.text import json_text

        out = json_text({**kpi_envelope(kpis or [], day), **extra}) if output_format == "json" else csv_text()
        emit([out], skipped.files, memo)
        return
    if kpis is not None and output_format == "json":
        from ..core.tables import kpi_row_dict

        extra = {**extra, "kpis": [kpi_row_dict(row) for row in kpis]}
    emit([STATUS_RENDERERS[output_format](chosen, day, extra)], skipped.files, memo)


def kpi_table(
    kpis: list[Any], filters: Any, sort: str, language: Lang, output_format: str, width: int | None, wide: bool,
    colour: bool, titled: bool,
) -> Iterator[str]:  # fmt: skip
    """The KPI table of ``status`` (``titled``: after the project table, under its title;
    nothing when no KPI is among the rows asked for)."""
    if not kpis:  # a portfolio of projects alone: nothing of the KPIs' views to import
        return
    from ..core.kpi_views import kpi_table_lines, sorted_kpis
    from ..core.labels import word

    chosen = sorted_kpis(filters.chosen_kpis(kpis), sort)
    if not chosen:
        return
    if titled:
        yield f"\n{word('kpis_title', language)}\n\n"
    lines = kpi_table_lines(chosen, language, output_format, width, wide, paint if colour else no_paint)
    yield "\n".join(lines) + "\n"


def show_detail(path: Path, config: Any, day: date, language: Lang) -> bool:
    """One project in detail; False for a KPI (shown as a table of one)."""
    from ..core.check import check_file
    from ..core.kpi import Kpi
    from ..core.portfolio import build_row, progress_by_month, quarter_points
    from ..core.repository import named_to_read
    from ..core.status import compute_status
    from ..core.tables import detail_view

    shown = shown_path(path)
    checked = check_file(named_to_read(path, config), config, today(config), shown)
    if isinstance(checked.record, Kpi):
        return False
    project = checked.require_project(_("not a valid record: run projledger validate"))
    row = build_row(project, compute_status(project, day, config), shown)
    text = detail_view(
        project, row, progress_by_month(project, day), quarter_points(project, day, config), language,
        config.tolerance, terminal_width(), paint if use_colour() else no_paint,
    )  # fmt: skip
    click.echo(text, nl=False)
    return True
