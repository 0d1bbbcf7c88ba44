"""Reading a legacy printout of the form (text extracted from the old web system's PDF) back
into record data.

Pure text in, ``Imported(data, warnings)`` out, or ``MissingFieldsError`` naming the required
fields the text does not hold. It never guesses: a value it cannot read is left out and
reported as a warning with its input line; a label that is misspelt (OCR) is matched to the
nearest known label only when it is close and clearly closer to one label than to any other,
and every such match is reported too.

What PDF extraction and OCR do to the text, and how each is undone:
- the page header ``**** แบบแสดงรายงาน... ****`` repeats on every page, even inside a line
  when pages were merged: it is cut out wherever it stands;
- lines are wrapped: a report's note runs until the progress marker, and its lines are joined
  with a space; an item of 1.4/1.5 continues on the next lines (a line printed right below
  keeps its line break, a line after a blank is a wrapped line joined with a space, unless it
  starts a sub-item such as ``๑.๑``);
- a report's header (``รายงานครั้งที่N``) and its progress line may be far apart (page
  break), or its progress line printed beside the next report's header: every progress line
  names its report (``(ครั้งที่ N)``), and that number pairs them, wherever it stands. One
  layout prints every report's figures (without ``%``) at the end of the next report's header
  line, its date and note on a line of their own (``23/07/2565 : ...``) and the last report's
  figures after its note; a date and note go to the latest header still waiting for one;
- a missing first page or a cut-off end: whatever is complete is read; a report shown (by
  its header or its figures) but missing a value is left out, with a warning naming what it
  lacks, and named in ``Imported.left_out``: ``require_complete`` refuses such a printout
  (the command does, unless ``--partial``).

``merge_into_record`` lays a printout's data over an existing record: the printout replaces
only what the form shows (``PRINTOUT_FIELDS``); the rest, and any report it lacks, is kept or
refused by name, never dropped.

The text ``show`` prints (``form.render_text``) is read by the same rules, which is what makes
``import(show(R))`` give ``R`` back.
"""

from __future__ import annotations

import bisect
import difflib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate
from typing import Any

from .calendar import DateInputError, ascii_digits, parse_date
from .errors import ConflictError, InputError
from .findings import Finding, Severity
from .form import (
    CERTIFICATION,
    HEADER_KEYS,
    HEADING_11,
    HEADING_12,
    HEADING_13,
    HEADING_14,
    HEADING_15,
    HEADING_16,
    SECTION_1,
    SECTION_2,
    STRATEGY_LABELS,
    event_in_note,
)
from .i18n import _
from .labels import (
    AGENCY_ABBREVIATIONS,
    EVENTS,
    FIELD_LABELS,
    FORM_TITLE,
    PLAN_STATUSES,
    TARGET_STATUSES,
    label,
    value_for_label,
)
from .layout import canonical_data, given
from .money import NumberInputError, parse_money, parse_percent
from .record import Document
from .text import NotUtf8Error, excerpt, printed_text, utf8_text

MAX_INPUT_BYTES = 1024 * 1024

#: How close a misspelt label must be to a known one (difflib's ratio, 0..1). The nearest
#: pairs of distinct labels the importer tells apart are เป็นไปตามเป้าหมาย / ไม่เป็นไปตามเป้าหมาย
#: (0.92), เป็นไปตามแผน / ไม่เป็นไปตามแผน (0.89) and ประเด็นยุทธศาสตร์ / ...ย่อย (0.90), so a ratio
#: alone cannot separate them: a match must also beat the runner-up by FUZZY_MARGIN, and a
#: status's negation (ไม่) is read on its own. 0.75 accepts a dropped or swapped syllable in a
#: 12-25 letter label (ควรถติ for ควรติดตาม: 0.89; เป้าหมา for เป้าหมาย: 0.97) and refuses a
#: different word of the same length (เป็นไปตามเป้าหมาย against เป็นไปตามแผน: 0.62).
FUZZY_CUTOFF = 0.75
FUZZY_MARGIN = 0.04

#: Past this many warnings for one printout, the rest are counted, not listed.
MAX_WARNINGS = 200

#: Words tried one by one as status labels after a report's figures (three labels at most).
MAX_STATUS_WORDS = 6

REQUIRED = ("code", "name", "fiscal_year", "start", "end", "budget", "agency.department")
REPORT_REQUIRED = ("date", "note", "progress", "disbursed", "plan_status", "target_status")

