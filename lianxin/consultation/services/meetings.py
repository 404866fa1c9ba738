"""Meetings: planned → open (sign-in and business) → closed, or cancelled; sign-in and quorum.

Opening a meeting freezes the size of its electorate (`eligible_count`) and shows a six-digit
sign-in code in the room. Staff sign electors in from the roll; a resident signed in with the
phone (cases.services.residents) types the code on the phone. Each elector signs in once (a
unique constraint), and every sign-in is an append-only `Attendance` row sent out as
`signals.attendance_recorded` (points pays the household for attending).

Every state change is a compare-and-set on `version`: two staff pressing "open" at once get
one meeting opened and one clear refusal.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from lianxin.accounts.actor import Actor
from lianxin.consultation import electorate as roll
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import (
    AgendaItem,
    Attendance,
    Electorate,
    Meeting,
    MeetingType,
    Minutes,
    Venue,
)
from lianxin.consultation.services.common import require
from lianxin.consultation.signals import attendance_recorded
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, clean_text
from lianxin.people.models import Resident
from lianxin.territory.models import Unit, UnitKind

Status = Meeting.Status
# NBS division codes: the last three digits 001–199 are residents' committees (communities),
# 200–399 villagers' committees (统计用区划代码编制规则).
COMMUNITY_CODE_LIMIT = 200


def is_community(unit: Unit) -> bool:
    """Whether a village-level unit is an urban community (社区) rather than a village."""
    code = unit.stat_code or ""
    if len(code) == 12 and code[-3:].isdigit():
        return int(code[-3:]) < COMMUNITY_CODE_LIMIT
    return "社区" in unit.display_name or "居民委员会" in unit.name


def meeting_types_for(unit: Unit) -> list[MeetingType]:
    """The active meeting types a village or community holds."""
    qs = MeetingType.objects.filter(is_active=True)
    qs = qs.filter(for_communities=True) if is_community(unit) else qs.filter(for_villages=True)
    return list(qs.order_by("sort_order", "id"))


def meeting_area(meeting: Meeting) -> Unit:
    """The part of the register the meeting's electorate comes from."""
    return meeting.place or meeting.unit


@dataclass(frozen=True)
class Quorum:
    eligible: int
    present: int
    required: int
    rule_label: str

    @property
    def met(self) -> bool:
        return self.present >= self.required

    @property
    def missing(self) -> int:
        return max(self.required - self.present, 0)


def meeting_quorum(meeting: Meeting, *, present: int | None = None) -> Quorum:
    """The live quorum: the frozen electorate size (or today's, before opening) against the
    sign-ins so far."""
    mtype = meeting.meeting_type
    if meeting.eligible_count is not None:
        eligible = meeting.eligible_count
    else:
        eligible = roll.electorate_count(
            meeting_area(meeting), mtype.electorate, on=clock.now().date()
        )
    if present is None:
        present = meeting.attendances.count() if meeting.pk else 0
    required = wf.quorum_required(
        mtype.quorum_rule, eligible, share=mtype.quorum_share, minimum=mtype.quorum_minimum
    )
    label = mtype.get_quorum_rule_display()
    if mtype.quorum_rule == "share" and mtype.quorum_share is not None:
        label = f"应到人数的{mtype.quorum_share.normalize():f}%以上"
    if mtype.quorum_minimum and mtype.quorum_rule == "none":
        label = f"到会不少于{mtype.quorum_minimum}人"
    elif mtype.quorum_minimum:
        label += f"，且不少于{mtype.quorum_minimum}人"
    return Quorum(eligible=eligible, present=present, required=required, rule_label=label)


def _check_fields(
    *, unit: Unit, meeting_type: MeetingType, venue: Venue | None, place: Unit | None
) -> None:
    if unit.kind != UnitKind.VILLAGE:
        raise DomainError("议事会议由村（社区）召开", field="unit")
    if not meeting_type.is_active or meeting_type not in meeting_types_for(unit):
        raise DomainError(f"“{meeting_type.name}”不适用于{unit.display_name}", field="meeting_type")
    if venue is not None and (venue.unit_id != unit.pk or not venue.is_active):
        raise DomainError("请选择本村（社区）在用的议事场所", field="venue")
    if place is not None and not place.path.startswith(unit.path):
        raise DomainError("网格/楼院须在本村（社区）内", field="place")
    if meeting_type.electorate == Electorate.ATTENDEES:
        raise DomainError("会议类型的参会人员不能是“到会人员”", field="meeting_type")


