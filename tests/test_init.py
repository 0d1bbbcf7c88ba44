"""`projledger init`: a new agency's repository, every file of it, and what init refuses."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

from projledger.core.config import DEFAULT_TARGETS, load_config, parse_config
from projledger.core.layout import schema_line
from projledger.core.scaffold import KPI_SCHEMA_PATH, SCHEMA_PATH, WORKFLOW_PATH, scaffold

from conftest import PROJECT_ROOT, run

EXPECTED_FILES = [
    ".github/workflows/projledger.yml",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".taplo.toml",
    "projledger.toml",
    "records/.gitkeep",
    "schemas/kpi.schema.json",
    "schemas/project.schema.json",
]


def test_scaffold_lists_every_file() -> None:
    assert list(scaffold()) == EXPECTED_FILES


def test_generated_config_parses_to_the_defaults_and_spells_out_every_setting(tmp_path: Path) -> None:
    text = scaffold()["projledger.toml"]
    (tmp_path / "projledger.toml").write_text(text, "utf-8")
    config = parse_config(tmp_path / "projledger.toml")
    assert config.records_dir == (tmp_path / "records").resolve()
    assert config.tolerance == Decimal(10)
    assert config.language == "th"
    assert config.code_pattern == r"^[0-9]{8}-[0-9]{4,}$"
    assert config.default_targets == DEFAULT_TARGETS
    assert config.targets_by_year == {}
    for key in (
        "records =",
        "tolerance =",
        "language =",
        "code_pattern =",
        "[disbursement_targets]",
        "default =",
    ):
        assert f"\n{key}" in text, key
    # the per-year example is there, commented, and works once uncommented
    assert '\n# "2567" = [30, 52, 75, 100]\n' in text
    (tmp_path / "projledger.toml").write_text(text.replace('# "2567"', '"2567"'), "utf-8")
    assert parse_config(tmp_path / "projledger.toml").targets(2567) == tuple(map(Decimal, (30, 52, 75, 100)))
    # so is the repository's name (export), unset by default: the folder's name
    assert config.name == "" and config.repository_name == tmp_path.name
    assert '\n# name = "bma-budget-office"\n' in text
    (tmp_path / "projledger.toml").write_text(text.replace("# name =", "name ="), "utf-8")
    assert parse_config(tmp_path / "projledger.toml").repository_name == "bma-budget-office"


def test_the_code_pattern_example_is_a_pattern_that_works(tmp_path: Path) -> None:
    """The comment's example of a stricter code_pattern lost its braces to the f-string that
    writes the file ('^5001[0-9]4-[0-9]4$' matches no code): an agency that copied it could
    register nothing."""
    text = scaffold()["projledger.toml"]
    example = text.split("e.g. ", 1)[1].split(" for one district", 1)[0]
    assert example == "'^5001[0-9]{4}-[0-9]{4}$'"
    config = tmp_path / "projledger.toml"
    config.write_text(
        text.replace("code_pattern = '^[0-9]{8}-[0-9]{4,}$'", f"code_pattern = {example}"), "utf-8"
    )
    from projledger.core.repository import is_code

    assert is_code("50011234-0001", parse_config(config))
    assert not is_code("01000000-2475", parse_config(config))


def test_every_setting_has_a_comment_above_it() -> None:
    lines = scaffold()["projledger.toml"].splitlines()
    for index, line in enumerate(lines):
        if line and not line.startswith("#") and "=" in line and not line.startswith("default"):
            assert lines[index - 1].startswith("#"), line


def test_schema_copy_is_the_shipped_schema_where_record_headers_point() -> None:
    files = scaffold()
    shipped = (PROJECT_ROOT / "schemas" / "project.schema.json").read_text("utf-8")
    assert files[SCHEMA_PATH] == shipped
    # the header the tool writes atop records/<FY>/<code>.toml: ../../ lands on the schema
    record = Path("records/2565/01000000-2475.toml")
    header = schema_line(record, Path("."))
    assert header == "#:schema ../../schemas/project.schema.json"
    assert (record.parent / header.split()[1]).as_posix().endswith(SCHEMA_PATH)
    assert json.loads(files[SCHEMA_PATH])["title"]


def test_taplo_rule_associates_records_with_the_schema() -> None:
    taplo = tomllib.loads(scaffold()[".taplo.toml"])
    assert taplo["rule"] == [
        {"include": ["records/**/kpi/*.toml"], "schema": {"path": KPI_SCHEMA_PATH}},
        {
            "include": ["records/**/*.toml"],
            "exclude": ["records/**/kpi/*.toml"],
            "schema": {"path": SCHEMA_PATH},
        },
    ]


def test_init_copies_the_kpi_schema_that_new_kpi_records_point_at(tmp_path: Path) -> None:
    from contextlib import chdir

    from projledger.core.schema import schema

    assert run("init", str(tmp_path / "agency")).exit_code == 0
    copied = tmp_path / "agency" / KPI_SCHEMA_PATH
    assert json.loads(copied.read_text("utf-8")) == schema((2, "kpi"))
    with chdir(tmp_path / "agency"):
        made = run("new", "--kind", "kpi", "5026-2001", "--name", "ก", "--fiscal-year", "2565",
                   "--department", "ข", "--unit", "ร้อยละ", "--target", "100")  # fmt: skip
    assert made.exit_code == 0, made.stderr
    record = tmp_path / "agency" / "records" / "2565" / "kpi" / "5026-2001.toml"
    header = record.read_text("utf-8").splitlines()[0]
    assert header == "#:schema ../../../schemas/kpi.schema.json"
    assert (record.parent / header.split(" ", 1)[1]).resolve() == copied.resolve()


def test_gitignore_covers_lock_temp_and_site() -> None:
    lines = scaffold()[".gitignore"].splitlines()
    for pattern in (".*.lock", ".*.tmp", "_site/"):
        assert pattern in lines


def test_this_checkout_ignores_what_a_records_repository_ignores() -> None:
    """The project ships its records (records/) and a clerk may add reports to them here: what
    the writer leaves beside a record (its lock file) must not show in ``git status`` of this
    repository either, as it does not in one ``init`` makes."""
    ours = (PROJECT_ROOT / ".gitignore").read_text("utf-8").splitlines()
    patterns = [line for line in scaffold()[".gitignore"].splitlines() if line and line[0] != "#"]
    assert [pattern for pattern in patterns if pattern not in ours] == []
    if (PROJECT_ROOT / ".git").exists():  # and git reads them so (a checkout, not an unpacked copy)
        lock = "records/2565/.01000000-2475.toml.lock"
        ignored = subprocess.run(
            ["git", "check-ignore", "--no-index", "-q", lock], cwd=PROJECT_ROOT, check=False
        )
        assert ignored.returncode == 0


def test_workflow_runs_validate_and_fmt_check() -> None:
    text = scaffold()[".github/workflows/projledger.yml"]
    assert "run: projledger validate --format github\n" in text
    assert "run: projledger fmt --check\n" in text
    assert "projledger==1.2.3" not in text  # no such package is known to exist (issue 16.5)
    assert "projledger site" not in text
    with_site = scaffold(with_site_job=True)[".github/workflows/projledger.yml"]
    assert with_site.startswith(text)
    assert "run: projledger site --output _site --with-export sqlite" in with_site
    assert "actions/deploy-pages" in with_site
    assert 'Needs Pages enabled with "GitHub Actions" as the source' in with_site


def test_workflow_is_valid_yaml_when_yaml_is_available() -> None:
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with pre-commit (dev extra)")
    data = yaml.safe_load(scaffold(with_site_job=True)[".github/workflows/projledger.yml"])
    assert set(data["jobs"]) == {"check", "site"}
    steps = [step.get("run", "") for step in data["jobs"]["check"]["steps"]]
    assert "projledger validate --format github" in steps
    hooks = yaml.safe_load(scaffold()[".pre-commit-config.yaml"])
    assert [h["id"] for h in hooks["repos"][0]["hooks"]] == ["projledger-validate", "projledger-fmt"]
    remote = yaml.safe_load(
        scaffold(hooks=("https://example.org/projledger.git", "abc1234"))[".pre-commit-config.yaml"]
    )
    assert remote["repos"][0] == {
        "repo": "https://example.org/projledger.git",
        "rev": "abc1234",
        "hooks": [{"id": "projledger-validate"}, {"id": "projledger-fmt"}],
    }


def test_precommit_config_uses_the_published_hook_settings() -> None:
    text = scaffold()[".pre-commit-config.yaml"]
    published = (PROJECT_ROOT / ".pre-commit-hooks.yaml").read_text("utf-8")
    for setting in (
        "entry: projledger validate",
        "entry: projledger fmt",
        "files: ^records/.*\\.toml$",
        "types: [toml]",
        "require_serial: true",
    ):
        assert setting in text and setting in published, setting


def test_init_writes_every_file(tmp_path: Path) -> None:
    target = tmp_path / "agency"
    result = run("init", str(target))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [str(target / name) for name in EXPECTED_FILES]
    assert (target / "records").is_dir()
    for name, text in scaffold().items():
        assert (target / name).read_text("utf-8") == text
    config = load_config(target / "records")  # found by walking up from a subfolder
    assert config.path == (target / "projledger.toml").resolve()


def test_init_then_validate_passes_on_the_empty_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("init", str(tmp_path)).exit_code == 0
    monkeypatch.chdir(tmp_path / "records")
    result = run("validate")
    assert result.exit_code == 0, result.stdout
    assert "0 files checked" in result.stdout


def test_init_refuses_an_existing_repository_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "projledger.toml").write_text('records = "data"\n', "utf-8")
    (tmp_path / "notes.txt").write_text("x", "utf-8")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = run("init", str(tmp_path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "already a projledger repository; nothing written" in result.stderr
    assert result.stderr.startswith(f"projledger: {tmp_path / 'projledger.toml'}: ")
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "projledger.toml").read_text("utf-8") == 'records = "data"\n'


def test_init_keeps_files_already_there(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("mine\n", "utf-8")
    result = run("init", str(tmp_path))
    assert result.exit_code == 0
    assert (tmp_path / ".gitignore").read_text("utf-8") == "mine\n"
    assert f"kept the existing {tmp_path / '.gitignore'}" in result.stderr
    assert str(tmp_path / ".gitignore") not in result.stdout.splitlines()
    assert (tmp_path / "projledger.toml").exists()


def test_init_refuses_a_file(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x", "utf-8")
    result = run("init", str(tmp_path / "f"))
    assert result.exit_code == 1
    assert "is a file, not a folder" in result.stderr


def test_init_with_site_job_and_hooks_repo(tmp_path: Path) -> None:
    result = run("init", str(tmp_path), "--with-site-job", "--hooks-repo", "https://example.org/pl.git",
                 "--hooks-rev", "v0.2")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    workflow = (tmp_path / ".github/workflows/projledger.yml").read_text("utf-8")
    assert "projledger site --output _site" in workflow
    assert 'PROJLEDGER_INSTALL: "projledger @ git+https://example.org/pl.git@v0.2"' in workflow
    hooks = (tmp_path / ".pre-commit-config.yaml").read_text("utf-8")
    assert "repo: https://example.org/pl.git\n    rev: v0.2\n" in hooks
    assert "CI installs projledger from projledger @ git+https://example.org/pl.git@v0.2" in result.stderr


@pytest.mark.parametrize("with_site_job", [False, True])
def test_workflow_follows_githubs_workflow_schema(tmp_path: Path, with_site_job: bool) -> None:
    """check-jsonschema's vendored schema of GitHub workflows accepts what init writes."""
    import subprocess
    import sys

    checker = Path(sys.executable).parent / "check-jsonschema"
    if not checker.exists():
        pytest.skip("check-jsonschema is not installed (the dev extra)")
    workflow = tmp_path / "projledger.yml"
    workflow.write_text(scaffold(with_site_job=with_site_job)[".github/workflows/projledger.yml"], "utf-8")
    result = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-workflows", str(workflow)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_copy_checks_records_in_another_tool(tmp_path: Path) -> None:
    """The copy init writes is usable as is: check-jsonschema checks a record with it."""
    import shutil
    import subprocess
    import sys

    from conftest import SHIPPED

    checker = Path(sys.executable).parent / "check-jsonschema"
    if not checker.exists():
        pytest.skip("check-jsonschema is not installed (the dev extra)")
    assert run("init", str(tmp_path)).exit_code == 0
    record = tmp_path / "records" / "2565" / SHIPPED.name
    record.parent.mkdir(parents=True)
    shutil.copy(SHIPPED, record)
    broken = record.with_name("01000000-2476.toml")
    broken.write_text(SHIPPED.read_text("utf-8").replace("progress = 20.0", "progress = 150.0"), "utf-8")

    def check(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(checker), "--schemafile", str(tmp_path / SCHEMA_PATH), str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )

    assert check(record).returncode == 0
    assert check(broken).returncode == 1


