"""Pages of points: households' accounts and statements, and the 三类户 ratings with plaques
(see docs/points-members.md).

- `household_list`: every household in the actor's points scope with its balance and the
  period's score — households that never earned a point (no account yet) show 0; their
  link opens the account (`household_open`, accounts are opened on first use).
- `household_detail` / `household_statement_xlsx`: a household's statement (积分明细).
- `rating_list`, `plaque_pdf`, `plaques_pdf`: the yearly ratings of a village, computed and
  published by `points.talk` holders (services.ratings), and their door plaques.

Thin views: the period form parses the period; reads are the selectors below (scoped with
`visible_to`, 404 outside scope) and services.ratings; writes go through services.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce, Length
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from lianxin.accounts.actor import Actor
from lianxin.core import clock
from lianxin.core.errors import DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.core.pdf import PdfFontMissing
from lianxin.core.scope import path_q
from lianxin.people.models import Household, Resident
from lianxin.points import plaques
from lianxin.points import workflow as wf
from lianxin.points.models import (
    Account,
    PointEntry,
    Proposal,
    Redemption,
    SubjectKind,
    period_bounds,
)
from lianxin.points.scores import account_score, household_score_expression, resident_contributions
from lianxin.points.services import ratings as rating_service
from lianxin.points.services.accounts import account_for_household
from lianxin.points.services.config import points_settings, scheme_for
from lianxin.territory.models import Unit, UnitKind

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YEARS_BACK = 5
# Units offered in the household list's area filter (villages and grids in scope).
MAX_UNIT_OPTIONS = 300
RECENT = 50


def today() -> dt.date:
    return timezone.localdate(clock.now())


# --- the period (shared with the members pages) ----------------------------------------------


@dataclass(frozen=True)
class Period:
    """A year or a month: what scores are computed over."""

    year: int
    month: int  # 0 = the whole year

    @property
    def code(self) -> str:
        return f"{self.year}" if not self.month else f"{self.year}-{self.month:02d}"

    @property
    def bounds(self) -> tuple[dt.date, dt.date]:
        return period_bounds(self.code)

    @property
    def is_year(self) -> bool:
        return not self.month

    @property
    def label(self) -> str:
        return f"{self.year}年" if not self.month else f"{self.year}年{self.month}月"

    @property
    def query(self) -> str:
        params = {"year": self.year, **({"month": self.month} if self.month else {})}
        return urlencode(params)


class PeriodForm(forms.Form):
    """Which year, and optionally which month of it."""

    year = forms.TypedChoiceField(label="年度", coerce=int, required=False)
    month = forms.TypedChoiceField(
        label="月份",
        coerce=int,
        empty_value=None,
        required=False,
        choices=[("", "全年")] + [(m, f"{m}月") for m in range(1, 13)],
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        years = range(today.year, today.year - YEARS_BACK - 1, -1)
        year_field = cast(forms.TypedChoiceField, self.fields["year"])
        year_field.choices = [(y, f"{y}年") for y in years]

    def period(self) -> Period:
        """The chosen period; the current year when nothing (valid) was chosen."""
        if not self.is_bound or not self.is_valid():
            return Period(self.today.year, 0)
        return Period(
            self.cleaned_data["year"] or self.today.year, self.cleaned_data.get("month") or 0
        )


def period_form(request: ActorRequest, *, year_only: bool = False) -> tuple[PeriodForm, Period]:
    data = request.GET if "year" in request.GET else None
    form = PeriodForm(data, today=today())
    if year_only:
        del form.fields["month"]
    period = form.period()
    return form, Period(period.year, 0) if year_only else period


def attachment(content: bytes, content_type: str, filename: str, *, inline: bool = False) -> Any:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = cast(str, content_disposition_header(not inline, filename))
    return response


# --- selectors ---------------------------------------------------------------------------------


def area_options(actor: Actor) -> QuerySet[Unit]:
    """Villages and grids in the actor's points scope (the household list's area filter)."""
    return (
        Unit.objects.filter(path_q("path", actor.scope_paths(wf.VIEW)))
        .filter(kind__in=[UnitKind.VILLAGE, UnitKind.GRID], is_active=True)
        .order_by("path")[:MAX_UNIT_OPTIONS]
    )


def household_rows(
    actor: Actor,
    *,
    date_from: dt.date,
    date_to: dt.date,
    search: str = "",
    area: Unit | None = None,
    order: str = "",
) -> QuerySet[Household]:
    """Households in the actor's points scope, each with its household account's public id
    (`account_public_id`, None before the first point), `balance` and the period's `score`.

    The account is LEFT JOINed (FilteredRelation on the scheme), so households without an
    account are listed with 0 — one query per page, however many rows."""
    scheme = scheme_for(SubjectKind.HOUSEHOLD)
    qs = (
        Household.objects.visible_to(actor, wf.VIEW)
        .filter(is_active=True)
        .select_related("unit")
        .annotate(
            acct=FilteredRelation("point_accounts", condition=Q(point_accounts__scheme=scheme))
        )
        .annotate(
            account_public_id=F("acct__public_id"),
            balance=Coalesce(F("acct__balance"), 0),
            score=household_score_expression(date_from, date_to),
        )
    )
    if area is not None:
        qs = qs.filter(unit__path__startswith=area.path)
    search = search.strip()
    if search:
        named = Resident.objects.filter(household=OuterRef("pk"), name__contains=search)
        qs = qs.filter(
            Q(head_name__contains=search)
            | Q(address__contains=search)
            | Q(number=search)
            | Q(unit__display_name__contains=search)
            | Exists(named)
        )
    # Doors in natural order within a building (9号 before 13号): shorter first, then text.
    door = ["unit__path", Length("address"), "address", "id"]
    ordering = {"balance": ["-balance", *door], "score": ["-score", *door]}.get(order, door)
    return qs.order_by(*ordering)


def household_account_get(actor: Actor, public_id: Any) -> Account:
    """A household account in the actor's points scope (404 otherwise)."""
    return Account.objects.select_related("household__unit", "scheme", "village").get_visible(
        actor, wf.VIEW, public_id=public_id, kind=SubjectKind.HOUSEHOLD
    )


