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
