"""Residents' proposals (居民议题): submitted on the phone, public, supported by neighbours,
scheduled on an agenda, decided there; or declined with an answer.

Who may do what:
- a resident signed in with the phone (cases.services.residents) whose household lives in
  the village proposes (at most `PROPOSALS_PER_PHONE_DAY` a day per phone) and supports a
  neighbour's open proposal once — one support per resident (a unique constraint) and per
  phone (family members sharing a phone count once), never one's own;
- the proposer withdraws it while it is open;
- staff with `consultation.run` put it on a meeting's agenda (votes.item_add calls
  `proposal_schedule`) or decline it with an answer that the public page shows.

The public pages (views/public_home.py, views/proposals.py) build on these.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import AgendaItem, Meeting, ProposalSupport, ResidentProposal
from lianxin.consultation.services.common import require
from lianxin.core import clock
from lianxin.core.crypto import mask_name
from lianxin.core.errors import Conflict, DomainError, clean_text
from lianxin.people.models import Resident
from lianxin.territory.models import Unit, UnitKind

Status = ResidentProposal.Status
# A phone proposes at most this many a day (a shared phone counts once).
PROPOSALS_PER_PHONE_DAY = 3


def _move(proposal: ResidentProposal, *, sources: set[str], **changes: object) -> ResidentProposal:
    if proposal.status not in sources:
        raise DomainError(f"该议题当前为“{Status(proposal.status).label}”，不能进行此操作")
    changes["updated_at"] = clock.now()
    updated = ResidentProposal.objects.filter(pk=proposal.pk, version=proposal.version).update(
        version=proposal.version + 1, **changes
    )
    if not updated:
        raise Conflict("该议题刚刚有变化，请刷新页面后再操作")
    for name, value in changes.items():
        setattr(proposal, name, value)
    proposal.version += 1
    return proposal


@transaction.atomic
def proposal_schedule(*, actor: Actor, proposal: ResidentProposal) -> ResidentProposal:
    """The proposal goes on an agenda (called by votes.item_add)."""
    require(actor, wf.RUN, proposal.unit.path)
    return _move(proposal, sources={Status.OPEN}, status=Status.SCHEDULED)


def proposal_decided(*, item: AgendaItem) -> None:
    """The item made from a proposal was decided: the proposal shows the outcome."""
    proposal = ResidentProposal.objects.filter(pk=item.proposal_id).first()
    if proposal is None or proposal.status != Status.SCHEDULED:
        return
    rate = f"，支持率{item.support_rate:.2%}" if item.support_rate is not None else ""
    answer = (
        f"{item.meeting.title}：{AgendaItem.Status(item.status).label}{rate}。{item.outcome_note}"
    )
    _move(proposal, sources={Status.SCHEDULED}, status=Status.DECIDED, answer=answer.strip())


def proposals_unschedule(*, meeting: Meeting) -> int:
    """A cancelled meeting's proposals are open again (to be scheduled on another)."""
    ids = AgendaItem.objects.filter(meeting=meeting, proposal__isnull=False).values_list(
        "proposal_id", flat=True
    )
    return ResidentProposal.objects.filter(pk__in=list(ids), status=Status.SCHEDULED).update(
        status=Status.OPEN, updated_at=clock.now()
    )


# --- residents ---------------------------------------------------------------------------


def _lives_in(resident: Resident, unit: Unit) -> bool:
    household = resident.household
    return resident.is_active and household.is_active and household.unit.path.startswith(unit.path)


def _day_start() -> dt.datetime:
    today = timezone.localdate(clock.now())
    return timezone.make_aware(dt.datetime.combine(today, dt.time.min))


