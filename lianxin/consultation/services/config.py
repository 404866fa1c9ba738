"""Meeting types (会议类型): who attends, the quorum and the default vote rule.

They apply to every village of the deployment, so only a `consultation.configure` post at
county level or above changes them (`actor.can_deployment_wide`). Codes never change: the
四议两公开 steps name the types by code (workflow.MATTER_STEPS).
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from lianxin.accounts.actor import Actor
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import Base, Electorate, MeetingType, QuorumRule, Threshold
from lianxin.core.errors import DomainError, PermissionDenied, clean_text

GLOBAL_MESSAGE = "会议类型、法定人数与表决规则对所有村（社区）生效，由县级及以上的组织部门维护"


def can_configure(actor: Actor) -> bool:
    """Whether the actor edits meeting types (a county-or-above `consultation.configure`)."""
    return actor.can_deployment_wide(wf.CONFIGURE)


def _share(value: Decimal | None, *, field: str, label: str, needed: bool) -> Decimal | None:
    if not needed:
        return None
    if value is None:
        raise DomainError(f"请填写{label}", field=field)
    if not Decimal("1") <= value <= Decimal("100"):
        raise DomainError(f"{label}应在1到100之间", field=field)
    return value


@transaction.atomic
def meeting_type_update(
    *,
    actor: Actor,
    meeting_type: MeetingType,
    name: str,
    electorate: str,
    quorum_rule: str,
    quorum_share: Decimal | None,
    quorum_minimum: int,
    threshold: str,
    threshold_share: Decimal | None,
    base: str,
    is_active: bool,
    description: str | None = None,
) -> MeetingType:
    """Change a meeting type; meetings already open keep their frozen electorate size."""
    if not can_configure(actor):
        raise PermissionDenied(GLOBAL_MESSAGE)
    if electorate not in Electorate.values or electorate == Electorate.ATTENDEES:
        raise DomainError("请选择参会人员", field="electorate")
    if quorum_rule not in QuorumRule.values:
        raise DomainError("请选择法定人数规则", field="quorum_rule")
    if threshold not in Threshold.values:
        raise DomainError("请选择默认表决规则", field="threshold")
    if base not in Base.values:
        raise DomainError("请选择默认计票基数", field="base")
    if quorum_minimum < 0:
        raise DomainError("最少到会人数不能为负数", field="quorum_minimum")
    meeting_type.name = clean_text(name, field="name", label="名称", max_length=40)
    meeting_type.electorate = electorate
    meeting_type.quorum_rule = quorum_rule
    meeting_type.quorum_share = _share(
        quorum_share,
        field="quorum_share",
        label="法定人数比例",
        needed=quorum_rule == QuorumRule.SHARE,
    )
    meeting_type.quorum_minimum = quorum_minimum
    meeting_type.threshold = threshold
    meeting_type.threshold_share = _share(
        threshold_share,
        field="threshold_share",
        label="默认通过比例",
        needed=threshold == Threshold.SHARE,
    )
    meeting_type.base = base
    meeting_type.is_active = is_active
    if description is not None:
        meeting_type.description = clean_text(
            description, field="description", label="说明", max_length=300, required=False
        )
    meeting_type.save()
    return meeting_type
