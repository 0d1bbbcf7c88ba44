"""Thai for people, everywhere (issue 19.1): every message is a msgid of the gettext catalog
(cli/locale/th/LC_MESSAGES/projledger.po), Thai by default and English with ``--lang en``.

The walk runs every command with typical arguments and typical mistakes, and every finding
rule's data file, in Thai, and finds no English sentence in what a person reads (record data,
paths, numbers, rule ids and keys set aside); the same runs in English show none of the
catalog's Thai. There is no allow-list: every message, every command's --help, the operating
system's refusals and the TOML reader's words are in the catalog.
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
KPI = "5026-2002"
KPI_ARGS = ("--fiscal-year", "2564", "--evaluation-date", "1=20/01/2564", "--evaluation-date", "2=2021-04-20",
            "--evaluation-date", "4=20/10/2564")  # fmt: skip
#: A filled quarterly sheet for the KPI and the project the walk made: two good rows, the rest
#: every kind of bad row (no record, no such quarter, a result for a project, not a number, a
#: score above its full score, an evaluation without its date, a result that differs).
QUARTER_SHEET = str(DATA / "sheets" / "quarter-walk.csv")

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
    ("schema", "--kind", "kpi"),
    ("schema", "--kind", "kpi", "--path"),
    ("schema", "--kind", "budget"),
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
    # The KPI import's refusals: an option it needs, a bad --evaluation-date, a KPI option given
    # for a printout of a project, a record that exists; and what it writes.
    ("import", str(DATA / "legacy" / "kpi_5011-2003.txt")),
    ("import", str(DATA / "legacy" / "kpi_5011-2003.txt"), "--department", "สำนักสิ่งแวดล้อม"),
    ("import", str(DATA / "legacy" / "kpi_5026-2001.txt"), "--fiscal-year", "2564", "--evaluation-date",
     "5=20/01/2564"),
    ("import", str(DATA / "legacy" / "kpi_5026-2001.txt"), "--fiscal-year", "2564", "--evaluation-date",
     "1=2021/01/20"),
    ("import", str(DATA / "legacy" / "01000000-2475-printout.txt"), "--fiscal-year", "2565"),
    ("import", str(DATA / "legacy" / "kpi_5026-2001.txt"), *KPI_ARGS, "--stdout"),
    ("import", str(DATA / "legacy" / "kpi_5026-2001.txt"), *KPI_ARGS),
    ("import", str(DATA / "legacy" / "kpi_5026-2001.txt"), *KPI_ARGS),
    ("import", str(DATA / "legacy" / "kpi_5026-2001.txt"), "--direction", "sideways"),
    ("init", "records"),
    ("sheet", "export", "--month", "13/2567"),
    ("sheet", "import", "missing.xlsx"),
    ("sheet", "export", "--month", "03/2565", "--output", "march.xlsx"),
    ("sheet", "import", "march.xlsx", "--dry-run"),
    ("sheet", "export", "--new", "--output", "new.csv"),
    ("sheet", "export", "--month", "03/2565", "--output", "march.txt"),
    ("status", CODE),
    ("status", "--format", "csv", "--output", "x.xlsx"),
    ("status", "--excel"),
    ("status", "--since", "HEAD", CODE),
    ("summary", "--format", "xlsx", "--output", "s.txt"),
    ("status", "--agency", "01", "--plan-status", "behind"),
    ("summary", "--by", "quarter"),
    ("summary", "records/nope"),
    ("site", "--output", "public"),
    ("site", "--output", "records"),
    ("add-report", CODE, "--date", "31/03/2565", "--progress", "50", "--note", "ตรวจรับงานงวดที่ 2"),
    ("add-report", CODE, "--progress", "abc", "--note", "x"),
    ("import", str(DATA / "legacy" / "01000000-2475-printout.txt"), "--records", "imported"),
    ("import", str(DATA / "legacy" / "01000000-2475-printout.txt"), "--records", "imported"),
    ("init", "newrepo"),
    ("export", "--format", "ndjson", "--output", "exported"),
    ("export", "--format", "sqlite", "--output", "exported", "--as-of", "31/03/2565"),
    ("export", "--format", "ndjson"),
    ("export", "--format", "ndjson", "--output", "records"),
    ("export", "records/nope", "--format", "ndjson", "--output", "exported2"),
    ("export", "--format", "csv", "--output", "exported3"),
    ("site", "--output", "public3", "--with-export", "ndjson"),
    # The appending commands on a format-1 project: run migrate first.
    ("add-evaluation", CODE, "--quarter", "1", "--score", "100"),
    ("revise-budget", CODE, "--budget", "3,200,000", "--date", "15/03/2565", "--note", "โอน"),
    ("migrate", "--check"),
    ("migrate",),
    ("migrate",),
    # new --kind kpi, add-result, add-evaluation, revise-budget: their refusals and a run of each.
    ("new", "--kind", "kpi", KPI, "--name", "x", "--fiscal-year", "2565", "--department", "x", "--unit", "ร้อยละ",
     "--target", "100", "--start", "01/10/2564"),
    ("new", "--kind", "kpi", "5026-20", "--name", "x", "--fiscal-year", "2565", "--department", "x", "--unit",
     "ร้อยละ", "--target", "100"),
    ("new", "--kind", "kpi", KPI, "--name", "x", "--fiscal-year", "2565", "--department", "x", "--unit", "ร้อยละ",
     "--target", "100", "--project", "99999999-9999"),
    ("new", "--kind", "kpi", KPI, "--name", "x", "--fiscal-year", "2565", "--department", "x", "--unit", "ร้อยละ"),
    ("new", "--kind", "kpi", KPI, "--name", "ร้อยละของโครงการที่เบิกจ่ายตามแผน", "--fiscal-year", "2565",
     "--department", "สำนักงบประมาณกรุงเทพมหานคร", "--unit", "ร้อยละ", "--target", "100", "--project", CODE),
    ("new", "--kind", "kpi", KPI, "--name", "x", "--fiscal-year", "2565", "--department", "x", "--unit", "ร้อยละ",
     "--target", "100"),
    ("add-result", KPI, "--quarter", "5", "--value", "1"),
    ("add-result", KPI, "--quarter", "1", "--value", "abc"),
    ("add-result", "9999-9999", "--quarter", "1", "--value", "1"),
    ("add-result", CODE, "--quarter", "1", "--value", "1"),
    ("add-result", KPI, "--quarter", "2", "--value", "45.5", "--date", "20/04/2565", "--note", "เบิกจ่ายแล้ว"),
    ("add-result", KPI, "--quarter", "1", "--value", "30", "--date", "20/01/2565"),
    ("add-result", KPI, "--quarter", "3", "--value", "40", "--date", "20/07/2565"),
    ("add-evaluation", KPI, "--quarter", "2", "--score", "60", "--of", "50", "--date", "20/04/2565"),
    ("add-evaluation", KPI, "--quarter", "2"),
    ("add-evaluation", KPI, "--quarter", "2", "--score", "45", "--of", "50", "--date", "20/04/2565"),
    ("add-evaluation", CODE, "--quarter", "1", "--score", "100", "--date", "20/01/2565", "--note", "ตรวจแล้ว"),
    ("revise-budget", KPI, "--budget", "1", "--date", "15/03/2565", "--note", "x"),
    ("revise-budget", CODE, "--budget", "3,200,000", "--date", "15/03/2565"),
    ("revise-budget", CODE, "--budget", "3,200,000", "--date", "15/03/2565", "--note", "โอนงบประมาณ ครั้งที่ 1/2565"),
    ("revise-budget", CODE, "--budget", "3,000,000", "--date", "01/02/2565", "--note", "โอน"),
    ("revise-budget", CODE, "--budget", "3,000,000", "--date", "01/02/2570", "--note", "โอน"),
    # Reading KPIs: status's KPI table (alone, beside the projects', one KPI by code), summary's KPI
    # figures, show of a KPI (text, HTML) and of a format-2 project; and their refusals.
    ("status", "--kind", "kpi"),
    ("status", "--as-of", "30/09/2565"),
    ("status", KPI),
    ("status", "--kind", "kpi", "--format", "json"),
    ("status", "--kind", "kpi", "--format", "xlsx", "--output", "kpis.xlsx"),
    ("status", "--kind", "kpi", "--format", "xlsx"),
    ("status", "--kind", "budget"),
    ("status", "5026-2003"),
    ("summary", "--as-of", "30/09/2565"),
    ("summary", "--by", "quarter", "--as-of", "30/09/2565"),
    ("show", KPI),
    ("show", KPI, "--format", "html", "--output", "kpi.html"),
    ("show", KPI, "--as-of", "30/09/2565"),
    ("show", CODE, "--as-of", "30/09/2565"),
    ("show", "5026-2003"),
    ("show", "9999-9999", "--format", "html"),
    # The quarterly sheet: its refusals, an export, an import all or nothing, partial, twice.
    ("sheet", "export", "--quarter", "4", "--fiscal-year", "2565", "--output", "q4.xlsx"),
    ("sheet", "export", "--quarter", "4", "--month", "03/2565", "--output", "q4.csv"),
    ("sheet", "export", "--quarter", "4", "--fiscal-year", "2565", "--fiscal-year", "2566", "--output", "q4.csv"),
    ("sheet", "export", "--quarter", "4", "--new", "--output", "q4.csv"),
    ("sheet", "export", "--quarter", "5", "--output", "q4.csv"),
    ("sheet", "import", QUARTER_SHEET, "--dry-run"),
    ("sheet", "import", QUARTER_SHEET),
    ("sheet", "import", QUARTER_SHEET, "--partial"),
    ("sheet", "import", QUARTER_SHEET, "--partial"),
    # The site with a KPI (its page, the KPI figures of the overview and the agency page).
    ("site", "--output", "public-kpi"),
    ("site", "--output", "public-kpi"),
    ("fmt",),
    ("schema",),
    ("nosuchcommand",),
]  # fmt: skip

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
    # Formats and streams an option names, as typed.
    words |= {"xlsx", "csv", "json", "html", "text", "table", "markdown", "stdout", "stderr"}
    # Record kinds, as ``kind = "..."`` names them, and the command that turns format 1 into 2.
    words |= {"kind", "kpi", "project", "projledger", "migrate"}
    # The export's tables and formats, by their names (machine keys: the names of their files).
    from projledger.core.export import FORMATS, TABLES

    words |= set(TABLES) | set(FORMATS) | {"export"}
    # The quarterly sheet's column keys (its headers show them in parentheses; a row's finding
    # names its column by them, as the monthly sheet's do: value, score, evaluation_date...).
    from projledger.core.sheet.columns import QUARTER_COLUMNS

    words |= {column.key for column in QUARTER_COLUMNS}
    # The values --direction takes, as typed.
    words |= {"higher", "lower"}
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
        case = " ".join(args)
        while case in found:  # a case run again (twice changes nothing) is read too
            case += " (again)"
        found[case] = [result.stdout, result.stderr]
    return found


def test_thai_run_of_every_command_shows_no_english_message(walk_repo: Path, keys: set[str]) -> None:
    leaked = []
    for case, streams in _walk(None, keys).items():
        leaked += [f"{case}: {line}" for line in leaks("\n".join(streams), keys)]
    assert not leaked, "\n".join(leaked)


def test_a_link_out_of_the_repository_is_refused_in_thai(
    walk_repo: Path, tmp_path_factory: pytest.TempPathFactory, keys: set[str]
) -> None:
    """The walk's refusal of a link leading out (a file, a folder) was English in a Thai run."""
    outside = tmp_path_factory.mktemp("outside")
    (outside / "x.toml").write_text("format = 1\n", "utf-8")
    os.symlink(outside / "x.toml", walk_repo / "records" / "2565" / "01000000-9999.toml")
    os.symlink(outside, walk_repo / "records" / "2566")
    for args in (["validate"], ["status"], ["summary"]):
        result = run(*args)
        assert not leaks(result.stdout + result.stderr, keys), (args, result.stdout, result.stderr)
        assert "ลิงก์ไปยังไฟล์นอกที่เก็บ" in result.stdout + result.stderr, args
        assert "ลิงก์ไปยังโฟลเดอร์นอกที่เก็บ" in result.stdout + result.stderr, args


