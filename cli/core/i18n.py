"""The one translator of messages a person reads: stdlib ``gettext`` over the ``projledger``
catalogs in ``locale/`` (Thai; English needs none, its msgids are the English sentences).

A message is marked ``_("{path} is not a record").format(path=...)`` (named ``str.format``
placeholders, extracted by Babel: ``make catalog``); a constant kept for later is marked
``N_(...)`` and translated where it is shown. The language is chosen once per run (``use``), by
the command group, from ``--lang``, else ``PROJLEDGER_LANG``, else the config's ``language``,
else Thai. The compiled catalog (``.mo``) is built by the package's build step (setup.py), never
by hand. The form's own words stay in labels.py; machine keys (rule ids, json and csv keys)
are never translated.
"""

from __future__ import annotations

import errno
import gettext as _gettext
import re
from collections.abc import Callable
from pathlib import Path

from .labels import LANGS, Lang

DOMAIN = "projledger"
#: ``projledger/locale/<lang>/LC_MESSAGES/projledger.mo``, beside the package's modules.
LOCALEDIR = Path(__file__).resolve().parent.parent / "locale"

_state: dict[str, object] = {"lang": "en", "translation": _gettext.NullTranslations(), "given": None}


def use(lang: Lang, *, given: bool = False) -> None:
    """Make ``lang`` the language of every message from now on (``en``: the msgids themselves);
    ``given``: the person asked for it with ``--lang`` (tables and pages then follow it too)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}")
    translation: _gettext.NullTranslations = (
        _gettext.NullTranslations()
        if lang == "en"
        else _gettext.translation(DOMAIN, LOCALEDIR, languages=[lang], fallback=True)
    )
    _state["lang"], _state["translation"], _state["given"] = lang, translation, lang if given else None


def language() -> Lang:
    """The language chosen for this run (``en`` until one is chosen: the msgids themselves)."""
    lang = _state["lang"]
    return lang if lang == "th" else "en"


def given_language() -> Lang | None:
    """The language given with ``--lang`` on the command line, before or after the command's
    name; None when it was not given (a table's or a page's words then follow the config)."""
    given = _state["given"]
    return "th" if given == "th" else "en" if given == "en" else None


def _(message: str) -> str:
    """``message`` (an English msgid) in the chosen language."""
    translation = _state["translation"]
    assert isinstance(translation, _gettext.NullTranslations)
    return translation.gettext(message)


def N_(message: str) -> str:
    """Marks a msgid kept for later, translated with ``_`` where it is shown."""
    return message


#: A text composed of marked pieces -> how to make it again (``later``).
_LATER: dict[str, Callable[[], str]] = {}


def later(make: Callable[[], str]) -> str:
    """A text composed of marked pieces (``--format``'s help, one piece per format), kept so it
    is made again in the run's language wherever it is shown (``translated``): click keeps a
    command's help texts for the life of the process, which may see several runs."""
    text = make()
    _LATER[text] = make
    return text


def translated(text: str) -> str:
    """``text`` (a msgid, or a text ``later`` made) in the chosen language."""
    make = _LATER.get(text)
    return make() if make is not None else _(text)


def ngettext(singular: str, plural: str, n: int) -> str:
    translation = _state["translation"]
    assert isinstance(translation, _gettext.NullTranslations)
    return translation.ngettext(singular, plural, n)


def _clicks_own() -> None:  # pragma: no cover (never run: Babel reads it into the catalog)
    """click's own messages (its usage errors and ``--help`` headings), which click looks up with
    the standard library's gettext in our domain (bound by the command group): listed here so
    ``make catalog`` keeps them in the Thai catalog. The msgids are click's, exactly."""
    N_("Usage:")
    N_("Options")
    N_("Commands")
    N_("Show this message and exit.")
    N_("Show the version and exit.")
    N_("Error: {message}")
    N_("Try '{command} {option}' for help.")
    N_("Missing argument")
    N_("Missing option")
    N_("Missing parameter")
    N_("Missing command.")
    N_("No such command {name!r}.")
    N_("No such option {name!r}.")
    N_("Option {name!r} does not take a value.")
    N_("Invalid value for {param_hint}: {message}")
    N_("Invalid value: {message}")
    N_("{value!r} is not a valid {number_type}.")
    N_("{value} is not in the range {range}.")
    N_("{name} {filename!r} does not exist.")
    N_("{name} {filename!r} is a directory.")
    N_("{name} {filename!r} is a file.")
    N_("{name} {filename!r} is not readable.")
    N_("{name} {filename!r} is not writable.")
    N_("file")
    N_("directory")
    N_("path")
    N_("Aborted!")
    N_("default: {default}")
    N_("Do you want to continue?")
    N_("Repeat for confirmation")
    N_("Error: The two entered values do not match.")
    ngettext("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1)
    ngettext("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments.", 1)
    ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1)
    ngettext(
        "{value!r} does not match the format {format}.", "{value!r} does not match the formats {formats}.", 1
    )
    ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1)


