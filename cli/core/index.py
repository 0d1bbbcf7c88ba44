"""The derived index: what every reading command knows of the records without reading them.

One SQLite database per repository in the user's cache folder (``$XDG_CACHE_HOME/projledger``
or ``~/.cache/projledger``; ``PROJLEDGER_CACHE_DIR`` moves it, ``PROJLEDGER_NO_CACHE=1`` or
``--no-cache`` turns it off), never in the repository. Its tables (README, "The index"):

- ``meta``: the index's format and the fingerprint of everything it depends on besides the
  records: the tool's files (modules, rules, schemas, templates), the libraries that read
  records, the config. Any change there and the index is emptied and rebuilt.
- ``files``: each record file's stat key (size, mtime_ns, inode, ctime_ns), a digest of its
  bytes when it changed within ``RACY_NS`` of the run that read it (then trusted only after
  hashing it again, as git does with "racily clean" files), its findings (JSON), the days of
  the check they hold for (``valid_from``/``valid_until``: a rule that reads the day makes them
  hold for fewer days), and the facts (JSON) from which a row for any date is computed.
- ``kept``: what a command made of a row (a status line, a summary row, the site's row with its
  lines of data.json and data.csv), as a text or as columns, per file and
  ``variant`` (the command's form, the date, the day of the check, the folder it is shown from).
- ``outputs``: the whole output of a reading command, under a digest of its arguments and of
  the names and stat keys of every file it read; its stdout in ``output_pieces``, as printed.

Every reading command refreshes it by stat and then queries it, in one transaction (WAL): it
reads the index as it was when the run began, and writes in it only if no other run stored
meanwhile, so a killed run leaves the last good index, and a run that cannot take the write lock
runs without storing. A damaged, foreign-owned or older index is deleted and built again;
nothing here is ever an error: an index only saves time. No pickles.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import sys
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from datetime import date
from decimal import Decimal
from functools import cache
from itertools import islice
from operator import attrgetter
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from .config import Config
from .findings import Finding, Severity
from .text import storable, utf8_encodable

if TYPE_CHECKING:
    from concurrent.futures import Executor

try:  # CPython's own BLAKE2: hashlib would load OpenSSL as well (3.4 MB and 4 ms of every run)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - a Python without it
    from hashlib import blake2b

T = TypeVar("T")
R = TypeVar("R")

#: Bump when a table changes shape.
INDEX_FORMAT = 6
#: Files changed this close to the start of a run are verified by content (FAT's mtime is 2 s).
RACY_NS = 3_000_000_000
#: Below this many files to check, a process pool costs more than it saves (2 cores: 1,000
#: files took 0.80 s with a pool and 0.66 s without; 10,000 took 3.8 s and 6.0 s).
PARALLEL_THRESHOLD = 2000
#: The most values a row's kept columns hold (``kept``: c0 ... c15).
KEPT_COLUMNS = 16
#: Seconds a run rebuilding the index waits for another's write lock before it runs without it.
LOCK_TIMEOUT = 2.0
#: SQLite's page cache of the index, in KB (its default is 2,000): a run reads each table once,
#: in order, and writes mostly at the end of each index (paths in the order walked), so a small
#: cache costs no time; the default one was 2.6 MB of a cold status run's 56 MB at its peak.
CACHE_KB = 256

#: How the facts of a KPI begin (``kpi.kpi_facts`` puts its kind first), to find them by.
KPI_FACTS = '{"kind":"kpi"'

StatKey = tuple[int, int, int, int]
#: What ``Index.held`` gives of a file whose entry holds: (clean, valid_from, valid_until).
Held = tuple[str | None, str | None, str | None]
FindingData = tuple[int | None, str, str, str, str, int | None]


def link_facts(facts: str) -> dict[str, Any]:
    """Of a KPI's facts (JSON), what ``kpi.kpi_link_findings`` reads: its code and the projects
    it names (a validate of 2,000 KPIs holds these, not their whole facts)."""
    found = json.loads(facts)
    return {"code": found.get("code", ""), "projects": found.get("projects", [])}


# --- where it lives --------------------------------------------------------------------------


def cache_folder(environ: Mapping[str, str], config: Config | None = None) -> Path | None:
    """Where the index lives for this environment, or None when it is turned off.

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
    return None if config is not None and _forbidden_place(folder, config) is not None else folder


def cache_among_records(environ: Mapping[str, str], config: Config) -> str | None:
    """One line to warn with when the cache folder asked for is in the records folder or the
    repository's ``.git`` (and so not used), else None."""
    from .i18n import _

    folder = cache_folder(environ)
    if folder is None or (place := _forbidden_place(folder, config)) is None:
        return None
    return _(
        "the cache folder {folder} is in {place}: running without the cache (set PROJLEDGER_CACHE_DIR elsewhere)"
    ).format(folder=folder, place=place)


def _forbidden_place(folder: Path, config: Config) -> str | None:
    """Where no cache may go that holds ``folder``, in words: the records folder (every command
    walks it) or the repository's ``.git`` (which git alone may write), as for any output."""
    from .i18n import _
    from .outputs import git_dirs

    where = Path(os.path.realpath(folder))  # never Path.resolve: a link loop is no crash here
    records = Path(os.path.realpath(config.records_dir))
    if where.is_relative_to(records):
        return _("the records folder {folder}, which holds records only").format(folder=config.records_dir)
    for git in git_dirs((records, config.root)):
        if where.is_relative_to(git):
            return _("the repository's .git ({git}), which git alone may write").format(git=git)
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
    # An inode past 2**63 is kept as its two's complement: SQLite's integers are signed.
    ino = st.st_ino if st.st_ino < 1 << 63 else st.st_ino - (1 << 64)
    return (st.st_size, st.st_mtime_ns, ino, st.st_ctime_ns)


