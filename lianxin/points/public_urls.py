"""Residents' pages of points (namespace ``points_public``): no account; the public boards,
and the phone pages opened with a one-time code (statement, store, micro-tasks)."""

from lianxin.points.views import phone, public

app_name = "points_public"

urlpatterns = public.urlpatterns + phone.urlpatterns
