"""``projledger init``: set a new agency's records repository up in one step."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

import click

from ..core.config import CONFIG_NAME
from ..core.errors import ConflictError, InputError, UnsafePathError
from ..core.i18n import N_, _, os_problem
from ..core.text import one_line
from .options import OptionError, PathArgument, say


@click.command(
    "init",
    help=N_(
        "Set up a new records repository in a folder.\n"
        "\n"
        "DIRECTORY is the folder (default: here); it may not exist yet.\n"
        "\n"
        "Writes projledger.toml with every setting written out and explained, an empty records/ "
        "folder, the JSON Schema in schemas/ (records point at it with a #:schema line, for "
        "editors), .taplo.toml, .pre-commit-config.yaml with projledger's hooks, a GitHub "
        "Actions workflow that runs `projledger validate --format github` and `projledger fmt "
        "--check`, and a .gitignore. Files already there are kept as they are; a folder that "
        "already has a projledger.toml is refused and nothing is written. Prints each file it "
        "wrote, and where CI installs projledger from (--install-from; unset, CI's first run "
        "says what to set).\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger init records-bkk && cd records-bkk && git init\n"
        '  projledger init . --with-site-job --install-from "projledger==0.2"\n'
        "  projledger init . --hooks-repo https://host/projledger.git --hooks-rev v0.2"
    ),
)
@click.argument("directory", default=".", type=PathArgument(file_okay=True, path_type=Path))
@click.option(
    "--with-site-job",
    is_flag=True,
    help=N_("Add a CI job that builds the site with `projledger site` and publishes it on GitHub Pages."),
)
@click.option(
    "--install-from",
    metavar="SOURCE",
    default=None,
    help=N_(
        "Where CI installs projledger from: projledger==VERSION, git+https://URL@REV or ./PATH. "
        "Without it (and without --hooks-repo) the workflow's install step stops, saying what to set."
    ),
)
@click.option(
    "--hooks-repo",
    metavar="URL",
    default=None,
    help=N_(
        "Git URL of projledger: pre-commit installs its hooks from there, and CI too unless "
        "--install-from says otherwise. Requires --hooks-rev."
    ),
)
@click.option("--hooks-rev", metavar="REV", default=None,
              help=N_("The tag or commit of --hooks-repo that pre-commit uses (v0.2). Required with --hooks-repo."))  # fmt: skip
def init(
    directory: Path,
    with_site_job: bool,
    install_from: str | None,
    hooks_repo: str | None,
    hooks_rev: str | None,
) -> None:
    from ..core.outputs import ensure_outside_git
    from ..core.scaffold import WORKFLOW_PATH, scaffold

    install, hooks = _sources(install_from, hooks_repo, hooks_rev)

    ensure_outside_git(directory, (Path.cwd(),), field="DIRECTORY")
    if directory.exists() and not directory.is_dir():
        raise InputError(_("is a file, not a folder"), path=directory)
    if (directory / CONFIG_NAME).exists():
        message = _("already a projledger repository; nothing written (edit its projledger.toml instead)")
        raise ConflictError(message, path=directory / CONFIG_NAME)
    files = scaffold(install=install, hooks=hooks, with_site_job=with_site_job)
    _refuse_links_out(directory, files)
    kept = [name for name in files if (directory / name).exists()]
    written: list[str] = []
    for name, text in files.items():
        if name in kept:
            continue
        target = directory / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_new(target, text)
        except OSError as error:  # a full disk: name the file, and what was written before it
            before = (
                _("; written before it: {files}").format(files=", ".join(written))
                if written
                else _("; no file written")
            )
            problem = _("cannot be written: {problem}").format(problem=os_problem(error))
            raise InputError(problem + before, path=target) from None
        written.append(name)
    for name in written:
        click.echo(one_line(str(directory / name)))
    for name in kept:
        say(_("kept the existing {path}").format(path=directory / name))
    workflow = directory / WORKFLOW_PATH
    if install is not None:
        text = _("CI installs projledger from {install} ({workflow})")
        say(text.format(install=install, workflow=workflow))
        if install.startswith("./") and not (directory / install / "pyproject.toml").is_file():
            text = _(
                "{install} is not there yet: put projledger's source there (its pyproject.toml) "
                "before the first push, or CI's install step stops, saying so"
            )
            say(text.format(install=install))
    else:
        text = _(
            "CI does not know where to install projledger from: set PROJLEDGER_INSTALL in "
            "{workflow} (or run init with --install-from); until then its install step stops, saying so"
        )
        say(text.format(workflow=workflow))
    click.echo(
        _("Next: git init (if not yet), pre-commit install, then projledger new ... to register a project."),
        err=True,
    )


def _sources(
    install_from: str | None, hooks_repo: str | None, hooks_rev: str | None
) -> tuple[str | None, tuple[str, str] | None]:
    """(what CI pip-installs, (hooks URL, rev)), their shapes checked: a bad one is a usage error."""
    from ..core.scaffold import check_hooks_source, hooks_requirement, install_requirement

    if (hooks_repo is None) != (hooks_rev is None):
        raise click.UsageError(
            _("--hooks-repo and --hooks-rev go together: the URL and a tag or commit it has")
        )
    try:
        install = install_requirement(install_from) if install_from is not None else None
        hooks = None
        if hooks_repo is not None and hooks_rev is not None:
            check_hooks_source(hooks_repo, hooks_rev)
            hooks = (hooks_repo, hooks_rev)
            install = install or hooks_requirement(hooks_repo, hooks_rev)
    except InputError as error:
        raise OptionError(error.message, param_hint=error.field) from None
    return install, hooks


def _refuse_links_out(directory: Path, names: Iterable[str]) -> None:
    """Nothing is written if a folder on the way (``schemas``, ``.github``) links out of DIRECTORY."""
    from ..core.repository import is_inside, resolved

    root = resolved(directory, field="DIRECTORY")
    for name in names:
        parts = Path(name).parts[:-1]
        for depth in range(1, len(parts) + 1):
            folder = directory.joinpath(*parts[:depth])
            if folder.exists() and not is_inside(folder, root):
                raise UnsafePathError(
                    _("is a link to a folder outside the repository; nothing written"), path=folder
                )


def _write_new(path: Path, text: str) -> None:
    """Write a file that must not exist yet (``x``: never over a file made in the meantime)."""
    with open(path, "x", encoding="utf-8", newline="\n") as handle:
        try:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:  # never a half-written file left (``x``: this one is ours)
            with contextlib.suppress(OSError):
                path.unlink()
            raise
