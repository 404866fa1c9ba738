"""Open311 GeoReport v2 endpoints (namespace ``open311``; docs/open311.md).

Every resource ends in its format (``.xml`` or ``.json``); any other suffix gets the spec's
404 error rather than Django's page, so the format is captured loosely and checked in the view.
"""

from django.urls import URLPattern, re_path

from lianxin.cases.open311 import views

app_name = "open311"

FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"

urlpatterns: list[URLPattern] = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.services, name="services"),
    re_path(
        r"^services/(?P<service_code>[-\w]+)" + FMT,
        views.service_definition,
        name="service_definition",
    ),
    re_path(r"^requests" + FMT, views.requests, name="requests"),
    re_path(
        r"^requests/(?P<service_request_id>[-\w]+)" + FMT,
        views.request_detail,
        name="request",
    ),
    re_path(r"^tokens/(?P<token>[-\w]+)" + FMT, views.token, name="token"),
]
