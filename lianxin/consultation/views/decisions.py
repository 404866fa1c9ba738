"""Pages of decisions followed to their results (议定事项落实).

Staff (namespace ``consultation``): the list with its filters and Excel export, recording a
decision from a decided agenda item or matter (``?item=`` / ``?matter=``), one decision with
its steps (add, report progress with a note), linked requests and the timeline, and
cancelling. Residents (``consultation_public``): a village's public decisions with progress
bars, and one decision's steps and timeline (post labels, never names).

Views parse, call one selector or service, render. A refusal redraws the page with the reason
next to the field (400); a stale form (someone acted first) redraws the fresh state (409).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.accounts.actor import Actor
from lianxin.audit.exports import xlsx_export
from lianxin.consultation import forms_decisions as f
from lianxin.consultation import workflow as wf
from lianxin.consultation.models import AgendaItem, Decision, Matter
from lianxin.consultation.selectors import decisions as sel
from lianxin.consultation.services import decisions as svc
from lianxin.core.errors import Conflict, DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest, url_or_empty
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.territory.models import Unit

PUBLIC_PER_PAGE = 20


def _detail_url(decision: Decision) -> str:
    return reverse("consultation:decision_detail", args=[decision.public_id])


# --- list and export --------------------------------------------------------------------------


@login_required
@require_GET
def decision_list(request: ActorRequest) -> HttpResponse:
    actor = require_any(request, wf.VIEW)
    filters = sel.DecisionFilters.from_query(request.GET)
    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "consultation/decisions/list.html",
        {
            "page": page_of(request, sel.decision_list(actor, filters)),
            "filters": filters,
            "statuses": Decision.Status.choices,
            "units": sel.villages(actor),
            "querystring_without_page": querystring_without_page(request),
            "export_query": urlencode(params),
            "today": svc.today(),
            "can_run": actor.can(wf.RUN),
        },
    )


EXPORT_HEADERS = (
    "村（社区）",
    "事项",
    "决定内容",
    "来源",
    "责任单位",
    "关联项目",
    "决定日期",
    "计划完成",
    "完成日期",
    "进度（%）",
    "状态",
    "按期",
    "向居民公开",
)


def _export_row(d: Decision, today: Any) -> list[Any]:
    if d.on_time is not None:
        timing = "按期" if d.on_time else "逾期完成"
    elif d.status == Decision.Status.IN_PROGRESS and d.due_on < today:
        timing = "已逾期"
    else:
        timing = ""
    source = "会议议定" if d.item_id else ("四议两公开" if d.matter_id else "")
    return [
        d.unit.display_name,
        d.title,
        d.summary,
        source,
        d.responsible,
        d.project,
        d.decided_on,
        d.due_on,
        d.done_on,
        d.progress,
        d.get_status_display(),
        timing,
        "是" if d.is_public else "否",
    ]


@login_required
@require_GET
def decision_export(request: ActorRequest) -> FileResponse:
    """The list as filtered, as .xlsx (every staff list can be exported)."""
    actor = require_any(request, wf.VIEW)
    filters = sel.DecisionFilters.from_query(request.GET)
    today = svc.today()
    return xlsx_export(
        request,
        sheet="议定事项",
        headers=EXPORT_HEADERS,
        rows=(
            _export_row(d, today)
            for d in sel.decision_list(actor, filters).iterator(chunk_size=2000)
        ),
        object_type="consultation.decision",
        scope_path=actor.primary_post.unit_path if actor.primary_post else "",
    )


# --- create -------------------------------------------------------------------------------------


def _unit_choices(unit: Unit) -> list[tuple[str, str]]:
    return [(str(u.public_id), u.display_name) for u in sel.responsible_units(unit)]


def _source(actor: Actor, request: HttpRequest) -> tuple[AgendaItem | None, Matter | None]:
    item_id = request.GET.get("item") or request.POST.get("item") or ""
    matter_id = request.GET.get("matter") or request.POST.get("matter") or ""
    item = sel.source_item(actor, item_id) if item_id else None
    matter = sel.source_matter(actor, matter_id) if matter_id else None
    return item, matter


def _initial(item: AgendaItem | None, matter: Matter | None) -> dict[str, Any]:
    if item is not None:
        decided = timezone.localdate(item.decided_at) if item.decided_at else svc.today()
        summary = item.outcome_note or item.description
        return {"title": item.title, "summary": summary, "decided_on": decided}
    if matter is not None:
        return {
            "title": matter.title,
            "summary": matter.resolution_text or matter.description,
            "decided_on": svc.today(),
        }
    return {}


@login_required
@require_http_methods(["GET", "POST"])
def decision_create(request: ActorRequest) -> HttpResponse:
    """Record a decision from what a meeting decided; without a source, pick one."""
    actor = require_any(request, wf.RUN)
    item, matter = _source(actor, request)
    if item is None and matter is None:
        return render(
            request,
            "consultation/decisions/pick.html",
            {
                "items": sel.candidate_items(actor),
                "matters": sel.candidate_matters(actor),
                "meeting_url": url_or_empty("consultation:meeting_list"),
            },
        )
    unit = item.meeting.unit if item is not None else matter.unit  # type: ignore[union-attr]
    units = _unit_choices(unit)
    form = f.DecisionForm(request.POST or None, initial=_initial(item, matter), units=units)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            decision = _create(actor, form, item=item, matter=matter, unit=unit)
            if decision is not None:
                messages.success(request, "已登记议定事项，请添加落实节点")
                return redirect(_detail_url(decision))
    return render(
        request,
        "consultation/decisions/create.html",
        {"form": form, "item": item, "matter": matter, "unit": unit},
        status=status,
    )


def _create(
    actor: Actor, form: f.DecisionForm, *, item: Any, matter: Any, unit: Unit
) -> Decision | None:
    data = form.cleaned_data
    cases = []
    for no in form.tracking_numbers():
        case = sel.case_in_unit(unit, no)
        if case is None:
            form.add_error("cases", f"在{unit.display_name}没有找到受理编号为 {no} 的诉求")
            return None
        cases.append(case)
    responsible_unit = None
    if data["responsible_unit"]:
        responsible_unit = next(
            (
                u
                for u in sel.responsible_units(unit)
                if str(u.public_id) == data["responsible_unit"]
            ),
            None,
        )
    try:
        return svc.decision_create(
            actor=actor,
            item=item,
            matter=matter,
            title=data["title"],
            summary=data["summary"],
            responsible=data["responsible"],
            responsible_unit=responsible_unit,
            project=data["project"],
            decided_on=data["decided_on"],
            due_on=data["due_on"],
            cases=cases,
            is_public=data["is_public"],
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return None


# --- one decision ---------------------------------------------------------------------------------


def _detail(
    request: ActorRequest,
    actor: Actor,
    decision: Decision,
    *,
    status: int = 200,
    forms: dict[str, Any] | None = None,
    refusal: str = "",
) -> HttpResponse:
    forms = forms or {}
    steps = sel.milestones(decision)
    can_run = actor.can(wf.RUN, decision.unit.path) and decision.status != Decision.Status.CANCELLED
    for m in steps:
        bound = forms.get(f"progress-{m.pk}")
        m.form = bound or f.ProgressForm(  # type: ignore[attr-defined]
            initial={"progress": m.progress, "expected": m.progress}, prefix=f"m{m.pk}"
        )
        m.late = m.due_on < (m.done_on or svc.today())  # type: ignore[attr-defined]
    today = svc.today()
    item, matter = decision.item, decision.matter
    context = {
        "decision": decision,
        "milestones": steps,
        "cases": sel.linked_cases(decision),
        "updates": sel.timeline(decision),
        "can_run": can_run,
        "milestone_form": forms.get("milestone") or f.MilestoneForm(),
        "link_form": forms.get("link") or f.CaseLinkForm(),
        "cancel_form": forms.get("cancel") or f.CancelForm(initial={"version": decision.version}),
        "refusal": refusal,
        "today": today,
        "overdue": decision.status == Decision.Status.IN_PROGRESS and decision.due_on < today,
        "public_url": reverse("consultation_public:decision_public", args=[decision.public_id])
        if decision.is_public
        else "",
        "meeting_url": url_or_empty("consultation:meeting_detail", public_id=item.meeting.public_id)
        if item is not None
        else "",
        "matter_url": url_or_empty("consultation:matter_detail", public_id=matter.public_id)
        if matter is not None
        else "",
    }
    return render(request, "consultation/decisions/detail.html", context, status=status)


@login_required
@require_GET
def decision_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.VIEW)
    return _detail(request, actor, sel.decision_get(actor, public_id))


@login_required
@require_POST
def decision_milestone_add(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.RUN)
    decision = sel.decision_get(actor, public_id, wf.RUN)
    form = f.MilestoneForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        case = None
        if data["tracking_no"]:
            case = sel.case_in_unit(decision.unit, data["tracking_no"])
            if case is None:
                form.add_error(
                    "tracking_no",
                    f"在{decision.unit.display_name}没有找到受理编号为 {data['tracking_no']} 的诉求",
                )
        if not form.errors:
            try:
                svc.milestone_add(
                    actor=actor,
                    decision=decision,
                    title=data["title"],
                    due_on=data["due_on"],
                    case=case,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "已添加落实节点")
                return redirect(_detail_url(decision) + "#milestones")
    return _detail(request, actor, decision, status=400, forms={"milestone": form})


@login_required
@require_POST
def decision_progress(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Report a step's progress; the form carries the progress the page showed."""
    actor = require_any(request, wf.RUN)
    milestone = sel.milestone_get(actor, public_id, wf.RUN)
    decision = sel.decision_get(actor, milestone.decision.public_id, wf.RUN)
    form = f.ProgressForm(request.POST, prefix=f"m{milestone.pk}")
    if form.is_valid():
        data = form.cleaned_data
        try:
            svc.milestone_progress(
                actor=actor,
                milestone=milestone,
                progress=data["progress"],
                note=data["note"],
                expected_progress=data["expected"],
            )
        except Conflict as exc:
            return _detail(request, actor, decision, status=409, refusal=exc.message)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已更新“{milestone.title}”的进度")
            return redirect(_detail_url(decision) + f"#m-{milestone.public_id}")
    return _detail(request, actor, decision, status=400, forms={f"progress-{milestone.pk}": form})


