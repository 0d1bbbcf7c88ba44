"""Where a field stands in a record's text, so every finding can name its line.

The TOML parsers give values without positions, so this reads the text once more, only when
a finding needs a line: table headers, ``[[reports]]`` headers counted in order, and the lines
that start a key, skipping the inside of multi-line strings and arrays.
"""

from __future__ import annotations

import re

FieldKey = tuple[str | int, ...]

#: A line that opens something: a table header (``[a.b]``, ``[[reports]]``) or a
#: key (one bare or quoted name) followed by ``=`` and how its value begins when it runs on over
#: the lines after it (a multi-line string, an array). Whitespace is TOML's: spaces and tabs.
_OPENING = re.compile(
    r"""\n[ \t]*(?:(\[\[|\[)[ \t]*([^\[\]\n]+?)[ \t]*\]\]?[ \t\r]*(?:#[^\n]*)?$"""
    r"""|("(?:[^"\\\n]++|\\.)*+"|'[^'\n]*'|[A-Za-z0-9_-]+)[ \t]*=[ \t]*("""
    r'''"""|'{3}|\[)?)''',
    re.MULTILINE,
)
#: What an array holds that may hide a bracket (strings of every kind, comments), and brackets.
_ARRAY_TOKEN = re.compile(
    r'''"""(?:[^\\"]++|\\[\s\S]|"(?!""))*+"""(?:"{0,2})|'{3}[\s\S]*?'{3}(?:'{0,2})'''
    r"""|"(?:[^"\\\n]++|\\.)*+"|'[^'\n]*'|#[^\n]*|[\[\]]"""
)
_INDEX = re.compile(r"([^.\[\]]+)|\[([0-9]+)\]")


def parse_field(field: str) -> FieldKey:
    """``reports[3].progress`` to ``("reports", 3, "progress")`` (indexes 1-based, as written)."""
    return tuple(int(index) if index else name for name, index in _INDEX.findall(field))


def format_field(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """``("reports", 2, "progress")`` (a 0-based instance path) to ``reports[3].progress``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def index_lines(text: str) -> dict[FieldKey, int]:
    """Map each table, array-of-tables entry and key to the 1-based line that opens it.

    Lines are counted by ``\n``, as TOML (and tomli's positions) count them. One search for
    each key and header: the inside of a multi-line string or array is passed over whole, so a
    line of a note that looks like a key or a header is never taken for one.
    """
    found: dict[FieldKey, int] = {}
    counts: dict[tuple[str, ...], int] = {}
    table: FieldKey = ()
    text = "\n" + text  # every opening follows a line break: a search for it is quick
    line, at = 0, 0
    search, count = _OPENING.search, text.count
    while match := search(text, at):
        start = match.start() + 1
        line += count("\n", at, start)
        header = match.group(1)
        if header is not None:
            names = tuple(_unquote(p.strip()) for p in match.group(2).split("."))
            if header == "[[":
                counts[names] = counts.get(names, 0) + 1
                table = (*names, counts[names])
            else:
                table = names
            found.setdefault(table, line)
            end = match.end()
        else:
            name = match.group(3)
            if "." in name or name[0] in "\"'":
                found.setdefault((*table, *(_unquote(p.strip()) for p in name.split("."))), line)
            else:
                found.setdefault((*table, name), line)
            end = _value_end(text, match.end(), match.group(4))
        line += count("\n", start, end)
        at = end
    return found


def line_of(text: str, field: str | FieldKey, index: dict[FieldKey, int] | None = None) -> int:
    """The line of ``field``, or of the nearest enclosing thing that has one (1 at the top)."""
    parts = parse_field(field) if isinstance(field, str) else field
    lines = index if index is not None else index_lines(text)
    if parts and parts not in lines and (*parts, 1) in lines:
        return lines[(*parts, 1)]  # an array of tables named as a whole: its first ``[[...]]``
    while parts:
        if parts in lines:
            return lines[parts]
        parts = parts[:-1]
    return 1


def _unquote(name: str) -> str:
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
        return name[1:-1]
    return name


def _value_end(text: str, at: int, opening: str | None) -> int:
    """Where a value that begins at ``at``, after its ``opening``, ends: the next key or header
    is looked for after it (at the start of a later line)."""
    if opening is None:
        return at
    if opening != "[":
        close = text.find(opening, at)
        while opening == '"""' and close > 0 and _escaped(text, close):
            close = text.find(opening, close + 1)  # ``\"""``: a quote and then maybe the end
        return len(text) if close < 0 else close + 3
    depth = 1
    for token in _ARRAY_TOKEN.finditer(text, at):
        bracket = token.group()
        if bracket == "[":
            depth += 1
        elif bracket == "]":
            depth -= 1
            if depth == 0:
                return token.end()
    return len(text)


def _escaped(text: str, at: int) -> bool:
    """Whether the character at ``at`` follows an odd run of backslashes (it is escaped)."""
    before = at - 1
    while before >= 0 and text[before] == "\\":
        before -= 1
    return (at - 1 - before) % 2 == 1
