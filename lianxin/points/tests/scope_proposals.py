"""Scope cases for the proposals URLs of points (run by core's URL walk): the proposal form,
list, review queue, one proposal, its actions and photos, the monthly tally and its export."""

from __future__ import annotations

from typing import Any

from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.points.tests import factories as f

MARK = "范围标记户主"
MARK_TEXT = "范围标记：庭院打扫干净，物品摆放整齐"
VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}


def _account(w: Any) -> Any:
    return f.household_account(w.building, head_name=MARK)


def _listed(w: Any) -> ScopeSetup:
    f.propose(w, _account(w), description=MARK_TEXT)
    return ScopeSetup(marker=MARK)


def _create(w: Any) -> ScopeSetup:
    # Opened from the household's points page: the insider sees the household prefilled.
    account = _account(w)
    return ScopeSetup(marker=MARK, query={"account": str(account.public_id)})


def _create_post(w: Any) -> ScopeSetup:
    # Searching by head name finds the household (shown with its building) only for the
    # insider; the search box echoes the query to both, so the marker is the building.
    _account(w)
    return ScopeSetup(
        marker=w.building.display_name,
        data={"scheme": "household", "subject_q": MARK, "op": "search"},
    )


def _search(w: Any) -> ScopeSetup:
    _account(w)
    return ScopeSetup(
        marker=w.building.display_name, query={"scheme": "household", "subject_q": MARK}
    )


def _detail(w: Any) -> ScopeSetup:
    p = f.propose(w, _account(w), description=MARK_TEXT)
    return ScopeSetup(kwargs={"public_id": p.public_id})


def _approve(w: Any) -> ScopeSetup:
    p = f.propose(w, _account(w), description=MARK_TEXT)
    return ScopeSetup(
        kwargs={"public_id": p.public_id, "action": "approve"},
        data={"version": str(p.version)},
    )


def _photo(w: Any) -> ScopeSetup:
    p = f.propose(w, _account(w), description=MARK_TEXT)
    return ScopeSetup(kwargs={"public_id": p.public_id, "number": 1})


def _queue(w: Any) -> ScopeSetup:
    f.propose(w, _account(w), description=MARK_TEXT)
    return ScopeSetup(marker=MARK)


def _tally(w: Any) -> ScopeSetup:
    # The tally shows the village's name; the other village's staff see their own.
    f.booked(w, _account(w))
    return ScopeSetup(marker=w.village.display_name)


def _tally_xlsx(w: Any) -> ScopeSetup:
    f.booked(w, _account(w))
    return ScopeSetup(kwargs={"code": w.village.code})


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("points:proposal_list", _listed),
    ScopeCase("points:proposal_create", _create),
    ScopeCase("points:proposal_create", _search, note="subject search by GET"),
    ScopeCase("points:proposal_create", _create_post, method="post"),
    ScopeCase("points:review_queue", _queue, **VILLAGE),
    ScopeCase("points:proposal_detail", _detail),
    ScopeCase("points:proposal_act", _approve, method="post", expect_inside=(302,), **VILLAGE),
    ScopeCase("points:proposal_photo", _photo),
    ScopeCase("points:tally", _tally, **VILLAGE),
    ScopeCase("points:tally_xlsx", _tally_xlsx, **VILLAGE),
]
