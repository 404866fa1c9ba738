"""Dispute mediation (排查—化解—回访, DOMAIN.md §4): find a dispute, resolve it at a home
visit or a meeting, then revisit to check the agreement holds.

A mediation is a request of kind `mediation` (filed through `intake.case_file`, dispatched to
a mediation team through `lifecycle.case_assign`) plus a `Mediation` row with its parties and
append-only sessions. Reaching an agreement resolves the request (the agreement is its result)
and schedules the revisit `CaseSettings.mediation_revisit_days` later; the revisit is the
request's follow-up (回访): stable → 满意, unstable → 不满意, which reopens it.

Parties' phones are protected like every phone (invariant 3): stored encrypted, shown masked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.accounts.permissions import Perm
from lianxin.cases import workflow as wf
from lianxin.cases.models import (
    Case,
    Category,
    Mediation,
    MediationParty,
    MediationSession,
    MediationTeam,
)
from lianxin.cases.selectors import cases_for
from lianxin.cases.services import intake, lifecycle
from lianxin.cases.services.config import case_settings
from lianxin.cases.services.errands import self_handle
from lianxin.cases.workflow import Action, Channel, Kind, Level, Satisfaction, Status
from lianxin.core import clock, crypto
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.people.models import Resident
from lianxin.territory.models import Unit

ROLES: dict[str, str] = dict(MediationParty._meta.get_field("role").choices or [])  # type: ignore[arg-type]
SESSION_MODES: dict[str, str] = dict(
    MediationSession._meta.get_field("mode").choices or []  # type: ignore[arg-type]
)
MAX_PARTIES = 10
MAX_DISPUTE_KIND = 40
DISPUTE_ROOT = "disputes"  # the category whose children are the dispute kinds offered


@dataclass(frozen=True)
class PartyInput:
    """A party as typed on the form; `resident_id` links a registered resident."""

    name: str
    phone: str = ""
    role: str = "applicant"
    resident_id: int | None = None


def _now() -> dt.datetime:
    return clock.now()


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != case.version:
        raise Conflict("该调解刚刚有变化，请刷新页面查看最新状态后再操作")


def _clean_parties(actor: Actor, parties: Sequence[PartyInput]) -> list[PartyInput]:
    from lianxin.people.services import validate_phone

    cleaned: list[PartyInput] = []
    for i, p in enumerate(parties):
        name = (p.name or "").strip()
        if not name and not (p.phone or "").strip():
            continue  # an empty row of the form
        if not name:
            raise DomainError(f"第{i + 1}位当事人：请填写姓名", field=f"parties.{i}.name")
        if len(name) > 50:
            raise DomainError(f"第{i + 1}位当事人：姓名最多50字", field=f"parties.{i}.name")
        if p.role not in ROLES:
            raise DomainError(f"第{i + 1}位当事人：请选择身份", field=f"parties.{i}.role")
        try:
            phone = validate_phone(p.phone or "")
        except DomainError as exc:
            raise DomainError(
                f"第{i + 1}位当事人：{exc.message}", field=f"parties.{i}.phone"
            ) from exc
        if p.resident_id is not None:
            visible = Resident.objects.visible_to(actor, Perm.PEOPLE_VIEW).filter(
                pk=p.resident_id, is_active=True
            )
            if not visible.exists():
                raise DomainError(
                    f"第{i + 1}位当事人：居民不在您的辖区", field=f"parties.{i}.resident"
                )
        cleaned.append(PartyInput(name=name, phone=phone, role=p.role, resident_id=p.resident_id))
    if len(cleaned) > MAX_PARTIES:
        raise DomainError(f"当事人最多{MAX_PARTIES}位", field="parties")
    roles = {p.role for p in cleaned}
    if not {"applicant", "respondent"} <= roles:
        raise DomainError("请至少填写一位申请方和一位被申请方", field="parties")
    return cleaned


def _check_team(actor: Actor, team: MediationTeam, place_path: str) -> None:
    if not actor.can(wf.DISPATCH, place_path):
        raise PermissionDenied("没有派遣调解组织的权限，请由社区派遣", field="team")
    visible = MediationTeam.objects.visible_to(actor).filter(pk=team.pk, is_active=True)
    if not visible.exists():
        raise DomainError("请选择本辖区在用的调解组织", field="team")


def _dispatch(*, case: Case, actor: Actor, team: MediationTeam) -> None:
    # The team's unit is the handling unit, so its staff can act on the request.
    lifecycle.case_assign(
        case=case,
        actor=actor,
        team=team,
        handler_unit=team.unit,
        note=f"派至{team.name}调解",
    )


@transaction.atomic
def mediation_open(
    *,
    actor: Actor,
    unit: Unit,
    dispute_kind: str,
    description: str,
    parties: Sequence[PartyInput],
    team: MediationTeam | None = None,
    channel: str = Channel.VISIT,
    category: Category | None = None,
) -> Mediation:
    """排查: register a dispute found at `unit` with its parties; with `team`, dispatch it to
    that mediation team at once (needs cases.dispatch at the place)."""
    dispute_kind = (dispute_kind or "").strip()
    if not dispute_kind:
        raise DomainError("请选择纠纷类型", field="dispute_kind")
    if len(dispute_kind) > MAX_DISPUTE_KIND:
        raise DomainError(f"纠纷类型最多{MAX_DISPUTE_KIND}字", field="dispute_kind")
    cleaned = _clean_parties(actor, parties)
    if team is not None:
        _check_team(actor, team, unit.path)
    # Mediation is the community's work whatever the category's default level (a family
    # dispute is 私事 when a resident asks for advice, not when it needs mediating).
    case = intake.case_file(
        actor=actor,
        unit=unit,
        description=description,
        channel=channel,
        category=category,
        level=Level.SMALL,
        kind=Kind.MEDIATION,
    ).case
    mediation = Mediation.objects.create(case=case, dispute_kind=dispute_kind)
    for p in cleaned:
        party = MediationParty(
            mediation=mediation, role=p.role, name=p.name, resident_id=p.resident_id
        )
        crypto.assign(party, "phone", crypto.protect_phone(p.phone) if p.phone else None)
        party.save()
    if team is not None:
        _dispatch(case=case, actor=actor, team=team)
    return mediation


@transaction.atomic
def mediation_dispatch(
    *,
    actor: Actor,
    mediation: Mediation,
    team: MediationTeam,
    expected_version: int | None = None,
) -> Mediation:
    """Send a registered dispute to a mediation team (or to another one)."""
    case = mediation.case
    _check_version(case, expected_version)
    _check_team(actor, team, case.place_path)
    _dispatch(case=case, actor=actor, team=team)
    return mediation


@transaction.atomic
def mediation_session_record(
    *,
    actor: Actor,
    mediation: Mediation,
    mode: str,
    mediators: str,
    note: str,
    held_at: dt.datetime | None = None,
) -> MediationSession:
    """化解: one home visit, meeting or phone call (append-only)."""
    case = mediation.case
    lifecycle.require(actor, case, wf.HANDLE, "没有办理该调解的权限")
    if not case.is_open:
        raise DomainError("该调解已结束，不能再登记调解记录")
    if mode not in SESSION_MODES:
        raise DomainError("请选择入户调解、会议调解或电话沟通", field="mode")
    mediators = (mediators or "").strip()
    if not mediators:
        raise DomainError("请填写调解人", field="mediators")
    if len(mediators) > 200:
        raise DomainError("调解人最多200字", field="mediators")
    note = (note or "").strip()
    if not note:
        raise DomainError("请填写调解情况", field="note")
    now = _now()
    held_at = held_at or now
    if held_at > now + dt.timedelta(minutes=10):
        raise DomainError("调解时间不能晚于现在", field="held_at")
    if held_at < case.received_at - dt.timedelta(days=30):
        raise DomainError("调解时间不能早于登记前30天", field="held_at")
    session = MediationSession.objects.create(
        mediation=mediation,
        held_at=held_at,
        mode=mode,
        mediators=mediators,
        note=note,
        recorded_by_id=actor.user_id,
    )
    # The request's own timeline shows the session too (internal: disputes are private).
    lifecycle.case_note(
        case=case, actor=actor, note=f"{SESSION_MODES[mode]}（{mediators}）：{note}"
    )
    return session


@transaction.atomic
def mediation_conclude(
    *,
    actor: Actor,
    mediation: Mediation,
    agreement_reached: bool,
    agreement: str,
    photos: Sequence[UploadedFile] = (),
    expected_version: int | None = None,
) -> Mediation:
    """End the mediation. With an agreement the request is resolved (the agreement is its
    result) and the revisit is due in `mediation_revisit_days`; without one the request stays
    open for staff to whistle it up or return it."""
    case = mediation.case
    lifecycle.require(actor, case, wf.HANDLE, "没有办理该调解的权限")
    _check_version(case, expected_version)
    if not case.is_open:
        raise DomainError("该调解已结束")
    agreement = (agreement or "").strip()
    if not agreement:
        message = "请填写调解协议或结果" if agreement_reached else "请说明未能达成协议的原因"
        raise DomainError(message, field="agreement")
    if not mediation.sessions.exists():
        raise DomainError("请先登记至少一次调解（入户、会议或电话）", field="agreement")
    now = _now()
    fields: dict[str, Any] = {
        "agreement_reached": agreement_reached,
        "agreement": agreement,
        "concluded_at": now,
        "revisit_due_on": None,
        "revisited_at": None,
        "revisit_note": "",
        "revisit_stable": None,
    }
    if agreement_reached:
        self_handle(case=case, actor=actor, note="调解员接手调解")
        lifecycle.case_resolve(case=case, actor=actor, result=agreement, photos=photos)
        days = case_settings().mediation_revisit_days
        fields["revisit_due_on"] = timezone.localdate(now) + dt.timedelta(days=days)
    else:
        lifecycle.case_note(case=case, actor=actor, note=f"调解未达成协议：{agreement}")
    Mediation.objects.filter(pk=mediation.pk).update(**fields)
    for key, value in fields.items():
        setattr(mediation, key, value)
    return mediation


@transaction.atomic
def mediation_revisit(
    *,
    actor: Actor,
    mediation: Mediation,
    stable: bool,
    note: str = "",
    satisfaction: str | None = None,
    expected_version: int | None = None,
) -> Mediation:
    """回访 after an agreement: does it hold? While the request awaits its follow-up the
    revisit is that follow-up (stable → 满意 unless `satisfaction` says otherwise; unstable →
    不满意, which reopens the request for another round of mediation)."""
    case = mediation.case
    lifecycle.require(actor, case, wf.HANDLE, "没有办理该调解的权限")
    _check_version(case, expected_version)
    if mediation.agreement_reached is not True:
        raise DomainError("达成调解协议后才能回访")
    if mediation.revisited_at is not None:
        raise DomainError("本次调解已回访")
    note = (note or "").strip()
    if not stable and not note:
        raise DomainError("请说明协议履行中出现的问题", field="note")
    if stable:
        satisfaction = satisfaction or Satisfaction.SATISFIED
        if satisfaction not in Satisfaction.values:
            raise DomainError("请选择满意、基本满意或不满意", field="satisfaction")
        if satisfaction == Satisfaction.UNSATISFIED and not note:
            raise DomainError("不满意时请说明原因", field="note")
    else:
        satisfaction = Satisfaction.UNSATISFIED
    now = _now()
    comment = note or "回访：双方履行调解协议，关系稳定"
    if case.status == Status.RESOLVED:
        lifecycle.case_follow_up(case=case, actor=actor, satisfaction=satisfaction, comment=comment)
    elif wf.can_take(Action.NOTE, case.status):
        lifecycle.case_note(
            case=case,
            actor=actor,
            note=("调解回访：关系稳定。" if stable else "调解回访：出现反复。") + (note or ""),
        )
    fields: dict[str, Any] = {
        "revisited_at": now,
        "revisit_note": note,
        "revisit_stable": stable,
    }
    Mediation.objects.filter(pk=mediation.pk).update(**fields)
    for key, value in fields.items():
        setattr(mediation, key, value)
    return mediation


# --- reads -----------------------------------------------------------------------------------


def dispute_categories() -> QuerySet[Category]:
    """The dispute kinds offered on the form: active children of the disputes category."""
    return Category.objects.filter(parent__code=DISPUTE_ROOT, is_active=True).order_by(
        "sort_order", "code"
    )


def teams_for(actor: Actor) -> QuerySet[MediationTeam]:
    """Active mediation teams the actor may pick."""
    return (
        MediationTeam.objects.visible_to(actor)
        .filter(is_active=True)
        .select_related("unit")
        .order_by("unit__path", "name")
    )


def mediations_for(actor: Actor) -> QuerySet[Case]:
    """Mediation requests in the actor's scope, with what the list and detail pages show."""
    return (
        cases_for(actor)
        .filter(kind=Kind.MEDIATION, mediation__isnull=False)
        .select_related("mediation", "unit", "handler_unit", "handler_team", "assignee")
    )