def path_stat_key(path: str, follow: bool = True) -> StatKey | None:
    """The stat key of the file at ``path`` (of a link itself, unless ``follow``); None when it
    cannot be had."""
    try:
        return stat_key(os.stat(path) if follow else os.lstat(path))
    except OSError:
        return None


def digest(raw: bytes) -> bytes:
    return blake2b(raw, digest_size=16).digest()


def key_of(raw: bytes) -> str:
    """The key something is stored under, as text: a digest of everything it depends on."""
    return blake2b(raw, digest_size=32).hexdigest()


def file_digest(path: Path | str) -> bytes | None:
    """The digest of a regular file's bytes (as many as a record may hold, plus one), else None.
    Never waits: a FIFO named like a record is not opened for reading until a writer comes."""
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


def filesystem_now(folder: Path) -> int:
    """The filesystem's idea of now: the mtime of a file made for the purpose (named by this
    process, made only if it does not exist, removed at once); never the system clock."""
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


#: The libraries whose behaviour what the index holds depends on: the record readers, the validator.
_LIBRARIES = ("tomli", "toml_rs", "jsonschema_rs")


def code_fingerprint() -> list[object]:
    """The tool as it is on disk, without importing anything: the stat of every file of the
    package (an edited rule, schema or template is another tool) and where each library that
    reads records is installed, with the stat of its module and of the folder that holds it."""
    from importlib.util import find_spec

    files = []
    schemas = find_spec("projledger.schemas")
    extra = (schemas and schemas.submodule_search_locations) or []
    for folder in [Path(__file__).resolve().parent.parent, *map(Path, extra)]:
        for where, subfolders, names in os.walk(folder):
            subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
            for name in sorted(names):
                if name.endswith((".py", ".json", ".html", ".css", ".js", ".mo")):
                    st = os.stat(os.path.join(where, name))
                    files.append((os.path.relpath(where, folder), name, st.st_size, st.st_mtime_ns))
    libraries: list[tuple[object, ...]] = []
    for name in _LIBRARIES:
        spec = find_spec(name)
        if spec is None or spec.origin is None:
            libraries.append((name, None))
            continue
        home = os.path.dirname((spec.submodule_search_locations or [spec.origin])[0])
        module, installed = os.stat(spec.origin), os.stat(home)
        libraries.append((name, spec.origin, module.st_size, module.st_mtime_ns, installed.st_mtime_ns))
    return [INDEX_FORMAT, sys.version, files, libraries]


def fingerprint(config: Config, *extra: object) -> str:
    """Everything the index depends on besides the records themselves."""
    # Findings are stored as worded in the run's language (core/i18n.py): one made in Thai is
    # never shown in English, as a changed catalog (.mo above) is never shown from the old one.
    from .i18n import language

    parts = [*code_fingerprint(), config.fingerprint(), language(), *extra]
    return key_of(repr(parts).encode())


# --- the database ----------------------------------------------------------------------------

#: ``files_stat``: what a run loads of every file (``Index.held``), read from that index alone
#: (the table's own rows hold the findings and facts, kilobytes each, a few rows a page: 10,000
#: files' stat keys load in half the time from it).
_TABLES = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ino INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL, digest BLOB, valid_from TEXT, valid_until TEXT,
    findings TEXT NOT NULL, facts TEXT, clean INTEGER NOT NULL
);
CREATE INDEX files_stat ON files (path, size, mtime_ns, ino, ctime_ns, digest, valid_from, valid_until, clean);
CREATE TABLE kept (
    path TEXT NOT NULL, variant TEXT NOT NULL, day TEXT NOT NULL, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15,
    PRIMARY KEY (variant, path)
);
CREATE INDEX kept_path ON kept (path);
CREATE TABLE outputs (
    command TEXT NOT NULL, key TEXT NOT NULL, listing TEXT NOT NULL, day TEXT NOT NULL,
    stderr BLOB NOT NULL, PRIMARY KEY (command, key)
);
CREATE TABLE output_pieces (
    command TEXT NOT NULL, key TEXT NOT NULL, piece INTEGER NOT NULL, stdout BLOB NOT NULL,
    PRIMARY KEY (command, key, piece)
);
"""


def _apart(value: Any) -> Any:
    """A text not of ASCII alone as a copy of it, else the value itself: what is bound to SQLite.
    Binding a text makes CPython keep its UTF-8 inside the text for as long as it lives, and the
    values kept are the very ones the command goes on holding (status: 10,000 lines' cells, 5 MB
    more at 10,000 records); the copy takes that UTF-8 away with it once written."""
    if type(value) is str and not value.isascii():
        return value.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")
    return value


def _busy(error: sqlite3.Error) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        with contextlib.suppress(OSError):
            os.unlink(f"{path}{suffix}")


def _owned_safely(path: Path) -> bool:
    """A regular file this user owns and nobody else could have written (or none yet)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    if not S_ISREG(st.st_mode):
        return False
    return not hasattr(os, "getuid") or (st.st_uid == os.getuid() and not st.st_mode & 0o022)


