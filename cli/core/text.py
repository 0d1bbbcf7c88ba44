"""Text from records made safe to show: on a terminal, in a spreadsheet cell.

A record is data anyone can push; its names and notes must not be able to retitle a
terminal, clear a screen, reorder what a reviewer reads (bidi overrides) or run as a
spreadsheet formula.
"""

from __future__ import annotations

import re
import unicodedata

# C0 controls but tab and newline, DEL, C1 controls, and the bidi embedding/override/isolate marks.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str, *, keep_newlines: bool = True) -> str:
    """Control characters shown as visible escapes (``\\x1b``, ``\\u202e``), never emitted raw."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    cleaned = _UNSAFE.sub(escape, text)
    return cleaned if keep_newlines else cleaned.replace("\n", " ")


def one_line(text: str) -> str:
    """Printable and on one line (wrapped notes joined with spaces)."""
    return " ".join(printable(text).split())


def spreadsheet_cell(text: str) -> str:
    """A text cell that a spreadsheet will never run as a formula (OWASP: prefix a quote)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def nfc(text: str) -> str:
    """The one normal form stored text is written in (NFC keeps SARA AM as one code point)."""
    return unicodedata.normalize("NFC", text)
