"""The two reviews of a submitted declaration (乡镇初审, 专班审核).

- Township first review (`stars.review_township` at the village's township): a judgement of
  every standard — a score from 0 to the maximum for `manual` standards (passing at the pass
  score), pass/fail for `evidence` and `figure` standards (the page shows the live figure and
  the one frozen at submission) — then pass (→ township_passed) or return with a reason
  (→ returned). Passing needs every standard judged and every required one met.
- County task force review (`stars.review_county`): approve (→ approved, ready for the public
  notice) or return with a reason (→ returned); judgements of standards are optional here.

Each review appends one ReviewStep (with its StandardScore rows and the total of the scores)
through the same compare-and-set as every other move. A return opens the declaration's next
round, whose entries start as a copy of the returned one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction

from lianxin.accounts.actor import Actor
from lianxin.core.errors import DomainError, clean_text
from lianxin.stars import workflow as wf
from lianxin.stars.indicators import evaluate
from lianxin.stars.models import Declaration, DeclarationEntry, Standard, StandardScore
from lianxin.stars.services.declarations import (
    Action,
    Status,
    move,
    number,
    open_next_round,
    refusal,
    require,
)

PASS = "pass"  # noqa: S105 (a decision, not a password)
RETURN = "return"
DECISIONS = {PASS: "通过", RETURN: "退回"}
REASON_MAX = 500
COMMENT_MAX = 300


@dataclass(frozen=True)
class StageSpec:
    stage: str
    perm: str
    pass_move: str
    return_move: str
    pass_status: str
    pass_action: str
    label: str
    # Passing needs a judgement of every standard (the township's first review does).
    judge_all: bool


STAGES: dict[str, StageSpec] = {
    wf.STAGE_TOWNSHIP: StageSpec(
        wf.STAGE_TOWNSHIP,
        wf.REVIEW_TOWNSHIP,
        "township_pass",
        "township_return",
        Status.TOWNSHIP_PASSED,
        Action.PASSED,
        "乡镇初审",
        True,
    ),
    wf.STAGE_COUNTY: StageSpec(
        wf.STAGE_COUNTY,
        wf.REVIEW_COUNTY,
        "county_approve",
        "county_return",
        Status.APPROVED,
        Action.APPROVED,
        "专班审核",
        False,
    ),
}


def score_field(standard_id: int, name: str) -> str:
    """The review form's field of one standard's judgement (`s12-score`, `s12-passed`)."""
    return f"s{standard_id}-{name}"


@dataclass(frozen=True)
class ScoreInput:
    """A reviewer's judgement of one standard: `score` for manual standards, `passed` for the
    others (None: not judged), and a comment."""

    standard_id: int
    score: Decimal | str | None = None
    passed: bool | None = None
    comment: str = ""


@dataclass(frozen=True)
class Judgement:
    standard: Standard
    score: Decimal | None
    passed: bool
    figure_value: Decimal | None
    comment: str


def stage_of(declaration: Declaration) -> str | None:
    """The review the declaration waits for, if any."""
    if declaration.status == Status.SUBMITTED:
        return wf.STAGE_TOWNSHIP
    if declaration.status == Status.TOWNSHIP_PASSED:
        return wf.STAGE_COUNTY
    return None


def review_standards(declaration: Declaration) -> list[Standard]:
    """The standards of the round under review (those the village filled)."""
    return [
        e.standard
        for e in DeclarationEntry.objects.filter(
            declaration=declaration, round=declaration.round, standard__isnull=False
        )
        .select_related("standard")
        .order_by("standard__sort_order", "standard_id")
        if e.standard is not None
    ]


def _judge(
    standard: Standard, given: ScoreInput, live: Decimal | None
) -> tuple[Decimal | None, bool | None]:
    if standard.kind != wf.MANUAL:
        return None, given.passed
    if given.score in (None, ""):
        return None, None
    field = score_field(standard.pk, "score")
    try:
        score = Decimal(str(given.score).strip())
    except InvalidOperation as exc:
        raise DomainError(f"“{standard.name}”的评分须是数字", field=field) from exc
    if not score.is_finite() or score < 0:
        raise DomainError(f"“{standard.name}”的评分不能为负数", field=field)
    if standard.max_score is not None and score > standard.max_score:
        raise DomainError(
            f"“{standard.name}”的评分不能超过满分{number(standard.max_score)}分", field=field
        )
    score = score.quantize(Decimal("0.01"))
    if standard.pass_score is not None:
        return score, score >= standard.pass_score
    return score, True if given.passed is None else given.passed


def judgements(declaration: Declaration, scores: Sequence[ScoreInput]) -> list[Judgement]:
    """The reviewer's judgements, checked against the standards of the round (scores within
    0..maximum, each refusal naming the standard), with the live figure at review time."""
    standards = {s.pk: s for s in review_standards(declaration)}
    keys = [s.figure_key for s in standards.values() if s.kind == wf.FIGURE and s.figure_key]
    live = evaluate(declaration.unit, declaration.year, keys) if keys else {}
    out = []
    for given in scores:
        standard = standards.get(given.standard_id)
        if standard is None:
            raise DomainError("该标准不属于本申报，请刷新页面后重新评审")
        figure = live.get(standard.figure_key) if standard.kind == wf.FIGURE else None
        value = figure.value if figure is not None else None
        score, passed = _judge(standard, given, value)
        comment = clean_text(
            given.comment,
            field=score_field(standard.pk, "comment"),
            label=f"“{standard.name}”的评审意见",
            max_length=COMMENT_MAX,
            required=False,
        )
        if passed is None:
            continue
        out.append(Judgement(standard, score, passed, value, comment))
    return out


@transaction.atomic
def declaration_review(
    *,
    actor: Actor,
    declaration: Declaration,
    stage: str,
    decision: str,
    scores: Sequence[ScoreInput] = (),
    reason: str = "",
    expected_version: int | None = None,
) -> Declaration:
    """One review (`stage`: township or county) of a declaration: pass/approve, or return
    with a reason. Refused out of order (the declaration is not at this stage), out of scope
    (the actor may not review at the village), or when a version moved meanwhile."""
    spec = STAGES.get(stage)
    if spec is None:
        raise DomainError("没有这个评审环节")
    require(
        actor,
        spec.perm,
        declaration.unit.path,
        f"该村（社区）不在您的{spec.label}范围内",
    )
    if decision not in DECISIONS:
        raise DomainError("请选择通过或退回", field="decision")
    move_name = spec.pass_move if decision == PASS else spec.return_move
    if not wf.can_move(move_name, declaration.status):
        raise refusal(declaration, move_name)
    judged = judgements(declaration, scores)
    if decision == PASS:
        reason = clean_text(
            reason, field="reason", label="审核意见", max_length=REASON_MAX, required=False
        )
        if spec.judge_all and declaration.star_id is not None:
            seen = {j.standard.pk for j in judged}
            missing = [s for s in review_standards(declaration) if s.pk not in seen]
            if missing:
                raise DomainError(
                    "请逐项评审：" + "、".join(s.name for s in missing),
                    field=score_field(
                        missing[0].pk, "score" if missing[0].kind == wf.MANUAL else "passed"
                    ),
                )
        failed = [j for j in judged if not j.passed and j.standard.is_required]
        if failed:
            raise DomainError(
                "未达标："
                + "、".join(j.standard.name for j in failed)
                + "，不能通过；请退回并说明原因",
                field="decision",
            )
    else:
        reason = clean_text(reason, field="reason", label="退回原因", max_length=REASON_MAX)
    manual = [j.score for j in judged if j.score is not None]
    total = sum(manual, Decimal(0)) if manual else None
    acted_round = declaration.round
    if decision == PASS:
        declaration, step = move(
            declaration,
            move=move_name,
            to_status=spec.pass_status,
            actor=actor,
            stage=spec.stage,
            action=spec.pass_action,
            reason=reason,
            total_score=total,
            expected_version=expected_version,
        )
    else:
        declaration, step = move(
            declaration,
            move=move_name,
            to_status=Status.RETURNED,
            actor=actor,
            stage=spec.stage,
            action=Action.RETURNED,
            reason=reason,
            total_score=total,
            expected_version=expected_version,
            round=acted_round + 1,
            last_reason=reason,
        )
        open_next_round(declaration, acted_round)
    StandardScore.objects.bulk_create(
        [
            StandardScore(
                step=step,
                standard=j.standard,
                score=j.score,
                passed=j.passed,
                figure_value=j.figure_value,
                comment=j.comment,
            )
            for j in judged
        ]
    )
    return declaration


def township_review(
    *,
    actor: Actor,
    declaration: Declaration,
    decision: str,
    scores: Sequence[ScoreInput] = (),
    reason: str = "",
    expected_version: int | None = None,
) -> Declaration:
    """乡镇初审: pass (every standard judged and met) or return with a reason."""
    return declaration_review(
        actor=actor,
        declaration=declaration,
        stage=wf.STAGE_TOWNSHIP,
        decision=decision,
        scores=scores,
        reason=reason,
        expected_version=expected_version,
    )


def county_review(
    *,
    actor: Actor,
    declaration: Declaration,
    decision: str,
    scores: Sequence[ScoreInput] = (),
    reason: str = "",
    expected_version: int | None = None,
) -> Declaration:
    """专班审核: approve (ready for the public notice) or return with a reason."""
    return declaration_review(
        actor=actor,
        declaration=declaration,
        stage=wf.STAGE_COUNTY,
        decision=decision,
        scores=scores,
        reason=reason,
        expected_version=expected_version,
    )