class Index:
    """An open index of one repository. ``open`` gives None when it is turned off or cannot be
    used; a run reads and writes in one transaction, begun by ``open``, committed by ``close``."""

    def __init__(self, con: sqlite3.Connection, folder: Path, path: Path) -> None:
        self.con = con
        self.folder = folder
        self.path = path
        self.racy_since = filesystem_now(folder) - RACY_NS
        self._writing = False
        self.broken = False  # the write lock could not be had (or came too late), or a write failed
        self._unheld: set[str] | None = None  # files ``held`` found an entry of that no longer holds
        self._findings: dict[str, str] | None = None
        self._kept_day: str | None = None  # the day whose kept values alone remain (``keep``)
        self._day_texts: dict[tuple[date, object, object], str] = {}  # ``day_text_of``, by wording

    @classmethod
    def open(cls, config: Config, environ: Mapping[str, str] = os.environ) -> Index | None:
        folder = cache_folder(environ, config)
        if folder is None:
            return None
        root = key_of(os.fsencode(config.root))[:16]
        path = folder / f"index-{root}.sqlite"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            wanted = fingerprint(config)
        except OSError:
            return None
        for _attempt in range(3):
            con = None
            try:
                if not all(_owned_safely(Path(f"{path}{s}")) for s in ("", "-wal", "-shm")):
                    _remove(path)
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
                con = sqlite3.connect(path, timeout=LOCK_TIMEOUT, isolation_level=None)
                if con.execute("PRAGMA journal_mode=WAL").fetchone()[0].lower() != "wal":
                    raise sqlite3.DatabaseError("not in WAL mode")
                con.execute("PRAGMA synchronous=NORMAL")
                con.execute(f"PRAGMA cache_size=-{CACHE_KB}")
                con.execute("BEGIN")  # the run's one read of the index, from this check on (``write``)
                if cls._current(con, wanted):
                    return cls(con, folder, path)
                con.execute("ROLLBACK")
                con.execute("BEGIN IMMEDIATE")  # rebuilt in the run's transaction, as it will fill it
                if not cls._current(con, wanted):  # another run may have rebuilt it meanwhile
                    tables = con.execute("SELECT name FROM sqlite_master WHERE type='table'").fetchall()
                    for (name,) in tables:
                        con.execute(f'DROP TABLE "{name}"')
                    for statement in filter(str.strip, _TABLES.split(";")):
                        con.execute(statement)
                    meta = [("format", str(INDEX_FORMAT)), ("fingerprint", wanted)]
                    con.executemany("INSERT INTO meta VALUES (?, ?)", meta)
                return cls(con, folder, path)
            except (sqlite3.Error, OSError) as error:
                if con is not None:
                    con.close()
                if isinstance(error, OSError) or _busy(error):
                    return None  # cannot be opened, or another run is writing it: this one goes without
                _remove(path)  # damaged, or not a database at all: built again
        return None

    @staticmethod
    def _current(con: sqlite3.Connection, wanted: str) -> bool:
        try:
            meta = dict(con.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.OperationalError as error:
            if _busy(error):
                raise
            return False
        return meta.get("format") == str(INDEX_FORMAT) and meta.get("fingerprint") == wanted

    # --- writing -----------------------------------------------------------------------------

    def write(self, sql: str, params: Iterable[Any] = (), *, many: bool = False) -> None:
        """One statement of this run's transaction; never an error (the run goes on unstored).
        The transaction began with the run (``open``): every read of the run sees the index as
        it was then, and SQLite lets it write only if no other run has stored since (another
        day's findings, the index rebuilt in another language: what it read may be gone)."""
        if self.broken:
            return
        try:
            if not self._writing:
                self.con.execute("SAVEPOINT run")  # what a failed write undoes: the reads stay
                self._writing = True
            if many:
                self.con.executemany(sql, params)
            else:
                self.con.execute(sql, tuple(params))
        except sqlite3.Error:
            self.broken = True
            with contextlib.suppress(sqlite3.Error):
                self.con.execute("ROLLBACK TO run")

    def close(self, *, commit: bool = True) -> None:
        """Commit this run's writes (unless told not to) and let the database go. A run being
        interrupted (Ctrl-C, SIGTERM: an exception that is no ``Exception`` passing through the
        ``finally`` that closes the index) stores nothing: it may have stopped between two
        statements that hold only together."""
        passing = sys.exc_info()[1]
        if commit and (passing is None or isinstance(passing, Exception)):
            with contextlib.suppress(sqlite3.Error):
                self.con.execute("COMMIT")  # nothing of a run whose writes were undone (``write``)
        with contextlib.suppress(sqlite3.Error):
            self.con.close()  # and with it what was not committed

    # --- files -------------------------------------------------------------------------------

    def held(
        self, keys: Sequence[str], stat_of: Callable[[int], StatKey | None], day: date | None
    ) -> list[Held | None]:
        """For each file of a run (``keys``: its key in the index; ``stat_of(i)``: the stat just
        taken of the i-th, None: none), what the index holds that still describes it: None when
        nothing, else (clean, valid_from, valid_until), ``clean`` "[]" when it has no findings
        and None when it has some (``findings`` reads them). ``day``: also whether its findings
        hold on that day, and a racy file's content; None: by stat alone.

        The stored stat keys are compared as the index streams them: no run holds an entry of
        every file (a dict of 10,000 was 4.7 MB of a run after one change). An entry of a file
        that no longer holds marks its kept values stale (``store_many``); a racy file's digest,
        the same once the file is no longer racy, is dropped (as git refreshes such an entry)."""
        place = {key: i for i, key in enumerate(keys)}
        settled = []
        found: list[Held | None] = [None] * len(keys)
        shared: dict[Held, Held] = {}  # a few distinct values among 10,000: held once each
        day_text = None if day is None else self.day_text(day)
        unheld = self._unheld = set() if self._unheld is None else self._unheld
        for path, size, mtime_ns, ino, ctime_ns, digest, valid_from, valid_until, clean in self.con.execute(
            "SELECT path, size, mtime_ns, ino, ctime_ns, digest, valid_from, valid_until, "
            "CASE WHEN clean THEN '[]' END FROM files"
        ):
            i = place.get(_from_db(path))
            if i is None:
                continue
            if (size, mtime_ns, ino, ctime_ns) != stat_of(i) or (
                day_text is not None and not _holds_on(keys[i], day_text, digest, valid_from, valid_until)
            ):
                unheld.add(keys[i])
                continue
            if digest is not None and day_text is not None and max(mtime_ns, ctime_ns) < self.racy_since:
                settled.append((path, size, mtime_ns, ino, ctime_ns, digest))
            value = (clean, valid_from, valid_until)
            found[i] = shared.setdefault(value, value)
        if settled:  # the same entry only: another run may have stored a newer one meanwhile
            self.write("UPDATE files SET digest = NULL WHERE path = ? AND size = ? AND mtime_ns = ? "
                       "AND ino = ? AND ctime_ns = ? AND digest = ?", settled, many=True)  # fmt: skip
        return found

    def findings(self, path: str, *, many: bool = False) -> str:
        """The stored findings (JSON) of a file ``held`` found; ``many``: read every file's at
        once (a run that wants them of most files: validate)."""
        if self._findings is None and many:
            self._findings = {
                _from_db(name): found
                for name, found in self.con.execute("SELECT path, findings FROM files WHERE findings != '[]'")
            }
        if self._findings is not None:
            return self._findings.get(path, "[]")
        found = self.con.execute("SELECT findings FROM files WHERE path = ?", (_to_db(path),)).fetchone()
        return found[0] if found else "[]"

    def day_text(self, day: date) -> str:
        """``day_text_of``, worked out once a run for each day and wording, not once a file (a
        cold run stores the days of 10,000 files: one text of each day, not 10,000)."""
        worded = (day, getattr(day, "style", None), getattr(day, "given", None))
        found = self._day_texts.get(worded)
        if found is None:
            found = self._day_texts[worded] = day_text_of(day)
        return found

    def entry_of(self, path: str, key: StatKey | None, day: date) -> tuple[str, str | None] | None:
        """(findings, facts) of ``path`` when its stored entry still describes the file and its
        findings hold on ``day`` (as ``held`` judges it), else None: one query a file, for a
        run that streams every file once (``export``) and must not hold every entry at once."""
        if key is None:
            return None
        found = self.con.execute(
            "SELECT size, mtime_ns, ino, ctime_ns, digest, valid_from, valid_until, findings, facts "
            "FROM files WHERE path = ?",
            (_to_db(path),),
        ).fetchone()
        if found is None or tuple(found[:4]) != key or not _holds_on(path, self.day_text(day), *found[4:7]):
            return None
        return found[7], found[8]

    def facts(self, path: str) -> str | None:
        found = self.con.execute("SELECT facts FROM files WHERE path = ?", (_to_db(path),)).fetchone()
        return found[0] if found else None

    def kpi_links(self) -> dict[str, dict[str, Any]]:
        """What the portfolio rule reads of every KPI the index holds (``link_facts``), by path
        (``kpi.kpi_facts`` begins with its kind): read one at a time, the whole facts of 2,000
        KPIs never held at once."""
        found = self.con.execute(
            "SELECT path, facts FROM files WHERE substr(facts, 1, ?) = ?", (len(KPI_FACTS), KPI_FACTS)
        )
        return {_from_db(path): link_facts(facts) for path, facts in found}

    def store_many(self, items: list[tuple[str, Checked]]) -> None:
        """Entries of checked files, in one statement (a cold run stores 10,000); a ``held``
        later in this run finds them (the site stores what it read before its rows are found); one
        with no stat to key it by (unreadable, racy and no longer a file) loses its entry."""
        rows = [
            (_to_db(path), *(checked.stat or ()), checked.digest,
             checked.valid_from and self.day_text(checked.valid_from),
             checked.valid_until and self.day_text(checked.valid_until),
             checked.findings_json, checked.facts, int(checked.findings_json == "[]"))
            for path, checked in items if checked.stat is not None
        ]  # fmt: skip
        # What was made of the last row of a file stored again is stale: of a file whose entry
        # ``held`` found no longer holding, or of any file when this run asked ``held`` nothing (a
        # streaming run, export: deleting the kept rows of a file that has none deletes nothing).
        # Deleted first: a run stopped between the two statements leaves a file to read again,
        # never a new entry beside a stale kept row.
        unheld = self._unheld
        stale = [(_to_db(path),) for path, _ in items if unheld is None or path in unheld]
        if stale:
            self.write("DELETE FROM kept WHERE path = ?", stale, many=True)
        if gone := [(_to_db(path),) for path, checked in items if checked.stat is None]:
            self.write("DELETE FROM files WHERE path = ?", gone, many=True)
        if rows:
            self.write(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows, many=True
            )
        if self._findings is not None:  # read whole before (validate): what ``findings`` gives
            for path, checked in items:
                if checked.findings_json == "[]":
                    self._findings.pop(path, None)
                else:
                    self._findings[path] = checked.findings_json

    def forget_others(self, seen: set[str]) -> None:
        """Entries of files no longer there (after a walk of the whole records folder)."""
        gone = [
            (path,) for (path,) in self.con.execute("SELECT path FROM files") if _from_db(path) not in seen
        ]
        if gone:  # kept rows first, as in ``store_many``: never one left without its entry
            self.write("DELETE FROM kept WHERE path = ?", gone, many=True)
            self.write("DELETE FROM files WHERE path = ?", gone, many=True)

    # --- kept values and outputs ----------------------------------------------------------------

    def kept(
        self, variant: str, keys: Sequence[str], columns: int = 0, wanted: frozenset[int] | None = None,
        later: int | None = None,
    ) -> list[Any]:  # fmt: skip
        """What was kept under ``variant`` of the row of each file of ``keys`` (None: nothing):
        its text (the first column), or with ``columns`` the tuple of that many values kept as
        columns (no text to decode), None for those not ``wanted`` (read only what the run
        needs), and in place of column ``later`` the number of its row, to read that column
        back with ``column_of`` when the run needs it. In the order of ``keys``: no path is
        held twice (10,000 of them are 1 MB)."""
        names = ", ".join(
            "rowid" if i == later else f"c{i}" if wanted is None or i in wanted else "NULL"
            for i in range(columns or 1)
        )
        place = {key: i for i, key in enumerate(keys)}
        found: list[Any] = [None] * len(keys)
        for row in self.con.execute(f"SELECT path, {names} FROM kept WHERE variant = ?", (_to_db(variant),)):
            i = place.get(_from_db(row[0]))
            if i is not None:
                found[i] = row[1:] if columns else row[1]
        return found

    def column_of(self, column: int, numbers: Sequence[int]) -> dict[int, Any]:
        """Column ``column`` of the kept rows of these ``numbers`` (given by ``kept(later=)``
        under this run's snapshot: a row this run read is not deleted before its end, as it
        deletes only rows of other days, of gone files and of files it read again)."""
        marks = ", ".join("?" * len(numbers))
        return dict(self.con.execute(f"SELECT rowid, c{column} FROM kept WHERE rowid IN ({marks})", numbers))

    def keep(self, items: list[tuple[str, str, str, Any]], day: str) -> None:
        """(path, variant, day, value) rows, a value being text (kept as the first column) or a
        tuple of at most ``KEPT_COLUMNS`` numbers, texts (but a non-UTF-8 name's lone surrogates),
        bytes or None; values of other days are let go (once a run: ``keep`` is called a batch at
        a time; and only on a run of another day than the last one that kept values, which
        ``meta`` names: to find them is to read the table whole, 5 to 30 ms at 10,000 records on
        every run that changed a row)."""
        if items:
            if self._kept_day != day:
                self.write("INSERT OR IGNORE INTO meta VALUES ('kept_day', '')")  # in this run's transaction
                held = (
                    None if self.broken else self.con.execute("SELECT value FROM meta WHERE key = 'kept_day'")
                )
                if held is None or held.fetchone() != (day,):
                    self.write("DELETE FROM kept WHERE day != ?", (day,))
                    self.write("UPDATE meta SET value = ? WHERE key = 'kept_day'", (day,))
                self._kept_day = day
            rows = []
            for p, v, d, value in items:
                values = value if type(value) is tuple else (value,)
                if not all(utf8_encodable(x) for x in values if type(x) is str):
                    continue  # a text SQLite cannot hold: the value is made again on each run
                rows.append(
                    (_to_db(p), _to_db(v), d, *map(_apart, values), *(None,) * (KEPT_COLUMNS - len(values)))
                )
            marks = ", ".join("?" * (KEPT_COLUMNS + 3))
            self.write(f"INSERT OR REPLACE INTO kept VALUES ({marks})", rows, many=True)


class Output:
    """A reading command's whole output kept in the index (``outputs``, ``output_pieces``):
    answered as it was while nothing it depends on changed, else stored as it is printed, in
    this run's one transaction, committed once the output is shown."""

    def __init__(self, command: str, index: Index, scan: Scan, key: str, racy: bool, day: date) -> None:
        self.index, self.scan, self.day = index, scan, day.isoformat()
        self.command, self.where = command, (command, key)  # what the output is stored under
        #: The output may be stored and answered: no link below (its rules are the walk's), no
        #: file changed too recently for its stat to say it is unchanged.
        self.usable = scan.clean and not racy
        self.listing = scan.listing() if self.usable else ""
        self.pieces = 0  # of stdout, added as printed

    def get(self) -> tuple[list[bytes], bytes] | None:
        """(the pieces of stdout, stderr) of the output stored for this run, if it holds."""
        if not self.usable:
            return None
        query = self.index.con.execute
        where = "WHERE command = ? AND key = ?"
        found = query(
            f"SELECT stderr FROM outputs {where} AND listing = ?", (*self.where, self.listing)
        ).fetchone()
        if found is None:
            return None
        pieces = query(f"SELECT stdout FROM output_pieces {where} ORDER BY piece", self.where)
        return [bytes(piece) for (piece,) in pieces], bytes(found[0])

    def begin(self) -> None:
        """Make way for the output about to be added piece by piece: the command's outputs of
        another listing or day, and the one under this key, are let go."""
        self.pieces = 0
        others = "command = ? AND (listing != ? OR day != ?)"
        self.index.write(
            f"DELETE FROM output_pieces WHERE command = ? AND key IN (SELECT key FROM outputs WHERE {others})",
            (self.command, self.command, self.listing, self.day),
        )
        self.index.write(f"DELETE FROM outputs WHERE {others}", (self.command, self.listing, self.day))
        self.abandon()

    def add(self, piece: bytes) -> None:
        """One piece of stdout as it is printed: a status table of 10,000 lines is megabytes,
        never held to be written at the end."""
        self.index.write("INSERT INTO output_pieces VALUES (?, ?, ?, ?)", (*self.where, self.pieces, piece))
        self.pieces += 1

    def abandon(self) -> None:
        """No output stored after all: what was written of it goes."""
        for table in ("output_pieces", "outputs"):
            self.index.write(f"DELETE FROM {table} WHERE command = ? AND key = ?", self.where)

    def put(self, err: str) -> None:
        """The output whose pieces were added, with its stderr (nothing of it when it cannot be):
        found by ``get`` from now on."""
        if not utf8_encodable(err):  # a lone surrogate: shown as the stream could, not stored
            self.abandon()
        else:
            self.index.write(
                "INSERT INTO outputs VALUES (?, ?, ?, ?, ?)",
                (*self.where, self.listing, self.day, err.encode()),
            )

    def close(self) -> None:
        self.index.close()


def _holds_on(
    path: str, day_text: str, digest: bytes | None, valid_from: str | None, valid_until: str | None
) -> bool:
    """Whether stored findings hold on the day of ``day_text`` (``Index.day_text``), and the
    content of a file stored when it was racy (``digest``) is still the same."""
    early = valid_from is not None and day_text < valid_from
    late = valid_until is not None and day_text > valid_until
    return not early and not late and (digest is None or file_digest(path) == digest)


def _to_db(name: str) -> str | bytes:
    """A path (or a key holding one) as the index stores it: as text, or as the bytes of the
    file system's name when it is not UTF-8 (a TIS-620 folder: Python holds it with surrogates,
    which SQLite's text cannot)."""
    return name if utf8_encodable(name) else os.fsencode(name)


def _from_db(value: str | bytes) -> str:
    return os.fsdecode(value) if isinstance(value, bytes) else value


# --- checking files --------------------------------------------------------------------------


class Checked(NamedTuple):
    """What checking one file found, ready to store: its stat and digest (when racy), findings
    (JSON), the days they hold for, the facts (JSON, None when no project was read)."""

    stat: StatKey | None
    digest: bytes | None
    findings_json: str
    valid_from: date | None
    valid_until: date | None
    facts: str | None


def findings_of(findings_json: str) -> list[FindingData]:
    return [tuple(f) for f in json.loads(findings_json)]


def as_findings(findings_json: str, shown: str) -> list[Finding]:
    return [
        Finding(shown, line, field, rule, Severity(sev), msg, col)
        for line, field, rule, sev, msg, col in findings_of(findings_json)
    ]


def skip_reason(findings_json: str, has_facts: bool) -> str | None:
    """Why a file is not a row (its first error), or None when it is one."""
    if findings_json == "[]":
        return None if has_facts else "not a record"
    for _line, _field, _rule, sev, msg, _col in findings_of(findings_json):
        if sev == Severity.ERROR.value:
            return msg
    return None if has_facts else "not a record"


def check_path(path: str, config: Config, day: date, racy_since: int | None) -> Checked:
    """Read and check one file as of ``day``; the stat is the opened file's, taken before its
    bytes are read (a change made meanwhile shows at the next run)."""
    return check_path_project(path, config, day, racy_since)[0]


@cache
def _checking_code() -> tuple[Any, ...]:
    """The modules ``check_path_project`` calls into, imported on the first file checked (a run
    answered by the index imports none of them) and then held: five imports at every file were
    13 µs of the 290 a record takes to check. Modules, not their functions: what a module holds
    is looked up at each call, as an import statement would (a test may replace it)."""
    from . import calendar, check, kinds, record, rules

    return calendar, check, kinds, record, rules


def check_path_project(path: str, config: Config, day: date, racy_since: int | None) -> tuple[Checked, Any]:
    """``check_path``, and the record it read (None when none was read): for a caller that does
    more with the record than the index keeps (the site renders its page from the same read)."""
    calendar, check, kinds, record, rules = _checking_code()
    seen = record.Seen()
    result = check.check_file(path, config, day, "", seen=seen)
    data = [(f.line, f.field, f.rule, f.severity.value, f.message, f.column) for f in result.findings]
    # a non-UTF-8 file name quoted (lone surrogates) as its JSON escape: SQLite's text holds it
    findings_json = storable(json.dumps(data, ensure_ascii=False, separators=(",", ":")))
    valid_from = valid_until = facts = None
    # the days its findings hold for are bounded by the record the rules ran on, even unusable
    project, ruled = result.record, result.ruled
    kind = kinds.kind_of_record(ruled) if ruled is not None else None
    if kind is not None and kind.facts is not None:
        if project is not None:
            facts = storable(json.dumps(kind.facts(project), ensure_ascii=False, separators=(",", ":")))
        if any(f[2] in kinds.day_rules() for f in data) or (
            not calendar.is_plain_wording(day) and _typed_dates_in(findings_json)
        ):
            valid_from = valid_until = day  # the message names the day (or dates as typed that day)
        else:
            dates = [d for d in kind.days(ruled) if rules._plausible(d)] if kind.days is not None else []
            valid_from = max(dates) if dates else None
    stat = file_hash = None
    if (st := seen.stat) is not None:
        stat = stat_key(st)
        if racy_since is None or max(st.st_mtime_ns, st.st_ctime_ns) >= racy_since:
            if seen.raw is None:
                stat = None  # not a regular file, or unreadable: nothing to keep
            else:
                file_hash = digest(seen.raw)
    return Checked(stat, file_hash, findings_json, valid_from, valid_until, facts), project


_worker: dict[str, Any] = {}


def _init_worker(config: Config, day: date, racy_since: int | None, lang: Any, folder: str) -> None:
    """A process of the pool: the run's language and folder, which checking reads; Ctrl-C, which
    a terminal sends it too, ignored: the run acts on it (a worker's own left a pool hanging)."""
    from .i18n import use

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    use(lang)
    os.chdir(folder)
    _worker.update(config=config, day=day, racy_since=racy_since)


def _check_chunk(paths: list[str]) -> list[Checked]:
    return [check_path(p, _worker["config"], _worker["day"], _worker["racy_since"]) for p in paths]


def checked_in_order(
    paths: Iterable[str],
    config: Config,
    day: date,
    racy_since: int | None,
    jobs: int,
    *,
    count: int | None = None,
) -> Iterator[Checked]:
    """``check_path`` of each path, in order: on a pool of processes when there are many.

    ``paths`` may be made as they are asked for (give their ``count``: export walks the folder
    again rather than hold 100,000 names). The processes are forked from a fresh one that
    imported the checking code alone (``forkserver``), not from this one: they do not carry what
    the command holds (its modules, the listing of 10,000 files, its rows), and this one never
    imports the checking code it does not run (10,000 records, cold: each of the pool's
    processes under 50 MB, whatever the command holds)."""
    if count is None:
        count = len(paths) if isinstance(paths, Sized) else 0
    if jobs < 2 or count < PARALLEL_THRESHOLD:
        for path in paths:
            yield check_path(path, config, day, racy_since)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from .i18n import language

    forkserver = "forkserver" in multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if forkserver else "spawn")
    if forkserver:
        context.set_forkserver_preload([f"{__package__}.check"])
    pool = ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_init_worker,
        initargs=(config, day, racy_since, language(), os.getcwd()),
    )  # fmt: skip
    yield from in_chunks_ahead(pool, _check_chunk, paths, size=32, ahead=2 * jobs)


