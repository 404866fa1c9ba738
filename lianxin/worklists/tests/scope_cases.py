"""Scope cases of the worklists app, one module per part (run by core's URL walk)."""

from lianxin.worklists.tests import (
    scope_api,
    scope_inspections,
    scope_keywork,
    scope_projects,
    scope_rhythm,
    scope_training,
)

SCOPE_CASES = (
    scope_keywork.SCOPE_CASES
    + scope_projects.SCOPE_CASES
    + scope_training.SCOPE_CASES
    + scope_inspections.SCOPE_CASES
    + scope_rhythm.SCOPE_CASES
    + scope_api.SCOPE_CASES
)
