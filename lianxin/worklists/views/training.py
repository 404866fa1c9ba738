"""Pages of the training list (培训清单; see docs/worklists-projects.md), under
/worklists/training/:

- `survey_list`, `survey_create`, `survey_detail`, `survey_act` (send, close, generate the
  plan): the county's needs surveys; a township or village sees those sent to its villages;
- `recipient_answer`: staff enter a recipient's (paper) answer;
- `survey_answer_public` (/worklists/training/a/<uuid>/, no account): the recipient's own
  link, showing the survey and the name of their unit only;
- `plan_detail`, `session_edit`, `session_detail`, `session_attend`: the generated training
  list, its sessions (time, place, lecturer) and sign-in.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.core.errors import Conflict, DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of, require_any
from lianxin.worklists import workflow as wf
from lianxin.worklists.forms_training import (
    AnswerForm,
    AttendForm,
    GenerateForm,
    SessionForm,
    SurveyForm,
    VersionedForm,
)
from lianxin.worklists.models import SurveyRecipient, TrainingSurvey
from lianxin.worklists.models.training import TargetGroup
from lianxin.worklists.selectors import training as sel
from lianxin.worklists.services import training as svc

Status = TrainingSurvey.Status
GROUP_LABELS = dict(TargetGroup.choices)
DONE = {"send": "问卷已下发", "close": "问卷已截止", "generate": "已生成培训清单"}


# --- surveys -------------------------------------------------------------------------------


@login_required
@require_GET
def survey_list(request: ActorRequest) -> HttpResponse:
    """Surveys the actor sees, newest first."""
    actor = require_any(request, wf.VIEW)
    page = page_of(request, sel.surveys_for(actor))
    for s in page.object_list:
        s.group_labels = [GROUP_LABELS.get(g, g) for g in s.groups]
    return render(
        request,
        "worklists/training/list.html",
        {"page": page, "can_create": bool(sel.training_counties(actor))},
    )


@login_required
@require_http_methods(["GET", "POST"])
def survey_create(request: ActorRequest) -> HttpResponse:
    """Draft a needs survey (county)."""
    actor = require_any(request, wf.VIEW)
    counties = sel.training_counties(actor)
    if not counties:
        if request.method == "POST":
            raise Http404("培训需求调查由县级组织部门发起")
        return render(request, "worklists/training/create.html", {"form": None})
    form = SurveyForm(request.POST or None, counties=counties)
    if request.method == "POST" and form.is_valid():
        try:
            county = form.chosen_county()
            if county is None:
                raise DomainError("请选择县（市、区）", field="county")
            survey = svc.survey_create(
                actor=actor,
                county=county,
                title=form.cleaned_data["title"],
                groups=form.cleaned_data["groups"],
                topics=form.lines("topics"),
                formats=form.lines("formats"),
                deadline=form.cleaned_data["deadline"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "问卷已保存，核对调查对象后下发")
            return redirect("worklists:survey_detail", public_id=survey.public_id)
    status = 400 if request.method == "POST" else 200
    return render(request, "worklists/training/create.html", {"form": form}, status=status)


def _action_forms(survey: TrainingSurvey) -> dict[str, forms.Form]:
    initial = {"version": survey.version}
    out: dict[str, forms.Form] = {}
    if survey.status == Status.DRAFT:
        out["send"] = VersionedForm(initial=initial, prefix="send")
    if survey.status in (Status.SENT, Status.CLOSED):
        out["generate"] = GenerateForm(initial={**initial, "top": 5}, prefix="generate")
    if survey.status == Status.SENT:
        out["close"] = VersionedForm(initial=initial, prefix="close")
    return out


def _preview(survey: TrainingSurvey) -> list[tuple[str, int]]:
    """Before sending: how many villages each chosen group would reach today."""
    found = svc.targets(county=survey.county, year=survey.year, groups=survey.groups)
    counts = Counter(t.group for t in found)
    return [(GROUP_LABELS[g], counts[g]) for g in survey.groups]


def _detail(
    request: ActorRequest,
    survey: TrainingSurvey,
    *,
    bound: tuple[str, forms.Form] | None = None,
    conflict: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    keeps = sel.keeps(actor, survey)
    action_forms = _action_forms(survey) if keeps else {}
    if bound is not None:
        action_forms[bound[0]] = bound[1]
    tally = sel.survey_tally(actor, survey)
    for r in tally.recipients:
        r.group_label = GROUP_LABELS.get(r.group, r.group)  # type: ignore[attr-defined]
        r.link = request.build_absolute_uri(  # type: ignore[attr-defined]
            reverse("worklists:survey_answer_public", kwargs={"public_id": r.public_id})
        )
    top = max((n for _t, n in tally.topics), default=0)
    return render(
        request,
        "worklists/training/detail.html",
        {
            "survey": survey,
            "keeps": keeps,
            "tally": tally,
            "top": top,
            "group_labels": [GROUP_LABELS.get(g, g) for g in survey.groups],
            "preview": _preview(survey) if keeps and survey.status == Status.DRAFT else [],
            "actions": action_forms,
            "plans": sel.survey_plans(survey) if keeps else [],
            "conflict": conflict,
        },
        status=status,
    )


@login_required
@require_GET
def survey_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """A survey: recipients per group, answers, demand per topic, and its actions."""
    actor = require_any(request, wf.VIEW)
    return _detail(request, sel.survey_get(actor, public_id))


@login_required
@require_POST
def survey_act(request: ActorRequest, public_id: Any, action: str) -> HttpResponse:
    """Send, close, or generate the training list; the form carries the version shown."""
    actor = require_any(request, wf.TRAINING)
    if action not in DONE:
        raise Http404("没有这种操作")
    survey = sel.survey_get(actor, public_id)
    if not sel.keeps(actor, survey):
        raise Http404("不存在或无权访问")
    form: forms.Form = (
        GenerateForm(request.POST, prefix=action)
        if action == "generate"
        else VersionedForm(request.POST, prefix=action)
    )
    if not form.is_valid():
        return _detail(request, survey, bound=(action, form), status=400)
    version = form.cleaned_data["version"]
    try:
        if action == "send":
            sent = svc.survey_send(actor=actor, survey=survey, expected_version=version)
            messages.success(request, f"问卷已下发给 {len(sent)} 个村（社区）")
        elif action == "close":
            svc.survey_close(actor=actor, survey=survey, expected_version=version)
            messages.success(request, DONE[action])
        else:
            plan = svc.plan_generate(
                actor=actor,
                survey=survey,
                top=form.cleaned_data["top"],
                title=form.cleaned_data["title"],
            )
            messages.success(request, DONE[action])
            return redirect("worklists:plan_detail", public_id=plan.public_id)
    except Conflict as exc:
        fresh = sel.survey_get(actor, public_id)
        return _detail(request, fresh, conflict=exc.message, status=409)
    except DomainError as exc:
        add_domain_error(form, exc)
        return _detail(request, survey, bound=(action, form), status=400)
    return redirect("worklists:survey_detail", public_id=survey.public_id)


# --- answers -------------------------------------------------------------------------------


def _answer_form(
    request: HttpRequest, recipient: SurveyRecipient, *, actor: Any = None
) -> tuple[AnswerForm, bool]:
    """The answer form, bound on POST, pre-filled with the newest answer on GET; and whether
    the POST was recorded."""
    survey = recipient.survey
    if request.method == "POST":
        form = AnswerForm(request.POST, survey=survey)
        if form.is_valid():
            try:
                svc.answer_submit(
                    recipient=recipient,
                    topics=form.cleaned_data["topics"],
                    formats=form.cleaned_data.get("formats", []),
                    note=form.cleaned_data["note"],
                    actor=actor,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return form, True
        return form, False
    latest = sel.latest_answer(recipient)
    initial = (
        {"topics": latest.topics, "formats": latest.formats, "note": latest.note} if latest else {}
    )
    return AnswerForm(initial=initial, survey=survey), False


@login_required
@require_http_methods(["GET", "POST"])
def recipient_answer(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Staff enter a recipient's answer (a paper questionnaire, a phone call)."""
    actor = require_any(request, wf.TRAINING)
    recipient = sel.recipient_get(actor, public_id)
    form, saved = _answer_form(request, recipient, actor=actor)
    if saved:
        messages.success(request, f"已录入{recipient.unit.display_name}的答复")
        return redirect("worklists:survey_detail", public_id=recipient.survey.public_id)
    return render(
        request,
        "worklists/training/answer_staff.html",
        {
            "recipient": recipient,
            "survey": recipient.survey,
            "group": GROUP_LABELS.get(recipient.group, recipient.group),
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def survey_answer_public(request: HttpRequest, public_id: Any) -> HttpResponse:
    """The recipient's own answer link: the survey and their unit's name, nothing else."""
    recipient = sel.public_recipient(public_id)
    form, saved = _answer_form(request, recipient)
    if saved:
        return redirect(f"{request.path}?done=1")
    survey = recipient.survey
    latest = sel.latest_answer(recipient) if request.method == "GET" else None
    response = render(
        request,
        "worklists/training/answer_public.html",
        {
            "survey": survey,
            "unit_name": recipient.unit.display_name,
            "form": form,
            "latest": latest,
            "done": request.GET.get("done") == "1",
            "open": survey.status == Status.SENT,
        },
        status=400 if request.method == "POST" else 200,
    )
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


# --- the training list ----------------------------------------------------------------------


def _plan_page(
    request: ActorRequest,
    plan: Any,
    *,
    bound: tuple[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    keeps = sel.keeps(actor, plan.survey)
    sessions = sel.plan_sessions(plan)
    for s in sessions:
        key = str(s.public_id)
        if bound is not None and bound[0] == key:
            s.form_obj = bound[1]  # type: ignore[attr-defined]
        elif keeps:
            s.form_obj = SessionForm(  # type: ignore[attr-defined]
                initial=SessionForm.initial_of(s), prefix=key[:8]
            )
    return render(
        request,
        "worklists/training/plan.html",
        {"plan": plan, "sessions": sessions, "keeps": keeps},
        status=status,
    )


@login_required
@require_GET
def plan_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The customised training list: sessions ranked by demand, with time, place, lecturer."""
    actor = require_any(request, wf.VIEW)
    return _plan_page(request, sel.plan_get(actor, public_id))


@login_required
@require_POST
def session_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Set a session's time, place, lecturer and format."""
    actor = require_any(request, wf.TRAINING)
    session = sel.session_get(actor, public_id, wf.TRAINING)
    key = str(session.public_id)
    form = SessionForm(request.POST, prefix=key[:8])
    if form.is_valid():
        try:
            svc.session_update(actor=actor, session=session, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已更新“{session.topic}”班次")
            return redirect("worklists:plan_detail", public_id=session.plan.public_id)
    return _plan_page(request, session.plan, bound=(key, form), status=400)


def _session_page(
    request: ActorRequest, session: Any, *, form: AttendForm | None = None, status: int = 200
) -> HttpResponse:
    roster = sel.session_roster(session)
    keeps = sel.keeps(request.actor, session.plan.survey)
    if form is None and keeps:
        form = AttendForm(roster=[r for r in roster if not r.attended])  # type: ignore[attr-defined]
    return render(
        request,
        "worklists/training/session.html",
        {
            "session": session,
            "roster": roster,
            "attended": len([r for r in roster if getattr(r, "attended", False)]),
            "form": form if keeps else None,
            "group_labels": [GROUP_LABELS.get(g, g) for g in session.groups],
        },
        status=status,
    )


@login_required
@require_GET
def session_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """A session's roster with who signed in."""
    actor = require_any(request, wf.VIEW)
    return _session_page(request, sel.session_get(actor, public_id))


@login_required
@require_POST
def session_attend(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Sign in the recipients ticked (each once per session)."""
    actor = require_any(request, wf.TRAINING)
    session = sel.session_get(actor, public_id, wf.TRAINING)
    roster = [r for r in sel.session_roster(session) if not r.attended]  # type: ignore[attr-defined]
    form = AttendForm(request.POST, roster=roster)
    if form.is_valid():
        chosen = form.chosen()
        try:
            if not chosen:
                raise DomainError("请勾选签到的学员", field="recipients")
            added = svc.attendance_record_many(actor=actor, session=session, recipients=chosen)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已登记 {added} 人签到")
            return redirect("worklists:session_detail", public_id=session.public_id)
    return _session_page(request, session, form=form, status=400)
