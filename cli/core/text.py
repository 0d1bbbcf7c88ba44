"""Text from records made safe to show: on a terminal, in a spreadsheet cell.

A record is data anyone can push; its names and notes must not be able to retitle a
terminal, clear a screen, reorder what a reviewer reads (bidi overrides) or run as a
spreadsheet formula.
"""

from __future__ import annotations

import re
import unicodedata
from codecs import BOM_UTF16_BE, BOM_UTF16_LE, BOM_UTF32_BE, BOM_UTF32_LE

from .i18n import _

# C0 controls but tab and newline, DEL, C1 controls, and every bidi control (the Trojan Source list:
# ALM, LRM, RLM, the embeddings, overrides and isolates); and lone surrogates: a file or folder
# name that is not UTF-8 (a TIS-620 name from an old Thai Windows share) is read by
# ``os.fsdecode`` as one surrogate a byte (b"\xbb" as U+DCBB), which no UTF-8 output can hold.
# It shows as ``\udcbb``, as a terminal shows it (main.py's ``backslashreplace``), in every output.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str, *, keep_newlines: bool = True) -> str:
    """Control characters shown as visible escapes (``\\x1b``, ``\\u202e``), never emitted raw."""

    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    cleaned = _UNSAFE.sub(escape, text)
    return cleaned if keep_newlines else cleaned.replace("\n", " ")


def excerpt(text: str, limit: int) -> str:
    """``text`` as a message quotes it: whole when it is short, else its first ``limit``
    characters and an ellipsis, never a Thai vowel or tone mark cut from its letter."""
    while limit < len(text) and unicodedata.category(text[limit]) == "Mn":
        limit += 1
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def one_line(text: str) -> str:
    """Printable and on one line (wrapped notes joined with spaces)."""
    return " ".join(printable(text).split())


def markdown_text(text: str) -> str:
    """Record text in Markdown, shown as typed: one printable line, ``& < >`` as entities (a
    name holding ``<!--`` hid the rest of a table where Markdown is rendered) and pipes escaped
    (a table's cells)."""
    escaped = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("|", "\\|")


def utf8_encodable(text: str) -> bool:
    """Whether ``text`` can be written as UTF-8 (as SQLite's text, the index's): a name of bytes
    that are not UTF-8, held with lone surrogates, cannot."""
    return _SURROGATES.search(text) is None


def storable(text: str) -> str:
    """``text`` with its lone surrogates as a terminal shows them, ``\\udcbb``: UTF-8 holds it."""
    return text.encode(errors="backslashreplace").decode()


