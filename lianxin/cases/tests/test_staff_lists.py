"""Staff lists: filters, the grid worker's queue, department queue, supervision, inbox,
the Excel export and the workbench widgets, each in a constant number of queries."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from lianxin.accounts.workbench import build_workbench
from lianxin.audit.models import AuditEvent
from lianxin.cases.context_processors import cases_unread
from lianxin.cases.models import Case, Notification
from lianxin.cases.services import lifecycle, whistles
from lianxin.cases.tests.factories import assigned_case, make_case, submit
from lianxin.cases.workflow import Channel, Status

pytestmark = pytest.mark.django_db


def queries(client: Any, url: str) -> int:
    client.get(url)  # warm: settings row, session
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx)


def body(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def mark_sla(case: Case, state: str) -> None:
    # The SLA job (services.sla) sets this; the lists only read it.
    Case.objects.filter(pk=case.pk).update(sla_state=state)


def test_list_filters(world) -> None:  # noqa: ANN001
    lighting = make_case(world.building, text="路灯不亮，晚上走路很黑很危险")
    drains = make_case(world.building, text="下水道堵塞，污水冒到路面上", code="drains")
    sibling = make_case(world.sibling_building, text="九号楼门口垃圾堆积没人清理")
    assigned = assigned_case(world, text="楼道堆放杂物堵塞通道需要清理")
    mark_sla(assigned, "overdue")
    old = make_case(world.building, text="去年的老问题，楼顶漏水一直没修")
    Case.objects.filter(pk=old.pk).update(received_at=timezone.now() - dt.timedelta(days=400))
    from lianxin.cases.services import intake

    phone = intake.case_file(
        actor=world.actor("village_staff"),
        unit=world.building,
        description="电话反映：小区大门口井盖松动",
        channel=Channel.PHONE,
        level="big",
    ).case
    staff = world.client("village_staff")
    url = reverse("cases:list")

    def listed(**params: str) -> set[str]:
        html = body(staff, url + "?" + "&".join(f"{k}={v}" for k, v in params.items()))
        every = [lighting, drains, sibling, assigned, old, phone]
        return {c.tracking_no for c in every if c.tracking_no in html}

    everyone = {c.tracking_no for c in [lighting, drains, sibling, assigned, old, phone]}
    assert listed() == everyone
    assert listed(status="assigned") == {assigned.tracking_no}
    assert listed(status="open") == everyone
    assert listed(category="drains") == {drains.tracking_no}
    assert listed(channel="phone") == {phone.tracking_no}
    big = listed(level="big")
    assert phone.tracking_no in big and lighting.tracking_no not in big
    assert lighting.tracking_no in listed(level="none") and phone.tracking_no not in listed(
        level="none"
    )
    assert listed(sla="overdue") == {assigned.tracking_no}
    assert listed(unit=str(world.sibling_grid.public_id)) == {sibling.tracking_no}
    assert listed(q=drains.tracking_no) == {drains.tracking_no}
    assert listed(q="井盖") == {phone.tracking_no}
    assert old.tracking_no not in listed(
        **{"from": (timezone.localdate() - dt.timedelta(days=30)).isoformat()}
    )
    assert listed(to=(timezone.localdate() - dt.timedelta(days=300)).isoformat()) == {
        old.tracking_no
    }
    assert listed(kind="mediation") == set()
    whistles.whistle_raise(case=assigned, actor=world.actor("village_staff"), reason="社区解决不了")
    assert listed(whistled="1") == {assigned.tracking_no}
    assert assigned.tracking_no not in listed(whistled="0")
    # A grid worker sees their grid only.
    gw_html = body(world.client("grid_worker"), url)
    assert lighting.tracking_no in gw_html and sibling.tracking_no not in gw_html


def test_list_shows_due_in_colour(world) -> None:  # noqa: ANN001
    near = assigned_case(world, text="楼道灯坏了好几天，晚上很黑")
    overdue = assigned_case(world, text="下水道堵了，味道很大很难受")
    mark_sla(near, "near")
    mark_sla(overdue, "overdue")
    html = body(world.client("village_staff"), reverse("cases:list"))
    assert 'class="due near"' in html and 'class="due overdue"' in html


def _cases(world: Any, n: int) -> None:
    for i in range(n):
        case = assigned_case(world, text=f"第{i}个问题：楼道灯不亮需要维修")
        if i % 3 == 0:
            mark_sla(case, "near")
        elif i % 3 == 1:
            mark_sla(case, "overdue")
        make_case(world.building, text=f"第{i}个新问题：垃圾桶满了没人清")


def test_list_pages_cost_the_same_for_3_and_30_rows(world) -> None:  # noqa: ANN001
    urls = {
        "village_staff": [
            reverse("cases:list"),
            reverse("cases:list") + "?status=open&sla=due",
            reverse("cases:supervision"),
        ],
        "grid_worker": [reverse("cases:my_queue"), reverse("cases:inbox")],
    }

    def measure() -> dict[str, int]:
        out = {}
        for persona, persona_urls in urls.items():
            client = world.client(persona)
            for url in persona_urls:
                out[f"{persona} {url}"] = queries(client, url)
        return out

    _cases(world, 3)
    few = measure()
    _cases(world, 27)
    assert Case.objects.count() == 60
    assert measure() == few


def test_my_queue_sections(world) -> None:  # noqa: ANN001
    mine = assigned_case(world, text="我的：楼道灯不亮需要维修")
    new = make_case(world.building, text="新的：垃圾桶满了没人清理")
    near = assigned_case(world, text="临期：下水道堵塞污水外溢")
    mark_sla(near, "near")
    late = make_case(world.building, text="超期：路面坑洼容易绊倒")
    mark_sla(late, "overdue")
    sibling = make_case(world.sibling_building, text="别的网格：九号楼门禁坏了")
    html = body(world.client("grid_worker"), reverse("cases:my_queue"))
    for case in (mine, new, near, late):
        assert case.tracking_no in html
    assert sibling.tracking_no not in html
    sections = html.split('class="queue-section"')
    assert mine.tracking_no in sections[1] and new.tracking_no in sections[2]
    assert near.tracking_no in sections[3] and late.tracking_no in sections[4]
    # One-hand buttons: take for what is mine, then progress/resolve once taken.
    assert reverse("cases:act", args=[mine.public_id, "take"]) in sections[1]
    assert reverse("cases:file") + "?channel=patrol" in html
    lifecycle.case_take(case=mine, actor=world.actor("grid_worker"))
    html = body(world.client("grid_worker"), reverse("cases:my_queue"))
    assert reverse("cases:act", args=[mine.public_id, "resolve"]) in html
    assert reverse("cases:act", args=[mine.public_id, "progress"]) in html
    # Building leaders do not handle requests: no queue.
    assert world.client("building_leader").get(reverse("cases:my_queue")).status_code == 404


def _whistled_to_department(world: Any, text: str) -> Case:
    case = assigned_case(world, text=text)
    w = whistles.whistle_raise(case=case, actor=world.actor("village_staff"), reason="社区无法解决")
    whistles.whistle_summon(
        whistle=w, actor=world.actor("street_staff"), departments=[world.department]
    )
    return case


def test_department_queue_lists_routed_and_summoned(world) -> None:  # noqa: ANN001
    routed = make_case(world.building, text="路面塌陷需要住建部门处理")
    lifecycle.case_assign(
        case=routed,
        actor=world.actor("street_staff"),
        handler_unit=world.street,
        department=world.department,
    )
    summoned = _whistled_to_department(world, "楼顶漏水涉及公共维修资金")
    unrelated = make_case(world.building, text="楼道灯不亮需要更换灯泡")
    client = world.client("department_staff")
    html = body(client, reverse("cases:department_queue"))
    assert routed.tracking_no in html and summoned.tracking_no in html
    assert unrelated.tracking_no not in html
    assert "待报到" in html and "前报到" in html
    few = queries(client, reverse("cases:department_queue"))
    for i in range(6):
        _whistled_to_department(world, f"第{i}个吹哨的问题需要部门报到")
    assert queries(client, reverse("cases:department_queue")) == few
    # Village staff see the page for summons of their units; no department cases.
    assert routed.tracking_no not in body(
        world.client("village_staff"), reverse("cases:department_queue")
    )
    assert world.client("building_leader").get(reverse("cases:department_queue")).status_code == 404


def test_supervision_lists_supervised_overdue_and_reopened(world) -> None:  # noqa: ANN001
    supervised = assigned_case(world, text="督办：楼道灯反复坏")
    lifecycle.case_supervise(case=supervised, actor=world.actor("village_staff"), reason="反复反映")
    overdue = assigned_case(world, text="超期：下水道堵塞")
    mark_sla(overdue, "overdue")
    reopened = assigned_case(world, text="重办：楼顶漏水")
    Case.objects.filter(pk=reopened.pk).update(reopen_count=2)
    plain = assigned_case(world, text="普通：垃圾桶满了")
    closed = assigned_case(world, text="已结：督办后已经关闭")
    Case.objects.filter(pk=closed.pk).update(is_supervised=True, status=Status.CLOSED)
    html = body(world.client("village_staff"), reverse("cases:supervision"))
    for case in (supervised, overdue, reopened):
        assert case.tracking_no in html
    assert plain.tracking_no not in html and closed.tracking_no not in html
    assert world.client("nobody").get(reverse("cases:supervision")).status_code == 404


def test_inbox_unread_first_mark_read(world) -> None:  # noqa: ANN001
    user = world.users["grid_worker"]
    first = make_case(world.building, text="第一件：楼道灯不亮")
    second = make_case(world.building, text="第二件：垃圾没人清")
    old, new = Notification.objects.filter(recipient=user).order_by("id")
    Notification.objects.filter(pk=new.pk).update(read_at=timezone.now())
    client = world.client("grid_worker")
    html = body(client, reverse("cases:inbox"))
    assert html.index(first.tracking_no) < html.index(second.tracking_no)  # unread first
    Notification.objects.create(
        recipient=world.users["sibling_grid_worker"], kind="new", text="别人的消息"
    )
    assert "别人的消息" not in html
    r = client.post(reverse("cases:inbox"), {"id": str(old.pk)})
    assert r.status_code == 302
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 0
    make_case(world.building, text="第三件：路灯坏了")
    make_case(world.building, text="第四件：井盖松动")
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 2
    # Marking another user's item does nothing.
    theirs = Notification.objects.get(text="别人的消息")
    client.post(reverse("cases:inbox"), {"id": str(theirs.pk)})
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    client.post(reverse("cases:inbox"), {"all": "1"})
    assert Notification.objects.filter(recipient=user, read_at__isnull=True).count() == 0


def test_unread_context_processor(world) -> None:  # noqa: ANN001
    from django.test import RequestFactory

    from lianxin.accounts.actor import ANONYMOUS

    make_case(world.building)
    request = RequestFactory().get("/")
    request.actor = world.actor("grid_worker")
    assert cases_unread(request)["cases_unread"]() == 1
    request.actor = world.actor("sibling_grid_worker")
    assert cases_unread(request)["cases_unread"]() == 0
    request.actor = ANONYMOUS
    assert cases_unread(request)["cases_unread"]() == 0


def test_whistle_list_counts_per_period(world) -> None:  # noqa: ANN001
    street = world.actor("street_staff")
    cases = [assigned_case(world, text=f"第{i}件吹哨：楼顶漏水需要维修") for i in range(4)]
    ws = [
        whistles.whistle_raise(case=c, actor=world.actor("village_staff"), reason="社区解决不了")
        for c in cases
    ]
    whistles.whistle_close(whistle=ws[0], actor=street, outcome="closed", note="已修复")
    whistles.whistle_close(whistle=ws[1], actor=street, outcome="coordinated", note="协调处置")
    whistles.whistle_close(whistle=ws[2], actor=street, outcome="unresolved", note="资金未落实")
    client = world.client("street_staff")
    response = client.get(reverse("cases:whistle_list"))
    assert response.context["totals"] == {
        "total": 4,
        "closed": 1,
        "coordinated": 1,
        "unresolved": 1,
        "open": 1,
    }
    open_only = client.get(reverse("cases:whistle_list") + "?outcome=open").content.decode()
    assert cases[3].tracking_no in open_only and cases[0].tracking_no not in open_only
    past = client.get(reverse("cases:whistle_list") + "?from=2020-01-01&to=2020-12-31")
    assert past.context["totals"]["total"] == 0
    other = world.client("other_street_staff").get(reverse("cases:whistle_list"))
    assert other.context["totals"]["total"] == 0
    assert world.client("village_staff").get(reverse("cases:whistle_list")).status_code == 404
    few = queries(client, reverse("cases:whistle_list"))
    for i in range(5):
        c = assigned_case(world, text=f"又一件吹哨：第{i}个问题")
        w = whistles.whistle_raise(case=c, actor=world.actor("village_staff"), reason="解决不了")
        whistles.whistle_summon(whistle=w, actor=street, departments=[world.department])
    assert queries(client, reverse("cases:whistle_list")) == few


def test_export_is_the_filtered_list_with_masked_phones(world) -> None:  # noqa: ANN001
    mine = submit(world.building, phone="13812345678", name="王建国").case
    other = make_case(world.building, text="下水道堵塞，污水冒到路面上", code="drains")
    sibling = make_case(world.sibling_building, text="九号楼门口垃圾堆积没人清理")
    response = world.client("grid_worker").get(reverse("cases:export") + "?category=lighting")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][0] == "受理编号" and "联系电话" in rows[0]
    numbers = [r[0] for r in rows[1:]]
    assert numbers == [mine.tracking_no]
    assert other.tracking_no not in numbers and sibling.tracking_no not in numbers
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["联系电话"] == "138****5678" and row["反映人"] == "王**"
    assert row["状态"] == "待受理" and row["地点"] == world.building.display_name
    assert not any("13812345678" in str(v) for r in rows for v in r)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 1
    supervised = world.client("village_staff").get(reverse("cases:export") + "?supervision=1")
    wb = load_workbook(io.BytesIO(b"".join(supervised.streaming_content)))
    assert len(list(wb.active.iter_rows(values_only=True))) == 1  # headers only


def test_workbench_request_widgets(world) -> None:  # noqa: ANN001
    def figures(persona: str) -> dict[str, Any]:
        return {f.label: f.value for f in build_workbench(world.actor(persona)).case_figures}

    assigned_case(world, text="我的：楼道灯不亮需要维修")
    make_case(world.building, text="新的：垃圾桶满了没人清理")
    late = assigned_case(world, text="超期：下水道堵塞污水外溢")
    mark_sla(late, "overdue")
    make_case(world.sibling_building, text="别的网格：九号楼门禁坏了")
    gw = figures("grid_worker")
    assert gw["我的待办"] == 2 and gw["新诉求"] == 1 and gw["已超期"] == 1
    village = figures("village_staff")
    assert village["新诉求"] == 2 and village["未办结"] == 4 and village["已超期"] == 1
    _whistled_to_department(world, "楼顶漏水涉及公共维修资金")
    street = figures("street_staff")
    assert street["吹哨处理中"] == 1
    dept = figures("department_staff")
    assert dept["本部门承办"] == 1 and dept["待报到"] == 1
    assert figures("sysadmin") == {}
    html = body(world.client("grid_worker"), reverse("accounts:home"))
    assert "诉求办理" in html and reverse("cases:my_queue") in html


def test_workbench_widgets_cost_the_same_whatever_the_rows(world) -> None:  # noqa: ANN001
    personas = ["grid_worker", "village_staff", "street_staff", "department_staff"]

    def measure() -> dict[str, int]:
        return {p: queries(world.client(p), reverse("accounts:home")) for p in personas}

    _whistled_to_department(world, "楼顶漏水涉及公共维修资金")
    _cases(world, 2)
    few = measure()
    for i in range(4):
        _whistled_to_department(world, f"第{i}件：需要部门报到的问题")
    _cases(world, 8)
    assert measure() == few
