"""projledger: progress records of Thai public projects kept as plain TOML files.

The importable package is ``projledger`` (installed from the ``cli/`` folder); ``projledger.core``
is the pure library and ``projledger.commands`` the click command layer over it.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    """``__version__``, looked up when first used: importing importlib.metadata costs about
    30 ms, a fifth of the start of a one-record command such as ``show`` or ``add-report``."""
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("projledger")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found
