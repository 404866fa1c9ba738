"""The 四议两公开 pages: the staff list (filters, pages, a query budget), creating a matter,
the detail with the whole chain and its actions, the printable notices, and the residents'
page (only once the resolution is published, never a name)."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess  # noqa: S404
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from lianxin.consultation.models import AgendaItem, Matter
from lianxin.consultation.services import matters
from lianxin.consultation.tests import scope_matters as sm
from lianxin.core import clock

pytestmark = pytest.mark.django_db
Status = Matter.Status
PDFTOTEXT = shutil.which("pdftotext")


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    if PDFTOTEXT is None:
        pytest.fail("pdftotext (poppler-utils) is needed to check the Chinese text of PDFs")
    source = tmp_path / "notice.pdf"
    source.write_bytes(data)
    out = subprocess.run(  # noqa: S603
        [PDFTOTEXT, "-enc", "UTF-8", str(source), "-"], capture_output=True, check=True
    )
    return out.stdout.decode("utf-8")


def _detail_url(matter: Matter) -> str:
    return reverse("consultation:matter_detail", kwargs={"public_id": matter.public_id})


def _act_url(matter: Matter, action: str) -> str:
    return reverse(
        "consultation:matter_act", kwargs={"public_id": matter.public_id, "action": action}
    )


def _public_url(matter: Matter) -> str:
    return reverse("consultation_public:matter_public", kwargs={"public_id": matter.public_id})


def _public_pdf(matter: Matter, kind: str) -> str:
    return reverse(
        "consultation_public:matter_public_pdf",
        kwargs={"public_id": matter.public_id, "kind": kind},
    )


def _anon_get(url: str) -> HttpResponse:
    """A resident's phone: no account, no session."""
    return Client().get(url)


def _names(world) -> list[str]:  # noqa: ANN001
    """Every person's name the test world holds: none may show on a public page."""
    from lianxin.party.models import PartyMember
    from lianxin.people.models import Resident

    names = list(Resident.objects.values_list("name", flat=True))
    names += list(PartyMember.objects.values_list("name", flat=True))
    names += [u.full_name for u in world.users.values()]
    return [n for n in names if n]


