"""The training list pages: creating and sending a survey, the recipients' public answer link
(the survey and their unit's name only), staff entry, the tallies with query budgets, the
generated plan, session edits and sign-in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.core import clock
from lianxin.core.testing import make_unit
from lianxin.worklists.models import (
    SurveyAnswer,
    SurveyRecipient,
    TrainingAttendance,
    TrainingPlan,
    TrainingSurvey,
)
from lianxin.worklists.models.training import TargetGroup
from lianxin.worklists.services import training as svc
from lianxin.worklists.tests import scope_training as st

pytestmark = pytest.mark.django_db


def _public(r: SurveyRecipient) -> str:
    return reverse("worklists:survey_answer_public", kwargs={"public_id": r.public_id})


def _detail(s: TrainingSurvey) -> str:
    return reverse("worklists:survey_detail", kwargs={"public_id": s.public_id})


def test_create_preview_and_send_on_the_page(world) -> None:  # noqa: ANN001
    st.weak(world.village)
    client = world.client("org_department")
    url = reverse("worklists:survey_create")
    form = client.get(url)
    assert "35岁以下年轻支部书记" in form.content.decode()
    data = {
        "county": world.county.code,
        "title": "2026年书记培训需求调查",
        "groups": [TargetGroup.WEAK, TargetGroup.UNDER_35],
        "topics": "创建标准解读\n\n集体经济发展",
        "formats": "集中授课",
        "deadline": (clock.today() - dt.timedelta(days=1)).isoformat(),
    }
    refused = client.post(url, data)
    assert refused.status_code == 400 and "截止日期不能早于今天" in refused.content.decode()
    assert "2026年书记培训需求调查" in refused.content.decode()
    data["deadline"] = (clock.today() + dt.timedelta(days=7)).isoformat()
    created = client.post(url, data)
    survey = TrainingSurvey.objects.get()
    assert created.status_code == 302 and survey.topics == ["创建标准解读", "集体经济发展"]
    preview = client.get(_detail(survey))
    assert preview.context["preview"] == [
        ("35岁以下年轻支部书记", 0),
        ("软弱涣散村支部书记", 1),
    ]
    sent = client.post(
        reverse("worklists:survey_act", kwargs={"public_id": survey.public_id, "action": "send"}),
        {"send-version": str(survey.version)},
    )
    assert sent.status_code == 302
    assert SurveyRecipient.objects.get().unit == world.village


def test_public_link_shows_the_survey_and_own_unit_only(world) -> None:  # noqa: ANN001
    st.secretary(world.village, name="周书记", birth=dt.date(1970, 5, 1))
    st.weak(world.other_village)
    s = st.sent(world)
    mine = st.recipient(s, world.village)
    assert mine.person_name == "周书记"
    anon = Client()
    page = anon.get(_public(mine))
    html = page.content.decode()
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex"
    assert s.title in html and "迎秀社区" in html and st.TOPICS[0] in html
    assert "周书记" not in html and "西关社区" not in html and "大定街道" not in html
    refused = anon.post(_public(mine), {"note": "请安排周末"})
    assert refused.status_code == 400 and "请安排周末" in refused.content.decode()
    assert not SurveyAnswer.objects.exists()
    done = anon.post(
        _public(mine), {"topics": [st.TOPICS[1]], "formats": [st.FORMATS[2]], "note": "多观摩"}
    )
    assert done.status_code == 302 and done["Location"].endswith("?done=1")
    again = anon.get(_public(mine))
    assert "以最新一次为准" in again.content.decode()
    answer = SurveyAnswer.objects.get()
    assert (answer.recipient, answer.topics, answer.formats) == (mine, [st.TOPICS[1]], ["外出观摩"])
    missing = reverse(
        "worklists:survey_answer_public",
        kwargs={"public_id": "00000000-0000-0000-0000-000000000000"},
    )
    assert anon.get(missing).status_code == 404
    svc.survey_close(actor=world.actor("org_department"), survey=s)
    closed = anon.post(_public(mine), {"topics": [st.TOPICS[0]]})
    assert closed.status_code == 400 and SurveyAnswer.objects.count() == 1


def test_staff_enter_an_answer(world) -> None:  # noqa: ANN001
    s = st.sent(world)
    r = st.recipient(s, world.village)
    url = reverse("worklists:recipient_answer", kwargs={"public_id": r.public_id})
    client = world.client("org_department")
    assert client.get(url).status_code == 200
    response = client.post(url, {"topics": [st.TOPICS[0], st.TOPICS[3]]})
    assert response.status_code == 302 and response["Location"] == _detail(s)
    assert SurveyAnswer.objects.get().topics == [st.TOPICS[0], st.TOPICS[3]]
    assert world.client("village_staff").get(url).status_code == 404


def test_detail_tallies_and_query_budget(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    w = world
    extra = [
        make_unit("village", f"{w.street.code}4{i:02d}", f"村{i}", w.street, display_name=f"村{i}")
        for i in range(3)
    ]
    for unit in extra:
        st.weak(unit)
    st.weak(w.other_village)
    s = st.sent(w)
    for r in SurveyRecipient.objects.filter(survey=s).exclude(unit=w.other_village):
        svc.answer_submit(recipient=r, topics=[st.TOPICS[1]], formats=[st.FORMATS[0]])
    client = w.client("org_department")
    with django_assert_max_num_queries(12):
        page = client.get(_detail(s))
    tally = page.context["tally"]
    assert len(tally.recipients) == 5 and tally.answered == 4
    assert tally.topics[0] == (st.TOPICS[1], 4)
    assert tally.per_group == [("软弱涣散村支部书记", 5, 4)]
    # The village sees its own recipient only; the other township's village sees its own.
    mine = w.client("village_staff").get(_detail(s)).context["tally"]
    assert [r.unit for r in mine.recipients] == [w.village]
    other = w.client("other_village_staff").get(_detail(s)).context["tally"]
    assert [r.unit for r in other.recipients] == [w.other_village] and other.answered == 0
    for i in range(5):
        unit = make_unit(
            "village", f"{w.street.code}5{i:02d}", f"新村{i}", w.street, display_name=f"新村{i}"
        )
        SurveyRecipient.objects.create(survey=s, unit=unit, group="weak", person_name="书记")
    with django_assert_max_num_queries(12):
        assert client.get(_detail(s)).status_code == 200
    with django_assert_max_num_queries(11):
        listing = client.get(reverse("worklists:survey_list"))
    row = listing.context["page"].object_list[0]
    assert (row.recipient_count, row.answered_count) == (10, 4)
    village_row = w.client("village_staff").get(reverse("worklists:survey_list"))
    assert village_row.context["page"].object_list[0].recipient_count == 1


def test_generate_edit_and_sign_in(world) -> None:  # noqa: ANN001
    s = st.sent(world)
    r = st.recipient(s, world.village)
    svc.answer_submit(recipient=r, topics=[st.TOPICS[2], st.TOPICS[0]])
    client = world.client("org_department")
    act = reverse("worklists:survey_act", kwargs={"public_id": s.public_id, "action": "generate"})
    refused = client.post(act, {"generate-version": str(s.version), "generate-top": "50"})
    assert refused.status_code == 400
    response = client.post(act, {"generate-version": str(s.version), "generate-top": "5"})
    plan = TrainingPlan.objects.get()
    assert response["Location"] == reverse(
        "worklists:plan_detail", kwargs={"public_id": plan.public_id}
    )
    page = client.get(response["Location"]).content.decode()
    assert page.index(st.TOPICS[0]) < page.index(st.TOPICS[2]) and "需求 1 人" in page
    session = plan.sessions.order_by("starts_at").first()
    assert session is not None
    prefix = str(session.public_id)[:8]
    edit = reverse("worklists:session_edit", kwargs={"public_id": session.public_id})
    bad = client.post(edit, {f"{prefix}-starts_at": "", f"{prefix}-place": "党校"})
    assert bad.status_code == 400 and "党校" in bad.content.decode()
    ok = client.post(
        edit,
        {
            f"{prefix}-starts_at": "2026-12-08T14:30",
            f"{prefix}-place": "市委党校",
            f"{prefix}-lecturer": "王老师",
        },
    )
    assert ok.status_code == 302
    session.refresh_from_db()
    assert session.place == "市委党校"
    attend = reverse("worklists:session_attend", kwargs={"public_id": session.public_id})
    assert client.post(attend, {"recipients": [str(r.public_id)]}).status_code == 302
    again = client.post(attend, {"recipients": [str(r.public_id)]})
    assert again.status_code == 400
    assert TrainingAttendance.objects.filter(session=session).count() == 1
    roster = client.get(
        reverse("worklists:session_detail", kwargs={"public_id": session.public_id})
    )
    assert roster.context["attended"] == 1 and "全部调查对象都已签到" in roster.content.decode()