# --- where CI installs projledger from (issue 16 point 5, third bullet) -------------------


def _install_steps(workflow: str) -> tuple[str, list[dict[str, str]]]:
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with pre-commit (dev extra)")
    data = yaml.safe_load(workflow)
    steps = [
        s for job in data["jobs"].values() for s in job["steps"] if s.get("name") == "Install projledger"
    ]
    return data["env"]["PROJLEDGER_INSTALL"], steps


@pytest.mark.parametrize(
    ("given", "installed"),
    [
        ("projledger==0.2", "projledger==0.2"),
        ("projledger~=0.2.1", "projledger~=0.2.1"),
        ("git+https://example.org/projledger.git@v0.2", "projledger @ git+https://example.org/projledger.git@v0.2"),
        ("git+ssh://git@example.org/x/projledger.git@0a1b2c3", "projledger @ git+ssh://git@example.org/x/projledger.git@0a1b2c3"),
        ("./tools/projledger", "./tools/projledger"),
    ],
)  # fmt: skip
def test_init_writes_the_install_source_it_is_given(tmp_path: Path, given: str, installed: str) -> None:
    result = run("init", str(tmp_path), "--with-site-job", "--install-from", given)
    assert result.exit_code == 0, result.stderr
    value, steps = _install_steps((tmp_path / ".github/workflows/projledger.yml").read_text("utf-8"))
    assert value == installed
    assert len(steps) == 2 and all('python -m pip install "$PROJLEDGER_INSTALL"' in s["run"] for s in steps)
    assert f"CI installs projledger from {installed}" in result.stderr


