"""``projledger add-report``: append one month's report to a record, safely."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from ..core.i18n import N_, _, language, os_problem
from ..core.labels import PLAN_STATUSES, TARGET_STATUSES, label, word
from ..core.money import format_percent, format_signed
from ..core.text import NotUtf8Error, printable, utf8_text
from .options import (
    DAY,
    MONEY,
    PERCENT,
    LabelChoice,
    OptionError,
    WholeNumberType,
    current_config,
    day_of_check,
    echo_findings,
    say,
    shown_path,
    typed_option,
)

if TYPE_CHECKING:
    from ..core.config import Config
    from ..core.writing import Written


@click.command(
    "add-report",
    help=N_(
        "Append one month's report to a project's record.\n"
        "\n"
        "CODE_OR_PATH is the project's code or its record file.\n"
        "\n"
        "Every byte already in the file stays as it was: the report is one [[reports]] block "
        "added at the end, so `git diff` shows just it. The whole record with the new report is "
        "checked first; an error refuses the write (exit 1, nothing written), warnings are "
        "printed and the report is stored. Writes are atomic and locked per file: clerks adding "
        "at once each get their own number. The note is stored in Unicode NFC, without "
        "surrounding blanks. Prints the report as stored and the project's computed status.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger add-report 50100000-0001 --date 25/10/2567 --progress 45 \\\n"
        '      --disbursed 1,250,000.50 --note "จัดประชุมคณะทำงาน"\n'
        "  projledger add-report records/2568/50100000-0001.toml --progress 100 --complete \\\n"
        "      --note-file note.txt"
    ),
)
@click.argument("code_or_path")
@typed_option(
    "--date",
    "day",
    kind=DAY,
    help=N_(
        "The report's day: dd/mm/yyyy BE (25/10/2567) or ISO (2024-10-25), Thai digits allowed; default today."
    ),
)
@typed_option(
    "--progress",
    kind=PERCENT,
    help=N_(
        "Cumulative progress of the work in percent, 0 to 100 (45 or 45.5). Required (asked for on a terminal)."
    ),
)
@typed_option(
    "--disbursed",
    kind=MONEY,
    help=N_(
        "Cumulative baht disbursed so far, at most 2 decimals (1,250,000.50); default the last report's amount."
    ),
)
@click.option("--note", default=None,
              help=N_("What was done this month, in any language. Required unless --note-file is given "
              "(asked for on a terminal)."))  # fmt: skip
@click.option(
    "--note-file",
    default=None,
    metavar="FILE",
    help=N_("Read the note from this UTF-8 text file instead of --note ('-' reads standard input)."),
)
@click.option(
    "--plan-status",
    type=LabelChoice(PLAN_STATUSES),
    default=None,
    help=N_(
        "Progress against the plan: on_plan, watch or behind, or the form's Thai words "
        "(เป็นไปตามแผน, เป็นไปตามแผนแต่ควรติดตาม, ไม่เป็นไปตามแผน); default the status computed from "
        "the plan on the report's date."
    ),
)
@click.option(
    "--target-status",
    type=LabelChoice(TARGET_STATUSES),
    default="on_target",
    show_default=True,
    help=N_(
        "Whether the work meets its targets: on_target or off_target, or the form's Thai words "
        "(เป็นไปตามเป้าหมาย, ไม่เป็นไปตามเป้าหมาย)."
    ),
)
@click.option("--cancel", is_flag=True, help=N_("This report cancels the project (its event is cancelled)."))
@click.option(
    "--complete", is_flag=True, help=N_("This report completes the project (its event is completed).")
)
@typed_option(
    "--no",
    "number",
    kind=WholeNumberType(1),
    help=N_("The report's number, a whole number from 1; default the last one + 1."),
)
def add_report(
    code_or_path: str,
    day: date | None,
    progress: Decimal | None,
    disbursed: Decimal | None,
    note: str | None,
    note_file: str | None,
    plan_status: str | None,
    target_status: str,
    cancel: bool,
    complete: bool,
    number: int | None,
) -> None:
    from ..core.status import compute_status
    from ..core.writing import ReportInput, append_report

    if cancel and complete:
        raise OptionError(
            _("a report cannot both cancel and complete the project"), param_hint="--cancel/--complete"
        )
    if note is not None and note_file is not None:
        raise OptionError(_("give either --note or --note-file, not both"), param_hint="--note")
    if note_file is not None:
        note = read_note_file(note_file)
    if progress is None:
        progress = ask("--progress", "progress", N_("0 to 100"), PERCENT)
    if note is None:
        note = ask("--note", "note", "", click.STRING)
    event = "cancelled" if cancel else "completed" if complete else None

    appended = append_to(
        code_or_path,
        append_report,
        lambda today: ReportInput(
            day or today, progress, note, disbursed, plan_status, target_status, event, number
        ),
    )
    click.echo(
        status_line(compute_status(appended.written.record, appended.as_of, appended.config))
    )  # a project's


#: (current bytes, path, the values typed, config, day of the check, name shown) -> what to store.
Change = Callable[[bytes, Path, Any, "Config", date, str], "Written"]


class Appended(NamedTuple):
    """What ``append_to`` stored, and the config and day of the check it was checked with."""

    written: Written
    config: Config
    as_of: date


def append_to(code_or_path: str, append: Change, values_of: Callable[[date], Any]) -> Appended:
    """Find the record (by code, a KPI's too, or by path), append under its lock what ``append``
    makes of its bytes and ``values_of(today)``, and print what was added (and any warning): the
    one way every appending command (add-report, add-result, add-evaluation, revise-budget) writes."""
    from ..core.errors import NotFoundError
    from ..core.repository import resolve_record
    from ..core.store import update

    config = current_config()
    as_of = day_of_check(config, None)  # today, with how this clerk typed --date
    today = date.fromordinal(as_of.toordinal())
    path = resolve_record(code_or_path, config)
    shown = shown_path(path)
    values = values_of(today)
    outcome: list[Written] = []

    def change(current: bytes | None) -> bytes:
        if current is None:
            raise NotFoundError(_("the record is gone"), path=shown)
        outcome.append(append(current, path, values, config, as_of, shown))
        return outcome[-1].content

    update(path, change, config.records_dir)
    written = outcome[-1]
    if written.rewritten:
        say(f"{shown}: {written.rewritten}")
    echo_findings(written.warnings)
    click.echo(printable(written.block), nl=False)
    return Appended(written, config, as_of)


def read_note_file(name: str) -> str:
    """The note in file ``name`` ('-': standard input), as UTF-8 text; anything else is a usage
    error (exit 2) in one line.

    Only a regular file is opened: a FIFO (which would wait for a writer forever), a folder or
    a device (``/dev/zero`` never ends) is refused from its stat, unopened; the open itself is
    non-blocking and checked again, in case the name was swapped in between. At most one byte
    past the 1 MiB limit of a whole record is read.
    """
    from ..core.record import MAX_RECORD_BYTES

    def refuse(message: str) -> OptionError:
        return OptionError(message, param_hint="--note-file")

    shown = _("standard input") if name == "-" else printable(name, keep_newlines=False)
    if name == "-":
        with click.open_file("-", "rb") as stdin:
            raw = stdin.read(MAX_RECORD_BYTES + 1)
    else:
        try:
            mode = os.stat(name).st_mode
            if not stat.S_ISREG(mode):
                message = _(
                    "{path} is {kind}, not a regular file; give a text file, or '-' for standard input"
                )
                raise refuse(message.format(path=shown, kind=_kind(mode)))
            fd = os.open(name, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            with os.fdopen(fd, "rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    raise refuse(_("{path} is not a regular file").format(path=shown))
                raw = handle.read(MAX_RECORD_BYTES + 1)
        except OSError as error:
            message = _("{path} cannot be read: {problem}")
            raise refuse(message.format(path=shown, problem=os_problem(error))) from None
    if len(raw) > MAX_RECORD_BYTES:
        raise refuse(_("the note is over the 1 MiB limit of a whole record"))
    try:
        return utf8_text(raw)
    except NotUtf8Error as error:
        raise refuse(f"{shown} {error}") from None


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return _("a FIFO (named pipe)")
    if stat.S_ISDIR(mode):
        return _("a folder")
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return _("a device")
    if stat.S_ISSOCK(mode):
        return _("a socket")
    return _("not a file")


def status_line(status: Any) -> str:
    """One line: state, progress against expected, the computed plan status, months overdue."""
    lang = language()
    parts = [_("status: {state}").format(state=label(status.state, lang))]
    if status.progress is not None:
        expected = (
            _("{percent} % expected").format(percent=format_percent(status.expected))
            if status.expected is not None
            else ""
        )
        text = _("progress {progress} % vs {expected} ({variance})")
        progress, variance = format_percent(status.progress), format_signed(status.variance)
        parts.append(text.format(progress=progress, expected=expected, variance=variance))
    if status.computed_plan_status:
        text = _("computed {computed} (reported {reported})")
        computed = label(status.computed_plan_status, lang)
        parts.append(text.format(computed=computed, reported=label(status.reported_plan_status, lang)))
    overdue = _("overdue {months}").format(months=status.overdue)
    parts.append(overdue + (_(" (past its end)") if status.late else ""))
    return "; ".join(parts)


def interactive() -> bool:
    """Whether a person is at the keyboard to be asked (stdin is a terminal)."""
    return sys.stdin.isatty()


def ask(option: str, key: str, hint: str, kind: click.ParamType) -> Any:  # type: ignore[type-arg]
    """Prompt on a terminal, with the form's (or the tables') word for ``key`` and ``hint`` (a
    msgid) in the run's language; elsewhere a missing option is a usage error (exit 2)."""
    if not interactive():
        message = _("is required (give {option}, or run on a terminal to be asked for it)")
        raise OptionError(message.format(option=option), param_hint=option)
    name = word(key, language())
    prompt = name[:1].upper() + name[1:]
    return click.prompt(f"{prompt} ({_(hint)})" if hint else prompt, type=kind)
