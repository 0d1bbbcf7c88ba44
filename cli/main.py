"""The ``projledger`` command group: every command registered, every error caught once here.

Our own exceptions become a one-line message on stderr and exit 1 (2 for the few that are usage
errors, such as an output aimed at the records folder); click's usage errors
become one line too, with exit 2; anything else is a bug, reported in one line (never a traceback) with exit 3, and
shown in full only with ``PROJLEDGER_DEBUG=1``.
"""

from __future__ import annotations

import contextlib
import errno
import gettext
import importlib
import inspect
import os
import signal
import sys
from types import FrameType
from typing import Any

import click

from .core import i18n
from .core.errors import STOPPED, ProjledgerError
from .core.i18n import N_, _, os_problem
from .core.labels import LANGS, Lang
from .core.text import one_line

#: Command name -> "module:function" under projledger.commands, imported only when used, so
#: `add-report` and `show` start without loading what `site` or `sheet` need.
COMMANDS: dict[str, str] = {
    "validate": "validate:validate",
    "show": "show:show",
    "import": "import_cmd:import_command",
    "init": "init:init",
    "schema": "schema:schema",
    "new": "new:new",
    "add-report": "add_report:add_report",
    "add-result": "append:add_result",
    "add-evaluation": "append:add_evaluation",
    "revise-budget": "append:revise_budget",
    "fmt": "fmt:fmt",
    "migrate": "migrate:migrate",
    "status": "status:status",
    "summary": "summary:summary",
    "site": "site:site",
    "export": "export:export",
    "sheet": "sheet:sheet",
}


class Group(click.Group):
    """Loads commands lazily and turns our exceptions into messages, once, for every command."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        module = importlib.import_module(f"{__package__}.commands.{module_name}")
        from .commands.options import take_text  # loaded by every command's module already

        command: click.Command = getattr(module, attribute)
        _take_lang(command)
        take_text(command)
        return command

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        open_closed_streams()
        choose_language(list(sys.argv[1:] if args is None else args))
        localize(self)
        # Thai text to a stream that cannot encode it (output redirected on a cp874 or latin-1
        # system, PYTHONIOENCODING) is shown as escapes, never a crash in the middle of a table.
        for stream in (sys.stdout, sys.stderr):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="backslashreplace")
        STOPPED.clear()  # what a caller left there never ends this run
        ours = [signal.SIGTERM]
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not ignored by the parent
            ours.append(signal.SIGINT)
        try:
            previous = {signum: signal.signal(signum, _stopped) for signum in ours}
        except ValueError:  # not the main thread (a program running us in one): left as it is
            previous = {}
        try:
            return super().main(args, *rest, **kwargs)
        except OSError as error:
            # What click writes before a command runs (--help, --version, a usage error) meeting
            # a full disk or a bad descriptor: click lets all but EPIPE through, as a traceback.
            with contextlib.suppress(OSError):
                refused(error)
            sys.exit(1)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            STOPPED.clear()  # what ended this run never ends a later one in this process

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # No path or value may hold NUL: the OS refuses it with a ValueError deep in any command.
        if any("\x00" in arg for arg in args):
            raise click.UsageError(
                _("an argument holds a NUL character (\\x00), which no value may hold"), ctx
            )
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ProjledgerError as error:
            click.echo(f"projledger: {one_line(str(error))}", err=True)
            ctx.exit(error.exit_code)
        except click.UsageError as error:
            # One line, like every other refusal, with where to read more; exit 2 as click's.
            where = error.ctx.command_path if error.ctx else "projledger"
            see = _("see '{command} --help'").format(command=where)
            click.echo(f"projledger: {one_line(error.format_message())} ({see})", err=True)
            ctx.exit(2)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # click's own ways out, kept as click prints them
        except OSError as error:
            if error.errno == errno.EPIPE:
                # The reader of our output left (`| head -1`): nothing was refused, so nothing is
                # said; click's main ends quietly (exit 1) and keeps the exit's flush quiet too.
                raise
            # The machine said no (permission, disk full, a name too long): not a bug of ours.
            refused(error)
            ctx.exit(1)
        except Exception as error:
            if os.environ.get("PROJLEDGER_DEBUG"):
                raise
            loop = str(error).removeprefix("Symlink loop from ")
            if isinstance(error, RuntimeError) and loop != str(error):
                # Path.resolve() of Python 3.11 reports a link loop so (later ones raise ELOOP,
                # an OSError): a path the user or the repository holds, never a bug of ours.
                from .core.repository import LOOP

                click.echo(f"projledger: {one_line(loop.strip(chr(39)))}: {_(LOOP)}", err=True)
                ctx.exit(1)
            problem = f"{type(error).__name__}: {one_line(str(error))}"
            message = _(
                "internal error ({problem}); please report it, with PROJLEDGER_DEBUG=1 for the details"
            )
            click.echo(f"projledger: {message.format(problem=problem)}", err=True)
            ctx.exit(3)


def _stopped(signum: int, frame: FrameType | None) -> None:
    """SIGTERM (``kill``, a CI job cancelled, systemd) ends the run as Ctrl-C does, by an
    exception, so every ``finally`` and ``with`` runs: the site's and the export's temporary
    folders, a record's temporary file and the locks are cleaned up, where the default action
    left them behind. Exit 143 (128 + 15), as if killed. Kept in ``STOPPED`` too: jsonschema-rs
    loses an exception raised inside it, and the run went on to its end, exit 0."""
    STOPPED.append(KeyboardInterrupt() if signum == signal.SIGINT else SystemExit(128 + signum))
    raise STOPPED[-1]


def _default_in_child() -> None:
    """A process forked from the run (a pool's worker) gets SIGTERM's default action back at
    once, in the fork itself: a pool ends its workers with SIGTERM, which must kill them as the
    kernel does, never wait for Python code of theirs to run. It ignores Ctrl-C, which a terminal
    sends to every process of the run: the run stops its pools itself, and a worker stopped while
    it held a pool's queue left the site build waiting for ever (1 in 13 Ctrl-Cs)."""
    if signal.getsignal(signal.SIGTERM) is _stopped:
        with contextlib.suppress(ValueError):  # forked by a thread other than the main one
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_IGN)


