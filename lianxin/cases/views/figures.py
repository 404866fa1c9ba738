"""Figures pages of the cases app: a unit's figures for a period (with its xlsx and PDF) and the
generated reports (每周汇总、每月通报).

Thin views: the form parses the unit and period, `figures.unit_figures` computes, the
templates show `Figures.as_dict()` — the same numbers `lianxin report cases` prints. Units
come from `Unit.objects.visible_to(actor, cases.report)`; a unit outside it is absent (404 for
downloads, a form error on the page).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from lianxin.accounts.actor import Actor
from lianxin.cases import reports
from lianxin.cases import workflow as wf
from lianxin.cases.figures import (
    BREAKDOWN_COUNTS,
    BREAKDOWN_RATES,
    COUNT_LABELS,
    RATE_LABELS,
    SECTIONS,
    format_rate,
    report_unit_get,
    report_units,
    unit_figures,
)
from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.pdf import PdfFontMissing
from lianxin.territory.models import Unit

PER_PAGE = 50
# Units offered in the selector: down to two levels below the actor's highest post (deeper
# units are reached through the breakdown links); never more than this many.
MAX_OPTIONS = 400
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

PERIODS = [
    ("this_week", "本周"),
    ("this_month", "本月"),
    ("last_month", "上月"),
    ("custom", "自定义"),
]


class FiguresForm(forms.Form):
    """Which unit and which period; a preset period or custom dates (both ends inclusive)."""

    unit = forms.CharField(label="单位", required=False, max_length=40)
    period = forms.ChoiceField(label="统计期间", choices=PERIODS, required=False)
    date_from = forms.DateField(
        label="开始日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="选择“自定义”时填写",
    )
    date_to = forms.DateField(
        label="结束日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        period = data.get("period") or ("custom" if start or end else "this_month")
        data["period"] = period
        today = self.today
        if period == "this_week":
            start, end = today - dt.timedelta(days=today.weekday()), today
        elif period == "this_month":
            start, end = today.replace(day=1), today
        elif period == "last_month":
            start, end = reports.previous_month(today)
        else:
            if start is None:
                self.add_error("date_from", "请填写开始日期")
            if end is None:
                self.add_error("date_to", "请填写结束日期")
            if start and end and start > end:
                self.add_error("date_to", "结束日期不能早于开始日期")
        data["date_from"], data["date_to"] = start, end
        return data

    def period_query(self) -> str:
        """The period part of a URL query (to keep the period while changing the unit)."""
        data = self.cleaned_data
        params = {"period": data["period"]}
        if data["period"] == "custom":
            params.update(
                date_from=data["date_from"].isoformat(), date_to=data["date_to"].isoformat()
            )
        return urlencode(params)


def _need_report(actor: Actor) -> None:
    if not actor.can(wf.REPORT):
        raise Forbidden("没有查看诉求统计的权限")


def _today() -> dt.date:
    return timezone.localdate(clock.now())


def _default_unit(actor: Actor) -> Unit | None:
    """The primary post's unit when it grants the report permission, else the first such post."""
    posts = actor.posts_with(wf.REPORT)
    if not posts:
        return None
    primary = actor.primary_post
    post = primary if primary in posts else posts[0]
    return report_units(actor).filter(pk=post.unit_id).first()


def _unit_options(actor: Actor, current: Unit | None) -> list[dict[str, Any]]:
    paths = actor.scope_paths(wf.REPORT)
    top = min(p.count("/") - 2 for p in paths)
    units = list(
        report_units(actor)
        .filter(depth__lte=top + 2)
        .exclude(kind="building")
        .order_by("path")[:MAX_OPTIONS]
    )
    if current is not None and all(u.pk != current.pk for u in units):
        units.append(current)
        units.sort(key=lambda u: u.path)
    return [
        {
            "code": u.code,
            "label": "　" * max(u.depth - top, 0) + u.display_name,
            "selected": current is not None and u.pk == current.pk,
        }
        for u in units
    ]


def _ancestors(actor: Actor, unit: Unit) -> list[Unit]:
    """The unit's ancestors inside the actor's report scope (for the breadcrumbs)."""
    parts = [p for p in unit.path.split("/") if p]
    prefixes = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]
    return list(report_units(actor).filter(path__in=prefixes).order_by("depth"))


def _bars(shares: list[dict[str, Any]], total: int) -> list[dict[str, Any]]:
    return [
        {**s, "pct": round(100 * s["count"] / total, 1) if total else 0}
        for s in shares
        if s["count"]
    ]


def _display(data: dict[str, Any]) -> dict[str, Any]:
    """What the template shows, all read from `Figures.as_dict()`."""
    counts, rates = data["counts"], data["rates"]
    received = counts["received"]
    headline = [
        {"label": "受理诉求", "value": counts["received"]},
        {"label": "已办结", "value": counts["resolved"]},
        {"label": "超期", "value": counts["overdue"], "warn": counts["overdue"] > 0},
        {"label": "吹哨", "value": counts["whistles"]},
    ] + [
        {"label": RATE_LABELS[k], "value": format_rate(rates[k])}
        for k in ("response_rate", "resolution_rate", "satisfaction_rate", "composite_score")
    ]
    sections = [
        {"title": title, "rows": [(COUNT_LABELS[k], counts[k]) for k in keys]}
        for title, keys in SECTIONS
    ]
    sections.append(
        {
            "title": "比率",
            "rows": [(label, format_rate(rates[k])) for k, label in RATE_LABELS.items()],
        }
    )
    children = [
        {
            "name": c["name"],
            "code": c["code"],
            "link": not c["is_self"] and bool(c["kind"]),
            "cells": [(COUNT_LABELS[k], c["counts"][k]) for k in BREAKDOWN_COUNTS]
            + [(RATE_LABELS[k], format_rate(c["rates"][k])) for k in BREAKDOWN_RATES],
        }
        for c in data["children"]
    ]
    return {
        "headline": headline,
        "sections": sections,
        "bars": [
            ("来源渠道", _bars(data["by_channel"], received)),
            ("三事分流", _bars(data["by_level"], received)),
            ("类别", _bars(data["by_category"], received)),
        ],
        "children": children,
        "breakdown_head": [COUNT_LABELS[k] for k in BREAKDOWN_COUNTS]
        + [RATE_LABELS[k] for k in BREAKDOWN_RATES],
        "notes": reports.rate_notes(data),
    }


