"""The declarations pages: the list with the queues (filters, a query budget, export), creating
by ticking stars, filling the open round with files (refusals keep what was typed), the review
page (live and frozen figures, refusals named), the detail with its history, evidence files
served in scope only."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from lianxin.stars.models import Declaration, DeclarationEntry
from lianxin.stars.services import reviews
from lianxin.stars.tests import scope_declarations as sd

pytestmark = pytest.mark.django_db
Status = Declaration.Status
LIST = "stars:declaration_list"


def _url(name: str, d: Declaration, **kw: str) -> str:
    return reverse(name, kwargs={"public_id": d.public_id, **kw})


def _entry(d: Declaration, code: str) -> DeclarationEntry:
    return DeclarationEntry.objects.get(declaration=d, round=d.round, standard__code=code)


def test_list_queues_filters_and_query_budget(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    made = sd.declare(world, ("branch", "sharing", "ecology", "safety", "civility"), progress=True)
    for d in made[:3]:
        sd.submitted(world, d)
    sd.township_passed(world, made[0])
    sd.declare(world, ("branch",), unit=world.other_village, by="other_village_staff")
    url = reverse(LIST)

    street = world.client("street_staff")
    with django_assert_max_num_queries(16):
        page = street.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "待乡镇初审（2）" in body and "西关社区" not in body
    org = world.client("org_department")
    with django_assert_max_num_queries(16):
        body = org.get(url).content.decode()
    assert "待专班审核（1）" in body and "西关社区" in body and "迎秀社区" in body
    village = world.client("village_staff")
    with django_assert_max_num_queries(16):
        body = village.get(url).content.decode()
    assert "待填报 / 被退回（3）" in body and "申报星级" in body

    filtered = org.get(url, {"township": world.other_street.code}).content.decode()
    assert "西关社区" in filtered and "迎秀社区</a>" not in filtered
    only = village.get(url, {"status": Status.SUBMITTED, "star": "sharing"}).content.decode()
    assert only.count("declarations/") >= 1 and "共建共享星" in only
    progress = village.get(url, {"star": "progress", "year": str(sd.year())}).content.decode()
    assert "进步星" in progress
    assert "没有符合条件" in village.get(url, {"year": "2001"}).content.decode()


def test_export_is_the_scoped_list(world) -> None:  # noqa: ANN001
    from openpyxl import load_workbook

    sd.declare(world, ("branch",))
    sd.declare(world, ("branch",), unit=world.other_village, by="other_village_staff")
    response = world.client("street_staff").get(reverse("stars:declaration_export"))
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("年度", "乡镇（街道）", "村（社区）", "申报")
    assert [r[2] for r in rows[1:]] == ["迎秀社区"]


def test_create_by_ticking_stars(world) -> None:  # noqa: ANN001
    client = world.client("village_staff")
    url = reverse("stars:declaration_create")
    form = client.get(url).content.decode()
    assert "共建共享星" in form and "产业兴旺星" not in form
    empty = client.post(url, {"unit": world.village.code, "year": sd.year()})
    assert empty.status_code == 400 and "请勾选要申报的星" in empty.content.decode()
    made = client.post(
        url,
        {"unit": world.village.code, "year": sd.year(), "stars": ["branch", "ecology"]},
    )
    assert made.status_code == 302
    assert Declaration.objects.filter(unit=world.village, status=Status.DRAFT).count() == 2
    again = client.post(url, {"unit": world.village.code, "year": sd.year(), "stars": ["branch"]})
    assert again.status_code == 400 and "已申报：支部过硬星" in again.content.decode()
    one = client.post(url, {"unit": world.village.code, "year": sd.year(), "progress": "on"})
    d = Declaration.objects.get(kind="progress")
    assert one["Location"] == _url("stars:declaration_edit", d)


def test_edit_save_then_submit_with_refusals(world) -> None:  # noqa: ANN001
    d = sd.declare(world)[0]
    client = world.client("village_staff")
    url = _url("stars:declaration_edit", d)
    page = client.get(url).content.decode()
    assert "平台数据" in page and "协商议事统计（consultation）" in page
    team, records = _entry(d, "team"), _entry(d, "records")
    base = {"version": d.version, "statement": "全面对标"}
    over = client.post(
        url, {**base, f"e{team.standard_id}-self_score": "40", f"e{team.standard_id}-claim": "好"}
    )
    body = over.content.decode()
    assert over.status_code == 400 and "“班子建设与组织生活”的自评分不能超过满分30分" in body
    assert "好</textarea>" in body  # what was typed stays
    saved = client.post(url, {**base, f"e{team.standard_id}-self_score": "26"})
    assert saved.status_code == 302
    assert _entry(d, "team").self_score == 26
    missing = client.post(url, {**base, f"e{team.standard_id}-self_score": "26", "submit": "1"})
    assert missing.status_code == 400
    assert "缺少佐证材料：“三会一课”与主题党日记录完整" in missing.content.decode()
    done = client.post(
        url,
        {
            **base,
            f"e{team.standard_id}-self_score": "26",
            f"e{records.standard_id}-evidence": sd.pdf_upload("全年记录.pdf"),
            "submit": "1",
        },
    )
    assert done.status_code == 302
    d.refresh_from_db()
    assert d.status == Status.SUBMITTED and d.statement == "全面对标"
    # Submitted: the edit page sends back to the detail with the reason.
    assert client.get(url)["Location"] == _url("stars:declaration_detail", d)


def test_review_page_shows_figures_and_names_refusals(world) -> None:  # noqa: ANN001
    d = sd.submitted(world, sd.declare(world)[0])
    client = world.client("street_staff")
    url = _url("stars:declaration_review", d, stage="township")
    page = client.get(url).content.decode()
    assert "报送时" in page and "当前" in page and "党群积分统计（points）" in page
    team = _entry(d, "team")
    data = {"version": d.version, "decision": "pass", f"s{team.standard_id}-score": "31"}
    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "“班子建设与组织生活”的评分不能超过满分30分" in refused.content.decode()
    no_reason = client.post(url, {"version": d.version, "decision": "return"})
    assert no_reason.status_code == 400 and "请填写退回原因" in no_reason.content.decode()
    early = world.client("org_department").post(
        _url("stars:declaration_review", d, stage="county"),
        {"version": d.version, "decision": "pass"},
    )
    assert early.status_code == 400 and "须先经乡镇（街道）初审通过" in early.content.decode()
    judged = {"version": d.version, "decision": "pass", "reason": "同意"}
    for s in reviews.review_standards(d):
        if s.kind == "manual":
            judged[f"s{s.pk}-score"] = "28"
        else:
            judged[f"s{s.pk}-passed"] = "yes"
    assert client.post(url, judged).status_code == 302
    d.refresh_from_db()
    assert d.status == Status.TOWNSHIP_PASSED
    # The same page again (a second reviewer, stale version): a conflict, the fresh state.
    stale = client.post(url, judged)
    assert stale.status_code in (400, 409)
    again = client.get(url).content.decode()
    assert "乡镇（街道）初审已通过" in again
    detail = world.client("village_staff").get(_url("stars:declaration_detail", d)).content
    text = detail.decode()
    assert "初审通过" in text and "28.00分" in text and "同意" in text


def test_concurrent_review_on_the_page_is_409(world) -> None:  # noqa: ANN001
    d = sd.submitted(world, sd.declare(world)[0])
    url = _url("stars:declaration_review", d, stage="township")
    stale_version = d.version
    sd.township_passed(world, d)
    d.refresh_from_db()
    # A page opened before the pass, posting a return: the version moved.
    Declaration.objects.filter(pk=d.pk).update(status=Status.SUBMITTED)
    response = world.client("street_staff").post(
        url, {"version": stale_version, "decision": "return", "reason": "补充材料"}
    )
    assert response.status_code == 409 and "刚刚有变化" in response.content.decode()


def test_detail_rounds_and_actions(world) -> None:  # noqa: ANN001
    d = sd.submitted(world, sd.declare(world)[0])
    d = reviews.township_review(
        actor=world.actor("street_staff"), declaration=d, decision="return", reason="补充照片"
    )
    client = world.client("village_staff")
    body = client.get(_url("stars:declaration_detail", d)).content.decode()
    assert "已退回：</strong>补充照片" in body and "第1轮" in body and "填写申报材料" in body
    assert "历次申报材料" in body
    street = world.client("street_staff").get(_url("stars:declaration_detail", d)).content
    assert "填写申报材料" not in street.decode()
    cancel = client.post(
        _url("stars:declaration_act", d, action="cancel"),
        {"cancel-version": d.version, "cancel-reason": "暂不申报"},
    )
    assert cancel.status_code == 302
    d.refresh_from_db()
    assert d.status == Status.CANCELLED
    stale = client.post(
        _url("stars:declaration_act", d, action="cancel"), {"cancel-version": d.version - 1}
    )
    assert stale.status_code in (400, 409)


def test_evidence_served_in_scope_only(world) -> None:  # noqa: ANN001
    d = sd.declare(world)[0]
    sd.fill(world, d)
    e = DeclarationEntry.objects.filter(declaration=d).exclude(evidence="").first()
    url = reverse(
        "stars:declaration_evidence", kwargs={"public_id": d.public_id, "entry_id": e.public_id}
    )
    ok = world.client("street_staff").get(url)
    assert ok.status_code == 200 and ok["Content-Type"] == "application/pdf"
    assert b"".join(ok.streaming_content) == sd.PDF_BYTES
    assert world.client("other_street_staff").get(url).status_code == 404
