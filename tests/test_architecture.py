"""The shape of the code: the core stays pure, and every command documents itself."""

from __future__ import annotations

import ast
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from projledger.main import COMMANDS, main

from conftest import PROJECT_ROOT

CORE = PROJECT_ROOT / "cli" / "core"
#: The core never talks to the terminal, the clock or the process: the commands do.
FORBIDDEN_CALLS_IN_CORE = {
    "print",
    "sys.exit",
    "exit",
    "date.today",
    "datetime.now",
    "datetime.today",
    "time.time",
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", sorted(CORE.rglob("*.py")), ids=lambda p: p.name)
def test_core_never_imports_click(module: Path) -> None:
    assert "click" not in _imports(module)


@pytest.mark.parametrize("module", sorted(CORE.rglob("*.py")), ids=lambda p: p.name)
def test_core_never_reads_the_clock_prints_or_exits(module: Path) -> None:
    tree = ast.parse(module.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            assert func not in FORBIDDEN_CALLS_IN_CORE, f"{module.name}:{node.lineno} calls {func}"


def _all_commands() -> list[tuple[str, click.Command]]:
    """Every command, groups' subcommands included (``sheet export``), by its full name."""
    found: list[tuple[str, click.Command]] = []

    def visit(prefix: str, command: click.Command) -> None:
        found.append((prefix, command))
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                visit(f"{prefix} {name}", sub)

    for name in sorted(COMMANDS):
        visit(name, main.get_command(click.Context(main), name))  # type: ignore[arg-type]
    return found


@pytest.mark.parametrize(
    ("name", "command"), _all_commands(), ids=lambda value: value if isinstance(value, str) else ""
)
def test_every_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    result = CliRunner().invoke(main, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    if not isinstance(command, click.Group):
        assert "Example" in result.stdout, f"`projledger {name} --help` shows no example"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"{name} {param.opts} has no help text"


def test_top_level_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    for name in COMMANDS:
        assert name in result.stdout


#: What a fresh clone has: the tests, the benchmark, the Makefile and CI read nothing beside it.
SELF_CONTAINED = [
    PROJECT_ROOT / "Makefile",
    PROJECT_ROOT / ".ci" / "run",
    *sorted(
        path
        for folder in ("tests", "bench")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
        if path != Path(__file__).resolve()  # this file names what it looks for
    ),
]


@pytest.mark.parametrize("path", SELF_CONTAINED, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_nothing_reads_outside_the_checkout(path: Path) -> None:
    text = path.read_text("utf-8")
    for reach_out in ("../shared", '"shared"', "parent.parent.parent", "PROJECT_ROOT.parent"):
        assert reach_out not in text, f"{path.name} reaches outside the checkout with {reach_out!r}"
