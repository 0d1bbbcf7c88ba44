"""Reading a KPI page of the old BMA system (its ``mykpi`` page saved as text) into the data of
a KPI record (format 2, ``kind = "kpi"``, DESIGN20's keys).

Pure text in, ``legacy.Imported(data, warnings)`` out. What the page prints is read exactly:
numbers as the exact Decimals written (``45.00`` stays ``45.00``), dates as
``calendar.parse_printed_date`` reads them (``28/10/2563`` day-first in BE, ``1/31/2021``
month-first as the system prints Gregorian dates); a date that reads two ways (``1/2/2021``)
is refused with its line, never guessed. What the page does not print is never guessed either:
the fiscal year (often absent), the department, whether less is better (when the name carries a
baseline) and the dates of สยป.'s evaluations come from the clerk (``KpiOptions``), and a
refusal names the option to give.

The page, as the system prints it (labels matched as the printout importer matches them:
``legacy.fuzzy_choice``; Thai digits, CRLF, blank lines or none, any spacing)::

    5.1 ความสำเร็จของการเบิกจ่ายงบประมาณในภาพรวม : 5026-2001      number, name : code
    ค่าเป้าหมาย ร้อยละ : 100                                       target, with its unit
    ผลงานที่ทำได้ ร้อยละ : 94.73                                    achieved (checked against the
    ประเภทตัวชี้วัด : ตัวชี้วัดงานประจำ                                 latest result, not stored)
    (ตัวชี้วัดระดับผลผลิต (output))
    ด้าน / มิติ / เป้าหมาย / คำนิยาม / สูตรการคำนวณ / แหล่งข้อมูล : ...   (a value may wrap)
    ผลงานเทียบกับเป้าหมายรายไตรมาส
    ไตรมาสที่ 1   30.12   100 / 100                                 cumulative result, score / full
    *** สยป. ตรวจประเมินตัวชี้วัด : ไตรมาสที่ 1: 100
    รายงานผลฯ ไตรมาสที่ 1
    28/10/2563 : note ...                                           (or undated)

A name that wraps onto a line ending in a number and the KPI's own unit (``2,419.97
ตันต่อวัน``) carries the KPI's baseline. A quarter whose cumulative result reads ``0.00`` after a
quarter with a result, and that has no progress note, is a quarter not yet reported (the system
prints 0.00 for it): it is left out, with a warning naming its line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from .calendar import DateInputError, ascii_digits, parse_printed_date
from .errors import InputError
from .findings import Finding, Severity
from .i18n import _
from .labels import KPI_ACHIEVED_LABEL, KPI_PAGE_TITLE, KPI_TABLE_HEADING, KPI_TARGET_LABEL
from .layout import KPI_ROW_ORDER, given
from .legacy import COUNT, PAGE_FOOTER, Imported, fuzzy_choice
from .money import NumberInputError, parse_decimal, typed_number
from .text import excerpt, printed_text

#: A number as the page prints it: ``int`` when whole without a point (``100``), else the exact
#: ``Decimal`` (``45.00``).
Number = Decimal | int

# The page's own words (the Thai the old system prints), and the record key each one fills.
_LABELS: dict[str, str] = {
    "หน่วยงาน": "agency.department",
    "ปีงบประมาณ": "fiscal_year",
    "ปีงบประมาณ พ.ศ.": "fiscal_year",
    "ประเภทตัวชี้วัด": "category",
    "คำนิยาม": "definition",
    "สูตรการคำนวณ": "formula",
    "แหล่งข้อมูล": "data_source",
    "ด้าน": "strategy.issue",
    "มิติ": "strategy.dimension",
    "เป้าหมาย": "strategy.goal",
}
#: Fields whose value may wrap onto the lines after its label.
_TEXT_FIELDS = frozenset(
    ("definition", "formula", "data_source", "strategy.issue", "strategy.dimension", "strategy.goal")
)
_CATEGORIES = {"ตัวชี้วัดงานประจำ": "routine", "ตัวชี้วัดเชิงยุทธศาสตร์": "strategic"}
_LEVELS = (("output", "ผลผลิต"), ("outcome", "ผลลัพธ์"))

# Matched on the text with Thai digits made ASCII (same length, same offsets).
_SPACES = re.compile(r"[ \t\f\u00a0]+")
_PAGE_HEADER = re.compile(r"\*{3,}[^*]*\*{3,}")
_FIELD = re.compile(r"^(?P<label>[^:]{1,60}?)\s*:\s*(?P<value>.*)$")
_NUMBER = r"[0-9][0-9,]*(?:\.[0-9]+)?"
_NAME_CODE = re.compile(r"^(?P<text>.*?)\s*:\s*(?P<code>[0-9]{4}\s*-\s*[0-9]{4})$")
_PLAN_NUMBER = re.compile(r"^(?P<number>[0-9]+(?:\.[0-9]+)+)\.?\s+(?P<rest>\S.*)$")
_BASELINE = re.compile(rf"^(?P<name>.*\S)\s+(?P<baseline>{_NUMBER})\s*(?P<unit>\S.*)$")
_LEVEL = re.compile(r"^\(\s*ตัวชี้วัดระดับ.*\)$")
#: "ไตรมาสที่ 3", as a row of the quarterly table, an evaluation and a note name their quarter.
_QUARTER = rf"ไตรมาส\s*ที่\s*(?P<quarter>{COUNT})"
_ROW = re.compile(
    rf"^{_QUARTER}(?:\s+(?P<value>{_NUMBER}))?(?:\s+(?P<score>{_NUMBER})\s*/\s*(?P<full>{_NUMBER}))?$"
)
_ROW_START = re.compile(rf"^{_QUARTER}")
_COLUMNS = re.compile(r"^ไตรมาส\s+\S")
_EVALUATED = re.compile(r"^\*{3}\s*สยป\.?\s*ตรวจประเมินตัวชี้วัด\s*:?\s*(?P<rest>.*)$")
_EVALUATED_ITEM = re.compile(rf"{_QUARTER}\s*:\s*(?P<score>{_NUMBER})")
_NOTE_HEADER = re.compile(rf"^รายงานผล\S*\s*{_QUARTER}\s*:?\s*(?P<rest>.*)$")
_NOTE_DATE = re.compile(
    r"^(?P<date>[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2})(?:\s*:\s*|\s+|$)"
)


@dataclass(frozen=True)
class KpiOptions:
    """What the clerk gives because the page does not print it (each an option of ``import``)."""

    fiscal_year: int | None = None
    department: str | None = None
    direction: str | None = None
    evaluation_dates: Mapping[int, date] = field(default_factory=dict)


class MissingOptionError(InputError):
    """The page does not print a value the record needs; the message names the option."""


def is_kpi_page(text: str) -> bool:
    """Whether ``text`` is a KPI page (a target and a quarterly table or an achieved line, and
    no project code), not a project printout of the form."""
    flat = _SPACES.sub("", printed_text(text))
    kpi = KPI_TARGET_LABEL in flat and (KPI_TABLE_HEADING in flat or KPI_ACHIEVED_LABEL in flat)
    return kpi and "รหัสโครงการ" not in flat


@dataclass
class _Note:
    quarter: int
    line: int
    parts: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class _Row:
    line: int
    value: Number | None
    score: Number | None
    full: Number | None


class _Page:
    """One pass over the lines: fields, the name block, the table, the สยป. lines, the notes."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.warnings: list[Finding] = []
        self.fields: dict[str, str] = {}
        self.lines_of: dict[str, int] = {}
        self.name_block: list[tuple[int, str]] = []
        self.rows: dict[int, _Row] = {}
        self.evaluated: list[tuple[int, int, Number]] = []  # (line, quarter, score)
        self.notes: dict[int, _Note] = {}
        self.note = _Note(0, 0)  # the note the lines being read belong to
        self.lacking: list[str] = []  # what the clerk must give as options
        self.level: str | None = None
        self.unit = ""
        self.target: Number | None = None
        self.achieved: tuple[int, str, Number] | None = None
        self.lines = [
            (number, "" if PAGE_FOOTER.match(ascii_digits(line)) else line)
            for number, raw in enumerate(printed_text(text).split("\n"), start=1)
            for line in [_SPACES.sub(" ", _PAGE_HEADER.sub(" ", raw)).strip()]
        ]

    def warn(self, line: int | None, field_name: str, message: str) -> None:
        self.warnings.append(
            Finding(self.source, line, field_name, "legacy-import", Severity.WARNING, message)
        )

    def refuse(self, line: int | None, field_name: str, message: str) -> InputError:
        return InputError(message, path=self.source, line=line, field=field_name)

    def read(self) -> None:
        section = "head"
        last: str | None = None  # the text field a wrapped line continues
        for number, text in self.lines:
            if not text:
                continue
            plain = ascii_digits(text)
            if evaluated := _EVALUATED.match(text):
                self.evaluated_line(number, ascii_digits(evaluated.group("rest")))
                continue
            if note := _NOTE_HEADER.match(plain):
                section, last = "notes", None
                self.note_header(number, int(note.group("quarter")), text[note.start("rest") :])
                continue
            if section == "notes" and (_NAME_CODE.match(plain) or _SPACES.sub("", text) == KPI_PAGE_TITLE):
                self.name_line(number, text)  # a second page: refused
            if section == "notes":
                self.note.parts.append((number, text))
                continue
            if _SPACES.sub("", text) == KPI_TABLE_HEADING:
                section, last = "table", None
                continue
            if section == "table":
                if self.table_line(number, plain):
                    continue
                section = "head"
            if _LEVEL.match(text):
                self.level_line(number, text)
                last = None
                continue
            if _NAME_CODE.match(plain):
                last = None
                self.name_line(number, text)
                continue
            if (key := self.field_line(number, text)) is not None:
                last = key if key in _TEXT_FIELDS else None
                continue
            if _PLAN_NUMBER.match(plain):
                last = None
                self.name_line(number, text)
                continue
            if self.name_block and "code" not in self.fields:
                self.name_block.append((number, text))
            elif last is not None:
                self.fields[last] += " " + text  # a wrapped value
            elif _SPACES.sub("", text) != KPI_PAGE_TITLE:
                message = _("text outside any field of the page, skipped: {text}")
                self.warn(number, "", message.format(text=excerpt(text, 60)))

    # --- one kind of line each ----------------------------------------------------------------

    def field_line(self, number: int, text: str) -> str | None:
        if not (match := _FIELD.match(text)):
            return None
        label, value = match.group("label").strip(), match.group("value").strip()
        flat = _SPACES.sub("", label)
        for prefix, measure in ((KPI_TARGET_LABEL, "target"), (KPI_ACHIEVED_LABEL, "achieved")):
            if flat.startswith(prefix) and label.startswith(prefix):
                self.measure_line(number, measure, label[len(prefix) :].strip(), value)
                return measure
        key, fuzzy = fuzzy_choice(label, _LABELS)
        if key is None:
            return None
        if fuzzy:
            self.warn(number, key, _("read the label '{label}' as '{known}'").format(
                label=label, known=next(k for k, v in _LABELS.items() if v == key)))  # fmt: skip
        if key in self.fields:
            if self.fields[key] != value:
                message = _("a second, different value '{value}' is ignored")
                self.warn(number, key, message.format(value=excerpt(value, 40)))
            return None
        self.fields[key], self.lines_of[key] = value, number
        return key

    def number(self, line: int, field_name: str, text: str) -> Number:
        """The exact Decimal printed (``45.00`` stays ``45.00``); a whole number printed without
        a point (``100``) is an ``int``, so the record says ``target = 100`` as the page does."""
        try:
            return typed_number(parse_decimal(text))
        except NumberInputError as error:
            raise self.refuse(line, field_name, str(error)) from None

    def measure_line(self, number: int, key: str, unit: str, value: str) -> None:
        amount = self.number(number, key, value)
        if key == "target":
            if self.target is not None:
                raise self.refuse(number, key, _("the page prints a second target"))
            if not unit:
                raise self.refuse(number, "unit", _("the target has no unit (ร้อยละ, ตันต่อวัน, ...)"))
            self.unit, self.target = unit, amount
            self.lines_of["target"] = number
        else:
            self.achieved = (number, unit, amount)

    def level_line(self, number: int, text: str) -> None:
        found = [key for key, word in _LEVELS if word in text or f"({key})" in text.lower()]
        if len(found) != 1:
            message = _("'{text}' is neither an output nor an outcome level")
            raise self.refuse(number, "level", message.format(text=text))
        self.level = found[0]
        self.lines_of["level"] = number

    def name_line(self, number: int, text: str) -> None:
        if "code" in self.fields:  # the page has one: a second page starts here
            raise self.refuse(number, "name", _(
                "a second name and code ({text}): the file holds two KPI pages (or one twice); save each "
                "page in a file of its own; nothing was written"
            ).format(text=excerpt(text, 60)))  # fmt: skip
        if _PLAN_NUMBER.match(ascii_digits(text)):
            self.name_block = []
        self.name_block.append((number, text))
        joined = " ".join(line for _, line in self.name_block)
        match = _NAME_CODE.match(ascii_digits(joined))
        if match:
            self.fields["code"] = match.group("code").replace(" ", "")
            self.fields["name"] = joined[: match.end("text")]
            self.lines_of["code"] = self.lines_of["name"] = self.name_block[0][0]

    def table_line(self, number: int, plain: str) -> bool:
        """A row of the quarterly table or its columns' heading (True), or the end of the table
        (False) once a row was read: before that, any other line is a row that cannot be read."""
        match = _ROW.match(plain)
        start = _ROW_START.match(plain)
        if not match and (start or not (self.rows or _COLUMNS.match(plain))):  # a row, never skipped
            where = f"results[{start.group('quarter')}]" if start else "results"
            raise self.refuse(number, where, _(
                "'{text}' cannot be read as a quarter's row: its cumulative result, then its score / "
                "full score, each a number such as 45.00 or 100 / 100; nothing was written"
            ).format(text=plain))  # fmt: skip
        if not match:
            return _COLUMNS.match(plain) is not None
        quarter = int(match.group("quarter"))
        where = f"results[{quarter}]"
        if not 1 <= quarter <= 4:
            raise self.refuse(number, where, _("there is no quarter {quarter}").format(quarter=quarter))
        if quarter in self.rows:
            message = _("a second row for quarter {quarter} is ignored")
            self.warn(number, where, message.format(quarter=quarter))
            return True
        value, score, full = (
            self.number(number, where, match.group(name)) if match.group(name) else None
            for name in ("value", "score", "full")
        )
        self.rows[quarter] = _Row(number, value, score, full)
        return True

    def evaluated_line(self, number: int, rest: str) -> None:
        items = list(_EVALUATED_ITEM.finditer(rest))
        if not items:
            self.warn(number, "evaluations", _("a สยป. line with no quarter and score, skipped"))
        for item in items:
            quarter = int(item.group("quarter"))
            if not 1 <= quarter <= 4:
                message = _("there is no quarter {quarter}")
                raise self.refuse(number, "evaluations", message.format(quarter=quarter))
            self.evaluated.append((number, quarter, self.number(number, "evaluations", item.group("score"))))

    def note_header(self, number: int, quarter: int, rest: str) -> None:
        where = f"results[{quarter}].note"
        if not 1 <= quarter <= 4:
            raise self.refuse(number, where, _("there is no quarter {quarter}").format(quarter=quarter))
        if quarter in self.notes:
            message = _("a second progress note for quarter {quarter}")
            raise self.refuse(number, where, message.format(quarter=quarter))
        self.note = self.notes[quarter] = _Note(quarter, number)
        if rest.strip():
            self.note.parts.append((number, rest.strip()))


