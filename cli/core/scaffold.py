"""The files of a new records repository, as text: what ``projledger init`` writes.

Pure: :func:`scaffold` returns ``{relative path: file text}`` and never touches the disk, so
a test can read every file, parse the config with the same code every command uses, and the
command layer decides how to write them (never over an existing file).

The config spells out every setting with its default and a comment, so an agency can see what
it may change without reading the manual. The schema is copied to ``schemas/`` because the
records the tool writes start with ``#:schema ../../schemas/project.schema.json`` (records sit
at ``records/<fiscal year>/<code>.toml``): editors resolve that header relative to the record.
The KPI schema goes beside it (KPI records, ``records/<FY>/kpi/<code>.toml``, start with
``#:schema ../../../schemas/kpi.schema.json``).
"""

from __future__ import annotations

import json
import re

from .config import CONFIG_NAME, DEFAULT_CODE_PATTERN, DEFAULT_TARGETS, DEFAULT_TIMEZONE, DEFAULT_TOLERANCE
from .errors import InputError
from .schema import schema_name, schema_text

SCHEMA_PATH = f"schemas/{schema_name()}"
#: The KPI records' schema, beside the project's (KPIs sit at records/<FY>/kpi/<code>.toml).
KPI_SCHEMA_PATH = f"schemas/{schema_name((2, 'kpi'))}"
WORKFLOW_PATH = ".github/workflows/projledger.yml"


def config_text() -> str:
    """``projledger.toml`` with every setting written out at its default, each explained."""
    return f"""\
# projledger settings for this records repository.
# Every command finds this file by walking up from the folder it is run in, as git does,
# so projledger works from any subfolder. Each setting below is at its default value.

# Folder holding the records, relative to this file: records/<fiscal year>/<code>.toml
records = "records"

# Percentage points a project may lag its planned progress and still count as
# "เป็นไปตามแผนแต่ควรติดตาม" (watch) rather than "ไม่เป็นไปตามแผน" (behind).
tolerance = {DEFAULT_TOLERANCE}

# Language of tables and forms: "th" (Thai) or "en" (English).
language = "th"

# The repository's time zone (an IANA name): "today", the day a check judges by (a report
# dated after it is refused, add-report's default date), is the day here, on every machine and
# CI runner whatever their own time zone.
timezone = "{DEFAULT_TIMEZONE}"

# What this repository's project codes look like (a regular expression). Codes always have
# the form of the schema (8 digits, a hyphen, 4 or more digits: 01000000-2475); a pattern
# here can only be stricter, e.g. '^5001[0-9]{{4}}-[0-9]{{4}}$' for one district's projects.
code_pattern = '{DEFAULT_CODE_PATTERN}'

# The repository's name, carried by every row of `projledger export` so that the exports of
# many repositories (one per agency) are read together without clashes. Unset, it is the name
# of this repository's folder.
# name = "bma-budget-office"

# Disbursement targets: cumulative % of the budget to be disbursed by the end of fiscal
# quarters 1-4 (Oct-Dec, Jan-Mar, Apr-Jun, Jul-Sep). The default is the cabinet's overall
# target of recent years; a fiscal year (Buddhist Era) may have its own line.
[disbursement_targets]
default = [{", ".join(map(str, DEFAULT_TARGETS))}]
# "2567" = [30, 52, 75, 100]
"""


GITIGNORE = """\
# projledger leaves a lock file and, while writing, a temporary file beside a record.
.*.lock
.*.tmp
# The static site built by `projledger site`.
_site/
# Lock files of spreadsheets open in Excel or LibreOffice.
~$*
.~lock.*#
"""

TAPLO = f"""\
# taplo (and the Even Better TOML extension of VS Code, which uses taplo) check the records
# against projledger's JSON Schemas while you type: KPIs (records/<FY>/kpi/) against the KPI
# schema, every other record against the project schema.
[[rule]]
include = ["records/**/kpi/*.toml"]

[rule.schema]
path = "{KPI_SCHEMA_PATH}"

[[rule]]
include = ["records/**/*.toml"]
exclude = ["records/**/kpi/*.toml"]

[rule.schema]
path = "{SCHEMA_PATH}"
"""


