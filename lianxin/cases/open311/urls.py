"""Open311 GeoReport v2 endpoints (namespace ``open311``)."""

from django.urls import URLPattern

app_name = "open311"

urlpatterns: list[URLPattern] = []
