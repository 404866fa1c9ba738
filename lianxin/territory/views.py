"""Pages of the territory tree: browse, a unit's detail, and the forms that change units.

Views look units up through selectors (404 outside scope; the manage pages look up with
territory.manage, so someone who may only view gets 404 there too) and call one service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods

from lianxin.core.errors import DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.territory import selectors, services
from lianxin.territory.forms import (
    UnitBatchCreateForm,
    UnitCreateForm,
    UnitMergeForm,
    UnitMoveForm,
    UnitRenameForm,
    UnitRestoreForm,
    UnitRetireForm,
)
from lianxin.territory.models import ALLOWED_PARENT_KINDS, LOCAL_KINDS, PERM_MANAGE, Unit

PAGE_SIZE = 50


def _households_url(unit: Unit) -> str:
    """The people app's household list filtered by this unit (the people app owns that page)."""
    try:
        base = reverse("people:household_list")
    except NoReverseMatch:
        base = "/people/households/"
    return f"{base}?unit={unit.public_id}"


def _child_rows(actor: Any, unit: Unit, *, include_retired: bool, page_number: str | None) -> Any:
    """One page of children with child and household counts (a constant number of queries)."""
    page = Paginator(
        selectors.unit_children(actor, unit, include_retired=include_retired), PAGE_SIZE
    ).get_page(page_number)
    children = list(page.object_list)
    counts = selectors.household_counts(children)
    for child in children:
        child.household_count = counts.get(child.pk, 0)
    page.object_list = children
    return page


@login_required
def browse(request: ActorRequest) -> HttpResponse:
    """The units of the actor's posts; with a single one, its children right away."""
    actor = request.actor
    roots = list(selectors.units_for_browse(actor))
    counts = selectors.household_counts(roots)
    for root in roots:
        root.household_count = counts.get(root.pk, 0)
    page = None
    if len(roots) == 1:
        page = _child_rows(
            actor, roots[0], include_retired=False, page_number=request.GET.get("page")
        )
    return render(request, "territory/browse.html", {"roots": roots, "page": page})


@login_required
def unit_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    unit = selectors.unit_get(actor, public_id)
    include_retired = request.GET.get("retired") == "1"
    page = _child_rows(
        actor, unit, include_retired=include_retired, page_number=request.GET.get("page")
    )
    direct, total = selectors.unit_household_count(unit)
    can_manage = actor.can(PERM_MANAGE, unit.path)
    creatable = [k for k in LOCAL_KINDS if unit.kind in ALLOWED_PARENT_KINDS[k]]
    context = {
        "unit": unit,
        "crumbs": selectors.unit_breadcrumbs(actor, unit),
        "page": page,
        "include_retired": include_retired,
        "querystring_without_page": "retired=1&" if include_retired else "",
        "households_direct": direct,
        "households_total": total,
        "households_url": _households_url(unit),
        "history": selectors.unit_history(unit, limit=30),
        "can_manage": can_manage,
        "can_create": can_manage and unit.is_active and bool(creatable),
        "can_restructure": can_manage and services.unit_can_restructure(actor, unit),
    }
    return render(request, "territory/unit_detail.html", context)


def _form_page(
    request: ActorRequest,
    *,
    unit: Unit,
    form: Any,
    template: str,
    action: Callable[[Any], Unit],
    success: str,
    redirect_to: Callable[[Unit], Unit] | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """Validate, call the service, and on a domain error show it next to the field at fault."""
    if request.method == "POST" and form.is_valid():
        try:
            result = action(form)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, success.format(unit=result.display_name))
            target = redirect_to(result) if redirect_to else result
            return redirect("territory:unit_detail", public_id=target.public_id)
    context = {
        "unit": unit,
        "form": form,
        "crumbs": selectors.unit_breadcrumbs(request.actor, unit),
    }
    context.update(extra or {})
    return render(request, template, context)


