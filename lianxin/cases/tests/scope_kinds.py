"""Scope cases for the kinds URLs of the cases app: mediation, errands and the patrol log.

Everything is built at the world's building (under the grid worker's grid); the worker of
the sibling grid is outside. Pages that pick a place are checked with the village's staff
against the other village's staff.
"""

from __future__ import annotations

from typing import Any

from lianxin.cases.tests import factories
from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.core.testing import make_household, make_resident

ROUTE = "范围标记路线：1号楼至北门"
DISPUTE = "范围标记纠纷楼上漏水到楼下"
SERVICE = "范围标记代办事项"
RESIDENT = "范围标记居民"


def _patrol_page(w: Any) -> ScopeSetup:
    factories.patrol(w, route=ROUTE)
    return ScopeSetup(marker=ROUTE)


def _patrol(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": factories.patrol(w, route=ROUTE).public_id})


def _mediation_list(w: Any) -> ScopeSetup:
    factories.open_mediation(w, text=DISPUTE + "，两户多次争吵")
    return ScopeSetup(marker=DISPUTE)


def _mediation(w: Any) -> ScopeSetup:
    m = factories.open_mediation(w, text=DISPUTE + "，两户多次争吵")
    return ScopeSetup(kwargs={"public_id": m.case.public_id})


def _place_form(w: Any) -> ScopeSetup:
    # The form offers the insider's building; the outsider's list holds only its own units.
    return ScopeSetup(marker=w.building.display_name)


def _errand_list(w: Any) -> ScopeSetup:
    factories.errand(w, service=SERVICE)
    return ScopeSetup(marker=SERVICE)


def _errand(w: Any) -> ScopeSetup:
    e = factories.errand(w, service=SERVICE, done=False)
    return ScopeSetup(kwargs={"public_id": e.case.public_id})


def _beneficiaries(w: Any) -> ScopeSetup:
    make_resident(make_household(w.building), name=RESIDENT)
    return ScopeSetup(marker=RESIDENT, query={"beneficiary_name": "范围标记"})


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("cases:patrol_today", _patrol_page),
    ScopeCase("cases:patrol_list", _patrol_page),
    ScopeCase("cases:patrol_detail", _patrol),
    ScopeCase("cases:mediation_list", _mediation_list),
    ScopeCase(
        "cases:mediation_new",
        _place_form,
        insider="village_staff",
        outsider="other_village_staff",
    ),
    ScopeCase("cases:mediation_detail", _mediation),
    ScopeCase("cases:errand_list", _errand_list),
    ScopeCase("cases:errand_new", _place_form),
    ScopeCase("cases:errand_beneficiaries", _beneficiaries),
    ScopeCase("cases:errand_detail", _errand),
]
