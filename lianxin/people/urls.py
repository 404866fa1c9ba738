from django.urls import path

from lianxin.people import views

app_name = "people"
urlpatterns = [
    path("households/", views.household_list, name="household_list"),
    path("households/new/", views.household_create, name="household_create"),
    path("households/<uuid:public_id>/", views.household_detail, name="household_detail"),
    path("households/<uuid:public_id>/edit/", views.household_edit, name="household_edit"),
    path(
        "households/<uuid:public_id>/move-out/", views.household_move_out, name="household_move_out"
    ),
    path(
        "households/<uuid:public_id>/residents/new/", views.resident_create, name="resident_create"
    ),
    path("residents/", views.resident_list, name="resident_list"),
    path("residents/<uuid:public_id>/", views.resident_detail, name="resident_detail"),
    path("residents/<uuid:public_id>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<uuid:public_id>/move/", views.resident_move, name="resident_move"),
    path("residents/<uuid:public_id>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("residents/<uuid:public_id>/ledger/new/", views.ledger_create, name="ledger_create"),
    path("ledger/", views.ledger_list, name="ledger_list"),
    path("ledger/<uuid:public_id>/", views.ledger_detail, name="ledger_detail"),
    path("ledger/<uuid:public_id>/end/", views.ledger_end, name="ledger_end"),
    path("ledger/<uuid:public_id>/visits/new/", views.visit_create, name="visit_create"),
    path("visits/<uuid:public_id>/photos/<int:number>/", views.visit_photo, name="visit_photo"),
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/", views.import_create, name="import_create"),
    path("imports/templates/<slug:kind>/", views.import_template, name="import_template"),
    path("imports/<uuid:public_id>/", views.import_detail, name="import_detail"),
    path("imports/<uuid:public_id>/errors/", views.import_errors, name="import_errors"),
    path("imports/<uuid:public_id>/file/", views.import_file, name="import_file"),
    path("export/<slug:kind>/", views.export, name="export"),
]
