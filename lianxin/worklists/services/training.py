"""The training list (培训清单, seed 004): besides the routine training of all village cadres,
the county surveys key groups of branch secretaries — of five- and four-star branches, under
35, of weak branches (软弱涣散) — so they "customise" their training, and builds a
personalised training list (个性化培训清单) from the answers.

    draft → sent (one recipient per matching village, each with an opaque answer link)
          → closed (no more answers)

Who is in a group is read from live data when the survey is sent:
- five/four-star: villages holding at least four stars of the previous year (StarAward, not
  withdrawn);
- under 35: villages whose branch secretary (a party member of an organisation at the village
  whose duty names 书记, not 副书记) was born less than 35 years before the day of sending;
- weak: villages listed as weak branches (WeakBranch) of the survey's year.
A village in several groups is asked once, under the first group in that order.

Answers are append-only (`SurveyAnswer`; the newest of a recipient counts). The plan takes
the most requested topics, ranked, each becoming a session with the favourite format of those
who asked for it; staff set date, place and lecturer. Attendance is one row per recipient and
session.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from lianxin.accounts.actor import Actor
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied, clean_text
from lianxin.party.models import PartyMember
from lianxin.stars.models import StarAward, WeakBranch
from lianxin.stars.models.declarations import DeclarationKind
from lianxin.territory.models import Unit, UnitKind
from lianxin.worklists import workflow as wf
from lianxin.worklists.models import (
    SurveyAnswer,
    SurveyRecipient,
    TrainingAttendance,
    TrainingPlan,
    TrainingSession,
    TrainingSurvey,
)
from lianxin.worklists.models.training import TargetGroup

Status = TrainingSurvey.Status
GROUP_ORDER: tuple[str, ...] = tuple(TargetGroup.values)
# "Five- and four-star branches": at least this many stars held in the previous year.
STAR_GROUP_MIN = 4
YOUNG_AGE = 35
MAX_TOPICS = 20
MAX_FORMATS = 10
PLAN_TOP_MAX = 12
UNKNOWN_SECRETARY = "书记"
DEFAULT_FORMATS = ("集中授课", "现场教学", "外出观摩", "线上学习")


def require_training(actor: Actor | None, path: str) -> None:
    if actor is None or not actor.can(wf.TRAINING, path):
        raise PermissionDenied("培训清单由县级组织部门办理")


def _lines(
    values: Iterable[str], *, field: str, label: str, max_items: int, max_length: int
) -> list[str]:
    """Trimmed, de-duplicated options in the order typed."""
    out: list[str] = []
    for raw in values:
        value = (raw or "").strip()
        if not value or value in out:
            continue
        if len(value) > max_length:
            raise DomainError(f"每项{label}不超过{max_length}个字：{value[:10]}…", field=field)
        out.append(value)
    if len(out) > max_items:
        raise DomainError(f"{label}最多{max_items}项", field=field)
    return out


def _groups(groups: Iterable[str]) -> list[str]:
    chosen = set(groups)
    unknown = chosen - set(GROUP_ORDER)
    if unknown:
        raise DomainError("调查对象不正确", field="groups")
    if not chosen:
        raise DomainError("请至少选择一类调查对象", field="groups")
    return [g for g in GROUP_ORDER if g in chosen]


# --- who is in each group ----------------------------------------------------------------


@dataclass
class Target:
    unit: Unit
    group: str
    person_name: str
    also: list[str] = field(default_factory=list)


def _village_of(path: str, villages: dict[str, Unit]) -> Unit | None:
    """The village whose path is a prefix of `path` (an organisation may sit on a grid)."""
    codes = [c for c in path.split("/") if c]
    for i in range(len(codes), 0, -1):
        unit = villages.get("/" + "/".join(codes[:i]) + "/")
        if unit is not None:
            return unit
    return None


def secretaries(county: Unit, villages: dict[str, Unit]) -> dict[int, PartyMember]:
    """Each village's branch secretary (one query): an active member of an active party
    organisation at or under the village whose duty names 书记 (a deputy is not the
    secretary); the organisation nearest the village wins, then the earliest record."""
    members = (
        PartyMember.objects.filter(
            is_active=True,
            organisation__is_active=True,
            organisation__unit__path__startswith=county.path,
            duty__contains="书记",
        )
        .exclude(duty__contains="副书记")
        .select_related("organisation__unit", "resident")
        .order_by("organisation__unit__depth", "organisation_id", "id")
    )
    out: dict[int, PartyMember] = {}
    for member in members:
        village = _village_of(member.organisation.unit.path, villages)
        if village is not None and village.pk not in out:
            out[village.pk] = member
    return out


def _is_young(member: PartyMember | None, on: dt.date) -> bool:
    if member is None or member.resident is None:
        return False
    age = member.resident.age_on(on)
    return age is not None and age < YOUNG_AGE


def targets(
    *, county: Unit, year: int, groups: Sequence[str], on: dt.date | None = None
) -> list[Target]:
    """The villages of the county in the chosen groups, each once under its first group
    (constant number of queries)."""
    on = on or clock.today()
    groups = _groups(groups)
    villages = {
        u.path: u
        for u in Unit.objects.filter(
            kind=UnitKind.VILLAGE, is_active=True, path__startswith=county.path
        )
    }
    by_id = {u.pk: u for u in villages.values()}
    heads = secretaries(county, villages)
    members: dict[str, set[int]] = {}
    if TargetGroup.FIVE_FOUR_STAR in groups:
        members[TargetGroup.FIVE_FOUR_STAR] = set(
            StarAward.objects.filter(
                year=year - 1,
                kind=DeclarationKind.STAR,
                withdrawn_on__isnull=True,
                unit_id__in=by_id,
            )
            .values("unit_id")
            .annotate(n=Count("id"))
            .filter(n__gte=STAR_GROUP_MIN)
            .values_list("unit_id", flat=True)
        )
    if TargetGroup.UNDER_35 in groups:
        members[TargetGroup.UNDER_35] = {
            uid for uid, m in heads.items() if _is_young(m, on) and uid in by_id
        }
    if TargetGroup.WEAK in groups:
        members[TargetGroup.WEAK] = set(
            WeakBranch.objects.filter(year=year, unit_id__in=by_id).values_list(
                "unit_id", flat=True
            )
        )
    out: dict[int, Target] = {}
    for group in groups:
        for uid in sorted(members.get(group, ()), key=lambda i: by_id[i].path):
            if uid in out:
                out[uid].also.append(group)
                continue
            head = heads.get(uid)
            name = head.name if head is not None and head.name else UNKNOWN_SECRETARY
            out[uid] = Target(by_id[uid], group, name[:30])
    return sorted(out.values(), key=lambda t: t.unit.path)


# --- the survey ------------------------------------------------------------------------------


def _clean_survey(
    *,
    title: str,
    groups: Iterable[str],
    topics: Iterable[str],
    formats: Iterable[str],
    deadline: dt.date | None,
) -> dict[str, Any]:
    cleaned_topics = _lines(
        topics, field="topics", label="培训内容", max_items=MAX_TOPICS, max_length=60
    )
    if not cleaned_topics:
        raise DomainError("请至少列出一项可选培训内容", field="topics")
    if deadline is None:
        raise DomainError("请填写截止日期", field="deadline")
    if deadline < clock.today():
        raise DomainError("截止日期不能早于今天", field="deadline")
    return {
        "title": clean_text(title, field="title", label="问卷标题", max_length=120),
        "groups": _groups(groups),
        "topics": cleaned_topics,
        "formats": _lines(
            formats, field="formats", label="培训形式", max_items=MAX_FORMATS, max_length=30
        ),
        "deadline": deadline,
    }


@transaction.atomic
def survey_create(
    *,
    actor: Actor,
    county: Unit,
    title: str,
    groups: Iterable[str],
    topics: Iterable[str],
    formats: Iterable[str] = DEFAULT_FORMATS,
    deadline: dt.date | None,
    year: int | None = None,
) -> TrainingSurvey:
    """Draft a needs survey (培训需求调查) of the county for the chosen groups."""
    if county.kind != UnitKind.COUNTY:
        raise DomainError("培训需求调查由县（市、区）发起", field="county")
    require_training(actor, county.path)
    values = _clean_survey(
        title=title, groups=groups, topics=topics, formats=formats, deadline=deadline
    )
    return TrainingSurvey.objects.create(
        county=county,
        year=year or clock.today().year,
        created_by_id=actor.user_id,
        **values,
    )


def _move(
    survey: TrainingSurvey,
    *,
    sources: frozenset[str],
    expected_version: int | None,
    **changes: Any,
) -> TrainingSurvey:
    """Compare-and-set on the survey's version and state."""
    if survey.status not in sources:
        raise DomainError(f"该问卷当前为“{Status(survey.status).label}”，不能进行此操作")
    version = survey.version if expected_version is None else expected_version
    changes["updated_at"] = clock.now()
    updated = TrainingSurvey.objects.filter(
        pk=survey.pk, version=version, status=survey.status
    ).update(version=version + 1, **changes)
    if not updated:
        raise Conflict("该问卷刚刚有变化，请刷新页面后再操作")
    old = {k: getattr(survey, k) for k in changes if k != "updated_at"}
    for k, v in changes.items():
        setattr(survey, k, v)
    survey.version = version + 1
    audit_record(
        action=AuditEvent.Action.UPDATE,
        obj=survey,
        changes={k: {"old": str(old[k]), "new": str(changes[k])} for k in old},
        scope_path=survey.county.path,
    )
    return survey


