"""Routes of the keywork part under /worklists/: the key-work list is the section root."""

from django.urls import URLPattern, path

from lianxin.worklists.views import keywork as views

staff: list[URLPattern] = [
    path("", views.keywork, name="keywork"),
    # A list in a path: its unit's code or its task force's public id.
    path("keywork/lists/<str:ref>/add/", views.keywork_add, name="keywork_add"),
    path("keywork/lists/<str:ref>/carry/", views.keywork_carry, name="keywork_carry"),
    path("keywork/overview/", views.keywork_overview, name="keywork_overview"),
    path("keywork/export/", views.keywork_export, name="keywork_export"),
    path("keywork/<uuid:public_id>/", views.keywork_item, name="keywork_item"),
    path("keywork/<uuid:public_id>/act/", views.keywork_item_act, name="keywork_item_act"),
]
