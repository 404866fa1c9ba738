"""Scope cases of the training part (培训清单), run by core's URL walk, and helpers that build
surveys, answers and plans through the real services (tests/test_training*.py use them).

The answer link /worklists/training/a/<uuid>/ is public by design: it is the recipient's own
link, carries an unguessable UUID, and shows only the survey and the recipient's unit name
(test_training_pages.py proves it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from lianxin.core import clock
from lianxin.core.scopecheck import ScopeCase, ScopeSetup, register_public
from lianxin.core.testing import make_household, make_resident
from lianxin.party.tests.factories import make_member, make_org
from lianxin.stars.models import StarAward, WeakBranch
from lianxin.worklists.models import SurveyRecipient, TrainingPlan, TrainingSurvey
from lianxin.worklists.models.training import TargetGroup
from lianxin.worklists.services import training as svc

MARK = "范围标记：书记培训需求调查"
TOPICS = ["创建标准解读", "集体经济发展", "矛盾纠纷调解", "演讲与展示"]
FORMATS = ["集中授课", "现场教学", "外出观摩"]

register_public(
    "worklists:survey_answer_public",
    "a training-survey recipient's own answer link (UUID): shows the survey and the "
    "recipient's unit name only; answers are append-only",
)


def weak(unit: Any, year: int | None = None) -> WeakBranch:
    return WeakBranch.objects.create(
        unit=unit, year=year or clock.today().year, reason="班子不团结"
    )


def stars(unit: Any, count: int, year: int | None = None) -> list[StarAward]:
    """`count` stars held by the unit in `year` (default: last year)."""
    year = year or clock.today().year - 1
    codes = ["branch", "industry", "ecology", "safety", "civility"]
    return [
        StarAward.objects.create(
            unit=unit, year=year, star_code=code, awarded_on=dt.date(year, 12, 20)
        )
        for code in codes[:count]
    ]


def secretary(unit: Any, *, name: str, birth: dt.date, duty: str = "书记") -> Any:
    org = make_org(unit)
    resident = make_resident(make_household(unit), name=name, birth=birth)
    return make_member(org, name=name, resident=resident, duty=duty)


def survey(
    w: Any,
    *,
    groups: Sequence[str] = (TargetGroup.WEAK,),
    title: str = MARK,
    deadline: dt.date | None = None,
) -> TrainingSurvey:
    return svc.survey_create(
        actor=w.actor("org_department"),
        county=w.county,
        title=title,
        groups=groups,
        topics=TOPICS,
        formats=FORMATS,
        deadline=deadline or clock.today() + dt.timedelta(days=10),
    )


def sent(w: Any, **kw: Any) -> TrainingSurvey:
    """A survey sent to the weak branch 迎秀社区 only."""
    weak(w.village)
    s = survey(w, **kw)
    svc.survey_send(actor=w.actor("org_department"), survey=s)
    s.refresh_from_db()
    return s


def recipient(s: TrainingSurvey, unit: Any) -> SurveyRecipient:
    return SurveyRecipient.objects.get(survey=s, unit=unit)


def planned(w: Any) -> TrainingPlan:
    s = sent(w)
    svc.answer_submit(recipient=recipient(s, w.village), topics=[TOPICS[1]], formats=[FORMATS[0]])
    return svc.plan_generate(actor=w.actor("org_department"), survey=s)


# --- scope cases -----------------------------------------------------------------------------

VILLAGE = {"insider": "village_staff", "outsider": "other_village_staff"}
STREET = {"insider": "street_staff", "outsider": "other_street_staff"}


def _listed(w: Any) -> ScopeSetup:
    sent(w)
    return ScopeSetup(marker=MARK)


def _create(w: Any) -> ScopeSetup:
    return ScopeSetup(marker="调查对象")


def _detail(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": sent(w).public_id})


def _close(w: Any) -> ScopeSetup:
    s = sent(w)
    return ScopeSetup(
        kwargs={"public_id": s.public_id, "action": "close"},
        data={"close-version": str(s.version)},
    )


def _answer(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": recipient(sent(w), w.village).public_id})


def _plan(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": planned(w).public_id})


def _session(w: Any) -> ScopeSetup:
    return ScopeSetup(kwargs={"public_id": planned(w).sessions.get().public_id})


def _session_edit(w: Any) -> ScopeSetup:
    session = planned(w).sessions.get()
    prefix = str(session.public_id)[:8]
    return ScopeSetup(
        kwargs={"public_id": session.public_id},
        data={
            f"{prefix}-starts_at": "2026-12-01T09:00",
            f"{prefix}-place": "市委党校",
            f"{prefix}-lecturer": "王老师",
        },
    )


def _attend(w: Any) -> ScopeSetup:
    plan = planned(w)
    session = plan.sessions.get()
    r = recipient(plan.survey, w.village)
    return ScopeSetup(
        kwargs={"public_id": session.public_id}, data={"recipients": [str(r.public_id)]}
    )


COUNTY = {"insider": "org_department", "outsider": "street_staff"}

SCOPE_CASES: list[ScopeCase] = [
    ScopeCase("worklists:survey_list", _listed, **VILLAGE),
    ScopeCase("worklists:survey_list", _listed, **STREET),
    ScopeCase(
        "worklists:survey_create", _create, insider="org_department", outsider="village_staff"
    ),
    ScopeCase("worklists:survey_detail", _detail, **VILLAGE),
    ScopeCase("worklists:survey_detail", _detail, **STREET),
    ScopeCase(
        "worklists:survey_act",
        _close,
        method="post",
        expect_inside=(302,),
        insider="org_department",
        outsider="village_staff",
    ),
    ScopeCase(
        "worklists:recipient_answer", _answer, insider="org_department", outsider="village_staff"
    ),
    ScopeCase("worklists:plan_detail", _plan, **COUNTY),
    ScopeCase("worklists:session_detail", _session, **COUNTY),
    ScopeCase(
        "worklists:session_edit", _session_edit, method="post", expect_inside=(302,), **COUNTY
    ),
    ScopeCase(
        "worklists:session_attend",
        _attend,
        method="post",
        expect_inside=(302,),
        insider="org_department",
        outsider="village_staff",
    ),
]
