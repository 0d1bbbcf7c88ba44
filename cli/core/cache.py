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

# pickle, signal and tempfile are imported where they are used: a run answered from the output
# memo (OutputMemo) needs none of them, and every millisecond of its start shows.
import contextlib
import hashlib
import os
import sys
from array import array
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from stat import S_ISREG
from typing import Any, BinaryIO

from .config import Config
from .findings import Finding, Severity

#: Bump when what an entry holds changes shape.
CACHE_FORMAT = 2
#: Files changed this close to the start of a run are verified by content (FAT's mtime is 2 s).
RACY_NS = 3_000_000_000
#: Dead bytes a cache file may carry beyond as many as its live values before it is compacted.
COMPACT_SLACK = 1 << 20
#: Bytes of cached values read at once.
READ_AHEAD = 1 << 18
#: Below this many files to check, a process pool costs more than it saves: measured on 2
#: cores, 1,000 files took 0.80 s with a pool and 0.66 s without; 10,000 took 3.8 s and 6.0 s.
PARALLEL_THRESHOLD = 2000
#: The same for the shared map (``_shared_map``), whose only cost is a fork: 1,000 files
#: validated cold took about 0.35 s shared against 0.45 s in one process.
SHARED_THRESHOLD = 500

StatKey = tuple[int, int, int, int]
FindingData = tuple[int | None, str, str, str, str, int | None]


def cache_folder(environ: Mapping[str, str], config: Config | None = None) -> Path | None:
    """Where the cache lives for this environment, or None when it is turned off.

    A relative ``PROJLEDGER_CACHE_DIR`` is made absolute against the folder the command started
    in. A cache folder in the records folder of ``config`` is never used (the records folder
    holds records only: every command walks it): None, and ``cache_among_records`` says why.
    """
    if environ.get("PROJLEDGER_NO_CACHE", "") not in ("", "0"):
        return None
    if environ.get("PROJLEDGER_CACHE_DIR", "").strip():  # a blank one is no folder: unset
        folder = Path(os.path.abspath(environ["PROJLEDGER_CACHE_DIR"]))
    else:
        xdg = environ.get("XDG_CACHE_HOME", "")
        base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
        folder = base / "projledger"
    if config is not None and _among_records(folder, config):
        return None
    return folder


def cache_among_records(environ: Mapping[str, str], config: Config) -> str | None:
    """One line to warn with when the cache folder asked for is in the records folder or the
    repository's ``.git`` (and so not used), else None."""
    folder = cache_folder(environ)
    place = None if folder is None else _forbidden_place(folder, config)
    if folder is None or place is None:
        return None
    return (
        f"the cache folder {folder} is in {place}: running without the cache "
        "(set PROJLEDGER_CACHE_DIR elsewhere)"
    )


def _among_records(folder: Path, config: Config) -> bool:
    return _forbidden_place(folder, config) is not None


def _forbidden_place(folder: Path, config: Config) -> str | None:
    """Where no cache may go that holds ``folder``, in words: the records folder (every command
    walks it) or the repository's ``.git`` (which git alone may write), as for any output."""
    from .outputs import git_dirs

    where = Path(os.path.realpath(folder))  # never Path.resolve: a link loop is no crash here
    records = Path(os.path.realpath(config.records_dir))
    if where.is_relative_to(records):
        return f"the records folder {config.records_dir}, which holds records only"
    for git in git_dirs((records, config.root)):
        if where.is_relative_to(git):
            return f"the repository's .git ({git}), which git alone may write"
    return None


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


def check_one(
    path: Path | str, config: Config, as_of: date, *, fast: bool = True, seen: Any = None
) -> Checked:
    """Check a file and say for which days of the check its findings hold (``seen``: a
    ``record.Seen`` to learn what was read)."""
    check_file, _plausible, _, day_rules = _checking()
    result = check_file(path, config, as_of, "", fast=fast, seen=seen)
    findings = tuple(
        (f.line, f.field, f.rule, f.severity.value, f.message, f.column) for f in result.findings
    )
    if result.project is None:
        return Checked(findings)
    if any(f[2] in day_rules for f in findings):
        return Checked(findings, as_of, as_of)  # the message names the day
    dates = [r.date for r in result.project.reports if _plausible(r.date)]
    return Checked(findings, max(dates) if dates else None, None)


