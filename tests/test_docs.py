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