_PAGE_HEADER = re.compile(r"\*{2,}\s*([^*\n]{10,120}?)\s*\*{2,}")
_HEADING = re.compile(r"^(1\.[1-6]|[12]\.)\s*(.*)$")
#: A heading's number as printed ("1.", "1.1") -> (its section, its words).
_PRINTED = (SECTION_1, HEADING_11, HEADING_12, HEADING_13, HEADING_14, HEADING_15, HEADING_16, SECTION_2)
_HEADINGS = {number: (number.rstrip("."), words) for number, words in (h.split(" ", 1) for h in _PRINTED)}
_FIELD = re.compile(r"^(?P<label>[^:]{1,60}?)\s*:\s*(?P<value>.*)$")
#: A number that counts (an item, a report, a quarter): 9 digits at most, as ``money.parse_whole``;
#: ``int()`` of thousands of digits raises, so a longer run is text, never a count.
COUNT = r"[0-9]{1,9}(?![0-9])"
_ITEM = re.compile(rf"^({COUNT})\.\s+(.*)$")
_SUB_ITEM = re.compile(r"^(?:[-•*]\s*)?\(?[0-9๐-๙]+(?:\.[0-9๐-๙]+)*[.)]?\s")
_PLAN_REF = re.compile(r"^(?P<ref>[^\s].{0,40}?[0-9๐-๙]+/[0-9๐-๙]+)\s*(?P<name>\S.*)$")
_CODE = re.compile(r"[0-9]{8}-[0-9]{4,}")
_STARS = re.compile(r"^\*+\s*|\s*\*+$")
#: A line that is only a page's number, as a printed page's footer (``หน้า 2 / 6``, ``Page 1 of 3``),
#: matched with Thai digits made ASCII: no part of the form, it is left out wherever it stands.
PAGE_FOOTER = re.compile(r"^\s*(?:หน้า(?:ที่)?|page)\s*[0-9]+(?:\s*(?:/|จาก|of)\s*[0-9]+)?\s*$", re.IGNORECASE)

# Report markers, matched on the text with Thai digits made ASCII (same length, same offsets).
_REPORT_HEADER = re.compile(r"รายงานครั้ง\s*ที่?\s*([0-9]+)")
# A header starts a line, or stands right before its ``::`` (printed beside another report's
# progress line); "ตามรายงานครั้งที่ 3" inside a note is neither.
_REPORT_HEADER_IN_TEXT = re.compile(
    rf"^[ \t]*รายงานครั้ง\s*ที่?\s*({COUNT})|(?<=\s)รายงานครั้ง\s*ที่?\s*({COUNT})(?=\s*::)", re.MULTILINE
)
# The percent sign is printed in one layout and not in another (``= 76.00 : งบประมาณ...``).
_PROGRESS = re.compile(
    r"(?:::\s*)?ความก้าวหน้า\S{0,8}\s*=\s*(?P<progress>[^%:\s]*)\s*%?[\s:]*"
    rf"(?:งบประมาณ\S{{0,12}}\s*)?\(\s*ครั้ง\s*ที่?\s*(?P<no>{COUNT})\s*\)\s*=\s*(?P<disbursed>\S*)\s*บาท"
)
_DATE = r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2}"
# A report's date and note: after ``::`` (``รายงานครั้งที่1\t:: 25/10/2564 : note``), or starting
# a line of its own, then followed by its ``:`` (``23/07/2565 : note``, the layout that prints
# each report's figures beside the next report's header).
_DATE_NOTE = re.compile(rf"::?\s*(?P<date>{_DATE})\s*:?|^[ \t]*(?P<bare>{_DATE})[ \t]*:", re.MULTILINE)
_STATUS_SPLIT = re.compile(r"[:\t]|\s{2,}")

# Field labels on the form -> the record key each one fills.
_FIELD_KEYS: dict[str, str] = {
    FIELD_LABELS[key]["th"]: key for key in (*HEADER_KEYS, "agency", "owner", "coordinator")
}
_FIELD_KEYS.update({text: f"strategy.{key}" for key, text in STRATEGY_LABELS})
_FIELD_LABEL = {key: text for text, key in _FIELD_KEYS.items()}


@dataclass(frozen=True)
class LeftOut:
    """A report the printout shows (its header or its figures) but does not hold in full."""

    no: int
    line: int
    why: str


