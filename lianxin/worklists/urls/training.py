"""Routes of the training part (培训清单) under /worklists/; `survey_answer_public` is the
recipients' own answer link (no account, the URL carries the recipient's UUID)."""

from django.urls import URLPattern, path

from lianxin.worklists.views import training as v

staff: list[URLPattern] = [
    path("training/", v.survey_list, name="survey_list"),
    path("training/new/", v.survey_create, name="survey_create"),
    path("training/a/<uuid:public_id>/", v.survey_answer_public, name="survey_answer_public"),
    path("training/r/<uuid:public_id>/answer/", v.recipient_answer, name="recipient_answer"),
    path("training/plans/<uuid:public_id>/", v.plan_detail, name="plan_detail"),
    path("training/sessions/<uuid:public_id>/", v.session_detail, name="session_detail"),
    path("training/sessions/<uuid:public_id>/edit/", v.session_edit, name="session_edit"),
    path("training/sessions/<uuid:public_id>/attend/", v.session_attend, name="session_attend"),
    path("training/<uuid:public_id>/", v.survey_detail, name="survey_detail"),
    path("training/<uuid:public_id>/<slug:action>/", v.survey_act, name="survey_act"),
]
