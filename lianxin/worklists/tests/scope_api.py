"""Scope cases of the worklists API (/api/worklists, token auth; run by core's URL walk):
the village's staff see its key-work items and its rectification notices; another village's
staff do not."""

from __future__ import annotations

from typing import Any

from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.worklists.tests import scope_inspections as ins
from lianxin.worklists.tests import scope_keywork as kw

VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff", "api": True}
STREET = {"insider": "street_staff", "outsider": "other_street_staff", "api": True}


def _keywork(w: Any) -> ScopeSetup:
    kw.add(w)
    return ScopeSetup(marker=kw.TITLE)


def _rectifications(w: Any) -> ScopeSetup:
    return ScopeSetup(marker=ins.notice(w).number)


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("api:worklists_keywork_list", _keywork, **VILLAGE),
    ScopeCase("api:worklists_rectification_list", _rectifications, **VILLAGE),
    ScopeCase("api:worklists_rectification_list", _rectifications, **STREET),
]