def test_english_run_shows_no_thai_from_the_catalog(walk_repo: Path, keys: set[str]) -> None:
    from projledger.core.kinds import KINDS
    from projledger.core.schema import schema_text

    fragments = thai_fragments()
    # The schema files are data, the same in every language (their titles name each field in
    # Thai and English): what ``schema`` prints of them is set aside.
    schemas = {schema_text(key) for key in KINDS}
    for case, streams in _walk("en", keys).items():
        # What --stdout prints is the imported record's TOML: the page's own (Thai) data; what
        # show prints of a KPI is the mykpi page, in the old system's Thai words in every
        # language (as the form is): its stderr is still checked.
        page = "--stdout" in case.split() or case.startswith(f"show {KPI}")
        text = "\n".join(streams[1:] if page else streams)
        for schema in schemas:
            text = text.replace(schema, "")
        assert not [f for f in fragments if f in text], case


def test_the_language_comes_from_the_config_unless_given(walk_repo: Path) -> None:
    (walk_repo / "projledger.toml").write_text('language = "en"\n', "utf-8")
    assert "No such option" in run("validate", "--bogus").stderr
    assert "ไม่มีตัวเลือก" in run("validate", "--bogus", "--lang", "th").stderr


@pytest.mark.parametrize("where", ["before", "after"])
def test_lang_before_or_after_the_command_sets_the_words_of_tables_and_pages(
    walk_repo: Path, where: str
) -> None:
    """``projledger --lang en status`` is ``projledger status --lang en``: tables and pages follow
    a given language, not only the messages (PROJLEDGER_LANG, which the suite sets to en for its
    messages, leaves them to the config: Thai here)."""
    as_of = ["--as-of", "2022-03-31"]

    def words(command: str, lang: str, *rest: str) -> str:
        args = ["--lang", lang, command, *rest] if where == "before" else [command, *rest, "--lang", lang]
        result = run(*args)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    assert words("status", "en", *as_of).startswith("code ") and words("status", "th", *as_of).startswith(
        "รหัสโครงการ"
    )
    assert words("summary", "en", *as_of).startswith("agency ") and "หน่วยงาน" in words(
        "summary", "th", *as_of
    )
    assert run("status", *as_of).stdout.startswith("รหัสโครงการ")  # the config's language: Thai
    site = walk_repo / f"site-{where}"
    words("site", "en", "--output", str(site), *as_of)
    assert '<html lang="en"' in (site / "index.html").read_text("utf-8")


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


