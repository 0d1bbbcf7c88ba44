"""Messages of the machine's refusals, made plain (issue 17 point 16): an oversized CSV cell,
a full disk, a relative cache folder or one in the records folder."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from projledger.core import store

from conftest import SHIPPED, SMALL_RECORD, run

# --- a CSV cell over the csv module's limit ---------------------------------------------


def test_a_csv_cell_over_the_limit_names_file_row_and_column(repo: Path) -> None:
    sheet = repo / "sheet.csv"
    sheet.write_text("code,note\n01000000-2475,ok\n01000000-2475," + "x" * 131_073 + "\n", "utf-8")
    before = SHIPPED.read_bytes()
    result = run("sheet", "import", "sheet.csv")
    assert result.exit_code == 1
    assert result.stderr == (
        "projledger: sheet.csv:3: column B: a cell is over 131,072 characters, the most a CSV cell "
        "may hold; shorten it\n"
    )
    assert "field larger than field limit" not in result.stderr
    assert (repo / "records" / "2565" / SHIPPED.name).read_bytes() == before
    import csv

    assert csv.field_size_limit() == 131_072  # put back as it was


# --- a full disk ------------------------------------------------------------------------


def _full(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_names_the_file_and_says_nothing_changed(
    empty_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = empty_repo / "records" / "2568" / "50100000-0001.toml"
    path.parent.mkdir(parents=True)
    path.write_text(SMALL_RECORD.format(code="50100000-0001"), "utf-8")
    before = path.read_bytes()
    monkeypatch.setattr(store.os, "replace", _full)
    result = run("add-report", "50100000-0001", "--date", "2024-10-25", "--progress", "5", "--note", "x")
    assert result.exit_code == 1
    assert result.stderr.endswith(
        "records/2568/50100000-0001.toml: cannot be written: no space left on the disk; "
        "nothing was changed, the file is as it was\n"
    )
    assert result.stderr.count("\n") == 1
    assert path.read_bytes() == before


def test_new_on_a_full_disk_says_the_file_was_not_created(
    empty_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.os, "replace", _full)
    result = run("new", "50100000-0009", "--name", "x", "--fiscal-year", "2568", "--start", "2024-10-01",
                 "--end", "2025-09-30", "--budget", "1", "--department", "x")  # fmt: skip
    assert result.exit_code == 1
    assert "records/2568/50100000-0009.toml: cannot be written: no space left on the disk" in result.stderr
    assert result.stderr.endswith("nothing was changed, the file was not created\n")
    assert "as it was" not in result.stderr
    assert not (empty_repo / "records" / "2568" / "50100000-0009.toml").exists()


def test_a_spreadsheet_on_a_full_disk_is_named(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # write_atomic is also how spreadsheets are written: the main error boundary used to print
    # only "No space left on device", with no file name.
    monkeypatch.setattr(store.os, "fsync", _full)
    result = run("status", "--as-of", "2022-03-31", "--format", "xlsx", "--output", "status.xlsx")
    assert result.exit_code == 1
    assert result.stderr.startswith("projledger: status.xlsx: cannot be written: no space left on the disk")
    assert result.stderr.endswith("the file was not created\n")
    assert not (repo / "status.xlsx").exists()
    assert [n for n in os.listdir(repo) if n.endswith(".tmp")] == []


def test_no_room_for_the_temporary_file_is_named_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store.tempfile, "mkstemp", _full)
    with pytest.raises(store.RecordError, match="cannot be written: no space left on the disk"):
        store.write_atomic(tmp_path / "r.toml", b"x")


def test_init_on_a_full_disk_names_the_file_and_what_it_wrote_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from projledger.commands import init

    monkeypatch.chdir(tmp_path)
    written: list[str] = []
    real_write = init._write_new

    def second_fails(path: Path, text: str) -> None:
        if written:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_write(path, text)
        written.append(str(path.relative_to("fresh")))

    monkeypatch.setattr(init, "_write_new", second_fails)
    result = run("init", "fresh")
    assert result.exit_code == 1, result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("projledger: fresh/")
    assert f": cannot be written: no space left on the disk; written before it: {written[0]}" in result.stderr


def test_init_leaves_no_half_written_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from projledger.commands import init

    monkeypatch.setattr(init.os, "fsync", _full)
    result = run("init", str(tmp_path / "fresh"))
    assert result.exit_code == 1, result.stderr
    assert "cannot be written: no space left on the disk; no file written" in result.stderr
    assert [p for p in (tmp_path / "fresh").rglob("*") if p.is_file()] == []


def test_a_site_on_a_full_disk_names_the_site(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writing a page says only "No space left on device": the site's folder is named."""
    from projledger.core import site

    def full(folder: Path, relative: str, text: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(site, "_put", full)
    result = run("site", "--as-of", "2022-03-31")
    assert result.exit_code == 1, result.stderr
    assert result.stderr.count("\n") == 1
    assert "_site: --output: the site cannot be built: no space left on the disk" in result.stderr
    assert not (repo / "_site").exists()


# --- where the cache goes ---------------------------------------------------------------


def test_a_relative_cache_folder_is_made_absolute() -> None:
    from projledger.core.index import cache_folder

    assert cache_folder({"PROJLEDGER_CACHE_DIR": "here/cache"}) == Path.cwd() / "here" / "cache"


def test_a_cache_in_the_records_folder_is_not_used(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROJLEDGER_CACHE_DIR", "records/.cache")
    monkeypatch.delenv("PROJLEDGER_NO_CACHE", raising=False)
    monkeypatch.setenv("PROJLEDGER_JOBS", "1")
    for args in (("validate", "--as-of", "2026-11-25"), ("status",), ("summary",), ("site",)):
        result = run(*args)
        assert result.exit_code == 0, (args, result.stderr)
        warnings = [line for line in result.stderr.splitlines() if "cache folder" in line]
        assert warnings == [
            f"projledger: the cache folder {repo / 'records' / '.cache'} is in the records folder "
            f"{repo / 'records'}, which holds records only: running without the cache "
            "(set PROJLEDGER_CACHE_DIR elsewhere)"
        ], args
    assert not (repo / "records" / ".cache").exists()
    assert sorted(p.name for p in (repo / "records").rglob("*")) == [SHIPPED.name, "2565"]


def test_a_cache_not_used_is_said_in_thai(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The line saying the cache is not used was English in a Thai run: built in the index's
    module without the catalog, as were the places it names."""
    monkeypatch.setenv("PROJLEDGER_CACHE_DIR", "records/.cache")
    monkeypatch.delenv("PROJLEDGER_NO_CACHE", raising=False)
    monkeypatch.setenv("PROJLEDGER_JOBS", "1")
    (repo / ".git").mkdir()
    for folder, place in (("records/.cache", "โฟลเดอร์ระเบียน"), (".git/cache", ".git ของที่เก็บ")):
        monkeypatch.setenv("PROJLEDGER_CACHE_DIR", folder)
        result = run("--lang", "th", "status")
        assert result.exit_code == 0, result.stderr
        [line] = [line for line in result.stderr.splitlines() if "PROJLEDGER_CACHE_DIR" in line]
        assert line.startswith("projledger: โฟลเดอร์แคช ") and place in line, line
        assert "running without" not in line and "which" not in line, line


@pytest.mark.parametrize("spelling", [".git/cache", "records/../.git/cache", "to-git/cache"])
def test_a_cache_in_git_is_not_used(repo: Path, monkeypatch: pytest.MonkeyPatch, spelling: str) -> None:
    """The repository's .git is as forbidden to the cache as the records folder (as to any
    output), however it is reached: by name, through the records folder, through a link."""
    (repo / ".git").mkdir()
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/main\n", "utf-8")
    os.symlink(".git", repo / "to-git")
    monkeypatch.setenv("PROJLEDGER_CACHE_DIR", spelling)
    monkeypatch.delenv("PROJLEDGER_NO_CACHE", raising=False)
    monkeypatch.setenv("PROJLEDGER_JOBS", "1")
    for args in (("validate", "--as-of", "2026-11-25"), ("status",), ("site",)):
        result = run(*args)
        assert result.exit_code == 0, (args, result.stderr)
        warnings = [line for line in result.stderr.splitlines() if "cache folder" in line]
        assert len(warnings) == 1 and "is in the repository's .git" in warnings[0], (args, result.stderr)
    assert sorted(p.name for p in (repo / ".git").iterdir()) == ["HEAD"]


def test_a_blank_cache_folder_is_unset(repo: Path) -> None:
    from projledger.core.index import cache_folder

    assert cache_folder({"PROJLEDGER_CACHE_DIR": " ", "XDG_CACHE_HOME": "/x"}) == Path("/x/projledger")


def test_a_cache_outside_the_records_folder_is_used_without_a_word(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROJLEDGER_CACHE_DIR", "cache")  # relative: against the starting folder
    monkeypatch.delenv("PROJLEDGER_NO_CACHE", raising=False)
    monkeypatch.setenv("PROJLEDGER_JOBS", "1")
    result = run("validate", "--as-of", "2026-11-25")
    assert result.exit_code == 0 and "cache folder" not in result.stderr
    assert (repo / "cache").is_dir()
