"""Consultation listens to the apps before it (DESIGN.md dependency order): a milestone linked
to a request reaches 100% when the request is resolved.

"Resolved" follows cases.workflow: the request moved to RESOLVED (办结, waiting for the
follow-up), or it was closed with the outcome RESOLVED (not guided, rejected or merged). Each
milestone of a decision still in progress that follows the request goes to 100% with a system
`ProgressUpdate` ("关联诉求已办结 <受理编号>") and its decision is recomputed.

A reopened request (不满意 at the follow-up) leaves the milestone at 100%: the step's progress
is the staff's account, and they lower it with a note if the work has to be redone.

The receiver runs inside the transaction of the request's event, in a savepoint: a failure
here is logged and never stops a request being resolved. It returns before any query unless
the event is a resolving one.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from lianxin.cases.models import Case, CaseEvent
from lianxin.cases.workflow import Outcome, Status

logger = logging.getLogger(__name__)


def is_resolving(event: CaseEvent) -> bool:
    """Whether the event is the moment a request counts as resolved (no queries)."""
    if event.to_status == Status.RESOLVED and event.from_status != Status.RESOLVED:
        return True
    if event.to_status == Status.CLOSED and event.from_status != Status.CLOSED:
        return event.case.outcome == Outcome.RESOLVED
    return False


def complete_milestones(case: Case, *, on: Any) -> int:
    """Every open milestone following `case` (of a decision in progress) goes to 100%."""
    from lianxin.consultation.models import Decision, Milestone
    from lianxin.consultation.services.decisions import (
        decision_recompute,
        milestone_complete_for_case,
    )

    rows = list(
        Milestone.objects.filter(
            case_id=case.pk, progress__lt=100, decision__status=Decision.Status.IN_PROGRESS
        ).select_related("decision")
    )
    decisions: dict[int, Decision] = {}
    for milestone in rows:
        if milestone_complete_for_case(milestone, case, on=on):
            decisions[milestone.decision_id] = milestone.decision
    for decision in decisions.values():
        decision_recompute(decision)
    return len(rows)


@receiver(post_save, sender=CaseEvent, dispatch_uid="consultation_milestones_follow_case")
def milestones_follow_case(sender: Any, instance: CaseEvent, created: bool, **kwargs: Any) -> None:
    """A request resolved: the milestones linked to it are done (see module doc)."""
    if not created or kwargs.get("raw") or not is_resolving(instance):
        return
    case = instance.case
    try:
        with transaction.atomic():
            complete_milestones(case, on=timezone.localdate(instance.created_at))
    except Exception:  # a milestone must never block resolving a request
        logger.exception("consultation: milestones of request %s not updated", case.tracking_no)
