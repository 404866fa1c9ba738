"""Screenshots of the training list pages (run by hand:
LIANXIN_SHOTS=1 python -m pytest lianxin/worklists/tests/test_training_shots.py)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.worklists.models import SurveyRecipient
from lianxin.worklists.models.training import TargetGroup
from lianxin.worklists.services import training as svc
from lianxin.worklists.tests import scope_training as st
from lianxin.worklists.tests.test_projects_shots import shoot

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not os.environ.get("LIANXIN_SHOTS"), reason="screenshots by hand"),
]


def test_shots(world) -> None:  # noqa: ANN001
    st.secretary(world.village, name="周书记", birth=dt.date(1994, 3, 1))
    st.weak(world.other_village)
    st.stars(world.village, 4)
    s = st.survey(world, groups=list(TargetGroup.values))
    draft = world.client("org_department").get(
        reverse("worklists:survey_detail", kwargs={"public_id": s.public_id})
    )
    svc.survey_send(actor=world.actor("org_department"), survey=s)
    mine = SurveyRecipient.objects.get(unit=world.village)
    svc.answer_submit(recipient=mine, topics=st.TOPICS[:2], formats=st.FORMATS[:1])
    svc.answer_submit(
        recipient=SurveyRecipient.objects.get(unit=world.other_village), topics=st.TOPICS[1:3]
    )
    plan = svc.plan_generate(actor=world.actor("org_department"), survey=s, top=3)
    county = world.client("org_department")
    detail = reverse("worklists:survey_detail", kwargs={"public_id": s.public_id})
    public = Client().get(
        reverse("worklists:survey_answer_public", kwargs={"public_id": mine.public_id})
    )
    session = plan.sessions.order_by("starts_at").first()
    assert session is not None
    shoot(
        {
            "training-draft-1280": (draft.content.decode(), 1280),
            "training-detail-1280": (county.get(detail).content.decode(), 1280),
            "training-detail-village-360": (
                world.client("village_staff").get(detail).content.decode(),
                360,
            ),
            "training-public-360": (public.content.decode(), 360),
            "training-plan-1280": (
                county.get(
                    reverse("worklists:plan_detail", kwargs={"public_id": plan.public_id})
                ).content.decode(),
                1280,
            ),
            "training-session-360": (
                county.get(
                    reverse("worklists:session_detail", kwargs={"public_id": session.public_id})
                ).content.decode(),
                360,
            ),
            "training-create-360": (
                county.get(reverse("worklists:survey_create")).content.decode(),
                360,
            ),
        }
    )