#: The operating system's refusals a person meets most, in words of the catalog (errno name ->
#: msgid); any other is shown in the OS's own words inside a sentence of ours (``os_problem``).
_OS_PROBLEMS = {
    "ENOENT": N_("no such file or folder"),
    "EACCES": N_("permission denied"),
    "EPERM": N_("the operation is not permitted"),
    "EISDIR": N_("it is a folder, not a file"),
    "ENOTDIR": N_("a part of the path is not a folder"),
    "EEXIST": N_("it already exists"),
    "ENOSPC": N_("no space left on the disk"),
    "EDQUOT": N_("the disk quota is used up"),
    "EROFS": N_("the file system is read-only"),
    "ENAMETOOLONG": N_("the name is too long"),
    "ELOOP": N_("a symbolic link loop"),
    "EBUSY": N_("the file or device is busy"),
    "EIO": N_("the disk could not be read or written (input/output error)"),
    "EMFILE": N_("too many files are open"),
    "ENXIO": N_("no such device"),
    "ENODEV": N_("no such device"),
    "ETXTBSY": N_("the file is in use"),
    "EINVAL": N_("the system refuses this name or value"),
}


def os_problem(error: OSError) -> str:
    """Why the operating system refused, in the chosen language: a common refusal in the
    catalog's words, any other in the system's own words inside a sentence of ours."""
    name = errno.errorcode.get(error.errno or 0, "")
    if name in _OS_PROBLEMS:
        return _(_OS_PROBLEMS[name])
    words = error.strerror or str(error)
    return _("the system refused: {words}").format(words=words)


#: The TOML reader's (tomli's, tomllib's) messages, by their words -> msgid with the same
#: ``{what}`` they name; any other is shown in the reader's words inside a sentence of ours.
_TOML_PROBLEMS = (
    (r"Cannot overwrite a value", N_("a value is given a second time")),
    (r"Expected '=' after a key in a key/value pair", N_("'=' is missing after the key")),
    (r"Invalid date or datetime", N_("not a valid date or date and time")),
    (r"Invalid hex value", N_("a \\u or \\U escape with digits that are not hexadecimal")),
    (r"Invalid initial character for a key part", N_("a key cannot start with this character")),
    (r"Invalid statement", N_("a line that is neither key = value nor a [table] heading")),
    (r"Invalid value", N_("not a value TOML can read (text needs quotes)")),
    (r"Unclosed array", N_("an array [ ... ] is not closed")),
    (r"Unclosed inline table", N_("an inline table { ... } is not closed")),
    (r"Unescaped '\\' in a string", N_("a backslash (\\) in a string that escapes nothing")),
    (r"Unterminated string", N_("a string is not closed: its closing quote is missing")),
    (
        r"Escaped character is not a Unicode scalar value",
        N_("a \\u or \\U escape that names no character (a surrogate, or past U+10FFFF)"),
    ),
    (r"Cannot declare (?P<what>.+) twice", N_("{what} is declared twice")),
    (
        r"Cannot mutate immutable namespace (?P<what>.+)",
        N_("{what} is already complete and cannot be added to"),
    ),
    (r"Cannot redefine namespace (?P<what>.+)", N_("{what} is defined a second time")),
    (r"Duplicate inline table key (?P<what>.+)", N_("the key {what} is given twice in an inline table")),
    (r"Found invalid character (?P<what>.+)", N_("the character {what} is not allowed here")),
    (r"Illegal character (?P<what>.+)", N_("the character {what} is not allowed here")),
    (r"Expected ']' at the end of a table declaration", N_("a [table] heading is not closed with ]")),
    (r"Expected ']]' at the end of an array declaration", N_("a [[table]] heading is not closed with ]]")),
    (
        r"Expected newline or end of document after a statement",
        N_("the line goes on after its value: one value a line, a number without commas or % (1250000.00)"),
    ),
    (r"Expected (?P<what>.+)", N_("{what} is expected here")),
)


def _key_words(what: str) -> str:
    """A key as the record spells it, 'agency.name', where tomli names it as a Python tuple,
    ``('agency', 'name')``; anything else as it is."""
    import ast
    import json

    if not what.startswith("("):
        return what
    try:
        parts = ast.literal_eval(what)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return what
    if not (isinstance(parts, tuple) and parts and all(isinstance(part, str) for part in parts)):
        return what
    bare = re.compile(r"[A-Za-z0-9_-]+")
    return "'" + ".".join(p if bare.fullmatch(p) else json.dumps(p, ensure_ascii=False) for p in parts) + "'"


def toml_problem(words: str) -> str:
    """The TOML reader's message in the chosen language, with its position when it names one
    (tomllib's ``... (at line 3, column 7)``)."""
    where = ""
    at = re.fullmatch(r"(?s)(.*) \(at (?:line (\d+), column (\d+)|end of document)\)", words)
    if at:
        words = at.group(1)
        where = (
            _(" (line {line}, column {column})").format(line=at.group(2), column=at.group(3))
            if at.group(2)
            else _(" (at the end of the file)")
        )
    for pattern, msgid in _TOML_PROBLEMS:
        found = re.fullmatch(pattern, words)
        if found:  # formatted only with what it names: "{ ... }" is a brace, not a field
            named = {name: _key_words(what) for name, what in found.groupdict().items()}
            return (_(msgid).format(**named) if named else _(msgid)) + where
    return _("the TOML reader says: {words}").format(words=words) + where