def mediation_get(actor: Actor, *, public_id: object) -> Case:
    """One mediation request (by the request's public id) in scope, or 404."""
    from django.core.exceptions import ValidationError
    from django.http import Http404

    try:
        return mediations_for(actor).get(public_id=str(public_id))
    except (Case.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404("不存在或无权访问") from exc


def is_handler(actor: Actor, case: Case) -> bool:
    """Whether the actor handles the request, decided without a query (lists call it per row:
    the handling unit must be select_related). Department handling does not apply here."""
    if actor.can(wf.HANDLE, case.place_path):
        return True
    if case.handler_unit_id and case.handler_unit and actor.can(wf.HANDLE, case.handler_unit.path):
        return True
    return case.assignee_id is not None and case.assignee_id == actor.user_id


@dataclass(frozen=True)
class MediationStats:
    """A unit's mediations over a period: opened (registered), concluded and with agreement
    (by conclusion time), revisited and found stable (by revisit time)."""

    opened: int
    concluded: int
    agreed: int
    revisited: int
    stable: int

    @property
    def success_rate(self) -> float | None:
        """Concluded with agreement / concluded (None when nothing was concluded)."""
        return round(self.agreed / self.concluded, 4) if self.concluded else None


def _bounds(date_from: dt.date, date_to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = timezone.make_aware(dt.datetime.combine(date_from, dt.time.min))
    end = timezone.make_aware(dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min))
    return start, end


def mediation_stats(*, unit: Unit, date_from: dt.date, date_to: dt.date) -> MediationStats:
    """Mediation figures for `unit` (its whole subtree, by place path) from `date_from` to
    `date_to` inclusive, local dates. Pure read, one query; the caller checks scope."""
    start, end = _bounds(date_from, date_to)
    concluded = Q(concluded_at__gte=start, concluded_at__lt=end)
    revisited = Q(revisited_at__gte=start, revisited_at__lt=end)
    row = Mediation.objects.filter(case__place_path__startswith=unit.path).aggregate(
        opened=Count("pk", filter=Q(case__received_at__gte=start, case__received_at__lt=end)),
        concluded=Count("pk", filter=concluded),
        agreed=Count("pk", filter=concluded & Q(agreement_reached=True)),
        revisited=Count("pk", filter=revisited),
        stable=Count("pk", filter=revisited & Q(revisit_stable=True)),
    )
    return MediationStats(**{k: int(v or 0) for k, v in row.items()})
