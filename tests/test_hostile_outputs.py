"""Every command that writes an output, aimed at every kind of hostile path (issue 17, 1 and 7).

One decision (``core/outputs.py``) for all of them: a regular file is replaced atomically with
its mode kept; a missing one is created; a FIFO or a character device is written into, never
replaced (a FIFO nobody reads is refused at once, never waited on); a link is never replaced
(followed when it stays in the repository, refused when it leads out); a folder, a missing
folder on the way and anything else are refused (exit 1 or click's exit 2); an empty path, the
records folder and the repository's ``.git`` (however reached: links, ``..``, a worktree's
``.git`` file) are usage errors, exit 2. The whole temporary tree (the repository and a folder
outside it) is snapshot before and after: nothing but the intended file may change.

Nothing here touches a system path: FIFOs, links and device nodes are made in ``tmp_path``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from projledger.core.outputs import OutputPlan, plan_output, write_output

from conftest import SHIPPED, run

AS_OF = "31/03/2565"
CODE = "01000000-2475"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
DEV_NULL = (1, 3)  # major, minor of /dev/null on Linux; the node itself is made in tmp_path

# --- the tree, and what changed in it ---------------------------------------------------------

Entry = tuple[str, int, object]


def snapshot(top: Path) -> dict[str, Entry]:
    """Every path below ``top``: its type, mode and content (a file's bytes, a link's target, a
    device's numbers); FIFOs and devices are never opened."""
    seen: dict[str, Entry] = {}
    for folder, dirs, files in os.walk(top):
        for name in dirs + files:
            path = os.path.join(folder, name)
            info = os.lstat(path)
            mode = info.st_mode
            if stat.S_ISREG(mode):
                content: object = Path(path).read_bytes()
            elif stat.S_ISLNK(mode):
                content = os.readlink(path)
            elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
                content = info.st_rdev
            else:
                content = None
            seen[os.path.relpath(path, top)] = (stat.filemode(mode), stat.S_IMODE(mode), content)
    return seen


def changed(before: dict[str, Entry], after: dict[str, Entry]) -> set[str]:
    return {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}


@contextlib.contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail, never hang, if the block outlives ``seconds`` (a blocked open of a FIFO...)."""

    def expire(signum: int, frame: object) -> None:
        raise TimeoutError(f"still running after {seconds} s: it waited on something")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


class Reader:
    """A reader of a FIFO, opened before the command runs (so a writer finds it at once)."""

    def __init__(self, fifo: Path) -> None:
        self.fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
        os.set_blocking(self.fd, True)
        # A write end of our own, so the reader waits for the command instead of seeing EOF
        # at once (a FIFO without writers reads as empty); closed in ``finish``.
        self.own_writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        self.data = bytearray()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while chunk := os.read(self.fd, 1 << 16):
            self.data += chunk

    def finish(self) -> bytes:
        os.close(self.own_writer)
        self.thread.join(timeout=20)
        assert not self.thread.is_alive(), "the writer never closed the FIFO"
        os.close(self.fd)
        return bytes(self.data)


# --- the repository and the place outside it ---------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``tmp_path/repo``: a records repository with a ``.git``, as the working folder, and
    ``tmp_path/outside`` with a file that must never change."""
    repo = tmp_path / "repo"
    (repo / "records" / "2565").mkdir(parents=True)
    (repo / "records" / "2565" / SHIPPED.name).write_bytes(SHIPPED.read_bytes())
    git = repo / ".git"
    (git / "refs" / "tags").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n", "utf-8")
    (repo / "docs").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious.txt").write_text("keep", "utf-8")
    monkeypatch.chdir(repo)
    return tmp_path


@dataclass(frozen=True)
class Command:
    name: str
    args: Callable[[str], list[str]]
    suffix: str
    starts: bytes  # what its output begins with


COMMANDS = [
    Command(
        "show text", lambda p: ["show", CODE, "--as-of", AS_OF, "--output", p], ".txt", "**** แบบ".encode()
    ),
    Command(
        "show html",
        lambda p: ["show", CODE, "--format", "html", "--as-of", AS_OF, "--output", p],
        ".html",
        b"<!DOCTYPE html>",
    ),
    Command(
        "status xlsx",
        lambda p: ["status", "--format", "xlsx", "--as-of", AS_OF, "--output", p],
        ".xlsx",
        b"PK",
    ),
    Command(
        "summary xlsx",
        lambda p: ["summary", "--format", "xlsx", "--as-of", AS_OF, "--output", p],
        ".xlsx",
        b"PK",
    ),
    Command(
        "sheet export csv",
        lambda p: ["sheet", "export", "--month", "03/2565", "--as-of", AS_OF, "--output", p],
        ".csv",
        b"\xef\xbb\xbf",
    ),
    Command("sheet export --new", lambda p: ["sheet", "export", "--new", "--output", p], ".xlsx", b"PK"),
]


@dataclass(frozen=True)
class Hostile:
    """A kind of path: ``make(repo, outside, name)`` sets it up and returns the argument;
    ``outcome``: replaced, created, streamed (a reader is opened), written (a device),
    refused (exit 1, or click's exit 2 for a folder), usage (exit 2)."""

    name: str
    make: Callable[[Path, Path, str], str]
    outcome: str
    root_only: bool = False


def _file(repo: Path, outside: Path, name: str) -> str:
    (repo / name).write_bytes(b"old output")
    os.chmod(repo / name, 0o640)
    return name


def _fifo(repo: Path, outside: Path, name: str) -> str:
    os.mkfifo(repo / name)
    return name


def _device(folder: Path, name: str) -> Path:
    node = folder / name
    os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(*DEV_NULL))
    return node


