"""Pages of the kinds of request beyond the ordinary: dispute mediation (排查—化解—回访),
errands (帮办、代办、上门办) and the grid worker's daily patrol log (每日巡查).

Views are thin: parse with a form, call one service or read helper, render. Rows outside the
actor's scope are 404. Parties' and beneficiaries' names are masked for anyone who does not
handle the request; phone numbers are only ever shown masked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from lianxin.accounts.actor import Actor
from lianxin.accounts.permissions import Perm
from lianxin.cases import forms_kinds as f
from lianxin.cases import workflow as wf
from lianxin.cases.models import Case, MediationParty, MediationTeam
from lianxin.cases.services import errands, lifecycle, mediation, patrol
from lianxin.core import crypto
from lianxin.core.errors import DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of as _page
from lianxin.core.paging import querystring_without_page as _querystring_without_page
from lianxin.core.paging import require_any as _require_any
from lianxin.people.models import Resident
from lianxin.territory.models import Unit

PAGE_SIZE = 50
PLACE_KINDS = ("building", "grid", "village")


def _file_units(actor: Actor) -> Any:
    """Buildings, grids and villages where the actor may file requests."""
    return (
        Unit.objects.visible_to(actor, wf.FILE)
        .filter(kind__in=PLACE_KINDS, is_active=True)
        .order_by("path")
    )


def _name(name: str, clear: bool) -> str:
    return name if clear else crypto.mask_name(name)


# --- patrol ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def patrol_today(request: ActorRequest) -> HttpResponse:
    """The grid worker's phone page: start a patrol, file findings, finish it."""
    actor = _require_any(request, wf.VIEW)
    units = patrol.patrol_units(actor)
    today = patrol.patrols_today(actor)
    current = next((p for p in today if p.ended_at is None), None)
    start_form = f.PatrolStartForm(units=units)
    finding_form = (
        f.PatrolFindingForm(units=patrol.finding_units(current), initial={"unit": current.unit})
        if current
        else None
    )
    finish_form = f.PatrolFinishForm()
    if request.method == "POST":
        op = request.POST.get("op")
        if op == "start":
            start_form = f.PatrolStartForm(request.POST, units=units)
            if start_form.is_valid():
                try:
                    patrol.patrol_start(actor=actor, **start_form.cleaned_data)
                except DomainError as exc:
                    add_domain_error(start_form, exc)
                else:
                    messages.success(request, "巡查已开始，发现问题可随时登记")
                    return redirect("cases:patrol_today")
        elif op in {"finding", "finish"}:
            log = patrol.own_patrol_get(actor, public_id=request.POST.get("patrol"))
            if op == "finding":
                finding_form = f.PatrolFindingForm(
                    request.POST, request.FILES, units=patrol.finding_units(log)
                )
                if finding_form.is_valid():
                    try:
                        case = patrol.patrol_finding(
                            actor=actor, patrol=log, **finding_form.cleaned_data
                        )
                    except DomainError as exc:
                        add_domain_error(finding_form, exc)
                    else:
                        messages.success(request, f"已登记为诉求，受理编号 {case.tracking_no}")
                        return redirect("cases:patrol_today")
            else:
                finish_form = f.PatrolFinishForm(request.POST)
                if finish_form.is_valid():
                    try:
                        patrol.patrol_finish(actor=actor, patrol=log, **finish_form.cleaned_data)
                    except DomainError as exc:
                        add_domain_error(finish_form, exc)
                    else:
                        messages.success(request, "巡查已结束")
                        return redirect("cases:patrol_today")
        else:
            raise Http404("未知操作")
    return render(
        request,
        "cases/kinds/patrol_today.html",
        {
            "can_patrol": patrol.can_patrol(actor) and units.exists(),
            "current": current,
            "today": today,
            "findings": list(patrol.findings_of(actor, current)) if current else [],
            "start_form": start_form,
            "finding_form": finding_form,
            "finish_form": finish_form,
        },
    )