@transaction.atomic
def proposal_submit(
    *, resident: Resident, unit: Unit, title: str, body: str, place: Unit | None = None
) -> ResidentProposal:
    """A resident (signed in with the phone) proposes a topic for the village to talk over.

    The proposal is public at once, shown with the proposer's masked name (张*)."""
    if unit.kind != UnitKind.VILLAGE or not unit.is_active:
        raise DomainError("请选择所在的村（社区）", field="unit")
    if not _lives_in(resident, unit):
        raise DomainError("只有本村（社区）登记的居民可以提出议题", field="unit")
    if place is not None and (not place.is_active or not place.path.startswith(unit.path)):
        raise DomainError("网格/楼院须在本村（社区）内", field="place")
    title = clean_text(title, field="title", label="议题", max_length=80)
    body = clean_text(body, field="body", label="内容与建议", max_length=2000)
    # Rate limit per phone (a family sharing a phone counts together); without a phone on
    # file the resident cannot be signed in, but the service still counts per resident.
    recent = ResidentProposal.objects.filter(created_at__gte=_day_start())
    if resident.phone_digest:
        recent = recent.filter(proposer__phone_digest=resident.phone_digest)
    else:
        recent = recent.filter(proposer=resident)
    if recent.count() >= PROPOSALS_PER_PHONE_DAY:
        raise DomainError(
            f"每个手机号每天最多提出{PROPOSALS_PER_PHONE_DAY}个议题，请明天再提", field="title"
        )
    return ResidentProposal.objects.create(
        unit=unit,
        place=place,
        title=title,
        body=body,
        proposer=resident,
        proposer_label=mask_name(resident.name)[:40] or "居民",
    )


@transaction.atomic
def proposal_support(*, proposal: ResidentProposal, resident: Resident) -> ProposalSupport:
    """A neighbour supports an open proposal: once per resident and per phone, never one's
    own; the cached count moves with F() (two supports at once both count)."""
    if proposal.status != Status.OPEN:
        raise DomainError(f"该议题当前为“{Status(proposal.status).label}”，不再征集支持")
    if not _lives_in(resident, proposal.unit):
        raise DomainError("只有本村（社区）登记的居民可以支持该议题")
    proposer = proposal.proposer
    if proposer is not None and (
        proposer.pk == resident.pk
        or (resident.phone_digest and proposer.phone_digest == resident.phone_digest)
    ):
        raise DomainError("不能支持自己提出的议题")
    if (
        resident.phone_digest
        and ProposalSupport.objects.filter(
            proposal=proposal, resident__phone_digest=resident.phone_digest
        ).exists()
    ):
        raise DomainError("您已经支持过该议题，每人只能支持一次")
    try:
        with transaction.atomic():
            support = ProposalSupport.objects.create(
                proposal=proposal, resident=resident, at=clock.now()
            )
    except IntegrityError as exc:
        raise DomainError("您已经支持过该议题，每人只能支持一次") from exc
    ResidentProposal.objects.filter(pk=proposal.pk).update(support_count=F("support_count") + 1)
    proposal.refresh_from_db(fields=["support_count"])
    return support


def _is_proposer(proposal: ResidentProposal, resident: Resident) -> bool:
    proposer = proposal.proposer
    if proposer is None:
        return False
    if proposer.pk == resident.pk:
        return True
    return bool(resident.phone_digest) and proposer.phone_digest == resident.phone_digest


@transaction.atomic
def proposal_withdraw(*, proposal: ResidentProposal, resident: Resident) -> ResidentProposal:
    """The proposer takes the proposal back while it is still collecting support."""
    if not _is_proposer(proposal, resident):
        raise DomainError("只有提议人可以撤回该议题")
    return _move(proposal, sources={Status.OPEN}, status=Status.WITHDRAWN)


@transaction.atomic
def proposal_decline(
    *, actor: Actor, proposal: ResidentProposal, answer: str, expected_version: int | None = None
) -> ResidentProposal:
    """Staff decline an open proposal; the answer (why, and what happens instead) is shown
    on the public page."""
    require(actor, wf.RUN, proposal.unit.path, "没有答复该议题的权限")
    answer = clean_text(answer, field="answer", label="答复", max_length=2000)
    if expected_version is not None and expected_version != proposal.version:
        raise Conflict("该议题刚刚有变化，请刷新页面后再操作")
    proposal = _move(proposal, sources={Status.OPEN}, status=Status.DECLINED, answer=answer)
    audit_record(
        action=AuditEvent.Action.UPDATE,
        obj=proposal,
        changes={
            "status": {"old": Status.OPEN, "new": Status.DECLINED},
            "answer": {"old": "", "new": answer[:200]},
        },
        scope_path=proposal.unit.path,
    )
    return proposal
