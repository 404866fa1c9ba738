"""Residents' pages (namespace ``resident``): no account; QR intake, private link, boards."""

from lianxin.cases.views import public

app_name = "resident"

urlpatterns = public.urlpatterns
