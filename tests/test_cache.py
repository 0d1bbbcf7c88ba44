"""The cache of per-file results is never trusted when anything it depends on changed."""

from __future__ import annotations

import inspect
import os
import shutil
from pathlib import Path

import pytest

from projledger.core import cache as cache_module
from projledger.core import rules
from projledger.core.config import load_config

from conftest import SHIPPED, run, write_record


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The files actually read and checked (cache misses), in order."""
    seen: list[Path] = []
    real = cache_module.check_one

    def counting(path: Path, *args: object, **kwargs: object) -> cache_module.Checked:
        seen.append(Path(path))
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cache_module, "check_one", counting)
    return seen


def validate(*args: str) -> tuple[int, str]:
    result = run("validate", "--as-of", "2022-03-31", *args)
    return result.exit_code, result.stdout


def record_file(repo: Path) -> Path:
    return repo / "records" / "2565" / SHIPPED.name


def test_second_run_reads_nothing_and_says_the_same(repo: Path, cache_dir: Path, checks: list[Path]) -> None:
    first = validate()
    assert len(checks) == 1
    second = validate()
    assert len(checks) == 1  # answered from the cache
    assert second == first
    assert "progress-dip" in first[1]
    assert list(cache_dir.glob("validate-*.cache"))
    assert not list(cache_dir.glob(".tmp-*")) and not list(cache_dir.glob(".probe-*"))


def test_edit_is_seen(repo: Path, cache_dir: Path, checks: list[Path]) -> None:
    validate()
    path = record_file(repo)
    path.write_text(path.read_text("utf-8").replace("fiscal_year = 2565", "fiscal_year = 2566"), "utf-8")
    _, out = validate()
    assert len(checks) == 2
    assert "folder-year" in out


def test_touch_is_rechecked(repo: Path, cache_dir: Path, checks: list[Path]) -> None:
    validate()
    path = record_file(repo)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    validate()
    assert len(checks) == 2


def test_same_size_edit_in_the_same_tick_is_seen(
    repo: Path, cache_dir: Path, checks: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A coarse filesystem: whole-second mtimes, no ctime. Only the content digest can tell."""
    monkeypatch.setattr(
        cache_module, "stat_key", lambda st: (st.st_size, st.st_mtime_ns // 10**9, st.st_ino, 0)
    )
    path = record_file(repo)
    validate()
    st = path.stat()
    text = path.read_text("utf-8")
    edited = text.replace("progress = 8.0", "progress = 9.0")
    assert len(edited.encode()) == len(text.encode())
    path.write_text(edited, "utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    _, out = validate()
    assert len(checks) == 2
    assert "report 1's 10.0 %" in out and "progress 9.0 %" in out


def test_without_the_digest_that_edit_would_be_missed(
    repo: Path, cache_dir: Path, checks: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above has teeth: an old file (not racy) with the same coarse stat is trusted."""
    monkeypatch.setattr(
        cache_module, "stat_key", lambda st: (st.st_size, st.st_mtime_ns // 10**9, st.st_ino, 0)
    )
    monkeypatch.setattr(cache_module, "RACY_NS", -(10**15))  # nothing counts as recent
    path = record_file(repo)
    validate()
    st = path.stat()
    path.write_text(path.read_text("utf-8").replace("progress = 8.0", "progress = 9.0"), "utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    validate()
    assert len(checks) == 1


def test_racy_entry_verified_by_content_is_reused(repo: Path, cache_dir: Path, checks: list[Path]) -> None:
    validate()  # just written: cached with a digest
    validate()
    assert len(checks) == 1


def test_rename_and_delete(repo: Path, cache_dir: Path, checks: list[Path]) -> None:
    validate()
    path = record_file(repo)
    renamed = path.with_name("01000000-9999.toml")
    path.rename(renamed)
    code, out = validate()
    assert code == 1 and "file-name" in out and "01000000-9999.toml" in out
    renamed.unlink()
    (repo / "projledger.toml").write_text('records = "records"\n', "utf-8")  # else no record is an error
    code, out = validate()
    assert code == 0 and out.startswith("0 files checked")
    config = load_config(repo)
    with cache_module.ResultCache(cache_dir, config, "validate") as cache:
        assert len(cache) == 0


def test_config_change_such_as_tolerance(repo: Path, cache_dir: Path, checks: list[Path]) -> None:
    validate()
    before = len(checks)
    (repo / "projledger.toml").write_text("tolerance = 0\n", "utf-8")
    validate()
    assert len(checks) == before + 1


def test_schema_and_version_change_the_fingerprint(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An edited schema, rule or template is another tool: the fingerprint reads the tool's own
    files on disk (here a copy of them, edited as a developer would)."""
    package, schemas = cache_module._package_folders()
    copies = [tmp_path / "package", tmp_path / "schemas"]
    shutil.copytree(package, copies[0], ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(schemas, copies[1], ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache_module, "_package_folders", lambda: copies)
    config = load_config(repo)
    base = cache_module.fingerprint(config)
    assert cache_module.fingerprint(config) == base
    for edited in (copies[1] / "project.schema.json", copies[0] / "core" / "rules.py",
                   copies[0] / "templates" / "form.html"):  # fmt: skip
        text = edited.read_bytes()
        edited.write_bytes(text.replace(b"a", b"b", 1))  # same size: only its time tells
        os.utime(edited, ns=(1, edited.stat().st_mtime_ns + 1))
        changed = cache_module.fingerprint(config)
        assert changed != base
        base = changed
    # Another version installed: every file of the package written anew.
    for source in copies[0].rglob("*.py"):
        os.utime(source, ns=(1, source.stat().st_mtime_ns + 7))
    assert cache_module.fingerprint(config) != base


def test_schema_change_misses_the_cache(
    repo: Path, tmp_path: Path, cache_dir: Path, checks: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    package, schemas = cache_module._package_folders()
    copy = tmp_path / "schemas"
    shutil.copytree(schemas, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(cache_module, "_package_folders", lambda: [package, copy])
    validate()
    with (copy / "project.schema.json").open("a", encoding="utf-8") as schema_file:
        schema_file.write(" ")
    validate()
    assert len(checks) == 2


def test_edited_core_module_changes_the_fingerprint(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(repo)
    base = cache_module.fingerprint(config)
    real_stat = os.stat

    def later(path: str, *args: object, **kwargs: object) -> os.stat_result:
        st = real_stat(path, *args, **kwargs)  # type: ignore[arg-type]
        if str(path).endswith("rules.py"):
            return os.stat_result((*st[:8], st.st_mtime + 5, st.st_ctime))
        return st

    monkeypatch.setattr(os, "stat", later)
    assert cache_module.fingerprint(config) != base


def test_corrupt_cache_is_ignored(repo: Path, cache_dir: Path, checks: list[Path]) -> None:
    first = validate()
    cache_file = next(cache_dir.glob("validate-*.cache"))
    whole = cache_file.read_bytes()
    for damage in (
        b"",
        b"garbage",
        whole[:50],
        whole[:-3],
        whole[:30] + b"x" * 20 + whole[50:],
        whole + b"\0",
    ):
        cache_file.write_bytes(damage)
        assert validate() == first
    assert len(checks) == 7


def test_no_cache_flag_and_environment(
    repo: Path, cache_dir: Path, checks: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    validate("--no-cache")
    validate("--no-cache")
    assert len(checks) == 2 and not cache_dir.exists()
    monkeypatch.setenv("PROJLEDGER_NO_CACHE", "1")
    validate()
    assert len(checks) == 3 and not cache_dir.exists()


def test_cache_folder_choice() -> None:
    home = Path.home()
    assert cache_module.cache_folder({}) == home / ".cache" / "projledger"
    assert cache_module.cache_folder({"XDG_CACHE_HOME": "/x/y"}) == Path("/x/y/projledger")
    assert cache_module.cache_folder({"XDG_CACHE_HOME": "relative"}) == home / ".cache" / "projledger"
    assert cache_module.cache_folder({"PROJLEDGER_CACHE_DIR": "/c", "XDG_CACHE_HOME": "/x"}) == Path("/c")
    assert cache_module.cache_folder({"PROJLEDGER_NO_CACHE": "1", "PROJLEDGER_CACHE_DIR": "/c"}) is None
    assert cache_module.cache_folder({"PROJLEDGER_NO_CACHE": "0"}) == home / ".cache" / "projledger"


def test_day_of_the_check_is_respected(repo: Path, cache_dir: Path, checks: list[Path]) -> None:
    """future-report depends on the day: findings are reused only for days they hold on."""
    late = run("validate", "--as-of", "2023-01-01").stdout
    assert run("validate", "--as-of", "2023-01-01").stdout == late
    assert len(checks) == 1
    early = run("validate", "--as-of", "2022-01-01").stdout
    assert "future-report" not in late
    assert "future-report" in early and "01/01/2565" in early
    again = run("validate", "--as-of", "2022-01-02").stdout
    assert "02/01/2565" in again  # not the cached message of another day
    assert len(checks) == 3
    assert run("validate", "--as-of", "2024-05-05").stdout == late
    assert run("validate", "--as-of", "2023-06-06").stdout == late
    assert len(checks) == 4  # 2024-05-05 and 2023-06-06 share one result


def test_only_the_listed_rules_read_the_day_of_the_check() -> None:
    reading = {rule.id for rule in rules.RULES if "as_of" in inspect.getsource(rule.check)}
    assert reading == rules.AS_OF_RULES == cache_module._checking()[3]


def test_unreadable_and_broken_files_are_cached_too(
    tmp_path: Path, cache_dir: Path, checks: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "records").mkdir()
    monkeypatch.chdir(tmp_path)
    write_record(tmp_path, 'format = 1\ncode = "01000000-0001"\nname = "x\n')
    first = validate()
    assert first[0] == 1 and "toml-syntax" in first[1]
    assert validate() == first
    assert len(checks) == 1


def test_cache_file_others_could_write_is_not_loaded(repo: Path, cache_dir: Path, checks: list[Path]) -> None:
    first = validate()
    cache_file = next(cache_dir.glob("validate-*.cache"))
    cache_file.chmod(0o666)
    assert validate() == first
    assert len(checks) == 2  # not trusted: checked again (and the cache written afresh, 0600)
    assert next(cache_dir.glob("validate-*.cache")).stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("where", ["/dev/null", "/proc", "file", "read-only"])
def test_a_cache_folder_that_cannot_be_written_never_fails_a_run(
    repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    first = validate("--no-cache")
    if where == "file":
        (repo / "not-a-folder").write_text("x", "utf-8")
        where = str(repo / "not-a-folder")
    elif where == "read-only":
        cache_dir.mkdir()
        cache_dir.chmod(0o500)
        where = str(cache_dir)
    monkeypatch.setenv("PROJLEDGER_CACHE_DIR", where)
    try:
        assert validate() == first
        assert validate() == first
        assert run("summary", "--as-of", "2022-03-31").exit_code == 0
    finally:
        if cache_dir.exists():
            cache_dir.chmod(0o700)


def test_numbers_past_what_the_compact_index_holds_are_kept(repo: Path, cache_dir: Path) -> None:
    """An inode number past 2**63 (some filesystems) moves the index to plain numbers, in the
    middle of a run, and every entry before and after it is read back as it was written."""
    config = load_config(repo)
    stats = [(10, 1, 5, 1), (11, 2, 2**63 + 5, 2), (12, 3, 7, 3)]
    cache = cache_module.ResultCache(cache_dir, config, "test")
    for i, stat in enumerate(stats):
        cache.write(
            f"/x/{i}.toml", stat, b"d" * 16 if i == 2 else None, ("meta", i), b"value %d" % i, new=True
        )
    cache.save()
    again = cache_module.ResultCache(cache_dir, config, "test")
    assert len(again) == 3
    for i, stat in enumerate(stats):
        found = again.find(f"/x/{i}.toml", stat) if i != 2 else None
        if i == 2:  # racy: its digest is checked against the file, which does not exist
            assert again.find(f"/x/{i}.toml", stat) is None
            found = again._where[f"/x/{i}.toml"]
        assert found is not None
        entry = again.entry(found)
        assert entry[0] == stat and entry[2] == ("meta", i)
        assert again.read_value(entry) == b"value %d" % i
    again.close()


def _fill(cache_dir: Path, config: object, values: dict[str, bytes], new: set[str]) -> None:
    """One run: every path of ``values`` met in order; those in ``new`` computed anew."""
    cache = cache_module.ResultCache(cache_dir, config, "test")  # type: ignore[arg-type]
    for i, (path, raw) in enumerate(values.items()):
        stat = (len(raw), i, i + 100, 7)
        if path in new:
            cache.write(path, stat, None, None, raw, new=True)
        else:
            entry = cache.lookup(path, stat)
            assert entry is not None and cache.read_value(entry) == raw
            cache.write(path, stat, None, None, raw, new=False)
    cache.save()


def _read_all(cache_dir: Path, config: object, values: dict[str, bytes]) -> dict[str, bytes]:
    with cache_module.ResultCache(cache_dir, config, "test") as cache:  # type: ignore[arg-type]
        return {
            path: cache.read_value(entry)
            for i, (path, raw) in enumerate(values.items())
            if (entry := cache.lookup(path, (len(raw), i, i + 100, 7))) is not None
        }


@pytest.mark.parametrize("kernel_copy", [True, False])
def test_one_change_appends_and_dead_values_are_compacted(
    repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, kernel_copy: bool
) -> None:
    """After one change the next file is the last one's values, as they were, plus the new
    value; once dead values outweigh the live ones (and the slack), the file is written anew."""
    if not kernel_copy:
        monkeypatch.delattr(os, "copy_file_range")
    monkeypatch.setattr(cache_module, "COMPACT_SLACK", 0)
    config = load_config(repo)
    values = {f"/r/{i:03}.toml": bytes([65 + i % 26]) * 100 for i in range(50)}
    _fill(cache_dir, config, values, set(values))
    (first,) = cache_dir.glob("test-*.cache")
    before = first.read_bytes()
    size, values_end = len(before), int.from_bytes(before[-8:], "little")
    values["/r/007.toml"] = b"changed" * 20
    _fill(cache_dir, config, values, {"/r/007.toml"})
    (second,) = cache_dir.glob("test-*.cache")
    assert second.read_bytes()[:values_end] == before[:values_end]  # every old value where it was
    assert _read_all(cache_dir, config, values) == values
    grown = second.stat().st_size
    assert size < grown < size + 400  # the old values kept in place, one new value added
    for round_ in range(60):  # change one file again and again: dead values pile up, then go
        values["/r/007.toml"] = b"again %d " % round_ * 10
        _fill(cache_dir, config, values, {"/r/007.toml"})
        assert _read_all(cache_dir, config, values) == values
    (last,) = cache_dir.glob("test-*.cache")
    assert last.stat().st_size < 2 * size + 2000  # compacted at least once on the way


@pytest.mark.parametrize("dies", [False, True])
def test_a_few_changed_files_are_read_by_a_forked_process(
    repo: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, dies: bool
) -> None:
    """Few misses among cached files: one forked process computes them meanwhile, and what it
    does not send (it died) is computed here; the same values in the same order either way."""
    parent = os.getpid()
    real = cache_module._compute
    computed_here: list[str] = []

    def compute(path: Path, *args: object) -> object:
        if os.getpid() != parent and dies:
            os._exit(9)
        if os.getpid() == parent:
            computed_here.append(path.name)
        return real(path, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(cache_module, "_compute", compute)
    paths = [f"/none/{i}.toml" for i in range(5)]
    values = list(cache_module._in_background(paths, lambda p: f"value of {p.name}", (), None))
    assert [v[0] for v in values] == [f"value of {i}.toml" for i in range(5)]
    assert computed_here == ([f"{i}.toml" for i in range(5)] if dies else [])