def spreadsheet_cell(text: str) -> str:
    """A text cell that a spreadsheet will never run as a formula (OWASP: prefix a quote)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


# NIKHAHIT (U+0E4D) then SARA AA (U+0E32), maybe with a tone mark between or before: how PDF
# extraction and some old keyboards spell SARA AM (U+0E33). NFC leaves the pair alone (SARA AM
# has only a compatibility decomposition), and NFKC would split every SARA AM, so it is mended here.
_SPLIT_SARA_AM = re.compile("\u0e4d([\u0e48-\u0e4b]?)\u0e32")


def nfc(text: str) -> str:
    """The one form stored text is written in: Unicode NFC, SARA AM as one code point.

    ``น\u0e49\u0e4d\u0e32`` and ``น\u0e4d\u0e49\u0e32`` are stored as ``น\u0e49\u0e33`` (น้ำ):
    the form a Thai keyboard types, which search and sorting then find as one word.
    """
    return _SPLIT_SARA_AM.sub("\\1\u0e33", unicodedata.normalize("NFC", text))


# What text saved from a PDF or a web page carries that nobody typed: zero-width spaces (Thai
# word-breaking tools put them between words, so a label or a marker no longer matches), the word
# joiner, a byte-order mark left mid-file by joining two files; and spaces of other widths
# (no-break, narrow, ideographic), which read as spaces.
_INVISIBLE = re.compile("[\u200b\u2060\ufeff]")
_OTHER_SPACES = re.compile("[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")


def printed_text(text: str) -> str:
    """A printout's or a page's text as it reads: ``nfc``, invisible characters dropped, other
    spaces as spaces, and "\\n" line ends (a file with no "\\n" at all has the old Mac's "\\r").

    Lines are then split at "\\n" only: ``str.splitlines`` also breaks at \\x85, \\u2028 ..., which
    would shift every line number after them away from what an editor shows.
    """
    plain = _OTHER_SPACES.sub(" ", _INVISIBLE.sub("", nfc(text))).replace("\r\n", "\n")
    return plain if "\n" in plain else plain.replace("\r", "\n")


def json_safe(dumped: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``) with DEL, C1 controls and bidi marks
    written as ``\\uXXXX`` escapes, as it already writes C0 controls: the same data, exactly,
    but nothing a terminal acts on when the JSON is printed. Valid because these characters can
    only stand inside JSON strings."""
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", dumped)


#: The version of every JSON envelope the tool prints (validate, status, summary, the site's data).
ENVELOPE_VERSION = 1


def json_text(envelope: object) -> str:
    """The one way the tool writes JSON for machines: UTF-8 text, indented, terminal-safe."""
    import json  # here: a run answered from the output memo never writes JSON anew

    return json_safe(json.dumps(envelope, ensure_ascii=False, indent=2)) + "\n"


#: TOML from tomli-w with DEL, C1 controls and bidi marks as ``\uXXXX`` escapes: ``json_safe``'s.
#: tomli-w escapes only what TOML forbids raw (C0 controls, DEL); C1 controls and bidi overrides
#: would reach ``git diff`` and ``cat`` raw and reorder what a reviewer reads. tomli-w writes only
#: basic strings (single-line and multi-line), where ``\uXXXX`` is an escape, and these characters
#: cannot stand anywhere else: the value read back is the same.
toml_safe = json_safe


# --- text a person gives as a file ------------------------------------------------------------


class NotUtf8Error(ValueError):
    """Bytes given as text are not UTF-8; the message names what they look like and the fix."""


def utf8_text(raw: bytes) -> str:
    """Bytes a person gave as text (a note file, a CSV), as text: UTF-8, a BOM dropped.

    Anything else raises ``NotUtf8Error`` saying what the bytes look like, so the person can
    convert them: UTF-16 or UTF-32 (``wide_encoding``), TIS-620/cp874 (the Thai
    single-byte encoding older Thai Windows and Excel save in), or just not text.
    """
    if wide := wide_encoding(raw):
        message = _("is {encoding}, not UTF-8: convert it with iconv -f {encoding} -t UTF-8")
        raise NotUtf8Error(message.format(encoding=wide))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if _looks_tis620(raw):
            raise NotUtf8Error(
                _("is not UTF-8; it looks like TIS-620/cp874: convert it with iconv -f TIS-620 -t UTF-8")
            ) from None
        line = raw.count(b"\n", 0, error.start) + 1
        message = _("is not UTF-8 text (byte {byte} on line {line}); save it as UTF-8")
        raise NotUtf8Error(message.format(byte=f"0x{raw[error.start]:02X}", line=line)) from None
    if "\x00" in text:
        raise NotUtf8Error(_("holds NUL bytes: it is binary, not UTF-8 text"))
    return text


_BOMS = {BOM_UTF32_LE: "UTF-32", BOM_UTF32_BE: "UTF-32", BOM_UTF16_LE: "UTF-16", BOM_UTF16_BE: "UTF-16"}


def bom_encoding(raw: bytes) -> str | None:
    """The UTF-32 or UTF-16 a BOM says ``raw`` is in (UTF-32LE's begins with UTF-16LE's: asked first)."""
    return next((name for bom, name in _BOMS.items() if raw.startswith(bom)), None)


def wide_encoding(raw: bytes) -> str | None:
    """The UTF-32 or UTF-16 (Windows' "Unicode") ``raw`` is in, as iconv names it, else None:
    by its BOM, else by the bytes that are mostly 0x00 (Latin) or 0x0E (Thai): the upper two of
    each four in UTF-32 (half at most in UTF-16), the upper one of each pair in UTF-16; its byte
    order is then named (iconv reads a bare UTF-16 in the machine's)."""
    if named := bom_encoding(raw):
        return named
    lanes = ((4, "UTF-32LE", raw[2::4] + raw[3::4]), (4, "UTF-32BE", raw[0::4] + raw[1::4]),
             (2, "UTF-16LE", raw[1::2]), (2, "UTF-16BE", raw[0::2]))  # fmt: skip
    for size, name, high in lanes:
        if len(raw) >= 2 * size and len(raw) % size == 0 and high.count(0) + high.count(14) > len(high) * 0.6:
            return name
    return None


def _looks_tis620(raw: bytes) -> bool:
    """Thai in TIS-620/cp874: it decodes, and nearly every high byte is a Thai letter or mark."""
    high = [b for b in raw if b >= 0x80]
    if not high or sum(1 for b in high if 0xA1 <= b <= 0xFB) < len(high) * 0.9:
        return False
    try:
        raw.decode("cp874")
    except UnicodeDecodeError:
        return False
    return True
