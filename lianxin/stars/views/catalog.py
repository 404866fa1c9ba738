"""Pages of the star catalog (星级目录与标准), the county's settings, task forces (专班) and the
weak-branch list (软弱涣散党组织).

Everyone with `stars.view` in a county reads the county's catalogs of a year (villages' and
urban communities' sets side by side), each standard in words. The county's configure posts
edit stars, standards and settings; the county's configure or task-force posts keep the task
forces and the weak-branch list. Reads go through `selectors.catalog`, writes are one call of
`services.catalog`; a refusal redraws the form with the reason next to the field (400).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.core import clock
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import require_any
from lianxin.stars import forms_catalog as forms
from lianxin.stars import workflow as wf
from lianxin.stars.models import Star, StarSet, WeakBranch
from lianxin.stars.selectors import catalog as sel
from lianxin.stars.services import catalog as svc
from lianxin.territory.models import Unit


def _year(value: str | None, default: int) -> int:
    try:
        year = int(value or default)
    except ValueError:
        return default
    return year if 2000 <= year <= default + 1 else default


def catalog_url(county: Unit, year: int, anchor: str = "") -> str:
    url = reverse("stars:catalog") + f"?county={county.code}&year={year}"
    return url + (f"#{anchor}" if anchor else "")


def _status(exc: DomainError) -> int:
    return 403 if isinstance(exc, PermissionDenied) else 400


# --- reading -----------------------------------------------------------------------------------


@login_required
@require_GET
def catalog(request: ActorRequest) -> HttpResponse:
    """The county's star sets of a year with their standards, and the year's settings."""
    actor = require_any(request, *sel.READ_PERMS)
    county, counties = sel.county_pick(actor, request.GET.get("county"))
    years = sel.catalog_years(county)
    year = _year(request.GET.get("year"), clock.today().year)
    if year not in years:
        year = clock.today().year
    sets, settings = sel.catalog_read(county, year)
    context = {
        "county": county,
        "counties": counties,
        "year": year,
        "years": years,
        "sets": sets,
        "settings": settings,
        "reward_words": sel.settings_words(settings),
        "progress_award": sel.progress_award_words(settings),
        "can_edit": svc.can_configure(actor, county),
        "can_groups": svc.can_manage_groups(actor, county),
        "indicators": sel.indicator_list(),
    }
    return render(request, "stars/catalog/index.html", context)


# --- stars -------------------------------------------------------------------------------------


def _form_page(request: ActorRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    return render(request, "stars/catalog/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def star_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Rename a star, change its requirements or (de)activate it."""
    star = sel.star_for_edit(request.actor, public_id)
    star_set = star.star_set
    initial = {
        "name": star.name,
        "short_name": star.short_name,
        "description": star.description,
        "is_active": star.is_active,
    }
    form = forms.StarForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                svc.star_update(
                    actor=request.actor,
                    star=star,
                    name=d["name"],
                    short_name=d["short_name"],
                    description=d["description"],
                    is_active=d["is_active"],
                )
            except DomainError as exc:
                status = _status(exc)
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已保存“{star.name}”")
                return redirect(catalog_url(star_set.county, star_set.year, f"star-{star.pk}"))
    context = {
        "title": f"修改星：{star.name}",
        "lead": f"{star_set.county.display_name} {star_set.year}年 {star_set.name} · 代码 {star.code}",
        "form": form,
        "back": catalog_url(star_set.county, star_set.year, f"star-{star.pk}"),
    }
    return _form_page(request, context, status)


