"""A cache of per-file results, and checking many files on every core, streamed in order.

A result is cached under the file's absolute path and its stat (size, mtime_ns, inode,
ctime_ns), in one cache file per repository, namespace and *fingerprint*: the cache format, the
tool's version, the size and mtime of every module of ``projledger.core`` (an edited rule is a
new tool), the parsers' and validator's versions, the schema's text and the config's
fingerprint. Anything else changes nothing the cache holds, so nothing else can make it stale.

A file changed twice within the filesystem's timestamp granularity keeps its stat (the
"racily clean" problem git knows): a file whose mtime or ctime is within ``RACY_NS`` of the
moment the run started (read on the filesystem's own clock, from a probe file, never from the
system clock) is cached with a digest of its bytes, and trusted only after reading and hashing
them again.

The cache lives in the user's cache folder (``$XDG_CACHE_HOME/projledger`` or
``~/.cache/projledger``; ``PROJLEDGER_CACHE_DIR`` moves it, ``PROJLEDGER_NO_CACHE=1`` turns it off),
never in the repository. It is written atomically (temporary file, ``os.replace``); a cache
that cannot be read, of any kind of damage, is ignored and rebuilt, never an error. Values are
pickles, so a cache file that another user owns or could have written is never loaded.

``validate`` caches findings: they depend on the day of the check only through the rule
``future-report``, so each entry also says for which days its findings hold (``Checked.valid_on``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import signal
import sys
import tempfile
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from stat import S_ISREG
from typing import Any, BinaryIO

from .config import Config
from .findings import Finding, Severity
from .record import MAX_RECORD_BYTES

#: Bump when what an entry holds changes shape.
CACHE_FORMAT = 1
#: Files changed this close to the start of a run are verified by content (FAT's mtime is 2 s).
RACY_NS = 3_000_000_000
#: Rules whose findings depend on the day of the check (a test keeps this list true).
AS_OF_RULES = frozenset({"future-report"})
#: Below this many files to check, a process pool costs more than it saves: measured on 2
#: cores, 1,000 files took 0.80 s with a pool and 0.66 s without; 10,000 took 3.8 s and 6.0 s.
PARALLEL_THRESHOLD = 2000
#: The same for the shared map (``_shared_map``), whose only cost is a fork: 1,000 files
#: validated cold took about 0.35 s shared against 0.45 s in one process.
SHARED_THRESHOLD = 500

StatKey = tuple[int, int, int, int]
FindingData = tuple[int | None, str, str, str, str, int | None]


def cache_folder(environ: Mapping[str, str]) -> Path | None:
    """Where the cache lives for this environment, or None when it is turned off."""
    if environ.get("PROJLEDGER_NO_CACHE", "") not in ("", "0"):
        return None
    if environ.get("PROJLEDGER_CACHE_DIR"):
        return Path(environ["PROJLEDGER_CACHE_DIR"])
    xdg = environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "projledger"


def jobs_wanted(environ: Mapping[str, str]) -> int:
    """Worker processes: ``PROJLEDGER_JOBS`` or the cores this process may use."""
    try:
        wanted = int(environ.get("PROJLEDGER_JOBS", "0"))
    except ValueError:
        wanted = 0
    if wanted > 0:
        return wanted
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def stat_key(st: os.stat_result) -> StatKey:
    return (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)


def digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


@dataclass(frozen=True, slots=True)
class Checked:
    """What checking one file found, without the path it is shown as, and the days it holds for."""

    findings: tuple[FindingData, ...]
    valid_from: date | None = None
    valid_until: date | None = None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or day >= self.valid_from) and (
            self.valid_until is None or day <= self.valid_until
        )

    def __reduce__(self) -> tuple[type[Checked], tuple[Any, ...]]:
        # Rebuilt by calling the class: far cheaper to pickle and unpickle than a dataclass's state.
        return (Checked, (self.findings, self.valid_from, self.valid_until))

    def as_findings(self, shown: str) -> list[Finding]:
        return [
            Finding(shown, line, field, rule, Severity(sev), msg, col)
            for line, field, rule, sev, msg, col in self.findings
        ]

    @property
    def ok(self) -> bool:
        return not any(f[3] == Severity.ERROR.value for f in self.findings)


def check_one(path: Path, config: Config, as_of: date, *, fast: bool = True) -> Checked:
    """Check a file and say for which days of the check its findings hold."""
    from .check import check_file
    from .rules import _plausible

    result = check_file(path, config, as_of, "", fast=fast)
    findings = tuple(
        (f.line, f.field, f.rule, f.severity.value, f.message, f.column) for f in result.findings
    )
    if result.project is None:
        return Checked(findings)
    if any(f[2] in AS_OF_RULES for f in findings):
        return Checked(findings, as_of, as_of)  # the message names the day
    dates = [r.date for r in result.project.reports if _plausible(r.date)]
    return Checked(findings, max(dates) if dates else None, None)


# --- the cache file ----------------------------------------------------------------------------


def _code_fingerprint() -> list[object]:
    """The tool as it is: its version, its core modules on disk, the libraries that read records."""
    import jsonschema_rs
    import tomli

    from .. import __version__

    try:
        import rtoml

        rtoml_version = getattr(rtoml, "__version__", "?")
    except ImportError:  # pragma: no cover
        rtoml_version = None
    # Every module of the core as it is on disk: an edited rule is another tool. (All of them,
    # not those imported so far, so that the fingerprint is the same at any point of a run.)
    modules = []
    for source in sorted(Path(__file__).resolve().parent.glob("*.py")):
        st = os.stat(source)
        modules.append((source.name, st.st_size, st.st_mtime_ns))
    return [CACHE_FORMAT, __version__, modules, sys.version, getattr(tomli, "__version__", "?"), rtoml_version,
            getattr(jsonschema_rs, "__version__", "?")]  # fmt: skip


def fingerprint(config: Config, *extra: object) -> str:
    """Everything a cached result depends on besides the file itself."""
    from .schema import schema_text

    parts = [
        *_code_fingerprint(),
        hashlib.sha256(schema_text(1).encode()).hexdigest(),
        config.fingerprint(),
        *extra,
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def filesystem_now(folder: Path) -> int:
    """The filesystem's idea of now: the mtime of a file made for the purpose."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=".probe-", dir=folder)
        try:
            return os.fstat(handle).st_mtime_ns
        finally:
            os.close(handle)
            os.unlink(name)
    except OSError:
        return 1 << 62  # cannot tell: treat every file as racy (verified by content)


