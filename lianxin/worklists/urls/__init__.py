"""Pages of the work lists and inspections under /worklists/ (namespace `worklists`); each
part keeps its routes in its own module here."""

from lianxin.worklists.urls import inspections, keywork, projects, rhythm, training

app_name = "worklists"

urlpatterns = [
    *keywork.staff,
    *projects.staff,
    *training.staff,
    *inspections.staff,
    *rhythm.staff,
]
