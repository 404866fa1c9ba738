"""Pages of residents' proposals (居民议题) and the consultation figures.

Residents (namespace ``consultation_public``, no account; writes need the phone session of
cases' `resident:login`):
- `proposal_new`: propose a topic to the village (/c/v/<code>/proposals/new/)
- `proposal_public`: a proposal's public page with its support count, status and answer;
  `proposal_support` and `proposal_withdraw` are its POST buttons

Staff (namespace ``consultation``):
- `proposal_list`, `proposal_detail`: scoped reads (404 outside the scope)
- `proposal_decline` (answer shown publicly), `proposal_schedule` (on a planned or open
  meeting of the village, through votes.item_add)
- `figures`: consultation.figures.unit_figures for a unit in scope and a period
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.cases.services import residents
from lianxin.consultation import figures as fig
from lianxin.consultation import workflow as wf
from lianxin.consultation.forms_proposals import (
    DeclineForm,
    FiguresForm,
    ProposalForm,
    ScheduleForm,
)
from lianxin.consultation.models import ResidentProposal
from lianxin.consultation.selectors import proposals as sel
from lianxin.consultation.services import proposals as svc
from lianxin.consultation.services import votes
from lianxin.consultation.views.public_home import public_href
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest, url_or_empty
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.people.models import Resident
from lianxin.territory.models import Unit, UnitKind

Status = ResidentProposal.Status
FIGURE_KINDS = (
    UnitKind.PROVINCE,
    UnitKind.CITY,
    UnitKind.COUNTY,
    UnitKind.TOWNSHIP,
    UnitKind.VILLAGE,
)


# --- residents ---------------------------------------------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    """Pages of a signed-in resident: never cached by a shared cache, never indexed."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _login_redirect(request: HttpRequest) -> HttpResponseRedirect:
    query = urlencode({"next": request.get_full_path()})
    return redirect(f"{reverse('resident:login')}?{query}")


def _living_in(people: list[Resident], unit: Unit) -> list[Resident]:
    return [r for r in people if r.household.unit.path.startswith(unit.path)]


def _places(unit: Unit) -> list[tuple[str, str]]:
    rows = Unit.objects.filter(
        parent=unit, is_active=True, kind__in=(UnitKind.GRID, UnitKind.BUILDING)
    ).order_by("sort_order", "path")[:100]
    return [(u.code, u.display_name) for u in rows]


@require_http_methods(["GET", "POST"])
def proposal_new(request: HttpRequest, code: str) -> HttpResponse:
    """A resident of the village proposes a topic (needs the phone session)."""
    unit = sel.village_by_code(code)
    if unit is None:
        raise Http404("没有找到该村（社区）")
    people = residents.session_residents(request)
    if not people:
        return _private(_login_redirect(request))
    local = _living_in(people, unit)
    places = _places(unit)
    form = ProposalForm(request.POST or None, places=places)
    if request.method == "POST" and local and form.is_valid():
        place = None
        if form.cleaned_data["place"]:
            place = Unit.objects.filter(code=form.cleaned_data["place"], parent=unit).first()
        try:
            proposal = svc.proposal_submit(
                resident=local[0],
                unit=unit,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                place=place,
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "议题已提交并公开，邻居们可以表示支持。")
            return redirect("consultation_public:proposal_public", proposal.public_id)
    response = render(
        request,
        "consultation/public/proposal_new.html",
        {
            "unit": unit,
            "form": form,
            "allowed": bool(local),
            "phone_masked": residents.session_phone_masked(request),
            "limit": svc.PROPOSALS_PER_PHONE_DAY,
        },
        status=400 if request.method == "POST" else (200 if local else 403),
    )
    return _private(response)


