"""Pages of 四议两公开 matters (see docs/consultation-matters.md).

Staff (namespace ``consultation``, /consultation/matters/...):
- `matter_list`: matters in scope with filters (status, village, words), paged;
- `matter_create`: open a matter at a village or community where the actor handles matters;
- `matter_detail`: the whole chain — the four steps with their meetings, quorum and votes,
  both notices, the events — and the actions the matter's state allows;
- `matter_act`: POST of one action (schedule the next step on a meeting, publish the
  resolution, publish the result, withdraw); a refusal redraws the page with the reason next
  to the field, a stale version (someone acted first) redraws the fresh state (409);
- `matter_notice_pdf`: the printable 决议公开 / 实施结果公开 notice, once published.

Residents (namespace ``consultation_public``, no account): `matter_public` (/c/mt/<uuid>/)
shows a matter whose resolution is published — the chain without names and both notices —
and `matter_public_pdf` its printable notices.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.consultation import matter_notices as notices
from lianxin.consultation import workflow as wf
from lianxin.consultation.forms_matters import (
    MatterCreateForm,
    ResolutionForm,
    ResultForm,
    ScheduleForm,
    WithdrawForm,
    version_initial,
)
from lianxin.consultation.models import Matter
from lianxin.consultation.selectors import matters as sel
from lianxin.consultation.services import matters as svc
from lianxin.core.errors import Conflict, DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest, url_or_empty
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.core.pdf import PdfFontMissing

Status = Matter.Status
DONE = {
    "schedule": "已列入会议议程",
    "resolution": "决议已公开",
    "result": "实施结果已公开",
    "withdraw": "事项已撤销",
}
LABELS = {
    "schedule": "安排下一步会议",
    "resolution": "决议公开",
    "result": "实施结果公开",
    "withdraw": "撤销事项",
}


def _pdf_response(matter: Matter, kind: str) -> HttpResponse:
    if kind not in notices.KINDS:
        raise Http404("没有这种公告")
    try:
        content = notices.notice_pdf(matter, kind)
    except notices.NoticeNotPublished as exc:
        raise Http404("该公告尚未公开") from exc
    except PdfFontMissing as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = str(
        content_disposition_header(False, notices.notice_filename(matter, kind))
    )
    return response


# --- staff -------------------------------------------------------------------------------------


@login_required
@require_GET
def matter_list(request: ActorRequest) -> HttpResponse:
    """Matters in scope, newest first."""
    actor = require_any(request, wf.VIEW)
    filters = sel.MatterFilters.from_query(request.GET)
    page = page_of(request, sel.matters_for(actor, filters))
    return render(
        request,
        "consultation/matters/list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": Status.choices,
            "units": sel.matter_units(actor, wf.VIEW),
            "can_create": actor.can(wf.MATTERS),
            "step_count": wf.STEP_COUNT,
            "querystring_without_page": querystring_without_page(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def matter_create(request: ActorRequest) -> HttpResponse:
    """Open a matter (立项); its first step is the branch's proposal."""
    actor = require_any(request, wf.MATTERS)
    units = list(sel.matter_units(actor))
    form = MatterCreateForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        unit = form.chosen_unit()
        try:
            if unit is None:
                raise DomainError("请选择村（社区）", field="unit")
            matter = svc.matter_create(
                actor=actor,
                unit=unit,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                amount=form.cleaned_data.get("amount"),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "事项已立项，请安排第一步：党支部提议")
            return redirect("consultation:matter_detail", public_id=matter.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "consultation/matters/create.html", {"form": form, "units": units}, status=status
    )


def _action_forms(matter: Matter, meetings: list[Any]) -> dict[str, forms.Form]:
    """The unbound forms of the actions the matter's state allows."""
    initial = version_initial(matter)
    out: dict[str, forms.Form] = {}
    if matter.status in svc.SCHEDULABLE and 1 <= matter.next_step <= wf.STEP_COUNT:
        out["schedule"] = ScheduleForm(initial=initial, meetings=meetings, prefix="schedule")
    if matter.status == Status.RESOLVED:
        out["resolution"] = ResolutionForm(initial=initial, prefix="resolution")
    if matter.status == Status.ANNOUNCED:
        out["result"] = ResultForm(initial=initial, prefix="result")
    if matter.status in svc.SCHEDULABLE:
        out["withdraw"] = WithdrawForm(initial=initial, prefix="withdraw")
    return out


