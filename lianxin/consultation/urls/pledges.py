"""Routes of the pledges part (三诺): `staff` under /consultation/, `public` under /c/."""

from django.urls import URLPattern, path

from lianxin.consultation.views import pledges as v

staff: list[URLPattern] = [
    path("pledges/", v.pledge_list, name="pledge_list"),
    path("pledges/new/", v.pledge_create, name="pledge_create"),
    path("pledges/<uuid:public_id>/", v.pledge_detail, name="pledge_detail"),
    path("pledges/<uuid:public_id>/act/", v.pledge_act, name="pledge_act"),
    path("pledges/<uuid:public_id>/items/", v.pledge_item_add, name="pledge_item_add"),
    path(
        "pledges/<uuid:public_id>/items/<int:number>/",
        v.pledge_item_edit,
        name="pledge_item_edit",
    ),
    path(
        "pledges/<uuid:public_id>/items/<int:number>/report/",
        v.pledge_item_report,
        name="pledge_item_report",
    ),
    path("pledges/<uuid:public_id>/scores/", v.pledge_scores, name="pledge_scores"),
    path(
        "pledges/<uuid:public_id>/evidence/<str:name>/",
        v.pledge_evidence,
        name="pledge_evidence",
    ),
]
public: list[URLPattern] = [
    path("v/<str:code>/pledges/", v.pledge_public, name="pledge_public"),
    path("v/<str:code>/pledges/<int:year>/", v.pledge_public, name="pledge_public"),
    path(
        "v/<str:code>/pledges/<int:year>/evidence/<str:name>/",
        v.pledge_public_evidence,
        name="pledge_public_evidence",
    ),
]
