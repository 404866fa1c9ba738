"""Scope cases of the stars economy part (run by core's URL walk).

A village's staff sees and records its own income; another village's staff never sees it
(404 on the village's pages, absent from the list); a township sees its villages only.
"""

from __future__ import annotations

from typing import Any

from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.stars.tests import factories as f

YEAR = 2025
VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}
STREET = {"insider": "street_staff", "outsider": "other_street_staff"}


def _recorded(w: Any) -> None:
    f.income(w.village, YEAR - 1, 60000)
    f.income(w.village, YEAR, 70000)


def _list(w: Any) -> ScopeSetup:
    _recorded(w)
    return ScopeSetup(marker="迎秀社区", query={"year": str(YEAR)})


def _export(w: Any) -> ScopeSetup:
    _recorded(w)
    return ScopeSetup(query={"year": str(YEAR)})


def _unit(w: Any) -> ScopeSetup:
    _recorded(w)
    return ScopeSetup(kwargs={"unit_id": w.village.public_id}, marker="70,000.00")


def _record(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"unit_id": w.village.public_id}, marker="土地流转")


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("stars:income_list", _list, **VILLAGE),
    ScopeCase("stars:income_list", _list, **STREET),
    ScopeCase("stars:income_export", _export, **VILLAGE),
    ScopeCase("stars:income_unit", _unit, **VILLAGE),
    ScopeCase("stars:income_unit", _unit, **STREET),
    ScopeCase("stars:income_record", _record, **VILLAGE),
    ScopeCase(
        "stars:income_record",
        _record,
        insider="village_staff",
        outsider="street_staff",
        note="the township reads its villages' income but the village itself records it",
    ),
]