#: Programs, formats and standards a help names by their own (English) names.
HELP_NAMES = {"JSON", "Schema", "CSV", "HTML", "Markdown", "GitHub", "Actions", "Pages", "Excel", "LibreOffice",
              "VS", "Code", "Even", "Better", "taplo", "Unicode", "NFC", "CRLF", "BOM", "FIFO", "DIR", "DIRECTORY",
              "REV", "URL", "SOURCE", "VERSION", "REPO", "YYYY", "DATE", "BAHT", "PERCENT", "N", "YEAR", "PREFIX",
              "NAME", "MM", "FY", "ROW", "COLUMN", "TEXT", "FOLDER", "stdout", "stderr", "xlsx", "csv", "json", "txt",
              "schema", "hooks", "rev", "repo", "git", "https", "host", "evenBetterToml", "associations", "records",
              "bkk", "cd", "public", "march", "october", "sheet", "export", "import", "status", "summary", "site",
              "show", "add", "report", "origin", "main", "behind", "form", "old", "printout", "force", "partial",
              "dry", "run", "check", "toml", "pre", "config", "yaml", "gitignore", "with", "job", "from", "path",
              "strict", "cache", "id", "by", "fiscal", "year", "plan", "quarter", "as", "of", "output", "lang", "en",
              "th", "new", "projects", "note", "file", "complete", "progress", "disbursed", "date", "month", "agency",
              "DuckDB", "Spark", "BI", "Parquet", "SQLite", "DECIMAL", "kpis", "evaluations", "findings",
              "name", "kpi", "table", "bma", "exports", "kind", "migrate", "QUARTER"}  # fmt: skip


