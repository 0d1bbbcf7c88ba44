"""The build step that compiles the message catalogs: every ``cli/locale/*/LC_MESSAGES/*.po``
becomes its ``.mo`` beside it, with Babel, whenever the package is built (``pip wheel .``,
``pip install .``) or installed editable (``pip install -e .``, which reads the source folder:
so the ``.mo`` is written there, and ignored by git). Everything else is in pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

LOCALE = Path(__file__).resolve().parent / "cli" / "locale"


def compile_catalogs(locale: Path = LOCALE) -> list[Path]:
    """Babel's compile of every catalog; a fuzzy or empty translation falls back to English."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po in sorted(locale.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        mo = po.with_suffix(".mo")
        with mo.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        written.append(mo)
    return written


class BuildWithCatalogs(build_py):
    def run(self) -> None:
        compile_catalogs()
        super().run()


if __name__ == "__main__":
    setup(cmdclass={"build_py": BuildWithCatalogs})