@transaction.atomic
def survey_send(
    *, actor: Actor, survey: TrainingSurvey, expected_version: int | None = None
) -> list[SurveyRecipient]:
    """Send the survey (下发): one recipient per village in the chosen groups, read from the
    live data today. Refused when no village is in any chosen group."""
    require_training(actor, survey.county.path)
    if survey.status != Status.DRAFT:
        raise DomainError(f"该问卷当前为“{Status(survey.status).label}”，不能再下发")
    if survey.deadline < clock.today():
        raise DomainError("截止日期已过，不能下发", field="deadline")
    found = targets(county=survey.county, year=survey.year, groups=survey.groups)
    if not found:
        raise DomainError("所选调查对象中目前没有村（社区），请调整调查对象", field="groups")
    _move(
        survey,
        sources=frozenset({Status.DRAFT}),
        expected_version=expected_version,
        status=Status.SENT,
        sent_at=clock.now(),
    )
    return SurveyRecipient.objects.bulk_create(
        [
            SurveyRecipient(survey=survey, unit=t.unit, group=t.group, person_name=t.person_name)
            for t in found
        ]
    )


@transaction.atomic
def survey_close(
    *, actor: Actor, survey: TrainingSurvey, expected_version: int | None = None
) -> TrainingSurvey:
    """Stop taking answers (截止)."""
    require_training(actor, survey.county.path)
    return _move(
        survey,
        sources=frozenset({Status.SENT}),
        expected_version=expected_version,
        status=Status.CLOSED,
    )


