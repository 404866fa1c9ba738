"""The JSON API for requests (/api/cases): scope, filters, filing, every action and its errors."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.accounts.services import api_token_issue
from lianxin.cases.models import Case, Whistle
from lianxin.cases.services import lifecycle
from lianxin.cases.tests.factories import assigned_case, make_case, resolved_case
from lianxin.cases.workflow import Action, Channel, Status

pytestmark = pytest.mark.django_db


class Api:
    """A token client for one persona."""

    def __init__(self, world: Any, persona: str) -> None:
        raw = api_token_issue(user=world.users[persona], name="test", created_by=None)
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    def get(self, name: str, query: dict | None = None, **kwargs: Any) -> Any:
        return self.client.get(reverse(f"api:{name}", kwargs=kwargs), query or {}, **self.headers)

    def post(self, name: str, data: dict, **kwargs: Any) -> Any:
        return self.client.post(
            reverse(f"api:{name}", kwargs=kwargs),
            json.dumps(data),
            content_type="application/json",
            **self.headers,
        )

    def act(self, case: Case, action: str, **data: Any) -> Any:
        case.refresh_from_db()
        data.setdefault("version", case.version)
        return self.post(f"cases_request_{action}", data, ref=case.tracking_no)


def test_list_is_scoped_and_paginated(world) -> None:
    mine = [make_case(world.building) for _ in range(3)]
    make_case(world.sibling_building)
    body = Api(world, "grid_worker").get("cases_request_list", {"limit": 2}).json()
    assert body["count"] == 3 and len(body["items"]) == 2
    assert {i["tracking_no"] for i in body["items"]} <= {c.tracking_no for c in mine}
    item = body["items"][0]
    assert item["unit_code"] == world.building.code and item["status_label"] == "待受理"
    assert "reporter_phone_masked" not in item and "description" not in item
    village = Api(world, "village_staff").get("cases_request_list").json()
    assert village["count"] == 4
    assert Api(world, "other_village_staff").get("cases_request_list").json()["count"] == 0


def test_list_filters(world) -> None:
    a = make_case(world.building, code="lighting")
    b = assigned_case(world, code="drains")
    c = make_case(world.sibling_building, code="lighting")
    Case.objects.filter(pk=c.pk).update(
        sla_state="overdue", received_at=dt.datetime(2024, 3, 1, 10, tzinfo=dt.UTC)
    )
    api = Api(world, "village_staff")

    def found(**query: str) -> set[str]:
        items = api.get("cases_request_list", query).json()["items"]
        return {i["tracking_no"] for i in items}

    assert found(status="received") == {a.tracking_no, c.tracking_no}
    assert found(status="assigned,in_progress") == {b.tracking_no}
    assert found(level="small") == {b.tracking_no}
    assert found(category="lighting") == {a.tracking_no, c.tracking_no}
    assert found(unit=world.grid.code) == {a.tracking_no, b.tracking_no}
    assert found(unit="no-such-unit") == set()
    assert found(sla_state="overdue") == {c.tracking_no}
    assert found(sla_state="normal") == {a.tracking_no, b.tracking_no}
    assert found(received_from="2024-02-29", received_to="2024-03-01") == {c.tracking_no}
    assert c.tracking_no not in found(received_from="2024-03-02")


def test_list_issues_a_constant_number_of_queries(world) -> None:
    api = Api(world, "village_staff")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = api.get("cases_request_list", {"limit": 100})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    for _ in range(3):
        assigned_case(world)
    small = count()
    for _ in range(27):
        assigned_case(world)
    assert count() == small


def test_detail_by_tracking_number_or_public_id_masks_the_reporter(world) -> None:
    case = make_case(world.building, phone="13812345678", name="张建国")
    api = Api(world, "village_staff")
    by_no = api.get("cases_request_detail", ref=case.tracking_no.lower()).json()
    by_id = api.get("cases_request_detail", ref=str(case.public_id)).json()
    assert by_no == by_id
    assert by_no["reporter_name"] == "张**" and by_no["reporter_phone_masked"] == "138****5678"
    assert "13812345678" not in json.dumps(by_no)
    assert {"accept", "assign", "reject", "guide"} <= set(by_no["actions"])
    assert "take" not in by_no["actions"]
    outsider = Api(world, "other_village_staff")
    assert outsider.get("cases_request_detail", ref=case.tracking_no).status_code == 404
    assert outsider.get("cases_request_events", ref=case.tracking_no).status_code == 404
    assert api.get("cases_request_detail", ref="NOPE").status_code == 404


def test_without_a_token_the_api_answers_401(world) -> None:
    case = make_case(world.building)
    response = Client().get(reverse("api:cases_request_detail", kwargs={"ref": case.tracking_no}))
    assert response.status_code == 401
    bad = Client().get(
        reverse("api:cases_request_list"), HTTP_AUTHORIZATION="Bearer lx_not-a-token"
    )
    assert bad.status_code == 401


def test_staff_file_a_request(world) -> None:
    api = Api(world, "grid_worker")
    data = {
        "unit": world.building.code,
        "description": "2单元楼道堆放杂物，影响通行和消防安全",
        "channel": Channel.VISIT,
        "category": "lighting",
        "phone": "13912345678",
        "name": "李四",
    }
    response = api.post("cases_request_list", data)
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(tracking_no=body["tracking_no"])
    assert case.channel == Channel.VISIT and case.filed_by == world.users["grid_worker"]
    assert body["reporter_phone_masked"] == "139****5678" and body["category_code"] == "lighting"

    no_channel = api.post("cases_request_list", {**data, "channel": ""})
    assert no_channel.status_code == 400 and no_channel.json()["field"] == "channel"
    public_channel = api.post("cases_request_list", {**data, "channel": Channel.QR})
    assert public_channel.status_code == 400
    short = api.post("cases_request_list", {**data, "description": "灯"})
    assert short.status_code == 400 and short.json()["field"] == "description"
    unknown = api.post("cases_request_list", {**data, "unit": "nowhere"})
    assert unknown.status_code == 400 and unknown.json()["field"] == "unit"
    bad_category = api.post("cases_request_list", {**data, "category": "nope"})
    assert bad_category.json()["field"] == "category"
    outside = api.post("cases_request_list", {**data, "unit": world.sibling_building.code})
    assert outside.status_code == 403
    assert Case.objects.count() == 1


def test_the_closed_loop_through_the_api(world) -> None:
    case = make_case(world.building)
    staff, gw = Api(world, "village_staff"), Api(world, "grid_worker")
    response = staff.act(case, "accept", note="已受理")
    assert response.status_code == 200 and response.json()["status"] == Status.ACCEPTED
    assert response.json()["version"] == case.version + 1
    assert staff.act(case, "triage", level="small", urgency="general").status_code == 200
    assigned = staff.act(
        case,
        "assign",
        handler_unit=world.grid.code,
        assignee=str(world.users["grid_worker"].public_id),
    )
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["assignee_name"] and assigned.json()["resolve_due_at"]
    detail = gw.get("cases_request_detail", ref=case.tracking_no).json()
    assert "take" in detail["actions"] and "accept" not in detail["actions"]
    assert gw.act(case, "take").json()["status"] == Status.IN_PROGRESS
    assert gw.act(case, "progress", note="已联系物业").status_code == 200
    resolved = gw.act(case, "resolve", result="已更换灯泡")
    assert (
        resolved.json()["status"] == Status.RESOLVED and resolved.json()["result"] == "已更换灯泡"
    )
    assert gw.act(case, "follow_up", satisfaction="basic").json()["status"] == Status.FOLLOWED_UP
    closed = staff.act(case, "close")
    assert closed.json()["status"] == Status.CLOSED and closed.json()["outcome"] == "resolved"
    events = staff.get("cases_request_events", ref=case.tracking_no).json()
    assert [e["action"] for e in events] == [
        Action.SUBMIT,
        Action.ACCEPT,
        Action.TRIAGE,
        Action.ASSIGN,
        Action.TAKE,
        Action.PROGRESS,
        Action.RESOLVE,
        Action.FOLLOW_UP,
        Action.CLOSE,
    ]
    assert events[0]["actor"] == "居民" and events[1]["post"].startswith("村/社区工作人员")
    assert events[2]["is_public"] is False


def test_a_stale_version_is_a_409_conflict(world) -> None:
    case = make_case(world.building)
    seen = case.version
    staff = Api(world, "village_staff")
    assert staff.act(case, "accept", version=seen).status_code == 200
    response = staff.act(case, "reject", version=seen, reason="重复提交")
    assert response.status_code == 409
    assert "刷新" in response.json()["detail"]
    assert Case.objects.get(pk=case.pk).status == Status.ACCEPTED


def test_refusals_map_to_400_and_403_with_the_field(world) -> None:
    case = make_case(world.building)
    gw, staff = Api(world, "grid_worker"), Api(world, "village_staff")
    forbidden = gw.act(case, "accept")
    assert forbidden.status_code == 403 and forbidden.json()["detail"]
    wrong_state = staff.act(case, "take")
    assert wrong_state.status_code == 400 and "不能" in wrong_state.json()["detail"]
    no_reason = staff.act(case, "reject", reason=" ")
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    bad_level = staff.act(case, "triage", level="huge")
    assert bad_level.status_code == 400 and bad_level.json()["field"] == "level"
    missing_version = staff.post("cases_request_accept", {}, ref=case.tracking_no)
    assert missing_version.status_code == 422
    outsider = Api(world, "other_village_staff").act(case, "accept")
    assert outsider.status_code == 404
    assert Case.objects.get(pk=case.pk).status == Status.RECEIVED


def test_guide_reject_and_merge(world) -> None:
    staff = Api(world, "village_staff")
    private = make_case(world.building)
    guided = staff.act(private, "guide", guidance="属于邻里私事，建议协商", referral="人民调解室")
    assert guided.json()["status"] == Status.CLOSED and guided.json()["outcome"] == "guided"
    out_of_scope = make_case(world.building)
    rejected = staff.act(out_of_scope, "reject", reason="不属于本社区职责")
    assert rejected.json()["rejection_reason"] == "不属于本社区职责"
    survivor, duplicate = make_case(world.building), make_case(world.building)
    merged = staff.act(duplicate, "merge", into=survivor.tracking_no)
    assert merged.status_code == 200 and merged.json()["merged_into"] == survivor.tracking_no
    assert staff.get("cases_request_detail", ref=survivor.tracking_no).json()["support_count"] == 1
    elsewhere = make_case(world.other_village)
    nope = staff.act(make_case(world.building), "merge", into=elsewhere.tracking_no)
    assert nope.status_code == 400 and nope.json()["field"] == "into"


def test_return_supervise_whistle(world) -> None:
    case = assigned_case(world)
    gw, staff = Api(world, "grid_worker"), Api(world, "village_staff")
    returned = gw.act(case, "return", reason="不属于网格职责")
    assert returned.json()["status"] == Status.RETURNED and returned.json()["return_count"] == 1
    assert staff.act(case, "supervise", reason="群众多次反映").json()["is_supervised"] is True
    whistled = staff.act(case, "whistle", reason="涉及多个部门，社区无法解决")
    assert whistled.status_code == 200 and whistled.json()["is_whistled"] is True
    assert whistled.json()["handler_unit_name"] == world.street.display_name
    assert Whistle.objects.filter(case=case).count() == 1


def test_extension_suspend_resume(world) -> None:
    case = assigned_case(world)
    gw, staff = Api(world, "grid_worker"), Api(world, "village_staff")
    asked = gw.act(case, "extension_request", days=3, reason="等待配件")
    assert asked.json()["extension_pending"] is True
    assert "extension_request" not in asked.json()["actions"]
    assert (
        "extension_decide"
        in staff.get("cases_request_detail", ref=case.tracking_no).json()["actions"]
    )
    own = gw.act(case, "extension_decide", approve=True)
    assert own.status_code == 403
    due = Case.objects.get(pk=case.pk).resolve_due_at
    approved = staff.act(case, "extension_decide", approve=True)
    assert approved.json()["extension_pending"] is False
    assert Case.objects.get(pk=case.pk).resolve_due_at > due
    suspended = staff.act(case, "suspend", reason="等待供暖季")
    assert (
        suspended.json()["status"] == Status.SUSPENDED and "resume" in suspended.json()["actions"]
    )
    assert staff.act(case, "resume").json()["status"] == Status.ASSIGNED


def test_unsatisfied_follow_up_needs_a_comment_and_reopens(world) -> None:
    case = resolved_case(world)
    gw = Api(world, "grid_worker")
    missing = gw.act(case, "follow_up", satisfaction="unsatisfied")
    assert missing.status_code == 400 and missing.json()["field"] == "comment"
    reopened = gw.act(case, "follow_up", satisfaction="unsatisfied", comment="灯还是不亮")
    assert reopened.json()["status"] == Status.ASSIGNED and reopened.json()["reopen_count"] == 1


def test_department_sees_what_it_handles(world) -> None:
    case = make_case(world.building)
    staff = world.actor("street_staff")
    lifecycle.case_assign(case=case, actor=staff, department=world.department)
    dept = Api(world, "department_staff")
    body = dept.get("cases_request_detail", ref=case.tracking_no).json()
    assert body["handler_department_name"] == world.department.name and "take" in body["actions"]
    assert dept.act(case, "take").status_code == 200


def test_categories(world) -> None:
    body = Api(world, "grid_worker").get("cases_category_list").json()
    lighting = next(c for c in body if c["code"] == "lighting")
    assert lighting["name"] and isinstance(lighting["keywords"], list)


def test_openapi_documents_the_endpoints_in_chinese(world) -> None:
    schema = Client().get(reverse("api:openapi-json")).json()
    paths = schema["paths"]
    assert "/api/cases/requests/{ref}/accept" in paths
    assert "/api/cases/requests" in paths and "post" in paths["/api/cases/requests"]
    case_out = schema["components"]["schemas"]["CaseDetailOut"]["properties"]
    assert "版本号" in case_out["version"]["description"]
