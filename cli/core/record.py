"""Reading a record file into exact values, and the typed project it describes.

Loading never lets a binary float in: TOML floats become ``Decimal``. It refuses, as a
``RecordError`` naming file and line, what cannot be a record at all: more than 1 MiB, not
UTF-8 (UTF-16 is named as such), NUL bytes, TOML syntax errors, nesting deep enough to
exhaust the parser's recursion, and ``nan``/``inf`` anywhere.

A document keeps its text next to its data, so a finding can find its line later, and the
``format`` key picks the record kind (core/kinds.py); format 1 is the project record below.
"""

from __future__ import annotations

import codecs
import functools
import math
import os
import re
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path, PurePath
from typing import Any, TypeVar

import tomli

from .errors import RecordError
from .locate import FieldKey, format_field, index_lines, line_of

MAX_RECORD_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Document:
    """A parsed record file: its path as given (a str where a ``Path`` would only be made to be
    read: ``path_names`` reads both alike), its text, and its exact data.

    ``valid``: the reader has already found the data valid under the schema of its format
    (``parse_valid``), so checking need not validate it again.
    """

    path: Path | str
    text: str
    data: dict[str, Any]
    valid: bool = field(default=False, compare=False)

    @cached_property
    def _lines(self) -> dict[FieldKey, int]:
        return index_lines(self.text)

    def line_of(self, field: str | FieldKey) -> int | None:
        return line_of(self.text, field, self._lines)

    @property
    def format(self) -> object:
        return self.data.get("format")


