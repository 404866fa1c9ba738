"""Scope cases for the members URLs of points: member points, low scores, talks, evaluation.

Members belong to a branch at 迎秀社区: its village staff is inside, the staff of 西关社区
(who hold the same permissions there) is outside.
"""

from __future__ import annotations

from typing import Any

from lianxin.core import clock
from lianxin.core.scopecheck import ScopeCase, ScopeSetup
from lianxin.party.models import PartyMember, PartyOrganisation
from lianxin.party.tests.factories import make_member, make_org
from lianxin.points.models import PointsSettings

MARK = "范围标记党员"
INSIDER = "village_staff"
OUTSIDER = "other_village_staff"


def _member(w: Any) -> PartyMember:
    # The settings row read back from the database (weights as Decimal): see test_members.py.
    PointsSettings.objects.get_or_create()
    return make_member(make_org(w.village), name=MARK)


def _listed(w: Any) -> ScopeSetup:
    _member(w)
    return ScopeSetup(marker=MARK)


def _detail(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": _member(w).public_id})


def _talk(w: Any) -> ScopeSetup:
    today = clock.now().date()
    return ScopeSetup(
        kwargs={"public_id": _member(w).public_id},
        data={"year": str(today.year), "talked_on": today.isoformat(), "summary": "提醒谈话"},
    )


def _org(w: Any) -> ScopeSetup:
    org: PartyOrganisation = _member(w).organisation
    return ScopeSetup(kwargs={"public_id": org.public_id}, query={"year": str(clock.now().year)})


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("points:member_list", _listed, insider=INSIDER, outsider=OUTSIDER),
    ScopeCase("points:member_detail", _detail, insider=INSIDER, outsider=OUTSIDER),
    ScopeCase("points:low_scores", _listed, insider=INSIDER, outsider=OUTSIDER),
    ScopeCase("points:talk_create", _talk, insider=INSIDER, outsider=OUTSIDER),
    ScopeCase(
        "points:talk_create",
        _talk,
        insider=INSIDER,
        outsider=OUTSIDER,
        method="post",
        expect_inside=(302,),
    ),
    ScopeCase("points:evaluation_xlsx", _org, insider=INSIDER, outsider=OUTSIDER),
]
