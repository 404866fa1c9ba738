"""Staff pages of earning points by proposal (积分申报) and the monthly tally (积分月度汇总).

- `proposal_create`: the phone form of grid workers, building leaders, micro-assistants and
  secretaries. Searching for a subject and picking one re-post the form and redraw it with
  everything typed kept (no JavaScript needed; htmx only swaps the form in place), so the
  contributor, visit and activity choices follow the chosen subject.
- `proposal_list`, `review_queue`, `proposal_detail`: reads through `points.selectors`, which
  scope every row (outside the scope: 404).
- `proposal_act`: approve, reject, withdraw, reverse, resolve an objection. Each POST carries
  the version the page showed; a stale one (someone acted first) redraws the fresh state with
  a message (409), a refusal of the service redraws with its reason (403).
- `tally`, `tally_xlsx`: `points.tally.month_tally` for one village and month.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lianxin.accounts.actor import Actor
from lianxin.audit.models import AuditEvent
from lianxin.audit.services import audit_record
from lianxin.core import clock
from lianxin.core.errors import Conflict, DomainError, PermissionDenied
from lianxin.core.forms import add_domain_error
from lianxin.core.http import ActorRequest, safe_next, url_or_empty
from lianxin.core.paging import page_of, querystring_without_page, require_any
from lianxin.points import forms as f
from lianxin.points import selectors, tally
from lianxin.points import workflow as wf
from lianxin.points.models import (
    CapPeriod,
    Evidence,
    Indicator,
    Objection,
    Proposal,
    Scheme,
    SubjectKind,
)
from lianxin.points.services import proposals as svc

CONFLICT_MESSAGE = "该申报刚刚已被他人处理，下面显示的是最新状态，请确认后再操作"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_VILLAGE_OPTIONS = 500
EVIDENCE_SHORT = {
    Evidence.NONE: "无需佐证",
    Evidence.TEXT: "需文字说明",
    Evidence.PHOTO: "需照片",
    Evidence.LINK: "需关联事项",
    Evidence.PHOTO_OR_LINK: "需照片或关联事项",
}
SEARCH_HINTS: dict[str, str] = {
    SubjectKind.HOUSEHOLD: "输入门牌、户主姓名或楼栋，如 3号楼 或 张建国",
    SubjectKind.PARTY_MEMBER: "输入党员姓名",
    SubjectKind.BUILDING: "输入楼栋/楼院名称",
    SubjectKind.GRID: "输入网格名称",
    SubjectKind.MERCHANT: "输入商户名称",
}
ACTION_DONE = {
    "approve": "已审核通过，进入公示",
    "reject": "已不予通过",
    "withdraw": "已撤回",
    "reverse": "已冲正",
    "resolve": "异议已处理",
}


def _today() -> dt.date:
    return timezone.localdate(clock.now())


def _is_own(actor: Actor, proposal: Proposal) -> bool:
    return proposal.proposed_by_id is not None and proposal.proposed_by_id == actor.user_id


# --- the proposal form -----------------------------------------------------------------------------


def _cap_text(ind: Indicator) -> str:
    if not ind.cap_points or not ind.cap_period:
        return "不设上限"
    return f"{CapPeriod(ind.cap_period).label}最多 {ind.cap_points} 分"


def _indicator_groups(
    groups: list[selectors.IndicatorGroup], used: dict[str, int], selected: str
) -> list[dict[str, Any]]:
    """What the radio list shows per aspect: value, cap (and how much of it is used), evidence."""
    out = []
    for i, g in enumerate(groups):
        items = []
        for ind in g.indicators:
            value = str(ind.public_id)
            left = ind.cap_points - used.get(ind.code, 0) if ind.cap_points else None
            items.append(
                {
                    "value": value,
                    "name": ind.name,
                    "points": ind.points,
                    "cap": _cap_text(ind),
                    "used": used.get(ind.code, 0),
                    "full": left is not None and left < abs(ind.points),
                    "evidence": EVIDENCE_SHORT.get(Evidence(ind.evidence), ""),
                    "checked": value == selected,
                }
            )
        open_ = any(x["checked"] for x in items) or (not selected and i == 0)
        out.append({"aspect": g.aspect.name, "items": items, "open": open_})
    return out


def _posted_date(value: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return default


def _default_scheme(actor: Actor) -> str:
    """The household scheme for most people; the first active scheme otherwise."""
    available = selectors.proposal_schemes()
    for s in available:
        if s.subject_kind == SubjectKind.HOUSEHOLD:
            return s.code
    return available[0].code if available else ""


def _form_data(request: ActorRequest) -> QueryDict | None:
    if request.method != "POST":
        return None
    data = request.POST.copy()
    if request.POST.get("pick"):
        # A search result was tapped: it becomes the subject.
        data["subject"] = request.POST["pick"]
    return data


@dataclass
class _Options:
    """What the form offers for the chosen subject (choices and the objects behind them)."""

    indicators: dict[str, Indicator]
    residents: list[Any]
    visits: list[Any]
    activities: list[Any]

    def form_kwargs(self) -> dict[str, Any]:
        return {
            "indicators": [(k, i.name) for k, i in self.indicators.items()],
            "residents": [
                (str(r.public_id), f"{r.name}（{r.relation or '家庭成员'}）")
                for r in self.residents
            ],
            "visits": [
                (
                    str(v.public_id),
                    f"{v.visited_on:%m-%d} 走访 {v.entry.resident.name}：{v.found[:24]}",
                )
                for v in self.visits
            ],
            "activities": [
                (
                    str(a.public_id),
                    f"{a.occurred_on:%m-%d} {a.member.name} {a.get_duty_display()}："
                    f"{a.summary[:24]}",
                )
                for a in self.activities
            ],
        }

    def pick(self, name: str, value: str) -> Any:
        rows = {"resident": self.residents, "visit": self.visits, "activity": self.activities}
        return next((r for r in rows[name] if str(r.public_id) == value), None) if value else None


@login_required
@require_http_methods(["GET", "POST"])
def proposal_create(request: ActorRequest) -> HttpResponse:
    """Propose points for a subject, with evidence (phone first)."""
    actor = require_any(request, wf.PROPOSE)
    today = _today()
    data = _form_data(request)
    # submit (the big button), search (find subjects), pick (a result tapped)
    op = "" if data is None else ("pick" if request.POST.get("pick") else data.get("op", "submit"))
    source = data if data is not None else request.GET
    prefill_error = ""
    subject: selectors.Subject | None = None
    scheme_code = source.get("scheme", "")
    if data is None and request.GET.get("account"):
        account = selectors.account_for_form(actor, request.GET["account"])
        if account is None:
            prefill_error = "该积分对象不存在或不在您的申报范围内，请重新查找"
        else:
            scheme_code = account.scheme.code
            subject = selectors.subject_of_account(account)
    scheme = selectors.scheme_by_code(scheme_code) or selectors.scheme_by_code(
        _default_scheme(actor)
    )
    if scheme is None:
        return render(request, "points/proposals/no_scheme.html", status=503)
    token = subject.token if subject else source.get("subject", "")
    if subject is None and token:
        subject = selectors.subject_get(actor, scheme, token)
        if subject is None:
            token = ""
            if op != "submit":  # a submission says it under the field instead
                prefill_error = "该积分对象不存在或不在您的申报范围内，请重新查找"
    occurred_on = min(_posted_date(source.get("occurred_on", ""), today), today)
    # The catalog that applies where the subject hangs (or where the proposer works).
    at = subject.path if subject else actor.posts_with(wf.PROPOSE)[0].unit_path
    groups = selectors.indicator_groups(scheme, at, occurred_on.year)
    options = _Options(
        indicators={str(i.public_id): i for g in groups for i in g.indicators},
        residents=selectors.subject_residents(subject) if subject else [],
        visits=selectors.evidence_visits(actor, subject, today) if subject else [],
        activities=selectors.evidence_activities(actor, subject, today) if subject else [],
    )
    account = selectors.subject_account(scheme, subject) if subject else None
    used = selectors.cap_usage(account, options.indicators.values(), occurred_on) if account else {}
    if op in ("", "search", "pick"):
        # Not a submission: draw what was typed as initial values, without errors.
        initial: dict[str, Any] = {"occurred_on": occurred_on, "scheme": scheme.code}
        if data is not None:
            initial.update({k: v for k, v in data.items() if k not in ("pick", "op")})
        initial["subject"] = token
        form = f.ProposalForm(initial=initial, **options.form_kwargs())
    else:
        form = f.ProposalForm(data, request.FILES, **options.form_kwargs())
        if form.is_valid():
            proposal = _submit(actor, form, scheme, subject, options)
            if proposal is not None:
                messages.success(request, "已提交积分申报，等待审核")
                url = reverse("points:proposal_detail", args=[proposal.public_id])
                return redirect(url + "?created=1")
    q = source.get("subject_q", "").strip()
    searching = op == "search" or (subject is None and (bool(q) or op != "submit"))
    if searching and (q or scheme.subject_kind != SubjectKind.HOUSEHOLD):
        # Households need a query (thousands per village); other subjects are few.
        results = selectors.subject_search(actor, scheme, q)
    else:
        results = []
    return render(
        request,
        "points/proposals/create.html",
        {
            "form": form,
            "scheme": scheme,
            "schemes": selectors.proposal_schemes(),
            "subject": subject,
            "results": results,
            "searched": searching and bool(q or op == "search"),
            "searching": searching,
            "search_hint": SEARCH_HINTS.get(scheme.subject_kind, "输入名称"),
            "groups": _indicator_groups(groups, used, str(form["indicator"].value() or "")),
            "lost_photos": len(request.FILES.getlist("photos")) if data is not None else 0,
            "prefill_error": prefill_error,
            "today": today,
        },
    )


def _submit(
    actor: Actor,
    form: f.ProposalForm,
    scheme: Scheme,
    subject: selectors.Subject | None,
    options: _Options,
) -> Proposal | None:
    """Create the proposal from a valid form; None (with errors on the form) when refused."""
    d = form.cleaned_data
    if subject is None:
        form.add_error("subject", "积分对象不存在或不在您的申报范围内，请重新查找")
        return None
    case = None
    if d["case_no"]:
        case = selectors.case_in_scope(actor, d["case_no"])
        if case is None:
            form.add_error("case_no", "找不到该受理编号的诉求，或不在您的范围内")
            return None
    try:
        return svc.proposal_submit(
            actor=actor,
            scheme=scheme,
            household=subject.household,
            member=subject.member,
            unit=subject.unit,
            account=subject.account,
            indicator=options.indicators[d["indicator"]],
            occurred_on=d["occurred_on"],
            description=d["description"],
            resident=options.pick("resident", d["resident"]),
            case=case,
            visit=options.pick("visit", d["visit"]),
            activity=options.pick("activity", d["activity"]),
            link_note=d["link_note"],
            photos=d["photos"],
        )
    except DomainError as exc:
        field = f.SERVICE_FIELDS.get(exc.field or "", exc.field)
        add_domain_error(form, DomainError(exc.message, field=field))
        return None


# --- lists -------------------------------------------------------------------------------------------


@login_required
@require_GET
def proposal_list(request: ActorRequest) -> HttpResponse:
    """Proposals in scope with filters (status, scheme, unit, month, proposer)."""
    actor = require_any(request, wf.VIEW)
    filters = selectors.ProposalFilters.from_query(request.GET)
    return render(
        request,
        "points/proposals/list.html",
        {
            "page": page_of(request, selectors.proposal_list(actor, filters)),
            "filters": filters,
            "statuses": Proposal.Status.choices,
            "schemes": selectors.proposal_schemes(),
            "units": selectors.filter_units(actor),
            "querystring_without_page": querystring_without_page(request),
            "can_propose": actor.can(wf.PROPOSE),
            "can_review": actor.can(wf.APPROVE),
        },
    )


def _queue_context(
    request: ActorRequest,
    actor: Actor,
    *,
    bound: tuple[str, str, f.VersionForm] | None = None,
    conflict: str = "",
    refusal: str = "",
) -> dict[str, Any]:
    """The review queue; `bound` = (proposal or objection public_id, action, form) redrawn
    with the user's input and its errors."""
    page = page_of(request, selectors.review_pending(actor))
    here = reverse("points:review_queue")
    rows = []
    for p in page:
        key = str(p.public_id)
        reject = f.RejectForm(initial={"version": p.version, "next": here})
        approve = f.ApproveForm(initial={"version": p.version, "next": here})
        if bound and bound[0] == key:
            if bound[1] == "reject":
                reject = cast(f.RejectForm, bound[2])
            elif bound[1] == "approve":
                approve = cast(f.ApproveForm, bound[2])
        rows.append(
            {
                "p": p,
                "own": _is_own(actor, p),
                "approve": approve,
                "reject": reject,
                "reject_open": bool(bound and bound[0] == key and bound[1] == "reject"),
                "photos": len(p.photos.all()),
            }
        )
    objections = []
    for o in selectors.review_objections(actor)[:100]:
        key = str(o.public_id)
        form = f.ResolveForm(
            initial={"version": o.proposal.version, "next": here, "objection": o.public_id}
        )
        if bound and bound[0] == key:
            form = cast(f.ResolveForm, bound[2])
        objections.append({"o": o, "own": _is_own(actor, o.proposal), "form": form})
    return {
        "page": page,
        "rows": rows,
        "objections": objections,
        "querystring_without_page": querystring_without_page(request),
        "conflict": conflict,
        "refusal": refusal,
        "now": clock.now(),
    }


