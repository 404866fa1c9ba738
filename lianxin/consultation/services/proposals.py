"""Residents' proposals (居民议题): submitted on the phone, public, supported by neighbours,
scheduled on an agenda, decided there; or declined with an answer.

(The public pages and the phone flow build on these; see views/public.py.)
"""

from __future__ import annotations

from django.db import transaction

from lianxin.accounts.actor import Actor
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import AgendaItem, Meeting, ResidentProposal
from lianxin.consultation.services.common import require
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError

Status = ResidentProposal.Status


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