def _detail(
    request: ActorRequest,
    matter: Matter,
    *,
    bound: tuple[str, forms.Form] | None = None,
    conflict: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    can_act = actor.can(wf.MATTERS, matter.unit.path)
    meetings = sel.schedulable_meetings(matter) if can_act else []
    action_forms = _action_forms(matter, meetings) if can_act else {}
    if bound is not None and bound[0] in action_forms:
        action_forms[bound[0]] = bound[1]
    steps = sel.matter_chain(matter)
    for step in steps:
        for attempt in step.attempts:
            attempt.item.detail_url = url_or_empty(  # type: ignore[attr-defined]
                "consultation:item_detail", public_id=attempt.item.public_id
            )
            attempt.meeting.detail_url = url_or_empty(  # type: ignore[attr-defined]
                "consultation:meeting_detail", public_id=attempt.meeting.public_id
            )
    next_step = wf.matter_step(matter.next_step) if matter.next_step <= wf.STEP_COUNT else None
    ctx = {
        "matter": matter,
        "steps": steps,
        "events": sel.matter_events(matter),
        "actions": [
            {
                "name": name,
                "label": LABELS[name],
                "form": form,
                "open": bool(bound and bound[0] == name),
            }
            for name, form in action_forms.items()
        ],
        "next_step": next_step,
        "next_types": svc.step_meeting_type_names(matter.next_step) if next_step else "",
        "meeting_new_url": url_or_empty("consultation:meeting_create"),
        "notice_open": not svc.notice_over(matter),
        "period": notices.notice_period_text(matter),
        "public_url": (
            reverse("consultation_public:matter_public", kwargs={"public_id": matter.public_id})
            if matter.status in sel.PUBLISHED
            else ""
        ),
        "conflict": conflict,
        "can_act": can_act,
    }
    return render(request, "consultation/matters/detail.html", ctx, status=status)


@login_required
@require_GET
def matter_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The whole chain of one matter, with the actions its state allows."""
    actor = require_any(request, wf.VIEW)
    return _detail(request, sel.matter_get(actor, public_id))


def _run(actor: Any, matter: Matter, action: str, form: forms.Form) -> None:
    data = form.cleaned_data
    version = data["version"]
    if action == "schedule":
        assert isinstance(form, ScheduleForm)
        meeting = form.chosen_meeting()
        if meeting is None:
            raise DomainError("请选择会议", field="meeting")
        svc.matter_step_schedule(
            actor=actor, matter=matter, meeting=meeting, expected_version=version
        )
    elif action == "resolution":
        svc.matter_resolution_publish(
            actor=actor,
            matter=matter,
            text=data["text"],
            notice_days=data["notice_days"],
            expected_version=version,
        )
    elif action == "result":
        svc.matter_result_publish(
            actor=actor, matter=matter, text=data["text"], expected_version=version
        )
    else:
        svc.matter_withdraw(
            actor=actor, matter=matter, reason=data["reason"], expected_version=version
        )


@login_required
@require_POST
def matter_act(request: ActorRequest, public_id: Any, action: str) -> HttpResponse:
    """One action on a matter; the form carries the version the page showed."""
    actor = require_any(request, wf.MATTERS)
    matter = sel.matter_get(actor, public_id, wf.MATTERS)
    if action not in LABELS:
        raise Http404("没有这种操作")
    form: forms.Form
    if action == "schedule":
        form = ScheduleForm(
            request.POST, meetings=sel.schedulable_meetings(matter), prefix="schedule"
        )
    else:
        form_class = {
            "resolution": ResolutionForm,
            "result": ResultForm,
            "withdraw": WithdrawForm,
        }[action]
        form = form_class(request.POST, prefix=action)
    if not form.is_valid():
        return _detail(request, matter, bound=(action, form), status=400)
    try:
        _run(actor, matter, action, form)
    except Conflict as exc:
        fresh = sel.matter_get(actor, public_id, wf.MATTERS)
        return _detail(request, fresh, conflict=exc.message, status=409)
    except DomainError as exc:
        add_domain_error(form, exc)
        return _detail(request, matter, bound=(action, form), status=400)
    messages.success(request, DONE[action])
    return redirect("consultation:matter_detail", public_id=matter.public_id)


@login_required
@require_GET
def matter_notice_pdf(request: ActorRequest, public_id: Any, kind: str) -> HttpResponse:
    """The printable notice (决议公开 / 实施结果公开) of a matter in scope, once published."""
    actor = require_any(request, wf.VIEW)
    return _pdf_response(sel.matter_get(actor, public_id), kind)


# --- residents ---------------------------------------------------------------------------------


@require_GET
def matter_public(request: HttpRequest, public_id: Any) -> HttpResponse:
    """A published matter for residents: the four steps (meetings, dates, counts, rates, no
    names) and both notices."""
    matter = sel.public_matter(public_id)
    return render(
        request,
        "consultation/public/matter.html",
        {
            "matter": matter,
            "steps": sel.matter_chain(matter),
            "period": notices.notice_period_text(matter),
            "notice_open": not svc.notice_over(matter),
            "unit_url": url_or_empty("consultation_public:unit_home", code=matter.unit.code),
        },
    )


@require_GET
def matter_public_pdf(request: HttpRequest, public_id: Any, kind: str) -> HttpResponse:
    """A published notice as a PDF (the one posted on the village's board)."""
    return _pdf_response(sel.public_matter(public_id), kind)
