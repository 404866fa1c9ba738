"""Scope cases of the cases app, one module per views module (run by core's URL walk)."""

from lianxin.cases.tests import (
    scope_api,
    scope_config,
    scope_figures,
    scope_kinds,
    scope_open311,
    scope_public,
    scope_qr,
    scope_staff,
)

SCOPE_CASES = (
    scope_staff.SCOPE_CASES
    + scope_kinds.SCOPE_CASES
    + scope_config.SCOPE_CASES
    + scope_figures.SCOPE_CASES
    + scope_qr.SCOPE_CASES
    + scope_public.SCOPE_CASES
    + scope_api.SCOPE_CASES
    + scope_open311.SCOPE_CASES
)