@login_required
@require_POST
def decision_case_link(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.RUN)
    decision = sel.decision_get(actor, public_id, wf.RUN)
    form = f.CaseLinkForm(request.POST)
    if form.is_valid():
        no = form.cleaned_data["tracking_no"]
        case = sel.case_in_unit(decision.unit, no)
        if case is None:
            form.add_error(
                "tracking_no", f"在{decision.unit.display_name}没有找到受理编号为 {no} 的诉求"
            )
        else:
            try:
                svc.decision_link_case(actor=actor, decision=decision, case=case)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已关联诉求 {case.tracking_no}")
                return redirect(_detail_url(decision) + "#cases")
    return _detail(request, actor, decision, status=400, forms={"link": form})


@login_required
@require_POST
def decision_case_unlink(request: ActorRequest, public_id: Any, case_id: Any) -> HttpResponse:
    actor = require_any(request, wf.RUN)
    decision = sel.decision_get(actor, public_id, wf.RUN)
    case = sel.case_linked(decision, case_id)
    try:
        svc.decision_unlink_case(actor=actor, decision=decision, case=case)
    except DomainError as exc:
        return _detail(request, actor, decision, status=400, refusal=exc.message)
    messages.success(request, f"已取消关联诉求 {case.tracking_no}")
    return redirect(_detail_url(decision) + "#cases")