def _choices() -> list[str]:
    """Every choice of every option of every command (and subcommand)."""
    import click

    from projledger.main import main

    found: list[str] = []
    ctx = click.Context(main)

    def walk(command: click.Command) -> None:
        for param in command.params:
            if isinstance(param.type, click.Choice):
                found.extend(str(c) for c in param.type.choices)
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    for name in main.list_commands(ctx):
        command = main.get_command(ctx, name)
        assert command is not None
        walk(command)
    return found


@pytest.mark.parametrize("lang", ["th", "en"])
def test_help_of_every_command(walk_repo: Path, keys: set[str], lang: str) -> None:
    from projledger.main import COMMANDS

    fragments = thai_fragments()
    names = [(name,) for name in COMMANDS] + [("sheet", "export"), ("sheet", "import"), ()]
    # What a help may name in English: the values an option takes (its choices, given as typed),
    # the environment's variables, and the names of programs and formats.
    keys = keys | HELP_NAMES | set(re.findall(r"[A-Za-z]{2,}", " ".join(_choices())))
    for name in names:
        for where in ("before", "after"):  # --lang before the command's name or after it
            args = (
                ["--lang", lang, *name, "--help"] if where == "before" else [*name, "--help", "--lang", lang]
            )
            shown = run(*args).stdout
            if lang == "en":
                assert shown.startswith("Usage:"), name
                assert not [f for f in fragments if f in shown], name
                assert "Example:" in shown or name == ("sheet",) or not name or "Options:" in shown
                continue
            assert shown.startswith("วิธีใช้:"), name
            assert not leaks(shown, keys), (name, leaks(shown, keys))
            assert "Example:" not in shown, name


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
        assert len(english_words(message, keys)) < 2, line
    english = run("--lang", "en", "validate", *as_of, "records")
    for line in (english.stdout + english.stderr).splitlines():
        if "[" in line:
            assert not [f for f in thai_fragments() if f in line], line