@require_GET
def proposal_public(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """A proposal's public page: what, who (masked), support, status and the answer."""
    proposal = sel.public_proposal(public_id)
    if proposal is None:
        raise Http404("没有找到该议题")
    people = residents.session_residents(request)
    mine = {r.pk for r in people}
    supported = bool(sel.supported_ids([proposal.pk], people))
    items = sel.proposal_items(proposal)
    for item in items:
        item.href = public_href("consultation_public:meeting_public", (item.meeting.public_id,))  # type: ignore[attr-defined]
    response = render(
        request,
        "consultation/public/proposal.html",
        {
            "proposal": proposal,
            "unit": proposal.unit,
            "items": items,
            "signed_in": bool(people),
            "is_mine": proposal.proposer_id in mine,
            "supported": supported,
            "can_support": proposal.status == Status.OPEN and not supported,
        },
    )
    return _private(response) if people else response


def _act(request: HttpRequest, public_id: uuid.UUID, action: str) -> HttpResponse:
    proposal = sel.public_proposal(public_id)
    if proposal is None:
        raise Http404("没有找到该议题")
    people = residents.session_residents(request)
    back = reverse("consultation_public:proposal_public", args=[proposal.public_id])
    if not people:
        return redirect(f"{reverse('resident:login')}?{urlencode({'next': back})}")
    # The resident of this village behind the phone (others are refused by the service).
    resident = (_living_in(people, proposal.unit) or people)[0]
    try:
        if action == "support":
            svc.proposal_support(proposal=proposal, resident=resident)
            messages.success(request, "感谢支持！")
        else:
            mine = [r for r in people if r.pk == proposal.proposer_id] or [resident]
            svc.proposal_withdraw(proposal=proposal, resident=mine[0])
            messages.success(request, "议题已撤回。")
            return redirect("consultation_public:unit_home", proposal.unit.code)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(back)


@require_POST
def proposal_support(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """支持 a neighbour's open proposal (once per resident and phone)."""
    return _act(request, public_id, "support")


@require_POST
def proposal_withdraw(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """The proposer takes the proposal back while it is open."""
    return _act(request, public_id, "withdraw")


# --- staff ---------------------------------------------------------------------------------------


@login_required
@require_GET
def proposal_list(request: ActorRequest) -> HttpResponse:
    """Residents' proposals in scope, by village, status and support."""
    actor = require_any(request, wf.VIEW)
    filters = sel.ProposalFilters.from_query(request.GET)
    return render(
        request,
        "consultation/proposals/list.html",
        {
            "page": page_of(request, sel.proposal_list(actor, filters)),
            "filters": filters,
            "statuses": Status.choices,
            "villages": sel.proposal_villages(actor),
            "querystring_without_page": querystring_without_page(request),
        },
    )


def _detail(
    request: ActorRequest,
    proposal: ResidentProposal,
    *,
    decline: DeclineForm | None = None,
    schedule: ScheduleForm | None = None,
    conflict: str = "",
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    can_run = actor.can(wf.RUN, proposal.unit.path)
    meetings = sel.schedulable_meetings(proposal) if can_run else []
    choices = [
        (str(m.public_id), f"{timezone.localtime(m.starts_at):%m-%d %H:%M} {m.title}")
        for m in meetings
    ]
    return render(
        request,
        "consultation/proposals/detail.html",
        {
            "proposal": proposal,
            "items": sel.proposal_items(proposal),
            "can_run": can_run and proposal.status == Status.OPEN,
            "decline_form": decline or DeclineForm(initial={"version": proposal.version}),
            "schedule_form": schedule or ScheduleForm(meetings=choices),
            "has_meetings": bool(meetings),
            "meeting_new_url": url_or_empty("consultation:meeting_create"),
            "public_url": reverse("consultation_public:proposal_public", args=[proposal.public_id]),
            "conflict": conflict,
        },
        status=status,
    )


@login_required
@require_GET
def proposal_detail(request: ActorRequest, public_id: uuid.UUID) -> HttpResponse:
    require_any(request, wf.VIEW)
    return _detail(request, sel.proposal_get(request.actor, public_id))


@login_required
@require_POST
def proposal_decline(request: ActorRequest, public_id: uuid.UUID) -> HttpResponse:
    """不予采纳 with a public answer."""
    actor = require_any(request, wf.VIEW)
    proposal = sel.proposal_get(actor, public_id)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            svc.proposal_decline(
                actor=actor,
                proposal=proposal,
                answer=form.cleaned_data["answer"],
                expected_version=form.cleaned_data["version"],
            )
        except Conflict as exc:
            fresh = sel.proposal_get(actor, public_id)
            return _detail(request, fresh, decline=form, conflict=exc.message, status=409)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, "已答复，答复已向居民公开。")
            return redirect("consultation:proposal_detail", proposal.public_id)
    return _detail(request, proposal, decline=form, status=400)


@login_required
@require_POST
def proposal_schedule(request: ActorRequest, public_id: uuid.UUID) -> HttpResponse:
    """列入议程: the proposal becomes an item of a planned or open meeting of the village."""
    actor = require_any(request, wf.VIEW)
    proposal = sel.proposal_get(actor, public_id)
    meetings = sel.schedulable_meetings(proposal)
    choices = [(str(m.public_id), m.title) for m in meetings]
    form = ScheduleForm(request.POST, meetings=choices)
    if form.is_valid():
        meeting = sel.meeting_for_proposal(proposal, form.cleaned_data["meeting"])
        if meeting is None:
            form.add_error("meeting", "请选择本村（社区）未结束的会议")
        else:
            try:
                votes.item_add(
                    actor=actor,
                    meeting=meeting,
                    title=proposal.title[:100],
                    description=proposal.body,
                    proposal=proposal,
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已列入“{meeting.title}”的议程。")
                target = url_or_empty("consultation:meeting_detail", public_id=meeting.public_id)
                return redirect(target or reverse("consultation:proposal_detail", args=[public_id]))
    return _detail(request, proposal, schedule=form, status=400)


# --- figures --------------------------------------------------------------------------------------


def _figure_units(request: ActorRequest) -> list[Unit]:
    return list(
        Unit.objects.visible_to(request.actor, wf.VIEW)
        .filter(kind__in=FIGURE_KINDS, is_active=True)
        .order_by("path")[:500]
    )


@login_required
@require_GET
def figures(request: ActorRequest) -> HttpResponse:
    """协商议事统计: one unit in scope (default: the actor's widest), a period (default: this
    year so far), the figures and a row per child unit."""
    require_any(request, wf.VIEW)
    units = _figure_units(request)
    form = FiguresForm(request.GET or None)
    today = timezone.localdate(clock.now())
    date_from, date_to = dt.date(today.year, 1, 1), today
    code = ""
    if form.is_bound and form.is_valid():
        date_from = form.cleaned_data["date_from"] or date_from
        date_to = form.cleaned_data["date_to"] or date_to
        code = form.cleaned_data["unit"] or ""
    unit: Unit | None
    if code:
        unit = next((u for u in units if u.code == code), None)
        if unit is None:
            raise Http404("不存在或无权访问")
    else:
        unit = min(units, key=lambda u: u.depth) if units else None
    data: dict[str, Any] | None = None
    if unit is not None and not form.errors and date_from <= date_to:
        data = fig.unit_figures(unit, date_from, date_to, by_child=unit.kind != UnitKind.VILLAGE)
    return render(
        request,
        "consultation/figures.html",
        {
            "form": form,
            "units": units,
            "unit": unit,
            "date_from": date_from,
            "date_to": date_to,
            "data": data,
        },
        status=400 if form.errors else 200,
    )
