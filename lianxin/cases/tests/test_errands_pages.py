"""Errand pages through the Django client: record (with the resident picker), complete, list."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lianxin.cases.models import Case, Errand
from lianxin.cases.tests.factories import errand, photo
from lianxin.cases.workflow import Status
from lianxin.core.testing import make_household
from lianxin.people.tests.factories import ledger_entry, make_resident

pytestmark = pytest.mark.django_db


def test_record_a_done_errand_for_a_ledger_resident(world) -> None:
    resident = make_resident(make_household(world.building), name="刘桂芳", phone="13911112222")
    ledger_entry(world, resident=resident, code="elderly_70")
    client = world.client("grid_worker")
    page = client.get(reverse("cases:errand_new") + f"?resident={resident.public_id}")
    html = page.content.decode()
    assert page.status_code == 200 and "养老金资格认证" in html and "刘桂芳" in html
    response = client.post(
        reverse("cases:errand_new"),
        {
            "service": "高龄补贴申请",
            "mode": "proxy",
            "beneficiary": str(resident.public_id),
            "beneficiary_name": "刘桂芳",
            "unit": "",
            "channel": "visit",
            "description": "老人行动不便",
            "done": "on",
            "result": "",
            "photos": [photo()],
        },
    )
    assert response.status_code == 302
    e = Errand.objects.select_related("case", "ledger_entry__tag").get()
    assert e.ledger_entry is not None and e.ledger_entry.tag.code == "elderly_70"
    assert e.beneficiary == resident
    assert e.case.status == Status.RESOLVED and e.case.unit == world.building
    detail = client.get(response["Location"]).content.decode()
    assert "民生台账 · 高龄老人" in detail and "已代办高龄补贴申请" in detail
    assert "13911112222" not in detail


def test_record_waiting_then_complete_on_the_detail_page(world) -> None:
    client = world.client("grid_worker")
    response = client.post(
        reverse("cases:errand_new"),
        {
            "service": "居住证代办",
            "mode": "proxy",
            "beneficiary_name": "陈先生",
            "unit": str(world.building.public_id),
            "channel": "walk_in",
            "description": "",
            "result": "",
        },
    )
    assert response.status_code == 302
    e = Errand.objects.select_related("case").get()
    assert e.done_at is None and e.case.status == Status.RECEIVED
    url = reverse("cases:errand_detail", kwargs={"public_id": e.case.public_id})
    assert "办结" in client.get(url).content.decode()
    bad = client.post(url, {"version": e.case.version, "result": ""})
    assert bad.status_code == 200 and "result" in bad.context["form"].errors
    done = client.post(url, {"version": e.case.version, "result": "已办好居住证并送达"})
    assert done.status_code == 302
    assert Case.objects.get(pk=e.case_id).status == Status.RESOLVED
    # A non-handler sees the page without the form.
    html = world.client("org_department").get(url).content.decode()
    assert "已办好居住证并送达" in html and 'name="result"' not in html


def test_form_errors_keep_input(world) -> None:
    client = world.client("building_leader")
    response = client.post(
        reverse("cases:errand_new"),
        {
            "service": "医保缴费",
            "mode": "help",
            "beneficiary_name": "王秀英",
            "unit": str(world.building.public_id),
            "channel": "visit",
            "done": "on",
        },
    )
    assert response.status_code == 200
    assert "done" in response.context["form"].errors
    assert "医保缴费" in response.content.decode()
    assert not Case.objects.exists()
    stranger = make_resident(make_household(world.sibling_building), name="周敏")
    response = world.client("grid_worker").post(
        reverse("cases:errand_new"),
        {
            "service": "医保缴费",
            "mode": "help",
            "beneficiary": str(stranger.public_id),
            "beneficiary_name": "周敏",
            "channel": "visit",
        },
    )
    assert response.status_code == 200 and "beneficiary_name" in response.context["form"].errors


def test_beneficiary_picker_fragment(world) -> None:
    resident = make_resident(make_household(world.building), name="刘桂芳")
    ledger_entry(world, resident=resident, code="disabled")
    client = world.client("grid_worker")
    html = client.get(
        reverse("cases:errand_beneficiaries"), {"beneficiary_name": "桂芳"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert str(resident.public_id) in html and "残疾人" in html and "<html" not in html
    html = client.get(reverse("cases:errand_beneficiaries"), {"beneficiary_name": "无此人"})
    assert "未找到在册居民" in html.content.decode()


def test_list_masks_names_for_non_handlers_and_keeps_queries_constant(world) -> None:
    resident = make_resident(make_household(world.building), name="刘桂芳")
    ledger_entry(world, resident=resident, code="elderly_alone")
    errand(world, beneficiary_id=resident.pk)
    html = world.client("grid_worker").get(reverse("cases:errand_list")).content.decode()
    assert "刘桂芳" in html and "独居老人" in html
    html = world.client("org_department").get(reverse("cases:errand_list")).content.decode()
    assert "刘**" in html and "刘桂芳" not in html

    client = world.client("village_staff")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("cases:errand_list")).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(2):
        errand(world, done=False)
    few = count()
    for i in range(27):
        errand(world, done=i % 2 == 0, beneficiary_id=resident.pk)
    assert count() == few
    pending = client.get(reverse("cases:errand_list") + "?state=pending").context["rows"]
    assert all(r["e"].done_at is None for r in pending) and len(pending) == 15
