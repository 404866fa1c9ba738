"""Pages of points: rankings (积分排名, see docs/points-rankings.md).

Thin views: the form parses scheme, level, unit and period; `rankings.ranking` reads one
page of the unit's standings (party members: live own / linked / combined scores); the
Excel export reads every row. A unit the actor may not open is a form error on the page and
a 404 for the downloads and the recompute button.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST
from openpyxl import Workbook

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.core.http import ActorRequest
from lianxin.core.paging import querystring_without_page, require_any
from lianxin.points import rankings as sel
from lianxin.points.models import Scheme, SubjectKind
from lianxin.points.services.config import schemes as active_schemes
from lianxin.points.services.standings import PERIOD_RE, standings_refresh
from lianxin.points.workflow import REPORT, VIEW
from lianxin.territory.models import Unit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The Excel export holds a whole township at most; beyond this it is cut (and says so).
XLSX_MAX_ROWS = 100_000


def _today() -> dt.date:
    return timezone.localdate(clock.now())


def period_label(period: str) -> str:
    return f"{period[:4]}年" + (f"{int(period[5:7])}月" if len(period) == 7 else "")


def period_choices(today: dt.date, current: str = "") -> list[tuple[str, str]]:
    """This year and last, then the last 12 months; a valid `current` outside them is kept."""
    years = [str(today.year), str(today.year - 1)]
    months = []
    year, month = today.year, today.month
    for _ in range(12):
        months.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    values = years + months
    if current and PERIOD_RE.match(current) and current not in values:
        values.insert(0, current)
    return [(v, period_label(v)) for v in values]


class RankingForm(forms.Form):
    scheme = forms.ChoiceField(label="积分对象")
    level = forms.ChoiceField(label="排名范围")
    unit = forms.CharField(label="单位", required=False, max_length=40)
    period = forms.CharField(label="期间", max_length=7)
    order = forms.ChoiceField(
        label="党员排序", required=False, choices=list(sel.MEMBER_ORDERS.items())
    )

    def __init__(
        self, *args: Any, schemes: list[Scheme], levels: list[sel.Level], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.schemes = {s.code: s for s in schemes}
        cast(forms.ChoiceField, self.fields["scheme"]).choices = [(s.code, s.name) for s in schemes]
        cast(forms.ChoiceField, self.fields["level"]).choices = [
            (lv.code, lv.label) for lv in levels
        ]

    def clean_period(self) -> str:
        period = self.cleaned_data["period"].strip()
        if not PERIOD_RE.match(period):
            raise forms.ValidationError("期间格式应为年份（如 2026）或年月（如 2026-11）")
        return period


def _defaults(actor: Actor, levels: list[sel.Level], schemes: list[Scheme]) -> dict[str, str]:
    """Household points of this year, at the level of the primary post's unit."""
    codes = [lv.code for lv in levels]
    post_kind = actor.primary_post.unit_kind if actor.primary_post else ""
    level = post_kind if post_kind in codes else next(iter(codes), "")
    household = next((s for s in schemes if s.subject_kind == SubjectKind.HOUSEHOLD), None)
    scheme = household or (schemes[0] if schemes else None)
    return {
        "scheme": scheme.code if scheme else "",
        "level": level,
        "period": str(_today().year),
        "order": "combined",
    }


def _resolve_unit(actor: Actor, level: sel.Level, code: str) -> Unit | None:
    """The unit named by `code` at `level`; after a level switch (a unit of another level the
    actor may open), the nearest unit of the new level above or below it; None if the actor
    may open no such unit."""
    units = sel.ranking_units(actor, level)
    if not code:
        return sel.ranking_default_unit(actor, level)
    unit = units.filter(code=code).first()
    if unit is not None:
        return unit
    for other in sel.LEVELS.values():
        known = sel.ranking_units(actor, other).filter(code=code).first()
        if known is not None:
            parts = [p for p in known.path.split("/") if p]
            above = ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]
            return units.filter(Q(path__in=above) | Q(path__startswith=known.path)).first()
    return None


def _household_link(public_id: Any) -> str:
    # The household statement is another page's; until it exists the name is plain text.
    try:
        return reverse("points:household_detail", kwargs={"public_id": public_id})
    except NoReverseMatch:
        return ""


def _parse(request: ActorRequest, levels: list[sel.Level]) -> tuple[RankingForm, dict[str, Any]]:
    """The form and, when valid, what to rank: scheme, level, unit (or a form error)."""
    actor = request.actor
    schemes = active_schemes()
    data = {**_defaults(actor, levels, schemes), **request.GET.dict()}
    form = RankingForm(data, schemes=schemes, levels=levels)
    found: dict[str, Any] = {}
    if form.is_valid():
        level = sel.level_get(form.cleaned_data["level"])
        unit = _resolve_unit(actor, level, form.cleaned_data["unit"])
        if unit is None:
            form.add_error("unit", "单位不存在或不在您的查看范围内")
        else:
            found = {
                "scheme": form.schemes[form.cleaned_data["scheme"]],
                "level": level,
                "unit": unit,
                "period": form.cleaned_data["period"],
                "order": form.cleaned_data["order"] or "combined",
            }
    return form, found


