"""What the commands that rewrite records in place share (``fmt``, ``migrate``): which files they may rewrite.

A record is rewritten only where it lies in the records folder: never through a link that
leaves it (a link to projledger.toml or .git/config is no record), never a FIFO, folder or
device in a record's place, and a file reached twice (by its name and by a link) once. With
``--check`` (nothing written) a file named by its own path is read where it is.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

from ..core.check import finding_from_error
from ..core.config import Config
from ..core.errors import ProjledgerError, RecordError
from ..core.findings import Finding, Severity
from ..core.i18n import _
from .options import shown_path


class Target(NamedTuple):
    """A file a rewriting command met: ``refused`` says why it is left alone (an error finding
    on it); ``again``: the real file was met already, by another name (rewrite it once)."""

    path: Path
    shown: str
    refused: Finding | None = None
    again: bool = False


def record_targets(paths: Sequence[Path], config: Config, *, check: bool) -> Iterator[Target]:
    """Every file ``paths`` name (default: the records folder), each judged as a rewrite target."""
    from ..core.repository import list_records, real

    done: set[Path] = set()  # the real files met so far
    records_folder = real(config.records_dir) or config.records_dir
    for listed in list_records(list(paths), config):
        path = listed.path
        shown = shown_path(path)

        def refused(rule: str, message: str, path: Path = path, shown: str = shown) -> Target:
            return Target(path, shown, Finding(shown, None, "", rule, Severity.ERROR, message))

        if listed.refused:
            yield refused(listed.rule, listed.refused)
            continue
        if not path.is_file():
            yield refused(
                "io", _("is not a regular file, so not a record") if path.exists() else _("no such file")
            )
            continue
        target = real(path)
        linked = path.is_symlink()
        if target is None or (
            (linked or not check or not paths) and not target.is_relative_to(records_folder)
        ):
            inside = bool(target and target.is_relative_to(config.root))
            if linked:
                where = _("leads outside the records folder") if inside else _("leads outside the repository")
            else:
                where = _("is outside the records folder") if inside else _("is outside the repository")
            yield refused("unsafe-path", _("{where}; never rewritten").format(where=where))
            continue
        yield Target(path, shown, again=target in done)
        done.add(target)


def error_finding(error: ProjledgerError, shown: str, rule: str) -> Finding:
    """A refusal as an error finding: a ``RecordError`` with its own rule, any other with ``rule``."""
    if isinstance(error, RecordError):
        return finding_from_error(error, shown)
    return Finding(shown, error.line, error.field or "", rule, Severity.ERROR, error.message)