def parse_kpi_page(text: str, source: str = "<page>", options: KpiOptions | None = None) -> Imported:
    """Read a KPI page's text into KPI record data; ``InputError`` (file, line, field) when a
    value cannot be read exactly, ``MissingOptionError`` naming the option for what it lacks."""
    options = options or KpiOptions()
    page = _Page(text, source)
    page.read()
    fields = page.fields
    found = {**fields, "target": page.target, "level": page.level}
    missing = [name for name in ("code", "name", "target", "category", "level") if found.get(name) is None]
    if missing:
        message = _("cannot import: the page does not hold {fields}; is it a KPI page? nothing was written")
        raise InputError(message.format(fields=", ".join(missing)), path=source)
    assert page.target is not None and page.level is not None
    data: dict[str, Any] = {"format": 2, "kind": "kpi", "code": fields["code"]}
    name = fields["name"]
    if number := _PLAN_NUMBER.match(ascii_digits(name)):
        data["number"] = number.group("number")
        name = name[number.start("rest") :]
    baseline = _BASELINE.match(ascii_digits(name))
    if baseline and _SPACES.sub("", baseline.group("unit")) == _SPACES.sub("", page.unit):
        data["baseline"] = page.number(page.lines_of["name"], "baseline", baseline.group("baseline"))
        name = name[: baseline.end("name")]
    data["name"] = name.strip()
    data["fiscal_year"] = _fiscal_year(page, options)
    category, fuzzy = fuzzy_choice(fields["category"], _CATEGORIES)
    if fuzzy:
        page.warn(page.lines_of["category"], "category", _("read the label '{label}' as '{known}'").format(
            label=fields["category"], known=next(k for k, v in _CATEGORIES.items() if v == category)))  # fmt: skip
    if category is None:
        raise page.refuse(
            page.lines_of["category"], "category",
            _("'{text}' is neither ตัวชี้วัดงานประจำ nor ตัวชี้วัดเชิงยุทธศาสตร์").format(text=fields["category"]),
        )  # fmt: skip
    data.update(category=category, level=page.level, unit=page.unit, target=page.target)
    data["agency"] = {"department": _department(page, options)}
    data |= given(
        direction=_direction(page, options, "baseline" in data),
        **{key: fields.get(key) for key in ("definition", "formula", "data_source")},
        strategy=given(**{key: fields.get(f"strategy.{key}") for key in ("issue", "dimension", "goal")}),
        results=_results(page),
        evaluations=_evaluations(page, options),
    )
    if page.lacking:
        message = _("cannot import: the page does not print {what}; nothing was written")
        raise MissingOptionError(message.format(what="; ".join(page.lacking)), path=source)
    return Imported(data, tuple(sorted(page.warnings, key=Finding.sort_key)))


