"""The village secretary's yearly pledges (三诺): 亮诺 → 践诺 → 评诺.

- At the start of the year the secretary drafts the year's pledges (`pledge_create`, items
  added, edited or removed while the draft lasts) and publishes them (`pledge_publish`, 亮诺);
  from then on the items are fixed.
- During the year the secretary reports on each item (`pledge_report`): mid-year reports
  (践诺) and the year-end account (述诺), each an append-only `PledgeReport` with an optional
  evidence photo (re-encoded without EXIF). The item's `fulfilment` caches its newest report;
  the pledge reaches REPORTED once every item has a mid-year report.
- From 1 November the township or the secretary opens the evaluation (评诺); staff record one
  score (0–100) per evaluator — the village's representatives and full party members, read
  live from the register — and close it. Average and count are cached on the pledge.

Who does what: the secretary is whoever holds `consultation.pledges` at the village itself
(the village secretary's post); a post above it (township, organisation department) holds the
same permission to organise the evaluation. The evaluated secretary never records a score nor
closes the evaluation of their own pledges.

Stage moves are compare-and-set on `version`; reports and scores are append-only (database
triggers); a pledge per unit and year is kept for good, so the history spans the years.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.consultation import electorate as roll
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import (
    Electorate,
    Pledge,
    PledgeItem,
    PledgeReport,
    PledgeScore,
)
from lianxin.consultation.services.common import actor_label, require
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied, clean_text
from lianxin.party.models import PartyMember
from lianxin.territory.models import Unit, UnitKind

Stage = Pledge.Stage
ReportStage = PledgeReport.Stage
Fulfilment = PledgeItem.Fulfilment

# 评诺 is the year-end evaluation: it opens on 1 November, when the year's work can be judged
# and the township still has November and December to hold the evaluation meetings before its
# year-end assessment of the village committees (温县 三诺: 年初亮诺、年中践诺、年底评诺). The
# year-end account (述诺) may be filed from the same day.
EVALUATION_OPENS = (11, 1)
# Evaluators: the village's representatives and its full party members (probationary members
# have no vote, electorate.py).
EVALUATORS = (Electorate.REPRESENTATIVES, Electorate.PARTY_MEMBERS)
MAX_ITEMS = 20
SCORE_MAX = 100
SCORE_PLACES = Decimal("0.01")
# Years a pledge may be drafted for, around today's: last year's (late filing) to next year's
# (drafted in December).
YEARS_BACK, YEARS_AHEAD = 1, 1


@dataclass(frozen=True)
class ItemDraft:
    """One pledge as typed in the draft form."""

    title: str
    measure: str = ""
    due_on: dt.date | None = None


def today() -> dt.date:
    return timezone.localdate(clock.now())


def evaluation_opens_on(year: int) -> dt.date:
    return dt.date(year, *EVALUATION_OPENS)


def day_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def is_secretary_of(actor: Actor | None, unit: Unit) -> bool:
    """Whether the actor holds the pledges permission at the village itself (its secretary),
    as opposed to a post above it."""
    if actor is None:
        return False
    return any(p.unit_path.startswith(unit.path) for p in actor.posts_with(wf.PLEDGES))


def _require_secretary(actor: Actor, unit: Unit) -> None:
    require(actor, wf.PLEDGES, unit.path, "没有办理该村（社区）三诺的权限")
    if not is_secretary_of(actor, unit):
        raise PermissionDenied("三诺由村（社区）党组织书记本人亮诺、践诺")


def _require_evaluator_staff(actor: Actor, pledge: Pledge) -> None:
    require(actor, wf.PLEDGES, pledge.unit.path, "没有组织该村（社区）评诺的权限")
    if pledge.secretary_id is not None and pledge.secretary_id == actor.user_id:
        raise PermissionDenied("书记本人不能为自己的三诺登记评分或结束评诺")


def _move(
    pledge: Pledge,
    *,
    allowed: Sequence[str],
    expected_version: int | None,
    message: str = "",
    **changes: Any,
) -> Pledge:
    """Compare-and-set: the pledge moves only from the version the caller saw."""
    if pledge.stage not in allowed:
        raise DomainError(message or f"三诺当前为“{Stage(pledge.stage).label}”，不能进行此操作")
    version = pledge.version if expected_version is None else expected_version
    changes["updated_at"] = clock.now()
    updated = Pledge.objects.filter(pk=pledge.pk, version=version).update(
        version=version + 1, **changes
    )
    if not updated:
        raise Conflict("三诺刚刚有变化，请刷新页面后再操作")
    for name, value in changes.items():
        setattr(pledge, name, value)
    pledge.version = version + 1
    return pledge


def _locked(pledge: Pledge) -> Pledge:
    """The pledge row, locked for the rest of the transaction (reports and scores of one
    pledge are taken one at a time, so the cached figures add up)."""
    return Pledge.objects.select_for_update().select_related("unit").get(pk=pledge.pk)


def _clean_item(pledge_year: int, draft: ItemDraft) -> dict[str, Any]:
    if draft.due_on is not None and draft.due_on < dt.date(pledge_year, 1, 1):
        raise DomainError(f"承诺完成日期不能早于{pledge_year}年", field="due_on")
    return {
        "title": clean_text(draft.title, field="title", label="承诺事项", max_length=100),
        "measure": clean_text(
            draft.measure, field="measure", label="措施与时限", max_length=2000, required=False
        ),
        "due_on": draft.due_on,
    }


@transaction.atomic
def pledge_create(
    *, actor: Actor, unit: Unit, year: int, items: Sequence[ItemDraft] = ()
) -> Pledge:
    """Draft the secretary's pledges for a year (one per village and year)."""
    _require_secretary(actor, unit)
    if unit.kind != UnitKind.VILLAGE:
        raise DomainError("三诺由村（社区）党组织书记作出", field="unit")
    now_year = today().year
    if not (now_year - YEARS_BACK <= year <= now_year + YEARS_AHEAD):
        raise DomainError(
            f"年度应在{now_year - YEARS_BACK}至{now_year + YEARS_AHEAD}年之间", field="year"
        )
    if len(items) > MAX_ITEMS:
        raise DomainError(f"承诺事项不超过{MAX_ITEMS}项", field="items")
    cleaned = [_clean_item(year, d) for d in items]
    try:
        with transaction.atomic():
            pledge = Pledge.objects.create(
                unit=unit,
                year=year,
                secretary_id=actor.user_id,
                secretary_name=(actor.display_name or actor.username)[:30],
            )
    except IntegrityError as exc:
        raise DomainError(f"{unit.display_name}{year}年的三诺已经建立", field="year") from exc
    PledgeItem.objects.bulk_create(
        PledgeItem(pledge=pledge, order=i, **fields) for i, fields in enumerate(cleaned, start=1)
    )
    return pledge


