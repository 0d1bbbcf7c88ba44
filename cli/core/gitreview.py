"""What changed in the records since a git revision, project by project, read through git.

A reviewer about to approve a merge wants the month's changes in words: which projects have
new reports, how their progress and plan status moved, which records appeared, went or had an
earlier report edited. ``changes_since`` asks git which record files differ from a revision
(the working tree against it, untracked new records included) and reads each file's old text
with ``git show``; the comparison itself is a pure function of the two texts.

git runs as a subprocess with list arguments and no shell; a revision that starts with ``-``
is refused, so it can never be taken for an option, and git's own complaint about a bad
revision is passed on in one line.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from .errors import InputError, ProjledgerError, RecordError
from .i18n import _
from .labels import REVIEW_WORDS, Lang, label
from .money import format_money, format_percent
from .record import MAX_RECORD_BYTES, parse, read_at_most, read_record_bytes
from .repository import RECORD_SUFFIX, linked_file, real
from .text import markdown_text, one_line, printable

ChangeKind = Literal["added", "deleted", "modified", "renamed"]
GIT_TIMEOUT = 120


@dataclass(frozen=True)
class Side:
    """What a reviewer compares on one side of the change (None: not there or not readable)."""

    code: str | None = None
    name: str | None = None
    reports: tuple[int, ...] = ()
    progress: Decimal | None = None
    plan_status: str | None = None
    target_status: str | None = None
    disbursed: Decimal | None = None
    event: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Change:
    """One record file that differs from the revision, and what differs in it."""

    path: str  # relative to the repository's root, with "/"
    kind: ChangeKind
    before: Side
    after: Side
    old_path: str | None = None  # a renamed file's former path
    new_reports: tuple[int, ...] = ()
    removed_reports: tuple[int, ...] = ()
    edited_reports: tuple[int, ...] = ()
    #: Top-level keys and tables other than ``reports`` whose values differ (budget, end...).
    changed_fields: tuple[str, ...] = field(default_factory=tuple)

    @property
    def code(self) -> str | None:
        return self.after.code or self.before.code


#: The numbers of the reports a change added, removed and edited, as ``Change`` names them.
_REPORT_LISTS = ("new_reports", "removed_reports", "edited_reports")


# --- the pure comparison ----------------------------------------------------------------


def _reports(data: dict[str, Any]) -> list[dict[str, Any]]:
    reports = data.get("reports")
    return [r for r in reports if isinstance(r, dict)] if isinstance(reports, list) else []


def _number(value: Any) -> Decimal | None:
    return Decimal(value) if isinstance(value, (int, Decimal)) and not isinstance(value, bool) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _report_no(report: dict[str, Any]) -> int | None:
    no = report.get("no")
    return no if isinstance(no, int) and not isinstance(no, bool) else None


def _numbered(data: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {no: report for report in _reports(data) if (no := _report_no(report)) is not None}


def side_of(text: str | Side | None, path: str) -> tuple[Side, dict[str, Any]]:
    """The reviewer's view of one version of a record, and its data (empty when unreadable)."""
    if not isinstance(text, str):
        return text or Side(), {}
    try:
        data = parse(text, path)
    except ProjledgerError as error:
        return Side(error=str(error)), {}
    reports = _reports(data)
    latest = reports[-1] if reports else {}
    side = Side(
        code=_text(data.get("code")),
        name=_text(data.get("name")),
        reports=tuple(no for no in (_report_no(r) for r in reports) if no is not None),
        progress=_number(latest.get("progress")),
        plan_status=_text(latest.get("plan_status")),
        target_status=_text(latest.get("target_status")),
        disbursed=_number(latest.get("disbursed")),
        event=_text(latest.get("event")),
    )
    return side, data


