"""Staff pages for the QR codes (码上办): the villages in scope, a village's places, and the
printable A4 sheet of codes. Needs `cases.view` at the village; elsewhere 404."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils.http import content_disposition_header

from lianxin.cases import workflow as wf
from lianxin.cases.qrsheet import render_qr_sheet, sheet_places
from lianxin.core.http import ActorRequest
from lianxin.core.pdf import PdfFontMissing
from lianxin.territory.models import Unit

PER_PAGE = 50


def _village(request: ActorRequest, public_id: Any) -> Unit:
    return cast(
        Unit,
        Unit.objects.filter(kind="village", is_active=True).get_visible(
            request.actor, wf.VIEW, public_id=public_id
        ),
    )


@login_required
def qr_index(request: ActorRequest) -> HttpResponse:
    """The villages/communities whose codes the actor may print."""
    villages = (
        Unit.objects.visible_to(request.actor, wf.VIEW)
        .filter(kind="village", is_active=True)
        .select_related("parent")
        .order_by("path")
    )
    page = Paginator(villages, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cases/qr/index.html", {"page": page, "querystring_without_page": ""})


@login_required
def qr_page(request: ActorRequest, public_id: Any) -> HttpResponse:
    village = _village(request, public_id)
    return render(
        request,
        "cases/qr/village.html",
        {"village": village, "places": sheet_places(village)},
    )


@login_required
def qr_sheet(request: ActorRequest, public_id: Any) -> HttpResponse:
    village = _village(request, public_id)
    try:
        data = render_qr_sheet(village, sheet_places(village))
    except PdfFontMissing as exc:
        return render(request, "cases/qr/pdf_unavailable.html", {"message": str(exc)}, status=503)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = cast(
        str, content_disposition_header(False, f"码上办二维码-{village.display_name}.pdf")
    )
    return response


urlpatterns: list[URLPattern] = [
    path("qr/", qr_index, name="qr_index"),
    path("qr/<uuid:public_id>/", qr_page, name="qr_page"),
    path("qr/<uuid:public_id>/sheet.pdf", qr_sheet, name="qr_sheet"),
]