def _fiscal_year(page: _Page, options: KpiOptions) -> int:
    printed = page.fields.get("fiscal_year")
    if printed is None:
        if options.fiscal_year is None:
            page.lacking.append(_("its fiscal year: give --fiscal-year (such as --fiscal-year 2564)"))
            return 0
        return options.fiscal_year
    line = page.lines_of["fiscal_year"]
    digits = ascii_digits(printed).strip()
    if not re.fullmatch(r"[0-9]{4}", digits) or int(digits) < 2400:
        raise page.refuse(line, "fiscal_year", _("'{text}' is not a Buddhist Era year").format(text=printed))
    if options.fiscal_year is not None and options.fiscal_year != int(digits):
        raise page.refuse(
            line, "fiscal_year",
            _("the page prints fiscal year {printed} but --fiscal-year gives {given}; nothing was written").format(
                printed=digits, given=options.fiscal_year),
        )  # fmt: skip
    return int(digits)


def _department(page: _Page, options: KpiOptions) -> str:
    printed = page.fields.get("agency.department")
    given = (options.department or "").strip()
    if not printed:
        if not given:
            page.lacking.append(_("its department: give --department (such as --department สำนักสิ่งแวดล้อม)"))
        return given
    if given and given != printed:
        raise page.refuse(
            page.lines_of["agency.department"], "agency.department",
            _("the page prints the department '{printed}' but --department gives '{given}'; nothing was written").format(
                printed=printed, given=given),
        )  # fmt: skip
    return printed