@login_required
@require_GET
def review_queue(request: ActorRequest) -> HttpResponse:
    """Pending proposals and open objections where the actor approves (points.approve)."""
    actor = require_any(request, wf.APPROVE)
    return render(request, "points/proposals/queue.html", _queue_context(request, actor))


# --- one proposal ------------------------------------------------------------------------------------


def _photo_urls(proposal: Proposal) -> list[str]:
    return [
        reverse("points:proposal_photo", args=[proposal.public_id, n])
        for n in range(1, len(selectors.proposal_photos(proposal)) + 1)
    ]


def _subject_url(proposal: Proposal) -> str:
    """The subject's points page (statement or points card), where one exists."""
    account = proposal.account
    if account.household_id:
        return url_or_empty("points:household_detail", public_id=account.public_id)
    if account.member is not None:
        return url_or_empty("points:member_detail", public_id=account.member.public_id)
    return ""


def _detail_context(
    request: ActorRequest,
    proposal: Proposal,
    *,
    bound: tuple[str, str, f.VersionForm] | None = None,
    conflict: str = "",
    refusal: str = "",
) -> dict[str, Any]:
    actor: Actor = request.actor
    path_ = proposal.account.unit.path
    own = _is_own(actor, proposal)
    can_approve = actor.can(wf.APPROVE, path_)
    status = proposal.status
    here = reverse("points:proposal_detail", args=[proposal.public_id])
    initial = {"version": proposal.version, "next": here}

    def form_for(action: str, key: str = "", **extra: Any) -> f.VersionForm:
        if bound and bound[1] == action and (not key or bound[0] == key):
            return bound[2]
        return f.ACTION_FORMS[action](initial={**initial, **extra})

    actions: list[dict[str, Any]] = []
    if status == Proposal.Status.PENDING and can_approve and not own:
        actions.append({"action": "approve", "label": "审核通过", "form": form_for("approve")})
        actions.append({"action": "reject", "label": "不予通过", "form": form_for("reject")})
    if status == Proposal.Status.PENDING and own:
        actions.append({"action": "withdraw", "label": "撤回申报", "form": form_for("withdraw")})
    if status == Proposal.Status.BOOKED and can_approve:
        actions.append({"action": "reverse", "label": "冲正", "form": form_for("reverse")})
    for a in actions:
        a["open"] = bool(bound and bound[1] == a["action"])
        a["url"] = reverse("points:proposal_act", args=[proposal.public_id, a["action"]])
        a["danger"] = a["action"] in ("reject", "reverse", "withdraw")
    objections = []
    for o in selectors.proposal_objections(proposal):
        form = None
        if o.status == Objection.Status.OPEN and can_approve and not own:
            form = form_for("resolve", str(o.public_id), objection=o.public_id)
        objections.append({"o": o, "form": form})
    case_url = (
        url_or_empty("cases:detail", public_id=proposal.case.public_id)
        if proposal.case_id and proposal.case and actor.can("cases.view")
        else ""
    )
    return {
        "proposal": proposal,
        "account": proposal.account,
        "revision": proposal.indicator_revision,
        "events": selectors.proposal_events(proposal),
        "photo_urls": _photo_urls(proposal),
        "objections": objections,
        "actions": actions,
        "own": own,
        "can_approve": can_approve,
        "case_url": case_url,
        "subject_url": _subject_url(proposal),
        "resolve_url": reverse("points:proposal_act", args=[proposal.public_id, "resolve"]),
        "again_url": reverse("points:proposal_create") + f"?account={proposal.account.public_id}"
        if actor.can(wf.PROPOSE, path_)
        else "",
        "conflict": conflict,
        "refusal": refusal,
        "created": request.GET.get("created") == "1",
        "now": clock.now(),
    }