def in_chunks_ahead(pool: Executor, task: Callable[[list[T]], list[R]], items: Iterable[T], *, size: int,
                    ahead: int) -> Iterator[R]:  # fmt: skip
    """``task`` over ``items`` a chunk of ``size`` at a time on ``pool`` (closed at the end), the
    results in order; only ``ahead`` chunks are out at once, so results waiting for a slow
    consumer never pile up (a cold run at 100,000 records holds a few chunks, not them all),
    and the chunks are cut as they are sent (``items`` may be made as they are asked for)."""
    remaining = iter(items)
    chunks = iter(lambda: list(islice(remaining, size)), [])
    with pool:
        pending = deque(pool.submit(task, chunk) for chunk in islice(chunks, ahead))
        while pending:
            batch = pending.popleft().result()
            for chunk in islice(chunks, 1):
                pending.append(pool.submit(task, chunk))
            yield from batch


def check_many(
    paths: list[str],
    config: Config,
    day: date,
    index: Index | None,
    jobs: int = 1,
    kpis: dict[str, dict[str, Any] | None] | None = None,
) -> Iterator[str]:
    """The findings (JSON) of each path as of ``day``, in order: from the index where its entry
    still holds, else read and checked (and stored). ``kpis`` gets the facts of the KPIs read
    here (``link_facts``; None: a file read that is no KPI), by absolute path (those of the index:
    ``Index.kpi_links``)."""  # fmt: skip
    from .calendar import is_plain_wording

    keys = [os.path.abspath(p) for p in paths]
    # Some findings name dates as the person typed them ("the day of the check (2024-01-01)"):
    # worded otherwise than the plain way (today, BE), they are kept for that day and wording.
    plain = is_plain_wording(day)
    known: list[str | None] = [None] * len(keys)
    if index is not None:
        for i, entry in enumerate(index.held(keys, lambda i: path_stat_key(keys[i]), day)):
            if entry is None:
                continue
            findings = entry[0] or index.findings(keys[i], many=True)
            if plain or (entry[1] is not None and entry[1] == entry[2]) or not _typed_dates_in(findings):
                known[i] = findings  # else kept for many days (or all), worded the plain way: read again
    misses = [p for p, found in zip(paths, known, strict=True) if found is None]
    racy_since = index.racy_since if index is not None else None
    computed = checked_in_order(misses, config, day, racy_since, jobs)
    to_store: list[tuple[str, Checked]] = []
    for key, found in zip(keys, known, strict=True):
        if found is not None:
            yield found
            continue
        checked = next(computed)
        if kpis is not None:  # None: no KPI now, whatever the index held (a run that cannot store)
            facts = checked.facts or ""
            kpis[key] = link_facts(facts) if facts.startswith(KPI_FACTS) else None
        if index is not None:
            to_store.append((key, checked))
            if len(to_store) == 256:  # stored a batch at a time: never all of a cold run at once
                index.store_many(to_store)
                to_store = []
        yield checked.findings_json
    if index is not None:
        index.store_many(to_store)