def _direction(page: _Page, options: KpiOptions, has_baseline: bool) -> str | None:
    if options.direction is not None:
        return options.direction
    if has_baseline:
        page.lacking.append(_(
            "whether less is better for this KPI with a baseline (line {line}): give --direction lower "
            "or --direction higher"
        ).format(line=page.lines_of.get("name")))  # fmt: skip
    return None


def _results(page: _Page) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    reported = False
    for quarter, row in sorted(page.rows.items()):
        note = page.notes.get(quarter)
        where = f"results[{quarter}]"
        if row.value is None:
            if note is not None:
                page.warn(note.line, f"{where}.note", _(
                    "a progress note for quarter {quarter}, which has no result in the table; left out"
                ).format(quarter=quarter))  # fmt: skip
            continue
        if row.value == 0 and reported and note is None:
            page.warn(row.line, f"{where}.value", _(
                "quarter {quarter} reads 0.00 after a reported quarter and has no progress note: "
                "not reported yet; left out"
            ).format(quarter=quarter))  # fmt: skip
            continue
        reported = reported or row.value > 0
        day, text = _note(page, note) if note is not None else (None, "")
        results.append({"quarter": quarter, "value": row.value, **given(date=day, note=text)})
    for quarter, note in sorted(page.notes.items()):
        if quarter not in page.rows:
            page.warn(note.line, f"results[{quarter}].note", _(
                "a progress note for quarter {quarter}, which has no row in the table; left out"
            ).format(quarter=quarter))  # fmt: skip
    if page.achieved is not None and results:
        line, unit, achieved = page.achieved
        latest = results[-1]["value"]
        if achieved != latest or (unit and _SPACES.sub("", unit) != _SPACES.sub("", page.unit)):
            page.warn(line, "achieved", _(
                "the page says {achieved} {unit} achieved, but the latest result is {latest} {target_unit}; "
                "the results are kept"
            ).format(achieved=achieved, unit=unit, latest=latest, target_unit=page.unit))  # fmt: skip
    return results