@dataclass(frozen=True)
class Imported:
    """What one printout gave: record data ready to check and write, what was doubtful, and
    the reports the printout shows but that could not be read in full (left out of ``data``)."""

    data: dict[str, Any]
    warnings: tuple[Finding, ...]
    left_out: tuple[LeftOut, ...] = ()

    @property
    def shown_reports(self) -> int:
        """How many reports the printout shows: those read and those left out."""
        return len(self.data.get("reports", [])) + len(self.left_out)

    def require_complete(self, source: str) -> None:
        """Refuse (``IncompleteReportsError``) a printout that shows reports it does not hold
        in full: importing it as it is would quietly drop them."""
        if self.left_out:
            raise IncompleteReportsError(source, self)

    def left_out_text(self) -> str:
        """Each report left out, with its line and why."""
        text = _("report {no} (line {line}: {why})")
        return ", ".join(text.format(no=item.no, line=item.line, why=item.why) for item in self.left_out)


class MissingFieldsError(InputError):
    """A required field of the record is not in the printout (or cannot be read there)."""

    def __init__(self, source: str, missing: list[str], warnings: tuple[Finding, ...]) -> None:
        message = _(
            "cannot import: the printout does not hold the required field(s) {names} "
            "(is its first page missing?); nothing was written"
        )
        super().__init__(message.format(names=", ".join(missing)), path=source)
        self.missing = tuple(missing)
        self.warnings = warnings


class IncompleteReportsError(InputError):
    """The printout shows reports that cannot be read in full (and no --partial was given)."""

    def __init__(self, source: str, imported: Imported) -> None:
        message = _(
            "cannot import: the printout shows {shown} reports but {unread} cannot be read in "
            "full: {which}; nothing was written (fix the printout, or give --partial to import "
            "the {complete} complete ones)"
        )
        unread, complete = len(imported.left_out), len(imported.data.get("reports", []))
        said = message.format(
            shown=imported.shown_reports, unread=unread, which=imported.left_out_text(), complete=complete
        )
        super().__init__(said, path=source, line=imported.left_out[0].line)
        self.left_out = imported.left_out


def decode_printout(raw: bytes, source: str) -> str:
    """Bytes of a printout to text: UTF-8 only (UTF-16 and TIS-620 named as such, to convert),
    at most 1 MiB, never binary."""
    if len(raw) > MAX_INPUT_BYTES:
        message = _("the file is {size} bytes, over the 1 MiB limit for a printout")
        raise InputError(message.format(size=f"{len(raw):,}"), path=source)
    try:
        return utf8_text(raw)
    except NotUtf8Error as error:
        raise InputError(str(error), path=source) from None


def _norm(text: str) -> str:
    return re.sub(r"[.\s]", "", text)


def similarity(a: str, b: str, floor: float = 0.0) -> float:
    """difflib's ratio of ``a`` and ``b``; 0 early when its cheap upper bounds are under ``floor``."""
    matcher = difflib.SequenceMatcher(None, a, b)
    if matcher.real_quick_ratio() < floor or matcher.quick_ratio() < floor:
        return 0.0
    return matcher.ratio()


def fuzzy_choice(text: str, choices: dict[str, str]) -> tuple[str | None, bool]:
    """(the key of the label ``text`` is, whether it took a fuzzy match); (None, False) if none.

    ``choices`` maps label -> key. Exact (dots and spaces ignored) first; else the nearest label
    when its ratio is at least FUZZY_CUTOFF and beats every other label's by FUZZY_MARGIN.
    """
    wanted = _norm(text)
    if not wanted:
        return None, False
    by_norm = {_norm(text): key for text, key in choices.items()}
    if wanted in by_norm:
        return by_norm[wanted], False
    scored = sorted(
        ((similarity(wanted, known, FUZZY_CUTOFF - FUZZY_MARGIN), key) for known, key in by_norm.items()),
        reverse=True,
    )
    best_score, best_key = scored[0]
    runner_up = max((s for s, k in scored[1:] if k != best_key), default=0.0)
    if best_score >= FUZZY_CUTOFF and best_score - runner_up >= FUZZY_MARGIN:
        return best_key, True
    return None, False


_STATUS_CHOICES: dict[str, str] = {
    label(value): value for value in (*PLAN_STATUSES, *TARGET_STATUSES, *EVENTS)
}


@dataclass
class _Report:
    no: int
    line: int
    values: dict[str, Any] = field(default_factory=dict)