os.register_at_fork(after_in_child=_default_in_child)


def refused(error: OSError) -> None:
    """The one line that says what the operating system refused, and the file it names."""
    where = f"{error.filename}: " if error.filename else ""
    click.echo(f"projledger: {one_line(where + (os_problem(error)))}", err=True)


def open_closed_streams() -> None:
    """A standard stream the caller closed (``projledger status >&-``) is opened on the null
    device, as git does: Python leaves it None, so every command that reads, writes or asks
    whether it is a terminal crashed, and the descriptor left free would be the next file's, so
    what a child process (git, a worker) writes to it could land in a record or the index."""
    for number, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is not None:
            continue
        try:
            os.fstat(number)
        except OSError:  # closed: the null device takes its number, as the lowest free one
            null = os.open(os.devnull, os.O_RDWR)
            if null != number:
                os.dup2(null, number)
                os.close(null)
        # kept open for the whole run, as the stream it stands for
        setattr(sys, name, open(os.devnull, "r" if number == 0 else "w", encoding="utf-8"))  # noqa: SIM115


def choose_language(args: list[str]) -> Lang:
    """The run's language, chosen once before click parses anything (so its usage errors and
    ``--help`` are in it too): ``--lang`` wherever given, else ``PROJLEDGER_LANG``, else the
    config's ``language``, else Thai. Bound also as the standard library's current gettext domain
    and language, which click's own messages are looked up in."""
    given = _lang_in(args)
    chosen = given or os.environ.get("PROJLEDGER_LANG", "")
    if chosen not in LANGS:
        chosen = _config_language()
    lang: Lang = "en" if chosen == "en" else "th"
    i18n.use(lang, given=given == lang)
    gettext.bindtextdomain(i18n.DOMAIN, str(i18n.LOCALEDIR))
    gettext.textdomain(i18n.DOMAIN)
    os.environ["LANGUAGE"] = lang
    return lang


def _take_lang(command: click.Command) -> None:
    """``--lang`` after the command's name too (``projledger validate --lang en``): every command
    (and every subcommand) accepts it; the language was chosen from it before parsing. Its help
    is then put in that language (``localize``)."""
    if not any(param.name == "lang" for param in command.params):
        command.params.append(
            click.Option(["--lang"], type=click.Choice(LANGS), expose_value=False, help=_LANG_HELP)
        )
    localize(command)
    for sub in getattr(command, "commands", {}).values():
        _take_lang(sub)


_LANG_HELP = N_(
    "Messages in Thai (th) or English (en); default PROJLEDGER_LANG, else the config's language, th."
)


def localize(command: click.Command) -> None:
    """The help of ``command`` and of its options in the run's language: each is marked in the
    source as its English msgid (``help=N_(...)``), kept on the object the first time, and
    translated again on every run (click keeps a command once made, and a process such as the
    tests' may run in both languages). The one-line help in a group's list is the help's first
    paragraph, whole (click would cut a Thai sentence, which has no full stop, mid-word)."""
    items: tuple[Any, ...] = (command, *command.params)  # options and arguments: a help each, or None
    for item in items:
        english = item.__dict__.setdefault("_english_help", getattr(item, "help", None))
        if english:
            item.help = i18n.translated(english)
    if command.help:
        command.short_help = inspect.cleandoc(command.help).split("\n\n", 1)[0]
    # click makes the --help option once, its help in the language of that moment: made again.
    if getattr(command, "_help_option", None) is not None:
        command._help_option = None


def _lang_in(args: list[str]) -> str | None:
    for at, arg in enumerate(args):
        if arg == "--":
            break
        if arg == "--lang" and at + 1 < len(args):
            return args[at + 1]
        if arg.startswith("--lang="):
            return arg.removeprefix("--lang=")
    return None


def _config_language() -> str:
    from pathlib import Path

    from .core.config import find_config_file, parse_config

    try:
        found = find_config_file(Path.cwd())
        return parse_config(found).language if found else "th"
    except (ProjledgerError, OSError, ValueError):
        return "th"


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``--version``, reading the version only when asked (see ``projledger.__getattr__``)."""
    if not value or ctx.resilient_parsing:
        return
    from . import __version__

    click.echo(_("projledger, version {version}").format(version=__version__))
    ctx.exit()


@click.group(
    name="projledger",
    cls=Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    help=N_(
        "Keep Thai public projects' progress records as plain TOML files.\n"
        "\n"
        "Run `projledger COMMAND --help` for what a command does, its options and examples.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger validate\n"
        "  projledger status --as-of 31/03/2565"
    ),
)
@click.option(
    "--lang",
    type=click.Choice(LANGS),
    expose_value=False,
    is_eager=True,
    help=N_(
        "Messages in Thai (th) or English (en), also after the command's name; default PROJLEDGER_LANG, "
        "else the config's language, th unless set."
    ),
)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help=N_("Show the version and exit."))  # fmt: skip
def main() -> None:
    """The command group: its help is the ``help=`` above, in the run's language."""


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
