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

import gettext as _gettext
from pathlib import Path

from .labels import LANGS, Lang

DOMAIN = "projledger"
#: ``projledger/locale/<lang>/LC_MESSAGES/projledger.mo``, beside the package's modules.
LOCALEDIR = Path(__file__).resolve().parent.parent / "locale"

_state: dict[str, object] = {"lang": "en", "translation": _gettext.NullTranslations()}


def use(lang: Lang) -> None:
    """Make ``lang`` the language of every message from now on (``en``: the msgids themselves)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}")
    translation: _gettext.NullTranslations = (
        _gettext.NullTranslations()
        if lang == "en"
        else _gettext.translation(DOMAIN, LOCALEDIR, languages=[lang], fallback=True)
    )
    _state["lang"], _state["translation"] = lang, translation


def language() -> Lang:
    """The language chosen for this run (``en`` until one is chosen: the msgids themselves)."""
    lang = _state["lang"]
    return lang if lang == "th" else "en"


def _(message: str) -> str:
    """``message`` (an English msgid) in the chosen language."""
    translation = _state["translation"]
    assert isinstance(translation, _gettext.NullTranslations)
    return translation.gettext(message)


def N_(message: str) -> str:
    """Marks a msgid kept for later, translated with ``_`` where it is shown."""
    return message


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
