"""HTML pages: the one place HTML is rendered, from Jinja2 templates with autoescape on.

Templates live in the package ``projledger.templates`` (``cli/templates``) and travel in the
wheel. Every value a template prints is escaped unless it is ``Markup`` made in Python with its
texts escaped (the SVG charts of ``charts.py`` and ``site.quarter_svg``), and control characters
and bidi overrides are shown as visible escapes (``text.printable``) before escaping. Pages load
nothing from the network: CSS is inlined (the site links its own stylesheet), the charts are
inline SVG, fonts are the machine's.

The official form is the macro ``official_form(form, chart)`` in ``form_macros.html``, so a
site page can show the same form inside its own layout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, MutableMapping
from functools import cache
from typing import Any

import markupsafe
from jinja2 import Environment, PackageLoader, StrictUndefined, Template
from markupsafe import Markup, escape

from .charts import progress_chart
from .form import build_form
from .record import Project
from .status import Status
from .text import _UNSAFE, printable

#: The C routine behind markupsafe's ``escape``; without it, templates escape the usual way.
_escape_inner: Callable[[str], str] | None = getattr(markupsafe, "_escape_inner", None)


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("projledger", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_visible,
        auto_reload=False,  # templates are package data: no stat of their file on every render
    )
    env.filters["lines"] = _lines
    if _escape_inner is not None and hasattr(Template, "_from_namespace"):
        env.template_class = _Template
    return env


def _escape_text(value: Any) -> Any:
    """``escape`` for what a template prints: a plain string escaped to a plain string (the same
    characters), not wrapped in a ``Markup`` object only to be joined into the page."""
    if value.__class__ is str and _escape_inner is not None:
        return _escape_inner(value)
    return escape(value)


class _Template(Template):
    """A template whose printed values are escaped by ``_escape_text``: every ``{{ }}`` of a page
    made one object fewer, a tenth of a site page's rendering. Only the output is escaped this
    way (Jinja calls ``escape`` there alone); what is escaped, and how, is unchanged."""

    #: What escapes the output (the site's templates show a value and escape it in one call).
    escape_output = staticmethod(_escape_text)

    @classmethod
    def _from_namespace(
        cls, environment: Environment, namespace: MutableMapping[str, Any], globals: MutableMapping[str, Any]
    ) -> Template:
        namespace["escape"] = cls.escape_output
        return super()._from_namespace(environment, namespace, globals)


def _visible(value: Any) -> Any:
    """Control characters and bidi overrides in record text shown as escapes, as on a terminal:
    a page must not reorder what a reviewer reads. Markup made here is left as it is."""
    if type(value) is str:  # the common case first: a plain text with nothing to show
        return printable(value) if _UNSAFE.search(value) else value
    if isinstance(value, str) and not isinstance(value, Markup):
        return printable(value)
    return value


def _lines(lines: Iterable[str]) -> Markup:
    """The lines of a paragraph or a list item, each shown as a template shows text, one per
    line (``<br>`` between them): one filter instead of a loop with ``loop.last`` per item."""
    return Markup("<br>").join(printable(line) for line in lines)


def visible_text(value: str) -> str:
    """A text as a template prints it: ``_visible`` then escaped (for markup made in Python)."""
    return str(escape(printable(value)))


def render_page(template_name: str, **context: Any) -> str:
    """Render ``template_name`` with ``context``; every plain string in it is escaped."""
    return environment().get_template(template_name).render(**context)


def form_context(project: Project, status: Status) -> dict[str, Any]:
    """What ``official_form`` needs: the form and its chart."""
    chart = Markup(progress_chart(project, project.reports_until(status.as_of), status.as_of))
    return {"form": build_form(project, status), "chart": chart}


def form_page(project: Project, status: Status) -> str:
    """The official form as one self-contained A4 page."""
    return render_page("form.html", **form_context(project, status))
