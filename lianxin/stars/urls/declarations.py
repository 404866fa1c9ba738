"""Routes of the declarations part: `staff` under /stars/, `public` under /s/."""

from django.urls import URLPattern, path

from lianxin.stars.views import declarations as d
from lianxin.stars.views import notices as n

staff: list[URLPattern] = [
    path("declarations/", d.declaration_list, name="declaration_list"),
    path("declarations/export.xlsx", d.declaration_export, name="declaration_export"),
    path("declarations/new/", d.declaration_create, name="declaration_create"),
    path("declarations/<uuid:public_id>/", d.declaration_detail, name="declaration_detail"),
    path("declarations/<uuid:public_id>/edit/", d.declaration_edit, name="declaration_edit"),
    path(
        "declarations/<uuid:public_id>/review/<slug:stage>/",
        d.declaration_review,
        name="declaration_review",
    ),
    path(
        "declarations/<uuid:public_id>/evidence/<uuid:entry_id>/",
        d.declaration_evidence,
        name="declaration_evidence",
    ),
    path(
        "declarations/<uuid:public_id>/<slug:action>/",
        d.declaration_act,
        name="declaration_act",
    ),
    path("notices/", n.notice_list, name="notice_list"),
    path("notices/new/", n.notice_publish, name="notice_publish"),
    path("notices/<uuid:public_id>/", n.notice_detail, name="notice_detail"),
    path("notices/<uuid:public_id>/notice.pdf", n.notice_pdf, name="notice_pdf"),
    path("notices/<uuid:public_id>/<slug:action>/", n.notice_act, name="notice_act"),
    path(
        "notices/objections/<uuid:public_id>/answer/",
        n.objection_answer,
        name="objection_answer",
    ),
]
public: list[URLPattern] = [
    path("notice/<uuid:public_id>/", n.notice_public, name="notice_public"),
    path("notice/<uuid:public_id>/notice.pdf", n.notice_public_pdf, name="notice_public_pdf"),
]
