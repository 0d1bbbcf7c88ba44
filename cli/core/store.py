"""Writing record files so that no crash and no second writer can corrupt them.

Every write is a read-change-write under one lock per record file:

- the lock is ``fcntl.flock`` on a separate file, ``.<name>.lock`` beside the record (never the
  record itself, which ``os.replace`` swaps for a new inode). The kernel drops a flock when its
  process dies, so a lock file left behind by a killed writer never blocks anyone; dotfiles are
  skipped by ``repository.walk_records``;
- the new content goes to ``.<name>.<random>.tmp`` in the same folder (``tempfile.mkstemp``),
  is flushed and fsynced, given the old file's mode, and renamed over the record with
  ``os.replace``; then the folder is fsynced so the rename itself survives a power cut;
- while holding the lock, temporary files of this record left by killed writers are removed:
  only a lock holder ever makes one, so any found then is stale.

A reader without the lock sees either the old file or the new one, never a mix.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .errors import InputError, ProjledgerError, RecordError, unreadable
from .i18n import _, os_problem

LOCK_SUFFIX = ".lock"
TEMP_SUFFIX = ".tmp"


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}{LOCK_SUFFIX}")


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


@contextlib.contextmanager
def locked(path: Path, what: str = "the record") -> Iterator[None]:
    """Hold the exclusive lock of record ``path`` (waiting for other writers); ``what`` names it
    in messages (the site's folder takes the same lock, beside it, while it is built)."""
    try:
        # O_NOFOLLOW: a link pushed at the lock's name must not make us create or open its target
        fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
    except OSError as error:
        if error.errno == errno.ELOOP:
            message = _("the lock file {name} is a symbolic link; remove it")
            name = lock_path(path).name
            raise RecordError(message.format(name=name), rule="unsafe-path", path=path) from None
        message = _("cannot lock {what} for writing: {problem}").format(what=what, problem=os_problem(error))
        raise RecordError(message, rule="io", path=path) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        remove_stale_temps(path)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the flock


def remove_stale_temps(path: Path) -> list[Path]:
    """Delete temporary files of ``path`` that killed writers left; call only under the lock."""
    prefix = _temp_prefix(path)
    removed = []
    try:
        names = os.listdir(path.parent)
    except OSError:
        return []
    for name in names:
        if name.startswith(prefix) and name.endswith(TEMP_SUFFIX) and name != lock_path(path).name:
            stale = path.parent / name
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()
                removed.append(stale)
    return removed


def write_atomic(path: Path, content: bytes) -> None:
    """Replace ``path`` by ``content`` all at once (a record: under ``locked(path)``).

    Also the one way any other file the tool writes (a spreadsheet, a form) replaces the old.
    """
    existed = True
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:  # a new file's mode: what the umask leaves of 0o666
        mask = os.umask(0)
        os.umask(mask)
        mode, existed = 0o666 & ~mask, False
    try:
        fd, temp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=TEMP_SUFFIX, dir=path.parent)
    except OSError as error:
        raise write_failed(path, error, existed) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        if isinstance(error, OSError):
            raise write_failed(path, error, existed) from None
        raise
    fsync_folder(path.parent)


def write_failed(path: Path | str, error: OSError, existed: bool) -> RecordError:
    """A write the machine refused (a full disk, no permission), as one line naming the file and
    saying that nothing changed: the old file is whole, or a new one was never made."""
    reason = os_problem(error)
    message = (
        _("cannot be written: {problem}; nothing was changed, the file is as it was")
        if existed
        else _("cannot be written: {problem}; nothing was changed, the file was not created")
    )
    return RecordError(message.format(problem=reason), rule="io", path=path)


def fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def record_target(path: Path, within: Path | None = None) -> Path:
    """The file a write of record ``path`` replaces, judged before any lock or temporary file is
    made beside it: ``path`` itself (a regular file, or nothing yet), or where its link leads.

    Refused (``RecordError``, nothing made): a FIFO, device, socket or folder in the record's place
    (a FIFO would be waited on for ever); a link to nothing (the write would create a file wherever
    it points, even outside the repository); a link to what is not a regular file; a read-only
    file (``chmod a-w``: a year closed); and, with ``within`` (the records folder), a link out of it.
    """

    def unsafe(message: str) -> RecordError:
        return RecordError(message, rule="unsafe-path", path=path)

    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return path
    except OSError as error:
        raise unreadable(error, path) from None
    if stat.S_ISLNK(mode):
        try:
            mode = os.stat(path).st_mode
        except OSError as error:
            why = (
                _("a link to nothing")
                if error.errno == errno.ENOENT
                else _("a link that fails ({problem})").format(problem=os_problem(error))
            )
            message = _(
                "is {what}; a record is written as a file, never through such a link; nothing written"
            )
            raise unsafe(message.format(what=why)) from None
    if not stat.S_ISREG(mode):
        from .outputs import kind_of

        raise unsafe(_("is {what} where a record file belongs; nothing written").format(what=kind_of(mode)))
    if mode & 0o444 and not (mode & 0o222 and os.access(path, os.W_OK)):  # a rename would replace it
        message = _("is read-only; make it writable first (chmod u+w); nothing written")
        raise RecordError(message, rule="io", path=path)
    target = Path(os.path.realpath(path))
    if within is not None and not target.is_relative_to(os.path.realpath(within)):
        text = _("is a link that leads out of the records folder (to {target}); nothing written")
        raise unsafe(text.format(target=target))
    return target


def update(
    path: Path, change: Callable[[bytes | None], bytes | None], within: Path | None = None
) -> bytes | None:
    """Read ``path`` (None when absent), let ``change`` compute the new bytes, write them.

    All under the record's lock, so what ``change`` saw is what it replaces. ``change`` may
    raise to refuse (nothing is written) or return None to leave the file as it is. Writes go
    through the link when ``path`` is a symbolic link, so the link stays a link (judged first
    by ``record_target``: never a link to nothing, nor one out of ``within``).
    """
    target = record_target(path, within)
    with locked(target):
        current = read_locked(target, path)
        new = change(current)
        if new is not None and new != current:
            replace_locked(target, new, path)
        return new


def read_locked(target: Path, shown: Path | str) -> bytes | None:
    """The bytes of record ``target`` (None when absent); call under its lock."""
    try:
        return target.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise unreadable(error, shown) from None


def replace_locked(target: Path, content: bytes, shown: Path | str) -> None:
    """Store ``content`` as record ``target`` atomically; call under its lock. A failure is
    ``write_atomic``'s ``RecordError`` (no half file), named as the caller named the file (a
    link by its own name)."""
    try:
        write_atomic(target, content)
    except RecordError as error:
        error.path = str(shown)
        raise


@contextlib.contextmanager
def locked_all(paths: Iterable[Path]) -> Iterator[None]:
    """Hold the locks of every record of ``paths`` at once (for a write of all or none).

    They are taken in one order (sorted, each path once), so two writers whose sets overlap
    never wait on each other forever. If one cannot be taken, those held are let go and the
    ``RecordError`` naming it is raised: nothing has been written.
    """
    with contextlib.ExitStack() as stack:
        for path in sorted(set(paths)):
            stack.enter_context(locked(path))
        yield


# --- folders swapped in whole (the site, an export) ---------------------------------------


def exchange_paths(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False where unsupported."""
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EPERM):
        return False
    raise OSError(code, os.strerror(code), str(a))


@contextlib.contextmanager
def built_in(folder: Path, failure: str, shown: str) -> Iterator[None]:
    """Build in ``folder`` (the site's or the export's, beside its target): on any failure the
    folder is removed, and an error of the operating system (a full disk names no file) becomes
    ``failure``, formatted with ``problem`` and ``what`` (the file, when named), in one line."""
    try:
        yield
    except BaseException as error:
        shutil.rmtree(folder, ignore_errors=True)
        if isinstance(error, OSError) and not isinstance(error, ProjledgerError):
            what = f" ({error.filename})" if error.filename else ""
            raise InputError(
                failure.format(problem=os_problem(error), what=what), path=shown, field="--output"
            ) from None
        raise


def swap_in(new: Path, target: Path) -> None:
    """Put the folder ``new`` where ``target`` is (the site, an export); the old one goes away
    only once the new one is there."""
    if not target.exists():
        os.rename(new, target)
        return
    if exchange_paths(new, target):
        shutil.rmtree(new, ignore_errors=True)  # ``new`` now holds the old site
        return
    old = Path(tempfile.mkdtemp(prefix=f"{target.name}.tmp-", dir=target.parent))
    os.rmdir(old)
    os.rename(target, old)
    os.rename(new, target)
    shutil.rmtree(old, ignore_errors=True)
