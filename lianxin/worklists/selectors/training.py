"""Reads of the training list (培训清单).

A survey hangs on the county; its recipients hang on villages. The county (training
permission) sees its surveys whole; a township or village sees the surveys sent to villages
in its scope, and only those recipients. Plans and sessions are the county's.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from lianxin.accounts.actor import Actor
from lianxin.core.scope import path_q
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
from lianxin.worklists.services.training import GROUP_ORDER, newest_answers

GROUP_LABELS = dict(TargetGroup.choices)


def _visible_q(actor: Actor) -> Q:
    """Surveys of a county in the actor's scope, or sent to a village in it."""
    in_scope = SurveyRecipient.objects.visible_to(actor, wf.VIEW).values("survey_id")
    return path_q("county__path", actor.scope_paths(wf.VIEW)) | Q(pk__in=in_scope)


def surveys_for(actor: Actor) -> QuerySet[TrainingSurvey]:
    """Surveys the actor sees, newest first, with the recipients and answers in its scope."""
    mine = path_q("recipients__unit__path", actor.scope_paths(wf.VIEW))
    return (
        TrainingSurvey.objects.filter(_visible_q(actor))
        .select_related("county")
        .annotate(
            recipient_count=Count("recipients", filter=mine),
            answered_count=Count(
                "recipients", filter=mine & Q(recipients__answered_at__isnull=False)
            ),
        )
        .order_by("-year", "-id")
    )


def survey_get(actor: Actor, public_id: Any) -> TrainingSurvey:
    """One survey the actor sees (404 otherwise, or for a malformed id)."""
    try:
        survey = (
            TrainingSurvey.objects.filter(_visible_q(actor))
            .select_related("county")
            .filter(public_id=public_id)
            .first()
        )
    except (ValueError, TypeError):
        survey = None
    if survey is None:
        raise Http404("不存在或无权访问")
    return survey


def keeps(actor: Actor, survey: TrainingSurvey) -> bool:
    """Whether the actor runs the survey (the county's training permission)."""
    return actor.can(wf.TRAINING, survey.county.path)


def training_counties(actor: Actor) -> list[Unit]:
    """Counties where the actor may start a survey."""
    paths = actor.scope_paths(wf.TRAINING)
    if not paths:
        return []
    units = Unit.objects.filter(kind=UnitKind.COUNTY, is_active=True)
    return list(units.filter(path_q("path", paths)).order_by("path")[:100])


@dataclass
class Tally:
    """What a survey's page shows: recipients per group, answers, demand per topic."""

    recipients: list[SurveyRecipient]
    per_group: list[tuple[str, int, int]]  # label, recipients, answered
    topics: list[tuple[str, int]]
    formats: list[tuple[str, int]]
    answered: int


def survey_tally(actor: Actor, survey: TrainingSurvey) -> Tally:
    """The recipients in the actor's scope with their newest answer, and the counts (two
    queries whatever the number of recipients)."""
    recipients = list(
        SurveyRecipient.objects.visible_to(actor, wf.VIEW)
        .filter(survey=survey)
        .select_related("unit", "unit__parent")
        .order_by("unit__path")
    )
    answers = newest_answers(recipients)
    groups: Counter[str] = Counter()
    answered_groups: Counter[str] = Counter()
    topics: Counter[str] = Counter()
    formats: Counter[str] = Counter()
    for r in recipients:
        r.answer = answers.get(r.pk)  # type: ignore[attr-defined]
        groups[r.group] += 1
        if r.answer is not None:  # type: ignore[attr-defined]
            answered_groups[r.group] += 1
            topics.update(t for t in r.answer.topics if t in survey.topics)  # type: ignore[attr-defined]
            formats.update(f for f in r.answer.formats if f in survey.formats)  # type: ignore[attr-defined]
    chosen = survey.groups or list(GROUP_ORDER)
    return Tally(
        recipients=recipients,
        per_group=[(GROUP_LABELS[g], groups[g], answered_groups[g]) for g in chosen],
        topics=sorted(
            ((t, topics[t]) for t in survey.topics),
            key=lambda kv: (-kv[1], survey.topics.index(kv[0])),
        ),
        formats=[(f, formats[f]) for f in survey.formats],
        answered=len(answers),
    )