class _Reader:
    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.warnings: list[Finding] = []
        self.warned = 0
        self.fields: dict[str, Any] = {}
        self.field_lines: dict[str, int] = {}
        self.rationale: list[list[str]] = []
        self.items: dict[str, list[str]] = {"objectives": [], "targets": []}
        self.report_lines: list[tuple[int, str]] = []
        self.headings: dict[str, int] = {}  # the headings met (a section's number), at their line
        self.lines = self._clean(text)

    def warn(self, line: int | None, field_name: str, message: str) -> None:
        self.warned += 1
        if self.warned <= MAX_WARNINGS:
            self.warnings.append(
                Finding(self.source, line, field_name, "legacy-import", Severity.WARNING, message)
            )

    def unreadable(self, line: int | None, field_name: str, why: object) -> None:
        """A value the printout does not hold legibly: left out, and said why."""
        self.warn(line, field_name, _("cannot be read and is left out: {why}").format(why=why))

    def all_warnings(self) -> tuple[Finding, ...]:
        found = sorted(self.warnings, key=Finding.sort_key)
        if self.warned > MAX_WARNINGS:
            more = self.warned - MAX_WARNINGS
            found.append(
                Finding(self.source, None, "", "legacy-import", Severity.WARNING,
                        _("{more} more warnings not shown: is this a printout of the form?").format(more=more))
            )  # fmt: skip
        return tuple(found)

    # --- lines ---------------------------------------------------------------------------

    def _clean(self, text: str) -> list[tuple[int, str]]:
        """(line number, text) with page headers cut out; blank lines kept as ''."""
        out: list[tuple[int, str]] = []
        for number, line in enumerate(printed_text(text).split("\n"), start=1):
            for raw in line.split("\f"):  # a form feed starts a page, even inside a line
                if PAGE_FOOTER.match(ascii_digits(raw)):
                    continue
                pieces = self._cut_headers(raw) if "**" in raw else [raw]
                out.extend((number, piece.rstrip()) for piece in pieces)
        return out

    @staticmethod
    def _cut_headers(raw: str) -> list[str]:
        """The line split around any page header in it; [] when it was only a header."""
        pieces: list[str] = []
        pos = 0
        for match in _PAGE_HEADER.finditer(raw):
            if similarity(_norm(match.group(1)), _norm(FORM_TITLE), FUZZY_CUTOFF) < FUZZY_CUTOFF:
                continue  # a starred line that is not the form's title
            pieces.append(raw[pos : match.start()])
            pos = match.end()
        if not pieces:  # no page header in it
            return [raw]
        pieces.append(raw[pos:])
        return [p for p in pieces if p.strip()]

    # --- sections -------------------------------------------------------------------------

    def heading(self, text: str) -> str | None:
        match = _HEADING.match(ascii_digits(text))  # ๑.๓ is 1.3
        if not match or match.group(1) not in _HEADINGS:
            return None
        section, words = _HEADINGS[match.group(1)]
        wanted = _norm(words)
        got = _norm(match.group(2))[: len(wanted)]
        return section if got and similarity(got, wanted, 0.8) >= 0.8 else None

    def read(self) -> None:
        section = ""
        previous_blank = True
        last_field: str | None = None
        for number, raw in self.lines:
            text = raw.strip()
            if not text:
                previous_blank = True
                last_field = None
                continue
            blank_before, previous_blank = previous_blank, False
            heading = self.heading(text)
            if heading in self.headings:  # each heading once (None is none): a second printout starts
                message = _(
                    "the heading '{text}' comes a second time: the file holds two printouts (or one "
                    "twice); save each printout in a file of its own; nothing was written"
                )
                raise InputError(message.format(text=excerpt(text, 60)), path=self.source, line=number)
            if section == "end":
                continue
            if heading is not None:
                self.headings[heading] = number
                section, last_field = heading, None
                continue
            if _REPORT_HEADER.match(ascii_digits(text)):
                section = "2"  # reports start even where the section's heading was lost
            if section == "2":
                if text.startswith(CERTIFICATION[:8]) or text.startswith("ลงชื่อ"):
                    section = "end"
                    continue
                self.report_lines.append((number, raw.replace("\t", " \t ")))
                continue
            exact_only = section in ("1.3", "1.4", "1.5")
            key = self.field_line(number, text, exact_only)
            if key is not None:
                last_field = key
                continue
            if last_field is not None and not blank_before and last_field in self.fields:
                self.fields[last_field] += " " + text  # a wrapped value
                continue
            if section == "1.3":
                if blank_before or not self.rationale:
                    self.rationale.append([text])
                else:
                    self.rationale[-1].append(text)
            elif section in ("1.4", "1.5"):
                self.item_line(number, "objectives" if section == "1.4" else "targets", text, blank_before)
            else:
                message = _("text outside any field of the form, skipped: {text}")
                self.warn(number, "", message.format(text=excerpt(text, 60)))

    def field_line(self, number: int, text: str, exact_only: bool) -> str | None:
        match = _FIELD.match(text)
        if not match:
            return None
        key, fuzzy = fuzzy_choice(match.group("label"), _FIELD_KEYS)
        if key is None or (fuzzy and exact_only):
            return None
        if fuzzy:
            message = _("read the label '{read}' as '{label}'")
            self.warn(number, key, message.format(read=match.group("label"), label=_FIELD_LABEL[key]))
        value = match.group("value").strip()
        if key in self.fields:
            if _norm(self.fields[key]) != _norm(value):
                message = _("a second, different value '{value}' is ignored")
                self.warn(number, key, message.format(value=excerpt(value, 40)))
            return None
        self.fields[key] = value
        self.field_lines[key] = number
        return key

    def item_line(self, number: int, kind: str, text: str, blank_before: bool) -> None:
        items = self.items[kind]
        match = _ITEM.match(ascii_digits(text))  # ๒. is item 2; its words keep their own digits
        if match and int(match.group(1)) == len(items) + 1:
            items.append(text[match.start(2) :].strip())
        elif items:
            joiner = "\n" if not blank_before or _SUB_ITEM.match(text) else " "
            items[-1] += joiner + text
        else:
            message = _("text before the first numbered item, skipped: {text}")
            self.warn(number, f"details.{kind}", message.format(text=excerpt(text, 60)))


