"""The JSON Schema is the one source of truth for a record's structure; this applies it.

TOML values are turned into what a JSON Schema validator reads (dates as ISO strings, as
check-jsonschema does), checked with jsonschema-rs (exact with ``Decimal``, every error with
its path), and each error is turned into a finding whose sentence a clerk understands.
Money's 2 decimals are the schema's annotation ``x-decimals``, checked here on ``Decimal``
(``multipleOf`` would be misread by the float-based validators editors and CI run).

Where the schema says ``format: date`` the record must hold a real TOML date: a quoted string
passes a JSON validator, so the positions of date fields are read from the schema itself and
the Python type checked there; a date-time or a time is named as such.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from .calendar import DateInputError, end_window, fiscal_year_bounds, parse_date, start_window
from .errors import raise_if_stopped
from .i18n import N_, _
from .kinds import KindKey, kind_of
from .locate import format_field

Problem = tuple[tuple[str | int, ...], str, str]  # (instance path, rule id, message)


#: The key of the project record of format 1, whose schema is the one editors are shown first.
PROJECT: KindKey = (1, "project")


@cache
def schema_text(key: KindKey = PROJECT) -> str:
    text: str = _schema_file(kind_of(key).schema_file).read_text("utf-8")
    return text


def schema_name(key: KindKey = PROJECT) -> str:
    """The file name of the schema of the kind ``key`` (as ``init`` copies it)."""
    return Path(kind_of(key).schema_file).name


def _schema_file(name: str | Path) -> Any:
    """The installed schema file ``name``: found where the package's spec says it lies (the way
    the cache's fingerprint finds it), else through ``importlib.resources``, which costs every
    run about 4 ms of imports before the first record is read. A ``Path`` is that file."""
    if isinstance(name, Path):
        return name
    from importlib.util import find_spec

    spec = find_spec("projledger.schemas")
    for folder in (spec and spec.submodule_search_locations) or []:
        candidate = Path(folder, name)
        if candidate.is_file():
            return candidate
    from importlib import resources

    return resources.files("projledger.schemas").joinpath(name)


@cache
def schema(key: KindKey = PROJECT) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text(key))
    return loaded


@cache
def _validator(key: KindKey) -> Any:
    return jsonschema_rs.validator_for(schema(key), validate_formats=True)


def schema_path(key: KindKey = PROJECT) -> str:
    """Where the installed schema lives on disk (for editors and ``projledger schema --path``)."""
    return str(_schema_file(kind_of(key).schema_file))


def check_structure(data: dict[str, Any], key: KindKey = PROJECT) -> list[Problem]:
    """Every place where ``data`` breaks the schema, as (path, rule, message), path 0-based."""
    validator = _validator(key)
    decimals = decimal_problems(data, key)
    if not decimals and not _floats_for_whole_numbers(data, key) and _valid_as_it_is(data, key, validator):
        raise_if_stopped()
        return []
    problems: list[Problem] = list(decimals)
    instance, odd_dates = _to_json(data)
    for error in validator.iter_errors(instance):
        where = _pinpoint(error)
        if where in odd_dates and type(error.kind).__name__ == "Format":
            continue  # a date-time where a date belongs: said once, by date-type
        problems.append((where, *_explain(error, where, key)))
    problems = _merge_misspellings(problems)
    problems = _misread_values(data, key, problems)
    # A date field is said wrong once: by date-type when it can say what to write instead
    # (a quoted date, a number), else by bad-date (a quoted day that does not exist).
    date_fixes = _date_type_problems(data, key, odd_dates)
    bad_formats = {p[0] for p in problems if p[1] == "bad-date"}
    date_fixes = [p for p in date_fixes if not p[2].startswith(_NO_HINT) or p[0] not in bad_formats]
    fixed = {p[0] for p in date_fixes}
    problems = [p for p in problems if not (p[0] in fixed and p[1] in ("bad-date", "wrong-type"))]
    problems.extend(date_fixes)
    unique = list(dict.fromkeys((where, rule) for where, rule, _ in problems))  # "" breaks two keywords
    first = {(where, rule): message for where, rule, message in reversed(problems)}
    raise_if_stopped()
    return sorted(((w, r, first[w, r]) for w, r in unique), key=lambda p: (format_field(p[0]), p[1]))


def _misread_values(data: dict[str, Any], key: KindKey, problems: list[Problem]) -> list[Problem]:
    """What the validator takes for what it is not, made wrong-type at its field (one finding):
    a TOML date, date-time or time where the schema wants no date (the validator reads it as
    its ISO text, which a text field, a name or a note, accepts), and a TOML float with no
    fraction where it wants a whole number (``fiscal_year = 2565.0``: JSON Schema counts 2565.0
    an integer). Either was taken into the record as it was, and every command crashed on it."""
    nodes = dict(_nodes(schema(key)))
    dates = set(_positions(key, "format", "date"))
    kept = problems
    for where, value in _odd_values(data):
        pattern = tuple("*" if isinstance(part, int) else part for part in where)
        node = nodes.get(pattern)
        if pattern in dates or node is None or "type" not in node:
            continue  # a date position (date-type says), an unknown key or an enum: said already
        types = node["type"] if isinstance(node["type"], list) else [node["type"]]
        if isinstance(value, Decimal) and "integer" not in types:
            continue
        shown = _show(value)
        if isinstance(value, Decimal) and value.is_finite() and value.adjusted() < 20 and "." not in shown:
            shown = f"{value:f}.0"  # 1e0, 2.565e3: a float all the same
        kept = [p for p in kept if p[0] != where]
        kept.append((where, "wrong-type", _should_be(shown, types, str(node.get("title", "")))))
    return kept


@cache
def _positions(key: KindKey, keyword: str, value: str) -> tuple[tuple[str, ...], ...]:
    """Paths (``*`` for any array item) where the schema says ``keyword: value``: where it wants
    a whole number (``type: integer``), a date (``format: date``)."""
    return tuple(path for path, node in _nodes(schema(key)) if node.get(keyword) == value)


def _floats_for_whole_numbers(data: dict[str, Any], key: KindKey) -> bool:
    """Whether a float stands where a whole number belongs (the validator takes 2565.0)."""
    return any(
        isinstance(value, (Decimal, float))
        for pattern in _positions(key, "type", "integer")
        for _where, value in _values_at(data, pattern)
    )


def _odd_values(value: Any, where: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every date, date-time, time and float (``Decimal``) in ``value``, with its path."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _odd_values(v, (*where, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _odd_values(v, (*where, i))
    elif isinstance(value, (date, time, Decimal, float)):
        yield where, value


def _merge_misspellings(problems: list[Problem]) -> list[Problem]:
    """A misspelt key is one mistake: drop "'progress' is missing" beside "unknown 'progres'"."""
    unknown = {(p[0][:-1], str(p[0][-1])) for p in problems if p[1] == "unknown-key"}
    kept = []
    for problem in problems:
        where, rule, _ = problem
        if rule == "missing-key":
            siblings = [name for parent, name in unknown if parent == where[:-1]]
            import difflib  # only for failing files

            if difflib.get_close_matches(str(where[-1]), siblings, n=1):
                continue
        kept.append(problem)
    return kept


def _pinpoint(error: Any) -> tuple[str | int, ...]:
    """The instance path, down to the key itself for a missing or unknown key."""
    where = tuple(error.instance_path)
    name = type(error.kind).__name__
    if name == "Required":
        return (*where, error.kind.property)
    if name == "AdditionalProperties":
        return (*where, sorted(error.kind.unexpected)[0])
    return where


def _valid_as_it_is(data: dict[str, Any], key: KindKey, validator: Any) -> bool:
    """True when ``data`` holds a real date at every date position of the schema and is valid
    with those made ISO strings: the common case, without ``_to_json``'s walk of every value.

    When True, the full walk finds nothing either: its instance differs only in date, date-time
    and time values elsewhere, and jsonschema-rs converts a value only when a keyword looks at
    it, and refuses such a value then (ValueError: False here, the full walk decides); and with
    a real date at every date position, date-type has nothing to say.
    """
    try:
        instance = _iso_dates(data, _date_tree(key))
        return bool(validator.is_valid(instance))
    except Exception:  # a value jsonschema-rs cannot take, a date-time at a date position
        return False


Tree = dict[str, Any]


@cache
def _date_tree(key: KindKey) -> Tree:
    """The date positions as one tree of their parts (``*``: any array item), so a walk visits
    each container once for all the paths through it; ``{}`` where a path ends."""
    tree: Tree = {}
    for path in _positions(key, "format", "date"):
        node = tree
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = {}
    return tree


#: The schema's own annotation of how many decimals an amount may have (money: 2, satang).
#: Not ``multipleOf``: validators that read TOML floats as binary floats (taplo, the engine of
#: Even Better TOML; check-jsonschema) find 0.28 "not a multiple of 0.01". Validators ignore an
#: unknown keyword, so the rule is projledger's, checked here exactly on ``Decimal``.
DECIMALS_KEYWORD = "x-decimals"


@cache
def decimal_positions(key: KindKey = PROJECT) -> tuple[tuple[tuple[str, ...], int], ...]:
    """(path, decimals allowed) for each place where the schema limits an amount's decimals."""
    nodes = _nodes(schema(key))
    return tuple(
        (path, node[DECIMALS_KEYWORD]) for path, node in nodes if isinstance(node.get(DECIMALS_KEYWORD), int)
    )


