"""Writing a plan to the records: the import's one writer, through ``store.update``.

Each changed record is stored locked and atomically, only if the file still holds the bytes
the plan was made from; a record that changed meanwhile is left alone and reported, the others
still written.
"""

from __future__ import annotations

from ..errors import ConflictError, ProjledgerError, RecordError
from .plan import Change, Plan

#: Records written at once: each write waits on two fsyncs, which run in parallel on other files.
WRITERS = 8


def write_plan(plan: Plan) -> tuple[list[Change], list[tuple[Change, ProjledgerError]]]:
    """Store each planned record through ``store.update`` (its lock, its atomic replace).

    A record whose bytes are no longer the ones the plan was made from is left as it is and
    returned among the failures, with the others still written. Returns (written, failed) in
    the plan's order.
    """
    from concurrent.futures import ThreadPoolExecutor

    from ..store import update

    def write(change: Change) -> ProjledgerError | None:
        def replace(current: bytes | None) -> bytes:
            if current != change.before:
                raise ConflictError(
                    "the record changed while the sheet was being imported; nothing written to it, "
                    "import the sheet again",
                    path=change.shown,
                )
            return change.after

        try:
            if change.before is None:
                change.path.parent.mkdir(parents=True, exist_ok=True)
            update(change.path, replace)
        except ProjledgerError as error:
            return error
        except OSError as error:
            return RecordError(f"cannot be written: {error.strerror}", rule="io", path=change.shown)
        return None

    changes = list(plan.changes.values())
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        outcomes = list(pool.map(write, changes))
    written = [c for c, error in zip(changes, outcomes, strict=True) if error is None]
    failed = [(c, error) for c, error in zip(changes, outcomes, strict=True) if error is not None]
    return written, failed
