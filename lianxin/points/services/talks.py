"""Reminder talks with low-scoring party members (提醒谈话) and the list that calls for them.

A member whose own score for a year is below `PointsSettings.low_score_threshold` is on the
low-score list; the branch talks with them and records it here. A talk is append-only
(`ReminderTalk`): it keeps the score and the threshold of the moment, so the record stays
true when entries or the threshold change later.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core import clock
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.party.models import PartyMember
from lianxin.points import workflow as wf
from lianxin.points.models import Account, ReminderTalk, SubjectKind
from lianxin.points.scores import account_score, member_own_score_expression
from lianxin.points.services.config import points_settings, scheme_for

SUMMARY_MAX = 2000


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def today() -> dt.date:
    return timezone.localdate(clock.now())


def member_year_score(member: PartyMember, year: int) -> int:
    """The member's own score for the year (0 without an account)."""
    account = Account.objects.filter(
        scheme=scheme_for(SubjectKind.PARTY_MEMBER), member=member
    ).first()
    return 0 if account is None else account_score(account, *year_bounds(year))


def low_scorers(actor: Actor, *, year: int, search: str = "") -> QuerySet[PartyMember]:
    """Members in the actor's points scope whose own score for `year` is below the threshold,
    lowest first, each with `own` (the score) and `talked` (a talk recorded for that year).

    Members without an account score 0, so they are listed: they earned nothing."""
    threshold = points_settings().low_score_threshold
    talks = ReminderTalk.objects.filter(member=OuterRef("pk"), year=year)
    qs = (
        PartyMember.objects.visible_to(actor, wf.VIEW)
        .filter(is_active=True)
        .select_related("organisation__unit")
        .annotate(own=member_own_score_expression(*year_bounds(year)), talked=Exists(talks))
        .filter(own__lt=threshold)
        .order_by("own", "organisation__unit__path", "name", "id")
    )
    if search.strip():
        qs = qs.filter(name__contains=search.strip())
    return qs


def talks_of(member: PartyMember) -> QuerySet[ReminderTalk]:
    """The member's recorded talks, latest first."""
    return ReminderTalk.objects.filter(member=member).select_related("talked_by")


@transaction.atomic
def talk_record(
    *,
    actor: Actor,
    member: PartyMember,
    talked_on: dt.date | None,
    summary: str,
    year: int | None = None,
) -> ReminderTalk:
    """Record a reminder talk with `member` about the score of `year` (default: the year of
    the talk). Needs `points.talk` where the member's organisation is; the summary is
    required and the date may not be in the future."""
    path = member.organisation.unit.path
    if not actor.can(wf.TALK, path):
        raise PermissionDenied("没有登记该党员提醒谈话的权限（党员不在您的管辖范围内）")
    if not member.is_active:
        raise DomainError("该党员已不在册", field="member")
    summary = (summary or "").strip()
    if not summary:
        raise DomainError("请填写谈话内容", field="summary")
    if len(summary) > SUMMARY_MAX:
        raise DomainError(f"谈话内容不能超过 {SUMMARY_MAX} 字", field="summary")
    if talked_on is None:
        raise DomainError("请填写谈话日期", field="talked_on")
    if talked_on > today():
        raise DomainError("谈话日期不能晚于今天", field="talked_on")
    year = year or talked_on.year
    if year > talked_on.year:
        raise DomainError("积分年度不能晚于谈话日期所在年度", field="year")
    talk = ReminderTalk.objects.create(
        member=member,
        year=year,
        score=member_year_score(member, year),
        threshold=points_settings().low_score_threshold,
        talked_on=talked_on,
        talked_by_id=actor.user_id,
        summary=summary,
    )
    # ReminderTalk is append-only and not `Audited`: the trail gets the event explicitly.
    audit_record(
        action=AuditEvent.Action.CREATE,
        obj=talk,
        object_repr=f"提醒谈话：{member.name}（{year}年度 {talk.score} 分）",
        changes={"year": year, "score": talk.score, "talked_on": talked_on.isoformat()},
        scope_path=path,
    )
    return talk
