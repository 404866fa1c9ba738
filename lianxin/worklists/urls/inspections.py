"""Routes of the inspections part under /worklists/: quarterly manual checks and
rectification notices."""

from django.urls import URLPattern, path

from lianxin.worklists.views import inspections as views

staff: list[URLPattern] = [
    path("inspections/", views.inspection_list, name="inspection_list"),
    path("inspections/new/", views.inspection_create, name="inspection_create"),
    path("inspections/export/", views.inspection_export, name="inspection_export"),
    path("inspections/rectifications/", views.rectification_list, name="rectification_list"),
    path(
        "inspections/rectifications/export/",
        views.rectification_export,
        name="rectification_export",
    ),
    path("inspections/<uuid:public_id>/", views.inspection_detail, name="inspection_detail"),
    path(
        "inspections/<uuid:public_id>/notice/",
        views.inspection_notice,
        name="inspection_notice",
    ),
    path(
        "inspections/rectifications/<uuid:public_id>/report/",
        views.rectification_report,
        name="rectification_report",
    ),
    path(
        "inspections/rectifications/<uuid:public_id>/review/",
        views.rectification_review,
        name="rectification_review",
    ),
    path(
        "inspections/rectifications/<uuid:public_id>/pdf/",
        views.rectification_notice_pdf,
        name="rectification_pdf",
    ),
    path(
        "inspections/rectifications/<uuid:public_id>/evidence/<str:name>",
        views.rectification_evidence,
        name="rectification_evidence",
    ),
]
