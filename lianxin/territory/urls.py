from django.urls import path

from lianxin.territory import views

app_name = "territory"
urlpatterns = [
    path("", views.browse, name="browse"),
    path("units/<uuid:public_id>/", views.unit_detail, name="unit_detail"),
    path("units/<uuid:public_id>/new/", views.unit_create, name="unit_create"),
    path("units/<uuid:public_id>/new/batch/", views.unit_batch_create, name="unit_batch_create"),
    path("units/<uuid:public_id>/edit/", views.unit_edit, name="unit_edit"),
    path("units/<uuid:public_id>/move/", views.unit_move, name="unit_move"),
    path("units/<uuid:public_id>/merge/", views.unit_merge, name="unit_merge"),
    path("units/<uuid:public_id>/retire/", views.unit_retire, name="unit_retire"),
    path("units/<uuid:public_id>/restore/", views.unit_restore, name="unit_restore"),
]