@login_required
@require_GET
def proposal_detail(request: ActorRequest, public_id: Any) -> HttpResponse:
    proposal = selectors.proposal_get(request.actor, public_id)
    return render(request, "points/proposals/detail.html", _detail_context(request, proposal))


def _run(actor: Actor, proposal: Proposal, action: str, d: dict[str, Any]) -> None:
    version = d["version"]
    if action == "approve":
        svc.proposal_approve(
            actor=actor, proposal=proposal, note=d["note"], expected_version=version
        )
    elif action == "reject":
        svc.proposal_reject(
            actor=actor, proposal=proposal, note=d["note"], expected_version=version
        )
    elif action == "withdraw":
        svc.proposal_withdraw(
            actor=actor, proposal=proposal, note=d["note"], expected_version=version
        )
    elif action == "reverse":
        svc.proposal_reverse(
            actor=actor, proposal=proposal, reason=d["reason"], expected_version=version
        )
    else:
        objection = selectors.objection_get(actor, proposal, d["objection"])
        svc.objection_resolve(
            actor=actor,
            objection=objection,
            upheld=d["outcome"] == "uphold",
            resolution=d["resolution"],
            expected_version=version,
        )


@login_required
@require_POST
def proposal_act(request: ActorRequest, public_id: Any, action: str) -> HttpResponse:
    """One action on one proposal, from its page or from the review queue (`from=queue`)."""
    actor: Actor = request.actor
    proposal = selectors.proposal_get(actor, public_id)
    if action not in f.ACTION_FORMS:
        raise Http404("没有这个操作")
    form = f.ACTION_FORMS[action](request.POST)
    in_queue = request.POST.get("from") == "queue" and actor.can(wf.APPROVE)
    key = request.POST.get("objection", "") if action == "resolve" else str(proposal.public_id)

    def page(*, status: int = 200, bound: bool = True, **extra: Any) -> HttpResponse:
        keep = (key, action, form) if bound else None
        if in_queue:
            ctx = _queue_context(request, actor, bound=keep, **extra)
            return render(request, "points/proposals/queue.html", ctx, status=status)
        fresh = selectors.proposal_get(actor, proposal.public_id)
        ctx = _detail_context(request, fresh, bound=keep, **extra)
        return render(request, "points/proposals/detail.html", ctx, status=status)

    posted = request.POST.get("version", "")
    if posted.isdigit() and int(posted) != proposal.version:
        # Someone acted since the page was drawn: show what they did, not our stale form.
        return page(status=409, bound=False, conflict=CONFLICT_MESSAGE)
    if not form.is_valid():
        return page()
    try:
        _run(actor, proposal, action, form.cleaned_data)
    except Conflict as exc:
        return page(status=409, bound=False, conflict=exc.message or CONFLICT_MESSAGE)
    except PermissionDenied as exc:
        return page(status=403, bound=False, refusal=exc.message)
    except DomainError as exc:
        if exc.field and exc.field in form.fields:
            add_domain_error(form, exc)
            return page()
        return page(bound=False, refusal=exc.message)
    messages.success(request, f"{proposal.account.label}：{ACTION_DONE[action]}")
    target = safe_next(request, form.cleaned_data.get("next") or "")
    return redirect(target or reverse("points:proposal_detail", args=[proposal.public_id]))


