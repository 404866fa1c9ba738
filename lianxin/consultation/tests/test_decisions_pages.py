"""Pages of decisions: staff list (filters, query budget, export), recording from an item,
one decision (milestones, progress with a note, requests), and the residents' pages (no
names, only public decisions)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse

from lianxin.cases.tests import factories as cf
from lianxin.consultation.models import Decision, Milestone
from lianxin.consultation.services import decisions as svc
from lianxin.consultation.tests import scope_decisions as b

pytestmark = pytest.mark.django_db


def test_list_filters_and_query_budget(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    late = b.decision(world, title="逾期的事项", due_on=svc.today())
    for i in range(4):
        b.decision(world, title=f"事项{i}", due_on=svc.today() + dt.timedelta(days=9))
    Decision.objects.filter(pk=late.pk).update(due_on=svc.today() - dt.timedelta(days=1))
    client = world.client("village_staff")
    url = reverse("consultation:decision_list")
    client.get(url)  # warm the session and posts
    with django_assert_max_num_queries(12):
        page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "事项3" in text and "逾期的事项" in text
    overdue = client.get(url, {"overdue": "1"}).content.decode()
    assert "逾期的事项" in overdue and "事项3" not in overdue
    assert "事项3" not in client.get(url, {"status": "done"}).content.decode()


def test_export_only_rows_in_scope(world) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    b.decision(world, title="本社区事项")
    response = world.client("other_village_staff").get(reverse("consultation:decision_export"))
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert len(rows) == 1  # the headers only
    response = world.client("street_staff").get(reverse("consultation:decision_export"))
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert [r[1] for r in rows[1:]] == ["本社区事项"]


def test_create_from_an_item(world) -> None:  # noqa: ANN001
    item = b.passed_item(world, title="更换路灯")
    client = world.client("village_staff")
    url = reverse("consultation:decision_create") + f"?item={item.public_id}"
    page = client.get(url)
    assert "更换路灯" in page.content.decode()
    assert world.client("other_village_staff").get(url).status_code == 404
    data = {
        "title": "更换路灯",
        "summary": "更换小区12盏路灯",
        "responsible": "物业公司",
        "decided_on": svc.today().isoformat(),
        "due_on": (svc.today() - dt.timedelta(days=1)).isoformat(),
        "cases": "NOPE123",
        "is_public": "on",
    }
    bad = client.post(url, data)
    assert bad.status_code == 400
    assert "没有找到受理编号为 NOPE123" in bad.content.decode()
    data["cases"] = ""
    bad = client.post(url, data)
    assert "计划完成日期不能早于决定日期" in bad.content.decode()
    assert "更换小区12盏路灯" in bad.content.decode()  # nothing lost
    data["due_on"] = (svc.today() + dt.timedelta(days=20)).isoformat()
    done = client.post(url, data)
    d = Decision.objects.get()
    assert done.status_code == 302 and done["Location"].endswith(f"{d.public_id}/")
    assert d.item == item


def test_detail_milestones_progress_and_requests(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    d = b.decision(world)
    case = cf.make_case(world.building)
    client = world.client("village_staff")
    r = client.post(
        reverse("consultation:decision_milestone_add", args=[d.public_id]),
        {"title": "清淤", "due_on": d.due_on.isoformat(), "tracking_no": case.tracking_no},
    )
    assert r.status_code == 302
    m = Milestone.objects.get()
    assert m.case == case
    url = reverse("consultation:decision_progress", args=[m.public_id])
    p = f"m{m.pk}-"
    r = client.post(url, {p + "progress": "60", p + "note": "已清淤一半", p + "expected": "0"})
    assert r.status_code == 302
    r = client.post(url, {p + "progress": "30", p + "note": "", p + "expected": "60"})
    assert r.status_code == 400 and "请说明原因" in r.content.decode()
    r = client.post(url, {p + "progress": "90", p + "note": "", p + "expected": "0"})
    assert r.status_code == 409
    detail = reverse("consultation:decision_detail", args=[d.public_id])
    client.get(detail)
    with django_assert_max_num_queries(16):
        page = client.get(detail)
    text = page.content.decode()
    assert "已清淤一半" in text and case.tracking_no in text and "60%" in text
    r = client.post(
        reverse("consultation:decision_case_link", args=[d.public_id]), {"tracking_no": "X"}
    )
    assert r.status_code == 400 and "没有找到受理编号为 X" in r.content.decode()
    r = client.post(
        reverse("consultation:decision_case_unlink", args=[d.public_id, case.public_id])
    )
    assert r.status_code == 400 and "取消节点的关联" in r.content.decode()


def test_street_staff_read_only(world) -> None:  # noqa: ANN001
    d = b.decision(world)
    client = world.client("street_staff")
    page = client.get(reverse("consultation:decision_detail", args=[d.public_id]))
    assert page.status_code == 200 and "更新进度" not in page.content.decode()
    r = client.post(reverse("consultation:decision_cancel", args=[d.public_id]), {"reason": "x"})
    assert r.status_code == 404


def test_public_pages_show_progress_without_names(world, client) -> None:  # noqa: ANN001
    world.users["village_staff"].full_name = "王小明"
    world.users["village_staff"].save()
    d = b.decision(world, title="修缮排水沟")
    hidden = b.decision(world, title="内部事项", is_public=False)
    m = b.milestone(world, d)
    svc.milestone_progress(
        actor=world.actor("village_staff"), milestone=m, progress=40, note="已进场施工"
    )
    page = client.get(reverse("consultation_public:decision_list", args=[world.village.code]))
    text = page.content.decode()
    assert "修缮排水沟" in text and "内部事项" not in text and "40%" in text
    page = client.get(reverse("consultation_public:decision_public", args=[d.public_id]))
    text = page.content.decode()
    assert "迎秀社区工作人员" in text and "已进场施工" in text and "40%" in text
    assert "王小明" not in text and "village_staff" not in text
    assert (
        client.get(
            reverse("consultation_public:decision_public", args=[hidden.public_id])
        ).status_code
        == 404
    )
    assert (
        client.get(reverse("consultation_public:decision_list", args=["nope"])).status_code == 404
    )
