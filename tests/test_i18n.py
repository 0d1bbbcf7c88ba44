"""Thai for people, everywhere (issue 19.1): every message is a msgid of the gettext catalog
(cli/locale/th/LC_MESSAGES/projledger.po), Thai by default and English with ``--lang en``.

The walk runs every command with typical arguments and typical mistakes, and every finding
rule's data file, in Thai, and finds no English sentence in what a person reads (record data,
paths, numbers, rule ids and keys set aside); the same runs in English show none of the
catalog's Thai. Messages not converted yet are listed in ``REMAINING``: an explicit allow-list
that must shrink (an entry no run shows any more fails the test until it is removed).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from projledger.core.i18n import LOCALEDIR

from conftest import DATA, SPEC_RECORD, run

PO = Path(__file__).resolve().parent.parent / "cli" / "locale" / "th" / "LC_MESSAGES" / "projledger.po"
RULE_FILES = sorted((DATA / "rules").glob("*.toml"))
CODE = "01000000-2475"

#: (args, stdin) of every command: typical use and typical mistakes.
CASES: list[tuple[str, ...]] = [
    ("validate",),
    ("validate", "records/nope"),
    ("validate", "--as-of", "31/02/2565"),
    ("validate", "--bogus"),
    ("show", CODE),
    ("show", "99999999-9999"),
    ("show",),
    ("status",),
    ("summary",),
    ("schema", "--path"),
    ("schema", "extra"),
    ("fmt", "--check"),
    ("migrate", "--check"),
    ("migrate", "records/nope.toml"),
    ("new", "50100000-0001", "--name", "ปรับปรุงทางเท้า", "--fiscal-year", "2568", "--start", "01/10/2567",
     "--end", "30/09/2568", "--budget", "1,250,000", "--department", "สำนักงานเขตพระนคร"),
    ("new", CODE, "--name", "x", "--fiscal-year", "2565", "--start", "01/10/2564", "--end", "30/09/2565",
     "--budget", "10", "--department", "สำนักงานเขตพระนคร"),
    ("new", "50100000-0002", "--name", "x", "--fiscal-year", "2024", "--start", "01/10/2567",
     "--end", "30/09/2568", "--budget", "10", "--department", "x"),
    ("add-report", CODE, "--progress", "101", "--note", "x"),
    ("add-report", "99999999-9999", "--progress", "10", "--note", "x"),
    ("import", "missing.txt"),
    ("import", str(DATA / "legacy" / "01000000-2475-printout.txt"), "--stdout"),
    ("import", str(DATA / "legacy" / "kpi_5026-2001.txt")),
    ("import", str(DATA / "legacy" / "kpi_ambiguous_date.txt"), "--fiscal-year", "2564"),
    ("init", "records"),
    ("sheet", "export", "--month", "13/2567"),
    ("sheet", "import", "missing.xlsx"),
    ("nosuchcommand",),
]  # fmt: skip

#: Commands whose own --help text (docstring, options' help) is not translated yet: shrinks.
HELP_REMAINING = {"validate", "show", "import", "init", "schema", "new", "add-report", "fmt", "migrate",
                  "status", "export", "summary", "site", "sheet", "add-result", "add-evaluation",
                  "revise-budget"}  # fmt: skip

#: Substrings of messages still English in a Thai run, by where they come from: shrinks.
REMAINING: dict[str, str] = {
    "No such file or directory": "the operating system's own words (OSError.strerror), shown as given",
    "read the agency abbreviation": "core/legacy.py: the importer's warnings",
    "put back the space after the indicator code": "core/legacy.py: the importer's warnings",
}

#: The same for the findings of the rules' data files: shrinks.
RULES_REMAINING: dict[str, str] = {
    "Illegal character": "the TOML reader's own words after 'not valid TOML:'",
}

_EN_WORD = re.compile(r"(?<![\w.\-/])[A-Za-z]{2,}(?![\w/\-])")
_SET_ASIDE = [
    re.compile(p)
    for p in (
        r"'[^']*'",  # a value quoted back
        r"\"[^\"]*\"",
        r"\[[a-z0-9\-]+\]",  # a rule id
        r"--[a-z\-]+",  # an option
        r"\S*[/\\]\S*",  # a path
        r"\S+\.(toml|txt|xlsx|json|csv|html|mo|po)\b",
        r"\b[a-z_]+(\[\d+\])?(\.[a-z_]+)+\b",  # a field path
        r"^projledger:",
        r"\b(projledger|TOML|UTF|PROJLEDGER_\w+|BE|CE|ISO|true|false|yyyy|mm|dd|NUL|OPTIONS|COMMAND|PATH|CODE|FILE)\b",
    )
]


def catalog() -> dict[str, str]:
    with PO.open("rb") as source:
        po = read_po(source, locale="th")
    return {
        (m.id if isinstance(m.id, str) else m.id[0]): (m.string if isinstance(m.string, str) else m.string[0])
        for m in po
        if m.id
    }


def english_words(line: str, keys: set[str]) -> list[str]:
    for pattern in _SET_ASIDE:
        line = pattern.sub(" ", line)
    return [w for w in _EN_WORD.findall(line) if w not in keys]


def leaks(text: str, keys: set[str]) -> list[str]:
    """Lines that read as English: two English words or more once data is set aside."""
    return [line for line in text.splitlines() if len(english_words(line, keys)) >= 2]


@pytest.fixture(scope="module")
def keys() -> set[str]:
    """Machine words a message may name: field keys and stored values (on_plan...)."""
    from projledger.core.labels import _LABELS, FIELD_LABELS

    words = set(FIELD_LABELS) | set(_LABELS) | {"error", "warning", "format", "no", "reports", "agency"}
    words |= {"department", "disbursed", "progress", "plan_status", "target_status", "note"}
    # Commands and tools a message tells to run, by their names.
    words |= {"git", "init", "pre", "commit", "install", "new", "fmt", "validate", "push", "CI", "URL", "MiB"}
    # Record kinds, as ``kind = "..."`` names them, and the command that turns format 1 into 2.
    words |= {"kind", "kpi", "project", "projledger", "migrate"}
    # Record data: the English words of the records and the printout the walk reads.
    for data in (SPEC_RECORD, DATA / "legacy" / "01000000-2475-printout.txt"):
        words |= set(re.findall(r"[A-Za-z]{2,}", data.read_text("utf-8")))
    return words


def thai_fragments() -> set[str]:
    """The catalog's own Thai, in pieces between placeholders: the form's words (labels.py, Thai
    in every language on the printed form and in the schema's titles) set aside."""
    from projledger.core import labels

    form_words = [labels.FORM_TITLE] + [
        entry["th"]
        for table in (labels._LABELS, labels.FIELD_LABELS, labels.TABLE_WORDS, labels.REVIEW_WORDS)
        for entry in table.values()
    ]
    fragments = set()
    for text in catalog().values():
        for part in re.split(r"\{[^}]*\}", text):
            part = part.strip(" :;()'")
            if (
                len(part) >= 8
                and re.search("[\u0e00-\u0e7f]", part)
                and not any(part in w for w in form_words)
            ):
                fragments.add(part)
    return fragments


def test_every_msgid_has_its_thai() -> None:
    empty = [msgid for msgid, text in catalog().items() if not text.strip()]
    assert not empty
    for msgid, text in catalog().items():  # the same placeholders, so .format() never fails
        assert sorted(re.findall(r"\{[^}]*\}", msgid)) == sorted(set(re.findall(r"\{[^}]*\}", text))) or set(
            re.findall(r"\{[^}]*\}", msgid)
        ) == set(re.findall(r"\{[^}]*\}", text)), msgid


def test_the_catalog_is_compiled_beside_the_package() -> None:
    """The build step (setup.py) compiled it at install time: nothing compiled by hand."""
    assert (LOCALEDIR / "th" / "LC_MESSAGES" / "projledger.mo").is_file()


@pytest.fixture
def walk_repo(repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("PROJLEDGER_LANG")
    return repo


def _walk(lang: str | None, keys: set[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for args in CASES:
        flags = ["--lang", lang] if lang else []
        result = run(*flags, *args)
        found[" ".join(args)] = [result.stdout, result.stderr]
    return found


def test_thai_run_of_every_command_shows_no_english_message(walk_repo: Path, keys: set[str]) -> None:
    seen_remaining: set[str] = set()
    leaked = []
    for case, streams in _walk(None, keys).items():
        for line in leaks("\n".join(streams), keys):
            allowed = [key for key in REMAINING if key in line]
            seen_remaining.update(allowed)
            if not allowed:
                leaked.append(f"{case}: {line}")
    assert not leaked, "\n".join(leaked)
    assert seen_remaining == set(REMAINING), f"no longer English, remove: {set(REMAINING) - seen_remaining}"


def test_english_run_shows_no_thai_from_the_catalog(walk_repo: Path, keys: set[str]) -> None:
    fragments = thai_fragments()
    for case, streams in _walk("en", keys).items():
        text = "\n".join(streams)
        assert not [f for f in fragments if f in text], case


def test_the_language_comes_from_the_config_unless_given(walk_repo: Path) -> None:
    (walk_repo / "projledger.toml").write_text('language = "en"\n', "utf-8")
    assert "No such option" in run("validate", "--bogus").stderr
    assert "ไม่มีตัวเลือก" in run("validate", "--bogus", "--lang", "th").stderr


def test_clicks_own_usage_errors_and_help_headings_are_thai(walk_repo: Path) -> None:
    result = run("show")
    assert result.exit_code == 2
    assert "ขาดอาร์กิวเมนต์" in result.stderr and "Missing" not in result.stderr
    assert "Missing argument" in run("--lang", "en", "show").stderr
    # In a real process each: click keeps a command's --help option (and its help text) once made.
    command = [sys.executable, "-m", "projledger.main"]
    env = {k: v for k, v in os.environ.items() if k not in ("PROJLEDGER_LANG", "LANGUAGE", "LC_ALL", "LANG")}
    shown = subprocess.run([*command, "validate", "--help"], capture_output=True, text=True, env=env).stdout
    assert shown.startswith("วิธีใช้:") and "ตัวเลือก:" in shown and "แสดงข้อความนี้แล้วออก" in shown
    english = subprocess.run(
        [*command, "validate", "--help", "--lang", "en"], capture_output=True, text=True, env=env
    ).stdout
    assert english.startswith("Usage:") and "Options:" in english and "Show this message and exit." in english


@pytest.mark.parametrize("lang", ["th", "en"])
def test_help_of_every_command(walk_repo: Path, keys: set[str], lang: str) -> None:
    from projledger.main import COMMANDS

    still = set()
    for name in COMMANDS:
        shown = run("--lang", lang, name, "--help").stdout
        if lang == "en":
            assert shown.startswith("Usage:")
            continue
        assert shown.startswith("วิธีใช้:")
        if leaks(shown, keys):
            still.add(name)
    if lang == "th":
        assert still == HELP_REMAINING


@pytest.mark.parametrize("source", RULE_FILES, ids=lambda p: p.stem)
def test_every_finding_rule_speaks_thai(source: Path, walk_repo: Path, keys: set[str]) -> None:
    text = source.read_text("utf-8")
    meta = {}
    for line in text.splitlines():
        if not line.startswith("# ") or ":" not in line:
            break
        key, value = line[2:].split(":", 1)
        meta.setdefault(key.strip(), []).append(value.strip())
    shutil.rmtree(walk_repo / "records")
    if "config" in meta:
        (walk_repo / "projledger.toml").write_text("\n".join(meta["config"]) + "\n", "utf-8")
    folder = walk_repo / "records" / meta.get("folder", ["2567"])[0]
    folder.mkdir(parents=True)
    name = meta.get(
        "file", ["50200000-0001.toml" if source.stem == "code-pattern" else "50100000-0001.toml"]
    )[0]
    target = folder / ("5010-0001.toml" if source.stem == "pattern" else name)
    target.parent.mkdir(parents=True, exist_ok=True)  # a KPI's ``# file: kpi/<code>.toml``
    target.write_text(text, "utf-8")
    as_of = ["--as-of", meta["as-of"][0]] if "as-of" in meta else ["--as-of", "2024-10-01"]
    thai = run("validate", *as_of, "records")
    assert thai.exit_code in (0, 1), thai.stderr
    shown = [line for line in (thai.stdout + thai.stderr).splitlines() if "[" in line]
    assert bool(shown) == ("expect" in meta), thai.stdout
    for line in shown:
        message = line.split("]", 1)[1]
        assert re.search("[\u0e00-\u0e7f]", message), line
        assert len(english_words(message, keys)) < 2 or any(key in line for key in RULES_REMAINING), line
    english = run("--lang", "en", "validate", *as_of, "records")
    for line in (english.stdout + english.stderr).splitlines():
        if "[" in line:
            assert not [f for f in thai_fragments() if f in line], line