@transaction.atomic
def meeting_create(
    *,
    actor: Actor,
    unit: Unit,
    meeting_type: MeetingType,
    title: str,
    starts_at: dt.datetime,
    venue: Venue | None = None,
    place: Unit | None = None,
    host_label: str = "",
    is_public: bool = True,
) -> Meeting:
    """Announce a meeting (会议预告): it shows on the residents' page while planned."""
    require(actor, wf.RUN, unit.path, "没有在该村（社区）组织议事会议的权限")
    _check_fields(unit=unit, meeting_type=meeting_type, venue=venue, place=place)
    return Meeting.objects.create(
        unit=unit,
        meeting_type=meeting_type,
        venue=venue,
        place=place,
        title=clean_text(title, field="title", label="会议名称", max_length=100),
        starts_at=starts_at,
        host_id=actor.user_id,
        host_label=clean_text(
            host_label or actor.display_name,
            field="host_label",
            label="主持人",
            max_length=60,
            required=False,
        ),
        is_public=is_public,
    )


def _move(
    meeting: Meeting, *, action: str, expected_version: int | None, **changes: Any
) -> Meeting:
    if meeting.status not in wf.MEETING_MOVES[action]:
        raise DomainError(f"会议当前为“{Status(meeting.status).label}”，不能进行此操作")
    version = meeting.version if expected_version is None else expected_version
    changes["updated_at"] = clock.now()
    updated = Meeting.objects.filter(pk=meeting.pk, version=version).update(
        version=version + 1, **changes
    )
    if not updated:
        raise Conflict("会议刚刚有变化，请刷新页面后再操作")
    for name, value in changes.items():
        setattr(meeting, name, value)
    meeting.version = version + 1
    return meeting


@transaction.atomic
def meeting_update(
    *,
    actor: Actor,
    meeting: Meeting,
    title: str,
    starts_at: dt.datetime,
    venue: Venue | None,
    host_label: str = "",
    expected_version: int | None = None,
) -> Meeting:
    """Change a planned meeting's announcement."""
    require(actor, wf.RUN, meeting.unit.path)
    _check_fields(
        unit=meeting.unit, meeting_type=meeting.meeting_type, venue=venue, place=meeting.place
    )
    return _move(
        meeting,
        action="update",
        expected_version=expected_version,
        title=clean_text(title, field="title", label="会议名称", max_length=100),
        starts_at=starts_at,
        venue=venue,
        host_label=clean_text(
            host_label, field="host_label", label="主持人", max_length=60, required=False
        ),
    )


def _new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


@transaction.atomic
def meeting_open(*, actor: Actor, meeting: Meeting, expected_version: int | None = None) -> Meeting:
    """Open sign-in and business: the electorate's size is frozen now."""
    require(actor, wf.RUN, meeting.unit.path)
    eligible = roll.electorate_count(
        meeting_area(meeting), meeting.meeting_type.electorate, on=clock.now().date()
    )
    if eligible == 0:
        raise DomainError(
            f"本村（社区）登记的“{meeting.meeting_type.get_electorate_display()}”为0人，无法召开"
        )
    meeting = _move(
        meeting,
        action="open",
        expected_version=expected_version,
        status=Status.OPEN,
        eligible_count=eligible,
        opened_at=clock.now(),
        signin_code=_new_code(),
    )
    Minutes.objects.get_or_create(meeting=meeting, defaults={"recorder_label": actor.display_name})
    return meeting


@transaction.atomic
def meeting_code_renew(*, actor: Actor, meeting: Meeting) -> str:
    """A new sign-in code (e.g. when the old one was passed around outside the room)."""
    require(actor, wf.RUN, meeting.unit.path)
    if meeting.status != Status.OPEN:
        raise DomainError("会议未在进行中")
    code = _new_code()
    Meeting.objects.filter(pk=meeting.pk).update(signin_code=code, updated_at=clock.now())
    meeting.signin_code = code
    return code


