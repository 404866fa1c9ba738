"""Earning points by proposal: evidence → approval → public notice (公示) → booked.

`proposal_create` checks scope, the catalog, evidence and the indicator's cap; every later
step goes through `_transition`, which checks `workflow.RULES` and the actor's permission at
the subject's place, then updates the row only if its `version` is still the one the actor
saw (compare-and-set) and appends the `ProposalEvent` in the same transaction. Booking
appends the ledger entry (services.ledger) in that transaction too, so a proposal is never
half-booked. The proposer never approves their own proposal.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Abs

from lianxin.accounts.actor import Actor
from lianxin.cases.models import Case
from lianxin.cases.services.residents import clean_mobile
from lianxin.core import clock, crypto
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.party.models import LinkageActivity, PartyMember
from lianxin.people.models import Household, Resident, Visit
from lianxin.points import workflow as wf
from lianxin.points.models import (
    Account,
    CapPeriod,
    EntryKind,
    Evidence,
    Indicator,
    Objection,
    PointEntry,
    Proposal,
    ProposalEvent,
    ProposalPhoto,
    Scheme,
)
from lianxin.points.services import ledger
from lianxin.points.services.accounts import (
    account_for_household,
    account_for_member,
    account_for_unit,
)
from lianxin.points.services.config import catalog_id_for, points_settings
from lianxin.territory.models import Unit

MAX_PHOTOS = 9
RESIDENT_LABEL = "居民"
SYSTEM_LABEL = "系统（公示期满自动入账）"
Status = Proposal.Status


def _path(proposal: Proposal) -> str:
    return proposal.account.unit.path


def require(actor: Actor | None, path: str, perm: str, message: str) -> None:
    if actor is None or not actor.can(perm, path):
        raise PermissionDenied(message)


def cap_window(period: str, day: dt.date) -> tuple[dt.date, dt.date] | None:
    """The cap period containing `day` (both ends inclusive), or None when uncapped."""
    if period == CapPeriod.MONTH:
        first = day.replace(day=1)
        nxt = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        return first, nxt - dt.timedelta(days=1)
    if period == CapPeriod.QUARTER:
        q0 = (day.month - 1) // 3 * 3 + 1
        first = dt.date(day.year, q0, 1)
        nxt = dt.date(day.year + (q0 == 10), (q0 + 2) % 12 + 1, 1)
        return first, nxt - dt.timedelta(days=1)
    if period == CapPeriod.YEAR:
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    return None


def cap_used(*, account: Account, indicator: Indicator, day: dt.date) -> int:
    """Points (absolute) for this indicator and subject in the cap period: live proposals
    plus entries booked without a proposal (automatic awards), so both share one cap."""
    from lianxin.points.services.awards import direct_entries_used

    window = cap_window(indicator.cap_period, day)
    if window is None:
        return 0
    row = Proposal.objects.filter(
        account=account,
        indicator__code=indicator.code,
        indicator__catalog__scheme_id=indicator.catalog.scheme_id,
        occurred_on__range=window,
        status__in=wf.LIVE,
    ).aggregate(total=Sum(Abs("points")))
    direct = direct_entries_used(account=account, indicator=indicator, window=window)
    return int(row["total"] or 0) + direct


def check_cap(*, account: Account, indicator: Indicator, day: dt.date, points: int) -> None:
    if not indicator.cap_points or not indicator.cap_period:
        return
    used = cap_used(account=account, indicator=indicator, day=day)
    if used + abs(points) > indicator.cap_points:
        period = CapPeriod(indicator.cap_period).label
        raise DomainError(
            f"超过上限：“{indicator.name}”{period}最多 {indicator.cap_points} 分，"
            f"本期已申报 {used} 分",
            field="indicator",
        )


def check_indicator(*, account: Account, indicator: Indicator, day: dt.date) -> None:
    """The indicator belongs to the catalog that applies to the subject in that year."""
    catalog_id = catalog_id_for(scheme=account.scheme, path=account.unit.path, year=day.year)
    if catalog_id is None:
        raise DomainError(f"{day.year} 年没有适用的积分指标目录", field="occurred_on")
    if indicator.catalog_id != catalog_id or not indicator.is_active:
        raise DomainError(
            f"“{indicator.name}”不在 {day.year} 年适用于该对象的指标目录中", field="indicator"
        )


def check_evidence(*, indicator: Indicator, description: str, photos: int, linked: bool) -> None:
    need = indicator.evidence
    if need == Evidence.TEXT and not description:
        raise DomainError(f"“{indicator.name}”需要填写事由与佐证说明", field="description")
    if need == Evidence.PHOTO and not photos:
        raise DomainError(f"“{indicator.name}”需要上传照片佐证", field="photos")
    if need == Evidence.LINK and not linked:
        raise DomainError(f"“{indicator.name}”需要关联诉求、走访、履职记录或活动", field="case")
    if need == Evidence.PHOTO_OR_LINK and not (photos or linked):
        raise DomainError(f"“{indicator.name}”需要上传照片或关联事项", field="photos")


def record_event(
    proposal: Proposal, *, action: str, actor: Actor | None, note: str = "", label: str = ""
) -> ProposalEvent:
    if actor is not None and actor.user_id:
        actor_label = f"{actor.display_name}（{actor.post_label}）"
    else:
        actor_label = label or RESIDENT_LABEL
    return ProposalEvent.objects.create(
        proposal=proposal,
        action=action,
        actor_id=actor.user_id if actor else None,
        actor_label=actor_label[:150],
        note=note,
        at=clock.now(),
    )


def _save_photos(proposal: Proposal, uploads: Sequence[UploadedFile]) -> None:
    from lianxin.people.services import clean_photo

    if len(uploads) > MAX_PHOTOS:
        raise DomainError(f"最多上传 {MAX_PHOTOS} 张照片", field="photos")
    for photo in [clean_photo(u) for u in uploads]:
        ProposalPhoto.objects.create(
            proposal=proposal,
            image=ContentFile(photo.content, name=f"{uuid.uuid4().hex}.{photo.extension}"),
        )


@transaction.atomic
def proposal_create(
    *,
    actor: Actor | None,
    account: Account,
    indicator: Indicator,
    occurred_on: dt.date,
    description: str = "",
    resident: Resident | None = None,
    case: Case | None = None,
    visit: Visit | None = None,
    activity: LinkageActivity | None = None,
    link_note: str = "",
    photos: Sequence[UploadedFile] = (),
    source: str = "staff",
    source_key: str = "",
    skip_permission: bool = False,
    points: int | None = None,
) -> Proposal:
    """Propose the indicator's points for a subject, with evidence (积分申报).

    `points` overrides the indicator's value where the source sets its own (a micro-task
    publishes its points); the indicator's cap still applies to it.

    Refused with the reason when the subject is outside the actor's posts, the indicator is
    not in the catalog that applies, the evidence it requires is missing or the cap for the
    period would be exceeded."""
    path = account.unit.path
    if not skip_permission:
        require(actor, path, wf.PROPOSE, "该对象不在您的管辖范围内，不能申报积分")
    if not account.is_active:
        raise DomainError("该积分账户已停用", field="account")
    today = clock.now().date()
    if occurred_on > today:
        raise DomainError("发生日期不能晚于今天", field="occurred_on")
    description = (description or "").strip()
    link_note = (link_note or "").strip()[:200]
    check_indicator(account=account, indicator=indicator, day=occurred_on)
    if resident is not None and resident.household_id != account.household_id:
        raise DomainError("贡献人不是该户的成员", field="resident")
    if actor is not None and not skip_permission:
        # Linked evidence must itself be visible to the proposer.
        for obj, perm, name in (
            (case, "cases.view", "case"),
            (visit, "ledger.view", "visit"),
            (activity, "party.view", "activity"),
        ):
            if (
                obj is not None
                and not type(obj).objects.visible_to(actor, perm).filter(pk=obj.pk).exists()
            ):
                raise DomainError("关联的事项不存在或不在您的管辖范围内", field=name)
    linked = any(x is not None for x in (case, visit, activity)) or bool(link_note)
    check_evidence(indicator=indicator, description=description, photos=len(photos), linked=linked)
    revision_points = indicator.points
    if points is not None:
        if points == 0 or (points > 0) != (revision_points > 0):
            raise DomainError("分值须与指标同为加分或扣分，且不能为 0", field="points")
        revision_points = points
    check_cap(account=account, indicator=indicator, day=occurred_on, points=revision_points)
    revision = indicator.revisions.order_by("-number").first()
    if revision is None:
        raise DomainError(f"“{indicator.name}”没有有效版本", field="indicator")
    public_id = uuid.uuid4()
    proposal = Proposal.objects.create(
        public_id=public_id,
        account=account,
        indicator=indicator,
        indicator_revision=revision,
        resident=resident,
        points=revision.points if points is None else points,
        occurred_on=occurred_on,
        description=description,
        case=case,
        visit=visit,
        activity=activity,
        link_note=link_note,
        source=source,
        # The key its entry pays under (one source pays once): the source's, or its own.
        source_key=source_key or f"proposal:{public_id}",
        proposed_by_id=actor.user_id if actor else None,
        proposer_label=(actor.post_label if actor and actor.user_id else "")[:150],
    )
    _save_photos(proposal, photos)
    record_event(proposal, action=ProposalEvent.Action.PROPOSE, actor=actor, label="系统")
    return proposal


@transaction.atomic
def proposal_submit(
    *,
    actor: Actor,
    scheme: Scheme,
    household: Household | None = None,
    member: PartyMember | None = None,
    unit: Unit | None = None,
    account: Account | None = None,
    **fields: Any,
) -> Proposal:
    """Propose points for a subject chosen on the staff form (积分申报): the subject's account
    in `scheme` is opened on first use, in the same transaction as the proposal, so a refused
    proposal leaves nothing behind. `fields` are `proposal_create`'s."""
    if account is None:
        if household is not None:
            account = account_for_household(household, scheme)
        elif member is not None:
            account = account_for_member(member, scheme)
        elif unit is not None:
            account = account_for_unit(unit, scheme)
        else:
            raise DomainError("请选择积分对象", field="account")
    elif account.scheme_id != scheme.pk:
        raise DomainError(f"该对象不在“{scheme.name}”中计分", field="account")
    return proposal_create(actor=actor, account=account, **fields)


