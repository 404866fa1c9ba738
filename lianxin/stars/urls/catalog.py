"""Routes of the catalog part: `staff` under /stars/, `public` under /s/."""

from django.urls import URLPattern, path

from lianxin.stars.views import catalog as v

staff: list[URLPattern] = [
    path("catalog/", v.catalog, name="catalog"),
    path("catalog/sets/<uuid:public_id>/stars/new/", v.star_create, name="catalog_star_create"),
    path("catalog/stars/<uuid:public_id>/", v.star_edit, name="catalog_star_edit"),
    path("catalog/stars/<uuid:public_id>/move/", v.star_move, name="catalog_star_move"),
    path(
        "catalog/stars/<uuid:public_id>/standards/new/",
        v.standard_create,
        name="catalog_standard_create",
    ),
    path("catalog/standards/<uuid:public_id>/", v.standard_edit, name="catalog_standard_edit"),
    path("catalog/settings/<uuid:public_id>/", v.settings_edit, name="catalog_settings"),
    path("catalog/task-forces/", v.task_force_list, name="task_force_list"),
    path(
        "catalog/counties/<uuid:county_id>/task-forces/new/",
        v.task_force_create,
        name="task_force_create",
    ),
    path("catalog/task-forces/<uuid:public_id>/", v.task_force_edit, name="task_force_edit"),
    path("catalog/weak/", v.weak_branch_list, name="weak_branch_list"),
    path(
        "catalog/counties/<uuid:county_id>/weak/new/",
        v.weak_branch_create,
        name="weak_branch_create",
    ),
    path("catalog/weak/<uuid:public_id>/", v.weak_branch_edit, name="weak_branch_edit"),
]
public: list[URLPattern] = []
