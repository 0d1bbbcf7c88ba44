"""No code, option or record leads the tool outside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from projledger.core.config import load_config
from projledger.core.errors import NotFoundError, UnsafePathError
from projledger.core.repository import find_by_code, record_path, resolve_record

from conftest import SHIPPED, run

AS_OF = "2026-11-25"


def test_link_to_a_file_outside_the_repository_is_refused(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.toml"
    outside.write_text(SHIPPED.read_text("utf-8"), "utf-8")
    os.symlink(outside, repo / "records" / "2565" / "01000000-9999.toml")
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert (
        "records/2565/01000000-9999.toml: error [unsafe-path] a link to a file outside the repository; refused"
        in result.stdout
    )


def test_link_to_a_folder_outside_the_repository_is_refused(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "x.toml").write_text("format = 1\n", "utf-8")
    os.symlink(outside, repo / "records" / "2566")
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert (
        "records/2566: error [unsafe-path] a link to a folder outside the repository; refused"
        in result.stdout
    )
    assert "x.toml" not in result.stdout


@pytest.mark.parametrize("command", ["status", "show"])
def test_a_record_named_through_a_link_out_is_refused_by_the_reading_commands(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, command: str
) -> None:
    """`status PATH` shows one project in detail: it read a link in the repository that leads to
    a reviewer's file and printed that file's fields, where validate, summary and the walk
    refuse it (README, Security: refused whether found by a walk, named by path or by code)."""
    outside = tmp_path_factory.mktemp("outside") / "01000000-2475.toml"
    outside.write_text(SHIPPED.read_text("utf-8").replace("คุณปริญดา", "SECRET"), "utf-8")
    link = repo / "records" / "2566" / "01000000-2475.toml"
    link.parent.mkdir()
    os.symlink(outside, link)
    result = run(command, "records/2566/01000000-2475.toml", "--as-of", AS_OF)
    assert result.exit_code == 1, result.stdout
    assert result.stderr == (
        "projledger: records/2566/01000000-2475.toml: a link to a file outside the repository; refused\n"
    )
    assert "SECRET" not in result.stdout


@pytest.mark.parametrize("command", ["status", "show", "validate"])
def test_a_record_named_by_a_path_outside_is_read_where_it_is(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, command: str
) -> None:
    """README, Security: a path you name yourself is read where it is (never rewritten): show
    refused it as 'outside the repository', though it only reads, as status and validate do."""
    outside = tmp_path_factory.mktemp("outside") / "2565" / "01000000-2475.toml"
    outside.parent.mkdir()
    outside.write_text(SHIPPED.read_text("utf-8"), "utf-8")
    result = run(command, str(outside), "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert "outside" not in result.stderr
    if command == "show":
        assert result.stdout == run("show", "01000000-2475", "--as-of", AS_OF).stdout


def test_link_inside_the_repository_is_followed(repo: Path) -> None:
    (repo / "archive").mkdir()
    os.rename(repo / "records" / "2565", repo / "archive" / "2565")
    os.symlink(repo / "archive" / "2565", repo / "records" / "2565")
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 0
    assert "1 file checked: 0 errors, 1 warning" in result.stdout


@pytest.mark.parametrize(
    "code",
    ["../../etc/passwd", "01000000-2475/../../x", "/etc/passwd", "01000000-2475.toml/..", "๐๑๐๐๐๐๐๐-๒๔๗๕"],
)
def test_codes_never_become_paths(repo: Path, code: str) -> None:
    config = load_config(repo)
    with pytest.raises(UnsafePathError):
        record_path(config, 2565, code)
    with pytest.raises(UnsafePathError):
        find_by_code(code, config)


def test_code_lookup_finds_the_fiscal_year_folder(repo: Path) -> None:
    config = load_config(repo)
    assert resolve_record("01000000-2475", config) == config.records_dir / "2565" / "01000000-2475.toml"
    with pytest.raises(NotFoundError):
        resolve_record("01000000-0000", config)


def test_config_cannot_point_records_outside(repo: Path) -> None:
    (repo / "projledger.toml").write_text('records = "../elsewhere"\n', "utf-8")
    result = run("validate")
    assert result.exit_code == 1
    assert result.stderr.startswith("projledger: ")
    assert "records must be a folder inside the repository" in result.stderr
    assert len(result.stderr.splitlines()) == 1


# --- the writing commands (issue 7) -------------------------------------------------------------


def _needs(command: str) -> None:
    from projledger.main import COMMANDS

    if command not in COMMANDS:
        pytest.skip(f"{command} is not registered yet")


NOT_CANONICAL = SHIPPED.read_text("utf-8").replace("budget = 3540000.0", "budget   =   3540000.0")


def _outside(factory: pytest.TempPathFactory, text: str = NOT_CANONICAL) -> Path:
    """A record that every writing command would change, outside the repository."""
    target = factory.mktemp("outside") / "01000000-2475.toml"
    target.write_text(text, "utf-8")
    return target


def _open_record(text: str) -> str:
    """The shipped record without its last report (the cancellation), so a report can follow."""
    return text[: text.rindex("\n[[reports]]")] + "\n"


def test_add_report_never_writes_through_a_path_outside(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    target = _outside(tmp_path_factory, _open_record(SHIPPED.read_text("utf-8")))
    before = target.read_bytes()
    result = run("add-report", str(target), "--date", "2022-12-20", "--progress", "90", "--note", "x")
    assert result.exit_code == 1
    assert "leads outside the repository" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert target.read_bytes() == before


def test_add_report_never_writes_through_a_link_out(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    target = _outside(tmp_path_factory, _open_record(SHIPPED.read_text("utf-8")))
    before = target.read_bytes()
    (repo / "records" / "2565" / "01000000-2475.toml").unlink()
    link = repo / "records" / "2565" / "01000000-2475.toml"
    os.symlink(target, link)
    for name in (str(link.relative_to(repo)), "01000000-2475"):
        result = run("add-report", name, "--date", "2022-12-20", "--progress", "90", "--note", "x")
        assert result.exit_code == 1, result.stderr
        assert "outside the repository" in result.stderr
        assert target.read_bytes() == before
        assert link.is_symlink()


def test_fmt_never_rewrites_through_a_link_out(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    target = _outside(tmp_path_factory)
    before = target.read_bytes()
    link = repo / "records" / "2565" / "01000000-9999.toml"
    os.symlink(target, link)
    for args in (["fmt"], ["fmt", str(link.relative_to(repo))], ["fmt", str(link)]):
        result = run(*args)
        assert result.exit_code == 1, (args, result.stdout, result.stderr)
        assert "outside the repository" in result.stderr
        assert target.read_bytes() == before
        assert link.is_symlink()


def test_a_link_inside_the_records_folder_is_written_through_and_stays_a_link(repo: Path) -> None:
    shipped = repo / "records" / "2565" / "01000000-2475.toml"
    (repo / "records" / "archive").mkdir()
    real = repo / "records" / "archive" / "01000000-2475.toml"
    real.write_text(_open_record(shipped.read_text("utf-8")), "utf-8")
    shipped.unlink()
    os.symlink(real, shipped)
    result = run(
        "add-report",
        "records/2565/01000000-2475.toml",
        "--date",
        "2022-12-20",
        "--progress",
        "90",
        "--note",
        "x",
    )
    assert result.exit_code == 0, result.stderr
    assert shipped.is_symlink()
    assert "progress = 90" in real.read_text("utf-8")


def _linked_out_of_the_records(repo: Path) -> tuple[Path, Path]:
    """The shipped record moved to ``archive/`` (inside the repository, outside the records
    folder), a link to it in its place: (the link, the record it leads to)."""
    shipped = repo / "records" / "2565" / "01000000-2475.toml"
    (repo / "archive").mkdir()
    real = repo / "archive" / "01000000-2475.toml"
    real.write_text(_open_record(shipped.read_text("utf-8")), "utf-8")
    shipped.unlink()
    os.symlink(real, shipped)
    return shipped, real


def test_a_link_that_leaves_the_records_folder_is_not_written_through(repo: Path) -> None:
    """Issue 17.6: a command that writes a record writes only inside the records folder, never
    through a link that leaves it, even to a place inside the repository."""
    shipped, real = _linked_out_of_the_records(repo)
    before = real.read_bytes()
    result = run("add-report", "01000000-2475", "--date", "2022-12-20", "--progress", "90", "--note", "x")
    assert result.exit_code == 1, result.stderr
    assert "leads out of the records folder" in result.stderr
    assert real.read_bytes() == before and shipped.is_symlink()
    assert sorted(p.name for p in (repo / "archive").iterdir()) == ["01000000-2475.toml"]  # no lock made


@pytest.mark.parametrize(
    "code", ["../../../tmp/x", "/tmp/x", "50100000-0001/../../x", "..", "50100000-0001\\..\\x"]
)
def test_new_never_turns_a_code_into_a_path(empty_repo: Path, code: str) -> None:
    result = run("new", code, "--name", "x", "--fiscal-year", "2567", "--start", "2023-10-01",
                 "--end", "2024-09-30", "--budget", "1", "--department", "x")  # fmt: skip
    assert result.exit_code == 1, result.stderr
    assert "not a project code" in result.stderr
    assert sorted(p for p in empty_repo.rglob("*") if p.is_file()) == []


def test_new_fiscal_year_cannot_reach_out(empty_repo: Path) -> None:
    result = run("new", "50100000-0001", "--name", "x", "--fiscal-year", "../../2567", "--start", "2023-10-01",
                 "--end", "2024-09-30", "--budget", "1", "--department", "x")  # fmt: skip
    assert result.exit_code == 2
    assert list(empty_repo.rglob("*.toml")) == []


def test_import_never_turns_a_printed_code_into_a_path(empty_repo: Path, tmp_path: Path) -> None:
    _needs("import")
    from conftest import LEGACY_PRINTOUT

    evil = tmp_path / "evil.txt"
    evil.write_text(LEGACY_PRINTOUT.read_text("utf-8").replace("01000000-2475", "../../../pwned"), "utf-8")
    result = run("import", str(evil))
    assert result.exit_code == 1
    assert "not a project code" in result.stderr
    assert not list(tmp_path.rglob("pwned*"))
    assert list((empty_repo / "records").rglob("*")) == []


@pytest.mark.parametrize("output", ["records", ".", "records/2565"])
def test_site_never_replaces_the_records(repo: Path, output: str) -> None:
    _needs("site")
    before = {p: p.read_bytes() for p in repo.rglob("*.toml")}
    result = run("site", "--output", output, "--as-of", AS_OF)
    assert result.exit_code in (1, 2), result.stderr
    assert {p: p.read_bytes() for p in repo.rglob("*.toml")} == before


def test_site_never_empties_a_folder_it_did_not_build(repo: Path) -> None:
    _needs("site")
    (repo / "docs").mkdir()
    (repo / "docs" / "keep.txt").write_text("mine", "utf-8")
    result = run("site", "--output", "docs", "--as-of", AS_OF)
    assert result.exit_code in (1, 2)
    assert (repo / "docs" / "keep.txt").read_text("utf-8") == "mine"


def test_fmt_never_rewrites_a_file_outside_named_by_path(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    target = _outside(tmp_path_factory)
    before = target.read_bytes()
    result = run("fmt", str(target))
    assert result.exit_code == 1
    assert "outside the repository" in result.stderr
    assert target.read_bytes() == before
    assert run("fmt", "--check", str(target)).exit_code == 1, "checking (reading) it is fine: it would change"


def test_import_never_writes_outside_the_repository(
    empty_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    _needs("import")
    from conftest import LEGACY_PRINTOUT

    outside = tmp_path_factory.mktemp("outside")
    for folder in (str(outside), "../elsewhere", str(outside / "records")):
        result = run("import", str(LEGACY_PRINTOUT), "--records", folder)
        assert result.exit_code == 1, result.stderr
        assert "outside the repository" in result.stderr
        assert len(result.stderr.splitlines()) == 1
    assert list(outside.rglob("*.toml")) == []
    assert run("import", str(LEGACY_PRINTOUT), "--records", "records").exit_code == 0


@pytest.mark.parametrize(
    "output", ["records/2565/01000000-2475.toml", "records/form.html", "records/2565/x.txt"]
)
def test_show_never_writes_into_the_records_folder(repo: Path, output: str) -> None:
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    result = run("show", "01000000-2475", "--output", output, "--as-of", AS_OF)
    assert result.exit_code == 2, result.stderr  # a usage error (issue 16 point 5)
    assert "records folder" in result.stderr
    assert {p: p.read_bytes() for p in repo.rglob("*") if p.is_file()} == before
    assert run("show", "01000000-2475", "--output", "form.txt", "--as-of", AS_OF).exit_code == 0


def test_records_folder_itself_linked_outside_is_refused(
    empty_repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "2565").mkdir()
    (outside / "2565" / SHIPPED.name).write_bytes(SHIPPED.read_bytes())
    (empty_repo / "records").rmdir()
    os.symlink(outside, empty_repo / "records")
    for args in (
        ["validate"],
        ["status"],
        ["fmt"],
        ["add-report", "01000000-2475", "--progress", "1", "--note", "x"],
    ):
        result = run(*args)
        assert result.exit_code == 1, (args, result.stdout, result.stderr)
        assert "outside the repository" in result.stderr
        assert len(result.stderr.splitlines()) == 1
    assert (outside / "2565" / SHIPPED.name).read_bytes() == SHIPPED.read_bytes()


def test_a_committed_lock_link_cannot_create_files_outside(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Anyone can push `.<record>.lock` as a link; locking must not create or open its target."""
    target = tmp_path_factory.mktemp("outside") / "created-by-the-lock"
    record = repo / "records" / "2565" / "01000000-2475.toml"
    record.write_text(
        record.read_text("utf-8")[: record.read_text("utf-8").rindex("\n[[reports]]")] + "\n", "utf-8"
    )
    os.symlink(target, record.with_name(f".{record.name}.lock"))
    result = run("add-report", "01000000-2475", "--date", "2022-12-20", "--progress", "90", "--note", "x")
    assert not target.exists()
    assert result.exit_code == 1
    assert "is a symbolic link; remove it" in result.stderr


