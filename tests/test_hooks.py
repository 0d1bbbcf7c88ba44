"""The pre-commit hooks projledger publishes, run as pre-commit runs them.

The fast tests read `.pre-commit-hooks.yaml`, pick the staged-looking files its `files`
pattern selects, and run each hook's entry as a subprocess with that file list (what
pre-commit does with `pass_filenames: true`). The slow test runs pre-commit itself.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import PROJECT_ROOT, SHIPPED

yaml = pytest.importorskip("yaml", reason="PyYAML comes with pre-commit (the dev extra)")

BIN = Path(sys.executable).parent
GOOD = "records/2565/01000000-2475.toml"
BROKEN = "records/2565/01000000-2476.toml"


def _hooks() -> dict[str, dict[str, Any]]:
    loaded = yaml.safe_load((PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))
    return {hook["id"]: hook for hook in loaded}


def _sample(root: Path) -> Path:
    records = root / "records" / "2565"
    records.mkdir(parents=True)
    shutil.copy(SHIPPED, records)
    text = SHIPPED.read_text("utf-8").replace("01000000-2475", "01000000-2476")
    (records / "01000000-2476.toml").write_text(text.replace("progress = 20.0", "progress = 150.0"), "utf-8")
    (root / "README.md").write_text("not a record\n", "utf-8")
    (root / "projledger.toml").write_text('records = "records"\n', "utf-8")
    return root


def _run_hook(hook: dict[str, Any], root: Path, files: list[str]) -> subprocess.CompletedProcess[str]:
    """As pre-commit does: filter by `files`, append the file names to the entry, run at the root."""
    pattern = re.compile(hook["files"])
    chosen = [f for f in files if pattern.search(f) and f.endswith(".toml")]
    entry = shlex.split(hook["entry"])
    entry[0] = str(BIN / entry[0])
    return subprocess.run(
        [*entry, *hook.get("args", []), *chosen],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )


def test_published_hooks_declare_what_pre_commit_needs() -> None:
    hooks = _hooks()
    assert list(hooks) == ["projledger-validate", "projledger-fmt"]
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["files"] == r"^records/.*\.toml$"
        assert hook["types"] == ["toml"]
        assert hook["require_serial"] is True
        assert hook["pass_filenames"] is True
    assert hooks["projledger-validate"]["entry"] == "projledger validate"
    assert hooks["projledger-fmt"]["entry"] == "projledger fmt"


def test_files_pattern_selects_records_only() -> None:
    pattern = re.compile(_hooks()["projledger-validate"]["files"])
    assert pattern.search(GOOD)
    assert not pattern.search("README.md")
    assert not pattern.search("projledger.toml")
    assert not pattern.search("other/records/2565/x.toml")


def test_validate_hook_passes_a_good_record_and_fails_a_broken_one(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    hook = _hooks()["projledger-validate"]
    good = _run_hook(hook, root, [GOOD, "README.md", "projledger.toml"])
    assert good.returncode == 0, good.stdout + good.stderr
    assert "1 file checked: 0 errors, 1 warning" in good.stdout
    bad = _run_hook(hook, root, [GOOD, BROKEN])
    assert bad.returncode == 1
    assert f"{BROKEN}:" in bad.stdout and "[out-of-range]" in bad.stdout
    assert "2 files checked" in bad.stdout


def test_fmt_hook_leaves_a_canonical_record_alone_and_rewrites_another(tmp_path: Path) -> None:
    root = _sample(tmp_path)
    hook = _hooks()["projledger-fmt"]
    first = _run_hook(hook, root, [GOOD])
    assert first.returncode == 0, first.stderr
    canonical = (root / GOOD).read_text("utf-8")
    again = _run_hook(hook, root, [GOOD])
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    assert (root / GOOD).read_text("utf-8") == canonical
    (root / GOOD).write_text(canonical.replace("\nformat = 1\n", "\nformat   =   1\n"), "utf-8")
    changed = _run_hook(hook, root, [GOOD])
    assert GOOD in changed.stdout
    assert (root / GOOD).read_text("utf-8") == canonical


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.slow
def test_pre_commit_try_repo_runs_the_validate_hook(tmp_path: Path) -> None:
    """pre-commit installs projledger from this checkout into its own environment and runs it.

    It needs the package index (pre-commit builds an environment with pip); when that is out
    of reach the test is skipped, saying so, rather than failing on the network.
    """
    pre_commit = BIN / "pre-commit"
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed (pip install -e '.[dev]')")
    if not (PROJECT_ROOT / ".git").exists():
        pytest.skip("try-repo needs the project as a git repository")
    root = _sample(tmp_path / "agency")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "NO_COLOR": "1",
        "PRE_COMMIT_COLOR": "never",
    }
    result = subprocess.run(
        [str(pre_commit), "try-repo", str(PROJECT_ROOT), "projledger-validate", "--all-files"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    output = result.stdout + result.stderr
    offline = (
        "Could not find a version",
        "No matching distribution",
        "Failed to establish",
        "Network is unreachable",
    )
    if result.returncode != 0 and any(sign in output for sign in offline):
        pytest.skip("pre-commit could not reach the package index to install projledger: " + output[-300:])
    assert result.returncode == 1, output[-3000:]  # the broken record fails the hook
    assert "projledger validate" in output and "Failed" in output
    assert f"{BROKEN}:" in output and "[out-of-range]" in output
    (root / BROKEN).unlink()
    _git(root, "add", "-A")
    again = subprocess.run(
        [str(pre_commit), "try-repo", str(PROJECT_ROOT), "projledger-validate", "--all-files"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert again.returncode == 0, (again.stdout + again.stderr)[-3000:]
    assert "Passed" in again.stdout


@pytest.mark.slow
def test_the_pre_commit_config_init_writes_runs(tmp_path: Path) -> None:
    """`pre-commit run` with the config `projledger init` writes (local hooks on the installed command)."""
    pre_commit = BIN / "pre-commit"
    if not pre_commit.exists():
        pytest.skip("pre-commit is not installed (pip install -e '.[dev]')")
    from conftest import run

    root = tmp_path / "agency"
    assert run("init", str(root)).exit_code == 0
    records = root / "records" / "2565"
    records.mkdir(parents=True)
    (records / SHIPPED.name).write_text(
        SHIPPED.read_text("utf-8").replace("\nformat = 1\n", "\nformat   =   1\n"), "utf-8"
    )
    _git(root, "init", "-q")
    _git(root, "add", ".")
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "PRE_COMMIT_COLOR": "never",
    }

    def pre_commit_run(hook: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(pre_commit), "run", hook, "--all-files"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
        )

    validated = pre_commit_run("projledger-validate")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "projledger validate" in validated.stdout and "Passed" in validated.stdout
    formatted = pre_commit_run("projledger-fmt")  # the shipped record gains its #:schema line
    assert formatted.returncode == 1 and "files were modified by this hook" in formatted.stdout
    assert (
        (records / SHIPPED.name).read_text("utf-8").startswith("#:schema ../../schemas/project.schema.json\n")
    )
    _git(root, "add", ".")
    assert pre_commit_run("projledger-fmt").returncode == 0
    text = (
        SHIPPED.read_text("utf-8")
        .replace("01000000-2475", "01000000-2476")
        .replace("progress = 20.0", "progress = 150.0")
    )
    (records / "01000000-2476.toml").write_text(text, "utf-8")
    _git(root, "add", ".")
    broken = pre_commit_run("projledger-validate")
    assert broken.returncode == 1
    assert "01000000-2476.toml" in broken.stdout and "[out-of-range]" in broken.stdout
