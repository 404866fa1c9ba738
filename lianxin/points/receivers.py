"""Points listen to the apps before them (DESIGN.md dependency order): automatic awards
(services.awards) and accounts following their household.

Every receiver runs inside the transaction of the event (the service's atomic block), so the
points land with the event that earns them ("in the same transaction", STYLE.md); each award
runs in a savepoint (`award_safely`), so a points failure is logged and never breaks closing a
request or recording a visit. Receivers return before any query unless the event can pay.

- `case_closed`: a request (kind 诉求) closed as resolved → the reporter's household earns.
- `errand_done`: an errand's request resolved → the party member behind the acting account
  (PartyMember.user) earns.
- `linkage_visit`: a member's linkage activity of duty 联系走访 → the member earns (off by
  default).
- `meeting_attended`: consultation's `attendance_recorded` signal — an elector signed in at a
  meeting → the household behind it earns (a resident's, or the household of a household
  vote), once per meeting and elector.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from lianxin.cases.models import Case, CaseEvent, Errand
from lianxin.cases.workflow import Kind, Outcome, Status
from lianxin.consultation.models import Attendance
from lianxin.consultation.signals import attendance_recorded
from lianxin.party.models import Duty, LinkageActivity, PartyMember
from lianxin.people.models import Household
from lianxin.points.models import Account
from lianxin.points.services import awards
from lianxin.points.services.accounts import (
    account_for_household,
    account_for_member,
    account_relocate,
    household_labels,
)

logger = logging.getLogger(__name__)


def _case_closed(event: CaseEvent, case: Case) -> None:
    rule = awards.award_rule("case_closed")
    if rule is None or case.reporter_household_id is None:
        return
    household = Household.objects.filter(pk=case.reporter_household_id, is_active=True).first()
    if household is None:
        return
    resident = case.reporter_resident
    if resident is not None and resident.household_id != household.pk:
        resident = None  # moved out since: the household earns, without a contributor
    awards.award_for(
        source="case_closed",
        subject_account=account_for_household(household, rule.scheme),
        source_key=str(case.public_id),
        occurred_on=timezone.localdate(event.created_at),
        resident=resident,
        reason=f"反映的诉求已办结，受理编号 {case.tracking_no}",
    )


def _errand_done(event: CaseEvent, case: Case) -> None:
    rule = awards.award_rule("errand_done")
    if rule is None or event.actor_id is None:
        return
    errand = Errand.objects.filter(case_id=case.pk).first()
    member = (
        PartyMember.objects.filter(user_id=event.actor_id, is_active=True)
        .select_related("organisation__unit")
        .order_by("id")
        .first()
    )
    if errand is None or member is None:
        return  # not an errand, or done by staff who is not a registered party member
    awards.award_for(
        source="errand_done",
        subject_account=account_for_member(member, rule.scheme),
        source_key=str(case.public_id),
        occurred_on=timezone.localdate(event.created_at),
        reason=f"{errand.get_mode_display()}：{errand.service}，受理编号 {case.tracking_no}",
    )


@receiver(post_save, sender=CaseEvent, dispatch_uid="points_award_case_event")
def award_case_event(sender: Any, instance: CaseEvent, created: bool, **kwargs: Any) -> None:
    """A request closed (resolved) or an errand resolved may pay points (see module doc)."""
    if not created or kwargs.get("raw"):
        return
    case = instance.case
    if instance.to_status == Status.CLOSED and instance.from_status != Status.CLOSED:
        if case.kind == Kind.ORDINARY and case.outcome == Outcome.RESOLVED:
            awards.award_safely(
                f"case_closed {case.tracking_no}", lambda: _case_closed(instance, case)
            )
    elif instance.to_status == Status.RESOLVED and instance.from_status != Status.RESOLVED:
        if case.kind == Kind.ERRAND:
            awards.award_safely(
                f"errand_done {case.tracking_no}", lambda: _errand_done(instance, case)
            )


def _linkage_visit(activity: LinkageActivity) -> None:
    rule = awards.award_rule("linkage_visit")
    if rule is None:
        return
    member = PartyMember.objects.select_related("organisation__unit").get(pk=activity.member_id)
    if not member.is_active:
        return
    awards.award_for(
        source="linkage_visit",
        subject_account=account_for_member(member, rule.scheme),
        source_key=str(activity.public_id),
        occurred_on=activity.occurred_on,
        reason="联系走访联系户",
    )


@receiver(post_save, sender=LinkageActivity, dispatch_uid="points_award_linkage_visit")
def award_linkage_visit(
    sender: Any, instance: LinkageActivity, created: bool, **kwargs: Any
) -> None:
    """A recorded linkage visit (联系走访) pays the member when that rule is on."""
    if not created or kwargs.get("raw") or instance.duty != Duty.VISIT:
        return
    if awards.award_rule("linkage_visit") is None:
        return
    awards.award_safely(f"linkage_visit {instance.public_id}", lambda: _linkage_visit(instance))


@receiver(post_save, sender=Household, dispatch_uid="points_household_accounts_follow")
def household_accounts_follow(
    sender: Any, instance: Household, created: bool, **kwargs: Any
) -> None:
    """A household moved (another unit) or renamed (head, door): its accounts follow, so the
    scope, rankings and labels stay true. One query when nothing changed."""
    if created or kwargs.get("raw"):
        return
    rows = list(Account.objects.filter(household_id=instance.pk).values_list("unit_id", "label"))
    if not rows:
        return
    label, _ = household_labels(instance)
    if any(unit_id != instance.unit_id or old != label for unit_id, old in rows):
        account_relocate(instance)


def _meeting_attended(attendance: Attendance) -> None:
    rule = awards.award_rule("meeting_attended")
    if rule is None:
        return
    meeting = attendance.meeting
    key = f"{meeting.public_id}:{attendance.elector_key}"
    day = timezone.localdate(attendance.at)
    reason = f"参加{meeting.meeting_type.name}：{meeting.title}"
    prefix, _, raw = attendance.elector_key.partition(":")
    if prefix in ("member", "user"):
        # Party meetings are organisational life (the party-member scheme's own indicator)
        # and the two committees attend as part of their work.
        return
    if attendance.resident_id is not None:
        resident = attendance.resident
        assert resident is not None
        awards.award_resident(
            source="meeting_attended", resident=resident, key=key, occurred_on=day, reason=reason
        )
        return
    if prefix != "household" or not raw.isdigit():
        return
    household = Household.objects.filter(pk=int(raw), is_active=True).first()
    if household is None:
        return
    awards.award_for(
        source="meeting_attended",
        subject_account=account_for_household(household, rule.scheme),
        source_key=key,
        occurred_on=day,
        reason=reason,
    )


@receiver(attendance_recorded, dispatch_uid="points_award_meeting_attended")
def award_meeting_attended(sender: Any, attendance: Attendance, **kwargs: Any) -> None:
    """An elector signed in at a consultation meeting: the household earns (when the rule
    is on)."""
    if awards.award_rule("meeting_attended") is None:
        return
    awards.award_safely(f"meeting_attended {attendance.pk}", lambda: _meeting_attended(attendance))
