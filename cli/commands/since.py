"""``status --since REV``: the records that changed since a git revision, read through git."""

from __future__ import annotations

from pathlib import Path

from ..core.config import Config
from ..core.gitreview import Change, changes_since, repository_root


def changed_records(rev: str, config: Config) -> tuple[list[Change], list[Path]]:
    """The changes, and the record files still there to show (a deleted one is only a change)."""
    root = repository_root(config.root)
    changes = changes_since(rev, config.records_dir, root)
    return changes, [root / change.path for change in changes if change.kind != "deleted"]