def day_text_of(day: date) -> str:
    """How the index writes a day findings hold on: ISO, followed for a day of a check worded
    otherwise than the plain way by that wording (``2022-03-31~iso+``), so the findings of one
    wording are never shown for another (the text sorts within its day)."""
    from .calendar import is_plain_wording

    if is_plain_wording(day):
        return day.isoformat()
    return f"{day.isoformat()}~{getattr(day, 'style', 'be')}{'+' if getattr(day, 'given', False) else ''}"


def _typed_dates_in(findings_json: str) -> bool:
    """Whether findings (as the index keeps them) hold one worded by how dates were typed."""
    from .kinds import typed_date_rules

    if findings_json == "[]":
        return False
    typed = typed_date_rules()
    return any(f[2] in typed for f in findings_of(findings_json))


# --- what commands keep of rows ----------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, bytes):
        return {"b": value.decode("latin-1")}
    if isinstance(value, date):
        return {"t": value.isoformat()}
    raise TypeError(f"cannot keep {type(value).__name__}")


def _typed(value: dict[str, str]) -> Any:
    if "d" in value:
        return Decimal(value["d"])
    if "b" in value:
        return value["b"].encode("latin-1")
    return date.fromisoformat(value["t"])


def encode_kept(value: Iterable[Any]) -> str:
    """A plain tuple (numbers, text, bytes, Decimals, dates, tuples of those) as JSON text."""
    return json.dumps(list(value), default=_plain, ensure_ascii=False, separators=(",", ":"))


