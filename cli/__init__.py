"""projledger: progress records of Thai public projects kept as plain TOML files.

The importable package is ``projledger`` (installed from the ``cli/`` folder); ``projledger.core``
is the pure library and ``projledger.commands`` the click command layer over it.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("projledger")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
