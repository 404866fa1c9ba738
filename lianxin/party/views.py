"""Pages for party organisations, members, household linkage and linkage activities.

Thin views: parse input, call one selector or service, render. Reads go through
`lianxin.party.selectors` (scoped, 404 outside scope); a visible object the actor may not
change answers 403 with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from lianxin.core.errors import DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of as _page
from lianxin.core.paging import querystring_without_page as _querystring_without_page
from lianxin.core.pdf import PdfFontMissing
from lianxin.party import selectors, services
from lianxin.party.board import PAGE_SIZES, render_member_board
from lianxin.party.forms import (
    ActivityFilterForm,
    ActivityForm,
    MemberFilterForm,
    MemberForm,
    OrganisationForm,
    OrganisationRenameForm,
)
from lianxin.party.models import Duty, PartyMember
from lianxin.party.services import LINKAGE, MANAGE

PER_PAGE = 50


def _need(actor: Any, perm: str, path: str | None = None) -> None:
    if not actor.can(perm, path):
        raise Forbidden("没有此操作的权限")


# --- members -----------------------------------------------------------------------------


@login_required
def member_list(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    orgs = list(selectors.organisation_list(actor))
    form = MemberFilterForm(request.GET or None, orgs=orgs)
    filters: dict[str, Any] = {}
    if form.is_valid():
        data = form.cleaned_data
        filters["organisation"] = next((o for o in orgs if str(o.public_id) == data["org"]), None)
        filters["central"] = {"1": True, "0": False}.get(data["central"])
        filters["band"] = data["band"]
        filters["search"] = data["q"]
    page = _page(request, selectors.member_list(actor, **filters))
    for member in page:
        member.link_warning = services.link_count_warning(member.link_count)
    return render(
        request,
        "party/member_list.html",
        {
            "form": form,
            "page": page,
            "querystring_without_page": _querystring_without_page(request),
            "can_manage": actor.can(MANAGE),
        },
    )


@login_required
def member_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    member = selectors.member_get(actor, public_id)
    duty = request.GET.get("duty", "")
    duty = duty if duty in Duty.values else ""
    detail = selectors.member_detail(actor, member, duty=duty)
    path = member.organisation.unit.path
    return render(
        request,
        "party/member_detail.html",
        {
            "member": member,
            "detail": detail,
            "duty": duty,
            "can_manage": actor.can(MANAGE, path),
            "can_record": actor.can(LINKAGE, path) and member.is_active,
            # The member's own home may lie outside the viewer's register scope.
            "show_home": member.resident is not None
            and actor.can("people.view", member.resident.household.unit.path),
        },
    )


def _member_kwargs(actor: Any, form: MemberForm) -> dict[str, Any]:
    data = form.cleaned_data
    resident = None
    if data["resident_id_number"].strip():
        resident = selectors.resident_by_id_number(actor, data["resident_id_number"])
        if resident is None:
            raise DomainError(
                "未找到该身份证号的居民，或该居民不在您的管辖范围内", field="resident_id_number"
            )
    return {
        "organisation": data["organisation"],
        "name": data["name"],
        "resident": resident,
        "status": data["status"],
        "joined_on": data["joined_on"],
        "duty": data["duty"],
        "is_central_household": data["is_central_household"],
        "board_phone_consent": data["board_phone_consent"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def member_create(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    _need(actor, MANAGE)
    initial: dict[str, Any] = {"status": PartyMember.Status.FULL}
    if request.GET.get("org"):
        initial["organisation"] = request.GET["org"]
    form = MemberForm(request.POST or None, actor=actor, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            kwargs = _member_kwargs(actor, form)
            member = services.member_create(actor=actor, phone=form.cleaned_data["phone"], **kwargs)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已登记党员 {member.name}")
            return redirect("party:member_detail", public_id=member.public_id)
    return render(request, "party/member_form.html", {"form": form, "title": "登记党员"})


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    member = selectors.member_get(actor, public_id)
    _need(actor, MANAGE, member.organisation.unit.path)
    initial = {
        "organisation": member.organisation.public_id,
        "name": member.name,
        "status": member.status,
        "joined_on": member.joined_on,
        "duty": member.duty,
        "is_central_household": member.is_central_household,
        "board_phone_consent": member.board_phone_consent,
        "is_active": member.is_active,
    }
    form = MemberForm(request.POST or None, actor=actor, member=member, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            kwargs = _member_kwargs(actor, form)
            kwargs["resident"] = kwargs["resident"] or member.resident
            phone = form.cleaned_data["phone"].strip() or None
            services.member_update(
                actor=actor,
                member=member,
                phone=phone,
                is_active=form.cleaned_data["is_active"],
                **kwargs,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已保存党员 {member.name} 的信息")
            return redirect("party:member_detail", public_id=member.public_id)
    return render(
        request,
        "party/member_form.html",
        {"form": form, "member": member, "title": f"编辑党员 {member.name}"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_links(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    member = selectors.member_get(actor, public_id)
    _need(actor, MANAGE, member.organisation.unit.path)
    error = ""
    selected: set[str] = set()
    if request.method == "POST":
        action = request.POST.get("action")
        chosen = request.POST.getlist("households")
        households = selectors.households_in_scope(actor, chosen)
        try:
            if not households:
                raise DomainError("请先勾选住户", field="households")
            if action == "link":
                created = services.household_link(actor=actor, member=member, households=households)
                messages.success(request, f"已新增联系户 {len(created)} 户")
            elif action == "unlink":
                ended = services.household_unlink(actor=actor, member=member, households=households)
                messages.success(request, f"已解除联系户 {ended} 户")
            else:
                raise DomainError("未知操作")
        except DomainError as exc:
            error = exc.message
            selected = set(chosen)
        else:
            return redirect(request.get_full_path())
    buildings = list(selectors.link_buildings(actor, member))
    building = next((b for b in buildings if str(b.public_id) == request.GET.get("building")), None)
    search = request.GET.get("q", "").strip()
    unlinked_only = request.GET.get("free") == "1"
    candidates = selectors.link_candidates(
        actor, member, building=building, search=search, unlinked_only=unlinked_only
    )
    links = selectors.member_links(member)
    return render(
        request,
        "party/member_links.html",
        {
            "member": member,
            "links": links,
            "link_warning": services.link_count_warning(len(links)),
            "buildings": buildings,
            "building": building,
            "search": search,
            "unlinked_only": unlinked_only,
            "page": _page(request, candidates),
            "querystring_without_page": _querystring_without_page(request),
            "error": error,
            "selected": selected,
            "target": f"{services.LINK_TARGET_MIN}–{services.LINK_TARGET_MAX}",
        },
        status=400 if error else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def activity_create(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    member = selectors.member_get(actor, public_id)
    _need(actor, LINKAGE, member.organisation.unit.path)
    links = selectors.member_links(member)
    # Most records are home visits: preselect that duty unless the link asked for another.
    initial = {
        "household": request.GET.get("household", ""),
        "duty": request.GET.get("duty") or "visit",
    }
    form = ActivityForm(request.POST or None, links=links, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        household = None
        if data["household"]:
            household = next(
                (lk.household for lk in links if str(lk.household.public_id) == data["household"]),
                None,
            )
        try:
            services.linkage_activity_record(
                actor=actor,
                member=member,
                duty=data["duty"],
                occurred_on=data["occurred_on"],
                summary=data["summary"],
                household=household,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已登记履职记录")
            return redirect("party:member_detail", public_id=member.public_id)
    return render(request, "party/activity_form.html", {"form": form, "member": member})


@login_required
def member_board_pdf(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    member = selectors.member_get(actor, public_id)
    size = request.GET.get("size", "a5")
    size = size if size in PAGE_SIZES else "a5"
    try:
        data = render_member_board(member, selectors.member_links(member), size=size)
    except PdfFontMissing as exc:
        return render(request, "party/pdf_unavailable.html", {"message": str(exc)}, status=503)
    response = HttpResponse(data, content_type="application/pdf")
    # Only None without a filename; with one it is always a header value.
    response["Content-Disposition"] = cast(
        str, content_disposition_header(False, f"联户公示牌-{member.name}.pdf")
    )
    return response


def member_public(request: HttpRequest, public_id: Any) -> HttpResponse:
    """No login: what a resident sees after scanning the QR code on the linkage board."""
    card = selectors.member_public_card(public_id, today=timezone.localdate())
    if card is None:
        raise Http404("未找到该党员")
    return render(request, "party/member_public.html", {"card": card})


# --- activities --------------------------------------------------------------------------


@login_required
def activity_list(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    today = timezone.localdate()
    form = ActivityFilterForm(request.GET or None)
    duty, start, end = "", dt.date(today.year, 1, 1), today
    if form.is_bound and form.is_valid():
        duty = form.cleaned_data["duty"]
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
    elif not form.is_bound:
        form = ActivityFilterForm(initial={"start": start, "end": end})
    counts = selectors.duty_counts(actor, start=start, end=end)
    page = _page(request, selectors.activity_list(actor, duty=duty, start=start, end=end))
    return render(
        request,
        "party/activity_list.html",
        {
            "form": form,
            "counts": counts,
            "total": sum(n for _, _, n in counts),
            "page": page,
            "start": start,
            "end": end,
            "querystring_without_page": _querystring_without_page(request),
        },
    )


# --- organisations -----------------------------------------------------------------------


@login_required
def org_list(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    return render(
        request,
        "party/org_list.html",
        {"nodes": selectors.organisation_tree(actor), "can_manage": actor.can(MANAGE)},
    )


@login_required
def org_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    org = selectors.organisation_get(actor, public_id)
    today = timezone.localdate()
    start = dt.date(today.year, 1, 1)
    members = _page(request, selectors.member_list(actor, organisation=org))
    for member in members:
        member.link_warning = services.link_count_warning(member.link_count)
    return render(
        request,
        "party/org_detail.html",
        {
            "org": org,
            "nodes": selectors.organisation_tree(actor, root=org),
            "page": members,
            "counts": selectors.duty_counts(actor, organisation=org, start=start, end=today),
            "year": today.year,
            "can_manage": actor.can(MANAGE, org.unit.path),
            "querystring_without_page": _querystring_without_page(request),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def org_create(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    _need(actor, MANAGE)
    parent = None
    if request.GET.get("parent"):
        parent = selectors.organisation_get(actor, request.GET["parent"], MANAGE)
    form = OrganisationForm(request.POST or None, actor=actor, parent=parent)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            org = services.organisation_create(
                actor=actor,
                name=data["name"],
                kind=data["kind"],
                unit=data["unit"],
                parent=data["parent"],
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已设立党组织 {org.name}")
            return redirect("party:org_detail", public_id=org.public_id)
    return render(request, "party/org_form.html", {"form": form, "parent": parent})


@login_required
@require_http_methods(["GET", "POST"])
def org_edit(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    org = selectors.organisation_get(actor, public_id)
    _need(actor, MANAGE, org.unit.path)
    form = OrganisationRenameForm(request.POST or None, initial={"name": org.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_rename(
                actor=actor, organisation=org, name=form.cleaned_data["name"]
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, f"已保存党组织 {org.name}")
            return redirect("party:org_detail", public_id=org.public_id)
    return render(request, "party/org_edit.html", {"form": form, "org": org})


@login_required
@require_http_methods(["GET", "POST"])
def org_retire(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = request.actor
    org = selectors.organisation_get(actor, public_id)
    _need(actor, MANAGE, org.unit.path)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("confirm") != "1":
                raise DomainError("请勾选确认后再撤销")
            services.organisation_retire(actor=actor, organisation=org)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, f"已撤销党组织 {org.name}")
            return redirect("party:org_detail", public_id=org.public_id)
    return render(
        request,
        "party/org_retire.html",
        {"org": org, "error": error, "blockers": selectors.organisation_retire_blockers(org)},
        status=400 if error else 200,
    )