def _draft_of(actor: Actor, pledge: Pledge, expected_version: int | None) -> Pledge:
    _require_secretary(actor, pledge.unit)
    return _move(
        pledge,
        allowed=(Stage.DRAFT,),
        expected_version=expected_version,
        message="三诺已亮诺，承诺事项不能再修改",
    )


@transaction.atomic
def pledge_item_add(
    *, actor: Actor, pledge: Pledge, item: ItemDraft, expected_version: int | None = None
) -> PledgeItem:
    """Add a pledge to a draft."""
    fields = _clean_item(pledge.year, item)
    pledge = _draft_of(actor, pledge, expected_version)
    agg = PledgeItem.objects.filter(pledge=pledge).aggregate(n=Count("id"), m=Max("order"))
    if agg["n"] >= MAX_ITEMS:
        raise DomainError(f"承诺事项不超过{MAX_ITEMS}项", field="title")
    return PledgeItem.objects.create(pledge=pledge, order=(agg["m"] or 0) + 1, **fields)


@transaction.atomic
def pledge_item_update(
    *, actor: Actor, item: PledgeItem, change: ItemDraft, expected_version: int | None = None
) -> PledgeItem:
    """Edit a pledge of a draft."""
    pledge = item.pledge
    fields = _clean_item(pledge.year, change)
    _draft_of(actor, pledge, expected_version)
    for name, value in fields.items():
        setattr(item, name, value)
    item.save(update_fields=list(fields))
    return item


