"""Git review: what changed in each record since a revision, compared purely and read via git."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from projledger.core.errors import InputError
from projledger.core.gitreview import (
    change_dict,
    changes_since,
    check_rev,
    compare,
    describe,
    repository_root,
)

from conftest import SHIPPED

_SHIPPED = SHIPPED.read_text("utf-8")
#: The shipped record as it stood after its 6th report (its status in the spec's worked example).
TEXT = _SHIPPED[: _SHIPPED.index("[[reports]]\nno = 7\n")].rstrip("\n") + "\n"
PATH = "records/2565/01000000-2475.toml"
NEW_REPORT = """
[[reports]]
no = 7
date = 2022-04-25
note = "ประชุมเตรียมการ"
progress = 60.0
disbursed = 120000.0
plan_status = "on_plan"
target_status = "on_target"
"""
EXPECTED_EN = [
    "new report 7",
    "progress % 50.00 → 60.00",
    "plan status on plan, watch → on plan",
    "disbursed 0.00 → 120,000.00",
]


def test_a_new_report_with_progress_and_status_before_and_after() -> None:
    change = compare(PATH, TEXT, TEXT + NEW_REPORT)
    assert change.kind == "modified"
    assert change.code == "01000000-2475"
    assert change.new_reports == (7,)
    assert change.removed_reports == change.edited_reports == ()
    assert (change.before.progress, change.after.progress) == (Decimal("50.0"), Decimal("60.0"))
    assert (change.before.plan_status, change.after.plan_status) == ("watch", "on_plan")
    assert change.changed_fields == ()
    assert describe(change, "en") == EXPECTED_EN
    thai = describe(change, "th")
    assert thai[0] == "รายงานใหม่ ครั้งที่ 7"
    assert "ความก้าวหน้า % 50.00 → 60.00" in thai
    assert "ผลตามแผน เป็นไปตามแผนแต่ควรติดตาม → เป็นไปตามแผน" in thai


def test_an_edited_earlier_report_and_a_changed_budget_are_named() -> None:
    edited = TEXT.replace("progress = 20.0", "progress = 25.0").replace(
        "budget = 3540000.0", "budget = 3600000.0"
    )
    change = compare(PATH, TEXT, edited)
    assert change.new_reports == ()
    assert change.edited_reports == (3,)
    assert change.changed_fields == ("budget",)
    assert "earlier report edited 3" in describe(change, "en")
    assert "project data changed: budget" in describe(change, "en")


def test_added_deleted_and_unreadable_records() -> None:
    added = compare(PATH, None, TEXT)
    assert added.kind == "added" and added.new_reports == (1, 2, 3, 4, 5, 6)
    assert describe(added, "th")[0] == "ระเบียนใหม่"
    deleted = compare(PATH, TEXT, None)
    assert deleted.kind == "deleted" and deleted.removed_reports == (1, 2, 3, 4, 5, 6)
    assert describe(deleted, "en")[0] == "record deleted"
    broken = compare(PATH, TEXT, "code = \n")
    assert broken.after.error and "not valid TOML" in broken.after.error
    assert any(p.startswith("cannot be read: ") for p in describe(broken, "en"))
    assert broken.code == "01000000-2475"


def test_change_dict_is_raw() -> None:
    data = change_dict(compare(PATH, TEXT, TEXT + NEW_REPORT))
    assert data["new_reports"] == [7]
    assert data["before"]["progress"] == 50 and data["after"]["progress"] == 60
    assert data["after"]["plan_status"] == "on_plan"
    assert data["kind"] == "modified"


@pytest.mark.parametrize("rev", ["", "-p", "--output=/tmp/x", "HEAD:records", "HEAD~2..HEAD", "a\nb"])
def test_revisions_that_are_options_paths_or_ranges_are_refused(rev: str) -> None:
    with pytest.raises(InputError, match="is not one git revision"):
        check_rev(rev)


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false", *args],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    record = tmp_path / PATH
    record.parent.mkdir(parents=True)
    record.write_text(TEXT, "utf-8")
    (tmp_path / "records" / "2565" / "01000000-2476.toml").write_text(TEXT.replace("2475", "2476"), "utf-8")
    (tmp_path / "README.md").write_text("x\n", "utf-8")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "start")
    return tmp_path


def test_changes_since_reads_through_git(git_repo: Path) -> None:
    record = git_repo / PATH
    record.write_text(TEXT + NEW_REPORT, "utf-8")
    (git_repo / "records" / "2565" / "01000000-2476.toml").unlink()
    untracked = git_repo / "records" / "2566" / "01000000-2477.toml"
    untracked.parent.mkdir()
    untracked.write_text(TEXT.replace("2475", "2477"), "utf-8")
    (git_repo / "records" / "2565" / ".01000000-2475.toml.lock").write_text("", "utf-8")
    (git_repo / "README.md").write_text("changed\n", "utf-8")
    changes = changes_since("HEAD", git_repo / "records", repository_root(git_repo / "records"))
    assert [(c.path, c.kind) for c in changes] == [
        ("records/2565/01000000-2475.toml", "modified"),
        ("records/2565/01000000-2476.toml", "deleted"),
        ("records/2566/01000000-2477.toml", "added"),
    ]
    assert changes[0].new_reports == (7,)
    assert changes[1].code == "01000000-2476"


def test_committed_changes_and_renames(git_repo: Path) -> None:
    first = _git(git_repo, "rev-parse", "HEAD").strip()
    (git_repo / PATH).write_text(TEXT + NEW_REPORT, "utf-8")
    _git(git_repo, "mv", "records/2565/01000000-2476.toml", "records/2565/01000000-2486.toml")
    _git(git_repo, "commit", "-q", "-am", "april")
    assert changes_since("HEAD", git_repo / "records", git_repo) == []
    changes = changes_since(first, git_repo / "records", git_repo)
    assert [(c.kind, c.path, c.old_path) for c in changes] == [
        ("modified", "records/2565/01000000-2475.toml", None),
        ("renamed", "records/2565/01000000-2486.toml", "records/2565/01000000-2476.toml"),
    ]
    assert describe(changes[1], "en")[0] == "moved from records/2565/01000000-2476.toml"
    assert changes_since("HEAD~1", git_repo / "records", git_repo)[0].new_reports == (7,)


def test_a_bad_revision_gives_gits_one_line_message(git_repo: Path) -> None:
    with pytest.raises(InputError) as caught:
        changes_since("no-such-branch", git_repo / "records", git_repo)
    assert str(caught.value) == "--since: bad revision 'no-such-branch'"


@pytest.mark.parametrize("rev", ["HEAD^!", "HEAD^-", "HEAD^-1", "^HEAD"])
def test_shorthands_git_reads_as_a_range_are_refused(git_repo: Path, rev: str) -> None:
    """``git diff HEAD^!`` compares HEAD^ with HEAD, not with the working tree: the review would
    name the last commit's records and miss what the clerk changed since (and ``^HEAD`` is no
    revision to compare with at all)."""
    (git_repo / PATH).write_text(TEXT + NEW_REPORT, "utf-8")
    _git(git_repo, "commit", "-q", "-am", "april")
    (git_repo / "records" / "2565" / "01000000-2476.toml").write_text(
        TEXT.replace("2475", "2476") + "\n", "utf-8"
    )
    with pytest.raises(InputError, match="is not one git revision"):
        changes_since(rev, git_repo / "records", git_repo)
    assert [c.path for c in changes_since("HEAD^{commit}", git_repo / "records", git_repo)] == [
        "records/2565/01000000-2476.toml"
    ]


def test_outside_a_git_repository(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not inside a git repository"):
        repository_root(tmp_path)


def test_changes_text_names_each_record_and_what_changed() -> None:
    from projledger.core.gitreview import changes_text

    changes = [
        compare(PATH, TEXT, TEXT + NEW_REPORT),
        compare("records/2565/x.toml", None, 'code = "\\u001b[2J"\n'),
    ]
    text = changes_text(changes, "HEAD", "en")
    lines = text.splitlines()
    assert lines[0] == "changed since HEAD"
    assert lines[2].startswith("01000000-2475 โครงการให้การต้อนรับ")
    assert lines[2].endswith(f"  [{PATH}]")
    assert lines[3] == "  " + "; ".join(EXPECTED_EN)
    assert "\x1b" not in text and "\\x1b[2J" in text
    markdown = changes_text(changes[:1], "HEAD", "th", markdown=True)
    assert markdown.splitlines()[0] == "**เปลี่ยนแปลงตั้งแต่ HEAD**"
    assert markdown.splitlines()[2].startswith("- **01000000-2475 ")
    hostile = compare("records/2565/<b>.toml", None, 'code = "x"\nname = "<!-- a & b"\n')
    markdown = changes_text([hostile], "HEAD", "en", markdown=True)
    assert "- **x &lt;!-- a &amp; b** (records/2565/&lt;b&gt;.toml)" in markdown, markdown


# --- the size limit holds for every revision (issue 17.12) ----------------------------------


def test_an_oversize_file_in_history_is_a_finding_never_read_whole(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 97 MB file in history took 367 MB: git is asked the size first, and nothing past the
    1 MiB record limit (plus one byte) is ever read from git's output."""
    from projledger.core import gitreview
    from projledger.core.record import MAX_RECORD_BYTES

    big = git_repo / "records" / "2565" / "01000000-2476.toml"
    huge = TEXT.encode() + b"#" * (2 * 1024 * 1024)  # 2 MiB and more
    big.write_bytes(huge)
    _git(git_repo, "commit", "-q", "-am", "a huge record")
    big.write_text(TEXT.replace("2475", "2476"), "utf-8")  # mended in the working tree
    calls: list[tuple[list[str], int]] = []
    real_git = gitreview._git

    def counting(args: list[str], cwd: Path, limit: int | None = None) -> bytes:
        out = real_git(args, cwd, limit)
        calls.append((list(args), len(out)))
        return out

    monkeypatch.setattr(gitreview, "_git", counting)
    changes = changes_since("HEAD", git_repo / "records", git_repo)
    assert [(c.path, c.kind) for c in changes] == [("records/2565/01000000-2476.toml", "modified")]
    before, after = changes[0].before, changes[0].after
    assert before.error and "over the 1 MiB limit" in before.error and f"{len(huge):,} bytes" in before.error
    assert after.error is None and after.code == "01000000-2476"
    assert "over the 1 MiB limit" in describe(changes[0], "en")[0]
    assert not [args for args, _ in calls if args[0] in ("show", "cat-file") and "-s" not in args]
    assert max(size for _, size in calls) <= MAX_RECORD_BYTES + 1


