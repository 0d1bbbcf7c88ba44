"""Writing a plan to the records: the import's one writer, through the store's lock and atomic replace.

All or nothing (the default): every record's lock is taken first, every record read again
under it and compared with the bytes the plan was made from; only when all of that holds is
any record written. A write can still fail after others were made (a full disk): the outcome
then names exactly the records written and the ones not. With ``partial``, each record is
written on its own (``store.update``); a record that changed meanwhile or cannot be written is
left alone and reported, the others still written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConflictError, ProjledgerError, RecordError
from ..i18n import _, os_problem
from .plan import Change, Plan

#: Records written at once: each write waits on two fsyncs, which run in parallel on other files.
WRITERS = 8


@dataclass
class Outcome:
    """What ``write_plan`` did: records ``written``, records ``failed`` (with why), and records
    ``held_back``: left as they were only because another record failed (all or nothing)."""

    written: list[Change] = field(default_factory=list)
    failed: list[tuple[Change, ProjledgerError]] = field(default_factory=list)
    held_back: list[Change] = field(default_factory=list)

    @property
    def not_written(self) -> list[Change]:
        return [*(change for change, _ in self.failed), *self.held_back]


def _conflict(change: Change) -> ConflictError:
    message = _(
        "the record changed while the sheet was being imported; nothing written to it, import the sheet again"
    )
    return ConflictError(message, path=change.shown)


def write_plan(plan: Plan, *, partial: bool = False, within: Path | None = None) -> Outcome:
    """Store the planned records: all or nothing, or with ``partial`` each on its own; never
    through a link that leads out of ``within`` (the records folder), as add-report.

    Returns the outcome with each list in the plan's order (as every way of storing makes them).
    """
    changes = list(plan.changes.values())
    return _each_alone(changes, within) if partial else _all_or_nothing(changes, within)


def _failure(store: Callable[[Change], object], change: Change) -> ProjledgerError | None:
    """What stopped ``store(change)``, or None when it went through."""
    try:
        store(change)
    except ProjledgerError as error:
        return error
    except OSError as error:
        problem = os_problem(error)
        return RecordError(
            _("cannot be written: {problem}").format(problem=problem), rule="io", path=change.shown
        )
    return None


def _in_parallel(changes: list[Change], store: Callable[[Change], object]) -> Outcome:
    """``store`` run on every change, ``WRITERS`` at once: the changes stored, and the others with why."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        errors = list(pool.map(lambda change: _failure(store, change), changes))
    return Outcome(
        written=[c for c, e in zip(changes, errors, strict=True) if e is None],
        failed=[(c, e) for c, e in zip(changes, errors, strict=True) if e is not None],
    )


def _all_or_nothing(changes: list[Change], within: Path | None) -> Outcome:
    from ..store import locked_all, read_locked, record_target, replace_locked

    def held_back(but: Change) -> list[Change]:
        return [c for c in changes if c is not but]

    targets: dict[int, Path] = {}

    def prepare(change: Change) -> None:  # folders of new records, and the real file behind a link
        if change.before is None:
            change.path.parent.mkdir(parents=True, exist_ok=True)
        targets[id(change)] = record_target(change.path, within)

    for change in changes:
        error = _failure(prepare, change)
        if error is not None:
            return Outcome(failed=[(change, error)], held_back=held_back(change))
    by_target = {targets[id(c)]: c for c in changes}
    try:
        with locked_all(by_target):
            for change in changes:  # every record as the plan saw it, or none is written
                try:
                    current = read_locked(targets[id(change)], change.shown)
                except ProjledgerError as error:
                    return Outcome(failed=[(change, error)], held_back=held_back(change))
                if current != change.before:
                    return Outcome(failed=[(change, _conflict(change))], held_back=held_back(change))
            return _in_parallel(changes, lambda c: replace_locked(targets[id(c)], c.after, c.shown))
    except RecordError as error:  # a lock that cannot be taken: nothing was written
        failing = next((c for t, c in by_target.items() if str(t) == error.path), changes[0])
        error.path = failing.shown
        return Outcome(failed=[(failing, error)], held_back=held_back(failing))


def _each_alone(changes: list[Change], within: Path | None) -> Outcome:
    from ..store import update

    def store(change: Change) -> None:
        def replace(current: bytes | None) -> bytes:
            if current != change.before:
                raise _conflict(change)
            return change.after

        if change.before is None:
            change.path.parent.mkdir(parents=True, exist_ok=True)
        update(change.path, replace, within)

    return _in_parallel(changes, store)
