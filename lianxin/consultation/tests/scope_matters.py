"""Scope cases of the matters part (run by core's URL walk)."""

from lianxin.core.scopecheck import ScopeCase

SCOPE_CASES: list[ScopeCase] = []
