"""The shape of the code: the core stays pure, and every command documents itself."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from projledger.commands.new import REQUIRED as NEW_REQUIRED
from projledger.commands.options import FISCAL_YEAR, DayType, LabelChoice, MoneyType, PercentType
from projledger.commands.sheet import MonthType
from projledger.core.labels import label
from projledger.main import COMMANDS, main

from conftest import PROJECT_ROOT

CORE = PROJECT_ROOT / "cli" / "core"
THAI = re.compile("[\u0e00-\u0e7f]")
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
    assert "Example" in result.stdout, f"`projledger {name} --help` shows no example"
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"{name} {param.opts} has no help text"


def _listed_commands(args: list[str]) -> dict[str, str]:
    """The "Commands:" section of ``projledger [GROUP] --help`` at 80 columns: name -> shown help."""
    result = CliRunner().invoke(main, [*args, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    lines = result.stdout.split("Commands:\n", 1)[1].splitlines()
    listed: dict[str, str] = {}
    for line in lines:
        assert len(line) <= 80, f"{line!r} is wider than 80 columns"
        assert line.startswith("  ") and not line.startswith("   "), (
            f"{line!r}: a help wrapped to a second line"
        )
        name, _, help_text = line.strip().partition(" ")
        listed[name] = help_text.strip()
    return listed


def _groups() -> list[list[str]]:
    return [[]] + [name.split() for name, command in _all_commands() if isinstance(command, click.Group)]


@pytest.mark.parametrize("group", _groups(), ids=lambda g: " ".join(["projledger", *g]))
def test_one_line_help_is_a_whole_sentence_at_80_columns(group: list[str]) -> None:
    """What `projledger --help` lists says what each command does, in a sentence click need not cut."""
    parent = main
    for name in group:
        parent = parent.get_command(click.Context(parent), name)  # type: ignore[assignment, union-attr]
    listed = _listed_commands(group)
    assert sorted(listed) == sorted(parent.list_commands(click.Context(parent)))  # type: ignore[attr-defined]
    for name, shown in listed.items():
        command = parent.get_command(click.Context(parent), name)  # type: ignore[attr-defined]
        first_line = inspect.cleandoc(command.help).splitlines()[0]
        assert shown == first_line, f"{name}: {shown!r} is not its docstring's first line {first_line!r}"
        assert not shown.endswith("..."), f"{name}: {shown!r} is cut at 80 columns"
        assert shown[0].isupper() and shown.endswith("."), f"{name}: {shown!r} is not a sentence"
        assert len(shown.split()) >= 5, f"{name}: {shown!r} says too little"
        assert inspect.cleandoc(command.help).split("\n\n")[0] == first_line, (
            f"{name}: the docstring's first paragraph is more than its one line"
        )


#: Options required only in some cases (the command asks for them on a terminal, or needs them with
#: another option): their help must say "required" and when. Required options proper
#: (``required=True``) are marked by click itself.
SOMETIMES_REQUIRED = {
    "new": [option for _, option, _, _ in NEW_REQUIRED],
    "add-report": ["--progress", "--note"],
    "init": ["--hooks-rev"],
    "status": ["--output"],
    "summary": ["--output"],
}

#: What an option's help says of the values its type reads (options.py's types), by type.
VALUE_WORDS: list[tuple[type, tuple[str, ...]]] = [
    (DayType, ("dd/mm/yyyy BE", "ISO", "Thai digits")),
    (MonthType, ("mm/yyyy BE", "ISO", "Thai digits")),
    (MoneyType, ("baht", "2 decimals")),
    (PercentType, ("percent", "0 to 100")),
]


def _options() -> list[tuple[str, click.Option]]:
    return [
        (name, param)
        for name, command in _all_commands()
        for param in command.params
        if isinstance(param, click.Option) and not param.hidden and param.name != "help"
    ]


@pytest.mark.parametrize(
    ("name", "option"), _options(), ids=lambda v: v if isinstance(v, str) else max(v.opts, key=len)
)
def test_every_option_names_its_values(name: str, option: click.Option) -> None:
    command = dict(_all_commands())[name]
    record = option.get_help_record(click.Context(command))
    assert record is not None and option.help, f"{name} {option.opts} has no help"
    shown, help_text = record
    where = f"`projledger {name}` {max(option.opts, key=len)}"
    if isinstance(option.type, LabelChoice):  # it takes the form's Thai words: the help names them
        for choice in option.type.choices:
            assert label(str(choice)) in help_text, f"{where} does not name {label(str(choice))!r}"
    else:
        assert not THAI.search(help_text), f"{where}: Thai in the help ({help_text!r}): write English"
    if isinstance(option.type, click.Choice):
        for choice in option.type.choices:
            assert str(choice) in shown or str(choice) in help_text, f"{where} does not name {choice!r}"
    for kind, words in VALUE_WORDS:
        if isinstance(option.type, kind):
            for word in words:
                assert word in help_text, f"{where}: its help does not say {word!r} ({help_text!r})"
    if option.type is FISCAL_YEAR:
        assert "Buddhist Era" in help_text, f"{where}: a fiscal year is Buddhist Era: say so"
    if isinstance(option.type, click.Path):
        assert shown.split()[-1] in ("FILE", "DIR", "FOLDER", "DIRECTORY"), f"{where}: name the path's kind"
    if option.required:
        assert "required" in help_text, f"{where}: required, and not marked so"
    if max(option.opts, key=len) in SOMETIMES_REQUIRED.get(name, ()):
        assert "Required" in help_text, f"{where}: required in some cases, and its help does not say when"


@pytest.mark.parametrize(
    ("name", "command"), _all_commands(), ids=lambda value: value if isinstance(value, str) else ""
)
def test_help_is_english_but_for_the_values_of_its_examples(name: str, command: click.Command) -> None:
    """Help is written in English (Thai comes from the catalog); only values a user types in an
    example may be Thai."""
    described = inspect.cleandoc(command.help or "").split("Example", 1)[0]
    assert not THAI.search(described), f"`projledger {name} --help` holds Thai outside its example"


def test_the_group_help_says_where_to_read_more() -> None:
    result = CliRunner().invoke(main, ["--help"], terminal_width=80)
    assert "projledger COMMAND --help" in result.stdout and "Example" in result.stdout


#: What a fresh clone has: the tests, the benchmark, the Makefile and CI read nothing beside it.
SELF_CONTAINED = [
    PROJECT_ROOT / "Makefile",
    PROJECT_ROOT / ".ci" / "run",
    *sorted(path for folder in ("tests", "bench") for path in (PROJECT_ROOT / folder).rglob("*.py")),
]
#: How a path beside the checkout gets named: spelt here from parts, so that this file, which
#: is scanned too, does not itself hold what it looks for.
REACHING_OUT = (
    "../sha" + "red",
    '"sha' + 'red"',
    ".parent" * 3,
    "PROJECT_ROOT" + ".parent",
    '"/wo' + "rk/",  # the machine's own folders: a test keeps what it makes under its tmp_path
    'Path("/tm' + "p",
)


@pytest.mark.parametrize("path", SELF_CONTAINED, ids=lambda p: str(p.relative_to(PROJECT_ROOT)))
def test_nothing_reads_outside_the_checkout(path: Path) -> None:
    text = path.read_text("utf-8")
    for reach_out in REACHING_OUT:
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
