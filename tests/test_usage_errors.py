"""Every usage error is exit 2, one line on stderr, nothing on stdout, nothing written (issue 16.5).

The README promises exit 2 for a usage error; `summary --by quarter --by agency` and
`status --format xlsx --output out.csv` used to exit 1. The click commands are walked: every
option with a fixed set of values is given one outside it, every option that reads a date, a
number or a month is given one it cannot read, every required argument is left out; then the
combinations of options the commands refuse. Each runs in a repository with a record (so
nothing but the usage stops it) and in a folder of no records (a usage error is found first).
"""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from projledger.commands.options import DayType, MoneyType, PercentType, WholeNumberType
from projledger.main import main

from conftest import run


def _commands() -> list[tuple[str, click.Command]]:
    found = []
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            for sub in command.list_commands(click.Context(command)):
                subcommand = command.get_command(click.Context(command), sub)
                assert subcommand is not None
                found.append((f"{name} {sub}", subcommand))
        else:
            found.append((name, command))
    return found


#: What each command needs besides the option tried, so that only that option can stop it.
BASE: dict[str, list[str]] = {
    "add-report": ["01000000-2475", "--progress", "50", "--note", "x", "--date", "2022-10-20"],
    "new": ["50100000-0009", "--name", "x", "--fiscal-year", "2567", "--start", "2023-10-01",
            "--end", "2024-09-30", "--budget", "1", "--department", "x"],
    "show": ["01000000-2475"],
    "import": ["printout.txt"],
    "init": ["fresh"],
    "sheet export": ["--output", "out.xlsx"],
    "sheet import": ["sheet.csv"],
}  # fmt: skip

#: A value each kind of option cannot read.
BAD_VALUE = {DayType: "31/02/2565", MoneyType: "-5", PercentType: "abc", WholeNumberType: "x1"}


def _bad_values() -> list[tuple[str, str, str]]:
    """(command, option, a value it refuses) for every option of every command that checks its value."""
    cases = []
    for name, command in _commands():
        for param in command.params:
            if not isinstance(param, click.Option) or param.is_flag or param.name == "help":
                continue
            option = max(param.opts, key=len)
            kind = param.type
            if isinstance(kind, click.Choice):
                cases.append((name, option, "nope"))
            elif type(kind) in BAD_VALUE:
                cases.append((name, option, BAD_VALUE[type(kind)]))
            elif isinstance(kind, (click.types.IntParamType, click.types.FloatParamType)):
                cases.append((name, option, "abc"))
            elif kind.name in ("MM/YYYY", "month") or option == "--month":
                cases.append((name, option, "13/2567"))
    return cases


BAD_VALUES = _bad_values()


def test_the_walk_finds_the_options_that_check_their_values() -> None:
    found = {(c, o) for c, o, _ in BAD_VALUES}
    for expected in [("status", "--format"), ("summary", "--by"), ("status", "--as-of"), ("validate", "--as-of"),
                     ("site", "--lang"), ("add-report", "--progress"), ("new", "--budget"),
                     ("sheet export", "--month"), ("status", "--sort"), ("show", "--format")]:  # fmt: skip
        assert expected in found, expected


def _missing_arguments() -> list[tuple[str, ...]]:
    """Each command with a required argument or option, given nothing else."""
    found = []
    for name, command in _commands():
        if any(isinstance(p, (click.Argument, click.Option)) and p.required for p in command.params):
            found.append(tuple(name.split()))
    return found


#: Option combinations a command refuses (output paths in forbidden places are another matter).
COMBINATIONS: list[tuple[str, ...]] = [
    ("summary", "--by", "quarter", "--by", "agency"),
    ("summary", "--by", "agency", "--by", "agency"),
    ("status", "--format", "xlsx", "--output", "out.csv"),
    ("summary", "--format", "xlsx", "--output", "out.csv"),
    ("status", "--format", "xlsx"),
    ("summary", "--format", "xlsx"),
    ("status", "--output", "out.xlsx"),
    ("summary", "--format", "json", "--output", "out.xlsx"),
    ("status", "--excel"),
    ("summary", "--excel", "--format", "json"),
    ("status", "--since", "HEAD", "01000000-2475"),
    ("sheet", "export", "--output", "out.txt"),
    ("sheet", "export", "--new", "--month", "10/2567", "--output", "new.xlsx"),
    ("add-report", "01000000-2475", "--progress", "50", "--note", "x", "--note-file", "n.txt"),
    ("init", "fresh", "--hooks-repo", "https://example.org/p.git"),
    ("init", "fresh", "--hooks-rev", "v1"),
    ("init", "fresh", "--install-from", "projledger"),
    ("validate", "--no-such-option"),
    ("no-such-command",),
]


def _cases() -> list[tuple[str, ...]]:
    cases = [(*name.split(), *BASE.get(name, []), option, value) for name, option, value in BAD_VALUES]
    return cases + _missing_arguments() + COMBINATIONS


CASES = _cases()


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _assert_usage_error(args: tuple[str, ...], folder: Path) -> None:
    before = _snapshot(folder)
    result = run(*args, input="")
    assert result.exit_code == 2, (args, result.exit_code, result.stderr)
    assert result.stdout == "", args
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("projledger: "), (args, result.stderr)
    assert "Traceback" not in result.stderr
    assert _snapshot(folder) == before, args


@pytest.mark.parametrize("args", CASES, ids=" ".join)
def test_a_usage_error_is_exit_2_in_one_line_and_writes_nothing(repo: Path, args: tuple[str, ...]) -> None:
    (repo / "n.txt").write_text("note\n", "utf-8")
    _assert_usage_error(args, repo)


@pytest.mark.parametrize("args", COMBINATIONS[:12], ids=" ".join)
def test_a_usage_error_comes_before_looking_for_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    monkeypatch.chdir(tmp_path)
    _assert_usage_error(args, tmp_path)


def _fiscal_year_options() -> list[tuple[str, ...]]:
    """Every command's --fiscal-year given a Gregorian year: a BE year is at least 2400."""
    found = []
    for name, command in _commands():
        if any(isinstance(p, click.Option) and "--fiscal-year" in p.opts for p in command.params):
            found.append((*name.split(), *BASE.get(name, []), "--fiscal-year", "2024"))
    return found


def test_the_walk_finds_every_fiscal_year_option() -> None:
    assert {args[0] for args in _fiscal_year_options()} >= {"status", "summary", "new", "sheet"}


@pytest.mark.parametrize("args", _fiscal_year_options(), ids=" ".join)
def test_a_fiscal_year_that_is_not_a_be_year_is_a_usage_error(repo: Path, args: tuple[str, ...]) -> None:
    """`status --fiscal-year 2024` showed an empty table and exit 0; sheet export refused it (exit 2)."""
    _assert_usage_error(args, repo)
