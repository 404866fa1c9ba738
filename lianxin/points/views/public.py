"""Residents' pages of points (namespace ``points_public``, no staff account; docs/points-residents.md).

- the village's notice board (积分公示栏): proposals on notice, each with an objection form,
  and what was booked in the last 30 days; its printable QR code (PNG)
- the village's ranking board (积分榜): masked names only
- behind the residents' phone login (one-time code; `resident:login` of cases, /r/login/),
  the households of that phone: balance, this year's score, statement, contributions,
  proposals on their way

Public pages show subjects by `Account.public_label` (masked names, no door numbers) and mask
runs of 7+ digits in free text; the phone pages show only the households of the residents
behind the phone in the session (cases.services.residents).
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from lianxin.cases.services import residents
from lianxin.cases.services.intake import source_digest
from lianxin.core.errors import DomainError
from lianxin.core.forms import add_domain_error
from lianxin.core.qr import qr_png
from lianxin.points import public as sel
from lianxin.points.models import Proposal
from lianxin.points.services import proposals
from lianxin.territory.models import Unit

# --- forms -----------------------------------------------------------------------------------


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label="异议内容",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
        error_messages={"required": "请写明异议的理由"},
        help_text="写明您认为不实的地方，工作人员会核实处理",
    )
    phone = forms.CharField(
        label="联系电话（可不填）",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text="便于工作人员回复您，不会公开",
    )


# --- helpers ---------------------------------------------------------------------------------


def _client_ip(request: HttpRequest) -> str:
    # Behind a proxy the server puts the client in REMOTE_ADDR (docs/deploy.md).
    return str(request.META.get("REMOTE_ADDR", ""))


def _village(code: str) -> Unit:
    village = sel.village_by_code(code)
    if village is None:
        raise Http404("没有找到该村/社区")
    return village


def _private(response: HttpResponse) -> HttpResponse:
    """Phone pages: never cached by a shared cache, never indexed."""
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def _optional_url(name: str, village: Unit | None) -> str | None:
    """A link to another helper's page (store, micro-tasks) if it exists: without arguments,
    else by the village's code."""
    attempts: list[list[str]] = [[]] + ([[village.code]] if village is not None else [])
    for args in attempts:
        try:
            return reverse(name, args=args)
        except NoReverseMatch:
            continue
    return None


def _login_redirect(request: HttpRequest) -> HttpResponseRedirect:
    """To the residents' phone login of cases, coming back here once signed in."""
    query = urlencode({"next": request.get_full_path()})
    return redirect(f"{reverse('resident:login')}?{query}")


# --- the notice board ------------------------------------------------------------------------


def _board_page(
    request: HttpRequest,
    village: Unit,
    *,
    failed: Proposal | None = None,
    failed_form: ObjectionForm | None = None,
) -> HttpResponse:
    items = sel.notice_proposals(village)
    shown = False
    for item in items:
        # The form that failed keeps what was typed and its errors; the others are empty.
        same = failed is not None and item.pk == failed.pk
        item.form = failed_form if same else ObjectionForm(auto_id=f"o-{item.public_id}-%s")  # type: ignore[attr-defined]
        item.form_open = same  # type: ignore[attr-defined]
        shown = shown or (same and item.notice_open)  # type: ignore[attr-defined]
    # A refusal whose form is no longer on the page (notice over, booked meanwhile) goes on top.
    refusals = (
        [e for errors in failed_form.errors.values() for e in errors]
        if failed_form is not None and not shown
        else []
    )
    return render(
        request,
        "points/public/board.html",
        {
            "village": village,
            "items": items,
            "booked": sel.recently_booked(village),
            "recent_days": sel.RECENT_DAYS,
            "refusals": refusals,
        },
    )


@require_GET
def board(request: HttpRequest, code: str) -> HttpResponse:
    """积分公示栏: what is on notice in the village, with an objection form for each."""
    return _board_page(request, _village(code))


