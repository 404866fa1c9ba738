"""The whole path of a village's stars: three declared, one returned with a reason and
submitted again in a new round, the township passes all three, the task force approves,
publishes the township's notice (PDF), an objection is recorded and dismissed, closing early
is refused, closing after the last day awards the three stars."""

from __future__ import annotations

import datetime as dt

import pytest

from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.stars import workflow as wf
from lianxin.stars.models import (
    Declaration,
    DeclarationEntry,
    PublicNotice,
    ReviewStep,
    StandardScore,
    StarAward,
)
from lianxin.stars.notice_pdf import notice_pdf
from lianxin.stars.services import notices, reviews
from lianxin.stars.tests import scope_declarations as sd

pytestmark = pytest.mark.django_db
Status = Declaration.Status


def test_declared_returned_resubmitted_approved_published_awarded(world) -> None:  # noqa: ANN001
    w = world
    branch, sharing, ecology = sd.declare(w, ("branch", "sharing", "ecology"))
    for d in (branch, sharing, ecology):
        sd.submitted(w, d)
    assert {d.status for d in Declaration.objects.all()} == {Status.SUBMITTED}

    # The township returns 共建共享星 with a reason: round 2 starts from round 1's entries.
    sharing.refresh_from_db()
    reviews.township_review(
        actor=w.actor("street_staff"),
        declaration=sharing,
        decision=reviews.RETURN,
        reason="驻区单位共建协议未加盖公章，请补充。",
    )
    sharing.refresh_from_db()
    assert sharing.status == Status.RETURNED and sharing.round == 2
    assert sharing.last_reason == "驻区单位共建协议未加盖公章，请补充。"
    first = {
        e.standard_id: e for e in DeclarationEntry.objects.filter(declaration=sharing, round=1)
    }
    second = {
        e.standard_id: e for e in DeclarationEntry.objects.filter(declaration=sharing, round=2)
    }
    assert first.keys() == second.keys()
    kept = [e for e in second.values() if e.evidence]
    assert kept and all(e.evidence.name == first[e.standard_id].evidence.name for e in kept)

    # Amended (new evidence for the agreements) and submitted again.
    agreements = next(e for e in second.values() if e.standard.code == "agreements")
    from lianxin.stars.services import declarations as decl

    decl.declaration_fill(
        actor=w.actor("village_staff"),
        declaration=sharing,
        entries=[
            decl.EntryInput(
                agreements.standard_id, claim="已补盖公章", evidence=sd.pdf_upload("协议.pdf")
            )
        ],
    )
    sharing.refresh_from_db()
    decl.declaration_submit(actor=w.actor("village_staff"), declaration=sharing)
    redone = DeclarationEntry.objects.get(pk=agreements.pk)
    assert redone.evidence.name != first[agreements.standard_id].evidence.name
    assert redone.evidence_name == "协议.pdf"
    # Round 1 is as the township saw it.
    assert DeclarationEntry.objects.get(pk=first[agreements.standard_id].pk).claim != "已补盖公章"

    for d in (branch, sharing, ecology):
        sd.township_passed(w, d)
        sd.approved(w, d)
    assert set(Declaration.objects.values_list("status", flat=True)) == {Status.APPROVED}
    scores = StandardScore.objects.filter(step__declaration=branch, step__action="passed")
    assert scores.count() == len(reviews.review_standards(branch))

    today = clock.today()
    notice = notices.notice_publish(
        actor=w.actor("org_department"), township=w.street, year=sd.year(), contact=sd.CONTACT
    )
    assert notice.title == f"大定街道{sd.year()}年度“五星”支部创建拟认定名单公示"
    assert notice.starts_on == today + dt.timedelta(days=1)
    assert notice.ends_on == notice.starts_on + dt.timedelta(days=4)  # 5 days by default
    assert set(Declaration.objects.values_list("status", flat=True)) == {Status.NOTICE}
    assert notice_pdf(notice).startswith(b"%PDF")

    objection = sd.objection(w, notice)
    notices.objection_answer(
        actor=w.actor("street_staff"),
        objection=objection,
        answer="经核查，会议记录齐全，异议不成立。",
        upheld=False,
    )

    with pytest.raises(DomainError, match="期满后才能结束公示"):
        notices.notice_close(actor=w.actor("org_department"), notice=notice)

    with clock.travel(sd.after(notice)):
        result = notices.notice_close(actor=w.actor("org_department"), notice=notice)
    assert result.closed and not result.blocking and len(result.awarded) == 3
    notice.refresh_from_db()
    assert notice.status == PublicNotice.Status.CLOSED
    awards = StarAward.objects.filter(unit=w.village, year=sd.year())
    assert sorted(awards.values_list("star_code", flat=True)) == ["branch", "ecology", "sharing"]
    assert all(a.awarded_on == notice.ends_on + dt.timedelta(days=1) for a in awards)
    assert set(Declaration.objects.values_list("status", flat=True)) == {Status.AWARDED}

    # Every move left a step with who and when; sharing's history spans both rounds.
    actions = list(
        ReviewStep.objects.filter(declaration=sharing)
        .order_by("at", "id")
        .values_list("round", "action")
    )
    assert actions == [
        (1, "submitted"),
        (1, "returned"),
        (2, "submitted"),
        (2, "passed"),
        (2, "approved"),
        (2, "published"),
        (2, "awarded"),
    ]
    assert all(s.actor_label for s in ReviewStep.objects.all())
    assert wf.level_of(awards.count()) == 3
