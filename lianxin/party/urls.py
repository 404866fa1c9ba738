from django.urls import path

from lianxin.party import views

app_name = "party"
urlpatterns = [
    path("members/", views.member_list, name="member_list"),
    path("members/new/", views.member_create, name="member_create"),
    path("members/<uuid:public_id>/", views.member_detail, name="member_detail"),
    path("members/<uuid:public_id>/edit/", views.member_edit, name="member_edit"),
    path("members/<uuid:public_id>/links/", views.member_links, name="member_links"),
    path("members/<uuid:public_id>/activities/new/", views.activity_create, name="activity_create"),
    path("members/<uuid:public_id>/board.pdf", views.member_board_pdf, name="member_board_pdf"),
    path("activities/", views.activity_list, name="activity_list"),
    path("organisations/", views.org_list, name="org_list"),
    path("organisations/new/", views.org_create, name="org_create"),
    path("organisations/<uuid:public_id>/", views.org_detail, name="org_detail"),
    path("organisations/<uuid:public_id>/edit/", views.org_edit, name="org_edit"),
    path("organisations/<uuid:public_id>/retire/", views.org_retire, name="org_retire"),
    # Public, no login: the page behind the QR code on the linkage board.
    path("m/<uuid:public_id>/", views.member_public, name="member_public"),
]