@transaction.atomic
def answer_submit(
    *,
    recipient: SurveyRecipient,
    topics: Iterable[str],
    formats: Iterable[str] = (),
    note: str = "",
    actor: Actor | None = None,
) -> SurveyAnswer:
    """Record a recipient's answer. Through the public link (`actor` None) until the deadline;
    staff entering a paper answer (`actor` with the training permission) until the survey is
    closed. Answering again adds a row; the newest counts."""
    survey = recipient.survey
    if actor is not None:
        require_training(actor, recipient.unit.path)
    if survey.status != Status.SENT:
        raise DomainError("问卷已截止，不能再填答")
    if actor is None and clock.today() > survey.deadline:
        d = survey.deadline
        raise DomainError(f"问卷已于{d.year}年{d.month}月{d.day}日截止")
    chosen = list(dict.fromkeys(t for t in topics if t))
    if not chosen:
        raise DomainError("请至少选择一项希望参加的培训内容", field="topics")
    if any(t not in survey.topics for t in chosen):
        raise DomainError("请从列出的培训内容中选择", field="topics")
    ways = list(dict.fromkeys(f for f in formats if f))
    if any(f not in survey.formats for f in ways):
        raise DomainError("请从列出的培训形式中选择", field="formats")
    now = clock.now()
    answer = SurveyAnswer.objects.create(
        recipient=recipient,
        topics=chosen,
        formats=ways,
        note=clean_text(note, field="note", label="其他需求", max_length=500, required=False),
        at=now,
    )
    SurveyRecipient.objects.filter(pk=recipient.pk).update(answered_at=now, updated_at=now)
    recipient.answered_at = now
    return answer


def newest_answers(recipients: Iterable[SurveyRecipient]) -> dict[int, SurveyAnswer]:
    """The newest answer of each recipient (one query)."""
    ids = [r.pk for r in recipients]
    out: dict[int, SurveyAnswer] = {}
    for answer in SurveyAnswer.objects.filter(recipient_id__in=ids).order_by(
        "recipient_id", "-at", "-id"
    ):
        out.setdefault(answer.recipient_id, answer)
    return out


@dataclass(frozen=True)
class TopicDemand:
    topic: str
    count: int
    form: str
    groups: tuple[str, ...]


def ranking(survey: TrainingSurvey) -> tuple[list[TopicDemand], int, int]:
    """Topics by how many recipients asked for them (ties in the survey's order), with the
    favourite format and the groups of those who asked; and the recipients and answers
    counts (constant queries)."""
    recipients = list(SurveyRecipient.objects.filter(survey=survey))
    answers = newest_answers(recipients)
    group_of = {r.pk: r.group for r in recipients}
    counts: Counter[str] = Counter()
    ways: dict[str, Counter[str]] = {t: Counter() for t in survey.topics}
    groups: dict[str, set[str]] = {t: set() for t in survey.topics}
    for rid, answer in answers.items():
        for topic in answer.topics:
            if topic not in ways:
                continue
            counts[topic] += 1
            ways[topic].update(answer.formats)
            groups[topic].add(group_of[rid])
    order = {t: i for i, t in enumerate(survey.topics)}
    forms_order = {f: i for i, f in enumerate(survey.formats)}
    ranked = sorted(survey.topics, key=lambda t: (-counts[t], order[t]))
    out = []
    for topic in ranked:
        favourite = sorted(ways[topic].items(), key=lambda kv: (-kv[1], forms_order.get(kv[0], 99)))
        out.append(
            TopicDemand(
                topic=topic,
                count=counts[topic],
                form=favourite[0][0] if favourite else "",
                groups=tuple(g for g in GROUP_ORDER if g in groups[topic]),
            )
        )
    return out, len(recipients), len(answers)


