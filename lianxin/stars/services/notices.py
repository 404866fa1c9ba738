"""Public notices (公示), objections, awards and withdrawals.

- `notice_publish`: the county task force publishes a township's approved declarations of a
  year in one `PublicNotice` (numbered, starting today or tomorrow, lasting the county's
  `CreationSettings.notice_days`, with the phone that takes objections); each declaration
  → notice.
- `objection_record` / `objection_answer`: during the notice, township or county staff record
  objections received (channel, date, content, optionally who) and answer each once
  (answer text, upheld or not).
- `notice_close`: after the last day (never before), by the task force or the daily task
  (stars.tasks): a declaration without objection, or whose objections were all dismissed, is
  awarded (a `StarAward`; a progress star with the county's award amount); one with an upheld
  objection is rejected with the answer as reason; one with an objection still unanswered
  stays in the notice (blocking) and the notice stays open until it is answered and closed
  again.
- `award_withdraw`: the task force withdraws an awarded star with a reason (once).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F

from lianxin.accounts.actor import Actor
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied, clean_text
from lianxin.core.pdf import print_date
from lianxin.stars import workflow as wf
from lianxin.stars.models import Declaration, Objection, PublicNotice, StarAward
from lianxin.stars.models.declarations import DeclarationKind
from lianxin.stars.services.catalog import county_of, settings_ensure
from lianxin.stars.services.declarations import Action, Stage, Status, move, require, what
from lianxin.territory.models import Unit, UnitKind

logger = logging.getLogger(__name__)
NoticeStatus = PublicNotice.Status
Channel = Objection.Channel
CONTENT_MAX = 2000
ANSWER_MAX = 2000
REASON_MAX = 300


def notice_title(township: Unit, year: int) -> str:
    return f"{township.display_name}{year}年度“五星”支部创建拟认定名单公示"


def notice_number(county: Unit, year: int, seq: int) -> str:
    return f"{county.display_name}创星公示〔{year}〕{seq}号"


def period_text(notice: PublicNotice) -> str:
    """自2026年5月2日至2026年5月6日（5天）."""
    days = (notice.ends_on - notice.starts_on).days + 1
    return f"自{print_date(notice.starts_on)}至{print_date(notice.ends_on)}（{days}天）"


def notice_over(notice: PublicNotice, today: dt.date | None = None) -> bool:
    """Whether the notice's last day has passed (it may be closed)."""
    return (today or clock.today()) > notice.ends_on


def _require_notice_staff(actor: Actor | None, path: str) -> None:
    """Objections are recorded and answered by the township or the county task force."""
    if actor is None or not (
        actor.can(wf.REVIEW_TOWNSHIP, path) or actor.can(wf.REVIEW_COUNTY, path)
    ):
        raise PermissionDenied("没有登记或答复该公示异议的权限")


@transaction.atomic
def notice_publish(
    *,
    actor: Actor,
    township: Unit,
    year: int,
    contact: str,
    starts_on: dt.date | None = None,
) -> PublicNotice:
    """Publish every approved declaration of `township` for `year` in one notice."""
    if township.kind != UnitKind.TOWNSHIP:
        raise DomainError("公示按乡镇（街道）发布，请选择乡镇（街道）", field="township")
    require(actor, wf.REVIEW_COUNTY, township.path, "没有发布该乡镇（街道）公示的权限")
    today = clock.today()
    starts_on = starts_on or today + dt.timedelta(days=1)
    if starts_on not in (today, today + dt.timedelta(days=1)):
        raise DomainError("公示自今天或明天开始", field="starts_on")
    contact = clean_text(contact, field="contact", label="受理异议电话", max_length=40)
    declarations = list(
        Declaration.objects.filter(
            unit__path__startswith=township.path, year=year, status=Status.APPROVED
        )
        .select_related("unit", "star")
        .order_by("unit__path", "kind", "star__sort_order", "id")
    )
    if not declarations:
        raise DomainError(
            f"{township.display_name}{year}年度没有专班审核通过、待公示的申报", field="township"
        )
    county = county_of(township)
    days = settings_ensure(county=county, year=year).notice_days
    ends_on = starts_on + dt.timedelta(days=days - 1)
    notice = None
    for _attempt in range(3):
        seq = PublicNotice.objects.filter(township__path__startswith=county.path, year=year).count()
        try:
            with transaction.atomic():
                notice = PublicNotice.objects.create(
                    township=township,
                    year=year,
                    number=notice_number(county, year, seq + 1),
                    title=notice_title(township, year),
                    starts_on=starts_on,
                    ends_on=ends_on,
                    contact=contact,
                    published_by_id=actor.user_id,
                )
            break
        except IntegrityError:  # another notice took the number: count again
            continue
    if notice is None:
        raise Conflict("公示编号冲突，请重试")
    note = f"{notice.number}，公示期{period_text(notice)}"
    for declaration in declarations:
        move(
            declaration,
            move="publish",
            to_status=Status.NOTICE,
            actor=actor,
            stage=Stage.NOTICE,
            action=Action.PUBLISHED,
            reason=note,
            notice=notice,
        )
    return notice