def _transition(
    proposal: Proposal,
    *,
    action: str,
    actor: Actor | None,
    note: str = "",
    expected_version: int | None = None,
    label: str = "",
    skip_permission: bool = False,
    **changes: Any,
) -> Proposal:
    rule = wf.rule_for(action)
    if proposal.status not in rule.sources:
        label_now = Status(proposal.status).label
        raise DomainError(f"该申报当前为“{label_now}”，不能{ProposalEvent.Action(action).label}")
    if rule.perm and not skip_permission:
        require(actor, _path(proposal), rule.perm, "没有办理该申报的权限")
    note = (note or "").strip()
    if rule.needs_note and not note:
        raise DomainError("请填写意见或原因", field="note")
    version = proposal.version if expected_version is None else expected_version
    changes["status"] = rule.target
    changes["updated_at"] = clock.now()
    updated = Proposal.objects.filter(pk=proposal.pk, version=version).update(
        version=version + 1, **changes
    )
    if not updated:
        raise Conflict("该申报刚刚有变化，请刷新页面查看最新状态后再操作")
    for name, value in changes.items():
        setattr(proposal, name, value)
    proposal.version = version + 1
    record_event(proposal, action=action, actor=actor, note=note, label=label)
    return proposal


@transaction.atomic
def proposal_approve(
    *, actor: Actor, proposal: Proposal, note: str = "", expected_version: int | None = None
) -> Proposal:
    """Approve (审核通过): it goes on the public notice board for the scheme's notice days;
    a scheme with 0 notice days books at once."""
    if proposal.proposed_by_id is not None and proposal.proposed_by_id == actor.user_id:
        raise PermissionDenied("申报人不能审核自己的申报")
    now = clock.now()
    days = proposal.account.scheme.notice_days
    _transition(
        proposal,
        action="approve",
        actor=actor,
        note=note,
        expected_version=expected_version,
        decided_by_id=actor.user_id,
        decided_at=now,
        decision_note=(note or "").strip()[:300],
        notice_until=now + dt.timedelta(days=days),
    )
    if days == 0:
        proposal_book(proposal=proposal)
    return proposal