@login_required
@require_http_methods(["GET", "POST"])
def star_create(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Add a star to a set."""
    star_set: StarSet = sel.star_set_for_edit(request.actor, public_id)
    form = forms.StarCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                star = svc.star_create(
                    actor=request.actor,
                    star_set=star_set,
                    code=d["code"],
                    name=d["name"],
                    short_name=d["short_name"],
                    description=d["description"],
                )
            except DomainError as exc:
                status = _status(exc)
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已增加“{star.name}”，请为它添加创建标准")
                return redirect(catalog_url(star_set.county, star_set.year, f"star-{star.pk}"))
    context = {
        "title": f"增加星：{star_set.name}",
        "lead": f"{star_set.county.display_name} {star_set.year}年",
        "form": form,
        "back": catalog_url(star_set.county, star_set.year),
    }
    return _form_page(request, context, status)


@login_required
@require_POST
def star_move(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Move a star up or down in its set."""
    star: Star = sel.star_for_edit(request.actor, public_id)
    offset = {"up": -1, "down": 1}.get(request.POST.get("direction", ""), 0)
    try:
        svc.star_move(actor=request.actor, star=star, offset=offset)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(catalog_url(star.star_set.county, star.star_set.year, f"star-{star.pk}"))


# --- standards ---------------------------------------------------------------------------------


def _standard_page(
    request: ActorRequest,
    star: Star,
    form: forms.StandardForm,
    *,
    title: str,
    status: int,
    in_use: bool = False,
) -> HttpResponse:
    star_set = star.star_set
    context = {
        "title": title,
        "lead": f"{star_set.county.display_name} {star_set.year}年 {star_set.name} · {star.name}",
        "form": form,
        "back": catalog_url(star_set.county, star_set.year, f"star-{star.pk}"),
        "standard_form": True,
        "in_use": in_use,
        "indicators": sel.indicator_list(),
    }
    return _form_page(request, context, status)


@login_required
@require_http_methods(["GET", "POST"])
def standard_create(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Add a standard to a star."""
    star = sel.star_for_edit(request.actor, public_id)
    initial = {"kind": wf.MANUAL, "is_required": True, "is_active": True}
    form = forms.StandardForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                svc.standard_create(actor=request.actor, star=star, draft=form.draft())
            except DomainError as exc:
                status = _status(exc)
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已为“{star.name}”增加标准")
                star_set = star.star_set
                return redirect(catalog_url(star_set.county, star_set.year, f"star-{star.pk}"))
    return _standard_page(request, star, form, title="增加创建标准", status=status)


@login_required
@require_http_methods(["GET", "POST"])
def standard_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Change a standard, or deactivate it (its kind stays once declarations use it)."""
    standard = sel.standard_for_edit(request.actor, public_id)
    star = standard.star
    in_use = svc.standard_in_use(standard)
    form = forms.StandardForm(request.POST or None, initial=forms.StandardForm.initial_of(standard))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                svc.standard_update(actor=request.actor, standard=standard, draft=form.draft())
            except DomainError as exc:
                status = _status(exc)
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已保存标准“{standard.name}”")
                star_set = star.star_set
                return redirect(catalog_url(star_set.county, star_set.year, f"star-{star.pk}"))
    return _standard_page(
        request, star, form, title=f"修改标准：{standard.name}", status=status, in_use=in_use
    )


# --- settings ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def settings_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The county's numbers of the year (notice days, progress award, reward rule, contest)."""
    settings = sel.settings_for_edit(request.actor, public_id)
    form = forms.SettingsForm(request.POST or None, initial=forms.SettingsForm.initial_of(settings))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                svc.settings_update(actor=request.actor, settings=settings, **form.values())
            except DomainError as exc:
                status = _status(exc)
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已保存{settings.year}年创建参数")
                return redirect(catalog_url(settings.county, settings.year, "settings"))
    context = {
        "title": f"{settings.year}年创建参数",
        "lead": settings.county.display_name,
        "form": form,
        "back": catalog_url(settings.county, settings.year, "settings"),
    }
    return _form_page(request, context, status)


# --- task forces -------------------------------------------------------------------------------


@login_required
@require_GET
def task_force_list(request: ActorRequest) -> HttpResponse:
    """The county's task forces (专班)."""
    actor = require_any(request, *sel.READ_PERMS)
    county, counties = sel.county_pick(actor, request.GET.get("county"))
    stars = dict(sel.star_codes(county))
    rows = [(t, stars.get(t.star_code, t.star_code)) for t in sel.task_forces(county)]
    context = {
        "county": county,
        "counties": counties,
        "rows": rows,
        "can_groups": svc.can_manage_groups(actor, county),
        "year": clock.today().year,
    }
    return render(request, "stars/catalog/task_forces.html", context)


def _task_forces_url(county: Unit) -> str:
    return reverse("stars:task_force_list") + f"?county={county.code}"


@login_required
@require_http_methods(["GET", "POST"])
def task_force_create(request: ActorRequest, county_id: Any) -> HttpResponse:
    """Set up a task force of the county."""
    county = sel.county_for_groups(request.actor, county_id)
    form = forms.TaskForceForm(request.POST or None, stars=sel.star_codes(county), creating=True)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                row = svc.task_force_create(
                    actor=request.actor,
                    county=county,
                    name=d["name"],
                    lead_unit=d["lead_unit"],
                    leader_name=d["leader_name"],
                    star_code=d["star_code"],
                )
            except DomainError as exc:
                status = _status(exc)
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已建立“{row.name}”")
                return redirect(_task_forces_url(county))
    context = {
        "title": "建立创建专班",
        "lead": county.display_name,
        "form": form,
        "back": _task_forces_url(county),
    }
    return _form_page(request, context, status)


@login_required
@require_http_methods(["GET", "POST"])
def task_force_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Change a task force or stand it down."""
    row = sel.task_force_for_edit(request.actor, public_id)
    initial = {
        "name": row.name,
        "lead_unit": row.lead_unit,
        "leader_name": row.leader_name,
        "star_code": row.star_code,
        "is_active": row.is_active,
    }
    form = forms.TaskForceForm(
        request.POST or None, initial=initial, stars=sel.star_codes(row.county)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                svc.task_force_update(
                    actor=request.actor,
                    task_force=row,
                    name=d["name"],
                    lead_unit=d["lead_unit"],
                    leader_name=d["leader_name"],
                    star_code=d["star_code"],
                    is_active=d["is_active"],
                )
            except DomainError as exc:
                status = _status(exc)
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已保存“{row.name}”")
                return redirect(_task_forces_url(row.county))
    context = {
        "title": f"修改专班：{row.name}",
        "lead": row.county.display_name,
        "form": form,
        "back": _task_forces_url(row.county),
    }
    return _form_page(request, context, status)


# --- weak branches -----------------------------------------------------------------------------


@login_required
@require_GET
def weak_branch_list(request: ActorRequest) -> HttpResponse:
    """The year's weak branches (软弱涣散党组织) the actor sees in the county."""
    actor = require_any(request, *sel.READ_PERMS)
    county, counties = sel.county_pick(actor, request.GET.get("county"))
    years = sel.weak_branch_years(county)
    year = _year(request.GET.get("year"), clock.today().year)
    townships = sel.townships_of(county) if actor.can(wf.VIEW, county.path) else []
    code = (request.GET.get("township") or "").strip()
    township = next((t for t in townships if t.code == code), None)
    rows = list(sel.weak_branches(actor, county, year, township))
    context = {
        "county": county,
        "counties": counties,
        "year": year,
        "years": years if year in years else sorted({*years, year}, reverse=True),
        "townships": townships,
        "township": township,
        "rows": rows,
        "open_count": sum(1 for r in rows if r.lifted_on is None),
        "can_groups": svc.can_manage_groups(actor, county),
    }
    return render(request, "stars/catalog/weak_branches.html", context)


def _weak_url(county: Unit, year: int) -> str:
    return reverse("stars:weak_branch_list") + f"?county={county.code}&year={year}"


def _village_choices(county: Unit) -> list[tuple[str, Any]]:
    """Villages grouped by township, for the designation select."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for v in sel.villages_of(county):
        township = v.parent.display_name if v.parent else ""
        groups.setdefault(township, []).append((str(v.public_id), v.display_name))
    return list(groups.items())


@login_required
@require_http_methods(["GET", "POST"])
def weak_branch_create(request: ActorRequest, county_id: Any) -> HttpResponse:
    """Put a branch on the weak-branch list of a year."""
    county = sel.county_for_groups(request.actor, county_id)
    initial = {"year": _year(request.GET.get("year"), clock.today().year)}
    form = forms.WeakBranchForm(
        request.POST or None, initial=initial, units=_village_choices(county)
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            unit = Unit.objects.filter(public_id=d["unit"], path__startswith=county.path).first()
            try:
                if unit is None:
                    raise DomainError("请选择村（社区）", field="unit")
                row = svc.weak_branch_designate(
                    actor=request.actor,
                    unit=unit,
                    year=d["year"],
                    reason=d["reason"],
                    liaison_name=d["liaison_name"],
                )
            except DomainError as exc:
                status = _status(exc)
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已将{unit.display_name}列入{row.year}年软弱涣散名单")
                return redirect(_weak_url(county, row.year))
    context = {
        "title": "认定软弱涣散党组织",
        "lead": county.display_name,
        "form": form,
        "back": _weak_url(county, initial["year"]),
    }
    return _form_page(request, context, status)


@login_required
@require_http_methods(["GET", "POST"])
def weak_branch_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Correct the reason or liaison (op=save), or lift the designation (op=lift)."""
    row: WeakBranch = sel.weak_branch_for_edit(request.actor, public_id)
    county = svc.county_of(row.unit)
    post = request.POST if request.method == "POST" else None
    op = request.POST.get("op", "save") if post is not None else ""
    form = forms.WeakBranchEditForm(
        post if op == "save" else None,
        initial={"reason": row.reason, "liaison_name": row.liaison_name},
    )
    lift = forms.WeakBranchLiftForm(
        post if op == "lift" else None, initial={"lifted_on": clock.today()}
    )
    status = 200
    if post is not None:
        status = 400
        bound = lift if op == "lift" else form
        if bound.is_valid():
            d = bound.cleaned_data
            try:
                if op == "lift":
                    svc.weak_branch_lift(
                        actor=request.actor, weak_branch=row, lifted_on=d["lifted_on"]
                    )
                    done = f"{row.unit.display_name}已整顿转化，移出{row.year}年名单"
                else:
                    svc.weak_branch_update(
                        actor=request.actor,
                        weak_branch=row,
                        reason=d["reason"],
                        liaison_name=d["liaison_name"],
                    )
                    done = "已保存"
            except DomainError as exc:
                status = _status(exc)
                add_domain_error(bound, exc)
            else:
                messages.success(request, done)
                return redirect(_weak_url(county, row.year))
    context = {
        "row": row,
        "form": form,
        "lift": lift,
        "back": _weak_url(county, row.year),
    }
    return render(request, "stars/catalog/weak_branch_edit.html", context, status=status)