def parse_printout(text: str, source: str = "<printout>") -> Imported:
    """Read a printout's text into record data, or raise ``MissingFieldsError``."""
    reader = _Reader(text, source)
    reader.read()
    data: dict[str, Any] = {"format": 1}
    _header_fields(reader, data)
    rationale = "\n\n".join("\n".join(p) for p in reader.rationale)
    strategy = {
        key: _STARS.sub("", reader.fields[f"strategy.{key}"]).strip()
        for key, _ in STRATEGY_LABELS
        if reader.fields.get(f"strategy.{key}", "").strip("* ")
    }
    data |= given(details=given(rationale=rationale, **reader.items), strategy=strategy)
    _mend_extraction_slips(reader, data)
    reports, left_out = _reports(reader)
    if reports:
        data["reports"] = reports
        _check_used(reader, reports)
    elif "2" not in reader.headings and not reader.report_lines:  # (a new project's shows it empty)
        message = _("the printout has no reports section (2.): cut short? imported with no reports")
        reader.warn(reader.lines[-1][0] if reader.lines else None, "reports", message)
    missing = [
        name for name in REQUIRED
        if (data.get("agency", {}).get("department") if name == "agency.department" else data.get(name)) in (None, "")
    ]  # fmt: skip
    warnings = reader.all_warnings()
    if missing:
        raise MissingFieldsError(source, missing, warnings)
    return Imported(canonical_data(data), warnings, left_out)


#: The fields a printout of the form can give, so the only fields an import replaces. Every
#: other field of a record (``plan``, ``agency.phone``, ``agency.budget_unit``, and any field the
#: schema gains that the form does not print) is kept from the record an import replaces.
PRINTOUT_FIELDS = frozenset(
    (
        "code", "name", "plan_ref", "fiscal_year", "start", "end", "budget",
        "agency.department", "agency.division", "agency.unit", "agency.owner", "agency.coordinator",
        "details.rationale", "details.objectives", "details.targets",
        *(f"strategy.{key}" for key, _ in STRATEGY_LABELS),
    )
)  # fmt: skip
PRINTOUT_REPORT_FIELDS = frozenset(("no", *REPORT_REQUIRED, "event"))


@dataclass(frozen=True)
class Merged:
    """A printout's record over an existing one: what it keeps from that record, by name."""

    data: dict[str, Any]
    kept_fields: tuple[str, ...]
    kept_reports: tuple[int, ...]