def test_show_output_never_follows_a_planted_link_out_nor_replaces_it(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A link in the repository that leads out is refused (issue 17.1: never replaced either)."""
    _needs("show")
    target = tmp_path_factory.mktemp("outside") / "precious.txt"
    target.write_text("keep", "utf-8")
    os.symlink(target, repo / "form.html")
    result = run("show", "01000000-2475", "--format", "html", "--output", "form.html", "--as-of", AS_OF)
    assert result.exit_code == 1, result.stderr
    assert "leads outside the repository" in result.stderr and len(result.stderr.splitlines()) == 1
    assert target.read_text("utf-8") == "keep"
    assert os.readlink(repo / "form.html") == str(target)


def test_show_output_writes_through_a_link_to_a_file_in_the_repository(repo: Path) -> None:
    """A link kept in the repository to a file in it: the file is replaced, the link stays."""
    _needs("show")
    (repo / "forms").mkdir()
    (repo / "forms" / "latest.html").write_text("old", "utf-8")
    os.chmod(repo / "forms" / "latest.html", 0o640)
    os.symlink("forms/latest.html", repo / "form.html")
    result = run("show", "01000000-2475", "--format", "html", "--output", "form.html", "--as-of", AS_OF)
    assert result.exit_code == 0, result.stderr
    assert os.readlink(repo / "form.html") == "forms/latest.html"
    assert "<html" in (repo / "forms" / "latest.html").read_text("utf-8").lower()
    assert (repo / "forms" / "latest.html").stat().st_mode & 0o777 == 0o640


@pytest.mark.parametrize("folder", ["schemas", ".github", "records"])
def test_init_never_writes_through_a_folder_linked_out(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, folder: str
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    target = tmp_path / "repo"
    target.mkdir()
    os.symlink(outside, target / folder)
    result = run("init", str(target))
    assert result.exit_code == 1, result.stderr
    assert "outside the repository" in result.stderr
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in target.iterdir()) == [folder], "nothing written at all"


@pytest.mark.parametrize("command", ["new", "import"])
def test_new_records_never_land_in_a_fiscal_year_folder_linked_out(
    empty_repo: Path, tmp_path_factory: pytest.TempPathFactory, command: str
) -> None:
    _needs(command)
    from conftest import LEGACY_PRINTOUT

    outside = tmp_path_factory.mktemp("outside")
    year = "2567" if command == "new" else "2565"
    os.symlink(outside, empty_repo / "records" / year)
    if command == "new":
        result = run("new", "50100000-0005", "--name", "x", "--fiscal-year", "2567", "--start", "2023-10-01",
                     "--end", "2024-09-30", "--budget", "1", "--department", "x")  # fmt: skip
    else:
        result = run("import", str(LEGACY_PRINTOUT))
    assert result.exit_code == 1, result.stderr
    assert "outside the repository" in result.stderr
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("link", ["..", "../..", ".", "../../records"])
def test_a_link_that_loops_back_is_refused_not_followed_forever(repo: Path, link: str) -> None:
    """Anyone can push `records/2565/again -> ..`: every reader says so, none recurses until it dies."""
    os.symlink(link, repo / "records" / "2565" / "again")
    result = run("validate", "--as-of", AS_OF)
    assert result.exit_code == 1, result.stderr
    assert (
        "records/2565/again: error [unreadable-path] a link back to a folder already read (a loop); refused"
        in (result.stdout)
    )
    assert result.stdout.count("01000000-2475.toml:") == 1, "the record is read once"
    for args in (["status", "--as-of", AS_OF], ["summary", "--as-of", AS_OF], ["fmt", "--check"]):
        other = run(*args)
        assert other.exit_code in (0, 1), (args, other.stderr)
        assert "internal error" not in other.stderr
        assert "records/2565/again" in other.stderr


def test_status_since_never_reads_a_link_out(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A pushed link to a reviewer's file: the change list says so and shows nothing of its content."""
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    if "--since" not in run("status", "--help").stdout:
        pytest.skip("status --since is not there yet")
    secret = tmp_path_factory.mktemp("outside") / "secret.toml"
    secret.write_text(
        SHIPPED.read_text("utf-8")
        .replace("01000000-2475", "01000000-9999")
        .replace('name = "โครงการให้การต้อนรับ', 'name = "SECRET-NAME'),
        "utf-8",
    )
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": os.environ["PATH"], "HOME": str(repo)}  # fmt: skip
    for git in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", *git], cwd=repo, check=True, env=env, capture_output=True)
    os.symlink(secret, repo / "records" / "2565" / "01000000-9999.toml")
    for fmt in ("table", "json", "csv", "markdown"):
        result = run("status", "--since", "HEAD", "--format", fmt, "--as-of", AS_OF)
        assert result.exit_code in (0, 1), result.stderr
        assert "SECRET-NAME" not in result.stdout + result.stderr
        assert "outside the repository" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["show", "01000000-2475", "--output", "records/form.txt"],
        ["status", "--format", "xlsx", "--output", "records/status.xlsx"],
        ["summary", "--format", "xlsx", "--output", "records/2565/summary.xlsx"],
        ["sheet", "export", "--month", "03/2565", "--output", "records/sheet.csv"],
        ["sheet", "export", "--new", "--output", "records/new.xlsx"],
        ["site", "--output", "records/site"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_no_output_ever_lands_among_the_records(repo: Path, args: list[str]) -> None:
    """Every command that writes a file refuses the records folder alike: one line, exit 2."""
    before = sorted(p.relative_to(repo) for p in (repo / "records").rglob("*"))
    result = run(*args, "--as-of", AS_OF) if args[0] in ("show", "status", "summary", "site") else run(*args)
    assert result.exit_code == 2, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "records folder" in result.stderr
    assert sorted(p.relative_to(repo) for p in (repo / "records").rglob("*")) == before


@pytest.mark.parametrize(
    "args",
    [
        ["show", "01000000-2475", "--output", ".git/HEAD"],
        ["show", "01000000-2475", "--output", "records/../.git/config"],
        ["status", "--format", "xlsx", "--output", ".git/status.xlsx"],
        ["summary", "--format", "xlsx", "--output", ".git/refs/summary.xlsx"],
        ["sheet", "export", "--month", "03/2565", "--output", ".git/sheet.csv"],
        ["sheet", "export", "--new", "--output", ".git/new.xlsx"],
        ["site", "--output", ".git/refs/tags"],
        ["site", "--output", ".git/site"],
    ],
    ids=lambda args: " ".join(args[:2]) + " " + args[-1],
)
def test_no_output_ever_lands_in_git(repo: Path, args: list[str]) -> None:
    """The repository's .git is as forbidden as the records folder (issue 17.7): exit 2, one
    line naming the path and why, nothing written."""
    (repo / ".git" / "refs" / "tags").mkdir(parents=True)
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n", "utf-8")
    (repo / ".git" / "config").write_text("[core]\n", "utf-8")
    before = {p: p.read_bytes() if p.is_file() else None for p in (repo / ".git").rglob("*")}
    result = run(*args, "--as-of", AS_OF) if args[0] in ("show", "status", "summary", "site") else run(*args)
    assert result.exit_code == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and args[-1] in lines[0] and ".git" in lines[0], result.stderr
    assert {p: p.read_bytes() if p.is_file() else None for p in (repo / ".git").rglob("*")} == before


# --- links that loop or lead to nothing (issue 17.8) ---------------------------------------

LOOPS = {
    "records/a.toml": "symbolic link loop",  # a.toml -> b.toml -> a.toml
    "records/b.toml": "symbolic link loop",
    "records/self.toml": "symbolic link loop",  # self.toml -> self.toml
    "records/gone.toml": "symbolic link to nothing",  # a link to nothing
    "records/2565/spin": "symbolic link loop",  # a loop of no record's name: perhaps a folder
    "records/2565/up": "a link back to a folder already read",  # a folder link into the walk
}


def _git(repo: Path, *args: str) -> None:
    import subprocess

    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "PATH": os.environ["PATH"], "HOME": str(repo)}  # fmt: skip
    subprocess.run(["git", *args], cwd=repo, check=True, env=env, capture_output=True)


@pytest.fixture
def loops(repo: Path) -> Path:
    """The shipped record in git, and beside it every kind of link that cannot be followed, new."""
    import shutil

    if shutil.which("git") is not None:
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
            _git(repo, *args)
    records = repo / "records"
    os.symlink("b.toml", records / "a.toml")
    os.symlink("a.toml", records / "b.toml")
    os.symlink("self.toml", records / "self.toml")
    os.symlink("nothing-here.toml", records / "gone.toml")
    os.symlink("spin", records / "2565" / "spin")
    os.symlink("..", records / "2565" / "up")
    return repo


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["validate", "--format", "json"],
        ["status"],
        ["summary"],
        ["fmt"],
        ["fmt", "--check"],
        ["site", "--output", "_site"],
        ["sheet", "export", "--month", "03/2565", "--output", "sheet.csv"],
        ["status", "--since", "HEAD"],
        ["status", "--since", "HEAD", "--format", "json"],
    ],
    ids=" ".join,
)
def test_a_link_loop_is_a_finding_on_its_path_and_every_other_record_is_read(
    loops: Path, args: list[str]
) -> None:
    """One committed loop used to stop every command with `internal error (RuntimeError: Symlink
    loop ...)`, exit 3: now each such link is named with why, and the record beside is read."""
    if "--since" in args:
        import shutil

        if shutil.which("git") is None:
            pytest.skip("git is not installed")
    needs_date = args[0] in ("validate", "status", "summary", "site")
    result = run(*args, "--as-of", AS_OF) if needs_date else run(*args)
    assert result.exit_code in (0, 1), result.stderr
    assert "internal error" not in result.stderr
    said = result.stderr.splitlines()
    if "json" in args:  # each object of the document (a finding, a change) as one line
        import json

        def objects(value: object) -> list[object]:
            inner = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
            return [value] + [o for v in inner for o in objects(v)]

        said += [json.dumps(o, ensure_ascii=False) for o in objects(json.loads(result.stdout))]
    else:
        said += result.stdout.splitlines()
    if args[0] == "sheet":  # it names the first left out and counts the others
        assert f"{next(iter(LOOPS))} (a symbolic link loop" in result.stderr
        assert f"and {len(LOOPS) - 1} more" in result.stderr
        assert (loops / "sheet.csv").is_file()
        return
    for path, why in LOOPS.items():
        if "--since" in args and path.startswith("records/2565/"):
            continue  # git lists the files that changed; the walk's folders are the walk's
        assert any(path in line and why in line for line in said), (path, said)
    if args[0] == "validate":
        assert result.exit_code == 1
        if "json" not in args:
            assert f"{next(iter(LOOPS))}: error [unreadable-path]" in result.stdout
            assert "records/2565/01000000-2475.toml:73: warning [progress-dip]" in result.stdout
    elif args[0] in ("status", "summary") and "--since" not in args:
        assert "01000000" in result.stdout  # the real record is in the table
    elif args[0] == "site":
        assert (loops / "_site" / "projects").is_dir() and any((loops / "_site" / "projects").iterdir())
    elif args[0] == "fmt":
        assert result.exit_code == 1 and "[unreadable-path]" in result.stderr


