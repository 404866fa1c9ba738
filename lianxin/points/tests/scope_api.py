"""Scope cases for the api URLs of points (/api/points, token auth; run by core's URL walk).

Reads: the grid worker sees the accounts, proposals and standings of households at their grid's
building; the sibling grid's worker does not (lists) or gets 404 (details). Decisions: the
village secretary approves or rejects a proposal of the village; another village's staff gets
404 before any permission or state check.
"""

from __future__ import annotations

from typing import Any

from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.points.tests import factories as f

# Households leave the API with their public label: the building's name is the marker.
MARK = "迎秀小区1号楼"
API = {"api": True}
VILLAGE = {"insider": "village_secretary", "outsider": "other_village_staff", "api": True}


def _account(w: Any) -> Any:
    account = f.household_account(w.building)
    f.credit(account, 3)
    return account


def _accounts(w: Any) -> ScopeSetup:
    _account(w)
    return ScopeSetup(marker=MARK)


def _account_kwargs(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _account(w).public_id}, marker=MARK)


def _entries_kwargs(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _account(w).public_id}, marker="测试加分")


def _proposals(w: Any) -> ScopeSetup:
    f.propose(w, f.household_account(w.building))
    return ScopeSetup(marker=MARK)


def _proposal_kwargs(w: Any) -> ScopeSetup:
    p = f.propose(w, f.household_account(w.building))
    return ScopeSetup(kwargs={"public_id": p.public_id}, marker=MARK)


def _decision(note: str) -> Any:
    def setup(w: Any) -> ScopeSetup:
        p = f.propose(w, f.household_account(w.building))
        return ScopeSetup(
            kwargs={"public_id": p.public_id}, data={"version": p.version, "note": note}
        )

    return setup


def _standings(w: Any) -> ScopeSetup:
    from lianxin.points.services.standings import standings_recompute

    _account(w)
    standings_recompute(period=str(f.today().year))
    return ScopeSetup(marker=MARK)


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("api:points_account_list", _accounts, **API),
    ScopeCase("api:points_account_detail", _account_kwargs, **API),
    ScopeCase("api:points_account_entries", _entries_kwargs, **API),
    ScopeCase("api:points_proposal_list", _proposals, **API),
    ScopeCase("api:points_proposal_detail", _proposal_kwargs, **API),
    ScopeCase("api:points_proposal_approve", _decision(""), method="post", **VILLAGE),
    ScopeCase("api:points_proposal_reject", _decision("佐证照片看不清"), method="post", **VILLAGE),
    ScopeCase("api:points_standing_list", _standings, **API),
]
