"""Routes of the matters part (四议两公开): `staff` under /consultation/, `public` under /c/."""

from django.urls import URLPattern, path

from lianxin.consultation.views import matters as v

staff: list[URLPattern] = [
    path("matters/", v.matter_list, name="matter_list"),
    path("matters/new/", v.matter_create, name="matter_create"),
    path("matters/<uuid:public_id>/", v.matter_detail, name="matter_detail"),
    path("matters/<uuid:public_id>/<slug:action>/", v.matter_act, name="matter_act"),
    path(
        "matters/<uuid:public_id>/notice/<slug:kind>.pdf",
        v.matter_notice_pdf,
        name="matter_notice_pdf",
    ),
]
public: list[URLPattern] = [
    path("mt/<uuid:public_id>/", v.matter_public, name="matter_public"),
    path("mt/<uuid:public_id>/<slug:kind>.pdf", v.matter_public_pdf, name="matter_public_pdf"),
]