def decode_kept(text: str) -> tuple[Any, ...]:
    return tuple(tuple(v) if type(v) is list else v for v in json.loads(text, object_hook=_typed))


def variant_of(name: str, as_of: date, checked_on: date, shown: Callable[..., str]) -> str:
    """What a kept value depends on besides the file: the form, the dates, how paths are shown."""
    how = f"{getattr(shown, '__module__', '')}.{getattr(shown, '__qualname__', '')}"
    return f"{name}|{as_of.isoformat()}|{checked_on.isoformat()}|{os.getcwd()}|{how}"


# --- the records folder, read with one stat a file -----------------------------------------------


#: The stat numbers of an entry that could not be stat'ed (no size is negative).
_NO_STAT = (-1, -1, -1, -1)


class RecordFiles(Sequence[tuple[str, "str | None", "StatKey | None"]]):
    """(path, refusal, stat key) of each record file a scan lists, in its order. A file's stat
    key is read from where the scan keeps the numbers of every entry (``Scan.numbers``, four
    each) and made a tuple again as it is read: 10,000 files' keys as tuples of ints held 2.7 MB
    until the run's end."""

    def __init__(self, numbers: array[int]) -> None:
        self.paths: list[str] = []
        self.refusals: dict[int, str] = {}  # by place: the few files refused
        self.numbers = numbers
        self.places = array("q")  # where each file's four numbers begin in ``numbers``

    def append(self, path: str, refused: str | None) -> None:
        """A record file whose entry is the last one the scan added."""
        if refused is not None:
            self.refusals[len(self.paths)] = refused
        self.paths.append(path)
        self.places.append(len(self.numbers) - 4)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, place: int) -> tuple[str, str | None, StatKey | None]:  # type: ignore[override]
        return self.paths[place], self.refusals.get(place), self.stat_key(place)

    def stat_key(self, place: int) -> StatKey | None:
        return self._key(self.places[place])

    def __iter__(self) -> Iterator[tuple[str, str | None, StatKey | None]]:
        refusals = self.refusals
        for place, (path, at) in enumerate(zip(self.paths, self.places, strict=True)):
            yield path, refusals.get(place) if refusals else None, self._key(at)

    def _key(self, at: int) -> StatKey | None:
        size, mtime_ns, ino, ctime_ns = self.numbers[at : at + 4]
        return None if size < 0 else (size, mtime_ns, ino, ctime_ns)


