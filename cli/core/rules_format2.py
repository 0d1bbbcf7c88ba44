"""The rules of format 2 (issue 20): a project's evaluations and budget revisions, and the KPI
record's results and evaluations; each a named function, listed once below with its id and
severity as ``rules.RULES`` lists format 1's.
"""

from __future__ import annotations

from .rules import Rule

PROJECT_RULES_2: tuple[Rule, ...] = ()
KPI_RULES: tuple[Rule, ...] = ()
