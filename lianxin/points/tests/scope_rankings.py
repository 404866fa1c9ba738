"""Scope cases for the rankings URLs of points (run by core's URL walk).

迎秀社区's staff are inside, 西关社区's staff outside. The page is a "list" URL: the outsider
asking for 迎秀社区's ranking gets a form error and none of its households (the marker is a
household head's name). The export and the recompute button carry the unit in the URL: 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lianxin.core.scopecheck import ScopeCase, ScopeSetup

INSIDER = "village_staff"
OUTSIDER = "other_village_staff"
MARK = "排名范围标记"
QUERY = {"scheme": "household", "level": "village", "period": "2026"}


def _ranked(w: Any) -> None:
    from lianxin.points.services.standings import standings_recompute
    from lianxin.points.tests import factories as f

    account = f.household_account(w.building, head_name=MARK)
    f.credit(account, 5, day=dt.date(2026, 3, 1))
    standings_recompute(period="2026")


def ranking_page(w: Any) -> ScopeSetup:
    _ranked(w)
    return ScopeSetup(query={**QUERY, "unit": w.village.code}, marker=MARK)


def ranking_xlsx(w: Any) -> ScopeSetup:
    _ranked(w)
    return ScopeSetup(kwargs={"code": w.village.code}, query=QUERY)


def ranking_recompute(w: Any) -> ScopeSetup:
    _ranked(w)
    return ScopeSetup(kwargs={"code": w.village.code}, data=QUERY)


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("points:ranking", ranking_page, insider=INSIDER, outsider=OUTSIDER),
    ScopeCase("points:ranking_xlsx", ranking_xlsx, insider=INSIDER, outsider=OUTSIDER),
    ScopeCase(
        "points:ranking_recompute",
        ranking_recompute,
        insider=INSIDER,
        outsider=OUTSIDER,
        method="post",
        expect_inside=(302,),
    ),
]
