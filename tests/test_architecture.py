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


PACKAGE = PROJECT_ROOT / "cli"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(("projledger", *(parts[:-1] if parts[-1] == "__init__" else parts)))


def _module_level_imports(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports when it is loaded: imports at module level
    (inside ``if``/``try`` blocks too, not inside functions or ``if TYPE_CHECKING``), relative
    ones resolved, ``from . import x`` read as the module ``x`` where there is one."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                visit(node.orelse)
            elif isinstance(node, ast.If | ast.Try):
                visit(node.body)
                visit(node.orelse)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
                visit(getattr(node, "finalbody", []))
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    module = ".".join([*base, *([node.module] if node.module else [])])
                else:
                    module = node.module or ""
                found.add(module)
                found.update(f"{module}.{alias.name}" for alias in node.names)

    visit(ast.parse(path.read_text("utf-8")).body)
    return {module for module in found if module in modules and module != name}


def import_graph() -> dict[str, set[str]]:
    paths = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(paths)
    return {name: _module_level_imports(path, modules) for name, path in paths.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as the modules along it (first repeated last), or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                cycle = visit(target)
                if cycle is not None:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle is not None:
                return cycle
    return None


def test_the_package_has_no_import_cycle() -> None:
    """No module of ``cli/`` imports, at load time, a module that imports it back (however far
    round): the layers stay layers (the registry of record kinds above records and rules)."""
    graph = import_graph()
    assert len(graph) > 40 and "projledger.core.record" in graph["projledger.core.check"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_cycles() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    assert find_cycle({"a": {"a"}}) == ["a", "a"]
