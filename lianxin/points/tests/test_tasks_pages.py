"""Micro-task pages: staff publish, register at a station, confirm or mark not done, close;
residents claim and withdraw from the phone — through the test client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from lianxin.core import clock
from lianxin.points.models import MicroTask, PointEntry, Proposal, TaskClaim
from lianxin.points.services import tasks as svc
from lianxin.points.tests import factories as f

pytestmark = pytest.mark.django_db
PHONE_URLS = pytest.mark.urls("lianxin.points.tests.urls_phone")


def _resident(world, name="张建国", unit=None):  # noqa: ANN001, ANN202
    return f.household_account(unit or world.building, head_name=name).household.residents.get()


def _form(world, **over):  # noqa: ANN001, ANN003, ANN202
    indicator = svc.default_indicator(svc.task_indicators(world.village.path))
    data = {
        "unit": str(world.village.public_id),
        "title": "清理楼道小广告",
        "description": "清理1号楼各单元楼道内的小广告",
        "place": "迎秀小区1号楼",
        "indicator": str(indicator.public_id),
        "points": "2",
        "slots": "4",
        "deadline": (clock.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(over)
    return data


def test_publish_from_the_page(world) -> None:  # noqa: ANN001
    client = world.client("village_secretary")
    form = client.get(reverse("points:task_create")).content.decode()
    assert "认领并完成微任务" in form and "fast_path" in form
    response = client.post(reverse("points:task_create"), _form(world, fast_path="on"))
    task = MicroTask.objects.get()
    assert response["Location"] == reverse("points:task_detail", args=[task.public_id])
    assert (
        task.fast_path and task.slots == 4 and task.created_by == world.users["village_secretary"]
    )


def test_publish_bad_input_keeps_what_was_typed(world) -> None:  # noqa: ANN001
    past = (clock.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = world.client("village_staff").post(
        reverse("points:task_create"), _form(world, deadline=past, title="发放反诈传单")
    )
    page = response.content.decode()
    assert "截止时间须晚于现在" in page and 'value="发放反诈传单"' in page
    assert not MicroTask.objects.exists()


def test_grid_worker_has_no_fast_path_box(world) -> None:  # noqa: ANN001
    form = world.client("grid_worker").get(reverse("points:task_create")).content.decode()
    assert (
        "fast_path" not in form and "迎秀社区第一网格" in form and "迎秀社区</option>" not in form
    )


def test_task_list_query_budget(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    for n in range(4):
        f.micro_task(world, title=f"任务{n}号")
    client = world.client("village_staff")
    with django_assert_max_num_queries(10):
        page = client.get(reverse("points:task_list")).content.decode()
    assert all(f"任务{n}号" in page for n in range(4))


def test_station_registration_by_name(world) -> None:  # noqa: ANN001
    task = f.micro_task(world, slots=1)
    resident = _resident(world, name="孙秀英")
    client = world.client("village_staff")
    url = reverse("points:task_detail", args=[task.public_id])
    page = client.get(url, {"q": "秀英"}).content.decode()
    assert "孙秀英" in page
    register = reverse("points:task_register", args=[task.public_id])
    client.post(register, {"resident": str(resident.public_id)})
    claim = TaskClaim.objects.get()
    assert claim.channel == "station" and claim.resident == resident
    again = client.post(register, {"resident": str(_resident(world, name="周八").public_id)})
    assert again.status_code == 400 and "名额已满" in again.content.decode()
    assert TaskClaim.objects.count() == 1


def test_station_registration_cannot_reach_outside(world) -> None:  # noqa: ANN001
    from lianxin.core.testing import make_unit

    task = f.micro_task(world)
    outsider = _resident(
        world, unit=make_unit("building", "B-Y-1", "西关2号楼", world.other_village)
    )
    response = world.client("village_staff").post(
        reverse("points:task_register", args=[task.public_id]),
        {"resident": str(outsider.public_id)},
    )
    assert response.status_code == 400 and not TaskClaim.objects.exists()


def test_confirm_with_photo_proposes(world) -> None:  # noqa: ANN001
    task = f.micro_task(world, points=2)
    claim = svc.task_claim(task=task, resident=_resident(world), channel="phone")
    client = world.client("village_staff")
    url = reverse("points:claim_confirm", args=[claim.public_id])
    assert client.get(url).status_code == 200
    empty = client.post(url, {"evidence": ""})
    assert empty.status_code == 400 and "请填写完成情况或上传照片" in empty.content.decode()
    response = client.post(url, {"evidence": "已清理", "photo": f.photo()}, follow=True)
    assert "积分申报已提交，待审核" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == "completed" and claim.proposal.status == Proposal.Status.PENDING
    assert not PointEntry.objects.exists()


def test_confirm_fast_path_books(world) -> None:  # noqa: ANN001
    task = f.micro_task(world, points=2, fast_path=True)
    claim = svc.task_claim(task=task, resident=_resident(world), channel="phone")
    response = world.client("village_staff").post(
        reverse("points:claim_confirm", args=[claim.public_id]),
        {"evidence": "传单已发放"},
        follow=True,
    )
    assert "已入账 2 分" in response.content.decode()
    assert PointEntry.objects.get().source_key == f"task:{claim.public_id}"


def test_not_done_and_close(world) -> None:  # noqa: ANN001
    task = f.micro_task(world, slots=1)
    claim = svc.task_claim(task=task, resident=_resident(world), channel="phone")
    client = world.client("village_staff")
    client.post(reverse("points:claim_reject", args=[claim.public_id]), {"note": "未按要求发放"})
    claim.refresh_from_db()
    task.refresh_from_db()
    assert claim.status == "rejected" and task.claimed_count == 0
    client.post(reverse("points:task_close", args=[task.public_id]))
    task.refresh_from_db()
    assert task.status == MicroTask.Status.CLOSED
    page = client.get(reverse("points:task_detail", args=[task.public_id])).content.decode()
    assert "未按要求发放" in page and "站点登记认领" not in page


# --- the phone -------------------------------------------------------------------------------


@PHONE_URLS
def test_phone_lists_open_tasks_of_the_area(client, world) -> None:  # noqa: ANN001
    mine = f.micro_task(world, title="发放反诈传单", slots=5)
    f.micro_task(world, title="已过期的任务", hours=1)
    f.micro_task(world, unit=world.sibling_grid, by="village_staff", title="第二网格的任务")
    closed = f.micro_task(world, title="已结束的任务")
    svc.task_close(actor=world.actor("village_staff"), task=closed)
    f.phone_sign_in(client, _resident(world))
    with clock.travel(clock.now() + dt.timedelta(hours=2)):
        page = client.get(reverse("points_public:tasks")).content.decode()
    assert mine.title in page and "剩 5/5 个名额" in page
    for absent in ("已过期的任务", "第二网格的任务", "已结束的任务"):
        assert absent not in page


@PHONE_URLS
def test_phone_claim_withdraw_and_full(client, world) -> None:  # noqa: ANN001
    task = f.micro_task(world, slots=1)
    me = _resident(world)
    f.phone_sign_in(client, me)
    prefix = str(task.public_id)
    claim_url = reverse("points_public:task_claim", args=[task.public_id])
    client.post(claim_url, {f"{prefix}-resident": str(me.public_id)})
    claim = TaskClaim.objects.get()
    assert claim.resident == me and claim.channel == "phone"
    page = client.get(reverse("points_public:tasks")).content.decode()
    assert "已认领" in page and "放弃认领" in page
    # Someone else finds it full.
    other_client = type(client)()
    other = _resident(world, name="李四")
    f.phone_sign_in(other_client, other)
    full = other_client.post(claim_url, {f"{prefix}-resident": str(other.public_id)})
    assert full.status_code == 400 and "名额已满" in full.content.decode()
    # They cannot give back my claim; I can.
    withdraw = reverse("points_public:claim_withdraw", args=[claim.public_id])
    assert other_client.post(withdraw).status_code == 404
    client.post(withdraw)
    task.refresh_from_db()
    claim.refresh_from_db()
    assert claim.status == "withdrawn" and task.claimed_count == 0


@PHONE_URLS
def test_phone_claim_after_deadline_refused(client, world) -> None:  # noqa: ANN001
    task = f.micro_task(world, hours=1)
    me = _resident(world)
    f.phone_sign_in(client, me)
    with clock.travel(clock.now() + dt.timedelta(hours=2)):
        response = client.post(
            reverse("points_public:task_claim", args=[task.public_id]),
            {f"{task.public_id}-resident": str(me.public_id)},
        )
    assert response.status_code == 400 and "已过认领截止时间" in response.content.decode()
    task.refresh_from_db()
    assert task.claimed_count == 0 and not TaskClaim.objects.exists()


@PHONE_URLS
def test_phone_tasks_need_the_session(client, world) -> None:  # noqa: ANN001
    task = f.micro_task(world)
    assert client.get(reverse("points_public:tasks")).status_code == 302
    response = client.post(reverse("points_public:task_claim", args=[task.public_id]))
    assert response.status_code == 302 and not TaskClaim.objects.exists()
