"""The notices pages: the list (counts, query budget), publishing, the detail with objections
recorded and answered, closing (refused early, then awarding), withdrawing on the detail, the
public page and PDF for anyone."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from lianxin.core import clock
from lianxin.stars.models import Declaration, Objection, PublicNotice, StarAward
from lianxin.stars.tests import scope_declarations as sd

pytestmark = pytest.mark.django_db
Status = Declaration.Status


def _url(name: str, notice: PublicNotice, **kw: str) -> str:
    return reverse(name, kwargs={"public_id": notice.public_id, **kw})


def test_publish_page(world) -> None:  # noqa: ANN001
    for d in sd.declare(world, ("branch", "ecology")):
        sd.to_approved(world, d)
    client = world.client("org_department")
    url = reverse("stars:notice_publish")
    target = f"{world.street.code}:{sd.year()}"
    page = client.get(url, {"target": target}).content.decode()
    assert "大定街道 · " in page and "待公示 2 项" in page
    missing = client.post(url, {"target": target, "starts_on": clock.today().isoformat()})
    assert missing.status_code == 400 and "受理异议电话" in missing.content.decode()
    done = client.post(
        url, {"target": target, "starts_on": clock.today().isoformat(), "contact": sd.CONTACT}
    )
    notice = PublicNotice.objects.get()
    assert done.status_code == 302 and done["Location"] == _url("stars:notice_detail", notice)
    assert Declaration.objects.filter(status=Status.NOTICE).count() == 2
    # Nothing left to publish.
    assert "没有专班审核通过" in client.get(url).content.decode()


def test_list_counts_and_query_budget(world, django_assert_max_num_queries) -> None:  # noqa: ANN001
    notice = sd.published(world, ("branch", "ecology"))
    sd.objection(world, notice)
    url = reverse("stars:notice_list")
    for persona in ("village_staff", "street_staff", "org_department"):
        client = world.client(persona)
        with django_assert_max_num_queries(12):
            body = client.get(url).content.decode()
        assert notice.title in body and "1 待答复" in body
    assert notice.title not in world.client("other_village_staff").get(url).content.decode()


def test_detail_objection_answer_close(world) -> None:  # noqa: ANN001
    notice = sd.published(world, ("branch", "ecology"))
    branch = Declaration.objects.get(notice=notice, star__code="branch")
    street = world.client("street_staff")
    page = street.get(_url("stars:notice_detail", notice)).content.decode()
    assert "登记异议" in page and "结束公示" not in page  # the township does not close
    village = world.client("village_staff").get(_url("stars:notice_detail", notice)).content
    assert "登记异议" not in village.decode()

    act = _url("stars:notice_act", notice, action="object")
    data = {
        "object-declaration": str(branch.public_id),
        "object-channel": "visit",
        "object-received_on": clock.today().isoformat(),
        "object-content": "",
    }
    refused = street.post(act, data)
    assert refused.status_code == 400 and "必填项" in refused.content.decode()
    assert street.post(act, {**data, "object-content": "记录不全"}).status_code == 302
    objection = Objection.objects.get()

    org = world.client("org_department")
    close = _url("stars:notice_act", notice, action="close")
    early = org.post(close, {"close-version": notice.version})
    assert early.status_code == 400 and "期满后才能结束公示" in early.content.decode()

    answer = reverse("stars:objection_answer", kwargs={"public_id": objection.public_id})
    assert org.post(answer, {f"a{objection.pk}-upheld": "no"}).status_code == 400
    ok = org.post(answer, {f"a{objection.pk}-upheld": "yes", f"a{objection.pk}-answer": "属实"})
    assert ok.status_code == 302
    again = org.post(answer, {f"a{objection.pk}-upheld": "no", f"a{objection.pk}-answer": "x"})
    assert again.status_code == 400 and "已答复" in again.content.decode()

    with clock.travel(sd.after(notice)):
        done = org.post(close, {"close-version": notice.version})
    assert done.status_code == 302
    assert list(StarAward.objects.values_list("star_code", flat=True)) == ["ecology"]
    branch.refresh_from_db()
    assert branch.status == Status.REJECTED
    body = org.get(_url("stars:notice_detail", notice)).content.decode()
    assert "公示结束" in body and "异议成立" in body

    # Withdraw the awarded star from its detail page.
    ecology = Declaration.objects.get(notice=notice, star__code="ecology")
    detail = reverse("stars:declaration_detail", kwargs={"public_id": ecology.public_id})
    assert "撤星" in org.get(detail).content.decode()
    withdraw = reverse(
        "stars:declaration_act", kwargs={"public_id": ecology.public_id, "action": "withdraw"}
    )
    blank = org.post(withdraw, {"withdraw-version": ecology.version, "withdraw-reason": ""})
    assert blank.status_code == 400
    assert (
        org.post(
            withdraw, {"withdraw-version": ecology.version, "withdraw-reason": "复查不达标"}
        ).status_code
        == 302
    )
    assert StarAward.objects.get().withdraw_reason == "复查不达标"


def test_public_page_and_pdf_for_anyone(world) -> None:  # noqa: ANN001
    notice = sd.published(world, ("branch",), progress=True)
    anyone = Client()
    page = anyone.get(_url("stars_public:notice_public", notice))
    body = page.content.decode()
    assert page.status_code == 200
    for text in (notice.title, "迎秀社区", "支部过硬星", "进步星", sd.CONTACT, "来电、来信、来访"):
        assert text in body, text
    assert "village_staff" not in body and "street_staff" not in body
    pdf = anyone.get(_url("stars_public:notice_public_pdf", notice))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    staff_pdf = world.client("village_staff").get(_url("stars:notice_pdf", notice))
    assert staff_pdf.content.startswith(b"%PDF")
    assert anyone.get("/s/notice/not-a-uuid/").status_code == 404
