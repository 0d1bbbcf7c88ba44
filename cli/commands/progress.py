"""A progress bar on stderr for long runs over many records, only where a person watches.

Shown only when stderr is a terminal, ``NO_COLOR`` or not, and the run covers at least
``MANY_FILES`` records (about a second of work at ~1 ms a record): a short run or a pipe,
CI log or ``--format json | jq`` never sees it, and stdout is never touched.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TypeVar

import click

from ..core.config import Config

T = TypeVar("T")
MANY_FILES = 1000


def count_records(paths: list[Path], config: Config) -> int:
    """How many record files a run will read (a walk of names only, no file opened)."""
    from ..core.repository import list_records

    return sum(1 for _ in list_records(paths, config))


def watched() -> bool:
    return sys.stderr.isatty()


def with_progress(
    items: Iterable[T], paths: list[Path], config: Config, done: Callable[[], int] = lambda: 0
) -> Iterator[T]:
    """``items`` as they come, with a bar on stderr when the run is long and someone watches.

    ``done`` counts files consumed without yielding an item (skipped records), so the bar
    still reaches its end when some records are not valid.
    """
    total = count_records(paths, config) if watched() else 0  # no walk where nobody watches
    if total < MANY_FILES:
        yield from items
        return
    with click.progressbar(length=total, label="reading records", file=sys.stderr) as bar:
        seen = done()
        for item in items:
            now = done()
            bar.update(1 + now - seen)
            seen = now
            yield item