@login_required
@require_GET
def figures_page(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    _need_report(actor)
    form = FiguresForm(request.GET or {"period": "this_month"}, today=_today())
    unit = _default_unit(actor)
    ctx: dict[str, Any] = {"form": form}
    if form.is_valid() and form.cleaned_data["unit"]:
        unit = report_units(actor).filter(code=form.cleaned_data["unit"]).first()
        if unit is None:
            form.add_error("unit", "单位不存在或不在您的管辖范围内")
    # add_error above makes the form invalid: nothing is computed for a unit out of scope.
    if form.is_valid() and unit is not None:
        try:
            data = unit_figures(
                unit=unit,
                date_from=form.cleaned_data["date_from"],
                date_to=form.cleaned_data["date_to"],
            ).as_dict()
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            ctx.update(
                data=data,
                unit=unit,
                title=reports.figures_title(data),
                period_query=form.period_query(),
                ancestors=_ancestors(actor, unit),
                **_display(data),
            )
    ctx["unit_options"] = _unit_options(actor, ctx.get("unit") or unit)
    return render(request, "cases/figures/page.html", ctx)


def _download_data(request: ActorRequest, code: str) -> tuple[dict[str, Any] | None, Any]:
    actor = request.actor
    _need_report(actor)
    unit = report_unit_get(actor, code)
    form = FiguresForm(request.GET, today=_today())
    if not form.is_valid():
        return None, form
    return unit_figures(
        unit=unit, date_from=form.cleaned_data["date_from"], date_to=form.cleaned_data["date_to"]
    ).as_dict(), form


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = cast(str, content_disposition_header(True, filename))
    return response


def _bad_period(request: ActorRequest, form: Any) -> HttpResponse:
    return render(request, "cases/figures/bad_period.html", {"form": form}, status=400)


@login_required
@require_GET
def figures_xlsx(request: ActorRequest, code: str) -> HttpResponse:
    data, form = _download_data(request, code)
    if data is None:
        return _bad_period(request, form)
    title = reports.figures_title(data)
    return _attachment(reports.figures_workbook(data, title=title), XLSX, f"{title}.xlsx")


@login_required
@require_GET
def figures_pdf(request: ActorRequest, code: str) -> HttpResponse:
    data, form = _download_data(request, code)
    if data is None:
        return _bad_period(request, form)
    title = reports.figures_title(data)
    try:
        content = reports.figures_pdf(data, title=title)
    except PdfFontMissing as exc:
        return render(
            request, "cases/figures/pdf_unavailable.html", {"message": str(exc)}, status=503
        )
    return _attachment(content, "application/pdf", f"{title}.pdf")


class ReportFilterForm(forms.Form):
    period = forms.ChoiceField(
        label="类型",
        required=False,
        choices=[("", "全部"), *reports.PERIOD_LABELS.items()],
    )


@login_required
@require_GET
def report_list(request: ActorRequest) -> HttpResponse:
    actor = request.actor
    _need_report(actor)
    form = ReportFilterForm(request.GET or None)
    qs = reports.reports_for(actor)
    if form.is_valid() and form.cleaned_data["period"]:
        qs = qs.filter(period=form.cleaned_data["period"])
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        {
            "report": r,
            "title": reports.report_title(r),
            "received": r.figures["counts"]["received"],
            "resolved": r.figures["counts"]["resolved"],
            "satisfaction": format_rate(r.figures["rates"]["satisfaction_rate"]),
            "composite": format_rate(r.figures["rates"]["composite_score"]),
        }
        for r in page
    ]
    params = [(k, v) for k, v in request.GET.items() if k != "page" and v]
    return render(
        request,
        "cases/figures/report_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "period_labels": reports.PERIOD_LABELS,
            "querystring_without_page": urlencode(params) + "&" if params else "",
        },
    )


@login_required
@require_GET
def report_download(request: ActorRequest, public_id: Any, fmt: str) -> HttpResponse:
    actor = request.actor
    report = reports.report_get(actor, public_id)
    if fmt not in ("xlsx", "pdf"):
        raise Http404("不支持的格式")
    try:
        content = reports.report_file(report, fmt)
    except PdfFontMissing as exc:
        return render(
            request, "cases/figures/pdf_unavailable.html", {"message": str(exc)}, status=503
        )
    title = reports.report_title(report)
    content_type = XLSX if fmt == "xlsx" else "application/pdf"
    return _attachment(content, content_type, f"{title}.{fmt}")


urlpatterns: list[URLPattern] = [
    path("figures/", figures_page, name="figures"),
    path("figures/<str:code>/xlsx/", figures_xlsx, name="figures_xlsx"),
    path("figures/<str:code>/pdf/", figures_pdf, name="figures_pdf"),
    path("reports/", report_list, name="report_list"),
    path("reports/<uuid:public_id>/<str:fmt>/", report_download, name="report_download"),
]