def _data(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@login_required
@require_http_methods(["GET", "POST"])
def unit_create(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    parent = selectors.unit_get(actor, public_id, perm=PERM_MANAGE)
    form = UnitCreateForm(_data(request), parent=parent)
    return _form_page(
        request,
        unit=parent,
        form=form,
        template="territory/unit_create.html",
        action=lambda f: services.unit_create(
            actor=actor,
            parent=parent,
            kind=f.cleaned_data["kind"],
            name=f.cleaned_data["name"],
            display_name=f.cleaned_data["display_name"],
        ),
        success="已新建“{unit}”。",
    )


@login_required
@require_http_methods(["GET", "POST"])
def unit_batch_create(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Many grids/buildings from a textarea; "预览" shows the expanded names without saving."""
    actor = request.actor
    parent = selectors.unit_get(actor, public_id, perm=PERM_MANAGE)
    form = UnitBatchCreateForm(_data(request), parent=parent)
    preview: list[str] = []
    if request.method == "POST" and form.is_valid():
        kind, names = form.cleaned_data["kind"], form.cleaned_data["names"]
        if "preview" in request.POST:
            preview = names
        else:
            try:
                created = services.unit_create_batch(
                    actor=actor, parent=parent, kind=kind, names=names
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                label = services.KIND_LABELS[kind]
                messages.success(request, f"已新建 {len(created)} 个{label}。")
                return redirect("territory:unit_detail", public_id=parent.public_id)
    context = {
        "unit": parent,
        "form": form,
        "preview": preview,
        "crumbs": selectors.unit_breadcrumbs(actor, parent),
    }
    return render(request, "territory/unit_batch_create.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def unit_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    unit = selectors.unit_get(actor, public_id, perm=PERM_MANAGE)
    form = UnitRenameForm(_data(request), unit=unit)
    return _form_page(
        request,
        unit=unit,
        form=form,
        template="territory/unit_edit.html",
        action=lambda f: services.unit_rename(
            actor=actor,
            unit=unit,
            display_name=f.cleaned_data["display_name"],
            name=None if unit.is_official else f.cleaned_data["name"],
        ),
        success="已保存“{unit}”的名称。",
    )


@login_required
@require_http_methods(["GET", "POST"])
def unit_move(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    unit = selectors.unit_get(actor, public_id, perm=PERM_MANAGE)
    form = UnitMoveForm(_data(request), candidates=list(selectors.unit_move_targets(actor, unit)))
    return _form_page(
        request,
        unit=unit,
        form=form,
        template="territory/unit_move.html",
        action=lambda f: services.unit_move(actor=actor, unit=unit, new_parent=f.chosen()),
        success="已调整“{unit}”的隶属。",
        extra={"can_restructure": services.unit_can_restructure(actor, unit)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def unit_merge(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    unit = selectors.unit_get(actor, public_id, perm=PERM_MANAGE)
    form = UnitMergeForm(_data(request), candidates=list(selectors.unit_merge_targets(actor, unit)))
    return _form_page(
        request,
        unit=unit,
        form=form,
        template="territory/unit_merge.html",
        action=lambda f: services.unit_merge(
            actor=actor, source=unit, target=f.chosen(), note=f.cleaned_data["note"]
        ),
        success="“{unit}”已合并。",
        # unit_merge has just set merged_into on the source it returns.
        redirect_to=lambda source: cast(Unit, source.merged_into),
        extra={"can_restructure": services.unit_can_restructure(actor, unit)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def unit_retire(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    unit = selectors.unit_get(actor, public_id, perm=PERM_MANAGE)
    form = UnitRetireForm(_data(request))
    return _form_page(
        request,
        unit=unit,
        form=form,
        template="territory/unit_retire.html",
        action=lambda f: services.unit_retire(actor=actor, unit=unit, note=f.cleaned_data["note"]),
        success="已撤销“{unit}”。",
        extra={
            "blockers": selectors.unit_dependents(unit) if unit.is_active else [],
            "can_restructure": services.unit_can_restructure(actor, unit),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def unit_restore(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    unit = selectors.unit_get(actor, public_id, perm=PERM_MANAGE)
    form = UnitRestoreForm(_data(request))
    return _form_page(
        request,
        unit=unit,
        form=form,
        template="territory/unit_restore.html",
        action=lambda f: services.unit_restore(actor=actor, unit=unit, note=f.cleaned_data["note"]),
        success="已恢复“{unit}”。",
        extra={"can_restructure": services.unit_can_restructure(actor, unit)},
    )
