"""Staff pages of micro-tasks (微任务): publish, edit and close tasks, see their claims,
register a claim at a station for a resident found by name or door, confirm completion with
evidence (text and/or a photo) or record it as not done (see docs/points-store.md).

Thin views over `services.tasks`; tasks and claims come from selectors scoped to the
actor's 微任务 permission (404 outside). Refusals show next to the field, input kept.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_http_methods, require_POST

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.people.models import Resident
from lianxin.points import workflow as wf
from lianxin.points.models import Indicator, MicroTask, TaskClaim
from lianxin.points.services import tasks as svc


class TaskForm(forms.Form):
    unit = forms.ChoiceField(label="发布到")
    title = forms.CharField(label="任务名称", max_length=80)
    description = forms.CharField(
        label="任务要求", max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    place = forms.CharField(label="地点", max_length=120, required=False)
    indicator = forms.ChoiceField(label="计分指标")
    points = forms.IntegerField(label="积分", min_value=1, max_value=svc.MAX_POINTS)
    slots = forms.IntegerField(label="名额", min_value=1, max_value=svc.MAX_SLOTS)
    deadline = forms.DateTimeField(
        label="认领截止时间", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    fast_path = forms.BooleanField(
        label="确认完成后直接入账（不再经第二人审核和公示）",
        required=False,
        help_text="只有有积分审核权限的人员可以设置",
    )

    def __init__(
        self,
        *args: Any,
        actor: Actor,
        indicators: list[Indicator],
        task: MicroTask | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.indicators = {str(i.public_id): i for i in indicators}
        cast(forms.ChoiceField, self.fields["indicator"]).choices = [
            (str(i.public_id), f"{i.aspect.name} · {i.name}（{i.points}分）") for i in indicators
        ]
        if task is not None:
            # The area of a published task does not change.
            del self.fields["unit"]
        else:
            cast(forms.ChoiceField, self.fields["unit"]).choices = [
                (str(u.public_id), ("　" if u.kind == "grid" else "") + u.display_name)
                for u in svc.task_units(actor)
            ]
        if not actor.can(wf.APPROVE):
            del self.fields["fast_path"]


class RegisterForm(forms.Form):
    resident = forms.UUIDField(widget=forms.HiddenInput)


class ConfirmForm(forms.Form):
    evidence = forms.CharField(
        label="完成情况",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="填写完成情况或上传照片（至少一项）",
    )
    photo = forms.ImageField(label="照片", required=False)


class RejectForm(forms.Form):
    note = forms.CharField(label="未完成的原因", max_length=300)


def _indicators(path: str) -> list[Indicator]:
    return svc.task_indicators(path)


def _task_fields(form: TaskForm) -> dict[str, Any]:
    data = dict(form.cleaned_data)
    data["indicator"] = form.indicators[data["indicator"]]
    data["fast_path"] = bool(data.get("fast_path"))
    data.pop("unit", None)
    return data


@login_required
def task_list(request: ActorRequest) -> HttpResponse:
    actor = require_any(request, wf.TASKS)
    status = request.GET.get("status", "open")
    q = request.GET.get("q", "").strip()[:40]
    qs = svc.task_list(actor, status=status, q=q)
    return render(
        request,
        "points/tasks/task_list.html",
        {
            "page": page_of(request, qs),
            "status": status,
            "q": q,
            "statuses": MicroTask.Status.choices,
            "now": clock.now(),
            "can_create": svc.task_units(actor).exists(),
            "querystring_without_page": querystring_without_page(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def task_create(request: ActorRequest) -> HttpResponse:
    actor = require_any(request, wf.TASKS)
    units = list(svc.task_units(actor))
    indicators = _indicators(units[0].path) if units else []
    default = svc.default_indicator(indicators)
    initial = {
        "indicator": str(default.public_id) if default else "",
        "points": default.points if default else 2,
        "slots": 10,
    }
    form = TaskForm(request.POST or None, actor=actor, indicators=indicators, initial=initial)
    if request.method == "POST" and form.is_valid():
        unit = next(u for u in units if str(u.public_id) == form.cleaned_data["unit"])
        try:
            task = svc.task_create(actor=actor, unit=unit, **_task_fields(form))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已发布微任务“{task.title}”")
            return redirect("points:task_detail", public_id=task.public_id)
    return render(request, "points/tasks/task_form.html", {"form": form, "task": None})


@login_required
@require_http_methods(["GET", "POST"])
def task_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.TASKS)
    task = svc.task_get(actor, public_id)
    initial = {
        "title": task.title,
        "description": task.description,
        "place": task.place,
        "indicator": str(task.indicator.public_id),
        "points": task.points,
        "slots": task.slots,
        "deadline": task.deadline,
        "fast_path": task.fast_path,
    }
    form = TaskForm(
        request.POST or None,
        actor=actor,
        indicators=_indicators(task.unit.path),
        task=task,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            svc.task_update(actor=actor, task=task, **_task_fields(form))
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("points:task_detail", public_id=task.public_id)
    return render(request, "points/tasks/task_form.html", {"form": form, "task": task})


def _detail(
    request: ActorRequest,
    task: MicroTask,
    *,
    register_error: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    q = request.GET.get("q", "").strip()[:30]
    candidates: list[Resident] | None = None
    if q:
        candidates = svc.claim_candidates(actor, task, q)
    claims = list(svc.task_claims(task))
    live = {c.resident_id for c in claims if c.status in ("claimed", "completed")}
    return render(
        request,
        "points/tasks/task_detail.html",
        {
            "task": task,
            "claims": claims,
            "live_residents": live,
            "q": q,
            "candidates": candidates,
            "register_error": register_error,
            "now": clock.now(),
            "reject_form": RejectForm(),
        },
        status=status,
    )


@login_required
def task_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.TASKS)
    return _detail(request, svc.task_get(actor, public_id))


@login_required
@require_POST
def task_close(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.TASKS)
    task = svc.task_get(actor, public_id)
    try:
        svc.task_close(actor=actor, task=task)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "已结束认领；已认领的仍可确认完成")
    return redirect("points:task_detail", public_id=task.public_id)


@login_required
@require_POST
def task_register(request: ActorRequest, public_id: Any) -> HttpResponse:
    """A claim registered at a station for a resident present (站点登记)."""
    actor = require_any(request, wf.TASKS)
    task = svc.task_get(actor, public_id)
    form = RegisterForm(request.POST)
    resident = None
    if form.is_valid():
        resident = (
            Resident.objects.visible_to(actor, wf.TASKS)
            .select_related("household__unit")
            .filter(public_id=form.cleaned_data["resident"])
            .first()
        )
    if resident is None:
        return _detail(request, task, register_error="请先查找并选择居民", status=400)
    try:
        svc.task_claim(task=task, resident=resident, channel=TaskClaim.Channel.STATION, actor=actor)
    except DomainError as exc:
        return _detail(request, task, register_error=exc.message, status=400)
    messages.success(request, f"已为{resident.name}登记认领")
    return redirect("points:task_detail", public_id=task.public_id)


@login_required
@require_http_methods(["GET", "POST"])
def claim_confirm(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Confirm a claim done, with evidence: the points are proposed (or booked)."""
    actor = require_any(request, wf.TASKS)
    claim = svc.claim_get(actor, public_id)
    form = ConfirmForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            svc.claim_confirm(
                actor=actor,
                claim=claim,
                evidence=form.cleaned_data["evidence"],
                photo=form.cleaned_data["photo"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            proposal = claim.proposal
            if proposal is not None and proposal.status == "booked":
                done = f"已入账 {proposal.points} 分"
            else:
                done = "积分申报已提交，待审核"
            messages.success(request, f"已确认{claim.resident.name}完成任务，{done}")
            return redirect("points:task_detail", public_id=claim.task.public_id)
    return render(
        request,
        "points/tasks/claim_confirm.html",
        {"claim": claim, "form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_POST
def claim_reject(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.TASKS)
    claim = svc.claim_get(actor, public_id)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            svc.claim_reject(actor=actor, claim=claim, note=form.cleaned_data["note"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已记录{claim.resident.name}未完成，名额已释放")
    else:
        messages.error(request, "请填写未完成的原因")
    return redirect("points:task_detail", public_id=claim.task.public_id)


urlpatterns: list[URLPattern] = [
    path("tasks/", task_list, name="task_list"),
    path("tasks/new/", task_create, name="task_create"),
    path("tasks/<uuid:public_id>/", task_detail, name="task_detail"),
    path("tasks/<uuid:public_id>/edit/", task_edit, name="task_edit"),
    path("tasks/<uuid:public_id>/close/", task_close, name="task_close"),
    path("tasks/<uuid:public_id>/register/", task_register, name="task_register"),
    path("tasks/claims/<uuid:public_id>/confirm/", claim_confirm, name="claim_confirm"),
    path("tasks/claims/<uuid:public_id>/reject/", claim_reject, name="claim_reject"),
]
