"""Pages of the secretaries' pledges (三诺).

Staff (/consultation/pledges/...): the list by year and village with the year's figures, a
pledge's page (items, reports with evidence photos, the actions its stage allows), the draft
form, the report form and the score sheet. Every read goes through `selectors.pledges`
(outside the scope: 404); every write is one call of `services.pledges`. A refusal redraws
the page with the reason next to the field (400), a stale version with the fresh state (409).

Residents (/c/v/<unit code>/pledges/[<year>/]): the published pledges of a year with their
fulfilment, the reports, the evaluation result (average and count, no evaluator names) and
links to the other years.
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.accounts.actor import Actor
from lianxin.consultation import forms_pledges as forms
from lianxin.consultation import workflow as wf
from lianxin.consultation.electorate import masked_label
from lianxin.consultation.models import Pledge, PledgeItem, PledgeReport
from lianxin.consultation.selectors import pledges as sel
from lianxin.consultation.services import pledges as svc
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of, querystring_without_page, require_any

Stage = Pledge.Stage
CONFLICT = "三诺刚刚有变化，下面显示的是最新状态，请确认后再操作"
MAX_VILLAGE_OPTIONS = 500
DONE = {
    "publish": "已亮诺，承诺事项向群众公开",
    "evaluation_open": "评诺已开始，可以登记评分",
    "evaluation_close": "评诺已结束",
}


def _detail_url(pledge: Pledge) -> str:
    return reverse("consultation:pledge_detail", args=[pledge.public_id])


def _year(value: str | None, default: int) -> int:
    try:
        year = int(value or default)
    except ValueError:
        return default
    return year if 2000 <= year <= 2100 else default


# --- staff: list -----------------------------------------------------------------------------


@login_required
@require_GET
def pledge_list(request: ActorRequest) -> HttpResponse:
    """The year's pledges of the villages in scope, with how far the year has come."""
    actor = require_any(request, wf.VIEW)
    year = _year(request.GET.get("year"), svc.today().year)
    villages = list(sel.villages_for(actor)[:MAX_VILLAGE_OPTIONS])
    code = (request.GET.get("unit") or "").strip()
    unit = next((v for v in villages if v.code == code), None) if code else None
    qs = sel.pledges_for(actor).filter(year=year)
    if unit is not None:
        qs = qs.filter(unit__path__startswith=unit.path)
    context = {
        "year": year,
        "years": sel.pledge_years(actor),
        "villages": villages,
        "unit": unit,
        "figures": sel.year_figures(actor, year, unit),
        "page": page_of(request, qs),
        "qs": querystring_without_page(request),
        "can_create": bool(sel.secretary_units(actor)),
    }
    return render(request, "consultation/pledges/list.html", context)


# --- staff: the draft ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pledge_create(request: ActorRequest) -> HttpResponse:
    """The secretary drafts the year's pledges (one line per pledge to start with)."""
    actor = require_any(request, wf.VIEW)
    units = sel.secretary_units(actor)
    if not units:
        return render(request, "consultation/pledges/create.html", {"form": None})
    choices = [(u.code, u.display_name) for u in units]
    initial = {"unit": units[0].code, "year": svc.today().year}
    form = forms.PledgeCreateForm(request.POST or None, initial=initial, units=choices)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            unit = next(u for u in units if u.code == form.cleaned_data["unit"])
            try:
                pledge = svc.pledge_create(
                    actor=actor,
                    unit=unit,
                    year=form.cleaned_data["year"],
                    items=form.drafts(),
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, "已建立三诺草稿，请补充措施与时限后亮诺")
                return redirect(_detail_url(pledge))
    return render(request, "consultation/pledges/create.html", {"form": form}, status=status)


def _actions(actor: Actor, pledge: Pledge) -> dict[str, bool]:
    """What the page offers the actor at the pledge's stage (the services decide for good)."""
    may = actor.can(wf.PLEDGES, pledge.unit.path)
    secretary = may and svc.is_secretary_of(actor, pledge.unit)
    organiser = may and pledge.secretary_id != actor.user_id
    stage = pledge.stage
    after_nov = svc.today() >= svc.evaluation_opens_on(pledge.year)
    return {
        "edit": secretary and stage == Stage.DRAFT,
        "publish": secretary and stage == Stage.DRAFT,
        "report_midyear": secretary and stage in (Stage.PUBLISHED, Stage.REPORTED),
        "report_yearend": secretary
        and after_nov
        and stage in (Stage.PUBLISHED, Stage.REPORTED, Stage.EVALUATING),
        "evaluation_open": may and after_nov and stage in (Stage.PUBLISHED, Stage.REPORTED),
        "score": organiser and stage == Stage.EVALUATING,
        "evaluation_close": organiser and stage == Stage.EVALUATING,
        "sheet": may and stage in (Stage.EVALUATING, Stage.EVALUATED),
    }


def _evidence_name(report: PledgeReport) -> str:
    return report.evidence.name.rsplit("/", 1)[-1] if report.evidence else ""