def _query(found: dict[str, Any], **extra: str) -> str:
    params = {
        "scheme": found["scheme"].code,
        "level": found["level"].code,
        "unit": found["unit"].code,
        "period": found["period"],
        **({"order": found["order"]} if found["scheme"].subject_kind == "party_member" else {}),
        **extra,
    }
    return urlencode(params)


@login_required
@require_GET
def ranking_page(request: ActorRequest) -> HttpResponse:
    actor = require_any(request, VIEW)
    levels = sel.ranking_levels(actor)
    form, found = _parse(request, levels)
    ctx: dict[str, Any] = {"form": form}
    if found:
        result = sel.ranking(actor, page=request.GET.get("page"), **found)
        if not result.is_members:
            for row in result.page.object_list:
                if row.account.kind == SubjectKind.HOUSEHOLD:
                    row.link = _household_link(row.account.public_id)
        ctx.update(
            result=result,
            unit=found["unit"],
            title=f"{found['unit'].display_name} · {found['scheme'].name} · "
            f"{period_label(found['period'])}",
            query=_query(found),
            can_recompute=actor.can(REPORT)
            and sel.ranking_units(actor, found["level"], REPORT)
            .filter(pk=found["unit"].pk)
            .exists(),
            child_level=sel.LEVELS[found["level"].child] if found["level"].child else None,
            total_label=(
                sel.MEMBER_ORDERS[result.order] + "合计" if result.is_members else "积分合计"
            ),
        )
    level = found["level"] if found else sel.LEVELS.get(form.data.get("level", ""))
    ctx.update(
        unit_options=sel.ranking_unit_options(actor, level) if level else [],
        period_options=period_choices(_today(), form.data.get("period", "")),
        querystring_without_page=querystring_without_page(request),
    )
    return render(request, "points/rankings/page.html", ctx)


def _sheet_rows(result: sel.Ranking) -> tuple[list[str], list[list[Any]]]:
    if result.is_members:
        head = [
            "名次",
            "姓名",
            "所在",
            "本人积分",
            "联系户数",
            "联系户积分合计",
            "联户积分",
            "综合分",
        ]
        body = [
            [
                r.rank,
                r.account.label,
                r.place,
                r.own,
                r.linked.households,
                r.linked.total,
                r.linked.value,
                r.combined,
            ]
            for r in result.page.object_list
        ]
        return head, body
    head = ["名次", "名称", "所在", "积分"]
    return head, [[r.rank, r.account.label, r.place, r.score] for r in result.page.object_list]


@login_required
@require_GET
def ranking_xlsx(request: ActorRequest, code: str) -> HttpResponse:
    actor = require_any(request, VIEW)
    # Scope first: the unit in the URL must be one the actor may open at that level (404).
    level = sel.level_get(request.GET.get("level", ""))
    unit = sel.ranking_unit_get(actor, level, code)
    form = RankingForm(request.GET, schemes=active_schemes(), levels=sel.ranking_levels(actor))
    if not form.is_valid():
        return render(request, "points/rankings/bad_query.html", {"form": form}, status=400)
    found = {
        "scheme": form.schemes[form.cleaned_data["scheme"]],
        "level": level,
        "unit": unit,
        "period": form.cleaned_data["period"],
        "order": form.cleaned_data["order"] or "combined",
    }
    result = sel.ranking(actor, page=1, per_page=XLSX_MAX_ROWS, contributions=False, **found)
    title = f"{unit.display_name}{found['scheme'].name}排名（{period_label(found['period'])}）"
    book = Workbook(write_only=True)
    sheet = book.create_sheet("排名")
    head, body = _sheet_rows(result)
    sheet.append([title])
    if result.is_members:
        fresh = "积分实时计算"
    elif result.computed_at:
        fresh = "排名计算于 " + timezone.localtime(result.computed_at).strftime("%Y-%m-%d %H:%M")
    else:
        fresh = "本期排名尚未计算"
    sheet.append([f"共 {result.subjects} 个对象；{fresh}"])
    sheet.append(head)
    for row in body:
        sheet.append(row)
    if result.page.paginator.num_pages > 1:
        sheet.append([f"仅导出前 {XLSX_MAX_ROWS} 行"])
    out = io.BytesIO()
    book.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = cast(str, content_disposition_header(True, f"{title}.xlsx"))
    return response


@login_required
@require_POST
def ranking_recompute(request: ActorRequest, code: str) -> HttpResponse:
    actor = require_any(request, REPORT)
    level = sel.level_get(request.POST.get("level", ""))
    unit = sel.ranking_unit_get(actor, level, code, perm=REPORT)
    period = request.POST.get("period", "")
    try:
        written = standings_refresh(actor=actor, unit=unit, period=period)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"已重新计算{period_label(period)}积分排名（{written} 个对象）")
    query = {k: request.POST.get(k, "") for k in ("scheme", "level", "period", "order")}
    query["unit"] = unit.code
    return HttpResponseRedirect(
        reverse("points:ranking") + "?" + urlencode({k: v for k, v in query.items() if v})
    )


urlpatterns: list[URLPattern] = [
    path("rankings/", ranking_page, name="ranking"),
    path("rankings/<str:code>/xlsx/", ranking_xlsx, name="ranking_xlsx"),
    path("rankings/<str:code>/recompute/", ranking_recompute, name="ranking_recompute"),
]