def _owned_safely(handle: BinaryIO) -> bool:
    """A cache file this user wrote and nobody else could have: only those are loaded."""
    st = os.fstat(handle.fileno())
    return not hasattr(os, "getuid") or (st.st_uid == os.getuid() and not st.st_mode & 0o022)


class ResultCache:
    """Per-file results of one namespace (``validate``, ``rows``) for one repository, in one file.

    The file holds the pickled values in the order of the last run, then an index (path ->
    stat, digest, meta, where the value lies) and the index's offset. Opening reads the index
    only; a value is read when it is used, and copied byte for byte into the next
    file, so a run never holds every cached value at once. The next file is written only when
    something changed, as a temporary file that replaces the old one atomically.
    """

    MAGIC = b"projledger-cache %d\n" % CACHE_FORMAT

    def __init__(self, folder: Path, config: Config, namespace: str, *extra: object) -> None:
        self.folder = folder
        root = hashlib.sha256(str(config.root).encode()).hexdigest()[:16]
        self.prefix = f"{namespace}-{root}-"
        self.path = folder / f"{self.prefix}{fingerprint(config, *extra)[:32]}.cache"
        #: key -> (stat, digest, meta, offset of the value, its length) in the old file.
        self.index: dict[str, tuple[StatKey, bytes | None, Any, int, int]] = {}
        self.changed = False
        self.racy_since = self._filesystem_now() - RACY_NS
        self._old: BinaryIO | None = None
        self._written: list[str] = []  # keys written (or to write) in this run, in order
        self._out: BinaryIO | None = None
        self._new_index: dict[str, tuple[StatKey, bytes | None, Any, int, int]] = {}
        self._broken = False  # writing failed once: this run writes no cache
        self._out_name = ""
        self._cwd = os.getcwd()
        self._load()

    def _filesystem_now(self) -> int:
        return filesystem_now(self.folder)

    def _load(self) -> None:
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
            old.seek(size - 8)
            where = int.from_bytes(old.read(8), "little")
            if not len(self.MAGIC) <= where <= size - 8:
                raise ValueError("damaged")
            old.seek(where)
            index = pickle.loads(old.read(size - 8 - where))
            if not isinstance(index, dict):
                raise ValueError("damaged index")
            for key, entry in index.items():
                offset, length = entry[3], entry[4]
                if not (isinstance(key, str) and len(self.MAGIC) <= offset and offset + length <= where):
                    raise ValueError("damaged entry")
            self.index = index
        except Exception:  # truncated, corrupt, foreign: start afresh
            self.index = {}
            self.close()

    def key(self, path: Path | str) -> str:
        text = os.fspath(path)
        # os.path.abspath, without asking for the working folder every time
        return text if os.path.isabs(text) else os.path.normpath(os.path.join(self._cwd, text))

    def lookup(
        self, path: Path | str, known: StatKey | None = None
    ) -> tuple[StatKey, bytes | None, Any, int, int] | None:
        """The entry of ``path`` if it still describes the file (stat, and content when racy);
        ``known``: the file's stat taken a moment ago in this run."""
        if not self.index:
            return None
        entry = self.index.get(self.key(path))
        if entry is None:
            return None
        if known is None:
            try:
                known = stat_key(os.stat(path))
            except OSError:
                return None
        if entry[0] != known:
            return None
        if entry[1] is not None and _file_digest(path) != entry[1]:
            return None
        return entry

    def read_value(self, entry: tuple[StatKey, bytes | None, Any, int, int]) -> bytes:
        assert self._old is not None
        self._old.seek(entry[3])
        raw = self._old.read(entry[4])
        if len(raw) != entry[4]:
            raise EOFError("cache file shrank")
        return raw

    def write(
        self, path: Path | str, stat: StatKey, file_digest: bytes | None, meta: Any, raw: bytes, *, new: bool
    ) -> None:
        """Add an entry to the next file; written only once something has changed."""
        key = self.key(path)
        if new:
            self.changed = True
        if self._broken:
            return
        try:
            if self._out is None:
                if not self.changed:
                    self._written.append(key)
                    return
                self._start_output()
            self._write_entry(key, stat, file_digest, meta, raw)
            self._written.append(key)
        except Exception:  # a folder that cannot be written, a full disk: the run goes on uncached
            self._broken = True
            self.discard()

    def _start_output(self) -> None:
        """Open the next file and copy into it the entries reused before the first change."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, self._out_name = tempfile.mkstemp(prefix=".tmp-", suffix=".cache", dir=self.folder)
        self._out = os.fdopen(handle, "wb")
        self._out.write(self.MAGIC)
        for key in self._written:
            self._copy_old(key)

    def _copy_old(self, key: str) -> None:
        stat, file_digest, meta, _, _ = entry = self.index[key]
        self._write_entry(key, stat, file_digest, meta, self.read_value(entry))

    def _write_entry(self, key: str, stat: StatKey, file_digest: bytes | None, meta: Any, raw: bytes) -> None:
        assert self._out is not None
        self._new_index[key] = (stat, file_digest, meta, self._out.tell(), len(raw))
        self._out.write(raw)

    def save(self, keep: Callable[[str], bool] | None = None) -> None:
        """Finish the next file and put it in place; entries of files not met in this run are
        kept unless ``keep`` says they are gone. Never an error: a cache only saves time."""
        try:
            if self._broken:
                return
            written = set(self._written)
            leftover = [key for key in self.index if key not in written]
            carried = [key for key in leftover if keep is None or keep(key)]
            if len(carried) != len(leftover):
                self.changed = True
            if not self.changed:
                return
            if self._out is None:
                self._start_output()
            for key in carried:
                self._copy_old(key)
            assert self._out is not None
            where = self._out.tell()
            # Streamed into the file, not made one bytes object first, and without the memo of
            # every object pickled (no object is met twice): both would add to a run's peak memory.
            pickler = pickle.Pickler(self._out, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.fast = True
            pickler.dump(self._new_index)
            self._out.write(where.to_bytes(8, "little"))
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

    def discard(self) -> None:
        if self._out is not None:
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


# --- checking many files ---------------------------------------------------------------------

#: What a worker process computes: set once per pool (inherited through fork, or pickled).
_worker_state: dict[str, Any] = {}


def _init_worker(task: Callable[..., Any], args: tuple[Any, ...], racy_since: int | None) -> None:
    _worker_state.update(task=task, args=args, racy_since=racy_since)


def _run_chunk(paths: list[str]) -> list[tuple[bytes, StatKey | None, bytes | None]]:
    """The values of a chunk pickled here, once: the main process keeps those very bytes in the
    cache and unpickles them for itself, instead of unpickling and pickling again."""
    state = _worker_state
    task, args, racy_since = state["task"], state["args"], state["racy_since"]
    done = []
    for p in paths:
        value, stat, file_digest = _compute(Path(p), task, args, racy_since)
        done.append((_dumps(value), stat, file_digest))
    return done


def _shared_map(
    paths: list[str],
    task: Callable[..., Any],
    args: tuple[Any, ...],
    racy_since: int | None,
    jobs: int,
    chunk: int,
) -> Iterator[tuple[bytes, StatKey | None, bytes | None]]:
    """``_compute`` of every path, in order, each value pickled: shared between this process and
    ``jobs - 1`` forked ones. Chunks are claimed from a pipe of chunk numbers (a read of 4 bytes
    is atomic), so whoever is free takes the next; this process computes chunks too, while it
    waits for the next one in order, and takes the others' results from one pipe per process.
    Nothing is handed to the others but a chunk's number: they inherit the list.

    A process that fails sends its exception, raised here as a pool would; one that dies
    without a word leaves its chunks to this process. Closing the iterator stops the others.
    """
    chunks = [paths[i : i + chunk] for i in range(0, len(paths), chunk)]
    claims_r, claims_w = os.pipe()
    _pipe_size(claims_w)
    children: dict[int, int] = {}  # result pipe -> process id
    buffers: dict[int, bytearray] = {}
    done: dict[int, list[tuple[bytes, StatKey | None, bytes | None]]] = {}
    try:
        os.write(claims_w, b"".join(i.to_bytes(4, "little") for i in range(len(chunks))))
        os.close(claims_w)
        claims_w = -1
        for _ in range(jobs - 1):
            result_r, result_w = os.pipe()
            _pipe_size(result_w)
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child, which never returns
                os.close(result_r)
                _serve_claims(chunks, claims_r, result_w, task, args, racy_since)
            os.close(result_w)
            os.set_blocking(result_r, False)
            children[result_r] = pid
            buffers[result_r] = bytearray()
        wanted = 0
        while wanted < len(chunks):
            if wanted in done:
                yield from done.pop(wanted)
                wanted += 1
                continue
            _take_results(children, buffers, done, block=False)
            if wanted in done:
                continue
            claim = _claim(claims_r)
            if claim is not None:
                done[claim] = [_pickled(path, task, args, racy_since) for path in chunks[claim]]
            elif children:
                _take_results(children, buffers, done, block=True)
            else:  # the others are gone without sending this chunk: compute it here
                done[wanted] = [_pickled(path, task, args, racy_since) for path in chunks[wanted]]
    finally:
        os.close(claims_r)
        if claims_w != -1:
            os.close(claims_w)
        for fd, pid in children.items():
            os.close(fd)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        for pid in children.values():
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)


def _pipe_size(fd: int) -> None:
    """A roomy pipe (a mebibyte where allowed): the other processes run ahead of this one."""
    with contextlib.suppress(OSError, AttributeError):
        import fcntl

        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 1 << 20)


def _claim(claims: int) -> int | None:
    token = os.read(claims, 4)
    return int.from_bytes(token, "little") if len(token) == 4 else None


def _pickled(
    path: str, task: Callable[..., Any], args: tuple[Any, ...], racy_since: int | None
) -> tuple[bytes, StatKey | None, bytes | None]:
    value, stat, file_digest = _compute(Path(path), task, args, racy_since)
    return _dumps(value), stat, file_digest


def _serve_claims(
    chunks: list[list[str]],
    claims: int,
    results: int,
    task: Callable[..., Any],
    args: tuple[Any, ...],
    racy_since: int | None,
) -> None:  # pragma: no cover - runs in the child
    """A forked process: compute claimed chunks and send them, then leave without cleaning up
    what it shares with its parent (no buffers flushed, no exit handlers)."""
    code = 0
    try:
        while (claim := _claim(claims)) is not None:
            items = [_pickled(path, task, args, racy_since) for path in chunks[claim]]
            _send(results, claim, _dumps(items))
    except BaseException as error:  # sent to the parent, which raises it
        code = 1
        with contextlib.suppress(BaseException):
            try:
                payload = _dumps(error)
            except Exception:
                payload = _dumps(RuntimeError(repr(error)))
            _send(results, -1, payload)
    finally:
        os._exit(code)


def _send(fd: int, claim: int, payload: bytes) -> None:
    data = memoryview(claim.to_bytes(4, "little", signed=True) + len(payload).to_bytes(8, "little") + payload)
    while data:
        data = data[os.write(fd, data) :]


def _take_results(
    children: dict[int, int],
    buffers: dict[int, bytearray],
    done: dict[int, list[tuple[bytes, StatKey | None, bytes | None]]],
    *,
    block: bool,
) -> None:
    """Read what the other processes have sent (waiting for something when ``block``)."""
    import select

    ready = list(children)
    if block:
        ready, _, _ = select.select(ready, [], [])
    for fd in ready:
        buffer = buffers[fd]
        ended = False
        while True:
            try:
                data = os.read(fd, 1 << 20)
            except BlockingIOError:
                break
            if not data:
                ended = True
                break
            buffer += data
        while len(buffer) >= 12:
            size = int.from_bytes(buffer[4:12], "little")
            if len(buffer) < 12 + size:
                break
            claim = int.from_bytes(buffer[:4], "little", signed=True)
            payload = pickle.loads(buffer[12 : 12 + size])
            del buffer[: 12 + size]
            if claim < 0:
                raise payload
            done[claim] = payload
        if ended:  # that process has finished (or died): its unsent chunks are left to this one
            os.close(fd)
            pid = children.pop(fd)
            del buffers[fd]
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)


def _compute(
    path: Path, task: Callable[..., Any], args: tuple[Any, ...], racy_since: int | None
) -> tuple[Any, StatKey | None, bytes | None]:
    """``task(path, *args)``, with the file's stat taken before it is read (a change made
    meanwhile then misses the cache next time) and, for a recently changed file, its digest."""
    try:
        st = os.stat(path)
        stat: StatKey | None = stat_key(st)
    except OSError:
        stat = None
    file_digest = None
    if stat is not None and racy_since is not None and max(st.st_mtime_ns, st.st_ctime_ns) >= racy_since:
        file_digest = _file_digest(path)
        if file_digest is None:
            stat = None  # not a regular file, or unreadable: nothing to cache
    return task(path, *args), stat, file_digest


def _file_digest(path: Path | str) -> bytes | None:
    """The digest of a regular file's bytes (as many as a record may hold, plus one), else None.

    Never waits: a FIFO named like a record would block ``open`` until a writer came, and a
    device such as /dev/zero never ends; record.read_record_bytes refuses both the same way.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        try:
            if not S_ISREG(os.fstat(fd).st_mode):
                return None
            return digest(handle.read(MAX_RECORD_BYTES + 1))
        except OSError:
            return None


