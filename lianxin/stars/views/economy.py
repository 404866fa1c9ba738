"""Pages of the collective economy (村集体经济).

- The list (/stars/income/): per village of the actor's scope for a year, the income by source,
  the total, last year's total, the growth and the cadre reward rule (eligible, or why not,
  and the pool); filterable by township; exported to Excel as filtered.
- A village's page: every year it recorded, and every revision with who recorded it and when.
- The record form (the village's staff): one amount per source; a correction is a new
  revision with a note. A refusal redraws the form with the reason next to the field (400),
  a correction made meanwhile by someone else is reported (409), nothing typed is lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from lianxin.accounts.actor import Actor
from lianxin.audit.exports import xlsx_export
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.stars import forms_economy as forms
from lianxin.stars import workflow as wf
from lianxin.stars.selectors import economy as sel
from lianxin.stars.selectors.catalog import yuan
from lianxin.stars.services import economy as svc
from lianxin.territory.models import Unit

EXPORT_BATCH = 500


def _year(value: str | None, default: int) -> int:
    try:
        year = int(value or default)
    except ValueError:
        return default
    return year if svc.FIRST_YEAR <= year <= clock.today().year else default


def _filters(request: ActorRequest, actor: Actor) -> tuple[int, Unit | None, list[Unit]]:
    year = _year(request.GET.get("year"), clock.today().year - 1)
    townships = sel.townships_for(actor)
    code = (request.GET.get("township") or "").strip()
    township = next((t for t in townships if t.code == code), None)
    return year, township, townships


@login_required
@require_GET
def income_list(request: ActorRequest) -> HttpResponse:
    """The year's collective income of the villages in scope, with the reward rule."""
    actor = require_any(request, wf.VIEW)
    year, township, townships = _filters(request, actor)
    page = page_of(request, sel.villages_for(actor, township))
    rows = sel.income_rows(list(page.object_list), year)
    for row in rows:
        row.can_record = actor.can(wf.DECLARE, row.unit.path)  # type: ignore[attr-defined]
    context = {
        "year": year,
        "years": sel.income_years(actor),
        "township": township,
        "townships": townships,
        "page": page,
        "rows": rows,
        "sources": sel.show_sources(rows),
        "summary": sel.year_summary(actor, year, township),
        "qs": querystring_without_page(request),
    }
    return render(request, "stars/economy/list.html", context)


EXPORT_HEADERS = [
    "乡镇（街道）",
    "村（社区）",
    "编码",
    "年度",
    "版本",
    *(f"{label}（元）" for _, label in sel.SOURCES),
    "经营性收入合计（元）",
    "上年收入（元）",
    "较上年增幅（%）",
    "村干部奖励",
    "说明",
    "奖励资金（元）",
    "填报人",
    "填报时间",
]


def _export_rows(actor: Actor, year: int, township: Unit | None) -> Iterator[list[Any]]:
    units = list(sel.villages_for(actor, township))
    for start in range(0, len(units), EXPORT_BATCH):
        for row in sel.income_rows(units[start : start + EXPORT_BATCH], year):
            s, r = row.statement, row.reward
            yield [
                row.unit.parent.display_name if row.unit.parent else "",
                row.unit.display_name,
                row.unit.code,
                year,
                s.revision if s else None,
                *row.by_source,
                s.total if s else None,
                row.previous.total if row.previous else None,
                row.growth_percent,
                ("符合" if r.eligible else "不符合") if r else "未填报",
                r.reason if r else "",
                r.pool if r else None,
                s.recorded_by_label if s else "",
                clock.local_naive(s.created_at) if s else None,
            ]


@login_required
@require_GET
def income_export(request: ActorRequest) -> FileResponse:
    """The list as filtered (every village, not one page), as .xlsx."""
    actor = require_any(request, wf.VIEW)
    year, township, _ = _filters(request, actor)
    return xlsx_export(
        request,
        sheet=f"集体经济收入{year}",
        headers=EXPORT_HEADERS,
        rows=_export_rows(actor, year, township),
        object_type="stars.incomestatement",
        scope_path=(township.path if township else "")
        or (actor.primary_post.unit_path if actor.primary_post else ""),
    )


@login_required
@require_GET
def income_unit(request: ActorRequest, unit_id: Any) -> HttpResponse:
    """A village's years of collective income and every revision."""
    actor = request.actor
    unit = sel.village_get(actor, unit_id)
    history = sel.village_history(unit)
    context = {
        "unit": unit,
        "history": history,
        "sources": sel.show_sources(history.rows),
        "can_record": actor.can(wf.DECLARE, unit.path),
        "this_year": clock.today().year,
    }
    return render(request, "stars/economy/unit.html", context)


def _unit_url(unit: Unit) -> str:
    return reverse("stars:income_unit", args=[unit.public_id])


@login_required
@require_http_methods(["GET", "POST"])
def income_record(request: ActorRequest, unit_id: Any) -> HttpResponse:
    """Record or correct the village's income of a year (one amount per source)."""
    actor = request.actor
    unit = sel.village_get(actor, unit_id, wf.DECLARE)
    year = _year(request.GET.get("year"), clock.today().year - 1)
    revision, amounts = sel.statement_amounts(unit, year)
    initial: dict[str, Any] = {"year": year, "revision": revision, "for_year": year}
    initial |= {svc.amount_field(k): v for k, v in amounts.items()}
    form = forms.IncomeForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            d = form.cleaned_data
            try:
                statement = svc.income_record(
                    actor=actor,
                    unit=unit,
                    year=d["year"],
                    amounts=form.amounts(),
                    note=d["note"],
                    expected_revision=form.expected_revision(),
                )
            except DomainError as exc:
                status = {Conflict: 409, PermissionDenied: 403}.get(type(exc), 400)
                add_domain_error(form, exc)
                if isinstance(exc, Conflict):
                    # Show the fresh figures beside the form; the next submission is made
                    # knowingly over the newest revision.
                    year = d["year"]
                    revision, amounts = sel.statement_amounts(unit, year)
                    data = request.POST.copy()
                    data["revision"], data["for_year"] = str(revision), str(year)
                    form.data = data
            else:
                total = f"{statement.total:,.2f}"
                what = "更正" if statement.revision > 1 else "填报"
                messages.success(
                    request,
                    f"已{what}{statement.year}年集体经济经营性收入：{total} 元"
                    f"（第{statement.revision}版）",
                )
                return redirect(_unit_url(unit))
    context = {
        "unit": unit,
        "form": form,
        "year": year,
        "revision": revision,
        "current_total": yuan(sum(amounts.values(), Decimal(0))) if amounts else "",
        "back": _unit_url(unit),
    }
    return render(request, "stars/economy/record.html", context, status=status)
