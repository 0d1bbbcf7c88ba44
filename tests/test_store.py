"""Atomic, locked writes: the mode kept, no temp files left, one writer at a time."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from projledger.core.errors import ConflictError, RecordError
from projledger.core.store import lock_path, locked, remove_stale_temps, update, write_atomic


def temps(folder: Path) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.endswith(".tmp"))


def test_write_atomic_replaces_the_file_and_keeps_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_bytes(b"old\n")
    path.chmod(0o640)
    with locked(path):
        write_atomic(path, b"new\n")
    assert path.read_bytes() == b"new\n"
    assert path.stat().st_mode & 0o777 == 0o640
    assert temps(tmp_path) == []


def test_a_new_file_gets_the_umask_mode_not_mkstemps_0600(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    old = os.umask(0o022)
    try:
        update(path, lambda current: b"x\n")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_refused_change_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_bytes(b"old\n")

    def refuse(current: bytes | None) -> bytes:
        raise ConflictError("no")

    with pytest.raises(ConflictError):
        update(path, refuse)
    assert path.read_bytes() == b"old\n"
    assert temps(tmp_path) == []


def test_update_sees_the_current_bytes_and_none_for_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    seen: list[bytes | None] = []
    update(path, lambda current: seen.append(current) or b"1\n")
    update(path, lambda current: seen.append(current) or current + b"2\n")  # type: ignore[operator]
    assert seen == [None, b"1\n"]
    assert path.read_bytes() == b"1\n2\n"


def test_the_lock_is_a_separate_dotfile_and_a_leftover_one_never_blocks(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    lock_path(path).write_text("left by a killed writer")
    update(path, lambda current: b"x\n")
    assert lock_path(path).name == ".r.toml.lock"
    assert path.read_bytes() == b"x\n"


def test_stale_temp_files_of_the_record_are_removed_under_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    (tmp_path / ".r.toml.abc123.tmp").write_text("half")
    (tmp_path / ".other.toml.abc123.tmp").write_text("not ours")
    update(path, lambda current: b"x\n")
    assert temps(tmp_path) == [".other.toml.abc123.tmp"]
    assert remove_stale_temps(path) == []


def test_a_second_writer_waits_for_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_bytes(b"")
    done = threading.Event()

    def second() -> None:
        update(path, lambda current: (current or b"") + b"second\n")
        done.set()

    with locked(path):
        thread = threading.Thread(target=second)
        thread.start()
        assert not done.wait(0.3), "the second writer did not wait for the lock"
        write_atomic(path, b"first\n")
    thread.join(5)
    assert done.is_set()
    assert path.read_bytes() == b"first\nsecond\n"


def test_writing_through_a_link_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.toml"
    real.write_bytes(b"old\n")
    link = tmp_path / "link.toml"
    link.symlink_to(real)
    update(link, lambda current: b"new\n")
    assert link.is_symlink()
    assert real.read_bytes() == b"new\n"


def test_a_failed_write_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "r.toml"
    path.write_bytes(b"old\n")

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(RecordError, match="cannot be written: no space left on the disk"):
        update(path, lambda current: b"new\n")
    assert path.read_bytes() == b"old\n"
    assert temps(tmp_path) == []