def cached_map(
    paths: Iterable[Path | str],
    task: Callable[..., Any],
    args: tuple[Any, ...],
    *,
    cache: ResultCache | None = None,
    usable: Callable[[Any], bool] = lambda meta: True,
    meta_of: Callable[[Any], Any] = lambda value: None,
    jobs: int = 1,
    chunk: int = 32,
    threshold: int | None = None,
    known: Mapping[str, StatKey | None] | None = None,
    prepare: Callable[[], None] | None = None,
    share: bool = False,
) -> Generator[tuple[Path | str, Any], None, None]:
    """(path, ``task(path, *args)``) in the order given: from the cache where its entry still
    holds (and ``usable`` accepts the entry's meta, ``meta_of(value)`` when stored), else
    computed, on ``jobs`` processes when there are many.

    Over ``PARALLEL_THRESHOLD`` misses, chunks of files go to a pool of processes, or with
    ``share`` are computed by this process and forked ones (``_shared_map``, where processes
    fork), and come back in order, streamed; cached values are read one at a time. ``prepare``
    is called then, before any process starts: what it imports or builds, every process inherits.

    ``share`` suits a consumer that keeps up (validate keeps a few findings): a slow one, such
    as a table of every row, would let the other processes' results pile up here while this
    process computes, where a pool's queue holds them in its own processes' stead.
    """
    todo: list[tuple[Path | str, Any]] = []
    for path in paths:
        entry = None
        if cache is not None:
            entry = cache.lookup(path, known.get(os.fspath(path)) if known is not None else None)
        if entry is not None and not usable(entry[2]):
            entry = None
        todo.append((path, entry))
    misses = [str(path) for path, entry in todo if entry is None]
    racy_since = cache.racy_since if cache is not None else None
    computed: Iterator[tuple[Any, StatKey | None, bytes | None]]
    pickled = False  # whether ``computed`` gives each value pickled (by a worker process)
    pool = None
    parallel = jobs > 1 and len(misses) >= (PARALLEL_THRESHOLD if threshold is None else threshold)
    if parallel and prepare is not None:
        prepare()  # once, before the processes fork: each of them inherits what it readied
    if parallel and share and hasattr(os, "fork") and sys.platform == "linux":
        computed = _shared_map(misses, task, args, racy_since, jobs, chunk)
        pickled = True
    elif parallel:
        import multiprocessing

        context = multiprocessing.get_context("fork" if sys.platform == "linux" else "spawn")
        pool = context.Pool(jobs, initializer=_init_worker, initargs=(task, args, racy_since))
        chunks = [misses[i : i + chunk] for i in range(0, len(misses), chunk)]
        computed = (item for batch in pool.imap(_run_chunk, chunks) for item in batch)
        pickled = True
    else:
        computed = (_compute(Path(p), task, args, racy_since) for p in misses)
    try:
        for path, entry in todo:
            if entry is not None and cache is not None:
                try:
                    raw = cache.read_value(entry)
                    value = pickle.loads(raw)
                except Exception:  # the cache file changed under us: compute this one here
                    value, stat, file_digest = _compute(Path(path), task, args, racy_since)
                    if stat is not None:
                        cache.write(path, stat, file_digest, meta_of(value), _dumps(value), new=True)
                else:
                    cache.write(path, entry[0], entry[1], entry[2], raw, new=False)
                yield path, value
                continue
            value, stat, file_digest = next(computed)
            pickle_of = None
            if pickled:
                pickle_of, value = value, pickle.loads(value)
            if cache is not None and stat is not None:
                pickle_of = _dumps(value) if pickle_of is None else pickle_of
                cache.write(path, stat, file_digest, meta_of(value), pickle_of, new=True)
            yield path, value
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
        close = getattr(computed, "close", None)
        if close is not None:
            close()  # a shared map's processes are stopped and waited for