@transaction.atomic
def objection_record(
    *,
    actor: Actor,
    declaration: Declaration,
    channel: str,
    received_on: dt.date,
    content: str,
    objector: str = "",
    expected_version: int | None = None,
) -> Objection:
    """Record an objection to a declaration in notice (phone, letter, visit, online)."""
    _require_notice_staff(actor, declaration.unit.path)
    if not wf.can_move("object", declaration.status) or declaration.notice_id is None:
        raise DomainError("只有公示中的申报才能登记异议", field="declaration")
    notice = declaration.notice
    assert notice is not None
    if channel not in Channel.values:
        raise DomainError("请选择异议渠道", field="channel")
    if not isinstance(received_on, dt.date):
        raise DomainError("请填写收到日期", field="received_on")
    # A notice is published on its first day or the day before (it starts today or tomorrow).
    first = notice.starts_on - dt.timedelta(days=1)
    if received_on > clock.today():
        raise DomainError("收到日期不能晚于今天", field="received_on")
    if not first <= received_on <= notice.ends_on:
        raise DomainError(f"异议须在公示期内收到（{period_text(notice)}）", field="received_on")
    content = clean_text(content, field="content", label="异议内容", max_length=CONTENT_MAX)
    objector = clean_text(objector, field="objector", label="反映人", max_length=40, required=False)
    objection = Objection.objects.create(
        declaration=declaration,
        notice=notice,
        channel=channel,
        received_on=received_on,
        objector=objector,
        content=content,
        recorded_by_id=actor.user_id,
    )
    move(
        declaration,
        move="object",
        to_status=Status.NOTICE,
        actor=actor,
        stage=Stage.NOTICE,
        action=Action.OBJECTED,
        reason=f"{Channel(channel).label}反映：{content}"[:500],
        expected_version=expected_version,
    )
    return objection


@transaction.atomic
def objection_answer(
    *, actor: Actor, objection: Objection, answer: str, upheld: bool | None
) -> Objection:
    """Answer an objection once, after checking it: upheld (the star will not be awarded) or
    not (it does not stand in the way)."""
    declaration = objection.declaration
    _require_notice_staff(actor, declaration.unit.path)
    if objection.answered_at is not None:
        raise DomainError("该异议已答复，不能再次答复")
    if not wf.can_move("object", declaration.status):
        raise DomainError("该申报已不在公示中，不能答复异议")
    if upheld is None:
        raise DomainError("请选择异议是否成立", field="upheld")
    answer = clean_text(answer, field="answer", label="核查答复", max_length=ANSWER_MAX)
    now = clock.now()
    updated = Objection.objects.filter(pk=objection.pk, answered_at__isnull=True).update(
        answer=answer,
        upheld=bool(upheld),
        answered_at=now,
        answered_by_id=actor.user_id,
        updated_at=now,
    )
    if not updated:
        raise Conflict("该异议刚刚已被答复，请刷新页面")
    objection.answer, objection.upheld, objection.answered_at = answer, bool(upheld), now
    objection.answered_by_id = actor.user_id
    audit_record(
        action=AuditEvent.Action.UPDATE,
        obj=objection,
        changes={"upheld": {"old": None, "new": bool(upheld)}, "answer": {"new": answer[:200]}},
        scope_path=declaration.unit.path,
    )
    move(
        declaration,
        move="object",
        to_status=Status.NOTICE,
        actor=actor,
        stage=Stage.NOTICE,
        action=Action.ANSWERED,
        reason=f"异议{'成立' if upheld else '不成立'}：{answer}"[:500],
    )
    return objection


@dataclass
class CloseResult:
    notice: PublicNotice
    awarded: list[Declaration] = field(default_factory=list)
    rejected: list[Declaration] = field(default_factory=list)
    blocking: list[Declaration] = field(default_factory=list)

    @property
    def closed(self) -> bool:
        return self.notice.status == NoticeStatus.CLOSED