@transaction.atomic
def proposal_fast_book(
    *, actor: Actor | None, proposal: Proposal, decided_by_id: int | None, note: str
) -> Proposal:
    """Approve and book at once, without a notice period: for sources whose publisher's own
    decision stands for the approval (a micro-task on the fast path). The proposal still
    passes through the state machine, so its events and compare-and-set are the usual ones."""
    now = clock.now()
    _transition(
        proposal,
        action="approve",
        actor=actor,
        note=note,
        skip_permission=True,
        decided_by_id=decided_by_id,
        decided_at=now,
        decision_note=note[:300],
        notice_until=now,
    )
    return proposal_book(proposal=proposal, actor=actor)


@transaction.atomic
def proposal_reject(
    *, actor: Actor, proposal: Proposal, note: str, expected_version: int | None = None
) -> Proposal:
    if proposal.proposed_by_id is not None and proposal.proposed_by_id == actor.user_id:
        raise PermissionDenied("申报人不能审核自己的申报")
    return _transition(
        proposal,
        action="reject",
        actor=actor,
        note=note,
        expected_version=expected_version,
        decided_by_id=actor.user_id,
        decided_at=clock.now(),
        decision_note=(note or "").strip()[:300],
    )


@transaction.atomic
def proposal_withdraw(
    *, actor: Actor, proposal: Proposal, note: str = "", expected_version: int | None = None
) -> Proposal:
    """The proposer takes back a proposal not yet decided."""
    if proposal.proposed_by_id != actor.user_id:
        raise PermissionDenied("只有申报人可以撤回")
    return _transition(
        proposal, action="withdraw", actor=actor, note=note, expected_version=expected_version
    )


