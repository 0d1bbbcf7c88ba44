"""The site's own cache of per-file results (``ResultCache``), until the site reads its rows from
the index (core/index.py) like every other reading command: what remains of the cache that the
index replaced, kept only for core/site.py. Values are pickles, so a cache file that another
user owns or could have written is never loaded. Delete this module when site.py stops using it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from .config import Config
from .index import (
    RACY_NS,
    StatKey,
    cache_folder,
    file_digest,
    filesystem_now,
    fingerprint,
    jobs_wanted,
    record_files,
    stat_key,
)

#: Bump when what an entry holds changes shape.
CACHE_FORMAT = 2
#: Dead bytes a cache file may carry beyond as many as its live values before it is compacted.
COMPACT_SLACK = 1 << 20
#: Bytes of cached values read at once.
READ_AHEAD = 1 << 18

_file_digest = file_digest

__all__ = [
    "RACY_NS", "ResultCache", "StatKey", "cache_folder", "file_digest", "filesystem_now", "fingerprint",
    "jobs_wanted", "record_files", "stat_key",
]  # fmt: skip


def _owned_safely(handle: BinaryIO) -> bool:
    """A cache file this user wrote and nobody else could have: only those are loaded."""
    st = os.fstat(handle.fileno())
    return not hasattr(os, "getuid") or (st.st_uid == os.getuid() and not st.st_mode & 0o022)


Entry = tuple[StatKey, bytes | None, Any, int, int]  # stat, digest, meta, offset, length
#: Numbers kept per entry in an index: the stat (4), where the value lies, its length.
_FIELDS = 6


class ResultCache:
    """Per-file results of one namespace (``validate``, ``rows``) for one repository, in one file.

    The file holds the pickled values in the order of the last run, then an index and the
    index's offset. The index is compact (the paths, one flat array of numbers: each file's
    stat and where its value lies, and the few digests and metas), because a run holds two of
    them (the last file's and the next's): 10,000 entries cost about 1 MB, not 5. Opening reads
    the index and maps the file; a value is read when it is used, and copied into the next
    file, so a run never holds every cached value at once. The next file is written only when
    something changed, as a temporary file that replaces the old one atomically.
    """

    MAGIC = b"projledger-cache %d\n" % CACHE_FORMAT

    def __init__(self, folder: Path, config: Config, namespace: str, *extra: object) -> None:
        self.folder = folder
        root = hashlib.sha256(str(config.root).encode()).hexdigest()[:16]
        self.prefix = f"{namespace}-{root}-"
        self.path = folder / f"{self.prefix}{fingerprint(config, *extra)[:32]}.cache"
        self.changed = False
        self.racy_since = self._filesystem_now() - RACY_NS
        self._old: BinaryIO | None = None
        self._keys: list[str] = []  # the last file's index
        self._where: dict[str, int] = {}
        self._numbers: array[int] | list[int] = []
        self._digests: dict[int, bytes] = {}
        self._metas: dict[int, Any] = {}
        self._values_end = 0  # where the last file's values end
        self._window, self._window_start = b"", 0  # values read ahead from the last file
        self._out: BinaryIO | None = None
        self._position = 0  # where the next value goes in the next file
        self._new: tuple[list[str], array[int] | list[int], dict[int, bytes], dict[int, Any]] = (
            [], array("q"), {}, {},
        )  # fmt: skip
        self._broken = False  # writing failed once: this run writes no cache
        self._out_name = ""
        self._cwd = os.getcwd()
        self._load()

    def __len__(self) -> int:
        """Entries in the last file."""
        return len(self._keys)

    def _filesystem_now(self) -> int:
        return filesystem_now(self.folder)

    def _load(self) -> None:
        import pickle

        try:
            old = open(self.path, "rb")  # noqa: SIM115 - kept open for the values, closed by close()
        except OSError:
            return
        self._old = old
        try:
            if not _owned_safely(old):
                raise ValueError("written by someone else: a pickle from another user is never loaded")
            size = os.fstat(old.fileno()).st_size
            if old.read(len(self.MAGIC)) != self.MAGIC or size < len(self.MAGIC) + 8:
                raise ValueError("not a cache file of this format")
            where = int.from_bytes(os.pread(old.fileno(), 8, size - 8), "little")
            if not len(self.MAGIC) <= where <= size - 8:
                raise ValueError("damaged")
            keys, numbers, digests, metas = pickle.loads(os.pread(old.fileno(), size - 8 - where, where))
            if not (
                isinstance(keys, list) and isinstance(numbers, (array, list)) and isinstance(digests, dict)
                and isinstance(metas, dict) and len(numbers) == _FIELDS * len(keys)
                and all(isinstance(key, str) for key in keys)
            ):  # fmt: skip
                raise ValueError("damaged index")
            for i in range(len(keys)):
                offset, length = numbers[_FIELDS * i + 4], numbers[_FIELDS * i + 5]
                if not (len(self.MAGIC) <= offset and length >= 0 and offset + length <= where):
                    raise ValueError("damaged entry")
            self._keys, self._numbers, self._digests, self._metas = keys, numbers, digests, metas
            self._values_end = where
            self._where = {key: i for i, key in enumerate(keys)}
            if len(self._where) != len(keys):
                raise ValueError("a path twice")
        except Exception:  # truncated, corrupt, foreign: start afresh
            self._keys, self._where, self._numbers, self._digests, self._metas = [], {}, [], {}, {}
            self._values_end = 0
            self.close()

    def key(self, path: Path | str) -> str:
        text = os.fspath(path)
        if text.startswith(os.sep) or os.path.isabs(text):
            return text
        return os.path.normpath(os.path.join(self._cwd, text))  # abspath, without asking for the cwd

    def _entry(self, i: int) -> Entry:
        n, base = self._numbers, _FIELDS * i
        stat = (n[base], n[base + 1], n[base + 2], n[base + 3])
        return stat, self._digests.get(i), self._metas.get(i), n[base + 4], n[base + 5]

    def lookup(self, path: Path | str, known: StatKey | None = None) -> Entry | None:
        """The entry of ``path`` if it still describes the file (stat, and content when racy);
        ``known``: the file's stat taken a moment ago in this run."""
        i = self.find(path, known)
        return None if i is None else self._entry(i)

    def find(self, path: Path | str, known: StatKey | None = None) -> int | None:
        """``lookup``, giving where the entry is (for ``entry``): no tuple made until it is used."""
        if not self._where:
            return None
        i = self._where.get(self.key(path))
        if i is None:
            return None
        if known is None:
            try:
                known = stat_key(os.stat(path))
            except OSError:
                return None
        n, base = self._numbers, _FIELDS * i
        if (n[base], n[base + 1], n[base + 2], n[base + 3]) != known:
            return None
        digest_then = self._digests.get(i)
        if digest_then is not None and _file_digest(path) != digest_then:
            return None
        return i

    def meta(self, i: int) -> Any:
        return self._metas.get(i)

    def entry(self, i: int) -> Entry:
        return self._entry(i)

    def read_value(self, entry: Entry) -> bytes:
        """The value's bytes. Values are read in the order they were written, so they are read
        ahead a window at a time (``pread``: a mapped file would count every page of it in the
        run's resident memory)."""
        if self._old is None:
            raise EOFError("no cache file")
        offset, length = entry[3], entry[4]
        start = offset - self._window_start
        if start < 0 or start + length > len(self._window):
            self._window = os.pread(self._old.fileno(), max(length, READ_AHEAD), offset)
            self._window_start, start = offset, 0
        raw = self._window[start : start + length]
        if len(raw) != length:
            raise EOFError("cache file shrank")
        return raw

    def value_at(self, i: int) -> bytes:
        """``read_value`` of the entry found at ``i``, without making the entry's tuple."""
        n, base = self._numbers, _FIELDS * i
        offset, length = n[base + 4], n[base + 5]
        start = offset - self._window_start
        if start < 0 or start + length > len(self._window):
            if self._old is None:
                raise EOFError("no cache file")
            self._window = os.pread(self._old.fileno(), max(length, READ_AHEAD), offset)
            self._window_start, start = offset, 0
        raw = self._window[start : start + length]
        if len(raw) != length:
            raise EOFError("cache file shrank")
        return raw

    def keep_at(self, key: str, i: int) -> None:
        """``keep`` of the entry found at ``i`` for ``key`` (``key(path)``), for the many a run reuses."""
        if self._broken:
            return
        keys, numbers, digests, metas = self._new
        if i in self._digests:
            digests[len(keys)] = self._digests[i]
        if i in self._metas:
            metas[len(keys)] = self._metas[i]
        base = _FIELDS * i
        chunk = self._numbers[base : base + _FIELDS]
        if isinstance(numbers, array) and not isinstance(chunk, array):
            try:
                chunk = array("q", chunk)
            except OverflowError:  # an inode number past 2**63: numbers of any size from now on
                numbers = list(numbers)
                self._new = (keys, numbers, digests, metas)
        numbers.extend(chunk)
        keys.append(key)

    def write(
        self, path: Path | str, stat: StatKey, file_digest: bytes | None, meta: Any, raw: bytes, *, new: bool
    ) -> None:
        """Add an entry to the next file (written only once something has changed). An entry
        reused as it was (``new=False``) keeps its bytes where they are: the next file starts as
        a copy of the last one's values, so after one change it costs one kernel copy and the
        new values, not a rewrite of every value."""
        key = self.key(path)
        if new:
            self.changed = True
        if self._broken:
            return
        try:
            i = None if new else self._where.get(key)
            if i is not None and self._entry(i)[0] == stat:
                n, base = self._numbers, _FIELDS * i
                self._add(key, stat, file_digest, meta, n[base + 4], n[base + 5])
                return
            if self._out is None:
                self._start_output()
            assert self._out is not None
            self._add(key, stat, file_digest, meta, self._position, len(raw))
            self._out.write(raw)
            self._position += len(raw)
        except Exception:  # a folder that cannot be written, a full disk: the run goes on uncached
            self._broken = True
            self.discard()

    def _start_output(self) -> None:
        """Open the next file: a copy of the last one up to the end of its values, so that every
        entry kept from it stays where it was."""
        self.folder.mkdir(parents=True, exist_ok=True)
        import tempfile

        handle, self._out_name = tempfile.mkstemp(prefix=".tmp-", suffix=".cache", dir=self.folder)
        self._out = os.fdopen(handle, "wb", buffering=1 << 20)
        if self._old is not None and self._values_end:
            _copy_bytes(self._old.fileno(), handle, self._values_end)
            self._position = self._values_end
            self._out.seek(self._position)
        else:
            self._out.write(self.MAGIC)
            self._position = len(self.MAGIC)

    def _add(
        self, key: str, stat: StatKey, file_digest: bytes | None, meta: Any, offset: int, length: int
    ) -> None:
        """An entry of the next file's index."""
        keys, numbers, digests, metas = self._new
        if file_digest is not None:
            digests[len(keys)] = file_digest
        if meta is not None:
            metas[len(keys)] = meta
        keys.append(key)
        values = (*stat, offset, length)
        if isinstance(numbers, array):
            try:
                numbers.extend(array("q", values))
            except OverflowError:  # an inode number past 2**63: numbers of any size from now on
                self._new = (keys, [*numbers, *values], digests, metas)
        else:
            numbers.extend(values)

    def save(self, keep: Callable[[str], bool] | None = None) -> None:
        """Finish the next file and put it in place; entries of files not met in this run are
        kept unless ``keep`` says they are gone. Once the values no entry points at outweigh
        the live ones, the file is written anew with the live ones only. Never an error: a
        cache only saves time."""
        import pickle

        try:
            if self._broken:
                return
            written = set(self._new[0])
            for key in self._keys:
                if key not in written:
                    if keep is None or keep(key):
                        stat, file_digest, meta, offset, length = self._entry(self._where[key])
                        self._add(key, stat, file_digest, meta, offset, length)
                    else:
                        self.changed = True
            if not self.changed:
                return
            if self._out is None:
                self._start_output()
            assert self._out is not None
            live = sum(self._new[1][_FIELDS - 1 :: _FIELDS])
            if self._position - len(self.MAGIC) > 2 * live + COMPACT_SLACK:
                self._compact()
            assert self._out is not None
            # Streamed into the file, not made one bytes object first, and without the memo of
            # every object pickled (no object is met twice): both would add to a run's peak memory.
            pickler = pickle.Pickler(self._out, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.fast = True
            pickler.dump(self._new)
            self._out.write(self._position.to_bytes(8, "little"))
            self._out.close()
            os.replace(self._out_name, self.path)
            self._out = None
            for old in self.folder.glob(f"{self.prefix}*.cache"):
                if old != self.path:
                    old.unlink(missing_ok=True)
        except Exception:
            self.discard()
        finally:
            self.close()

    def _compact(self) -> None:
        """Write the next file anew with only the values its index points at, in its order."""
        assert self._out is not None
        self._out.flush()
        source = os.open(self._out_name, os.O_RDONLY | os.O_CLOEXEC)
        try:
            previous = self._out_name
            self._out.close()
            self._out = None
            import tempfile

            handle, self._out_name = tempfile.mkstemp(prefix=".tmp-", suffix=".cache", dir=self.folder)
            self._out = os.fdopen(handle, "wb", buffering=1 << 20)
            self._out.write(self.MAGIC)
            self._position = len(self.MAGIC)
            numbers = self._new[1]
            for base in range(0, len(numbers), _FIELDS):
                offset, length = numbers[base + 4], numbers[base + 5]
                self._out.write(os.pread(source, length, offset))
                numbers[base + 4] = self._position
                self._position += length
            os.unlink(previous)
        finally:
            os.close(source)

    def discard(self) -> None:
        if self._out is not None:
            with contextlib.suppress(OSError):
                self._out.close()
            self._out = None
            with contextlib.suppress(OSError):
                os.unlink(self._out_name)

    def __enter__(self) -> ResultCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._old is not None:
            self._old.close()
            self._old = None
        self.discard()


def _copy_bytes(source: int, target: int, count: int) -> None:
    """The first ``count`` bytes of one file into another, by the kernel where it can."""
    copied = 0
    try:
        while copied < count:
            done = os.copy_file_range(source, target, count - copied, copied, copied)
            if done == 0:
                raise EOFError("the cache file shrank")
            copied += done
        return
    except (AttributeError, OSError):  # no copy_file_range here, or not between these files
        pass
    while copied < count:
        chunk = os.pread(source, min(1 << 20, count - copied), copied)
        if not chunk:
            raise EOFError("the cache file shrank")
        os.pwrite(target, chunk, copied)
        copied += len(chunk)


def _dumps(value: Any) -> bytes:
    import pickle

    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
