"""Scope cases of the stars catalog part (run by core's URL walk), and the helpers that build
the rows they need (test_catalog*.py use them too).

Reading: the catalog and the task forces are the county's configuration, read by every post
in the county; the outsider is a village's staff in another county (沁阳市), who reads its own
county's catalog and never sees 孟州市's edits. Editing: the county's organisation department
(inside) and a street's staff (outside: 404, it holds no `stars.configure`). Weak branches
are scoped by their village like any governed row.
"""

from __future__ import annotations

from typing import Any

from lianxin.accounts.permissions import Role
from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.core.testing import make_unit, make_user
from lianxin.stars import workflow as wf
from lianxin.stars.models import CreationSettings, Star, TaskForce, WeakBranch
from lianxin.stars.services.catalog import catalog_ensure, catalog_for_unit, settings_ensure

YEAR = 2026
RENAMED = "支部过硬星（孟州）"


def other_county(w: Any) -> Any:
    """A second county (沁阳市) with one village and its staff (`other_county_staff`)."""
    if "other_county_staff" in w.users:
        return w.users["other_county_staff"]
    county = make_unit("county", "410882", "沁阳市", w.city)
    township = make_unit("township", "410882100", "王召乡人民政府", county, display_name="王召乡")
    village = make_unit(
        "village", "410882100205", "南范村民委员会", township, display_name="南范村"
    )
    user = make_user("other_county_staff", Role.VILLAGE_STAFF, village)
    w.users["other_county_staff"] = user
    return user


def village_set(w: Any, year: int = YEAR) -> Any:
    """The county's set for rural villages (the world's units are urban communities)."""
    return catalog_ensure(county=w.county, year=year, unit_type=wf.VILLAGE)


def branch_star(w: Any, year: int = YEAR) -> Star:
    star: Star = catalog_for_unit(w.village, year).stars.get(code="branch")
    return star


def renamed_catalog(w: Any) -> Star:
    star = branch_star(w)
    star.name = RENAMED
    star.save()
    return star


def settings(w: Any, year: int = YEAR) -> CreationSettings:
    return settings_ensure(county=w.county, year=year)


def task_force(w: Any, name: str = "支部过硬星创建专班") -> TaskForce:
    return TaskForce.objects.create(
        county=w.county, name=name, lead_unit="市委组织部", leader_name="王建军", star_code="branch"
    )


def weak_branch(w: Any, reason: str = "班子不团结，组织生活不规范") -> WeakBranch:
    return WeakBranch.objects.create(
        unit=w.village, year=YEAR, reason=reason, liaison_name="李组工"
    )


# --- scope cases -------------------------------------------------------------------------------

COUNTY = {"insider": "org_department", "outsider": "street_staff"}
READERS = {"insider": "village_staff", "outsider": "other_county_staff"}


def _catalog(w: Any) -> ScopeSetup:
    other_county(w)
    renamed_catalog(w)
    return ScopeSetup(marker=RENAMED, query={"year": str(YEAR)})


def _star_edit(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": branch_star(w).public_id}, marker="支部过硬星")


def _star_create(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": catalog_for_unit(w.village, YEAR).public_id})


def _star_move(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": branch_star(w).public_id}, data={"direction": "down"})


def _standard_create(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": branch_star(w).public_id})


def _standard_edit(w: Any) -> ScopeSetup:
    standard = branch_star(w).standards.get(code="team")
    return ScopeSetup(kwargs={"public_id": standard.public_id}, marker="班子建设与组织生活")


def _settings(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": settings(w).public_id}, marker="公示天数")


def _task_forces(w: Any) -> ScopeSetup:
    other_county(w)
    task_force(w)
    return ScopeSetup(marker="支部过硬星创建专班")


def _task_force_create(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"county_id": w.county.public_id})


def _task_force_edit(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": task_force(w).public_id}, marker="市委组织部")


def _weak(w: Any) -> ScopeSetup:
    weak_branch(w)
    return ScopeSetup(marker="班子不团结", query={"year": str(YEAR)})


def _weak_create(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"county_id": w.county.public_id}, marker="迎秀社区")


def _weak_edit(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": weak_branch(w).public_id}, marker="班子不团结")


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("stars:catalog", _catalog, **READERS),
    ScopeCase("stars:catalog_star_edit", _star_edit, **COUNTY),
    ScopeCase("stars:catalog_star_create", _star_create, **COUNTY),
    ScopeCase("stars:catalog_star_move", _star_move, method="post", expect_inside=(302,), **COUNTY),
    ScopeCase("stars:catalog_standard_create", _standard_create, **COUNTY),
    ScopeCase("stars:catalog_standard_edit", _standard_edit, **COUNTY),
    ScopeCase(
        "stars:catalog_standard_edit",
        _standard_edit,
        insider="org_department",
        outsider="village_staff",
        note="a village reads the standard on the catalog page but never edits it",
    ),
    ScopeCase("stars:catalog_settings", _settings, **COUNTY),
    ScopeCase("stars:task_force_list", _task_forces, **READERS),
    ScopeCase("stars:task_force_create", _task_force_create, **COUNTY),
    ScopeCase("stars:task_force_edit", _task_force_edit, **COUNTY),
    ScopeCase(
        "stars:weak_branch_list",
        _weak,
        insider="street_staff",
        outsider="other_street_staff",
    ),
    ScopeCase("stars:weak_branch_create", _weak_create, **COUNTY),
    ScopeCase("stars:weak_branch_edit", _weak_edit, **COUNTY),
]
