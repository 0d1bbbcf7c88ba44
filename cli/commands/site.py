"""``projledger site``: the portfolio as a static website, for reviewers and the public."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import click

from ..core.i18n import N_, _, later, ngettext
from ..core.labels import Lang
from ..core.text import one_line
from .options import OutputPath, as_of_option, reading_config, shown_path, today
from .reading import lang_option, report_skipped

DEFAULT_OUTPUT = "_site"


@click.command(
    help=N_(
        "Build the portfolio's website: overview, agencies, records.\n"
        "\n"
        "A static website, with the data as JSON and CSV.\n"
        "\n"
        "index.html sums each fiscal year up (projects by state and by computed plan status, "
        "budget and disbursement, a chart of cumulative disbursement against the quarterly "
        "targets, the projects needing attention first); each agency gets a page whose table can "
        "be sorted, filtered and searched; each project gets its figures, charts, every report "
        "and the official form; data.json (the envelope of status --format json) and data.csv "
        "hold the numbers. The site needs no server: open index.html from disk or publish the "
        "folder.\n"
        "\n"
        "It is built in a temporary folder beside DIR and swapped in at the end, so a failed "
        "build leaves the previous site as it was; a rebuild rewrites only the pages whose "
        "records changed. Records that are not valid are skipped and counted on stderr.\n"
        "\n"
        "\b\n"
        "Example:\n"
        "  projledger site\n"
        "  projledger site --output public --as-of 31/03/2565 --lang en"
    ),
)
@click.option("--output", "-o", type=OutputPath(path_type=Path, file_okay=False), default=None, metavar="DIR",
              help=later(lambda: _("Folder of the site; default {folder}/ at the repository's root. Only a folder "
                                   "holding a site projledger built (or an empty one) is replaced.").format(folder=DEFAULT_OUTPUT)))  # fmt: skip
@as_of_option
@lang_option(N_("Pages in Thai (th) or English (en); default the config's language, th unless set."))
@click.option("--with-export", "with_export", type=click.Choice(("parquet", "sqlite", "ndjson")), default=None,
              help=N_("Also publish the tables of projledger export in DIR/export/ (for a national job "
                      "that collects every agency's tables from their sites)."))  # fmt: skip
def site(output: Path | None, as_of: date | None, lang: Lang | None, with_export: str | None = None) -> None:
    from ..core.index import jobs_wanted
    from ..core.portfolio import Skipped
    from ..core.site import build_site, site_fingerprint

    config = reading_config(False)
    day = as_of or today(config)
    language: Lang = lang or config.language
    skipped = Skipped()
    target = output if output is not None else config.root / DEFAULT_OUTPUT
    result = build_site(
        target, config, day, language, today(config), Path.cwd(), skipped,
        jobs=jobs_wanted(os.environ), fingerprint=site_fingerprint(),
    )  # fmt: skip
    where = one_line(shown_path(result.path))
    projects = sum(1 for page in result.manifest if page.startswith("projects/"))
    text = ngettext(
        "site: {path} ({projects} project; {written} pages written, {kept} unchanged)",
        "site: {path} ({projects} projects; {written} pages written, {kept} unchanged)",
        projects,
    )
    written = len(result.rendered)
    click.echo(text.format(path=f"{where}/index.html", projects=projects, written=written, kept=result.kept))
    if with_export is not None:
        from .. import __version__
        from ..core.export import export

        done = export(result.path / "export", with_export, [], config, day, today(config), Path.cwd(),
                      __version__, lock_beside=result.path)  # fmt: skip
        said = _("export: {path} ({format})").format(path=shown_path(done.path), format=with_export)
        click.echo(one_line(said))
    report_skipped(skipped.files)
