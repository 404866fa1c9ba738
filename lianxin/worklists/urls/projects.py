"""Routes of the projects part (项目清单) under /worklists/."""

from django.urls import URLPattern, path

from lianxin.worklists.views import projects as v

staff: list[URLPattern] = [
    path("projects/", v.project_list, name="project_list"),
    path("projects/export.xlsx", v.project_export, name="project_export"),
    path("projects/new/", v.demand_create, name="demand_create"),
    path("projects/library/", v.supply_list, name="supply_list"),
    path("projects/library/new/", v.supply_create, name="supply_create"),
    path("projects/library/<uuid:public_id>/", v.supply_detail, name="supply_detail"),
    path("projects/library/<uuid:public_id>/edit/", v.supply_edit, name="supply_edit"),
    path("projects/<uuid:public_id>/", v.demand_detail, name="demand_detail"),
    path("projects/<uuid:public_id>/<slug:action>/", v.demand_act, name="demand_act"),
]
