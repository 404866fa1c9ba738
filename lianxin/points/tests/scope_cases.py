"""Scope cases of the points app, one module per views module (run by core's URL walk)."""

from lianxin.points.tests import (
    scope_api,
    scope_config,
    scope_households,
    scope_members,
    scope_proposals,
    scope_public,
    scope_rankings,
    scope_store,
    scope_tasks,
)

SCOPE_CASES = (
    scope_proposals.SCOPE_CASES
    + scope_households.SCOPE_CASES
    + scope_members.SCOPE_CASES
    + scope_rankings.SCOPE_CASES
    + scope_store.SCOPE_CASES
    + scope_tasks.SCOPE_CASES
    + scope_config.SCOPE_CASES
    + scope_public.SCOPE_CASES
    + scope_api.SCOPE_CASES
)
