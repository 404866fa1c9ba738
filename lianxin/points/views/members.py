"""Pages of points: party members' points (党员积分; see docs/points-members.md).

- `member_list`: members in scope with their own score, their linked-household score
  (Σ ÷ n, both shown) and the combined score for a month or a year; low scorers flagged.
- `member_detail`: a member's points card — own entries, each linked household's score, the
  formula with the actual numbers, and the reminder talks.
- `low_scores` / `talk_create`: the year's low-score list and the reminder talk (提醒谈话).
- `evaluation_xlsx`: the democratic-evaluation sheet (民主评议) of a branch for a year.

Every figure comes from `lianxin.points.scores` (the one place the formula lives).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q, QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_GET, require_http_methods

from lianxin.accounts.actor import Actor
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core.errors import DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.core.scope import path_q
from lianxin.party.models import HouseholdLink, PartyMember, PartyOrganisation
from lianxin.points import workflow as wf
from lianxin.points.models import Account, PointEntry, PointsSettings, ReminderTalk, SubjectKind
from lianxin.points.scores import (
    LinkedScore,
    MemberScore,
    account_scores,
    member_scores,
)
from lianxin.points.services import talks
from lianxin.points.services.config import points_settings, scheme_for
from lianxin.points.views.households import (
    XLSX,
    Period,
    attachment,
    period_form,
    propose_url,
    revision_text,
    today,
)

# Members are nested at most this deep below a branch (committee → general branch → branch →
# group); the subtree filter follows `parent` that many times.
ORG_DEPTH = 4


# --- selectors ---------------------------------------------------------------------------------


def organisations(actor: Actor, *perms: str) -> QuerySet[PartyOrganisation]:
    """Active organisations where the actor holds one of `perms` (default: points.view)."""
    paths: list[str] = []
    for perm in perms or (wf.VIEW,):
        paths.extend(actor.scope_paths(perm))
    return (
        PartyOrganisation.objects.filter(path_q("unit__path", paths))
        .filter(is_active=True)
        .select_related("unit")
        .order_by("unit__path", "id")
    )


def subtree_q(org: PartyOrganisation) -> Q:
    """Members of `org` or of an organisation below it."""
    q = Q(organisation=org)
    lookup = "organisation"
    for _ in range(ORG_DEPTH - 1):
        lookup += "__parent"
        q |= Q(**{lookup: org})
    return q


def organisation_get(actor: Actor, public_id: Any, *perms: str) -> PartyOrganisation:
    """One organisation where the actor holds one of `perms` (404 otherwise)."""
    org = organisations(actor, *perms).filter(public_id=public_id).first()
    if org is None:
        raise Http404("不存在或无权访问")
    return org


def member_rows(
    actor: Actor, *, organisation: PartyOrganisation | None = None, search: str = ""
) -> QuerySet[PartyMember]:
    """Active members in the actor's points scope, by organisation and name."""
    qs = (
        PartyMember.objects.visible_to(actor, wf.VIEW)
        .filter(is_active=True)
        .select_related("organisation")
        .order_by("organisation__unit__path", "organisation_id", "name", "id")
    )
    if organisation is not None:
        qs = qs.filter(subtree_q(organisation))
    if search.strip():
        qs = qs.filter(name__contains=search.strip())
    return qs


def member_get(actor: Actor, public_id: Any, perm: str = wf.VIEW) -> PartyMember:
    """One member in the actor's scope for `perm` (404 otherwise)."""
    return PartyMember.objects.select_related("organisation__unit").get_visible(
        actor, perm, public_id=public_id
    )


@dataclass(frozen=True)
class LinkedHousehold:
    link: HouseholdLink
    account: Account | None
    score: int


def linked_households(
    member: PartyMember, date_from: dt.date, date_to: dt.date
) -> list[LinkedHousehold]:
    """The member's active linked households with each one's score over the period (0 for a
    household without an account): the terms of Σ in the linked-household score."""
    links = list(
        HouseholdLink.objects.filter(member=member, is_active=True)
        .select_related("household__unit")
        .order_by("household__unit__path", "household__address", "id")
    )
    accounts = {
        a.household_id: a
        for a in Account.objects.filter(
            scheme=scheme_for(SubjectKind.HOUSEHOLD),
            household_id__in=[link.household_id for link in links],
        )
    }
    scores = account_scores([a.pk for a in accounts.values()], date_from, date_to)
    rows = []
    for link in links:
        account = accounts.get(link.household_id)
        rows.append(LinkedHousehold(link, account, scores.get(account.pk, 0) if account else 0))
    return rows


