"""The ``projledger`` command group: every command registered, every error caught once here.

Our own exceptions become a one-line message on stderr and exit 1 (2 for the few that are usage
errors, such as an output aimed at the records folder); click's usage errors
become one line too, with exit 2; anything else is a bug, reported in one line (never a traceback) with exit 3, and
shown in full only with ``PROJLEDGER_DEBUG=1``.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from .core.errors import ProjledgerError
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
    "fmt": "fmt:fmt",
    "status": "status:status",
    "summary": "summary:summary",
    "site": "site:site",
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
        command: click.Command = getattr(module, attribute)
        return command

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # Thai text to a stream that cannot encode it (output redirected on a cp874 or latin-1
        # system, PYTHONIOENCODING) is shown as escapes, never a crash in the middle of a table.
        for stream in (sys.stdout, sys.stderr):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="backslashreplace")
        return super().main(*args, **kwargs)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        # No path or value may hold NUL: the OS refuses it with a ValueError deep in any command.
        if any("\x00" in arg for arg in args):
            raise click.UsageError("an argument holds a NUL character (\\x00), which no value may hold", ctx)
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
            click.echo(f"projledger: {one_line(error.format_message())} (see '{where} --help')", err=True)
            ctx.exit(2)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise  # click's own ways out, kept as click prints them
        except OSError as error:
            # The machine said no (permission, disk full, a name too long): not a bug of ours.
            where = f"{error.filename}: " if error.filename else ""
            click.echo(f"projledger: {one_line(where + (error.strerror or str(error)))}", err=True)
            ctx.exit(1)
        except Exception as error:
            if os.environ.get("PROJLEDGER_DEBUG"):
                raise
            loop = str(error).removeprefix("Symlink loop from ")
            if isinstance(error, RuntimeError) and loop != str(error):
                # Path.resolve() of Python 3.11 reports a link loop so (later ones raise ELOOP,
                # an OSError): a path the user or the repository holds, never a bug of ours.
                from .core.repository import LOOP

                click.echo(f"projledger: {one_line(loop.strip(chr(39)))}: {LOOP}", err=True)
                ctx.exit(1)
            click.echo(
                f"projledger: internal error ({type(error).__name__}: {one_line(str(error))}); "
                "please report it, with PROJLEDGER_DEBUG=1 for the details",
                err=True,
            )
            ctx.exit(3)


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``--version``, reading the version only when asked (see ``projledger.__getattr__``)."""
    if not value or ctx.resilient_parsing:
        return
    from . import __version__

    click.echo(f"projledger, version {__version__}")
    ctx.exit()


@click.group(
    name="projledger",
    cls=Group,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Show the version and exit.")  # fmt: skip
def main() -> None:
    """Keep Thai public projects' progress records as plain TOML files.

    Run `projledger COMMAND --help` for what a command does, its options and examples.

    \b
    Example:
      projledger validate
      projledger status --as-of 31/03/2565
    """


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