def _dumps(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _check_task(path: Path, config: Config, as_of: date, fast: bool) -> Checked:
    return check_one(path, config, as_of, fast=fast)


def _prepare_check() -> None:
    """What every check needs, made once before the processes fork: the modules, the validator
    and the schema's positions."""
    from . import check  # noqa: F401 - imported for the processes to inherit
    from .schema import _validator, closed

    closed(1)
    _validator(1)


def check_many(
    paths: Iterable[Path | str],
    config: Config,
    as_of: date,
    *,
    cache: ResultCache | None = None,
    jobs: int = 1,
    fast: bool = True,
    chunk: int = 32,
    threshold: int | None = None,
) -> Iterator[tuple[Path | str, Checked]]:
    """(path as given, what checking it found) in the order given, as ``check_file`` would find it."""

    def usable(meta: Any) -> bool:
        return isinstance(meta, tuple) and Checked((), *meta).valid_on(as_of)

    def meta_of(value: Checked) -> tuple[date | None, date | None]:
        return (value.valid_from, value.valid_until)

    yield from cached_map(
        paths,
        _check_task,
        (config, as_of, fast),
        cache=cache,
        usable=usable,
        meta_of=meta_of,
        jobs=jobs,
        chunk=chunk,
        threshold=SHARED_THRESHOLD if threshold is None else threshold,
        prepare=_prepare_check,
        share=True,
    )


# --- rows of status and summary --------------------------------------------------------------


def _row_task(
    path: Path, config: Config, as_of: date, checked_on: date, shown: Callable[[Path], str]
) -> tuple[str, Any, str]:
    """("row", row fields, shown) of a valid record, or ("skip", reason, shown)."""
    from .portfolio import row_or_reason

    path_shown = shown(path)
    row = row_or_reason(path, config, as_of, checked_on, path_shown)
    if isinstance(row, str):
        return ("skip", row, path_shown)
    # Kept as a plain tuple: rebuilt by calling the class, far cheaper to unpickle than the object.
    return ("row", tuple(getattr(row, name) for name in _row_fields()), path_shown)


@functools.cache
def _row_fields() -> tuple[str, ...]:
    from dataclasses import fields

    from .portfolio import ProjectRow

    return tuple(f.name for f in fields(ProjectRow))


def cached_rows(
    paths: Iterable[Path],
    config: Config,
    as_of: date,
    checked_on: date,
    shown: Callable[[Path], str],
    skip: Callable[[str, str], None],
    environ: Mapping[str, str] = os.environ,
    listed: list[Any] | None = None,
    scanned: list[tuple[str, StatKey | None]] | None = None,
) -> Iterator[Any]:
    """``portfolio.rows`` with the cache and the cores: the same rows, in the same order.

    Rows depend on ``as_of``, on the day of the check and on the folder they are shown from,
    so those are part of the cache file's fingerprint: one cache file per repository holds the
    rows of the latest (as_of, day, folder); on a new day the records are read again.
    """
    from .repository import list_records

    paths = list(paths)
    folder = cache_folder(environ)
    cache = (
        ResultCache(folder, config, "rows", as_of, checked_on, os.getcwd()) if folder is not None else None
    )
    from .portfolio import ProjectRow

    # Names, not Path objects: 10,000 of those would cost several MB.
    known: dict[str, StatKey | None] | None = None
    if scanned is not None:  # the records folder as OutputMemo read it: the walk's files, their stat
        known = dict(scanned)
        del scanned  # the caller hands it over (OutputMemo.take_scanned): held once, as ``known``
        names: list[tuple[str, str | None]] = [(name, None) for name in known]
    else:
        names = [
            (os.fspath(e.path), e.refused)
            for e in (list_records(paths, config) if listed is None else listed)
        ]
    files = [name for name, refused in names if not refused]
    args = (config, as_of, checked_on, shown)
    results = cached_map(files, _row_task, args, cache=cache, jobs=jobs_wanted(environ), known=known)
    try:
        for name, refused in names:
            if refused:
                skip(shown(Path(name)), refused)
                continue
            kind, payload, path_shown = next(results)[1]
            if kind == "row":
                yield ProjectRow(*payload)
            else:
                skip(path_shown, payload)
        if cache is not None:
            # The whole records folder was walked: entries of files not met are of files gone.
            cache.save(keep=None if paths else lambda key: False)
    finally:
        results.close()
        if cache is not None:
            cache.close()


# --- whole outputs -----------------------------------------------------------------------------


class OutputMemo:
    """The whole output of a reading command (``status``, ``summary``) on a repository that has
    not changed since: the last run's stdout and stderr, kept under a digest of everything they
    depend on: the cache's fingerprint (tool, schema, config), the command's arguments and
    settings (``parts``: the date, the day of the run, the folder, the width...), and the name,
    refusal and stat of every file listed. Any file changed, added, removed or renamed is
    another digest. A file changed too recently for its stat to be trusted (see ``RACY_NS``)
    turns the memo off for that run. One memo per command and repository; text, not pickles.
    """

    MAGIC = b"projledger-output %d\n" % CACHE_FORMAT

    def __init__(
        self, folder: Path, config: Config, command: str, listed: Iterable[Any] | None, *parts: object
    ) -> None:
        """``listed``: the entries ``repository.list_records`` gave; None for the whole records
        folder, then read here with one ``scandir`` a folder and one stat a file."""
        self.folder = folder
        root = hashlib.sha256(str(config.root).encode()).hexdigest()[:16]
        self.path = folder / f"{command}-output-{root}.memo"
        #: The record files of the records folder in the walk's order, with their stat (None: it
        #: could not be taken), when it was read here and held no link; for the rows to use.
        self.scanned: list[tuple[str, StatKey | None]] | None = None
        self.key = self._key(config, command, listed, parts)

    def _key(
        self, config: Config, command: str, listed: Iterable[Any] | None, parts: tuple[object, ...]
    ) -> bytes | None:
        racy_since = filesystem_now(self.folder) - RACY_NS
        h = hashlib.sha256(fingerprint(config, "output", command, *parts).encode())
        entries: Iterable[tuple[str | None, str | None, bool]]
        scanned: list[tuple[str, StatKey | None]] | None = None
        if listed is None:
            entries = _records_folder(os.fspath(config.records_dir))
            scanned = []
        else:
            entries = ((os.fspath(e.path), e.refused, False) for e in listed)
        lines = []
        racy = False
        for name, refused, is_record in entries:
            if name is None:  # a link in the records folder: its rules are the walk's, not ours
                return None
            try:
                st = os.stat(name)
            except OSError:
                lines.append(f"{name}\0{refused}\0-\n")
                if is_record and scanned is not None:
                    scanned.append((name, None))
                continue
            racy = racy or st.st_mtime_ns >= racy_since or st.st_ctime_ns >= racy_since
            lines.append(f"{name}\0{refused}\0{st.st_size} {st.st_mtime_ns} {st.st_ino} {st.st_ctime_ns}\n")
            if is_record and scanned is not None:
                scanned.append((name, (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)))
        self.scanned = scanned
        if racy:  # changed too recently for its stat to say it is unchanged: no memo this run
            return None
        h.update("".join(lines).encode("utf-8", "surrogateescape"))
        return h.digest()

    def take_scanned(self) -> list[tuple[str, StatKey | None]] | None:
        """The records folder's files and their stat, handed over (the memo keeps no copy)."""
        scanned, self.scanned = self.scanned, None
        return scanned

    def get(self) -> tuple[bytes, bytes] | None:
        """(stdout, stderr) of the last run, UTF-8, if it ran on exactly this; else None."""
        if self.key is None:
            return None
        try:
            with open(self.path, "rb") as handle:
                if not _owned_safely(handle):
                    return None
                head = handle.read(len(self.MAGIC) + len(self.key) + 8)
                if head[: len(self.MAGIC)] != self.MAGIC or head[len(self.MAGIC) : -8] != self.key:
                    return None
                size = int.from_bytes(head[-8:], "little")
                out = handle.read(size)
                err = handle.read()
        except OSError:
            return None
        return (out, err) if len(out) == size else None

    def put(self, out: list[bytes], err: str) -> None:
        """Keep this run's output (stdout as UTF-8 pieces); never an error: a memo only saves time."""
        if self.key is None:
            return
        name = ""
        try:
            handle, name = tempfile.mkstemp(prefix=".tmp-", suffix=".memo", dir=self.folder)
            with os.fdopen(handle, "wb") as stream:
                stream.write(self.MAGIC + self.key + sum(map(len, out)).to_bytes(8, "little"))
                for piece in out:
                    stream.write(piece)
                stream.write(err.encode("utf-8"))
            os.replace(name, self.path)
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                if name:
                    os.unlink(name)


def _records_folder(folder: str) -> Iterator[tuple[str | None, str | None, bool]]:
    """(path, None, whether ``repository.walk_records`` lists it) of every entry under ``folder``
    but hidden folders, in the walk's order (a folder's files by name, then its folders by name);
    (None, None, False) at the first link, where the walk's own rules decide."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    files, folders = [], []
    for entry in entries:
        if entry.is_symlink():
            yield None, None, False
            return
        if entry.is_dir(follow_symlinks=False):
            if not entry.name.startswith("."):
                folders.append(entry)
        else:
            files.append(entry)
    for entry in sorted(files, key=lambda e: e.name):
        yield entry.path, None, entry.name.endswith(".toml") and not entry.name.startswith(".")
    for entry in sorted(folders, key=lambda e: e.name):
        yield entry.path + os.sep, None, False
        for item in _records_folder(entry.path):
            yield item
            if item[0] is None:
                return
