"""吹哨报到 pages: the street summons departments and units, they report in, the street
closes the whistle; everyone else gets 404 or a refusal."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from lianxin.cases.models import Notification, Whistle, WhistleSummons
from lianxin.cases.services import whistles
from lianxin.cases.tests.factories import assigned_case

pytestmark = pytest.mark.django_db


def _whistle(world: Any) -> Whistle:
    case = assigned_case(world, text="楼顶漏水涉及公共维修资金，社区无法解决")
    return whistles.whistle_raise(
        case=case, actor=world.actor("village_staff"), reason="需要住建部门协调维修资金"
    )


def url(w: Whistle) -> str:
    return reverse("cases:whistle_detail", args=[w.public_id])


def test_summon_report_in_close(world) -> None:  # noqa: ANN001
    w = _whistle(world)
    street = world.client("street_staff")
    page = street.get(url(w)).content.decode()
    assert "召集部门报到" in page and world.department.name in page
    assert world.village.display_name in page and world.other_village.display_name not in page
    r = street.post(url(w), {"op": "summon"})
    assert r.status_code == 200 and "请至少选择一个部门或单位" in r.content.decode()
    r = street.post(
        url(w),
        {
            "op": "summon",
            "departments": [str(world.department.public_id)],
            "units": [str(world.village.public_id)],
            "hours": "8",
            "note": "请两小时内到现场",
        },
    )
    assert r.status_code == 302
    assert WhistleSummons.objects.filter(whistle=w).count() == 2
    assert Notification.objects.filter(
        recipient=world.users["department_staff"], kind="summoned"
    ).exists()

    dept = world.client("department_staff")
    page = dept.get(url(w)).content.decode()
    assert "采取的措施" in page and "召集部门报到" not in page and "吹哨办结" not in page
    r = dept.post(url(w), {"op": "report_in", "action_note": ""})
    assert r.status_code == 200 and "这个字段是必填项" in r.content.decode()
    dept_summons = WhistleSummons.objects.get(whistle=w, department=world.department)
    r = dept.post(
        url(w),
        {"op": "report_in", "summons": str(dept_summons.pk), "action_note": "已派人现场查看"},
    )
    assert r.status_code == 302
    dept_summons.refresh_from_db()
    assert dept_summons.reported_at is not None and dept_summons.action_note == "已派人现场查看"
    # The department cannot close the whistle.
    assert dept.post(url(w), {"op": "close", "outcome": "closed", "note": "好"}).status_code == 403

    # The summoned village reports in from the request's page too.
    village = world.client("village_staff")
    detail = village.get(reverse("cases:detail", args=[w.case.public_id])).content.decode()
    assert 'name="op" value="report_in"' in detail
    unit_summons = WhistleSummons.objects.get(whistle=w, unit=world.village)
    r = village.post(
        url(w),
        {"op": "report_in", "summons": str(unit_summons.pk), "action_note": "已组织楼栋长配合"},
    )
    assert r.status_code == 302

    r = street.post(url(w), {"op": "close", "outcome": "closed", "note": ""})
    assert r.status_code == 200 and Whistle.objects.get(pk=w.pk).outcome == ""
    r = street.post(url(w), {"op": "close", "outcome": "coordinated", "note": "部门报到并协调处置"})
    assert r.status_code == 302
    w.refresh_from_db()
    assert w.outcome == "coordinated"
    page = street.get(url(w)).content.decode()
    assert "协调处置" in page and "召集部门报到" not in page
    assert street.post(url(w), {"op": "close", "outcome": "closed", "note": "x"}).status_code == 403


def test_who_sees_a_whistle(world) -> None:  # noqa: ANN001
    w = _whistle(world)
    assert world.client("other_street_staff").get(url(w)).status_code == 404
    assert world.client("sibling_grid_worker").get(url(w)).status_code == 404
    # The department sees it only once summoned.
    assert world.client("department_staff").get(url(w)).status_code == 404
    whistles.whistle_summon(
        whistle=w, actor=world.actor("street_staff"), departments=[world.department]
    )
    assert world.client("department_staff").get(url(w)).status_code == 200
    # The whistling village sees it, without street forms.
    page = world.client("village_staff").get(url(w))
    assert page.status_code == 200 and "召集部门报到" not in page.content.decode()
    r = world.client("village_staff").post(url(w), {"op": "summon"})
    assert r.status_code == 403
