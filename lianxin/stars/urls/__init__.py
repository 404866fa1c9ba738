"""Staff pages of five-star creation under /stars/ (namespace `stars`); each part of the app
keeps its routes in its own module here (`staff` list)."""

from lianxin.stars.urls import (
    assessments,
    battlemap,
    catalog,
    contests,
    declarations,
    economy,
    plans,
)

app_name = "stars"

urlpatterns = [
    *battlemap.staff,
    *plans.staff,
    *declarations.staff,
    *economy.staff,
    *contests.staff,
    *assessments.staff,
    *catalog.staff,
]
