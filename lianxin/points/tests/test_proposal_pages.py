"""The proposal pages: the phone form (search, pick, submit, bad input keeps what was typed),
the list with its filters, the review queue, one proposal and its actions (compare-and-set)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from lianxin.cases.tests.factories import make_case
from lianxin.core.testing import make_household, make_resident
from lianxin.party.tests.factories import make_activity, make_member, make_org
from lianxin.points.models import Account, Objection, PointEntry, Proposal
from lianxin.points.services import proposals
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db
CREATE = reverse("points:proposal_create")
QUEUE = reverse("points:review_queue")


def detail_url(p: Proposal) -> str:
    return reverse("points:proposal_detail", args=[p.public_id])


def act_url(p: Proposal, action: str) -> str:
    return reverse("points:proposal_act", args=[p.public_id, action])


def fresh(p: Proposal) -> Proposal:
    return Proposal.objects.get(pk=p.pk)


def household(world: Any, *, head: str = "李秀英", unit: Any = None) -> Any:
    h = make_household(unit or world.building, head_name=head, address="3单元201")
    make_resident(h, name=head)
    make_resident(h, name="李小明")
    return h


def token(h: Any) -> str:
    return f"household:{h.public_id}"


def indicator_id(code: str, scheme: str = "household") -> str:
    return str(f.indicator(code, scheme=scheme).public_id)


def submit_data(h: Any, **kw: Any) -> dict[str, Any]:
    data = {
        "scheme": "household",
        "subject": token(h),
        "indicator": indicator_id("courtyard_clean"),
        "occurred_on": f.today().isoformat(),
        "description": "院内杂物清理干净，花草摆放整齐",
        "op": "submit",
    }
    data.update(kw)
    return data


# --- the form ---------------------------------------------------------------------------------------


def test_form_offers_schemes_and_indicators_grouped_by_aspect(world) -> None:  # noqa: ANN001
    html = world.client("grid_worker").get(CREATE).content.decode()
    assert "积分申报" in html and "户（居民）" in html and "党员" in html
    for aspect in ("人居环境", "平安法治", "创业就业", "服务全局", "创先争优"):
        assert aspect in html
    # Value, cap and evidence requirement of an indicator are shown.
    assert "庭院整洁、物品摆放有序" in html and "+5 分" in html
    assert "每月最多 5 分" in html and "需照片" in html


def test_search_finds_households_in_scope_only(world) -> None:  # noqa: ANN001
    mine = household(world, head="李秀英")
    household(world, head="李秀英", unit=world.sibling_building)
    r = world.client("grid_worker").post(
        CREATE, {"scheme": "household", "subject_q": "李秀英", "op": "search"}
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert token(mine) in html
    assert html.count('name="pick"') == 1  # the sibling grid's household is not offered
    assert "迎秀小区9号楼" not in html
    # Door numbers and building names find households too.
    r = world.client("grid_worker").get(CREATE, {"scheme": "household", "subject_q": "1号楼"})
    assert token(mine) in r.content.decode()


def test_picking_a_subject_keeps_what_was_typed(world) -> None:  # noqa: ANN001
    h = household(world)
    r = world.client("grid_worker").post(
        CREATE,
        {
            "scheme": "household",
            "subject_q": "李秀英",
            "pick": token(h),
            "description": "已经写好的说明",
            "indicator": indicator_id("doorstep_duties"),
        },
    )
    html = r.content.decode()
    assert r.status_code == 200
    assert "李秀英家" in html and "已经写好的说明" in html
    assert re.search(rf'value="{indicator_id("doorstep_duties")}"\s+checked', html)
    # The household's residents are offered as contributor; no error is shown yet.
    assert "李小明" in html and "field-error" not in html


def test_submit_creates_the_proposal_with_photos(world) -> None:  # noqa: ANN001
    h = household(world)
    resident = h.residents.get(name="李小明")
    r = world.client("grid_worker").post(
        CREATE,
        submit_data(h, resident=str(resident.public_id), photos=[f.photo(), f.photo("b.jpg")]),
    )
    p = Proposal.objects.get()
    assert r.status_code == 302 and r["Location"] == detail_url(p) + "?created=1"
    assert p.status == Proposal.Status.PENDING and p.points == 5
    assert p.resident == resident and p.photos.count() == 2
    assert p.account.household == h and p.proposed_by == world.users["grid_worker"]
    page = world.client("grid_worker").get(r["Location"]).content.decode()
    assert "已提交，等待村（社区）审核" in page and "为该对象继续申报" in page


def test_missing_photo_keeps_everything_typed(world) -> None:  # noqa: ANN001
    h = household(world)
    r = world.client("grid_worker").post(
        CREATE, submit_data(h, description="说明文字不能丢", link_note="五月卫生评比")
    )
    html = r.content.decode()
    assert r.status_code == 200 and not Proposal.objects.exists()
    # The message sits under the photo field; subject, indicator, date and text are kept.
    assert re.search(r'id="id_photos"[\s\S]*?需要上传照片佐证', html)
    assert "李秀英家" in html and "说明文字不能丢" in html and "五月卫生评比" in html
    assert re.search(rf'value="{indicator_id("courtyard_clean")}"\s+checked', html)
    assert f'value="{f.today().isoformat()}"' in html
    assert not Account.objects.exists()  # nothing half-done: not even the account


def test_refused_submit_asks_to_choose_photos_again(world) -> None:  # noqa: ANN001
    h = household(world)
    client = world.client("grid_worker")
    assert client.post(CREATE, submit_data(h, photos=[f.photo()])).status_code == 302
    r = client.post(CREATE, submit_data(h, photos=[f.photo()]))  # a second one: over the cap
    html = r.content.decode()
    assert r.status_code == 200 and Proposal.objects.filter(account__household=h).count() == 1
    assert re.search(r'id="step-indicator"[\s\S]*?超过上限', html)
    assert "刚才选择的 1 张照片没有保存" in html
    assert "本期已申报 5 分" in html  # the cap already used is shown next to the indicator


def test_no_subject_is_refused_under_the_subject(world) -> None:  # noqa: ANN001
    r = world.client("grid_worker").post(
        CREATE, submit_data(household(world), subject="", photos=[f.photo()])
    )
    html = r.content.decode()
    assert r.status_code == 200 and "请先查找并选择积分对象" in html
    assert not Proposal.objects.exists()


def test_out_of_scope_subject_is_refused(world) -> None:  # noqa: ANN001
    other = household(world, unit=world.sibling_building)
    r = world.client("grid_worker").post(CREATE, submit_data(other, photos=[f.photo()]))
    html = r.content.decode()
    assert r.status_code == 200 and "不在您的申报范围内" in html
    assert not Proposal.objects.exists() and not Account.objects.exists()


def test_started_from_an_account_page(world) -> None:  # noqa: ANN001
    account = f.household_account(world.building, head_name="王桂兰")
    url = f"{CREATE}?account={account.public_id}"
    html = world.client("building_leader").get(url).content.decode()
    assert "王桂兰家" in html and f"household:{account.household.public_id}" in html
    outsider = world.client("sibling_grid_worker").get(url).content.decode()
    assert "王桂兰" not in outsider and "不在您的申报范围内" in outsider


def test_linked_request_by_tracking_number(world) -> None:  # noqa: ANN001
    h = household(world)
    case = make_case(world.building)
    data = submit_data(h, indicator=indicator_id("hazard_report"), case_no="NOPE0000")
    r = world.client("grid_worker").post(CREATE, data)
    assert r.status_code == 200
    assert re.search(r'id="id_case_no"[\s\S]*?找不到该受理编号的诉求', r.content.decode())
    # Required link missing altogether: named under the request field.
    r = world.client("grid_worker").post(CREATE, {**data, "case_no": ""})
    assert "需要关联诉求、走访、履职记录或活动" in r.content.decode()
    r = world.client("grid_worker").post(CREATE, {**data, "case_no": case.tracking_no.lower()})
    assert r.status_code == 302
    assert Proposal.objects.get().case == case


def test_party_member_with_linkage_activity(world) -> None:  # noqa: ANN001
    org = make_org(world.village)
    member = make_member(org, name="赵党员")
    activity = make_activity(member, summary="走访联系户，了解用水困难")
    client = world.client("village_staff")
    html = client.get(CREATE, {"scheme": "party_member"}).content.decode()
    assert f"member:{member.public_id}" in html  # members are listed without a search
    html = client.post(CREATE, {"scheme": "party_member", "pick": f"member:{member.public_id}"})
    assert "走访联系户" in html.content.decode()  # the member's activity can be linked
    r = client.post(
        CREATE,
        {
            "scheme": "party_member",
            "subject": f"member:{member.public_id}",
            "indicator": indicator_id("visit", "party_member"),
            "occurred_on": f.today().isoformat(),
            "activity": str(activity.public_id),
            "op": "submit",
        },
    )
    assert r.status_code == 302
    p = Proposal.objects.get()
    assert p.account.member == member and p.activity == activity and p.points == 2


def test_building_subject(world) -> None:  # noqa: ANN001
    client = world.client("grid_worker")
    html = client.get(CREATE, {"scheme": "building"}).content.decode()
    assert "迎秀小区1号楼" in html and "迎秀小区9号楼" not in html
    r = client.post(
        CREATE,
        {
            "scheme": "building",
            "subject": f"unit:{world.building.public_id}",
            "indicator": indicator_id("council", "building"),
            "occurred_on": f.today().isoformat(),
            "link_note": "5月楼院议事会",
            "op": "submit",
        },
    )
    assert r.status_code == 302
    assert Proposal.objects.get().account.unit == world.building


def test_form_needs_propose_permission(world) -> None:  # noqa: ANN001
    assert world.client("department_staff").get(CREATE).status_code == 404


# --- list -------------------------------------------------------------------------------------------


def test_list_filters_and_query_budget(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    for i in range(12):
        f.propose(world, f.household_account(world.building, head_name=f"户主{i}"))
    booked = f.booked(world, f.household_account(world.grid, head_name="入账户"))
    f.propose(
        world, f.household_account(world.sibling_building, head_name="隔壁户"), by="village_staff"
    )
    client = world.client("village_staff")
    url = reverse("points:proposal_list")
    client.get(url)  # warm the per-process snapshots (schemes)
    with django_assert_max_num_queries(12):
        html = client.get(url).content.decode()
    assert html.count('data-label="对象"') == 14 and "隔壁户" in html
    assert "入账户" in client.get(url, {"status": "booked"}).content.decode()
    assert "户主3" not in client.get(url, {"status": "booked"}).content.decode()
    sibling = client.get(url, {"unit": str(world.sibling_grid.public_id)}).content.decode()
    assert "隔壁户" in sibling and "户主3" not in sibling
    mine = client.get(url, {"mine": "1"}).content.decode()
    assert "隔壁户" in mine and "户主3" not in mine
    by_name = client.get(url, {"proposer": "grid_worker"}).content.decode()
    assert "户主3" in by_name and "隔壁户" not in by_name
    month = booked.occurred_on.strftime("%Y-%m")
    assert "入账户" in client.get(url, {"month": month, "scheme": "household"}).content.decode()
    assert "还没有" not in client.get(url, {"month": "2001-01"}).content.decode()
    assert "没有符合条件的申报" in client.get(url, {"month": "2001-01"}).content.decode()
    # The grid worker sees only the own grid.
    gw = world.client("grid_worker").get(url).content.decode()
    assert "户主3" in gw and "隔壁户" not in gw


# --- review queue -------------------------------------------------------------------------------------


def test_queue_approves_in_place_never_own(world) -> None:  # noqa: ANN001
    other = f.propose(world, f.household_account(world.building, head_name="甲户"))
    own = f.propose(
        world, f.household_account(world.building, head_name="乙户"), by="village_secretary"
    )
    client = world.client("village_secretary")
    html = client.get(QUEUE).content.decode()
    assert "甲户" in html and "乙户" in html
    assert act_url(other, "approve") in html
    assert act_url(own, "approve") not in html and "本人申报，需由他人审核" in html
    r = client.post(
        act_url(other, "approve"), {"version": other.version, "next": QUEUE, "from": "queue"}
    )
    assert r.status_code == 302 and r["Location"] == QUEUE
    assert fresh(other).status == Proposal.Status.IN_NOTICE
    # A forged POST on the own proposal is refused with the reason, nothing changes.
    r = client.post(act_url(own, "approve"), {"version": own.version, "from": "queue"})
    assert r.status_code == 403 and "申报人不能审核自己的申报" in r.content.decode()
    assert fresh(own).status == Proposal.Status.PENDING


def test_queue_reject_needs_a_reason_and_keeps_the_row_open(world) -> None:  # noqa: ANN001
    p = f.propose(world, f.household_account(world.building, head_name="丙户"))
    client = world.client("village_staff")
    r = client.post(act_url(p, "reject"), {"version": p.version, "note": "", "from": "queue"})
    html = r.content.decode()
    assert r.status_code == 200 and "请填写不通过的原因" in html
    assert re.search(r"<details open>\s*<summary>不予通过", html)
    assert fresh(p).status == Proposal.Status.PENDING
    r = client.post(
        act_url(p, "reject"),
        {"version": p.version, "note": "照片不是本户", "from": "queue", "next": QUEUE},
    )
    assert r.status_code == 302 and fresh(p).status == Proposal.Status.REJECTED
    assert fresh(p).decision_note == "照片不是本户"


def test_queue_lists_open_objections_with_masked_phone(world) -> None:  # noqa: ANN001
    p = f.approved(world, f.household_account(world.building, head_name="丁户"))
    proposals.objection_file(proposal=p, text="他家院子其实很乱", phone="13912345678")
    html = world.client("village_staff").get(QUEUE).content.decode()
    assert "他家院子其实很乱" in html and "139****5678" in html and "13912345678" not in html


def test_queue_is_for_approvers(world) -> None:  # noqa: ANN001
    assert world.client("grid_worker").get(QUEUE).status_code == 404


# --- one proposal -------------------------------------------------------------------------------------


def test_detail_shows_everything(world) -> None:  # noqa: ANN001
    p = f.approved(world, f.household_account(world.building, head_name="戊户"))
    proposals.objection_file(proposal=p, text="照片是去年拍的", phone="13912345678")
    html = world.client("grid_worker").get(detail_url(p)).content.decode()
    for text in ("戊户家", "人居环境", "庭院整洁、物品摆放有序", "第 1 版", "庭院打扫干净"):
        assert text in html
    assert reverse("points:proposal_photo", args=[p.public_id, 1]) in html
    assert "申报" in html and "审核通过" in html and "居民提出异议" in html  # the history
    assert "照片是去年拍的" in html and "139****5678" in html and "13912345678" not in html
    # The grid worker may not resolve; the secretary approved it, so staff resolve.
    assert 'name="resolution"' not in html
    assert 'name="resolution"' in world.client("village_staff").get(detail_url(p)).content.decode()


def test_photo_is_served_in_scope_only(world) -> None:  # noqa: ANN001
    p = f.propose(world, f.household_account(world.building))
    url = reverse("points:proposal_photo", args=[p.public_id, 1])
    r = world.client("village_staff").get(url)
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert b"".join(r.streaming_content)[:2] == b"\xff\xd8"
    assert world.client("grid_worker").get(url[:-2] + "2/").status_code == 404
    assert world.client("sibling_grid_worker").get(url).status_code == 404


def test_resolve_objection_from_detail(world) -> None:  # noqa: ANN001
    p = f.approved(world, f.household_account(world.building, head_name="己户"))
    objection = proposals.objection_file(proposal=p, text="不属实，院里堆着杂物")
    p = fresh(p)
    client = world.client("village_staff")
    url = act_url(p, "resolve")
    data = {"version": p.version, "objection": str(objection.public_id), "outcome": "uphold"}
    r = client.post(url, {**data, "resolution": ""})
    assert r.status_code == 200 and "请填写处理意见" in r.content.decode()
    assert re.search(r'value="uphold"[^>]*checked', r.content.decode())
    r = client.post(url, {**data, "resolution": "现场核实属实"})
    assert r.status_code == 302
    assert fresh(p).status == Proposal.Status.REJECTED
    assert Objection.objects.get().status == Objection.Status.UPHELD


def test_proposer_cannot_resolve_objection_to_own_proposal(world) -> None:  # noqa: ANN001
    p = f.propose(world, f.household_account(world.building), by="village_staff")
    p = proposals.proposal_approve(actor=world.actor("village_secretary"), proposal=p)
    objection = proposals.objection_file(proposal=p, text="这件事情不属实啊")
    p = fresh(p)
    client = world.client("village_staff")
    assert 'name="resolution"' not in client.get(detail_url(p)).content.decode()
    r = client.post(
        act_url(p, "resolve"),
        {
            "version": p.version,
            "objection": str(objection.public_id),
            "outcome": "dismiss",
            "resolution": "不成立",
        },
    )
    assert r.status_code == 403 and "申报人不能处理针对自己申报的异议" in r.content.decode()
    assert Objection.objects.get().status == Objection.Status.OPEN


def test_withdraw_by_proposer_only(world) -> None:  # noqa: ANN001
    p = f.propose(world, f.household_account(world.building))
    assert act_url(p, "withdraw") in world.client("grid_worker").get(detail_url(p)).content.decode()
    staff = world.client("village_staff")
    assert act_url(p, "withdraw") not in staff.get(detail_url(p)).content.decode()
    r = staff.post(act_url(p, "withdraw"), {"version": p.version})
    assert r.status_code == 403 and fresh(p).status == Proposal.Status.PENDING
    r = world.client("grid_worker").post(act_url(p, "withdraw"), {"version": p.version})
    assert r.status_code == 302 and fresh(p).status == Proposal.Status.WITHDRAWN


def test_reverse_needs_reason_and_appends_entry(world) -> None:  # noqa: ANN001
    p = f.booked(world, f.household_account(world.building))
    client = world.client("village_secretary")
    assert act_url(p, "reverse") in client.get(detail_url(p)).content.decode()
    r = client.post(act_url(p, "reverse"), {"version": p.version, "reason": ""})
    assert r.status_code == 200 and "请填写冲正原因" in r.content.decode()
    assert fresh(p).status == Proposal.Status.BOOKED
    r = client.post(act_url(p, "reverse"), {"version": p.version, "reason": "重复申报"})
    assert r.status_code == 302 and fresh(p).status == Proposal.Status.REVERSED
    assert list(PointEntry.objects.values_list("amount", flat=True).order_by("seq")) == [5, -5]
    assert act_url(p, "reverse") not in client.get(detail_url(p)).content.decode()


def test_grid_worker_cannot_approve(world) -> None:  # noqa: ANN001
    p = f.propose(world, f.household_account(world.building), by="building_leader")
    gw = world.client("grid_worker")
    assert act_url(p, "approve") not in gw.get(detail_url(p)).content.decode()
    r = gw.post(act_url(p, "approve"), {"version": p.version})
    assert r.status_code == 403 and fresh(p).status == Proposal.Status.PENDING


def test_two_approvers_at_once_second_sees_the_conflict(world) -> None:  # noqa: ANN001
    p = f.propose(world, f.household_account(world.building, head_name="庚户"))
    seen = p.version
    staff, secretary = world.client("village_staff"), world.client("village_secretary")
    assert staff.post(act_url(p, "approve"), {"version": seen}).status_code == 302
    r = secretary.post(act_url(p, "reject"), {"version": seen, "note": "证据不足"})
    html = r.content.decode()
    assert r.status_code == 409 and "该申报刚刚已被他人处理" in html
    assert "公示中" in html  # the fresh state is shown
    assert fresh(p).status == Proposal.Status.IN_NOTICE and not fresh(p).decision_note
    # From the queue, the queue is redrawn (the row is gone) with the message.
    r = secretary.post(act_url(p, "reject"), {"version": seen, "note": "证据不足", "from": "queue"})
    assert r.status_code == 409 and "该申报刚刚已被他人处理" in r.content.decode()
    assert "庚户" not in r.content.decode().split("待处理的公示异议")[0].split("待审核的申报")[1]


def test_conflict_raised_by_the_service(world, monkeypatch) -> None:  # noqa: ANN001
    """The page showed the current version but someone acted between the check and the
    update: the service's compare-and-set refuses and the page shows the fresh state."""
    from lianxin.core.errors import Conflict

    p = f.propose(world, f.household_account(world.building))

    def racing(**kw: Any) -> Any:
        raise Conflict("该申报刚刚有变化，请刷新页面查看最新状态后再操作")

    monkeypatch.setattr(proposals, "proposal_approve", racing)
    r = world.client("village_staff").post(act_url(p, "approve"), {"version": p.version})
    assert r.status_code == 409 and "该申报刚刚有变化" in r.content.decode()


