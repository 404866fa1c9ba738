"""The consultation API: scoped reads of meetings (agenda, outcomes, quorum), decisions and
pledges; sign-in and ballots for integrations, refusals with the field named."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from lianxin.accounts.services import api_token_issue
from lianxin.consultation import electorate
from lianxin.consultation.models import Attendance, Ballot, Decision, Milestone
from lianxin.consultation.services import votes
from lianxin.consultation.tests import factories as f
from lianxin.consultation.tests import scope_pledges as pf
from lianxin.core import clock

pytestmark = pytest.mark.django_db
BASE = "/api/consultation"


class Api:
    def __init__(self, world: Any, persona: str) -> None:
        raw = api_token_issue(user=world.users[persona], name="test", created_by=None)
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def get(self, path: str, **query: Any) -> Any:
        return self.client.get(BASE + path, query, **self.headers)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(
            BASE + path, json.dumps(body), content_type="application/json", **self.headers
        )


def _keys(world: Any, kind: str = "households") -> list[str]:
    return [e.key for e in electorate.electors(world.village, kind, on=clock.now().date())]


def test_meetings_list_filters_and_pages(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    f.households(world.building, 3)
    for i in range(3):
        f.meeting(world, title=f"议事会{i}", code="property_face_to_face")
    f.open_meeting(world, title="进行中的会", code="property_face_to_face", attendees=2)
    api = Api(world, "street_staff")
    with django_assert_max_num_queries(8):
        page = api.get("/meetings", limit=2)
    body = page.json()
    assert page.status_code == 200 and body["count"] == 4 and len(body["items"]) == 2
    open_ = api.get("/meetings", status="open").json()["items"]
    assert [m["title"] for m in open_] == ["进行中的会"]
    assert open_[0]["present_count"] == 2 and open_[0]["eligible_count"] == 3
    assert api.get("/meetings", type="resident_reps").json()["count"] == 0
    assert api.get("/meetings", unit=world.other_village.code).json()["count"] == 0
    assert api.get("/meetings", unit="nowhere").json()["count"] == 0


def test_meeting_detail_agenda_outcomes_quorum(world) -> None:  # noqa: ANN001
    f.households(world.building, 5)
    m = f.open_meeting(world, code="property_face_to_face", attendees=3)
    item = f.voting_item(world, m, title="加装电梯")
    staff = world.actor("village_staff")
    for key in _keys(world)[:3]:
        votes.ballot_record(actor=staff, item=item, elector_key=key, choice="yes")
    votes.item_vote_close(actor=staff, item=item)
    body = Api(world, "village_staff").get(f"/meetings/{m.public_id}").json()
    assert body["quorum"] == {
        "eligible": 5,
        "present": 3,
        "required": body["quorum"]["required"],
        "met": True,
        "rule": body["quorum"]["rule"],
    }
    (row,) = body["items"]
    assert (row["title"], row["status"], row["yes_count"], row["support_rate"]) == (
        "加装电梯",
        "passed",
        3,
        "1.0000",
    )
    assert body["minutes_locked"] is False
    outsider = Api(world, "other_village_staff").get(f"/meetings/{m.public_id}")
    assert outsider.status_code == 404


def test_attendance_for_integrations(world) -> None:  # noqa: ANN001
    f.households(world.building, 3)
    f.households(world.other_village, 1)
    m = f.open_meeting(world, code="property_face_to_face")
    api = Api(world, "village_staff")
    url = f"/meetings/{m.public_id}/attendance"
    key = _keys(world)[0]
    done = api.post(url, {"elector_key": key})
    assert done.status_code == 201 and done.json()["quorum"]["present"] == 1
    twice = api.post(url, {"elector_key": key})
    assert twice.status_code == 409 and twice.json()["field"] == "elector_key"
    stranger = api.post(url, {"elector_key": "household:999999"})
    assert stranger.status_code == 400 and stranger.json()["field"] == "elector_key"
    assert api.post(url, {}).status_code == 422
    # The street sees the meeting but does not run it.
    street = Api(world, "street_staff").post(url, {"elector_key": _keys(world)[1]})
    assert street.status_code == 403
    assert Attendance.objects.filter(meeting=m).count() == 1


def test_ballots_for_integrations(world) -> None:  # noqa: ANN001
    f.households(world.building, 3)
    m = f.open_meeting(world, code="property_face_to_face", attendees=3)
    item = f.voting_item(world, m)
    api = Api(world, "village_staff")
    url = f"/items/{item.public_id}/ballots"
    key = _keys(world)[0]
    bad = api.post(url, {"elector_key": key, "choice": "maybe"})
    assert bad.status_code == 400 and bad.json()["field"] == "choice"
    ok = api.post(url, {"elector_key": key, "choice": "no"})
    assert ok.status_code == 201 and ok.json()["ballot_count"] == 1
    again = api.post(url, {"elector_key": key, "choice": "yes"})
    assert again.status_code == 409 and "已经投过票" in again.json()["detail"]
    stranger = api.post(url, {"elector_key": "household:999999", "choice": "yes"})
    assert stranger.status_code == 400 and stranger.json()["field"] == "elector_key"
    assert list(Ballot.objects.values_list("choice", flat=True)) == ["no"]
    outsider = Api(world, "other_village_staff").post(url, {"elector_key": key, "choice": "yes"})
    assert outsider.status_code == 404


def test_decisions_with_progress(world) -> None:  # noqa: ANN001
    d = Decision.objects.create(
        unit=world.village,
        title="修缮排水沟",
        summary="年内完成",
        responsible="迎秀社区居委会",
        decided_on=dt.date(2026, 3, 1),
        due_on=dt.date(2026, 5, 30),
        progress=50,
    )
    Milestone.objects.create(decision=d, title="采购", due_on=dt.date(2026, 4, 1), progress=100)
    Milestone.objects.create(decision=d, title="施工", due_on=dt.date(2026, 5, 30))
    api = Api(world, "street_staff")
    (row,) = api.get("/decisions").json()["items"]
    assert (row["progress"], [m["title"] for m in row["milestones"]]) == (50, ["采购", "施工"])
    assert api.get("/decisions", overdue=True).json()["count"] == 1
    assert api.get("/decisions", status="done").json()["count"] == 0
    assert Api(world, "other_street_staff").get("/decisions").json()["count"] == 0


def test_pledges_without_evaluators(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    pf.evaluated(world, year=2025)
    pf.draft(world)
    api = Api(world, "org_department")
    with django_assert_max_num_queries(8):
        body = api.get("/pledges").json()
    assert [(p["year"], p["stage"]) for p in body["items"]] == [
        (2026, "draft"),
        (2025, "evaluated"),
    ]
    old = body["items"][1]
    assert (old["average_score"], old["score_count"]) == ("87.50", 2)
    assert [i["report_count"] for i in old["items"]] == [1, 1, 1]
    assert "代表0" not in json.dumps(body, ensure_ascii=False)
    assert api.get("/pledges", year=2025, stage="evaluated").json()["count"] == 1
