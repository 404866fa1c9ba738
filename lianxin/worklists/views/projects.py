"""Pages of the project list (项目清单; see docs/worklists-projects.md), under /worklists/projects/:

- `project_list`: demand-side projects in scope with filters and the funds per township;
  `project_export` the same as .xlsx;
- `demand_create`: a village files a demand; `demand_detail` shows it with its updates and the
  actions its state allows the actor; `demand_act` POSTs one (match, decline, start, spend,
  finish): a refusal redraws the page with the reason next to the field, a stale version
  (someone acted first) redraws the fresh state (409);
- `supply_list`, `supply_create`, `supply_detail`, `supply_edit`: the county's library.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.audit.exports import xlsx_export
from lianxin.core.errors import Conflict, DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.worklists import workflow as wf
from lianxin.worklists.forms_projects import (
    DeclineForm,
    DemandCreateForm,
    FinishForm,
    MatchForm,
    SpendForm,
    StartForm,
    SupplyForm,
    version_initial,
)
from lianxin.worklists.models import DemandProject, SupplyProject
from lianxin.worklists.selectors import projects as sel
from lianxin.worklists.services import projects as svc

Status = DemandProject.Status
LABELS = {
    "match": "对接项目库",
    "decline": "暂不支持",
    "start": "开工实施",
    "spend": "登记资金使用",
    "finish": "项目完成",
}
DONE = {
    "match": "已对接项目库",
    "decline": "已答复暂不支持",
    "start": "项目已开工",
    "spend": "资金使用已登记",
    "finish": "项目已完成",
}
FORMS: dict[str, type[forms.Form]] = {
    "decline": DeclineForm,
    "start": StartForm,
    "spend": SpendForm,
    "finish": FinishForm,
}
EXPORT_HEADERS = [
    "乡镇（街道）",
    "村（社区）",
    "年度",
    "项目名称",
    "支撑星",
    "申请资金（元）",
    "状态",
    "对接项目",
    "安排资金（元）",
    "已使用资金（元）",
    "上报时间",
]


# --- demand side -----------------------------------------------------------------------------


@login_required
@require_GET
def project_list(request: ActorRequest) -> HttpResponse:
    """Demand-side projects in scope, with the sums per township."""
    actor = require_any(request, wf.VIEW)
    filters = sel.ProjectFilters.from_query(request.GET)
    page = page_of(request, sel.demands_for(actor, filters))
    stars = sel.star_names()
    for p in page.object_list:
        p.star_name = stars.get(p.star_code, p.star_code)
    return render(
        request,
        "worklists/projects/list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": Status.choices,
            "units": sel.filter_units(actor),
            "sums": sel.township_sums(actor, filters),
            "can_create": actor.can(wf.PROJECTS),
            "keeps_library": bool(sel.library_counties(actor)),
            "querystring_without_page": querystring_without_page(request),
        },
    )


def _export_row(p: DemandProject, stars: dict[str, str]) -> list[Any]:
    return [
        p.unit.parent.display_name if p.unit.parent else "",
        p.unit.display_name,
        p.year,
        p.name,
        stars.get(p.star_code, p.star_code),
        p.funds_requested,
        p.get_status_display(),
        p.supply.name if p.supply else "",
        p.funds_allocated,
        p.funds_spent,
        p.created_at.strftime("%Y-%m-%d"),
    ]


@login_required
@require_GET
def project_export(request: ActorRequest) -> FileResponse:
    """The list as filtered, as .xlsx."""
    actor = require_any(request, wf.VIEW)
    filters = sel.ProjectFilters.from_query(request.GET)
    stars = sel.star_names()
    return xlsx_export(
        request,
        sheet="项目清单",
        headers=EXPORT_HEADERS,
        rows=(
            _export_row(p, stars) for p in sel.demands_for(actor, filters).iterator(chunk_size=2000)
        ),
        object_type="worklists.demandproject",
        scope_path=actor.primary_post.unit_path if actor.primary_post else "",
    )


@login_required
@require_http_methods(["GET", "POST"])
def demand_create(request: ActorRequest) -> HttpResponse:
    """A village files a demand-side project."""
    actor = require_any(request, wf.PROJECTS)
    units = list(sel.demand_units(actor))
    form = DemandCreateForm(request.POST or None, units=units, stars=sel.star_choices())
    if request.method == "POST" and form.is_valid():
        try:
            unit = form.chosen_unit()
            if unit is None:
                raise DomainError("请选择村（社区）", field="unit")
            project = svc.demand_create(
                actor=actor,
                unit=unit,
                year=form.cleaned_data["year"],
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                star_code=form.cleaned_data["star_code"],
                funds_requested=form.cleaned_data["funds_requested"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "项目已上报，等待县级对接")
            return redirect("worklists:demand_detail", public_id=project.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request, "worklists/projects/create.html", {"form": form, "units": units}, status=status
    )


def _allowed(actor: Any, project: DemandProject) -> list[str]:
    """The actions the project's state allows this actor."""
    out = []
    county = svc.county_level(actor, project.unit.path)
    local = actor.can(wf.PROJECTS, project.unit.path)
    for action, sources in wf.DEMAND_MOVES.items():
        if project.status not in sources:
            continue
        if action in ("match", "decline") and not county:
            continue
        if action in ("start", "spend", "finish") and not local:
            continue
        if action == "spend" and project.funds_spent >= project.funds_allocated:
            continue
        out.append(action)
    return out


