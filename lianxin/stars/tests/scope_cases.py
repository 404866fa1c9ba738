"""Scope cases of the stars app, one module per part (run by core's URL walk)."""

from lianxin.stars.tests import (
    scope_api,
    scope_assessments,
    scope_battlemap,
    scope_catalog,
    scope_contests,
    scope_declarations,
    scope_economy,
    scope_plans,
)

SCOPE_CASES = (
    scope_catalog.SCOPE_CASES
    + scope_economy.SCOPE_CASES
    + scope_plans.SCOPE_CASES
    + scope_declarations.SCOPE_CASES
    + scope_battlemap.SCOPE_CASES
    + scope_contests.SCOPE_CASES
    + scope_assessments.SCOPE_CASES
    + scope_api.SCOPE_CASES
)