def statement_entries(
    account: Account, date_from: dt.date, date_to: dt.date
) -> QuerySet[PointEntry]:
    """The account's entries of the period, latest first, with what each line prints."""
    return (
        PointEntry.objects.filter(account=account, occurred_on__range=(date_from, date_to))
        .select_related("indicator_revision", "resident", "reverses", "reversed_by")
        .order_by("-occurred_on", "-seq")
    )


def statement_proposals(account: Account, date_from: dt.date, date_to: dt.date) -> list[Proposal]:
    return list(
        Proposal.objects.filter(account=account, occurred_on__range=(date_from, date_to))
        .select_related("indicator_revision", "resident")
        .order_by("-occurred_on", "-id")[:RECENT]
    )


def statement_redemptions(
    account: Account, date_from: dt.date, date_to: dt.date
) -> list[Redemption]:
    return list(
        Redemption.objects.filter(account=account, created_at__date__range=(date_from, date_to))
        .select_related("item", "store", "resident")
        .order_by("-created_at", "-id")[:RECENT]
    )


def revision_text(entry: PointEntry | Proposal) -> str:
    """The indicator and the version it was booked under, e.g. 庭院整洁 v2（+5分）."""
    rev = entry.indicator_revision
    if rev is None:
        return ""
    return f"{rev.name} v{rev.number}（{rev.points:+d}分）"


def propose_url(actor: Actor, account: Account) -> str:
    """The proposal form for this household, when the actor may propose and it exists."""
    if not actor.can(wf.PROPOSE, account.unit.path):
        return ""
    try:
        return reverse("points:proposal_create") + "?" + urlencode({"account": account.public_id})
    except NoReverseMatch:  # the proposals pages are not installed (yet)
        return ""


# --- households --------------------------------------------------------------------------------


class HouseholdFilterForm(forms.Form):
    q = forms.CharField(label="户主、门牌或居民", required=False, max_length=50)
    area = forms.CharField(label="区域", required=False, max_length=40)
    order = forms.ChoiceField(
        label="排序",
        required=False,
        choices=[("", "按楼栋门牌"), ("balance", "按余额"), ("score", "按期间积分")],
    )


@login_required
@require_GET
def household_list(request: ActorRequest) -> HttpResponse:
    actor = require_any(request, wf.VIEW)
    period_f, period = period_form(request)
    form = HouseholdFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    areas = list(area_options(actor))
    area = next((u for u in areas if u.code == data.get("area")), None)
    date_from, date_to = period.bounds
    rows = household_rows(
        actor,
        date_from=date_from,
        date_to=date_to,
        search=data.get("q", ""),
        area=area,
        order=data.get("order", ""),
    )
    page = page_of(request, rows)
    return render(
        request,
        "points/households/list.html",
        {
            "form": form,
            "period_form": period_f,
            "period": period,
            "areas": areas,
            "area": area,
            "page": page,
            "querystring_without_page": querystring_without_page(request),
        },
    )


@login_required
@require_GET
def household_open(request: ActorRequest, public_id: Any) -> HttpResponse:
    """The statement of a household that may have no account yet: open it (first use)."""
    actor = require_any(request, wf.VIEW)
    household = Household.objects.select_related("unit").get_visible(
        actor, wf.VIEW, public_id=public_id, is_active=True
    )
    try:
        account = account_for_household(household)
    except DomainError as exc:
        raise Http404(exc.message) from exc
    url = reverse("points:household_detail", kwargs={"public_id": account.public_id})
    query = request.GET.urlencode()
    return redirect(url + ("?" + query if query else ""))