def merge_into_record(imported: dict[str, Any], record: Document, *, keep_reports: bool) -> Merged:
    """The printout's data replacing a (valid) record: what the form cannot show is kept.

    Every field the printout cannot show stays as the record has it (``kept_fields`` names
    them). A report of the record that the printout lacks is never dropped: with
    ``keep_reports`` it is kept as the record has it (``kept_reports``), else ``ConflictError``
    names each one with its line in the record and nothing is to be written.
    """
    data = {key: dict(value) if isinstance(value, dict) else value for key, value in imported.items()}
    kept: list[str] = []
    for key, value in canonical_data(record.data).items():  # named in the record's own order
        # A field this printout does not show (one the form cannot show, or one this printout
        # lacks or left out as illegible) is kept as the record has it, never dropped. The
        # format too, unnamed: a format-2 form is format 1's plus lines the import passes over.
        if key == "format":
            data[key] = value
        elif key == "reports" or (key in PRINTOUT_FIELDS and key in data):
            continue
        elif isinstance(value, dict) and any(name.startswith(f"{key}.") for name in PRINTOUT_FIELDS):
            given = data.get(key)
            shown: dict[str, Any] = given if isinstance(given, dict) else {}
            for sub, sub_value in value.items():
                if f"{key}.{sub}" not in PRINTOUT_FIELDS or sub not in shown:
                    data.setdefault(key, {})[sub] = sub_value
                    kept.append(f"{key}.{sub}")
        else:
            data[key] = value
            kept.append(key)
    old_reports = [r for r in record.data.get("reports", []) if isinstance(r, dict)]
    new_reports = [dict(r) for r in data.get("reports", [])]
    new_numbers = {r["no"] for r in new_reports}
    for report in new_reports:
        old = next((r for r in old_reports if r.get("no") == report["no"]), None)
        for name, value in (old or {}).items():
            if name not in PRINTOUT_REPORT_FIELDS:
                report[name] = value
                kept.append(f"reports[no={report['no']}].{name}")
    lost = [(index, r) for index, r in enumerate(old_reports) if r.get("no") not in new_numbers]
    if lost and not keep_reports:
        named = ", ".join(
            _("{no} (line {line})").format(no=r.get("no"), line=record.line_of(f"reports[{index + 1}]"))
            for index, r in lost
        )
        message = _(
            "the record holds report(s) {named} that the printout lacks; replacing it would lose "
            "them, so nothing was written (give --partial to keep them from the record)"
        )
        first = record.line_of(f"reports[{lost[0][0] + 1}]")
        raise ConflictError(message.format(named=named), path=record.path, line=first)
    new_reports += [r for _, r in lost]
    if new_reports:
        data["reports"] = sorted(new_reports, key=lambda r: r["no"])
    return Merged(canonical_data(data), tuple(kept), tuple(r["no"] for _, r in lost))


def _header_fields(reader: _Reader, data: dict[str, Any]) -> None:
    fields = reader.fields

    def unreadable(key: str, why: object) -> None:
        reader.unreadable(reader.field_lines.get(key), key, why)

    if name := fields.get("name"):
        match = _PLAN_REF.match(name)
        if match and "." in match.group("ref"):
            data["plan_ref"] = match.group("ref").strip()
            data["name"] = match.group("name").strip()
        else:
            data["name"] = name
    if code := fields.get("code"):
        if found := _CODE.fullmatch(ascii_digits(code).replace(" ", "")):
            data["code"] = found.group()
        else:
            unreadable("code", _("'{code}' is not a project code like 01000000-2475").format(code=code))
    if year := fields.get("fiscal_year"):
        digits = ascii_digits(year).strip()
        if re.fullmatch(r"[0-9]{4}", digits):
            data["fiscal_year"] = int(digits)
        else:
            unreadable("fiscal_year", _("'{year}' is not a Buddhist Era year").format(year=year))
    for key in ("start", "end"):
        if raw := fields.get(key):
            try:
                data[key] = parse_date(raw.split()[0])  # 2021-10-01 00:00:00, or 01/10/2564
            except DateInputError as error:
                unreadable(key, error)
    if raw := fields.get("budget"):
        try:
            data["budget"] = parse_money(raw)
        except NumberInputError as error:
            unreadable("budget", error)
    agency: dict[str, str] = {}
    if raw := fields.get("agency"):
        levels = [level.strip() for level in re.split(r"\s/\s", raw)]
        if len(levels) > 3:
            levels = [*levels[:2], " / ".join(levels[2:])]
        for key, value in zip(("department", "division", "unit"), levels, strict=False):
            if value:
                agency[key] = value
    for key in ("owner", "coordinator"):
        if value := fields.get(key, "").strip():
            agency[key] = value
    data |= given(agency=agency)


#: A KPI code (``ป.1``) glued to the words after it: PDF extraction drops that space.
_GLUED_KPI_CODE = re.compile(r"(?<![ก-๙])([ก-ฮ]\.[0-9๐-๙]{1,2})(?=[ก-๙])")