@login_required
@require_GET
def patrol_list(request: ActorRequest) -> HttpResponse:
    """Patrol logs in scope by grid, worker and day."""
    actor = _require_any(request, wf.VIEW)
    qs = patrol.patrols_for(actor)
    day = f.parse_date(request.GET.get("date"))
    if day:
        qs = qs.filter(patrol_date=day)
    grid = request.GET.get("grid") or ""
    grids = Unit.objects.visible_to(actor, wf.VIEW).filter(kind="grid", is_active=True)
    if grid:
        chosen = grids.filter(public_id=grid).first() if _is_uuid(grid) else None
        qs = qs.filter(place_path__startswith=chosen.path) if chosen else qs.none()
    worker = request.GET.get("worker") or ""
    if worker == "me":
        qs = qs.filter(worker_id=actor.user_id)
    elif worker:
        qs = qs.filter(worker__public_id=worker) if _is_uuid(worker) else qs.none()
    return render(
        request,
        "cases/kinds/patrol_list.html",
        {
            "page": _page(request, qs),
            "grids": grids.order_by("path"),
            "grid": grid,
            "day": day,
            "worker": worker,
            "querystring_without_page": _querystring_without_page(request),
        },
    )


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@login_required
@require_GET
def patrol_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    log = patrol.patrol_get(actor, public_id=public_id)
    return render(
        request,
        "cases/kinds/patrol_detail.html",
        {
            "log": log,
            "findings": patrol.findings_of(actor, log),
            "is_mine": log.worker_id == actor.user_id,
        },
    )


# --- mediation -------------------------------------------------------------------------------


def _stage(m: Any, case: Case) -> tuple[str, str]:
    """The mediation's stage for lists: (label, badge class)."""
    if m.agreement_reached is None:
        return ("调解中", "")
    if m.agreement_reached is False:
        return ("未达成协议", "warn")
    if m.revisited_at is None:
        return ("待回访", "warn" if m.revisit_due_on and m.revisit_due_on <= _today() else "")
    if m.revisit_stable is False and case.is_open:
        return ("回访有反复，重新调解", "warn")
    return ("已回访", "ok")


def _today() -> dt.date:
    return patrol.local_today()


@login_required
@require_GET
def mediation_list(request: ActorRequest) -> HttpResponse:
    actor = _require_any(request, wf.VIEW)
    qs = mediation.mediations_for(actor).prefetch_related(
        Prefetch("mediation__parties", queryset=MediationParty.objects.order_by("id"))
    )
    state = request.GET.get("state", "")
    if state == "open":
        qs = qs.filter(status__in=wf.OPEN_STATUSES)
    elif state == "revisit":
        qs = qs.filter(mediation__agreement_reached=True, mediation__revisited_at__isnull=True)
        qs = qs.order_by("mediation__revisit_due_on", "id")
    elif state == "failed":
        qs = qs.filter(mediation__agreement_reached=False)
    page = _page(request, qs)
    rows = []
    for case in page.object_list:
        m = case.mediation
        clear = mediation.is_handler(actor, case)
        label, badge = _stage(m, case)
        rows.append(
            {
                "case": case,
                "m": m,
                "parties": [(_name(p.name, clear), p.get_role_display()) for p in m.parties.all()],
                "stage": label,
                "badge": badge,
            }
        )
    return render(
        request,
        "cases/kinds/mediation_list.html",
        {
            "page": page,
            "rows": rows,
            "state": state,
            "stats": _year_stats(actor),
            "can_file": actor.can(wf.FILE),
            "querystring_without_page": _querystring_without_page(request),
        },
    )


def _year_stats(actor: Actor) -> dict[str, Any] | None:
    """This year's mediation figures for the actor's primary unit."""
    post = actor.primary_post
    if post is None or not actor.can(wf.VIEW, post.unit_path):
        return None
    today = _today()
    unit = Unit.objects.get(pk=post.unit_id)
    stats = mediation.mediation_stats(
        unit=unit, date_from=today.replace(month=1, day=1), date_to=today
    )
    return {"unit": unit, "stats": stats, "year": today.year}


