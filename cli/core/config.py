"""The repository's settings: ``projledger.toml``, found by walking up from a folder as git does.

Without one, the records live in ``./records`` and the spec's defaults apply. Defaults of the
quarterly disbursement targets (32/54/77/100 % of the budget by the end of each fiscal
quarter) are the cabinet's cumulative targets for the overall budget in recent fiscal years.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ProjledgerError
from .i18n import _, toml_problem
from .labels import LANGS, Lang

CONFIG_NAME = "projledger.toml"
DEFAULT_CODE_PATTERN = r"^[0-9]{8}-[0-9]{4,}$"
DEFAULT_TARGETS: tuple[Decimal, ...] = (Decimal(32), Decimal(54), Decimal(77), Decimal(100))
DEFAULT_TOLERANCE = Decimal(10)
#: The repository's time zone: "today" (the day of a check) is the day there, on every machine.
DEFAULT_TIMEZONE = "Asia/Bangkok"

#: Days after a fiscal quarter's end a KPI's result of that quarter may still be dated
#: (rule result-late): the BMA system takes quarterly reports some weeks after the quarter.
DEFAULT_RESULT_GRACE_DAYS = 30

_KNOWN_KEYS = {
    "records", "tolerance", "language", "code_pattern", "disbursement_targets", "timezone", "result_grace_days",
    "name",
}  # fmt: skip


class ConfigError(ProjledgerError):
    """``projledger.toml`` is unreadable or holds a value that cannot be used."""


@dataclass(frozen=True)
class Config:
    """Settings in force; ``root`` is the folder of ``projledger.toml`` (or the working folder)."""

    root: Path
    records_dir: Path
    tolerance: Decimal = DEFAULT_TOLERANCE
    language: Lang = "th"
    code_pattern: str = DEFAULT_CODE_PATTERN
    default_targets: tuple[Decimal, ...] = DEFAULT_TARGETS
    targets_by_year: dict[int, tuple[Decimal, ...]] = field(default_factory=dict)
    path: Path | None = None
    timezone: str = DEFAULT_TIMEZONE
    #: The repository's name as exports carry it (``name`` in projledger.toml); "" when unset.
    name: str = ""
    result_grace_days: int = DEFAULT_RESULT_GRACE_DAYS

    @property
    def repository_name(self) -> str:
        """What tells this repository's rows from another's in exports read together: the
        config's ``name``, else the name of the repository's folder."""
        return self.name or self.root.name

    def zone(self) -> ZoneInfo:
        """The repository's time zone (checked when the config was read)."""
        return ZoneInfo(self.timezone)

    def targets(self, fiscal_year: int) -> tuple[Decimal, ...]:
        """Cumulative % of budget due by the end of quarters 1-4 of ``fiscal_year``."""
        return self.targets_by_year.get(fiscal_year, self.default_targets)

    def fingerprint(self) -> str:
        """What a cache of computed results must be invalidated by."""
        years = sorted((y, [str(t) for t in ts]) for y, ts in self.targets_by_year.items())
        grace = () if self.result_grace_days == DEFAULT_RESULT_GRACE_DAYS else (self.result_grace_days,)
        return repr(
            (str(self.tolerance), self.code_pattern, [str(t) for t in self.default_targets], years, *grace)
        )


def find_config_file(start: Path) -> Path | None:
    """``projledger.toml`` in ``start`` or the nearest folder above it."""
    here = start.resolve()
    for folder in (here, *here.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path) -> Config:
    """The config in force for a command run from ``start``."""
    path = find_config_file(start)
    if path is None:
        root = start.resolve()
        if not _records_folder(root / "records", root / "records", None).is_relative_to(root):
            raise ConfigError(
                _("records is a link to a folder outside the repository; refused"), path=root / "records"
            )
        return Config(root=root, records_dir=root / "records")
    return parse_config(path)


def _records_folder(folder: Path, where: Path, field: str | None) -> Path:
    """The records folder resolved through its links; a link loop is a config error naming the
    setting (never Python's RuntimeError, which every command would report as an internal bug)."""
    try:
        return folder.resolve()
    except (RuntimeError, OSError):  # "Symlink loop from ..." (3.11); ELOOP in later Pythons
        message = _(
            "the records folder {name} is a symbolic link loop (links that lead back to "
            "each other); it cannot be read; refused"
        )
        raise ConfigError(message.format(name=folder.name), path=where, field=field) from None