def _run_step(script: str, value: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """The step's shell as GitHub runs it (bash -e), with `python` a stub that prints its arguments."""
    stub = tmp_path / "bin"
    stub.mkdir(exist_ok=True)
    (stub / "python").write_text('#!/bin/sh\necho "python $*"\n', "utf-8")
    (stub / "python").chmod(0o755)
    env = {"PATH": f"{stub}{os.pathsep}{os.environ['PATH']}", "PROJLEDGER_INSTALL": value}
    return subprocess.run(["bash", "-e", "-c", script], capture_output=True, text=True, env=env, timeout=30)


def test_without_a_source_the_install_step_says_what_to_set(tmp_path: Path) -> None:
    result = run("init", str(tmp_path / "r"))
    assert result.exit_code == 0
    assert "set PROJLEDGER_INSTALL in" in result.stderr
    value, steps = _install_steps((tmp_path / "r/.github/workflows/projledger.yml").read_text("utf-8"))
    assert value == ""
    ran = _run_step(steps[0]["run"], value, tmp_path)
    assert ran.returncode == 1
    assert ran.stdout.startswith(
        "::error::set PROJLEDGER_INSTALL in .github/workflows/projledger.yml to where projledger is installed from"
    )
    assert "python" not in ran.stdout.replace("projledger", "")  # pip never ran


def test_with_a_source_the_install_step_installs_it(tmp_path: Path) -> None:
    workflow = scaffold(install="projledger @ git+https://example.org/p.git@v1")[WORKFLOW_PATH]
    value, steps = _install_steps(workflow)
    ran = _run_step(steps[0]["run"], value, tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "python -m pip install projledger @ git+https://example.org/p.git@v1\n"


def test_a_path_source_that_is_not_there_stops_the_step_saying_so(tmp_path: Path) -> None:
    """`--install-from ./tools/projledger` before the folder is there: the step says what is
    missing instead of failing on pip's install error; once projledger is there, pip runs."""
    result = run("init", str(tmp_path / "r"), "--install-from", "./tools/projledger")
    assert result.exit_code == 0
    assert "./tools/projledger is not there yet" in result.stderr
    value, steps = _install_steps((tmp_path / "r/.github/workflows/projledger.yml").read_text("utf-8"))
    checkout = tmp_path / "r"
    ran = _run_step(f"cd {checkout}\n" + steps[0]["run"], value, tmp_path)
    assert ran.returncode == 1
    assert ran.stdout == (
        "::error::PROJLEDGER_INSTALL in .github/workflows/projledger.yml names ./tools/projledger, "
        "which is not a folder of this repository holding projledger (its pyproject.toml)\n"
    )
    (checkout / "tools" / "projledger").mkdir(parents=True)
    (checkout / "tools" / "projledger" / "pyproject.toml").write_text(
        "[project]\nname = 'projledger'\n", "utf-8"
    )
    ran = _run_step(f"cd {checkout}\n" + steps[0]["run"], value, tmp_path)
    assert ran.returncode == 0, ran.stdout
    assert ran.stdout == "python -m pip install ./tools/projledger\n"
    again = run("init", str(tmp_path / "s"), "--install-from", "./tools/projledger")
    assert "not there yet" in again.stderr  # each init judges its own folder


@pytest.mark.parametrize(
    "args",
    [
        ("--install-from", "projledger"),
        ("--install-from", "projledger==latest"),
        ("--install-from", "git+https://example.org/projledger.git"),  # no revision
        ("--install-from", "https://example.org/projledger.git@v1"),
        ("--install-from", "/opt/projledger"),
        ("--install-from", "../projledger"),
        ("--install-from", "./a/../../b"),
        ("--install-from", "projledger==0.2; rm -rf /"),
        ("--install-from", ""),
        ("--hooks-repo", "https://example.org/p.git"),  # no --hooks-rev
        ("--hooks-rev", "v1"),  # no --hooks-repo
        ("--hooks-repo", "not a url", "--hooks-rev", "v1"),
        ("--hooks-repo", "-x", "--hooks-rev", "v1"),
        ("--hooks-repo", "https://example.org/p.git", "--hooks-rev", "v 1"),
        ("--hooks-repo", "https://example.org/p.git", "--hooks-rev", "-v1"),
    ],
)
def test_a_bad_source_is_a_usage_error_and_nothing_is_written(tmp_path: Path, args: tuple[str, ...]) -> None:
    result = run("init", str(tmp_path / "r"), *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == "" and result.stderr.count("\n") == 1
    assert not (tmp_path / "r").exists()
