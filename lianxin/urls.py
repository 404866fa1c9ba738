from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve as static_serve

from lianxin.api import api
from lianxin.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("", include("lianxin.accounts.urls")),
    path("territory/", include("lianxin.territory.urls")),
    path("people/", include("lianxin.people.urls")),
    path("party/", include("lianxin.party.urls")),
    path("audit/", include("lianxin.audit.urls")),
    path("api/", api.urls),
    path("config/", admin.site.urls),
    # Uploaded photos are served by the app (login required) in the embedded setup.
    path("media/<path:path>", static_serve, {"document_root": settings.MEDIA_ROOT}, name="media"),
]