def parse_config(path: Path) -> Config:
    def refused(message: str, field: str | None = None) -> ConfigError:
        return ConfigError(message, path=path, field=field)

    try:
        data = tomllib.loads(path.read_text("utf-8-sig"), parse_float=Decimal)
    except (OSError, UnicodeDecodeError) as error:
        raise refused(_("cannot be read: {problem}").format(problem=error)) from None
    except tomllib.TOMLDecodeError as error:
        raise refused(_("not valid TOML: {problem}").format(problem=toml_problem(str(error)))) from None
    except RecursionError:
        raise refused(_("not valid TOML: arrays or tables nested too deep to read")) from None
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        text = _("unknown setting {unknown}; known: {known}")
        known = ", ".join(sorted(_KNOWN_KEYS))
        raise refused(text.format(unknown=", ".join(unknown), known=known))
    root = path.parent.resolve()
    records = data.get("records", "records")
    if not isinstance(records, str) or not records or "\x00" in records:
        raise refused(_("records must be a folder name in quotes"), "records")
    records_dir = _records_folder(root / records, path, "records")
    if not records_dir.is_relative_to(root):
        raise refused(_("records must be a folder inside the repository"), "records")
    tolerance = _number(data.get("tolerance", DEFAULT_TOLERANCE), path, "tolerance")
    language = data.get("language", "th")
    if language not in LANGS:
        raise refused(_("language must be one of {languages}").format(languages=", ".join(LANGS)), "language")
    pattern = data.get("code_pattern", DEFAULT_CODE_PATTERN)
    try:
        re.compile(pattern)
    except (re.error, TypeError, ValueError, OverflowError, RecursionError):  # a{4294967296}; ((((…; (?a)(?u)
        raise refused(_("code_pattern is not a valid regular expression"), "code_pattern") from None
    default_targets, by_year = _targets(data.get("disbursement_targets", {}), path)
    timezone = _timezone(data.get("timezone", DEFAULT_TIMEZONE), path)
    name = data.get("name", "")
    if "name" in data and not (
        isinstance(name, str) and name and name.strip() == name and name.isprintable()
    ):
        raise refused(_('name must be the repository\'s name in quotes, such as "bma-budget-office"'), "name")
    grace = data.get("result_grace_days", DEFAULT_RESULT_GRACE_DAYS)
    if type(grace) is not int or not 0 <= grace <= 366:
        raise refused(
            _("result_grace_days must be a whole number of days from 0 to 366"), "result_grace_days"
        )
    return Config(
        root=root,
        records_dir=records_dir,
        tolerance=tolerance,
        language=language,
        code_pattern=pattern,
        default_targets=default_targets,
        targets_by_year=by_year,
        path=path,
        timezone=timezone,
        name=name,
        result_grace_days=grace,
    )


def _timezone(value: Any, path: Path) -> str:
    """An IANA time zone name that this machine knows (from the system or tzdata)."""
    problem = _('must be an IANA time zone name in quotes, such as "Asia/Bangkok"')
    if isinstance(value, str) and value.strip() == value and value:
        try:
            ZoneInfo(value)
            return value
        except (ZoneInfoNotFoundError, ValueError, OSError):
            problem = _(
                "unknown time zone '{zone}'; write an IANA time zone name such as \"Asia/Bangkok\""
            ).format(zone=value)
    raise ConfigError(problem, path=path, field="timezone")


def _number(value: Any, path: Path, name: str) -> Decimal:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, Decimal))
        or not Decimal(value).is_finite()
        or not 0 <= value <= 100
    ):
        raise ConfigError(_("must be a number of percentage points, 0 to 100"), path=path, field=name)
    return Decimal(value)


def _targets(table: Any, path: Path) -> tuple[tuple[Decimal, ...], dict[int, tuple[Decimal, ...]]]:
    if not isinstance(table, dict):
        raise ConfigError(_("must be a table"), path=path, field="disbursement_targets")
    default = DEFAULT_TARGETS
    by_year: dict[int, tuple[Decimal, ...]] = {}
    for key, values in table.items():
        field_name = f"disbursement_targets.{key}"
        if not (isinstance(values, list) and len(values) == 4):
            raise ConfigError(
                _("must list 4 cumulative percentages, one per fiscal quarter"), path=path, field=field_name
            )
        targets = tuple(_number(v, path, field_name) for v in values)
        if list(targets) != sorted(targets) or targets[-1] > 100:
            message = _("targets are cumulative: each at least the one before, at most 100")
            raise ConfigError(message, path=path, field=field_name)
        if key == "default":
            default = targets
        elif re.fullmatch("[0-9]{1,9}", key) and int(key) >= 2400:  # int() of thousands of digits raises
            by_year[int(key)] = targets
        else:
            raise ConfigError(
                _("keys are 'default' or a BE fiscal year such as 2567"), path=path, field=field_name
            )
    return default, by_year