@login_required
@require_http_methods(["GET", "POST"])
def mediation_new(request: ActorRequest) -> HttpResponse:
    actor = _require_any(request, wf.FILE)
    kinds = list(mediation.dispute_categories())
    teams = mediation.teams_for(actor) if actor.can(wf.DISPATCH) else None
    form = f.MediationForm(request.POST or None, units=_file_units(actor), kinds=kinds, teams=teams)
    parties = f.PartyFormSet(request.POST or None, prefix="parties", initial=f.PARTY_INITIAL)
    if request.method == "POST" and form.is_valid() and parties.is_valid():
        data = form.cleaned_data
        category = next((c for c in kinds if c.code == data["dispute_kind"]), None)
        try:
            m = mediation.mediation_open(
                actor=actor,
                unit=data["unit"],
                dispute_kind=category.name if category else "其他纠纷",
                category=category,
                description=data["description"],
                channel=data["channel"],
                team=data.get("team"),
                parties=[
                    mediation.PartyInput(
                        name=p.get("name", ""), phone=p.get("phone", ""), role=p.get("role", "")
                    )
                    for p in parties.cleaned_data
                ],
            )
        except DomainError as exc:
            _party_error(form, parties, exc)
        else:
            messages.success(request, f"已登记矛盾纠纷，受理编号 {m.case.tracking_no}")
            return redirect("cases:mediation_detail", public_id=m.case.public_id)
    return render(request, "cases/kinds/mediation_form.html", {"form": form, "parties": parties})


def _party_error(form: Any, parties: Any, exc: DomainError) -> None:
    """A service error naming `parties.<i>.<field>` goes next to that party's field."""
    bits = (exc.field or "").split(".")
    if len(bits) == 3 and bits[0] == "parties" and bits[1].isdigit():
        i, name = int(bits[1]), bits[2]
        if i < len(parties.forms):
            target = parties.forms[i]
            target.add_error(name if name in target.fields else None, exc.message)
            return
    add_domain_error(form, exc)


@login_required
@require_http_methods(["GET", "POST"])
def mediation_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    case = mediation.mediation_get(actor, public_id=public_id)
    m = case.mediation
    m.case = case  # the services read the request through the mediation
    can_handle = lifecycle.actor_may(actor, case, wf.HANDLE)
    can_dispatch = lifecycle.actor_may(actor, case, wf.DISPATCH)
    teams = mediation.teams_for(actor) if can_dispatch else MediationTeam.objects.none()
    version = {"version": case.version}
    forms: dict[str, Any] = {
        "session": f.SessionForm(prefix="s"),
        "conclude": f.ConcludeForm(prefix="c", initial=version),
        "revisit": f.RevisitForm(prefix="r", initial=version),
        "dispatch": f.DispatchForm(prefix="d", initial=version, teams=teams),
    }
    if request.method == "POST":
        op = request.POST.get("op", "")
        done = _mediation_post(request, actor, m, op, forms, teams)
        if done:
            messages.success(request, done)
            return redirect("cases:mediation_detail", public_id=case.public_id)
    clear = actor.can(wf.REVEAL, case.place_path) or lifecycle.actor_may(actor, case, wf.REVEAL)
    return render(
        request,
        "cases/kinds/mediation_detail.html",
        {
            "case": case,
            "m": m,
            "parties": [
                {
                    "name": _name(p.name, clear),
                    "role": p.get_role_display(),
                    "phone": p.phone_masked,
                }
                for p in m.parties.order_by("id")
            ],
            "sessions": m.sessions.select_related("recorded_by").order_by("held_at", "id"),
            "stage": _stage(m, case),
            "forms": forms,
            "show_session": can_handle and case.is_open,
            "show_conclude": can_handle and case.is_open,
            "show_revisit": can_handle and m.agreement_reached is True and m.revisited_at is None,
            "show_dispatch": can_dispatch
            and case.status in (wf.UNDISPATCHED | wf.WITH_HANDLER)
            and teams.exists(),
        },
    )