def objection_open(proposal: Proposal) -> bool:
    return proposal.objections.filter(status=Objection.Status.OPEN).exists()


@transaction.atomic
def objection_file(
    *, proposal: Proposal, text: str, phone: str = "", source_digest: str = ""
) -> Objection:
    """A resident objects from the public board while the proposal is in notice; booking
    waits until staff resolve the objection."""
    text = (text or "").strip()
    if len(text) < 5:
        raise DomainError("请写明异议的理由（至少5个字）", field="text")
    if len(text) > 500:
        raise DomainError("异议内容不超过500字", field="text")
    if proposal.status not in (Status.IN_NOTICE, Status.OBJECTED):
        raise DomainError("该事项不在公示期内，不能提出异议")
    if proposal.notice_until is not None and proposal.notice_until <= clock.now():
        raise DomainError("公示期已结束，不能提出异议")
    limit = points_settings().objections_per_source_hour
    since = clock.now() - dt.timedelta(hours=1)
    if source_digest and (
        Objection.objects.filter(source_digest=source_digest, created_at__gte=since).count()
        >= limit
    ):
        raise DomainError("提交过于频繁，请稍后再试")
    objection = Objection(proposal=proposal, text=text, source_digest=source_digest)
    phone = (phone or "").strip()
    if phone:
        crypto.assign(objection, "phone", crypto.protect_phone(clean_mobile(phone)))
    objection.save()
    if proposal.status == Status.IN_NOTICE:
        _transition(proposal, action="object", actor=None, note=text)
    else:
        record_event(proposal, action=ProposalEvent.Action.OBJECT, actor=None, note=text)
    return objection


