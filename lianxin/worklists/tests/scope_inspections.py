"""Scope cases of the worklists inspections part (run by core's URL walk)."""

from __future__ import annotations

from lianxin.core.scopecheck import ScopeCase

SCOPE_CASES: list[ScopeCase] = []
