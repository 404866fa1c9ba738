"""Batch evaluation (按楼栋批量评比): one indicator proposed for many subjects at once.

Grid workers score a whole building each month (庭院整洁, 垃圾分类 ...) rather than household
by household. A batch is a set of ordinary proposals sharing `Proposal.batch`: each is checked
like a single proposal (scope, catalog, cap) and refused rows are reported by subject without
stopping the others — or the whole batch is refused, as the caller chooses. The approver then
decides the batch in one step; each proposal still carries its own events, notice and entry.
Rows are written with bulk inserts: a building of 200 households is a handful of queries, not
a few thousand.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Abs

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.points import workflow as wf
from lianxin.points.models import (
    Account,
    CapPeriod,
    Indicator,
    PointEntry,
    Proposal,
    ProposalEvent,
    ProposalPhoto,
)
from lianxin.points.services import proposals as single
from lianxin.points.services.awards import AWARD_KINDS
from lianxin.points.services.config import catalog_id_for

MAX_BATCH = 500


@dataclass
class BatchResult:
    batch: uuid.UUID
    created: list[Proposal] = field(default_factory=list)
    # (account label, reason) of each subject left out
    refused: list[tuple[str, str]] = field(default_factory=list)


def _label(actor: Actor | None) -> str:
    if actor is not None and actor.user_id:
        return f"{actor.display_name}（{actor.post_label}）"[:150]
    return "系统"


def _cap_used(accounts: Sequence[Account], indicator: Indicator, day: dt.date) -> dict[int, int]:
    window = single.cap_window(indicator.cap_period, day)
    if window is None:
        return {}
    rows = (
        Proposal.objects.filter(
            account__in=[a.pk for a in accounts],
            indicator__code=indicator.code,
            indicator__catalog__scheme_id=indicator.catalog.scheme_id,
            occurred_on__range=window,
            status__in=wf.LIVE,
        )
        .values("account_id")
        .annotate(total=Sum(Abs("points")))
    )
    used = {r["account_id"]: int(r["total"] or 0) for r in rows}
    # Entries booked without a proposal (automatic awards) share the cap.
    direct = (
        PointEntry.objects.filter(
            account__in=[a.pk for a in accounts],
            kind__in=AWARD_KINDS,
            occurred_on__range=window,
            indicator_revision__indicator__code=indicator.code,
            indicator_revision__indicator__catalog__scheme_id=indicator.catalog.scheme_id,
            proposal__isnull=True,
            reversed_by__isnull=True,
        )
        .values("account_id")
        .annotate(total=Sum(Abs("amount")))
    )
    for r in direct:
        used[r["account_id"]] = used.get(r["account_id"], 0) + int(r["total"] or 0)
    return used


@transaction.atomic
def proposal_batch_create(
    *,
    actor: Actor,
    accounts: Sequence[Account],
    indicator: Indicator,
    occurred_on: dt.date,
    description: str = "",
    link_note: str = "",
    photos: Sequence[UploadedFile] = (),
    all_or_nothing: bool = False,
) -> BatchResult:
    """Propose `indicator` for each account. Subjects outside the actor's posts, outside the
    catalog that applies or over the cap are refused by name; with `all_or_nothing` any
    refusal refuses the whole batch (nothing is written)."""
    if not accounts:
        raise DomainError("请至少选择一户", field="accounts")
    if len(accounts) > MAX_BATCH:
        raise DomainError(f"一次最多评比 {MAX_BATCH} 个对象", field="accounts")
    if occurred_on > clock.now().date():
        raise DomainError("发生日期不能晚于今天", field="occurred_on")
    description = (description or "").strip()
    link_note = (link_note or "").strip()[:200]
    single.check_evidence(
        indicator=indicator, description=description, photos=len(photos), linked=bool(link_note)
    )
    revision = indicator.revisions.order_by("-number").first()
    if revision is None:
        raise DomainError(f"“{indicator.name}”没有有效版本", field="indicator")
    result = BatchResult(batch=uuid.uuid4())
    # Each account's unit and scheme in one query, whatever the caller loaded.
    fresh = Account.objects.select_related("unit", "scheme").in_bulk([a.pk for a in accounts])
    accounts = [fresh[a.pk] for a in accounts if a.pk in fresh]
    used = _cap_used(accounts, indicator, occurred_on)
    catalogs: dict[str, int | None] = {}
    keep: list[Account] = []
    for account in accounts:
        path = account.unit.path
        if not actor.can(wf.PROPOSE, path):
            result.refused.append((account.label, "不在您的管辖范围内"))
            continue
        if not account.is_active or account.scheme_id != indicator.catalog.scheme_id:
            result.refused.append((account.label, "不在该指标的积分体系中"))
            continue
        if path not in catalogs:
            catalogs[path] = catalog_id_for(scheme=account.scheme, path=path, year=occurred_on.year)
        if catalogs[path] != indicator.catalog_id:
            result.refused.append((account.label, "该指标不适用于其所在单元"))
            continue
        if (
            indicator.cap_points
            and indicator.cap_period
            and used.get(account.pk, 0) + abs(revision.points) > indicator.cap_points
        ):
            period = CapPeriod(indicator.cap_period).label
            result.refused.append((account.label, f"超过上限（{period}{indicator.cap_points}分）"))
            continue
        keep.append(account)
    if all_or_nothing and result.refused:
        names = "、".join(name for name, _ in result.refused[:5])
        raise DomainError(
            f"有 {len(result.refused)} 户不能评比（{names}…），未保存", field="accounts"
        )
    if not keep:
        raise DomainError("所选对象都不能评比：" + result.refused[0][1], field="accounts")
    now = clock.now()
    ids = [uuid.uuid4() for _ in keep]
    rows = [
        Proposal(
            public_id=pid,
            source_key=f"proposal:{pid}",
            account=account,
            indicator=indicator,
            indicator_revision=revision,
            points=revision.points,
            occurred_on=occurred_on,
            description=description,
            link_note=link_note,
            proposed_by_id=actor.user_id,
            proposer_label=actor.post_label[:150],
            batch=result.batch,
            created_at=now,
            updated_at=now,
        )
        for account, pid in zip(keep, ids, strict=True)
    ]
    # bulk_create skips save(): the audit trail gets one summary below instead of N rows.
    result.created = Proposal.objects.bulk_create(rows)
    label = _label(actor)
    ProposalEvent.objects.bulk_create(
        ProposalEvent(
            proposal=p,
            action=ProposalEvent.Action.PROPOSE,
            actor_id=actor.user_id,
            actor_label=label,
            note=f"批量评比（{len(rows)} 户）",
            at=now,
        )
        for p in result.created
    )
    _share_photos(result.created, photos)
    _audit(actor, result, indicator)
    return result


def _share_photos(created: Sequence[Proposal], uploads: Sequence[UploadedFile]) -> None:
    """One stored copy of each photo, referenced by every proposal of the batch."""
    from lianxin.people.services import clean_photo

    if len(uploads) > single.MAX_PHOTOS:
        raise DomainError(f"最多上传 {single.MAX_PHOTOS} 张照片", field="photos")
    for photo in [clean_photo(u) for u in uploads]:
        name = default_storage.save(
            f"points/{clock.now():%Y/%m}/{uuid.uuid4().hex}.{photo.extension}",
            ContentFile(photo.content),
        )
        ProposalPhoto.objects.bulk_create(ProposalPhoto(proposal=p, image=name) for p in created)


def _audit(actor: Actor, result: BatchResult, indicator: Indicator) -> None:
    from lianxin.audit.models import AuditEvent
    from lianxin.audit.services import audit_record

    first = result.created[0]
    audit_record(
        action=AuditEvent.Action.CREATE,
        object_type="points.proposal_batch",
        object_id=str(result.batch),
        object_repr=f"批量评比：{indicator.name}（{len(result.created)} 户）"[:200],
        changes={"proposals": len(result.created), "refused": len(result.refused)},
        scope_path=first.account.unit.path,
    )


def batch_proposals(batch: uuid.UUID, *, status: str = Proposal.Status.PENDING) -> list[Proposal]:
    return list(
        Proposal.objects.filter(batch=batch, status=status)
        .select_related("account__unit", "account__scheme", "indicator_revision")
        .order_by("id")
    )


@transaction.atomic
def proposal_batch_decide(*, actor: Actor, batch: uuid.UUID, approve: bool, note: str = "") -> int:
    """Approve (into notice) or refuse every pending proposal of the batch that the actor may
    decide — never one they proposed themselves. Returns how many were decided."""
    note = (note or "").strip()
    if not approve and not note:
        raise DomainError("请填写不予通过的原因", field="note")
    pending = list(
        Proposal.objects.filter(batch=batch, status=Proposal.Status.PENDING)
        .order_by("id")
        .values_list("pk", "proposed_by_id", "account__unit__path", "account__scheme__notice_days")
    )
    mine = [p for p in pending if p[1] == actor.user_id]
    if pending and len(mine) == len(pending):
        raise PermissionDenied("申报人不能审核自己的申报")
    allowed = [p for p in pending if p[1] != actor.user_id and actor.can(wf.APPROVE, p[2])]
    if not allowed:
        raise PermissionDenied("没有审核该批申报的权限")
    now = clock.now()
    days = allowed[0][3]
    ids = [p[0] for p in allowed]
    action = ProposalEvent.Action.APPROVE if approve else ProposalEvent.Action.REJECT
    changes: dict[str, object] = {
        "status": Proposal.Status.IN_NOTICE if approve else Proposal.Status.REJECTED,
        "decided_by_id": actor.user_id,
        "decided_at": now,
        "decision_note": note[:300],
        "updated_at": now,
    }
    if approve:
        changes["notice_until"] = now + dt.timedelta(days=days)
    # Status still pending: a proposal withdrawn or decided meanwhile is left alone.
    from django.db.models import F

    decided = Proposal.objects.filter(pk__in=ids, status=Proposal.Status.PENDING).update(
        version=F("version") + 1, **changes
    )
    if decided != len(ids):
        from lianxin.core.errors import Conflict

        raise Conflict("这批申报刚刚有变化，请刷新页面后再审核")
    label = _label(actor)
    ProposalEvent.objects.bulk_create(
        ProposalEvent(
            proposal_id=pk,
            action=action,
            actor_id=actor.user_id,
            actor_label=label,
            note=note,
            at=now,
        )
        for pk in ids
    )
    if approve and days == 0:
        for p in Proposal.objects.filter(pk__in=ids).select_related(
            "account__scheme", "indicator_revision"
        ):
            single.proposal_book(proposal=p)
    return decided
