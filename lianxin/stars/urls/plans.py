"""Routes of the plans part (创建规划, 创建名额): `staff` under /stars/, `public` under /s/."""

from django.urls import URLPattern, path

from lianxin.stars.views import plans as v

staff: list[URLPattern] = [
    path("plans/", v.plan_list, name="plan_list"),
    path("plans/xlsx/", v.plan_list_xlsx, name="plan_list_xlsx"),
    path("plans/new/", v.plan_create, name="plan_create"),
    path("plans/<uuid:public_id>/", v.plan_detail, name="plan_detail"),
    path("plans/<uuid:public_id>/edit/", v.plan_edit, name="plan_edit"),
    path("plans/<uuid:public_id>/act/", v.plan_act, name="plan_act"),
    path("plans/<uuid:public_id>/measures/", v.plan_measure_add, name="plan_measure_add"),
    path(
        "plans/<uuid:public_id>/measures/<uuid:measure_id>/",
        v.plan_measure_edit,
        name="plan_measure_edit",
    ),
    path("plans/<uuid:public_id>/milestones/", v.plan_milestone_add, name="plan_milestone_add"),
    path(
        "plans/<uuid:public_id>/milestones/<uuid:milestone_id>/",
        v.plan_milestone_edit,
        name="plan_milestone_edit",
    ),
    path("quotas/", v.quota_list, name="quota_list"),
    path("quotas/<str:code>/<int:year>/", v.quota_edit, name="quota_edit"),
    path("quotas/<str:code>/<int:year>/defaults/", v.quota_defaults, name="quota_defaults"),
]
public: list[URLPattern] = []