class Scan:
    """The record files a run reads with their stat keys, and a digest of everything the
    listing holds (names, refusals, stat of every entry) for the outputs table."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.numbers = array("q")  # the stat numbers of every entry, four each (_NO_STAT: none)
        self.files = RecordFiles(self.numbers)
        self.whole = False  # the whole records folder: files not met are gone
        self.clean = True  # no link met (whose rules are the walk's): the digest describes it
        self.walked: str | None = None  # the folder walked, when every file is under it
        self._keys: list[str] = []

    def add(self, name: str, key: StatKey | None) -> None:
        self.names.append(name)
        self.numbers.extend(_NO_STAT if key is None else key)

    @property
    def newest(self) -> int:
        """The latest mtime or ctime of any entry (in ns; 0: none)."""
        numbers = self.numbers
        return max(max(numbers[1::4], default=0), max(numbers[3::4], default=0))

    def keys(self) -> list[str]:
        """The absolute path of each of ``files`` (what the index keys them by), made once. Under
        a walked folder, that folder is made absolute once and each file's path below it added:
        the same text as ``os.path.abspath`` of each (a walk joins plain names), in a tenth of
        the time (20 ms at 10,000 files)."""
        if len(self._keys) != len(self.files.paths):
            if self.walked is None:
                self._keys = [os.path.abspath(name) for name in self.files.paths]
            else:
                below = len(self.walked)
                folder = os.path.join(os.path.abspath(self.walked), "")
                self._keys = [folder + name[below:].lstrip(os.sep) for name in self.files.paths]
        return self._keys

    def listing(self) -> str:
        return key_of("\n".join(self.names).encode("utf-8", "surrogateescape") + self.numbers.tobytes())

    def walk(self, folder: str) -> bool:
        """Every entry under ``folder`` but hidden folders, in the order of
        ``repository.walk_records`` (a folder's files by name, then its folders by name); the
        record files into ``files``. False at the first link, where the walk's own rules decide."""
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return True
        files, folders = [], []
        for entry in entries:
            if entry.is_symlink():
                return False
            if not entry.is_dir(follow_symlinks=False):
                files.append(entry)
            elif not entry.name.startswith("."):
                folders.append(entry)
        files.sort(key=attrgetter("name"))
        folders.sort(key=attrgetter("name"))
        names, numbers, paths, places = self.names, self.numbers, self.files.paths, self.files.places
        for entry in files:  # ``add`` and ``RecordFiles.append`` spelt out: 10,000 times a run
            path = entry.path
            names.append(path)
            try:
                numbers.extend(stat_key(entry.stat(follow_symlinks=False)))
            except OSError:
                numbers.extend(_NO_STAT)
            if entry.name.endswith(".toml") and not entry.name.startswith("."):
                paths.append(path)
                places.append(len(numbers) - 4)
        for entry in folders:
            self.add(entry.path + os.sep, path_stat_key(entry.path, follow=False))
            if not self.walk(entry.path):
                return False
        return True


def scan(paths: list[Path], config: Config) -> Scan:
    """The files ``repository.list_records(paths)`` lists, each with its stat."""
    found = Scan()
    if not paths:
        found.whole = True
        folder = os.fspath(config.records_dir)
        if found.walk(folder):
            found.walked = folder
            return found
        found = Scan()
        found.whole, found.clean = True, False
    from .repository import list_records

    for entry in list_records(paths, config):
        name = os.fspath(entry.path_text)
        found.add(f"{name}\0{entry.refused}", path_stat_key(name))
        found.files.append(name, entry.refused)
    return found