def compare(
    path: str,
    before_text: str | Side | None,
    after_text: str | Side | None,
    *,
    kind: ChangeKind | None = None,
    old_path: str | None = None,
) -> Change:
    """What changed between two versions of a record (None: the file was not there; a ``Side``:
    one not read). An unreadable side is compared with nothing: every report would read as gone."""
    before, old = side_of(before_text, old_path or path)
    after, new = side_of(after_text, path)
    if kind is None:
        kind = "added" if before_text is None else "deleted" if after_text is None else "modified"
    readable = not (before.error or after.error)
    old_reports = _numbered(old) if readable else {}
    new_reports = _numbered(new) if readable else {}
    both = before_text is not None and after_text is not None and readable
    keys = sorted((set(old) | set(new)) - {"reports"}) if both else []
    return Change(
        path=path,
        kind=kind,
        before=before,
        after=after,
        old_path=old_path,
        new_reports=tuple(sorted(n for n in new_reports if n not in old_reports)),
        removed_reports=tuple(sorted(n for n in old_reports if n not in new_reports)),
        edited_reports=tuple(
            sorted(n for n in new_reports if n in old_reports and new_reports[n] != old_reports[n])
        ),
        changed_fields=tuple(k for k in keys if old.get(k) != new.get(k)),
    )


# --- git --------------------------------------------------------------------------------


