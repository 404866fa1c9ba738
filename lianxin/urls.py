from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from lianxin.api import api
from lianxin.core.views import healthz

# The configuration back office logs in through lianxin's own login (lockout, audit).
admin.site.login = login_required(admin.site.login)  # type: ignore[method-assign]
admin.site.site_header = "连心 · 配置目录"
admin.site.site_title = "连心配置"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("lianxin.accounts.urls")),
    path("territory/", include("lianxin.territory.urls")),
    path("people/", include("lianxin.people.urls")),
    path("party/", include("lianxin.party.urls")),
    path("audit/", include("lianxin.audit.urls")),
    path("cases/", include("lianxin.cases.urls")),
    path("r/", include("lianxin.cases.public_urls")),
    path("consultation/", include("lianxin.consultation.urls")),
    path("c/", include("lianxin.consultation.public_urls")),
    path("points/", include("lianxin.points.urls")),
    path("p/", include("lianxin.points.public_urls")),
    path("stars/", include("lianxin.stars.urls")),
    path("s/", include("lianxin.stars.public_urls")),
    path("worklists/", include("lianxin.worklists.urls")),
    path("open311/v2/", include("lianxin.cases.open311.urls")),
    path("api/", api.urls),
    path("config/", admin.site.urls),
]
