"""Where a field stands in a record's text, so every finding can name its line.

The TOML parsers give values without positions, so this reads the text once more, only when
a finding needs a line: table headers, ``[[reports]]`` headers counted in order, and the lines
that start a key, skipping the inside of multi-line strings and arrays.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

FieldKey = tuple[str | int, ...]

_HEADER = re.compile(r"\s*(\[\[|\[)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)\s*=\s*(.*)$""")
_INDEX = re.compile(r"([^.\[\]]+)|\[([0-9]+)\]")


def parse_field(field: str) -> FieldKey:
    """``reports[3].progress`` to ``("reports", 3, "progress")`` (indexes 1-based, as written)."""
    parts: list[str | int] = []
    for name, index in _INDEX.findall(field):
        parts.append(int(index) if index else name)
    return tuple(parts)


def format_field(parts: tuple[str | int, ...] | list[str | int], *, zero_based: bool = True) -> str:
    """``("reports", 2, "progress")`` (a 0-based instance path) to ``reports[3].progress``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part + 1 if zero_based else part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def index_lines(text: str) -> dict[FieldKey, int]:
    """Map each table, array-of-tables entry and key to the 1-based line that opens it."""
    found: dict[FieldKey, int] = {}
    counts: dict[tuple[str, ...], int] = {}
    table: FieldKey = ()
    lines = iter(enumerate(text.splitlines(), start=1))
    for number, line in lines:
        if match := _HEADER.match(line):
            names = tuple(_unquote(p.strip()) for p in match.group(2).split("."))
            if match.group(1) == "[[":
                counts[names] = counts.get(names, 0) + 1
                table = (*names, counts[names])
            else:
                table = names
            found.setdefault(table, number)
        elif match := _KEY.match(line):
            key = (*table, *(_unquote(p.strip()) for p in match.group(1).split(".")))
            found.setdefault(key, number)
            _skip_value(match.group(2), lines)
    return found


def line_of(text: str, field: str | FieldKey, index: dict[FieldKey, int] | None = None) -> int:
    """The line of ``field``, or of the nearest enclosing thing that has one (1 at the top)."""
    parts = parse_field(field) if isinstance(field, str) else field
    lines = index if index is not None else index_lines(text)
    while parts:
        if parts in lines:
            return lines[parts]
        parts = parts[:-1]
    return 1


def _unquote(name: str) -> str:
    if len(name) >= 2 and name[0] == name[-1] and name[0] in "\"'":
        return name[1:-1]
    return name


def _skip_value(value: str, lines: Iterator[tuple[int, str]]) -> None:
    """Consume the lines of a value that runs on: a multi-line string or a bracketed array."""
    for delimiter in ('"""', "'''"):
        if value.startswith(delimiter):
            rest = value[3:]
            if delimiter in rest:
                return
            for _, line in lines:
                if delimiter in line:
                    return
            return
    if value.startswith("["):
        depth = _bracket_depth(value)
        while depth > 0:
            try:
                _, line = next(lines)
            except StopIteration:
                return
            stripped = line.lstrip()
            for delimiter in ('"""', "'''"):
                if delimiter in stripped and stripped.count(delimiter) % 2 == 1:
                    for _, inner in lines:
                        if delimiter in inner:
                            break
            depth += _bracket_depth(line)


def _bracket_depth(text: str) -> int:
    """Net ``[`` minus ``]`` outside simple strings and comments."""
    depth, quote = 0, ""
    for char in text:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
    return depth