def _link_in(repo: Path, outside: Path, name: str) -> str:
    (repo / "docs" / name).write_bytes(b"old output")
    os.chmod(repo / "docs" / name, 0o600)
    os.symlink(f"docs/{name}", repo / name)
    return name


def _link_out(repo: Path, outside: Path, name: str) -> str:
    os.symlink(outside / "precious.txt", repo / name)
    return name


def _link_out_to_missing(repo: Path, outside: Path, name: str) -> str:
    os.symlink(outside / name, repo / name)  # would create a file outside
    return name


def _folder_link_out(repo: Path, outside: Path, name: str) -> str:
    os.symlink(outside, repo / "out")  # a folder on the way leads out
    return f"out/{name}"


def _link_device_in(repo: Path, outside: Path, name: str) -> str:
    _device(repo / "docs", "null")
    os.symlink("docs/null", repo / name)
    return name


def _link_device_out(repo: Path, outside: Path, name: str) -> str:
    os.symlink(_device(outside, "null"), repo / name)
    return name


def _link_fifo(repo: Path, outside: Path, name: str) -> str:
    os.mkfifo(repo / "docs" / "pipe")
    os.symlink("docs/pipe", repo / name)
    return name


def _link_to_git(repo: Path, outside: Path, name: str) -> str:
    os.symlink(".git/HEAD", repo / name)
    return name


def _link_to_records(repo: Path, outside: Path, name: str) -> str:
    os.symlink(f"records/2565/{SHIPPED.name}", repo / name)
    return name


def _link_loop(repo: Path, outside: Path, name: str) -> str:
    os.symlink(name, repo / name)
    return name


def _folder_link_to_git(repo: Path, outside: Path, name: str) -> str:
    os.symlink(".git/refs", repo / "refs")
    return f"refs/{name}"


HOSTILE = [
    Hostile("regular file", _file, "replaced"),
    Hostile("missing", lambda repo, outside, name: name, "created"),
    Hostile("missing outside", lambda repo, outside, name: str(outside / name), "created"),
    Hostile("missing folder", lambda repo, outside, name: f"nowhere/{name}", "refused"),
    Hostile("folder", lambda repo, outside, name: "docs", "refused"),
    Hostile("fifo", _fifo, "streamed"),
    Hostile("fifo nobody reads", _fifo, "refused"),
    Hostile("device", lambda repo, outside, name: _device(repo, name).name, "written", root_only=True),
    Hostile("link to a file in the repository", _link_in, "replaced"),
    Hostile("link out of the repository", _link_out, "refused"),
    Hostile("link out to nothing", _link_out_to_missing, "refused"),
    Hostile("folder linked out", _folder_link_out, "refused"),
    Hostile("link to a device", _link_device_in, "written", root_only=True),
    Hostile("link out to a device", _link_device_out, "refused", root_only=True),
    Hostile("link to a fifo", _link_fifo, "streamed"),
    Hostile("link loop", _link_loop, "refused"),
    Hostile("in .git", lambda repo, outside, name: f".git/{name}", "usage"),
    Hostile(".git HEAD", lambda repo, outside, name: ".git/HEAD", "usage"),
    Hostile(".git by ..", lambda repo, outside, name: f"docs/../.git/refs/tags/{name}", "usage"),
    Hostile(".git by absolute path", lambda repo, outside, name: str(repo / ".git" / name), "usage"),
    Hostile("link to .git", _link_to_git, "usage"),
    Hostile("folder linked into .git", _folder_link_to_git, "usage"),
    Hostile("in the records folder", lambda repo, outside, name: f"records/2565/{name}", "usage"),
    Hostile("a record", lambda repo, outside, name: f"records/2565/{SHIPPED.name}", "usage"),
    Hostile("link to a record", _link_to_records, "usage"),
    Hostile("empty", lambda repo, outside, name: "", "usage"),
]


