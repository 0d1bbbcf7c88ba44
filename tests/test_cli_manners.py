"""Command-line manners: --version, shell completion scripts, plain output off a terminal."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from projledger import __version__

from conftest import run

BIN = Path(sys.executable).parent


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"projledger, version {__version__}\n"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", __version__)


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _projledger_completion projledger"),
        ("zsh", "compdef _projledger_completion projledger"),
        ("fish", "complete --no-files --command projledger"),
    ],
)
def test_completion_script_for_each_shell(shell: str, marker: str) -> None:
    """What the README tells people to put in their shell's start-up file."""
    result = subprocess.run(
        [str(BIN / "projledger")],
        env={**os.environ, "_PROJLEDGER_COMPLETE": f"{shell}_source"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert marker in result.stdout
    assert "_PROJLEDGER_COMPLETE" in result.stdout


def test_completion_offers_the_commands() -> None:
    result = subprocess.run(
        [str(BIN / "projledger")],
        env={
            **os.environ,
            "_PROJLEDGER_COMPLETE": "bash_complete",
            "COMP_WORDS": "projledger in",
            "COMP_CWORD": "1",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "plain,init" in result.stdout.splitlines()


def test_completion_offers_options_of_a_command() -> None:
    result = subprocess.run(
        [str(BIN / "projledger")],
        env={
            **os.environ,
            "_PROJLEDGER_COMPLETE": "bash_complete",
            "COMP_WORDS": "projledger init --with",
            "COMP_CWORD": "2",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "plain,--with-site-job" in result.stdout.splitlines()


def test_bash_accepts_the_completion_script(tmp_path: Path) -> None:
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    script = subprocess.run(
        [str(BIN / "projledger")],
        env={**os.environ, "_PROJLEDGER_COMPLETE": "bash_source"},
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    (tmp_path / "complete.bash").write_text(script, "utf-8")
    checked = subprocess.run(
        [bash, "-c", f"source {tmp_path / 'complete.bash'} && complete -p projledger"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stderr
    assert "_projledger_completion" in checked.stdout


def test_output_off_a_terminal_has_no_escape_codes(repo: Path) -> None:
    """Piped output (not a terminal) and NO_COLOR get plain text: no ANSI escapes anywhere."""
    plain = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    commands = (["validate", "--as-of", "2026-11-25"], ["status", "--as-of", "2022-03-31"], ["schema"])
    for env in (plain, {**plain, "NO_COLOR": "1"}):
        for args in commands:
            result = subprocess.run(
                [str(BIN / "projledger"), *args],
                cwd=repo,
                capture_output=True,
                text=True,
                timeout=60,
                env=env,
            )
            assert result.returncode == 0, result.stderr
            assert "\x1b[" not in result.stdout + result.stderr, args


@pytest.mark.parametrize("columns", ["", "0", "abc", "100", "37"])
def test_terminal_width_is_shutils(columns: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reading commands measure the terminal as shutil.get_terminal_size does."""
    import shutil

    from projledger.commands.reading import terminal_width

    monkeypatch.setenv("COLUMNS", columns)
    assert terminal_width() == shutil.get_terminal_size().columns


#: Each command that writes a file named by --output, the arguments before it and its file's name.
WRITERS = [
    (("show", "01000000-2475", "--format", "html"), "form.html"),
    (("status", "--format", "xlsx"), "status.xlsx"),
    (("summary", "--format", "xlsx"), "summary.xlsx"),
    (("sheet", "export", "--month", "03/2565"), "sheet.xlsx"),
    (("sheet", "export", "--new"), "new.csv"),
]


@pytest.mark.parametrize(("args", "name"), WRITERS, ids=[" ".join(a[:2]) for a, _ in WRITERS])
def test_every_writer_names_its_output_one_way(repo: Path, args: tuple[str, ...], name: str) -> None:
    """The line saying a file was written names it as every writer does (``shown_path``): from the
    working folder when it is under it, however it was typed; show named it as typed."""
    (repo / "out").mkdir()
    for typed in (str(repo / "out" / name), f"./out/{name}", f"out/../out/{name}"):
        result = run(*args, "--output", typed)
        assert result.exit_code == 0, result.stderr
        said = result.stderr.strip().removeprefix("projledger: ")
        expected = "out/../out" if typed.startswith("out/..") else "out"
        assert said.startswith("wrote ") and said.endswith(f" {expected}/{name}"), (typed, said)
    outside = repo.parent / f"elsewhere-{name}"
    made = subprocess.run(
        [str(BIN / "projledger"), *args, "--output", str(outside)],
        cwd=repo, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert made.stderr.strip().endswith(f" {outside}"), made.stderr