@login_required
@require_GET
def household_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.VIEW)
    account = household_account_get(actor, public_id)
    period_f, period = period_form(request)
    date_from, date_to = period.bounds
    entries = page_of(request, statement_entries(account, date_from, date_to))
    for entry in entries:
        entry.revision_label = revision_text(entry)  # type: ignore[attr-defined]
    return render(
        request,
        "points/households/detail.html",
        {
            "account": account,
            "household": account.household,
            "period_form": period_f,
            "period": period,
            "score": account_score(account, date_from, date_to),
            "contributions": resident_contributions(account, date_from, date_to),
            "entries": entries,
            "proposals": [
                (p, revision_text(p)) for p in statement_proposals(account, date_from, date_to)
            ],
            "redemptions": statement_redemptions(account, date_from, date_to),
            "propose_url": propose_url(actor, account),
            "querystring_without_page": querystring_without_page(request),
        },
    )


def statement_workbook(account: Account, period: Period) -> bytes:
    """The statement as an xlsx: 汇总, 流水 (every entry of the period), 贡献, 申报."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    date_from, date_to = period.bounds
    household = account.household
    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append([f"{account.label} 积分明细（{period.label}）"])
    ws["A1"].font = Font(bold=True, size=14)
    rows: list[tuple[str, Any]] = [
        ("户", account.label),
        ("户主", household.head_name if household else ""),
        ("村/社区", account.village.display_name if account.village else ""),
        ("积分体系", account.scheme.name),
        ("统计期间", f"{date_from.isoformat()} 至 {date_to.isoformat()}"),
        ("期间积分", account_score(account, date_from, date_to)),
        ("当前余额", account.balance),
        ("导出时间", timezone.localtime(clock.now()).strftime("%Y-%m-%d %H:%M")),
    ]
    for row in rows:
        ws.append(list(row))
    ws.column_dimensions["A"].width = 12
    ws.column_dimensions["B"].width = 40

    ws = wb.create_sheet("流水")
    head = [
        "序号",
        "发生日期",
        "类型",
        "分值",
        "余额",
        "事由",
        "指标（版本）",
        "贡献人",
        "入账时间",
        "冲正",
    ]
    ws.append(head)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for e in statement_entries(account, date_from, date_to).order_by("occurred_on", "seq"):
        note = ""
        if e.reverses_id:
            note = f"冲正第 {e.reverses.seq} 条" if e.reverses else "冲正"
        elif getattr(e, "reversed_by", None) is not None:
            note = f"已被第 {e.reversed_by.seq} 条冲正"
        ws.append(
            [
                e.seq,
                e.occurred_on,
                e.get_kind_display(),
                e.amount,
                e.balance_after,
                e.reason,
                revision_text(e),
                e.resident.name if e.resident else "",
                timezone.localtime(e.booked_at).strftime("%Y-%m-%d %H:%M"),
                note,
            ]
        )
        ws.cell(ws.max_row, 2).number_format = "yyyy-mm-dd"
    for col, width in zip("ABCDEFGHIJ", (6, 12, 8, 8, 8, 36, 30, 10, 17, 16), strict=True):
        ws.column_dimensions[col].width = width

    ws = wb.create_sheet("贡献")
    ws.append(["贡献人", "期间积分"])
    for c in resident_contributions(account, date_from, date_to):
        ws.append([c["name"], c["total"]])

    ws = wb.create_sheet("申报")
    ws.append(["发生日期", "指标（版本）", "分值", "状态", "申报人"])
    for p in statement_proposals(account, date_from, date_to):
        ws.append(
            [p.occurred_on, revision_text(p), p.points, p.get_status_display(), p.proposer_label]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@login_required
@require_GET
def household_statement_xlsx(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.VIEW)
    account = household_account_get(actor, public_id)
    _, period = period_form(request)
    content = statement_workbook(account, period)
    return attachment(content, XLSX, f"{account.label} 积分明细 {period.label}.xlsx")


# --- 三类户 ratings and plaques ---------------------------------------------------------------


class RatingForm(forms.Form):
    village = forms.CharField(label="村/社区", required=False, max_length=40)
    year = forms.TypedChoiceField(label="年度", coerce=int, required=False)
    op = forms.ChoiceField(
        required=False, choices=[("", ""), ("compute", "评定"), ("publish", "挂牌公布")]
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        year_field = cast(forms.TypedChoiceField, self.fields["year"])
        # Ratings are of a year that has begun; usually the one just ended.
        year_field.choices = [
            (y, f"{y}年度") for y in range(today.year, today.year - YEARS_BACK - 1, -1)
        ]


def _default_village(actor: Actor, villages: list[Unit]) -> Unit | None:
    """The village of the actor's primary post (or the one above it), else the first."""
    post = actor.primary_post
    if post is not None:
        for v in villages:
            if post.unit_path.startswith(v.path):
                return v
    return villages[0] if villages else None


