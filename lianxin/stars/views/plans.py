"""Pages of the creation plans (创星规划) and the townships' quotas (创建名额).

Plans (/stars/plans/...): the list of the year's plans in scope (with its Excel export), the
draft form, a plan's page (stars with strengths and weaknesses, measures, milestones, and the
actions its state allows) and the edit form. Quotas (/stars/quotas/...): every township in
scope with its quota, planned and achieved per level; the county sets a township's quota or
gives every township without one the default. Reads go through `selectors.plans` (outside the
scope: 404); every write is one call of `services.plans` or `services.quotas`. A refusal
redraws the page with the reason next to the field (400), a stale version with the fresh
state and what was typed kept (409).
"""

from __future__ import annotations

from typing import Any

from django import forms as dj_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.accounts.actor import Actor
from lianxin.audit.exports import xlsx_export
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.core.scope import path_q
from lianxin.stars import forms_plans as forms
from lianxin.stars import workflow as wf
from lianxin.stars.models import CreationPlan, PlanMeasure, PlanMilestone, Quota
from lianxin.stars.selectors import battlemap as bm
from lianxin.stars.selectors import plans as sel
from lianxin.stars.services import plans as svc
from lianxin.stars.services import quotas as qsvc
from lianxin.territory.models import Unit, UnitKind

Status = CreationPlan.Status
CONFLICT = "规划刚刚被他人修改，下面显示的是最新状态；您填写的内容仍保留在表单中，请核对后再保存"
DONE = {
    "submit": "已报乡镇（街道），等待确认",
    "confirm": "已确认该村（社区）的创建规划",
    "return": "已退回村（社区）修改",
}


def _year(value: str | None, default: int) -> int:
    try:
        year = int(value or default)
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


def _detail_url(plan: CreationPlan) -> str:
    return reverse("stars:plan_detail", args=[plan.public_id])


def _fresh(data: QueryDict, version: int, key: str = "version") -> QueryDict:
    """What the user typed, with the version of the fresh plan (a second save is informed)."""
    copy = data.copy()
    copy[key] = str(version)
    return copy


# --- list ------------------------------------------------------------------------------------


def _filters(request: ActorRequest, actor: Actor) -> dict[str, Any]:
    year = _year(request.GET.get("year"), clock.today().year)
    townships = bm.township_options(actor)
    code = (request.GET.get("township") or "").strip()
    township = next((t for t in townships if t.code == code), None) if code else None
    status = request.GET.get("status") or ""
    return {
        "year": year,
        "townships": townships,
        "township": township,
        "status": status if status in Status.values else "",
    }


@login_required
@require_GET
def plan_list(request: ActorRequest) -> HttpResponse:
    """The year's plans of the villages in scope, with how far the year has come."""
    actor = require_any(request, wf.VIEW)
    f = _filters(request, actor)
    qs = sel.filtered_plans(actor, year=f["year"], township=f["township"], status=f["status"])
    context = {
        **f,
        "years": bm.map_years(),
        "statuses": Status.choices,
        "figures": sel.year_figures(actor, f["year"], f["township"]),
        "page": page_of(request, qs),
        "querystring_without_page": querystring_without_page(request),
        "can_create": bool(sel.drafting_units(actor)),
        "own": sel.own_plan(actor, f["year"]),
    }
    return render(request, "stars/plans/list.html", context)


EXPORT_HEADERS = [
    "乡镇（街道）",
    "村（社区）",
    "年度",
    "状态",
    "目标星级",
    "举措数",
    "已完成举措",
    "报送时间",
    "确认时间",
    "退回原因",
]


@login_required
@require_GET
def plan_list_xlsx(request: ActorRequest) -> FileResponse:
    """The list as filtered, as .xlsx."""
    actor = require_any(request, wf.VIEW)
    f = _filters(request, actor)
    qs = sel.filtered_plans(actor, year=f["year"], township=f["township"], status=f["status"])
    rows = (
        [
            p.unit.parent.display_name if p.unit.parent else "",
            p.unit.display_name,
            p.year,
            p.get_status_display(),
            p.target_level,
            getattr(p, "measures_n", 0),
            getattr(p, "measures_done", 0),
            clock.local_naive(p.submitted_at),
            clock.local_naive(p.confirmed_at),
            p.return_reason,
        ]
        for p in qs
    )
    return xlsx_export(
        request,
        sheet=f"{f['year']}年创建规划",
        headers=EXPORT_HEADERS,
        rows=rows,
        object_type="stars.creationplan",
        scope_path=actor.primary_post.unit_path if actor.primary_post else "",
    )


