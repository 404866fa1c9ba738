"""Key-work list pages: the list with its nudge, adding (the seventh refused, the input kept),
completing and dropping on an item's page, carrying over, the overview for the township and
the county (filters, counts), the Excel export and the query budgets."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from lianxin.core import clock
from lianxin.stars.models import TaskForce
from lianxin.worklists.models import KeyWorkItem
from lianxin.worklists.services import keywork as svc
from lianxin.worklists.tests import scope_keywork as kf

pytestmark = pytest.mark.django_db
MARCH = timezone.make_aware(dt.datetime(2026, 3, 10, 9, 0))
APRIL = timezone.make_aware(dt.datetime(2026, 4, 2, 9, 0))
NUDGE = "清单只列 3~6 项最急最难事项，本月还可补充"
FULL = "本月重点工作推进清单已有 6 项推进中事项，请先完成或移出一项再添加"


def _add_url(world) -> str:  # noqa: ANN001
    return reverse("worklists:keywork_add", args=[world.village.code])


def _post_item(client, world, title: str, month: str = "2026-03"):  # noqa: ANN001, ANN201
    return client.post(
        _add_url(world),
        {"month": month, "title": title, "responsible": "王书记", "due_on": "2026-03-25"},
    )


def test_the_list_nudges_below_three_and_adds_in_slots(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    with clock.travel(MARCH):
        page = client.get(reverse("worklists:keywork"))
        html = page.content.decode()
        assert page.status_code == 200
        assert "迎秀社区 · 2026年3月" in html and NUDGE in html and "还没有推进中的事项" in html
        for title in ("加装路灯", "修缮排水沟", "建设幸福院"):
            done = _post_item(client, world, title)
            assert done.status_code == 302
        html = client.get(reverse("worklists:keywork")).content.decode()
    assert NUDGE not in html
    assert "3 / 6 项" in html and "加装路灯" in html and "还可添加 3 项" in html
    assert list(KeyWorkItem.objects.order_by("slot").values_list("slot", flat=True)) == [1, 2, 3]


def test_the_seventh_item_is_refused_and_the_input_kept(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    with clock.travel(MARCH):
        for i in range(6):
            kf.add(world, f"事项{i + 1}")
        page = client.get(reverse("worklists:keywork")).content.decode()
        assert FULL in page and "添加到清单" not in page
        refused = _post_item(client, world, "第七项：村史馆布展")
    html = refused.content.decode()
    assert refused.status_code == 400
    assert FULL in html and 'value="第七项：村史馆布展"' in html
    assert KeyWorkItem.objects.count() == 6


def test_bad_input_names_the_field(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    with clock.travel(MARCH):
        bad = client.post(
            _add_url(world),
            {
                "month": "2026-03",
                "title": "加装路灯",
                "responsible": "王书记",
                "due_on": "2026-01-02",
            },
        )
    html = bad.content.decode()
    assert bad.status_code == 400
    assert "完成时限不能早于2026年3月" in html and 'value="加装路灯"' in html
    assert not KeyWorkItem.objects.exists()


def test_done_leaves_the_list_and_drop_keeps_the_reason(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    with clock.travel(MARCH):
        a = kf.add(world, "加装路灯")
        b = kf.add(world, "修缮排水沟")
        act = reverse("worklists:keywork_item_act", args=[a.public_id])
        page = client.get(reverse("worklists:keywork_item", args=[a.public_id]))
        assert page.status_code == 200 and "标记完成" in page.content.decode()
        empty = client.post(act, {"op": "done", "result": "", "version": a.version})
        assert empty.status_code == 400 and "这个字段是必填项" in empty.content.decode()
        done = client.post(act, {"op": "done", "result": "已安装12盏", "version": a.version})
        assert done.status_code == 302
        gone = client.post(act, {"op": "drop", "reason": "重复", "version": a.version})
        assert gone.status_code == 400 and "该事项已完成" in gone.content.decode()
        edit = reverse("worklists:keywork_item_act", args=[b.public_id])
        fields = {"op": "update", "title": "修缮排水沟（东段）", "responsible": "李主任"}
        fields |= {"due_on": "2026-03-28", "version": b.version}
        assert client.post(edit, fields).status_code == 302
        stale = client.post(edit, {**fields, "title": "再改一次"})
        assert stale.status_code == 409 and "刚刚有变化" in stale.content.decode()
        b.refresh_from_db()
        drop = reverse("worklists:keywork_item_act", args=[b.public_id])
        client.post(drop, {"op": "drop", "reason": "并入县级项目", "version": b.version})
        html = client.get(reverse("worklists:keywork")).content.decode()
    assert "本月已完成" in html and "已安装12盏" in html and "并入县级项目" in html
    assert "0 / 6 项" in html and NUDGE in html
    item = client.get(reverse("worklists:keywork_item", args=[a.public_id])).content.decode()
    assert "列入清单" in item and "完成" in item and "标记完成" not in item


def test_another_village_cannot_act(world) -> None:  # noqa: ANN001
    with clock.travel(MARCH):
        item = kf.add(world)
    client = world.client("other_village_staff")
    act = reverse("worklists:keywork_item_act", args=[item.public_id])
    assert client.post(act, {"op": "done", "result": "x", "version": 1}).status_code == 404
    assert client.get(reverse("worklists:keywork"), {"unit": world.village.code}).status_code == 404
    assert KeyWorkItem.objects.get().status == "open"


def test_carry_over_on_the_page(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    with clock.travel(MARCH):
        a = kf.add(world, "加装路灯")
        kf.add(world, "修缮排水沟")
    with clock.travel(APRIL):
        page = client.get(reverse("worklists:keywork")).content.decode()
        assert "2026年3月未完成事项" in page and "转入2026年4月" in page
        url = reverse("worklists:keywork_carry", args=[world.village.code])
        none = client.post(url, {"month": "2026-04"})
        assert none.status_code == 400 and "请勾选要转入的事项" in none.content.decode()
        done = client.post(url, {"month": "2026-04", "items": [str(a.public_id)]})
        assert done.status_code == 302
        html = client.get(reverse("worklists:keywork")).content.decode()
    assert "上月延续" in html and "修缮排水沟" in html  # the other one may still be carried
    assert KeyWorkItem.objects.filter(month="2026-04", carried_from=a).count() == 1
    march = client.get(reverse("worklists:keywork"), {"month": "2026-03"}).content.decode()
    assert "已转入下月" in march


def test_list_page_query_budget(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    with clock.travel(MARCH):
        for i in range(5):
            kf.add(world, f"事项{i + 1}", star_code="ecology")
        svc.keywork_done(
            actor=world.actor("village_staff"), item=KeyWorkItem.objects.first(), result="完成"
        )
        with django_assert_max_num_queries(16):
            page = client.get(reverse("worklists:keywork"))
    assert page.status_code == 200


def test_overview_for_the_county_with_filters(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    tf = TaskForce.objects.create(county=world.county, name="生态宜居星专班")
    with clock.travel(MARCH):
        for i in range(3):
            kf.add(world, f"村事项{i}")
        kf.add(world, "街道事项", owner=svc.KeyList(unit=world.street), persona="street_staff")
        kf.add(
            world,
            "专班事项",
            owner=svc.KeyList(unit=world.county, task_force=tf),
            persona="org_department",
        )
        client = world.client("org_department")
        url = reverse("worklists:keywork_overview")
        with django_assert_max_num_queries(14):
            page = client.get(url, {"month": "2026-03"})
        html = page.content.decode()
        assert page.status_code == 200
        for name in ("生态宜居星专班", "孟州市", "大定街道", "会昌街道", "迎秀社区", "西关社区"):
            assert name in html
        assert "3 / 6" in html  # lists with items / lists (county, 2 streets, 2 villages, 1 tf)
        street = client.get(url, {"month": "2026-03", "township": world.street.code})
        shtml = street.content.decode()
        assert "迎秀社区" in shtml and "西关社区" not in shtml and "生态宜居星专班</a>" not in shtml
        force = client.get(url, {"month": "2026-03", "tf": str(tf.public_id)}).content.decode()
        assert "生态宜居星专班" in force and "迎秀社区</a>" not in force
        own = client.get(reverse("worklists:keywork")).content.decode()
        assert "孟州市 · 2026年3月" in own and "生态宜居星专班" in own  # the picker
        tf_page = client.get(reverse("worklists:keywork"), {"tf": str(tf.public_id)})
        assert "专班事项" in tf_page.content.decode()
    # The township sees its villages, not the county's lists nor the task forces.
    street_page = world.client("street_staff").get(url, {"month": "2026-03"}).content.decode()
    assert "迎秀社区" in street_page and "生态宜居星专班" not in street_page
    assert "西关社区" not in street_page


def test_export_is_an_xlsx_of_the_list(world) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    with clock.travel(MARCH):
        kf.add(world, "加装路灯", star_code="ecology")
        response = world.client("village_staff").get(
            reverse("worklists:keywork_export"), {"unit": world.village.code, "month": "2026-03"}
        )
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb.active.values)
    assert rows[0][:4] == ("月份", "清单", "位置", "事项")
    assert rows[1][:4] == ("2026-03", "迎秀社区", 1, "加装路灯")
    assert rows[1][7] == "生态宜居星" and rows[1][8] == "推进中"