def test_git_output_is_read_only_up_to_the_limit(git_repo: Path) -> None:
    from projledger.core.gitreview import _git as read_git
    from projledger.core.record import MAX_RECORD_BYTES

    big = git_repo / "records" / "2565" / "01000000-2476.toml"
    big.write_bytes(b"#" * (2 * 1024 * 1024))
    _git(git_repo, "commit", "-q", "-am", "a huge record")
    spec = "HEAD:records/2565/01000000-2476.toml"
    assert (
        len(read_git(["cat-file", "blob", spec], git_repo, limit=MAX_RECORD_BYTES + 1))
        == MAX_RECORD_BYTES + 1
    )
    assert read_git(["cat-file", "blob", "HEAD:README.md"], git_repo, limit=MAX_RECORD_BYTES + 1) == b"x\n"
    with pytest.raises(InputError):  # git's complaint still comes through when it says one
        read_git(["cat-file", "blob", "HEAD:nothing"], git_repo, limit=10)


def test_an_oversize_working_copy_is_a_finding_too(git_repo: Path) -> None:
    big = git_repo / "records" / "2565" / "01000000-2476.toml"
    big.write_bytes(TEXT.encode() + b"#" * (2 * 1024 * 1024))
    changes = changes_since("HEAD", git_repo / "records", git_repo)
    assert changes[0].after.error and "over the 1 MiB limit" in changes[0].after.error
    assert changes[0].before.code == "01000000-2476"