@login_required
@require_POST
def decision_cancel(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.RUN)
    decision = sel.decision_get(actor, public_id, wf.RUN)
    form = f.CancelForm(request.POST)
    if form.is_valid():
        try:
            svc.decision_cancel(
                actor=actor,
                decision=decision,
                reason=form.cleaned_data["reason"],
                expected_version=form.cleaned_data["version"],
            )
        except Conflict as exc:
            fresh = sel.decision_get(actor, public_id, wf.RUN)
            return _detail(request, actor, fresh, status=409, refusal=exc.message)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已撤销该议定事项")
            return redirect(_detail_url(decision))
    return _detail(request, actor, decision, status=400, forms={"cancel": form})


# --- residents' side ------------------------------------------------------------------------------


@require_GET
def public_decision_list(request: HttpRequest, code: str) -> HttpResponse:
    """A village's decisions and what became of them (phone first)."""
    village = sel.public_village(code)
    page = page_of(request, sel.public_decisions(village), per_page=PUBLIC_PER_PAGE)
    return render(
        request,
        "consultation/public/decision_list.html",
        {
            "village": village,
            "page": page,
            "today": svc.today(),
            "querystring_without_page": "",
        },
    )


@require_GET
def public_decision(request: HttpRequest, public_id: Any) -> HttpResponse:
    decision = sel.public_decision(public_id)
    return render(
        request,
        "consultation/public/decision_detail.html",
        {
            "decision": decision,
            "village": decision.unit,
            "milestones": sel.public_milestones(decision),
            "today": svc.today(),
        },
    )
