"""Long outputs made on two cores: the second half of the lines by a forked process meanwhile.

A status table of 10,000 projects is 10,000 lines to lay out (names cut to fit, cells padded):
a sixth of the run after one record changed. The lines are independent of one another once the
layout is known, so a forked process makes the second half into a temporary file while this one
makes the first half and hands it on; the second half follows, byte for byte what this process
would have made. Where ``fork`` is missing, a single core is wanted, the table is short, or the
other process fails, this process makes every line itself.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from typing import IO

#: Below this many lines a fork costs more than the second core saves.
MIN_LINES = 4000


def lines_in_two(count: int, make: Callable[[int, int], Iterator[str]], jobs: int) -> Iterator[str]:
    """The lines ``make(0, count)`` gives, in order (the second half comes as texts of several
    lines joined by newlines, each without its last one's)."""
    if jobs < 2 or count < MIN_LINES or not hasattr(os, "fork"):
        yield from make(0, count)
        return
    half = count // 2
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed below, shared with the child
    try:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child: writes its half and leaves at once
            _make_half(handle.fileno(), make, half, count)
        yield from make(0, half)
        _, status = os.waitpid(pid, 0)
        if status != 0:  # the other process failed: its half is made here
            yield from make(half, count)
            return
        yield from _texts(handle)
    finally:
        with contextlib.suppress(ChildProcessError, UnboundLocalError):
            if pid:
                os.waitpid(pid, os.WNOHANG)
        handle.close()


def _texts(handle: IO[bytes], size: int = 1 << 18) -> Iterator[str]:
    """The file's lines a block at a time (each a text of whole lines, without its last newline):
    the half is never held whole."""
    handle.seek(0)
    rest = b""
    while block := handle.read(size):
        block = rest + block
        end = block.rfind(b"\n")
        if end < 0:
            rest = block
            continue
        rest = block[end + 1 :]
        yield block[:end].decode("utf-8", "surrogatepass")
    if rest:
        yield rest.decode("utf-8", "surrogatepass")


def _make_half(fd: int, make: Callable[[int, int], Iterator[str]], start: int, end: int) -> None:
    """In the forked process: the lines into the file, then out, running nothing of the parent's
    exit (its buffered output is not flushed twice)."""
    code = 1
    try:
        with os.fdopen(os.dup(fd), "wb") as out:
            batch: list[str] = []
            for line in make(start, end):
                batch.append(line)
                if len(batch) == 500:  # written as it goes: the half is never held whole
                    out.write("\n".join(batch).encode("utf-8", "surrogatepass") + b"\n")
                    batch = []
            out.write("\n".join(batch).encode("utf-8", "surrogatepass"))
        code = 0
    finally:
        os._exit(code)