def test_unknown_action_is_404(world) -> None:  # noqa: ANN001
    p = f.propose(world, f.household_account(world.building))
    r = world.client("village_staff").post(act_url(p, "book"), {"version": p.version})
    assert r.status_code == 404


def test_future_date_is_refused_under_the_date(world) -> None:  # noqa: ANN001
    import datetime as dt

    h = household(world)
    tomorrow = (f.today() + dt.timedelta(days=1)).isoformat()
    r = world.client("grid_worker").post(
        CREATE, submit_data(h, occurred_on=tomorrow, photos=[f.photo()])
    )
    html = r.content.decode()
    assert r.status_code == 200 and not Proposal.objects.exists()
    assert re.search(r'name="occurred_on"[\s\S]*?发生日期不能晚于今天', html)
    assert f'value="{tomorrow}"' in html  # what was typed stays


def test_queue_query_budget(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    for i in range(15):
        f.propose(world, f.household_account(world.building, head_name=f"户{i}"))
    for i in range(5):
        p = f.approved(world, f.household_account(world.grid, head_name=f"议{i}"))
        proposals.objection_file(proposal=p, text=f"第{i}条异议，情况不属实", phone="13912345678")
    client = world.client("village_staff")
    client.get(QUEUE)  # warm the per-process snapshots
    with django_assert_max_num_queries(12):
        html = client.get(QUEUE).content.decode()
    assert html.count("审核通过</button>") == 15 and html.count("提交处理意见") == 5