@pytest.mark.parametrize(
    ("words", "thai", "english"),
    [
        (
            "Illegal character '\\x01'",
            "ใช้อักขระ '\\x01' ที่ตำแหน่งนี้ไม่ได้",
            "the character '\\x01' is not allowed here",
        ),
        ("Unterminated string", "ข้อความไม่ได้ปิด", "a string is not closed"),
        ("Cannot declare ('agency',) twice", "'agency' ถูกประกาศซ้ำ", "'agency' is declared twice"),
        (
            "Cannot mutate immutable namespace ('reports', 'ผล ดี')",
            "'reports.\"ผล ดี\"'",
            "'reports.\"ผล ดี\"' is already complete",
        ),
        (
            "Escaped character is not a Unicode scalar value (at line 4, column 12)",
            "ไม่ได้ระบุอักขระใด (เป็นค่า surrogate หรือเกิน U+10FFFF) (บรรทัด 4 คอลัมน์ 12)",
            "names no character (a surrogate, or past U+10FFFF) (line 4, column 12)",
        ),
        ("Invalid value (at line 3, column 7)", "(บรรทัด 3 คอลัมน์ 7)", "(line 3, column 7)"),
        (  # budget = 1,250,000 or progress = 45% typed by hand: the commonest mistake, in Thai words
            "Expected newline or end of document after a statement (at line 7, column 11)",
            "มีข้อความต่อท้ายค่าในบรรทัดเดียวกัน: หนึ่งบรรทัดมีค่าเดียว ตัวเลขเขียนโดยไม่มีจุลภาคหรือ % (1250000.00) (บรรทัด 7",
            "the line goes on after its value: one value a line, a number without commas or %",
        ),
        (
            "Expected ']' at the end of a table declaration",
            "หัวตาราง [ ... ] ไม่ได้ปิดด้วย ]",
            "not closed with ]",
        ),
        ("Expected ']]' at the end of an array declaration", "หัวตาราง [[ ... ]] ไม่ได้ปิดด้วย ]]", "with ]]"),
        ('Expected \'"""\' (at end of document)', '\'"""\'', '\'"""\' is expected here'),
        (
            "Some new words of a later tomli",
            "ตัวอ่าน TOML แจ้งว่า: Some new words",
            "the TOML reader says: Some new",
        ),
    ],
)
def test_the_toml_readers_words_are_ours(words: str, thai: str, english: str) -> None:
    from projledger.core import i18n

    try:
        i18n.use("th")
        assert thai in i18n.toml_problem(words)
        i18n.use("en")
        assert english in i18n.toml_problem(words)
    finally:
        i18n.use("en")