def _form(
    action: str, project: DemandProject, data: Any = None, supplies: list[Any] | None = None
) -> forms.Form:
    kwargs: dict[str, Any] = {"prefix": action}
    if data is None:
        kwargs["initial"] = version_initial(project)
    if action == "match":
        return MatchForm(data, supplies=supplies or [], **kwargs)
    return FORMS[action](data, **kwargs)


def _detail(
    request: ActorRequest,
    project: DemandProject,
    *,
    bound: tuple[str, forms.Form] | None = None,
    conflict: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    allowed = _allowed(actor, project)
    supplies = sel.match_options(actor, project) if "match" in allowed else []
    actions = []
    for name in allowed:
        form = bound[1] if bound and bound[0] == name else _form(name, project, supplies=supplies)
        actions.append(
            {
                "name": name,
                "label": LABELS[name],
                "form": form,
                "open": bool(bound and bound[0] == name),
            }
        )
    left = project.funds_allocated - project.funds_spent
    return render(
        request,
        "worklists/projects/detail.html",
        {
            "project": project,
            "updates": sel.demand_updates(project),
            "actions": actions,
            "no_supplies": "match" in allowed and not supplies,
            "left": left,
            "star_name": sel.star_names().get(project.star_code, project.star_code),
            "action_labels": svc.ACTION_LABELS,
            "conflict": conflict,
        },
        status=status,
    )


@login_required
@require_GET
def demand_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """One demand project with its updates and the actions its state allows."""
    actor = require_any(request, wf.VIEW)
    return _detail(request, sel.demand_get(actor, public_id))


def _run(actor: Any, project: DemandProject, action: str, form: forms.Form) -> None:
    data = form.cleaned_data
    version = data["version"]
    if action == "match":
        assert isinstance(form, MatchForm)
        supply = form.chosen_supply()
        if supply is None:
            raise DomainError("请选择项目库中的项目", field="supply")
        svc.demand_match(
            actor=actor,
            project=project,
            supply=supply,
            funds_allocated=data["funds_allocated"],
            note=data["note"],
            expected_version=version,
        )
    elif action == "decline":
        svc.demand_decline(
            actor=actor, project=project, reason=data["reason"], expected_version=version
        )
    elif action == "start":
        svc.demand_start(actor=actor, project=project, note=data["note"], expected_version=version)
    elif action == "spend":
        svc.demand_spend(
            actor=actor,
            project=project,
            amount=data["amount"],
            note=data["note"],
            expected_version=version,
        )
    else:
        svc.demand_finish(actor=actor, project=project, note=data["note"], expected_version=version)


@login_required
@require_POST
def demand_act(request: ActorRequest, public_id: Any, action: str) -> HttpResponse:
    """One action on a demand project; the form carries the version the page showed."""
    actor = require_any(request, wf.PROJECTS)
    if action not in LABELS:
        raise Http404("没有这种操作")
    project = sel.demand_get(actor, public_id, wf.PROJECTS)
    supplies = sel.match_options(actor, project) if action == "match" else []
    form = _form(action, project, request.POST, supplies)
    if not form.is_valid():
        return _detail(request, project, bound=(action, form), status=400)
    try:
        _run(actor, project, action, form)
    except Conflict as exc:
        fresh = sel.demand_get(actor, public_id, wf.PROJECTS)
        return _detail(request, fresh, conflict=exc.message, status=409)
    except DomainError as exc:
        add_domain_error(form, exc)
        return _detail(request, project, bound=(action, form), status=400)
    messages.success(request, DONE[action])
    return redirect("worklists:demand_detail", public_id=project.public_id)


# --- supply side (the county's library) ------------------------------------------------------


@login_required
@require_GET
def supply_list(request: ActorRequest) -> HttpResponse:
    """The county's supply-side library with what is allocated and left of each project."""
    actor = require_any(request, wf.VIEW)
    year = sel.ProjectFilters.from_query(request.GET).year
    items = list(sel.supplies_for(actor, year=year))
    stars = sel.star_names(year)
    for s in items:
        s.left = s.funds - s.allocated  # type: ignore[attr-defined]
        s.star_name = stars.get(s.star_code, s.star_code)  # type: ignore[attr-defined]
    return render(
        request,
        "worklists/projects/library.html",
        {
            "items": items,
            "year": year,
            "keeps_library": bool(sel.library_counties(actor)),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def supply_create(request: ActorRequest) -> HttpResponse:
    """Add a project to the library (county level)."""
    actor = require_any(request, wf.PROJECTS)
    counties = sel.library_counties(actor)
    if not counties:
        if request.method == "POST":
            raise Http404("项目库由县级维护")
        return render(request, "worklists/projects/supply_form.html", {"form": None})
    form = SupplyForm(request.POST or None, counties=counties, stars=sel.star_choices())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            county = form.chosen_county()
            if county is None:
                raise DomainError("请选择县（市、区）", field="county")
            supply = svc.supply_create(
                actor=actor,
                county=county,
                year=data["year"],
                name=data["name"],
                department=data["department"],
                category=data["category"],
                star_code=data["star_code"],
                funds=data["funds"],
                description=data["description"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已加入项目库")
            return redirect("worklists:supply_detail", public_id=supply.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "worklists/projects/supply_form.html",
        {"form": form, "supply": None},
        status=status,
    )


def _with_sums(actor: Any, supply: SupplyProject) -> SupplyProject:
    annotated: SupplyProject = sel.supplies_for(actor).get(pk=supply.pk)
    annotated.left = annotated.funds - annotated.allocated  # type: ignore[attr-defined]
    return annotated


@login_required
@require_GET
def supply_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """A library project with the demands matched to it."""
    actor = require_any(request, wf.VIEW)
    supply = _with_sums(actor, sel.supply_get(actor, public_id))
    return render(
        request,
        "worklists/projects/supply_detail.html",
        {
            "supply": supply,
            "matches": sel.supply_matches(supply),
            "star_name": sel.star_names(supply.year).get(supply.star_code, supply.star_code),
            "can_edit": svc.county_level(actor, supply.county.path),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def supply_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Edit a library project, or stop it taking new matches."""
    actor = require_any(request, wf.PROJECTS)
    supply = sel.supply_get(actor, public_id, wf.PROJECTS)
    if not svc.county_level(actor, supply.county.path):
        raise Http404("项目库由县级维护")
    form = SupplyForm(
        request.POST or None,
        counties=[supply.county],
        stars=sel.star_choices(supply.year),
        editing=True,
        initial=SupplyForm.initial_of(supply),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            svc.supply_update(
                actor=actor,
                supply=supply,
                name=data["name"],
                department=data["department"],
                category=data["category"],
                star_code=data["star_code"],
                funds=data["funds"],
                description=data["description"],
                is_open=data["is_open"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "项目库已更新")
            return redirect("worklists:supply_detail", public_id=supply.public_id)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "worklists/projects/supply_form.html",
        {"form": form, "supply": supply},
        status=status,
    )
