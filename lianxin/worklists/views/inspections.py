"""Pages of the quarterly manual inspections and rectification notices (/worklists/inspections/).

- The list: the quarter's inspections under the actor with how far the quarter has come
  (villages inspected, manuals complete, notices open and overdue); Excel export.
- Recording a check (inspectors): the village, quarter, date, whether the manual is complete,
  what was seen, the problems found (several rows) and, optionally, the notice at once.
- An inspection's page: the problems, the notice and its history, and what the actor may do —
  issue the notice (inspector), report what was done (the village, with a photo or PDF),
  verify (销号) or send back (inspector); the printable notice (PDF).
- The notices: open or overdue ones per township and one by one; Excel export.

Reads go through `selectors.inspections` (outside the scope: 404), writes are one call of
`services.inspections`; a refusal redraws the page with the reason next to the field (400),
a stale version the fresh state (409).
"""

from __future__ import annotations

import mimetypes
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.accounts.actor import Actor
from lianxin.audit.exports import xlsx_export
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.core.pdf import PdfFontMissing
from lianxin.worklists import forms_inspections as forms
from lianxin.worklists import workflow as wf
from lianxin.worklists.models import Inspection, Rectification
from lianxin.worklists.rectification_pdf import rectification_filename, rectification_pdf
from lianxin.worklists.selectors import inspections as sel
from lianxin.worklists.services import inspections as svc

Status = Rectification.Status
EVENT_LABELS = {
    "issued": "下发整改通知",
    "reported": "报告整改情况",
    "verified": "核验销号",
    "reopened": "退回重新整改",
}
CONFLICT = "整改通知刚刚有变化，下面显示的是最新状态，请确认后再操作"
MAX_VILLAGE_OPTIONS = 1000


def _detail_url(inspection: Inspection) -> str:
    return reverse("worklists:inspection_detail", args=[inspection.public_id])


def _quarters() -> list[tuple[str, str]]:
    return [(q, svc.quarter_label(q)) for q in sel.quarters_for_picker()]


def _scope_path(actor: Actor) -> str:
    return actor.primary_post.unit_path if actor.primary_post else ""


# --- list ------------------------------------------------------------------------------------


@login_required
@require_GET
def inspection_list(request: ActorRequest) -> HttpResponse:
    """The quarter's manual inspections under the actor and how far the quarter has come."""
    actor = require_any(request, wf.VIEW)
    filters = sel.InspectionFilters.from_query(request.GET)
    quarter = filters.quarter or svc.this_quarter()
    filters = sel.InspectionFilters(quarter=quarter, township=filters.township)
    townships = list(sel.townships_for(actor)[:500])
    township = next((t for t in townships if t.code == filters.township), None)
    today = clock.today()
    page = page_of(request, sel.inspections_for(actor, filters))
    for i in page.object_list:
        rect = getattr(i, "rectification", None)
        if rect is not None:
            rect.overdue = svc.is_overdue(rect, today)
    context = {
        "quarter": quarter,
        "quarter_label": svc.quarter_label(quarter),
        "quarters": _quarters(),
        "townships": townships,
        "township": township,
        "figures": sel.quarter_figures(actor, quarter, township.code if township else ""),
        "page": page,
        "qs": querystring_without_page(request),
        "can_inspect": actor.can(wf.INSPECT),
    }
    return render(request, "worklists/inspections/list.html", context)


EXPORT_HEADERS = [
    "季度",
    "乡镇（街道）",
    "村（社区）",
    "检查日期",
    "手册记录",
    "检查情况",
    "发现问题数",
    "整改通知编号",
    "整改期限",
    "整改状态",
    "检查人",
]


@login_required
@require_GET
def inspection_export(request: ActorRequest) -> FileResponse:
    """The inspections as filtered (quarter, township), as .xlsx."""
    actor = require_any(request, wf.VIEW)
    filters = sel.InspectionFilters.from_query(request.GET)
    today = clock.today()

    def rows() -> Any:
        for i in sel.inspections_for(actor, filters).iterator(chunk_size=2000):
            rect = getattr(i, "rectification", None)
            yield [
                i.quarter,
                i.unit.parent.display_name if i.unit.parent else "",
                i.unit.display_name,
                i.inspected_on,
                "完整" if i.manual_complete else "不完整",
                i.summary,
                i.problem_count,  # type: ignore[attr-defined]
                rect.number if rect else "",
                rect.deadline if rect else None,
                _status_text(rect, today) if rect else "",
                i.inspector_label,
            ]

    return xlsx_export(
        request,
        sheet="手册检查",
        headers=EXPORT_HEADERS,
        rows=rows(),
        object_type="worklists.inspection",
        scope_path=_scope_path(actor),
    )


def _status_text(rect: Rectification, today: Any) -> str:
    text = rect.get_status_display()
    return f"{text}（逾期）" if svc.is_overdue(rect, today) else text


