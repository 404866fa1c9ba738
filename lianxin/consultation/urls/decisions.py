"""Routes of the decisions part: `staff` under /consultation/, `public` under /c/."""

from django.urls import URLPattern, path

from lianxin.consultation.views import decisions as v

staff: list[URLPattern] = [
    path("decisions/", v.decision_list, name="decision_list"),
    path("decisions/export/", v.decision_export, name="decision_export"),
    path("decisions/new/", v.decision_create, name="decision_create"),
    path("decisions/<uuid:public_id>/", v.decision_detail, name="decision_detail"),
    path(
        "decisions/<uuid:public_id>/milestones/",
        v.decision_milestone_add,
        name="decision_milestone_add",
    ),
    path(
        "decisions/milestones/<uuid:public_id>/progress/",
        v.decision_progress,
        name="decision_progress",
    ),
    path("decisions/<uuid:public_id>/cases/", v.decision_case_link, name="decision_case_link"),
    path(
        "decisions/<uuid:public_id>/cases/<uuid:case_id>/remove/",
        v.decision_case_unlink,
        name="decision_case_unlink",
    ),
    path("decisions/<uuid:public_id>/cancel/", v.decision_cancel, name="decision_cancel"),
]
public: list[URLPattern] = [
    path("v/<str:code>/decisions/", v.public_decision_list, name="decision_list"),
    path("d/<uuid:public_id>/", v.public_decision, name="decision_public"),
]