@transaction.atomic
def pledge_item_remove(
    *, actor: Actor, item: PledgeItem, expected_version: int | None = None
) -> None:
    """Remove a pledge from a draft (nothing was reported on it: drafts have no reports)."""
    _draft_of(actor, item.pledge, expected_version)
    item.delete()


@transaction.atomic
def pledge_publish(*, actor: Actor, pledge: Pledge, expected_version: int | None = None) -> Pledge:
    """亮诺: the pledges go public and are fixed from now on."""
    _require_secretary(actor, pledge.unit)
    if not PledgeItem.objects.filter(pledge=pledge).exists():
        raise DomainError("请至少填写一项承诺事项后再亮诺", field="items")
    return _move(
        pledge,
        allowed=(Stage.DRAFT,),
        expected_version=expected_version,
        stage=Stage.PUBLISHED,
        published_at=clock.now(),
    )


def _evidence_file(upload: UploadedFile | None) -> ContentFile[bytes] | None:
    if upload is None:
        return None
    from lianxin.people.services import clean_photo

    try:
        photo = clean_photo(upload)
    except DomainError as exc:
        raise DomainError(exc.message, field="evidence") from exc
    # The file name is random: it is also the photo's opaque id in URLs.
    return ContentFile(photo.content, name=f"{uuid.uuid4().hex}.{photo.extension}")


@transaction.atomic
def pledge_report(
    *,
    actor: Actor,
    item: PledgeItem,
    stage: str,
    fulfilment: str,
    note: str,
    evidence: UploadedFile | None = None,
) -> PledgeReport:
    """践诺 (mid-year) or 述诺 (year-end): the secretary reports on one pledge, with an
    optional evidence photo. Reports are appended; the newest one sets the item's state."""
    pledge = item.pledge
    _require_secretary(actor, pledge.unit)
    if stage not in ReportStage.values:
        raise DomainError("请选择年中践诺或年底述诺", field="stage")
    if fulfilment not in Fulfilment.values:
        raise DomainError("请选择兑现情况", field="fulfilment")
    note = clean_text(note, field="note", label="兑现情况说明", max_length=2000)
    pledge = _locked(pledge)
    if stage == ReportStage.MIDYEAR and pledge.stage not in (Stage.PUBLISHED, Stage.REPORTED):
        raise DomainError(
            "亮诺后、评诺开始前才能报告年中践诺情况"
            if pledge.stage != Stage.DRAFT
            else "请先亮诺，再报告践诺情况",
            field="stage",
        )
    if stage == ReportStage.YEAREND:
        if pledge.stage not in (Stage.PUBLISHED, Stage.REPORTED, Stage.EVALUATING):
            raise DomainError(
                "评诺已结束，不能再述诺" if pledge.stage == Stage.EVALUATED else "请先亮诺",
                field="stage",
            )
        opens = evaluation_opens_on(pledge.year)
        if today() < opens:
            raise DomainError(f"年底述诺自{day_label(opens)}起填报", field="stage")
    report = PledgeReport.objects.create(
        item=item,
        stage=stage,
        fulfilment=fulfilment,
        note=note,
        evidence=_evidence_file(evidence),
        author_id=actor.user_id,
        author_label=actor_label(actor),
        at=clock.now(),
    )
    PledgeItem.objects.filter(pk=item.pk).update(fulfilment=fulfilment)
    item.fulfilment = fulfilment
    if stage == ReportStage.MIDYEAR and pledge.stage == Stage.PUBLISHED:
        unreported = (
            PledgeItem.objects.filter(pledge=pledge)
            .exclude(reports__stage=ReportStage.MIDYEAR)
            .exists()
        )
        if not unreported:
            _move(
                pledge,
                allowed=(Stage.PUBLISHED,),
                expected_version=None,
                stage=Stage.REPORTED,
                reported_at=clock.now(),
            )
    return report


