"""HTML pages: the one place HTML is rendered, from Jinja2 templates with autoescape on.

Templates live in the package ``projledger.templates`` (``cli/templates``) and travel in the
wheel. Every value a template prints is escaped unless it is ``Markup`` made here (the SVG
chart, whose own texts ``charts.py`` escapes), and control characters and bidi overrides are
shown as visible escapes (``text.printable``) before escaping. Pages load nothing from the network: CSS is
inlined, the chart is inline SVG, fonts are the machine's.

The official form is the macro ``official_form(form, chart)`` in ``form_macros.html``, so a
site page can show the same form inside its own layout.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from .charts import progress_chart
from .form import Form, build_form
from .record import Project
from .status import Status
from .text import printable


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("projledger", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_visible,
    )


def _visible(value: Any) -> Any:
    """Control characters and bidi overrides in record text shown as escapes, as on a terminal:
    a page must not reorder what a reviewer reads. Markup made here is left as it is."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return printable(value)
    return value


def render_page(template_name: str, **context: Any) -> str:
    """Render ``template_name`` with ``context``; every plain string in it is escaped."""
    return environment().get_template(template_name).render(**context)


def form_context(project: Project, status: Status) -> dict[str, Any]:
    """What ``official_form`` needs: the form and its chart."""
    form: Form = build_form(project, status)
    chart = Markup(progress_chart(project, project.reports_until(status.as_of), status.as_of))
    return {"form": form, "chart": chart}


def form_page(project: Project, status: Status) -> str:
    """The official form as one self-contained A4 page."""
    return render_page("form.html", **form_context(project, status))
