"""The staff detail page and its actions, through the pages: the closed loop, every side road,
permission refusals, and two people acting at once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from lianxin.audit.models import AuditEvent
from lianxin.cases.models import Case, CaseEvent, CasePhoto, Whistle
from lianxin.cases.services import lifecycle
from lianxin.cases.tests.factories import assigned_case, make_case, photo, resolved_case, submit
from lianxin.cases.workflow import Action, Level, Outcome, Status

pytestmark = pytest.mark.django_db


def detail_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.public_id])


def act_url(case: Case, action: str) -> str:
    return reverse("cases:act", args=[case.public_id, action])


def act(client: Any, case: Case, action: str, version: int | None = None, **data: Any) -> Any:
    """POST one action with the version currently stored (as a freshly drawn page would)."""
    if version is None:
        version = Case.objects.get(pk=case.pk).version
    return client.post(act_url(case, action), {"version": version, **data})


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def post_public_id(world: Any, persona: str) -> str:
    return str(world.users[persona].posts.get().public_id)


def test_closed_loop_through_the_pages(world) -> None:  # noqa: ANN001
    case = submit(world.building, phone="13812345678", photos=[photo()]).case
    staff = world.client("village_staff")
    page = staff.get(detail_url(case))
    assert page.status_code == 200
    html = page.content.decode()
    assert case.tracking_no in html and "138****5678" in html and "13812345678" not in html
    assert f'action="{act_url(case, "accept")}"' in html

    assert act(staff, case, "accept").status_code == 302
    assert fresh(case).status == Status.ACCEPTED
    r = act(staff, case, "triage", level="small", category="lighting", urgency="general")
    assert r.status_code == 302 and fresh(case).level == Level.SMALL
    r = act(
        staff,
        case,
        "assign",
        handler_unit=str(world.grid.public_id),
        assignee=post_public_id(world, "grid_worker"),
    )
    assert r.status_code == 302
    case = fresh(case)
    assert case.status == Status.ASSIGNED and case.assignee == world.users["grid_worker"]
    assert case.handler_unit == world.grid

    gw = world.client("grid_worker")
    queue = gw.get(reverse("cases:my_queue")).content.decode()
    assert case.tracking_no in queue and "接单" in queue
    r = act(gw, case, "take", next=reverse("cases:my_queue"))
    assert r.status_code == 302 and r["Location"] == reverse("cases:my_queue")
    r = gw.post(
        act_url(case, "progress"),
        {"version": fresh(case).version, "note": "已联系物业", "photos": [photo(), photo("b.jpg")]},
    )
    assert r.status_code == 302
    progress = CaseEvent.objects.get(case=case, action=Action.PROGRESS)
    assert progress.photos.count() == 2
    r = gw.post(
        act_url(case, "resolve"),
        {"version": fresh(case).version, "result": "已更换灯泡", "photos": [photo(color="blue")]},
    )
    assert r.status_code == 302 and fresh(case).status == Status.RESOLVED
    assert CasePhoto.objects.filter(case=case, stage="after").count() == 1
    assert act(gw, case, "follow_up", satisfaction="basic", comment="还行").status_code == 302
    assert act(staff, case, "close").status_code == 302
    case = fresh(case)
    assert case.status == Status.CLOSED and case.outcome == Outcome.RESOLVED
    assert list(case.events.values_list("action", flat=True)) == [
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
    # The timeline shows every step, internal ones marked, with the photos.
    html = staff.get(detail_url(case)).content.decode()
    assert "已更换灯泡" in html and "内部" in html and "居民可见" in html
    assert reverse("cases:photo", args=[progress.photos.first().public_id]) in html


def test_detail_offers_only_the_actions_the_actor_may_take(world) -> None:  # noqa: ANN001
    case = assigned_case(world)
    gw = world.client("grid_worker").get(detail_url(case)).content.decode()
    assert act_url(case, "take") in gw and act_url(case, "resolve") in gw
    assert act_url(case, "assign") not in gw and act_url(case, "whistle") not in gw
    staff = world.client("village_staff").get(detail_url(case)).content.decode()
    assert act_url(case, "assign") in staff and act_url(case, "whistle") in staff
    leader = world.client("building_leader").get(detail_url(case))
    assert leader.status_code == 200
    assert "/act/" not in leader.content.decode()
    assert "没有可对该诉求进行的操作" in leader.content.decode()


def test_building_leader_cannot_dispatch(world) -> None:  # noqa: ANN001
    case = make_case(world.building)
    leader = world.client("building_leader")
    for action, data in [("accept", {}), ("assign", {}), ("reject", {"reason": "不归我管"})]:
        r = act(leader, case, action, **data)
        assert r.status_code == 403, action
        assert "没有对该诉求进行此操作的权限" in r.content.decode()
    assert fresh(case).status == Status.RECEIVED
    # The grid worker handles but does not dispatch either.
    assert act(world.client("grid_worker"), case, "accept").status_code == 403


def test_outsiders_get_404(world) -> None:  # noqa: ANN001
    case = assigned_case(world)
    sibling = world.client("sibling_grid_worker")
    assert sibling.get(detail_url(case)).status_code == 404
    assert act(sibling, case, "take").status_code == 404
    assert sibling.get(act_url(case, "progress")).status_code == 404
    assert world.client("other_village_staff").get(detail_url(case)).status_code == 404
    assert fresh(case).status == Status.ASSIGNED


def test_unknown_action_is_404(world) -> None:  # noqa: ANN001
    case = assigned_case(world)
    assert act(world.client("village_staff"), case, "explode").status_code == 404


def _version_on_page(html: str, action: str) -> int:
    form = html[html.index(f"/act/{action}/") :]
    return int(re.search(r'name="version" value="(\d+)"', form).group(1))


def test_two_people_at_once_second_sees_the_conflict(world) -> None:  # noqa: ANN001
    case = make_case(world.building)
    first, second = world.client("village_staff"), world.client("village_secretary")
    seen_first = _version_on_page(first.get(detail_url(case)).content.decode(), "accept")
    seen_second = _version_on_page(second.get(detail_url(case)).content.decode(), "reject")
    assert seen_first == seen_second == case.version
    assert act(first, case, "accept", version=seen_first).status_code == 302
    r = act(second, case, "reject", version=seen_second, reason="不属于受理范围")
    assert r.status_code == 409
    html = r.content.decode()
    assert "该诉求刚刚已被他人处理" in html
    # The fresh state: accepted, and the forms now carry the new version.
    assert "已受理" in html and _version_on_page(html, "assign") == fresh(case).version
    case = fresh(case)
    assert case.status == Status.ACCEPTED and not case.rejection_reason


def test_conflict_on_the_phone_page_too(world) -> None:  # noqa: ANN001
    case = assigned_case(world)
    gw, staff = world.client("grid_worker"), world.client("village_staff")
    seen = case.version
    assert act(staff, case, "suspend", reason="等待供暖季").status_code == 302
    r = gw.post(act_url(case, "resolve"), {"version": seen, "result": "已修好", "page": "act"})
    assert r.status_code == 409 and "该诉求刚刚已被他人处理" in r.content.decode()
    assert fresh(case).status == Status.SUSPENDED


def test_bad_input_keeps_what_was_typed(world) -> None:  # noqa: ANN001
    case = resolved_case(world)
    gw = world.client("grid_worker")
    r = act(gw, case, "follow_up", satisfaction="unsatisfied", comment="")
    assert r.status_code == 200
    html = r.content.decode()
    assert "不满意时请说明原因" in html
    assert re.search(r'value="unsatisfied"[^>]*checked', html)
    assert fresh(case).status == Status.RESOLVED
    # On the phone page, the error stays on the phone page.
    r = gw.post(
        act_url(case, "follow_up"),
        {"version": fresh(case).version, "satisfaction": "unsatisfied", "page": "act"},
    )
    assert r.status_code == 200 and "不满意时请说明原因" in r.content.decode()
    assert 'name="page" value="act"' in r.content.decode()
    r = act(gw, case, "follow_up", satisfaction="unsatisfied", comment="灯还是不亮")
    assert r.status_code == 302
    case = fresh(case)
    assert case.status == Status.ASSIGNED and case.reopen_count == 1


def test_phone_page_for_one_action(world) -> None:  # noqa: ANN001
    case = assigned_case(world)
    gw = world.client("grid_worker")
    lifecycle.case_take(case=case, actor=world.actor("grid_worker"))
    page = gw.get(act_url(case, "progress") + "?next=/cases/mine/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'accept="image/*"' in html and 'capture="environment"' in html
    assert 'value="/cases/mine/"' in html
    # An action not open to the actor now is refused on the page.
    assert gw.get(act_url(case, "close")).status_code == 403


def test_return_needs_a_reason_and_the_third_goes_up(world) -> None:  # noqa: ANN001
    case = assigned_case(world)
    gw, staff = world.client("grid_worker"), world.client("village_staff")
    r = act(gw, case, "return", reason="")
    assert r.status_code == 200 and "这个字段是必填项" in r.content.decode()
    assert act(gw, case, "return", reason="不属于网格职责").status_code == 302
    case = fresh(case)
    assert case.status == Status.RETURNED and case.return_count == 1 and case.assignee is None
    for i in range(2):
        r = act(
            staff,
            case,
            "assign",
            handler_unit=str(world.grid.public_id),
            assignee=post_public_id(world, "grid_worker"),
        )
        assert r.status_code == 302
        assert act(gw, case, "return", reason=f"仍不属于网格职责{i}").status_code == 302
    case = fresh(case)
    assert case.return_count == 3 and case.handler_unit == world.village
    assert "上交上级" in staff.get(detail_url(case)).content.decode()


def test_private_matter_is_guided(world) -> None:  # noqa: ANN001
    case = make_case(world.building, code="pets")
    staff = world.client("village_staff")
    assert act(staff, case, "triage", level="private", urgency="general").status_code == 302
    html = staff.get(detail_url(case)).content.decode()
    assert act_url(case, "assign") not in html and act_url(case, "guide") in html
    r = act(staff, case, "guide", guidance="建议与邻居协商，或联系物业", referral="物业服务中心")
    assert r.status_code == 302
    case = fresh(case)
    assert case.status == Status.CLOSED and case.outcome == Outcome.GUIDED
    assert case.referral == "物业服务中心"


def test_reject_shows_the_reason(world) -> None:  # noqa: ANN001
    case = make_case(world.building)
    staff = world.client("village_staff")
    assert act(staff, case, "reject", reason="不属于本社区受理范围").status_code == 302
    case = fresh(case)
    assert case.status == Status.REJECTED
    assert "不属于本社区受理范围" in staff.get(detail_url(case)).content.decode()


def test_merge_by_tracking_number(world) -> None:  # noqa: ANN001
    survivor = make_case(world.building)
    duplicate = make_case(world.building, text="1号楼楼道灯不亮，晚上太黑了")
    outside = make_case(world.other_village)
    staff = world.client("village_staff")
    r = act(staff, duplicate, "merge", into="NOSUCH")
    assert r.status_code == 200 and "找不到该受理编号的诉求" in r.content.decode()
    r = act(staff, duplicate, "merge", into=outside.tracking_no)
    assert "找不到该受理编号的诉求" in r.content.decode()
    assert act(staff, duplicate, "merge", into=survivor.tracking_no.lower()).status_code == 302
    assert fresh(duplicate).status == Status.MERGED
    assert fresh(duplicate).merged_into == survivor
    assert fresh(survivor).support_count == 1
    assert "另有 1 人反映了同一问题" in staff.get(detail_url(survivor)).content.decode()


def test_extension_request_approve_and_refuse(world) -> None:  # noqa: ANN001
    case = assigned_case(world)
    gw, staff = world.client("grid_worker"), world.client("village_staff")
    due = fresh(case).resolve_due_at
    assert act(gw, case, "extension_request", days=3, reason="等配件").status_code == 302
    assert fresh(case).extension_pending
    html = staff.get(detail_url(case)).content.decode()
    assert act_url(case, "extension_approve") in html
    assert act_url(case, "extension_request") not in html
    assert act(staff, case, "extension_approve").status_code == 302
    case = fresh(case)
    assert not case.extension_pending and case.resolve_due_at > due
    assert act(gw, case, "extension_request", days=40, reason="再等等").status_code == 200
    assert act(gw, case, "extension_request", days=2, reason="再等等").status_code == 302
    r = act(staff, case, "extension_refuse", note="")
    assert r.status_code == 200 and "这个字段是必填项" in r.content.decode()
    assert act(staff, case, "extension_refuse", note="时间足够").status_code == 302
    assert not fresh(case).extension_pending


def test_suspend_resume_supervise_note(world) -> None:  # noqa: ANN001
    case = assigned_case(world)
    staff = world.client("village_staff")
    assert act(staff, case, "suspend", reason="等待供暖季").status_code == 302
    assert fresh(case).status == Status.SUSPENDED
    assert act(staff, case, "resume").status_code == 302
    assert fresh(case).status == Status.ASSIGNED
    assert act(staff, case, "supervise", reason="群众多次反映").status_code == 302
    assert fresh(case).is_supervised
    assert act_url(case, "supervise") not in staff.get(detail_url(case)).content.decode()
    gw = world.client("grid_worker")
    assert act(gw, case, "note", note="已电话联系居民").status_code == 302
    note = CaseEvent.objects.get(case=case, action=Action.NOTE)
    assert not note.is_public and note.note == "已电话联系居民"


def test_whistle_from_the_detail_page(world) -> None:  # noqa: ANN001
    case = assigned_case(world)
    staff = world.client("village_staff")
    assert act(staff, case, "whistle", reason="").status_code == 200
    assert act(staff, case, "whistle", reason="楼顶漏水涉及维修资金").status_code == 302
    whistle = Whistle.objects.get(case=case)
    case = fresh(case)
    assert case.is_whistled and case.handler_unit == world.street
    html = staff.get(detail_url(case)).content.decode()
    assert reverse("cases:whistle_detail", args=[whistle.public_id]) in html
    assert act_url(case, "whistle") not in html  # one open whistle at a time


def test_board_hide_and_show(world) -> None:  # noqa: ANN001
    case = resolved_case(world)
    staff = world.client("village_staff")
    assert act_url(case, "board_hide") in staff.get(detail_url(case)).content.decode()
    assert act(staff, case, "board_hide", reason="").status_code == 200
    assert act(staff, case, "board_hide", reason="涉及个人隐私").status_code == 302
    assert fresh(case).board_hidden
    html = staff.get(detail_url(case)).content.decode()
    assert "涉及个人隐私" in html and act_url(case, "board_show") in html
    assert act(staff, case, "board_show").status_code == 302
    assert not fresh(case).board_hidden
    # The grid worker handles but does not decide what the public board shows.
    assert act(world.client("grid_worker"), case, "board_hide", reason="x").status_code == 403


def test_reveal_phone_is_audited_and_needs_the_permission(world) -> None:  # noqa: ANN001
    case = submit(world.building, phone="13812345678", name="王建国").case
    url = reverse("cases:reveal_phone", args=[case.public_id])
    gw = world.client("grid_worker")
    page = gw.get(detail_url(case)).content.decode()
    assert url in page and "王建国" in page
    r = gw.post(url)
    assert r.status_code == 200 and "13812345678" in r.content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REVEAL).count() == 1
    fragment = gw.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert "13812345678" in fragment and "<html" not in fragment
    leader = world.client("building_leader")
    page = leader.get(detail_url(case)).content.decode()
    assert url not in page and "王建国" not in page and "王**" in page
    r = leader.post(url)
    assert r.status_code == 403 and "13812345678" not in r.content.decode()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REVEAL).count() == 2
    assert world.client("sibling_grid_worker").post(url).status_code == 404


def test_photos_only_for_those_who_see_the_request(world) -> None:  # noqa: ANN001
    case = submit(world.building, photos=[photo()]).case
    url = reverse("cases:photo", args=[case.photos.get().public_id])
    r = world.client("grid_worker").get(url)
    assert r.status_code == 200 and r["Content-Type"] == "image/jpeg"
    assert b"".join(r.streaming_content)[:2] == b"\xff\xd8"
    assert world.client("sibling_grid_worker").get(url).status_code == 404
    assert world.client("department_staff").get(url).status_code == 404


def test_department_handles_what_it_was_sent(world) -> None:  # noqa: ANN001
    case = make_case(world.building)
    street = world.client("street_staff")
    r = act(street, case, "assign", department=str(world.department.public_id))
    assert r.status_code == 302
    assert fresh(case).handler_department == world.department
    dept = world.client("department_staff")
    html = dept.get(detail_url(case)).content.decode()
    assert act_url(case, "take") in html and act_url(case, "assign") not in html
    assert act(dept, case, "take").status_code == 302
    assert act(dept, case, "resolve", result="已派人维修").status_code == 302
    assert fresh(case).status == Status.RESOLVED


def test_merge_suggestions_lead_to_a_merge(world) -> None:  # noqa: ANN001
    survivor = make_case(world.building, text="1号楼2单元楼道灯不亮了，晚上很黑")
    duplicate = make_case(world.building, text="1号楼2单元楼道灯不亮，晚上很黑看不见")
    other = make_case(world.sibling_building, text="1号楼2单元楼道灯不亮，晚上很黑看不见")
    staff = world.client("village_staff")
    html = staff.get(detail_url(duplicate)).content.decode()
    assert "疑似重复" in html and f"合并到 {survivor.tracking_no}" in html
    assert other.tracking_no not in html  # another grid is another place
    version = _version_on_page(html, "merge")
    r = staff.post(act_url(duplicate, "merge"), {"version": version, "into": survivor.tracking_no})
    assert r.status_code == 302 and fresh(duplicate).merged_into == survivor


def test_assign_without_a_choice_follows_the_routing_rules(world) -> None:  # noqa: ANN001
    case = make_case(world.building)
    staff = world.client("village_staff")
    html = staff.get(detail_url(case)).content.decode()
    assert "派遣规则" in html and f"小事 → {world.village.display_name}" in html
    assert act(staff, case, "triage", level="big", urgency="general").status_code == 302
    assert act(staff, case, "assign").status_code == 302
    case = fresh(case)
    assert case.status == Status.ASSIGNED and case.handler_unit == world.street
    # The street's dispatchers are told.
    from lianxin.cases.models import Notification

    assert Notification.objects.filter(
        recipient=world.users["street_staff"], case=case, kind="assigned"
    ).exists()


def test_opening_a_request_reads_its_inbox_items(world) -> None:  # noqa: ANN001
    from lianxin.cases.models import Notification

    case = make_case(world.building)
    other = make_case(world.building, text="另一件事：垃圾桶满了没人清")
    user = world.users["grid_worker"]
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 2
    world.client("grid_worker").get(detail_url(case))
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    assert [n.case_id for n in unread] == [other.pk]