@transaction.atomic
def objection_resolve(
    *,
    actor: Actor,
    objection: Objection,
    upheld: bool,
    resolution: str,
    expected_version: int | None = None,
) -> Objection:
    """Staff answer an objection. Upheld: the proposal is refused (every other open objection
    is closed with it). Dismissed: once no objection is open the proposal returns to notice,
    and books at once if its notice period is over."""
    proposal = objection.proposal
    resolution = (resolution or "").strip()
    if not resolution:
        raise DomainError("请填写处理意见", field="resolution")
    if objection.status != Objection.Status.OPEN:
        raise DomainError("该异议已处理")
    require(actor, _path(proposal), wf.APPROVE, "没有处理该异议的权限")
    # Dismissing an objection confirms the proposal: like approving, never by its proposer.
    if proposal.proposed_by_id is not None and proposal.proposed_by_id == actor.user_id:
        raise PermissionDenied("申报人不能处理针对自己申报的异议")
    now = clock.now()
    status = Objection.Status.UPHELD if upheld else Objection.Status.DISMISSED
    # Compare-and-set: two staff answering the same objection at once, the second is told.
    resolved = Objection.objects.filter(pk=objection.pk, status=Objection.Status.OPEN).update(
        status=status, resolved_by_id=actor.user_id, resolved_at=now, resolution=resolution[:300]
    )
    if not resolved:
        raise Conflict("该异议刚刚已被他人处理，请刷新页面查看最新状态")
    objection.status, objection.resolution, objection.resolved_at = status, resolution, now
    if upheld:
        proposal.objections.filter(status=Objection.Status.OPEN).update(
            status=Objection.Status.UPHELD,
            resolved_by_id=actor.user_id,
            resolved_at=now,
            resolution=f"随同处理：{resolution}"[:300],
        )
        _transition(
            proposal,
            action="uphold",
            actor=actor,
            note=resolution,
            expected_version=expected_version,
        )
    elif not objection_open(proposal):
        _transition(
            proposal,
            action="dismiss",
            actor=actor,
            note=resolution,
            expected_version=expected_version,
        )
        if proposal.notice_until is not None and proposal.notice_until <= now:
            proposal_book(proposal=proposal)
    else:
        record_event(proposal, action=ProposalEvent.Action.DISMISS, actor=actor, note=resolution)
    return objection


@transaction.atomic
def proposal_book(*, proposal: Proposal, actor: Actor | None = None) -> Proposal:
    """Book an approved proposal whose notice is over (or a fast-path one): the ledger entry
    and the proposal's new status land in one transaction."""
    if objection_open(proposal):
        raise DomainError("公示期内有未处理的异议，处理后才能入账")
    source_key = proposal.source_key or f"proposal:{proposal.public_id}"
    entry = ledger.entry_append(
        account=proposal.account,
        kind=EntryKind.EARN if proposal.points > 0 else EntryKind.DEDUCT,
        amount=proposal.points,
        occurred_on=proposal.occurred_on,
        reason=proposal.indicator_revision.name,
        source_key=source_key,
        booked_by_id=proposal.decided_by_id,
        indicator_revision=proposal.indicator_revision,
        resident_id=proposal.resident_id,
    )
    return _transition(
        proposal,
        action="book",
        actor=actor,
        label=SYSTEM_LABEL,
        skip_permission=True,
        entry=entry,
        booked_at=entry.booked_at,
    )


BOOK_CHUNK = 200


