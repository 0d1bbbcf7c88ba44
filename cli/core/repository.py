"""Finding records in a repository: by folder, by file, by code; and keeping inside it.

Codes never become paths unchecked: a code must match the code pattern (digits and one
hyphen) before it is looked up, and a folder walk refuses links that lead out of the
repository, so a record cannot make the tool read elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import NamedTuple, TypeVar

from .config import CONFIG_NAME, DEFAULT_CODE_PATTERN, Config
from .errors import ConflictError, NotFoundError, ProjledgerError, UnsafePathError
from .i18n import N_, _

RECORD_SUFFIX = ".toml"

#: Why a link that cannot be followed is refused (rule ``unreadable-path``).
LOOP = N_("a symbolic link loop (links that lead back to each other); it cannot be read; refused")
DANGLING = N_("a symbolic link to nothing (its target does not exist); it cannot be read; refused")
FOLDER_LOOP = N_("a link back to a folder already read (a loop); refused")
FILE_OUT = N_("a link to a file outside the repository; refused")
FOLDER_OUT = N_("a link to a folder outside the repository; refused")
UNREADABLE = "unreadable-path"

PathT = TypeVar("PathT", Path, str)


class Listed(NamedTuple):
    """A record file found by a walk, or a refusal found instead of one.

    ``entry``: a walk found it as an entry of its folder that is no link (so it was there, and
    its path is where it lies); False for a link and for a path given by name. ``rule``: the
    rule of the finding a refusal makes: ``unsafe-path`` (a link out of the repository) or
    ``unreadable-path`` (a link that loops or leads to nothing, a folder link back into the walk). The path is kept
    as text (``str`` of the Path), made a Path when asked: a walk of 10,000 files need not.
    (A named tuple: made five times as fast as a frozen dataclass, and a walk makes one a file.)
    """

    path_text: str
    refused: str | None = None
    entry: bool = False
    rule: str = "unsafe-path"  # the finding's rule when refused: unsafe-path or unreadable-path

    @property
    def path(self) -> Path:
        return Path(self.path_text)


def is_code(text: str, config: Config) -> bool:
    """Whether ``text`` is a project code (the schema's pattern and the repository's)."""
    return bool(re.fullmatch(DEFAULT_CODE_PATTERN, text) and re.fullmatch(config.code_pattern, text))


def is_kpi_code(text: str) -> bool:
    """Whether ``text`` is a KPI code (5026-2001)."""
    return bool(re.fullmatch(KPI_CODE_PATTERN, text))


def is_record_code(text: str, config: Config) -> bool:
    """Whether ``text`` is the code of a record of some kind (a project's, a KPI's)."""
    return is_code(text, config) or is_kpi_code(text)


def record_path(config: Config, fiscal_year: int, code: str, *, kpi: bool = False) -> Path:
    """Where a new record goes: ``records/<FY>/<code>.toml`` (a KPI's, with ``kpi``, in
    ``records/<FY>/kpi/``); the code is checked first."""
    require_code(code, config, kpi=kpi)
    path = config.records_dir / str(fiscal_year) / (KPI_FOLDER if kpi else "") / f"{code}{RECORD_SUFFIX}"
    ensure_inside(path.parent, config)  # a folder that links out is no place to write
    return path


#: A KPI's code (the agency's 4-digit prefix, a 4-digit number) and its folder in a fiscal year.
KPI_CODE_PATTERN = r"[0-9]{4}-[0-9]{4}"
KPI_FOLDER = "kpi"  # kpi.KPI_FOLDER (not imported: this module stays light)


def require_code(code: str, config: Config, *, kpi: bool = False) -> None:
    """Refuse (``UnsafePathError``) ``code`` unless it is a project's code (a KPI's with ``kpi``)."""
    if not kpi and not is_code(code, config):
        raise UnsafePathError(
            _("'{code}' is not a project code like 01000000-2475").format(code=code), field="code"
        )
    if kpi and not is_kpi_code(code):
        raise UnsafePathError(_("'{code}' is not a KPI code like 5026-2001").format(code=code), field="code")


def find_by_code(code: str, config: Config) -> Path | None:
    """The record of ``code`` in ``records/<FY>/`` (or the records folder itself), if any; a
    KPI's (a KPI code) in ``records/<FY>/kpi/``.

    Lists only the fiscal-year folders, never reads another record: looking up one project
    costs the same in a repository of one record as in one of 100,000.
    """
    if not is_kpi_code(code):
        require_code(code, config)
    name = code + RECORD_SUFFIX
    patterns = (f"*/{KPI_FOLDER}/{name}",) if is_kpi_code(code) else (name, f"*/{name}")
    # a missing records folder globs nothing (pathlib asks whether it is a folder first)
    found = [p for pattern in patterns for p in sorted(config.records_dir.glob(pattern)) if p.is_file()]
    for path in found:
        ensure_inside(path, config)
    if len(found) > 1:
        message = (
            _("KPI {code} has more than one record: {found}")
            if is_kpi_code(code)
            else _("project {code} has more than one record: {found}")
        )
        raise ConflictError(message.format(code=code, found=", ".join(map(str, found))))
    return found[0] if found else None


def misnamed_records(config: Config, day: date) -> dict[str, Path]:
    """The records folder's files named otherwise than the code they hold (rule file-name: a copy,
    a renamed file), by that code: ``find_by_code`` misses them, and a code one holds is taken.
    Found by the findings of the index (one stat a file when nothing changed), then each read."""
    from .index import Index, check_many, findings_of, jobs_wanted
    from .record import read_document

    paths = [
        listed.path_text for listed in walk_records(config.records_dir, config.root) if not listed.refused
    ]
    index = Index.open(config)
    try:
        checked = list(check_many(paths, config, day, index, jobs_wanted(os.environ)))
    finally:
        if index is not None:
            index.close()
    held: dict[str, Path] = {}
    for path, found in zip(paths, checked, strict=True):
        if any(finding[2] == "file-name" for finding in findings_of(found)):
            with contextlib.suppress(ProjledgerError, OSError):  # unreadable now: nothing it holds
                held.setdefault(str(read_document(path).data.get("code")), Path(path))
    return held


def resolve_record(code_or_path: str, config: Config, *, writing: bool = True) -> Path:
    """A record named by code (looked up in the records folder) or by its path: to write, inside
    the repository; to read only, as ``named_to_read`` takes it."""
    if is_record_code(code_or_path, config):
        path = find_by_code(code_or_path, config)
        if path is None:
            message = (
                _("no record for KPI {code} under {folder}")
                if is_kpi_code(code_or_path)
                else _("no record for project {code} under {folder}")
            )
            said = message.format(code=code_or_path, folder=config.records_dir)
            raise NotFoundError(said + nearest_said(code_or_path, config))
        return path
    path = Path(code_or_path)
    if path.suffix == RECORD_SUFFIX or os.sep in code_or_path or "/" in code_or_path:
        if not path.is_file():
            raise NotFoundError(_("no record file at {path}").format(path=code_or_path))
        if not writing:
            return named_to_read(path, config)
        ensure_inside(path, config)  # what a command reads by name it may also write
        return path
    message = _(
        "'{given}' is neither a project code like 01000000-2475, a KPI code like 5026-2001, nor a record file"
    )
    raise NotFoundError(message.format(given=code_or_path) + nearest_said(code_or_path, config))


#: How many codes a "did you mean" names at most.
NEAREST = 5


def nearest_codes(code: str, config: Config) -> list[str]:
    """The existing codes nearest ``code``, for a "did you mean": the closest spellings
    (``difflib``) first, then other codes of the same agency (the part before the hyphen).

    Lists the record folders' file names (the records folder and its fiscal-year folders), never
    reads a record; at most ``NEAREST``.
    """
    import difflib

    folder = config.records_dir  # missing, it globs nothing
    found = (
        p.stem for pattern in ("*.toml", "*/*.toml", f"*/{KPI_FOLDER}/*.toml") for p in folder.glob(pattern)
    )
    codes = sorted({stem for stem in found if is_record_code(stem, config)})
    close = difflib.get_close_matches(code, codes, n=NEAREST, cutoff=0.6)
    prefix = code.split("-")[0]
    same_agency = [c for c in codes if prefix and c.split("-")[0] == prefix]
    return list(dict.fromkeys(close + same_agency))[:NEAREST]


def nearest_said(code: str, config: Config) -> str:
    found = nearest_codes(code.strip(), config)
    return _("; nearest existing: {codes}").format(codes=", ".join(found)) if found else ""


def real(path: Path) -> Path | None:
    """``path`` resolved through its links; None when they loop (never Python's RuntimeError).

    The one loop-safe ``Path.resolve``: every path helper here goes through it, so a committed
    ``a.toml -> b.toml -> a.toml`` is a finding on that path, never an internal error.
    """
    try:
        return path.resolve()
    except (RuntimeError, OSError):  # "Symlink loop from ..." (Python 3.11; later ones: OSError ELOOP)
        return None


def resolved(path: Path, field: str | None = None) -> Path:
    """``path`` resolved through its links; a loop is refused (``UnsafePathError``, exit 1)."""
    target = real(path)
    if target is None:
        raise UnsafePathError(_("{path} is {loop}").format(path=path, loop=_(LOOP)), field=field)
    return target


def is_inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` resolves (through links) to ``folder`` or somewhere below it.

    A path whose links loop leads nowhere: refused (``UnsafePathError``), not answered.
    """
    return resolved(path).is_relative_to(resolved(folder))


def ensure_inside(path: Path, config: Config, field: str | None = None) -> None:
    """Refuse a path that resolves (through links) outside the repository."""
    if not is_inside(path, config.root):
        message = _("{path} leads outside the repository ({root}); the tool reads and writes inside it only")
        raise UnsafePathError(message.format(path=path, root=config.root), field=field)


def walk_records(folder: Path, root: Path) -> Iterator[Listed]:
    """Every ``*.toml`` below ``folder``, sorted; links leading outside ``root`` are refused, and so
    are links back to a folder already read or holding this one (a loop, or every record twice).

    A folder's links to folders come first (each walked where it leads), then its files by
    name, then its other folders by name, hidden ones left out. One ``scandir`` a folder: whether
    an entry is a link or a folder comes with it, so a plain file costs no system call.
    """
    yield from _walk(os.fspath(folder), real(root) or root, set())


def _walk(top: str, root: Path, walked: set[Path]) -> Iterator[Listed]:
    try:
        entries = list(os.scandir(top))
    except OSError:  # as os.walk: a folder that cannot be read lists nothing
        return
    here = Path(top)
    real_here = real(here)
    if real_here is None:  # the folder itself is reached through a loop: nothing to list
        return
    base = str(here)  # a file's path is str(here / name), made without a Path for each file
    base = "" if base == "." else base if base.endswith(os.sep) else base + os.sep
    if real_here in walked:
        return
    walked.add(real_here)
    dirs: list[os.DirEntry[str]] = []
    files: list[os.DirEntry[str]] = []
    for entry in entries:
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        (dirs if is_dir else files).append(entry)
    subfolders = []
    for entry in sorted(dirs, key=lambda entry: entry.name):
        if entry.is_symlink():
            sub = here / entry.name
            target = real(sub)
            if target is None:
                yield Listed(str(sub), refused=_(LOOP), rule=UNREADABLE)
            elif not target.is_relative_to(root):
                yield Listed(str(sub), refused=_(FOLDER_OUT))
            elif target in walked or real_here.is_relative_to(target):
                yield Listed(str(sub), refused=_(FOLDER_LOOP), rule=UNREADABLE)
            else:
                yield from _walk(os.fspath(target), root, walked)
        elif not entry.name.startswith("."):
            subfolders.append(entry.name)
    for entry in sorted(files, key=lambda entry: entry.name):
        name = entry.name
        if name.startswith("."):
            continue
        if not name.endswith(RECORD_SUFFIX):
            # A link of another name that loops may have been meant as a folder: say so.
            if entry.is_symlink() and real(here / name) is None:
                yield Listed(base + name, refused=_(LOOP), rule=UNREADABLE)
            continue
        if not entry.is_symlink():
            yield Listed(base + name, entry=True)
        else:
            yield linked_file(base + name, root)
    for name in subfolders:
        yield from _walk(os.path.join(top, name), root, walked)


def linked_file(path_text: str, root: Path) -> Listed:
    """A link to a file, found by a walk or named: followed only inside ``root`` and only when it
    leads somewhere (a loop or a link to nothing is a finding on the link, never an error)."""
    target = real(Path(path_text))
    if target is None:
        return Listed(path_text, refused=_(LOOP), rule=UNREADABLE)
    if not target.is_relative_to(root):
        return Listed(path_text, refused=_(FILE_OUT))
    if not target.exists():
        return Listed(path_text, refused=_(DANGLING), rule=UNREADABLE)
    return Listed(path_text)


def list_records(paths: list[Path], config: Config) -> Iterator[Listed]:
    """Files as given and folders walked; no paths means the repository's records folder."""
    if not paths:
        if config.records_dir.is_dir():
            yield from walk_records(config.records_dir, config.root)
        return
    for path in paths:
        target = real(path)
        if target is None:  # the path or a folder on its way loops
            yield Listed(str(path), refused=_(LOOP), rule=UNREADABLE)
        elif path.is_dir():
            root = config.root if target.is_relative_to(config.root) else target
            yield from walk_records(path, root)
        elif path.is_symlink():  # a link given by name obeys the walk's rule: never out of its tree
            here = real(path.parent) or target.parent
            yield linked_file(str(path), config.root if here.is_relative_to(config.root) else here)
        else:
            yield Listed(str(path))


def named_to_read(path: Path, config: Config) -> Path:
    """A record file named by path, for a command that only reads it, under ``list_records``'
    rule: a link never out of its tree, a path outside the repository read where it is. A
    refusal is one line (exit 1)."""
    for listed in list_records([path], config):
        if listed.refused:
            raise UnsafePathError(listed.refused, path=str(path))
    return path


def repeated_codes(paths: Iterable[PathT]) -> Iterator[tuple[PathT, PathT]]:
    """(a record file, the earlier file of the same name): one code with two records.

    A record's file is named after its code (rule file-name), so two files of one name in two
    folders are one project twice, and every total would count it twice. Names are enough:
    nothing is read. Paths or their text, as given.
    """
    first: dict[str, PathT] = {}
    for path in paths:
        earlier = first.setdefault(os.path.basename(path), path)
        if earlier is not path:
            yield path, earlier


def records_expected(config: Config) -> str | None:
    """Whether the repository's records folder may be read as it is, for every reading command.

    A CI job run in the wrong folder must not go green on "0 files checked". None: the records
    folder holds at least one record. A note to show: the folder ``projledger.toml`` names
    exists but holds no record yet (a new repository, as ``init`` makes it). Otherwise, no
    record where records were expected: ``NotFoundError`` saying where it looked and why there
    (no folder at all, or the default ``./records`` with no ``projledger.toml`` here or above
    (empty or missing): the folder a command was run from is not a records repository).
    Costs one folder listing, two at most: the walk stops at the first record.
    """
    folder = config.records_dir
    if config.path is not None:
        how = _("the folder {config} names").format(config=config.path)
    else:
        how = _("the default ./records: no {config} in {root} or a folder above it").format(
            config=CONFIG_NAME, root=config.root
        )
    if folder.is_dir() and next(walk_records(folder, config.root), None) is not None:
        return None
    if config.path is not None and folder.is_dir():
        return _("no record yet in {folder} ({how}): a new repository").format(folder=folder, how=how)
    missing = (
        _("no records folder at {folder} ({how})")
        if not folder.is_dir()
        else _("no record at {folder} ({how})")
    ).format(folder=folder, how=how)
    message = _(
        "{missing}; run from the records repository, give its records folder, or start one with projledger init"
    )
    raise NotFoundError(message.format(missing=missing))


def named_folders_expected(paths: list[Path], config: Config) -> str | None:
    """The rule of ``records_expected`` for the paths a command was given by name.

    ``projledger validate .`` run in the wrong folder must not go green on "0 files checked"
    either. None: a path is not a folder (a file or a code, checked as such) or the folders hold
    a record (or something the walk reports). A note to show: every folder is the records folder
    of a new repository (``records_expected``'s exception). Otherwise ``NotFoundError`` naming
    the folders as given. Stops at the first record found.
    """
    if not paths or not all(path.is_dir() for path in paths):
        return None
    if next(list_records(paths, config), None) is not None:
        return None
    records_folder = real(config.records_dir)
    if config.path is not None and all(real(path) == records_folder for path in paths):
        return records_expected(config)
    names = ", ".join(str(path) for path in paths)
    message = _(
        "no record in {names} (given by name: no *.toml file there or in a folder below); "
        "give the records folder, or run from the records repository with no PATH"
    )
    raise NotFoundError(message.format(names=names))