def _mediation_post(
    request: ActorRequest,
    actor: Actor,
    m: Any,
    op: str,
    forms: dict[str, Any],
    teams: Any,
) -> str:
    """Apply one posted form; the success message, or "" with errors left on the form."""
    post, files = request.POST, request.FILES
    form: Any
    if op == "session":
        form = forms["session"] = f.SessionForm(post, prefix="s")
        if form.is_valid():
            try:
                mediation.mediation_session_record(actor=actor, mediation=m, **form.cleaned_data)
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return "调解记录已登记"
    elif op == "conclude":
        form = forms["conclude"] = f.ConcludeForm(post, files, prefix="c")
        if form.is_valid():
            data = form.cleaned_data
            try:
                mediation.mediation_conclude(
                    actor=actor,
                    mediation=m,
                    agreement_reached=data["agreement_reached"],
                    agreement=data["agreement"],
                    photos=data["photos"],
                    expected_version=data["version"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return (
                    "已达成调解协议，到期请回访"
                    if data["agreement_reached"]
                    else "已记录未达成协议"
                )
    elif op == "revisit":
        form = forms["revisit"] = f.RevisitForm(post, prefix="r")
        if form.is_valid():
            data = form.cleaned_data
            try:
                mediation.mediation_revisit(
                    actor=actor,
                    mediation=m,
                    stable=data["stable"],
                    note=data["note"],
                    satisfaction=data["satisfaction"] or None,
                    expected_version=data["version"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return "回访已记录" if data["stable"] else "回访已记录，调解重新办理"
    elif op == "dispatch":
        form = forms["dispatch"] = f.DispatchForm(post, prefix="d", teams=teams)
        if form.is_valid():
            try:
                mediation.mediation_dispatch(
                    actor=actor,
                    mediation=m,
                    team=form.cleaned_data["team"],
                    expected_version=form.cleaned_data["version"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                return "已派至调解组织"
    else:
        raise Http404("未知操作")
    return ""


# --- errands ---------------------------------------------------------------------------------


@login_required
@require_GET
def errand_list(request: ActorRequest) -> HttpResponse:
    actor = _require_any(request, wf.VIEW)
    qs = errands.errands_for(actor)
    state = request.GET.get("state", "")
    if state == "pending":
        qs = qs.filter(errand__done_at__isnull=True)
    elif state == "done":
        qs = qs.filter(errand__done_at__isnull=False)
    q = request.GET.get("q", "").strip()
    if q:
        qs = qs.filter(Q(errand__service__icontains=q))
    page = _page(request, qs)
    rows = []
    for case in page.object_list:
        e = case.errand
        entry = e.ledger_entry
        rows.append(
            {
                "case": case,
                "e": e,
                "name": _name(e.beneficiary_name, mediation.is_handler(actor, case)),
                "tag": entry.tag.name
                if entry and actor.can(Perm.LEDGER_VIEW, case.place_path)
                else "",
            }
        )
    return render(
        request,
        "cases/kinds/errand_list.html",
        {
            "page": page,
            "rows": rows,
            "state": state,
            "q": q,
            "can_file": actor.can(wf.FILE),
            "querystring_without_page": _querystring_without_page(request),
        },
    )


def _resident(actor: Actor, public_id: Any) -> Resident | None:
    if not public_id:
        return None
    return (
        Resident.objects.visible_to(actor, Perm.PEOPLE_VIEW)
        .filter(public_id=public_id, is_active=True)
        .select_related("household__unit")
        .first()
    )


@login_required
@require_http_methods(["GET", "POST"])
def errand_new(request: ActorRequest) -> HttpResponse:
    actor = _require_any(request, wf.FILE)
    initial: dict[str, Any] = {}
    preset = request.GET.get("resident")
    chosen = _resident(actor, preset) if preset and _is_uuid(preset) else None
    if chosen is not None:
        initial = {"beneficiary": chosen.public_id, "beneficiary_name": chosen.name}
    form = f.ErrandForm(
        request.POST or None, request.FILES or None, units=_file_units(actor), initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = _resident(actor, data["beneficiary"])
        if data["beneficiary"] and chosen is None:
            form.add_error("beneficiary_name", "服务对象不在您的辖区或已迁出")
        else:
            try:
                errand = errands.errand_record(
                    actor=actor,
                    service=data["service"],
                    mode=data["mode"],
                    unit=data["unit"],
                    beneficiary_id=chosen.pk if chosen else None,
                    beneficiary_name=data["beneficiary_name"],
                    description=data["description"],
                    done=data["done"],
                    result=data["result"],
                    photos=data["photos"],
                    channel=data["channel"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(
                    request,
                    f"已登记{'并办结' if errand.done_at else ''}，受理编号 {errand.case.tracking_no}",
                )
                return redirect("cases:errand_detail", public_id=errand.case.public_id)
    return render(
        request,
        "cases/kinds/errand_form.html",
        {
            "form": form,
            "chosen": chosen,
            "services": errands.COMMON_SERVICES,
        },
    )


@login_required
@require_GET
def errand_beneficiaries(request: ActorRequest) -> HttpResponse:
    """htmx: residents in scope matching the typed name, to pick as the beneficiary."""
    actor = _require_any(request, Perm.PEOPLE_VIEW)
    q = request.GET.get("beneficiary_name", "") or request.GET.get("q", "")
    found = errands.beneficiary_search(actor, q)
    return render(
        request,
        "cases/kinds/_beneficiaries.html",
        {"found": found, "q": q.strip()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def errand_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    case = errands.errand_get(actor, public_id=public_id)
    errand = case.errand
    errand.case = case
    can_complete = (
        errand.done_at is None
        and case.is_open
        and case.status != wf.Status.SUSPENDED
        and lifecycle.actor_may(actor, case, wf.HANDLE)
    )
    form = f.ErrandCompleteForm(initial={"version": case.version})
    if request.method == "POST":
        form = f.ErrandCompleteForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                errands.errand_complete(
                    actor=actor,
                    errand=errand,
                    result=data["result"],
                    photos=data["photos"],
                    expected_version=data["version"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "已办结")
                return redirect("cases:errand_detail", public_id=case.public_id)
    entry = errand.ledger_entry
    clear = lifecycle.actor_may(actor, case, wf.REVEAL)
    return render(
        request,
        "cases/kinds/errand_detail.html",
        {
            "case": case,
            "e": errand,
            "name": _name(errand.beneficiary_name, clear),
            "entry": entry if entry and actor.can(Perm.LEDGER_VIEW, case.place_path) else None,
            "events": case.events.filter(is_public=True).order_by("created_at", "id"),
            "form": form,
            "can_complete": can_complete,
        },
    )


urlpatterns = [
    path("patrol/", patrol_today, name="patrol_today"),
    path("patrol/log/", patrol_list, name="patrol_list"),
    path("patrol/<uuid:public_id>/", patrol_detail, name="patrol_detail"),
    path("mediation/", mediation_list, name="mediation_list"),
    path("mediation/new/", mediation_new, name="mediation_new"),
    path("mediation/<uuid:public_id>/", mediation_detail, name="mediation_detail"),
    path("errands/", errand_list, name="errand_list"),
    path("errands/new/", errand_new, name="errand_new"),
    path("errands/beneficiaries/", errand_beneficiaries, name="errand_beneficiaries"),
    path("errands/<uuid:public_id>/", errand_detail, name="errand_detail"),
]