def _written_at(repo: Path, outside: Path, hostile: Hostile, name: str) -> Path:
    """The one file a successful run may change."""
    if hostile.name == "link to a file in the repository":
        return repo / "docs" / name
    if hostile.name == "missing outside":
        return outside / name
    return repo / name


@pytest.mark.parametrize("hostile", HOSTILE, ids=[h.name for h in HOSTILE])
@pytest.mark.parametrize("command", COMMANDS, ids=[c.name for c in COMMANDS])
def test_every_output_against_every_hostile_path(tree: Path, command: Command, hostile: Hostile) -> None:
    if hostile.root_only and not IS_ROOT:
        pytest.skip("making a device node needs root")
    repo, outside = tree / "repo", tree / "outside"
    name = "out" + command.suffix
    argument = hostile.make(repo, outside, name)
    reader = Reader(repo / argument) if hostile.outcome == "streamed" else None
    before = snapshot(tree)
    with deadline(30):
        result = run(*command.args(argument))
    after = snapshot(tree)
    got = reader.finish() if reader is not None else b""
    diff = changed(before, after)
    if hostile.outcome in ("usage", "refused"):
        expected = 2 if hostile.outcome == "usage" else (1, 2)
        assert result.exit_code in ((expected,) if isinstance(expected, int) else expected), result.stderr
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("projledger: "), result.stderr
        if argument:
            assert argument in lines[0], lines[0]  # names the path
        assert diff == set(), diff
        return
    assert result.exit_code == 0, result.stderr
    if hostile.outcome in ("streamed", "written"):
        assert diff == set(), diff  # the FIFO or device is still itself, and nothing else moved
        if reader is not None:
            assert got.startswith(command.starts) and len(got) > 100
        return
    target = _written_at(repo, outside, hostile, name)
    relative = os.path.relpath(target, tree)
    assert diff == {relative}, diff
    assert target.read_bytes().startswith(command.starts)
    if hostile.outcome == "replaced":
        assert after[relative][1] == before[relative][1], "the old mode is kept"
        assert after[relative][0] == "-" + stat.filemode(before[relative][1])[1:]


# --- the site: a folder ----------------------------------------------------------------------


SITE_HOSTILE = [
    Hostile("missing", lambda repo, outside, name: name, "created"),
    Hostile("missing outside", lambda repo, outside, name: str(outside / name), "created"),
    Hostile("regular file", _file, "refused"),
    Hostile("fifo", _fifo, "refused"),
    Hostile("device", lambda repo, outside, name: _device(repo, name).name, "refused", root_only=True),
    Hostile(
        "link to a folder in the repository", lambda repo, outside, name: _link_dir(repo, name), "refused"
    ),
    Hostile("folder linked out", _folder_link_out, "refused"),
    Hostile("link out", lambda repo, outside, name: _link_dir_out(repo, outside, name), "refused"),
    Hostile("in .git", lambda repo, outside, name: ".git/refs/tags", "usage"),
    Hostile(".git itself", lambda repo, outside, name: ".git", "usage"),
    Hostile("new folder in .git", lambda repo, outside, name: f".git/{name}", "usage"),
    Hostile(".git by ..", lambda repo, outside, name: f"docs/../.git/{name}", "usage"),
    Hostile("folder linked into .git", _folder_link_to_git, "usage"),
    Hostile("in the records folder", lambda repo, outside, name: f"records/{name}", "usage"),
    Hostile("empty", lambda repo, outside, name: "", "usage"),
]


def _link_dir(repo: Path, name: str) -> str:
    (repo / "docs" / "site").mkdir()
    os.symlink("docs/site", repo / name)
    return name


def _link_dir_out(repo: Path, outside: Path, name: str) -> str:
    os.symlink(outside, repo / name)
    return name