def test_status_since_with_an_oversize_revision_says_so(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import run

    big = git_repo / "records" / "2565" / "01000000-2476.toml"
    big.write_bytes(TEXT.encode() + b"#" * (2 * 1024 * 1024))
    _git(git_repo, "commit", "-q", "-am", "a huge record")
    big.write_text(TEXT.replace("2475", "2476"), "utf-8")
    monkeypatch.chdir(git_repo)
    result = run("status", "--since", "HEAD", "--as-of", "2022-05-01", "--lang", "en")
    assert result.exit_code in (0, 1), result.stderr
    assert "internal error" not in result.stderr
    assert "over the 1 MiB limit" in result.stdout


@pytest.mark.parametrize("committed", [True, False])
def test_an_oversize_revision_is_said_in_thai_too(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch, committed: bool
) -> None:
    """The size refusal of a revision (by git's size, or read from the working copy) was the one
    line of status --since in English in a Thai run: its words were not the catalog's."""
    from conftest import run

    big = git_repo / "records" / "2565" / "01000000-2476.toml"
    big.write_bytes(TEXT.encode() + b"#" * (2 * 1024 * 1024))
    if committed:
        _git(git_repo, "commit", "-q", "-am", "a huge record")
        big.write_text(TEXT.replace("2475", "2476"), "utf-8")
    monkeypatch.chdir(git_repo)
    result = run("status", "--since", "HEAD", "--as-of", "2022-05-01", "--lang", "th")
    assert result.exit_code in (0, 1), result.stderr
    assert "1 MiB" in result.stdout and "ไม่ได้อ่าน" in result.stdout
    assert "over the" not in result.stdout and "not read" not in result.stdout


# --- a side that cannot be read is compared with nothing; a change of no value says so -------


def _merge_conflict(git_repo: Path) -> None:
    """A merge stopped on a conflict in PATH: its working copy holds git's ``<<<<<<<`` markers."""
    _git(git_repo, "checkout", "-q", "-b", "other")
    (git_repo / PATH).write_text(TEXT.replace("progress = 50.0", "progress = 55.0"), "utf-8")
    _git(git_repo, "commit", "-q", "-am", "other")
    _git(git_repo, "checkout", "-q", "-")
    (git_repo / PATH).write_text(TEXT.replace("progress = 50.0", "progress = 45.0"), "utf-8")
    _git(git_repo, "commit", "-q", "-am", "mine")
    merge = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "merge", "-q", "other"]
    assert subprocess.run(merge, cwd=git_repo, capture_output=True, timeout=60, check=False).returncode
    assert "<<<<<<<" in (git_repo / PATH).read_text("utf-8")


