"""Where a command may write what ``--output`` names: one decision for every command.

``plan_output`` looks at the path once and says what to do with it, as an ``OutputPlan``:

- ``replace``: a regular file, or nothing yet: the new bytes go to a temporary file beside it
  and are renamed over it (``store.write_atomic``; the old file's mode is kept). A symbolic
  link is never replaced: what it leads to is (the link stays a link), provided a link lying
  in the repository does not lead out of it;
- ``stream``: a FIFO or a character device (``/dev/stdout``, a terminal, ``/dev/null``) is
  written into, never replaced; a FIFO that no program reads from is refused at once, never
  waited on;
- ``folder``: for ``site``, a folder (or nothing yet) that the site is built beside and
  swapped into;
- ``refuse``: anything else (a folder where a file was asked for, a socket, a block device, a
  missing folder on the way, a link out of the repository), and, as a usage error, an empty
  path or any place no output may go: the records folder and the repository's ``.git``
  (found by walking up as git does, a worktree's ``.git`` file followed), judged after every
  link and ``..`` is resolved.

``write_output`` carries a plan out. Nothing is written, created or removed while planning.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from .config import Config
from .errors import ConflictError, ForbiddenPlaceError, InputError, ProjledgerError, UnsafePathError
from .i18n import N_, _, os_problem

Action = Literal["replace", "stream", "folder", "refuse"]
#: How a refusal is raised: a usage error (exit 2), a path that leads out (exit 1), or any other
#: path that cannot take the output (exit 1).
Refusal = Literal["usage", "unsafe", "conflict", "input"]

#: At most this much of a ``.git`` file is read (``gitdir: <path>`` is one short line).
GIT_FILE_LIMIT = 4096


@dataclass(frozen=True)
class OutputPlan:
    """What to do with an output path: ``target`` is where the bytes go (a link's target when
    ``path`` is a link to a file); ``reason`` and ``refusal`` say why a refused path is refused."""

    action: Action
    path: Path
    target: Path
    reason: str = ""
    refusal: Refusal | None = None
    field: str = "--output"

    def error(self) -> ProjledgerError:
        """The exception a refused plan raises (one line: the path, the option, why)."""
        kind = {
            "usage": ForbiddenPlaceError,
            "unsafe": UnsafePathError,
            "conflict": ConflictError,
        }.get(self.refusal or "", InputError)
        return kind(self.reason, path=str(self.path), field=self.field)

    def require(self) -> OutputPlan:
        """The plan itself, or its refusal raised."""
        if self.action == "refuse":
            raise self.error()
        return self


def _refuse(path: Path, reason: str, refusal: Refusal) -> OutputPlan:
    return OutputPlan("refuse", path, path, reason, refusal)


def plan_output(
    path: Path | str,
    config: Config | None = None,
    cwd: Path | None = None,
    *,
    folder: bool = False,
    field: str = "--output",
) -> OutputPlan:
    """What to do with the output ``path`` (a file; with ``folder``, the site's folder).

    Without ``config`` (a library call) only the kind of thing at ``path`` is judged; with it,
    the records folder and ``.git`` are forbidden and a link in the repository may not lead out.
    ``field`` names the option a refusal names (every plan carries it).
    """
    return replace(_plan(path, config, cwd, folder), field=field)


def _plan(path: Path | str, config: Config | None, cwd: Path | None, folder: bool) -> OutputPlan:
    text = os.fspath(path)
    given = Path(text)
    if not text.strip():
        return _refuse(given, "an empty path; name the file to write", "usage")
    base = os.fspath(cwd) if cwd is not None else os.getcwd()
    lexical = os.path.abspath(os.path.join(base, text))  # ".." folded as written
    # where the entry lies (its folder resolved, its own name kept) and where bytes would go
    entry = Path(os.path.realpath(os.path.dirname(lexical))) / os.path.basename(lexical)
    target = Path(os.path.realpath(lexical))
    if config is not None:
        refused = _forbidden(given, (entry, target), config, base, folder)
        if refused is not None:
            return refused
        root = config.root.resolve()
        named_inside = Path(lexical).is_relative_to(root) or entry.is_relative_to(root)
        if named_inside and not target.is_relative_to(root):
            return _refuse(
                given,
                _(
                    "leads outside the repository (to {target}) through a link; "
                    "name the file itself or remove the link"
                ).format(target=target),
                "unsafe",
            )
    try:
        mode = os.lstat(lexical).st_mode
    except FileNotFoundError:
        return _missing(given, Path(lexical), folder)
    except NotADirectoryError:
        return _refuse(given, _("no such folder to write it in"), "input")
    except OSError as error:
        return _refuse(given, _("cannot be used: {problem}").format(problem=os_problem(error)), "input")
    if stat.S_ISLNK(mode):
        try:
            mode = os.stat(lexical).st_mode
        except FileNotFoundError:  # a dangling link: what it names is made, the link kept
            if folder:
                return _refuse(given, _("is a link; give a real folder"), "unsafe")
            return _missing(given, target, folder)
        except OSError as error:
            why = _("a symbolic link loop") if error.errno == errno.ELOOP else os_problem(error)
            return _refuse(given, _("is a link that cannot be followed: {why}").format(why=why), "unsafe")
        if folder:
            return _refuse(given, _("is a link; give a real folder"), "unsafe")
        if stat.S_ISREG(mode):
            return OutputPlan("replace", given, target)
    return _by_kind(given, Path(lexical), mode, folder)


def _missing(given: Path, where: Path, folder: bool) -> OutputPlan:
    if folder:  # the site makes the folders on its way
        return OutputPlan("folder", given, Path(os.path.realpath(where)))
    if not os.path.isdir(where.parent):
        return _refuse(given, _("no such folder to write it in"), "input")
    return OutputPlan("replace", given, where)


def _by_kind(given: Path, where: Path, mode: int, folder: bool) -> OutputPlan:
    """The plan for what lies at ``where`` (a link there already followed)."""
    what = kind_of(mode)
    if folder:
        if stat.S_ISDIR(mode):
            return OutputPlan("folder", given, Path(os.path.realpath(where)))
        return _refuse(given, _("is {what}, not a folder").format(what=what), "conflict")
    if stat.S_ISREG(mode):
        return OutputPlan("replace", given, where)
    if stat.S_ISFIFO(mode) or stat.S_ISCHR(mode):
        return OutputPlan("stream", given, where)
    return _refuse(given, _("is {what}, not a file; name a file to write").format(what=what), "conflict")


def kind_of(mode: int) -> str:
    """What a file mode is, in words for a message."""
    for test, words in (
        (stat.S_ISREG, N_("a file")),
        (stat.S_ISDIR, N_("a folder")),
        (stat.S_ISLNK, N_("a symbolic link")),
        (stat.S_ISFIFO, N_("a FIFO")),
        (stat.S_ISCHR, N_("a character device")),
        (stat.S_ISBLK, N_("a block device")),
        (stat.S_ISSOCK, N_("a socket")),
    ):
        if test(mode):
            return _(words)
    return _("not a regular file")


# --- places no output may go ------------------------------------------------------------------


def protected_places(config: Config, cwd: Path | str) -> list[tuple[str, Path]]:
    """(what it is, where it is resolved) of every place an output may never go."""
    records = config.records_dir.resolve()
    places = [(_("the records folder, which holds records only"), records)]
    if config.path is not None:  # an --output of "projledger.toml" by a slip must not replace it
        places.append((_("the repository's settings file"), config.path.resolve()))
    for git in git_dirs((records, config.root, Path(cwd))):
        places.append((_("the repository's .git, which git alone may write"), git))
    return places


def _forbidden(
    given: Path, where: Iterable[Path], config: Config, cwd: str, folder: bool
) -> OutputPlan | None:
    for what, place in protected_places(config, cwd):
        for path in where:
            if path.is_relative_to(place) or (folder and place.is_relative_to(path)):
                if path == place:
                    said = _("is {what} ({place}); write it elsewhere")
                elif path.is_relative_to(place):
                    said = _("is in {what} ({place}); write it elsewhere")
                else:
                    said = _("holds {what} ({place}); write it elsewhere")
                return _refuse(given, said.format(what=what, place=place), "usage")
    return None


def ensure_outside_git(path: Path, starts: Iterable[Path], field: str) -> None:
    """Refuse (a usage error) a folder to write in that lies in a ``.git`` of the repositories
    holding ``starts`` or ``path``: ``import --records``, ``init``'s folder."""
    where = Path(os.path.realpath(path))
    for git in git_dirs((*starts, where)):
        if where.is_relative_to(git):
            raise ForbiddenPlaceError(
                _(
                    "is in the repository's .git, which git alone may write ({git}); write it elsewhere"
                ).format(git=git),
                path=str(path),
                field=field,
            )


def git_dirs(starts: Iterable[Path]) -> list[Path]:
    """Every git folder of the repositories holding ``starts``, resolved: each ``.git`` found
    walking up from them, a ``.git`` file's ``gitdir:`` and that folder's ``commondir``."""
    found: dict[Path, None] = {}
    for start in starts:
        here = Path(os.path.realpath(start))
        for folder in (here, *here.parents):
            for git in _git_of(folder / ".git"):
                found.setdefault(git)
    return list(found)


def _git_of(dot_git: Path) -> Iterator[Path]:
    try:
        mode = os.lstat(dot_git).st_mode
    except OSError:
        return
    yield Path(os.path.realpath(dot_git))  # the .git itself, folder, file or link
    if stat.S_ISLNK(mode):
        try:
            mode = os.stat(dot_git).st_mode
        except OSError:
            return
    if not stat.S_ISREG(mode):
        return
    pointed = _read_small(dot_git).strip()
    if not pointed.startswith("gitdir:"):
        return
    git = Path(os.path.realpath(dot_git.parent / pointed.removeprefix("gitdir:").strip()))
    yield git
    common = _read_small(git / "commondir").strip()  # a worktree's: the main repository's .git
    if common:
        yield Path(os.path.realpath(git / common))


def _read_small(path: Path) -> str:
    """The start of a regular file's text, or "" (a FIFO or device there is never opened)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return ""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ""
        return os.read(fd, GIT_FILE_LIMIT).decode("utf-8", "replace").split("\n", 1)[0]
    except OSError:
        return ""
    finally:
        os.close(fd)


# --- carrying a plan out ----------------------------------------------------------------------


def write_output(plan: OutputPlan, content: bytes) -> None:
    """Write ``content`` as ``plan`` says: replaced atomically, or written into the stream."""
    from .store import write_atomic

    plan.require()
    if plan.action == "stream":
        _write_stream(plan, content)
        return
    if plan.action != "replace":
        raise ValueError(f"a {plan.action} plan is not for one file")
    try:
        now = os.lstat(plan.target).st_mode
    except FileNotFoundError:
        now = stat.S_IFREG
    if not stat.S_ISREG(now):  # it changed since the plan: never replace what is not a file
        raise _became(plan, now)
    try:
        write_atomic(plan.target, content)
    except ProjledgerError as error:  # named as the user named it, not where a link led
        error.path = str(plan.path)
        raise


def _write_stream(plan: OutputPlan, content: bytes) -> None:
    # Never O_CREAT (a stream gone is not made a file), never O_TRUNC; O_NONBLOCK so a FIFO
    # nobody reads is refused (ENXIO) rather than waited on; then blocking writes as usual.
    flags = os.O_WRONLY | os.O_NOCTTY | os.O_CLOEXEC | os.O_NONBLOCK
    try:
        fd = os.open(plan.target, flags)
    except OSError as error:
        reason = (
            _("is a FIFO no program is reading from; start the reader first")
            if error.errno == errno.ENXIO
            else _("cannot be opened: {problem}").format(problem=os_problem(error))
        )
        raise ConflictError(reason + _("; nothing written"), path=str(plan.path), field=plan.field) from None
    try:
        mode = os.fstat(fd).st_mode
        if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
            raise _became(plan, mode)
        os.set_blocking(fd, True)
        data = memoryview(content)
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)


def _became(plan: OutputPlan, mode: int) -> ConflictError:
    """What lies at the plan's path is no longer what the plan was made for: refused."""
    what = kind_of(mode)
    return ConflictError(
        _("became {what} while the output was made; nothing written").format(what=what),
        path=str(plan.path),
        field=plan.field,
    )
