"""Scope cases for the config URLs of the cases app."""

from __future__ import annotations

from lianxin.core.scopecheck import ScopeCase

SCOPE_CASES: list[ScopeCase] = []
