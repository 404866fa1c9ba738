"""Scope cases of the daily assessment part (日常考核, run by core's URL walk), and the
factories test_assessments*.py use.

The county records and reads every row of its county; a township reads its own secretary's
and its villages' rows (大定街道 never sees 会昌街道's); villages do not read the assessment
(404 on a row).
"""

from __future__ import annotations

from typing import Any

from lianxin.core import clock
from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.stars.models import Assessment, TaskForce
from lianxin.stars.services import assessments as svc

YEAR = clock.today().year
# The first months of the year are never later than the current month.
P1, P2 = f"{YEAR}-01", f"{YEAR}-02"
NAME = "李大定"


def parts(
    base: int | str = 90,
    hl: int | str = 80,
    res: int | str = 85,
    test: int | str = 95,
    other: int | str = 0,
) -> svc.Parts:
    """Part scores as typed (strings reach the service unparsed, as from a form)."""
    return svc.Parts(
        base_work=str(base),
        highlights=str(hl),
        results=str(res),
        knowledge_test=str(test),
        other_work=str(other),
    )


def task_force(w: Any, name: str = "产业兴旺星专班") -> TaskForce:
    tf, _ = TaskForce.objects.get_or_create(
        county=w.county, name=name, defaults={"lead_unit": "农业农村局"}
    )
    return tf


def record(
    w: Any,
    kind: str = "township_secretary",
    *,
    period: str = P1,
    unit: Any = None,
    name: str = NAME,
    p: svc.Parts | None = None,
    note: str = "",
    tf: TaskForce | None = None,
) -> Assessment:
    if kind == "task_force":
        tf = tf or task_force(w)
    elif unit is None:
        unit = w.street if kind == "township_secretary" else w.village
    return svc.assessment_record(
        actor=w.actor("org_department"),
        county=w.county,
        kind=kind,
        period=period,
        parts=p or parts(),
        task_force=tf,
        unit=unit,
        name=name,
        note=note,
    )


# --- scope cases -----------------------------------------------------------------------------

STREET = {"insider": "street_staff", "outsider": "other_street_staff"}
COUNTY = {"insider": "org_department", "outsider": "other_street_staff"}


def _list(w: Any) -> ScopeSetup:
    record(w)
    return ScopeSetup(marker=NAME, query={"year": str(YEAR)})


def _create(w: Any) -> ScopeSetup:
    # Only the county records; a township reads why not.
    return ScopeSetup(marker="基础工作")


def _export(w: Any) -> ScopeSetup:
    # Files: both get 200; the rows' scope is proven in test_assessments.
    record(w)
    return ScopeSetup(query={"year": str(YEAR)})


def _year(w: Any) -> ScopeSetup:
    record(w)
    return ScopeSetup(marker=NAME, query={"year": str(YEAR), "kind": "township_secretary"})


def _detail(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": record(w).public_id}, marker=NAME)


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("stars:assessment_list", _list, **STREET),
    ScopeCase("stars:assessment_list", _list, **COUNTY),
    ScopeCase(
        "stars:assessment_create",
        _create,
        insider="org_department",
        outsider="street_staff",
        note="the township reads the assessment, the county records it",
    ),
    ScopeCase("stars:assessment_export", _export, **STREET),
    ScopeCase("stars:assessment_year", _year, **STREET),
    ScopeCase("stars:assessment_year_export", _export, **STREET),
    ScopeCase("stars:assessment_detail", _detail, **STREET),
    ScopeCase(
        "stars:assessment_detail",
        _detail,
        insider="org_department",
        outsider="village_staff",
        note="villages do not read the assessment",
    ),
]
