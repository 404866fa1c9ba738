"""Pages of the register: households, residents, the livelihood ledger, Excel import/export.

Views are thin: they parse input, call one selector or service and render. Objects outside the
actor's scope (or outside the scope of the permission an action needs) are 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from lianxin.accounts.permissions import Perm
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of as _page
from lianxin.core.paging import querystring_without_page as _querystring_without_page
from lianxin.core.paging import require_any as _require_any
from lianxin.people import exports, imports, selectors, services
from lianxin.people.forms import (
    HouseholdForm,
    ImportForm,
    LedgerEndForm,
    LedgerEntryForm,
    MoveOutForm,
    ResidentForm,
    ResidentMoveForm,
    VisitForm,
)

PAGE_SIZE = 50
IMPORT_ERRORS_SHOWN = 200


# --- households ----------------------------------------------------------------------------------


@login_required
def household_list(request: ActorRequest) -> HttpResponse:
    actor = _require_any(request, Perm.PEOPLE_VIEW)
    q = request.GET.get("q", "").strip()
    unit = request.GET.get("unit") or None
    qs = selectors.household_list(actor=actor, unit_public_id=unit, q=q)
    return render(
        request,
        "people/household_list.html",
        {
            "page": _page(request, qs),
            "q": q,
            "unit": unit,
            "querystring_without_page": _querystring_without_page(request),
            "can_manage": actor.can(Perm.PEOPLE_MANAGE),
            "can_export": actor.can(Perm.PEOPLE_EXPORT),
        },
    )


@login_required
def household_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    household = selectors.household_get(actor=actor, public_id=public_id)
    path = household.unit.path
    return render(
        request,
        "people/household_detail.html",
        {
            "household": household,
            "residents": selectors.household_residents(household=household),
            "linking": selectors.household_linking_member(actor=actor, household=household),
            "can_manage": actor.can(Perm.PEOPLE_MANAGE, path) and household.is_active,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def household_create(request: ActorRequest) -> HttpResponse:
    actor = _require_any(request, Perm.PEOPLE_MANAGE)
    units = selectors.units_for_households(actor)
    form = HouseholdForm(
        request.POST or None, units=units, initial={"unit": request.GET.get("unit")}
    )
    if request.method == "POST" and form.is_valid():
        try:
            household = services.household_create(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已登记该户")
            return redirect("people:household_detail", public_id=household.public_id)
    return render(request, "people/household_form.html", {"form": form, "household": None})


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    household = selectors.household_get(actor=actor, public_id=public_id, perm=Perm.PEOPLE_MANAGE)
    units = selectors.units_for_households(actor)
    initial = {
        "unit": household.unit.public_id,
        "address": household.address,
        "head_name": household.head_name,
        "number": household.number,
        "residence_type": household.residence_type,
        "note": household.note,
    }
    form = HouseholdForm(request.POST or None, units=units, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_update(actor=actor, household=household, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("people:household_detail", public_id=household.public_id)
    return render(request, "people/household_form.html", {"form": form, "household": household})


@login_required
@require_http_methods(["GET", "POST"])
def household_move_out(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    household = selectors.household_get(actor=actor, public_id=public_id, perm=Perm.PEOPLE_MANAGE)
    form = MoveOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.household_move_out(actor=actor, household=household, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已办理迁出")
            return redirect("people:household_detail", public_id=household.public_id)
    return render(request, "people/household_move_out.html", {"form": form, "household": household})


# --- residents ----------------------------------------------------------------------------------


@login_required
def resident_list(request: ActorRequest) -> HttpResponse:
    actor = _require_any(request, Perm.PEOPLE_VIEW)
    q = request.GET.get("q", "").strip()
    tag = request.GET.get("tag", "")
    age = request.GET.get("age", "")
    unit = request.GET.get("unit") or None
    qs = selectors.resident_list(actor=actor, q=q, tag_code=tag, age_band=age, unit_public_id=unit)
    return render(
        request,
        "people/resident_list.html",
        {
            "page": _page(request, qs),
            "q": q,
            "tag": tag,
            "age": age,
            "unit": unit,
            "tags": selectors.tags_active(),
            "age_bands": [(k, v[0]) for k, v in selectors.AGE_BANDS.items()],
            "querystring_without_page": _querystring_without_page(request),
            "can_export": actor.can(Perm.PEOPLE_EXPORT),
        },
    )


@login_required
def resident_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    resident = selectors.resident_get(actor=actor, public_id=public_id)
    path = resident.household.unit.path
    return render(
        request,
        "people/resident_detail.html",
        {
            "resident": resident,
            "entries": selectors.resident_ledger(resident=resident)
            if actor.can(Perm.LEDGER_VIEW, path)
            else [],
            "can_manage": actor.can(Perm.PEOPLE_MANAGE, path) and resident.is_active,
            "can_reveal": actor.can(Perm.PEOPLE_REVEAL, path),
            "can_ledger": actor.can(Perm.LEDGER_MANAGE, path) and resident.is_active,
            "age": resident.age_on(selectors.local_today()),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def resident_create(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    household = selectors.household_get(actor=actor, public_id=public_id, perm=Perm.PEOPLE_MANAGE)
    form = ResidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resident = services.resident_create(
                actor=actor,
                household=household,
                name=data["name"],
                id_number=data["id_number"],
                phone=data["phone"],
                relation=data["relation"],
                note=data["note"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已登记居民 {resident.name}")
            return redirect("people:household_detail", public_id=household.public_id)
    return render(
        request,
        "people/resident_form.html",
        {"form": form, "household": household, "resident": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def resident_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    resident = selectors.resident_get(actor=actor, public_id=public_id, perm=Perm.PEOPLE_MANAGE)
    initial = {"name": resident.name, "relation": resident.relation, "note": resident.note}
    form = ResidentForm(request.POST or None, initial=initial, editing=resident)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        phone = "" if data.get("clear_phone") else (data["phone"] or None)
        try:
            services.resident_update(
                actor=actor,
                resident=resident,
                name=data["name"],
                relation=data["relation"],
                note=data["note"],
                id_number=data["id_number"] or None,
                phone=phone,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("people:resident_detail", public_id=resident.public_id)
    return render(
        request,
        "people/resident_form.html",
        {"form": form, "household": resident.household, "resident": resident},
    )


@login_required
@require_http_methods(["GET", "POST"])
def resident_move(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    resident = selectors.resident_get(actor=actor, public_id=public_id, perm=Perm.PEOPLE_MANAGE)
    form = ResidentMoveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            target = selectors.household_get(
                actor=actor, public_id=form.cleaned_data["household"], perm=Perm.PEOPLE_MANAGE
            )
            services.resident_move(
                actor=actor,
                resident=resident,
                to_household=target,
                relation=form.cleaned_data["relation"],
            )
        except Http404:
            form.add_error(None, "目标户不存在或不在您的管理范围内")
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已将 {resident.name} 迁入 {target}")
            return redirect("people:resident_detail", public_id=resident.public_id)
    q = request.GET.get("q", "").strip()
    candidates: list[Any] = []
    if q:
        candidates = list(
            selectors.household_list(actor=actor, q=q, perm=Perm.PEOPLE_MANAGE).exclude(
                pk=resident.household_id
            )[:20]
        )
    return render(
        request,
        "people/resident_move.html",
        {"form": form, "resident": resident, "q": q, "candidates": candidates},
    )


@login_required
@require_POST
def resident_reveal(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Show one plaintext value (ID number or phone) to a role allowed to see it; audited.
    Outsiders get 404 like every other page; insiders without the permission a refusal."""
    actor = request.actor
    resident = selectors.resident_get(actor=actor, public_id=public_id)
    field = request.POST.get("field", "")
    value, refusal = "", ""
    try:
        value = services.resident_reveal(actor=actor, resident=resident, field=field)
    except PermissionDenied as exc:
        refusal = exc.message
    except DomainError as exc:
        refusal = exc.message
    context = {
        "resident": resident,
        "field": field,
        "field_label": "身份证号" if field == "id_number" else "手机号",
        "value": value,
        "refusal": refusal,
    }
    template = (
        "people/_reveal_fragment.html"
        if request.headers.get("HX-Request")
        else "people/reveal.html"
    )
    response = render(request, template, context)
    add_never_cache_headers(response)
    return response


