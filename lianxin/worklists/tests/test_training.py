"""The training list's rules (services/training.py): who each target group picks, sending,
answers (append-only, newest counts, deadline), the plan's ranking, attendance once."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.testing import make_unit
from lianxin.worklists.models import (
    SurveyAnswer,
    SurveyRecipient,
    TrainingAttendance,
    TrainingSession,
    TrainingSurvey,
)
from lianxin.worklists.models.training import TargetGroup
from lianxin.worklists.services import training as svc
from lianxin.worklists.tests import scope_training as st

pytestmark = pytest.mark.django_db
G = TargetGroup


def _village(w, code: str, name: str, street=None):  # noqa: ANN001, ANN202
    parent = street or w.street
    return make_unit(
        "village", f"{parent.code}{code}", f"{name}村民委员会", parent, display_name=name
    )


def _years_ago(years: int, days: int = 0) -> dt.date:
    today = clock.today()
    return today.replace(year=today.year - years) + dt.timedelta(days=days)


def test_groups_pick_the_right_villages(world) -> None:  # noqa: ANN001
    w = world
    this_year = clock.today().year
    four = _village(w, "201", "四星村")
    three = _village(w, "202", "三星村")
    withdrawn = _village(w, "203", "撤星村")
    old = _village(w, "204", "前年五星村")
    young = _village(w, "205", "青年村", w.other_street)
    deputy = _village(w, "206", "副书记村")
    exactly = _village(w, "207", "刚满村")
    weak_now = _village(w, "208", "涣散村")
    weak_old = _village(w, "209", "去年涣散村")
    st.stars(four, 4)
    st.stars(three, 3)
    for award in st.stars(withdrawn, 4)[:1]:
        award.withdrawn_on = clock.today()
        award.save()
    st.stars(old, 5, year=this_year - 2)
    st.secretary(young, name="李青年", birth=_years_ago(30))
    st.secretary(four, name="王四星", birth=_years_ago(50))
    st.secretary(deputy, name="赵副书记", birth=_years_ago(25), duty="副书记")
    st.secretary(exactly, name="钱刚满", birth=_years_ago(35))
    st.secretary(weak_now, name="孙年轻", birth=_years_ago(28))
    st.weak(weak_now)
    st.weak(weak_old, year=this_year - 1)

    found = svc.targets(county=w.county, year=this_year, groups=list(G.values))
    got = {t.unit.display_name: (t.group, t.person_name) for t in found}
    assert got == {
        "四星村": (G.FIVE_FOUR_STAR, "王四星"),
        "青年村": (G.UNDER_35, "李青年"),
        # Young and weak: asked once, under the first group.
        "涣散村": (G.UNDER_35, "孙年轻"),
    }
    only_weak = svc.targets(county=w.county, year=this_year, groups=[G.WEAK])
    assert [(t.unit.display_name, t.person_name) for t in only_weak] == [("涣散村", "孙年轻")]
    stars_only = svc.targets(county=w.county, year=this_year, groups=[G.FIVE_FOUR_STAR])
    assert [t.unit.display_name for t in stars_only] == ["四星村"]


def test_unknown_secretary_is_called_secretary(world) -> None:  # noqa: ANN001
    s = st.sent(world)
    assert [(r.unit_id, r.group, r.person_name) for r in SurveyRecipient.objects.all()] == [
        (world.village.pk, G.WEAK, "书记")
    ]
    assert s.status == TrainingSurvey.Status.SENT and s.sent_at is not None


def test_sending_is_once_and_needs_someone(world) -> None:  # noqa: ANN001
    county = world.actor("org_department")
    empty = st.survey(world, title="无对象")
    with pytest.raises(DomainError) as exc:
        svc.survey_send(actor=county, survey=empty)
    assert exc.value.field == "groups"
    empty.refresh_from_db()
    assert empty.status == "draft" and not SurveyRecipient.objects.exists()
    s = st.sent(world)
    with pytest.raises(DomainError):
        svc.survey_send(actor=county, survey=s)
    stale = TrainingSurvey.objects.get(pk=s.pk)
    svc.survey_close(actor=county, survey=s)
    with pytest.raises(Conflict):
        svc.survey_close(actor=county, survey=stale, expected_version=stale.version)
    assert SurveyRecipient.objects.count() == 1


def test_only_the_county_runs_surveys(world) -> None:  # noqa: ANN001
    for persona in ("street_staff", "village_secretary"):
        with pytest.raises(PermissionDenied):
            svc.survey_create(
                actor=world.actor(persona),
                county=world.county,
                title="x",
                groups=[G.WEAK],
                topics=["a"],
                deadline=clock.today(),
            )


def test_survey_input_is_checked(world) -> None:  # noqa: ANN001
    bad = {
        "groups": ([], "groups"),
        "topics": ([" ", ""], "topics"),
        "deadline": (clock.today() - dt.timedelta(days=1), "deadline"),
    }
    for key, (value, field) in bad.items():
        kwargs = {
            "actor": world.actor("org_department"),
            "county": world.county,
            "title": "调查",
            "groups": [G.WEAK],
            "topics": ["内容"],
            "deadline": clock.today(),
            key: value,
        }
        with pytest.raises(DomainError) as exc:
            svc.survey_create(**kwargs)
        assert exc.value.field == field
    assert not TrainingSurvey.objects.exists()


def test_answers_are_append_only_and_the_newest_counts(world) -> None:  # noqa: ANN001
    s = st.sent(world)
    r = st.recipient(s, world.village)
    first = svc.answer_submit(recipient=r, topics=[st.TOPICS[0]], formats=[st.FORMATS[0]])
    svc.answer_submit(recipient=r, topics=[st.TOPICS[2], st.TOPICS[3]], note="希望多到先进村观摩")
    assert SurveyAnswer.objects.filter(recipient=r).count() == 2
    ranked, sent, answered = svc.ranking(s)
    assert (sent, answered) == (1, 1)
    assert [(d.topic, d.count) for d in ranked if d.count] == [
        (st.TOPICS[2], 1),
        (st.TOPICS[3], 1),
    ]
    first.note = "改写"
    with pytest.raises(RuntimeError):
        first.save()
    r.refresh_from_db()
    assert r.answered_at is not None


def test_answer_refusals(world) -> None:  # noqa: ANN001
    s = st.sent(world, deadline=clock.today())
    r = st.recipient(s, world.village)
    with pytest.raises(DomainError) as exc:
        svc.answer_submit(recipient=r, topics=[])
    assert exc.value.field == "topics"
    with pytest.raises(DomainError) as exc:
        svc.answer_submit(recipient=r, topics=["不在列表中"])
    assert exc.value.field == "topics"
    with pytest.raises(DomainError) as exc:
        svc.answer_submit(recipient=r, topics=[st.TOPICS[0]], formats=["自创形式"])
    assert exc.value.field == "formats"
    later = dt.datetime.combine(clock.today() + dt.timedelta(days=1), dt.time(10), tzinfo=dt.UTC)
    with clock.travel(later):
        with pytest.raises(DomainError, match="截止"):
            svc.answer_submit(recipient=r, topics=[st.TOPICS[0]])
        # Staff may still enter a paper answer until the survey is closed.
        svc.answer_submit(recipient=r, topics=[st.TOPICS[0]], actor=world.actor("org_department"))
    with pytest.raises(PermissionDenied):
        svc.answer_submit(recipient=r, topics=[st.TOPICS[0]], actor=world.actor("village_staff"))
    svc.survey_close(actor=world.actor("org_department"), survey=s)
    r.refresh_from_db()
    with pytest.raises(DomainError, match="截止"):
        svc.answer_submit(recipient=r, topics=[st.TOPICS[0]])
    assert SurveyAnswer.objects.count() == 1


def test_plan_takes_the_most_requested_topics_in_order(world) -> None:  # noqa: ANN001
    w = world
    extra = [_village(w, f"3{i:02d}", f"涣散{i}村") for i in range(4)]
    for unit in extra:
        st.weak(unit)
    s = st.sent(w)
    recipients = {r.unit_id: r for r in SurveyRecipient.objects.filter(survey=s)}
    assert len(recipients) == 5
    t0, t1, t2, t3 = st.TOPICS
    answers = [
        (w.village, [t2, t1], ["现场教学"]),
        (extra[0], [t2], ["现场教学"]),
        (extra[1], [t2, t1], ["集中授课"]),
        (extra[2], [t3, t1], ["现场教学"]),
        (extra[3], [t0], []),
    ]
    for unit, topics, formats in answers:
        svc.answer_submit(recipient=recipients[unit.pk], topics=topics, formats=formats)
    # A changed mind: extra[3] now wants t3 instead of t0 (the newest answer counts).
    svc.answer_submit(recipient=recipients[extra[3].pk], topics=[t3])
    plan = svc.plan_generate(actor=w.actor("org_department"), survey=s, top=3)
    sessions = list(TrainingSession.objects.filter(plan=plan).order_by("starts_at"))
    # t2 and t1 both have 3; the survey's order breaks the tie (t1 before t2).
    assert [x.topic for x in sessions] == [t1, t2, t3]
    assert [x.form for x in sessions] == ["现场教学", "现场教学", "现场教学"]
    assert sessions[0].groups == [G.WEAK]
    assert "收回5份" in plan.summary and f"1. {t1}（3人）" in plan.summary
    assert sessions[1].starts_at - sessions[0].starts_at == dt.timedelta(days=7)
    # Only topics someone asked for become sessions.
    plan5 = svc.plan_generate(actor=w.actor("org_department"), survey=s, top=5)
    assert plan5.sessions.count() == 3
    with pytest.raises(DomainError) as exc:
        svc.plan_generate(actor=w.actor("org_department"), survey=s, top=0)
    assert exc.value.field == "top"


def test_plan_needs_answers(world) -> None:  # noqa: ANN001
    s = st.sent(world)
    with pytest.raises(DomainError, match="还没有收到答复"):
        svc.plan_generate(actor=world.actor("org_department"), survey=s)
    draft = st.survey(world, title="草稿")
    with pytest.raises(DomainError):
        svc.plan_generate(actor=world.actor("org_department"), survey=draft)


def test_attendance_once_per_recipient_and_session(world) -> None:  # noqa: ANN001
    plan = st.planned(world)
    session = plan.sessions.get()
    r = st.recipient(plan.survey, world.village)
    county = world.actor("org_department")
    svc.attendance_record(actor=county, session=session, recipient=r)
    with pytest.raises(DomainError, match="已签到") as exc:
        svc.attendance_record(actor=county, session=session, recipient=r)
    assert exc.value.field == "recipients"
    assert svc.attendance_record_many(actor=county, session=session, recipients=[r]) == 0
    assert TrainingAttendance.objects.count() == 1
    with pytest.raises(PermissionDenied):
        svc.attendance_record(actor=world.actor("street_staff"), session=session, recipient=r)


def test_attendance_is_unique_in_the_database(world) -> None:  # noqa: ANN001
    from django.db import IntegrityError, transaction

    plan = st.planned(world)
    session = plan.sessions.get()
    r = st.recipient(plan.survey, world.village)
    TrainingAttendance.objects.create(session=session, recipient=r, at=clock.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        TrainingAttendance.objects.create(session=session, recipient=r, at=clock.now())


def test_session_update(world) -> None:  # noqa: ANN001
    session = st.planned(world).sessions.get()
    when = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    svc.session_update(
        actor=world.actor("org_department"),
        session=session,
        starts_at=when,
        place="市委党校",
        lecturer="王老师",
        form="集中授课",
    )
    session.refresh_from_db()
    assert (session.starts_at, session.place, session.lecturer) == (when, "市委党校", "王老师")
    with pytest.raises(DomainError) as exc:
        svc.session_update(actor=world.actor("org_department"), session=session, starts_at=None)
    assert exc.value.field == "starts_at"