@transaction.atomic
def plan_generate(
    *, actor: Actor, survey: TrainingSurvey, top: int = 5, title: str = ""
) -> TrainingPlan:
    """生成培训清单: a plan with one session per most requested topic (at most `top`, only
    topics someone asked for), ranked by demand, dated a week apart after the deadline; staff
    then set date, place and lecturer."""
    require_training(actor, survey.county.path)
    if survey.status == Status.DRAFT:
        raise DomainError("问卷下发并收回答复后才能生成培训清单")
    try:
        top = int(top)
    except (TypeError, ValueError) as exc:
        raise DomainError("班次数须是整数", field="top") from exc
    if not 1 <= top <= PLAN_TOP_MAX:
        raise DomainError(f"班次数须在1到{PLAN_TOP_MAX}之间", field="top")
    ranked, sent, answered = ranking(survey)
    chosen = [d for d in ranked if d.count > 0][:top]
    if not chosen:
        raise DomainError("还没有收到答复，不能生成培训清单")
    lines = "；".join(f"{i}. {d.topic}（{d.count}人）" for i, d in enumerate(chosen, start=1))
    plan = TrainingPlan.objects.create(
        survey=survey,
        title=clean_text(
            title or f"{survey.title} · 个性化培训清单",
            field="title",
            label="培训清单名称",
            max_length=120,
        ),
        summary=f"下发{sent}份，收回{answered}份。需求排名：{lines}。",
        created_by_id=actor.user_id,
    )
    first = max(survey.deadline, clock.today()) + dt.timedelta(days=7)
    tz = timezone.get_current_timezone()
    TrainingSession.objects.bulk_create(
        [
            TrainingSession(
                plan=plan,
                topic=d.topic[:120],
                form=d.form[:30],
                starts_at=dt.datetime.combine(
                    first + dt.timedelta(days=7 * i), dt.time(9, 0), tzinfo=tz
                ),
                groups=list(d.groups),
            )
            for i, d in enumerate(chosen)
        ]
    )
    return plan


@transaction.atomic
def session_update(
    *,
    actor: Actor,
    session: TrainingSession,
    starts_at: dt.datetime | None,
    place: str = "",
    lecturer: str = "",
    form: str = "",
) -> TrainingSession:
    """Set a session's time, place, lecturer and format."""
    require_training(actor, session.plan.survey.county.path)
    if starts_at is None:
        raise DomainError("请填写培训时间", field="starts_at")
    session.starts_at = starts_at
    session.place = clean_text(place, field="place", label="地点", max_length=120, required=False)
    session.lecturer = clean_text(
        lecturer, field="lecturer", label="授课人", max_length=60, required=False
    )
    session.form = clean_text(form, field="form", label="形式", max_length=30, required=False)
    session.save()
    return session


@transaction.atomic
def attendance_record(
    *, actor: Actor, session: TrainingSession, recipient: SurveyRecipient
) -> TrainingAttendance:
    """Sign a recipient in to a session, once (a second time is refused)."""
    require_training(actor, recipient.unit.path)
    if recipient.survey_id != session.plan.survey_id:
        raise DomainError("只能登记本次调查对象的签到", field="recipients")
    if TrainingAttendance.objects.filter(session=session, recipient=recipient).exists():
        raise DomainError(
            f"{recipient.unit.display_name} {recipient.person_name} 已签到", field="recipients"
        )
    try:
        with transaction.atomic():
            return TrainingAttendance.objects.create(
                session=session, recipient=recipient, recorded_by_id=actor.user_id, at=clock.now()
            )
    except IntegrityError as exc:  # signed in by someone else at the same moment
        raise DomainError(
            f"{recipient.unit.display_name} {recipient.person_name} 已签到", field="recipients"
        ) from exc


@transaction.atomic
def attendance_record_many(
    *, actor: Actor, session: TrainingSession, recipients: Iterable[SurveyRecipient]
) -> int:
    """Sign in several recipients; those already signed in are skipped. Returns how many
    were added."""
    done = set(
        TrainingAttendance.objects.filter(session=session).values_list("recipient_id", flat=True)
    )
    added = 0
    for recipient in recipients:
        if recipient.pk in done:
            continue
        attendance_record(actor=actor, session=session, recipient=recipient)
        done.add(recipient.pk)
        added += 1
    return added
