"""Options shared by several commands, as decorators, and the types that read what people type.

The types turn what a clerk typed into exact values (BE dates, Thai digits, baht) and, when
they cannot, fail in one line naming the option (``--progress: 'abc' is not a percentage``).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..core.calendar import CheckDay, DateInputError, check_day, date_style, parse_date, parse_fiscal_year
from ..core.config import Config, load_config
from ..core.findings import Finding
from ..core.i18n import N_, _, later
from ..core.money import NumberInputError, parse_decimal, parse_money, parse_percent, parse_whole
from ..core.text import one_line, utf8_encodable

if TYPE_CHECKING:
    from ..core.outputs import OutputPlan

F = TypeVar("F", bound=Callable[..., Any])


class OptionError(click.BadParameter):
    """A bad option value, shown as one line (``projledger: --budget: ...``), exit 2."""

    def format_message(self) -> str:
        name = self.param_hint if isinstance(self.param_hint, str) else None
        if name is None and self.param is not None:
            opts = getattr(self.param, "opts", None) or [self.param.name or ""]
            name = max(opts, key=len)
        return f"{name}: {self.message}" if name else self.message


class TextType(click.types.StringParamType):
    """Words a person types (a name, a note, an agency, a revision): text, so UTF-8. Bytes that
    are not (a terminal or a script in another encoding) come to Python as lone surrogates,
    which no record, index or message can hold: refused here, naming the option."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = super().convert(value, param, ctx)
        if isinstance(text, str) and not utf8_encodable(text):
            shown = text.encode("utf-8", "backslashreplace").decode("utf-8")
            message = _("'{value}' holds bytes that are not UTF-8 text; type it again as UTF-8")
            raise OptionError(message.format(value=shown), ctx=ctx, param=param)
        return text


TEXT = TextType()


def take_text(command: click.Command) -> None:
    """Every option of ``command`` (and of its subcommands) that takes plain words takes them as
    ``TEXT``: each option declared with click's default ``str`` type, but for one that names a
    file (``metavar="FILE"``), whose name may be any bytes the system allows."""
    for param in command.params:
        if isinstance(param, click.Option) and param.type is click.STRING and param.metavar != "FILE":
            param.type = TEXT
    for sub in getattr(command, "commands", {}).values():
        take_text(sub)


class PathArgument(click.Path):
    """A path argument that may not be empty: click reads "" as ``.``, so ``fmt "$FILE"`` with
    FILE unset would rewrite every record under the working folder."""

    empty = N_("an empty path; give a file or a folder ('.' for here)")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail(_(self.empty), param, ctx)
        return super().convert(value, param, ctx)


class OutputPath(PathArgument):
    """What ``--output`` names: never empty (``--output ''`` is a usage error, not the working
    folder); what lies there is judged by ``output_plan`` when the command runs."""

    empty = N_("an empty path; name the file to write")


def output_plan(
    path: Path, config: Config | None = None, *, folder: bool = False, field: str = "--output"
) -> OutputPlan:
    """The one way a command learns how to write its output (see ``core.outputs``): refused
    here, before any work, when the path cannot take it."""
    from ..core.outputs import plan_output

    config = config or current_config()
    return plan_output(path, config, Path.cwd(), folder=folder, field=field).require()


class ParsedType(click.ParamType):  # type: ignore[type-arg]
    """A value read by a parser of the core: a value already of ``kind`` passes as it is, and
    what the parser cannot read (``error``) is refused in one line naming the option."""

    kind: type | tuple[type, ...]
    error: type[Exception]

    def parse(self, text: str) -> Any:
        raise NotImplementedError

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, self.kind):
            return value
        try:
            return self.parse(str(value))
        except self.error as error:
            raise OptionError(str(error), ctx=ctx, param=param) from None


