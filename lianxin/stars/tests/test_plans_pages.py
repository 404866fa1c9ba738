"""Plans pages: the list in scope with its figures and export, drafting and editing with
refusals that keep the input, the township's confirm and return, measures and milestones, and
the quotas pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lianxin.core import clock
from lianxin.stars.models import CreationPlan, PlanStar, Quota
from lianxin.stars.tests import factories_plans as fp

pytestmark = pytest.mark.django_db


def _detail(plan: CreationPlan) -> str:
    return reverse("stars:plan_detail", args=[plan.public_id])


def test_list_in_scope_with_state_and_target(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    fp.plan(world, status="confirmed", targets=("branch", "sharing", "ecology", "safety"))
    other = fp.plan(world, unit=world.other_village, persona="other_village_staff")
    for i in range(4):
        fp.plan(world, unit=fp.village(world, f"41088300120{i}", f"东{i}"), status="submitted")
    street = world.client("street_staff")
    with clock.travel(fp.at(3, 1)), django_assert_max_num_queries(16):
        page = street.get(reverse("stars:plan_list"), {"year": "2026"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "迎秀社区" in html and "乡镇已确认" in html and "4星" in html and "东3村" in html
    assert "西关社区" not in html
    assert str(other.public_id) not in html
    county = world.client("org_department").get(
        reverse("stars:plan_list"), {"year": "2026", "status": "submitted"}
    )
    assert "东0村" in county.content.decode() and "迎秀社区" not in county.content.decode()
    export = world.client("street_staff").get(reverse("stars:plan_list_xlsx"), {"year": "2026"})
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd")


def test_village_drafts_edits_and_submits_on_the_pages(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    with clock.travel(fp.at(2, 1)):
        form = client.get(reverse("stars:plan_create"))
        assert "建立草稿" in form.content.decode()
        bad = client.post(
            reverse("stars:plan_create"),
            {"unit": world.village.code, "year": "2031", "summary": "争创五星"},
        )
        assert bad.status_code == 400 and "争创五星" in bad.content.decode()
        done = client.post(
            reverse("stars:plan_create"),
            {"unit": world.village.code, "year": "2026", "summary": "争创五星"},
        )
    plan = CreationPlan.objects.get()
    edit = reverse("stars:plan_edit", args=[plan.public_id])
    assert done.status_code == 302 and done["Location"] == edit
    with clock.travel(fp.at(2, 2)):
        page = client.get(edit)
        assert page.status_code == 200 and "共建共享星" in page.content.decode()
        data = {
            "summary": "巩固支部过硬星，争创共建共享星",
            "version": plan.version,
            "branch-target": "on",
            "branch-strengths": "班子团结",
            "sharing-target": "on",
            "sharing-weaknesses": "驻区单位参与少",
            "ecology-strengths": "优" * 1001,
        }
        refused = client.post(edit, data)
        html = refused.content.decode()
        assert refused.status_code == 400
        assert "驻区单位参与少" in html and "班子团结" in html
        data["ecology-strengths"] = "绿化好"
        saved = client.post(edit, data)
        assert saved.status_code == 302
        plan.refresh_from_db()
        assert plan.target_level == 2
        # A second tab still holding the old version: refused, the input kept.
        data["sharing-weaknesses"] = "另一人的修改"
        stale = client.post(edit, data)
        assert stale.status_code == 409
        assert "另一人的修改" in stale.content.decode()
        assert "刚刚被他人修改" in stale.content.decode()
        assert PlanStar.objects.get(plan=plan, star__code="sharing").weaknesses == "驻区单位参与少"
        add = reverse("stars:plan_measure_add", args=[plan.public_id])
        no_deadline = client.post(
            add, {"title": "开展共建活动", "responsible": "王主任", "version": plan.version}
        )
        assert no_deadline.status_code == 400 and "开展共建活动" in no_deadline.content.decode()
        late = client.post(
            add,
            {
                "title": "开展共建活动",
                "responsible": "王主任",
                "deadline": "2027-01-15",
                "star": "sharing",
                "version": plan.version,
            },
        )
        assert late.status_code == 400 and "完成时限应在2026年内" in late.content.decode()
        ok = client.post(
            add,
            {
                "title": "开展共建活动",
                "responsible": "王主任",
                "deadline": "2026-05-15",
                "star": "sharing",
                "version": plan.version,
            },
        )
        assert ok.status_code == 302
        plan.refresh_from_db()
        milestone = client.post(
            reverse("stars:plan_milestone_add", args=[plan.public_id]),
            {"title": "七一前举措大比武", "due_on": "2026-06-30", "version": plan.version},
        )
        assert milestone.status_code == 302
        plan.refresh_from_db()
        act = reverse("stars:plan_act", args=[plan.public_id])
        assert client.post(act, {"action": "submit", "version": plan.version}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "submitted"
    html = client.get(_detail(plan)).content.decode()
    assert "开展共建活动" in html and "标记完成" in html and "修改或删除" not in html


def test_township_confirms_or_returns_with_a_reason(world) -> None:  # noqa: ANN001
    plan = fp.plan(world, status="submitted")
    street = world.client("street_staff")
    act = reverse("stars:plan_act", args=[plan.public_id])
    with clock.travel(fp.at(2, 20)):
        page = street.get(_detail(plan)).content.decode()
        assert "确认规划" in page and "退回村（社区）" in page
        refused = street.post(act, {"action": "return", "reason": "", "version": plan.version})
        assert refused.status_code == 400 and "请填写退回原因" in refused.content.decode()
        stale = street.post(
            act, {"action": "return", "reason": "举措不具体", "version": plan.version - 1}
        )
        assert stale.status_code == 409 and "举措不具体" in stale.content.decode()
        assert (
            street.post(
                act, {"action": "return", "reason": "举措不具体", "version": plan.version}
            ).status_code
            == 302
        )
    plan.refresh_from_db()
    assert plan.status == "draft"
    village_page = world.client("village_staff").get(_detail(plan)).content.decode()
    assert "举措不具体" in village_page
    other = world.client("other_street_staff").post(
        act, {"action": "confirm", "version": plan.version}
    )
    assert other.status_code == 404


def test_measure_marked_done_after_confirmation(world) -> None:  # noqa: ANN001
    plan = fp.plan(world, status="confirmed")
    measure = plan.measures.get()
    url = reverse("stars:plan_measure_edit", args=[plan.public_id, measure.public_id])
    client = world.client("village_staff")
    with clock.travel(fp.at(6, 1)):
        assert client.post(url, {"op": "done"}).status_code == 302
        measure.refresh_from_db()
        assert str(measure.done_on) == "2026-06-01"
        refused = client.post(url, {"op": "save", f"m-{measure.public_id.hex[:8]}-title": "改"})
        assert refused.status_code in (400, 409)
        assert client.post(url, {"op": "undone"}).status_code == 302
    measure.refresh_from_db()
    assert measure.done_on is None and measure.title.startswith("举措1")


def test_quota_pages(world) -> None:  # noqa: ANN001
    for i in range(5):
        fp.village(world, f"41088300120{i}", f"东{i}")
    fp.plan(
        world, status="confirmed", targets=("branch", "sharing", "ecology", "safety", "civility")
    )
    county = world.client("org_department")
    with clock.travel(fp.at(1, 10)):
        listing = county.get(reverse("stars:quota_list"), {"year": "2026"})
        assert listing.status_code == 200 and "下达名额" in listing.content.decode()
        defaults = county.post(reverse("stars:quota_defaults", args=[world.county.code, 2026]))
        assert defaults.status_code == 302
        edit = reverse("stars:quota_edit", args=[world.street.code, 2026])
        too_many = county.post(edit, {"level_5": "1", "level_4": "9"})
        assert too_many.status_code == 400 and "不能超过" in too_many.content.decode()
        assert 'value="9"' in too_many.content.decode()
        assert county.post(edit, {"level_5": "1", "level_4": "3"}).status_code == 302
    assert dict(Quota.objects.filter(township=world.street).values_list("level", "count")) == {
        5: 1,
        4: 3,
    }
    street_page = world.client("street_staff").get(reverse("stars:quota_list"), {"year": "2026"})
    html = street_page.content.decode()
    assert "大定街道" in html and "会昌街道" not in html and "下达名额" not in html
    assert "1 / <span>1</span> / 0" in html
    assert world.client("street_staff").get(edit).status_code == 404