def _nodes(
    node: dict[str, Any], path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Every node of a schema with its path (``*`` for any array item), the node first."""
    yield path, node
    for key, child in node.get("properties", {}).items():
        yield from _nodes(child, (*path, key))
    if isinstance(node.get("items"), dict):
        yield from _nodes(node["items"], (*path, "*"))


def decimal_problems(data: Any, key: KindKey = PROJECT) -> list[Problem]:
    """Amounts with more decimals than the schema's ``x-decimals`` allow, as (path, "decimals",
    message). Exact: ``1000.10`` and ``1000.100`` have 2, ``120000.005`` has 3. A value that is not
    a finite number is left to the schema's own findings (wrong-type, non-finite)."""
    problems: list[Problem] = []
    for pattern, places in decimal_positions(key):
        for where, value in _values_at(data, pattern):
            if isinstance(value, bool) or not isinstance(value, (Decimal, float)):
                continue  # an int has no decimals; anything else is the schema's to refuse
            exact = value if isinstance(value, Decimal) else Decimal(repr(value))
            if not exact.is_finite() or exact.adjusted() > 20:
                continue  # nan, inf, an amount of absurd size: out-of-range or non-finite says
            if exact != exact.quantize(Decimal(1).scaleb(-places)):
                text = _("{value} has more than {places} decimals; baht take at most {places} (satang)")
                problems.append((where, "decimals", text.format(value=_show(value), places=places)))
    return problems


