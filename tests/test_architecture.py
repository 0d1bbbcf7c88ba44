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
FORBIDDEN_IN_CORE = {"click", "tabulate.click", "sys.exit"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("module", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_core_never_imports_click(module: Path) -> None:
    assert "click" not in _imports(module)


@pytest.mark.parametrize("module", sorted(CORE.glob("*.py")), ids=lambda p: p.name)
def test_core_never_reads_the_clock_prints_or_exits(module: Path) -> None:
    tree = ast.parse(module.read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = ast.unparse(node.func)
            assert func not in {
                "print",
                "sys.exit",
                "exit",
                "date.today",
                "datetime.now",
                "datetime.today",
                "time.time",
            }, f"{module.name}:{node.lineno} calls {func}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_help_with_an_example(name: str) -> None:
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout, f"`projledger {name} --help` shows no example"
    command = main.get_command(None, name)  # type: ignore[arg-type]
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"{name} {param.opts} has no help text"


def test_top_level_help_lists_every_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    for name in COMMANDS:
        assert name in result.stdout