@transaction.atomic
def proposals_book_many(proposals: Sequence[Proposal]) -> int:
    """Book approved proposals whose notice is over, as one set: the entries through
    `ledger.entries_append_many`, the statuses with one compare-and-set check and one bulk
    update, one BOOK event each. All or nothing; returns how many were booked. Proposals
    with an open objection are left for later."""
    ready = [p for p in proposals if p.status == Status.IN_NOTICE]
    if not ready:
        return 0
    held = set(
        Objection.objects.filter(
            proposal__in=[p.pk for p in ready], status=Objection.Status.OPEN
        ).values_list("proposal_id", flat=True)
    )
    ready = [p for p in ready if p.pk not in held]
    if not ready:
        return 0
    ids = [p.pk for p in ready]
    # Compare-and-set for the set: each still in notice at the version we read.
    current = dict(
        Proposal.objects.select_for_update()
        .filter(pk__in=ids, status=Status.IN_NOTICE)
        .values_list("pk", "version")
    )
    if any(current.get(p.pk) != p.version for p in ready):
        raise Conflict("有申报刚刚有变化，请重新入账")
    entries = ledger.entries_append_many(
        [
            ledger.NewEntry(
                account_id=p.account_id,
                kind=EntryKind.EARN if p.points > 0 else EntryKind.DEDUCT,
                amount=p.points,
                occurred_on=p.occurred_on,
                reason=p.indicator_revision.name,
                source_key=p.source_key or f"proposal:{p.public_id}",
                booked_by_id=p.decided_by_id,
                indicator_revision_id=p.indicator_revision_id,
                resident_id=p.resident_id,
            )
            for p in ready
        ]
    )
    now = clock.now()
    now_booked = entries[0].booked_at
    for p, entry in zip(ready, entries, strict=True):
        p.entry, p.booked_at, p.status = entry, entry.booked_at, Status.BOOKED
        p.version += 1
        p.updated_at = now
    # One UPDATE for the set: each proposal's entry found by the source key it paid under.
    keyed = [p for p in ready if p.source_key]
    if keyed:
        paid = PointEntry.objects.filter(source_key=OuterRef("source_key")).values("id")[:1]
        Proposal.objects.filter(pk__in=[p.pk for p in keyed]).update(
            entry_id=Subquery(paid),
            booked_at=now_booked,
            status=Status.BOOKED,
            version=F("version") + 1,
            updated_at=now,
        )
    for p in ready:
        if not p.source_key:
            # Proposals made before source keys were stored on them: one by one.
            Proposal.objects.filter(pk=p.pk).update(
                entry=p.entry,
                booked_at=p.booked_at,
                status=p.status,
                version=p.version,
                updated_at=now,
            )
    ProposalEvent.objects.bulk_create(
        ProposalEvent(
            proposal=p, action=ProposalEvent.Action.BOOK, actor_label=SYSTEM_LABEL, at=now
        )
        for p in ready
    )
    return len(ready)


def proposals_book_due(*, now: dt.datetime | None = None) -> int:
    """Book every proposal whose notice ended without an open objection (the periodic job):
    in sets of `BOOK_CHUNK`, each its own transaction; a set that fails (someone acted on
    one of its proposals meanwhile) is booked one by one, so one failure holds back none of
    the others."""
    now = now or clock.now()
    due = (
        Proposal.objects.filter(status=Status.IN_NOTICE, notice_until__lte=now)
        .exclude(Q(objections__status=Objection.Status.OPEN))
        .select_related("account__scheme", "indicator_revision")
        .order_by("notice_until", "id")
    )
    booked = 0
    chunk: list[Proposal] = []
    for proposal in due.iterator(chunk_size=BOOK_CHUNK):
        chunk.append(proposal)
        if len(chunk) == BOOK_CHUNK:
            booked += _book_chunk(chunk)
            chunk = []
    return booked + _book_chunk(chunk)


def _book_chunk(chunk: list[Proposal]) -> int:
    if not chunk:
        return 0
    try:
        return proposals_book_many(chunk)
    except (Conflict, DomainError):
        pass
    booked = 0
    for proposal in chunk:
        proposal.refresh_from_db()
        try:
            proposal_book(proposal=proposal)
        except (Conflict, DomainError):
            continue
        booked += 1
    return booked


@transaction.atomic
def proposal_reverse(
    *, actor: Actor, proposal: Proposal, reason: str, expected_version: int | None = None
) -> Proposal:
    """Cancel a booked proposal with a reversing entry and a reason (冲正)."""
    if proposal.entry is None:
        raise DomainError("该申报尚未入账")
    require(actor, _path(proposal), wf.APPROVE, "没有冲正的权限")
    ledger.entry_reverse(entry=proposal.entry, reason=reason, booked_by_id=actor.user_id)
    return _transition(
        proposal, action="reverse", actor=actor, note=reason, expected_version=expected_version
    )
