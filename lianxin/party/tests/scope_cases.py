"""Scope cases for every party URL (pages and API); run by lianxin/core/tests/test_url_scope.py.

Organisations hang on units: a grid branch is seen by the grid's worker and not by the sibling
grid's; a village branch is managed by the village staff and not by another village's.
"""

from __future__ import annotations

from typing import Any

from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.core.testing import make_household
from lianxin.party.models import OrgKind
from lianxin.party.tests.factories import make_activity, make_link, make_member, make_org


def _grid_member(w: Any) -> Any:
    org = make_org(w.grid, name="迎秀一网格党支部甲", kind=OrgKind.BRANCH)
    return make_member(org, name="联户党员甲")


def member_in_grid(w: Any) -> ScopeSetup:
    member = _grid_member(w)
    return ScopeSetup(kwargs={"public_id": member.public_id}, marker="联户党员甲")


def member_list_setup(w: Any) -> ScopeSetup:
    _grid_member(w)
    return ScopeSetup(marker="联户党员甲")


def village_org_marker(w: Any) -> ScopeSetup:
    make_org(w.village, name="迎秀社区党委甲", kind=OrgKind.COMMITTEE)
    return ScopeSetup(marker="迎秀社区党委甲")


def member_in_village(w: Any) -> ScopeSetup:
    org = make_org(w.village, name="迎秀社区党委乙", kind=OrgKind.COMMITTEE)
    member = make_member(org, name="社区党员乙")
    return ScopeSetup(kwargs={"public_id": member.public_id}, marker="社区党员乙")


def member_links_post(w: Any) -> ScopeSetup:
    org = make_org(w.village, name="迎秀社区党委丙", kind=OrgKind.COMMITTEE)
    member = make_member(org, name="社区党员丙")
    household = make_household(w.building, address="3单元501")
    return ScopeSetup(
        kwargs={"public_id": member.public_id},
        data={"action": "link", "households": [str(household.public_id)]},
    )


def activity_post(w: Any) -> ScopeSetup:
    member = _grid_member(w)
    household = make_household(w.building, address="2单元302")
    make_link(member, household)
    return ScopeSetup(
        kwargs={"public_id": member.public_id},
        data={
            "duty": "visit",
            "occurred_on": "2025-03-01",
            "household": str(household.public_id),
            "summary": "走访了解情况",
        },
    )


def activity_list_setup(w: Any) -> ScopeSetup:
    make_activity(_grid_member(w), summary="帮助独居老人更换灯泡甲")
    return ScopeSetup(marker="帮助独居老人更换灯泡甲")


def org_in_grid(w: Any) -> ScopeSetup:
    org = make_org(w.grid, name="迎秀一网格党支部丁", kind=OrgKind.BRANCH)
    return ScopeSetup(kwargs={"public_id": org.public_id}, marker="迎秀一网格党支部丁")


def org_list_setup(w: Any) -> ScopeSetup:
    make_org(w.grid, name="迎秀一网格党支部戊", kind=OrgKind.BRANCH)
    return ScopeSetup(marker="迎秀一网格党支部戊")


def org_in_village(w: Any) -> ScopeSetup:
    org = make_org(w.village, name="迎秀社区党委庚", kind=OrgKind.COMMITTEE)
    return ScopeSetup(kwargs={"public_id": org.public_id}, marker="迎秀社区党委庚")


def org_rename_post(w: Any) -> ScopeSetup:
    org = make_org(w.village, name="迎秀社区党委辛", kind=OrgKind.COMMITTEE)
    return ScopeSetup(kwargs={"public_id": org.public_id}, data={"name": "迎秀社区党委（新）"})


def org_retire_post(w: Any) -> ScopeSetup:
    org = make_org(w.village, name="迎秀社区党委壬", kind=OrgKind.COMMITTEE)
    return ScopeSetup(kwargs={"public_id": org.public_id}, data={"confirm": "1"})


# The API answers JSON with \u escapes, so API markers are public ids, not Chinese names.
def api_member(w: Any) -> ScopeSetup:
    member = _grid_member(w)
    return ScopeSetup(kwargs={"public_id": str(member.public_id)}, marker=str(member.public_id))


def api_member_list(w: Any) -> ScopeSetup:
    return ScopeSetup(marker=str(_grid_member(w).public_id))


def api_org_list(w: Any) -> ScopeSetup:
    org = make_org(w.grid, name="迎秀一网格党支部己", kind=OrgKind.BRANCH)
    return ScopeSetup(marker=str(org.public_id))


GRID = {"insider": "grid_worker", "outsider": "sibling_grid_worker"}
VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}

SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("party:member_list", member_list_setup, **GRID),
    ScopeCase("party:member_detail", member_in_grid, **GRID),
    ScopeCase("party:member_create", village_org_marker, **VILLAGE, note="organisation choices"),
    ScopeCase("party:member_edit", member_in_village, **VILLAGE),
    ScopeCase("party:member_links", member_in_village, **VILLAGE),
    ScopeCase(
        "party:member_links", member_links_post, **VILLAGE, method="post", expect_inside=(302,)
    ),
    ScopeCase("party:activity_create", member_in_grid, **GRID),
    ScopeCase("party:activity_create", activity_post, **GRID, method="post", expect_inside=(302,)),
    ScopeCase(
        "party:member_board_pdf", lambda w: ScopeSetup(kwargs=member_in_grid(w).kwargs), **GRID
    ),
    ScopeCase("party:activity_list", activity_list_setup, **GRID),
    ScopeCase("party:org_list", org_list_setup, **GRID),
    ScopeCase("party:org_detail", org_in_grid, **GRID),
    ScopeCase("party:org_create", village_org_marker, **VILLAGE, note="parent choices"),
    ScopeCase("party:org_edit", org_in_village, **VILLAGE),
    ScopeCase("party:org_edit", org_rename_post, **VILLAGE, method="post", expect_inside=(302,)),
    ScopeCase("party:org_retire", org_in_village, **VILLAGE),
    ScopeCase("party:org_retire", org_retire_post, **VILLAGE, method="post", expect_inside=(302,)),
    ScopeCase("api:party_member_list", api_member_list, **GRID, api=True),
    ScopeCase("api:party_member_detail", api_member, **GRID, api=True),
    ScopeCase("api:party_organisation_list", api_org_list, **GRID, api=True),
]
