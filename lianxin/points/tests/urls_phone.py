"""The site's URLs with the phone pages of the store and micro-tasks added to
``points_public`` — what public_urls.py serves once it lists `phone.urlpatterns` (tests use
it with `@pytest.mark.urls`; harmless after that)."""

from __future__ import annotations

from django.urls import URLResolver, include, path

from lianxin import urls as site
from lianxin.points.views import phone, public

_public = list(public.urlpatterns)
_names = {p.name for p in _public}
_public += [p for p in phone.urlpatterns if p.name not in _names]

urlpatterns = [
    p
    for p in site.urlpatterns
    if not (isinstance(p, URLResolver) and p.namespace == "points_public")
] + [path("p/", include((_public, "points_public")))]
