"""Routes of the contests part (三次大比武): `staff` under /stars/, `public` under /s/."""

from django.urls import URLPattern, path

from lianxin.stars.views import contests as v

staff: list[URLPattern] = [
    path("contests/", v.contest_list, name="contest_list"),
    path("contests/open/", v.contest_open, name="contest_open"),
    path("contests/final/", v.contest_final_create, name="contest_final_create"),
    path("contests/rankings/", v.contest_rankings, name="contest_rankings"),
    path("contests/rankings/export/", v.contest_rankings_export, name="contest_rankings_export"),
    path("contests/<uuid:public_id>/", v.contest_detail, name="contest_detail"),
    path("contests/<uuid:public_id>/edit/", v.contest_edit, name="contest_edit"),
    path("contests/<uuid:public_id>/act/", v.contest_act, name="contest_act"),
    path("contests/<uuid:public_id>/register/", v.contest_register, name="contest_register"),
    path("contests/entries/<uuid:public_id>/", v.contest_entry, name="contest_entry"),
    path(
        "contests/entries/<uuid:public_id>/edit/", v.contest_entry_edit, name="contest_entry_edit"
    ),
    path(
        "contests/entries/<uuid:public_id>/withdraw/",
        v.contest_entry_withdraw,
        name="contest_entry_withdraw",
    ),
    path(
        "contests/entries/<uuid:public_id>/score/",
        v.contest_entry_score,
        name="contest_entry_score",
    ),
    path(
        "contests/entries/<uuid:public_id>/material/",
        v.contest_entry_material,
        name="contest_entry_material",
    ),
]
public: list[URLPattern] = []
