"""Pages of the daily assessment (日常考核, /stars/assessments/...).

The list of recorded rows (by year, kind, period, name; corrected rows marked), the county's
record form (one per subject kind; "更正" opens it filled from a row), a row's page with the
subject's year, and the year-end evaluation (年终评定: average, rank, grade) — each list with
its Excel export. The county records; a township reads its own secretary's and its villages'
rows. Reads go through `selectors.assessments` (outside: 404), the write through
`services.assessments`.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from lianxin.audit.exports import xlsx_export
from lianxin.core.errors import DomainError, PermissionDenied
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.stars import forms_assessments as forms
from lianxin.stars import workflow as wf
from lianxin.stars.models import Assessment
from lianxin.stars.models.assessments import SubjectKind
from lianxin.stars.selectors import assessments as sel
from lianxin.stars.services import assessments as svc
from lianxin.territory.models import Unit

KINDS = dict(SubjectKind.choices)
LINKED = "年终评优评先、干部提拔、奖金绩效"


def _scope_path(request: ActorRequest) -> str:
    post = request.actor.primary_post
    return post.unit_path if post else ""


@login_required
@require_GET
def assessment_list(request: ActorRequest) -> HttpResponse:
    """Recorded rows in scope; a corrected row is marked, its correction counts."""
    actor = require_any(request, *sel.PERMS)
    f = sel.Filters.from_query(request.GET)
    page = page_of(request, sel.assessment_list(actor, f))
    current = sel.current_ids(list(page.object_list))
    context = {
        "f": f,
        "page": page,
        "current": current,
        "qs": querystring_without_page(request),
        "years": sel.assessment_years(actor),
        "kinds": SubjectKind.choices,
        "can_record": bool(sel.counties_for(actor)),
        "weights": _weights_text(),
    }
    return render(request, "stars/assessments/list.html", context)


def _weights_text() -> str:
    parts = "、".join(f"{svc.PART_LABELS[k]}{int(w * 100)}%" for k, w in svc.WEIGHTS.items())
    bonus = int(svc.OTHER_WEIGHT * 100)
    return f"综合得分 = {parts}；其他工作按{bonus}%加分（最多{bonus}分），总分不超过100分"


def _units(kind: str, county: Unit) -> list[tuple[str, Any]]:
    units = sel.units_of(county, kind)
    if kind == SubjectKind.TOWNSHIP_SECRETARY:
        return [(u.code, u.display_name) for u in units]
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for u in units:
        groups[u.parent.display_name if u.parent else ""].append((u.code, u.display_name))
    return list(groups.items())


@login_required
@require_http_methods(["GET", "POST"])
def assessment_create(request: ActorRequest) -> HttpResponse:
    """Record a period's scores of one subject (`?kind=`); `?from=<row>` fills the form from
    a row to correct it (the correction needs the reason)."""
    actor = require_any(request, *sel.PERMS)
    counties = sel.counties_for(actor)
    if not counties:
        return render(request, "stars/assessments/create.html", {"form": None})
    source: Assessment | None = None
    if request.GET.get("from"):
        source = sel.assessment_get(actor, request.GET["from"])
    kind = source.subject_kind if source else request.GET.get("kind") or ""
    if kind not in KINDS:
        kind = SubjectKind.TASK_FORCE
    county = counties[0]
    if source is not None:
        county = next((c for c in counties if c.pk == source.county_id), county)
    code = request.POST.get("county") if request.method == "POST" else None
    if code:
        county = next((c for c in counties if c.code == code), county)
    task_forces = sel.task_forces(county)
    initial: dict[str, Any] = {"county": county.code}
    if source is not None:
        initial.update(
            period=source.period,
            task_force=str(source.task_force_id or ""),
            unit=source.unit.code,
            name=source.subject_name,
            **{k: getattr(source, k) for k in svc.PART_LABELS},
        )
    form = forms.AssessmentForm(
        request.POST or None,
        initial=initial,
        kind=kind,
        counties=[(c.code, c.display_name) for c in counties],
        task_forces=[(str(t.pk), t.name) for t in task_forces],
        units=_units(kind, county),
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            tf = next((t for t in task_forces if str(t.pk) == d.get("task_force")), None)
            unit = (
                Unit.objects.filter(code=d["unit"], is_active=True).first()
                if d.get("unit")
                else None
            )
            try:
                row = svc.assessment_record(
                    actor=actor,
                    county=county,
                    kind=kind,
                    period=d["period"],
                    parts=svc.Parts(**{k: d.get(k) for k in svc.PART_LABELS}),
                    task_force=tf,
                    unit=unit,
                    name=d.get("name") or "",
                    note=d.get("note") or "",
                )
            except DomainError as exc:
                status = 403 if isinstance(exc, PermissionDenied) else 400
                add_domain_error(form, exc)
            else:
                messages.success(
                    request, f"已登记{row.subject_name}{row.period}考核：综合得分{row.total}"
                )
                return redirect(reverse("stars:assessment_detail", args=[row.public_id]))
    context = {
        "form": form,
        "kind": kind,
        "kinds": SubjectKind.choices,
        "source": source,
        "no_task_forces": kind == SubjectKind.TASK_FORCE and not task_forces,
        "weights": _weights_text(),
    }
    return render(request, "stars/assessments/create.html", context, status=status)


@login_required
@require_GET
def assessment_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    """A row with the subject's year: every period, corrections shown with the row they
    replace."""
    actor = require_any(request, *sel.PERMS)
    row = sel.assessment_get(actor, public_id)
    history = sel.subject_history(row)
    counted: set[str] = set()
    lines = []
    for a in history:  # newest first: the first row of a period is the one that counts
        lines.append({"row": a, "counts": a.period not in counted})
        counted.add(a.period)
    context = {
        "row": row,
        "lines": lines,
        "can_record": actor.can(wf.REVIEW_COUNTY, row.county.path),
        "weights": _weights_text(),
    }
    return render(request, "stars/assessments/detail.html", context)


EXPORT_HEADERS = [
    "考核期",
    "类别",
    "考核对象",
    "所属单位",
    *svc.PART_LABELS.values(),
    "综合得分",
    "是否有效",
    "说明",
    "考核人",
    "登记时间",
]


@login_required
@require_GET
def assessment_export(request: ActorRequest) -> FileResponse:
    """The list as filtered, as .xlsx (with corrected rows marked)."""
    from lianxin.core.clock import local_naive

    actor = require_any(request, *sel.PERMS)
    f = sel.Filters.from_query(request.GET)
    rows = list(sel.assessment_list(actor, f))
    current = sel.current_ids(rows)
    return xlsx_export(
        request,
        sheet=f"{f.year}年日常考核",
        headers=EXPORT_HEADERS,
        rows=(
            [
                a.period,
                a.get_subject_kind_display(),
                a.subject_name,
                a.unit.display_name,
                *(getattr(a, k) for k in svc.PART_LABELS),
                a.total,
                "有效" if a.pk in current else "已更正",
                a.note,
                a.assessor_label,
                local_naive(a.created_at),
            ]
            for a in rows
        ),
        object_type="stars.assessment",
        scope_path=_scope_path(request),
    )


def _year_args(request: ActorRequest) -> tuple[int, str]:
    f = sel.Filters.from_query(request.GET)
    kind = f.kind
    if not kind:
        kind = (
            SubjectKind.TASK_FORCE
            if sel.is_county_level(request.actor)
            else SubjectKind.TOWNSHIP_SECRETARY
        )
    return f.year, kind


@login_required
@require_GET
def assessment_year(request: ActorRequest) -> HttpResponse:
    """The year-end evaluation of one kind of subject: average of the periods, rank, grade."""
    actor = require_any(request, *sel.PERMS)
    year, kind = _year_args(request)
    table = sel.year_table(actor, year, kind)
    context = {
        "year": year,
        "kind": kind,
        "kind_label": KINDS[kind],
        "kinds": SubjectKind.choices,
        "years": sel.assessment_years(actor),
        "table": table,
        "grades": sel.grade_counts(table),
        "county_level": sel.is_county_level(actor),
        "linked": LINKED,
    }
    return render(request, "stars/assessments/year.html", context)


YEAR_HEADERS = ["名次", "考核对象", "所属单位", "类别", "考核期数", "平均得分", "等次", "挂钩"]


@login_required
@require_GET
def assessment_year_export(request: ActorRequest) -> FileResponse:
    """The year-end evaluation as .xlsx."""
    actor = require_any(request, *sel.PERMS)
    year, kind = _year_args(request)
    return xlsx_export(
        request,
        sheet=f"{year}年{KINDS[kind]}年终评定"[:31],
        headers=YEAR_HEADERS,
        rows=(
            [
                r.rank,
                r.subject_name,
                r.unit.display_name,
                r.kind_label,
                r.periods,
                r.average,
                r.grade,
                LINKED,
            ]
            for r in sel.year_table(actor, year, kind)
        ),
        object_type="stars.assessment",
        scope_path=_scope_path(request),
    )
