"""Scope cases for the kinds URLs of the cases app."""

from __future__ import annotations

from lianxin.core.scopecheck import ScopeCase

SCOPE_CASES: list[ScopeCase] = []