def test_list_filters_pages_and_query_budget(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    for i in range(55):
        sm.new_matter(world, title=f"事项{i:02d}")
    sm.new_matter(world, title="修缮村道")
    client = world.client("village_staff")
    url = reverse("consultation:matter_list")
    with django_assert_max_num_queries(10):
        page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "修缮村道" in body and "第 1 / 2 页" in body
    with django_assert_max_num_queries(10):
        second = client.get(url, {"page": 2})
    assert second.status_code == 200 and "事项00" in second.content.decode()
    found = client.get(url, {"q": "村道"}).content.decode()
    assert "修缮村道" in found and "事项01" not in found
    assert "没有符合条件" in client.get(url, {"status": "completed"}).content.decode()
    assert "新建事项" in body
    # Street staff see the list but may not open matters.
    assert "新建事项" not in world.client("street_staff").get(url).content.decode()


def test_create_refuses_bad_input_and_keeps_it(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    url = reverse("consultation:matter_create")
    assert client.get(url).status_code == 200
    bad = client.post(
        url,
        {"unit": world.village.code, "title": "", "description": "厂房出租方案", "amount": "-1"},
    )
    body = bad.content.decode()
    assert bad.status_code == 400
    assert "厂房出租方案" in body and "has-error" in body
    assert not Matter.objects.exists()
    ok = client.post(
        url,
        {"unit": world.village.code, "title": "厂房出租", "description": "厂房出租方案"},
    )
    matter = Matter.objects.get()
    assert ok.status_code == 302 and ok["Location"] == _detail_url(matter)
    assert matter.amount is None and matter.unit == world.village
    # A frontline worker cannot open the form at all.
    assert world.client("grid_worker").get(url).status_code == 404


def test_schedule_from_the_page_offers_only_meetings_of_the_right_type(world) -> None:  # noqa: ANN001
    sm.electors(world.village)
    matter = sm.new_matter(world)
    client = world.client("village_staff")
    page = client.get(_detail_url(matter)).content.decode()
    assert "目前没有尚未结束的这类会议" in page and "党支部委员会会议" in page
    right = sm.step_meeting(world, "branch_committee")
    wrong = sm.step_meeting(world, "party_congress")
    page = client.get(_detail_url(matter)).content.decode()
    assert str(right.public_id) in page and str(wrong.public_id) not in page
    # A meeting that is not offered is refused next to the field; nothing changes.
    refused = client.post(
        _act_url(matter, "schedule"),
        {"schedule-version": matter.version, "schedule-meeting": str(wrong.public_id)},
    )
    assert refused.status_code == 400 and "has-error" in refused.content.decode()
    assert not AgendaItem.objects.filter(matter=matter).exists()
    # A stale page: someone else acted first.
    stale = client.post(
        _act_url(matter, "schedule"),
        {"schedule-version": matter.version + 5, "schedule-meeting": str(right.public_id)},
    )
    assert stale.status_code == 409 and "刚刚有变化" in stale.content.decode()
    done = client.post(
        _act_url(matter, "schedule"),
        {"schedule-version": matter.version, "schedule-meeting": str(right.public_id)},
    )
    assert done.status_code == 302
    item = AgendaItem.objects.get(matter=matter)
    assert (item.meeting_id, item.matter_step) == (right.pk, 1)
    page = client.get(_detail_url(matter)).content.decode()
    assert "已列入会议议程" in page and "列入会议议程" in page
    # Street staff see the chain but cannot act (and the action answers 404).
    street = world.client("street_staff")
    assert "办理需“四议两公开”权限" in street.get(_detail_url(matter)).content.decode()
    assert street.post(_act_url(matter, "withdraw"), {}).status_code == 404


def test_detail_shows_the_whole_chain_and_both_notices(
    world, django_assert_max_num_queries, tmp_path: Path
) -> None:  # noqa: ANN001
    matter = sm.announced_matter(world)
    client = world.client("village_staff")
    with django_assert_max_num_queries(11):
        page = client.get(_detail_url(matter))
    body = page.content.decode()
    for text in (
        "党支部委员会会议",
        "“两委”会议",
        "党员大会",
        "居民代表会议",
        "到会 3/3 人",  # the branch committee
        "到会 5/5 人",  # the party congress and the representatives
        "支持率 <b>100.00%</b>",
        "公开招租，租金每年12万元",
        "公示中",
        "打印决议公开（PDF）",
        "本步通过",
    ):
        assert text in body, text
    assert "实施结果公开" in body and "后公开实施结果" in body
    pdf_url = reverse(
        "consultation:matter_notice_pdf",
        kwargs={"public_id": matter.public_id, "kind": "resolution"},
    )
    response = client.get(pdf_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = _pdf_text(response.content, tmp_path)
    for expected in (
        "迎秀社区“四议两公开”决议公开",
        "村集体厂房出租",
        "党支部提议",
        "党员大会审议",
        "5/5",
        "100.00%",
        "同意出租",
        "公示期",
        "迎秀居民委员会",
    ):
        assert expected in text, expected
    result_url = reverse(
        "consultation:matter_notice_pdf", kwargs={"public_id": matter.public_id, "kind": "result"}
    )
    assert client.get(result_url).status_code == 404


def test_result_from_the_page_waits_for_the_notice_period(world, tmp_path: Path) -> None:  # noqa: ANN001
    matter = sm.announced_matter(world)
    client = world.client("village_staff")
    early = client.post(
        _act_url(matter, "result"),
        {"result-version": matter.version, "result-text": "已签约，租金已入账"},
    )
    body = early.content.decode()
    assert early.status_code == 400 and "期满后才能公开实施结果" in body
    assert "已签约，租金已入账" in body  # what was typed is kept
    with clock.travel(clock.now() + dt.timedelta(days=6)):
        done = client.post(
            _act_url(matter, "result"),
            {"result-version": matter.version, "result-text": "已签约，租金已入账"},
        )
    assert done.status_code == 302
    matter.refresh_from_db()
    assert matter.status == Status.COMPLETED
    public = _anon_get(_public_pdf(matter, "result"))
    assert public.status_code == 200
    text = _pdf_text(public.content, tmp_path)
    assert "实施结果公开" in text and "已签约，租金已入账" in text


def test_public_page_only_once_published_and_without_names(world) -> None:  # noqa: ANN001
    sm.electors(world.village)
    matter = sm.resolved_matter(world)
    assert _anon_get(_public_url(matter)).status_code == 404
    assert _anon_get(_public_pdf(matter, "resolution")).status_code == 404
    matter = matters.matter_resolution_publish(
        actor=world.actor("village_staff"), matter=matter, text="同意出租，公开招租。"
    )
    page = _anon_get(_public_url(matter))
    body = page.content.decode()
    assert page.status_code == 200
    for text in ("村集体厂房出租", "党员大会", "居民代表会议", "100.00%", "同意出租，公开招租。"):
        assert text in body, text
    assert _public_pdf(matter, "resolution") in body
    assert _public_pdf(matter, "result") not in body
    for name in _names(world):
        assert name not in body, name
    assert "actor_label" not in body and "village_staff" not in body
    assert _anon_get(_public_pdf(matter, "resolution")).status_code == 200
    assert _anon_get(_public_pdf(matter, "result")).status_code == 404
    assert _anon_get(_public_pdf(matter, "other")).status_code == 404
    # A withdrawn matter never shows.
    gone = sm.new_matter(world, title="撤销的事项")
    matters.matter_withdraw(actor=world.actor("village_staff"), matter=gone, reason="不再实施")
    assert _anon_get(_public_url(gone)).status_code == 404