def _iso_dates(node: Any, tree: Tree) -> Any:
    """``node`` with the dates at the ends of ``tree`` as ISO strings, only the containers on the
    way copied; ValueError when a value there is anything but a date."""
    if not tree:
        if type(node) is date:
            return node.isoformat()
        raise ValueError("not a date where a date belongs: the full walk says what it is")
    if isinstance(node, list):
        items = tree.get("*")
        return node if items is None else [_iso_dates(item, items) for item in node]
    if isinstance(node, dict):
        copy = None
        for key, sub in tree.items():
            if key in node:
                if copy is None:
                    copy = dict(node)
                copy[key] = _iso_dates(node[key], sub)
        return node if copy is None else copy
    return node


def _to_json(value: Any, where: tuple[str | int, ...] = ()) -> tuple[Any, dict[tuple[str | int, ...], str]]:
    """TOML values to JSON-schema values; returns also where date-times and times stood."""
    odd: dict[tuple[str | int, ...], str] = {}

    def convert(item: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(item, dict):
            return {k: convert(v, (*path, k)) for k, v in item.items()}
        if isinstance(item, list):
            return [convert(v, (*path, i)) for i, v in enumerate(item)]
        if isinstance(item, datetime):
            odd[path] = N_("a date and time")
            return item.isoformat()
        if isinstance(item, date):
            return item.isoformat()
        if isinstance(item, time):
            odd[path] = N_("a time of day")
            return item.isoformat()
        return item

    return convert(value, where), odd


def _values_at(
    data: Any, pattern: tuple[str, ...], where: tuple[str | int, ...] = ()
) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    if not pattern:
        yield where, data
        return
    head, rest = pattern[0], pattern[1:]
    if head == "*":
        if isinstance(data, list):
            for index, item in enumerate(data):
                yield from _values_at(item, rest, (*where, index))
    elif isinstance(data, dict) and head in data:
        yield from _values_at(data[head], rest, (*where, head))


def _date_type_problems(
    data: dict[str, Any], key: KindKey, odd: dict[tuple[str | int, ...], str]
) -> list[Problem]:
    problems: list[Problem] = []
    for pattern in _positions(key, "format", "date"):
        for where, value in _values_at(data, pattern):
            if where in odd:
                text = _("{what} where a date belongs: write only the date, like {example}")
                message = text.format(what=_(odd[where]), example=_example(data, where))
            elif isinstance(value, str):
                hint = _date_hint(value, data, where)
                message = (
                    _("a date must be written without quotes, like {hint}").format(hint=hint)
                    if hint
                    else _("{rule}, like {example}").format(rule=_(_NO_HINT), example=_example(data, where))
                )
            elif not isinstance(value, date):
                text = _("{value} is not a date: write one without quotes, like {example}")
                message = text.format(value=_show(value), example=_example(data, where))
            else:
                continue
            problems.append((where, "date-type", message))
    return problems


_NO_HINT = N_("a date must be written without quotes, as yyyy-mm-dd with a Gregorian year")


def _date_hint(text: str, data: dict[str, Any], where: tuple[str | int, ...]) -> str | None:
    """The TOML date a quoted date means (BE ``25/10/2566`` -> ``2023-10-25``), if it is one;
    one the rules accept there instead when they would refuse it (a start or end far from the
    fiscal year: ``fiscal-year-range``)."""
    try:
        day = parse_date(text.strip())
    except (DateInputError, ValueError, OverflowError):
        return None
    window = _window(data, where)
    return day.isoformat() if window is None or window[0] <= day <= window[1] else _example(data, where)


def _window(data: dict[str, Any], where: tuple[str | int, ...]) -> tuple[date, date] | None:
    """The days the rules accept at ``start`` or ``end`` for the record's fiscal year; None
    elsewhere, or when the fiscal year is not one (the schema says so)."""
    fiscal_year = data.get("fiscal_year")
    if type(fiscal_year) is not int or not 2400 <= fiscal_year <= 3000 or where not in (("start",), ("end",)):
        return None
    return start_window(fiscal_year) if where == ("start",) else end_window(fiscal_year)


def _example(data: dict[str, Any], where: tuple[str | int, ...]) -> str:
    """A date to show as an example at ``where`` that the rules would accept there: the first
    day of the record's fiscal year for a start, the later of its last day and the start for an
    end, the start for a report (2021-10-25 when the record says too little)."""
    window = _window(data, ("start",))
    if window is None:
        return "2021-10-25"
    first, last = fiscal_year_bounds(data["fiscal_year"])
    start = data.get("start")
    start = start if type(start) is date and window[0] <= start <= window[1] else None
    if where == ("start",):
        return first.isoformat()
    if where == ("end",):
        return max(last, start or last).isoformat()
    return (start or first).isoformat()


def _explain(error: Any, where: tuple[str | int, ...], key: KindKey) -> tuple[str, str]:
    """(rule id, clerk's sentence) for one schema error."""
    kind = error.kind
    name = type(kind).__name__
    node = _node(error.schema_path, key)  # the schema's node that holds the broken keyword
    title = str(node.get("title", ""))
    # what most sentences name (``str.format`` ignores the names a sentence does not use)
    said = {"value": _show(error.instance), "about": _about(title), "limit": getattr(kind, "limit", None)}
    if name == "Required":
        about = _about(str(node.get("properties", {}).get(kind.property, {}).get("title", "")))
        return "missing-key", _("the required key '{key}'{about} is missing").format(
            key=kind.property, about=about
        )
    if name == "AdditionalProperties":
        keys = list(kind.unexpected)
        forbidden = _forbidden_keys(error.schema_path, error.instance, key)
        known = [name for name in node.get("properties", {}) if name not in forbidden]
        hints = []
        for key in keys:
            import difflib  # only for failing files

            close = difflib.get_close_matches(key, known, n=1)
            hints.append(f"'{key}'" + (_(" (did you mean '{key}'?)").format(key=close[0]) if close else ""))
        text = _("unknown key {keys}; allowed here: {known}")
        return "unknown-key", text.format(keys=", ".join(hints), known=", ".join(known))
    if name == "FalseSchema" and where and isinstance(where[-1], str):
        # a key the schema keeps for another format (``then: {properties: {key: false}}``)
        return "unknown-key", _(
            "unknown key '{key}' in a format {format} record; it belongs to a later format (run projledger migrate)"
        ).format(key=where[-1], format=key[0])
    if name == "Type":
        return "wrong-type", _should_be(_show(error.instance), kind.types, title)
    if name in ("Minimum", "ExclusiveMinimum"):
        return "out-of-range", _("{value} is below the minimum {limit}{about}").format(**said)
    if name in ("Maximum", "ExclusiveMaximum"):
        return "out-of-range", _("{value} is above the maximum {limit}{about}").format(**said)
    if name == "Enum":
        options = ", ".join(map(str, kind.options))
        return "not-allowed", _("{value} is not allowed{about}; use one of: {options}").format(
            **said, options=options
        )
    if name == "Constant":
        const = json.dumps(node.get("const"))
        return "not-allowed", _("{value} is not allowed{about}; it must be {const}").format(
            **said, const=const
        )
    if name == "MinLength" or (name == "Pattern" and kind.pattern == r"\S"):
        return "empty-text", _("must not be empty or blank{about}").format(**said)
    if name == "MaxLength":
        return "pattern", _("is longer than {limit} characters{about}").format(**said)
    if name == "Pattern":
        return "pattern", _("{value} does not have the expected form{about} (pattern {pattern})").format(
            **said, pattern=kind.pattern
        )
    if name == "Format":
        return "bad-date", _("{value} is not a real calendar date{about}").format(**said)
    return "schema", f"{error.message}{_about(title)}"


def _node(schema_path: Any, key: KindKey) -> dict[str, Any]:
    node: Any = schema(key)
    for part in list(schema_path)[:-1]:
        node = node[part]
    result: dict[str, Any] = node
    return result


def _forbidden_keys(schema_path: Any, instance: Any, key: KindKey) -> set[str]:
    """The keys an object's ``allOf: [{if, then: {properties: {key: false}}}]`` forbids for
    ``instance`` (a format-2 key in a format-1 record): not named as allowed there."""
    forbidden: set[str] = set()
    for entry in _node(schema_path, key).get("allOf", ()):
        then = entry.get("then", {}).get("properties", {})
        if "if" in entry and jsonschema_rs.is_valid(entry["if"], instance):
            forbidden |= {name for name, sub in then.items() if sub is False}
    return forbidden


def _about(title: str) -> str:
    return f" ({title})" if title else ""


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, (dict, list)):
        return _("a table") if isinstance(value, dict) else _("a list")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _should_be(shown: str, types: Any, title: str) -> str:
    """wrong-type's sentence, whether the validator or ``_misread_values`` found it."""
    return _("{value} should be {types}{about}").format(value=shown, types=_types(types), about=_about(title))


def _types(types: Any) -> str:
    names = {
        "string": _("text in quotes"),
        "number": _("a number"),
        "integer": _("a whole number"),
        "array": _("a list [...]"),
        "object": _("a table"),
        "boolean": _("true or false"),
    }
    return _(" or ").join(names.get(str(t), str(t)) for t in types)