def _mend_extraction_slips(reader: _Reader, data: dict[str, Any]) -> None:
    """Undo two slips PDF extraction makes in a printout's header, each with a warning.

    - The plan reference starts with the agency's abbreviation; where it is the same length as
      the standard abbreviation of the record's own department and differs in at most two
      letters (``สส.สทท.`` for ``สส.กทม.``), the standard one is taken.
    - A KPI code loses the space after it (``ป.1ความสำเร็จ``); it is put back.
    """
    department = data.get("agency", {}).get("department", "")
    standard = AGENCY_ABBREVIATIONS.get(department)
    reference = data.get("plan_ref", "")
    if standard and reference:
        read, _space, rest = reference.partition(" ")
        differing = sum(a != b for a, b in zip(read, standard, strict=False))
        if (
            read != standard
            and len(read) == len(standard)
            and differing <= 2
            and read.count(".") == standard.count(".")
        ):
            data["plan_ref"] = f"{standard} {rest}".strip()
            message = _(
                "read the agency abbreviation '{read}' as '{standard}', the abbreviation of {department}; check it"
            )
            said = message.format(read=read, standard=standard, department=department)
            reader.warn(reader.field_lines.get("name"), "plan_ref", said)
    kpi = data.get("strategy", {}).get("kpi", "")
    mended = _GLUED_KPI_CODE.sub(r"\1 ", kpi)
    if mended != kpi:
        data["strategy"]["kpi"] = mended
        message = _("put back the space after the indicator code that extraction dropped; check it")
        reader.warn(reader.field_lines.get("strategy.kpi"), "strategy.kpi", message)


def _reports(reader: _Reader) -> tuple[list[dict[str, Any]], tuple[LeftOut, ...]]:
    """Section 2: reports paired by their numbers, complete ones only, and the ones shown
    (by a header or by figures) but left out."""
    if not reader.report_lines:
        return [], ()
    text = "\n".join(line for _, line in reader.report_lines)
    starts = list(accumulate((len(line) + 1 for _, line in reader.report_lines[:-1]), initial=0))
    numbers = [n for n, _ in reader.report_lines]

    def line_at(offset: int) -> int:
        return numbers[max(bisect.bisect_right(starts, offset) - 1, 0)]

    ascii_text = ascii_digits(text)
    tokens: list[tuple[int, int, str, re.Match[str]]] = []
    tokens += [(m.start(), m.end(), "header", m) for m in _REPORT_HEADER_IN_TEXT.finditer(ascii_text)]
    tokens += [(m.start(), m.end(), "progress", m) for m in _PROGRESS.finditer(ascii_text)]
    tokens.sort(key=lambda t: t[0])
    reports: dict[int, _Report] = {}
    undated: list[int] = []  # headers still waiting for their date and note

    def report(no: int, offset: int) -> _Report:
        if no not in reports:
            reports[no] = _Report(no, line_at(offset))
        return reports[no]

    lead = text[: tokens[0][0]] if tokens else text
    if lead.strip(" \t\n:"):
        message = _("text before the first report, skipped: {text}")
        reader.warn(line_at(0), "reports", message.format(text=excerpt(lead.strip(), 60)))
    for index, (start, end, kind, match) in enumerate(tokens):
        seg_end = tokens[index + 1][0] if index + 1 < len(tokens) else len(text)
        segment, ascii_segment = text[end:seg_end], ascii_text[end:seg_end]
        if kind == "header":
            no = int(match.group(1) or match.group(2))
            if no in reports and "date" in reports[no].values:
                message = _("report {no} appears twice; the second is ignored")
                reader.warn(line_at(start), f"reports[{no}]", message.format(no=no))
                continue
            report(no, start)
            undated.append(no)
            _date_note(reader, reports, undated, segment, ascii_segment, end, line_at, after=None)
        else:
            no = int(match.group("no"))
            current = report(no, start)
            if "progress" in current.values or "disbursed" in current.values:
                message = _("a second line of figures for report {no}; it is ignored")
                reader.warn(line_at(start), f"reports[{no}]", message.format(no=no))
                current = _Report(no, line_at(start))  # read, so its labels are not misplaced, then dropped
            _progress(reader, current, match, line_at(start))
            _date_note(reader, reports, undated, segment, ascii_segment, end, line_at, after=current)
    return _complete(reader, reports)


def _progress(reader: _Reader, current: _Report, match: re.Match[str], line: int) -> None:
    for key, read in (("progress", parse_percent), ("disbursed", parse_money)):
        try:
            current.values[key] = read(match.group(key))
        except NumberInputError as error:
            reader.unreadable(line, f"reports[{current.no}].{key}", error)