# --- livelihood ledger ------------------------------------------------------------------------------


@login_required
def ledger_list(request: ActorRequest) -> HttpResponse:
    actor = _require_any(request, Perm.LEDGER_VIEW)
    tag = request.GET.get("tag", "")
    overdue = request.GET.get("overdue") == "1"
    helper = request.GET.get("helper", "")
    grid = request.GET.get("grid") or None
    qs = selectors.ledger_list(
        actor=actor, tag_code=tag, overdue=overdue, helper=helper, grid_public_id=grid
    )
    return render(
        request,
        "people/ledger_list.html",
        {
            "page": _page(request, qs),
            "tag": tag,
            "overdue": overdue,
            "helper": helper,
            "grid": grid,
            "tags": selectors.tags_active(),
            "summary": selectors.ledger_overdue(actor=actor),
            "today": selectors.local_today(),
            "can_export": actor.can(Perm.PEOPLE_EXPORT),
            "querystring_without_page": _querystring_without_page(request),
        },
    )


@login_required
def ledger_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    entry = selectors.ledger_get(actor=actor, public_id=public_id)
    path = entry.resident.household.unit.path
    return render(
        request,
        "people/ledger_detail.html",
        {
            "entry": entry,
            "visits": selectors.ledger_visits(entry=entry),
            "today": selectors.local_today(),
            "can_visit": entry.is_active and actor.can(Perm.LEDGER_VISIT, path),
            "can_manage": entry.is_active and actor.can(Perm.LEDGER_MANAGE, path),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def ledger_create(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    resident = selectors.resident_get(actor=actor, public_id=public_id, perm=Perm.LEDGER_MANAGE)
    form = LedgerEntryForm(
        request.POST or None,
        tags=selectors.tags_active(),
        helpers=selectors.helper_choices(actor=actor, resident=resident),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            helper_user, helper_resident = selectors.resolve_helper(
                actor=actor, value=data["helper"]
            )
            entry = services.ledger_entry_create(
                actor=actor,
                resident=resident,
                tag=data["tag"],
                helper_user=helper_user,
                helper_resident=helper_resident,
                visit_interval_days=data["visit_interval_days"],
                started_on=data["started_on"],
                note=data["note"],
            )
        except Http404:
            form.add_error("helper", "帮扶人不存在")
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已将 {resident.name} 登记为“{entry.tag.name}”")
            return redirect("people:ledger_detail", public_id=entry.public_id)
    return render(request, "people/ledger_form.html", {"form": form, "resident": resident})


@login_required
@require_http_methods(["GET", "POST"])
def ledger_end(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    entry = selectors.ledger_get(actor=actor, public_id=public_id, perm=Perm.LEDGER_MANAGE)
    form = LedgerEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ledger_entry_end(actor=actor, entry=entry, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已销号")
            return redirect("people:ledger_detail", public_id=entry.public_id)
    return render(request, "people/ledger_end.html", {"form": form, "entry": entry})


@login_required
@require_http_methods(["GET", "POST"])
def visit_create(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    entry = selectors.ledger_get(actor=actor, public_id=public_id, perm=Perm.LEDGER_VISIT)
    form = VisitForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.visit_record(
                actor=actor,
                entry=entry,
                visited_on=data["visited_on"],
                found=data["found"],
                done=data["done"],
                photos=data["photos"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "走访已登记")
            return redirect("people:ledger_detail", public_id=entry.public_id)
    return render(request, "people/visit_form.html", {"form": form, "entry": entry})


@login_required
def visit_photo(request: ActorRequest, public_id: Any, number: int) -> FileResponse:
    """A visit photo, served only to those who may see the visit (photos are personal data)."""
    photo = selectors.visit_photo_get(actor=request.actor, visit_public_id=public_id, number=number)
    response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Excel import / export --------------------------------------------------------------------------


def _import_kinds() -> list[tuple[str, str]]:
    return [(kind, imp.label) for kind, imp in imports.importers().items()]


@login_required
def import_list(request: ActorRequest) -> HttpResponse:
    actor = _require_any(request, Perm.PEOPLE_IMPORT)
    return render(
        request,
        "people/import_list.html",
        {
            "page": _page(request, selectors.import_job_list(actor=actor)),
            "kinds": _import_kinds(),
            "export_kinds": [
                (k, e.label) for k, e in exports.exporters().items() if actor.can(e.perm)
            ],
            "querystring_without_page": "",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def import_create(request: ActorRequest) -> HttpResponse:
    actor = _require_any(request, Perm.PEOPLE_IMPORT)
    form = ImportForm(
        request.POST or None,
        request.FILES or None,
        kinds=_import_kinds(),
        units=selectors.import_target_units(actor),
        initial={"kind": request.GET.get("kind", "residents")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            job = services.import_job_create(
                actor=actor,
                kind=data["kind"],
                unit=data["unit"],
                mode=data["mode"],
                filename=upload.name,
                content=upload.read(),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect("people:import_detail", public_id=job.public_id)
    return render(request, "people/import_form.html", {"form": form, "kinds": _import_kinds()})


@login_required
def import_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    job = selectors.import_job_get(actor=request.actor, public_id=public_id)
    context = {
        "job": job,
        "errors": job.errors[:IMPORT_ERRORS_SHOWN],
        "errors_more": max(0, len(job.errors) - IMPORT_ERRORS_SHOWN),
        "importer": imports.get_importer(job.kind),
        "can_download_file": request.actor.can(Perm.PEOPLE_REVEAL, job.unit.path),
    }
    if request.headers.get("HX-Request"):
        response = render(request, "people/_import_progress.html", context)
        if job.is_finished and request.GET.get("poll"):
            response["HX-Refresh"] = "true"  # reload the whole page to show the result
        add_never_cache_headers(response)
        return response
    return render(request, "people/import_detail.html", context)


@login_required
def import_errors(request: ActorRequest, public_id: Any) -> FileResponse:
    job = selectors.import_job_get(actor=request.actor, public_id=public_id)
    content = imports.errors_workbook(job)
    return _xlsx_response(content, f"导入错误-{job.original_name.rsplit('.', 1)[0]}.xlsx")


@login_required
def import_file(request: ActorRequest, public_id: Any) -> HttpResponseBase:
    """The user's original file, kept for review. It holds plaintext ID numbers and phones,
    so it needs the reveal permission at the unit, and each download is audited."""
    actor = request.actor
    job = selectors.import_job_get(actor=actor, public_id=public_id)
    if not actor.can(Perm.PEOPLE_REVEAL, job.unit.path):
        return render(
            request,
            "people/reveal.html",
            {"refusal": "原始文件含身份证号、手机号明文，您没有查看明文的权限", "back": job},
        )
    content = imports.job_file_content(job)
    audit_record(
        action=AuditEvent.Action.EXPORT,
        object_type="people.importjob",
        object_id=str(job.public_id),
        object_repr=f"下载导入原始文件：{job.original_name}"[:200],
        changes={"original_file": {"revealed": True}},
        scope_path=job.unit.path,
    )
    return _xlsx_response(content, job.original_name)


@login_required
def import_template(request: ActorRequest, kind: str) -> FileResponse:
    _require_any(request, Perm.PEOPLE_IMPORT)
    importer = imports.get_importer(kind)
    if importer is None:
        raise Http404("没有这种导入模板")
    return _xlsx_response(imports.template_workbook(importer), f"{importer.label}导入模板.xlsx")


@login_required
def export(request: ActorRequest, kind: str) -> FileResponse:
    actor = request.actor
    exporter = exports.get_exporter(kind)
    if exporter is None or not actor.can(exporter.perm):
        raise Http404("不存在或无权访问")
    unit = exports.export_unit(actor, exporter, request.GET.get("unit") or None)
    result = exports.write_export(actor=actor, exporter=exporter, unit=unit)
    response = FileResponse(
        result.file,
        as_attachment=True,
        filename=result.filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    add_never_cache_headers(response)
    return response


def _xlsx_response(content: bytes, filename: str) -> FileResponse:
    import io

    response = FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    add_never_cache_headers(response)
    return response