def survey_plans(survey: TrainingSurvey) -> QuerySet[TrainingPlan]:
    return (
        TrainingPlan.objects.filter(survey=survey)
        .annotate(session_count=Count("sessions"))
        .order_by("-id")
    )


def recipient_get(actor: Actor, public_id: Any, perm: str = wf.TRAINING) -> SurveyRecipient:
    recipient: SurveyRecipient = SurveyRecipient.objects.select_related(
        "survey", "survey__county", "unit"
    ).get_visible(actor, perm, public_id=public_id)
    return recipient


def public_recipient(public_id: Any) -> SurveyRecipient:
    """The recipient behind an answer link (404 for an unknown or malformed id, or a survey
    not sent)."""
    try:
        recipient = (
            SurveyRecipient.objects.select_related("survey", "unit")
            .filter(public_id=public_id)
            .exclude(survey__status=TrainingSurvey.Status.DRAFT)
            .first()
        )
    except (ValueError, TypeError):
        recipient = None
    if recipient is None:
        raise Http404("链接无效")
    return recipient


def latest_answer(recipient: SurveyRecipient) -> SurveyAnswer | None:
    return SurveyAnswer.objects.filter(recipient=recipient).order_by("-at", "-id").first()


def plan_get(actor: Actor, public_id: Any) -> TrainingPlan:
    plan: TrainingPlan = TrainingPlan.objects.select_related(
        "survey", "survey__county"
    ).get_visible(actor, wf.VIEW, public_id=public_id)
    return plan


def plan_sessions(plan: TrainingPlan) -> list[TrainingSession]:
    """The plan's sessions with the live demand of their topic and their attendance."""
    sessions = list(
        TrainingSession.objects.filter(plan=plan)
        .annotate(attended=Count("attendance"))
        .order_by("starts_at", "id")
    )
    ranked = _topic_counts(plan.survey)
    for s in sessions:
        s.demand = ranked.get(s.topic, 0)  # type: ignore[attr-defined]
        s.group_labels = [GROUP_LABELS.get(g, g) for g in s.groups]  # type: ignore[attr-defined]
    return sessions


def _topic_counts(survey: TrainingSurvey) -> Counter[str]:
    recipients = list(SurveyRecipient.objects.filter(survey=survey).only("id"))
    counts: Counter[str] = Counter()
    for answer in newest_answers(recipients).values():
        counts.update(answer.topics)
    return counts


def session_get(actor: Actor, public_id: Any, perm: str = wf.VIEW) -> TrainingSession:
    session: TrainingSession = TrainingSession.objects.select_related(
        "plan", "plan__survey", "plan__survey__county"
    ).get_visible(actor, perm, public_id=public_id)
    return session


def session_roster(session: TrainingSession) -> list[SurveyRecipient]:
    """The survey's recipients for a session's sign-in: those who asked for its topic first,
    each with `attended` and `asked` (constant queries)."""
    recipients = list(
        SurveyRecipient.objects.filter(survey_id=session.plan.survey_id)
        .select_related("unit", "unit__parent")
        .order_by("unit__path")
    )
    answers = newest_answers(recipients)
    attended = set(
        TrainingAttendance.objects.filter(session=session).values_list("recipient_id", flat=True)
    )
    for r in recipients:
        answer = answers.get(r.pk)
        r.asked = bool(answer and session.topic in answer.topics)  # type: ignore[attr-defined]
        r.attended = r.pk in attended  # type: ignore[attr-defined]
        r.group_label = GROUP_LABELS.get(r.group, r.group)  # type: ignore[attr-defined]
    recipients.sort(key=lambda r: (not r.asked, r.unit.path))  # type: ignore[attr-defined]
    return recipients