# --- record a check --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def inspection_create(request: ActorRequest) -> HttpResponse:
    """An inspector records a quarter's check of a village's work manual."""
    actor = require_any(request, wf.VIEW)
    villages = list(sel.villages_to_inspect(actor)[:MAX_VILLAGE_OPTIONS])
    if not villages:
        return render(request, "worklists/inspections/create.html", {"form": None})
    choices = [
        (v.code, f"{v.parent.display_name} · {v.display_name}" if v.parent else v.display_name)
        for v in villages
    ]
    try:
        rows = int(request.GET.get("rows") or forms.PROBLEM_ROWS)
    except ValueError:
        rows = forms.PROBLEM_ROWS
    initial = {
        "quarter": svc.this_quarter(),
        "inspected_on": clock.today(),
        "unit": (request.GET.get("unit") or "").strip(),
    }
    form = forms.InspectionForm(
        request.POST or None, initial=initial, units=choices, quarters=_quarters(), rows=rows
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            unit = next(v for v in villages if v.code == d["unit"])
            try:
                inspection = svc.inspection_record(
                    actor=actor,
                    unit=unit,
                    quarter=d["quarter"],
                    inspected_on=d["inspected_on"],
                    manual_complete=d["manual_complete"] == "yes",
                    summary=d["summary"],
                    problems=form.problems(),
                    notice=form.notice(),
                )
            except DomainError as exc:
                add_domain_error(form, exc)
                if isinstance(exc, PermissionDenied):
                    status = 403
            else:
                rect = Rectification.objects.filter(inspection=inspection).first()
                messages.success(
                    request,
                    f"已登记检查，并下发整改通知 {rect.number}" if rect else "已登记检查",
                )
                return redirect(_detail_url(inspection))
    context = {"form": form, "more_rows": min(form.rows + 4, svc.MAX_PROBLEMS)}
    return render(request, "worklists/inspections/create.html", context, status=status)


# --- one inspection and its notice -----------------------------------------------------------


def _actions(actor: Actor, inspection: Inspection, rect: Rectification | None) -> dict[str, bool]:
    """What the page offers the actor (the services decide for good)."""
    inspector = svc.can_inspect(actor, inspection.unit)
    village = svc.is_village_side(actor, inspection.unit)
    status = rect.status if rect else ""
    return {
        "issue": inspector and rect is None and bool(getattr(inspection, "problem_list", [])),
        "report": village and status in wf.RECTIFICATION_MOVES["report"],
        "review": inspector and status in wf.RECTIFICATION_MOVES["verify"],
    }


def _evidence_name(event: Any) -> str:
    return event.evidence.name.rsplit("/", 1)[-1] if event.evidence else ""


def _render_detail(
    request: ActorRequest,
    inspection: Inspection,
    *,
    status: int = 200,
    notice_form: forms.NoticeForm | None = None,
    report_form: forms.ReportForm | None = None,
    review_form: forms.ReviewForm | None = None,
    refusal: str = "",
    conflict: str = "",
) -> HttpResponse:
    actor = request.actor
    problems = sel.inspection_problems(inspection)
    inspection.problem_list = problems  # type: ignore[attr-defined]
    rect = sel.rectification_of(inspection)
    events = list(rect.events.all()) if rect else []
    for e in events:
        e.label = EVENT_LABELS.get(e.action, e.action)  # type: ignore[attr-defined]
        e.evidence_name = _evidence_name(e)  # type: ignore[attr-defined]
        e.is_pdf = e.evidence_name.endswith(".pdf")  # type: ignore[attr-defined]
    version = {"version": rect.version} if rect else {}
    context = {
        "inspection": inspection,
        "quarter_label": svc.quarter_label(inspection.quarter),
        "problems": problems,
        "rect": rect,
        "events": events,
        "overdue": bool(rect and svc.is_overdue(rect)),
        "actions": _actions(actor, inspection, rect),
        "notice_form": notice_form or forms.NoticeForm(),
        "report_form": report_form or forms.ReportForm(initial=version),
        "review_form": review_form or forms.ReviewForm(initial=version),
        "refusal": refusal,
        "conflict": conflict,
    }
    return render(request, "worklists/inspections/detail.html", context, status=status)


@login_required
@require_GET
def inspection_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """An inspection with its problems, its notice and what may be done next."""
    return _render_detail(request, sel.inspection_get(request.actor, public_id))


@login_required
@require_POST
def inspection_notice(request: ActorRequest, public_id: Any) -> HttpResponse:
    """Issue the rectification notice of an inspection that found problems."""
    inspection = sel.inspection_get(request.actor, public_id)
    form = forms.NoticeForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, inspection, status=400, notice_form=form)
    try:
        rect = svc.rectification_issue(
            actor=request.actor,
            inspection=inspection,
            requirements=form.cleaned_data["requirements"],
            deadline=form.cleaned_data["deadline"],
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        status = 403 if isinstance(exc, PermissionDenied) else 400
        return _render_detail(request, inspection, status=status, notice_form=form)
    messages.success(request, f"已下发整改通知 {rect.number}")
    return redirect(_detail_url(inspection))


def _refused(
    request: ActorRequest, rect: Rectification, exc: DomainError, **forms_: Any
) -> HttpResponse:
    inspection = sel.inspection_get(request.actor, rect.inspection.public_id)
    if isinstance(exc, Conflict):
        return _render_detail(request, inspection, status=409, conflict=CONFLICT)
    status = 403 if isinstance(exc, PermissionDenied) else 400
    form = next(iter(forms_.values()), None)
    if form is not None and exc.field in form.fields:
        add_domain_error(form, exc)
        return _render_detail(request, inspection, status=status, **forms_)
    return _render_detail(request, inspection, status=status, refusal=exc.message, **forms_)


@login_required
@require_POST
def rectification_report(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The village reports what it did about the notice (with an optional photo or PDF)."""
    rect = sel.rectification_get(request.actor, public_id)
    form = forms.ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        inspection = sel.inspection_get(request.actor, rect.inspection.public_id)
        return _render_detail(request, inspection, status=400, report_form=form)
    try:
        svc.rectification_report(
            actor=request.actor,
            rectification=rect,
            note=form.cleaned_data["note"],
            evidence=form.cleaned_data.get("evidence") or None,
            expected_version=form.cleaned_data["version"],
        )
    except DomainError as exc:
        return _refused(request, rect, exc, report_form=form)
    messages.success(request, "已报告整改情况，等待核验销号")
    return redirect(_detail_url(rect.inspection))


@login_required
@require_POST
def rectification_review(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The inspector verifies (销号) or sends back (with the reason) the reported notice."""
    rect = sel.rectification_get(request.actor, public_id)
    form = forms.ReviewForm(request.POST)
    if not form.is_valid():
        inspection = sel.inspection_get(request.actor, rect.inspection.public_id)
        return _render_detail(request, inspection, status=400, review_form=form)
    d = form.cleaned_data
    try:
        if d["action"] == "verify":
            svc.rectification_verify(
                actor=request.actor,
                rectification=rect,
                note=d.get("note") or "",
                expected_version=d["version"],
            )
            done = f"{rect.number} 已核验销号"
        else:
            svc.rectification_reopen(
                actor=request.actor,
                rectification=rect,
                reason=d.get("note") or "",
                deadline=d.get("deadline"),
                expected_version=d["version"],
            )
            done = f"{rect.number} 已退回重新整改"
    except DomainError as exc:
        return _refused(request, rect, exc, review_form=form)
    messages.success(request, done)
    return redirect(_detail_url(rect.inspection))


@login_required
@require_GET
def rectification_notice_pdf(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The printable rectification notice (整改通知单)."""
    rect = sel.rectification_get(request.actor, public_id)
    try:
        content = rectification_pdf(rect)
    except PdfFontMissing as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = str(
        content_disposition_header(False, rectification_filename(rect))
    )
    return response


@login_required
@require_GET
def rectification_evidence(request: ActorRequest, public_id: Any, name: str) -> FileResponse:
    """A photo or PDF the village reported with, for staff who see the notice."""
    event = sel.evidence_get(request.actor, public_id, name)
    content_type = mimetypes.guess_type(event.evidence.name)[0] or "application/octet-stream"
    response = FileResponse(event.evidence.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the notices -----------------------------------------------------------------------------


@login_required
@require_GET
def rectification_list(request: ActorRequest) -> HttpResponse:
    """Notices under the actor (open, overdue — open past the deadline — or all), with the
    counts per township."""
    actor = require_any(request, wf.VIEW)
    filters = sel.RectificationFilters.from_query(request.GET)
    today = clock.today()
    townships = list(sel.townships_for(actor)[:500])
    page = page_of(request, sel.rectifications_for(actor, filters, today=today))
    for rect in page.object_list:
        rect.overdue = svc.is_overdue(rect, today)  # type: ignore[attr-defined]
    context = {
        "filters": filters,
        "townships": townships,
        "statuses": Status.choices,
        "summary": sel.summary_by_township(actor, today=today),
        "page": page,
        "qs": querystring_without_page(request),
        "today": today,
    }
    return render(request, "worklists/inspections/rectifications.html", context)


RECT_HEADERS = [
    "通知编号",
    "乡镇（街道）",
    "村（社区）",
    "检查季度",
    "整改要求",
    "整改期限",
    "状态",
    "是否逾期",
    "销号日期",
]


@login_required
@require_GET
def rectification_export(request: ActorRequest) -> FileResponse:
    """The notices as filtered, as .xlsx."""
    actor = require_any(request, wf.VIEW)
    filters = sel.RectificationFilters.from_query(request.GET)
    today = clock.today()

    def rows() -> Any:
        for r in sel.rectifications_for(actor, filters, today=today).iterator(chunk_size=2000):
            unit = r.inspection.unit
            yield [
                r.number,
                unit.parent.display_name if unit.parent else "",
                unit.display_name,
                r.inspection.quarter,
                r.requirements,
                r.deadline,
                r.get_status_display(),
                "逾期" if svc.is_overdue(r, today) else "",
                r.verified_on,
            ]

    return xlsx_export(
        request,
        sheet="整改通知",
        headers=RECT_HEADERS,
        rows=rows(),
        object_type="worklists.rectification",
        scope_path=_scope_path(actor),
    )