@transaction.atomic
def meeting_close(
    *, actor: Actor, meeting: Meeting, expected_version: int | None = None
) -> Meeting:
    """End the meeting; a vote still open must be closed first."""
    require(actor, wf.RUN, meeting.unit.path)
    if AgendaItem.objects.filter(meeting=meeting, status=wf.VOTING).exists():
        raise DomainError("还有议题正在表决，请先结束表决")
    return _move(
        meeting,
        action="close",
        expected_version=expected_version,
        status=Status.CLOSED,
        closed_at=clock.now(),
        ends_at=meeting.ends_at or clock.now(),
        signin_code="",
    )


@transaction.atomic
def meeting_cancel(
    *, actor: Actor, meeting: Meeting, reason: str, expected_version: int | None = None
) -> Meeting:
    """Call off a planned meeting, with the reason residents will read."""
    require(actor, wf.RUN, meeting.unit.path)
    reason = clean_text(reason, field="reason", label="取消原因", max_length=200)
    meeting = _move(
        meeting,
        action="cancel",
        expected_version=expected_version,
        status=Status.CANCELLED,
        cancel_reason=reason,
    )
    # Items scheduled on it go back to their proposals' queue.
    from lianxin.consultation.services.proposals import proposals_unschedule

    proposals_unschedule(meeting=meeting)
    return meeting


def _attend(
    meeting: Meeting,
    elector: roll.Elector,
    *,
    method: str,
    recorded_by: int | None,
    resident_id: int | None = None,
) -> Attendance:
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(
                meeting=meeting,
                elector_key=elector.key,
                label=elector.label[:60],
                # A household's vote signed in by one of its residents names that resident.
                resident_id=resident_id or elector.resident_id,
                method=method,
                recorded_by_id=recorded_by,
                at=clock.now(),
            )
    except IntegrityError as exc:
        raise DomainError(f"{elector.label}已签到", field="elector") from exc
    attendance_recorded.send(sender=Attendance, attendance=attendance)
    return attendance


def _require_open(meeting: Meeting) -> None:
    if meeting.status != Status.OPEN:
        raise DomainError(f"会议{Status(meeting.status).label}，不能签到")


@transaction.atomic
def attendance_record(*, actor: Actor, meeting: Meeting, elector_key: str) -> Attendance:
    """Staff sign an elector in from the roll."""
    require(actor, wf.RUN, meeting.unit.path)
    _require_open(meeting)
    elector = roll.elector_by_key(
        meeting_area(meeting), meeting.meeting_type.electorate, elector_key, on=clock.now().date()
    )
    if elector is None:
        raise DomainError("不在本次会议的参会人员范围内", field="elector")
    return _attend(meeting, elector, method=Attendance.Method.STAFF, recorded_by=actor.user_id)


@transaction.atomic
def attendance_record_many(
    *, actor: Actor, meeting: Meeting, elector_keys: Sequence[str]
) -> tuple[int, list[str]]:
    """Sign several electors in at once (the roll's check boxes). Returns how many were
    signed in and, by name, those refused (already in, not in the electorate)."""
    done, refused = 0, []
    for key in elector_keys:
        try:
            attendance_record(actor=actor, meeting=meeting, elector_key=key)
            done += 1
        except DomainError as exc:
            refused.append(exc.message)
    return done, refused


@transaction.atomic
def attendance_by_code(*, meeting: Meeting, code: str, residents: Sequence[Resident]) -> Attendance:
    """A resident signed in with the phone types the code shown in the room."""
    _require_open(meeting)
    code = (code or "").strip()
    if not meeting.signin_code or not secrets.compare_digest(code, meeting.signin_code):
        raise DomainError("签到码不正确，请核对会场显示的6位签到码", field="code")
    today = clock.now().date()
    area = meeting_area(meeting)
    for resident in residents:
        elector = roll.elector_for_resident(
            area, meeting.meeting_type.electorate, resident, on=today
        )
        if elector is not None:
            return _attend(
                meeting,
                elector,
                method=Attendance.Method.CODE,
                recorded_by=None,
                resident_id=resident.pk,
            )
    raise DomainError(
        f"您不在本次会议（{meeting.meeting_type.get_electorate_display()}）的参会人员范围内"
    )