def test_the_operating_systems_refusals_are_ours() -> None:
    import errno

    from projledger.core import i18n

    try:
        i18n.use("th")
        assert i18n.os_problem(OSError(errno.ENOENT, "No such file or directory")) == "ไม่มีไฟล์หรือโฟลเดอร์นี้"
        assert i18n.os_problem(OSError(errno.EACCES, "Permission denied")) == "ไม่มีสิทธิ์เข้าถึง"
        # One the catalog does not name: the system's words inside a sentence of ours.
        assert i18n.os_problem(OSError(errno.ECHILD, "No child processes")) == "ระบบปฏิเสธ: No child processes"
        i18n.use("en")
        assert (
            i18n.os_problem(OSError(errno.ENOSPC, "No space left on device")) == "no space left on the disk"
        )
    finally:
        i18n.use("en")


@pytest.mark.parametrize("lang", ["th", "en"])
def test_every_toml_problem_we_word_can_be_worded(lang: str) -> None:
    # a message of ours may hold braces that are text ("an inline table { ... }"), never fields
    from projledger.core import i18n

    for pattern, _msgid in i18n._TOML_PROBLEMS:
        words = re.sub(r"\(\?P<\w+>\.\+\)", "'x'", pattern).replace("\\\\", "\\")
        assert re.fullmatch(pattern, words), pattern
        try:
            i18n.use(lang)
            worded = i18n.toml_problem(f"{words} (at line 2, column 5)")
        finally:
            i18n.use("en")
        assert "TOML reader says" not in worded and "ตัวอ่าน TOML แจ้งว่า" not in worded, worded
        assert "2" in worded and "5" in worded, worded


@pytest.mark.parametrize("lang", ["th", "en"])
def test_an_unclosed_inline_table_is_a_finding_not_a_crash(repo: Path, lang: str) -> None:
    from conftest import write_record

    path = write_record(repo, SPEC_RECORD.read_text(encoding="utf-8") + "\nextra = {a = 1\n")
    result = run("--lang", lang, "validate", str(path))
    assert result.exit_code == 1, result.output
    (line,) = [line for line in result.stdout.splitlines() if "{ ... }" in line]
    assert path.name in line


def test_a_long_list_of_sheet_rows_is_counted_in_the_run_s_language() -> None:
    """sheet import names the rows it wrote or refused, the first twenty and how many more: the
    'and N more' was English in a Thai run (and a count of rows, not of records)."""
    from projledger.commands.sheet import listing
    from projledger.core import i18n

    assert listing([2, 3, 4]) == "2, 3, 4"
    rows = list(range(2, 27))
    try:
        i18n.use("th")
        assert listing(rows) == ", ".join(map(str, range(2, 22))) + " และอีก 5 แถว"
        i18n.use("en")
        assert listing(rows).endswith("21 and 5 more rows")
    finally:
        i18n.use("en")