#: The workflow's variable holding what ``pip install`` installs projledger from.
INSTALL_ENV = "PROJLEDGER_INSTALL"

_INDEX = re.compile(r"projledger(==|~=|>=)[0-9]+(\.[0-9]+)*((a|b|rc)[0-9]+)?(\.post[0-9]+)?(\.dev[0-9]+)?")
_GIT_URL = re.compile(r"git\+(https|ssh|file)://[^\s\"'#@/]*(@[^\s\"'#@/]+)?/[^\s\"'#@]+")
_REV = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_PATH = re.compile(r"\./[A-Za-z0-9_][A-Za-z0-9._/-]*")
_HOOKS_URL = re.compile(r"(https|ssh|file)://[^\s\"'#]+|[A-Za-z0-9][\w.-]*@[\w.-]+:[^\s\"'#]+")
INSTALL_SHAPES = "projledger==VERSION (the package index), git+https://URL@REV (a git repository at a tag or commit), or ./PATH (a folder of this repository)"


def install_requirement(source: str) -> str:
    """What ``pip install`` is given for ``init --install-from SOURCE``; InputError when SOURCE is
    none of the three shapes (a version of the package index, a git URL at a revision, a path
    inside the repository): CI must install from a place that exists, named exactly."""
    if _INDEX.fullmatch(source):
        return source
    if source.startswith("git+"):
        url, at, rev = source.rpartition("@")
        if not (at and _GIT_URL.fullmatch(url) and _REV.fullmatch(rev)):
            raise InputError(
                f"'{source}' is not a git URL at a revision, like git+https://host/projledger.git@v0.2",
                field="--install-from",
            )
        return f"projledger @ {source}"
    if _PATH.fullmatch(source) and ".." not in source.split("/"):
        return source
    raise InputError(f"'{source}' is none of {INSTALL_SHAPES}", field="--install-from")


def check_hooks_source(url: str, rev: str) -> None:
    """``init --hooks-repo URL --hooks-rev REV``: a git URL and a tag or commit of it."""
    if not _HOOKS_URL.fullmatch(url):
        raise InputError(
            f"'{url}' is not a git URL (https://, ssh://, file:// or user@host:path)", field="--hooks-repo"
        )
    if not _REV.fullmatch(rev):
        raise InputError(
            f"'{rev}' is not a tag, branch or commit of the hooks repository", field="--hooks-rev"
        )


def hooks_requirement(url: str, rev: str) -> str | None:
    """What CI installs when only the hooks' repository is given (an URL pip can read), else None."""
    if _HOOKS_URL.fullmatch(url) and "://" in url and _REV.fullmatch(rev):
        return f"projledger @ git+{url}@{rev}"
    return None


def precommit_text(hooks: tuple[str, str] | None) -> str:
    """``.pre-commit-config.yaml``: projledger's hooks from (its repository, a revision the user
    gave), or the projledger installed on the machine."""
    if hooks:
        url, rev = hooks
        return f"""\
# pre-commit (https://pre-commit.com): `pre-commit install` once, then every `git commit`
# checks the staged records and refuses a commit that breaks one.
repos:
  - repo: {url}
    rev: {rev}
    hooks:
      - id: projledger-validate
      - id: projledger-fmt
"""
    return """\
# pre-commit (https://pre-commit.com): `pre-commit install` once, then every `git commit`
# checks the staged records and refuses a commit that breaks one.
#
# These run the projledger installed on this machine (pip install / pipx install), with the
# same ids and settings as the hooks projledger publishes. To let pre-commit install
# projledger by itself, replace the `local` repo below with (a tag or commit that repository has):
#   - repo: <git URL of projledger>
#     rev: <tag or commit>
#     hooks:
#       - id: projledger-validate
#       - id: projledger-fmt
repos:
  - repo: local
    hooks:
      - id: projledger-validate
        name: projledger validate
        entry: projledger validate
        language: system
        files: ^records/.*\\.toml$
        types: [toml]
        require_serial: true
      - id: projledger-fmt
        name: projledger fmt
        entry: projledger fmt
        language: system
        files: ^records/.*\\.toml$
        types: [toml]
        require_serial: true
"""