@transaction.atomic
def notice_close(*, actor: Actor | None, notice: PublicNotice) -> CloseResult:
    """End a notice after its last day: award, reject, or keep (an open objection) each of
    its declarations still in notice. `actor` None is the daily task."""
    if actor is not None:
        require(actor, wf.REVIEW_COUNTY, notice.township.path, "没有结束该公示的权限")
    if notice.status == NoticeStatus.CLOSED:
        raise DomainError("该公示已结束")
    today = clock.today()
    if not notice_over(notice, today):
        raise DomainError(f"公示期至{print_date(notice.ends_on)}，期满后才能结束公示并授星")
    declarations = list(
        Declaration.objects.filter(notice=notice, status=Status.NOTICE)
        .select_related("unit", "star")
        .order_by("unit__path", "id")
    )
    objections: dict[int, list[Objection]] = defaultdict(list)
    for o in Objection.objects.filter(declaration__in=declarations).order_by("id"):
        objections[o.declaration_id].append(o)
    amount = settings_ensure(county=county_of(notice.township), year=notice.year).progress_award
    result = CloseResult(notice)
    for declaration in declarations:
        found = objections.get(declaration.pk, [])
        if any(o.upheld is None for o in found):
            result.blocking.append(declaration)
            continue
        upheld = [o for o in found if o.upheld]
        if upheld:
            reason = ("异议成立：" + "；".join(o.answer for o in upheld))[:500]
            move(
                declaration,
                move="reject",
                to_status=Status.REJECTED,
                actor=actor,
                stage=Stage.NOTICE,
                action=Action.REJECTED,
                reason=reason,
                last_reason=reason,
            )
            result.rejected.append(declaration)
            continue
        note = "公示期满无异议" if not found else "公示期满，异议经核查不成立"
        move(
            declaration,
            move="award",
            to_status=Status.AWARDED,
            actor=actor,
            stage=Stage.NOTICE,
            action=Action.AWARDED,
            reason=note,
        )
        progress = declaration.kind == DeclarationKind.PROGRESS
        StarAward.objects.create(
            unit=declaration.unit,
            year=declaration.year,
            kind=declaration.kind,
            star=declaration.star,
            star_code=declaration.star.code if declaration.star is not None else "",
            declaration=declaration,
            awarded_on=today,
            amount=amount if progress else None,
        )
        result.awarded.append(declaration)
    if not result.blocking:
        now = clock.now()
        updated = PublicNotice.objects.filter(
            pk=notice.pk, version=notice.version, status=NoticeStatus.OPEN
        ).update(status=NoticeStatus.CLOSED, closed_at=now, version=F("version") + 1)
        if not updated:
            raise Conflict("该公示刚刚有变化，请刷新页面后再操作")
        notice.status, notice.closed_at, notice.version = (
            NoticeStatus.CLOSED,
            now,
            notice.version + 1,
        )
        audit_record(
            action=AuditEvent.Action.UPDATE,
            obj=notice,
            changes={"status": {"old": NoticeStatus.OPEN, "new": NoticeStatus.CLOSED}},
            scope_path=notice.township.path,
        )
    return result


def notices_close_due(*, today: dt.date | None = None) -> list[CloseResult]:
    """The daily task's work: close every open notice whose last day has passed. Each notice
    in its own transaction; one that cannot close now (a concurrent change) is tried again
    the next day."""
    today = today or clock.today()
    results = []
    due = PublicNotice.objects.filter(status=NoticeStatus.OPEN, ends_on__lt=today).select_related(
        "township"
    )
    for notice in due.order_by("ends_on", "id"):
        try:
            results.append(notice_close(actor=None, notice=notice))
        except DomainError as exc:
            logger.warning("notice %s not closed: %s", notice.number, exc.message)
    return results


@transaction.atomic
def award_withdraw(
    *,
    actor: Actor,
    declaration: Declaration,
    reason: str,
    expected_version: int | None = None,
) -> StarAward:
    """撤星: withdraw an awarded star with a reason; the award keeps its row with the date and
    the reason (set once), the declaration ends withdrawn."""
    require(actor, wf.REVIEW_COUNTY, declaration.unit.path, "没有撤销该村（社区）星级的权限")
    reason = clean_text(reason, field="reason", label="撤星原因", max_length=REASON_MAX)
    award = StarAward.objects.filter(declaration=declaration).first()
    if award is None or not wf.can_move("withdraw", declaration.status):
        raise DomainError(f"{what(declaration)}尚未授星或已撤销，不能撤星")
    move(
        declaration,
        move="withdraw",
        to_status=Status.WITHDRAWN,
        actor=actor,
        stage=Stage.COUNTY,
        action=Action.WITHDRAWN,
        reason=reason,
        expected_version=expected_version,
        last_reason=reason,
    )
    today = clock.today()
    updated = StarAward.objects.filter(pk=award.pk, withdrawn_on__isnull=True).update(
        withdrawn_on=today, withdraw_reason=reason, updated_at=clock.now()
    )
    if not updated:
        raise Conflict("该星级刚刚已被撤销，请刷新页面")
    award.withdrawn_on, award.withdraw_reason = today, reason
    audit_record(
        action=AuditEvent.Action.UPDATE,
        obj=award,
        changes={"withdrawn_on": {"old": None, "new": str(today)}, "withdraw_reason": reason},
        scope_path=declaration.unit.path,
    )
    return award