@pytest.mark.parametrize("command", ["validate", "fmt", "status", "summary", "show", "add-report"])
def test_a_looping_path_given_as_an_argument_is_refused_in_one_line(loops: Path, command: str) -> None:
    args = [command, "records/a.toml"]
    if command == "add-report":
        args += ["--progress", "50", "--disbursed", "0", "--plan-status", "on_plan", "--date", "2022-09-30",
                 "--target-status", "on_target", "--note", "x"]  # fmt: skip
    result = run(*args)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "internal error" not in result.stderr
    assert "records/a.toml" in result.stdout + result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["show", "01000000-2475", "--output", "loop"],
        ["status", "--format", "xlsx", "--output", "loop"],
        ["sheet", "export", "--output", "loop"],
        ["site", "--output", "loop"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_looping_output_is_refused_not_an_internal_error(repo: Path, args: list[str]) -> None:
    os.symlink("loop", repo / "loop")
    result = run(*args)
    assert result.exit_code == 1, result.stderr
    assert "symbolic link loop" in result.stderr and len(result.stderr.splitlines()) == 1


@pytest.mark.parametrize("spelling", ["config", "bare"])
@pytest.mark.parametrize(
    "args",
    [
        ["validate"], ["status"], ["summary"], ["fmt"], ["site"],
        ["sheet", "export", "--output", "x.csv", "--month", "03/2565"],
        ["new", "01000001-2475", "--name", "x", "--fiscal-year", "2565", "--start", "1/10/2564",
         "--end", "30/9/2565", "--budget", "1", "--department", "d"],
    ],
    ids=lambda args: args[0],
)  # fmt: skip
def test_a_records_folder_that_loops_is_a_config_error_not_an_internal_error(
    empty_repo: Path, args: list[str], spelling: str
) -> None:
    """The records folder itself a link loop: named in projledger.toml, or records/ with none."""
    os.rmdir(empty_repo / "records")
    if spelling == "config":
        (empty_repo / "projledger.toml").write_text('records = "recs"\n', encoding="utf-8")
        name = "recs"
    else:
        name = "records"
    os.symlink(f"{name}2", empty_repo / name)
    os.symlink(name, empty_repo / f"{name}2")
    before = sorted(os.listdir(empty_repo))
    result = run(*args)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert "internal error" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert f"the records folder {name} is a symbolic link loop" in result.stderr
    assert sorted(os.listdir(empty_repo)) == before


def test_init_into_a_looping_link_is_refused_in_one_line(empty_repo: Path) -> None:
    os.symlink("loop", empty_repo / "loop")
    result = run("init", "loop")
    assert result.exit_code == 1, result.stderr
    assert "loop is a symbolic link loop" in result.stderr and "internal error" not in result.stderr
    assert os.path.islink(empty_repo / "loop") and not (empty_repo / "projledger.toml").exists()


def test_a_link_loop_met_anywhere_is_one_line_exit_1_at_the_boundary(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python 3.11's Path.resolve raises RuntimeError on a loop: whatever command meets one
    where no check came first, the error boundary names the path, never an internal error."""
    from projledger.commands import validate

    def looping(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"Symlink loop from '{repo / 'somewhere'}'")

    monkeypatch.setattr(validate, "validate_paths", looping, raising=False)
    monkeypatch.setattr(Path, "resolve", looping)
    result = run("validate")
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith(f"projledger: {repo / 'somewhere'}: a symbolic link loop")


def test_the_path_helpers_never_raise_on_a_loop(loops: Path) -> None:
    from projledger.core.repository import ensure_inside, is_inside, real

    config = load_config(loops)
    loop = loops / "records" / "a.toml"
    assert real(loop) is None
    for check in (lambda: is_inside(loop, config.root), lambda: ensure_inside(loop, config)):
        with pytest.raises(UnsafePathError, match="symbolic link loop"):
            check()


# --- names that are not UTF-8 (issue 17.9) ---------------------------------------------------

#: "ปี" in TIS-620, as an old Thai Windows share names a folder or a file; not UTF-8.
TIS = b"\xbb\xd5"
SHOWN = "\\udcbb\\udcd5"  # how every output shows it: as the terminal shows os.fsdecode's surrogates


@pytest.fixture
def thai_names(repo: Path) -> Path:
    """A valid record in a folder named in TIS-620, and a record file named in TIS-620."""
    import shutil

    folder = os.path.join(os.fsencode(repo / "records"), TIS)
    os.mkdir(folder)
    text = SHIPPED.read_text("utf-8").replace("01000000-2475", "01000000-2476")
    with open(os.path.join(folder, b"01000000-2476.toml"), "wb") as handle:
        handle.write(text.encode("utf-8"))
    shutil.copy(SHIPPED, os.path.join(os.fsencode(repo / "records" / "2565"), TIS + b".toml"))
    if shutil.which("git") is not None:  # status --since: the file named in TIS-620 changed since
        for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "base"]):
            _git(repo, *args)
        renamed = os.path.join(os.fsencode(repo / "records" / "2565"), TIS + b".toml")
        with open(renamed, "ab") as handle:
            handle.write(b"\n")
    return repo


@pytest.mark.parametrize(
    "args",
    [
        ["validate"],
        ["validate", "--format", "json"],
        ["validate", "--format", "github"],
        *(["status", "--format", f] for f in ("table", "markdown", "csv", "json")),
        ["status", "--format", "xlsx", "--output", "status.xlsx"],
        *(["summary", "--format", f] for f in ("table", "csv", "json")),
        ["summary", "--format", "xlsx", "--output", "summary.xlsx"],
        ["fmt", "--check"],
        ["fmt"],
        ["site", "--output", "_site"],
        ["sheet", "export", "--month", "03/2565", "--output", "sheet.csv"],
        ["sheet", "export", "--month", "03/2565", "--output", "sheet.xlsx"],
        *(["status", "--since", "HEAD", "--format", f] for f in ("table", "markdown", "csv", "json")),
        *(["export", "--format", f, "--output", "exported"] for f in ("ndjson", "sqlite")),
    ],
    ids=" ".join,
)
@pytest.mark.parametrize("cached", [False, True], ids=["no index", "index"])
def test_a_name_that_is_not_utf8_is_shown_escaped_by_every_command(
    thai_names: Path, args: list[str], cached: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`site` crashed (UnicodeEncodeError ... surrogates not allowed); every output shows the name.
    With the index on, status --format csv and json crashed keeping the row (the name's lone
    surrogates in its text): a value SQLite cannot hold is not kept, and made on each run."""
    import json
    import shutil
    import zipfile

    if "--since" in args and shutil.which("git") is None:
        pytest.skip("git is not installed")
    if cached:
        monkeypatch.delenv("PROJLEDGER_NO_CACHE")
        monkeypatch.setenv("PROJLEDGER_CACHE_DIR", str(tmp_path / "cache"))
    needs_date = args[0] in ("validate", "status", "summary", "site")
    result = run(*args, "--as-of", AS_OF) if needs_date else run(*args)
    assert result.exit_code in (0, 1), result.stderr
    assert "internal error" not in result.stderr
    said = result.stdout + result.stderr
    if "json" in args:
        data = json.loads(result.stdout)  # still JSON: the name is a \u escape in a string
        assert args[0] == "summary" or os.fsdecode(TIS) in json.dumps(data, ensure_ascii=False)
    if args[0] == "fmt":
        assert "0 of 3 files" in result.stderr or "of 3 files" in result.stderr
        return
    if args[0] == "site":
        pages = [p for p in (thai_names / "_site").rglob("*") if p.is_file()]
        text = "".join(p.read_text("utf-8") for p in pages if p.suffix in (".html", ".json", ".csv"))
        assert f"records/{SHOWN}/01000000-2476.toml" in text
        assert f"records/2565/{SHOWN}.toml" in said  # the misnamed file is skipped and named
        return
    if args[0] == "export":  # the name as a terminal shows it (no format holds lone surrogates)
        exported = thai_names / "exported"
        if "ndjson" in args:
            said += "".join(
                json.loads(line)["path"]
                for line in (exported / "projects.ndjson").read_text("utf-8").splitlines()
            )
        else:
            import sqlite3
            from contextlib import closing

            with closing(sqlite3.connect(exported / "projledger.sqlite")) as db:
                said += "".join(path for (path,) in db.execute("SELECT path FROM projects"))
    output = next((a for a in args if a.endswith((".xlsx", ".csv"))), None)
    if output and output.endswith(".xlsx"):
        with zipfile.ZipFile(thai_names / output) as book:
            said += "".join(book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xml"))
    assert SHOWN in said, said


def test_a_tis620_name_given_as_an_argument_is_read(thai_names: Path) -> None:
    folder = os.fsdecode(os.path.join(b"records", TIS))
    result = run("validate", "--as-of", AS_OF, folder)
    assert result.exit_code == 0, result.stdout
    assert "1 file checked" in result.stdout


@pytest.mark.parametrize(
    "args",
    [("validate",), ("validate", "--format", "json"), ("status", "--format", "json"), ("summary",),
     ("status", "--format", "xlsx", "--output", "s.xlsx"), ("site",),
     ("sheet", "export", "--output", "s.csv", "--month", "03/2565")],
    ids=" ".join,
)  # fmt: skip
def test_a_repository_whose_own_folder_is_named_in_tis620_works_with_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cache_dir: Path, args: tuple[str, ...]
) -> None:
    """The whole repository on an old Thai share (its folder's name not UTF-8), the cache on:
    the cache's key of the repository hashed the path as UTF-8 and every reader exited 3."""
    root = Path(os.fsdecode(os.fsencode(tmp_path) + b"/" + TIS))
    (root / "records" / "2565").mkdir(parents=True)
    (root / "records" / "2565" / SHIPPED.name).write_bytes(SHIPPED.read_bytes())
    monkeypatch.chdir(root)
    for _ in range(2):  # cold, then from the cache
        result = run(*args, "--as-of", "31/03/2565")
        assert result.exit_code in (0, 1), result.stderr  # validate's findings as of that day
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr


# --- what lies where a record is written (issue 17.6, and 17.1 for records) ------------------

NEW = ["new", "01000001-2475", "--name", "x", "--fiscal-year", "2565", "--start", "1/10/2564",
       "--end", "30/9/2565", "--budget", "1", "--department", "d"]  # fmt: skip
ADD = ["--progress", "50", "--disbursed", "0", "--plan-status", "on_plan", "--date", "2022-03-30",
       "--target-status", "on_target", "--note", "x"]  # fmt: skip


def _hostile_record(repo: Path, place: Path, kind: str) -> None:
    outside = repo.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "kept.toml").write_bytes(SHIPPED.read_bytes())
    (repo / ".git").mkdir(exist_ok=True)
    (repo / ".git" / "config").write_text("[core]\n", encoding="utf-8")
    if kind == "fifo":
        os.mkfifo(place)
    elif kind == "folder":
        place.mkdir()
    elif kind == "link to nothing outside":
        os.symlink(outside / "made.toml", place)
    elif kind == "link to nothing inside":
        os.symlink(repo / "made.toml", place)
    elif kind == "link to .git/config":
        os.symlink(repo / ".git" / "config", place)
    elif kind == "link to a record outside":
        os.symlink(outside / "kept.toml", place)


HOSTILE_RECORDS = ["fifo", "folder", "link to nothing outside", "link to nothing inside",
                   "link to .git/config", "link to a record outside"]  # fmt: skip


@pytest.mark.parametrize("kind", HOSTILE_RECORDS)
@pytest.mark.parametrize("command", ["new", "import --force", "add-report"])
def test_a_record_is_written_only_as_a_file_in_the_records_folder(
    repo: Path, command: str, kind: str
) -> None:
    """new, import --force and add-report write through one judge (store.record_target): a FIFO
    there is never opened (it hung), a link to nothing is never written through (it made a file
    outside the repository), a link out of the records folder is refused; nothing changes."""
    from test_hostile_outputs import deadline, snapshot

    from conftest import LEGACY_PRINTOUT

    shipped = repo / "records" / "2565" / SHIPPED.name
    if command == "new":
        place, args = repo / "records" / "2565" / "01000001-2475.toml", NEW
    elif command == "import --force":
        shipped.unlink()
        place, args = shipped, ["import", "--force", str(LEGACY_PRINTOUT)]
    else:
        if kind in ("fifo", "folder") or kind.startswith("link to nothing"):
            pytest.skip("add-report finds no record there: nothing to write into")
        shipped.unlink()
        place, args = shipped, ["add-report", "01000000-2475", *ADD]
    _hostile_record(repo, place, kind)
    before = snapshot(repo.parent)
    with deadline(30):  # a FIFO opened for reading would wait for ever
        result = run(*args)
    assert result.exit_code == 1, (result.stdout, result.stderr)
    refusal = result.stderr.strip().splitlines()[-1]  # import's warnings on the printout first
    assert "internal error" not in result.stderr and refusal.startswith("projledger: "), refusal
    assert snapshot(repo.parent) == before


@pytest.mark.parametrize("partial", [False, True], ids=["all or nothing", "partial"])
def test_sheet_import_never_writes_through_a_link_that_leaves_the_records_folder(
    repo: Path, partial: bool
) -> None:
    """sheet import writes through the judge add-report writes through (store.record_target with
    the records folder): it wrote a report into a record outside the records folder that a link
    among the records leads to, which add-report refuses
    (test_a_link_that_leaves_the_records_folder_is_not_written_through)."""
    from test_cli_sheet import fill_csv

    shipped, real = _linked_out_of_the_records(repo)
    before = real.read_bytes()
    exported = run("sheet", "export", "--month", "12/2565", "--as-of", "2022-12-31", "--output", "s.csv")
    assert exported.exit_code == 0, exported.stderr
    fill_csv(Path("s.csv"), {"01000000-2475": {"date": "20/12/2565", "progress": 90, "note": "x"}})
    result = run("sheet", "import", "s.csv", "--as-of", "2022-12-31", *(["--partial"] if partial else []))
    assert result.exit_code == 1, result.stderr
    assert "leads out of the records folder" in result.stderr
    assert real.read_bytes() == before and shipped.is_symlink()