# --- create ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request: ActorRequest) -> HttpResponse:
    """The village drafts the year's plan (the stars and measures come next, on its page)."""
    actor = require_any(request, wf.VIEW)
    units = sel.drafting_units(actor)
    if not units:
        return render(request, "stars/plans/create.html", {"form": None})
    years = list(svc.plan_years())
    form = forms.PlanCreateForm(
        request.POST or None,
        initial={"unit": units[0].code, "year": clock.today().year},
        units=[(u.code, u.display_name) for u in units],
        years=years,
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            unit = next(u for u in units if u.code == form.cleaned_data["unit"])
            try:
                plan = svc.plan_create(
                    actor=actor,
                    unit=unit,
                    year=form.cleaned_data["year"],
                    summary=form.cleaned_data["summary"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = 403 if isinstance(exc, PermissionDenied) else 400
            else:
                messages.success(request, "已建立创建规划草稿，请勾选今年争创的星并填写优势、短板")
                return redirect(reverse("stars:plan_edit", args=[plan.public_id]))
    existing = (
        CreationPlan.objects.filter(unit__in=units, year__in=years)
        .select_related("unit")
        .order_by("-year", "unit__path")
    )
    return render(
        request,
        "stars/plans/create.html",
        {"form": form, "existing": list(existing)},
        status=status,
    )


# --- a plan ----------------------------------------------------------------------------------


def _actions(actor: Actor, plan: CreationPlan) -> dict[str, bool]:
    """What the page offers the actor in the plan's state (the services decide for good)."""
    draft = svc.can_draft(actor, plan.unit)
    review = svc.can_review(actor, plan.unit)
    return {
        "edit": draft and plan.status == Status.DRAFT,
        "submit": draft and plan.status == Status.DRAFT,
        "confirm": review and plan.status == Status.SUBMITTED,
        "return": review and plan.status in svc.RETURNABLE,
        "mark": draft,
    }


def _prefix(row: PlanMeasure | PlanMilestone) -> str:
    return f"{'m' if isinstance(row, PlanMeasure) else 'k'}-{row.public_id.hex[:8]}"


def _render_detail(
    request: ActorRequest,
    plan: CreationPlan,
    *,
    status: int = 200,
    refusal: str = "",
    conflict: str = "",
    measure_form: forms.MeasureForm | None = None,
    milestone_form: forms.MilestoneForm | None = None,
    return_form: forms.ReturnForm | None = None,
    row_forms: dict[str, dj_forms.Form] | None = None,
) -> HttpResponse:
    actor = request.actor
    stars = sel.plan_stars(plan)
    measures = sel.plan_measures(plan)
    milestones = sel.plan_milestones(plan)
    actions = _actions(actor, plan)
    row_forms = row_forms or {}
    today = clock.today()
    measure_rows = []
    for m in measures:
        prefix = _prefix(m)
        form = row_forms.get(prefix) or forms.MeasureForm(
            initial={
                "title": m.title,
                "star": m.star.code if m.star else "",
                "responsible": m.responsible,
                "deadline": m.deadline,
                "version": plan.version,
            },
            stars=stars,
            prefix=prefix,
        )
        overdue = m.done_on is None and m.deadline < today
        measure_rows.append({"m": m, "form": form, "open": prefix in row_forms, "overdue": overdue})
    milestone_rows = []
    for k in milestones:
        prefix = _prefix(k)
        form = row_forms.get(prefix) or forms.MilestoneForm(
            initial={"title": k.title, "due_on": k.due_on, "version": plan.version}, prefix=prefix
        )
        overdue = k.done_on is None and k.due_on < today
        milestone_rows.append(
            {"k": k, "form": form, "open": prefix in row_forms, "overdue": overdue}
        )
    context = {
        "plan": plan,
        "stars": stars,
        "targets": [ps for ps in stars if ps.is_target],
        "measure_rows": measure_rows,
        "measures_done": sum(1 for m in measures if m.done_on),
        "milestone_rows": milestone_rows,
        "actions": actions,
        "measure_form": measure_form
        or forms.MeasureForm(initial={"version": plan.version}, stars=stars),
        "milestone_form": milestone_form or forms.MilestoneForm(initial={"version": plan.version}),
        "return_form": return_form or forms.ReturnForm(initial={"version": plan.version}),
        "refusal": refusal,
        "conflict": conflict,
    }
    return render(request, "stars/plans/detail.html", context, status=status)


@login_required
@require_GET
def plan_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """A plan with its stars, measures and milestones, and what may be done in its state."""
    return _render_detail(request, sel.plan_get(request.actor, public_id))


def _status_of(exc: DomainError) -> int:
    if isinstance(exc, Conflict):
        return 409
    return 403 if isinstance(exc, PermissionDenied) else 400


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The draft's approach and, per star, the target box, strengths and weaknesses."""
    actor = request.actor
    plan = sel.plan_get(actor, public_id)
    stars = sel.plan_stars(plan)
    editable = _actions(actor, plan)["edit"]
    initial = forms.PlanEditForm.initial_for(plan.version, plan.summary, stars)
    form = forms.PlanEditForm(request.POST or None, initial=initial, stars=stars)
    status, conflict = 200, ""
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                svc.plan_update(
                    actor=actor,
                    plan=plan,
                    summary=form.cleaned_data["summary"],
                    stars=form.drafts(),
                    expected_version=form.cleaned_data["version"],
                )
            except DomainError as exc:
                status = _status_of(exc)
                if isinstance(exc, Conflict):
                    plan = sel.plan_get(actor, public_id)
                    stars = sel.plan_stars(plan)
                    conflict = CONFLICT
                    form = forms.PlanEditForm(
                        _fresh(request.POST, plan.version), initial=initial, stars=stars
                    )
                    form.is_valid()
                    editable = _actions(actor, plan)["edit"]
                else:
                    add_domain_error(form, exc)
            else:
                messages.success(request, "已保存创建规划")
                return redirect(_detail_url(plan))
    context = {
        "plan": plan,
        "form": form,
        "groups": form.star_groups(),
        "editable": editable,
        "conflict": conflict,
    }
    return render(request, "stars/plans/edit.html", context, status=status)


@login_required
@require_POST
def plan_act(request: ActorRequest, public_id: Any) -> HttpResponse:
    """A state move: submit (报乡镇), confirm (确认), return (退回, with a reason)."""
    actor = request.actor
    plan = sel.plan_get(actor, public_id)
    action = request.POST.get("action", "")
    version = forms.VersionForm(request.POST)
    if action not in DONE or not version.is_valid():
        return _render_detail(request, plan, status=400, refusal="请从页面上的按钮操作")
    expected = version.cleaned_data["version"]
    return_form = forms.ReturnForm(request.POST) if action == "return" else None
    try:
        if action == "submit":
            svc.plan_submit(actor=actor, plan=plan, expected_version=expected)
        elif action == "confirm":
            svc.plan_confirm(actor=actor, plan=plan, expected_version=expected)
        else:
            assert return_form is not None
            svc.plan_return(
                actor=actor,
                plan=plan,
                reason=return_form.data.get("reason", ""),
                expected_version=expected,
            )
    except DomainError as exc:
        plan = sel.plan_get(actor, public_id)
        conflict = isinstance(exc, Conflict)
        refusal = "" if conflict else exc.message
        if return_form is not None:
            return_form = forms.ReturnForm(_fresh(request.POST, plan.version))
            return_form.is_valid()
            if not conflict and exc.field in return_form.fields:
                add_domain_error(return_form, exc)
                refusal = ""
        return _render_detail(
            request,
            plan,
            status=_status_of(exc),
            conflict=CONFLICT if conflict else "",
            refusal=refusal,
            return_form=return_form,
        )
    messages.success(request, DONE[action])
    return redirect(_detail_url(plan))


# --- measures and milestones -------------------------------------------------------------------


def _row_refused(
    request: ActorRequest,
    public_id: Any,
    exc: DomainError,
    form: dj_forms.Form,
    *,
    key: str,
) -> HttpResponse:
    """Redraw the plan with the refused form kept (`key`: which form it is)."""
    plan = sel.plan_get(request.actor, public_id)
    conflict = isinstance(exc, Conflict)
    version_key = f"{form.prefix}-version" if form.prefix else "version"
    data = _fresh(form.data, plan.version, version_key)  # type: ignore[arg-type]
    kept: dj_forms.Form
    if isinstance(form, forms.MeasureForm):
        kept = forms.MeasureForm(data, prefix=form.prefix, stars=sel.plan_stars(plan))
    else:
        kept = forms.MilestoneForm(data, prefix=form.prefix)
    kept.is_valid()
    if not conflict:
        add_domain_error(kept, exc)
    kwargs: dict[str, Any] = {}
    if key == "measure":
        kwargs["measure_form"] = kept
    elif key == "milestone":
        kwargs["milestone_form"] = kept
    else:
        kwargs["row_forms"] = {key: kept}
    refusal = "" if conflict or exc.field in kept.fields else exc.message
    return _render_detail(
        request,
        plan,
        status=_status_of(exc),
        conflict=CONFLICT if conflict else "",
        refusal=refusal,
        **kwargs,
    )


@login_required
@require_POST
def plan_measure_add(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Add a measure to the draft."""
    plan = sel.plan_get(request.actor, public_id)
    form = forms.MeasureForm(request.POST, stars=sel.plan_stars(plan))
    if not form.is_valid():
        return _render_detail(request, plan, status=400, measure_form=form)
    try:
        svc.plan_measure_add(
            actor=request.actor,
            plan=plan,
            draft=form.draft(),
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        return _row_refused(request, public_id, exc, form, key="measure")
    messages.success(request, "已增加举措")
    return redirect(_detail_url(plan) + "#measures")


def _done_on(request: ActorRequest) -> Any:
    done = forms.DoneForm(request.POST)
    if not done.is_valid():
        raise DomainError("请填写正确的完成日期", field="done_on")
    return done.cleaned_data["done_on"]


@login_required
@require_POST
def plan_measure_edit(request: ActorRequest, public_id: Any, measure_id: Any) -> HttpResponse:
    """A measure: save (op=save), remove, done, undone."""
    actor = request.actor
    plan = sel.plan_get(actor, public_id)
    measure = sel.measure_get(plan, measure_id)
    op = request.POST.get("op", "")
    prefix = _prefix(measure)
    form = forms.MeasureForm(request.POST, stars=sel.plan_stars(plan), prefix=prefix)
    try:
        if op == "done":
            svc.plan_measure_done(actor=actor, measure=measure, done_on=_done_on(request))
            messages.success(request, f"已标记完成：{measure.title}")
        elif op == "undone":
            svc.plan_measure_undone(actor=actor, measure=measure)
            messages.success(request, f"已撤销完成标记：{measure.title}")
        elif op == "remove":
            version = forms.VersionForm({"version": request.POST.get(f"{prefix}-version")})
            if not version.is_valid():
                raise Conflict(CONFLICT)
            svc.plan_measure_remove(
                actor=actor, measure=measure, expected_version=version.cleaned_data["version"]
            )
            messages.success(request, f"已删除举措：{measure.title}")
        elif op == "save":
            if not form.is_valid():
                return _render_detail(request, plan, status=400, row_forms={prefix: form})
            svc.plan_measure_update(
                actor=actor,
                measure=measure,
                draft=form.draft(),
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, "已修改举措")
        else:
            return _render_detail(request, plan, status=400, refusal="请从页面上的按钮操作")
    except DomainError as exc:
        if op == "save":
            return _row_refused(request, public_id, exc, form, key=prefix)
        fresh = sel.plan_get(actor, public_id)
        return _render_detail(
            request,
            fresh,
            status=_status_of(exc),
            conflict=CONFLICT if isinstance(exc, Conflict) else "",
            refusal="" if isinstance(exc, Conflict) else exc.message,
        )
    return redirect(_detail_url(plan) + "#measures")


@login_required
@require_POST
def plan_milestone_add(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Add a milestone to the draft."""
    plan = sel.plan_get(request.actor, public_id)
    form = forms.MilestoneForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, plan, status=400, milestone_form=form)
    try:
        svc.plan_milestone_add(
            actor=request.actor,
            plan=plan,
            draft=form.draft(),
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        return _row_refused(request, public_id, exc, form, key="milestone")
    messages.success(request, "已增加时间节点")
    return redirect(_detail_url(plan) + "#milestones")


@login_required
@require_POST
def plan_milestone_edit(request: ActorRequest, public_id: Any, milestone_id: Any) -> HttpResponse:
    """A milestone: save (op=save), remove, done, undone."""
    actor = request.actor
    plan = sel.plan_get(actor, public_id)
    milestone = sel.milestone_get(plan, milestone_id)
    op = request.POST.get("op", "")
    prefix = _prefix(milestone)
    form = forms.MilestoneForm(request.POST, prefix=prefix)
    try:
        if op == "done":
            svc.plan_milestone_done(actor=actor, milestone=milestone, done_on=_done_on(request))
            messages.success(request, f"已标记完成：{milestone.title}")
        elif op == "undone":
            svc.plan_milestone_undone(actor=actor, milestone=milestone)
            messages.success(request, f"已撤销完成标记：{milestone.title}")
        elif op == "remove":
            version = forms.VersionForm({"version": request.POST.get(f"{prefix}-version")})
            if not version.is_valid():
                raise Conflict(CONFLICT)
            svc.plan_milestone_remove(
                actor=actor,
                milestone=milestone,
                expected_version=version.cleaned_data["version"],
            )
            messages.success(request, f"已删除时间节点：{milestone.title}")
        elif op == "save":
            if not form.is_valid():
                return _render_detail(request, plan, status=400, row_forms={prefix: form})
            svc.plan_milestone_update(
                actor=actor,
                milestone=milestone,
                draft=form.draft(),
                expected_version=form.cleaned_data["version"],
            )
            messages.success(request, "已修改时间节点")
        else:
            return _render_detail(request, plan, status=400, refusal="请从页面上的按钮操作")
    except DomainError as exc:
        if op == "save":
            return _row_refused(request, public_id, exc, form, key=prefix)
        fresh = sel.plan_get(actor, public_id)
        return _render_detail(
            request,
            fresh,
            status=_status_of(exc),
            conflict=CONFLICT if isinstance(exc, Conflict) else "",
            refusal="" if isinstance(exc, Conflict) else exc.message,
        )
    return redirect(_detail_url(plan) + "#milestones")


# --- quotas ----------------------------------------------------------------------------------


def _county_units(actor: Actor) -> list[Unit]:
    """The counties (or cities) where the actor sets quotas."""
    ids = [
        p.unit_id
        for p in actor.posts_with(wf.REVIEW_COUNTY)
        if p.unit_kind in (UnitKind.COUNTY, UnitKind.CITY)
    ]
    return list(Unit.objects.filter(pk__in=ids).order_by("path")) if ids else []


@login_required
@require_GET
def quota_list(request: ActorRequest) -> HttpResponse:
    """Every township in scope: quota, planned and achieved per level for the year."""
    actor = require_any(request, wf.VIEW)
    year = _year(request.GET.get("year"), clock.today().year)
    data = bm.battle_map(actor, year=year)
    counties = _county_units(actor)
    blocks = [
        {"block": b, "can_set": b.township is not None and qsvc.can_set_quota(actor, b.township)}
        for b in data.quota_blocks
    ]
    context = {
        "year": year,
        "years": bm.map_years(),
        "blocks": blocks,
        "totals": data.totals,
        "total_villages": sum(b.villages for b in data.quota_blocks),
        "levels": qsvc.LEVELS,
        "level_labels": qsvc.LEVEL_LABELS,
        "counties": counties,
        "settable": year in qsvc.quota_years(),
        "defaults": qsvc.DEFAULT_QUOTA,
    }
    return render(request, "stars/plans/quotas.html", context)


def _township_for_quota(actor: Actor, code: str) -> Unit:
    require_perm = actor.scope_paths(wf.REVIEW_COUNTY)
    township = (
        Unit.objects.filter(path_q("path", require_perm))
        .filter(code=code, kind=UnitKind.TOWNSHIP)
        .first()
    )
    if township is None:
        raise Http404("不存在或无权访问")
    return township


@login_required
@require_http_methods(["GET", "POST"])
def quota_edit(request: ActorRequest, code: str, year: int) -> HttpResponse:
    """The county sets one township's quota for a year, level by level."""
    actor = require_any(request, wf.REVIEW_COUNTY)
    township = _township_for_quota(actor, code)
    current = {q.level: q.count for q in Quota.objects.filter(township=township, year=year)}
    initial = {qsvc.field_name(level): current.get(level, 0) for level in qsvc.LEVELS}
    form = forms.QuotaForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                qsvc.quota_set(actor=actor, township=township, year=year, counts=form.counts())
            except DomainError as exc:
                add_domain_error(form, exc)
                status = _status_of(exc)
            else:
                messages.success(request, f"已下达{township.display_name}{year}年创建名额")
                return redirect(reverse("stars:quota_list") + f"?year={year}")
    villages = Unit.objects.filter(parent=township, kind=UnitKind.VILLAGE, is_active=True).count()
    context = {"township": township, "year": year, "form": form, "villages": villages}
    return render(request, "stars/plans/quota_edit.html", context, status=status)


@login_required
@require_POST
def quota_defaults(request: ActorRequest, code: str, year: int) -> HttpResponse:
    """Every township of the county without a quota for the year gets the default."""
    actor = require_any(request, wf.REVIEW_COUNTY)
    county = (
        Unit.objects.filter(path_q("path", actor.scope_paths(wf.REVIEW_COUNTY)))
        .filter(code=code, kind__in=[UnitKind.COUNTY, UnitKind.CITY])
        .first()
    )
    if county is None:
        raise Http404("不存在或无权访问")
    try:
        n = qsvc.quota_apply_defaults(actor=actor, county=county, year=year)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if n:
            messages.success(request, f"已为{n}个乡镇（街道）按默认下达{year}年创建名额")
        else:
            messages.info(request, "各乡镇（街道）都已有名额，未作改动")
    return redirect(reverse("stars:quota_list") + f"?year={year}")
