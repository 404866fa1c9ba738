"""Inspection pages: recording a check with problem rows and the notice, refusals that keep
the input, the village's report with a file, the inspector's verdict, the notice list with
its overdue filter and township counts, the PDF and the exports; and the /api/worklists
endpoints."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from lianxin.core import clock
from lianxin.worklists.models import Inspection, Rectification
from lianxin.worklists.services import inspections as svc
from lianxin.worklists.tests import scope_inspections as f
from lianxin.worklists.tests import scope_keywork as kf

pytestmark = pytest.mark.django_db
DAY = timezone.make_aware(dt.datetime(2026, 3, 20, 10, 0))
LATER = timezone.make_aware(dt.datetime(2026, 4, 25, 10, 0))


def _form(world, **extra) -> dict[str, str]:  # noqa: ANN001
    data = {
        "unit": world.village.code,
        "quarter": "2026Q1",
        "inspected_on": "2026-03-20",
        "manual_complete": "no",
        "summary": "查阅三会一课记录和联户走访台账",
        "p1-cat": "meetings",
        "p1-desc": "缺少3月支委会记录",
        "p2-cat": "linkage",
        "p2-desc": "联户走访台账不全",
        "notice": "on",
        "requirements": "4月15日前补齐",
        "deadline": "2026-04-15",
    }
    data.update(extra)
    return data


def test_record_a_check_with_its_notice(world) -> None:  # noqa: ANN001
    client = world.client("street_staff")
    url = reverse("worklists:inspection_create")
    with clock.travel(DAY):
        page = client.get(url)
        assert page.status_code == 200 and "大定街道 · 迎秀社区" in page.content.decode()
        assert "西关社区" not in page.content.decode()
        done = client.post(url, _form(world))
    inspection = Inspection.objects.get()
    assert done.status_code == 302
    assert done["Location"] == reverse("worklists:inspection_detail", args=[inspection.public_id])
    assert inspection.problems.count() == 2
    rect = Rectification.objects.get()
    assert rect.number == "大定整改〔2026〕1号" and rect.deadline == dt.date(2026, 4, 15)
    detail = client.get(done["Location"]).content.decode()
    assert "缺少3月支委会记录" in detail and "大定整改〔2026〕1号" in detail
    assert "打印整改通知单" in detail and "核验" not in detail.split("整改记录")[1][:50]


def test_refusals_keep_what_was_typed(world) -> None:  # noqa: ANN001
    client = world.client("street_staff")
    url = reverse("worklists:inspection_create")
    with clock.travel(DAY):
        bad_row = client.post(url, _form(world, **{"p2-cat": ""}))
        html = bad_row.content.decode()
        assert bad_row.status_code == 400
        assert "第2条问题请选择类别" in html and "联户走访台账不全" in html
        no_deadline = client.post(url, _form(world, deadline=""))
        assert no_deadline.status_code == 400 and "请填写整改期限" in no_deadline.content.decode()
        client.post(url, _form(world, notice=""))
        again = client.post(url, _form(world, summary="第二次登记"))
    html = again.content.decode()
    assert again.status_code == 400
    assert "迎秀社区2026年第1季度的手册检查已经登记" in html and "第二次登记" in html
    assert Inspection.objects.count() == 1 and not Rectification.objects.exists()
    outsider = world.client("other_street_staff").post(url, _form(world))
    assert outsider.status_code == 400 and Inspection.objects.count() == 1
    village = world.client("village_staff").get(url).content.decode()
    assert "需要乡镇（街道）或县级的检查权限" in village


def test_report_reopen_report_verify_on_the_pages(world) -> None:  # noqa: ANN001
    rect = None
    with clock.travel(DAY):
        rect = f.notice(world)
        detail = reverse("worklists:inspection_detail", args=[rect.inspection.public_id])
        village, street = world.client("village_staff"), world.client("street_staff")
        assert "报告整改情况" in village.get(detail).content.decode()
        assert "报告整改情况" not in street.get(detail).content.decode()
        report = reverse("worklists:rectification_report", args=[rect.public_id])
        empty = village.post(report, {"note": "", "version": 1})
        assert empty.status_code == 400
        bad = village.post(
            report,
            {
                "note": "见附件",
                "version": 1,
                "evidence": SimpleUploadedFile("x.txt", b"hello"),
            },
        )
        assert bad.status_code == 400 and "不是有效的图片或PDF" in bad.content.decode()
        assert "见附件" in bad.content.decode()
        ok = village.post(report, {"note": "补齐了记录", "version": 1, "evidence": f.photo()})
        assert ok.status_code == 302
        page = street.get(detail).content.decode()
        assert "核验通过，销号" in page and "佐证照片" in page
        review = reverse("worklists:rectification_review", args=[rect.public_id])
        no_reason = street.post(review, {"action": "reopen", "note": "", "version": 2})
        assert no_reason.status_code == 400 and "请填写退回原因" in no_reason.content.decode()
        assert (
            street.post(review, {"action": "reopen", "note": "缺3户", "version": 2}).status_code
            == 302
        )
        stale = street.post(review, {"action": "verify", "version": 2})
        assert stale.status_code == 400 and "重新整改" in stale.content.decode()
        village.post(report, {"note": "补走访3户", "version": 3, "evidence": f.pdf_file()})
        old = village.post(report, {"note": "重复提交", "version": 3})
        assert old.status_code == 400  # now awaiting verification
        assert street.post(review, {"action": "verify", "version": 4}).status_code == 302
        page = village.get(detail).content.decode()
    assert "整改已核验销号" in page and "佐证材料（PDF）" in page
    rect.refresh_from_db()
    assert rect.status == "verified"
    event = rect.events.filter(action="reported").exclude(evidence="").order_by("id").last()
    name = event.evidence.name.rsplit("/", 1)[-1]
    url = reverse("worklists:rectification_evidence", args=[rect.public_id, name])
    got = world.client("street_staff").get(url)
    assert got.status_code == 200 and got["Content-Type"] == "application/pdf"
    assert world.client("other_street_staff").get(url).status_code == 404
    assert world.client("village_staff").get(url.replace(name, "nope.pdf")).status_code == 404


def test_lists_and_overdue(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    with clock.travel(DAY):
        f.notice(world)
        f.notice(world, quarter="2025Q4", deadline=dt.date(2026, 6, 1))
        f.inspection(
            world, unit=world.other_village, persona="org_department", problems=(), notice=False
        )
    client = world.client("org_department")
    with clock.travel(LATER):
        with django_assert_max_num_queries(14):
            page = client.get(reverse("worklists:inspection_list"), {"quarter": "2026Q1"})
        html = page.content.decode()
        assert page.status_code == 200 and "迎秀社区" in html and "西关社区" in html
        assert "2 / 2" in html and "逾期" in html
        rects = reverse("worklists:rectification_list")
        with django_assert_max_num_queries(14):
            overdue = client.get(rects, {"overdue": "1"})
        ohtml = overdue.content.decode()
        assert "大定整改〔2026〕1号" in ohtml and "大定整改〔2026〕2号" not in ohtml
        assert "大定街道" in ohtml  # the per-township counts
        street = world.client("other_street_staff").get(rects, {"overdue": "1"}).content.decode()
        assert "没有逾期未销号的整改通知" in street
        township = client.get(rects, {"township": world.street.code}).content.decode()
        assert "大定整改〔2026〕2号" in township


def test_pdf_and_exports(world) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    with clock.travel(DAY):
        rect = f.notice(world)
    client = world.client("street_staff")
    pdf = client.get(reverse("worklists:rectification_pdf", args=[rect.public_id]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    assert "attachment" not in pdf["Content-Disposition"]
    with clock.travel(LATER):
        xlsx = client.get(reverse("worklists:rectification_export"), {"overdue": "1"})
        rows = list(load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active.values)
    assert rows[1][0] == "大定整改〔2026〕1号" and rows[1][7] == "逾期"
    ins = client.get(reverse("worklists:inspection_export"), {"quarter": "2026Q1"})
    rows = list(load_workbook(io.BytesIO(b"".join(ins.streaming_content))).active.values)
    assert rows[1][:3] == ("2026Q1", "大定街道", "迎秀社区") and rows[1][6] == 2


# --- API -------------------------------------------------------------------------------------


def _api(world, persona: str) -> tuple[Client, dict[str, str]]:  # noqa: ANN001
    from lianxin.accounts.services import api_token_issue

    raw = api_token_issue(user=world.users[persona], name="test", created_by=None)
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_api_keywork(world) -> None:  # noqa: ANN001
    march = timezone.make_aware(dt.datetime(2026, 3, 10, 9, 0))
    with clock.travel(march):
        kf.add(world, "加装路灯")
        kf.add(
            world,
            "西关事项",
            persona="other_village_staff",
            owner=kf.svc.KeyList(unit=world.other_village),
        )
    client, auth = _api(world, "street_staff")
    url = reverse("api:worklists_keywork_list")
    body = client.get(url, {"month": "2026-03"}, **auth).json()
    assert [i["title"] for i in body["items"]] == ["加装路灯"]
    item = body["items"][0]
    assert (item["list_name"], item["slot"], item["status"]) == ("迎秀社区", 1, "open")
    county, cauth = _api(world, "org_department")
    both = county.get(url, {"month": "2026-03"}, **cauth).json()
    assert {i["title"] for i in both["items"]} == {"加装路灯", "西关事项"}
    one = county.get(url, {"month": "2026-03", "unit": world.other_street.code}, **cauth).json()
    assert [i["title"] for i in one["items"]] == ["西关事项"]
    assert county.get(url, {"month": "2026-04"}, **cauth).json()["items"] == []
    bad = county.get(url, {"month": "三月"}, **cauth)
    assert bad.status_code == 400 and "月份格式" in bad.json()["detail"]


def test_api_rectifications(world) -> None:  # noqa: ANN001
    with clock.travel(DAY):
        f.notice(world)
        f.notice(world, quarter="2025Q4", deadline=dt.date(2026, 6, 1))
    client, auth = _api(world, "village_staff")
    url = reverse("api:worklists_rectification_list")
    with clock.travel(LATER):
        body = client.get(url, {"overdue": "1"}, **auth).json()
        assert [r["number"] for r in body["items"]] == ["大定整改〔2026〕1号"]
        assert (
            body["items"][0]["overdue"] is True and body["items"][0]["township_name"] == "大定街道"
        )
        all_open = client.get(url, {"status": "open"}, **auth).json()
        assert body["count"] == 1 and all_open["count"] == 2
    other, oauth = _api(world, "other_village_staff")
    assert other.get(url, **oauth).json()["items"] == []
    assert svc.quarter_label("2026Q1") == "2026年第1季度"
