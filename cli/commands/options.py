"""Options shared by several commands, as decorators, and the values they turn into."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from ..core.calendar import DateInputError, parse_date
from ..core.config import Config, load_config

F = TypeVar("F", bound=Callable[..., Any])


class DateParam(click.ParamType):
    """A date as clerks type it: ``25/10/2564`` (BE), ``๒๕/๑๐/๒๕๖๔`` or ``2021-10-25``."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return parse_date(str(value))
        except DateInputError as error:
            self.fail(str(error), param, ctx)


DATE = DateParam()


def as_of_option(func: F) -> F:
    return click.option(
        "--as-of",
        "as_of",
        type=DATE,
        default=None,
        metavar="DATE",
        help="Judge as of this day (dd/mm/yyyy BE or yyyy-mm-dd); default today.",
    )(func)


def format_option(*choices: str, default: str) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        return click.option(
            "--format",
            "output_format",
            type=click.Choice(choices),
            default=default,
            show_default=True,
            help="Output for people or for machines.",
        )(func)

    return decorate


def today() -> date:
    """The one place the command layer reads the clock; the core is always given a date."""
    return date.today()


def current_config() -> Config:
    return load_config(Path.cwd())


def shown_path(path: Path) -> str:
    """A path as a person typed it or relative to here, so editors and terminals can open it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