def _git(args: Sequence[str], cwd: Path, limit: int | None = None) -> bytes:
    """Run git (no shell); its first line of complaint becomes an InputError. ``limit``: read
    at most that many bytes of its output (git is stopped there), never the whole of it."""
    try:
        if limit is None:
            done = subprocess.run(
                ["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT, check=False
            )
        else:
            done = _run_limited(["git", *args], cwd, limit)
    except FileNotFoundError:
        raise InputError(_("git is not installed; --since reads the records' history through git")) from None
    except subprocess.TimeoutExpired:
        raise InputError(
            _("git took over {seconds} s to answer; try again").format(seconds=GIT_TIMEOUT)
        ) from None
    if done.returncode != 0 and not (limit is not None and len(done.stdout) >= limit):
        message = os.fsdecode(done.stderr).strip().splitlines()
        first = message[0] if message else f"git {args[0]} failed"
        raise InputError(first.removeprefix("fatal: ").removeprefix("error: "), field="--since")
    return done.stdout


def _run_limited(command: list[str], cwd: Path, limit: int) -> subprocess.CompletedProcess[bytes]:
    """``command``'s first ``limit`` bytes of output; stopped once it has given that many."""
    with subprocess.Popen(
        command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0
    ) as process:
        assert process.stdout is not None
        # unbuffered: the pipe itself. One more than a full pipe (64 KiB) is asked for: a read that
        # gives all that is asked is taken for the end, and a full pipe is not the end of git's output.
        out = read_at_most(process.stdout.fileno(), (1 << 16) + 1, limit)
        if len(out) >= limit:
            process.kill()
            process.wait()
            return subprocess.CompletedProcess(command, process.returncode, out, b"")
        try:
            _out, err = process.communicate(timeout=GIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        return subprocess.CompletedProcess(command, process.returncode, out, err)


def repository_root(start: Path) -> Path:
    """The root of the git repository holding ``start``."""
    try:
        out = _git(["rev-parse", "--show-toplevel"], start)
    except InputError:
        text = _("{folder} is not inside a git repository; --since compares with a git revision")
        raise InputError(text.format(folder=start), field="--since") from None
    return Path(os.fsdecode(out).strip())


def check_rev(rev: str) -> str:
    """A revision git reads as one commit: not empty, not an option, not a path or a range."""
    if (
        not rev
        or rev.startswith("-")
        or any(ord(c) < 32 or c == "\x7f" for c in rev)
        or ":" in rev  # HEAD:path names a file, not a revision
        or ".." in rev  # a range: the working tree is always the other end
    ):
        raise _not_one(rev)
    return rev


def _not_one(rev: str) -> InputError:
    message = _("'{rev}' is not one git revision (a branch, a tag, a commit, HEAD~1...)")
    return InputError(message.format(rev=rev), field="--since")


def _one_object(rev: str, root: Path) -> str:
    """The object ``rev`` names, resolved once for the whole review. A shorthand git reads as a
    range (``HEAD^!``, ``HEAD^-``) or an exclusion (``^HEAD``) would have ``git diff`` compare
    two commits and leave the working tree out, so it is refused like ``a..b``."""
    names = os.fsdecode(_git(["rev-parse", rev, "--"], root)).split()[:-1]  # drop the "--"
    if len(names) != 1 or names[0].startswith("^"):
        raise _not_one(rev)
    return names[0]


def _split_z(raw: bytes) -> list[str]:
    return [os.fsdecode(part) for part in raw.split(b"\0") if part]


def _changed_paths(rev: str, records: str, root: Path) -> list[tuple[ChangeKind, str, str | None]]:
    """(kind, path, old path) of each record file that differs from ``rev``, untracked included."""
    diff = ["diff", "--name-status", "-z", "--find-renames", "--no-ext-diff", "--end-of-options", rev]
    parts = _split_z(_git([*diff, "--", records], root))
    found: list[tuple[ChangeKind, str, str | None]] = []
    index = 0
    while index < len(parts):
        status = parts[index]
        if status.startswith("R"):  # a rename or a copy names the old path, then the new one
            found.append(("renamed", parts[index + 2], parts[index + 1]))
        elif status.startswith("C"):
            found.append(("added", parts[index + 2], None))
        else:
            kind: ChangeKind = "added" if status == "A" else "deleted" if status == "D" else "modified"
            found.append((kind, parts[index + 1], None))
        index += 3 if status.startswith(("R", "C")) else 2
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z", "--", records], root)
    found.extend(("added", path, None) for path in _split_z(untracked))
    record_files = [e for e in found if e[1].endswith(RECORD_SUFFIX) and not Path(e[1]).name.startswith(".")]
    return sorted(record_files, key=lambda entry: entry[1])


def _too_large(path: str, size: int | None = None) -> RecordError:
    if size is None:
        message = _("the file is over the 1 MiB limit for one record; not read")
    else:
        message = _("the file is {size} bytes, over the 1 MiB limit for one record; not read").format(
            size=f"{size:,}"
        )
    return RecordError(message, rule="too-large", path=path)


def _text_of(raw: bytes, path: str) -> str:
    """A version's text: the record size limit holds for every revision, as for the working copy."""
    if len(raw) > MAX_RECORD_BYTES:
        raise _too_large(path)
    return raw.decode("utf-8", errors="replace")


def _old_text(rev: str, path: str, root: Path) -> str:
    """The text of ``path`` at ``rev``: its size asked of git first (``cat-file -s``), and never
    more than the limit plus one byte read, so a huge file in history costs no memory."""
    spec = f"{rev}:{path}"
    size = int(_git(["cat-file", "-s", spec], root).strip() or b"0")
    if size > MAX_RECORD_BYTES:
        raise _too_large(path, size)
    return _text_of(_git(["cat-file", "blob", spec], root, limit=MAX_RECORD_BYTES + 1), path)


def _new_text(path: str, root: Path) -> str:
    """The working copy of a record, under the walk's rule for a link (``linked_file``): one
    out of the repository, one that loops or leads to nothing is refused, never read."""
    listed = linked_file(str(root / path), root)
    if listed.refused:
        raise RecordError(listed.refused, rule=listed.rule, path=path)
    return _text_of(read_record_bytes(root / path), path)


def changes_since(rev: str, records_dir: Path, repo_root: Path) -> list[Change]:
    """Every record under ``records_dir`` that differs from ``rev``, sorted by path."""
    check_rev(rev)
    root = repo_root.resolve()
    folder = real(records_dir) or records_dir.absolute()
    if not folder.is_relative_to(root):
        text = _("the records folder {folder} is outside the git repository {root}")
        raise InputError(text.format(folder=records_dir, root=root), field="--since")
    records = folder.relative_to(root).as_posix() or "."
    rev = _one_object(rev, root)
    changes = []
    for kind, path, old_path in _changed_paths(rev, records, root):
        before: str | Side | None = None
        after: str | Side | None = None
        try:
            before = None if kind == "added" else _old_text(rev, old_path or path, root)
        except RecordError as error:  # too large: a finding on that side, never read
            before = Side(error=str(error))
        try:
            after = None if kind == "deleted" else _new_text(path, root)
        except RecordError as error:
            after = Side(error=str(error))
        changes.append(compare(path, before, after, kind=kind, old_path=old_path))
    return changes


# --- in words ---------------------------------------------------------------------------


def describe(change: Change, lang: Lang = "th") -> list[str]:
    """What changed in a record, as short phrases for people (record text made printable)."""
    words = {key: entry[lang] for key, entry in REVIEW_WORDS.items()}
    phrases: list[str] = []
    if change.kind in ("added", "deleted"):
        phrases.append(words[change.kind])
    elif change.kind == "renamed" and change.old_path:
        phrases.append(f"{words['renamed']} {printable(change.old_path)}")
    for side in (change.before, change.after):
        if side.error:
            phrases.append(f"{words['unreadable']}: {one_line(side.error)}")
    for key in _REPORT_LISTS:
        numbers: tuple[int, ...] = getattr(change, key)
        if numbers:
            phrases.append(f"{words[key]} {', '.join(map(str, numbers))}")
    before, after = change.before, change.after
    if change.kind in ("modified", "renamed") and not (before.error or after.error):

        def shown(key: str, value: Any) -> str:
            if value is None:
                return words["none"]
            if key == "progress":
                return format_percent(value)
            if key == "disbursed":
                return format_money(value)
            return one_line(label(value, lang)) or words["none"]

        for key in ("progress", "plan_status", "target_status", "event", "disbursed"):
            old, new = getattr(before, key), getattr(after, key)
            if old != new:
                phrases.append(f"{words[key]} {shown(key, old)} → {shown(key, new)}")
        if change.changed_fields:
            phrases.append(f"{words['fields']}: {', '.join(printable(k) for k in change.changed_fields)}")
    return phrases or [words["same"]]  # a file git sees changed, with every value kept


def change_dict(change: Change) -> dict[str, Any]:
    """A change for machines: English keys, raw values, numbers as in the status envelope."""
    from .tables import json_number

    def side(s: Side) -> dict[str, Any]:  # every field but the name, in the Side's order
        data = {key: value for key, value in dataclasses.asdict(s).items() if key != "name"}
        numbers = {"progress": json_number(s.progress), "disbursed": json_number(s.disbursed)}
        return data | numbers | {"reports": list(s.reports)}

    fixed = {"path": change.path, "kind": change.kind, "code": change.code, "old_path": change.old_path}
    lists = {key: list(getattr(change, key)) for key in (*_REPORT_LISTS, "changed_fields")}
    return {**fixed, **lists, "before": side(change.before), "after": side(change.after)}


def changes_text(changes: Sequence[Change], rev: str, lang: Lang = "th", *, markdown: bool = False) -> str:
    """The "what changed" block under the status table: one line per record, then its phrases."""
    heading = {"th": f"เปลี่ยนแปลงตั้งแต่ {rev}", "en": f"changed since {rev}"}[lang]
    lines = [f"**{printable(heading)}**" if markdown else printable(heading), ""]
    for change in changes:
        title = change.code or change.path
        name = change.after.name or change.before.name
        head = one_line(f"{title} {name}" if name else title)
        phrases = "; ".join(describe(change, lang))
        if markdown:
            lines.append(f"- **{markdown_text(head)}** ({markdown_text(change.path)}): {phrases}")
        else:
            lines.append(f"{head}  [{printable(change.path)}]")
            lines.append(f"  {phrases}")
    return "\n".join(lines) + "\n"