class DayType(ParsedType):
    """A date as clerks type it: 25/10/2567 (BE), ๒๕/๑๐/๒๕๖๗ or 2024-10-25."""

    name = "DATE"
    kind, error = date, DateInputError

    def parse(self, text: str) -> date:
        return parse_date(text)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        day: date = super().convert(value, param, ctx)
        if ctx is not None and not isinstance(value, date):  # how this person writes dates:
            ctx.meta[DATE_STYLE] = date_style(str(value))  # messages about them follow it
        return day


#: Where ``DayType`` keeps how the last date was typed (``calendar.date_style``), for ``day_of_check``.
DATE_STYLE = "projledger.date_style"


def parsed_type(
    name: str, kind: type, error: type[Exception], parse: Callable[[str], Any]
) -> type[ParsedType]:
    """The ``ParsedType`` of values ``parse`` reads."""
    attributes = {"name": name, "kind": kind, "error": error, "parse": staticmethod(parse)}
    return type(f"{name.title()}Type", (ParsedType,), attributes)


#: Baht: 3,540,000 or 1250000.50 (Thai digits too); never negative.
MoneyType = parsed_type("BAHT", Decimal, NumberInputError, parse_money)
PercentType = parsed_type("PERCENT", Decimal, NumberInputError, parse_percent)
#: A measured value of any unit, 0 or more: 2,419.97 or 94.73 (Thai digits too).
NumberType = parsed_type("NUMBER", Decimal, NumberInputError, parse_decimal)
#: A Buddhist Era fiscal year (2567, ๒๕๖๗); a Gregorian one (2024) is refused with the BE year meant.
FiscalYearType = parsed_type("YEAR", int, DateInputError, parse_fiscal_year)


class WholeNumberType(ParsedType):
    """A whole number; Thai digits allowed."""

    name = "N"
    kind, error = int, NumberInputError

    def __init__(self, minimum: int = 0) -> None:
        self.minimum = minimum

    def parse(self, text: str) -> int:
        return parse_whole(text, self.minimum)


class QuarterType(ParsedType):
    """A fiscal quarter, 1 to 4 (1 = October to December); Thai digits allowed."""

    name = "N"
    kind, error = int, NumberInputError

    def parse(self, text: str) -> int:
        quarter = parse_whole(text, 1)
        if quarter > 4:
            message = _("'{text}' is not a fiscal quarter: write 1 to 4 (1 = October to December)")
            raise NumberInputError(message.format(text=text.strip()))
        return quarter