#: (check.check_file, rules._plausible, record.Seen, rules.AS_OF_RULES: the rules whose findings
#: depend on the day, as each rule declares), imported at the first check: a run answered
#: from the memo needs none of them, and an import statement run for every file costs a
#: microsecond or two each time.
_CHECKING: list[Any] = []


def _checking() -> list[Any]:
    if not _CHECKING:
        from .check import check_file
        from .record import Seen
        from .rules import AS_OF_RULES, _plausible

        _CHECKING.extend((check_file, _plausible, Seen, AS_OF_RULES))
    return _CHECKING


# --- the cache file ----------------------------------------------------------------------------


#: The libraries whose behaviour a cached result depends on: the record parsers, the validator.
_LIBRARIES = ("tomli", "toml_rs", "jsonschema_rs")


def _package_folders() -> list[Path]:
    """The folders the installed tool is made of: its package and its schemas."""
    from importlib.util import find_spec

    schemas = find_spec("projledger.schemas")
    return [
        Path(__file__).resolve().parent.parent,
        *map(Path, (schemas and schemas.submodule_search_locations) or []),
    ]


def _code_fingerprint() -> list[object]:
    """The tool as it is on disk, without importing anything: the stat of every file of the
    package (its modules, commands, templates and schemas: an edited rule or template is
    another tool, and installing another version rewrites them all), and where each library
    that reads records is installed, with the stat of its module and of the folder that holds
    it (installing or upgrading any package there changes that folder), so a cache is never
    trusted across a change of code or library. (The version string is not read: finding it
    costs importlib.metadata, about 25 ms of a run answered from the memo.)"""
    from importlib.util import find_spec

    files = []
    for folder in _package_folders():
        for where, subfolders, names in os.walk(folder):
            subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
            for name in sorted(names):
                if name.endswith((".py", ".json", ".html", ".css", ".js")):
                    st = os.stat(os.path.join(where, name))
                    files.append((os.path.relpath(where, folder), name, st.st_size, st.st_mtime_ns))
    libraries: list[tuple[object, ...]] = []
    for name in _LIBRARIES:
        spec = find_spec(name)
        if spec is None or spec.origin is None:
            libraries.append((name, None))
            continue
        home = os.path.dirname(
            spec.submodule_search_locations[0] if spec.submodule_search_locations else spec.origin
        )
        module, installed = os.stat(spec.origin), os.stat(home)
        libraries.append((name, spec.origin, module.st_size, module.st_mtime_ns, installed.st_mtime_ns))
    return [CACHE_FORMAT, sys.version, files, libraries]