@require_POST
def object_file(request: HttpRequest, public_id: uuid.UUID) -> HttpResponse:
    """A resident objects to a proposal on notice (rate-limited per client address)."""
    proposal = sel.objectable_proposal(public_id)
    village = proposal.account.village if proposal is not None else None
    if proposal is None or village is None or not village.is_active:
        raise Http404("没有找到该公示事项")
    form = ObjectionForm(request.POST, auto_id=f"o-{proposal.public_id}-%s")
    if form.is_valid():
        try:
            proposals.objection_file(
                proposal=proposal,
                text=form.cleaned_data["text"],
                phone=form.cleaned_data["phone"],
                source_digest=source_digest(_client_ip(request) or "-"),
            )
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(
                request,
                "已收到您的异议。工作人员核实处理前，该事项暂不入账。",
            )
            anchor = f"#p-{proposal.public_id}"
            return redirect(reverse("points_public:board", args=[village.code]) + anchor)
    return _board_page(request, village, failed=proposal, failed_form=form)


@require_GET
def board_qr(request: HttpRequest, code: str) -> HttpResponse:
    """The board's QR code as a PNG, large enough to print and post (张贴)."""
    village = _village(code)
    url = request.build_absolute_uri(reverse("points_public:board", args=[village.code]))
    response = HttpResponse(qr_png(url, box_size=12, border=4), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="points-board-{village.code}.png"'
    response["Cache-Control"] = "public, max-age=3600"
    return response


@require_GET
def ranking(request: HttpRequest, code: str) -> HttpResponse:
    """积分榜: the village's top households, party members, buildings and grids (masked)."""
    village = _village(code)
    return render(
        request,
        "points/public/ranking.html",
        {"village": village, "boards": sel.ranking_boards(village)},
    )


# --- behind the login ------------------------------------------------------------------------


def _session_residents(request: HttpRequest) -> list[Any] | None:
    """The residents behind the session's phone; None when not signed in (or nobody lives
    behind the phone any more, which closes the session)."""
    if not residents.session_phone_digest(request):
        return None
    found = residents.session_residents(request)
    if not found:
        residents.session_close(request)
        return None
    return found


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """我的积分: every household behind the phone, with its statement and contributions."""
    people = _session_residents(request)
    if people is None:
        return _private(_login_redirect(request))
    cards = sel.household_cards(people)
    for card in cards:
        card.store_url = _optional_url("points_public:store", card.village)  # type: ignore[attr-defined]
        card.tasks_url = _optional_url("points_public:tasks", card.village)  # type: ignore[attr-defined]
        card.board_url = (  # type: ignore[attr-defined]
            reverse("points_public:board", args=[card.village.code]) if card.village else None
        )
    return _private(
        render(
            request,
            "points/public/home.html",
            {
                "cards": cards,
                "phone_masked": residents.session_phone_masked(request),
                "year": sel.today().year,
            },
        )
    )


@require_GET
def statement(request: HttpRequest, account_id: uuid.UUID) -> HttpResponse:
    """The full statement (积分明细) of one household of the phone, page by page."""
    people = _session_residents(request)
    if people is None:
        return _private(_login_redirect(request))
    account = sel.household_account(people, account_id)
    if account is None:
        raise Http404("没有找到该户的积分")
    page = sel.statement_page(account, request.GET.get("page"))
    return _private(
        render(
            request,
            "points/public/statement.html",
            {"account": account, "page": page, "querystring_without_page": ""},
        )
    )


urlpatterns: list[URLPattern] = [
    path("v/<str:code>/", board, name="board"),
    path("v/<str:code>/qr.png", board_qr, name="board_qr"),
    path("v/<str:code>/ranking/", ranking, name="ranking"),
    path("object/<uuid:public_id>/", object_file, name="object"),
    path("me/", home, name="home"),
    path("me/<uuid:account_id>/", statement, name="statement"),
]