def _date_note(
    reader: _Reader,
    reports: dict[int, _Report],
    undated: list[int],
    segment: str,
    ascii_segment: str,
    offset: int,
    line_at: Any,
    after: _Report | None,
) -> None:
    """A segment between two markers: status labels (after a progress line), then maybe the
    ``:: date : note`` of the latest report header still waiting for one."""
    found = _DATE_NOTE.search(ascii_segment)
    labels_text = segment[: found.start()] if found else segment
    if after is not None:
        _statuses(reader, after, labels_text, line_at(offset))
    elif labels_text.strip(" \t\n:") and not found and undated:
        # A header followed by text but no readable date: the note is there, the date is not.
        target = reports[undated[-1]]
        target.values["note"] = " ".join(labels_text.strip(" \t\n:").split())
        reader.warn(
            line_at(offset), f"reports[{target.no}].date", _("no readable date after the report's header")
        )
        return
    if not found:
        return
    if not undated:
        reader.warn(
            line_at(offset + found.start()), "reports", _("a date and note with no report header, skipped")
        )
        return
    target = reports[undated.pop()]
    try:
        target.values["date"] = parse_date(found.group("date") or found.group("bare"))
    except DateInputError as error:
        reader.unreadable(line_at(offset + found.start()), f"reports[{target.no}].date", error)
    note = " ".join(segment[found.end() :].split()).strip()
    if note:
        target.values["note"] = note


def _statuses(reader: _Reader, current: _Report, text: str, line: int) -> None:
    pieces = [p.strip() for p in _STATUS_SPLIT.split(text) if p.strip()]
    for piece in pieces:
        value, _score = fuzzy_choice(piece, _STATUS_CHOICES)
        if value is None and " " in piece:
            # At most three labels follow a report's figures; a longer run of words is noise.
            words = piece.split()
            for word in words[:MAX_STATUS_WORDS]:
                _one_status(reader, current, word, line)
            if len(words) > MAX_STATUS_WORDS:
                skipped = len(words) - MAX_STATUS_WORDS
                message = _("{skipped} more words after the report's figures, skipped")
                reader.warn(line, f"reports[{current.no}]", message.format(skipped=skipped))
            continue
        _one_status(reader, current, piece, line)


def _one_status(reader: _Reader, current: _Report, piece: str, line: int) -> None:
    where = f"reports[{current.no}]"
    value = value_for_label(piece, (*PLAN_STATUSES, *TARGET_STATUSES, *EVENTS))
    fuzzy = False
    if value is None:
        # The negation ไม่ flips a status, so it is read on its own, never fuzzily: a text
        # starting with ไม (tone mark or not) is matched among the negative labels only.
        negative = _norm(piece).startswith("ไม")
        choices = {text: v for text, v in _STATUS_CHOICES.items() if text.startswith("ไม่") == negative}
        value, fuzzy = fuzzy_choice(piece, choices)
    if value is None:
        message = _("'{piece}' is not a status of the form; left out")
        reader.warn(line, where, message.format(piece=excerpt(piece, 40)))
        return
    key = (
        "plan_status" if value in PLAN_STATUSES else "target_status" if value in TARGET_STATUSES else "event"
    )
    if fuzzy:
        message = _("read the misspelt '{piece}' as '{label}' ({value})")
        reader.warn(line, f"{where}.{key}", message.format(piece=piece, label=label(value), value=value))
    if key in current.values and current.values[key] != value:
        message = _("a second {key} '{piece}' is ignored")
        reader.warn(line, f"{where}.{key}", message.format(key=key, piece=piece))
        return
    current.values[key] = value


def _complete(
    reader: _Reader, reports: dict[int, _Report]
) -> tuple[list[dict[str, Any]], tuple[LeftOut, ...]]:
    out: list[dict[str, Any]] = []
    left_out: list[LeftOut] = []
    for no in sorted(reports):
        found = reports[no]
        missing = [key for key in REPORT_REQUIRED if key not in found.values]
        if missing:
            why = _("its {fields} cannot be read").format(fields=", ".join(missing))
            message = _("report {no} is left out: {why}")
            reader.warn(found.line, f"reports[{no}]", message.format(no=no, why=why))
            left_out.append(LeftOut(no, found.line, why))
            continue
        out.append({"no": no, **found.values})  # the required values, and the event if any
    if out and "event" not in out[-1] and event_in_note(out[-1]["note"]):
        out[-1]["event"] = event_in_note(out[-1]["note"])
    return out, tuple(left_out)


def _check_used(reader: _Reader, reports: list[dict[str, Any]]) -> None:
    """งบประมาณที่ใช้ไป is derived (the latest disbursed): not stored, but a mismatch is news."""
    raw = reader.fields.get("used")
    if not raw:
        return
    try:
        used = parse_money(raw)
    except NumberInputError:
        return
    latest: Decimal = reports[-1]["disbursed"]
    if used != latest:
        message = _(
            "the form says {raw} used, but the latest report disbursed {latest}; the reports are kept"
        )
        reader.warn(reader.field_lines.get("used"), "used", message.format(raw=raw, latest=latest))