def fingerprint(config: Config, *extra: object) -> str:
    """Everything a cached result depends on besides the file itself (the schema's text is
    among the package's files)."""
    parts = [*_code_fingerprint(), config.fingerprint(), *extra]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def filesystem_now(folder: Path) -> int:
    """The filesystem's idea of now: the mtime of a file made for the purpose (named by this
    process, made only if it does not exist, removed at once)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for attempt in range(100):
            name = os.path.join(folder, f".probe-{os.getpid()}-{attempt}")
            try:
                handle = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            except FileExistsError:  # left by a process of the same number that was killed
                continue
            try:
                return os.fstat(handle).st_mtime_ns
            finally:
                os.close(handle)
                os.unlink(name)
    except OSError:
        pass
    return 1 << 62  # cannot tell: treat every file as racy (verified by content)


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
        root = hashlib.sha256(os.fsencode(config.root)).hexdigest()[:16]
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
    import signal

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
    # A check reads its path as given (no Path made per file: record.path_names).
    value, stat, file_digest = _compute(path if task in _SEEING else Path(path), task, args, racy_since)
    if type(value) is Checked and not value.findings:
        # Most files check clean, and their values differ only in their days: pickled once each.
        key = (value.valid_from, value.valid_until)
        data = _CLEAN_PICKLES.get(key)
        if data is None:
            data = _CLEAN_PICKLES[key] = _dumps(value)
        return data, stat, file_digest
    return _dumps(value), stat, file_digest


#: Pickles of clean ``Checked`` values by their (valid_from, valid_until): dates or None, whose
#: equal values pickle alike (a few thousand at most: the days of a portfolio's last reports).
_CLEAN_PICKLES: dict[tuple[date | None, date | None], bytes] = {}


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
    import pickle
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
    path: Path | str, task: Callable[..., Any], args: tuple[Any, ...], racy_since: int | None
) -> tuple[Any, StatKey | None, bytes | None]:
    """``task(path, *args)``, with the file's stat taken before it is read (a change made
    meanwhile then misses the cache next time) and, for a recently changed file, its digest.

    A task of ``_SEEING`` takes that stat itself, of the file it opened, and gives the bytes it
    read for the digest: one system call less per file. A file it could not open is not cached
    (its stat, taken afterwards, could describe a file changed since)."""
    if task in _SEEING:
        seen = _checking()[2]()
        value = task(path, *args, seen=seen)
        if seen.stat is None:
            return value, None, None
        st = seen.stat
        if racy_since is None or max(st.st_mtime_ns, st.st_ctime_ns) < racy_since:
            return value, stat_key(st), None
        if seen.raw is None:
            return value, None, None  # not a regular file, or unreadable: nothing to cache
        return value, stat_key(st), digest(seen.raw)
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


def _file_digest(path: Path | str) -> bytes | None:
    """The digest of a regular file's bytes (as many as a record may hold, plus one), else None.

    Never waits: a FIFO named like a record would block ``open`` until a writer came, and a
    device such as /dev/zero never ends; record.read_record_bytes refuses both the same way.
    """
    from .record import MAX_RECORD_BYTES

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
    import pickle

    todo: list[tuple[Path | str, str, int | None]] = []  # each file, its key, where its entry is
    for path in paths:
        found, key = None, ""
        if cache is not None:
            key = cache.key(path)
            found = cache.find(key, known.get(os.fspath(path)) if known is not None else None)
        if found is not None and not usable(cache.meta(found)):  # type: ignore[union-attr]
            found = None
        todo.append((path, key, found))
    if isinstance(known, dict):
        known.clear()  # handed over by the caller (cached_rows): not held while the values stream
    misses = [str(path) for path, _, found in todo if found is None]
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
    elif jobs > 1 and misses and len(misses) < len(todo) and hasattr(os, "fork"):
        # A few files changed among many cached: one forked process computes them (importing
        # what reading records needs, there only) while this one streams the cached values.
        computed = _in_background(misses, task, args, racy_since)
    else:
        computed = (_compute(Path(p), task, args, racy_since) for p in misses)
    try:
        for path, key, found in todo:
            if found is not None and cache is not None:
                try:
                    value = pickle.loads(cache.value_at(found))
                except Exception:  # the cache file changed under us: compute this one here
                    value, stat, file_digest = _compute(Path(path), task, args, racy_since)
                    if stat is not None:
                        cache.write(path, stat, file_digest, meta_of(value), _dumps(value), new=True)
                else:
                    cache.keep_at(key, found)
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
            close()  # a shared map's or a background process is stopped and waited for


def _in_background(
    paths: list[str], task: Callable[..., Any], args: tuple[Any, ...], racy_since: int | None
) -> Iterator[tuple[Any, StatKey | None, bytes | None]]:
    """``_compute`` of every path, in order, by one forked process, each result read from its
    pipe when it is wanted; what that process did not send (it failed, or was stopped) is
    computed here."""
    import pickle
    import signal

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child: computes, sends, and leaves at once
        os.close(read_end)
        code = 1
        try:
            with os.fdopen(write_end, "wb") as out:
                for path in paths:
                    data = _dumps(_compute(Path(path), task, args, racy_since))
                    out.write(len(data).to_bytes(8, "little") + data)
                    out.flush()
            code = 0
        finally:
            os._exit(code)  # nothing of the parent's is flushed or cleaned up twice
    os.close(write_end)
    sent = 0
    try:
        with os.fdopen(read_end, "rb") as results:
            for _ in paths:
                head = results.read(8)
                data = results.read(int.from_bytes(head, "little")) if len(head) == 8 else b""
                if len(head) < 8 or len(data) < int.from_bytes(head, "little"):
                    break
                yield pickle.loads(data)
                sent += 1
        for path in paths[sent:]:
            yield _compute(Path(path), task, args, racy_since)
    finally:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
        with contextlib.suppress(OSError):
            os.waitpid(pid, 0)


def _dumps(value: Any) -> bytes:
    import pickle

    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _check_task(path: Path | str, config: Config, as_of: date, fast: bool, *, seen: Any = None) -> Checked:
    return check_one(path, config, as_of, fast=fast, seen=seen)


#: Tasks that take the file's stat themselves, on the file they open (``seen=``, a
#: ``record.Seen``): ``_compute`` then takes no stat of its own, nor reads a racy file again.
_SEEING = frozenset({_check_task})


def _prepare_check() -> None:
    """What every check needs, made once before the processes fork: the modules, the validator
    and the schema's positions."""
    from . import check  # noqa: F401 - imported for the processes to inherit
    from .schema import _validator

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
    path: Path,
    config: Config,
    as_of: date,
    checked_on: date,
    shown: Callable[[Path], str],
    present: Callable[[Any], Any] | None = None,
) -> tuple[str, Any, str]:
    """("row", row fields or ``present(row)``, shown) of a valid record, or ("skip", reason, shown)."""
    from .portfolio import row_or_reason

    path_shown = shown(path)
    row = row_or_reason(path, config, as_of, checked_on, path_shown)
    if isinstance(row, str):
        return ("skip", row, path_shown)
    if present is not None:
        return ("row", present(row), path_shown)
    # Kept as a plain tuple: far cheaper to unpickle than the named tuple (whose class is called).
    return ("row", tuple(row), path_shown)


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
    present: Any = None,
) -> Iterator[Any]:
    """``portfolio.rows`` with the cache and the cores: the same rows, in the same order.

    Rows depend on ``as_of``, on the day of the check and on the folder they are shown from,
    so those are part of the cache file's fingerprint: one cache file per repository holds the
    rows of the latest (as_of, day, folder); on a new day the records are read again.
    ``present``: a ``portfolio.Presenter``: what is kept and given for each row instead of the
    row, in a cache file of its own.
    """
    from .repository import list_records

    paths = list(paths)
    folder = cache_folder(environ, config)
    namespace = "rows" if present is None else f"rows.{present.name}"
    cache = (
        ResultCache(folder, config, namespace, as_of, checked_on, os.getcwd()) if folder is not None else None
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
    args = (config, as_of, checked_on, shown, present.make if present is not None else None)
    results = cached_map(files, _row_task, args, cache=cache, jobs=jobs_wanted(environ), known=known)
    try:
        for name, refused in names:
            if refused:
                skip(shown(Path(name)), refused)
                continue
            kind, payload, path_shown = next(results)[1]
            if kind == "row":
                yield ProjectRow._make(payload) if present is None else present.load(payload)
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
        root = hashlib.sha256(os.fsencode(config.root)).hexdigest()[:16]
        self.path = folder / f"{command}-output-{root}.memo"
        #: The record files of the records folder in the walk's order, with their stat (None: it
        #: could not be taken), when it was read here and held no link; for the rows to use.
        self.scanned: list[tuple[str, StatKey | None]] | None = None
        self.key = self._key(config, command, listed, parts)

    def _key(
        self, config: Config, command: str, listed: Iterable[Any] | None, parts: tuple[object, ...]
    ) -> bytes | None:
        racy_since = filesystem_now(self.folder) - RACY_NS
        #: Everything the output depends on but the files (for a memo of the last table, which
        #: mends itself when files changed: core/tablememo.py).
        self.arguments = fingerprint(config, "output", command, *parts)
        h = hashlib.sha256(self.arguments.encode("utf-8", "surrogateescape"))
        listing = _Listing()
        if listed is None:
            listing.scanned = []
            if not listing.scan(os.fspath(config.records_dir)):
                return None  # a link in the records folder: its rules are the walk's, not ours
        else:
            for e in listed:
                name = os.fspath(e.path)
                try:
                    listing.add(f"{name}\0{e.refused}", os.stat(name))
                except OSError:
                    listing.add(f"{name}\0{e.refused}", None)
        self.scanned = listing.scanned
        if listing.newest >= racy_since:  # changed too recently for its stat to say it is unchanged
            return None
        h.update("\n".join(listing.names).encode("utf-8", "surrogateescape"))
        try:
            h.update(array("q", listing.numbers).tobytes())
        except OverflowError:  # an inode number past 2**63
            h.update(repr(listing.numbers).encode())
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

    def put(self, out: list[bytes], err: str, *, lines: bool = False) -> None:
        """Keep this run's output (stdout as UTF-8 pieces; ``lines``: each piece a line without
        its end, so that no copy of the whole is made); never an error: a memo only saves time."""
        if self.key is None:
            return
        end = b"\n" if lines else b""
        name = ""
        try:
            import tempfile

            handle, name = tempfile.mkstemp(prefix=".tmp-", suffix=".memo", dir=self.folder)
            with os.fdopen(handle, "wb") as stream:
                size = sum(map(len, out)) + len(end) * len(out)
                stream.write(self.MAGIC + self.key + size.to_bytes(8, "little"))
                for piece in out:
                    stream.write(piece)
                    stream.write(end)
                stream.write(err.encode("utf-8"))
            os.replace(name, self.path)
        except (OSError, ValueError):
            with contextlib.suppress(OSError):
                if name:
                    os.unlink(name)


class _Listing:
    """What ``OutputMemo`` digests of the files it depends on: their names (and refusals) and
    stat numbers, the newest time among them, and the record files found with their stat."""

    def __init__(self, *, stats: bool = True) -> None:
        self.names: list[str] = []
        self.numbers: list[int] = []
        self.newest = 0
        self.scanned: list[tuple[str, StatKey | None]] | None = None
        self.stats = stats  # False: the names only, nothing stat'ed

    def add(self, name: str, st: os.stat_result | None) -> StatKey | None:
        self.names.append(name)
        if st is None:
            self.numbers += (-1, -1, -1, -1)
            return None
        key = (st.st_size, st.st_mtime_ns, st.st_ino, st.st_ctime_ns)
        self.numbers += key
        self.newest = max(self.newest, key[1], key[3])
        return key

    def scan(self, folder: str) -> bool:
        """Every entry under ``folder`` but hidden folders, in the order of
        ``repository.walk_records`` (a folder's files by name, then its folders by name, each
        folder's own entry ending with a separator); the walk's record files into ``scanned``.
        False at the first link, where the walk's own rules decide."""
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return True
        files, folders = [], []
        for entry in entries:
            if entry.is_symlink():
                return False
            if entry.is_dir(follow_symlinks=False):
                if not entry.name.startswith("."):
                    folders.append(entry)
            else:
                files.append(entry)
        files.sort(key=_entry_name)
        folders.sort(key=_entry_name)
        scanned = self.scanned
        for entry in files:
            path = entry.path
            key = self._stat(path, entry)
            if scanned is not None and entry.name.endswith(".toml") and not entry.name.startswith("."):
                scanned.append((path, key))
        for entry in folders:
            self._stat(entry.path + os.sep, entry)
            if not self.scan(entry.path):
                return False
        return True

    def _stat(self, name: str, entry: os.DirEntry[str]) -> StatKey | None:
        if not self.stats:
            return None
        try:
            return self.add(name, entry.stat(follow_symlinks=False))  # not a link: its own stat
        except OSError:
            return self.add(name, None)


def record_files(folder: str) -> list[str] | None:
    """The record files of the records folder as ``repository.walk_records`` lists them, in its
    order, from one ``scandir`` a folder and no stat; None where a link lies below it (then the
    walk's own rules decide)."""
    listing = _Listing(stats=False)
    listing.scanned = []
    if not listing.scan(folder):
        return None
    return [name for name, _ in listing.scanned]


def _entry_name(entry: os.DirEntry[str]) -> str:
    return entry.name
