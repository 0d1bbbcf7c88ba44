"""``projledger import``: legacy printouts of the form into format-1 records, and KPI pages of
the old system into KPI records (``records/<FY>/kpi/<code>.toml``)."""

from __future__ import annotations

import dataclasses
import functools
import os
import stat
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from ..core.config import Config
    from ..core.legacy import Imported, Merged

from ..core.calendar import DateInputError, parse_date
from ..core.errors import ConflictError, InputError, ProjledgerError, RecordError
from ..core.i18n import N_, _, os_problem
from ..core.labels import KPI_DIRECTIONS
from ..core.text import one_line
from .options import FISCAL_YEAR, PathArgument, current_config, echo_findings, say, shown_path, today


def _evaluation_dates(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> dict[int, date]:
    """``--evaluation-date 1=20/01/2564``, once per quarter: quarter -> day."""
    from .options import OptionError

    days: dict[int, date] = {}
    for value in values:
        quarter, sep, day = value.partition("=")
        if not sep or quarter.strip() not in ("1", "2", "3", "4"):
            raise OptionError(
                _("'{value}' is not QUARTER=DATE (such as 1=20/01/2564)").format(value=value), ctx=ctx, param=param
            )  # fmt: skip
        try:
            days[int(quarter)] = parse_date(day)
        except DateInputError as error:
            raise OptionError(str(error), ctx=ctx, param=param) from None
    return days


@click.command(
    "import",
    help=N_(
        "Turn printouts of the old system's form into records.\n"
        "\n"
        "FILE is the text of a printout (the old system's PDF form, saved as text), or of a KPI "
        "page of the old system (its page of an indicator, saved as text).\n"
        "\n"
        "Each FILE becomes <records>/<fiscal year>/<code>.toml. Values the printout does not "
        "hold legibly are left out and reported as warnings with their line; a printout without "
        "a required field (code, name, fiscal year, dates, budget, agency) is not written, and "
        "the run exits 1 naming what is missing. A printout that shows a report it does not hold "
        "in full is refused naming each such report, unless --partial. What is written passes "
        "validate; an existing record is kept unless --force, and even then: a record that "
        "cannot be read is never replaced; what the form cannot show (plan, agency phone, budget "
        "unit) is kept from it; and none of its reports is lost (refused unless --partial, which "
        "keeps them). Files over 1 MiB are refused.\n"
        "\n"
        "A KPI page becomes <records>/<fiscal year>/kpi/<code>.toml. What the page does not print "
        "is given as an option, never guessed: --fiscal-year, --department, --direction (for a KPI "
        "with a baseline) and --evaluation-date for each quarter it shows scored; the run names the "
        "options missing. A date that reads two ways (1/2/2021) is refused with its line.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger import printout.txt\n"
        "  projledger import old/*.txt --records records\n"
        "  projledger import printout.txt --stdout > 01000000-2475.toml\n"
        "  projledger import printout.txt --force --partial\n"
        "  projledger import kpi.txt --fiscal-year 2564 --evaluation-date 1=20/01/2564"
    ),
)
@click.argument(
    "files", nargs=-1, required=True, type=PathArgument(path_type=Path, dir_okay=False), metavar="FILE..."
)
@click.option(
    "--records", "records_dir", type=PathArgument(path_type=Path, file_okay=False), default=None,
    metavar="FOLDER", help=N_("The records folder to write into; default the repository's records folder."),
)  # fmt: skip
@click.option(
    "--stdout", "to_stdout", is_flag=True, help=N_("Print the records' TOML instead of writing the files.")
)
@click.option(
    "--force", is_flag=True,
    help=N_("Replace a record that already exists (what the printout cannot show is kept from it)."),
)  # fmt: skip
@click.option(
    "--partial", is_flag=True,
    help=N_("Import even when some reports the printout shows cannot be read in full (they are left "
    "out and named); with --force, reports of the record the printout lacks are kept from it."),
)  # fmt: skip
@click.option(
    "--fiscal-year", type=FISCAL_YEAR, default=None,
    help=N_("KPI pages: the fiscal year, Buddhist Era (2564), when the page does not print it."),
)  # fmt: skip
@click.option(
    "--department", default=None, help=N_("KPI pages: the department's name when the page does not print it.")
)
@click.option(
    "--direction", type=click.Choice(KPI_DIRECTIONS), default=None,
    help=N_("KPI pages: higher or lower is better; required for a KPI with a baseline."),
)  # fmt: skip
@click.option(
    "--evaluation-date", "evaluation_dates", multiple=True, callback=_evaluation_dates,
    metavar="QUARTER=DATE",
    help=N_("KPI pages: the day of the evaluation of a quarter (1=20/01/2564, BE dd/mm/yyyy or "
    "yyyy-mm-dd); once per quarter the page shows scored."),
)  # fmt: skip
def import_command(
    files: tuple[Path, ...],
    records_dir: Path | None,
    to_stdout: bool,
    force: bool,
    partial: bool,
    fiscal_year: int | None,
    department: str | None,
    direction: str | None,
    evaluation_dates: dict[int, date],
) -> None:
    from ..core.kpi_page import KpiOptions, is_kpi_page
    from ..core.legacy import MAX_INPUT_BYTES, MissingFieldsError, decode_printout, parse_printout
    from ..core.repository import ensure_inside, find_by_code, misnamed_records, record_path

    config = current_config()
    if records_dir is not None:
        _require_folder(records_dir)
        if not to_stdout:  # the same rule as projledger.toml's `records`
            from ..core.outputs import ensure_outside_git

            ensure_inside(records_dir, config, field="--records")
            ensure_outside_git(records_dir, (config.root, Path.cwd()), field="--records")
        config = dataclasses.replace(config, records_dir=records_dir.resolve())
    day = today(config)
    failed = False
    misnamed = functools.cache(lambda: misnamed_records(config, day))  # one walk a run, when asked

    def home(code: str, fiscal_year: int, kpi: bool = False) -> Path:
        """The file that holds ``code``'s record wherever it lies (another fiscal year's folder, a
        file of another name: a code has one record), else (and for --stdout) its own path."""
        found = None if to_stdout else find_by_code(code, config) or misnamed().get(code)
        return found or record_path(config, fiscal_year, code, kpi=kpi)

    kpi_options = KpiOptions(fiscal_year, department, direction, evaluation_dates)
    for file in files:
        shown = one_line(shown_path(file))  # a name may hold ESC or a newline: it is shown
        try:
            raw = _read_bounded(file, MAX_INPUT_BYTES, shown)
            text = decode_printout(raw, shown)
            if is_kpi_page(text):
                import_kpi(text, shown, kpi_options, config, home, to_stdout=to_stdout, force=force)
                continue
            _refuse_kpi_options(kpi_options, shown)
            try:
                imported = parse_printout(text, shown)
            except MissingFieldsError as error:
                echo_findings(error.warnings)
                raise
            echo_findings(imported.warnings)
            if not partial:
                imported.require_complete(shown)
            data = imported.data
            path = home(data["code"], data["fiscal_year"])
            if to_stdout:
                click.echo(checked_record(data, path, config, day, shown), nl=False)
                _say_left_out(shown, imported)
                continue
            written = write_record(path, data, config, day, shown, force=force, keep_reports=partial)
            record_shown = one_line(shown_path(path))
            if written.kept_fields:
                text = _("{path}: kept from the record what the printout cannot show: {fields}")
                click.echo(text.format(path=record_shown, fields=", ".join(written.kept_fields)), err=True)
            if written.kept_reports:
                text = _("{path}: kept report(s) {numbers} from the record: the printout lacks them")
                numbers = ", ".join(map(str, written.kept_reports))
                click.echo(text.format(path=record_shown, numbers=numbers), err=True)
            count = len(written.data.get("reports", []))
            text = _("{source}: wrote {path} ({count} reports)")
            click.echo(text.format(source=shown, path=record_shown, count=count), err=True)
            _say_left_out(shown, imported)
        except (ProjledgerError, OSError) as error:
            failed = True
            say(str(error) if not isinstance(error, OSError) else f"{shown}: {os_problem(error)}")
    if failed:
        raise SystemExit(1)


def _say_left_out(shown: str, imported: Imported) -> None:
    """With --partial: one line naming the reports the printout shows but that were left out."""
    if imported.left_out:
        text = _("{source}: left out {count} of the {shown} reports the printout shows (--partial): {which}")
        count, which = len(imported.left_out), imported.left_out_text()
        click.echo(
            text.format(source=shown, count=count, shown=imported.shown_reports, which=which), err=True
        )


def _read_bounded(file: Path, limit: int, shown: str) -> bytes:
    """At most ``limit`` bytes of a regular file (a device such as /dev/zero never ends)."""
    if not stat.S_ISREG(file.stat().st_mode):
        raise InputError(_("is not a regular file"), path=shown)
    with open(file, "rb") as handle:
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        raise InputError(_("the file is over the 1 MiB limit for a printout"), path=shown)
    return raw


def _require_folder(records_dir: Path) -> None:
    """``--records`` names a folder, or nothing yet (made on the way): never a FIFO, a device or
    a socket, which click's check for a file lets through."""
    from ..core.outputs import kind_of

    try:
        mode = os.stat(records_dir).st_mode
    except OSError:
        return  # nothing there yet, or a loop: ensure_inside names it
    if not stat.S_ISDIR(mode):
        raise ConflictError(
            _("is {kind}, not a folder").format(kind=kind_of(mode)), path=records_dir, field="--records"
        )


def checked_record(data: dict[str, Any], path: Path, config: Config, day: date, shown: str) -> str:
    """The record's TOML, its findings printed; ``InputError`` when it would not pass validate."""
    from ..core.check import check_data
    from ..core.layout import render_record, schema_line
    from ..core.record import parse

    text = render_record(data, schema_line(path, config.root))
    result = check_data(parse(text, path), text, path, config, day, shown_path(path))
    echo_findings(result.findings)
    if not result.ok:
        raise InputError(_("the imported record would not pass validate; nothing was written"), path=shown)
    return text


def write_record(
    path: Path,
    data: dict[str, Any],
    config: Config,
    day: date,
    shown: str,
    *,
    force: bool,
    keep_reports: bool,
) -> Merged:
    """Create (or with ``force`` replace) a record atomically, under the record's lock.

    A record is replaced only when it reads as a valid record (else nothing is written, and
    the message names its file and line); what the form cannot show is kept from it, and
    none of its reports is lost: one the printout lacks refuses the write, or with
    ``keep_reports`` is kept. All decided on the bytes read under the lock. Returns what was
    written (a new record: the printout's data, nothing kept).
    """
    from ..core.check import check_document
    from ..core.legacy import Merged, merge_into_record
    from ..core.record import Document, decode, parse
    from ..core.store import update

    outcome: list[Merged] = []
    record_shown = shown_path(path)

    def change(current: bytes | None) -> bytes:
        outcome.append(Merged(data, (), ()) if current is None else replaced(current))
        return checked_record(outcome[-1].data, path, config, day, shown).encode("utf-8")

    def replaced(current: bytes) -> Merged:
        if not force:
            message = _("{path} already exists; nothing was written (use --force to replace it)")
            raise ConflictError(message.format(path=record_shown), path=shown)
        advice = _(
            "import does not replace a record it cannot read; fix it or remove it first; nothing was written"
        )
        try:
            old_text = decode(current, record_shown)
            document = Document(path=path, text=old_text, data=parse(old_text, record_shown))
        except RecordError as error:
            raise RecordError(
                f"{error.message} ({advice})", rule=error.rule, path=record_shown, line=error.line,
                field=error.field,
            ) from None  # fmt: skip
        check_document(document, config, day, record_shown).require_project(advice)
        shown_document = Document(path=record_shown, text=old_text, data=document.data)
        return merge_into_record(data, shown_document, keep_reports=keep_reports)

    path.parent.mkdir(parents=True, exist_ok=True)
    update(path, change, config.records_dir)
    return outcome[-1]


def _refuse_kpi_options(options: Any, shown: str) -> None:
    """The options a KPI page needs mean nothing to a printout of the form (it prints them)."""
    given = [
        name
        for name, value in (
            ("--fiscal-year", options.fiscal_year), ("--department", options.department),
            ("--direction", options.direction), ("--evaluation-date", options.evaluation_dates),
        )
        if value
    ]  # fmt: skip
    if given:
        raise InputError(
            _("{options}: for KPI pages only; this is a printout of a project, which prints its own; "
              "nothing was written").format(options=", ".join(given)),
            path=shown,
        )  # fmt: skip


def import_kpi(
    text: str, shown: str, options: Any, config: Config, home: Any, *, to_stdout: bool, force: bool
) -> None:
    """One KPI page into ``records/<FY>/kpi/<code>.toml`` or the file that holds its code (``home``;
    or onto stdout), atomically, under the record's lock; an existing KPI record is replaced only
    with ``--force``, keeping what the page cannot show."""
    from ..core.check import check_data
    from ..core.kpi_page import merge_kpi, parse_kpi_page
    from ..core.layout import KPI_SCHEMA_FILE, render_record, schema_line
    from ..core.record import decode, parse
    from ..core.store import update
    from ..core.writing import refuse_errors

    imported = parse_kpi_page(text, shown, options)
    echo_findings(imported.warnings)
    data = imported.data
    path = home(data["code"], data["fiscal_year"], kpi=True)
    record_shown = one_line(shown_path(path))

    warnings: list[Any] = []

    def rendered(values: dict[str, Any]) -> str:
        """The record's text, checked as every write is (``check_data``): an error refuses it
        naming file, line and field; warnings are said once it is written."""
        out = render_record(values, schema_line(path, config.root, KPI_SCHEMA_FILE))
        read = parse(out, record_shown)
        if read != values:  # a safety net: the file reads back as the page read
            raise RuntimeError(f"{record_shown}: the KPI record does not read back as it was read")
        result = check_data(read, out, path, config, today(config), record_shown)
        refuse_errors(result)
        warnings[:] = [finding for finding in result.findings if not finding.is_error]
        return out

    if to_stdout:
        click.echo(rendered(data), nl=False)
        echo_findings(warnings)
        return
    kept: list[str] = []

    def change(current: bytes | None) -> bytes:
        if current is None:
            return rendered(data).encode("utf-8")
        if not force:
            message = _("{record} already exists; nothing was written (use --force to replace it)")
            raise ConflictError(message.format(record=record_shown), path=shown)
        try:
            old = parse(decode(current, record_shown), record_shown)
        except RecordError as error:
            raise RecordError(
                _("{problem} (import does not replace a record it cannot read; fix it or remove it first; "
                  "nothing was written)").format(problem=error.message),
                rule=error.rule, path=record_shown, line=error.line, field=error.field,
            ) from None  # fmt: skip
        if old.get("kind") != "kpi" or old.get("code") != data["code"]:
            message = _("{record} is not the KPI record of {code}; nothing was written")
            raise ConflictError(message.format(record=record_shown, code=data["code"]), path=shown)
        merged, kept_keys = merge_kpi(data, old)
        kept.extend(kept_keys)
        return rendered(merged).encode("utf-8")

    path.parent.mkdir(parents=True, exist_ok=True)
    update(path, change, config.records_dir)
    echo_findings(warnings)
    if kept:
        text = _("{record}: kept from the record what the page cannot show: {keys}")
        click.echo(text.format(record=record_shown, keys=", ".join(kept)), err=True)
    text = _("{source}: wrote {record} ({results} results, {evaluations} evaluations)")
    results, evaluations = len(data.get("results", [])), len(data.get("evaluations", []))
    click.echo(
        text.format(source=shown, record=record_shown, results=results, evaluations=evaluations), err=True
    )