def own_account(member: PartyMember) -> Account | None:
    return Account.objects.filter(
        scheme=scheme_for(SubjectKind.PARTY_MEMBER), member=member
    ).first()


def talks_in_year(member_ids: list[int], year: int) -> dict[int, list[ReminderTalk]]:
    """The reminder talks about `year` of each member: one query."""
    found: dict[int, list[ReminderTalk]] = {m: [] for m in member_ids}
    for talk in ReminderTalk.objects.filter(member_id__in=member_ids, year=year).order_by(
        "talked_on", "id"
    ):
        found[talk.member_id].append(talk)
    return found


# --- formula text ------------------------------------------------------------------------------


def num(value: Decimal | int | None) -> str:
    """A score as printed: points as integers, computed scores (Decimal) to the cent."""
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def weight(value: Decimal) -> str:
    """A weight as printed: 0.5, 0.35, 1."""
    return f"{Decimal(value).normalize():f}"


def linked_formula(linked: LinkedScore, terms: list[int] | None = None) -> str:
    """Σ ÷ n with the actual numbers, e.g. (12 + 0 + 8) ÷ 3 = 20 ÷ 3 = 6.67."""
    if not linked.households:
        return "未联系住户，无联户积分"
    head = ""
    if terms is not None and 1 < len(terms) <= 30:
        head = "(" + " + ".join(str(t) for t in terms) + ") ÷ " + str(linked.households) + " = "
    return f"{head}{linked.total} ÷ {linked.households} = {num(linked.value)}"


def combined_formula(score: MemberScore, cfg: PointsSettings) -> str:
    linked = num(score.linked.value) if score.linked.value is not None else "0"
    return (
        f"{score.own} × {weight(cfg.member_own_weight)} + {linked} × "
        f"{weight(cfg.member_linked_weight)} = {num(score.combined)}"
    )


def weight_text(cfg: PointsSettings) -> str:
    return (
        f"综合积分 = 本人积分 × {weight(cfg.member_own_weight)}"
        f" + 联户积分 × {weight(cfg.member_linked_weight)}"
    )


# --- members -----------------------------------------------------------------------------------


class MemberFilterForm(forms.Form):
    q = forms.CharField(label="姓名", required=False, max_length=50)
    org = forms.CharField(label="党组织", required=False, max_length=40)


@login_required
@require_GET
def member_list(request: ActorRequest) -> HttpResponse:
    actor = require_any(request, wf.VIEW)
    period_f, period = period_form(request)
    form = MemberFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    orgs = list(organisations(actor))
    org = next((o for o in orgs if str(o.public_id) == data.get("org")), None)
    page = page_of(request, member_rows(actor, organisation=org, search=data.get("q", "")))
    date_from, date_to = period.bounds
    scores = member_scores(page.object_list, date_from, date_to)
    cfg = points_settings()
    rows = [
        {
            "member": m,
            "score": scores[m.pk],
            "low": period.is_year and scores[m.pk].own < cfg.low_score_threshold,
        }
        for m in page.object_list
    ]
    can_evaluate = org is not None and any(
        actor.can(p, org.unit.path) for p in (wf.TALK, wf.REPORT)
    )
    return render(
        request,
        "points/members/list.html",
        {
            "form": form,
            "period_form": period_f,
            "period": period,
            "orgs": orgs,
            "org": org,
            "page": page,
            "rows": rows,
            "cfg": cfg,
            "weights": weight_text(cfg),
            "can_evaluate": can_evaluate,
            "querystring_without_page": querystring_without_page(request),
        },
    )


