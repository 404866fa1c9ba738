"""Scope cases of the stars battlemap part (挂图作战、创建统计; run by core's URL walk).

The map and the figures are lists of the reader's scope: a village sees its own row, a street
its villages, never another's (the marker is the village's or the street's name); the figures
export names a unit in its URL, 404 outside the reader's scope.
"""

from __future__ import annotations

from typing import Any

from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.stars.tests import factories_plans as fp

VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}
STREET = {"insider": "street_staff", "outsider": "other_street_staff"}
YEAR = {"year": str(fp.YEAR)}


def _map(w: Any) -> ScopeSetup:
    fp.award(w.village, "branch")
    return ScopeSetup(marker="迎秀社区", query=YEAR)


def _map_export(w: Any) -> ScopeSetup:
    fp.award(w.village, "branch")
    return ScopeSetup(query=YEAR)


def _figures_village(w: Any) -> ScopeSetup:
    fp.award(w.village, "branch")
    return ScopeSetup(marker="迎秀社区", query=YEAR)


def _figures_street(w: Any) -> ScopeSetup:
    fp.award(w.village, "branch")
    return ScopeSetup(marker="大定街道", query=YEAR)


def _figures_export(w: Any) -> ScopeSetup:
    fp.award(w.village, "branch")
    return ScopeSetup(kwargs={"code": w.street.code}, query=YEAR)


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("stars:battle_map", _map, **VILLAGE),
    ScopeCase("stars:battle_map", _map, **STREET),
    ScopeCase("stars:battle_map_xlsx", _map_export, **STREET),
    ScopeCase("stars:figures", _figures_village, **VILLAGE),
    ScopeCase("stars:figures", _figures_street, **STREET),
    ScopeCase("stars:figures_xlsx", _figures_export, **STREET),
]
