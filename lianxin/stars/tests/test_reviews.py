"""The township's first review and the task force's review: judgements of every standard
(scores within the maximum, named when refused), pass or return with a reason, refusals out
of order and out of scope, the compare-and-set against a stale version, append-only steps."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.stars import workflow as wf
from lianxin.stars.models import Declaration, DeclarationEntry, ReviewStep, StandardScore
from lianxin.stars.services import reviews
from lianxin.stars.tests import scope_declarations as sd

pytestmark = pytest.mark.django_db
Status = Declaration.Status


@pytest.fixture
def submitted(world):  # noqa: ANN001, ANN201
    return sd.submitted(world, sd.declare(world)[0])


def _std(d: Declaration, code: str):  # noqa: ANN202
    return next(s for s in reviews.review_standards(d) if s.code == code)


def test_township_scores_every_standard_and_passes(world, submitted) -> None:  # noqa: ANN001
    d = submitted
    scores = sd.passing_scores(d)
    d = reviews.township_review(
        actor=world.actor("street_staff"),
        declaration=d,
        decision=reviews.PASS,
        scores=scores,
        reason="材料齐全",
    )
    assert d.status == Status.TOWNSHIP_PASSED and d.version == 3
    step = ReviewStep.objects.get(declaration=d, action="passed")
    assert step.stage == wf.STAGE_TOWNSHIP and step.total_score == Decimal("30.00")
    assert step.reason == "材料齐全" and "street_staff" in step.actor_label
    rows = {s.standard.code: s for s in StandardScore.objects.filter(step=step)}
    assert set(rows) == {"team", "records", "meetings", "members"}
    assert rows["team"].score == Decimal("30.00") and rows["team"].passed
    # The live figure at review time is kept next to the judgement.
    assert rows["meetings"].figure_value == Decimal(0)
    with pytest.raises(RuntimeError):
        step.save()
    with pytest.raises(RuntimeError):
        rows["team"].delete()


def test_review_score_above_the_maximum_names_the_standard(world, submitted) -> None:  # noqa: ANN001
    d = submitted
    team = _std(d, "team")
    with pytest.raises(DomainError) as exc:
        reviews.township_review(
            actor=world.actor("street_staff"),
            declaration=d,
            decision=reviews.PASS,
            scores=[reviews.ScoreInput(team.pk, score="35")],
        )
    assert exc.value.message == "“班子建设与组织生活”的评分不能超过满分30分"
    assert exc.value.field == f"s{team.pk}-score"
    d.refresh_from_db()
    assert d.status == Status.SUBMITTED


def test_passing_needs_every_standard_judged_and_met(world, submitted) -> None:  # noqa: ANN001
    d = submitted
    actor = world.actor("street_staff")
    with pytest.raises(DomainError, match="请逐项评审：") as missing:
        reviews.township_review(actor=actor, declaration=d, decision=reviews.PASS, scores=[])
    assert missing.value.field == f"s{_std(d, 'team').pk}-score"
    low = [
        reviews.ScoreInput(s.standard_id, score="20") if s.standard_id == _std(d, "team").pk else s
        for s in sd.passing_scores(d)
    ]
    with pytest.raises(DomainError, match="未达标：班子建设与组织生活"):
        reviews.township_review(actor=actor, declaration=d, decision=reviews.PASS, scores=low)
    # The same judgement may return it, with a reason only.
    with pytest.raises(DomainError, match="请填写退回原因") as no_reason:
        reviews.township_review(actor=actor, declaration=d, decision=reviews.RETURN, scores=low)
    assert no_reason.value.field == "reason"
    d = reviews.township_review(
        actor=actor, declaration=d, decision=reviews.RETURN, scores=low, reason="班子建设得分不足"
    )
    assert d.status == Status.RETURNED and d.round == 2
    step = ReviewStep.objects.get(declaration=d, action="returned")
    assert step.round == 1 and step.total_score == Decimal("20.00")
    assert StandardScore.objects.filter(step=step).count() == 4
    assert DeclarationEntry.objects.filter(declaration=d, round=2).count() == 4


def test_out_of_order_reviews_are_refused_with_the_reason(world, submitted) -> None:  # noqa: ANN001
    d = submitted
    with pytest.raises(DomainError, match="须先经乡镇（街道）初审通过"):
        reviews.county_review(actor=world.actor("org_department"), declaration=d, decision="pass")
    d = sd.township_passed(world, d)
    with pytest.raises(DomainError, match="乡镇（街道）初审已通过，待专班审核"):
        sd.township_passed(world, d)
    with pytest.raises(DomainError, match="不能进行乡镇初审"):
        reviews.township_review(
            actor=world.actor("street_staff"), declaration=d, decision="return", reason="再看看"
        )
    d = sd.approved(world, d)
    with pytest.raises(DomainError, match="“待公示”，不能进行专班审核"):
        sd.approved(world, d)
    with pytest.raises(DomainError, match="请选择通过或退回"):
        reviews.county_review(actor=world.actor("org_department"), declaration=d, decision="maybe")


def test_out_of_scope_reviewers_are_refused(world, submitted) -> None:  # noqa: ANN001
    d = submitted
    for persona in ("other_street_staff", "village_staff", "org_department"):
        with pytest.raises(PermissionDenied, match="乡镇初审范围"):
            reviews.township_review(
                actor=world.actor(persona), declaration=d, decision="return", reason="x"
            )
    d = sd.township_passed(world, d)
    for persona in ("street_staff", "village_staff"):
        with pytest.raises(PermissionDenied, match="专班审核范围"):
            reviews.county_review(actor=world.actor(persona), declaration=d, decision="pass")


def test_county_return_opens_a_new_round(world, submitted) -> None:  # noqa: ANN001
    d = sd.township_passed(world, submitted)
    d = reviews.county_review(
        actor=world.actor("org_department"),
        declaration=d,
        decision=reviews.RETURN,
        reason="组织生活记录需补充第四季度",
    )
    assert d.status == Status.RETURNED and d.round == 2 and d.last_reason.startswith("组织生活")
    d = sd.submitted(world, d)
    assert d.status == Status.SUBMITTED and d.round == 2
    steps = list(ReviewStep.objects.filter(declaration=d).values_list("stage", "action", "round"))
    assert steps[-2:] == [("county", "returned", 1), ("village", "submitted", 2)]


def test_concurrent_reviews_second_is_a_conflict(world, submitted) -> None:  # noqa: ANN001
    """Two township reviewers open the same page (version v); the first to act wins."""
    first = Declaration.objects.get(pk=submitted.pk)
    second = Declaration.objects.get(pk=submitted.pk)
    version = first.version
    reviews.township_review(
        actor=world.actor("street_staff"),
        declaration=first,
        decision=reviews.PASS,
        scores=sd.passing_scores(first),
        expected_version=version,
    )
    with pytest.raises(Conflict, match="刚刚有变化"):
        reviews.township_review(
            actor=world.actor("street_staff"),
            declaration=second,
            decision=reviews.RETURN,
            reason="材料不全",
            expected_version=version,
        )
    d = Declaration.objects.get(pk=submitted.pk)
    assert d.status == Status.TOWNSHIP_PASSED and d.round == 1
    assert list(ReviewStep.objects.filter(declaration=d).values_list("action", flat=True)) == [
        "submitted",
        "passed",
    ]
