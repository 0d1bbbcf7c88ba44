"""``projledger init``: set a new agency's records repository up in one step."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import click

from .. import __version__
from ..core.config import CONFIG_NAME
from ..core.errors import ConflictError, InputError
from .options import PathArgument


@click.command("init")
@click.argument("directory", default=".", type=PathArgument(file_okay=True, path_type=Path))
@click.option(
    "--with-site-job",
    is_flag=True,
    help="Add a CI job that builds the site with `projledger site` and publishes it on GitHub Pages.",
)
@click.option(
    "--hooks-repo",
    metavar="URL",
    default=None,
    help="Git URL of projledger: pre-commit and CI install it from there instead of PyPI.",
)
def init(directory: Path, with_site_job: bool, hooks_repo: str | None) -> None:
    """Create a records repository in DIRECTORY (default: here).

    Writes projledger.toml with every setting written out and explained, an empty records/
    folder, the JSON Schema in schemas/ (records point at it with a #:schema line, for
    editors), .taplo.toml, .pre-commit-config.yaml with projledger's hooks, a GitHub Actions
    workflow that runs `projledger validate --format github` and `projledger fmt --check`,
    and a .gitignore. Files already there are kept as they are; a folder that already has a
    projledger.toml is refused and nothing is written. Prints each file it wrote.

    \b
    Example:
      projledger init records-bkk && cd records-bkk && git init
      projledger init . --with-site-job
    """
    from ..core.outputs import ensure_outside_git
    from ..core.scaffold import scaffold

    ensure_outside_git(directory, (Path.cwd(),), field="DIRECTORY")
    if directory.exists() and not directory.is_dir():
        raise InputError("is a file, not a folder", path=directory)
    if (directory / CONFIG_NAME).exists():
        raise ConflictError(
            "already a projledger repository; nothing written (edit its projledger.toml instead)",
            path=directory / CONFIG_NAME,
        )
    if hooks_repo is not None and (hooks_repo.startswith("-") or not hooks_repo.strip()):
        raise InputError("must be a git URL", field="--hooks-repo")
    files = scaffold(__version__, hooks_repo=hooks_repo, with_site_job=with_site_job)
    _refuse_links_out(directory, files)
    kept = [name for name in files if (directory / name).exists()]
    written = []
    for name, text in files.items():
        if name in kept:
            continue
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_new(target, text)
        written.append(name)
    for name in written:
        click.echo(str(directory / name))
    for name in kept:
        click.echo(f"projledger: kept the existing {directory / name}", err=True)
    click.echo(
        "Next: git init (if not yet), pre-commit install, then projledger new ... to register a project.",
        err=True,
    )


def _refuse_links_out(directory: Path, names: Iterable[str]) -> None:
    """Nothing is written if a folder on the way (``schemas``, ``.github``) links out of DIRECTORY."""
    from ..core.errors import UnsafePathError
    from ..core.repository import is_inside

    root = directory.resolve()
    for name in names:
        parts = Path(name).parts[:-1]
        for depth in range(1, len(parts) + 1):
            folder = directory.joinpath(*parts[:depth])
            if folder.exists() and not is_inside(folder, root):
                raise UnsafePathError(
                    "is a link to a folder outside the repository; nothing written", path=folder
                )


def _write_new(path: Path, text: str) -> None:
    """Write a file that must not exist yet (``x``: never over a file made in the meantime)."""
    with open(path, "x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
