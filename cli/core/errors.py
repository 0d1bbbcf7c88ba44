"""Our exception family: real failures that stop a command, caught once at the command layer.

Findings about a record's content are values (``findings.Finding``), not exceptions; these are
for what a command cannot go on from: an unreadable record, a refused input, a missing project.
Every message is one line a clerk can act on, and names the file, line and field when known.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .i18n import _, os_problem

#: What a signal's handler raised to end the run (Ctrl-C, SIGTERM): a library that loses an
#: exception raised inside it (jsonschema-rs answers as if none had been) is followed by a look here.
STOPPED: list[BaseException] = []


def raise_if_stopped() -> None:
    if STOPPED:
        raise STOPPED[-1]


class ProjledgerError(Exception):
    """Base of every error projledger raises on purpose."""

    #: The exit code of a command stopped by it: 1, refused input; 2, a usage error.
    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field

    def __reduce__(self) -> tuple[Any, ...]:
        """Rebuilt from its attributes when it crosses from a worker process: the default
        (``cls(*args)``) fails on keyword-only arguments, and a pool whose worker's error cannot
        be rebuilt waits forever instead of failing."""
        return (_rebuilt, (type(self), self.message, dict(self.__dict__)))

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path + (f":{self.line}" if self.line else "") + ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


def _rebuilt(cls: type[ProjledgerError], message: str, state: dict[str, Any]) -> ProjledgerError:
    """An error of ``cls`` with ``state`` as its attributes, made without calling its ``__init__``."""
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class InputError(ProjledgerError):
    """A value typed by a person (an option, a spreadsheet cell) cannot be used."""


class RecordError(ProjledgerError):
    """A record file cannot be read as a record at all (not TOML, not UTF-8, too large...)."""

    def __init__(self, message: str, *, rule: str, column: int | None = None, **where: Any) -> None:
        super().__init__(message, **where)  # path, line, field
        self.rule = rule
        self.column = column


def unreadable(error: OSError, path: Path | str) -> RecordError:
    """A record file the system would not let us read, as every reader of records says so."""
    return RecordError(_("cannot be read: {problem}").format(problem=os_problem(error)), rule="io", path=path)


class NotFoundError(ProjledgerError):
    """A project code or path names no record."""


class ConflictError(ProjledgerError):
    """The write would clash with what is already there (an existing code, a different report)."""


class UnsafePathError(ProjledgerError):
    """A path or link would lead outside the records folder."""


class ForbiddenPlaceError(UnsafePathError):
    """An output aimed where no output may go (the records folder, ``.git``): a usage error."""

    exit_code = 2


class RefusedError(ProjledgerError):
    """A write was refused because the record would break a rule; carries the findings."""

    def __init__(self, message: str, findings: list[object], **where: Any) -> None:
        super().__init__(message, **where)  # path, line, field
        self.findings = findings