@login_required
@require_GET
def member_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.VIEW)
    member = member_get(actor, public_id)
    period_f, period = period_form(request)
    date_from, date_to = period.bounds
    account = own_account(member)
    entries = page_of(
        request,
        PointEntry.objects.filter(account=account, occurred_on__range=(date_from, date_to))
        .select_related("indicator_revision", "reversed_by", "reverses")
        .order_by("-occurred_on", "-seq")
        if account is not None
        else PointEntry.objects.none(),
    )
    for entry in entries:
        entry.revision_label = revision_text(entry)  # type: ignore[attr-defined]
    score = member_scores([member], date_from, date_to)[member.pk]
    households = linked_households(member, date_from, date_to)
    cfg = points_settings()
    paths = actor.scope_paths(wf.VIEW)
    return render(
        request,
        "points/members/detail.html",
        {
            "member": member,
            "account": account,
            "period_form": period_f,
            "period": period,
            "entries": entries,
            "score": score,
            "households": [
                {
                    "row": h,
                    # Linked households outside the actor's scope are named, not linked.
                    "url": reverse("points:household_detail", args=[h.account.public_id])
                    + "?"
                    + period.query
                    if h.account is not None
                    and any(h.link.household.unit.path.startswith(p) for p in paths)
                    else "",
                }
                for h in households
            ],
            "linked_formula": linked_formula(score.linked, [h.score for h in households]),
            "combined_formula": combined_formula(score, cfg),
            "weights": weight_text(cfg),
            "cfg": cfg,
            "low": period.is_year and score.own < cfg.low_score_threshold,
            "talks": list(talks.talks_of(member)),
            "can_talk": actor.can(wf.TALK, member.organisation.unit.path),
            "propose_url": propose_url(actor, account) if account is not None else "",
            "querystring_without_page": querystring_without_page(request),
        },
    )


# --- low scores and reminder talks -------------------------------------------------------------


@login_required
@require_GET
def low_scores(request: ActorRequest) -> HttpResponse:
    actor = require_any(request, wf.VIEW)
    period_f, period = period_form(request, year_only=True)
    search = request.GET.get("q", "")[:50]
    page = page_of(request, talks.low_scorers(actor, year=period.year, search=search))
    cfg = points_settings()
    talk_paths = actor.scope_paths(wf.TALK)
    rows = [
        {
            "member": m,
            "can_talk": any(m.organisation.unit.path.startswith(p) for p in talk_paths),
        }
        for m in page.object_list
    ]
    return render(
        request,
        "points/members/low_scores.html",
        {
            "period_form": period_f,
            "period": period,
            "search": search,
            "page": page,
            "rows": rows,
            "threshold": cfg.low_score_threshold,
            "querystring_without_page": querystring_without_page(request),
        },
    )


class TalkForm(forms.Form):
    year = forms.TypedChoiceField(label="积分年度", coerce=int)
    talked_on = forms.DateField(
        label="谈话日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    summary = forms.CharField(
        label="谈话内容",
        max_length=talks.SUMMARY_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="谈话情况、党员表态与改进措施",
    )

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        year = self.fields["year"]
        assert isinstance(year, forms.TypedChoiceField)
        year.choices = [(y, f"{y}年度") for y in (today.year, today.year - 1)]
        self.fields["talked_on"].widget.attrs["max"] = today.isoformat()


@login_required
@require_http_methods(["GET", "POST"])
def talk_create(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.TALK)
    member = member_get(actor, public_id, wf.TALK)
    now = today()
    if request.method == "POST":
        form = TalkForm(request.POST, today=now)
        if form.is_valid():
            data = form.cleaned_data
            try:
                talks.talk_record(
                    actor=actor,
                    member=member,
                    talked_on=data["talked_on"],
                    summary=data["summary"],
                    year=data["year"],
                )
            except DomainError as exc:
                add_domain_error(form, exc)
            else:
                messages.success(request, f"已登记与{member.name}的提醒谈话")
                return redirect(
                    reverse("points:member_detail", args=[member.public_id])
                    + f"?year={data['year']}#talks"
                )
    else:
        year = request.GET.get("year", "")
        initial = {"talked_on": now, "year": int(year) if year.isdigit() else now.year}
        form = TalkForm(initial=initial, today=now)
    score = talks.member_year_score(member, int(form["year"].value() or now.year))
    return render(
        request,
        "points/members/talk_form.html",
        {
            "member": member,
            "form": form,
            "score": score,
            "threshold": points_settings().low_score_threshold,
        },
    )


