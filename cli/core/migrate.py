"""``migrate``: a format-1 project record made format 2 with the smallest diff, and the
all-or-nothing write of a run's records.

A format-1 record becomes format 2 by two line edits and nothing else: the line of the
top-level ``format = 1`` gets ``2`` for its value (its key, spacing and comment as written),
and a line ``kind = "project"`` is inserted right after it (with that line's indent and line
end). Every other byte stays: comments, CRLF, a UTF-8 BOM, a missing final line end.

Which line holds the top-level ``format`` is decided from the parsed data plus the text, as
``writing.append_report`` does for reports: each line that may spell it (``format = 1``,
``format=1``, ``"format" = 0x1  # note``...) is tried in turn, and an edit is taken only when
the TOML reader reads it back as exactly the old data plus ``format = 2`` and
``kind = "project"``; a line that only looks like it (inside a multi-line string) never
reads so. A spelling no edit reads so is refused, never guessed.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ConflictError, ProjledgerError, RecordError, RefusedError
from .i18n import _
from .kinds import record_problem
from .layout import line_ending
from .locate import line_of
from .record import decode, parse

FROM_FORMAT = 1
TO_FORMAT = 2
KIND_KEY = "kind"
KIND = "project"

#: A line that may assign a top-level key ``format``: its indent, key (bare, or quoted: the
#: reader decides whether it names ``format``), ``=``, value, then spaces and a comment.
_FORMAT_LINE = re.compile(
    r"""^(?P<indent>[ \t]*)(?:format|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')[ \t]*=[ \t]*"""
    r"""(?P<value>[^ \t#\r\n]+)[ \t]*(?:\#[^\r\n]*)?(?P<cr>\r?)$""",
    re.M,
)


def migrated(raw: bytes, shown: Path | str) -> bytes | None:
    """``raw`` as a format-2 project record, or None when it is format 2 already.

    Raises ``RecordError`` for what is no record at all (not UTF-8, not TOML, no ``format`` or
    one neither 1 nor 2: validate's first verdicts, with their line) and ``RefusedError`` for a
    format-1 record no two-line edit can migrate (one holding a ``kind`` key, or a spelling of
    ``format`` that cannot be edited safely).
    """
    text = decode(raw, shown)
    data = parse(text, shown)
    version = data.get("format")
    if type(version) is int and version == TO_FORMAT:
        return None
    if not (type(version) is int and version == FROM_FORMAT):
        problem = record_problem(data) or (
            "format",
            _("format {version} is not format 1; only format-1 records are migrated").format(version=version),
        )
        raise RecordError(
            problem[1], rule="format-version", path=shown, line=line_of(text, "format"), field="format"
        )
    if KIND_KEY in data:
        message = _(
            "a format-1 record holds no key 'kind'; remove this one, then run migrate again; nothing was written"
        )
        raise RefusedError(message, [], path=shown, line=line_of(text, KIND_KEY), field=KIND_KEY)
    expected = {**data, "format": TO_FORMAT, KIND_KEY: KIND}
    for candidate in _edits(text):
        try:
            read = parse(candidate, shown)
            if read == expected and type(read["format"]) is int:  # 2.0 or true would compare equal
                bom = codecs.BOM_UTF8 if raw.startswith(codecs.BOM_UTF8) else b""
                return bom + candidate.encode("utf-8")
        except RecordError:
            continue
    message = _(
        "the line of 'format = 1' cannot be changed safely as it is spelled; write it as "
        'format = 2 with kind = "project" on the next line by hand; nothing was written'
    )
    raise RefusedError(message, [], path=shown, line=line_of(text, "format"), field="format")


def _edits(text: str) -> list[str]:
    """``text`` with each line that may be the top-level ``format = 1`` given ``2`` for its
    value and followed by ``kind = "project"``: one candidate per such line, first to last."""
    found = []
    for match in _FORMAT_LINE.finditer(text):
        end = match.end()  # before the line's "\n" (or at the end of the text)
        if end < len(text):
            inserted = f'{match["indent"]}{KIND_KEY} = "{KIND}"{match["cr"]}\n'
            after = text[end : end + 1] + inserted + text[end + 1 :]
        else:  # the last line, without its line end: the file still ends without one
            after = line_ending(text) + f'{match["indent"]}{KIND_KEY} = "{KIND}"'
        found.append(text[: match.start("value")] + str(TO_FORMAT) + text[match.end("value") : end] + after)
    return found


@dataclass(frozen=True)
class Migration:
    """One record's planned change: its path, how it is shown, the bytes read, the bytes to store."""

    path: Path
    shown: str
    before: bytes
    after: bytes


@dataclass
class Outcome:
    """What ``write_all`` did: records written, and the one that failed (with why): when one
    fails before any write, none is written."""

    written: list[Migration]
    failed: tuple[Migration, ProjledgerError] | None = None


def write_all(migrations: Sequence[Migration], within: Path) -> Outcome:
    """Store every migration, or none: each record's lock is taken first (``store.locked_all``)
    and each record read again under it and compared with the bytes its migration was made
    from; only when all of that holds is any written, each atomically (``store.replace_locked``).
    A write can still fail after others were made (a full disk): the outcome names exactly the
    records written. ``within``: the records folder, no link may lead out of.
    """
    from .store import locked_all, read_locked, record_target, replace_locked

    targets: list[Path] = []
    for migration in migrations:
        try:
            targets.append(record_target(migration.path, within))
        except ProjledgerError as error:
            error.path = migration.shown
            return Outcome([], (migration, error))
    try:
        with locked_all(targets):
            for migration, target in zip(migrations, targets, strict=True):
                try:
                    current = read_locked(target, migration.shown)
                except ProjledgerError as error:
                    return Outcome([], (migration, error))
                if current != migration.before:
                    changed = _(
                        "the record changed while migrate was running; nothing was written, run migrate again"
                    )
                    return Outcome([], (migration, ConflictError(changed, path=migration.shown)))
            written: list[Migration] = []
            for migration, target in zip(migrations, targets, strict=True):
                try:
                    replace_locked(target, migration.after, migration.shown)
                except ProjledgerError as error:
                    return Outcome(written, (migration, error))
                written.append(migration)
    except RecordError as error:  # a lock that cannot be taken: nothing was written
        failing = next(
            (m for m, t in zip(migrations, targets, strict=True) if str(t) == error.path), migrations[0]
        )
        error.path = failing.shown
        return Outcome([], (failing, error))
    return Outcome(written)
