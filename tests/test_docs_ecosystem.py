"""The README's ecosystem sections say what the code does: init's files, completion, hooks."""

from __future__ import annotations

from projledger.core.scaffold import scaffold

from conftest import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text("utf-8")


def test_every_file_init_writes_is_in_the_readme() -> None:
    for name in scaffold():
        shown = "records/" if name == "records/.gitkeep" else name
        assert f"`{shown}`" in README, shown


def test_completion_for_each_shell_is_documented() -> None:
    for shell in ("bash", "zsh", "fish"):
        assert f"_PROJLEDGER_COMPLETE={shell}_source projledger" in README


def test_sections_exist() -> None:
    for heading in ("### init", "### schema", "## Editors", "## pre-commit", "## CI", "## Shell completion",
                    "## Install", "## Spreadsheets", "## Git review"):  # fmt: skip
        assert f"\n{heading}\n" in README, heading


def test_taplo_snippet_matches_what_init_writes() -> None:
    taplo = scaffold()[".taplo.toml"]
    for line in ('include = ["records/**/*.toml"]', "[rule.schema]", 'path = "schemas/project.schema.json"'):
        assert line in taplo and line in README