#: The install step of every job: pip installs what the workflow's PROJLEDGER_INSTALL names, and
#: when it names nothing, or a folder of the repository that does not hold projledger, the step
#: says so instead of failing on an install error.
INSTALL_STEP = f"""\
      - name: Install projledger
        run: |
          if [ -z "${INSTALL_ENV}" ]; then
            echo "::error::set {INSTALL_ENV} in {{workflow}} to where projledger is installed from: {INSTALL_SHAPES}"
            exit 1
          fi
          case "${INSTALL_ENV}" in ./*)
            if [ ! -f "${INSTALL_ENV}/pyproject.toml" ]; then
              echo "::error::{INSTALL_ENV} in {{workflow}} names ${INSTALL_ENV}, which is not a folder of this repository holding projledger (its pyproject.toml)"
              exit 1
            fi;;
          esac
          python -m pip install "${INSTALL_ENV}"
"""


SITE_JOB = """\

  # Publishes the portfolio as a static website on GitHub Pages after every push to the
  # default branch (`projledger site`). Needs Pages enabled with "GitHub Actions" as the source.
  site:
    needs: check
    if: github.event_name == 'push' && github.ref == format('refs/heads/{0}', github.event.repository.default_branch)
    runs-on: ubuntu-latest
    permissions:
      contents: read
      pages: write
      id-token: write
    environment:
      name: github-pages
      url: ${{ steps.deploy.outputs.page_url }}
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
@INSTALL@      - name: Build the site, with the tables of `projledger export` in _site/export/
        # (sqlite needs nothing more; parquet needs projledger[parquet] installed above)
        run: projledger site --output _site --with-export sqlite
      - uses: actions/upload-pages-artifact@v3
        with:
          path: _site
      - id: deploy
        uses: actions/deploy-pages@v4
"""


def workflow_text(install: str | None, with_site_job: bool) -> str:
    """The CI workflow: validate (annotating the files) and check the layout on every push;
    ``install``: what ``pip install`` installs projledger from (None: not known yet)."""
    step = INSTALL_STEP.replace("{workflow}", WORKFLOW_PATH)
    value = json.dumps(install or "")
    where = (
        "Where CI installs projledger from (written by projledger init --install-from)."
        if install
        else "Set this to where CI installs projledger from, or every run stops at the install step."
    )
    text = f"""\
# Checks every record on each push and pull request: a broken record fails the build, and
# each finding is shown on the file and line it is about.
name: projledger

on:
  push:
  pull_request:

env:
  # {where}
  # What `pip install` is given: "projledger==0.2" (the package index),
  # "projledger @ git+https://host/projledger.git@v0.2" (a git repository at a tag or commit)
  # or "./tools/projledger" (a folder of this repository).
  {INSTALL_ENV}: {value}

jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
{step}      - name: Validate the records
        run: projledger validate --format github
      - name: Records are in projledger's layout (run `projledger fmt` to fix)
        run: projledger fmt --check
"""
    if with_site_job:
        text += SITE_JOB.replace("@INSTALL@", step)
    return text


def scaffold(
    *,
    install: str | None = None,
    hooks: tuple[str, str] | None = None,
    with_site_job: bool = False,
) -> dict[str, str]:
    """Every file of a new records repository: ``{relative path: text}``, sorted by path.

    ``install``: what CI's ``pip install`` installs projledger from (``install_requirement``),
    None to leave it for the user to set; ``hooks``: (git URL, revision) of projledger's
    pre-commit hooks, None for the hooks of the installed projledger. No file names projledger's
    own version: no package or tag of it is known to exist.
    """
    files = {
        CONFIG_NAME: config_text(),
        "records/.gitkeep": "",
        SCHEMA_PATH: schema_text(),
        KPI_SCHEMA_PATH: schema_text((2, "kpi")),
        ".pre-commit-config.yaml": precommit_text(hooks),
        WORKFLOW_PATH: workflow_text(install, with_site_job),
        ".gitignore": GITIGNORE,
        ".taplo.toml": TAPLO,
    }
    return dict(sorted(files.items()))