def decode(raw: bytes, path: Path | str) -> str:
    """Bytes to text: UTF-8, with or without a BOM; anything else is refused by name."""
    if len(raw) > MAX_RECORD_BYTES:
        raise RecordError(
            "the file is over the 1 MiB limit for one record",
            rule="too-large",
            path=path,
        )
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise RecordError("the file is UTF-16; save it as UTF-8", rule="encoding", path=path, line=1)
    raw = raw.removeprefix(codecs.BOM_UTF8)
    if not raw or raw.isspace():  # (as ``not raw.strip()``, without a copy of the whole file)
        raise RecordError("the file is empty", rule="empty", path=path, line=1)
    if b"\x00" in raw:
        line = raw.count(b"\n", 0, raw.index(b"\x00")) + 1
        raise RecordError(
            "the file holds NUL bytes: it is binary, not a TOML record", rule="encoding", path=path, line=line
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise RecordError(
            "the file is not UTF-8 text; save it as UTF-8", rule="encoding", path=path, line=line
        ) from None


def parse(text: str, path: Path | str, *, fast: bool = True) -> dict[str, Any]:
    """TOML 1.0 text to data with ``Decimal`` floats; syntax errors carry line and column.

    With ``fast``, a text that provably reads the same is read by rtoml (about 3x faster than
    tomli); anything else, and every error, goes through tomli, so results and messages are
    those of the exact path (see ``parse_fast``).
    """
    if fast:
        data = parse_fast(text)
        if data is not None:
            return data
    try:
        data = tomli.loads(text, parse_float=Decimal)
    except tomli.TOMLDecodeError as error:
        message = error.msg if hasattr(error, "msg") else str(error)
        raise RecordError(
            f"not valid TOML: {message}",
            rule="toml-syntax",
            path=path,
            line=getattr(error, "lineno", None),
            column=getattr(error, "colno", None),
        ) from None
    except RecursionError:
        raise RecordError(
            "not valid TOML: arrays or tables nested too deep to read", rule="toml-syntax", path=path, line=1
        ) from None
    except ValueError:  # int() of a literal past Python's 4300-digit limit: no record number is that long
        line = next(
            (n for n, text_line in enumerate(text.splitlines(), 1) if _LONG_NUMBER.search(text_line)), 1
        )
        raise RecordError(
            "a number with thousands of digits; no amount or count in a record is that long",
            rule="toml-syntax",
            path=path,
            line=line,
        ) from None
    reject_non_finite(data, text, path)
    return data


# --- the fast path ----------------------------------------------------------------------------
#
# rtoml (TOML in Rust) reads floats as binary floats and accepts TOML 1.1 (newlines and trailing
# commas in inline tables, ``\e`` and ``\x`` escapes, times without seconds), which tomli 2.3,
# tomllib and check-jsonschema refuse; it also keeps ``\r\n`` inside multi-line strings where
# tomli gives ``\n``, and gives time zones of its own type. So it is used only on a text that
# has none of these, and only when every float it read can be given back the exact ``Decimal``
# its literal spells: the text is scanned for every token that could be a float literal (a
# superset: tokens inside strings count too), and each float value must come from exactly one
# spelling, which then gives the Decimal tomli would build. Any doubt returns None: the caller
# takes the exact path.

try:  # the fast path is optional: without rtoml every file takes the exact path
    import rtoml as _rtoml
except ImportError:  # pragma: no cover
    _rtoml = None  # type: ignore[assignment]

_RISKY = (b"{", b"\r")
_RISKY_ESCAPES = (b"\\e", b"\\x", b"\\E", b"\\X")
_DIGITS = frozenset(b"0123456789")
_NUMBER_CHARS = frozenset(b"0123456789_+-")
_FLOAT = re.compile(rb"[+-]?[0-9][0-9_]*\.[0-9_]+(?:[eE][+-]?[0-9_]+)?")
_KEY_LINE = re.compile(rb"[ \t]*(?:[A-Za-z0-9_-]+[ \t]*\.[ \t]*)*([A-Za-z0-9_-]+)[ \t]*=")
#: The common line ``key = 12.50`` (the other forms take the general path of ``_float_spellings``).
_FLOAT_LINE = re.compile(
    rb"[ \t]*(?:[A-Za-z0-9_-]+[ \t]*\.[ \t]*)*([A-Za-z0-9_-]+)[ \t]*=[ \t]*([+-]?[0-9]+\.[0-9]+)[ \t]*(?=\n|\Z)"
)
_LONG_NUMBER = re.compile(r"[0-9_]{4000}")
#: More candidate dots than this on one line sends the file to the exact path.
_MAX_DOTS_PER_LINE = 64
_ANYWHERE = "?"  # the key of a token on a line that does not start with a bare key

Spellings = dict[str, dict[float, set[str]]]


class _Doubt(Exception):
    """The fast path cannot prove its result equals the exact path's."""


def parse_fast(text: str, raw: bytes | None = None) -> dict[str, Any] | None:
    """Data as ``parse`` would give it, or None when that cannot be proved cheaply.

    ``raw`` is the text's UTF-8 bytes when the caller has them: byte searches are much
    cheaper than searches in Thai text.
    """
    if _rtoml is None or text[:1] == "\ufeff":
        return None
    raw = text.encode() if raw is None else raw
    if not _plain_enough(raw):
        return None
    spellings = _float_spellings(raw)
    if spellings is None:
        return None
    try:
        data = _rtoml.loads(text)
    except Exception:  # any refusal at all: the exact path says why, in its own words
        return None
    try:
        exact: dict[str, Any] = _exact(data, spellings, _ANYWHERE)
    except _Doubt:
        return None
    return exact


def _plain_enough(raw: bytes) -> bool:
    """No construct where rtoml and TOML 1.0 (tomli) part ways: inline tables (TOML 1.1 lets
    them span lines), carriage returns (rtoml keeps ``\\r\\n`` in multi-line strings) and the
    TOML 1.1 escapes ``\\e`` and ``\\x``."""
    if any(risky in raw for risky in _RISKY):
        return False
    return b"\\" not in raw or not any(escape in raw for escape in _RISKY_ESCAPES)


# --- the fast path of a valid record -----------------------------------------------------------
#
# ``parse_fast`` pays for its proof on every float of the text, in Python: most of a Thai record
# is text, and the scan for float spellings, then the walk over every value, cost as much as rtoml
# itself. A valid record proves itself more cheaply. Every float literal written ``= 12.50`` at
# the end of its line is quoted before rtoml reads the text, as the string "\\u0001" + "12.50"
# (a mark no record holds: texts holding one take the other paths), so rtoml hands back the
# literal itself; the mark turns it into the exact ``Decimal`` at the schema's number positions.
# The quoting changed nothing else when every quoted literal comes back as a whole value at a
# number position: one quoted inside a multi-line string, or under a key where no number
# belongs, leaves a mark somewhere else and the count falls short. What is left is proved by the
# schema: the data must be valid, and a valid record (under a closed schema, ``schema.closed``)
# holds numbers only at the number positions, where any float left unquoted sends the text to
# the other paths, and dates only at the date positions, as ``date`` (no rtoml date-time or time).
#
# Long texts are set aside the same way before that (``_set_aside``): rtoml reads text one
# character at a time, and most of a record is text. A multi-line text with no backslash is the
# text between its quotes, a one-line one the text up to the next quote, so each is cut out and
# a mark "\u0002" + its number left in its place; every mark must come back as a whole value at a
# text position of the schema, where the text is put back, or the count falls short. (The text
# before a mark is the record's own, so the mark standing as a value proves that the quotes it
# replaced opened a string there.) Control characters, which TOML refuses in text, are looked
# for in the whole file first: rtoml does not see the texts set aside.

#: ``key = 12.50`` and an array's item on a line of its own, ``    12.50,`` (as tomli-w writes
#: them): two patterns, each with a literal start that the regex engine finds quickly.
#: The text before the literal is matched too (a lookbehind would cost the engine its quick
#: search), so each pattern says what it matched before the literal: "= ", "\n" + indent.
_QUOTABLE = (
    (re.compile(r"= ()([+-]?(?:0|[1-9][0-9]*)\.[0-9]+)(?=[ \t]*(?:\n|\Z))"), "= ", None),
    # Only arrays of numbers span lines: the only ones a record holds are plans (a text with
    # another one, or one written otherwise, keeps its floats unquoted and takes another path).
    (
        re.compile(r"\n([ \t]+)([+-]?(?:0|[1-9][0-9]*)\.[0-9]+)(?=,?[ \t]*(?:\n|\Z))"),
        "\n",
        b"plan = [\n",
    ),
)
_MARK = "\x01"
_MARK_BYTE = b"\x01"
_ASIDE = "\x02"  # the mark of a long text set aside (``_set_aside``): a control character, so a
#: text with one, raw or escaped, is never set aside (TOML refuses raw control characters in text,
#: and rtoml must see those the exact parser would refuse).
_CONTROL_BYTES = bytes([*range(0, 9), *range(11, 32), 127])
_MARK_ESCAPES = (b"\\u0001", b"\\U00000001", b"\\u0002", b"\\U00000002")  # only in a text with a backslash


def parse_valid(text: str, raw: bytes | None = None) -> dict[str, Any] | None:
    """Data as ``parse`` would give it, when it is a valid record under the schema of its format
    (``format = 1``) and that can be proved cheaply; else None (the text may still be a record,
    valid or not: the other paths say)."""
    if _rtoml is None or text[:1] == "\ufeff":
        return None
    raw = text.encode() if raw is None else raw
    if not _plain_enough(raw) or _MARK_BYTE in raw or (b"\\" in raw and any(m in raw for m in _MARK_ESCAPES)):
        return None
    long_texts: list[str] = []
    aside_keys: set[str] = set()
    if (b'= """' in raw or b'\n    "' in raw) and len(raw) == len(raw.translate(None, _CONTROL_BYTES)):
        text = _set_aside(text, long_texts, aside_keys, backslash=b"\\" in raw)
    quoted = 0
    for pattern, before, needs in _QUOTABLE:
        if needs is not None and needs not in raw:
            continue
        parts = pattern.split(text)  # text, indent, literal, text, indent, literal, ..., text
        if len(parts) > 1:
            literals = parts[2::3]
            parts[1::3] = [before + indent for indent in parts[1::3]]
            parts[2::3] = ['"\\u0001' + literal + '"' for literal in literals]
            quoted += len(literals)
            text = "".join(parts)
    try:
        data = _rtoml.loads(text)
    except Exception:
        return None
    version = data.get("format")
    if version != 1 or type(version) is not int:  # the rtoml route knows format 1 only
        return None
    from .schema import closed, validates

    if not closed(version):
        return None
    # One walk over the schema's positions: quoted numbers made Decimal, texts put back, dates
    # made ISO strings for the validator (and put back after it).
    dates: list[tuple[Any, Any, date]] = []
    try:
        found = _finisher(version, frozenset(aside_keys))(data, long_texts, dates)
        return data if found == (quoted, len(long_texts)) and validates(data, version) else None
    except (_Doubt, ValueError, IndexError):
        return None
    finally:
        for container, key, day in dates:
            container[key] = day


#: What ``_finish`` does at the end of a position: a number, a text, a date.
_NUMBER, _TEXT, _DATE = "number", "text", "date"


@functools.cache
def _positions(version: int, text_keys: frozenset[str]) -> dict[str, Any]:
    """The schema's number and date positions, and its text positions named by one of
    ``text_keys`` (where texts set aside may stand: a mark elsewhere is missed, and the count
    falls short), as one tree whose ends say which (``schema.position_tree``)."""
    from .schema import date_positions, number_positions, position_tree, string_positions

    ends = {path: _NUMBER for path in number_positions(version)}
    ends.update((path, _DATE) for path in date_positions(version))
    ends.update((path, _TEXT) for path in string_positions(version) if path[-1] in text_keys)
    return position_tree(tuple(ends), ends)


Finisher = Callable[[Any, list[str], list[tuple[Any, Any, date]]], tuple[int, int]]


@functools.cache
def _finisher(version: int, text_keys: frozenset[str]) -> Finisher:
    """The walk over the positions of ``_positions(version, text_keys)``, as one function made
    for that tree: ``finish(data, texts, dates) -> (numbers unquoted, texts put back)``.

    At a number position a quoted literal becomes its ``Decimal`` (a float left there is a
    literal the quoting did not reach: ``_Doubt``); at a text position a mark gets its text back;
    at a date position a date becomes its ISO text, noted in ``dates`` to be put back (anything
    else there: ValueError, the full check says what it is). A record holds about forty such
    values: written out, with no call per value, the walk costs a third of a generic one.
    """
    lines = ["def finish(node, texts, dates):", "    numbers = put = 0"]
    names = iter(range(1 << 30))

    def emit(depth: int, line: str) -> None:
        lines.append("    " * depth + line)

    def end(container: str, key: str, kind: str, depth: int) -> None:
        emit(depth, f"value = {container}[{key}]")
        if kind is _NUMBER:
            emit(depth, "kind = type(value)")
            emit(depth, "if kind is str and value[:1] == MARK:")
            emit(depth + 1, f"{container}[{key}] = Decimal(value[1:])")
            emit(depth + 1, "numbers += 1")
            emit(depth, "elif kind is float:")
            emit(depth + 1, "raise Doubt")
        elif kind is _TEXT:
            emit(depth, "if type(value) is str and value[:1] == ASIDE:")
            emit(depth + 1, f"{container}[{key}] = texts[int(value[1:])]")
            emit(depth + 1, "put += 1")
        else:
            emit(depth, "if type(value) is not date:")
            emit(depth + 1, "raise ValueError('not a date where a date belongs')")
            emit(depth, f"{container}[{key}] = value.isoformat()")
            emit(depth, f"dates.append(({container}, {key}, value))")

    def walk(node: str, tree: dict[str, Any], depth: int) -> None:
        item = tree.get("*")
        emit(depth, f"if type({node}) is list:")
        if type(item) is dict:
            name = f"n{next(names)}"
            emit(depth + 1, f"for {name} in {node}:")
            walk(name, item, depth + 2)
        elif item is not None:
            index = f"i{next(names)}"
            emit(depth + 1, f"for {index} in range(len({node})):")
            end(node, index, item, depth + 2)
        else:
            emit(depth + 1, "pass")
        emit(depth, f"elif type({node}) is dict:")
        emit(depth + 1, "pass")
        for key, sub in tree.items():
            if key == "*":
                continue
            emit(depth + 1, f"if {key!r} in {node}:")
            if type(sub) is dict:
                name = f"n{next(names)}"
                emit(depth + 2, f"{name} = {node}[{key!r}]")
                walk(name, sub, depth + 2)
            else:
                end(node, repr(key), sub, depth + 2)

    walk("node", _positions(version, text_keys), 1)
    emit(1, "return numbers, put")
    scope: dict[str, Any] = {
        "MARK": _MARK,
        "ASIDE": _ASIDE,
        "Decimal": Decimal,
        "date": date,
        "Doubt": _Doubt,
    }
    exec(compile("\n".join(lines), f"<record finisher, format {version}>", "exec"), scope)
    finish: Finisher = scope["finish"]
    return finish


def _set_aside(text: str, long_texts: list[str], keys: set[str], *, backslash: bool = True) -> str:
    """The text with every multi-line string ``key = \"\"\"...\"\"\"`` (no backslash inside) made
    the short string "\\u0002" + its number in ``long_texts``, which gets its value.

    rtoml spends most of its time on long texts, character by character; these need no
    escape read, so their value is the text between the quotes (less the newline that may
    follow the opening ones). A cut that was no string (in a comment, inside a literal
    string) leaves its mark where no whole text value stands, and ``_finish`` falls short.
    At the first text with a backslash the rest is left as it is (an escaped quote would move
    its end); ``backslash=False`` says the text holds none (found in its bytes, at memchr's speed),
    so no text is searched for one.
    """
    pieces = []
    at = 0
    while (opening := text.find('= """', at)) != -1:
        start = opening + 5
        first = end = text.find('"""', start)
        if end == -1:
            break
        while text.startswith('"', end + 3):  # one or two quotes just before the closing ones
            end += 1
        if end - first > 2 or (backslash and text.find("\\", start, end) != -1):
            break
        pieces.append(text[at:opening])
        # the key, as written (looked for after the last text set aside only: the scan stays linear)
        keys.add(text[max(text.rfind("\n", at, opening) + 1, at) : opening].strip())
        pieces.append(f'= "\\u0002{len(long_texts)}"')
        long_texts.append(text[start + 1 : end] if text.startswith("\n", start) else text[start:end])
        at = end + 3
    if pieces:
        pieces.append(text[at:])
        text = "".join(pieces)
    return _set_aside_items(text, long_texts, keys, backslash=backslash)


def _set_aside_items(text: str, long_texts: list[str], keys: set[str], *, backslash: bool = True) -> str:
    """The same for the texts of an array, one a line (``    "...",`` as tomli-w writes them): a
    one-line string ends at the next quote when it holds no backslash, and holds no newline.
    At the first item that is not such a text (a multi-line one, an empty one) the rest is left
    as it is."""
    pieces = []
    at = 0
    while (opening := text.find('\n    "', at)) != -1:
        start = opening + 6
        end = text.find('"', start)
        if (
            end <= start
            or text.find("\n", start, end) != -1
            or (backslash and text.find("\\", start, end) != -1)
        ):
            break
        pieces.append(text[at:opening])
        pieces.append(f'\n    "\\u0002{len(long_texts)}"')
        long_texts.append(text[start:end])
        at = end + 1
    if not pieces:
        return text
    keys.add("*")  # array items: their positions end in "*"
    pieces.append(text[at:])
    return "".join(pieces)


def _float_spellings(raw: bytes) -> Spellings | None:
    """Every token of the text that could be a float literal: key of its line -> value -> spellings.

    A TOML float has a ``.`` or an exponent; one with an exponent and no ``.`` is so rare in a
    record that any digit followed by ``e`` sends the file to the exact path (None), as does an
    underscore in a number. The key is the bare key that starts the token's line (the last part
    of a dotted key), or ``_ANYWHERE``: a float value's own literal is always found under its
    key or under ``_ANYWHERE`` (the later lines of an array), and tokens inside strings only add
    candidates, which can only make the fast path give up.
    """
    for letter in (b"e", b"E"):
        at = raw.find(letter, 1)
        while at != -1:
            if raw[at - 1] in _DIGITS:
                return None
            at = raw.find(letter, at + 1)
    found: Spellings = {}
    line_start = line_end = -1
    dots = 0
    at = raw.find(b".")
    while at != -1:
        if at > line_end:  # a new line: found once per line, so the scan stays linear
            line_start = raw.rfind(b"\n", 0, at) + 1
            line_end = raw.find(b"\n", at)
            line_end = len(raw) if line_end == -1 else line_end
            dots = 0
        dots += 1
        if dots > _MAX_DOTS_PER_LINE:
            return None  # each dot rescans its line: a line of dots (a.a.a... = 1) would be quadratic
        line = _FLOAT_LINE.match(raw, line_start)
        if line is not None and line.start(2) <= at:  # the common line, key = 12.50, in one match
            token = line.group(2).decode()
            found.setdefault(line.group(1).decode(), {}).setdefault(float(token), set()).add(token)
            at = raw.find(b".", line.end())
            continue
        start = at
        while start > 0 and raw[start - 1] in _NUMBER_CHARS:
            start -= 1
        match = _FLOAT.match(raw, start)
        while match is None and start < at:  # a sign or underscore before the number
            start += 1
            match = _FLOAT.match(raw, start)
        if match is not None and match.end() > at:
            token = match.group().decode()
            if "_" in token:
                return None
            line = _KEY_LINE.match(raw, line_start, start)
            key = line.group(1).decode() if line else _ANYWHERE
            found.setdefault(key, {}).setdefault(float(token), set()).add(token)
            at = match.end()
        at = raw.find(b".", at + 1)
    return found


#: Types the fast path hands over as they are (``datetime`` is not among them: exact types).
_PLAIN = frozenset({str, int, bool, date})


def _exact(value: Any, spellings: Spellings, key: str) -> Any:
    kind = type(value)
    if kind is dict:
        return {
            name: item if type(item) in _PLAIN else _exact(item, spellings, name)
            for name, item in value.items()
        }
    if kind is list:
        return [item if type(item) in _PLAIN else _exact(item, spellings, key) for item in value]
    if kind is float:
        if not math.isfinite(value):
            raise _Doubt
        candidates = spellings.get(key, {}).get(value, set()) | spellings.get(_ANYWHERE, {}).get(value, set())
        if len(candidates) != 1:
            raise _Doubt  # not found, or two spellings (0.0 and 0.00) that cannot be told apart
        return Decimal(next(iter(candidates)))
    if kind in _PLAIN:
        return value
    raise _Doubt  # datetime and time: rtoml's own time zones, TOML 1.1 times without seconds


def reject_non_finite(data: Any, text: str, path: Path | str, where: tuple[str | int, ...] = ()) -> None:
    """``nan`` and ``inf`` are errors wherever they appear; checked before any schema sees them."""
    if isinstance(data, Decimal):
        if not data.is_finite():
            field_name = format_field(where)
            raise RecordError(
                f"{data} is not a number a record may hold; write a real number",
                rule="non-finite",
                path=path,
                line=line_of(text, field_name),
                field=field_name,
            )
    elif isinstance(data, dict):
        for key, value in data.items():
            reject_non_finite(value, text, path, (*where, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            reject_non_finite(value, text, path, (*where, index))


class Seen:
    """What reading a record file saw, for a caller that keeps results by the file's stat: the
    stat of the file opened (taken before its bytes are read: a change made meanwhile shows in
    the next stat), and the bytes read (None when they could not be). (A plain class: a
    dataclass costs every run half a millisecond of import.)"""

    __slots__ = ("raw", "stat")

    def __init__(self) -> None:
        self.stat: os.stat_result | None = None
        self.raw: bytes | None = None


def read_document(path: Path | str, *, fast: bool = True, seen: Seen | None = None) -> Document:
    """Read, decode and parse one record file (``fast``: see ``parse``; ``seen``: see ``Seen``)."""
    return document_from_bytes(read_record_bytes(path, seen), path, fast=fast)


def read_record_bytes(path: Path | str, seen: Seen | None = None) -> bytes:
    """The bytes of a regular file, never more than one past the size limit.

    A device (``/dev/zero``) or a FIFO named as a record would be read forever or block: only
    regular files are read, and a file that grows past the limit while read is cut there, so
    ``decode`` refuses it as too large without holding the rest in memory. ``seen`` gets the
    stat of the file opened and the bytes read (``Seen``).
    """
    try:
        # O_NONBLOCK: opening a FIFO would otherwise wait for a writer that never comes
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            st = os.fstat(fd)
            if seen is not None:
                seen.stat = st
            if not stat.S_ISREG(st.st_mode):
                raise RecordError("is not a regular file, so not a record", rule="io", path=path)
            raw = _read_all(fd, min(st.st_size, MAX_RECORD_BYTES) + 1, MAX_RECORD_BYTES + 1, st.st_size)
            if seen is not None:
                seen.raw = raw
            return raw
        finally:
            os.close(fd)
    except IsADirectoryError:
        raise RecordError("is a folder, not a record file", rule="io", path=path) from None
    except OSError as error:
        raise RecordError(f"cannot be read: {error.strerror}", rule="io", path=path) from None


def _read_all(fd: int, expected: int, limit: int, size: int = -1) -> bytes:
    """Up to ``limit`` bytes of ``fd`` to its end, in one read when ``expected`` (the size, plus
    one to see the end) is right: a read that gives exactly ``size`` bytes (the size ``fstat``
    gave) of the ``size + 1`` asked for met the end, and needs no second read to say so. (A
    buffered file's ``read(limit)`` would first set aside ``limit`` bytes: a mebibyte for every
    record.)"""
    data = os.read(fd, expected)
    if len(data) < expected and len(data) != size:
        parts = [data]
        got = len(data)
        while got < limit:
            more = os.read(fd, min(limit - got, 1 << 16))
            if not more:
                break
            parts.append(more)
            got += len(more)
        data = b"".join(parts)
    return data[:limit]


def document_from_bytes(raw: bytes, path: Path | str, *, fast: bool = True) -> Document:
    text = decode(raw, path)
    if fast:
        raw = raw.removeprefix(codecs.BOM_UTF8)
        data = parse_valid(text, raw)
        if data is not None:
            return Document(path=path, text=text, data=data, valid=True)
        data = parse_fast(text, raw)
        if data is not None:
            return Document(path=path, text=text, data=data)
    return Document(path=path, text=text, data=parse(text, path, fast=False))


def path_names(path: Path | str) -> tuple[str, str]:
    """(stem, name of its folder) of ``path``, as ``PurePath(path).stem`` and ``.parent.name`` give
    them, without making a ``Path`` of a str on POSIX (parsing one costs about as much as every rule
    of a record together): the parts of a str are what its separators part, less empty and "."
    parts, as ``PurePosixPath`` reads them."""
    if isinstance(path, str) and os.sep == "/" and os.altsep is None:
        parts = [part for part in path.split("/") if part and part != "."]
        name, folder = (parts[-1] if parts else ""), (parts[-2] if len(parts) > 1 else "")
    else:
        pure = PurePath(path)
        name, folder = pure.name, pure.parent.name
    dot = name.rfind(".")
    return (name[:dot] if 0 < dot < len(name) - 1 else name), folder


# --- the project record (format 1) -------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """One monthly report as stored; ``index`` is its 1-based place in the file."""

    index: int
    no: int
    date: date
    progress: Decimal
    disbursed: Decimal
    plan_status: str
    target_status: str
    note: str
    event: str | None = None

    @property
    def field(self) -> str:
        return f"reports[{self.index}]"


@dataclass(frozen=True)
class Agency:
    department: str
    division: str = ""
    unit: str = ""
    owner: str = ""
    coordinator: str = ""
    phone: str = ""
    budget_unit: str = ""

    def joined(self) -> str:
        """The form's ``department / division / unit``."""
        return " / ".join(part for part in (self.department, self.division, self.unit) if part)


@dataclass(frozen=True)
class Project:
    """A project record that passed the schema, as typed values."""

    code: str
    name: str
    fiscal_year: int
    start: date
    end: date
    budget: Decimal
    agency: Agency
    plan_ref: str = ""
    plan: tuple[Decimal, ...] = ()
    rationale: str = ""
    objectives: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()
    strategy: dict[str, str] = field(default_factory=dict)
    reports: tuple[Report, ...] = ()

    @property
    def agency_code(self) -> str:
        """The first 8 digits of the code name the agency."""
        return self.code[:8]

    @property
    def latest(self) -> Report | None:
        return self.reports[-1] if self.reports else None

    def reports_until(self, day: date) -> tuple[Report, ...]:
        """The reports filed on or before ``day``: what was known then."""
        return tuple(r for r in self.reports if r.date <= day)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Project:
        """Build from schema-valid data (the schema guarantees keys and types)."""
        details = data.get("details", {})
        return _built(
            cls,
            code=data["code"],
            name=data["name"],
            fiscal_year=data["fiscal_year"],
            start=data["start"],
            end=data["end"],
            budget=_decimal(data["budget"]),
            agency=_agency(data["agency"]),
            plan_ref=data.get("plan_ref", ""),
            plan=tuple(map(_decimal, data.get("plan", ()))),
            rationale=details.get("rationale", ""),
            objectives=tuple(details.get("objectives", ())),
            targets=tuple(details.get("targets", ())),
            strategy=dict(data.get("strategy", {})),
            reports=_reports(data.get("reports", ())),
        )


#: An ``Agency``'s fields and their defaults, for ``_agency``.
_AGENCY_FIELDS = {name: getattr(Agency, name, None) for name in Agency.__dataclass_fields__}


def _agency(fields: dict[str, Any]) -> Agency:
    """``Agency(**fields)``, built as ``_built`` builds when ``fields`` names only its fields (as
    schema-valid data does); anything else is left to ``Agency`` to refuse."""
    if not fields.keys() <= _AGENCY_FIELDS.keys() or "department" not in fields:
        return Agency(**fields)
    return _built(Agency, **{**_AGENCY_FIELDS, **fields})


def _reports(reports: list[dict[str, Any]]) -> tuple[Report, ...]:
    """The reports of schema-valid data, built as ``_built`` builds (written out here: a record
    has a dozen, and each call and keyword dict saved shows over 10,000 records)."""
    built = []
    new = object.__new__
    for index, r in enumerate(reports, start=1):
        report = new(Report)
        report.__dict__.update(
            index=index,
            no=r["no"],
            date=r["date"],
            progress=_decimal(r["progress"]),
            disbursed=_decimal(r["disbursed"]),
            plan_status=r["plan_status"],
            target_status=r["target_status"],
            note=r["note"],
            event=r.get("event"),
        )
        built.append(report)
    return tuple(built)


_T = TypeVar("_T")


def _built(cls: type[_T], **fields: Any) -> _T:
    """``cls(**fields)`` for a frozen dataclass given every field: without the frozen
    ``__init__``'s ``object.__setattr__`` call per field (a quarter of the time; a Project and its
    reports are built for every record checked)."""
    instance = object.__new__(cls)
    instance.__dict__.update(fields)
    return instance


def _decimal(value: Any) -> Decimal:
    return value if type(value) is Decimal else Decimal(value)