def _note(page: _Page, note: _Note) -> tuple[date | None, str]:
    """A progress note's date (None when undated) and text, its lines joined with a space."""
    if not note.parts:
        return None, ""
    line, first = note.parts[0]
    day = None
    if found := _NOTE_DATE.match(ascii_digits(first)):
        try:
            day = parse_printed_date(found.group("date"))
        except DateInputError as error:
            raise page.refuse(line, f"results[{note.quarter}].date", str(error)) from None
        first = first[found.end() :]
    text = " ".join(part for part in [first, *(t for _, t in note.parts[1:])] if part.strip())
    return day, text.strip()


def _evaluations(page: _Page, options: KpiOptions) -> list[dict[str, Any]]:
    """Per quarter: the table's ``score / full`` and the สยป. line's score, which must agree."""
    found: dict[int, tuple[int, Number, Number | None]] = {}
    for quarter, row in page.rows.items():
        if row.score is not None:
            found[quarter] = (row.line, row.score, row.full)
    for line, quarter, score in page.evaluated:
        where = f"evaluations[{quarter}].score"
        if quarter in found and found[quarter][1] != score:
            raise page.refuse(line, where, _(
                "สยป. scored quarter {quarter} {score} here but {table} in the table (line {table_line}); "
                "the page contradicts itself, nothing was written"
            ).format(quarter=quarter, score=score, table=found[quarter][1], table_line=found[quarter][0]))  # fmt: skip
        found.setdefault(quarter, (line, score, None))
    undated = [quarter for quarter in sorted(found) if quarter not in options.evaluation_dates]
    if undated:
        page.lacking.append(_(
            "the day of สยป.'s evaluation of quarter(s) {quarters} (line {line}): give --evaluation-date "
            "QUARTER=DATE for each (such as --evaluation-date {first}=20/01/2564)"
        ).format(quarters=", ".join(map(str, undated)), line=found[undated[0]][0], first=undated[0]))  # fmt: skip
        return []
    dates = options.evaluation_dates
    return [
        {"quarter": quarter, "score": score, **given(full_score=full), "date": dates[quarter]}
        for quarter, (_line, score, full) in sorted(found.items())
    ]