# --- democratic evaluation (民主评议) ----------------------------------------------------------


def _ranks(values: list[Decimal]) -> list[int]:
    """Competition ranking, highest first: equal values share a rank (1, 2, 2, 4)."""
    ordered = sorted(values, reverse=True)
    first: dict[Decimal, int] = {}
    for i, v in enumerate(ordered):
        first.setdefault(v, i + 1)
    return [first[v] for v in values]


def evaluation_rows(org: PartyOrganisation, year: int) -> list[dict[str, Any]]:
    """One row per active member of `org` (and the organisations below it) for `year`,
    best combined score first, with the rank and the year's talks."""
    members = list(
        PartyMember.objects.filter(subtree_q(org), is_active=True)
        .select_related("organisation")
        .order_by("name", "id")
    )
    scores = member_scores(members, *Period(year, 0).bounds)
    held = talks_in_year([m.pk for m in members], year)
    ranks = _ranks([scores[m.pk].combined for m in members])
    rows = [
        {"member": m, "score": scores[m.pk], "rank": r, "talks": held[m.pk]}
        for m, r in zip(members, ranks, strict=True)
    ]
    rows.sort(key=lambda row: (row["rank"], row["member"].name))
    return rows


def evaluation_workbook(org: PartyOrganisation, year: int, cfg: PointsSettings) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    rows = evaluation_rows(org, year)
    wb = Workbook()
    ws = wb.active
    ws.title = "民主评议"
    ws.append([f"{org.name}{year}年度党员民主评议积分表"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(
        [
            f"联户积分 = 所联系户积分之和 ÷ 联系户数；{weight_text(cfg)}；"
            f"本人年度积分低于 {cfg.low_score_threshold} 分须进行提醒谈话"
        ]
    )
    ws.append([])
    head = [
        "排名",
        "党员",
        "所在党组织",
        "本人积分",
        "联系户数 n",
        "联户积分合计 Σ",
        "联户积分 Σ/n",
        "综合积分",
        "提醒谈话",
        "备注",
    ]
    ws.append(head)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
    for row in rows:
        s: MemberScore = row["score"]
        linked = s.linked.value
        ws.append(
            [
                row["rank"],
                row["member"].name,
                row["member"].organisation.name,
                s.own,
                s.linked.households,
                s.linked.total,
                float(linked) if linked is not None else "无联系户",
                float(s.combined),
                "；".join(f"{t.talked_on:%Y-%m-%d}" for t in row["talks"]) or "",
                "低于分数线" if s.own < cfg.low_score_threshold else "",
            ]
        )
        ws.cell(ws.max_row, 7).number_format = "0.00"
        ws.cell(ws.max_row, 8).number_format = "0.00"
    for col, width in zip("ABCDEFGHIJ", (6, 10, 24, 10, 10, 14, 12, 10, 22, 12), strict=True):
        ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@login_required
@require_GET
def evaluation_xlsx(request: ActorRequest, public_id: Any) -> HttpResponse:
    actor = require_any(request, wf.TALK, wf.REPORT)
    org = organisation_get(actor, public_id, wf.TALK, wf.REPORT)
    _, period = period_form(request, year_only=True)
    content = evaluation_workbook(org, period.year, points_settings())
    # Members' evaluation figures leave the system: the trail says who took them.
    audit_record(
        action=AuditEvent.Action.EXPORT,
        obj=org,
        object_repr=f"民主评议积分表：{org.name} {period.year}年度",
    )
    return attachment(content, XLSX, f"{org.name}{period.year}年度民主评议积分表.xlsx")


urlpatterns: list[URLPattern] = [
    path("members/", member_list, name="member_list"),
    path("members/low/", low_scores, name="low_scores"),
    path("members/<uuid:public_id>/", member_detail, name="member_detail"),
    path("members/<uuid:public_id>/talk/", talk_create, name="talk_create"),
    path("members/evaluation/<uuid:public_id>.xlsx", evaluation_xlsx, name="evaluation_xlsx"),
]
