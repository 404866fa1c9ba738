"""Scope cases of the consultation API (/api/consultation, token auth; run by core's URL walk).

Reads: the village's staff see its meetings, decisions and pledges; another village's staff
do not (lists) or get 404 (details). Writes: the village's staff sign an elector in and record
a ballot (201); another village's staff get 404 before any permission or state check.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from lianxin.consultation import electorate
from lianxin.consultation.models import Decision
from lianxin.consultation.tests import factories as f
from lianxin.consultation.tests import scope_pledges as pf
from lianxin.core import clock
from lianxin.core.scopecheck import ScopeCase, ScopeSetup

VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff", "api": True}
TITLE = "迎秀社区排水沟议事会"


def _meetings(w: Any) -> ScopeSetup:
    f.meeting(w, title=TITLE)
    return ScopeSetup(marker=TITLE)


def _meeting(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": f.meeting(w, title=TITLE).public_id}, marker=TITLE)


def _attendance(w: Any) -> ScopeSetup:
    f.households(w.building, 3)
    m = f.open_meeting(w, code="property_face_to_face", title=TITLE)
    key = next(electorate.electors(w.village, "households", on=clock.now().date())).key
    return ScopeSetup(kwargs={"public_id": m.public_id}, data={"elector_key": key})


def _ballot(w: Any) -> ScopeSetup:
    f.households(w.building, 3)
    m = f.open_meeting(w, code="property_face_to_face", attendees=2, title=TITLE)
    item = f.voting_item(w, m)
    key = m.attendances.first().elector_key
    return ScopeSetup(
        kwargs={"public_id": item.public_id}, data={"elector_key": key, "choice": "yes"}
    )


def _decisions(w: Any) -> ScopeSetup:
    Decision.objects.create(
        unit=w.village,
        title="修缮排水沟落实",
        summary="年内完成",
        responsible="迎秀社区居委会",
        decided_on=dt.date(2026, 3, 1),
        due_on=dt.date(2026, 9, 30),
    )
    return ScopeSetup(marker="修缮排水沟落实")


def _pledges(w: Any) -> ScopeSetup:
    pf.published(w)
    return ScopeSetup(marker=pf.MARK)


SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("api:consultation_meeting_list", _meetings, **VILLAGE),
    ScopeCase("api:consultation_meeting_detail", _meeting, **VILLAGE),
    ScopeCase(
        "api:consultation_meeting_attendance",
        _attendance,
        method="post",
        expect_inside=(201,),
        **VILLAGE,
    ),
    ScopeCase(
        "api:consultation_item_ballot", _ballot, method="post", expect_inside=(201,), **VILLAGE
    ),
    ScopeCase("api:consultation_decision_list", _decisions, **VILLAGE),
    ScopeCase("api:consultation_pledge_list", _pledges, **VILLAGE),
]