def test_a_record_in_a_merge_conflict_is_unreadable_not_emptied(git_repo: Path) -> None:
    """A working copy git left with conflict markers was compared as an empty record: "report
    removed 1, 2, 3, 4, 5, 6; progress % 45.00 → -; project data changed: agency, budget, code..."
    (and so in the JSON), none of it true. An unreadable side is said, and nothing is compared."""
    _merge_conflict(git_repo)
    [change] = changes_since("HEAD", git_repo / "records", git_repo)
    assert change.kind == "modified" and change.after.error and "not valid TOML" in change.after.error
    assert change.before.reports == (1, 2, 3, 4, 5, 6)
    lists = (change.new_reports, change.removed_reports, change.edited_reports, change.changed_fields)
    assert lists == ((), (), (), ())
    assert describe(change, "en") == [f"cannot be read: {change.after.error}"]


def test_a_side_never_read_is_compared_with_nothing() -> None:
    """The other way round: a version too large to read (a ``Side`` with its error) listed every
    report of the working copy as new."""
    from projledger.core.gitreview import Side

    for before, after in ((Side(error="too large"), TEXT), (TEXT, Side(error="too large"))):
        change = compare(PATH, before, after)
        assert (change.new_reports, change.removed_reports, change.changed_fields) == ((), (), ())
        assert describe(change, "en") == ["cannot be read: too large"]


def test_status_since_says_a_conflicted_record_cannot_be_read(
    git_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from conftest import installed, run

    _merge_conflict(git_repo)
    monkeypatch.chdir(git_repo)
    result = run("--lang", "en", "status", "--since", "HEAD", "--format", "json")
    [change] = json.loads(result.stdout)["changes"]
    assert (change["removed_reports"], change["changed_fields"]) == ([], [])
    assert change["before"]["reports"] == [1, 2, 3, 4, 5, 6] and change["after"]["error"]
    done = installed("status", "--since", "HEAD", cwd=git_repo)
    said = done.stdout.split("changed since HEAD\n", 1)[1]
    assert "cannot be read: records/2565/01000000-2475.toml:" in said
    assert "report removed" not in said and "project data changed" not in said and "→" not in said


@pytest.mark.parametrize("how", ["mode", "layout", "comment"])
def test_a_change_of_no_value_is_said_not_left_blank(git_repo: Path, how: str) -> None:
    """``chmod +x``, a reflowed or commented record: git lists it, and the line under its name
    was blank (two spaces). It says that no value changed: the change is in the file's form."""
    record = git_repo / PATH
    if how == "mode":
        record.chmod(0o755)
    else:
        text = TEXT.replace("budget = 3540000.0", "budget   =   3540000.0")
        record.write_text(text if how == "layout" else text + "# checked by the head\n", "utf-8")
    [change] = changes_since("HEAD", git_repo / "records", git_repo)
    assert describe(change, "en") == ["no value changed"]
    assert describe(change, "th")[0].startswith("ไม่มีค่าใดเปลี่ยน")
    from projledger.core.gitreview import changes_text

    assert changes_text([change], "HEAD", "en").splitlines()[-1] == "  no value changed"