#: What a KPI page shows, so what an import over an existing KPI record replaces; every other
#: key of that record (``projects``, and any the page cannot print) is kept from it.
PAGE_KEYS = frozenset(
    (
        "format", "kind", "code", "number", "name", "fiscal_year", "category", "level", "unit", "target",
        "baseline", "direction", "definition", "formula", "data_source", "agency.department",
        "strategy.issue", "strategy.dimension", "strategy.goal",
    )
)  # fmt: skip


def merge_kpi(page: Mapping[str, Any], record: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """A page's KPI data over an existing KPI record's: the page replaces what it shows; what
    it cannot show is kept, and named (keys, and rows of quarters the page lacks)."""
    data = {key: dict(value) if isinstance(value, Mapping) else value for key, value in page.items()}
    kept: list[str] = []
    for key, value in record.items():
        if key in KPI_ROW_ORDER:  # its arrays of tables: results, evaluations
            shown = {row.get("quarter") for row in data.get(key, []) if isinstance(row, Mapping)}
            lacking = [row for row in value if isinstance(row, Mapping) and row.get("quarter") not in shown]
            if lacking:
                rows = [*data.get(key, []), *lacking]
                data[key] = sorted(rows, key=lambda row: int(row.get("quarter") or 0))
                kept += [f"{key}[{row.get('quarter')}]" for row in lacking]
        elif isinstance(value, Mapping) and isinstance(data.get(key, {}), Mapping):
            table = data.setdefault(key, {})
            for sub, sub_value in value.items():
                if f"{key}.{sub}" not in PAGE_KEYS or sub not in table:
                    table[sub] = sub_value
                    kept.append(f"{key}.{sub}")
        elif key not in PAGE_KEYS or key not in data:
            data[key] = value
            kept.append(key)
    return data, tuple(kept)