@login_required
@require_GET
def proposal_photo(request: ActorRequest, public_id: Any, number: int) -> FileResponse:
    """An evidence photo, only for staff who can see the proposal."""
    item = selectors.proposal_photo_get(request.actor, public_id=public_id, number=number)
    content_type = mimetypes.guess_type(item.image.name)[0] or "image/jpeg"
    response = FileResponse(item.image.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- the monthly tally -------------------------------------------------------------------------------


def _default_village(actor: Actor, villages: list[Any]) -> Any:
    """The village of the actor's first reporting post, else the first one offered."""
    for post in actor.posts_with(wf.REPORT):
        for v in villages:
            if post.unit_path.startswith(v.path):
                return v
    return villages[0] if villages else None


@login_required
@require_GET
def tally_page(request: ActorRequest) -> HttpResponse:
    """The month's proposals, approvals, objections and booked points of one village."""
    actor = require_any(request, wf.REPORT)
    form = f.TallyForm(request.GET or {}, today=_today())
    villages = list(selectors.tally_villages(actor)[:MAX_VILLAGE_OPTIONS])
    ctx: dict[str, Any] = {"form": form, "villages": villages}
    village = _default_village(actor, villages)
    if form.is_valid() and form.cleaned_data["village"]:
        village = next((v for v in villages if v.code == form.cleaned_data["village"]), None)
        if village is None:
            form.add_error("village", "村/社区不存在或不在您的管辖范围内")
    if form.is_valid() and village is not None:
        month = form.cleaned_data["month"]
        t = tally.month_tally(unit=village, month=month)
        ctx.update(
            village=village,
            month=month,
            tally=t,
            summary=[
                {
                    "label": label,
                    "head": not key,
                    "cells": [tally.summary_value(s, key) for s in t.schemes],
                    "total": tally.summary_value(t.total, key),
                }
                for label, key in tally.SUMMARY_ROWS
            ],
            list_url=reverse("points:proposal_list") + f"?month={month}&unit={village.public_id}",
            xlsx_url=reverse("points:tally_xlsx", args=[village.code]) + f"?month={month}",
        )
    return render(request, "points/proposals/tally.html", ctx)


@login_required
@require_GET
def tally_xlsx(request: ActorRequest, code: str) -> HttpResponse:
    """The tally as Excel (汇总, 积分明细, 申报清单)."""
    actor = require_any(request, wf.REPORT)
    village = selectors.tally_village_get(actor, code)
    form = f.TallyForm(request.GET, today=_today())
    if not form.is_valid():
        ctx = {"form": form, "villages": [village], "village": village}
        return render(request, "points/proposals/tally.html", ctx, status=400)
    month = form.cleaned_data["month"]
    t = tally.month_tally(unit=village, month=month)
    content = tally.tally_workbook(t, tally.month_proposals(unit=village, month=month))
    audit_record(
        action=AuditEvent.Action.EXPORT,
        object_type="points.tally",
        object_repr=t.title[:200],
        changes={"unit": village.code, "month": month},
        scope_path=village.path,
    )
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = cast(str, content_disposition_header(True, f"{t.title}.xlsx"))
    add_never_cache_headers(response)
    return response


urlpatterns: list[URLPattern] = [
    path("proposals/", proposal_list, name="proposal_list"),
    path("proposals/new/", proposal_create, name="proposal_create"),
    path("proposals/review/", review_queue, name="review_queue"),
    path("proposals/<uuid:public_id>/", proposal_detail, name="proposal_detail"),
    path("proposals/<uuid:public_id>/act/<slug:action>/", proposal_act, name="proposal_act"),
    path("proposals/<uuid:public_id>/photos/<int:number>/", proposal_photo, name="proposal_photo"),
    path("tally/", tally_page, name="tally"),
    path("tally/<str:code>/xlsx/", tally_xlsx, name="tally_xlsx"),
]