@login_required
@require_http_methods(["GET", "POST"])
def rating_list(request: ActorRequest) -> HttpResponse:
    actor = require_any(request, wf.VIEW)
    now = today()
    form = RatingForm(
        request.POST if request.method == "POST" else (request.GET or None), today=now
    )
    villages = list(rating_service.rating_villages(actor).order_by("path")[:MAX_UNIT_OPTIONS])
    village = _default_village(actor, villages)
    year = 0
    if form.is_valid():
        data = form.cleaned_data
        year = data["year"] or 0
        if data["village"]:
            village = next((v for v in villages if v.code == data["village"]), None)
            if village is None:
                form.add_error("village", "村/社区不存在或不在您的管辖范围内")
    if not year:
        # Without a choice: the latest year the village was rated, else the current one.
        year = rating_service.latest_year(village) or now.year if village else now.year
    if request.method == "POST" and form.is_valid() and village is not None:
        op = form.cleaned_data["op"]
        try:
            if op == "compute":
                summary = rating_service.ratings_compute(actor=actor, village=village, year=year)
                messages.success(
                    request,
                    f"已评定 {summary.rated} 户"
                    + (
                        f"，已公布的 {summary.kept_published} 户保持不变"
                        if summary.kept_published
                        else ""
                    ),
                )
            elif op == "publish":
                count = rating_service.ratings_publish(actor=actor, village=village, year=year)
                messages.success(request, f"已挂牌公布 {count} 户")
            else:
                raise DomainError("请选择要执行的操作")
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            return redirect(
                reverse("points:rating_list")
                + "?"
                + urlencode({"village": village.code, "year": year})
            )
    ctx: dict[str, Any] = {
        "form": form,
        "villages": villages,
        "village": village,
        "year": year,
        "years": cast(forms.TypedChoiceField, form.fields["year"]).choices,
        "labels": rating_service.level_labels(),
    }
    if village is not None and not form.errors.get("village"):
        ratings = rating_service.ratings_of(actor, village=village, year=year)
        counts = rating_service.level_counts(ratings)
        cfg = points_settings()
        ctx.update(
            counts=counts,
            unpublished=counts["total"] - counts["published"],
            thresholds=(
                f"年度积分不低于 {cfg.rating_top_min} 分为{cfg.rating_top_label}，"
                f"不低于 {cfg.rating_mid_min} 分为{cfg.rating_mid_label}，"
                f"其余为{cfg.rating_low_label}"
            ),
            page=page_of(request, ratings),
            can_rate=actor.can(wf.TALK, village.path),
            querystring_without_page=querystring_without_page(request),
        )
    return render(request, "points/households/ratings.html", ctx)


def _plaques_response(request: ActorRequest, ratings: list[Any], filename: str) -> HttpResponse:
    size = request.GET.get("size", "a5")
    try:
        content = plaques.render_plaques(
            plaques.plaques_for(ratings), size=size if size in ("a4", "a5") else "a5"
        )
    except PdfFontMissing as exc:
        return render(
            request, "points/households/pdf_unavailable.html", {"message": str(exc)}, status=503
        )
    return attachment(content, "application/pdf", filename, inline=True)


@login_required
@require_GET
def plaque_pdf(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.VIEW)
    rating = rating_service.rating_get(actor, public_id)
    name = rating.account.household.head_name if rating.account.household else ""
    return _plaques_response(request, [rating], f"{rating.year}年度{rating.label}门牌 {name}.pdf")


@login_required
@require_GET
def plaques_pdf(request: ActorRequest, code: str, year: int) -> HttpResponse:
    actor = require_any(request, wf.VIEW)
    village = rating_service.village_get(actor, code)
    if village is None:
        raise Http404("不存在或无权访问")
    ratings = rating_service.published_of(actor, village=village, year=year)
    if not ratings:
        raise Http404(f"{village.display_name}{year}年度还没有公布的评定")
    return _plaques_response(request, ratings, f"{village.display_name}{year}年度三类户门牌.pdf")


urlpatterns: list[URLPattern] = [
    path("households/", household_list, name="household_list"),
    path("households/open/<uuid:public_id>/", household_open, name="household_open"),
    path("households/<uuid:public_id>/", household_detail, name="household_detail"),
    path(
        "households/<uuid:public_id>/statement.xlsx",
        household_statement_xlsx,
        name="household_statement_xlsx",
    ),
    path("ratings/", rating_list, name="rating_list"),
    path("ratings/plaque/<uuid:public_id>.pdf", plaque_pdf, name="plaque_pdf"),
    path("ratings/<str:code>/<int:year>/plaques.pdf", plaques_pdf, name="plaques_pdf"),
]
