"""The README documents what the code does: every rule id, both commands of the Makefile."""

from __future__ import annotations

from projledger.core.rules import RULES

from conftest import DATA, PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text("utf-8")


def test_every_rule_is_in_the_readme_table() -> None:
    for rule in RULES:
        assert f"| `{rule.id}` | {rule.severity.value} | {rule.summary} |" in README


def test_every_structural_rule_of_the_fixtures_is_documented() -> None:
    for source in (DATA / "rules").glob("*.toml"):
        for line in source.read_text("utf-8").splitlines():
            if line.startswith("# expect:"):
                rule = line.split()[3]
                assert f"| `{rule}` |" in README, f"{rule} (from {source.name}) is not in the README"


def test_readme_shows_the_two_commands() -> None:
    assert "make run" in README and "make test" in README


def test_make_run_leaves_the_checkout_clean() -> None:
    """`make run` builds _site/ and takes its lock ._site.lock beside it: git must ignore both, or
    a fresh clone shows an untracked file after its first `make run`."""
    import subprocess
    from pathlib import Path

    from projledger.core.store import lock_path

    for made in ("_site/index.html", str(lock_path(Path("_site")))):
        ignored = subprocess.run(
            ["git", "check-ignore", "-q", "--no-index", made], cwd=PROJECT_ROOT, timeout=30
        )
        assert ignored.returncode == 0, made


def _listed(args: list[str]) -> list[tuple[str, str]]:
    """(name, one-line help) of each command `projledger [GROUP] --help` lists, at 80 columns."""
    from click.testing import CliRunner

    from projledger.main import main

    result = CliRunner().invoke(main, [*args, "--help"], terminal_width=80)
    assert result.exit_code == 0, result.output
    rows = result.stdout.split("Commands:\n", 1)[1].splitlines()
    return [(" ".join([*args, row.split()[0]]), row.strip().split(None, 1)[1]) for row in rows]


def test_the_readme_lists_every_command_with_its_help() -> None:
    """The tour's list is what `projledger --help` (and `projledger sheet --help`) shows, word for word."""
    import re

    listed = _listed([]) + _listed(["sheet"])
    assert len(listed) >= 14
    for name, help_text in listed:
        row = re.compile(rf"^    {re.escape(name)} +{re.escape(help_text)}$", re.MULTILINE)
        assert row.search(README), f"README's tour does not list `{name}` as: {help_text}"


def test_each_synopsis_names_every_option_of_its_command() -> None:
    """A command's synopsis in the README (its `    projledger NAME ...` lines) names every option
    its `--help` lists, but the messages' `--lang` that every command takes alike (documented
    once, under "Thai or English"): `site --with-export` was missing from it."""
    import re

    import click

    from projledger.main import main

    synopses = re.findall(r"^    projledger .*(?:\n {8,}\S.*)*", README, re.MULTILINE)
    context = click.Context(main)
    to_see: list[tuple[str, click.Command]] = [
        (n, main.get_command(context, n)) for n in main.list_commands(context)
    ]
    missing = []
    while to_see:
        name, command = to_see.pop()
        if isinstance(command, click.Group):
            to_see += [
                (f"{name} {n}", command.get_command(context, n)) for n in command.list_commands(context)
            ]
            continue
        text = "\n".join(s for s in synopses if re.match(rf"    projledger {re.escape(name)}(\s|$)", s))
        assert text, f"README has no synopsis of {name}"
        options = [p for p in command.params if isinstance(p, click.Option) and p.expose_value]
        for option in (max(p.opts, key=len) for p in options):
            missing += [] if re.search(rf"{option}(?![\w-])", text) else [f"{name} {option}"]
    assert not missing, missing
