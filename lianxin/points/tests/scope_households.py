"""Scope cases for the households URLs of points: statements and 三类户 ratings.

Statements and plaques hang on the household's building: the grid worker of 迎秀社区第一网格
is inside, the one of the sibling grid is outside. Ratings are per village: the village
staff of 迎秀社区 is inside, the staff of 西关社区 outside (their form refuses the village).
"""

from __future__ import annotations

from typing import Any

from lianxin.core import clock
from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.core.testing import make_household
from lianxin.points.models import HouseholdRating
from lianxin.points.services import ratings
from lianxin.points.tests import factories as f

MARK = "范围标记户主"
INSIDER = "village_staff"
OUTSIDER = "other_village_staff"


def _year() -> int:
    return clock.now().year


def _listed(w: Any) -> ScopeSetup:
    make_household(w.building, head_name=MARK)
    return ScopeSetup(marker=MARK)


def _household(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": make_household(w.building, head_name=MARK).public_id})


def _account(w: Any) -> ScopeSetup:
    account = f.household_account(w.building, head_name=MARK)
    f.credit(account, 7)
    return ScopeSetup(kwargs={"public_id": account.public_id})


def _rated(w: Any, *, publish: bool) -> HouseholdRating:
    account = f.household_account(w.building, head_name=MARK)
    f.credit(account, 90)
    actor = w.actor("village_secretary")
    ratings.ratings_compute(actor=actor, village=w.village, year=_year())
    if publish:
        ratings.ratings_publish(actor=actor, village=w.village, year=_year())
    return HouseholdRating.objects.get(account=account)


def _rating_list(w: Any) -> ScopeSetup:
    _rated(w, publish=False)
    return ScopeSetup(marker=MARK, query={"village": w.village.code, "year": str(_year())})


def _rating_compute(w: Any) -> ScopeSetup:
    f.credit(f.household_account(w.building, head_name=MARK), 50)
    return ScopeSetup(
        marker=MARK, data={"village": w.village.code, "year": str(_year()), "op": "compute"}
    )


def _plaque(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _rated(w, publish=True).public_id})


def _plaques(w: Any) -> ScopeSetup:
    _rated(w, publish=True)
    return ScopeSetup(kwargs={"code": w.village.code, "year": _year()})


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("points:household_list", _listed),
    ScopeCase("points:household_open", _household, expect_inside=(302,)),
    ScopeCase("points:household_detail", _account),
    ScopeCase("points:household_statement_xlsx", _account),
    ScopeCase("points:rating_list", _rating_list, insider=INSIDER, outsider=OUTSIDER),
    ScopeCase(
        "points:rating_list",
        _rating_compute,
        insider=INSIDER,
        outsider=OUTSIDER,
        method="post",
        expect_inside=(302,),
    ),
    ScopeCase("points:plaque_pdf", _plaque),
    ScopeCase("points:plaques_pdf", _plaques, insider=INSIDER, outsider=OUTSIDER),
]
