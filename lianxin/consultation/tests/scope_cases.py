"""Scope cases of the consultation app, one module per part (run by core's URL walk)."""

from lianxin.consultation.tests import (
    scope_api,
    scope_decisions,
    scope_matters,
    scope_meetings,
    scope_pledges,
    scope_proposals,
    scope_votes,
)

SCOPE_CASES = (
    scope_meetings.SCOPE_CASES
    + scope_votes.SCOPE_CASES
    + scope_matters.SCOPE_CASES
    + scope_decisions.SCOPE_CASES
    + scope_pledges.SCOPE_CASES
    + scope_proposals.SCOPE_CASES
    + scope_api.SCOPE_CASES
)