def _render_detail(
    request: ActorRequest,
    pledge: Pledge,
    *,
    status: int = 200,
    add_form: forms.PledgeItemForm | None = None,
    edit_forms: dict[int, forms.PledgeItemForm] | None = None,
    refusal: str = "",
    conflict: str = "",
) -> HttpResponse:
    actor = request.actor
    items = sel.pledge_items(pledge)
    edit_forms = edit_forms or {}
    rows = []
    for item in items:
        reports = list(item.reports.all())
        for r in reports:
            r.evidence_name = _evidence_name(r)  # type: ignore[attr-defined]
        form = edit_forms.get(item.order) or forms.PledgeItemForm(
            initial={
                "title": item.title,
                "measure": item.measure,
                "due_on": item.due_on,
                "version": pledge.version,
            },
            prefix=f"i{item.order}",
        )
        rows.append(
            {
                "item": item,
                "reports": reports,
                "midyear": any(r.stage == PledgeReport.Stage.MIDYEAR for r in reports),
                "form": form,
                "open": item.order in edit_forms,
            }
        )
    context = {
        "pledge": pledge,
        "rows": rows,
        "actions": _actions(actor, pledge),
        "add_form": add_form or forms.PledgeItemForm(initial={"version": pledge.version}),
        "opens_on": svc.evaluation_opens_on(pledge.year),
        "refusal": refusal,
        "conflict": conflict,
        "public_url": reverse(
            "consultation_public:pledge_public", args=[pledge.unit.code, pledge.year]
        )
        if pledge.stage != Stage.DRAFT
        else "",
    }
    return render(request, "consultation/pledges/detail.html", context, status=status)


@login_required
@require_GET
def pledge_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """A pledge with its items and reports, and what may be done at its stage."""
    pledge = sel.pledge_get(request.actor, public_id)
    return _render_detail(request, pledge)


def _refused(request: ActorRequest, public_id: Any, exc: DomainError, **kw: Any) -> HttpResponse:
    """Redraw the fresh pledge with the reason (409 stale, 403 not allowed, 400 refused)."""
    pledge = sel.pledge_get(request.actor, public_id)
    if isinstance(exc, Conflict):
        return _render_detail(request, pledge, status=409, conflict=CONFLICT)
    status = 403 if isinstance(exc, PermissionDenied) else 400
    return _render_detail(request, pledge, status=status, refusal=exc.message, **kw)


