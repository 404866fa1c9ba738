"""Public pages of five-star creation under /s/ (namespace `stars_public`): the notices
(公示) anyone may read, with their PDF."""

from lianxin.stars.urls import battlemap, declarations

app_name = "stars_public"

urlpatterns = [*declarations.public, *battlemap.public]