class LabelChoice(click.Choice):  # type: ignore[type-arg]
    """One of a stored value's keys, or its label as the form and the sheet write it
    (``เป็นไปตามแผน`` for ``on_plan``), read by ``labels.value_for_label`` as ``sheet import``
    reads a cell: the stored key comes out."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from ..core.labels import label, value_for_label

        found = value_for_label(str(value), tuple(self.choices)) if isinstance(value, str) else None
        if found is not None:
            return found
        words = ", ".join(f"{choice} ({label(str(choice))})" for choice in self.choices)
        raise OptionError(f"'{value}' is not one of: {words}", ctx=ctx, param=param)


DAY = DayType()
MONEY = MoneyType()
PERCENT = PercentType()
#: A Buddhist Era fiscal year (2567): a Gregorian one (2024) is a usage error, for every command.
FISCAL_YEAR = FiscalYearType()
NUMBER = NumberType()
QUARTER = QuarterType()


def typed_option(*decls: str, kind: click.ParamType, help: str) -> Callable[[F], F]:  # type: ignore[type-arg]
    """An option whose value ``kind`` reads, None when not given; its help names the value as
    ``kind`` does (DATE, BAHT, NUMBER...)."""
    return click.option(*decls, type=kind, default=None, metavar=kind.name, help=help)


as_of_option = typed_option(
    "--as-of",
    "as_of",
    kind=DAY,
    help=N_(
        "The day to judge by instead of today: dd/mm/yyyy BE (31/03/2568) or ISO (2025-03-31), Thai "
        "digits allowed."
    ),
)


#: What each output format is, for ``--format``'s help (a command lists only the ones it has).
FORMAT_HELP = {
    "text": N_("text to read"),
    "table": N_("a table for the terminal"),
    "markdown": N_("a Markdown table"),
    "html": N_("an A4 page to print"),
    "csv": N_("CSV for spreadsheets"),
    "json": N_("JSON for programs"),
    "github": N_("GitHub Actions annotations"),
    "xlsx": N_("an Excel workbook (with --output)"),
}


def format_option(*choices: str, default: str) -> Callable[[F], F]:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help=later(lambda: "; ".join(f"{name}: {_(FORMAT_HELP.get(name, name))}" for name in choices) + "."),
    )


def now() -> datetime:
    """The one place the command layer reads the clock: this instant, in UTC (the machine's
    own time zone never enters)."""
    return datetime.now(UTC)


def today(config: Config) -> date:
    """The day of a check: today in the repository's time zone (``timezone`` in
    projledger.toml, Asia/Bangkok by default), the same on every machine and CI runner; the
    core is always given a date."""
    return now().astimezone(config.zone()).date()


def day_of_check(config: Config, given: date | None) -> CheckDay:
    """The day a command checks records as of: ``given`` (``--as-of``) or today, carrying how
    this person typed dates (BE or ISO, from the last date option read) and whether the day was
    given, so messages about it read "the day of the check (2024-01-01)" or "today (...)"."""
    ctx = click.get_current_context(silent=True)
    style = ctx.meta.get(DATE_STYLE, "be") if ctx is not None else "be"
    return check_day(given or today(config), style=style, given=given is not None)


def current_config() -> Config:
    return load_config(Path.cwd())


def reading_config(paths_given: bool, paths: Sequence[Path] = ()) -> Config:
    """The config of a command that reads the records (validate, status, summary, site).

    With no path given it reads the records folder, which must hold records unless a
    ``projledger.toml`` names it as the (still empty) folder of a new repository: then it says
    so on stderr. No record where records were expected is an error (repository.records_expected);
    so are folders given by name (``paths``) that hold none (repository.named_folders_expected).
    """
    from ..core.repository import named_folders_expected, records_expected

    config = current_config()
    note = named_folders_expected(list(paths), config) if paths_given else records_expected(config)
    if note is not None:
        say(note)
    warn_cache_among_records(config)
    return config


def say(text: str) -> None:
    """One line of projledger's own on stderr: a note, a warning, what was written; printable
    whatever the paths and texts it names hold (a file name holding ESC would drive the terminal)."""
    click.echo(f"projledger: {one_line(text)}", err=True)


def warn_cache_among_records(config: Config) -> None:
    """One line on stderr when PROJLEDGER_CACHE_DIR points into the records folder (not used)."""
    from ..core.index import cache_among_records

    warning = cache_among_records(os.environ, config)
    if warning is not None:
        say(warning)


def shown_path(path: Path) -> str:
    """A path as a person typed it or relative to here, so editors and terminals can open it."""
    from ..core.repository import real

    here = _resolved_folder(os.getcwd())
    # the path itself first: a link is named by its own name, not its target's (a loop has none);
    # resolved only when it is not under here (a resolve is a stat a component: 250 skipped
    # records resolved for nothing cost 20 ms of a status after one change)
    try:
        return str(path.absolute().relative_to(here))
    except ValueError:
        pass
    try:
        return str((real(path) or path.absolute()).relative_to(here))
    except ValueError:
        return str(path)


@functools.lru_cache(maxsize=4)
def _resolved_folder(folder: str) -> Path:
    """The folder resolved through its links: once per folder a run is in, not once per path
    shown (a status naming 250 skipped records resolved it 500 times)."""
    return Path(folder).resolve()


def echo_findings(findings: Iterable[Finding]) -> None:
    """Findings a command met on the way (warnings of a write, a file it skipped), on stderr.

    One line each, printable: they quote what records and printouts hold.
    """
    for finding in findings:
        click.echo(one_line(finding.one_line()), err=True)