@login_required
@require_POST
def pledge_item_add(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Add a pledge to the draft."""
    pledge = sel.pledge_get(request.actor, public_id)
    form = forms.PledgeItemForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, pledge, status=400, add_form=form)
    try:
        svc.pledge_item_add(
            actor=request.actor,
            pledge=pledge,
            item=form.draft(),
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        if isinstance(exc, Conflict | PermissionDenied):
            return _refused(request, public_id, exc)
        add_domain_error(form, exc)
        return _render_detail(request, pledge, status=400, add_form=form)
    messages.success(request, "已增加承诺事项")
    return redirect(_detail_url(pledge))


@login_required
@require_POST
def pledge_item_edit(request: ActorRequest, public_id: Any, number: int) -> HttpResponse:
    """Edit (op=save) or remove (op=remove) a pledge of the draft."""
    pledge = sel.pledge_get(request.actor, public_id)
    item = sel.item_get(pledge, number)
    form = forms.PledgeItemForm(request.POST, prefix=f"i{number}")
    try:
        if request.POST.get("op") == "remove":
            version = forms.VersionForm({"version": request.POST.get(f"i{number}-version")})
            if not version.is_valid():
                raise Conflict(CONFLICT)
            svc.pledge_item_remove(
                actor=request.actor, item=item, expected_version=version.cleaned_data["version"]
            )
            messages.success(request, f"已删除第{number}项")
            return redirect(_detail_url(pledge))
        if not form.is_valid():
            return _render_detail(request, pledge, status=400, edit_forms={number: form})
        svc.pledge_item_update(
            actor=request.actor,
            item=item,
            change=form.draft(),
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        if isinstance(exc, Conflict | PermissionDenied):
            return _refused(request, public_id, exc)
        add_domain_error(form, exc)
        return _render_detail(request, pledge, status=400, edit_forms={number: form})
    messages.success(request, f"已修改第{number}项")
    return redirect(_detail_url(pledge))


@login_required
@require_POST
def pledge_act(request: ActorRequest, public_id: Any) -> HttpResponse:
    """A stage move: publish (亮诺), evaluation_open, evaluation_close (评诺)."""
    pledge = sel.pledge_get(request.actor, public_id)
    action = request.POST.get("action", "")
    moves = {
        "publish": svc.pledge_publish,
        "evaluation_open": svc.pledge_evaluation_open,
        "evaluation_close": svc.pledge_evaluation_close,
    }
    move = moves.get(action)
    form = forms.VersionForm(request.POST)
    if move is None or not form.is_valid():
        return _render_detail(request, pledge, status=400, refusal="请从页面上的按钮操作")
    try:
        move(actor=request.actor, pledge=pledge, expected_version=form.cleaned_data["version"])
    except DomainError as exc:
        return _refused(request, public_id, exc)
    messages.success(request, DONE[action])
    return redirect(_detail_url(pledge))


# --- staff: reports --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pledge_item_report(request: ActorRequest, public_id: Any, number: int) -> HttpResponse:
    """The secretary reports on one pledge (年中践诺 or 年底述诺), with an evidence photo."""
    pledge = sel.pledge_get(request.actor, public_id)
    item = sel.item_get(pledge, number)
    actions = _actions(request.actor, pledge)
    default_stage = (
        PledgeReport.Stage.YEAREND
        if actions["report_yearend"] and not actions["report_midyear"]
        else PledgeReport.Stage.MIDYEAR
    )
    if actions["report_yearend"] and pledge.stage == Stage.REPORTED:
        default_stage = PledgeReport.Stage.YEAREND
    initial = {"stage": default_stage, "fulfilment": item.fulfilment}
    form = forms.PledgeReportForm(request.POST or None, request.FILES or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                svc.pledge_report(
                    actor=request.actor,
                    item=item,
                    stage=d["stage"],
                    fulfilment=d["fulfilment"],
                    note=d["note"],
                    evidence=d.get("evidence") or None,
                )
            except DomainError as exc:
                status = 403 if isinstance(exc, PermissionDenied) else 400
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已报告第{number}项的兑现情况")
                return redirect(_detail_url(pledge) + f"#item-{number}")
    context = {"pledge": pledge, "item": item, "form": form, "actions": actions}
    return render(request, "consultation/pledges/report.html", context, status=status)


def _photo(report: PledgeReport, cache: str) -> FileResponse:
    content_type = mimetypes.guess_type(report.evidence.name)[0] or "image/jpeg"
    response = FileResponse(report.evidence.open("rb"), content_type=content_type)
    response["Cache-Control"] = cache
    return response


@login_required
@require_GET
def pledge_evidence(request: ActorRequest, public_id: Any, name: str) -> FileResponse:
    """An evidence photo (already without EXIF), for staff who see the pledge."""
    return _photo(sel.evidence_get(request.actor, public_id, name), "private, max-age=3600")


# --- staff: the score sheet ------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def pledge_scores(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The year-end score sheet: every evaluator of the village with a score input."""
    pledge = sel.pledge_get(request.actor, public_id)
    actions = _actions(request.actor, pledge)
    if not actions["sheet"]:
        raise Http404("评诺尚未开始")
    failed: forms.PledgeScoreForm | None = None
    status = 200
    if request.method == "POST":
        form = forms.PledgeScoreForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                row = svc.pledge_score(
                    actor=request.actor,
                    pledge=pledge,
                    elector_key=d["elector_key"],
                    score=d["score"],
                    comment=d["comment"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                status = 403 if isinstance(exc, PermissionDenied) else 400
            else:
                messages.success(request, f"已登记{row.label}的评分：{row.score}分")
                url = reverse("consultation:pledge_scores", args=[pledge.public_id])
                return redirect(url)
        else:
            status = 400
        failed = form
    pledge.refresh_from_db(fields=["score_count", "average_score", "stage", "version"])
    sheet = sel.score_sheet(pledge)
    failed_key = failed.data.get("elector_key", "") if failed is not None else ""
    context = {
        "pledge": pledge,
        "sheet": sheet,
        "actions": actions,
        "failed": failed,
        "failed_key": failed_key,
    }
    return render(request, "consultation/pledges/scores.html", context, status=status)


# --- residents -------------------------------------------------------------------------------


@require_GET
def pledge_public(request: HttpRequest, code: str, year: int | None = None) -> HttpResponse:
    """The secretary's published pledges of a year, with fulfilment and the evaluation."""
    unit = sel.public_village(code)
    pledge = sel.public_pledge(unit, year)
    if pledge is None and year is not None:
        raise Http404("该年度没有公开的三诺")
    years = list(sel.public_pledges(unit).values_list("year", flat=True))
    rows: list[dict[str, Any]] = []
    items = sel.pledge_items(pledge) if pledge is not None else []
    for item in items:
        reports = list(item.reports.all())
        for r in reports:
            r.evidence_name = _evidence_name(r)  # type: ignore[attr-defined]
        rows.append({"item": item, "reports": reports})
    done = sum(1 for item in items if item.fulfilment == PledgeItem.Fulfilment.DONE)
    context = {
        "village": unit,
        "pledge": pledge,
        "secretary": masked_label(pledge.secretary_name) if pledge else "",
        "rows": rows,
        "done": done,
        "done_percent": round(done * 100 / len(rows)) if rows else 0,
        "years": years,
    }
    return render(request, "consultation/public/pledges.html", context)


@require_GET
def pledge_public_evidence(request: HttpRequest, code: str, year: int, name: str) -> FileResponse:
    """An evidence photo of published pledges (re-encoded without EXIF when uploaded)."""
    report = sel.public_evidence(sel.public_village(code), year, name)
    return _photo(report, "public, max-age=300")