@pytest.mark.parametrize("hostile", SITE_HOSTILE, ids=[h.name for h in SITE_HOSTILE])
def test_the_site_against_every_hostile_path(tree: Path, hostile: Hostile) -> None:
    if hostile.root_only and not IS_ROOT:
        pytest.skip("making a device node needs root")
    repo, outside = tree / "repo", tree / "outside"
    argument = hostile.make(repo, outside, "public")
    before = snapshot(tree)
    with deadline(60):
        result = run("site", "--output", argument, "--as-of", AS_OF)
    diff = changed(before, snapshot(tree))
    if hostile.outcome == "created":
        assert result.exit_code == 0, result.stderr
        folder = os.path.relpath(Path(argument).absolute(), tree)
        lock = os.path.join(
            os.path.dirname(folder), f".{os.path.basename(folder)}.lock"
        )  # builds queue on it
        assert diff and all(p in (folder, lock) or p.startswith(folder + os.sep) for p in diff), diff
        return
    assert result.exit_code == (2 if hostile.outcome == "usage" else 1) or (
        hostile.outcome == "refused" and result.exit_code == 2  # click's own "is a file"
    ), result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert diff == set(), diff


# --- .git found as git finds it ----------------------------------------------------------------


@pytest.fixture
def worktree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A linked worktree as ``git worktree add`` leaves it: ``.git`` is a file naming
    ``main/.git/worktrees/wt``, whose ``commondir`` names the main ``.git``."""
    main_git = tmp_path / "main" / ".git"
    (main_git / "worktrees" / "wt").mkdir(parents=True)
    (main_git / "HEAD").write_text("ref: refs/heads/main\n", "utf-8")
    (main_git / "worktrees" / "wt" / "HEAD").write_text("ref: refs/heads/wt\n", "utf-8")
    (main_git / "worktrees" / "wt" / "commondir").write_text("../..\n", "utf-8")
    repo = tmp_path / "wt"
    (repo / "records" / "2565").mkdir(parents=True)
    (repo / "records" / "2565" / SHIPPED.name).write_bytes(SHIPPED.read_bytes())
    (repo / ".git").write_text(f"gitdir: {main_git / 'worktrees' / 'wt'}\n", "utf-8")
    monkeypatch.chdir(repo)
    return tmp_path


@pytest.mark.parametrize(
    "output",
    [".git", "../main/.git/worktrees/wt/HEAD", "../main/.git/HEAD", "../main/.git/new.html"],
)
def test_a_worktrees_git_folders_are_refused(worktree: Path, output: str) -> None:
    before = snapshot(worktree)
    result = run("show", CODE, "--as-of", AS_OF, "--output", output)
    assert result.exit_code == 2, result.stderr
    assert ".git" in result.stderr and output in result.stderr
    assert snapshot(worktree) == before


def test_a_git_folder_above_the_repository_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """projledger.toml in a sub-folder of a git repository: the .git above is as forbidden."""
    (tmp_path / ".git" / "hooks").mkdir(parents=True)
    repo = tmp_path / "agency"
    (repo / "records" / "2565").mkdir(parents=True)
    (repo / "records" / "2565" / SHIPPED.name).write_bytes(SHIPPED.read_bytes())
    (repo / "projledger.toml").write_text("", "utf-8")
    monkeypatch.chdir(repo)
    before = snapshot(tmp_path)
    result = run("show", CODE, "--as-of", AS_OF, "--output", "../.git/hooks/pre-commit")
    assert result.exit_code == 2 and ".git" in result.stderr, result.stderr
    result = run("site", "--output", "..", "--as-of", AS_OF)  # a site there would replace .git
    assert result.exit_code == 2, result.stderr
    assert snapshot(tmp_path) == before


def test_import_and_init_never_write_into_git(tree: Path) -> None:
    from conftest import LEGACY_PRINTOUT

    before = snapshot(tree)
    result = run("import", str(LEGACY_PRINTOUT), "--records", ".git/records")
    assert result.exit_code == 2 and ".git" in result.stderr, result.stderr
    result = run("init", ".git/new")
    assert result.exit_code == 2 and ".git" in result.stderr, result.stderr
    assert snapshot(tree) == before
    assert run("import", str(LEGACY_PRINTOUT), "--records", "imported").exit_code == 0


@pytest.mark.parametrize("kind", ["empty", "blank", "fifo", "device", "link to a device"])
def test_import_records_folder_of_the_wrong_kind_is_refused(tree: Path, kind: str) -> None:
    """``import --records`` is a folder: '' is a usage error (it was the working folder, records
    written to ./2565/), a FIFO or a device is refused naming --records, nothing written."""
    from conftest import LEGACY_PRINTOUT

    repo = tree / "repo"
    name = {"empty": "", "blank": " "}.get(kind, "odd")
    if kind == "fifo":
        os.mkfifo(repo / name)
    elif kind != "empty" and kind != "blank":
        if not IS_ROOT:
            pytest.skip("os.mknod of a character device needs root")
        node = repo / ("node" if kind == "link to a device" else name)
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(*DEV_NULL))
        if kind == "link to a device":
            os.symlink("node", repo / name)
    before = snapshot(tree)
    result = run("import", str(LEGACY_PRINTOUT), "--records", name)
    assert snapshot(tree) == before
    if kind in ("empty", "blank"):
        assert result.exit_code == 2 and "--records" in result.stderr, result.stderr
    else:
        assert result.exit_code == 1, result.stderr
        assert result.stderr.startswith(f"projledger: {name}: --records: is a ")
        assert "not a folder" in result.stderr


# --- the plan itself ------------------------------------------------------------------------


def test_one_plan_says_what_each_path_is(tree: Path) -> None:
    from projledger.core.config import load_config

    repo = tree / "repo"
    config = load_config(repo)
    os.mkfifo(repo / "pipe")
    (repo / "file.txt").write_text("x", "utf-8")

    def plan(path: str, **kw: bool) -> OutputPlan:
        return plan_output(path, config, repo, **kw)

    assert plan("file.txt").action == "replace"
    assert plan("new.txt").action == "replace"
    assert plan("pipe").action == "stream"
    assert plan("docs").action == "refuse" and plan("docs").refusal == "conflict"
    assert plan("docs", folder=True).action == "folder"
    assert plan("pipe", folder=True).refusal == "conflict"
    assert plan(".git/x").refusal == "usage"
    assert plan("records/x").refusal == "usage"
    assert plan("").refusal == "usage"
    with pytest.raises(Exception, match="records folder"):
        plan("records/x").require()


def test_a_path_that_became_a_fifo_after_the_plan_is_not_replaced(tree: Path) -> None:
    """The check is made again just before the rename: a path swapped for a FIFO meanwhile is
    refused, never replaced by a file."""
    from projledger.core.errors import ConflictError

    repo = tree / "repo"
    plan = plan_output(repo / "late.html")
    assert plan.action == "replace"
    os.mkfifo(repo / "late.html")
    with pytest.raises(ConflictError, match="became a FIFO"):
        write_output(plan, b"x")
    assert stat.S_ISFIFO(os.lstat(repo / "late.html").st_mode)


# --- through a real process: /proc/self/fd/1, as /dev/stdout is --------------------------------


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_a_link_to_the_processs_own_stdout_is_written_into(tree: Path) -> None:
    """``--output /dev/stdout`` is a link to /proc/self/fd/1: written into, never replaced. The
    test makes its own link (outside the repository) to the process's own pipe."""
    import shutil
    import subprocess
    import sys

    program = shutil.which("projledger", path=str(Path(sys.executable).parent))
    assert program
    link = tree / "outside" / "stdout"
    os.symlink("/proc/self/fd/1", link)
    done = subprocess.run(
        [program, "show", CODE, "--as-of", AS_OF, "--output", str(link)],
        cwd=tree / "repo",
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8").startswith("**** แบบ")
    assert os.readlink(link) == "/proc/self/fd/1"


@pytest.mark.parametrize("spelling", ["projledger.toml", "docs/../projledger.toml", "link to it"])
@pytest.mark.parametrize("command", COMMANDS, ids=[c.name for c in COMMANDS])
def test_no_output_replaces_the_repositorys_settings(tree: Path, command: Command, spelling: str) -> None:
    # a slip of the clerk's (-o projledger.toml) would lose the repository's settings: refused
    # as the records folder and .git are, whatever the spelling of the path
    repo = tree / "repo"
    (repo / "projledger.toml").write_text('records = "records"\n', "utf-8")
    if spelling == "link to it":
        (repo / "docs" / "settings.toml").symlink_to(repo / "projledger.toml")
        spelling = "docs/settings.toml"
    before = snapshot(tree)
    result = run(*command.args(spelling))
    assert result.exit_code == 2, result.stderr
    (line,) = result.stderr.splitlines()
    assert spelling in line and "settings file" in line, line
    assert changed(before, snapshot(tree)) == set()