@transaction.atomic
def pledge_evaluation_open(
    *, actor: Actor, pledge: Pledge, expected_version: int | None = None
) -> Pledge:
    """评诺 opens (the township or the secretary), from 1 November of the pledge's year."""
    require(actor, wf.PLEDGES, pledge.unit.path, "没有组织该村（社区）评诺的权限")
    opens = evaluation_opens_on(pledge.year)
    if today() < opens:
        raise DomainError(f"评诺自{day_label(opens)}起进行")
    return _move(
        pledge,
        allowed=(Stage.PUBLISHED, Stage.REPORTED),
        expected_version=expected_version,
        stage=Stage.EVALUATING,
        evaluation_opened_at=clock.now(),
    )


def evaluator_by_key(pledge: Pledge, key: str, *, on: dt.date) -> roll.Elector | None:
    """The evaluator behind `key`: a representative or a full party member of the village."""
    for kind in EVALUATORS:
        elector = roll.elector_by_key(pledge.unit, kind, key, on=on)
        if elector is not None:
            return elector
    return None


def _same_person_keys(elector: roll.Elector) -> set[str]:
    """Keys under which the same person may also evaluate: a representative who is also a
    party member scores once, whichever list staff picked them from."""
    keys = {elector.key}
    if elector.resident_id is not None:
        keys.add(f"resident:{elector.resident_id}")
        keys |= {
            f"member:{pk}"
            for pk in PartyMember.objects.filter(resident_id=elector.resident_id).values_list(
                "pk", flat=True
            )
        }
    return keys


def _refresh_figures(pledge: Pledge) -> None:
    agg = PledgeScore.objects.filter(pledge=pledge).aggregate(n=Count("id"), total=Sum("score"))
    count = agg["n"] or 0
    average = (
        (Decimal(agg["total"]) / count).quantize(SCORE_PLACES, rounding=ROUND_HALF_UP)
        if count
        else None
    )
    Pledge.objects.filter(pk=pledge.pk).update(score_count=count, average_score=average)
    pledge.score_count, pledge.average_score = count, average


@transaction.atomic
def pledge_score(
    *,
    actor: Actor,
    pledge: Pledge,
    elector_key: str,
    score: int | None,
    comment: str = "",
) -> PledgeScore:
    """Record one evaluator's score (0–100); one score per evaluator, kept for good."""
    _require_evaluator_staff(actor, pledge)
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= SCORE_MAX:
        raise DomainError(f"得分应为0到{SCORE_MAX}之间的整数", field="score")
    comment = clean_text(comment, field="comment", label="评语", max_length=300, required=False)
    pledge = _locked(pledge)
    if pledge.stage != Stage.EVALUATING:
        raise DomainError("评诺未在进行中，不能登记评分")
    elector = evaluator_by_key(pledge, (elector_key or "").strip(), on=today())
    if elector is None:
        raise DomainError("该人员不是本村（社区）的村（居）民代表或正式党员", field="elector_key")
    if PledgeScore.objects.filter(
        pledge=pledge, elector_key__in=_same_person_keys(elector)
    ).exists():
        raise DomainError(f"{elector.label}已经评过分，每人只评一次", field="elector_key")
    try:
        with transaction.atomic():
            row = PledgeScore.objects.create(
                pledge=pledge,
                elector_key=elector.key,
                label=elector.label[:60],
                score=score,
                comment=comment,
                recorded_by_id=actor.user_id,
                at=clock.now(),
            )
    except IntegrityError as exc:
        raise DomainError(f"{elector.label}已经评过分，每人只评一次", field="elector_key") from exc
    _refresh_figures(pledge)
    return row


@transaction.atomic
def pledge_evaluation_close(
    *, actor: Actor, pledge: Pledge, expected_version: int | None = None
) -> Pledge:
    """End the evaluation: the average of the scores is the result (refused without scores)."""
    _require_evaluator_staff(actor, pledge)
    if pledge.stage == Stage.EVALUATING and not PledgeScore.objects.filter(pledge=pledge).exists():
        raise DomainError("还没有登记任何评分，不能结束评诺")
    pledge = _move(
        pledge,
        allowed=(Stage.EVALUATING,),
        expected_version=expected_version,
        stage=Stage.EVALUATED,
        evaluated_at=clock.now(),
    )
    _refresh_figures(pledge)
    return pledge
